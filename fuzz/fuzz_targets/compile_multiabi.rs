//! Multi-ABI policies (x86_64 with i386 and x32 in any x32 mode, aarch64 with arm) built straight from fuzz
//! data against the compiler: the compiled program, with one part per arch value, must decide exactly as
//! `Policy::evaluate` does on every covered arch value and on foreign ones.
//!
//! Rules go to each covered ABI by name (`add_named_rule`, resolved per ABI) and by number
//! (`add_rule_for`), with conditions of every operator and width; after the rules, an ENOSYS ceiling per
//! covered ABI (`seccomp_fuzz::draw_ceilings`). Probes: the shared ones of `seccomp_fuzz::probes` (target
//! arch), each ceiling and the number above it, for every covered ABI its rules' numbers and neighbours,
//! the odd numbers of the x86_64 arch value (-1, 0x80000000, bit 30) and arguments from the fuzz input.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use seccomp_core::abi::{self, SeccompData};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Comparison, Op, Policy, Width, X32};
use seccomp_fuzz::{ceiling_probes, compile_checked, draw_ceilings, seed, table, table_nr};

/// Constants where comparisons change their answer.
const EDGES: [u64; 8] = [
    0,
    1,
    0x7f,
    0xffff_ffff,
    0x1_0000_0000,
    0x8000_0000_0000_0000,
    0xffff_ffff_0000_0000,
    u64::MAX,
];

/// Names present on some ABIs and not on others, and common ones.
const NAMES: [&str; 16] = [
    "read",
    "write",
    "open",
    "openat",
    "socketcall",
    "socket",
    "mmap",
    "mmap2",
    "getpid",
    "ioctl",
    "cacheflush",
    "set_tls",
    "_llseek",
    "lseek",
    "fstat",
    "newfstatat",
];

fn value(u: &mut Unstructured<'_>) -> Result<u64> {
    Ok(if u.arbitrary()? {
        *u.choose(&EDGES)?
    } else {
        u.arbitrary()?
    })
}

fn action(u: &mut Unstructured<'_>) -> Result<Action> {
    const ACTIONS: [Action; 6] = [
        Action::ALLOW,
        Action::LOG,
        Action::KILL_PROCESS,
        Action::KILL_THREAD,
        Action::TRAP,
        Action(abi::RET_ERRNO | 1),
    ];
    Ok(*u.choose(&ACTIONS)?)
}

fn comparison(u: &mut Unstructured<'_>) -> Result<Option<Comparison>> {
    let arg = u.int_in_range(0u8..=5)?;
    let width = if u.arbitrary()? { Width::Full } else { Width::Low };
    let clamp = |v: u64| if width == Width::Low { v & 0xffff_ffff } else { v };
    let op = match u.int_in_range(0..=6)? {
        0 => Op::Eq,
        1 => Op::Ne,
        2 => Op::Lt,
        3 => Op::Le,
        4 => Op::Gt,
        5 => Op::Ge,
        _ => Op::MaskedEq(clamp(value(u)?)),
    };
    Ok(Comparison::new(arg, width, op, clamp(value(u)?)).ok())
}

fn policy(u: &mut Unstructured<'_>) -> Result<Policy<128, 256>> {
    let arch = *u.choose(&[Arch::X86_64, Arch::Aarch64])?;
    let mut policy = Policy::<128, 256>::new(arch, action(u)?);
    policy.set_bad_arch_action(action(u)?);
    if u.arbitrary()? {
        let _ = policy.set_compat(arch.compat());
    }
    if arch == Arch::X86_64 {
        let modes = [X32::BadArch, X32::ByName, X32::Rules, X32::BadArchExceptMinusOne];
        let _ = policy.set_x32(*u.choose(&modes)?);
    }
    let abis: Vec<Arch> = policy.rule_abis().collect();
    for _ in 0..u.int_in_range(0..=20)? {
        let mut alternatives: Vec<Vec<Comparison>> = Vec::new();
        for _ in 0..u.int_in_range(0..=2)? {
            let mut conjunction = Vec::new();
            for _ in 0..u.int_in_range(1..=2)? {
                if let Some(c) = comparison(u)? {
                    conjunction.push(c);
                }
            }
            if !conjunction.is_empty() {
                alternatives.push(conjunction);
            }
        }
        let refs: Vec<&[Comparison]> = alternatives.iter().map(Vec::as_slice).collect();
        let rule_action = action(u)?;
        let added = if u.int_in_range(0..=3)? == 0 {
            let abi = *u.choose(&abis)?;
            let index = u.choose_index(table(abi).len().max(1))?;
            let nr = table_nr(abi, index)
                .wrapping_add(u.int_in_range(0..=2)?)
                .wrapping_sub(1);
            policy.add_rule_for(abi, nr, rule_action, &refs)
        } else {
            match policy.add_named_rule(u.choose(&NAMES)?, rule_action, &refs) {
                Err(seccomp_core::policy::PolicyError::UnknownSyscall(_)) => Ok(()),
                other => other,
            }
        };
        if added.is_err() {
            break;
        }
    }
    draw_ceilings(u, &mut policy)?;
    Ok(policy)
}

/// The most probes of the target's own (besides `seccomp_fuzz::probes`): the rules' numbers, the odd
/// numbers on every arch value, then vectors from the input until the input or this budget runs out.
const MAX_EXTRA: usize = 64;

/// Probes on every covered arch value: the rules' numbers and neighbours, the odd numbers, fuzzed args.
fn probes(u: &mut Unstructured<'_>, policy: &Policy<128, 256>) -> Result<Vec<SeccompData>> {
    let mut out = ceiling_probes(policy);
    let arches: Vec<u32> = policy
        .abis()
        .map(Arch::audit)
        .chain([abi::AUDIT_ARCH_ARM, abi::AUDIT_ARCH_I386, 0])
        .collect();
    for rule in policy.rules() {
        for nr in [rule.nr(), rule.nr().wrapping_add(1)] {
            out.push(SeccompData {
                nr: nr as i32,
                arch: rule.arch().audit(),
                instruction_pointer: 0,
                args: [0; 6],
            });
        }
    }
    for nr in [
        u32::MAX,
        0x8000_0000,
        0xbfff_ffff,
        0xc000_0000,
        0x4000_0000,
        0x000f_0002,
    ] {
        for &arch in &arches {
            out.push(SeccompData {
                nr: nr as i32,
                arch,
                instruction_pointer: 0,
                args: [0; 6],
            });
        }
    }
    while !u.is_empty() && out.len() < MAX_EXTRA {
        let nr = match policy.rule(u.choose_index(policy.len().max(1))?) {
            Some(rule) => rule.nr(),
            None => u.arbitrary()?,
        };
        let mut args = [0u64; 6];
        for arg in &mut args {
            *arg = value(u)?;
        }
        out.push(SeccompData {
            nr: nr as i32,
            arch: *u.choose(&arches)?,
            instruction_pointer: 0,
            args,
        });
    }
    Ok(out)
}

fuzz_target!(|input: &[u8]| {
    let mut u = Unstructured::new(input);
    let Ok(policy) = policy(&mut u) else {
        return;
    };
    let extra = probes(&mut u, &policy).unwrap_or_default();
    compile_checked(&policy, &extra, seed(input), "generated multi-ABI policy");
});
