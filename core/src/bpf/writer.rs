//! The program writer: the one engine every producer of BPF goes through (the policy compiler directly, the
//! forward [`Builder`](super::builder::Builder) by replaying its recording). It writes a program backwards,
//! from its last instruction to its first.
//!
//! Classic BPF jumps only forward, so when an instruction is written backwards every target it can jump to
//! already exists and its distance is known. That makes the two things a forward builder has to patch up
//! afterwards local decisions here:
//! - a conditional jump's `jt`/`jf` are 8-bit: when a target is more than 255 instructions away, a
//!   trampoline is placed right after the jump (which never falls through, so nothing else reaches it);
//! - returns are shared: each distinct action has one `ret`, and a jump that cannot reach the nearest copy
//!   gets a fresh copy placed right after it (a copy costs what a `ja` trampoline costs in length and saves
//!   the executed `ja`). So every path ends in exactly one `ret`, never in `ja; ret`.
//!
//! The reach test is conservative: a target is used directly only when it is in reach even with two
//! trampolines between the jump and it (at most 253 instructions away), so a decision never has to be
//! revised. The instructions fill the caller's buffer from its end; [`Writer::finish`] moves them to the
//! front. Nothing is allocated.

use super::insn::{BPF_JA, BPF_JMP};
use crate::abi::SockFilter;
use crate::action::Action;
use heapless::Vec;

/// A written instruction, named by how many instructions follow it in the final program. Labels stay
/// valid as more instructions are written in front.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(u32);

/// Where a jump goes: a return of an action (any copy will do) or a particular instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `ret #action`.
    Ret(Action),
    /// The instruction with this label.
    At(Label),
}

/// The output buffer is too small (or the program would exceed the writer's maximum length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl core::fmt::Display for Full {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the program does not fit the output buffer")
    }
}

impl core::error::Error for Full {}

/// How many distinct actions the return-sharing table remembers; beyond that a copy may be duplicated,
/// which costs length, never correctness.
const RET_SLOTS: usize = 32;

/// Farthest forward distance a conditional jump can express.
const MAX_OFFSET: u32 = 255;

/// A backwards program writer over a caller-provided buffer.
pub struct Writer<'b> {
    buf: &'b mut [SockFilter],
    /// Usable length: `buf.len()` capped at the kernel's 4096.
    capacity: usize,
    count: u32,
    /// For each action, the label of its most recently written (hence nearest) `ret`.
    rets: Vec<(Action, Label), RET_SLOTS>,
}

impl<'b> Writer<'b> {
    /// An emitter writing into `buf`, using at most `max_len` instructions of it.
    pub fn new(buf: &'b mut [SockFilter], max_len: usize) -> Self {
        let capacity = buf.len().min(max_len);
        Writer {
            buf,
            capacity,
            count: 0,
            rets: Vec::new(),
        }
    }

    /// The number of instructions written so far.
    pub const fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether nothing was written yet.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The label of the most recently written instruction (the current first one), if any.
    pub fn first(&self) -> Option<Label> {
        self.count.checked_sub(1).map(Label)
    }

    /// Writes `insn` in front of everything written so far.
    fn push(&mut self, insn: SockFilter) -> Result<Label, Full> {
        let index = self.count as usize;
        if index >= self.capacity {
            return Err(Full);
        }
        let slot = self.capacity - 1 - index;
        *self.buf.get_mut(slot).ok_or(Full)? = insn;
        self.count += 1;
        Ok(Label(index as u32))
    }

    /// Writes a non-jump instruction; it falls through into the instruction written just before it.
    pub fn stmt(&mut self, insn: SockFilter) -> Result<Label, Full> {
        self.push(insn)
    }

    /// Writes `ret #action` and makes it the nearest copy for later jumps.
    pub fn ret(&mut self, action: Action) -> Result<Label, Full> {
        let label = self.push(SockFilter::ret(action.raw()))?;
        if let Some(slot) = self.rets.iter_mut().find(|(a, _)| *a == action) {
            slot.1 = label;
        } else if let Err(entry) = self.rets.push((action, label)) {
            // Table full: forget the farthest copy (the lowest label).
            if let Some(victim) = self.rets.iter_mut().min_by_key(|(_, l)| l.0) {
                *victim = entry;
            }
        }
        Ok(label)
    }

    /// Writes `ja` to `target` (any distance). `target` must be a label of this writer (a foreign one
    /// gives a jump the validator refuses).
    pub fn ja(&mut self, target: Label) -> Result<Label, Full> {
        let k = self.count.wrapping_sub(target.0).wrapping_sub(1);
        self.push(SockFilter::jump(BPF_JMP | BPF_JA, k, 0, 0))
    }

    /// The label a jump placed at `from` can use for `target` directly, if it is in reach.
    fn reachable(&self, target: Target, from: u32) -> Option<Label> {
        let label = match target {
            Target::At(label) => label,
            Target::Ret(action) => self.rets.iter().find(|(a, _)| *a == action)?.1,
        };
        from.checked_sub(label.0 + 1)
            .is_some_and(|distance| distance <= MAX_OFFSET)
            .then_some(label)
    }

    /// Places a trampoline for `target` at the current position and returns its label.
    fn trampoline(&mut self, target: Target) -> Result<Label, Full> {
        match target {
            Target::Ret(action) => self.ret(action),
            Target::At(label) => self.ja(label),
        }
    }

    /// Writes the conditional jump `code` (`BPF_JEQ`, `BPF_JGT`, `BPF_JGE` or `BPF_JSET`, with `BPF_K` or
    /// `BPF_X`; `BPF_JMP` is added) with constant `k`, going to `jt` when the condition holds and to `jf`
    /// otherwise; adds trampolines after it for targets out of 8-bit reach.
    pub fn jump(&mut self, code: u16, k: u32, jt: Target, jf: Target) -> Result<Label, Full> {
        // Up to two trampolines go between the jump and the rest, so check reach from two further on.
        let from = self.count + 2;
        let direct_t = self.reachable(jt, from);
        let direct_f = self.reachable(jf, from);
        let label_t = match direct_t {
            Some(label) => label,
            None => self.trampoline(jt)?,
        };
        let label_f = match direct_f {
            Some(label) => label,
            None if jf == jt => label_t,
            None => self.trampoline(jf)?,
        };
        let here = self.count;
        let jt = (here - label_t.0 - 1) as u8;
        let jf = (here - label_f.0 - 1) as u8;
        self.push(SockFilter::jump(BPF_JMP | code, k, jt, jf))
    }

    /// Moves the program to the front of the buffer and returns it.
    pub fn finish(self) -> &'b [SockFilter] {
        let start = self.capacity - self.count as usize;
        self.buf.copy_within(start..self.capacity, 0);
        self.buf.get(..self.count as usize).unwrap_or(&[])
    }
}
