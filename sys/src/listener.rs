//! The user-notification listener: the fd `SECCOMP_FILTER_FLAG_NEW_LISTENER` returns, through which a
//! supervisor receives the syscalls a filter answered with `SECCOMP_RET_USER_NOTIF` and decides them.
//!
//! The fd is pollable: readable (`POLLIN`) while a notification is pending, and `POLLHUP` once no task uses
//! the filter any more (5.9+). [`Listener`] implements `AsFd`, so a supervisor can put many listeners in one
//! `rustix::event::epoll` set, or use [`Listener::wait`] for one.
//!
//! Reading a target's memory goes through [`Listener::read_checked`] in [`crate::mem`], which hands the data
//! back only after re-validating the notification.

use crate::ioctl;
use core::fmt;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::Pid;
use seccomp_core::abi::{self, SeccompData, SeccompNotif, SeccompNotifAddfd, SeccompNotifResp};

/// A seccomp user-notification listener fd.
#[derive(Debug)]
pub struct Listener(OwnedFd);

/// One notification: a syscall of a target, parked until the supervisor responds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification(SeccompNotif);

impl Notification {
    /// Wraps a raw `struct seccomp_notif`.
    pub const fn from_raw(raw: SeccompNotif) -> Notification {
        Notification(raw)
    }

    /// The raw `struct seccomp_notif`.
    pub const fn raw(&self) -> &SeccompNotif {
        &self.0
    }

    /// The cookie that identifies this notification in responses and `ID_VALID`.
    pub const fn id(&self) -> u64 {
        self.0.id
    }

    /// The target thread's id in the listener's pid namespace; `None` if it is not visible there.
    pub fn pid(&self) -> Option<Pid> {
        i32::try_from(self.0.pid).ok().and_then(Pid::from_raw)
    }

    /// The syscall as the filter saw it.
    pub const fn data(&self) -> &SeccompData {
        &self.0.data
    }

    /// The syscall number.
    pub const fn nr(&self) -> i32 {
        self.0.data.nr
    }

    /// The `AUDIT_ARCH_*` value of the syscall's calling convention.
    pub const fn arch(&self) -> u32 {
        self.0.data.arch
    }

    /// The six syscall arguments.
    pub const fn args(&self) -> [u64; 6] {
        self.0.data.args
    }
}

/// What the supervisor answers. Only the three combinations the kernel accepts can be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    id: u64,
    reply: Reply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    Value(i64),
    Errno(Errno),
    Continue,
}

impl Response {
    /// The syscall returns `val`. A value in `-4095..=-1` reads as an errno to the target: use
    /// [`Response::errno`] to fail the syscall.
    pub const fn value(id: u64, val: i64) -> Response {
        Response {
            id,
            reply: Reply::Value(val),
        }
    }

    /// The syscall fails with `errno`.
    pub const fn errno(id: u64, errno: Errno) -> Response {
        Response {
            id,
            reply: Reply::Errno(errno),
        }
    }

    /// The syscall runs as if the filter had allowed it (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, 5.5+).
    ///
    /// Never use this to allow a syscall after checking its memory arguments: the target can change them
    /// between the check and the real call (seccomp_unotify(2), "Caveats").
    pub const fn continue_syscall(id: u64) -> Response {
        Response {
            id,
            reply: Reply::Continue,
        }
    }

    /// The notification this answers.
    pub const fn id(&self) -> u64 {
        self.id
    }

    /// The raw `struct seccomp_notif_resp`.
    pub fn to_raw(&self) -> SeccompNotifResp {
        let (val, error, flags) = match self.reply {
            Reply::Value(val) => (val, 0, 0),
            Reply::Errno(errno) => (0, -errno.raw_os_error(), 0),
            Reply::Continue => (0, 0, abi::USER_NOTIF_FLAG_CONTINUE),
        };
        SeccompNotifResp {
            id: self.id,
            val,
            error,
            flags,
        }
    }
}

/// How to install a supervisor fd into the target with [`Listener::add_fd`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddFd {
    /// The fd number to use in the target (`SECCOMP_ADDFD_FLAG_SETFD`, replacing what is there), or `None`
    /// for the lowest free number.
    pub target: Option<u32>,
    /// Set close-on-exec on the new fd in the target.
    pub cloexec: bool,
    /// Also answer the notification with the new fd number, atomically (`SECCOMP_ADDFD_FLAG_SEND`, 5.14+).
    pub send: bool,
}

/// Flags of the listener fd itself (`SECCOMP_IOCTL_NOTIF_SET_FLAGS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListenerFlags(u64);

impl ListenerFlags {
    /// No flags.
    pub const EMPTY: ListenerFlags = ListenerFlags(0);
    /// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (6.6+): wake the other side on the current CPU; helps one
    /// supervisor ping-ponging with one target.
    pub const SYNC_WAKE_UP: ListenerFlags = ListenerFlags(abi::USER_NOTIF_FD_SYNC_WAKE_UP);

    /// The flags from raw bits, keeping bits this crate does not know (the kernel refuses them).
    pub const fn from_bits_retain(bits: u64) -> ListenerFlags {
        ListenerFlags(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }
}

/// What [`Listener::wait`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Readiness {
    /// A notification is pending: [`Listener::recv`] will not block (unless another thread takes it).
    pub pending: bool,
    /// No task uses the filter any more (5.9+): no notification will ever come.
    pub hangup: bool,
}

/// Why [`Listener::recv`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecvError {
    /// `ENOENT`: the target went away (killed, or its syscall interrupted by a signal) between the wakeup and
    /// the receive. Not fatal: receive again.
    TargetGone,
    /// `EINVAL`: the kernel refused the request (its notification struct is larger than this crate's).
    Invalid,
    /// Any other errno.
    Os(Errno),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::TargetGone => {
                f.write_str("the notifying task went away before the notification was received (ENOENT)")
            }
            RecvError::Invalid => f.write_str("the kernel refused SECCOMP_IOCTL_NOTIF_RECV (EINVAL)"),
            RecvError::Os(errno) => write!(f, "SECCOMP_IOCTL_NOTIF_RECV failed: {errno}"),
        }
    }
}

impl core::error::Error for RecvError {}

/// Why [`Listener::respond`] or [`Listener::add_fd`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyError {
    /// `ENOENT`: the notification is no longer outstanding (the target was killed, a signal interrupted
    /// the syscall, or it was already answered).
    NotificationGone,
    /// `EINPROGRESS`: the notification exists but is not awaiting an answer: it has not been received yet,
    /// or it was just answered and the target has not resumed (a second answer gives this or
    /// [`ReplyError::NotificationGone`], depending on the race).
    NotAwaitingReply,
    /// `EINVAL`: the kernel does not accept this request (for example CONTINUE before 5.5, ADDFD before 5.9,
    /// ADDFD's SEND flag before 5.14).
    Unsupported,
    /// Any other errno (`EBADF` for a bad source fd, `EMFILE` when the target has no free fd, ...).
    Os(Errno),
}

impl ReplyError {
    fn from_errno(errno: Errno) -> ReplyError {
        match errno {
            Errno::NOENT => ReplyError::NotificationGone,
            Errno::INPROGRESS => ReplyError::NotAwaitingReply,
            Errno::INVAL | Errno::NOTTY => ReplyError::Unsupported,
            other => ReplyError::Os(other),
        }
    }
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::NotificationGone => f.write_str("the notification is no longer outstanding (ENOENT)"),
            ReplyError::NotAwaitingReply => f.write_str(
                "the notification is not awaiting an answer: not received yet, or already answered (EINPROGRESS)",
            ),
            ReplyError::Unsupported => f.write_str("the kernel does not accept this notification request (EINVAL)"),
            ReplyError::Os(errno) => write!(f, "answering the notification failed: {errno}"),
        }
    }
}

impl core::error::Error for ReplyError {}

impl From<OwnedFd> for Listener {
    fn from(fd: OwnedFd) -> Listener {
        Listener(fd)
    }
}

impl From<Listener> for OwnedFd {
    fn from(listener: Listener) -> OwnedFd {
        listener.0
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl Listener {
    /// `ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &notif)`.
    ///
    /// The kernel blocks until a notification is pending, then fills a zeroed `struct seccomp_notif` with
    /// it and marks it received. Each call uses a fresh zeroed buffer (required since 5.5) and retries on
    /// `EINTR`. The kernel ignores `O_NONBLOCK` here: wait for readiness first ([`Listener::wait`] or epoll)
    /// to avoid blocking. Since Linux 5.0.
    ///
    /// # References
    /// - seccomp_unotify(2) (`SECCOMP_IOCTL_NOTIF_RECV`)
    pub fn recv(&self) -> Result<Notification, RecvError> {
        loop {
            let mut notif = SeccompNotif::default();
            match ioctl::recv(self.0.as_fd(), &mut notif) {
                Ok(()) => return Ok(Notification(notif)),
                Err(Errno::INTR) => continue,
                Err(Errno::NOENT) => return Err(RecvError::TargetGone),
                Err(Errno::INVAL) => return Err(RecvError::Invalid),
                Err(errno) => return Err(RecvError::Os(errno)),
            }
        }
    }

    /// `ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp)`.
    ///
    /// The kernel completes the target's parked syscall with the response: a return value, an errno, or
    /// (with CONTINUE, 5.5+) by running the syscall for real. A notification can be answered once. Since
    /// Linux 5.0.
    ///
    /// # References
    /// - seccomp_unotify(2) (`SECCOMP_IOCTL_NOTIF_SEND`)
    pub fn respond(&self, response: Response) -> Result<(), ReplyError> {
        ioctl::send(self.0.as_fd(), &response.to_raw()).map_err(ReplyError::from_errno)
    }

    /// `ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id)`.
    ///
    /// The kernel reports whether notification `id` is still outstanding: `Ok(false)` once the target was
    /// killed or interrupted or the notification was answered. Tries the 5.9 ioctl number first and falls
    /// back to the 5.0 number (`0x80082102`) when the kernel does not know it. Since Linux 5.0.
    ///
    /// # References
    /// - seccomp_unotify(2) (`SECCOMP_IOCTL_NOTIF_ID_VALID`)
    pub fn id_valid(&self, id: u64) -> Result<bool, Errno> {
        let result = match ioctl::id_valid(self.0.as_fd(), id, false) {
            Err(Errno::INVAL | Errno::NOTTY) => ioctl::id_valid(self.0.as_fd(), id, true),
            other => other,
        };
        match result {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(errno) => Err(errno),
        }
    }

    /// `ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd)`.
    ///
    /// The kernel installs a duplicate of `source` (an fd of the caller) in the target of notification `id`
    /// and returns its number there. With [`AddFd::send`] it also answers the notification with that number,
    /// atomically, so the target's syscall returns the new fd (5.14+). Since Linux 5.9.
    ///
    /// # References
    /// - seccomp_unotify(2) (`SECCOMP_IOCTL_NOTIF_ADDFD`)
    pub fn add_fd(&self, id: u64, source: BorrowedFd<'_>, how: AddFd) -> Result<i32, ReplyError> {
        let mut flags = 0;
        if how.target.is_some() {
            flags |= abi::ADDFD_FLAG_SETFD;
        }
        if how.send {
            flags |= abi::ADDFD_FLAG_SEND;
        }
        let srcfd = u32::try_from(rustix::fd::AsRawFd::as_raw_fd(&source))
            .map_err(|_| ReplyError::Os(Errno::BADF))?;
        let request = SeccompNotifAddfd {
            id,
            flags,
            srcfd,
            newfd: how.target.unwrap_or(0),
            newfd_flags: if how.cloexec {
                linux_raw_sys::general::O_CLOEXEC
            } else {
                0
            },
        };
        ioctl::addfd(self.0.as_fd(), &request).map_err(ReplyError::from_errno)
    }

    /// `ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags)`.
    ///
    /// The kernel sets the listener's flags; [`ListenerFlags::SYNC_WAKE_UP`] makes it wake the target on the
    /// current CPU when answering. Kernels before 6.6 answer `EINVAL`. Since Linux 6.6.
    ///
    /// # References
    /// - seccomp_unotify(2), the kernel's `include/uapi/linux/seccomp.h`
    pub fn set_flags(&self, flags: ListenerFlags) -> Result<(), Errno> {
        ioctl::set_flags(self.0.as_fd(), flags.bits())
    }

    /// `ioctl(fd, FIONBIO, &nonblocking)`.
    ///
    /// The kernel sets or clears `O_NONBLOCK` on the listener's open file. This affects `read`-style
    /// readiness users (epoll edge cases, shared fds) but not [`Listener::recv`], which the kernel lets block
    /// regardless; wait for readiness before receiving. Since Linux 2.0.
    ///
    /// # References
    /// - ioctl(2), fcntl(2) (`O_NONBLOCK`)
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<(), Errno> {
        rustix::io::ioctl_fionbio(&self.0, nonblocking)
    }

    /// `poll(&{fd, POLLIN}, 1, timeout)`.
    ///
    /// The kernel waits until a notification is pending, no task uses the filter any more (`POLLHUP`, 5.9+),
    /// or `timeout` passes (`None` waits forever); `EINTR` is retried with the full timeout. An empty
    /// [`Readiness`] means the timeout passed. Since Linux 5.0.
    ///
    /// # References
    /// - poll(2), seccomp_unotify(2) ("poll")
    pub fn wait(&self, timeout: Option<&Timespec>) -> Result<Readiness, Errno> {
        loop {
            let mut fds = [PollFd::new(&self.0, PollFlags::IN)];
            match rustix::event::poll(&mut fds, timeout) {
                Ok(_) => {
                    let events = fds[0].revents();
                    return Ok(Readiness {
                        pending: events.contains(PollFlags::IN),
                        hangup: events.contains(PollFlags::HUP),
                    });
                }
                Err(Errno::INTR) => continue,
                Err(errno) => return Err(errno),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_response_maps_to_the_one_raw_form_the_kernel_accepts() {
        let raw = |response: Response| {
            let r = response.to_raw();
            (r.id, r.val, r.error, r.flags)
        };
        assert_eq!(raw(Response::value(7, -3)), (7, -3, 0, 0));
        assert_eq!(raw(Response::errno(8, Errno::PERM)), (8, 0, -1, 0));
        assert_eq!(
            raw(Response::continue_syscall(9)),
            (9, 0, 0, abi::USER_NOTIF_FLAG_CONTINUE)
        );
    }

    #[test]
    fn reply_errors_classify_the_kernels_errnos() {
        assert_eq!(ReplyError::from_errno(Errno::NOENT), ReplyError::NotificationGone);
        assert_eq!(
            ReplyError::from_errno(Errno::INPROGRESS),
            ReplyError::NotAwaitingReply
        );
        assert_eq!(ReplyError::from_errno(Errno::INVAL), ReplyError::Unsupported);
        assert_eq!(ReplyError::from_errno(Errno::MFILE), ReplyError::Os(Errno::MFILE));
    }
}
