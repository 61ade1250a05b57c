//! The renderers: each turns the [`crate::model`] of a run (a [`Report`], or the tour's
//! [`crate::model::Tour`]) into text or a file, and never measures, decides or changes it:
//! table, JSON, CSV, markdown, HTML, the ASCII timeline, the Chrome trace and the SVG plot.
//! The results grid the tabular ones share is `grid.rs`.

pub(crate) mod chrome;
pub(crate) mod csv;
mod grid;
pub mod html;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod plot;
#[cfg(test)]
mod scale_tests;
pub(crate) mod table;
pub(crate) mod timeline;
pub(crate) mod tour;

use crate::model::Report;
pub(crate) use grid::{Grid, format_ms};

/// How the table and timeline are drawn; none of it changes the figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    pub format: Format,
    pub timeline: bool,
    pub lanes: Lanes,
    /// Total width of the timeline in columns.
    pub width: usize,
    /// Draw only the first this many ms of each run, to see switches finer than a column.
    pub zoom_ms: Option<f64>,
    pub color: bool,
    /// Every recorded slice in the JSON timelines (`--timeline-full`), not the merged ones.
    pub timeline_full: bool,
}

/// Output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for a terminal (with the timeline where asked)
    Table,
    /// Every figure, for scripts (schema 1)
    Json,
    /// The results table as CSV
    Csv,
    /// A table and notes to paste into a report
    Markdown,
    /// One self-contained HTML page: tables, claims and SVG pictures, no network needed
    Html,
}

/// What one timeline lane stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lanes {
    /// One lane per CPU: what each core was doing.
    Cpu,
    /// One lane per task: when each task made progress.
    Task,
}

/// Renders `report` as `options.format` asks.
pub(crate) fn render(report: &Report, options: &RenderOptions) -> String {
    match options.format {
        Format::Table => table::render(report, options),
        Format::Json => json::render(report, options),
        Format::Csv => csv::render(report),
        Format::Markdown => markdown::render(report, options),
        Format::Html => html::render(report, options),
    }
}
