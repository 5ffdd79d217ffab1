//! Reading (and, for handlers that answer through a buffer, writing) a notifying target's memory without
//! acting on stale data.
//!
//! A target's memory can change at any moment (another thread, or the target after a signal), and its pid
//! can be reused once it dies. The kernel's rule (seccomp_unotify(2)) is: read everything you need, then
//! check that the notification is still outstanding (`ID_VALID`), and only then use what you read.
//! [`Listener::read_checked`] enforces that order: the closure reads through a [`TargetMemory`], and its
//! result is handed back only if `ID_VALID` succeeds afterwards. (A closure that copies data into captured
//! variables side-steps this; keep everything read inside the returned value.)
//!
//! Reads use `process_vm_readv(2)` and fall back to `pread(2)` on `/proc/PID/mem` when the former is
//! missing (`ENOSYS`) or refused (`EPERM`). Both need ptrace access to the target (same user and a
//! permissive Yama setting, or `CAP_SYS_PTRACE`). Even with re-validation, never let a syscall *continue*
//! after checking its memory arguments: the target can change them before the kernel reads them.
//!
//! Writes ([`Listener::write_checked`]) go the other way: the notification is validated *before* the write,
//! so the bytes land in the process that made the syscall and not in one that reused its pid, and the
//! syscall is then answered (a value, never continue). They use `process_vm_writev(2)`, which faults on
//! read-only memory exactly as the kernel's own `copy_to_user` would; the `/proc/PID/mem` fallback writes
//! through read-only mappings (the kernel forces the write there), so [`Access::Auto`] uses it only when
//! `process_vm_writev` is missing or refused.

use crate::listener::{Listener, Notification};
use crate::raw;
use core::ffi::CStr;
use core::fmt;
use core::fmt::Write as _;
use rustix::fd::OwnedFd;
use rustix::io::Errno;

/// `PATH_MAX`: the longest path, NUL included, the kernel accepts; the usual bound for [`TargetMemory::read_cstr`].
pub const PATH_MAX: usize = 4096;

/// How [`TargetMemory`] reads the target's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// `process_vm_readv` (`process_vm_writev` for writes), falling back to `/proc/PID/mem` if it is missing
    /// or refused.
    #[default]
    Auto,
    /// Only `process_vm_readv` (3.2+), and `process_vm_writev` for writes.
    VmReadv,
    /// Only `pread` on `/proc/PID/mem`.
    ProcMem,
}

/// Why reading target memory failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemError {
    /// Nothing is mapped (readable) at `addr` in the target.
    Fault {
        /// The first address that could not be read.
        addr: u64,
    },
    /// No NUL within `limit` bytes of the string at `addr`.
    TooLong {
        /// The start of the string.
        addr: u64,
        /// The bound, in bytes, NUL included.
        limit: usize,
    },
    /// `ESRCH`: the target process no longer exists.
    TargetGone,
    /// The notification has no pid: the target is not visible in the listener's pid namespace.
    NoPid,
    /// Any other errno (`EPERM`/`EACCES`: no ptrace access to the target).
    Os(Errno),
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemError::Fault { addr } => write!(f, "target memory at {addr:#x} is not readable"),
            MemError::TooLong { addr, limit } => {
                write!(
                    f,
                    "no NUL within {limit} bytes of the string at {addr:#x} in the target"
                )
            }
            MemError::TargetGone => f.write_str("the target process no longer exists"),
            MemError::NoPid => f.write_str("the target is not visible in the listener's pid namespace"),
            MemError::Os(errno) => write!(f, "reading target memory failed: {errno}"),
        }
    }
}

impl core::error::Error for MemError {}

/// Why [`Listener::read_checked`] handed nothing back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckedReadError {
    /// The closure failed to read.
    Memory(MemError),
    /// The notification is no longer outstanding: whatever was read may not be what the syscall used.
    NotificationGone,
    /// `ID_VALID` itself failed.
    IdValid(Errno),
}

impl fmt::Display for CheckedReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckedReadError::Memory(error) => error.fmt(f),
            CheckedReadError::NotificationGone => {
                f.write_str("the notification is no longer outstanding; the memory read for it was discarded")
            }
            CheckedReadError::IdValid(errno) => write!(f, "SECCOMP_IOCTL_NOTIF_ID_VALID failed: {errno}"),
        }
    }
}

impl core::error::Error for CheckedReadError {}

impl From<MemError> for CheckedReadError {
    fn from(error: MemError) -> CheckedReadError {
        CheckedReadError::Memory(error)
    }
}

/// Read access to one target's memory, lent to the closure of [`Listener::read_checked`].
#[derive(Debug)]
pub struct TargetMemory {
    pid: i32,
    access: Access,
    proc_mem: Option<OwnedFd>,
    proc_mem_rw: Option<OwnedFd>,
}

/// The length of the page-aligned span starting at `addr` (4 KiB pages: a lower bound on every page size
/// in use, which is all the chunking needs).
fn to_page_end(addr: u64) -> usize {
    const PAGE: u64 = 4096;
    (PAGE - addr % PAGE) as usize
}

impl TargetMemory {
    /// Memory of process `pid`, read as `access` says. Prefer [`Listener::read_checked`], which creates one
    /// for a notification and re-validates it.
    pub fn new(pid: rustix::process::Pid, access: Access) -> TargetMemory {
        TargetMemory {
            pid: pid.as_raw_nonzero().get(),
            access,
            proc_mem: None,
            proc_mem_rw: None,
        }
    }

    /// Opens `/proc/PID/mem` read-only or read-write.
    fn open_mem_file(pid: i32, mode: rustix::fs::OFlags) -> Result<OwnedFd, MemError> {
        let mut path = heapless::String::<32>::new();
        write!(path, "/proc/{pid}/mem").map_err(|_| MemError::Os(Errno::NAMETOOLONG))?;
        rustix::fs::open(
            path.as_str(),
            mode | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|errno| match errno {
            Errno::NOENT | Errno::SRCH => MemError::TargetGone,
            other => MemError::Os(other),
        })
    }

    fn open_proc_mem(&mut self) -> Result<&OwnedFd, MemError> {
        if self.proc_mem.is_none() {
            self.proc_mem = Some(Self::open_mem_file(self.pid, rustix::fs::OFlags::RDONLY)?);
        }
        self.proc_mem.as_ref().ok_or(MemError::Os(Errno::BADF))
    }

    fn open_proc_mem_rw(&mut self) -> Result<&OwnedFd, MemError> {
        if self.proc_mem_rw.is_none() {
            self.proc_mem_rw = Some(Self::open_mem_file(self.pid, rustix::fs::OFlags::RDWR)?);
        }
        self.proc_mem_rw.as_ref().ok_or(MemError::Os(Errno::BADF))
    }

    fn pwrite(&mut self, addr: u64, data: &[u8]) -> Result<usize, MemError> {
        let fd = self.open_proc_mem_rw()?;
        loop {
            match rustix::io::pwrite(fd, data, addr) {
                Ok(n) => return Ok(n),
                Err(Errno::INTR) => continue,
                Err(Errno::IO | Errno::FAULT | Errno::INVAL) => return Ok(0),
                Err(Errno::SRCH) => return Err(MemError::TargetGone),
                Err(errno) => return Err(MemError::Os(errno)),
            }
        }
    }

    /// Writes up to `data.len()` bytes at `addr`; fewer when the writable memory ends first, 0 when nothing
    /// at `addr` is writable.
    pub fn write_partial(&mut self, addr: u64, data: &[u8]) -> Result<usize, MemError> {
        if data.is_empty() {
            return Ok(0);
        }
        if self.access == Access::ProcMem {
            return self.pwrite(addr, data);
        }
        match raw::process_vm_writev(self.pid, data, addr) {
            Ok(n) => Ok(n),
            Err(Errno::FAULT) => Ok(0),
            Err(Errno::SRCH) => Err(MemError::TargetGone),
            Err(Errno::NOSYS | Errno::PERM) if self.access == Access::Auto => {
                self.access = Access::ProcMem;
                self.pwrite(addr, data)
            }
            Err(errno) => Err(MemError::Os(errno)),
        }
    }

    /// Writes all of `data` at `addr`, or fails with [`MemError::Fault`] naming the first address that could
    /// not be written (the bytes before it are written: the kernel's `copy_to_user` behaves the same way).
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemError> {
        let mut done = 0;
        while let Some(rest) = data.get(done..) {
            if rest.is_empty() {
                break;
            }
            let at = addr.checked_add(done as u64).ok_or(MemError::Fault { addr })?;
            match self.write_partial(at, rest)? {
                0 => return Err(MemError::Fault { addr: at }),
                n => done += n,
            }
        }
        Ok(())
    }

    fn pread(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, MemError> {
        let fd = self.open_proc_mem()?;
        loop {
            match rustix::io::pread(fd, &mut *buf, addr) {
                Ok(n) => return Ok(n),
                Err(Errno::INTR) => continue,
                // Unmapped memory reads as EIO; addresses beyond the file offset range as EINVAL.
                Err(Errno::IO | Errno::FAULT | Errno::INVAL) => return Ok(0),
                Err(Errno::SRCH) => return Err(MemError::TargetGone),
                Err(errno) => return Err(MemError::Os(errno)),
            }
        }
    }

    /// Reads up to `buf.len()` bytes at `addr`; fewer when the readable memory ends first, 0 when nothing
    /// at `addr` is readable.
    pub fn read_partial(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, MemError> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.access == Access::ProcMem {
            return self.pread(addr, buf);
        }
        match raw::process_vm_readv(self.pid, buf, addr) {
            Ok(n) => Ok(n),
            Err(Errno::FAULT) => Ok(0),
            Err(Errno::SRCH) => Err(MemError::TargetGone),
            Err(Errno::NOSYS | Errno::PERM) if self.access == Access::Auto => {
                self.access = Access::ProcMem;
                self.pread(addr, buf)
            }
            Err(errno) => Err(MemError::Os(errno)),
        }
    }

    /// Fills `buf` from `addr`, or fails with [`MemError::Fault`] naming the first unreadable address.
    pub fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let mut done = 0;
        while let Some(rest) = buf.get_mut(done..) {
            if rest.is_empty() {
                break;
            }
            let at = addr.checked_add(done as u64).ok_or(MemError::Fault { addr })?;
            match self.read_partial(at, rest)? {
                0 => return Err(MemError::Fault { addr: at }),
                n => done += n,
            }
        }
        Ok(())
    }

    /// Reads the NUL-terminated string at `addr` into `buf` and returns it (NUL included). The string may
    /// end right before unmapped memory: reads stop at page boundaries. Fails with [`MemError::TooLong`] if
    /// `buf.len()` bytes hold no NUL (use a [`PATH_MAX`] buffer for paths).
    pub fn read_cstr<'b>(&mut self, addr: u64, buf: &'b mut [u8]) -> Result<&'b CStr, MemError> {
        let limit = buf.len();
        let mut done = 0;
        while done < limit {
            let at = addr.checked_add(done as u64).ok_or(MemError::Fault { addr })?;
            let end = limit.min(done + to_page_end(at));
            let chunk = buf.get_mut(done..end).ok_or(MemError::TooLong { addr, limit })?;
            let n = self.read_partial(at, chunk)?;
            if n == 0 {
                return Err(MemError::Fault { addr: at });
            }
            if let Some(nul) = chunk.get(..n).and_then(|read| read.iter().position(|&b| b == 0)) {
                let with_nul = buf
                    .get(..done + nul + 1)
                    .ok_or(MemError::TooLong { addr, limit })?;
                return CStr::from_bytes_with_nul(with_nul).map_err(|_| MemError::TooLong { addr, limit });
            }
            done += n;
        }
        Err(MemError::TooLong { addr, limit })
    }
}

impl Listener {
    /// Reads the memory of the target of `notification` with `read` and hands back its result only if the
    /// notification is still outstanding afterwards (`ID_VALID`), as the TOCTOU rule of seccomp_unotify(2)
    /// requires. Uses [`Access::Auto`].
    ///
    /// With `/proc/PID/mem`, the notification is also re-validated right after opening the file, so the
    /// fd is known to belong to the target and not to a process that reused its pid.
    pub fn read_checked<R>(
        &self,
        notification: &Notification,
        read: impl FnOnce(&mut TargetMemory) -> Result<R, MemError>,
    ) -> Result<R, CheckedReadError> {
        self.read_checked_with(notification, Access::Auto, read)
    }

    /// [`Listener::read_checked`] with an explicit [`Access`] method.
    pub fn read_checked_with<R>(
        &self,
        notification: &Notification,
        access: Access,
        read: impl FnOnce(&mut TargetMemory) -> Result<R, MemError>,
    ) -> Result<R, CheckedReadError> {
        let pid = notification.pid().ok_or(MemError::NoPid)?;
        let mut memory = TargetMemory::new(pid, access);
        if access == Access::ProcMem {
            // Check before reporting an open failure: a dead target explains it better.
            let opened = memory.open_proc_mem().map(drop);
            self.check(notification.id())?;
            opened?;
        }
        let result = read(&mut memory);
        // Validate even when the read failed: a vanished target explains a failed read better.
        self.check(notification.id())?;
        Ok(result?)
    }

    /// Writes `data` at `addr` in the target of `notification` (a syscall's output buffer, such as the
    /// `struct sysinfo` of `sysinfo(2)`), after checking that the notification is still outstanding, so the
    /// bytes go to the process that made the syscall. Answer the syscall afterwards with a value (never
    /// continue). Uses [`Access::Auto`].
    ///
    /// With `/proc/PID/mem` the file is opened first and the notification validated after that, so the
    /// write goes through an fd known to belong to the target. With `process_vm_writev` a tiny window
    /// remains between the check and the write in which the target could die and its pid be reused; the
    /// kernel offers no pidfd-based variant of the call.
    pub fn write_checked(
        &self,
        notification: &Notification,
        addr: u64,
        data: &[u8],
    ) -> Result<(), CheckedReadError> {
        self.write_checked_with(notification, Access::Auto, addr, data)
    }

    /// [`Listener::write_checked`] with an explicit [`Access`] method.
    pub fn write_checked_with(
        &self,
        notification: &Notification,
        access: Access,
        addr: u64,
        data: &[u8],
    ) -> Result<(), CheckedReadError> {
        let pid = notification.pid().ok_or(MemError::NoPid)?;
        let mut memory = TargetMemory::new(pid, access);
        if access == Access::ProcMem {
            let opened = memory.open_proc_mem_rw().map(drop);
            self.check(notification.id())?;
            opened?;
        } else {
            self.check(notification.id())?;
        }
        memory.write(addr, data)?;
        Ok(())
    }

    fn check(&self, id: u64) -> Result<(), CheckedReadError> {
        match self.id_valid(id) {
            Ok(true) => Ok(()),
            Ok(false) => Err(CheckedReadError::NotificationGone),
            Err(errno) => Err(CheckedReadError::IdValid(errno)),
        }
    }
}
