//! The optimal search tree over a window of `nr` ranges: the subtree of at most [`WINDOW`] ranges that
//! minimises the weighted number of tests, computed exactly (the classic interval dynamic program for
//! optimal alphabetic trees with Knuth's bound on the root, O(n²) time and space on the stack).
//!
//! The tree's upper levels split by weight balance, which is close to optimal when a window holds many
//! ranges; below [`WINDOW`] ranges the exact tree takes over, where the heuristic's rounding costs most (a
//! heavy range next to a boundary). A node is a `jge` splitting the window in two, or a `jeq` isolating a
//! single number between two ranges of one outcome (a window of three).

use super::ranges::Range;

/// The most ranges the exact tree is computed for.
pub(super) const WINDOW: usize = 80;

/// How a window is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Choice {
    /// A `jge` whose right subtree starts at this range (global index).
    At(usize),
    /// A `jeq` on the middle range of a window of three.
    Jeq,
}

/// The optimal choices for every sub-window of `ranges[base..base + len]`.
pub(super) struct Splits {
    base: usize,
    len: usize,
    /// `root[i][j]`: for the local window `i..=j`, the local start of the right subtree, or 0 for a `jeq`.
    root: [[u8; WINDOW]; WINDOW],
}

/// Whether `ranges` (three of them) can be decided by one `jeq` on the middle one.
pub(super) fn jeq_window(ranges: &[Range]) -> bool {
    match ranges {
        [first, middle, last] => {
            first.outcome == last.outcome && middle.start.checked_add(1) == Some(last.start)
        }
        _ => false,
    }
}

impl Splits {
    /// Computes the optimal tree of `ranges[base..=last]` (at most [`WINDOW`] ranges; `all` is the whole
    /// list, whose cumulative weights give each range's weight).
    pub(super) fn new(all: &[Range], base: usize, last: usize) -> Splits {
        let len = (last + 1 - base).min(WINDOW);
        let mut splits = Splits {
            base,
            len,
            root: [[0; WINDOW]; WINDOW],
        };
        // prefix[k]: the weight of the local ranges before k.
        let mut prefix = [0u32; WINDOW + 1];
        let first = base
            .checked_sub(1)
            .and_then(|p| all.get(p))
            .map_or(0, |r| r.cumulative);
        for k in 0..len {
            prefix[k + 1] = all.get(base + k).map_or(prefix[k], |r| r.cumulative - first);
        }
        let weight = |i: usize, j: usize| prefix[j + 1] - prefix[i];
        let mut cost = [[0u32; WINDOW]; WINDOW];
        for width in 2..=len {
            for i in 0..=len - width {
                let j = i + width - 1;
                let mut best = u32::MAX;
                let mut choice = 0u8;
                if width == 3 && all.get(base + i..base + j + 1).is_some_and(jeq_window) {
                    best = weight(i, j);
                }
                // Knuth's bound: the best root lies between those of the two windows one shorter (a
                // window decided by a `jeq` gives no bound). Any root gives a correct tree; the bound
                // only makes the search quadratic.
                let (mut from, mut to) = (i + 1, j);
                if width > 2 {
                    let (left, right) = (splits.root[i][j - 1], splits.root[i + 1][j]);
                    if left != 0 && right != 0 && left <= right {
                        (from, to) = (usize::from(left), usize::from(right));
                    }
                }
                for s in from..=to {
                    let c = weight(i, j)
                        .saturating_add(cost[i][s - 1])
                        .saturating_add(cost[s][j]);
                    if c < best {
                        best = c;
                        choice = s as u8;
                    }
                }
                cost[i][j] = best;
                splits.root[i][j] = choice;
            }
        }
        splits
    }

    /// Whether the window `i..=j` (global indices) lies inside the computed one.
    pub(super) fn covers(&self, i: usize, j: usize) -> bool {
        i >= self.base && j < self.base + self.len
    }

    /// The choice for the window `i..=j` (global indices, `i < j`, inside the computed window).
    pub(super) fn choice(&self, i: usize, j: usize) -> Choice {
        let (li, lj) = (i - self.base, j - self.base);
        match self.root[li % WINDOW][lj % WINDOW] {
            0 => Choice::Jeq,
            s => Choice::At(self.base + usize::from(s)),
        }
    }
}
