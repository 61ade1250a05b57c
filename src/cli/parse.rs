//! The value parsers of the flags: each refuses bad input with one sentence saying why, which
//! clap prints after `invalid value '...' for '--flag'` (exit 2).

use crate::demo;
use crate::exec::race;
use crate::limits::{
    MAX_CHECK_EVERY, MAX_IO_WAIT, MAX_QUANTUM, MAX_SWITCH_INTERVAL, MAX_TASK_TIME, MAX_THREADS,
    MAX_WAIT, MAX_ZOOM,
};
use crate::maxprocs;
use std::time::Duration;

/// Parses a whole number in `LO..=HI` (underscores allowed: `1_000_000`).
pub(crate) fn ranged<const LO: u64, const HI: u64>(text: &str) -> Result<u64, String> {
    crate::limits::ranged(text, LO, HI)
}

/// Parses a positive duration such as `200ms` or `1.5s`.
pub(crate) fn duration(text: &str, max: Duration) -> Result<Duration, String> {
    if text.trim_start().starts_with('-') {
        return Err(format!("'{text}' is negative; a duration must be positive"));
    }
    let value = humantime::parse_duration(text)
        .map_err(|e| format!("'{text}' is not a duration like 200ms or 1.5s ({e})"))?;
    if value.is_zero() {
        return Err("a duration must be greater than zero".into());
    }
    if value > max {
        return Err(format!(
            "'{text}' is longer than the limit of {}",
            humantime::format_duration(max)
        ));
    }
    Ok(value)
}

pub(super) fn task_time(text: &str) -> Result<Duration, String> {
    duration(text, MAX_TASK_TIME)
}

pub(super) fn switch_interval(text: &str) -> Result<Duration, String> {
    duration(text, MAX_SWITCH_INTERVAL)
}

pub(super) fn check_every(text: &str) -> Result<Duration, String> {
    duration(text, MAX_CHECK_EVERY)
}

pub(super) fn io_wait(text: &str) -> Result<Duration, String> {
    duration(text, MAX_IO_WAIT)
}

/// Parses the worker limit, naming both places it can come from.
pub(super) fn maxprocs_value(text: &str) -> Result<u64, String> {
    ranged::<1, MAX_THREADS>(text)
        .map_err(|e| format!("{e} (set by --maxprocs or {})", maxprocs::ENV))
}

/// Parses a serial fraction: a number from 0 up to, but not including, 1.
pub(super) fn serial_fraction(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number from 0 up to (not including) 1"))?;
    if (0.0..1.0).contains(&value) {
        Ok(value.abs())
    } else if value >= 1.0 {
        Err(format!(
            "{text} is outside 0 <= F < 1: a serial fraction of 1 or more leaves nothing to run in parallel"
        ))
    } else {
        Err(format!("{text} is outside 0 <= F < 1"))
    }
}

pub(super) fn zoom(text: &str) -> Result<Duration, String> {
    duration(text, MAX_ZOOM)
}

/// Parses a speedup: a positive number up to the largest pool.
pub(super) fn speedup(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= MAX_THREADS as f64 => Ok(x),
        _ => Err(format!(
            "'{text}' is not a speedup between 0 and {MAX_THREADS}"
        )),
    }
}

pub(super) fn quantum(text: &str) -> Result<Duration, String> {
    at_least(
        duration(text, MAX_QUANTUM)?,
        demo::interleave::MIN_QUANTUM,
        "a green task would switch more than it computes",
    )
}

pub(super) fn wait_every(text: &str) -> Result<Duration, String> {
    at_least(
        duration(text, MAX_QUANTUM)?,
        demo::interleave::MIN_WAIT_EVERY,
        "a task would spend its time going to sleep and waking up",
    )
}

/// Refuses a duration below the floor under which a demo shows only its own overhead.
fn at_least(value: Duration, floor: Duration, why: &str) -> Result<Duration, String> {
    if value < floor {
        return Err(format!(
            "{} is below the floor of {}: {why}",
            humantime::format_duration(value),
            humantime::format_duration(floor)
        ));
    }
    Ok(value)
}

pub(super) fn wait(text: &str) -> Result<Duration, String> {
    duration(text, MAX_WAIT)
}

/// Parses `--threads` of `race`: a race needs two threads, and an even number of them.
pub(super) fn race_threads(text: &str) -> Result<u64, String> {
    let value = ranged::<0, MAX_THREADS>(text)
        .map_err(|_| format!("'{text}' is not an even number from 2 to {MAX_THREADS}"))?;
    race::check_size(value as usize, 1)
        .map(|()| value)
        .map_err(|e| e.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_enforced() {
        assert_eq!(ranged::<1, 10>("1_0"), Ok(10));
        assert!(ranged::<1, 10>("0").is_err());
        assert!(ranged::<1, 10>("11").is_err());
        assert!(ranged::<1, 10>("-1").is_err());
        assert!(ranged::<1, 10>("x").is_err());
    }

    #[test]
    fn race_threads_are_even_and_at_least_two() {
        assert_eq!(race_threads("4"), Ok(4));
        assert!(race_threads("1").unwrap_err().contains("at least 2"));
        assert!(race_threads("7").unwrap_err().contains("odd"));
        assert!(race_threads("2000").unwrap_err().contains("2 to 1024"));
        assert!(race_threads("x").is_err());
    }

    #[test]
    fn serial_fractions_are_in_zero_to_one() {
        assert_eq!(serial_fraction("0"), Ok(0.0));
        assert_eq!(serial_fraction("-0"), Ok(0.0));
        assert_eq!(serial_fraction("0.5"), Ok(0.5));
        for bad in ["1", "1.5", "-0.1", "nan", "inf", "x", ""] {
            assert!(serial_fraction(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_are_positive_and_bounded() {
        let max = Duration::from_secs(10);
        assert_eq!(duration("200ms", max), Ok(Duration::from_millis(200)));
        assert!(duration("0s", max).is_err());
        assert!(duration("-1s", max).is_err());
        assert!(duration("abc", max).is_err());
        assert!(duration("11s", max).is_err());
    }
}
