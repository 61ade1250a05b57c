//! Demos: one per subcommand. A demo decides what to run and compare, runs it through the
//! measurement engine ([`crate::engine`]) and returns a [`crate::report::Report`]; it never
//! prints.
//!
//! The helpers here turn the engine's measurements into the report's shared pieces, so every
//! demo summarises the same way.

pub mod gil_sim;
pub mod info;
pub mod interleave;
pub mod maxprocs;
pub mod parallel;
pub mod race;
#[cfg(test)]
mod snapshot_tests;
pub mod tour;

pub use crate::engine::Repeats;
use crate::engine::{Measured, Measurement};
use crate::report::Timeline;

/// The sentence every demo adds when a mode did not reproduce the sequential checksum.
pub fn checksum_note(claims: &[crate::claims::Claim]) -> Option<String> {
    crate::claims::find(claims, "work.checksums", None)
        .filter(|c| c.holds == Some(false))
        .map(|c| c.text.clone())
}

/// A report's notes: first what the machine did meanwhile, where a person must know it.
pub fn notes_with(
    interference: &crate::interference::Interference,
    notes: Vec<String>,
) -> Vec<String> {
    let mut all = interference.notes();
    all.extend(notes);
    all
}

/// The timeline of every mode's run closest to its median.
pub fn timeline_of<R: Measurement>(measured: &[Measured<R>]) -> Timeline {
    let mut timeline = Timeline::default();
    for m in measured {
        let (run, recorded) = m.timeline();
        timeline.add(run, recorded);
    }
    timeline
}
