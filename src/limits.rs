//! The limits of the work: the largest (and, where a demo needs one, the smallest) sizes,
//! counts and times that conpar accepts, each with its reason.
//!
//! They belong to the engine side, not to the command line: the command line refuses a value
//! outside them as bad input (exit 2) before any work starts, and the demos rely on them (the
//! defaults of [`crate::demo::maxprocs`] stay within [`MAX_TASKS`] and [`MAX_THREADS`]). This
//! module needs nothing of the command line, so every layer may use it.
//!
//! A few limits live beside the code they protect: [`crate::workload::MAX_UNITS`] (the
//! kernel's work per task), [`crate::exec::race::MAX_ITERATIONS`] (a race's loop),
//! [`crate::demo::interleave::MIN_QUANTUM`] and [`crate::demo::interleave::MIN_WAIT_EVERY`]
//! (interleave's floors), [`crate::report::timeline::MIN_WIDTH`] (the narrowest timeline), and
//! the hidden workers' bounds in [`crate::exec::worker`].

use std::time::Duration;

// The work of a demo.

/// Most tasks a demo accepts: far more than any machine has cores, few enough to draw.
pub(crate) const MAX_TASKS: u64 = 4096;
/// Longest `--task-time`.
pub(crate) const MAX_TASK_TIME: Duration = Duration::from_secs(600);

// Pools.

/// Most worker threads a pool accepts.
pub(crate) const MAX_THREADS: u64 = 1024;

// Repeats.

/// Most measured runs per mode.
pub(crate) const MAX_RUNS: u64 = 1000;
/// Most warm-up runs per mode.
pub(crate) const MAX_WARMUP: u64 = 100;

// interleave.

/// Most tasks `interleave` shares one CPU between (each is a thread or process).
pub(crate) const MAX_INTERLEAVE_TASKS: u64 = 256;
/// Longest `--quantum` and `--wait-every`: far beyond a task's default work (200ms), where
/// nothing interleaves any more.
pub(crate) const MAX_QUANTUM: Duration = Duration::from_secs(10);
/// Longest `--wait` of a task in all: as long as the longest `--task-time`.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(600);

// gil-sim.

/// Most threads (or processes) of `gil-sim`.
pub(crate) const MAX_GIL_THREADS: u64 = 256;
/// Longest `--switch-interval`: beyond it the new GIL would hardly ever switch.
pub(crate) const MAX_SWITCH_INTERVAL: Duration = Duration::from_secs(1);
/// Longest `--check-every`: a step of an interpreter is microseconds, not seconds.
pub(crate) const MAX_CHECK_EVERY: Duration = Duration::from_millis(10);
/// Longest `--io-wait`.
pub(crate) const MAX_IO_WAIT: Duration = Duration::from_secs(1);
/// Most steps in an old-GIL `--check-interval`.
pub(crate) const MAX_CHECK_INTERVAL: u64 = 1_000_000;
/// Most `--requests` per I/O thread.
pub(crate) const MAX_REQUESTS: u64 = 10_000_000;

// The timeline.

/// Widest timeline.
pub(crate) const MAX_WIDTH: u64 = 1000;
/// Longest `--zoom`: a day, longer than any run.
pub(crate) const MAX_ZOOM: Duration = Duration::from_secs(24 * 3600);

/// Parses a whole number in `lo..=hi` (underscores allowed: `1_000_000`): the one parser of
/// the command line's whole-number flags and of the hidden workers' argv.
pub(crate) fn ranged(text: &str, lo: u64, hi: u64) -> Result<u64, String> {
    let value: u64 = text
        .replace('_', "")
        .parse()
        .map_err(|_| format!("'{text}' is not a whole number from {lo} to {hi}"))?;
    if (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is outside the accepted range {lo} to {hi}"
        ))
    }
}
