//! The kernel's cost per unit, and what recording slices adds to it.
//!
//! `cargo bench --bench kernel` reports the kernel in units per second (invert for ns per
//! unit) and the same work run through the executors' recorded chunk loop, so the difference
//! is the cost of reading the clock and the CPU after every chunk.

use conpar::exec::run_task;
use conpar::kernel;
use conpar::trace::Recorder;
use conpar::workload::{WorkSize, Workload};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Instant;

const UNITS: u64 = 100_000;

fn kernel_per_unit(c: &mut Criterion) {
    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Elements(UNITS));
    group.bench_function("plain", |b| b.iter(|| kernel::run(black_box(UNITS), 1)));
    let workload = Workload::new(1, WorkSize::Units(UNITS), 1);
    group.bench_function("recorded_chunks", |b| {
        b.iter(|| {
            let mut recorder = Recorder::new(Instant::now(), 0);
            black_box(run_task(&workload, 0, &mut recorder))
        });
    });
    group.finish();
}

/// One call of the recorder after a chunk: a clock reading, `sched_getcpu` and the merge. Its
/// share of a run is this over the time of one chunk (256 units).
fn recorder_per_chunk(c: &mut Criterion) {
    let mut recorder = Recorder::new(Instant::now(), 0);
    let mut start = Instant::now();
    c.bench_function("recorder/chunk_done", |b| {
        b.iter(|| {
            start = recorder.chunk_done(0, black_box(start), 256);
        });
    });
}

criterion_group!(benches, kernel_per_unit, recorder_per_chunk);
criterion_main!(benches);
