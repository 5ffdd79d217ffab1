//! The answers a handler can give: [`Answer`] for a call whose memory was not read, [`CheckedAnswer`] (no
//! `Continue`) for one whose memory was.

use rustix::fd::OwnedFd;
use rustix::io::Errno;
use std::fmt;

/// The answer to a call whose memory was not read.
#[derive(Debug)]
pub enum Answer {
    /// Let the syscall run as if the filter had allowed it (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, 5.5+).
    Continue,
    /// Fail the syscall with this errno.
    Errno(Errno),
    /// Return this value (a value in `-4095..=-1` reads as an errno to the target: use [`Answer::Errno`]).
    Value(i64),
    /// Install `fd` in the target and return its number there (`ADDFD` with `SEND` on 5.14+, else `ADDFD`
    /// then `SEND`). `cloexec` sets close-on-exec on the target's copy.
    InjectFd {
        /// The supervisor's fd to install.
        fd: OwnedFd,
        /// Close-on-exec in the target.
        cloexec: bool,
    },
    /// Kill the calling process (SIGKILL), then fail the syscall with `EPERM` in case the kill came late.
    Kill,
    /// The handler did the syscall's work itself; this is its result (a value or an errno).
    Emulated(Result<i64, Errno>),
}

/// The answer to a call whose memory was read: every [`Answer`] but `Continue`, since the target may have
/// rewritten its memory between the read and the kernel's own read (see the crate documentation).
#[derive(Debug)]
pub enum CheckedAnswer {
    /// Fail the syscall with this errno.
    Errno(Errno),
    /// Return this value.
    Value(i64),
    /// Install `fd` in the target and return its number there.
    InjectFd {
        /// The supervisor's fd to install.
        fd: OwnedFd,
        /// Close-on-exec in the target.
        cloexec: bool,
    },
    /// Kill the calling process.
    Kill,
    /// The handler did the work; this is its result.
    Emulated(Result<i64, Errno>),
}

impl From<CheckedAnswer> for Answer {
    fn from(answer: CheckedAnswer) -> Answer {
        match answer {
            CheckedAnswer::Errno(errno) => Answer::Errno(errno),
            CheckedAnswer::Value(value) => Answer::Value(value),
            CheckedAnswer::InjectFd { fd, cloexec } => Answer::InjectFd { fd, cloexec },
            CheckedAnswer::Kill => Answer::Kill,
            CheckedAnswer::Emulated(result) => Answer::Emulated(result),
        }
    }
}

/// An errno as answers and log lines show it: its name when core's table knows it (`EACCES`), else its
/// number; never the system's message with ` (os error N)` that `Errno`'s own `Display` gives.
///
/// ```
/// use seccomp_supervisor::{Errno, ErrnoName};
/// assert_eq!(format!("open failed: {}", ErrnoName(Errno::ACCESS)), "open failed: EACCES");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrnoName(pub Errno);

impl fmt::Display for ErrnoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.0.raw_os_error();
        match u16::try_from(raw).ok().and_then(seccomp_core::errno::name) {
            Some(name) => f.write_str(name),
            None => write!(f, "{raw}"),
        }
    }
}

impl fmt::Display for Answer {
    /// The answer as logs show it: `continue`, `errno(EACCES)`, `value(3)`, `inject-fd`, `kill`,
    /// `emulated(0)`, `emulated(errno(ENOENT))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Continue => f.write_str("continue"),
            Answer::Errno(errno) => {
                f.write_str("errno(")?;
                write!(f, "{}", ErrnoName(*errno))?;
                f.write_str(")")
            }
            Answer::Value(value) => write!(f, "value({value})"),
            Answer::InjectFd { .. } => f.write_str("inject-fd"),
            Answer::Kill => f.write_str("kill"),
            Answer::Emulated(Ok(value)) => write!(f, "emulated({value})"),
            Answer::Emulated(Err(errno)) => {
                f.write_str("emulated(errno(")?;
                write!(f, "{}", ErrnoName(*errno))?;
                f.write_str("))")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_display_as_the_logs_show_them() {
        assert_eq!(Answer::Continue.to_string(), "continue");
        assert_eq!(Answer::Errno(Errno::ACCESS).to_string(), "errno(EACCES)");
        assert_eq!(Answer::Value(-3).to_string(), "value(-3)");
        assert_eq!(
            Answer::Emulated(Err(Errno::NOENT)).to_string(),
            "emulated(errno(ENOENT))"
        );
        assert_eq!(Answer::from(CheckedAnswer::Kill).to_string(), "kill");
    }

    #[test]
    fn errnos_show_by_name_without_the_os_error_suffix() {
        let text = format!("mount /x failed: {}", ErrnoName(Errno::ACCESS));
        assert_eq!(text, "mount /x failed: EACCES");
        assert!(!text.contains("os error"));
        assert_eq!(ErrnoName(Errno::from_raw_os_error(4000)).to_string(), "4000");
        assert_eq!(Answer::Errno(Errno::PERM).to_string(), "errno(EPERM)");
    }
}
