//! The sentences under the `gil-sim` table: what each mode did under its lock, with every
//! conclusion taken from its claim.

use super::*;
use crate::claims::ClaimId;

/// The sentences under the table, from the report alone: the setup, what each mode did under
/// its lock with its conclusions, the convoy effect, each thread's figures, and `CPython`'s.
pub(super) fn notes(report: &Report) -> Vec<String> {
    let results = &report.results;
    let (Some(setup), Some(seq), Some(tasks)) = (
        &report.gil_sim,
        results.first().and_then(|r| r.findings.gil()),
        report.workload.as_ref().map(|w| w.workload.tasks),
    ) else {
        return Vec::new();
    };
    let lock = &seq.gil;
    let claims = &report.claims;
    let mut notes = Vec::new();
    let possible = crate::claims::parallel_possible(&report.machine);
    if possible.holds == Some(false) || report.machine.cgroup_quota_cpus.is_some() {
        notes.push(possible.text);
    }
    notes.push(format!(
        "Workload {}: {} thread(s), each running its task in steps of {} units (about {}), holding the lock for each step; switch interval {}, old-GIL check interval {} steps.",
        setup.workload.name(),
        tasks,
        lock.step_units,
        human(Duration::from_secs_f64(lock.step_us / 1e6)),
        human(Duration::from_secs_f64(lock.switch_interval_ms / 1e3)),
        lock.check_interval
    ));
    if let Some(io) = &seq.io {
        notes.push(format!(
            "An I/O thread makes {} requests: each releases the lock, waits {}, takes the lock back and runs one step.",
            io.requests_per_task.unwrap_or(0),
            human(Duration::from_secs_f64(io.wait_ms.unwrap_or(0.0) / 1e3))
        ));
    }
    let sequential_ms = results[0].wall_ms.median;
    for r in results.iter().skip(1) {
        let Some(found) = r.findings.gil() else {
            continue;
        };
        let (gil, variant) = (&found.gil, Variant::of(&r.mode));
        let head = format!(
            "{}: {} took {} ms against {} ms sequential (speedup {:.2}) on {} CPU(s)",
            r.mode,
            match variant {
                Some(Variant::Processes) => format!("{} processes", r.workers),
                _ => format!("{} threads", r.workers),
            },
            format_ms(r.wall_ms.median),
            format_ms(sequential_ms),
            r.speedup,
            r.cpus_used.len()
        );
        let tail = match (variant, setup.workload) {
            (Some(Variant::Threads(GilKind::None) | Variant::Processes), WorkloadKind::Cpu) => {
                ".".into()
            }
            (Some(Variant::Threads(GilKind::New)), WorkloadKind::Cpu) => format!(
                ". The lock changed hands {} times a second (1/switch interval = {:.0}), after {} drop requests and {} forced switches{}.",
                found.handoffs_per_s,
                gil.interval_handoffs_per_s,
                gil.drop_requests,
                gil.forced_switches,
                gil.handoff_latency_us
                    .map_or_else(String::new, |us| format!(
                        "; a hand-off took {} on average",
                        human(Duration::from_secs_f64(us / 1e6))
                    ))
            ),
            (Some(Variant::Threads(GilKind::Old)), WorkloadKind::Cpu) => format!(
                ": the holder released and at once re-took the lock every {} steps with no hand-off; {}, and the lock changed hands {} times a second.",
                gil.check_interval,
                if gil.futile_wakeups > 0 {
                    format!(
                        "{} wake-ups found it taken again (the GIL battle)",
                        gil.futile_wakeups
                    )
                } else {
                    "no wake-up found it taken again this time".into()
                },
                found.handoffs_per_s
            ),
            (_, WorkloadKind::Io) => format!("; {} hand-offs a second.", found.handoffs_per_s),
            _ => format!(
                "; the lock changed hands {} times a second.",
                found.handoffs_per_s
            ),
        };
        notes.push(head + &tail);
        notes.extend(
            claims
                .iter()
                .filter(|c| c.mode.as_deref() == Some(&r.mode) && c.id != ClaimId::GilOldBattle)
                .map(|c| c.text.clone()),
        );
    }
    notes.extend(crate::claims::find(claims, ClaimId::GilOldBattle, None).map(|c| c.text.clone()));
    if setup.workload == WorkloadKind::Mixed {
        notes.extend(convoy(results));
    }
    for r in results {
        let under_a_gil = matches!(
            Variant::of(&r.mode),
            Some(Variant::Threads(GilKind::New | GilKind::Old))
        );
        let Some(found) = r.findings.gil().filter(|_| under_a_gil) else {
            continue;
        };
        for t in &found.gil.threads {
            let stats = &t.stats;
            notes.push(format!(
                "{} thread{}: held the lock {} ms, waited {} ms (longest {} ms), {} acquisitions, {} drop requests, {} forced switches, {} futile wake-ups.",
                r.mode,
                t.thread,
                format_ms(crate::gil::ms(stats.hold)),
                format_ms(crate::gil::ms(stats.wait)),
                format_ms(crate::gil::ms(stats.max_wait)),
                stats.acquisitions,
                stats.drop_requests,
                stats.forced_switches,
                stats.futile_wakeups
            ));
        }
    }
    notes.push(
        "In the timeline (--timeline) each lane is one thread (or process), drawn from its measured steps: its task number where it ran a step, which under a GIL means it held the lock, and . where it did not."
            .into(),
    );
    notes.extend(crate::demo::checksum_note(claims));
    match &report.cpython {
        Some(cpython) => {
            let model_handoffs = super::super::result_of(results, Variant::GIL_NEW)
                .and_then(|r| r.findings.gil())
                .map(|g| g.handoffs_per_s);
            // Its claims are among each mode's sentences above.
            notes.push(super::python::note(cpython, model_handoffs));
        }
        None if setup.cpython_skipped => notes.push(
            "CPython ran nothing: the mixed workload's tasks differ from one another, which conpar's CPython script does not do; the model alone ran it."
                .into(),
        ),
        None => {}
    }
    notes
}

/// The convoy effect in figures: the I/O thread's requests alone and beside CPU work.
fn convoy(results: &[ModeResult]) -> Vec<String> {
    let mut notes = Vec::new();
    let io = |r: &ModeResult| {
        let io = r.findings.gil()?.io.as_ref()?;
        Some((io.p50_ms?, io.p99_ms?, io.requests_per_s?))
    };
    let describe = |(p50, p99, per_s): (f64, f64, f64)| {
        format!(
            "p50 {} ms, p99 {} ms, {per_s:.0} requests/s",
            format_ms(p50),
            format_ms(p99)
        )
    };
    if let Some(alone) = results.first().and_then(io) {
        notes.push(format!(
            "Alone (sequential, after the CPU-bound work) the I/O thread's requests took {}.",
            describe(alone)
        ));
    }
    for r in results.iter().skip(1) {
        let mode = &r.mode;
        match io(r) {
            Some(figures) => {
                let mut line = format!(
                    "Beside the CPU-bound thread(s) under {mode}: {}",
                    describe(figures)
                );
                if let Some(gil) = r
                    .findings
                    .gil()
                    .filter(|_| Variant::of(mode) == Some(Variant::GIL_NEW))
                {
                    let _ = write!(
                        line,
                        ": back from each wait the I/O thread waited about one switch interval ({}) for the lock, the convoy effect (bpo-7946)",
                        human(Duration::from_secs_f64(gil.gil.switch_interval_ms / 1e3))
                    );
                }
                line.push('.');
                notes.push(line);
            }
            None => notes.push(format!(
                "Beside the CPU-bound thread(s) under {mode} the I/O thread completed no request at all before the CPU-bound work ended."
            )),
        }
    }
    notes
}

/// A duration as people write it: 5ms, 4.9µs, 1.2s.
pub(super) fn human(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1e6 {
        let text = format!("{:.3}", us / 1e6);
        format!("{}s", text.trim_end_matches('0').trim_end_matches('.'))
    } else if us >= 1e3 {
        let ms = us / 1e3;
        if ms.fract() == 0.0 {
            format!("{ms:.0}ms")
        } else {
            format!("{ms:.2}ms")
        }
    } else if us >= 10.0 {
        format!("{us:.0}µs")
    } else {
        format!("{us:.1}µs")
    }
}
