//! Claims: what every demo's conclusions share, and the two any demo can make.
//!
//! A sentence such as "the tasks ran at the same time" or "no mode can beat sequential here" is
//! a conclusion, and a conclusion is only as true as the data under it. A [`Claim`] therefore
//! carries an id that scripts can rely on, the figures its predicate used, the outcome of that
//! predicate (`holds`: true, false, or null where this run cannot judge it), and a text worded
//! for that outcome: where it does not hold, the text says what was seen instead; where it
//! cannot be judged (too few CPUs, a disturbed machine, too little work), it says why. Both
//! the outcome and the text are functions of the figures ([`Judged`]), written once per claim:
//! here for `machine.parallel_possible` and `work.checksums`, and in each demo's `claims.rs`
//! for its own. This module has what they share: when speed can be judged ([`Speed`],
//! [`speed_unjudgeable`]) and how long tasks ran at once ([`at_once_ms`]).
//!
//! Notes, the tour's answers and `--check` read the same claims, so they cannot disagree.

use crate::interference::{Interference, Verdict};
use crate::model::claim_figures::{ChecksumsFigures, ParallelPossibleFigures, Unjudged};
pub(crate) use crate::model::{Claim, ClaimId, Judged};
use crate::model::{ModeResult, Timeline};
use crate::sys::Machine;

/// The baseline must take at least this long per run (median) for a speed claim to be judged:
/// below it, starting threads, processes or a pool is a visible part of every run.
pub(crate) const MIN_JUDGED_MS: f64 = 20.0;

/// Why a claim about speed cannot be judged on this run, if it cannot: the machine was
/// disturbed or could not be measured, or the work was too small.
pub(crate) fn speed_unjudgeable(interference: &Interference, baseline_ms: f64) -> Option<Unjudged> {
    match interference.verdict {
        Verdict::Disturbed => Some(Unjudged::Disturbed {
            others_cpus: interference.others_cpus.unwrap_or(0.0),
            steal_cpus: interference.steal_cpus.unwrap_or(0.0),
            of_mode: false,
        }),
        _ if baseline_ms < MIN_JUDGED_MS => Some(Unjudged::TooSmall {
            baseline_ms,
            min_ms: MIN_JUDGED_MS,
        }),
        Verdict::Unknown => Some(Unjudged::Unmeasured),
        Verdict::Quiet => None,
    }
}

/// `machine.parallel_possible`: can tasks of this process run at the same time for more than
/// one CPU's worth of time? That is the CPU capacity (the CPUs it may use, capped by a cgroup
/// quota, which may be fractional), not a runtime's pool size: a 1.5-CPU quota on 2 CPUs lets
/// two threads run at once for 1.5 CPUs' worth, up to a 1.5x speedup, although Rust's
/// `available_parallelism` rounds it down to 1.
pub(crate) fn parallel_possible(machine: &Machine) -> Claim {
    Claim::of(None, ParallelPossibleFigures::of(machine))
}

impl ParallelPossibleFigures {
    pub(crate) fn of(machine: &Machine) -> ParallelPossibleFigures {
        ParallelPossibleFigures {
            cpu_capacity: machine.cpu_capacity(),
            schedulable_cpus: machine.schedulable_cpus(),
            cgroup_quota_cpus: machine.cgroup_quota_cpus,
            available_parallelism: machine.available_parallelism,
        }
    }
}

impl Judged for ParallelPossibleFigures {
    fn id(&self) -> ClaimId {
        ClaimId::MachineParallelPossible
    }

    fn holds(&self) -> Option<bool> {
        Some(self.cpu_capacity > 1.0 + 1e-9)
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let (capacity, cpus) = (self.cpu_capacity, self.schedulable_cpus);
        let quota = self.cgroup_quota_cpus.map_or_else(String::new, |q| {
            format!(" under a cgroup quota of {q:.2} CPUs")
        });
        if self.holds() == Some(true) {
            let pool = if self.available_parallelism < capacity.ceil() as usize {
                format!(
                    " (Rust's available_parallelism says {}: a pool size, rounded down, not what the CPUs can do)",
                    self.available_parallelism
                )
            } else {
                String::new()
            };
            format!(
                "This process may run on {cpus} CPUs{quota}: its tasks can run at the same time, for up to {} CPUs' worth of work at once, so parallel modes can be up to {}x faster than one after another{}{pool}.",
                crate::sys::format_cpus(capacity),
                crate::sys::format_cpus(capacity),
                if self.cgroup_quota_cpus.is_some() {
                    " over runs much longer than the quota's period (often 100 ms; a shorter run can spend a whole period's quota at once and do better)"
                } else {
                    ""
                },
            )
        } else {
            format!(
                "This process has {} CPU's worth of time ({cpus} CPU(s){quota}): its tasks can take turns (concurrency) but not run faster together than one after another, so no mode can beat sequential here (parallelism needs more than one CPU's worth).",
                crate::sys::format_cpus(capacity)
            )
        }
    }
}

/// How long at least two lanes (CPUs, or workers) were busy at the same moment, in ms, over
/// slices given as (lane, start µs, end µs); `None` where a slice has no lane (the OS did not
/// say which CPU ran it).
pub(crate) fn at_once_ms(
    slices: impl IntoIterator<Item = (Option<usize>, f64, f64)>,
) -> Option<f64> {
    let mut events: Vec<(f64, usize, i32)> = Vec::new();
    for (cpu, start_us, end_us) in slices {
        let cpu = cpu?;
        if end_us > start_us {
            events.push((start_us, cpu, 1));
            events.push((end_us, cpu, -1));
        }
    }
    // Ends before starts at the same instant: touching slices do not overlap.
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    let mut running: std::collections::HashMap<usize, i32> = std::collections::HashMap::new();
    let mut busy_cpus = 0usize;
    let mut last = 0.0;
    let mut overlap_us = 0.0;
    for (t, cpu, delta) in events {
        if busy_cpus >= 2 {
            overlap_us += t - last;
        }
        last = t;
        let count = running.entry(cpu).or_default();
        let was = *count > 0;
        *count += delta;
        match (was, *count > 0) {
            (false, true) => busy_cpus += 1,
            (true, false) => busy_cpus -= 1,
            _ => {}
        }
    }
    Some(overlap_us / 1e3)
}

/// What the run drawn of `mode` shows: how long two lanes were busy at once (lanes are CPUs,
/// or workers `by_worker`), and its wall time, both in ms.
pub(crate) fn drawn(timeline: &Timeline, mode: &str, by_worker: bool) -> (Option<f64>, f64) {
    let lanes = timeline.views(mode).map(|v| {
        let lane = if by_worker { Some(v.worker) } else { v.cpu };
        (lane, v.start_us, v.end_us)
    });
    let wall_ms = timeline
        .runs
        .iter()
        .find(|t| t.mode == mode)
        .map_or(0.0, |t| t.wall_us / 1e3);
    (at_once_ms(lanes), wall_ms)
}

/// Why a speed claim about one mode cannot be judged, if it cannot: its own runs were
/// disturbed (they read coarser than the whole report, so they can only add a disturbance),
/// or the report cannot judge speed at all ([`speed_unjudgeable`]).
pub(crate) fn mode_speed_unjudgeable(
    r: &ModeResult,
    interference: &Interference,
    baseline_ms: f64,
) -> Option<Unjudged> {
    r.interference
        .as_ref()
        .filter(|i| i.verdict == Verdict::Disturbed)
        .map(|i| Unjudged::Disturbed {
            others_cpus: i.others_cpus.unwrap_or(0.0),
            steal_cpus: i.steal_cpus.unwrap_or(0.0),
            of_mode: true,
        })
        .or_else(|| speed_unjudgeable(interference, baseline_ms))
}

/// The smallest speedup believed, however steady the rounds: a CPU quota's throttling
/// (periods of 100 ms), the timer and the clock's steps move the ratio of two short runs by a
/// few percent on a quiet machine. Under a 0.5-CPU quota, P = 2 was seen 1.05x "faster" than
/// P = 1 with no more CPU time to give.
pub(crate) const MIN_EFFECT: f64 = 0.1;

/// How a mode's speed compared with its baseline's: the medians decide, as the table shows
/// them, where their difference is larger than the noise it was measured in: [`MIN_EFFECT`],
/// or half the spread of the single rounds' speedups where that is more.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Speed {
    /// The run cannot judge speed, for this reason ([`mode_speed_unjudgeable`]).
    Unjudgeable(Unjudged),
    /// Faster by the median, beyond the noise; `every_round` when even the slowest single
    /// round was faster.
    Faster { every_round: bool },
    /// No single round faster by more than [`MIN_EFFECT`]: no difference, or slower.
    NotFaster,
    /// The median within the noise, though some round was faster beyond [`MIN_EFFECT`].
    RoundsDisagree,
}

impl Speed {
    /// Judges `r` against a baseline whose median took `baseline_ms`; `r.speedup` and
    /// `r.speedup_interval` are its speedups against that baseline (as the claims of speed
    /// judge their figures).
    #[cfg(test)]
    pub(crate) fn of(r: &ModeResult, interference: &Interference, baseline_ms: f64) -> Speed {
        Speed::given(
            mode_speed_unjudgeable(r, interference, baseline_ms).as_ref(),
            r.speedup,
            r.speedup_interval,
            MIN_EFFECT,
        )
    }

    /// Judges a median `speedup` with its single rounds' `[low, high]` against the noise bar
    /// `min_effect` ([`MIN_EFFECT`]), unless the run cannot judge speed (`unjudged`): as a
    /// claim's figures hold them.
    pub(crate) fn given(
        unjudged: Option<&Unjudged>,
        speedup: f64,
        interval: [f64; 2],
        min_effect: f64,
    ) -> Speed {
        match unjudged {
            Some(why) => Speed::Unjudgeable(why.clone()),
            None => Speed::judge(speedup, interval, min_effect),
        }
    }

    /// Judges a median `speedup` with its single rounds' `[low, high]` against the noise bar
    /// `min_effect`, on a run that can judge speed.
    pub(crate) fn judge(speedup: f64, [low, high]: [f64; 2], min_effect: f64) -> Speed {
        let noise = min_effect.max((high - low) / 2.0);
        if speedup > 1.0 + noise {
            Speed::Faster {
                every_round: low > 1.0,
            }
        } else if high <= 1.0 + min_effect {
            Speed::NotFaster
        } else {
            Speed::RoundsDisagree
        }
    }

    /// Whether "faster" holds, or `None` where it cannot be judged.
    pub(crate) fn holds(&self) -> Option<bool> {
        match self {
            Speed::Faster { .. } => Some(true),
            Speed::NotFaster => Some(false),
            Speed::Unjudgeable(_) | Speed::RoundsDisagree => None,
        }
    }
}

/// "speedup 1.95, 1.90-2.00 in single rounds": a median speedup and its single rounds', as the
/// sentences of speed quote them.
pub(crate) fn speedups(speedup: f64, [low, high]: [f64; 2]) -> String {
    format!("speedup {speedup:.2}, {low:.2}-{high:.2} in single rounds")
}

/// Gives the figures of each claim about speed (a `speedup`, its `speedup_interval`, the noise
/// bar `min_effect` and why the run cannot judge it, `unjudged`) the one way they are judged.
macro_rules! judged_as_speed {
    ($($figures:ty),* $(,)?) => {
        $(impl $figures {
            /// How the speedup compared with 1, as its figures say.
            pub(crate) fn speed(&self) -> Speed {
                Speed::given(
                    self.unjudged.as_ref(),
                    self.speedup,
                    self.speedup_interval,
                    self.min_effect,
                )
            }
        })*
    };
}

judged_as_speed!(
    crate::model::claim_figures::ParallelFasterFigures,
    crate::model::claim_figures::TwoBeatOneFigures,
    crate::model::claim_figures::GilWaitsFigures,
    crate::model::claim_figures::InterleaveWaitsFigures,
    crate::model::claim_figures::RunAtOnceFigures,
);

/// `work.checksums`: did every mode reproduce the sequential checksum (every task's work done
/// exactly once)? `exempt` is a mode whose checksum is wrong on purpose (race's `unsync`).
pub(crate) fn checksums(results: &[ModeResult], exempt: Option<&str>) -> Claim {
    Claim::of(
        None,
        ChecksumsFigures {
            differ: results
                .iter()
                .filter(|r| !r.checksum_ok && Some(r.mode.as_str()) != exempt)
                .map(|r| r.mode.clone())
                .collect(),
        },
    )
}

impl Judged for ChecksumsFigures {
    fn id(&self) -> ClaimId {
        ClaimId::WorkChecksums
    }

    fn holds(&self) -> Option<bool> {
        Some(self.differ.is_empty())
    }

    fn sentence(&self, _: Option<&str>) -> String {
        if self.differ.is_empty() {
            "Every mode reproduced the sequential checksum: all the work was done, once.".into()
        } else {
            format!(
                "{}: the checksum differs from the sequential one: some work was lost or done twice.",
                self.differ.join(", ")
            )
        }
    }
}

/// The claims with this id (and mode, where given).
pub(crate) fn find<'a>(claims: &'a [Claim], id: ClaimId, mode: Option<&str>) -> Option<&'a Claim> {
    claims
        .iter()
        .find(|c| c.id == id && (mode.is_none() || c.mode.as_deref() == mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::claim_figures::ClaimFigures;
    use serde_json::json;

    fn machine(cpus: usize, quota: Option<f64>) -> Machine {
        let mut m = Machine::detect();
        m.logical_cpus = cpus;
        m.affinity = Some((0..cpus).collect());
        m.cgroup_quota_cpus = quota;
        m.available_parallelism = crate::maxprocs::rust_default(&crate::sys::CpuFacts::of(&m));
        m
    }

    #[test]
    fn every_claim_has_its_own_public_id_and_the_readme_lists_it() {
        let readme = include_str!("../README.md");
        let mut names: Vec<&str> = ClaimId::ALL.iter().map(|c| c.name()).collect();
        for name in &names {
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} is not in the README"
            );
            assert_eq!(
                json!(ClaimId::ALL.iter().find(|c| c.name() == *name).unwrap()),
                json!(name)
            );
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ClaimId::ALL.len(), "two claims share an id");
    }

    #[test]
    fn parallelism_is_the_capacity_not_the_pool_size() {
        let one = parallel_possible(&machine(1, None));
        assert_eq!(one.holds, Some(false));
        assert!(one.text.contains("no mode can beat sequential"));
        // A 1.5-CPU quota: Rust says 1, the CPUs can give 1.5x.
        let quota = parallel_possible(&machine(2, Some(1.5)));
        assert_eq!(quota.holds, Some(true), "{}", quota.text);
        assert!(quota.text.contains("up to 1.50x"), "{}", quota.text);
        assert!(
            quota.text.contains("available_parallelism says 1"),
            "{}",
            quota.text
        );
        let ClaimFigures::ParallelPossible(figures) = &quota.figures else {
            panic!(
                "the figures of machine.parallel_possible: {:?}",
                quota.figures
            );
        };
        assert_eq!(figures.cpu_capacity, 1.5);
        assert_eq!(json!(quota.figures)["cpu_capacity"], json!(1.5));
        let half = parallel_possible(&machine(2, Some(0.5)));
        assert_eq!(half.holds, Some(false));
        let many = parallel_possible(&machine(64, None));
        assert_eq!(many.holds, Some(true));
        assert!(many.text.contains("64 CPUs"), "{}", many.text);
        assert!(!many.text.contains("available_parallelism says"));
    }

    #[test]
    fn at_once_counts_only_moments_with_two_cpus_busy() {
        // cpu0 0-10, cpu1 5-20, cpu0 again 15-18: overlap 5-10 and 15-18 = 8 µs.
        let slices = [
            (Some(0), 0.0, 10.0),
            (Some(1), 5.0, 20.0),
            (Some(0), 15.0, 18.0),
        ];
        let ms = at_once_ms(slices).unwrap();
        assert!((ms - 0.008).abs() < 1e-12, "{ms}");
        // Two tasks taking turns on one CPU never overlap, nor do touching slices.
        let turns = [
            (Some(0), 0.0, 10.0),
            (Some(0), 10.0, 20.0),
            (Some(1), 20.0, 30.0),
        ];
        assert_eq!(at_once_ms(turns), Some(0.0));
        assert_eq!(at_once_ms([(None, 0.0, 1.0)]), None);
    }

    #[test]
    fn checksums_hold_only_when_every_mode_matched() {
        let mut rows = vec![
            ModeResult::synthetic("sequential", &[100.0], [1.0, 1.0], vec![0]),
            ModeResult::synthetic("threads", &[50.0], [2.0, 2.0], vec![0, 1]),
        ];
        assert_eq!(checksums(&rows, None).holds, Some(true));
        rows[1].checksum_ok = false;
        let wrong = checksums(&rows, None);
        assert_eq!(wrong.holds, Some(false));
        assert!(
            wrong.text.starts_with("threads: the checksum differs"),
            "{}",
            wrong.text
        );
        assert_eq!(checksums(&rows, Some("threads")).holds, Some(true));
    }

    #[test]
    fn speed_cannot_be_judged_on_a_busy_machine_or_tiny_work() {
        let mut i = Interference::none();
        i.verdict = Verdict::Quiet;
        assert_eq!(speed_unjudgeable(&i, 100.0), None);
        assert!(
            speed_unjudgeable(&i, 5.0)
                .unwrap()
                .to_string()
                .contains("too small")
        );
        i.verdict = Verdict::Disturbed;
        i.others_cpus = Some(0.9);
        assert!(
            speed_unjudgeable(&i, 100.0)
                .unwrap()
                .to_string()
                .contains("0.90 CPUs")
        );
        i.verdict = Verdict::Unknown;
        assert!(speed_unjudgeable(&i, 100.0).is_some());
    }

    #[test]
    fn speed_is_judged_by_the_median_and_the_rounds_say_how_sure() {
        let mut quiet = Interference::none();
        quiet.verdict = Verdict::Quiet;
        let speed = |wall, interval| {
            Speed::of(
                &ModeResult::synthetic("threads", &[wall], interval, vec![0, 1]),
                &quiet,
                100.0,
            )
        };
        assert_eq!(speed(50.0, [1.8, 2.1]), Speed::Faster { every_round: true });
        assert_eq!(
            speed(80.0, [0.95, 1.3]),
            Speed::Faster { every_round: false }
        );
        // A median within the noise is no speedup: 1.11x, rounds 0.95-1.3.
        assert_eq!(speed(90.0, [0.95, 1.3]), Speed::RoundsDisagree);
        assert_eq!(speed(110.0, [0.8, 1.0]), Speed::NotFaster);
        assert_eq!(speed(110.0, [0.8, 1.2]), Speed::RoundsDisagree);
        assert_eq!(speed(110.0, [0.8, 1.2]).holds(), None);
        // Under a 0.5-CPU quota: 1.05x, rounds 1.0-1.1: no difference, not "faster".
        assert_eq!(speed(100.0 / 1.05, [1.0, 1.1]), Speed::NotFaster);
        // One noisy round against a clear median: a pass, never a miss (1.70, 0.90-1.70).
        assert_eq!(
            speed(100.0 / 1.7, [0.9, 1.7]),
            Speed::Faster { every_round: false }
        );
        // A wide spread leaves a modest median unjudged, in either direction.
        assert_eq!(speed(100.0 / 1.3, [0.7, 1.7]), Speed::RoundsDisagree);
        assert_eq!(speed(50.0, [1.8, 2.1]).holds(), Some(true));
        assert_eq!(speed(110.0, [0.8, 1.0]).holds(), Some(false));
        let mut busy = quiet.clone();
        busy.verdict = Verdict::Disturbed;
        busy.others_cpus = Some(0.9);
        let on_busy = Speed::of(
            &ModeResult::synthetic("threads", &[50.0], [1.8, 2.1], vec![0, 1]),
            &busy,
            100.0,
        );
        assert!(
            matches!(&on_busy, Speed::Unjudgeable(why) if why.to_string().contains("0.90 CPUs"))
        );
        assert_eq!(on_busy.holds(), None);
    }
}
