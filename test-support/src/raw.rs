//! A six-argument raw system call for tests: the emulator cross-check probes filters on all six arguments
//! of real syscalls, and the supervisor's tests make `statx` (five) raw. `seccomp_sys::raw` keeps its
//! six-argument call crate-private (callers get typed wrappers or `syscall4`), so the tests carry their own,
//! for the two architectures the crate supports.

/// Makes system call `nr` with six arguments; a result in `-4095..=-1` is `-errno`.
///
/// # Safety
///
/// The call must be sound for these arguments: every pointer argument valid for the access the call
/// makes, and no invariant the program relies on broken (mappings, fds owned elsewhere, signal handlers).
pub unsafe fn syscall6(nr: u32, args: [usize; 6]) -> Result<usize, rustix::io::Errno> {
    let [a0, a1, a2, a3, a4, a5] = args;
    let ret: usize;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the kernel's x86_64 convention: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9,
    // result in rax, rcx and r11 clobbered, the stack untouched; the caller guarantees the call is sound.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") nr as usize => ret, in("rdi") a0, in("rsi") a1,
            in("rdx") a2, in("r10") a3, in("r8") a4, in("r9") a5, lateout("rcx") _, lateout("r11") _,
            options(nostack, preserves_flags));
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: the kernel's arm64 convention: number in x8, arguments in x0..x5, result in x0, nothing
    // else clobbered; the caller guarantees the call is sound.
    unsafe {
        core::arch::asm!("svc 0", in("x8") nr as usize, inlateout("x0") a0 => ret, in("x1") a1,
            in("x2") a2, in("x3") a3, in("x4") a4, in("x5") a5, options(nostack, preserves_flags));
    }
    if ret > usize::MAX - 4095 {
        Err(rustix::io::Errno::from_raw_os_error(ret.wrapping_neg() as i32))
    } else {
        Ok(ret)
    }
}
