//! `memcpy`, `memmove`, `memset`, `memcmp` and `bcmp`: the few C functions that LLVM calls on its own (to
//! copy or clear a buffer, to compare bytes) and that a program without libc must define. On the `*-linux-*`
//! targets Rust's `compiler_builtins` leaves them to libc; whether a given build references them depends on
//! the architecture and the optimizer (the aarch64 build does, for the stack buffer of an error line).
//!
//! Byte loops are enough for the few hundred bytes the launcher ever moves. The stores (and in the
//! comparisons the loads) are volatile so that LLVM cannot recognize the loops as `memcpy`/`memset` idioms
//! and compile them into calls to themselves.
//!
//! # Safety
//!
//! Each function has the C contract: the pointers must be valid for `len` bytes of the access made, and for
//! `memcpy` the regions must not overlap.

use core::ffi::c_int;

/// Copies `len` bytes from `src` to `dest`, which do not overlap; returns `dest`.
///
/// # Safety
///
/// `src` must be readable and `dest` writable for `len` bytes, and the two ranges must not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, len: usize) -> *mut u8 {
    for index in 0..len {
        // SAFETY: index < len, and both ranges are valid for len bytes (the caller's contract).
        unsafe { dest.add(index).write_volatile(src.add(index).read()) };
    }
    dest
}

/// Copies `len` bytes from `src` to `dest`, which may overlap; returns `dest`.
///
/// # Safety
///
/// `src` must be readable and `dest` writable for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, len: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        for index in 0..len {
            // SAFETY: as in memcpy; copying upwards never overwrites a byte still to be read when dest
            // starts at or below src.
            unsafe { dest.add(index).write_volatile(src.add(index).read()) };
        }
    } else {
        for index in (0..len).rev() {
            // SAFETY: as in memcpy; copying downwards never overwrites a byte still to be read when dest
            // starts above src.
            unsafe { dest.add(index).write_volatile(src.add(index).read()) };
        }
    }
    dest
}

/// Sets `len` bytes at `dest` to `byte` (converted to `u8`, as C does); returns `dest`.
///
/// # Safety
///
/// `dest` must be writable for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, byte: c_int, len: usize) -> *mut u8 {
    for index in 0..len {
        // SAFETY: index < len, and dest is valid for len bytes (the caller's contract).
        unsafe { dest.add(index).write_volatile(byte as u8) };
    }
    dest
}

/// Compares `len` bytes as unsigned values: negative, zero or positive as `a` sorts before, equal to or
/// after `b`.
///
/// # Safety
///
/// `a` and `b` must be readable for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, len: usize) -> c_int {
    for index in 0..len {
        // SAFETY: index < len, and both ranges are readable for len bytes (the caller's contract).
        let (x, y) = unsafe { (a.add(index).read_volatile(), b.add(index).read_volatile()) };
        if x != y {
            return c_int::from(x) - c_int::from(y);
        }
    }
    0
}

/// Zero if the `len` bytes at `a` and `b` are equal, non-zero otherwise.
///
/// # Safety
///
/// `a` and `b` must be readable for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, len: usize) -> c_int {
    // SAFETY: the same contract as memcmp.
    unsafe { memcmp(a, b, len) }
}
