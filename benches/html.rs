//! What `--format html` costs to render, against the runs it draws.
//!
//! `cargo bench --bench html`: `html/four_modes_1ms_quanta` is a report like a tour section
//! (four modes of a 200 ms run on two CPUs in 1 ms slices); `html/5s_in_20us_quanta` is the
//! worst timeline a user can ask for (a 5 s run in 20 µs quanta, 500 000 slices), which the
//! page must draw in a small share of those 5 s.

// For clippy::pedantic, as in src/lib.rs: counts and nanoseconds far below 2^52 become f64.
#![allow(clippy::cast_precision_loss)]

use conpar::interference::Interference;
use conpar::model::{LaneKind, ModeResult, Recorded, Report, SCHEMA, Timeline, TimelineRun};
use conpar::report::html;
use conpar::report::{Format, Lanes, RenderOptions};
use conpar::stats::Summary;
use conpar::sys::Machine;
use conpar::trace::Slice;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// A run of `wall_us` on two CPUs, each alternating two tasks in `quantum_us` slices.
fn run(mode: &str, wall_us: u64, quantum_us: u64) -> (TimelineRun, Recorded) {
    let mut slices = Vec::new();
    for cpu in 0..2usize {
        let mut at = 0;
        let mut i = 0;
        while at + quantum_us <= wall_us {
            let task = 2 * cpu + i % 2;
            slices.push(Slice::from_ns(
                cpu,
                task,
                Some(cpu),
                at * 1000,
                (at + quantum_us) * 1000 - 500,
            ));
            at += quantum_us;
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

fn report(modes: &[&str], wall_us: u64, quantum_us: u64) -> Report {
    let mut timeline = Timeline::default();
    let results = modes
        .iter()
        .map(|mode| {
            let (r, rec) = run(mode, wall_us, quantum_us);
            timeline.add(r, rec);
            let wall = wall_us as f64 / 1e3;
            ModeResult {
                mode: mode.to_string(),
                workers: 2,
                cpus_used: vec![0, 1],
                wall_ms: Summary::of(&[wall, wall * 1.02, wall * 0.98]).unwrap(),
                speedup: 1.0,
                speedup_interval: [0.98, 1.02],
                efficiency: 0.5,
                checksum_ok: true,
                interference: None,
                findings: conpar::model::findings::Findings::default(),
            }
        })
        .collect();
    Report {
        schema: SCHEMA,
        demo: conpar::model::Demo::Interleave,
        machine: Machine::detect(),
        workload: None,
        cpu_choice: None,
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

fn bench(c: &mut Criterion) {
    let options = RenderOptions {
        format: Format::Html,
        timeline: true,
        lanes: Lanes::Cpu,
        width: 100,
        zoom_ms: None,
        color: false,
        timeline_full: false,
    };
    let section = report(
        &["sequential", "green", "threads", "processes"],
        200_000,
        1000,
    );
    c.bench_function("html/four_modes_1ms_quanta", |b| {
        b.iter(|| black_box(html::render(&section, &options)));
    });
    let long = report(&["threads"], 5_000_000, 20);
    c.bench_function("html/5s_in_20us_quanta", |b| {
        b.iter(|| black_box(html::render(&long, &options)));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
