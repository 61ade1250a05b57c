//! What a mode's measured runs come to: its figures, its interference, its result row and the
//! run its timeline shows.

use super::{Measured, Measurement, Sample};
use crate::exec::Run;
use crate::interference::{ModeInterference, Reading, Verdict};
use crate::model::{LaneKind, ModeResult, Recorded, TimelineRun};
use crate::stats::{self, Summary};

impl<R: Measurement> Measured<R> {
    /// Every measured run, used or set aside.
    pub(crate) fn all_samples(&self) -> impl Iterator<Item = &Sample<R>> {
        self.samples.iter().chain(&self.set_aside)
    }

    /// The runs the figures come from.
    pub(crate) fn values(&self) -> impl Iterator<Item = &R> {
        self.samples.iter().map(|s| &s.value)
    }

    /// The executor runs the figures come from.
    pub(crate) fn runs(&self) -> impl Iterator<Item = &Run> {
        self.values().map(Measurement::run)
    }

    pub(crate) fn wall_ms(&self) -> Summary {
        let samples: Vec<f64> = self.runs().map(|r| r.wall.as_secs_f64() * 1e3).collect();
        Summary::of(&samples).expect("at least one measured run")
    }

    /// The run closest to the median: the one a timeline shows.
    pub(crate) fn median_sample(&self) -> &Sample<R> {
        &self.samples[self.wall_ms().median_index()]
    }

    /// The speedup of each round against `baseline`'s run of the same round.
    pub(crate) fn round_speedups(&self, baseline: &Measured<R>) -> Vec<f64> {
        self.samples
            .iter()
            .filter_map(|s| {
                let b = baseline.samples.iter().find(|b| b.round == s.round)?;
                Some(stats::speedup(
                    b.value.run().wall.as_secs_f64(),
                    s.value.run().wall.as_secs_f64(),
                ))
            })
            .collect()
    }

    /// The mode's interference over its used runs, with every run's own reading.
    pub(crate) fn interference(&self) -> ModeInterference {
        let used = Reading::sum(self.samples.iter().map(|s| &s.reading), false);
        let mut all: Vec<&Sample<R>> = self.all_samples().collect();
        all.sort_by_key(|s| s.round);
        let used_rounds: Vec<usize> = self.samples.iter().map(|s| s.round).collect();
        let sample = |s: &&Sample<R>| s.reading.sample(used_rounds.contains(&s.round));
        ModeInterference {
            others_cpus: used.others_cpus().map(|v| stats::round_to(v, 3)),
            steal_cpus: used.steal_cpus().map(|v| stats::round_to(v, 3)),
            resolution_cpus: used.resolution_cpus().map(|v| stats::round_to(v, 3)),
            verdict: used.verdict(),
            samples: all.iter().map(sample).collect(),
            disturbed_runs: all
                .iter()
                .filter(|s| s.reading.verdict() == Verdict::Disturbed)
                .count(),
        }
    }

    /// The mode's row, against `baseline` (one of the measured modes, often this one).
    pub(crate) fn result(&self, baseline: &Measured<R>, expected_checksum: u64) -> ModeResult {
        let wall_ms = self.wall_ms();
        let speedup = stats::speedup(baseline.wall_ms().median, wall_ms.median);
        let per_round = self.round_speedups(baseline);
        let low = per_round.iter().copied().fold(f64::INFINITY, f64::min);
        let high = per_round.iter().copied().fold(0.0, f64::max);
        let mut cpus_used: Vec<usize> = self
            .runs()
            .flat_map(|r| r.slices.iter().filter_map(crate::trace::Slice::cpu))
            .collect();
        cpus_used.sort_unstable();
        cpus_used.dedup();
        ModeResult {
            mode: self.mode.clone(),
            workers: self.threads,
            cpus_used,
            speedup,
            speedup_interval: if per_round.is_empty() {
                [speedup, speedup]
            } else {
                [
                    (low * 1000.0).floor() / 1000.0,
                    (high * 1000.0).ceil() / 1000.0,
                ]
            },
            efficiency: stats::efficiency(speedup, self.threads),
            checksum_ok: self
                .all_samples()
                .all(|s| s.value.run().checksum == expected_checksum),
            wall_ms,
            interference: Some(self.interference()),
            findings: crate::model::findings::Findings::None,
        }
    }

    /// The slices of the run closest to the median, for the timeline.
    pub(crate) fn timeline(&self) -> (TimelineRun, Recorded) {
        let index = self.wall_ms().median_index();
        let run = self.samples[index].value.run();
        let slices = Recorded {
            mode: self.mode.clone(),
            lanes: LaneKind::Cpu,
            slices: run.slices.clone(),
        };
        (
            TimelineRun {
                mode: self.mode.clone(),
                run: index,
                wall_us: run.wall.as_secs_f64() * 1e6,
            },
            slices,
        )
    }
}
