//! The rule database runc builds through libseccomp, for one ABI: which rule decides each syscall.
//!
//! runc (`libcontainer/seccomp/seccomp_linux.go`, `matchCall`) and crun (`src/libcrun/seccomp.c`) turn each
//! (entry, name) of a profile into one libseccomp call, in profile order. libseccomp 2.5 (`src/db.c`,
//! `db_rule_add`, `_db_tree_add`, `_db_tree_prune`) merges the calls per syscall, and the order they come in
//! matters. This module replays those calls on the syscall's *meaning* (whole 64-bit comparisons, never the
//! 32-bit halves libseccomp's generator splits them into) and gives, per syscall, either one unconditional
//! action or an ordered list of conditional rules where the first that holds decides (libseccomp's tree,
//! `src/gen_bpf.c` `_gen_bpf_chain`, falls through to the next sibling when a branch fails). The rules it
//! mirrors, each with its source, are listed in `docs/oci.md`.
//!
//! The database is per ABI, as libseccomp keeps one `db_filter` per architecture: a multi-ABI import runs
//! one [`Database`] per ABI of the filter with that ABI's syscall numbers (and, for 32-bit ABIs such as x32
//! and i386, comparisons of the low words only; see `docs/oci.md`).

use std::collections::HashMap;

use seccomp_core::action::Action;

use crate::names::ScmpCompare;
use crate::spec::ArgRule;

/// One comparison as libseccomp stores it (`struct db_api_arg`): the mask and the datum already masked
/// (`_db_node_mask_fixup`), so `SCMP_CMP_MASKED_EQ` is `(arg & mask) == (datum & mask)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Cmp {
    pub arg: u8,
    pub op: ScmpCompare,
    pub mask: u64,
    pub datum: u64,
}

impl Cmp {
    /// The comparison libseccomp makes of an OCI `args` entry, or `None` when libseccomp generates no test
    /// for it (`SCMP_CMP_MASKED_EQ` with mask 0, `_db_arg_cmp_need_hi/lo`: it always holds).
    pub fn of(arg: &ArgRule) -> Option<Cmp> {
        let (mask, datum) = match arg.op {
            ScmpCompare::MaskedEq => (arg.value, arg.value_two & arg.value),
            _ => (u64::MAX, arg.value),
        };
        if arg.op == ScmpCompare::MaskedEq && mask == 0 {
            return None;
        }
        Some(Cmp {
            arg: arg.index,
            op: arg.op,
            mask,
            datum,
        })
    }

    /// Whether the comparison holds for an argument value.
    #[cfg(test)]
    fn holds(&self, args: &[u64; 6]) -> bool {
        let value = args[usize::from(self.arg) % 6];
        match self.op {
            ScmpCompare::MaskedEq => value & self.mask == self.datum,
            op => op.matches(value, self.datum, 0),
        }
    }

    /// The operator of libseccomp's tree node: `!=`, `<` and `<=` are stored as `==`, `>=` and `>` with the
    /// action on the false branch (`_db_rule_gen_64`/`_gen_32`, "rewrite the op").
    fn node_op(&self) -> ScmpCompare {
        match self.op {
            ScmpCompare::Eq | ScmpCompare::Ne => ScmpCompare::Eq,
            ScmpCompare::Lt | ScmpCompare::Ge => ScmpCompare::Ge,
            ScmpCompare::Le | ScmpCompare::Gt => ScmpCompare::Gt,
            ScmpCompare::MaskedEq => ScmpCompare::MaskedEq,
        }
    }

    /// Whether the rule continues on the node's true branch.
    fn true_branch(&self) -> bool {
        !matches!(self.op, ScmpCompare::Ne | ScmpCompare::Lt | ScmpCompare::Le)
    }

    /// Whether two comparisons are the same tree node (`_db_chain_eq`: argument, node operator, datum, mask).
    fn same_node(&self, other: &Cmp) -> bool {
        self.arg == other.arg
            && self.node_op() == other.node_op()
            && self.datum == other.datum
            && self.mask == other.mask
    }

    /// `__db_chain_op_priority`.
    fn op_priority(&self) -> u8 {
        match self.op {
            ScmpCompare::MaskedEq | ScmpCompare::Eq | ScmpCompare::Ne => 3,
            ScmpCompare::Le | ScmpCompare::Lt => 2,
            ScmpCompare::Ge | ScmpCompare::Gt => 1,
        }
    }

    /// The operator of the comparison's first (high-word) node in a 64-bit ABI (`_db_rule_gen_64`): `>`
    /// for the ordered tests, `==` for `==`/`!=`, masked `==` for masked `==`.
    fn high_node_op(&self) -> ScmpCompare {
        match self.op {
            ScmpCompare::Gt | ScmpCompare::Ge | ScmpCompare::Le | ScmpCompare::Lt => ScmpCompare::Gt,
            ScmpCompare::Eq | ScmpCompare::Ne => ScmpCompare::Eq,
            ScmpCompare::MaskedEq => ScmpCompare::MaskedEq,
        }
    }

    /// Whether the two comparisons' first (high-word) nodes are one node of libseccomp's 64-bit tree.
    fn same_high_node(&self, other: &Cmp) -> bool {
        self.arg == other.arg
            && self.high_node_op() == other.high_node_op()
            && self.mask >> 32 == other.mask >> 32
            && (self.datum & self.mask) >> 32 == (other.datum & other.mask) >> 32
    }

    /// Orders two 32-bit datums as `_db_chain_lt` does for this comparison's operator: `Less` when `a`'s
    /// node is tested after `b`'s (smaller datums later, larger later for `<` and `<=`).
    fn datum_order(&self, a: u64, b: u64) -> core::cmp::Ordering {
        match self.op {
            ScmpCompare::Le | ScmpCompare::Lt => b.cmp(&a),
            _ => a.cmp(&b),
        }
    }

    /// `_db_chain_lt` applied level by level to the two comparisons' nodes: siblings of a level are kept in
    /// descending order, so a comparison that is "less" is tested later. Higher argument first, then
    /// `==`-like before `<`-like before `>`-like, then the high words' datums (larger first, smaller first
    /// for `<` and `<=`); when the high-word nodes are one node, the low words' datums the same way.
    /// `None` when libseccomp keeps them in the order they were added.
    fn tested_after(&self, other: &Cmp) -> Option<bool> {
        if self.arg != other.arg {
            return Some(self.arg < other.arg);
        }
        if self.op_priority() != other.op_priority() {
            return Some(self.op_priority() < other.op_priority());
        }
        let (a_hi, b_hi) = ((self.datum & self.mask) >> 32, (other.datum & other.mask) >> 32);
        match self.datum_order(a_hi, b_hi) {
            core::cmp::Ordering::Less => return Some(true),
            core::cmp::Ordering::Greater => return Some(false),
            core::cmp::Ordering::Equal => {}
        }
        if !self.same_high_node(other) {
            return None;
        }
        let low = |cmp: &Cmp| cmp.datum & cmp.mask & 0xffff_ffff;
        match self.datum_order(low(self), low(other)) {
            core::cmp::Ordering::Less => Some(true),
            core::cmp::Ordering::Greater => Some(false),
            core::cmp::Ordering::Equal => None,
        }
    }

    /// The comparisons whose disjunction is this one's negation (64-bit): `==`/`!=`, `<`/`>=`, `<=`/`>`
    /// swap; a masked `==` is false when any masked bit differs, one single-bit test per mask bit.
    pub fn negation(&self) -> Vec<Cmp> {
        let with = |op, mask, datum| Cmp {
            arg: self.arg,
            op,
            mask,
            datum,
        };
        match self.op {
            ScmpCompare::Eq => vec![with(ScmpCompare::Ne, u64::MAX, self.datum)],
            ScmpCompare::Ne => vec![with(ScmpCompare::Eq, u64::MAX, self.datum)],
            ScmpCompare::Lt => vec![with(ScmpCompare::Ge, u64::MAX, self.datum)],
            ScmpCompare::Ge => vec![with(ScmpCompare::Lt, u64::MAX, self.datum)],
            ScmpCompare::Le => vec![with(ScmpCompare::Gt, u64::MAX, self.datum)],
            ScmpCompare::Gt => vec![with(ScmpCompare::Le, u64::MAX, self.datum)],
            ScmpCompare::MaskedEq => (0..64)
                .map(|bit| 1u64 << bit)
                .filter(|bit| self.mask & bit != 0)
                .map(|bit| with(ScmpCompare::MaskedEq, bit, !self.datum & bit))
                .collect(),
        }
    }

    /// The closed interval of values an ordered comparison (or `==`) accepts; `Some(None)` when it accepts
    /// none, `None` for `!=` and masked `==`.
    fn interval(&self) -> Option<Option<(u64, u64)>> {
        let v = self.datum;
        Some(match self.op {
            ScmpCompare::Eq => Some((v, v)),
            ScmpCompare::Lt => v.checked_sub(1).map(|hi| (0, hi)),
            ScmpCompare::Le => Some((0, v)),
            ScmpCompare::Gt => v.checked_add(1).map(|lo| (lo, u64::MAX)),
            ScmpCompare::Ge => Some((v, u64::MAX)),
            ScmpCompare::Ne | ScmpCompare::MaskedEq => return None,
        })
    }

    /// Whether no argument value satisfies both comparisons (`false` when unsure).
    pub fn disjoint(&self, other: &Cmp) -> bool {
        if self.arg != other.arg {
            return false;
        }
        if let (Some(a), Some(b)) = (self.interval(), other.interval()) {
            return match (a, b) {
                (Some((a_lo, a_hi)), Some((b_lo, b_hi))) => a_hi < b_lo || b_hi < a_lo,
                _ => true,
            };
        }
        if matches!(self.interval(), Some(None)) || matches!(other.interval(), Some(None)) {
            return true;
        }
        let (a, b) = (self, other);
        match (a.op, b.op) {
            (ScmpCompare::Eq, ScmpCompare::Ne) | (ScmpCompare::Ne, ScmpCompare::Eq) => a.datum == b.datum,
            (ScmpCompare::Eq, ScmpCompare::MaskedEq) => a.datum & b.mask != b.datum,
            (ScmpCompare::MaskedEq, ScmpCompare::Eq) => b.datum & a.mask != a.datum,
            (ScmpCompare::MaskedEq, ScmpCompare::MaskedEq) => (a.datum ^ b.datum) & a.mask & b.mask != 0,
            _ => false,
        }
    }
}

/// Whether no arguments satisfy both conjunctions (`false` when unsure).
pub(crate) fn conjunctions_disjoint(a: &[Cmp], b: &[Cmp]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.disjoint(y)))
}

/// Where a call came from: the entry's index in the document the user wrote and the name's index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Source {
    pub entry: usize,
    pub name: usize,
}

/// One conditional rule of the database.
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    /// The comparisons, by argument index (libseccomp's chain order), at most one per argument.
    pub cmps: Vec<Cmp>,
    pub action: Action,
    pub source: Source,
    /// When the rule was added (tree nodes keep the operator of the rule that created them).
    seq: usize,
}

/// What decides one syscall.
#[derive(Clone, Debug)]
pub(crate) enum Decision {
    /// One unconditional action.
    Always { action: Action, source: Source },
    /// Conditional rules, the first that holds decides; none holding gives the default action.
    FirstMatch(Vec<Chain>),
}

/// A profile that disagrees with itself, found while replaying runc's calls.
#[derive(Clone, Debug)]
pub(crate) struct Conflict {
    /// The rule that lost (or was skipped).
    pub loser: Source,
    pub loser_action: Action,
    /// The rule that decides instead.
    pub winner: Source,
    pub winner_action: Action,
    pub why: ConflictKind,
}

/// How runc resolves a [`Conflict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConflictKind {
    /// The loser's action is the default action, which runc skips before calling libseccomp.
    SkippedDefault,
    /// A second unconditional rule: libseccomp keeps the first (`db_rule_add`, "syscall exists without any
    /// chains").
    FirstUnconditionalKept,
    /// A conditional rule after an unconditional one: libseccomp drops it.
    ConditionalAfterUnconditional,
    /// An unconditional rule after conditional ones: libseccomp replaces them ("new filter has no chains").
    UnconditionalReplaces,
    /// A conditional rule whose conditions include an earlier rule's: libseccomp keeps the shorter one
    /// (`_db_tree_add`, "existing tree is shorter").
    ShorterKept,
}

/// libseccomp refuses a rule (`-EEXIST` from `_db_tree_add`): runc and crun then refuse the profile.
#[derive(Clone, Debug)]
pub(crate) struct Refusal {
    pub rule: Source,
    pub existing: Source,
}

/// The per-syscall database of one ABI.
#[derive(Debug, Default)]
pub(crate) struct Database {
    /// Syscall numbers in the order they first got a rule.
    order: Vec<u32>,
    decisions: HashMap<u32, Decision>,
    /// Calls runc skipped because their action is the default action: checked for conflicts at the end.
    skipped: Vec<(u32, Source, Action)>,
    pub conflicts: Vec<Conflict>,
    /// How many rules were added (the next rule's `Chain::seq`).
    added: usize,
}

impl Database {
    /// Adds what runc adds for one (entry, name): `cmps` empty for an unconditional rule (`AddRule`), else
    /// one conditional rule (`AddRuleConditional`). `action == default` is recorded as skipped, as runc
    /// skips it (`matchCall`: "This rule is redundant, silently skip it").
    pub fn add(
        &mut self,
        nr: u32,
        action: Action,
        default: Action,
        cmps: Vec<Cmp>,
        source: Source,
    ) -> Result<(), Refusal> {
        if action == default {
            self.skipped.push((nr, source, action));
            return Ok(());
        }
        let seq = self.added;
        self.added += 1;
        let Some(decision) = self.decisions.get_mut(&nr) else {
            self.order.push(nr);
            let decision = if cmps.is_empty() {
                Decision::Always { action, source }
            } else {
                Decision::FirstMatch(vec![Chain {
                    cmps,
                    action,
                    source,
                    seq,
                }])
            };
            self.decisions.insert(nr, decision);
            return Ok(());
        };
        let conflict = |winner: Source, winner_action: Action, why| Conflict {
            loser: source,
            loser_action: action,
            winner,
            winner_action,
            why,
        };
        match decision {
            Decision::Always {
                action: existing,
                source: existing_source,
            } => {
                if *existing != action {
                    let why = if cmps.is_empty() {
                        ConflictKind::FirstUnconditionalKept
                    } else {
                        ConflictKind::ConditionalAfterUnconditional
                    };
                    self.conflicts.push(conflict(*existing_source, *existing, why));
                }
            }
            Decision::FirstMatch(chains) if cmps.is_empty() => {
                if let Some(lost) = chains.iter().find(|chain| chain.action != action) {
                    self.conflicts.push(Conflict {
                        loser: lost.source,
                        loser_action: lost.action,
                        winner: source,
                        winner_action: action,
                        why: ConflictKind::UnconditionalReplaces,
                    });
                }
                *decision = Decision::Always { action, source };
            }
            Decision::FirstMatch(chains) => {
                let chain = Chain {
                    cmps,
                    action,
                    source,
                    seq,
                };
                if let Some(kept) = insert(chains, chain)? {
                    self.conflicts
                        .push(conflict(kept.source, kept.action, ConflictKind::ShorterKept));
                }
            }
        }
        Ok(())
    }

    /// The decisions, per syscall number in the order the numbers first got a rule, and the conflicts.
    pub fn finish(mut self) -> (Vec<(u32, Decision)>, Vec<Conflict>) {
        for (nr, source, action) in std::mem::take(&mut self.skipped) {
            let winner = match self.decisions.get(&nr) {
                Some(Decision::Always {
                    action: winner_action,
                    source: winner,
                }) => Some((*winner, *winner_action)),
                Some(Decision::FirstMatch(chains)) => chains.first().map(|c| (c.source, c.action)),
                None => None,
            };
            if let Some((winner, winner_action)) = winner {
                self.conflicts.push(Conflict {
                    loser: source,
                    loser_action: action,
                    winner,
                    winner_action,
                    why: ConflictKind::SkippedDefault,
                });
            }
        }
        let mut decisions = Vec::with_capacity(self.order.len());
        for nr in self.order {
            if let Some(decision) = self.decisions.remove(&nr) {
                decisions.push((nr, decision));
            }
        }
        (decisions, self.conflicts)
    }
}

/// How a new chain relates to an existing one in libseccomp's tree.
enum Relation {
    /// The same comparisons on the same branches.
    Equal,
    /// The existing chain's comparisons are a prefix of the new one's.
    ExistingShorter,
    /// The new chain's comparisons are a prefix of the existing one's.
    NewShorter,
    /// The new chain is tested before the existing one.
    Before,
    /// The new chain is tested after the existing one (or they never both hold).
    After,
}

fn relation(chains: &[Chain], at: usize, new: &[Cmp]) -> Relation {
    let existing = &chains[at].cmps;
    for index in 0.. {
        match (existing.get(index), new.get(index)) {
            (None, None) => return Relation::Equal,
            (None, Some(_)) => return Relation::ExistingShorter,
            (Some(_), None) => return Relation::NewShorter,
            (Some(x), Some(n)) => {
                if x.same_node(n) {
                    if x.true_branch() == n.true_branch() {
                        continue;
                    }
                    return Relation::After;
                }
                // `_db_tree_add`: walk the level while the existing node is not less than the new one,
                // insert before the first that is. The existing high-word node is ordered by the rule
                // that created it.
                let node = node_representative(chains, at, index);
                let after = if node.same_high_node(n) {
                    x.tested_after(n)
                } else {
                    node.tested_after(n)
                };
                return if after == Some(true) {
                    Relation::Before
                } else {
                    Relation::After
                };
            }
        }
    }
    Relation::After
}

/// The comparison that created the high-word node of `chains[at].cmps[level]`: the one of the earliest
/// added rule that follows the same nodes up to `level` and shares that high-word node. libseccomp keeps a
/// merged node's original operator (`op_orig`), which orders the node among its siblings.
fn node_representative(chains: &[Chain], at: usize, level: usize) -> Cmp {
    let target = &chains[at].cmps;
    let own = target[level];
    chains
        .iter()
        .filter(|chain| {
            chain.cmps.len() > level
                && chain.cmps[..level]
                    .iter()
                    .zip(&target[..level])
                    .all(|(a, b)| a.same_node(b) && a.true_branch() == b.true_branch())
                && chain.cmps[level].same_high_node(&own)
        })
        .min_by_key(|chain| chain.seq)
        .map_or(own, |chain| chain.cmps[level])
}

/// Inserts a conditional rule into a syscall's ordered rules as `_db_tree_prune` + `_db_tree_add` do.
/// Returns the existing rule that made libseccomp drop the new one (when their actions differ).
fn insert(chains: &mut Vec<Chain>, new: Chain) -> Result<Option<Chain>, Refusal> {
    let mut position = None;
    let mut longer = Vec::new();
    for (index, existing) in chains.iter().enumerate() {
        match relation(chains, index, &new.cmps) {
            Relation::Equal if existing.action == new.action => return Ok(None),
            Relation::Equal => {
                return Err(Refusal {
                    rule: new.source,
                    existing: existing.source,
                });
            }
            Relation::ExistingShorter => {
                return Ok((existing.action != new.action).then(|| existing.clone()));
            }
            Relation::NewShorter => longer.push(index),
            Relation::Before => {
                position.get_or_insert(index);
            }
            Relation::After => {}
        }
    }
    if let Some(&other) = longer.iter().find(|&&index| chains[index].action != new.action) {
        return Err(Refusal {
            rule: new.source,
            existing: chains[other].source,
        });
    }
    // The new rule replaces the longer ones it is a prefix of (same action: `_db_tree_prune`).
    let mut position = position.unwrap_or(chains.len());
    for &index in longer.iter().rev() {
        chains.remove(index);
        if index < position {
            position -= 1;
        }
    }
    chains.insert(position.min(chains.len()), new);
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(arg: u8, op: ScmpCompare, datum: u64) -> Cmp {
        Cmp {
            arg,
            op,
            mask: u64::MAX,
            datum,
        }
    }

    fn source(entry: usize) -> Source {
        Source { entry, name: 0 }
    }

    fn errno(n: u32) -> Action {
        Action::errno(n).unwrap()
    }

    /// Adds syscall 1's rule `args[0] OP 3 -> action` (default errno 1) from entry `entry`.
    fn add_on_arg0(db: &mut Database, action: Action, op: ScmpCompare, entry: usize) -> Result<(), Refusal> {
        db.add(1, action, errno(1), vec![cmp(0, op, 3)], source(entry))
    }

    #[test]
    fn the_narrower_of_two_greater_than_tests_is_tested_first_like_libseccomp_test_43() {
        let mut db = Database::default();
        let kill = Action::KILL_THREAD;
        db.add(0, errno(5), kill, vec![cmp(2, ScmpCompare::Gt, 128)], source(0))
            .unwrap();
        db.add(0, errno(6), kill, vec![cmp(2, ScmpCompare::Gt, 256)], source(1))
            .unwrap();
        let (decisions, conflicts) = db.finish();
        assert!(conflicts.is_empty());
        let Decision::FirstMatch(chains) = &decisions[0].1 else {
            panic!("conditional")
        };
        assert_eq!(chains[0].action, errno(6));
        assert_eq!(chains[1].action, errno(5));
    }

    #[test]
    fn the_first_unconditional_rule_is_kept_and_the_conflict_named() {
        let mut db = Database::default();
        db.add(1, Action::ALLOW, errno(1), vec![], source(0)).unwrap();
        db.add(1, Action::KILL_THREAD, errno(1), vec![], source(3))
            .unwrap();
        let (decisions, conflicts) = db.finish();
        assert!(matches!(
            decisions[0].1,
            Decision::Always {
                action: Action::ALLOW,
                ..
            }
        ));
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].why, ConflictKind::FirstUnconditionalKept);
        assert_eq!(conflicts[0].winner, source(0));
        assert_eq!(conflicts[0].loser, source(3));
    }

    #[test]
    fn an_unconditional_rule_replaces_earlier_conditional_ones() {
        let mut db = Database::default();
        add_on_arg0(&mut db, Action::ALLOW, ScmpCompare::Eq, 0).unwrap();
        db.add(1, Action::KILL_THREAD, errno(1), vec![], source(1))
            .unwrap();
        let (decisions, conflicts) = db.finish();
        assert!(matches!(
            decisions[0].1,
            Decision::Always {
                action: Action::KILL_THREAD,
                ..
            }
        ));
        assert_eq!(conflicts[0].why, ConflictKind::UnconditionalReplaces);
    }

    #[test]
    fn the_same_conditions_with_another_action_are_refused() {
        let mut db = Database::default();
        add_on_arg0(&mut db, Action::ALLOW, ScmpCompare::Eq, 0).unwrap();
        let err = add_on_arg0(&mut db, Action::KILL_THREAD, ScmpCompare::Eq, 1).unwrap_err();
        assert_eq!(err.existing, source(0));
    }

    #[test]
    fn a_not_equal_and_an_equal_test_of_one_value_are_the_two_branches_of_one_node() {
        let mut db = Database::default();
        add_on_arg0(&mut db, Action::ALLOW, ScmpCompare::Ne, 0).unwrap();
        add_on_arg0(&mut db, Action::KILL_THREAD, ScmpCompare::Eq, 1).unwrap();
        let (decisions, conflicts) = db.finish();
        assert!(conflicts.is_empty());
        let Decision::FirstMatch(chains) = &decisions[0].1 else {
            panic!("conditional")
        };
        assert_eq!(chains.len(), 2);
    }

    #[test]
    fn negations_and_disjointness() {
        let masked = Cmp {
            arg: 0,
            op: ScmpCompare::MaskedEq,
            mask: 0b101,
            datum: 0b001,
        };
        let negation = masked.negation();
        assert_eq!(negation.len(), 2);
        for value in 0..8u64 {
            let args = [value, 0, 0, 0, 0, 0];
            assert_eq!(masked.holds(&args), !negation.iter().any(|c| c.holds(&args)));
        }
        assert!(cmp(0, ScmpCompare::Lt, 5).disjoint(&cmp(0, ScmpCompare::Ge, 5)));
        assert!(!cmp(0, ScmpCompare::Lt, 6).disjoint(&cmp(0, ScmpCompare::Ge, 5)));
        assert!(!cmp(0, ScmpCompare::Lt, 0).disjoint(&cmp(1, ScmpCompare::Ne, 5)));
        assert!(cmp(0, ScmpCompare::Lt, 0).disjoint(&cmp(0, ScmpCompare::Ne, 5)));
        assert!(cmp(0, ScmpCompare::Eq, 2).disjoint(&masked));
        assert!(!cmp(0, ScmpCompare::Eq, 3).disjoint(&masked));
    }
}
