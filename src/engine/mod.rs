//! The measurement engine: the one loop that measures, for every demo.
//!
//! A demo hands it its modes as [`Runner`]s (one closure per way of running the work, each
//! returning that executor's own run type) and gets back every mode's samples. The engine owns
//! what every measurement needs and no demo should redo:
//!
//! - **the budget**: the estimated cost of every run, waits included, over all warm-ups and
//!   runs, refused as bad input above [`MAX_ESTIMATED_RUN`] before anything starts;
//! - **rounds**: warm-up rounds, then measured rounds, each mode once per round in turn, so a
//!   slow stretch of the machine spreads over every mode alike instead of biasing one;
//! - **the CPU time** of every run, and **the interference meter** ([`crate::interference`])
//!   read at every boundary between runs, so each run knows what other programs and the
//!   hypervisor took meanwhile;
//! - **disturbed rounds**: a round whose reading is disturbed is replaced by an extra round
//!   (at most as many extra rounds as `--runs`, never past the budget); the figures come from
//!   the undisturbed rounds when at least half of `--runs` remain, else from all rounds, and
//!   the report says which ([`Rounds`]);
//! - **the checksum oracle**: the first mode's first measured run, or a known value;
//! - **how sure**: each speedup with the range of its per-round ratios.
//!
//! What the machine is and how it is metered come in with an [`Env`], so tests can hand a
//! demo a synthetic machine (1 CPU, a 1.5-CPU quota, 64 CPUs) or a synthetic busy one.

mod budget;
#[cfg(test)]
pub(crate) mod script;
mod summary;
#[cfg(test)]
mod tests;

pub(crate) use crate::workload::Repeats;
pub(crate) use budget::{MAX_ESTIMATED_RUN, check_budget};

use crate::exec::Run;
use crate::interference::{Interference, Meter, Reading, Rounds, Verdict};
use crate::progress::Progress;
use crate::sys::Machine;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What a demo runs on: the machine's facts and the meter of its CPUs.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    pub(crate) machine: Machine,
    pub(crate) meter: Meter,
    /// The kernel's speed on each kind of core, once measured ([`Env::core_speeds`]).
    core_speeds: std::sync::Arc<std::sync::OnceLock<Vec<crate::placement::CoreSpeed>>>,
    /// Runs scripted on a fixed clock instead of measured (see [`script`]); tests only.
    #[cfg(test)]
    pub(crate) script: Option<std::sync::Arc<script::Script>>,
}

impl Env {
    /// This machine, metered through `/proc/stat`.
    pub(crate) fn detect() -> Env {
        Env {
            machine: Machine::detect(),
            meter: Meter::detect(),
            core_speeds: std::sync::Arc::default(),
            #[cfg(test)]
            script: None,
        }
    }

    /// `machine` as `script` says it behaves: no work runs, and nothing reads this machine.
    #[cfg(test)]
    pub(crate) fn scripted(machine: Machine, script: script::Script) -> Env {
        Env {
            meter: Meter::new(crate::interference::Source::Scripted(script.counters())),
            machine,
            core_speeds: std::sync::Arc::default(),
            script: Some(std::sync::Arc::new(script)),
        }
    }

    /// This machine's facts with a synthetic meter: other programs hold `others_cpus` of it
    /// (see [`Source::Synthetic`](crate::interference::Source::Synthetic)), whatever really runs beside. For tests.
    #[cfg(test)]
    pub(crate) fn with_load(others_cpus: f64) -> Env {
        Env {
            machine: Machine::detect(),
            meter: Meter::new(crate::interference::Source::Synthetic {
                others_cpus,
                steal_cpus: 0.0,
            }),
            core_speeds: std::sync::Arc::default(),
            script: None,
        }
    }

    /// What the CPUs this process may use did over the next `duration`, while this process
    /// sleeps: how busy other programs keep them.
    pub(crate) fn look(&self, duration: Duration) -> Reading {
        let before = self.meter.snapshot();
        self.pass(duration);
        let after = self.meter.snapshot();
        Reading::between(&before, &after, &self.mask(), self.meter.tick())
    }

    /// Lets `duration` go by: asleep, or on a scripted machine's clock.
    #[cfg_attr(
        not(test),
        allow(clippy::unused_self, reason = "a script's clock in tests")
    )]
    fn pass(&self, duration: Duration) {
        #[cfg(test)]
        if let Some(script) = &self.script {
            return script.look(duration);
        }
        std::thread::sleep(duration);
    }

    /// The clock runs are timed on.
    #[cfg_attr(
        not(test),
        allow(clippy::unused_self, reason = "a script's clock in tests")
    )]
    pub(crate) fn now(&self) -> Instant {
        #[cfg(test)]
        if let Some(script) = &self.script {
            return script.now();
        }
        Instant::now()
    }

    /// The kernel's speed on the first CPU of each kind of core this process may use, where
    /// the kinds differ ([`crate::placement::core_speeds`]): measured once, so that the tour's
    /// two `parallel` runs share the probes.
    pub(crate) fn core_speeds(&self) -> anyhow::Result<Vec<crate::placement::CoreSpeed>> {
        if let Some(speeds) = self.core_speeds.get() {
            return Ok(speeds.clone());
        }
        let speeds = match &self.machine.topology {
            Some(topology) => {
                crate::placement::core_speeds(topology, self.machine.affinity.as_deref())?
            }
            None => Vec::new(),
        };
        Ok(self.core_speeds.get_or_init(|| speeds).clone())
    }

    /// The cost of one kernel unit here: calibrated once per process, or scripted.
    #[cfg_attr(
        not(test),
        allow(clippy::unused_self, reason = "a script's cost in tests")
    )]
    pub(crate) fn unit_ns(&self) -> f64 {
        #[cfg(test)]
        if let Some(script) = &self.script {
            return script.unit_ns;
        }
        crate::workload::unit_ns()
    }

    /// The CPUs this process may use (all of them where the OS does not say).
    pub(crate) fn mask(&self) -> Vec<usize> {
        self.machine
            .affinity
            .clone()
            .unwrap_or_else(|| (0..self.machine.logical_cpus).collect())
    }
}

/// What every executor's run type offers the engine.
pub(crate) trait Measurement {
    fn run(&self) -> &Run;

    /// This run type made of a scripted run of mode `mode` (see [`script`]).
    #[cfg(test)]
    fn scripted(run: Run, mode: &str, script: &script::Script) -> Self
    where
        Self: Sized;
}

impl Measurement for Run {
    fn run(&self) -> &Run {
        self
    }

    #[cfg(test)]
    fn scripted(run: Run, _: &str, _: &script::Script) -> Run {
        run
    }
}

/// A run of real `CPython`: the measurement is its run, the rest is what it adds.
impl Measurement for crate::exec::cpython::PyRun {
    fn run(&self) -> &Run {
        &self.run
    }

    #[cfg(test)]
    fn scripted(run: Run, _: &str, _: &script::Script) -> Self {
        crate::exec::cpython::PyRun {
            run,
            startup: Duration::ZERO,
            handoffs: 0,
            last_began: Duration::ZERO,
        }
    }
}

/// One way of running the work.
pub(crate) struct Runner<'a, R> {
    pub(crate) name: String,
    /// Threads (or processes, or workers) it runs on.
    pub(crate) threads: usize,
    /// About how long one run takes, waits included: for the budget and the progress bar.
    pub(crate) estimate: Duration,
    /// The CPUs its workers are pinned to, where they are.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by scripted runs"))]
    pinned: Option<Vec<usize>>,
    /// Does each worker run its tasks at once, taking turns (green threads), rather than one
    /// after another?
    #[cfg_attr(not(test), allow(dead_code, reason = "read by scripted runs"))]
    interleaving: bool,
    /// Do its workers take turns under one lock, one at a time whatever the CPUs?
    #[cfg_attr(not(test), allow(dead_code, reason = "read by scripted runs"))]
    one_at_a_time: bool,
    run: Box<dyn FnMut() -> anyhow::Result<R> + 'a>,
}

impl<'a, R> Runner<'a, R> {
    pub(crate) fn new(
        name: impl Into<String>,
        threads: usize,
        estimate: Duration,
        run: impl FnMut() -> anyhow::Result<R> + 'a,
    ) -> Runner<'a, R> {
        Runner {
            name: name.into(),
            threads,
            estimate,
            pinned: None,
            interleaving: false,
            one_at_a_time: false,
            run: Box::new(run),
        }
    }

    /// Its workers are pinned to `cpus` (to none where it is empty).
    #[must_use]
    pub(crate) fn pinned_to(mut self, cpus: &[usize]) -> Self {
        self.pinned = (!cpus.is_empty()).then(|| cpus.to_vec());
        self
    }

    /// Each worker runs its tasks at once, taking turns.
    #[must_use]
    pub(crate) fn interleaving(mut self) -> Self {
        self.interleaving = true;
        self
    }

    /// Its workers take turns under one lock.
    #[must_use]
    pub(crate) fn one_at_a_time(mut self) -> Self {
        self.one_at_a_time = true;
        self
    }

    /// One run: measured, or on a scripted machine laid out by its script.
    fn run_once(&mut self, env: &Env, plan: &Plan, round: Option<usize>) -> anyhow::Result<R>
    where
        R: Measurement,
    {
        #[cfg(test)]
        if let Some(script) = &env.script {
            let run = script.run(&script::RunSpec {
                workers: self.threads,
                estimate: self.estimate,
                tasks: plan.tasks(self.threads),
                pinned: self.pinned.as_deref(),
                interleaving: self.interleaving,
                one_at_a_time: self.one_at_a_time,
                round,
                checksum: match plan.oracle {
                    Oracle::Known(value) => Some(value),
                    Oracle::FirstMode => None,
                },
            });
            return Ok(R::scripted(run, &self.name, script));
        }
        let _ = (env, plan, round);
        (self.run)()
    }
}

/// Where the checksum every mode must reproduce comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Oracle {
    /// The first mode's first measured run (the sequential one).
    FirstMode,
    /// A value known beforehand.
    Known(u64),
}

/// How to measure.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) repeats: Repeats,
    /// The CPUs to meter: those the runs may use.
    pub(crate) watch: Vec<usize>,
    pub(crate) oracle: Oracle,
    /// Which flags make the work smaller, for the budget's refusal.
    pub(crate) advice: &'static str,
    /// May a progress bar be shown?
    pub(crate) progress: bool,
    /// The tasks of a run and the kernel units each does, where every mode runs the same
    /// tasks: `--live` shows each task's progress from it.
    pub(crate) tasks_and_units: Option<(usize, u64)>,
}

impl Plan {
    /// The tasks of a run of a mode on `threads` threads: the plan's, or one a thread.
    fn tasks(&self, threads: usize) -> usize {
        self.tasks_and_units.map_or(threads, |(tasks, _)| tasks)
    }
}

/// One measured run.
#[derive(Debug, Clone)]
pub(crate) struct Sample<R> {
    pub(crate) value: R,
    /// The round it ran in, from 0.
    pub(crate) round: usize,
    /// CPU time of this process and its reaped children during the run.
    pub(crate) cpu_time: Option<Duration>,
    /// What the watched CPUs did meanwhile.
    pub(crate) reading: Reading,
}

/// The measured runs of one mode.
#[derive(Debug, Clone)]
pub(crate) struct Measured<R> {
    pub(crate) mode: String,
    pub(crate) threads: usize,
    /// The runs the figures come from, in round order.
    pub(crate) samples: Vec<Sample<R>>,
    /// Runs of disturbed rounds that were replaced: not in the figures, still reported.
    pub(crate) set_aside: Vec<Sample<R>>,
}

impl<R> Measured<R> {
    /// The same runs with each value turned by `f`: a demo that measured modes of two kinds
    /// in one set of rounds (the GIL's model and `CPython`) takes each kind back apart.
    pub(crate) fn map<S>(self, f: impl Fn(R) -> S) -> Measured<S> {
        let each = |samples: Vec<Sample<R>>| -> Vec<Sample<S>> {
            samples
                .into_iter()
                .map(|s| Sample {
                    value: f(s.value),
                    round: s.round,
                    cpu_time: s.cpu_time,
                    reading: s.reading,
                })
                .collect()
        };
        Measured {
            mode: self.mode,
            threads: self.threads,
            samples: each(self.samples),
            set_aside: each(self.set_aside),
        }
    }
}

/// Everything the engine measured.
#[derive(Debug, Clone)]
pub(crate) struct Outcome<R> {
    pub(crate) modes: Vec<Measured<R>>,
    /// The checksum every run had to reproduce.
    pub(crate) expected: u64,
    pub(crate) interference: Interference,
}

/// Measures `runners` as `plan` says (see the module doc).
pub(crate) fn measure<R: Measurement>(
    env: &Env,
    mut runners: Vec<Runner<'_, R>>,
    plan: &Plan,
) -> anyhow::Result<Outcome<R>> {
    anyhow::ensure!(
        !runners.is_empty() && plan.repeats.runs > 0,
        "nothing to measure"
    );
    let estimates: Vec<Duration> = runners.iter().map(|r| r.estimate).collect();
    check_budget(estimates.iter().copied(), plan.repeats, plan.advice)?;
    let round_estimate: Duration = estimates.iter().sum();
    let rounds = plan.repeats.runs + plan.repeats.warmup;
    let progress = Progress::new(
        plan.progress,
        (rounds * runners.len()) as u64,
        round_estimate.mul_f64(rounds as f64),
    );
    let started = env.now();

    let live_started = |runner: &Runner<'_, R>, round: String| {
        let units = plan.tasks_and_units.map(|(_, units)| units);
        let tasks = plan.tasks(runner.threads);
        crate::live_feed::run_started(&runner.name, round, runner.estimate, tasks, units);
    };
    let live_ended = |value: &R| {
        let run = value.run();
        crate::live_feed::run_ended(run.wall, run.slices.iter().map(crate::trace::Slice::live));
    };
    for warmup in 0..plan.repeats.warmup {
        for runner in &mut runners {
            progress.message(&runner.name);
            live_started(
                runner,
                format!("warm-up {} of {}", warmup + 1, plan.repeats.warmup),
            );
            let value = runner.run_once(env, plan, None)?;
            live_ended(&value);
            progress.step();
        }
    }

    let mut all: Vec<Vec<Sample<R>>> = runners.iter().map(|_| Vec::new()).collect();
    let mut disturbed_rounds = Vec::new();
    let mut wanted = plan.repeats.runs;
    let mut last = env.meter.snapshot();
    let mut round = 0;
    while round < wanted {
        let round_started = env.now();
        let mut readings = Vec::with_capacity(runners.len());
        for (runner, into) in runners.iter_mut().zip(&mut all) {
            progress.message(&runner.name);
            live_started(runner, format!("round {} of {wanted}", round + 1));
            let value = runner.run_once(env, plan, Some(round))?;
            // The reading ends with the run; --live's bookkeeping comes after it.
            let now = env.meter.snapshot();
            live_ended(&value);
            let mut reading = Reading::between(&last, &now, &plan.watch, env.meter.tick());
            reading.own_by_cpu = work_by_cpu(value.run());
            last = now;
            progress.step();
            readings.push(reading.clone());
            into.push(Sample {
                value,
                round,
                cpu_time: reading.own,
                reading,
            });
        }
        let disturbed = Reading::sum(&readings, true).verdict() == Verdict::Disturbed;
        disturbed_rounds.push(disturbed);
        let replacing = wanted - plan.repeats.runs;
        let now = env.now();
        let affordable = (now - started) + (now - round_started) <= MAX_ESTIMATED_RUN;
        if disturbed && replacing < plan.repeats.runs && affordable {
            wanted += 1;
            progress.add_steps(runners.len() as u64);
        }
        round += 1;
    }
    progress.finish();

    let disturbed = disturbed_rounds.iter().filter(|&&d| d).count();
    let quiet = disturbed_rounds.len() - disturbed;
    let replace = disturbed > 0 && quiet >= plan.repeats.runs.div_ceil(2);
    let rounds = Rounds {
        planned: plan.repeats.runs,
        measured: disturbed_rounds.len(),
        disturbed,
        replaced: if replace { disturbed } else { 0 },
        kept_disturbed: if replace { 0 } else { disturbed },
    };
    let measured: Vec<Measured<R>> = runners
        .iter()
        .zip(all)
        .map(|(runner, samples)| {
            let (samples, set_aside) = samples
                .into_iter()
                .partition(|s| !(replace && disturbed_rounds[s.round]));
            Measured {
                mode: runner.name.clone(),
                threads: runner.threads,
                samples,
                set_aside,
            }
        })
        .collect();
    let expected = match plan.oracle {
        Oracle::Known(value) => value,
        Oracle::FirstMode => measured[0]
            .all_samples()
            .min_by_key(|s| s.round)
            .map_or(0, |s| s.value.run().checksum),
    };
    let used = used_reading(&measured);
    Ok(Outcome {
        modes: measured,
        expected,
        interference: Interference::of(&used, &plan.watch, rounds),
    })
}

/// The readings of the rounds the figures come from, together. A round's runs follow each
/// other, and so do two used rounds in a row; a replaced round between two leaves a gap.
fn used_reading<R>(measured: &[Measured<R>]) -> Reading {
    let mut by_round: BTreeMap<usize, Vec<&Reading>> = BTreeMap::new();
    for s in measured.iter().flat_map(|m| &m.samples) {
        by_round.entry(s.round).or_default().push(&s.reading);
    }
    let mut total: Option<(usize, Reading)> = None;
    for (round, readings) in by_round {
        let this = Reading::sum(readings, true);
        total = Some(match total {
            None => (round, this),
            Some((last, sum)) => (round, Reading::sum([&sum, &this], last + 1 == round)),
        });
    }
    total.map(|(_, r)| r).unwrap_or_default()
}

/// How long this process's work ran on each CPU in a run, from its slices.
pub(crate) fn work_by_cpu(run: &Run) -> BTreeMap<usize, Duration> {
    let mut by_cpu = BTreeMap::new();
    for s in &run.slices {
        if let Some(cpu) = s.cpu() {
            *by_cpu.entry(cpu).or_default() += s.end().saturating_sub(s.start());
        }
    }
    by_cpu
}
