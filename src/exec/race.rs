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
//! # Starting together
//!
//! A race only shows when the threads really run at the same moment. Creating a thread, or
//! waking one that sleeps on a futex, can take tens of microseconds: long enough for a short
//! loop to finish alone and hide the race. So every counting thread first takes its place, then
//! passes a [`StartLine`] in two steps:
//!
//! 0. It pins itself: to a CPU of its own from the affinity mask (round-robin where threads
//!    outnumber CPUs; best effort, the slices say where it really ran), or with `--one-core`
//!    to the one CPU given. Left to itself, when every CPU is busy with other processes, so
//!    that none looks idle, the scheduler wakes the second thread on the first one's CPU and
//!    they run one after the other: that happened here in most runs while two niced
//!    compilers held both cores.
//! 1. It sleeps at a [`Gate`] (a barrier that can be called off) until every thread exists,
//!    so that no early thread hogs a CPU that a thread still being created needs. Where the
//!    OS refuses to create a thread, the gate is called off and everyone already waiting goes
//!    home, so the run fails with the OS's reason instead of waiting for ever.
//! 2. The gate wakes them all, each after its own few tens of microseconds, so they then
//!    meet again at a spin barrier: an `AtomicUsize` count of arrivals and an `AtomicBool` go
//!    flag. The last to arrive sets the flag and starts at once; the others are awake and
//!    spinning on the flag (`spin_loop`), so they start within a microsecond or so of it. No
//!    thread needs waking any more.
//!
//! Spinning must not starve threads still on their way: where there are more counting threads
//! than CPUs (always with `--one-core`) a spinner yields every few dozen spins; otherwise it
//! spins without yielding for up to [`SPIN_BEFORE_YIELD`], because on a busy machine a yield
//! can hand the CPU to another process for milliseconds.
//!
//! Each thread notes when it passed the line. The run's wall time goes from the first start to
//! the last end; `start_skew` (last start minus first) says how together they left, and
//! `overlap` how long all of them were counting at once. No start line can make threads run in
//! parallel when another process holds the other CPUs: then the first thread may finish before
//! the last begins, and `overlap` shows it. The `channel` owner does not race: it sleeps at the
//! gate with the others (so a start called off releases it too), skips the spin and blocks on
//! its queue until the first message comes.
//!
//! # What is measured
//!
//! Each run returns a [`RaceRun`]: the final value, the wall time, the start skew, the
//! involuntary context switches of the threads while they counted (on one core a race needs a
//! thread preempted between its read and its write), and measured slices, one per chunk of
//! [`CHUNK`] changes, for the timeline. In `channel` mode the owner thread is one more lane,
//! with task number `threads`.

use super::Run;
use super::spawn::{self, Gate};
use crate::error::UsageError;
use crate::sys;
use crate::trace::{Recorder, Slice};
use crossbeam::channel;
use std::hint::{black_box, spin_loop};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering::Relaxed};
use std::sync::atomic::{Ordering::AcqRel, Ordering::Acquire, Ordering::Release};
use std::time::{Duration, Instant};

/// Changes between two slice records: about 10 µs of the fastest mode here, so reading the clock
/// and the CPU after each chunk costs well under 1% and hardly disturbs the race.
pub const CHUNK: u64 = 4096;

/// The most `--iterations` accepted: the largest count the `i64` counter can hold.
pub const MAX_ITERATIONS: u64 = i64::MAX as u64;

/// Messages the `channel` mode's queue holds before senders wait for the owner. Bounded so that
/// memory stays small and a run ends when the owner has applied every change, not long after
/// the senders are done.
pub const CHANNEL_CAPACITY: usize = 1024;

/// Spins on the go flag between two `yield_now` calls, when spinners must share CPUs.
const SPINS_PER_YIELD: u32 = 64;

/// How long a spinner that has a CPU of its own waits before it starts yielding too.
pub const SPIN_BEFORE_YIELD: Duration = Duration::from_millis(1);

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

    /// Can this mode lose an update?
    pub fn can_lose_updates(self) -> bool {
        self == Sharing::Unsync
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
    pub fn increments(&self) -> u64 {
        (self.threads / 2) as u64 * self.iterations
    }

    /// Changes in one run, all threads together.
    pub fn operations(&self) -> u64 {
        self.threads as u64 * self.iterations
    }
}

/// Refuses, as bad input, a race that cannot be run: fewer than 2 threads, an odd number of
/// them, no iterations, or more changes in all than the `i64` counter can count.
pub fn check_size(threads: usize, iterations: u64) -> Result<(), UsageError> {
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
    pub start_skew: Duration,
    /// How long every counting thread was between its start and its end at once (first end
    /// minus last start, or zero): only then can their updates collide.
    pub overlap: Duration,
    /// Involuntary context switches of all threads while they counted, where the OS tells.
    pub preemptions: Option<u64>,
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
                drive(iterations, task, recorder, || {
                    // black_box keeps the read and the write two steps (see the module doc).
                    let value = black_box(counter.load(Relaxed));
                    // Another thread's update between these two lines is overwritten.
                    counter.store(value.wrapping_add(d), Relaxed);
                });
                0
            })?;
            (contest, counter.into_inner())
        }
        Sharing::Atomic => {
            let counter = AtomicI64::new(0);
            let contest = contest(n, 0, race.pin, |task, recorder| {
                if delta(task) > 0 {
                    drive(iterations, task, recorder, || {
                        counter.fetch_add(1, Relaxed);
                    });
                } else {
                    drive(iterations, task, recorder, || {
                        counter.fetch_sub(1, Relaxed);
                    });
                }
                0
            })?;
            (contest, counter.into_inner())
        }
        Sharing::Mutex => {
            let counter = Mutex::new(0i64);
            let contest = contest(n, 0, race.pin, |task, recorder| {
                let d = delta(task);
                drive(iterations, task, recorder, || {
                    // No thread panics while holding the lock, so it is never poisoned.
                    let mut value = counter
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    *value = value.wrapping_add(d);
                });
                0
            })?;
            let value = counter
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (contest, value)
        }
        Sharing::Channel => {
            let (sender, receiver) = channel::bounded::<Message>(CHANNEL_CAPACITY);
            let owner = n;
            let contest = contest(n, 1, race.pin, |task, recorder| {
                if task == owner {
                    return serve(&receiver, n, owner, recorder);
                }
                let increment = delta(task) > 0;
                drive(iterations, task, recorder, || {
                    let message = if increment {
                        Message::Increment
                    } else {
                        Message::Decrement
                    };
                    sender.send(message).expect("the owner serves every sender");
                });
                // Waits until the owner has applied every change this thread sent.
                let (reply, answer) = channel::bounded(1);
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
                drive(iterations, task, recorder, || {
                    // black_box keeps one addition per change: without it the loop folds into
                    // a single multiplication.
                    own = black_box(own).wrapping_add(d);
                });
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
    Read(channel::Sender<i64>),
}

/// The owner's loop: applies changes until every one of the `workers` has read the counter,
/// then returns it.
fn serve(
    receiver: &channel::Receiver<Message>,
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
        }
    }
    if let Some(since) = start {
        recorder.chunk_done(task, since, served % CHUNK);
    }
    counter
}

/// Runs `step` `iterations` times, recording a slice after every [`CHUNK`] steps.
fn drive(iterations: u64, task: usize, recorder: &mut Recorder, mut step: impl FnMut()) {
    let mut done = 0;
    let mut start = Instant::now();
    while done < iterations {
        let end = done.saturating_add(CHUNK).min(iterations);
        for _ in done..end {
            step();
        }
        start = recorder.chunk_done(task, start, end - done);
        done = end;
    }
}

/// A one-use start line for `racers` threads and `helpers` that start with them: none starts
/// before all have arrived, and the racers leave together, spinning rather than sleeping at the
/// last moment (see the module doc). It can be called off ([`StartLine::cancel`]) when a
/// thread will never arrive, because it could not be created: then everyone waiting gives up.
#[derive(Debug)]
pub struct StartLine {
    /// Everyone exists (sleeping until then).
    all_here: Gate,
    racers: usize,
    /// Does each racer have a CPU of its own to spin on?
    own_cpu: bool,
    arrived: AtomicUsize,
    go: AtomicBool,
}

impl StartLine {
    /// A line for `racers` threads and `helpers` that may run on `cpus` CPUs at once.
    pub fn new(racers: usize, helpers: usize, cpus: usize) -> StartLine {
        StartLine {
            all_here: Gate::new(racers + helpers),
            racers,
            own_cpu: racers <= cpus,
            arrived: AtomicUsize::new(0),
            go: AtomicBool::new(false),
        }
    }

    /// A helper checks in: returns `true` when every thread exists, `false` if the start was
    /// called off.
    pub fn check_in(&self) -> bool {
        self.all_here.wait()
    }

    /// A racer checks in: returns `true` when every racer has checked in and left the line
    /// together with the others, `false` if the start was called off.
    pub fn wait(&self) -> bool {
        if !self.all_here.wait() {
            return false;
        }
        if self.arrived.fetch_add(1, AcqRel) + 1 >= self.racers {
            self.go.store(true, Release);
            return true;
        }
        let mut spins = 0u32;
        let mut share = !self.own_cpu;
        let since = Instant::now();
        while !self.go.load(Acquire) {
            spins = spins.wrapping_add(1);
            if spins % SPINS_PER_YIELD != 0 {
                spin_loop();
            } else if share {
                std::thread::yield_now();
            } else {
                share = since.elapsed() >= SPIN_BEFORE_YIELD;
            }
        }
        true
    }

    /// Calls the start off: everyone still sleeping at the line, and everyone to come, gives
    /// up. Only before every thread has arrived, as no racer is spinning then.
    pub fn cancel(&self) {
        self.all_here.cancel();
    }
}

/// What one thread of a contest did.
struct Party {
    pinned: anyhow::Result<()>,
    start: Instant,
    end: Instant,
    value: i64,
    slices: Vec<Slice>,
    preemptions: Option<u64>,
}

/// The threads of one run, gathered.
struct Contest {
    /// What each thread's body returned, by task.
    values: Vec<i64>,
    wall: Duration,
    start_skew: Duration,
    overlap: Duration,
    slices: Vec<Slice>,
    preemptions: Option<u64>,
}

impl Contest {
    fn into_race_run(self, final_value: i64) -> RaceRun {
        RaceRun {
            run: Run {
                wall: self.wall,
                checksum: final_value as u64,
                slices: self.slices,
                context_switches: None,
            },
            final_value,
            start_skew: self.start_skew,
            overlap: self.overlap,
            preemptions: self.preemptions,
        }
    }
}

/// Starts `racers + helpers` threads that pin themselves to `pin` (or, without it, each racer
/// to a CPU of its own where it can) and run `body(task, recorder)`; the `racers` (tasks
/// `0..racers`) first meet at a [`StartLine`], the helpers only wait there until every thread
/// exists. Returns their measurements once all are done; the wall time, start skew and overlap
/// are the racers'. Fails where a thread cannot be created (after releasing and joining those
/// already started) or a pin asked for is refused.
fn contest(
    racers: usize,
    helpers: usize,
    pin: Option<usize>,
    body: impl Fn(usize, &mut Recorder) -> i64 + Sync,
) -> anyhow::Result<Contest> {
    let parties = racers + helpers;
    let mask = match pin {
        Some(_) => Vec::new(),
        None => sys::affinity().unwrap_or_default(),
    };
    let cpus = match pin {
        Some(_) => 1,
        None if !mask.is_empty() => mask.len(),
        None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    };
    let base = Instant::now();
    let line = StartLine::new(racers, helpers, cpus);
    // Where a thread cannot be created, those already waiting at the line are sent home.
    let results: Vec<Party> = spawn::on_threads(
        "race threads",
        parties,
        || line.cancel(),
        |task| {
            // A thread that cannot pin still checks in, so the others are not left waiting;
            // the run is then refused below, where pinning was asked for.
            let pinned = match pin {
                Some(cpu) => sys::pin_current_thread(cpu),
                None if task < racers && !mask.is_empty() => {
                    // Best effort: refused, the thread runs where the OS puts it.
                    let _ = sys::pin_current_thread(mask[task % mask.len()]);
                    Ok(())
                }
                None => Ok(()),
            };
            let mut recorder = Recorder::sharing(base, task, parties);
            let started = if task < racers {
                line.wait()
            } else {
                line.check_in()
            };
            let before = sys::thread_context_switches();
            let start = Instant::now();
            // Called off: some thread was never created, and the run fails below anyway.
            let value = if started {
                body(task, &mut recorder)
            } else {
                0
            };
            let end = Instant::now();
            let after = sys::thread_context_switches();
            Party {
                pinned,
                start,
                end,
                value,
                slices: recorder.into_slices(),
                preemptions: before.zip(after).map(|(b, a)| a.since(b).involuntary),
            }
        },
    )?;
    let mut values = Vec::with_capacity(parties);
    let mut slices = Vec::new();
    let mut preemptions = Some(0u64);
    let racing = &results[..racers];
    let starts = || racing.iter().map(|p| p.start);
    let ends = || racing.iter().map(|p| p.end);
    let (first, last) = (starts().min(), starts().max());
    let (first_end, end) = (ends().min(), ends().max());
    let [first, last, first_end, end] = [first, last, first_end, end].map(|t| t.unwrap_or(base));
    let offset = first.saturating_duration_since(base);
    let wall = end.saturating_duration_since(first);
    // Slices move to an epoch at the first start; a helper's last moments after the racers
    // are done are not part of the run.
    let within = |d: Duration| d.saturating_sub(offset).min(wall);
    for party in results {
        party.pinned?;
        values.push(party.value);
        preemptions = preemptions.zip(party.preemptions).map(|(a, b)| a + b);
        slices.extend(party.slices.into_iter().map(|s| {
            let (start, end) = (within(s.start()), within(s.end()));
            Slice::new(s.worker(), s.task(), s.cpu(), start, end)
                .with_merged_us(s.merged_us().unwrap_or(0))
        }));
    }
    Ok(Contest {
        values,
        wall,
        start_skew: last.saturating_duration_since(first),
        overlap: first_end.saturating_duration_since(last),
        slices,
        preemptions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn race(mode: Sharing, threads: usize, iterations: u64) -> Race {
        Race {
            mode,
            threads,
            iterations,
            pin: None,
        }
    }

    #[test]
    fn the_fixes_always_end_at_zero() {
        for mode in [
            Sharing::Atomic,
            Sharing::Mutex,
            Sharing::Channel,
            Sharing::Local,
        ] {
            for threads in [2, 4, 6, 8] {
                for iterations in [1, 777, CHUNK + 5] {
                    for _ in 0..5 {
                        let r = run(&race(mode, threads, iterations)).unwrap();
                        assert_eq!(r.final_value, 0, "{mode:?} {threads} {iterations}");
                        assert_eq!(r.run.checksum, 0);
                    }
                }
            }
        }
    }

    #[test]
    fn unsync_stays_within_its_possible_bounds() {
        // Every value written is an earlier value plus or minus one, and each change is used at
        // most once, so the counter can never leave [-decrements, +increments]. Nothing here
        // relies on a race happening (or not).
        for threads in [2, 4, 8] {
            for iterations in [1, 1000, 3 * CHUNK] {
                let r = race(Sharing::Unsync, threads, iterations);
                for _ in 0..5 {
                    let out = run(&r).unwrap();
                    let bound = i64::try_from(r.increments()).unwrap();
                    assert!((-bound..=bound).contains(&out.final_value));
                    assert_eq!(out.run.checksum, out.final_value as u64);
                }
            }
        }
    }

    #[test]
    fn slices_cover_every_thread_inside_the_run() {
        for mode in Sharing::ALL {
            let r = run(&race(mode, 4, 3 * CHUNK)).unwrap();
            let lanes = if mode == Sharing::Channel { 5 } else { 4 };
            for task in 0..lanes {
                assert!(r.run.slices.iter().any(|s| s.task() == task), "{mode:?}");
            }
            // Slices are cut to the run and the skew and overlap lie inside it by
            // construction; what can go wrong is a run measured as taking no time.
            assert!(r.run.wall > Duration::ZERO, "{mode:?}");
            assert!(r.run.slices.iter().any(|s| s.end() > s.start()), "{mode:?}");
        }
    }

    #[test]
    fn the_start_line_lets_everyone_through() {
        for parties in [1, 2, 5] {
            let line = StartLine::new(parties, 1, 1);
            let passed = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for racer in 0..=parties {
                    let (line, passed) = (&line, &passed);
                    s.spawn(move || {
                        let through = if racer < parties {
                            line.wait()
                        } else {
                            line.check_in()
                        };
                        if through {
                            passed.fetch_add(1, Relaxed);
                        }
                    });
                }
            });
            assert_eq!(passed.into_inner(), parties + 1);
        }
    }

    #[test]
    fn a_start_called_off_sends_everyone_home() {
        // One racer of two and the helper are there; the other racer will never come.
        let line = StartLine::new(2, 1, 2);
        let came = AtomicUsize::new(0);
        let through = std::thread::scope(|s| {
            let racer = s.spawn(|| {
                came.fetch_add(1, Relaxed);
                line.wait()
            });
            let helper = s.spawn(|| {
                came.fetch_add(1, Relaxed);
                line.check_in()
            });
            while came.load(Relaxed) < 2 {
                std::thread::yield_now();
            }
            line.cancel();
            [racer.join().unwrap(), helper.join().unwrap()]
        });
        assert_eq!(through, [false, false]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pinned_threads_stay_on_their_cpu() {
        let cpu = sys::affinity().unwrap()[0];
        for mode in Sharing::ALL {
            let r = run(&Race {
                pin: Some(cpu),
                ..race(mode, 2, 2 * CHUNK)
            })
            .unwrap();
            assert!(
                r.run.slices.iter().all(|s| s.cpu() == Some(cpu)),
                "{mode:?}"
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn counting_threads_spread_over_the_mask_by_default() {
        let mask = sys::affinity().unwrap();
        for mode in Sharing::ALL {
            let r = run(&race(mode, 4, 2 * CHUNK)).unwrap();
            for s in r.run.slices.iter().filter(|s| s.task() < 4) {
                assert_eq!(s.cpu(), Some(mask[s.task() % mask.len()]), "{mode:?}");
            }
        }
    }

    #[test]
    fn a_refused_pin_is_an_error_not_a_hang() {
        let r = Race {
            pin: Some(usize::MAX / 2),
            ..race(Sharing::Channel, 2, 10)
        };
        assert!(run(&r).is_err());
    }

    #[test]
    fn sizes_are_checked() {
        assert!(check_size(2, 1_000_000).is_ok());
        assert!(check_size(0, 10).is_err());
        assert!(check_size(1, 10).unwrap_err().0.contains("at least 2"));
        assert!(check_size(3, 10).unwrap_err().0.contains("odd"));
        assert!(check_size(2, 0).is_err());
        assert!(check_size(2, MAX_ITERATIONS / 2).is_ok());
        assert!(check_size(2, MAX_ITERATIONS / 2 + 1).is_err());
        assert!(check_size(1024, MAX_ITERATIONS).is_err());
    }
}
