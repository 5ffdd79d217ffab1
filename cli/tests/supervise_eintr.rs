//! The remaining hang of `trace --all` on `dash -c 'echo hello | cat | cat | wc -c'` (docs/reliability.md):
//! a signal (dash's SIGCHLD, whose handler has no `SA_RESTART`) reaches dash while a notified `close`
//! of a pipe end waits to be received; the kernel withdraws the notification, `close` fails with `EINTR`
//! without closing, the write end leaks into the next children, and the last `cat` waits for itself.
//!
//! The first test makes that happen on purpose (seccompctl stopped, the signal sent by the test): the fd
//! stays open, and seccompctl says a notified syscall was interrupted. The second runs the pipeline over
//! and over for a bounded time and requires that every broken run was reported: seccompctl never lets
//! the window break a run silently.

mod supervise_common;

use rustix::process::Signal;
use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};
use supervise_common::*;

/// Polls `check` every 5 ms for up to 5 s.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    (0..1000).any(|_| {
        let done = check();
        if !done {
            std::thread::sleep(Duration::from_millis(5));
        }
        done
    })
}

#[test]
fn a_signal_before_the_receipt_makes_a_notified_close_fail_with_eintr_and_keep_the_fd() {
    let Some((_tmp, policy)) = notify_policy(
        "a_signal_before_the_receipt_makes_a_notified_close_fail",
        "eintr-close",
        "default allow\nnotify close\n",
    ) else {
        return;
    };
    // Like dash: a SIGCHLD handler without SA_RESTART. The close of a pipe's write end is notified.
    let script = "use POSIX; sigaction(SIGCHLD, POSIX::SigAction->new(sub {}, POSIX::SigSet->new, 0)); \
                  pipe(my $r, my $w) or die; my $fd = fileno($w); $| = 1; print \"ready $$\\n\"; <STDIN>; \
                  my $ok = POSIX::close($fd); my $err = $! + 0; \
                  my $open = -e \"/proc/self/fd/$fd\" ? 1 : 0; \
                  print defined($ok) ? \"closed\" : \"failed $err\", \" open $open\\n\";";
    let (mut child, supervisor, mut stdout, target) =
        start_ready_then_stop(&["run", "-q", "--policy", s(&policy), "--"], script);
    child.stdin.take().expect("stdin").write_all(b"go\n").expect("go");
    let close = seccomp_core::arch::Arch::native()
        .and_then(|arch| arch.syscall_nr("close"))
        .expect("a native close");
    let parked = eventually(|| {
        let text =
            std::fs::read_to_string(format!("/proc/{}/syscall", target.as_raw_nonzero())).unwrap_or_default();
        text.split_whitespace().next() == Some(close.to_string().as_str())
    });
    assert!(parked, "the target never blocked in close");
    // What a child's exit does to dash.
    rustix::process::kill_process(target, Signal::CHILD).expect("SIGCHLD");
    std::thread::sleep(Duration::from_millis(100));
    rustix::process::kill_process(supervisor, Signal::CONT).expect("SIGCONT");
    let output = child.wait_with_output().expect("seccompctl ends");
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    // EINTR is 4 on x86_64 and aarch64; the fd is still open: this is the leak that hangs the pipeline.
    assert_eq!(rest.trim(), "failed 4 open 1", "{}", stderr(&output));
    assert!(
        stderr(&output).contains("1 notified syscall was interrupted by a signal"),
        "{}",
        stderr(&output)
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

/// How long the repeated pipeline may run in all (a budget, not a timing assertion).
const BUDGET: Duration = Duration::from_secs(20);

/// A run that has not ended after this long is the hang (the pipeline takes well under a second).
const HUNG: Duration = Duration::from_secs(8);

#[test]
fn every_broken_pipeline_under_trace_all_was_reported_as_interrupted() {
    if !has_notify("every_broken_pipeline_was_reported") || !can_continue("pipeline") {
        return;
    }
    if std::process::Command::new("dash")
        .args(["-c", "true"])
        .status()
        .is_err()
    {
        eprintln!("SKIP: every_broken_pipeline_was_reported: dash is not installed");
        return;
    }
    let started = Instant::now();
    let (mut runs, mut broken) = (0, 0);
    while started.elapsed() < BUDGET && runs < 400 {
        runs += 1;
        let mut child = seccompctl()
            .args(["trace", "--all", "-o", "/dev/null", "--"])
            .args(["dash", "-c", "echo hello | cat | cat | wc -c"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("seccompctl runs");
        let begun = Instant::now();
        let hung = loop {
            if child.try_wait().expect("wait").is_some() {
                break false;
            }
            if begun.elapsed() >= HUNG {
                // The tree goes with seccompctl (the guard).
                let _ = child.kill();
                break true;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let output = child.wait_with_output().expect("output");
        let ok = !hung && output.status.success() && stdout(&output).trim() == "6";
        if !ok {
            broken += 1;
            assert!(
                stderr(&output).contains("interrupted"),
                "run {runs} broke (hung: {hung}, {:?}, output {:?}) without an interruption reported: {}",
                output.status,
                stdout(&output),
                stderr(&output)
            );
        }
    }
    eprintln!("{runs} pipelines, {broken} broken (each reported as interrupted)");
}
