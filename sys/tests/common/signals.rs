//! Signal handlers for children, installed with a raw `rt_sigaction` ([`sigaction`], the one place the
//! kernel's `struct sigaction` is built).
//!
//! Most handlers never return (they record what they saw and `exit_group`), so no signal trampoline is
//! needed; x86_64 still insists on `SA_RESTORER`, which gets a function that exits if it is ever reached.
//! The one handler that returns ([`count_and_return`]) gets a real `rt_sigreturn` trampoline.

use linux_raw_sys::general as nr;
use seccomp_sys::process::exit_group;
use std::sync::atomic::{AtomicI64, AtomicPtr, Ordering};

/// `SA_SIGINFO`.
pub const SA_SIGINFO: u64 = 4;
/// `SA_RESTORER`.
const SA_RESTORER: u64 = 0x0400_0000;

/// The kernel's `struct sigaction` on x86_64 and arm64.
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// Shared slots the SIGSYS handler writes (set in the child before the handler can run).
static SIGSYS_SLOTS: AtomicPtr<AtomicI64> = AtomicPtr::new(core::ptr::null_mut());

/// Exit code of a child whose SIGSYS handler ran.
pub const SIGSYS_EXIT: i32 = 77;
/// Exit code of a child whose plain handler ran.
pub const HANDLER_EXIT: i32 = 78;

/// Slot offsets (relative to the base index given to [`record_sigsys`]) of what the SIGSYS handler saw.
pub const SI_SIGNO: usize = 0;
/// `si_errno`.
pub const SI_ERRNO: usize = 1;
/// `si_code` (`SYS_SECCOMP` is 1).
pub const SI_CODE: usize = 2;
/// `si_syscall`.
pub const SI_SYSCALL: usize = 3;
/// `si_arch`.
pub const SI_ARCH: usize = 4;

extern "C" fn restorer() {
    exit_group(99)
}

extern "C" fn on_sigsys(signo: i32, info: *const u8, _context: *mut u8) {
    let slots = SIGSYS_SLOTS.load(Ordering::SeqCst);
    if !slots.is_null() {
        // SAFETY: the kernel passes a valid siginfo_t (128 bytes): si_errno at 4, si_code at 8, and for
        // SIGSYS `_syscall` at 24 and `_arch` at 28; `slots` points at 5 live shared atomics (set by
        // record_sigsys before the handler was installed).
        unsafe {
            let read_i32 = |offset: usize| info.add(offset).cast::<i32>().read_unaligned();
            (*slots.add(SI_SIGNO)).store(i64::from(signo), Ordering::SeqCst);
            (*slots.add(SI_ERRNO)).store(i64::from(read_i32(4)), Ordering::SeqCst);
            (*slots.add(SI_CODE)).store(i64::from(read_i32(8)), Ordering::SeqCst);
            (*slots.add(SI_SYSCALL)).store(i64::from(read_i32(24)), Ordering::SeqCst);
            (*slots.add(SI_ARCH)).store(i64::from(read_i32(28) as u32), Ordering::SeqCst);
        }
    }
    exit_group(SIGSYS_EXIT)
}

extern "C" fn exit_on_signal(_signo: i32) {
    exit_group(HANDLER_EXIT)
}

/// `rt_sigaction(signal, {handler, flags | SA_RESTORER, restorer}, NULL, 8)`, with the restorer that
/// exits: for handlers that never return.
fn sigaction(signal: u32, handler: usize, flags: u64) -> Result<usize, rustix::io::Errno> {
    sigaction_with_restorer(signal, handler, flags, restorer as *const () as usize)
}

/// `rt_sigaction(signal, {handler, flags | SA_RESTORER, restorer}, NULL, 8)`: no mask, no old action.
pub fn sigaction_with_restorer(
    signal: u32,
    handler: usize,
    flags: u64,
    restorer: usize,
) -> Result<usize, rustix::io::Errno> {
    let action = KernelSigaction {
        handler,
        flags: flags | SA_RESTORER,
        restorer,
        mask: 0,
    };
    // SAFETY: rt_sigaction reads one struct sigaction from a live local and writes nothing (null old
    // action); sigsetsize is 8 on both architectures. A handler that returns does so through `restorer`,
    // which the callers make `rt_sigreturn` ([`count_and_return`]) or an exit.
    unsafe {
        seccomp_sys::raw::syscall4(
            nr::__NR_rt_sigaction,
            signal as usize,
            (&raw const action) as usize,
            0,
            8,
        )
    }
}

/// In a child: installs a SIGSYS handler that stores what it saw in `slots[base + SI_*]` and exits with
/// [`SIGSYS_EXIT`].
pub fn record_sigsys(slots: *const AtomicI64, base: usize) -> Result<usize, rustix::io::Errno> {
    SIGSYS_SLOTS.store(slots.wrapping_add(base).cast_mut(), Ordering::SeqCst);
    sigaction(nr::SIGSYS, on_sigsys as *const () as usize, SA_SIGINFO)
}

/// In a child: installs a handler for `signal` that exits with [`HANDLER_EXIT`].
pub fn exit_on(signal: u32) -> Result<usize, rustix::io::Errno> {
    sigaction(signal, exit_on_signal as *const () as usize, 0)
}

/// The slot a returning signal handler counts into (set in the child before the handler is installed).
static COUNT_SLOT: AtomicPtr<AtomicI64> = AtomicPtr::new(core::ptr::null_mut());

extern "C" fn count_signal(_signo: i32) {
    let slot = COUNT_SLOT.load(Ordering::SeqCst);
    if !slot.is_null() {
        // SAFETY: the pointer is a live slot of a shared page that is never unmapped.
        unsafe { (*slot).fetch_add(1, Ordering::SeqCst) };
    }
}

/// The `sa_restorer` a returning handler needs: `rt_sigreturn()` on the frame the kernel built.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
extern "C" fn sigreturn_trampoline() {
    core::arch::naked_asm!("mov eax, {nr}", "syscall", "ud2", nr = const nr::__NR_rt_sigreturn);
}

/// The `sa_restorer` a returning handler needs: `rt_sigreturn()` on the frame the kernel built.
#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
extern "C" fn sigreturn_trampoline() {
    core::arch::naked_asm!("mov x8, #{nr}", "svc #0", "brk #0", nr = const nr::__NR_rt_sigreturn);
}

/// In a child: installs a handler for `signal` that adds 1 to `slot` and returns, without `SA_RESTART`
/// (so an interrupted syscall fails with `EINTR`, as in the kernel selftests' `sigaction`).
pub fn count_and_return(signal: u32, slot: &'static AtomicI64) -> Result<usize, rustix::io::Errno> {
    COUNT_SLOT.store(core::ptr::from_ref(slot).cast_mut(), Ordering::SeqCst);
    sigaction_with_restorer(
        signal,
        count_signal as *const () as usize,
        0,
        sigreturn_trampoline as *const () as usize,
    )
}
