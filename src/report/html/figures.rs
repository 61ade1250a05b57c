//! The demo-specific figures the HTML page draws, read from a report in one place.
//!
//! The common fields of a [`Report`] are typed; the figures only one demo has (the race's final
//! values, the GIL's per-thread holding and waiting, the maxprocs Amdahl fit) still live in
//! untyped `extra` maps. The page reads them only through the small functions here, so when
//! those maps become typed structs this file is the one to change, and nothing that draws.

use crate::amdahl::AmdahlReport;
use crate::report::{ModeResult, Report};

/// The counter's final value after every run of a race mode (0 is right).
pub fn race_finals(r: &ModeResult) -> Option<Vec<i64>> {
    let values = r.extra.get("final_values")?.as_array()?;
    values.iter().map(|v| v.as_i64()).collect()
}

/// One thread's time with the simulated GIL in its drawn run.
#[derive(Debug, Clone, PartialEq)]
pub struct GilThread {
    pub thread: usize,
    pub hold_ms: f64,
    pub wait_ms: f64,
}

/// A gil-sim mode's lock figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Gil {
    /// "new", "old" or "none".
    pub kind: String,
    pub threads: Vec<GilThread>,
    pub handoffs_per_s: f64,
    pub switch_interval_ms: f64,
}

/// The GIL figures of a gil-sim mode, where it has them.
pub fn gil(r: &ModeResult) -> Option<Gil> {
    let gil = r.extra.get("gil")?.as_object()?;
    let number = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_f64());
    let threads = gil
        .get("threads")?
        .as_array()?
        .iter()
        .enumerate()
        .map(|(i, t)| GilThread {
            thread: t
                .get("thread")
                .and_then(|v| v.as_u64())
                .map_or(i, |n| n as usize),
            hold_ms: number(t.get("hold_ms")).unwrap_or(0.0),
            wait_ms: number(t.get("wait_ms")).unwrap_or(0.0),
        })
        .collect();
    Some(Gil {
        kind: gil.get("kind")?.as_str()?.to_string(),
        threads,
        handoffs_per_s: number(gil.get("handoffs_per_s")).unwrap_or(0.0),
        switch_interval_ms: number(gil.get("switch_interval_ms"))?,
    })
}

/// The maxprocs speedup curve and its Amdahl fit, where the report has one.
pub fn amdahl(report: &Report) -> Option<AmdahlReport> {
    serde_json::from_value(report.extra.get("amdahl")?.clone()).ok()
}

#[cfg(test)]
pub(crate) mod fake {
    //! The same figures written into a synthetic report, for the page's tests.
    use crate::report::ModeResult;
    use serde_json::json;

    pub fn race(r: &mut ModeResult, finals: &[i64]) {
        r.extra.insert("final_values".into(), json!(finals));
    }

    pub fn gil(r: &mut ModeResult, kind: &str, threads: &[(f64, f64)], handoffs_per_s: f64) {
        let threads: Vec<_> = threads
            .iter()
            .enumerate()
            .map(|(i, (hold, wait))| json!({"thread": i, "hold_ms": hold, "wait_ms": wait}))
            .collect();
        r.extra.insert(
            "handoffs_per_s".into(),
            json!(handoffs_per_s.round() as u64),
        );
        r.extra.insert(
            "gil".into(),
            json!({"kind": kind, "switch_interval_ms": 5.0,
                   "handoffs_per_s": handoffs_per_s, "threads": threads}),
        );
    }

    pub fn amdahl(report: &mut crate::report::Report, fit: &crate::amdahl::AmdahlReport) {
        report
            .extra
            .insert("amdahl".into(), serde_json::to_value(fit).unwrap());
    }
}
