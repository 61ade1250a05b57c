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

use crate::error::UsageError;
use crate::exec::Run;
use crate::interference::{
    Interference, Meter, ModeInterference, Reading, Rounds, Source, Verdict,
};
use crate::progress::Progress;
use crate::report::{LaneKind, ModeResult, Recorded, TimelineRun};
use crate::stats::{self, Summary};
use crate::sys::Machine;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The longest estimated run accepted before any work starts.
pub const MAX_ESTIMATED_RUN: Duration = Duration::from_secs(3600);

/// What a demo runs on: the machine's facts and the meter of its CPUs.
#[derive(Debug, Clone)]
pub struct Env {
    pub machine: Machine,
    pub meter: Meter,
}

impl Env {
    /// This machine, metered through `/proc/stat`.
    pub fn detect() -> Env {
        Env {
            machine: Machine::detect(),
            meter: Meter::detect(),
        }
    }

    /// This machine's facts with a synthetic meter: other programs hold `others_cpus` of it
    /// (see [`Source::Synthetic`]), whatever really runs beside. For tests.
    pub fn with_load(others_cpus: f64) -> Env {
        Env {
            machine: Machine::detect(),
            meter: Meter::new(Source::Synthetic {
                others_cpus,
                steal_cpus: 0.0,
            }),
        }
    }

    /// The CPUs this process may use (all of them where the OS does not say).
    pub fn mask(&self) -> Vec<usize> {
        self.machine
            .affinity
            .clone()
            .unwrap_or_else(|| (0..self.machine.logical_cpus).collect())
    }
}

/// How often each mode runs: `warmup` unmeasured runs, then `runs` measured ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Repeats {
    pub runs: usize,
    pub warmup: usize,
}

/// What every executor's run type offers the engine.
pub trait Measurement {
    fn run(&self) -> &Run;
}

impl Measurement for Run {
    fn run(&self) -> &Run {
        self
    }
}

/// One way of running the work.
pub struct Runner<'a, R> {
    pub name: String,
    /// Threads (or processes, or workers) it runs on.
    pub threads: usize,
    /// About how long one run takes, waits included: for the budget and the progress bar.
    pub estimate: Duration,
    run: Box<dyn FnMut() -> anyhow::Result<R> + 'a>,
}

impl<'a, R> Runner<'a, R> {
    pub fn new(
        name: impl Into<String>,
        threads: usize,
        estimate: Duration,
        run: impl FnMut() -> anyhow::Result<R> + 'a,
    ) -> Runner<'a, R> {
        Runner {
            name: name.into(),
            threads,
            estimate,
            run: Box::new(run),
        }
    }
}

/// Where the checksum every mode must reproduce comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Oracle {
    /// The first mode's first measured run (the sequential one).
    FirstMode,
    /// A value known beforehand.
    Known(u64),
}

/// How to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    pub repeats: Repeats,
    /// The CPUs to meter: those the runs may use.
    pub watch: Vec<usize>,
    pub oracle: Oracle,
    /// Which flags make the work smaller, for the budget's refusal.
    pub advice: &'static str,
    /// May a progress bar be shown?
    pub progress: bool,
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct Sample<R> {
    pub value: R,
    /// The round it ran in, from 0.
    pub round: usize,
    /// CPU time of this process and its reaped children during the run.
    pub cpu_time: Option<Duration>,
    /// What the watched CPUs did meanwhile.
    pub reading: Reading,
}

/// The measured runs of one mode.
#[derive(Debug, Clone)]
pub struct Measured<R> {
    pub mode: String,
    pub threads: usize,
    /// The runs the figures come from, in round order.
    pub samples: Vec<Sample<R>>,
    /// Runs of disturbed rounds that were replaced: not in the figures, still reported.
    pub set_aside: Vec<Sample<R>>,
}

/// Everything the engine measured.
#[derive(Debug, Clone)]
pub struct Outcome<R> {
    pub modes: Vec<Measured<R>>,
    /// The checksum every run had to reproduce.
    pub expected: u64,
    pub interference: Interference,
}

/// Refuses, as bad input, work whose warm-ups and runs together are estimated above
/// [`MAX_ESTIMATED_RUN`]; `advice` says which flags make it smaller.
pub fn check_budget(
    estimates: impl IntoIterator<Item = Duration>,
    repeats: Repeats,
    advice: &str,
) -> Result<(), UsageError> {
    let round: f64 = estimates.into_iter().map(|e| e.as_secs_f64()).sum();
    check_estimate(round * (repeats.runs + repeats.warmup) as f64, advice)
}

/// Refuses, as bad input, a run estimated at `estimate_s` seconds when that is over
/// [`MAX_ESTIMATED_RUN`].
pub fn check_estimate(estimate_s: f64, advice: &str) -> Result<(), UsageError> {
    if estimate_s.is_nan() || estimate_s > MAX_ESTIMATED_RUN.as_secs_f64() {
        let shown = if estimate_s.is_finite() && estimate_s < 1e12 {
            humantime::format_duration(Duration::from_secs(estimate_s as u64)).to_string()
        } else {
            "forever".to_string()
        };
        return Err(UsageError(format!(
            "this run would take about {shown} on this machine (limit {}); {advice}",
            humantime::format_duration(MAX_ESTIMATED_RUN)
        )));
    }
    Ok(())
}

/// Measures `runners` as `plan` says (see the module doc).
pub fn measure<R: Measurement>(
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
    let started = Instant::now();

    for _ in 0..plan.repeats.warmup {
        for runner in &mut runners {
            progress.message(&runner.name);
            (runner.run)()?;
            progress.step();
        }
    }

    let mut all: Vec<Vec<Sample<R>>> = runners.iter().map(|_| Vec::new()).collect();
    let mut disturbed_rounds = Vec::new();
    let mut wanted = plan.repeats.runs;
    let mut last = env.meter.snapshot();
    let mut round = 0;
    while round < wanted {
        let round_started = Instant::now();
        let mut readings = Vec::with_capacity(runners.len());
        for (runner, into) in runners.iter_mut().zip(&mut all) {
            progress.message(&runner.name);
            let value = (runner.run)()?;
            let now = env.meter.snapshot();
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
        let affordable = started.elapsed() + round_started.elapsed() <= MAX_ESTIMATED_RUN;
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
fn work_by_cpu(run: &Run) -> BTreeMap<usize, Duration> {
    let mut by_cpu = BTreeMap::new();
    for s in &run.slices {
        if let Some(cpu) = s.cpu() {
            *by_cpu.entry(cpu).or_default() += s.end().saturating_sub(s.start());
        }
    }
    by_cpu
}

impl<R: Measurement> Measured<R> {
    /// Every measured run, used or set aside.
    pub fn all_samples(&self) -> impl Iterator<Item = &Sample<R>> {
        self.samples.iter().chain(&self.set_aside)
    }

    /// The runs the figures come from.
    pub fn values(&self) -> impl Iterator<Item = &R> {
        self.samples.iter().map(|s| &s.value)
    }

    /// The executor runs the figures come from.
    pub fn runs(&self) -> impl Iterator<Item = &Run> {
        self.values().map(Measurement::run)
    }

    pub fn wall_ms(&self) -> Summary {
        let samples: Vec<f64> = self.runs().map(|r| r.wall.as_secs_f64() * 1e3).collect();
        Summary::of(&samples).expect("at least one measured run")
    }

    /// The run closest to the median: the one a timeline shows.
    pub fn median_sample(&self) -> &Sample<R> {
        &self.samples[self.wall_ms().median_index()]
    }

    /// The speedup of each round against `baseline`'s run of the same round.
    pub fn round_speedups(&self, baseline: &Measured<R>) -> Vec<f64> {
        self.samples
            .iter()
            .filter_map(|s| {
                let b = baseline.samples.iter().find(|b| b.round == s.round)?;
                Some(stats::speedup(
                    b.value.run().wall.as_secs_f64(),
                    s.value.run().wall.as_secs_f64(),
                ))
            })
            .collect()
    }

    /// The mode's interference over its used runs, with every run's own reading.
    pub fn interference(&self) -> ModeInterference {
        let used = Reading::sum(self.samples.iter().map(|s| &s.reading), false);
        let mut all: Vec<&Sample<R>> = self.all_samples().collect();
        all.sort_by_key(|s| s.round);
        let used_rounds: Vec<usize> = self.samples.iter().map(|s| s.round).collect();
        let sample = |s: &&Sample<R>| s.reading.sample(used_rounds.contains(&s.round));
        ModeInterference {
            others_cpus: round3(used.others_cpus()),
            steal_cpus: round3(used.steal_cpus()),
            resolution_cpus: round3(used.resolution_cpus()),
            verdict: used.verdict(),
            samples: all.iter().map(sample).collect(),
            disturbed_runs: all
                .iter()
                .filter(|s| s.reading.verdict() == Verdict::Disturbed)
                .count(),
        }
    }

    /// The mode's row, against `baseline` (one of the measured modes, often this one).
    pub fn result(&self, baseline: &Measured<R>, expected_checksum: u64) -> ModeResult {
        let wall_ms = self.wall_ms();
        let speedup = stats::speedup(baseline.wall_ms().median, wall_ms.median);
        let per_round = self.round_speedups(baseline);
        let low = per_round.iter().copied().fold(f64::INFINITY, f64::min);
        let high = per_round.iter().copied().fold(0.0, f64::max);
        let mut cpus_used: Vec<usize> = self
            .runs()
            .flat_map(|r| r.slices.iter().filter_map(crate::trace::Slice::cpu))
            .collect();
        cpus_used.sort_unstable();
        cpus_used.dedup();
        ModeResult {
            mode: self.mode.clone(),
            threads: self.threads,
            cpus_used,
            speedup,
            speedup_interval: if per_round.is_empty() {
                [speedup, speedup]
            } else {
                [
                    (low * 1000.0).floor() / 1000.0,
                    (high * 1000.0).ceil() / 1000.0,
                ]
            },
            efficiency: stats::efficiency(speedup, self.threads),
            checksum_ok: self
                .all_samples()
                .all(|s| s.value.run().checksum == expected_checksum),
            wall_ms,
            interference: Some(self.interference()),
            findings: crate::findings::Findings::None,
        }
    }

    /// The slices of the run closest to the median, for the timeline.
    pub fn timeline(&self) -> (TimelineRun, Recorded) {
        let index = self.wall_ms().median_index();
        let run = self.samples[index].value.run();
        let slices = Recorded {
            mode: self.mode.clone(),
            lanes: LaneKind::Cpu,
            slices: run.slices.clone(),
        };
        (
            TimelineRun {
                mode: self.mode.clone(),
                run: index,
                wall_us: run.wall.as_secs_f64() * 1e6,
            },
            slices,
        )
    }
}

fn round3(value: Option<f64>) -> Option<f64> {
    value.map(round3v)
}

fn round3v(v: f64) -> f64 {
    crate::stats::round_to(v, 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn run_of(wall_ms: u64, checksum: u64) -> Run {
        Run {
            wall: Duration::from_millis(wall_ms),
            checksum,
            slices: Vec::new(),
            context_switches: None,
        }
    }

    fn env(source: Source) -> Env {
        Env {
            machine: Machine::detect(),
            meter: Meter::new(source),
        }
    }

    fn plan(runs: usize, warmup: usize) -> Plan {
        Plan {
            repeats: Repeats { runs, warmup },
            // The first CPU: a synthetic machine's load starts there, and one CPU reads finely.
            watch: vec![crate::sys::affinity().map_or(0, |m| m[0])],
            oracle: Oracle::FirstMode,
            advice: "use less",
            progress: false,
        }
    }

    #[test]
    fn rounds_take_every_mode_in_turn_after_the_warm_ups() {
        let order = std::cell::RefCell::new(Vec::new());
        let modes = vec![
            Runner::new("a", 1, Duration::ZERO, || {
                order.borrow_mut().push('a');
                Ok(run_of(10, 7))
            }),
            Runner::new("b", 2, Duration::ZERO, || {
                order.borrow_mut().push('b');
                Ok(run_of(5, 7))
            }),
        ];
        let out = measure(&env(Source::None), modes, &plan(2, 1)).unwrap();
        assert_eq!(order.into_inner(), vec!['a', 'b', 'a', 'b', 'a', 'b']);
        assert_eq!(out.modes[0].samples.len(), 2);
        assert_eq!(out.expected, 7);
        let r = out.modes[1].result(&out.modes[0], out.expected);
        assert_eq!(r.speedup, 2.0);
        assert_eq!(r.speedup_interval, [2.0, 2.0]);
        assert!(r.checksum_ok);
        // No counters: every figure is unknown, not zero.
        assert_eq!(out.interference.verdict, Verdict::Unknown);
        assert_eq!(out.interference.others_cpus, None);
    }

    #[test]
    fn the_oracle_catches_a_wrong_checksum_in_any_run() {
        let n = Cell::new(0);
        let modes = vec![
            Runner::new("seq", 1, Duration::ZERO, || Ok(run_of(10, 1))),
            Runner::new("bad", 2, Duration::ZERO, || {
                n.set(n.get() + 1);
                Ok(run_of(5, if n.get() == 2 { 99 } else { 1 }))
            }),
        ];
        let out = measure(&env(Source::None), modes, &plan(3, 0)).unwrap();
        assert!(!out.modes[1].result(&out.modes[0], out.expected).checksum_ok);
        assert!(out.modes[0].result(&out.modes[0], out.expected).checksum_ok);
    }

    #[test]
    fn speedup_intervals_pair_the_rounds() {
        let walls = [10, 20, 10];
        let i = Cell::new(0);
        let modes = vec![
            Runner::new("seq", 1, Duration::ZERO, || {
                let w = walls[i.get() % 3];
                i.set(i.get() + 1);
                Ok(run_of(w, 0))
            }),
            Runner::new("par", 2, Duration::ZERO, || Ok(run_of(5, 0))),
        ];
        let out = measure(&env(Source::None), modes, &plan(3, 0)).unwrap();
        let r = out.modes[1].result(&out.modes[0], out.expected);
        assert_eq!(r.speedup_interval, [2.0, 4.0]);
        assert_eq!(r.speedup, 2.0);
    }

    #[test]
    fn disturbed_rounds_are_replaced_within_bounds_and_reported() {
        // Other programs hold the watched CPU all along: every round is disturbed, so the engine runs
        // as many extra rounds as --runs and then keeps them all, saying so.
        let busy = env(Source::Synthetic {
            others_cpus: 1.0,
            steal_cpus: 0.0,
        });
        let calls = Cell::new(0);
        let modes = vec![Runner::new("seq", 1, Duration::ZERO, || {
            calls.set(calls.get() + 1);
            std::thread::sleep(Duration::from_millis(150));
            Ok(run_of(150, 0))
        })];
        let out = measure(&busy, modes, &plan(2, 0)).unwrap();
        assert_eq!(calls.get(), 4);
        let rounds = out.interference.rounds;
        assert_eq!(
            (rounds.planned, rounds.measured, rounds.disturbed),
            (2, 4, 4)
        );
        assert_eq!((rounds.replaced, rounds.kept_disturbed), (0, 4));
        assert_eq!(out.modes[0].samples.len(), 4);
        assert_eq!(out.interference.verdict, Verdict::Disturbed);
        let mode = out.modes[0].interference();
        assert_eq!(mode.samples.len(), 4);
        assert!(mode.others_cpus.unwrap() > 0.7);
    }

    #[test]
    fn a_quiet_machine_needs_no_extra_rounds() {
        let quiet = env(Source::Synthetic {
            others_cpus: 0.0,
            steal_cpus: 0.0,
        });
        let calls = Cell::new(0);
        let modes = vec![Runner::new("seq", 1, Duration::ZERO, || {
            calls.set(calls.get() + 1);
            std::thread::sleep(Duration::from_millis(120));
            Ok(run_of(120, 0))
        })];
        let out = measure(&quiet, modes, &plan(2, 1)).unwrap();
        assert_eq!(calls.get(), 3);
        assert_eq!(out.interference.rounds.disturbed, 0);
        assert_eq!(out.interference.verdict, Verdict::Quiet);
    }

    #[test]
    fn the_budget_counts_every_run_and_refuses_before_any_work() {
        let ran = Cell::new(false);
        let modes = vec![Runner::new("slow", 1, Duration::from_secs(1000), || {
            ran.set(true);
            Ok(run_of(1, 0))
        })];
        let error = measure(&env(Source::None), modes, &plan(3, 1)).unwrap_err();
        assert!(error.downcast_ref::<UsageError>().is_some(), "{error}");
        assert!(!ran.get());
        assert!(
            check_budget(
                [Duration::from_secs(900)],
                Repeats { runs: 3, warmup: 1 },
                ""
            )
            .is_ok()
        );
        assert!(check_estimate(f64::INFINITY, "").is_err());
        assert!(check_estimate(f64::NAN, "").is_err());
    }
}
