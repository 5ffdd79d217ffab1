//! Fork and exec without allocation, for init systems and supervisors that confine a child before it runs
//! a program: `fork()` through a raw `clone(SIGCHLD)`, then in the child [`set_no_new_privs`],
//! [`install`], [`execve`], and [`exit_group`] if exec fails.
//!
//! ```no_run
//! use core::ffi::CStr;
//! use seccomp_sys::process::{self, Fork};
//! use seccomp_sys::{FilterFlags, install_unvalidated, set_no_new_privs};
//! # let program: &[seccomp_core::abi::SockFilter] = &[];
//! let path: &CStr = c"/bin/true";
//! let argv = [path];
//! // SAFETY: the child only makes raw syscalls (prctl, seccomp, execve, exit_group) and touches memory
//! // prepared before the fork; it neither allocates nor takes locks.
//! match unsafe { process::fork() }.expect("fork") {
//!     Fork::Child => {
//!         if set_no_new_privs().is_err() || install_unvalidated(program, FilterFlags::EMPTY).is_err() {
//!             process::exit_group(126);
//!         }
//!         let _errno = process::execve(path, &argv, &[]);
//!         process::exit_group(127);
//!     }
//!     Fork::Parent(_pid) => { /* wait for it with rustix::process::waitpid */ }
//! }
//! ```
//!
//! # Safety
//!
//! [`fork`] is `unsafe` because the child is a copy of a possibly multi-threaded process with only the
//! calling thread: any lock another thread held at the time of the fork (the allocator's, stdio's, a
//! `Mutex`) stays locked forever in the child, and libc-level state (the cached thread id, `pthread_atfork`
//! handlers) is not updated because no libc is involved. The child is therefore restricted to what is
//! async-signal-safe: raw syscalls, reads and writes of memory prepared before the fork, and no allocation,
//! no locks, no panics that unwind, no stdio. It must end with [`execve`] or [`exit_group`]. Everything else
//! in this module is safe: [`execve`] builds its pointer arrays on the stack from `&CStr`s.
#![allow(unsafe_code)]

#[cfg(doc)]
use crate::filter::{install, set_no_new_privs};
use crate::raw;
use core::ffi::CStr;
use core::ptr;
use rustix::io::Errno;
use rustix::process::Pid;

/// Which side of a [`fork`] the caller is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fork {
    /// The new process.
    Child,
    /// The original process; the child has this pid.
    Parent(Pid),
}

/// `clone(SIGCHLD, 0, NULL, NULL, 0)`, which is `fork()`.
///
/// The kernel creates a child process with a copy of the caller's address space and fds, running only the
/// calling thread, which returns from the call as [`Fork::Child`]; the parent gets [`Fork::Parent`] with the
/// child's pid, and SIGCHLD when the child ends. Since Linux 2.0.
///
/// # Safety
///
/// Between this call and [`execve`] or [`exit_group`], the child may only do async-signal-safe work: raw
/// syscalls (this crate's functions except those that are documented to fork, and rustix's), reading and
/// writing memory that was prepared before the fork. It must not allocate, take or release a lock, unwind,
/// print through std, or return into code that does (including the test harness or `main`). See the
/// module documentation.
///
/// # References
/// - clone(2), fork(2)
/// - signal-safety(7)
pub unsafe fn fork() -> Result<Fork, Errno> {
    // SAFETY: forwarded from the caller.
    let ret = unsafe { raw::clone_fork() }?;
    if ret == 0 {
        return Ok(Fork::Child);
    }
    match i32::try_from(ret).ok().and_then(Pid::from_raw) {
        Some(pid) => Ok(Fork::Parent(pid)),
        // A pid is a positive i32; anything else would be a kernel bug.
        None => Err(Errno::INVAL),
    }
}

/// The most arguments (and, separately, environment entries) [`execve`] passes without allocating.
pub const MAX_EXEC_ARGS: usize = 256;

/// `execve(path, argv, envp)`.
///
/// The kernel replaces the calling process's program with the one at `path`, passing `argv` and `envp`; the
/// seccomp filters, `no_new_privs` and the fds without close-on-exec survive. Returns only on failure, with
/// the errno. The pointer arrays are built on the stack (no allocation), so at most [`MAX_EXEC_ARGS`]
/// entries each: more give `E2BIG` without a call. Since Linux 1.0.
///
/// # References
/// - execve(2)
pub fn execve(path: &CStr, argv: &[&CStr], envp: &[&CStr]) -> Errno {
    if argv.len() > MAX_EXEC_ARGS || envp.len() > MAX_EXEC_ARGS {
        return Errno::TOOBIG;
    }
    let mut argv_ptrs = [ptr::null::<u8>(); MAX_EXEC_ARGS + 1];
    let mut envp_ptrs = [ptr::null::<u8>(); MAX_EXEC_ARGS + 1];
    for (slot, arg) in argv_ptrs.iter_mut().zip(argv) {
        *slot = arg.as_ptr().cast();
    }
    for (slot, var) in envp_ptrs.iter_mut().zip(envp) {
        *slot = var.as_ptr().cast();
    }
    // SAFETY: `path` and every entry are NUL-terminated `CStr`s borrowed for the call; both arrays hold at
    // most MAX_EXEC_ARGS pointers followed by at least one null, and live on this stack frame.
    unsafe { raw::execve(path.as_ptr().cast(), argv_ptrs.as_ptr(), envp_ptrs.as_ptr()) }
}

/// `exit_group(code)`.
///
/// The kernel ends every thread of the calling process; the parent sees exit status `code & 0xff`. No
/// destructors, atexit handlers or stdio flushes run, which is what a forked child must do. Since Linux 2.6.
///
/// # References
/// - exit_group(2), _exit(2)
pub fn exit_group(code: i32) -> ! {
    raw::exit_group(code)
}
