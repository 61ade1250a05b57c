//! `--format markdown`: a table ready to paste into a report, with the notes and, when asked,
//! the timeline as a code block.

use super::{Grid, RenderOptions, timeline};
use crate::model::Report;
use std::fmt::Write as _;

pub(crate) fn render(report: &Report, options: &RenderOptions) -> String {
    let grid = Grid::of_report(report);
    let mut out = format!("### conpar {}\n\n", report.demo);
    let _ = writeln!(out, "| {} |", grid.headers.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(grid.headers.len()));
    for row in &grid.rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    if !report.notes.is_empty() {
        out.push('\n');
        for note in &report.notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    if options.timeline && !report.timeline.is_empty() {
        out.push_str("\n```text\n");
        out.push_str(&timeline::render(&report.timeline, options));
        out.push_str("```\n");
    }
    out
}
