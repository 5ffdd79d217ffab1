//! The assembler: reads the [`disasm`](super::disasm) syntax back into instructions, byte for byte, and
//! adds what hand-written programs want: labels and comments.
//!
//! ```text
//! ; allow read(2) on x86_64, refuse the rest
//!         ld [arch]
//!         jeq #0xc000003e, check, kill
//! check:  ld [nr]
//!         jeq #0, allow, deny
//! allow:  ret ALLOW
//! deny:   ret ERRNO(1)
//! kill:   ret KILL_PROCESS
//! ```
//!
//! A line holds, each part optional: an index prefix `12:` (as the disassembler writes it; it must match
//! the instruction's position), a label `name:`, one instruction, and a comment from `;` to the end of the
//! line. Jump targets are labels or absolute instruction indices; classic BPF jumps only forward, and a
//! conditional jump reaches at most 256 instructions ahead (use `ja` beyond that). Mnemonics, registers and
//! action names are case-insensitive; numbers are decimal or `0x` hexadecimal. `ret` also takes the action
//! names `KILL` (= `KILL_THREAD`) and `NOTIFY` (= `USER_NOTIF`), and `TRAP`, `TRACE` and `ERRNO` without data
//! (= data 0).
//!
//! Errors carry the 1-based line and byte column, and say what was expected there. No allocation: labels
//! live in a fixed table of [`MAX_LABELS`] entries on the stack, and instructions go to caller storage.

use super::disasm::{alu_name, jump_name};
use super::insn::*;
use crate::abi::{self, SockFilter};
use core::fmt;

/// The most labels one source may define.
pub const MAX_LABELS: usize = 512;

/// Where and why assembly failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AsmError {
    /// The 1-based line.
    pub line: usize,
    /// The 1-based byte column.
    pub column: usize,
    /// What went wrong.
    pub kind: AsmErrorKind,
}

/// What went wrong in an [`AsmError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AsmErrorKind {
    /// Something else was expected here; the text says what.
    Expected(&'static str),
    /// A word that is no instruction.
    UnknownMnemonic,
    /// A number too large for its field.
    NumberTooLarge {
        /// The field's largest value.
        max: u64,
    },
    /// A jump to a label no line defines.
    UnknownLabel,
    /// A label defined twice.
    DuplicateLabel,
    /// More than [`MAX_LABELS`] labels.
    TooManyLabels,
    /// A jump to this instruction or an earlier one.
    BackwardJump,
    /// A conditional jump more than 256 instructions ahead (or a `ja` beyond 2^32).
    JumpTooFar {
        /// The offset it would need.
        offset: u64,
    },
    /// An index prefix that is not the instruction's position.
    IndexMismatch {
        /// The index written.
        found: u64,
        /// The instruction's position.
        expected: usize,
    },
    /// More instructions than the output holds.
    TooManyInstructions {
        /// The output's capacity.
        capacity: usize,
    },
}

impl fmt::Display for AsmErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AsmErrorKind::Expected(what) => write!(f, "expected {what}"),
            AsmErrorKind::UnknownMnemonic => write!(f, "unknown instruction"),
            AsmErrorKind::NumberTooLarge { max } => write!(f, "number too large (at most {max})"),
            AsmErrorKind::UnknownLabel => write!(f, "no line defines this label"),
            AsmErrorKind::DuplicateLabel => write!(f, "this label is already defined"),
            AsmErrorKind::TooManyLabels => write!(f, "more than {MAX_LABELS} labels"),
            AsmErrorKind::BackwardJump => {
                write!(
                    f,
                    "jump to this instruction or an earlier one: classic BPF jumps only forward"
                )
            }
            AsmErrorKind::JumpTooFar { offset } => write!(
                f,
                "jump offset {offset} does not fit (conditional jumps reach 255 past the next instruction)"
            ),
            AsmErrorKind::IndexMismatch { found, expected } => {
                write!(
                    f,
                    "index {found} does not match the instruction's position {expected}"
                )
            }
            AsmErrorKind::TooManyInstructions { capacity } => {
                write!(f, "more than {capacity} instructions: the output is full")
            }
        }
    }
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.kind)
    }
}

impl core::error::Error for AsmError {}

/// Assembles `source` into the front of `out` and returns the instructions.
///
/// Two passes over the text: the first collects labels and counts instructions, the second encodes.
pub fn assemble<'o>(source: &str, out: &'o mut [SockFilter]) -> Result<&'o [SockFilter], AsmError> {
    let mut labels = Labels::new();
    let mut count = 0;
    for (line_no, text) in source.lines().enumerate() {
        let mut line = Line::new(line_no + 1, text);
        if let Some(label) = line.prefix(count)? {
            labels.define(label, count as u32, &line)?;
        }
        if line.has_insn() {
            if count >= out.len() {
                return Err(line.error_at(
                    line.pos,
                    AsmErrorKind::TooManyInstructions { capacity: out.len() },
                ));
            }
            // Syntax errors surface here; label references are checked in the second pass.
            line.insn(count, None)?;
            count += 1;
        }
    }
    let mut pc = 0;
    for (line_no, text) in source.lines().enumerate() {
        let mut line = Line::new(line_no + 1, text);
        line.prefix(pc)?;
        if line.has_insn() {
            let insn = line.insn(pc, Some(&labels))?;
            if let Some(slot) = out.get_mut(pc) {
                *slot = insn;
            }
            pc += 1;
        }
    }
    Ok(out.get(..pc).unwrap_or_default())
}

/// The label table: names borrowed from the source, with their instruction index.
struct Labels<'s> {
    entries: [(&'s str, u32); MAX_LABELS],
    len: usize,
}

impl<'s> Labels<'s> {
    fn new() -> Self {
        Labels {
            entries: [("", 0); MAX_LABELS],
            len: 0,
        }
    }

    fn get(&self, name: &str) -> Option<u32> {
        self.entries
            .get(..self.len)
            .unwrap_or_default()
            .iter()
            .find(|(defined, _)| *defined == name)
            .map(|(_, index)| *index)
    }

    fn define(&mut self, name: (&'s str, usize), index: u32, line: &Line<'_>) -> Result<(), AsmError> {
        let (name, column) = name;
        if self.get(name).is_some() {
            return Err(line.error_at(column, AsmErrorKind::DuplicateLabel));
        }
        let slot = self
            .entries
            .get_mut(self.len)
            .ok_or(line.error_at(column, AsmErrorKind::TooManyLabels))?;
        *slot = (name, index);
        self.len += 1;
        Ok(())
    }
}

/// A cursor over one line of source.
struct Line<'s> {
    number: usize,
    /// The line without its comment.
    text: &'s str,
    pos: usize,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.'
}

impl<'s> Line<'s> {
    fn new(number: usize, text: &'s str) -> Self {
        let text = match text.find(';') {
            Some(comment) => text.get(..comment).unwrap_or(text),
            None => text,
        };
        Line { number, text, pos: 0 }
    }

    fn error_at(&self, pos: usize, kind: AsmErrorKind) -> AsmError {
        AsmError {
            line: self.number,
            column: pos + 1,
            kind,
        }
    }

    fn expected(&self, what: &'static str) -> AsmError {
        self.error_at(self.pos, AsmErrorKind::Expected(what))
    }

    fn rest(&self) -> &'s str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<u8> {
        self.rest().bytes().next()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c == b' ' || c == b'\t' || c == b'\r') {
            self.pos += 1;
        }
    }

    /// Consumes `token` (after whitespace) if it comes next.
    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        let rest = self.rest();
        let matches = rest
            .get(..token.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(token));
        if matches {
            self.pos += token.len();
        }
        matches
    }

    fn expect(&mut self, token: &str, what: &'static str) -> Result<(), AsmError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// An identifier (after whitespace) and its start, or `None`.
    fn ident(&mut self) -> Option<(&'s str, usize)> {
        self.skip_ws();
        let rest = self.rest();
        if !rest.bytes().next().is_some_and(is_ident_start) {
            return None;
        }
        let len = rest.bytes().position(|c| !is_ident(c)).unwrap_or(rest.len());
        let start = self.pos;
        self.pos += len;
        Some((rest.get(..len).unwrap_or_default(), start))
    }

    /// A number no larger than `max`, read by the crate's one number reader (`crate::number`: decimal or
    /// `0x` hexadecimal, `_` between digits).
    fn number(&mut self, max: u64, what: &'static str) -> Result<u64, AsmError> {
        use crate::number::{self, NumberError};
        self.skip_ws();
        let start = self.pos;
        let rest = self.rest();
        let len = number::word_len(rest);
        let value = match number::parse(rest.get(..len).unwrap_or_default()) {
            Ok(value) if value <= max => value,
            Ok(_) | Err(NumberError::Overflow) => {
                return Err(self.error_at(start, AsmErrorKind::NumberTooLarge { max }));
            }
            Err(NumberError::Invalid) => return Err(self.expected(what)),
        };
        self.pos += len;
        if self.peek().is_some_and(is_ident) {
            return Err(self.expected(what));
        }
        Ok(value)
    }

    fn k(&mut self, what: &'static str) -> Result<u32, AsmError> {
        Ok(self.number(u32::MAX as u64, what)? as u32)
    }

    /// The optional index prefix and label of a line; checks the index against `pc`.
    fn prefix(&mut self, pc: usize) -> Result<Option<(&'s str, usize)>, AsmError> {
        self.skip_ws();
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let start = self.pos;
            let found = self.number(u64::MAX, "an index")?;
            if found != pc as u64 {
                return Err(self.error_at(start, AsmErrorKind::IndexMismatch { found, expected: pc }));
            }
            self.expect(":", "`:` after the index")?;
        }
        let save = self.pos;
        if let Some(label) = self.ident()
            && self.eat(":")
        {
            return Ok(Some(label));
        }
        self.pos = save;
        Ok(None)
    }

    fn has_insn(&mut self) -> bool {
        self.skip_ws();
        self.peek().is_some()
    }

    fn end(&mut self) -> Result<(), AsmError> {
        self.skip_ws();
        if self.peek().is_some() {
            return Err(self.expected("the end of the line (or a `;` comment)"));
        }
        Ok(())
    }

    /// A jump target: a label or an absolute index, returned as the offset from `pc + 1`. Without labels
    /// (the first pass) a label reads as offset 0.
    fn target(&mut self, pc: usize, labels: Option<&Labels<'_>>, max: u64) -> Result<u64, AsmError> {
        self.skip_ws();
        let start = self.pos;
        let target = if let Some((name, _)) = self.ident() {
            match labels {
                None => return Ok(0),
                Some(labels) => labels
                    .get(name)
                    .ok_or(self.error_at(start, AsmErrorKind::UnknownLabel))?
                    as u64,
            }
        } else {
            self.number(u64::MAX, "a jump target (a label or an instruction index)")?
        };
        let offset = target
            .checked_sub(pc as u64 + 1)
            .ok_or(self.error_at(start, AsmErrorKind::BackwardJump))?;
        if offset > max {
            return Err(self.error_at(start, AsmErrorKind::JumpTooFar { offset }));
        }
        Ok(offset)
    }

    /// `[k]`, `[field]` or `[x + k]` after a load mnemonic; returns the mode and k.
    fn address(&mut self, fields: bool) -> Result<(u16, u32), AsmError> {
        self.expect("[", "`[`, `#`, `M[` or `len`")?;
        self.skip_ws();
        let save = self.pos;
        if let Some((word, _)) = self.ident() {
            if word.eq_ignore_ascii_case("x") {
                self.expect("+", "`+` after `x`")?;
                let k = self.k("an offset")?;
                self.expect("]", "`]`")?;
                return Ok((BPF_IND, k));
            }
            self.pos = save;
            if fields {
                let k = self.field()?;
                self.expect("]", "`]`")?;
                return Ok((BPF_ABS, k));
            }
        }
        let k = self.k("an offset or a seccomp_data field")?;
        self.expect("]", "`]`")?;
        Ok((BPF_ABS, k))
    }

    /// A `seccomp_data` field name: `nr`, `arch`, `ip.lo`, `ip.hi`, `instruction_pointer.lo`/`.hi`,
    /// `args[i].lo`/`.hi`.
    fn field(&mut self) -> Result<u32, AsmError> {
        let start = self.pos;
        let Some((word, _)) = self.ident() else {
            return Err(self.expected("a seccomp_data field"));
        };
        let half = |s: &str| match () {
            _ if s.eq_ignore_ascii_case("lo") => Some(0),
            _ if s.eq_ignore_ascii_case("hi") => Some(4),
            _ => None,
        };
        let unknown = self.error_at(
            start,
            AsmErrorKind::Expected("a seccomp_data field (nr, arch, ip.lo, args[0].lo, ...)"),
        );
        let lower = |w: &str, expected: &str| w.eq_ignore_ascii_case(expected);
        if lower(word, "nr") {
            return Ok(abi::offset::NR);
        }
        if lower(word, "arch") {
            return Ok(abi::offset::ARCH);
        }
        for prefix in ["ip.", "instruction_pointer."] {
            if word.len() > prefix.len() && lower(word.get(..prefix.len()).unwrap_or_default(), prefix) {
                let suffix = word.get(prefix.len()..).unwrap_or_default();
                return half(suffix).map(|h| abi::offset::IP_LO + h).ok_or(unknown);
            }
        }
        if lower(word, "args") {
            self.expect("[", "`[` after `args`")?;
            let index = self.number(5, "an argument index (0 to 5)")? as u8;
            self.expect("]", "`]`")?;
            self.expect(".", "`.lo` or `.hi`")?;
            let Some((suffix, at)) = self.ident() else {
                return Err(self.expected("`lo` or `hi`"));
            };
            let h = half(suffix).ok_or(self.error_at(at, AsmErrorKind::Expected("`lo` or `hi`")))?;
            return Ok(abi::offset::arg_lo(index) + h);
        }
        Err(unknown)
    }

    /// `M[k]`.
    fn mem(&mut self) -> Result<u32, AsmError> {
        self.expect("M[", "`M[`")?;
        let k = self.k("a scratch memory index")?;
        self.expect("]", "`]`")?;
        Ok(k)
    }

    /// `#k` or `x`: the source bit and k of an ALU or jump operand.
    fn operand(&mut self) -> Result<(u16, u32), AsmError> {
        if self.eat("#") {
            return Ok((BPF_K, self.k("a number after `#`")?));
        }
        let save = self.pos;
        match self.ident() {
            Some((word, _)) if word.eq_ignore_ascii_case("x") => Ok((BPF_X, 0)),
            _ => {
                self.pos = save;
                Err(self.expected("`#number` or `x`"))
            }
        }
    }

    /// The action of `ret`: `a`, `#k`, or a name.
    fn ret_operand(&mut self) -> Result<SockFilter, AsmError> {
        if self.eat("#") {
            return Ok(SockFilter::ret(self.k("a number after `#`")?));
        }
        self.skip_ws();
        let start = self.pos;
        let Some((word, _)) = self.ident() else {
            return Err(self.expected("`a`, `#number` or an action name"));
        };
        let is = |name: &str| word.eq_ignore_ascii_case(name);
        let with_data = |line: &mut Self, base: u32| -> Result<SockFilter, AsmError> {
            let data = if line.eat("(") {
                let data = line.number(0xffff, "the action's data (0 to 65535)")?;
                line.expect(")", "`)`")?;
                data as u32
            } else {
                0
            };
            Ok(SockFilter::ret(base | data))
        };
        let value = match () {
            _ if is("a") => return Ok(SockFilter::stmt(BPF_RET | BPF_A, 0)),
            _ if is("ALLOW") => abi::RET_ALLOW,
            _ if is("LOG") => abi::RET_LOG,
            _ if is("USER_NOTIF") || is("NOTIFY") => abi::RET_USER_NOTIF,
            _ if is("KILL_PROCESS") => abi::RET_KILL_PROCESS,
            _ if is("KILL_THREAD") || is("KILL") => abi::RET_KILL_THREAD,
            _ if is("ERRNO") => return with_data(self, abi::RET_ERRNO),
            _ if is("TRAP") => return with_data(self, abi::RET_TRAP),
            _ if is("TRACE") => return with_data(self, abi::RET_TRACE),
            _ => {
                return Err(self.error_at(
                    start,
                    AsmErrorKind::Expected(
                        "`a`, `#number` or an action (ALLOW, ERRNO(n), KILL_PROCESS, ...)",
                    ),
                ));
            }
        };
        Ok(SockFilter::ret(value))
    }

    /// One instruction, up to the end of the line.
    fn insn(&mut self, pc: usize, labels: Option<&Labels<'_>>) -> Result<SockFilter, AsmError> {
        self.skip_ws();
        let start = self.pos;
        let Some((mnemonic, _)) = self.ident() else {
            return Err(self.expected("an instruction"));
        };
        let is = |name: &str| mnemonic.eq_ignore_ascii_case(name);
        let insn = if is(".insn") {
            let code = self.number(u16::MAX as u64, "an opcode")? as u16;
            self.expect(",", "`,`")?;
            let jt = self.number(u8::MAX as u64, "jt (0 to 255)")? as u8;
            self.expect(",", "`,`")?;
            let jf = self.number(u8::MAX as u64, "jf (0 to 255)")? as u8;
            self.expect(",", "`,`")?;
            SockFilter::jump(code, self.k("k")?, jt, jf)
        } else if is("ld") || is("ldh") || is("ldb") {
            let size = if is("ldh") {
                BPF_H
            } else if is("ldb") {
                BPF_B
            } else {
                BPF_W
            };
            if self.eat("#") {
                if size != BPF_W {
                    return Err(self.error_at(start, AsmErrorKind::Expected("`ld` for an immediate load")));
                }
                SockFilter::stmt(BPF_LD | BPF_IMM, self.k("a number after `#`")?)
            } else if size == BPF_W && self.eat("len") {
                SockFilter::stmt(BPF_LD | BPF_W | BPF_LEN, 0)
            } else if size == BPF_W && self.rest().trim_start().starts_with(['M', 'm']) {
                SockFilter::stmt(BPF_LD | BPF_MEM, self.mem()?)
            } else {
                let (mode, k) = self.address(size == BPF_W)?;
                SockFilter::stmt(BPF_LD | size | mode, k)
            }
        } else if is("ldx") {
            if self.eat("#") {
                SockFilter::stmt(BPF_LDX | BPF_IMM, self.k("a number after `#`")?)
            } else if self.eat("len") {
                SockFilter::stmt(BPF_LDX | BPF_W | BPF_LEN, 0)
            } else if self.eat("4*([") {
                let k = self.k("an offset")?;
                self.expect("]&0xf)", "`]&0xf)`")?;
                SockFilter::stmt(BPF_LDX | BPF_B | BPF_MSH, k)
            } else {
                SockFilter::stmt(BPF_LDX | BPF_MEM, self.mem()?)
            }
        } else if is("st") {
            SockFilter::stmt(BPF_ST, self.mem()?)
        } else if is("stx") {
            SockFilter::stmt(BPF_STX, self.mem()?)
        } else if is("tax") {
            SockFilter::stmt(BPF_MISC | BPF_TAX, 0)
        } else if is("txa") {
            SockFilter::stmt(BPF_MISC | BPF_TXA, 0)
        } else if is("neg") {
            SockFilter::stmt(BPF_ALU | BPF_NEG, 0)
        } else if is("ret") {
            self.ret_operand()?
        } else if is("ja") {
            let offset = self.target(pc, labels, u32::MAX as u64)?;
            SockFilter::stmt(BPF_JMP | BPF_JA, offset as u32)
        } else if let Some(op) = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET]
            .into_iter()
            .find(|op| is(jump_name(*op)))
        {
            let (source, k) = self.operand()?;
            self.expect(",", "`,` before the true target")?;
            let jt = self.target(pc, labels, 255)?;
            self.expect(",", "`,` before the false target")?;
            let jf = self.target(pc, labels, 255)?;
            SockFilter::jump(BPF_JMP | op | source, k, jt as u8, jf as u8)
        } else if let Some(op) = [
            BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH,
        ]
        .into_iter()
        .find(|op| is(alu_name(*op)))
        {
            let (source, k) = self.operand()?;
            SockFilter::stmt(BPF_ALU | op | source, k)
        } else {
            return Err(self.error_at(start, AsmErrorKind::UnknownMnemonic));
        };
        self.end()?;
        Ok(insn)
    }
}
