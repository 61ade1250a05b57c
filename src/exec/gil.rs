//! Running tasks as "bytecode" under a [`Gil`]: on threads that share one lock, one after
//! another on one thread, or in child processes that each have their own lock.
//!
//! A task is cut into steps of `step_units` kernel units, the work an interpreter does between
//! two checks of its eval breaker. A thread must hold the lock to run a step and calls
//! [`Gil::check`] between steps. An I/O-bound task makes requests: each releases the lock,
//! waits (`Py_BEGIN_ALLOW_THREADS` around a blocking call), takes the lock back and runs one
//! step to handle the answer; the request's latency runs from the release to the end of that
//! step. Every executor records what the lock did to each thread, and the slices it records
//! are the steps a thread actually ran, so they lie inside its hold intervals: a timeline of
//! them shows who held the lock when.
//!
//! Child processes are the `conpar` binary re-executed as the hidden worker with `--gil`; their
//! reports add the lock's counts and the I/O requests to a plain worker's (both ends are in
//! [`super::worker`]).

use super::worker::{WorkerArgs, WorkerCommand, WorkerReport};
use super::{Run, WorkerResult, children, process};
use crate::gil::{Gil, GilConfig, GilKind, Holder, LockStats, ThreadStats};
use crate::kernel;
use crate::spawn;
use crate::sys;
use crate::trace::{Recorder, Slice};
use anyhow::Context;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// One task: `units` kernel units, CPU-bound or making I/O requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskPlan {
    pub units: u64,
    /// An I/O-bound task waits this long, with the lock released, before each step.
    pub io_wait: Option<Duration>,
}

impl TaskPlan {
    /// Requests an I/O-bound task makes (one per step), or 0 for a CPU-bound one.
    pub(crate) fn requests(&self, step_units: u64) -> u64 {
        if self.io_wait.is_some() {
            self.units.div_ceil(step_units.max(1))
        } else {
            0
        }
    }
}

/// The tasks of a run, how they are stepped, and the lock the threads share.
#[derive(Debug, Clone, PartialEq)]
pub struct GilPlan {
    /// One task per thread (or process).
    pub tasks: Vec<TaskPlan>,
    pub seed: u64,
    /// Kernel units per step.
    pub step_units: u64,
    pub lock: GilConfig,
    /// This machine's cost of one kernel unit (ns), as the plan was sized with.
    pub unit_ns: f64,
}

impl GilPlan {
    /// About how long the tasks take one after another here: their kernel work plus their I/O
    /// waits. The workers' deadline is counted from it.
    pub(crate) fn pass_time(&self) -> Duration {
        let unit_ns = self.unit_ns;
        let secs: f64 = self
            .tasks
            .iter()
            .map(|t| {
                let waits = t.io_wait.map_or(0.0, |w| {
                    w.as_secs_f64() * t.requests(self.step_units) as f64
                });
                t.units as f64 * unit_ns / 1e9 + waits
            })
            .sum();
        Duration::from_secs_f64(secs.clamp(0.0, 1e9))
    }

    /// The kernel stream of task `task`, as [`crate::workload::Workload::task_seed`].
    pub(crate) fn task_seed(&self, task: usize) -> u64 {
        kernel::task_seed(self.seed, task)
    }

    /// The combined checksum of all tasks run one after another: the oracle.
    pub fn expected_checksum(&self) -> u64 {
        self.tasks.iter().enumerate().fold(0, |acc, (i, t)| {
            kernel::combine(acc, kernel::run(t.units, self.task_seed(i)))
        })
    }
}

/// One I/O request, on the run's epoch: from releasing the lock to the end of the step that
/// handled the answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub task: usize,
    pub(crate) start: Duration,
    pub end: Duration,
}

impl Request {
    pub fn latency(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// What one GIL run cost: the common [`Run`], what the lock did to each thread (or process),
/// the lock's own counts, and every I/O request.
#[derive(Debug, Clone)]
pub struct GilRun {
    pub run: Run,
    pub threads: Vec<ThreadStats>,
    pub lock: LockStats,
    pub requests: Vec<Request>,
}

impl GilRun {
    /// Hand-offs of the lock per second of the run.
    pub(crate) fn handoffs_per_s(&self) -> f64 {
        let secs = self.run.wall.as_secs_f64();
        if secs > 0.0 {
            self.lock.handoffs as f64 / secs
        } else {
            0.0
        }
    }

    /// The end of the last step of any CPU-bound task (`None` where there is none).
    pub(crate) fn cpu_work_end(&self, plan: &GilPlan) -> Option<Duration> {
        self.run
            .slices
            .iter()
            .filter(|s| {
                plan.tasks
                    .get(s.task())
                    .is_some_and(|t| t.io_wait.is_none())
            })
            .map(crate::trace::Slice::end)
            .max()
    }
}

/// What one thread brings back: its checksum, slices, lock counts and requests.
type ThreadOutcome = (u64, Vec<Slice>, ThreadStats, Vec<Request>);

/// Runs `tasks` (index, plan) one after another on the calling thread, under `gil`, as thread
/// `me`, on the clock started at `epoch`.
fn run_tasks(
    gil: &Gil,
    me: usize,
    tasks: &[(usize, TaskPlan)],
    plan: &GilPlan,
    epoch: Instant,
) -> ThreadOutcome {
    let mut holder = Holder::new(me);
    let mut recorder = Recorder::sharing(epoch, me, plan.tasks.len());
    let mut requests = Vec::new();
    let mut sum = 0;
    let step_units = plan.step_units.max(1);
    gil.acquire(&mut holder);
    for &(task, task_plan) in tasks {
        let seed = plan.task_seed(task);
        let mut done = 0;
        let mut start = Instant::now();
        while done < task_plan.units {
            let end = (done + step_units).min(task_plan.units);
            let mut request_start = None;
            if let Some(wait) = task_plan.io_wait {
                let released = Instant::now();
                gil.release(&mut holder);
                std::thread::sleep(wait);
                gil.acquire(&mut holder);
                request_start = Some(released);
                start = Instant::now();
            } else if gil.check(&mut holder) {
                start = Instant::now();
            }
            sum = kernel::combine(sum, kernel::run_range(seed, done, end));
            start = recorder.chunk_done(task, start, end - done);
            if let Some(released) = request_start {
                requests.push(Request {
                    task,
                    start: released.saturating_duration_since(epoch),
                    end: start.saturating_duration_since(epoch),
                });
            }
            done = end;
        }
    }
    gil.release_final(&mut holder);
    (sum, recorder.into_slices(), holder.stats, requests)
}

/// Puts the outcomes of the threads (or processes) of a run together.
fn gather(wall: Duration, outcomes: Vec<ThreadOutcome>, lock: LockStats) -> GilRun {
    let mut threads = Vec::with_capacity(outcomes.len());
    let mut requests = Vec::new();
    let mut per_worker = Vec::with_capacity(outcomes.len());
    for (sum, slices, stats, reqs) in outcomes {
        per_worker.push(WorkerResult {
            checksum: sum,
            slices,
            context_switches: None,
        });
        threads.push(stats);
        requests.extend(reqs);
    }
    requests.sort_by_key(|r| r.start);
    GilRun {
        run: Run::gather(wall, per_worker),
        threads,
        lock,
        requests,
    }
}

/// One thread per task, all under one lock of `plan.lock`. Where a thread cannot be created,
/// those already started finish their tasks under the lock and the run fails.
pub(crate) fn run_threads(plan: &GilPlan) -> anyhow::Result<GilRun> {
    let gil = Gil::new(plan.lock);
    let epoch = Instant::now();
    let outcomes = spawn::on_threads(
        "GIL threads",
        plan.tasks.len(),
        || {},
        |task| run_tasks(&gil, task, &[(task, plan.tasks[task])], plan, epoch),
    )?;
    let wall = epoch.elapsed();
    Ok(gather(wall, outcomes, gil.stats()))
}

/// All tasks one after another on one thread, under a lock nobody else wants (a Python
/// program with one thread still takes and checks its GIL).
pub(crate) fn run_sequential(plan: &GilPlan) -> anyhow::Result<GilRun> {
    let gil = Gil::new(GilConfig {
        kind: GilKind::New,
        ..plan.lock
    });
    let epoch = Instant::now();
    let tasks: Vec<(usize, TaskPlan)> = plan.tasks.iter().copied().enumerate().collect();
    // On a spawned thread like every other mode: on this machine the same step loop ran about
    // 13% slower on the main thread (unexplained), which would flatter every variant.
    let outcome = spawn::on_thread("the sequential GIL thread", || {
        run_tasks(&gil, 0, &tasks, plan, epoch)
    })?;
    let wall = epoch.elapsed();
    Ok(gather(wall, vec![outcome], gil.stats()))
}

/// The multiprocessing workaround: one child process of `exe` per task, each stepping
/// through its own (never contended) new GIL.
pub fn run_processes(exe: &Path, plan: &GilPlan) -> anyhow::Result<GilRun> {
    let expected = plan.pass_time();
    let epoch_ns = sys::monotonic_ns();
    let epoch = Instant::now();
    let workers: Vec<WorkerCommand> = plan
        .tasks
        .iter()
        .enumerate()
        .map(|(task, t)| {
            let spec = process::WorkerSpec {
                task,
                units: t.units,
                seed: plan.seed,
                chunk_units: plan.step_units,
                cpu: None,
                wait: None,
            };
            WorkerCommand::Worker(WorkerArgs::of(&spec).under_gil(t.io_wait))
        })
        .collect();
    let longest_wait = plan
        .tasks
        .iter()
        .filter_map(|t| t.io_wait)
        .max()
        .unwrap_or_default();
    let watch = children::Watch::new(expected, workers.len(), longest_wait);
    let stdouts = children::run_children(exe, &workers, &watch)?;
    let wall = epoch.elapsed();
    let outcomes = stdouts
        .iter()
        .map(|text| gil_task_outcome(text, epoch_ns))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(gather(wall, outcomes, LockStats::default()))
}

/// The body of `conpar worker --gil`: runs one task under its own new GIL and reports it on
/// `out`. The caller first makes the process die with its parent ([`sys::die_with_parent`]).
pub(crate) fn worker(
    spec: &process::WorkerSpec,
    io_wait: Option<Duration>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if let Some(cpu) = spec.cpu {
        sys::pin_current_thread(cpu)?;
    }
    let task_plan = TaskPlan {
        units: spec.units,
        io_wait,
    };
    // Only this task runs here: the plan needs no entries for the others.
    let plan = GilPlan {
        tasks: vec![task_plan],
        seed: spec.seed,
        step_units: spec.chunk_units.max(1),
        lock: GilConfig::new(GilKind::New),
        // Not needed: a child runs its one task and counts no deadline.
        unit_ns: 0.0,
    };
    let gil = Gil::new(plan.lock);
    let epoch_ns = sys::monotonic_ns().unwrap_or(0);
    let epoch = Instant::now();
    let (checksum, slices, stats, requests) =
        run_tasks(&gil, spec.task, &[(spec.task, task_plan)], &plan, epoch);
    WorkerReport {
        epoch_ns,
        slices,
        switches: sys::process_context_switches(),
        gil: Some(stats),
        requests: requests.iter().map(|r| (r.start, r.end)).collect(),
        checksum,
    }
    .write(out)
}

/// Reads what a `--gil` worker printed, all moved onto the parent's epoch (`parent_epoch_ns`
/// on the monotonic clock): its checksum, slices, lock counts and requests.
fn gil_task_outcome(text: &str, parent_epoch_ns: Option<u64>) -> anyhow::Result<ThreadOutcome> {
    let report = WorkerReport::parse(text)?.on_parent_epoch(parent_epoch_ns);
    let stats = report
        .gil
        .context("a GIL worker ended without reporting its lock counts")?;
    let task = report.slices.first().map_or(0, Slice::task);
    let requests = report
        .requests
        .into_iter()
        .map(|(start, end)| Request { task, start, end })
        .collect();
    Ok((report.checksum, report.slices, stats, requests))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::calibrate_unit_ns;

    /// `tasks` of about `task_ms` each, in steps of about 20 µs (more in a debug build's
    /// slower kernel, which calibration accounts for).
    fn plan(kind: GilKind, tasks: usize, task_ms: f64, io_wait: Option<Duration>) -> GilPlan {
        let unit_ns = calibrate_unit_ns();
        let step_units = ((20_000.0 / unit_ns) as u64).max(1);
        let units = ((task_ms * 1e6 / unit_ns) as u64).max(step_units);
        let mut lock = GilConfig::new(kind);
        lock.switch_interval = Duration::from_millis(2);
        lock.check_interval = 10;
        GilPlan {
            tasks: vec![TaskPlan { units, io_wait }; tasks],
            seed: 3,
            step_units,
            lock,
            unit_ns,
        }
    }

    fn assert_no_overlap(slices: &[Slice]) {
        let mut sorted = slices.to_vec();
        sorted.sort_by_key(crate::trace::Slice::start);
        let mut latest_end = Duration::ZERO;
        for s in &sorted {
            assert!(
                s.start() >= latest_end,
                "a slice of thread {} starts before another thread's ends: {s:?}",
                s.worker()
            );
            latest_end = latest_end.max(s.end());
        }
    }

    #[test]
    fn every_executor_reproduces_the_sequential_checksum() {
        for kind in [GilKind::New, GilKind::Old, GilKind::None] {
            for io_wait in [None, Some(Duration::from_micros(50))] {
                let p = plan(kind, 3, 5.0, io_wait);
                let expected = p.expected_checksum();
                let threads = run_threads(&p).unwrap();
                assert_eq!(threads.run.checksum, expected, "{kind:?} {io_wait:?}");
                assert_eq!(threads.threads.len(), 3);
                assert_eq!(run_sequential(&p).unwrap().run.checksum, expected);
            }
        }
    }

    #[test]
    fn threads_under_a_gil_never_run_steps_at_once() {
        for kind in [GilKind::New, GilKind::Old] {
            let run = run_threads(&plan(kind, 3, 40.0, None)).unwrap();
            assert_no_overlap(&run.run.slices);
            let lanes: std::collections::BTreeSet<usize> = run
                .run
                .slices
                .iter()
                .map(crate::trace::Slice::worker)
                .collect();
            assert_eq!(lanes.len(), 3, "every thread ran under {kind:?}");
        }
    }

    #[test]
    fn io_waits_release_the_lock_and_overlap() {
        // Two I/O-bound threads: each mostly waits, so their waits overlap under the lock and
        // the run takes about as long as one of them alone, not two.
        let p = plan(GilKind::New, 2, 0.0, Some(Duration::from_millis(2)));
        let p = GilPlan {
            tasks: vec![
                TaskPlan {
                    units: p.step_units * 20,
                    io_wait: Some(Duration::from_millis(2))
                };
                2
            ],
            ..p
        };
        let threads = run_threads(&p).unwrap();
        let sequential = run_sequential(&p).unwrap();
        assert_eq!(threads.requests.len(), 40);
        assert_eq!(sequential.requests.len(), 40);
        assert_no_overlap(&threads.run.slices);
        assert!(
            threads.run.wall.as_secs_f64() < 0.8 * sequential.run.wall.as_secs_f64(),
            "threads {:?} against sequential {:?}",
            threads.run.wall,
            sequential.run.wall
        );
        assert!(
            threads
                .requests
                .iter()
                .all(|r| r.latency() >= Duration::from_millis(2))
        );
    }

    #[test]
    fn counters_add_up() {
        let p = plan(GilKind::New, 2, 30.0, None);
        let run = run_threads(&p).unwrap();
        let acquisitions: u64 = run.threads.iter().map(|t| t.acquisitions).sum();
        // Every hand-off is an acquisition by a thread that did not hold the lock last.
        assert!(run.lock.handoffs < acquisitions);
        assert!(run.threads.iter().all(|t| t.acquisitions >= 1));
        let none = run_threads(&plan(GilKind::None, 2, 5.0, None)).unwrap();
        assert_eq!(none.lock.handoffs, 0);
        assert!(none.threads.iter().all(|t| t.acquisitions == 0));
    }

    #[test]
    fn worker_output_round_trips() {
        let spec = process::WorkerSpec {
            task: 1,
            units: 300,
            seed: 3,
            chunk_units: 100,
            cpu: None,
            wait: None,
        };
        let mut out = Vec::new();
        worker(&spec, Some(Duration::from_micros(10)), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let (checksum, slices, stats, requests) = gil_task_outcome(&text, None).unwrap();
        assert_eq!(checksum, kernel::run(300, kernel::task_seed(3, 1)));
        assert!(slices.iter().all(|s| s.task() == 1));
        assert_eq!(requests.len(), 3);
        assert!(requests.iter().all(|r| r.task == 1 && r.start <= r.end));
        assert_eq!(
            stats.acquisitions, 4,
            "one at the start, one after each request"
        );
        assert!(gil_task_outcome("gil 1 2\ndone 0\n", None).is_err());
        assert!(
            gil_task_outcome("epoch 0\ndone 00\n", None).is_err(),
            "no lock counts"
        );
    }
}
