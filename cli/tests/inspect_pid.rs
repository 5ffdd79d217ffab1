//! `seccompctl disasm --pid` against real processes: a forked child that installs two filters and execs
//! `sleep`, a process without filters, and a process that no longer exists.
//!
//! Filters are installed only in the forked child, never in the test process.

use seccomp_core::abi::{self, SockFilter, offset};
use seccomp_core::arch::Arch;
use seccomp_core::bpf::insn::{BPF_JEQ, BPF_JMP, BPF_K};
use seccomp_sys::process::{self, Fork};
use seccomp_sys::{FilterFlags, install_unvalidated, set_no_new_privs};
use std::process::{Command, Output};

fn seccompctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(args)
        .output()
        .expect("seccompctl runs")
}

/// The `Name:` line of /proc/self/status.
fn status_field(pid: &str, name: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name).map(|rest| rest.trim().to_owned()))
}

/// Why this process cannot read other processes' filters, if it cannot.
fn cannot_read_filters() -> Option<&'static str> {
    let caps = status_field("self", "CapEff:").and_then(|hex| u64::from_str_radix(&hex, 16).ok());
    if caps.is_none_or(|caps| caps & (1 << 21) == 0) {
        return Some("not CAP_SYS_ADMIN (PTRACE_SECCOMP_GET_FILTER needs it)");
    }
    if status_field("self", "Seccomp:").is_some_and(|mode| mode != "0") {
        return Some(
            "the test itself runs under seccomp (the kernel then refuses PTRACE_SECCOMP_GET_FILTER)",
        );
    }
    None
}

/// A filter that fails syscall `nr` with `errno` and allows everything else of the native arch.
const fn filter(arch: u32, nr: u32, errno: u32) -> [SockFilter; 7] {
    [
        SockFilter::load_data(offset::ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
        SockFilter::ret(abi::RET_KILL_PROCESS),
        SockFilter::load_data(offset::NR),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        SockFilter::ret(abi::RET_ERRNO | errno),
        SockFilter::ret(abi::RET_ALLOW),
    ]
}

/// Kills and reaps the child when dropped, so a failing assertion leaves no process behind.
struct Child(rustix::process::Pid);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = rustix::process::kill_process(self.0, rustix::process::Signal::KILL);
        let _ = rustix::process::waitpid(Some(self.0), rustix::process::WaitOptions::empty());
    }
}

#[test]
fn disasm_pid_lists_a_sandboxed_childs_filters_oldest_first() {
    if let Some(reason) = cannot_read_filters() {
        eprintln!("SKIP: disasm --pid: {reason}");
        return;
    }
    let Some(arch) = Arch::native() else {
        eprintln!("SKIP: disasm --pid: unsupported host architecture");
        return;
    };
    let uname = arch.syscall_nr("uname").expect("uname exists");
    let getppid = arch.syscall_nr("getppid").expect("getppid exists");
    let older = filter(arch.audit(), uname, 1);
    let newer = filter(arch.audit(), getppid, 38);
    let sleep = c"/bin/sleep";
    let argv = [c"sleep", c"30"];
    // SAFETY: the child makes only raw syscalls (prctl, seccomp, execve, exit_group) on memory prepared
    // before the fork; it neither allocates nor takes locks.
    let pid = match unsafe { process::fork() } {
        Ok(Fork::Child) => {
            if set_no_new_privs().is_err()
                || install_unvalidated(&older, FilterFlags::EMPTY).is_err()
                || install_unvalidated(&newer, FilterFlags::EMPTY).is_err()
            {
                process::exit_group(126);
            }
            let _errno = process::execve(sleep, &argv, &[]);
            process::exit_group(127)
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(errno) => panic!("fork failed: {errno}"),
    };
    let child = Child(pid);
    let pid = child.0.as_raw_nonzero().get().to_string();
    // Wait (without a deadline assertion) until the child is in filter mode and has exec'd sleep.
    let mut ready = false;
    for _ in 0..2000 {
        let filtered = status_field(&pid, "Seccomp:").is_some_and(|mode| mode == "2");
        let exec_done = status_field(&pid, "Name:").is_some_and(|name| name == "sleep");
        if filtered && exec_done {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(ready, "the child never reached filter mode running sleep");

    let out = seccompctl(&["disasm", "--pid", &pid]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sections: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(sections.len(), 2, "{text}");
    // PTRACE_SECCOMP_GET_FILTER's index 0 is the oldest filter (kernel/seccomp.c get_nth_filter).
    assert!(
        sections[0].starts_with(&format!(
            "; process {pid}, filter 0 of 2 (oldest: installed first, runs last): 7 instructions\n"
        )),
        "{text}"
    );
    assert!(sections[0].contains(&format!("jeq #{uname}, 5, 6")), "{text}");
    assert!(sections[0].contains("ret ERRNO(1)"), "{text}");
    assert!(
        sections[1].starts_with(&format!(
            "; process {pid}, filter 1 of 2 (newest: installed last, runs first): 7 instructions\n"
        )),
        "{text}"
    );
    assert!(sections[1].contains(&format!("jeq #{getppid}, 5, 6")), "{text}");
    assert!(sections[1].contains("ret ERRNO(38)"), "{text}");
    // The child was detached and still runs, unaffected.
    assert_eq!(status_field(&pid, "Name:").as_deref(), Some("sleep"));
    assert_ne!(
        status_field(&pid, "State:").as_deref().map(|s| &s[..1]),
        Some("t")
    );
    drop(child);
}

#[test]
fn disasm_pid_of_unfiltered_and_dead_processes() {
    if let Some(reason) = cannot_read_filters() {
        eprintln!("SKIP: disasm --pid: {reason}");
        return;
    }
    let mut sleeper = Command::new("/bin/sleep").arg("30").spawn().expect("sleep runs");
    let pid = sleeper.id().to_string();
    let out = seccompctl(&["disasm", "--pid", &pid]);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("; process {pid} has no seccomp filter\n")
    );

    // The pid was reaped above; a dead process is bad input with a one-line error.
    let out = seccompctl(&["disasm", "--pid", &pid]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("seccompctl: process {pid}: no such process\n")
    );
    let out = seccompctl(&["disasm", "--pid", "0"]);
    assert_eq!(out.status.code(), Some(2));
}
