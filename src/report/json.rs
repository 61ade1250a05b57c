//! `--format json`: the whole report, pretty-printed.

use super::Report;

pub(crate) fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report always serialises");
    text.push('\n');
    text
}
