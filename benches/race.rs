//! ns per change of each `race` mode: the figure `conpar race` reports as `ns_per_op`.
//!
//! `cargo bench --bench race` times 2 threads making 10,000 changes each. Each sample is the
//! executor's own measurement (first thread's start to last thread's end, so creating the
//! threads is left out) divided by the number of changes, so criterion's "time" reads directly
//! as ns per change. Expect `unsync` to vary the most: how often its threads collide on the
//! counter's cache line depends on how together they really started.

// For clippy::pedantic, as in src/lib.rs: counts and nanoseconds far below 2^52 become f64.
#![allow(clippy::cast_precision_loss)]

use conpar::exec::race::{self, Race, Sharing};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const THREADS: usize = 2;
const ITERATIONS: u64 = 10_000;

fn ns_per_change(c: &mut Criterion) {
    let mut group = c.benchmark_group("race_ns_per_change");
    for mode in Sharing::ALL {
        let r = Race {
            mode,
            threads: THREADS,
            iterations: ITERATIONS,
            pin: None,
        };
        group.bench_function(mode.name(), |b| {
            b.iter_custom(|runs| {
                let mut wall = Duration::ZERO;
                for _ in 0..runs {
                    let run = race::run(&r).expect("no pinning, so nothing can fail");
                    black_box(run.final_value);
                    wall += run.run.wall;
                }
                wall.div_f64(r.operations() as f64)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, ns_per_change);
criterion_main!(benches);
