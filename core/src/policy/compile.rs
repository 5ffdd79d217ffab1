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

use super::emit::{Emitter, Full, Label, Target};
use super::model::{Comparison, Op, Policy, Width, X32};
use super::stats::Stats;
use crate::abi::{self, SockFilter, offset};
use crate::action::Action;
use crate::arch::Arch;
use crate::bpf::Validated;
use crate::bpf::insn::{BPF_ALU, BPF_AND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_K};
use core::fmt;

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

/// What one `nr` range leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// A fixed action.
    Ret(Action),
    /// The argument block of this group (its canonical index after sharing equal blocks).
    Block(u16),
}

/// The rules of one syscall number, normalised.
#[derive(Clone, Copy, Debug)]
struct Group {
    nr: u32,
    /// The kept conditional rules are `order[first..first + len]`, least permissive first.
    first: u16,
    len: u16,
    /// The action when no kept conditional rule matches.
    fallback: Action,
    /// The group whose block this one uses (itself unless an earlier group's block is equal).
    canonical: u16,
    /// The block's label once emitted.
    label: Option<Label>,
}

impl Group {
    const EMPTY: Group = Group {
        nr: 0,
        first: 0,
        len: 0,
        fallback: Action::KILL_PROCESS,
        canonical: 0,
        label: None,
    };

    fn outcome(&self) -> Outcome {
        if self.len == 0 {
            Outcome::Ret(self.fallback)
        } else {
            Outcome::Block(self.canonical)
        }
    }
}

/// A maximal range of numbers with one outcome: `start` up to the next range's start.
#[derive(Clone, Copy, Debug)]
struct Range {
    start: u32,
    outcome: Outcome,
    /// Total weight of this range and all before it.
    cumulative: u32,
}

impl Range {
    const EMPTY: Range = Range {
        start: 0,
        outcome: Outcome::Ret(Action::KILL_PROCESS),
        cumulative: 0,
    };
}

/// Weight of one syscall of the arch's table in the search tree, relative to the 1 every range gets.
const SYSCALL_WEIGHT: u32 = 8;

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
        self.group(policy)?;
        self.build_ranges(policy)?;
        let capacity = out.len().min(abi::BPF_MAXINSNS);
        let mut lowering = Lowering {
            policy,
            order: &self.order,
            groups: &mut self.groups[..self.group_count],
            ranges: &self.ranges[..self.range_count],
            emit: Emitter::new(out, abi::BPF_MAXINSNS),
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

    /// Sorts the rules by syscall and normalises each syscall's rules into a [`Group`].
    fn group<const R: usize, const C: usize>(&mut self, policy: &Policy<R, C>) -> Result<(), CompileError> {
        let n = policy.len();
        let order = self
            .order
            .get_mut(..n)
            .ok_or(CompileError::TooManyRules { capacity: N })?;
        for (i, slot) in order.iter_mut().enumerate() {
            *slot = i as u16;
        }
        let key = |index: u16| {
            let rule = policy.rule(usize::from(index));
            rule.map(|r| (r.nr(), !r.is_conditional(), r.action().precedence_key(), index))
        };
        order.sort_unstable_by_key(|&index| key(index));
        self.group_count = 0;
        let mut start = 0;
        while start < n {
            let nr = policy.rule(usize::from(self.order[start])).map_or(0, |r| r.nr());
            let mut end = start;
            let mut unconditional = n;
            while end < n {
                let Some(rule) = policy.rule(usize::from(self.order[end])) else {
                    break;
                };
                if rule.nr() != nr {
                    break;
                }
                if !rule.is_conditional() && unconditional == n {
                    unconditional = end;
                }
                end += 1;
            }
            let conditional_end = unconditional.min(end);
            let mut fallback = match self.order.get(conditional_end) {
                Some(&index) if conditional_end < end => policy
                    .rule(usize::from(index))
                    .map_or(policy.default_action(), |r| r.action()),
                _ => policy.default_action(),
            };
            let mut kept = start;
            for k in start..conditional_end {
                let index = self.order[k];
                let Some(rule) = policy.rule(usize::from(index)) else {
                    continue;
                };
                match rule_constant(rule.alternatives()) {
                    Some(false) => {}
                    Some(true) => {
                        fallback = rule.action();
                        break;
                    }
                    None => {
                        self.order[kept] = index;
                        kept += 1;
                    }
                }
            }
            while kept > start
                && policy
                    .rule(usize::from(self.order[kept - 1]))
                    .is_some_and(|rule| rule.action() == fallback)
            {
                kept -= 1;
            }
            let index = self.group_count;
            let mut group = Group {
                nr,
                first: start as u16,
                len: (kept - start) as u16,
                fallback,
                canonical: index as u16,
                label: None,
            };
            if group.len > 0 {
                let shared = self.groups[..index].iter().enumerate().position(|(i, other)| {
                    usize::from(other.canonical) == i && same_block(policy, &self.order, other, &group)
                });
                if let Some(same) = shared {
                    group.canonical = same as u16;
                }
            }
            // `groups` has room: there are at most as many groups as rules, and `order` held the rules.
            if let Some(slot) = self.groups.get_mut(index) {
                *slot = group;
            }
            self.group_count += 1;
            start = end;
        }
        Ok(())
    }

    /// Cuts the number space into ranges of one outcome and weighs them.
    fn build_ranges<const R: usize, const C: usize>(
        &mut self,
        policy: &Policy<R, C>,
    ) -> Result<(), CompileError> {
        const QUARTER: u64 = 1 << 30;
        #[derive(Clone, Copy, PartialEq)]
        enum Segment {
            Rules,
            Bad,
            X32ByName,
        }
        use Segment::{Bad, Rules, X32ByName};
        let segments = match (policy.arch(), policy.x32()) {
            (Arch::X86_64, X32::BadArch) => [Rules, Bad, Rules, Bad],
            (Arch::X86_64, X32::ByName) => [Rules, X32ByName, Rules, X32ByName],
            (Arch::X32, _) => [Bad, Rules, Bad, Rules],
            _ => [Rules; 4],
        };
        let default = Outcome::Ret(policy.default_action());
        let mut ranges = RangeList {
            ranges: &mut self.ranges,
            len: 0,
        };
        let groups = &self.groups[..self.group_count];
        let mut next_group = 0;
        for (quarter, segment) in segments.into_iter().enumerate() {
            let low = quarter as u64 * QUARTER;
            let high = low + QUARTER;
            match segment {
                Bad => ranges.push(low, Outcome::Ret(policy.bad_arch_action()))?,
                Rules => {
                    ranges.push(low, default)?;
                    while let Some(group) = groups.get(next_group) {
                        let nr = u64::from(group.nr);
                        if nr >= high {
                            break;
                        }
                        next_group += 1;
                        if nr < low {
                            continue;
                        }
                        ranges.push(nr, group.outcome())?;
                        ranges.push(nr + 1, default)?;
                    }
                }
                X32ByName => {
                    ranges.push(low, default)?;
                    for (name, nr) in Arch::X32.syscalls().iter() {
                        let nr = u64::from(nr);
                        if nr < low || nr >= high {
                            continue;
                        }
                        let outcome = Arch::X86_64
                            .syscall_nr(name)
                            .and_then(|native| groups.binary_search_by_key(&native, |g| g.nr).ok())
                            .and_then(|index| groups.get(index))
                            .map_or(default, Group::outcome);
                        ranges.push(nr, outcome)?;
                        ranges.push(nr + 1, default)?;
                    }
                }
            }
        }
        let len = ranges.len;
        // Weights: one per range plus SYSCALL_WEIGHT per syscall of the target's table inside it.
        let ranges = &mut self.ranges[..len];
        let mut table = policy.arch().syscalls().iter().peekable();
        let mut total = 0u32;
        for i in 0..ranges.len() {
            let end = ranges.get(i + 1).map_or(u64::MAX, |next| u64::from(next.start));
            let mut weight = 1;
            while let Some(&(_, nr)) = table.peek() {
                if u64::from(nr) >= end {
                    break;
                }
                weight += SYSCALL_WEIGHT;
                table.next();
            }
            total += weight;
            ranges[i].cumulative = total;
        }
        self.range_count = len;
        Ok(())
    }
}

/// Whether two groups' blocks would be the same code: same fallback and, rule by rule, same action and
/// condition.
fn same_block<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    order: &[u16],
    a: &Group,
    b: &Group,
) -> bool {
    if a.len != b.len || a.fallback != b.fallback {
        return false;
    }
    let rules = |g: &Group| {
        let start = usize::from(g.first);
        order.get(start..start + usize::from(g.len)).unwrap_or(&[])
    };
    rules(a).iter().zip(rules(b)).all(|(&x, &y)| {
        match (policy.rule(usize::from(x)), policy.rule(usize::from(y))) {
            (Some(x), Some(y)) => {
                x.action() == y.action()
                    && x.alternatives().len() == y.alternatives().len()
                    && x.alternatives().zip(y.alternatives()).all(|(p, q)| p == q)
            }
            _ => false,
        }
    })
}

/// The truth value of a conjunction when it does not depend on the arguments.
fn conjunction_constant(conjunction: &[Comparison]) -> Option<bool> {
    let mut all_true = true;
    for comparison in conjunction {
        match comparison.constant() {
            Some(false) => return Some(false),
            Some(true) => {}
            None => all_true = false,
        }
    }
    all_true.then_some(true)
}

/// The truth value of a rule's condition when it does not depend on the arguments.
fn rule_constant(alternatives: super::model::Alternatives<'_>) -> Option<bool> {
    let mut all_false = true;
    for conjunction in alternatives {
        match conjunction_constant(conjunction) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => all_false = false,
        }
    }
    all_false.then_some(false)
}

/// The ranges being built, merging neighbours with equal outcomes.
struct RangeList<'a> {
    ranges: &'a mut [Range],
    len: usize,
}

impl RangeList<'_> {
    /// From `start` on (until the next push), numbers have `outcome`.
    fn push(&mut self, start: u64, outcome: Outcome) -> Result<(), CompileError> {
        let Ok(start) = u32::try_from(start) else {
            return Ok(());
        };
        if let Some(last) = self.len.checked_sub(1).and_then(|i| self.ranges.get_mut(i)) {
            if last.start == start {
                last.outcome = outcome;
                let merge = self
                    .len
                    .checked_sub(2)
                    .and_then(|i| self.ranges.get(i))
                    .is_some_and(|previous| previous.outcome == outcome);
                if merge {
                    self.len -= 1;
                }
                return Ok(());
            }
            if last.outcome == outcome {
                return Ok(());
            }
        }
        let capacity = self.ranges.len();
        let slot = self
            .ranges
            .get_mut(self.len)
            .ok_or(CompileError::TooManyRanges { capacity })?;
        *slot = Range {
            start,
            outcome,
            cumulative: 0,
        };
        self.len += 1;
        Ok(())
    }
}

/// One 32-bit step of a comparison.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `word == k`: true goes on, false fails.
    Eq(u32),
    /// `word & mask == k`.
    Masked(u32, u32),
    /// `word >= k` (last step).
    Ge(u32),
    /// `word > k` (last step).
    Gt(u32),
    /// The high word of an ordered comparison: above `k` is true, equal goes on, below is false.
    HiOrdered(u32),
}

impl Step {
    /// Whether the step changes A (an `and`), so the loaded word is not in A afterwards.
    fn clobbers(self) -> bool {
        matches!(self, Step::Masked(mask, _) if mask != u32::MAX && !mask.is_power_of_two())
    }
}

/// A comparison lowered to word steps: one or two `(offset, step)`, and whether the result is negated
/// (pass and fail swapped).
#[derive(Clone, Copy, Debug)]
struct Plan {
    steps: [Option<(u32, Step)>; 2],
    negate: bool,
}

impl Plan {
    /// Plans a comparison that is not constant.
    fn of(comparison: &Comparison) -> Plan {
        let lo = offset::arg_lo(comparison.arg());
        let hi = offset::arg_hi(comparison.arg());
        let value = comparison.value();
        let (vh, vl) = ((value >> 32) as u32, value as u32);
        let one = |step| [Some((lo, step)), None];
        // `a >= v` on 64 bits.
        let ge64 = |v: u64| {
            let (vh, vl) = ((v >> 32) as u32, v as u32);
            if vl == 0 {
                [Some((hi, Step::Ge(vh))), None]
            } else {
                [Some((hi, Step::HiOrdered(vh))), Some((lo, Step::Ge(vl)))]
            }
        };
        let (steps, negate) = match (comparison.width(), comparison.op()) {
            (Width::Low, Op::Eq) => (one(Step::Eq(vl)), false),
            (Width::Low, Op::Ne) => (one(Step::Eq(vl)), true),
            (Width::Low, Op::Ge) => (one(Step::Ge(vl)), false),
            (Width::Low, Op::Gt) => (one(Step::Gt(vl)), false),
            (Width::Low, Op::Lt) => (one(Step::Ge(vl)), true),
            (Width::Low, Op::Le) => (one(Step::Gt(vl)), true),
            (Width::Low, Op::MaskedEq(mask)) => (one(Step::Masked(mask as u32, vl)), false),
            (Width::Full, Op::Eq) => ([Some((hi, Step::Eq(vh))), Some((lo, Step::Eq(vl)))], false),
            (Width::Full, Op::Ne) => ([Some((hi, Step::Eq(vh))), Some((lo, Step::Eq(vl)))], true),
            (Width::Full, Op::Ge) => (ge64(value), false),
            (Width::Full, Op::Gt) => (ge64(value.wrapping_add(1)), false),
            (Width::Full, Op::Lt) => (ge64(value), true),
            (Width::Full, Op::Le) => (ge64(value.wrapping_add(1)), true),
            (Width::Full, Op::MaskedEq(mask)) => {
                let (mh, ml) = ((mask >> 32) as u32, mask as u32);
                let high = (mh != 0).then_some((hi, Step::Masked(mh, vh)));
                let low = (ml != 0).then_some((lo, Step::Masked(ml, vl)));
                match (high, low) {
                    (Some(h), l) => ([Some(h), l], false),
                    (None, l) => ([l, None], false),
                }
            }
        };
        Plan { steps, negate }
    }

    /// The word the first step loads.
    fn first_word(&self) -> Option<u32> {
        self.steps[0].map(|(offset, _)| offset)
    }

    /// The word A holds whenever the comparison passes, if that is one word, unmodified.
    fn word_after_pass(&self) -> Option<u32> {
        match self.steps {
            [Some((offset, step)), None] if !step.clobbers() => Some(offset),
            [Some((_, Step::Eq(_) | Step::Masked(..))), Some((offset, step))]
                if !self.negate && !step.clobbers() =>
            {
                Some(offset)
            }
            _ => None,
        }
    }
}

/// The state of one compilation.
struct Lowering<'p, 'w, 'b, const R: usize, const C: usize> {
    policy: &'p Policy<R, C>,
    order: &'w [u16],
    groups: &'w mut [Group],
    ranges: &'w [Range],
    emit: Emitter<'b>,
}

impl<const R: usize, const C: usize> Lowering<'_, '_, '_, R, C> {
    /// Emits the whole program, backwards.
    fn program(&mut self) -> Result<(), Full> {
        let bad = self.policy.bad_arch_action();
        let root = match self.ranges.len() {
            0 => Target::Ret(self.policy.default_action()),
            len => self.tree(0, len - 1)?,
        };
        let after_arch = match root {
            Target::Ret(action) if action == bad => {
                self.emit.ret(action)?;
                return Ok(());
            }
            Target::Ret(action) => Target::Ret(action),
            Target::At(label) => {
                if self.emit.first() != Some(label) {
                    self.emit.ja(label)?;
                }
                Target::At(self.emit.stmt(SockFilter::load_data(offset::NR))?)
            }
        };
        self.emit
            .jump(BPF_JEQ, self.policy.arch().audit(), after_arch, Target::Ret(bad))?;
        self.emit.stmt(SockFilter::load_data(offset::ARCH))?;
        Ok(())
    }

    /// Emits the search tree over `ranges[i..=j]` and returns where it starts.
    fn tree(&mut self, i: usize, j: usize) -> Result<Target, Full> {
        let (Some(first), Some(last)) = (self.ranges.get(i), self.ranges.get(j)) else {
            return Ok(Target::Ret(self.policy.default_action()));
        };
        if i == j {
            return self.target(first.outcome);
        }
        if j == i + 2
            && first.outcome == last.outcome
            && let (Some(middle), Some(after)) = (self.ranges.get(i + 1), self.ranges.get(i + 2))
            && middle.start.checked_add(1) == Some(after.start)
        {
            let inside = self.target(middle.outcome)?;
            let outside = self.target(first.outcome)?;
            return self
                .emit
                .jump(BPF_JEQ, middle.start, inside, outside)
                .map(Target::At);
        }
        let s = self.split(i, j);
        let split_at = self.ranges.get(s).map_or(0, |range| range.start);
        let right = self.tree(s, j)?;
        let left = self.tree(i, s - 1)?;
        self.emit.jump(BPF_JGE, split_at, right, left).map(Target::At)
    }

    /// Picks the first range of the right subtree of `ranges[i..=j]` (`i < s <= j`): the boundary that
    /// divides the weight most evenly.
    fn split(&self, i: usize, j: usize) -> usize {
        let before = |k: usize| {
            k.checked_sub(1)
                .and_then(|p| self.ranges.get(p))
                .map_or(0, |range| range.cumulative)
        };
        let low = before(i);
        let high = self.ranges.get(j).map_or(0, |range| range.cumulative);
        let half = low + (high - low) / 2;
        // The first s in (i, j] whose left part (i..s) weighs at least half.
        let window = self.ranges.get(i..j).unwrap_or(&[]);
        let s = i + 1 + window.partition_point(|range| range.cumulative < half);
        let s = s.min(j);
        let imbalance = |s: usize| {
            let left = before(s) - low;
            let right = high - before(s);
            left.abs_diff(right)
        };
        if s > i + 1 && imbalance(s - 1) <= imbalance(s) {
            s - 1
        } else {
            s
        }
    }

    /// Where an outcome starts: a return, or the block (emitted here on first use, so it sits right after
    /// the jump that needs it).
    fn target(&mut self, outcome: Outcome) -> Result<Target, Full> {
        match outcome {
            Outcome::Ret(action) => Ok(Target::Ret(action)),
            Outcome::Block(index) => {
                let index = usize::from(index);
                if let Some(label) = self.groups.get(index).and_then(|g| g.label) {
                    return Ok(Target::At(label));
                }
                let label = self.block(index)?;
                if let Some(group) = self.groups.get_mut(index) {
                    group.label = Some(label);
                }
                Ok(Target::At(label))
            }
        }
    }

    /// Emits the argument block of group `index`.
    fn block(&mut self, index: usize) -> Result<Label, Full> {
        let Some(&group) = self.groups.get(index) else {
            return self.emit.ret(self.policy.default_action());
        };
        let policy = self.policy;
        let start = usize::from(group.first);
        let rules = self
            .order
            .get(start..start + usize::from(group.len))
            .unwrap_or(&[]);
        let mut fail = Target::Ret(group.fallback);
        for &rule_index in rules.iter().rev() {
            let Some(rule) = policy.rule(usize::from(rule_index)) else {
                continue;
            };
            let pass = Target::Ret(rule.action());
            for conjunction in rule.alternatives().rev() {
                match conjunction_constant(conjunction) {
                    Some(false) => {}
                    Some(true) => fail = pass,
                    None => fail = Target::At(self.conjunction(conjunction, pass, fail)?),
                }
            }
        }
        match fail {
            Target::At(label) => Ok(label),
            Target::Ret(action) => self.emit.ret(action),
        }
    }

    /// Emits a conjunction that goes to `pass` when every comparison holds and to `fail` otherwise.
    fn conjunction(&mut self, conjunction: &[Comparison], pass: Target, fail: Target) -> Result<Label, Full> {
        let mut pass = pass;
        let mut start = None;
        for (k, comparison) in conjunction.iter().enumerate().rev() {
            if comparison.constant().is_some() {
                continue; // true (false ones made the whole conjunction constant)
            }
            let plan = Plan::of(comparison);
            let previous = conjunction
                .get(..k)
                .unwrap_or(&[])
                .iter()
                .rev()
                .find(|c| c.constant().is_none());
            let loaded = previous.and_then(|c| Plan::of(c).word_after_pass());
            let skip_load = loaded.is_some() && loaded == plan.first_word();
            let label = self.comparison(&plan, pass, fail, skip_load)?;
            pass = Target::At(label);
            start = Some(label);
        }
        match start {
            Some(label) => Ok(label),
            None => match pass {
                Target::At(label) => Ok(label),
                Target::Ret(action) => self.emit.ret(action),
            },
        }
    }

    /// Emits one planned comparison; `skip_load` when A already holds its first word.
    fn comparison(
        &mut self,
        plan: &Plan,
        pass: Target,
        fail: Target,
        skip_load: bool,
    ) -> Result<Label, Full> {
        let (yes, no) = if plan.negate { (fail, pass) } else { (pass, fail) };
        let mut next = yes;
        let mut start = None;
        for (position, step) in plan.steps.iter().enumerate().rev() {
            let Some((word, step)) = *step else {
                continue;
            };
            let label = self.step(step, next, yes, no)?;
            let label = if position == 0 && skip_load {
                label
            } else {
                self.emit.stmt(SockFilter::load_data(word))?
            };
            next = Target::At(label);
            start = Some(label);
        }
        match start {
            Some(label) => Ok(label),
            None => match next {
                Target::At(label) => Ok(label),
                Target::Ret(action) => self.emit.ret(action),
            },
        }
    }

    /// Emits one word step (without its load): true goes to `next` (or `yes` for a decisive high word),
    /// false to `no`.
    fn step(&mut self, step: Step, next: Target, yes: Target, no: Target) -> Result<Label, Full> {
        match step {
            Step::Eq(k) => self.emit.jump(BPF_JEQ, k, next, no),
            Step::Ge(k) => self.emit.jump(BPF_JGE, k, next, no),
            Step::Gt(k) => self.emit.jump(BPF_JGT, k, next, no),
            Step::Masked(u32::MAX, k) => self.emit.jump(BPF_JEQ, k, next, no),
            Step::Masked(mask, k) if mask.is_power_of_two() => {
                if k == mask {
                    self.emit.jump(BPF_JSET, mask, next, no)
                } else {
                    self.emit.jump(BPF_JSET, mask, no, next)
                }
            }
            Step::Masked(mask, k) => {
                self.emit.jump(BPF_JEQ, k, next, no)?;
                self.emit.stmt(SockFilter::stmt(BPF_ALU | BPF_AND | BPF_K, mask))
            }
            Step::HiOrdered(0) => self.emit.jump(BPF_JGT, 0, yes, next),
            Step::HiOrdered(u32::MAX) => self.emit.jump(BPF_JEQ, u32::MAX, next, no),
            Step::HiOrdered(k) => {
                let equal = self.emit.jump(BPF_JEQ, k, next, no)?;
                self.emit.jump(BPF_JGT, k, yes, Target::At(equal))
            }
        }
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

    /// Measures the program over its arch's syscall table in the emulator; see [`Stats`].
    pub fn stats(&self) -> Stats {
        Stats::measure(self)
    }
}

/// Compiles `policy` into `out` with a workspace on the stack; see [`Compiler::compile`].
pub fn compile<'b, const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    out: &'b mut [SockFilter],
) -> Result<Compiled<'b>, CompileError> {
    Compiler::<2048>::new().compile(policy, out)
}
