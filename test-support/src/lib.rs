//! Test support for the kernel-facing integration tests of `seccomp-sys` and `seccomp-supervisor`: forked
//! children that do only raw syscalls ([`spawn`], [`Child`]), shared memory to report from them
//! ([`Shared`]), a visible skip line ([`skip!`]), the lock that serializes a binary's kernel tests
//! ([`serial`]), raw threads ([`thread`]) and a six-argument raw syscall ([`raw`]).
//!
//! Every filter is installed in a forked child, never in the test harness. Kernel tests in one binary are
//! serialized ([`serial`]) so that no child inherits another test's sockets or listener fds (which would
//! keep them open and change what the other test observes). Each crate's `tests/common` module adds what
//! only its tests need and re-exports this crate.
//!
//! # Safety
//!
//! [`spawn`] forks the multi-threaded harness: its closure may only make raw syscalls and touch memory
//! prepared before the fork. [`thread::spawn`] and [`raw::syscall6`] hand raw arguments to the kernel; their
//! own `# Safety` sections say what the caller must guarantee.

pub mod raw;
pub mod thread;

use rustix::fd::{AsFd, AsRawFd};
use rustix::mm::{MapFlags, ProtFlags};
use rustix::process::{Pid, Signal, WaitOptions};
use seccomp_sys::process::{self, Fork};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Prints a visible skip line and returns from the test. It writes to the real stderr (not through
/// `eprintln!`, which the test harness captures), so the line shows even when the test passes.
#[macro_export]
macro_rules! skip {
    ($test:expr, $($what:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "SKIP: {}: {}", $test, format_args!($($what)*));
        return;
    }};
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Holds the lock that keeps this binary's kernel tests from forking concurrently.
pub fn serial() -> MutexGuard<'static, ()> {
    static PROC: std::sync::Once = std::sync::Once::new();
    PROC.call_once(ensure_proc);
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Mounts /proc when the test binary runs as PID 1 of a bare VM (its initramfs has an empty /proc), which
/// is how the aarch64 kernels are tested.
fn ensure_proc() {
    if rustix::process::getpid().is_init() && !std::path::Path::new("/proc/self").exists() {
        let mounted = rustix::mount::mount("proc", "/proc", "proc", rustix::mount::MountFlags::empty(), None);
        if let Err(errno) = mounted {
            eprintln!("mounting /proc failed: {errno}");
        }
    }
}

/// How long [`Child::wait`] lets a child run before it is killed as hung; generous because the machine is
/// shared. [`Child::wait_within`] takes another bound.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `exit_group(code)`.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
    /// Still running after its time bound; it was killed.
    TimedOut,
}

/// A forked child process; killed and reaped on drop if the test did not wait for it.
pub struct Child {
    pid: Pid,
    reaped: bool,
}

/// Exits the child if its closure unwinds, so that a panic never returns into the harness's code.
struct ExitOnUnwind;

impl Drop for ExitOnUnwind {
    fn drop(&mut self) {
        process::exit_group(101);
    }
}

/// Forks; the child runs `body` and exits with the code it returns.
///
/// # Safety
///
/// `body` runs in a forked copy of the multi-threaded harness: it may only make raw syscalls and touch
/// memory prepared before the fork. No allocation, no locks, no printing, no panics.
pub unsafe fn spawn<F: FnOnce() -> i32>(body: F) -> Child {
    // SAFETY: forwarded from the caller: the child runs only `body`, then exit_group.
    match unsafe { process::fork() } {
        Ok(Fork::Child) => {
            let guard = ExitOnUnwind;
            // No core files from the children that tests kill with SIGSYS.
            let no_core = rustix::process::Rlimit {
                current: Some(0),
                maximum: Some(0),
            };
            let _ = rustix::process::setrlimit(rustix::process::Resource::Core, no_core);
            let code = body();
            core::mem::forget(guard);
            process::exit_group(code)
        }
        Ok(Fork::Parent(pid)) => Child { pid, reaped: false },
        Err(errno) => panic!("fork failed: {errno}"),
    }
}

impl Child {
    /// A child that was already reaped (handed back where a caller waited for the real one early); waiting
    /// for it or dropping it does nothing.
    pub fn reaped() -> Child {
        Child {
            pid: rustix::process::getpid(),
            reaped: true,
        }
    }

    /// The child's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits for the child to end, killing it after [`CHILD_TIMEOUT`].
    pub fn wait(self) -> Outcome {
        self.wait_within(CHILD_TIMEOUT)
    }

    /// Waits for the child to end, killing it after `timeout`.
    pub fn wait_within(mut self, timeout: Duration) -> Outcome {
        let outcome = self.wait_inner(timeout);
        self.reaped = true;
        outcome
    }

    fn wait_inner(&mut self, timeout: Duration) -> Outcome {
        let deadline = Instant::now() + timeout;
        loop {
            match rustix::process::waitpid(Some(self.pid), WaitOptions::NOHANG) {
                Ok(Some((_, status))) => {
                    if let Some(code) = status.exit_status() {
                        return Outcome::Exited(code);
                    }
                    if let Some(signal) = status.terminating_signal() {
                        return Outcome::Signaled(signal);
                    }
                }
                Ok(None) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(errno) => panic!("waitpid({:?}) failed: {errno}", self.pid),
            }
            if Instant::now() > deadline {
                self.kill_and_reap();
                return Outcome::TimedOut;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Sends SIGKILL and reaps the child; returns once it is gone.
    pub fn kill_and_reap(&mut self) {
        let _ = rustix::process::kill_process(self.pid, Signal::KILL);
        let _ = rustix::process::waitpid(Some(self.pid), WaitOptions::empty());
        self.reaped = true;
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: Signal) {
        rustix::process::kill_process(self.pid, signal).expect("kill");
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill_and_reap();
        }
    }
}

/// Number of 64-bit slots in a [`Shared`] page.
pub const SLOTS: usize = 512;

/// `MAP_SHARED` anonymous memory: the child writes results, the parent reads them.
pub struct Shared {
    slots: &'static [AtomicI64],
}

impl Shared {
    /// Maps a zeroed shared page of [`SLOTS`] slots.
    #[allow(clippy::new_without_default)] // A mapping per call, not a default value.
    pub fn new() -> Shared {
        Shared::with_slots(SLOTS)
    }

    /// Maps `count` zeroed shared slots (at least one).
    pub fn with_slots(count: usize) -> Shared {
        let count = count.max(1);
        // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing aliases nothing.
        let ptr = unsafe {
            rustix::mm::mmap_anonymous(
                core::ptr::null_mut(),
                count * 8,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
            )
        }
        .expect("mmap shared page");
        // SAFETY: the mapping holds `count` zero-filled, 8-byte aligned i64s (valid AtomicI64s), and it is
        // never unmapped, so the slice may live for 'static.
        let slots = unsafe { core::slice::from_raw_parts(ptr.cast::<AtomicI64>(), count) };
        Shared { slots }
    }

    /// Slot `index` (panics on an index out of range: test code only).
    pub fn slot(&self, index: usize) -> &'static AtomicI64 {
        &self.slots[index]
    }

    /// Stores `value` in slot `index`.
    pub fn set(&self, index: usize, value: i64) {
        self.slots[index].store(value, Ordering::SeqCst);
    }

    /// Reads slot `index`.
    pub fn get(&self, index: usize) -> i64 {
        self.slots[index].load(Ordering::SeqCst)
    }

    /// The address of the page, for handlers that find it through a static.
    pub fn as_ptr(&self) -> *const AtomicI64 {
        self.slots.as_ptr()
    }
}

/// Encodes a raw syscall result for a shared slot: the value, or `-errno`.
pub fn encode(result: Result<usize, rustix::io::Errno>) -> i64 {
    match result {
        Ok(value) => value as i64,
        Err(errno) => -i64::from(errno.raw_os_error()),
    }
}

/// Waits until `fd` is readable (or hung up), at most `timeout`; false on timeout.
pub fn wait_readable(fd: rustix::fd::BorrowedFd<'_>, timeout: Duration) -> bool {
    let timeout = rustix::event::Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    loop {
        let mut fds = [rustix::event::PollFd::new(&fd, rustix::event::PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(n) => return n > 0,
            Err(rustix::io::Errno::INTR) => continue,
            Err(errno) => panic!("poll failed: {errno}"),
        }
    }
}

/// Exit code of a child whose filter installation failed before it could send its listener
/// ([`spawn_with_listener`]; one more: sending it failed).
pub const INSTALL_FAILED: i32 = 120;

/// How [`spawn_with_listener`]'s child sets up before its `body`.
pub struct ListenerChild<'p> {
    /// The filter, installed with `NEW_LISTENER | flags`.
    pub program: &'p seccomp_core::bpf::Validated<'p>,
    /// Further filter flags.
    pub flags: seccomp_sys::FilterFlags,
    /// Close both ends of the socket pair in the child once the listener is sent, so that the target
    /// has the fd table an unforked test would have (where a test compares fd numbers).
    pub close_socket: bool,
    /// How long the parent waits for the listener, and for the child when none arrives.
    pub timeout: Duration,
}

/// Forks a child that runs `prepare` (privileged setup; a non-zero result is its exit code), installs
/// `setup.program` with `NEW_LISTENER | setup.flags`, sends the listener to the parent over a socket
/// pair, closes its own copy, and then runs `body`. Returns the child and the parent's listener, or the
/// child's outcome when no listener arrived.
///
/// # Safety
///
/// As for [`spawn`]: `prepare` and `body` may only make raw syscalls and touch memory prepared before the
/// fork.
pub unsafe fn spawn_with_listener(
    setup: &ListenerChild<'_>,
    prepare: impl FnOnce() -> i32,
    body: impl FnOnce() -> i32,
) -> (Child, Result<seccomp_sys::Listener, Outcome>) {
    let (parent_end, child_end) = seccomp_sys::fdpass::socketpair().expect("socketpair");
    let (child_raw, parent_raw) = (child_end.as_raw_fd(), parent_end.as_raw_fd());
    let flags = setup.flags | seccomp_sys::FilterFlags::NEW_LISTENER;
    // SAFETY: forwarded from the caller; the rest of the child's code makes raw syscalls only.
    let child = unsafe {
        spawn(|| {
            let code = prepare();
            if code != 0 {
                return code;
            }
            if seccomp_sys::set_no_new_privs().is_err() {
                return INSTALL_FAILED;
            }
            let listener = match seccomp_sys::install(setup.program, flags) {
                Ok(Some(fd)) => fd,
                _ => return INSTALL_FAILED,
            };
            if seccomp_sys::fdpass::send_fd(child_end.as_fd(), listener.as_fd()).is_err() {
                return INSTALL_FAILED + 1;
            }
            drop(listener);
            if setup.close_socket {
                // SAFETY (the enclosing unsafe block): both ends are this child's copies, never used or
                // dropped again here (the child ends with exit_group).
                rustix::io::close(child_raw);
                rustix::io::close(parent_raw);
            }
            body()
        })
    };
    drop(child_end);
    if !wait_readable(parent_end.as_fd(), setup.timeout) {
        panic!("no listener from the child within {:?}", setup.timeout);
    }
    match seccomp_sys::fdpass::recv_fd(parent_end.as_fd()) {
        Ok(fd) => (child, Ok(seccomp_sys::Listener::from(fd))),
        Err(_) => (Child::reaped(), Err(child.wait_within(setup.timeout))),
    }
}
