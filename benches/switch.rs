//! What one switch between two tasks on one CPU costs: green tasks on conpar's scheduler
//! against OS threads pinned to one CPU (the same measurements `interleave` reports). Each
//! probe stops at its count or its time budget, whichever comes first, and reports the median
//! switch, which criterion then scales to the iterations it asked for.

// For clippy::pedantic, as in src/lib.rs: counts and nanoseconds far below 2^52 become f64.
#![allow(clippy::cast_precision_loss)]
// Non-negative nanoseconds, rounded down, become a Duration again.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use conpar::exec::switch_cost;
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

fn switches(c: &mut Criterion) {
    let mut group = c.benchmark_group("switch");
    group.bench_function("green_task", |b| {
        b.iter_custom(|iters| {
            let rounds = iters.div_ceil(2).max(1);
            let ns = switch_cost::green(rounds)
                .ns()
                .expect("a green switch is always timed");
            Duration::from_nanos((ns * iters as f64) as u64)
        });
    });
    if let Some(cpu) = conpar::sys::affinity().and_then(|a| a.first().copied()) {
        group.bench_function("os_thread_pinned", |b| {
            b.iter_custom(|iters| {
                let rounds = iters.div_ceil(2).max(1);
                let ns = switch_cost::threads(cpu, rounds)
                    .expect("pinning")
                    .ns()
                    .expect("a quiet CPU: no other program runnable on it");
                Duration::from_nanos((ns * iters as f64) as u64)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, switches);
criterion_main!(benches);
