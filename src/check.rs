//! `--check`: does this run show what its demo exists to show, where this machine can show it?
//!
//! For CI smoke tests. Each expectation is read from the [`Report`] alone and applies only
//! where the machine can meet it (a speedup only with at least 2 CPUs available). A broken
//! expectation becomes one line on stderr and exit code 3.

use crate::report::{ModeResult, Report};
use serde_json::Value;

/// What the user asked to be checked.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Expectations {
    /// `--check`: the demo's own expectations.
    pub demo: bool,
    /// `parallel --min-speedup X`: every parallel mode at least this fast.
    pub min_speedup: Option<f64>,
}

/// Every broken expectation, one sentence each; empty when all hold.
pub fn failures(report: &Report, expect: &Expectations) -> Vec<String> {
    let mut failed = Vec::new();
    let cpus = report.machine.available_parallelism;
    if expect.demo {
        for r in report.results.iter().filter(|r| !r.checksum_ok) {
            failed.push(format!(
                "{}: the checksum differs from the sequential one",
                r.mode
            ));
        }
        match report.demo.as_str() {
            "parallel" => {
                let tasks = report.workload.as_ref().map_or(1, |w| w.workload.tasks);
                if cpus >= 2 && tasks >= 2 {
                    for r in parallel_modes(report) {
                        if r.speedup <= 1.0 {
                            failed.push(format!(
                                "{}: speedup {:.2} is not faster than sequential with {cpus} CPUs available",
                                r.mode, r.speedup
                            ));
                        }
                    }
                }
            }
            "interleave" => {
                let cpus_used: Vec<&Vec<usize>> =
                    report.results.iter().map(|r| &r.cpus_used).collect();
                if cpus_used.iter().any(|c| c.len() != 1 || *c != cpus_used[0]) {
                    failed.push(format!(
                        "the modes did not all run on one and the same CPU: {cpus_used:?}"
                    ));
                }
            }
            "race" => {
                for r in report.results.iter().filter(|r| r.mode != "unsync") {
                    let wrong = r
                        .extra
                        .get("wrong_runs")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                    if wrong > 0 {
                        failed.push(format!("{}: {wrong} run(s) ended away from 0", r.mode));
                    }
                }
            }
            "gil-sim" => {
                for r in report.results.iter() {
                    match r.mode.as_str() {
                        "gil-new" | "gil-old" if r.speedup > 1.2 => failed.push(format!(
                            "{}: threads behind the lock ran {:.2}x faster than sequential",
                            r.mode, r.speedup
                        )),
                        "no-gil" | "processes" if cpus >= 2 && r.threads >= 2 && r.speedup <= 1.0 => {
                            failed.push(format!(
                                "{}: speedup {:.2} is not faster than sequential with {cpus} CPUs available",
                                r.mode, r.speedup
                            ))
                        }
                        _ => {}
                    }
                }
            }
            "maxprocs" => {
                let one = report.results.iter().find(|r| r.threads == 1);
                let two = report.results.iter().find(|r| r.threads == 2);
                if let (Some(one), Some(two), true) = (one, two, cpus >= 2) {
                    if two.wall_ms.median >= one.wall_ms.median {
                        failed.push(format!(
                            "P=2 ({} ms) is not faster than P=1 ({} ms) with {cpus} CPUs available",
                            two.wall_ms.median, one.wall_ms.median
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(min) = expect.min_speedup {
        for r in parallel_modes(report) {
            if r.speedup < min {
                failed.push(format!(
                    "{}: speedup {:.2} is below --min-speedup {min}",
                    r.mode, r.speedup
                ));
            }
        }
    }
    failed
}

/// The modes of `parallel` that may use several CPUs.
fn parallel_modes(report: &Report) -> impl Iterator<Item = &ModeResult> {
    report.results.iter().filter(|r| r.mode != "sequential")
}
