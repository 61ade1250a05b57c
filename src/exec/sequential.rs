//! The baseline: every task one after another on one thread.

use super::{Run, WorkerResult, run_task};
use crate::kernel;
use crate::spawn;
use crate::sys;
use crate::trace::Recorder;
use crate::workload::Workload;
use std::time::Instant;

/// Runs the tasks one after another on the calling thread.
pub fn run(workload: &Workload) -> Run {
    let epoch = Instant::now();
    let worker = all_tasks(workload, epoch);
    Run::gather(epoch.elapsed(), vec![worker])
}

/// Runs the tasks one after another on a thread pinned to `cpu`.
pub(crate) fn run_pinned(workload: &Workload, cpu: usize) -> anyhow::Result<Run> {
    let epoch = Instant::now();
    let worker = spawn::on_thread("the sequential thread", || -> anyhow::Result<_> {
        sys::pin_current_thread(cpu)?;
        Ok(all_tasks(workload, epoch))
    })??;
    Ok(Run::gather(epoch.elapsed(), vec![worker]))
}

fn all_tasks(workload: &Workload, epoch: Instant) -> WorkerResult {
    WorkerResult::measure(|| {
        let mut recorder = Recorder::new(epoch, 0);
        let checksum = (0..workload.tasks).fold(0, |acc, task| {
            kernel::combine(acc, run_task(workload, task, &mut recorder))
        });
        (checksum, recorder.into_slices())
    })
}
