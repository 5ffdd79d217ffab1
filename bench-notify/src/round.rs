//! One round of one configuration, seen from the coordinator: fork the peer (supervisor, tracer or futex
//! partner, which forks the target itself), wait for it with a timeout, and collect the target's timings.
//!
//! The process tree of a round is coordinator → peer → target. The peer is the target's parent so that
//! it can be its tracer (`PTRACE_TRACEME`) and reap it; the coordinator only waits, so that it adds no
//! noise, and kills both after a timeout so that a hung mechanism cannot hang the benchmark.

use crate::plan::{Config, Cpus};
use crate::shared::{Failure, Shared};
use crate::{fork_running, peer};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal, WaitOptions, WaitStatus};
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// What a notified or traced `getppid` returns: `MAGIC + n` for the target's `n`-th call. No process id
/// reaches 2^40 (`PID_MAX_LIMIT` is 2^22), so a call that was not intercepted cannot return it by chance.
pub const MAGIC: i64 = 1 << 40;

/// The parameters of one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// What is measured.
    pub config: Config,
    /// The CPUs to pin to.
    pub cpus: Cpus,
    /// Untimed calls before the timed ones (process start-up, caches, page faults).
    pub warmup: u64,
    /// Timed calls.
    pub iterations: u64,
    /// Added to every answer by the supervisor or tracer; 0 except in tests that check the target
    /// notices a wrong answer.
    pub answer_offset: i64,
}

impl Round {
    /// All calls of the round, warm-up included.
    pub const fn total(&self) -> u64 {
        self.warmup + self.iterations
    }
}

/// Why a round produced no timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoundError {
    /// Forking or watching the peer failed.
    Spawn(Errno),
    /// The round did not finish in time; both processes were killed.
    Timeout(Duration),
    /// A process recorded this failure.
    Failed(Failure),
    /// The peer ended with this raw wait status without recording a failure.
    Status(i32),
}

impl fmt::Display for RoundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoundError::Spawn(errno) => write!(f, "starting the round failed: {errno}"),
            RoundError::Timeout(after) => write!(f, "the round did not finish within {after:?}"),
            RoundError::Failed(failure) => write!(f, "{failure}"),
            RoundError::Status(status) => write!(f, "the peer process ended with wait status {status:#x}"),
        }
    }
}

impl std::error::Error for RoundError {}

/// Runs one round and returns the target's timings in nanoseconds, one per timed call.
pub fn run(round: &Round, shared: &Shared, timeout: Duration) -> Result<Vec<u64>, RoundError> {
    shared.reset();
    // SAFETY: the peer runs `peer::main`, which (like the target it forks) only makes raw syscalls through
    // rustix and seccomp-sys, and reads and writes the shared mapping and its own stack: no allocation, no
    // lock, no panic, no stdio; it ends in exit_group.
    let pid = unsafe { fork_running(|| peer::main(round, shared)) }.map_err(RoundError::Spawn)?;
    let status = wait(pid, shared, timeout)?;
    if let Some(failure) = shared.failure() {
        return Err(RoundError::Failed(failure));
    }
    if status.exit_status() != Some(0) {
        return Err(RoundError::Status(status.as_raw()));
    }
    Ok(shared
        .samples(round.iterations as usize)
        .iter()
        .map(|slot| slot.load(Ordering::Relaxed))
        .collect())
}

/// Waits for the peer to end, at most `timeout`; after that kills the target, then the peer.
fn wait(pid: Pid, shared: &Shared, timeout: Duration) -> Result<WaitStatus, RoundError> {
    // Without pidfds (before 5.3) fall back to a plain wait: no timeout, but still a result.
    if let Ok(pidfd) = rustix::process::pidfd_open(pid, PidfdFlags::empty()) {
        let limit = Timespec {
            tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(timeout.subsec_nanos()),
        };
        let ready = loop {
            let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
            match rustix::event::poll(&mut fds, Some(&limit)) {
                Ok(ready) => break ready,
                Err(Errno::INTR) => continue,
                Err(errno) => return Err(RoundError::Spawn(errno)),
            }
        };
        if ready == 0 {
            // The target is the peer's child: while the peer lives, the target's pid cannot be reused,
            // so kill the target first.
            if let Some(target) = Pid::from_raw(shared.header().target_pid.load(Ordering::SeqCst)) {
                let _ = rustix::process::kill_process(target, Signal::KILL);
            }
            let _ = rustix::process::kill_process(pid, Signal::KILL);
            let _ = reap(pid);
            return Err(RoundError::Timeout(timeout));
        }
    }
    reap(pid)
}

fn reap(pid: Pid) -> Result<WaitStatus, RoundError> {
    loop {
        match rustix::process::waitpid(Some(pid), WaitOptions::empty()) {
            Ok(Some((_, status))) => return Ok(status),
            Ok(None) => return Err(RoundError::Spawn(Errno::CHILD)),
            Err(Errno::INTR) => continue,
            Err(errno) => return Err(RoundError::Spawn(errno)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{self, Mechanism, Placement, Support};
    use crate::shared::Stage;

    fn cpus() -> Cpus {
        let allowed = crate::allowed_cpus().unwrap();
        Cpus {
            a: allowed[0],
            b: allowed.get(1).copied(),
        }
    }

    fn round(config: Config, answer_offset: i64) -> Round {
        Round {
            config,
            cpus: cpus(),
            warmup: 5,
            iterations: 40,
            answer_offset,
        }
    }

    fn config(mechanism: Mechanism, placement: Placement) -> Config {
        Config {
            mechanism,
            placement,
            sync_wakeup: false,
            continue_syscall: false,
        }
    }

    /// Every configuration the machine supports intercepts every call and answers it as expected (the
    /// target checks each answer), and yields one timing per timed call.
    #[test]
    fn every_planned_configuration_completes_with_checked_answers() {
        let release = seccomp_sys::probe::kernel_release();
        let ioctls = seccomp_sys::probe::listener_ioctls();
        let support = Support {
            notify: ioctls.is_ok(),
            sync_wakeup: ioctls.is_ok_and(|i| i.set_flags_sync_wake_up.is_yes()),
            continue_syscall: release.version().is_some_and(|v| v >= (5, 5, 0)),
            trace: seccomp_sys::probe::action_available(seccomp_core::action::Action(
                seccomp_core::abi::RET_TRACE,
            ))
            .is_yes(),
        };
        let mut notes = Vec::new();
        let configs = plan::plan(cpus(), support, &mut notes);
        for note in &notes {
            println!("skipped: {note}");
        }
        let shared = Shared::new(64).unwrap();
        // The engine rows are measured by `emulated::measure` (tested there), not by a round.
        for config in configs.into_iter().filter(|config| !config.mechanism.is_engine()) {
            let round = round(config, 0);
            match run(&round, &shared, Duration::from_secs(30)) {
                Ok(samples) => {
                    assert_eq!(samples.len(), 40, "{config}");
                    assert!(samples.iter().all(|&ns| ns > 0), "{config}: {samples:?}");
                }
                // Tracing needs the right to ptrace our own child; a test run under a tracer or a strict
                // Yama policy lacks it. Say so visibly instead of failing.
                Err(RoundError::Failed(failure))
                    if failure.stage == Stage::Ptrace && failure.errno == Errno::PERM.raw_os_error() =>
                {
                    println!("skipped {config}: ptrace is not permitted here ({failure})");
                }
                Err(error) => panic!("{config}: {error}"),
            }
        }
    }

    /// A supervisor or tracer answering the wrong value is caught by the target at the first call, with
    /// both values in the failure: the benchmark cannot time calls that were not answered as intended.
    #[test]
    fn a_wrong_answer_fails_the_round_at_the_first_call() {
        let shared = Shared::new(64).unwrap();
        for mechanism in [Mechanism::Notify, Mechanism::PtraceSyscall, Mechanism::RetTrace] {
            let round = round(config(mechanism, Placement::Same), 1);
            match run(&round, &shared, Duration::from_secs(30)) {
                Err(RoundError::Failed(failure)) if failure.stage == Stage::Ptrace => {
                    println!("skipped {mechanism:?}: ptrace is not permitted here ({failure})");
                }
                Err(RoundError::Failed(failure)) => {
                    assert_eq!(failure.stage, Stage::WrongValue, "{mechanism:?}: {failure}");
                    assert_eq!(failure.iteration, 0, "{mechanism:?}");
                    assert_eq!((failure.got, failure.want), (MAGIC + 1, MAGIC), "{mechanism:?}");
                }
                other => panic!("{mechanism:?}: a wrong answer went unnoticed: {other:?}"),
            }
        }
    }

    /// The ERRNO filter's answer is checked too: the bare row expects the real parent and the errno row
    /// `EPERM`, so the two rows cannot be swapped by a broken filter.
    #[test]
    fn the_errno_row_sees_eperm_and_the_bare_row_the_parent() {
        let shared = Shared::new(64).unwrap();
        for mechanism in [Mechanism::Bare, Mechanism::Errno] {
            let samples = run(
                &round(config(mechanism, Placement::Any), 0),
                &shared,
                Duration::from_secs(30),
            )
            .unwrap_or_else(|error| panic!("{mechanism:?}: {error}"));
            assert_eq!(samples.len(), 40);
        }
    }

    /// A round that does not end is killed after the timeout instead of hanging the benchmark: here a
    /// futex ping-pong whose warm-up would take centuries.
    #[test]
    fn a_hung_round_is_killed_after_the_timeout() {
        let shared = Shared::new(64).unwrap();
        let mut hung = round(config(Mechanism::Futex, Placement::Any), 0);
        hung.warmup = u64::MAX / 4;
        let started = std::time::Instant::now();
        let result = run(&hung, &shared, Duration::from_secs(1));
        assert_eq!(result, Err(RoundError::Timeout(Duration::from_secs(1))));
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}
