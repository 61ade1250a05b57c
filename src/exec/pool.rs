//! Tasks on a rayon pool of a fixed number of workers: the work-stealing way to use all cores.

use super::{Run, WorkerResult, run_task};
use crate::trace::Recorder;
use crate::workload::Workload;
use anyhow::Context;
use rayon::prelude::*;
use std::time::Instant;

/// A rayon pool built once and reused by every run, so runs measure work, not pool start-up.
pub struct Pool {
    pool: rayon::ThreadPool,
}

impl Pool {
    pub fn new(workers: usize) -> anyhow::Result<Pool> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("conpar-rayon-{i}"))
            .build()
            .with_context(|| format!("cannot start a rayon pool of {workers} threads"))?;
        Ok(Pool { pool })
    }

    pub fn workers(&self) -> usize {
        self.pool.current_num_threads()
    }

    pub fn run(&self, workload: &Workload) -> Run {
        let epoch = Instant::now();
        let results: Vec<WorkerResult> = self.pool.install(|| {
            (0..workload.tasks)
                .into_par_iter()
                .map(|task| {
                    let worker = rayon::current_thread_index().unwrap_or(0);
                    let mut recorder = Recorder::new(epoch, worker);
                    let checksum = run_task(workload, task, &mut recorder);
                    // A pool thread serves many tasks: its switch counts are not this task's.
                    WorkerResult {
                        checksum,
                        slices: recorder.into_slices(),
                        context_switches: None,
                    }
                })
                .collect()
        });
        Run::gather(epoch.elapsed(), results)
    }
}
