//! When seccompctl ends (SIGKILL, or SIGTERM/SIGHUP, which it forwards), the command's whole tree ends
//! with it, and no process of the tree ever sees a notified syscall fail because the supervisor is gone.
//!
//! The command is a shell that starts an orphaned background grandchild (perl, re-parented at once) which
//! loops on a notified `openat` and writes `ok` or the error to a heartbeat file it opened first. After
//! seccompctl is signalled, the grandchild must disappear (its pid is polled, with a generous limit, no
//! timing assertion), and the heartbeat must hold no error: before the guard, every `openat` after
//! seccompctl's SIGKILL failed with `ENOSYS` ("Function not implemented") and the grandchild ran on.

mod supervise_common;

use rustix::process::{Pid, Signal};
use std::time::{Duration, Instant};
use supervise_common::*;

/// The grandchild: its pid first, then one line per `openat` of /etc/hostname (notified).
const HEARTBEAT: &str = r#"open(my $log, ">>", $ENV{HEARTBEAT}) or die "heartbeat: $!";
$log->autoflush(1);
print $log "pid $$\n";
while (1) {
    if (open(my $f, "<", "/etc/hostname")) { close $f; print $log "ok\n" } else { print $log "ERR $!\n" }
    select(undef, undef, undef, 0.01);
}"#;

/// How long the grandchild may take to go: generous (shared machine), a guard against hangs only.
const PATIENCE: Duration = Duration::from_secs(20);

/// Whether `pid` still exists and has not ended (not a zombie).
fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().next());
    !stat.is_empty() && !matches!(state, Some("Z" | "X"))
}

/// The heartbeat's grandchild pid and its lines, once it has `beats` lines after the pid.
fn heartbeat(path: &std::path::Path, beats: usize) -> (i32, Vec<String>) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() > beats
            && let Some(pid) = lines[0].strip_prefix("pid ").and_then(|p| p.parse().ok())
        {
            return (pid, lines);
        }
        assert!(
            Instant::now() < deadline,
            "the grandchild never beat {beats} times: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `mode` (`run` or `trace`) on the shell, waits for heartbeats, sends `signal` to seccompctl,
/// and checks that the grandchild ends and never saw an error. Returns seccompctl's exit code, if it
/// exited (not for SIGKILL).
fn scenario(mode: &str, signal: Signal) -> Option<i32> {
    let tmp = TempDir::new(&format!("death-{mode}-{}", signal.as_raw()));
    let policy = tmp.write("policy", "default allow\nnotify openat\n");
    let beat = tmp.dir().join("heartbeat");
    let mut command = seccompctl();
    match mode {
        "run" => command.args(["run", "-q", "--policy", s(&policy)]),
        _ => command.args(["trace", "-e", "trace=openat", "-o", "/dev/null"]),
    };
    // The grandchild is orphaned at once (the subshell exits): re-parented, not the shell's child.
    let mut child = command
        .args([
            "--",
            "sh",
            "-c",
            "(perl -e \"$SCRIPT\" &); while :; do sleep 0.05; done",
        ])
        .env("SCRIPT", HEARTBEAT)
        .env("HEARTBEAT", &beat)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("seccompctl runs");
    let (grandchild, _) = heartbeat(&beat, 5);
    let supervisor = Pid::from_raw(child.id() as i32).expect("a pid");
    rustix::process::kill_process(supervisor, signal).expect("signal seccompctl");
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for seccompctl") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = rustix::process::kill_process(Pid::from_raw(grandchild).expect("pid"), Signal::KILL);
            panic!("{mode}: seccompctl did not end after {signal:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let deadline = Instant::now() + PATIENCE;
    while alive(grandchild) {
        if Instant::now() >= deadline {
            let _ = rustix::process::kill_process(Pid::from_raw(grandchild).expect("pid"), Signal::KILL);
            panic!("{mode}: the grandchild {grandchild} outlived seccompctl ({signal:?})");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, lines) = heartbeat(&beat, 5);
    let errors: Vec<&String> = lines[1..].iter().filter(|line| *line != "ok").collect();
    assert!(
        errors.is_empty(),
        "{mode}: a notified openat failed after seccompctl got {signal:?}: {errors:?}"
    );
    status.code()
}

#[test]
fn the_whole_tree_ends_when_seccompctl_is_killed_and_never_sees_enosys() {
    if !has_notify("the_whole_tree_ends_when_seccompctl_is_killed") || !can_continue("sigkill") {
        return;
    }
    for mode in ["run", "trace"] {
        assert_eq!(
            scenario(mode, Signal::KILL),
            None,
            "{mode}: seccompctl was killed"
        );
    }
}

#[test]
fn the_whole_tree_ends_after_a_forwarded_sigterm_or_sighup() {
    if !has_notify("the_whole_tree_ends_after_a_forwarded_signal") || !can_continue("forwarded") {
        return;
    }
    for mode in ["run", "trace"] {
        for signal in [Signal::TERM, Signal::HUP] {
            // The shell dies of the forwarded signal; seccompctl reports it as a shell would.
            let code = scenario(mode, signal);
            assert_eq!(code, Some(128 + signal.as_raw()), "{mode} {signal:?}");
        }
    }
}
