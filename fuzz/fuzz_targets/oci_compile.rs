//! OCI import → compile → verify, on profiles built from the input: a `linux.seccomp` object whose
//! structure is always well formed (so every input reaches the importer, the rule database and the
//! compiler, unlike JSON mutation in `oci_profile`), with syscall names from the arch's table (and a few
//! unknown ones), every action, `errnoRet` values up to past the kernel's limit, and argument comparisons
//! with every operator on boundary constants, repeated indexes (runc's OR) included.
//!
//! The first byte picks x86_64 or aarch64. Properties (any violation is a crash):
//! - what the reader accepts of the profile's JSON (`to_json_pretty` then `from_json`) reads back equal;
//! - the importer never panics; what it imports compiles, unless too big, to a program that agrees with
//!   the imported policy on probes chosen from its numbers and constants (`seccomp_fuzz::probes`) and on
//!   vectors built from the profile's own constants;
//! - the import keeps the profile's meaning where it has only one reading: for a syscall that exactly
//!   one entry names, the policy decides that entry's action when the entry's arguments match (as runc
//!   hands them to libseccomp, `SyscallRule::args_match`) and the default action when they do not.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use seccomp_core::abi::SeccompData;
use seccomp_core::action::Action;
use seccomp_core::arch::Arch;
use seccomp_fuzz::{compile_checked, seed, table};
use seccomp_oci::{ArgRule, LinuxSeccomp, ScmpAction, ScmpArch, ScmpCompare, SyscallRule};
use std::collections::BTreeMap;

/// Comparison constants at the edges (and a few small ones).
const VALUES: [u64; 12] = [
    0,
    1,
    2,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x8000_0000_0000_0000,
    0xffff_ffff_0000_0000,
    u64::MAX - 1,
    u64::MAX,
];

/// The most `syscalls` entries of a profile. Reading, importing and compiling grow with the entries, and
/// 12 held the target under 1,000 inputs per second. 6 entries on one syscall still reach every import
/// path: an earlier entry with three masked comparisons negates into up to six alternatives, so three
/// earlier entries already pass the runc-OR expansion's limit (`MAX_ALTERNATIVES`, 128).
const MAX_ENTRIES: u32 = 6;

/// `errnoRet` values: absent, common, the kernel's limit and past it.
const ERRNOS: [Option<u32>; 6] = [None, Some(1), Some(13), Some(38), Some(4095), Some(4096)];

fn value(u: &mut Unstructured<'_>) -> arbitrary::Result<u64> {
    Ok(if u.ratio(3, 4)? {
        VALUES[usize::from(u.arbitrary::<u8>()?) % VALUES.len()]
    } else {
        u.arbitrary()?
    })
}

fn action(u: &mut Unstructured<'_>) -> arbitrary::Result<ScmpAction> {
    Ok(ScmpAction::ALL[usize::from(u.arbitrary::<u8>()?) % ScmpAction::ALL.len()])
}

/// An `errnoRet` for `action`: any of [`ERRNOS`] for ERRNO and TRACE, rarely one for another action (which
/// the reader refuses, as runc does).
fn errno_ret(u: &mut Unstructured<'_>, action: ScmpAction) -> arbitrary::Result<Option<u32>> {
    let takes_one = matches!(action, ScmpAction::Errno | ScmpAction::Trace);
    Ok(if takes_one || u.ratio(1, 32)? {
        ERRNOS[usize::from(u.arbitrary::<u8>()?) % ERRNOS.len()]
    } else {
        None
    })
}

/// A profile for `arch`, and for each entry the numbers of its names (`None` for an unknown name).
fn profile(u: &mut Unstructured<'_>, arch: Arch) -> arbitrary::Result<(LinuxSeccomp, Vec<Vec<Option<u32>>>)> {
    let names = table(arch);
    let mut syscalls = Vec::new();
    let mut numbers = Vec::new();
    for _ in 0..u.int_in_range(0..=MAX_ENTRIES)? {
        let mut entry_names = Vec::new();
        let mut entry_numbers = Vec::new();
        for _ in 0..u.int_in_range(1..=3)? {
            if u.ratio(1, 32)? {
                entry_names.push("no_such_syscall".to_owned());
                entry_numbers.push(None);
            } else {
                let (name, nr) = names[usize::from(u.arbitrary::<u16>()?) % names.len()];
                entry_names.push(name.to_owned());
                entry_numbers.push(Some(nr));
            }
        }
        numbers.push(entry_numbers);
        let mut args = Vec::new();
        if u.ratio(1, 2)? {
            for _ in 0..u.int_in_range(1..=3)? {
                args.push(ArgRule {
                    index: if u.ratio(1, 64)? {
                        6
                    } else {
                        u.int_in_range(0..=5)?
                    },
                    value: value(u)?,
                    value_two: value(u)?,
                    op: ScmpCompare::ALL[usize::from(u.arbitrary::<u8>()?) % ScmpCompare::ALL.len()],
                });
            }
        }
        let action = action(u)?;
        syscalls.push(SyscallRule {
            names: entry_names,
            action,
            errno_ret: errno_ret(u, action)?,
            args,
        });
    }
    let default_action = action(u)?;
    let seccomp = LinuxSeccomp {
        default_action,
        default_errno_ret: errno_ret(u, default_action)?,
        architectures: Vec::new(),
        flags: Vec::new(),
        listener_path: None,
        listener_metadata: None,
        syscalls,
    };
    Ok((seccomp, numbers))
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks the arch (one per input: half the work, and the fuzzer flips it freely).
    let Some((&selector, rest)) = input.split_first() else {
        return;
    };
    let arch = if selector & 1 == 0 {
        Arch::X86_64
    } else {
        Arch::Aarch64
    };
    let mut u = Unstructured::new(rest);
    let Ok((mut seccomp, numbers)) = profile(&mut u, arch) else {
        return;
    };
    if u.ratio(1, 8).unwrap_or(false) {
        seccomp.architectures = vec![ScmpArch::X86_64, ScmpArch::Aarch64];
    }
    // The builder can write what the reader refuses (an `errnoRet` on an action without one, an
    // argument index past 5): the reader is the judge, and what it accepts must read back equal.
    let json = seccomp.to_json_pretty();
    let Ok(reread) = LinuxSeccomp::from_json(&json) else {
        return;
    };
    assert_eq!(reread, seccomp, "JSON round trip differs\n{json}");
    let Ok(imported) = seccomp.to_policy(arch) else {
        return;
    };
    let policy = &imported.policy;

    // How many entries name each number, and vectors from the profile's own constants on the
    // numbers it names, each with the entry it came from.
    let audit = arch.audit();
    let mut naming: BTreeMap<u32, usize> = BTreeMap::new();
    let mut extra = Vec::new();
    let mut origin = Vec::new();
    for (index, (rule, nrs)) in seccomp.syscalls.iter().zip(&numbers).enumerate() {
        let mut args = [0u64; 6];
        for cmp in &rule.args {
            if let Some(arg) = args.get_mut(usize::from(cmp.index)) {
                *arg = if cmp.op == ScmpCompare::MaskedEq {
                    cmp.value_two
                } else {
                    cmp.value
                };
            }
        }
        let mut counted = Vec::new();
        for &nr in nrs.iter().flatten() {
            if !counted.contains(&nr) {
                counted.push(nr);
                *naming.entry(nr).or_default() += 1;
            }
            // The entry's constants, and all-zero arguments, which match it or not.
            for variant in [args, [0; 6]]
                .into_iter()
                .take(if args == [0; 6] { 1 } else { 2 })
            {
                extra.push(SeccompData {
                    nr: nr as i32,
                    arch: audit,
                    instruction_pointer: 0,
                    args: variant,
                });
                origin.push(index);
            }
        }
    }
    if compile_checked(policy, &extra, seed(input), "imported profile").is_none() {
        return;
    }

    // The one-reading check: numbers named by exactly one entry.
    let Ok(default) = Action::from_oci(seccomp.default_action.name(), seccomp.default_errno_ret) else {
        return;
    };
    for (data, &index) in extra.iter().zip(&origin) {
        if naming.get(&(data.nr as u32)) != Some(&1) {
            continue;
        }
        let rule = &seccomp.syscalls[index];
        let Ok(action) = Action::from_oci(rule.action.name(), rule.errno_ret) else {
            continue;
        };
        let expected = if rule.args_match(&data.args) {
            action
        } else {
            default
        };
        assert_eq!(
            policy.evaluate(data),
            expected,
            "{data:?} is named by one entry only, {rule:?}, default {default}\n{json}"
        );
    }
});
