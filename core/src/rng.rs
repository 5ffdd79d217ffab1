//! The crate's one deterministic pseudo-random generator (SplitMix64), shared by `policy::verify` (its
//! pseudo-random mixtures of boundary values), the program generators of `bpf::generate`, and every test,
//! fuzz helper and tool that needs reproducible numbers without a dependency.
//!
//! A seed fixes the whole sequence, so a failing check replays from its seed. Not for cryptography.

/// A small deterministic pseudo-random generator (SplitMix64): every seed, 0 included, gives a full-period
/// sequence. Not for cryptography.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose sequence is fixed by `seed`.
    pub const fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Multiply-shift: uniform enough for test generation, and never divides.
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }

    /// A number in `low..=high` (`low` when `high < low`).
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        low + self.below(high - low + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty array (an empty one does not compile).
    pub fn pick<T: Copy, const N: usize>(&mut self, items: &[T; N]) -> T {
        const { assert!(N > 0, "pick needs a non-empty array") };
        // `below(N)` is below N, so the index is in bounds.
        items[(self.below(N as u64) as usize).min(N - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn a_seed_fixes_the_sequence_and_zero_is_a_good_seed() {
        let mut a = Rng::new(0);
        let mut b = Rng::new(0);
        let first: [u64; 4] = core::array::from_fn(|_| a.next_u64());
        assert_eq!(first, core::array::from_fn(|_| b.next_u64()));
        assert!(
            first.iter().all(|&x| x != 0),
            "seed 0 must not get stuck at 0: {first:x?}"
        );
        assert_ne!(first[0], Rng::new(1).next_u64());
    }

    #[test]
    fn bounded_draws_stay_in_bounds() {
        let mut rng = Rng::new(7);
        for bound in [1u64, 2, 3, 10, 1 << 40, u64::MAX] {
            for _ in 0..100 {
                assert!(rng.below(bound) < bound);
            }
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.range(9, 3), 9);
        for _ in 0..100 {
            assert!((3..=9).contains(&rng.range(3, 9)));
        }
        assert!(!rng.chance(0));
        assert!(rng.chance(100));
    }
}
