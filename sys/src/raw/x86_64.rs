//! The x86_64 system-call instruction.
//!
//! # Safety
//!
//! `syscall` takes the number in `rax` and up to six arguments in `rdi`, `rsi`, `rdx`, `r10`, `r8` and `r9`,
//! returns in `rax`, and clobbers `rcx` (return address) and `r11` (saved flags); the kernel preserves every
//! other register and restores the flags, and it does not touch the user stack. The `asm!` blocks below
//! declare exactly that, so the compiler's view of registers and memory stays correct. Whether a given call
//! is sound depends on its number and arguments: that is the caller's obligation, stated on each function.

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
    // SAFETY: the register contract is the kernel's x86_64 ABI described in the module docs; the caller
    // guarantees the call itself is sound.
    unsafe {
        asm!("syscall", inlateout("rax") nr => ret, lateout("rcx") _, lateout("r11") _,
            options(nostack, preserves_flags));
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
    // SAFETY: the register contract is the kernel's x86_64 ABI described in the module docs; the caller
    // guarantees the call itself is sound.
    unsafe {
        asm!("syscall", inlateout("rax") nr => ret, in("rdi") a0, in("rsi") a1, in("rdx") a2,
            lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
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
    // SAFETY: the register contract is the kernel's x86_64 ABI described in the module docs; the caller
    // guarantees the call itself is sound.
    unsafe {
        asm!("syscall", inlateout("rax") nr => ret, in("rdi") a0, in("rsi") a1, in("rdx") a2,
            in("r10") a3, in("r8") a4, in("r9") a5, lateout("rcx") _, lateout("r11") _,
            options(nostack, preserves_flags));
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
        asm!("syscall", in("rax") nr, in("rdi") a0, options(noreturn, nostack));
    }
}
