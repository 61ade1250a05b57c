//! The cells of the results table, shared by the table, CSV, markdown and HTML renderers, so
//! that they always show the same figures, and the number formats they share.

use crate::model::{ModeResult, Report};
use crate::sys::Machine;
use serde_json::{Map, Value};

/// The cells of the results table, shared by the table, CSV and markdown renderers, so the
/// three always show the same figures.
pub(crate) struct Grid {
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Grid {
    /// The results as rows of text cells: the common columns, then each demo field.
    pub(crate) fn of_results(results: &[ModeResult]) -> Grid {
        let mut headers: Vec<String> = [
            "mode",
            "threads",
            "wall_ms_median",
            "wall_ms_min",
            "wall_ms_max",
            "speedup",
            "efficiency",
            "cpus_used",
            "checksum_ok",
        ]
        .map(String::from)
        .to_vec();
        // Where other programs disturbed a mode's runs, say how much, beside its figures.
        let disturbed = |r: &ModeResult| {
            r.interference
                .as_ref()
                .is_some_and(|i| i.verdict == crate::interference::Verdict::Disturbed)
        };
        let others = results.iter().any(disturbed);
        if others {
            headers.push("others".into());
        }
        // Nested objects are too wide for a cell: they stay in the JSON only.
        let columns: Vec<Map<String, Value>> = results.iter().map(finding_columns).collect();
        for fields in &columns {
            for (key, value) in fields {
                if !value.is_object() && !headers.contains(key) {
                    headers.push(key.clone());
                }
            }
        }
        let rows = results
            .iter()
            .zip(&columns)
            .map(|(r, fields)| {
                let mut row = vec![
                    r.mode.clone(),
                    r.workers.to_string(),
                    format_ms(r.wall_ms.median),
                    format_ms(r.wall_ms.min),
                    format_ms(r.wall_ms.max),
                    format!("{:.2}", r.speedup),
                    format!("{:.2}", r.efficiency),
                    crate::sys::cpu_list(&r.cpus_used),
                    r.checksum_ok.to_string(),
                ];
                if others {
                    row.push(match &r.interference {
                        Some(i) if disturbed(r) => i
                            .others_cpus
                            .map_or_else(String::new, |o| format!("{o:.2} CPUs")),
                        _ => String::new(),
                    });
                }
                for key in &headers[row.len()..] {
                    row.push(fields.get(key).map_or_else(String::new, format_value));
                }
                row
            })
            .collect();
        Grid { headers, rows }
    }

    /// The machine facts as a two-column grid (what `info` shows).
    pub(crate) fn of_machine(machine: &Machine) -> Grid {
        Grid {
            headers: vec!["fact".into(), "value".into()],
            rows: machine
                .facts()
                .into_iter()
                .map(|(k, v)| vec![k.to_string(), v])
                .collect(),
        }
    }

    /// The grid a report shows: its results (and under them, `CPython`'s, marked as such), or
    /// the machine facts where it has none.
    pub(crate) fn of_report(report: &Report) -> Grid {
        if report.results.is_empty() {
            return Grid::of_machine(&report.machine);
        }
        match &report.cpython {
            None => Grid::of_results(&report.results),
            Some(cpython) => {
                let mut rows = report.results.clone();
                rows.extend(cpython.results.iter().map(|r| ModeResult {
                    mode: format!("{} ({})", r.mode, cpython.name()),
                    ..r.clone()
                }));
                Grid::of_results(&rows)
            }
        }
    }
}

/// A mode's findings as JSON fields, in their declared order: the cells come from the same
/// serialisation as the JSON, so the two cannot disagree.
fn finding_columns(r: &ModeResult) -> Map<String, Value> {
    match serde_json::to_value(&r.findings) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    }
}

/// Milliseconds with precision that suits their size.
pub(crate) fn format_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

fn format_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => {
                let text = format!("{f:.2}");
                // A tiny negative figure rounds to "-0.00", which no reader should see.
                if text == "-0.00" {
                    "0.00".to_string()
                } else {
                    text
                }
            }
            _ => n.to_string(),
        },
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(format_value).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn figures_read_as_written_and_no_negative_zero() {
        assert_eq!(format_value(&json!(-0.001)), "0.00");
        assert_eq!(format_value(&json!(-0.006)), "-0.01");
        assert_eq!(format_value(&json!(1.999)), "2.00");
        assert_eq!(format_value(&json!(3)), "3");
        assert_eq!(format_value(&json!([1, 2])), "1;2");
        assert_eq!(format_value(&json!(null)), "");
    }
}
