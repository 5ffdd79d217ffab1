//! The `ptrace(2)` requests the two ptrace baselines need, over seccomp-sys's raw syscall layer (rustix has
//! no ptrace, and seccomp-sys's `ptrace` module only reads filters).
//!
//! # Safety
//!
//! Every request here passes either plain numbers (`TRACEME`, `SETOPTIONS`, `SYSCALL`, `CONT`, `POKEUSER`
//! whose `data` is the value to store) or a pointer to a live local of exactly the size the kernel is told
//! (`GET_SYSCALL_INFO`, `GETREGSET`/`SETREGSET` through an `iovec`). Writing the tracee's registers changes
//! only the tracee, which is the point.

use rustix::io::Errno;
use rustix::process::Pid;
use seccomp_sys::raw;

const PTRACE_TRACEME: u32 = 0;
#[cfg(target_arch = "x86_64")]
const PTRACE_POKEUSER: u32 = 6;
const PTRACE_CONT: u32 = 7;
const PTRACE_SYSCALL: u32 = 24;
const PTRACE_SETOPTIONS: u32 = 0x4200;
#[cfg(target_arch = "aarch64")]
const PTRACE_GETREGSET: u32 = 0x4204;
#[cfg(target_arch = "aarch64")]
const PTRACE_SETREGSET: u32 = 0x4205;
const PTRACE_GET_SYSCALL_INFO: u32 = 0x420e;

/// `PTRACE_O_TRACESYSGOOD`: syscall stops report `SIGTRAP | 0x80`.
pub const O_TRACESYSGOOD: usize = 1;
/// `PTRACE_O_TRACESECCOMP`: `SECCOMP_RET_TRACE` stops the tracee with `PTRACE_EVENT_SECCOMP`.
pub const O_TRACESECCOMP: usize = 0x80;
/// `PTRACE_O_EXITKILL`: the tracee gets SIGKILL if the tracer exits.
pub const O_EXITKILL: usize = 1 << 20;
/// `PTRACE_EVENT_SECCOMP`, in bits 16..24 of the wait status.
pub const EVENT_SECCOMP: u32 = 7;

/// `PTRACE_SYSCALL_INFO_ENTRY`.
pub const INFO_ENTRY: u8 = 1;
/// `PTRACE_SYSCALL_INFO_EXIT`.
pub const INFO_EXIT: u8 = 2;
/// `PTRACE_SYSCALL_INFO_SECCOMP`.
pub const INFO_SECCOMP: u8 = 3;

/// `struct ptrace_syscall_info` (Linux 5.3): 24 bytes of header, then a union whose largest member (the
/// seccomp stop's `nr`, six `args` and `ret_data`) takes 64 bytes with its padding.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SyscallInfo {
    /// `PTRACE_SYSCALL_INFO_*`: which kind of stop this is.
    pub op: u8,
    pad: [u8; 3],
    /// The `AUDIT_ARCH_*` of the syscall.
    pub arch: u32,
    instruction_pointer: u64,
    stack_pointer: u64,
    /// The union: `nr` first for entry and seccomp stops, `rval` first for exit stops.
    data: [u64; 8],
}

const _: () = assert!(size_of::<SyscallInfo>() == 88);

impl SyscallInfo {
    /// The syscall number of an entry or seccomp stop.
    pub const fn nr(&self) -> u64 {
        self.data[0]
    }
}

/// `ptrace(request, pid, addr, data)`.
///
/// # Safety
///
/// `addr` and `data` must be what `request` expects: numbers, or pointers valid for the access the kernel
/// makes through them.
unsafe fn ptrace(request: u32, pid: i32, addr: usize, data: usize) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller; ptrace touches our memory only through addr/data.
    unsafe {
        raw::syscall4(
            linux_raw_sys::general::__NR_ptrace,
            request as usize,
            pid as usize,
            addr,
            data,
        )
    }
}

fn raw_pid(pid: Pid) -> i32 {
    pid.as_raw_nonzero().get()
}

/// `ptrace(PTRACE_TRACEME, 0, 0, 0)`: the parent becomes this process's tracer.
pub fn traceme() -> Result<(), Errno> {
    // SAFETY: TRACEME takes no pointer.
    unsafe { ptrace(PTRACE_TRACEME, 0, 0, 0) }.map(drop)
}

/// `ptrace(PTRACE_SETOPTIONS, pid, 0, options)`.
pub fn set_options(pid: Pid, options: usize) -> Result<(), Errno> {
    // SAFETY: the options are passed by value.
    unsafe { ptrace(PTRACE_SETOPTIONS, raw_pid(pid), 0, options) }.map(drop)
}

/// `ptrace(PTRACE_SYSCALL, pid, 0, signal)`: resume until the next syscall entry or exit.
pub fn resume_to_syscall(pid: Pid, signal: u32) -> Result<(), Errno> {
    // SAFETY: the signal number is passed by value.
    unsafe { ptrace(PTRACE_SYSCALL, raw_pid(pid), 0, signal as usize) }.map(drop)
}

/// `ptrace(PTRACE_CONT, pid, 0, signal)`: resume until the next event or signal.
pub fn resume(pid: Pid, signal: u32) -> Result<(), Errno> {
    // SAFETY: the signal number is passed by value.
    unsafe { ptrace(PTRACE_CONT, raw_pid(pid), 0, signal as usize) }.map(drop)
}

/// `ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info)` (Linux 5.3).
pub fn syscall_info(pid: Pid) -> Result<SyscallInfo, Errno> {
    let mut info = SyscallInfo::default();
    // SAFETY: the kernel writes at most `size_of::<SyscallInfo>()` bytes (the size we pass) into a live
    // local of that size.
    unsafe {
        ptrace(
            PTRACE_GET_SYSCALL_INFO,
            raw_pid(pid),
            size_of::<SyscallInfo>(),
            (&raw mut info) as usize,
        )
    }?;
    Ok(info)
}

/// At a syscall-exit stop: makes the syscall return `value` (the return register).
pub fn set_return(pid: Pid, value: u64) -> Result<(), Errno> {
    arch::set_return(pid, value)
}

/// At a seccomp stop: skips the syscall (its number becomes -1) and makes it return `value`.
pub fn skip_with_return(pid: Pid, value: u64) -> Result<(), Errno> {
    arch::skip(pid)?;
    arch::set_return(pid, value)
}

#[cfg(target_arch = "x86_64")]
mod arch {
    use super::{PTRACE_POKEUSER, ptrace, raw_pid};
    use rustix::io::Errno;
    use rustix::process::Pid;

    /// `offsetof(struct user_regs_struct, rax)`.
    const RAX: usize = 10 * 8;
    /// `offsetof(struct user_regs_struct, orig_rax)`: the syscall number the kernel dispatches on.
    const ORIG_RAX: usize = 15 * 8;

    pub fn set_return(pid: Pid, value: u64) -> Result<(), Errno> {
        // SAFETY: POKEUSER stores `data` by value into the tracee's saved registers.
        unsafe { ptrace(PTRACE_POKEUSER, raw_pid(pid), RAX, value as usize) }.map(drop)
    }

    pub fn skip(pid: Pid) -> Result<(), Errno> {
        // SAFETY: as above; -1 as the syscall number makes the kernel skip the call.
        unsafe { ptrace(PTRACE_POKEUSER, raw_pid(pid), ORIG_RAX, usize::MAX) }.map(drop)
    }
}

#[cfg(target_arch = "aarch64")]
mod arch {
    use super::{PTRACE_GETREGSET, PTRACE_SETREGSET, ptrace, raw_pid};
    use rustix::io::Errno;
    use rustix::process::Pid;

    /// `NT_PRSTATUS`: `struct user_pt_regs` (x0..x30, sp, pc, pstate).
    const NT_PRSTATUS: usize = 1;
    /// `NT_ARM_SYSTEM_CALL`: the syscall number as an `int`.
    const NT_ARM_SYSTEM_CALL: usize = 0x404;

    #[repr(C)]
    struct IoVec {
        base: usize,
        len: usize,
    }

    /// `ptrace(PTRACE_GETREGSET, pid, set, &{buf})`.
    fn get_regset(pid: Pid, set: usize, buf: &mut [u8]) -> Result<(), Errno> {
        let iov = IoVec {
            base: buf.as_mut_ptr() as usize,
            len: buf.len(),
        };
        // SAFETY: the kernel writes at most `iov.len` bytes into `buf`, which we borrow exclusively for
        // the call, and reads the iovec, a live local.
        unsafe { ptrace(PTRACE_GETREGSET, raw_pid(pid), set, (&raw const iov) as usize) }.map(drop)
    }

    /// `ptrace(PTRACE_SETREGSET, pid, set, &{buf})`.
    fn set_regset(pid: Pid, set: usize, buf: &[u8]) -> Result<(), Errno> {
        let iov = IoVec {
            base: buf.as_ptr() as usize,
            len: buf.len(),
        };
        // SAFETY: the kernel only reads `iov.len` bytes from `buf`, borrowed for the call, and the iovec.
        unsafe { ptrace(PTRACE_SETREGSET, raw_pid(pid), set, (&raw const iov) as usize) }.map(drop)
    }

    pub fn set_return(pid: Pid, value: u64) -> Result<(), Errno> {
        // struct user_pt_regs: x0..x30, sp, pc, pstate; x0 holds the return value.
        let mut regs = [0u8; 34 * 8];
        get_regset(pid, NT_PRSTATUS, &mut regs)?;
        let (x0, _) = regs.split_at_mut(8);
        x0.copy_from_slice(&value.to_ne_bytes());
        set_regset(pid, NT_PRSTATUS, &regs)
    }

    pub fn skip(pid: Pid) -> Result<(), Errno> {
        set_regset(pid, NT_ARM_SYSTEM_CALL, &(-1i32).to_ne_bytes())
    }
}
