//! What the reports say of the readings: one run's sample, a mode's interference and a
//! report's (with how its rounds went), the tour's several reports together, and the notes a
//! disturbed or unknown verdict earns. Kept apart from the readings, which know nothing of
//! reports; [`Reading::sample`] is here, beside the [`SampleReport`] it makes.

use super::{DEFAULT_TICK, Reading, Verdict, threshold};
use serde::Serialize;

/// One run's reading, as the JSON `interference.samples[]` of a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SampleReport {
    pub(crate) others_cpus: Option<f64>,
    pub(crate) steal_cpus: Option<f64>,
    pub(crate) resolution_cpus: Option<f64>,
    pub(crate) verdict: Verdict,
    /// Does this run count in the figures? Runs of replaced (disturbed) rounds do not.
    pub(crate) used: bool,
}

impl Reading {
    /// The JSON form of one run's reading.
    pub(crate) fn sample(&self, used: bool) -> SampleReport {
        SampleReport {
            others_cpus: round3(self.others_cpus()),
            steal_cpus: round3(self.steal_cpus()),
            resolution_cpus: round3(self.resolution_cpus()),
            verdict: self.verdict(),
            used,
        }
    }
}

/// A mode's interference, as the JSON `interference` of a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeInterference {
    /// Over the runs the figures come from, together.
    pub(crate) others_cpus: Option<f64>,
    pub(crate) steal_cpus: Option<f64>,
    pub(crate) resolution_cpus: Option<f64>,
    pub(crate) verdict: Verdict,
    /// Every measured run, in the order it ran, replaced ones included.
    pub(crate) samples: Vec<SampleReport>,
    /// Runs whose own reading was disturbed.
    pub(crate) disturbed_runs: usize,
}

/// A report's interference, as its top-level JSON `interference` (with `advised_runs`, which
/// follows from the verdict and the rounds: see [`Interference::advised_runs`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "InterferenceJson")]
pub struct Interference {
    /// Over the rounds the figures come from.
    pub(crate) others_cpus: Option<f64>,
    pub(crate) steal_cpus: Option<f64>,
    pub(crate) resolution_cpus: Option<f64>,
    /// The watched CPU the others took most from, where they took any.
    pub(crate) busiest_cpu: Option<usize>,
    pub(crate) verdict: Verdict,
    /// The CPUs watched: those this process may use, or the one a demo pinned to.
    pub(crate) watched_cpus: Vec<usize>,
    /// Wall time the reading covers, in ms.
    pub(crate) wall_ms: f64,
    pub(crate) rounds: Rounds,
    /// The [`threshold`], so a script can see the line it was judged by.
    pub(crate) threshold_cpus: f64,
}

/// [`Interference`] as the JSON writes it: its fields, then what they advise.
#[derive(Serialize)]
struct InterferenceJson {
    others_cpus: Option<f64>,
    steal_cpus: Option<f64>,
    resolution_cpus: Option<f64>,
    busiest_cpu: Option<usize>,
    verdict: Verdict,
    watched_cpus: Vec<usize>,
    wall_ms: f64,
    rounds: Rounds,
    threshold_cpus: f64,
    advised_runs: Option<usize>,
}

impl From<Interference> for InterferenceJson {
    fn from(i: Interference) -> InterferenceJson {
        let advised_runs = i.advised_runs();
        // Taken apart whole, so that a field added to `Interference` cannot be left out here.
        let Interference {
            others_cpus,
            steal_cpus,
            resolution_cpus,
            busiest_cpu,
            verdict,
            watched_cpus,
            wall_ms,
            rounds,
            threshold_cpus,
        } = i;
        InterferenceJson {
            others_cpus,
            steal_cpus,
            resolution_cpus,
            busiest_cpu,
            verdict,
            watched_cpus,
            wall_ms,
            rounds,
            threshold_cpus,
            advised_runs,
        }
    }
}

/// How the measured rounds went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub(crate) struct Rounds {
    /// `--runs`.
    pub(crate) planned: usize,
    /// Rounds run, extra ones included.
    pub(crate) measured: usize,
    /// Rounds whose reading was disturbed.
    pub(crate) disturbed: usize,
    /// Disturbed rounds left out of the figures (each replaced by an extra round).
    pub(crate) replaced: usize,
    /// Disturbed rounds still in the figures, because too few quiet ones remained.
    pub(crate) kept_disturbed: usize,
}

impl Interference {
    /// Where the runs were disturbed, the `--runs` to measure again with: three times as
    /// many, at least 9, so that the quiet rounds can outnumber the disturbed ones.
    pub(crate) fn advised_runs(&self) -> Option<usize> {
        (self.verdict == Verdict::Disturbed).then(|| (self.rounds.planned * 3).max(9))
    }

    /// The reading of a report's used rounds together, with how the rounds went.
    pub(crate) fn of(reading: &Reading, watched: &[usize], rounds: Rounds) -> Interference {
        Interference {
            others_cpus: round3(reading.others_cpus()),
            steal_cpus: round3(reading.steal_cpus()),
            resolution_cpus: round3(reading.resolution_cpus()),
            busiest_cpu: reading.busiest_cpu(),
            verdict: reading.verdict(),
            watched_cpus: watched.to_vec(),
            wall_ms: reading.wall.as_secs_f64() * 1e3,
            rounds,
            threshold_cpus: threshold(watched.len()),
        }
    }

    /// Nothing measured (`info`).
    pub fn none() -> Interference {
        Interference::of(&Reading::default(), &[], Rounds::default())
    }

    /// Several reports' interference together (the tour): the figures weighted by wall time,
    /// the verdict disturbed if any is.
    pub(crate) fn combine<'a>(parts: impl IntoIterator<Item = &'a Interference>) -> Interference {
        let parts: Vec<&Interference> = parts.into_iter().filter(|p| p.wall_ms > 0.0).collect();
        let wall: f64 = parts.iter().map(|p| p.wall_ms).sum();
        let weighted = |f: fn(&Interference) -> Option<f64>| -> Option<f64> {
            let mut sum = 0.0;
            for p in &parts {
                sum += f(p)? * p.wall_ms;
            }
            (wall > 0.0).then(|| (sum / wall * 1000.0).round() / 1000.0)
        };
        let mut watched: Vec<usize> = parts.iter().flat_map(|p| p.watched_cpus.clone()).collect();
        watched.sort_unstable();
        watched.dedup();
        let line = threshold(watched.len());
        let busiest = parts
            .iter()
            .filter(|p| p.busiest_cpu.is_some())
            .max_by(|a, b| {
                let load = |p: &Interference| p.others_cpus.unwrap_or(0.0) * p.wall_ms;
                load(a).total_cmp(&load(b))
            })
            .and_then(|p| p.busiest_cpu);
        let mut rounds = Rounds::default();
        for p in &parts {
            rounds.planned += p.rounds.planned;
            rounds.measured += p.rounds.measured;
            rounds.disturbed += p.rounds.disturbed;
            rounds.replaced += p.rounds.replaced;
            rounds.kept_disturbed += p.rounds.kept_disturbed;
        }
        Interference {
            others_cpus: weighted(|p| p.others_cpus),
            steal_cpus: weighted(|p| p.steal_cpus),
            resolution_cpus: weighted(|p| p.resolution_cpus),
            busiest_cpu: busiest,
            verdict: if parts.is_empty() {
                Verdict::Unknown
            } else {
                Verdict::all(parts.iter().map(|p| p.verdict))
            },
            watched_cpus: watched,
            wall_ms: wall,
            rounds,
            threshold_cpus: line,
        }
    }
}

impl Interference {
    /// The tour's interference: the figures of the whole tour read as one stretch (`whole`,
    /// over the CPUs `watched`), the sections' rounds together, and a verdict that is
    /// disturbed where any section was, quiet where every section was quiet on its own or
    /// [within the whole](Interference::bound_within), and unknown otherwise. A section too
    /// short for the counters on its own is so judged by the whole tour's reading.
    pub(crate) fn of_tour<'a>(
        whole: &Reading,
        watched: &[usize],
        sections: impl IntoIterator<Item = &'a Interference>,
    ) -> Interference {
        let sections: Vec<&Interference> =
            sections.into_iter().filter(|s| s.wall_ms > 0.0).collect();
        let together = Interference::combine(sections.iter().copied());
        let mut tour = Interference::of(whole, watched, together.rounds);
        tour.busiest_cpu = together.busiest_cpu;
        let verdicts: Vec<Verdict> = sections.iter().map(|s| tour.judge_within(s)).collect();
        tour.verdict = if verdicts.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::all(verdicts)
        };
        tour
    }

    /// The most CPUs other programs and the hypervisor can have taken during `part`, a
    /// stretch within the one this reading covers: all they took over this one, at most,
    /// spread over `part`'s wall time alone. `None` where this one was not read.
    pub(crate) fn bound_within(&self, part: &Interference) -> Option<f64> {
        let most = self.others_cpus? + self.steal_cpus? + self.resolution_cpus?;
        (part.wall_ms > 0.0).then(|| most * self.wall_ms / part.wall_ms)
    }

    /// `part`'s verdict, a stretch within this one: its own, or where that is unknown, quiet
    /// if even [`Interference::bound_within`] stays at its threshold.
    pub(crate) fn judge_within(&self, part: &Interference) -> Verdict {
        match part.verdict {
            Verdict::Unknown
                if self
                    .bound_within(part)
                    .is_some_and(|b| b <= threshold(part.watched_cpus.len())) =>
            {
                Verdict::Quiet
            }
            v => v,
        }
    }

    /// What a person must know about the machine before believing the figures: nothing when
    /// the rounds the figures come from were quiet and none was replaced.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let r = self.rounds;
        let cpus = self.watched_cpus.len();
        let of = if cpus == 1 {
            format!("the one CPU watched (cpu{})", self.watched_cpus[0])
        } else {
            format!("the {cpus} CPUs watched")
        };
        match self.verdict {
            Verdict::Disturbed => {
                let mostly = match (self.busiest_cpu, cpus) {
                    (Some(cpu), 2..) => format!(", mostly cpu{cpu}"),
                    _ => String::new(),
                };
                let steal = match self.steal_cpus {
                    Some(s) if s >= 0.01 => format!(", and the hypervisor took {s:.2} more"),
                    _ => String::new(),
                };
                notes.push(format!(
                    "Disturbed: other programs used {:.2} of {of} during these runs{mostly}{steal}. Every figure above is off, and not by the same amount for every mode (a mode that needs more CPUs loses more, and Linux shares a busy CPU per thread), so speedups may be understated or overstated; close them, or measure again with --runs {}.",
                    self.others_cpus.unwrap_or(0.0),
                    self.advised_runs().unwrap_or_default(),
                ));
            }
            Verdict::Unknown if self.others_cpus.is_none() => notes.push(
                "Whether other programs took CPU time during these runs is unknown: this system does not offer per-CPU counters (/proc/stat).".into(),
            ),
            Verdict::Unknown => notes.push(format!(
                "Whether other programs took CPU time during these runs cannot be told: they read {:.2} CPUs, give or take {:.2}, because /proc/stat counts in {} ms ticks and the runs were short; more work or more --runs tells.",
                self.others_cpus.unwrap_or(0.0),
                self.resolution_cpus.unwrap_or(0.0),
                Self::tick_ms(),
            )),
            Verdict::Quiet => {}
        }
        if r.replaced > 0 {
            notes.push(format!(
                "{} of {} rounds were disturbed by other programs and replaced by extra rounds: the figures come from the other {}.",
                r.replaced,
                r.measured,
                r.measured - r.replaced
            ));
        } else if r.kept_disturbed > 0 {
            notes.push(format!(
                "{} of {} rounds were disturbed by other programs; too few quiet ones remained to leave them out, so the figures include them.",
                r.kept_disturbed, r.measured
            ));
        }
        notes
    }

    fn tick_ms() -> f64 {
        crate::sys::clock_tick()
            .unwrap_or(DEFAULT_TICK)
            .as_secs_f64()
            * 1e3
    }
}

fn round3(value: Option<f64>) -> Option<f64> {
    value.map(|v| crate::stats::round_to(v, 3))
}
