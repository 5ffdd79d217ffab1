//! The disassembler: one line per instruction, in a syntax that [`asm`](super::asm) reads back into the
//! same bytes.
//!
//! ```text
//!    0: ld [arch]
//!    1: jeq #0xc000003e, 2, 5
//!    2: ld [nr]
//!    3: jeq #59, 4, 5
//!    4: ret ERRNO(1)
//!    5: ret ALLOW
//! ```
//!
//! Each line is the instruction's index, a colon, and the instruction. Jump targets are absolute instruction
//! indices (`pc + 1 + offset`). Constants below 4096 are decimal, larger ones hexadecimal. Loads from
//! `seccomp_data` name the field (`nr`, `arch`, `ip.lo`, `ip.hi`, `args[0].lo` .. `args[5].hi`); returns
//! name the action (`ALLOW`, `LOG`, `USER_NOTIF`, `KILL_PROCESS`, `KILL_THREAD`, `ERRNO(n)`, `TRAP(n)`,
//! `TRACE(n)`), or show the value (`ret #0x12340000`) when it is none of those.
//!
//! | syntax | instruction |
//! | --- | --- |
//! | `ld [k]`, `ldh [k]`, `ldb [k]` | absolute load (word, half word, byte) |
//! | `ld [x + k]`, `ldh [x + k]`, `ldb [x + k]` | indirect load |
//! | `ld #k`, `ldx #k` | immediate |
//! | `ld M[k]`, `ldx M[k]`, `st M[k]`, `stx M[k]` | scratch memory |
//! | `ld len`, `ldx len` | data length |
//! | `ldx 4*([k]&0xf)` | IP header length |
//! | `add #k`, `add x`, likewise `sub mul div mod and or xor lsh rsh`; `neg` | ALU |
//! | `tax`, `txa` | register transfer |
//! | `ja t`, `jeq #k, t, f`, `jeq x, t, f`, likewise `jgt jge jset` | jumps |
//! | `ret #k`, `ret ACTION`, `ret a` | return |
//! | `.insn code, jt, jf, k` | any 8 bytes, raw |
//!
//! An instruction is shown in its pretty form only when that form says everything about its bytes: the
//! opcode is on the kernel's classic list, `jt` and `jf` are 0 unless it is a conditional jump, and `k` is 0
//! where the instruction has no constant. Anything else (a hostile or corrupted file, say) is shown raw, as
//! `.insn`, with a comment saying why, so every possible 8 bytes disassembles, and nothing panics.

use super::insn::*;
use super::validate::{is_classic_opcode, is_conditional_jump};
use crate::abi::{self, SockFilter};
use crate::action::{Action, ActionKind};
use core::fmt::{self, Write};

/// Writes a constant: decimal below 4096, hexadecimal from there.
pub(crate) fn write_number(out: &mut impl Write, value: u64) -> fmt::Result {
    if value < 4096 {
        write!(out, "{value}")
    } else {
        write!(out, "{value:#x}")
    }
}

/// The name of the `seccomp_data` field at a 4-aligned offset below 64.
pub(crate) fn field_name(out: &mut impl Write, k: u32) -> Result<bool, fmt::Error> {
    if !k.is_multiple_of(4) || k >= abi::offset::END {
        return Ok(false);
    }
    match k {
        0 => out.write_str("nr")?,
        4 => out.write_str("arch")?,
        8 => out.write_str("ip.lo")?,
        12 => out.write_str("ip.hi")?,
        _ => {
            let index = (k - 16) / 8;
            let half = if (k - 16).is_multiple_of(8) { "lo" } else { "hi" };
            write!(out, "args[{index}].{half}")?;
        }
    }
    Ok(true)
}

/// Writes a `ret #k` operand: the action's name when the value is a defined action whose name says
/// everything about it.
fn write_action(out: &mut impl Write, k: u32) -> fmt::Result {
    let action = Action(k);
    let dataless = action.data() == 0;
    match action.kind() {
        ActionKind::Allow if dataless => out.write_str("ALLOW"),
        ActionKind::Log if dataless => out.write_str("LOG"),
        ActionKind::Notify if dataless => out.write_str("USER_NOTIF"),
        ActionKind::KillProcess if dataless => out.write_str("KILL_PROCESS"),
        ActionKind::KillThread if dataless => out.write_str("KILL_THREAD"),
        ActionKind::Errno(data) => write!(out, "ERRNO({data})"),
        ActionKind::Trap(data) => write!(out, "TRAP({data})"),
        ActionKind::Trace(data) => write!(out, "TRACE({data})"),
        _ => {
            out.write_char('#')?;
            write_number(out, k as u64)
        }
    }
}

/// The mnemonic of an ALU operation (`op` bits).
pub(crate) const fn alu_name(op: u16) -> &'static str {
    match op {
        BPF_ADD => "add",
        BPF_SUB => "sub",
        BPF_MUL => "mul",
        BPF_DIV => "div",
        BPF_OR => "or",
        BPF_AND => "and",
        BPF_LSH => "lsh",
        BPF_RSH => "rsh",
        BPF_MOD => "mod",
        BPF_XOR => "xor",
        _ => "neg",
    }
}

/// The mnemonic of a conditional jump (`op` bits).
pub(crate) const fn jump_name(op: u16) -> &'static str {
    match op {
        BPF_JEQ => "jeq",
        BPF_JGT => "jgt",
        BPF_JGE => "jge",
        _ => "jset",
    }
}

/// Why an instruction must be shown raw, or `None` when its pretty form round-trips.
fn raw_reason(insn: &SockFilter) -> Option<&'static str> {
    let code = insn.code;
    if !is_classic_opcode(code) {
        return Some("not a classic BPF opcode");
    }
    if !is_conditional_jump(code) && (insn.jt != 0 || insn.jf != 0) {
        return Some("jt/jf set on an instruction that ignores them");
    }
    let has_k = !(matches!(code, 0x80 | 0x81 | 0x84 | 0x07 | 0x87 | 0x16)
        || (class(code) == BPF_ALU && src(code) == BPF_X)
        || (class(code) == BPF_JMP && code != BPF_JMP | BPF_JA && src(code) == BPF_X));
    if !has_k && insn.k != 0 {
        return Some("k set on an instruction that ignores it");
    }
    None
}

/// Writes one instruction (without index or newline). `index` and `len` serve jump targets and comments.
pub fn write_insn(out: &mut impl Write, index: usize, len: usize, insn: &SockFilter) -> fmt::Result {
    let code = insn.code;
    let k = insn.k;
    if let Some(reason) = raw_reason(insn) {
        write!(
            out,
            ".insn {code:#06x}, {}, {}, {k:#x}  ; {reason}",
            insn.jt, insn.jf
        )?;
        return Ok(());
    }
    let target = |offset: u64| index as u64 + 1 + offset;
    let num = |out: &mut _, value: u32| write_number(out, value as u64);
    match class(code) {
        BPF_LD | BPF_LDX => {
            let name = match (class(code), size(code)) {
                (BPF_LDX, _) => "ldx",
                (_, BPF_H) => "ldh",
                (_, BPF_B) => "ldb",
                _ => "ld",
            };
            out.write_str(name)?;
            match mode(code) {
                BPF_ABS => {
                    out.write_str(" [")?;
                    if size(code) != BPF_W || !field_name(out, k)? {
                        num(out, k)?;
                    }
                    out.write_char(']')?;
                }
                BPF_IND => {
                    out.write_str(" [x + ")?;
                    num(out, k)?;
                    out.write_char(']')?;
                }
                BPF_MSH => {
                    out.write_str(" 4*([")?;
                    num(out, k)?;
                    out.write_str("]&0xf)")?;
                }
                BPF_MEM => {
                    out.write_str(" M[")?;
                    num(out, k)?;
                    out.write_char(']')?;
                }
                BPF_LEN => out.write_str(" len")?,
                _ => {
                    out.write_str(" #")?;
                    num(out, k)?;
                }
            }
        }
        BPF_ST | BPF_STX => {
            out.write_str(if class(code) == BPF_ST { "st M[" } else { "stx M[" })?;
            num(out, k)?;
            out.write_char(']')?;
        }
        BPF_ALU => {
            out.write_str(alu_name(op(code)))?;
            if op(code) != BPF_NEG {
                if src(code) == BPF_X {
                    out.write_str(" x")?;
                } else {
                    out.write_str(" #")?;
                    num(out, k)?;
                }
            }
        }
        BPF_MISC => out.write_str(if miscop(code) == BPF_TAX { "tax" } else { "txa" })?,
        BPF_RET => {
            if rval(code) == BPF_A {
                out.write_str("ret a")?;
            } else {
                out.write_str("ret ")?;
                write_action(out, k)?;
            }
        }
        _ if code == BPF_JMP | BPF_JA => {
            out.write_str("ja ")?;
            write_number(out, target(k as u64))?;
            if target(k as u64) >= len as u64 {
                out.write_str("  ; target outside the program")?;
            }
        }
        _ => {
            out.write_str(jump_name(op(code)))?;
            if src(code) == BPF_X {
                out.write_str(" x, ")?;
            } else {
                out.write_str(" #")?;
                num(out, k)?;
                out.write_str(", ")?;
            }
            let (jt, jf) = (target(insn.jt as u64), target(insn.jf as u64));
            write!(out, "{jt}, {jf}")?;
            if jt.max(jf) >= len as u64 {
                out.write_str("  ; target outside the program")?;
            }
        }
    }
    Ok(())
}

/// Writes the listing of `insns`: one line per instruction, `index: instruction`, each ended by a newline.
pub fn disassemble(out: &mut impl Write, insns: &[SockFilter]) -> fmt::Result {
    for (index, insn) in insns.iter().enumerate() {
        write!(out, "{index:>4}: ")?;
        write_insn(out, index, insns.len(), insn)?;
        out.write_char('\n')?;
    }
    Ok(())
}

/// A [`Display`](fmt::Display) wrapper: `format!("{}", Listing(&insns))` is the [`disassemble`] output.
#[derive(Clone, Copy, Debug)]
pub struct Listing<'a>(pub &'a [SockFilter]);

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        disassemble(f, self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Line(usize, usize, SockFilter);

    impl fmt::Display for Line {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_insn(f, self.0, self.1, &self.2)
        }
    }

    #[test]
    fn every_seccomp_data_offset_has_a_field_name() {
        use std::string::String;
        let mut names = std::vec::Vec::new();
        for k in (0..64).step_by(4) {
            let mut s = String::new();
            assert!(field_name(&mut s, k).unwrap());
            names.push(s);
        }
        assert_eq!(names[2], "ip.lo");
        assert_eq!(names[4], "args[0].lo");
        assert_eq!(names[15], "args[5].hi");
        let mut s = String::new();
        assert!(!field_name(&mut s, 64).unwrap() && !field_name(&mut s, 2).unwrap() && s.is_empty());
        assert_eq!(
            std::format!("{}", Line(0, 1, SockFilter::load_data(44))),
            "ld [args[3].hi]"
        );
    }
}
