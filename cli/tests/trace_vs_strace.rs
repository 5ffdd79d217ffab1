//! Decoding parity with strace: the same commands run under `strace -f` and under `seccompctl trace`, the
//! two traces aligned call by call (per process, by syscall name and order), and the fraction of aligned
//! calls whose arguments read the same is printed and held above a floor.
//!
//! Both runs happen in the same directory, set up afresh each time, with the same environment, so paths,
//! sizes and fds agree. Pointers differ between runs (ASLR): every hex number of five or more digits reads
//! `0x?` on both sides. What strace shows from the syscall's *exit* (a `read` buffer's contents, a
//! `fstat` result) cannot be seen by a seccomp supervisor, which sees the call before it runs; those calls
//! count as unequal, so the figure is honest about what a notification-based tracer can show.
//!
//! Run with `--nocapture` to see the per-command figures and the most frequent differences.

mod supervise_common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use supervise_common::*;

/// One traced call: the process, the syscall, its arguments as text.
#[derive(Clone, Debug)]
struct Line {
    pid: String,
    name: String,
    args: String,
}

/// Splits `name(args)...` into the name and the text between the first `(` and the last `)`.
fn split_call(pid: &str, call: &str) -> Option<Line> {
    let open = call.find('(')?;
    let name = call.get(..open)?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    // strace: `name(args)   = ret` (padded); seccompctl: `name(args) = ?`.
    let head = match call.rfind(" = ") {
        Some(end) => call.get(..end)?.trim_end(),
        None => call,
    };
    let body = head.get(open + 1..head.rfind(')')?)?;
    Some(Line {
        pid: pid.to_owned(),
        name: name.to_owned(),
        args: body.to_owned(),
    })
}

/// Parses `strace -f -o FILE` output: `PID call`, with `<unfinished ...>` / `<... resumed>` pairs joined
/// and signal and exit lines left out.
fn parse_strace(text: &str) -> Vec<Line> {
    let mut pending: HashMap<String, String> = HashMap::new();
    let mut lines = Vec::new();
    for raw in text.lines() {
        let Some((pid, rest)) = raw.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if rest.starts_with("---") || rest.starts_with("+++") {
            continue;
        }
        if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            pending.insert(pid.to_owned(), head.to_owned());
            continue;
        }
        let joined;
        let call = if let Some(resumed) = rest.strip_prefix("<... ") {
            let Some((_, tail)) = resumed.split_once(" resumed>") else {
                continue;
            };
            let Some(head) = pending.remove(pid) else {
                continue;
            };
            joined = format!("{head}{tail}");
            joined.as_str()
        } else {
            rest
        };
        if let Some(line) = split_call(pid, call) {
            lines.push(line);
        }
    }
    lines
}

/// Parses `seccompctl trace` text: `[pid N] call = ?`.
fn parse_ours(text: &str) -> Vec<Line> {
    text.lines()
        .filter_map(|raw| {
            let rest = raw.strip_prefix("[pid ")?;
            let (pid, call) = rest.split_once("] ")?;
            split_call(pid, call)
        })
        .collect()
}

/// Hex numbers of five or more digits (pointers) as `0x?`.
fn normalize(args: &str) -> String {
    let bytes = args.as_bytes();
    let mut out = String::with_capacity(args.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'0' && bytes.get(i + 1) == Some(&b'x') {
            let digits = bytes[i + 2..]
                .iter()
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            if digits >= 5 {
                out.push_str("0x?");
                i += 2 + digits;
                continue;
            }
        }
        out.push(char::from(bytes[i]));
        i += 1;
    }
    out
}

/// Splits an argument list at its top-level commas (not inside quotes, `{}`, `[]` or `()`).
fn split_args(args: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0i32, false, false, 0);
    for (i, c) in args.char_indices() {
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(args[start..].trim());
    parts
}

/// Whether strace's `want` differs from `got` only where strace shows what the call wrote (at its exit):
/// a buffer, struct or array strace read after the call, where a notification can show only the pointer.
fn differs_only_in_exit_data(want: &str, got: &str) -> bool {
    let (want, got) = (split_args(want), split_args(got));
    want.len() == got.len()
        && want.iter().zip(&got).all(|(w, g)| {
            w == g
                || (*g == "0x?"
                    && (w.starts_with('{')
                        || w.starts_with('[')
                        || w.starts_with('"')
                        || w.starts_with("~[")
                        || w.starts_with("0x? /*")))
        })
}

/// The calls of each process in order, processes in the order they first appear.
fn by_process(lines: &[Line]) -> Vec<Line> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<Line>> = HashMap::new();
    for line in lines {
        if !groups.contains_key(&line.pid) {
            order.push(line.pid.clone());
        }
        groups.entry(line.pid.clone()).or_default().push(line.clone());
    }
    order
        .iter()
        .flat_map(|pid| groups.remove(pid).unwrap_or_default())
        .collect()
}

/// The pairs of a longest common subsequence of the two name sequences.
fn align<'a>(a: &'a [Line], b: &'a [Line]) -> Vec<(&'a Line, &'a Line)> {
    let (n, m) = (a.len(), b.len());
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] = if a[i].name == b[j].name {
                table[at(i + 1, j + 1)] + 1
            } else {
                table[at(i + 1, j)].max(table[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut pairs = Vec::new();
    while i < n && j < m {
        if a[i].name == b[j].name {
            pairs.push((&a[i], &b[j]));
            i += 1;
            j += 1;
        } else if table[at(i + 1, j)] >= table[at(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

/// One command of the comparison: a name, a setup of the working directory, and the argv.
struct Case {
    name: &'static str,
    argv: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "ls",
        argv: &["ls", "-la", "dir"],
    },
    Case {
        name: "cat",
        argv: &["cat", "dir/a.txt", "dir/b.txt"],
    },
    Case {
        name: "sh redirects",
        argv: &[
            "sh",
            "-c",
            "echo one > out.txt; cat < dir/a.txt >> out.txt; ls missing 2>/dev/null; wc -c < out.txt",
        ],
    },
    Case {
        name: "python3",
        argv: &["python3", "-S", "-c", "import os; print(os.listdir('dir'))"],
    },
    Case {
        name: "tar",
        argv: &["tar", "cf", "x.tar", "dir"],
    },
    Case {
        name: "git",
        argv: &["git", "init", "-q", "repo"],
    },
    Case {
        name: "cp/ln/chmod",
        argv: &[
            "sh",
            "-c",
            "cp dir/a.txt c.txt; ln -s c.txt l.txt; ln c.txt h.txt; chmod 600 c.txt",
        ],
    },
    Case {
        name: "date/uname",
        argv: &["sh", "-c", "date -u +%Y >/dev/null; uname -a"],
    },
    // Beyond the list: sockets, socket options, threads and signals in python3, and more of the
    // file utilities.
    Case {
        name: "python3 net",
        argv: &[
            "python3",
            "-S",
            "-c",
            "import socket, threading, os\n\
             s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             s.connect(('127.0.0.1', 9))\n\
             t = threading.Thread(target=os.getpid)\n\
             t.start()\n\
             t.join()\n\
             os.kill(os.getpid(), 0)",
        ],
    },
    Case {
        name: "file utilities",
        argv: &[
            "sh",
            "-c",
            "id >/dev/null; find dir >/dev/null; stat dir/a.txt >/dev/null; mkdir -p x/y; rmdir x/y; \
             touch t; mv t u; rm -f u; du -s dir >/dev/null; sort dir/a.txt >/dev/null; sleep 0.01; \
             dd if=dir/a.txt of=o bs=4 count=2 2>/dev/null; env >/dev/null",
        ],
    },
];

/// Creates the working directory's contents afresh.
fn setup(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("dir")).expect("work dir");
    std::fs::write(
        dir.join("dir/a.txt"),
        "alpha alpha alpha alpha alpha alpha alpha\n",
    )
    .expect("a.txt");
    std::fs::write(dir.join("dir/b.txt"), "beta\n").expect("b.txt");
}

/// Finds `program` on PATH (or an absolute path).
fn which(program: &str) -> Option<String> {
    let output = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .env("PATH", PATH)
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !path.is_empty()).then_some(path)
}

/// The search path of both runs (system programs, not a user's shims).
const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The environment both runs get: fixed, small, and the same.
fn env(command: &mut Command) -> &mut Command {
    command
        .env_clear()
        .env("PATH", PATH)
        .env("LC_ALL", "C")
        .env("HOME", "/nonexistent")
        .env("TZ", "UTC")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
}

#[test]
fn trace_arguments_match_strace_call_by_call() {
    if !can_continue("trace_arguments_match_strace") {
        return;
    }
    let Some(strace) = which("strace") else {
        eprintln!("SKIP: trace_arguments_match_strace: strace is not installed (Debian package strace)");
        return;
    };
    // strace needs ptrace; a sandbox without it cannot give the reference trace.
    let probe = Command::new(&strace)
        .args(["-f", "-o", "/dev/null", "--", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("strace runs");
    if !probe.status.success() {
        eprintln!(
            "SKIP: trace_arguments_match_strace: strace cannot trace here: {}",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        return;
    }
    let tmp = TempDir::new("trace-vs-strace");
    let work = tmp.path("work");
    let strace_out = tmp.path("strace.txt");
    let ours_out = tmp.path("ours.txt");
    let mut aligned_total = 0usize;
    let mut equal_total = 0usize;
    let mut visible_total = 0usize;
    let mut differences: BTreeMap<String, (usize, String, String)> = BTreeMap::new();
    for case in CASES {
        let Some(program) = which(case.argv[0]) else {
            eprintln!("SKIP: {}: {} is not installed", case.name, case.argv[0]);
            continue;
        };
        let mut argv: Vec<&str> = case.argv.to_vec();
        argv[0] = &program;

        setup(&work);
        let status = env(Command::new(&strace)
            .args(["-f", "-o", s(&strace_out), "--"])
            .args(&argv)
            .current_dir(&work))
        .status()
        .expect("strace runs");
        assert!(status.success(), "{}: strace run failed: {status:?}", case.name);

        setup(&work);
        let output = env(Command::new(env!("CARGO_BIN_EXE_seccompctl"))
            .args(["trace", "-o", s(&ours_out), "--"])
            .args(&argv)
            .current_dir(&work))
        .output()
        .expect("seccompctl runs");
        assert!(
            output.status.success(),
            "{}: seccompctl trace failed: {:?}\n{}",
            case.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );

        let theirs = by_process(&parse_strace(
            &std::fs::read_to_string(&strace_out).expect("strace output"),
        ));
        let ours = by_process(&parse_ours(
            &std::fs::read_to_string(&ours_out).expect("trace output"),
        ));
        let pairs = align(&theirs, &ours);
        let equal = pairs
            .iter()
            .filter(|(a, b)| normalize(&a.args) == normalize(&b.args))
            .count();
        let visible = pairs
            .iter()
            .filter(|(a, b)| {
                let (want, got) = (normalize(&a.args), normalize(&b.args));
                want == got || differs_only_in_exit_data(&want, &got)
            })
            .count();
        for (a, b) in &pairs {
            let (want, got) = (normalize(&a.args), normalize(&b.args));
            if want != got && !differs_only_in_exit_data(&want, &got) {
                let entry = differences
                    .entry(a.name.clone())
                    .or_insert_with(|| (0, want.clone(), got.clone()));
                entry.0 += 1;
            }
        }
        eprintln!(
            "{:<14} strace {:>5} calls, trace {:>5}, aligned {:>5}, equal arguments {:>5}, \
             equal but for exit data {:>5}",
            case.name,
            theirs.len(),
            ours.len(),
            pairs.len(),
            equal,
            visible
        );
        aligned_total += pairs.len();
        equal_total += equal;
        visible_total += visible;
    }
    if aligned_total == 0 {
        eprintln!("SKIP: trace_arguments_match_strace: no command could be compared");
        return;
    }
    let mut worst: Vec<_> = differences.into_iter().collect();
    worst.sort_by_key(|entry| std::cmp::Reverse(entry.1.0));
    eprintln!("most frequent differences other than exit data (count, strace, seccompctl trace):");
    for (name, (count, want, got)) in worst.iter().take(40) {
        eprintln!("  {count:>4} {name}({want})\n       {name}({got})");
    }
    let fraction = equal_total as f64 / aligned_total as f64;
    let visible = visible_total as f64 / aligned_total as f64;
    eprintln!(
        "TOTAL: {equal_total} of {aligned_total} aligned calls with equal arguments ({:.1}%); \
         {visible_total} ({:.1}%) equal but for data strace reads at the call's exit",
        fraction * 100.0,
        visible * 100.0
    );
    assert!(
        fraction >= FLOOR,
        "only {equal_total} of {aligned_total} aligned calls ({:.1}%) have strace's arguments (floor {:.0}%)",
        fraction * 100.0,
        FLOOR * 100.0
    );
    assert!(
        visible >= VISIBLE_FLOOR,
        "only {visible_total} of {aligned_total} aligned calls ({:.1}%) have strace's arguments but for \
         exit data (floor {:.0}%)",
        visible * 100.0,
        VISIBLE_FLOOR * 100.0
    );
}

/// The fraction of aligned calls that must read exactly as strace shows them (the rest is mostly data
/// strace reads at the call's exit, which a notification cannot see).
const FLOOR: f64 = 0.62;

/// The fraction of aligned calls that must read as strace shows them except where strace shows data the
/// call wrote: what a notification-based tracer can be held to.
const VISIBLE_FLOOR: f64 = 0.98;
