//! The memory the coordinator, the supervisor and the target share: one `MAP_SHARED` anonymous mapping
//! made before the forks, so that every process of a round sees the same pages.
//!
//! It holds the futex word of the ping-pong baseline (on its own cache line), the target's pid (so that
//! the coordinator can kill it after a timeout), the first failure any process recorded, and the target's
//! per-call timings. Everything in it is an atomic, so the processes need no `unsafe` to use it and a
//! torn or racing access is impossible; the coordinator reads the results only after both processes have
//! exited, which orders their writes before its reads.

use rustix::io::Errno;
use rustix::mm::{MapFlags, ProtFlags};
use std::fmt;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU32, AtomicU64, Ordering};

/// A value alone on its cache line, so that the ping-pong word does not share a line with anything else.
#[repr(C, align(64))]
pub struct CacheLine<T>(pub T);

/// The fixed part at the start of the mapping.
#[repr(C)]
pub struct Header {
    /// The futex word of the ping-pong baseline.
    pub futex: CacheLine<AtomicU32>,
    /// The target's pid, written by the supervisor after forking it (0 before).
    pub target_pid: AtomicI32,
    stage: AtomicU32,
    errno: AtomicI32,
    iteration: AtomicU64,
    got: AtomicI64,
    want: AtomicI64,
}

/// What went wrong, recorded by the process that saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Stage {
    /// `sched_setaffinity` failed.
    Pin = 1,
    /// `prctl(PR_SET_NO_NEW_PRIVS)` failed.
    NoNewPrivs,
    /// Installing the filter failed.
    Install,
    /// Creating the socket pair for the listener failed.
    SocketPair,
    /// The target could not send its listener to the supervisor.
    SendFd,
    /// The supervisor did not receive the listener.
    RecvFd,
    /// `SECCOMP_IOCTL_NOTIF_SET_FLAGS` failed.
    SetFlags,
    /// Forking the target failed.
    Fork,
    /// The target's `getppid` returned something other than the expected answer.
    WrongValue,
    /// The target's `getppid` failed with an errno where a value was expected.
    SyscallFailed,
    /// `SECCOMP_IOCTL_NOTIF_RECV` failed.
    Recv,
    /// The supervisor or tracer was shown a syscall other than `getppid`.
    WrongSyscall,
    /// `SECCOMP_IOCTL_NOTIF_SEND` failed.
    Respond,
    /// A `ptrace` request failed.
    Ptrace,
    /// `waitpid` on the target failed or showed an unexpected stop.
    Wait,
    /// The target ended without recording a failure but not with status 0.
    TargetExit,
    /// A futex call failed.
    Futex,
    /// The supervisor or tracer saw a different number of calls than the target made.
    Count,
}

impl Stage {
    const ALL: [Stage; 18] = [
        Stage::Pin,
        Stage::NoNewPrivs,
        Stage::Install,
        Stage::SocketPair,
        Stage::SendFd,
        Stage::RecvFd,
        Stage::SetFlags,
        Stage::Fork,
        Stage::WrongValue,
        Stage::SyscallFailed,
        Stage::Recv,
        Stage::WrongSyscall,
        Stage::Respond,
        Stage::Ptrace,
        Stage::Wait,
        Stage::TargetExit,
        Stage::Futex,
        Stage::Count,
    ];

    fn from_raw(raw: u32) -> Option<Stage> {
        Stage::ALL.into_iter().find(|stage| *stage as u32 == raw)
    }

    fn describe(self) -> &'static str {
        match self {
            Stage::Pin => "pinning a process to its CPU failed",
            Stage::NoNewPrivs => "setting no_new_privs failed",
            Stage::Install => "installing the filter failed",
            Stage::SocketPair => "creating the socket pair failed",
            Stage::SendFd => "the target could not send the listener",
            Stage::RecvFd => "the supervisor did not receive the listener",
            Stage::SetFlags => "SECCOMP_IOCTL_NOTIF_SET_FLAGS failed",
            Stage::Fork => "forking the target failed",
            Stage::WrongValue => "getppid returned a wrong value: the call was not intercepted as expected",
            Stage::SyscallFailed => "getppid failed: the call was not intercepted as expected",
            Stage::Recv => "SECCOMP_IOCTL_NOTIF_RECV failed",
            Stage::WrongSyscall => "the supervisor was shown a syscall other than getppid",
            Stage::Respond => "SECCOMP_IOCTL_NOTIF_SEND failed",
            Stage::Ptrace => "a ptrace request failed",
            Stage::Wait => "waiting for the target failed or showed an unexpected state",
            Stage::TargetExit => "the target exited with a non-zero status",
            Stage::Futex => "a futex call failed",
            Stage::Count => "the supervisor counted a different number of calls than the target made",
        }
    }
}

/// A failure as recorded in the shared header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// What failed.
    pub stage: Stage,
    /// The errno, or 0 when there is none.
    pub errno: i32,
    /// The call (counting warm-up calls from 0) at which it happened.
    pub iteration: u64,
    /// The value seen (a return value, a raw wait status, a count), when it matters.
    pub got: i64,
    /// The value expected, when it matters.
    pub want: i64,
}

impl Failure {
    /// A failure of `stage` with an errno, at call `iteration`.
    pub fn os(stage: Stage, errno: Errno, iteration: u64) -> Failure {
        Failure {
            stage,
            errno: errno.raw_os_error(),
            iteration,
            got: 0,
            want: 0,
        }
    }

    /// A failure of `stage` where `got` was seen instead of `want`, at call `iteration`.
    pub fn mismatch(stage: Stage, iteration: u64, got: i64, want: i64) -> Failure {
        Failure {
            stage,
            errno: 0,
            iteration,
            got,
            want,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (call {}", self.stage.describe(), self.iteration)?;
        if self.errno != 0 {
            match u16::try_from(self.errno).ok().and_then(seccomp_core::errno::name) {
                Some(name) => write!(f, ", {name}")?,
                None => write!(f, ", errno {}", self.errno)?,
            }
        }
        if self.got != self.want {
            write!(f, ", got {} instead of {}", self.got, self.want)?;
        }
        f.write_str(")")
    }
}

/// The shared mapping: a [`Header`] followed by room for `capacity` timings.
pub struct Shared {
    base: *mut std::ffi::c_void,
    len: usize,
    capacity: usize,
}

/// Where the timings start: after the header, on a cache-line boundary.
const SAMPLES_OFFSET: usize = size_of::<Header>().next_multiple_of(64);

impl Shared {
    /// `mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)` with room for
    /// `capacity` timings. The kernel hands out zeroed pages, which is a valid value of every atomic.
    pub fn new(capacity: usize) -> Result<Shared, Errno> {
        let len = capacity
            .checked_mul(8)
            .and_then(|bytes| bytes.checked_add(SAMPLES_OFFSET))
            .ok_or(Errno::NOMEM)?;
        // SAFETY: a new anonymous mapping at an address the kernel chooses overlaps nothing we own.
        let base = unsafe {
            rustix::mm::mmap_anonymous(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
            )
        }?;
        Ok(Shared { base, len, capacity })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        // SAFETY: the mapping is page-aligned (more than the header's 64-byte alignment), at least
        // SAMPLES_OFFSET bytes long, readable and writable, and lives until `self` is dropped; the header
        // consists of atomics, for which every bit pattern (the zeroed pages included) is valid, and which
        // may be shared between processes and threads.
        unsafe { &*self.base.cast::<Header>() }
    }

    /// The first `count` timing slots (all of them if `count` exceeds the capacity).
    pub fn samples(&self, count: usize) -> &[AtomicU64] {
        // SAFETY: the slots start at SAMPLES_OFFSET, a multiple of 8, inside a page-aligned mapping that
        // holds `capacity` of them after that offset and lives as long as `self`; AtomicU64 is valid for
        // every bit pattern.
        unsafe {
            std::slice::from_raw_parts(
                self.base.cast::<u8>().add(SAMPLES_OFFSET).cast::<AtomicU64>(),
                count.min(self.capacity),
            )
        }
    }

    /// Clears the header before a round.
    pub fn reset(&self) {
        let header = self.header();
        header.futex.0.store(0, Ordering::SeqCst);
        header.target_pid.store(0, Ordering::SeqCst);
        header.stage.store(0, Ordering::SeqCst);
        header.errno.store(0, Ordering::SeqCst);
        header.iteration.store(0, Ordering::SeqCst);
        header.got.store(0, Ordering::SeqCst);
        header.want.store(0, Ordering::SeqCst);
    }

    /// Records `failure` unless an earlier one is already recorded (the first failure is the cause).
    pub fn fail(&self, failure: Failure) {
        let header = self.header();
        if header
            .stage
            .compare_exchange(0, failure.stage as u32, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            header.errno.store(failure.errno, Ordering::SeqCst);
            header.iteration.store(failure.iteration, Ordering::SeqCst);
            header.got.store(failure.got, Ordering::SeqCst);
            header.want.store(failure.want, Ordering::SeqCst);
        }
    }

    /// The recorded failure, if any.
    pub fn failure(&self) -> Option<Failure> {
        let header = self.header();
        let stage = Stage::from_raw(header.stage.load(Ordering::SeqCst))?;
        Some(Failure {
            stage,
            errno: header.errno.load(Ordering::SeqCst),
            iteration: header.iteration.load(Ordering::SeqCst),
            got: header.got.load(Ordering::SeqCst),
            want: header.want.load(Ordering::SeqCst),
        })
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: `base` and `len` are exactly the mapping made in `new`; no reference into it outlives
        // `self`, which is being dropped. A forked child has its own copy of the mapping.
        let _ = unsafe { rustix::mm::munmap(self.base, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_wins_and_reset_clears_it() {
        let shared = Shared::new(4).unwrap();
        assert_eq!(shared.failure(), None);
        let first = Failure::mismatch(Stage::WrongValue, 7, 1, 2);
        shared.fail(first);
        shared.fail(Failure::os(Stage::Recv, Errno::NOENT, 9));
        assert_eq!(shared.failure(), Some(first));
        shared.reset();
        assert_eq!(shared.failure(), None);
    }

    #[test]
    fn samples_are_bounded_by_the_capacity() {
        let shared = Shared::new(3).unwrap();
        assert_eq!(shared.samples(10).len(), 3);
        shared.samples(3)[2].store(5, Ordering::Relaxed);
        assert_eq!(shared.samples(3)[2].load(Ordering::Relaxed), 5);
    }

    #[test]
    fn failures_name_the_call_and_both_values() {
        let text = Failure::mismatch(Stage::WrongValue, 3, -38, 42).to_string();
        assert!(text.contains("call 3"), "{text}");
        assert!(text.contains("got -38 instead of 42"), "{text}");
        let text = Failure::os(Stage::Ptrace, Errno::PERM, 0).to_string();
        assert!(text.contains("EPERM"), "{text}");
    }
}
