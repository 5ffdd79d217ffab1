//! The kernel's per-thread filter budget (`MAX_INSNS_PER_PATH`), which `SECCOMP_SET_MODE_FILTER` enforces
//! with `ENOMEM`.
//!
//! `seccomp_attach_filter` adds up `prog->len` of the new filter and, for every filter the thread already
//! has, `prog->len + 4`. `prog->len` is the length of the program the kernel *runs*: the classic program
//! after `bpf_convert_filter` (net/core/filter.c) has translated it to eBPF, which is longer than the classic
//! one. [`converted_len`] reproduces that translation's length instruction by instruction:
//!
//! | classic instruction | eBPF instructions |
//! | --- | --- |
//! | (prologue: clear A, clear X, keep the context pointer) | 3 |
//! | `ret #k` (a `mov` into R0, then `exit`) | 2 |
//! | `ret a` | 1 |
//! | `div x` (a zero-divisor check that returns 0, then the division) | 5 |
//! | a conditional jump with `jf == 0`, or `jt == 0` for `jeq`/`jgt`/`jge` (inverted) | 1 |
//! | any other conditional jump (both offsets taken, or `jset` with `jt == 0`) | 2 (jump + `ja`) |
//! | a conditional jump on a constant `k >= 2^31` (moved into a register first) | + 1 |
//! | every other instruction, `ja` included | 1 |
//!
//! The table was measured on the running kernel (seccomp-sys's `budget` test checks every row) and on arm64
//! 6.1. The kernel's documentation and most tools count classic instructions instead, which overestimates
//! the room left by up to a few percent.

use super::insn::*;
use crate::abi::{self, SockFilter};
use core::fmt;

/// The eBPF instructions `bpf_convert_filter` emits before the first classic instruction.
pub const CONVERTED_PROLOGUE: usize = 3;

/// The length of the eBPF program the kernel converts `insns` into: what the path budget counts.
///
/// Meaningful for programs the validator accepts; for others it still returns a number without panicking.
pub fn converted_len(insns: &[SockFilter]) -> usize {
    insns.iter().fold(CONVERTED_PROLOGUE, |total, insn| {
        total.saturating_add(converted_insn_len(insn))
    })
}

/// The eBPF length of one classic instruction (see the module documentation).
pub fn converted_insn_len(insn: &SockFilter) -> usize {
    let code = insn.code;
    match class(code) {
        BPF_RET if rval(code) == BPF_K => 2,
        BPF_ALU if op(code) == BPF_DIV && src(code) == BPF_X => 5,
        BPF_JMP if op(code) != BPF_JA => {
            let wide_constant = usize::from(src(code) == BPF_K && insn.k >= 0x8000_0000);
            let single = insn.jf == 0 || (insn.jt == 0 && matches!(op(code), BPF_JEQ | BPF_JGT | BPF_JGE));
            wide_constant + if single { 1 } else { 2 }
        }
        _ => 1,
    }
}

/// A filter stack over the kernel's `MAX_INSNS_PER_PATH` budget: `SECCOMP_SET_MODE_FILTER` fails with
/// `ENOMEM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathBudgetError {
    /// The cost of the stack including the new filter, in converted instructions.
    pub total: usize,
}

impl fmt::Display for PathBudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the filter stack would cost {} converted instructions, above the kernel's limit of {} (ENOMEM)",
            self.total,
            abi::MAX_INSNS_PER_PATH
        )
    }
}

impl core::error::Error for PathBudgetError {}

/// `seccomp_attach_filter`'s budget check, on converted lengths (see [`converted_len`]): the new filter's
/// converted length plus, for every filter the thread already has, its converted length + 4 must not exceed
/// `MAX_INSNS_PER_PATH` (32768). Returns the total cost.
pub fn check_stack_budget(
    existing_converted: &[usize],
    new_converted: usize,
) -> Result<usize, PathBudgetError> {
    let total = existing_converted.iter().fold(new_converted, |total, len| {
        total
            .saturating_add(*len)
            .saturating_add(abi::FILTER_PATH_OVERHEAD)
    });
    if total > abi::MAX_INSNS_PER_PATH {
        return Err(PathBudgetError { total });
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converted_lengths_follow_the_kernel_table() {
        let stmt = SockFilter::stmt;
        let jump = SockFilter::jump;
        let cases: &[(&str, SockFilter, usize)] = &[
            ("ld [nr]", SockFilter::load_data(0), 1),
            ("ret #k", SockFilter::ret(abi::RET_ALLOW), 2),
            ("ret a", stmt(BPF_RET | BPF_A, 0), 1),
            ("div x", stmt(BPF_ALU | BPF_DIV | BPF_X, 0), 5),
            ("div #3", stmt(BPF_ALU | BPF_DIV | BPF_K, 3), 1),
            ("add #2^31", stmt(BPF_ALU | BPF_ADD | BPF_K, 0x8000_0000), 1),
            ("ja", jump(BPF_JMP | BPF_JA, 3, 0, 0), 1),
            ("jeq jf=0", jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 2, 0), 1),
            ("jeq jt=0", jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2), 1),
            ("jge jt=0", jump(BPF_JMP | BPF_JGE | BPF_K, 1, 0, 2), 1),
            ("jset jt=0", jump(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 2), 2),
            ("jeq both", jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 2), 2),
            (
                "jeq #2^31 jf=0",
                jump(BPF_JMP | BPF_JEQ | BPF_K, 0x8000_0000, 1, 0),
                2,
            ),
            (
                "jeq #2^31 both",
                jump(BPF_JMP | BPF_JEQ | BPF_K, 0xffff_ffff, 1, 1),
                3,
            ),
            (
                "jeq x #2^31",
                jump(BPF_JMP | BPF_JEQ | BPF_X, 0x8000_0000, 1, 0),
                1,
            ),
        ];
        for (what, insn, expected) in cases {
            assert_eq!(converted_insn_len(insn), *expected, "{what}");
        }
        let allow_all = [SockFilter::ret(abi::RET_ALLOW)];
        assert_eq!(converted_len(&allow_all), 5);
    }

    #[test]
    fn stack_budget_adds_four_per_existing_filter() {
        assert_eq!(check_stack_budget(&[], 4100), Ok(4100));
        assert_eq!(check_stack_budget(&[4100; 7], 4040), Ok(32768));
        assert_eq!(
            check_stack_budget(&[4100; 7], 4041),
            Err(PathBudgetError { total: 32769 })
        );
        assert_eq!(
            check_stack_budget(&[usize::MAX], 1).unwrap_err().total,
            usize::MAX
        );
    }
}
