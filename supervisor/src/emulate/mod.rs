//! Doing a syscall's work for the target, so that a decision made on its memory is never left to the
//! kernel to re-read: the supervisor does the syscall itself, with the target's credentials and umask,
//! resolving paths inside the target's root, and answers with the result (an fd injected with `ADDFD` +
//! `SEND`, a value or an errno).
//!
//! - [`mod@open`]: `open`, `openat`, `openat2`, `creat` (the file is opened and injected).
//! - [`fs`]: `mkdir`, `mkdirat`, `unlink`, `unlinkat` (with `AT_REMOVEDIR`), `rmdir`, `rename`,
//!   `renameat`, `renameat2`, `chmod`, `fchmodat`.
//! - [`stat`]: `stat`, `lstat`, `newfstatat`, `statx` (the struct is written into the target's buffer).
//! - [`net`]: `connect` and `bind`, done on the target's own socket (taken with `pidfd_getfd`).
//!
//! [`Request::read`] decodes any of them from an [`Inspected`] call; [`Request::paths`] gives the path
//! arguments resolved for the target (what a rule's predicates look at); [`Request::perform`] does the
//! work within a [`Scope`]: anywhere in the target's root, beneath an allowed directory, or at exactly
//! one allowed file. Resolution that would leave the scope (`..`, a symlink out of an allowed tree, a
//! magic link, procfs) never touches anything: it comes back as [`Outcome::Outside`].
//!
//! Each emulated syscall gives the target the errno the kernel would have given it, because the final
//! step is the same syscall made by the supervisor on the same objects: the parent directory (opened
//! for the target as its own lookup would), the last component as the target wrote it, the target's
//! socket. `supervisor/tests/emulate_errno.rs` compares every one with the unsupervised kernel.
//!
//! # Example
//!
//! A handler that lets the target create, remove and rename entries only inside `/srv/data` (and refuses
//! the rest with the errno it would have had, or `EACCES` outside the tree):
//!
//! ```no_run
//! use seccomp_supervisor::emulate::{Request, RequestError, Scope};
//! use seccomp_supervisor::path::Lexical;
//! use seccomp_supervisor::{Call, CheckedAnswer, Errno, Reply};
//!
//! fn handle(call: Call<'_>) -> Reply {
//!     let tree = Lexical::new(b"/srv/data");
//!     let mut call = call.inspect();
//!     let answer = match Request::read(&mut call) {
//!         Ok(request) => request.perform(call.call(), Scope::Under(&tree)).answer_or(Errno::ACCESS),
//!         Err(RequestError::Errno(errno)) => CheckedAnswer::Errno(errno),
//!         Err(_) => CheckedAnswer::Errno(Errno::NOSYS),
//!     };
//!     call.answer(answer)
//! }
//! # let _ = handle;
//! ```
//!
//! Not emulated, and why: `execve`/`execveat`
//! (the supervisor cannot run a program in the target's place), `link`/`symlink` family and `chown`
//! (not needed yet: a rule that allows them by path is refused, as for any syscall not listed here).

pub mod fs;
pub mod net;
pub mod open;
pub mod stat;

pub use fs::FsRequest;
pub use net::SockRequest;
pub use open::{OpenRequest, open, open_exact, open_resolved, open_under};
pub use stat::StatRequest;

use crate::answer::CheckedAnswer;
use crate::call::{Call, Inspected};
use crate::creds;
use crate::path::{self, Lexical};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use seccomp_sys::mem::{CheckedReadError, MemError};

/// The syscalls this module can do for the target, by name.
pub const EMULATED: [&str; 20] = [
    "open",
    "openat",
    "openat2",
    "creat",
    "mkdir",
    "mkdirat",
    "unlink",
    "unlinkat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "chmod",
    "fchmodat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "connect",
    "bind",
];

/// Where an emulated syscall may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Anywhere in the target's root, as the target itself could.
    Root,
    /// Beneath this directory (whole components; resolution may not leave it: `RESOLVE_BENEATH`).
    /// Syscalls that create, remove or rename an entry may act only on entries strictly inside it.
    Under(&'a Lexical),
    /// Exactly this file (lexically: the path must equal it and contain no `..`).
    Exactly(&'a Lexical),
}

/// What an emulated syscall came to.
#[derive(Debug)]
pub enum Outcome {
    /// The work is done: this is the answer (an fd to inject, or the syscall's value).
    Done(CheckedAnswer),
    /// The syscall failed with the errno the kernel would give the target.
    Failed(Errno),
    /// Resolution would leave the scope (`EXDEV` beneath it, procfs, a start directory that cannot be
    /// named): nothing was done, and the rule that gave the scope does not apply.
    Outside,
}

impl Outcome {
    /// The answer to give the target, with `outside` for [`Outcome::Outside`].
    pub fn answer_or(self, outside: Errno) -> CheckedAnswer {
        match self {
            Outcome::Done(answer) => answer,
            Outcome::Failed(errno) => CheckedAnswer::Errno(errno),
            Outcome::Outside => CheckedAnswer::Errno(outside),
        }
    }
}

/// Why a request could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// Not a syscall this module emulates.
    NotEmulated,
    /// The errno the kernel would give the target (`EFAULT`, `ENAMETOOLONG`, `E2BIG`, `EINVAL`).
    Errno(Errno),
    /// The notification went away (or `ID_VALID` failed): no answer will be read.
    Gone,
}

/// Maps a failed checked read to what the kernel would have answered.
pub(crate) fn read_error(error: CheckedReadError) -> RequestError {
    match error {
        CheckedReadError::Memory(MemError::Fault { .. }) => RequestError::Errno(Errno::FAULT),
        CheckedReadError::Memory(MemError::TooLong { .. }) => RequestError::Errno(Errno::NAMETOOLONG),
        CheckedReadError::Memory(MemError::Os(errno)) => RequestError::Errno(errno),
        _ => RequestError::Gone,
    }
}

/// One emulatable syscall, decoded, its memory read once.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// `open`, `openat`, `openat2`, `creat`.
    Open(OpenRequest),
    /// A path syscall of [`fs`].
    Fs(FsRequest),
    /// `stat`, `lstat`, `newfstatat`, `statx`.
    Stat(StatRequest),
    /// `connect` or `bind`.
    Sock(SockRequest),
}

impl Request {
    /// Decodes the call's syscall and reads its memory (paths, `open_how`, the sockaddr).
    pub fn read(call: &mut Inspected<'_>) -> Result<Request, RequestError> {
        let name = call.call().name().ok_or(RequestError::NotEmulated)?;
        match name {
            "open" | "openat" | "openat2" | "creat" => OpenRequest::read(call).map(Request::Open),
            "connect" | "bind" => SockRequest::read(call).map(Request::Sock),
            "stat" | "lstat" | "newfstatat" | "statx" => StatRequest::read(call).map(Request::Stat),
            _ => FsRequest::read(call).map(Request::Fs),
        }
    }

    /// The path arguments resolved for the target (see [`path::resolve`]): one, two for a rename, and
    /// for `connect`/`bind` the unix socket path when the address is one (else none).
    pub fn paths(&self, call: &Call<'_>) -> Result<Vec<Lexical>, Errno> {
        match self {
            Request::Open(request) => Ok(vec![request.resolve(call)?]),
            Request::Fs(request) => request.resolve(call),
            Request::Stat(request) => Ok(vec![request.resolve(call)?]),
            Request::Sock(request) => request.resolve(call).map(|path| path.into_iter().collect()),
        }
    }

    /// The socket address, for `connect` and `bind`.
    pub fn sockaddr(&self) -> Option<&crate::memory::SockAddr> {
        match self {
            Request::Sock(request) => Some(&request.addr),
            _ => None,
        }
    }

    /// Does the syscall for the target within `scope` (see [`Scope`]).
    pub fn perform(&self, call: &Call<'_>, scope: Scope<'_>) -> Outcome {
        match self {
            Request::Open(request) => open::open_in(call, request, scope),
            Request::Fs(request) => request.perform(call, scope),
            Request::Stat(request) => request.perform(call, scope),
            Request::Sock(request) => request.perform(call, scope),
        }
    }
}

/// `/proc/thread-self/fd/N` for the supervisor's own `fd`: the magic link through which the emulation
/// acts on a file it opened within the scope (reopen, `chmod`, unix `connect`, `bind` beneath it), so the
/// kernel never resolves the target's path again.
pub(crate) fn fd_link(fd: &OwnedFd) -> String {
    format!("/proc/thread-self/fd/{}", rustix::fd::AsRawFd::as_raw_fd(fd))
}

/// Whether `fd` is on procfs (`PROC_SUPER_MAGIC`, 0x9fa0): inside the supervisor `/proc/self` names the
/// supervisor, so the target's `/proc/self/...` would reach the supervisor's files.
pub(crate) fn on_procfs(fd: &OwnedFd) -> bool {
    rustix::fs::fstatfs(fd).is_ok_and(|fs| fs.f_type == 0x9fa0)
}

/// Runs `work` in the calling thread with the target's filesystem credentials, and with its umask when
/// `umask` is set (the worker's fs state is private: `creds::private_fs_state`). A supervisor that
/// cannot become the target does not act for it (`EACCES`).
pub(crate) fn as_target<R>(call: &Call<'_>, umask: bool, work: impl FnOnce() -> R) -> Result<R, Errno> {
    if umask {
        private_fs()?;
    }
    let status = call.status()?;
    let assumed = creds::assume(&status.credentials).map_err(|_| Errno::ACCESS)?;
    let old_umask = match (umask, status.umask) {
        (true, Some(mask)) => Some(rustix::process::umask(Mode::from_bits_retain(mask))),
        _ => None,
    };
    let result = work();
    if let Some(old) = old_umask {
        rustix::process::umask(old);
    }
    assumed.restore();
    Ok(result)
}

/// Gives the calling thread its own umask, root and cwd (`unshare(CLONE_FS)`), once per thread, before it
/// sets a target's umask: otherwise the umask is the whole supervisor's, and two threads creating files
/// for two targets would apply each other's. Whichever thread runs the handler (a worker, a serving
/// thread, a caller's own thread) gets it here. A thread that cannot have it does not create for the
/// target (`EACCES`).
fn private_fs() -> Result<(), Errno> {
    thread_local! {
        static PRIVATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if PRIVATE.with(std::cell::Cell::get) {
        return Ok(());
    }
    creds::private_fs_state().map_err(|_| Errno::ACCESS)?;
    PRIVATE.with(|private| private.set(true));
    Ok(())
}

/// Opens directory `dir` (an absolute path inside the target's root) as an `O_PATH` fd within `scope`
/// (see [`open_path_in`]).
pub(crate) fn open_dir_in(root: &OwnedFd, dir: &Lexical, scope: Scope<'_>) -> Result<OwnedFd, Outcome> {
    open_path_in(root, dir, scope, OFlags::PATH | OFlags::DIRECTORY)
}

/// Opens `path` (an absolute path inside the target's root, whose fd is `root`: take it with
/// `Call::root` *before* [`as_target`], since a target that changed its ids is not dumpable and its
/// `/proc/PID/root` is closed to its own uid) with `flags` within `scope`, as the calling thread's
/// credentials allow (call it inside [`as_target`]): in the root with `RESOLVE_IN_ROOT`, or
/// from the allowed tree with `RESOLVE_BENEATH`. `EXDEV` (resolution left the scope), a file on procfs,
/// or a path outside an exact or tree scope give [`Outcome::Outside`]; other errors are the kernel's own
/// (`ENOENT`, `ENOTDIR`, `EACCES`, `ELOOP`, ...).
pub(crate) fn open_path_in(
    root: &OwnedFd,
    path: &Lexical,
    scope: Scope<'_>,
    flags: OFlags,
) -> Result<OwnedFd, Outcome> {
    let opened = match scope {
        Scope::Root => path::open_with(
            root,
            &path.to_bytes(),
            flags,
            Mode::empty(),
            ResolveFlags::IN_ROOT,
        ),
        Scope::Exactly(file) => {
            if path.has_dot_dot() || path.components() != file.components() {
                return Err(Outcome::Outside);
            }
            path::open_with(
                root,
                &path.to_bytes(),
                flags,
                Mode::empty(),
                ResolveFlags::IN_ROOT,
            )
        }
        Scope::Under(tree) => {
            let rest = path.strip_prefix(tree).ok_or(Outcome::Outside)?;
            let dir = OFlags::PATH | OFlags::DIRECTORY;
            let tree_fd = path::open_with(root, &tree.to_bytes(), dir, Mode::empty(), ResolveFlags::IN_ROOT)
                .map_err(|errno| match errno {
                    Errno::XDEV => Outcome::Outside,
                    errno => Outcome::Failed(errno),
                })?;
            path::open_with(&tree_fd, &rest, flags, Mode::empty(), ResolveFlags::BENEATH)
        }
    };
    match opened {
        Ok(fd) if on_procfs(&fd) => Err(Outcome::Outside),
        Ok(fd) => Ok(fd),
        Err(Errno::XDEV) => Err(Outcome::Outside),
        Err(errno) => Err(Outcome::Failed(errno)),
    }
}
