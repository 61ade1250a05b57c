//! How much work a demo runs, and how it is cut into chunks.
//!
//! A [`Workload`] is `tasks` tasks of `units_per_task` kernel units each. The size is either
//! given exactly (`--units`) or calibrated from a time budget per task (`--task-time`) by a
//! short timed run of the kernel; the report always carries the units used, so any run can be
//! repeated exactly with `--units`. Executors run each task in chunks of [`CHUNK_UNITS`] units
//! and note the time and CPU after every chunk: that is the granularity of every timeline.

use crate::kernel;
use serde::Serialize;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Units per chunk: about 25 µs of work on the development machine, so that reading the clock
/// and the CPU after each chunk (about 50 ns) costs well under 1% of the run.
pub(crate) const CHUNK_UNITS: u64 = 256;

/// The largest `--units` accepted: about a day of work per task on a 0.1 µs unit, and far from
/// overflowing a `u64` count of units when multiplied by the largest task count.
pub(crate) const MAX_UNITS: u64 = 1_000_000_000_000;

/// How the size of one task is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WorkSize {
    /// Exactly this many units per task.
    Units(u64),
    /// As many units as take about this long on this machine.
    TaskTime(Duration),
}

/// `tasks` tasks of `units_per_task` units each, seeded with `seed`.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub(crate) tasks: usize,
    pub(crate) units_per_task: u64,
    pub(crate) seed: u64,
    pub(crate) chunk_units: u64,
    /// Measured cost of one unit on this machine, from the calibration run.
    pub(crate) unit_ns: f64,
    /// The `--task-time` asked for, when the size was calibrated.
    pub(crate) task_time_ms: Option<f64>,
    /// Waiting (standing for I/O) mixed into every task, if any.
    pub(crate) wait: Option<Wait>,
}

/// A task's waits: a pause of `pause_ns` after every `every_units` units of compute (and after
/// the last, shorter stretch), standing for I/O.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Wait {
    pub(crate) every_units: u64,
    pub(crate) pause_ns: u64,
    /// All pauses of one task together.
    pub(crate) total_ms: f64,
}

impl Wait {
    /// Spreads `total` over equal pauses, one after every `every_units` of `units`.
    pub(crate) fn spread(total: Duration, every_units: u64, units: u64) -> Wait {
        let every_units = every_units.clamp(1, units.max(1));
        let pauses = units.div_ceil(every_units).max(1);
        Wait {
            every_units,
            pause_ns: (total.as_nanos() / u128::from(pauses)) as u64,
            total_ms: total.as_secs_f64() * 1e3,
        }
    }

    pub(crate) fn pause(&self) -> Duration {
        Duration::from_nanos(self.pause_ns)
    }
}

/// What a task does after a step of compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum After {
    /// Go straight on.
    Continue,
    /// Its quantum is used up: a green task yields here (an OS thread just goes on).
    Yield,
    /// Wait this long (a sleep standing for I/O).
    Pause(Duration),
}

/// One step of a task: compute units `start..end`, then do `then`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Step {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) then: After,
}

/// The steps of one task: chunks of at most `chunk_units`, cut at every quantum and every
/// wait, so all executors run the same units in the same pieces.
pub(crate) fn steps(
    units: u64,
    chunk_units: u64,
    quantum: Option<u64>,
    wait: Option<Wait>,
) -> impl Iterator<Item = Step> {
    let chunk = chunk_units.max(1);
    let quantum = quantum.map(|q| q.max(1));
    let mut done = 0;
    let mut next_yield = quantum.unwrap_or(u64::MAX);
    let mut next_wait = wait.map_or(u64::MAX, |w| w.every_units);
    std::iter::from_fn(move || {
        if done >= units {
            return None;
        }
        let start = done;
        let end = (start + chunk).min(units).min(next_yield).min(next_wait);
        done = end;
        let then = match wait {
            Some(w) if end == next_wait || end == units => {
                next_wait = end + w.every_units;
                next_yield = quantum.map_or(u64::MAX, |q| end + q);
                After::Pause(w.pause())
            }
            _ if end == next_yield && end < units => {
                next_yield = end + quantum.unwrap_or(u64::MAX);
                After::Yield
            }
            _ => After::Continue,
        };
        Some(Step { start, end, then })
    })
}

/// How often each mode runs: `warmup` unmeasured runs, then `runs` measured ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Repeats {
    pub(crate) runs: usize,
    pub(crate) warmup: usize,
}

impl Workload {
    /// Sizes a workload at the unit cost on this machine ([`unit_ns`]).
    pub fn new(tasks: usize, size: WorkSize, seed: u64) -> Workload {
        Workload::at(tasks, size, seed, unit_ns())
    }

    /// Sizes a workload where one unit costs `unit_ns` (a demo's `Env` says what it costs).
    pub(crate) fn at(tasks: usize, size: WorkSize, seed: u64, unit_ns: f64) -> Workload {
        let (units_per_task, task_time_ms) = match size {
            WorkSize::Units(units) => (units, None),
            WorkSize::TaskTime(t) => (units_in(t, unit_ns), Some(t.as_secs_f64() * 1e3)),
        };
        Workload {
            tasks,
            units_per_task,
            seed,
            chunk_units: CHUNK_UNITS,
            unit_ns,
            task_time_ms,
            wait: None,
        }
    }

    /// Adds `total` of waiting to every task, in equal pauses after every `every` of compute.
    #[must_use]
    pub(crate) fn with_wait(mut self, total: Duration, every: Duration) -> Workload {
        let every_units = ((every.as_nanos() as f64 / self.unit_ns).round() as u64).max(1);
        self.wait = Some(Wait::spread(total, every_units, self.units_per_task));
        self
    }

    /// Units that take about `time` here (at least one).
    pub(crate) fn units_for(&self, time: Duration) -> u64 {
        ((time.as_nanos() as f64 / self.unit_ns).round() as u64).max(1)
    }

    /// Units of all tasks together.
    pub(crate) fn total_units(&self) -> u64 {
        self.units_per_task.saturating_mul(self.tasks as u64)
    }

    /// About how long one sequential pass over all tasks takes here.
    pub(crate) fn estimated_pass(&self) -> Duration {
        Duration::from_secs_f64(self.total_units() as f64 * self.unit_ns / 1e9)
    }

    /// [`Workload::estimated_pass`] in milliseconds to the microsecond, as the JSON gives it
    /// and the text quotes it.
    pub(crate) fn estimated_pass_ms(&self) -> f64 {
        crate::stats::round_to(self.estimated_pass().as_secs_f64() * 1e3, 3)
    }

    /// All the waiting of one task (none without `--wait`).
    pub(crate) fn wait_per_task(&self) -> Duration {
        self.wait.map_or(Duration::ZERO, |w| {
            Duration::from_secs_f64(w.total_ms / 1e3)
        })
    }

    /// About how long one run takes when the tasks run one after another, waits included.
    pub(crate) fn estimated_sequential(&self) -> Duration {
        self.estimated_pass() + self.wait_per_task().mul_f64(self.tasks as f64)
    }

    /// The checksum every executor must reproduce: all tasks run one after another.
    pub fn expected_checksum(&self) -> u64 {
        (0..self.tasks).fold(0, |acc, t| {
            kernel::combine(acc, kernel::run(self.units_per_task, self.task_seed(t)))
        })
    }

    /// The kernel stream of one task.
    pub(crate) fn task_seed(&self, task: usize) -> u64 {
        kernel::task_seed(self.seed, task)
    }
}

/// The units of a task that is to take `time` where one unit costs `unit_ns`: at least one,
/// at most [`MAX_UNITS`].
fn units_in(time: Duration, unit_ns: f64) -> u64 {
    ((time.as_nanos() as f64 / unit_ns).round() as u64).clamp(1, MAX_UNITS)
}

/// The cost of one unit here, calibrated once per process ([`calibrate_unit_ns`]): every
/// workload of a run (each section of the tour) is sized on the same measurement, and pays
/// for it once.
pub(crate) fn unit_ns() -> f64 {
    static UNIT_NS: OnceLock<f64> = OnceLock::new();
    *UNIT_NS.get_or_init(calibrate_unit_ns)
}

/// Measures the cost of one unit: the best of a few short timed runs of at least 5 ms each
/// (about 30 ms in all), so that a passing interruption does not inflate it.
pub fn calibrate_unit_ns() -> f64 {
    let mut units = 1024u64;
    loop {
        let start = Instant::now();
        kernel::run(units, 0);
        if start.elapsed() >= Duration::from_millis(5) || units >= 1 << 30 {
            break;
        }
        units *= 2;
    }
    (0..3)
        .map(|_| {
            let start = Instant::now();
            kernel::run(units, 1);
            start.elapsed().as_nanos() as f64 / units as f64
        })
        .fold(f64::INFINITY, f64::min)
        .max(0.001)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_units_are_kept() {
        let w = Workload::new(3, WorkSize::Units(1234), 5);
        assert_eq!(w.units_per_task, 1234);
        assert_eq!(w.total_units(), 3702);
        assert!(w.task_time_ms.is_none());
    }

    #[test]
    fn a_task_time_becomes_units_at_the_unit_cost() {
        let ms = Duration::from_millis;
        assert_eq!(units_in(ms(20), 100.0), 200_000);
        assert_eq!(
            units_in(ms(20), 0.3),
            66_666_667,
            "rounded to the nearest unit"
        );
        assert_eq!(
            units_in(Duration::from_nanos(10), 100.0),
            1,
            "at least one unit"
        );
        assert_eq!(units_in(Duration::from_secs(1 << 40), 0.001), MAX_UNITS);
        let w = Workload::new(1, WorkSize::TaskTime(ms(20)), 1);
        assert_eq!(w.units_per_task, units_in(ms(20), w.unit_ns));
        assert_eq!(w.task_time_ms, Some(20.0));
    }

    #[test]
    fn sequential_estimates_count_every_wait() {
        let w = Workload::new(3, WorkSize::Units(1000), 1)
            .with_wait(Duration::from_secs(600), Duration::from_millis(10));
        assert_eq!(w.wait_per_task(), Duration::from_secs(600));
        assert!(w.estimated_sequential() >= Duration::from_secs(1800));
    }

    #[test]
    fn steps_cover_the_task_and_cut_at_quanta_and_waits() {
        let all: Vec<Step> = steps(1000, 256, None, None).collect();
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|s| s.then == After::Continue));

        let q: Vec<Step> = steps(1000, 256, Some(100), None).collect();
        assert!(q.iter().all(|s| s.end - s.start <= 100));
        assert_eq!(q.iter().filter(|s| s.then == After::Yield).count(), 9);

        let wait = Wait::spread(Duration::from_millis(40), 300, 1000);
        assert_eq!(wait.pause(), Duration::from_millis(10));
        let w: Vec<Step> = steps(1000, 256, Some(100), Some(wait)).collect();
        let pauses: Vec<u64> = w
            .iter()
            .filter(|s| matches!(s.then, After::Pause(_)))
            .map(|s| s.end)
            .collect();
        assert_eq!(pauses, vec![300, 600, 900, 1000]);
        for all in [&q, &w] {
            assert_eq!(all.first().unwrap().start, 0);
            assert_eq!(all.last().unwrap().end, 1000);
            assert!(all.windows(2).all(|p| p[0].end == p[1].start));
        }
    }

    #[test]
    fn expected_checksum_depends_on_every_task() {
        let a = Workload::new(2, WorkSize::Units(100), 1);
        let b = Workload::new(3, WorkSize::Units(100), 1);
        assert_ne!(a.expected_checksum(), b.expected_checksum());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// However a task is cut (chunk size, quantum, waits), its steps cover its units
            /// once each, in order, and their checksums add up to the task's.
            #[test]
            fn steps_cover_every_unit_once_for_the_same_checksum(
                units in 0..5000u64,
                chunk in 0..700u64,
                quantum in proptest::option::of(0..900u64),
                wait_every in proptest::option::of(1..1200u64),
                seed in any::<u64>(),
            ) {
                let wait = wait_every.map(|every| Wait::spread(Duration::from_millis(1), every, units));
                let all: Vec<Step> = steps(units, chunk, quantum, wait).collect();
                let mut next = 0;
                for s in &all {
                    prop_assert_eq!(s.start, next);
                    prop_assert!(s.end > s.start && s.end - s.start <= chunk.max(1));
                    next = s.end;
                }
                prop_assert_eq!(next, units);
                let sum = all
                    .iter()
                    .fold(0, |acc, s| kernel::combine(acc, kernel::run_range(seed, s.start, s.end)));
                prop_assert_eq!(sum, kernel::run(units, seed));
                if wait.is_some() && units > 0 {
                    prop_assert!(matches!(all.last().unwrap().then, After::Pause(_)), "a last wait");
                }
            }
        }
    }
}
