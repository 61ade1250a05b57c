//! The timeline as SVG: what ran on which CPU (or thread) and when, one lane each.
//!
//! It draws the same run the ASCII timeline draws and reads the slices the same way
//! ([`Timeline::views`], full resolution, no strings), but at the resolution of the picture
//! instead of a terminal's columns: the run is cut into [`COLUMNS`] stretches, finer than a
//! pixel of the drawn width, and consecutive stretches where the same task ran are one
//! rectangle. So a slice wider than a pixel is drawn where it was, preemption gaps wider than a
//! pixel show as blank, and switches finer than a pixel show as the tasks that took turns there
//! (the lane split into one band per task). The picture's size grows with lanes × changes
//! visible at that resolution, never with the slices recorded: a 5 s run in 20 µs quanta is a
//! few rectangles per lane, not 250 000.
//!
//! Each task has one colour ([`colour`]) in every mode, section and picture, and every
//! rectangle has a tooltip (`<title>`) with its task, CPU, start and end.

use super::N;
use crate::model::{Lane, Timeline, TimelineRun};
use crate::report::Lanes;
use crate::report::timeline::MAX_LANES;
use maud::{Markup, html};
use std::collections::{BTreeSet, HashMap};

/// Width of the picture in SVG units (it scales to the page).
pub(crate) const WIDTH: f64 = 800.0;
/// Stretches a run is cut into: finer than the drawn width, coarser than any recording.
pub(crate) const COLUMNS: usize = 1000;
const LABEL: f64 = 84.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 6.0;
const LANE: f64 = 16.0;
const GAP: f64 = 5.0;

/// The colour of task `task`, the same wherever it is drawn.
pub(crate) fn colour(task: usize) -> String {
    const PALETTE: [&str; 10] = [
        "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
        "#ff9da7", "#bab0ac",
    ];
    match PALETTE.get(task) {
        Some(c) => (*c).to_string(),
        // Beyond the palette: hues a golden angle apart, so neighbours differ.
        None => format!("hsl({:.0},55%,50%)", (task as f64 * 137.508) % 360.0),
    }
}

/// What a lane stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Lane(Lane<'a>),
    Task(usize),
}

/// One task's share of one stretch of a lane.
#[derive(Debug, Clone, Copy)]
struct Part {
    task: usize,
    us: f64,
    first_us: f64,
    last_us: f64,
    cpu: Option<usize>,
    cpus_vary: bool,
    /// Slices that began in this stretch.
    starts: u32,
}

struct Row {
    label: String,
    number: usize,
    busy_us: f64,
    cells: Vec<Vec<Part>>,
}

/// A rectangle to draw: `tasks` (one, or several taking turns) from `start_us` to `end_us`.
struct Segment {
    tasks: Vec<usize>,
    start_us: f64,
    end_us: f64,
    cpu: Option<usize>,
    cpus_vary: bool,
    slices: u32,
}

/// A drawn run: the picture and what it needs said beside it.
pub(crate) struct Drawn {
    pub(crate) svg: Markup,
    /// Every task drawn, for the legend.
    pub(crate) tasks: BTreeSet<usize>,
    /// Lanes idle throughout, or left out because only the busiest [`MAX_LANES`] are drawn.
    pub(crate) unshown: Vec<String>,
}

/// The first `shown_us` of `run`, one lane per CPU/thread (or per task).
pub(crate) fn draw(timeline: &Timeline, run: &TimelineRun, shown_us: f64, lanes: Lanes) -> Drawn {
    let total_us = shown_us.max(1.0);
    let column_us = total_us / COLUMNS as f64;
    let mut index: HashMap<Key<'_>, usize> = HashMap::new();
    let mut rows: Vec<Row> = Vec::new();
    for s in timeline.views(&run.mode).filter(|s| s.start_us < total_us) {
        let key = match lanes {
            Lanes::Cpu => Key::Lane(s.lane),
            Lanes::Task => Key::Task(s.task),
        };
        let row = *index.entry(key).or_insert_with(|| {
            let (label, number) = match key {
                Key::Lane(lane) => (lane.label(), lane.number()),
                Key::Task(task) => (format!("task{task}"), task),
            };
            rows.push(Row {
                label,
                number,
                busy_us: 0.0,
                cells: vec![Vec::new(); COLUMNS],
            });
            rows.len() - 1
        });
        let row = &mut rows[row];
        let end_us = s.end_us.min(total_us);
        row.busy_us += (end_us - s.start_us).max(0.0);
        let first = ((s.start_us / column_us) as usize).min(COLUMNS - 1);
        let last = ((end_us / column_us) as usize).min(COLUMNS - 1);
        for c in first..=last {
            let lo = s.start_us.max(c as f64 * column_us);
            let hi = end_us.min((c + 1) as f64 * column_us);
            if hi <= lo && c != first {
                continue;
            }
            let cell = &mut row.cells[c];
            let starts = u32::from(c == first);
            match cell.iter_mut().find(|p| p.task == s.task) {
                Some(p) => {
                    p.us += (hi - lo).max(0.0);
                    p.first_us = p.first_us.min(lo);
                    p.last_us = p.last_us.max(hi);
                    p.cpus_vary |= p.cpu != s.cpu;
                    p.starts += starts;
                }
                None => cell.push(Part {
                    task: s.task,
                    us: (hi - lo).max(0.0),
                    first_us: lo,
                    last_us: hi,
                    cpu: s.cpu,
                    cpus_vary: false,
                    starts,
                }),
            }
        }
    }

    let segments: Vec<Vec<Segment>> = rows.iter().map(|r| segments(r, column_us)).collect();
    let (idle, mut drawn): (Vec<usize>, Vec<usize>) =
        (0..rows.len()).partition(|&i| segments[i].is_empty());
    let mut left_out = Vec::new();
    if drawn.len() > MAX_LANES {
        drawn.sort_by(|&a, &b| rows[b].busy_us.total_cmp(&rows[a].busy_us));
        left_out = drawn.split_off(MAX_LANES);
    }
    drawn.sort_by(|&a, &b| (rows[a].number, &rows[a].label).cmp(&(rows[b].number, &rows[b].label)));
    let mut unshown: Vec<String> = Vec::new();
    if !idle.is_empty() {
        let names: Vec<&str> = idle.iter().map(|&i| rows[i].label.as_str()).collect();
        unshown.push(format!("idle throughout: {}", names.join(", ")));
    }
    if !left_out.is_empty() {
        let names: Vec<&str> = left_out.iter().map(|&i| rows[i].label.as_str()).collect();
        unshown.push(format!(
            "not drawn (only the {MAX_LANES} busiest lanes are): {}",
            names.join(", ")
        ));
    }
    let tasks = drawn
        .iter()
        .flat_map(|&i| segments[i].iter().flat_map(|s| s.tasks.iter().copied()))
        .collect();

    let plot = WIDTH - LABEL - RIGHT;
    let x = |us: f64| LABEL + us / total_us * plot;
    let axis_y = TOP + drawn.len() as f64 * (LANE + GAP);
    let height = axis_y + 36.0;
    let ticks = ticks(total_us / 1e3);
    let lane_kind = match lanes {
        Lanes::Cpu => "CPU or thread",
        Lanes::Task => "task",
    };
    let svg = html! {
        svg class="timeline" viewBox=(format!("0 0 {WIDTH} {}", N(height))) role="img"
            aria-label=(format!("timeline of {}: one lane per {lane_kind}", run.mode)) {
            @for ms in &ticks {
                line class="grid" x1=(N(x(ms * 1e3))) x2=(N(x(ms * 1e3))) y1=(N(TOP)) y2=(N(axis_y)) {}
            }
            @for (lane, &i) in drawn.iter().enumerate() {
                @let y = TOP + lane as f64 * (LANE + GAP);
                text class="lane" x=(N(LABEL - 6.0)) y=(N(y + LANE * 0.75)) text-anchor="end" { (rows[i].label) }
                rect class="bg" x=(N(LABEL)) y=(N(y)) width=(N(plot)) height=(N(LANE)) {}
                @for seg in &segments[i] {
                    @let band = LANE / seg.tasks.len() as f64;
                    @let tip = tooltip(seg, &rows[i].label, lanes);
                    @for (k, &task) in seg.tasks.iter().enumerate() {
                        rect class="s" x=(N(x(seg.start_us))) y=(N(y + k as f64 * band))
                            width=(N((x(seg.end_us) - x(seg.start_us)).max(0.3))) height=(N(band))
                            fill=(colour(task)) { title { (tip) } }
                    }
                }
            }
            line class="axis" x1=(N(LABEL)) x2=(N(LABEL + plot)) y1=(N(axis_y)) y2=(N(axis_y)) {}
            @for ms in &ticks {
                text class="tick" x=(N(x(ms * 1e3))) y=(N(axis_y + 14.0)) text-anchor="middle" { (tick_label(*ms)) }
            }
            text class="axis-title" x=(N(LABEL + plot / 2.0)) y=(N(axis_y + 30.0)) text-anchor="middle" {
                "ms since the run began"
            }
        }
    };
    Drawn {
        svg,
        tasks,
        unshown,
    }
}

/// A lane's rectangles: runs of stretches where the same task (or the same tasks taking turns)
/// covered most of the time; a stretch busy under half of it is blank.
fn segments(row: &Row, column_us: f64) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut open = false;
    for (c, cell) in row.cells.iter().enumerate() {
        let total: f64 = cell.iter().map(|p| p.us).sum();
        let mut tasks: Vec<usize> = if total < column_us / 2.0 {
            Vec::new()
        } else {
            let sharing: Vec<usize> = cell
                .iter()
                .filter(|p| p.us >= column_us / 4.0)
                .map(|p| p.task)
                .collect();
            if sharing.len() >= 2 {
                sharing
            } else {
                cell.iter()
                    .max_by(|a, b| a.us.total_cmp(&b.us))
                    .map(|p| vec![p.task])
                    .unwrap_or_default()
            }
        };
        tasks.sort_unstable();
        let parts = || cell.iter().filter(|p| tasks.contains(&p.task));
        let lo = c as f64 * column_us;
        let hi = lo + column_us;
        let slices: u32 = cell.iter().map(|p| p.starts).sum();
        match out.last_mut() {
            Some(seg) if open && !tasks.is_empty() && seg.tasks == tasks => {
                seg.end_us = parts().map(|p| p.last_us).fold(lo, f64::max).min(hi);
                seg.slices += slices;
                for p in parts() {
                    seg.cpus_vary |= p.cpus_vary || p.cpu != seg.cpu;
                }
            }
            _ if tasks.is_empty() => {
                open = false;
                if let Some(seg) = out.last_mut() {
                    seg.slices += slices;
                }
            }
            _ => {
                let first = parts().next().copied();
                out.push(Segment {
                    start_us: parts().map(|p| p.first_us).fold(hi, f64::min).max(lo),
                    end_us: parts().map(|p| p.last_us).fold(lo, f64::max).min(hi),
                    cpu: first.and_then(|p| p.cpu),
                    cpus_vary: parts().any(|p| p.cpus_vary || p.cpu != first.and_then(|f| f.cpu)),
                    slices,
                    tasks,
                });
                open = true;
            }
        }
    }
    out
}

/// "task 1 on cpu0, 12.500 to 25.000 ms (3 slices)".
fn tooltip(seg: &Segment, lane: &str, lanes: Lanes) -> String {
    let cpu = match (seg.cpus_vary, seg.cpu) {
        (true, _) => "several CPUs".to_string(),
        (false, Some(cpu)) => format!("cpu{cpu}"),
        (false, None) => "an unknown CPU".to_string(),
    };
    let place = match lanes {
        Lanes::Cpu if lane.starts_with("cpu") => lane.to_string(),
        Lanes::Cpu => format!("{lane} ({cpu})"),
        Lanes::Task => cpu,
    };
    let who = match seg.tasks.as_slice() {
        [task] => format!("task {task} on {place}"),
        tasks => {
            let names: Vec<String> = tasks.iter().map(usize::to_string).collect();
            format!(
                "tasks {} took turns on {place} (switches finer than the picture)",
                names.join(", ")
            )
        }
    };
    let slices = if seg.slices == 1 { "slice" } else { "slices" };
    format!(
        "{who}, {} to {} ms ({} {slices})",
        exact_ms(seg.start_us),
        exact_ms(seg.end_us),
        seg.slices.max(1)
    )
}

/// µs as ms with the precision a tooltip needs.
fn exact_ms(us: f64) -> String {
    let ms = us / 1e3;
    if ms < 10.0 {
        format!("{ms:.3}")
    } else if ms < 1000.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

/// Tick positions in ms: a round step (1, 2 or 5 times a power of ten), about six of them.
pub(crate) fn ticks(total_ms: f64) -> Vec<f64> {
    if total_ms <= 0.0 || !total_ms.is_finite() {
        return vec![0.0];
    }
    let rough = total_ms / 6.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    // Not endless: the ticks grow by `step`, positive for a positive `total_ms`.
    #[allow(clippy::maybe_infinite_iter)]
    (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|t| *t <= total_ms * (1.0 + 1e-9))
        .collect()
}

/// A tick's label: the shortest form of a round number ("0", "0.5", "20", "1500").
pub(crate) fn tick_label(ms: f64) -> String {
    // Steps are 1, 2 or 5 times a power of ten: rounding off float noise keeps them short.
    let rounded = (ms * 1e6).round() / 1e6;
    format!("{rounded}")
}
