//! Tasks as green threads on the project's own cooperative scheduler ([`crate::green`]), all
//! on one OS thread, pinned to one CPU when asked.
//!
//! Each task computes its chunks and yields at the end of every quantum; its waits are timer
//! sleeps that let the other tasks run meanwhile. One recorder serves every task, because they
//! all share the one thread.

use super::{Run, WorkerResult};
use crate::green::{Scheduler, SchedulerStats, yield_now};
use crate::kernel;
use crate::sys;
use crate::trace::Recorder;
use crate::workload::{After, Workload, steps};
use std::cell::RefCell;
use std::time::Instant;

/// A green run: the measurements, what the scheduler did, and the size of one task's state.
#[derive(Debug, Clone)]
pub struct GreenRun {
    pub run: Run,
    pub scheduler: SchedulerStats,
    /// Bytes of one task's state machine: all the "stack" a green thread has.
    pub task_bytes: usize,
}

/// Runs every task as a green thread, yielding every `quantum_units` units, on one OS thread
/// pinned to `cpu` if given.
pub fn run(
    workload: &Workload,
    quantum_units: u64,
    cpu: Option<usize>,
) -> anyhow::Result<GreenRun> {
    let epoch = Instant::now();
    let (worker, scheduler, task_bytes) = std::thread::scope(|scope| {
        scope
            .spawn(|| -> anyhow::Result<_> {
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
                                sum = kernel::combine(
                                    sum,
                                    kernel::run_range(seed, step.start, step.end),
                                );
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
            })
            .join()
            .expect("the green scheduler's thread panicked")
    })?;
    Ok(GreenRun {
        run: Run::gather(epoch.elapsed(), vec![worker]),
        scheduler,
        task_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkSize;
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
        let tasks: Vec<usize> = green.run.slices.iter().map(|s| s.task).collect();
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
}
