//! Support for the differential tests of seccomp-core's validator and emulator against the running kernel
//! (`crosscheck_validator.rs`, `crosscheck_emulator.rs`): the campaign size from the environment, a
//! per-program seed, a wait that does not poll, and ways for a child to end or report that keep working
//! after it has installed an arbitrary filter.
//!
//! A child that has installed a generated filter cannot rely on any syscall: the filter may kill it, trap
//! it, or make the syscall fail with an errno and return. So a child reports through plain stores to a
//! [`Shared`] page made *before* anything can interfere, and ends with [`die`] or [`end_thread`], which fall
//! back to an undefined instruction (SIGILL, which the kernel always delivers) when the filter refuses
//! `exit_group` or `exit`.

use super::{Child, Outcome, Shared};
use linux_raw_sys::general as nr;
use rustix::fd::AsFd;
use seccomp_core::Rng;
use std::sync::atomic::{AtomicI64, AtomicPtr, Ordering};

/// Default number of programs the validator campaign loads (`CROSSCHECK_PROGRAMS`).
pub const DEFAULT_PROGRAMS: usize = 10_000;
/// Default number of syscalls the emulator campaign makes under single filters (`CROSSCHECK_PROBES`).
pub const DEFAULT_PROBES: usize = 1_000;
/// Default seed (`CROSSCHECK_SEED`), fixed so that every run checks the same programs.
pub const DEFAULT_SEED: u64 = 0x5ecc_0b9f_c0de_2024;

/// The size of a campaign, read from the environment so that slow machines (TCG emulation) can run
/// fewer and `cargo xtask crosscheck` many more.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// `CROSSCHECK_PROGRAMS`: programs for the validator campaign.
    pub programs: usize,
    /// `CROSSCHECK_PROBES`: syscalls for the emulator campaign.
    pub probes: usize,
    /// `CROSSCHECK_SEED`: the seed every program is derived from (decimal or `0x` hex).
    pub seed: u64,
}

impl Config {
    /// Reads the three variables; an unset variable takes its default, a malformed one fails the test
    /// with a message naming it.
    pub fn from_env() -> Config {
        Config {
            programs: env_number("CROSSCHECK_PROGRAMS").map_or(DEFAULT_PROGRAMS, |n| n as usize),
            probes: env_number("CROSSCHECK_PROBES").map_or(DEFAULT_PROBES, |n| n as usize),
            seed: env_number("CROSSCHECK_SEED").unwrap_or(DEFAULT_SEED),
        }
    }
}

/// The value of environment variable `name` as a number (decimal, or hex with `0x`), `None` when unset.
fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let trimmed = text.trim();
    let parsed = match trimmed.strip_prefix("0x").or_else(|| trimmed.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => trimmed.replace('_', "").parse::<u64>(),
    };
    match parsed {
        Ok(value) => Some(value),
        Err(error) => panic!("environment variable {name}={text:?} is not a number: {error}"),
    }
}

/// The generator for program `index` of a campaign: each program has its own stream, so a program that
/// fails can be reproduced from `(seed, index)` alone, whatever the batching.
pub fn program_rng(seed: u64, index: u64) -> Rng {
    // The index-th output of SplitMix64 from `seed` seeds the program's stream.
    let mut base = Rng::new(seed.wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    Rng::new(base.next_u64())
}

/// Writes one line to the real stderr, so that a campaign's summary shows even when the harness captures
/// the test's output.
pub fn report(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Waits for `child` to end without the polling sleeps of [`Child::wait`]: a pidfd (5.3+) becomes readable
/// when the child exits, after which the wait returns at once. Falls back to [`Child::wait`] when pidfds
/// are missing. Still bounded by [`super::CHILD_TIMEOUT`].
pub fn wait(child: Child) -> Outcome {
    if let Ok(pidfd) = rustix::process::pidfd_open(child.pid(), rustix::process::PidfdFlags::empty()) {
        super::wait_readable(pidfd.as_fd());
    }
    child.wait()
}

/// Executes an undefined instruction. The kernel delivers the resulting SIGILL even when it is blocked or
/// ignored, so the process dies without making a syscall.
pub fn crash() -> ! {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `ud2` raises #UD, delivered as a forced SIGILL whose default action ends the process; control
    // never comes back to the instruction after it.
    unsafe {
        core::arch::asm!("ud2", options(noreturn, nomem, nostack))
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: `udf #0` is permanently undefined and raises a forced SIGILL whose default action ends the
    // process; control never comes back to the instruction after it.
    unsafe {
        core::arch::asm!("udf #0", options(noreturn, nomem, nostack))
    }
}

/// `exit_group(code)`, made through a syscall that may return: a filter that answers `exit_group` with an
/// errno does not leave the child running on, it ends it through [`crash`].
pub fn die(code: i32) -> ! {
    // SAFETY: exit_group ends the process or, when a filter refuses it, changes nothing.
    let _ = unsafe { seccomp_sys::raw::syscall3(nr::__NR_exit_group, code as usize, 0, 0) };
    crash()
}

/// `exit(0)`, which ends the calling thread only; [`crash`] (the whole process) when a filter refuses it.
/// Only for raw threads whose stack nothing else uses afterwards.
pub fn end_thread() -> ! {
    // SAFETY: exit ends the calling raw thread (its stack is owned by the creator, who only reuses it after
    // the join) or, when a filter refuses it, changes nothing.
    let _ = unsafe { seccomp_sys::raw::syscall3(nr::__NR_exit, 0, 0, 0) };
    crash()
}

/// Slots of the [`Shared`] page that the SIGSYS recorder of [`record_traps`] reads and writes.
pub mod trap_slots {
    /// The child stores the index of the syscall it is about to make here (read by the handler).
    pub const CURRENT: usize = 2;
    /// The handler stores `CURRENT + 1` here: 0 means no SIGSYS was caught.
    pub const TRAPPED_AT: usize = 3;
    /// `si_errno` of the SIGSYS (the TRAP action's data).
    pub const SI_ERRNO: usize = 4;
    /// `si_code` (`SYS_SECCOMP` is 1).
    pub const SI_CODE: usize = 5;
    /// `si_syscall`.
    pub const SI_SYSCALL: usize = 6;
    /// `si_arch`.
    pub const SI_ARCH: usize = 7;
}

/// The shared page the SIGSYS recorder writes to (set in the child before the handler is installed).
static TRAP_PAGE: AtomicPtr<AtomicI64> = AtomicPtr::new(core::ptr::null_mut());

/// Never reached: the handler does not return. x86_64 insists on a restorer all the same.
extern "C" fn restorer() {
    crash()
}

extern "C" fn on_sigsys(_signo: i32, info: *const u8, _context: *mut u8) {
    let page = TRAP_PAGE.load(Ordering::SeqCst);
    if !page.is_null() {
        // SAFETY: `page` points at the SLOTS atomics of a live shared page (set by record_traps) and every
        // index used is below 8; the kernel passes a valid 128-byte siginfo_t: si_errno at 4, si_code at 8,
        // and for SIGSYS `_syscall` at 24 and `_arch` at 28.
        unsafe {
            let slot = |index: usize| &*page.add(index);
            let read_i32 = |offset: usize| info.add(offset).cast::<i32>().read_unaligned();
            slot(trap_slots::SI_ERRNO).store(i64::from(read_i32(4)), Ordering::SeqCst);
            slot(trap_slots::SI_CODE).store(i64::from(read_i32(8)), Ordering::SeqCst);
            slot(trap_slots::SI_SYSCALL).store(i64::from(read_i32(24)), Ordering::SeqCst);
            slot(trap_slots::SI_ARCH).store(i64::from(read_i32(28) as u32), Ordering::SeqCst);
            let current = slot(trap_slots::CURRENT).load(Ordering::SeqCst);
            slot(trap_slots::TRAPPED_AT).store(current + 1, Ordering::SeqCst);
        }
    }
    end_thread()
}

/// In a child: installs a SIGSYS handler that records the signal in `shared` ([`trap_slots`]) and then
/// ends the thread that got it ([`end_thread`]). A KILL action still kills: the kernel resets the handler
/// before it forces that SIGSYS.
pub fn record_traps(shared: &Shared) -> Result<usize, rustix::io::Errno> {
    TRAP_PAGE.store(shared.as_ptr().cast_mut(), Ordering::SeqCst);
    // The handler never returns into interrupted code.
    super::signals::sigaction_with_restorer(
        nr::SIGSYS,
        on_sigsys as *const () as usize,
        super::signals::SA_SIGINFO,
        restorer as *const () as usize,
    )
}
