//! Recording what ran where and when: measured slices on one monotonic epoch.
//!
//! A slice says "task T ran on CPU C from `start` to `end`" for one worker thread. Executors
//! call [`Recorder::chunk_done`] after every chunk of kernel work; the recorder reads the CPU
//! (`sched_getcpu`) and extends the open slice when the same task is still on the same CPU, or
//! starts a new one. Memory therefore grows with the number of switches and migrations, not
//! with the number of chunks, and every slice comes from a clock reading, never from a plan.

use crate::sys;
use std::time::{Duration, Instant};

/// One stretch of one task on one CPU, measured from the run's epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slice {
    /// The executor's worker (thread) index.
    pub worker: usize,
    pub task: usize,
    /// The CPU it ran on, where the OS tells.
    pub cpu: Option<usize>,
    pub start: Duration,
    pub end: Duration,
}

/// Collects the slices of one worker thread.
#[derive(Debug)]
pub struct Recorder {
    epoch: Instant,
    worker: usize,
    slices: Vec<Slice>,
    /// The fastest chunk seen so far, in ns per unit: what an uninterrupted chunk costs.
    fastest_ns_per_unit: f64,
}

/// A chunk that takes this many times longer than the fastest (plus [`GAP_SLACK`]) was
/// preempted part-way: the thread was off the CPU for the rest.
const GAP_FACTOR: f64 = 3.0;
const GAP_SLACK: Duration = Duration::from_micros(20);

impl Recorder {
    pub fn new(epoch: Instant, worker: usize) -> Recorder {
        Recorder {
            epoch,
            worker,
            slices: Vec::new(),
            fastest_ns_per_unit: f64::INFINITY,
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
        now
    }

    /// Adds a measured interval, merging it into the open slice where it continues it.
    pub fn push(&mut self, task: usize, cpu: Option<usize>, start: Instant, end: Instant) {
        let start = start.saturating_duration_since(self.epoch);
        let end = end.saturating_duration_since(self.epoch);
        if let Some(last) = self.slices.last_mut() {
            if last.task == task && last.cpu == cpu && last.end == start {
                last.end = end;
                return;
            }
        }
        self.slices.push(Slice {
            worker: self.worker,
            task,
            cpu,
            start,
            end,
        });
    }

    pub fn into_slices(self) -> Vec<Slice> {
        self.slices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_chunks_on_one_cpu_merge() {
        let epoch = Instant::now();
        let mut r = Recorder::new(epoch, 0);
        let t = |us| epoch + Duration::from_micros(us);
        r.push(0, Some(1), t(0), t(10));
        r.push(0, Some(1), t(10), t(20));
        r.push(0, Some(0), t(20), t(30)); // migrated
        r.push(1, Some(0), t(30), t(40)); // next task
        r.push(1, Some(0), t(45), t(50)); // a gap: not merged
        let s = r.into_slices();
        assert_eq!(s.len(), 4);
        assert_eq!(
            (s[0].start, s[0].end),
            (Duration::ZERO, Duration::from_micros(20))
        );
        assert_eq!(s[1].cpu, Some(0));
        assert_eq!(s[3].start, Duration::from_micros(45));
    }

    #[test]
    fn chunk_done_records_a_growing_slice() {
        let mut r = Recorder::new(Instant::now(), 3);
        let mut start = Instant::now();
        for _ in 0..100 {
            std::hint::black_box(crate::kernel::run(64, 1));
            start = r.chunk_done(7, start, 64);
        }
        let s = r.into_slices();
        // Only migrations and preemptions can split the slice.
        assert!(!s.is_empty() && s.len() <= 100);
        assert!(
            s.iter()
                .all(|x| x.worker == 3 && x.task == 7 && x.start <= x.end)
        );
        assert!(s.windows(2).all(|w| w[0].end <= w[1].start));
    }

    #[test]
    fn a_chunk_much_slower_than_the_fastest_leaves_a_gap() {
        let mut r = Recorder::new(Instant::now(), 0);
        let mut start = Instant::now();
        for _ in 0..5 {
            std::hint::black_box(crate::kernel::run(256, 1));
            start = r.chunk_done(0, start, 256);
        }
        // A chunk that is off the CPU for 5 ms (here: asleep) besides its work.
        std::hint::black_box(crate::kernel::run(256, 1));
        std::thread::sleep(Duration::from_millis(5));
        start = r.chunk_done(0, start, 256);
        std::hint::black_box(crate::kernel::run(256, 1));
        r.chunk_done(0, start, 256);
        let s = r.into_slices();
        let gaps: Vec<Duration> = s.windows(2).map(|w| w[1].start - w[0].end).collect();
        assert!(
            gaps.iter().any(|g| *g >= Duration::from_millis(4)),
            "no gap for the 5 ms pause in {s:?}"
        );
    }
}
