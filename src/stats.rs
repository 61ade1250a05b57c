//! Summaries over repeated runs and the standard figures of parallel performance.
//!
//! One run's time is noise; a median with its min and max is a measurement. Speedup is the
//! baseline's median over a mode's median, efficiency is speedup per thread, and the Karp-Flatt
//! metric turns a measured speedup back into the serial fraction that would explain it.

use serde::Serialize;

/// `x` rounded to `digits` decimals: how figures are written into the JSON.
pub(crate) fn round_to(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// The nearest-rank percentile `p` (0-100) of sorted samples; NaN when there are none.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of counts (the upper one of an even number); 0 when there are none.
pub(crate) fn median_u64(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// Median, min and max of a set of samples, with the samples themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) samples: Vec<f64>,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none (or one is not a number).
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() || samples.iter().any(|s| s.is_nan()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            samples: samples.to_vec(),
        })
    }

    /// Index of the sample closest to the median: the run a timeline shows.
    pub(crate) fn median_index(&self) -> usize {
        self.samples
            .iter()
            .enumerate()
            .min_by(|a, b| {
                (a.1 - self.median)
                    .abs()
                    .total_cmp(&(b.1 - self.median).abs())
            })
            .map_or(0, |(i, _)| i)
    }
}

/// How many times faster than the baseline: `baseline / time`.
pub(crate) fn speedup(baseline: f64, time: f64) -> f64 {
    if time > 0.0 { baseline / time } else { 0.0 }
}

/// Speedup per thread: 1.0 means every thread was fully useful.
pub(crate) fn efficiency(speedup: f64, threads: usize) -> f64 {
    speedup / threads.max(1) as f64
}

/// The Karp-Flatt metric: the serial fraction `e = (1/s - 1/p) / (1 - 1/p)` that a speedup `s`
/// on `p` workers implies. Undefined for one worker.
pub(crate) fn karp_flatt(speedup: f64, p: usize) -> Option<f64> {
    if p < 2 || speedup <= 0.0 {
        return None;
    }
    let p = p as f64;
    Some((1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50.0), 50.0);
        assert_eq!(percentile(&samples, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn medians_of_counts_and_rounding() {
        assert_eq!(median_u64(&[5, 1, 3]), 3);
        assert_eq!(median_u64(&[]), 0);
        assert_eq!(round_to(1.23456, 2), 1.23);
        assert_eq!(round_to(-0.0015, 3), -0.002);
    }

    #[test]
    fn median_min_max() {
        let s = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
        assert_eq!(s.samples, vec![5.0, 1.0, 3.0]);
        assert_eq!(s.median_index(), 2);
        let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn speedup_and_efficiency() {
        assert_eq!(speedup(400.0, 200.0), 2.0);
        assert_eq!(efficiency(2.0, 2), 1.0);
        assert_eq!(efficiency(1.8, 4), 0.45);
        assert_eq!(speedup(1.0, 0.0), 0.0);
    }

    #[test]
    fn karp_flatt_recovers_the_serial_fraction() {
        // Amdahl with serial fraction 0.1 on 4 workers: s = 1 / (0.1 + 0.9 / 4).
        let s = 1.0 / (0.1 + 0.9 / 4.0);
        assert!((karp_flatt(s, 4).unwrap() - 0.1).abs() < 1e-12);
        assert!(karp_flatt(2.0, 2).unwrap().abs() < 1e-12);
        assert!(karp_flatt(1.0, 1).is_none());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Samples, and the same samples in another order.
        fn samples() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
            proptest::collection::vec(-1e12..1e12f64, 1..30)
                .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn summaries_are_ordered_and_keep_their_samples((samples, _) in samples()) {
                let s = Summary::of(&samples).unwrap();
                prop_assert!(s.min <= s.median && s.median <= s.max, "{:?}", s);
                prop_assert_eq!(s.min, samples.iter().copied().fold(f64::INFINITY, f64::min));
                prop_assert_eq!(s.max, samples.iter().copied().fold(f64::NEG_INFINITY, f64::max));
                prop_assert_eq!(&s.samples, &samples);
                // As many samples at or below the median as at or above it, at least half each.
                let below = samples.iter().filter(|&&x| x <= s.median).count();
                let above = samples.iter().filter(|&&x| x >= s.median).count();
                prop_assert!(2 * below >= samples.len() && 2 * above >= samples.len());
                // The run shown is one whose time is nearest the median.
                let nearest = samples[s.median_index()];
                prop_assert!(samples.iter().all(|x| (x - s.median).abs() >= (nearest - s.median).abs()));
            }

            #[test]
            fn the_order_of_the_samples_does_not_matter((samples, shuffled) in samples()) {
                let (a, b) = (Summary::of(&samples).unwrap(), Summary::of(&shuffled).unwrap());
                prop_assert_eq!((a.median, a.min, a.max), (b.median, b.min, b.max));
            }

            #[test]
            fn one_nan_makes_no_summary((samples, _) in samples(), at in any::<proptest::sample::Index>()) {
                let mut with_nan = samples.clone();
                with_nan.insert(at.index(samples.len() + 1), f64::NAN);
                prop_assert!(Summary::of(&with_nan).is_none());
            }
        }

        #[test]
        fn no_samples_make_no_summary() {
            assert!(Summary::of(&[]).is_none());
        }
    }
}
