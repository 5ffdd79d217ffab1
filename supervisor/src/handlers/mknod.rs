//! `mknod(path, mode, dev)` and `mknodat(dirfd, path, mode, dev)` of listed devices, for a target in a
//! user namespace.
//!
//! How (the way Incus and LXD's `forkmknod` do it, with the new mount API):
//! 1. Without reading memory: a file type other than a char or block device (a FIFO, a socket, a regular
//!    file) is left to the kernel (continue: it allows those in a user namespace); a device the rules do
//!    not list is refused with `EPERM`, as the kernel would.
//! 2. The path is read and resolved for the target (cwd, dirfd, root). With the target's credentials and
//!    umask, an empty placeholder file is created at that path (`O_CREAT | O_EXCL | O_NOFOLLOW`, beneath
//!    the parent directory opened in the target's root): this gives the kernel's own `EEXIST`, `ENOENT`,
//!    `ENOTDIR` and `EACCES` answers.
//! 3. The node itself is made on a private tmpfs of the supervisor (created with `fsopen`/`fsmount`, never
//!    attached anywhere in the host, owned by the host's user namespace, not `nodev`), with the target's
//!    umask applied and owned by the target's fsuid and fsgid as the host sees them.
//! 4. A bind of that node (`open_tree(OPEN_TREE_CLONE)`) is moved onto the placeholder (through its fd,
//!    so a swap of the path meanwhile cannot redirect it) in the target's
//!    mount namespace (`move_mount`, in a thread that `setns`es there). A node on a filesystem mounted
//!    inside the user namespace (runc's `/dev` tmpfs) could not be opened; the bound node can.

use super::{Device, DeviceKind, Handled, Handlers, read_errno};
use crate::answer::{Answer, CheckedAnswer, ErrnoName};
use crate::call::{Call, Inspected};
use crate::creds;
use crate::path::{self, Lexical};
use rustix::fd::OwnedFd;
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::CString;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

const S_IFMT: u32 = 0o170_000;
const S_IFCHR: u32 = 0o020_000;
const S_IFBLK: u32 = 0o060_000;

/// The kernel's `new_decode_dev` of the 32-bit `dev` argument: (major, minor).
pub fn decode_dev(dev: u32) -> (u32, u32) {
    ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// Whether `devices` lists a device of `kind` with these numbers.
pub fn allowed(devices: &[Device], kind: DeviceKind, major: u32, minor: u32) -> bool {
    devices
        .iter()
        .any(|d| d.major == major && d.minor == minor && d.kind.is_none_or(|k| k == kind))
}

/// The supervisor's private tmpfs for device nodes (its root, an fsmount fd), made on first use.
fn device_fs() -> Result<&'static OwnedFd, Errno> {
    static FS: OnceLock<Result<OwnedFd, Errno>> = OnceLock::new();
    FS.get_or_init(|| {
        use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};
        let fs = rustix::mount::fsopen("tmpfs", FsOpenFlags::FSOPEN_CLOEXEC)?;
        rustix::mount::fsconfig_set_string(&fs, "mode", "0700")?;
        rustix::mount::fsconfig_set_string(&fs, "size", "1m")?;
        rustix::mount::fsconfig_create(&fs)?;
        rustix::mount::fsmount(
            &fs,
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::MOUNT_ATTR_NOSUID,
        )
    })
    .as_ref()
    .map_err(|errno| *errno)
}

/// Splits a resolved path into its parent and last component; `None` for `/` or a trailing `..`.
fn split_last(path: &Lexical) -> Option<(Lexical, Vec<u8>)> {
    let (last, parents) = path.components().split_last()?;
    if last == b".." {
        return None;
    }
    let mut parent = Vec::new();
    for component in parents {
        parent.push(b'/');
        parent.extend_from_slice(component);
    }
    Some((Lexical::new(&parent), last.clone()))
}

pub(super) fn handle(handlers: &Handlers, call: Call<'_>, at: bool) -> Handled {
    let args = call.args();
    let (mode, dev) = if at {
        (args[2] as u32, args[3] as u32)
    } else {
        (args[1] as u32, args[2] as u32)
    };
    let kind = match mode & S_IFMT {
        S_IFCHR => DeviceKind::Char,
        S_IFBLK => DeviceKind::Block,
        _ => {
            // FIFOs, sockets and regular files: the kernel allows them in a user namespace itself. The
            // decision read no memory, so the call may continue.
            return Handled::new(
                call.answer(Answer::Continue),
                None,
                "not a device node: the kernel decides",
            );
        }
    };
    let (major, minor) = decode_dev(dev);
    let letter = if kind == DeviceKind::Char { 'c' } else { 'b' };
    let Some(rule) = handlers
        .mknod
        .iter()
        .find(|rule| allowed(&rule.devices, kind, major, minor))
    else {
        return Handled::new(
            call.answer(Answer::Errno(Errno::PERM)),
            None,
            format!("device {letter} {major}:{minor} is not listed"),
        );
    };
    let mut call = call.inspect();
    let result = make_node(&mut call, at, mode, kind, major, minor);
    let detail = match &result {
        Ok(path) => format!(
            "made {letter} {major}:{minor} at {} (bound from the supervisor's device tmpfs)",
            String::from_utf8_lossy(path)
        ),
        Err(errno) => format!("mknod of {letter} {major}:{minor} failed: {}", ErrnoName(*errno)),
    };
    let answer = CheckedAnswer::Emulated(result.map(|_| 0));
    Handled::new(call.answer(answer), Some(&rule.origin), detail)
}

/// Steps 2 to 4 of the module documentation; returns the path made (in the target's root).
fn make_node(
    call: &mut Inspected<'_>,
    at: bool,
    mode: u32,
    kind: DeviceKind,
    major: u32,
    minor: u32,
) -> Result<Vec<u8>, Errno> {
    let args = call.call().args();
    let path_arg = usize::from(at);
    let dirfd = if at { args[0] as i32 } else { path::AT_FDCWD };
    let raw_path = call.read_path(path_arg).map_err(read_errno)?;
    let call = call.call();
    let resolved = path::resolve(call, dirfd, raw_path.to_bytes())?;
    if resolved.trailing_slash() {
        return Err(Errno::NOENT);
    }
    let (parent, name) = split_last(&resolved).ok_or(Errno::EXIST)?;
    let name = CString::new(name).map_err(|_| Errno::INVAL)?;
    let status = call.status()?.clone();
    let umask = status.umask.unwrap_or(0o022);
    let perm = mode & 0o7777 & !umask;
    let root = call.root()?;

    // The placeholder, as the target.
    let assumed = creds::assume(&status.credentials).map_err(|_| Errno::PERM)?;
    let parent_fd = path::open_in_root(
        &root,
        &parent.to_bytes(),
        OFlags::PATH | OFlags::DIRECTORY,
        Mode::empty(),
    );
    let placeholder = parent_fd.as_ref().map_err(|e| *e).and_then(|dir| {
        rustix::fs::openat(
            dir,
            name.as_c_str(),
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_bits_retain(perm),
        )
    });
    assumed.restore();
    let parent_fd = parent_fd?;
    let placeholder = placeholder?;
    let undo = |parent_fd: &OwnedFd| {
        let _ = rustix::fs::unlinkat(parent_fd, name.as_c_str(), rustix::fs::AtFlags::empty());
    };

    // The node, on the supervisor's tmpfs, owned by the target.
    let bound = (|| {
        let fs = device_fs()?;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let node = format!("node-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let file_type = if kind == DeviceKind::Char {
            FileType::CharacterDevice
        } else {
            FileType::BlockDevice
        };
        let dev = rustix::fs::makedev(major, minor);
        rustix::fs::mknodat(fs, node.as_str(), file_type, Mode::from_bits_retain(perm), dev)?;
        let owner = (
            rustix::process::Uid::from_raw(status.credentials.fsuid()),
            rustix::process::Gid::from_raw(status.credentials.fsgid()),
        );
        // chmod, unlike mknod, ignores the worker thread's own umask: the mode is exactly the target's.
        let made = rustix::fs::chmodat(
            fs,
            node.as_str(),
            Mode::from_bits_retain(perm),
            rustix::fs::AtFlags::empty(),
        )
        .and_then(|()| {
            rustix::fs::chownat(
                fs,
                node.as_str(),
                Some(owner.0),
                Some(owner.1),
                rustix::fs::AtFlags::empty(),
            )
        })
        .and_then(|()| {
            use rustix::mount::OpenTreeFlags;
            rustix::mount::open_tree(
                fs,
                node.as_str(),
                OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
            )
        });
        if made.is_err() {
            let _ = rustix::fs::unlinkat(fs, node.as_str(), rustix::fs::AtFlags::empty());
        }
        made.map(|tree| (tree, node))
    })();
    let (tree, node) = match bound {
        Ok(bound) => bound,
        Err(errno) => {
            undo(&parent_fd);
            return Err(errno);
        }
    };
    call.check()?;
    let mnt_ns = super::mount_namespace(call)?;
    // The bind goes onto the very file created above (its fd, not its name), so a target that swaps the
    // placeholder for a symlink meanwhile cannot redirect it.
    let moved = super::in_mount_namespace(mnt_ns, move || {
        use rustix::mount::MoveMountFlags;
        rustix::mount::move_mount(
            &tree,
            c"",
            &placeholder,
            c"",
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
        )
    });
    // The bind keeps the node alive; its name on the tmpfs is not needed any more (a bind whose root
    // is already unlinked cannot be moved, so this comes after the move).
    if let Ok(fs) = device_fs() {
        let _ = rustix::fs::unlinkat(fs, node.as_str(), rustix::fs::AtFlags::empty());
    }
    if let Err(errno) = moved {
        undo(&parent_fd);
        // The target's view of its own mount namespace refused the bind: as the kernel, refuse.
        return Err(if errno == Errno::INVAL { Errno::PERM } else { errno });
    }
    Ok(resolved.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_decode_as_the_kernel_decodes_them() {
        assert_eq!(decode_dev(0x0103), (1, 3));
        assert_eq!(decode_dev(0x0500), (5, 0));
        // new_encode_dev(major 259, minor 0x12345)
        let dev = (0x12345 & 0xff) | (259 << 8) | ((0x12345 & !0xff) << 12);
        assert_eq!(decode_dev(dev), (259, 0x12345));
    }

    #[test]
    fn only_listed_devices_of_the_listed_kind_are_allowed() {
        let devices = [
            Device {
                kind: None,
                major: 1,
                minor: 3,
            },
            Device {
                kind: Some(DeviceKind::Block),
                major: 7,
                minor: 0,
            },
        ];
        assert!(allowed(&devices, DeviceKind::Char, 1, 3));
        assert!(allowed(&devices, DeviceKind::Block, 1, 3));
        assert!(allowed(&devices, DeviceKind::Block, 7, 0));
        assert!(!allowed(&devices, DeviceKind::Char, 7, 0));
        assert!(!allowed(&devices, DeviceKind::Char, 1, 4));
    }

    #[test]
    fn the_last_component_is_split_off() {
        let (parent, name) = split_last(&Lexical::new(b"/dev/mynull")).expect("split");
        assert_eq!((parent.to_bytes(), name), (b"/dev".to_vec(), b"mynull".to_vec()));
        assert!(split_last(&Lexical::new(b"/")).is_none());
        assert!(split_last(&Lexical::new(b"/a/..")).is_none());
    }
}
