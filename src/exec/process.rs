//! One child process per task: the `conpar` binary re-executed as the hidden `worker`
//! subcommand.
//!
//! Processes share no memory, so each child sends its results back over a pipe (its stdout)
//! as a [`WorkerReport`]: its start on the system-wide monotonic clock, its slices relative to
//! that start, its context switches and its checksum. The parent shifts every slice onto its
//! own epoch, so processes draw on the same timeline as threads. The command line that starts
//! a worker and the lines it prints are both spelled in [`super::worker`].
//!
//! Starting, reading and reaping the children is [`super::children`]'s part.

use super::children::{Watch, current_exe, run_children};
use super::worker::{WorkerArgs, WorkerCommand, WorkerReport};
use super::{Run, WorkerResult, run_task};
use crate::sys;
use crate::trace::Recorder;
use crate::workload::{Wait, Workload};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// What one worker process runs: one task of a workload, optionally pinned to one CPU.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WorkerSpec {
    pub(crate) task: usize,
    pub(crate) units: u64,
    pub(crate) seed: u64,
    pub(crate) chunk_units: u64,
    pub(crate) cpu: Option<usize>,
    pub(crate) wait: Option<Wait>,
}

impl WorkerSpec {
    /// The worker subcommand that runs this spec in a child process.
    pub(crate) fn command(&self) -> WorkerCommand {
        WorkerCommand::Worker(WorkerArgs::of(self))
    }
}

/// Runs a worker: the body of the hidden `conpar worker` subcommand.
/// The caller first makes the process die with its parent ([`sys::die_with_parent`]).
pub(crate) fn worker(spec: &WorkerSpec, out: &mut impl Write) -> anyhow::Result<()> {
    if let Some(cpu) = spec.cpu {
        sys::pin_current_thread(cpu)?;
    }
    let workload = Workload {
        tasks: spec.task + 1,
        units_per_task: spec.units,
        seed: spec.seed,
        chunk_units: spec.chunk_units.max(1),
        unit_ns: 0.0,
        task_time_ms: None,
        wait: spec.wait,
    };
    let epoch_ns = sys::monotonic_ns().unwrap_or(0);
    let epoch = Instant::now();
    let mut recorder = Recorder::new(epoch, spec.task);
    let checksum = run_task(&workload, spec.task, &mut recorder);
    WorkerReport {
        epoch_ns,
        slices: recorder.into_slices(),
        switches: sys::process_context_switches(),
        checksum,
        ..WorkerReport::default()
    }
    .write(out)
}

/// Runs every task of `workload` in its own child process of `exe`, pinned to `cpu` if given.
pub fn run_with(exe: &Path, workload: &Workload, cpu: Option<usize>) -> anyhow::Result<Run> {
    let waits = workload
        .wait
        .map_or(0.0, |w| w.total_ms / 1e3 * workload.tasks as f64);
    let expected = workload.estimated_pass() + Duration::from_secs_f64(waits.clamp(0.0, 1e9));
    let epoch_ns = sys::monotonic_ns();
    let epoch = Instant::now();
    let workers: Vec<WorkerCommand> = (0..workload.tasks)
        .map(|task| {
            WorkerSpec {
                task,
                units: workload.units_per_task,
                seed: workload.seed,
                chunk_units: workload.chunk_units,
                cpu,
                wait: workload.wait,
            }
            .command()
        })
        .collect();
    let mut per_worker = Vec::with_capacity(workers.len());
    let longest_wait = workload.wait.map_or(Duration::ZERO, |w| w.pause());
    let watch = Watch::new(expected, workers.len(), longest_wait);
    for stdout in run_children(exe, &workers, &watch)? {
        per_worker.push(task_result(&stdout, epoch_ns)?);
    }
    Ok(Run::gather(epoch.elapsed(), per_worker))
}

/// Runs the tasks in child processes of this very executable.
pub(crate) fn run(workload: &Workload, cpu: Option<usize>) -> anyhow::Result<Run> {
    let exe = current_exe()?;
    run_with(&exe, workload, cpu)
}

/// Reads what a plain (not `--gil`) worker printed and puts its slices on the parent's epoch
/// (`parent_epoch_ns` on the monotonic clock; where the OS has none, slices stay relative to
/// the child's start).
pub(crate) fn task_result(
    text: &str,
    parent_epoch_ns: Option<u64>,
) -> anyhow::Result<WorkerResult> {
    let report = WorkerReport::parse(text)?
        .plain()?
        .on_parent_epoch(parent_epoch_ns);
    Ok(WorkerResult {
        checksum: report.checksum,
        slices: report.slices,
        context_switches: report.switches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_output_round_trips() {
        let spec = WorkerSpec {
            task: 1,
            units: 2000,
            seed: 3,
            chunk_units: 100,
            cpu: None,
            wait: None,
        };
        let mut out = Vec::new();
        worker(&spec, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let result = task_result(&text, None).unwrap();
        assert!(cfg!(not(target_os = "linux")) || result.context_switches.is_some());
        let (checksum, slices) = (result.checksum, result.slices);
        assert_eq!(
            checksum,
            crate::kernel::run(2000, crate::kernel::task_seed(3, 1))
        );
        assert!(!slices.is_empty());
        assert!(slices.iter().all(|s| s.task() == 1 && s.start() <= s.end()));
    }

    #[test]
    fn a_plain_worker_reports_no_lock_counts() {
        assert!(task_result("epoch 0\ndone 0\n", None).is_ok());
        assert!(task_result("gil 1 2 3 4 5 6 7\nepoch 0\ndone 0\n", None).is_err());
        assert!(task_result("request 1 2\ndone 0\n", None).is_err());
        assert!(task_result("epoch 1\n", None).is_err(), "no checksum");
    }
}
