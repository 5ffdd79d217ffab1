//! A path argument resolved for the target, as the kernel resolves it for the target.
//!
//! The target names a file by a dirfd (or `AT_FDCWD`) and a path. [`resolve`] turns that into the
//! absolute path inside the target's root, lexically cleaned ([`Lexical`]: `.` and repeated slashes
//! dropped; `..` kept, since only the kernel can say where it leads through symlinks):
//! - an absolute path stays as it is (it is resolved in the target's root, `/proc/PID/root`);
//! - a relative one is appended to the path of its start directory: the target's cwd (`/proc/PID/cwd`) or
//!   its dirfd (taken with `pidfd_getfd`). The start directory's path is read from `/proc/PID/...`, made
//!   relative to the target's root, and checked: the path opened in the target's root must be the very
//!   directory (same device and inode) the target would start from, so a renamed or deleted directory,
//!   or one outside the target's root, is refused rather than guessed.
//!
//! Opening then happens in the kernel, never by string manipulation: [`open_in_root`] with
//! `RESOLVE_IN_ROOT` (absolute symlinks and `..` stay inside the target's root), and, for a rule that
//! allows a tree, beneath that tree's directory with `RESOLVE_BENEATH` (`..`, absolute symlinks or magic
//! links that would leave the tree fail with `EXDEV` instead of opening anything outside).

use crate::call::Call;
use crate::target;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// `AT_FDCWD`.
pub const AT_FDCWD: i32 = -100;

/// An absolute path split into components: no empty or `.` components; `..` kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexical {
    components: Vec<Vec<u8>>,
    trailing_slash: bool,
}

impl Lexical {
    /// Splits an absolute path (a leading `/` is assumed when missing).
    pub fn new(path: &[u8]) -> Lexical {
        let components = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .map(<[u8]>::to_vec)
            .collect();
        let trailing_slash = path.len() > 1 && path.ends_with(b"/") || path.ends_with(b"/.") || path == b".";
        Lexical {
            components,
            trailing_slash,
        }
    }

    /// The root directory.
    pub fn root() -> Lexical {
        Lexical {
            components: Vec::new(),
            trailing_slash: false,
        }
    }

    /// Appends a relative path.
    pub fn join(&self, relative: &[u8]) -> Lexical {
        let mut joined = self.clone();
        let tail = Lexical::new(relative);
        joined.components.extend(tail.components);
        joined.trailing_slash = tail.trailing_slash || (relative.is_empty() && self.trailing_slash);
        joined
    }

    /// The components.
    pub fn components(&self) -> &[Vec<u8>] {
        &self.components
    }

    /// Whether the path ended in `/` (or `/.`): the kernel then requires a directory.
    pub fn trailing_slash(&self) -> bool {
        self.trailing_slash
    }

    /// Whether the path contains a `..` component.
    pub fn has_dot_dot(&self) -> bool {
        self.components.iter().any(|c| c == b"..")
    }

    /// When this path starts with every component of `dir` (whole components: `/srv/database` does not
    /// start with `/srv/data`), the rest as a relative path (`.` when it is `dir` itself).
    pub fn strip_prefix(&self, dir: &Lexical) -> Option<Vec<u8>> {
        let rest = self.components.strip_prefix(dir.components.as_slice())?;
        if rest.is_empty() {
            return Some(if self.trailing_slash {
                b"./".to_vec()
            } else {
                b".".to_vec()
            });
        }
        let mut out = rest.join(&b'/');
        if self.trailing_slash {
            out.push(b'/');
        }
        Some(out)
    }

    /// The path as bytes, starting with `/`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for component in &self.components {
            out.push(b'/');
            out.extend_from_slice(component);
        }
        if out.is_empty() || self.trailing_slash {
            out.push(b'/');
        }
        out
    }
}

/// Strips the target's root (as the supervisor sees it) from a path the supervisor sees.
fn inside_root(root: &[u8], seen: &[u8]) -> Option<Vec<u8>> {
    if root == b"/" {
        return Some(seen.to_vec());
    }
    let rest = seen.strip_prefix(root)?;
    match rest {
        [] => Some(b"/".to_vec()),
        [b'/', ..] => Some(rest.to_vec()),
        _ => None,
    }
}

fn same_file(a: impl AsFd, b: impl AsFd) -> Result<bool, Errno> {
    let (a, b) = (rustix::fs::fstat(a)?, rustix::fs::fstat(b)?);
    Ok(a.st_dev == b.st_dev && a.st_ino == b.st_ino)
}

/// The directory a relative path starts from: its path inside the target's root, checked to be the
/// directory the target itself would start from.
fn start_directory(call: &Call<'_>, dirfd: i32) -> Result<Lexical, Errno> {
    let pid = call.pid().ok_or(Errno::SRCH)?;
    let root = target::read_link(pid, "root")?;
    let (link, actual) = if dirfd == AT_FDCWD {
        (target::read_link(pid, "cwd")?, call.cwd()?)
    } else {
        if dirfd < 0 {
            return Err(Errno::BADF);
        }
        let pidfd = call.pidfd()?;
        let fd = seccomp_sys::fdpass::pidfd_getfd(pidfd.as_fd(), dirfd)?;
        let stat = rustix::fs::fstat(&fd)?;
        if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::Directory {
            return Err(Errno::NOTDIR);
        }
        (target::read_link(pid, &format!("fd/{dirfd}"))?, fd)
    };
    call.check()?;
    let inside = inside_root(&root, &link).ok_or(Errno::XDEV)?;
    let lexical = Lexical::new(&inside);
    // The text may be stale (renamed, " (deleted)") or name another directory: open it and compare.
    let root_fd = call.root()?;
    let reopened = open_in_root(
        &root_fd,
        &lexical.to_bytes(),
        OFlags::PATH | OFlags::DIRECTORY,
        Mode::empty(),
    )
    .map_err(|_| Errno::XDEV)?;
    if !same_file(&reopened, &actual)? {
        return Err(Errno::XDEV);
    }
    Ok(lexical)
}

/// The target's path argument as an absolute path inside its root (see the module documentation).
///
/// Errors are the errno the kernel would give the target (`ENOENT` for an empty path, `EBADF`, `ENOTDIR`
/// for a bad dirfd), or `EXDEV` when the start directory cannot be named inside the target's root.
pub fn resolve(call: &Call<'_>, dirfd: i32, path: &[u8]) -> Result<Lexical, Errno> {
    if path.is_empty() {
        return Err(Errno::NOENT);
    }
    if path.starts_with(b"/") {
        return Ok(Lexical::new(path));
    }
    Ok(start_directory(call, dirfd)?.join(path))
}

/// `openat2(root, path, flags | O_CLOEXEC, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`: opens `path`
/// as a process whose root is `root` would, without following magic links (`/proc/PID/fd/N`,
/// `/proc/PID/root`), which would lead out of that root.
pub fn open_in_root(root: &OwnedFd, path: &[u8], flags: OFlags, mode: Mode) -> Result<OwnedFd, Errno> {
    open_with(root, path, flags, mode, ResolveFlags::IN_ROOT)
}

/// `openat2(dir, path, flags | O_CLOEXEC, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | extra)`.
pub fn open_with(
    dir: &OwnedFd,
    path: &[u8],
    flags: OFlags,
    mode: Mode,
    resolve: ResolveFlags,
) -> Result<OwnedFd, Errno> {
    let path = std::ffi::CString::new(path).map_err(|_| Errno::INVAL)?;
    loop {
        match rustix::fs::openat2(
            dir,
            path.as_c_str(),
            flags | OFlags::CLOEXEC,
            mode,
            resolve | ResolveFlags::NO_MAGICLINKS,
        ) {
            Err(Errno::AGAIN) | Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_paths_drop_dots_and_slashes_but_keep_dot_dot() {
        let p = Lexical::new(b"//srv/./data//x/../y/");
        assert_eq!(p.to_bytes(), b"/srv/data/x/../y/");
        assert!(p.trailing_slash() && p.has_dot_dot());
        assert_eq!(Lexical::new(b"/").to_bytes(), b"/");
    }

    #[test]
    fn under_means_whole_components() {
        let data = Lexical::new(b"/srv/data");
        assert_eq!(
            Lexical::new(b"/srv/data/a/b").strip_prefix(&data),
            Some(b"a/b".to_vec())
        );
        assert_eq!(
            Lexical::new(b"/srv/data").strip_prefix(&data),
            Some(b".".to_vec())
        );
        assert_eq!(
            Lexical::new(b"/srv/data/").strip_prefix(&data),
            Some(b"./".to_vec())
        );
        assert_eq!(Lexical::new(b"/srv/database").strip_prefix(&data), None);
        assert_eq!(Lexical::new(b"/srv").strip_prefix(&data), None);
        assert_eq!(
            Lexical::new(b"/srv/data/../etc").strip_prefix(&data),
            Some(b"../etc".to_vec()),
            "the kernel, beneath the tree, refuses the `..`"
        );
    }

    #[test]
    fn relative_paths_join_their_start() {
        let cwd = Lexical::new(b"/srv/data");
        assert_eq!(cwd.join(b"./x//y").to_bytes(), b"/srv/data/x/y");
        assert_eq!(cwd.join(b"../etc").to_bytes(), b"/srv/data/../etc");
    }

    #[test]
    fn the_targets_root_is_stripped_on_component_boundaries() {
        assert_eq!(inside_root(b"/", b"/a"), Some(b"/a".to_vec()));
        assert_eq!(inside_root(b"/jail", b"/jail/a"), Some(b"/a".to_vec()));
        assert_eq!(inside_root(b"/jail", b"/jail"), Some(b"/".to_vec()));
        assert_eq!(inside_root(b"/jail", b"/jailbreak/a"), None);
        assert_eq!(inside_root(b"/jail", b"/etc"), None);
    }
}
