//! The native policy text format: parsing, errors with line:column, and the writer's round trip.

use seccomp_core::abi::{AUDIT_ARCH_X86_64, SeccompData};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Comparison, Op, ParseErrorKind, Policy, PolicyError, Width, X32};

const EXAMPLE: &str = "\
# a small service profile
arch x86_64
default errno(EPERM)
bad-arch kill-process
allow read write close exit_group rt_sigreturn
allow openat if (args[2] & 3) == 0        # read-only opens
allow socket if args[0] == 1 || args[0] == 10
notify mount umount2
errno(ENOSYS) clone3
allow ioctl if args[1].lo == 0x5401
";

fn parse(text: &str) -> Policy {
    match Policy::parse(text, Arch::X86_64) {
        Ok(policy) => policy,
        Err(error) => panic!("{error}\n{text}"),
    }
}

fn call(name: &str, args: [u64; 6]) -> SeccompData {
    let nr = Arch::X86_64.syscall_nr(name).expect("known name") as i32;
    SeccompData {
        nr,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0,
        args,
    }
}

fn errno(value: u32) -> Action {
    Action::errno(value).expect("small errno")
}

#[test]
fn example_policy_decides_as_written() {
    let policy = parse(EXAMPLE);
    assert_eq!(policy.arch(), Arch::X86_64);
    assert_eq!(policy.default_action(), errno(1));
    assert_eq!(policy.len(), 5 + 1 + 1 + 2 + 1 + 1);
    let cases: &[(&str, [u64; 6], Action)] = &[
        ("read", [0; 6], Action::ALLOW),
        ("openat", [3, 0, 0, 0, 0, 0], Action::ALLOW),
        ("openat", [3, 0, 0o2, 0, 0, 0], errno(1)),
        ("openat", [3, 0, 0o100, 0, 0, 0], Action::ALLOW),
        ("socket", [1, 0, 0, 0, 0, 0], Action::ALLOW),
        ("socket", [10, 0, 0, 0, 0, 0], Action::ALLOW),
        ("socket", [2, 0, 0, 0, 0, 0], errno(1)),
        ("socket", [(1 << 32) | 1, 0, 0, 0, 0, 0], errno(1)),
        ("mount", [0; 6], Action::NOTIFY),
        ("umount2", [0; 6], Action::NOTIFY),
        ("clone3", [0; 6], errno(38)),
        ("ioctl", [0, 0x5401, 0, 0, 0, 0], Action::ALLOW),
        ("ioctl", [0, 0xffff_ffff_0000_5401, 0, 0, 0, 0], Action::ALLOW),
        ("ioctl", [0, 0x5402, 0, 0, 0, 0], errno(1)),
        ("execve", [0; 6], errno(1)),
    ];
    for (name, args, expected) in cases {
        assert_eq!(policy.evaluate(&call(name, *args)), *expected, "{name} {args:x?}");
    }
    let mut foreign = call("read", [0; 6]);
    foreign.arch = seccomp_core::abi::AUDIT_ARCH_I386;
    assert_eq!(policy.evaluate(&foreign), Action::KILL_PROCESS);
}

#[test]
fn low_word_comparison_ignores_sign_extension_but_full_comparison_does_not() {
    let policy = parse("default allow\nerrno(1) dup if args[0].lo == -1\nerrno(2) dup2 if args[0] == -1\n");
    for (name, arg, expected) in [
        ("dup", 0xffff_ffff, errno(1)),
        ("dup", u64::MAX, errno(1)),
        ("dup", 0xffff_fffe, Action::ALLOW),
        ("dup2", 0xffff_ffff, Action::ALLOW),
        ("dup2", u64::MAX, errno(2)),
    ] {
        assert_eq!(
            policy.evaluate(&call(name, [arg, 0, 0, 0, 0, 0])),
            expected,
            "{name} {arg:#x}"
        );
    }
}

#[test]
fn conditional_rules_win_over_unconditional_and_least_permissive_among_matches() {
    let policy = parse(
        "default kill-process\n\
         allow kill\n\
         errno(EPERM) kill if args[1] == 9\n\
         log kill if args[1] >= 9\n\
         errno(EACCES) kill if args[1] == 10\n\
         trap kill if args[1] > 100\n\
         errno(ENOENT) kill if args[1] == 10\n",
    );
    let cases = [
        (0, Action::ALLOW),     // no conditional matches: the unconditional rule
        (9, errno(1)),          // errno(EPERM) and log match: errno is less permissive
        (10, errno(13)),        // log, EACCES, ENOENT match: EACCES was added first
        (11, Action::LOG),      // only log
        (101, Action::trap(0)), // log and trap: trap
    ];
    for (signal, expected) in cases {
        assert_eq!(
            policy.evaluate(&call("kill", [1, signal, 0, 0, 0, 0])),
            expected,
            "signal {signal}"
        );
    }
}

#[test]
fn conditional_rule_without_unconditional_falls_back_to_default() {
    let policy =
        parse("default errno(1)\nallow openat if args[0] == 1\nkill-thread openat if args[0] == 2\n");
    assert_eq!(
        policy.evaluate(&call("openat", [1, 0, 0, 0, 0, 0])),
        Action::ALLOW
    );
    assert_eq!(
        policy.evaluate(&call("openat", [2, 0, 0, 0, 0, 0])),
        Action::KILL_THREAD
    );
    assert_eq!(policy.evaluate(&call("openat", [3, 0, 0, 0, 0, 0])), errno(1));
}

#[test]
fn x32_syscalls_get_bad_arch_unless_decided_by_name() {
    let text = "default errno(1)\nbad-arch kill-thread\nallow read\nallow rt_sigaction\n";
    let x32_read = Arch::X32.syscall_nr("read").expect("x32 read") as i32;
    let x32_sigaction = Arch::X32.syscall_nr("rt_sigaction").expect("x32 rt_sigaction") as i32;
    let data = |nr| SeccompData {
        nr,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0,
        args: [0; 6],
    };
    let policy = parse(text);
    assert_eq!(policy.x32(), X32::BadArch);
    assert_eq!(policy.evaluate(&data(x32_read)), Action::KILL_THREAD);
    let by_name = parse(&format!("x32 by-name\n{text}"));
    assert_eq!(by_name.evaluate(&data(x32_read)), Action::ALLOW);
    // rt_sigaction is 512 on x32 and 13 on x86_64: matched by name.
    assert_eq!(by_name.evaluate(&data(x32_sigaction)), Action::ALLOW);
    assert_eq!(by_name.evaluate(&data(x32_read | 0x1000)), errno(1));
    // -1 (0xffffffff) has bit 30 set too: an x32 number to the kernel's check.
    assert_eq!(policy.evaluate(&data(-1)), Action::KILL_THREAD);
}

#[test]
fn x32_target_refuses_x86_64_numbers() {
    let policy = parse("arch x32\ndefault errno(1)\nallow read\n");
    let data = |nr: u32| SeccompData {
        nr: nr as i32,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0,
        args: [0; 6],
    };
    assert_eq!(policy.evaluate(&data(0x4000_0000)), Action::ALLOW);
    assert_eq!(policy.evaluate(&data(0)), Action::KILL_PROCESS);
    assert_eq!(policy.evaluate(&data(0x4000_0001)), errno(1));
}

#[test]
fn literals_hex_decimal_negative_and_underscores() {
    let policy = parse(
        "default allow\n\
         errno(1) dup if args[0] == 0xffff_ffff_ffff_fff0 && args[1].lo == -2 && args[2] == 1_000 && args[3] == -1\n",
    );
    let rule = policy.rule(0).expect("one rule");
    let conjunction = rule.alternatives().next().expect("one alternative");
    let values: Vec<u64> = conjunction.iter().map(|c| c.value()).collect();
    assert_eq!(values, [0xffff_ffff_ffff_fff0, 0xffff_fffe, 1000, u64::MAX]);
    assert_eq!(conjunction[1].width(), Width::Low);
}

#[test]
fn numbers_name_syscalls_outside_the_table() {
    let policy = parse("default allow\nerrno(1) 1000 0x3e8 0\n");
    let nrs: Vec<u32> = policy.rules().map(|r| r.nr()).collect();
    assert_eq!(nrs, [1000, 1000, 0]);
    let text = policy.to_string();
    assert!(text.contains("errno(EPERM) 1000 1000 read\n"), "{text}");
}

/// One case per error: the input, where the error points, and a piece of its message.
#[test]
fn errors_point_at_line_and_column_with_what_was_expected() {
    let cases: &[(&str, u32, u32, &str)] = &[
        (
            "default allow\nallow reed\n",
            2,
            7,
            "unknown syscall `reed` for x86_64",
        ),
        (
            "default allow\nallow\n",
            2,
            6,
            "expected a syscall name or number after the action, found end of line",
        ),
        ("default allow\nalow read\n", 2, 1, "unknown action"),
        ("default allow\nerrno(EWHAT) read\n", 2, 7, "errno name"),
        ("default allow\nerrno(5000) read\n", 2, 7, "4095"),
        (
            "default allow\nallow read if\n",
            2,
            14,
            "expected an argument such as `args[0]`",
        ),
        (
            "default allow\nallow read if args[6] == 1\n",
            2,
            20,
            "argument index must be 0 to 5",
        ),
        (
            "default allow\nallow read if args[0] = 1\n",
            2,
            23,
            "expected a comparison operator",
        ),
        (
            "default allow\nallow read if args[0] & 1 == 1\n",
            2,
            23,
            "needs parentheses",
        ),
        (
            "default allow\nallow read if args[0] == x\n",
            2,
            26,
            "expected a number",
        ),
        (
            "default allow\nallow read if args[0].lo == 0x1_0000_0000\n",
            2,
            29,
            "does not fit in 32 bits",
        ),
        (
            "default allow\nallow read if args[0].lo == -2147483649\n",
            2,
            29,
            "does not fit in 32 bits",
        ),
        (
            "default allow\nallow read if args[0] == 18446744073709551616\n",
            2,
            26,
            "does not fit in 64 bits",
        ),
        (
            "default allow\nallow read if args[0] == 1 &&\n",
            2,
            30,
            "expected an argument",
        ),
        (
            "default allow\nallow read if args[0] == 1 junk\n",
            2,
            28,
            "expected `&&`, `||` or the end of the line, found `junk`",
        ),
        (
            "default allow\nallow read if (args[0] == 1 || args[0] == 2)\n",
            2,
            29,
            "parentheses hold one comparison",
        ),
        (
            "default allow\nallow read if (args[0] & 1 == 1\n",
            2,
            28,
            "expected `)` after the mask",
        ),
        (
            "default allow\nallow read if args[0].hi == 1\n",
            2,
            23,
            "expected `lo`",
        ),
        ("default allow\ndefault errno(1)\n", 2, 1, "`default` given twice"),
        // The last line of the file, not the empty piece after its final newline.
        ("allow read\n", 1, 1, "expected a `default ACTION` line"),
        (
            "default allow\nallow read\narch i386\n",
            3,
            1,
            "`arch` must come before the first rule",
        ),
        (
            "arch sparc\ndefault allow\n",
            1,
            6,
            "unknown architecture `sparc`",
        ),
        (
            "arch i386\nx32 by-name\ndefault allow\n",
            2,
            1,
            "x32 handling applies to x86_64 policies",
        ),
        (
            "default allow\nx32 maybe\n",
            2,
            5,
            "expected `bad-arch`, `by-name` or `bad-arch-except-minus-one`, found `maybe`",
        ),
        (
            "default allow extra\n",
            1,
            15,
            "expected the end of the line, found `extra`",
        ),
        ("default allow\n  == 3\n", 2, 3, "expected a statement"),
        (
            "default allow\nallow read 99999999999\n",
            2,
            12,
            "syscall number does not fit in 32 bits",
        ),
        (
            "default allow\n# ünïcödé comment\nallow ünï\n",
            3,
            7,
            "expected a syscall name or number, found `ü`",
        ),
    ];
    for (text, line, column, message) in cases {
        let error = Policy::<16, 16>::parse(text, Arch::X86_64).expect_err(text);
        let shown = error.to_string();
        assert_eq!((error.line, error.column), (*line, *column), "{text:?}: {shown}");
        assert!(shown.contains(message), "{text:?}: {shown}");
        assert!(shown.starts_with(&format!("{line}:{column}: ")), "{shown}");
    }
}

#[test]
fn unknown_syscall_is_resolved_per_arch() {
    // `open` exists on x86_64 but not on aarch64.
    assert!(Policy::<8, 8>::parse("default allow\nallow open\n", Arch::X86_64).is_ok());
    let error = Policy::<8, 8>::parse("arch aarch64\ndefault allow\nallow open\n", Arch::X86_64)
        .expect_err("aarch64 has no open");
    assert!(matches!(
        error.kind,
        ParseErrorKind::UnknownSyscall {
            arch: Arch::Aarch64,
            ..
        }
    ));
}

#[test]
fn capacity_overflow_is_an_error_at_the_statement() {
    let error = Policy::<2, 8>::parse("default allow\nallow read write close\n", Arch::X86_64)
        .expect_err("three rules in two slots");
    assert_eq!((error.line, error.column), (2, 18));
    assert_eq!(
        error.kind,
        ParseErrorKind::Policy(PolicyError::TooManyRules { capacity: 2 })
    );
    let error = Policy::<8, 2>::parse(
        "default allow\nallow read if args[0] == 1 && args[1] == 2 && args[2] == 3\n",
        Arch::X86_64,
    )
    .expect_err("three comparisons in two slots");
    assert_eq!(
        error.kind,
        ParseErrorKind::Policy(PolicyError::TooManyComparisons { capacity: 2 })
    );
}

#[test]
fn writer_round_trips_to_an_equal_policy() {
    let mut long = String::from("default kill-process\nbad-arch errno(ENOSYS)\nx32 by-name\n");
    long.push_str("allow");
    for (name, _) in Arch::X86_64.syscalls().iter().take(60) {
        long.push(' ');
        long.push_str(name);
    }
    long.push('\n');
    for text in [
        EXAMPLE,
        long.as_str(),
        "default raw(0x7fff0005)\nlog 5000 if args[5].lo <= 4096 && args[4] > 0x10000\n",
    ] {
        let policy = parse(text);
        let written = policy.to_string();
        let reparsed = parse(&written);
        assert_eq!(reparsed, policy, "{written}");
        assert_eq!(reparsed.to_string(), written);
        for line in written.lines() {
            assert!(line.chars().count() < 120, "long line: {line}");
        }
    }
}

#[test]
fn writer_output_of_the_example() {
    let written = parse(EXAMPLE).to_string();
    assert_eq!(
        written,
        "arch x86_64\n\
         default errno(EPERM)\n\
         bad-arch kill-process\n\
         allow read write close exit_group rt_sigreturn\n\
         allow openat if (args[2] & 0x3) == 0\n\
         allow socket if args[0] == 1 || args[0] == 10\n\
         notify mount umount2\n\
         errno(ENOSYS) clone3\n\
         allow ioctl if args[1].lo == 0x5401\n"
    );
}

#[test]
fn model_constructors_check_their_input_and_leave_the_policy_unchanged() {
    let mut policy: Policy<4, 2> = Policy::new(Arch::X86_64, Action::ALLOW);
    assert_eq!(
        Comparison::new(6, Width::Full, Op::Eq, 0),
        Err(PolicyError::ArgIndex(6))
    );
    assert_eq!(
        Comparison::new(0, Width::Low, Op::Eq, 1 << 32),
        Err(PolicyError::ValueTooWide(1 << 32))
    );
    assert_eq!(
        Comparison::new(0, Width::Low, Op::MaskedEq(1 << 40), 0),
        Err(PolicyError::ValueTooWide(1 << 40))
    );
    let c = Comparison::new(0, Width::Full, Op::Eq, 1).expect("valid");
    assert_eq!(
        policy.add_rule(0, Action::LOG, &[&[]]),
        Err(PolicyError::EmptyConjunction)
    );
    assert_eq!(
        policy.add_rule(0, Action::LOG, &[&[c, c, c]]),
        Err(PolicyError::TooManyComparisons { capacity: 2 })
    );
    assert!(policy.is_empty());
    assert_eq!(
        policy.add_named_rule("nosuch", Action::LOG, &[]),
        Err(PolicyError::UnknownSyscall(Arch::X86_64))
    );
    policy
        .add_named_rule("read", Action::LOG, &[&[c], &[c]])
        .expect("fits");
    assert_eq!(policy.len(), 1);
    let rule = policy.rule(0).expect("rule 0");
    assert_eq!(rule.alternatives().len(), 2);
    assert_eq!(policy.set_x32(X32::ByName), Ok(()));
    let mut arm: Policy<4, 2> = Policy::new(Arch::Aarch64, Action::ALLOW);
    assert_eq!(
        arm.set_x32(X32::ByName),
        Err(PolicyError::X32NotX86_64(Arch::Aarch64))
    );
}

#[test]
fn constant_comparisons_are_recognised() {
    let cases = [
        (Width::Full, Op::Ge, 0, Some(true)),
        (Width::Full, Op::Lt, 0, Some(false)),
        (Width::Full, Op::Le, u64::MAX, Some(true)),
        (Width::Full, Op::Gt, u64::MAX, Some(false)),
        (Width::Low, Op::Le, 0xffff_ffff, Some(true)),
        (Width::Low, Op::Gt, 0xffff_ffff, Some(false)),
        (Width::Full, Op::Le, 0xffff_ffff, None),
        (Width::Full, Op::MaskedEq(0), 0, Some(true)),
        (Width::Full, Op::MaskedEq(1), 2, Some(false)),
        (Width::Full, Op::MaskedEq(3), 1, None),
        (Width::Full, Op::Eq, 0, None),
    ];
    for (width, op, value, expected) in cases {
        let c = Comparison::new(0, width, op, value).expect("valid");
        assert_eq!(c.constant(), expected, "{c}");
        if let Some(truth) = expected {
            for arg in [0, 1, 0xffff_ffff, 1 << 32, u64::MAX] {
                assert_eq!(c.matches(&[arg, 0, 0, 0, 0, 0]), truth, "{c} on {arg:#x}");
            }
        }
    }
}

#[test]
fn the_example_in_the_documentation_parses_and_round_trips() {
    let doc = include_str!("../../docs/policy.md");
    let start = doc.find("```text\n").expect("an example block") + "```text\n".len();
    let example = &doc[start..start + doc[start..].find("```").expect("end of the block")];
    let policy = parse(example);
    assert_eq!(policy.len(), 12);
    assert_eq!(parse(&policy.to_string()), policy);
}

#[test]
fn masked_not_equal_parses_displays_and_means_the_negation() {
    let text = "default allow\nerrno(1) clone if (args[0] & 0x10000000) != 0 && (args[1].lo & 0xff) != 3\n";
    let policy: Policy = Policy::parse(text, Arch::X86_64).expect("parses");
    let rule = policy.rule(0).expect("rule");
    let conjunction = rule.alternatives().next().expect("alternative");
    assert_eq!(conjunction[0].op(), Op::MaskedNe(0x1000_0000));
    assert_eq!(conjunction[1].op(), Op::MaskedNe(0xff));
    assert_eq!(conjunction[0].to_string(), "(args[0] & 0x10000000) != 0");
    assert_eq!(conjunction[1].to_string(), "(args[1].lo & 0xff) != 3");
    let reparsed: Policy = Policy::parse(&policy.to_string(), Arch::X86_64).expect("round trip");
    assert_eq!(reparsed, policy);
    let c = conjunction[0];
    assert!(c.matches(&[0x1000_0000, 0, 0, 0, 0, 0]));
    assert!(!c.matches(&[0x2000_0000, 0, 0, 0, 0, 0]));
    // Constant cases: a value outside the mask never equals, a zero mask always gives 0.
    assert_eq!(
        Comparison::new(0, Width::Full, Op::MaskedNe(1), 2)
            .unwrap()
            .constant(),
        Some(true)
    );
    assert_eq!(
        Comparison::new(0, Width::Full, Op::MaskedNe(0), 0)
            .unwrap()
            .constant(),
        Some(false)
    );
    assert_eq!(
        Comparison::new(0, Width::Full, Op::MaskedNe(3), 1)
            .unwrap()
            .constant(),
        None
    );
}
