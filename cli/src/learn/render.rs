//! The learned policy: combining the run (and the merged file) into rules, and writing them as text that
//! reads well: a header quoting the command lines, then one section per [`Category`], one line per
//! syscall (or per systemd group used whole) with its call count, then the fallback answers.

use super::baseline::{self, ALWAYS, FALLBACKS};
use super::categories::Category;
use super::existing::{Existing, FIRST_RUN, Kept, LATER_RUN};
use super::usage::{ArgRule, Usage, WRITE_EXEC};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::groups::GROUPS;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What this run was: its command line (already quoted), exit status, and options.
#[derive(Debug)]
pub struct Run<'a> {
    /// The command line as a shell would read it back.
    pub command: &'a str,
    /// The command's exit status.
    pub status: u8,
    /// The native architecture.
    pub native: Arch,
    /// The default action for a fresh policy.
    pub default: Action,
    /// Whether `--args` learned arguments.
    pub args: bool,
}

/// One syscall's rule in the learned policy.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Decision {
    /// Allowed whatever its arguments.
    Allow,
    /// Allowed for these values of the low word of argument `arg`.
    Values(u8, BTreeSet<u64>),
    /// Allowed unless argument `arg` asks for write and execute at once.
    NoWriteExec(u8),
}

/// The rules of the learned policy, before they are written.
#[derive(Debug)]
pub struct Learned {
    arch: Arch,
    default: Action,
    bad_arch: Action,
    runs: Vec<String>,
    /// Per syscall: its rule and the calls counted (0: seen in an earlier run, count unknown).
    rules: BTreeMap<u32, (Decision, u64)>,
    kept: Vec<Kept>,
    /// Notes for stderr about what the merge changed.
    pub notes: Vec<String>,
}

impl Learned {
    /// Combines `usage` of `run` with `existing` (from `--merge`), if any.
    pub fn new(usage: &Usage, run: &Run<'_>, existing: Option<Existing>) -> Learned {
        let native = run.native;
        let mut learned = Learned {
            arch: native,
            default: run.default,
            bad_arch: Action::KILL_PROCESS,
            runs: Vec::new(),
            rules: BTreeMap::new(),
            kept: Vec::new(),
            notes: Vec::new(),
        };
        if let Some(existing) = existing {
            learned.arch = existing.arch;
            learned.default = existing.default;
            learned.bad_arch = existing.bad_arch;
            learned.runs = existing.runs;
            learned.kept = existing.kept;
            for (nr, count) in existing.allowed {
                learned.rules.insert(nr, (Decision::Allow, count));
            }
            for (nr, (values, count)) in existing.values {
                let arg = match native.syscall_name(nr).and_then(ArgRule::of) {
                    Some(ArgRule::Values { arg }) => arg,
                    _ => 0,
                };
                learned.rules.insert(nr, (Decision::Values(arg, values), count));
            }
            for (nr, count) in existing.no_write_exec {
                learned.rules.insert(nr, (Decision::NoWriteExec(2), count));
            }
        }
        learned
            .runs
            .push(format!("{} (exit status {})", run.command, run.status));
        let seen = usage.by_arch.get(&native).cloned().unwrap_or_default();
        for (&nr, &count) in &seen {
            learned.add_seen(usage, run, nr, count);
        }
        learned
    }

    /// Adds one syscall the run made `count` times.
    fn add_seen(&mut self, usage: &Usage, run: &Run<'_>, nr: u32, count: u64) {
        let name = self.arch.syscall_name(nr).unwrap_or("");
        // A kept line that decides this syscall would refuse what the run did: allow its syscalls.
        let (clashing, kept): (Vec<Kept>, Vec<Kept>) = std::mem::take(&mut self.kept)
            .into_iter()
            .partition(|k| k.nrs.contains(&nr));
        self.kept = kept;
        for line in clashing {
            self.notes.push(format!(
                "the merged policy's line `{}` decided {name}, which this run used: its syscalls are now allowed",
                line.line.trim()
            ));
            for other in line.nrs {
                self.rules.entry(other).or_insert((Decision::Allow, 0));
            }
        }
        let learned_args = run.args.then(|| ArgRule::of(name)).flatten();
        let previous = self.rules.remove(&nr);
        let (old, old_count) = match previous {
            Some((decision, old_count)) => (Some(decision), old_count),
            None => (None, 0),
        };
        let seen = usage.args.get(&nr);
        let decision = match (learned_args, old) {
            (_, Some(Decision::Allow)) | (None, _) => Decision::Allow,
            (Some(ArgRule::Values { arg }), old) => {
                let mut values = seen.map(|s| s.values.clone()).unwrap_or_default();
                if let Some(Decision::Values(_, before)) = old {
                    values.extend(before);
                }
                Decision::Values(arg, values)
            }
            (Some(ArgRule::NoWriteExec { arg }), _) => {
                if seen.is_some_and(|s| s.write_exec) {
                    self.notes.push(format!(
                        "{name} asked for write and execute memory at once: allowed without the W^X condition"
                    ));
                    Decision::Allow
                } else {
                    Decision::NoWriteExec(arg)
                }
            }
        };
        self.rules.insert(nr, (decision, old_count + count));
    }

    /// The number of syscalls the runs used (in this run or the merged file), before the always-allowed ones.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether nothing is allowed (never, once the always-allowed syscalls are added).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The policy text.
    pub fn render(&self, usage: &Usage, run: &Run<'_>) -> String {
        let arch = self.arch;
        let mut text = String::new();
        for (index, command) in self.runs.iter().enumerate() {
            text.push_str(if index == 0 { FIRST_RUN } else { LATER_RUN });
            text.push_str(command);
            text.push('\n');
        }
        let _ = writeln!(
            text,
            "# This run: {} {arch} syscalls used; the command exited with status {}.",
            usage.distinct(run.native),
            run.status
        );
        text.push_str(
            "# Review it (docs/learn.md): each line counts the calls of the runs; `@group` lines are whole\n\
             # systemd groups; run the command again with `learn --merge` on other input until nothing is new.\n",
        );
        for (other, counts) in usage.by_arch.iter().filter(|(a, _)| **a != arch) {
            let names: Vec<String> = counts
                .keys()
                .map(|&nr| {
                    other
                        .syscall_name(nr)
                        .map_or_else(|| nr.to_string(), str::to_owned)
                })
                .collect();
            let _ = writeln!(
                text,
                "# Also used {} {other} syscalls, which this {arch} policy refuses (bad-arch): {}",
                names.len(),
                names.join(" ")
            );
        }
        for (audit, nr) in &usage.unknown {
            let _ = writeln!(
                text,
                "# Also used syscall {nr} of unknown architecture {audit:#x}"
            );
        }
        let _ = writeln!(text, "arch {arch}");
        let _ = writeln!(text, "default {}", self.default);
        let _ = writeln!(text, "bad-arch {}", self.bad_arch);

        // Always allowed, seen or not.
        let mut rules = self.rules.clone();
        for (name, _) in ALWAYS {
            if let Some(nr) = arch.syscall_nr(name) {
                rules.entry(nr).or_insert((Decision::Allow, 0));
            }
        }
        let unconditional: BTreeSet<u32> = rules
            .iter()
            .filter(|(_, (decision, _))| *decision == Decision::Allow)
            .map(|(&nr, _)| nr)
            .collect();
        // Whole systemd groups, largest first, none overlapping.
        let mut claimed = BTreeSet::new();
        let mut groups: Vec<(&str, &str, BTreeSet<u32>)> = GROUPS
            .iter()
            .map(|group| {
                let mut nrs = BTreeSet::new();
                group.for_each_nr(arch, |nr| {
                    nrs.insert(nr);
                });
                (group.name, group.help, nrs)
            })
            .filter(|(_, _, nrs)| nrs.len() >= 2)
            .collect();
        groups.sort_by_key(|(_, _, nrs)| std::cmp::Reverse(nrs.len()));
        let mut group_lines = Vec::new();
        for (name, help, nrs) in groups {
            if nrs.is_subset(&unconditional) && nrs.is_disjoint(&claimed) {
                let calls: u64 = nrs.iter().map(|nr| rules.get(nr).map_or(0, |r| r.1)).sum();
                group_lines.push(line(
                    &format!("allow {name}"),
                    &format!("{} syscalls, {}: {help}", nrs.len(), calls_text(calls)),
                ));
                claimed.extend(nrs);
            }
        }
        if !group_lines.is_empty() {
            text.push_str("\n# whole systemd groups\n");
            for group in group_lines {
                text.push_str(&group);
            }
        }
        let mut sections: BTreeMap<Category, String> = BTreeMap::new();
        for (&nr, (decision, count)) in &rules {
            if claimed.contains(&nr) {
                continue;
            }
            let name = arch
                .syscall_name(nr)
                .map_or_else(|| nr.to_string(), str::to_owned);
            let mut comment = match (baseline::always_reason(&name), *count) {
                (Some(why), 0) => format!("not seen; always allowed: {why}"),
                (Some(why), count) => format!("{}; always allowed: {why}", calls_text(count)),
                (None, count) => calls_text(count),
            };
            let rule = match decision {
                Decision::Allow => format!("allow {name}"),
                Decision::Values(arg, values) if values.is_empty() => {
                    let _ = arg;
                    format!("allow {name}")
                }
                Decision::Values(arg, values) => {
                    let conditions: Vec<String> = values
                        .iter()
                        .map(|value| {
                            if name == "ioctl" {
                                format!("args[{arg}].lo == {value:#x}")
                            } else {
                                format!("args[{arg}].lo == {value}")
                            }
                        })
                        .collect();
                    if name == "socket" {
                        let families: Vec<&str> = values.iter().filter_map(|v| family(*v)).collect();
                        if !families.is_empty() {
                            comment = format!("{comment}; {}", families.join(", "));
                        }
                    }
                    format!("allow {name} if {}", conditions.join(" || "))
                }
                Decision::NoWriteExec(arg) => {
                    comment = format!("{comment}; never writable and executable at once (W^X)");
                    let prot = |value: u64| format!("(args[{arg}] & {WRITE_EXEC}) == {value}");
                    format!("allow {name} if {} || {} || {}", prot(0), prot(2), prot(4))
                }
            };
            sections
                .entry(Category::of(&name))
                .or_default()
                .push_str(&line(&rule, &comment));
        }
        for category in Category::ALL {
            if let Some(lines) = sections.get(&category) {
                let _ = writeln!(text, "\n# {}", category.title());
                text.push_str(lines);
            }
        }
        if !self.kept.is_empty() {
            text.push_str("\n# kept as written in the merged policy\n");
            for kept in &self.kept {
                text.push_str(&kept.line);
                text.push('\n');
            }
        }
        let decided: BTreeSet<u32> = rules
            .keys()
            .copied()
            .chain(self.kept.iter().flat_map(|k| k.nrs.iter().copied()))
            .collect();
        let mut fallbacks = String::new();
        for (name, why) in FALLBACKS {
            if let Some(nr) = arch.syscall_nr(name)
                && !decided.contains(&nr)
            {
                fallbacks.push_str(&line(&format!("errno(ENOSYS) {name}"), why));
            }
        }
        if !fallbacks.is_empty() {
            text.push_str(
                "\n# not seen, answered ENOSYS so that the caller falls back to an older syscall\n",
            );
            text.push_str(&fallbacks);
        }
        text
    }
}

/// `rule`, padded, then `# comment`.
fn line(rule: &str, comment: &str) -> String {
    format!("{rule:<28} # {comment}\n")
}

/// `N calls`, or where the count is unknown, that an earlier run used it.
fn calls_text(count: u64) -> String {
    match count {
        0 => "seen in an earlier run, not counted".to_owned(),
        1 => "1 call".to_owned(),
        n => format!("{n} calls"),
    }
}

/// The name of a socket address family.
fn family(value: u64) -> Option<&'static str> {
    Some(match value {
        1 => "AF_UNIX",
        2 => "AF_INET",
        10 => "AF_INET6",
        16 => "AF_NETLINK",
        17 => "AF_PACKET",
        _ => return None,
    })
}

/// `args` quoted the way a POSIX shell reads them back: words of safe characters as they are, anything
/// else in single quotes; control characters escaped so that the comment stays one line.
pub fn quote_command(args: &[std::ffi::OsString]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|arg| {
            let text = crate::error::escape_controls(&arg.to_string_lossy());
            let safe = !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&b));
            if safe {
                text
            } else {
                format!("'{}'", text.replace('\'', "'\\''"))
            }
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(command: &str) -> Run<'_> {
        Run {
            command,
            status: 0,
            native: Arch::X86_64,
            default: Action::KILL_PROCESS,
            args: true,
        }
    }

    fn record(usage: &mut Usage, name: &str, args: [u64; 6]) {
        let nr = Arch::X86_64.syscall_nr(name).unwrap_or(u32::MAX);
        let audit = seccomp_core::abi::AUDIT_ARCH_X86_64;
        usage.record(audit, nr as i32, &args, Arch::X86_64, true);
    }

    #[test]
    fn a_whole_group_is_one_line_and_values_are_united_by_a_merge() {
        let mut usage = Usage::default();
        for name in ["fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs"] {
            record(&mut usage, name, [0; 6]);
        }
        record(&mut usage, "socket", [1, 0, 0, 0, 0, 0]);
        let run = run_of("one");
        let text = Learned::new(&usage, &run, None).render(&usage, &run);
        assert!(text.contains("\n# whole systemd groups\nallow @sync "), "{text}");
        assert!(!text.contains("\nallow fsync "), "{text}");
        assert!(text.contains("\nallow socket if args[0].lo == 1 "), "{text}");
        let policy: seccomp_core::policy::Policy =
            seccomp_core::policy::Policy::parse(&text, Arch::X86_64).expect("parses");
        assert!(policy.rules().count() > 10);
        // A second run with another family: the merge allows both.
        let existing = super::super::existing::read(&text, "p", Arch::X86_64).expect("reads back");
        let mut second = Usage::default();
        record(&mut second, "socket", [10, 0, 0, 0, 0, 0]);
        let run = run_of("two");
        let merged = Learned::new(&second, &run, Some(existing)).render(&second, &run);
        assert!(
            merged.contains("\nallow socket if args[0].lo == 1 || args[0].lo == 10 "),
            "{merged}"
        );
        assert!(merged.contains("\nallow @sync "), "{merged}");
        assert!(merged.starts_with(
            "# Learned by `seccompctl learn` from: one (exit status 0)\n# Also learned from: two"
        ));
    }

    #[test]
    fn commands_are_quoted_for_the_shell_on_one_line() {
        let args: Vec<std::ffi::OsString> = ["gzip", "-k", "a b", "it's", "x\ny"]
            .iter()
            .map(Into::into)
            .collect();
        assert_eq!(quote_command(&args), r"gzip -k 'a b' 'it'\''s' 'x\ny'");
    }
}
