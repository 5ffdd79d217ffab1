//! Test support for the agent: the agent binary as a subprocess with its log, forked targets that hold a
//! real seccomp listener, and a client that sends what runc and crun send.
//!
//! Filters are installed only in forked children, never in the test harness. Tests in one binary are
//! serialized ([`serial`]) so that a child forked by one test does not inherit another test's sockets or
//! listener fds (which would keep them open and change what the agent observes).
#![allow(dead_code)] // Each test binary uses a different part of this module.

pub mod bundle;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::{Errno, IoSlice};
use rustix::net::{
    AddressFamily, SendAncillaryBuffer, SendAncillaryMessage, SendFlags, SocketAddrUnix, SocketFlags,
    SocketType,
};
use rustix::process::{Pid, Signal, WaitOptions};
use seccomp_core::abi::{self, SockFilter, offset};
use seccomp_core::arch::Arch;
use seccomp_core::bpf::insn::{BPF_JEQ, BPF_JMP, BPF_K};
use seccomp_sys::process::{self, Fork};
use seccomp_sys::{FilterFlags, fdpass, install_unvalidated, set_no_new_privs};
use std::io::{BufRead, BufReader};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
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

/// A [`Target`] holding a real seccomp listener, or a visible skip of `$test` when the kernel cannot give
/// it one.
#[macro_export]
macro_rules! target {
    ($test:expr) => {
        match $crate::support::Target::spawn() {
            Ok(target) => target,
            Err(why) => $crate::skip!($test, "no seccomp listener: {why}"),
        }
    };
}

/// How long anything may take before a test gives up as hung; generous because the machine is shared.
/// This is a deadline against hangs, not a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(30);

static SERIAL: Mutex<()> = Mutex::new(());

/// Holds the lock that keeps this binary's tests from forking concurrently.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A fresh scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// Creates `/tmp/seccompctl-<test>-<pid>-<n>`.
    pub fn new(test: &str) -> Scratch {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("seccompctl-{test}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Scratch(dir)
    }

    /// A path inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

type Lines = Arc<(Mutex<(Vec<String>, bool)>, Condvar)>;

/// `seccompctl agent` running as a subprocess; its stderr is collected line by line. Killed on drop.
pub struct Agent {
    child: Child,
    /// The agent's socket.
    pub socket: PathBuf,
    lines: Lines,
    _scratch: Scratch,
}

impl Agent {
    /// Starts `seccompctl agent --socket <scratch>/agent.sock ARGS...` and waits until it listens.
    pub fn start(test: &str, args: &[&str]) -> Agent {
        let scratch = Scratch::new(test);
        let socket = scratch.path("agent.sock");
        Agent::start_at(scratch, socket, args)
    }

    /// Starts the agent on `socket`, keeping `scratch` alive with it.
    pub fn start_at(scratch: Scratch, socket: PathBuf, args: &[&str]) -> Agent {
        let mut child = Command::new(env!("CARGO_BIN_EXE_seccompctl"))
            .arg("agent")
            .arg("--socket")
            .arg(&socket)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn seccompctl agent");
        let lines: Lines = Arc::new((Mutex::new((Vec::new(), false)), Condvar::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let (lock, ready) = &*sink;
                let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                guard.0.push(line);
                ready.notify_all();
            }
            let (lock, ready) = &*sink;
            lock.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
            ready.notify_all();
        });
        let agent = Agent {
            child,
            socket,
            lines,
            _scratch: scratch,
        };
        agent.wait_for("the agent to listen", |line| {
            line.contains("listening on") || line.contains("\"listening\"")
        });
        agent
    }

    /// Every line logged so far.
    pub fn log(&self) -> Vec<String> {
        let (lock, _) = &*self.lines;
        lock.lock().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    /// Waits until a logged line satisfies `predicate` and returns it; panics with the log after
    /// [`PATIENCE`] or when the agent's stderr closes first.
    pub fn wait_for(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        self.wait_for_after(0, what, predicate)
    }

    /// How many lines have been logged so far: a mark for [`Agent::wait_for_after`].
    pub fn mark(&self) -> usize {
        let (lock, _) = &*self.lines;
        lock.lock().unwrap_or_else(|p| p.into_inner()).0.len()
    }

    /// [`Agent::wait_for`], looking only at the lines logged after `mark`.
    pub fn wait_for_after(&self, mark: usize, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        let (lock, ready) = &*self.lines;
        let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(line) = guard.0.iter().skip(mark).find(|line| predicate(line)) {
                return line.clone();
            }
            let now = Instant::now();
            if guard.1 || now >= deadline {
                let log = guard.0.join("\n");
                drop(guard);
                panic!("waited in vain for {what}; the agent's log:\n{log}");
            }
            guard = ready
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Whether the agent process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The syscalls a [`Target`] makes, each one notifying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `getppid()`: its real value is the test process's pid.
    Getppid,
    /// `getuid()`.
    Getuid,
    /// `getgid()`.
    Getgid,
}

impl Call {
    fn command(self) -> u8 {
        match self {
            Call::Getppid => b'p',
            Call::Getuid => b'u',
            Call::Getgid => b'g',
        }
    }
}

const QUIT: u8 = b'q';

fn native() -> Arch {
    Arch::native().expect("a supported host architecture")
}

fn nr(name: &str) -> u32 {
    native().syscall_nr(name).expect("a syscall of the host")
}

/// A filter that notifies getppid, getuid and getgid and allows everything else.
fn notify_filter() -> [SockFilter; 8] {
    let arch = native().audit();
    [
        SockFilter::load_data(offset::ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 5),
        SockFilter::load_data(offset::NR),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, nr("getppid"), 3, 0),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, nr("getuid"), 2, 0),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, nr("getgid"), 1, 0),
        SockFilter::ret(abi::RET_ALLOW),
        SockFilter::ret(abi::RET_USER_NOTIF),
    ]
}

/// Exits the child if its code unwinds, so that a panic never returns into the harness.
struct ExitOnUnwind;

impl Drop for ExitOnUnwind {
    fn drop(&mut self) {
        process::exit_group(101);
    }
}

/// A forked process under a filter with a listener, which it hands to the test; it then makes the notifying
/// syscalls the test asks for and reports their results. Killed and reaped on drop.
pub struct Target {
    pid: Pid,
    control: OwnedFd,
    /// The listener fd, until it is sent to the agent.
    pub listener: Option<OwnedFd>,
    reaped: bool,
}

/// The child's side: install, hand over the listener, then serve commands until told to quit.
fn target_body(control: BorrowedFd<'_>, filter: &[SockFilter], numbers: [u32; 3]) -> i32 {
    if set_no_new_privs().is_err() {
        return 2;
    }
    let listener = match install_unvalidated(filter, FilterFlags::NEW_LISTENER) {
        Ok(Some(listener)) => listener,
        _ => return 3,
    };
    if fdpass::send_fd(control, listener.as_fd()).is_err() {
        return 4;
    }
    drop(listener);
    loop {
        let mut command = [0u8; 1];
        match rustix::io::read(control, &mut command) {
            Ok(1) => {}
            Err(Errno::INTR) => continue,
            _ => return 0,
        }
        let number = match command[0] {
            b'p' => numbers[0],
            b'u' => numbers[1],
            b'g' => numbers[2],
            _ => return 0,
        };
        // SAFETY: getppid, getuid and getgid take no arguments and change nothing.
        let result = match unsafe { seccomp_sys::raw::syscall0(number) } {
            Ok(value) => value as i64,
            Err(errno) => -i64::from(errno.raw_os_error()),
        };
        if rustix::io::write(control, &result.to_le_bytes()).is_err() {
            return 5;
        }
    }
}

impl Target {
    /// Forks the target and receives its listener. `None` when the kernel cannot create one (the child's
    /// exit status says why), for a visible skip.
    pub fn spawn() -> Result<Target, String> {
        let filter = notify_filter();
        let numbers = [nr("getppid"), nr("getuid"), nr("getgid")];
        let (parent, child) = fdpass::socketpair().expect("socketpair");
        // SAFETY: the child only makes raw syscalls (prctl, seccomp, sendmsg, read, write, exit_group) on
        // memory prepared before the fork; it neither allocates nor takes locks.
        let pid = match unsafe { process::fork() }.expect("fork") {
            Fork::Child => {
                let guard = ExitOnUnwind;
                let code = target_body(child.as_fd(), &filter, numbers);
                std::mem::forget(guard);
                process::exit_group(code)
            }
            Fork::Parent(pid) => pid,
        };
        drop(child);
        rustix::net::sockopt::set_socket_timeout(
            &parent,
            rustix::net::sockopt::Timeout::Recv,
            Some(PATIENCE),
        )
        .expect("SO_RCVTIMEO");
        let mut target = Target {
            pid,
            control: parent,
            listener: None,
            reaped: false,
        };
        match fdpass::recv_fd(target.control.as_fd()) {
            Ok(listener) => {
                target.listener = Some(listener);
                Ok(target)
            }
            Err(error) => {
                let status = target.wait();
                Err(format!(
                    "the target sent no listener ({error}); it ended with {status}"
                ))
            }
        }
    }

    /// The target's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Asks the target to make `call`, without waiting for the result.
    pub fn start(&self, call: Call) {
        rustix::io::write(&self.control, &[call.command()]).expect("command the target");
    }

    /// The result of the call started last: the value, or `-errno`.
    pub fn result(&self) -> i64 {
        let mut bytes = [0u8; 8];
        match rustix::io::read(&self.control, &mut bytes) {
            Ok(8) => i64::from_le_bytes(bytes),
            other => panic!("the target reported no result within {PATIENCE:?}: {other:?}"),
        }
    }

    /// Makes `call` in the target and returns its result.
    pub fn call(&self, call: Call) -> i64 {
        self.start(call);
        self.result()
    }

    /// Tells the target to exit and reaps it; returns how it ended.
    pub fn exit(mut self) -> String {
        let _ = rustix::io::write(&self.control, &[QUIT]);
        self.wait()
    }

    fn wait(&mut self) -> String {
        self.reaped = true;
        let deadline = Instant::now() + PATIENCE;
        loop {
            match rustix::process::waitpid(Some(self.pid), WaitOptions::NOHANG) {
                Ok(Some((_, status))) => {
                    return match (status.exit_status(), status.terminating_signal()) {
                        (Some(code), _) => format!("exit {code}"),
                        (_, Some(signal)) => format!("signal {signal}"),
                        _ => "an unknown status".to_owned(),
                    };
                }
                Ok(None) | Err(Errno::INTR) => {}
                Err(errno) => return format!("waitpid failed: {errno}"),
            }
            if Instant::now() > deadline {
                let _ = rustix::process::kill_process(self.pid, Signal::KILL);
                let _ = rustix::process::waitpid(Some(self.pid), WaitOptions::empty());
                return "hung (killed)".to_owned();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = rustix::process::kill_process(self.pid, Signal::KILL);
            let _ = rustix::process::waitpid(Some(self.pid), WaitOptions::empty());
        }
    }
}

/// The container process state runc sends, for container `id` whose process is `pid`, naming `fds`.
pub fn state_json(id: &str, pid: i32, fds: &[&str]) -> String {
    serde_json::json!({
        "ociVersion": "1.0.2",
        "fds": fds,
        "pid": pid,
        "metadata": format!("meta-{id}"),
        "state": {
            "ociVersion": "1.0.2",
            "id": id,
            "status": "creating",
            "pid": pid,
            "bundle": format!("/run/bundles/{id}"),
            "annotations": {"io.example/test": "agent"}
        }
    })
    .to_string()
}

/// Connects to the agent socket like runc (`SOCK_STREAM`).
pub fn connect(socket: &Path) -> OwnedFd {
    let address = SocketAddrUnix::new(socket.as_os_str().as_bytes()).expect("socket address");
    let connection = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .expect("socket");
    rustix::net::connect(&connection, &address).expect("connect to the agent");
    rustix::net::sockopt::set_socket_timeout(
        &connection,
        rustix::net::sockopt::Timeout::Recv,
        Some(PATIENCE),
    )
    .expect("SO_RCVTIMEO");
    connection
}

/// One `sendmsg` with `data` and `fds` as `SCM_RIGHTS`, as runc's `utils.SendFds` and crun's
/// `send_fd_to_socket_with_payload` do. Returns the bytes sent, or the error (a client that the agent
/// already dropped sees `EPIPE` or `ECONNRESET`).
pub fn send(connection: &OwnedFd, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<usize, Errno> {
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len().max(1)))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() {
        assert!(
            control.push(SendAncillaryMessage::ScmRights(fds)),
            "control buffer too small"
        );
    }
    rustix::net::sendmsg(
        connection,
        &[IoSlice::new(data)],
        &mut control,
        SendFlags::NOSIGNAL,
    )
}

/// Connects and sends the message, leaving the connection open as runc does; returns the connection.
pub fn hand_over(socket: &Path, data: &[u8], fds: &[BorrowedFd<'_>]) -> OwnedFd {
    let connection = connect(socket);
    let sent = send(&connection, data, fds).expect("sendmsg to the agent");
    assert_eq!(sent, data.len(), "a short send");
    connection
}

/// Registers `target` with the agent as container `id`, as runc does, and closes the test's copy of the
/// listener so that the agent holds the only one. Returns the (still open) connection.
pub fn register(agent: &Agent, target: &mut Target, id: &str) -> OwnedFd {
    let listener = target.listener.take().expect("the target's listener");
    let state = state_json(id, target.pid().as_raw_nonzero().get(), &["seccompFd"]);
    let connection = hand_over(&agent.socket, state.as_bytes(), &[listener.as_fd()]);
    agent.wait_for(&format!("container {id} to register"), |line| {
        line.contains(&format!("container {id}: registered"))
            || (line.contains("\"event\":\"registered\"")
                && line.contains(&format!("\"container\":\"{id}\"")))
    });
    connection
}

/// Whether the agent has closed `connection`: a read sees the end of the stream (or a reset, when the
/// agent closed with data of ours unread).
pub fn closed_by_agent(connection: &OwnedFd) -> bool {
    let mut byte = [0u8; 1];
    loop {
        match rustix::io::read(connection, &mut byte) {
            Ok(0) | Err(Errno::CONNRESET) => return true,
            Err(Errno::INTR) => continue,
            _ => return false,
        }
    }
}

/// The running kernel's version as (major, minor), from `/proc/sys/kernel/osrelease`.
pub fn kernel_version() -> Option<(u32, u32)> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let mut parts = release.trim().split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}
