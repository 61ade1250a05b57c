//! Every renderer on synthetic findings from a machine with 256 logical CPUs.
//!
//! Development machines have a few CPUs, so what a report looks like at 64-256 CPUs (tables
//! with 17 `maxprocs` points, 256 threads, a timeline with hundreds of lanes, runs with a
//! million slices) is checked here on reports built by hand: sizes must stay bounded and the
//! output readable, whatever this machine has.

use super::*;
use crate::interference::Interference;
use crate::model::*;
use crate::sys::Machine;
use crate::trace::Slice;
use serde_json::Value;
use std::collections::HashMap;

/// The synthetic machine: 256 logical CPUs.
const CPUS: usize = 256;

/// A report of `demo` on a 256-CPU machine with `results` and `timeline`.
pub(crate) fn report_of(demo: Demo, results: Vec<ModeResult>, timeline: Timeline) -> Report {
    let mut machine = Machine::detect();
    machine.logical_cpus = CPUS;
    machine.available_parallelism = CPUS;
    machine.affinity = Some((0..CPUS).collect());
    Report {
        schema: SCHEMA,
        demo,
        machine,
        cpu_choice: None,
        workload: Some(WorkloadReport::new(
            crate::workload::Workload::new(CPUS, crate::workload::WorkSize::Units(1000), 1),
            crate::workload::Repeats { runs: 1, warmup: 0 },
            0,
        )),
        results,
        maxprocs: None,
        amdahl: None,
        race: None,
        core_speeds: None,
        live: None,
        cpython: None,
        gil_sim: None,
        timeline,
        interference: Interference::none(),
        claims: Vec::new(),
        notes: vec!["A note.".into()],
    }
}

pub(crate) fn report_with(timeline: Timeline) -> Report {
    report_of(Demo::Parallel, vec![result("sequential", 1, 1.0)], timeline)
}

fn result(mode: &str, threads: usize, speedup: f64) -> ModeResult {
    ModeResult {
        mode: mode.into(),
        workers: threads,
        cpus_used: (0..threads.min(CPUS)).collect(),
        wall_ms: crate::stats::Summary::of(&[1000.0 / speedup, 1100.0 / speedup]).unwrap(),
        speedup,
        speedup_interval: [speedup * 0.9, speedup * 1.1],
        efficiency: speedup / threads as f64,
        checksum_ok: true,
        interference: None,
        findings: crate::model::findings::Findings::default(),
    }
}

/// One mode's run: `threads` threads, thread `t` on CPU `t`, each alternating two tasks in
/// slices of `slice_us` µs (with a 1 µs gap) for `wall_us`; CPUs from `busy` on are idle
/// but for one short slice at the start.
fn run(
    mode: &str,
    threads: usize,
    busy: usize,
    wall_us: u64,
    slice_us: u64,
) -> (TimelineRun, Recorded) {
    let mut slices = Vec::new();
    for t in 0..threads {
        if t >= busy {
            slices.push(Slice::from_ns(t, t, Some(t), 0, 1000));
            continue;
        }
        let mut at = 0;
        let mut i = 0;
        while at + slice_us <= wall_us {
            let task = 2 * t + i % 2;
            slices.push(Slice::from_ns(
                t,
                task,
                Some(t),
                at * 1000,
                (at + slice_us) * 1000,
            ));
            at += slice_us + 1;
            i += 1;
        }
    }
    (
        TimelineRun {
            mode: mode.into(),
            run: 0,
            wall_us: wall_us as f64,
        },
        Recorded {
            mode: mode.into(),
            lanes: LaneKind::Cpu,
            slices,
        },
    )
}

fn options(format: Format, lanes: Lanes) -> RenderOptions {
    RenderOptions {
        format,
        timeline: true,
        lanes,
        width: 100,
        zoom_ms: None,
        color: false,
        timeline_full: false,
    }
}

/// A 256-thread run on 256 CPUs, `busy` of them busy: 100 ms in slices of `slice_us`.
fn many_cpu_timeline(busy: usize, slice_us: u64) -> Timeline {
    let mut timeline = Timeline::default();
    let (r, rec) = run("threads", CPUS, busy, 100_000, slice_us);
    timeline.add(r, rec);
    timeline
}

#[test]
fn the_json_timeline_is_bounded_per_lane_and_says_it_was_merged() {
    let timeline = many_cpu_timeline(16, 20);
    let recorded: usize = timeline.recorded.iter().map(|r| r.slices.len()).sum();
    assert!(recorded > 16 * 4000, "{recorded}");
    let mut per_lane: HashMap<&str, usize> = HashMap::new();
    for s in &timeline.slices {
        *per_lane.entry(s.lane.as_str()).or_default() += 1;
    }
    assert_eq!(per_lane.len(), CPUS);
    assert!(
        per_lane.values().all(|&n| n <= LANE_SLICES),
        "{:?}",
        per_lane.values().max()
    );
    let merged = timeline.merged_to_us.expect("merged");
    assert!(merged > 20.0, "{merged}");
    // Each task keeps its time.
    let busy = |task: usize| -> f64 {
        timeline
            .slices
            .iter()
            .filter(|s| s.task == task)
            .map(|s| s.end_us - s.start_us)
            .sum()
    };
    let recorded_busy: f64 = timeline.recorded[0]
        .slices
        .iter()
        .filter(|s| s.task() == 0)
        .map(|s| s.duration_ns() as f64 / 1e3)
        .sum();
    assert!((busy(0) - recorded_busy).abs() < 1e-3 * recorded_busy);
    let report = report_with(timeline);
    let json = json::render(&report, &options(Format::Json, Lanes::Cpu));
    let value: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["timeline"]["merged_to_us"], merged);
    assert_eq!(value["timeline"]["runs"].as_array().unwrap().len(), 1);

    // --timeline-full: every slice in the JSON, nothing merged, and the report as it was.
    let full_options = RenderOptions {
        timeline_full: true,
        ..options(Format::Json, Lanes::Cpu)
    };
    let full: Value = serde_json::from_str(&json::render(&report, &full_options)).unwrap();
    assert_eq!(
        full["timeline"]["slices"].as_array().unwrap().len(),
        recorded
    );
    assert!(full["timeline"]["merged_to_us"].is_null());
    assert_eq!(full["timeline"]["runs"], value["timeline"]["runs"]);
    assert_eq!(report.timeline.merged_to_us, Some(merged));
}

#[test]
fn a_small_timeline_is_not_merged() {
    let mut timeline = Timeline::default();
    let (r, rec) = run("threads", 4, 4, 10_000, 20);
    let n = rec.slices.len();
    timeline.add(r, rec);
    assert_eq!(timeline.slices.len(), n);
    assert_eq!(timeline.merged_to_us, None);
    let json = json::render(&report_with(timeline), &options(Format::Json, Lanes::Cpu));
    let value: Value = serde_json::from_str(&json).unwrap();
    assert!(value["timeline"]["merged_to_us"].is_null());
}

#[test]
fn the_ascii_timeline_of_256_cpus_stays_readable() {
    let report = report_with(many_cpu_timeline(200, 500));
    for lanes in [Lanes::Cpu, Lanes::Task] {
        let text = timeline::render(&report.timeline, &options(Format::Table, lanes));
        let bars: Vec<&str> = text.lines().filter(|l| l.contains('|')).collect();
        assert!(
            bars.len() <= timeline::MAX_LANES,
            "{} lanes\n{text}",
            bars.len()
        );
        assert!(bars.iter().all(|l| l.chars().count() == 100), "{text}");
        assert!(text.lines().count() <= timeline::MAX_LANES + 8, "{text}");
        if lanes == Lanes::Cpu {
            // 200 busy CPUs: the 32 busiest are drawn, the others named.
            assert!(text.contains("168 lanes not drawn"), "{text}");
            // The 56 CPUs that ran 1 µs share one line, by name.
            assert!(text.contains("56 lanes idle in every column"), "{text}");
            assert!(text.contains("cpu 200-255"), "{text}");
        }
    }
}

#[test]
fn every_renderer_handles_256_threads_and_17_maxprocs_points() {
    let points = [
        1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 160, 192, 256,
    ];
    let results: Vec<ModeResult> = points
        .iter()
        .map(|&p| result(&format!("P={p}"), p, (p as f64).min(200.0)))
        .collect();
    let curve: Vec<crate::amdahl::Point> = points
        .iter()
        .map(|&p| {
            let s = crate::amdahl::speedup(0.01, p as f64);
            crate::amdahl::Point {
                threads: p,
                p: p as f64,
                speedup: s,
                speedup_min: s * 0.95,
                speedup_max: s * 1.05,
            }
        })
        .collect();
    let mut report = report_of(Demo::Maxprocs, results, many_cpu_timeline(64, 100));
    report.amdahl = Some(crate::amdahl::AmdahlReport::new(curve, CPUS as f64, 0.01));
    let table = render(&report, &options(Format::Table, Lanes::Cpu));
    assert!(
        table.contains("P=256") && table.contains("0-255"),
        "{table}"
    );
    for format in [Format::Table, Format::Markdown] {
        let text = render(&report, &options(format, Lanes::Cpu));
        assert!(text.lines().count() < 17 + 60, "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 400), "{text}");
    }
    let csv = csv::render(&report);
    assert_eq!(csv.lines().count(), 1 + points.len());
    let json = json::render(&report, &options(Format::Json, Lanes::Cpu));
    assert!(json.len() < 64 << 20, "{} bytes", json.len());
    let value: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["results"].as_array().unwrap().len(), points.len());
    assert_eq!(value["machine"]["logical_cpus"], CPUS);
    let trace: Value = serde_json::from_str(&chrome::render(&report)).unwrap();
    let complete = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .count();
    assert_eq!(complete, report.timeline.recorded[0].slices.len());
    let svg = plot::render(&report).unwrap();
    assert!(roxmltree::Document::parse(&svg).is_ok());
    assert!(svg.contains("256"));
}

#[test]
fn a_gil_timeline_of_256_threads_names_its_lanes_by_thread() {
    let mut timeline = Timeline::default();
    let (r, mut rec) = run("gil-new", CPUS, CPUS, 2_000, 50);
    rec.lanes = LaneKind::Thread;
    timeline.add(r, rec);
    let report = report_of(Demo::GilSim, vec![result("gil-new", CPUS, 1.0)], timeline);
    assert!(
        report
            .timeline
            .slices
            .iter()
            .all(|s| s.lane.starts_with("thread"))
    );
    let text = timeline::render(&report.timeline, &options(Format::Table, Lanes::Cpu));
    assert!(text.contains("one lane per thread"), "{text}");
    assert!(text.contains("thread0 |"), "{text}");
    let trace: Value = serde_json::from_str(&chrome::render(&report)).unwrap();
    assert!(
        trace["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["ph"] == "C")
    );
}
