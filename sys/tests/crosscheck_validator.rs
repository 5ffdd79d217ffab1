//! The validator of seccomp-core against the running kernel: generated programs (valid ones, near misses
//! that break exactly one rule, and garbage) are loaded with `SECCOMP_SET_MODE_FILTER` in forked children,
//! and the kernel's verdict (installed, or EINVAL) must equal `bpf::validate`'s for every one.
//!
//! `CROSSCHECK_PROGRAMS` (default 10,000) and `CROSSCHECK_SEED` size and fix the campaign; program `i` is
//! generated from its own stream ([`crosscheck::program_rng`]), so a disagreement is reproducible from the
//! seed and index printed with it. `cargo xtask crosscheck` runs this file with many more programs.
//!
//! One child tries programs in order until the kernel accepts one: a refused installation changes nothing
//! in the child, so only an accepted program ends it. The child stores "attempting index i" in shared
//! memory before each attempt and "accepted i" right after a successful one (plain stores, no syscall the
//! new filter could interfere with), then ends however the filter lets it.

mod common;

use common::crosscheck::{self, Config};
use common::{Outcome, Shared};
use seccomp_core::abi::{BPF_MAXINSNS, SockFilter};
use seccomp_core::bpf::generate::{self, Flavor, Mutation};
use seccomp_core::bpf::{Listing, validate};
use seccomp_sys::{FilterFlags, InstallError, install_unvalidated, set_no_new_privs};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

/// Programs generated and checked together (bounds the memory a campaign holds at once).
const CHUNK: usize = 2048;

/// Shared slots of a loading child.
const ATTEMPT: usize = 0;
const ACCEPTED: usize = 1;
const FINISHED: usize = 2;
const ERROR: usize = 3;

/// Exit code of a child that could not set `no_new_privs`.
const NO_NEW_PRIVS_FAILED: i32 = 2;
/// Exit code of a child whose installation failed with something other than EINVAL.
const OTHER_ERROR: i32 = 3;

/// What the kernel answered to one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    /// Installed.
    Accepted,
    /// EINVAL.
    Rejected,
    /// Another errno (never expected: the child has no_new_privs and at most one filter).
    Failed(i64),
}

/// One generated program and where it came from.
struct Case {
    index: u64,
    flavor: Flavor,
    mutation: Option<Mutation>,
    insns: Vec<SockFilter>,
}

/// Program `index` of the campaign: 30% valid, 35% near misses, 35% garbage.
fn generate_case(seed: u64, index: u64, buf: &mut [SockFilter]) -> Case {
    let mut rng = crosscheck::program_rng(seed, index);
    let flavor = match rng.below(100) {
        0..30 => Flavor::Valid,
        30..65 => Flavor::NearMiss,
        _ => Flavor::Garbage,
    };
    let generated = generate::program(&mut rng, flavor, buf);
    let insns = buf.get(..generated.len).unwrap_or_default().to_vec();
    Case {
        index,
        flavor,
        mutation: generated.mutation,
        insns,
    }
}

/// The kernel's verdict on each program, each loaded in a forked child that has `no_new_privs` and no
/// filter. Returns the verdicts and the number of children used.
fn kernel_verdicts(programs: &[&[SockFilter]]) -> (Vec<Kernel>, usize) {
    let mut verdicts = Vec::with_capacity(programs.len());
    let mut children = 0;
    let shared = Shared::new();
    while verdicts.len() < programs.len() {
        let start = verdicts.len();
        for slot in [ATTEMPT, ACCEPTED, FINISHED, ERROR] {
            shared.set(slot, -1);
        }
        // SAFETY: the child only makes raw syscalls (prctl, seccomp, exit_group) and reads the programs
        // and writes the shared page, all prepared before the fork.
        let child = unsafe {
            common::spawn(|| {
                if set_no_new_privs().is_err() {
                    return NO_NEW_PRIVS_FAILED;
                }
                for (index, program) in programs.iter().enumerate().skip(start) {
                    shared.set(ATTEMPT, index as i64);
                    match install_unvalidated(program, FilterFlags::EMPTY) {
                        Ok(_) => {
                            // A plain store: nothing the new filter can intercept.
                            shared.set(ACCEPTED, index as i64);
                            crosscheck::die(0)
                        }
                        Err(InstallError::Invalid) => {}
                        Err(other) => {
                            shared.set(ERROR, errno_of(other));
                            return OTHER_ERROR;
                        }
                    }
                }
                shared.set(FINISHED, 1);
                0
            })
        };
        children += 1;
        let outcome = crosscheck::wait(child);
        let attempt = shared.get(ATTEMPT);
        if attempt < start as i64 {
            panic!("the loading child ended before its first attempt (index {start}): {outcome:?}");
        }
        let attempt = attempt as usize;
        verdicts.resize(attempt, Kernel::Rejected);
        if shared.get(ACCEPTED) == attempt as i64 {
            verdicts.push(Kernel::Accepted);
        } else if shared.get(ERROR) != -1 {
            verdicts.push(Kernel::Failed(shared.get(ERROR)));
        } else if shared.get(FINISHED) == 1 && outcome == Outcome::Exited(0) {
            verdicts.push(Kernel::Rejected);
        } else {
            panic!("the loading child ended while installing program {attempt}: {outcome:?}");
        }
    }
    (verdicts, children)
}

/// The errno behind an installation error other than EINVAL, for the report.
fn errno_of(error: InstallError) -> i64 {
    let errno = match error {
        InstallError::PermissionDenied => rustix::io::Errno::ACCESS,
        InstallError::PathBudgetExceeded => rustix::io::Errno::NOMEM,
        InstallError::ListenerExists => rustix::io::Errno::BUSY,
        InstallError::TsyncFailedEsrch => rustix::io::Errno::SRCH,
        InstallError::Fault => rustix::io::Errno::FAULT,
        InstallError::Os(errno) => errno,
        _ => rustix::io::Errno::INVAL,
    };
    i64::from(errno.raw_os_error())
}

/// Counts per category: programs and how many the kernel accepted.
#[derive(Default)]
struct Tally {
    programs: usize,
    accepted: usize,
}

/// The category of a case in the summary.
fn category(case: &Case) -> String {
    match (case.flavor, case.mutation) {
        (Flavor::Valid, _) => "valid".to_owned(),
        (Flavor::Garbage, _) => "garbage".to_owned(),
        (Flavor::NearMiss, Some(mutation)) => format!("near-miss {mutation:?}"),
        (Flavor::NearMiss, None) => "near-miss ?".to_owned(),
    }
}

/// Describes one disagreement: where the program came from, both verdicts, and its listing.
fn describe(case: &Case, core: &str, kernel: Kernel, seed: u64, with_listing: bool) -> String {
    let mut text = format!(
        "program {} (seed {seed:#x}, {}, {} instructions): seccomp-core says {core}, the kernel says {kernel:?}",
        case.index,
        category(case),
        case.insns.len()
    );
    if with_listing {
        let _ = write!(text, "\n{}", Listing(&case.insns));
    }
    text
}

#[test]
fn validator_verdict_equals_the_kernels_on_generated_programs() {
    let _serial = common::serial();
    let config = Config::from_env();
    let started = Instant::now();
    let mut buf = vec![SockFilter::default(); BPF_MAXINSNS + 1];
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let (mut accepted, mut children) = (0, 0);
    let mut first = 0;
    while first < config.programs {
        let end = (first + CHUNK).min(config.programs);
        let cases: Vec<Case> = (first..end)
            .map(|index| generate_case(config.seed, index as u64, &mut buf))
            .collect();
        let programs: Vec<&[SockFilter]> = cases.iter().map(|case| case.insns.as_slice()).collect();
        let (verdicts, used) = kernel_verdicts(&programs);
        children += used;
        for (case, kernel) in cases.iter().zip(verdicts) {
            let core = validate(&case.insns);
            let tally = tallies.entry(category(case)).or_default();
            tally.programs += 1;
            if kernel == Kernel::Accepted {
                tally.accepted += 1;
                accepted += 1;
            }
            let agrees = matches!(
                (&core, kernel),
                (Ok(_), Kernel::Accepted) | (Err(_), Kernel::Rejected)
            );
            if !agrees {
                let core = match &core {
                    Ok(_) => "valid".to_owned(),
                    Err(error) => format!("invalid ({error})"),
                };
                let with_listing = disagreements.is_empty();
                disagreements.push(describe(case, &core, kernel, config.seed, with_listing));
            }
        }
        first = end;
    }

    let mut summary = format!(
        "crosscheck validator: {} programs (seed {:#x}): kernel accepted {accepted}, rejected {}; \
         {children} children, {:.1}s;",
        config.programs,
        config.seed,
        config.programs - accepted,
        started.elapsed().as_secs_f64()
    );
    for (name, tally) in &tallies {
        let _ = write!(summary, " {name} {}/{}", tally.accepted, tally.programs);
    }
    let _ = write!(
        summary,
        " (accepted/generated); {} disagreements",
        disagreements.len()
    );
    crosscheck::report(&summary);

    assert!(
        disagreements.is_empty(),
        "{} of {} programs got a different verdict from seccomp-core and the kernel; the first ones:\n{}",
        disagreements.len(),
        config.programs,
        disagreements
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    if config.programs >= 2_000 {
        // A campaign this size must have exercised every kind of program, and both verdicts.
        for name in ["valid", "garbage"] {
            assert!(tallies.contains_key(name), "no {name} program was generated");
        }
        for mutation in Mutation::ALL {
            let name = format!("near-miss {mutation:?}");
            assert!(
                tallies.contains_key(&name),
                "no near miss of kind {mutation:?} was generated"
            );
        }
        assert!(
            accepted > 0 && accepted < config.programs,
            "only one verdict was ever seen"
        );
    }
}

/// Hand-picked programs at the edges the generator reaches only by chance: the kernel and the validator
/// agree on each, and on the documented verdict.
#[test]
fn validator_and_kernel_agree_on_edge_programs() {
    use seccomp_core::abi::{self, offset};
    use seccomp_core::bpf::insn::*;
    let _serial = common::serial();
    let ret_allow = SockFilter::ret(abi::RET_ALLOW);
    let cases: Vec<(&str, Vec<SockFilter>, bool)> = vec![
        ("one ret", vec![ret_allow], true),
        ("empty", vec![], false),
        (
            "4096 instructions",
            common::filters::allow_all_of_len(BPF_MAXINSNS),
            true,
        ),
        (
            "4097 instructions",
            common::filters::allow_all_of_len(BPF_MAXINSNS + 1),
            false,
        ),
        (
            "the last data word",
            vec![
                SockFilter::load_data(offset::END - 4),
                SockFilter::stmt(BPF_RET | BPF_A, 0),
            ],
            true,
        ),
        (
            "one past the data",
            vec![SockFilter::load_data(offset::END), ret_allow],
            false,
        ),
        (
            "misaligned data load",
            vec![SockFilter::load_data(2), ret_allow],
            false,
        ),
        (
            "ja to the last instruction",
            vec![SockFilter::stmt(BPF_JMP | BPF_JA, 0), ret_allow],
            true,
        ),
        (
            "ja past the end",
            vec![SockFilter::stmt(BPF_JMP | BPF_JA, 1), ret_allow],
            false,
        ),
        (
            "shift by 31",
            vec![SockFilter::stmt(BPF_ALU | BPF_LSH | BPF_K, 31), ret_allow],
            true,
        ),
        (
            "shift by 32",
            vec![SockFilter::stmt(BPF_ALU | BPF_LSH | BPF_K, 32), ret_allow],
            false,
        ),
        (
            "mod is not allowed in seccomp",
            vec![SockFilter::stmt(BPF_ALU | BPF_MOD | BPF_K, 3), ret_allow],
            false,
        ),
        (
            "scratch cell 15 written then read",
            vec![
                SockFilter::stmt(BPF_ST, 15),
                SockFilter::stmt(BPF_LD | BPF_MEM, 15),
                ret_allow,
            ],
            true,
        ),
        (
            "the linear pass quirk (safe on every path, refused)",
            vec![
                SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
                SockFilter::stmt(BPF_ST, 0),
                SockFilter::stmt(BPF_JMP | BPF_JA, 4 - 2 - 1),
                SockFilter::ret(0),
                SockFilter::stmt(BPF_LD | BPF_MEM, 0),
                ret_allow,
            ],
            false,
        ),
    ];
    let programs: Vec<&[SockFilter]> = cases.iter().map(|(_, insns, _)| insns.as_slice()).collect();
    let (verdicts, _) = kernel_verdicts(&programs);
    for ((name, insns, documented), kernel) in cases.iter().zip(verdicts) {
        let core = validate(insns).is_ok();
        let expected = if *documented {
            Kernel::Accepted
        } else {
            Kernel::Rejected
        };
        assert_eq!(
            kernel,
            expected,
            "{name}: the kernel's verdict\n{}",
            Listing(insns)
        );
        assert_eq!(
            core,
            *documented,
            "{name}: seccomp-core's verdict\n{}",
            Listing(insns)
        );
    }
}
