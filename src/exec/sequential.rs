//! The baseline: every task one after another on the calling thread.

use super::{Run, run_task};
use crate::kernel;
use crate::trace::Recorder;
use crate::workload::Workload;
use std::time::Instant;

pub fn run(workload: &Workload) -> Run {
    let epoch = Instant::now();
    let mut recorder = Recorder::new(epoch, 0);
    let checksum = (0..workload.tasks).fold(0, |acc, task| {
        kernel::combine(acc, run_task(workload, task, &mut recorder))
    });
    Run {
        wall: epoch.elapsed(),
        checksum,
        slices: recorder.into_slices(),
    }
}
