//! `seccompctl trace` on real programs: decoded arguments, following children, `--all` without deadlock,
//! unknown names, and strace attaching to a traced program (no ptrace is used by the tracer).

mod supervise_common;

use std::collections::BTreeSet;
use std::process::Stdio;
use supervise_common::*;

/// The pids of the `[pid N]` lines of a text trace that mention `needle`.
fn pids_of(trace: &str, needle: &str) -> BTreeSet<u32> {
    trace
        .lines()
        .filter(|line| line.contains(needle))
        .filter_map(|line| line.strip_prefix("[pid ")?.split([']', ' ']).next()?.parse().ok())
        .collect()
}

#[test]
fn trace_shows_the_opened_path_and_flags() {
    if !can_continue("trace_shows_the_opened_path") {
        return;
    }
    let tmp = TempDir::new("trace-open");
    let data = tmp.write("hello.txt", "hello\n");
    let output = run(&[
        "trace",
        "-s",
        "256",
        "--syscalls",
        "openat,execve",
        "--",
        "cat",
        s(&data),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "hello\n");
    let err = stderr(&output);
    assert!(
        err.contains(&format!("openat(AT_FDCWD, \"{}\", O_RDONLY)", s(&data))),
        "{err}"
    );
    assert!(err.contains("execve(\""), "{err}");
    assert!(err.contains(&format!("[\"cat\", \"{}\"]", s(&data))), "{err}");
    // Only the selected syscalls are shown.
    assert!(
        err.lines()
            .all(|line| line.contains("] openat(") || line.contains("] execve(")),
        "{err}"
    );
}

#[test]
fn trace_follows_children_and_shows_each_pid() {
    if !can_continue("trace_follows_children") {
        return;
    }
    let tmp = TempDir::new("trace-children");
    let data = tmp.write("name.txt", "child\n");
    // `; exit 0` keeps the shell from exec'ing cat in place, so cat is a child.
    let script = format!("cat {}; exit 0", s(&data));
    let output = run(&[
        "trace",
        "--syscalls",
        "execve,openat,exit_group",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "child\n");
    let err = stderr(&output);
    let shell = pids_of(&err, "execve(\"/");
    let cat = pids_of(&err, &format!("\"{}\"", s(&data)));
    assert_eq!(cat.len(), 1, "{err}");
    assert!(shell.len() >= 2, "the shell's and cat's execve, two pids: {err}");
    assert!(shell.is_superset(&cat), "{err}");
    assert!(pids_of(&err, "exit_group(").len() >= 2, "{err}");
}

#[test]
fn trace_all_runs_a_pipeline_to_completion() {
    if !can_continue("trace_all_runs_a_pipeline") {
        return;
    }
    let tmp = TempDir::new("trace-all");
    let log = tmp.path("trace.txt");
    let args = ["trace", "--all", "-o", s(&log), "--", "sh", "-c", "echo hi | cat"];
    let output = run_until(&args, |output| code(output) == 0 && stdout(output) == "hi\n");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "hi\n");
    let trace = std::fs::read_to_string(&log).expect("trace written");
    // The exec, the pipe, the writes of "hi", and the exits of at least three processes.
    assert!(trace.contains("execve(\""), "{trace}");
    assert!(trace.contains("write(1, \"hi\\n\", 3)"), "{trace}");
    assert!(pids_of(&trace, "exit_group(0)").len() >= 2, "{trace}");
    assert!(trace.lines().all(|line| line.starts_with("[pid ")), "{trace}");
}

#[test]
fn trace_json_lines_parse() {
    if !can_continue("trace_json_lines_parse") {
        return;
    }
    let output = run(&["trace", "--all", "--json", "--", "true"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let err = stderr(&output);
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(lines.first().map(|l| l["syscall"].clone()), Some("execve".into()));
    assert_eq!(
        lines.last().map(|l| l["syscall"].clone()),
        Some("exit_group".into())
    );
    assert!(lines.iter().all(|l| l.get("answer").is_none()));
}

#[test]
fn the_traced_commands_status_and_signals_come_through() {
    if !can_continue("trace_status") {
        return;
    }
    let output = run(&["trace", "--syscalls", "kill", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(code(&output), 128 + 15, "{}", stderr(&output));
    assert!(stderr(&output).contains(", SIGTERM)"), "{}", stderr(&output));
    let output = run(&["trace", "--syscalls", "exit_group", "--", "sh", "-c", "exit 3"]);
    assert_eq!(code(&output), 3);
    assert!(stderr(&output).contains("exit_group(3)"), "{}", stderr(&output));
}

#[test]
fn unknown_syscall_names_are_a_usage_error() {
    let output = run(&["trace", "--syscalls", "openat,frobnicate", "--", "true"]);
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.starts_with("seccompctl: unknown syscall name in --syscalls: frobnicate"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn strace_can_attach_to_a_traced_program() {
    if !can_continue("strace_can_attach") {
        return;
    }
    let strace = ["/usr/bin/strace", "/bin/strace"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists());
    let Some(strace) = strace else {
        eprintln!("SKIP: strace_can_attach: strace is not installed");
        return;
    };
    let tmp = TempDir::new("trace-strace");
    let pidfile = tmp.path("pid");
    let ready = tmp.path("ready");
    let strace_out = tmp.path("strace.txt");
    // The program writes its pid, waits until strace is attached, then does some visible syscalls.
    let script = format!(
        "echo $$ > {pid}.tmp && mv {pid}.tmp {pid}; \
         i=0; while [ ! -e {ready} ] && [ $i -lt 300 ]; do i=$((i+1)); sleep 0.01; done; \
         for n in 1 2 3; do echo tick$n; done",
        pid = s(&pidfile),
        ready = s(&ready),
    );
    let mut tracer = seccompctl()
        .args(["trace", "--syscalls", "write", "--", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("seccompctl starts");
    let mut pid = None;
    for _ in 0..500 {
        if let Some(p) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
        {
            pid = Some(p);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let Some(pid) = pid else {
        let _ = tracer.kill();
        panic!("the traced shell never wrote its pid");
    };
    // strace -p runs until the tracee exits; create the ready file once it has attached (it prints
    // "attached" on stderr with -o going elsewhere).
    let mut strace_child = std::process::Command::new(strace)
        .args([
            "-f",
            "-e",
            "trace=write",
            "-o",
            s(&strace_out),
            "-p",
            &pid.to_string(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("strace starts");
    let mut attached = false;
    let mut strace_err = String::new();
    if let Some(stderr) = strace_child.stderr.take() {
        use std::io::{BufRead, BufReader};
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            strace_err.push_str(&line);
            if line.contains("attached") {
                attached = true;
                break;
            }
            line.clear();
        }
        std::fs::write(&ready, "").expect("ready file");
        // Drain the rest in the background so strace never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
        });
    }
    let strace_status = strace_child.wait().expect("strace ends");
    let output = tracer.wait_with_output().expect("seccompctl ends");
    if !attached {
        if strace_err.contains("Operation not permitted") {
            eprintln!("SKIP: strace_can_attach: ptrace is not permitted here: {strace_err}");
            return;
        }
        panic!("strace did not attach ({strace_status:?}): {strace_err}");
    }
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "tick1\ntick2\ntick3\n");
    let ours = stderr(&output);
    assert!(ours.contains("write(1, \"tick2\\n\", 6)"), "{ours}");
    let theirs = std::fs::read_to_string(&strace_out).expect("strace output");
    assert!(
        theirs.contains("write(1, \"tick2\\n\", 6"),
        "strace saw: {theirs}"
    );
}

/// The target side of `a_target_passing_garbage_pointers_is_shown_not_trusted`: makes two syscalls with
/// unmapped pointers, which fail with EFAULT.
fn act_as_hostile_target() {
    let arch = seccomp_core::arch::Arch::native().expect("a supported host");
    let openat = arch.syscall_nr("openat").expect("openat exists");
    let write = arch.syscall_nr("write").expect("write exists");
    // SAFETY: the kernel only reads through the garbage pointer, faults, and returns EFAULT; nothing in
    // this process changes.
    let opened = unsafe { seccomp_sys::raw::syscall3(openat, (-100i64) as usize, 0xdead_0000, 0) };
    assert!(opened.is_err());
    // SAFETY: as above; fd 1 is stdout and the buffer pointer is unmapped, so write fails with EFAULT.
    let written = unsafe { seccomp_sys::raw::syscall3(write, 1, 0xbad_0000, 16) };
    assert!(written.is_err());
    // And a well-formed call for contrast: a connect to the discard port, refused or not.
    let _ = std::net::TcpStream::connect(("127.0.0.1", 9));
}

#[test]
fn a_target_passing_garbage_pointers_is_shown_not_trusted() {
    // Re-executed under `seccompctl trace`, this test binary is the target.
    if std::env::var_os("SECCOMPCTL_HOSTILE_TARGET").is_some() {
        act_as_hostile_target();
        return;
    }
    if !can_continue("garbage pointers") {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let output = seccompctl()
        .env("SECCOMPCTL_HOSTILE_TARGET", "1")
        .args(["trace", "--syscalls", "openat,write,connect", "--"])
        .arg(&exe)
        .args([
            "--exact",
            "a_target_passing_garbage_pointers_is_shown_not_trusted",
            "--test-threads=1",
        ])
        .output()
        .expect("seccompctl runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("openat(AT_FDCWD, <unreadable 0xdead0000>, O_RDONLY)"),
        "{err}"
    );
    assert!(err.contains("write(1, <unreadable 0xbad0000>, 16)"), "{err}");
    assert!(
        err.contains(", {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr(\"127.0.0.1\")}, 16)"),
        "{err}"
    );
}
