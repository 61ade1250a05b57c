//! One child process per task: the `conpar` binary re-executed as the hidden `worker`
//! subcommand.
//!
//! Processes share no memory, so each child sends its results back over a pipe (its stdout),
//! one line each: `epoch <ns>` (its start on the system-wide monotonic clock), then `slice
//! <task> <cpu|-> <start_ns> <end_ns>` per measured slice relative to that start, its context switches `switches <voluntary>
//! <involuntary>`, and finally `done <checksum>`. The parent shifts every slice onto its own epoch, so processes draw on
//! the same timeline as threads. No child outlives the parent: each asks the kernel to kill it
//! when the parent dies (`PR_SET_PDEATHSIG`), and the parent kills and reaps any child still
//! running when it returns early.

use super::{Run, WorkerResult, run_task};
use crate::interrupt;
use crate::sys::{self, ContextSwitches};
use crate::trace::{Recorder, Slice};
use crate::workload::{Wait, Workload};
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one worker process runs: one task of a workload, optionally pinned to one CPU.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSpec {
    pub task: usize,
    pub units: u64,
    pub seed: u64,
    pub chunk_units: u64,
    pub cpu: Option<usize>,
    pub wait: Option<Wait>,
}

impl WorkerSpec {
    /// The arguments that make `conpar` run this spec as a worker.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "worker".to_string(),
            format!("--task={}", self.task),
            format!("--units={}", self.units),
            format!("--seed={}", self.seed),
            format!("--chunk-units={}", self.chunk_units),
        ];
        if let Some(cpu) = self.cpu {
            args.push(format!("--cpu={cpu}"));
        }
        if let Some(wait) = self.wait {
            args.push(format!("--wait-every-units={}", wait.every_units));
            args.push(format!("--pause-ns={}", wait.pause_ns));
        }
        args
    }
}

/// Runs a worker: the body of the hidden `conpar worker` subcommand.
/// The caller first makes the process die with its parent ([`sys::die_with_parent`]).
pub fn worker(spec: &WorkerSpec, out: &mut impl Write) -> anyhow::Result<()> {
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
    let text = worker_output(epoch_ns, &recorder.into_slices(), checksum);
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// A worker's report in the protocol of the module documentation: its start on the monotonic
/// clock (0 where unknown), its slices relative to that start, and its checksum.
pub fn worker_output(epoch_ns: u64, slices: &[Slice], checksum: u64) -> String {
    let mut text = format!("epoch {epoch_ns}\n");
    for s in slices {
        let cpu = s.cpu().map_or_else(|| "-".to_string(), |c| c.to_string());
        text.push_str(&format!(
            "slice {} {cpu} {} {}",
            s.task(),
            s.start_ns(),
            s.end_ns()
        ));
        // A slice merged at a coarser resolution says so (see crate::trace).
        if let Some(us) = s.merged_us() {
            text.push_str(&format!(" {us}"));
        }
        text.push('\n');
    }
    if let Some(sw) = sys::process_context_switches() {
        text.push_str(&format!("switches {} {}\n", sw.voluntary, sw.involuntary));
    }
    text.push_str(&format!("done {checksum:016x}\n"));
    text
}

/// Children that are killed and reaped if they are still running when this is dropped.
#[derive(Default)]
pub struct Reaper(pub Vec<Child>);

impl Reaper {
    /// Starts `command` and keeps its child, registered for clean-up on Ctrl-C.
    pub fn spawn(&mut self, command: &mut Command) -> std::io::Result<&mut Child> {
        let child = command.spawn()?;
        interrupt::register_child(child.id());
        self.0.push(child);
        Ok(self.0.last_mut().expect("just pushed"))
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
            interrupt::forget_child(child.id());
        }
    }
}

/// Runs every task of `workload` in its own child process of `exe`, pinned to `cpu` if given.
pub fn run_with(exe: &Path, workload: &Workload, cpu: Option<usize>) -> anyhow::Result<Run> {
    let epoch_ns = sys::monotonic_ns();
    let epoch = Instant::now();
    let args: Vec<Vec<String>> = (0..workload.tasks)
        .map(|task| {
            WorkerSpec {
                task,
                units: workload.units_per_task,
                seed: workload.seed,
                chunk_units: workload.chunk_units,
                cpu,
                wait: workload.wait,
            }
            .args()
        })
        .collect();
    let mut per_worker = Vec::with_capacity(args.len());
    for stdout in run_children(exe, &args)? {
        per_worker.push(parse_worker_output(&stdout, epoch_ns)?);
    }
    Ok(Run::gather(epoch.elapsed(), per_worker))
}

/// Starts one child process of `exe` per argument list, all at once, and returns what each
/// wrote on stdout once all have ended. A child that fails is an error quoting the first line
/// of its stderr; children still running when this returns early are killed, and every child
/// is reaped.
pub fn run_children(exe: &Path, args: &[Vec<String>]) -> anyhow::Result<Vec<String>> {
    let mut children = Reaper::default();
    for child_args in args {
        children
            .spawn(
                Command::new(exe)
                    .args(child_args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped()),
            )
            .with_context(|| format!("cannot start worker process {}", exe.display()))?;
    }
    let outputs: Vec<anyhow::Result<(String, String)>> = std::thread::scope(|scope| {
        let readers: Vec<_> = children
            .0
            .iter_mut()
            .map(|child| {
                let mut stdout = child.stdout.take().expect("piped stdout");
                let mut stderr = child.stderr.take().expect("piped stderr");
                scope.spawn(move || {
                    let mut out = String::new();
                    let mut err = String::new();
                    stdout.read_to_string(&mut out)?;
                    stderr.read_to_string(&mut err)?;
                    Ok((out, err))
                })
            })
            .collect();
        readers
            .into_iter()
            .map(|r| r.join().expect("a pipe reader panicked"))
            .collect()
    });
    let mut stdouts = Vec::with_capacity(outputs.len());
    for (task, (child, output)) in children.0.iter_mut().zip(outputs).enumerate() {
        let status = child.wait().context("cannot wait for a worker process")?;
        let (stdout, stderr) = output.context("cannot read a worker's pipe")?;
        if !status.success() {
            bail!(
                "worker process for task {task} failed ({status}): {}",
                stderr.lines().next().unwrap_or("no message")
            );
        }
        stdouts.push(stdout);
    }
    Ok(stdouts)
}

/// Runs the tasks in child processes of this very executable.
pub fn run(workload: &Workload, cpu: Option<usize>) -> anyhow::Result<Run> {
    let exe = current_exe()?;
    run_with(&exe, workload, cpu)
}

/// The running `conpar` binary, to re-execute as a worker.
pub fn current_exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("cannot find the conpar executable to start workers")
}

/// Reads a worker's output and puts its slices on the parent's epoch (`parent_epoch_ns` on
/// the monotonic clock; where the OS has none, slices stay relative to the child's start).
pub fn parse_worker_output(
    text: &str,
    parent_epoch_ns: Option<u64>,
) -> anyhow::Result<WorkerResult> {
    let mut offset_ns: i128 = 0;
    let mut context_switches = None;
    let mut slices = Vec::new();
    let mut checksum = None;
    for line in BufReader::new(text.as_bytes()).lines() {
        let line = line?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        let bad = || anyhow::anyhow!("malformed worker output line: {line:?}");
        match fields.as_slice() {
            ["epoch", ns] => {
                let child: u64 = ns.parse().map_err(|_| bad())?;
                if let Some(parent) = parent_epoch_ns.filter(|_| child > 0) {
                    offset_ns = child as i128 - parent as i128;
                }
            }
            ["slice", task, cpu, start, end, merged @ ..] if merged.len() <= 1 => {
                let shift = |ns: &str| -> anyhow::Result<Duration> {
                    let ns: i128 = ns.parse().map_err(|_| bad())?;
                    Ok(Duration::from_nanos((ns + offset_ns).max(0) as u64))
                };
                let task: usize = task.parse().map_err(|_| bad())?;
                let mut slice =
                    Slice::new(task, task, cpu.parse().ok(), shift(start)?, shift(end)?);
                if let Some(us) = merged.first() {
                    slice = slice.with_merged_us(us.parse().map_err(|_| bad())?);
                }
                slices.push(slice);
            }
            ["switches", voluntary, involuntary] => {
                context_switches = Some(ContextSwitches {
                    voluntary: voluntary.parse().map_err(|_| bad())?,
                    involuntary: involuntary.parse().map_err(|_| bad())?,
                });
            }
            ["done", sum] => checksum = Some(u64::from_str_radix(sum, 16).map_err(|_| bad())?),
            _ => return Err(bad()),
        }
    }
    let checksum = checksum.context("a worker ended without reporting its checksum")?;
    Ok(WorkerResult {
        checksum,
        slices,
        context_switches,
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
        let result = parse_worker_output(&text, None).unwrap();
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
    fn slices_move_onto_the_parent_epoch() {
        let text = "epoch 5000\nslice 0 1 100 200\ndone 00000000000000ff\n";
        let result = parse_worker_output(text, Some(4000)).unwrap();
        let (sum, slices) = (result.checksum, result.slices);
        assert_eq!(sum, 255);
        assert_eq!(slices[0].start(), Duration::from_nanos(1100));
        assert_eq!(slices[0].end(), Duration::from_nanos(1200));
        assert_eq!(slices[0].cpu(), Some(1));
    }

    #[test]
    fn bad_worker_output_is_an_error() {
        assert!(parse_worker_output("epoch 1\n", None).is_err());
        assert!(parse_worker_output("slice x\ndone 0\n", None).is_err());
        assert!(parse_worker_output("hello\n", None).is_err());
    }

    #[test]
    fn specs_become_arguments() {
        let spec = WorkerSpec {
            task: 2,
            units: 10,
            seed: 1,
            chunk_units: 5,
            cpu: Some(0),
            wait: None,
        };
        assert_eq!(spec.args()[0], "worker");
        assert!(spec.args().contains(&"--cpu=0".to_string()));
    }
}
