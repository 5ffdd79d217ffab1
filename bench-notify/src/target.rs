//! The target process: makes the timed `getppid` calls and checks every answer.
//!
//! Each call is timed on its own with `clock_gettime(CLOCK_MONOTONIC)` (vDSO, no syscall) right before and
//! right after it; the difference is one round trip. The check comes after the second clock read, so it is
//! not timed. A call that was not intercepted shows up as a failure, not as a number: an unanswered
//! notification or an absent tracer makes the filter's `getppid` fail (`ENOSYS`), and the intercepted
//! answers (`MAGIC + n`) cannot be a real parent pid.
//!
//! Everything here runs in a forked child: raw syscalls and the shared mapping only (see
//! [`crate::fork_running`]).

use crate::plan::{Mechanism, Placement};
use crate::ptrace;
use crate::round::{MAGIC, Round};
use crate::shared::{Failure, Shared, Stage};
use crate::{GETPPID, NATIVE_AUDIT_ARCH, getppid, now_ns, pin};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::{PidfdFlags, Signal};
use rustix::thread::futex;
use seccomp_core::abi::{self, SockFilter, offset};
use seccomp_core::bpf::insn::{BPF_JEQ, BPF_JMP, BPF_K};
use seccomp_sys::{FilterFlags, fdpass};
use std::sync::atomic::{AtomicU32, Ordering};

/// The filter of the seccomp mechanisms: `action` for the native `getppid`, allow everything else, kill
/// a foreign architecture.
pub const fn program(action: u32) -> [SockFilter; 7] {
    [
        SockFilter::load_data(offset::ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0),
        SockFilter::ret(abi::RET_KILL_PROCESS),
        SockFilter::load_data(offset::NR),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, GETPPID, 0, 1),
        SockFilter::ret(action),
        SockFilter::ret(abi::RET_ALLOW),
    ]
}

/// The target's main: returns its exit status (0, or 1 with a failure recorded in `shared`).
///
/// `listener_socket` is where the notify mechanism sends its listener. On failure the target also kills
/// its peer (through a pidfd opened at start, so never another process), which may be blocked waiting for
/// a call that will never come.
pub fn main(round: &Round, shared: &Shared, listener_socket: Option<BorrowedFd<'_>>) -> i32 {
    let parent = rustix::process::getppid();
    let peer = parent.and_then(|pid| rustix::process::pidfd_open(pid, PidfdFlags::empty()).ok());
    match run(
        round,
        shared,
        listener_socket,
        parent.map_or(0, |pid| i64::from(pid.as_raw_nonzero().get())),
    ) {
        Ok(()) => 0,
        Err(failure) => {
            shared.fail(failure);
            if round.config.mechanism.has_peer()
                && let Some(peer) = &peer
            {
                let _ = rustix::process::pidfd_send_signal(peer, Signal::KILL);
            }
            1
        }
    }
}

fn run(
    round: &Round,
    shared: &Shared,
    listener_socket: Option<BorrowedFd<'_>>,
    parent: i64,
) -> Result<(), Failure> {
    let setup = |stage| move |errno| Failure::os(stage, errno, 0);
    match round.config.placement {
        Placement::Same | Placement::Diff => pin(round.cpus.a).map_err(setup(Stage::Pin))?,
        Placement::Any => {}
    }
    let magic = |i: u64| MAGIC.wrapping_add(i as i64);
    match round.config.mechanism {
        Mechanism::Bare => timed_getppid(round, shared, |i, ret| expect_value(i, ret, parent)),
        Mechanism::Errno => {
            install(
                abi::RET_ERRNO | Errno::PERM.raw_os_error() as u32,
                FilterFlags::EMPTY,
            )?;
            timed_getppid(round, shared, |i, ret| match ret {
                Err(Errno::PERM) => Ok(()),
                other => Err(unexpected(i, other, -i64::from(Errno::PERM.raw_os_error()))),
            })
        }
        Mechanism::Notify => {
            let socket = listener_socket.ok_or(Failure::os(Stage::SendFd, Errno::BADF, 0))?;
            let listener = install(abi::RET_USER_NOTIF, FilterFlags::NEW_LISTENER)?.ok_or(Failure::os(
                Stage::Install,
                Errno::BADF,
                0,
            ))?;
            fdpass::send_fd(socket, listener.as_fd()).map_err(setup(Stage::SendFd))?;
            // The supervisor has its own copy now; the target keeps none.
            drop(listener);
            if round.config.continue_syscall {
                timed_getppid(round, shared, |i, ret| expect_value(i, ret, parent))
            } else {
                timed_getppid(round, shared, |i, ret| expect_value(i, ret, magic(i)))
            }
        }
        Mechanism::PtraceSyscall => {
            ptrace::traceme().map_err(setup(Stage::Ptrace))?;
            stop_for_tracer()?;
            timed_getppid(round, shared, |i, ret| expect_value(i, ret, magic(i)))
        }
        Mechanism::RetTrace => {
            ptrace::traceme().map_err(setup(Stage::Ptrace))?;
            install(abi::RET_TRACE, FilterFlags::EMPTY)?;
            stop_for_tracer()?;
            timed_getppid(round, shared, |i, ret| expect_value(i, ret, magic(i)))
        }
        Mechanism::Futex => ping(round, shared),
        // Measured by `emulated::measure`, never forked by a peer.
        Mechanism::Supervisor
        | Mechanism::SupervisorOpen
        | Mechanism::SupervisorOpenFloor
        | Mechanism::SupervisorAddfd => Err(Failure::os(Stage::Fork, Errno::INVAL, 0)),
    }
}

/// Sets `no_new_privs` and installs [`program`] with `action`.
fn install(action: u32, flags: FilterFlags) -> Result<Option<OwnedFd>, Failure> {
    seccomp_sys::set_no_new_privs().map_err(|errno| Failure::os(Stage::NoNewPrivs, errno, 0))?;
    let insns = program(action);
    let validated =
        seccomp_core::bpf::validate(&insns).map_err(|_| Failure::os(Stage::Install, Errno::INVAL, 0))?;
    seccomp_sys::install(&validated, flags).map_err(|error| {
        let errno = match error {
            seccomp_sys::InstallError::Os(errno) => errno,
            seccomp_sys::InstallError::PermissionDenied => Errno::ACCESS,
            seccomp_sys::InstallError::ListenerExists => Errno::BUSY,
            _ => Errno::INVAL,
        };
        Failure::os(Stage::Install, errno, 0)
    })
}

/// `kill(getpid(), SIGSTOP)`: the tracer (our parent, after `PTRACE_TRACEME`) sees the stop and sets its
/// options before any timed call.
fn stop_for_tracer() -> Result<(), Failure> {
    rustix::process::kill_process(rustix::process::getpid(), Signal::STOP)
        .map_err(|errno| Failure::os(Stage::Ptrace, errno, 0))
}

/// The expected value, or a failure that says what came instead.
fn expect_value(iteration: u64, ret: Result<usize, Errno>, want: i64) -> Result<(), Failure> {
    match ret {
        Ok(value) if value as i64 == want => Ok(()),
        other => Err(unexpected(iteration, other, want)),
    }
}

fn unexpected(iteration: u64, ret: Result<usize, Errno>, want: i64) -> Failure {
    match ret {
        Ok(value) => Failure::mismatch(Stage::WrongValue, iteration, value as i64, want),
        Err(errno) => Failure {
            stage: Stage::SyscallFailed,
            errno: errno.raw_os_error(),
            iteration,
            got: -i64::from(errno.raw_os_error()),
            want,
        },
    }
}

/// Zeroes the timing slots before the loop, so that the first touch of each page (a page fault in this
/// process) does not happen between two timed calls.
fn touch(shared: &Shared, round: &Round) {
    for slot in shared.samples(round.iterations as usize) {
        slot.store(0, Ordering::Relaxed);
    }
}

/// Stores the timing of call `i` (counting warm-up) if it is a timed one.
#[inline(always)]
fn record(shared: &Shared, round: &Round, i: u64, nanos: u64) {
    if let Some(slot) = i
        .checked_sub(round.warmup)
        .and_then(|timed| shared.samples(round.iterations as usize).get(timed as usize))
    {
        slot.store(nanos, Ordering::Relaxed);
    }
}

/// The timed loop: `getppid` between two clock reads, `check` on each result.
#[inline(always)]
fn timed_getppid(
    round: &Round,
    shared: &Shared,
    mut check: impl FnMut(u64, Result<usize, Errno>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    touch(shared, round);
    for i in 0..round.total() {
        let start = now_ns();
        let ret = getppid();
        let end = now_ns();
        check(i, ret)?;
        record(shared, round, i, end.wrapping_sub(start));
    }
    Ok(())
}

/// The futex baseline, target side: post request `2i + 1`, wake the peer, sleep until it posts `2i + 2`.
fn ping(round: &Round, shared: &Shared) -> Result<(), Failure> {
    touch(shared, round);
    let word = &shared.header().futex.0;
    for i in 0..round.total() {
        let request = (2 * i + 1) as u32;
        let start = now_ns();
        word.store(request, Ordering::Release);
        futex::wake(word, futex::Flags::empty(), 1).map_err(|errno| Failure::os(Stage::Futex, errno, i))?;
        wait_while(word, request, i)?;
        let end = now_ns();
        let reply = word.load(Ordering::Acquire);
        if reply != request.wrapping_add(1) {
            return Err(Failure::mismatch(
                Stage::WrongValue,
                i,
                i64::from(reply),
                i64::from(request.wrapping_add(1)),
            ));
        }
        record(shared, round, i, end.wrapping_sub(start));
    }
    Ok(())
}

/// Sleeps on `word` while it holds `value` (`FUTEX_WAIT`, shared between processes).
#[inline(always)]
pub fn wait_while(word: &AtomicU32, value: u32, iteration: u64) -> Result<(), Failure> {
    while word.load(Ordering::Acquire) == value {
        match futex::wait(word, futex::Flags::empty(), value, None) {
            Ok(()) | Err(Errno::AGAIN | Errno::INTR) => {}
            Err(errno) => return Err(Failure::os(Stage::Futex, errno, iteration)),
        }
    }
    Ok(())
}
