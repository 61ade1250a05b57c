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
//!
//! This file holds the meter and the counters it reads; the readings and their verdicts are
//! in `reading.rs`, what the reports say of them in `summary.rs`.

mod reading;
pub(crate) mod summary;

pub use reading::Reading;
pub(crate) use reading::{DISTURBED_SHARE, Verdict, threshold};
pub use summary::Interference;
pub(crate) use summary::{ModeInterference, Rounds};

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The tick `/proc/stat` counts in when the OS does not say (`USER_HZ` is 100 on every common
/// Linux architecture).
const DEFAULT_TICK: Duration = Duration::from_millis(10);

/// The counters of one CPU, in ticks since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CpuTicks {
    pub(crate) cpu: usize,
    /// user + nice + system + irq + softirq (guest time is already inside user).
    pub(crate) busy: u64,
    pub(crate) steal: u64,
}

/// Parses the per-CPU lines (`cpu0 ...`) of `/proc/stat`; the total line (`cpu `) is skipped.
/// Lines it cannot read are skipped too, so a kernel with fewer columns still gives what it
/// has.
pub(crate) fn parse_proc_stat(text: &str) -> Vec<CpuTicks> {
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
pub(crate) enum Source {
    /// A `/proc/stat`-format file (normally `/proc/stat` itself).
    ProcStat(PathBuf),
    /// A machine where other programs take `others_cpus` (filling CPUs from the first of the
    /// affinity mask) and the hypervisor `steal_cpus` (spread evenly), on top of this
    /// process's own CPU time: for tests of what a demo says on a busy machine.
    #[cfg(test)]
    Synthetic { others_cpus: f64, steal_cpus: f64 },
    /// A machine on a fixed clock whose counters move only as scripted runs move them (see
    /// [`Scripted`]): for tests that must read the same on every machine.
    #[cfg(test)]
    Scripted(std::sync::Arc<std::sync::Mutex<Scripted>>),
    /// No counters (not Linux): every reading is unknown.
    None,
}

/// Takes [`Snapshot`]s of the watched CPUs.
#[derive(Debug, Clone)]
pub struct Meter {
    source: Source,
    tick: Duration,
    /// Start of a synthetic machine's clock.
    #[cfg(test)]
    born: Instant,
}

/// The counters at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) at: Instant,
    /// This process's and its reaped children's CPU time so far.
    pub(crate) own: Option<Duration>,
    /// `None` where the counters could not be read.
    pub(crate) cpus: Option<Vec<CpuTicks>>,
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

    pub(crate) fn new(source: Source) -> Meter {
        Meter {
            source,
            tick: crate::sys::clock_tick().unwrap_or(DEFAULT_TICK),
            #[cfg(test)]
            born: Instant::now(),
        }
    }

    pub fn tick(&self) -> Duration {
        self.tick
    }

    /// Reads the counters of every CPU now.
    pub fn snapshot(&self) -> Snapshot {
        #[cfg(test)]
        if let Source::Scripted(scripted) = &self.source {
            return scripted
                .lock()
                .expect("scripted counters")
                .snapshot(self.tick);
        }
        let own = crate::sys::cpu_time();
        let at = Instant::now();
        let cpus = match &self.source {
            Source::ProcStat(path) => std::fs::read_to_string(path)
                .ok()
                .map(|t| parse_proc_stat(&t))
                .filter(|c| !c.is_empty()),
            #[cfg(test)]
            Source::Synthetic {
                others_cpus,
                steal_cpus,
            } => own.map(|own| self.synthetic(own, at, *others_cpus, *steal_cpus)),
            #[cfg(test)]
            Source::Scripted(_) => unreachable!("read above"),
            Source::None => None,
        };
        Snapshot { at, own, cpus }
    }

    /// Counters of a synthetic machine of every CPU this process may use: this process's time
    /// all on the first, so that any set of CPUs with the first reads it whole, and the others'
    /// load filling CPUs from the first (a load of 1.5 holds the first CPU and half the
    /// second), as a busy program pinned to a CPU would.
    #[cfg(test)]
    fn synthetic(&self, own: Duration, at: Instant, others: f64, steal: f64) -> Vec<CpuTicks> {
        let cpus = crate::sys::affinity().unwrap_or_else(|| vec![0]);
        let n = cpus.len() as f64;
        let elapsed = at.duration_since(self.born).as_secs_f64();
        let tick = self.tick.as_secs_f64();
        cpus.into_iter()
            .enumerate()
            .map(|(i, cpu)| {
                let load = filled_from_the_first(others, i);
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

/// The share of the `index`-th CPU of a mask that other programs holding `others` CPUs take,
/// where they fill CPUs from the first (1.5 holds the first and half the second), as busy
/// programs pinned to CPUs do: for synthetic and scripted machines.
#[cfg(test)]
pub(crate) fn filled_from_the_first(others: f64, index: usize) -> f64 {
    (others - index as f64).clamp(0.0, 1.0)
}

/// The counters of a scripted machine: a clock that stands still until a scripted run or look
/// moves it, this process's CPU time, and each CPU's busy time (this process's and other
/// programs'). Nothing here reads the real machine.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct Scripted {
    /// The instant the clock started at; its time is `born + now`.
    pub(crate) born: Instant,
    pub(crate) now: Duration,
    pub(crate) own: Duration,
    pub(crate) busy: std::collections::BTreeMap<usize, Duration>,
}

#[cfg(test)]
impl Scripted {
    /// Counters of the CPUs `mask` at zero.
    pub(crate) fn new(mask: &[usize]) -> Scripted {
        Scripted {
            born: Instant::now(),
            now: Duration::ZERO,
            own: Duration::ZERO,
            busy: mask.iter().map(|&cpu| (cpu, Duration::ZERO)).collect(),
        }
    }

    fn snapshot(&self, tick: Duration) -> Snapshot {
        let ticks = |d: &Duration| (d.as_nanos() / tick.as_nanos().max(1)) as u64;
        Snapshot {
            at: self.born + self.now,
            own: Some(self.own),
            cpus: Some(
                self.busy
                    .iter()
                    .map(|(&cpu, busy)| CpuTicks {
                        cpu,
                        busy: ticks(busy),
                        steal: 0,
                    })
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests;
