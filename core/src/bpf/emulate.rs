//! The emulator: runs a validated program on a `seccomp_data` exactly as the kernel does.
//!
//! Semantics (the kernel converts classic BPF to eBPF and JITs it; these are the observable rules):
//! A, X and the 16 scratch cells are 32-bit and start at 0; arithmetic wraps; division is unsigned, and a
//! division by an X that is 0 ends the filter with return value 0 (`SECCOMP_RET_KILL_THREAD`); shifts by X
//! use `X & 31`; `ld len`/`ldx len` load 64, the size of `seccomp_data`; `ld [k]` loads the little-endian
//! 32-bit word at offset `k`; jumps are relative to the next instruction (`pc + 1 + offset`); `ret a` returns
//! A.
//!
//! Only [`Validated`] programs are accepted, so every jump lands inside the program, the last instruction is
//! a return, and every instruction is one seccomp allows. The loop still never indexes unchecked: a program
//! that somehow ran off its end would return `KILL_THREAD`, and the emulator never panics.

use super::Validated;
use super::insn::*;
use crate::abi::{SeccompData, SockFilter};
use crate::action::{Action, least_permissive};

/// The outcome of running one filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Emulation {
    /// The filter's return value.
    pub action: Action,
    /// How many instructions ran, the final `ret` (or the dividing instruction) included.
    pub executed: usize,
}

/// The word `ld [k]` loads from `data`, for a 4-aligned `k` below 64 (the validator guarantees both; other
/// values load 0). Equivalent to [`SeccompData::word_at`], written as field arithmetic for speed.
#[inline(always)]
fn load_word(data: &SeccompData, k: u32) -> u32 {
    let word = (k >> 2) as usize;
    match word {
        0 => data.nr as u32,
        1 => data.arch,
        2 => data.instruction_pointer as u32,
        3 => (data.instruction_pointer >> 32) as u32,
        _ => match data.args.get((word - 4) >> 1) {
            Some(arg) if word & 1 == 0 => *arg as u32,
            Some(arg) => (*arg >> 32) as u32,
            None => 0,
        },
    }
}

const LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
const LD_W_LEN: u16 = BPF_LD | BPF_W | BPF_LEN;
const LDX_W_LEN: u16 = BPF_LDX | BPF_W | BPF_LEN;
const LD_IMM: u16 = BPF_LD | BPF_IMM;
const LDX_IMM: u16 = BPF_LDX | BPF_IMM;
const LD_MEM: u16 = BPF_LD | BPF_MEM;
const LDX_MEM: u16 = BPF_LDX | BPF_MEM;
const TAX: u16 = BPF_MISC | BPF_TAX;
const TXA: u16 = BPF_MISC | BPF_TXA;
const RET_K: u16 = BPF_RET | BPF_K;
const RET_A: u16 = BPF_RET | BPF_A;
const ADD_K: u16 = BPF_ALU | BPF_ADD | BPF_K;
const ADD_X: u16 = BPF_ALU | BPF_ADD | BPF_X;
const SUB_K: u16 = BPF_ALU | BPF_SUB | BPF_K;
const SUB_X: u16 = BPF_ALU | BPF_SUB | BPF_X;
const MUL_K: u16 = BPF_ALU | BPF_MUL | BPF_K;
const MUL_X: u16 = BPF_ALU | BPF_MUL | BPF_X;
const DIV_K: u16 = BPF_ALU | BPF_DIV | BPF_K;
const DIV_X: u16 = BPF_ALU | BPF_DIV | BPF_X;
const AND_K: u16 = BPF_ALU | BPF_AND | BPF_K;
const AND_X: u16 = BPF_ALU | BPF_AND | BPF_X;
const OR_K: u16 = BPF_ALU | BPF_OR | BPF_K;
const OR_X: u16 = BPF_ALU | BPF_OR | BPF_X;
const XOR_K: u16 = BPF_ALU | BPF_XOR | BPF_K;
const XOR_X: u16 = BPF_ALU | BPF_XOR | BPF_X;
const LSH_K: u16 = BPF_ALU | BPF_LSH | BPF_K;
const LSH_X: u16 = BPF_ALU | BPF_LSH | BPF_X;
const RSH_K: u16 = BPF_ALU | BPF_RSH | BPF_K;
const RSH_X: u16 = BPF_ALU | BPF_RSH | BPF_X;
const NEG: u16 = BPF_ALU | BPF_NEG;
const JA: u16 = BPF_JMP | BPF_JA;
const JEQ_K: u16 = BPF_JMP | BPF_JEQ | BPF_K;
const JEQ_X: u16 = BPF_JMP | BPF_JEQ | BPF_X;
const JGT_K: u16 = BPF_JMP | BPF_JGT | BPF_K;
const JGT_X: u16 = BPF_JMP | BPF_JGT | BPF_X;
const JGE_K: u16 = BPF_JMP | BPF_JGE | BPF_K;
const JGE_X: u16 = BPF_JMP | BPF_JGE | BPF_X;
const JSET_K: u16 = BPF_JMP | BPF_JSET | BPF_K;
const JSET_X: u16 = BPF_JMP | BPF_JSET | BPF_X;

/// Runs `program` on `data` and returns its return value and the number of instructions executed.
///
/// Linear in the instructions executed (at most the program's length, as jumps only go forward); no
/// allocation; never panics.
pub fn emulate(program: &Validated<'_>, data: &SeccompData) -> Emulation {
    run(program, data, |_| {})
}

/// One step of a traced run: the state just before the instruction at `pc` executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    /// The instruction's index.
    pub pc: usize,
    /// The instruction.
    pub insn: SockFilter,
    /// The A register.
    pub a: u32,
    /// The X register.
    pub x: u32,
}

/// Like [`emulate`], calling `on_step` before each instruction executes: for tools that explain which path
/// a syscall takes through a filter.
pub fn trace(program: &Validated<'_>, data: &SeccompData, on_step: impl FnMut(&Step)) -> Emulation {
    run(program, data, on_step)
}

/// The interpreter; `on_step` is a no-op for [`emulate`], which the compiler removes.
#[inline(always)]
fn run(program: &Validated<'_>, data: &SeccompData, mut on_step: impl FnMut(&Step)) -> Emulation {
    let insns = program.insns();
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; 16];
    let mut pc: usize = 0;
    let mut executed: usize = 0;
    let done = |action: u32, executed: usize| Emulation {
        action: Action(action),
        executed,
    };
    while let Some(insn) = insns.get(pc) {
        on_step(&Step {
            pc,
            insn: *insn,
            a,
            x,
        });
        executed += 1;
        pc += 1;
        // Copy the instruction out: the jump offsets are then registers to choose between, not addresses
        // to load from after the comparison, which shortens the loop's dependency chain.
        let SockFilter { code, jt, jf, k } = *insn;
        let cond = |taken: bool| (if taken { jt } else { jf }) as usize;
        match code {
            LD_W_ABS => a = load_word(data, k),
            LD_W_LEN => a = 64,
            LDX_W_LEN => x = 64,
            LD_IMM => a = k,
            LDX_IMM => x = k,
            // The index is below 16 in a validated program; the mask keeps the access in bounds regardless.
            LD_MEM => a = mem[(k & 15) as usize],
            LDX_MEM => x = mem[(k & 15) as usize],
            BPF_ST => mem[(k & 15) as usize] = a,
            BPF_STX => mem[(k & 15) as usize] = x,
            TAX => x = a,
            TXA => a = x,
            ADD_K => a = a.wrapping_add(k),
            ADD_X => a = a.wrapping_add(x),
            SUB_K => a = a.wrapping_sub(k),
            SUB_X => a = a.wrapping_sub(x),
            MUL_K => a = a.wrapping_mul(k),
            MUL_X => a = a.wrapping_mul(x),
            // k is never 0 in a validated program; `checked_div` keeps a forged one from panicking.
            DIV_K => a = a.checked_div(k).unwrap_or(0),
            DIV_X => match a.checked_div(x) {
                Some(quotient) => a = quotient,
                None => return done(0, executed),
            },
            AND_K => a &= k,
            AND_X => a &= x,
            OR_K => a |= k,
            OR_X => a |= x,
            XOR_K => a ^= k,
            XOR_X => a ^= x,
            LSH_K => a = a.wrapping_shl(k),
            LSH_X => a = a.wrapping_shl(x & 31),
            RSH_K => a = a.wrapping_shr(k),
            RSH_X => a = a.wrapping_shr(x & 31),
            NEG => a = a.wrapping_neg(),
            JA => pc = pc.wrapping_add(k as usize),
            JEQ_K => pc += cond(a == k),
            JEQ_X => pc += cond(a == x),
            JGT_K => pc += cond(a > k),
            JGT_X => pc += cond(a > x),
            JGE_K => pc += cond(a >= k),
            JGE_X => pc += cond(a >= x),
            JSET_K => pc += cond(a & k != 0),
            JSET_X => pc += cond(a & x != 0),
            RET_K => return done(k, executed),
            RET_A => return done(a, executed),
            // Not reachable for a validated program.
            _ => return done(0, executed),
        }
    }
    // Not reachable for a validated program: its last instruction is a return.
    done(0, executed)
}

/// Runs a filter stack on `data` as `seccomp_run_filters` does and returns the composed action and the index
/// (in the given order) of the filter that produced it, `None` when every filter allowed.
///
/// `programs_newest_first` starts with the most recently installed filter, the order in which the kernel runs
/// them; see [`least_permissive`] for the composition. An empty stack allows.
pub fn emulate_stack(programs_newest_first: &[Validated<'_>], data: &SeccompData) -> (Action, Option<usize>) {
    least_permissive(
        programs_newest_first
            .iter()
            .map(|program| emulate(program, data).action),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::offset;

    #[test]
    fn load_word_agrees_with_word_at_for_every_valid_offset() {
        let data = SeccompData {
            nr: -7,
            arch: 0xc000_003e,
            instruction_pointer: 0x0102_0304_0506_0708,
            args: [
                0x1111_2222_3333_4444,
                0x5555_6666_7777_8888,
                0x9999_aaaa_bbbb_cccc,
                0xdddd_eeee_ffff_0000,
                0x0123_4567_89ab_cdef,
                0xfedc_ba98_7654_3210,
            ],
        };
        for k in (0..offset::END).step_by(4) {
            assert_eq!(Some(load_word(&data, k)), data.word_at(k), "offset {k}");
        }
    }
}
