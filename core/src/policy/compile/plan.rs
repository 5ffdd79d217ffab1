//! Stage 3, argument planning: each comparison of a condition turned into one or two 32-bit word steps
//! (the high word first), and whether the result is negated.
//!
//! - `a == v`: `hi == vh && lo == vl`; `!=` is its negation.
//! - `a >= v`: `hi > vh || (hi == vh && lo >= vl)`; with `vl == 0` just `hi >= vh`. `a > v` is
//!   `a >= v + 1`, `a < v` is `!(a >= v)`, `a <= v` is `!(a >= v + 1)`.
//! - `(a & m) == v`: each half with its mask: no `and` when the half's mask is all ones, a `jset` when it
//!   is a single bit, nothing when it is zero; `(a & m) != v` is its negation.
//! - `.lo` comparisons test the low word alone.

use crate::abi::offset;
use crate::policy::model::{Comparison, Op, Width};

/// One 32-bit step of a comparison.
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
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
    pub(super) fn clobbers(self) -> bool {
        matches!(self, Step::Masked(mask, _) if mask != u32::MAX && !mask.is_power_of_two())
    }
}

/// A comparison lowered to word steps: one or two `(offset, step)`, and whether the result is negated
/// (pass and fail swapped).
#[derive(Clone, Copy, Debug)]
pub(super) struct Plan {
    pub(super) steps: [Option<(u32, Step)>; 2],
    pub(super) negate: bool,
}

impl Plan {
    /// Plans a comparison that is not constant.
    pub(super) fn of(comparison: &Comparison) -> Plan {
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
            (Width::Low, Op::MaskedNe(mask)) => (one(Step::Masked(mask as u32, vl)), true),
            (Width::Full, Op::Eq) => ([Some((hi, Step::Eq(vh))), Some((lo, Step::Eq(vl)))], false),
            (Width::Full, Op::Ne) => ([Some((hi, Step::Eq(vh))), Some((lo, Step::Eq(vl)))], true),
            (Width::Full, Op::Ge) => (ge64(value), false),
            (Width::Full, Op::Gt) => (ge64(value.wrapping_add(1)), false),
            (Width::Full, Op::Lt) => (ge64(value), true),
            (Width::Full, Op::Le) => (ge64(value.wrapping_add(1)), true),
            (Width::Full, Op::MaskedEq(mask) | Op::MaskedNe(mask)) => {
                let negate = matches!(comparison.op(), Op::MaskedNe(_));
                let (mh, ml) = ((mask >> 32) as u32, mask as u32);
                let high = (mh != 0).then_some((hi, Step::Masked(mh, vh)));
                let low = (ml != 0).then_some((lo, Step::Masked(ml, vl)));
                match (high, low) {
                    (Some(h), l) => ([Some(h), l], negate),
                    (None, l) => ([l, None], negate),
                }
            }
        };
        Plan { steps, negate }
    }

    /// The word the first step loads.
    pub(super) fn first_word(&self) -> Option<u32> {
        self.steps[0].map(|(offset, _)| offset)
    }

    /// The word A holds whenever the comparison passes, if that is one word, unmodified.
    pub(super) fn word_after_pass(&self) -> Option<u32> {
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
