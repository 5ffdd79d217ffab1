//! `stat`, `lstat` and `newfstatat` done for the target: the file is opened `O_PATH` within the
//! [`Scope`] with the target's credentials (following the last symlink unless `AT_SYMLINK_NOFOLLOW` or
//! `lstat`), `newfstatat(fd, "", AT_EMPTY_PATH)` fills a `struct stat` in the supervisor, and its bytes are
//! written into the target's buffer with `process_vm_writev` (an unwritable buffer gives `EFAULT`, as the
//! kernel's `copy_to_user` would). `statx` is not emulated yet (its five arguments need a raw call
//! `seccomp-sys` does not export).
//!
//! # Safety
//!
//! One `unsafe` call: the raw `newfstatat` into a local, zeroed buffer larger than any `struct stat`
//! (144 bytes on x86_64, 128 on aarch64), with a NUL-terminated empty path.
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

/// `sizeof(struct stat)` of the native ABI.
#[cfg(target_arch = "x86_64")]
const STAT_SIZE: usize = 144;
/// `sizeof(struct stat)` of the native ABI.
#[cfg(target_arch = "aarch64")]
const STAT_SIZE: usize = 128;

/// A decoded `stat`, `lstat` or `newfstatat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRequest {
    /// The dirfd (`AT_FDCWD` for `stat` and `lstat`).
    pub dirfd: i32,
    /// The path as read.
    pub path: CString,
    /// `AT_*` flags (`AT_SYMLINK_NOFOLLOW` for `lstat`).
    pub flags: u32,
    /// The target's `struct stat *`.
    pub buf: u64,
}

impl StatRequest {
    /// Decodes the syscall (flags first: unknown ones are `EINVAL`, as `vfs_fstatat` checks) and reads
    /// its path.
    pub fn read(call: &mut Inspected<'_>) -> Result<StatRequest, RequestError> {
        let args = call.call().args();
        let (dirfd, path_arg, flags, buf) = match call.call().name() {
            Some("stat") => (path::AT_FDCWD, 0, 0, args[1]),
            Some("lstat") => (path::AT_FDCWD, 0, AT_SYMLINK_NOFOLLOW, args[1]),
            Some("newfstatat") => (args[0] as i32, 1, args[3] as u32, args[2]),
            _ => return Err(RequestError::NotEmulated),
        };
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH) != 0 {
            return Err(RequestError::Errno(Errno::INVAL));
        }
        let path = call.read_path(path_arg).map_err(read_error)?;
        Ok(StatRequest {
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

    /// `newfstatat(fd, "", AT_EMPTY_PATH)` and the write of the result into the target.
    fn finish(&self, call: &Call<'_>, fd: &OwnedFd) -> Outcome {
        let mut buf = [0u8; 256];
        let nr = match seccomp_core::arch::Arch::native().and_then(|arch| arch.syscall_nr("newfstatat")) {
            Some(nr) => nr,
            None => return Outcome::Failed(Errno::NOSYS),
        };
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
        if let Err(errno) = done {
            return Outcome::Failed(errno);
        }
        let bytes = buf.get(..STAT_SIZE).unwrap_or(&buf);
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
