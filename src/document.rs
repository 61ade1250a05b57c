//! What a run shows, and the one output pipeline over it.
//!
//! A run of a demo gives one [`Report`], the tour a [`Tour`] of many; both are a [`Document`].
//! The binary takes every document the same way: [`Document::render`] for stdout, each
//! [`OutputFile`] of the command line (`--trace`, `--plot`) written from it after the run, and
//! [`Document::misses`] for `--check` and `--min-speedup`. None of it changes the document.

use crate::check::{self, Expectations, Miss};
use crate::model::Report;
use crate::model::Tour;
use crate::report::{self, RenderOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One demo's report, or the tour with every demo's (boxed: both are large).
#[derive(Debug)]
pub enum Document {
    Report(Box<Report>),
    Tour(Box<Tour>),
}

impl From<Report> for Document {
    fn from(report: Report) -> Document {
        Document::Report(Box::new(report))
    }
}

impl From<Tour> for Document {
    fn from(tour: Tour) -> Document {
        Document::Tour(Box::new(tour))
    }
}

impl Document {
    /// The document with what `--live` cost while it was measured: in the report, or in the
    /// tour (part of the run, set before anything renders it).
    #[must_use]
    pub(crate) fn with_live(mut self, live: Option<crate::live_feed::LiveStats>) -> Document {
        match &mut self {
            Document::Report(report) => report.live = live,
            Document::Tour(tour) => tour.live = live,
        }
        self
    }

    /// Every demo report in it, in the order they ran.
    pub(crate) fn reports(&self) -> Vec<&Report> {
        match self {
            Document::Report(report) => vec![&**report],
            Document::Tour(tour) => tour.sections.iter().flat_map(|s| &s.reports).collect(),
        }
    }

    /// The text for stdout, in the format `options` asks for.
    pub fn render(&self, options: &RenderOptions) -> String {
        match self {
            Document::Report(report) => report::render(report, options),
            Document::Tour(tour) => report::tour::render(tour, options),
        }
    }

    /// What the expectations find missing; in the tour, each miss names its demo.
    pub fn misses(&self, expectations: &Expectations) -> Vec<Miss> {
        match self {
            Document::Report(report) => check::misses(report, expectations),
            Document::Tour(_) => self
                .reports()
                .into_iter()
                .flat_map(|r| {
                    check::misses(r, expectations)
                        .into_iter()
                        .map(|m| m.within(r.demo.name()))
                })
                .collect(),
        }
    }

    /// Writes every report's slices as one Chrome trace, streamed (see [`report::chrome`]).
    pub fn write_trace(&self, out: &mut dyn Write) -> io::Result<()> {
        report::chrome::write_all(&self.reports(), out)
    }
}

/// A file the command line asks for besides stdout, written whole or not at all
/// ([`crate::output`]) after the run, from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputFile {
    /// `--trace FILE`: every report's slices as one Chrome trace.
    Trace(PathBuf),
    /// `--plot FILE.svg`: the speedup curve of a `maxprocs` report.
    Plot(PathBuf),
}

impl OutputFile {
    /// What the file is, as its flag names it (and messages say).
    pub fn what(&self) -> &'static str {
        match self {
            OutputFile::Trace(_) => "trace",
            OutputFile::Plot(_) => "plot",
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            OutputFile::Trace(path) | OutputFile::Plot(path) => path,
        }
    }

    /// Writes the file from `document`.
    pub fn write(&self, document: &Document) -> anyhow::Result<()> {
        match (self, document) {
            (OutputFile::Trace(path), _) => {
                crate::output::write_with("trace", path, &|out| document.write_trace(out))
            }
            (OutputFile::Plot(path), Document::Report(report)) => report::plot::write(report, path),
            (OutputFile::Plot(_), Document::Tour(_)) => {
                anyhow::bail!("the tour has no single speedup curve to plot")
            }
        }
    }
}
