//! Differential verification: a program (or anything that decides syscalls) against the policy's reference
//! semantics, on inputs chosen where mistakes hide.
//!
//! The inputs, generated without allocation:
//! - **numbers**, for every covered ABI with an arch value of its own (the target, its compat ABI): every
//!   number of its table; 0 to 1023; each rule's number and its neighbours; each ENOSYS ceiling and its
//!   neighbours, also with bit 30 or bit 31 flipped;
//!   the edges of the x32 half of the number space (`0x3fffffff`, `0x40000000`, `0x7fffffff`,
//!   `0x80000000`, `0xbfffffff`, `0xc0000000`, `0xffffffff`, ...); every x32 number (for an x32 target,
//!   every x86_64 number);
//! - **architectures**: every covered arch value as above, and foreign ones (every other supported arch,
//!   0, `~0`, near misses), for a table number and for 0;
//! - **arguments**: all zeros and all ones for every number; for a number with conditional rules, besides,
//!   a vector satisfying each alternative (as far as boundary values can), every single-argument variation
//!   of it over the boundary values of that argument (each constant, ±1, its value with the high word
//!   cleared, set or 1, masks and their complements, `0xffffffff`, `0x1_0000_0000`, ...), and 64
//!   pseudo-random mixtures of boundary values.

use super::model::{Comparison, Op, Policy, Width};
use crate::abi::{self, SeccompData};
use crate::action::Action;
use crate::arch::Arch;
use crate::bpf::{Validated, emulate};
use crate::rng::Rng;
use core::fmt;

/// An input on which the checked decider and the policy disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The syscall as the filter saw it.
    pub data: SeccompData,
    /// What the policy decides ([`Policy::evaluate`]).
    pub expected: Action,
    /// What the program (or other decider) returned.
    pub actual: Action,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nr {} ({:#x}) arch {:#x} args [{:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}]: policy says {}, program returns {}",
            self.data.nr,
            self.data.nr as u32,
            self.data.arch,
            self.data.args[0],
            self.data.args[1],
            self.data.args[2],
            self.data.args[3],
            self.data.args[4],
            self.data.args[5],
            self.expected,
            self.actual
        )
    }
}

impl core::error::Error for Mismatch {}

/// Argument values at the edges of the 32-bit halves, checked for every argument of every conditional
/// syscall.
const EDGES: [u64; 10] = [
    0,
    1,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0001,
    0xffff_ffff_0000_0000,
    0x8000_0000_0000_0000,
    u64::MAX,
];

/// How many values [`boundaries`] gives per comparison.
pub const BOUNDARIES: usize = 12;

/// Boundary values around one comparison's constant (and mask): where a program that implements the
/// comparison wrongly (off by one, the wrong half, a mask bit lost) disagrees with it. The fuzz targets'
/// bounded oracle probes the same values.
pub fn boundaries(comparison: &Comparison) -> [u64; BOUNDARIES] {
    let v = comparison.value();
    let mask = match comparison.op() {
        Op::MaskedEq(mask) | Op::MaskedNe(mask) => mask,
        _ => match comparison.width() {
            Width::Full => u64::MAX,
            Width::Low => 0xffff_ffff,
        },
    };
    let low = v & 0xffff_ffff;
    [
        v,
        v.wrapping_add(1),
        v.wrapping_sub(1),
        low,
        low | 0xffff_ffff_0000_0000,
        low | 0x1_0000_0000,
        v ^ 0x1_0000_0000,
        mask,
        !mask,
        v | !mask,
        v ^ (mask & mask.wrapping_neg()), // flip the lowest mask bit
        (low.wrapping_add(1) & 0xffff_ffff) | (v & 0xffff_ffff_0000_0000),
    ]
}

/// Checks `program` against [`Policy::evaluate`] in the emulator, on the inputs described in the module
/// documentation; the first disagreement is the error.
pub fn verify<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    program: &Validated<'_>,
) -> Result<(), Mismatch> {
    verify_with(policy, |data| emulate(program, data).action)
}

/// Checks `decide` against [`Policy::evaluate`] on the generated inputs (see the module documentation),
/// returning the first disagreement. `decide` may be the emulator running a program, or the real kernel.
pub fn verify_with<const R: usize, const C: usize, F>(
    policy: &Policy<R, C>,
    mut decide: F,
) -> Result<(), Mismatch>
where
    F: FnMut(&SeccompData) -> Action,
{
    let mut check = |data: SeccompData| {
        let expected = policy.evaluate(&data);
        let actual = decide(&data);
        if expected == actual {
            Ok(())
        } else {
            Err(Mismatch {
                data,
                expected,
                actual,
            })
        }
    };
    let mut rng = Rng::new(0x5eed_f00d_5ecc_0a1d);

    // Foreign architectures: every arch value the policy does not cover.
    let some_nr = policy.arch().syscalls().min_nr().unwrap_or(0);
    let covered = |value: u32| policy.abis().any(|arch| arch.audit() == value);
    let native = policy.arch().audit();
    for foreign in [
        0,
        abi::AUDIT_ARCH_X86_64,
        abi::AUDIT_ARCH_I386,
        abi::AUDIT_ARCH_AARCH64,
        abi::AUDIT_ARCH_ARM,
        native ^ 1,
        native ^ 0x8000_0000,
        u32::MAX,
    ] {
        if covered(foreign) {
            continue;
        }
        for nr in [0, some_nr] {
            check(SeccompData {
                nr: nr as i32,
                arch: foreign,
                instruction_pointer: 0,
                args: [0; 6],
            })?;
        }
    }

    // Every covered ABI (with an arch value of its own): its numbers.
    for arch in policy.abis() {
        let audit = arch.audit();
        let call = |nr: u32, args: [u64; 6]| SeccompData {
            nr: nr as i32,
            arch: audit,
            instruction_pointer: 0,
            args,
        };
        let mut each_number = |nr: u32| -> Result<(), Mismatch> {
            check(call(nr, [0; 6]))?;
            check(call(nr, [u64::MAX; 6]))?;
            if let Ok((abi, key)) = policy.rule_key_for(audit, nr)
                && policy
                    .rules()
                    .any(|r| r.arch() == abi && r.nr() == key && r.is_conditional())
            {
                arguments(policy, abi, key, &mut rng, &mut |args| check(call(nr, args)))?;
            }
            Ok(())
        };
        for (_, nr) in arch.syscalls().iter() {
            each_number(nr)?;
        }
        for nr in 0..1024 {
            each_number(nr)?;
        }
        for nr in [
            0x3fff_ffff,
            0x4000_0000,
            0x4000_0001,
            0x4000_03ff,
            0x7fff_ffff,
            0x8000_0000,
            0x8000_0001,
            0xbfff_ffff,
            0xc000_0000,
            0xffff_fffe,
            0xffff_ffff,
        ] {
            each_number(nr)?;
        }
        // The other half of the x86_64 arch value (x32 numbers, or x86_64 ones for an x32 target).
        let other = match arch {
            Arch::X32 => Some(Arch::X86_64),
            Arch::X86_64 => Some(Arch::X32),
            _ => None,
        };
        for (_, nr) in other.into_iter().flat_map(|other| other.syscalls().iter()) {
            each_number(nr)?;
        }
        for rule in policy.rules().filter(|rule| rule.arch().audit() == audit) {
            for nr in [rule.nr(), rule.nr().wrapping_sub(1), rule.nr().wrapping_add(1)] {
                each_number(nr)?;
            }
        }
        // Each ENOSYS ceiling of this arch value and its neighbours, in both halves of bit 30.
        for (_, ceiling) in policy.enosys_ceilings().filter(|(abi, _)| abi.audit() == audit) {
            for nr in [
                ceiling,
                ceiling.wrapping_sub(1),
                ceiling.wrapping_add(1),
                ceiling.wrapping_add(2),
            ] {
                each_number(nr)?;
                each_number(nr ^ abi::X32_SYSCALL_BIT)?;
                each_number(nr ^ 0x8000_0000)?;
            }
        }
    }
    Ok(())
}

/// Feeds `check` the argument vectors for syscall `key`'s conditional rules.
fn arguments<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    arch: Arch,
    key: u32,
    rng: &mut Rng,
    check: &mut dyn FnMut([u64; 6]) -> Result<(), Mismatch>,
) -> Result<(), Mismatch> {
    let rules = || policy.rules().filter(move |r| r.arch() == arch && r.nr() == key);
    // Every comparison of the syscall on argument `arg`.
    let on_arg = move |arg: u8| {
        rules()
            .flat_map(|r| r.alternatives())
            .flatten()
            .filter(move |c| c.arg() == arg)
    };
    for rule in rules() {
        for conjunction in rule.alternatives() {
            // A vector satisfying the conjunction, argument by argument, as far as boundary values can.
            let mut base = [0u64; 6];
            for (arg, slot) in (0u8..).zip(base.iter_mut()) {
                let mine = || conjunction.iter().filter(|c| c.arg() == arg);
                let satisfies = |value: u64| {
                    let mut args = [0u64; 6];
                    args[usize::from(arg)] = value;
                    mine().all(|c| c.matches(&args))
                };
                let candidates = mine().flat_map(boundaries).chain(EDGES);
                if let Some(value) = candidates.into_iter().find(|&v| satisfies(v)) {
                    *slot = value;
                }
            }
            check(base)?;
            // Every single-argument variation over that argument's boundary values.
            for arg in 0..6u8 {
                let values = on_arg(arg).flat_map(boundaries).chain(EDGES);
                for value in values {
                    let mut args = base;
                    args[usize::from(arg)] = value;
                    check(args)?;
                }
            }
        }
    }
    // Pseudo-random mixtures.
    for _ in 0..64 {
        let mut args = [0u64; 6];
        for (arg, slot) in (0u8..).zip(args.iter_mut()) {
            let count = on_arg(arg).count() as u64;
            let pick = rng.below(count * BOUNDARIES as u64 + EDGES.len() as u64);
            *slot = match pick.checked_sub(EDGES.len() as u64) {
                None => EDGES[pick as usize % EDGES.len()],
                Some(rest) => on_arg(arg)
                    .nth((rest / BOUNDARIES as u64) as usize)
                    .map_or(0, |c| boundaries(c)[(rest % BOUNDARIES as u64) as usize]),
            };
        }
        check(args)?;
    }
    Ok(())
}
