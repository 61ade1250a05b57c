//! The start line of a race, and the contest that starts its threads, pins them, lines them up
//! and gathers what they did.
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
//! Nobody waits at the line for ever, nor for long: another program on a racer's CPU can keep
//! it away, and every yield of a spinner then gives that program a whole time slice. The line
//! has a budget ([`START_BUDGET`], and [`START_PER_THREAD`] for each thread to be created): a
//! racer still waiting when it is spent leaves anyway, and the run says that its threads were
//! not lined up ([`RaceRun::lined_up`]), so `start_skew` tells how far apart they left.
//!
//! Each thread notes when it passed the line. The run's wall time goes from the first start to
//! the last end; `start_skew` (last start minus first) says how together they left, and
//! `overlap` how long all of them were counting at once. No start line can make threads run in
//! parallel when another process holds the other CPUs: then the first thread may finish before
//! the last begins, and `overlap` shows it. The `channel` owner does not race: it sleeps at the
//! gate with the others (so a start called off releases it too), skips the spin and blocks on
//! its queue until the first message comes.

use super::RaceRun;
use crate::exec::Run;
use crate::spawn::{self, Gate, Meeting};
use crate::sys;
use crate::trace::{Recorder, Slice};
use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::atomic::{Ordering::AcqRel, Ordering::Acquire, Ordering::Release};
use std::time::{Duration, Instant};

/// Spins on the go flag between two `yield_now` calls, when spinners must share CPUs.
const SPINS_PER_YIELD: u32 = 64;

/// How long a spinner that has a CPU of its own waits before it starts yielding too.
pub(crate) const SPIN_BEFORE_YIELD: Duration = Duration::from_millis(1);

/// The time the threads of a run get to line up, once they exist.
pub(crate) const START_BUDGET: Duration = Duration::from_millis(20);

/// What each thread adds to the budget, for its creation (tens of µs, more on a busy CPU).
pub(crate) const START_PER_THREAD: Duration = Duration::from_millis(1);

/// A one-use start line for `racers` threads and `helpers` that start with them: none starts
/// before all have arrived, and the racers leave together, spinning rather than sleeping at the
/// last moment (see the module doc). It can be called off ([`StartLine::cancel`]) when a
/// thread will never arrive, because it could not be created: then everyone waiting gives up.
#[derive(Debug)]
pub(crate) struct StartLine {
    /// Everyone exists (sleeping until then).
    all_here: Gate,
    racers: usize,
    /// Does each racer have a CPU of its own to spin on?
    own_cpu: bool,
    arrived: AtomicUsize,
    go: AtomicBool,
    /// When everyone leaves, lined up or not.
    deadline: Instant,
}

impl StartLine {
    /// A line for `racers` threads and `helpers` that may run on `cpus` CPUs at once, with
    /// its budget counted from now.
    pub(crate) fn new(racers: usize, helpers: usize, cpus: usize) -> StartLine {
        let parties = racers + helpers;
        let per_thread =
            START_PER_THREAD.saturating_mul(u32::try_from(parties).unwrap_or(u32::MAX));
        StartLine {
            all_here: Gate::new(parties),
            racers,
            own_cpu: racers <= cpus,
            arrived: AtomicUsize::new(0),
            go: AtomicBool::new(false),
            deadline: Instant::now() + START_BUDGET.saturating_add(per_thread),
        }
    }

    /// A helper checks in: returns when every thread exists ([`Meeting::All`]), the start was
    /// called off, or the budget is spent.
    pub(crate) fn check_in(&self) -> Meeting {
        self.all_here.wait(self.deadline)
    }

    /// A racer checks in: returns [`Meeting::All`] when every racer has checked in and left
    /// the line together with the others, [`Meeting::Late`] when it left without them because
    /// the budget was spent, [`Meeting::CalledOff`] if the start was called off.
    pub(crate) fn wait(&self) -> Meeting {
        let met = self.all_here.wait(self.deadline);
        if met == Meeting::CalledOff {
            return met;
        }
        if self.arrived.fetch_add(1, AcqRel) + 1 >= self.racers {
            self.go.store(true, Release);
            return met;
        }
        let mut spins = 0u32;
        let mut share = !self.own_cpu;
        let since = Instant::now();
        while !self.go.load(Acquire) {
            spins = spins.wrapping_add(1);
            if spins % SPINS_PER_YIELD != 0 {
                spin_loop();
                continue;
            }
            if Instant::now() >= self.deadline {
                return Meeting::Late;
            }
            if share {
                std::thread::yield_now();
            } else {
                share = since.elapsed() >= SPIN_BEFORE_YIELD;
            }
        }
        met
    }

    /// Calls the start off: everyone still sleeping at the line, and everyone to come, gives
    /// up. Only before every thread has arrived, as no racer is spinning then.
    pub(crate) fn cancel(&self) {
        self.all_here.cancel();
    }
}

/// What one thread of a contest did.
struct Party {
    pinned: anyhow::Result<()>,
    /// Did it leave the line with the others (racers), or find them all there (helpers)?
    lined_up: bool,
    start: Instant,
    end: Instant,
    value: i64,
    slices: Vec<Slice>,
    preemptions: Option<u64>,
}

/// The threads of one run, gathered.
pub(super) struct Contest {
    /// What each thread's body returned, by task.
    pub(super) values: Vec<i64>,
    wall: Duration,
    start_skew: Duration,
    overlap: Duration,
    slices: Vec<Slice>,
    preemptions: Option<u64>,
    lined_up: bool,
}

impl Contest {
    pub(super) fn into_race_run(self, final_value: i64) -> RaceRun {
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
            lined_up: self.lined_up,
        }
    }
}

/// Starts `racers + helpers` threads that pin themselves to `pin` (or, without it, each racer
/// to a CPU of its own where it can) and run `body(task, recorder)`; the `racers` (tasks
/// `0..racers`) first meet at a [`StartLine`], the helpers only wait there until every thread
/// exists. Returns their measurements once all are done; the wall time, start skew and overlap
/// are the racers'. Fails where a thread cannot be created (after releasing and joining those
/// already started) or a pin asked for is refused.
pub(super) fn contest(
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
            let met = if task < racers {
                line.wait()
            } else {
                line.check_in()
            };
            let started = met != Meeting::CalledOff;
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
                lined_up: met == Meeting::All,
                start,
                end,
                value,
                slices: recorder.into_slices(),
                preemptions: before.zip(after).map(|(b, a)| a.since(b).involuntary),
            }
        },
    )?;
    let mut values = Vec::with_capacity(parties);
    let lined_up = results.iter().all(|p| p.lined_up);
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
        lined_up,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::Relaxed;

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
                        if through == Meeting::All {
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
        assert_eq!(through, [Meeting::CalledOff, Meeting::CalledOff]);
    }

    #[test]
    fn a_racer_whose_partner_never_comes_leaves_when_the_budget_is_spent() {
        // Two racers, one CPU to share; the second never arrives, and nobody calls it off.
        let line = StartLine::new(2, 0, 1);
        let left = line.wait();
        assert_eq!(left, Meeting::Late);
        assert!(Instant::now() >= line.deadline);
    }
}
