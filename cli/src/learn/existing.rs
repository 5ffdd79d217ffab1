//! Reading the policy `learn --merge` grows. The file must parse with the policy parser (errors name its
//! line and column); then each rule line is classified by parsing it alone: unconditional allows join the
//! learned set (with the call count of its `# N calls` comment), rules `learn --args` wrote are read back
//! as argument values, the `always` and `errno(ENOSYS)` lines learn writes itself are regenerated, and any
//! other line (a rule the user wrote or edited) is kept as it is.

use super::baseline;
use super::usage::{ArgRule, WRITE_EXEC};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Op, Policy, Width};
use std::collections::{BTreeMap, BTreeSet};

/// The header line of the first run.
pub const FIRST_RUN: &str = "# Learned by `seccompctl learn` from: ";
/// The header line of every later run.
pub const LATER_RUN: &str = "# Also learned from: ";

/// A rule line kept as the user wrote it, with the syscalls it decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    /// The line, without its end.
    pub line: String,
    /// The syscall numbers its rules name.
    pub nrs: BTreeSet<u32>,
}

/// What an existing learned policy holds.
#[derive(Clone, Debug)]
pub struct Existing {
    /// Its architecture, default and bad-arch actions (kept by the merge).
    pub arch: Arch,
    /// The default action.
    pub default: Action,
    /// The bad-arch action.
    pub bad_arch: Action,
    /// The command lines of the runs it was learned from, in order.
    pub runs: Vec<String>,
    /// Unconditionally allowed syscalls and their call counts (0 when the file gives none).
    pub allowed: BTreeMap<u32, u64>,
    /// Syscalls allowed for argument values only ([`ArgRule::Values`]), with the values and counts.
    pub values: BTreeMap<u32, (BTreeSet<u64>, u64)>,
    /// Syscalls allowed without write-and-execute ([`ArgRule::NoWriteExec`]), with counts.
    pub no_write_exec: BTreeMap<u32, u64>,
    /// Other rule lines, kept verbatim.
    pub kept: Vec<Kept>,
}

/// The call count of a `# N calls` (or `# N call`) comment on `line`, or 0.
fn comment_count(line: &str) -> u64 {
    let Some((_, comment)) = line.split_once('#') else {
        return 0;
    };
    let mut words = comment.split_whitespace();
    match (words.next().map(str::parse::<u64>), words.next()) {
        (Some(Ok(count)), Some(word)) if word.starts_with("call") => count,
        _ => 0,
    }
}

/// The values of a rule of the shape `args[arg].lo == V || args[arg].lo == W ...`, if it has that shape.
fn value_set(rule: &seccomp_core::policy::Rule<'_>, arg: u8) -> Option<BTreeSet<u64>> {
    let mut values = BTreeSet::new();
    for conjunction in rule.alternatives() {
        let [cmp] = conjunction else { return None };
        if cmp.arg() != arg || cmp.op() != Op::Eq || cmp.width() != Width::Low {
            return None;
        }
        values.insert(cmp.value());
    }
    Some(values)
}

/// Whether a rule is `learn --args`'s W^X condition on argument `arg`: every alternative a masked
/// equality with `PROT_WRITE | PROT_EXEC` that is not both.
fn is_no_write_exec(rule: &seccomp_core::policy::Rule<'_>, arg: u8) -> bool {
    rule.is_conditional()
        && rule.alternatives().all(|conjunction| {
            matches!(conjunction, [cmp] if cmp.arg() == arg
                && cmp.op() == Op::MaskedEq(WRITE_EXEC)
                && cmp.value() != WRITE_EXEC)
        })
}

/// Reads `text` (the file `path`, for messages) for architecture `native`.
pub fn read(text: &str, path: &str, native: Arch) -> Result<Existing, String> {
    let whole: Policy = Policy::parse(text, native).map_err(|error| format!("{path}:{error}"))?;
    let arch = whole.arch();
    let enosys: Action = "errno(ENOSYS)"
        .parse()
        .map_err(|_| "errno(ENOSYS) does not parse".to_owned())?;
    let mut existing = Existing {
        arch,
        default: whole.default_action(),
        bad_arch: whole.bad_arch_action(),
        runs: Vec::new(),
        allowed: BTreeMap::new(),
        values: BTreeMap::new(),
        no_write_exec: BTreeMap::new(),
        kept: Vec::new(),
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(run) = trimmed
            .strip_prefix(FIRST_RUN)
            .or_else(|| trimmed.strip_prefix(LATER_RUN))
        {
            existing.runs.push(run.to_owned());
            continue;
        }
        let first = trimmed.split_whitespace().next().unwrap_or("");
        if first.is_empty()
            || first.starts_with('#')
            || ["arch", "default", "bad-arch", "x32"].contains(&first)
        {
            continue;
        }
        // An ENOSYS ceiling decides no rule's syscall: kept as written (it must follow the `arch` line,
        // which the learned text writes first).
        if first == "enosys-above" {
            Policy::<1, 1>::parse(&format!("arch {arch}\ndefault kill-process\n{line}\n"), arch)
                .map_err(|error| format!("{path}: {error} (in the line `{trimmed}`)"))?;
            existing.kept.push(Kept {
                line: line.to_owned(),
                nrs: BTreeSet::new(),
            });
            continue;
        }
        // Every statement is one line: parsed alone, it gives that line's rules.
        let alone: Policy = Policy::parse(&format!("default kill-process\n{line}\n"), arch)
            .map_err(|error| format!("{path}: {error} (in the line `{trimmed}`)"))?;
        let rules: Vec<_> = alone.rules().collect();
        let count = if rules.len() == 1 { comment_count(line) } else { 0 };
        let name_of = |nr: u32| arch.syscall_name(nr).unwrap_or("");
        if rules
            .iter()
            .all(|rule| rule.action() == Action::ALLOW && !rule.is_conditional())
        {
            for rule in &rules {
                *existing.allowed.entry(rule.nr()).or_default() += count;
            }
            continue;
        }
        if rules.iter().all(|rule| {
            rule.action() == enosys
                && !rule.is_conditional()
                && baseline::fallback_reason(name_of(rule.nr())).is_some()
        }) {
            continue;
        }
        if let [rule] = rules.as_slice()
            && rule.action() == Action::ALLOW
        {
            match ArgRule::of(name_of(rule.nr())) {
                Some(ArgRule::Values { arg }) => {
                    if let Some(values) = value_set(rule, arg) {
                        let entry = existing.values.entry(rule.nr()).or_default();
                        entry.0.extend(values);
                        entry.1 += count;
                        continue;
                    }
                }
                Some(ArgRule::NoWriteExec { arg }) if is_no_write_exec(rule, arg) => {
                    *existing.no_write_exec.entry(rule.nr()).or_default() += count;
                    continue;
                }
                _ => {}
            }
        }
        existing.kept.push(Kept {
            line: line.to_owned(),
            nrs: rules.iter().map(|rule| rule.nr()).collect(),
        });
    }
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learned_lines_are_read_back_and_other_rules_kept() {
        let text = "# Learned by `seccompctl learn` from: gzip -k f\n\
                    arch x86_64\ndefault errno(EPERM)\nbad-arch kill-process\n\
                    allow read          # 12 calls\n\
                    allow @basic-io     # 40 calls\n\
                    allow socket if args[0].lo == 1 || args[0].lo == 10   # 2 calls\n\
                    allow mmap if (args[2] & 6) == 0 || (args[2] & 6) == 2 || (args[2] & 6) == 4\n\
                    errno(ENOSYS) clone3\n\
                    errno(EACCES) ptrace # mine\n";
        let existing = read(text, "p", Arch::X86_64).expect("parses");
        let nr = |name| Arch::X86_64.syscall_nr(name).unwrap_or(u32::MAX);
        assert_eq!(existing.runs, ["gzip -k f"]);
        assert_eq!(existing.allowed.get(&nr("read")), Some(&12));
        assert!(existing.allowed.contains_key(&nr("pread64")), "from @basic-io");
        assert_eq!(
            existing.values.get(&nr("socket")),
            Some(&([1, 10].into_iter().collect(), 2))
        );
        assert!(existing.no_write_exec.contains_key(&nr("mmap")));
        assert!(!existing.kept.iter().any(|kept| kept.nrs.contains(&nr("clone3"))));
        assert_eq!(existing.kept.len(), 1);
        assert_eq!(existing.kept[0].line, "errno(EACCES) ptrace # mine");
        assert!(read("allow read\n", "p", Arch::X86_64).is_err_and(|e| e.starts_with("p:")));
    }

    #[test]
    fn an_enosys_ceiling_is_kept_as_written() {
        let text = "arch x86_64\ndefault errno(EPERM)\nenosys-above 449\nallow read\n";
        let existing = read(text, "p", Arch::X86_64).expect("parses");
        assert_eq!(existing.kept.len(), 1);
        assert_eq!(existing.kept[0].line, "enosys-above 449");
        assert!(existing.kept[0].nrs.is_empty());
    }
}
