//! `seccompctl agent` with named handler sets: each container's `listenerMetadata` (`handlers=NAME`) or
//! its `org.seccompctl.handlers` annotation selects the set that answers it; an unknown name is refused
//! with EPERM for every notification; no selection means the default set.

mod support;

use rustix::fd::AsFd;
use support::{Agent, Call, Scratch, Target, hand_over};

const EACCES: i64 = 13;
const EPERM: i64 = 1;

/// Hands `target`'s listener over with this metadata and annotations, as runc does.
fn register_with(
    agent: &Agent,
    target: &mut Target,
    id: &str,
    metadata: &str,
    annotations: serde_json::Value,
) -> rustix::fd::OwnedFd {
    let listener = target.listener.take().expect("the target's listener");
    let pid = target.pid().as_raw_nonzero().get();
    let state = serde_json::json!({
        "ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": pid, "metadata": metadata,
        "state": {"ociVersion": "1.0.2", "id": id, "status": "creating", "pid": pid,
                  "bundle": format!("/run/bundles/{id}"), "annotations": annotations},
    })
    .to_string();
    let connection = hand_over(&agent.socket, state.as_bytes(), &[listener.as_fd()]);
    agent.wait_for(&format!("container {id} to register"), |line| {
        line.contains(&format!("container {id}: registered"))
    });
    connection
}

#[test]
fn each_container_is_answered_by_the_set_it_selects() {
    let _serial = support::serial();
    let mut a = target!("each_container_is_answered_by_the_set_it_selects");
    let mut b = target!("each_container_is_answered_by_the_set_it_selects");
    let mut plain = target!("each_container_is_answered_by_the_set_it_selects");
    let mut unknown = target!("each_container_is_answered_by_the_set_it_selects");
    let scratch = Scratch::new("handler-sets");
    let write = |name: &str, text: &str| {
        let path = scratch.path(name);
        std::fs::write(&path, text).expect("write a handlers file");
        path.to_str().expect("a UTF-8 path").to_owned()
    };
    let default = write("default.policy", "default notify\nerrno(EACCES) getppid\n");
    let strict = write("strict.policy", "default notify\nerrno(EPERM) getppid\n");
    let loose = write("loose.policy", "default notify\nerrno(ENOENT) getppid\n");
    let agent = Agent::start(
        "sets",
        &[
            "--handlers",
            &default,
            "--handlers",
            &format!("strict={strict}"),
            "--handlers",
            &format!("loose={loose}"),
            "--on-notify",
            "value(7)",
        ],
    );
    agent.wait_for("the sets in the listening line", |line| {
        line.contains("listening on")
            && line.contains(&format!("set strict: {strict}"))
            && line.contains(&format!("set loose: {loose}"))
    });
    let _a = register_with(
        &agent,
        &mut a,
        "box-a",
        "tenant=x handlers=strict",
        serde_json::json!({}),
    );
    let _b = register_with(
        &agent,
        &mut b,
        "box-b",
        "handlers=strict",
        serde_json::json!({"org.seccompctl.handlers": "loose"}),
    );
    let _p = register_with(&agent, &mut plain, "box-plain", "whatever", serde_json::json!({}));
    let _u = register_with(
        &agent,
        &mut unknown,
        "box-u",
        "handlers=nosuch",
        serde_json::json!({}),
    );

    assert_eq!(a.call(Call::Getppid), -EPERM, "the strict set from the metadata");
    assert_eq!(b.call(Call::Getppid), -2, "the annotation wins over the metadata");
    assert_eq!(
        plain.call(Call::Getppid),
        -EACCES,
        "no handlers= word: the default set"
    );
    assert_eq!(unknown.call(Call::Getppid), -EPERM, "an unknown set is refused");
    assert_eq!(
        a.call(Call::Getuid),
        7,
        "unmatched notify falls back to --on-notify"
    );
    assert_eq!(
        unknown.call(Call::Getuid),
        -EPERM,
        "an unknown set refuses everything"
    );

    agent.wait_for("box-a's set", |line| {
        line.contains("container box-a: handler set strict (from its metadata)")
    });
    agent.wait_for("box-b's set", |line| {
        line.contains("container box-b: handler set loose (from its annotation)")
    });
    agent.wait_for("box-plain's set", |line| {
        line.contains("container box-plain: handler set default")
    });
    agent.wait_for("box-u's refusal", |line| {
        line.contains("container box-u: unknown handler set \"nosuch\" (from its metadata)")
            && line.contains("refused with EPERM")
    });
    agent.wait_for("the rule named with its set", |line| {
        line.contains("container box-a:")
            && line.contains("getppid(")
            && line.ends_with(&format!("-> errno(EPERM) (set strict: {strict}:2)"))
    });
}

#[test]
fn two_default_sets_or_a_name_given_twice_are_usage_errors() {
    let scratch = Scratch::new("handler-sets-errors");
    let path = scratch.path("h.policy");
    std::fs::write(&path, "default notify\n").expect("write");
    let path = path.to_str().expect("UTF-8");
    let socket = scratch.path("s.sock");
    let socket = socket.to_str().expect("UTF-8");
    for args in [
        vec!["--handlers", path, "--handlers", path],
        vec![
            "--handlers",
            &*format!("x={path}"),
            "--handlers",
            &*format!("x={path}"),
        ],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_seccompctl"))
            .arg("agent")
            .args(["--socket", socket])
            .args(&args)
            .output()
            .expect("run seccompctl");
        assert!(!out.status.success(), "{args:?} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--handlers:"), "{stderr}");
    }
}
