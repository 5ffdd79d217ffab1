//! Reading the seccomp filters installed in another process, through `ptrace(2)`.
//!
//! The kernel hands out a process's filters only to a tracer that holds the process in a ptrace stop, and
//! only when the tracer has `CAP_SYS_ADMIN` in the initial user namespace and is not itself confined by
//! seccomp. [`Stopped::seize`] attaches with `PTRACE_SEIZE`, stops the tracee with `PTRACE_INTERRUPT`
//! and waits for the stop; [`Stopped::filter`] then reads one filter with `PTRACE_SECCOMP_GET_FILTER`;
//! dropping the [`Stopped`] detaches, and the tracee continues as if nothing happened.
//!
//! # Safety
//!
//! The one raw call is `ptrace(2)` in `ptrace`. Its requests here either take no pointer
//! (`SEIZE`, `INTERRUPT`, `DETACH` with a signal number) or, for `PTRACE_SECCOMP_GET_FILTER`, a pointer to a
//! buffer of [`BPF_MAXINSNS`] instructions: the kernel writes one filter there, and no filter is longer than
//! that (the kernel refuses longer ones at installation), so the write always fits.
#![allow(unsafe_code)]

use crate::raw;
use linux_raw_sys::general as nr;
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions, waitpid};
use seccomp_core::abi::{BPF_MAXINSNS, SockFilter};

/// `PTRACE_DETACH`.
const PTRACE_DETACH: u32 = 17;
/// `PTRACE_SEIZE` (Linux 3.4).
const PTRACE_SEIZE: u32 = 0x4206;
/// `PTRACE_INTERRUPT` (Linux 3.4).
const PTRACE_INTERRUPT: u32 = 0x4207;
/// `PTRACE_SECCOMP_GET_FILTER` (Linux 4.4).
const PTRACE_SECCOMP_GET_FILTER: u32 = 0x420c;
/// `__WALL`: wait for threads as well as processes.
const WALL: u32 = 0x4000_0000;

/// `ptrace(request, pid, addr, data)`.
///
/// # Safety
///
/// `addr` and `data` must be what `request` expects: plain numbers, or pointers valid for the access the
/// kernel makes through them.
unsafe fn ptrace(request: u32, pid: Pid, addr: usize, data: usize) -> Result<usize, Errno> {
    // SAFETY: forwarded from the caller; ptrace touches no memory of ours except through addr/data.
    unsafe {
        raw::syscall6(
            nr::__NR_ptrace,
            request as usize,
            pid.as_raw_nonzero().get() as usize,
            addr,
            data,
            0,
            0,
        )
    }
}

/// Why [`Stopped::seize`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachError {
    /// `PTRACE_SEIZE` failed: `EPERM` (no permission to trace it, or it is already traced), `ESRCH` (no such
    /// process).
    Seize(Errno),
    /// `PTRACE_INTERRUPT` failed.
    Interrupt(Errno),
    /// Waiting for the stop failed, or the process exited instead of stopping.
    Wait(Errno),
}

impl core::fmt::Display for AttachError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AttachError::Seize(errno) => write!(f, "PTRACE_SEIZE failed: {errno}"),
            AttachError::Interrupt(errno) => write!(f, "PTRACE_INTERRUPT failed: {errno}"),
            AttachError::Wait(errno) => write!(f, "waiting for the ptrace stop failed: {errno}"),
        }
    }
}

impl core::error::Error for AttachError {}

/// A process held in a ptrace stop by this process; dropping it detaches.
#[derive(Debug)]
pub struct Stopped {
    pid: Pid,
    /// The signal that stopped it, if it was a signal-delivery stop rather than our interrupt: handed back
    /// on detach so that it is not lost.
    pending_signal: u32,
}

impl Stopped {
    /// `ptrace(PTRACE_SEIZE, pid)`, `ptrace(PTRACE_INTERRUPT, pid)`, then `waitpid(pid, __WALL)` until it
    /// stops.
    ///
    /// The kernel makes this process the tracer of `pid` (it needs the right to trace it: same user and
    /// not dumpable-protected, or `CAP_SYS_PTRACE`) and stops it. Since Linux 3.4.
    ///
    /// # References
    /// - ptrace(2) (`PTRACE_SEIZE`, `PTRACE_INTERRUPT`)
    pub fn seize(pid: Pid) -> Result<Stopped, AttachError> {
        // SAFETY: SEIZE takes no pointer (addr 0, data = options 0).
        unsafe { ptrace(PTRACE_SEIZE, pid, 0, 0) }.map_err(AttachError::Seize)?;
        // From here on dropping `stopped` detaches, whatever fails next.
        let mut stopped = Stopped {
            pid,
            pending_signal: 0,
        };
        // SAFETY: INTERRUPT takes no pointer.
        unsafe { ptrace(PTRACE_INTERRUPT, pid, 0, 0) }.map_err(AttachError::Interrupt)?;
        match waitpid(Some(pid), WaitOptions::from_bits_retain(WALL)) {
            Ok(Some((_, status))) if status.stopped() => {
                let raw = status.as_raw() as u32;
                // A ptrace event (our interrupt: PTRACE_EVENT_STOP) has event bits above the signal;
                // a plain signal-delivery stop does not, and its signal must be delivered on detach.
                if raw >> 16 == 0 {
                    stopped.pending_signal = (raw >> 8) & 0xff;
                }
                Ok(stopped)
            }
            Ok(_) => Err(AttachError::Wait(Errno::SRCH)),
            Err(errno) => Err(AttachError::Wait(errno)),
        }
    }

    /// The stopped process.
    pub const fn pid(&self) -> Pid {
        self.pid
    }

    /// `ptrace(PTRACE_SECCOMP_GET_FILTER, pid, index, buf)`: filter number `index` of the stopped process,
    /// copied into `buf`.
    ///
    /// Index 0 is the oldest filter (the first installed, the last to run): the kernel's `get_nth_filter`
    /// walks `count - 1 - index` links back from the newest, although ptrace(2) describes the opposite order.
    ///
    /// Errors the kernel gives: `ENOENT` past the oldest filter; `EINVAL` when the process is not in
    /// filter mode; `EACCES` when this process lacks `CAP_SYS_ADMIN` or is itself confined by seccomp;
    /// `EMEDIUMTYPE` for a filter that is not classic BPF. Since Linux 4.4.
    ///
    /// # References
    /// - ptrace(2) (`PTRACE_SECCOMP_GET_FILTER`)
    pub fn filter<'b>(
        &self,
        index: usize,
        buf: &'b mut [SockFilter; BPF_MAXINSNS],
    ) -> Result<&'b [SockFilter], Errno> {
        // SAFETY: the kernel writes one filter's instructions, at most BPF_MAXINSNS of them (no longer
        // filter can be installed), into `buf`, which we borrow exclusively and which holds that many.
        let len = unsafe {
            ptrace(
                PTRACE_SECCOMP_GET_FILTER,
                self.pid,
                index,
                buf.as_mut_ptr() as usize,
            )
        }?;
        buf.get(..len).ok_or(Errno::RANGE)
    }
}

impl Drop for Stopped {
    /// `ptrace(PTRACE_DETACH, pid, 0, signal)`: the process continues (with the signal that stopped it,
    /// if any). If this fails the process is gone; the kernel also detaches when the tracer exits.
    fn drop(&mut self) {
        // SAFETY: DETACH takes a signal number, not a pointer.
        let _ = unsafe { ptrace(PTRACE_DETACH, self.pid, 0, self.pending_signal as usize) };
    }
}
