//! One frame of `--live`, as text: a pure function of what was measured up to an instant, the
//! width and the style, so that a frame can be tested without a terminal or a clock.

use crate::live_feed::{Turns, View};
use crate::report::Lanes;
use crate::report::timeline::{MAX_LANES, MIN_WIDTH, symbol_char};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How a frame is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    pub(crate) color: bool,
    /// What a lane stands for (`--lanes`): a CPU, or a task (gil-sim draws its threads this
    /// way). The narrowest frame with lanes is the narrowest timeline.
    pub(crate) lanes: Lanes,
}

/// The frame's lines, none wider than `width` columns.
pub(crate) fn render(view: &View, width: usize, style: Style) -> Vec<String> {
    if width < MIN_WIDTH {
        // No room for lanes: the header alone, cut to fit, so that no line wraps.
        let plain = Style {
            color: false,
            ..style
        };
        return render(view, MIN_WIDTH, plain)
            .into_iter()
            .take(1)
            .map(|line| clip(&line, width.max(1)))
            .collect();
    }
    let mut lines = Vec::new();
    let state = match (view.finished, view.last_wall) {
        (true, Some(wall)) => format!("done in {} ms{}", ms(wall), against(view, wall)),
        // A new demo (the tour's next section) forgets the last one's times.
        (true, None) => format!(
            "done in {} ms",
            ms(std::time::Duration::from_nanos(view.elapsed_ns))
        ),
        (false, Some(wall)) => format!("running (last run {} ms{})", ms(wall), against(view, wall)),
        _ => "running".to_string(),
    };
    lines.push(clip(
        &format!(
            "{} · {} · {} · {:.2} s {state}",
            view.demo,
            view.mode,
            view.round,
            view.elapsed_ns as f64 / 1e9
        ),
        width,
    ));
    let rows = lanes(view, style.lanes);
    let label_width = rows.iter().map(|l| l.label.len()).max().unwrap_or(4);
    let columns = width.saturating_sub(label_width + 2).max(4);
    // The lanes grow from the left towards the expected end, and past it the whole run
    // is squeezed in; a finished run fills them.
    let total = if view.finished {
        view.elapsed_ns
    } else {
        view.elapsed_ns.max(view.expected_ns)
    }
    .max(1);
    let (drawn, left_out) = busiest(&rows);
    let columns_u64 = columns as u64;
    let edge = |c: u64| total * c / columns_u64;
    for lane in drawn {
        let mut line = format!("{:>label_width$} |", lane.label);
        // Each slice's time, shared out over the columns it spans: one pass over the slices.
        let mut share: Vec<Vec<(usize, u64)>> = vec![Vec::new(); columns];
        for s in &lane.slices {
            if s.end_ns <= s.start_ns || s.start_ns >= total {
                continue;
            }
            let first = (s.start_ns * columns_u64 / total).min(columns_u64 - 1);
            let last =
                (s.end_ns.min(total).saturating_sub(1) * columns_u64 / total).min(columns_u64 - 1);
            for c in first..=last {
                let (a, b) = (s.start_ns.max(edge(c)), s.end_ns.min(edge(c + 1)));
                if b > a {
                    let cell = &mut share[c as usize];
                    match cell.iter_mut().find(|(symbol, _)| *symbol == s.symbol) {
                        Some((_, ns)) => *ns += b - a,
                        None => cell.push((s.symbol, b - a)),
                    }
                }
            }
        }
        for (c, cell) in share.iter().enumerate() {
            let width_ns = edge(c as u64 + 1) - edge(c as u64);
            let busy: u64 = cell.iter().map(|(_, ns)| ns).sum();
            if cell.is_empty() || busy * 2 < width_ns {
                line.push(' ');
            } else if cell.len() > 1 {
                line.push('+');
            } else {
                push_symbol(
                    &mut line,
                    cell[0].0,
                    style.color && style.lanes == Lanes::Cpu,
                );
            }
        }
        lines.push(line);
    }
    if !left_out.is_empty() {
        let what = match style.lanes {
            Lanes::Cpu => "cpu",
            Lanes::Task => "task",
        };
        lines.push(clip(
            &format!(
                "(not drawn, less busy: {what} {}; only the {MAX_LANES} busiest are)",
                crate::sys::cpu_list(&left_out)
            ),
            width,
        ));
    }
    lines.push(clip(&progress(view), width));
    if let Some(value) = view.counter {
        let lost = if view.finished && value != 0 {
            format!(": {} off, updates were lost", value.abs())
        } else {
            String::new()
        };
        lines.push(clip(
            &format!("shared counter {value}; the right total when every thread is done: 0{lost}"),
            width,
        ));
    }
    if view.sampled {
        lines.push(clip(
            "(child processes: sampled each frame until their own slices come at the run's end)",
            width,
        ));
    }
    if let Some(others) = others(view) {
        lines.push(clip(&others, width));
    }
    lines
}

fn ms(wall: std::time::Duration) -> String {
    crate::report::format_ms(wall.as_secs_f64() * 1e3)
}

/// ", 1.94x sequential's": the speedup of `wall` over the first mode's last run, where this is
/// another mode.
fn against(view: &View, wall: std::time::Duration) -> String {
    match &view.baseline {
        Some((mode, base)) if *mode != view.mode && !wall.is_zero() => {
            format!(", {:.2}x {mode}'s", base.as_secs_f64() / wall.as_secs_f64())
        }
        _ => String::new(),
    }
}

/// A lane's label and its slices, each with the symbol it is drawn with.
struct Lane {
    label: String,
    number: usize,
    busy_ns: u64,
    slices: Vec<Drawn>,
}

struct Drawn {
    symbol: usize,
    start_ns: u64,
    end_ns: u64,
}

fn lanes(view: &View, kind: Lanes) -> Vec<Lane> {
    let mut lanes: BTreeMap<usize, Lane> = BTreeMap::new();
    for s in &view.slices {
        let (number, symbol) = match kind {
            Lanes::Cpu => (s.cpu.unwrap_or(usize::MAX), s.task),
            Lanes::Task => (s.task, s.cpu.unwrap_or(usize::MAX)),
        };
        // Labelled once per lane, not per slice: this runs for every slice of every frame.
        let lane = lanes.entry(number).or_insert_with(|| Lane {
            label: match kind {
                Lanes::Cpu => s.cpu.map_or_else(|| "cpu?".into(), |c| format!("cpu{c}")),
                Lanes::Task => format!("task{}", s.task),
            },
            number,
            busy_ns: 0,
            slices: Vec::new(),
        });
        lane.busy_ns += s.end_ns.saturating_sub(s.start_ns);
        lane.slices.push(Drawn {
            symbol,
            start_ns: s.start_ns,
            end_ns: s.end_ns,
        });
    }
    lanes.into_values().collect()
}

/// The [`MAX_LANES`] busiest lanes in their order, and how many were left out.
fn busiest(lanes: &[Lane]) -> (Vec<&Lane>, Vec<usize>) {
    let mut drawn: Vec<&Lane> = lanes.iter().collect();
    let mut left_out = Vec::new();
    if drawn.len() > MAX_LANES {
        drawn.sort_by_key(|l| std::cmp::Reverse(l.busy_ns));
        left_out = drawn
            .split_off(MAX_LANES)
            .iter()
            .map(|l| l.number)
            .collect();
        left_out.sort_unstable();
        drawn.sort_by_key(|l| l.number);
    }
    (drawn, left_out)
}

/// The colours of tasks 0 to 9, as near the HTML page's as 256 colours come.
const COLOURS: [u8; 10] = [67, 208, 71, 167, 139, 109, 179, 137, 217, 145];

fn push_symbol(line: &mut String, task: usize, in_colour: bool) {
    let c = if task == usize::MAX {
        '?'
    } else {
        symbol_char(task)
    };
    if in_colour {
        let colour = COLOURS.get(task).copied().unwrap_or(250);
        let _ = write!(
            line,
            "{}",
            console::style(c).color256(colour).force_styling(true)
        );
    } else {
        line.push(c);
    }
}

/// "tasks 0 63% · 1 58%   12 switches": each task's progress, and how often the tasks took
/// turns on a CPU so far (green or OS switches, lock hand-offs: whoever ran next).
fn progress(view: &View) -> String {
    let mut parts = Vec::new();
    for task in 0..view.tasks.min(16) {
        let done = view.units_done.get(&task).copied().unwrap_or(0);
        parts.push(match view.units_per_task {
            Some(all) if all > 0 => format!(
                "{task} {:.0}%",
                (done as f64 / all as f64 * 100.0).min(100.0)
            ),
            _ => format!("{task} {:.0} ms", ran_ns(view, task) as f64 / 1e6),
        });
    }
    if view.tasks > 16 {
        parts.push(format!("… ({} tasks)", view.tasks));
    }
    let turns = if view.sampled {
        // Sampled lanes say where a process ran each frame, not who ran between.
        "switches counted when the run's slices come".to_string()
    } else if view.turns == Turns::Lock {
        // Behind the lock one thread runs at a time: who holds it, and how often it changed.
        let holder = view
            .slices
            .iter()
            .filter(|_| !view.finished)
            .max_by_key(|s| s.end_ns)
            .map_or_else(String::new, |s| {
                format!("lock held by thread {} · ", s.task)
            });
        format!("{holder}{} hand-offs", handoffs(view))
    } else {
        format!("{} switches between tasks", switches(view))
    };
    format!("tasks {}   {turns}", parts.join(" · "))
}

/// Times the task running changed, over all CPUs in time order: where tasks take turns (a
/// lock), how often it was handed on.
pub(crate) fn handoffs(view: &View) -> usize {
    let mut runs: Vec<(u64, usize)> = view.slices.iter().map(|s| (s.start_ns, s.task)).collect();
    runs.sort_unstable();
    runs.windows(2).filter(|w| w[0].1 != w[1].1).count()
}

fn ran_ns(view: &View, task: usize) -> u64 {
    view.slices
        .iter()
        .filter(|s| s.task == task)
        .map(|s| s.end_ns.saturating_sub(s.start_ns))
        .sum()
}

/// Times a CPU went from one task to another: its slices in time order, counting changes.
pub(crate) fn switches(view: &View) -> usize {
    let mut by_cpu: BTreeMap<Option<usize>, Vec<(u64, usize)>> = BTreeMap::new();
    for s in &view.slices {
        by_cpu.entry(s.cpu).or_default().push((s.start_ns, s.task));
    }
    by_cpu
        .values_mut()
        .map(|runs| {
            runs.sort_unstable();
            runs.windows(2).filter(|w| w[0].1 != w[1].1).count()
        })
        .sum()
}

/// "others: cpu0 96% cpu1 2%": how busy other programs kept each CPU meanwhile.
fn others(view: &View) -> Option<String> {
    if view.others.is_empty() {
        return None;
    }
    let cpus: Vec<String> = view
        .others
        .iter()
        .take(MAX_LANES)
        .map(|(cpu, busy)| format!("cpu{cpu} {:.0}%", busy * 100.0))
        .collect();
    Some(format!("other programs meanwhile: {}", cpus.join(" ")))
}

/// `text` cut to `width` columns (a frame line must never wrap, or the redraw would drift).
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live_feed::LiveSlice;

    fn slice(task: usize, cpu: usize, start_ms: u64, end_ms: u64) -> LiveSlice {
        LiveSlice {
            worker: task,
            task,
            cpu: Some(cpu),
            start_ns: start_ms * 1_000_000,
            end_ns: end_ms * 1_000_000,
        }
    }

    /// Two green threads taking turns on cpu0, 10 ms each, 80 ms into a run, with cpu1 half
    /// busy with another program.
    fn green() -> View {
        View {
            demo: "interleave".into(),
            turns: Turns::Switches,
            mode: "green".into(),
            round: "round 1 of 5".into(),
            elapsed_ns: 80_000_000,
            expected_ns: 0,
            finished: false,
            sampled: false,
            slices: (0..8)
                .map(|i| slice(i % 2, 0, i as u64 * 10, i as u64 * 10 + 10))
                .collect(),
            units_done: BTreeMap::from([(0, 400), (1, 400)]),
            units_per_task: Some(1000),
            tasks: 2,
            others: BTreeMap::from([(0, 0.0), (1, 0.5)]),
            counter: None,
            baseline: None,
            last_wall: None,
        }
    }

    const PLAIN: Style = Style {
        color: false,
        lanes: Lanes::Cpu,
    };

    #[test]
    fn a_frame_is_a_pure_function_of_what_was_measured() {
        let frame = render(&green(), 64, PLAIN).join("\n");
        insta::assert_snapshot!(frame, @r"
        interleave · green · round 1 of 5 · 0.08 s running
        cpu0 |0000000+111111+000000+11111110000000+111111+000000+1111111
        tasks 0 40% · 1 40%   7 switches between tasks
        other programs meanwhile: cpu0 0% cpu1 50%
        ");
    }

    #[test]
    fn lanes_grow_with_the_run_and_idle_is_blank() {
        let mut view = green();
        view.expected_ns = 160_000_000;
        let lines = render(&view, 44, PLAIN);
        let bar: Vec<char> = lines[1]["cpu0 |".len()..].chars().collect();
        let half = bar.len() / 2;
        assert!(
            !bar[..half - 1].contains(&' '),
            "the first half ran: {:?}",
            lines[1]
        );
        assert!(
            bar[half + 1..].iter().all(|&c| c == ' '),
            "the second half has not: {:?}",
            lines[1]
        );
    }

    /// A run just begun (its columns narrower than a ns) draws, and does not panic.
    #[test]
    fn a_run_of_nanoseconds_draws() {
        let mut view = green();
        view.elapsed_ns = 3;
        view.slices = vec![LiveSlice {
            worker: 0,
            task: 0,
            cpu: Some(0),
            start_ns: 0,
            end_ns: 2,
        }];
        let lines = render(&view, 60, PLAIN);
        assert!(lines[1].starts_with("cpu0 |"), "{lines:#?}");
        assert!(lines[1].contains('0'), "{lines:#?}");
    }

    #[test]
    fn every_width_is_kept_even_narrow_ones() {
        for width in [1, 5, 19, 20, 33, 80, 200] {
            for line in render(&green(), width, PLAIN) {
                assert!(line.chars().count() <= width, "{width}: {line:?}");
            }
        }
    }

    #[test]
    fn colour_marks_each_task_only_when_asked() {
        let coloured = render(
            &green(),
            60,
            Style {
                color: true,
                lanes: Lanes::Cpu,
            },
        );
        assert!(coloured[1].contains("\x1b[38;5;67m0"), "{:?}", coloured[1]);
        assert!(coloured[1].contains("\x1b[38;5;208m1"), "{:?}", coloured[1]);
        assert!(
            render(&green(), 60, PLAIN)
                .iter()
                .all(|l| !l.contains('\x1b'))
        );
    }

    #[test]
    fn task_lanes_show_the_cpu_each_task_ran_on() {
        let mut view = green();
        view.slices = vec![slice(0, 3, 0, 80), slice(1, 5, 0, 80)];
        let lines = render(
            &view,
            30,
            Style {
                color: false,
                lanes: Lanes::Task,
            },
        );
        assert!(lines[1].starts_with("task0 |3333"), "{lines:?}");
        assert!(lines[2].starts_with("task1 |5555"), "{lines:?}");
    }

    #[test]
    fn many_cpus_draw_the_busiest_lanes_and_say_what_was_left_out() {
        let mut view = green();
        view.tasks = 64;
        view.slices = (0..64).map(|c| slice(c, c, 0, 1 + c as u64)).collect();
        let lines = render(&view, 80, PLAIN);
        let drawn = lines.iter().filter(|l| l.contains(" |")).count();
        assert_eq!(drawn, MAX_LANES);
        // Lane c is busy for c + 1 ms: the 32 least busy are cpu0 to cpu31.
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("(not drawn, less busy: cpu 0-31;")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("  cpu63 |") || l.starts_with("cpu63 |"))
        );
    }

    #[test]
    fn gil_sim_shows_the_lock_holder_and_its_hand_offs() {
        let mut view = green();
        view.turns = Turns::Lock;
        view.slices = vec![slice(0, 0, 0, 10), slice(1, 1, 10, 20), slice(0, 1, 20, 30)];
        let line = progress(&view);
        assert!(
            line.ends_with("lock held by thread 0 · 2 hand-offs"),
            "{line}"
        );
        view.finished = true;
        assert!(
            progress(&view).ends_with("   2 hand-offs"),
            "{}",
            progress(&view)
        );
    }

    /// The race's counter against its right total, and a finished run's speedup over the
    /// first mode's last run.
    #[test]
    fn the_counter_and_the_speedup_are_said_as_measured() {
        let mut view = green();
        view.demo = "race".into();
        view.mode = "unsync".into();
        view.counter = Some(-1234);
        let lines = render(&view, 100, PLAIN);
        assert!(
            lines
                .iter()
                .any(|l| l == "shared counter -1234; the right total when every thread is done: 0"),
            "{lines:#?}"
        );
        view.finished = true;
        view.last_wall = Some(std::time::Duration::from_millis(50));
        view.baseline = Some(("sequential".into(), std::time::Duration::from_millis(100)));
        let lines = render(&view, 100, PLAIN);
        assert!(
            lines[0].ends_with("done in 50.0 ms, 2.00x sequential's"),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with(": 1234 off, updates were lost")),
            "{lines:#?}"
        );
        view.counter = Some(0);
        let exact = render(&view, 100, PLAIN);
        assert!(!exact.iter().any(|l| l.contains("lost")), "{exact:#?}");
        // Finished, its time forgotten (the tour moved to its next section): still done.
        view.last_wall = None;
        let header = &render(&view, 100, PLAIN)[0];
        assert!(header.ends_with("· 0.08 s done in 80.0 ms"), "{header}");
    }

    #[test]
    fn sampled_lanes_claim_no_switches_or_lock_holder() {
        let mut view = green();
        view.turns = Turns::Lock;
        view.sampled = true;
        let line = progress(&view);
        assert!(
            line.ends_with("switches counted when the run's slices come"),
            "{line}"
        );
        assert!(!line.contains("lock held"), "{line}");
    }

    #[test]
    fn switches_count_each_change_of_task_on_a_cpu() {
        assert_eq!(switches(&green()), 7);
        let mut two_cpus = green();
        two_cpus.slices = vec![slice(0, 0, 0, 10), slice(1, 1, 0, 10), slice(0, 0, 10, 20)];
        assert_eq!(switches(&two_cpus), 0);
    }
}
