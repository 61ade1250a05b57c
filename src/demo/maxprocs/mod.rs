//! `conpar maxprocs`: what GOMAXPROCS changes, as a measured scaling curve with Amdahl's law.
//!
//! The worker limit (GOMAXPROCS for Go, `--maxprocs` / `CONPAR_MAXPROCS` here) is only a number
//! of workers; what it buys depends on the CPUs underneath. This demo shows that with a sweep:
//! the same total work, split into many tasks, runs on rayon pools of P workers for several P,
//! and the table gives each P's wall time, speedup over P = 1, efficiency and Karp-Flatt serial
//! fraction. Amdahl's law is then fitted to the speedups (see [`crate::amdahl`]), with
//! `p = min(P, CPUs)`: workers beyond the CPUs only take turns, so the curve flattens there and
//! the report says so. `--serial-fraction F` makes a known fraction of every run serial (the
//! first F of every task runs on the calling thread before the pool runs the rest, same total
//! work, same checksum), so the fit can be seen to recover F.
//!
//! # Keeping the sweep bounded on big machines
//!
//! - The default P list is every P up to min(CPUs, 8), then the powers of two below the CPU
//!   count, the CPU count itself, the powers of two up to twice the CPU count and twice the CPU
//!   count (and the worker limit, when it is not there yet): 3 points on 2 CPUs, 12 on 64, 14
//!   on 256; it grows with the logarithm of the CPU count.
//! - The total work is fixed (`--total-time`, 800 ms of one-CPU work by default), so a round
//!   over all P costs about `T * (1 + 1/2 + ... + 1/8 + a little)`, under 3 T however many CPUs
//!   there are. The default sweep (one sequential pass for the checksum, 1 warm-up and 3
//!   measured rounds) takes about 8 s on 2 CPUs and about 10 s on 256.
//! - Tasks default to 8 per CPU (at least the largest P, at most [`MAX_TASKS`]), so memory
//!   (a few slices per task and run) grows linearly with the CPU count, and only one pool (of
//!   the current P) is alive at a time.
//!
//! # Cores that are not alike
//!
//! Where the CPUs include hardware threads that share a core (SMT), or cores of a slower kind
//! (Intel E-cores, ARM little cores), a worker beyond the fastest cores does not add a
//! processor as Amdahl's law counts one. The fit is then made over P up to those cores only,
//! the default list includes them, and `maxprocs.smt_gain` says what the other hardware
//! threads of each core added; an SMT gain is never read as a serial fraction.
//!
//! Rounds go over every P in turn (P = 1, 2, 4, 1, 2, 4, ...) rather than all runs of one P
//! together, so that a burst of load from elsewhere on the machine spreads over all P instead
//! of skewing one of them.

use super::Repeats;
use crate::amdahl::{self, AmdahlReport, Point};
use crate::claims::Claim;
use crate::engine::{self, Env, Oracle, Plan, Runner};
use crate::exec::Run;
use crate::exec::pool::Pool;
use crate::interference::Interference;
use crate::limits::{MAX_TASKS, MAX_THREADS};
use crate::maxprocs::{Limit, MaxprocsReport};
use crate::model::findings::{Findings, MaxprocsFindings};
use crate::model::{ModeResult, Report, Timeline, WorkloadReport};
use crate::report::format_ms;
use crate::stats;
use crate::sys::{CpuFacts, cpus_phrase, format_cpus};
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
    crate::model::ClaimId::MaxprocsTwoBeatOne,
    crate::model::Expect::Faster,
)];

/// Tasks per CPU by default: enough for rayon to balance the load at every P of the default
/// list (4 per worker at twice the CPU count).
pub(crate) const TASKS_PER_CPU: usize = 8;

/// The default list has every P up to this many CPUs, then powers of two.
pub(crate) const DENSE_UP_TO: usize = 8;

/// A min-max spread above this fraction of the median gets a note: the figures are no more
/// precise than that.
pub(crate) const NOISY_SPREAD: f64 = 0.10;

/// How much work one run of the sweep does; the same for every P.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SweepSize {
    /// Exactly this many units per task (`--units`).
    UnitsPerTask(u64),
    /// This much one-CPU time for all tasks together, calibrated (`--total-time`).
    TotalTime(Duration),
}

/// What `maxprocs` runs.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Worker counts to measure (`--procs`); `None` for the default list.
    pub(crate) procs: Option<Vec<usize>>,
    /// Tasks the work is split into; `None` for the default.
    pub(crate) tasks: Option<usize>,
    pub(crate) size: SweepSize,
    /// Fraction of every task run on one thread before the parallel part, in `[0, 1)`.
    pub(crate) serial_fraction: f64,
    pub(crate) seed: u64,
    pub(crate) repeats: Repeats,
    /// May a progress bar be shown?
    pub(crate) progress: bool,
    /// The worker limit in force.
    pub(crate) limit: Limit,
}

/// The default list of P for `cpus` CPUs (see the module doc).
pub(crate) fn default_procs(cpus: usize) -> Vec<usize> {
    let cpus = cpus.max(1);
    let mut procs: Vec<usize> = (1..=cpus.min(DENSE_UP_TO)).collect();
    let mut p = DENSE_UP_TO * 2;
    while p < cpus {
        procs.push(p);
        p *= 2;
    }
    procs.push(cpus);
    let mut p = cpus.next_power_of_two();
    while p < 2 * cpus {
        procs.push(p);
        p *= 2;
    }
    procs.push(2 * cpus);
    tidy(procs)
}

/// The P list to run: the one asked for, or the default list with the worker limit and the
/// `landmarks` of the machine (its cores, and its fastest cores, where they are fewer than its
/// CPUs); P = 1 is always there, as the baseline. The flag says whether P = 1 had to be added.
pub(crate) fn procs_to_run(
    asked: Option<&[usize]>,
    cpus: usize,
    limit: usize,
    landmarks: &[usize],
) -> (Vec<usize>, bool) {
    let mut procs = if let Some(list) = asked {
        list.to_vec()
    } else {
        let mut list = default_procs(cpus);
        list.push(limit);
        list.extend(landmarks);
        list
    };
    let added_one = !procs.contains(&1);
    procs.push(1);
    (tidy(procs), added_one && asked.is_some())
}

/// Sorted, without duplicates, within `1..=MAX_THREADS`.
fn tidy(mut procs: Vec<usize>) -> Vec<usize> {
    procs.retain(|&p| p >= 1);
    for p in &mut procs {
        *p = (*p).min(MAX_THREADS as usize);
    }
    procs.sort_unstable();
    procs.dedup();
    procs
}

/// The default number of tasks: 8 per CPU, at least the largest P, at most [`MAX_TASKS`].
pub(crate) fn default_tasks(cpus: usize, largest_p: usize) -> usize {
    (TASKS_PER_CPU * cpus.max(1))
        .max(largest_p)
        .min(MAX_TASKS as usize)
}

/// Which flags make the sweep smaller.
const ADVICE: &str = "use fewer --units, --tasks, --procs or --runs, or a shorter --total-time";

/// The largest P the Amdahl fit is made over, where not every P: Amdahl's law counts
/// processors that are alike, so the fit stops at the cores of the fastest kind where workers
/// beyond them would share a core or run on a slower one, within the CPU time there is.
pub(crate) fn fit_limit(reach: Option<&crate::sys::Reach>, capacity: f64) -> Option<usize> {
    reach
        .map(|r| r.fastest_cores)
        .filter(|&cores| (cores as f64) < capacity.floor())
}

pub(crate) fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    let machine = env.machine.clone();
    let facts = CpuFacts::of(&machine);
    let cpus = machine.available_parallelism;
    let capacity = facts.capacity();
    let reach = machine
        .topology
        .as_ref()
        .map(|t| t.reach(machine.affinity.as_deref()));
    let fit_limit = fit_limit(reach.as_ref(), capacity);
    let landmarks: Vec<usize> = reach
        .iter()
        .flat_map(|r| [r.fastest_cores, r.cores])
        .filter(|&p| p < cpus)
        .collect();
    let (procs, added_one) = procs_to_run(
        config.procs.as_deref(),
        cpus,
        config.limit.workers,
        &landmarks,
    );
    let largest = *procs.last().expect("P = 1 at least");
    let tasks = config.tasks.unwrap_or_else(|| default_tasks(cpus, largest));
    let size = match config.size {
        SweepSize::UnitsPerTask(units) => WorkSize::Units(units),
        SweepSize::TotalTime(total) => WorkSize::TaskTime(total / tasks as u32),
    };
    let workload = Workload::at(tasks, size, config.seed, env.unit_ns());
    let serial_units = ((config.serial_fraction * workload.units_per_task as f64).round() as u64)
        .min(workload.units_per_task);
    let serial_set = serial_units as f64 / workload.units_per_task.max(1) as f64;

    // Every run is about one pass's serial part plus its parallel part spread over min(P, CPUs).
    let pass = workload.estimated_pass();
    let modes: Vec<Runner<'_, Run>> = procs
        .iter()
        .map(|&p| {
            let estimate = pass
                .mul_f64(serial_set + (1.0 - serial_set) / amdahl::processors(p as f64, capacity));
            let work = &workload;
            Runner::new(format!("P={p}"), p, estimate, move || {
                let pool = Pool::new(p)?;
                pool.wait_ready();
                Ok(pool.run_split(work, serial_units))
            })
        })
        .collect();
    // The oracle is a plain sequential pass: P = 1 is a pool like the others, not a reference.
    engine::check_budget(modes.iter().map(|m| m.estimate), config.repeats, ADVICE)?;
    let expected = workload.expected_checksum();
    let plan = Plan {
        repeats: config.repeats,
        watch: env.mask(),
        oracle: Oracle::Known(expected),
        advice: ADVICE,
        progress: config.progress,
        tasks_and_units: Some((workload.tasks, workload.units_per_task)),
    };
    let outcome = engine::measure(env, modes, &plan)?;
    let measured = &outcome.modes;
    let baseline = measured[0].wall_ms().median;
    let mut results: Vec<ModeResult> = measured
        .iter()
        .map(|m| m.result(&measured[0], expected))
        .collect();
    let points = results
        .iter()
        .map(|r| Point {
            threads: r.workers,
            p: amdahl::processors(r.workers as f64, capacity),
            speedup: r.speedup,
            speedup_min: stats::speedup(baseline, r.wall_ms.max),
            speedup_max: stats::speedup(baseline, r.wall_ms.min),
        })
        .collect();
    let fit = AmdahlReport {
        baseline_added: added_one,
        ..AmdahlReport::fitted_within(points, capacity, serial_set, fit_limit)
    };
    for r in &mut results {
        r.findings = Findings::Maxprocs(MaxprocsFindings {
            karp_flatt: stats::karp_flatt(r.speedup, r.workers),
            amdahl_speedup: fit.predicted(r.workers),
        });
    }
    let found = Sweep {
        workload: WorkloadReport::new(workload, config.repeats, expected),
        maxprocs: MaxprocsReport::new(config.limit, &machine),
        results,
        fit,
    };
    Ok(super::finish(found, machine, outcome.interference))
}

/// What the sweep found: each P's result, the Amdahl fit over them, the work and the worker
/// limit in force.
struct Sweep {
    workload: WorkloadReport,
    maxprocs: MaxprocsReport,
    results: Vec<ModeResult>,
    fit: AmdahlReport,
}

impl super::Found for Sweep {
    fn claims(&self, machine: &crate::sys::Machine, interference: &Interference) -> Vec<Claim> {
        let reach = machine
            .topology
            .as_ref()
            .map(|t| t.reach(machine.affinity.as_deref()));
        claims(&self.results, &self.fit, interference, reach.as_ref())
    }

    fn report(
        self,
        machine: crate::sys::Machine,
        interference: Interference,
        claims: Vec<Claim>,
    ) -> Report {
        Report {
            workload: Some(self.workload),
            maxprocs: Some(self.maxprocs),
            amdahl: Some(self.fit),
            ..super::report(
                crate::model::Demo::Maxprocs,
                machine,
                self.results,
                Timeline::default(),
                interference,
                claims,
            )
        }
    }

    fn notes(report: &Report) -> Vec<String> {
        notes(report)
    }
}
