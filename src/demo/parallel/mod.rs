//! `conpar parallel`: the same tasks one after another, on one OS thread each, and on a rayon
//! pool; speedup and efficiency against sequential.
//!
//! The sequential run is the oracle: every other mode must reproduce its checksum, and its
//! median wall time is the baseline of every speedup.

mod claims;
mod notes;
#[cfg(test)]
mod tests;

pub(crate) use claims::claims;
use notes::notes;
pub(crate) use notes::placed_note;

use super::{Found, Mode, Repeats, Sequential};
use crate::claims::Claim;
use crate::engine::{self, Env, Oracle, Plan, Runner};
use crate::error::UsageError;
use crate::exec::{pool::Pool, sequential, threads};
use crate::interference::Interference;
use crate::maxprocs::{Limit, MaxprocsReport};
use crate::model::{ModeResult, Timeline};
use crate::model::{Report, WorkloadReport};
use crate::placement::CoreSpeed;
use crate::placement::{self, Placement};
use crate::sys::Machine;
use crate::workload::{WorkSize, Workload};

/// What `--check` asks of this demo's report, besides [`super::EVERY_DEMO`]'s: the claims
/// it exists to show.
pub(crate) const CHECKS: &[(crate::model::ClaimId, crate::model::Expect)] = &[(
    crate::model::ClaimId::ParallelFaster,
    crate::model::Expect::Faster,
)];

/// A way of running the tasks at once, besides [`Sequential`], which always runs first as the
/// baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// One OS thread per task.
    Threads,
    /// The tasks on a rayon pool of `--threads` workers, started afresh for each run (and
    /// ready before the run's clock starts). A pool reused from run to run lets the kernel
    /// leave both its workers on the CPU of the thread that woke them: in the tour, after
    /// the one-CPU section, rayon's two tasks ran one after the other on one CPU in all three
    /// rounds of 2 tours in 10 here; with a pool per run, as `threads` and `maxprocs` start
    /// theirs, in none of 12.
    Rayon,
    /// One OS thread per task, each pinned to a CPU of a placement (`--placement`).
    Pinned(Placement),
}

impl Mode for Way {
    fn name(self) -> &'static str {
        match self {
            Way::Threads => "threads",
            Way::Rayon => "rayon",
            Way::Pinned(placement) => placement.mode(),
        }
    }
}

/// What `parallel` runs.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) tasks: usize,
    /// Workers of the rayon pool.
    pub(crate) threads: usize,
    /// Places to pin the tasks to, one more mode each (`--placement`).
    pub(crate) placements: Vec<Placement>,
    /// The worker limit in force (`--maxprocs`, `CONPAR_MAXPROCS` or the default), reported
    /// beside the pool size.
    pub(crate) limit: Limit,
    pub(crate) size: WorkSize,
    pub(crate) seed: u64,
    pub(crate) repeats: Repeats,
    /// May a progress bar be shown?
    pub(crate) progress: bool,
}

pub(crate) fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    let machine = env.machine.clone();
    let mask = machine.affinity.as_deref();
    // A place this machine does not have is bad input, refused before any work.
    let placements = placement::resolve(&config.placements, machine.topology.as_ref(), mask)
        .map_err(UsageError)?;
    let core_speeds = env.core_speeds()?;
    let workload = Workload::at(config.tasks, config.size, config.seed, env.unit_ns());
    // Checked before anything runs, so that a refused thread fails fast; each rayon run then
    // starts a pool of its own (see `Way::Rayon`).
    let workers = Pool::new(config.threads)?.workers();
    let pass = workload.estimated_pass();
    // Workers at once get at most the CPU time the mask and the quota allow.
    let capacity = machine.cpu_capacity();
    let spread = |workers: usize| pass.div_f64((workers as f64).min(capacity).max(1.0));
    let mut modes = vec![
        Runner::new(Sequential.name(), 1, pass, || {
            Ok(sequential::run(&workload))
        }),
        Runner::new(
            Way::Threads.name(),
            config.tasks,
            spread(config.tasks),
            || threads::run(&workload),
        ),
        Runner::new(Way::Rayon.name(), workers, spread(workers), || {
            let pool = Pool::new(workers)?;
            pool.wait_ready();
            Ok(pool.run(&workload))
        }),
    ];
    for (place, cpus) in &placements {
        let (workload, cpus) = (&workload, cpus.as_slice());
        modes.push(
            Runner::new(
                Way::Pinned(*place).name(),
                config.tasks,
                spread(config.tasks.min(cpus.len())),
                move || threads::run_on(workload, cpus),
            )
            .pinned_to(cpus),
        );
    }
    let plan = Plan {
        repeats: config.repeats,
        watch: env.mask(),
        oracle: Oracle::FirstMode,
        advice: "use fewer --units, --tasks or --runs",
        progress: config.progress,
        tasks_and_units: Some((workload.tasks, workload.units_per_task)),
    };
    let outcome = engine::measure(env, modes, &plan)?;
    let measured = &outcome.modes;
    let expected = outcome.expected;
    let found = Parallel {
        results: measured
            .iter()
            .map(|m| m.result(&measured[0], expected))
            .collect(),
        timeline: super::timeline_of(measured),
        workload: WorkloadReport::new(workload, config.repeats, expected),
        maxprocs: MaxprocsReport::new(config.limit, &machine),
        core_speeds,
    };
    Ok(super::finish(found, machine, outcome.interference))
}

/// What `parallel` found: each mode's result and the run drawn of it, the work, the worker
/// limit, and the kernel's speed on each kind of core (where kinds differ).
struct Parallel {
    results: Vec<ModeResult>,
    timeline: Timeline,
    workload: WorkloadReport,
    maxprocs: MaxprocsReport,
    core_speeds: Vec<CoreSpeed>,
}

impl Found for Parallel {
    fn claims(&self, machine: &Machine, interference: &Interference) -> Vec<Claim> {
        claims(
            machine,
            &self.workload.workload,
            &self.results,
            &self.timeline,
            interference,
        )
    }

    fn report(self, machine: Machine, interference: Interference, claims: Vec<Claim>) -> Report {
        Report {
            workload: Some(self.workload),
            maxprocs: Some(self.maxprocs),
            core_speeds: (!self.core_speeds.is_empty()).then_some(self.core_speeds),
            ..super::report(
                crate::model::Demo::Parallel,
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
