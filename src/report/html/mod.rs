//! `--format html`: one self-contained page of a report or of the whole tour.
//!
//! A table says how long each mode took; a picture shows why. The page puts the figures, the
//! claims judged on them and the pictures (timelines, wall-time bars, the maxprocs curve, the
//! race's final values, the GIL's holding and waiting) in one document that a browser opens
//! without a network, a phone reads and a printer puts on A4: inline CSS ([`STYLE`]), inline
//! SVG, no script. It is written with `maud`, whose templates escape every value that comes
//! from data, and it reads only the [`Report`] (demo-specific figures through [`figures`]),
//! like every other renderer.
//!
//! This file builds the document around the sections; `section` draws one report.

mod charts;
pub(crate) mod figures;
mod section;
#[cfg(test)]
mod tests;
pub(crate) mod timeline;

use super::{Grid, RenderOptions, Report};
use crate::interference::{Interference, Verdict};
use crate::model::Tour;
use crate::sys::Machine;
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};

/// The page's stylesheet, inlined in its `<head>`.
pub(crate) const STYLE: &str = include_str!("style.css");

/// A number in an SVG attribute, to a tenth of a unit (enough at any screen's resolution).
pub(crate) struct N(pub f64);

impl std::fmt::Display for N {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = if self.0.is_finite() { self.0 } else { 0.0 };
        let text = format!("{x:.1}");
        f.write_str(text.strip_suffix(".0").unwrap_or(&text))
    }
}

impl Render for N {
    fn render_to(&self, buffer: &mut String) {
        use std::fmt::Write;
        let _ = write!(buffer, "{self}");
    }
}

/// The page of one subcommand's report.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let title = format!("conpar {}", report.demo);
    let body = html! {
        header {
            h1 { (title) }
            (interference(&report.interference, "these runs"))
            // A report without results (info) shows the machine facts as its table.
            @if !report.results.is_empty() { (machine(&report.machine)) }
        }
        main {
            section class="question" id="report" {
                (section::report(report, options, options.zoom_ms, 2))
            }
        }
    };
    page(&title, &body)
}

/// The page of the tour: every question with its answer and reports, a summary on top.
pub(crate) fn tour(tour: &Tour, options: &RenderOptions) -> String {
    let body = html! {
        header {
            h1 { "conpar tour" }
            p class="lead" {
                "Every question of the classic concurrency exercise, answered with figures measured on this machine in this run."
            }
            (interference(&tour.interference, "the tour"))
            @for note in &tour.notes { p class="note" { (note) } }
            // The machine's facts are question 1's table; the header does not repeat them.
            nav {
                h2 { "Summary" }
                ol class="summary" {
                    @for (i, s) in tour.sections.iter().enumerate() {
                        li { a href=(format!("#q{}", i + 1)) { (s.topic) } ": " span class="figure" { (s.key_figure) } }
                    }
                }
            }
        }
        main {
            @for (i, s) in tour.sections.iter().enumerate() {
                section class="question" id=(format!("q{}", i + 1)) {
                    h2 { (i + 1) ". " (s.question) }
                    div class="answer" {
                        @for sentence in &s.answer { p { (sentence) } }
                    }
                    @if s.interference.verdict == Verdict::Disturbed {
                        (interference(&s.interference, "this question's runs"))
                    }
                    @for report in &s.reports {
                        @let zoom = s.view.zoom_ms.or(options.zoom_ms);
                        article class="report" { (section::report(report, options, zoom, 3)) }
                    }
                }
            }
        }
    };
    page("conpar tour", &body)
}

/// The document around `body`.
fn page(title: &str, body: &Markup) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content=(format!("conpar {}", env!("CARGO_PKG_VERSION")));
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    };
    let mut text = page.into_string();
    text.push('\n');
    text
}

/// The interference verdict of `what`, where nobody can miss it when it is disturbed.
fn interference(i: &Interference, what: &str) -> Markup {
    let cpus = |x: Option<f64>| x.map_or_else(|| "?".to_string(), |v| format!("{v:.2}"));
    html! {
        @match i.verdict {
            Verdict::Disturbed => div class="banner disturbed" role="alert" {
                strong { "Disturbed: " }
                (format!(
                    "other programs took {} CPUs and the hypervisor {} during {what} (the line is {:.2}). The figures may not show what this machine can do, and claims about speed are not judged.",
                    cpus(i.others_cpus), cpus(i.steal_cpus), i.threshold_cpus
                ))
            },
            Verdict::Quiet => div class="banner quiet" {
                strong { "Quiet machine: " }
                (format!(
                    "other programs took {} CPUs and the hypervisor {} during {what}, under the line of {:.2}.",
                    cpus(i.others_cpus), cpus(i.steal_cpus), i.threshold_cpus
                ))
            },
            Verdict::Unknown => div class="banner unknown" {
                strong { "Not known: " }
                (format!("whether other programs disturbed {what} could not be measured (too short, or the OS does not say)."))
            },
        }
    }
}

/// The machine facts, as `info` shows them.
fn machine(machine: &Machine) -> Markup {
    html! {
        section class="machine" {
            h2 { "Machine" }
            (table(&Grid::of_machine(machine), &[]))
        }
    }
}

/// A grid as an HTML table that scrolls sideways when it is wider than the screen; the rows
/// at `flagged` are marked as disturbed.
fn table(grid: &Grid, flagged: &[usize]) -> Markup {
    html! {
        div class="scroll" {
            table {
                thead { tr { @for h in &grid.headers { th scope="col" { (h) } } } }
                tbody {
                    @for (i, row) in grid.rows.iter().enumerate() {
                        tr class=[flagged.contains(&i).then_some("disturbed")] {
                            @for (j, cell) in row.iter().enumerate() {
                                @if j == 0 { th scope="row" { (cell) } } @else { td { (cell) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
