//! `seccompctl run` on real programs: allow, errno and kill policies, notify rules answered by handlers
//! and by `--on-notify`, and the exit statuses of a shell (127, 126, 128 + N).

mod supervise_common;

use supervise_common::*;

#[test]
fn an_allow_policy_passes_the_commands_own_status_through() {
    let tmp = TempDir::new("run-allow");
    let policy = tmp.write("allow.policy", "default allow\n");
    let output = run(&["run", "--policy", s(&policy), "--", "true"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let output = run(&["run", "--policy", s(&policy), "--", "false"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let output = run(&[
        "run",
        "--policy",
        s(&policy),
        "--",
        "sh",
        "-c",
        "echo out; exit 7",
    ]);
    assert_eq!(code(&output), 7);
    assert_eq!(stdout(&output), "out\n");
}

#[test]
fn an_errno_rule_fails_the_syscall_with_that_errno() {
    let tmp = TempDir::new("run-errno");
    let policy = tmp.write("policy", "default allow\nerrno(EPERM) getdents64\n");
    let output = run(&["run", "--policy", s(&policy), "--", "ls", s(tmp.dir())]);
    // ls reports the failure and exits 2.
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Operation not permitted"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_kill_process_rule_gives_128_plus_sigsys() {
    let tmp = TempDir::new("run-kill");
    let policy = tmp.write("policy", "default allow\nkill-process getdents64\n");
    let output = run(&["run", "--policy", s(&policy), "--", "ls", s(tmp.dir())]);
    assert_eq!(code(&output), 128 + 31, "{}", stderr(&output));
}

#[test]
fn a_missing_command_gives_127_and_a_non_executable_one_126() {
    let tmp = TempDir::new("run-exec");
    let policy = tmp.write("policy", "default allow\n");
    let output = run(&[
        "run",
        "--policy",
        s(&policy),
        "--",
        "no-such-command-for-seccompctl",
    ]);
    assert_eq!(code(&output), 127);
    assert!(stderr(&output).starts_with("seccompctl: no-such-command-for-seccompctl: command not found"));
    let output = run(&["run", "--policy", s(&policy), "--", s(&tmp.path("missing/prog"))]);
    assert_eq!(code(&output), 127, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("No such file or directory"),
        "{}",
        stderr(&output)
    );
    // A file without execute permission: exec fails with EACCES.
    let output = run(&["run", "--policy", s(&policy), "--", s(&policy)]);
    assert_eq!(code(&output), 126, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Permission denied"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_policy_refusing_execve_gives_126_and_says_why() {
    let tmp = TempDir::new("run-execve");
    let policy = tmp.write("policy", "default allow\nerrno(EPERM) execve\n");
    let output = run(&["run", "--policy", s(&policy), "--", "true"]);
    assert_eq!(code(&output), 126);
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("Operation not permitted"), "{err}");
    assert!(err.contains("errno(EPERM)"), "{err}");
}

#[test]
fn notify_rules_are_logged_with_the_path_and_answered_by_the_handlers() {
    if !has_notify("notify_rules_are_logged") {
        return;
    }
    let tmp = TempDir::new("run-handlers");
    let data = tmp.write("data.txt", "secret\n");
    let policy = tmp.write("policy", "default allow\nnotify openat\n");
    // Refuse plain O_RDONLY opens (the data file); continue the loader's O_CLOEXEC opens.
    let handlers = tmp.write(
        "handlers",
        "default notify\nerrno(ENOENT) openat if args[2] == 0\n",
    );
    if !can_continue("notify_rules_are_logged") {
        return;
    }
    let output = run(&[
        "run",
        "--policy",
        s(&policy),
        "--handlers",
        s(&handlers),
        "--",
        "cat",
        s(&data),
    ]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    let err = stderr(&output);
    let expected = format!("openat(AT_FDCWD, \"{}\", O_RDONLY) -> errno(ENOENT)", s(&data));
    assert!(err.contains(&expected), "{err}");
    assert!(err.contains("No such file or directory"), "{err}");
    // The loader's opens were continued and logged as such.
    assert!(err.contains("O_RDONLY|O_CLOEXEC) -> continue"), "{err}");
}

#[test]
fn on_notify_value_is_what_the_syscall_returns() {
    let Some((_tmp, policy)) =
        notify_policy("on_notify_value", "run-value", "default allow\nnotify getppid\n")
    else {
        return;
    };
    let output = run(&[
        "run",
        "--policy",
        s(&policy),
        "--on-notify",
        "value(4242)",
        "-q",
        "--",
        "sh",
        "-c",
        "echo $PPID",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "4242\n");
    // -q: nothing logged.
    assert_eq!(stderr(&output), "");
}

#[test]
fn json_logs_go_to_the_output_file_one_object_per_line() {
    if !can_continue("json_logs") {
        return;
    }
    let tmp = TempDir::new("run-json");
    let data = tmp.write("data.txt", "hello\n");
    let policy = tmp.write("policy", "default allow\nnotify openat\n");
    let log = tmp.path("log.jsonl");
    let output = run(&[
        "run",
        "--policy",
        s(&policy),
        "--json",
        "-o",
        s(&log),
        "--",
        "cat",
        s(&data),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "hello\n");
    let text = std::fs::read_to_string(&log).expect("log written");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    let open = lines
        .iter()
        .find(|line| line["args"][1] == s(&data))
        .unwrap_or_else(|| panic!("no openat of the data file in {text}"));
    assert_eq!(open["syscall"], "openat");
    assert_eq!(open["args"][0], "AT_FDCWD");
    assert_eq!(open["answer"], "continue (--on-notify)");
    assert!(open["pid"].as_u64().is_some_and(|pid| pid > 0));
}

#[test]
fn a_policy_for_another_architecture_is_refused() {
    let tmp = TempDir::new("run-arch");
    let other = if cfg!(target_arch = "aarch64") {
        "x86_64"
    } else {
        "aarch64"
    };
    let policy = tmp.write("policy", &format!("arch {other}\ndefault allow\n"));
    let output = run(&["run", "--policy", s(&policy), "--", "true"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains(&format!("the policy is for {other}")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn without_no_new_privs_an_unprivileged_user_gets_a_clear_refusal() {
    // Needs root to drop to an unprivileged user with setpriv.
    let is_root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .map(|line| line.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false);
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if !is_root || !setpriv.exists() {
        eprintln!("SKIP: no_nnp refusal: needs root and /usr/bin/setpriv to run as an unprivileged user");
        return;
    }
    let tmp = TempDir::new("run-nnp");
    let policy = tmp.write("policy", "default allow\n");
    // The temp dir must be readable by nobody.
    let _ = std::process::Command::new("chmod")
        .args(["755", s(tmp.dir())])
        .status();
    let _ = std::process::Command::new("chmod")
        .args(["644", s(&policy)])
        .status();
    let output = std::process::Command::new(setpriv)
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["run", "--no-nnp", "--policy", s(&policy), "--", "true"])
        .output()
        .expect("setpriv runs");
    if stderr(&output).contains("setpriv:") {
        eprintln!("SKIP: no_nnp refusal: setpriv failed: {}", stderr(&output));
        return;
    }
    assert_eq!(code(&output), 125, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("EACCES") && err.contains("CAP_SYS_ADMIN"), "{err}");
    // With no_new_privs (the default) the same user can run it.
    let output = std::process::Command::new(setpriv)
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["run", "--policy", s(&policy), "--", "true"])
        .output()
        .expect("setpriv runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[test]
fn the_command_gets_default_signal_dispositions_while_seccompctl_ignores_interrupts() {
    let tmp = TempDir::new("run-signals");
    let policy = tmp.write("policy", "default allow\n");
    // SIGINT is ignored in seccompctl while it waits, but restored in the command: a shell that sends
    // itself SIGINT dies of it (a non-interactive shell cannot undo a disposition ignored on entry).
    let output = run(&[
        "run",
        "--policy",
        s(&policy),
        "--",
        "sh",
        "-c",
        "kill -INT $$; exit 0",
    ]);
    assert_eq!(code(&output), 128 + 2, "{}", stderr(&output));
    // seccompctl itself survives a SIGINT (as after a Ctrl-C) and reports the command's own status.
    let output = run(&[
        "run",
        "--policy",
        s(&policy),
        "--",
        "sh",
        "-c",
        "kill -INT $PPID; exit 4",
    ]);
    assert_eq!(code(&output), 4, "{}", stderr(&output));
    // SIGPIPE is at its default in the command (Rust programs ignore it): `yes` dies quietly of it.
    let output = run(&["run", "--policy", s(&policy), "--", "sh", "-c", "yes | head -n 1"]);
    assert_eq!(code(&output), 0);
    assert_eq!(stdout(&output), "y\n");
    assert_eq!(stderr(&output), "", "yes must not see EPIPE");
}

#[test]
fn handler_rules_open_allowed_paths_for_the_command_and_refuse_the_rest_naming_the_line() {
    if !can_continue("handler_rules_open_allowed_paths") {
        return;
    }
    if kernel_version() < (5, 14) {
        eprintln!("SKIP handler_rules_open_allowed_paths: ADDFD with SEND needs Linux 5.14");
        return;
    }
    let tmp = TempDir::new("run-rules");
    std::fs::create_dir_all(tmp.path("srv")).expect("mkdir srv");
    let allowed = tmp.write("srv/data.txt", "allowed\n");
    let refused = tmp.write("other.txt", "refused\n");
    let policy = tmp.write("policy", "default allow\nnotify openat open\n");
    let srv = tmp.path("srv");
    let handlers = tmp.write(
        "handlers",
        &format!(
            "default notify\n\
             allow openat open if path under \"/usr\"\n\
             allow openat open if path under \"/lib\"\n\
             allow openat open if path under \"/lib64\"\n\
             allow openat open if path under \"/etc\"\n\
             allow openat open if path under \"{}\"\n\
             errno(EACCES) openat open\n",
            s(&srv)
        ),
    );
    for workers in ["1", "2"] {
        let output = run(&[
            "run",
            "--policy",
            s(&policy),
            "--handlers",
            s(&handlers),
            "--workers",
            workers,
            "--",
            "cat",
            s(&allowed),
        ]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert_eq!(stdout(&output), "allowed\n");
        let err = stderr(&output);
        let line = err
            .lines()
            .find(|line| line.contains(s(&allowed)))
            .unwrap_or_else(|| panic!("no log line for the allowed file in {err}"));
        // Opened by the supervisor and injected; the log names line 6 of the handlers file.
        assert!(line.ends_with(&format!("({}:6)", s(&handlers))), "{line}");
    }
    let output = run(&[
        "run",
        "--policy",
        s(&policy),
        "--handlers",
        s(&handlers),
        "--",
        "cat",
        s(&refused),
    ]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    let err = stderr(&output);
    assert!(err.contains("Permission denied"), "{err}");
    assert!(
        err.contains(&format!("-> errno(EACCES) ({}:7)", s(&handlers))),
        "{err}"
    );
}

/// A lone notified syscall interrupted while seccompctl cannot receive (no notification before or after
/// it to show a gap in the ids) is still reported: the kernel's pending count makes the blocked `RECV`
/// return empty-handed once seccompctl runs again. (The target lives on a little: if every task of the
/// filter is gone before seccompctl runs again, Linux 6.11+ reports the hang-up first and the loss cannot
/// be seen.)
#[test]
fn a_single_interrupted_notification_is_reported() {
    use std::io::Write;
    let Some((_tmp, policy)) = notify_policy(
        "a_single_interrupted_notification_is_reported",
        "run-interrupted",
        "default allow\nnotify getppid\n",
    ) else {
        return;
    };
    // SIGUSR1 handler without SA_RESTART; one getppid once the test says so.
    let script = "use POSIX; sigaction(SIGUSR1, POSIX::SigAction->new(sub {}, POSIX::SigSet->new, 0)); \
                  $| = 1; print \"ready $$\\n\"; <STDIN>; my $p = getppid(); print \"done\\n\"; \
                  select(undef, undef, undef, 0.5);";
    let (mut child, supervisor, mut stdout, target) =
        start_ready_then_stop(&["run", "--policy", s(&policy), "--"], script);
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"go\n").expect("go");
    // Wait until the getppid is parked in the kernel, unreceived (its number in /proc/PID/syscall).
    let getppid = seccomp_core::arch::Arch::native()
        .and_then(|arch| arch.syscall_nr("getppid"))
        .expect("a native getppid");
    let parked = (0..1000).any(|_| {
        let text =
            std::fs::read_to_string(format!("/proc/{}/syscall", target.as_raw_nonzero())).unwrap_or_default();
        let parked = text.split_whitespace().next() == Some(getppid.to_string().as_str());
        if !parked {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        parked
    });
    assert!(parked, "the target never blocked in getppid");
    rustix::process::kill_process(target, rustix::process::Signal::USR1).expect("SIGUSR1");
    std::thread::sleep(std::time::Duration::from_millis(100));
    rustix::process::kill_process(supervisor, rustix::process::Signal::CONT).expect("SIGCONT");
    let output = child.wait_with_output().expect("seccompctl ends");
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
    assert!(rest.contains("done"), "{rest}");
    let err = stderr(&output);
    assert!(
        err.contains("1 notified syscall was interrupted by a signal"),
        "{err}"
    );
    assert_eq!(code(&output), 0, "{err}");
}

/// Starts `run` on a shell that prints its pid and then waits; returns seccompctl and the shell's pid.
fn start_waiting_shell(
    policy: &std::path::Path,
    script: &str,
) -> (std::process::Child, i32, impl std::io::BufRead) {
    use std::io::BufRead;
    let mut child = seccompctl()
        .args(["run", "-q", "--policy", s(policy), "--", "sh", "-c", script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("seccompctl runs");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the pid line");
    let pid = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("unexpected line {line:?}"));
    (child, pid, stdout)
}

/// Whether `pid` is gone or a zombie (it ended), within about two seconds.
fn ends_soon(pid: i32) -> bool {
    for _ in 0..200 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next());
        if stat.is_empty() || state == Some("Z") || state == Some("X") {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

#[test]
fn sigterm_and_sighup_to_seccompctl_are_forwarded_to_the_command() {
    let Some((_tmp, policy)) = notify_policy(
        "sigterm_and_sighup_are_forwarded",
        "run-forward",
        "default allow\nnotify getppid\n",
    ) else {
        return;
    };
    for (signal, name) in [
        (rustix::process::Signal::TERM, "TERM"),
        (rustix::process::Signal::HUP, "HUP"),
    ] {
        let script = format!("trap 'echo got {name}; exit 3' {name}; echo $$; while :; do sleep 0.05; done");
        let (child, _pid, mut stdout) = start_waiting_shell(&policy, &script);
        let supervisor = rustix::process::Pid::from_raw(child.id() as i32).expect("a pid");
        rustix::process::kill_process(supervisor, signal).expect("signal seccompctl");
        let output = child.wait_with_output().expect("seccompctl ends");
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        assert_eq!(rest, format!("got {name}\n"), "{}", stderr(&output));
        // seccompctl stayed to report the command's own status.
        assert_eq!(code(&output), 3, "{}", stderr(&output));
    }
}

#[test]
fn the_command_ends_when_seccompctl_is_killed() {
    let Some((_tmp, policy)) = notify_policy(
        "the_command_ends_when_seccompctl_is_killed",
        "run-pdeathsig",
        "default allow\nnotify getppid\n",
    ) else {
        return;
    };
    let (mut child, pid, _stdout) = start_waiting_shell(&policy, "echo $$; while :; do sleep 0.05; done");
    child.kill().expect("SIGKILL seccompctl");
    let _ = child.wait();
    assert!(ends_soon(pid), "the command {pid} outlived seccompctl");
}
