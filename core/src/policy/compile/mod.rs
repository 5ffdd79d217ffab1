//! The policy compiler: lowers a [`Policy`] to a classic-BPF program the kernel accepts.
//!
//! # Program shape
//!
//! ```text
//!     ld  [arch]
//!     jeq #AUDIT_ARCH_<target>, next, bad       ; foreign arch: bad-arch action
//!     ld  [nr]
//!     <search tree over nr ranges>              ; jge/jeq on nr only
//!     <argument blocks, inline near their leaf> ; only for syscalls whose rules look at arguments
//!     <ret per distinct action, shared>
//! ```
//!
//! **Ranges.** The 2^32 possible `nr` values are cut into maximal ranges of consecutive numbers with one
//! *outcome*: an action, or an argument block. Numbers outside the table are just more numbers, so gaps
//! fall into ranges with the default action. For x86_64 the x32 half of the number space (bit 30 set) is
//! two more ranges with the bad-arch action, so the x32 check costs no instruction on the path of native
//! syscalls; for an x32 target the halves are swapped.
//!
//! **Search tree.** A binary search over the ranges with `jge` nodes, split by weight (the number of the
//! arch's table syscalls in each side, plus one per range so empty gaps stay shallow), so the many
//! syscalls in a dense stretch of the table get short paths. A window of three ranges where a single number
//! sits between two ranges of the same outcome takes one `jeq` instead of two `jge`.
//!
//! **Argument blocks.** Only syscalls with conditional rules reach one, so every other syscall is decided
//! by `nr` alone and is cacheable by the kernel's action cache. A block tests the conditional rules from
//! the least permissive to the most (which realises "least permissive among the matching ones"), each rule
//! as its alternatives, each alternative as a chain of comparisons; failing everything gives the syscall's
//! fallback (its unconditional rule or the default). Comparisons that cannot depend on the argument are
//! folded; syscalls whose blocks are equal share one block.
//!
//! **64-bit comparisons** are built from the two 32-bit halves, high word first:
//! - `a == v`: `hi == vh && lo == vl`; `!=` is its negation.
//! - `a >= v`: `hi > vh || (hi == vh && lo >= vl)`; with `vl == 0` just `hi >= vh`. `a > v` is
//!   `a >= v + 1`, `a < v` is `!(a >= v)`, `a <= v` is `!(a >= v + 1)`.
//! - `(a & m) == v`: each half with its mask: no `and` when the half's mask is all ones, a `jset` when it
//!   is a single bit, nothing when it is zero.
//!
//! # Stages, one module each, in program order
//!
//! 1. `normalize`: rules sorted by syscall, each syscall's rules reduced to a group;
//! 2. `ranges`: the number space cut into ranges of one outcome, weighed;
//! 3. `plan`: comparisons planned as 32-bit word steps;
//! 4. `lower`: the program written backwards through [`crate::bpf::Writer`].

mod lower;
mod normalize;
mod optimal;
mod plan;
mod ranges;
mod values;

use crate::abi::{self, SockFilter};
use crate::arch::Arch;
use crate::bpf::Validated;
use crate::bpf::insn::BPF_JEQ;
use crate::bpf::writer::{Full, Target, Writer};
use crate::policy::model::Policy;
use core::fmt;
use lower::Lowering;
use normalize::Group;
use ranges::Range;

/// Why a policy could not be compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompileError {
    /// The policy has more rules than the compiler's workspace holds.
    TooManyRules {
        /// The workspace's capacity.
        capacity: usize,
    },
    /// The syscall numbers split into more ranges than the compiler's workspace holds.
    TooManyRanges {
        /// The workspace's capacity.
        capacity: usize,
    },
    /// The program does not fit the output buffer or the kernel's limit of 4096 instructions.
    ProgramTooLong {
        /// The number of instructions available.
        capacity: usize,
    },
    /// The validator refused the output: a compiler bug, reported rather than handed out.
    Invalid(crate::bpf::ValidationError),
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::TooManyRules { capacity } => {
                write!(f, "the policy has more rules than the compiler's {capacity}")
            }
            CompileError::TooManyRanges { capacity } => {
                write!(f, "the syscall numbers split into more than {capacity} ranges")
            }
            CompileError::ProgramTooLong { capacity } => write!(
                f,
                "the program needs more than the {capacity} instructions available"
            ),
            CompileError::Invalid(error) => {
                write!(f, "the compiled program is invalid (a compiler bug): {error}")
            }
        }
    }
}

impl core::error::Error for CompileError {}

/// The compiler's workspace: room for `N` rules, `N` syscall groups and `N` number ranges (42 bytes
/// per unit of `N`, so the default is about 84 KiB). It lives on the stack for [`compile`]; keep one in a
/// `static` or a long-lived struct to compile repeatedly without that stack cost.
pub struct Compiler<const N: usize = 2048> {
    order: [u16; N],
    groups: [Group; N],
    group_count: usize,
    ranges: [Range; N],
    range_count: usize,
}

impl<const N: usize> Default for Compiler<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Compiler<N> {
    /// An empty workspace.
    pub const fn new() -> Self {
        const { assert!(N <= u16::MAX as usize, "rule indices are 16-bit") };
        Compiler {
            order: [0; N],
            groups: [Group::EMPTY; N],
            group_count: 0,
            ranges: [Range::EMPTY; N],
            range_count: 0,
        }
    }

    /// Compiles `policy` into `out` (at most 4096 instructions of it are used) and returns the validated
    /// program, which borrows `out`, with facts about its shape.
    pub fn compile<'b, const R: usize, const C: usize>(
        &mut self,
        policy: &Policy<R, C>,
        out: &'b mut [SockFilter],
    ) -> Result<Compiled<'b>, CompileError> {
        let capacity = out.len().min(abi::BPF_MAXINSNS);
        let full = |Full| CompileError::ProgramTooLong { capacity };
        let mut emit = Writer::new(out, abi::BPF_MAXINSNS);
        let mut ranges = 0;
        let mut blocks = 0;
        let insns = match policy.compat() {
            None => {
                let mut lowering = self.lowering(policy, policy.arch(), emit)?;
                lowering.program().map_err(full)?;
                ranges = lowering.ranges.len();
                blocks = count_blocks(lowering.groups);
                lowering.emit.finish()
            }
            Some(compat) => {
                // One part per ABI, the compat part last (written first: the writer goes backwards),
                // behind one arch check per ABI; the parts share the return blocks.
                let mut parts = [Target::Ret(policy.bad_arch_action()); 2];
                for (slot, arch) in [(1, compat), (0, policy.arch())] {
                    let mut lowering = self.lowering(policy, arch, emit)?;
                    parts[slot] = lowering.part().map_err(full)?;
                    ranges += lowering.ranges.len();
                    blocks += count_blocks(lowering.groups);
                    emit = lowering.emit;
                }
                let bad = Target::Ret(policy.bad_arch_action());
                let compat_check = emit.jump(BPF_JEQ, compat.audit(), parts[1], bad).map_err(full)?;
                emit.jump(BPF_JEQ, policy.arch().audit(), parts[0], Target::At(compat_check))
                    .map_err(full)?;
                emit.stmt(SockFilter::load_data(abi::offset::ARCH))
                    .map_err(full)?;
                emit.finish()
            }
        };
        Ok(Compiled {
            program: crate::bpf::validate(insns).map_err(CompileError::Invalid)?,
            arch: policy.arch(),
            ranges,
            blocks,
        })
    }

    /// Runs the first stages for the rules of ABI `arch` and returns the lowering that writes its part.
    fn lowering<'s, 'p, 'b, const R: usize, const C: usize>(
        &'s mut self,
        policy: &'p Policy<R, C>,
        arch: Arch,
        emit: Writer<'b>,
    ) -> Result<Lowering<'p, 's, 'b, R, C>, CompileError> {
        self.group_count = normalize::normalize(policy, arch, &mut self.order, &mut self.groups)?;
        self.range_count = ranges::build(policy, arch, &self.groups[..self.group_count], &mut self.ranges)?;
        Ok(Lowering {
            policy,
            order: &self.order,
            groups: &mut self.groups[..self.group_count],
            ranges: &self.ranges[..self.range_count],
            emit,
        })
    }
}

/// The number of distinct argument blocks among `groups` (after sharing equal blocks).
fn count_blocks(groups: &[Group]) -> usize {
    groups
        .iter()
        .enumerate()
        .filter(|(i, g)| g.len > 0 && usize::from(g.canonical) == *i)
        .count()
}

/// A compiled policy: the validated program and facts about how it was built.
#[derive(Clone, Copy, Debug)]
pub struct Compiled<'b> {
    program: Validated<'b>,
    arch: Arch,
    ranges: usize,
    blocks: usize,
}

impl<'b> Compiled<'b> {
    /// The program, ready for the emulator or the installer.
    pub const fn program(&self) -> Validated<'b> {
        self.program
    }

    /// The number of `nr` ranges the search tree distinguishes (including the x32 and out-of-table ones).
    pub const fn ranges(&self) -> usize {
        self.ranges
    }

    /// The number of distinct argument blocks (syscalls whose outcome depends on arguments, after
    /// sharing equal blocks).
    pub const fn arg_blocks(&self) -> usize {
        self.blocks
    }

    /// The architecture the program is for.
    pub const fn arch(&self) -> Arch {
        self.arch
    }
}

/// Compiles `policy` into `out` with a workspace on the stack; see [`Compiler::compile`].
pub fn compile<'b, const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    out: &'b mut [SockFilter],
) -> Result<Compiled<'b>, CompileError> {
    Compiler::<2048>::new().compile(policy, out)
}
