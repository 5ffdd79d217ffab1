//! `seccompctl trace`: a tracer built on seccomp notifications instead of ptrace.
//!
//! The command runs under a filter that notifies the selected syscalls (every syscall with `--all`);
//! seccompctl decodes each one (names, flags, paths read from the target's memory, fds), prints it, and lets
//! it run (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, Linux 5.5+). Filters are inherited, so every descendant is
//! traced too, each line showing its pid. Because no ptrace is involved, gdb or strace can still attach to
//! the traced program.
//!
//! Lines read like strace's (`[pid N] openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = ?`), with strace's
//! everyday options: `-e trace=` names and classes, `-c` counts, `-y` fd paths, `-t`/`-tt`/`-ttt`/`-r`
//! timestamps (taken when the notification is received), `-s` string length, `-o`, and `-f` (always on).
//!
//! What cannot be seen: the return values (a notification arrives before the syscall runs: every line ends
//! in `= ?`, and `-c` counts calls but no times or errors), and the
//! syscalls the child makes before its filter exists (the fork, `prctl(PR_SET_NO_NEW_PRIVS)` and the
//! `seccomp` call itself); everything from the `execve` of the command on is traced. seccompctl itself is
//! not filtered, so its own syscalls are never notifications and the tracer cannot deadlock on itself.
//! A traced program cannot create a listener of its own (one per filter chain: it gets EBUSY), and it runs
//! with `no_new_privs`, so set-user-ID programs do not gain their privileges.
//!
//! Signals: a signal that reaches a traced process while one of its syscalls waits for seccompctl to
//! *receive* the notification interrupts that syscall (the kernel's rule for user notifications): it restarts
//! under an `SA_RESTART` handler and otherwise fails with `EINTR`, even a call such as `close` or `clone`
//! that never fails that way untraced. seccompctl keeps that window as short as it can (a serving thread
//! that waits in `RECV` itself and does nothing before the answer but read the memory arguments, the line
//! being formatted and written by the log's own thread, see [`crate::supervise::ordered`]; `SYNC_WAKE_UP`
//! on 6.6+; `WAIT_KILLABLE_RECV` on 5.19+, after which a received
//! notification is no longer interruptible), detects every such interruption from the gaps in the kernel's
//! notification ids, and says so on stderr at once. Shells that catch SIGCHLD without `SA_RESTART` (dash)
//! meet it now and then in pipelines under `--all`; a short `--syscalls` list makes it rare.
//!
//! With `--syscalls`, syscalls of another ABI (i386 or x32 on x86_64) are all notified, since the filter
//! checks the native numbers only; seccompctl shows those whose names are selected and continues the rest.

use crate::args::TraceArgs;
use crate::decode::{self, Call, Memory, MemoryArgs, ReadMem, Value, classes};
use crate::error::{CliError, CliResult};
use crate::notify::log::{self, Sink};
use crate::supervise::ordered::{Entry, OrderedLog, Syscall};
use crate::supervise::{self, Options, command};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::Policy;
use seccomp_supervisor::Answer;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The ABIs whose syscalls a process on this host can make: the native one and, on x86_64, i386 and x32.
pub fn host_arches(native: Arch) -> &'static [Arch] {
    match native {
        Arch::X86_64 => &[Arch::X86_64, Arch::I386, Arch::X32],
        Arch::Aarch64 => &[Arch::Aarch64],
        Arch::I386 => &[Arch::I386],
        _ => &[Arch::X32],
    }
}

/// Which syscalls are shown: the names in `names`, or (`negated`) every syscall but those.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// The names.
    pub names: BTreeSet<String>,
    /// Show every syscall except `names`.
    pub negated: bool,
}

impl Selection {
    /// Every syscall.
    pub fn all() -> Selection {
        Selection {
            names: BTreeSet::new(),
            negated: true,
        }
    }

    /// Whether syscall `name` is shown.
    pub fn shows(&self, name: &str) -> bool {
        self.names.contains(name) != self.negated
    }
}

/// Every syscall name of the host's ABIs.
fn host_names(native: Arch) -> BTreeSet<&'static str> {
    host_arches(native)
        .iter()
        .flat_map(|arch| arch.syscalls().iter().map(|(name, _)| name))
        .collect()
}

/// Parses strace's `-e` expressions: `trace=LIST` (also `t=`, `trace=all`, `trace=none`, or just LIST),
/// LIST being syscall names and classes (`%file`, ...), comma-separated, `!` before the list to negate it,
/// `?` before a name or class to ignore it when it matches nothing. Other qualifiers (`signal=`, `read=`,
/// `inject=`, ...) are refused: a seccomp supervisor cannot serve them.
pub fn parse_expressions(native: Arch, exprs: &[String]) -> Result<Selection, CliError> {
    let known = host_names(native);
    let mut selection = Selection::all();
    for expr in exprs {
        let list = match expr.split_once('=') {
            Some(("trace" | "t", list)) => list,
            Some((qualifier, _)) => {
                return Err(CliError::usage(format!(
                    "-e {expr}: only trace= is supported (a seccomp supervisor cannot serve {qualifier}=)"
                )));
            }
            None => expr.as_str(),
        };
        let (negated, list) = match list.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, list),
        };
        let mut names = BTreeSet::new();
        let mut everything = false;
        for token in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (optional, token) = match token.strip_prefix('?') {
                Some(rest) => (true, rest),
                None => (false, token),
            };
            if token == "all" {
                everything = true;
            } else if token == "none" {
            } else if let Some(flags) = classes::class(token) {
                names.extend(
                    known
                        .iter()
                        .filter(|name| classes::in_class(name, flags))
                        .map(|name| (*name).to_owned()),
                );
            } else if known.contains(token) {
                names.insert(token.to_owned());
            } else if let Ok(nr) = token.parse::<u32>() {
                // A number, as strace takes it: the native ABI's syscall of that number.
                match native.syscall_name(nr) {
                    Some(name) => {
                        names.insert(name.to_owned());
                    }
                    None if optional => {}
                    None => {
                        return Err(CliError::usage(format!(
                            "-e {expr}: no {native} syscall has number {nr}"
                        )));
                    }
                }
            } else if token.starts_with('/') {
                return Err(CliError::usage(format!(
                    "-e {expr}: regular expressions ({token}) are not supported; name the syscalls or a class"
                )));
            } else if token.starts_with('%') && !optional {
                let classes: Vec<&str> = classes::CLASSES
                    .iter()
                    .map(|(name, _)| *name)
                    .filter(|name| name.starts_with('%'))
                    .collect();
                return Err(CliError::usage(format!(
                    "-e {expr}: unknown class {token} (classes: {})",
                    classes.join(" ")
                )));
            } else if !optional {
                return Err(CliError::usage(format!(
                    "-e {expr}: unknown syscall name {token}"
                )));
            }
        }
        // `all` selects everything, `!all` and `none` nothing; a later -e trace= replaces an earlier one,
        // as in strace.
        selection = match (everything, negated) {
            (true, false) => Selection::all(),
            (true, true) => Selection::default(),
            (false, negated) => Selection { names, negated },
        };
    }
    Ok(selection)
}

/// The policy that notifies the syscalls `selection` shows and allows the rest; foreign ABIs notify.
/// Unknown names in a positive selection are an error naming them.
pub fn trace_policy(native: Arch, selection: &Selection) -> Result<Policy, CliError> {
    if selection.negated && selection.names.is_empty() {
        let mut policy = Policy::new(native, Action::NOTIFY);
        policy.set_bad_arch_action(Action::NOTIFY);
        return Ok(policy);
    }
    let (default, rule) = if selection.negated {
        (Action::NOTIFY, Action::ALLOW)
    } else {
        (Action::ALLOW, Action::NOTIFY)
    };
    let mut policy = Policy::new(native, default);
    policy.set_bad_arch_action(Action::NOTIFY);
    let arches = host_arches(native);
    let unknown: Vec<&str> = selection
        .names
        .iter()
        .filter(|name| arches.iter().all(|arch| arch.syscall_nr(name).is_none()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = arches.iter().map(|arch| arch.name()).collect();
        return Err(CliError::usage(format!(
            "unknown syscall name{} in --syscalls: {} (not in the {} syscall table{})",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            names.join("/"),
            if names.len() == 1 { "" } else { "s" },
        )));
    }
    for name in &selection.names {
        if let Ok(nr) = policy.resolve(name) {
            policy
                .add_rule(nr, rule, &[])
                .map_err(|error| CliError::usage(format!("--syscalls: {name}: {error}")))?;
        }
    }
    Ok(policy)
}

/// How many threads serve trace's listener. One: its work before the answer is a receive, the memory
/// reads and the answer (the line is written by the log's own thread), so a second thread rarely finds
/// anything to do, and since every posted notification wakes every thread waiting in `RECV`, it costs a
/// context switch per syscall (docs/performance.md).
const SERVING_THREADS: usize = 1;

/// The target's memory read just before the answer, without `ID_VALID`: trusted only once the answer
/// is delivered (`Call::peek_unvalidated`), which saves an ioctl per call that reads memory; a call whose
/// notification was gone by then shows its memory arguments as unreadable.
struct BeforeAnswer<'c, 'a>(&'c seccomp_supervisor::Call<'a>);

impl Memory for BeforeAnswer<'_, '_> {
    fn with(&mut self, read: &mut dyn FnMut(&mut dyn ReadMem) -> Vec<Value>) -> Option<Vec<Value>> {
        self.0.peek_unvalidated(|memory| read(memory)).ok()
    }
}

/// How each line is prefixed with a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// No time.
    None,
    /// `-t`: `HH:MM:SS` (UTC).
    Seconds,
    /// `-tt`: `HH:MM:SS.uuuuuu` (UTC).
    Micros,
    /// `-ttt`: seconds since the epoch, `1700000000.123456`.
    Epoch,
}

/// The time prefix for a call received at `now` (`previous`: the last line's time, for `-r`).
pub fn time_prefix(clock: Clock, relative: bool, now: SystemTime, previous: Option<SystemTime>) -> String {
    let mut out = String::new();
    if relative {
        let delta = previous
            .and_then(|previous| now.duration_since(previous).ok())
            .unwrap_or(Duration::ZERO);
        out.push_str(&format!("{:>6}.{:06} ", delta.as_secs(), delta.subsec_micros()));
    }
    let since = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    match clock {
        Clock::None => {}
        Clock::Seconds => out.push_str(&format!("{h:02}:{m:02}:{s:02} ")),
        Clock::Micros => out.push_str(&format!("{h:02}:{m:02}:{s:02}.{:06} ", since.subsec_micros())),
        Clock::Epoch => out.push_str(&format!("{secs}.{:06} ", since.subsec_micros())),
    }
    out
}

/// With `-y`: each fd argument with the path `/proc/PID/fd/N` links to, `3</etc/passwd>`.
fn with_fd_paths(pid: u32, call: &mut Call) {
    for arg in &mut call.args {
        let slot = match arg {
            Value::Field { value, .. } => value.as_mut(),
            other => other,
        };
        if let Value::Fd(fd) = *slot
            && fd >= 0
            && let Ok(target) = std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        {
            *slot = Value::Symbol(format!("{fd}<{}>", target.display()));
        }
    }
}

/// The `-c` table: calls per syscall, most first, with each one's share and the total.
pub fn summary_table(counts: &BTreeMap<String, u64>) -> String {
    let total: u64 = counts.values().sum();
    let mut rows: Vec<(&String, &u64)> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let rule = "------ --------- ----------------";
    let mut out = format!("% calls     calls syscall\n{rule}\n");
    for (name, count) in rows {
        let share = if total == 0 {
            0.0
        } else {
            *count as f64 * 100.0 / total as f64
        };
        out.push_str(&format!("{share:>6.2} {count:>9} {name}\n"));
    }
    out.push_str(&format!("{rule}\n{:>6.2} {total:>9} total", 100.0));
    out
}

/// Runs `trace`.
pub fn run(args: &TraceArgs) -> CliResult {
    let native = supervise::native_arch()?;
    let selection = if !args.expr.is_empty() {
        parse_expressions(native, &args.expr)?
    } else if args.all || args.syscalls.is_empty() {
        Selection::all()
    } else {
        let names: BTreeSet<String> = args
            .syscalls
            .iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect();
        if names.is_empty() {
            return Err(CliError::usage("--syscalls names no syscall"));
        }
        Selection {
            names,
            negated: false,
        }
    };
    // `-e trace=none` (or only `?` names that matched nothing) runs the command with nothing shown, as
    // strace does.
    let policy = trace_policy(native, &selection)?;
    let program = supervise::compile(&policy)?;
    let prepared = command::prepare(&args.command)?;
    let sink = match args.output.as_deref() {
        Some(path) => Sink::open(Some(path), args.json)?,
        // Buffered: the log thread writes each batch of lines with one write (`supervise::ordered`).
        None => Sink::new(
            Box::new(std::io::BufWriter::new(crate::output::StderrLog::default())),
            args.json,
            "standard error",
        ),
    };
    let clock = match args.timestamps {
        0 => Clock::None,
        1 => Clock::Seconds,
        2 => Clock::Micros,
        _ => Clock::Epoch,
    };
    let options = decode::Options {
        string_limit: args.string_limit,
    };
    let counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut session = supervise::launch(
        &prepared,
        &Options {
            program: supervise::validated(&program)?,
            listen: true,
            no_new_privs: true,
        },
    )?;
    let json_lines = args.json;
    let relative = args.relative;
    let mut previous: Option<SystemTime> = None;
    let format = Box::new(move |entry: Entry| {
        let call = entry.syscall.into_call();
        let line = if json_lines {
            let mut object = log::json_object(entry.pid, &call, None);
            if clock != Clock::None || relative {
                let since = entry
                    .received
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or(Duration::ZERO);
                object.insert("time".to_owned(), json!(since.as_secs_f64()));
            }
            serde_json::Value::Object(object).to_string()
        } else {
            format!(
                "{}{}{} = ?",
                log::pid_prefix(entry.pid, &call),
                time_prefix(clock, relative, entry.received, previous),
                log::call_text(&call)
            )
        };
        previous = Some(entry.received);
        line
    });
    let sink = Arc::new(OrderedLog::new(sink, format));
    let log = Arc::clone(&sink);
    let counts = Arc::new(Mutex::new(counts));
    let counted = Arc::clone(&counts);
    let summary = args.summary;
    let decode_fds = args.decode_fds;
    let served = session.serve(
        move |call: seccomp_supervisor::Call<'_>| {
            let received = SystemTime::now();
            let data = *call.notification().data();
            let shown = match decode::name_of(&data) {
                Some(name) => selection.shows(name),
                // A number no table names: shown only when everything is.
                None => selection.negated && selection.names.is_empty(),
            };
            if !shown {
                return call.answer(Answer::Continue);
            }

            if summary {
                let name =
                    decode::name_of(&data).map_or_else(|| format!("syscall_{}", data.nr), str::to_owned);
                if let Ok(mut counts) = counted.lock() {
                    *counts.entry(name).or_default() += 1;
                }
                return call.answer(Answer::Continue);
            }
            // Read the memory arguments (and the fd paths) before answering, since the target runs on
            // after it; format and write the line after, so the target does not wait for the log. The
            // answer's delivery validates what was read (see `BeforeAnswer`).
            let pid = call.notification().raw().pid;
            let mut memory = BeforeAnswer(&call);
            let syscall = if decode_fds || decode::name_of(&data) == Some("rt_sigreturn") {
                // What -y and rt_sigreturn's mask add is read from the decoded call, before the answer.
                let mut decoded = decode::decode_with(&data, &mut memory, &options);
                if decoded.name == Some("rt_sigreturn")
                    && let Some(sp) = decode::stack_pointer(pid)
                {
                    decode::add_sigreturn_mask(&mut decoded, sp, &mut memory);
                }
                if decode_fds {
                    with_fd_paths(pid, &mut decoded);
                }
                Syscall::Decoded(decoded)
            } else {
                // Only the memory arguments now; the log thread decodes the rest.
                Syscall::Read(data, decode::read_memory_args(&data, &mut memory, &options))
            };
            let log = Arc::clone(&log);
            let ticket = log.ticket();
            call.answer(Answer::Continue).then_delivered(move |delivered| {
                // Gone before the answer: what was read may be another process's, shown as unreadable.
                let syscall = if delivered {
                    syscall
                } else {
                    Syscall::Read(data, MemoryArgs::default())
                };
                log.record(
                    ticket,
                    Entry {
                        pid,
                        syscall,
                        received,
                    },
                )
            })
        },
        SERVING_THREADS,
    );
    if let Some(warning) = session.interrupted_warning() {
        crate::error::report(&warning);
    }
    let status = session.finish();
    drop(served?);
    let Some(mut sink) = Arc::try_unwrap(sink).ok().and_then(OrderedLog::into_sink) else {
        return status;
    };
    if args.summary {
        let counts = counts.lock().map(|counts| counts.clone()).unwrap_or_default();
        if args.json {
            sink.write_line(&json!({ "summary": counts }).to_string());
        } else {
            sink.write_line(&summary_table(&counts));
        }
    }
    sink.finish()?;
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(exprs: &[&str]) -> Result<Selection, CliError> {
        let exprs: Vec<String> = exprs.iter().map(|e| (*e).to_owned()).collect();
        parse_expressions(Arch::X86_64, &exprs)
    }

    #[test]
    fn expressions_select_names_and_classes_as_strace_does() {
        let file = parse(&["trace=%file"]).expect("class");
        assert!(file.shows("openat") && file.shows("execve") && !file.shows("read"));
        let both = parse(&["trace=%network,close"]).expect("class and name");
        assert!(both.shows("connect") && both.shows("close") && !both.shows("openat"));
        let bare = parse(&["openat"]).expect("a bare list");
        assert!(bare.shows("openat") && !bare.shows("close"));
        let negated = parse(&["trace=!%memory"]).expect("negation");
        assert!(!negated.shows("mmap") && negated.shows("openat"));
        assert!(parse(&["trace=all"]).expect("all").shows("read"));
        assert!(parse(&["trace=?bogus,read"]).expect("optional").shows("read"));
        assert!(parse(&["trace=bogus"]).is_err());
        assert!(parse(&["trace=%bogus"]).is_err());
        assert!(parse(&["signal=SIGINT"]).is_err());
        assert!(parse(&["trace=257"]).expect("a number").shows("openat"));
        assert!(parse(&["trace=/^open"]).is_err());
    }

    #[test]
    fn a_negated_selection_notifies_everything_but_its_names() {
        let selection = parse(&["trace=!read,write"]).expect("negation");
        assert!(trace_policy(Arch::X86_64, &selection).is_ok());
        assert!(!selection.shows("read") && selection.shows("close"));
    }

    #[test]
    fn timestamps_read_like_straces() {
        let at = UNIX_EPOCH + Duration::new(86_400 + 3_723, 4_000);
        assert_eq!(time_prefix(Clock::Seconds, false, at, None), "01:02:03 ");
        assert_eq!(time_prefix(Clock::Micros, false, at, None), "01:02:03.000004 ");
        assert_eq!(time_prefix(Clock::Epoch, false, at, None), "90123.000004 ");
        let later = at + Duration::from_micros(1_500_250);
        assert_eq!(time_prefix(Clock::None, true, later, Some(at)), "     1.500250 ");
        assert_eq!(time_prefix(Clock::None, true, at, None), "     0.000000 ");
    }

    #[test]
    fn the_summary_counts_each_syscall() {
        let counts: BTreeMap<String, u64> = [("read".to_owned(), 3), ("close".to_owned(), 1)]
            .into_iter()
            .collect();
        let table = summary_table(&counts);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "% calls     calls syscall");
        assert_eq!(lines[2], " 75.00         3 read");
        assert_eq!(lines[3], " 25.00         1 close");
        assert_eq!(lines[5], "100.00         4 total");
    }
}
