//! Asking the running kernel what it supports, without installing anything in the calling process.
//!
//! Filter flags are probed the way libseccomp does, with a null program: the kernel checks the flags
//! first (`EINVAL` for an unknown one) and then fails to read the program (`EFAULT`), so nothing is
//! installed. The listener ioctls need a real listener, which only exists once a filter is installed, so
//! [`listener_ioctls`] forks a short-lived child that installs an allow-everything filter with a listener,
//! asks each ioctl about notification id 0 (a known ioctl answers `ENOENT`, an unknown one `EINVAL`), and
//! writes the answers into a pipe.
//!
//! # Safety
//!
//! The one `unsafe` block is the fork in [`listener_ioctls`]; the child does only raw syscalls (`prctl`,
//! `seccomp`, `ioctl`, `write`, `exit_group`) on memory and fds prepared before the fork, with no allocation
//! and no locks, as [`crate::process::fork`] requires.
#![allow(unsafe_code)]

use crate::flags::FilterFlags;
use crate::listener::ListenerFlags;
use crate::process::{self, Fork};
use crate::{filter, ioctl, raw};
use core::fmt;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::io::Errno;
use seccomp_core::abi::{self, SeccompNotifAddfd, SeccompNotifSizes, SockFilter};
use seccomp_core::action::Action;

/// The answer to one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// The kernel has it.
    Yes,
    /// The kernel does not have it.
    No,
    /// The probe itself failed with this errno, so the answer is unknown.
    Unknown(Errno),
}

impl Support {
    /// Whether the kernel is known to have it.
    pub const fn is_yes(self) -> bool {
        matches!(self, Support::Yes)
    }
}

impl fmt::Display for Support {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Support::Yes => f.write_str("yes"),
            Support::No => f.write_str("no"),
            Support::Unknown(errno) => write!(f, "unknown ({errno})"),
        }
    }
}

/// `seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action)`.
///
/// The kernel reports whether it knows the action of `action` (its data bits are ignored): [`Support::No`]
/// on `EOPNOTSUPP`. Kernels before 4.14 do not know the operation and answer `EINVAL`, reported as
/// [`Support::Unknown`]. Since Linux 4.14.
///
/// # References
/// - seccomp(2) (`SECCOMP_GET_ACTION_AVAIL`)
pub fn action_available(action: Action) -> Support {
    match raw::seccomp_get_action_avail(action.action_bits()) {
        Ok(_) => Support::Yes,
        Err(Errno::OPNOTSUPP) => Support::No,
        Err(errno) => Support::Unknown(errno),
    }
}

/// `seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes)`.
///
/// The kernel reports the sizes of its notification structs, which grow when fields are added; compare
/// with [`abi::NOTIF_SIZES`]. Since Linux 5.0.
///
/// # References
/// - seccomp(2) (`SECCOMP_GET_NOTIF_SIZES`)
pub fn notif_sizes() -> Result<SeccompNotifSizes, Errno> {
    raw::seccomp_get_notif_sizes()
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL)`.
///
/// The kernel validates `flags` and then fails to read the (null) program: `EFAULT` means it accepts this
/// combination ([`Support::Yes`]), `EINVAL` that it does not ([`Support::No`]). Nothing is installed.
/// Combinations matter: TSYNC with NEW_LISTENER is refused without TSYNC_ESRCH, WAIT_KILLABLE_RECV without
/// NEW_LISTENER; probe flags one at a time with [`filter_flag_known`]. Since Linux 3.17.
///
/// # References
/// - seccomp(2) (`SECCOMP_SET_MODE_FILTER`, "EFAULT", "EINVAL")
pub fn filter_flags_accepted(flags: FilterFlags) -> Support {
    match raw::seccomp_probe_filter_flags(flags.bits()) {
        Err(Errno::FAULT) => Support::Yes,
        Err(Errno::INVAL) => Support::No,
        Err(errno) => Support::Unknown(errno),
        // A null program cannot be installed; treat a success as a kernel we do not understand.
        Ok(_) => Support::Unknown(Errno::NOTSUP),
    }
}

/// Whether the kernel knows the single flag `flag`, probed with [`filter_flags_accepted`] together with
/// the flags it requires (WAIT_KILLABLE_RECV needs NEW_LISTENER). Since Linux 3.17.
///
/// # References
/// - seccomp(2)
pub fn filter_flag_known(flag: FilterFlags) -> Support {
    let mut probe = flag;
    if flag.contains(FilterFlags::WAIT_KILLABLE_RECV) {
        probe |= FilterFlags::NEW_LISTENER;
    }
    filter_flags_accepted(probe)
}

/// Every filter flag bit the kernel knows, each of the 32 bits probed on its own with [`filter_flag_known`]
/// (so a future flag unknown to this crate shows up as a hex bit). Fails if a probe fails for another
/// reason than `EFAULT`/`EINVAL` (for example `ENOSYS` before 3.17).
pub fn known_filter_flags() -> Result<FilterFlags, Errno> {
    let mut known = FilterFlags::EMPTY;
    for bit in 0..32 {
        let flag = FilterFlags::from_bits_retain(1 << bit);
        match filter_flag_known(flag) {
            Support::Yes => known |= flag,
            Support::No => {}
            Support::Unknown(errno) => return Err(errno),
        }
    }
    Ok(known)
}

/// Which user-notification ioctls the kernel accepts on a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerIoctls {
    /// `SECCOMP_IOCTL_NOTIF_ID_VALID` with the 5.9 number `0x40082102`.
    pub id_valid: Support,
    /// `SECCOMP_IOCTL_NOTIF_ID_VALID` with the 5.0 number `0x80082102`.
    pub id_valid_legacy: Support,
    /// `SECCOMP_IOCTL_NOTIF_ADDFD` (5.9).
    pub addfd: Support,
    /// `SECCOMP_IOCTL_NOTIF_ADDFD` with `SECCOMP_ADDFD_FLAG_SEND` (5.14).
    pub addfd_send: Support,
    /// `SECCOMP_IOCTL_NOTIF_SET_FLAGS` with `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (6.6).
    pub set_flags_sync_wake_up: Support,
}

/// Why [`listener_ioctls`] could not probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeError {
    /// Creating the pipe or forking the probe child failed.
    Spawn(Errno),
    /// The child could not get a listener: installing an allow-all filter with NEW_LISTENER failed with this
    /// errno (`EINVAL` before 5.0, `EBUSY` if the caller already has a listener in its chain).
    NoListener(Errno),
    /// The child's report was missing or malformed (the child was killed?).
    NoReport,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Spawn(errno) => write!(f, "could not start the probe child: {errno}"),
            ProbeError::NoListener(errno) => {
                write!(
                    f,
                    "the probe child could not create a notification listener: {errno}"
                )
            }
            ProbeError::NoReport => f.write_str("the probe child ended without a complete report"),
        }
    }
}

impl core::error::Error for ProbeError {}

/// Number of probes in the child's report; each is a little-endian u16 errno (0 for success).
const PROBES: usize = 5;
/// Report slot for "installing the listener failed"; the other slots are then meaningless.
const REPORT_LEN: usize = 2 * (PROBES + 1);

/// Maps an ioctl probe's errno to support: `ENOENT` (no such notification) proves the ioctl and its
/// flags were understood; success too (SET_FLAGS); `EINVAL`/`ENOTTY` mean unknown.
fn support_from_report(errno: u16) -> Support {
    match i32::from(errno) {
        0 => Support::Yes,
        e if e == Errno::NOENT.raw_os_error() => Support::Yes,
        e if e == Errno::INVAL.raw_os_error() || e == Errno::NOTTY.raw_os_error() => Support::No,
        e => Support::Unknown(Errno::from_raw_os_error(e)),
    }
}

fn errno_code(result: Result<(), Errno>) -> u16 {
    match result {
        Ok(()) => 0,
        Err(errno) => errno.raw_os_error() as u16,
    }
}

/// Runs in the forked child: gets a listener and asks each ioctl about notification 0.
fn probe_in_child(report: BorrowedFd<'_>) -> ! {
    const ALLOW_ALL: [SockFilter; 1] = [SockFilter::ret(abi::RET_ALLOW)];
    let mut out = [0u8; REPORT_LEN];
    let listener = match filter::set_no_new_privs()
        .map_err(filter::InstallError::Os)
        .and_then(|()| filter::install_unvalidated(&ALLOW_ALL, FilterFlags::NEW_LISTENER))
    {
        Ok(Some(fd)) => fd,
        Ok(None) => {
            out[..2].copy_from_slice(&(Errno::INVAL.raw_os_error() as u16).to_le_bytes());
            let _ = rustix::io::write(report, &out);
            process::exit_group(1);
        }
        Err(error) => {
            let errno = match error {
                filter::InstallError::Os(errno) => errno,
                filter::InstallError::ListenerExists => Errno::BUSY,
                filter::InstallError::PermissionDenied => Errno::ACCESS,
                _ => Errno::INVAL,
            };
            out[..2].copy_from_slice(&(errno.raw_os_error() as u16).to_le_bytes());
            let _ = rustix::io::write(report, &out);
            process::exit_group(1);
        }
    };
    let fd = listener.as_fd();
    let srcfd = rustix::fd::AsRawFd::as_raw_fd(&fd) as u32;
    let addfd = |flags| {
        let request = SeccompNotifAddfd {
            id: 0,
            flags,
            srcfd,
            newfd: 0,
            newfd_flags: 0,
        };
        ioctl::addfd(fd, &request).map(drop)
    };
    let results = [
        errno_code(ioctl::id_valid(fd, 0, false)),
        errno_code(ioctl::id_valid(fd, 0, true)),
        errno_code(addfd(0)),
        errno_code(addfd(abi::ADDFD_FLAG_SEND)),
        errno_code(ioctl::set_flags(fd, ListenerFlags::SYNC_WAKE_UP.bits())),
    ];
    for (slot, code) in out[2..].chunks_exact_mut(2).zip(results) {
        slot.copy_from_slice(&code.to_le_bytes());
    }
    let _ = rustix::io::write(report, &out);
    process::exit_group(0)
}

/// Probes the listener ioctls in a forked child (see the module docs); the caller is not filtered.
///
/// The child inherits the caller's filters: if the caller already has a listener in its chain, the child
/// cannot get one and this fails with [`ProbeError::NoListener`] (`EBUSY`). Since Linux 5.0.
///
/// # References
/// - seccomp_unotify(2) (`SECCOMP_IOCTL_NOTIF_ID_VALID`, `SECCOMP_IOCTL_NOTIF_ADDFD`)
/// - seccomp(2) (`SECCOMP_FILTER_FLAG_NEW_LISTENER`)
pub fn listener_ioctls() -> Result<ListenerIoctls, ProbeError> {
    let (read_end, write_end) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(ProbeError::Spawn)?;
    // SAFETY: the child runs only `probe_in_child`, which makes raw syscalls on the pipe and a fresh
    // listener, uses stack buffers, and ends with exit_group (module docs).
    let child = match unsafe { process::fork() }.map_err(ProbeError::Spawn)? {
        Fork::Child => probe_in_child(write_end.as_fd()),
        Fork::Parent(pid) => pid,
    };
    drop(write_end);
    let mut report = [0u8; REPORT_LEN];
    let mut filled = 0;
    while filled < REPORT_LEN {
        match rustix::io::read(&read_end, &mut report[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(Errno::INTR) => {}
            Err(_) => break,
        }
    }
    // Reap the child; ECHILD (SIGCHLD ignored by the caller) leaves nothing to reap.
    while let Err(Errno::INTR) = rustix::process::waitpid(Some(child), rustix::process::WaitOptions::empty())
    {
    }
    if filled < REPORT_LEN {
        return Err(ProbeError::NoReport);
    }
    let code = |index: usize| u16::from_le_bytes([report[2 * index], report[2 * index + 1]]);
    if code(0) != 0 {
        return Err(ProbeError::NoListener(Errno::from_raw_os_error(i32::from(code(
            0,
        )))));
    }
    Ok(ListenerIoctls {
        id_valid: support_from_report(code(1)),
        id_valid_legacy: support_from_report(code(2)),
        addfd: support_from_report(code(3)),
        addfd_send: support_from_report(code(4)),
        set_flags_sync_wake_up: support_from_report(code(5)),
    })
}

/// The kernel release from `uname(2)`, such as `6.18.0-1-amd64`.
#[derive(Clone, PartialEq, Eq)]
pub struct Release {
    bytes: [u8; 65],
    len: usize,
}

impl Release {
    /// The release string (bytes that are not printable ASCII are shown as `?`).
    pub fn as_str(&self) -> &str {
        // Only printable ASCII is stored, so this cannot fail; fall back to "" rather than panic.
        self.bytes
            .get(..self.len)
            .and_then(|bytes| core::str::from_utf8(bytes).ok())
            .unwrap_or("")
    }

    /// The leading `major.minor.patch` numbers (missing parts are 0), or `None` if the release does not
    /// start with a number.
    pub fn version(&self) -> Option<(u32, u32, u32)> {
        let mut parts = [0u32; 3];
        let mut rest = self.as_str();
        for (index, part) in parts.iter_mut().enumerate() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return if index == 0 {
                    None
                } else {
                    Some((parts[0], parts[1], parts[2]))
                };
            }
            *part = rest.get(..digits)?.parse().ok()?;
            rest = rest.get(digits..)?;
            match rest.strip_prefix('.') {
                Some(after) => rest = after,
                None => break,
            }
        }
        Some((parts[0], parts[1], parts[2]))
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Release({:?})", self.as_str())
    }
}

/// `uname(&buf)`, keeping `release`.
///
/// The kernel reports its release string, which says which features to expect; probing is still the
/// authority, since distributions backport features. Since Linux 1.0.
///
/// # References
/// - uname(2)
pub fn kernel_release() -> Release {
    let uname = rustix::system::uname();
    let mut release = Release {
        bytes: [0; 65],
        len: 0,
    };
    for (slot, &byte) in release.bytes.iter_mut().zip(uname.release().to_bytes()) {
        *slot = if byte.is_ascii_graphic() { byte } else { b'?' };
        release.len += 1;
    }
    release
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(text: &str) -> Release {
        let mut release = Release {
            bytes: [0; 65],
            len: text.len(),
        };
        release.bytes[..text.len()].copy_from_slice(text.as_bytes());
        release
    }

    #[test]
    fn version_parses_the_leading_numbers_of_a_release() {
        assert_eq!(release("6.18.0-1-amd64").version(), Some((6, 18, 0)));
        assert_eq!(release("5.10").version(), Some((5, 10, 0)));
        assert_eq!(release("6.1.0+").version(), Some((6, 1, 0)));
        assert_eq!(release("6").version(), Some((6, 0, 0)));
        assert_eq!(release("linux").version(), None);
        assert_eq!(release("").version(), None);
    }

    #[test]
    fn ioctl_report_codes_map_enoent_to_supported_and_einval_to_missing() {
        assert_eq!(support_from_report(0), Support::Yes);
        assert_eq!(
            support_from_report(Errno::NOENT.raw_os_error() as u16),
            Support::Yes
        );
        assert_eq!(
            support_from_report(Errno::INVAL.raw_os_error() as u16),
            Support::No
        );
        assert_eq!(
            support_from_report(Errno::NOTTY.raw_os_error() as u16),
            Support::No
        );
        assert_eq!(
            support_from_report(Errno::BADF.raw_os_error() as u16),
            Support::Unknown(Errno::BADF)
        );
    }
}
