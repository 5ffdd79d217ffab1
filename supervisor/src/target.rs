//! The target process of a notification: what `/proc/PID/status` and `/proc/PID/ns` say about it, and
//! fds for its root and working directory.
//!
//! Everything here is read through `/proc/PID`, and a pid can be reused once its process dies, so each
//! reader is used by [`crate::Inspected`] and [`crate::Call`] only followed by `ID_VALID` (see
//! [`crate::call`]): while the notification is outstanding the target cannot have died.
//!
//! Each thread keeps the `/proc/TID` directory fd and the open `status` file of the last 16 targets it
//! read (fds, never what was read through them: `status` is formatted afresh at each `pread`, `root` and
//! `cwd` are looked up at each open). Such fds belong to the kernel's `struct pid`, not to the number:
//! after the thread exited they fail (`ENOENT`, `ESRCH`) even once the number was reused, and the
//! reader then opens `/proc/TID` again. docs/supervisor.md has the whole argument.

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

/// The numbers of a field (`Uid:\t0\t0\t0\t0`, `Groups:\t4 24 27 `), in decimal.
fn numbers(value: &[u8]) -> impl Iterator<Item = Result<u32, Errno>> + '_ {
    value
        .split(|b| b.is_ascii_whitespace())
        .filter(|word| !word.is_empty())
        .map(|word| number(word, 10))
}

/// One number of at most 32 bits (`radix` 8 or 10) without sign or spaces.
fn number(word: &[u8], radix: u32) -> Result<u32, Errno> {
    if word.is_empty() {
        return Err(malformed());
    }
    word.iter().try_fold(0u32, |value, &digit| {
        let digit = char::from(digit).to_digit(radix).ok_or_else(malformed)?;
        value
            .checked_mul(radix)
            .and_then(|value| value.checked_add(digit))
            .ok_or_else(malformed)
    })
}

fn four(value: &[u8]) -> Result<[u32; 4], Errno> {
    let mut out = [0u32; 4];
    let mut count = 0;
    for n in numbers(value) {
        *out.get_mut(count).ok_or_else(malformed)? = n?;
        count += 1;
    }
    if count == 4 { Ok(out) } else { Err(malformed()) }
}

fn caps(value: &[u8]) -> Result<CapabilitySet, Errno> {
    if value.is_empty() || value.len() > 16 {
        return Err(malformed());
    }
    let bits = value.iter().try_fold(0u64, |bits, &digit| {
        let digit = char::from(digit).to_digit(16).ok_or_else(malformed)?;
        Ok::<u64, Errno>(bits << 4 | u64::from(digit))
    })?;
    Ok(CapabilitySet::from_bits_retain(bits))
}

/// How many keys [`Status::parse`] reads.
const KEYS: usize = 10;

impl Status {
    /// Parses the text of `/proc/PID/status`.
    pub fn parse(text: &str) -> Result<Status, Errno> {
        Status::parse_bytes(text.as_bytes())
    }

    /// Parses the bytes of `/proc/PID/status`: only the lines it needs (they are read for every emulated
    /// syscall), stopping once every key was seen (the kernel writes each key once).
    pub fn parse_bytes(text: &[u8]) -> Result<Status, Errno> {
        let mut tgid = None;
        let mut umask = None;
        let (mut uids, mut gids, mut groups) = (None, None, Vec::new());
        let mut set = [CapabilitySet::empty(); 5];
        let mut seen = [false; KEYS];
        // `str::lines` finds the newlines with memchr; the first byte rules out most lines (`Vm*`,
        // `Sig*`, `NS*`, ...) before the colon is looked for.
        let text = std::str::from_utf8(text).map_err(|_| malformed())?;
        for line in text.lines() {
            if !matches!(line.as_bytes().first(), Some(b'T' | b'U' | b'G' | b'C')) {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.as_bytes(), value.as_bytes().trim_ascii());
            let index = match key {
                b"Tgid" => 0,
                b"Umask" => 1,
                b"Uid" => 2,
                b"Gid" => 3,
                b"Groups" => 4,
                b"CapEff" => 5,
                b"CapPrm" => 6,
                b"CapInh" => 7,
                b"CapBnd" => 8,
                b"CapAmb" => 9,
                _ => continue,
            };
            match index {
                0 => tgid = Some(i32::try_from(number(value, 10)?).map_err(|_| malformed())?),
                1 => umask = Some(number(value, 8)?),
                2 => uids = Some(four(value)?),
                3 => gids = Some(four(value)?),
                4 => groups = numbers(value).collect::<Result<_, _>>()?,
                cap => {
                    if let Some(slot) = set.get_mut(cap - 5) {
                        *slot = caps(value)?;
                    }
                }
            }
            if let Some(seen) = seen.get_mut(index) {
                *seen = true;
            }
            if seen.iter().all(|&seen| seen) {
                break;
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
    let link = read_link(pid, &format!("ns/{name}")).ok()?;
    // `mnt:[4026531841]`
    let text = std::str::from_utf8(&link).ok()?;
    let inner = text.split_once('[')?.1.strip_suffix(']')?;
    inner.parse().ok()
}

/// How many targets' `/proc` fds each thread keeps ([`ProcFds`]).
const CACHED_TARGETS: usize = 16;

/// One target thread's `/proc/TID` directory (`O_PATH`) and, once read, its open `status` file.
#[derive(Debug)]
struct ProcEntry {
    tid: i32,
    dir: OwnedFd,
    status: Option<OwnedFd>,
}

/// The `/proc` fds of the targets this thread served last, most recent first.
///
/// Opening `/proc/TID/...` by name walks `/`, `proc` and `TID` every time (about a round trip of the
/// notification for `status`). An fd of `/proc/TID` or of `/proc/TID/status` is tied to the kernel's
/// `struct pid` it was opened for, not to the number: once that thread has exited, lookups beneath the
/// directory fail (`ENOENT`) and reads of `status` fail (`ESRCH`), even after the number was given to a
/// new thread. So an fd found here names either the thread that has this tid now or a dead one, never
/// another live thread; a failure evicts the entry and the lookup is done once more through `/proc/TID`.
/// What is read through the fds is read afresh every time (`status` is formatted by the kernel at each
/// `pread` from offset 0; `root` and `cwd` are looked up as links at each open): only the path walk is
/// saved, no credential, root or cwd is remembered. A `chroot` or `setuid` of the target is seen by the
/// next call exactly as without the cache.
#[derive(Debug, Default)]
struct ProcFds {
    entries: Vec<ProcEntry>,
}

impl ProcFds {
    /// The entry for `tid`, opening `/proc/TID` when there is none (or `fresh` asks for a new one),
    /// moved to the front.
    fn entry(&mut self, tid: i32, fresh: bool) -> Result<&mut ProcEntry, Errno> {
        let found = self.entries.iter().position(|entry| entry.tid == tid);
        let entry = match found {
            Some(index) if !fresh => self.entries.remove(index),
            found => {
                if let Some(index) = found {
                    self.entries.remove(index);
                }
                let dir = rustix::fs::open(
                    format!("/proc/{tid}"),
                    OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )?;
                ProcEntry {
                    tid,
                    dir,
                    status: None,
                }
            }
        };
        self.entries.truncate(CACHED_TARGETS - 1);
        self.entries.insert(0, entry);
        self.entries.first_mut().ok_or(Errno::SRCH)
    }

    /// Runs `use_entry` on `tid`'s entry; when it fails with an error a dead thread's fds give, once
    /// more on a fresh entry (the tid may belong to a new thread now).
    fn with<R>(
        &mut self,
        tid: i32,
        mut use_entry: impl FnMut(&mut ProcEntry) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        match use_entry(self.entry(tid, false)?) {
            Err(Errno::SRCH | Errno::NOENT) => use_entry(self.entry(tid, true)?),
            other => other,
        }
    }
}

thread_local! {
    static PROC_FDS: std::cell::RefCell<ProcFds> = std::cell::RefCell::new(ProcFds::default());
}

fn with_proc<R>(tid: i32, use_entry: impl FnMut(&mut ProcEntry) -> Result<R, Errno>) -> Result<R, Errno> {
    PROC_FDS.with(|fds| match fds.try_borrow_mut() {
        Ok(mut fds) => fds.with(tid, use_entry),
        // Only reached if a reader re-entered itself; read without the cache then.
        Err(_) => ProcFds::default().with(tid, use_entry),
    })
}

/// Reads the whole of `status` from offset 0 (`pread`: the kernel formats it afresh each time).
///
/// `status` is one `seq_file` record: a read returns all of it that fits, so a read shorter than the
/// buffer that ends the text with a newline is its end, and the read that would return 0 is saved.
fn pread_status(status: &OwnedFd, text: &mut Vec<u8>) -> Result<(), Errno> {
    text.clear();
    let mut chunk = [0u8; 4096];
    loop {
        match rustix::io::pread(status, &mut chunk, text.len() as u64) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                text.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
                if n < chunk.len() && text.ends_with(b"\n") {
                    return Ok(());
                }
            }
            Err(Errno::INTR) => continue,
            Err(errno) => return Err(errno),
        }
        if text.len() > 64 * 1024 {
            return Err(Errno::IO);
        }
    }
}

/// Reads `/proc/PID/status` (about 1.5 KiB: one read and the end) through the thread's cached fd of it
/// (see the module documentation), since it is read for every emulated syscall.
pub fn read_status(pid: i32) -> Result<Status, Errno> {
    let mut text = Vec::with_capacity(4096);
    with_proc(pid, |entry| {
        let status = match entry.status.take() {
            Some(fd) => fd,
            None => rustix::fs::openat(
                &entry.dir,
                "status",
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )?,
        };
        pread_status(&status, &mut text)?;
        entry.status = Some(status);
        Ok(())
    })?;
    Status::parse_bytes(&text)
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
/// link to the target's own directory, in its own mount namespace (looked up afresh each time, beneath
/// the thread's kept `/proc/PID` fd, see the module documentation).
pub fn open_dir_link(pid: i32, link: &str) -> Result<OwnedFd, Errno> {
    with_proc(pid, |entry| {
        rustix::fs::openat(
            &entry.dir,
            link,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    })
}

/// Reads the text of `/proc/PID/<link>` (`root`, `cwd`, `fd/N`, `ns/NAME`): the path as the supervisor's
/// root sees it.
pub fn read_link(pid: i32, link: &str) -> Result<Vec<u8>, Errno> {
    with_proc(pid, |entry| {
        rustix::fs::readlinkat(&entry.dir, link, Vec::new()).map(|path| path.into_bytes())
    })
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

    /// A `sh` that sets its umask to 077 once it reads a line, then sleeps.
    fn umask_shell() -> std::process::Child {
        std::process::Command::new("sh")
            .args(["-c", "umask 022; read x; umask 077; sleep 30"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("sh")
    }

    fn wait_for(mut done: impl FnMut() -> bool) -> bool {
        (0..500).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            done()
        })
    }

    #[test]
    fn cached_status_fds_read_the_current_values() {
        use std::io::Write;
        let mut child = umask_shell();
        let pid = child.id() as i32;
        assert!(wait_for(|| read_status(pid).is_ok_and(|s| s.umask == Some(0o022))));
        assert!(open_dir_link(pid, "root").is_ok());
        child
            .stdin
            .as_mut()
            .expect("stdin")
            .write_all(b"\n")
            .expect("write");
        assert!(
            wait_for(|| read_status(pid).is_ok_and(|s| s.umask == Some(0o077))),
            "the second read through the cached fd sees the new umask"
        );
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            read_status(pid).is_err(),
            "a reaped target's status is not read from the old fd"
        );
        assert!(open_dir_link(pid, "root").is_err());
    }

    #[test]
    fn more_targets_than_the_cache_holds_are_all_read() {
        let mut children: Vec<_> = (0..CACHED_TARGETS + 3).map(|_| umask_shell()).collect();
        for _ in 0..2 {
            for child in &children {
                let pid = child.id() as i32;
                assert!(wait_for(|| read_status(pid).is_ok_and(|s| s.tgid == pid)));
            }
        }
        PROC_FDS.with(|fds| assert_eq!(fds.borrow().entries.len(), CACHED_TARGETS));
        for child in &mut children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
