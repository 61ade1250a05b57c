//! `conpar interleave`: concurrency without parallelism. The same tasks share ONE CPU as green
//! threads on a cooperative scheduler, as OS threads preempted by the kernel, and as processes,
//! each compared with running them one after another on that same CPU.
//!
//! What it shows: on one core no way of interleaving makes CPU-bound work faster (it only adds
//! switches), but every task makes progress all along, instead of the first finishing early and
//! the last late; and once tasks also wait (a sleep standing for I/O), interleaving overlaps
//! one task's waits with another's compute, and finishes in about the larger of the two instead
//! of their sum. The switch costs measured in the same run say what each kind of switch costs.

use super::{Mode, Repeats, Sequential};
use crate::claims::Claim;
use crate::cpu_choice::CpuChoice;
use crate::engine::{self, Env, Measured, Measurement, Oracle, Plan, Runner};
use crate::error::UsageError;
use crate::exec::{Run, children, green, process, sequential, switch_cost, threads};
use crate::interference::{Interference, Reading};
use crate::model::findings::{Findings, InterleaveFindings};
use crate::model::{ModeResult, Report, Timeline, WorkloadReport};
use crate::stats::{median_u64, round_to};
use crate::sys::ContextSwitches;
use crate::workload::{WorkSize, Workload};
use std::time::Duration;

mod claims;
mod notes;
#[cfg(test)]
mod tests;

pub(crate) use claims::claims;
use notes::notes;

/// What `--check` asks of this demo's report, besides [`super::EVERY_DEMO`]'s: the claims
/// it exists to show.
pub(crate) const CHECKS: &[(crate::model::ClaimId, crate::model::Expect)] = &[(
    crate::model::ClaimId::InterleaveOneCpu,
    crate::model::Expect::Correct,
)];

/// A way of sharing the one CPU, besides [`Sequential`], which runs first as the baseline
/// wherever the tasks can be pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// The tasks as futures on a cooperative scheduler on one OS thread, each yielding at the
    /// end of its quantum.
    Green,
    /// One OS thread per task, all pinned to the CPU, preempted by the kernel.
    Threads,
    /// One child process per task, all pinned to the CPU.
    Processes,
}

impl Way {
    /// Every way, in the order they run and are shown.
    pub(crate) const ALL: [Way; 3] = [Way::Green, Way::Threads, Way::Processes];

    /// The way whose result row is named `name`; `None` for the baseline.
    pub(crate) fn of(name: &str) -> Option<Way> {
        Way::ALL.into_iter().find(|w| w.name() == name)
    }
}

impl Mode for Way {
    fn name(self) -> &'static str {
        match self {
            Way::Green => "green",
            Way::Threads => "threads",
            Way::Processes => "processes",
        }
    }
}

/// How long a green task computes before it yields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Quantum {
    Time(Duration),
    Units(u64),
}

/// What `interleave` runs.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) tasks: usize,
    /// The CPU to share (`--cpu`); when not given, the one other programs use least
    /// ([`CpuChoice`]).
    pub(crate) cpu: Option<usize>,
    /// A look at the CPUs taken just before, to choose from instead of a new one (the tour's).
    pub(crate) look: Option<Reading>,
    /// Time a switch of each kind too? (The tour's second interleave needs none.)
    pub(crate) switch_probes: bool,
    pub(crate) size: WorkSize,
    pub(crate) seed: u64,
    pub(crate) repeats: Repeats,
    pub(crate) quantum: Quantum,
    /// Total waiting per task, if any.
    pub(crate) wait: Option<Duration>,
    /// Compute between two waits.
    pub(crate) wait_every: Duration,
    pub(crate) progress: bool,
}

/// Round trips per task of the green switch-cost probe, and of the thread and process ones
/// (each also ends when its time budget is spent: [`switch_cost::PROBE_BUDGET`]).
const GREEN_ROUNDS: u64 = 100_000;
const OS_ROUNDS: u64 = 10_000;

/// The stack Rust reserves for a spawned thread unless `RUST_MIN_STACK` says otherwise.
const DEFAULT_THREAD_STACK: usize = 2 * 1024 * 1024;

/// The shortest quantum accepted: below about 10 µs a green task does less work between two
/// yields than the scheduler spends switching and recording, and the demo shows only overhead.
pub(crate) const MIN_QUANTUM: Duration = Duration::from_micros(10);

/// The shortest compute between two waits (`--wait-every`) accepted, for the same reason.
pub(crate) const MIN_WAIT_EVERY: Duration = Duration::from_micros(100);

/// The shortest single pause accepted: a sleep shorter than the kernel's timer slack (50 µs by
/// default) lasts about the slack whatever was asked, so the waits would not be what was set.
pub(crate) const MIN_PAUSE: Duration = Duration::from_micros(100);

/// One interleave run: the executor's run, and for green runs what the scheduler did.
#[derive(Debug, Clone)]
pub(crate) struct Interleaved {
    pub(crate) run: Run,
    /// Green runs only: the scheduler's switches and the bytes of one task's state.
    pub(crate) green: Option<(u64, usize)>,
}

impl Measurement for Interleaved {
    fn run(&self) -> &Run {
        &self.run
    }

    /// A scripted green run switched wherever its slices change task, and keeps 2 KiB of
    /// state per task.
    #[cfg(test)]
    fn scripted(run: Run, mode: &str, _: &crate::engine::script::Script) -> Interleaved {
        let green = (Way::of(mode) == Some(Way::Green)).then(|| {
            let changes = run.slices.windows(2).filter(|p| p[0].task() != p[1].task());
            (changes.count() as u64, 2048)
        });
        Interleaved { run, green }
    }
}

impl From<Run> for Interleaved {
    fn from(run: Run) -> Interleaved {
        Interleaved { run, green: None }
    }
}

/// Refuses a quantum or waits too fine to mean anything (see [`MIN_QUANTUM`], [`MIN_PAUSE`]).
fn check_granularity(workload: &Workload, quantum_units: u64) -> Result<(), UsageError> {
    let quantum = Duration::from_secs_f64(quantum_units as f64 * workload.unit_ns / 1e9);
    if quantum < MIN_QUANTUM {
        return Err(UsageError(format!(
            "a quantum of {quantum_units} units is about {} here, below the floor of {}: a green task would switch more than it computes; use a larger --quantum-units or --quantum",
            humantime::format_duration(quantum),
            humantime::format_duration(MIN_QUANTUM)
        )));
    }
    if let Some(w) = workload.wait {
        if w.pause() < MIN_PAUSE {
            return Err(UsageError(format!(
                "each task's --wait would be cut into pauses of {}, below the floor of {}: sleeps that short last about the timer slack whatever is asked; use a longer --wait or --wait-every",
                humantime::format_duration(w.pause()),
                humantime::format_duration(MIN_PAUSE)
            )));
        }
    }
    Ok(())
}

pub(crate) fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    let machine = env.machine.clone();
    let choice = CpuChoice::make(env, config.cpu, config.look.as_ref())?;
    let cpu = choice.as_ref().map(|c| c.cpu);
    let mut workload = Workload::at(config.tasks, config.size, config.seed, env.unit_ns());
    if let Some(wait) = config.wait {
        workload = workload.with_wait(wait, config.wait_every);
    }
    let quantum_units = match config.quantum {
        Quantum::Time(t) => workload.units_for(t),
        Quantum::Units(u) => u,
    };
    check_granularity(&workload, quantum_units)?;
    // One after another, the waits add up; interleaved, they overlap with the compute.
    let sequential_estimate = workload.estimated_sequential();
    // No run on one CPU beats the CPU work, nor one task's compute and its waits.
    let interleaved_estimate = workload.estimated_pass().max(
        workload
            .estimated_pass()
            .div_f64(workload.tasks.max(1) as f64)
            + workload.wait_per_task(),
    );
    let work = &workload;
    let mut modes: Vec<Runner<'_, Interleaved>> = Vec::new();
    if let Some(cpu) = cpu {
        modes.push(
            Runner::new(Sequential.name(), 1, sequential_estimate, move || {
                sequential::run_pinned(work, cpu).map(Interleaved::from)
            })
            .pinned_to(&[cpu]),
        );
    }
    modes.push(
        Runner::new(Way::Green.name(), 1, interleaved_estimate, move || {
            let g = green::run(work, quantum_units, cpu)?;
            Ok(Interleaved {
                run: g.run,
                green: Some((g.scheduler.switches, g.task_bytes)),
            })
        })
        .interleaving()
        .pinned_to(cpu.as_slice()),
    );
    if let Some(cpu) = cpu {
        modes.push(
            Runner::new(
                Way::Threads.name(),
                config.tasks,
                interleaved_estimate,
                move || threads::run_on(work, &[cpu]).map(Interleaved::from),
            )
            .pinned_to(&[cpu]),
        );
        modes.push(
            Runner::new(
                Way::Processes.name(),
                config.tasks,
                interleaved_estimate,
                move || process::run(work, Some(cpu)).map(Interleaved::from),
            )
            .pinned_to(&[cpu]),
        );
    }
    let plan = Plan {
        repeats: config.repeats,
        // Only the shared CPU matters: what runs on the others does not slow these modes.
        watch: cpu.map_or_else(|| env.mask(), |c| vec![c]),
        // Sequential is the oracle; where nothing could be pinned only green ran.
        oracle: match cpu {
            Some(_) => Oracle::FirstMode,
            None => Oracle::Known(workload.expected_checksum()),
        },
        advice: "use fewer --units, --tasks or --runs, or a shorter --wait",
        progress: config.progress,
        tasks_and_units: Some((workload.tasks, workload.units_per_task)),
    };
    let outcome = engine::measure(env, modes, &plan)?;
    let switch_costs = if config.switch_probes {
        switch_costs(env, cpu)?
    } else {
        switch_cost::SwitchCosts::default()
    };

    let measured = &outcome.modes;
    let expected = outcome.expected;
    let task_bytes = measured
        .iter()
        .flat_map(crate::engine::Measured::values)
        .find_map(|v| v.green.map(|g| g.1))
        .unwrap_or(0);
    let mut results = Vec::new();
    let mut timeline = Timeline::default();
    for m in measured {
        let (run, recorded) = m.timeline();
        let mut result = m.result(&measured[0], expected);
        let way = Way::of(&m.mode);
        let switches: Vec<u64> = m
            .values()
            .map(|v| v.green.map_or_else(|| os_switches(&v.run).total(), |g| g.0))
            .collect();
        let median_run = &m.samples[run.run].value.run;
        let (first_done, last_done) = done_times_ms(median_run, &workload);
        let busy_ns: u64 = recorded
            .slices
            .iter()
            .map(crate::trace::Slice::duration_ns)
            .sum();
        result.findings = Findings::Interleave(InterleaveFindings {
            cpu_ms: cpu_ms(m),
            switches: median_u64(&switches),
            os_context_switches: os_switches(median_run),
            mean_slice_us: round_to(
                busy_ns as f64 / 1e3 / recorded.slices.len().max(1) as f64,
                2,
            ),
            first_done_ms: round_to(first_done, 2),
            last_done_ms: round_to(last_done, 2),
            switch_cost_ns: way
                .and_then(|w| probe_of(w, &switch_costs))
                .and_then(|p| p.ns)
                .map(|ns| round_to(ns, 2)),
            switch_probe: way.and_then(|w| probe_of(w, &switch_costs)).cloned(),
            bound_ms: bound_ms(&workload),
            stack_bytes: match way {
                Some(Way::Green) => Some(task_bytes as u64),
                Some(Way::Threads) => Some(thread_stack_bytes() as u64),
                Some(Way::Processes) | None => None,
            },
        });
        results.push(result);
        timeline.add(run, recorded);
    }
    let found = Interleave {
        cpu_choice: choice,
        workload: WorkloadReport::new(workload, config.repeats, expected),
        results,
        timeline,
        switch_costs,
    };
    Ok(super::finish(found, machine, outcome.interference))
}

/// What `interleave` found: the CPU shared, each mode's result and the run drawn of it, the
/// work, and what each kind of switch cost.
struct Interleave {
    cpu_choice: Option<CpuChoice>,
    workload: WorkloadReport,
    results: Vec<ModeResult>,
    timeline: Timeline,
    switch_costs: switch_cost::SwitchCosts,
}

impl super::Found for Interleave {
    fn claims(&self, _: &crate::sys::Machine, interference: &Interference) -> Vec<Claim> {
        claims(
            self.cpu_choice.as_ref().map(|c| c.cpu),
            &self.workload.workload,
            &self.results,
            &self.switch_costs,
            interference,
        )
    }

    fn report(
        self,
        machine: crate::sys::Machine,
        interference: Interference,
        claims: Vec<Claim>,
    ) -> Report {
        Report {
            workload: Some(self.workload),
            cpu_choice: self.cpu_choice,
            ..super::report(
                crate::model::Demo::Interleave,
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

fn os_switches(run: &Run) -> ContextSwitches {
    run.context_switches.unwrap_or_default()
}

/// When the first and the last task finished, in ms after the run began: the end of each
/// task's last slice, plus its final pause when tasks wait.
fn done_times_ms(run: &Run, workload: &Workload) -> (f64, f64) {
    let final_pause = workload.wait.map_or(0.0, |w| w.pause_ns as f64 / 1e6);
    let mut done = vec![0.0f64; workload.tasks];
    for s in &run.slices {
        let end = s.end().as_secs_f64() * 1e3 + final_pause;
        done[s.task()] = done[s.task()].max(end);
    }
    let first = done.iter().copied().fold(f64::INFINITY, f64::min);
    let last = done.iter().copied().fold(0.0, f64::max);
    (first, last)
}

fn cpu_ms(m: &Measured<Interleaved>) -> Option<f64> {
    let samples: Vec<f64> = m
        .samples
        .iter()
        .filter_map(|s| s.cpu_time.map(|t| t.as_secs_f64() * 1e3))
        .collect();
    crate::stats::Summary::of(&samples).map(|s| round_to(s.median, 2))
}

/// The switch costs: green tasks', and OS threads' and processes' on `cpu` where one was
/// chosen (each probe ends when its time budget is spent: [`switch_cost::PROBE_BUDGET`]).
fn switch_costs(env: &Env, cpu: Option<usize>) -> anyhow::Result<switch_cost::SwitchCosts> {
    let mut costs = switch_cost::SwitchCosts::default();
    #[cfg(test)]
    if let Some(script) = &env.script {
        costs.green = Some(script.switch_probe(None, GREEN_ROUNDS));
        costs.threads = cpu.map(|c| script.switch_probe(Some(c), OS_ROUNDS));
        costs.processes = cpu.map(|c| script.switch_probe(Some(c), OS_ROUNDS));
        return Ok(costs);
    }
    let _ = env;
    costs.green = Some(switch_cost::green(GREEN_ROUNDS));
    if let Some(cpu) = cpu {
        costs.threads = Some(switch_cost::threads(cpu, OS_ROUNDS)?);
        costs.processes = Some(switch_cost::processes(
            &children::current_exe()?,
            cpu,
            OS_ROUNDS,
        )?);
    }
    Ok(costs)
}

/// The switch-cost probe of `way`, where it ran.
fn probe_of(way: Way, costs: &switch_cost::SwitchCosts) -> Option<&switch_cost::Probe> {
    match way {
        Way::Green => costs.green.as_ref(),
        Way::Threads => costs.threads.as_ref(),
        Way::Processes => costs.processes.as_ref(),
    }
}

fn thread_stack_bytes() -> usize {
    std::env::var("RUST_MIN_STACK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_THREAD_STACK)
}

/// With waits, the wall time no run on one CPU can beat: the larger of all the CPU work and
/// one task's compute plus its waits.
fn bound_ms(workload: &Workload) -> Option<f64> {
    let w = workload.wait.as_ref()?;
    let compute_ms = workload.estimated_pass().as_secs_f64() * 1e3;
    Some(round_to(
        compute_ms.max(compute_ms / workload.tasks as f64 + w.total_ms),
        2,
    ))
}
