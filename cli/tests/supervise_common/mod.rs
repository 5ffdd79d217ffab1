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

/// A fresh temporary directory for one test, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates it.
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "seccompctl-{tag}-{}-{n}",
            std::process::id()
        ));
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
