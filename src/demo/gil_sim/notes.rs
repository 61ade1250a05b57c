//! The sentences under the `gil-sim` table: what each mode did under its lock, with every
//! conclusion taken from its claim.

use super::*;
use crate::claims::ClaimId;

/// Everything the notes are made from.
pub(super) struct Notes<'a> {
    pub(super) config: &'a Config,
    pub(super) machine: &'a Machine,
    pub(super) plan: &'a GilPlan,
    pub(super) measured: &'a [GilMeasured],
    pub(super) results: &'a [ModeResult],
    pub(super) figures: &'a [Figures],
    pub(super) claims: &'a [Claim],
}

impl Notes<'_> {
    pub(super) fn sentences(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let config = self.config;
        let interval = config.switch_interval;
        let possible = crate::claims::parallel_possible(self.machine);
        if possible.holds == Some(false) || self.machine.cgroup_quota_cpus.is_some() {
            notes.push(possible.text);
        }
        notes.push(format!(
            "Workload {}: {} thread(s), each running its task in steps of {} units (about {}), holding the lock for each step; switch interval {}, old-GIL check interval {} steps.",
            config.workload.name(),
            config.threads,
            self.plan.step_units,
            human(Duration::from_secs_f64(
                super::figures::step_us(self.plan) / 1e6
            )),
            human(interval),
            config.check_interval
        ));
        if let Some(io) = self.plan.tasks.iter().find(|t| t.io_wait.is_some()) {
            notes.push(format!(
                "An I/O thread makes {} requests: each releases the lock, waits {}, takes the lock back and runs one step.",
                io.requests(self.plan.step_units),
                human(io.io_wait.unwrap_or_default())
            ));
        }
        let sequential_ms = self.results[0].wall_ms.median;
        for (i, (m, r)) in self.measured.iter().zip(self.results).enumerate().skip(1) {
            let f = &self.figures[i];
            let run = m.representative();
            let head = format!(
                "{}: {} took {} ms against {} ms sequential (speedup {:.2}) on {} CPU(s)",
                r.mode,
                match m.variant {
                    Some(Variant::Processes) => format!("{} processes", r.workers),
                    _ => format!("{} threads", r.workers),
                },
                format_ms(r.wall_ms.median),
                format_ms(sequential_ms),
                r.speedup,
                r.cpus_used.len()
            );
            let tail = match (m.variant, config.workload) {
                (Some(Variant::Threads(GilKind::None) | Variant::Processes), WorkloadKind::Cpu) => {
                    ".".into()
                }
                (Some(Variant::Threads(GilKind::New)), WorkloadKind::Cpu) => format!(
                    ". The lock changed hands {:.0} times a second (1/switch interval = {:.0}), after {} drop requests and {} forced switches{}.",
                    f.handoffs_per_s,
                    r.findings
                        .gil()
                        .map_or(f64::NAN, |g| g.gil.interval_handoffs_per_s),
                    total(run, |t| t.drop_requests),
                    total(run, |t| t.forced_switches),
                    run.lock
                        .handoff_latency
                        .map_or_else(String::new, |d| format!(
                            "; a hand-off took {} on average",
                            human(d)
                        ))
                ),
                (Some(Variant::Threads(GilKind::Old)), WorkloadKind::Cpu) => {
                    let futile = total(run, |t| t.futile_wakeups);
                    format!(
                        ": the holder released and at once re-took the lock every {} steps with no hand-off; {}, and the lock changed hands {:.0} times a second.",
                        config.check_interval,
                        if futile > 0 {
                            format!("{futile} wake-ups found it taken again (the GIL battle)")
                        } else {
                            "no wake-up found it taken again this time".into()
                        },
                        f.handoffs_per_s
                    )
                }
                (_, WorkloadKind::Io) => format!("; {:.0} hand-offs a second.", f.handoffs_per_s),
                _ => format!(
                    "; the lock changed hands {:.0} times a second.",
                    f.handoffs_per_s
                ),
            };
            notes.push(head + &tail);
            notes.extend(
                self.claims
                    .iter()
                    .filter(|c| c.mode.as_deref() == Some(&r.mode) && c.id != ClaimId::GilOldBattle)
                    .map(|c| c.text.clone()),
            );
        }
        notes.extend(
            crate::claims::find(self.claims, ClaimId::GilOldBattle, None).map(|c| c.text.clone()),
        );
        if config.workload == WorkloadKind::Mixed {
            notes.extend(self.convoy());
        }
        for (m, r) in self.measured.iter().zip(self.results) {
            if !matches!(
                m.variant,
                Some(Variant::Threads(GilKind::New | GilKind::Old))
            ) {
                continue;
            }
            for (t, stats) in m.representative().threads.iter().enumerate() {
                notes.push(format!(
                    "{} thread{t}: held the lock {} ms, waited {} ms (longest {} ms), {} acquisitions, {} drop requests, {} forced switches, {} futile wake-ups.",
                    r.mode,
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
        notes.extend(crate::demo::checksum_note(self.claims));
        notes
    }

    /// The convoy effect in figures: the I/O thread's requests alone and beside CPU work.
    fn convoy(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let describe = |io: &IoFigures| {
            format!(
                "p50 {} ms, p99 {} ms, {:.0} requests/s",
                format_ms(io.p50_ms),
                format_ms(io.p99_ms),
                io.requests_per_s
            )
        };
        let alone = self.figures[0].io.as_ref().and_then(Option::as_ref);
        if let Some(alone) = alone {
            notes.push(format!(
                "Alone (sequential, after the CPU-bound work) the I/O thread's requests took {}.",
                describe(alone)
            ));
        }
        for (i, m) in self.measured.iter().enumerate().skip(1) {
            let mode = &self.results[i].mode;
            match self.figures[i].io.as_ref().and_then(Option::as_ref) {
                Some(io) => {
                    let mut line = format!(
                        "Beside the CPU-bound thread(s) under {mode}: {}",
                        describe(io)
                    );
                    if m.variant == Some(Variant::Threads(GilKind::New)) {
                        let _ = write!(
                            line,
                            ": back from each wait the I/O thread waited about one switch interval ({}) for the lock, the convoy effect (bpo-7946)",
                            human(self.config.switch_interval)
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
}

pub(super) fn total(run: &GilRun, f: fn(&crate::gil::ThreadStats) -> u64) -> u64 {
    run.threads.iter().map(f).sum()
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
