//! The demo-specific figures the HTML page draws, read from each demo's typed findings.
//!
//! The page reads them only through the small functions here (the race's final values, the
//! GIL's per-thread holding and waiting, the maxprocs Amdahl fit), so what it draws does not
//! depend on how a demo keeps them.

use crate::amdahl::AmdahlReport;
use crate::gil::GilKind;
use crate::model::{ModeResult, Report};

/// The counter's final value after every run of a race mode (0 is right).
pub(crate) fn race_finals(r: &ModeResult) -> Option<Vec<i64>> {
    Some(r.findings.race()?.final_values.clone())
}

/// One thread's time with the simulated GIL in its drawn run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GilThread {
    pub(crate) thread: usize,
    pub(crate) hold_ms: f64,
    pub(crate) wait_ms: f64,
}

/// A gil-sim mode's lock figures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Gil {
    /// "new", "old" or "none".
    pub(crate) kind: String,
    pub(crate) threads: Vec<GilThread>,
    pub(crate) handoffs_per_s: f64,
    pub(crate) switch_interval_ms: f64,
}

/// The GIL figures of a gil-sim mode, where it has them.
pub(crate) fn gil(r: &ModeResult) -> Option<Gil> {
    let gil = &r.findings.gil()?.gil;
    Some(Gil {
        kind: match gil.kind {
            GilKind::New => "new",
            GilKind::Old => "old",
            GilKind::None => "none",
        }
        .into(),
        threads: gil
            .threads
            .iter()
            .map(|t| GilThread {
                thread: t.thread,
                hold_ms: t.stats.hold.as_secs_f64() * 1e3,
                wait_ms: t.stats.wait.as_secs_f64() * 1e3,
            })
            .collect(),
        handoffs_per_s: gil.handoffs_per_s,
        switch_interval_ms: gil.switch_interval_ms,
    })
}

/// The maxprocs speedup curve and its Amdahl fit, where the report has one.
pub(crate) fn amdahl(report: &Report) -> Option<AmdahlReport> {
    report.amdahl.clone()
}

#[cfg(test)]
pub(crate) mod fake {
    //! The same figures written into a synthetic report, for the page's tests.
    use crate::gil::{GilKind, ThreadStats};
    use crate::model::ModeResult;
    use crate::model::findings::{Findings, GilDetail, GilFindings, GilThread, RaceFindings};
    use std::time::Duration;

    pub(crate) fn race(r: &mut ModeResult, finals: &[i64]) {
        r.findings = Findings::Race(RaceFindings {
            final_values: finals.to_vec(),
            wrong_runs: finals.iter().filter(|&&v| v != 0).count(),
            ..RaceFindings::default()
        });
    }

    pub(crate) fn gil(r: &mut ModeResult, kind: &str, threads: &[(f64, f64)], handoffs_per_s: f64) {
        let ms = |x: f64| Duration::from_secs_f64(x / 1e3);
        let threads = threads
            .iter()
            .enumerate()
            .map(|(i, &(hold, wait))| GilThread {
                thread: i,
                run_ms: hold,
                stats: ThreadStats {
                    hold: ms(hold),
                    wait: ms(wait),
                    ..ThreadStats::default()
                },
            })
            .collect();
        r.findings = Findings::Gil(GilFindings {
            handoffs_per_s: handoffs_per_s.round() as u64,
            io_columns: None,
            gil: GilDetail {
                kind: match kind {
                    "old" => GilKind::Old,
                    "none" => GilKind::None,
                    _ => GilKind::New,
                },
                locks: 1,
                switch_interval_ms: 5.0,
                check_interval: 100,
                step_units: 1,
                step_us: 0.1,
                interval_handoffs_per_s: 200.0,
                handoffs: 0,
                handoffs_per_s,
                handoff_latency_us: None,
                drop_requests: 0,
                forced_switches: 0,
                futile_wakeups: 0,
                threads,
            },
            io: None,
        });
    }

    pub(crate) fn amdahl(report: &mut crate::model::Report, fit: &crate::amdahl::AmdahlReport) {
        report.amdahl = Some(fit.clone());
    }
}
