//! Percentiles of the per-call timings.
//!
//! Nearest-rank percentiles: the p-th percentile of n sorted values is the value at rank ⌈p·n/100⌉
//! (1-based). It is always one of the measured values, never an interpolation, and the median of an even
//! count is the lower middle value.

/// The summary of one configuration's timings, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// How many timings there were.
    pub iterations: usize,
    /// The fastest call.
    pub min: u64,
    /// The 10th percentile.
    pub p10: u64,
    /// The 50th percentile.
    pub median: u64,
    /// The 90th percentile.
    pub p90: u64,
    /// The 99th percentile.
    pub p99: u64,
    /// The slowest call.
    pub max: u64,
}

/// The nearest-rank percentile `per_mille / 10` of `sorted` (ascending), or `None` when it is empty or
/// `per_mille` is outside 0..=1000 (0 gives the minimum).
pub fn percentile(sorted: &[u64], per_mille: u32) -> Option<u64> {
    if per_mille > 1000 {
        return None;
    }
    let n = sorted.len() as u128;
    let rank = (u128::from(per_mille) * n).div_ceil(1000).max(1);
    sorted.get(usize::try_from(rank - 1).ok()?).copied()
}

/// Summarizes `samples` (in any order), or `None` when there are none.
pub fn summarize(samples: &[u64]) -> Option<Summary> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    Some(Summary {
        iterations: sorted.len(),
        min: *sorted.first()?,
        p10: percentile(&sorted, 100)?,
        median: percentile(&sorted, 500)?,
        p90: percentile(&sorted, 900)?,
        p99: percentile(&sorted, 990)?,
        max: *sorted.last()?,
    })
}

/// `numerator / denominator` as a float ratio, or `None` for a zero denominator.
pub fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_hundred_are_the_ranks_themselves() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 0), Some(1));
        assert_eq!(percentile(&sorted, 10), Some(1));
        assert_eq!(percentile(&sorted, 100), Some(10));
        assert_eq!(percentile(&sorted, 500), Some(50));
        assert_eq!(percentile(&sorted, 900), Some(90));
        assert_eq!(percentile(&sorted, 990), Some(99));
        assert_eq!(percentile(&sorted, 991), Some(100));
        assert_eq!(percentile(&sorted, 1000), Some(100));
    }

    #[test]
    fn percentiles_of_small_and_empty_inputs() {
        assert_eq!(percentile(&[], 500), None);
        assert_eq!(percentile(&[7], 0), Some(7));
        assert_eq!(percentile(&[7], 990), Some(7));
        // The median of an even count is the lower middle value.
        assert_eq!(percentile(&[1, 2, 3, 4], 500), Some(2));
        assert_eq!(percentile(&[1, 2, 3], 500), Some(2));
        assert_eq!(percentile(&[1, 2, 3], 1001), None);
    }

    #[test]
    fn summary_sorts_first_and_reports_every_percentile() {
        let samples: Vec<u64> = (1..=1000).rev().collect();
        let summary = summarize(&samples).unwrap();
        assert_eq!(
            summary,
            Summary {
                iterations: 1000,
                min: 1,
                p10: 100,
                median: 500,
                p90: 900,
                p99: 990,
                max: 1000,
            }
        );
        assert_eq!(summarize(&[]), None);
    }

    #[test]
    fn one_outlier_moves_the_max_but_not_the_median() {
        let mut samples = vec![100; 999];
        samples.push(1_000_000);
        let summary = summarize(&samples).unwrap();
        assert_eq!((summary.median, summary.p99, summary.max), (100, 100, 1_000_000));
    }

    #[test]
    fn ratios_refuse_a_zero_denominator() {
        assert_eq!(ratio(3, 2), Some(1.5));
        assert_eq!(ratio(3, 0), None);
    }
}
