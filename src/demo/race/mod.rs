//! `conpar race`: the shared-variable exercise. Threads count one counter up and down at the
//! same moment; the unsynchronised way loses updates, four fixes do not, and each is timed.
//!
//! Does concurrency make the programmer's life easier or harder? This demo shows the classic
//! answer with figures: the naive read-then-write (`unsync`) is safe Rust and still wrong in
//! most runs, because Rust rules out data races (undefined behaviour) but not race conditions
//! (a correct-looking interleaving that gives a wrong answer).
//!
//! # Figures
//!
//! - `final_values`: the counter after each run; the right answer is 0.
//! - `wrong_runs`: runs that did not end at 0. `checksum_ok` is true when there were none.
//! - Lost updates: a run that ends at `v` lost at least `|v|` updates. It is a lower bound, not
//!   a count: a lost increment leaves the counter one too low and a lost decrement one too high,
//!   so losses of both kinds cancel out. `lost_updates_median` and `lost_updates_max` summarise
//!   `|v|` over the runs.
//! - `ns_per_op`: the median over runs of wall time / (threads x iterations), the wall time
//!   going from the first thread's start to the last one's end (see [`crate::exec::race`]).
//! - `speedup`: against `atomic`, the simplest correct way to share a counter and the one a
//!   Rust programmer reaches for first, so the column reads "how much faster or slower than the
//!   obvious fix" (`unsync` being faster than 1 is the price of correctness, not a win). Every
//!   mode does the same number of changes, so speedup is also the ratio of ns per operation.
//!   When `atomic` is not run, the first mode run is the baseline and a note says so.
//! - `efficiency`: speedup / threads, as in every demo; with a shared counter there is no work
//!   to divide, so it says little here.

use super::{Mode, Repeats};
use crate::claims::Claim;
use crate::cpu_choice::CpuChoice;
use crate::engine::{self, Env, Measurement, Oracle, Plan};
use crate::exec::race::{self, Race, RaceRun, Sharing};
use crate::model::findings::{Findings, RaceFindings, RaceRelative, RaceSetup, RaceTiming};
use crate::model::{ModeResult, Report};
use crate::report::format_ms;
use crate::stats::{self, Summary};
use crate::sys::Machine;
use anyhow::Context;
use std::fmt::Write as _;
use std::time::Duration;

mod claims;
mod notes;
#[cfg(test)]
mod tests;

pub(crate) use claims::claims;

use notes::{notes, reason};

/// What `--check` asks of this demo's report, besides [`super::EVERY_DEMO`]'s: the claims
/// it exists to show.
pub(crate) const CHECKS: &[(crate::model::ClaimId, crate::model::Expect)] = &[(
    crate::model::ClaimId::RaceFixesExact,
    crate::model::Expect::Correct,
)];

/// What `race` runs.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Threads changing the counter: even, at least 2.
    pub(crate) threads: usize,
    /// Changes per thread per run.
    pub(crate) iterations: u64,
    /// Measured runs per mode.
    pub(crate) runs: usize,
    /// Unmeasured runs per mode first.
    pub(crate) warmup: usize,
    /// The modes to run; empty means all. Run and shown in [`Sharing::ALL`] order.
    pub(crate) modes: Vec<Sharing>,
    /// Pin every thread to the first CPU of the affinity mask.
    pub(crate) one_core: bool,
    /// May a progress bar be shown?
    pub(crate) progress: bool,
}

/// A floor of the wall time per change of each mode, all threads together, well below what
/// any machine measured (2.7, 18, 106, 54 and 1.6 ns on the development machine): for the
/// budget, which refuses only what is sure to take too long.
fn floor_ns_per_op(mode: Sharing) -> f64 {
    match mode {
        Sharing::Unsync | Sharing::Local => 0.5,
        Sharing::Atomic => 2.0,
        Sharing::Mutex | Sharing::Channel => 5.0,
    }
}

impl Mode for Sharing {
    fn name(self) -> &'static str {
        Sharing::name(self)
    }
}

impl Measurement for RaceRun {
    fn run(&self) -> &crate::exec::Run {
        &self.run
    }

    /// A scripted race ends where the script says if it is unsynchronised, and right
    /// otherwise; its threads counted at once for as long as their slices overlapped.
    #[cfg(test)]
    fn scripted(
        mut run: crate::exec::Run,
        mode: &str,
        script: &crate::engine::script::Script,
    ) -> RaceRun {
        let final_value = if mode == Sharing::Unsync.name() {
            script.race_ends_at
        } else {
            0
        };
        run.checksum = final_value as u64;
        // Each task's first start and last end.
        let mut spans: std::collections::BTreeMap<usize, (Duration, Duration)> =
            std::collections::BTreeMap::new();
        for s in &run.slices {
            let span = spans.entry(s.task()).or_insert((s.start(), s.end()));
            *span = (span.0.min(s.start()), span.1.max(s.end()));
        }
        let last_start = spans.values().map(|s| s.0).max().unwrap_or_default();
        let first_end = spans.values().map(|s| s.1).min().unwrap_or_default();
        let overlap = first_end.saturating_sub(last_start);
        RaceRun {
            run,
            final_value,
            start_skew: Duration::ZERO,
            overlap,
            preemptions: Some(0),
            lined_up: true,
        }
    }
}

/// The measured runs of one mode.
pub(crate) struct ModeRuns {
    mode: Sharing,
    runs: Vec<RaceRun>,
}

impl ModeRuns {
    fn finals(&self) -> Vec<i64> {
        self.runs.iter().map(|r| r.final_value).collect()
    }

    fn wrong_runs(&self) -> usize {
        self.runs.iter().filter(|r| r.final_value != 0).count()
    }

    /// `|final value|` of each run: a lower bound of the updates it lost.
    fn lost(&self) -> Vec<u64> {
        self.runs
            .iter()
            .map(|r| r.final_value.unsigned_abs())
            .collect()
    }

    /// The median of [`ModeRuns::lost`].
    fn lost_median(&self) -> f64 {
        let lost: Vec<f64> = self.lost().iter().map(|&l| l as f64).collect();
        Summary::of(&lost).map_or(0.0, |s| s.median)
    }

    fn ns_per_op(&self, operations: u64) -> Summary {
        let samples: Vec<f64> = self
            .runs
            .iter()
            .map(|r| r.run.wall.as_nanos() as f64 / operations as f64)
            .collect();
        Summary::of(&samples).expect("at least one measured run")
    }

    fn preemptions(&self) -> Option<u64> {
        self.runs.iter().map(|r| r.preemptions).sum()
    }
}

pub(crate) fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    race::check_size(config.threads, config.iterations)?;
    let machine = env.machine.clone();
    let choice = if config.one_core {
        Some(CpuChoice::make(env, None, None)?.context(
            "--one-core needs to pin threads to one CPU, and this platform does not tell which CPUs this process may use",
        )?)
    } else {
        None
    };
    let pin = choice.as_ref().map(|c| c.cpu);
    let chosen = selected(&config.modes);
    let operations = config.threads as u64 * config.iterations;
    let modes: Vec<engine::Runner<'_, RaceRun>> = chosen
        .iter()
        .map(|&mode| {
            let race = Race {
                mode,
                threads: config.threads,
                iterations: config.iterations,
                pin,
            };
            let estimate = Duration::from_secs_f64(operations as f64 * floor_ns_per_op(mode) / 1e9);
            engine::Runner::new(mode.name(), config.threads, estimate, move || {
                // Pinning (the point of --one-core) or creating the threads can fail.
                let run = race::run(&race).with_context(|| {
                    format!("the {} race of {} threads", mode.name(), config.threads)
                })?;
                // For --live: the counter as it ended, not as a thread last read it.
                crate::live_feed::counter(run.final_value);
                Ok(run)
            })
            .pinned_to(pin.as_slice())
        })
        .collect();
    let plan = Plan {
        repeats: Repeats {
            runs: config.runs,
            warmup: config.warmup,
        },
        watch: pin.map_or_else(|| env.mask(), |c| vec![c]),
        oracle: Oracle::Known(0),
        advice: "use fewer --iterations, --threads or --runs",
        progress: config.progress,
        tasks_and_units: Some((config.threads, config.iterations)),
    };
    let outcome = engine::measure(env, modes, &plan)?;
    let measured = &outcome.modes;
    let all: Vec<ModeRuns> = chosen
        .iter()
        .zip(measured)
        .map(|(&mode, m)| ModeRuns {
            mode,
            runs: m.values().cloned().collect(),
        })
        .collect();
    let base = all
        .iter()
        .position(|m| m.mode == Sharing::Atomic)
        .unwrap_or(0);
    let per_change = |m: &ModeRuns| m.ns_per_op(operations).median;
    let fastest = all.iter().map(per_change).fold(f64::INFINITY, f64::min);
    let unsync = all
        .iter()
        .find(|m| m.mode == Sharing::Unsync)
        .map(per_change);
    let results: Vec<ModeResult> = all
        .iter()
        .zip(measured)
        .map(|(m, meas)| {
            let mut result = meas.result(&measured[base], 0);
            let relative = RaceRelative {
                times_fastest: stats::round_to(per_change(m) / fastest, 2),
                times_unsync: unsync.map(|u| stats::round_to(per_change(m) / u, 2)),
            };
            result.findings = Findings::Race(RaceFindings {
                relative,
                ..findings(m, config.iterations, operations)
            });
            result
        })
        .collect();
    let found = RaceFound {
        cpu_choice: choice,
        setup: RaceSetup {
            threads: config.threads,
            iterations: config.iterations,
            changes_per_run: operations,
            runs: config.runs,
            warmup: config.warmup,
            one_core: pin,
        },
        timeline: super::timeline_of(measured),
        results,
        all,
    };
    Ok(super::finish(found, machine, outcome.interference))
}

/// What the race found: the CPU chosen (`--one-core`), the setup, each mode's result and runs,
/// and the run drawn of each.
struct RaceFound {
    cpu_choice: Option<CpuChoice>,
    setup: RaceSetup,
    results: Vec<ModeResult>,
    timeline: crate::model::Timeline,
    all: Vec<ModeRuns>,
}

impl super::Found for RaceFound {
    fn claims(&self, machine: &Machine, _: &crate::interference::Interference) -> Vec<Claim> {
        claims(&self.all, &self.results, one_cpu(&self.setup, machine))
    }

    fn report(
        self,
        machine: Machine,
        interference: crate::interference::Interference,
        claims: Vec<Claim>,
    ) -> Report {
        Report {
            cpu_choice: self.cpu_choice,
            race: Some(self.setup),
            ..super::report(
                crate::model::Demo::Race,
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

/// Can the threads only take turns: pinned to one CPU, or with one CPU's worth of time?
fn one_cpu(setup: &RaceSetup, machine: &Machine) -> bool {
    setup.one_core.is_some() || machine.cpu_capacity() <= 1.0
}

/// The modes asked for, each once, in [`Sharing::ALL`] order.
fn selected(modes: &[Sharing]) -> Vec<Sharing> {
    Sharing::ALL
        .into_iter()
        .filter(|m| modes.is_empty() || modes.contains(m))
        .collect()
}

/// The race's own figures of a mode.
fn findings(m: &ModeRuns, iterations: u64, operations: u64) -> RaceFindings {
    RaceFindings {
        iterations,
        wrong_runs: m.wrong_runs(),
        lost_updates_median: m.lost_median(),
        lost_updates_max: m.lost().iter().copied().max().unwrap_or(0),
        ns_per_op: m.ns_per_op(operations).median,
        final_values: m.finals(),
        reason: reason(m.mode, m.wrong_runs()),
        timing: timing(m),
        relative: RaceRelative::default(),
    }
}

/// When the threads of a mode's runs counted: only while their loops overlap can updates
/// collide.
fn timing(m: &ModeRuns) -> RaceTiming {
    let skews: Vec<f64> = m
        .runs
        .iter()
        .map(|r| r.start_skew.as_secs_f64() * 1e6)
        .collect();
    let shares: Vec<f64> = m
        .runs
        .iter()
        .map(|r| {
            let wall = r.run.wall.as_secs_f64();
            if wall > 0.0 {
                100.0 * r.overlap.as_secs_f64() / wall
            } else {
                0.0
            }
        })
        .collect();
    RaceTiming {
        start_skew_us: Summary::of(&skews).map(|s| [s.median, s.max]),
        loops_overlap_pct: Summary::of(&shares).map(|s| s.median),
        runs_apart: m.runs.iter().filter(|r| r.overlap.is_zero()).count(),
        runs_not_lined_up: m.runs.iter().filter(|r| !r.lined_up).count(),
        preemptions: m.preemptions(),
    }
}
