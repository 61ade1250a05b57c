//! The tour's model: every section's question, answer, key figure and the reports that show
//! it, with the interference of the whole tour. The tour demo builds it; `report::tour` draws
//! it.

use super::{Demo, Report};
use crate::interference::Interference;
use crate::sys::Machine;
use serde::Serialize;

/// The whole tour: every section's full report.
#[derive(Debug, Clone, Serialize)]
pub struct Tour {
    pub(crate) schema: u32,
    pub(crate) demo: Demo,
    pub(crate) machine: Machine,
    /// Every section's interference together.
    pub(crate) interference: Interference,
    pub(crate) sections: Vec<Section>,
    /// What a person must know before believing the answers: whether other programs took
    /// CPU time while they were measured.
    pub(crate) notes: Vec<String>,
    /// What drawing `--live` cost over the whole tour (absent without `--live`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) live: Option<crate::live_feed::LiveStats>,
}

/// One question, its measured answer, and the reports that show it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Section {
    pub(crate) question: String,
    /// The short form used in the summary table.
    pub(crate) topic: String,
    /// One or two plain sentences with the figures.
    pub(crate) answer: Vec<String>,
    /// The figure the summary table shows.
    pub(crate) key_figure: String,
    /// The demo reports that show it (a report appears in the first section that uses it).
    pub(crate) reports: Vec<Report>,
    /// The interference of those reports together.
    pub(crate) interference: Interference,
    /// How to draw the section's timeline, if it has one.
    #[serde(skip)]
    pub(crate) view: View,
}

/// How a section's reports are drawn in the table and markdown formats.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct View {
    pub(crate) timeline: bool,
    pub(crate) zoom_ms: Option<f64>,
}
