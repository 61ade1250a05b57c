//! The ASCII timeline: what ran where and when, drawn from measured slices.
//!
//! One block per mode, one lane per CPU (or per task with `--lanes task`), one column per
//! equal stretch of the run (or of its first `--zoom` milliseconds). A column shows what ran
//! there: `.` if it was busy less than half the time, `+` if two or more things each had at
//! least a quarter of it (switches finer than a column: zoom in to see them), and otherwise
//! whatever covered most of it. In CPU lanes the characters are task numbers, in task lanes
//! they are CPU numbers, so migrations show up as a change of digit.

//!
//! On a machine with many CPUs only the lanes that ran something appear; lanes that were idle
//! in every column share one line, and at most [`MAX_LANES`] lanes are drawn per run (the
//! busiest), with a line saying which were left out. The slices are read once, as recorded
//! (full resolution, no strings), so time and memory grow with lanes × columns, not with the
//! slices a JSON would hold.

use super::{Lanes, RenderOptions};
use crate::model::{Lane, SliceView, Timeline, TimelineRun};
use std::collections::HashMap;
use std::fmt::Write as _;

/// The narrowest timeline accepted by `--width`.
pub(crate) const MIN_WIDTH: usize = 20;

/// Most lanes drawn per run: beyond it the busiest are drawn and the rest named in one line.
pub(crate) const MAX_LANES: usize = 32;

pub(crate) fn render(timeline: &Timeline, options: &RenderOptions) -> String {
    let lanes = options.lanes;
    let mut out = String::new();
    let mut by_cpu = true;
    for run in &timeline.runs {
        let shown_us = options
            .zoom_ms
            .map_or(run.wall_us, |ms| (ms * 1e3).min(run.wall_us));
        let width = options.width.max(MIN_WIDTH);
        by_cpu &= timeline.views(&run.mode).all(|s| s.lane.is_cpu());
        let slices = || timeline.views(&run.mode);
        out.push_str(&render_run(run, shown_us, slices, lanes, width));
        out.push('\n');
    }
    // Lanes are CPUs where the OS told the CPU; a demo may draw threads instead (gil-sim).
    out.push_str(match (lanes, by_cpu) {
        (Lanes::Cpu, true) => {
            "legend: one lane per CPU; 0-9 a-z A-Z = task number, + = several tasks, . = idle\n"
        }
        (Lanes::Cpu, false) => {
            "legend: one lane per thread or process; 0-9 a-z A-Z = task number, + = several tasks, . = not running\n"
        }
        (Lanes::Task, _) => {
            "legend: one lane per task; 0-9 a-z A-Z = CPU it ran on, + = several CPUs, . = not running\n"
        }
    });
    out
}

/// One lane being drawn: what covered each of its columns, and how long it was busy.
struct Row {
    label: String,
    number: usize,
    busy_us: f64,
    /// Per column, (symbol, µs) for each thing that ran there.
    coverage: Vec<Vec<(usize, f64)>>,
}

/// What a lane stands for: a CPU (or thread) lane, or a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Lane(Lane<'a>),
    Task(usize),
}

/// Draws one run from `slices`, read twice: once for the lanes (whose widest label sets the
/// columns), once for what covered each column.
fn render_run<'a, I: Iterator<Item = SliceView<'a>>>(
    run: &TimelineRun,
    shown_us: f64,
    slices: impl Fn() -> I,
    lanes: Lanes,
    width: usize,
) -> String {
    let total_us = shown_us.max(1.0);
    let mut index: HashMap<Key<'a>, usize> = HashMap::new();
    let mut rows: Vec<Row> = Vec::new();
    for s in slices().filter(|s| s.start_us < total_us) {
        let key = match lanes {
            Lanes::Cpu => Key::Lane(s.lane),
            Lanes::Task => Key::Task(s.task),
        };
        index.entry(key).or_insert_with(|| {
            let (label, number) = match key {
                Key::Lane(lane) => (lane.label(), lane.number()),
                Key::Task(task) => (format!("task{task}"), task),
            };
            rows.push(Row {
                label,
                number,
                busy_us: 0.0,
                coverage: Vec::new(),
            });
            rows.len() - 1
        });
    }
    let label_width = rows.iter().map(|r| r.label.len()).max().unwrap_or(4);
    let columns = width.saturating_sub(label_width + 3).max(4);
    let column_us = total_us / columns as f64;
    for row in &mut rows {
        row.coverage = vec![Vec::new(); columns];
    }
    for s in slices().filter(|s| s.start_us < total_us) {
        let key = match lanes {
            Lanes::Cpu => Key::Lane(s.lane),
            Lanes::Task => Key::Task(s.task),
        };
        let row = &mut rows[index[&key]];
        let symbol = match lanes {
            Lanes::Cpu => s.task,
            Lanes::Task => s.cpu.unwrap_or(usize::MAX),
        };
        row.busy_us += s.end_us.min(total_us) - s.start_us;
        let first = ((s.start_us / column_us) as usize).min(columns - 1);
        let last = ((s.end_us / column_us) as usize).min(columns - 1);
        for (c, cell) in row
            .coverage
            .iter_mut()
            .enumerate()
            .take(last + 1)
            .skip(first)
        {
            let lo = s.start_us.max(c as f64 * column_us);
            let hi = s.end_us.min((c + 1) as f64 * column_us);
            if hi > lo {
                match cell.iter_mut().find(|(sym, _)| *sym == symbol) {
                    Some((_, us)) => *us += hi - lo,
                    None => cell.push((symbol, hi - lo)),
                }
            }
        }
    }

    let mut out = if shown_us < run.wall_us {
        format!(
            "{}: 1 column = {}, first {} ms of {} ms\n",
            run.mode,
            format_us(column_us),
            format_number(total_us / 1e3),
            format_number(run.wall_us / 1e3)
        )
    } else {
        format!(
            "{}: 1 column = {}, {} ms in all\n",
            run.mode,
            format_us(column_us),
            format_number(total_us / 1e3)
        )
    };
    let bars: Vec<String> = rows.iter().map(|row| bar(row, column_us)).collect();
    // Lanes idle in every column share one line; of the others, the busiest are drawn.
    let (idle, mut drawn): (Vec<usize>, Vec<usize>) =
        (0..rows.len()).partition(|&i| bars[i].chars().all(|c| c == '.'));
    let mut left_out = Vec::new();
    if drawn.len() > MAX_LANES {
        drawn.sort_by(|&a, &b| rows[b].busy_us.total_cmp(&rows[a].busy_us));
        left_out = drawn.split_off(MAX_LANES);
    }
    drawn.sort_by(|&a, &b| (rows[a].number, &rows[a].label).cmp(&(rows[b].number, &rows[b].label)));
    for &i in &drawn {
        let label = &rows[i].label;
        let _ = writeln!(out, "{label:>label_width$} |{}|", bars[i]);
    }
    out.push_str(&axis(label_width, columns, total_us / 1e3));
    if !idle.is_empty() {
        let _ = writeln!(
            out,
            "{} idle in every column (busy under half of each): {}",
            count(idle.len(), lanes),
            names(&rows, &idle, lanes)
        );
    }
    if !left_out.is_empty() {
        let most = left_out
            .iter()
            .map(|&i| rows[i].busy_us)
            .fold(0.0, f64::max);
        let _ = writeln!(
            out,
            "{} not drawn (only the {MAX_LANES} busiest are; each of these ran at most {} of the {} ms shown): {}",
            count(left_out.len(), lanes),
            format_us(most),
            format_number(total_us / 1e3),
            names(&rows, &left_out, lanes)
        );
    }
    out
}

/// A lane's bar: one character per column (see the module doc).
fn bar(row: &Row, column_us: f64) -> String {
    row.coverage
        .iter()
        .map(|cell| {
            let total: f64 = cell.iter().map(|(_, us)| us).sum();
            let sharing = cell.iter().filter(|(_, us)| *us >= column_us / 4.0).count();
            match cell.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
                _ if total < column_us / 2.0 => '.',
                _ if sharing >= 2 => '+',
                Some((symbol, _)) => symbol_char(*symbol),
                None => '.',
            }
        })
        .collect()
}

/// "3 CPUs", "1 task".
fn count(n: usize, lanes: Lanes) -> String {
    let what = match lanes {
        Lanes::Cpu => "lane",
        Lanes::Task => "task",
    };
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The lanes `which` by name, CPUs and tasks as ranges ("cpu 4-63,65", "task 2-9").
fn names(rows: &[Row], which: &[usize], lanes: Lanes) -> String {
    let mut by_prefix: Vec<(String, Vec<usize>)> = Vec::new();
    for &i in which {
        let row = &rows[i];
        let prefix = match lanes {
            Lanes::Cpu => row.label.trim_end_matches(|c: char| c.is_ascii_digit()),
            Lanes::Task => "task",
        };
        match by_prefix.iter_mut().find(|(p, _)| p == prefix) {
            Some((_, numbers)) => numbers.push(row.number),
            None => by_prefix.push((prefix.to_string(), vec![row.number])),
        }
    }
    by_prefix
        .iter()
        .map(|(prefix, numbers)| format!("{prefix} {}", crate::sys::cpu_list(numbers)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "     0          50         100 ms" under the bar, the last label ending where the bar
/// does, so that the line is no wider than the lanes.
fn axis(indent: usize, columns: usize, total_ms: f64) -> String {
    let left = "0".to_string();
    let mid = format_number(total_ms / 2.0);
    let right = format!("{} ms", format_number(total_ms));
    let mut line = vec![' '; columns + 2];
    let mut put = |at: usize, text: &str| {
        for (i, ch) in text.chars().enumerate() {
            if let Some(slot) = line.get_mut(at + i) {
                *slot = ch;
            }
        }
    };
    put(1, &left);
    put((columns / 2 + 1).saturating_sub(mid.len() / 2), &mid);
    put((columns + 2).saturating_sub(right.len()), &right);
    format!(
        "{}{}\n",
        " ".repeat(indent + 1),
        line.into_iter().collect::<String>().trim_end()
    )
}

/// 0-9, then a-z, then A-Z; `*` beyond 62.
pub(crate) fn symbol_char(n: usize) -> char {
    const SYMBOLS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    SYMBOLS.get(n).map_or('*', |&b| b as char)
}

fn format_number(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn format_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{} ms", format_number(us / 1e3))
    } else {
        format!("{} µs", format_number(us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SliceReport;

    fn slice(mode: &str, cpu: usize, task: usize, start_us: f64, end_us: f64) -> SliceReport {
        SliceReport::on_cpu(mode, cpu, task, start_us, end_us)
    }

    fn fixture() -> Timeline {
        Timeline {
            runs: vec![
                TimelineRun {
                    mode: "sequential".into(),
                    run: 0,
                    wall_us: 400_000.0,
                },
                TimelineRun {
                    mode: "threads".into(),
                    run: 1,
                    wall_us: 200_000.0,
                },
            ],
            slices: vec![
                slice("sequential", 0, 0, 0.0, 200_000.0),
                slice("sequential", 0, 1, 200_000.0, 300_000.0),
                slice("sequential", 1, 1, 300_000.0, 400_000.0),
                slice("threads", 0, 0, 0.0, 200_000.0),
                slice("threads", 1, 1, 0.0, 100_000.0),
                slice("threads", 1, 1, 150_000.0, 200_000.0),
            ],
            ..Timeline::default()
        }
    }

    fn options(lanes: Lanes, width: usize, zoom_ms: Option<f64>) -> RenderOptions {
        RenderOptions {
            format: crate::report::Format::Table,
            timeline: true,
            lanes,
            width,
            zoom_ms,
            color: false,
            timeline_full: false,
        }
    }

    #[test]
    fn snapshot_cpu_lanes() {
        insta::assert_snapshot!(render(&fixture(), &options(Lanes::Cpu, 50, None)));
    }

    #[test]
    fn snapshot_task_lanes() {
        insta::assert_snapshot!(render(&fixture(), &options(Lanes::Task, 50, None)));
    }

    #[test]
    fn fine_switches_show_as_shared_columns_until_zoomed_in() {
        // Two tasks alternating every 1 ms on one CPU for 100 ms.
        let slices = (0..100)
            .map(|i| {
                slice(
                    "green",
                    0,
                    i % 2,
                    i as f64 * 1000.0,
                    (i + 1) as f64 * 1000.0,
                )
            })
            .collect();
        let timeline = Timeline {
            runs: vec![TimelineRun {
                mode: "green".into(),
                run: 0,
                wall_us: 100_000.0,
            }],
            slices,
            ..Timeline::default()
        };
        let wide = render(&timeline, &options(Lanes::Cpu, 27, None));
        assert!(wide.contains("cpu0 |++++++++++++++++++++|"), "{wide}");
        let zoomed = render(&timeline, &options(Lanes::Cpu, 27, Some(4.0)));
        assert!(zoomed.contains("cpu0 |00000111110000011111|"), "{zoomed}");
        assert!(zoomed.contains("first 4.00 ms of 100 ms"), "{zoomed}");
    }

    #[test]
    fn lines_fit_the_width() {
        for width in [MIN_WIDTH, 37, 80, 120, 200] {
            let text = render(&fixture(), &options(Lanes::Cpu, width, None));
            for line in text.lines().filter(|l| l.contains('|')) {
                assert_eq!(line.chars().count(), width, "{line}");
            }
            // The axis too, its unit included: a terminal as wide as --width never wraps it.
            for axis in text
                .lines()
                .filter(|l| l.ends_with(" ms") && l.starts_with(' '))
            {
                assert!(axis.chars().count() <= width, "{axis:?} at {width}");
            }
        }
    }

    #[test]
    fn symbols() {
        assert_eq!(symbol_char(0), '0');
        assert_eq!(symbol_char(10), 'a');
        assert_eq!(symbol_char(36), 'A');
        assert_eq!(symbol_char(62), '*');
    }
}
