//! Running the plan: one child process per step, in its own process group, killed when its time is up.
//!
//! Output of the children goes straight to the inherited console. Around each step the init prints
//! machine-readable lines that `cargo xtask vm-test` parses:
//!
//! ```text
//! VMTEST begin step=<name>
//! VMTEST step=<name> status=<status> expected=<status> result=pass|fail
//! VMTEST summary passed=<N> failed=<M>
//! ```

use crate::plan::Step;
use rustix::process::{Pid, Signal, kill_process_group};
use std::fmt;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The program exited with this code.
    Exited(i32),
    /// The program was killed by this signal (not by the init's timeout).
    Signaled(i32),
    /// The program outlived its timeout and was killed.
    TimedOut,
    /// The program could not be started (missing file, not executable, ...).
    SpawnFailed,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exited(code) => write!(f, "{code}"),
            Self::Signaled(signal) => write!(f, "signal-{signal}"),
            Self::TimedOut => f.write_str("timeout"),
            Self::SpawnFailed => f.write_str("spawn-error"),
        }
    }
}

impl Status {
    fn from_exit(status: ExitStatus) -> Self {
        match (status.code(), status.signal()) {
            (Some(code), _) => Self::Exited(code),
            (None, Some(signal)) => Self::Signaled(signal),
            // Neither a code nor a signal cannot happen for a waited-for child; report it as a failure.
            (None, None) => Self::SpawnFailed,
        }
    }
}

/// How often a running step is checked for completion.
const POLL: Duration = Duration::from_millis(20);

/// Runs one step to completion or timeout and returns how it ended.
pub fn run_step(step: &Step) -> Status {
    let Some((program, args)) = step.argv.split_first() else {
        return Status::SpawnFailed;
    };
    let mut command = Command::new(program);
    command.args(args).process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            println!("vm-init: cannot start `{program}`: {error}");
            return Status::SpawnFailed;
        }
    };
    let deadline = Instant::now() + step.timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Status::from_exit(status),
            Ok(None) if Instant::now() < deadline => sleep(POLL),
            Ok(None) => {
                println!(
                    "vm-init: step {} timed out after {} s; killing it",
                    step.name,
                    step.timeout.as_secs()
                );
                if let Some(pid) = Pid::from_raw(child.id() as i32) {
                    // The whole group: a test binary's forked children must not outlive it.
                    let _ = kill_process_group(pid, Signal::KILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                return Status::TimedOut;
            }
            Err(error) => {
                println!("vm-init: waiting for step {} failed: {error}", step.name);
                let _ = child.kill();
                return Status::SpawnFailed;
            }
        }
    }
}

/// Runs every step in order, printing the `VMTEST` lines, and returns `(passed, failed)`.
pub fn run_plan(steps: &[Step]) -> (usize, usize) {
    let mut passed = 0;
    let mut failed = 0;
    for step in steps {
        println!("VMTEST begin step={}", step.name);
        flush();
        let status = run_step(step);
        let ok = status.to_string() == step.expect;
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        println!(
            "\nVMTEST step={} status={status} expected={} result={}",
            step.name,
            step.expect,
            if ok { "pass" } else { "fail" }
        );
        flush();
    }
    println!("VMTEST summary passed={passed} failed={failed}");
    flush();
    (passed, failed)
}

/// Flushes stdout; the console is the only channel to the host, so a lost line is a lost result.
pub fn flush() {
    let _ = std::io::stdout().flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_display_matches_the_plan_syntax() {
        assert_eq!(Status::Exited(0).to_string(), "0");
        assert_eq!(Status::Exited(101).to_string(), "101");
        assert_eq!(Status::Signaled(31).to_string(), "signal-31");
        assert_eq!(Status::TimedOut.to_string(), "timeout");
        assert_eq!(Status::SpawnFailed.to_string(), "spawn-error");
    }
}
