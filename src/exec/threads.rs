//! One scoped OS thread per task, scheduled wherever the OS likes.

use super::{Run, run_task};
use crate::trace::Recorder;
use crate::workload::Workload;
use std::time::Instant;

pub fn run(workload: &Workload) -> Run {
    let epoch = Instant::now();
    let results: Vec<(u64, Vec<_>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workload.tasks)
            .map(|task| {
                scope.spawn(move || {
                    let mut recorder = Recorder::new(epoch, task);
                    let sum = run_task(workload, task, &mut recorder);
                    (sum, recorder.into_slices())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    });
    Run::gather(epoch.elapsed(), results)
}
