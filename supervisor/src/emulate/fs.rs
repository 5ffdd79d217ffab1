//! Path syscalls done for the target: `mkdir`, `mkdirat`, `unlink`, `unlinkat` (with `AT_REMOVEDIR`),
//! `rmdir`, `rename`, `renameat`, `renameat2`, `chmod`, `fchmodat`.
//!
//! Each path is split into its parent and its last component as the target wrote it (trailing slashes,
//! `.` and `..` included). The parent is resolved for the target and opened as an `O_PATH` directory
//! within the [`Scope`] with the target's credentials (symlinks in it are followed, as the kernel
//! follows them; beneath an allowed tree they may not leave it); then the syscall itself is made on
//! `(parent fd, last component)`. The last component is not followed by `mkdir`, `unlink`, `rmdir` or
//! `rename`, exactly as for the target, so a symlink there is the entry acted on, never its target.
//! `chmod` and `fchmodat` follow the last component: the file is opened `O_PATH` within the scope and
//! changed through `/proc/thread-self/fd/N`, so a symlink pointing out of the tree changes nothing.
//!
//! In an [`Scope::Under`] tree, entries are created, removed or renamed only strictly inside it: the
//! parent must lie in the tree, so the tree's own directory cannot be removed or replaced.

use super::{Outcome, RequestError, Scope, as_target, fd_link, open_dir_in, open_path_in, read_error};
use crate::answer::CheckedAnswer;
use crate::call::{Call, Inspected};
use crate::path::{self, Lexical};
use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};
use rustix::io::Errno;
use std::ffi::CString;

/// `AT_REMOVEDIR`.
const AT_REMOVEDIR: u64 = 0x200;

/// The path syscall, with its non-path arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsOp {
    /// `mkdir`/`mkdirat` with this mode (before the umask).
    Mkdir(Mode),
    /// `unlink`, `unlinkat` without flags.
    Unlink,
    /// `rmdir`, `unlinkat` with `AT_REMOVEDIR`.
    Rmdir,
    /// `rename`, `renameat`, `renameat2` with these flags (`RENAME_NOREPLACE`, ...).
    Rename(u32),
    /// `chmod`, `fchmodat` with this mode.
    Chmod(Mode),
}

/// A path argument as the target passed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathArg {
    /// The dirfd (`AT_FDCWD` for the syscalls without one).
    pub dirfd: i32,
    /// The path, as read from the target.
    pub path: CString,
}

/// A decoded path syscall: one path, or two for a rename (old, new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsRequest {
    /// What to do.
    pub op: FsOp,
    /// The path arguments, in the syscall's order.
    pub paths: Vec<PathArg>,
}

/// Splits a path into its parent (possibly empty: the start directory) and its last component with
/// any trailing slashes. `None` for a path of slashes only (the root).
fn split_last(path: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = path.iter().rposition(|&b| b != b'/')? + 1;
    let start = path[..end].iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    Some((&path[..start], &path[start..]))
}

/// The last component without its trailing slashes.
fn bare(last: &[u8]) -> &[u8] {
    let end = last.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    &last[..end]
}

/// A path argument resolved for the target: the parent directory inside its root and the last
/// component as written.
pub(crate) struct Split {
    pub(crate) parent: Lexical,
    pub(crate) last: Vec<u8>,
}

impl Split {
    pub(crate) fn full(&self) -> Lexical {
        self.parent.join(bare(&self.last))
    }
}

/// Splits a path argument and resolves its parent for the target.
pub(crate) fn split(call: &Call<'_>, dirfd: i32, bytes: &[u8]) -> Result<Option<Split>, Errno> {
    if bytes.is_empty() {
        return Err(Errno::NOENT);
    }
    let Some((parent, last)) = split_last(bytes) else {
        return Ok(None);
    };
    let parent = if parent.is_empty() {
        path::resolve(call, dirfd, b".")?
    } else {
        path::resolve(call, dirfd, parent)?
    };
    Ok(Some(Split {
        parent,
        last: last.to_vec(),
    }))
}

impl FsRequest {
    /// Decodes the syscall and reads its path(s).
    pub fn read(call: &mut Inspected<'_>) -> Result<FsRequest, RequestError> {
        let args = call.call().args();
        let name = call.call().name().ok_or(RequestError::NotEmulated)?;
        let mode = |raw: u64| Mode::from_bits_retain(raw as u32 & 0o7777);
        let at = |raw: u64| raw as i32;
        // (op, [(dirfd, path argument index)])
        let (op, places): (FsOp, Vec<(i32, usize)>) = match name {
            "mkdir" => (FsOp::Mkdir(mode(args[1])), vec![(path::AT_FDCWD, 0)]),
            "mkdirat" => (FsOp::Mkdir(mode(args[2])), vec![(at(args[0]), 1)]),
            "unlink" => (FsOp::Unlink, vec![(path::AT_FDCWD, 0)]),
            "rmdir" => (FsOp::Rmdir, vec![(path::AT_FDCWD, 0)]),
            "unlinkat" => {
                let flags = args[2] as u32 as u64;
                if flags & !AT_REMOVEDIR != 0 {
                    return Err(RequestError::Errno(Errno::INVAL));
                }
                let op = if flags & AT_REMOVEDIR != 0 {
                    FsOp::Rmdir
                } else {
                    FsOp::Unlink
                };
                (op, vec![(at(args[0]), 1)])
            }
            "rename" => (FsOp::Rename(0), vec![(path::AT_FDCWD, 0), (path::AT_FDCWD, 1)]),
            "renameat" => (FsOp::Rename(0), vec![(at(args[0]), 1), (at(args[2]), 3)]),
            "renameat2" => (
                FsOp::Rename(args[4] as u32),
                vec![(at(args[0]), 1), (at(args[2]), 3)],
            ),
            "chmod" => (FsOp::Chmod(mode(args[1])), vec![(path::AT_FDCWD, 0)]),
            "fchmodat" => (FsOp::Chmod(mode(args[2])), vec![(at(args[0]), 1)]),
            _ => return Err(RequestError::NotEmulated),
        };
        let mut paths = Vec::with_capacity(places.len());
        for (dirfd, arg) in places {
            let path = call.read_path(arg).map_err(read_error)?;
            paths.push(PathArg { dirfd, path });
        }
        Ok(FsRequest { op, paths })
    }

    /// The paths resolved for the target (absolute inside its root, lexically cleaned).
    pub fn resolve(&self, call: &Call<'_>) -> Result<Vec<Lexical>, Errno> {
        self.paths
            .iter()
            .map(|arg| match split(call, arg.dirfd, arg.path.to_bytes())? {
                Some(split) => Ok(split.full()),
                None => Ok(Lexical::root()),
            })
            .collect()
    }

    /// Does the syscall for the target within `scope`.
    pub fn perform(&self, call: &Call<'_>, scope: Scope<'_>) -> Outcome {
        let mut splits = Vec::with_capacity(self.paths.len());
        for arg in &self.paths {
            match split(call, arg.dirfd, arg.path.to_bytes()) {
                Ok(Some(split)) => splits.push(split),
                // The root itself: only the whole root may touch it, and the kernel refuses anyway.
                Ok(None) if scope == Scope::Root => return Outcome::Failed(self.on_root()),
                Ok(None) => return Outcome::Outside,
                Err(Errno::XDEV) => return Outcome::Outside,
                Err(errno) => return Outcome::Failed(errno),
            }
        }
        for split in &splits {
            if !in_scope(split, self.op, scope) {
                return Outcome::Outside;
            }
        }
        let creates = matches!(self.op, FsOp::Mkdir(_));
        let root = match call.root() {
            Ok(root) => root,
            Err(errno) => return Outcome::Failed(errno),
        };
        let done = as_target(call, creates, || {
            let mut dirs = Vec::with_capacity(splits.len());
            for split in &splits {
                match open_dir_in(&root, &split.parent, scope) {
                    Ok(fd) => dirs.push(fd),
                    Err(outcome) => return outcome,
                }
            }
            let result = match (self.op, dirs.as_slice(), splits.as_slice()) {
                (FsOp::Mkdir(mode), [dir], [s]) => rustix::fs::mkdirat(dir, s.last.as_slice(), mode),
                (FsOp::Unlink, [dir], [s]) => rustix::fs::unlinkat(dir, s.last.as_slice(), AtFlags::empty()),
                (FsOp::Rmdir, [dir], [s]) => rustix::fs::unlinkat(dir, s.last.as_slice(), AtFlags::REMOVEDIR),
                (FsOp::Rename(flags), [old_dir, new_dir], [old, new]) => rustix::fs::renameat_with(
                    old_dir,
                    old.last.as_slice(),
                    new_dir,
                    new.last.as_slice(),
                    RenameFlags::from_bits_retain(flags),
                ),
                (FsOp::Chmod(mode), [_], [s]) => return chmod(&root, s, scope, mode),
                _ => Err(Errno::INVAL),
            };
            match result {
                Ok(()) => Outcome::Done(CheckedAnswer::Emulated(Ok(0))),
                Err(errno) => Outcome::Failed(errno),
            }
        });
        done.unwrap_or_else(Outcome::Failed)
    }

    /// What the kernel answers when the path is `/` itself.
    fn on_root(&self) -> Errno {
        match self.op {
            FsOp::Mkdir(_) => Errno::EXIST,
            FsOp::Unlink => Errno::ISDIR,
            FsOp::Rmdir | FsOp::Rename(_) => Errno::BUSY,
            FsOp::Chmod(_) => Errno::PERM,
        }
    }
}

/// Whether the entry lies in the scope (lexically; the kernel enforces the rest while resolving).
pub(crate) fn in_scope(split: &Split, op: FsOp, scope: Scope<'_>) -> bool {
    let full = split.full();
    match scope {
        Scope::Root => true,
        Scope::Exactly(file) => !full.has_dot_dot() && full == *file && bare(&split.last) != b".",
        Scope::Under(tree) => {
            let last = bare(&split.last);
            if full.has_dot_dot() || last == b".." {
                return false;
            }
            match op {
                // The entry itself may be the tree (chmod "/srv/data").
                FsOp::Chmod(_) => full.strip_prefix(tree).is_some(),
                // Entries are made and removed only strictly inside the tree.
                _ => split.parent.strip_prefix(tree).is_some() && last != b".",
            }
        }
    }
}

/// `chmod` with the last component followed: the file is opened `O_PATH` within the scope (so a
/// symlink out of the tree changes nothing) and changed through the supervisor's own
/// `/proc/thread-self/fd/N`.
fn chmod(root: &rustix::fd::OwnedFd, split: &Split, scope: Scope<'_>, mode: Mode) -> Outcome {
    let file = match open_path_in(root, &split.parent.join(&split.last), scope, OFlags::PATH) {
        Ok(fd) => fd,
        Err(outcome) => return outcome,
    };
    match rustix::fs::chmod(fd_link(&file).as_str(), mode) {
        Ok(()) => Outcome::Done(CheckedAnswer::Emulated(Ok(0))),
        Err(errno) => Outcome::Failed(errno),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_component_keeps_its_trailing_slashes_and_dots() {
        assert_eq!(split_last(b"a/b"), Some((&b"a/"[..], &b"b"[..])));
        assert_eq!(split_last(b"/a/b//"), Some((&b"/a/"[..], &b"b//"[..])));
        assert_eq!(split_last(b"b"), Some((&b""[..], &b"b"[..])));
        assert_eq!(split_last(b"a/."), Some((&b"a/"[..], &b"."[..])));
        assert_eq!(split_last(b"/x"), Some((&b"/"[..], &b"x"[..])));
        assert_eq!(split_last(b"//"), None);
        assert_eq!(bare(b"b//"), b"b");
    }

    #[test]
    fn entries_are_changed_only_strictly_inside_a_tree() {
        let tree = Lexical::new(b"/srv/data");
        let s = |parent: &[u8], last: &[u8]| Split {
            parent: Lexical::new(parent),
            last: last.to_vec(),
        };
        let under = Scope::Under(&tree);
        assert!(in_scope(&s(b"/srv/data", b"x"), FsOp::Unlink, under));
        assert!(!in_scope(&s(b"/srv", b"data"), FsOp::Rmdir, under));
        assert!(in_scope(&s(b"/srv", b"data"), FsOp::Chmod(Mode::empty()), under));
        assert!(!in_scope(&s(b"/srv/data", b".."), FsOp::Unlink, under));
        assert!(!in_scope(&s(b"/srv", b"database"), FsOp::Unlink, under));
        assert!(!in_scope(&s(b"/srv/data/../etc", b"x"), FsOp::Unlink, under));
    }
}
