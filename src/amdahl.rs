//! Amdahl's law, and fitting it to measured speedups.
//!
//! If a fraction `s` of a run's work can only run on one thread, `p` processors give at most
//! the speedup `S(p) = 1 / (s + (1 - s) / p)`, and no number of processors can beat `1 / s`.
//! Given measured `(p, speedup)` points, [`fit`] finds the `s` that explains them best: the one
//! that minimises the squared error of the speedups themselves (what the table and plot show),
//! over `0 <= s <= 1`.
//!
//! `1 / S = s + (1 - s) / p` is linear in `s`, which gives a closed form for the least squares
//! on `1 / S`; that weighs the points differently from least squares on `S`, so it only seeds
//! the search here: a scan of `[0, 1]` followed by a golden-section search around the best
//! point, which is exact to about 1e-9 and needs no assumption about the shape of the error.

use serde::{Deserialize, Serialize};

/// Amdahl's speedup on `p` processors (`p` may be fractional, as with a CPU quota) when a
/// fraction `serial` of the work is serial.
pub(crate) fn speedup(serial: f64, p: f64) -> f64 {
    1.0 / (serial + (1.0 - serial) / p.max(f64::MIN_POSITIVE))
}

/// The speedup as `p` grows without bound: `1 / serial`, or `None` (unbounded) for `serial`
/// 0.
pub(crate) fn max_speedup(serial: f64) -> Option<f64> {
    (serial > 0.0).then(|| 1.0 / serial)
}

/// The serial fraction that fits `points` of `(processors, speedup)` best, with the
/// root-mean-square error of the fitted speedups, in speedup and relative to each fitted
/// speedup (0.02: 2%). The relative one judges a fit alike at 2 CPUs and at 64, where the
/// same 3% noise of the runs is 0.06 or 2 in speedup.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Fit {
    pub(crate) serial_fraction: f64,
    pub(crate) rms_error: f64,
    pub(crate) relative_rms_error: f64,
}

/// Least-squares fit of Amdahl's law to `points` of `(processors, speedup)`. `None` when no
/// point has more than one processor (every `s` then predicts the same speedup, 1) or a point
/// is not a finite positive number.
pub(crate) fn fit(points: &[(f64, f64)]) -> Option<Fit> {
    // The scan's steps over [0, 1].
    const STEPS: usize = 1000;
    if points
        .iter()
        .any(|&(p, s)| !(p.is_finite() && s.is_finite() && p > 0.0 && s > 0.0))
        || !points.iter().any(|&(p, _)| p > 1.0 + 1e-9)
    {
        return None;
    }
    let error = |s: f64| -> f64 {
        points
            .iter()
            .map(|&(p, measured)| (measured - speedup(s, p)).powi(2))
            .sum()
    };
    // Scan [0, 1], the linearised closed form included, then refine around the best point.
    let step = 1.0 / STEPS as f64;
    let best = (0..=STEPS)
        .map(|i| i as f64 * step)
        .chain(linearised(points))
        .min_by(|a, b| error(*a).total_cmp(&error(*b)))
        .unwrap_or(0.0);
    let (mut lo, mut hi) = ((best - step).max(0.0), (best + step).min(1.0));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    while hi - lo > 1e-10 {
        let a = hi - ratio * (hi - lo);
        let b = lo + ratio * (hi - lo);
        if error(a) <= error(b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    let serial = [f64::midpoint(lo, hi), best]
        .into_iter()
        .min_by(|a, b| error(*a).total_cmp(&error(*b)))
        .unwrap_or(best);
    let relative: f64 = points
        .iter()
        .map(|&(p, measured)| (measured / speedup(serial, p) - 1.0).powi(2))
        .sum();
    Some(Fit {
        serial_fraction: serial,
        rms_error: (error(serial) / points.len() as f64).sqrt(),
        relative_rms_error: (relative / points.len() as f64).sqrt(),
    })
}

/// The report's `amdahl` object: the fit, and the points it was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmdahlReport {
    /// The fitted serial fraction; null where no point had more than one CPU to run on.
    pub(crate) serial_fraction: Option<f64>,
    /// `1 / serial_fraction`: the speedup the fit predicts as P grows without bound (on as many
    /// CPUs); null when it is unbounded (serial fraction 0) or there is no fit.
    pub(crate) max_speedup: Option<f64>,
    /// Root-mean-square error of the fitted speedups.
    pub(crate) rms_error: Option<f64>,
    /// The same relative to each fitted speedup (0.02: 2%), by which the fit is judged.
    #[serde(default)]
    pub(crate) relative_rms_error: Option<f64>,
    /// The serial fraction each run was given (`--serial-fraction`, rounded to whole units).
    pub(crate) serial_fraction_set: f64,
    /// CPUs' worth of time this process can use at once; a point's `p` is `min(P, cpus)`.
    pub(crate) cpus: f64,
    /// The largest P the fit was made over, where it was not made over every point: the
    /// cores of the fastest kind, beyond which workers run on hardware threads that share a
    /// core or on slower cores, which Amdahl's law does not model. The model counts at most
    /// that many processors. Null: every point.
    #[serde(default)]
    pub(crate) fitted_up_to: Option<usize>,
    /// The points of the fit, one per P, with the spread of each speedup.
    pub(crate) points: Vec<Point>,
    /// Was P = 1 added to the P asked for (`--procs`)? It is the baseline of every speedup.
    #[serde(default)]
    pub(crate) baseline_added: bool,
}

/// One measured point of the speedup curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Point {
    /// Workers of the pool (P).
    pub(crate) threads: usize,
    /// Processors in Amdahl's sense: `min(P, cpus)`.
    pub(crate) p: f64,
    /// Median speedup, and the speedups of the slowest and fastest runs.
    pub(crate) speedup: f64,
    pub(crate) speedup_min: f64,
    pub(crate) speedup_max: f64,
}

impl AmdahlReport {
    /// Fits all `points` measured on `cpus` CPUs with `serial_fraction_set` serial work (for
    /// tests: a sweep fits as [`AmdahlReport::fitted_within`] its cores).
    #[cfg(test)]
    pub(crate) fn new(points: Vec<Point>, cpus: f64, serial_fraction_set: f64) -> AmdahlReport {
        AmdahlReport::fitted_within(points, cpus, serial_fraction_set, None)
    }

    /// Fits only the points of P up to `up_to` (all where `None`): see
    /// [`fitted_up_to`](AmdahlReport::fitted_up_to).
    pub(crate) fn fitted_within(
        points: Vec<Point>,
        cpus: f64,
        serial_fraction_set: f64,
        up_to: Option<usize>,
    ) -> AmdahlReport {
        let pairs: Vec<(f64, f64)> = points
            .iter()
            .filter(|pt| up_to.is_none_or(|limit| pt.threads <= limit))
            .map(|pt| (pt.p, pt.speedup))
            .collect();
        let fit = fit(&pairs);
        AmdahlReport {
            serial_fraction: fit.map(|f| f.serial_fraction),
            max_speedup: fit.and_then(|f| max_speedup(f.serial_fraction)),
            rms_error: fit.map(|f| f.rms_error),
            relative_rms_error: fit.map(|f| crate::stats::round_to(f.relative_rms_error, 4)),
            serial_fraction_set,
            cpus,
            fitted_up_to: up_to,
            points,
            baseline_added: false,
        }
    }

    /// The fitted speedup of P workers (`None` without a fit).
    pub(crate) fn predicted(&self, threads: usize) -> Option<f64> {
        self.model(threads as f64)
    }

    /// The fitted speedup of `threads` workers, which may be fractional (a plot's curve).
    pub(crate) fn model(&self, threads: f64) -> Option<f64> {
        let threads = self
            .fitted_up_to
            .map_or(threads, |limit| threads.min(limit as f64));
        self.serial_fraction
            .map(|s| speedup(s, processors(threads, self.cpus)))
    }
}

/// Amdahl's `p` for `threads` workers on `cpus` CPUs' worth of time: the workers beyond the
/// CPUs add none, so `min(P, cpus)`, relative to what one worker gets (the baseline of every
/// speedup), which is less than a whole CPU under a quota below 1.
pub(crate) fn processors(threads: f64, cpus: f64) -> f64 {
    let cpus = cpus.max(f64::MIN_POSITIVE);
    threads.min(cpus) / cpus.min(1.0)
}

/// The least squares on `1/S - 1/p = s (1 - 1/p)`, clamped to `[0, 1]`.
fn linearised(points: &[(f64, f64)]) -> Option<f64> {
    let (xy, xx) = points.iter().fold((0.0, 0.0), |(xy, xx), &(p, s)| {
        let x = 1.0 - 1.0 / p;
        (xy + x * (1.0 / s - 1.0 / p), xx + x * x)
    });
    (xx > 0.0).then(|| (xy / xx).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::karp_flatt;

    #[test]
    fn amdahl_on_known_values() {
        assert_eq!(speedup(0.0, 4.0), 4.0);
        assert_eq!(speedup(1.0, 64.0), 1.0);
        assert!((speedup(0.5, 2.0) - 4.0 / 3.0).abs() < 1e-12);
        assert!((speedup(0.1, 10.0) - 1.0 / 0.19).abs() < 1e-12);
        // A 1.5-CPU quota is 1.5 processors.
        assert!((speedup(0.0, 1.5) - 1.5).abs() < 1e-12);
        assert_eq!(max_speedup(0.05), Some(20.0));
        assert_eq!(max_speedup(0.0), None);
    }

    #[test]
    fn workers_beyond_the_cpus_add_no_processors() {
        assert_eq!(processors(1.0, 2.0), 1.0);
        assert_eq!(processors(2.0, 2.0), 2.0);
        assert_eq!(processors(4.0, 2.0), 2.0);
        assert_eq!(processors(4.0, 1.5), 1.5);
        // Under a quota of half a CPU one worker already has all there is.
        assert_eq!(processors(1.0, 0.5), 1.0);
        assert_eq!(processors(8.0, 0.5), 1.0);
    }

    #[test]
    fn the_report_fits_its_points_and_predicts_the_plateau() {
        let point = |threads: usize, speedup: f64| Point {
            threads,
            p: processors(threads as f64, 2.0),
            speedup,
            speedup_min: speedup * 0.99,
            speedup_max: speedup * 1.01,
        };
        let s = speedup(0.5, 2.0);
        let report = AmdahlReport::new(vec![point(1, 1.0), point(2, s), point(4, s)], 2.0, 0.5);
        assert!((report.serial_fraction.unwrap() - 0.5).abs() < 1e-6);
        assert!((report.max_speedup.unwrap() - 2.0).abs() < 1e-5);
        assert!((report.predicted(4).unwrap() - s).abs() < 1e-6);
        // Fitted over P up to 2 only, the model stays at what 2 processors give.
        let within = AmdahlReport::fitted_within(
            vec![point(1, 1.0), point(2, 2.0), point(4, 2.4)],
            4.0,
            0.0,
            Some(2),
        );
        assert!(within.serial_fraction.unwrap() < 1e-6);
        assert!((within.predicted(4).unwrap() - 2.0).abs() < 1e-6);
        let one_cpu = AmdahlReport::new(vec![point(1, 1.0)], 1.0, 0.0);
        assert_eq!(
            (one_cpu.serial_fraction, one_cpu.predicted(2)),
            (None, None)
        );
    }

    #[test]
    fn karp_flatt_inverts_amdahl() {
        for s in [0.0, 0.05, 0.3, 0.9] {
            for p in [2usize, 3, 8, 64] {
                let e = karp_flatt(speedup(s, p as f64), p).unwrap();
                assert!((e - s).abs() < 1e-12, "s {s} p {p}: {e}");
            }
        }
    }

    #[test]
    fn the_fit_recovers_the_serial_fraction_of_exact_points() {
        for s in [0.0, 0.01, 0.25, 0.5, 0.75, 0.99] {
            let points: Vec<(f64, f64)> = [1.0, 2.0, 3.0, 4.0, 8.0]
                .iter()
                .map(|&p| (p, speedup(s, p)))
                .collect();
            let f = fit(&points).unwrap();
            assert!((f.serial_fraction - s).abs() < 1e-6, "{s}: {f:?}");
            assert!(f.rms_error < 1e-6);
        }
    }

    #[test]
    fn the_fit_recovers_the_serial_fraction_through_noise_and_a_plateau() {
        // F = 0.5 on 2 CPUs, P = 1, 2, 4: p = min(P, 2), with 2% noise on the speedups.
        let points = [
            (1.0, 1.0),
            (2.0, speedup(0.5, 2.0) * 1.02),
            (2.0, speedup(0.5, 2.0) * 0.98),
        ];
        let f = fit(&points).unwrap();
        assert!((f.serial_fraction - 0.5).abs() < 0.02, "{f:?}");
        // Many points with alternating noise.
        let noisy: Vec<(f64, f64)> = (1..=16)
            .map(|p| {
                let p = f64::from(p);
                let wobble = if p as u32 % 2 == 0 { 1.03 } else { 0.97 };
                (p, speedup(0.1, p) * wobble)
            })
            .collect();
        let f = fit(&noisy).unwrap();
        assert!((f.serial_fraction - 0.1).abs() < 0.01, "{f:?}");
    }

    #[test]
    fn the_fit_stays_in_range_and_needs_more_than_one_processor() {
        // Superlinear speedup: the best s in [0, 1] is 0.
        assert_eq!(fit(&[(2.0, 2.5), (4.0, 5.0)]).unwrap().serial_fraction, 0.0);
        // Slower with more workers: s is 1.
        assert_eq!(fit(&[(2.0, 0.5)]).unwrap().serial_fraction, 1.0);
        assert!(fit(&[(1.0, 1.0), (1.0, 0.98)]).is_none());
        assert!(fit(&[]).is_none());
        assert!(fit(&[(2.0, f64::NAN)]).is_none());
        assert!(fit(&[(2.0, 0.0)]).is_none());
    }
}
