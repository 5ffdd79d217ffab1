//! Stage 1, normalize: the rules sorted by syscall number, and each syscall's rules reduced to what its
//! argument block must test (a [`Group`]).
//!
//! Per syscall: the conditional rules in precedence order (least permissive first), without those whose
//! condition cannot hold; a condition that always holds ends the list and becomes the fallback; trailing
//! rules whose action equals the fallback are dropped (failing them gives the same answer); the fallback
//! is the least permissive unconditional rule, or the default. Groups whose blocks would be the same code
//! share one (the `canonical` group).

use super::CompileError;
use crate::action::Action;
use crate::arch::Arch;
use crate::bpf::writer::Label;
use crate::policy::model::{Alternatives, Comparison, Policy, X32};

/// What one `nr` range leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// A fixed action.
    Ret(Action),
    /// The argument block of this group (its canonical index after sharing equal blocks).
    Block(u16),
}

/// The rules of one syscall number, normalised.
#[derive(Clone, Copy, Debug)]
pub(super) struct Group {
    pub(super) nr: u32,
    /// The kept conditional rules are `order[first..first + len]`, least permissive first.
    pub(super) first: u16,
    pub(super) len: u16,
    /// The action when no kept conditional rule matches.
    pub(super) fallback: Action,
    /// The group whose block this one uses (itself unless an earlier group's block is equal).
    pub(super) canonical: u16,
    /// The block's label once emitted.
    pub(super) label: Option<Label>,
}

impl Group {
    pub(super) const EMPTY: Group = Group {
        nr: 0,
        first: 0,
        len: 0,
        fallback: Action::KILL_PROCESS,
        canonical: 0,
        label: None,
    };

    pub(super) fn outcome(&self) -> Outcome {
        if self.len == 0 {
            Outcome::Ret(self.fallback)
        } else {
            Outcome::Block(self.canonical)
        }
    }
}

/// Sorts the rules of `policy` for ABI `abi` (the target or its compat ABI) by syscall into `order` and normalises each syscall's rules into a
/// [`Group`] in `groups`; returns the number of groups.
pub(super) fn normalize<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    abi: Arch,
    order: &mut [u16],
    groups: &mut [Group],
) -> Result<usize, CompileError> {
    // x32 rules share the x86_64 arch value, and with it the part (their numbers have bit 30 set).
    // With x32 rules, bit 30 of a number says which ABI's rules decide it (`Policy::rule_key_for`): a
    // rule of the other ABI with such a number never applies.
    let x32_rules = abi == Arch::X86_64 && policy.x32() == X32::Rules;
    let of_part = |rule: &crate::policy::model::Rule<'_>| {
        rule.arch().audit() == abi.audit()
            && (!x32_rules || (rule.arch() == Arch::X32) == (rule.nr() & crate::abi::X32_SYSCALL_BIT != 0))
    };
    let n = policy.rules().filter(of_part).count();
    let capacity = order.len();
    let sorted = order
        .get_mut(..n)
        .ok_or(CompileError::TooManyRules { capacity })?;
    let of_abi = policy
        .rules()
        .enumerate()
        .filter(|(_, rule)| of_part(rule))
        .map(|(i, _)| i as u16);
    for (slot, index) in sorted.iter_mut().zip(of_abi) {
        *slot = index;
    }
    let key = |index: u16| {
        let rule = policy.rule(usize::from(index));
        rule.map(|r| (r.nr(), !r.is_conditional(), r.action().precedence_key(), index))
    };
    sorted.sort_unstable_by_key(|&index| key(index));
    let mut count = 0;
    let mut start = 0;
    while start < n {
        let nr = policy.rule(usize::from(order[start])).map_or(0, |r| r.nr());
        let mut end = start;
        let mut unconditional = n;
        while end < n {
            let Some(rule) = policy.rule(usize::from(order[end])) else {
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
        let mut fallback = match order.get(conditional_end) {
            Some(&index) if conditional_end < end => policy
                .rule(usize::from(index))
                .map_or(policy.default_action(), |r| r.action()),
            _ => policy.default_action(),
        };
        let mut kept = start;
        for k in start..conditional_end {
            let index = order[k];
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
                    order[kept] = index;
                    kept += 1;
                }
            }
        }
        while kept > start
            && policy
                .rule(usize::from(order[kept - 1]))
                .is_some_and(|rule| rule.action() == fallback)
        {
            kept -= 1;
        }
        let index = count;
        let mut group = Group {
            nr,
            first: start as u16,
            len: (kept - start) as u16,
            fallback,
            canonical: index as u16,
            label: None,
        };
        if group.len > 0 {
            let shared = groups[..index].iter().enumerate().position(|(i, other)| {
                usize::from(other.canonical) == i && same_block(policy, order, other, &group)
            });
            if let Some(same) = shared {
                group.canonical = same as u16;
            }
        }
        // `groups` has room: there are at most as many groups as rules, and `order` held the rules.
        if let Some(slot) = groups.get_mut(index) {
            *slot = group;
        }
        count += 1;
        start = end;
    }
    Ok(count)
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
pub(super) fn conjunction_constant(conjunction: &[Comparison]) -> Option<bool> {
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
fn rule_constant(alternatives: Alternatives<'_>) -> Option<bool> {
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
