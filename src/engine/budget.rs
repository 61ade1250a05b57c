//! The budget: work estimated to run too long is refused as bad input before it starts.

use super::Repeats;
use crate::error::UsageError;
use std::time::Duration;

/// The longest estimated run accepted before any work starts.
pub(crate) const MAX_ESTIMATED_RUN: Duration = Duration::from_secs(3600);

/// Refuses, as bad input, work whose warm-ups and runs together are estimated above
/// [`MAX_ESTIMATED_RUN`]; `advice` says which flags make it smaller.
pub(crate) fn check_budget(
    estimates: impl IntoIterator<Item = Duration>,
    repeats: Repeats,
    advice: &str,
) -> Result<(), UsageError> {
    let round: f64 = estimates.into_iter().map(|e| e.as_secs_f64()).sum();
    check_estimate(round * (repeats.runs + repeats.warmup) as f64, advice)
}

/// Refuses, as bad input, a run estimated at `estimate_s` seconds when that is over
/// [`MAX_ESTIMATED_RUN`].
pub(crate) fn check_estimate(estimate_s: f64, advice: &str) -> Result<(), UsageError> {
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
