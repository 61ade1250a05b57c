//! `conpar gil-sim`: why Python threads do not speed up CPU-bound work, and why processes do.
//!
//! Real OS threads run the shared kernel as "bytecode" in small steps and must hold one
//! global lock ([`crate::gil`]) to run a step. The same tasks run one after another
//! (`sequential`, the oracle and baseline), on threads under `CPython`'s new GIL (`gil-new`),
//! under the old one (`gil-old`), with no GIL (`no-gil`, PEP 703), and in child processes with
//! a lock each (`processes`, the multiprocessing workaround). Workloads: `cpu` (every thread
//! computes), `io` (every thread mostly waits, with the lock released) and `mixed` (CPU-bound
//! threads beside one I/O thread, whose request latency shows the convoy effect).
//!
//! Each mode's figures come from its run closest to the median: the lock's hand-offs per
//! second, per-thread hold and wait times and counters (in a `gil` object), I/O request
//! latencies (in an `io` object) and the timeline of who held the lock when.

use super::{Mode, Repeats, Sequential};
use crate::claims::Claim;
use crate::engine::{self, Env, Measured, Measurement, Oracle, Plan, Runner};
use crate::error::UsageError;
use crate::exec::children;
use crate::exec::cpython::{Interpreter, PyMode, PyRun};
use crate::exec::gil::{self as exec_gil, GilPlan, GilRun, Request, TaskPlan};
use crate::gil::{GilConfig, GilKind};
use crate::interference::Interference;
pub(crate) use crate::model::findings::WorkloadKind;
use crate::model::findings::{
    CpythonReport, Findings, GilDetail, GilFindings, GilSimSetup, GilThread, IoColumns, IoDetail,
};
use crate::model::{LaneKind, ModeResult, Report, Timeline, WorkloadReport};
use crate::report::format_ms;
use crate::stats::{percentile, round_to as round};
use crate::sys::Machine;
use crate::workload::{WorkSize, Workload};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod claims;
mod figures;
mod notes;
mod python;
#[cfg(test)]
mod tests;

pub(crate) use claims::claims;
#[cfg(test)]
use notes::human;
use notes::notes;

/// What `--check` asks of this demo's report, besides [`super::EVERY_DEMO`]'s: the claims
/// it exists to show.
pub(crate) const CHECKS: &[(crate::model::ClaimId, crate::model::Expect)] = &[
    (
        crate::model::ClaimId::GilTakeTurns,
        crate::model::Expect::Correct,
    ),
    (
        crate::model::ClaimId::GilNoGilParallel,
        crate::model::Expect::Faster,
    ),
    (
        crate::model::ClaimId::GilProcessesParallel,
        crate::model::Expect::Faster,
    ),
];

/// A way of running the tasks, besides [`Sequential`], which always runs first as the
/// baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// One thread per task under one lock of this kind.
    Threads(GilKind),
    /// One child process per task, each with its own lock.
    Processes,
}

impl Variant {
    /// Threads under `CPython`'s new GIL (`gil-new`).
    pub(crate) const GIL_NEW: Variant = Variant::Threads(GilKind::New);
    /// Threads under the old GIL (`gil-old`).
    pub(crate) const GIL_OLD: Variant = Variant::Threads(GilKind::Old);
    /// Threads with no global lock (`no-gil`).
    pub(crate) const NO_GIL: Variant = Variant::Threads(GilKind::None);

    /// Every variant, in the order they run and are shown.
    pub(crate) const ALL: [Variant; 4] = [
        Variant::GIL_NEW,
        Variant::GIL_OLD,
        Variant::NO_GIL,
        Variant::Processes,
    ];

    /// The variant whose result row is named `name`; `None` for the baseline.
    pub(crate) fn of(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

impl Mode for Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Threads(kind) => kind.mode(),
            Variant::Processes => "processes",
        }
    }
}

/// What `gil-sim` runs.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Threads (or processes), one task each.
    pub(crate) threads: usize,
    /// The variants to compare with sequential, in any order.
    pub(crate) variants: Vec<Variant>,
    pub(crate) workload: WorkloadKind,
    pub(crate) switch_interval: Duration,
    pub(crate) check_interval: u32,
    /// About how much work one step is.
    pub(crate) check_every: Duration,
    /// How long one I/O request waits.
    pub(crate) io_wait: Duration,
    /// Requests per I/O-bound task; by default as many as take about as long as a CPU task.
    pub(crate) requests: Option<u64>,
    pub(crate) size: WorkSize,
    pub(crate) seed: u64,
    pub(crate) repeats: Repeats,
    /// May a progress bar be shown?
    pub(crate) progress: bool,
    /// The `conpar` binary to start as worker processes (default: this executable).
    pub(crate) exe: Option<PathBuf>,
    /// A Python interpreter to run the same work in beside the model (`--python`).
    pub(crate) python: Option<Python>,
}

/// The Python that runs beside the model: as the command line named it (a path, or a name
/// to look up on `PATH`), or one already found and checked (the tour's).
#[derive(Debug, Clone)]
pub(crate) enum Python {
    Named(PathBuf),
    Ready(Arc<Interpreter>),
}

/// One mode's measured runs with what the lock did in each.
struct GilMeasured {
    measured: Measured<GilRun>,
    variant: Option<Variant>,
}

impl GilMeasured {
    /// The run closest to the median: the one whose figures are shown.
    fn representative(&self) -> &GilRun {
        &self.measured.median_sample().value
    }
}

impl Measurement for GilRun {
    fn run(&self) -> &crate::exec::Run {
        &self.run
    }

    /// A scripted run's lock: each slice one hold, every change of task a hand-off, and each
    /// thread waiting whenever it did not hold. It makes no I/O requests.
    #[cfg(test)]
    fn scripted(run: crate::exec::Run, _: &str, _: &crate::engine::script::Script) -> GilRun {
        let mut slices = run.slices.clone();
        slices.sort_by_key(crate::trace::Slice::start);
        let tasks = slices.iter().map(|s| s.task() + 1).max().unwrap_or(0);
        let threads = (0..tasks)
            .map(|task| {
                let steps: Vec<_> = slices.iter().filter(|s| s.task() == task).collect();
                let hold: Duration = steps
                    .iter()
                    .map(|s| s.end().saturating_sub(s.start()))
                    .sum();
                let takes = steps.len() as u64;
                crate::gil::ThreadStats {
                    hold,
                    wait: run.wall.saturating_sub(hold),
                    max_wait: Duration::ZERO,
                    acquisitions: takes,
                    drop_requests: takes.saturating_sub(1),
                    forced_switches: takes.saturating_sub(1),
                    futile_wakeups: 0,
                }
            })
            .collect();
        let handoffs = slices
            .windows(2)
            .filter(|p| p[0].task() != p[1].task())
            .count();
        GilRun {
            run,
            threads,
            lock: crate::gil::LockStats {
                handoffs: handoffs as u64,
                handoff_latency: None,
            },
            requests: Vec::new(),
        }
    }
}

/// What the names of `CPython`'s modes start with, beside the model's.
const CPYTHON_ROW: &str = "cpython ";

/// One run of either kind measured in the same rounds: the model's, or `CPython`'s.
enum Ran {
    Model(GilRun),
    Python(PyRun),
}

impl Measurement for Ran {
    fn run(&self) -> &crate::exec::Run {
        match self {
            Ran::Model(r) => &r.run,
            Ran::Python(r) => &r.run,
        }
    }

    #[cfg(test)]
    fn scripted(run: crate::exec::Run, mode: &str, script: &crate::engine::script::Script) -> Ran {
        if mode.starts_with(CPYTHON_ROW) {
            Ran::Python(PyRun::scripted(run, mode, script))
        } else {
            Ran::Model(GilRun::scripted(run, mode, script))
        }
    }
}

pub(crate) fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    if config.workload == WorkloadKind::Mixed && config.threads < 2 {
        return Err(UsageError(
            "--workload mixed needs --threads 2 or more (CPU-bound threads beside one I/O thread)"
                .into(),
        )
        .into());
    }
    // A Python that is not one, or too old, is bad input: found out before any work.
    let interpreter = match &config.python {
        None => None,
        Some(Python::Named(given)) => Some(Arc::new(Interpreter::named(given)?)),
        Some(Python::Ready(found)) => Some(Arc::clone(found)),
    };
    let machine = env.machine.clone();
    let cpu_workload = Workload::at(config.threads, config.size, config.seed, env.unit_ns());
    let unit_ns = cpu_workload.unit_ns;
    let step_units = ((config.check_every.as_nanos() as f64 / unit_ns).round() as u64).max(1);
    let step_time = Duration::from_secs_f64(step_units as f64 * unit_ns / 1e9);
    let cpu_task_time = Duration::from_secs_f64(cpu_workload.units_per_task as f64 * unit_ns / 1e9);
    let requests = config.requests.unwrap_or_else(|| {
        ((cpu_task_time.as_secs_f64() / (config.io_wait + step_time).as_secs_f64()).round() as u64)
            .max(1)
    });
    let cpu_task = TaskPlan {
        units: cpu_workload.units_per_task,
        io_wait: None,
    };
    let io_task = TaskPlan {
        units: requests.saturating_mul(step_units),
        io_wait: Some(config.io_wait),
    };
    let tasks: Vec<TaskPlan> = (0..config.threads)
        .map(|i| match config.workload {
            WorkloadKind::Io => io_task,
            WorkloadKind::Mixed if i + 1 == config.threads => io_task,
            WorkloadKind::Cpu | WorkloadKind::Mixed => cpu_task,
        })
        .collect();
    let plan = GilPlan {
        tasks,
        seed: config.seed,
        step_units,
        lock: GilConfig {
            kind: GilKind::New,
            switch_interval: config.switch_interval,
            check_interval: config.check_interval,
        },
        unit_ns,
    };
    let variants: Vec<Variant> = Variant::ALL
        .into_iter()
        .filter(|v| config.variants.contains(v))
        .collect();
    let pass = plan.pass_time();
    let exe = match (&config.exe, variants.contains(&Variant::Processes)) {
        (Some(exe), _) => Some(exe.clone()),
        (None, true) => Some(children::current_exe()?),
        (None, false) => None,
    };

    let mut kinds: Vec<(&str, usize, Option<Variant>)> = vec![(Sequential.name(), 1, None)];
    kinds.extend(
        variants
            .iter()
            .map(|&v| (v.name(), config.threads, Some(v))),
    );
    let plans: Vec<GilPlan> = kinds
        .iter()
        .map(|&(_, _, variant)| match variant {
            Some(Variant::Threads(kind)) => GilPlan {
                lock: GilConfig { kind, ..plan.lock },
                ..plan.clone()
            },
            _ => plan.clone(),
        })
        .collect();
    let python = interpreter
        .as_ref()
        .and_then(|i| python::PythonPlan::of(i, config, cpu_task_time, step_time, requests));
    let mut modes: Vec<Runner<'_, Ran>> = kinds
        .iter()
        .zip(&plans)
        .map(|(&(name, threads, variant), plan)| {
            let exe = exe.as_deref();
            // Processes each have their own lock, and threads with no lock run at once, where
            // the CPUs allow.
            let estimate = match variant {
                Some(Variant::Processes | Variant::Threads(GilKind::None)) => {
                    pass.div_f64((threads as f64).min(machine.cpu_capacity()).max(1.0))
                }
                _ => pass,
            };
            let runner = Runner::new(name, threads, estimate, move || {
                match variant {
                    None => exec_gil::run_sequential(plan),
                    Some(Variant::Threads(_)) => exec_gil::run_threads(plan),
                    Some(Variant::Processes) => {
                        exec_gil::run_processes(exe.expect("the executable was found above"), plan)
                    }
                }
                .map(Ran::Model)
            });
            match variant {
                Some(Variant::Threads(kind)) if kind != GilKind::None => runner.one_at_a_time(),
                _ => runner,
            }
        })
        .collect();
    // CPython's modes in the same rounds, after the model's.
    if let Some(py) = &python {
        modes.extend(py.modes.iter().map(|&mode| {
            let threads = if mode == PyMode::Sequential {
                1
            } else {
                config.threads
            };
            Runner::new(
                format!("{CPYTHON_ROW}{}", mode.name()),
                threads,
                py.estimate(mode),
                move || py.interpreter.run(mode, &py.work).map(Ran::Python),
            )
        }));
    }
    let engine_plan = Plan {
        repeats: config.repeats,
        watch: env.mask(),
        oracle: Oracle::FirstMode,
        advice: "use fewer --units, --requests, --threads or --runs, or a shorter --io-wait",
        progress: config.progress,
        tasks_and_units: None,
    };
    let outcome = engine::measure(env, modes, &engine_plan)?;
    let expected = outcome.expected;
    let interference = outcome.interference;
    let mut all = outcome.modes;
    let python_measured: Vec<Measured<PyRun>> = all
        .split_off(kinds.len())
        .into_iter()
        .map(|m| {
            m.map(|ran| match ran {
                Ran::Python(r) => r,
                Ran::Model(_) => unreachable!("the modes after the model's are CPython's"),
            })
        })
        .collect();
    let measured: Vec<GilMeasured> = all
        .into_iter()
        .zip(&kinds)
        .map(|(measured, &(_, _, variant))| GilMeasured {
            measured: measured.map(|ran| match ran {
                Ran::Model(r) => r,
                Ran::Python(_) => unreachable!("the model's modes come first"),
            }),
            variant,
        })
        .collect();

    let results: Vec<ModeResult> = measured
        .iter()
        .map(|m| {
            let mut result = m.measured.result(&measured[0].measured, expected);
            result.findings = Findings::Gil(figures::findings(m, &plan, config.workload));
            result
        })
        .collect();
    let mut timeline = Timeline::default();
    for m in &measured {
        let (run, mut recorded) = m.measured.timeline();
        recorded.lanes = if m.variant == Some(Variant::Processes) {
            LaneKind::Process
        } else {
            LaneKind::Thread
        };
        timeline.add(run, recorded);
    }
    let cpython = python
        .as_ref()
        .map(|py| python::report(py, &python_measured));
    let workload = Workload {
        tasks: config.threads,
        units_per_task: match config.workload {
            WorkloadKind::Io => io_task.units,
            WorkloadKind::Cpu | WorkloadKind::Mixed => cpu_task.units,
        },
        chunk_units: step_units,
        ..cpu_workload
    };
    let found = GilSim {
        setup: GilSimSetup {
            workload: config.workload,
            cpython_skipped: interpreter.is_some() && cpython.is_none(),
        },
        workload: WorkloadReport::new(workload, config.repeats, expected),
        model_processes_started_ms: python::model_processes_started_ms(&measured),
        results,
        timeline,
        cpython,
    };
    Ok(super::finish(found, machine, interference))
}

/// What `gil-sim` found: what ran, each mode's result (with its lock's figures) and the run
/// drawn of it, and `CPython`'s runs beside them.
struct GilSim {
    setup: GilSimSetup,
    workload: WorkloadReport,
    results: Vec<ModeResult>,
    timeline: Timeline,
    cpython: Option<CpythonReport>,
    /// When every model process had begun its task, for the comparison with `CPython`'s.
    model_processes_started_ms: Option<f64>,
}

impl super::Found for GilSim {
    fn claims(&self, machine: &Machine, interference: &Interference) -> Vec<Claim> {
        let mut all = claims(
            machine,
            self.setup.workload,
            &self.results,
            &self.timeline,
            interference,
        );
        if let Some(cpython) = &self.cpython {
            // CPython's claims read beside the model's, before the checksums that end every
            // list.
            let at = all
                .iter()
                .position(|c| c.id == crate::model::ClaimId::WorkChecksums)
                .unwrap_or(all.len());
            let beside = python::claims(
                &self.results,
                cpython,
                self.model_processes_started_ms,
                interference,
            );
            all.splice(at..at, beside);
        }
        all
    }

    fn report(self, machine: Machine, interference: Interference, claims: Vec<Claim>) -> Report {
        Report {
            workload: Some(self.workload),
            cpython: self.cpython,
            gil_sim: Some(self.setup),
            ..super::report(
                crate::model::Demo::GilSim,
                machine,
                self.results,
                self.timeline,
                interference,
                claims,
            )
        }
    }

    fn notes(report: &Report) -> Vec<String> {
        notes(report)
    }
}
