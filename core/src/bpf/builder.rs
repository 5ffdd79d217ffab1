//! A forward program builder with typed labels, over caller storage: the front of the one
//! [`Writer`].
//!
//! Code is recorded in order; jumps name a [`Label`] (or [`Target::Next`]) instead of an offset, and labels
//! are bound to the position of the next recorded instruction. Classic BPF jumps only forward, so a jump to a
//! label that is already bound is refused at once ([`BuildError::BackwardJump`]).
//!
//! [`Builder::finish`] replays the recording backwards through the writer: every instruction a jump can
//! reach is already written when the jump is, so its distance is known and there is no relayout. A
//! conditional jump's offsets are 8-bit; when a target is out of reach (the writer's rule: more than 253
//! instructions past the jump, leaving room for two trampolines), a `ja` trampoline (`JA` offsets are
//! 32-bit) goes right after the branch, the else-trampoline first:
//!
//! ```text
//! jeq #k, far_then, far_else   becomes   jeq #k, +1, +0
//!                                        ja far_else
//!                                        ja far_then
//! ```
//!
//! No heap: the builder works on three caller slices (recorded items, labels, output), or on a [`Storage`]
//! that holds all three with capacities in its type.

use super::insn::*;
use super::writer::{self, Full, Writer};
use crate::abi::{BPF_MAXINSNS, SockFilter};
use crate::action::Action;
use core::fmt;

/// A jump target, created by [`Builder::label`] and bound once with [`Builder::bind`]. A label belongs to
/// the builder that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(u32);

impl Label {
    /// The label's number within its builder (0 for the first label made), for messages.
    pub const fn id(self) -> u32 {
        self.0
    }
}

/// Where a conditional jump goes: a label, or the instruction right after the jump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The instruction the label is bound to.
    Label(Label),
    /// The next instruction (offset 0).
    Next,
}

impl From<Label> for Target {
    fn from(label: Label) -> Target {
        Target::Label(label)
    }
}

/// Storage for one pending item (an instruction, a jump or a branch) of a [`Builder`]. Opaque; allocate an
/// array of [`Slot::EMPTY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    kind: Kind,
    code: u16,
    k: u32,
    /// jt for a plain instruction; the target for a jump; the then-target for a branch.
    then: u32,
    /// jf for a plain instruction; the else-target for a branch.
    otherwise: u32,
    /// The writer's label of the item's instruction, once replayed.
    written: Option<writer::Label>,
}

impl Slot {
    /// An unused slot.
    pub const EMPTY: Slot = Slot {
        kind: Kind::Plain,
        code: 0,
        k: 0,
        then: 0,
        otherwise: 0,
        written: None,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Plain,
    Jump,
    Branch,
}

/// The encoding of [`Target::Next`] in a branch slot.
const NEXT: u32 = u32::MAX;

/// Storage for one label of a [`Builder`]: the index of the item it is bound to. Opaque; allocate an array
/// of [`LabelSlot::UNBOUND`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelSlot(u32);

impl LabelSlot {
    /// A label not bound yet.
    pub const UNBOUND: LabelSlot = LabelSlot(u32::MAX);
}

/// Why a program could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildError {
    /// More items than the item storage holds.
    TooManyInstructions {
        /// The item storage's capacity.
        capacity: usize,
    },
    /// More labels than the label storage holds.
    TooManyLabels {
        /// The label storage's capacity.
        capacity: usize,
    },
    /// The laid-out program (trampolines included) does not fit the output storage.
    OutputTooSmall {
        /// The instructions needed (at least; layout stops growing at the first overflow).
        needed: usize,
        /// The output storage's capacity.
        capacity: usize,
    },
    /// The laid-out program has more than 4096 instructions, the kernel's limit.
    ProgramTooLong {
        /// The length reached (at least).
        len: usize,
    },
    /// A label was used that this builder did not make.
    UnknownLabel {
        /// The label's number.
        label: u32,
    },
    /// A label was bound twice.
    LabelBoundTwice {
        /// The label's number.
        label: u32,
    },
    /// A jump to a label that is already bound: classic BPF jumps only forward.
    BackwardJump {
        /// The label's number.
        label: u32,
    },
    /// A jump to a label never bound.
    UnboundLabel {
        /// The label's number.
        label: u32,
    },
    /// A jump to a label bound after the last instruction (or a branch to [`Target::Next`] at the end).
    JumpPastEnd {
        /// The label's number, `None` for [`Target::Next`].
        label: Option<u32>,
    },
    /// [`Builder::jump_if`] with an opcode that is not a conditional jump.
    NotABranch {
        /// The opcode.
        code: u16,
    },
    /// [`Builder::emit`] with a jump: its offsets could not follow the layout. Use `jump` or `jump_if`.
    RawJump {
        /// The opcode.
        code: u16,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BuildError::TooManyInstructions { capacity } => {
                write!(
                    f,
                    "more than {capacity} instructions: the builder's storage is full"
                )
            }
            BuildError::TooManyLabels { capacity } => {
                write!(
                    f,
                    "more than {capacity} labels: the builder's label storage is full"
                )
            }
            BuildError::OutputTooSmall { needed, capacity } => write!(
                f,
                "the program needs at least {needed} instructions but the output holds {capacity}"
            ),
            BuildError::ProgramTooLong { len } => write!(
                f,
                "the program has at least {len} instructions, more than the kernel's {BPF_MAXINSNS}"
            ),
            BuildError::UnknownLabel { label } => write!(f, "label {label} does not belong to this builder"),
            BuildError::LabelBoundTwice { label } => write!(f, "label {label} is bound twice"),
            BuildError::BackwardJump { label } => write!(
                f,
                "jump to label {label}, which is already bound: classic BPF jumps only forward"
            ),
            BuildError::UnboundLabel { label } => write!(f, "label {label} is used but never bound"),
            BuildError::JumpPastEnd { label: Some(label) } => {
                write!(f, "label {label} is bound after the last instruction")
            }
            BuildError::JumpPastEnd { label: None } => {
                write!(f, "a branch to the next instruction is the last instruction")
            }
            BuildError::NotABranch { code } => write!(f, "opcode {code:#06x} is not a conditional jump"),
            BuildError::RawJump { code } => write!(
                f,
                "opcode {code:#06x} is a jump; emit jumps with jump or jump_if so their offsets follow the layout"
            ),
        }
    }
}

impl core::error::Error for BuildError {}

/// Builds a program into caller storage. See the module documentation.
#[derive(Debug)]
pub struct Builder<'s> {
    items: &'s mut [Slot],
    len: usize,
    labels: &'s mut [LabelSlot],
    label_count: usize,
    out: &'s mut [SockFilter],
}

impl<'s> Builder<'s> {
    /// A builder over caller storage: `items` holds one slot per emitted instruction, jump or branch,
    /// `labels` one slot per label, and `out` receives the laid-out program (trampolines included).
    pub fn new(items: &'s mut [Slot], labels: &'s mut [LabelSlot], out: &'s mut [SockFilter]) -> Builder<'s> {
        Builder {
            items,
            len: 0,
            labels,
            label_count: 0,
            out,
        }
    }

    /// The number of items emitted so far (instructions, jumps and branches; trampolines not counted).
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was emitted yet.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A new, unbound label.
    pub fn label(&mut self) -> Result<Label, BuildError> {
        let capacity = self.labels.len();
        let slot = self
            .labels
            .get_mut(self.label_count)
            .ok_or(BuildError::TooManyLabels { capacity })?;
        *slot = LabelSlot::UNBOUND;
        let label = Label(self.label_count as u32);
        self.label_count += 1;
        Ok(label)
    }

    /// Binds `label` to the next instruction emitted.
    pub fn bind(&mut self, label: Label) -> Result<(), BuildError> {
        let position = self.len as u32;
        let slot = self.label_slot(label)?;
        if *slot != LabelSlot::UNBOUND {
            return Err(BuildError::LabelBoundTwice { label: label.0 });
        }
        *slot = LabelSlot(position);
        Ok(())
    }

    /// Whether `label` is bound already.
    pub fn is_bound(&self, label: Label) -> bool {
        self.labels
            .get(label.0 as usize)
            .is_some_and(|slot| label.0 < self.label_count as u32 && *slot != LabelSlot::UNBOUND)
    }

    /// Appends a non-jump instruction as is (its `jt` and `jf` too).
    pub fn emit(&mut self, insn: SockFilter) -> Result<(), BuildError> {
        if class(insn.code) == BPF_JMP {
            return Err(BuildError::RawJump { code: insn.code });
        }
        self.push(Slot {
            kind: Kind::Plain,
            code: insn.code,
            k: insn.k,
            then: insn.jt as u32,
            otherwise: insn.jf as u32,
            ..Slot::EMPTY
        })
    }

    /// Appends `ld [offset]`: loads a word of `seccomp_data` into A.
    pub fn load(&mut self, offset: u32) -> Result<(), BuildError> {
        self.emit(SockFilter::load_data(offset))
    }

    /// Appends `ret #action`.
    pub fn ret(&mut self, action: Action) -> Result<(), BuildError> {
        self.emit(SockFilter::ret(action.raw()))
    }

    /// Appends `ja label`.
    pub fn jump(&mut self, label: Label) -> Result<(), BuildError> {
        let target = self.forward(label)?;
        self.push(Slot {
            kind: Kind::Jump,
            code: BPF_JMP | BPF_JA,
            then: target,
            ..Slot::EMPTY
        })
    }

    /// Appends a conditional jump. `code` is the full opcode, `BPF_JMP | BPF_JEQ | BPF_K` say (`BPF_JEQ`,
    /// `BPF_JGT`, `BPF_JGE` or `BPF_JSET`, with `BPF_K` or `BPF_X`), or just the operation and source
    /// (`BPF_JEQ | BPF_K`). `k` is the constant operand; with `BPF_X` the kernel ignores it and it is written
    /// as 0. Targets more than 255 instructions ahead get trampolines at [`finish`](Builder::finish).
    pub fn jump_if(
        &mut self,
        code: u16,
        k: u32,
        then: impl Into<Target>,
        otherwise: impl Into<Target>,
    ) -> Result<(), BuildError> {
        let full = if class(code) == 0 { code | BPF_JMP } else { code };
        if !is_branch(full) {
            return Err(BuildError::NotABranch { code });
        }
        let code = full;
        let k = if src(code) == BPF_X { 0 } else { k };
        let then = self.target(then.into())?;
        let otherwise = self.target(otherwise.into())?;
        self.push(Slot {
            kind: Kind::Branch,
            code,
            k,
            then,
            otherwise,
            ..Slot::EMPTY
        })
    }

    /// Writes the program and returns it: labels resolved, trampolines inserted. Validate it before use;
    /// the builder does not check that the program ends with a return.
    pub fn finish(self) -> Result<&'s [SockFilter], BuildError> {
        let Builder {
            items,
            len,
            labels,
            label_count,
            out,
        } = self;
        let items = items.get_mut(..len).unwrap_or_default();
        let labels = labels.get(..label_count).unwrap_or_default();
        // Every jump must resolve before anything is written, so that label errors win over length ones.
        for index in 0..items.len() {
            let Some(item) = items.get(index).copied() else {
                break;
            };
            match item.kind {
                Kind::Plain => {}
                Kind::Jump => {
                    position(items, labels, index, item.then)?;
                }
                Kind::Branch => {
                    position(items, labels, index, item.then)?;
                    position(items, labels, index, item.otherwise)?;
                }
            }
        }
        let capacity = out.len();
        let mut writer = Writer::new(out, BPF_MAXINSNS);
        for index in (0..items.len()).rev() {
            let Some(item) = items.get(index).copied() else {
                break;
            };
            let at = |target: u32| resolve(items, labels, index, target).map(writer::Target::At);
            let written = match item.kind {
                Kind::Plain => writer.stmt(SockFilter::jump(
                    item.code,
                    item.k,
                    item.then as u8,
                    item.otherwise as u8,
                )),
                Kind::Jump => {
                    let writer::Target::At(target) = at(item.then)? else {
                        break;
                    };
                    writer.ja(target)
                }
                Kind::Branch => {
                    let (then, otherwise) = (at(item.then)?, at(item.otherwise)?);
                    writer.jump(item.code, item.k, then, otherwise)
                }
            };
            let written = written.map_err(|Full| {
                // What is written, the instruction that did not fit, and at least one per item before it.
                let needed = writer.len() + 1 + index;
                if capacity >= BPF_MAXINSNS {
                    BuildError::ProgramTooLong { len: needed }
                } else {
                    BuildError::OutputTooSmall { needed, capacity }
                }
            })?;
            if let Some(slot) = items.get_mut(index) {
                slot.written = Some(written);
            }
        }
        Ok(writer.finish())
    }

    fn push(&mut self, slot: Slot) -> Result<(), BuildError> {
        let capacity = self.items.len();
        let free = self
            .items
            .get_mut(self.len)
            .ok_or(BuildError::TooManyInstructions { capacity })?;
        *free = slot;
        self.len += 1;
        Ok(())
    }

    fn label_slot(&mut self, label: Label) -> Result<&mut LabelSlot, BuildError> {
        if label.0 as usize >= self.label_count {
            return Err(BuildError::UnknownLabel { label: label.0 });
        }
        self.labels
            .get_mut(label.0 as usize)
            .ok_or(BuildError::UnknownLabel { label: label.0 })
    }

    /// Checks that `label` is not bound yet (a forward jump) and returns its encoding.
    fn forward(&mut self, label: Label) -> Result<u32, BuildError> {
        if *self.label_slot(label)? != LabelSlot::UNBOUND {
            return Err(BuildError::BackwardJump { label: label.0 });
        }
        Ok(label.0)
    }

    fn target(&mut self, target: Target) -> Result<u32, BuildError> {
        match target {
            Target::Label(label) => self.forward(label),
            Target::Next => Ok(NEXT),
        }
    }
}

/// Whether `code` is a conditional jump opcode.
const fn is_branch(code: u16) -> bool {
    matches!(code, 0x15 | 0x1d | 0x25 | 0x2d | 0x35 | 0x3d | 0x45 | 0x4d)
}

/// The item a jump of item `index` goes to (`NEXT` means the item after `index`), checked to exist.
fn position(items: &[Slot], labels: &[LabelSlot], index: usize, target: u32) -> Result<usize, BuildError> {
    let position = if target == NEXT {
        index + 1
    } else {
        let LabelSlot(position) = *labels
            .get(target as usize)
            .ok_or(BuildError::UnknownLabel { label: target })?;
        if position == LabelSlot::UNBOUND.0 {
            return Err(BuildError::UnboundLabel { label: target });
        }
        position as usize
    };
    if position < items.len() {
        Ok(position)
    } else {
        Err(BuildError::JumpPastEnd {
            label: (target != NEXT).then_some(target),
        })
    }
}

/// The writer's label of the item a jump of item `index` goes to. Jumps go forward, so during the
/// backward replay that item is already written.
fn resolve(
    items: &[Slot],
    labels: &[LabelSlot],
    index: usize,
    target: u32,
) -> Result<writer::Label, BuildError> {
    let position = position(items, labels, index, target)?;
    items
        .get(position)
        .and_then(|item| item.written)
        .ok_or(BuildError::JumpPastEnd {
            label: (target != NEXT).then_some(target),
        })
}

/// A [`Builder`]'s storage with its capacities in the type: `INSNS` items and output instructions, `LABELS`
/// labels. `Storage::<4096, 1024>` takes about 120 KiB; put it in a `static`, a `Box` or a large stack.
#[derive(Debug)]
pub struct Storage<const INSNS: usize, const LABELS: usize> {
    items: [Slot; INSNS],
    labels: [LabelSlot; LABELS],
    out: [SockFilter; INSNS],
}

impl<const INSNS: usize, const LABELS: usize> Storage<INSNS, LABELS> {
    /// Empty storage.
    pub const fn new() -> Self {
        Storage {
            items: [Slot::EMPTY; INSNS],
            labels: [LabelSlot::UNBOUND; LABELS],
            out: [SockFilter::stmt(0, 0); INSNS],
        }
    }

    /// A builder over this storage.
    pub fn builder(&mut self) -> Builder<'_> {
        Builder::new(&mut self.items, &mut self.labels, &mut self.out)
    }
}

impl<const INSNS: usize, const LABELS: usize> Default for Storage<INSNS, LABELS> {
    fn default() -> Self {
        Self::new()
    }
}
