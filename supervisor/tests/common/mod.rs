//! Test support for the supervisor's kernel-facing tests: forked targets that install a notifying filter
//! and hand their listener over, shared memory to report from them, syscalls made raw from a prepared
//! table, and a one-listener supervisor run.
//!
//! Every filter is installed in a forked child, never in the test harness (which is the supervisor).
//! Tests in one binary are serialized ([`serial`]) so that no child inherits another test's listener.
//! The children may only make raw syscalls and touch memory prepared before the fork.
#![allow(dead_code)] // Each test binary uses a different part of this module.

pub mod thread;

use rustix::fd::AsFd;
use rustix::mm::{MapFlags, ProtFlags};
use rustix::process::{Pid, Signal, WaitOptions};
use seccomp_core::abi::{self, SockFilter, offset};
use seccomp_core::arch::Arch;
use seccomp_core::bpf::insn::{BPF_JEQ, BPF_JMP, BPF_K};
use seccomp_supervisor::{Context, Handler, Supervisor};
use seccomp_sys::process::{self, Fork};
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Prints a visible skip line on the real stderr (the harness captures `eprintln!`) and returns.
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
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The native architecture.
pub fn native() -> Arch {
    Arch::native().expect("a supported architecture")
}

/// The native number of syscall `name` (`None`: this architecture has no such syscall).
pub fn nr(name: &str) -> Option<u32> {
    native().syscall_nr(name)
}

/// How long a child may run before it is killed as hung; generous because the machine is shared.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

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
        let deadline = Instant::now() + CHILD_TIMEOUT;
        loop {
            match rustix::process::waitpid(Some(self.pid), WaitOptions::NOHANG) {
                Ok(Some((_, status))) => {
                    self.reaped = true;
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

    /// Sends SIGKILL and reaps the child.
    pub fn kill_and_reap(&mut self) {
        let _ = rustix::process::kill_process(self.pid, Signal::KILL);
        let _ = rustix::process::waitpid(Some(self.pid), WaitOptions::empty());
        self.reaped = true;
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill_and_reap();
        }
    }
}

/// `MAP_SHARED` anonymous memory: the child writes results, the parent reads them.
pub struct Shared {
    slots: &'static [AtomicI64],
}

impl Shared {
    /// Maps `count` zeroed shared slots.
    pub fn new(count: usize) -> Shared {
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
        let slots = unsafe { core::slice::from_raw_parts(ptr.cast::<AtomicI64>(), count.max(1)) };
        Shared { slots }
    }

    /// Stores `value` in slot `index`.
    pub fn set(&self, index: usize, value: i64) {
        self.slots[index].store(value, Ordering::SeqCst);
    }

    /// Reads slot `index`.
    pub fn get(&self, index: usize) -> i64 {
        self.slots[index].load(Ordering::SeqCst)
    }
}

/// Encodes a raw syscall result: the value, or `-errno`.
pub fn encode(result: Result<usize, rustix::io::Errno>) -> i64 {
    match result {
        Ok(value) => value as i64,
        Err(errno) => -i64::from(errno.raw_os_error()),
    }
}

/// The errno name of an encoded result (`ok(N)` for a success), for assertion messages.
pub fn show(result: i64) -> String {
    if result >= 0 {
        return format!("ok({result})");
    }
    let raw = (-result) as u16;
    seccomp_core::errno::name(raw).map_or_else(|| format!("errno {raw}"), str::to_owned)
}

/// A filter that notifies the native syscalls `numbers` and allows every other one; a foreign arch is
/// killed.
pub fn notify_filter(numbers: &[u32]) -> Vec<SockFilter> {
    let audit = native().audit();
    let mut insns = vec![
        SockFilter::load_data(offset::ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, audit, 1, 0),
        SockFilter::ret(abi::RET_KILL_PROCESS),
        SockFilter::load_data(offset::NR),
    ];
    let n = numbers.len();
    for (i, &number) in numbers.iter().enumerate() {
        // Jump to the notify return (after the remaining comparisons and the allow) on a match.
        let to_notify = (n - i) as u8;
        insns.push(SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, number, to_notify, 0));
    }
    insns.push(SockFilter::ret(abi::RET_ALLOW));
    insns.push(SockFilter::ret(abi::RET_USER_NOTIF));
    insns
}

/// Exit code of a child whose filter installation failed before it could send its listener.
pub const INSTALL_FAILED: i32 = 120;

/// Waits until `fd` is readable (or hung up), at most [`CHILD_TIMEOUT`]; false on timeout.
fn wait_readable(fd: rustix::fd::BorrowedFd<'_>) -> bool {
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

/// Forks a child that runs `prepare` (privileged setup: chroot, unshare, setuid, ...; a non-zero
/// result is its exit code), installs `filter` with `NEW_LISTENER`, sends the listener to the parent,
/// and then runs `body`. Returns the child and the listener, or the child's outcome when no listener
/// arrived.
///
/// # Safety
///
/// As for [`spawn`]: `prepare` and `body` may only make raw syscalls and touch memory prepared before
/// the fork.
pub unsafe fn spawn_with_listener(
    filter: &[SockFilter],
    prepare: impl FnOnce() -> i32,
    body: impl FnOnce() -> i32,
) -> (Child, Result<seccomp_sys::Listener, Outcome>) {
    let (parent_end, child_end) = seccomp_sys::fdpass::socketpair().expect("socketpair");
    let program = seccomp_core::bpf::validate(filter).expect("the test filter validates");
    let (child_raw, parent_raw) = {
        use rustix::fd::AsRawFd as _;
        (child_end.as_raw_fd(), parent_end.as_raw_fd())
    };
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
            let flags = seccomp_sys::FilterFlags::NEW_LISTENER;
            let listener = match seccomp_sys::install(&program, flags) {
                Ok(Some(fd)) => fd,
                _ => return INSTALL_FAILED,
            };
            if seccomp_sys::fdpass::send_fd(child_end.as_fd(), listener.as_fd()).is_err() {
                return INSTALL_FAILED + 1;
            }
            drop(listener);
            // Leave the target the fd table an unsupervised child would have (fd numbers compared).
            // SAFETY (the enclosing unsafe block): both ends are this child's copies, never used or
            // dropped again here (the child ends with exit_group).
            rustix::io::close(child_raw);
            rustix::io::close(parent_raw);
            body()
        })
    };
    drop(child_end);
    if !wait_readable(parent_end.as_fd()) {
        panic!("no listener from the child within {CHILD_TIMEOUT:?}");
    }
    match seccomp_sys::fdpass::recv_fd(parent_end.as_fd()) {
        Ok(fd) => (child, Ok(seccomp_sys::Listener::from(fd))),
        Err(_) => (child_placeholder(), Err(child.wait())),
    }
}

fn child_placeholder() -> Child {
    Child {
        pid: rustix::process::getpid(),
        reaped: true,
    }
}

/// Runs a target under `filter`, serving its listener with `handler` on two workers until it exits.
///
/// # Safety
///
/// As for [`spawn_with_listener`].
pub unsafe fn supervised(
    filter: &[SockFilter],
    handler: impl Handler,
    prepare: impl FnOnce() -> i32,
    body: impl FnOnce() -> i32,
) -> Outcome {
    // SAFETY: forwarded from the caller.
    let (child, listener) = unsafe { spawn_with_listener(filter, prepare, body) };
    let listener = match listener {
        Ok(listener) => listener,
        Err(outcome) => return outcome,
    };
    let supervisor = Supervisor::new(handler, 2);
    supervisor.add(listener, Context::new("test").with_pid(child.pid()));
    let outcome = child.wait();
    supervisor.wait_all_hung_up();
    supervisor.shutdown();
    outcome
}

/// A fresh directory under the temp dir, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/seccomp-supervisor-NAME-PID`, mode 0755 (so unprivileged targets can enter it).
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("seccomp-supervisor-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path below it, as a C string.
    pub fn c(&self, relative: &str) -> CString {
        cstr(&self.path.join(relative))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A path as a C string.
pub fn cstr(path: &Path) -> CString {
    use std::os::unix::ffi::OsStrExt as _;
    CString::new(path.as_os_str().as_bytes()).expect("no NUL in test paths")
}

/// The address of a C string, as a syscall argument.
pub fn ptr(s: &CStr) -> usize {
    s.as_ptr() as usize
}

/// A syscall made raw from a table prepared before the fork: number and up to five arguments (the fifth
/// only for `renameat2`, made through rustix since `seccomp-sys` makes at most four raw).
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// The syscall number.
    pub nr: u32,
    /// The arguments.
    pub args: [usize; 5],
}

impl Op {
    /// `name(args...)`; `None` when this architecture has no such syscall.
    pub fn new(name: &str, args: &[usize]) -> Option<Op> {
        let mut all = [0usize; 5];
        all[..args.len()].copy_from_slice(args);
        Some(Op {
            nr: nr(name)?,
            args: all,
        })
    }

    /// Makes the syscall (in a child: raw, no allocation).
    pub fn run(&self) -> i64 {
        let a = self.args;
        if Some(self.nr) == nr("statx") {
            // SAFETY: the test prepared the path and the buffer (or deliberately bad addresses, which the
            // kernel answers with EFAULT).
            return encode(unsafe { syscall5(self.nr, a) });
        }
        if Some(self.nr) == nr("renameat2") {
            // SAFETY: the test prepared NUL-terminated strings at these addresses and dirfds that
            // stay open for the call.
            let result = unsafe {
                let old = CStr::from_ptr(a[1] as *const core::ffi::c_char);
                let new = CStr::from_ptr(a[3] as *const core::ffi::c_char);
                rustix::fs::renameat_with(
                    rustix::fd::BorrowedFd::borrow_raw(a[0] as i32),
                    old,
                    rustix::fd::BorrowedFd::borrow_raw(a[2] as i32),
                    new,
                    rustix::fs::RenameFlags::from_bits_retain(a[4] as u32),
                )
            };
            return encode(result.map(|()| 0));
        }
        // SAFETY: the test prepared every pointer argument (strings, sockaddrs) before the fork.
        encode(unsafe { seccomp_sys::raw::syscall4(self.nr, a[0], a[1], a[2], a[3]) })
    }
}

/// `AT_FDCWD` as a syscall argument.
pub const AT_FDCWD: usize = -100i64 as usize;

/// A raw five-argument syscall (`statx`), which `seccomp-sys` does not export.
///
/// # Safety
///
/// Every pointer argument must be valid for the access the call makes, or deliberately invalid.
unsafe fn syscall5(nr: u32, a: [usize; 5]) -> Result<usize, rustix::io::Errno> {
    let ret: usize;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a plain syscall instruction; rcx and r11 are clobbered by the kernel.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr as usize => ret,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a plain svc; x0 holds the result.
    unsafe {
        core::arch::asm!(
            "svc 0",
            in("x8") nr as usize,
            inlateout("x0") a[0] => ret,
            in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4],
            options(nostack),
        );
    }
    if ret > usize::MAX - 4095 {
        Err(rustix::io::Errno::from_raw_os_error(ret.wrapping_neg() as i32))
    } else {
        Ok(ret)
    }
}
