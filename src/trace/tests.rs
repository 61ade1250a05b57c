//! Tests of the recorders and of merging slices: what a run records and how a long one is
//! thinned out for the report without losing any task's time.

use super::*;

#[test]
fn contiguous_chunks_on_one_cpu_merge() {
    let epoch = Instant::now();
    let mut r = Recorder::new(epoch, 0);
    let t = |us| epoch + Duration::from_micros(us);
    r.push(0, Some(1), t(0), t(10));
    r.push(0, Some(1), t(10), t(20));
    r.push(0, Some(0), t(20), t(30)); // migrated
    r.push(1, Some(0), t(30), t(40)); // next task
    r.push(1, Some(0), t(45), t(50)); // a gap: not merged
    let s = r.into_slices();
    assert_eq!(s.len(), 4);
    assert_eq!(
        (s[0].start(), s[0].end()),
        (Duration::ZERO, Duration::from_micros(20))
    );
    assert_eq!(s[1].cpu(), Some(0));
    assert_eq!(s[3].start(), Duration::from_micros(45));
    assert!(s.iter().all(|x| x.merged_us().is_none()));
}

#[test]
fn chunk_done_records_a_growing_slice() {
    let mut r = Recorder::new(Instant::now(), 3);
    let mut start = Instant::now();
    for _ in 0..100 {
        std::hint::black_box(crate::kernel::run(64, 1));
        start = r.chunk_done(7, start, 64);
    }
    let s = r.into_slices();
    // Only migrations and preemptions can split the slice.
    assert!(!s.is_empty() && s.len() <= 100);
    assert!(
        s.iter()
            .all(|x| x.worker() == 3 && x.task() == 7 && x.start() <= x.end())
    );
    assert!(s.windows(2).all(|w| w[0].end() <= w[1].start()));
}

#[test]
fn a_chunk_much_slower_than_the_fastest_leaves_a_gap() {
    let mut r = Recorder::new(Instant::now(), 0);
    let mut start = Instant::now();
    for _ in 0..5 {
        std::hint::black_box(crate::kernel::run(256, 1));
        start = r.chunk_done(0, start, 256);
    }
    // A chunk that is off the CPU for 5 ms (here: asleep) besides its work.
    std::hint::black_box(crate::kernel::run(256, 1));
    std::thread::sleep(Duration::from_millis(5));
    start = r.chunk_done(0, start, 256);
    std::hint::black_box(crate::kernel::run(256, 1));
    r.chunk_done(0, start, 256);
    let s = r.into_slices();
    let gaps: Vec<Duration> = s
        .windows(2)
        .map(|w| w[1].start().saturating_sub(w[0].end()))
        .collect();
    assert!(
        gaps.iter().any(|g| *g >= Duration::from_millis(4)),
        "no gap for the 5 ms pause in {s:?}"
    );
}

/// `n` slices of 1 µs on worker 0, tasks alternating, each followed by `gap_ns` idle.
fn alternating(n: u64, gap_ns: u64) -> Vec<Slice> {
    (0..n)
        .map(|i| {
            let start = i * (1000 + gap_ns);
            Slice::from_ns(0, (i % 2) as usize, Some(0), start, start + 1000)
        })
        .collect()
}

fn busy_ns(slices: &[Slice], task: usize) -> u64 {
    slices
        .iter()
        .filter(|s| s.task() == task)
        .map(Slice::duration_ns)
        .sum()
}

#[test]
fn a_slice_is_at_most_32_bytes() {
    assert!(std::mem::size_of::<Slice>() <= 32);
    let s = Slice::new(3, 5, None, Duration::from_nanos(7), Duration::from_nanos(9));
    assert_eq!((s.worker(), s.task(), s.cpu()), (3, 5, None));
    assert_eq!((s.start_ns(), s.end_ns()), (7, 9));
    assert_eq!(
        Slice::new(0, 0, Some(4), Duration::ZERO, Duration::ZERO).cpu(),
        Some(4)
    );
}

#[test]
fn coarsening_keeps_every_tasks_time_and_the_long_gaps() {
    // 10 000 alternating 1 µs slices, then a 5 ms gap, then 10 000 more.
    let mut slices = alternating(10_000, 0);
    let later = 10_000 * 1000 + 5_000_000;
    slices.extend(
        alternating(10_000, 0)
            .into_iter()
            .map(|s| s.shifted(i128::from(later), u64::MAX)),
    );
    let merged = coarsen(&slices, 100);
    // About two slices (one per task) per 100 µs stretch.
    assert!(
        merged.len() <= 2 * (2 * 20_000 / 100 + 2),
        "{}",
        merged.len()
    );
    assert!(merged.len() < slices.len() / 10);
    for task in 0..2 {
        assert_eq!(busy_ns(&merged, task), busy_ns(&slices, task));
    }
    assert!(merged.iter().all(|s| s.merged_us() == Some(100)));
    assert!(merged.windows(2).all(|w| w[0].end_ns() <= w[1].start_ns()));
    // The 5 ms gap is still there.
    let gap = merged
        .windows(2)
        .map(|w| w[1].start_ns() - w[0].end_ns())
        .max()
        .unwrap();
    assert!(gap >= 5_000_000 - 100_000, "{gap}");
    // A shared stretch still shows both tasks.
    let first: Vec<usize> = merged.iter().take(2).map(Slice::task).collect();
    assert_eq!(first, [0, 1]);
}

#[test]
fn long_slices_stay_as_they_are() {
    let slices = vec![
        Slice::from_ns(0, 0, Some(1), 0, 500_000),
        Slice::from_ns(0, 1, Some(1), 600_000, 900_000),
    ];
    assert_eq!(coarsen(&slices, 100), slices);
}

#[test]
fn a_recorder_never_holds_more_than_its_limit() {
    let epoch = Instant::now();
    let mut r = Recorder::with_limit(epoch, 0, 1000);
    let t = |ns| epoch + Duration::from_nanos(ns);
    for i in 0..200_000u64 {
        r.push((i % 3) as usize, Some(0), t(i * 2000), t(i * 2000 + 1500));
        assert!(r.slices.len() <= 1000);
    }
    let merged = r.merged_us().expect("it had to merge");
    let s = r.into_slices();
    assert!(s.iter().any(|x| x.merged_us() == Some(merged)));
    let total: u64 = s.iter().map(Slice::duration_ns).sum();
    assert_eq!(total, 200_000 * 1500);
}

#[test]
fn a_run_is_cut_to_its_limit_worker_by_worker() {
    let mut slices: Vec<Slice> = (0..4)
        .flat_map(|w| {
            alternating(5000, 500)
                .into_iter()
                .map(move |s| Slice { worker: w, ..s })
        })
        .collect();
    let before = slices.clone();
    assert_eq!(coarsen_run(&mut slices, 100_000, 1), None);
    assert_eq!(slices, before);
    let us = coarsen_run(&mut slices, 2000, 1).unwrap();
    assert!(slices.len() <= 2000 && us > 1, "{} at {us}", slices.len());
    for w in 0..4 {
        let own: Vec<&Slice> = slices.iter().filter(|s| s.worker == w).collect();
        assert!(own.windows(2).all(|p| p[0].end_ns() <= p[1].start_ns()));
    }
    assert_eq!(merged_us(&slices), Some(us));
}
