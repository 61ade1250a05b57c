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
    /// The figure the summary table shows, and each number in it typed, with its unit
    /// (`key_figure` and `key_values` in the JSON).
    #[serde(flatten)]
    pub(crate) key_figure: KeyFigure,
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

/// The figure a section's summary line shows: its text, built from typed values, so that a
/// script reads each number with its unit rather than parsing the text.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct KeyFigure {
    /// As the summary table shows it ("one CPU: 1.00x; 2 CPUs: 1.89x").
    #[serde(rename = "key_figure")]
    pub(crate) text: String,
    /// Each number in the text, in order.
    #[serde(rename = "key_values")]
    pub(crate) values: Vec<KeyValue>,
}

/// One number of a key figure: what it is, its value (null where it was not measured) and
/// its unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct KeyValue {
    pub(crate) name: String,
    pub(crate) value: Option<f64>,
    pub(crate) unit: Unit,
}

/// The unit of a key value, and how the text writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Unit {
    /// A speedup or a ratio, written "1.94x".
    Times,
    /// A speedup written bare, "1.94".
    Ratio,
    /// CPUs' worth of time, written "2 CPUs", "1.50 CPUs".
    Cpus,
    /// A whole number, written "3".
    Count,
    /// Nanoseconds, written "11 ns".
    Ns,
}

impl Unit {
    /// `value` as the text writes it in this unit; "not measured" (or "not timed") where it
    /// was not.
    pub(crate) fn write(self, value: f64) -> String {
        if !value.is_finite() {
            return match self {
                Unit::Ns => "not timed".into(),
                _ => "not measured".into(),
            };
        }
        match self {
            Unit::Times => format!("{value:.2}x"),
            Unit::Ratio => format!("{value:.2}"),
            Unit::Cpus => crate::sys::cpus_phrase(value),
            Unit::Count => format!("{value:.0}"),
            Unit::Ns => format!("{value:.0} ns"),
        }
    }
}

impl KeyFigure {
    /// Text as it is.
    #[must_use]
    pub(crate) fn text(mut self, text: &str) -> KeyFigure {
        self.text.push_str(text);
        self
    }

    /// A number, written in its unit, and kept typed as `name`.
    #[must_use]
    pub(crate) fn value(mut self, name: &str, value: f64, unit: Unit) -> KeyFigure {
        self.text.push_str(&unit.write(value));
        self.values.push(KeyValue {
            name: name.to_string(),
            value: value.is_finite().then_some(value),
            unit,
        });
        self
    }
}

impl std::fmt::Display for KeyFigure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_written_from_the_typed_values() {
        let figure = KeyFigure::default()
            .text("one CPU: ")
            .value("green speedup", 1.0, Unit::Times)
            .text("; ")
            .value("cpus", 2.0, Unit::Cpus)
            .text(": ")
            .value("threads speedup", 1.894, Unit::Times)
            .text("; green switch ")
            .value("green switch", f64::NAN, Unit::Ns);
        assert_eq!(
            figure.text,
            "one CPU: 1.00x; 2 CPUs: 1.89x; green switch not timed"
        );
        let json = serde_json::to_value(&figure).unwrap();
        assert_eq!(json["key_figure"], figure.text.as_str());
        assert_eq!(json["key_values"][2]["value"], 1.894);
        assert_eq!(json["key_values"][2]["unit"], "times");
        assert_eq!(json["key_values"][3]["value"], serde_json::Value::Null);
    }
}
