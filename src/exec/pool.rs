//! Tasks on a rayon pool of a fixed number of workers: the work-stealing way to use all cores.

use super::{Run, WorkerResult, run_task_range};
use crate::kernel;
use crate::trace::Recorder;
use crate::workload::Workload;
use anyhow::Context;
use rayon::prelude::*;
use std::time::Instant;

/// A rayon pool of a fixed number of workers; [`Pool::wait_ready`] before a timed run, so that
/// runs measure work, not pool start-up.
pub struct Pool {
    pool: rayon::ThreadPool,
}

impl Pool {
    /// Starts the pool's threads; fails, with the reason, where they cannot all be created.
    pub fn new(workers: usize) -> anyhow::Result<Pool> {
        let what = || format!("cannot start a rayon pool of {workers} threads");
        crate::spawn::check_room_for(workers).with_context(what)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("conpar-rayon-{i}"))
            .build()
            .with_context(what)?;
        Ok(Pool { pool })
    }

    pub(crate) fn workers(&self) -> usize {
        self.pool.current_num_threads()
    }

    pub fn run(&self, workload: &Workload) -> Run {
        self.run_split(workload, 0)
    }

    /// Amdahl's two phases: the first `serial_units` units of every task, one task after
    /// another on the calling thread (recorded as worker `workers()`), then the rest of every
    /// task on the pool. Any split gives the same total work and the same checksum as
    /// [`Pool::run`].
    pub(crate) fn run_split(&self, workload: &Workload, serial_units: u64) -> Run {
        let epoch = Instant::now();
        let serial_units = serial_units.min(workload.units_per_task);
        let mut serial = Recorder::sharing(epoch, self.workers(), workload.tasks + 1);
        let serial_sum = (0..workload.tasks).fold(0, |acc, task| {
            let sum = run_task_range(workload, task, 0, serial_units, &mut serial);
            kernel::combine(acc, sum)
        });
        let mut results: Vec<WorkerResult> = self.pool.install(|| {
            (0..workload.tasks)
                .into_par_iter()
                .map(|task| {
                    let worker = rayon::current_thread_index().unwrap_or(0);
                    let mut recorder = Recorder::sharing(epoch, worker, workload.tasks + 1);
                    let sum = run_task_range(
                        workload,
                        task,
                        serial_units,
                        workload.units_per_task,
                        &mut recorder,
                    );
                    // A pool thread serves many tasks: its switch counts are not this task's.
                    WorkerResult {
                        checksum: sum,
                        slices: recorder.into_slices(),
                        context_switches: None,
                    }
                })
                .collect()
        });
        results.push(WorkerResult {
            checksum: serial_sum,
            slices: serial.into_slices(),
            context_switches: None,
        });
        Run::gather(epoch.elapsed(), results)
    }

    /// Waits until every worker thread has started, so that a timed run right after
    /// [`Pool::new`] does not pay for starting threads.
    pub(crate) fn wait_ready(&self) {
        self.pool.broadcast(|_| ());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkSize;

    #[test]
    fn any_serial_split_keeps_the_checksum() {
        let w = Workload::new(5, WorkSize::Units(1000), 3);
        let pool = Pool::new(2).unwrap();
        pool.wait_ready();
        for serial in [0, 1, 255, 256, 500, 999, 1000, 5000] {
            let run = pool.run_split(&w, serial);
            assert_eq!(run.checksum, w.expected_checksum(), "serial {serial}");
        }
    }

    #[test]
    fn the_serial_part_runs_first_on_the_calling_thread() {
        let w = Workload::new(4, WorkSize::Units(2000), 3);
        let pool = Pool::new(2).unwrap();
        let run = pool.run_split(&w, 1000);
        let serial_end = run
            .slices
            .iter()
            .filter(|s| s.worker() == 2)
            .map(crate::trace::Slice::end)
            .max()
            .unwrap();
        let parallel_start = run
            .slices
            .iter()
            .filter(|s| s.worker() < 2)
            .map(crate::trace::Slice::start)
            .min()
            .unwrap();
        assert!(serial_end <= parallel_start);
    }
}
