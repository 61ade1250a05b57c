//! One scoped OS thread per task, scheduled preemptively by the OS: anywhere it likes, or all
//! pinned to one CPU.

use super::{Run, WorkerResult, run_task};
use crate::spawn;
use crate::sys;
use crate::trace::Recorder;
use crate::workload::Workload;
use std::time::Instant;

/// One thread per task, wherever the OS puts them. Fails only where a thread cannot be created.
pub fn run(workload: &Workload) -> anyhow::Result<Run> {
    run_on(workload, None)
}

/// One thread per task, every one pinned to `cpu` when given. Where a thread cannot be
/// created, those already started finish their task (they wait for nobody) and the run fails.
pub(crate) fn run_on(workload: &Workload, cpu: Option<usize>) -> anyhow::Result<Run> {
    let epoch = Instant::now();
    let results = spawn::on_threads(
        "task threads",
        workload.tasks,
        || {},
        |task| -> anyhow::Result<WorkerResult> {
            if let Some(cpu) = cpu {
                sys::pin_current_thread(cpu)?;
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
