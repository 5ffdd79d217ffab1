//! Spawning a program under a seccomp filter and taking over the filter's listener, without deadlock.
//!
//! # The problem
//!
//! A supervisor wants to run a program under a filter that has a listener (`NEW_LISTENER`). Only the
//! child can install the filter (filters apply to the installing thread), so the listener fd is born in the
//! child and has to reach the supervisor before the child runs the program. But from the moment the filter
//! is installed, every syscall the child makes may itself be a notification (think of tracing every
//! syscall, or a policy that notifies `sendmsg`, `write`, `close` or `execve`), and nobody receives
//! notifications yet: passing the fd with `sendmsg`, or even closing a socket, would block forever.
//!
//! # The solution: a shared fd table and a shared page
//!
//! Before forking, the parent maps one anonymous `MAP_SHARED` page. It then forks the child with a raw
//! `clone(CLONE_FILES | SIGCHLD)`: the child gets a copy of the address space (the shared page stays
//! shared) but the *same* fd table as the parent. The child
//! 1. restores the signal dispositions the parent changed (SIGPIPE to default, and any the caller lists),
//! 2. sets `no_new_privs` (unless told not to),
//! 3. installs the filter, which opens the listener fd in the shared table,
//! 4. publishes the fd number in the shared page with an atomic store, which is not a syscall,
//! 5. calls `execve`, which unshares the fd table (the kernel gives an exec'ing process its own copy) and
//!    closes the close-on-exec listener in that copy, so the program does not inherit it.
//!
//! The parent polls the shared page (short sleeps, and `waitpid(WNOHANG)` to notice a child that died) and,
//! once the number is published, owns that fd in its own table. The only syscalls the child makes under
//! the filter are `execve` and, if that fails, `exit_group`: both are ordinary notifications the parent is
//! by then able to answer. Failures before exec are reported through the same page as a stage and an errno
//! ([`SpawnError`]); an `execve` failure is recorded there too, and [`Child::exec_error`] reads it after
//! the child exited (it exits with 127 for `ENOENT`, else 126, like a shell).
//!
//! If the filter refuses even the child's `exit_group` and `exit` after a failed exec (a policy failing
//! every syscall with an errno), the child spins without syscalls and [`Child::try_wait`] or [`Child::wait`]
//! kills it with SIGKILL, which no filter can refuse; [`Child::exec_error`] still reports the exec's errno.
//!
//! [`spawn_guarded`] does the same from a guard process between the caller and the child: a child
//! subreaper holding its own copy of the listener, which reaps the child (publishing its status in the
//! shared page) and kills the child's whole tree when the caller dies or calls [`Child::end`].
//!
//! Works since Linux 5.0 (the listener); needs nothing newer. The child is async-signal-safe: it makes raw
//! syscalls only, touches only memory prepared before the fork, and never allocates or unwinds.
//!
//! # Safety
//!
//! The module's `unsafe` is of four kinds, each argued where it is used:
//! - **The fork** (`clone(CLONE_FILES | SIGCHLD)`, which rustix does not offer): the child runs on a copy of
//!   the address space with the parent's fd table, so it may only run `child_main`, which makes raw
//!   syscalls on memory prepared before the clone (the shared page, the borrowed [`Exec`] and
//!   [`Confinement`]), never allocates, locks or unwinds, closes no fd it did not create, and ends in
//!   `execve` or `exit_group`.
//! - **The shared page**: rustix's `mmap_anonymous` of one `MAP_SHARED` page that aliases nothing, read
//!   as a `Shared` of atomics (all-zero is valid for each) for as long as the owning `SharedPage` lives, and
//!   unmapped exactly once in its `Drop`.
//! - **Raw syscalls rustix lacks**: `rt_sigaction` (from `struct sigaction` values that live across the
//!   call, installing only `SIG_DFL`, `SIG_IGN` or a disposition the kernel handed back, so no foreign code
//!   can run), `execve` (from `CStr`s and `CStrArray`s, null-terminated by construction) and
//!   `exit_group`/`exit` (no pointers).
//! - **The listener fd** the child published: a number in the shared table that the child forgot without
//!   closing, so the parent's `OwnedFd` becomes its only owner.
#![allow(unsafe_code)]

use crate::flags::FilterFlags;
use crate::guard;
use crate::listener::Listener;
use crate::raw::{self, FilterReturn};
use core::ffi::CStr;
use core::fmt;
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use linux_raw_sys::general as uapi;
use rustix::fd::{FromRawFd, IntoRawFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions, WaitStatus};

use seccomp_core::bpf::Validated;

/// A null-terminated array of pointers to C strings (`argv` or `envp` for `execve`), built without
/// allocation in caller-provided storage.
#[derive(Debug, Clone, Copy)]
pub struct CStrArray<'a> {
    ptrs: &'a [*const u8],
    _strings: PhantomData<&'a CStr>,
}

impl<'a> CStrArray<'a> {
    /// Fills `storage` with pointers to `strings` followed by a null pointer, and returns the array. `None`
    /// when `storage` has fewer than `strings.len() + 1` slots.
    pub fn new(strings: &[&'a CStr], storage: &'a mut [*const u8]) -> Option<CStrArray<'a>> {
        let used = storage.get_mut(..strings.len() + 1)?;
        for (slot, string) in used.iter_mut().zip(strings) {
            *slot = string.as_ptr().cast();
        }
        *used.last_mut()? = ptr::null();
        Some(CStrArray {
            ptrs: used,
            _strings: PhantomData,
        })
    }

    /// The number of strings (without the terminating null).
    pub fn len(&self) -> usize {
        self.ptrs.len().saturating_sub(1)
    }

    /// Whether the array holds no string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What to run: the path of the program, its arguments and its environment.
#[derive(Debug, Clone, Copy)]
pub struct Exec<'a> {
    /// The program's path, as `execve` takes it (no `PATH` search).
    pub path: &'a CStr,
    /// The arguments, `argv[0]` first.
    pub argv: CStrArray<'a>,
    /// The environment, `NAME=value` strings.
    pub envp: CStrArray<'a>,
}

/// How the child confines itself before exec.
#[derive(Debug, Clone, Copy)]
pub struct Confinement<'a> {
    /// The filter program, validated (by `seccomp_core::bpf::validate` or the policy compiler): an
    /// unchecked instruction slice cannot reach the kernel through here.
    pub program: Validated<'a>,
    /// The filter flags; with [`FilterFlags::NEW_LISTENER`] the spawned [`Child`] hands over the listener.
    pub flags: FilterFlags,
    /// Set `no_new_privs` first. Without it installing needs `CAP_SYS_ADMIN`.
    pub no_new_privs: bool,
    /// Signal dispositions to restore in the child before installing: each is a signal number and the
    /// disposition the parent saved (see [`ignore_signal`]); SIGPIPE is always reset to the default.
    pub restore: &'a [SavedSignal],
    /// The signal mask the child sets before installing (the mask the parent had before
    /// [`block_signals`]), or `None` to keep the parent's.
    pub signal_mask: Option<SignalMask>,
    /// End the child with SIGKILL when the thread that spawned it dies (`PR_SET_PDEATHSIG`, set before the
    /// filter; if the parent is already gone by then the child exits with 125 instead of running). The
    /// kernel clears it when the child execs a set-user-ID or set-group-ID program (possible only without
    /// `no_new_privs`), so a supervisor that runs those must watch for its own death otherwise.
    pub die_with_parent: bool,
}

/// A set of signals, as the kernel's 64-bit `sigset_t` (bit `N - 1` for signal `N`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignalMask(u64);

impl SignalMask {
    /// The set of `signals` (numbers 1 to 64; others are left out).
    pub fn of(signals: &[u32]) -> SignalMask {
        SignalMask(
            signals
                .iter()
                .filter(|&&signal| (1..=64).contains(&signal))
                .fold(0, |set, &signal| set | 1 << (signal - 1)),
        )
    }
}

/// `SIG_BLOCK`.
const SIG_BLOCK: usize = 0;
/// `SIG_SETMASK`.
const SIG_SETMASK: usize = 2;

/// `rt_sigprocmask(how, set, old, 8)` for the calling thread.
fn sigprocmask(how: usize, set: &SignalMask) -> Result<SignalMask, Errno> {
    let mut old = SignalMask::default();
    // SAFETY: the kernel reads one 8-byte sigset from `set` and writes one to `old`, both live for the call.
    unsafe {
        raw::syscall4(
            uapi::__NR_rt_sigprocmask,
            how,
            ptr::from_ref(set) as usize,
            ptr::from_mut(&mut old) as usize,
            8,
        )
    }?;
    Ok(old)
}

/// `rt_sigprocmask(SIG_BLOCK, signals)` in the calling thread, returning the mask it had before.
///
/// A supervisor blocks the termination signals (SIGTERM, SIGHUP) before it starts any thread, so that
/// every thread inherits the block and [`wait_signal`] alone takes them: it then forwards them to the
/// command instead of dying and leaving the command unsupervised. Pass the returned mask in
/// [`Confinement::signal_mask`] so the child gets the original mask back. Since Linux 2.2.
///
/// # References
/// - sigprocmask(2), pthread_sigmask(3)
pub fn block_signals(signals: &[u32]) -> Result<SignalMask, Errno> {
    sigprocmask(SIG_BLOCK, &SignalMask::of(signals))
}

/// `rt_sigprocmask(SIG_SETMASK, mask)` in the calling thread (undoes [`block_signals`]).
pub fn set_signal_mask(mask: SignalMask) -> Result<(), Errno> {
    sigprocmask(SIG_SETMASK, &mask).map(drop)
}

/// `rt_sigtimedwait(signals, NULL, timeout, 8)`: takes one pending signal of `signals` (blocked in every
/// thread, see [`block_signals`]), waiting at most `timeout`; `None` when none came. Since Linux 2.2.
///
/// # References
/// - sigtimedwait(2)
pub fn wait_signal(signals: &[u32], timeout: core::time::Duration) -> Result<Option<u32>, Errno> {
    let set = SignalMask::of(signals);
    let timeout = linux_raw_sys::general::__kernel_timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    // SAFETY: the kernel reads the 8-byte set and the timespec, both live for the call; the siginfo
    // pointer is null, so nothing is written.
    let result = unsafe {
        raw::syscall4(
            uapi::__NR_rt_sigtimedwait,
            ptr::from_ref(&set) as usize,
            0,
            ptr::from_ref(&timeout) as usize,
            8,
        )
    };
    match result {
        Ok(signal) => Ok(u32::try_from(signal).ok()),
        Err(Errno::AGAIN | Errno::INTR) => Ok(None),
        Err(errno) => Err(errno),
    }
}

/// The stage at which the child failed before running the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Restoring a signal disposition (`rt_sigaction`).
    Signals,
    /// Setting up the guard of [`spawn_guarded`] (subreaper, fork of the command, private fd table).
    Guard,
    /// `prctl(PR_SET_NO_NEW_PRIVS)`.
    NoNewPrivs,
    /// `seccomp(SECCOMP_SET_MODE_FILTER)`.
    Install,
}

/// Why [`spawn`] or [`Child::wait_ready`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// Mapping the shared page or `clone` failed in the parent.
    Fork(Errno),
    /// The child failed at `stage` with `errno` before running the program, and exited with 125.
    Child {
        /// Where.
        stage: Stage,
        /// The errno of the failed call.
        errno: Errno,
    },
    /// The child ended before reporting anything (it was killed from outside).
    DiedEarly(ExitStatus),
    /// `waitpid` on the child failed.
    Wait(Errno),
    /// The guard of [`spawn_guarded`] ended before the command's tree (it was killed from outside); the
    /// command, which dies with it, was not seen to end.
    GuardDied(ExitStatus),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::Fork(errno) => write!(f, "cannot start the child process: {errno}"),
            SpawnError::Child {
                stage: Stage::Signals,
                errno,
            } => write!(f, "the child could not restore its signal dispositions: {errno}"),
            SpawnError::Child {
                stage: Stage::NoNewPrivs,
                errno,
            } => write!(f, "the child could not set no_new_privs: {errno}"),
            SpawnError::Child {
                stage: Stage::Install,
                errno,
            } => write!(
                f,
                "the child could not install the filter: {}",
                crate::filter::InstallError::from_errno(*errno)
            ),
            SpawnError::DiedEarly(status) => {
                write!(f, "the child ended before installing its filter ({status})")
            }
            SpawnError::Wait(errno) => write!(f, "waiting for the child failed: {errno}"),
            SpawnError::Child {
                stage: Stage::Guard,
                errno,
            } => write!(f, "the guard process could not be set up: {errno}"),
            SpawnError::GuardDied(status) => write!(
                f,
                "the guard process ended before the command ({status}); the command was killed with it"
            ),
        }
    }
}

impl core::error::Error for SpawnError {}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this status (`exit_group(code)`, the low 8 bits).
    Exited(u8),
    /// A signal killed it.
    Signaled {
        /// The signal number.
        signal: u8,
        /// Whether it dumped core.
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// The status as a shell reports it: the exit code, or 128 + the signal number.
    pub const fn shell_code(self) -> u8 {
        match self {
            ExitStatus::Exited(code) => code,
            ExitStatus::Signaled { signal, .. } => 128u8.wrapping_add(signal),
        }
    }

    /// The status of a raw wait status (as `waitpid` writes it) that says the child ended, `None` for
    /// stopped or continued.
    pub fn from_raw(raw: i32) -> Option<ExitStatus> {
        let low = raw & 0x7f;
        if low == 0 {
            return Some(ExitStatus::Exited(((raw >> 8) & 0xff) as u8));
        }
        // WIFSIGNALED: neither exited nor stopped (0x7f).
        (low != 0x7f).then_some(ExitStatus::Signaled {
            signal: low as u8,
            core_dumped: raw & 0x80 != 0,
        })
    }

    /// The status of a `waitpid` result that says the child ended, `None` for stopped or continued.
    pub fn from_wait(status: WaitStatus) -> Option<ExitStatus> {
        if let Some(code) = status.exit_status() {
            return Some(ExitStatus::Exited(code as u8));
        }
        status.terminating_signal().map(|signal| ExitStatus::Signaled {
            signal: signal as u8,
            core_dumped: status.as_raw() & 0x80 != 0,
        })
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Exited(code) => write!(f, "exit status {code}"),
            ExitStatus::Signaled { signal, core_dumped } => {
                write!(f, "killed by signal {signal}")?;
                if *core_dumped {
                    f.write_str(" (core dumped)")?;
                }
                Ok(())
            }
        }
    }
}

/// The words the child and the parent share.
#[repr(C)]
struct Shared {
    /// One of the `STATE_*` values.
    state: AtomicU32,
    /// The listener fd number in the shared table, or -1; written before `state` leaves `STARTING`.
    listener: AtomicI32,
    /// The errno of the failure the state names.
    errno: AtomicI32,
    /// The stage of a pre-exec failure (`Stage as u32`).
    stage: AtomicU32,
    /// Nonzero once the child failed and its filter refuses `exit_group` and `exit` too: it spins until
    /// the parent kills it (see the module documentation).
    stuck: AtomicU32,
    /// The parent's pid, written before the fork (for the child's `PR_SET_PDEATHSIG` check).
    parent: AtomicI32,
    /// What the guard of [`spawn_guarded`] and the supervisor share.
    guard: guard::Words,
}

/// `PR_SET_PDEATHSIG`.
const PR_SET_PDEATHSIG: usize = 1;

const STATE_STARTING: u32 = 0;
const STATE_INSTALLED: u32 = 1;
const STATE_FAILED: u32 = 2;
const STATE_EXEC_FAILED: u32 = 3;

/// Length of the shared mapping (the kernel rounds it up to its page size).
const SHARED_LEN: usize = 4096;

/// One `MAP_SHARED | MAP_ANONYMOUS` mapping holding a [`Shared`].
#[derive(Debug)]
struct SharedPage {
    addr: *mut Shared,
}

impl SharedPage {
    fn new() -> Result<SharedPage, Errno> {
        use rustix::mm::{MapFlags, ProtFlags};
        // SAFETY: an anonymous mapping at a kernel-chosen address changes no existing memory; the result is
        // a fresh zero-filled page owned by this value and unmapped once in Drop.
        let addr = unsafe {
            rustix::mm::mmap_anonymous(
                ptr::null_mut(),
                SHARED_LEN,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
            )
        }?;
        Ok(SharedPage {
            addr: addr.cast::<Shared>(),
        })
    }

    fn get(&self) -> &Shared {
        // SAFETY: `addr` is a live, page-aligned, zero-initialized mapping of SHARED_LEN bytes for the life
        // of `self`; `Shared` is five atomics (all-zero is a valid value of each), and atomics may be
        // accessed through shared references from several processes.
        unsafe { &*self.addr }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: the mapping was created by `new` with this length and nothing borrows it any more.
        let _ = unsafe { rustix::mm::munmap(self.addr.cast(), SHARED_LEN) };
    }
}

/// A signal disposition saved by [`ignore_signal`], which the child restores before exec.
#[derive(Debug, Clone, Copy)]
pub struct SavedSignal {
    signal: u32,
    action: KernelSigaction,
}

/// The kernel's `struct sigaction` (same layout on x86_64 and aarch64: handler, flags, restorer, mask).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct KernelSigaction {
    handler: usize,
    flags: usize,
    restorer: usize,
    mask: u64,
}

/// `SIG_DFL`.
const SIG_DFL: usize = 0;
/// `SIG_IGN`.
const SIG_IGN: usize = 1;

/// `rt_sigaction(signal, new, old, 8)`.
fn sigaction(signal: u32, new: &KernelSigaction, old: Option<&mut KernelSigaction>) -> Result<(), Errno> {
    let old = old.map_or(ptr::null_mut(), |old| old as *mut KernelSigaction);
    // SAFETY: the kernel reads one `struct sigaction` from `new` and writes one to `old` (or nothing when it
    // is null); both are live for the call, and the mask size is the kernel's 64-bit sigset. Installing
    // SIG_DFL, SIG_IGN or a disposition read back from the kernel cannot run foreign code.
    unsafe {
        raw::syscall4(
            uapi::__NR_rt_sigaction,
            signal as usize,
            ptr::from_ref(new) as usize,
            old as usize,
            8,
        )
    }
    .map(drop)
}

/// `rt_sigaction(signal, SIG_IGN)`, returning the disposition it replaced.
///
/// A supervisor ignores SIGINT and SIGQUIT while it waits, as `system(3)` does: a Ctrl-C reaches the whole
/// foreground process group, and the supervised program should decide what it means, while the supervisor
/// keeps answering notifications and reports the program's status. Pass the result in
/// [`Confinement::restore`] so the child gets the original disposition back. Since Linux 2.2.
///
/// # References
/// - sigaction(2), system(3)
pub fn ignore_signal(signal: u32) -> Result<SavedSignal, Errno> {
    let mut old = KernelSigaction::default();
    let ignore = KernelSigaction {
        handler: SIG_IGN,
        ..KernelSigaction::default()
    };
    sigaction(signal, &ignore, Some(&mut old))?;
    Ok(SavedSignal { signal, action: old })
}

/// Puts back a disposition saved by [`ignore_signal`] in the calling process.
pub fn restore_signal(saved: &SavedSignal) -> Result<(), Errno> {
    sigaction(saved.signal, &saved.action, None)
}

/// A child started by [`spawn`] or [`spawn_guarded`].
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    page: SharedPage,
    status: Option<ExitStatus>,
    guard: Option<Guard>,
}

/// The guard of a [`spawn_guarded`] child.
#[derive(Debug)]
struct Guard {
    pid: Pid,
    /// Its status once reaped.
    reaped: Option<ExitStatus>,
}

/// What the child reported once its filter was installed.
#[derive(Debug)]
pub struct Ready {
    /// The listener, when the filter was installed with [`FilterFlags::NEW_LISTENER`].
    pub listener: Option<Listener>,
}

/// `clone(CLONE_FILES | SIGCHLD)`: fork with a shared fd table.
///
/// # Safety
///
/// The child may only run async-signal-safe code and must end in `execve` or `exit_group`; it must not
/// close or replace fds it did not create, since the table is the parent's.
unsafe fn clone_files() -> Result<usize, Errno> {
    // SAFETY: with a null stack the child runs on a copy of this stack in a copy of the address space, as
    // after fork(2); the caller upholds the restrictions on the child.
    unsafe {
        raw::syscall6(
            uapi::__NR_clone,
            (uapi::CLONE_FILES | uapi::SIGCHLD) as usize,
            0,
            0,
            0,
            0,
            0,
        )
    }
}

/// Starts `exec.path` in a child confined by `confinement`, using the shared-fd-table handshake described
/// in the module documentation. Call [`Child::wait_ready`] next to learn whether the filter was installed
/// and to take the listener.
///
/// While the child has not exec'd it shares the caller's fd table; do not close fds you do not own
/// meanwhile (safe Rust never does).
pub fn spawn(exec: &Exec<'_>, confinement: &Confinement<'_>) -> Result<Child, SpawnError> {
    let page = SharedPage::new().map_err(SpawnError::Fork)?;
    page.get().parent.store(
        rustix::process::getpid().as_raw_nonzero().get(),
        Ordering::Relaxed,
    );
    // SAFETY: the child branch below calls only `child_main`, which makes raw syscalls on memory prepared
    // before this point (the shared page, `exec`, `confinement`), never allocates, locks or unwinds, closes
    // no fd, and ends in execve or exit_group.
    let ret = unsafe { clone_files() }.map_err(SpawnError::Fork)?;
    if ret == 0 {
        child_main(page.get(), exec, confinement, confinement.signal_mask);
    }
    let pid = i32::try_from(ret)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or(SpawnError::Fork(Errno::INVAL))?;
    Ok(Child {
        pid,
        page,
        status: None,
        guard: None,
    })
}

/// Like [`spawn`], with a guard process between the caller and the command, so that the command and
/// every process it starts end with the caller, SIGKILL included, and none of them ever sees a notified
/// syscall fail because the caller is gone (the crate's `guard` module): the guard is a child subreaper, holds
/// its own copy of the listener, and kills the whole tree when the caller dies or calls [`Child::end`].
///
/// [`Child::pid`] is the command's pid (a grandchild of the caller); [`Child::try_wait`] and
/// [`Child::wait`] report the command's status, which the guard reaps and publishes. The caller should
/// end with [`Child::end`] (dropping the `Child` does it too), which also reaps the guard.
pub fn spawn_guarded(exec: &Exec<'_>, confinement: &Confinement<'_>) -> Result<Child, SpawnError> {
    let page = SharedPage::new().map_err(SpawnError::Fork)?;
    let shared = page.get();
    shared.guard.supervisor.store(
        rustix::process::getpid().as_raw_nonzero().get(),
        Ordering::Relaxed,
    );
    // SAFETY: the child branch runs only `guard::guard_main` and, in the command, `child_main`: raw
    // syscalls on memory prepared before this point, no allocation, no lock, no unwinding, no fd closed in
    // the shared table, ending in execve or exit_group (see `crate::guard`).
    let ret = unsafe { clone_files() }.map_err(SpawnError::Fork)?;
    if ret == 0 {
        guard::guard_main(&shared.guard, &shared.state, &shared.listener, |old_mask| {
            shared.parent.store(
                rustix::process::getpid().as_raw_nonzero().get(),
                Ordering::Relaxed,
            );
            // SAFETY: as for the guard; the command's branch runs only `child_main`.
            let ret = unsafe { clone_files() }?;
            if ret == 0 {
                let mask = confinement.signal_mask.or(Some(SignalMask(old_mask)));
                child_main(shared, exec, confinement, mask);
            }
            i32::try_from(ret).map_err(|_| Errno::INVAL)
        });
    }
    let guard = i32::try_from(ret)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or(SpawnError::Fork(Errno::INVAL))?;
    let mut child = Child {
        pid: guard,
        page,
        status: None,
        guard: Some(Guard {
            pid: guard,
            reaped: None,
        }),
    };
    // The command's pid comes right after the guard's fork of it.
    loop {
        let command = child.page.get().guard.command.load(Ordering::Acquire);
        if let Some(pid) = i32::try_from(command).ok().and_then(Pid::from_raw) {
            child.pid = pid;
            return Ok(child);
        }
        if child.page.get().guard.state.load(Ordering::Acquire) == guard::GUARD_FAILED {
            return Err(child.guard_failure());
        }
        if let Some(status) = child.reap_guard(false)? {
            return Err(SpawnError::DiedEarly(status));
        }
        guard::wait(
            &child.page.get().guard.command,
            0,
            core::time::Duration::from_millis(10),
        );
    }
}

/// The child: restore signals, no_new_privs, install, publish, exec. Never returns.
fn child_main(
    shared: &Shared,
    exec: &Exec<'_>,
    confinement: &Confinement<'_>,
    mask: Option<SignalMask>,
) -> ! {
    fn fail(shared: &Shared, stage: Stage, errno: Errno) -> ! {
        shared.errno.store(errno.raw_os_error(), Ordering::Relaxed);
        shared.stage.store(stage as u32, Ordering::Relaxed);
        shared.listener.store(-1, Ordering::Relaxed);
        shared.state.store(STATE_FAILED, Ordering::Release);
        child_exit(shared, 125)
    }
    let default = KernelSigaction {
        handler: SIG_DFL,
        ..KernelSigaction::default()
    };
    if let Err(errno) = sigaction(uapi::SIGPIPE, &default, None) {
        fail(shared, Stage::Signals, errno);
    }
    for saved in confinement.restore {
        if let Err(errno) = sigaction(saved.signal, &saved.action, None) {
            fail(shared, Stage::Signals, errno);
        }
    }
    if let Some(mask) = &mask
        && let Err(errno) = sigprocmask(SIG_SETMASK, mask)
    {
        fail(shared, Stage::Signals, errno);
    }
    if confinement.die_with_parent {
        // SAFETY: prctl(PR_SET_PDEATHSIG, SIGKILL) takes two integers and touches no memory.
        let set = unsafe { raw::syscall3(uapi::__NR_prctl, PR_SET_PDEATHSIG, uapi::SIGKILL as usize, 0) };
        if let Err(errno) = set {
            fail(shared, Stage::Signals, errno);
        }
        // The parent may have died before the prctl: then nobody would ever kill us.
        // SAFETY: getppid takes no argument and cannot fail.
        let parent = unsafe { raw::syscall0(uapi::__NR_getppid) };
        if parent.ok() != usize::try_from(shared.parent.load(Ordering::Relaxed)).ok() {
            fail(shared, Stage::Signals, Errno::SRCH);
        }
    }
    if confinement.no_new_privs
        && let Err(errno) = crate::filter::set_no_new_privs()
    {
        fail(shared, Stage::NoNewPrivs, errno);
    }
    // From here on every syscall may be a notification: only atomics until execve.
    let listener = match raw::seccomp_set_mode_filter(confinement.flags.bits(), confinement.program.insns()) {
        // The fd lives in the shared table and now belongs to the parent: forget it without closing.
        Ok(FilterReturn::Listener(fd)) => fd.into_raw_fd(),
        Ok(FilterReturn::Installed) => -1,
        Ok(FilterReturn::TsyncFailed(_)) => fail(shared, Stage::Install, Errno::SRCH),
        Err(errno) => fail(shared, Stage::Install, errno),
    };
    shared.listener.store(listener, Ordering::Relaxed);
    shared.state.store(STATE_INSTALLED, Ordering::Release);
    // SAFETY: the path is a CStr and both arrays are null-terminated arrays of CStr pointers (CStrArray's
    // invariant), all borrowed from the parent's memory, which the child's copy still holds.
    let errno = unsafe {
        raw::execve(
            exec.path.as_ptr().cast(),
            exec.argv.ptrs.as_ptr(),
            exec.envp.ptrs.as_ptr(),
        )
    };
    shared.errno.store(errno.raw_os_error(), Ordering::Relaxed);
    shared.state.store(STATE_EXEC_FAILED, Ordering::Release);
    child_exit(shared, if errno == Errno::NOENT { 127 } else { 126 })
}

/// Ends the child with `code`, even under a filter that refuses `exit_group` (a policy that fails every
/// syscall with an errno does): `exit_group`, then `exit`; if the filter refuses both, the child records
/// `stuck` and spins without syscalls until the parent, which watches for that state in
/// [`Child::try_wait`] and [`Child::wait`], kills it with SIGKILL (which no filter can refuse).
fn child_exit(shared: &Shared, code: i32) -> ! {
    for nr in [uapi::__NR_exit_group, uapi::__NR_exit] {
        // SAFETY: exit_group and exit take one integer and end the process (or this only thread) without
        // returning; if a filter makes them fail they return an errno and change nothing.
        let _ = unsafe { raw::syscall3(nr, code as usize, 0, 0) };
    }
    shared.stuck.store(1, Ordering::Release);
    loop {
        core::hint::spin_loop();
    }
}

impl Child {
    /// The child's pid (with [`spawn_guarded`], the command's, not the guard's).
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The guard's pid, with [`spawn_guarded`].
    pub fn guard_pid(&self) -> Option<Pid> {
        self.guard.as_ref().map(|guard| guard.pid)
    }

    /// Waits until the child installed its filter (or failed to), and hands over the listener.
    ///
    /// Polls the shared page with sleeps growing from 20 µs to 1 ms, and checks with `waitpid(WNOHANG)`
    /// that the child is still alive (with [`spawn_guarded`] the guard does that and wakes the caller once
    /// it holds its own copy of the listener). A child that failed before exec has been reaped when this
    /// returns [`SpawnError::Child`] or [`SpawnError::DiedEarly`]. Must be called once.
    pub fn wait_ready(&mut self) -> Result<Ready, SpawnError> {
        if self.guard.is_some() {
            self.wait_guard_ready()?;
        }
        let mut sleep_ns: i64 = 20_000;
        loop {
            let state = self.page.get().state.load(Ordering::Acquire);
            if state != STATE_STARTING {
                if state == STATE_FAILED {
                    self.wait()?;
                }
                let shared = self.page.get();
                if state == STATE_FAILED {
                    let errno = Errno::from_raw_os_error(shared.errno.load(Ordering::Relaxed));
                    let stage = match shared.stage.load(Ordering::Relaxed) {
                        s if s == Stage::Signals as u32 => Stage::Signals,
                        s if s == Stage::NoNewPrivs as u32 => Stage::NoNewPrivs,
                        _ => Stage::Install,
                    };
                    return Err(SpawnError::Child { stage, errno });
                }
                let fd = shared.listener.load(Ordering::Relaxed);
                let listener = (fd >= 0).then(|| {
                    // SAFETY: the child opened this fd in the fd table it shares with us and published it
                    // without closing it; its exec'd copy of the table drops it (close-on-exec), and a
                    // guard holds it in its own copy. Nothing else in this process owns the number, so the
                    // OwnedFd becomes its sole owner.
                    Listener::from(unsafe { OwnedFd::from_raw_fd(fd) })
                });
                return Ok(Ready { listener });
            }
            if let Some(status) = self.try_wait()? {
                // It may have published just before dying: look once more.
                if self.page.get().state.load(Ordering::Acquire) == STATE_STARTING {
                    return Err(SpawnError::DiedEarly(status));
                }
                continue;
            }
            let _ = rustix::thread::nanosleep(&rustix::thread::Timespec {
                tv_sec: 0,
                tv_nsec: sleep_ns,
            });
            sleep_ns = (sleep_ns * 2).min(1_000_000);
        }
    }

    /// With a guard: waits until it holds its copy of the listener (or failed).
    fn wait_guard_ready(&mut self) -> Result<(), SpawnError> {
        loop {
            match self.page.get().guard.state.load(Ordering::Acquire) {
                guard::GUARD_READY => return Ok(()),
                guard::GUARD_FAILED => return Err(self.guard_failure()),
                _ => {}
            }
            if let Some(status) = self.reap_guard(false)? {
                if self.page.get().guard.state.load(Ordering::Acquire) == guard::GUARD_FAILED {
                    return Err(self.guard_failure());
                }
                return Err(SpawnError::DiedEarly(status));
            }
            guard::wait(
                &self.page.get().guard.state,
                guard::GUARD_STARTING,
                core::time::Duration::from_millis(10),
            );
        }
    }

    /// The error of a guard that reported `GUARD_FAILED` (it is reaped first).
    fn guard_failure(&mut self) -> SpawnError {
        let _ = self.reap_guard(true);
        let errno = Errno::from_raw_os_error(self.page.get().guard.errno.load(Ordering::Relaxed));
        SpawnError::Child {
            stage: Stage::Guard,
            errno,
        }
    }

    /// `waitpid` on the guard (blocking or not): its status once it ended.
    fn reap_guard(&mut self, block: bool) -> Result<Option<ExitStatus>, SpawnError> {
        let Some(guard) = self.guard.as_mut() else {
            return Ok(None);
        };
        if guard.reaped.is_some() {
            return Ok(guard.reaped);
        }
        let options = if block {
            WaitOptions::empty()
        } else {
            WaitOptions::NOHANG
        };
        loop {
            match rustix::process::waitpid(Some(guard.pid), options) {
                Ok(Some((_, status))) => {
                    guard.reaped = ExitStatus::from_wait(status);
                    if guard.reaped.is_some() || !block {
                        return Ok(guard.reaped);
                    }
                }
                Ok(None) => return Ok(None),
                Err(Errno::INTR) => {}
                Err(errno) => return Err(SpawnError::Wait(errno)),
            }
        }
    }

    /// The command's status as its guard published it, if it was reaped.
    fn guarded_status(&self) -> Option<ExitStatus> {
        let words = &self.page.get().guard;
        (words.exited.load(Ordering::Acquire) != 0)
            .then(|| ExitStatus::from_raw(words.status.load(Ordering::Relaxed)))
            .flatten()
    }

    /// `waitpid(pid, WNOHANG)`: the exit status if the child has ended (it is then reaped; later calls
    /// return the same status).
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, SpawnError> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        if self.guard.is_some() {
            if let Some(status) = self.guarded_status() {
                self.status = Some(status);
                return Ok(Some(status));
            }
            if self.page.get().stuck.load(Ordering::Acquire) != 0 {
                // It cannot exit on its own (see `child_exit`); the guard has not reaped it.
                let _ = rustix::process::kill_process(self.pid, rustix::process::Signal::KILL);
            }
            if let Some(status) = self.reap_guard(false)? {
                // The guard publishes the status before it may end.
                return match self.guarded_status() {
                    Some(command) => {
                        self.status = Some(command);
                        Ok(Some(command))
                    }
                    None => Err(SpawnError::GuardDied(status)),
                };
            }
            return Ok(None);
        }
        loop {
            match rustix::process::waitpid(Some(self.pid), WaitOptions::NOHANG) {
                Ok(Some((_, status))) => {
                    if let Some(status) = ExitStatus::from_wait(status) {
                        self.status = Some(status);
                        return Ok(Some(status));
                    }
                    return Ok(None);
                }
                Ok(None) => {
                    if self.page.get().stuck.load(Ordering::Acquire) != 0 {
                        // It cannot exit on its own (see `child_exit`).
                        let _ = rustix::process::kill_process(self.pid, rustix::process::Signal::KILL);
                    }
                    return Ok(None);
                }
                Err(Errno::INTR) => continue,
                Err(errno) => return Err(SpawnError::Wait(errno)),
            }
        }
    }

    /// Waits until the child ends and returns its status (reaping it).
    ///
    /// Sleeps on a pidfd of the child (5.3+; short sleeps otherwise), or with a guard on the futex the
    /// guard wakes when it reaped the command, and looks at the shared page at least once a second, so
    /// that a child stuck after a failed exec (see the module documentation) is killed rather than waited
    /// for forever.
    pub fn wait(&mut self) -> Result<ExitStatus, SpawnError> {
        let pidfd = if self.guard.is_some() {
            None
        } else {
            crate::fdpass::pidfd_open(self.pid).ok()
        };
        let mut sleep_ns: i64 = 1_000_000;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            let timeout = rustix::event::Timespec {
                tv_sec: sleep_ns / 1_000_000_000,
                tv_nsec: sleep_ns % 1_000_000_000,
            };
            match &pidfd {
                _ if self.guard.is_some() => guard::wait(
                    &self.page.get().guard.exited,
                    0,
                    core::time::Duration::from_nanos(sleep_ns as u64),
                ),
                Some(pidfd) => {
                    let mut fds = [rustix::event::PollFd::new(pidfd, rustix::event::PollFlags::IN)];
                    let _ = rustix::event::poll(&mut fds, Some(&timeout));
                }
                None => {
                    let _ = rustix::thread::nanosleep(&timeout);
                }
            }
            sleep_ns = (sleep_ns * 2).min(1_000_000_000);
        }
    }

    /// Ends whatever is left of the command's tree and waits for that: with a guard, asks it to kill
    /// every process under it with SIGKILL (until none is left) and reaps it, waiting at most `patience`
    /// (the guard finishes on its own if that runs out); without one, SIGKILL to the child if it was not
    /// seen to end. The command's status stays as [`Child::status`] saw it.
    pub fn end(&mut self, patience: core::time::Duration) {
        let Some(guard) = self.guard.as_ref() else {
            if self.status.is_none() {
                let _ = rustix::process::kill_process(self.pid, rustix::process::Signal::KILL);
            }
            return;
        };
        if guard.reaped.is_some() {
            return;
        }
        let pid = guard.pid;
        self.page.get().guard.end.store(1, Ordering::Release);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::USR1);
        let pidfd = crate::fdpass::pidfd_open(pid).ok();
        // Slices of 10 ms (a pidfd wakes earlier when the guard ends).
        for _ in 0..(patience.as_millis() / 10).max(1) {
            if !matches!(self.reap_guard(false), Ok(None)) {
                break;
            }
            let slice = rustix::event::Timespec {
                tv_sec: 0,
                tv_nsec: 10_000_000,
            };
            match &pidfd {
                Some(pidfd) => {
                    let mut fds = [rustix::event::PollFd::new(pidfd, rustix::event::PollFlags::IN)];
                    let _ = rustix::event::poll(&mut fds, Some(&slice));
                }
                None => {
                    let _ = rustix::thread::nanosleep(&slice);
                }
            }
        }
        if self.status.is_none() {
            self.status = self.guarded_status();
        }
    }

    /// The status once [`Child::try_wait`] or [`Child::wait`] saw the child end.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// The errno of a failed `execve`, once the child ended: `Some` means the program never ran and the
    /// child exited with 127 (`ENOENT`) or 126, or was killed with SIGKILL when its filter refused to let it
    /// exit (see the module documentation).
    pub fn exec_error(&self) -> Option<Errno> {
        let shared = self.page.get();
        (shared.state.load(Ordering::Acquire) == STATE_EXEC_FAILED)
            .then(|| Errno::from_raw_os_error(shared.errno.load(Ordering::Relaxed)))
    }
}

impl Drop for Child {
    /// With a guard: ends the command's tree (see [`Child::end`]), waiting at most a second.
    fn drop(&mut self) {
        if self.guard.is_some() {
            self.end(core::time::Duration::from_secs(1));
        }
    }
}
