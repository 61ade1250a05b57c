//! What a run shows, and the one output pipeline over it.
//!
//! A run of a demo gives one [`Report`], the tour a [`Tour`] of many; both are a [`Document`].
//! The binary takes every document the same way: full timelines where `--timeline-full` asks,
//! [`Document::render`] for stdout, [`Document::write_trace`] for `--trace`, and
//! [`Document::misses`] for `--check` and `--min-speedup`.

use crate::check::{self, Expectations, Miss};
use crate::report::tour::Tour;
use crate::report::{self, RenderOptions, Report};
use std::io::{self, Write};

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
    /// Every demo report in it, in the order they ran.
    pub(crate) fn reports(&self) -> Vec<&Report> {
        match self {
            Document::Report(report) => vec![&**report],
            Document::Tour(tour) => tour.sections.iter().flat_map(|s| &s.reports).collect(),
        }
    }

    /// Puts every recorded slice in the JSON timelines (`--timeline-full`).
    pub fn set_full_timelines(&mut self) {
        match self {
            Document::Report(report) => report.timeline.set_full(),
            Document::Tour(tour) => {
                for report in tour.sections.iter_mut().flat_map(|s| &mut s.reports) {
                    report.timeline.set_full();
                }
            }
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
