//! The sentences under the sweep's table, each conclusion taken from its claim.

use super::{
    AmdahlReport, Claim, MaxprocsReport, ModeResult, NOISY_SPREAD, Report, Workload, amdahl,
    cpus_phrase, format_cpus, format_ms,
};
use crate::claims::ClaimId;

/// The sentences under the table, from the report alone: the worker limit, then the sweep's.
pub(super) fn notes(report: &Report) -> Vec<String> {
    let (Some(limit), Some(workload), Some(fit)) = (
        &report.maxprocs,
        report.workload.as_ref().map(|w| &w.workload),
        &report.amdahl,
    ) else {
        return Vec::new();
    };
    let mut notes = limit.notes();
    notes.extend(sweep_notes(
        workload,
        &report.results,
        fit,
        limit,
        &report.claims,
    ));
    notes
}

fn sweep_notes(
    workload: &Workload,
    results: &[ModeResult],
    fit: &AmdahlReport,
    limit: &MaxprocsReport,
    claims: &[Claim],
) -> Vec<String> {
    let mut notes = Vec::new();
    let serial = if fit.serial_fraction_set > 0.0 {
        format!(
            ", the first {:.1}% of every task on one thread before the rest runs on the pool",
            fit.serial_fraction_set * 100.0
        )
    } else {
        String::new()
    };
    notes.push(format!(
        "Every run does the same work: {} tasks of {} units, about {} ms on one CPU{serial}. Speedup is P = 1's median over P's; karp_flatt is the serial fraction each speedup implies, (1/speedup - 1/P) / (1 - 1/P).",
        workload.tasks,
        workload.units_per_task,
        format_ms(workload.estimated_pass_ms()),
    ));
    if fit.baseline_added {
        notes.push("P = 1 was added to the list: it is the baseline of every speedup.".into());
    }
    let capacity = cpus_phrase(fit.cpus);
    match crate::claims::find(claims, ClaimId::MaxprocsFitIsTheWork, None) {
        Some(fit_claim) => notes.push(fit_claim.text.clone()),
        _ if results.len() < 2 => notes.push(
            "No Amdahl fit: only P = 1 was measured, and the fit needs a point where more than one worker could run at once.".into(),
        ),
        _ => notes.push(format!(
            "No Amdahl fit: it needs a point where more than one CPU could work at once, and this process has {capacity}."
        )),
    }
    notes.extend(
        crate::claims::find(claims, ClaimId::MaxprocsSmtGain, None).map(|c| c.text.clone()),
    );
    if fit.serial_fraction_set > 0.0 {
        let f = fit.serial_fraction_set;
        notes.push(format!(
            "With a serial fraction of {f:.3}, Amdahl's law allows a speedup of at most {:.2} on unlimited CPUs and {:.2} on these {capacity}{}.",
            1.0 / f,
            amdahl::speedup(f, amdahl::processors(f64::MAX, fit.cpus)),
            fit.serial_fraction
                .map_or_else(String::new, |s| format!("; the fit found {s:.3}"))
        ));
    }
    if fit.cpus <= 1.0 {
        notes.push(format!(
            "Only {} CPU's worth of time for this process: the workers take turns (concurrency) but never run at the same time (parallelism), so no P can beat P = 1 here.",
            format_cpus(fit.cpus)
        ));
    } else if fit.cpus < 2.0 {
        notes.push(format!(
            "Only {} CPUs' worth of time for this process: two workers can run at the same time for only part of it, so over a long run no P can beat P = 1 by more than {}x.",
            format_cpus(fit.cpus),
            format_cpus(fit.cpus)
        ));
    }
    notes.extend(
        crate::claims::find(claims, ClaimId::MaxprocsNoGainAboveCpus, None).map(|c| c.text.clone()),
    );
    if let Some(r) = results.iter().find(|r| r.workers == limit.limit) {
        notes.push(format!(
            "P = {} is the worker limit in force (from {}), the pool size every subcommand uses by default: speedup {:.2} here.",
            limit.limit,
            limit.source.name(),
            r.speedup
        ));
    }
    let idle: Vec<String> = results
        .iter()
        .filter(|r| r.workers > workload.tasks)
        .map(|r| format!("P = {}", r.workers))
        .collect();
    if !idle.is_empty() {
        notes.push(format!(
            "{} has more workers than the {} tasks: some workers had nothing to do.",
            idle.join(", "),
            workload.tasks
        ));
    }
    if let Some((r, _)) = results
        .iter()
        .map(|r| (r, (r.wall_ms.max - r.wall_ms.min) / r.wall_ms.median))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|&(_, spread)| spread > NOISY_SPREAD)
    {
        notes.push(format!(
            "The runs of P = {} took from {} to {} ms around a median of {} ms: this machine was noisy, so every speedup here is only good to about that spread (--runs 9, or a quieter moment, gives steadier figures).",
            r.workers,
            format_ms(r.wall_ms.min),
            format_ms(r.wall_ms.max),
            format_ms(r.wall_ms.median)
        ));
    }
    notes.extend(crate::demo::checksum_note(claims));
    notes
}
