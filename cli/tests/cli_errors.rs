//! The command line's promises, checked on the real binary: every error is one line starting
//! `seccompctl:`, control characters are escaped, each class of error has its documented exit status, and a
//! closed or full stdout or stderr never makes seccompctl panic.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn seccompctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("seccompctl runs")
}

fn golden(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
        .display()
        .to_string()
}

/// A file with `bytes` in a scratch directory of this test binary.
fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seccompctl-cli-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write scratch file");
    path
}

/// Asserts the output is one error line `seccompctl: ...` with `status`, and returns the line.
fn one_line_error(output: &Output, status: i32) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8");
    assert_eq!(output.status.code(), Some(status), "stderr: {stderr}");
    assert!(stderr.starts_with("seccompctl: "), "{stderr:?}");
    assert!(stderr.ends_with('\n'), "{stderr:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(!stderr.contains("error:"), "{stderr:?}");
    stderr.trim_end().to_owned()
}

#[test]
fn clap_usage_errors_are_one_line_with_status_2() {
    for args in [
        &["bogus"][..],
        &["run"],
        &["trace", "--bogus", "--", "true"],
        &["compile", "--emit", "foo", "x"],
        &["sim", "x", "--syscall"],
        &["completions", "fish2"],
        &[],
    ] {
        let line = one_line_error(&seccompctl(args), 2);
        assert!(line.contains("--help`)"), "{args:?}: {line}");
    }
    let line = one_line_error(&seccompctl(&["compile", "--emit", "foo", "x"]), 2);
    assert!(
        line.contains("'foo'") && line.contains("possible values: bpf, asm"),
        "{line}"
    );
    assert!(line.ends_with("(see `seccompctl compile --help`)"), "{line}");
}

#[test]
fn help_is_a_subcommand_with_its_own_help() {
    let out = seccompctl(&["help", "--help"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: seccompctl help [SUBCOMMAND]"));
    let out = seccompctl(&["help", "sim"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: seccompctl sim"));
    let line = one_line_error(&seccompctl(&["help", "bogus"]), 2);
    assert!(line.contains("no subcommand `bogus`"), "{line}");
    let out = seccompctl(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("seccompctl "));
}

#[test]
fn unknown_syscall_names_on_the_command_line_are_usage_errors_everywhere() {
    let bpf = golden("sandbox.bpf");
    let resolve = one_line_error(&seccompctl(&["resolve", "bogus"]), 2);
    assert!(resolve.contains("unknown syscall `bogus`"), "{resolve}");
    one_line_error(&seccompctl(&["resolve", "99999"]), 2);
    let sim = one_line_error(
        &seccompctl(&["sim", &bpf, "--arch", "x86_64", "--syscall", "bogus"]),
        2,
    );
    assert!(sim.contains("unknown syscall `bogus`"), "{sim}");
    one_line_error(&seccompctl(&["resolve", "read", "--arch", "vax"]), 2);
    // The same name inside a policy file is bad input.
    let policy = scratch_file("unknown.policy", b"default allow\nallow bogus\n");
    let line = one_line_error(
        &seccompctl(&[
            "compile",
            policy.to_str().expect("UTF-8"),
            "--arch",
            "x86_64",
            "--emit",
            "asm",
        ]),
        3,
    );
    assert!(
        line.ends_with("unknown.policy:2:7: unknown syscall `bogus` for x86_64"),
        "{line}"
    );
}

#[test]
fn control_bytes_from_the_input_are_escaped() {
    let cases: [(&str, &[u8], &str); 3] = [
        ("nul.policy", b"default allow\nallow \0read\n", "found `\\0`"),
        ("esc.policy", b"default errno(E\x1b[31mX)\n", "found `E\\e[31mX`"),
        ("bom.policy", b"\xef\xbb\xbfdefault allow\n", "found `\\u{feff}`"),
    ];
    for (name, bytes, expected) in cases {
        let path = scratch_file(name, bytes);
        let out = seccompctl(&["compile", path.to_str().expect("UTF-8"), "--emit", "asm"]);
        let line = one_line_error(&out, 3);
        assert!(line.contains(expected), "{name}: {line}");
        assert!(
            !out.stderr.iter().any(|&b| b < 0x20 && b != b'\n'),
            "{name}: raw control byte in {:?}",
            out.stderr
        );
        assert!(!line.contains('\u{feff}'), "{name}: raw BOM");
    }
}

#[test]
fn errno_errors_name_the_value_and_point_at_it() {
    let path = scratch_file("errno.policy", b"default errno(EPERMX)\n");
    let line = one_line_error(&seccompctl(&["compile", path.to_str().expect("UTF-8")]), 3);
    assert!(
        line.ends_with("errno.policy:1:15: expected a number or an errno name such as EPERM, found `EPERMX`"),
        "{line}"
    );
    let path = scratch_file("big.policy", b"default allow\nerrno(5000) read\n");
    let line = one_line_error(&seccompctl(&["compile", path.to_str().expect("UTF-8")]), 3);
    assert!(
        line.contains("big.policy:2:7:") && line.ends_with("found `5000`"),
        "{line}"
    );
    let line = one_line_error(
        &seccompctl(&["run", "--policy", "x", "--on-notify", "errno(EFOO)", "--", "true"]),
        2,
    );
    assert!(line.contains("EFOO"), "{line}");
}

#[test]
fn messages_never_point_past_the_end_of_the_file() {
    // Two lines and a final newline: the missing default is reported on line 2, not on a line 3.
    let path = scratch_file("nodefault.policy", b"allow read\nallow write\n");
    let line = one_line_error(&seccompctl(&["compile", path.to_str().expect("UTF-8")]), 3);
    assert!(
        line.contains("nodefault.policy:2:1: expected a `default ACTION` line"),
        "{line}"
    );
    let path = scratch_file("empty.policy", b"");
    let line = one_line_error(&seccompctl(&["compile", path.to_str().expect("UTF-8")]), 3);
    assert!(line.contains("empty.policy:1:1:"), "{line}");
}

#[test]
fn a_closed_stdout_pipe_ends_quietly_with_the_usual_status() {
    // A listing much larger than a pipe buffer, read one line and closed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["disasm", &golden("libseccomp-default.bpf")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_full_stderr_or_stdout_is_no_panic() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    // An error that cannot be printed still leaves with its status.
    let out = Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["resolve", "bogus"])
        .stderr(full())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    // A full stdout is a system error (exit 5), reported on stderr in one line.
    let out = Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["disasm", &golden("sandbox.bpf")])
        .stdout(full())
        .output()
        .expect("runs");
    let line = one_line_error(&out, 5);
    assert!(line.contains("standard output"), "{line}");
    // Help into a full stdout.
    let out = Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["--help"])
        .stdout(full())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn actions_are_named_as_the_policy_language_names_them() {
    let out = seccompctl(&["actions"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        names,
        [
            "kill-process",
            "kill-thread",
            "trap",
            "errno",
            "notify",
            "trace",
            "log",
            "allow"
        ]
    );
    assert!(text.contains("SECCOMP_RET_USER_NOTIF"));
}

#[test]
fn trace_with_its_log_pipe_closed_keeps_the_commands_status() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seccompctl"))
        .args(["trace", "--all", "--", "sh", "-c", "exit 3"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end at once: every log line meets EPIPE (the `2>&1 | head -c 10` case).
    drop(child.stderr.take());
    let status = child.wait().expect("wait");
    if status.code() == Some(125) {
        // Only when the kernel lacks user notifications (before 5.0) or seccompctl runs under a listener.
        eprintln!("SKIP: trace could not start here");
        return;
    }
    assert_eq!(status.code(), Some(3), "no panic (101), the command's status");
}

#[test]
fn completions_offer_arches_answers_and_syscall_names() {
    for shell in ["bash", "zsh", "fish"] {
        let out = seccompctl(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for word in [
            "aarch64",
            "x32",
            "errno(EPERM)",
            "continue",
            "openat",
            "exit_group",
            "asm",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // Syscall names are offered, not enforced by clap: the subcommand decides (exit 2, one line).
    one_line_error(&seccompctl(&["resolve", "not_a_syscall"]), 2);
}

/// What bash's completion function offers for `line` (the cursor at its end), given the words bash splits
/// it into (`COMP_WORDBREAKS` has `=`: `trace=ope` is `trace`, `=`, `ope`): the script is sourced into a
/// fresh bash, the function called as `complete -F` calls it, and `COMPREPLY` printed one word a line.
fn bash_completion(script: &Path, line: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words
        .iter()
        .map(|word| format!("'{}'", word.replace('\'', r"'\''")))
        .collect();
    let program = format!(
        "source '{}' || exit 9\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\nCOMP_WORDS=({})\n\
         COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\nCOMPREPLY=()\n\
         _seccompctl seccompctl \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" ")
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_syscall_lists_after_trace_e_and_syscalls() {
    let out = seccompctl(&["completions", "bash"]);
    assert!(out.status.success());
    let script = scratch_file("seccompctl.bash", &out.stdout);
    let offers = |line: &str, words: &[&str]| bash_completion(&script, line, words);

    // `-e trace=ope`: bash replaces `ope` (after the `=`), so the names come bare.
    let names = offers(
        "seccompctl trace -e trace=ope",
        &["seccompctl", "trace", "-e", "trace", "=", "ope"],
    );
    assert!(names.iter().any(|name| name == "openat"), "{names:?}");
    assert!(names.iter().all(|name| name.starts_with("ope")), "{names:?}");
    // A comma list: bash replaces the whole `openat,clo`, so every offer keeps the elements before.
    let listed = offers(
        "seccompctl trace -e trace=openat,clo",
        &["seccompctl", "trace", "-e", "trace", "=", "openat,clo"],
    );
    for name in ["openat,close", "openat,clone", "openat,clone3"] {
        assert!(listed.iter().any(|offer| offer == name), "{listed:?}");
    }
    assert!(
        listed.iter().all(|offer| offer.starts_with("openat,clo")),
        "{listed:?}"
    );
    // strace's classes, also negated, and the `trace=` qualifier itself.
    assert_eq!(
        offers(
            "seccompctl trace -e trace=%fi",
            &["seccompctl", "trace", "-e", "trace", "=", "%fi"]
        ),
        ["%file"]
    );
    assert_eq!(
        offers(
            "seccompctl trace -e trace=openat,!%proc",
            &["seccompctl", "trace", "-e", "trace", "=", "openat,!%proc"]
        ),
        ["openat,!%process"]
    );
    let first = offers("seccompctl trace -e tra", &["seccompctl", "trace", "-e", "tra"]);
    assert_eq!(first, ["trace="], "{first:?}");
    // `--syscalls a,b` and `--syscalls=a,b`: names only (no classes there).
    let syscalls = offers(
        "seccompctl trace --syscalls read,exit_g",
        &["seccompctl", "trace", "--syscalls", "read,exit_g"],
    );
    assert_eq!(syscalls, ["read,exit_group"]);
    let joined = offers(
        "seccompctl trace --syscalls=read,exit_g",
        &["seccompctl", "trace", "--syscalls", "=", "read,exit_g"],
    );
    assert_eq!(joined, ["read,exit_group"]);
    assert!(
        offers(
            "seccompctl trace --syscalls %fi",
            &["seccompctl", "trace", "--syscalls", "%fi"]
        )
        .is_empty()
    );
    // Everything else is still clap's: options, and nothing special after `--` (the command's own -e).
    let options = offers("seccompctl trace --str", &["seccompctl", "trace", "--str"]);
    assert_eq!(options, ["--string-limit"]);
    let command_args = offers(
        "seccompctl trace -- grep -e ope",
        &["seccompctl", "trace", "--", "grep", "-e", "ope"],
    );
    assert!(
        !command_args.iter().any(|offer| offer == "openat"),
        "{command_args:?}"
    );
}
