//! The notes of `interleave`: what the figures mean, with or without waits, and what each
//! kind of switch cost.

use super::{InterleaveFindings, ModeResult, Way, Workload, switch_cost, thread_stack_bytes};
use crate::claims::{Claim, ClaimId};
use crate::cpu_choice::CpuChoice;
use crate::demo::result_of;
use crate::model::Report;
use crate::report::format_ms;
use std::fmt::Write as _;

/// The interleave findings of a mode; every mode of this demo has them.
fn found(result: &ModeResult) -> InterleaveFindings {
    result.findings.interleave().cloned().unwrap_or_default()
}

/// The sentences under the table, from the report alone.
pub(super) fn notes(report: &Report) -> Vec<String> {
    let Some(workload) = report.workload.as_ref().map(|w| &w.workload) else {
        return Vec::new();
    };
    let results = &report.results;
    let probe = |way| result_of(results, way).and_then(|r| found(r).switch_probe);
    let costs = switch_cost::SwitchCosts {
        green: probe(Way::Green),
        threads: probe(Way::Threads),
        processes: probe(Way::Processes),
    };
    let stack = |way| result_of(results, way).and_then(|r| found(r).stack_bytes);
    sentences(
        report.cpu_choice.as_ref(),
        workload,
        results,
        &costs,
        stack(Way::Green).unwrap_or(0),
        stack(Way::Threads).unwrap_or(thread_stack_bytes() as u64),
        &report.claims,
    )
}

fn sentences(
    choice: Option<&CpuChoice>,
    workload: &Workload,
    results: &[ModeResult],
    costs: &switch_cost::SwitchCosts,
    task_bytes: u64,
    thread_stack_bytes: u64,
    claims: &[Claim],
) -> Vec<String> {
    let cpu = choice.map(|c| c.cpu);
    // Where the work ran, then the conclusions, each as its claim words it (a checksum is
    // worth a word only where it differs), then what the figures mean.
    let said = |c: &&Claim| !(c.id == ClaimId::WorkChecksums && c.holds == Some(true));
    let mut notes: Vec<String> = choice
        .iter()
        .map(|c| c.sentence())
        .chain(claims.iter().filter(said).map(|c| c.text.clone()))
        .collect();
    match cpu {
        Some(_) => {}
        None => notes.push(
            "This platform cannot pin threads to a CPU: only the green threads ran (on one OS thread, wherever the OS put it); sequential, threads and processes need pinning and were skipped."
                .into(),
        ),
    }
    let seq = &results[0];
    let timing: Vec<String> = results
        .iter()
        .skip(1)
        .map(|r| format!("{} {:.2}x", r.mode, r.wall_ms.median / seq.wall_ms.median))
        .collect();
    if cpu.is_some() && !timing.is_empty() {
        match workload.wait {
            // Compute only: what it shows is the claim `interleave.as_long_as_sequential`.
            None => {}
            Some(w) => {
                let compute_ms = workload.estimated_pass().as_secs_f64() * 1e3;
                let ideal = found(seq).bound_ms.unwrap_or(f64::NAN);
                let best = results
                    .iter()
                    .skip(1)
                    .min_by(|a, b| a.wall_ms.median.total_cmp(&b.wall_ms.median))
                    .expect("modes");
                notes.push(format!(
                    "With waits: each task computes about {} ms and waits {} ms. One after another that took {} ms; interleaved, {} took {} ms (speedup {:.2}). No run can beat the larger of the CPU work and one task's compute plus waits (here about {} ms); tasks that wait in step leave the CPU idle at times, and the larger the waits, the closer interleaving gets to that bound. Overlapping waits is the problem concurrency solves on one core.",
                    format_ms(compute_ms / workload.tasks as f64),
                    format_ms(w.total_ms),
                    format_ms(seq.wall_ms.median),
                    best.mode,
                    format_ms(best.wall_ms.median),
                    seq.wall_ms.median / best.wall_ms.median,
                    format_ms(ideal)
                ));
            }
        }
        if let Some(green) = result_of(results, Way::Green) {
            notes.push(format!(
                "Progress: one after another, the first task was done after {} ms and the last after {} ms; interleaved (green), the first after {} ms and the last after {} ms: all tasks progress together and finish late together.",
                format_ms(found(seq).first_done_ms),
                format_ms(found(seq).last_done_ms),
                format_ms(found(green).first_done_ms),
                format_ms(found(green).last_done_ms),
            ));
        }
    }
    if let Some(threads) = result_of(results, Way::Threads) {
        let os = found(threads).os_context_switches;
        let green_switches = result_of(results, Way::Green).map_or(0, |g| found(g).switches);
        notes.push(format!(
            "The OS switched the pinned threads {} times ({} involuntary: preempted when their time slice ran out; {} voluntary), with a mean slice of {} µs: its scheduler decides when, not the tasks. The green tasks switched {} times, each at the end of a quantum the task chose.",
            os.total(),
            os.involuntary,
            os.voluntary,
            found(threads).mean_slice_us.round(),
            green_switches,
        ));
    }
    if let Some(green) = &costs.green {
        let green = green.ns.unwrap_or(f64::NAN);
        let mut cost = format!("Switch costs on one CPU: green task {green:.1} ns");
        if let Some(t) = &costs.threads {
            let _ = match t.ns {
                Some(t) => write!(
                    cost,
                    ", OS thread {t:.0} ns ({:.0}x a green switch)",
                    t / green
                ),
                None => write!(
                    cost,
                    ", OS thread not timed (the CPU was not the probe's alone)"
                ),
            };
        }
        if let Some(p) = &costs.processes {
            let _ = match p.ns {
                Some(p) => write!(cost, ", process {p:.0} ns"),
                None => write!(
                    cost,
                    ", process not timed (the CPU was not the probe's alone)"
                ),
            };
        }
        let _ = write!(
            cost,
            ". Memory: one green task's state is {task_bytes} bytes; one thread reserves a {} KiB stack.",
            thread_stack_bytes / 1024
        );
        notes.push(cost);
    }
    notes
}
