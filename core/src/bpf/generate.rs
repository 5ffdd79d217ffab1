//! Deterministic generators of classic-BPF programs, for differential tests against the kernel and for
//! round-trip tests of the disassembler and assembler.
//!
//! Three flavors: [`valid`] programs that the kernel accepts by construction (they exercise every seccomp
//! instruction, jumps up to the 255 limit, scratch memory under the kernel's linear-pass rule, and junk in
//! fields the kernel ignores); [`near_miss`] programs, a valid program with exactly one rule broken (the
//! returned [`Mutation`] says which, and [`Mutation::rule_name`] names the rule the validator must report);
//! and [`garbage`], anything at all. Everything is driven by a seeded [`Rng`], so a seed reproduces a
//! program, and the generators fill a caller buffer without allocating.

use super::insn::*;
use super::validate::{CLASSIC_OPCODES, is_classic_opcode, is_conditional_jump};
use crate::abi::{self, BPF_MAXINSNS, SockFilter};
use crate::rng::Rng;

/// What kind of program to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Accepted by the kernel.
    Valid,
    /// A valid program with one rule broken: refused by the kernel.
    NearMiss,
    /// Random instructions, mostly refused.
    Garbage,
}

/// The rule a near-miss program breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mutation {
    /// No instruction at all.
    Empty,
    /// 4097 instructions (only when the buffer holds that many).
    TooLong,
    /// One instruction gets an opcode outside the classic allow-list.
    UnknownOpcode,
    /// `div #0` or `mod #0`.
    DivisionByZero,
    /// `lsh` or `rsh` by a constant of 32 or more.
    ShiftTooLarge,
    /// A scratch load or store with an index of 16 or more.
    ScratchIndexOutOfRange,
    /// A `ja` one past the end or further.
    JumpOutOfRange,
    /// A conditional jump with a target past the end.
    BranchOutOfRange,
    /// An absolute load at or above `SKF_AD_OFF` that is no known ancillary field.
    UnknownAncillaryLoad,
    /// The last instruction is not a `ret`.
    MissingReturn,
    /// A scratch load of a cell the kernel's linear pass does not consider written.
    UninitializedScratch,
    /// The documented shape that is safe on every path but refused by the linear pass.
    LinearPassQuirk,
    /// `ld [k]` with `k` misaligned, at least 64, or an ancillary field.
    DataOffsetOutOfRange,
    /// A classic instruction seccomp does not allow (`mod`, `ldh`, `ldb`, indirect loads, `ldx 4*([k]&0xf)`).
    NotAllowedInSeccomp,
}

impl Mutation {
    /// Every mutation.
    pub const ALL: [Mutation; 14] = [
        Mutation::Empty,
        Mutation::TooLong,
        Mutation::UnknownOpcode,
        Mutation::DivisionByZero,
        Mutation::ShiftTooLarge,
        Mutation::ScratchIndexOutOfRange,
        Mutation::JumpOutOfRange,
        Mutation::BranchOutOfRange,
        Mutation::UnknownAncillaryLoad,
        Mutation::MissingReturn,
        Mutation::UninitializedScratch,
        Mutation::LinearPassQuirk,
        Mutation::DataOffsetOutOfRange,
        Mutation::NotAllowedInSeccomp,
    ];

    /// The [`Rule::name`](super::Rule::name) the validator reports for a program with this mutation.
    pub const fn rule_name(self) -> &'static str {
        match self {
            Mutation::Empty => "empty",
            Mutation::TooLong => "too_long",
            Mutation::UnknownOpcode => "unknown_opcode",
            Mutation::DivisionByZero => "division_by_zero",
            Mutation::ShiftTooLarge => "shift_too_large",
            Mutation::ScratchIndexOutOfRange => "scratch_index_out_of_range",
            Mutation::JumpOutOfRange => "jump_out_of_range",
            Mutation::BranchOutOfRange => "branch_out_of_range",
            Mutation::UnknownAncillaryLoad => "unknown_ancillary_load",
            Mutation::MissingReturn => "missing_return",
            Mutation::UninitializedScratch | Mutation::LinearPassQuirk => "uninitialized_scratch",
            Mutation::DataOffsetOutOfRange => "data_offset_out_of_range",
            Mutation::NotAllowedInSeccomp => "not_allowed_in_seccomp",
        }
    }
}

/// A generated program: its length in the caller's buffer, and for a near miss the rule it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Generated {
    /// The number of instructions written to the front of the buffer.
    pub len: usize,
    /// The broken rule, for [`Flavor::NearMiss`].
    pub mutation: Option<Mutation>,
}

/// Generates a program of the given flavor into `buf` (see [`valid`], [`near_miss`], [`garbage`]).
pub fn program(rng: &mut Rng, flavor: Flavor, buf: &mut [SockFilter]) -> Generated {
    match flavor {
        Flavor::Valid => Generated {
            len: valid(rng, buf),
            mutation: None,
        },
        Flavor::NearMiss => near_miss(rng, buf),
        Flavor::Garbage => Generated {
            len: garbage(rng, buf),
            mutation: None,
        },
    }
}

/// The largest program the generators build (one more than the kernel's limit, for [`Mutation::TooLong`]).
const MAX_GEN: usize = BPF_MAXINSNS + 1;

/// A length for a valid program: mostly short, sometimes long enough for far jumps, rarely the maximum.
fn pick_len(rng: &mut Rng, max: usize) -> usize {
    let len = match rng.below(100) {
        0..60 => rng.range(1, 16),
        60..85 => rng.range(1, 64),
        85..96 => rng.range(64, 600),
        _ => rng.range(600, BPF_MAXINSNS as u64),
    } as usize;
    len.min(max)
}

/// A constant operand: small numbers, syscall-number-like values, action-like values or anything.
fn pick_k(rng: &mut Rng) -> u32 {
    match rng.below(10) {
        0..4 => rng.below(16) as u32,
        4..6 => rng.below(500) as u32,
        6..8 => pick_action(rng),
        _ => rng.next_u32(),
    }
}

/// A `ret` value: the defined actions with random data, or anything.
fn pick_action(rng: &mut Rng) -> u32 {
    let data = if rng.chance(50) {
        rng.below(8) as u32
    } else {
        rng.below(0x1_0000) as u32
    };
    match rng.below(10) {
        0 => abi::RET_ALLOW,
        1 => abi::RET_KILL_PROCESS,
        2 => abi::RET_KILL_THREAD,
        3 => abi::RET_ERRNO | data,
        4 => abi::RET_TRAP | data,
        5 => abi::RET_TRACE | data,
        6 => abi::RET_LOG,
        7 => abi::RET_USER_NOTIF,
        8 => abi::RET_ALLOW | data,
        _ => rng.next_u32(),
    }
}

/// A jump offset in `0..=max`: mostly 0 or small, sometimes exactly `max`.
fn pick_offset(rng: &mut Rng, max: u64) -> u64 {
    match rng.below(10) {
        0..4 => 0,
        4..7 => rng.below(max.min(4) + 1),
        7 => max,
        _ => rng.below(max + 1),
    }
}

/// The ALU operations seccomp allows (all but `MOD`; `NEG` is handled apart).
const SECCOMP_ALU_OPS: [u16; 9] = [
    BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH,
];
/// The conditional jump operations.
const COND_OPS: [u16; 4] = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];

/// Opcodes whose `k` the kernel ignores.
const fn ignores_k(code: u16) -> bool {
    matches!(code, 0x80 | 0x81 | 0x84 | 0x07 | 0x87 | 0x16)
        || (class(code) == BPF_ALU && src(code) == BPF_X)
        || (class(code) == BPF_JMP && code != BPF_JMP | BPF_JA && src(code) == BPF_X)
}

/// Puts random values into fields the kernel ignores, now and then.
fn add_junk(rng: &mut Rng, insn: &mut SockFilter) {
    if !is_conditional_jump(insn.code) && rng.chance(4) {
        insn.jt = rng.next_u32() as u8;
        insn.jf = rng.next_u32() as u8;
    }
    if ignores_k(insn.code) && rng.chance(4) {
        insn.k = pick_k(rng);
    }
}

/// One non-jump, non-memory, non-return instruction that seccomp accepts.
fn plain_insn(rng: &mut Rng) -> SockFilter {
    match rng.below(12) {
        0..4 => SockFilter::load_data(4 * rng.below(16) as u32),
        4 => SockFilter::stmt(BPF_LD | BPF_IMM, pick_k(rng)),
        5 => SockFilter::stmt(BPF_LDX | BPF_IMM, pick_k(rng)),
        6 => SockFilter::stmt(BPF_LD | BPF_W | BPF_LEN, 0),
        7 => SockFilter::stmt(BPF_LDX | BPF_W | BPF_LEN, 0),
        8 => SockFilter::stmt(BPF_MISC | if rng.chance(50) { BPF_TAX } else { BPF_TXA }, 0),
        9 => SockFilter::stmt(BPF_ALU | BPF_NEG, 0),
        _ => {
            let op = rng.pick(&SECCOMP_ALU_OPS);
            if rng.chance(40) {
                SockFilter::stmt(BPF_ALU | op | BPF_X, 0)
            } else {
                let k = match op {
                    BPF_DIV => pick_k(rng).max(1),
                    BPF_LSH | BPF_RSH => rng.below(32) as u32,
                    _ => pick_k(rng),
                };
                SockFilter::stmt(BPF_ALU | op | BPF_K, k)
            }
        }
    }
}

/// Fills `out` with a valid program, tracking the kernel's linear scratch-memory pass so that every load
/// reads a cell the pass considers written. When `valid_at` is given, it receives the pass's set of written
/// cells at every instruction (before the instruction runs).
fn fill_valid(rng: &mut Rng, out: &mut [SockFilter], mut valid_at: Option<&mut [u16]>) {
    let n = out.len().min(MAX_GEN);
    let mut masks = [u16::MAX; MAX_GEN];
    let mut valid: u16 = 0;
    for pc in 0..n {
        valid &= masks.get(pc).copied().unwrap_or(u16::MAX);
        if let Some(slot) = valid_at.as_deref_mut().and_then(|v| v.get_mut(pc)) {
            *slot = valid;
        }
        let remaining = (n - pc - 1) as u64;
        let mut insn = if remaining == 0 {
            if rng.chance(85) {
                SockFilter::ret(pick_action(rng))
            } else {
                SockFilter::stmt(BPF_RET | BPF_A, 0)
            }
        } else {
            match rng.below(100) {
                0..30 => plain_insn(rng),
                30..37 => {
                    let cell = rng.below(16) as u32;
                    valid |= 1 << cell;
                    SockFilter::stmt(if rng.chance(50) { BPF_ST } else { BPF_STX }, cell)
                }
                37..45 if valid != 0 => {
                    let mut cell = rng.below(16) as u32;
                    while valid & (1 << cell) == 0 {
                        cell = (cell + 1) % 16;
                    }
                    let code = if rng.chance(50) {
                        BPF_LD | BPF_MEM
                    } else {
                        BPF_LDX | BPF_MEM
                    };
                    SockFilter::stmt(code, cell)
                }
                37..45 => plain_insn(rng),
                45..75 => {
                    let max = remaining.saturating_sub(1).min(255);
                    let jt = pick_offset(rng, max);
                    let jf = pick_offset(rng, max);
                    for off in [jt, jf] {
                        if let Some(mask) = masks.get_mut(pc + 1 + off as usize) {
                            *mask &= valid;
                        }
                    }
                    valid = u16::MAX;
                    let code = BPF_JMP | rng.pick(&COND_OPS) | if rng.chance(25) { BPF_X } else { BPF_K };
                    SockFilter::jump(
                        code,
                        if src(code) == BPF_X { 0 } else { pick_k(rng) },
                        jt as u8,
                        jf as u8,
                    )
                }
                75..82 => {
                    let k = pick_offset(rng, remaining - 1);
                    if let Some(mask) = masks.get_mut(pc + 1 + k as usize) {
                        *mask &= valid;
                    }
                    valid = u16::MAX;
                    SockFilter::stmt(BPF_JMP | BPF_JA, k as u32)
                }
                82..90 => SockFilter::ret(pick_action(rng)),
                90..92 => SockFilter::stmt(BPF_RET | BPF_A, 0),
                _ => plain_insn(rng),
            }
        };
        add_junk(rng, &mut insn);
        if let Some(slot) = out.get_mut(pc) {
            *slot = insn;
        }
    }
}

/// Generates a program the kernel accepts into the front of `buf` and returns its length (0 only when `buf`
/// is empty).
pub fn valid(rng: &mut Rng, buf: &mut [SockFilter]) -> usize {
    let len = pick_len(rng, buf.len().min(BPF_MAXINSNS));
    if let Some(out) = buf.get_mut(..len) {
        fill_valid(rng, out, None);
    }
    len
}

/// Generates a valid program with exactly one rule broken into the front of `buf`.
///
/// The mutation is chosen at random among [`Mutation::ALL`]; one that `buf` is too small for
/// ([`Mutation::TooLong`] needs 4097 instructions) is replaced by [`Mutation::DivisionByZero`].
pub fn near_miss(rng: &mut Rng, buf: &mut [SockFilter]) -> Generated {
    let mutation = rng.pick(&Mutation::ALL);
    near_miss_with(rng, mutation, buf)
}

/// Like [`near_miss`], with the mutation chosen by the caller.
pub fn near_miss_with(rng: &mut Rng, mutation: Mutation, buf: &mut [SockFilter]) -> Generated {
    let capacity = buf.len().min(MAX_GEN);
    let fallback = |rng: &mut Rng, buf: &mut [SockFilter]| near_miss_with(rng, Mutation::DivisionByZero, buf);
    match mutation {
        Mutation::Empty => {
            return Generated {
                len: 0,
                mutation: Some(mutation),
            };
        }
        Mutation::TooLong if capacity > BPF_MAXINSNS => {
            if let Some(out) = buf.get_mut(..MAX_GEN) {
                fill_valid(rng, out, None);
            }
            return Generated {
                len: MAX_GEN,
                mutation: Some(mutation),
            };
        }
        Mutation::LinearPassQuirk if capacity >= 10 => {
            let len = linear_pass_quirk(rng, buf);
            return Generated {
                len,
                mutation: Some(mutation),
            };
        }
        Mutation::TooLong | Mutation::LinearPassQuirk => return fallback(rng, buf),
        _ if capacity < 2 => return fallback_tiny(rng, mutation, buf),
        _ => {}
    }
    let n = pick_len(rng, capacity.min(BPF_MAXINSNS)).max(2);
    let mut valid_at = [0u16; MAX_GEN];
    let Some(out) = buf.get_mut(..n) else {
        return fallback_tiny(rng, mutation, buf);
    };
    fill_valid(rng, out, Some(&mut valid_at));
    let any = rng.below(n as u64) as usize;
    let last = n - 1;
    let set = |out: &mut [SockFilter], pc: usize, insn: SockFilter| {
        if let Some(slot) = out.get_mut(pc) {
            *slot = insn;
        }
    };
    match mutation {
        Mutation::UnknownOpcode => {
            let mut code = rng.next_u32() as u16;
            if rng.chance(70) {
                code &= 0xff;
            }
            while is_classic_opcode(code) {
                code = code.wrapping_add(1 + rng.below(7) as u16);
            }
            set(
                out,
                any,
                SockFilter::jump(code, pick_k(rng), rng.next_u32() as u8, rng.next_u32() as u8),
            );
        }
        Mutation::DivisionByZero => {
            let op = if rng.chance(70) { BPF_DIV } else { BPF_MOD };
            set(out, any, SockFilter::stmt(BPF_ALU | op | BPF_K, 0));
        }
        Mutation::ShiftTooLarge => {
            let op = if rng.chance(50) { BPF_LSH } else { BPF_RSH };
            let k = if rng.chance(50) {
                32 + rng.below(4) as u32
            } else {
                rng.next_u32().max(32)
            };
            set(out, any, SockFilter::stmt(BPF_ALU | op | BPF_K, k));
        }
        Mutation::ScratchIndexOutOfRange => {
            let code = rng.pick(&[BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX]);
            let k = if rng.chance(50) {
                16 + rng.below(4) as u32
            } else {
                rng.next_u32().max(16)
            };
            set(out, any, SockFilter::stmt(code, k));
        }
        Mutation::JumpOutOfRange => {
            let first_bad = (n - any - 1) as u32;
            let k = match rng.below(4) {
                0 => u32::MAX,
                1 => first_bad.saturating_add(rng.below(300) as u32),
                _ => first_bad,
            };
            set(out, any, SockFilter::stmt(BPF_JMP | BPF_JA, k));
        }
        Mutation::BranchOutOfRange => {
            // A position close enough to the end for an 8-bit offset to reach past it.
            let pc = rng.range(n.saturating_sub(256) as u64, last as u64) as usize;
            let first_bad = (n - pc - 1) as u64;
            let bad = rng.range(first_bad, 255) as u8;
            let good = pick_offset(rng, first_bad.saturating_sub(1)) as u8;
            let (jt, jf) = if rng.chance(50) { (bad, good) } else { (good, bad) };
            let code = BPF_JMP | rng.pick(&COND_OPS) | if rng.chance(25) { BPF_X } else { BPF_K };
            set(out, pc, SockFilter::jump(code, pick_k(rng), jt, jf));
        }
        Mutation::UnknownAncillaryLoad => {
            let off = match rng.below(3) {
                0 => 64 + rng.below(0x1000 - 64) as u32,
                1 => 4 * rng.below(16) as u32 + 1 + rng.below(3) as u32,
                _ => 0xfff,
            };
            let code = BPF_LD | BPF_ABS | rng.pick(&[BPF_W, BPF_H, BPF_B]);
            set(out, any, SockFilter::stmt(code, 0xffff_f000 + off));
        }
        Mutation::MissingReturn => {
            let insn = if rng.chance(20) {
                // Refused by seccomp too, but the missing return is detected first.
                SockFilter::stmt(BPF_LD | BPF_H | BPF_ABS, 2)
            } else {
                plain_insn(rng)
            };
            set(out, last, insn);
        }
        Mutation::UninitializedScratch => {
            // Positions before the last whose set of written cells is not full; position 0 always qualifies.
            let mut pc = rng.below(last as u64) as usize;
            while valid_at.get(pc).is_some_and(|v| *v == u16::MAX) {
                pc = pc.saturating_sub(1);
            }
            let written = valid_at.get(pc).copied().unwrap_or(0);
            let mut cell = rng.below(16) as u32;
            while written & (1 << cell) != 0 {
                cell = (cell + 1) % 16;
            }
            let code = if rng.chance(50) {
                BPF_LD | BPF_MEM
            } else {
                BPF_LDX | BPF_MEM
            };
            set(out, pc, SockFilter::stmt(code, cell));
        }
        Mutation::DataOffsetOutOfRange | Mutation::NotAllowedInSeccomp => {
            // Replacing a store or a jump could break the scratch-memory rule first, and replacing the last
            // instruction would break the return rule first: look for another position.
            let start = rng.below(last as u64) as usize;
            let Some(pc) = (0..last)
                .map(|i| (start + i) % last)
                .find(|pc| out.get(*pc).is_some_and(|insn| !changes_linear_pass(insn.code)))
            else {
                return fallback(rng, buf);
            };
            let insn = if mutation == Mutation::DataOffsetOutOfRange {
                let k = match rng.below(4) {
                    0 => 64 + rng.below(1000) as u32,
                    1 => 4 * rng.below(16) as u32 + 1 + rng.below(3) as u32,
                    2 => 0xffff_f000 + 4 * rng.below(16) as u32,
                    _ => rng.range(64, 0xffff_efff) as u32,
                };
                SockFilter::load_data(k)
            } else {
                match rng.below(6) {
                    0 => SockFilter::stmt(BPF_ALU | BPF_MOD | BPF_K, pick_k(rng).max(1)),
                    1 => SockFilter::stmt(BPF_ALU | BPF_MOD | BPF_X, 0),
                    2 => SockFilter::stmt(BPF_LD | rng.pick(&[BPF_H, BPF_B]) | BPF_ABS, rng.below(64) as u32),
                    3 => SockFilter::stmt(BPF_LD | BPF_ABS | BPF_H, 0xffff_f000 + 4 * rng.below(16) as u32),
                    4 => SockFilter::stmt(BPF_LD | BPF_IND | rng.pick(&[BPF_W, BPF_H, BPF_B]), pick_k(rng)),
                    _ => SockFilter::stmt(BPF_LDX | BPF_B | BPF_MSH, pick_k(rng)),
                }
            };
            set(out, pc, insn);
        }
        Mutation::Empty | Mutation::TooLong | Mutation::LinearPassQuirk => {}
    }
    Generated {
        len: n,
        mutation: Some(mutation),
    }
}

/// Whether replacing an instruction with this opcode could change the kernel's scratch-memory pass.
const fn changes_linear_pass(code: u16) -> bool {
    code == BPF_ST || code == BPF_STX || class(code) == BPF_JMP
}

/// A near miss in a one-instruction buffer: the mutation at the only instruction, or `DivisionByZero` when
/// the mutation needs room.
fn fallback_tiny(rng: &mut Rng, mutation: Mutation, buf: &mut [SockFilter]) -> Generated {
    let (insn, mutation) = match mutation {
        Mutation::MissingReturn => (plain_insn(rng), mutation),
        Mutation::JumpOutOfRange => (SockFilter::stmt(BPF_JMP | BPF_JA, 0), mutation),
        Mutation::UninitializedScratch | Mutation::ScratchIndexOutOfRange => (
            SockFilter::stmt(BPF_LD | BPF_MEM, 16),
            Mutation::ScratchIndexOutOfRange,
        ),
        _ => (
            SockFilter::stmt(BPF_ALU | BPF_DIV | BPF_K, 0),
            Mutation::DivisionByZero,
        ),
    };
    match buf.first_mut() {
        Some(slot) => {
            *slot = insn;
            Generated {
                len: 1,
                mutation: Some(mutation),
            }
        }
        None => Generated {
            len: 0,
            mutation: Some(Mutation::Empty),
        },
    }
}

/// The linear-pass quirk with random details: a prefix of plain instructions, then
/// `j?? #k, 1, 3; st M[c]; ja +1; ret #a; ld M[c]; ret #b`. Needs 10 instructions of room.
fn linear_pass_quirk(rng: &mut Rng, buf: &mut [SockFilter]) -> usize {
    let prefix = rng.below(5) as usize;
    let cell = rng.below(16) as u32;
    let mut len = 0;
    let mut push = |insn: SockFilter| {
        if let Some(slot) = buf.get_mut(len) {
            *slot = insn;
            len += 1;
        }
    };
    for _ in 0..prefix {
        push(plain_insn(rng));
    }
    let (jt, jf) = if rng.chance(50) { (0, 2) } else { (2, 0) };
    push(SockFilter::jump(
        BPF_JMP | rng.pick(&COND_OPS) | BPF_K,
        pick_k(rng),
        jt,
        jf,
    ));
    push(SockFilter::stmt(
        if rng.chance(50) { BPF_ST } else { BPF_STX },
        cell,
    ));
    push(SockFilter::stmt(BPF_JMP | BPF_JA, 1));
    push(SockFilter::ret(pick_action(rng)));
    push(SockFilter::stmt(
        if rng.chance(50) { BPF_LD } else { BPF_LDX } | BPF_MEM,
        cell,
    ));
    push(SockFilter::ret(pick_action(rng)));
    len
}

/// Generates random instructions into the front of `buf` and returns how many: classic opcodes with random
/// operands, seccomp instructions with random jump offsets, and arbitrary 16-bit opcodes. Usually ends with
/// a `ret`, so that later checks get exercised too. Between 0 and 300 instructions.
pub fn garbage(rng: &mut Rng, buf: &mut [SockFilter]) -> usize {
    let len = match rng.below(100) {
        0..2 => 0,
        2..50 => rng.range(1, 8),
        50..92 => rng.range(1, 64),
        _ => rng.range(64, 300),
    } as usize;
    let len = len.min(buf.len());
    for pc in 0..len {
        let small_offset = |rng: &mut Rng| {
            if rng.chance(70) {
                rng.below(((len - pc) as u64).min(256)) as u8
            } else {
                rng.next_u32() as u8
            }
        };
        let insn = if pc + 1 == len && rng.chance(60) {
            SockFilter::ret(pick_action(rng))
        } else {
            match rng.below(100) {
                0..45 => {
                    let code = rng.pick(&CLASSIC_OPCODES);
                    let k = if class(code) == BPF_JMP && rng.chance(50) {
                        rng.below((len - pc) as u64 + 2) as u32
                    } else {
                        pick_k(rng)
                    };
                    let (jt, jf) = if rng.chance(70) {
                        (small_offset(rng), small_offset(rng))
                    } else {
                        (0, 0)
                    };
                    SockFilter::jump(code, k, jt, jf)
                }
                45..70 => {
                    let mut insn = plain_insn(rng);
                    add_junk(rng, &mut insn);
                    insn
                }
                70..85 => SockFilter::jump(
                    rng.below(0x100) as u16,
                    pick_k(rng),
                    small_offset(rng),
                    small_offset(rng),
                ),
                _ => SockFilter::jump(
                    rng.next_u32() as u16,
                    rng.next_u32(),
                    rng.next_u32() as u8,
                    rng.next_u32() as u8,
                ),
            }
        };
        if let Some(slot) = buf.get_mut(pc) {
            *slot = insn;
        }
    }
    len
}
