//! How much work a demo runs, and how it is cut into chunks.
//!
//! A [`Workload`] is `tasks` tasks of `units_per_task` kernel units each. The size is either
//! given exactly (`--units`) or calibrated from a time budget per task (`--task-time`) by a
//! short timed run of the kernel; the report always carries the units used, so any run can be
//! repeated exactly with `--units`. Executors run each task in chunks of [`CHUNK_UNITS`] units
//! and note the time and CPU after every chunk: that is the granularity of every timeline.

use crate::error::UsageError;
use crate::kernel;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Units per chunk: about 25 µs of work on the development machine, so that reading the clock
/// and the CPU after each chunk (about 50 ns) costs well under 1% of the run.
pub const CHUNK_UNITS: u64 = 256;

/// The largest `--units` accepted: about a day of work per task on a 0.1 µs unit, and far from
/// overflowing a `u64` count of units when multiplied by the largest task count.
pub const MAX_UNITS: u64 = 1_000_000_000_000;

/// The longest estimated run accepted before any work starts.
pub const MAX_ESTIMATED_RUN: Duration = Duration::from_secs(3600);

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
    pub tasks: usize,
    pub units_per_task: u64,
    pub seed: u64,
    pub chunk_units: u64,
    /// Measured cost of one unit on this machine, from the calibration run.
    pub unit_ns: f64,
    /// The `--task-time` asked for, when the size was calibrated.
    pub task_time_ms: Option<f64>,
}

impl Workload {
    /// Sizes a workload, calibrating the unit cost on this machine.
    pub fn new(tasks: usize, size: WorkSize, seed: u64) -> Workload {
        let unit_ns = calibrate_unit_ns();
        let (units_per_task, task_time_ms) = match size {
            WorkSize::Units(units) => (units, None),
            WorkSize::TaskTime(t) => (
                ((t.as_nanos() as f64 / unit_ns).round() as u64).clamp(1, MAX_UNITS),
                Some(t.as_secs_f64() * 1e3),
            ),
        };
        Workload {
            tasks,
            units_per_task,
            seed,
            chunk_units: CHUNK_UNITS,
            unit_ns,
            task_time_ms,
        }
    }

    /// Units of all tasks together.
    pub fn total_units(&self) -> u64 {
        self.units_per_task.saturating_mul(self.tasks as u64)
    }

    /// About how long one sequential pass over all tasks takes here.
    pub fn estimated_pass(&self) -> Duration {
        Duration::from_secs_f64(self.total_units() as f64 * self.unit_ns / 1e9)
    }

    /// Refuses, as bad input, work that would take longer than [`MAX_ESTIMATED_RUN`] in
    /// `passes` sequential passes.
    pub fn check_budget(&self, passes: u64) -> Result<(), UsageError> {
        let estimate = self.estimated_pass().as_secs_f64() * passes as f64;
        if estimate > MAX_ESTIMATED_RUN.as_secs_f64() {
            return Err(UsageError(format!(
                "this run would take about {} on this machine (limit {}); use fewer --units, --tasks or --runs",
                humantime::format_duration(Duration::from_secs(estimate as u64)),
                humantime::format_duration(MAX_ESTIMATED_RUN)
            )));
        }
        Ok(())
    }

    /// The checksum every executor must reproduce: all tasks run one after another.
    pub fn expected_checksum(&self) -> u64 {
        (0..self.tasks).fold(0, |acc, t| {
            kernel::combine(acc, kernel::run(self.units_per_task, self.task_seed(t)))
        })
    }

    /// The kernel stream of one task.
    pub fn task_seed(&self, task: usize) -> u64 {
        kernel::task_seed(self.seed, task)
    }
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
        assert!(w.unit_ns > 0.0);
        assert!(w.task_time_ms.is_none());
    }

    #[test]
    fn task_time_calibrates_a_plausible_size() {
        let w = Workload::new(1, WorkSize::TaskTime(Duration::from_millis(20)), 1);
        let predicted_ms = w.units_per_task as f64 * w.unit_ns / 1e6;
        assert!((predicted_ms - 20.0).abs() < 1.0, "{predicted_ms}");
        assert_eq!(w.task_time_ms, Some(20.0));
    }

    #[test]
    fn absurd_work_is_refused() {
        let w = Workload::new(64, WorkSize::Units(MAX_UNITS), 1);
        assert!(w.check_budget(5).is_err());
        let small = Workload::new(2, WorkSize::Units(1000), 1);
        assert!(small.check_budget(5).is_ok());
    }

    #[test]
    fn expected_checksum_depends_on_every_task() {
        let a = Workload::new(2, WorkSize::Units(100), 1);
        let b = Workload::new(3, WorkSize::Units(100), 1);
        assert_ne!(a.expected_checksum(), b.expected_checksum());
    }
}
