//! What one switch between two tasks on one CPU costs: green tasks, OS threads, processes.
//!
//! Two tasks take turns on one CPU and time every turn. Green tasks yield to each other
//! through the scheduler; OS threads and processes, pinned to the same CPU, call
//! `sched_yield`, which hands the CPU to the other runnable one, so every call is a trip
//! through the kernel's scheduler and a switch of register state (and, between processes, of
//! address space). One yield is a round trip: away to the partner, which notes its own turn
//! and yields back. A switch costs half the median round trip: the median, so that a round
//! trip a passing interrupt or another program stretched does not count, and of the round
//! trips that switched (the OS counts them), because a scheduler may decline to switch to a
//! partner not yet due to run, and such a yield is only a system call.
//!
//! # Sharing the CPU
//!
//! Every probe stops at whichever comes first of its count of rounds and its time budget
//! ([`PROBE_BUDGET`], counted once both sides are there: [`PARTNER_WAIT`]), and says which. Where another program is runnable on the same CPU, a
//! yield hands the CPU to *it*, for a whole time slice (milliseconds), and a round trip then
//! times that program's slice, not a switch: without the budget, thousands of such round trips
//! took tens of seconds. A probe whose round trips were stretched like that
//! ([`SHARED_ROUND_TRIP`], [`SHARED_SHARE`]) reports no figure ([`Unmeasured::SharedCpu`]); one
//! whose yields found nobody to switch to (the partner never came) neither
//! ([`Unmeasured::NoPartner`]). Both sides start together: the threads at a [`Gate`] (called
//! off if the second thread cannot be created, left when the budget is spent), the processes
//! when the parent writes one byte to each.

use super::worker::{WorkerCommand, YieldSide, YieldWorkerArgs};
use crate::green::{Scheduler, yield_now};
use crate::spawn::{self, Gate, Meeting};
use crate::sys;
use anyhow::{Context, bail};
use serde::Serialize;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// The most time one probe may take, once its sides have started: a few tens of ms, ten times
/// what 10,000 thread switches take here, so that on a quiet CPU the count ends it.
pub(crate) const PROBE_BUDGET: Duration = Duration::from_millis(40);

/// A round trip of a yield longer than this did more than switch to the partner and back:
/// another program held the CPU in between (a time slice is 0.75 ms or more; a switch takes
/// about a µs, tens on the slowest virtual machines).
pub(crate) const SHARED_ROUND_TRIP: Duration = Duration::from_micros(100);

/// The longest a side waits for its partner to be there before its budget starts: two
/// processes started one after the other may be ready tens of ms apart on a loaded machine.
/// Waiting costs no stretched yields (see `await_partner`), so this can be long.
pub(crate) const PARTNER_WAIT: Duration = Duration::from_secs(1);

/// The CPU counts as shared when more than this share of the round trips were stretched.
pub(crate) const SHARED_SHARE: f64 = 0.25;

/// Green yields per batch, timed together: one batch is far shorter than a time slice, so a
/// preemption stretches few batches, and the median batch is a run of green switches alone.
const GREEN_BATCH: u64 = 256;

/// What one switch costs, for each way of switching that could be timed here.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct SwitchCosts {
    /// Each `None` where its probe did not run: threads and processes where they cannot be
    /// pinned, all where no switch costs were asked for.
    pub(crate) green: Option<Probe>,
    pub(crate) threads: Option<Probe>,
    pub(crate) processes: Option<Probe>,
}

/// Why a probe that ran gives no figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Unmeasured {
    /// Another program was runnable on the CPU: the round trips timed its time slices.
    SharedCpu,
    /// The yields found nobody to switch to: the partner never ran in between.
    NoPartner,
}

/// One probe: what it timed, and what it made of it (the JSON `switch_probe` of a mode).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Probe {
    /// ns per switch: half the median round trip; `None` where it could not be timed.
    pub(crate) ns: Option<f64>,
    /// The CPU it ran on (`None` for green tasks, which run wherever their thread is).
    pub(crate) cpu: Option<usize>,
    /// Round trips timed, both sides together, and how many were asked for.
    pub(crate) round_trips: u64,
    pub(crate) asked_round_trips: u64,
    /// Did the budget end it before the count did?
    pub(crate) cut_by_budget: bool,
    pub(crate) budget_ms: f64,
    pub(crate) elapsed_ms: f64,
    /// The median round trip of those that switched, in ns (both sides' medians, weighted by
    /// their round trips).
    pub(crate) median_round_trip_ns: f64,
    /// Round trips longer than [`SHARED_ROUND_TRIP`].
    pub(crate) stretched: u64,
    /// Times the OS switched the sides out while they yielded, where it counts them.
    pub(crate) switched: Option<u64>,
    /// Why there is no figure, where there is none.
    pub(crate) unmeasured: Option<Unmeasured>,
}

impl Probe {
    /// ns per switch, where a switch could be timed.
    pub fn ns(&self) -> Option<f64> {
        self.ns
    }

    /// Judges what the two sides of a ping-pong on `cpu` timed; `asked` round trips in all,
    /// `elapsed` from the first start to the last end.
    fn of_sides(sides: &[YieldSide], cpu: usize, asked: u64, elapsed: Duration) -> Probe {
        let round_trips: u64 = sides.iter().map(|s| s.round_trips).sum();
        let stretched: u64 = sides.iter().map(|s| s.stretched).sum();
        let switched = sides.iter().map(|s| s.switched).sum::<Option<u64>>();
        let median = if round_trips == 0 {
            0.0
        } else {
            sides
                .iter()
                .map(|s| s.median_ns as f64 * s.round_trips as f64)
                .sum::<f64>()
                / round_trips as f64
        };
        let unmeasured = if round_trips == 0 || switched.is_some_and(|n| n * 10 < round_trips) {
            Some(Unmeasured::NoPartner)
        } else if median > SHARED_ROUND_TRIP.as_nanos() as f64
            || stretched as f64 > SHARED_SHARE * round_trips as f64
        {
            Some(Unmeasured::SharedCpu)
        } else {
            None
        };
        Probe {
            ns: unmeasured.is_none().then_some(median / 2.0),
            cpu: Some(cpu),
            round_trips,
            asked_round_trips: asked,
            cut_by_budget: round_trips < asked,
            budget_ms: PROBE_BUDGET.as_secs_f64() * 1e3,
            elapsed_ms: elapsed.as_secs_f64() * 1e3,
            median_round_trip_ns: median,
            stretched,
            switched,
            unmeasured,
        }
    }

    /// A probe on cpu0 that timed `ns` per switch, or, without a figure, found the CPU shared
    /// with another program: for tests of what the demos say of either.
    #[cfg(test)]
    pub(crate) fn synthetic(ns: Option<f64>) -> Probe {
        let round_trip = ns.map_or(4e6, |ns| 2.0 * ns);
        Probe {
            ns,
            cpu: Some(0),
            round_trips: 100,
            asked_round_trips: 100,
            median_round_trip_ns: round_trip,
            stretched: if ns.is_some() { 0 } else { 100 },
            unmeasured: ns.is_none().then_some(Unmeasured::SharedCpu),
            ..Probe::default()
        }
    }

    /// Why no figure, in words that end a sentence ("a switch could not be timed: ...").
    pub(crate) fn why_unmeasured(&self) -> Option<String> {
        let on = self
            .cpu
            .map_or_else(|| "its CPU".to_string(), |c| format!("cpu{c}"));
        Some(match self.unmeasured? {
            Unmeasured::SharedCpu => format!(
                "another program was running on {on}: {} of {} yield round trips took over {} µs (median {}), the other program's time slices rather than switches",
                self.stretched,
                self.round_trips,
                SHARED_ROUND_TRIP.as_micros(),
                format_round_trip(self.median_round_trip_ns),
            ),
            Unmeasured::NoPartner => format!(
                "the yields on {on} found nobody to switch to ({} switches in {} round trips): the partner never ran in between",
                self.switched.unwrap_or(0),
                self.round_trips
            ),
        })
    }
}

fn format_round_trip(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

/// One green switch: two tasks yielding to each other `rounds` times each, or until the
/// budget is spent. Nobody else can run between two green switches, so this probe always has
/// a figure: the median batch of [`GREEN_BATCH`] round trips, which leaves out a batch that a
/// preemption of the whole thread stretched.
pub fn green(rounds: u64) -> Probe {
    let start = Instant::now();
    let deadline = start + PROBE_BUDGET;
    let mut scheduler: Scheduler<'_, Vec<u64>> = Scheduler::new();
    for side in 0..2 {
        scheduler.spawn(async move {
            // Side 0 times batches of its round trips; each covers a turn of side 1 too.
            let mut batches = Vec::new();
            let mut batch_start = Instant::now();
            for i in 1..=rounds {
                yield_now().await;
                if i % GREEN_BATCH == 0 {
                    let now = Instant::now();
                    if side == 0 {
                        batches.push((now - batch_start).as_nanos() as u64);
                    }
                    batch_start = now;
                    if now >= deadline {
                        break;
                    }
                }
            }
            batches
        });
    }
    let (mut results, stats) = scheduler.run();
    let elapsed = start.elapsed();
    let batches = &mut results[0];
    let median_batch = if batches.is_empty() {
        elapsed.as_nanos() as f64
    } else {
        batches.sort_unstable();
        batches[batches.len() / 2] as f64
    };
    let per_batch = if batches.is_empty() {
        stats.switches.max(1) as f64 / 2.0
    } else {
        GREEN_BATCH as f64
    };
    let round_trip = median_batch / per_batch;
    // Each yield of either task is a round trip, as each side's yields are in the OS probes.
    Probe {
        ns: Some(round_trip / 2.0),
        cpu: None,
        round_trips: stats.switches,
        asked_round_trips: 2 * rounds,
        cut_by_budget: stats.switches + 1 < 2 * rounds,
        budget_ms: PROBE_BUDGET.as_secs_f64() * 1e3,
        elapsed_ms: elapsed.as_secs_f64() * 1e3,
        median_round_trip_ns: round_trip,
        stretched: 0,
        switched: None,
        unmeasured: None,
    }
}

/// Yields until a yield switches, which shows that someone else is runnable on this CPU: the
/// partner, once it has started (or another program, which a switch to ends the wait at once:
/// so no yield here hands another program more than one time slice). Two processes set off
/// one after the other may start tens of ms apart, and a yield with nobody to switch to times
/// nothing. Gives up at `deadline`, and at once where the OS does not count switches.
fn await_partner(deadline: Instant) {
    let Some(mut last) = sys::thread_context_switches() else {
        return;
    };
    while Instant::now() < deadline {
        std::thread::yield_now();
        match sys::thread_context_switches() {
            Some(now) if now.total() > last.total() => return,
            Some(now) => last = now,
            None => return,
        }
    }
}

/// One side of an OS-level ping-pong on this thread: once the partner is there (waited for
/// until `partner_by`), `rounds` yields or `budget`, each timed; start and end on `clock`.
fn yield_side(
    rounds: u64,
    partner_by: Instant,
    budget: Duration,
    clock: impl Fn() -> u64,
) -> YieldSide {
    let mut trips: Vec<u32> = Vec::with_capacity(rounds.min(1 << 20) as usize);
    await_partner(partner_by);
    let deadline = Instant::now() + budget;
    let before = sys::thread_context_switches();
    let start_ns = clock();
    let mut last = Instant::now();
    for _ in 0..rounds {
        std::thread::yield_now();
        let now = Instant::now();
        trips.push(u32::try_from((now - last).as_nanos()).unwrap_or(u32::MAX));
        last = now;
        if now >= deadline {
            break;
        }
    }
    let end_ns = clock();
    let after = sys::thread_context_switches();
    let stretched = trips
        .iter()
        .filter(|&&t| u128::from(t) > SHARED_ROUND_TRIP.as_nanos())
        .count() as u64;
    let switched = before.zip(after).map(|(b, a)| a.since(b).total());
    YieldSide {
        round_trips: trips.len() as u64,
        median_ns: median_switching(&mut trips, switched),
        stretched,
        switched,
        start_ns,
        end_ns: end_ns.max(start_ns),
    }
}

/// The median of the round trips that switched, where the OS says how many did (`switched`):
/// a yield that switched costs a switch away and one back, one that did not (the partner was
/// not eligible to run yet) only a system call, so the switching ones are the slowest. Where
/// the OS does not count, the median of all.
fn median_switching(trips: &mut [u32], switched: Option<u64>) -> u64 {
    let n = trips.len();
    let k = switched.map_or(n, |s| usize::try_from(s).unwrap_or(n).min(n));
    if k == 0 {
        return 0;
    }
    u64::from(*trips.select_nth_unstable(n - k + k / 2).1)
}

/// One OS-thread switch: two threads pinned to `cpu` yielding `rounds` times each, or until
/// the budget is spent.
pub fn threads(cpu: usize, rounds: u64) -> anyhow::Result<Probe> {
    let gate = Gate::new(2);
    let epoch = Instant::now();
    let partner_by = epoch + PARTNER_WAIT;
    let clock = || epoch.elapsed().as_nanos() as u64;
    let sides = spawn::on_threads(
        "yielding threads",
        2,
        || gate.cancel(),
        |_| -> anyhow::Result<YieldSide> {
            // A thread that cannot pin still checks in, so that the other is not left waiting.
            let pinned = sys::pin_current_thread(cpu);
            if gate.wait(partner_by) == Meeting::CalledOff {
                bail!("the other yielding thread could not be created");
            }
            pinned?;
            Ok(yield_side(rounds, partner_by, PROBE_BUDGET, clock))
        },
    )?;
    let sides = sides.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Probe::of_sides(&sides, cpu, 2 * rounds, span(&sides)))
}

/// From the first side's start to the last side's end.
fn span(sides: &[YieldSide]) -> Duration {
    let start = sides.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let end = sides.iter().map(|s| s.end_ns).max().unwrap_or(0);
    Duration::from_nanos(end.saturating_sub(start))
}

/// The body of the hidden `yield-worker` subcommand: pin, wait for the go byte on stdin,
/// yield until its rounds or its budget are spent, print what it timed ([`YieldSide::line`]).
pub(crate) fn yield_worker(args: &YieldWorkerArgs, out: &mut impl Write) -> anyhow::Result<()> {
    sys::pin_current_thread(args.cpu as usize)?;
    let mut go = [0u8; 1];
    std::io::stdin().read_exact(&mut go)?;
    sys::monotonic_ns().context("no monotonic clock")?;
    let partner_by = Instant::now() + PARTNER_WAIT;
    let budget = Duration::from_micros(args.budget_us);
    let side = yield_side(args.rounds, partner_by, budget, || {
        sys::monotonic_ns().unwrap_or(0)
    });
    writeln!(out, "{}", side.line())?;
    Ok(())
}

/// One process switch: two child processes of `exe` pinned to `cpu` yielding `rounds` times
/// each, or until the budget is spent.
pub(crate) fn processes(exe: &Path, cpu: usize, rounds: u64) -> anyhow::Result<Probe> {
    let yielder = WorkerCommand::YieldWorker(YieldWorkerArgs {
        cpu: cpu as u64,
        rounds,
        budget_us: PROBE_BUDGET.as_micros() as u64,
        parent: None,
    });
    let mut workers = super::children::start_workers(exe, &[yielder.clone(), yielder], true)?;
    // Both children are started and blocked on stdin: one byte each sets them off together.
    for stdin in workers.0.iter_mut().map(|c| c.stdin.take()) {
        stdin
            .context("piped stdin")?
            .write_all(b"g")
            .context("cannot start a yield worker")?;
    }
    let watch = super::children::Watch::new(PARTNER_WAIT + PROBE_BUDGET, 2, Duration::ZERO);
    let outputs = super::children::collect(&mut workers, &watch)?;
    let sides = outputs
        .iter()
        .map(|output| YieldSide::parse(output))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Probe::of_sides(&sides, cpu, 2 * rounds, span(&sides)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(round_trips: u64, median_ns: u64, stretched: u64, switched: Option<u64>) -> YieldSide {
        YieldSide {
            round_trips,
            median_ns,
            stretched,
            switched,
            start_ns: 0,
            end_ns: 1_000_000,
        }
    }

    fn judged(sides: &[YieldSide]) -> Probe {
        Probe::of_sides(sides, 0, 20_000, Duration::from_millis(1))
    }

    #[test]
    fn a_green_switch_is_measured_within_the_budget() {
        let probe = green(10_000);
        let ns = probe.ns.unwrap();
        assert!(ns > 0.0 && ns.is_finite());
        assert!(probe.elapsed_ms < 10.0 * PROBE_BUDGET.as_secs_f64() * 1e3);
    }

    #[test]
    fn a_thread_switch_is_timed_where_pinning_works() {
        if let Some(cpu) = sys::affinity().and_then(|a| a.first().copied()) {
            let probe = threads(cpu, 1000).unwrap();
            assert!(probe.round_trips > 0);
            assert!(probe.round_trips <= 2000);
            // On a CPU that another test or program holds, it says so instead of a figure.
            assert!(probe.ns.is_some_and(|ns| ns > 0.0) || probe.unmeasured.is_some());
        }
    }

    #[test]
    fn a_switch_is_half_the_median_round_trip() {
        let probe = judged(&[
            side(10_000, 1000, 3, Some(10_000)),
            side(10_000, 1200, 0, Some(9_990)),
        ]);
        assert_eq!(probe.ns, Some(550.0));
        assert_eq!(probe.unmeasured, None);
        assert!(!probe.cut_by_budget);
    }

    #[test]
    fn round_trips_stretched_by_another_program_give_no_figure() {
        // Beside a busy program, each yield gave it a time slice: 4 ms round trips.
        let busy = judged(&[
            side(5, 4_000_000, 5, Some(5)),
            side(5, 4_000_000, 5, Some(5)),
        ]);
        assert_eq!(busy.ns, None);
        assert_eq!(busy.unmeasured, Some(Unmeasured::SharedCpu));
        assert!(busy.cut_by_budget);
        let why = busy.why_unmeasured().unwrap();
        assert!(
            why.starts_with("another program was running on cpu0"),
            "{why}"
        );
        assert!(why.contains("median 4.0 ms"), "{why}");
        // A median that looks like a switch, but a third of the trips went to someone else.
        let some = judged(&[
            side(900, 1000, 300, Some(900)),
            side(900, 1000, 300, Some(900)),
        ]);
        assert_eq!(some.unmeasured, Some(Unmeasured::SharedCpu));
        // A few stretched trips (an interrupt, a short wake-up) leave the figure standing.
        let few = judged(&[
            side(900, 1000, 20, Some(900)),
            side(900, 1000, 20, Some(900)),
        ]);
        assert_eq!(few.ns, Some(500.0));
    }

    #[test]
    fn only_the_round_trips_that_switched_count() {
        // 6 yields, 2 of which switched: those are the two slowest.
        let mut trips = [200, 210, 1000, 1100, 190, 205];
        assert_eq!(median_switching(&mut trips, Some(2)), 1100);
        let mut trips = [200, 210, 1000, 1100, 190, 205];
        assert_eq!(median_switching(&mut trips, None), 210);
        assert_eq!(median_switching(&mut trips, Some(0)), 0);
        assert_eq!(median_switching(&mut [], Some(5)), 0);
        let mut all = [900, 1000, 1100];
        assert_eq!(median_switching(&mut all, Some(99)), 1000);
    }

    #[test]
    fn yields_without_a_partner_give_no_figure() {
        let alone = judged(&[side(10_000, 150, 0, Some(3)), side(0, 0, 0, Some(0))]);
        assert_eq!(alone.unmeasured, Some(Unmeasured::NoPartner));
        assert!(alone.why_unmeasured().unwrap().contains("found nobody"));
        assert_eq!(judged(&[]).unmeasured, Some(Unmeasured::NoPartner));
        // Where the OS does not count switches, the round trips alone decide.
        assert_eq!(
            judged(&[side(10, 900, 0, None), side(10, 900, 0, None)]).ns,
            Some(450.0)
        );
    }
}
