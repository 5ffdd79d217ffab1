//! Policies built straight from fuzz data (through `arbitrary::Unstructured`, no text in between) against
//! the compiler: the compiled program must decide exactly as `Policy::evaluate` does.
//!
//! The model is built through its public constructors, biased toward what breaks compilers: syscall
//! numbers from the arch's table and their neighbours, x32 and out-of-table numbers, several rules per
//! syscall, conditional and unconditional rules mixed, every operator and width, boundary constants,
//! unknown raw actions and, after the rules, an ENOSYS ceiling per covered ABI
//! (`seccomp_fuzz::draw_ceilings`). Properties (any violation is a crash): the compiler either produces a
//! program or says the policy is too big; the program agrees with the policy on probes chosen from the
//! policy's own numbers and constants (`seccomp_fuzz::probes`), on each ceiling and the number above it,
//! and on `seccomp_data` values taken from the fuzz input.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use seccomp_core::abi::{self, SeccompData};
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_core::policy::{Comparison, Op, Policy, Width, X32};
use seccomp_fuzz::{ceiling_probes, compile_checked, draw_ceilings, seed, table, table_nr};

/// Constants where comparisons change their answer.
const EDGES: [u64; 12] = [
    0,
    1,
    2,
    0x7f,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_ffff_ffff,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0xffff_ffff_0000_0000,
    u64::MAX - 1,
    u64::MAX,
];

fn value(u: &mut Unstructured<'_>) -> Result<u64> {
    Ok(match u.int_in_range(0..=3)? {
        0 => *u.choose(&EDGES)?,
        1 => u64::from(u.int_in_range(0u8..=16)?),
        _ => u.arbitrary()?,
    })
}

fn action(u: &mut Unstructured<'_>) -> Result<Action> {
    const ACTIONS: [Action; 8] = [
        Action::ALLOW,
        Action::LOG,
        Action::NOTIFY,
        Action::KILL_PROCESS,
        Action::KILL_THREAD,
        Action::TRAP,
        Action(abi::RET_ERRNO | 1),
        Action(abi::RET_TRACE | 7),
    ];
    Ok(match u.int_in_range(0..=7)? {
        0 => Action(u.arbitrary()?),
        1 => Action(abi::RET_ERRNO | u32::from(u.int_in_range(0u16..=4095)?)),
        _ => *u.choose(&ACTIONS)?,
    })
}

fn syscall_nr(u: &mut Unstructured<'_>, arch: Arch) -> Result<u32> {
    let from_table = |u: &mut Unstructured<'_>| -> Result<u32> {
        let index = u.choose_index(table(arch).len().max(1))?;
        Ok(table_nr(arch, index))
    };
    Ok(match u.int_in_range(0..=9)? {
        0 => u.arbitrary()?,
        1 => from_table(u)?
            .wrapping_add(u.int_in_range(0..=2)?)
            .wrapping_sub(1),
        2 => from_table(u)? | abi::X32_SYSCALL_BIT,
        3 => u.int_in_range(0..=1100)?,
        _ => from_table(u)?,
    })
}

fn comparison(u: &mut Unstructured<'_>) -> Result<Option<Comparison>> {
    let arg = u.int_in_range(0u8..=5)?;
    let width = if u.arbitrary()? { Width::Full } else { Width::Low };
    let clamp = |v: u64| if width == Width::Low { v & 0xffff_ffff } else { v };
    let op = match u.int_in_range(0..=7)? {
        0 => Op::Eq,
        1 => Op::Ne,
        2 => Op::Lt,
        3 => Op::Le,
        4 => Op::Gt,
        5 => Op::Ge,
        6 => Op::MaskedEq(clamp(value(u)?)),
        _ => Op::MaskedNe(clamp(value(u)?)),
    };
    let value = clamp(value(u)?);
    Ok(Comparison::new(arg, width, op, value).ok())
}

fn policy(u: &mut Unstructured<'_>) -> Result<Policy<128, 256>> {
    let arch = *u.choose(&Arch::ALL)?;
    let mut policy = Policy::<128, 256>::new(arch, action(u)?);
    policy.set_bad_arch_action(action(u)?);
    if arch == Arch::X86_64 && u.arbitrary()? {
        let _ = policy.set_x32(X32::ByName);
    }
    let rules = u.int_in_range(0..=24)?;
    for _ in 0..rules {
        let nr = syscall_nr(u, arch)?;
        let rule_action = action(u)?;
        let mut alternatives: Vec<Vec<Comparison>> = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let mut conjunction = Vec::new();
            for _ in 0..u.int_in_range(1..=3)? {
                if let Some(c) = comparison(u)? {
                    conjunction.push(c);
                }
            }
            if !conjunction.is_empty() {
                alternatives.push(conjunction);
            }
        }
        let refs: Vec<&[Comparison]> = alternatives.iter().map(Vec::as_slice).collect();
        if policy.add_rule(nr, rule_action, &refs).is_err() {
            break;
        }
    }
    draw_ceilings(u, &mut policy)?;
    Ok(policy)
}

/// `seccomp_data` values from the rest of the input, aimed at the policy's own numbers and constants.
fn probes(u: &mut Unstructured<'_>, policy: &Policy<128, 256>) -> Result<Vec<SeccompData>> {
    let mut out = ceiling_probes(policy);
    while !u.is_empty() && out.len() < 32 {
        let nr = match policy.rule(u.choose_index(policy.len().max(1))?) {
            Some(rule) if u.arbitrary()? => rule.nr(),
            _ => syscall_nr(u, policy.arch())?,
        };
        let mut args = [0u64; 6];
        for arg in &mut args {
            *arg = value(u)?;
        }
        let arch = if u.int_in_range(0..=7)? == 0 {
            u.arbitrary()?
        } else {
            policy.arch().audit()
        };
        out.push(SeccompData {
            nr: nr as i32,
            arch,
            instruction_pointer: u.arbitrary()?,
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
    compile_checked(&policy, &extra, seed(input), "generated policy");
});
