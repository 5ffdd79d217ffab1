//! `connect` and `bind` done for the target on its own socket.
//!
//! The socket is the target's: `pidfd_getfd` gives the supervisor a second fd for the same open file
//! description, so the connection, the bound address, `O_NONBLOCK` and the network namespace are the
//! target's. The address is the snapshot read once from the target's memory, passed to the kernel as
//! those bytes, except for a unix socket path, which is resolved for the target: `connect` opens the
//! socket file `O_PATH` within the [`Scope`] (symlinks followed but never out of an allowed tree) and
//! connects to `/proc/thread-self/fd/N`; `bind` opens the parent directory within the scope and binds
//! `/proc/thread-self/fd/N/NAME` (so NAME may be at most 81 bytes: `ENAMETOOLONG` beyond). Both run with
//! the target's credentials (and, for `bind`, its umask), so the socket file's permissions and
//! privileged ports are checked against the target.
//!
//! A unix path is a path only for a unix socket: any other socket (inet, inet6, ...) never looks it up
//! and refuses it by its own rules (`EINVAL` when shorter than its own family's address, else
//! `EAFNOSUPPORT`), so it is handed the bytes as they were, like any address that is not a unix path.
//! Lengths the kernel refuses for a family ([`SockAddr::parse`]) are handed over the same way, and the
//! kernel answers them with its own errno.
//!
//! A blocking `connect` blocks the worker thread that does it, as it would have blocked the target.
//!
//! # Safety
//!
//! One `unsafe` call: rustix's `SocketAddrAny::read`, which copies `len` bytes from a buffer. The
//! buffer is a `sockaddr_storage`-sized byte array that holds at least `len` initialized bytes; the
//! kernel validates the address itself, as it would have validated the target's.
#![allow(unsafe_code)]

use super::fs::{self, FsOp, Split};
use super::{Outcome, RequestError, Scope, as_target, fd_link, open_dir_in, open_path_in, read_error};
use crate::answer::CheckedAnswer;
use crate::call::{Call, Inspected};
use crate::memory::{SOCKADDR_MAX, SockAddr};
use crate::path::{self, Lexical};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::OFlags;
use rustix::io::Errno;
use rustix::net::addr::SocketAddrStorage;
use rustix::net::{SocketAddrAny, SocketAddrUnix};

/// Which socket syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockOp {
    /// `connect(fd, addr, len)`.
    Connect,
    /// `bind(fd, addr, len)`.
    Bind,
}

/// A decoded `connect` or `bind`: the target's socket (already taken) and the address read once.
#[derive(Debug)]
pub struct SockRequest {
    /// Which syscall.
    pub op: SockOp,
    /// The fd number in the target.
    pub fd: i32,
    /// The address, decoded.
    pub addr: SockAddr,
    bytes: Vec<u8>,
    socket: OwnedFd,
    /// Whether `socket` is an `AF_UNIX` socket, the only kind that looks up a unix path.
    unix_socket: bool,
}

impl PartialEq for SockRequest {
    fn eq(&self, other: &SockRequest) -> bool {
        self.op == other.op && self.fd == other.fd && self.bytes == other.bytes
    }
}

impl Eq for SockRequest {}

/// Whether `fd` is a socket.
fn is_socket(fd: &OwnedFd) -> Result<bool, Errno> {
    let stat = rustix::fs::fstat(fd)?;
    Ok(rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Socket)
}

impl SockRequest {
    /// Takes the target's socket and reads the address, in the kernel's order: the fd first (`EBADF`;
    /// for `bind` also `ENOTSOCK`), then the length (`EINVAL` beyond `sockaddr_storage`), then the bytes
    /// (`EFAULT`).
    pub fn read(call: &mut Inspected<'_>) -> Result<SockRequest, RequestError> {
        let args = call.call().args();
        let op = match call.call().name() {
            Some("connect") => SockOp::Connect,
            Some("bind") => SockOp::Bind,
            _ => return Err(RequestError::NotEmulated),
        };
        let fd = args[0] as i32;
        if fd < 0 {
            return Err(RequestError::Errno(Errno::BADF));
        }
        let pidfd = call.call().pidfd().map_err(|_| RequestError::Gone)?;
        let socket = match seccomp_sys::fdpass::pidfd_getfd(pidfd.as_fd(), fd) {
            Ok(socket) => socket,
            Err(Errno::BADF) => return Err(RequestError::Errno(Errno::BADF)),
            Err(_) => return Err(RequestError::Gone),
        };
        if op == SockOp::Bind && !is_socket(&socket).map_err(RequestError::Errno)? {
            return Err(RequestError::Errno(Errno::NOTSOCK));
        }
        let len = args[2] as u32 as i32;
        if !(0..=SOCKADDR_MAX as i32).contains(&len) {
            return Err(RequestError::Errno(Errno::INVAL));
        }
        let bytes = if len == 0 {
            Vec::new()
        } else {
            call.read_bytes(args[1], len as usize).map_err(read_error)?
        };
        if op == SockOp::Connect && !is_socket(&socket).map_err(RequestError::Errno)? {
            return Err(RequestError::Errno(Errno::NOTSOCK));
        }
        let unix_socket = rustix::net::sockopt::socket_domain(&socket).map_err(RequestError::Errno)?
            == rustix::net::AddressFamily::UNIX;
        Ok(SockRequest {
            op,
            fd,
            addr: SockAddr::parse(&bytes),
            bytes,
            socket,
            unix_socket,
        })
    }

    /// The unix path the socket would look up, if any: a unix path address given to a unix socket.
    fn unix_path_name(&self) -> Option<&[u8]> {
        match &self.addr {
            SockAddr::UnixPath(name) if self.unix_socket => Some(name),
            _ => None,
        }
    }

    /// The unix socket path resolved for the target (`None` for any other address, and for a unix
    /// path given to a socket that is not a unix one, which never looks it up).
    pub fn resolve(&self, call: &Call<'_>) -> Result<Option<Lexical>, Errno> {
        match self.unix_path_name() {
            Some(name) => Ok(Some(path::resolve(call, path::AT_FDCWD, name)?)),
            None => Ok(None),
        }
    }

    /// Does the syscall for the target within `scope`: a unix path given to a unix socket is resolved
    /// inside the scope; any other address is acted on only in [`Scope::Root`] (a path scope does not
    /// cover it), by handing the kernel the bytes as the target passed them.
    pub fn perform(&self, call: &Call<'_>, scope: Scope<'_>) -> Outcome {
        let result = match self.unix_path_name() {
            Some(name) => return self.unix_path(call, name, scope),
            None if scope != Scope::Root => return Outcome::Outside,
            None if self.bytes.len() < 2 => Err(Errno::INVAL),
            None => {
                let addr = self.raw_addr();
                as_target(call, false, || match self.op {
                    SockOp::Connect => rustix::net::connect(&self.socket, &addr),
                    SockOp::Bind => rustix::net::bind(&self.socket, &addr),
                })
                .and_then(|result| result)
            }
        };
        done(result)
    }

    /// The address exactly as the target passed it.
    fn raw_addr(&self) -> SocketAddrAny {
        let mut buf = [0u8; core::mem::size_of::<SocketAddrStorage>()];
        let len = self.bytes.len().min(buf.len());
        buf[..len].copy_from_slice(&self.bytes[..len]);
        // SAFETY: `buf` holds `len` (2..=128) initialized bytes, at most sizeof(sockaddr_storage); the
        // function copies them byte by byte (no alignment needed); the kernel validates the contents.
        unsafe { SocketAddrAny::read(buf.as_ptr().cast::<SocketAddrStorage>(), len as u32) }
    }

    fn unix_path(&self, call: &Call<'_>, name: &[u8], scope: Scope<'_>) -> Outcome {
        let split = match fs::split(call, path::AT_FDCWD, name) {
            Ok(Some(split)) => split,
            Ok(None) => return done(Err(Errno::INVAL)),
            Err(Errno::XDEV) => return Outcome::Outside,
            Err(errno) => return Outcome::Failed(errno),
        };
        match self.op {
            SockOp::Connect => self.connect_unix(call, &split, scope),
            SockOp::Bind => self.bind_unix(call, &split, scope),
        }
    }

    fn connect_unix(&self, call: &Call<'_>, split: &Split, scope: Scope<'_>) -> Outcome {
        let full = split.parent.join(&split.last);
        if scope != Scope::Root && !fs::in_scope(split, FsOp::Chmod(rustix::fs::Mode::empty()), scope) {
            return Outcome::Outside;
        }
        let root = match call.root() {
            Ok(root) => root,
            Err(errno) => return Outcome::Failed(errno),
        };
        let outcome = as_target(call, false, || {
            let file = match open_path_in(&root, &full, scope, OFlags::PATH) {
                Ok(fd) => fd,
                Err(outcome) => return outcome,
            };
            match SocketAddrUnix::new(fd_link(&file).as_str()) {
                Ok(addr) => done(rustix::net::connect(&self.socket, &addr)),
                Err(errno) => Outcome::Failed(errno),
            }
        });
        outcome.unwrap_or_else(Outcome::Failed)
    }

    fn bind_unix(&self, call: &Call<'_>, split: &Split, scope: Scope<'_>) -> Outcome {
        if !fs::in_scope(split, FsOp::Mkdir(rustix::fs::Mode::empty()), scope) {
            return Outcome::Outside;
        }
        let root = match call.root() {
            Ok(root) => root,
            Err(errno) => return Outcome::Failed(errno),
        };
        let outcome = as_target(call, true, || {
            let dir = match open_dir_in(&root, &split.parent, scope) {
                Ok(fd) => fd,
                Err(outcome) => return outcome,
            };
            let mut link = fd_link(&dir).into_bytes();
            link.push(b'/');
            link.extend_from_slice(&split.last);
            // sun_path holds 108 bytes with the NUL.
            if link.len() > 107 {
                return Outcome::Failed(Errno::NAMETOOLONG);
            }
            match SocketAddrUnix::new(link.as_slice()) {
                Ok(addr) => done(rustix::net::bind(&self.socket, &addr)),
                Err(errno) => Outcome::Failed(errno),
            }
        });
        outcome.unwrap_or_else(Outcome::Failed)
    }
}

fn done(result: Result<(), Errno>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done(CheckedAnswer::Emulated(Ok(0))),
        Err(errno) => Outcome::Failed(errno),
    }
}
