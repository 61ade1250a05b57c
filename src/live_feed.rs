//! What `--live` is fed while runs go on: the recorders of the runs hand over their new
//! slices every [`FLUSH`] at most (where `--live` is off, a recorder pays one relaxed atomic
//! load a chunk), and the engine says when a run starts and ends (its lanes then become exactly
//! the run's measured slices, child processes' included, whose slices only come at their end).
//! Only the current run is held, merged coarser past [`MAX_SLICES`], so memory is bounded
//! whatever the length of the run. Apart from the drawing ([`crate::live`]) so that the
//! recorders and the engine depend on nothing that draws.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A measured slice as the live view holds it: which task ran on which CPU (and worker), from
/// and to, in ns since the run began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LiveSlice {
    pub(crate) worker: usize,
    pub(crate) task: usize,
    pub(crate) cpu: Option<usize>,
    pub(crate) start_ns: u64,
    pub(crate) end_ns: u64,
}

/// How a demo's tasks take turns, and so what a frame counts of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Turns {
    /// Each CPU goes from task to task: its switches.
    #[default]
    Switches,
    /// One lock lets one thread run at a time (gil-sim): who holds it, and its hand-offs.
    Lock,
}

/// Everything a frame shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct View {
    /// The subcommand, or the tour's section.
    pub(crate) demo: String,
    pub(crate) turns: Turns,
    /// The mode running, and which of its runs ("round 2 of 5", "warm-up").
    pub(crate) mode: String,
    pub(crate) round: String,
    /// ns since the run began.
    pub(crate) elapsed_ns: u64,
    /// About how long the run was expected to take: the lanes' right edge until it has
    /// passed, so that they grow from the left.
    pub(crate) expected_ns: u64,
    /// Whether the run has ended (its lanes stay until the next starts).
    pub(crate) finished: bool,
    /// Some lanes are child processes sampled at the frame rate, not measured slices.
    pub(crate) sampled: bool,
    pub(crate) slices: Vec<LiveSlice>,
    /// Kernel units each task has done, and how many it has in all, where known.
    pub(crate) units_done: BTreeMap<usize, u64>,
    pub(crate) units_per_task: Option<u64>,
    pub(crate) tasks: usize,
    /// How busy other programs kept each CPU since the run began (0 to 1), where the counters
    /// tell.
    pub(crate) others: BTreeMap<usize, f64>,
    /// The race's shared counter as last read (it must end at 0).
    pub(crate) counter: Option<i64>,
    /// The first mode of the demo and its last run's wall time: the baseline of a speedup.
    pub(crate) baseline: Option<(String, Duration)>,
    /// This mode's last finished run before this one, or this one where it has finished.
    pub(crate) last_wall: Option<Duration>,
}

/// How often a recorder hands its new slices over, at most.
pub(crate) const FLUSH: Duration = Duration::from_millis(20);

/// Slices held for the current run before they are merged coarser: far more than a frame's
/// columns can show.
const MAX_SLICES: usize = 50_000;

/// What drawing cost, for the report's `live` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveStats {
    /// CPU time of the drawing thread, where the OS tells.
    pub(crate) cpu_ms: Option<f64>,
    /// Frames written (one like the last is not written again).
    pub(crate) frames: u64,
    /// Frames a second it looked at the runs.
    pub(crate) fps: u32,
    /// How long it drew.
    pub(crate) wall_ms: f64,
}

/// Is `--live` drawing? Read by every recorder at every chunk: one relaxed atomic load.
pub(crate) static ACTIVE: AtomicBool = AtomicBool::new(false);

static FEED: Mutex<Feed> = Mutex::new(Feed::new());

/// The race's shared counter as last read, and whether the current run has read it: atomics, not the feed's lock, because the race's threads hand it over
/// while they race, and a lock between them would change what they race over.
static COUNTER: AtomicI64 = AtomicI64::new(0);
static COUNTED: AtomicBool = AtomicBool::new(false);

/// What the current run has shown so far.
#[derive(Debug)]
pub(crate) struct Feed {
    demo: String,
    turns: Turns,
    mode: String,
    round: String,
    /// Counts runs, so that the screen sees a new one start.
    run: u64,
    started: Option<Instant>,
    expected: Duration,
    ended: Option<Duration>,
    tasks: usize,
    units_per_task: Option<u64>,
    /// Each worker's slices of this run, ns since its start, keyed by (epoch, worker).
    workers: BTreeMap<(Instant, usize), Vec<LiveSlice>>,
    units_done: BTreeMap<usize, u64>,
    /// Each mode's last run's wall time, in the order the modes first ran.
    walls: Vec<(String, Duration)>,
    /// Finished runs' last views, where a terminal that cannot redraw prints each once.
    keep_finished: bool,
    finished: Vec<View>,
    /// The run's child processes (pid, task), whose slices come only at their end: meanwhile
    /// the screen samples where they run.
    children: Vec<(u32, usize)>,
    /// What that sampling found, replaced by the measured slices at the run's end.
    sampled: Vec<LiveSlice>,
}

impl Feed {
    const fn new() -> Feed {
        Feed {
            demo: String::new(),
            turns: Turns::Switches,
            mode: String::new(),
            round: String::new(),
            run: 0,
            started: None,
            expected: Duration::ZERO,
            ended: None,
            tasks: 0,
            units_per_task: None,
            workers: BTreeMap::new(),
            units_done: BTreeMap::new(),
            walls: Vec::new(),
            keep_finished: false,
            finished: Vec::new(),
            children: Vec::new(),
            sampled: Vec::new(),
        }
    }
}

pub(crate) fn feed() -> MutexGuard<'static, Feed> {
    FEED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Is `--live` drawing now?
pub(crate) fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Names what runs next (the subcommand, or the tour's section), and how its tasks take turns.
pub(crate) fn set_demo(name: &str, turns: Turns) {
    let mut feed = feed();
    name.clone_into(&mut feed.demo);
    feed.turns = turns;
    feed.walls.clear();
}

/// The race's shared counter as just read by one of its threads (half of them add and half
/// subtract, so it must end at 0).
pub(crate) fn counter(value: i64) {
    if active() {
        COUNTER.store(value, Ordering::Relaxed);
        COUNTED.store(true, Ordering::Release);
    }
}

/// A run of `mode` starts, expected to take about `expected`: `round` says which ("round 2 of
/// 5"); its `tasks` each do `units_per_task` kernel units, where known.
pub(crate) fn run_started(
    mode: &str,
    round: String,
    expected: Duration,
    tasks: usize,
    units_per_task: Option<u64>,
) {
    if !active() {
        return;
    }
    let mut feed = feed();
    mode.clone_into(&mut feed.mode);
    feed.round = round;
    feed.run += 1;
    feed.started = Some(Instant::now());
    feed.expected = expected;
    feed.ended = None;
    feed.tasks = tasks;
    feed.units_per_task = units_per_task;
    feed.workers.clear();
    feed.units_done.clear();
    COUNTED.store(false, Ordering::Release);
    feed.children.clear();
    feed.sampled.clear();
}

/// The number of the current run: it changes when a run starts.
pub(crate) fn run_number() -> u64 {
    feed().run
}

/// How long the current run has been going, while it goes.
pub(crate) fn run_elapsed() -> Option<Duration> {
    let feed = feed();
    feed.started
        .filter(|_| feed.ended.is_none())
        .map(|s| s.elapsed())
}

/// A child process of the run started, running `task`.
pub(crate) fn child_started(pid: u32, task: usize) {
    if active() {
        feed().children.push((pid, task));
    }
}

/// The run's child processes, (pid, task), for the screen to sample.
pub(crate) fn children() -> Vec<(u32, usize)> {
    feed().children.clone()
}

/// Where a child process was seen running, sampled: ns since the run began.
pub(crate) fn sampled(slice: LiveSlice) {
    let mut feed = feed();
    if feed.ended.is_none() {
        feed.sampled.push(slice);
        bound(&mut feed.sampled);
    }
}

/// The run ended: its lanes become exactly its measured slices (those of child processes
/// included, which only come now), and stay until the next run starts.
pub(crate) fn run_ended(wall: Duration, slices: impl Iterator<Item = LiveSlice>) {
    if !active() {
        return;
    }
    let mut feed = feed();
    feed.ended = Some(wall);
    feed.sampled.clear();
    feed.children.clear();
    let mode = feed.mode.clone();
    match feed.walls.iter_mut().find(|(m, _)| *m == mode) {
        Some((_, last)) => *last = wall,
        None => feed.walls.push((mode, wall)),
    }
    feed.workers.clear();
    let mut slices: Vec<LiveSlice> = slices.collect();
    bound(&mut slices);
    feed.workers.insert((Instant::now(), 0), slices);
    if let Some(all) = feed.units_per_task {
        let tasks = feed.tasks;
        feed.units_done = (0..tasks).map(|t| (t, all)).collect();
    }
    if feed.keep_finished && feed.finished.len() < MAX_KEPT {
        let view = view_of(&feed, Instant::now());
        feed.finished.push(view);
    }
}

/// Finished runs kept for a terminal that cannot redraw before the drawing thread takes them
/// (it takes them a few times a second).
const MAX_KEPT: usize = 64;

/// A recorder's slices of worker `worker` on a run of `epoch`, from index `from` of its own
/// list on (earlier ones were handed over already and have not changed), and the kernel units
/// each task did since the last hand-over.
pub(crate) fn record(
    epoch: Instant,
    worker: usize,
    from: usize,
    slices: impl Iterator<Item = LiveSlice>,
    units: &[(usize, u64)],
) {
    let mut feed = feed();
    let Some(started) = feed.started.filter(|_| feed.ended.is_none()) else {
        return;
    };
    // The recorder's epoch is the run's own, taken just after the engine said it started.
    let shift = epoch.saturating_duration_since(started).as_nanos() as u64;
    let held = feed.workers.entry((epoch, worker)).or_default();
    held.truncate(from);
    held.extend(slices.map(|mut live| {
        live.start_ns += shift;
        live.end_ns += shift;
        live
    }));
    bound(held);
    for &(task, n) in units {
        *feed.units_done.entry(task).or_default() += n;
    }
}

/// Keeps a list within [`MAX_SLICES`] by joining neighbours of one task and CPU across gaps.
fn bound(slices: &mut Vec<LiveSlice>) {
    while slices.len() > MAX_SLICES {
        let mut joined: Vec<LiveSlice> = Vec::with_capacity(slices.len() / 2 + 1);
        for pair in slices.chunks(2) {
            match pair {
                [a, b] if a.task == b.task && a.cpu == b.cpu => joined.push(LiveSlice {
                    end_ns: b.end_ns,
                    ..*a
                }),
                _ => joined.extend_from_slice(pair),
            }
        }
        if joined.len() == slices.len() {
            // Nothing joins (tasks alternate every slice): keep the latest half.
            slices.drain(..slices.len() / 2);
        } else {
            *slices = joined;
        }
    }
}

/// The view of the run now (the screen thread's, once a frame), with the number of the run.
pub(crate) fn view(now: Instant) -> (u64, View) {
    let feed = feed();
    (feed.run, view_of(&feed, now))
}

/// The finished runs' last views not yet taken, oldest first (kept only where
/// [`keep_finished`] asked for them).
pub(crate) fn take_finished() -> Vec<View> {
    std::mem::take(&mut feed().finished)
}

/// Keeps each run's last view as it ends, for a terminal that cannot redraw
/// ([`take_finished`]).
pub(crate) fn keep_finished(keep: bool) {
    let mut feed = feed();
    feed.keep_finished = keep;
    feed.finished.clear();
}

fn view_of(feed: &Feed, now: Instant) -> View {
    let elapsed = feed.ended.unwrap_or_else(|| {
        feed.started
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s))
    });
    View {
        demo: feed.demo.clone(),
        turns: feed.turns,
        mode: feed.mode.clone(),
        round: feed.round.clone(),
        elapsed_ns: elapsed.as_nanos() as u64,
        expected_ns: feed.expected.as_nanos() as u64,
        finished: feed.ended.is_some(),
        slices: feed
            .workers
            .values()
            .flatten()
            .chain(&feed.sampled)
            .copied()
            .collect(),
        sampled: !feed.sampled.is_empty(),
        units_done: feed.units_done.clone(),
        units_per_task: feed.units_per_task,
        tasks: feed.tasks,
        others: BTreeMap::new(),
        counter: COUNTED
            .load(Ordering::Acquire)
            .then(|| COUNTER.load(Ordering::Relaxed)),
        baseline: feed.walls.first().cloned(),
        last_wall: feed
            .walls
            .iter()
            .find(|(m, _)| *m == feed.mode)
            .map(|(_, w)| *w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_whatever_the_length() {
        let mut slices: Vec<LiveSlice> = (0..200_000u64)
            .map(|i| LiveSlice {
                worker: 0,
                task: (i % 2) as usize,
                cpu: Some(0),
                start_ns: i * 10,
                end_ns: i * 10 + 10,
            })
            .collect();
        bound(&mut slices);
        assert!(slices.len() <= MAX_SLICES);
        // Tasks alternating every slice join nothing: the latest slices are the ones kept.
        assert_eq!(slices.last().unwrap().end_ns, 199_999 * 10 + 10);
        assert!(slices.len() >= MAX_SLICES / 2, "{}", slices.len());
        let mut one_task: Vec<LiveSlice> = (0..200_000u64)
            .map(|i| LiveSlice {
                worker: 0,
                task: 0,
                cpu: Some(0),
                start_ns: i * 10,
                end_ns: i * 10 + 5,
            })
            .collect();
        bound(&mut one_task);
        assert!(one_task.len() <= MAX_SLICES);
        assert_eq!(one_task.last().unwrap().end_ns, 199_999 * 10 + 5);
        // One task's slices are joined, not dropped: the first start is still there.
        assert_eq!(one_task[0].start_ns, 0);
    }
}
