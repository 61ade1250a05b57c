//! Demos: one per subcommand. A demo decides what to run and compare, runs it through the
//! measurement engine ([`crate::engine`]) and returns a [`crate::model::Report`]; it never
//! prints.
//!
//! The helpers here turn the engine's measurements into the report's shared pieces, so every
//! demo summarises the same way.

#[cfg(test)]
pub(crate) mod figures_tests;
pub(crate) mod gil_sim;
pub(crate) mod info;
pub(crate) mod interleave;
pub(crate) mod maxprocs;
pub(crate) mod parallel;
pub(crate) mod race;
pub(crate) mod tour;

use crate::claims::Claim;
use crate::claims::ClaimId;
pub(crate) use crate::engine::Repeats;
use crate::engine::{Measured, Measurement};
use crate::interference::Interference;
use crate::model::{Demo, Expect, ModeResult, Report, SCHEMA, Timeline};
use crate::sys::Machine;

/// A way a demo runs its tasks, known in the report by the name of its result row (and of its
/// runs in the timeline). A demo with a fixed set of modes names them in an enum of this
/// (maxprocs' rows, `P=1`, `P=2`, …, are numbers, not a set), so that code reading a report
/// back names a mode that exists instead of a string that may not.
pub(crate) trait Mode: Copy {
    /// The name of the mode's row, [`ModeResult::mode`].
    fn name(self) -> &'static str;
}

/// The baseline that `parallel`, `interleave` and `gil-sim` run first: the tasks one after
/// another on one thread, whose checksum is the oracle and whose median every speedup divides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sequential;

impl Mode for Sequential {
    fn name(self) -> &'static str {
        "sequential"
    }
}

/// What `--check` asks of every demo's report.
pub(crate) const EVERY_DEMO: &[(ClaimId, Expect)] = &[(ClaimId::WorkChecksums, Expect::Correct)];

/// What `--check` asks of `demo`'s report: the claims it exists to show ([`EVERY_DEMO`]'s and
/// its own `CHECKS`).
pub(crate) fn checks(demo: Demo) -> impl Iterator<Item = &'static (ClaimId, Expect)> {
    let own: &[(ClaimId, Expect)] = match demo {
        Demo::Parallel => parallel::CHECKS,
        Demo::Interleave => interleave::CHECKS,
        Demo::Race => race::CHECKS,
        Demo::GilSim => gil_sim::CHECKS,
        Demo::Maxprocs => maxprocs::CHECKS,
        Demo::Info | Demo::Tour => &[],
    };
    EVERY_DEMO.iter().chain(own)
}

/// The row of `mode` among `results`, where it ran.
pub(crate) fn result_of(results: &[ModeResult], mode: impl Mode) -> Option<&ModeResult> {
    results.iter().find(|r| r.mode == mode.name())
}

/// What a demo found, and the one way it becomes a report: every demo's `run` measures its
/// modes into typed findings (a type of its own implementing this), then calls [`finish`]:
///
/// run -> findings -> [`Found::claims`] (judged on the findings, the machine and what else
/// ran) -> [`Found::report`] -> [`Found::notes`] (written from the report alone).
///
/// Each demo keeps the parts in its own files: `mod.rs` (run, findings), `claims.rs`,
/// `notes.rs`, and its `CHECKS` (what `--check` asks of it). A reader who knows one demo knows
/// them all.
pub(crate) trait Found: Sized {
    /// The conclusions, each judged on what was found.
    fn claims(&self, machine: &Machine, interference: &Interference) -> Vec<Claim>;
    /// The report of what was found, with its claims, before its notes.
    fn report(self, machine: Machine, interference: Interference, claims: Vec<Claim>) -> Report;
    /// The sentences under the table, written from the report alone (what the machine did
    /// meanwhile goes before them: [`finish`]).
    fn notes(report: &Report) -> Vec<String>;
}

/// The report of what a demo found: its claims, the report, then its notes, first what the
/// machine did meanwhile where a person must know it.
pub(crate) fn finish<F: Found>(found: F, machine: Machine, interference: Interference) -> Report {
    let claims = found.claims(&machine, &interference);
    let mut report = found.report(machine, interference, claims);
    let mut all = report.interference.notes();
    all.extend(F::notes(&report));
    report.notes = all;
    report
}

/// The report of `demo`, made of what every demo fills; the workload, the worker limit and the
/// Amdahl fit are absent, and a demo that has them sets them by struct update:
/// `Report { workload: Some(…), ..report(…) }`. Its notes are [`finish`]'s.
pub(crate) fn report(
    demo: Demo,
    machine: Machine,
    results: Vec<ModeResult>,
    timeline: Timeline,
    interference: Interference,
    claims: Vec<Claim>,
) -> Report {
    Report {
        schema: SCHEMA,
        demo,
        machine,
        workload: None,
        cpu_choice: None,
        results,
        maxprocs: None,
        amdahl: None,
        race: None,
        core_speeds: None,
        live: None,
        cpython: None,
        gil_sim: None,
        timeline,
        interference,
        claims,
        notes: Vec::new(),
    }
}

/// The sentence every demo adds when a mode did not reproduce the sequential checksum.
pub(crate) fn checksum_note(claims: &[Claim]) -> Option<String> {
    crate::claims::find(claims, ClaimId::WorkChecksums, None)
        .filter(|c| c.holds == Some(false))
        .map(|c| c.text.clone())
}

/// The timeline of every mode's run closest to its median.
pub(crate) fn timeline_of<R: Measurement>(measured: &[Measured<R>]) -> Timeline {
    let mut timeline = Timeline::default();
    for m in measured {
        let (run, recorded) = m.timeline();
        timeline.add(run, recorded);
    }
    timeline
}
