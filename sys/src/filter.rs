//! Installing filters: `no_new_privs`, `SECCOMP_SET_MODE_FILTER` for validated and raw programs, and strict
//! mode.
//!
//! Nothing here sets `no_new_privs` behind the caller's back: call [`set_no_new_privs`] first (or hold
//! `CAP_SYS_ADMIN`), otherwise installation fails with [`InstallError::PermissionDenied`].

use crate::flags::FilterFlags;
use crate::raw::{self, FilterReturn};
use core::fmt;
use rustix::fd::OwnedFd;
use rustix::io::Errno;
use seccomp_core::abi::SockFilter;
use seccomp_core::bpf::Validated;

/// `prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)`.
///
/// The kernel sets the calling thread's `no_new_privs` bit, which `execve` can no longer raise privileges
/// past (set-user-ID bits and file capabilities are ignored) and which children inherit; it cannot be
/// cleared. With it, an unprivileged thread may install seccomp filters. Since Linux 3.5.
///
/// # References
/// - prctl(2) (`PR_SET_NO_NEW_PRIVS`)
/// - seccomp(2)
pub fn set_no_new_privs() -> Result<(), Errno> {
    rustix::thread::set_no_new_privs(true)
}

/// `prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)`.
///
/// The kernel reports whether the calling thread's `no_new_privs` bit is set. Since Linux 3.5.
///
/// # References
/// - prctl(2) (`PR_GET_NO_NEW_PRIVS`)
pub fn no_new_privs() -> Result<bool, Errno> {
    rustix::thread::no_new_privs()
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)` for a program the validator accepted.
///
/// The kernel copies the program, checks it once more, and attaches it to the calling thread (to every
/// thread with [`FilterFlags::TSYNC`]); from then on every syscall of the thread and of its future children
/// runs it, together with all filters installed earlier. Returns the listener fd when `flags` contains
/// [`FilterFlags::NEW_LISTENER`], else `None`. Since Linux 3.17 (listener 5.0; see [`FilterFlags`] for
/// each flag).
///
/// Requires `no_new_privs` ([`set_no_new_privs`]) or `CAP_SYS_ADMIN`.
///
/// # References
/// - seccomp(2) (`SECCOMP_SET_MODE_FILTER`)
/// - seccomp_unotify(2) (`SECCOMP_FILTER_FLAG_NEW_LISTENER`)
pub fn install(program: &Validated<'_>, flags: FilterFlags) -> Result<Option<OwnedFd>, InstallError> {
    install_unvalidated(program.insns(), flags)
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)` for instructions nobody has validated.
///
/// The same call as [`install`], but the kernel is the only check: a program it rejects gives
/// [`InstallError::Invalid`]. This is the path used to cross-check the validator of `seccomp-core` against
/// the running kernel, and for programs read from elsewhere that should be judged by the kernel itself. It is
/// memory-safe for any input; the kernel never runs a program it did not accept. Since Linux 3.17.
///
/// # References
/// - seccomp(2) (`SECCOMP_SET_MODE_FILTER`)
/// - seccomp_unotify(2)
pub fn install_unvalidated(
    insns: &[SockFilter],
    flags: FilterFlags,
) -> Result<Option<OwnedFd>, InstallError> {
    match raw::seccomp_set_mode_filter(flags.bits(), insns) {
        Ok(FilterReturn::Installed) => Ok(None),
        Ok(FilterReturn::Listener(fd)) => Ok(Some(fd)),
        Ok(FilterReturn::TsyncFailed(tid)) => Err(InstallError::TsyncFailed { tid }),
        Err(errno) => Err(InstallError::from_errno(errno)),
    }
}

/// `seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL)`.
///
/// The kernel puts the calling thread in strict mode: from now on only `read`, `write`, `_exit` (not
/// `exit_group`) and `rt_sigreturn` are allowed, any other syscall kills the thread with SIGKILL. It cannot
/// be undone. Since Linux 3.17 (2.6.12 through `prctl(PR_SET_SECCOMP)`).
///
/// # References
/// - seccomp(2) (`SECCOMP_SET_MODE_STRICT`)
pub fn enter_strict_mode() -> Result<(), Errno> {
    raw::seccomp_set_mode_strict().map(drop)
}

/// Why `SECCOMP_SET_MODE_FILTER` refused a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstallError {
    /// `EACCES`: the thread has neither `no_new_privs` ([`set_no_new_privs`]) nor `CAP_SYS_ADMIN` in its user
    /// namespace.
    PermissionDenied,
    /// `EINVAL`: the kernel rejected the program (length outside 1..=4096, a disallowed instruction, a bad
    /// jump, ...) or the flags (unknown, or a combination it refuses such as TSYNC with NEW_LISTENER but
    /// without TSYNC_ESRCH).
    Invalid,
    /// `ENOMEM`: the thread's filter chain would exceed the kernel's 32768-instruction path budget, or the
    /// kernel is out of memory. The budget counts programs after the kernel's conversion to eBPF, which is
    /// longer than the classic program (three prologue instructions, two per `ret`, ...), plus 4 per
    /// already-installed filter.
    PathBudgetExceeded,
    /// `EBUSY`: NEW_LISTENER was asked for but a filter in the thread's chain already has a listener.
    ListenerExists,
    /// TSYNC failed because thread `tid` has a filter chain that is not an ancestor of the caller's (or is
    /// in strict mode); nothing was installed.
    TsyncFailed {
        /// The thread that could not be synchronized.
        tid: u32,
    },
    /// `ESRCH` with TSYNC_ESRCH: some thread could not be synchronized; nothing was installed.
    TsyncFailedEsrch,
    /// `EFAULT`: the program could not be read (the kernel also answers this to a probe with no program).
    Fault,
    /// Any other errno.
    Os(Errno),
}

impl InstallError {
    /// Classifies the errno of a failed `SECCOMP_SET_MODE_FILTER`.
    pub fn from_errno(errno: Errno) -> InstallError {
        match errno {
            Errno::ACCESS => InstallError::PermissionDenied,
            Errno::INVAL => InstallError::Invalid,
            Errno::NOMEM => InstallError::PathBudgetExceeded,
            Errno::BUSY => InstallError::ListenerExists,
            Errno::SRCH => InstallError::TsyncFailedEsrch,
            Errno::FAULT => InstallError::Fault,
            other => InstallError::Os(other),
        }
    }
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::PermissionDenied => f.write_str(
                "installing the seccomp filter was refused (EACCES): the thread needs no_new_privs \
                 (set_no_new_privs) or CAP_SYS_ADMIN",
            ),
            InstallError::Invalid => {
                f.write_str("the kernel rejected the seccomp filter or its flags (EINVAL)")
            }
            InstallError::PathBudgetExceeded => {
                f.write_str("the filter chain would exceed the kernel's 32768-instruction budget (ENOMEM)")
            }
            InstallError::ListenerExists => {
                f.write_str("a filter in this thread's chain already has a notification listener (EBUSY)")
            }
            InstallError::TsyncFailed { tid } => write!(
                f,
                "TSYNC failed: thread {tid} cannot be synchronized to the new filter"
            ),
            InstallError::TsyncFailedEsrch => {
                f.write_str("TSYNC failed: some thread cannot be synchronized to the new filter (ESRCH)")
            }
            InstallError::Fault => f.write_str("the kernel could not read the filter program (EFAULT)"),
            InstallError::Os(errno) => write!(f, "installing the seccomp filter failed: {errno}"),
        }
    }
}

impl core::error::Error for InstallError {}
