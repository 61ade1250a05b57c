//! The race's claims: did the unsynchronised counter lose updates, and was every fix exact?

use super::ModeRuns;
use crate::claims::{Claim, ClaimId, Judged};
use crate::exec::race::Sharing;
use crate::model::ModeResult;
use crate::model::claim_figures::{FixesExactFigures, LostUpdatesFigures};

/// The race's claims: did unsync lose updates, and were all the fixes exact?
pub(crate) fn claims(all: &[ModeRuns], results: &[ModeResult], one_cpu: bool) -> Vec<Claim> {
    let mut claims = Vec::new();
    if let Some(u) = all.iter().find(|m| m.mode == Sharing::Unsync) {
        let mut finals = u.finals();
        finals.sort_unstable();
        finals.dedup();
        claims.push(Claim::of(
            Some(u.mode.name()),
            LostUpdatesFigures {
                wrong_runs: u.wrong_runs(),
                runs: u.runs.len(),
                lost_updates_max: u.lost().into_iter().max().unwrap_or(0),
                distinct_final_values: finals.len(),
                one_cpu,
            },
        ));
    }
    let fixes: Vec<&ModeResult> = results
        .iter()
        .filter(|r| r.mode != Sharing::Unsync.name())
        .collect();
    if !fixes.is_empty() {
        claims.push(Claim::of(
            None,
            FixesExactFigures {
                modes: fixes.iter().map(|r| r.mode.clone()).collect(),
                broken: fixes
                    .iter()
                    .filter(|r| !r.checksum_ok)
                    .map(|r| r.mode.clone())
                    .collect(),
            },
        ));
    }
    claims
}

impl Judged for LostUpdatesFigures {
    fn id(&self) -> ClaimId {
        ClaimId::RaceLostUpdates
    }

    fn holds(&self) -> Option<bool> {
        Some(self.wrong_runs > 0)
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let (wrong, runs, distinct) = (self.wrong_runs, self.runs, self.distinct_final_values);
        if wrong > 0 {
            format!(
                "unsync lost updates: it ended away from 0 in {wrong} of {runs} runs, losing at least {} updates in the worst{}.",
                self.lost_updates_max,
                if distinct > 1 {
                    format!(
                        ", with {distinct} different final values: the outcome depends on timing, so a test can pass by luck"
                    )
                } else {
                    String::new()
                }
            )
        } else if self.one_cpu {
            format!(
                "The race did not show in {runs} runs: on one CPU a thread must be preempted between its read and its write, which is rare in a short loop; more --iterations give it more chances. The code is still wrong: nothing stops that preemption."
            )
        } else {
            format!(
                "The race did not show in {runs} runs: no update landed between a thread's read and its write this time; more --iterations give it more chances. The code is still wrong: nothing stops that."
            )
        }
    }
}

impl Judged for FixesExactFigures {
    fn id(&self) -> ClaimId {
        ClaimId::RaceFixesExact
    }

    fn holds(&self) -> Option<bool> {
        Some(self.broken.is_empty())
    }

    fn sentence(&self, _: Option<&str>) -> String {
        if self.broken.is_empty() {
            format!(
                "Every fix was exact: {} ended at 0 in every run.",
                self.modes.join(", ")
            )
        } else {
            format!(
                "A bug: {} ended away from 0, which a fix must never do.",
                self.broken.join(", ")
            )
        }
    }
}
