//! `seccompctl run --handlers` with the issue's handler lines exactly as written, path syscalls and
//! connect through the CLI, and the load-time refusal of a memory-dependent allow of `execve`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn seccompctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seccompctl"))
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("seccompctl-handlers-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("scratch dir");
        Scratch(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lines that let a dynamically linked shell start (its libraries and locale files).
const LOADER: &str = "allow openat open if path under \"/usr\"\n\
                      allow openat open if path under \"/lib\"\n\
                      allow openat open if path under \"/lib64\"\n\
                      allow openat if path == \"/etc/ld.so.cache\"\n";

fn run(scratch: &Scratch, filter: &str, handlers: &str, script: &str) -> Output {
    let filter = scratch.write("filter.policy", filter);
    let handlers = scratch.write("h.rules", handlers);
    seccompctl()
        .arg("run")
        .arg("--policy")
        .arg(&filter)
        .arg("--handlers")
        .arg(&handlers)
        .args(["--", "/bin/sh", "-c", script])
        .output()
        .expect("run seccompctl")
}

#[test]
fn the_issues_three_lines_work_as_written() {
    let scratch = Scratch::new("issue");
    let root = scratch.0.display().to_string();
    scratch.write("srv/data/a", "in data\n");
    scratch.write("srv/database/b", "in database\n");
    // The issue's lines, with /srv/data under the scratch directory.
    let issue = format!(
        "allow openat open if path under \"{root}/srv/data\"      # whole path components: /srv/database is not under it\n\
         allow openat if path == \"/etc/hostname\"\n\
         errno(EACCES) openat open\n"
    );
    let output = run(
        &scratch,
        "default allow\nnotify openat open\n",
        &format!("{LOADER}{issue}"),
        &format!(
            "cat {root}/srv/data/a; h=$(cat /etc/hostname) && echo hostname ok; cat {root}/srv/database/b"
        ),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("in data\n"), "{stdout}\n{stderr}");
    assert!(stdout.contains("hostname ok"), "{stdout}\n{stderr}");
    assert!(!stdout.contains("in database"), "{stdout}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    // Each log line names the deciding rule: lines 5, 6 and 7 of h.rules.
    assert!(
        stderr.contains("srv/data/a\", O_RDONLY) -> inject-fd (") && stderr.contains("h.rules:5)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"/etc/hostname\"") && stderr.contains("h.rules:6)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("srv/database/b\", O_RDONLY) -> errno(EACCES) (") && stderr.contains("h.rules:7)"),
        "{stderr}"
    );
}

#[test]
fn path_syscalls_are_done_for_the_command_inside_the_tree_only() {
    let scratch = Scratch::new("fs");
    let root = scratch.0.display().to_string();
    scratch.write("box/keep", "x");
    scratch.write("outside/keep", "x");
    let handlers = format!(
        "{LOADER}allow mkdir mkdirat unlink unlinkat rmdir rename renameat renameat2 chmod fchmodat if path under \"{root}/box\"\n\
         errno(EPERM) mkdir mkdirat unlink unlinkat rmdir rename renameat renameat2 chmod fchmodat\n"
    );
    let output = run(
        &scratch,
        "default allow\nnotify openat open mkdir mkdirat unlink unlinkat rmdir rename renameat renameat2 chmod fchmodat\n",
        &handlers,
        &format!(
            "mkdir {root}/box/d && mv {root}/box/keep {root}/box/d/kept && chmod 600 {root}/box/d/kept && echo inside ok; \
             mkdir {root}/outside/d || echo mkdir refused; rm {root}/outside/keep || echo rm refused"
        ),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("inside ok"), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("mkdir refused") && stdout.contains("rm refused"),
        "{stdout}\n{stderr}"
    );
    assert!(scratch.0.join("box/d/kept").exists());
    assert!(scratch.0.join("outside/keep").exists() && !scratch.0.join("outside/d").exists());
}

#[test]
fn a_memory_dependent_allow_of_execve_is_refused_at_load_with_its_line() {
    let scratch = Scratch::new("execve");
    let filter = scratch.write("filter.policy", "default allow\nnotify execve\n");
    let handlers = scratch.write("h.rules", "# comment\nallow execve if path under \"/usr/bin\"\n");
    let output = seccompctl()
        .arg("run")
        .arg("--policy")
        .arg(&filter)
        .arg("--handlers")
        .arg(&handlers)
        .args(["--", "/bin/true"])
        .output()
        .expect("run seccompctl");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("h.rules:2: `execve` cannot be allowed by its memory"),
        "{stderr}"
    );
    assert!(stderr.contains("Landlock"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one error line: {stderr}");
}

/// An `O_PATH` open that a rule allows gets an fd (the file opened again read-only: `ADDFD` does not
/// take `O_PATH` files). Before, the kernel's refusal of the `O_PATH` fd ended `run` with "Bad file
/// descriptor".
#[test]
fn an_allowed_o_path_open_gets_an_fd() {
    if !std::path::Path::new("/usr/bin/python3").exists() {
        eprintln!("SKIP an_allowed_o_path_open_gets_an_fd: no /usr/bin/python3 to make O_PATH opens");
        return;
    }
    let scratch = Scratch::new("opath");
    let root = scratch.0.display().to_string();
    scratch.write("tree/sub/f", "x");
    let output = run(
        &scratch,
        "default allow\nnotify openat open\n",
        "allow openat open if path under \"/\"\n",
        &format!(
            "/usr/bin/python3 -c 'import os; d = os.open(\"{root}/tree/sub\", os.O_PATH | os.O_DIRECTORY); \
             f = os.open(\"{root}/tree/sub/f\", os.O_PATH); \
             print(\"stat\", os.stat(\"f\", dir_fd=d).st_size, os.fstat(f).st_size)'"
        ),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("stat 1 1"), "{stdout}\n{stderr}");
}
