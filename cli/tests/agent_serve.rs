//! `seccompctl agent` serving real seccomp listeners: forked targets hand their listener to the test, which
//! sends it to the agent exactly as runc does (one `sendmsg`: the container process state as JSON, the fd
//! as `SCM_RIGHTS`); the targets' syscalls are then answered by the agent's handler policy.

mod support;

use support::{Agent, Call, Scratch, closed_by_agent, register};

const EACCES: i64 = 13;
const EPERM: i64 = 1;

fn my_pid() -> i64 {
    i64::from(std::process::id())
}

#[test]
fn an_errno_answer_fails_the_containers_syscall_and_the_log_names_the_container() {
    let _serial = support::serial();
    let mut target = target!("an_errno_answer_fails_the_containers_syscall");
    let agent = Agent::start("errno", &["--on-notify", "errno(EACCES)"]);
    let connection = register(&agent, &mut target, "errno-box");
    // runc leaves its end open; the agent closes the connection once the container is registered.
    assert!(closed_by_agent(&connection));
    assert_eq!(target.call(Call::Getppid), -EACCES);
    let line = agent.wait_for("the notification's log line", |line| line.contains("getppid("));
    let pid = target.pid().as_raw_nonzero().get();
    assert!(
        line.starts_with(&format!("agent: container errno-box: [pid {pid}] getppid()")),
        "{line}"
    );
    assert!(line.ends_with("-> errno(EACCES) (--on-notify)"), "{line}");
    let registered = agent.wait_for("the registration", |line| line.contains("registered"));
    assert!(
        registered.contains(&format!(
            "pid {pid}, status creating, bundle /run/bundles/errno-box, metadata \"meta-errno-box\""
        )),
        "{registered}"
    );
    assert_eq!(target.exit(), "exit 0");
}

#[test]
fn a_value_answer_is_what_the_syscall_returns() {
    let _serial = support::serial();
    let mut target = target!("a_value_answer_is_what_the_syscall_returns");
    let agent = Agent::start("value", &["--on-notify", "value(4242)"]);
    let _connection = register(&agent, &mut target, "value-box");
    assert_eq!(target.call(Call::Getuid), 4242);
    assert_eq!(target.call(Call::Getppid), 4242);
    agent.wait_for("two answered notifications", |line| {
        line.contains("container value-box")
            && line.contains("getppid(")
            && line.ends_with("-> value(4242) (--on-notify)")
    });
}

#[test]
fn continue_runs_the_real_syscall() {
    let _serial = support::serial();
    let mut target = target!("continue_runs_the_real_syscall");
    let agent = Agent::start("continue", &[]);
    let _connection = register(&agent, &mut target, "continue-box");
    assert_eq!(
        target.call(Call::Getppid),
        my_pid(),
        "getppid must return the test's pid"
    );
    agent.wait_for("the continued notification", |line| {
        line.ends_with("-> continue (--on-notify)")
    });
}

#[test]
fn the_handlers_policy_decides_each_syscall_and_the_fallback_the_rest() {
    let _serial = support::serial();
    let mut target = target!("the_handlers_policy_decides_each_syscall");
    let scratch = Scratch::new("handlers-policy");
    let policy = scratch.path("handlers.policy");
    std::fs::write(&policy, "default notify\nerrno(EPERM) getppid\nallow getuid\n")
        .expect("write the policy");
    let policy = policy.to_str().expect("a UTF-8 path");
    let agent = Agent::start("handlers", &["--policy", policy, "--on-notify", "value(7)"]);
    let _connection = register(&agent, &mut target, "policy-box");
    assert_eq!(target.call(Call::Getppid), -EPERM);
    assert_eq!(
        target.call(Call::Getuid),
        i64::from(rustix::process::getuid().as_raw()),
        "allow continues getuid"
    );
    assert_eq!(target.call(Call::Getgid), 7, "notify falls back to --on-notify");
    agent.wait_for("the fallback answer", |line| {
        line.contains("getgid(") && line.ends_with("-> value(7) (--on-notify)")
    });
    // Each line names the rule that decided: line 2 of the handlers file refused getppid.
    agent.wait_for("the rule's answer", |line| {
        line.contains("getppid(") && line.ends_with(&format!("-> errno(EPERM) ({policy}:2)"))
    });
}

#[test]
fn two_containers_are_served_at_once() {
    let _serial = support::serial();
    let mut first = target!("two_containers_are_served_at_once");
    let mut second = target!("two_containers_are_served_at_once");
    let agent = Agent::start("two", &["--on-notify", "value(99)"]);
    let _a = register(&agent, &mut first, "box-a");
    let _b = register(&agent, &mut second, "box-b");
    // Both syscalls are parked in the kernel at the same time; the agent answers each from its listener.
    first.start(Call::Getppid);
    second.start(Call::Getuid);
    assert_eq!(second.result(), 99);
    assert_eq!(first.result(), 99);
    agent.wait_for("box-a's notification", |line| {
        line.contains("container box-a: [pid") && line.contains("getppid(")
    });
    agent.wait_for("box-b's notification", |line| {
        line.contains("container box-b: [pid") && line.contains("getuid(")
    });
}

#[test]
fn a_container_exiting_is_logged_and_the_agent_keeps_serving() {
    let _serial = support::serial();
    if support::kernel_version().is_some_and(|version| version < (5, 9)) {
        skip!(
            "a_container_exiting_is_logged_and_the_agent_keeps_serving",
            "the listener reports EPOLLHUP only since Linux 5.9"
        );
    }
    let mut leaving = target!("a_container_exiting_is_logged_and_the_agent_keeps_serving");
    let mut staying = target!("a_container_exiting_is_logged_and_the_agent_keeps_serving");
    let mut agent = Agent::start("exit", &["--on-notify", "value(5)"]);
    let _a = register(&agent, &mut leaving, "leaving");
    assert_eq!(leaving.call(Call::Getppid), 5);
    assert_eq!(leaving.exit(), "exit 0");
    let line = agent.wait_for("the exit", |line| line.contains("container leaving: exited"));
    assert!(line.contains("after 1 answered notifications"), "{line}");
    assert!(agent.is_running());
    let _b = register(&agent, &mut staying, "staying");
    assert_eq!(staying.call(Call::Getgid), 5);
}

#[test]
fn json_log_lines_carry_the_container_and_the_syscall() {
    let _serial = support::serial();
    let mut target = target!("json_log_lines_carry_the_container_and_the_syscall");
    let agent = Agent::start("json", &["--json", "--on-notify", "errno(EPERM)"]);
    let _connection = register(&agent, &mut target, "json-box");
    assert_eq!(target.call(Call::Getppid), -EPERM);
    agent.wait_for("the notification", |line| line.contains("\"notification\""));
    let events: Vec<serde_json::Value> = agent
        .log()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let registered = events
        .iter()
        .find(|event| event["event"] == "registered")
        .expect("a registered event");
    assert_eq!(registered["container"], "json-box");
    assert_eq!(registered["metadata"], "meta-json-box");
    assert_eq!(registered["annotations"]["io.example/test"], "agent");
    let notification = events
        .iter()
        .find(|event| event["event"] == "notification")
        .expect("a notification event");
    assert_eq!(notification["container"], "json-box");
    assert_eq!(notification["syscall"], "getppid");
    assert_eq!(
        notification["pid"],
        i64::from(target.pid().as_raw_nonzero().get())
    );
    assert_eq!(notification["answer"], "errno(EPERM)");
    assert_eq!(notification["rule"], "--on-notify");
    // getppid takes no arguments: none are decoded, and the six raw registers are still logged.
    assert_eq!(notification["args"].as_array().map(Vec::len), Some(0));
    assert_eq!(notification["raw"].as_array().map(Vec::len), Some(6));
}

#[test]
fn a_stale_socket_is_replaced_and_a_live_one_is_refused() {
    let _serial = support::serial();
    let scratch = Scratch::new("stale");
    let socket = scratch.path("agent.sock");
    // A socket file nobody accepts on, as a killed agent leaves it.
    drop(std::os::unix::net::UnixListener::bind(&socket).expect("bind"));
    let agent = Agent::start_at(scratch, socket.clone(), &[]);
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .arg("agent")
        .arg("--socket")
        .arg(&socket)
        .output()
        .expect("run a second agent");
    assert_eq!(second.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another process is accepting connections on this socket"),
        "{stderr}"
    );
    drop(agent);
}

#[test]
fn a_pretty_printed_state_as_crun_sends_it_is_accepted() {
    let _serial = support::serial();
    let mut target = target!("a_pretty_printed_state_as_crun_sends_it_is_accepted");
    let agent = Agent::start("crun-style", &["--on-notify", "value(12)"]);
    let listener = target.listener.take().expect("the target's listener");
    // crun writes the state with yajl's beautify option and its own ociVersion "0.2.0".
    let mut state: serde_json::Value = serde_json::from_str(&support::state_json(
        "pretty-box",
        target.pid().as_raw_nonzero().get(),
        &["seccompFd"],
    ))
    .expect("valid JSON");
    state["ociVersion"] = "0.2.0".into();
    let pretty = serde_json::to_string_pretty(&state).expect("serialize");
    let connection = support::hand_over(
        &agent.socket,
        pretty.as_bytes(),
        &[rustix::fd::AsFd::as_fd(&listener)],
    );
    drop(listener);
    agent.wait_for("the registration", |line| {
        line.contains("container pretty-box: registered")
    });
    assert!(closed_by_agent(&connection));
    assert_eq!(target.call(Call::Getuid), 12);
}
