//! `--format table` (the default): an aligned table for people, then the notes and, with
//! `--timeline`, the timeline. Colour only when asked for by [`RenderOptions::color`].

use super::{Grid, RenderOptions, timeline};
use crate::model::Report;
use console::Style;
use std::fmt::Write as _;

pub(crate) fn render(report: &Report, options: &RenderOptions) -> String {
    let grid = Grid::of_report(report);
    let (headers, rows) = if report.results.is_empty() {
        (grid.headers, grid.rows)
    } else {
        merge_wall_columns(&grid)
    };
    let (headers, rows, wide) = if report.results.is_empty() {
        (headers, rows, String::new())
    } else {
        split_wide_columns(headers, rows)
    };
    let mut out = aligned(&headers, &rows, options.color);
    if !wide.is_empty() {
        out.push('\n');
        out.push_str(&wide);
    }
    if !report.notes.is_empty() {
        out.push('\n');
        for note in &report.notes {
            let _ = writeln!(out, "{note}");
        }
    }
    if options.timeline && !report.timeline.is_empty() {
        out.push('\n');
        out.push_str(&timeline::render(&report.timeline, options));
    }
    out
}

/// Shows median, min and max as one "median (min-max)" column, as people read them.
fn merge_wall_columns(grid: &Grid) -> (Vec<String>, Vec<Vec<String>>) {
    let merge = |cells: &[String]| -> Vec<String> {
        let mut merged = cells[..2].to_vec();
        merged.push(format!("{} ({}-{})", cells[2], cells[3], cells[4]));
        merged.extend_from_slice(&cells[5..]);
        merged
    };
    let mut headers = merge(&grid.headers);
    headers[2] = "wall ms (min-max)".into();
    for h in &mut headers {
        *h = h.replace('_', " ");
    }
    (headers, grid.rows.iter().map(|r| merge(r)).collect())
}

/// The widest cell kept in a table column: wider columns (lists of values, sentences) are
/// printed under the table instead, one line per mode, so the table stays readable.
const MAX_CELL: usize = 24;

fn split_wide_columns(
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
) -> (Vec<String>, Vec<Vec<String>>, String) {
    let wide: Vec<bool> = (0..headers.len())
        .map(|c| c > 0 && rows.iter().any(|r| r[c].chars().count() > MAX_CELL))
        .collect();
    let mut below = String::new();
    for (c, header) in headers.iter().enumerate().filter(|(c, _)| wide[*c]) {
        for row in &rows {
            let _ = writeln!(below, "{} {header}: {}", row[0], row[c]);
        }
    }
    let keep = |cells: Vec<String>| -> Vec<String> {
        cells
            .into_iter()
            .zip(&wide)
            .filter(|(_, w)| !**w)
            .map(|(cell, _)| cell)
            .collect()
    };
    let rows = rows.into_iter().map(keep).collect();
    (keep(headers), rows, below)
}

fn aligned(headers: &[String], rows: &[Vec<String>], color: bool) -> String {
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([headers[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let bold = Style::new().bold().force_styling(color);
    let good = Style::new().green().force_styling(color);
    let bad = Style::new().red().bold().force_styling(color);
    let mut out = String::new();
    let header: Vec<String> = headers
        .iter()
        .zip(&widths)
        .map(|(h, &w)| bold.apply_to(format!("{h:<w$}")).to_string())
        .collect();
    out.push_str(header.join("  ").trim_end());
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                let text = if i > 0 && looks_numeric(cell) {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                };
                match cell.as_str() {
                    "true" => good.apply_to(text).to_string(),
                    "false" => bad.apply_to(text).to_string(),
                    _ => text,
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A figure, right-aligned: starts with a digit (after a minus sign) and holds no letter; a
/// list (`-412;0;37`) is not one.
fn looks_numeric(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    digits.chars().next().is_some_and(|c| c.is_ascii_digit())
        && !cell.contains(char::is_alphabetic)
        && !cell.contains(';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_figures_align_as_figures() {
        assert!(looks_numeric("-0.01"));
        assert!(looks_numeric("12.5 (10-14)"));
        assert!(!looks_numeric("-"));
        assert!(!looks_numeric("cpu0"));
        assert!(!looks_numeric("true"));
        assert!(!looks_numeric("-412;0;37"));
    }

    #[test]
    fn wide_columns_move_under_the_table() {
        let headers = vec!["mode".into(), "n".into(), "values".into()];
        let rows = vec![
            vec!["a".into(), "1".into(), "x".repeat(MAX_CELL + 1)],
            vec!["b".into(), "2".into(), "short".into()],
        ];
        let (headers, rows, below) = split_wide_columns(headers, rows);
        assert_eq!(headers, vec!["mode", "n"]);
        assert_eq!(rows, vec![vec!["a", "1"], vec!["b", "2"]]);
        assert_eq!(
            below,
            format!("a values: {}\nb values: short\n", "x".repeat(MAX_CELL + 1))
        );
    }
}
