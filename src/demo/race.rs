//! `conpar race`: the shared-variable exercise. Threads count one counter up and down at the
//! same moment; the unsynchronised way loses updates, four fixes do not, and each is timed.
//!
//! Does concurrency make the programmer's life easier or harder? This demo shows the classic
//! answer with figures: the naive read-then-write (`unsync`) is safe Rust and still wrong in
//! most runs, because Rust rules out data races (undefined behaviour) but not race conditions
//! (a correct-looking interleaving that gives a wrong answer).
//!
//! # Figures
//!
//! - `final_values`: the counter after each run; the right answer is 0.
//! - `wrong_runs`: runs that did not end at 0. `checksum_ok` is true when there were none.
//! - Lost updates: a run that ends at `v` lost at least `|v|` updates. It is a lower bound, not
//!   a count: a lost increment leaves the counter one too low and a lost decrement one too high,
//!   so losses of both kinds cancel out. `lost_updates_median` and `lost_updates_max` summarise
//!   `|v|` over the runs.
//! - `ns_per_op`: the median over runs of wall time / (threads x iterations), the wall time
//!   going from the first thread's start to the last one's end (see [`crate::exec::race`]).
//! - `speedup`: against `atomic`, the simplest correct way to share a counter and the one a
//!   Rust programmer reaches for first, so the column reads "how much faster or slower than the
//!   obvious fix" (`unsync` being faster than 1 is the price of correctness, not a win). Every
//!   mode does the same number of changes, so speedup is also the ratio of ns per operation.
//!   When `atomic` is not run, the first mode run is the baseline and a note says so.
//! - `efficiency`: speedup / threads, as in every demo; with a shared counter there is no work
//!   to divide, so it says little here.

use super::Repeats;
use crate::claims::Claim;
use crate::engine::{self, Env, Measurement, Oracle, Plan};
use crate::exec::race::{self, Mode, Race, RaceRun};
use crate::findings::{Findings, RaceFindings, RaceTiming};
use crate::report::{ModeResult, Report, SCHEMA, format_ms};
use crate::stats::{self, Summary};
use crate::sys::Machine;
use anyhow::Context;
use std::fmt::Write as _;
use std::time::Duration;

/// What `race` runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Threads changing the counter: even, at least 2.
    pub threads: usize,
    /// Changes per thread per run.
    pub iterations: u64,
    /// Measured runs per mode.
    pub runs: usize,
    /// Unmeasured runs per mode first.
    pub warmup: usize,
    /// The modes to run; empty means all. Run and shown in [`Mode::ALL`] order.
    pub modes: Vec<Mode>,
    /// Pin every thread to the first CPU of the affinity mask.
    pub one_core: bool,
    /// May a progress bar be shown?
    pub progress: bool,
}

/// A floor of the wall time per change of each mode, all threads together, well below what
/// any machine measured (2.7, 18, 106, 54 and 1.6 ns on the development machine): for the
/// budget, which refuses only what is sure to take too long.
fn floor_ns_per_op(mode: Mode) -> f64 {
    match mode {
        Mode::Unsync | Mode::Local => 0.5,
        Mode::Atomic => 2.0,
        Mode::Mutex | Mode::Channel => 5.0,
    }
}

impl Measurement for RaceRun {
    fn run(&self) -> &crate::exec::Run {
        &self.run
    }
}

/// The measured runs of one mode.
pub struct ModeRuns {
    mode: Mode,
    runs: Vec<RaceRun>,
}

impl ModeRuns {
    fn finals(&self) -> Vec<i64> {
        self.runs.iter().map(|r| r.final_value).collect()
    }

    fn wrong_runs(&self) -> usize {
        self.runs.iter().filter(|r| r.final_value != 0).count()
    }

    /// `|final value|` of each run: a lower bound of the updates it lost.
    fn lost(&self) -> Vec<u64> {
        self.runs
            .iter()
            .map(|r| r.final_value.unsigned_abs())
            .collect()
    }

    /// The median of [`ModeRuns::lost`].
    fn lost_median(&self) -> f64 {
        let lost: Vec<f64> = self.lost().iter().map(|&l| l as f64).collect();
        Summary::of(&lost).map_or(0.0, |s| s.median)
    }

    fn ns_per_op(&self, operations: u64) -> Summary {
        let samples: Vec<f64> = self
            .runs
            .iter()
            .map(|r| r.run.wall.as_nanos() as f64 / operations as f64)
            .collect();
        Summary::of(&samples).expect("at least one measured run")
    }

    fn preemptions(&self) -> Option<u64> {
        self.runs.iter().map(|r| r.preemptions).sum()
    }
}

pub fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    race::check_size(config.threads, config.iterations)?;
    let machine = env.machine.clone();
    let pin = if config.one_core {
        Some(one_core(&machine)?)
    } else {
        None
    };
    let chosen = selected(&config.modes);
    let operations = config.threads as u64 * config.iterations;
    let modes: Vec<engine::Mode<'_, RaceRun>> = chosen
        .iter()
        .map(|&mode| {
            let race = Race {
                mode,
                threads: config.threads,
                iterations: config.iterations,
                pin,
            };
            let estimate = Duration::from_secs_f64(operations as f64 * floor_ns_per_op(mode) / 1e9);
            engine::Mode::new(mode.name(), config.threads, estimate, move || {
                // Pinning (the point of --one-core) or creating the threads can fail.
                race::run(&race).with_context(|| {
                    format!("the {} race of {} threads", mode.name(), config.threads)
                })
            })
        })
        .collect();
    let plan = Plan {
        repeats: Repeats {
            runs: config.runs,
            warmup: config.warmup,
        },
        watch: pin.map_or_else(|| env.mask(), |c| vec![c]),
        oracle: Oracle::Known(0),
        advice: "use fewer --iterations, --threads or --runs",
        progress: config.progress,
    };
    let outcome = engine::measure(env, modes, &plan)?;
    let measured = &outcome.modes;
    let all: Vec<ModeRuns> = chosen
        .iter()
        .zip(measured)
        .map(|(&mode, m)| ModeRuns {
            mode,
            runs: m.values().cloned().collect(),
        })
        .collect();
    let base = all.iter().position(|m| m.mode == Mode::Atomic).unwrap_or(0);
    let results: Vec<ModeResult> = all
        .iter()
        .zip(measured)
        .map(|(m, meas)| {
            let mut result = meas.result(&measured[base], 0);
            result.findings = Findings::Race(findings(m, config.iterations, operations));
            result
        })
        .collect();
    let timeline = super::timeline_of(measured);
    let one_cpu = pin.is_some() || machine.cpu_capacity() <= 1.0;
    let claims = claims(&all, &results, one_cpu);
    let mut notes = notes(config, &machine, pin, &all, &results, base);
    // The conclusions, after the figures they come from.
    notes.splice(2..2, claims.iter().map(|c| c.text.clone()));
    let notes = super::notes_with(&outcome.interference, notes);
    Ok(Report {
        schema: SCHEMA,
        demo: "race".into(),
        machine,
        workload: None,
        results,
        maxprocs: None,
        amdahl: None,
        timeline,
        interference: outcome.interference,
        claims,
        notes,
    })
}

/// The race's claims: did unsync lose updates, and were all the fixes exact?
pub fn claims(all: &[ModeRuns], results: &[ModeResult], one_cpu: bool) -> Vec<Claim> {
    let mut claims = Vec::new();
    if let Some(u) = all.iter().find(|m| m.mode == Mode::Unsync) {
        let (wrong, runs) = (u.wrong_runs(), u.runs.len());
        let lost_max = u.lost().into_iter().max().unwrap_or(0);
        let mut finals = u.finals();
        finals.sort_unstable();
        finals.dedup();
        let distinct = finals.len();
        let text = if wrong > 0 {
            format!(
                "unsync lost updates: it ended away from 0 in {wrong} of {runs} runs, losing at least {lost_max} updates in the worst{}.",
                if distinct > 1 {
                    format!(
                        ", with {distinct} different final values: the outcome depends on timing, so a test can pass by luck"
                    )
                } else {
                    String::new()
                }
            )
        } else if one_cpu {
            format!(
                "The race did not show in {runs} runs: on one CPU a thread must be preempted between its read and its write, which is rare in a short loop; more --iterations give it more chances. The code is still wrong: nothing stops that preemption."
            )
        } else {
            format!(
                "The race did not show in {runs} runs: no update landed between a thread's read and its write this time; more --iterations give it more chances. The code is still wrong: nothing stops that."
            )
        };
        claims.push(
            Claim::new("race.lost_updates", Some("unsync"))
                .figure("wrong_runs", wrong)
                .figure("runs", runs)
                .figure("lost_updates_max", lost_max)
                .figure("distinct_final_values", distinct)
                .figure("one_cpu", one_cpu)
                .judged(Some(wrong > 0), text),
        );
    }
    let fixes: Vec<&ModeResult> = results.iter().filter(|r| r.mode != "unsync").collect();
    if !fixes.is_empty() {
        let broken: Vec<&str> = fixes
            .iter()
            .filter(|r| !r.checksum_ok)
            .map(|r| r.mode.as_str())
            .collect();
        let names: Vec<&str> = fixes.iter().map(|r| r.mode.as_str()).collect();
        claims.push(
            Claim::new("race.fixes_exact", None)
                .figure("modes", &names)
                .figure("broken", &broken)
                .judged(
                    Some(broken.is_empty()),
                    if broken.is_empty() {
                        format!(
                            "Every fix was exact: {} ended at 0 in every run.",
                            names.join(", ")
                        )
                    } else {
                        format!(
                            "A bug: {} ended away from 0, which a fix must never do.",
                            broken.join(", ")
                        )
                    },
                ),
        );
    }
    claims
}

/// The modes asked for, each once, in [`Mode::ALL`] order.
fn selected(modes: &[Mode]) -> Vec<Mode> {
    Mode::ALL
        .into_iter()
        .filter(|m| modes.is_empty() || modes.contains(m))
        .collect()
}

/// The CPU `--one-core` pins to: the first this process may use.
fn one_core(machine: &Machine) -> anyhow::Result<usize> {
    machine
        .affinity
        .as_ref()
        .and_then(|mask| mask.first().copied())
        .context("--one-core needs to pin threads to one CPU, and this platform does not tell which CPUs this process may use")
}

/// The race's own figures of a mode.
fn findings(m: &ModeRuns, iterations: u64, operations: u64) -> RaceFindings {
    RaceFindings {
        iterations,
        wrong_runs: m.wrong_runs(),
        lost_updates_median: m.lost_median(),
        lost_updates_max: m.lost().iter().copied().max().unwrap_or(0),
        ns_per_op: m.ns_per_op(operations).median,
        final_values: m.finals(),
        reason: reason(m.mode, m.wrong_runs()),
        timing: timing(m),
    }
}

/// When the threads of a mode's runs counted: only while their loops overlap can updates
/// collide.
fn timing(m: &ModeRuns) -> RaceTiming {
    let skews: Vec<f64> = m
        .runs
        .iter()
        .map(|r| r.start_skew.as_secs_f64() * 1e6)
        .collect();
    let shares: Vec<f64> = m
        .runs
        .iter()
        .map(|r| {
            let wall = r.run.wall.as_secs_f64();
            if wall > 0.0 {
                100.0 * r.overlap.as_secs_f64() / wall
            } else {
                0.0
            }
        })
        .collect();
    RaceTiming {
        start_skew_us: Summary::of(&skews).map(|s| [s.median, s.max]),
        loops_overlap_pct: Summary::of(&shares).map(|s| s.median),
        runs_apart: m.runs.iter().filter(|r| r.overlap.is_zero()).count(),
        preemptions: m.preemptions(),
    }
}

/// How long the unsync threads were counting at the same time: only then can updates collide.
fn overlap_note(t: &RaceTiming, one_cpu: bool) -> String {
    let mut note = format!(
        "In the unsync runs the threads' counting loops overlapped in time for {:.0}% of the run (median){}",
        t.loops_overlap_pct.unwrap_or(0.0),
        if one_cpu {
            ", taking turns on one CPU, never in parallel"
        } else {
            ""
        }
    );
    if t.runs_apart > 0 {
        let _ = write!(
            note,
            "; in {} run(s) one thread finished before another began, so no update could be lost{}",
            t.runs_apart,
            if one_cpu {
                " (no preemption came in the middle of a loop)"
            } else {
                " (a busy machine can take a waiting thread's CPU just before the start)"
            }
        );
    }
    note.push('.');
    note
}

/// Why the mode gave what it gave, in one line.
fn reason(mode: Mode, wrong_runs: usize) -> &'static str {
    match (mode, wrong_runs) {
        (Mode::Unsync, 0) => {
            "no update lost this time, but read-then-write is still a race: nothing stops a thread between the two steps"
        }
        (Mode::Unsync, _) => {
            "read and write are two steps: an update landing between them is overwritten"
        }
        (_, w) if w > 0 => "a bug: this mode must never lose an update",
        (Mode::Atomic, _) => "fetch_add/fetch_sub read, change and write in one indivisible step",
        (Mode::Mutex, _) => "the lock lets one thread at a time read and write",
        (Mode::Channel, _) => {
            "one owner thread alone touches the counter; the others send it messages"
        }
        (Mode::Local, _) => "nothing is shared: private counts are added after the join",
    }
}

fn notes(
    config: &Config,
    machine: &Machine,
    pin: Option<usize>,
    all: &[ModeRuns],
    results: &[ModeResult],
    base: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    // Can the threads run in parallel at all, or only take turns?
    let one_cpu = pin.is_some() || machine.cpu_capacity() <= 1.0;
    let cpus = machine
        .affinity
        .as_ref()
        .map_or(machine.available_parallelism, Vec::len);
    let half = config.threads / 2;
    let operations = config.threads as u64 * config.iterations;
    let sides = if half == 1 {
        "1 thread adds 1 and 1 subtracts 1".to_string()
    } else {
        format!("{half} threads add 1 and {half} subtract 1")
    };
    notes.push(format!(
        "{sides}, {} times each per run, so the right final value is 0; {} run(s) per mode, {operations} changes per run.",
        config.iterations, config.runs
    ));
    notes.push(
        "Rust rules out data races, not race conditions: unsync uses only atomic loads and stores, so it is safe Rust with no undefined behaviour, yet reading and then writing in two steps lets one thread overwrite another's update."
            .into(),
    );
    let found = |mode: Mode| {
        results
            .iter()
            .find(|r| r.mode == mode.name())
            .and_then(|r| r.findings.race())
    };
    if let Some(u) = found(Mode::Unsync) {
        let finals = &u.final_values;
        let (lo, hi) = (
            finals.iter().min().copied().unwrap_or(0),
            finals.iter().max().copied().unwrap_or(0),
        );
        let preempted = u.timing.preemptions.map_or_else(String::new, |p| {
            format!("; its threads were preempted {p} time(s) while counting")
        });
        let where_ = match pin {
            Some(cpu) => format!(" with every thread on CPU {cpu}"),
            None => String::new(),
        };
        notes.push(format!(
            "unsync was wrong in {} of {} runs{}: final values from {} to {}, at least {:.0} updates lost in the median run and {} at most, out of {}{}.",
            u.wrong_runs,
            finals.len(),
            where_,
            lo,
            hi,
            u.lost_updates_median,
            u.lost_updates_max,
            operations,
            preempted
        ));
        notes.push(
            "A final value v means at least |v| updates were lost: a lost increment and a lost decrement cancel out, so lost_updates is a lower bound."
                .into(),
        );
        notes.push(overlap_note(&u.timing, one_cpu));
    }
    if let Some(cpu) = pin {
        notes.push(format!(
            "--one-core: all threads took turns on CPU {cpu}, so they never ran at the same instant; an update is lost only when a thread is preempted between its read and its write, which is rarer, but then every change the other threads made meanwhile is overwritten at once. A loop shorter than a scheduler timeslice (a few ms) is seldom preempted: more --iterations give the race more chances."
        ));
    } else if one_cpu {
        notes.push(format!(
            "This process has {} CPU's worth of time: the threads take turns, so updates are lost only when a thread is preempted between its read and its write.",
            crate::maxprocs::format_cpus(machine.cpu_capacity())
        ));
    }
    // The start line matters most where updates can be lost: unsync's, else the first mode's.
    let skew = found(Mode::Unsync)
        .or_else(|| results.first().and_then(|r| r.findings.race()))
        .and_then(|f| f.timing.start_skew_us);
    if let Some([median, max]) = skew.filter(|_| one_cpu) {
        notes.push(format!(
            "On one CPU the threads cannot leave the start line together: the last started {median:.1} µs after the first in the median run ({max:.1} µs at most), when the CPU came free."
        ));
    } else if let Some([median, max]) = skew {
        notes.push(format!(
            "Each thread was pinned to {} and waited at a start line, spinning rather than sleeping: the last started {median:.1} µs after the first in the median run ({max:.1} µs at most), where waking a sleeping thread can take tens of µs.",
            if config.threads <= cpus {
                "a CPU of its own".to_string()
            } else {
                format!("one of the {cpus} CPUs in turn")
            },
        ));
    }
    let speed: Vec<(Mode, f64)> = all
        .iter()
        .map(|m| (m.mode, m.ns_per_op(operations).median))
        .collect();
    if speed.len() > 1 {
        let fastest = speed.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        let slowest = speed.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        notes.push(format!(
            "{} was the fastest at {:.2} ns per change and {} the slowest at {:.2} ns ({:.0} times slower); speedup is against {}'s median wall time ({} ms){}.",
            fastest.0.name(),
            fastest.1,
            slowest.0.name(),
            slowest.1,
            stats::speedup(slowest.1, fastest.1),
            results[base].mode,
            format_ms(results[base].wall_ms.median),
            if results[base].mode == Mode::Atomic.name() {
                ", the simplest correct fix"
            } else {
                ", the first mode run, as atomic was not"
            }
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(modes: Vec<Mode>, threads: usize) -> Config {
        Config {
            threads,
            iterations: 2000,
            runs: 4,
            warmup: 0,
            modes,
            one_core: false,
            progress: false,
        }
    }

    fn run_here(config: &Config) -> anyhow::Result<Report> {
        run(config, &Env::with_load(0.0))
    }

    fn found(r: &ModeResult) -> &RaceFindings {
        r.findings.race().expect("race findings")
    }

    #[test]
    fn the_fixes_are_reported_correct() {
        for threads in [2, 4] {
            let report = run_here(&config(vec![], threads)).unwrap();
            let names: Vec<_> = report.results.iter().map(|r| r.mode.as_str()).collect();
            assert_eq!(names, ["unsync", "atomic", "mutex", "channel", "local"]);
            for r in report.results.iter().skip(1) {
                assert!(r.checksum_ok, "{}", r.mode);
                assert_eq!(found(r).wrong_runs, 0);
                assert_eq!(found(r).lost_updates_max, 0);
                assert_eq!(found(r).final_values, [0, 0, 0, 0]);
                assert_eq!(r.threads, threads);
            }
            // atomic is the baseline of speedup.
            assert_eq!(report.results[1].speedup, 1.0);
        }
    }

    #[test]
    fn unsync_is_reported_truthfully() {
        let report = run_here(&config(vec![Mode::Unsync], 4)).unwrap();
        let r = &report.results[0];
        let finals = &found(r).final_values;
        assert_eq!(finals.len(), 4);
        let wrong = finals.iter().filter(|&&v| v != 0).count();
        assert_eq!(found(r).wrong_runs, wrong);
        let max = finals.iter().map(|v| v.unsigned_abs()).max().unwrap();
        assert_eq!(found(r).lost_updates_max, max);
        assert!(max <= 2 * 2000);
        assert_eq!(r.checksum_ok, wrong == 0);
        let reason = found(r).reason;
        assert_eq!(reason.starts_with("no update lost"), wrong == 0);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains(&format!("unsync was wrong in {wrong} of 4 runs")))
        );
        // Only unsync ran, so it is its own baseline.
        assert_eq!(r.speedup, 1.0);
    }

    #[test]
    fn every_field_is_there() {
        let report = run_here(&config(vec![Mode::Local, Mode::Atomic, Mode::Local], 2)).unwrap();
        assert_eq!(report.results.len(), 2);
        assert_eq!(report.results[0].mode, "atomic");
        let json = serde_json::to_value(&report.results[1]).unwrap();
        for key in [
            "iterations",
            "wrong_runs",
            "lost_updates_median",
            "lost_updates_max",
            "ns_per_op",
            "final_values",
            "reason",
            "timing",
        ] {
            assert!(json[key] != serde_json::Value::Null, "{key}");
        }
        assert!(json["ns_per_op"].as_f64().unwrap() > 0.0);
        assert!(json["timing"]["loops_overlap_pct"].is_number());
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("not race conditions"))
        );
        assert_eq!(report.timeline.runs.len(), 2);
    }

    #[test]
    fn bad_sizes_are_usage_errors() {
        let mut c = config(vec![Mode::Atomic], 1);
        let e = run_here(&c).unwrap_err();
        assert!(e.downcast_ref::<crate::error::UsageError>().is_some());
        c.threads = 2;
        c.iterations = u64::MAX;
        assert!(
            run_here(&c)
                .unwrap_err()
                .downcast_ref::<crate::error::UsageError>()
                .is_some()
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn one_core_uses_one_cpu() {
        let mut c = config(vec![], 2);
        c.one_core = true;
        let report = run_here(&c).unwrap();
        for r in &report.results {
            assert_eq!(r.cpus_used.len(), 1, "{}", r.mode);
        }
        assert!(report.notes.iter().any(|n| n.contains("--one-core")));
    }
}

#[cfg(test)]
mod claim_tests {
    //! Every outcome of the race's claims, on synthetic runs.
    use super::*;
    use crate::exec::Run;
    use crate::stats::Summary;

    fn runs(mode: Mode, finals: &[i64]) -> ModeRuns {
        ModeRuns {
            mode,
            runs: finals
                .iter()
                .map(|&final_value| RaceRun {
                    run: Run {
                        wall: Duration::from_millis(1),
                        checksum: final_value as u64,
                        slices: Vec::new(),
                        context_switches: None,
                    },
                    final_value,
                    start_skew: Duration::ZERO,
                    overlap: Duration::ZERO,
                    preemptions: None,
                })
                .collect(),
        }
    }

    fn row(mode: &str, ok: bool) -> ModeResult {
        ModeResult {
            mode: mode.into(),
            threads: 2,
            cpus_used: vec![0],
            wall_ms: Summary::of(&[1.0]).unwrap(),
            speedup: 1.0,
            speedup_interval: [1.0, 1.0],
            efficiency: 0.5,
            checksum_ok: ok,
            interference: None,
            findings: Findings::default(),
        }
    }

    #[test]
    fn lost_updates_hold_only_when_a_run_went_wrong() {
        let seen = claims(
            &[runs(Mode::Unsync, &[0, -120, 77])],
            &[row("unsync", false)],
            false,
        );
        assert_eq!(seen[0].id, "race.lost_updates");
        assert_eq!(seen[0].holds, Some(true));
        assert!(seen[0].text.contains("2 of 3 runs") && seen[0].text.contains("at least 120"));
        assert!(seen[0].text.contains("3 different final values"));
        // The tour on one CPU: no run went wrong. Say so, and why, never "up to 0 lost".
        let none = claims(&[runs(Mode::Unsync, &[0; 5])], &[row("unsync", true)], true);
        assert_eq!(none[0].holds, Some(false));
        assert!(
            none[0]
                .text
                .starts_with("The race did not show in 5 runs: on one CPU")
        );
        assert!(!none[0].text.contains("differently every time"));
        let two = claims(
            &[runs(Mode::Unsync, &[0; 5])],
            &[row("unsync", true)],
            false,
        );
        assert!(!two[0].text.contains("one CPU"));
    }

    #[test]
    fn fixes_are_exact_only_when_every_one_ended_at_zero() {
        let ok = claims(&[], &[row("atomic", true), row("mutex", true)], false);
        assert_eq!((ok[0].id, ok[0].holds), ("race.fixes_exact", Some(true)));
        let bad = claims(&[], &[row("atomic", true), row("mutex", false)], false);
        assert_eq!(bad[0].holds, Some(false));
        assert!(bad[0].text.contains("mutex"));
    }
}
