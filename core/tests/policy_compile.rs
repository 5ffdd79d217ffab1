//! The compiler against the reference semantics, on hand-written and random policies.

use seccomp_core::abi::{AUDIT_ARCH_X86_64, SeccompData, SockFilter};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Comparison, Op, Policy, Rng, Width, X32, compile, verify_with};

const CONTAINER: &str = include_str!("../src/policy/testdata/container.policy");

/// Minimal interpreter for the instructions the compiler emits (temporary until bpf::emulate lands).
fn run(insns: &[SockFilter], data: &SeccompData) -> (u32, usize) {
    let bytes: Vec<u8> = {
        let mut b = Vec::new();
        b.extend_from_slice(&data.nr.to_le_bytes());
        b.extend_from_slice(&data.arch.to_le_bytes());
        b.extend_from_slice(&data.instruction_pointer.to_le_bytes());
        for a in data.args {
            b.extend_from_slice(&a.to_le_bytes());
        }
        b
    };
    let mut a: u32 = 0;
    let mut pc = 0usize;
    let mut executed = 0;
    loop {
        let i = insns[pc];
        executed += 1;
        pc += 1;
        match i.code {
            0x20 => {
                let k = i.k as usize;
                a = u32::from_le_bytes(bytes[k..k + 4].try_into().unwrap());
            }
            0x54 => a &= i.k,
            0x05 => pc += i.k as usize,
            0x15 | 0x25 | 0x35 | 0x45 => {
                let cond = match i.code {
                    0x15 => a == i.k,
                    0x25 => a > i.k,
                    0x35 => a >= i.k,
                    _ => a & i.k != 0,
                };
                pc += if cond { i.jt } else { i.jf } as usize;
            }
            0x06 => return (i.k, executed),
            other => panic!("unexpected opcode {other:#x} at {}", pc - 1),
        }
    }
}

fn data(nr: u32, args: [u64; 6]) -> SeccompData {
    SeccompData {
        nr: nr as i32,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: 0,
        args,
    }
}

fn check<const R: usize, const C: usize>(policy: &Policy<R, C>) -> Vec<SockFilter> {
    let mut buf = [SockFilter::ret(0); 4096];
    let compiled = compile(policy, &mut buf).unwrap_or_else(|e| panic!("{e}\n{policy}"));
    let insns = compiled.program().insns().to_vec();
    if let Err(mismatch) = verify_with(policy, |d| Action(run(&insns, d).0)) {
        panic!("{mismatch}\n{policy}");
    }
    insns
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
                    let op = match rng.below(7) {
                        0 => Op::Eq,
                        1 => Op::Ne,
                        2 => Op::Lt,
                        3 => Op::Le,
                        4 => Op::Gt,
                        5 => Op::Ge,
                        _ => Op::MaskedEq(value(rng)),
                    };
                    let mut v = value(rng);
                    if let Op::MaskedEq(m) = op
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
    for round in 0..300 {
        let policy = random_policy(&mut rng);
        let text = policy.to_string();
        let reparsed: Policy<64, 256> =
            Policy::parse(&text, Arch::X86_64).unwrap_or_else(|e| panic!("round {round}: {e}\n{text}"));
        assert_eq!(reparsed, policy, "round {round}");
        check(&policy);
    }
}

fn stats(policy: &Policy, insns: &[SockFilter]) -> (f64, usize) {
    let mut total = 0;
    let mut max = 0;
    let table = policy.arch().syscalls();
    for (_, nr) in table.iter() {
        let (_, executed) = run(insns, &data(nr, [0; 6]));
        total += executed;
        max = max.max(executed);
    }
    (total as f64 / table.len() as f64, max)
}

#[test]
fn container_profile_compiles_and_agrees_with_evaluate() {
    let policy: Policy = Policy::parse(CONTAINER, Arch::X86_64).unwrap_or_else(|e| panic!("{e}"));
    let insns = check(&policy);
    let (mean, max) = stats(&policy, &insns);
    println!(
        "container profile: {} rules, {} insns, mean {mean:.2} max {max}",
        policy.len(),
        insns.len()
    );
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
