//! `parallel`'s claims: whether parallelism is possible here, and per parallel mode whether
//! its tasks ran at the same time, whether it was faster, and whether a speedup came from a
//! larger share of a busy CPU instead of from parallelism.

use crate::claims::{self, Claim, ClaimId};
use crate::interference::Interference;
use crate::model::claim_figures::{AtOnceFigures, BusyShareFigures, SpeedFigures};
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
        let mode = r.mode.as_str();
        let (at_once, wall_ms) = claims::drawn(timeline, mode, false);
        let cpus = crate::sys::cpu_list(&r.cpus_used);
        all.push(
            Claim::new(ClaimId::ParallelAtOnce, Some(mode))
                .with(AtOnceFigures {
                    at_once_ms: at_once,
                    wall_ms,
                    cpus_used: r.cpus_used.clone(),
                })
                .judged(
                    at_once.map(|ms| ms > 0.0),
                    match at_once {
                        Some(ms) if ms > 0.0 => format!(
                            "{mode}: its tasks ran on different CPUs at the same time for {} of the {} ms of the run drawn (parallelism).",
                            format_ms(ms),
                            format_ms(wall_ms)
                        ),
                        Some(_) => format!(
                            "{mode}: its tasks never ran at the same instant in the run drawn: they took turns on CPU(s) {cpus} (concurrency without parallelism)."
                        ),
                        None => format!(
                            "{mode}: this system does not say which CPU ran what, so whether its tasks ran at the same time cannot be told."
                        ),
                    },
                ),
        );
        let [low, high] = r.speedup_interval;
        let figures = format!(
            "speedup {:.2}, {low:.2}-{high:.2} in single rounds",
            r.speedup
        );
        let speed = claims::Speed::of(r, interference, baseline_ms);
        let text = match &speed {
            _ if workload.tasks < 2 => format!(
                "{mode}: one task cannot be shared out, so there is nothing to speed up ({figures})."
            ),
            claims::Speed::Unjudgeable(why) => format!(
                "{mode}: whether it is faster than one after another cannot be judged here: {why} ({figures})."
            ),
            claims::Speed::Faster { every_round } => format!(
                "{mode}: faster than one after another{} ({figures}).",
                if *every_round {
                    " in every round"
                } else {
                    ", though not in every round"
                }
            ),
            claims::Speed::NotFaster => format!(
                "{mode}: not faster than one after another: no round by more than {:.0}% ({figures}){}.",
                claims::MIN_EFFECT * 100.0,
                if possible.holds == Some(false) {
                    ": with one CPU's worth of time, running at once only adds switching"
                } else {
                    ""
                }
            ),
            claims::Speed::RoundsDisagree => format!(
                "{mode}: not faster than one after another beyond the spread of its rounds, though some rounds were ({figures}): the rounds disagree."
            ),
        };
        let holds = if workload.tasks < 2 {
            None
        } else {
            speed.holds()
        };
        all.push(
            Claim::new(ClaimId::ParallelFaster, Some(mode))
                .with(SpeedFigures {
                    speedup: r.speedup,
                    speedup_interval: r.speedup_interval,
                    baseline_ms,
                    verdict: interference.verdict,
                })
                .judged(holds, text),
        );
        let busy_share = at_once.map(|ms| r.speedup > BUSY_SHARE_SPEEDUP && ms == 0.0);
        all.push(
            Claim::new(ClaimId::ParallelBusyShare, Some(mode))
                .with(BusyShareFigures {
                    speedup: r.speedup,
                    at_once_ms: at_once,
                })
                .judged(
                    busy_share,
                    match busy_share {
                        Some(true) => format!(
                            "{mode}: its speedup of {:.2} came without its tasks ever running at the same instant: a larger share of a CPU shared with other programs (Linux shares a busy CPU per thread), not parallelism.",
                            r.speedup
                        ),
                        Some(false) => format!(
                            "{mode}: its speedup of {:.2} is not a larger share of a busy CPU: either it is near 1 or its tasks ran at the same time.",
                            r.speedup
                        ),
                        None => format!(
                            "{mode}: without knowing which CPU ran what, a speedup from a larger share of a busy CPU cannot be told from parallelism."
                        ),
                    },
                ),
        );
    }
    all.push(claims::checksums(results, None));
    all
}

/// A speedup above this with no moment of running at once is a larger share, not parallelism.
const BUSY_SHARE_SPEEDUP: f64 = 1.1;
