//! Helpers shared by the `supervise_*` integration tests: running the real binary, temporary files, and
//! visible skips when the kernel lacks a feature.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The binary under test.
pub fn seccompctl() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_seccompctl"));
    // Fewer locale files to open: shorter, steadier traces.
    command.env("LC_ALL", "C").stdin(Stdio::null());
    command
}

/// Runs seccompctl with `args` and returns its output.
pub fn run(args: &[&str]) -> Output {
    seccompctl().args(args).output().expect("seccompctl runs")
}

/// The output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The error output as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The exit status (panics if the process was killed: seccompctl itself must never die of a signal).
pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("seccompctl was killed: {:?}\n{}", output.status, stderr(output)))
}

/// The running kernel's (major, minor).
pub fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.trim().split(['.', '-']);
    let major = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor)
}

/// Whether the kernel can continue a notified syscall (Linux 5.5); prints a visible skip otherwise.
pub fn can_continue(test: &str) -> bool {
    if kernel_version() >= (5, 5) {
        return true;
    }
    eprintln!("SKIP: {test}: the kernel lacks SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5)");
    false
}

/// Whether the kernel has user notifications at all (Linux 5.0); prints a visible skip otherwise.
pub fn has_notify(test: &str) -> bool {
    if kernel_version() >= (5, 0) {
        return true;
    }
    eprintln!("SKIP: {test}: the kernel lacks seccomp user notifications (Linux 5.0)");
    false
}

/// The start of a test that runs a command under a notifying policy: a fresh directory (`tag`) holding
/// `policy` as its file `policy`, or `None` (after a visible SKIP) where the kernel cannot notify.
pub fn notify_policy(test: &str, tag: &str, policy: &str) -> Option<(TempDir, PathBuf)> {
    if !has_notify(test) {
        return None;
    }
    let tmp = TempDir::new(tag);
    let path = tmp.write("policy", policy);
    Some((tmp, path))
}

/// A fresh temporary directory for one test, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates it.
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("seccompctl-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// A path inside it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes a file inside it and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write temp file");
        path
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A path as `&str` (temp paths are ASCII).
pub fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Runs seccompctl with `args` in its own process group; if it is still running after `limit`, kills the
/// whole group (seccompctl and the command) and returns `None`.
pub fn run_guarded(args: &[&str], limit: std::time::Duration) -> Option<Output> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut child = seccompctl()
        .args(args)
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("seccompctl starts");
    let mut out_pipe = child.stdout.take().expect("stdout piped");
    let mut err_pipe = child.stderr.take().expect("stderr piped");
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out_pipe.read_to_end(&mut bytes);
        bytes
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err_pipe.read_to_end(&mut bytes);
        bytes
    });
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break Some(status);
        }
        if std::time::Instant::now() >= deadline {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let Some(status) = status else {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status();
        let _ = child.wait();
        let _ = out_reader.join();
        let _ = err_reader.join();
        return None;
    };
    Some(Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    })
}

/// What seccompctl prints when a signal interrupted a notified syscall before it was received.
pub const INTERRUPTED: &str = "interrupted a notified syscall";

/// Retries `attempt` (at most three times) while it reports a disturbed run: one that hung, or that went
/// wrong while seccompctl reported that a signal interrupted a notification before it could be received.
///
/// That interruption is a documented limit of seccomp user notifications (the kernel fails the waiting
/// syscall with EINTR, or restarts it under an `SA_RESTART` handler, when a signal comes before the
/// supervisor receives it; a shell's SIGCHLD racing with its next syscall after a child exits is the usual
/// case), not a seccompctl bug; seccompctl detects and reports it. A run that went wrong *without* that
/// report is returned as it is, for the test to fail on. Each retry is announced on stderr.
pub fn retry_disturbed<T>(what: &str, mut attempt: impl FnMut() -> Result<T, String>) -> T {
    for n in 1..=3 {
        match attempt() {
            Ok(value) => return value,
            Err(why) => eprintln!("note: attempt {n} of {what} was disturbed ({why}); retrying"),
        }
    }
    panic!("three attempts of {what} were all disturbed");
}

/// Runs a supervising seccompctl command and returns its first output that `accept` takes, retrying
/// disturbed runs (see [`retry_disturbed`]); an unaccepted run without an interruption report is returned
/// for the caller's assertions to fail on.
pub fn run_until(args: &[&str], accept: impl Fn(&Output) -> bool) -> Output {
    retry_disturbed(&format!("{args:?}"), || {
        match run_guarded(args, std::time::Duration::from_secs(20)) {
            None => Err("it hung and was killed".to_owned()),
            Some(output) if !accept(&output) && stderr(&output).contains(INTERRUPTED) => {
                Err(format!("seccompctl said: {}", stderr(&output).trim()))
            }
            Some(output) => Ok(output),
        }
    })
}

/// A static x86_64 ELF executable with one loadable segment (read + execute, at 0x400000) holding `code`,
/// which starts running at its first byte: for tests that need a program making exactly the syscalls
/// they name.
pub fn static_x86_64_elf(code: &[u8]) -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    const EHDR: u64 = 64;
    const PHDR: u64 = 56;
    let entry = BASE + EHDR + PHDR;
    let size = EHDR + PHDR + code.len() as u64;
    let mut out = Vec::new();
    out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    out.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    out.extend_from_slice(&entry.to_le_bytes());
    out.extend_from_slice(&EHDR.to_le_bytes()); // e_phoff
    out.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    out.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    out.extend_from_slice(&(EHDR as u16).to_le_bytes());
    out.extend_from_slice(&(PHDR as u16).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    out.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
    out.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    out.extend_from_slice(&5u32.to_le_bytes()); // PF_R | PF_X
    out.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    out.extend_from_slice(&BASE.to_le_bytes()); // p_vaddr
    out.extend_from_slice(&BASE.to_le_bytes()); // p_paddr
    out.extend_from_slice(&size.to_le_bytes()); // p_filesz
    out.extend_from_slice(&size.to_le_bytes()); // p_memsz
    out.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align
    out.extend_from_slice(code);
    out
}

/// Whether every thread of `pid` is stopped (state `T` in each `/proc/PID/task/*/stat`).
pub fn all_stopped(pid: rustix::process::Pid) -> bool {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", pid.as_raw_nonzero()));
    tasks.is_ok_and(|tasks| {
        tasks.flatten().all(|task| {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            stat.rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next())
                == Some("T")
        })
    })
}

/// Starts `seccompctl ARGS perl -e SCRIPT` (stdin, stdout and stderr piped), reads the script's
/// `ready PID` line, then stops seccompctl (SIGSTOP) and waits, up to 5 s, until every one of its
/// threads has stopped: a thread that ran on would receive the target's next notification. Returns the
/// child, its supervisor pid, the rest of its stdout and the target's pid.
pub fn start_ready_then_stop(
    args: &[&str],
    script: &str,
) -> (
    std::process::Child,
    rustix::process::Pid,
    std::io::BufReader<std::process::ChildStdout>,
    rustix::process::Pid,
) {
    use std::io::BufRead;
    let mut child = seccompctl()
        .args(args)
        .args(["perl", "-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("seccompctl runs");
    let supervisor = rustix::process::Pid::from_raw(child.id() as i32).expect("a pid");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("ready line");
    let target: i32 = line
        .trim()
        .strip_prefix("ready ")
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    let target = rustix::process::Pid::from_raw(target).expect("a pid");
    rustix::process::kill_process(supervisor, rustix::process::Signal::STOP).expect("SIGSTOP");
    let stopped = (0..1000).any(|_| {
        let stopped = all_stopped(supervisor);
        if !stopped {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        stopped
    });
    assert!(stopped, "seccompctl did not stop");
    (child, supervisor, stdout, target)
}
