//! `seccompctl trace` with strace's everyday options on real programs: `-e trace=` classes and negation,
//! `-c` counts, `-y` fd paths, `-t`/`-tt`/`-ttt`/`-r` timestamps, `-s` string length, `-f`, and the
//! `= ?` every line ends in (the return value is not visible to a supervisor that continues the call).

mod supervise_common;

use supervise_common::*;

/// The syscall name of a `[pid N] [time ]name(...) = ?` line.
fn name_of(line: &str) -> Option<&str> {
    let call = line.split_once("] ")?.1;
    let open = call.find('(')?;
    call.get(..open)?.rsplit(' ').next()
}

/// Runs `trace ARGS -- sh -c SCRIPT` and returns its trace (stderr) after checking it succeeded.
fn trace(args: &[&str], script: &str) -> String {
    let mut all: Vec<&str> = vec!["trace"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--", "sh", "-c", script]);
    let output = run_until(&all, |output| output.status.success());
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    stderr(&output)
}

#[test]
fn trace_class_file_shows_only_calls_that_take_a_path() {
    if !can_continue("trace_class_file") {
        return;
    }
    let tmp = TempDir::new("trace-class");
    let data = tmp.write("data.txt", "data\n");
    let err = trace(&["-e", "trace=%file"], &format!("cat {} > /dev/null", s(&data)));
    assert!(
        err.contains(&format!("openat(AT_FDCWD, \"{}\", O_RDONLY) = ?", s(&data))),
        "{err}"
    );
    assert!(err.contains("execve("), "{err}");
    for line in err.lines().filter(|line| line.starts_with("[pid ")) {
        let name = name_of(line).unwrap_or_default();
        assert!(
            !["read", "write", "close", "mmap", "brk", "fstat"].contains(&name),
            "%file showed {name}: {line}"
        );
    }
}

#[test]
fn trace_negated_class_leaves_those_calls_out() {
    if !can_continue("trace_negated_class") {
        return;
    }
    let err = trace(&["-e", "trace=!%memory,%desc"], "true");
    assert!(err.contains("execve("), "{err}");
    for line in err.lines().filter(|line| line.starts_with("[pid ")) {
        let name = name_of(line).unwrap_or_default();
        assert!(
            !["mmap", "munmap", "mprotect", "brk", "openat", "close", "read"].contains(&name),
            "{name} should not be shown: {line}"
        );
    }
}

#[test]
fn trace_summary_counts_calls_per_syscall() {
    if !can_continue("trace_summary") {
        return;
    }
    let err = trace(&["-c", "-f"], "echo a > /dev/null; echo b > /dev/null; exit 0");
    assert!(!err.contains("[pid "), "-c prints no calls: {err}");
    let mut lines = err.lines().skip_while(|line| !line.starts_with("% calls"));
    assert_eq!(lines.next(), Some("% calls     calls syscall"), "{err}");
    let rows: Vec<(u64, String)> = lines
        .filter(|line| !line.starts_with("---"))
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _share = fields.next()?;
            Some((fields.next()?.parse().ok()?, fields.next()?.to_owned()))
        })
        .collect();
    let total = rows.iter().find(|(_, name)| name == "total").map(|(n, _)| *n);
    let sum: u64 = rows
        .iter()
        .filter(|(_, name)| name != "total")
        .map(|(n, _)| n)
        .sum();
    assert_eq!(total, Some(sum), "{err}");
    assert!(rows.iter().any(|(n, name)| name == "execve" && *n >= 1), "{err}");
}

#[test]
fn trace_decode_fds_shows_the_path_behind_each_fd() {
    if !can_continue("trace_decode_fds") {
        return;
    }
    let tmp = TempDir::new("trace-fds");
    let data = tmp.write("fd.txt", "fd\n");
    let err = trace(
        &[
            "-y",
            "-e",
            "trace=read,close,copy_file_range,sendfile,fstat,newfstatat,fadvise64",
        ],
        &format!("exec cat {}", s(&data)),
    );
    // cat reads its file (read, or copy_file_range where it can), then closes it: fd 3 has its path.
    assert!(err.contains(&format!("(3<{}>, ", s(&data))), "{err}");
    assert!(err.contains(&format!("close(3<{}>) = ?", s(&data))), "{err}");
}

#[test]
fn trace_timestamps_read_like_straces() {
    if !can_continue("trace_timestamps") {
        return;
    }
    let digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
    let err = trace(&["-tt", "-e", "trace=execve"], "true");
    let line = err
        .lines()
        .find(|line| line.contains("execve("))
        .expect("an execve line");
    // [pid N] HH:MM:SS.uuuuuu execve(...)
    let stamp = line.split(' ').nth(2).expect("a timestamp");
    let (clock, micros) = stamp.split_once('.').expect("microseconds");
    assert_eq!(clock.len(), 8, "{line}");
    assert!(
        clock.split(':').all(|part| part.len() == 2 && digits(part)),
        "{line}"
    );
    assert!(micros.len() == 6 && digits(micros), "{line}");

    let err = trace(&["-r", "-e", "trace=execve"], "true");
    let line = err
        .lines()
        .find(|line| line.contains("execve("))
        .expect("an execve line");
    assert!(line.contains("]      0.000000 execve("), "{line}");

    let err = trace(&["-ttt", "-e", "trace=execve"], "true");
    let line = err
        .lines()
        .find(|line| line.contains("execve("))
        .expect("an execve line");
    let (secs, micros) = line
        .split(' ')
        .nth(2)
        .and_then(|s| s.split_once('.'))
        .expect("epoch");
    assert!(digits(secs) && secs.len() >= 10 && digits(micros), "{line}");
}

#[test]
fn trace_string_limit_cuts_strings_where_strace_does() {
    if !can_continue("trace_string_limit") {
        return;
    }
    let long = "0123456789".repeat(5);
    let script = format!("echo {long}");
    let err = trace(&["-e", "trace=write"], &script);
    assert!(
        err.contains(&format!("write(1, \"{}\"..., 51) = ?", &long[..32])),
        "{err}"
    );
    let err = trace(&["-s", "4", "-e", "trace=write"], &script);
    assert!(err.contains("write(1, \"0123\"..., 51) = ?"), "{err}");
    let err = trace(&["-s", "100", "-e", "trace=write"], &script);
    assert!(err.contains(&format!("write(1, \"{long}\\n\", 51) = ?")), "{err}");
}

#[test]
fn trace_refuses_what_notifications_cannot_serve() {
    let output = run(&["trace", "-e", "inject=openat:error=ENOENT", "--", "true"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("only trace= is supported"),
        "{}",
        stderr(&output)
    );
    let output = run(&["trace", "-e", "trace=%nosuchclass", "--", "true"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("unknown class %nosuchclass"),
        "{}",
        stderr(&output)
    );
    let output = run(&["trace", "-e", "trace=frobnicate", "--", "true"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
}

#[test]
fn trace_shows_the_mask_rt_sigreturn_restores() {
    if !can_continue("trace_rt_sigreturn") {
        return;
    }
    let err = trace(
        &["-e", "trace=rt_sigreturn"],
        "trap true USR1; kill -USR1 $$; exit 0",
    );
    assert!(err.contains("rt_sigreturn({mask=["), "{err}");
}

#[test]
fn trace_json_lines_carry_the_time_and_the_summary() {
    if !can_continue("trace_json") {
        return;
    }
    let err = trace(&["--json", "-tt", "-e", "trace=execve"], "true");
    let line = err
        .lines()
        .find(|line| line.starts_with('{'))
        .expect("a JSON line");
    let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
    assert_eq!(value["syscall"], "execve", "{line}");
    assert!(value["time"].as_f64().is_some_and(|t| t > 1.0e9), "{line}");
    let err = trace(&["--json", "-c"], "true");
    let line = err
        .lines()
        .find(|line| line.starts_with('{'))
        .expect("a JSON line");
    let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
    assert!(
        value["summary"]["execve"].as_u64().is_some_and(|n| n >= 1),
        "{line}"
    );
}

#[test]
fn every_line_reaches_the_log_when_the_command_dies_of_a_signal() {
    // The log thread writes in batches: the lines still queued when the command ends (here killed by
    // its own SIGTERM, status 143) must all be written, the last syscall's included, in order.
    if !can_continue("trace_lines_at_the_end") {
        return;
    }
    let tmp = TempDir::new("trace-end");
    let log = tmp.path("trace.txt");
    let output = run_until(
        &[
            "trace",
            "-o",
            s(&log),
            "--",
            "sh",
            "-c",
            "i=0; while [ $i -lt 200 ]; do : > /dev/null; i=$((i+1)); done; kill -TERM $$",
        ],
        |output| output.status.code() == Some(143),
    );
    assert_eq!(code(&output), 143, "{}", stderr(&output));
    let text = std::fs::read_to_string(&log).expect("the log");
    let lines: Vec<&str> = text.lines().collect();
    let opens = lines
        .iter()
        .filter(|line| line.contains("openat(AT_FDCWD, \"/dev/null\""))
        .count();
    assert_eq!(opens, 200, "{text}");
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.contains("kill(") && last.contains("SIGTERM"),
        "last line: {last}"
    );
    assert!(
        lines
            .iter()
            .all(|line| line.starts_with("[pid ") && line.ends_with(" = ?")),
        "{text}"
    );
}
