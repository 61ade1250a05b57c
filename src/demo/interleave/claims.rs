//! The claims of `interleave`, each judged on the results, the switch costs and the
//! interference.

use super::{Claim, ModeResult, Workload, switch_cost, sys};
use crate::report::format_ms;

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
            Claim::new("interleave.one_cpu", None)
                .figure("cpu", cpu)
                .figure("off", &off)
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
                None if low > 1.0 => (
                    Some(true),
                    format!(
                        "Interleaving overlapped the waits: {figures}, faster in every round; while one task waits, another computes, even on one CPU."
                    ),
                ),
                None => (
                    Some(false),
                    format!("Interleaving did not overlap the waits in every round: {figures}."),
                ),
            };
            claims.push(
                Claim::new("interleave.waits_overlap", Some(&best.mode))
                    .figure("speedup_interval", best.speedup_interval)
                    .judged(holds, text),
            );
        }
    }
    if let Some(thread) = costs.threads {
        let green = costs.green;
        claims.push(
            Claim::new("interleave.green_cheaper", None)
                .figure("green_ns", green)
                .figure("thread_ns", thread)
                .judged(
                    Some(green < thread),
                    if green < thread {
                        format!("A green switch ({green:.1} ns) was cheaper than an OS thread switch ({thread:.0} ns): the task yields in user space, no kernel involved.")
                    } else {
                        format!("Here a green switch ({green:.1} ns) was not cheaper than an OS thread switch ({thread:.0} ns).")
                    },
                ),
        );
    }
    claims.push(crate::claims::checksums(results, None));
    claims
}
