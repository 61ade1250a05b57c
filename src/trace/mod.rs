//! Recording what ran where and when: measured slices on one monotonic epoch.
//!
//! A slice says "task T ran on CPU C from `start` to `end`" for one worker thread. Executors
//! call [`Recorder::chunk_done`] after every chunk of kernel work; the recorder reads the CPU
//! (`sched_getcpu`) and extends the open slice when the same task is still on the same CPU, or
//! starts a new one. Memory therefore grows with the number of switches and migrations, not
//! with the number of chunks, and every slice comes from a clock reading, never from a plan.
//!
//! Recording stays small and bounded whatever the work and the quantum:
//!
//! - a [`Slice`] is 32 bytes of integers (worker, task and CPU as `u32`, times as nanoseconds
//!   from the run's epoch); strings and floats appear only when a report is rendered;
//! - a run records at most [`MAX_RUN_SLICES`] slices, shared out between its workers
//!   ([`Recorder::sharing`]). A recorder that fills up merges what it holds at a coarser
//!   resolution ([`coarsen`]: 1 µs, then 2, 4, ... µs) and every merged slice says at which
//!   ([`Slice::merged_us`]), so the report can say so (`timeline.merged_to_us`).

use crate::sys;
use std::time::{Duration, Instant};

/// Most slices one run records, all its workers together: 32 MiB.
pub(crate) const MAX_RUN_SLICES: usize = 1 << 20;

/// The fewest slices any one worker may keep, however many share a run.
const MIN_SHARE: usize = 256;

/// The CPU field of a slice whose CPU the OS did not tell.
const NO_CPU: u32 = u32::MAX;

/// One stretch of one task on one CPU, measured from the run's epoch, in 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    worker: u32,
    task: u32,
    cpu: u32,
    /// 0 as recorded; else the resolution in µs it was merged at (it stands for the work of
    /// its task in a stretch that long, laid end to end).
    merged_us: u32,
    start_ns: u64,
    end_ns: u64,
}

fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX - 1)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Slice {
    pub(crate) fn new(
        worker: usize,
        task: usize,
        cpu: Option<usize>,
        start: Duration,
        end: Duration,
    ) -> Slice {
        Slice::from_ns(worker, task, cpu, nanos(start), nanos(end))
    }

    pub fn from_ns(
        worker: usize,
        task: usize,
        cpu: Option<usize>,
        start_ns: u64,
        end_ns: u64,
    ) -> Slice {
        Slice {
            worker: small(worker),
            task: small(task),
            cpu: cpu.map_or(NO_CPU, small),
            merged_us: 0,
            start_ns,
            end_ns: end_ns.max(start_ns),
        }
    }

    /// The executor's worker (thread) index.
    pub(crate) fn worker(&self) -> usize {
        self.worker as usize
    }

    pub fn task(&self) -> usize {
        self.task as usize
    }

    /// The CPU it ran on, where the OS tells.
    pub fn cpu(&self) -> Option<usize> {
        (self.cpu != NO_CPU).then_some(self.cpu as usize)
    }

    pub fn start(&self) -> Duration {
        Duration::from_nanos(self.start_ns)
    }

    pub fn end(&self) -> Duration {
        Duration::from_nanos(self.end_ns)
    }

    pub(crate) fn start_ns(&self) -> u64 {
        self.start_ns
    }

    pub(crate) fn end_ns(&self) -> u64 {
        self.end_ns
    }

    pub(crate) fn duration_ns(&self) -> u64 {
        self.end_ns - self.start_ns
    }

    /// The slice as `--live` holds it.
    pub(crate) fn live(&self) -> crate::live_feed::LiveSlice {
        crate::live_feed::LiveSlice {
            worker: self.worker(),
            task: self.task(),
            cpu: self.cpu(),
            start_ns: self.start_ns,
            end_ns: self.end_ns,
        }
    }

    /// The resolution in µs this slice was merged at, `None` where it is as measured.
    pub(crate) fn merged_us(&self) -> Option<u32> {
        (self.merged_us > 0).then_some(self.merged_us)
    }

    /// The same slice, `by` later (or earlier) and cut to `0..=limit`: for moving slices onto
    /// another epoch.
    #[must_use]
    pub(crate) fn shifted(self, by_ns: i128, limit_ns: u64) -> Slice {
        let at = |ns: u64| (i128::from(ns) + by_ns).clamp(0, i128::from(limit_ns)) as u64;
        Slice {
            start_ns: at(self.start_ns),
            end_ns: at(self.end_ns),
            ..self
        }
    }

    /// The same slice marked as merged at `us` µs (kept where it was merged coarser already).
    #[must_use]
    pub(crate) fn with_merged_us(self, us: u32) -> Slice {
        Slice {
            merged_us: self.merged_us.max(us),
            ..self
        }
    }
}

/// The coarsest resolution any of `slices` was merged at, in µs: `None` where every one is as
/// measured.
pub(crate) fn merged_us(slices: &[Slice]) -> Option<u32> {
    slices.iter().filter_map(Slice::merged_us).max()
}

/// Merges the slices of ONE worker, in time order, to a resolution of `resolution_us`:
///
/// - a slice at least that long stays as it is;
/// - slices shorter than that are gathered into stretches no longer than the resolution, and
///   each stretch becomes one slice per task, laid end to end from the stretch's start, each as
///   long as all that task's time in it, on the CPU where it ran longest. So the time every task
///   ran is kept, a stretch shared by several tasks still shows as shared, and the idle time
///   inside a stretch moves to its end: gaps longer than the resolution stay where they were;
/// - slices that then touch, of the same task on the same CPU, become one.
///
/// A worker's slices then number at most about three per resolution of its span (times the
/// tasks that share a stretch), however many there were.
pub(crate) fn coarsen(slices: &[Slice], resolution_us: u32) -> Vec<Slice> {
    let resolution = u64::from(resolution_us.max(1)) * 1000;
    let mut out: Vec<Slice> = Vec::with_capacity(slices.len().min(1024));
    // The stretch gathering short slices: its start, and per task (task, cpu, ns, cpu's ns).
    let mut stretch: Option<u64> = None;
    let mut shares: Vec<Share> = Vec::new();
    for s in slices {
        if s.duration_ns() >= resolution {
            flush(&mut out, &mut stretch, &mut shares, resolution_us);
            join(&mut out, *s);
            continue;
        }
        if stretch.is_some_and(|start| s.end_ns > start + resolution) {
            flush(&mut out, &mut stretch, &mut shares, resolution_us);
        }
        stretch.get_or_insert(s.start_ns);
        match shares.iter_mut().find(|x| x.slice.task == s.task) {
            Some(share) => {
                share.ns += s.duration_ns();
                if s.duration_ns() > share.longest {
                    share.longest = s.duration_ns();
                    share.slice.cpu = s.cpu;
                }
            }
            None => shares.push(Share {
                slice: *s,
                ns: s.duration_ns(),
                longest: s.duration_ns(),
            }),
        }
    }
    flush(&mut out, &mut stretch, &mut shares, resolution_us);
    out
}

/// One task's part of a stretch being merged.
struct Share {
    slice: Slice,
    ns: u64,
    longest: u64,
}

fn flush(out: &mut Vec<Slice>, stretch: &mut Option<u64>, shares: &mut Vec<Share>, us: u32) {
    let Some(mut at) = stretch.take() else {
        return;
    };
    for share in shares.drain(..) {
        let merged = Slice {
            start_ns: at,
            end_ns: at + share.ns,
            ..share.slice
        };
        at += share.ns;
        join(out, merged.with_merged_us(us));
    }
}

/// Appends `s`, extending the last slice instead where `s` continues it.
fn join(out: &mut Vec<Slice>, s: Slice) {
    if let Some(last) = out.last_mut() {
        if last.worker == s.worker
            && last.task == s.task
            && last.cpu == s.cpu
            && last.end_ns == s.start_ns
        {
            last.end_ns = s.end_ns;
            last.merged_us = last.merged_us.max(s.merged_us);
            return;
        }
    }
    out.push(s);
}

/// Merges the slices of a whole run (any workers, each in time order) at doubling resolutions,
/// from `from_us`, until at most `limit` remain or the resolution spans the run. Returns the
/// resolution reached, `None` where nothing needed merging.
pub(crate) fn coarsen_run(slices: &mut Vec<Slice>, limit: usize, from_us: u32) -> Option<u32> {
    if slices.len() <= limit {
        return None;
    }
    let span_us = slices.iter().map(|s| s.end_ns).max().unwrap_or(0) / 1000;
    let mut resolution = from_us.max(1);
    loop {
        let merged = coarsen_workers(slices, resolution);
        *slices = merged;
        if slices.len() <= limit || u64::from(resolution) > span_us {
            return Some(resolution);
        }
        resolution = resolution.saturating_mul(2);
    }
}

/// [`coarsen`] for each worker's slices in turn. Where each worker's slices come together (as
/// a run gathers them) they are read in place; else they are first sorted by worker, stably,
/// so each worker's stay in time order.
pub(crate) fn coarsen_workers(slices: &mut [Slice], resolution_us: u32) -> Vec<Slice> {
    if !grouped_by_worker(slices) {
        slices.sort_by_key(|s| s.worker);
    }
    coarsen_grouped(slices, resolution_us)
}

/// [`coarsen_workers`] for slices already grouped by worker, without copying them.
pub(crate) fn coarsen_grouped(slices: &[Slice], resolution_us: u32) -> Vec<Slice> {
    slices
        .chunk_by(|a, b| a.worker == b.worker)
        .flat_map(|own| coarsen(own, resolution_us))
        .collect()
}

/// Do each worker's slices come together?
pub(crate) fn grouped_by_worker(slices: &[Slice]) -> bool {
    let mut seen = std::collections::HashSet::new();
    slices
        .chunk_by(|a, b| a.worker == b.worker)
        .all(|group| seen.insert(group[0].worker))
}

/// Collects the slices of one worker thread.
#[derive(Debug)]
pub struct Recorder {
    epoch: Instant,
    worker: usize,
    slices: Vec<Slice>,
    /// The fastest chunk seen so far, in ns per unit: what an uninterrupted chunk costs.
    fastest_ns_per_unit: f64,
    /// Most slices kept before merging at a coarser resolution.
    limit: usize,
    /// The resolution merged at so far, in µs (0: none).
    merged_us: u32,
    /// For `--live`: slices before this index were handed over unchanged, when it last was,
    /// and the units each task did since.
    live_sent: usize,
    live_at: Instant,
    live_units: Vec<(usize, u64)>,
}

/// A chunk that takes this many times longer than the fastest (plus [`GAP_SLACK`]) was
/// preempted part-way: the thread was off the CPU for the rest.
const GAP_FACTOR: f64 = 3.0;
const GAP_SLACK: Duration = Duration::from_micros(20);

impl Recorder {
    /// The recorder of a run's only worker: it may keep all of [`MAX_RUN_SLICES`].
    pub fn new(epoch: Instant, worker: usize) -> Recorder {
        Recorder::sharing(epoch, worker, 1)
    }

    /// The recorder of one of `workers` workers of a run, which share [`MAX_RUN_SLICES`].
    pub(crate) fn sharing(epoch: Instant, worker: usize, workers: usize) -> Recorder {
        Recorder::with_limit(
            epoch,
            worker,
            (MAX_RUN_SLICES / workers.max(1)).max(MIN_SHARE),
        )
    }

    /// A recorder that merges once it holds `limit` slices (at least 2).
    pub(crate) fn with_limit(epoch: Instant, worker: usize, limit: usize) -> Recorder {
        Recorder {
            epoch,
            worker,
            slices: Vec::new(),
            fastest_ns_per_unit: f64::INFINITY,
            limit: limit.max(2),
            merged_us: 0,
            live_sent: 0,
            live_at: epoch,
            live_units: Vec::new(),
        }
    }

    /// Notes that `task` ran a chunk of `units` units from `start` until now, and returns now
    /// (the start of the next chunk, so each chunk costs one clock reading).
    ///
    /// A chunk that took far longer than the fastest one was preempted inside: it is recorded
    /// as running for as long as an uninterrupted chunk takes, followed by a gap, so OS time
    /// slices show up to within one chunk (about 25 µs).
    pub fn chunk_done(&mut self, task: usize, start: Instant, units: u64) -> Instant {
        let now = Instant::now();
        let took = now.saturating_duration_since(start);
        let per_unit = took.as_nanos() as f64 / units.max(1) as f64;
        self.fastest_ns_per_unit = self.fastest_ns_per_unit.min(per_unit);
        let uninterrupted =
            Duration::from_nanos((self.fastest_ns_per_unit * units.max(1) as f64) as u64);
        let ran_until = if took.as_secs_f64()
            > uninterrupted.as_secs_f64() * GAP_FACTOR + GAP_SLACK.as_secs_f64()
        {
            start + uninterrupted
        } else {
            now
        };
        self.push(task, sys::current_cpu(), start, ran_until);
        if crate::live_feed::active() {
            self.hand_to_live(task, units, now);
        }
        now
    }

    /// Notes `units` done by `task` for `--live`, and hands over the slices recorded since
    /// the last hand-over where [`crate::live_feed::FLUSH`] has passed.
    #[cold]
    fn hand_to_live(&mut self, task: usize, units: u64, now: Instant) {
        match self.live_units.iter_mut().find(|(t, _)| *t == task) {
            Some((_, n)) => *n += units,
            None => self.live_units.push((task, units)),
        }
        if now.saturating_duration_since(self.live_at) >= crate::live_feed::FLUSH {
            // The last slice may still grow: it is handed over again next time.
            let from = self.live_sent.min(self.slices.len().saturating_sub(1));
            crate::live_feed::record(
                self.epoch,
                self.worker,
                from,
                self.slices[from..].iter().map(Slice::live),
                &self.live_units,
            );
            self.live_sent = self.slices.len().saturating_sub(1);
            self.live_units.clear();
            self.live_at = now;
        }
    }

    /// Adds a measured interval, merging it into the open slice where it continues it.
    pub(crate) fn push(&mut self, task: usize, cpu: Option<usize>, start: Instant, end: Instant) {
        let start_ns = nanos(start.saturating_duration_since(self.epoch));
        let end_ns = nanos(end.saturating_duration_since(self.epoch));
        let (task32, cpu32) = (small(task), cpu.map_or(NO_CPU, small));
        if let Some(last) = self.slices.last_mut() {
            if last.task == task32 && last.cpu == cpu32 && last.end_ns == start_ns {
                last.end_ns = end_ns.max(start_ns);
                return;
            }
        }
        if self.slices.len() >= self.limit {
            self.merge();
        }
        self.slices
            .push(Slice::from_ns(self.worker, task, cpu, start_ns, end_ns));
    }

    /// Merges what is held at doubling resolutions until it fills at most half the limit.
    #[cold]
    fn merge(&mut self) {
        let from = self.merged_us.saturating_mul(2).max(1);
        if let Some(us) = coarsen_run(&mut self.slices, self.limit / 2, from) {
            self.merged_us = us;
            // Every slice may have changed: `--live` is handed them all again.
            self.live_sent = 0;
        }
        if self.slices.len() > self.limit / 2 {
            // More tasks share every stretch than the limit holds: make room rather than
            // merging again at every slice.
            self.limit = self.slices.len() * 2;
        }
    }

    /// The resolution in µs merged at so far, `None` where every slice is as measured.
    #[cfg(test)]
    /// The resolution in µs this slice was merged at, `None` where it is as measured.
    pub(crate) fn merged_us(&self) -> Option<u32> {
        (self.merged_us > 0).then_some(self.merged_us)
    }

    pub(crate) fn into_slices(self) -> Vec<Slice> {
        self.slices
    }
}

#[cfg(test)]
mod tests;
