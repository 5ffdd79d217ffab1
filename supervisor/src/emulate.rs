//! Doing a syscall's work for the target: `open`, `openat`, `openat2` and `creat`, opened by the
//! supervisor with the target's credentials and umask and injected with `ADDFD` + `SEND`.
//!
//! [`OpenRequest::read`] decodes the syscall (reading `struct open_how` for `openat2`) and the path;
//! [`open_under`] and [`open_exact`] open it inside the target's root in a way that cannot leave the place
//! a rule allowed; [`open`] opens it exactly as the target would.
//!
//! Flags mirror the kernel's treatment of each entry point: `open`/`openat`/`creat` ignore unknown flag
//! bits, drop every flag but `O_PATH`, `O_DIRECTORY`, `O_NOFOLLOW` and `O_CLOEXEC` under `O_PATH`, and
//! ignore the mode without `O_CREAT`/`O_TMPFILE`, and on 64-bit add `O_LARGEFILE`; `openat2` takes them as
//! given (the kernel then refuses what it refuses, with the same errno).
//!
//! Files on procfs are not handed out: inside the supervisor, `/proc/self` names the supervisor, so a
//! target's `/proc/self/...` would open the supervisor's files. Such an open is reported as
//! [`Opened::Outside`].

use crate::answer::CheckedAnswer;
use crate::call::{Call, Inspected};
use crate::creds;
use crate::path::{self, Lexical};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use seccomp_sys::mem::{CheckedReadError, MemError};
use std::ffi::CString;

/// Whether `fd` is on procfs (`PROC_SUPER_MAGIC`, 0x9fa0).
fn on_procfs(fd: &OwnedFd) -> bool {
    rustix::fs::fstatfs(fd).is_ok_and(|fs| fs.f_type == 0x9fa0)
}

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

/// Why an [`OpenRequest`] could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Not an open-like syscall.
    NotOpen,
    /// The errno the kernel would give the target (`EFAULT`, `ENAMETOOLONG`, `E2BIG`, `EINVAL`).
    Errno(Errno),
    /// The notification went away (or `ID_VALID` failed): answer nothing useful is possible.
    Gone,
}

fn read_error(error: CheckedReadError) -> RequestError {
    match error {
        CheckedReadError::Memory(MemError::Fault { .. }) => RequestError::Errno(Errno::FAULT),
        CheckedReadError::Memory(MemError::TooLong { .. }) => RequestError::Errno(Errno::NAMETOOLONG),
        CheckedReadError::Memory(MemError::Os(errno)) => RequestError::Errno(errno),
        _ => RequestError::Gone,
    }
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
        let name = call.call().name().ok_or(RequestError::NotOpen)?;
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
            _ => return Err(RequestError::NotOpen),
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

/// What an emulated open came to.
#[derive(Debug)]
pub enum Opened {
    /// The file is open: inject it.
    File(CheckedAnswer),
    /// The open failed with the errno the kernel would give the target.
    Failed(Errno),
    /// Resolution would leave the allowed place (`EXDEV` beneath it, procfs, a start directory that
    /// cannot be named): the rule does not apply.
    Outside,
}

/// Opens with the target's credentials and umask in the calling worker thread.
fn open_as_target(
    call: &Call<'_>,
    dir: &OwnedFd,
    path: &[u8],
    request: &OpenRequest,
    resolve: ResolveFlags,
) -> Opened {
    let status = match call.status() {
        Ok(status) => status,
        Err(errno) => return Opened::Failed(errno),
    };
    let assumed = match creds::assume(&status.credentials) {
        Ok(assumed) => assumed,
        // The supervisor cannot become the target: it must not act for it.
        Err(_) => return Opened::Failed(Errno::ACCESS),
    };
    let creates = request.flags.intersects(OFlags::CREATE | OFlags::TMPFILE);
    let old_umask = (creates && status.umask.is_some())
        .then(|| rustix::process::umask(Mode::from_bits_retain(status.umask.unwrap_or(0o022))));
    let opened = path::open_with(
        dir,
        path,
        request.flags,
        request.mode,
        resolve | (request.resolve & !(ResolveFlags::BENEATH | ResolveFlags::IN_ROOT)),
    );
    if let Some(old) = old_umask {
        rustix::process::umask(old);
    }
    assumed.restore();
    match opened {
        Ok(fd) => {
            if on_procfs(&fd) {
                return Opened::Outside;
            }
            Opened::File(CheckedAnswer::InjectFd {
                fd,
                cloexec: request.cloexec(),
            })
        }
        Err(Errno::XDEV) => Opened::Outside,
        Err(errno) => Opened::Failed(errno),
    }
}

/// Opens `target_path` (the request's path resolved for the target) only if it lies beneath `dir`
/// (whole components) and its resolution stays beneath `dir` (`RESOLVE_BENEATH`: `..`, absolute symlinks
/// and magic links that leave it give [`Opened::Outside`]). `dir` is resolved in the target's root.
pub fn open_under(call: &Call<'_>, request: &OpenRequest, target_path: &Lexical, dir: &Lexical) -> Opened {
    if request.resolve_is_relative() {
        return Opened::Outside;
    }
    let Some(rest) = target_path.strip_prefix(dir) else {
        return Opened::Outside;
    };
    let root = match call.root() {
        Ok(root) => root,
        Err(errno) => return Opened::Failed(errno),
    };
    let dir_fd = match path::open_in_root(
        &root,
        &dir.to_bytes(),
        OFlags::PATH | OFlags::DIRECTORY,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(_) => return Opened::Outside,
    };
    open_as_target(call, &dir_fd, &rest, request, ResolveFlags::BENEATH)
}

/// Opens `target_path` in the target's root if it is exactly `file` (lexically, without `..`).
pub fn open_exact(call: &Call<'_>, request: &OpenRequest, target_path: &Lexical, file: &Lexical) -> Opened {
    if request.resolve_is_relative() || target_path.has_dot_dot() || target_path != file {
        return Opened::Outside;
    }
    let root = match call.root() {
        Ok(root) => root,
        Err(errno) => return Opened::Failed(errno),
    };
    open_as_target(
        call,
        &root,
        &target_path.to_bytes(),
        request,
        ResolveFlags::IN_ROOT,
    )
}

/// Opens the request's path as the target would (in its root, with its credentials) and returns the
/// answer: the fd to inject, or the errno.
pub fn open(call: &mut Inspected<'_>) -> Result<CheckedAnswer, Errno> {
    let request = match OpenRequest::read(call) {
        Ok(request) => request,
        Err(RequestError::Errno(errno)) => return Err(errno),
        Err(RequestError::NotOpen) => return Err(Errno::NOSYS),
        Err(RequestError::Gone) => return Err(Errno::SRCH),
    };
    let target_path = request.resolve(call.call())?;
    match open_resolved(call.call(), &request, &target_path) {
        Opened::File(answer) => Ok(answer),
        Opened::Failed(errno) => Err(errno),
        Opened::Outside => Err(Errno::ACCESS),
    }
}

/// Opens `target_path` (the request's path resolved for the target) in the target's root, as the target
/// would, with its credentials: what an `allow` that does not restrict the path comes to once the call's
/// memory was read.
pub fn open_resolved(call: &Call<'_>, request: &OpenRequest, target_path: &Lexical) -> Opened {
    if request.resolve_is_relative() {
        return Opened::Outside;
    }
    let root = match call.root() {
        Ok(root) => root,
        Err(errno) => return Opened::Failed(errno),
    };
    open_as_target(
        call,
        &root,
        &target_path.to_bytes(),
        request,
        ResolveFlags::IN_ROOT,
    )
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
