//! `seccompctl agent` facing malformed messages: each is refused with one log line naming the peer and the
//! reason, its connection is closed, and the agent goes on to serve the next good client.

mod support;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use support::{Agent, Call, Target, closed_by_agent, connect, hand_over, send, state_json};

/// An fd that is not a seccomp listener.
fn other_fd() -> OwnedFd {
    seccomp_sys::fdpass::socketpair().expect("socketpair").0
}

/// Waits for the rejection line with `reason` and checks that it names this process as the peer.
fn expect_rejection(agent: &Agent, mark: usize, reason: &str) -> String {
    let line = agent.wait_for_after(mark, &format!("the rejection `{reason}`"), |line| {
        line.contains("rejected connection #") && line.contains(reason)
    });
    let peer = format!("(peer pid {} uid ", std::process::id());
    assert!(line.contains(&peer), "the line does not name the peer: {line}");
    line
}

/// Sends `data` with `fds` on a new connection and checks that the agent refuses it with `reason` and
/// closes the connection.
fn refused(agent: &Agent, data: &[u8], fds: &[BorrowedFd<'_>], reason: &str) -> String {
    let mark = agent.mark();
    let connection = hand_over(&agent.socket, data, fds);
    let line = expect_rejection(agent, mark, reason);
    assert!(
        closed_by_agent(&connection),
        "the agent left the connection open after: {line}"
    );
    line
}

#[test]
fn malformed_messages_are_refused_and_the_next_good_client_is_served() {
    let _serial = support::serial();
    let mut target = match Target::spawn() {
        Ok(target) => target,
        Err(why) => skip!("malformed_messages_are_refused", "no seccomp listener: {why}"),
    };
    let agent = Agent::start("malformed", &["--on-notify", "value(31)"]);
    let pid = target.pid().as_raw_nonzero().get();
    let good = state_json("good-box", pid, &["seccompFd"]);
    let other = other_fd();

    // A client that starts a message and stalls: refused at the deadline, checked at the end.
    let stalled = connect(&agent.socket);
    send(&stalled, &good.as_bytes()[..20], &[other.as_fd()]).expect("send a partial message");

    // Connects and disconnects without a word.
    drop(connect(&agent.socket));
    expect_rejection(&agent, 0, "closed without sending a message");

    // A good document without its fd.
    refused(
        &agent,
        good.as_bytes(),
        &[],
        "no fd attached (expected the seccomp fd as SCM_RIGHTS)",
    );

    // Not JSON, then binary garbage.
    refused(
        &agent,
        br#"{"ociVersion":}"#,
        &[other.as_fd()],
        "bad container process state: invalid JSON at line 1 column 15: expected value",
    );
    refused(
        &agent,
        b"\x7fELF\x02\x01\x01\x00\xff\xfe",
        &[other.as_fd()],
        "bad container process state: invalid JSON at line 1 column 1: expected value",
    );

    // JSON of the wrong shape: the reason names the path.
    refused(
        &agent,
        good.replace(r#""id":"good-box""#, r#""id":17"#).as_bytes(),
        &[other.as_fd()],
        "bad container process state: state.id: expected a string, found a number",
    );

    // Two fds for one name: the real listener and another fd.
    let listener = target.listener.take().expect("the target's listener");
    refused(
        &agent,
        good.as_bytes(),
        &[listener.as_fd(), other.as_fd()],
        "wrong fd count: `fds` names 1 but 2 were attached",
    );

    // The name twice, the name missing, and a fd that is not a listener.
    refused(
        &agent,
        state_json("twice", pid, &["seccompFd", "seccompFd"]).as_bytes(),
        &[listener.as_fd(), other.as_fd()],
        "`fds` names `seccompFd` more than once",
    );
    refused(
        &agent,
        state_json("nameless", pid, &["pidFd"]).as_bytes(),
        &[listener.as_fd()],
        "`fds` does not name `seccompFd`",
    );
    refused(
        &agent,
        good.as_bytes(),
        &[other.as_fd()],
        "the `seccompFd` fd is not a seccomp notification fd (it is socket:[",
    );

    // More fds than the agent accepts, and more than its control buffer holds (the kernel truncates).
    for count in [9, 64] {
        let many: Vec<OwnedFd> = (0..count).map(|_| other_fd()).collect();
        let borrowed: Vec<BorrowedFd<'_>> = many.iter().map(AsFd::as_fd).collect();
        refused(
            &agent,
            good.as_bytes(),
            &borrowed,
            "too many fds attached (more than 8)",
        );
    }

    // Half a document, then the client closes.
    let connection = hand_over(
        &agent.socket,
        &good.as_bytes()[..good.len() / 2],
        &[listener.as_fd()],
    );
    drop(connection);
    expect_rejection(
        &agent,
        0,
        &format!(
            "truncated message: closed after {} bytes of an incomplete JSON document",
            good.len() / 2
        ),
    );

    // More than the size limit: an endless string.
    let mut huge = br#"{"ociVersion":""#.to_vec();
    huge.resize(huge.len() + (1 << 20) + 1, b'a');
    let connection = connect(&agent.socket);
    // The agent drops the connection part way through; the send then fails or comes up short.
    let _ = send(&connection, &huge, &[other.as_fd()]);
    expect_rejection(&agent, 0, "oversized message: more than 1048576 bytes");
    assert!(closed_by_agent(&connection));

    // The stalled client's deadline.
    expect_rejection(
        &agent,
        0,
        "incomplete message: no complete JSON document within 10 s",
    );
    assert!(closed_by_agent(&stalled));

    // The agent is still serving: the same listener, sent properly, works.
    let connection = hand_over(&agent.socket, good.as_bytes(), &[listener.as_fd()]);
    drop(listener);
    agent.wait_for("the good client", |line| {
        line.contains("container good-box: registered")
    });
    assert!(closed_by_agent(&connection));
    assert_eq!(target.call(Call::Getppid), 31);
    assert_eq!(target.exit(), "exit 0");
}
