//! The measuring half of `cargo xtask bench-notify`: notification round trips with seccomp-sys's listener,
//! against a bare syscall, an `ERRNO` filter, two ptrace tracers and a futex ping-pong lower bound.
//!
//! The xtask builds this crate in release mode and runs its binary, which writes every timing to a file;
//! the xtask computes the percentiles and writes the table, the JSON and the SVG. Keeping the measured
//! code here, in a crate built with optimizations, keeps a debug build of the xtask from being measured.
//!
//! Modules:
//! - [`plan`]: the configurations (mechanism, CPU placement, flags) measured on this machine.
//! - [`round`]: one round seen from the coordinator: fork, wait with a timeout, collect timings.
//! - [`peer`]: the supervisor, tracer or futex partner process.
//! - [`target`]: the process whose `getppid` calls are timed and checked.
//! - [`ptrace`]: the raw ptrace requests of the two tracers.
//! - [`shared`]: the `MAP_SHARED` memory the processes of a round share.
//! - [`output`]: the raw text format the xtask reads.
//! - [`emulated`]: the engine's rows (`supervisor*`): its own round trip, a path-checked `openat` done by
//!   `seccomp-supervisor` and injected with `ADDFD_SEND`, and that `openat` answered `CONTINUE`.
//! - [`throughput`]: the throughput rows: 8 targets against one listener served by `seccomp-supervisor`
//!   with 1 and 2 threads, two handlers, with the CPU time per notification of both sides.
//!
//! Each round forks two processes, so unlike the xtask this crate needs `fork` and therefore `unsafe`:
//! the forked code paths (everything reachable from [`peer::main`]) are restricted to raw syscalls and
//! the shared mapping, as [`seccomp_sys::process::fork`] requires.

pub mod emulated;
pub mod output;
pub mod peer;
pub mod plan;
pub mod ptrace;
pub mod round;
pub mod shared;
pub mod target;
pub mod throughput;

use rustix::io::Errno;
use rustix::thread::CpuSet;
use rustix::time::ClockId;
use seccomp_sys::process::{self, Fork};

/// The syscall every mechanism intercepts.
pub const GETPPID: u32 = linux_raw_sys::general::__NR_getppid;

/// The `AUDIT_ARCH_*` value of the native syscall ABI, as a notification reports it.
#[cfg(target_arch = "x86_64")]
pub const NATIVE_AUDIT_ARCH: u32 = seccomp_core::abi::AUDIT_ARCH_X86_64;
/// The `AUDIT_ARCH_*` value of the native syscall ABI, as a notification reports it.
#[cfg(target_arch = "aarch64")]
pub const NATIVE_AUDIT_ARCH: u32 = seccomp_core::abi::AUDIT_ARCH_AARCH64;

/// Forks a child that runs `body` and exits with the status `body` returns; returns the child's pid.
///
/// # Safety
///
/// `body` runs in a copy of a possibly multi-threaded process (the test harness), so it must be
/// async-signal-safe as [`seccomp_sys::process::fork`] requires: raw syscalls and memory prepared before
/// the fork only; no allocation, no lock, no panic, no stdio.
pub unsafe fn fork_running(body: impl FnOnce() -> i32) -> Result<rustix::process::Pid, Errno> {
    // SAFETY: the child runs only `body`, which the caller guarantees is async-signal-safe, and then
    // exit_group; it never returns into the caller's code.
    match unsafe { process::fork() }? {
        Fork::Child => process::exit_group(body()),
        Fork::Parent(pid) => Ok(pid),
    }
}

/// `sched_setaffinity(0, {cpu})`: pins the calling process to one CPU.
pub fn pin(cpu: usize) -> Result<(), Errno> {
    if cpu >= CpuSet::MAX_CPU {
        return Err(Errno::INVAL);
    }
    let mut set = CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set)
}

/// The CPUs this process may run on, in increasing order.
pub fn allowed_cpus() -> Result<Vec<usize>, Errno> {
    let set = rustix::thread::sched_getaffinity(None)?;
    Ok((0..CpuSet::MAX_CPU).filter(|&cpu| set.is_set(cpu)).collect())
}

/// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds, through the vDSO (no syscall, so no tracer stop).
#[inline(always)]
pub fn now_ns() -> u64 {
    let now = rustix::time::clock_gettime(ClockId::Monotonic);
    (now.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(now.tv_nsec as u64)
}

/// `getppid()` as a raw syscall, so that whatever a filter or a tracer made of it is seen unchanged:
/// a value, or an errno.
#[inline(always)]
pub fn getppid() -> Result<usize, Errno> {
    // SAFETY: getppid takes no argument, touches no memory and changes no state.
    unsafe { seccomp_sys::raw::syscall0(GETPPID) }
}
