//! The page's small charts as inline SVG: wall time per mode, the race's final values, and
//! the GIL's holding, waiting and hand-offs.
//!
//! Each is a handful of elements per mode, drawn by hand rather than with plotters because
//! they are horizontal rows of labelled bars: labels on the left read on a phone, and the
//! picture is a few hundred bytes. Every mark has a tooltip (`<title>`) with its figure.

use super::N;
use super::figures::Gil;
use crate::model::ModeResult;
use crate::report::format_ms;
use maud::{Markup, html};

const WIDTH: f64 = 800.0;
const LABEL: f64 = 130.0;
/// Room on the right for the figure written beside a bar.
const NOTE: f64 = 170.0;
const ROW: f64 = 24.0;
const TOP: f64 = 6.0;

fn plot_width() -> f64 {
    WIDTH - LABEL - NOTE
}

/// Wall time per mode: the median as a bar, min-max as a whisker, the speedup written beside.
pub(crate) fn wall_times(results: &[ModeResult]) -> Markup {
    let most = results
        .iter()
        .map(|r| r.wall_ms.max)
        .fold(0.0, f64::max)
        .max(1e-9);
    let x = |ms: f64| LABEL + ms / most * plot_width();
    let height = TOP + results.len() as f64 * ROW + 34.0;
    let axis_y = TOP + results.len() as f64 * ROW;
    let ticks = super::timeline::ticks(most);
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {}", N(height))) role="img"
            aria-label="wall time per mode" {
            @for ms in &ticks {
                line class="grid" x1=(N(x(*ms))) x2=(N(x(*ms))) y1=(N(TOP)) y2=(N(axis_y)) {}
            }
            @for (i, r) in results.iter().enumerate() {
                @let y = TOP + i as f64 * ROW;
                @let mid = y + ROW / 2.0 - 2.0;
                text class="lane" x=(N(LABEL - 6.0)) y=(N(mid + 4.0)) text-anchor="end" { (r.mode) }
                rect class="bar" x=(N(LABEL)) y=(N(y + 3.0)) width=(N(x(r.wall_ms.median) - LABEL)) height=(N(ROW - 10.0)) {
                    title { (format!("{}: median {} ms over {} runs (min {}, max {})", r.mode,
                        format_ms(r.wall_ms.median), r.wall_ms.samples.len(),
                        format_ms(r.wall_ms.min), format_ms(r.wall_ms.max))) }
                }
                line class="whisker" x1=(N(x(r.wall_ms.min))) x2=(N(x(r.wall_ms.max))) y1=(N(mid)) y2=(N(mid)) {}
                line class="whisker" x1=(N(x(r.wall_ms.min))) x2=(N(x(r.wall_ms.min))) y1=(N(mid - 5.0)) y2=(N(mid + 5.0)) {}
                line class="whisker" x1=(N(x(r.wall_ms.max))) x2=(N(x(r.wall_ms.max))) y1=(N(mid - 5.0)) y2=(N(mid + 5.0)) {}
                text class="note" x=(N(x(r.wall_ms.max) + 8.0)) y=(N(mid + 4.0)) {
                    (format!("{:.2}x · {} ms", r.speedup, format_ms(r.wall_ms.median)))
                }
            }
            (axis(&ticks, x, axis_y, "wall time per run, ms (bar: median, whisker: min-max)"))
        }
    }
}

/// The x axis under a chart: ticks at `ticks` and a title.
fn axis(ticks: &[f64], x: impl Fn(f64) -> f64, y: f64, title: &str) -> Markup {
    html! {
        line class="axis" x1=(N(LABEL)) x2=(N(LABEL + plot_width())) y1=(N(y)) y2=(N(y)) {}
        @for t in ticks {
            text class="tick" x=(N(x(*t))) y=(N(y + 14.0)) text-anchor="middle" { (super::timeline::tick_label(*t)) }
        }
        text class="axis-title" x=(N(LABEL + plot_width() / 2.0)) y=(N(y + 30.0)) text-anchor="middle" { (title) }
    }
}

/// The race: every run's final counter value as a dot, one row per mode, 0 (right) marked.
pub(crate) fn race(finals: &[(&str, Vec<i64>)]) -> Markup {
    let most = finals
        .iter()
        .flat_map(|(_, v)| v.iter().map(|x| x.unsigned_abs()))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let centre = LABEL + plot_width() / 2.0;
    let x = |v: i64| centre + v as f64 / most * (plot_width() / 2.0);
    let axis_y = TOP + finals.len() as f64 * ROW;
    let height = axis_y + 34.0;
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {}", N(height))) role="img"
            aria-label="final counter value of every run, per mode" {
            line class="zero" x1=(N(centre)) x2=(N(centre)) y1=(N(TOP)) y2=(N(axis_y)) {}
            @for (i, (mode, values)) in finals.iter().enumerate() {
                @let y = TOP + i as f64 * ROW + ROW / 2.0;
                @let wrong = values.iter().filter(|v| **v != 0).count();
                text class="lane" x=(N(LABEL - 6.0)) y=(N(y + 4.0)) text-anchor="end" { (mode) }
                line class="grid" x1=(N(LABEL)) x2=(N(LABEL + plot_width())) y1=(N(y)) y2=(N(y)) {}
                @for (run, v) in values.iter().enumerate() {
                    // Dots a little apart vertically, so equal values do not hide each other.
                    @let dy = (run % 5) as f64 * 2.0 - 4.0;
                    circle class=(if *v == 0 { "dot ok" } else { "dot wrong" })
                        cx=(N(x(*v))) cy=(N(y + dy)) r="3.5" {
                        title { (format!("{mode}, run {}: final value {v}", run + 1)) }
                    }
                }
                text class="note" x=(N(LABEL + plot_width() + 8.0)) y=(N(y + 4.0)) {
                    (format!("{wrong} of {} runs wrong", values.len()))
                }
            }
            line class="axis" x1=(N(LABEL)) x2=(N(LABEL + plot_width())) y1=(N(axis_y)) y2=(N(axis_y)) {}
            @for (v, anchor) in [(-(most as i64), "start"), (0, "middle"), (most as i64, "end")] {
                text class="tick" x=(N(x(v))) y=(N(axis_y + 14.0)) text-anchor=(anchor) { (v) }
            }
            text class="axis-title" x=(N(centre)) y=(N(axis_y + 30.0)) text-anchor="middle" {
                "final value of the counter (0 is right: every update kept)"
            }
        }
    }
}

/// The GIL: per thread of each mode, time holding the lock and time waiting for it, stacked.
pub(crate) fn gil_threads(gils: &[(&str, Gil)]) -> Markup {
    let rows: Vec<(String, f64, f64)> = gils
        .iter()
        .flat_map(|(mode, g)| {
            g.threads
                .iter()
                .map(move |t| (format!("{mode} t{}", t.thread), t.hold_ms, t.wait_ms))
        })
        .collect();
    let most = rows
        .iter()
        .map(|(_, h, w)| h + w)
        .fold(0.0, f64::max)
        .max(1e-9);
    let x = |ms: f64| LABEL + ms / most * plot_width();
    let axis_y = TOP + rows.len() as f64 * ROW;
    let ticks = super::timeline::ticks(most);
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {}", N(axis_y + 34.0))) role="img"
            aria-label="time each thread held and waited for the lock" {
            @for ms in &ticks {
                line class="grid" x1=(N(x(*ms))) x2=(N(x(*ms))) y1=(N(TOP)) y2=(N(axis_y)) {}
            }
            @for (i, (label, hold, wait)) in rows.iter().enumerate() {
                @let y = TOP + i as f64 * ROW;
                text class="lane" x=(N(LABEL - 6.0)) y=(N(y + ROW / 2.0 + 2.0)) text-anchor="end" { (label) }
                rect class="hold" x=(N(LABEL)) y=(N(y + 3.0)) width=(N(x(*hold) - LABEL)) height=(N(ROW - 10.0)) {
                    title { (format!("{label}: held the lock {} ms", format_ms(*hold))) }
                }
                rect class="wait" x=(N(x(*hold))) y=(N(y + 3.0)) width=(N(x(hold + wait) - x(*hold))) height=(N(ROW - 10.0)) {
                    title { (format!("{label}: waited for the lock {} ms", format_ms(*wait))) }
                }
                text class="note" x=(N(x(hold + wait) + 8.0)) y=(N(y + ROW / 2.0 + 2.0)) {
                    (format!("{} + {} ms", format_ms(*hold), format_ms(*wait)))
                }
            }
            (axis(&ticks, x, axis_y, "ms holding the lock (dark) and waiting for it (light), in the run drawn"))
        }
    }
}

/// The GIL: hand-offs per second of each mode against one per switch interval.
pub(crate) fn handoffs(gils: &[(&str, Gil)]) -> Markup {
    let per_interval = gils
        .iter()
        .map(|(_, g)| 1000.0 / g.switch_interval_ms)
        .find(|v| v.is_finite())
        .unwrap_or(0.0);
    let most = gils
        .iter()
        .map(|(_, g)| g.handoffs_per_s)
        .chain([per_interval])
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    let x = |v: f64| LABEL + v / most * plot_width();
    let axis_y = TOP + gils.len() as f64 * ROW;
    let ticks = super::timeline::ticks(most);
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {}", N(axis_y + 34.0))) role="img"
            aria-label="lock hand-offs per second against one per switch interval" {
            @for (i, (mode, g)) in gils.iter().enumerate() {
                @let y = TOP + i as f64 * ROW;
                text class="lane" x=(N(LABEL - 6.0)) y=(N(y + ROW / 2.0 + 2.0)) text-anchor="end" { (mode) }
                rect class="bar" x=(N(LABEL)) y=(N(y + 3.0)) width=(N(x(g.handoffs_per_s) - LABEL)) height=(N(ROW - 10.0)) {
                    title { (format!("{mode} ({} GIL): {:.1} hand-offs per second", g.kind, g.handoffs_per_s)) }
                }
                text class="note" x=(N(x(g.handoffs_per_s) + 8.0)) y=(N(y + ROW / 2.0 + 2.0)) {
                    (format!("{:.0}/s", g.handoffs_per_s))
                }
            }
            line class="ideal" x1=(N(x(per_interval))) x2=(N(x(per_interval))) y1=(N(TOP)) y2=(N(axis_y)) {
                title { (format!("1 / switch interval = {per_interval:.0} per second")) }
            }
            text class="note" x=(N(x(per_interval) + 4.0)) y=(N(TOP + 10.0)) { (format!("1 / switch interval = {per_interval:.0}/s")) }
            (axis(&ticks, x, axis_y, "lock hand-offs per second"))
        }
    }
}
