//! The compiler against the reference semantics, on hand-written and random policies.

mod common;

use common::check;

use seccomp_core::Rng;
use seccomp_core::abi::{AUDIT_ARCH_X86_64, SeccompData, SockFilter};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{
    Comparison, CompileError, Compiler, Op, Policy, Stats, Width, X32, compile, verify,
};

const CONTAINER: &str = include_str!("../src/policy/testdata/container.policy");

fn data(nr: u32, args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr: nr as i32,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0,
        args,
    }
}

/// A random policy: random arch, settings and up to 40 rules, a third of them conditional, with constants
/// drawn from edge values.
fn random_policy(rng: &mut Rng) -> Policy<64, 256> {
    let archs = [Arch::X86_64, Arch::X86_64, Arch::X32, Arch::I386, Arch::Aarch64];
    let arch = archs[rng.below(archs.len() as u64) as usize];
    let actions = [
        Action::ALLOW,
        Action::LOG,
        Action::NOTIFY,
        Action::KILL_PROCESS,
        Action::KILL_THREAD,
        Action::trap(3),
        Action::trace(9),
        Action::errno(1).unwrap(),
        Action::errno(2).unwrap(),
    ];
    let pick_action = |rng: &mut Rng| actions[rng.below(actions.len() as u64) as usize];
    let mut policy = Policy::new(arch, pick_action(rng));
    policy.set_bad_arch_action(pick_action(rng));
    if arch == Arch::X86_64 && rng.below(2) == 0 {
        policy.set_x32(X32::ByName).unwrap();
    }
    let table: Vec<u32> = arch.syscalls().iter().map(|(_, nr)| nr).collect();
    // Concentrate rules on a few numbers so that syscalls get several rules.
    let hot: Vec<u32> = (0..8)
        .map(|_| table[rng.below(table.len() as u64) as usize])
        .collect();
    let values = [
        0,
        1,
        2,
        5,
        0xff,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0005,
        u64::MAX,
        u64::MAX - 1,
    ];
    for _ in 0..rng.below(40) {
        let nr = match rng.below(10) {
            0..=4 => hot[rng.below(hot.len() as u64) as usize],
            5..=8 => table[rng.below(table.len() as u64) as usize],
            _ => rng.next_u64() as u32 & 0x4000_0fff,
        };
        let action = pick_action(rng);
        let mut alternatives: Vec<Vec<Comparison>> = Vec::new();
        if rng.below(3) == 0 {
            for _ in 0..1 + rng.below(3) {
                let mut conjunction = Vec::new();
                for _ in 0..1 + rng.below(3) {
                    let width = if rng.below(2) == 0 {
                        Width::Full
                    } else {
                        Width::Low
                    };
                    let value = |rng: &mut Rng| {
                        let v = if rng.below(4) == 0 {
                            rng.next_u64()
                        } else {
                            values[rng.below(values.len() as u64) as usize]
                        };
                        if width == Width::Low { v & 0xffff_ffff } else { v }
                    };
                    let op = match rng.below(8) {
                        0 => Op::Eq,
                        1 => Op::Ne,
                        2 => Op::Lt,
                        3 => Op::Le,
                        4 => Op::Gt,
                        5 => Op::Ge,
                        6 => Op::MaskedEq(value(rng)),
                        _ => Op::MaskedNe(value(rng)),
                    };
                    let mut v = value(rng);
                    if let Op::MaskedEq(m) | Op::MaskedNe(m) = op
                        && rng.below(4) != 0
                    {
                        v &= m;
                    }
                    let arg = rng.below(6).min(rng.below(6)) as u8;
                    conjunction.push(Comparison::new(arg, width, op, v).unwrap());
                }
                alternatives.push(conjunction);
            }
        }
        let slices: Vec<&[Comparison]> = alternatives.iter().map(Vec::as_slice).collect();
        if policy.add_rule(nr, action, &slices).is_err() {
            break;
        }
    }
    policy
}

#[test]
fn random_policies_compile_to_programs_that_agree_with_evaluate() {
    let mut rng = Rng::new(42);
    for round in 0..150 {
        let policy = random_policy(&mut rng);
        let text = policy.to_string();
        let reparsed: Policy<64, 256> =
            Policy::parse(&text, Arch::X86_64).unwrap_or_else(|e| panic!("round {round}: {e}\n{text}"));
        assert_eq!(reparsed, policy, "round {round}");
        check(&policy);
    }
}

#[test]
fn container_profile_compiles_and_agrees_with_evaluate() {
    let policy: Policy = Policy::parse(CONTAINER, Arch::X86_64).unwrap_or_else(|e| panic!("{e}"));
    let insns = check(&policy);
    assert!(insns.len() < 200, "{} instructions", insns.len());
}

#[test]
fn small_policies_agree_with_evaluate() {
    for text in [
        "default allow\n",
        "default kill-process\n",
        "default allow\nerrno(1) read\n",
        "default allow\nallow read\n",
        "default errno(1)\nallow read write close\n",
        "default errno(1)\nallow dup if args[0] > 5 && args[0] <= 0x1_0000_0000\n",
        "default errno(1)\nallow dup if args[0] >= 0x1_0000_0000 || args[1] < 0xffff_ffff\n",
        "default errno(1)\nallow dup if args[0] != -1 && args[1] > -2 && args[2] < 0x2_0000_0001\n",
        "default errno(1)\nallow dup if (args[0] & 0xff00_0000_0001) == 0x1100_0000_0001 && (args[1] & 0x8000_0000_0000_0000) == 0\n",
        "default errno(1)\nallow dup if args[0].lo >= 3 && args[0].lo <= 7 && args[0].lo != 5\n",
        "default errno(1)\nallow dup if args[0] >= 0 || args[0] < 0\n",
        "default errno(1)\nallow dup if args[0] > 0xffffffff\nallow dup if args[0] <= 0xffffffff\n",
        "default errno(1)\nbad-arch errno(1)\n",
        "default allow\nx32 by-name\nerrno(1) read rt_sigaction\nlog write if args[0] == 1\n",
    ] {
        let policy: Policy = Policy::parse(text, Arch::X86_64).unwrap_or_else(|e| panic!("{e}"));
        check(&policy);
    }
}

#[test]
fn long_programs_get_trampolines_and_stay_correct() {
    // 120 syscalls with their own conditions: about 700 instructions, so tree nodes jump far.
    let mut policy: Policy<512, 1024> = Policy::new(Arch::X86_64, Action::errno(1).unwrap());
    for (i, (_, nr)) in Arch::X86_64.syscalls().iter().enumerate().step_by(3) {
        let c = Comparison::new((i % 6) as u8, Width::Full, Op::Eq, i as u64).unwrap();
        let d = Comparison::new(((i + 1) % 6) as u8, Width::Low, Op::Gt, 7).unwrap();
        policy.add_rule(nr, Action::ALLOW, &[&[c, d]]).unwrap();
    }
    let insns = check(&policy);
    assert!(insns.len() > 600, "{} instructions", insns.len());
    // A far target is reached through a `ja` or a nearer `ret` copy, never by an 8-bit offset overflow.
    assert!(insns.iter().any(|i| i.code == 0x05), "expected a ja trampoline");
}

#[test]
fn many_distinct_actions_share_returns_as_far_as_the_table_allows() {
    // More distinct actions than the emitter's return table remembers.
    let mut policy: Policy<512, 64> = Policy::new(Arch::Aarch64, Action::ALLOW);
    for (i, (_, nr)) in Arch::Aarch64.syscalls().iter().enumerate().take(200) {
        policy
            .add_rule(nr, Action::errno(1 + (i as u32 % 100)).unwrap(), &[])
            .unwrap();
    }
    let insns = check(&policy);
    let rets = insns.iter().filter(|i| i.code == 0x06).count();
    assert!(rets >= 101, "{rets} returns for 101 actions");
}

#[test]
fn output_buffer_and_workspace_capacities_are_errors() {
    let policy: Policy = Policy::parse(CONTAINER, Arch::X86_64).unwrap();
    let mut small = [SockFilter::ret(0); 50];
    assert_eq!(
        compile(&policy, &mut small).map(|c| c.program().len()),
        Err(CompileError::ProgramTooLong { capacity: 50 })
    );
    let mut buf = [SockFilter::ret(0); 4096];
    assert_eq!(
        Compiler::<100>::new()
            .compile(&policy, &mut buf)
            .map(|c| c.program().len()),
        Err(CompileError::TooManyRules { capacity: 100 })
    );
    // 341 rules and 80 ranges fit a workspace of 400.
    assert!(Compiler::<400>::new().compile(&policy, &mut buf).is_ok());
    let mut spread: Policy<300, 8> = Policy::new(Arch::X86_64, Action::ALLOW);
    for nr in 0..300 {
        spread.add_rule(nr * 2, Action::LOG, &[]).unwrap();
    }
    assert_eq!(
        Compiler::<300>::new()
            .compile(&spread, &mut buf)
            .map(|c| c.program().len()),
        Err(CompileError::TooManyRanges { capacity: 300 })
    );
}

/// Every syscall whose rules ignore the arguments and whose answer is ALLOW is cacheable by the kernel:
/// its path loads nothing but `nr` and `arch`.
#[test]
fn argument_independent_allows_are_all_kernel_cacheable() {
    for text in [
        CONTAINER,
        "default allow\n",
        "default errno(1)\nallow read\nallow write if args[0] == 1\n",
    ] {
        let policy: Policy = Policy::parse(text, Arch::X86_64).unwrap();
        let mut buf = [SockFilter::ret(0); 4096];
        let compiled = compile(&policy, &mut buf).unwrap();
        let expected = Arch::X86_64
            .syscalls()
            .iter()
            .filter(|&(_, nr)| {
                !policy.rules().any(|r| r.nr() == nr && r.is_conditional())
                    && policy.evaluate(&data(nr, [0; 6])) == Action::ALLOW
            })
            .count();
        let stats = Stats::measure(&compiled.program(), compiled.arch());
        assert_eq!(stats.cacheable, expected, "{text}");
        assert!(expected > 0);
    }
}

#[test]
fn verify_reports_a_disagreement_with_the_input_and_both_actions() {
    let compiled_from: Policy = Policy::parse(
        "default allow\nerrno(1) dup if args[1] == 0x1_0000_0005\n",
        Arch::X86_64,
    )
    .unwrap();
    let checked_against: Policy =
        Policy::parse("default allow\nerrno(1) dup if args[1].lo == 5\n", Arch::X86_64).unwrap();
    let mut buf = [SockFilter::ret(0); 64];
    let compiled = compile(&compiled_from, &mut buf).unwrap();
    let mismatch =
        verify(&checked_against, &compiled.program()).expect_err("the programs differ on args[1] = 5");
    let dup = Arch::X86_64.syscall_nr("dup").unwrap() as i32;
    assert_eq!(mismatch.data.nr, dup);
    assert_eq!(mismatch.data.args[1] & 0xffff_ffff, 5);
    assert_ne!(mismatch.data.args[1], 0x1_0000_0005);
    assert_eq!(mismatch.expected, Action::errno(1).unwrap());
    assert_eq!(mismatch.actual, Action::ALLOW);
    assert!(
        mismatch
            .to_string()
            .contains("policy says errno(EPERM), program returns allow"),
        "{mismatch}"
    );
}

/// A random argument-heavy policy: per syscall, many rules comparing one argument with constants (as an
/// ioctl request list or socket families do), mixed operators and widths, some alternatives also comparing
/// other arguments (the value search's residual chains) and rules of several actions.
fn random_value_list_policy(rng: &mut Rng) -> Policy<256, 512> {
    let arch = [Arch::X86_64, Arch::Aarch64, Arch::I386][rng.below(3) as usize];
    let actions = [
        Action::ALLOW,
        Action::errno(1).unwrap(),
        Action::errno(97).unwrap(),
        Action::trap(0),
        Action::LOG,
    ];
    let pick = |rng: &mut Rng| actions[rng.below(actions.len() as u64) as usize];
    let mut policy = Policy::new(arch, pick(rng));
    let table: Vec<u32> = arch.syscalls().iter().map(|(_, nr)| nr).collect();
    let highs = [0u64, 0, 0, 1, 0xffff_ffff];
    for _ in 0..1 + rng.below(3) {
        let nr = table[rng.below(table.len() as u64) as usize];
        let arg = rng.below(3) as u8;
        for _ in 0..2 + rng.below(14) {
            let low =
                [rng.below(40), 0x5401 + rng.below(4), 0xc008_ae00 + rng.below(3)][rng.below(3) as usize];
            let width = if rng.below(3) == 0 {
                Width::Low
            } else {
                Width::Full
            };
            let value = match width {
                Width::Low => low,
                Width::Full => highs[rng.below(highs.len() as u64) as usize] << 32 | low,
            };
            let op = match rng.below(10) {
                0 => Op::Ne,
                1 => Op::Ge,
                2 => Op::Lt,
                3 => Op::Gt,
                4 => Op::MaskedEq(width.max() & 0xffff_ffff),
                5 => Op::MaskedNe(width.max()),
                _ => Op::Eq,
            };
            let value = if let Op::MaskedEq(mask) | Op::MaskedNe(mask) = op {
                value & mask
            } else {
                value
            };
            let comparison = Comparison::new(arg, width, op, value).unwrap();
            let action = pick(rng);
            if rng.below(4) == 0 {
                let other = Comparison::new((arg + 1) % 6, Width::Low, Op::Eq, rng.below(3)).unwrap();
                let _ = policy.add_rule(nr, action, &[&[comparison, other]]);
            } else if rng.below(5) == 0 {
                let second =
                    Comparison::new(arg, Width::Full, Op::Le, value.wrapping_add(rng.below(9))).unwrap();
                let _ = policy.add_rule(nr, action, &[&[comparison, second], &[comparison]]);
            } else {
                let _ = policy.add_rule(nr, action, &[&[comparison]]);
            }
        }
        if rng.below(2) == 0 {
            let _ = policy.add_rule(nr, pick(rng), &[]);
        }
    }
    policy
}

#[test]
fn value_searches_over_one_argument_agree_with_evaluate() {
    let mut rng = Rng::new(0xa59);
    for _ in 0..12 {
        check(&random_value_list_policy(&mut rng));
    }
}

#[test]
fn an_ioctl_request_list_is_searched_not_chained() {
    // 32 allowed requests: a chain would test them one by one.
    let mut text = String::from("default errno(1)\nallow read\n");
    for k in 0..32u64 {
        text.push_str(&format!("allow ioctl if args[1] == {:#x}\n", 0xc008_ae00 + 3 * k));
    }
    let policy: Policy = Policy::parse(&text, Arch::X86_64).unwrap();
    let insns = check(&policy);
    let program = seccomp_core::bpf::validate(&insns).unwrap();
    let ioctl = Arch::X86_64.syscall_nr("ioctl").unwrap();
    let longest = (0..40u64)
        .map(|k| {
            let args = [0, 0xc008_ae00 + k, 0, 0, 0, 0];
            seccomp_core::bpf::emulate::emulate(&program, &data(ioctl, args)).executed
        })
        .max()
        .unwrap();
    // Prologue (3), the nr search (a few), the high word once (2), about log2(65) low-word tests, ret.
    assert!(longest <= 18, "longest ioctl path {longest}");
    assert!(insns.len() < 100, "{} instructions", insns.len());
}
