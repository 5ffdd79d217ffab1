//! The validator of seccomp-core against the running kernel: for thousands of generated programs (valid,
//! near misses with one rule broken, and garbage), `validate` must accept exactly what
//! `SECCOMP_SET_MODE_FILTER` accepts.
//!
//! Method: a child fills its filter chain to exactly the 32768-instruction path budget, so that the kernel
//! checks every further program completely (`EINVAL` if it refuses it) and then cannot attach an accepted
//! one (`ENOMEM`). Nothing is ever installed after the fill, so garbage programs never run. This is the use
//! of [`seccomp_sys::install_unvalidated`]: the kernel as the reference.

mod common;

use common::{Outcome, Shared, filters};
use seccomp_core::abi::{SockFilter, offset};
use seccomp_core::bpf::generate::{self, Flavor, Rng};
use seccomp_core::bpf::insn::*;
use seccomp_sys::{FilterFlags, InstallError, install_unvalidated, set_no_new_privs};

const PER_FLAVOR: u64 = 700;

/// Kernel verdicts as the child records them.
const ACCEPTED: i64 = 1;
const REFUSED: i64 = 2;
const OTHER: i64 = 3;

/// Hand-written programs at the edges of the kernel's rules.
fn edge_cases() -> Vec<Vec<SockFilter>> {
    let stmt = SockFilter::stmt;
    let jump = SockFilter::jump;
    let ret = SockFilter::ret;
    vec![
        // The linear-pass quirk of kernel.md: safe on every path, refused by the kernel.
        vec![
            jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 3),
            stmt(BPF_ST, 0),
            jump(BPF_JMP | BPF_JA, 4 - 3, 0, 0),
            ret(0),
            stmt(BPF_LD | BPF_MEM, 0),
            ret(0x7fff_0000),
        ],
        // Division by a constant 0; by X is fine (it ends the filter at run time).
        vec![stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ret(0)],
        vec![stmt(BPF_ALU | BPF_DIV | BPF_X, 0), ret(0)],
        // Shifts by 31 and 32.
        vec![stmt(BPF_ALU | BPF_LSH | BPF_K, 31), ret(0)],
        vec![stmt(BPF_ALU | BPF_LSH | BPF_K, 32), ret(0)],
        // Loads at the end of seccomp_data, misaligned, and past it.
        vec![SockFilter::load_data(60), ret(0)],
        vec![SockFilter::load_data(62), ret(0)],
        vec![SockFilter::load_data(offset::END), ret(0)],
        // RET A, and a program not ending in RET.
        vec![stmt(BPF_RET | BPF_A, 0)],
        vec![ret(0), stmt(BPF_LD | BPF_IMM, 0)],
        // Lengths 4096 and 4097.
        filters::allow_all_of_len(4096),
        filters::allow_all_of_len(4097),
    ]
}

#[test]
fn the_validator_accepts_exactly_what_the_kernel_accepts() {
    let _serial = common::serial();
    let mut programs: Vec<(String, Vec<SockFilter>)> = Vec::new();
    for (index, program) in edge_cases().into_iter().enumerate() {
        programs.push((format!("edge case {index}"), program));
    }
    let mut buf = vec![SockFilter::default(); 4097];
    for (flavor, name) in [
        (Flavor::Valid, "valid"),
        (Flavor::NearMiss, "near miss"),
        (Flavor::Garbage, "garbage"),
    ] {
        for seed in 0..PER_FLAVOR {
            let mut rng = Rng::new(seed);
            let generated = generate::program(&mut rng, flavor, &mut buf);
            let label = format!("{name} seed {seed} ({:?})", generated.mutation);
            programs.push((label, buf[..generated.len].to_vec()));
        }
    }
    let fill = [filters::allow_all_of_len(4096), filters::allow_all_of_len(4032)];
    let shared = Shared::with_slots(programs.len() + 1);
    let inputs: Vec<&[SockFilter]> = programs.iter().map(|(_, program)| &program[..]).collect();
    // SAFETY: the child only makes raw syscalls and touches memory prepared before the fork.
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() {
                return 2;
            }
            // 7 * (4096 + 4 + 4) + (4032 + 4 + 4) = 32768: the budget is exactly used up.
            for _ in 0..7 {
                if install_unvalidated(&fill[0], FilterFlags::EMPTY).is_err() {
                    return 3;
                }
            }
            if install_unvalidated(&fill[1], FilterFlags::EMPTY).is_err() {
                return 3;
            }
            // The smallest program must now be refused for the budget, or the method does not hold.
            let smallest = [SockFilter::ret(0x7fff_0000)];
            if !matches!(
                install_unvalidated(&smallest, FilterFlags::EMPTY),
                Err(InstallError::PathBudgetExceeded)
            ) {
                return 4;
            }
            for (index, program) in inputs.iter().enumerate() {
                let verdict = match install_unvalidated(program, FilterFlags::EMPTY) {
                    Err(InstallError::PathBudgetExceeded) => ACCEPTED,
                    Err(InstallError::Invalid) => REFUSED,
                    // Installed (impossible with a full budget) or another error.
                    _ => OTHER,
                };
                shared.set(index, verdict);
            }
            0
        })
    };
    assert_eq!(
        child.wait(),
        Outcome::Exited(0),
        "the child could not run the comparison"
    );
    let mut mismatches = Vec::new();
    let mut accepted = 0;
    for (index, (label, program)) in programs.iter().enumerate() {
        let kernel = shared.get(index);
        let validator = seccomp_core::bpf::validate(program);
        accepted += usize::from(kernel == ACCEPTED);
        let agree = match kernel {
            ACCEPTED => validator.is_ok(),
            REFUSED => validator.is_err(),
            _ => false,
        };
        if !agree {
            mismatches.push(format!(
                "{label}: kernel verdict {kernel} (1 accepted, 2 EINVAL, 3 other), validator {validator:?}, {} insns",
                program.len()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} programs disagree:\n{}",
        mismatches.len(),
        programs.len(),
        mismatches.join("\n")
    );
    // The generators must give both verdicts in quantity, or the comparison proves little.
    assert!(
        accepted > 500 && programs.len() - accepted > 500,
        "{accepted} of {} accepted",
        programs.len()
    );
}
