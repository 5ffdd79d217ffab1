//! Stage 4, lowering: the program written backwards through the [`Writer`], from the shared returns up
//! to the arch check.
//!
//! The search tree is a binary search over the ranges with `jge` nodes, split by weight; a window of three
//! ranges where a single number sits between two ranges of the same outcome takes one `jeq`. An argument
//! block is written on first use, right after the tree node that reaches it. A block tests the kept
//! conditional rules from the least permissive to the most, each rule as its alternatives, each
//! alternative as a chain of planned comparisons; failing everything gives the group's fallback. A load
//! is skipped when A already holds the word.

use super::normalize::{Group, Outcome, conjunction_constant};
use super::optimal::{Choice, Splits, WINDOW, jeq_window};
use super::plan::{Plan, Step};
use super::ranges::Range;
use super::values::{Search, residual_constant};
use crate::abi::{SockFilter, offset};
use crate::action::Action;
use crate::bpf::insn::{BPF_ALU, BPF_AND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_K};
use crate::bpf::writer::{Full, Label, Target, Writer};
use crate::policy::model::{Comparison, Policy};

/// The state of one compilation.
pub(super) struct Lowering<'p, 'w, 'b, const R: usize, const C: usize> {
    pub(super) policy: &'p Policy<R, C>,
    pub(super) order: &'w [u16],
    pub(super) groups: &'w mut [Group],
    pub(super) ranges: &'w [Range],
    pub(super) emit: Writer<'b>,
}

impl<const R: usize, const C: usize> Lowering<'_, '_, '_, R, C> {
    /// Emits the whole program of a single-ABI policy, backwards: its part behind the arch check.
    pub(super) fn program(&mut self) -> Result<(), Full> {
        let bad = self.policy.bad_arch_action();
        let after_arch = self.part()?;
        if let Target::Ret(action) = after_arch
            && action == bad
        {
            self.emit.ret(action)?;
            return Ok(());
        }
        self.emit
            .jump(BPF_JEQ, self.policy.arch().audit(), after_arch, Target::Ret(bad))?;
        self.emit.stmt(SockFilter::load_data(offset::ARCH))?;
        Ok(())
    }

    /// Emits the part of one ABI (its search tree and argument blocks, preceded by `ld [nr]` when the
    /// tree has a node), backwards, and returns where it starts: what the arch check jumps to.
    pub(super) fn part(&mut self) -> Result<Target, Full> {
        let root = match self.ranges.len() {
            0 => Target::Ret(self.policy.default_action()),
            len => self.tree(0, len - 1)?,
        };
        match root {
            Target::Ret(action) => Ok(Target::Ret(action)),
            Target::At(label) => {
                if self.emit.first() != Some(label) {
                    self.emit.ja(label)?;
                }
                Ok(Target::At(self.emit.stmt(SockFilter::load_data(offset::NR))?))
            }
        }
    }

    /// Emits the search tree over `ranges[i..=j]` and returns where it starts: split by weight balance
    /// while the window is large, the exact optimal tree (`optimal`) once it holds at most
    /// `optimal::WINDOW` ranges.
    fn tree(&mut self, i: usize, j: usize) -> Result<Target, Full> {
        if j >= i && j - i < WINDOW {
            let splits = Splits::new(self.ranges, i, j);
            return self.subtree(i, j, Some(&splits));
        }
        self.subtree(i, j, None)
    }

    /// Emits the search tree over `ranges[i..=j]`, with the optimal choices of `splits` where it covers
    /// the window.
    fn subtree(&mut self, i: usize, j: usize, splits: Option<&Splits>) -> Result<Target, Full> {
        let (Some(first), Some(middle)) = (self.ranges.get(i), self.ranges.get(i + 1)) else {
            return match self.ranges.get(i) {
                Some(first) => self.target(first.outcome),
                None => Ok(Target::Ret(self.policy.default_action())),
            };
        };
        if i >= j {
            return self.target(first.outcome);
        }
        let choice = match splits {
            Some(splits) if splits.covers(i, j) => splits.choice(i, j),
            _ if self.ranges.get(i..=j).is_some_and(jeq_window) => Choice::Jeq,
            _ if j - i < WINDOW => return self.tree(i, j),
            _ => Choice::At(self.split(i, j)),
        };
        match choice {
            Choice::Jeq => {
                let inside = self.target(middle.outcome)?;
                let outside = self.target(first.outcome)?;
                self.emit
                    .jump(BPF_JEQ, middle.start, inside, outside)
                    .map(Target::At)
            }
            Choice::At(s) => {
                let split_at = self.ranges.get(s).map_or(0, |range| range.start);
                let right = self.subtree(s, j, splits)?;
                let left = self.subtree(i, s - 1, splits)?;
                self.emit.jump(BPF_JGE, split_at, right, left).map(Target::At)
            }
        }
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

    /// Emits the argument block of group `index`: a search over one argument's values where the rules
    /// compare that argument with several constants (`values`), else the chain of its rules.
    fn block(&mut self, index: usize) -> Result<Label, Full> {
        let Some(&group) = self.groups.get(index) else {
            return self.emit.ret(self.policy.default_action());
        };
        let start = usize::from(group.first);
        let rules = self
            .order
            .get(start..start + usize::from(group.len))
            .unwrap_or(&[]);
        match Search::plan(self.policy, rules) {
            Some(search) => self.value_search(&search, rules, group.fallback),
            None => self.chain(rules, group.fallback, None),
        }
    }

    /// Emits the chain of `rules` (in test order): each rule as its alternatives, each alternative as a
    /// chain of planned comparisons; failing everything gives `fallback`. With `residual = Some((arg,
    /// alive))` only the alternatives whose bit (in test order) is in `alive` are tested, without their
    /// comparisons of `args[arg]` (a value search has decided those).
    pub(super) fn chain(
        &mut self,
        rules: &[u16],
        fallback: Action,
        residual: Option<(u8, u128)>,
    ) -> Result<Label, Full> {
        let policy = self.policy;
        let mut bit = rules
            .iter()
            .filter_map(|&index| policy.rule(usize::from(index)))
            .map(|rule| rule.alternatives().len() as u32)
            .sum::<u32>();
        let mut fail = Target::Ret(fallback);
        for &rule_index in rules.iter().rev() {
            let Some(rule) = policy.rule(usize::from(rule_index)) else {
                continue;
            };
            let pass = Target::Ret(rule.action());
            for conjunction in rule.alternatives().rev() {
                bit -= 1;
                let constant = match residual {
                    None => conjunction_constant(conjunction),
                    Some((_, alive)) if bit >= 128 || alive & 1 << bit == 0 => continue,
                    Some((arg, _)) => residual_constant(conjunction, arg),
                };
                match constant {
                    Some(false) => {}
                    Some(true) => fail = pass,
                    None => {
                        let skip = residual.map(|(arg, _)| arg);
                        fail = Target::At(self.conjunction(conjunction, pass, fail, skip)?);
                    }
                }
            }
        }
        match fail {
            Target::At(label) => Ok(label),
            Target::Ret(action) => self.emit.ret(action),
        }
    }

    /// Emits a conjunction that goes to `pass` when every comparison holds and to `fail` otherwise; the
    /// comparisons of `args[skip]` are left out (taken as true).
    fn conjunction(
        &mut self,
        conjunction: &[Comparison],
        pass: Target,
        fail: Target,
        skip: Option<u8>,
    ) -> Result<Label, Full> {
        let tested = |c: &&Comparison| c.constant().is_none() && Some(c.arg()) != skip;
        let mut pass = pass;
        let mut start = None;
        for (k, comparison) in conjunction.iter().enumerate().rev() {
            if !tested(&comparison) {
                continue; // true (false ones made the whole conjunction constant)
            }
            let plan = Plan::of(comparison);
            let previous = conjunction.get(..k).unwrap_or(&[]).iter().rev().find(tested);
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
