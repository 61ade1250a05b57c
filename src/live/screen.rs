//! The drawing thread of `--live` and the terminal it draws on: one block of lines on stderr,
//! redrawn in place with ANSI cursor movement (no raw mode, so Ctrl-C stays a signal and the
//! interrupt handler keeps working), the cursor hidden meanwhile, and the block cleared and
//! the cursor shown again however the run ends.

use super::frame::{self, Style};
use crate::interference::{Meter, Reading, Snapshot};
use crate::live_feed::LiveStats;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// What `--live` asks for.
#[derive(Debug, Clone)]
pub(crate) struct Start {
    pub(crate) demo: String,
    /// How its tasks take turns (gil-sim's behind one lock).
    pub(crate) turns: crate::live_feed::Turns,
    pub(crate) color: bool,
    pub(crate) lanes: crate::report::Lanes,
    /// The CPUs this process may use: those whose other programs are shown.
    pub(crate) watched: Vec<usize>,
    /// Frames a second: fewer on one CPU, where drawing competes with the work.
    pub(crate) fps: u32,
}

/// A running `--live`; finishing it (or dropping it) clears the block and shows the cursor.
#[derive(Debug)]
pub(crate) struct Session {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<LiveStats>>,
}

/// The block on screen, shared with the interrupt handler's [`restore`].
struct Screen {
    /// Lines of the last frame, which the next one overwrites.
    shown: usize,
    /// Drawing is over: nothing more is written.
    stopped: bool,
    /// A terminal that cannot move the cursor (`TERM=dumb`): a frame is written once, when
    /// its run ends, and never erased.
    dumb: bool,
}

static SCREEN: Mutex<Screen> = Mutex::new(Screen {
    shown: 0,
    stopped: true,
    dumb: false,
});

fn screen() -> MutexGuard<'static, Screen> {
    SCREEN.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    /// Starts drawing where stderr is a terminal; elsewhere says so in one line and returns
    /// `None`, and the run goes on without it.
    pub(crate) fn start(start: Start) -> Option<Session> {
        if !std::io::stderr().is_terminal() {
            crate::streams::stderr_line("--live needs a terminal on stderr; running without it");
            return None;
        }
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        {
            let mut screen = screen();
            *screen = Screen {
                shown: 0,
                stopped: false,
                dumb,
            };
            if !dumb {
                write_err("\x1b[?25l");
            }
        }
        crate::interrupt::on_interrupt_also(restore);
        crate::live_feed::keep_finished(dumb);
        crate::live_feed::set_demo(&start.demo, start.turns);
        crate::live_feed::ACTIVE.store(true, Ordering::SeqCst);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        match crate::spawn::thread("the --live drawing thread", move || {
            draw_loop(&start, &flag)
        }) {
            Ok(thread) => Some(Session {
                stop,
                thread: Some(thread),
            }),
            Err(error) => {
                crate::live_feed::ACTIVE.store(false, Ordering::SeqCst);
                restore();
                crate::streams::stderr_line(&format!(
                    "--live cannot draw: {error:#}; running without it"
                ));
                None
            }
        }
    }

    /// Stops drawing, clears the block, and says what drawing cost.
    pub(crate) fn finish(mut self) -> Option<LiveStats> {
        self.end()
    }

    fn end(&mut self) -> Option<LiveStats> {
        crate::live_feed::ACTIVE.store(false, Ordering::SeqCst);
        self.stop.store(true, Ordering::SeqCst);
        let stats = self.thread.take().and_then(|t| {
            t.thread().unpark();
            t.join().ok()
        });
        restore();
        stats
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.end();
        }
    }
}

/// Clears the block and shows the cursor: the terminal as it was. Called when drawing ends,
/// and by the interrupt handler before it exits (waiting for a frame being written, so none
/// is left half-drawn).
pub(crate) fn restore() {
    let mut screen = screen();
    if screen.stopped {
        return;
    }
    screen.stopped = true;
    crate::live_feed::ACTIVE.store(false, Ordering::SeqCst);
    if screen.dumb {
        return;
    }
    let mut out = String::new();
    if screen.shown > 0 {
        let _ = write!(out, "\r\x1b[{}A", screen.shown);
        out.push_str(&"\x1b[2K\n".repeat(screen.shown));
        let _ = write!(out, "\x1b[{}A", screen.shown);
    }
    out.push_str("\x1b[?25h");
    screen.shown = 0;
    write_err(&out);
}

fn write_err(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Draws a frame every 1/fps s until told to stop; returns what it cost.
fn draw_loop(start: &Start, stop: &AtomicBool) -> LiveStats {
    let began = Instant::now();
    let period = Duration::from_secs(1) / start.fps.max(1);
    let meter = Meter::detect();
    let term = console::Term::stderr();
    let style = Style {
        color: start.color,
        lanes: start.lanes,
    };
    let dumb = screen().dumb;
    let mut frames = 0;
    let mut base: Option<(u64, Snapshot)> = None;
    // How busy other programs kept the CPUs, read again at most every OTHERS_EVERY.
    let mut others_read: Option<(Instant, std::collections::BTreeMap<usize, f64>)> = None;
    let mut shown: Vec<String> = Vec::new();
    // Each child process of the run `sampled_run` and its CPU time when last sampled.
    let mut child_times: std::collections::HashMap<u32, Duration> =
        std::collections::HashMap::new();
    let mut sampled_run = 0;
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if dumb {
            // Nothing is redrawn: only the runs that ended are printed.
            print_finished(&term, style);
        } else {
            // A new run's children start from nothing: cleared before they are sampled, so
            // that no CPU time of theirs is drawn twice.
            let run_now = crate::live_feed::run_number();
            if run_now != sampled_run {
                child_times.clear();
                sampled_run = run_now;
            }
            sample_children(&mut child_times);
            let (run, mut view) = crate::live_feed::view(now);
            if base.as_ref().is_none_or(|(r, _)| *r != run) {
                base = Some((run, meter.snapshot()));
                others_read = None;
            }
            if let Some((_, before)) = &base {
                if others_read
                    .as_ref()
                    .is_none_or(|(at, _)| now.duration_since(*at) >= OTHERS_EVERY)
                {
                    others_read = Some((now, others(&meter, before, &start.watched, &view)));
                }
                view.others = others_read
                    .as_ref()
                    .map(|(_, o)| o.clone())
                    .unwrap_or_default();
            }
            let (rows, cols) = term
                .size_checked()
                .map_or((24, 100), |(r, c)| (r as usize, c as usize));
            let mut lines = frame::render(&view, cols.saturating_sub(1), style);
            // A block taller than the terminal could not be moved back over: keep its top.
            lines.truncate(rows.saturating_sub(1).max(1));
            // A frame like the last one (a run that ended, waiting for the next) is not
            // written again.
            if lines != shown {
                let mut screen = screen();
                if screen.stopped {
                    break;
                }
                write_err(&redraw(screen.shown, &lines));
                screen.shown = lines.len();
                drop(screen);
                shown = lines;
                frames += 1;
            }
        }
        // Parked rather than asleep: finishing unparks it, so the run's end waits for no frame.
        std::thread::park_timeout(period.saturating_sub(now.elapsed()));
    }
    // A terminal that cannot redraw still gets the runs that ended since the last frame.
    if dumb {
        print_finished(&term, style);
    }
    LiveStats {
        cpu_ms: crate::sys::thread_cpu_time().map(|t| t.as_secs_f64() * 1e3),
        frames,
        fps: start.fps,
        wall_ms: began.elapsed().as_secs_f64() * 1e3,
    }
}

/// Prints the last frame of each run that ended since the last call, once: for a terminal that
/// cannot redraw.
fn print_finished(term: &console::Term, style: Style) {
    let cols = term.size_checked().map_or(100, |(_, c)| c as usize);
    for done in crate::live_feed::take_finished() {
        let lines = frame::render(&done, cols.saturating_sub(1), style);
        write_err(&(lines.join("\n") + "\n"));
    }
}

/// Samples the run's child processes, whose own slices come only at their end: the CPU time
/// each used since the last frame, drawn on the CPU it last ran on, ending now. Coarse (a
/// frame's resolution, one CPU per frame) until the run's end puts the measured slices in
/// their place.
fn sample_children(last: &mut std::collections::HashMap<u32, Duration>) {
    let Some(since_start) = crate::live_feed::run_elapsed() else {
        return;
    };
    for (pid, task) in crate::live_feed::children() {
        let (Some(used), Some(cpu)) = (
            crate::sys::process_cpu_time(pid),
            crate::sys::process_last_cpu(pid),
        ) else {
            continue;
        };
        let before = last.insert(pid, used).unwrap_or_default();
        let ran = used.saturating_sub(before).min(since_start);
        if !ran.is_zero() {
            let end_ns = since_start.as_nanos() as u64;
            crate::live_feed::sampled(crate::live_feed::LiveSlice {
                worker: task,
                task,
                cpu: Some(cpu),
                start_ns: end_ns.saturating_sub(ran.as_nanos() as u64),
                end_ns,
            });
        }
    }
}

/// How often the counters of `/proc/stat` are read for the other programs' line: they move in
/// ticks of 10 ms, so reading them at every frame would only add noise and system calls.
const OTHERS_EVERY: Duration = Duration::from_millis(250);

/// The text that replaces a block of `shown` lines with `lines`.
fn redraw(shown: usize, lines: &[String]) -> String {
    let mut out = String::new();
    if shown > 0 {
        let _ = write!(out, "\r\x1b[{shown}A");
    }
    for line in lines {
        out.push_str("\x1b[2K");
        out.push_str(line);
        out.push('\n');
    }
    if shown > lines.len() {
        let extra = shown - lines.len();
        out.push_str(&"\x1b[2K\n".repeat(extra));
        let _ = write!(out, "\x1b[{extra}A");
    }
    out
}

/// How busy other programs kept each watched CPU since the run began: its busy share less
/// this process's own slices there. Nothing for the first 100 ms, where ticks of 10 ms say
/// little, nor while no slice of the run has come or child processes are only sampled (their
/// CPU time reaches this process's counters only when they end): their work would be counted
/// as the others'.
fn others(
    meter: &Meter,
    before: &Snapshot,
    watched: &[usize],
    view: &crate::live_feed::View,
) -> std::collections::BTreeMap<usize, f64> {
    let reading = Reading::between(before, &meter.snapshot(), watched, meter.tick());
    let wall = reading.wall.as_secs_f64();
    if wall < 0.1 || view.slices.is_empty() || view.sampled {
        return std::collections::BTreeMap::new();
    }
    let Some(load) = reading.load_by_cpu() else {
        return std::collections::BTreeMap::new();
    };
    // This process's CPU time over the stretch (all its threads, up to now), shared out over
    // the CPUs as its slices so far are: the slices come up to 20 ms late.
    let mut by_cpu: std::collections::BTreeMap<usize, f64> = std::collections::BTreeMap::new();
    let mut recorded = 0.0;
    for s in &view.slices {
        let ns = s.end_ns.saturating_sub(s.start_ns) as f64;
        recorded += ns;
        if let Some(cpu) = s.cpu {
            *by_cpu.entry(cpu).or_default() += ns;
        }
    }
    let own_s = reading.own.map_or(recorded / 1e9, |own| own.as_secs_f64());
    load.into_iter()
        .map(|(cpu, busy)| {
            let share = if recorded > 0.0 {
                by_cpu.get(&cpu).copied().unwrap_or(0.0) / recorded
            } else {
                0.0
            };
            (cpu, (busy - own_s * share / wall).clamp(0.0, 1.0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redraw_moves_back_over_the_last_block_and_clears_what_it_does_not_cover() {
        let lines = vec!["a".to_string(), "b".to_string()];
        assert_eq!(redraw(0, &lines), "\x1b[2Ka\n\x1b[2Kb\n");
        assert_eq!(redraw(2, &lines), "\r\x1b[2A\x1b[2Ka\n\x1b[2Kb\n");
        assert_eq!(
            redraw(3, &lines[..1]),
            "\r\x1b[3A\x1b[2Ka\n\x1b[2K\n\x1b[2K\n\x1b[2A"
        );
    }
}
