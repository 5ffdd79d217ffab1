//! The validator and the emulator against a naive reference interpreter written here from the kernel's
//! rules, on programs built from fuzz data so that most of them are valid.
//!
//! Programs are drawn instruction by instruction from the seccomp opcode list, with loads at aligned
//! `seccomp_data` offsets, scratch indices below 16, jump offsets inside the program and a final `ret`, and
//! then occasionally bent (a raw opcode, an out-of-range offset, a division by zero) so the validator's
//! refusals are exercised too. Properties (any violation is a crash):
//! - the validator accepts only programs the reference interpreter can run without leaving the program,
//!   without an unknown opcode, without reading scratch memory that was never written, and without an
//!   out-of-bounds load;
//! - on an accepted program the emulator returns the reference's action and instruction count.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use seccomp_core::abi::SockFilter;
use seccomp_core::bpf::{emulate, validate};
use seccomp_fuzz::seccomp_data;

// Opcodes (class | size/op | mode/source), spelled out here rather than taken from the crate under test.
const SECCOMP_OPCODES: [u16; 41] = [
    0x20, 0x80, 0x81, 0x00, 0x01, 0x60, 0x61, 0x02, 0x03, // ld/ldx abs, len, imm, mem; st, stx
    0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, // add sub mul div (k, x)
    0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c, 0x84, // and or xor lsh rsh neg
    0x07, 0x87, // tax txa
    0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d, // ja jeq jgt jge jset
    0x06, 0x16, // ret k, ret a
];

fn program(u: &mut Unstructured<'_>) -> Result<Vec<SockFilter>> {
    let len = u.int_in_range(1..=64usize)?;
    let mut insns = Vec::with_capacity(len);
    for pc in 0..len {
        let remaining = (len - pc - 1) as u32;
        let mut insn = SockFilter {
            code: *u.choose(&SECCOMP_OPCODES)?,
            jt: 0,
            jf: 0,
            k: u.arbitrary()?,
        };
        let bend = u.int_in_range(0..=31u8)? == 0;
        match insn.code {
            0x20 => insn.k = 4 * u.int_in_range(0..=15)?,
            0x60 | 0x61 | 0x02 | 0x03 => insn.k &= 15,
            0x34 => insn.k = insn.k.max(1),
            0x64 | 0x74 => insn.k &= 31,
            0x05 => insn.k = if remaining == 0 { 0 } else { insn.k % remaining },
            0x15 | 0x1d | 0x35 | 0x3d | 0x25 | 0x2d | 0x45 | 0x4d => {
                let reach = remaining.min(256);
                if reach > 0 {
                    insn.jt = (u.int_in_range(0..=reach - 1)?) as u8;
                    insn.jf = (u.int_in_range(0..=reach - 1)?) as u8;
                }
            }
            0x06 if u.arbitrary()? => insn.k = *u.choose(&[0x7fff_0000, 0x0005_0001, 0x8000_0000, 0])?,
            _ => {}
        }
        if bend {
            match u.int_in_range(0..=3u8)? {
                0 => insn.code = u.arbitrary()?,
                1 => insn.k = u.arbitrary()?,
                2 => insn.jt = u.arbitrary()?,
                _ => insn.jf = u.arbitrary()?,
            }
        }
        insns.push(insn);
    }
    if u.int_in_range(0..=15u8)? != 0 {
        let last = insns.len() - 1;
        insns[last].code = if u.arbitrary()? { 0x06 } else { 0x16 };
    }
    Ok(insns)
}

/// What the reference interpreter concluded.
#[derive(Debug, PartialEq, Eq)]
enum Reference {
    /// Returned this value after this many instructions.
    Ret { value: u32, executed: usize },
    /// The program broke a rule the validator must enforce, at this instruction.
    Illegal { pc: usize, why: &'static str },
}

/// Runs `insns` on the data words directly from the kernel's rules. Scratch cells carry a "written" flag:
/// reading one that was never written on this path is illegal (the kernel's rule is stricter still: it
/// forbids a read that any linear predecessor did not write, so accepted programs must never read unwritten
/// cells on any path).
fn reference(insns: &[SockFilter], words: &[u32; 16]) -> Reference {
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem: [Option<u32>; 16] = [None; 16];
    let mut pc = 0usize;
    let mut executed = 0usize;
    loop {
        let Some(&SockFilter { code, jt, jf, k }) = insns.get(pc) else {
            return Reference::Illegal {
                pc,
                why: "ran off the end",
            };
        };
        executed += 1;
        let class = code & 0x07;
        let op = code & 0xf0;
        let src_x = code & 0x08 != 0;
        let operand = if src_x { x } else { k };
        let next = pc + 1;
        let at = pc;
        let illegal = |why| Reference::Illegal { pc: at, why };
        pc = next;
        match (class, code) {
            (_, 0x20) => {
                if k % 4 != 0 || k >= 64 {
                    return illegal("load outside seccomp_data");
                }
                a = words[(k / 4) as usize];
            }
            (_, 0x80) => a = 64,
            (_, 0x81) => x = 64,
            (_, 0x00) => a = k,
            (_, 0x01) => x = k,
            (_, 0x60) | (_, 0x61) => {
                let Some(cell) = mem.get(k as usize) else {
                    return illegal("scratch index out of range");
                };
                let Some(value) = *cell else {
                    return illegal("read of unwritten scratch memory");
                };
                if code == 0x60 { a = value } else { x = value }
            }
            (_, 0x02) | (_, 0x03) => {
                let Some(cell) = mem.get_mut(k as usize) else {
                    return illegal("scratch index out of range");
                };
                *cell = Some(if code == 0x02 { a } else { x });
            }
            (_, 0x07) => x = a,
            (_, 0x87) => a = x,
            (0x04, 0x84) => a = a.wrapping_neg(),
            (0x04, _)
                if matches!(
                    code & !0x08,
                    0x04 | 0x14 | 0x24 | 0x34 | 0x54 | 0x44 | 0xa4 | 0x64 | 0x74
                ) =>
            {
                a = match op {
                    0x00 => a.wrapping_add(operand),
                    0x10 => a.wrapping_sub(operand),
                    0x20 => a.wrapping_mul(operand),
                    0x30 => match operand {
                        0 if src_x => return Reference::Ret { value: 0, executed },
                        0 => return illegal("division by constant 0"),
                        d => a / d,
                    },
                    0x50 => a & operand,
                    0x40 => a | operand,
                    0xa0 => a ^ operand,
                    0x60 | 0x70 if !src_x && k >= 32 => return illegal("shift by 32 or more"),
                    0x60 => a << (operand & 31),
                    0x70 => a >> (operand & 31),
                    _ => return illegal("unknown ALU operation"),
                };
            }
            (_, 0x05) => {
                pc = match next.checked_add(k as usize) {
                    Some(target) if target < insns.len() => target,
                    _ => return illegal("ja outside the program"),
                };
            }
            (0x05, _) if matches!(code & !0x08, 0x15 | 0x25 | 0x35 | 0x45) => {
                let taken = match op {
                    0x10 => a == operand,
                    0x20 => a > operand,
                    0x30 => a >= operand,
                    _ => a & operand != 0,
                };
                if next + usize::from(jt.max(jf)) >= insns.len() {
                    return illegal("conditional jump outside the program");
                }
                pc = next + usize::from(if taken { jt } else { jf });
            }
            (_, 0x06) => return Reference::Ret { value: k, executed },
            (_, 0x16) => return Reference::Ret { value: a, executed },
            _ => return illegal("opcode seccomp does not allow"),
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let (data_bytes, rest) = input.split_at(input.len().min(64));
    let data = seccomp_data(data_bytes);
    let mut words = [0u32; 16];
    for (i, word) in words.iter_mut().enumerate() {
        *word = data.word_at(4 * i as u32).unwrap_or_default();
    }
    let Ok(insns) = program(&mut Unstructured::new(rest)) else {
        return;
    };
    let Ok(valid) = validate(&insns) else {
        return;
    };
    let run = emulate(&valid, &data);
    match reference(&insns, &words) {
        Reference::Ret { value, executed } => {
            assert_eq!(
                run.action.0, value,
                "emulator and reference return different values"
            );
            assert_eq!(
                run.executed, executed,
                "emulator and reference count different steps"
            );
        }
        Reference::Illegal { pc, why } => {
            panic!("the validator accepted a program that, at instruction {pc}: {why}\n{insns:?}")
        }
    }
});
