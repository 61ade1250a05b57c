//! `--format markdown`: a table ready to paste into a report, with the notes and, when asked,
//! the timeline as a code block.

use super::{Grid, RenderOptions, Report, timeline};

pub fn render(report: &Report, options: &RenderOptions) -> String {
    let grid = Grid::of_report(report);
    let mut out = format!("### conpar {}\n\n", report.demo);
    out.push_str(&format!("| {} |\n", grid.headers.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(grid.headers.len())));
    for row in &grid.rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    if !report.notes.is_empty() {
        out.push('\n');
        for note in &report.notes {
            out.push_str(&format!("- {note}\n"));
        }
    }
    if options.timeline && !report.timeline.is_empty() {
        out.push_str("\n```text\n");
        out.push_str(&timeline::render(&report.timeline, options));
        out.push_str("```\n");
    }
    out
}
