//! `stat`, `lstat`, `newfstatat` and `statx` done for the target: the file is opened `O_PATH` within the
//! [`Scope`] with the target's credentials (following the last symlink unless `AT_SYMLINK_NOFOLLOW` or
//! `lstat`), `newfstatat(fd, "", AT_EMPTY_PATH)` (or `statx(fd, "", AT_EMPTY_PATH | sync, mask)`) fills the
//! struct in the supervisor, and its bytes are written into the target's buffer with `process_vm_writev`
//! (an unwritable buffer gives `EFAULT`, as the kernel's `copy_to_user` would).
//!
//! # Safety
//!
//! Two `unsafe` operations: the raw `newfstatat` into a local, zeroed buffer larger than any
//! `struct stat` (144 bytes on x86_64, 128 on aarch64), with a NUL-terminated empty path; and viewing
//! rustix's `Statx` (`repr(C)`, the kernel's 256-byte `struct statx` field for field, its padding explicit
//! fields the kernel wrote) as bytes.
#![allow(unsafe_code)]

use super::{Outcome, RequestError, Scope, as_target, open_path_in, read_error};
use crate::answer::CheckedAnswer;
use crate::call::{Call, Inspected};
use crate::path::{self, Lexical};
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::fs::OFlags;
use rustix::io::Errno;
use std::ffi::CString;

/// `AT_SYMLINK_NOFOLLOW`.
const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `AT_NO_AUTOMOUNT`.
const AT_NO_AUTOMOUNT: u32 = 0x800;
/// `AT_EMPTY_PATH`.
const AT_EMPTY_PATH: u32 = 0x1000;

/// `AT_STATX_SYNC_TYPE` (`AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC`).
const AT_STATX_SYNC_TYPE: u32 = 0x6000;
/// `STATX__RESERVED`.
const STATX_RESERVED: u32 = 0x8000_0000;

/// `sizeof(struct stat)` of the native ABI.
#[cfg(target_arch = "x86_64")]
const STAT_SIZE: usize = 144;
/// `sizeof(struct stat)` of the native ABI.
#[cfg(target_arch = "aarch64")]
const STAT_SIZE: usize = 128;

/// Which struct the call fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatKind {
    /// `struct stat` (`stat`, `lstat`, `newfstatat`).
    Stat,
    /// `struct statx` with this mask (`statx`).
    Statx(u32),
}

/// A decoded `stat`, `lstat`, `newfstatat` or `statx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRequest {
    /// Which struct.
    pub kind: StatKind,
    /// The dirfd (`AT_FDCWD` for `stat` and `lstat`).
    pub dirfd: i32,
    /// The path as read.
    pub path: CString,
    /// `AT_*` flags (`AT_SYMLINK_NOFOLLOW` for `lstat`).
    pub flags: u32,
    /// The target's `struct stat *` or `struct statx *`.
    pub buf: u64,
}

impl StatRequest {
    /// Decodes the syscall (flags first: unknown ones are `EINVAL`, as `vfs_fstatat` checks) and reads
    /// its path.
    pub fn read(call: &mut Inspected<'_>) -> Result<StatRequest, RequestError> {
        let args = call.call().args();
        let (kind, dirfd, path_arg, flags, buf) = match call.call().name() {
            Some("stat") => (StatKind::Stat, path::AT_FDCWD, 0, 0, args[1]),
            Some("lstat") => (StatKind::Stat, path::AT_FDCWD, 0, AT_SYMLINK_NOFOLLOW, args[1]),
            Some("newfstatat") => (StatKind::Stat, args[0] as i32, 1, args[3] as u32, args[2]),
            Some("statx") => (
                StatKind::Statx(args[3] as u32),
                args[0] as i32,
                1,
                args[2] as u32,
                args[4],
            ),
            _ => return Err(RequestError::NotEmulated),
        };
        let mut valid = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH;
        if let StatKind::Statx(mask) = kind {
            valid |= AT_STATX_SYNC_TYPE;
            if flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE || mask & STATX_RESERVED != 0 {
                return Err(RequestError::Errno(Errno::INVAL));
            }
        }
        if flags & !valid != 0 {
            return Err(RequestError::Errno(Errno::INVAL));
        }
        // statx takes a NULL path with AT_EMPTY_PATH (6.11+) as "".
        let path = if kind != StatKind::Stat && flags & AT_EMPTY_PATH != 0 && args[1] == 0 {
            CString::default()
        } else {
            call.read_path(path_arg).map_err(read_error)?
        };
        Ok(StatRequest {
            kind,
            dirfd,
            path,
            flags,
            buf,
        })
    }

    /// Whether the call names its dirfd itself (`AT_EMPTY_PATH` with an empty path: `fstat`).
    fn on_dirfd(&self) -> bool {
        self.flags & AT_EMPTY_PATH != 0 && self.path.as_bytes().is_empty()
    }

    /// The path resolved for the target (for `fstat`-like calls, the dirfd's directory).
    pub fn resolve(&self, call: &Call<'_>) -> Result<Lexical, Errno> {
        if self.on_dirfd() {
            return path::resolve(call, self.dirfd, b".");
        }
        path::resolve(call, self.dirfd, self.path.as_bytes())
    }

    /// Does the syscall for the target within `scope` and writes the result into its buffer.
    pub fn perform(&self, call: &Call<'_>, scope: Scope<'_>) -> Outcome {
        if self.on_dirfd() && scope == Scope::Root {
            // `fstat`: the target's own fd, whatever it is.
            let fd = match call.pidfd().and_then(|pidfd| {
                if self.dirfd == path::AT_FDCWD {
                    call.cwd()
                } else {
                    seccomp_sys::fdpass::pidfd_getfd(rustix::fd::AsFd::as_fd(&pidfd), self.dirfd)
                }
            }) {
                Ok(fd) => fd,
                Err(errno) => return Outcome::Failed(errno),
            };
            return self.finish(call, &fd);
        }
        let full = match self.resolve(call) {
            Ok(full) => full,
            Err(Errno::XDEV) => return Outcome::Outside,
            Err(errno) => return Outcome::Failed(errno),
        };
        let root = match call.root() {
            Ok(root) => root,
            Err(errno) => return Outcome::Failed(errno),
        };
        let mut flags = OFlags::PATH;
        if self.flags & AT_SYMLINK_NOFOLLOW != 0 {
            flags |= OFlags::NOFOLLOW;
        }
        let opened = as_target(call, false, || open_path_in(&root, &full, scope, flags));
        match opened {
            Ok(Ok(fd)) => self.finish(call, &fd),
            Ok(Err(outcome)) => outcome,
            Err(errno) => Outcome::Failed(errno),
        }
    }

    /// `newfstatat(fd, "", AT_EMPTY_PATH)` or `statx(fd, "", ...)` and the write of the result into the
    /// target.
    fn finish(&self, call: &Call<'_>, fd: &OwnedFd) -> Outcome {
        let mut buf = [0u8; 256];
        let bytes = match self.kind {
            StatKind::Stat => match stat_bytes(fd, &mut buf) {
                Ok(bytes) => bytes,
                Err(errno) => return Outcome::Failed(errno),
            },
            StatKind::Statx(mask) => {
                let sync = rustix::fs::AtFlags::from_bits_retain(self.flags & AT_STATX_SYNC_TYPE);
                let flags = rustix::fs::AtFlags::EMPTY_PATH | sync;
                match rustix::fs::statx(fd, c"", flags, rustix::fs::StatxFlags::from_bits_retain(mask)) {
                    Ok(statx) => {
                        // SAFETY: see the module documentation: a repr(C) struct of 256 bytes whose
                        // every byte the kernel wrote, viewed as bytes for as long as `statx` lives.
                        let raw = unsafe {
                            core::slice::from_raw_parts(
                                (&statx as *const rustix::fs::Statx).cast::<u8>(),
                                core::mem::size_of::<rustix::fs::Statx>(),
                            )
                        };
                        buf[..raw.len().min(256)].copy_from_slice(&raw[..raw.len().min(256)]);
                        &buf[..raw.len().min(256)]
                    }
                    Err(errno) => return Outcome::Failed(errno),
                }
            }
        };
        match call
            .listener()
            .write_checked(call.notification(), self.buf, bytes)
        {
            Ok(()) => Outcome::Done(CheckedAnswer::Emulated(Ok(0))),
            Err(seccomp_sys::mem::CheckedReadError::Memory(_)) => Outcome::Failed(Errno::FAULT),
            Err(_) => Outcome::Failed(Errno::SRCH),
        }
    }
}

/// `newfstatat(fd, "", AT_EMPTY_PATH)` into `buf`: the native `struct stat`'s bytes.
fn stat_bytes<'b>(fd: &OwnedFd, buf: &'b mut [u8; 256]) -> Result<&'b [u8], Errno> {
    let nr = seccomp_core::arch::Arch::native()
        .and_then(|arch| arch.syscall_nr("newfstatat"))
        .ok_or(Errno::NOSYS)?;
    // SAFETY: newfstatat writes at most sizeof(struct stat) (< 256) bytes into `buf`; the empty path
    // is a NUL-terminated static string; `fd` is open for the call.
    let done = unsafe {
        seccomp_sys::raw::syscall4(
            nr,
            fd.as_raw_fd() as usize,
            c"".as_ptr() as usize,
            buf.as_mut_ptr() as usize,
            AT_EMPTY_PATH as usize,
        )
    };
    done?;
    Ok(&buf[..STAT_SIZE])
}
