//! What it costs to hand tiny tasks to threads: sequential against a rayon pool and scoped
//! threads, for tasks so small that the overhead is all there is to see.

use conpar::exec::{pool::Pool, sequential, threads};
use conpar::workload::{WorkSize, Workload};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn tiny_tasks(c: &mut Criterion) {
    let workload = Workload::new(16, WorkSize::Units(16), 1);
    let pool =
        Pool::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get)).unwrap();
    let mut group = c.benchmark_group("16_tiny_tasks");
    group.bench_function("sequential", |b| {
        b.iter(|| black_box(sequential::run(&workload).checksum));
    });
    group.bench_function("rayon_pool", |b| {
        b.iter(|| black_box(pool.run(&workload).checksum));
    });
    group.bench_function("scoped_threads", |b| {
        b.iter(|| black_box(threads::run(&workload).expect("threads start").checksum));
    });
    group.finish();
}

criterion_group!(benches, tiny_tasks);
criterion_main!(benches);
