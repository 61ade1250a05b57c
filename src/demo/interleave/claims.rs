//! The claims of `interleave`, each judged on the results, the switch costs and the
//! interference.

use super::{Claim, Mode, ModeResult, Way, Workload, switch_cost};
use crate::claims::ClaimId;
use crate::model::claim_figures::{
    AsLongAsSequentialFigures, GreenCheaperFigures, IntervalFigures, OneCpuFigures,
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
    interference: &crate::interference::Interference,
) -> Vec<Claim> {
    let mut claims = Vec::new();
    if let Some(cpu) = cpu {
        let off: Vec<String> = results
            .iter()
            .filter(|r| r.cpus_used != [cpu])
            .map(|r| format!("{} on {}", r.mode, sys::cpu_list(&r.cpus_used)))
            .collect();
        claims.push(
            Claim::new(ClaimId::InterleaveOneCpu, None)
                .with(OneCpuFigures {
                    cpu,
                    off: off.clone(),
                })
                .judged(
                    Some(off.is_empty()),
                    if off.is_empty() {
                        format!(
                            "Every mode ran its {} tasks on CPU {cpu} alone: concurrency without parallelism.",
                            workload.tasks
                        )
                    } else {
                        format!("Not every mode stayed on CPU {cpu}: {}.", off.join(", "))
                    },
                ),
        );
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
            let [low, high] = best.speedup_interval;
            let figures = format!(
                "{} took {} ms against {} ms one after another, {low:.2}-{high:.2}x in single rounds",
                best.mode,
                format_ms(best.wall_ms.median),
                format_ms(seq.wall_ms.median)
            );
            let why = crate::claims::speed_unjudgeable(interference, seq.wall_ms.median);
            let (holds, text) = match why {
                Some(why) => (
                    None,
                    format!(
                        "Whether interleaving overlapped the waits cannot be judged here: {why} ({figures})."
                    ),
                ),
                None => match crate::claims::Speed::judge(best.speedup, best.speedup_interval) {
                    crate::claims::Speed::Faster { every_round } => (
                        Some(true),
                        format!(
                            "Interleaving overlapped the waits: {figures}, faster{}; while one task waits, another computes, even on one CPU.",
                            if every_round {
                                " in every round"
                            } else {
                                " by the median, though not in every round"
                            }
                        ),
                    ),
                    crate::claims::Speed::NotFaster => (
                        Some(false),
                        format!(
                            "Interleaving did not overlap the waits: no round was more than {:.0}% faster ({figures}).",
                            crate::claims::MIN_EFFECT * 100.0
                        ),
                    ),
                    _ => (
                        None,
                        format!(
                            "Whether interleaving overlapped the waits cannot be told: the median is within the spread of the rounds ({figures})."
                        ),
                    ),
                },
            };
            claims.push(
                Claim::new(ClaimId::InterleaveWaitsOverlap, Some(&best.mode))
                    .with(IntervalFigures {
                        speedup_interval: best.speedup_interval,
                    })
                    .judged(holds, text),
            );
        }
    }
    for (way, probe) in [
        (Way::Threads, &costs.threads),
        (Way::Processes, &costs.processes),
    ] {
        if let Some(probe) = probe {
            claims.push(switch_timed(way, probe));
        }
    }
    if let (Some(green), Some(thread)) = (&costs.green, &costs.threads) {
        let green_ns = green.ns;
        let green = green_ns.unwrap_or(f64::NAN);
        let claim = Claim::new(ClaimId::InterleaveGreenCheaper, None).with(GreenCheaperFigures {
            green_ns,
            thread_ns: thread.ns,
        });
        claims.push(match (thread.ns, thread.why_unmeasured()) {
            (Some(t), _) => claim.judged(
                Some(green < t),
                if green < t {
                    format!("A green switch ({green:.1} ns) was cheaper than an OS thread switch ({t:.0} ns): the task yields in user space, no kernel involved.")
                } else {
                    format!("Here a green switch ({green:.1} ns) was not cheaper than an OS thread switch ({t:.0} ns).")
                },
            ),
            (None, why) => claim.judged(
                None,
                format!(
                    "Whether a green switch ({green:.1} ns) is cheaper than an OS thread switch cannot be judged here: a thread switch could not be timed: {}.",
                    why.unwrap_or_default()
                ),
            ),
        });
    }
    claims.push(crate::claims::checksums(results, None));
    claims
}

/// `interleave.switch_timed`: could the probe of `way` time a switch on its CPU? Never false:
/// where it could not, the reason is that the CPU was shared or the partner absent, which this
/// run cannot blame on the switch.
fn switch_timed(way: Way, probe: &switch_cost::Probe) -> Claim {
    let mode = way.name();
    let what = if way == Way::Threads {
        "thread"
    } else {
        "process"
    };
    let budget = if probe.cut_by_budget {
        format!(
            "; its budget of {} ms ended it after {} of {} round trips",
            probe.budget_ms, probe.round_trips, probe.asked_round_trips
        )
    } else {
        String::new()
    };
    let claim = Claim::new(ClaimId::InterleaveSwitchTimed, Some(mode)).with(SwitchTimedFigures {
        ns: probe.ns,
        median_round_trip_ns: probe.median_round_trip_ns,
        round_trips: probe.round_trips,
        stretched: probe.stretched,
        unmeasured: probe.unmeasured,
    });
    match (probe.ns, probe.why_unmeasured()) {
        (Some(ns), _) => claim.judged(
            Some(true),
            format!(
                "{mode}: a {what} switch took {ns:.0} ns, half the median of {} yield round trips{budget}.",
                probe.round_trips
            ),
        ),
        (None, why) => claim.judged(
            None,
            format!(
                "{mode}: a {what} switch could not be timed: {}{budget}.",
                why.unwrap_or_default()
            ),
        ),
    }
}

/// Modes within this share of the sequential time (or twice that above it, for the switches)
/// took "about as long".
pub(crate) const ALIKE: f64 = 0.1;

/// `interleave.as_long_as_sequential`, with compute only: did every way of sharing the one CPU
/// take about as long as one after another ([`ALIKE`])? One CPU cannot do more work by
/// switching. Not judged where some mode took less on a CPU other programs shared: Linux gives
/// each thread or process a share of its own, so modes of several took a larger part of it.
fn as_long_as_sequential(
    results: &[ModeResult],
    interference: &crate::interference::Interference,
) -> Option<Claim> {
    let seq = results.first()?;
    let ratios: Vec<(&str, f64)> = results
        .iter()
        .skip(1)
        .map(|r| {
            // The figure as the JSON keeps it, so that the sentence quotes exactly that.
            (
                r.mode.as_str(),
                round_to(r.wall_ms.median / seq.wall_ms.median, 3),
            )
        })
        .collect();
    if ratios.is_empty() {
        return None;
    }
    let timing = ratios
        .iter()
        .map(|(mode, x)| format!("{mode} {x:.2}x"))
        .collect::<Vec<_>>()
        .join(", ");
    let alike = ratios
        .iter()
        .all(|(_, x)| (1.0 - ALIKE..=1.0 + 2.0 * ALIKE).contains(x));
    let faster = ratios.iter().any(|(_, x)| *x < 1.0 - ALIKE);
    let disturbed = interference.verdict == crate::interference::Verdict::Disturbed;
    let figures: serde_json::Map<String, serde_json::Value> = ratios
        .iter()
        .map(|(mode, x)| ((*mode).to_string(), serde_json::json!(x)))
        .collect();
    let claim =
        Claim::new(ClaimId::InterleaveAsLongAsSequential, None).with(AsLongAsSequentialFigures {
            time_vs_sequential: figures,
            alike: ALIKE,
        });
    Some(if alike {
        claim.judged(
            Some(true),
            format!(
                "Compute only: one CPU cannot do more work by switching, so each mode took about as long as one after another ({timing} the sequential time); the difference is switching overhead."
            ),
        )
    } else if faster && disturbed {
        claim.judged(
            None,
            format!(
                "Compute only: one CPU cannot do more work by switching, yet here some modes took less time than one after another ({timing} the sequential time): other programs shared the CPU, and Linux gives each thread or process a share of its own, so modes of several took a larger part of it."
            ),
        )
    } else {
        claim.judged(
            Some(false),
            format!(
                "Compute only: one CPU cannot do more work by switching; here the modes took {timing} the sequential time."
            ),
        )
    })
}
