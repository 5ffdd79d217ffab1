//! The aarch64 system-call instruction.
//!
//! # Safety
//!
//! `svc 0` takes the number in `x8` and up to six arguments in `x0` to `x5`, returns in `x0`, and preserves
//! every other register, the flags and the user stack. The `asm!` blocks below declare exactly that, so the
//! compiler's view of registers and memory stays correct. Whether a given call is sound depends on its
//! number and arguments: that is the caller's obligation, stated on each function.

use core::arch::asm;

/// Makes system call `nr` with no arguments and returns the raw result (`-errno` on failure).
///
/// # Safety
///
/// The call must be sound for these arguments: any pointer the kernel follows must be valid for the access
/// the call makes, and the call must not break an invariant the program relies on (memory mappings, fds
/// owned elsewhere, signal dispositions, the thread's existence).
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let ret;
    // SAFETY: the register contract is the kernel's aarch64 ABI described in the module docs; the caller
    // guarantees the call itself is sound.
    unsafe {
        asm!("svc 0", in("x8") nr, lateout("x0") ret, options(nostack, preserves_flags));
    }
    ret
}

/// Makes system call `nr` with three arguments and returns the raw result (`-errno` on failure).
///
/// # Safety
///
/// As for [`syscall0`]: the call must be sound for these arguments.
#[inline]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> usize {
    let ret;
    // SAFETY: the register contract is the kernel's aarch64 ABI described in the module docs; the caller
    // guarantees the call itself is sound.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => ret, in("x1") a1, in("x2") a2,
            options(nostack, preserves_flags));
    }
    ret
}

/// Makes system call `nr` with six arguments and returns the raw result (`-errno` on failure).
///
/// # Safety
///
/// As for [`syscall0`]: the call must be sound for these arguments.
#[inline]
#[allow(clippy::too_many_arguments)]
pub unsafe fn syscall6(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize) -> usize {
    let ret;
    // SAFETY: the register contract is the kernel's aarch64 ABI described in the module docs; the caller
    // guarantees the call itself is sound.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => ret, in("x1") a1, in("x2") a2,
            in("x3") a3, in("x4") a4, in("x5") a5, options(nostack, preserves_flags));
    }
    ret
}

/// Makes system call `nr`, which never returns to the caller (`exit`, `exit_group`), with one argument.
///
/// # Safety
///
/// `nr` must be a call that does not return on success and cannot fail for `a0`; otherwise the code after
/// it is reached although the compiler assumes it is not.
#[inline]
pub unsafe fn syscall1_noreturn(nr: usize, a0: usize) -> ! {
    // SAFETY: the caller guarantees the call does not return; the registers follow the module's contract.
    unsafe {
        asm!("svc 0", in("x8") nr, in("x0") a0, options(noreturn, nostack));
    }
}
