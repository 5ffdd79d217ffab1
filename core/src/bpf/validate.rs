//! The validator: accepts exactly the programs `SECCOMP_SET_MODE_FILTER` accepts.
//!
//! The kernel checks a new filter in this order, and stops at the first failure with `EINVAL`:
//!
//! 1. `seccomp_prepare_filter` / `bpf_check_basics_ok`: 1 to [`BPF_MAXINSNS`] instructions.
//! 2. `bpf_check_classic` (net/core/filter.c), one pass over every instruction: the opcode is on the classic
//!    allow-list (`chk_code_allowed`), `DIV`/`MOD` by the constant 0 and `LSH`/`RSH` by a constant of 32 or
//!    more are refused, scratch-memory indices are below [`BPF_MEMWORDS`], `JA` and both targets of a
//!    conditional jump lie inside the program, and an absolute load at or above `SKF_AD_OFF` must name a known
//!    ancillary field.
//! 3. Still in `bpf_check_classic`: the last instruction is a `RET`.
//! 4. `check_load_and_stores`: the scratch-memory rule, a single linear forward pass (see
//!    [`Rule::UninitializedScratch`]); it is conservative, and refuses some programs that are safe on every
//!    path.
//! 5. `seccomp_check_filter` (kernel/seccomp.c): the seccomp allow-list, and absolute loads must be 4-byte
//!    aligned offsets inside `struct seccomp_data`.
//!
//! The kernel only ever answers `EINVAL`; [`validate`] additionally names the first rule the kernel trips, in
//! that order, and the instruction where it trips. It runs in linear time and needs no allocation (the
//! scratch-memory pass keeps 8 KiB of masks on the stack).
//!
//! [`check_stack_budget`](super::check_stack_budget) models the other install-time limit, `MAX_INSNS_PER_PATH` (`ENOMEM`).

use super::Validated;
use super::insn::*;
use crate::abi::{self, BPF_MAXINSNS, BPF_MEMWORDS, SockFilter};
use core::fmt;

/// `SKF_AD_OFF`: absolute loads at or above this offset address "ancillary" socket data.
const SKF_AD_OFF: u32 = (-0x1000i32) as u32;
/// `SKF_AD_MAX`: the ancillary fields the kernel knows are `SKF_AD_OFF + 0, 4, ..., 60`.
const SKF_AD_MAX: u32 = 64;

/// Why the kernel refuses a filter. Every variant is one check of the kernel, named in its doc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `bpf_check_basics_ok`: the program has no instruction.
    Empty,
    /// `bpf_check_basics_ok`: the program has more than `BPF_MAXINSNS` (4096) instructions.
    TooLong {
        /// The program's length.
        len: usize,
    },
    /// `chk_code_allowed` in `bpf_check_classic`: the opcode is not a classic-BPF instruction.
    UnknownOpcode {
        /// The opcode.
        code: u16,
    },
    /// `bpf_check_classic`: `DIV` or `MOD` by the constant 0.
    DivisionByZero,
    /// `bpf_check_classic`: `LSH` or `RSH` by a constant of 32 or more.
    ShiftTooLarge {
        /// The shift amount.
        k: u32,
    },
    /// `bpf_check_classic`: a scratch-memory load or store with an index of 16 (`BPF_MEMWORDS`) or more.
    ScratchIndexOutOfRange {
        /// The index.
        k: u32,
    },
    /// `bpf_check_classic`: a `JA` whose target `pc + 1 + k` is not inside the program.
    JumpOutOfRange {
        /// The absolute target, which may lie far beyond the program.
        target: u64,
    },
    /// `bpf_check_classic`: a conditional jump with a target `pc + 1 + jt` or `pc + 1 + jf` not inside the
    /// program.
    BranchOutOfRange {
        /// The absolute target that lies outside (the `jt` target when both do).
        target: usize,
    },
    /// `bpf_check_classic`: an absolute load at or above `SKF_AD_OFF` (0xfffff000) that names no known
    /// ancillary field.
    UnknownAncillaryLoad {
        /// The offset.
        k: u32,
    },
    /// `bpf_check_classic`: the last instruction is not a `RET`.
    MissingReturn,
    /// `check_load_and_stores`: a scratch-memory load of a cell that the kernel's linear pass does not
    /// consider written.
    ///
    /// The pass keeps a 16-bit set of written cells, initially empty, and a mask per instruction, initially
    /// all ones. At each instruction it ANDs the set with the instruction's mask; a store adds its cell; a
    /// load of a cell outside the set fails; a jump ANDs the set into the mask of each target and then sets
    /// the set to all ones. A `RET` changes nothing, so its state falls through into the next instruction.
    /// This is not a path analysis: `jeq #0, 1, 3; st M[0]; ja 4; ret #0; ld M[0]; ret #0` is refused,
    /// because the state that falls through the `ret #0` at 3 lacks cell 0.
    UninitializedScratch {
        /// The cell.
        cell: u32,
    },
    /// `seccomp_check_filter`: an absolute load (`ld [k]`) whose offset is not a 4-byte aligned offset below
    /// 64, the size of `struct seccomp_data`.
    DataOffsetOutOfRange {
        /// The offset.
        k: u32,
    },
    /// `seccomp_check_filter`: a classic-BPF instruction seccomp does not allow (`MOD`, half-word and byte
    /// loads, indirect loads, `ldx 4*([k]&0xf)`).
    NotAllowedInSeccomp {
        /// The opcode.
        code: u16,
    },
}

impl Rule {
    /// A stable snake_case identifier of the rule, for tests, logs and machine-readable output.
    pub const fn name(&self) -> &'static str {
        match self {
            Rule::Empty => "empty",
            Rule::TooLong { .. } => "too_long",
            Rule::UnknownOpcode { .. } => "unknown_opcode",
            Rule::DivisionByZero => "division_by_zero",
            Rule::ShiftTooLarge { .. } => "shift_too_large",
            Rule::ScratchIndexOutOfRange { .. } => "scratch_index_out_of_range",
            Rule::JumpOutOfRange { .. } => "jump_out_of_range",
            Rule::BranchOutOfRange { .. } => "branch_out_of_range",
            Rule::UnknownAncillaryLoad { .. } => "unknown_ancillary_load",
            Rule::MissingReturn => "missing_return",
            Rule::UninitializedScratch { .. } => "uninitialized_scratch",
            Rule::DataOffsetOutOfRange { .. } => "data_offset_out_of_range",
            Rule::NotAllowedInSeccomp { .. } => "not_allowed_in_seccomp",
        }
    }

    /// The kernel function that performs the check.
    pub const fn kernel_check(&self) -> &'static str {
        match self {
            Rule::Empty | Rule::TooLong { .. } => "bpf_check_basics_ok",
            Rule::UninitializedScratch { .. } => "check_load_and_stores",
            Rule::DataOffsetOutOfRange { .. } | Rule::NotAllowedInSeccomp { .. } => "seccomp_check_filter",
            _ => "bpf_check_classic",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rule::Empty => write!(f, "the program has no instruction"),
            Rule::TooLong { len } => {
                write!(
                    f,
                    "the program has {len} instructions, more than the {BPF_MAXINSNS} allowed"
                )
            }
            Rule::UnknownOpcode { code } => write!(f, "opcode {code:#06x} is not a classic BPF instruction"),
            Rule::DivisionByZero => write!(f, "division by the constant 0"),
            Rule::ShiftTooLarge { k } => write!(f, "shift by the constant {k}, which is not below 32"),
            Rule::ScratchIndexOutOfRange { k } => {
                write!(f, "scratch memory index {k} is not below {BPF_MEMWORDS}")
            }
            Rule::JumpOutOfRange { target } => write!(f, "jump target {target} is outside the program"),
            Rule::BranchOutOfRange { target } => {
                write!(f, "conditional jump target {target} is outside the program")
            }
            Rule::UnknownAncillaryLoad { k } => {
                write!(f, "absolute load from {k:#x} names no known ancillary field")
            }
            Rule::MissingReturn => write!(f, "the last instruction is not a return"),
            Rule::UninitializedScratch { cell } => write!(
                f,
                "scratch cell M[{cell}] is read before the kernel's linear pass sees it written"
            ),
            Rule::DataOffsetOutOfRange { k } => write!(
                f,
                "load offset {k} is not a 4-byte aligned offset inside struct seccomp_data (below 64)"
            ),
            Rule::NotAllowedInSeccomp { code } => {
                write!(
                    f,
                    "opcode {code:#06x} is classic BPF but not allowed in a seccomp filter"
                )
            }
        }?;
        write!(f, " ({})", self.kernel_check())
    }
}

/// A program the kernel would refuse with `EINVAL`: the first rule it trips, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValidationError {
    /// The index of the offending instruction; `None` for rules about the whole program (length).
    pub index: Option<usize>,
    /// The rule.
    pub rule: Rule,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(index) => write!(f, "instruction {index}: {}", self.rule),
            None => write!(f, "{}", self.rule),
        }
    }
}

impl core::error::Error for ValidationError {}

/// Checks `insns` exactly as `SECCOMP_SET_MODE_FILTER` does and wraps them as a [`Validated`] program.
///
/// Accepts exactly what the kernel accepts (see the module documentation for the checks and their order);
/// on refusal, the error names the first rule the kernel trips and the instruction where it trips. Linear
/// time, no allocation.
pub fn validate(insns: &[SockFilter]) -> Result<Validated<'_>, ValidationError> {
    let whole = |rule| ValidationError { index: None, rule };
    let at = |index, rule| ValidationError {
        index: Some(index),
        rule,
    };
    let len = insns.len();
    if len == 0 {
        return Err(whole(Rule::Empty));
    }
    if len > BPF_MAXINSNS {
        return Err(whole(Rule::TooLong { len }));
    }
    for (pc, insn) in insns.iter().enumerate() {
        if let Some(rule) = check_classic_insn(pc, len, insn) {
            return Err(at(pc, rule));
        }
    }
    let last = len - 1;
    if !matches!(insns.get(last), Some(insn) if is_ret(insn.code)) {
        return Err(at(last, Rule::MissingReturn));
    }
    check_load_and_stores(insns)?;
    for (pc, insn) in insns.iter().enumerate() {
        if let Some(rule) = check_seccomp_insn(insn) {
            return Err(at(pc, rule));
        }
    }
    Ok(Validated::new_unchecked(insns))
}

/// Whether `code` is a `RET` the kernel accepts as the last instruction.
const fn is_ret(code: u16) -> bool {
    code == BPF_RET | BPF_K || code == BPF_RET | BPF_A
}

/// Every opcode on the kernel's classic-BPF allow-list (`chk_code_allowed`), in the kernel's table order.
pub const CLASSIC_OPCODES: [u16; 49] = [
    0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64,
    0x6c, 0x74, 0x7c, 0x84, 0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60, 0x81, 0xb1, 0x01, 0x61,
    0x02, 0x03, 0x07, 0x87, 0x06, 0x16, 0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d,
];

/// `chk_code_allowed`: the classic-BPF opcodes `bpf_check_classic` knows. Every other `u16` is refused,
/// including values that differ only in bits the instruction does not use.
pub const fn is_classic_opcode(code: u16) -> bool {
    matches!(
        code,
        // ALU with K and X, and NEG.
        0x04 | 0x0c | 0x14 | 0x1c | 0x24 | 0x2c | 0x34 | 0x3c | 0x94 | 0x9c | 0x54 | 0x5c | 0x44 | 0x4c
            | 0xa4 | 0xac | 0x64 | 0x6c | 0x74 | 0x7c | 0x84
            // LD: W/H/B ABS, W LEN, W/H/B IND, IMM, MEM.
            | 0x20 | 0x28 | 0x30 | 0x80 | 0x40 | 0x48 | 0x50 | 0x00 | 0x60
            // LDX: W LEN, B MSH, IMM, MEM.
            | 0x81 | 0xb1 | 0x01 | 0x61
            // ST, STX, TAX, TXA, RET K, RET A.
            | 0x02 | 0x03 | 0x07 | 0x87 | 0x06 | 0x16
            // JA, JEQ/JGE/JGT/JSET with K and X.
            | 0x05 | 0x15 | 0x1d | 0x35 | 0x3d | 0x25 | 0x2d | 0x45 | 0x4d
    )
}

/// The opcodes `seccomp_check_filter` lets through (a subset of [`is_classic_opcode`]); `LD|W|ABS` is also
/// subject to an offset check.
pub const fn is_seccomp_opcode(code: u16) -> bool {
    is_classic_opcode(code)
        && !matches!(
            code,
            // MOD K/X, LD H/B ABS, LD W/H/B IND, LDX B MSH.
            0x94 | 0x9c | 0x28 | 0x30 | 0x40 | 0x48 | 0x50 | 0xb1
        )
}

/// Whether `code` is a conditional jump (`JEQ`, `JGT`, `JGE`, `JSET` with K or X).
pub const fn is_conditional_jump(code: u16) -> bool {
    matches!(code, 0x15 | 0x1d | 0x35 | 0x3d | 0x25 | 0x2d | 0x45 | 0x4d)
}

/// `bpf_anc_helper`: whether an absolute load offset names one of the ancillary fields
/// `SKF_AD_PROTOCOL` .. `SKF_AD_VLAN_TPID`.
const fn is_known_ancillary(k: u32) -> bool {
    k >= SKF_AD_OFF && k - SKF_AD_OFF < SKF_AD_MAX && (k - SKF_AD_OFF).is_multiple_of(4)
}

/// The per-instruction checks of `bpf_check_classic`, in the kernel's order.
fn check_classic_insn(pc: usize, len: usize, insn: &SockFilter) -> Option<Rule> {
    let code = insn.code;
    let k = insn.k;
    if !is_classic_opcode(code) {
        return Some(Rule::UnknownOpcode { code });
    }
    const DIV_K: u16 = BPF_ALU | BPF_DIV | BPF_K;
    const MOD_K: u16 = BPF_ALU | BPF_MOD | BPF_K;
    const LSH_K: u16 = BPF_ALU | BPF_LSH | BPF_K;
    const RSH_K: u16 = BPF_ALU | BPF_RSH | BPF_K;
    const LD_MEM: u16 = BPF_LD | BPF_MEM;
    const LDX_MEM: u16 = BPF_LDX | BPF_MEM;
    const JA: u16 = BPF_JMP | BPF_JA;
    const LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
    const LD_H_ABS: u16 = BPF_LD | BPF_H | BPF_ABS;
    const LD_B_ABS: u16 = BPF_LD | BPF_B | BPF_ABS;
    match code {
        DIV_K | MOD_K if k == 0 => Some(Rule::DivisionByZero),
        LSH_K | RSH_K if k >= 32 => Some(Rule::ShiftTooLarge { k }),
        LD_MEM | LDX_MEM | BPF_ST | BPF_STX if k as usize >= BPF_MEMWORDS => {
            Some(Rule::ScratchIndexOutOfRange { k })
        }
        // The kernel's `k >= flen - pc - 1`, computed without overflow: pc < len.
        JA if k as u64 >= (len - pc - 1) as u64 => Some(Rule::JumpOutOfRange {
            target: pc as u64 + 1 + k as u64,
        }),
        _ if is_conditional_jump(code) => {
            let jt = pc + 1 + insn.jt as usize;
            let jf = pc + 1 + insn.jf as usize;
            if jt >= len {
                Some(Rule::BranchOutOfRange { target: jt })
            } else if jf >= len {
                Some(Rule::BranchOutOfRange { target: jf })
            } else {
                None
            }
        }
        LD_W_ABS | LD_H_ABS | LD_B_ABS if k >= SKF_AD_OFF && !is_known_ancillary(k) => {
            Some(Rule::UnknownAncillaryLoad { k })
        }
        _ => None,
    }
}

/// The per-instruction check of `seccomp_check_filter`.
fn check_seccomp_insn(insn: &SockFilter) -> Option<Rule> {
    let code = insn.code;
    if code == BPF_LD | BPF_W | BPF_ABS {
        if insn.k >= abi::offset::END || !insn.k.is_multiple_of(4) {
            return Some(Rule::DataOffsetOutOfRange { k: insn.k });
        }
        return None;
    }
    if !is_seccomp_opcode(code) {
        return Some(Rule::NotAllowedInSeccomp { code });
    }
    None
}

/// `check_load_and_stores`: the kernel's linear scratch-memory pass. Runs only after every instruction passed
/// [`check_classic_insn`], so jump targets are inside the program and memory indices are below 16 (the
/// accesses below are checked nevertheless, and treat a violation as the kernel would have earlier).
fn check_load_and_stores(insns: &[SockFilter]) -> Result<(), ValidationError> {
    let mut masks = [u16::MAX; BPF_MAXINSNS];
    let mut valid: u16 = 0;
    for (pc, insn) in insns.iter().enumerate() {
        valid &= masks.get(pc).copied().unwrap_or(u16::MAX);
        let cell_bit = 1u16.checked_shl(insn.k).unwrap_or(0);
        match insn.code {
            BPF_ST | BPF_STX => valid |= cell_bit,
            c if (c == BPF_LD | BPF_MEM || c == BPF_LDX | BPF_MEM) && valid & cell_bit == 0 => {
                return Err(ValidationError {
                    index: Some(pc),
                    rule: Rule::UninitializedScratch { cell: insn.k },
                });
            }
            c if c == BPF_JMP | BPF_JA => {
                let target = (pc as u64 + 1 + insn.k as u64) as usize;
                if let Some(mask) = masks.get_mut(target) {
                    *mask &= valid;
                }
                valid = u16::MAX;
            }
            c if is_conditional_jump(c) => {
                for off in [insn.jt, insn.jf] {
                    if let Some(mask) = masks.get_mut(pc + 1 + off as usize) {
                        *mask &= valid;
                    }
                }
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}
