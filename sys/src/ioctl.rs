//! The user-notification ioctls (`SECCOMP_IOCTL_NOTIF_*`) as safe, typed crate-internal functions.
//!
//! # Safety
//!
//! Each function passes rustix's `ioctl` one of the opcodes from `seccomp_core::abi` together with an
//! argument of exactly the type that opcode's `_IOC` size encodes (`struct seccomp_notif`,
//! `struct seccomp_notif_resp`, `__u64`, `struct seccomp_notif_addfd`), borrowed for the call, or (for
//! `SET_FLAGS`) the integer by value. The kernel reads and writes nothing else. These ioctls are only
//! meaningful on a seccomp listener fd; on any other fd the kernel answers `ENOTTY` or interprets the
//! numbers as another driver's ioctls of the same sizes, which can touch at most the same argument.
#![allow(unsafe_code)]

use core::ffi::c_void;
use rustix::fd::BorrowedFd;
use rustix::io::Errno;
use rustix::ioctl::{Ioctl, IoctlOutput, Opcode, ioctl};
use seccomp_core::abi::{self, SeccompNotif, SeccompNotifAddfd, SeccompNotifResp};

/// One seccomp ioctl: its opcode and the argument pointer (or value), returning the kernel's integer.
struct NotifIoctl {
    opcode: Opcode,
    arg: *mut c_void,
}

// SAFETY: `opcode` is one of the SECCOMP_IOCTL_NOTIF_* numbers and `arg` is always built by the functions
// below from a reference to the type that opcode expects (or the by-value integer of SET_FLAGS); the output
// is the ioctl's return value, which needs no pointer. IS_MUTATING is true because RECV writes its argument.
unsafe impl Ioctl for NotifIoctl {
    type Output = IoctlOutput;
    const IS_MUTATING: bool = true;

    fn opcode(&self) -> Opcode {
        self.opcode
    }

    fn as_ptr(&mut self) -> *mut c_void {
        self.arg
    }

    unsafe fn output_from_ptr(out: IoctlOutput, _: *mut c_void) -> rustix::io::Result<IoctlOutput> {
        Ok(out)
    }
}

/// Runs `opcode` with a pointer to `arg`, which must be the opcode's argument type.
fn call<T>(fd: BorrowedFd<'_>, opcode: u32, arg: &mut T) -> Result<IoctlOutput, Errno> {
    let request = NotifIoctl {
        opcode,
        arg: (arg as *mut T).cast(),
    };
    // SAFETY: the callers below pair every opcode with its argument type (see the module docs); `arg` is
    // an exclusive borrow that outlives the call.
    unsafe { ioctl(fd, request) }
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, notif)`: `notif` must be zeroed (the kernel checks).
pub(crate) fn recv(fd: BorrowedFd<'_>, notif: &mut SeccompNotif) -> Result<(), Errno> {
    call(fd, abi::IOCTL_NOTIF_RECV, notif).map(drop)
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp)`.
pub(crate) fn send(fd: BorrowedFd<'_>, resp: &SeccompNotifResp) -> Result<(), Errno> {
    let mut resp = *resp;
    call(fd, abi::IOCTL_NOTIF_SEND, &mut resp).map(drop)
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id)` with the 5.9 number, or the 5.0 one when `legacy`.
pub(crate) fn id_valid(fd: BorrowedFd<'_>, id: u64, legacy: bool) -> Result<(), Errno> {
    let opcode = if legacy {
        abi::IOCTL_NOTIF_ID_VALID_LEGACY
    } else {
        abi::IOCTL_NOTIF_ID_VALID
    };
    let mut id = id;
    call(fd, opcode, &mut id).map(drop)
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, addfd)`: returns the fd number in the target.
pub(crate) fn addfd(fd: BorrowedFd<'_>, addfd: &SeccompNotifAddfd) -> Result<i32, Errno> {
    let mut addfd = *addfd;
    call(fd, abi::IOCTL_NOTIF_ADDFD, &mut addfd)
}

/// `ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags)`: the flags travel by value, not through a pointer.
pub(crate) fn set_flags(fd: BorrowedFd<'_>, flags: u64) -> Result<(), Errno> {
    let request = NotifIoctl {
        opcode: abi::IOCTL_NOTIF_SET_FLAGS,
        arg: flags as usize as *mut c_void,
    };
    // SAFETY: SET_FLAGS takes its argument by value and never dereferences it.
    unsafe { ioctl(fd, request) }.map(drop)
}
