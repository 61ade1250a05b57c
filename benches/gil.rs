//! What the simulated GIL costs: the hand-off latency from the holder dropping the lock to
//! the next holder running, and the check between two steps when nobody else wants the lock.
//!
//! `fairness` is no benchmark but a measurement printed once: two threads contend for the new
//! GIL with `CPython`'s 5 ms switch interval, and it prints the longest one waited at once
//! (a starved thread would wait hundreds of ms, a served one about an interval) and the
//! hand-offs per second against the one per interval expected. Timings, so no test asserts
//! them: they depend on the machine and on what else runs on it.
//!
//! `forced_handoff` ping-pongs the new GIL between two threads that each drop it as if asked
//! to and wait until the other has taken it, so every iteration is one hand-off: a condition
//! variable signal, a wake-up on the other thread and its return from the wait.

// For clippy::pedantic, as in src/lib.rs: counts and nanoseconds far below 2^52 become f64.
#![allow(clippy::cast_precision_loss)]

use conpar::gil::{Gil, GilConfig, GilKind, Holder};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::spin_loop;
use std::time::{Duration, Instant};

/// Two threads each running `steps` busy steps of `step` under one new GIL, checking between
/// steps; prints each one's longest wait and the lock's hand-off rate.
fn fairness(_: &mut Criterion) {
    let config = GilConfig::new(GilKind::New);
    let (steps, step) = (15_000, Duration::from_micros(20));
    let gil = Gil::new(config);
    let start = Instant::now();
    let max_waits: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|id| {
                let gil = &gil;
                scope.spawn(move || {
                    let mut me = Holder::new(id);
                    gil.acquire(&mut me);
                    for _ in 0..steps {
                        let end = Instant::now() + step;
                        while Instant::now() < end {
                            spin_loop();
                        }
                        gil.check(&mut me);
                    }
                    gil.release_final(&mut me);
                    me.stats.max_wait
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = start.elapsed();
    let per_s = gil.stats().handoffs as f64 / wall.as_secs_f64();
    let expected = 1.0 / config.switch_interval.as_secs_f64();
    println!(
        "gil/fairness: 2 threads x {:?} of work, switch interval {:?}: longest waits {max_waits:?} \
         ({:.1}x the interval at most), {per_s:.0} hand-offs/s against {expected:.0} expected ({:.2}x)",
        step * steps,
        config.switch_interval,
        max_waits.iter().max().unwrap().as_secs_f64() / config.switch_interval.as_secs_f64(),
        per_s / expected
    );
}

fn handoff(c: &mut Criterion) {
    let mut group = c.benchmark_group("gil");
    group.bench_function("forced_handoff", |b| {
        b.iter_custom(|iters| {
            let gil = Gil::new(GilConfig::new(GilKind::New));
            let start = Instant::now();
            std::thread::scope(|scope| {
                for id in 0..2 {
                    let gil = &gil;
                    scope.spawn(move || {
                        let mut me = Holder::new(id);
                        gil.acquire(&mut me);
                        for _ in 0..iters {
                            gil.force_switch(&mut me);
                        }
                        gil.release_final(&mut me);
                    });
                }
            });
            // Two threads with `iters` switches each: 2 x iters hand-offs.
            start.elapsed() / 2
        });
    });
    for kind in [GilKind::New, GilKind::Old] {
        let mut config = GilConfig::new(kind);
        config.check_interval = 1;
        let gil = Gil::new(config);
        let mut me = Holder::new(0);
        gil.acquire(&mut me);
        let name = match kind {
            GilKind::Old => "uncontended_check_old_release_reacquire",
            _ => "uncontended_check_new",
        };
        group.bench_function(name, |b| b.iter(|| gil.check(&mut me)));
        gil.release_final(&mut me);
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = fairness, handoff
}
criterion_main!(benches);
