//! The agent's container-state message (`cli/src/agent/message.rs`): a runtime's JSON document arriving in
//! pieces on a stream socket, with fds attached.
//!
//! The input: one byte for how many fds come with the message (0 to 3, none of them a seccomp listener,
//! so no message can be accepted), one byte seeding where the stream splits, then the bytes the runtime
//! sends. They are fed to an [`Inbox`] piece by piece, as `recvmsg` would return them, and
//! [`Inbox::finish`] is asked after every piece and once more after the peer closes.
//!
//! Properties (any violation is a crash):
//! - nothing panics, and no message is accepted (no fd is a listener);
//! - the decision follows the documented contract, computed here independently on the bytes received so
//!   far: a prefix of a JSON value waits while the stream is open (and is `Empty` or `Truncated` once it
//!   is closed); bytes that are not JSON, or JSON that is not a container process state, are `BadState`
//!   (or `Truncated`); a state is refused for its fds, in the order `NoFd`, `FdCount`, `NoSeccompFd`,
//!   `DuplicateSeccompFd`, `NotAListener`;
//! - every refusal's text is one non-empty line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_oci::ContainerProcessState;
use seccompctl::agent::message::{Inbox, MAX_MESSAGE, Reject};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

/// What the contract says about the bytes received so far.
#[derive(Debug)]
enum Expected {
    /// An incomplete JSON value.
    Incomplete { whitespace: bool },
    /// Not JSON, or not a container process state.
    Bad,
    /// A state whose fd names are these.
    State(Vec<String>),
}

fn expected(bytes: &[u8]) -> Expected {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(error) if error.is_eof() => Expected::Incomplete {
            whitespace: bytes.iter().all(u8::is_ascii_whitespace),
        },
        Err(_) => Expected::Bad,
        Ok(value) => match ContainerProcessState::from_value(&value) {
            Ok(state) => Expected::State(state.fds),
            Err(_) => Expected::Bad,
        },
    }
}

/// `count` fds that are not seccomp listeners.
fn fds(count: usize) -> Vec<OwnedFd> {
    (0..count)
        .filter_map(|_| UnixStream::pair().ok())
        .map(|(one, _other)| OwnedFd::from(one))
        .collect()
}

/// Checks one answer of `finish` against the contract.
fn check(outcome: &Result<Option<impl std::fmt::Debug>, Reject>, bytes: &[u8], closed: bool, fds: usize) {
    let reject = match outcome {
        Ok(Some(registration)) => panic!("accepted without a listener: {registration:?}"),
        Ok(None) => {
            assert!(!closed, "still waiting after the peer closed, on {bytes:?}");
            assert!(
                matches!(expected(bytes), Expected::Incomplete { .. }),
                "waits on {bytes:?}, which is {:?}",
                expected(bytes)
            );
            return;
        }
        Err(reject) => reject,
    };
    let text = reject.to_string();
    assert!(!text.is_empty() && !text.contains('\n'), "refusal text {text:?}");
    if bytes.len() > MAX_MESSAGE {
        assert!(
            matches!(reject, Reject::Oversized),
            "{} bytes refused as {reject:?}",
            bytes.len()
        );
        return;
    }
    match expected(bytes) {
        Expected::Incomplete { whitespace } => {
            assert!(
                closed,
                "an incomplete document refused while the stream is open: {reject:?}"
            );
            let ok = match reject {
                Reject::Empty => whitespace && fds == 0,
                Reject::Truncated { bytes: n } => *n == bytes.len(),
                _ => false,
            };
            assert!(
                ok,
                "an incomplete document ({} bytes, {fds} fds) refused as {reject:?}",
                bytes.len()
            );
        }
        Expected::Bad => assert!(
            matches!(reject, Reject::BadState(_) | Reject::Truncated { .. }),
            "a document that is not a state refused as {reject:?}"
        ),
        Expected::State(names) => {
            let seccomp = names.iter().filter(|name| *name == "seccompFd").count();
            let ok = match reject {
                Reject::NoFd => fds == 0,
                Reject::FdCount { named, received } => {
                    fds != 0 && *named == names.len() && *received == fds && names.len() != fds
                }
                Reject::NoSeccompFd => fds != 0 && names.len() == fds && seccomp == 0,
                Reject::DuplicateSeccompFd => fds != 0 && names.len() == fds && seccomp > 1,
                Reject::NotAListener { .. } => fds != 0 && names.len() == fds && seccomp == 1,
                _ => false,
            };
            assert!(
                ok,
                "a state naming fds {names:?}, with {fds} attached, refused as {reject:?}"
            );
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let [fd_byte, split, data @ ..] = input else {
        return;
    };
    let fds = fds(usize::from(fd_byte % 4));
    let fd_count = fds.len();
    let mut inbox = Inbox::new();
    // The fds come with the first piece, as runtimes send them in the one `sendmsg`.
    inbox.feed(&[], fds);
    let mut received = 0;
    let mut state = u32::from(*split) | 1;
    while received < data.len() {
        // Pieces of 1 to 64 bytes.
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = (1 + (state >> 16) as usize % 64).min(data.len() - received);
        let piece = &data[received..received + len];
        received += len;
        inbox.feed(piece, []);
        let outcome = inbox.finish();
        check(&outcome, &data[..received], false, fd_count);
        if outcome.is_err() {
            return;
        }
    }
    inbox.close();
    let outcome = inbox.finish();
    check(&outcome, data, true, fd_count);
});
