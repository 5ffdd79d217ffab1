//! The target process of a notification: what `/proc/PID/status` and `/proc/PID/ns` say about it, and
//! fds for its root and working directory.
//!
//! Everything here is read through `/proc/PID`, and a pid can be reused once its process dies, so each
//! reader is used by [`crate::Inspected`] and [`crate::Call`] only followed by `ID_VALID` (see
//! [`crate::call`]): while the notification is outstanding the target cannot have died.

use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::thread::CapabilitySet;

/// The target's credentials, from `/proc/PID/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Real, effective, saved and filesystem uid.
    pub uids: [u32; 4],
    /// Real, effective, saved and filesystem gid.
    pub gids: [u32; 4],
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Effective capabilities (`CapEff`).
    pub effective: CapabilitySet,
    /// Permitted capabilities (`CapPrm`).
    pub permitted: CapabilitySet,
    /// Inheritable capabilities (`CapInh`).
    pub inheritable: CapabilitySet,
    /// Bounding set (`CapBnd`).
    pub bounding: CapabilitySet,
    /// Ambient capabilities (`CapAmb`).
    pub ambient: CapabilitySet,
}

impl Credentials {
    /// The filesystem uid: the one the kernel checks file access with.
    pub fn fsuid(&self) -> u32 {
        self.uids[3]
    }

    /// The filesystem gid.
    pub fn fsgid(&self) -> u32 {
        self.gids[3]
    }
}

/// What `/proc/PID/status` says about a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The thread group (process) id.
    pub tgid: i32,
    /// The file mode creation mask (`Umask`, Linux 4.7+; `None` before).
    pub umask: Option<u32>,
    /// The credentials.
    pub credentials: Credentials,
}

/// Why `/proc/PID/status` could not be understood.
fn malformed() -> Errno {
    Errno::IO
}

fn numbers(value: &str) -> Result<Vec<u32>, Errno> {
    value
        .split_whitespace()
        .map(|n| n.parse().map_err(|_| malformed()))
        .collect()
}

fn four(value: &str) -> Result<[u32; 4], Errno> {
    let n = numbers(value)?;
    n.try_into().map_err(|_| malformed())
}

fn caps(value: &str) -> Result<CapabilitySet, Errno> {
    let bits = u64::from_str_radix(value.trim(), 16).map_err(|_| malformed())?;
    Ok(CapabilitySet::from_bits_retain(bits))
}

impl Status {
    /// Parses the text of `/proc/PID/status`.
    pub fn parse(text: &str) -> Result<Status, Errno> {
        let mut tgid = None;
        let mut umask = None;
        let (mut uids, mut gids, mut groups) = (None, None, Vec::new());
        let mut set = [CapabilitySet::empty(); 5];
        let mut seen = [false; 5];
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            let cap_index = ["CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"]
                .iter()
                .position(|name| *name == key);
            match key {
                "Tgid" => tgid = Some(value.parse::<i32>().map_err(|_| malformed())?),
                "Umask" => umask = Some(u32::from_str_radix(value, 8).map_err(|_| malformed())?),
                "Uid" => uids = Some(four(value)?),
                "Gid" => gids = Some(four(value)?),
                "Groups" => groups = numbers(value)?,
                _ => {
                    if let Some(i) = cap_index {
                        set[i] = caps(value)?;
                        seen[i] = true;
                    }
                }
            }
        }
        let [effective, permitted, inheritable, bounding, ambient] = set;
        Ok(Status {
            tgid: tgid.ok_or_else(malformed)?,
            umask,
            credentials: Credentials {
                uids: uids.ok_or_else(malformed)?,
                gids: gids.ok_or_else(malformed)?,
                groups,
                effective,
                permitted,
                inheritable,
                bounding,
                ambient,
            },
        })
    }
}

/// The namespaces a process is in, as the inode numbers of `/proc/PID/ns/*` (equal numbers: the same
/// namespace). `None` where the kernel has no such namespace or it cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Namespaces {
    /// `mnt`.
    pub mnt: Option<u64>,
    /// `user`.
    pub user: Option<u64>,
    /// `pid`.
    pub pid: Option<u64>,
    /// `net`.
    pub net: Option<u64>,
    /// `ipc`.
    pub ipc: Option<u64>,
    /// `uts`.
    pub uts: Option<u64>,
    /// `cgroup`.
    pub cgroup: Option<u64>,
}

fn ns_inode(pid: i32, name: &str) -> Option<u64> {
    let link = rustix::fs::readlink(format!("/proc/{pid}/ns/{name}"), Vec::new()).ok()?;
    // `mnt:[4026531841]`
    let text = link.to_str().ok()?;
    let inner = text.split_once('[')?.1.strip_suffix(']')?;
    inner.parse().ok()
}

/// Reads `/proc/PID/status` in reads of 4 KiB (the file is about 1.5 KiB: one read and the end), since
/// it is read for every emulated syscall.
pub fn read_status(pid: i32) -> Result<Status, Errno> {
    let fd = rustix::fs::open(
        format!("/proc/{pid}/status"),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut text = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        match rustix::io::read(&fd, &mut chunk) {
            Ok(0) => break,
            Ok(n) => text.extend_from_slice(chunk.get(..n).unwrap_or(&[])),
            Err(Errno::INTR) => continue,
            Err(errno) => return Err(errno),
        }
        if text.len() > 64 * 1024 {
            return Err(Errno::IO);
        }
    }
    Status::parse(std::str::from_utf8(&text).map_err(|_| Errno::IO)?)
}

/// Reads the namespace inodes of `pid`.
pub fn read_namespaces(pid: i32) -> Namespaces {
    Namespaces {
        mnt: ns_inode(pid, "mnt"),
        user: ns_inode(pid, "user"),
        pid: ns_inode(pid, "pid"),
        net: ns_inode(pid, "net"),
        ipc: ns_inode(pid, "ipc"),
        uts: ns_inode(pid, "uts"),
        cgroup: ns_inode(pid, "cgroup"),
    }
}

/// Opens `/proc/PID/<link>` (`root` or `cwd`) as an `O_PATH` directory fd: the kernel follows the magic
/// link to the target's own directory, in its own mount namespace.
pub fn open_dir_link(pid: i32, link: &str) -> Result<OwnedFd, Errno> {
    rustix::fs::open(
        format!("/proc/{pid}/{link}"),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Reads the text of `/proc/PID/<link>` (`root`, `cwd`, `fd/N`): the path as the supervisor's root sees it.
pub fn read_link(pid: i32, link: &str) -> Result<Vec<u8>, Errno> {
    rustix::fs::readlink(format!("/proc/{pid}/{link}"), Vec::new()).map(|path| path.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_gives_ids_groups_umask_and_capabilities() {
        let text = "Name:\tsh\nUmask:\t0022\nTgid:\t77\nUid:\t1000\t1001\t1002\t1003\n\
                    Gid:\t100\t101\t102\t103\nGroups:\t4 24 27 \nCapInh:\t0000000000000000\n\
                    CapPrm:\t0000000000000002\nCapEff:\t0000000000000002\nCapBnd:\t000001ffffffffff\n\
                    CapAmb:\t0000000000000000\n";
        let status = Status::parse(text).expect("parses");
        assert_eq!(status.tgid, 77);
        assert_eq!(status.umask, Some(0o022));
        assert_eq!(status.credentials.fsuid(), 1003);
        assert_eq!(status.credentials.fsgid(), 103);
        assert_eq!(status.credentials.groups, vec![4, 24, 27]);
        assert_eq!(status.credentials.effective, CapabilitySet::DAC_OVERRIDE);
    }

    #[test]
    fn a_status_without_ids_is_an_error_not_a_panic() {
        assert_eq!(Status::parse("Tgid:\t1\nUid:\t1 2\n"), Err(Errno::IO));
        assert_eq!(Status::parse(""), Err(Errno::IO));
    }

    #[test]
    fn own_status_reads() {
        let pid = rustix::process::getpid().as_raw_nonzero().get();
        let status = read_status(pid).expect("own status");
        assert_eq!(status.tgid, pid);
        assert!(read_namespaces(pid).mnt.is_some());
    }
}
