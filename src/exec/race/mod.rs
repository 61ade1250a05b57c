//! The shared-counter race: threads change one counter at the same moment, in one of five ways.
//!
//! Half the threads add 1 to a shared counter `iterations` times, the other half subtract 1 as
//! often, so the right final value is 0. The [`Sharing`] decides how the counter is shared:
//! `unsync` reads and then writes it in two separate steps (an atomic load and an atomic store:
//! safe Rust, no undefined behaviour, and still a race condition, because another thread's
//! update can land between the two steps and be overwritten); `atomic` uses one indivisible
//! `fetch_add`/`fetch_sub`; `mutex` locks around the change; `channel` leaves the counter to one
//! owner thread that the others send messages to; `local` shares nothing and adds up private
//! counts after the join. Memory ordering is `Relaxed` throughout: the lesson is atomicity, not
//! ordering, and the joins at the end order everything the result depends on.
//!
//! In `unsync` the value read passes through `black_box` before it is written back. Without it,
//! LLVM fuses the relaxed load and store into one `add` to memory on x86: still not atomic
//! across cores (no `lock` prefix), so two cores still lose updates, but no interrupt can split
//! a single instruction, so on one core the race could never show. With it the read and the
//! write stay separate instructions, as in the classic exercise.
//!
//! The `channel` is the standard library's bounded `sync_channel`, not crossbeam's: a sender
//! that finds the queue full, or an owner that finds it empty, parks at once, where crossbeam's
//! backs off with `yield_now` first. On a CPU shared with another busy program each yield hands
//! it a whole time slice: beside a busy loop on one CPU, three runs of 1,000,000 changes took
//! 19 s with crossbeam and 0.3 s with `sync_channel` here, against 0.2 s on a quiet CPU.
//!
//! # Starting together
//!
//! A race only shows when the threads really run at the same moment, so every counting thread
//! first pins itself, then waits at a [`StartLine`](start_line::StartLine) until all of them can leave together. The
//! line, and the contest that starts, lines up and gathers the threads of one run, are in
//! `start_line`, with why each step is there; this file holds the ways of sharing, a race
//! and its size check, and [`run`] with the `channel` mode's owner thread.
//!
//! # What is measured
//!
//! Each run returns a [`RaceRun`]: the final value, the wall time, the start skew, the
//! involuntary context switches of the threads while they counted (on one core a race needs a
//! thread preempted between its read and its write), and measured slices, one per chunk of
//! [`CHUNK`] changes, for the timeline. In `channel` mode the owner thread is one more lane,
//! with task number `threads`.

use super::Run;
use crate::error::UsageError;
use crate::trace::Recorder;
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

mod start_line;
#[cfg(test)]
mod tests;

pub(crate) use start_line::START_BUDGET;
use start_line::contest;

/// Changes between two slice records: about 10 µs of the fastest mode here, so reading the clock
/// and the CPU after each chunk costs well under 1% and hardly disturbs the race.
pub(crate) const CHUNK: u64 = 4096;

/// The most `--iterations` accepted: the largest count the `i64` counter can hold.
pub(crate) const MAX_ITERATIONS: u64 = i64::MAX as u64;

/// Messages the `channel` mode's queue holds before senders wait for the owner. Bounded so that
/// memory stays small and a run ends when the owner has applied every change, not long after
/// the senders are done.
pub(crate) const CHANNEL_CAPACITY: usize = 1024;

/// How the threads share the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sharing {
    /// Read, then write, as two separate steps: updates get lost
    Unsync,
    /// One indivisible `fetch_add` or `fetch_sub` per change
    Atomic,
    /// A Mutex around the counter
    Mutex,
    /// One owner thread holds the counter; the others send it messages
    Channel,
    /// Each thread counts privately; the totals are added at the end
    Local,
}

impl Sharing {
    /// Every mode, in the order they run and are shown.
    pub const ALL: [Sharing; 5] = [
        Sharing::Unsync,
        Sharing::Atomic,
        Sharing::Mutex,
        Sharing::Channel,
        Sharing::Local,
    ];

    /// The name in `--mode` and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Sharing::Unsync => "unsync",
            Sharing::Atomic => "atomic",
            Sharing::Mutex => "mutex",
            Sharing::Channel => "channel",
            Sharing::Local => "local",
        }
    }
}

/// One race to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Race {
    pub mode: Sharing,
    /// Threads changing the counter: even, at least 2; thread `i` increments when `i` is even.
    pub threads: usize,
    /// Changes per thread.
    pub iterations: u64,
    /// Pin every thread to this CPU (`--one-core`), or, with `None`, each counting thread to a
    /// CPU of its own from the affinity mask, where the OS allows.
    pub pin: Option<usize>,
}

impl Race {
    /// Increments (and, as many, decrements) in one run.
    #[cfg(test)]
    pub(crate) fn increments(&self) -> u64 {
        (self.threads / 2) as u64 * self.iterations
    }

    /// Changes in one run, all threads together.
    pub fn operations(&self) -> u64 {
        self.threads as u64 * self.iterations
    }
}

/// Refuses, as bad input, a race that cannot be run: fewer than 2 threads, an odd number of
/// them, no iterations, or more changes in all than the `i64` counter can count.
pub(crate) fn check_size(threads: usize, iterations: u64) -> Result<(), UsageError> {
    if threads < 2 {
        return Err(UsageError(format!(
            "a race needs at least 2 threads, not {threads}: a thread alone has no one to interleave with, so none of its updates can be lost"
        )));
    }
    if threads % 2 == 1 {
        return Err(UsageError(format!(
            "{threads} threads is odd: half the threads increment and half decrement so that the right answer is 0; use an even number"
        )));
    }
    if iterations == 0 {
        return Err(UsageError("--iterations must be at least 1".into()));
    }
    match (threads as u64).checked_mul(iterations) {
        Some(total) if i64::try_from(total).is_ok() => Ok(()),
        _ => Err(UsageError(format!(
            "{threads} threads x {iterations} iterations is more changes than the counter can hold (an i64 holds at most {}); use fewer --iterations or --threads",
            i64::MAX
        ))),
    }
}

/// What one run of a race produced.
#[derive(Debug, Clone)]
pub struct RaceRun {
    /// Wall time from the first thread's start to the last one's end, the final value as the
    /// checksum (two's complement, so the right answer is a checksum of 0), and the slices, on
    /// an epoch at the first start.
    pub run: Run,
    /// The counter after every thread is done.
    pub final_value: i64,
    /// Last start minus first start: how far apart the threads left the start line.
    pub(crate) start_skew: Duration,
    /// How long every counting thread was between its start and its end at once (first end
    /// minus last start, or zero): only then can their updates collide.
    pub(crate) overlap: Duration,
    /// Involuntary context switches of all threads while they counted, where the OS tells.
    pub(crate) preemptions: Option<u64>,
    /// Did the threads leave the start line together? `false` where its budget ran out first
    /// (another program kept a thread off its CPU) and they started anyway.
    pub(crate) lined_up: bool,
}

/// Runs one race. Fails only where pinning was asked for and refused.
pub fn run(race: &Race) -> anyhow::Result<RaceRun> {
    let n = race.threads;
    let iterations = race.iterations;
    let delta = |task: usize| if task % 2 == 0 { 1 } else { -1 };
    let (contest, final_value) = match race.mode {
        Sharing::Unsync => {
            let counter = AtomicI64::new(0);
            let contest = contest(n, 0, race.pin, |task, recorder| {
                let d = delta(task);
                let step = || {
                    // black_box keeps the read and the write two steps (see the module doc).
                    let value = black_box(counter.load(Relaxed));
                    // Another thread's update between these two lines is overwritten.
                    counter.store(value.wrapping_add(d), Relaxed);
                };
                drive(iterations, task, recorder, step, || {
                    Some(counter.load(Relaxed))
                });
                0
            })?;
            (contest, counter.into_inner())
        }
        Sharing::Atomic => {
            let counter = AtomicI64::new(0);
            let contest = contest(n, 0, race.pin, |task, recorder| {
                let peek = || Some(counter.load(Relaxed));
                if delta(task) > 0 {
                    drive(
                        iterations,
                        task,
                        recorder,
                        || {
                            counter.fetch_add(1, Relaxed);
                        },
                        peek,
                    );
                } else {
                    drive(
                        iterations,
                        task,
                        recorder,
                        || {
                            counter.fetch_sub(1, Relaxed);
                        },
                        peek,
                    );
                }
                0
            })?;
            (contest, counter.into_inner())
        }
        Sharing::Mutex => {
            let counter = Mutex::new(0i64);
            let contest = contest(n, 0, race.pin, |task, recorder| {
                let d = delta(task);
                let lock = || {
                    // No thread panics while holding the lock, so it is never poisoned.
                    counter
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                };
                drive(
                    iterations,
                    task,
                    recorder,
                    || {
                        let mut value = lock();
                        *value = value.wrapping_add(d);
                    },
                    || Some(*lock()),
                );
                0
            })?;
            let value = counter
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (contest, value)
        }
        Sharing::Channel => {
            let (sender, receiver) = sync_channel::<Message>(CHANNEL_CAPACITY);
            // A receiver may not be shared between threads: the owner takes it.
            let receiver = Mutex::new(Some(receiver));
            let owner = n;
            let contest = contest(n, 1, race.pin, |task, recorder| {
                if task == owner {
                    let receiver = receiver
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take();
                    return receiver.map_or(0, |r| serve(&r, n, owner, recorder));
                }
                let increment = delta(task) > 0;
                drive(
                    iterations,
                    task,
                    recorder,
                    || {
                        let message = if increment {
                            Message::Increment
                        } else {
                            Message::Decrement
                        };
                        sender.send(message).expect("the owner serves every sender");
                    },
                    || None,
                );
                // Waits until the owner has applied every change this thread sent.
                let (reply, answer) = sync_channel(1);
                sender
                    .send(Message::Read(reply))
                    .expect("the owner serves every sender");
                answer.recv().expect("the owner answers every read");
                0
            })?;
            let value = contest.values[owner];
            (contest, value)
        }
        Sharing::Local => {
            let contest = contest(n, 0, race.pin, |task, recorder| {
                let d = delta(task);
                let mut own = 0i64;
                // No shared counter to show: each thread counts its own.
                drive(
                    iterations,
                    task,
                    recorder,
                    || {
                        // black_box keeps one addition per change: without it the loop folds into
                        // a single multiplication.
                        own = black_box(own).wrapping_add(d);
                    },
                    || None,
                );
                own
            })?;
            let total = contest.values.iter().fold(0i64, |a, &v| a.wrapping_add(v));
            (contest, total)
        }
    };
    Ok(contest.into_race_run(final_value))
}

/// What the `channel` mode's owner thread is asked to do.
#[derive(Debug)]
enum Message {
    Increment,
    Decrement,
    /// Send back the counter; every change this sender sent before has been applied.
    Read(SyncSender<i64>),
}

/// The owner's loop: applies changes until every one of the `workers` has read the counter,
/// then returns it.
fn serve(
    receiver: &Receiver<Message>,
    workers: usize,
    task: usize,
    recorder: &mut Recorder,
) -> i64 {
    let mut counter = 0i64;
    let mut reads = 0;
    let mut served = 0u64;
    let mut start = None;
    while reads < workers {
        let Ok(message) = receiver.recv() else { break };
        let since = *start.get_or_insert_with(Instant::now);
        match message {
            Message::Increment => counter = counter.wrapping_add(1),
            Message::Decrement => counter = counter.wrapping_sub(1),
            Message::Read(reply) => {
                // A worker that stopped waiting loses nothing: the counter stays here.
                let _ = reply.send(counter);
                reads += 1;
            }
        }
        served += 1;
        if served % CHUNK == 0 {
            start = Some(recorder.chunk_done(task, since, CHUNK));
            crate::live_feed::counter(counter);
        }
    }
    if let Some(since) = start {
        recorder.chunk_done(task, since, served % CHUNK);
    }
    counter
}

/// Runs `step` `iterations` times, recording a slice after every [`CHUNK`] steps, and for
/// `--live` the shared counter as `peek` reads it (the right total is 0: as many decrements
/// as increments).
fn drive(
    iterations: u64,
    task: usize,
    recorder: &mut Recorder,
    mut step: impl FnMut(),
    peek: impl Fn() -> Option<i64>,
) {
    let mut done = 0;
    let mut start = Instant::now();
    while done < iterations {
        let end = done.saturating_add(CHUNK).min(iterations);
        for _ in done..end {
            step();
        }
        start = recorder.chunk_done(task, start, end - done);
        if crate::live_feed::active() {
            if let Some(value) = peek() {
                crate::live_feed::counter(value);
            }
        }
        done = end;
    }
}
