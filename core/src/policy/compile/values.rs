//! Argument blocks as a search over values: a syscall whose rules compare one argument with many constants
//! (an ioctl request list, socket families, prctl options) gets a binary search over that argument's
//! values instead of a chain of comparisons.
//!
//! The argument is split into its two 32-bit halves, as gVisor's rule optimizer splits its value matchers
//! (`pkg/seccomp/seccomp_optimizer.go`, `splitMatchers`): every comparison on it is a test of the high word
//! and of the low word against constants, so the boundaries the comparisons name cut each half into
//! intervals, and on every cell of that grid each comparison is constant. The block is then
//!
//! ```text
//!     ld  [args[i] high]                ; only when some comparison looks at the high word
//!     <search over high-word ranges>    ; each range: an action, or one low-word search
//!     ld  [args[i] low]
//!     <search over low-word ranges>     ; each range: an action, or the residual chain
//! ```
//!
//! so a high word common to every value (usually zero) is checked once. Adjacent ranges with the same
//! outcome are merged, and high-word ranges whose low-word searches are the same share one. Where the rules
//! also compare other arguments, a cell's outcome is the *residual*: the alternatives still alive on that
//! cell, tested as the ordinary chain with this argument's comparisons left out; cells with the same alive
//! set share one residual chain.
//!
//! The search applies when at least two comparisons (not constant) look at one argument and each of them is
//! an ordered comparison, `==`/`!=`, or a masked one whose mask covers each half entirely or not at all;
//! otherwise the block stays a chain.

use super::lower::Lowering;
use crate::abi::{SockFilter, offset};
use crate::action::Action;
use crate::bpf::insn::{BPF_JEQ, BPF_JGE};
use crate::bpf::writer::{Full, Label, Target};
use crate::policy::model::{Comparison, Op, Policy, Width};
use heapless::Vec;

/// The most boundaries one half may have (beyond that the block stays a chain).
const POINTS: usize = 128;
/// The most alternatives a searched block may have (its residual sets are bit sets of them).
const ALTERNATIVES: u32 = 128;

/// What one cell of the grid leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaf {
    /// An action, whatever the other arguments are.
    Ret(Action),
    /// The chain of the alive alternatives (bit `k` for the block's `k`-th alternative in test order).
    Residual(u128),
}

/// The boundaries of one half: sorted, distinct, starting with 0.
type Points = Vec<u32, POINTS>;

/// A planned value search: the argument and the boundaries of its halves.
pub(super) struct Search {
    arg: u8,
    high: Points,
    low: Points,
}

/// Whether a comparison can be split into interval tests of its halves.
fn splittable(comparison: &Comparison) -> bool {
    let whole = |half: u32| half == 0 || half == u32::MAX;
    match comparison.op() {
        Op::MaskedEq(mask) | Op::MaskedNe(mask) => whole((mask >> 32) as u32) && whole(mask as u32),
        _ => true,
    }
}

/// Adds `value` (if it is a 32-bit value) to `points`; false when `points` is full.
fn add(points: &mut Points, value: u64) -> bool {
    match u32::try_from(value) {
        Ok(value) if !points.contains(&value) => points.push(value).is_ok(),
        _ => true,
    }
}

/// Adds the boundaries a comparison names to the two halves; false when they do not fit.
fn add_boundaries(comparison: &Comparison, high: &mut Points, low: &mut Points) -> bool {
    let value = comparison.value();
    let full = comparison.width() == Width::Full;
    // Equality-like tests cut at the value and after it; ordered ones at their threshold `a >= t`.
    let (point, ordered, mask) = match comparison.op() {
        Op::Eq | Op::Ne => (value, false, u64::MAX),
        Op::MaskedEq(mask) | Op::MaskedNe(mask) => (value, false, mask),
        Op::Ge | Op::Lt => (value, true, u64::MAX),
        Op::Gt | Op::Le => (value.wrapping_add(1), true, u64::MAX),
    };
    let (ph, pl) = (point >> 32, point & 0xffff_ffff);
    let mut ok = true;
    if full && mask >> 32 != 0 {
        ok &= add(high, ph) && add(high, ph + 1);
    }
    if mask & 0xffff_ffff != 0 {
        ok &= add(low, pl);
        if !ordered {
            ok &= add(low, pl + 1);
        }
    }
    ok
}

impl Search {
    /// Plans the value search of a block with the conditional rules `rules` (in test order), or `None`
    /// when the block should stay a chain.
    pub(super) fn plan<const R: usize, const C: usize>(
        policy: &Policy<R, C>,
        rules: &[u16],
    ) -> Option<Search> {
        let mut counts = [0u32; 6];
        let mut eligible = [true; 6];
        let mut alternatives = 0;
        for &index in rules {
            let rule = policy.rule(usize::from(index))?;
            for conjunction in rule.alternatives() {
                alternatives += 1;
                for comparison in conjunction.iter().filter(|c| c.constant().is_none()) {
                    let arg = usize::from(comparison.arg() % 6);
                    counts[arg] += 1;
                    eligible[arg] &= splittable(comparison);
                }
            }
        }
        if alternatives > ALTERNATIVES {
            return None;
        }
        let (arg, _) = (0..6u8)
            .filter(|&arg| eligible[usize::from(arg)] && counts[usize::from(arg)] >= 2)
            .map(|arg| (arg, counts[usize::from(arg)]))
            .max_by_key(|&(arg, count)| (count, core::cmp::Reverse(arg)))?;
        let mut search = Search {
            arg,
            high: Vec::new(),
            low: Vec::new(),
        };
        add(&mut search.high, 0);
        add(&mut search.low, 0);
        for &index in rules {
            let rule = policy.rule(usize::from(index))?;
            for comparison in rule.alternatives().flatten() {
                if comparison.arg() == arg
                    && comparison.constant().is_none()
                    && !add_boundaries(comparison, &mut search.high, &mut search.low)
                {
                    return None;
                }
            }
        }
        search.high.sort_unstable();
        search.low.sort_unstable();
        Some(search)
    }

    /// The outcome of the cell whose argument value is `value`.
    fn leaf<const R: usize, const C: usize>(
        &self,
        policy: &Policy<R, C>,
        rules: &[u16],
        fallback: Action,
        value: u64,
    ) -> Leaf {
        let mut args = [0u64; 6];
        args[usize::from(self.arg % 6)] = value;
        let mut alive = 0u128;
        let mut bit = 0u32;
        for rule in rules.iter().filter_map(|&index| policy.rule(usize::from(index))) {
            for conjunction in rule.alternatives() {
                let holds = conjunction.iter().all(|c| {
                    if c.arg() == self.arg {
                        c.matches(&args)
                    } else {
                        c.constant() != Some(false)
                    }
                });
                if holds {
                    let complete = conjunction
                        .iter()
                        .all(|c| c.arg() == self.arg || c.constant() == Some(true));
                    if complete {
                        return if alive == 0 {
                            Leaf::Ret(rule.action())
                        } else {
                            Leaf::Residual(alive | 1 << bit)
                        };
                    }
                    alive |= 1 << bit;
                }
                bit += 1;
            }
        }
        if alive == 0 {
            Leaf::Ret(fallback)
        } else {
            Leaf::Residual(alive)
        }
    }

    /// The low-word ranges (start, outcome) for the high word `high`, adjacent equal outcomes merged.
    fn low_ranges<const R: usize, const C: usize>(
        &self,
        policy: &Policy<R, C>,
        rules: &[u16],
        fallback: Action,
        high: u32,
    ) -> Vec<(u32, Leaf), POINTS> {
        let mut out: Vec<(u32, Leaf), POINTS> = Vec::new();
        for &low in &self.low {
            let leaf = self.leaf(policy, rules, fallback, u64::from(high) << 32 | u64::from(low));
            if out.last().is_none_or(|&(_, last)| last != leaf) {
                // At most one range per boundary, and `low` holds at most POINTS of them.
                let _ = out.push((low, leaf));
            }
        }
        out
    }
}

impl<const R: usize, const C: usize> Lowering<'_, '_, '_, R, C> {
    /// Emits the block of `rules` (in test order, failing all gives `fallback`) as the value search
    /// `search` and returns where it starts.
    pub(super) fn value_search(
        &mut self,
        search: &Search,
        rules: &[u16],
        fallback: Action,
    ) -> Result<Label, Full> {
        let policy = self.policy;
        // High-word ranges: (start, the high word whose low-word ranges stand for the range).
        let mut highs: Vec<(u32, u32), POINTS> = Vec::new();
        let mut previous: Option<Vec<(u32, Leaf), POINTS>> = None;
        for &high in &search.high {
            let ranges = search.low_ranges(policy, rules, fallback, high);
            if previous.as_ref() != Some(&ranges) {
                let _ = highs.push((high, high));
                previous = Some(ranges);
            }
        }
        let mut residuals: Vec<(u128, Label), 64> = Vec::new();
        let mut high_targets: Vec<(u32, Target), POINTS> = Vec::new();
        let mut lows_done: Vec<(u32, Target), POINTS> = Vec::new();
        for &(start, representative) in &highs {
            let ranges = search.low_ranges(policy, rules, fallback, representative);
            // A high range whose low-word ranges equal an earlier one's shares its search.
            let shared = lows_done
                .iter()
                .find(|(other, _)| search.low_ranges(policy, rules, fallback, *other) == ranges)
                .map(|&(_, target)| target);
            let target = match shared {
                Some(target) => target,
                None => {
                    let mut targets: Vec<(u32, Target), POINTS> = Vec::new();
                    for &(low, leaf) in &ranges {
                        let target = match leaf {
                            Leaf::Ret(action) => Target::Ret(action),
                            Leaf::Residual(alive) => Target::At(self.residual(
                                rules,
                                fallback,
                                search.arg,
                                alive,
                                &mut residuals,
                            )?),
                        };
                        let _ = targets.push((low, target));
                    }
                    self.loaded_search(&targets, offset::arg_lo(search.arg))?
                }
            };
            let _ = lows_done.push((representative, target));
            let _ = high_targets.push((start, target));
        }
        match self.loaded_search(&high_targets, offset::arg_hi(search.arg))? {
            Target::At(label) => Ok(label),
            Target::Ret(action) => self.emit.ret(action),
        }
    }

    /// The residual chain for the alive set `alive` (emitted on first use).
    fn residual(
        &mut self,
        rules: &[u16],
        fallback: Action,
        arg: u8,
        alive: u128,
        done: &mut Vec<(u128, Label), 64>,
    ) -> Result<Label, Full> {
        if let Some(&(_, label)) = done.iter().find(|(set, _)| *set == alive) {
            return Ok(label);
        }
        let label = self.chain(rules, fallback, Some((arg, alive)))?;
        let _ = done.push((alive, label));
        Ok(label)
    }

    /// A search over `ranges` (start, target) preceded by a load of `word`; just the target when there is
    /// one range.
    fn loaded_search(&mut self, ranges: &[(u32, Target)], word: u32) -> Result<Target, Full> {
        match ranges {
            [] => Ok(Target::Ret(self.policy.default_action())),
            [(_, only)] => Ok(*only),
            _ => {
                // The tree's root is the jump written last, so the load falls through into it.
                if let Target::At(root) = self.range_tree(ranges)?
                    && self.emit.first() != Some(root)
                {
                    self.emit.ja(root)?;
                }
                Ok(Target::At(self.emit.stmt(SockFilter::load_data(word))?))
            }
        }
    }

    /// A binary search over `ranges` with `jge` nodes, split in the middle; a window of three ranges whose
    /// middle one is a single number between two of the same target takes one `jeq`.
    fn range_tree(&mut self, ranges: &[(u32, Target)]) -> Result<Target, Full> {
        match ranges {
            [] => Ok(Target::Ret(self.policy.default_action())),
            [(_, only)] => Ok(*only),
            [(_, outside), (point, inside), (after, again)]
                if outside == again && point.checked_add(1) == Some(*after) =>
            {
                self.emit.jump(BPF_JEQ, *point, *inside, *outside).map(Target::At)
            }
            _ => {
                let middle = ranges.len() / 2;
                let (left, right) = ranges.split_at(middle);
                let split_at = right.first().map_or(0, |&(start, _)| start);
                let right = self.range_tree(right)?;
                let left = self.range_tree(left)?;
                self.emit.jump(BPF_JGE, split_at, right, left).map(Target::At)
            }
        }
    }
}

/// Whether a conjunction, with the comparisons on `skip` taken as true, is constant.
pub(super) fn residual_constant(conjunction: &[Comparison], skip: u8) -> Option<bool> {
    let mut all_true = true;
    for comparison in conjunction.iter().filter(|c| c.arg() != skip) {
        match comparison.constant() {
            Some(false) => return Some(false),
            Some(true) => {}
            None => all_true = false,
        }
    }
    all_true.then_some(true)
}
