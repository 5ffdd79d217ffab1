//! `open`, `openat`, `openat2` and `creat`, opened by the supervisor with the target's credentials and
//! umask and injected with `ADDFD` + `SEND`.
//!
//! [`OpenRequest::read`] decodes the syscall (reading `struct open_how` for `openat2`) and the path;
//! [`open_in`] opens it within a [`Scope`]; [`open`] opens it exactly as the target would.
//!
//! Flags mirror the kernel's treatment of each entry point: `open`/`openat`/`creat` ignore unknown flag
//! bits, drop every flag but `O_PATH`, `O_DIRECTORY`, `O_NOFOLLOW` and `O_CLOEXEC` under `O_PATH`, and
//! ignore the mode without `O_CREAT`/`O_TMPFILE`, and on 64-bit add `O_LARGEFILE`; `openat2` takes them as
//! given (the kernel then refuses what it refuses, with the same errno).
//!
//! `ADDFD` does not take `O_PATH` files, so an allowed `O_PATH` open is answered with the same file opened
//! read-only (directories and regular files only; see `injectable`).
//!
//! Files on procfs are not handed out: inside the supervisor, `/proc/self` names the supervisor, so a
//! target's `/proc/self/...` would open the supervisor's files. Such an open is reported as
//! [`Outcome::Outside`].

use super::{Outcome, RequestError, Scope, as_target, fd_link, on_procfs, read_error};
use crate::answer::CheckedAnswer;
use crate::call::{Call, Inspected};
use crate::path::{self, Lexical};
use rustix::fd::OwnedFd;
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::ffi::CString;

/// An open-like syscall, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    /// The dirfd (`AT_FDCWD` for `open` and `creat`).
    pub dirfd: i32,
    /// The path, as read from the target.
    pub path: CString,
    /// The flags to open with (already treated as the entry point treats them).
    pub flags: OFlags,
    /// The mode (0 unless creating).
    pub mode: Mode,
    /// `openat2`'s resolve flags.
    pub resolve: ResolveFlags,
}

/// `struct open_how` (openat2(2)).
#[derive(Debug, Clone, Copy, zerocopy::FromBytes, zerocopy::KnownLayout, zerocopy::Immutable)]
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// The open flags the kernel knows (`VALID_OPEN_FLAGS`); `open` ignores the others.
fn valid_open_flags() -> OFlags {
    OFlags::ACCMODE
        | OFlags::CREATE
        | OFlags::EXCL
        | OFlags::NOCTTY
        | OFlags::TRUNC
        | OFlags::APPEND
        | OFlags::NONBLOCK
        | OFlags::DSYNC
        | OFlags::ASYNC
        | OFlags::DIRECT
        | OFlags::LARGEFILE
        | OFlags::DIRECTORY
        | OFlags::NOFOLLOW
        | OFlags::NOATIME
        | OFlags::CLOEXEC
        | OFlags::SYNC
        | OFlags::PATH
        | OFlags::TMPFILE
}

/// `build_open_how` for `open`, `openat` and `creat`.
fn legacy_flags(raw_flags: u64, raw_mode: u64) -> (OFlags, Mode) {
    let mut flags = OFlags::from_bits_retain(raw_flags as u32) & valid_open_flags();
    if cfg!(target_pointer_width = "64") {
        flags |= OFlags::LARGEFILE;
    }
    if flags.contains(OFlags::PATH) {
        flags &= OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    }
    let creates = flags.contains(OFlags::CREATE) || flags.contains(OFlags::TMPFILE);
    let mode = if creates {
        Mode::from_bits_retain(raw_mode as u32 & 0o7777)
    } else {
        Mode::empty()
    };
    (flags, mode)
}

impl OpenRequest {
    /// Decodes `open`, `openat`, `openat2` or `creat` and reads its path (and `open_how`).
    pub fn read(call: &mut Inspected<'_>) -> Result<OpenRequest, RequestError> {
        let args = call.call().args();
        let name = call.call().name().ok_or(RequestError::NotEmulated)?;
        let (dirfd, path_arg, flags, mode, resolve) = match name {
            "open" => {
                let (flags, mode) = legacy_flags(args[1], args[2]);
                (path::AT_FDCWD, 0, flags, mode, ResolveFlags::empty())
            }
            "creat" => {
                let raw = u64::from((OFlags::CREATE | OFlags::WRONLY | OFlags::TRUNC).bits());
                let (flags, mode) = legacy_flags(raw, args[1]);
                (path::AT_FDCWD, 0, flags, mode, ResolveFlags::empty())
            }
            "openat" => {
                let (flags, mode) = legacy_flags(args[2], args[3]);
                (args[0] as i32, 1, flags, mode, ResolveFlags::empty())
            }
            "openat2" => {
                let size = args[3];
                if size < 24 {
                    return Err(RequestError::Errno(Errno::INVAL));
                }
                if size > 4096 {
                    return Err(RequestError::Errno(Errno::TOOBIG));
                }
                let how: OpenHow = call.read_struct(args[2]).map_err(read_error)?;
                if size > 24 {
                    let extra = call
                        .read_bytes(args[2] + 24, size as usize - 24)
                        .map_err(read_error)?;
                    if extra.iter().any(|&b| b != 0) {
                        return Err(RequestError::Errno(Errno::TOOBIG));
                    }
                }
                let flags = u32::try_from(how.flags).map_err(|_| RequestError::Errno(Errno::INVAL))?;
                let mode = u32::try_from(how.mode).map_err(|_| RequestError::Errno(Errno::INVAL))?;
                (
                    args[0] as i32,
                    1,
                    OFlags::from_bits_retain(flags),
                    Mode::from_bits_retain(mode),
                    ResolveFlags::from_bits_retain(how.resolve),
                )
            }
            _ => return Err(RequestError::NotEmulated),
        };
        let path = call.read_path(path_arg).map_err(read_error)?;
        Ok(OpenRequest {
            dirfd,
            path,
            flags,
            mode,
            resolve,
        })
    }

    /// The path resolved for the target (see [`path::resolve`]).
    pub fn resolve(&self, call: &Call<'_>) -> Result<Lexical, Errno> {
        path::resolve(call, self.dirfd, self.path.to_bytes())
    }

    /// Whether the target asked for close-on-exec.
    pub fn cloexec(&self) -> bool {
        self.flags.contains(OFlags::CLOEXEC)
    }

    /// `openat2` resolve flags the emulation cannot honour relative to another start directory
    /// (`RESOLVE_BENEATH`, `RESOLVE_IN_ROOT`, `RESOLVE_NO_XDEV` are relative to the target's dirfd).
    fn resolve_is_relative(&self) -> bool {
        self.resolve
            .intersects(ResolveFlags::BENEATH | ResolveFlags::IN_ROOT | ResolveFlags::NO_XDEV)
    }
}

/// Opens with the calling thread's credentials (the target's, inside [`as_target`]).
fn open_from(
    dir: &rustix::fd::OwnedFd,
    path: &[u8],
    request: &OpenRequest,
    resolve: ResolveFlags,
) -> Outcome {
    let extra = request.resolve & !(ResolveFlags::BENEATH | ResolveFlags::IN_ROOT);
    match path::open_with(dir, path, request.flags, request.mode, resolve | extra) {
        Ok(fd) if on_procfs(&fd) => Outcome::Outside,
        Ok(fd) => match injectable(fd, request) {
            Ok(fd) => Outcome::Done(CheckedAnswer::InjectFd {
                fd,
                cloexec: request.cloexec(),
            }),
            Err(errno) => Outcome::Failed(errno),
        },
        Err(Errno::XDEV) => Outcome::Outside,
        Err(errno) => Outcome::Failed(errno),
    }
}

/// The fd to inject for an open that succeeded. `ADDFD` does not take `O_PATH` files (the kernel's `fget`
/// refuses them with `EBADF`), so the file of an `O_PATH` open is opened again read-only through the
/// supervisor's `/proc/thread-self/fd`, still with the target's credentials (this runs inside
/// [`as_target`]): a directory as `O_RDONLY | O_DIRECTORY`, a regular file as `O_RDONLY`. The target
/// then needs the read permission that `O_PATH` does not (`EACCES` without it), and may read what it
/// could have opened for reading itself; other file types (a symlink opened with `O_NOFOLLOW`, devices,
/// FIFOs, sockets), whose opening can have effects, get `EACCES`.
fn injectable(fd: OwnedFd, request: &OpenRequest) -> Result<OwnedFd, Errno> {
    if !request.flags.contains(OFlags::PATH) {
        return Ok(fd);
    }
    let mode = rustix::fs::fstat(&fd)?.st_mode;
    let flags = match FileType::from_raw_mode(mode) {
        FileType::Directory => OFlags::RDONLY | OFlags::DIRECTORY,
        // O_NONBLOCK: an open for reading must not wait for another process's lease to be broken.
        FileType::RegularFile => OFlags::RDONLY | OFlags::NONBLOCK,
        _ => return Err(Errno::ACCESS),
    };
    let reopened = rustix::fs::open(
        fd_link(&fd),
        flags | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    if flags.contains(OFlags::NONBLOCK) {
        rustix::fs::fcntl_setfl(&reopened, OFlags::empty())?;
    }
    Ok(reopened)
}

/// Opens `request` for the target within `scope`, with its credentials and umask. The path is resolved
/// for the target first ([`OpenRequest::resolve`]); beneath an allowed tree the open starts at the tree
/// with `RESOLVE_BENEATH`, so `..`, absolute symlinks and magic links that would leave it open nothing.
pub fn open_in(call: &Call<'_>, request: &OpenRequest, scope: Scope<'_>) -> Outcome {
    if request.resolve_is_relative() {
        return Outcome::Outside;
    }
    let target_path = match request.resolve(call) {
        Ok(path) => path,
        Err(Errno::XDEV) => return Outcome::Outside,
        Err(errno) => return Outcome::Failed(errno),
    };
    let creates = request.flags.intersects(OFlags::CREATE | OFlags::TMPFILE);
    let root = match call.root() {
        Ok(root) => root,
        Err(errno) => return Outcome::Failed(errno),
    };
    let done = as_target(call, creates, || match scope {
        Scope::Root => open_from(&root, &target_path.to_bytes(), request, ResolveFlags::IN_ROOT),
        Scope::Exactly(file) => {
            if target_path.has_dot_dot() || target_path != *file {
                return Outcome::Outside;
            }
            open_from(&root, &target_path.to_bytes(), request, ResolveFlags::IN_ROOT)
        }
        Scope::Under(tree) => {
            let Some(rest) = target_path.strip_prefix(tree) else {
                return Outcome::Outside;
            };
            let dir = OFlags::PATH | OFlags::DIRECTORY;
            match path::open_with(&root, &tree.to_bytes(), dir, Mode::empty(), ResolveFlags::IN_ROOT) {
                Ok(tree_fd) => open_from(&tree_fd, &rest, request, ResolveFlags::BENEATH),
                Err(Errno::XDEV) => Outcome::Outside,
                Err(errno) => Outcome::Failed(errno),
            }
        }
    });
    done.unwrap_or_else(Outcome::Failed)
}

/// [`open_in`] beneath `dir`.
pub fn open_under(call: &Call<'_>, request: &OpenRequest, dir: &Lexical) -> Outcome {
    open_in(call, request, Scope::Under(dir))
}

/// [`open_in`] at exactly `file`.
pub fn open_exact(call: &Call<'_>, request: &OpenRequest, file: &Lexical) -> Outcome {
    open_in(call, request, Scope::Exactly(file))
}

/// [`open_in`] anywhere in the target's root: what an `allow` that does not restrict the path comes to
/// once the call's memory was read.
pub fn open_resolved(call: &Call<'_>, request: &OpenRequest) -> Outcome {
    open_in(call, request, Scope::Root)
}

/// Opens the request's path as the target would (in its root, with its credentials) and returns the
/// answer: the fd to inject, or the errno.
pub fn open(call: &mut Inspected<'_>) -> Result<CheckedAnswer, Errno> {
    let request = match OpenRequest::read(call) {
        Ok(request) => request,
        Err(RequestError::Errno(errno)) => return Err(errno),
        Err(RequestError::NotEmulated) => return Err(Errno::NOSYS),
        Err(RequestError::Gone) => return Err(Errno::SRCH),
    };
    match open_resolved(call.call(), &request) {
        Outcome::Done(answer) => Ok(answer),
        Outcome::Failed(errno) => Err(errno),
        Outcome::Outside => Err(Errno::ACCESS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_entry_points_treat_flags_as_the_kernel_does() {
        let (flags, mode) = legacy_flags(u64::from(OFlags::RDONLY.bits()) | 0x8000_0000, 0o777);
        assert!(!flags.bits() & 0x8000_0000 != 0, "unknown bits dropped");
        assert_eq!(mode, Mode::empty(), "no mode without O_CREAT");
        let (flags, mode) = legacy_flags(u64::from((OFlags::CREATE | OFlags::WRONLY).bits()), 0o10644);
        assert!(flags.contains(OFlags::CREATE));
        assert_eq!(mode.bits(), 0o644);
        let (flags, _) = legacy_flags(
            u64::from((OFlags::PATH | OFlags::TRUNC | OFlags::WRONLY).bits()),
            0,
        );
        assert!(!flags.contains(OFlags::TRUNC) && !flags.contains(OFlags::WRONLY));
    }
}
