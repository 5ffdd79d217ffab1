//! Stage 2, ranges: the 2^32 values of `nr` cut into maximal ranges of consecutive numbers with one
//! outcome, each weighed for the search tree.
//!
//! Numbers outside the table are just more numbers, so gaps fall into ranges with the default action. For
//! x86_64 the x32 half of the number space (bit 30 set) is two more ranges with the bad-arch action (or,
//! for `x32 by-name`, the x86_64 outcomes by name), so the x32 check costs no instruction on the path of
//! native syscalls; for an x32 target the halves are swapped. An ENOSYS ceiling (`enosys-above`) makes
//! the numbers above it, in each quarter of its ABI, one more range answering `errno(ENOSYS)`: runc's
//! stub costs no test of its own, and a policy without a ceiling gets exactly the ranges it got before. A range weighs one, plus
//! [`SYSCALL_WEIGHT`] per syscall of the arch's table in it, so the dense parts of the table end up near
//! the root of the tree.

use super::CompileError;
use super::normalize::{Group, Outcome};
use crate::action::Action;
use crate::arch::Arch;
use crate::policy::model::{ENOSYS, Policy, X32};

/// A maximal range of numbers with one outcome: `start` up to the next range's start.
#[derive(Clone, Copy, Debug)]
pub(super) struct Range {
    pub(super) start: u32,
    pub(super) outcome: Outcome,
    /// Total weight of this range and all before it.
    pub(super) cumulative: u32,
}

impl Range {
    pub(super) const EMPTY: Range = Range {
        start: 0,
        outcome: Outcome::Ret(Action::KILL_PROCESS),
        cumulative: 0,
    };
}

/// Weight of one syscall of the arch's table in the search tree, relative to the 1 every range gets.
pub(super) const SYSCALL_WEIGHT: u32 = 8;

/// Cuts the number space of ABI `abi` (the target or its compat ABI) into ranges of one outcome and weighs them; returns the number of ranges.
pub(super) fn build<const R: usize, const C: usize>(
    policy: &Policy<R, C>,
    abi: Arch,
    groups: &[Group],
    out: &mut [Range],
) -> Result<usize, CompileError> {
    const QUARTER: u64 = 1 << 30;
    #[derive(Clone, Copy, PartialEq)]
    enum Segment {
        Rules,
        Bad,
        X32ByName,
    }
    use Segment::{Bad, Rules, X32ByName};
    // The compat ABI has an arch value of its own: its whole number space is its rules'.
    let x32 = if abi == policy.arch() {
        policy.x32()
    } else {
        X32::BadArch
    };
    let segments = match (abi, x32) {
        (Arch::X86_64, X32::BadArch) => [Rules, Bad, Rules, Bad],
        (Arch::X86_64, X32::BadArchExceptMinusOne) => [Rules, Bad, Bad, Bad],
        (Arch::X86_64, X32::ByName) => [Rules, X32ByName, Rules, X32ByName],
        (Arch::X32, _) => [Bad, Rules, Bad, Rules],
        _ => [Rules; 4],
    };
    let default = Outcome::Ret(policy.default_action());
    let mut ranges = RangeList {
        ranges: &mut *out,
        len: 0,
        cut: u64::MAX,
    };
    let mut next_group = 0;
    for (quarter, segment) in segments.into_iter().enumerate() {
        let low = quarter as u64 * QUARTER;
        let high = low + QUARTER;
        // Numbers above the ENOSYS ceiling of the quarter's ABI get errno(ENOSYS), whatever the segment
        // says (`Policy::enosys_above`): from `cut` on, nothing else is pushed.
        let owner = match (abi.audit() == crate::abi::AUDIT_ARCH_X86_64, quarter % 2 == 1) {
            (true, true) => Arch::X32,
            (true, false) => Arch::X86_64,
            (false, _) => abi,
        };
        let cut = policy
            .enosys_above(owner)
            .map_or(high, |ceiling| (u64::from(ceiling) + 1).clamp(low, high));
        ranges.cut = cut;
        match segment {
            Bad => {
                ranges.push(low, Outcome::Ret(policy.bad_arch_action()))?;
                // -1 is left to the rules, as libseccomp leaves it (see `X32::BadArchExceptMinusOne`).
                if x32 == X32::BadArchExceptMinusOne && high == 1 << 32 {
                    let minus_one = groups
                        .last()
                        .filter(|group| group.nr == u32::MAX)
                        .map_or(default, Group::outcome);
                    ranges.push(u64::from(u32::MAX), minus_one)?;
                }
            }
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
        if cut < high {
            ranges.cut = high;
            ranges.push(cut, Outcome::Ret(ENOSYS))?;
        }
    }
    let len = ranges.len;
    // Weights: one per range plus SYSCALL_WEIGHT per syscall of the target's table inside it. x32's
    // syscalls (with `X32::Rules`) weigh like gaps, so the native syscalls keep the short paths a policy
    // without x32 gives them and x32 costs them one test at most.
    let ranges = out.get_mut(..len).unwrap_or_default();
    let mut table = abi.syscalls().iter().peekable();
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
    Ok(len)
}

/// The ranges being built, merging neighbours with equal outcomes.
struct RangeList<'a> {
    ranges: &'a mut [Range],
    len: usize,
    /// Pushes from here on are ignored (the ENOSYS ceiling's range takes over).
    cut: u64,
}

impl RangeList<'_> {
    /// From `start` on (until the next push), numbers have `outcome`; ignored from `cut` on.
    fn push(&mut self, start: u64, outcome: Outcome) -> Result<(), CompileError> {
        if start >= self.cut {
            return Ok(());
        }
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
