//! Source-code forms of a program: a C `struct sock_filter` array and a Rust `const` array of
//! `seccomp_core::abi::SockFilter`, each instruction commented with its disassembly.

use seccomp_core::abi::{self, SockFilter};
use seccomp_core::bpf::disasm;
use seccomp_core::bpf::insn::*;
use seccomp_core::bpf::validate::{is_classic_opcode, is_conditional_jump};
use std::fmt::Write;

/// The disassembly of one instruction, safe to put inside a C or Rust comment.
fn comment(index: usize, insns: &[SockFilter], insn: &SockFilter) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = disasm::write_insn(&mut text, index, insns.len(), insn);
    text.replace("*/", "* /").replace(['\n', '\r'], " ")
}

/// The C spelling of a classic opcode (`BPF_LD | BPF_W | BPF_ABS`), or `None` for any other value.
pub fn c_opcode(code: u16) -> Option<String> {
    if !is_classic_opcode(code) {
        return None;
    }
    let class_name = match class(code) {
        BPF_LD => "BPF_LD",
        BPF_LDX => "BPF_LDX",
        BPF_ST => "BPF_ST",
        BPF_STX => "BPF_STX",
        BPF_ALU => "BPF_ALU",
        BPF_JMP => "BPF_JMP",
        BPF_RET => "BPF_RET",
        _ => "BPF_MISC",
    };
    let mut parts = vec![class_name];
    match class(code) {
        BPF_LD | BPF_LDX => {
            let mode_name = match mode(code) {
                BPF_ABS => "BPF_ABS",
                BPF_IND => "BPF_IND",
                BPF_MEM => "BPF_MEM",
                BPF_LEN => "BPF_LEN",
                BPF_MSH => "BPF_MSH",
                _ => "BPF_IMM",
            };
            let size_name = match size(code) {
                BPF_H => Some("BPF_H"),
                BPF_B => Some("BPF_B"),
                _ if matches!(mode(code), BPF_ABS | BPF_IND | BPF_LEN) => Some("BPF_W"),
                _ => None,
            };
            parts.extend(size_name);
            parts.push(mode_name);
        }
        BPF_ALU | BPF_JMP => {
            let op_name = if class(code) == BPF_ALU {
                match op(code) {
                    BPF_ADD => "BPF_ADD",
                    BPF_SUB => "BPF_SUB",
                    BPF_MUL => "BPF_MUL",
                    BPF_DIV => "BPF_DIV",
                    BPF_OR => "BPF_OR",
                    BPF_AND => "BPF_AND",
                    BPF_LSH => "BPF_LSH",
                    BPF_RSH => "BPF_RSH",
                    BPF_NEG => "BPF_NEG",
                    BPF_MOD => "BPF_MOD",
                    _ => "BPF_XOR",
                }
            } else {
                match op(code) {
                    BPF_JA => "BPF_JA",
                    BPF_JEQ => "BPF_JEQ",
                    BPF_JGT => "BPF_JGT",
                    BPF_JGE => "BPF_JGE",
                    _ => "BPF_JSET",
                }
            };
            parts.push(op_name);
            let has_source = !(code == BPF_ALU | BPF_NEG || code == BPF_JMP | BPF_JA);
            if has_source {
                parts.push(if src(code) == BPF_X { "BPF_X" } else { "BPF_K" });
            }
        }
        BPF_RET => parts.push(if rval(code) == BPF_A { "BPF_A" } else { "BPF_K" }),
        BPF_MISC => parts.push(if miscop(code) == BPF_TAX {
            "BPF_TAX"
        } else {
            "BPF_TXA"
        }),
        _ => {}
    }
    Some(parts.join(" | "))
}

/// The C spelling of a `ret #k` value: `SECCOMP_RET_ERRNO | 1`, or hex for values no action name covers.
fn c_return_value(k: u32) -> String {
    let names = [
        (abi::RET_KILL_PROCESS, "SECCOMP_RET_KILL_PROCESS"),
        (abi::RET_KILL_THREAD, "SECCOMP_RET_KILL_THREAD"),
        (abi::RET_TRAP, "SECCOMP_RET_TRAP"),
        (abi::RET_ERRNO, "SECCOMP_RET_ERRNO"),
        (abi::RET_USER_NOTIF, "SECCOMP_RET_USER_NOTIF"),
        (abi::RET_TRACE, "SECCOMP_RET_TRACE"),
        (abi::RET_LOG, "SECCOMP_RET_LOG"),
        (abi::RET_ALLOW, "SECCOMP_RET_ALLOW"),
    ];
    let action = k & abi::RET_ACTION_FULL;
    let data = k & abi::RET_DATA;
    match names.iter().find(|(value, _)| *value == action) {
        Some((_, name)) if data == 0 => (*name).to_owned(),
        Some((_, name)) => format!("{name} | {data}"),
        None => format!("{k:#010x}"),
    }
}

/// A `k` operand in C: small values in decimal, others in hex.
fn c_number(k: u32) -> String {
    if k < 4096 {
        k.to_string()
    } else {
        format!("{k:#010x}")
    }
}

/// Writes `insns` as a C array named `name`, with a `struct sock_fprog` that points at it.
///
/// Instructions whose opcode is classic BPF use `BPF_STMT`/`BPF_JUMP` with symbolic opcodes (and
/// `SECCOMP_RET_*` names for return values); any other instruction is written raw, `{ 0x20, 0, 0,
/// 0x00000004 }`. Each line carries the disassembly as a comment.
pub fn c_array(insns: &[SockFilter], name: &str, header: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "/* {} */", header.replace("*/", "* /"));
    out.push_str("#include <linux/filter.h>\n#include <linux/seccomp.h>\n\n");
    let _ = writeln!(out, "struct sock_filter {name}[{}] = {{", insns.len());
    for (index, insn) in insns.iter().enumerate() {
        let text = comment(index, insns, insn);
        let jumps_ok = is_conditional_jump(insn.code) || (insn.jt == 0 && insn.jf == 0);
        let entry = match c_opcode(insn.code) {
            Some(code) if jumps_ok && class(insn.code) == BPF_JMP => {
                format!("BPF_JUMP({code}, {}, {}, {})", c_number(insn.k), insn.jt, insn.jf)
            }
            Some(code) if jumps_ok && insn.code == BPF_RET | BPF_K => {
                format!("BPF_STMT({code}, {})", c_return_value(insn.k))
            }
            Some(code) if jumps_ok => format!("BPF_STMT({code}, {})", c_number(insn.k)),
            _ => format!(
                "{{ {:#04x}, {}, {}, {:#010x} }}",
                insn.code, insn.jt, insn.jf, insn.k
            ),
        };
        let _ = writeln!(out, "\t/* {index:4} */ {entry}, /* {text} */");
    }
    out.push_str("};\n\n");
    let _ = writeln!(
        out,
        "struct sock_fprog {name}_prog = {{\n\t.len = {},\n\t.filter = {name},\n}};",
        insns.len()
    );
    out
}

/// Writes `insns` as a Rust `pub const NAME: [seccomp_core::abi::SockFilter; N]`, for `include!` in a
/// program that installs it without compiling anything at run time.
pub fn rust_array(insns: &[SockFilter], name: &str, header: &str) -> String {
    let mut out = String::new();
    for line in header.lines() {
        let _ = writeln!(out, "// {line}");
    }
    let _ = writeln!(
        out,
        "\n/// The filter's {} instructions, in the kernel's `struct sock_filter` layout.",
        insns.len()
    );
    let _ = writeln!(
        out,
        "pub const {name}: [seccomp_core::abi::SockFilter; {}] = [",
        insns.len()
    );
    for (index, insn) in insns.iter().enumerate() {
        let text = comment(index, insns, insn);
        let _ = writeln!(
            out,
            "    seccomp_core::abi::SockFilter {{ code: {:#06x}, jt: {}, jf: {}, k: {:#010x} }}, // {index}: {text}",
            insn.code, insn.jt, insn.jf, insn.k
        );
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_opcodes_spell_back_to_their_value() {
        for code in seccomp_core::bpf::validate::CLASSIC_OPCODES {
            let spelled = c_opcode(code).expect("classic opcodes have a spelling");
            let value = spelled
                .split(" | ")
                .map(|part| match part {
                    "BPF_LD" | "BPF_W" | "BPF_IMM" | "BPF_ADD" | "BPF_JA" | "BPF_K" | "BPF_TAX" => 0,
                    "BPF_LDX" => BPF_LDX,
                    "BPF_ST" => BPF_ST,
                    "BPF_STX" => BPF_STX,
                    "BPF_ALU" => BPF_ALU,
                    "BPF_JMP" => BPF_JMP,
                    "BPF_RET" => BPF_RET,
                    "BPF_MISC" => BPF_MISC,
                    "BPF_H" => BPF_H,
                    "BPF_B" => BPF_B,
                    "BPF_ABS" => BPF_ABS,
                    "BPF_IND" => BPF_IND,
                    "BPF_MEM" => BPF_MEM,
                    "BPF_LEN" => BPF_LEN,
                    "BPF_MSH" => BPF_MSH,
                    "BPF_SUB" => BPF_SUB,
                    "BPF_MUL" => BPF_MUL,
                    "BPF_DIV" => BPF_DIV,
                    "BPF_OR" => BPF_OR,
                    "BPF_AND" => BPF_AND,
                    "BPF_LSH" => BPF_LSH,
                    "BPF_RSH" => BPF_RSH,
                    "BPF_NEG" => BPF_NEG,
                    "BPF_MOD" => BPF_MOD,
                    "BPF_XOR" => BPF_XOR,
                    "BPF_JEQ" => BPF_JEQ,
                    "BPF_JGT" => BPF_JGT,
                    "BPF_JGE" => BPF_JGE,
                    "BPF_JSET" => BPF_JSET,
                    "BPF_X" => BPF_X,
                    "BPF_A" => BPF_A,
                    "BPF_TXA" => BPF_TXA,
                    other => panic!("unexpected part {other}"),
                })
                .fold(0, |acc, bits| acc | bits);
            assert_eq!(value, code, "{spelled}");
        }
        assert_eq!(c_opcode(0xffff), None);
    }

    #[test]
    fn return_values_use_seccomp_names() {
        assert_eq!(c_return_value(abi::RET_ALLOW), "SECCOMP_RET_ALLOW");
        assert_eq!(c_return_value(abi::RET_ERRNO | 1), "SECCOMP_RET_ERRNO | 1");
        assert_eq!(c_return_value(0x1234_5678), "0x12345678");
    }

    #[test]
    fn c_array_writes_raw_entries_for_unknown_opcodes() {
        let insns = [
            SockFilter::load_data(4),
            SockFilter {
                code: 0xffff,
                jt: 1,
                jf: 2,
                k: 3,
            },
            SockFilter::ret(abi::RET_ALLOW),
        ];
        let text = c_array(&insns, "filter", "test");
        assert!(
            text.contains("BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4), /* ld [arch] */"),
            "{text}"
        );
        assert!(text.contains("{ 0xffff, 1, 2, 0x00000003 }"), "{text}");
        assert!(
            text.contains("BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)"),
            "{text}"
        );
        assert!(text.contains("struct sock_filter filter[3] = {"), "{text}");
    }
}
