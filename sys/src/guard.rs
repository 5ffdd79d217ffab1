//! The guard: an unfiltered process between the supervisor and the command, so that the command and
//! every process it starts end with the supervisor, even when the supervisor is killed with SIGKILL.
//!
//! # Why
//!
//! `PR_SET_PDEATHSIG` ends the supervisor's direct child when the supervisor dies, but it is not inherited:
//! a shell's background job or a daemon's workers outlive it. And once the last listener fd is closed the
//! kernel answers every notified syscall of the filter with `ENOSYS`, so those survivors would run on with
//! syscalls failing in ways they never would unsupervised.
//!
//! # How
//!
//! [`spawn_guarded`](crate::spawn::spawn_guarded) forks the guard (sharing the supervisor's fd table, as the
//! plain spawn shares it with the command), and the guard
//! 1. becomes a child subreaper (`PR_SET_CHILD_SUBREAPER`, 3.4), so every orphan of the command's tree is
//!    re-parented to it rather than to init,
//! 2. forks the command (the handshake of [`crate::spawn`], unchanged) and publishes its pid,
//! 3. once the command published its listener, takes a private copy of the fd table (`unshare(CLONE_FILES)`)
//!    and closes everything in it but the listener: while the guard lives the listener stays open, so a
//!    notified syscall made after the supervisor died stays parked in the kernel instead of failing,
//! 4. reaps the command (publishing its wait status in the shared page, with a futex wake) and every
//!    orphan, sleeping in `poll` on a `signalfd` (SIGCHLD, and SIGUSR1 from the supervisor) and a pidfd of
//!    the supervisor (5.3; before that it checks `getppid` every 100 ms),
//! 5. when the supervisor dies, or asks it to ([`Child::end`](crate::spawn::Child::end)), kills the whole tree
//!    with SIGKILL, again and again until it has no child left, and exits.
//!
//! The tree is found by reading `/proc/*/stat` (the parent of every process): every process whose chain of
//! parents reaches the guard. The guard's own children are killed even when the table of processes is full,
//! and since the children of a killed process are re-parented to the guard, the rounds converge. If `/proc`
//! is not this pid namespace's (its `self` is not the guard), only the command itself is killed.
//!
//! Considered and not taken: a pid namespace (`unshare --kill-child`, bubblewrap's `--die-with-parent`
//! with `--unshare-pid`) needs privileges and changes the pids the command sees; `cgroup.kill` (5.14,
//! systemd) needs a delegated cgroup; `PTRACE_O_EXITKILL` (strace `--kill-on-exit`) needs the tracer to
//! trace every process.
//!
//! # Safety
//!
//! The guard is a `clone(CLONE_FILES)` child of a possibly multi-threaded process, so like the command's
//! child it only makes raw syscalls (directly or through rustix's `linux_raw` backend, which neither
//! allocates nor locks) on memory prepared before the fork or on its own stack, and ends in `exit_group`.
//! The unsafe blocks are raw syscalls rustix lacks (`unshare`, `close_range`, `signalfd4`,
//! `rt_sigprocmask`), each taking integers or pointers to live locals, and the anonymous mapping of the
//! process table.
#![allow(unsafe_code)]

use crate::raw;
use core::ffi::CStr;
use core::mem::MaybeUninit;
use core::ptr;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use linux_raw_sys::general as uapi;
use rustix::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions};

/// The words the guard and the supervisor share (inside the spawn's shared page).
#[repr(C)]
#[derive(Debug)]
pub(crate) struct Words {
    /// One of the `GUARD_*` values; the guard wakes the futex on it when it changes.
    pub(crate) state: AtomicU32,
    /// The errno of a failed guard set-up (`GUARD_FAILED`).
    pub(crate) errno: AtomicI32,
    /// The supervisor's pid, written before the guard is forked.
    pub(crate) supervisor: AtomicI32,
    /// The command's pid, written by the guard right after forking it (futex-woken).
    pub(crate) command: AtomicU32,
    /// Nonzero once the command was reaped; its raw wait status is then in `status` (futex-woken).
    pub(crate) exited: AtomicU32,
    /// The command's raw wait status.
    pub(crate) status: AtomicI32,
    /// Set by the supervisor (followed by SIGUSR1) to have the guard end the tree and exit.
    pub(crate) end: AtomicU32,
}

/// The guard is setting up.
pub(crate) const GUARD_STARTING: u32 = 0;
/// The guard holds its own copy of the listener and watches the supervisor.
pub(crate) const GUARD_READY: u32 = 1;
/// The guard could not be set up (`errno`); it killed the command, if it had started one, and exited.
pub(crate) const GUARD_FAILED: u32 = 2;

/// `PR_SET_CHILD_SUBREAPER`.
const PR_SET_CHILD_SUBREAPER: usize = 36;

/// The signals the guard takes through its signalfd.
const WATCHED: [u32; 2] = [uapi::SIGCHLD, uapi::SIGUSR1];

/// Signals the guard blocks besides, so that a terminal's or a process group's signal does not end it
/// before the tree (the supervisor already ignores SIGINT and SIGQUIT and forwards SIGTERM and SIGHUP).
const BLOCKED: [u32; 6] = [
    uapi::SIGHUP,
    uapi::SIGINT,
    uapi::SIGQUIT,
    uapi::SIGTERM,
    uapi::SIGUSR2,
    uapi::SIGPIPE,
];

/// Wakes every waiter on `word` (a shared futex: the supervisor is another process).
pub(crate) fn wake(word: &AtomicU32) {
    let _ = rustix::thread::futex::wake(word, rustix::thread::futex::Flags::empty(), u32::MAX);
}

/// Waits on `word` while it holds `value`, at most `timeout`.
pub(crate) fn wait(word: &AtomicU32, value: u32, timeout: core::time::Duration) {
    let timeout = rustix::thread::futex::Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    let _ = rustix::thread::futex::wait(word, rustix::thread::futex::Flags::empty(), value, Some(&timeout));
}

/// `rt_sigprocmask(SIG_BLOCK, set)`, returning the old mask as the kernel's 64-bit set.
fn block(signals: &[u32]) -> Result<u64, Errno> {
    let set = signals.iter().fold(0u64, |set, &signal| set | 1 << (signal - 1));
    let mut old = 0u64;
    // SAFETY: the kernel reads one 8-byte set and writes one, both locals live for the call.
    unsafe {
        raw::syscall4(
            uapi::__NR_rt_sigprocmask,
            0, // SIG_BLOCK
            ptr::from_ref(&set) as usize,
            ptr::from_mut(&mut old) as usize,
            8,
        )
    }?;
    Ok(old)
}

/// A non-blocking, close-on-exec signalfd for `signals` (blocked by the caller). Since 2.6.27.
fn signalfd(signals: &[u32]) -> Result<OwnedFd, Errno> {
    let set = signals.iter().fold(0u64, |set, &signal| set | 1 << (signal - 1));
    let flags = uapi::O_NONBLOCK | uapi::O_CLOEXEC; // SFD_NONBLOCK, SFD_CLOEXEC
    // SAFETY: the kernel reads one 8-byte set from a live local; -1 asks for a new fd.
    let fd = unsafe {
        raw::syscall4(
            uapi::__NR_signalfd4,
            usize::MAX, // -1
            ptr::from_ref(&set) as usize,
            8,
            flags as usize,
        )
    }?;
    // SAFETY: the kernel returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Gives the guard its own fd table and closes every fd in it but `keep` (the listener, or -1).
fn private_fds(keep: i32) -> Result<(), Errno> {
    // SAFETY: unshare(CLONE_FILES) takes an integer: the calling process gets a private copy of the table.
    unsafe { raw::syscall3(uapi::__NR_unshare, uapi::CLONE_FILES as usize, 0, 0) }?;
    let close_range = |first: u32, last: u32| {
        // SAFETY: close_range takes integers; it closes fds of this (now private) table only.
        unsafe { raw::syscall3(uapi::__NR_close_range, first as usize, last as usize, 0) }
    };
    let result = if keep < 0 {
        close_range(0, u32::MAX)
    } else {
        let keep = keep as u32;
        let below = if keep > 0 { close_range(0, keep - 1) } else { Ok(0) };
        below.and_then(|_| close_range(keep + 1, u32::MAX))
    };
    if result == Err(Errno::NOSYS) {
        // Before 5.9: the fds a process usually has (the guard only needs to hold none of them open).
        for fd in (0..1024).filter(|&fd| fd != keep) {
            // SAFETY: closing an fd of the private table; EBADF for numbers not in use is ignored.
            let _ = unsafe { raw::syscall3(uapi::__NR_close, fd as usize, 0, 0) };
        }
    }
    Ok(())
}

/// What [`reap`] found.
#[derive(Debug, PartialEq, Eq)]
enum Children {
    /// Some remain.
    Some,
    /// None remain (`ECHILD`).
    None,
}

/// Reaps every child that ended; publishes the command's status when it is among them.
fn reap(words: &Words, command: i32) -> Children {
    loop {
        match rustix::process::waitpid(None, WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => {
                if pid.as_raw_nonzero().get() == command && words.exited.load(Ordering::Relaxed) == 0 {
                    words.status.store(status.as_raw(), Ordering::Relaxed);
                    words.exited.store(1, Ordering::Release);
                    wake(&words.exited);
                }
            }
            Ok(None) => return Children::Some,
            Err(Errno::INTR) => {}
            Err(Errno::CHILD) => return Children::None,
            Err(_) => return Children::Some,
        }
    }
}

/// Sleeps `ns` nanoseconds.
fn nap(ns: i64) {
    let _ = rustix::thread::nanosleep(&rustix::thread::Timespec {
        tv_sec: ns / 1_000_000_000,
        tv_nsec: ns % 1_000_000_000,
    });
}

/// The guard's life after it forked the command (see the module documentation). Never returns.
///
/// `fork_command` forks the command and returns its pid (or the errno of the failed fork).
pub(crate) fn guard_main(
    words: &Words,
    command_state: &AtomicU32,
    listener: &AtomicI32,
    fork_command: impl FnOnce(u64) -> Result<i32, Errno>,
) -> ! {
    fn fail(words: &Words, errno: Errno) -> ! {
        words.errno.store(errno.raw_os_error(), Ordering::Relaxed);
        words.state.store(GUARD_FAILED, Ordering::Release);
        wake(&words.state);
        wake(&words.command);
        exit(125)
    }
    let _ = rustix::thread::set_name(c"seccomp-guard");
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER, 1) takes integers and touches no memory.
    if let Err(errno) = unsafe { raw::syscall3(uapi::__NR_prctl, PR_SET_CHILD_SUBREAPER, 1, 0) } {
        fail(words, errno);
    }
    let mut blocked = [0u32; WATCHED.len() + BLOCKED.len()];
    blocked[..WATCHED.len()].copy_from_slice(&WATCHED);
    blocked[WATCHED.len()..].copy_from_slice(&BLOCKED);
    let old_mask = match block(&blocked) {
        Ok(old) => old,
        Err(errno) => fail(words, errno),
    };
    let command = match fork_command(old_mask) {
        Ok(pid) => pid,
        Err(errno) => fail(words, errno),
    };
    words.command.store(command as u32, Ordering::Release);
    wake(&words.command);
    // Until the command published its listener (or failed, or died).
    let mut sleep_ns = 20_000;
    while command_state.load(Ordering::Acquire) == 0 && words.exited.load(Ordering::Acquire) == 0 {
        reap(words, command);
        nap(sleep_ns);
        sleep_ns = (sleep_ns * 2).min(1_000_000);
    }
    if let Err(errno) = private_fds(listener.load(Ordering::Relaxed)) {
        kill(command);
        while reap(words, command) == Children::Some {
            nap(1_000_000);
        }
        fail(words, errno);
    }
    let signals = signalfd(&WATCHED).ok();
    let supervisor = words.supervisor.load(Ordering::Relaxed);
    let watch = pid_of(supervisor)
        .and_then(|pid| rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok());
    words.state.store(GUARD_READY, Ordering::Release);
    wake(&words.state);
    // A SIGCHLD that came before the signalfd is still pending (blocked), but reap once anyway.
    reap(words, command);
    loop {
        let parent = rustix::process::getppid().map(|pid| pid.as_raw_nonzero().get());
        if words.end.load(Ordering::Acquire) != 0 || parent != Some(supervisor) {
            break;
        }
        wait_event(signals.as_ref(), watch.as_ref());
        reap(words, command);
    }
    end_tree(words, command);
    exit(0)
}

/// A pid from a number the kernel gave.
fn pid_of(raw: i32) -> Option<Pid> {
    Pid::from_raw(raw)
}

/// SIGKILL to `pid`, never to init, a pid 0 or below, or the guard itself.
fn kill(pid: i32) {
    if pid > 1
        && pid != rustix::process::getpid().as_raw_nonzero().get()
        && let Some(pid) = pid_of(pid)
    {
        let _ = rustix::process::kill_process(pid, Signal::KILL);
    }
}

/// Sleeps until a watched signal comes or the supervisor ends (at most 100 ms when either cannot be
/// watched), and drains the signalfd.
fn wait_event(signals: Option<&OwnedFd>, supervisor: Option<&OwnedFd>) {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let tick = Timespec {
        tv_sec: 0,
        tv_nsec: 100_000_000,
    };
    let timeout = if signals.is_some() && supervisor.is_some() {
        None
    } else {
        Some(&tick)
    };
    let _ = match (signals, supervisor) {
        (Some(signals), Some(supervisor)) => poll(
            &mut [
                PollFd::new(signals, PollFlags::IN),
                PollFd::new(supervisor, PollFlags::IN),
            ],
            timeout,
        ),
        (Some(one), None) | (None, Some(one)) => poll(&mut [PollFd::new(one, PollFlags::IN)], timeout),
        (None, None) => poll(&mut [], timeout),
    };
    if let Some(signals) = signals {
        let mut info = [0u8; 128]; // one struct signalfd_siginfo
        while rustix::io::read(signals, &mut info).is_ok_and(|n| n > 0) {}
    }
}

/// Ends the process: `exit_group(code)`.
fn exit(code: i32) -> ! {
    loop {
        // SAFETY: exit_group takes an integer and does not return (the guard runs under no filter).
        let _ = unsafe { raw::syscall3(uapi::__NR_exit_group, code as usize, 0, 0) };
    }
}

/// Kills the whole tree under the guard with SIGKILL, round after round, until the guard has no child.
fn end_tree(words: &Words, command: i32) {
    let table = Table::new();
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let mut sleep_ns = 200_000;
    while reap(words, command) == Children::Some {
        if !kill_round(me, &table) && words.exited.load(Ordering::Acquire) == 0 {
            // No usable /proc: at least the command.
            kill(command);
        }
        nap(sleep_ns);
        sleep_ns = (sleep_ns * 2).min(20_000_000);
    }
}

/// A process and its parent, from `/proc/PID/stat`.
#[derive(Debug, Clone, Copy, Default)]
struct Process {
    pid: i32,
    parent: i32,
}

/// Room for this many processes in one round (512 KiB); the guard's own children are killed beyond it.
const TABLE_LEN: usize = 65_536;

/// The process table of one round, in an anonymous mapping (the guard does not allocate).
struct Table {
    addr: *mut Process,
}

impl Table {
    fn new() -> Table {
        use rustix::mm::{MapFlags, ProtFlags};
        // SAFETY: a fresh private anonymous mapping changes no existing memory; it is never unmapped (the
        // guard exits after its last use) and holds `Process` values, for which zero bytes are valid.
        let addr = unsafe {
            rustix::mm::mmap_anonymous(
                ptr::null_mut(),
                TABLE_LEN * core::mem::size_of::<Process>(),
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        };
        Table {
            addr: addr.map_or(ptr::null_mut(), |addr| addr.cast()),
        }
    }

    /// The table's slots (none if the mapping failed).
    #[allow(clippy::mut_from_ref)]
    fn slots(&self) -> &mut [Process] {
        if self.addr.is_null() {
            return &mut [];
        }
        // SAFETY: the mapping holds TABLE_LEN zero-initialized `Process` values and lives as long as the
        // guard; only `kill_round` uses it, one call at a time (the guard has one thread).
        unsafe { core::slice::from_raw_parts_mut(self.addr, TABLE_LEN) }
    }
}

/// Reads `/proc/PID/stat` under `proc`: (pid, parent pid).
fn stat(proc: BorrowedFd<'_>, name: &[u8]) -> Option<Process> {
    let mut path = [0u8; 32];
    let len = name.len();
    path.get_mut(..len)?.copy_from_slice(name);
    path.get_mut(len..len + 6)?.copy_from_slice(b"/stat\0");
    let path = CStr::from_bytes_with_nul(path.get(..len + 6)?).ok()?;
    let fd = rustix::fs::openat(
        proc,
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()?;
    let mut text = [0u8; 512];
    let n = rustix::io::read(&fd, &mut text).ok()?;
    let text = text.get(..n)?;
    // "PID (COMM) STATE PPID ...": COMM may hold anything, so look after its last ')'.
    let close = text.iter().rposition(|&b| b == b')')?;
    let pid = number(text.split(|&b| b == b' ').next()?)?;
    let mut fields = text
        .get(close + 1..)?
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty());
    let _state = fields.next()?;
    let parent = number(fields.next()?)?;
    Some(Process { pid, parent })
}

/// A decimal pid.
fn number(digits: &[u8]) -> Option<i32> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0i32, |n, &d| n * 10 + i32::from(d - b'0')))
}

/// One round: reads every process's parent from `/proc`, kills every process whose parents lead to `me`.
/// `false` when `/proc` cannot be used (missing, or another pid namespace's).
fn kill_round(me: i32, table: &Table) -> bool {
    let Ok(proc) = rustix::fs::open(
        c"/proc",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) else {
        return false;
    };
    if stat(proc.as_fd(), b"self").map(|p| p.pid) != Some(me) {
        return false;
    }
    let slots = table.slots();
    let mut used = 0;
    let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
    let mut dir = rustix::fs::RawDir::new(&proc, &mut buf);
    while let Some(Ok(entry)) = dir.next() {
        let name = entry.file_name().to_bytes();
        if number(name).is_none() {
            continue;
        }
        let Some(process) = stat(proc.as_fd(), name) else {
            continue;
        };
        if process.parent == me {
            // Killed at once: the rounds converge even when the table is full.
            kill(process.pid);
        }
        if let Some(slot) = slots.get_mut(used) {
            *slot = process;
            used += 1;
        }
    }
    let known = &mut slots[..used];
    known.sort_unstable_by_key(|p| p.pid);
    let known = &*known;
    for process in known {
        // Follow the parents up (a bounded walk: the table is a snapshot and may hold a cycle of reused pids).
        let mut parent = process.parent;
        for _ in 0..256 {
            if parent == me {
                kill(process.pid);
                break;
            }
            match known.binary_search_by_key(&parent, |p| p.pid) {
                Ok(at) if parent > 1 => parent = known[at].parent,
                _ => break,
            }
        }
    }
    true
}
