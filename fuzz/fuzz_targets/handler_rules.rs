//! Handler rules (`seccompctl run --handlers`, `cli/src/notify/rules.rs`): the native policy format plus
//! memory predicates on the syscall's path (`allow openat if path under "/srv/data"`).
//!
//! Properties (any violation is a crash), for x86_64 and aarch64:
//! - the parser never panics;
//! - an error names the file and a line of the input (`rules.policy:LINE:...`), on one line;
//! - what parses keeps the file order, and every path predicate is on a syscall the supervisor can carry
//!   out itself (`EMULATED`), absolute, free of `..`, and lexically clean: its text reads back to the
//!   same components;
//! - the rules and the whole file agree: on probes chosen from the file's numbers and constants
//!   (`seccomp_fuzz::probes`), when a rule applies, the whole file's policy decides the action of one of
//!   the rules that apply (or `notify`, which a one-line rule cannot carry), and when none applies, its
//!   default.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccomp_core::action::ActionKind;
use seccomp_core::arch::Arch;
use seccomp_core::policy::X32;
use seccomp_fuzz::{check_lexical, probes, seed};
use seccomp_supervisor::emulate::EMULATED;
use seccompctl::notify::rules::{PathPredicate, Rules};
use std::path::Path;

/// The file name errors must start with.
const FILE: &str = "rules.policy";

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let lines = text.lines().count();
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let rules = match Rules::parse(Path::new(FILE), text, arch) {
            Ok(rules) => rules,
            Err(error) => {
                check_error(&error.message, lines);
                continue;
            }
        };
        check_rules(&rules, arch, lines, seed(input));
    }
});

/// The error names the file and an existing line (the whole-file parse may point one past the last).
fn check_error(message: &str, lines: usize) {
    assert!(!message.contains('\n'), "error on several lines: {message:?}");
    let rest = message
        .strip_prefix(FILE)
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or_else(|| panic!("error does not name the file: {message:?}"));
    let line: usize = rest
        .split(':')
        .next()
        .and_then(|line| line.parse().ok())
        .unwrap_or_else(|| panic!("error does not name a line: {message:?}"));
    assert!(
        (1..=lines + 1).contains(&line),
        "error names line {line} of {lines}: {message:?}"
    );
}

fn check_rules(rules: &Rules, arch: Arch, lines: usize, seed: u64) {
    let mut previous = 0;
    for rule in &rules.rules {
        assert!(
            rule.line > previous && rule.line as usize <= lines,
            "rule lines out of order or out of the file: {} after {previous} of {lines}",
            rule.line
        );
        previous = rule.line;
        for predicate in &rule.paths {
            let (PathPredicate::Under(path) | PathPredicate::Exactly(path)) = predicate;
            assert!(
                !path.has_dot_dot(),
                "line {}: a `..` path was accepted",
                rule.line
            );
            check_lexical(path);
        }
    }

    let policy = &rules.policy;
    // The one-line rules are read for `arch`, and the handler gives every other ABI the bad-arch action:
    // a file that parses covers `arch` alone (an `arch` line naming more or another ABI, an `x32` line
    // other than `x32 bad-arch` and `enosys-above` are refused).
    assert!(
        policy.arch() == arch
            && policy.abis().eq([arch])
            && policy.x32() == X32::BadArch
            && policy.enosys_ceilings().next().is_none(),
        "a handlers file for {arch} was read as another ABI set:\n{policy}"
    );
    for data in probes(policy, seed) {
        let nr = data.nr as u32;
        // x32 numbers and foreign architectures are the whole file's business only.
        if data.arch != arch.audit() || nr & 0x4000_0000 != 0 {
            continue;
        }
        let decided = policy.evaluate(&data);
        let mut applying = rules
            .rules
            .iter()
            .filter(|rule| rule.applies(nr, &data.args))
            .peekable();
        if applying.peek().is_none() {
            assert!(
                decided == policy.default_action() || decided.kind() == ActionKind::Notify,
                "no rule applies to {data:?} but the file decides {decided} (default {})",
                policy.default_action()
            );
            continue;
        }
        let mut actions = Vec::new();
        for rule in applying {
            if !rule.paths.is_empty() {
                let name = arch.syscall_name(nr).unwrap_or("?");
                assert!(
                    EMULATED.contains(&name),
                    "line {}: a path predicate on `{name}` was accepted",
                    rule.line
                );
            }
            actions.push(rule.action);
        }
        assert!(
            actions.contains(&decided) || decided.kind() == ActionKind::Notify,
            "rules {actions:?} apply to {data:?} but the file decides {decided}"
        );
    }
}
