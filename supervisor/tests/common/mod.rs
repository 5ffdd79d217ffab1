//! Test support for the supervisor's kernel-facing tests: forked targets that install a notifying filter
//! and hand their listener over, shared memory to report from them, syscalls made raw from a prepared
//! table, and a one-listener supervisor run.
//!
//! Every filter is installed in a forked child, never in the test harness (which is the supervisor).
//! Tests in one binary are serialized ([`serial`]) so that no child inherits another test's listener.
//! The children may only make raw syscalls and touch memory prepared before the fork.
#![allow(dead_code)] // Each test binary uses a different part of this module.

use seccomp_core::abi::{self, SockFilter, offset};
use seccomp_core::arch::Arch;
use seccomp_core::bpf::insn::{BPF_JEQ, BPF_JMP, BPF_K};
use seccomp_supervisor::{Context, Handler, Supervisor};
#[allow(unused_imports)] // Each test binary (and cli/tests/handlers_rules.rs) uses a different part.
pub use seccomp_test_support::{
    Child, INSTALL_FAILED, ListenerChild, Outcome, Shared, encode, serial, spawn, thread,
};
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Prints a visible skip line and returns from the test ([`seccomp_test_support::skip!`]).
#[macro_export]
macro_rules! skip {
    ($($what:tt)*) => {
        seccomp_test_support::skip!($($what)*)
    };
}

/// The native architecture.
pub fn native() -> Arch {
    Arch::native().expect("a supported architecture")
}

/// The native number of syscall `name` (`None`: this architecture has no such syscall).
pub fn nr(name: &str) -> Option<u32> {
    native().syscall_nr(name)
}

/// How long a child may run before it is killed as hung; generous because the machine is shared.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

/// The errno name of an encoded result (`ok(N)` for a success), for assertion messages.
pub fn show(result: i64) -> String {
    if result >= 0 {
        return format!("ok({result})");
    }
    let raw = (-result) as u16;
    seccomp_core::errno::name(raw).map_or_else(|| format!("errno {raw}"), str::to_owned)
}

/// A filter that notifies the native syscalls `numbers` and allows every other one; a foreign arch is
/// killed.
pub fn notify_filter(numbers: &[u32]) -> Vec<SockFilter> {
    let audit = native().audit();
    let mut insns = vec![
        SockFilter::load_data(offset::ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, audit, 1, 0),
        SockFilter::ret(abi::RET_KILL_PROCESS),
        SockFilter::load_data(offset::NR),
    ];
    let n = numbers.len();
    for (i, &number) in numbers.iter().enumerate() {
        // Jump to the notify return (after the remaining comparisons and the allow) on a match.
        let to_notify = (n - i) as u8;
        insns.push(SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, number, to_notify, 0));
    }
    insns.push(SockFilter::ret(abi::RET_ALLOW));
    insns.push(SockFilter::ret(abi::RET_USER_NOTIF));
    insns
}

/// Forks a child that runs `prepare` (privileged setup: chroot, unshare, setuid, ...; a non-zero
/// result is its exit code), installs `filter` with `NEW_LISTENER`, sends the listener to the parent,
/// closes both socket ends (the target gets the fd table an unsupervised child would have: fd numbers are
/// compared), and then runs `body`. Returns the child and the listener, or the child's outcome when no
/// listener arrived.
///
/// # Safety
///
/// As for [`spawn`]: `prepare` and `body` may only make raw syscalls and touch memory prepared before
/// the fork.
pub unsafe fn spawn_with_listener(
    filter: &[SockFilter],
    prepare: impl FnOnce() -> i32,
    body: impl FnOnce() -> i32,
) -> (Child, Result<seccomp_sys::Listener, Outcome>) {
    let program = seccomp_core::bpf::validate(filter).expect("the test filter validates");
    let setup = ListenerChild {
        program: &program,
        flags: seccomp_sys::FilterFlags::EMPTY,
        close_socket: true,
        timeout: CHILD_TIMEOUT,
    };
    // SAFETY: forwarded from the caller.
    unsafe { seccomp_test_support::spawn_with_listener(&setup, prepare, body) }
}

/// Runs a target under `filter`, serving its listener with `handler` on two workers until it exits.
///
/// # Safety
///
/// As for [`spawn_with_listener`].
pub unsafe fn supervised(
    filter: &[SockFilter],
    handler: impl Handler,
    prepare: impl FnOnce() -> i32,
    body: impl FnOnce() -> i32,
) -> Outcome {
    // SAFETY: forwarded from the caller.
    let (child, listener) = unsafe { spawn_with_listener(filter, prepare, body) };
    let listener = match listener {
        Ok(listener) => listener,
        Err(outcome) => return outcome,
    };
    let supervisor = Supervisor::new(handler, 2);
    supervisor.add(listener, Context::new("test").with_pid(child.pid()));
    let outcome = child.wait_within(CHILD_TIMEOUT);
    supervisor.wait_all_hung_up();
    supervisor.shutdown();
    outcome
}

/// A fresh directory under the temp dir, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/seccomp-supervisor-NAME-PID`, mode 0755 (so unprivileged targets can enter it).
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("seccomp-supervisor-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path below it, as a C string.
    pub fn c(&self, relative: &str) -> CString {
        cstr(&self.path.join(relative))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A path as a C string.
pub fn cstr(path: &Path) -> CString {
    use std::os::unix::ffi::OsStrExt as _;
    CString::new(path.as_os_str().as_bytes()).expect("no NUL in test paths")
}

/// The address of a C string, as a syscall argument.
pub fn ptr(s: &CStr) -> usize {
    s.as_ptr() as usize
}

/// A syscall made raw from a table prepared before the fork: number and up to five arguments (the fifth
/// only for `renameat2`, made through rustix since `seccomp-sys` makes at most four raw).
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// The syscall number.
    pub nr: u32,
    /// The arguments.
    pub args: [usize; 5],
}

impl Op {
    /// `name(args...)`; `None` when this architecture has no such syscall.
    pub fn new(name: &str, args: &[usize]) -> Option<Op> {
        let mut all = [0usize; 5];
        all[..args.len()].copy_from_slice(args);
        Some(Op {
            nr: nr(name)?,
            args: all,
        })
    }

    /// Makes the syscall (in a child: raw, no allocation).
    pub fn run(&self) -> i64 {
        let a = self.args;
        if Some(self.nr) == nr("statx") {
            // SAFETY: the test prepared the path and the buffer (or deliberately bad addresses, which the
            // kernel answers with EFAULT).
            return encode(unsafe { syscall5(self.nr, a) });
        }
        if Some(self.nr) == nr("renameat2") {
            // SAFETY: the test prepared NUL-terminated strings at these addresses and dirfds that
            // stay open for the call.
            let result = unsafe {
                let old = CStr::from_ptr(a[1] as *const core::ffi::c_char);
                let new = CStr::from_ptr(a[3] as *const core::ffi::c_char);
                rustix::fs::renameat_with(
                    rustix::fd::BorrowedFd::borrow_raw(a[0] as i32),
                    old,
                    rustix::fd::BorrowedFd::borrow_raw(a[2] as i32),
                    new,
                    rustix::fs::RenameFlags::from_bits_retain(a[4] as u32),
                )
            };
            return encode(result.map(|()| 0));
        }
        // SAFETY: the test prepared every pointer argument (strings, sockaddrs) before the fork.
        encode(unsafe { seccomp_sys::raw::syscall4(self.nr, a[0], a[1], a[2], a[3]) })
    }
}

/// `AT_FDCWD` as a syscall argument.
pub const AT_FDCWD: usize = -100i64 as usize;

/// A raw five-argument syscall (`statx`), which `seccomp-sys` does not export.
///
/// # Safety
///
/// Every pointer argument must be valid for the access the call makes, or deliberately invalid.
unsafe fn syscall5(nr: u32, a: [usize; 5]) -> Result<usize, rustix::io::Errno> {
    // SAFETY: forwarded from the caller; the sixth argument is 0.
    unsafe { seccomp_test_support::raw::syscall6(nr, [a[0], a[1], a[2], a[3], a[4], 0]) }
}
