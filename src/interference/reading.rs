//! Readings and their verdicts: the arithmetic on two [`Snapshot`]s, kept apart from the meter
//! that takes them, so that it needs no OS and is tested on recorded `/proc/stat` text.
//!
//! A [`Reading`] is what the watched CPUs did between two snapshots, or over several such
//! stretches added up, in CPUs' worth, with how far off the counters' whole ticks may make it;
//! its [`Verdict`] judges it against the [`threshold`]: quiet, disturbed, or too coarse (or
//! unreadable) to tell. What the reports make of them is in `summary.rs`.

use super::Snapshot;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Other programs and steal together above this many CPUs' worth make a reading disturbed: a
/// quarter of a CPU taken is enough to move a speedup on a small machine by more than the
/// run-to-run spread of a quiet one.
pub(crate) const DISTURBED_CPUS: f64 = 0.25;

/// ... or above this share of each CPU watched, where that is less: on one CPU, 0.15 CPUs of
/// other work was seen to make two threads behind a lock look 1.2x faster than one (Linux
/// shares a busy CPU per thread, so two threads take a larger share than one).
pub(crate) const DISTURBED_SHARE: f64 = 0.1;

/// The line a reading of `cpus` watched CPUs is judged by.
pub(crate) fn threshold(cpus: usize) -> f64 {
    (DISTURBED_SHARE * cpus as f64).min(DISTURBED_CPUS)
}

/// What happened on the watched CPUs between two snapshots, or over several such stretches.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reading {
    pub(crate) wall: Duration,
    /// This process's CPU time over the stretch, where known.
    pub(crate) own: Option<Duration>,
    /// Busy and stolen ticks per watched CPU; `None` where the counters were unreadable.
    pub(crate) ticks: Option<BTreeMap<usize, (u64, u64)>>,
    /// How many separate stretches were added up: each adds a tick of error per CPU.
    pub(crate) pieces: u32,
    pub(crate) tick: Duration,
    /// The work this process did on each CPU over the stretch (from the runs' slices), used
    /// only to say which CPU the others took most of.
    pub(crate) own_by_cpu: BTreeMap<usize, Duration>,
}

impl Reading {
    /// The stretch from `before` to `after` on the CPUs `watched`.
    pub fn between(
        before: &Snapshot,
        after: &Snapshot,
        watched: &[usize],
        tick: Duration,
    ) -> Reading {
        let ticks = before.cpus.as_ref().zip(after.cpus.as_ref()).map(|(b, a)| {
            watched
                .iter()
                .filter_map(|&cpu| {
                    let b = b.iter().find(|t| t.cpu == cpu)?;
                    let a = a.iter().find(|t| t.cpu == cpu)?;
                    Some((
                        cpu,
                        (
                            a.busy.saturating_sub(b.busy),
                            a.steal.saturating_sub(b.steal),
                        ),
                    ))
                })
                .collect::<BTreeMap<_, _>>()
        });
        Reading {
            wall: after.at.saturating_duration_since(before.at),
            own: before.own.zip(after.own).map(|(b, a)| a.saturating_sub(b)),
            ticks: ticks.filter(|t| !t.is_empty()),
            pieces: 1,
            tick,
            own_by_cpu: BTreeMap::new(),
        }
    }

    /// The readings added up. `contiguous` says they follow each other without a gap (the
    /// rounds of one demo), so their tick errors cancel except at the two ends.
    pub(crate) fn sum<'a>(
        readings: impl IntoIterator<Item = &'a Reading>,
        contiguous: bool,
    ) -> Reading {
        let mut total: Option<Reading> = None;
        for r in readings {
            total = Some(match total {
                None => r.clone(),
                Some(mut t) => {
                    t.wall += r.wall;
                    t.own = t.own.zip(r.own).map(|(a, b)| a + b);
                    t.ticks = t.ticks.zip(r.ticks.as_ref()).map(|(mut a, b)| {
                        for (cpu, (busy, steal)) in b {
                            let e = a.entry(*cpu).or_default();
                            e.0 += busy;
                            e.1 += steal;
                        }
                        a
                    });
                    if !contiguous {
                        t.pieces += r.pieces;
                    }
                    for (cpu, d) in &r.own_by_cpu {
                        *t.own_by_cpu.entry(*cpu).or_default() += *d;
                    }
                    t
                }
            });
        }
        total.unwrap_or_default()
    }

    fn wall_s(&self) -> Option<f64> {
        Some(self.wall.as_secs_f64()).filter(|&w| w > 0.0)
    }

    /// Other programs' CPU time over wall time, in CPUs (at most the CPUs watched: a tick
    /// counted early cannot make more CPUs); `None` where unknown.
    pub(crate) fn others_cpus(&self) -> Option<f64> {
        let ticks = self.ticks.as_ref()?;
        let busy: u64 = ticks.values().map(|t| t.0).sum();
        let busy = busy as f64 * self.tick.as_secs_f64();
        let others = (busy - self.own?.as_secs_f64()) / self.wall_s()?;
        Some(others.clamp(0.0, ticks.len() as f64))
    }

    /// Stolen time over wall time, in CPUs; `None` where unknown.
    pub(crate) fn steal_cpus(&self) -> Option<f64> {
        let steal: u64 = self.ticks.as_ref()?.values().map(|t| t.1).sum();
        Some(steal as f64 * self.tick.as_secs_f64() / self.wall_s()?)
    }

    /// Busy and stolen time of each watched CPU over wall time, in CPUs (0 to 1), with this
    /// process's own time in it: for a look taken while this process slept. `None` where
    /// unknown.
    pub(crate) fn load_by_cpu(&self) -> Option<BTreeMap<usize, f64>> {
        let tick = self.tick.as_secs_f64();
        let wall = self.wall_s()?;
        Some(
            self.ticks
                .as_ref()?
                .iter()
                .map(|(&cpu, &(busy, steal))| {
                    (cpu, ((busy + steal) as f64 * tick / wall).clamp(0.0, 1.0))
                })
                .collect(),
        )
    }

    /// One tick over the wall time: how far off one CPU's load may be.
    pub(crate) fn tick_share(&self) -> Option<f64> {
        Some(self.tick.as_secs_f64() / self.wall_s()?)
    }

    /// How far off either figure may be because the counters move in whole ticks.
    pub(crate) fn resolution_cpus(&self) -> Option<f64> {
        let cpus = self.ticks.as_ref()?.len() as f64;
        Some(f64::from(self.pieces) * cpus * self.tick.as_secs_f64() / self.wall_s()?)
    }

    /// The watched CPU the others took most from: its busy time less this process's work
    /// there (this process's CPU time shared out as its slices were).
    pub(crate) fn busiest_cpu(&self) -> Option<usize> {
        let ticks = self.ticks.as_ref()?;
        let own = self.own?.as_secs_f64();
        let worked: f64 = self.own_by_cpu.values().map(Duration::as_secs_f64).sum();
        let tick = self.tick.as_secs_f64();
        let n = ticks.len() as f64;
        ticks
            .iter()
            .map(|(&cpu, &(busy, _))| {
                let share = match self.own_by_cpu.get(&cpu) {
                    Some(d) if worked > 0.0 => d.as_secs_f64() / worked,
                    _ if worked > 0.0 => 0.0,
                    _ => 1.0 / n,
                };
                (cpu, busy as f64 * tick - own * share)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|&(_, others)| others > 0.0)
            .map(|(cpu, _)| cpu)
    }

    pub(crate) fn verdict(&self) -> Verdict {
        let line = threshold(self.ticks.as_ref().map_or(0, BTreeMap::len));
        match (
            self.others_cpus(),
            self.steal_cpus(),
            self.resolution_cpus(),
        ) {
            (Some(o), Some(s), Some(r)) if o + s - r > line => Verdict::Disturbed,
            (Some(o), Some(s), Some(r)) if o + s + r <= line => Verdict::Quiet,
            _ => Verdict::Unknown,
        }
    }
}

/// Is a stretch of runs fit to be believed?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    /// Other programs and steal took clearly less than the [`threshold`].
    Quiet,
    /// They took clearly more.
    Disturbed,
    /// Too short to tell, or the OS does not say.
    Unknown,
}

impl Verdict {
    /// The verdict of several stretches together: disturbed if any is, quiet only if all are.
    pub(crate) fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let mut all = Verdict::Quiet;
        for v in verdicts {
            match v {
                Verdict::Disturbed => return Verdict::Disturbed,
                Verdict::Unknown => all = Verdict::Unknown,
                Verdict::Quiet => {}
            }
        }
        all
    }
}
