//! Snapshots of one fixed report in every format (as hyperfine's export tests do): any change
//! to what a person or a script reads shows up as a diff to review with `cargo insta review`.
//!
//! The reports are built from fixed figures only (machine, workload, runs, interference), never
//! from this machine, so the snapshots are the same everywhere.

use super::report;
use crate::interference::summary::SampleReport;
use crate::interference::{Interference, ModeInterference, Rounds, Verdict};
use crate::model::findings::{Findings, RaceFindings, RaceTiming};
use crate::model::*;
use crate::report::*;
use crate::sys::Machine;
use crate::workload::{WorkSize, Workload};

/// The facts of a 2-CPU machine with nothing in the way.
fn machine() -> Machine {
    Machine {
        logical_cpus: 2,
        physical_cores: 1,
        available_parallelism: 2,
        limited_by: "nothing".into(),
        affinity: Some(vec![0, 1]),
        cgroup_quota_cpus: None,
        cgroup_source: None,
        rayon_threads: 2,
        os: "linux".into(),
        arch: "x86_64".into(),
        cpu_model: "Example CPU @ 2.00GHz".into(),
        topology: None,
        sysroot: None,
    }
}

fn quiet(watched: Vec<usize>) -> Interference {
    Interference {
        others_cpus: Some(0.02),
        steal_cpus: Some(0.0),
        resolution_cpus: Some(0.04),
        busiest_cpu: Some(0),
        verdict: Verdict::Quiet,
        watched_cpus: watched,
        wall_ms: 900.0,
        rounds: Rounds {
            planned: 3,
            measured: 3,
            disturbed: 0,
            replaced: 0,
            kept_disturbed: 0,
        },
        threshold_cpus: 0.2,
    }
}

fn mode_quiet() -> ModeInterference {
    let sample = SampleReport {
        others_cpus: Some(0.02),
        steal_cpus: Some(0.0),
        resolution_cpus: Some(0.1),
        verdict: Verdict::Quiet,
        used: true,
    };
    ModeInterference {
        others_cpus: Some(0.02),
        steal_cpus: Some(0.0),
        resolution_cpus: Some(0.1),
        verdict: Verdict::Quiet,
        samples: vec![sample.clone(), sample.clone(), sample],
        disturbed_runs: 0,
    }
}

fn row(mode: &str, threads: usize, walls: &[f64], base: f64, cpus: Vec<usize>) -> ModeResult {
    ModeResult {
        interference: Some(mode_quiet()),
        ..ModeResult::against(mode, threads, walls, base, cpus)
    }
}

fn slice(mode: &str, cpu: usize, task: usize, start_us: f64, end_us: f64) -> SliceReport {
    SliceReport::on_cpu(mode, cpu, task, start_us, end_us)
}

/// `parallel`: two tasks one after another, then on two threads at once.
fn parallel() -> Report {
    let mut workload = Workload::new(2, WorkSize::Units(100_000), 1);
    workload.unit_ns = 2.0;
    let results = vec![
        row("sequential", 1, &[400.0, 404.0, 398.0], 400.0, vec![0]),
        row("threads", 2, &[210.0, 205.0, 220.0], 400.0, vec![0, 1]),
    ];
    let timeline = Timeline {
        runs: vec![
            TimelineRun {
                mode: "sequential".into(),
                run: 0,
                wall_us: 400_000.0,
            },
            TimelineRun {
                mode: "threads".into(),
                run: 0,
                wall_us: 210_000.0,
            },
        ],
        slices: vec![
            slice("sequential", 0, 0, 0.0, 200_000.0),
            slice("sequential", 0, 1, 200_000.0, 400_000.0),
            slice("threads", 0, 0, 0.0, 200_000.0),
            slice("threads", 1, 1, 5_000.0, 210_000.0),
        ],
        ..Timeline::default()
    };
    let interference = quiet(vec![0, 1]);
    let claims =
        crate::demo::parallel::claims(&machine(), &workload, &results, &timeline, &interference);
    let notes = crate::demo::parallel::notes(&machine(), &workload, &results, &claims);
    Report {
        workload: Some(WorkloadReport::new(
            workload,
            crate::engine::Repeats { runs: 3, warmup: 1 },
            0x1234_5678_9abc_def0,
        )),
        ..report(
            crate::model::Demo::Parallel,
            machine(),
            results,
            timeline,
            interference,
            claims,
            notes,
        )
    }
}

/// `race`: its findings become columns, and the objects stay in the JSON.
fn race() -> Report {
    let finding = |finals: Vec<i64>, reason: &'static str| RaceFindings {
        iterations: 1000,
        wrong_runs: finals.iter().filter(|&&v| v != 0).count(),
        lost_updates_median: 0.0,
        lost_updates_max: finals.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0),
        ns_per_op: 2.5,
        final_values: finals,
        reason,
        timing: RaceTiming {
            start_skew_us: Some([1.5, 3.0]),
            loops_overlap_pct: Some(97.0),
            runs_apart: 0,
            runs_not_lined_up: 0,
            preemptions: Some(0),
        },
        relative: crate::model::findings::RaceRelative {
            times_fastest: 1.0,
            times_unsync: Some(2.4),
        },
    };
    let mut unsync = row("unsync", 2, &[0.2, 0.25, 0.21], 0.5, vec![0, 1]);
    unsync.checksum_ok = false;
    unsync.findings = Findings::Race(finding(vec![-412, 0, 37], "read and write are two steps"));
    let mut atomic = row("atomic", 2, &[0.5, 0.52, 0.49], 0.5, vec![0, 1]);
    atomic.findings = Findings::Race(finding(vec![0, 0, 0], "one indivisible step"));
    report(
        crate::model::Demo::Race,
        machine(),
        vec![unsync, atomic],
        Timeline::default(),
        quiet(vec![0, 1]),
        vec![crate::claims::checksums(&[], None)],
        vec!["unsync was wrong in 2 of 3 runs.".into()],
    )
}

fn options(format: Format) -> RenderOptions {
    RenderOptions {
        format,
        timeline: true,
        lanes: Lanes::Cpu,
        width: 80,
        zoom_ms: None,
        color: false,
        timeline_full: false,
    }
}

#[test]
fn parallel_as_a_table() {
    insta::assert_snapshot!(render(&parallel(), &options(Format::Table)));
}

#[test]
fn parallel_as_markdown() {
    insta::assert_snapshot!(render(&parallel(), &options(Format::Markdown)));
}

#[test]
fn parallel_as_csv() {
    insta::assert_snapshot!(render(&parallel(), &options(Format::Csv)));
}

#[test]
fn parallel_as_json() {
    insta::assert_snapshot!(render(&parallel(), &options(Format::Json)));
}

#[test]
fn race_findings_as_a_table_and_csv() {
    let report = race();
    insta::assert_snapshot!("race_table", render(&report, &options(Format::Table)));
    insta::assert_snapshot!("race_csv", render(&report, &options(Format::Csv)));
}

#[test]
fn race_findings_as_json() {
    insta::assert_snapshot!(render(&race(), &options(Format::Json)));
}
