//! `parallel`'s claims: whether parallelism is possible here, and per parallel mode whether
//! its tasks ran at the same time, whether it was faster, and whether a speedup came from a
//! larger share of a busy CPU instead of from parallelism.

use crate::claims::{self, Claim, ClaimId, Judged, Speed};
use crate::interference::Interference;
use crate::model::claim_figures::{AtOnceFigures, BusyShareFigures, ParallelFasterFigures};
use crate::model::{ModeResult, Timeline};
use crate::report::format_ms;
use crate::sys::Machine;
use crate::workload::Workload;

/// The claims of `parallel`: whether parallelism is possible here, and per parallel mode
/// whether its tasks ran at the same time, whether it was faster, and whether a speedup came
/// from a larger share of a busy CPU instead of from parallelism.
pub(crate) fn claims(
    machine: &Machine,
    workload: &Workload,
    results: &[ModeResult],
    timeline: &Timeline,
    interference: &Interference,
) -> Vec<Claim> {
    let possible = claims::parallel_possible(machine);
    let baseline_ms = results.first().map_or(0.0, |b| b.wall_ms.median);
    let mut all = vec![possible.clone()];
    for r in results.iter().skip(1) {
        let mode = Some(r.mode.as_str());
        let (at_once, wall_ms) = claims::drawn(timeline, &r.mode, false);
        all.push(Claim::of(
            mode,
            AtOnceFigures {
                at_once_ms: at_once,
                wall_ms,
                cpus_used: r.cpus_used.clone(),
            },
        ));
        all.push(Claim::of(
            mode,
            ParallelFasterFigures {
                speedup: r.speedup,
                speedup_interval: r.speedup_interval,
                baseline_ms,
                verdict: interference.verdict,
                tasks: workload.tasks,
                min_effect: claims::MIN_EFFECT,
                unjudged: claims::mode_speed_unjudgeable(r, interference, baseline_ms),
                parallel_possible: possible.holds == Some(true),
            },
        ));
        all.push(Claim::of(
            mode,
            BusyShareFigures {
                speedup: r.speedup,
                at_once_ms: at_once,
            },
        ));
    }
    all.push(claims::checksums(results, None));
    all
}

impl Judged for AtOnceFigures {
    fn id(&self) -> ClaimId {
        ClaimId::ParallelAtOnce
    }

    fn holds(&self) -> Option<bool> {
        self.at_once_ms.map(|ms| ms > 0.0)
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let mode = mode.unwrap_or_default();
        match self.at_once_ms {
            Some(ms) if ms > 0.0 => format!(
                "{mode}: its tasks ran on different CPUs at the same time for {} of the {} ms of the run drawn (parallelism).",
                format_ms(ms),
                format_ms(self.wall_ms)
            ),
            Some(_) => format!(
                "{mode}: its tasks never ran at the same instant in the run drawn: they took turns on CPU(s) {} (concurrency without parallelism).",
                crate::sys::cpu_list(&self.cpus_used)
            ),
            None => format!(
                "{mode}: this system does not say which CPU ran what, so whether its tasks ran at the same time cannot be told."
            ),
        }
    }
}

impl Judged for ParallelFasterFigures {
    fn id(&self) -> ClaimId {
        ClaimId::ParallelFaster
    }

    fn holds(&self) -> Option<bool> {
        if self.tasks < 2 {
            return None;
        }
        self.speed().holds()
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let mode = mode.unwrap_or_default();
        let figures = claims::speedups(self.speedup, self.speedup_interval);
        if self.tasks < 2 {
            return format!(
                "{mode}: one task cannot be shared out, so there is nothing to speed up ({figures})."
            );
        }
        match self.speed() {
            Speed::Unjudgeable(why) => format!(
                "{mode}: whether it is faster than one after another cannot be judged here: {why} ({figures})."
            ),
            Speed::Faster { every_round } => format!(
                "{mode}: faster than one after another{} ({figures}).",
                if every_round {
                    " in every round"
                } else {
                    ", though not in every round"
                }
            ),
            Speed::NotFaster => format!(
                "{mode}: not faster than one after another: no round by more than {:.0}% ({figures}){}.",
                self.min_effect * 100.0,
                if self.parallel_possible {
                    ""
                } else {
                    ": with one CPU's worth of time, running at once only adds switching"
                }
            ),
            Speed::RoundsDisagree => format!(
                "{mode}: not faster than one after another beyond the spread of its rounds, though some rounds were ({figures}): the rounds disagree."
            ),
        }
    }
}

impl Judged for BusyShareFigures {
    fn id(&self) -> ClaimId {
        ClaimId::ParallelBusyShare
    }

    fn holds(&self) -> Option<bool> {
        self.at_once_ms
            .map(|ms| self.speedup > BUSY_SHARE_SPEEDUP && ms == 0.0)
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let mode = mode.unwrap_or_default();
        match self.holds() {
            Some(true) => format!(
                "{mode}: its speedup of {:.2} came without its tasks ever running at the same instant: a larger share of a CPU shared with other programs (Linux shares a busy CPU per thread), not parallelism.",
                self.speedup
            ),
            Some(false) => format!(
                "{mode}: its speedup of {:.2} is not a larger share of a busy CPU: either it is near 1 or its tasks ran at the same time.",
                self.speedup
            ),
            None => format!(
                "{mode}: without knowing which CPU ran what, a speedup from a larger share of a busy CPU cannot be told from parallelism."
            ),
        }
    }
}

/// A speedup above this with no moment of running at once is a larger share, not parallelism.
const BUSY_SHARE_SPEEDUP: f64 = 1.1;
