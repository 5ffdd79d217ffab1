//! Moving fds between processes: `pidfd_getfd` (5.6+) to take an fd out of another process, and
//! `SCM_RIGHTS` over a Unix socket pair for older kernels or when the sender cooperates (a forked child
//! handing its new listener to the supervisor, as init systems do).
//!
//! No allocation: the control-message buffers live on the stack.

use core::fmt;
use core::mem::MaybeUninit;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::{Errno, IoSlice, IoSliceMut};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType,
};
use rustix::process::{Pid, PidfdFlags, PidfdGetfdFlags};

/// `pidfd_open(pid, 0)`.
///
/// The kernel returns an fd that refers to process `pid` itself, immune to pid reuse; it becomes readable
/// when the process exits. Since Linux 5.3.
///
/// # References
/// - pidfd_open(2)
pub fn pidfd_open(pid: Pid) -> Result<OwnedFd, Errno> {
    rustix::process::pidfd_open(pid, PidfdFlags::empty())
}

/// `pidfd_getfd(pidfd, targetfd, 0)`.
///
/// The kernel duplicates fd `targetfd` of the process behind `pidfd` into the caller (close-on-exec set),
/// like `SCM_RIGHTS` without the other process's cooperation. Needs ptrace access to it
/// (`PTRACE_MODE_ATTACH_REALCREDS`). Since Linux 5.6.
///
/// # References
/// - pidfd_getfd(2)
pub fn pidfd_getfd(pidfd: BorrowedFd<'_>, targetfd: i32) -> Result<OwnedFd, Errno> {
    rustix::process::pidfd_getfd(pidfd, targetfd, PidfdGetfdFlags::empty())
}

/// [`pidfd_open`] then [`pidfd_getfd`]: a copy of fd `targetfd` of process `pid`. Since Linux 5.6.
///
/// # References
/// - pidfd_open(2), pidfd_getfd(2)
pub fn take_fd(pid: Pid, targetfd: i32) -> Result<OwnedFd, Errno> {
    let pidfd = pidfd_open(pid)?;
    pidfd_getfd(pidfd.as_fd(), targetfd)
}

/// `socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds)`.
///
/// The kernel creates two connected Unix sockets that keep message boundaries, for [`send_fd`] and
/// [`recv_fd`]. Close-on-exec is set; a forked child still has both. Since Linux 2.6.4.
///
/// # References
/// - socketpair(2), unix(7)
pub fn socketpair() -> Result<(OwnedFd, OwnedFd), Errno> {
    rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
}

/// `sendmsg(socket, {1 byte, SCM_RIGHTS [fd]}, MSG_NOSIGNAL)`.
///
/// The kernel sends one data byte with a duplicate of `fd` attached; the receiver gets a new fd for the
/// same open file. Since Linux 2.2.
///
/// # References
/// - sendmsg(2), unix(7) (`SCM_RIGHTS`), cmsg(3)
pub fn send_fd(socket: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [fd];
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(Errno::NOBUFS);
    }
    loop {
        match rustix::net::sendmsg(socket, &[IoSlice::new(b"F")], &mut control, SendFlags::NOSIGNAL) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => continue,
            Err(errno) => return Err(errno),
        }
    }
}

/// Why [`recv_fd`] got no fd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecvFdError {
    /// The other end was closed without sending.
    Closed,
    /// A message arrived without an fd attached.
    NoFd,
    /// `recvmsg` failed.
    Os(Errno),
}

impl fmt::Display for RecvFdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvFdError::Closed => f.write_str("the peer closed the socket without sending an fd"),
            RecvFdError::NoFd => f.write_str("a message arrived without an SCM_RIGHTS fd"),
            RecvFdError::Os(errno) => write!(f, "receiving an fd failed: {errno}"),
        }
    }
}

impl core::error::Error for RecvFdError {}

/// `recvmsg(socket, {1 byte, control}, MSG_CMSG_CLOEXEC)`, keeping the first `SCM_RIGHTS` fd.
///
/// The kernel delivers the next message and installs the fds attached to it, close-on-exec; extra fds
/// are closed. Blocks until a message arrives or the peer closes. Since Linux 2.2 (`MSG_CMSG_CLOEXEC`
/// 2.6.23).
///
/// # References
/// - recvmsg(2), unix(7) (`SCM_RIGHTS`), cmsg(3)
pub fn recv_fd(socket: BorrowedFd<'_>) -> Result<OwnedFd, RecvFdError> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    let received = loop {
        let mut iov = [IoSliceMut::new(&mut byte)];
        match rustix::net::recvmsg(socket, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Ok(received) => break received,
            Err(Errno::INTR) => continue,
            Err(errno) => return Err(RecvFdError::Os(errno)),
        }
    };
    let mut found = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            for fd in fds {
                if found.is_none() {
                    found = Some(fd);
                }
                // Any further fd is dropped (closed) here.
            }
        }
    }
    match found {
        Some(fd) => Ok(fd),
        None if received.bytes == 0 => Err(RecvFdError::Closed),
        None => Err(RecvFdError::NoFd),
    }
}
