//! Test support for kernel-facing tests: forked children that do only raw syscalls, shared memory to
//! report from them, hand-built filters, signal and thread helpers.
//!
//! Every filter is installed in a forked child, never in the test harness. Kernel tests in one binary are
//! serialized ([`serial`]) so that no child inherits another test's sockets or listener fds (which would keep
//! them open and change what the other test observes).
#![allow(dead_code)] // Each test binary uses a different part of this module.

pub mod crosscheck;
pub mod filters;
pub mod raw;
pub mod signals;
pub mod thread;

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

/// How long a child may run before it is killed as hung; generous because the machine is shared.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `exit_group(code)`.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
    /// Still running after [`CHILD_TIMEOUT`]; it was killed.
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
    /// The child's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits for the child to end, killing it after [`CHILD_TIMEOUT`].
    pub fn wait(mut self) -> Outcome {
        let outcome = self.wait_inner();
        self.reaped = true;
        outcome
    }

    fn wait_inner(&mut self) -> Outcome {
        let deadline = Instant::now() + CHILD_TIMEOUT;
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
    pub fn new() -> Shared {
        Shared::with_slots(SLOTS)
    }

    /// Maps `count` zeroed shared slots.
    pub fn with_slots(count: usize) -> Shared {
        // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing aliases nothing.
        let ptr = unsafe {
            rustix::mm::mmap_anonymous(
                core::ptr::null_mut(),
                count.max(1) * 8,
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

/// The parent's pid as the child's `getppid` reports it.
pub fn my_pid() -> i64 {
    i64::from(rustix::process::getpid().as_raw_nonzero().get())
}

/// Waits until `fd` is readable (or hung up), at most [`CHILD_TIMEOUT`]; false on timeout.
pub fn wait_readable(fd: rustix::fd::BorrowedFd<'_>) -> bool {
    let timeout = rustix::event::Timespec {
        tv_sec: CHILD_TIMEOUT.as_secs() as i64,
        tv_nsec: 0,
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

/// Exit code of a child whose filter installation failed before it could send its listener.
pub const INSTALL_FAILED: i32 = 120;

/// Forks a child that installs `filter` with `NEW_LISTENER | flags`, sends the listener to the parent over
/// a socket pair, closes its own copy, and then runs `body`. Returns the child and the parent's listener,
/// or the child's outcome when no listener arrived.
///
/// # Safety
///
/// As for [`spawn`]: `body` may only make raw syscalls and touch memory prepared before the fork.
pub unsafe fn spawn_with_listener<F: FnOnce() -> i32>(
    filter: &[seccomp_core::abi::SockFilter],
    flags: seccomp_sys::FilterFlags,
    body: F,
) -> (Child, Result<seccomp_sys::Listener, Outcome>) {
    use rustix::fd::AsFd;
    let (parent_end, child_end) = seccomp_sys::fdpass::socketpair().expect("socketpair");
    let flags = flags | seccomp_sys::FilterFlags::NEW_LISTENER;
    let program = filters::valid(filter);
    // SAFETY: forwarded from the caller; the rest of the child's code makes raw syscalls only.
    let child = unsafe {
        spawn(|| {
            if seccomp_sys::set_no_new_privs().is_err() {
                return INSTALL_FAILED;
            }
            let listener = match seccomp_sys::install(&program, flags) {
                Ok(Some(fd)) => fd,
                _ => return INSTALL_FAILED,
            };
            if seccomp_sys::fdpass::send_fd(child_end.as_fd(), listener.as_fd()).is_err() {
                return INSTALL_FAILED + 1;
            }
            drop(listener);
            body()
        })
    };
    drop(child_end);
    if !wait_readable(parent_end.as_fd()) {
        panic!("no listener from the child within {CHILD_TIMEOUT:?}");
    }
    match seccomp_sys::fdpass::recv_fd(parent_end.as_fd()) {
        Ok(fd) => (child, Ok(seccomp_sys::Listener::from(fd))),
        Err(_) => {
            let outcome = child.wait();
            // The child was reaped; hand back a dummy that will not be waited again.
            (
                Child {
                    pid: rustix::process::getpid(),
                    reaped: true,
                },
                Err(outcome),
            )
        }
    }
}

/// The slot of the [`Shared`] page where [`notifying_child`]'s target stores its syscall's result.
pub const RESULT: usize = 0;

/// Forks a child whose target syscall ([`filters::target`]) notifies (`filters::on_target` with
/// `RET_USER_NOTIF`, installed with `NEW_LISTENER | flags`), then runs `body`; returns the child and the
/// listener, failing the test when no listener arrived.
///
/// # Safety
///
/// As for [`spawn`]: `body` may only make raw syscalls and touch memory prepared before the fork.
pub unsafe fn notify_on_target<F: FnOnce() -> i32>(
    flags: seccomp_sys::FilterFlags,
    body: F,
) -> (Child, seccomp_sys::Listener) {
    let filter = filters::on_target(seccomp_core::abi::RET_USER_NOTIF);
    // SAFETY: forwarded from the caller.
    match unsafe { spawn_with_listener(&filter, flags, body) } {
        (child, Ok(listener)) => (child, listener),
        (_, Err(outcome)) => panic!("the child sent no listener: {outcome:?}"),
    }
}

/// A child whose target syscall notifies once; it stores the syscall's result in `shared[RESULT]`.
pub fn notifying_child(shared: &Shared, flags: seccomp_sys::FilterFlags) -> (Child, seccomp_sys::Listener) {
    // SAFETY: the child only makes raw syscalls and writes the shared page.
    unsafe {
        notify_on_target(flags, || {
            shared.set(RESULT, encode(filters::target()));
            0
        })
    }
}

/// Whether the running kernel knows `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (5.19); prints the visible
/// skip line for `test` when it does not.
pub fn has_wait_killable_recv(test: &str) -> bool {
    let known = features().knows_flags(seccomp_sys::FilterFlags::WAIT_KILLABLE_RECV);
    if !known {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIP: {test}: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19)"
        );
    }
    known
}

/// Receives one notification, failing the test if none arrives within [`CHILD_TIMEOUT`].
pub fn recv_one(listener: &seccomp_sys::Listener) -> seccomp_sys::Notification {
    use rustix::fd::AsFd;
    assert!(
        wait_readable(listener.as_fd()),
        "no notification within {CHILD_TIMEOUT:?}"
    );
    listener.recv().expect("recv")
}

/// The features of the running kernel, probed once per test binary.
pub fn features() -> &'static seccomp_sys::Features {
    static FEATURES: std::sync::OnceLock<seccomp_sys::Features> = std::sync::OnceLock::new();
    FEATURES.get_or_init(seccomp_sys::Features::probe)
}
