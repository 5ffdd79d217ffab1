//! Raw system calls: the crate's only inline assembly, and the safe typed entry points for the calls rustix
//! does not offer (`seccomp(2)`, `process_vm_readv(2)`, `process_vm_writev(2)`, `mount_setattr(2)`, `clone(2)` as fork,
//! `execve(2)`, `exit_group(2)`).
//!
//! The instruction itself lives in one small module per architecture (`x86_64.rs`: `syscall`; `aarch64.rs`:
//! `svc 0`), chosen by `cfg`; any other architecture is a compile error. A raw result in `-4095..=-1` is
//! `-errno`, anything else is the call's value.
//!
//! # Safety
//!
//! The generic `syscall*` functions are `unsafe`: the kernel follows whatever pointers they are given and can
//! change process state the compiler relies on. The typed wrappers below are safe because each one builds
//! its kernel arguments from Rust references that are valid for exactly the access the kernel makes (a
//! `sock_fprog` pointing into a borrowed slice, a `&mut` output struct, an `iovec` over a `&mut [u8]`),
//! and none of them changes memory, fds or threads the program owns. `clone` and `execve` are the
//! exceptions and stay `unsafe` (see [`crate::process`]).
#![allow(unsafe_code)]

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
use aarch64 as arch;
#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
use x86_64 as arch;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!(
    "seccomp-sys supports x86_64 and aarch64 only: it needs one small raw-syscall module per arch"
);

use core::ffi::c_void;
use core::ptr;
use linux_raw_sys::general as nr;
use rustix::fd::{FromRawFd, OwnedFd};
use rustix::io::Errno;
use seccomp_core::abi::{self, SeccompNotifSizes, SockFilter};

/// The largest value the kernel returns as `-errno` (`MAX_ERRNO`).
const MAX_ERRNO: usize = 4095;

/// Converts a raw syscall result into `Ok(value)` or `Err(errno)`.
#[inline]
fn check(ret: usize) -> Result<usize, Errno> {
    if ret > usize::MAX - MAX_ERRNO {
        // The value is in -4095..=-1, so its negation fits in an i32.
        Err(Errno::from_raw_os_error(ret.wrapping_neg() as i32))
    } else {
        Ok(ret)
    }
}

/// Makes system call `nr` with no arguments.
///
/// This is the escape hatch for calls that neither rustix nor this crate wraps (tests use it to make a
/// precise syscall in a filtered child). Prefer a typed wrapper.
///
/// # Safety
///
/// The call must be sound: it must not break an invariant the program relies on (memory mappings, fds owned
/// elsewhere, signal dispositions, the thread's existence).
#[inline]
pub unsafe fn syscall0(nr: u32) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller.
    check(unsafe { arch::syscall0(nr as usize) })
}

/// Makes system call `nr` with three arguments (unused ones should be 0).
///
/// # Safety
///
/// As for [`syscall0`]; in addition every pointer argument must be valid for the access the call makes.
#[inline]
pub unsafe fn syscall3(nr: u32, a0: usize, a1: usize, a2: usize) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller.
    check(unsafe { arch::syscall3(nr as usize, a0, a1, a2) })
}

/// Makes system call `nr` with four arguments (unused ones should be 0): enough for `rt_sigaction(2)`,
/// `ptrace(2)`, `openat(2)` and the other calls tests and tools make by hand.
///
/// # Safety
///
/// As for [`syscall0`]; in addition every pointer argument must be valid for the access the call makes.
#[inline]
pub unsafe fn syscall4(nr: u32, a0: usize, a1: usize, a2: usize, a3: usize) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller; the two unused argument registers are 0.
    check(unsafe { arch::syscall6(nr as usize, a0, a1, a2, a3, 0, 0) })
}

/// Makes system call `nr` with six arguments, for the typed wrappers of this crate (`process_vm_readv`,
/// `clone`, `ptrace`); not public: callers outside the crate get the typed calls or [`syscall4`].
///
/// # Safety
///
/// As for [`syscall0`]; in addition every pointer argument must be valid for the access the call makes.
#[inline]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn syscall6(
    nr: u32,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller.
    check(unsafe { arch::syscall6(nr as usize, a0, a1, a2, a3, a4, a5) })
}

/// `struct sock_fprog`: the program argument of `SECCOMP_SET_MODE_FILTER`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// `seccomp(op, flags, args)` with the raw pointer argument.
///
/// # Safety
///
/// `args` must be what `op` expects: null, or a pointer valid for the reads and writes `op` makes.
unsafe fn seccomp(op: u32, flags: u32, args: *mut c_void) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller; seccomp(2) touches no memory but `args`.
    unsafe { syscall3(nr::__NR_seccomp, op as usize, flags as usize, args as usize) }
}

/// What a successful `SECCOMP_SET_MODE_FILTER` returned.
pub(crate) enum FilterReturn {
    /// 0: the filter is installed.
    Installed,
    /// The filter is installed and this is its new listener fd (`NEW_LISTENER`).
    Listener(OwnedFd),
    /// `TSYNC` without `TSYNC_ESRCH` failed: this thread could not be synchronized; nothing was installed.
    TsyncFailed(u32),
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &(struct sock_fprog){ len, insns })`.
///
/// A program longer than `u16::MAX` cannot be expressed in `sock_fprog` and gives `EINVAL` without a call,
/// which is what the kernel answers for anything above 4096 instructions.
pub(crate) fn seccomp_set_mode_filter(flags: u32, insns: &[SockFilter]) -> Result<FilterReturn, Errno> {
    let len = u16::try_from(insns.len()).map_err(|_| Errno::INVAL)?;
    let mut prog = SockFprog {
        len,
        filter: insns.as_ptr(),
    };
    // SAFETY: `prog` lives across the call and points at `len` readable instructions borrowed from `insns`;
    // the kernel only reads both.
    let ret = unsafe { seccomp(abi::SET_MODE_FILTER, flags, (&raw mut prog).cast()) }?;
    if flags & abi::FILTER_FLAG_NEW_LISTENER != 0 {
        let fd = i32::try_from(ret).map_err(|_| Errno::BADF)?;
        // SAFETY: with NEW_LISTENER a successful call returns a new fd that the kernel just opened for this
        // process; nothing else owns it, so the OwnedFd is its only owner and closes it exactly once.
        Ok(FilterReturn::Listener(unsafe { OwnedFd::from_raw_fd(fd) }))
    } else if ret == 0 {
        Ok(FilterReturn::Installed)
    } else {
        Ok(FilterReturn::TsyncFailed(ret as u32))
    }
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL)`: the kernel checks `flags` and then fails to read the
/// program, so `EFAULT` means every flag is known and `EINVAL` that one is not. Nothing is installed.
pub(crate) fn seccomp_probe_filter_flags(flags: u32) -> Result<usize, Errno> {
    // SAFETY: a null program is never dereferenced by the kernel (copy_from_user fails with EFAULT).
    unsafe { seccomp(abi::SET_MODE_FILTER, flags, ptr::null_mut()) }
}

/// `seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL)`.
pub(crate) fn seccomp_set_mode_strict() -> Result<usize, Errno> {
    // SAFETY: strict mode takes no argument; it only restricts this thread's future syscalls.
    unsafe { seccomp(abi::SET_MODE_STRICT, 0, ptr::null_mut()) }
}

/// `seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action)`.
pub(crate) fn seccomp_get_action_avail(action: u32) -> Result<usize, Errno> {
    let mut action = action;
    // SAFETY: the kernel reads one u32 from a pointer to a live local.
    unsafe { seccomp(abi::GET_ACTION_AVAIL, 0, (&raw mut action).cast()) }
}

/// `seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes)`.
pub(crate) fn seccomp_get_notif_sizes() -> Result<SeccompNotifSizes, Errno> {
    let mut sizes = SeccompNotifSizes::default();
    // SAFETY: the kernel writes exactly one `struct seccomp_notif_sizes` (6 bytes, the size of `sizes`,
    // checked in seccomp-core) through a pointer to a live local.
    unsafe { seccomp(abi::GET_NOTIF_SIZES, 0, (&raw mut sizes).cast()) }?;
    Ok(sizes)
}

/// `struct iovec`.
#[repr(C)]
struct IoVec {
    base: *mut c_void,
    len: usize,
}

/// `nr(pid, &{local, len}, 1, &{remote, len}, 1, 0)` for `nr` = `process_vm_readv` or
/// `process_vm_writev`: one local and one remote iovec of `len` bytes, as both calls take them.
///
/// # Safety
///
/// `local` must be valid for `len` bytes of the access `nr` makes on the local side: writes for
/// `process_vm_readv`, reads for `process_vm_writev` (which never writes the local side; the iovec's `*mut`
/// is only the ABI's type). The remote address is dereferenced (with fault handling) in the target's address
/// space only, never in ours.
unsafe fn process_vm(nr: u32, pid: i32, local: *mut c_void, len: usize, remote: u64) -> Result<usize, Errno> {
    let local_iov = IoVec { base: local, len };
    let remote_iov = IoVec {
        base: remote as usize as *mut c_void,
        len,
    };
    // SAFETY: the caller vouches for `local`; the kernel reads the two iovecs, which are live locals.
    unsafe {
        syscall6(
            nr,
            pid as usize,
            (&raw const local_iov) as usize,
            1,
            (&raw const remote_iov) as usize,
            1,
            0,
        )
    }
}

/// `process_vm_readv(pid, &{local}, 1, &{remote, local.len()}, 1, 0)`: copies from address `remote` in
/// process `pid` into `local`, returning the number of bytes copied (short at the end of a mapping).
pub(crate) fn process_vm_readv(pid: i32, local: &mut [u8], remote: u64) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most `local.len()` bytes into `local`, which we borrow exclusively.
    unsafe {
        process_vm(
            nr::__NR_process_vm_readv,
            pid,
            local.as_mut_ptr().cast(),
            local.len(),
            remote,
        )
    }
}

/// `process_vm_writev(pid, &{local}, 1, &{remote, local.len()}, 1, 0)`: copies `local` to address `remote`
/// in process `pid`, returning the number of bytes written (short at the end of a writable mapping).
///
/// # References
/// - process_vm_writev(2)
pub(crate) fn process_vm_writev(pid: i32, local: &[u8], remote: u64) -> Result<usize, Errno> {
    // SAFETY: the kernel only reads `local.len()` bytes from `local`, which we borrow.
    unsafe {
        process_vm(
            nr::__NR_process_vm_writev,
            pid,
            local.as_ptr().cast_mut().cast(),
            local.len(),
            remote,
        )
    }
}

/// `struct mount_attr` (`MOUNT_ATTR_SIZE_VER0`, 32 bytes).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &{set, clear}, 32)` (5.12+):
/// sets and clears `MOUNT_ATTR_*` flags on the mount (tree) that `fd` refers to, such as a detached
/// mount from `open_tree(OPEN_TREE_CLONE)`. rustix 1.1 does not offer it.
///
/// # References
/// - mount_setattr(2)
pub fn mount_setattr(
    fd: rustix::fd::BorrowedFd<'_>,
    set: u64,
    clear: u64,
    recursive: bool,
) -> Result<(), Errno> {
    use rustix::fd::AsRawFd;
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clear,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = nr::AT_EMPTY_PATH | if recursive { nr::AT_RECURSIVE } else { 0 };
    // SAFETY: the kernel reads the NUL-terminated empty path (a static) and the 32-byte `attr`, a live
    // local; it changes flags of the mount behind `fd`, which the caller borrows, and no memory of ours.
    unsafe {
        syscall6(
            nr::__NR_mount_setattr,
            fd.as_raw_fd() as usize,
            c"".as_ptr() as usize,
            flags as usize,
            (&raw const attr) as usize,
            size_of::<MountAttr>(),
            0,
        )
    }
    .map(drop)
}

/// `clone(SIGCHLD, 0, NULL, NULL, 0)`: fork. Returns 0 in the child and the child's pid in the parent.
///
/// # Safety
///
/// See [`crate::process::fork`]: in the child only async-signal-safe raw syscalls are allowed until
/// `execve` or `exit_group`.
pub(crate) unsafe fn clone_fork() -> Result<usize, Errno> {
    // SAFETY: with a null stack the child runs on a copy of this stack in a copy of the address space, as
    // after fork(2); the caller upholds the restrictions on what the child may do.
    unsafe { syscall6(nr::__NR_clone, nr::SIGCHLD as usize, 0, 0, 0, 0, 0) }
}

/// `execve(path, argv, envp)`. Returns only on failure.
///
/// # Safety
///
/// `path` must point at a NUL-terminated string, `argv` and `envp` at null-terminated arrays of pointers to
/// NUL-terminated strings, all readable for the duration of the call.
pub(crate) unsafe fn execve(path: *const u8, argv: *const *const u8, envp: *const *const u8) -> Errno {
    // SAFETY: forwarded from the caller; on success the call does not return.
    match unsafe { syscall3(nr::__NR_execve, path as usize, argv as usize, envp as usize) } {
        Err(errno) => errno,
        // execve returns only on failure; a success value here would be a kernel bug.
        Ok(_) => Errno::NOEXEC,
    }
}

/// `exit_group(code)`: ends every thread of the process with exit status `code & 0xff`.
pub(crate) fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group cannot fail and never returns; ending the process without unwinding or running
    // destructors is sound.
    unsafe { arch::syscall1_noreturn(nr::__NR_exit_group as usize, code as usize) }
}
