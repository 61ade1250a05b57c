//! The ASCII timeline: what ran where and when, drawn from measured slices.
//!
//! One block per mode, one lane per CPU (or per task with `--lanes task`), one column per
//! equal stretch of the run. A column shows whatever covered most of it, if anything covered
//! at least half of it, and `.` (idle) otherwise. In CPU lanes the characters are task numbers,
//! in task lanes they are CPU numbers, so migrations show up as a change of digit.

use super::{Lanes, SliceReport, Timeline, TimelineRun};
use std::collections::BTreeMap;

/// The narrowest timeline accepted by `--width`.
pub const MIN_WIDTH: usize = 20;

pub fn render(timeline: &Timeline, lanes: Lanes, width: usize) -> String {
    let mut out = String::new();
    for run in &timeline.runs {
        let slices: Vec<&SliceReport> = timeline
            .slices
            .iter()
            .filter(|s| s.mode == run.mode)
            .collect();
        out.push_str(&render_run(run, &slices, lanes, width.max(MIN_WIDTH)));
        out.push('\n');
    }
    out.push_str(match lanes {
        Lanes::Cpu => "legend: one lane per CPU; 0-9 a-z A-Z = task number, . = idle\n",
        Lanes::Task => "legend: one lane per task; 0-9 a-z A-Z = CPU it ran on, . = not running\n",
    });
    out
}

fn render_run(run: &TimelineRun, slices: &[&SliceReport], lanes: Lanes, width: usize) -> String {
    // lane key (sort order) -> (label, slices)
    let mut by_lane: BTreeMap<(usize, String), Vec<&SliceReport>> = BTreeMap::new();
    for s in slices {
        let key = match lanes {
            Lanes::Cpu => (lane_number(&s.lane), s.lane.clone()),
            Lanes::Task => (s.task, format!("task{}", s.task)),
        };
        by_lane.entry(key).or_default().push(s);
    }
    let label_width = by_lane.keys().map(|(_, l)| l.len()).max().unwrap_or(4);
    let columns = width.saturating_sub(label_width + 3).max(4);
    let total_us = run.wall_us.max(1.0);
    let column_us = total_us / columns as f64;

    let mut out = format!(
        "{}: 1 column = {}, {} ms in all\n",
        run.mode,
        format_us(column_us),
        format_number(total_us / 1e3)
    );
    for ((_, label), lane_slices) in &by_lane {
        let mut coverage = vec![BTreeMap::<usize, f64>::new(); columns];
        for s in lane_slices {
            let symbol = match lanes {
                Lanes::Cpu => s.task,
                Lanes::Task => s.cpu.unwrap_or(usize::MAX),
            };
            let first = ((s.start_us / column_us) as usize).min(columns - 1);
            let last = ((s.end_us / column_us) as usize).min(columns - 1);
            for (c, cell) in coverage.iter_mut().enumerate().take(last + 1).skip(first) {
                let lo = s.start_us.max(c as f64 * column_us);
                let hi = s.end_us.min((c + 1) as f64 * column_us);
                if hi > lo {
                    *cell.entry(symbol).or_default() += hi - lo;
                }
            }
        }
        let bar: String = coverage
            .iter()
            .map(|cell| {
                let total: f64 = cell.values().sum();
                match cell.iter().max_by(|a, b| a.1.total_cmp(b.1)) {
                    Some((&symbol, _)) if total >= column_us / 2.0 => symbol_char(symbol),
                    _ => '.',
                }
            })
            .collect();
        out.push_str(&format!("{label:>label_width$} |{bar}|\n"));
    }
    out.push_str(&axis(label_width, columns, total_us / 1e3));
    out
}

/// "     0          50         100 ms" under the bar.
fn axis(indent: usize, columns: usize, total_ms: f64) -> String {
    let left = "0".to_string();
    let mid = format_number(total_ms / 2.0);
    let right = format!("{} ms", format_number(total_ms));
    let mut line = vec![' '; columns + 2 + right.len()];
    let mut put = |at: usize, text: &str| {
        for (i, ch) in text.chars().enumerate() {
            if let Some(slot) = line.get_mut(at + i) {
                *slot = ch;
            }
        }
    };
    put(1, &left);
    put((columns / 2 + 1).saturating_sub(mid.len() / 2), &mid);
    put(
        columns + 1 - format_number(total_ms).len().min(columns),
        &right,
    );
    format!(
        "{}{}\n",
        " ".repeat(indent + 1),
        line.into_iter().collect::<String>().trim_end()
    )
}

fn lane_number(lane: &str) -> usize {
    lane.trim_start_matches(|c: char| c.is_alphabetic())
        .parse()
        .unwrap_or(usize::MAX)
}

/// 0-9, then a-z, then A-Z; `*` beyond 62.
pub fn symbol_char(n: usize) -> char {
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

    fn slice(mode: &str, cpu: usize, task: usize, start_us: f64, end_us: f64) -> SliceReport {
        SliceReport {
            mode: mode.into(),
            lane: format!("cpu{cpu}"),
            task,
            worker: task,
            cpu: Some(cpu),
            start_us,
            end_us,
        }
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
        }
    }

    #[test]
    fn snapshot_cpu_lanes() {
        insta::assert_snapshot!(render(&fixture(), Lanes::Cpu, 50));
    }

    #[test]
    fn snapshot_task_lanes() {
        insta::assert_snapshot!(render(&fixture(), Lanes::Task, 50));
    }

    #[test]
    fn lines_fit_the_width() {
        for width in [MIN_WIDTH, 37, 80, 200] {
            let text = render(&fixture(), Lanes::Cpu, width);
            for line in text.lines().filter(|l| l.contains('|')) {
                assert_eq!(line.chars().count(), width, "{line}");
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
