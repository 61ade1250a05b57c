//! The race's claims: did the unsynchronised counter lose updates, and was every fix exact?

use super::ModeRuns;
use crate::claims::{Claim, ClaimId};
use crate::exec::race::Sharing;
use crate::model::ModeResult;
use crate::model::claim_figures::{FixesExactFigures, LostUpdatesFigures};

/// The race's claims: did unsync lose updates, and were all the fixes exact?
pub(crate) fn claims(all: &[ModeRuns], results: &[ModeResult], one_cpu: bool) -> Vec<Claim> {
    let mut claims = Vec::new();
    if let Some(u) = all.iter().find(|m| m.mode == Sharing::Unsync) {
        let (wrong, runs) = (u.wrong_runs(), u.runs.len());
        let lost_max = u.lost().into_iter().max().unwrap_or(0);
        let mut finals = u.finals();
        finals.sort_unstable();
        finals.dedup();
        let distinct = finals.len();
        let text = if wrong > 0 {
            format!(
                "unsync lost updates: it ended away from 0 in {wrong} of {runs} runs, losing at least {lost_max} updates in the worst{}.",
                if distinct > 1 {
                    format!(
                        ", with {distinct} different final values: the outcome depends on timing, so a test can pass by luck"
                    )
                } else {
                    String::new()
                }
            )
        } else if one_cpu {
            format!(
                "The race did not show in {runs} runs: on one CPU a thread must be preempted between its read and its write, which is rare in a short loop; more --iterations give it more chances. The code is still wrong: nothing stops that preemption."
            )
        } else {
            format!(
                "The race did not show in {runs} runs: no update landed between a thread's read and its write this time; more --iterations give it more chances. The code is still wrong: nothing stops that."
            )
        };
        claims.push(
            Claim::new(ClaimId::RaceLostUpdates, Some(u.mode.name()))
                .with(LostUpdatesFigures {
                    wrong_runs: wrong,
                    runs,
                    lost_updates_max: lost_max,
                    distinct_final_values: distinct,
                    one_cpu,
                })
                .judged(Some(wrong > 0), text),
        );
    }
    let fixes: Vec<&ModeResult> = results
        .iter()
        .filter(|r| r.mode != Sharing::Unsync.name())
        .collect();
    if !fixes.is_empty() {
        let broken: Vec<&str> = fixes
            .iter()
            .filter(|r| !r.checksum_ok)
            .map(|r| r.mode.as_str())
            .collect();
        let names: Vec<&str> = fixes.iter().map(|r| r.mode.as_str()).collect();
        claims.push(
            Claim::new(ClaimId::RaceFixesExact, None)
                .with(FixesExactFigures {
                    modes: names.iter().map(ToString::to_string).collect(),
                    broken: broken.iter().map(ToString::to_string).collect(),
                })
                .judged(
                    Some(broken.is_empty()),
                    if broken.is_empty() {
                        format!(
                            "Every fix was exact: {} ended at 0 in every run.",
                            names.join(", ")
                        )
                    } else {
                        format!(
                            "A bug: {} ended away from 0, which a fix must never do.",
                            broken.join(", ")
                        )
                    },
                ),
        );
    }
    claims
}
