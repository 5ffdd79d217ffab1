//! The annotated listing of `disasm` and `compile --emit asm`: the disassembler's syntax (which `asm`
//! reads back, comments included), with the syscall name on every `nr` comparison, the `AUDIT_ARCH_*`
//! name on every `arch` comparison, and optionally the raw instruction in hex.

use seccomp_core::abi::SockFilter;
use seccomp_core::arch::Arch;
use seccomp_core::bpf::annotate::{self, Note};
use seccomp_core::bpf::disasm::write_insn;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The column where the comments start.
const COMMENT_COLUMN: usize = 36;

/// The notes of every instruction: what its constant means (see [`annotate::note`]).
fn notes(insns: &[SockFilter], default_arch: Arch) -> Vec<Option<Note>> {
    let mut states = vec![None; insns.len()];
    annotate::analyze(insns, &mut states);
    insns
        .iter()
        .zip(&states)
        .map(|(insn, state)| annotate::note(insn, *state, default_arch))
        .collect()
}

/// The raw instruction as `code jt jf k`, in hex.
fn hex(insn: &SockFilter) -> String {
    format!(
        "{:#06x} {:02x} {:02x} {:#010x}",
        insn.code, insn.jt, insn.jf, insn.k
    )
}

/// One instruction's text, without index or comment.
fn insn_text(index: usize, len: usize, insn: &SockFilter) -> String {
    let mut text = String::new();
    let _ = write_insn(&mut text, index, len, insn);
    text
}

/// The listing: `index: instruction`, then `; note` and (with `with_hex`) the raw instruction.
/// `default_arch` names syscalls on paths that did not check the architecture.
pub fn text(insns: &[SockFilter], default_arch: Arch, with_hex: bool) -> String {
    lines(insns, default_arch, with_hex)
        .into_iter()
        .map(|line| line + "\n")
        .collect()
}

/// The lines of [`text`], without their newlines.
pub fn lines(insns: &[SockFilter], default_arch: Arch, with_hex: bool) -> Vec<String> {
    let notes = notes(insns, default_arch);
    let mut out = Vec::with_capacity(insns.len());
    for (index, (insn, note)) in insns.iter().zip(&notes).enumerate() {
        let mut line = format!("{index:>4}: {}", insn_text(index, insns.len(), insn));
        let mut comment = Vec::new();
        if with_hex {
            comment.push(hex(insn));
        }
        if let Some(note) = note {
            comment.push(note.to_string());
        }
        if !comment.is_empty() {
            let pad = COMMENT_COLUMN.saturating_sub(line.chars().count()).max(1);
            // A comment the disassembler already wrote continues; otherwise one starts.
            let lead = if line.contains(';') { "," } else { ";" };
            let _ = write!(line, "{:pad$}{lead} {}", "", comment.join("  "));
        }
        out.push(line);
    }
    out
}

/// The listing as JSON: one object per instruction with its raw fields, text and note.
pub fn json(insns: &[SockFilter], default_arch: Arch) -> Value {
    let notes = notes(insns, default_arch);
    let rows: Vec<Value> = insns
        .iter()
        .zip(&notes)
        .enumerate()
        .map(|(index, (insn, note))| {
            let (syscall, arch) = match note {
                Some(Note::Syscall(name, arch)) => (Some(*name), Some(arch.name())),
                Some(Note::Arch(arch)) => (None, Some(arch.name())),
                Some(Note::X32Bit) | None => (None, None),
            };
            json!({
                "index": index,
                "code": insn.code,
                "jt": insn.jt,
                "jf": insn.jf,
                "k": insn.k,
                "hex": hex(insn),
                "text": insn_text(index, insns.len(), insn),
                "syscall": syscall,
                "arch": arch,
            })
        })
        .collect();
    Value::Array(rows)
}
