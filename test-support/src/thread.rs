//! Raw threads for children (TSYNC, KILL_THREAD): `clone(CLONE_VM | CLONE_THREAD | ...)` on a stack
//! prepared before the fork, joined through `CLONE_CHILD_CLEARTID`.
//!
//! The new thread shares the creating thread's TLS pointer, so its entry function must only make raw
//! syscalls and touch memory it is handed: no TLS, no allocation, no locks.

use linux_raw_sys::general as nr;
use std::sync::atomic::{AtomicU32, Ordering};

const FLAGS: u32 = nr::CLONE_VM
    | nr::CLONE_FS
    | nr::CLONE_FILES
    | nr::CLONE_SIGHAND
    | nr::CLONE_THREAD
    | nr::CLONE_SYSVSEM
    | nr::CLONE_PARENT_SETTID
    | nr::CLONE_CHILD_CLEARTID;

/// Starts a thread running `entry(arg)` on `stack`; the thread exits when `entry` returns. `tid` gets the
/// thread id now and 0 (with a futex wake) when the thread has exited; see [`join`].
///
/// # Safety
///
/// `stack` must stay allocated and unused by anything else until [`join`] returns; `entry` must follow the
/// module's rules; whatever `arg` points at must outlive the thread.
pub unsafe fn spawn(
    stack: &mut [u8],
    entry: extern "C" fn(usize),
    arg: usize,
    tid: &AtomicU32,
) -> Result<u32, rustix::io::Errno> {
    let top = (stack.as_mut_ptr() as usize + stack.len()) & !15;
    let tid_ptr = tid.as_ptr() as usize;
    let ret: usize;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: clone(flags, newsp = top, parent_tid, child_tid, tls = 0). The parent continues after the
    // block with rax = tid (rcx, r11 clobbered as by any syscall). The child starts on the new, 16-byte
    // aligned stack, calls entry(arg) from r12/r13 (preserved across syscall), then calls exit(0) and never
    // reaches code the compiler generated for this frame.
    unsafe {
        core::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov rdi, r12",
            "call r13",
            "mov eax, {exit}",
            "xor edi, edi",
            "syscall",
            "ud2",
            "2:",
            exit = const nr::__NR_exit,
            inlateout("rax") nr::__NR_clone as usize => ret,
            in("rdi") FLAGS as usize,
            in("rsi") top,
            in("rdx") tid_ptr,
            in("r10") tid_ptr,
            in("r8") 0usize,
            in("r12") arg,
            in("r13") entry as *const () as usize,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: clone(flags, newsp = top, parent_tid, tls = 0, child_tid). The parent continues with x0 = tid.
    // The child starts on the new, 16-byte aligned stack, calls entry(arg) from x20/x21 (preserved across
    // svc), then calls exit(0) and never reaches code the compiler generated for this frame.
    unsafe {
        core::arch::asm!(
            "svc 0",
            "cbnz x0, 2f",
            "mov x0, x20",
            "blr x21",
            "mov x8, {exit}",
            "mov x0, xzr",
            "svc 0",
            "brk #0",
            "2:",
            exit = const nr::__NR_exit,
            in("x8") nr::__NR_clone as usize,
            inlateout("x0") FLAGS as usize => ret,
            in("x1") top,
            in("x2") tid_ptr,
            in("x3") 0usize,
            in("x4") tid_ptr,
            in("x20") arg,
            in("x21") entry as *const () as usize,
            lateout("x30") _,
        );
    }
    if ret > usize::MAX - 4095 {
        Err(rustix::io::Errno::from_raw_os_error(ret.wrapping_neg() as i32))
    } else {
        Ok(ret as u32)
    }
}

/// Waits until the thread whose `tid` word was passed to [`spawn`] has exited.
pub fn join(tid: &AtomicU32) {
    loop {
        let current = tid.load(Ordering::SeqCst);
        if current == 0 {
            return;
        }
        let _ = rustix::thread::futex::wait(tid, rustix::thread::futex::Flags::empty(), current, None);
    }
}

/// Waits until `word` is no longer `value`.
pub fn wait_while(word: &AtomicU32, value: u32) {
    while word.load(Ordering::SeqCst) == value {
        let _ = rustix::thread::futex::wait(word, rustix::thread::futex::Flags::empty(), value, None);
    }
}

/// Sets `word` to `value` and wakes its waiters.
pub fn set_and_wake(word: &AtomicU32, value: u32) {
    word.store(value, Ordering::SeqCst);
    let _ = rustix::thread::futex::wake(word, rustix::thread::futex::Flags::empty(), u32::MAX);
}
