//! The compiler against the reference semantics, on hand-written and random policies.

use seccomp_core::abi::{AUDIT_ARCH_X86_64, SeccompData, SockFilter};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Policy, compile};

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

fn boundary_values(policy: &Policy) -> Vec<u64> {
    let mut values = vec![
        0,
        1,
        0xffff_ffff,
        0x1_0000_0000,
        u64::MAX,
        0xffff_ffff_0000_0000,
        0x8000_0000,
    ];
    for rule in policy.rules() {
        for conj in rule.alternatives() {
            for c in conj {
                for v in [c.value(), c.value().wrapping_add(1), c.value().wrapping_sub(1)] {
                    values.push(v);
                    values.push(v | 0xffff_ffff_0000_0000);
                    values.push(v & 0xffff_ffff);
                }
                if let seccomp_core::policy::Op::MaskedEq(m) = c.op() {
                    values.push(m);
                    values.push(!m);
                    values.push(m | c.value());
                }
            }
        }
    }
    values.sort();
    values.dedup();
    values
}

fn check(policy: &Policy) -> Vec<SockFilter> {
    let mut buf = [SockFilter::ret(0); 4096];
    let compiled = compile(policy, &mut buf).unwrap_or_else(|e| panic!("{e}"));
    println!("ranges {} blocks {}", compiled.ranges(), compiled.arg_blocks());
    let insns = compiled.program().insns().to_vec();
    let values = boundary_values(policy);
    let mut nrs: Vec<u32> = (0..1100).collect();
    nrs.extend([
        u32::MAX,
        u32::MAX - 1,
        0x8000_0000,
        0x3fff_ffff,
        0x4000_0000,
        0x4000_0001,
        0x7fff_ffff,
        0xbfff_ffff,
        0xc000_0000,
    ]);
    nrs.extend(Arch::X32.syscalls().iter().map(|(_, nr)| nr));
    for rule in policy.rules() {
        nrs.push(rule.nr());
        nrs.push(rule.nr().wrapping_add(1));
        nrs.push(rule.nr().wrapping_sub(1));
    }
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for &nr in &nrs {
        let conditional = policy.rules().any(|r| r.nr() == nr && r.is_conditional());
        let mut cases = vec![[0u64; 6], [u64::MAX; 6]];
        if conditional {
            for arg in 0..6 {
                for &v in &values {
                    let mut a = [0u64; 6];
                    a[arg] = v;
                    cases.push(a);
                }
            }
            for _ in 0..200 {
                let mut a = [0u64; 6];
                for slot in &mut a {
                    *slot = values[(next() % values.len() as u64) as usize];
                }
                cases.push(a);
            }
        }
        for args in cases {
            let d = data(nr, args);
            let (got, _) = run(&insns, &d);
            let want = policy.evaluate(&d);
            assert_eq!(Action(got), want, "nr {nr:#x} args {args:x?}\n{policy}");
        }
    }
    for arch in [0, 0x4000_0003, 0xc000_00b7] {
        let mut d = data(0, [0; 6]);
        d.arch = arch;
        assert_eq!(Action(run(&insns, &d).0), policy.evaluate(&d));
    }
    insns
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
