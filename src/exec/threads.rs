//! One scoped OS thread per task, scheduled preemptively by the OS: anywhere it likes, all
//! pinned to one CPU, or each pinned to a CPU of a placement.

use super::{Run, WorkerResult, run_task};
use crate::spawn;
use crate::sys;
use crate::trace::Recorder;
use crate::workload::Workload;
use std::time::Instant;

/// One thread per task, wherever the OS puts them. Fails only where a thread cannot be created.
pub fn run(workload: &Workload) -> anyhow::Result<Run> {
    run_on(workload, &[])
}

/// One thread per task, task i pinned to the i-th of `cpus` (round again where the tasks
/// outnumber them; nowhere in particular where `cpus` is empty). Where a thread cannot be
/// created, those already started finish their task (they wait for nobody) and the run fails.
pub(crate) fn run_on(workload: &Workload, cpus: &[usize]) -> anyhow::Result<Run> {
    let epoch = Instant::now();
    let results = spawn::on_threads(
        "task threads",
        workload.tasks,
        || {},
        |task| -> anyhow::Result<WorkerResult> {
            if !cpus.is_empty() {
                sys::pin_current_thread(cpus[task % cpus.len()])?;
            }
            Ok(WorkerResult::measure(|| {
                let mut recorder = Recorder::sharing(epoch, task, workload.tasks);
                let sum = run_task(workload, task, &mut recorder);
                (sum, recorder.into_slices())
            }))
        },
    )?;
    let results = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Run::gather(epoch.elapsed(), results))
}
