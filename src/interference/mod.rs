//! The interference meter: what other programs and the hypervisor took from the CPUs this
//! process may use while a run ran, so that a disturbed figure is known as such.
//!
//! A run that shares its CPUs with a browser, a build or a noisy virtual-machine neighbour is
//! slower, and not by the same amount in every mode: a mode that needs both CPUs loses more
//! than one that needs one, and under contention Linux gives each *thread* a share, so two
//! threads can take a larger share of a busy CPU than one. Ratios between modes are then wrong
//! in either direction. This module measures the disturbance beside the work.
//!
//! # How
//!
//! The per-CPU lines of `/proc/stat` count, for every CPU, the clock ticks (`USER_HZ`, 100 a
//! second almost everywhere) spent busy (user, nice, system, irq, softirq), idle, and stolen by
//! the hypervisor. A [`Snapshot`] reads them, with this process's CPU time (`getrusage`, self
//! and reaped children) and the monotonic clock, at every boundary between two runs. A
//! [`Reading`] is the difference of two snapshots over the watched CPUs:
//!
//! - `others_cpus` = (busy time of the watched CPUs - this process's CPU time) / wall time:
//!   0.98 means another program held about one CPU all along;
//! - `steal_cpus` = stolen time of the watched CPUs / wall time;
//! - `resolution_cpus` = `pieces x CPUs x tick / wall`: the counters move in whole ticks, so
//!   each CPU's count can be off by up to a tick over a reading, and as the CPUs' ticks come at
//!   the same moments these errors need not cancel. One 100 ms run on 2 CPUs reads to within
//!   0.2 CPUs; a round, or a whole report (one piece: its runs follow each other) read finer,
//!   a mode's runs together (one piece per run) a little less so.
//!
//! A reading is judged against [`threshold`] (a tenth of each CPU watched, at most a quarter of
//! a CPU) only where its resolution allows: `disturbed` where `others + steal - resolution` is
//! above it, `quiet` where `others + steal + resolution` is at most it, and `unknown` otherwise
//! (too short to tell, or no `/proc/stat`).
//! Nothing here fails: where the OS does not tell, the answer is unknown.

mod reading;

pub use reading::{DISTURBED_CPUS, DISTURBED_SHARE, Reading, Verdict, threshold};

use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The tick `/proc/stat` counts in when the OS does not say (`USER_HZ` is 100 on every common
/// Linux architecture).
const DEFAULT_TICK: Duration = Duration::from_millis(10);

/// The counters of one CPU, in ticks since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTicks {
    pub cpu: usize,
    /// user + nice + system + irq + softirq (guest time is already inside user).
    pub busy: u64,
    pub steal: u64,
}

/// Parses the per-CPU lines (`cpu0 ...`) of `/proc/stat`; the total line (`cpu `) is skipped.
/// Lines it cannot read are skipped too, so a kernel with fewer columns still gives what it
/// has.
pub fn parse_proc_stat(text: &str) -> Vec<CpuTicks> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let cpu: usize = fields.next()?.strip_prefix("cpu")?.parse().ok()?;
            let n: Vec<u64> = fields.map_while(|f| f.parse().ok()).collect();
            let at = |i: usize| n.get(i).copied().unwrap_or(0);
            // user nice system idle iowait irq softirq steal guest guest_nice
            (n.len() >= 4).then(|| CpuTicks {
                cpu,
                busy: at(0) + at(1) + at(2) + at(5) + at(6),
                steal: at(7),
            })
        })
        .collect()
}

/// Where the CPU counters come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A `/proc/stat`-format file (normally `/proc/stat` itself).
    ProcStat(PathBuf),
    /// A machine where other programs take `others_cpus` (filling CPUs from the first of the
    /// affinity mask) and the hypervisor `steal_cpus` (spread evenly), on top of this
    /// process's own CPU time: for tests of what a demo says on a busy machine.
    Synthetic { others_cpus: f64, steal_cpus: f64 },
    /// No counters (not Linux): every reading is unknown.
    None,
}

/// Takes [`Snapshot`]s of the watched CPUs.
#[derive(Debug, Clone)]
pub struct Meter {
    source: Source,
    tick: Duration,
    /// Start of a synthetic machine's clock.
    born: Instant,
}

/// The counters at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub at: Instant,
    /// This process's and its reaped children's CPU time so far.
    pub own: Option<Duration>,
    /// `None` where the counters could not be read.
    pub cpus: Option<Vec<CpuTicks>>,
}

impl Meter {
    /// The meter of this machine: `/proc/stat` where it exists.
    pub fn detect() -> Meter {
        let path = PathBuf::from("/proc/stat");
        let source = if path.exists() {
            Source::ProcStat(path)
        } else {
            Source::None
        };
        Meter::new(source)
    }

    pub fn new(source: Source) -> Meter {
        Meter {
            source,
            tick: crate::sys::clock_tick().unwrap_or(DEFAULT_TICK),
            born: Instant::now(),
        }
    }

    pub fn tick(&self) -> Duration {
        self.tick
    }

    /// Reads the counters of every CPU now.
    pub fn snapshot(&self) -> Snapshot {
        let own = crate::sys::cpu_time();
        let at = Instant::now();
        let cpus = match &self.source {
            Source::ProcStat(path) => std::fs::read_to_string(path)
                .ok()
                .map(|t| parse_proc_stat(&t))
                .filter(|c| !c.is_empty()),
            Source::Synthetic {
                others_cpus,
                steal_cpus,
            } => own.map(|own| self.synthetic(own, at, *others_cpus, *steal_cpus)),
            Source::None => None,
        };
        Snapshot { at, own, cpus }
    }

    /// Counters of a synthetic machine of every CPU this process may use: this process's time
    /// all on the first, so that any set of CPUs with the first reads it whole, and the others'
    /// load filling CPUs from the first (a load of 1.5 holds the first CPU and half the
    /// second), as a busy program pinned to a CPU would.
    fn synthetic(&self, own: Duration, at: Instant, others: f64, steal: f64) -> Vec<CpuTicks> {
        let cpus = crate::sys::affinity().unwrap_or_else(|| vec![0]);
        let n = cpus.len() as f64;
        let elapsed = at.duration_since(self.born).as_secs_f64();
        let tick = self.tick.as_secs_f64();
        cpus.into_iter()
            .enumerate()
            .map(|(i, cpu)| {
                let load = (others - i as f64).clamp(0.0, 1.0);
                let own = if i == 0 { own.as_secs_f64() } else { 0.0 };
                CpuTicks {
                    cpu,
                    busy: ((own + load * elapsed) / tick) as u64,
                    steal: (steal * elapsed / n / tick) as u64,
                }
            })
            .collect()
    }
}

/// One run's reading, as the JSON `interference.samples[]` of a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleReport {
    pub others_cpus: Option<f64>,
    pub steal_cpus: Option<f64>,
    pub resolution_cpus: Option<f64>,
    pub verdict: Verdict,
    /// Does this run count in the figures? Runs of replaced (disturbed) rounds do not.
    pub used: bool,
}

impl Reading {
    /// The JSON form of one run's reading.
    pub fn sample(&self, used: bool) -> SampleReport {
        SampleReport {
            others_cpus: round3(self.others_cpus()),
            steal_cpus: round3(self.steal_cpus()),
            resolution_cpus: round3(self.resolution_cpus()),
            verdict: self.verdict(),
            used,
        }
    }
}

/// A mode's interference, as the JSON `interference` of a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeInterference {
    /// Over the runs the figures come from, together.
    pub others_cpus: Option<f64>,
    pub steal_cpus: Option<f64>,
    pub resolution_cpus: Option<f64>,
    pub verdict: Verdict,
    /// Every measured run, in the order it ran, replaced ones included.
    pub samples: Vec<SampleReport>,
    /// Runs whose own reading was disturbed.
    pub disturbed_runs: usize,
}

/// A report's interference, as its top-level JSON `interference`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interference {
    /// Over the rounds the figures come from.
    pub others_cpus: Option<f64>,
    pub steal_cpus: Option<f64>,
    pub resolution_cpus: Option<f64>,
    /// The watched CPU the others took most from, where they took any.
    pub busiest_cpu: Option<usize>,
    pub verdict: Verdict,
    /// The CPUs watched: those this process may use, or the one a demo pinned to.
    pub watched_cpus: Vec<usize>,
    /// Wall time the reading covers, in ms.
    pub wall_ms: f64,
    pub rounds: Rounds,
    /// The [`threshold`], so a script can see the line it was judged by.
    pub threshold_cpus: f64,
}

/// How the measured rounds went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Rounds {
    /// `--runs`.
    pub planned: usize,
    /// Rounds run, extra ones included.
    pub measured: usize,
    /// Rounds whose reading was disturbed.
    pub disturbed: usize,
    /// Disturbed rounds left out of the figures (each replaced by an extra round).
    pub replaced: usize,
    /// Disturbed rounds still in the figures, because too few quiet ones remained.
    pub kept_disturbed: usize,
}

impl Interference {
    /// The reading of a report's used rounds together, with how the rounds went.
    pub fn of(reading: &Reading, watched: &[usize], rounds: Rounds) -> Interference {
        Interference {
            others_cpus: round3(reading.others_cpus()),
            steal_cpus: round3(reading.steal_cpus()),
            resolution_cpus: round3(reading.resolution_cpus()),
            busiest_cpu: reading.busiest_cpu(),
            verdict: reading.verdict(),
            watched_cpus: watched.to_vec(),
            wall_ms: reading.wall.as_secs_f64() * 1e3,
            rounds,
            threshold_cpus: threshold(watched.len()),
        }
    }

    /// Nothing measured (`info`).
    pub fn none() -> Interference {
        Interference::of(&Reading::default(), &[], Rounds::default())
    }

    /// Several reports' interference together (the tour): the figures weighted by wall time,
    /// the verdict disturbed if any is.
    pub fn combine<'a>(parts: impl IntoIterator<Item = &'a Interference>) -> Interference {
        let parts: Vec<&Interference> = parts.into_iter().filter(|p| p.wall_ms > 0.0).collect();
        let wall: f64 = parts.iter().map(|p| p.wall_ms).sum();
        let weighted = |f: fn(&Interference) -> Option<f64>| -> Option<f64> {
            let mut sum = 0.0;
            for p in &parts {
                sum += f(p)? * p.wall_ms;
            }
            (wall > 0.0).then(|| (sum / wall * 1000.0).round() / 1000.0)
        };
        let mut watched: Vec<usize> = parts.iter().flat_map(|p| p.watched_cpus.clone()).collect();
        watched.sort_unstable();
        watched.dedup();
        let line = threshold(watched.len());
        let busiest = parts
            .iter()
            .filter(|p| p.busiest_cpu.is_some())
            .max_by(|a, b| {
                let load = |p: &Interference| p.others_cpus.unwrap_or(0.0) * p.wall_ms;
                load(a).total_cmp(&load(b))
            })
            .and_then(|p| p.busiest_cpu);
        let mut rounds = Rounds::default();
        for p in &parts {
            rounds.planned += p.rounds.planned;
            rounds.measured += p.rounds.measured;
            rounds.disturbed += p.rounds.disturbed;
            rounds.replaced += p.rounds.replaced;
            rounds.kept_disturbed += p.rounds.kept_disturbed;
        }
        Interference {
            others_cpus: weighted(|p| p.others_cpus),
            steal_cpus: weighted(|p| p.steal_cpus),
            resolution_cpus: weighted(|p| p.resolution_cpus),
            busiest_cpu: busiest,
            verdict: if parts.is_empty() {
                Verdict::Unknown
            } else {
                Verdict::all(parts.iter().map(|p| p.verdict))
            },
            watched_cpus: watched,
            wall_ms: wall,
            rounds,
            threshold_cpus: line,
        }
    }
}

impl Interference {
    /// What a person must know about the machine before believing the figures: nothing when
    /// the rounds the figures come from were quiet and none was replaced.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let r = self.rounds;
        let cpus = self.watched_cpus.len();
        let of = if cpus == 1 {
            format!("the one CPU watched (cpu{})", self.watched_cpus[0])
        } else {
            format!("the {cpus} CPUs watched")
        };
        match self.verdict {
            Verdict::Disturbed => {
                let mostly = match (self.busiest_cpu, cpus) {
                    (Some(cpu), 2..) => format!(", mostly cpu{cpu}"),
                    _ => String::new(),
                };
                let steal = match self.steal_cpus {
                    Some(s) if s >= 0.01 => format!(", and the hypervisor took {s:.2} more"),
                    _ => String::new(),
                };
                notes.push(format!(
                    "Disturbed: other programs used {:.2} of {of} during these runs{mostly}{steal}. Every figure above is off, and not by the same amount for every mode (a mode that needs more CPUs loses more, and Linux shares a busy CPU per thread), so speedups may be understated or overstated; close them, or measure again with --runs {}.",
                    self.others_cpus.unwrap_or(0.0),
                    (r.planned * 3).max(9),
                ));
            }
            Verdict::Unknown if self.others_cpus.is_none() => notes.push(
                "Whether other programs took CPU time during these runs is unknown: this system does not offer per-CPU counters (/proc/stat).".into(),
            ),
            Verdict::Unknown => notes.push(format!(
                "Whether other programs took CPU time during these runs cannot be told: they read {:.2} CPUs, give or take {:.2}, because /proc/stat counts in {} ms ticks and the runs were short; more work or more --runs tells.",
                self.others_cpus.unwrap_or(0.0),
                self.resolution_cpus.unwrap_or(0.0),
                Self::tick_ms(),
            )),
            Verdict::Quiet => {}
        }
        if r.replaced > 0 {
            notes.push(format!(
                "{} of {} rounds were disturbed by other programs and replaced by extra rounds: the figures come from the other {}.",
                r.replaced,
                r.measured,
                r.measured - r.replaced
            ));
        } else if r.kept_disturbed > 0 {
            notes.push(format!(
                "{} of {} rounds were disturbed by other programs; too few quiet ones remained to leave them out, so the figures include them.",
                r.kept_disturbed, r.measured
            ));
        }
        notes
    }

    fn tick_ms() -> f64 {
        crate::sys::clock_tick()
            .unwrap_or(DEFAULT_TICK)
            .as_secs_f64()
            * 1e3
    }
}

fn round3(value: Option<f64>) -> Option<f64> {
    value.map(|v| crate::stats::round_to(v, 3))
}

#[cfg(test)]
mod tests;
