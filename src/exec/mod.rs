//! Executors: each runs a [`Workload`] one way and returns a [`Run`].
//!
//! Executors measure and never format. They are sibling functions over the same chunk loop,
//! [`run_task`], so the only thing that differs between them is who runs the tasks where.

pub(crate) mod children;
pub(crate) mod cpython;
pub mod gil;
pub(crate) mod green;
pub mod pool;
pub mod process;
pub mod race;
pub mod sequential;
pub mod switch_cost;
pub mod threads;
pub(crate) mod worker;

use crate::kernel;
use crate::sys::{self, ContextSwitches};
use crate::trace::{self, Recorder, Slice};
use crate::workload::{After, Workload, steps};
use std::time::{Duration, Instant};

/// What one execution of a workload cost and produced.
#[derive(Debug, Clone)]
pub struct Run {
    /// Wall-clock time from the first task's start to the last task's end.
    pub wall: Duration,
    /// Combined checksum of all tasks; must equal [`Workload::expected_checksum`].
    pub checksum: u64,
    /// What ran where and when, on the run's epoch.
    pub slices: Vec<Slice>,
    /// Context switches of the threads (or processes) that ran the tasks, where counted.
    pub(crate) context_switches: Option<ContextSwitches>,
}

impl Run {
    /// Combines the per-worker results of a run that took `wall`, keeping at most
    /// [`trace::MAX_RUN_SLICES`] slices (merged coarser where they were more).
    pub(crate) fn gather(wall: Duration, per_worker: Vec<WorkerResult>) -> Run {
        let mut checksum = 0;
        // One worker's slices move as they are; several are copied once, into room for all.
        let total = per_worker.iter().map(|w| w.slices.len()).sum();
        let mut slices = Vec::with_capacity(if per_worker.len() == 1 { 0 } else { total });
        let mut switches: Option<ContextSwitches> = Some(ContextSwitches::default());
        for worker in per_worker {
            checksum = kernel::combine(checksum, worker.checksum);
            if slices.is_empty() {
                slices = worker.slices;
            } else {
                slices.extend(worker.slices);
            }
            switches = switches.zip(worker.context_switches).map(|(a, b)| a + b);
        }
        let from = trace::merged_us(&slices).map_or(1, |us| us.saturating_mul(2));
        trace::coarsen_run(&mut slices, trace::MAX_RUN_SLICES, from);
        Run {
            wall,
            checksum,
            slices,
            context_switches: switches,
        }
    }
}

/// What one worker (thread or process) of a run reports.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkerResult {
    pub(crate) checksum: u64,
    pub(crate) slices: Vec<Slice>,
    /// Its context switches during the run, where the OS counts them.
    pub(crate) context_switches: Option<ContextSwitches>,
}

impl WorkerResult {
    /// Runs `body` on this thread and notes the context switches it went through.
    pub(crate) fn measure(body: impl FnOnce() -> (u64, Vec<Slice>)) -> WorkerResult {
        let before = sys::thread_context_switches();
        let (checksum, slices) = body();
        let after = sys::thread_context_switches();
        WorkerResult {
            checksum,
            slices,
            context_switches: before.zip(after).map(|(b, a)| a.since(b)),
        }
    }
}

/// Runs task `task` of `workload` chunk by chunk on this thread, recording each chunk and
/// sleeping through the workload's waits; returns the task's checksum.
pub fn run_task(workload: &Workload, task: usize, recorder: &mut Recorder) -> u64 {
    run_task_range(workload, task, 0, workload.units_per_task, recorder)
}

/// Runs units `from..to` of task `task` chunk by chunk, recording each chunk, and returns their
/// checksum: any split of a task into ranges adds up to the task's checksum.
pub(crate) fn run_task_range(
    workload: &Workload,
    task: usize,
    from: u64,
    to: u64,
    recorder: &mut Recorder,
) -> u64 {
    let seed = workload.task_seed(task);
    let mut sum = 0;
    let mut start = Instant::now();
    // The waits belong to the stretch run here: a task split in ranges (an Amdahl serial phase)
    // spreads them over the ranges.
    for step in steps(to - from, workload.chunk_units, None, workload.wait) {
        let (first, last) = (from + step.start, from + step.end);
        sum = kernel::combine(sum, kernel::run_range(seed, first, last));
        start = recorder.chunk_done(task, start, last - first);
        if let After::Pause(pause) = step.then {
            std::thread::sleep(pause);
            start = Instant::now();
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkSize;

    fn workload(tasks: usize) -> Workload {
        Workload::new(tasks, WorkSize::Units(3000), 11)
    }

    #[test]
    fn every_executor_reproduces_the_sequential_checksum() {
        for tasks in [1, 2, 5] {
            let w = workload(tasks);
            let expected = w.expected_checksum();
            assert_eq!(sequential::run(&w).checksum, expected);
            assert_eq!(threads::run(&w).unwrap().checksum, expected);
            for workers in [1, 2, 3] {
                let pool = pool::Pool::new(workers).unwrap();
                assert_eq!(pool.run(&w).checksum, expected);
            }
        }
    }

    #[test]
    fn slices_cover_every_task_and_stay_inside_the_run() {
        let w = workload(3);
        for run in [sequential::run(&w), threads::run(&w).unwrap()] {
            for task in 0..3 {
                assert!(run.slices.iter().any(|s| s.task() == task));
            }
            assert!(
                run.slices
                    .iter()
                    .all(|s| s.start() <= s.end() && s.end() <= run.wall)
            );
        }
    }

    #[test]
    fn sequential_runs_tasks_in_order_on_one_worker() {
        let run = sequential::run(&workload(3));
        assert!(run.slices.iter().all(|s| s.worker() == 0));
        assert!(run.slices.windows(2).all(|p| p[0].task() <= p[1].task()));
    }
}
