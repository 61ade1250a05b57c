//! One report on the page: its claims, its table, and the pictures its figures call for.
//!
//! What a report shows depends on what it holds, not on which demo made it: wall-time bars
//! for any results, the speedup curve where there is an Amdahl fit, dots where there are
//! race final values, lock bars where there are GIL figures, and the timeline of every drawn
//! run. So a new demo's report gets the pictures its figures fit without a change here.

use super::{charts, figures, table, timeline};
use crate::interference::Verdict;
use crate::model::Claim;
use crate::model::Report;
use crate::report::{Grid, RenderOptions};
use maud::{Markup, PreEscaped, html};

/// `report` with its heading at level `level` (2 on a subcommand's page, 3 in the tour);
/// timelines also drawn for their first `zoom_ms` where that is shorter than the run.
pub(crate) fn report(
    report: &Report,
    options: &RenderOptions,
    zoom_ms: Option<f64>,
    level: u8,
) -> Markup {
    let flagged: Vec<usize> = report
        .results
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.interference
                .as_ref()
                .is_some_and(|i| i.verdict == Verdict::Disturbed)
        })
        .map(|(i, _)| i)
        .collect();
    let title = format!("conpar {}", report.demo);
    html! {
        @if level == 2 { h2 { (title) } } @else { h3 { (title) } }
        @if let Some(w) = &report.workload {
            p class="workload" {
                (format!(
                    "Work: {} task{} of {} units{}, {} measured run{} per mode after {} warm-up; every mode must reproduce checksum {}.",
                    w.workload.tasks,
                    if w.workload.tasks == 1 { "" } else { "s" },
                    w.workload.units_per_task,
                    w.workload.task_time_ms.map_or_else(String::new, |ms| format!(" (about {ms} ms each)")),
                    w.runs,
                    if w.runs == 1 { "" } else { "s" },
                    w.warmup,
                    w.expected_checksum,
                ))
            }
        }
        (claims(&report.claims))
        @if !flagged.is_empty() {
            p class="banner disturbed" role="alert" {
                strong { "Disturbed modes: " }
                (flagged.iter().map(|&i| report.results[i].mode.as_str()).collect::<Vec<_>>().join(", "))
                " ran while other programs took CPU time (the rows marked below)."
            }
        }
        (table(&Grid::of_report(report), &flagged))
        @if !report.results.is_empty() {
            figure {
                figcaption { "Wall time per mode, with the speedup over the baseline." }
                div class="scroll" { (charts::wall_times(&report.results)) }
            }
        }
        (pictures(report))
        (timelines(report, options, zoom_ms))
        // A conclusion is shown once, as its claim, not again among the notes.
        @let notes: Vec<&String> = report
            .notes
            .iter()
            .filter(|n| !report.claims.iter().any(|c| &c.text == *n))
            .collect();
        @if !notes.is_empty() {
            ul class="notes" { @for note in notes { li { (note) } } }
        }
    }
}

/// Every claim, marked held, not held or not judged.
fn claims(claims: &[Claim]) -> Markup {
    html! {
        @if !claims.is_empty() {
            ul class="claims" {
                @for c in claims {
                    @let (class, mark) = match c.holds {
                        Some(true) => ("claim held", "✓ held"),
                        Some(false) => ("claim not-held", "✗ not held"),
                        None => ("claim not-judged", "? not judged"),
                    };
                    li class=(class) {
                        span class="mark" { (mark) }
                        " "
                        code { (c.id) }
                        @if let Some(mode) = &c.mode { " " span class="mode" { "(" (mode) ")" } }
                        " "
                        span class="text" { (c.text) }
                    }
                }
            }
        }
    }
}

/// The demo-specific pictures the report's figures call for.
fn pictures(report: &Report) -> Markup {
    let finals: Vec<(&str, Vec<i64>)> = report
        .results
        .iter()
        .filter_map(|r| Some((r.mode.as_str(), figures::race_finals(r)?)))
        .collect();
    let gils: Vec<(&str, figures::Gil)> = report
        .results
        .iter()
        .filter_map(|r| Some((r.mode.as_str(), figures::gil(r)?)))
        .collect();
    let locked: Vec<(&str, figures::Gil)> = gils
        .iter()
        .filter(|(_, g)| g.threads.iter().any(|t| t.hold_ms + t.wait_ms > 0.0))
        .cloned()
        .collect();
    // The curve is plotters' SVG (the same picture `--plot` writes).
    let curve = figures::amdahl(report)
        .filter(|a| !a.points.is_empty())
        .and_then(|_| crate::report::plot::render(report).ok());
    html! {
        @if let Some(svg) = curve {
            figure {
                figcaption { "Speedup against workers P: measured (median, min-max), the ideal line and the Amdahl fit." }
                div class="scroll plot" { (PreEscaped(svg)) }
            }
        }
        @if !finals.is_empty() {
            figure {
                figcaption { "The counter's final value after every run, per mode: a dot off 0 is a run that lost (or doubled) updates." }
                div class="scroll" { (charts::race(&finals)) }
            }
        }
        @if !locked.is_empty() {
            figure {
                figcaption { "Per thread, time holding the lock and time waiting for it (a thread that waits is not computing)." }
                div class="scroll" { (charts::gil_threads(&locked)) }
            }
        }
        @if !gils.is_empty() {
            figure {
                figcaption { "Lock hand-offs per second, against one hand-off per switch interval (the new GIL's pace)." }
                div class="scroll" { (charts::handoffs(&gils)) }
            }
        }
    }
}

/// The timeline of every drawn run: whole, and its first `zoom_ms` where asked.
fn timelines(report: &Report, options: &RenderOptions, zoom_ms: Option<f64>) -> Markup {
    let tl = &report.timeline;
    if tl.runs.is_empty() || tl.is_empty() {
        return html! {};
    }
    let mut views = Vec::new();
    for run in &tl.runs {
        views.push((run, run.wall_us, None));
        if let Some(ms) = zoom_ms.filter(|ms| ms * 1e3 < run.wall_us) {
            views.push((run, ms * 1e3, Some(ms)));
        }
    }
    let lanes = match options.lanes {
        crate::report::Lanes::Cpu => "one lane per CPU (or thread)",
        crate::report::Lanes::Task => "one lane per task",
    };
    html! {
        figure class="timelines" {
            figcaption {
                "What ran where and when in one run of each mode (the run closest to the median): "
                (lanes) ", a colour per task, blank where nothing ran. Hover over a bar for its task, CPU, start and end."
            }
            @for (run, shown_us, zoom) in views {
                @let drawn = timeline::draw(tl, run, shown_us, options.lanes);
                div class="run" {
                    h4 {
                        (run.mode)
                        span class="dim" {
                            @match zoom {
                                Some(ms) => (format!(" · first {} ms of {} ms", timeline::tick_label(ms), crate::report::format_ms(run.wall_us / 1e3))),
                                None => (format!(" · {} ms", crate::report::format_ms(run.wall_us / 1e3))),
                            }
                        }
                    }
                    div class="scroll" { (drawn.svg) }
                    ul class="legend" {
                        @for task in &drawn.tasks {
                            li { span class="swatch" style=(format!("background:{}", timeline::colour(*task))) {} "task " (task) }
                        }
                    }
                    @for line in &drawn.unshown { p class="dim" { (line) } }
                }
            }
        }
    }
}
