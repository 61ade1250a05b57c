//! Tasks as green threads on the project's own cooperative scheduler ([`crate::green`]), all
//! on one OS thread, pinned to one CPU when asked.
//!
//! Each task computes its chunks and yields at the end of every quantum; its waits are timer
//! sleeps that let the other tasks run meanwhile. One recorder serves every task, because they
//! all share the one thread.

use super::{Run, WorkerResult};
use crate::green::{Scheduler, SchedulerStats, yield_now};
use crate::kernel;
use crate::spawn;
use crate::sys;
use crate::trace::Recorder;
use crate::workload::{After, Workload, steps};
use std::cell::RefCell;
use std::time::Instant;

/// A green run: the measurements, what the scheduler did, and the size of one task's state.
#[derive(Debug, Clone)]
pub(crate) struct GreenRun {
    pub(crate) run: Run,
    pub(crate) scheduler: SchedulerStats,
    /// Bytes of one task's state machine: all the "stack" a green thread has.
    pub(crate) task_bytes: usize,
}

/// Runs every task as a green thread, yielding every `quantum_units` units, on one OS thread
/// pinned to `cpu` if given.
pub(crate) fn run(
    workload: &Workload,
    quantum_units: u64,
    cpu: Option<usize>,
) -> anyhow::Result<GreenRun> {
    let epoch = Instant::now();
    let (worker, scheduler, task_bytes) =
        spawn::on_thread("the green scheduler's thread", || -> anyhow::Result<_> {
            if let Some(cpu) = cpu {
                sys::pin_current_thread(cpu)?;
            }
            let mut stats = SchedulerStats::default();
            let mut task_bytes = 0;
            let worker = WorkerResult::measure(|| {
                let recorder = RefCell::new(Recorder::new(epoch, 0));
                let mut scheduler = Scheduler::new();
                let handle = scheduler.handle();
                for task in 0..workload.tasks {
                    let (recorder, handle) = (&recorder, handle.clone());
                    let (_, bytes) = scheduler.spawn(async move {
                        let seed = workload.task_seed(task);
                        let mut sum = 0;
                        let mut start = Instant::now();
                        let plan = steps(
                            workload.units_per_task,
                            workload.chunk_units,
                            Some(quantum_units),
                            workload.wait,
                        );
                        for step in plan {
                            sum =
                                kernel::combine(sum, kernel::run_range(seed, step.start, step.end));
                            start = recorder.borrow_mut().chunk_done(
                                task,
                                start,
                                step.end - step.start,
                            );
                            match step.then {
                                After::Continue => continue,
                                After::Yield => yield_now().await,
                                After::Pause(pause) => handle.sleep(pause).await,
                            }
                            start = Instant::now();
                        }
                        sum
                    });
                    task_bytes = bytes;
                }
                let (sums, s) = scheduler.run();
                stats = s;
                let checksum = sums.into_iter().fold(0, kernel::combine);
                (checksum, recorder.into_inner().into_slices())
            });
            Ok((worker, stats, task_bytes))
        })??;
    Ok(GreenRun {
        run: Run::gather(epoch.elapsed(), vec![worker]),
        scheduler,
        task_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Step, Wait, WorkSize};
    use proptest::prelude::*;
    use std::time::Duration;

    #[test]
    fn green_tasks_reproduce_the_checksum_and_alternate_at_the_quantum() {
        let workload = Workload::new(3, WorkSize::Units(4000), 5);
        let green = run(&workload, 500, None).unwrap();
        assert_eq!(green.run.checksum, workload.expected_checksum());
        // 8 quanta per task, round robin: every poll after the first is a switch.
        assert_eq!(green.scheduler.polls, 3 * 8);
        assert_eq!(green.scheduler.switches, 3 * 8 - 1);
        // Slices alternate between tasks: 0 1 2 0 1 2 ...
        let tasks: Vec<usize> = green
            .run
            .slices
            .iter()
            .map(crate::trace::Slice::task)
            .collect();
        let mut deduped = tasks.clone();
        deduped.dedup();
        assert_eq!(&deduped[..6], &[0, 1, 2, 0, 1, 2]);
        assert!(green.task_bytes > 0);
    }

    #[test]
    fn green_waits_overlap_on_the_timer() {
        let workload = Workload::new(2, WorkSize::Units(2000), 5)
            .with_wait(Duration::from_millis(20), Duration::from_micros(50));
        let green = run(&workload, 1000, None).unwrap();
        assert_eq!(green.run.checksum, workload.expected_checksum());
        assert!(green.scheduler.idle_sleeps >= 1);
    }

    /// An optional wait: (total µs of pauses per task, compute units between two pauses).
    fn waits() -> impl Strategy<Value = Option<(u64, u64)>> {
        proptest::option::of((0u64..=3000, 1u64..=3000))
    }

    proptest! {
        // Each case calibrates a workload (about 30 ms) and runs it: keep the count small.
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn any_green_run_completes_with_every_task_and_no_overlap(
            tasks in 1usize..=6,
            units in 1u64..=3000,
            quantum in 1u64..=2000,
            wait in waits(),
        ) {
            let mut workload = Workload::new(tasks, WorkSize::Units(units), 7);
            workload.wait = wait.map(|(total_us, every)| {
                Wait::spread(Duration::from_micros(total_us), every, units)
            });
            let green = run(&workload, quantum, None).unwrap();
            prop_assert_eq!(green.run.checksum, workload.expected_checksum());
            let slices = &green.run.slices;
            for task in 0..tasks {
                prop_assert!(
                    slices.iter().any(|s| s.task() == task),
                    "task {} has no slice: {:?}", task, slices
                );
            }
            // One OS thread runs every green task: its slices follow each other in time.
            prop_assert!(slices.iter().all(|s| s.worker() == 0 && s.start() <= s.end()));
            for pair in slices.windows(2) {
                prop_assert!(pair[0].end() <= pair[1].start(), "overlap: {:?}", pair);
            }
            prop_assert!(slices.iter().all(|s| s.end() <= green.run.wall));
            if workload.wait.is_none() {
                // A task is polled once at the start and once after each of its yields.
                let yields = steps(units, workload.chunk_units, Some(quantum), None)
                    .filter(|s| s.then == After::Yield)
                    .count() as u64;
                prop_assert_eq!(green.scheduler.polls, tasks as u64 * (yields + 1));
            }
        }
    }

    proptest! {
        // Pure and cheap: many cases.
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn steps_cover_the_task_and_respect_chunk_quantum_and_wait(
            units in 1u64..=20_000,
            chunk in 1u64..=1000,
            quantum in proptest::option::of(1u64..=2000),
            wait in proptest::option::of((0u64..=10_000_000, 1u64..=30_000)),
        ) {
            let wait = wait.map(|(ns, every)| Wait::spread(Duration::from_nanos(ns), every, units));
            let all: Vec<Step> = steps(units, chunk, quantum, wait).collect();
            let ctx = format!("units {units}, chunk {chunk}, quantum {quantum:?}, wait {wait:?}");
            prop_assert_eq!(all.first().map(|s| s.start), Some(0), "{}", ctx);
            prop_assert_eq!(all.last().map(|s| s.end), Some(units), "{}", ctx);
            for pair in all.windows(2) {
                prop_assert_eq!(pair[0].end, pair[1].start, "{}", ctx);
            }
            for step in &all {
                let len = step.end - step.start;
                prop_assert!(len >= 1 && len <= chunk, "{:?}: {}", step, ctx);
                prop_assert!(quantum.is_none_or(|q| len <= q), "{:?}: {}", step, ctx);
            }
            // A task ends: it does not yield on its way out.
            prop_assert_ne!(all.last().unwrap().then, After::Yield, "{}", ctx);
            let pauses: Vec<u64> = all
                .iter()
                .filter(|s| matches!(s.then, After::Pause(_)))
                .map(|s| s.end)
                .collect();
            match wait {
                Some(w) => {
                    prop_assert_eq!(pauses.len() as u64, units.div_ceil(w.every_units), "{}", ctx);
                    // A pause after every `every_units` units, and after the last stretch.
                    for (i, end) in pauses.iter().enumerate() {
                        prop_assert_eq!(*end, ((i as u64 + 1) * w.every_units).min(units), "{}", ctx);
                    }
                    for step in &all {
                        if let After::Pause(p) = step.then {
                            prop_assert_eq!(p, w.pause(), "{}", ctx);
                        }
                    }
                }
                None => prop_assert!(pauses.is_empty(), "{}", ctx),
            }
            // A yield comes exactly one quantum after the task last yielded or paused, and never
            // more than a quantum of compute passes without one.
            let mut since = 0;
            for step in &all {
                match step.then {
                    After::Yield => {
                        prop_assert_eq!(Some(step.end - since), quantum, "{:?}: {}", step, ctx);
                        since = step.end;
                    }
                    After::Pause(_) => since = step.end,
                    After::Continue => {}
                }
                if let Some(q) = quantum {
                    prop_assert!(step.end - since < q || step.end == units, "{:?}: {}", step, ctx);
                }
            }
        }
    }
}
