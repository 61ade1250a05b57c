//! `gil-sim --python`: the same shape of work in real `CPython`, run in the same rounds as the
//! model's modes (so both see the same machine), its rows, and how far the model is from it
//! (`gil.model_matches_cpython`).

use super::{Config, GilMeasured, Variant, WorkloadKind};
use crate::claims::{self, Claim, ClaimId, Judged};
use crate::demo::Mode;
use crate::engine::Measured;
use crate::exec::cpython::{self, Interpreter, PyMode, PyRun, PyWork};
use crate::interference::Interference;
use crate::model::ModeResult;
use crate::model::claim_figures::ModelMatchesCpythonFigures;
use crate::model::findings::CpythonReport;
use crate::report::format_ms;
use crate::stats::{Summary, round_to};
use std::time::Duration;

/// What `CPython` runs: its work, its modes, and the checksum it must print.
pub(super) struct PythonPlan<'a> {
    pub(super) interpreter: &'a Interpreter,
    pub(super) work: PyWork,
    pub(super) modes: Vec<PyMode>,
    pub(super) expected: u64,
}

impl<'a> PythonPlan<'a> {
    /// The same shape as the model's work in `interpreter`: tasks of about the model's task
    /// time at its own speed, in steps of about the model's step. `None` for the `mixed`
    /// workload, whose tasks differ (the model alone runs it).
    pub(super) fn of(
        interpreter: &'a Interpreter,
        config: &Config,
        cpu_task_time: Duration,
        step_time: Duration,
        requests: u64,
    ) -> Option<PythonPlan<'a>> {
        let step_units = interpreter.units_for(step_time);
        let (units, io_wait) = match config.workload {
            WorkloadKind::Cpu => (interpreter.units_for(cpu_task_time), None),
            WorkloadKind::Io => (requests.saturating_mul(step_units), Some(config.io_wait)),
            WorkloadKind::Mixed => return None,
        };
        let work = PyWork {
            tasks: config.threads,
            units,
            seed: config.seed,
            step_units,
            io_wait,
        };
        let threads = if interpreter.facts.free_threaded {
            vec![PyMode::Threads(Some(true)), PyMode::Threads(Some(false))]
        } else {
            vec![PyMode::Threads(None)]
        };
        let mut modes = vec![PyMode::Sequential];
        modes.extend(threads);
        if config.workload == WorkloadKind::Cpu {
            modes.push(PyMode::Processes);
        }
        Some(PythonPlan {
            interpreter,
            expected: cpython::checksum(work.seed, work.tasks, work.units),
            work,
            modes,
        })
    }

    /// About how long one run of `mode` takes, its interpreter's start included.
    pub(super) fn estimate(&self, mode: PyMode) -> Duration {
        estimate(&self.work, self.interpreter.facts.ns_per_unit, mode)
    }
}

/// About how long one run of `work` in `mode` takes where a unit costs `ns_per_unit`, the
/// interpreter's start included.
fn estimate(work: &PyWork, ns_per_unit: f64, mode: PyMode) -> Duration {
    let task = work.task_time(ns_per_unit);
    let tasks = u32::try_from(work.tasks).unwrap_or(u32::MAX);
    let start = Duration::from_millis(50);
    match mode {
        PyMode::Sequential => task.saturating_mul(tasks) + start,
        // Under the GIL the threads' computing takes turns; only their waits overlap.
        PyMode::Threads(None | Some(true)) => {
            let computing = Duration::from_secs_f64(work.units as f64 * ns_per_unit / 1e9);
            computing.saturating_mul(tasks) + task.saturating_sub(computing) + start
        }
        PyMode::Threads(Some(false)) | PyMode::Processes => task + start,
    }
}

/// The `cpython` object of the report: `CPython`'s rows against its own sequential run.
pub(super) fn report(plan: &PythonPlan<'_>, measured: &[Measured<PyRun>]) -> CpythonReport {
    let facts = &plan.interpreter.facts;
    let results: Vec<ModeResult> = measured
        .iter()
        .zip(&plan.modes)
        .map(|(m, mode)| ModeResult {
            mode: mode.name().to_string(),
            ..m.result(&measured[0], plan.expected)
        })
        .collect();
    let median_ms = |values: Vec<f64>| Summary::of(&values).map(|s| round_to(s.median, 2));
    let startup_ms = median_ms(
        measured
            .iter()
            .flat_map(Measured::values)
            .map(|r| r.startup.as_secs_f64() * 1e3)
            .collect(),
    )
    .unwrap_or(0.0);
    let of = |mode: fn(PyMode) -> bool| {
        plan.modes
            .iter()
            .position(|&m| mode(m))
            .map(|i| &measured[i])
    };
    let handoffs_per_s = of(|m| matches!(m, PyMode::Threads(None | Some(true)))).map(|m| {
        let run = &m.median_sample().value;
        round_to(
            run.handoffs as f64 / run.run.wall.as_secs_f64().max(1e-9),
            1,
        )
    });
    let processes_started_ms = of(|m| m == PyMode::Processes).and_then(|m| {
        median_ms(
            m.values()
                .map(|r| r.last_began.as_secs_f64() * 1e3)
                .collect(),
        )
    });
    CpythonReport {
        executable: plan.interpreter.executable.display().to_string(),
        version: facts.version.clone(),
        implementation: facts.implementation.clone(),
        free_threaded: facts.free_threaded,
        gil_enabled: facts.gil_enabled,
        start_method: facts.start_method.clone(),
        units_per_task: plan.work.units,
        ns_per_unit: round_to(facts.ns_per_unit, 2),
        startup_ms,
        handoffs_per_s,
        processes_started_ms,
        results,
    }
}

/// How long after the start the model's processes all began their tasks, in the run drawn:
/// what starting a process costs the model.
pub(super) fn model_processes_started_ms(measured: &[GilMeasured]) -> Option<f64> {
    let m = measured
        .iter()
        .find(|m| m.variant == Some(Variant::Processes))?;
    let run = &m.representative().run;
    let mut first: Vec<(usize, Duration)> = Vec::new();
    for s in &run.slices {
        match first.iter_mut().find(|(w, _)| *w == s.worker()) {
            Some((_, at)) => *at = (*at).min(s.start()),
            None => first.push((s.worker(), s.start())),
        }
    }
    first
        .iter()
        .map(|(_, at)| at.as_secs_f64() * 1e3)
        .fold(None, |most: Option<f64>, x| {
            Some(most.map_or(x, |m| m.max(x)))
        })
        .map(|ms| round_to(ms, 2))
}

/// `gil.model_matches_cpython`, per pair of modes: does the model's time against its own
/// sequential run lie within the spread of `CPython`'s in this run?
pub(super) fn claims(
    results: &[ModeResult],
    cpython: &CpythonReport,
    model_started_ms: Option<f64>,
    interference: &Interference,
) -> Vec<Claim> {
    let baseline_ms = results.first().map_or(0.0, |b| b.wall_ms.median);
    let unjudged = claims::speed_unjudgeable(interference, baseline_ms);
    let py = |name: &str| cpython.results.iter().find(|r| r.mode == name);
    let model = |variant: Variant| crate::demo::result_of(results, variant);
    let threads = if cpython.free_threaded {
        "threads gil=1"
    } else {
        "threads"
    };
    let pairs = [
        (Variant::GIL_NEW, threads),
        (Variant::NO_GIL, "threads gil=0"),
        (Variant::Processes, "processes"),
    ];
    let version = cpython.name();
    pairs
        .iter()
        .filter_map(|&(variant, name)| {
            let (m, p) = (model(variant)?, py(name)?);
            let time = |speedup: f64| round_to(1.0 / speedup, 2);
            let (model_time, py_time) = (time(m.speedup), time(p.speedup));
            let rounds = [time(p.speedup_interval[1]), time(p.speedup_interval[0])];
            let processes = variant == Variant::Processes;
            Some(Claim::of(
                Some(variant.name()),
                ModelMatchesCpythonFigures {
                    cpython_mode: name.to_string(),
                    model_time_vs_sequential: model_time,
                    cpython_time_vs_sequential: py_time,
                    cpython_rounds: rounds,
                    off_by_pct: round_to(100.0 * (model_time / py_time - 1.0), 0),
                    model_started_ms: model_started_ms.filter(|_| processes),
                    cpython_started_ms: cpython.processes_started_ms.filter(|_| processes),
                    cpython: version.clone(),
                    start_method: cpython.start_method.clone(),
                    unjudged: unjudged.clone(),
                },
            ))
        })
        .collect()
}

impl Judged for ModelMatchesCpythonFigures {
    fn id(&self) -> ClaimId {
        ClaimId::GilModelMatchesCpython
    }

    fn holds(&self) -> Option<bool> {
        let [low, high] = self.cpython_rounds;
        match self.unjudged {
            Some(_) => None,
            None => {
                Some(low <= self.model_time_vs_sequential && self.model_time_vs_sequential <= high)
            }
        }
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let said = format!(
            "{}: the model took {:.2}x the sequential time, {}'s {} {:.2}x ({:.2}-{:.2}x in single rounds)",
            mode.unwrap_or_default(),
            self.model_time_vs_sequential,
            self.cpython,
            self.cpython_mode,
            self.cpython_time_vs_sequential,
            self.cpython_rounds[0],
            self.cpython_rounds[1]
        );
        match (&self.unjudged, self.holds()) {
            (Some(why), _) => {
                format!("{said}; whether the model matches cannot be judged here: {why}.")
            }
            (None, Some(true)) => format!("{said}: the model is within CPython's spread."),
            (None, _) => format!(
                "{said}: the model is off by {:+.0}%{}.",
                self.off_by_pct,
                match (self.model_started_ms, self.cpython_started_ms) {
                    (Some(model), Some(real)) => format!(
                        "; {} its processes had all begun their tasks {} ms after the start, multiprocessing's ({}) {} ms after it here",
                        if model < real {
                            "the model starts processes faster than multiprocessing does:"
                        } else {
                            "the model's processes started no faster than multiprocessing's:"
                        },
                        format_ms(model),
                        self.start_method,
                        format_ms(real)
                    ),
                    _ => String::new(),
                }
            ),
        }
    }
}

/// What the reader needs to know of the `CPython` rows.
pub(super) fn note(cpython: &CpythonReport, model_handoffs_per_s: Option<u64>) -> String {
    let handoffs = match (cpython.handoffs_per_s, model_handoffs_per_s) {
        (Some(real), Some(model)) => format!(
            " Its threads changed hands {real:.0} times a second (the model's gil-new {model})."
        ),
        (Some(real), None) => format!(" Its threads changed hands {real:.0} times a second."),
        _ => String::new(),
    };
    format!(
        "The rows marked CPython ran the same tasks in real {} ({}, start method {}): {} units of a pure-Python integer loop per task ({} ns each there), timed inside the interpreter, whose own start and exit took {} ms a run besides.{handoffs}",
        cpython.name(),
        cpython.executable,
        cpython.start_method,
        cpython.units_per_task,
        cpython.ns_per_unit,
        format_ms(cpython.startup_ms),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPU-bound threads under the GIL take as long as one after another; without it, and as
    /// processes, as long as one task; waits overlap under the GIL too.
    #[test]
    fn the_estimate_counts_the_gil() {
        let ms = Duration::from_millis;
        let cpu = PyWork {
            tasks: 4,
            units: 1_000_000,
            seed: 1,
            step_units: 1000,
            io_wait: None,
        };
        // 100 ns a unit: 100 ms a task, and 50 ms for the interpreter's start.
        let at = |mode| estimate(&cpu, 100.0, mode);
        assert_eq!(at(PyMode::Sequential), ms(450));
        assert_eq!(at(PyMode::Threads(None)), ms(450));
        assert_eq!(at(PyMode::Threads(Some(true))), ms(450));
        assert_eq!(at(PyMode::Threads(Some(false))), ms(150));
        assert_eq!(at(PyMode::Processes), ms(150));
        // 10 steps of 1 µs each waiting 10 ms: 100 ms of waits a task, which overlap.
        let io = PyWork {
            units: 10_000,
            io_wait: Some(ms(10)),
            ..cpu
        };
        assert_eq!(estimate(&io, 100.0, PyMode::Threads(None)), ms(154));
    }
}
