//! One runtime's message on the agent socket: the container process state as JSON with the fds it names
//! attached as `SCM_RIGHTS`, and every way it can be malformed.
//!
//! The wire format is what runc (`utils.SendFds`/`SendRawFd`) and crun (`send_fd_to_socket_with_payload`)
//! do: connect a `SOCK_STREAM` Unix socket to `listenerPath`, then one `sendmsg` whose data is the JSON
//! document (compact from runc, pretty-printed from crun; no length prefix, no terminator) and whose
//! control data is one `SCM_RIGHTS` message with the fds named by the document's `fds` array, in order.
//! runc does not close its end right after sending, so the end of the message is the end of the JSON
//! document, not the end of the stream.
//!
//! On a stream socket the kernel may split a large send, so an [`Inbox`] gathers what arrives until the bytes
//! form one complete JSON value; fds arriving in any part are kept. Then [`Inbox::finish`] checks the
//! document and the fds against each other.

use rustix::fd::{AsRawFd, BorrowedFd, OwnedFd};
use rustix::io::{Errno, IoSliceMut};
use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags};
use seccomp_oci::state::{ContainerProcessState, SECCOMP_FD_NAME};
use seccomp_sys::Listener;
use std::fmt;
use std::mem::MaybeUninit;

/// The largest message accepted, in bytes. runc's own example agent reads at most 4 KiB; a state with many
/// annotations (Kubernetes allows 256 KiB of them) can be larger, so the limit leaves room for that and
/// still bounds what one connection can make the agent hold.
pub const MAX_MESSAGE: usize = 1 << 20;

/// How many fds one `recvmsg` accepts. Runtimes send one; more than this is refused (the kernel closes the
/// ones that do not fit and reports `MSG_CTRUNC`).
pub const MAX_FDS: usize = 8;

/// What the kernel shows as the link target of a seccomp listener fd in `/proc/self/fd`.
const LISTENER_LINK: &str = "anon_inode:seccomp notify";

/// Why a message was refused. The connection is closed and every fd that came with it too.
#[derive(Debug)]
#[non_exhaustive]
pub enum Reject {
    /// The peer closed the connection without sending anything.
    Empty,
    /// The peer closed the connection in the middle of the JSON document.
    Truncated {
        /// The bytes received.
        bytes: usize,
    },
    /// More than [`MAX_MESSAGE`] bytes arrived without a complete document.
    Oversized,
    /// The bytes are not JSON, or not a container process state; the error names the JSON path.
    BadState(seccomp_oci::Error),
    /// The document came without any fd.
    NoFd,
    /// The document names a different number of fds than arrived.
    FdCount {
        /// The length of the `fds` array.
        named: usize,
        /// The fds attached.
        received: usize,
    },
    /// More than [`MAX_FDS`] fds were attached to one send.
    TooManyFds,
    /// The `fds` array has no `seccompFd`.
    NoSeccompFd,
    /// The `fds` array names `seccompFd` more than once.
    DuplicateSeccompFd,
    /// The fd named `seccompFd` is not a seccomp notification fd.
    NotAListener {
        /// What it is, as `/proc/self/fd` shows it.
        link: String,
    },
    /// The message did not complete within this many seconds of the connection.
    Stalled {
        /// The deadline in seconds.
        seconds: u64,
    },
    /// Receiving failed.
    Os(Errno),
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reject::Empty => f.write_str("closed without sending a message"),
            Reject::Truncated { bytes } => {
                write!(
                    f,
                    "truncated message: closed after {bytes} bytes of an incomplete JSON document"
                )
            }
            Reject::Oversized => write!(f, "oversized message: more than {MAX_MESSAGE} bytes"),
            Reject::BadState(error) => write!(f, "bad container process state: {error}"),
            Reject::NoFd => f.write_str("no fd attached (expected the seccomp fd as SCM_RIGHTS)"),
            Reject::FdCount { named, received } => write!(
                f,
                "wrong fd count: `fds` names {named} but {received} {} attached",
                if *received == 1 { "was" } else { "were" }
            ),
            Reject::TooManyFds => write!(f, "too many fds attached (more than {MAX_FDS})"),
            Reject::NoSeccompFd => write!(f, "`fds` does not name `{SECCOMP_FD_NAME}`"),
            Reject::DuplicateSeccompFd => write!(f, "`fds` names `{SECCOMP_FD_NAME}` more than once"),
            Reject::NotAListener { link } => {
                write!(
                    f,
                    "the `{SECCOMP_FD_NAME}` fd is not a seccomp notification fd (it is {link})"
                )
            }
            Reject::Stalled { seconds } => {
                write!(
                    f,
                    "incomplete message: no complete JSON document within {seconds} s"
                )
            }
            Reject::Os(errno) => write!(f, "receiving failed: {}", seccomp_supervisor::ErrnoName(*errno)),
        }
    }
}

impl std::error::Error for Reject {}

/// A runtime's accepted message: the container's state and its seccomp listener.
#[derive(Debug)]
pub struct Registration {
    /// The container process state.
    pub state: ContainerProcessState,
    /// The fd named `seccompFd`.
    pub listener: Listener,
    /// The size of the JSON document in bytes.
    pub bytes: usize,
}

/// What has arrived on one connection so far.
#[derive(Debug, Default)]
pub struct Inbox {
    bytes: Vec<u8>,
    fds: Vec<OwnedFd>,
    eof: bool,
}

impl Inbox {
    /// An empty inbox.
    pub fn new() -> Inbox {
        Inbox::default()
    }

    /// Reads everything the non-blocking `socket` has now: data, attached fds, and the end of the stream.
    ///
    /// `scratch` is the receive buffer; its size bounds one `recvmsg`. Stops at `EAGAIN`, at the end of the
    /// stream, or as soon as more than [`MAX_MESSAGE`] bytes are held.
    pub fn receive(&mut self, socket: BorrowedFd<'_>, scratch: &mut [u8]) -> Result<(), Reject> {
        while !self.eof {
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
            let mut control = RecvAncillaryBuffer::new(&mut space);
            let received = {
                let mut iov = [IoSliceMut::new(scratch)];
                match rustix::net::recvmsg(socket, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
                    Ok(received) => received,
                    Err(Errno::INTR) => continue,
                    Err(Errno::AGAIN) => return Ok(()),
                    Err(errno) => return Err(Reject::Os(errno)),
                }
            };
            for message in control.drain() {
                if let RecvAncillaryMessage::ScmRights(fds) = message {
                    self.fds.extend(fds);
                }
            }
            // The control buffer is rounded up and may hold a few more fds than asked for.
            if received.flags.contains(ReturnFlags::CTRUNC) || self.fds.len() > MAX_FDS {
                return Err(Reject::TooManyFds);
            }
            if received.bytes == 0 {
                self.eof = true;
                break;
            }
            let data = scratch.get(..received.bytes).unwrap_or(scratch);
            self.feed(data, []);
            if self.bytes.len() > MAX_MESSAGE {
                return Err(Reject::Oversized);
            }
        }
        Ok(())
    }

    /// Adds received data and fds (what [`Inbox::receive`] does with each `recvmsg`).
    pub fn feed(&mut self, data: &[u8], fds: impl IntoIterator<Item = OwnedFd>) {
        self.bytes.extend_from_slice(data);
        self.fds.extend(fds);
    }

    /// Marks the end of the stream.
    pub fn close(&mut self) {
        self.eof = true;
    }

    /// Whether the peer has closed its end.
    pub fn is_closed(&self) -> bool {
        self.eof
    }

    /// Decides the message from what has arrived: `Ok(None)` while the JSON document is incomplete and
    /// the stream open, the registration once it is complete and consistent with the fds, or why not.
    ///
    /// On success the fd named `seccompFd` moves into the registration; the others are closed.
    pub fn finish(&mut self) -> Result<Option<Registration>, Reject> {
        if self.bytes.len() > MAX_MESSAGE {
            return Err(Reject::Oversized);
        }
        let value = match serde_json::from_slice::<serde_json::Value>(&self.bytes) {
            Ok(value) => value,
            // A valid prefix that more bytes could complete.
            Err(error) if error.is_eof() => {
                return match (self.eof, self.bytes.iter().all(u8::is_ascii_whitespace)) {
                    (false, _) => Ok(None),
                    (true, true) if self.fds.is_empty() => Err(Reject::Empty),
                    (true, _) => Err(Reject::Truncated {
                        bytes: self.bytes.len(),
                    }),
                };
            }
            // Not JSON: the state parser reports the syntax error with its line and column.
            Err(_) => {
                return Err(match ContainerProcessState::from_json(&self.bytes) {
                    Err(error) => Reject::BadState(error),
                    Ok(_) => Reject::Truncated {
                        bytes: self.bytes.len(),
                    },
                });
            }
        };
        let state = ContainerProcessState::from_value(&value).map_err(Reject::BadState)?;
        let listener = self.take_listener(&state)?;
        Ok(Some(Registration {
            state,
            listener,
            bytes: self.bytes.len(),
        }))
    }

    fn take_listener(&mut self, state: &ContainerProcessState) -> Result<Listener, Reject> {
        let received = self.fds.len();
        if received == 0 {
            return Err(Reject::NoFd);
        }
        if state.fds.len() != received {
            return Err(Reject::FdCount {
                named: state.fds.len(),
                received,
            });
        }
        let index = state.fd_index(SECCOMP_FD_NAME).ok_or(Reject::NoSeccompFd)?;
        if state.fds.iter().filter(|name| *name == SECCOMP_FD_NAME).count() > 1 {
            return Err(Reject::DuplicateSeccompFd);
        }
        let fd = self.fds.swap_remove(index);
        self.fds.clear();
        // Without /proc (a bare VM) the check is skipped; the kernel then refuses the ioctls on a wrong fd.
        if let Ok(link) = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())) {
            let link = link.to_string_lossy();
            if link != LISTENER_LINK {
                return Err(Reject::NotAListener {
                    link: link.into_owned(),
                });
            }
        }
        Ok(Listener::from(fd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"{"ociVersion":"1.0.2","fds":["seccompFd"],"pid":7,
        "state":{"ociVersion":"1.0.2","id":"c1","status":"creating","bundle":"/b"}}"#;

    /// `count` fds that are not seccomp listeners: one end each of fresh socket pairs.
    fn other_fds(count: usize) -> Vec<OwnedFd> {
        (0..count)
            .map(|_| seccomp_sys::fdpass::socketpair().expect("socketpair").0)
            .collect()
    }

    fn reject(inbox: &mut Inbox) -> String {
        match inbox.finish() {
            Ok(outcome) => panic!("not refused: {outcome:?}"),
            Err(reject) => reject.to_string(),
        }
    }

    #[test]
    fn an_incomplete_document_waits_while_the_stream_is_open() {
        let mut inbox = Inbox::new();
        let (head, _) = STATE.split_at(40);
        inbox.feed(head.as_bytes(), other_fds(1));
        assert!(matches!(inbox.finish(), Ok(None)));
        inbox.close();
        assert_eq!(
            reject(&mut inbox),
            "truncated message: closed after 40 bytes of an incomplete JSON document"
        );
    }

    #[test]
    fn a_connection_closed_without_data_is_empty() {
        let mut inbox = Inbox::new();
        assert!(matches!(inbox.finish(), Ok(None)));
        inbox.close();
        assert_eq!(reject(&mut inbox), "closed without sending a message");
    }

    #[test]
    fn the_fds_must_match_the_names() {
        let mut inbox = Inbox::new();
        inbox.feed(STATE.as_bytes(), []);
        assert_eq!(
            reject(&mut inbox),
            "no fd attached (expected the seccomp fd as SCM_RIGHTS)"
        );

        let mut inbox = Inbox::new();
        inbox.feed(STATE.as_bytes(), other_fds(2));
        assert_eq!(
            reject(&mut inbox),
            "wrong fd count: `fds` names 1 but 2 were attached"
        );

        let mut inbox = Inbox::new();
        inbox.feed(STATE.replace("seccompFd", "other").as_bytes(), other_fds(1));
        assert_eq!(reject(&mut inbox), "`fds` does not name `seccompFd`");

        let mut inbox = Inbox::new();
        let twice = STATE.replace(r#"["seccompFd"]"#, r#"["seccompFd","seccompFd"]"#);
        inbox.feed(twice.as_bytes(), other_fds(2));
        assert_eq!(reject(&mut inbox), "`fds` names `seccompFd` more than once");
    }

    #[test]
    fn a_fd_that_is_not_a_listener_is_refused() {
        let mut inbox = Inbox::new();
        inbox.feed(STATE.as_bytes(), other_fds(1));
        let message = reject(&mut inbox);
        assert!(
            message.starts_with("the `seccompFd` fd is not a seccomp notification fd (it is socket:["),
            "{message}"
        );
    }

    #[test]
    fn syntax_errors_and_trailing_garbage_are_refused_at_once() {
        let mut inbox = Inbox::new();
        inbox.feed(b"\x00\xff garbage", other_fds(1));
        assert!(
            reject(&mut inbox).starts_with("bad container process state: invalid JSON at line 1 column 1: ")
        );

        let mut inbox = Inbox::new();
        inbox.feed(format!("{STATE} x").as_bytes(), other_fds(1));
        assert!(reject(&mut inbox).contains("trailing characters"));
    }

    #[test]
    fn a_document_of_the_wrong_shape_names_the_path() {
        let mut inbox = Inbox::new();
        inbox.feed(
            STATE.replace(r#""id":"c1""#, r#""id":1"#).as_bytes(),
            other_fds(1),
        );
        assert_eq!(
            reject(&mut inbox),
            "bad container process state: state.id: expected a string, found a number"
        );
    }

    #[test]
    fn more_than_the_limit_is_oversized() {
        let mut inbox = Inbox::new();
        inbox.feed(&vec![b' '; MAX_MESSAGE + 1], []);
        assert_eq!(
            reject(&mut inbox),
            format!("oversized message: more than {MAX_MESSAGE} bytes")
        );
    }
}
