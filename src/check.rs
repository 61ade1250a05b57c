//! `--check`: does this run show what its demo exists to show, where this machine can show it?
//!
//! For CI smoke tests. Each expectation is read from the [`Report`] alone and applies only
//! where the machine can meet it (a speedup only with at least 2 CPUs available). Speedups are
//! judged on the fastest run of each mode: noise from other programs only ever adds time, so
//! one unlucky baseline run cannot fail a check. A broken expectation becomes one line on
//! stderr and exit code 3.

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
        // race's unsync ends away from 0 on purpose: that is what it shows.
        let broken =
            |r: &&ModeResult| !(r.checksum_ok || report.demo == "race" && r.mode == "unsync");
        for r in report.results.iter().filter(broken) {
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
                        let best = best_speedup(report, r);
                        if best <= 1.0 {
                            failed.push(format!(
                                "{}: speedup {best:.2} (fastest runs) is not faster than sequential with {cpus} CPUs available",
                                r.mode
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
            // Only CPU-bound threads are held back by the lock; waiting ones overlap (io, mixed).
            "gil-sim" if !report.results.iter().any(|r| r.extra.contains_key("io")) => {
                for r in report.results.iter() {
                    let best = best_speedup(report, r);
                    match r.mode.as_str() {
                        "gil-new" | "gil-old" if best > 1.2 => failed.push(format!(
                            "{}: threads behind the lock ran {best:.2}x faster than sequential (fastest runs)",
                            r.mode
                        )),
                        "no-gil" | "processes" if cpus >= 2 && r.threads >= 2 && best <= 1.0 => {
                            failed.push(format!(
                                "{}: speedup {best:.2} (fastest runs) is not faster than sequential with {cpus} CPUs available",
                                r.mode
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
                    if two.wall_ms.min >= one.wall_ms.min {
                        failed.push(format!(
                            "P=2 ({} ms) is not faster than P=1 ({} ms) with {cpus} CPUs available (fastest runs)",
                            two.wall_ms.min, one.wall_ms.min
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    // --min-speedup is the user's own bar: it judges the median, as the table shows it.
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

/// The baseline's (first result's) fastest run over this mode's fastest run.
fn best_speedup(report: &Report, r: &ModeResult) -> f64 {
    let baseline = report.results.first().map_or(f64::NAN, |b| b.wall_ms.min);
    crate::stats::speedup(baseline, r.wall_ms.min)
}

/// The modes of `parallel` that may use several CPUs.
fn parallel_modes(report: &Report) -> impl Iterator<Item = &ModeResult> {
    report.results.iter().filter(|r| r.mode != "sequential")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Report, SCHEMA, Timeline};
    use crate::stats::Summary;
    use crate::sys::Machine;

    fn result(mode: &str, threads: usize, speedup: f64, checksum_ok: bool) -> ModeResult {
        ModeResult {
            mode: mode.into(),
            threads,
            cpus_used: vec![0],
            wall_ms: Summary::of(&[100.0 / speedup]).unwrap(),
            speedup,
            efficiency: speedup / threads as f64,
            checksum_ok,
            extra: Default::default(),
        }
    }

    fn report(demo: &str, cpus: usize, results: Vec<ModeResult>) -> Report {
        let mut machine = Machine::detect();
        machine.available_parallelism = cpus;
        Report {
            schema: SCHEMA,
            demo: demo.into(),
            machine,
            workload: None,
            results,
            extra: serde_json::Map::new(),
            timeline: Timeline::default(),
            notes: vec![],
        }
    }

    const CHECK: Expectations = Expectations {
        demo: true,
        min_speedup: None,
    };

    #[test]
    fn speedups_are_asked_for_only_where_cpus_allow() {
        let slow = vec![
            result("sequential", 1, 1.0, true),
            result("threads", 2, 0.9, true),
        ];
        assert!(failures(&report("gil-sim", 1, slow.clone()), &CHECK).is_empty());
        let no_gil = vec![
            result("sequential", 1, 1.0, true),
            result("no-gil", 2, 0.9, true),
        ];
        assert_eq!(
            failures(&report("gil-sim", 2, no_gil.clone()), &CHECK).len(),
            1
        );
        assert!(failures(&report("gil-sim", 1, no_gil), &CHECK).is_empty());
    }

    #[test]
    fn a_gil_that_speeds_up_cpu_work_is_a_failure() {
        let fast = vec![
            result("sequential", 1, 1.0, true),
            result("gil-new", 2, 1.9, true),
        ];
        assert_eq!(failures(&report("gil-sim", 2, fast), &CHECK).len(), 1);
    }

    #[test]
    fn checksums_fail_except_the_race_they_show() {
        let bad = vec![
            result("sequential", 1, 1.0, true),
            result("rayon", 2, 1.5, false),
        ];
        assert_eq!(failures(&report("parallel", 1, bad), &CHECK).len(), 1);
        let race = vec![
            result("unsync", 2, 5.0, false),
            result("atomic", 2, 1.0, true),
        ];
        assert!(failures(&report("race", 2, race), &CHECK).is_empty());
    }

    #[test]
    fn min_speedup_applies_to_the_parallel_modes() {
        let results = vec![
            result("sequential", 1, 1.0, true),
            result("rayon", 2, 1.4, true),
        ];
        let expect = Expectations {
            demo: false,
            min_speedup: Some(1.5),
        };
        assert_eq!(
            failures(&report("parallel", 2, results.clone()), &expect).len(),
            1
        );
        assert!(failures(&report("parallel", 2, results), &Expectations::default()).is_empty());
    }
}
