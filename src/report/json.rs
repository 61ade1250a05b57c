//! `--format json`: the whole report, pretty-printed; with `--timeline-full`, its timeline at
//! full resolution, every recorded slice (the report itself keeps its merged one).

use super::RenderOptions;
use crate::model::Report;
use serde_json::Value;

pub(crate) fn render(report: &Report, options: &RenderOptions) -> String {
    let mut value = serde_json::to_value(report).expect("a report always serialises");
    if options.timeline_full {
        full_timeline(report, &mut value);
    }
    pretty(&value)
}

/// Puts `report`'s timeline at full resolution into `value`, its JSON.
pub(crate) fn full_timeline(report: &Report, value: &mut Value) {
    if !report.timeline.recorded.is_empty() {
        value["timeline"] = serde_json::to_value(report.timeline.at_full_resolution())
            .expect("a timeline always serialises");
    }
}

/// `value` pretty-printed, with a final newline.
pub(crate) fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON always prints");
    text.push('\n');
    text
}
