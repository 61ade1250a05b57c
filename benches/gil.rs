//! What the simulated GIL costs: the hand-off latency from the holder dropping the lock to
//! the next holder running, and the check between two steps when nobody else wants the lock.
//!
//! `forced_handoff` ping-pongs the new GIL between two threads that each drop it as if asked
//! to and wait until the other has taken it, so every iteration is one hand-off: a condition
//! variable signal, a wake-up on the other thread and its return from the wait.

use conpar::gil::{Gil, GilConfig, GilKind, Holder};
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};

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
        })
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
    targets = handoff
}
criterion_main!(benches);
