//! The peer process of a round: forks the target, then plays the other side of the mechanism (the
//! notification supervisor, the tracer, or the futex partner) and reaps the target.
//!
//! Everything here runs in a forked child: raw syscalls and the shared mapping only (see
//! [`crate::fork_running`]).

use crate::plan::{Mechanism, Placement};
use crate::ptrace;
use crate::round::{MAGIC, Round};
use crate::shared::{Failure, Shared, Stage};
use crate::target::{self, wait_while};
use crate::{GETPPID, NATIVE_AUDIT_ARCH, fork_running, pin};
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions, WaitStatus};
use rustix::thread::futex;
use seccomp_sys::listener::ListenerFlags;
use seccomp_sys::{Listener, Response, fdpass};
use std::sync::atomic::Ordering;

/// `SIGTRAP | 0x80`: the stop signal of a syscall stop under `PTRACE_O_TRACESYSGOOD`.
const SYSCALL_STOP: u32 = Signal::TRAP.as_raw() as u32 | 0x80;

/// The peer's main: returns its exit status (0, or 1 with a failure recorded in `shared`).
pub fn main(round: &Round, shared: &Shared) -> i32 {
    match run(round, shared) {
        Ok(()) => 0,
        Err(failure) => {
            shared.fail(failure);
            1
        }
    }
}

fn run(round: &Round, shared: &Shared) -> Result<(), Failure> {
    let setup = |stage| move |errno| Failure::os(stage, errno, 0);
    let cpu = match round.config.placement {
        Placement::Same => Some(round.cpus.a),
        Placement::Diff => Some(round.cpus.b.ok_or(Errno::INVAL).map_err(setup(Stage::Pin))?),
        Placement::Any => None,
    };
    if let Some(cpu) = cpu {
        pin(cpu).map_err(setup(Stage::Pin))?;
    }
    match round.config.mechanism {
        Mechanism::Bare | Mechanism::Errno => {
            let target = spawn_target(round, shared, None)?;
            finish(target, Ok(()))
        }
        Mechanism::Notify => {
            let (ours, theirs) = fdpass::socketpair().map_err(setup(Stage::SocketPair))?;
            let target = spawn_target(round, shared, Some(theirs.as_fd()))?;
            // Without our copy of the target's end, a target that dies before sending closes the pair and
            // the receive below fails instead of blocking.
            drop(theirs);
            let result = supervise(round, ours.as_fd());
            finish(target, result)
        }
        Mechanism::PtraceSyscall | Mechanism::RetTrace => {
            let target = spawn_target(round, shared, None)?;
            match trace(round, target) {
                // The tracer reaped the target itself.
                Ok(status) if status.exit_status() == Some(0) => Ok(()),
                Ok(status) => Err(Failure::mismatch(
                    Stage::TargetExit,
                    0,
                    i64::from(status.as_raw()),
                    0,
                )),
                Err(failure) => finish(target, Err(failure)),
            }
        }
        Mechanism::Futex => {
            let target = spawn_target(round, shared, None)?;
            let result = pong(round, shared);
            finish(target, result)
        }
        // Served in the benchmark process by `emulated::measure`, never by a peer.
        Mechanism::Supervisor
        | Mechanism::SupervisorOpen
        | Mechanism::SupervisorOpenFloor
        | Mechanism::SupervisorAddfd => Err(Failure::os(Stage::Fork, Errno::INVAL, 0)),
    }
}

fn spawn_target(round: &Round, shared: &Shared, socket: Option<BorrowedFd<'_>>) -> Result<Pid, Failure> {
    // SAFETY: the target runs `target::main`, which makes only raw syscalls and uses the shared mapping and
    // its stack (see the target module); it ends in exit_group.
    let pid = unsafe { fork_running(|| target::main(round, shared, socket)) }
        .map_err(|errno| Failure::os(Stage::Fork, errno, 0))?;
    shared
        .header()
        .target_pid
        .store(pid.as_raw_nonzero().get(), Ordering::SeqCst);
    Ok(pid)
}

/// Reaps the target (killing it first if the peer failed) and turns its status into the round's result.
fn finish(target: Pid, result: Result<(), Failure>) -> Result<(), Failure> {
    if result.is_err() {
        let _ = rustix::process::kill_process(target, Signal::KILL);
    }
    let status = reap(target)?;
    result?;
    if status.exit_status() == Some(0) {
        Ok(())
    } else {
        Err(Failure::mismatch(
            Stage::TargetExit,
            0,
            i64::from(status.as_raw()),
            0,
        ))
    }
}

fn reap(target: Pid) -> Result<WaitStatus, Failure> {
    loop {
        match rustix::process::waitpid(Some(target), WaitOptions::empty()) {
            Ok(Some((_, status))) => return Ok(status),
            Ok(None) => return Err(Failure::os(Stage::Wait, Errno::CHILD, 0)),
            Err(Errno::INTR) => continue,
            Err(errno) => return Err(Failure::os(Stage::Wait, errno, 0)),
        }
    }
}

/// The notification supervisor: receives the target's listener, then answers each `getppid` with
/// `MAGIC + n` (or CONTINUE).
fn supervise(round: &Round, socket: BorrowedFd<'_>) -> Result<(), Failure> {
    let listener =
        Listener::from(fdpass::recv_fd(socket).map_err(|_| Failure::os(Stage::RecvFd, Errno::PIPE, 0))?);
    if round.config.sync_wakeup {
        listener
            .set_flags(ListenerFlags::SYNC_WAKE_UP)
            .map_err(|errno| Failure::os(Stage::SetFlags, errno, 0))?;
    }
    for count in 0..round.total() {
        let notification = listener.recv().map_err(|error| {
            let errno = match error {
                seccomp_sys::listener::RecvError::Os(errno) => errno,
                seccomp_sys::listener::RecvError::TargetGone => Errno::NOENT,
                _ => Errno::INVAL,
            };
            Failure::os(Stage::Recv, errno, count)
        })?;
        if notification.nr() as u32 != GETPPID || notification.arch() != NATIVE_AUDIT_ARCH {
            return Err(Failure::mismatch(
                Stage::WrongSyscall,
                count,
                i64::from(notification.nr()),
                i64::from(GETPPID),
            ));
        }
        let response = if round.config.continue_syscall {
            Response::continue_syscall(notification.id())
        } else {
            Response::value(notification.id(), answer(round, count))
        };
        listener
            .respond(response)
            .map_err(|_| Failure::os(Stage::Respond, Errno::NOENT, count))?;
    }
    Ok(())
}

/// The answer to call `count`.
fn answer(round: &Round, count: u64) -> i64 {
    MAGIC.wrapping_add(count as i64).wrapping_add(round.answer_offset)
}

/// The tracer of both ptrace mechanisms; returns the target's final status once it has exited.
fn trace(round: &Round, target: Pid) -> Result<WaitStatus, Failure> {
    let ptrace_error = |count| move |errno| Failure::os(Stage::Ptrace, errno, count);
    // The target stops itself with SIGSTOP once it is ready to be traced.
    let status = reap(target)?;
    if status.stopping_signal() != Some(Signal::STOP.as_raw()) {
        return Err(Failure::mismatch(Stage::Wait, 0, i64::from(status.as_raw()), 0));
    }
    let syscall_stops = round.config.mechanism == Mechanism::PtraceSyscall;
    let options = if syscall_stops {
        ptrace::O_TRACESYSGOOD
    } else {
        ptrace::O_TRACESECCOMP
    };
    ptrace::set_options(target, options | ptrace::O_EXITKILL).map_err(ptrace_error(0))?;
    let resume = |signal| {
        if syscall_stops {
            ptrace::resume_to_syscall(target, signal)
        } else {
            ptrace::resume(target, signal)
        }
    };
    // The initial SIGSTOP is swallowed (resumed with signal 0).
    resume(0).map_err(ptrace_error(0))?;
    let mut count = 0u64;
    let mut in_getppid = false;
    loop {
        let status = reap(target)?;
        if !status.stopped() {
            if count != round.total() && status.exit_status() == Some(0) {
                return Err(Failure::mismatch(
                    Stage::Count,
                    count,
                    count as i64,
                    round.total() as i64,
                ));
            }
            return Ok(status);
        }
        let raw = status.as_raw() as u32;
        let signal = (raw >> 8) & 0xff;
        let event = raw >> 16;
        let mut deliver = 0;
        if syscall_stops && signal == SYSCALL_STOP {
            let info = ptrace::syscall_info(target).map_err(ptrace_error(count))?;
            match info.op {
                ptrace::INFO_ENTRY => in_getppid = info.nr() == u64::from(GETPPID),
                ptrace::INFO_EXIT if in_getppid => {
                    ptrace::set_return(target, answer(round, count) as u64).map_err(ptrace_error(count))?;
                    count += 1;
                    in_getppid = false;
                }
                _ => {}
            }
        } else if !syscall_stops && signal == Signal::TRAP.as_raw() as u32 && event == ptrace::EVENT_SECCOMP {
            let info = ptrace::syscall_info(target).map_err(ptrace_error(count))?;
            if info.op != ptrace::INFO_SECCOMP || info.nr() != u64::from(GETPPID) {
                return Err(Failure::mismatch(
                    Stage::WrongSyscall,
                    count,
                    info.nr() as i64,
                    i64::from(GETPPID),
                ));
            }
            ptrace::skip_with_return(target, answer(round, count) as u64).map_err(ptrace_error(count))?;
            count += 1;
        } else if event == 0 {
            // A signal-delivery stop: hand the signal on.
            deliver = signal;
        }
        resume(deliver).map_err(ptrace_error(count))?;
    }
}

/// The futex baseline, peer side: sleep until request `2i + 1` is posted, post `2i + 2`, wake the target.
fn pong(round: &Round, shared: &Shared) -> Result<(), Failure> {
    let word = &shared.header().futex.0;
    for i in 0..round.total() {
        let request = (2 * i + 1) as u32;
        wait_while(word, request.wrapping_sub(1), i)?;
        let seen = word.load(Ordering::Acquire);
        if seen != request {
            return Err(Failure::mismatch(
                Stage::WrongValue,
                i,
                i64::from(seen),
                i64::from(request),
            ));
        }
        word.store(request.wrapping_add(1), Ordering::Release);
        futex::wake(word, futex::Flags::empty(), 1).map_err(|errno| Failure::os(Stage::Futex, errno, i))?;
    }
    Ok(())
}
