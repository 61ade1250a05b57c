//! `--check`: does this run show what its demo exists to show, where this machine can show it?
//!
//! For CI smoke tests. Each expectation is one of the report's claims, declared by its demo
//! (each demo's `CHECKS`, and [`crate::demo::EVERY_DEMO`]'s for all), and
//! a speedup is expected only where the machine can give one (more than one CPU's worth of
//! time: [`claims::parallel_possible`]). Speedups are judged as the claims judge them: by the
//! medians, as the table shows them, with the per-round interval saying how sure.
//!
//! A miss is only a failure where the run can be judged. Other programs do not only add time:
//! under contention the one-thread baseline loses more than a mode that takes both CPUs, so a
//! ratio can move either way. A speed expectation that misses on a disturbed run, on a run
//! whose disturbance could not be measured, or on work too small for start-up costs not to
//! dominate ([`MIN_JUDGED_MS`](crate::claims::MIN_JUDGED_MS)) is *inconclusive*: one line each, exit code 4. A miss on a
//! quiet machine is a failure: exit code 3. Correctness (checksums, the race's fixes, the
//! pinning of `interleave`) does not depend on the machine and always fails outright.

use crate::claims;
use crate::model::{Expect, ModeResult, Report};

/// What the user asked to be checked.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Expectations {
    /// `--check`: the demo's own expectations.
    pub(crate) demo: bool,
    /// `parallel --min-speedup X`: every parallel mode at least this fast.
    pub(crate) min_speedup: Option<f64>,
}

/// An expectation that did not hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Miss {
    /// It did not hold on a run that can be judged: exit 3.
    Failed(String),
    /// It did not hold, but the run cannot tell whether the program or the machine is to
    /// blame: exit 4. The text says why.
    Inconclusive(String),
}

impl Miss {
    /// The line printed on stderr.
    pub fn line(&self) -> String {
        match self {
            Miss::Failed(text) => format!("check failed: {text}"),
            Miss::Inconclusive(text) => format!("check inconclusive: {text}"),
        }
    }

    /// The same miss about a named part (a tour section's demo).
    #[must_use]
    pub(crate) fn within(self, part: &str) -> Miss {
        match self {
            Miss::Failed(t) => Miss::Failed(format!("{part}: {t}")),
            Miss::Inconclusive(t) => Miss::Inconclusive(format!("{part}: {t}")),
        }
    }
}

/// The exit code for a set of misses: 3 if any failed, else 4 if any was inconclusive, else 0.
pub fn exit_code(misses: &[Miss]) -> u8 {
    if misses.iter().any(|m| matches!(m, Miss::Failed(_))) {
        crate::error::EXIT_CHECK
    } else if misses.is_empty() {
        crate::error::EXIT_OK
    } else {
        crate::error::EXIT_INCONCLUSIVE
    }
}

/// Every expectation that did not hold, one sentence each; empty when all hold.
///
/// `--check` reads nothing but the report's claims: a claim it expects that does not hold is a
/// failure, one that cannot be judged is inconclusive (its text says why), so the verdict and
/// the sentences printed come from the same predicates and cannot disagree.
pub(crate) fn misses(report: &Report, expect: &Expectations) -> Vec<Miss> {
    let mut missed = Vec::new();
    if expect.demo {
        let tasks = report.workload.as_ref().map_or(1, |w| w.workload.tasks);
        let parallelism =
            tasks >= 2 && claims::parallel_possible(&report.machine).holds == Some(true);
        let expected = |c: &claims::Claim| {
            crate::demo::checks(report.demo).find_map(|&(id, how)| (id == c.id).then_some(how))
        };
        for c in &report.claims {
            let miss = match (expected(c), c.holds) {
                (None, _) | (_, Some(true)) => None,
                (Some(Expect::Faster), _) if !parallelism => None,
                (Some(_), Some(false)) => Some(Miss::Failed(c.text.clone())),
                (Some(_), None) => Some(Miss::Inconclusive(c.text.clone())),
            };
            missed.extend(miss);
        }
    }
    // --min-speedup is the user's own bar: it judges the median, as the table shows it.
    if let Some(min) = expect.min_speedup {
        for r in parallel_modes(report) {
            if r.speedup < min {
                missed.push(speed_miss(
                    report,
                    r,
                    format!(
                        "{}: speedup {:.2} is below --min-speedup {min}",
                        r.mode, r.speedup
                    ),
                ));
            }
        }
    }
    missed
}

/// A speed expectation that missed for `r`: a failure only where the run can be judged.
fn speed_miss(report: &Report, r: &ModeResult, text: String) -> Miss {
    let baseline_ms = report.results.first().map_or(0.0, |b| b.wall_ms.median);
    match claims::mode_speed_unjudgeable(r, &report.interference, baseline_ms) {
        Some(why) => Miss::Inconclusive(format!("{text}, but this run cannot judge it: {why}")),
        None => Miss::Failed(text),
    }
}

/// The modes of `parallel` that may use several CPUs: every row but the first, the
/// sequential baseline.
fn parallel_modes(report: &Report) -> impl Iterator<Item = &ModeResult> {
    report.results.iter().skip(1)
}

#[cfg(test)]
mod agreement;
#[cfg(test)]
mod tests;
