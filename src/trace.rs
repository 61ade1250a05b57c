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
}

impl Recorder {
    pub fn new(epoch: Instant, worker: usize) -> Recorder {
        Recorder {
            epoch,
            worker,
            slices: Vec::new(),
        }
    }

    /// Notes that `task` ran a chunk from `start` until now, and returns now (the start of the
    /// next chunk, so each chunk costs one clock reading).
    pub fn chunk_done(&mut self, task: usize, start: Instant) -> Instant {
        let now = Instant::now();
        self.push(task, sys::current_cpu(), start, now);
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
            start = r.chunk_done(7, start);
        }
        let s = r.into_slices();
        // Only migrations between CPUs can split the slice.
        assert!(!s.is_empty() && s.len() <= 100);
        assert!(
            s.iter()
                .all(|x| x.worker == 3 && x.task == 7 && x.start <= x.end)
        );
        assert!(s.windows(2).all(|w| w[0].end == w[1].start));
    }
}
