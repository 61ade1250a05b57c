//! What the interference meter costs each run: one snapshot of `/proc/stat` and `getrusage` at
//! every boundary between two runs, and the reading made of two snapshots.
//!
//! `cargo bench --bench meter`: `meter/boundary` is what the engine adds to every measured
//! run (one snapshot and one reading); its share of a 100 ms run is that over 100 ms.

use conpar::interference::{Meter, Reading};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn meter(c: &mut Criterion) {
    let meter = Meter::detect();
    let watched = conpar::sys::affinity().unwrap_or_else(|| vec![0]);
    c.bench_function("meter/snapshot", |b| b.iter(|| black_box(meter.snapshot())));
    let mut last = meter.snapshot();
    c.bench_function("meter/boundary", |b| {
        b.iter(|| {
            let now = meter.snapshot();
            let reading = Reading::between(&last, &now, &watched, meter.tick());
            last = now;
            black_box(reading)
        });
    });
}

criterion_group!(benches, meter);
criterion_main!(benches);
