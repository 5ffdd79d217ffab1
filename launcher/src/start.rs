//! The process entry point: what the kernel jumps to after `execve`, in place of libc's `crt1.o`.
//!
//! At entry the stack pointer points at the initial process stack that the kernel built (see the
//! `execve(2)` notes and the System V ABI): `argc`, then `argc` pointers to the argument strings and a null,
//! then the environment pointers and a null, then the auxiliary vector. There is no return address, the
//! stack is 16-byte aligned, and nothing has been initialized: no TLS, no libc, no relocations applied
//! (the binary is static and not position-independent, so none are needed).
//!
//! [`seccomp_launcher_start`] is a naked function per architecture that hands that stack pointer to
//! [`entry`] with a clean frame; [`entry`] turns the layout into a slice of argument pointers and the
//! environment pointer and calls [`crate::main`], which never returns. `build.rs` names the symbol as the
//! ELF entry point (`-e`).
//!
//! # Safety
//!
//! Both functions are `unsafe` and only sound as the first code of the process: they trust the stack
//! layout the kernel guarantees at that moment.

use core::ffi::{CStr, c_char};

/// The ELF entry point on x86_64.
///
/// Clears `rbp` (the outermost frame, for debuggers), passes `rsp` as the first argument, keeps the stack
/// 16-byte aligned at the call as the ABI requires, and traps if [`entry`] ever returned.
///
/// # Safety
///
/// Only the kernel may call it, once, as the entry point of the process.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccomp_launcher_start() -> ! {
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {entry}",
        "ud2",
        entry = sym entry,
    )
}

/// The ELF entry point on aarch64.
///
/// Clears the frame pointer and link register (the outermost frame), passes `sp` (16-byte aligned by the
/// kernel) as the first argument, and traps if [`entry`] ever returned.
///
/// # Safety
///
/// Only the kernel may call it, once, as the entry point of the process.
#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seccomp_launcher_start() -> ! {
    core::arch::naked_asm!(
        "mov x29, xzr",
        "mov x30, xzr",
        "mov x0, sp",
        "bl {entry}",
        "udf #0",
        entry = sym entry,
    )
}

/// Reads `argc`, `argv` and `envp` from the initial stack and calls [`crate::main`].
///
/// # Safety
///
/// `stack` must be the stack pointer the kernel set at process entry, pointing at `argc`.
unsafe extern "C" fn entry(stack: *const usize) -> ! {
    // SAFETY: at process entry the stack pointer points at argc, a machine word (the caller's contract).
    let argc = unsafe { stack.read() };
    // SAFETY: argv starts one word above argc, inside the same initial stack block.
    let argv = unsafe { stack.add(1) }.cast::<*const c_char>();
    // SAFETY: the kernel stores exactly argc argument pointers there, followed by a null; they live (in the
    // stack's top pages, never unmapped) for the whole life of the process.
    let args = unsafe { core::slice::from_raw_parts(argv, argc) };
    // SAFETY: the environment pointers start right after argv's terminating null, still in the same block.
    let envp = unsafe { argv.add(argc + 1) };
    crate::main(args, envp)
}

/// The NUL-terminated string at `ptr` (an argument or environment string), as a `CStr` that lives as long
/// as the process.
///
/// `CStr::from_ptr` would call libc's `strlen`, which this binary does not have; the bytes are counted here
/// with volatile reads so that the optimizer cannot turn the loop back into a `strlen` call.
///
/// # Safety
///
/// `ptr` must point at a NUL-terminated string that stays mapped and unchanged for the rest of the
/// process, as the strings on the initial stack do.
pub unsafe fn c_str(ptr: *const c_char) -> &'static CStr {
    let bytes = ptr.cast::<u8>();
    let mut len = 0;
    // SAFETY: every byte up to and including the terminating NUL is readable (the caller's contract), and
    // the loop stops at the first NUL.
    while unsafe { bytes.add(len).read_volatile() } != 0 {
        len += 1;
    }
    // SAFETY: the `len + 1` bytes were just read, are never modified, and end with their only NUL.
    unsafe { CStr::from_bytes_with_nul_unchecked(core::slice::from_raw_parts(bytes, len + 1)) }
}
