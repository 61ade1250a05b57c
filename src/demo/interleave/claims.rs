//! The claims of `interleave`, each judged on the results, the switch costs and the
//! interference.

use super::{Claim, Mode, ModeResult, Way, Workload, switch_cost};
use crate::claims::{ClaimId, Judged, MIN_EFFECT, Speed};
use crate::interference::{Interference, Verdict};
use crate::model::claim_figures::{
    AsLongAsSequentialFigures, ByMode, GreenCheaperFigures, InterleaveWaitsFigures, OneCpuFigures,
    SwitchTimedFigures,
};
use crate::report::format_ms;
use crate::stats::round_to;
use crate::sys;

/// The claims of `interleave`: every mode on the one CPU, waits overlapped by interleaving,
/// and a green switch cheaper than an OS thread's.
pub(crate) fn claims(
    cpu: Option<usize>,
    workload: &Workload,
    results: &[ModeResult],
    costs: &switch_cost::SwitchCosts,
    interference: &Interference,
) -> Vec<Claim> {
    let mut claims = Vec::new();
    if let Some(cpu) = cpu {
        claims.push(Claim::of(
            None,
            OneCpuFigures {
                cpu,
                off: results
                    .iter()
                    .filter(|r| r.cpus_used != [cpu])
                    .map(|r| format!("{} on {}", r.mode, sys::cpu_list(&r.cpus_used)))
                    .collect(),
                tasks: workload.tasks,
            },
        ));
    }
    if let (None, Some(_)) = (workload.wait, cpu) {
        claims.extend(as_long_as_sequential(results, interference));
    }
    if let (Some(_), Some(seq)) = (workload.wait, results.first().filter(|_| cpu.is_some())) {
        let best = results
            .iter()
            .skip(1)
            .max_by(|a, b| a.speedup_interval[0].total_cmp(&b.speedup_interval[0]));
        if let Some(best) = best {
            claims.push(Claim::of(
                Some(&best.mode),
                InterleaveWaitsFigures {
                    speedup_interval: best.speedup_interval,
                    speedup: best.speedup,
                    wall_ms: best.wall_ms.median,
                    baseline_ms: seq.wall_ms.median,
                    min_effect: MIN_EFFECT,
                    unjudged: crate::claims::speed_unjudgeable(interference, seq.wall_ms.median),
                },
            ));
        }
    }
    for (way, probe) in [
        (Way::Threads, &costs.threads),
        (Way::Processes, &costs.processes),
    ] {
        if let Some(probe) = probe {
            claims.push(Claim::of(
                Some(way.name()),
                SwitchTimedFigures::of(way, probe),
            ));
        }
    }
    if let (Some(green), Some(thread)) = (&costs.green, &costs.threads) {
        claims.push(Claim::of(
            None,
            GreenCheaperFigures {
                green_ns: green.ns,
                thread_ns: thread.ns,
                thread_switch: SwitchTimedFigures::of(Way::Threads, thread),
            },
        ));
    }
    claims.push(crate::claims::checksums(results, None));
    claims
}

impl Judged for OneCpuFigures {
    fn id(&self) -> ClaimId {
        ClaimId::InterleaveOneCpu
    }

    fn holds(&self) -> Option<bool> {
        Some(self.off.is_empty())
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let cpu = self.cpu;
        if self.off.is_empty() {
            format!(
                "Every mode ran its {} tasks on CPU {cpu} alone: concurrency without parallelism.",
                self.tasks
            )
        } else {
            format!(
                "Not every mode stayed on CPU {cpu}: {}.",
                self.off.join(", ")
            )
        }
    }
}

impl Judged for InterleaveWaitsFigures {
    fn id(&self) -> ClaimId {
        ClaimId::InterleaveWaitsOverlap
    }

    fn holds(&self) -> Option<bool> {
        self.speed().holds()
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let [low, high] = self.speedup_interval;
        let figures = format!(
            "{} took {} ms against {} ms one after another, {low:.2}-{high:.2}x in single rounds",
            mode.unwrap_or_default(),
            format_ms(self.wall_ms),
            format_ms(self.baseline_ms)
        );
        match self.speed() {
            Speed::Unjudgeable(why) => format!(
                "Whether interleaving overlapped the waits cannot be judged here: {why} ({figures})."
            ),
            Speed::Faster { every_round } => format!(
                "Interleaving overlapped the waits: {figures}, faster{}; while one task waits, another computes, even on one CPU.",
                if every_round {
                    " in every round"
                } else {
                    " by the median, though not in every round"
                }
            ),
            Speed::NotFaster => format!(
                "Interleaving did not overlap the waits: no round was more than {:.0}% faster ({figures}).",
                self.min_effect * 100.0
            ),
            Speed::RoundsDisagree => format!(
                "Whether interleaving overlapped the waits cannot be told: the median is within the spread of the rounds ({figures})."
            ),
        }
    }
}

impl SwitchTimedFigures {
    /// What the probe of `way`'s switch timed.
    fn of(way: Way, probe: &switch_cost::Probe) -> SwitchTimedFigures {
        SwitchTimedFigures {
            ns: probe.ns,
            median_round_trip_ns: probe.median_round_trip_ns,
            round_trips: probe.round_trips,
            stretched: probe.stretched,
            unmeasured: probe.unmeasured,
            switch: if way == Way::Threads {
                "thread"
            } else {
                "process"
            },
            cpu: probe.cpu,
            switched: probe.switched,
            asked_round_trips: probe.asked_round_trips,
            cut_by_budget: probe.cut_by_budget,
            budget_ms: probe.budget_ms,
        }
    }

    /// The probe as far as these figures tell it: enough for its reason to have no figure.
    fn probe(&self) -> switch_cost::Probe {
        switch_cost::Probe {
            ns: self.ns,
            cpu: self.cpu,
            round_trips: self.round_trips,
            asked_round_trips: self.asked_round_trips,
            cut_by_budget: self.cut_by_budget,
            budget_ms: self.budget_ms,
            median_round_trip_ns: self.median_round_trip_ns,
            stretched: self.stretched,
            switched: self.switched,
            unmeasured: self.unmeasured,
            ..switch_cost::Probe::default()
        }
    }
}

/// `interleave.switch_timed`: could the probe time a switch on its CPU? Never false: where it
/// could not, the reason is that the CPU was shared or the partner absent, which this run
/// cannot blame on the switch.
impl Judged for SwitchTimedFigures {
    fn id(&self) -> ClaimId {
        ClaimId::InterleaveSwitchTimed
    }

    fn holds(&self) -> Option<bool> {
        self.ns.map(|_| true)
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let (mode, what) = (mode.unwrap_or_default(), self.switch);
        let budget = if self.cut_by_budget {
            format!(
                "; its budget of {} ms ended it after {} of {} round trips",
                self.budget_ms, self.round_trips, self.asked_round_trips
            )
        } else {
            String::new()
        };
        match self.ns {
            Some(ns) => format!(
                "{mode}: a {what} switch took {ns:.0} ns, half the median of {} yield round trips{budget}.",
                self.round_trips
            ),
            None => format!(
                "{mode}: a {what} switch could not be timed: {}{budget}.",
                self.probe().why_unmeasured().unwrap_or_default()
            ),
        }
    }
}

impl Judged for GreenCheaperFigures {
    fn id(&self) -> ClaimId {
        ClaimId::InterleaveGreenCheaper
    }

    fn holds(&self) -> Option<bool> {
        let green = self.green_ns.unwrap_or(f64::NAN);
        self.thread_ns.map(|t| green < t)
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let green = self.green_ns.unwrap_or(f64::NAN);
        match self.thread_ns {
            Some(t) if green < t => format!(
                "A green switch ({green:.1} ns) was cheaper than an OS thread switch ({t:.0} ns): the task yields in user space, no kernel involved."
            ),
            Some(t) => format!(
                "Here a green switch ({green:.1} ns) was not cheaper than an OS thread switch ({t:.0} ns)."
            ),
            None => format!(
                "Whether a green switch ({green:.1} ns) is cheaper than an OS thread switch cannot be judged here: a thread switch could not be timed: {}.",
                self.thread_switch
                    .probe()
                    .why_unmeasured()
                    .unwrap_or_default()
            ),
        }
    }
}

/// Modes within this share of the sequential time (or twice that above it, for the switches)
/// took "about as long".
pub(crate) const ALIKE: f64 = 0.1;

/// `interleave.as_long_as_sequential`, with compute only: did every way of sharing the one CPU
/// take about as long as one after another ([`ALIKE`])? One CPU cannot do more work by
/// switching.
fn as_long_as_sequential(results: &[ModeResult], interference: &Interference) -> Option<Claim> {
    let seq = results.first()?;
    let ratios: Vec<(String, f64)> = results
        .iter()
        .skip(1)
        .map(|r| {
            // The figure as the JSON keeps it, so that the sentence quotes exactly that.
            (
                r.mode.clone(),
                round_to(r.wall_ms.median / seq.wall_ms.median, 3),
            )
        })
        .collect();
    (!ratios.is_empty()).then(|| {
        Claim::of(
            None,
            AsLongAsSequentialFigures {
                time_vs_sequential: ByMode(ratios),
                alike: ALIKE,
                verdict: interference.verdict,
            },
        )
    })
}

impl AsLongAsSequentialFigures {
    fn ratios(&self) -> impl Iterator<Item = (&String, f64)> {
        self.time_vs_sequential.0.iter().map(|(mode, x)| (mode, *x))
    }
}

/// Not judged where some mode took less on a CPU other programs shared: Linux gives each
/// thread or process a share of its own, so modes of several took a larger part of it.
impl Judged for AsLongAsSequentialFigures {
    fn id(&self) -> ClaimId {
        ClaimId::InterleaveAsLongAsSequential
    }

    fn holds(&self) -> Option<bool> {
        let alike = self.alike;
        if self
            .ratios()
            .all(|(_, x)| (1.0 - alike..=1.0 + 2.0 * alike).contains(&x))
        {
            Some(true)
        } else if self.verdict == Verdict::Disturbed && self.ratios().any(|(_, x)| x < 1.0 - alike)
        {
            None
        } else {
            Some(false)
        }
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let timing = self
            .ratios()
            .map(|(mode, x)| format!("{mode} {x:.2}x"))
            .collect::<Vec<_>>()
            .join(", ");
        match self.holds() {
            Some(true) => format!(
                "Compute only: one CPU cannot do more work by switching, so each mode took about as long as one after another ({timing} the sequential time); the difference is switching overhead."
            ),
            None => format!(
                "Compute only: one CPU cannot do more work by switching, yet here some modes took less time than one after another ({timing} the sequential time): other programs shared the CPU, and Linux gives each thread or process a share of its own, so modes of several took a larger part of it."
            ),
            Some(false) => format!(
                "Compute only: one CPU cannot do more work by switching; here the modes took {timing} the sequential time."
            ),
        }
    }
}
