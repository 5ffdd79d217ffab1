//! `mount(source, target, fstype, flags, data)` of listed filesystems and binds, and `umount2` of what
//! was mounted that way.
//!
//! Without reading memory: `MS_REMOUNT` and `MS_MOVE` are refused (`EPERM`: a remount could drop the
//! flags this handler forces), and a pure propagation change (`MS_SHARED`, `MS_PRIVATE`, `MS_SLAVE`,
//! `MS_UNBINDABLE`) is left to the kernel. Everything else is read (source, target, type, data) and must
//! match a rule, else `EPERM`:
//! - the target, resolved for the target process, must lie under the rule's directory, and is opened
//!   beneath it (`RESOLVE_BENEATH`: a symlink or `..` out of it fails) with the target's credentials; a
//!   target on procfs or sysfs is refused;
//! - the source likewise under the rule's source directory, opened with the target's credentials (so it
//!   must be able to read it, and write it for a read-write mount);
//! - non-empty mount options (`data`) are refused: the handler passes none on.
//!
//! The mount is made in the host with the new mount API: for a filesystem `fsopen`, `fsconfig` (`source`
//! is the block device, through `/proc/self/fd/N`, or a loop device the handler attaches to an image
//! file, read-only unless the rule says `rw`), `fsmount` with `nosuid`, `nodev`, `noexec` unless the rule
//! allows them; for a bind `open_tree(OPEN_TREE_CLONE)` and `mount_setattr`. Then `move_mount` attaches
//! it at the opened target, in a thread that has joined the target's mount namespace.

use super::{Handled, Handlers, MountKind, MountRule, loopdev, read_errno};
use crate::answer::{Answer, CheckedAnswer, ErrnoName};
use crate::call::{Call, Inspected};
use crate::creds;
use crate::path::{self, Lexical};
use linux_raw_sys::general as nr;
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

const MS_RDONLY: u32 = nr::MS_RDONLY;
const MS_NOSUID: u32 = nr::MS_NOSUID;
const MS_NODEV: u32 = nr::MS_NODEV;
const MS_NOEXEC: u32 = nr::MS_NOEXEC;
const MS_REMOUNT: u32 = nr::MS_REMOUNT;
const MS_BIND: u32 = nr::MS_BIND;
const MS_MOVE: u32 = nr::MS_MOVE;
const MS_REC: u32 = nr::MS_REC;
const PROPAGATION: u32 = nr::MS_SHARED | nr::MS_PRIVATE | nr::MS_SLAVE | nr::MS_UNBINDABLE;
/// The magic number old callers put in the upper 16 bits of `flags`.
const MS_MGC_MSK: u32 = 0xffff_0000;
const MS_MGC_VAL: u32 = 0xc0ed_0000;
const PROC_SUPER_MAGIC: i64 = 0x9fa0;
const SYSFS_MAGIC: i64 = 0x6265_6572;

/// What the target asked for, once read.
struct Request {
    source: Option<Lexical>,
    source_text: Option<Vec<u8>>,
    target: Lexical,
    fstype: Option<String>,
    flags: u32,
}

/// Whether `rule` covers `request`.
fn covers(rule: &MountRule, request: &Request) -> bool {
    let kind_ok = match &rule.kind {
        MountKind::Bind => request.flags & MS_BIND != 0,
        MountKind::Fstype(fstype) => {
            request.flags & MS_BIND == 0 && request.fstype.as_deref() == Some(fstype.as_str())
        }
    };
    let target_ok = request.target.strip_prefix(&rule.target_under).is_some();
    let source_ok = match (&rule.source_under, &request.source) {
        (Some(dir), Some(source)) => source.strip_prefix(dir).is_some(),
        (Some(_), None) => false,
        (None, _) => matches!(rule.kind, MountKind::Fstype(_)),
    };
    kind_ok && target_ok && source_ok
}

pub(super) fn handle_mount(handlers: &Handlers, call: Call<'_>) -> Handled {
    let args = call.args();
    let mut flags = args[3] as u32;
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    if flags & (MS_REMOUNT | MS_MOVE) != 0 {
        return Handled::new(
            call.answer(Answer::Errno(Errno::PERM)),
            None,
            "remount and move are not handled (they could drop forced flags)",
        );
    }
    if flags & PROPAGATION != 0 && flags & !(PROPAGATION | MS_REC | nr::MS_SILENT) == 0 {
        return Handled::new(
            call.answer(Answer::Continue),
            None,
            "propagation change: the kernel decides",
        );
    }
    let mut call = call.inspect();
    let request = match read_request(&mut call, flags) {
        Ok(request) => request,
        Err((errno, why)) => return Handled::new(call.answer(CheckedAnswer::Errno(errno)), None, why),
    };
    let describe = format!(
        "{} {} on {}",
        request
            .fstype
            .as_deref()
            .unwrap_or(if flags & MS_BIND != 0 { "bind" } else { "?" }),
        String::from_utf8_lossy(request.source_text.as_deref().unwrap_or(b"none")),
        String::from_utf8_lossy(&request.target.to_bytes()),
    );
    let Some(rule) = handlers.mounts.iter().find(|rule| covers(rule, &request)) else {
        return Handled::new(
            call.answer(CheckedAnswer::Errno(Errno::PERM)),
            None,
            format!("no rule allows mount {describe}"),
        );
    };
    let result = mount_for(handlers, call.call(), rule, &request);
    let detail = match &result {
        Ok(note) => format!("mounted {describe}{note}"),
        Err(errno) => format!("mount {describe} failed: {}", ErrnoName(*errno)),
    };
    Handled::new(
        call.answer(CheckedAnswer::Emulated(result.map(|_| 0))),
        Some(&rule.origin),
        detail,
    )
}

/// Reads mount(2)'s arguments in the kernel's order and with its errnos (`ksys_mount`): the filesystem
/// type and the source are copied as strings of at most a page (`copy_mount_string`: a longer one is
/// `EINVAL`, not `ENAMETOOLONG`), then the options page, then the target is looked up as a path.
fn read_request(call: &mut Inspected<'_>, flags: u32) -> Result<Request, (Errno, String)> {
    use seccomp_sys::mem::{CheckedReadError, MemError};
    const PAGE: usize = 4096;
    let args = call.call().args();
    let string = |call: &mut Inspected<'_>, arg: usize, what: &str| {
        if args[arg] == 0 {
            return Ok(None);
        }
        call.read_cstr_at(args[arg], PAGE).map(Some).map_err(|e| {
            let errno = match e {
                CheckedReadError::Memory(MemError::TooLong { .. }) => Errno::INVAL,
                other => read_errno(other),
            };
            (errno, format!("cannot read the {what}: {e}"))
        })
    };
    let fstype_text = string(call, 2, "filesystem type")?;
    let source_text = string(call, 0, "source")?.map(|text| text.to_bytes().to_vec());
    if args[4] != 0 && flags & MS_BIND == 0 {
        // The kernel copies a page of options, NUL or not; options without a NUL in it are not empty.
        let data = call.read_cstr_at(args[4], PAGE).map_err(|e| match e {
            CheckedReadError::Memory(MemError::TooLong { .. }) => (
                Errno::PERM,
                "mount options of a page or more are not passed on".to_owned(),
            ),
            other => (
                read_errno(other),
                format!("cannot read the mount options: {other}"),
            ),
        })?;
        if !data.to_bytes().is_empty() {
            return Err((
                Errno::PERM,
                format!(
                    "mount options \"{}\" are not passed on",
                    String::from_utf8_lossy(data.to_bytes())
                ),
            ));
        }
    }
    let target = call
        .read_path(1)
        .map_err(|e| (read_errno(e), format!("cannot read the target: {e}")))?;
    let fstype = if flags & MS_BIND == 0 {
        let Some(text) = fstype_text else {
            return Err((Errno::INVAL, "no filesystem type".into()));
        };
        Some(String::from_utf8_lossy(text.to_bytes()).into_owned())
    } else {
        None
    };
    let resolve = |text: &[u8]| path::resolve(call.call(), path::AT_FDCWD, text);
    let target = resolve(target.to_bytes()).map_err(|e| (e, "cannot resolve the target".into()))?;
    let source = match &source_text {
        Some(text) if text.starts_with(b"/") || text.starts_with(b".") => {
            Some(resolve(text).map_err(|e| (e, "cannot resolve the source".into()))?)
        }
        _ => None,
    };
    Ok(Request {
        source,
        source_text,
        target,
        fstype,
        flags,
    })
}

/// Opens `path` (in the target's view) beneath `dir` as the target, with `flags`.
fn open_beneath(call: &Call<'_>, dir: &Lexical, path: &Lexical, flags: OFlags) -> Result<OwnedFd, Errno> {
    let rest = path.strip_prefix(dir).ok_or(Errno::PERM)?;
    let root = call.root()?;
    let status = call.status()?;
    let assumed = creds::assume(&status.credentials).map_err(|_| Errno::PERM)?;
    let opened = path::open_in_root(
        &root,
        &dir.to_bytes(),
        OFlags::PATH | OFlags::DIRECTORY,
        Mode::empty(),
    )
    .and_then(|base| path::open_with(&base, &rest, flags, Mode::empty(), ResolveFlags::BENEATH));
    assumed.restore();
    // Leaving the directory is outside the rule: refused, as the kernel refuses the container.
    opened.map_err(|e| if e == Errno::XDEV { Errno::PERM } else { e })
}

fn on_pseudo_fs(fd: &OwnedFd) -> bool {
    rustix::fs::fstatfs(fd).is_ok_and(|st| {
        let kind = st.f_type;
        kind == PROC_SUPER_MAGIC || kind == SYSFS_MAGIC
    })
}

/// The `MOUNT_ATTR_*` flags forced on (and asked for) by `rule` and the request.
fn attributes(rule: &MountRule, flags: u32, force_ro: bool) -> u64 {
    let mut attr = 0u64;
    if !rule.allow.suid || flags & MS_NOSUID != 0 {
        attr |= u64::from(nr::MOUNT_ATTR_NOSUID);
    }
    if !rule.allow.dev || flags & MS_NODEV != 0 {
        attr |= u64::from(nr::MOUNT_ATTR_NODEV);
    }
    if !rule.allow.exec || flags & MS_NOEXEC != 0 {
        attr |= u64::from(nr::MOUNT_ATTR_NOEXEC);
    }
    if force_ro || flags & MS_RDONLY != 0 {
        attr |= u64::from(nr::MOUNT_ATTR_RDONLY);
    }
    attr
}

/// Makes the mount in the host and moves it to the target; returns a note for the log.
fn mount_for(
    handlers: &Handlers,
    call: &Call<'_>,
    rule: &MountRule,
    request: &Request,
) -> Result<String, Errno> {
    let target_fd = open_beneath(
        call,
        &rule.target_under,
        &request.target,
        OFlags::PATH | OFlags::DIRECTORY,
    )?;
    if on_pseudo_fs(&target_fd) {
        return Err(Errno::PERM);
    }
    let mnt_ns = super::mount_namespace(call)?;
    let ns_inode = rustix::fs::fstat(&mnt_ns).map(|st| st.st_ino).unwrap_or(0);
    let mut note = String::new();
    let moved = match &rule.kind {
        MountKind::Bind => {
            let (Some(dir), Some(source)) = (&rule.source_under, &request.source) else {
                return Err(Errno::PERM);
            };
            let source_fd = open_beneath(call, dir, source, OFlags::PATH)?;
            if on_pseudo_fs(&source_fd) {
                return Err(Errno::PERM);
            }
            let attr = attributes(rule, request.flags, false);
            let recursive = request.flags & MS_REC != 0;
            super::in_mount_namespace(mnt_ns, move || {
                use rustix::mount::{MoveMountFlags, OpenTreeFlags};
                let mut tree_flags = OpenTreeFlags::OPEN_TREE_CLONE
                    | OpenTreeFlags::OPEN_TREE_CLOEXEC
                    | OpenTreeFlags::AT_EMPTY_PATH;
                if recursive {
                    tree_flags |= OpenTreeFlags::AT_RECURSIVE;
                }
                let tree = rustix::mount::open_tree(&source_fd, c"", tree_flags)?;
                seccomp_sys::raw::mount_setattr(tree.as_fd(), attr, 0, recursive)?;
                rustix::mount::move_mount(
                    &tree,
                    c"",
                    &target_fd,
                    c"",
                    MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
                )
            })
        }
        MountKind::Fstype(fstype) => {
            use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};
            let read_only = !rule.allow.rw || request.flags & MS_RDONLY != 0;
            let fs = rustix::mount::fsopen(fstype.as_str(), FsOpenFlags::FSOPEN_CLOEXEC)?;
            // Kept open until the filesystem is mounted.
            let mut _device: Option<OwnedFd> = None;
            match (&rule.source_under, &request.source) {
                (Some(dir), Some(source)) => {
                    let mode = if read_only { OFlags::RDONLY } else { OFlags::RDWR };
                    let file = open_beneath(call, dir, source, mode)?;
                    let stat = rustix::fs::fstat(&file)?;
                    let device = match FileType::from_raw_mode(stat.st_mode) {
                        FileType::BlockDevice => format!("/proc/self/fd/{}", file.as_raw_fd()),
                        FileType::RegularFile => {
                            let attached = loopdev::attach(&file, !read_only)?;
                            note = format!(" (image on /dev/loop{})", attached.number);
                            let path = format!("/dev/loop{}", attached.number);
                            _device = Some(attached.device);
                            path
                        }
                        _ => return Err(Errno::NOTBLK),
                    };
                    rustix::mount::fsconfig_set_string(&fs, "source", device.as_str())?;
                    _device.get_or_insert(file);
                }
                (Some(_), None) => return Err(Errno::PERM),
                // A filesystem without a device (tmpfs): its source is only a name; none is passed on.
                (None, _) => rustix::mount::fsconfig_set_string(&fs, "source", "none")?,
            }
            if read_only {
                rustix::mount::fsconfig_set_flag(&fs, "ro")?;
            }
            rustix::mount::fsconfig_create(&fs)?;
            let attr = MountAttrFlags::from_bits_retain(attributes(rule, request.flags, read_only) as u32);
            let mounted = rustix::mount::fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attr)?;
            drop(_device);
            super::in_mount_namespace(mnt_ns, move || {
                use rustix::mount::MoveMountFlags;
                rustix::mount::move_mount(
                    &mounted,
                    c"",
                    &target_fd,
                    c"",
                    MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
                )
            })
        }
    };
    moved?;
    handlers.with_state(|state| state.mounts.push((ns_inode, request.target.to_bytes())));
    Ok(note)
}

pub(super) fn handle_umount(handlers: &Handlers, call: Call<'_>) -> Handled {
    let flags = if call.name() == Some("umount") {
        0
    } else {
        call.args()[1] as u32
    };
    let mut call = call.inspect();
    let target = match call.read_path(0) {
        Ok(target) => target,
        Err(e) => {
            return Handled::new(
                call.answer(CheckedAnswer::Errno(read_errno(e))),
                None,
                "cannot read the target",
            );
        }
    };
    let result = (|| {
        let inner = call.call();
        let resolved = path::resolve(inner, path::AT_FDCWD, target.to_bytes())?;
        let mnt_ns = super::mount_namespace(inner)?;
        let ns_inode = rustix::fs::fstat(&mnt_ns)?.st_ino;
        let key = (ns_inode, resolved.to_bytes());
        if !handlers.with_state(|state| state.mounts.contains(&key)) {
            return Err(Errno::PERM);
        }
        // An fd on the mount itself would keep it busy: unmount it by name from its parent directory,
        // the thread's working directory in the target's mount namespace.
        let (parent, name) = split_parent(&key.1).ok_or(Errno::INVAL)?;
        let root = inner.root()?;
        let parent_fd = path::open_in_root(&root, &parent, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
        let umount_flags = (rustix::mount::UnmountFlags::from_bits_retain(flags)
            & (rustix::mount::UnmountFlags::DETACH | rustix::mount::UnmountFlags::FORCE))
            | rustix::mount::UnmountFlags::NOFOLLOW;
        super::in_mount_namespace(mnt_ns, move || {
            rustix::process::fchdir(&parent_fd)?;
            rustix::mount::unmount(name.as_c_str(), umount_flags)
        })?;
        handlers.with_state(|state| state.mounts.retain(|m| *m != key));
        Ok(resolved)
    })();
    let detail = match &result {
        Ok(path) => format!("unmounted {}", String::from_utf8_lossy(&path.to_bytes())),
        Err(errno) => format!(
            "umount of {} refused or failed: {}",
            String::from_utf8_lossy(target.to_bytes()),
            ErrnoName(*errno)
        ),
    };
    let rule = handlers.mounts.first().map(|rule| rule.origin.as_str());
    Handled::new(
        call.answer(CheckedAnswer::Emulated(result.map(|_| 0))),
        rule,
        detail,
    )
}

/// `/a/b/c` as (`/a/b`, `c`).
fn split_parent(path: &[u8]) -> Option<(Vec<u8>, std::ffi::CString)> {
    let at = path.iter().rposition(|&b| b == b'/')?;
    let name = path.get(at + 1..).filter(|n| !n.is_empty())?;
    let parent = if at == 0 {
        b"/".to_vec()
    } else {
        path[..at].to_vec()
    };
    Some((parent, std::ffi::CString::new(name).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::MountAllow;

    fn rule(kind: MountKind, source: Option<&str>, target: &str) -> MountRule {
        MountRule {
            origin: "h:1".into(),
            kind,
            source_under: source.map(|s| Lexical::new(s.as_bytes())),
            target_under: Lexical::new(target.as_bytes()),
            allow: MountAllow::default(),
        }
    }

    fn request(fstype: Option<&str>, source: &str, target: &str, flags: u32) -> Request {
        Request {
            source: Some(Lexical::new(source.as_bytes())),
            source_text: Some(source.as_bytes().to_vec()),
            target: Lexical::new(target.as_bytes()),
            fstype: fstype.map(str::to_owned),
            flags,
        }
    }

    #[test]
    fn rules_cover_only_their_type_source_and_target() {
        let ext4 = rule(MountKind::Fstype("ext4".into()), Some("/srv/images"), "/mnt");
        assert!(covers(
            &ext4,
            &request(Some("ext4"), "/srv/images/a.img", "/mnt/a", 0)
        ));
        assert!(covers(
            &ext4,
            &request(Some("ext4"), "/srv/images/a.img", "/mnt", 0)
        ));
        assert!(!covers(
            &ext4,
            &request(Some("xfs"), "/srv/images/a.img", "/mnt/a", 0)
        ));
        assert!(!covers(
            &ext4,
            &request(Some("ext4"), "/srv/imagesX/a.img", "/mnt/a", 0)
        ));
        assert!(!covers(
            &ext4,
            &request(Some("ext4"), "/srv/images/a.img", "/proc", 0)
        ));
        assert!(!covers(
            &ext4,
            &request(None, "/srv/images/a.img", "/mnt/a", MS_BIND)
        ));
        let bind = rule(MountKind::Bind, Some("/srv/shared"), "/data");
        assert!(covers(&bind, &request(None, "/srv/shared/x", "/data/x", MS_BIND)));
        assert!(!covers(
            &bind,
            &request(Some("ext4"), "/srv/shared/x", "/data/x", 0)
        ));
    }

    #[test]
    fn nosuid_nodev_noexec_are_forced_unless_allowed_and_images_are_read_only() {
        let mut ext4 = rule(MountKind::Fstype("ext4".into()), Some("/srv"), "/mnt");
        let all = u64::from(nr::MOUNT_ATTR_NOSUID | nr::MOUNT_ATTR_NODEV | nr::MOUNT_ATTR_NOEXEC);
        assert_eq!(attributes(&ext4, 0, true), all | u64::from(nr::MOUNT_ATTR_RDONLY));
        ext4.allow.exec = true;
        assert_eq!(
            attributes(&ext4, 0, false),
            u64::from(nr::MOUNT_ATTR_NOSUID | nr::MOUNT_ATTR_NODEV)
        );
        assert_eq!(attributes(&ext4, MS_NOEXEC, false), all);
    }
}
