//! The learned policies that used to break (issue #14), reproduced on real programs: a command's second
//! run needing more than its first (grown with `learn --merge`), a thread start the learning run did not
//! make (clone3 answered ENOSYS, so glibc falls back to clone), the first signal a handler catches
//! (rt_sigreturn always allowed), and `learn -o existing` for a command that cannot start (the file is
//! kept). Also the file's layout and `--args`.

mod supervise_common;

use seccomp_core::action::Action;
use seccomp_core::policy::Policy;
use supervise_common::*;

/// Runs `learn` with `options` then `--` `command` and returns the policy text; the command must exit 0
/// with `expected` on stdout.
fn learn(policy: &std::path::Path, options: &[&str], command: &[&str], expected: &str) -> String {
    let mut args = vec!["learn", "-o", s(policy)];
    args.extend_from_slice(options);
    args.push("--");
    args.extend_from_slice(command);
    // A syscall a signal interrupts is retried (the command saw EINTR) or missing; the runs under the
    // policy that follow show whether the policy works.
    let output = run_until(&args, |output| code(output) == 0 && stdout(output) == expected);
    assert_eq!(code(&output), 0, "learn {command:?}: {}", stderr(&output));
    assert_eq!(stdout(&output), expected, "learn {command:?}");
    std::fs::read_to_string(policy).expect("policy written")
}

/// Runs `command` under `policy`.
fn run_under(policy: &std::path::Path, command: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--policy", s(policy), "--"];
    args.extend_from_slice(command);
    run(&args)
}

/// The syscalls a policy allows unconditionally (groups expanded), by name.
fn allowed(text: &str) -> Vec<String> {
    let arch = seccomp_core::arch::Arch::native().expect("a supported arch");
    let policy: Policy = Policy::parse(text, arch).unwrap_or_else(|e| panic!("{e}\n{text}"));
    policy
        .rules()
        .filter(|rule| rule.action() == Action::ALLOW && !rule.is_conditional())
        .filter_map(|rule| arch.syscall_name(rule.nr()).map(str::to_owned))
        .collect()
}

fn has(program: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    if !found {
        eprintln!("SKIP: {program} is not installed");
    }
    found
}

#[test]
fn gzip_keep_force_runs_again_once_the_second_run_is_merged() {
    if !can_continue("learn gzip") || !has("gzip") {
        return;
    }
    let tmp = TempDir::new("learn-gzip");
    let input = tmp.write("f1.txt", "some text to compress\n");
    let policy = tmp.path("gzip.policy");
    let command = ["gzip", "-k", "-f", s(&input)];
    // First run: f1.txt.gz does not exist yet, so nothing is unlinked.
    let first = learn(&policy, &[], &command, "");
    assert!(!allowed(&first).contains(&"unlink".to_owned()), "{first}");
    // The second run replaces f1.txt.gz (-f): it needs unlink, which the first run never made.
    let output = run_under(&policy, &command);
    assert_ne!(code(&output), 0, "gzip's second run needs unlink");
    // Growing the policy from the second run.
    let merged = learn(&policy, &["--merge"], &command, "");
    assert!(allowed(&merged).contains(&"unlink".to_owned()), "{merged}");
    assert!(merged.contains("\n# Also learned from: gzip -k -f "), "{merged}");
    let output = run_under(&policy, &command);
    assert_eq!(code(&output), 0, "{}\n{merged}", stderr(&output));
    // A third merge adds nothing new and keeps the rules.
    let again = learn(&policy, &["-a"], &command, "");
    assert_eq!(allowed(&again), allowed(&merged));
}

#[test]
fn a_python_thread_start_falls_back_from_clone3_to_clone() {
    if !can_continue("learn python thread") || !has("python3") {
        return;
    }
    let tmp = TempDir::new("learn-py-thread");
    let policy = tmp.path("py.policy");
    // The learning run forks (glibc's fork uses clone) but starts no thread (which uses clone3).
    let fork = "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\nprint(1)";
    let text = learn(&policy, &[], &["python3", "-c", fork], "1\n");
    let names = allowed(&text);
    assert!(!names.contains(&"clone3".to_owned()), "{text}");
    assert!(text.contains("\nerrno(ENOSYS) clone3 "), "{text}");
    let thread = format!(
        "{fork}\nimport threading\nt = threading.Thread(target=print, args=(2,))\nt.start()\nt.join()"
    );
    let output = run_under(&policy, &["python3", "-c", &thread]);
    assert_eq!(code(&output), 0, "{}\n{text}", stderr(&output));
    assert_eq!(stdout(&output), "1\n2\n");
}

#[test]
fn a_perl_sigusr1_handler_returns_through_rt_sigreturn() {
    if !can_continue("learn perl signal") || !has("perl") {
        return;
    }
    let tmp = TempDir::new("learn-perl");
    let policy = tmp.path("perl.policy");
    // The learning run installs the handler and calls kill, but with signal 0: nothing is delivered.
    let script = |signal: &str| {
        format!("$SIG{{USR1}} = sub {{ print \"got\\n\" }}; kill {signal}, $$; print \"ok\\n\";")
    };
    let text = learn(&policy, &[], &["perl", "-e", &script("0")], "ok\n");
    assert!(text.contains("\nallow rt_sigreturn "), "{text}");
    let output = run_under(&policy, &["perl", "-e", &script("'USR1'")]);
    assert_eq!(code(&output), 0, "{}\n{text}", stderr(&output));
    assert_eq!(stdout(&output), "got\nok\n");
}

#[test]
fn learn_into_an_existing_file_keeps_it_when_the_command_cannot_start() {
    if !can_continue("learn keeps the file") {
        return;
    }
    let tmp = TempDir::new("learn-keep");
    let policy = tmp.write("kept.policy", "default allow\n");
    let output = run(&["learn", "-o", s(&policy), "--", "no-such-command-for-seccompctl"]);
    assert_eq!(code(&output), 127, "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&policy).ok().as_deref(),
        Some("default allow\n")
    );
    let output = run(&[
        "learn",
        "-a",
        "-o",
        s(&policy),
        "--",
        "no-such-command-for-seccompctl",
    ]);
    assert_eq!(code(&output), 127, "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&policy).ok().as_deref(),
        Some("default allow\n")
    );
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(tmp.dir())
        .expect("read dir")
        .filter_map(|entry| entry.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(names, [std::ffi::OsString::from("kept.policy")]);
    // A merge of a file that does not parse names its line and changes nothing.
    let bad = tmp.write("bad.policy", "default allow\nallow nosuchcall\n");
    let output = run(&["learn", "--merge", "-o", s(&bad), "--", "true"]);
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    assert!(stderr(&output).contains("bad.policy:2:"), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&bad).ok().as_deref(),
        Some("default allow\nallow nosuchcall\n")
    );
}

#[test]
fn the_file_is_grouped_counted_and_quotes_the_command() {
    if !can_continue("learn layout") {
        return;
    }
    let tmp = TempDir::new("learn-layout");
    let data = tmp.write("it's data.txt", "x\n");
    let policy = tmp.path("cat.policy");
    let text = learn(&policy, &["--args"], &["cat", s(&data)], "x\n");
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with("# Learned by `seccompctl learn` from: cat '"),
        "{text}"
    );
    assert!(first.contains("it'\\''s data.txt' (exit status 0)"), "{text}");
    for heading in [
        "\n# file system\n",
        "\n# reading, writing and file descriptors\n",
        "\n# processes and threads\n",
    ] {
        assert!(text.contains(heading), "{heading:?} missing:\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("allow read ") && l.contains("# ") && l.contains(" call")),
        "{text}"
    );
    // cat maps memory, never writable and executable at once: the W^X condition.
    assert!(
        text.lines()
            .any(|l| l.starts_with("allow mmap if (args[2] & 6) == 0")),
        "{text}"
    );
    assert!(text.contains("\nallow exit "), "exit is always allowed:\n{text}");
    let output = run_under(&policy, &["cat", s(&data)]);
    assert_eq!(code(&output), 0, "{}\n{text}", stderr(&output));
}
