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
use crate::bpf::writer::{Full, Writer};
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
        self.group_count = normalize::normalize(policy, &mut self.order, &mut self.groups)?;
        self.range_count = ranges::build(policy, &self.groups[..self.group_count], &mut self.ranges)?;
        let capacity = out.len().min(abi::BPF_MAXINSNS);
        let mut lowering = Lowering {
            policy,
            order: &self.order,
            groups: &mut self.groups[..self.group_count],
            ranges: &self.ranges[..self.range_count],
            emit: Writer::new(out, abi::BPF_MAXINSNS),
        };
        lowering
            .program()
            .map_err(|Full| CompileError::ProgramTooLong { capacity })?;
        let insns = lowering.emit.finish();
        let blocks = self.groups[..self.group_count]
            .iter()
            .enumerate()
            .filter(|(i, g)| g.len > 0 && usize::from(g.canonical) == *i)
            .count();
        Ok(Compiled {
            program: crate::bpf::validate(insns).map_err(CompileError::Invalid)?,
            arch: policy.arch(),
            ranges: self.range_count,
            blocks,
        })
    }
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
