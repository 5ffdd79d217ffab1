//! The path budget (`MAX_INSNS_PER_PATH`, ENOMEM) counts the program the kernel runs, i.e. after it has
//! converted classic BPF to eBPF (`bpf_convert_filter`), not the classic length. This table measures the
//! converted cost of each instruction shape on the running kernel, so that a model of the budget (in
//! seccomp-core) can be checked against it.
//!
//! Method: seven allow-all filters of 4096 classic instructions each cost 7 * (4096 + 4 + 4) = 28728
//! (each converts to its length + 4, and every installed filter adds 4), leaving exactly 4040 for a new
//! program. A program of `m` copies of a unit plus `ret #ALLOW` converts to 3 (prologue) + m * cost + 2,
//! so it fits exactly when `m <= (4035 - prefix cost) / cost`; each case installs `m_max + 1` (ENOMEM)
//! and then `m_max` (accepted).

mod common;

use common::{Outcome, Shared, filters};
use seccomp_core::abi::{self, SockFilter};
use seccomp_core::bpf::converted_len;
use seccomp_core::bpf::insn::*;
use seccomp_sys::{FilterFlags, InstallError, install_unvalidated, set_no_new_privs};

const BASE_FILTERS: usize = 7;
/// What is left of the 32768 budget after the seven base filters.
const LEFT: usize = abi::MAX_INSNS_PER_PATH - BASE_FILTERS * (4096 + 4 + abi::FILTER_PATH_OVERHEAD);
/// Prologue (clear A, clear X, keep the context) plus the final `ret #k` (mov, exit).
const FIXED: usize = 3 + 2;

/// Builds `prefix`, `m` copies of `unit`, and `ret #ALLOW`.
fn program(prefix: &[SockFilter], unit: &[SockFilter], m: usize) -> Vec<SockFilter> {
    let mut insns = prefix.to_vec();
    for _ in 0..m {
        insns.extend_from_slice(unit);
    }
    insns.push(SockFilter::ret(abi::RET_ALLOW));
    insns
}

/// Checks that `m_max` copies of `unit` (after `prefix`) fit the remaining budget and one more does not.
fn check(what: &str, prefix: &[SockFilter], prefix_cost: usize, unit: &[SockFilter], unit_cost: usize) {
    let m_max = (LEFT - FIXED - prefix_cost) / unit_cost;
    let too_big = program(prefix, unit, m_max + 1);
    let fits = program(prefix, unit, m_max);
    assert!(
        too_big.len() <= abi::BPF_MAXINSNS,
        "{what}: test program too long"
    );
    let base: Vec<Vec<SockFilter>> = (0..BASE_FILTERS)
        .map(|_| filters::allow_all_of_len(4096))
        .collect();
    let shared = Shared::new();
    // SAFETY: the child only makes raw syscalls and touches memory prepared before the fork.
    let child = unsafe {
        common::spawn(|| {
            if set_no_new_privs().is_err() {
                return 2;
            }
            for filter in &base {
                if install_unvalidated(filter, FilterFlags::EMPTY).is_err() {
                    return 3;
                }
            }
            let over = install_unvalidated(&too_big, FilterFlags::EMPTY);
            shared.set(
                0,
                i64::from(matches!(over, Err(InstallError::PathBudgetExceeded))),
            );
            shared.set(
                1,
                i64::from(install_unvalidated(&fits, FilterFlags::EMPTY).is_ok()),
            );
            0
        })
    };
    assert_eq!(child.wait(), Outcome::Exited(0), "{what}");
    assert_eq!(
        (shared.get(0), shared.get(1)),
        (1, 1),
        "{what}: expected a converted cost of {unit_cost} per unit ({m_max} units fit, {} do not)",
        m_max + 1
    );
}

/// One row: what it shows, a prefix and its converted cost, the repeated unit and its converted cost.
type Case = (&'static str, Vec<SockFilter>, usize, Vec<SockFilter>, usize);

#[test]
fn the_path_budget_counts_converted_instructions() {
    let _serial = common::serial();
    let stmt = SockFilter::stmt;
    let jump = SockFilter::jump;
    let ld = SockFilter::load_data(0);
    let high = 0x8000_0000;
    // (what, prefix, prefix cost, unit, unit cost). Units that end in a jump carry a trailing `ld` (cost 1)
    // so that the jump's offsets stay inside the program.
    let cases: [Case; 21] = [
        ("a load from seccomp_data costs 1", vec![], 0, vec![ld], 1),
        ("ld #imm costs 1", vec![], 0, vec![stmt(BPF_LD | BPF_IMM, 5)], 1),
        ("ldx #imm costs 1", vec![], 0, vec![stmt(BPF_LDX | BPF_IMM, 5)], 1),
        (
            "ld len costs 1",
            vec![],
            0,
            vec![stmt(BPF_LD | BPF_W | BPF_LEN, 0)],
            1,
        ),
        ("tax costs 1", vec![], 0, vec![stmt(BPF_MISC | BPF_TAX, 0)], 1),
        ("st costs 1", vec![], 0, vec![stmt(BPF_ST, 0)], 1),
        (
            "ld M[] costs 1",
            vec![stmt(BPF_ST, 0)],
            1,
            vec![stmt(BPF_LD | BPF_MEM, 0)],
            1,
        ),
        (
            "alu with K costs 1",
            vec![],
            0,
            vec![stmt(BPF_ALU | BPF_ADD | BPF_K, 1)],
            1,
        ),
        (
            "alu with a K >= 2^31 costs 1",
            vec![],
            0,
            vec![stmt(BPF_ALU | BPF_ADD | BPF_K, high)],
            1,
        ),
        (
            "div by X costs 5 (zero-divisor check first)",
            vec![stmt(BPF_LDX | BPF_IMM, 1)],
            1,
            vec![stmt(BPF_ALU | BPF_DIV | BPF_X, 0)],
            5,
        ),
        (
            "div by K costs 1",
            vec![],
            0,
            vec![stmt(BPF_ALU | BPF_DIV | BPF_K, 3)],
            1,
        ),
        (
            "alu with X costs 1",
            vec![],
            0,
            vec![stmt(BPF_ALU | BPF_ADD | BPF_X, 0)],
            1,
        ),
        ("ja costs 1", vec![], 0, vec![jump(BPF_JMP | BPF_JA, 0, 0, 0)], 1),
        (
            "jeq with jf = 0 costs 1",
            vec![],
            0,
            vec![jump(BPF_JMP | BPF_JEQ | BPF_K, 5, 1, 0), ld],
            2,
        ),
        (
            "jeq with jt = 0 costs 1 (inverted)",
            vec![],
            0,
            vec![jump(BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 1), ld],
            2,
        ),
        (
            "jgt with jt = 0 costs 1 (inverted)",
            vec![],
            0,
            vec![jump(BPF_JMP | BPF_JGT | BPF_K, 5, 0, 1), ld],
            2,
        ),
        (
            "a jump with both offsets non-zero costs 2",
            vec![],
            0,
            vec![jump(BPF_JMP | BPF_JEQ | BPF_K, 5, 1, 1), ld],
            3,
        ),
        (
            "jset with jt = 0 costs 2 (no inverse)",
            vec![],
            0,
            vec![jump(BPF_JMP | BPF_JSET | BPF_K, 5, 0, 1), ld],
            3,
        ),
        (
            "a jump on a K >= 2^31 costs 1 more",
            vec![],
            0,
            vec![jump(BPF_JMP | BPF_JEQ | BPF_K, high, 1, 0), ld],
            3,
        ),
        (
            "ret #k costs 2",
            vec![],
            0,
            vec![jump(BPF_JMP | BPF_JA, 1, 0, 0), SockFilter::ret(abi::RET_ALLOW)],
            3,
        ),
        (
            "ret A costs 1",
            vec![],
            0,
            vec![jump(BPF_JMP | BPF_JA, 1, 0, 0), stmt(BPF_RET | BPF_A, 0)],
            2,
        ),
    ];
    for (what, prefix, prefix_cost, unit, unit_cost) in &cases {
        // The kernel's measurement below must agree with seccomp-core's model of the conversion.
        assert_eq!(
            converted_len(prefix) - 3,
            *prefix_cost,
            "{what}: core's model of the prefix"
        );
        assert_eq!(
            converted_len(unit) - 3,
            *unit_cost,
            "{what}: core's model of the unit"
        );
        check(what, prefix, *prefix_cost, unit, *unit_cost);
    }
}
