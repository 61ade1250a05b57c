//! One scoped OS thread per task, scheduled preemptively by the OS: anywhere it likes, or all
//! pinned to one CPU.

use super::{Run, WorkerResult, run_task};
use crate::sys;
use crate::trace::Recorder;
use crate::workload::Workload;
use std::time::Instant;

/// One thread per task, wherever the OS puts them.
pub fn run(workload: &Workload) -> Run {
    run_on(workload, None).expect("unpinned threads need no OS permission")
}

/// One thread per task, every one pinned to `cpu` when given.
pub fn run_on(workload: &Workload, cpu: Option<usize>) -> anyhow::Result<Run> {
    let epoch = Instant::now();
    let results: anyhow::Result<Vec<WorkerResult>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workload.tasks)
            .map(|task| {
                scope.spawn(move || -> anyhow::Result<WorkerResult> {
                    if let Some(cpu) = cpu {
                        sys::pin_current_thread(cpu)?;
                    }
                    Ok(WorkerResult::measure(|| {
                        let mut recorder = Recorder::sharing(epoch, task, workload.tasks);
                        let sum = run_task(workload, task, &mut recorder);
                        (sum, recorder.into_slices())
                    }))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    });
    Ok(Run::gather(epoch.elapsed(), results?))
}
