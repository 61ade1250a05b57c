//! `conpar maxprocs`: what GOMAXPROCS changes, as a measured scaling curve with Amdahl's law.
//!
//! The worker limit (GOMAXPROCS for Go, `--maxprocs` / `CONPAR_MAXPROCS` here) is only a number
//! of workers; what it buys depends on the CPUs underneath. This demo shows that with a sweep:
//! the same total work, split into many tasks, runs on rayon pools of P workers for several P,
//! and the table gives each P's wall time, speedup over P = 1, efficiency and Karp-Flatt serial
//! fraction. Amdahl's law is then fitted to the speedups (see [`crate::amdahl`]), with
//! `p = min(P, CPUs)`: workers beyond the CPUs only take turns, so the curve flattens there and
//! the report says so. `--serial-fraction F` makes a known fraction of every run serial (the
//! first F of every task runs on the calling thread before the pool runs the rest, same total
//! work, same checksum), so the fit can be seen to recover F.
//!
//! # Keeping the sweep bounded on big machines
//!
//! - The default P list is every P up to min(CPUs, 8), then the powers of two below the CPU
//!   count, the CPU count itself, the powers of two up to twice the CPU count and twice the CPU
//!   count (and the worker limit, when it is not there yet): 3 points on 2 CPUs, 12 on 64, 14
//!   on 256; it grows with the logarithm of the CPU count.
//! - The total work is fixed (`--total-time`, 800 ms of one-CPU work by default), so a round
//!   over all P costs about `T * (1 + 1/2 + ... + 1/8 + a little)`, under 3 T however many CPUs
//!   there are. The default sweep (one sequential pass for the checksum, 1 warm-up and 3
//!   measured rounds) takes about 8 s on 2 CPUs and about 10 s on 256.
//! - Tasks default to 8 per CPU (at least the largest P, at most [`MAX_TASKS`]), so memory
//!   (a few slices per task and run) grows linearly with the CPU count, and only one pool (of
//!   the current P) is alive at a time.
//!
//! Rounds go over every P in turn (P = 1, 2, 4, 1, 2, 4, ...) rather than all runs of one P
//! together, so that a burst of load from elsewhere on the machine spreads over all P instead
//! of skewing one of them.

use super::Repeats;
use crate::amdahl::{self, AmdahlReport, Point};
use crate::claims::Claim;
use crate::engine::{self, Env, Mode, Oracle, Plan};
use crate::exec::Run;
use crate::exec::pool::Pool;
use crate::findings::{Findings, MaxprocsFindings};
use crate::interference::Interference;
use crate::limits::{MAX_TASKS, MAX_THREADS};
use crate::maxprocs::{CpuFacts, Limit, MaxprocsReport, cpus_phrase, format_cpus};
use crate::report::{ModeResult, Report, SCHEMA, Timeline, WorkloadReport, format_ms};
use crate::stats;
use crate::workload::{WorkSize, Workload};
use std::time::Duration;

/// Tasks per CPU by default: enough for rayon to balance the load at every P of the default
/// list (4 per worker at twice the CPU count).
pub const TASKS_PER_CPU: usize = 8;

/// The default list has every P up to this many CPUs, then powers of two.
pub const DENSE_UP_TO: usize = 8;

/// A min-max spread above this fraction of the median gets a note: the figures are no more
/// precise than that.
pub const NOISY_SPREAD: f64 = 0.10;

/// How much work one run of the sweep does; the same for every P.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SweepSize {
    /// Exactly this many units per task (`--units`).
    UnitsPerTask(u64),
    /// This much one-CPU time for all tasks together, calibrated (`--total-time`).
    TotalTime(Duration),
}

/// What `maxprocs` runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Worker counts to measure (`--procs`); `None` for the default list.
    pub procs: Option<Vec<usize>>,
    /// Tasks the work is split into; `None` for the default.
    pub tasks: Option<usize>,
    pub size: SweepSize,
    /// Fraction of every task run on one thread before the parallel part, in `[0, 1)`.
    pub serial_fraction: f64,
    pub seed: u64,
    pub repeats: Repeats,
    /// May a progress bar be shown?
    pub progress: bool,
    /// The worker limit in force.
    pub limit: Limit,
}

/// The default list of P for `cpus` CPUs (see the module doc).
pub fn default_procs(cpus: usize) -> Vec<usize> {
    let cpus = cpus.max(1);
    let mut procs: Vec<usize> = (1..=cpus.min(DENSE_UP_TO)).collect();
    let mut p = DENSE_UP_TO * 2;
    while p < cpus {
        procs.push(p);
        p *= 2;
    }
    procs.push(cpus);
    let mut p = cpus.next_power_of_two();
    while p < 2 * cpus {
        procs.push(p);
        p *= 2;
    }
    procs.push(2 * cpus);
    tidy(procs)
}

/// The P list to run: the one asked for, or the default list with the worker limit; P = 1 is
/// always there, as the baseline. The flag says whether P = 1 had to be added.
pub fn procs_to_run(asked: Option<&[usize]>, cpus: usize, limit: usize) -> (Vec<usize>, bool) {
    let mut procs = if let Some(list) = asked {
        list.to_vec()
    } else {
        let mut list = default_procs(cpus);
        list.push(limit);
        list
    };
    let added_one = !procs.contains(&1);
    procs.push(1);
    (tidy(procs), added_one && asked.is_some())
}

/// Sorted, without duplicates, within `1..=MAX_THREADS`.
fn tidy(mut procs: Vec<usize>) -> Vec<usize> {
    procs.retain(|&p| p >= 1);
    for p in &mut procs {
        *p = (*p).min(MAX_THREADS as usize);
    }
    procs.sort_unstable();
    procs.dedup();
    procs
}

/// The default number of tasks: 8 per CPU, at least the largest P, at most [`MAX_TASKS`].
pub fn default_tasks(cpus: usize, largest_p: usize) -> usize {
    (TASKS_PER_CPU * cpus.max(1))
        .max(largest_p)
        .min(MAX_TASKS as usize)
}

/// Which flags make the sweep smaller.
const ADVICE: &str = "use fewer --units, --tasks, --procs or --runs, or a shorter --total-time";

pub fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    let machine = env.machine.clone();
    let facts = CpuFacts::of(&machine);
    let cpus = machine.available_parallelism;
    let capacity = facts.capacity();
    let (procs, added_one) = procs_to_run(config.procs.as_deref(), cpus, config.limit.workers);
    let largest = *procs.last().expect("P = 1 at least");
    let tasks = config.tasks.unwrap_or_else(|| default_tasks(cpus, largest));
    let size = match config.size {
        SweepSize::UnitsPerTask(units) => WorkSize::Units(units),
        SweepSize::TotalTime(total) => WorkSize::TaskTime(total / tasks as u32),
    };
    let workload = Workload::new(tasks, size, config.seed);
    let serial_units = ((config.serial_fraction * workload.units_per_task as f64).round() as u64)
        .min(workload.units_per_task);
    let serial_set = serial_units as f64 / workload.units_per_task.max(1) as f64;

    // Every run is about one pass's serial part plus its parallel part spread over min(P, CPUs).
    let pass = workload.estimated_pass();
    let modes: Vec<Mode<'_, Run>> = procs
        .iter()
        .map(|&p| {
            let estimate = pass
                .mul_f64(serial_set + (1.0 - serial_set) / amdahl::processors(p as f64, capacity));
            let work = &workload;
            Mode::new(format!("P={p}"), p, estimate, move || {
                let pool = Pool::new(p)?;
                pool.wait_ready();
                Ok(pool.run_split(work, serial_units))
            })
        })
        .collect();
    // The oracle is a plain sequential pass: P = 1 is a pool like the others, not a reference.
    engine::check_budget(modes.iter().map(|m| m.estimate), config.repeats, ADVICE)?;
    let expected = workload.expected_checksum();
    let plan = Plan {
        repeats: config.repeats,
        watch: env.mask(),
        oracle: Oracle::Known(expected),
        advice: ADVICE,
        progress: config.progress,
    };
    let outcome = engine::measure(env, modes, &plan)?;
    let measured = &outcome.modes;
    let baseline = measured[0].wall_ms().median;
    let mut results: Vec<ModeResult> = measured
        .iter()
        .map(|m| m.result(&measured[0], expected))
        .collect();
    let points = results
        .iter()
        .map(|r| Point {
            threads: r.threads,
            p: amdahl::processors(r.threads as f64, capacity),
            speedup: r.speedup,
            speedup_min: stats::speedup(baseline, r.wall_ms.max),
            speedup_max: stats::speedup(baseline, r.wall_ms.min),
        })
        .collect();
    let fit = AmdahlReport::new(points, capacity, serial_set);
    for r in &mut results {
        r.findings = Findings::Maxprocs(MaxprocsFindings {
            karp_flatt: stats::karp_flatt(r.speedup, r.threads),
            amdahl_speedup: fit.predicted(r.threads),
        });
    }

    let maxprocs = MaxprocsReport::new(config.limit, &machine);
    let claims = claims(&results, &fit, &outcome.interference);
    let mut notes = maxprocs.notes();
    notes.extend(sweep_notes(&Sweep {
        workload: &workload,
        results: &results,
        fit: &fit,
        limit: config.limit,
        added_one,
        claims: &claims,
    }));
    let notes = super::notes_with(&outcome.interference, notes);
    Ok(Report {
        schema: SCHEMA,
        demo: "maxprocs".into(),
        machine,
        workload: Some(WorkloadReport::new(workload, config.repeats, expected)),
        results,
        maxprocs: Some(maxprocs),
        amdahl: Some(fit),
        timeline: Timeline::default(),
        interference: outcome.interference,
        claims,
        notes,
    })
}

/// A P above the CPUs must beat the best P within them by this much in every round to count
/// as a gain: less is within the noise of the runs.
const GAIN: f64 = 1.05;

/// A fit that misses the points by more than this (rms, in speedup) does not describe them.
const FIT_RMS: f64 = 0.15;

/// The sweep's claims: no gain from P above the CPUs, and whether the Amdahl fit describes the
/// work (rather than the machine's load, or the noise of runs too short to time).
pub fn claims(
    results: &[ModeResult],
    fit: &AmdahlReport,
    interference: &Interference,
) -> Vec<Claim> {
    let mut claims = Vec::new();
    let capacity = cpus_phrase(fit.cpus);
    let baseline_ms = results.first().map_or(0.0, |b| b.wall_ms.median);
    let unjudgeable = crate::claims::speed_unjudgeable(interference, baseline_ms);
    let within = |r: &&ModeResult| r.threads as f64 <= fit.cpus + 1e-9;
    let best_within = results
        .iter()
        .filter(within)
        .map(|r| r.speedup)
        .fold(1.0, f64::max);
    let over: Vec<&ModeResult> = results
        .iter()
        .filter(|r| !within(r) && r.threads > 1)
        .collect();
    if let Some(last) = over.last() {
        let list = over
            .iter()
            .map(|r| format!("P = {}", r.threads))
            .collect::<Vec<_>>()
            .join(", ");
        let best_over = over.iter().map(|r| r.speedup).fold(0.0, f64::max);
        let gained: Vec<&&ModeResult> = over
            .iter()
            .filter(|r| r.speedup_interval[0] > best_within * GAIN)
            .collect();
        let (holds, text) = match (&unjudgeable, gained.first()) {
            (Some(why), _) => (
                None,
                format!(
                    "Whether P above the {capacity} this process may use ({list}) gives more speedup cannot be judged here: {why} (best speedup {best_within:.2} within the CPUs, {best_over:.2} above)."
                ),
            ),
            (None, None) => (
                Some(true),
                format!(
                    "P above the {capacity} this process may use ({list}) gives no further speedup: the extra workers only take turns on the same CPUs, which is concurrency, not more parallelism. The best speedup above the CPUs was {best_over:.2} against {best_within:.2} within them, while efficiency falls ({:.2} at P = {}){}.",
                    last.efficiency,
                    last.threads,
                    if karp_flatt_rises(results) {
                        " and karp_flatt rises, because workers that add no CPU count as serial time"
                    } else {
                        ""
                    }
                ),
            ),
            (None, Some(r)) => (
                Some(false),
                format!(
                    "P = {} was faster in every round than the best P within the {capacity} ({:.2} against {best_within:.2}): more workers than CPUs cannot make CPU-bound work faster, so the runs within the CPUs lost time to something else (other programs, or too little work per task).",
                    r.threads, r.speedup
                ),
            ),
        };
        claims.push(
            Claim::new("maxprocs.no_gain_above_cpus", None)
                .figure("cpu_capacity", fit.cpus)
                .figure("best_within", best_within)
                .figure("best_over", best_over)
                .figure(
                    "gained",
                    gained.iter().map(|r| r.threads).collect::<Vec<_>>(),
                )
                .judged(holds, text),
        );
    }
    if let (Some(s), Some(rms)) = (fit.serial_fraction, fit.rms_error) {
        let bound = fit.max_speedup.map_or_else(
            || "nothing but the number of CPUs limits the speedup".to_string(),
            |m| format!("no number of CPUs can give a speedup above {m:.1}"),
        );
        let described = format!(
            "Amdahl fit (least squares over all {} points, with p = min(P, {capacity})): serial fraction {s:.3}, rms error {rms:.3}",
            fit.points.len()
        );
        let impossible = results.iter().find(|r| r.speedup > fit.cpus.max(1.0) * 1.1);
        let (holds, text) = match (&unjudgeable, impossible) {
            (_, Some(r)) => (
                Some(false),
                format!(
                    "{described}; it does not describe the work: P = {}'s speedup of {:.2} is more than {capacity} can give, so these timings are noise (too little work per run to time).",
                    r.threads, r.speedup
                ),
            ),
            (Some(why), None) => (
                None,
                format!(
                    "{described}. Whether it describes the work or the machine's load cannot be judged here: {why}."
                ),
            ),
            (None, None) if rms > FIT_RMS => (
                Some(false),
                format!(
                    "{described}; it misses the points by {rms:.2} on average, so it does not describe this work: Amdahl's law does not fit these runs."
                ),
            ),
            (None, None) => (Some(true), format!("{described}; {bound}.")),
        };
        claims.push(
            Claim::new("maxprocs.fit_is_the_work", None)
                .figure("serial_fraction", s)
                .figure("rms_error", rms)
                .figure("cpu_capacity", fit.cpus)
                .figure("verdict", interference.verdict)
                .figure("baseline_ms", baseline_ms)
                .judged(holds, text),
        );
    }
    claims.extend(two_beat_one(results, interference));
    claims.push(crate::claims::checksums(results, None));
    claims
}

/// Does the Karp-Flatt serial fraction grow from the first P that has one to the last?
fn karp_flatt_rises(results: &[ModeResult]) -> bool {
    let values: Vec<f64> = results
        .iter()
        .filter_map(|r| stats::karp_flatt(r.speedup, r.threads))
        .collect();
    values.len() >= 2 && values.last() > values.first()
}

/// `maxprocs.two_beat_one`: was P = 2 faster than P = 1 by its median (as the table shows it),
/// on a run that can judge speed? The smallest step of the curve, and the one `--check` asks
/// of every machine with more than one CPU's worth of time.
fn two_beat_one(results: &[ModeResult], interference: &Interference) -> Option<Claim> {
    let one = results.iter().find(|r| r.threads == 1)?;
    let two = results.iter().find(|r| r.threads == 2)?;
    let [low, high] = two.speedup_interval;
    let figures = format!(
        "P = 2 took {} ms against {} ms at P = 1: speedup {:.2}, {low:.2}-{high:.2} in single rounds",
        format_ms(two.wall_ms.median),
        format_ms(one.wall_ms.median),
        two.speedup
    );
    let (holds, text) = match crate::claims::mode_speed_unjudgeable(
        two,
        interference,
        one.wall_ms.median,
    ) {
        Some(why) => (
            None,
            format!("Whether P = 2 is faster than P = 1 cannot be judged here: {why} ({figures})."),
        ),
        None if two.speedup > 1.0 => (
            Some(true),
            format!("P = 2 was faster than P = 1 ({figures})."),
        ),
        None if high <= 1.0 => (
            Some(false),
            format!("P = 2 was no faster than P = 1 in any round ({figures})."),
        ),
        None => (
            None,
            format!(
                "P = 2 was not faster than P = 1 by its median, though faster in some rounds ({figures}): the rounds disagree."
            ),
        ),
    };
    Some(
        Claim::new("maxprocs.two_beat_one", None)
            .figure("speedup", two.speedup)
            .figure("speedup_interval", two.speedup_interval)
            .figure("baseline_ms", one.wall_ms.median)
            .figure("verdict", interference.verdict)
            .judged(holds, text),
    )
}

/// What the notes are written from.
struct Sweep<'a> {
    workload: &'a Workload,
    results: &'a [ModeResult],
    fit: &'a AmdahlReport,
    limit: Limit,
    added_one: bool,
    claims: &'a [Claim],
}

fn sweep_notes(sweep: &Sweep) -> Vec<String> {
    let Sweep {
        workload,
        results,
        fit,
        limit,
        added_one,
        claims,
    } = *sweep;
    let mut notes = Vec::new();
    let serial = if fit.serial_fraction_set > 0.0 {
        format!(
            ", the first {:.1}% of every task on one thread before the rest runs on the pool",
            fit.serial_fraction_set * 100.0
        )
    } else {
        String::new()
    };
    notes.push(format!(
        "Every run does the same work: {} tasks of {} units, about {} ms on one CPU{serial}. Speedup is P = 1's median over P's; karp_flatt is the serial fraction each speedup implies, (1/speedup - 1/P) / (1 - 1/P).",
        workload.tasks,
        workload.units_per_task,
        format_ms(workload.estimated_pass().as_secs_f64() * 1e3),
    ));
    if added_one {
        notes.push("P = 1 was added to the list: it is the baseline of every speedup.".into());
    }
    let capacity = cpus_phrase(fit.cpus);
    match crate::claims::find(claims, "maxprocs.fit_is_the_work", None) {
        Some(fit_claim) => notes.push(fit_claim.text.clone()),
        _ if results.len() < 2 => notes.push(
            "No Amdahl fit: only P = 1 was measured, and the fit needs a point where more than one worker could run at once.".into(),
        ),
        _ => notes.push(format!(
            "No Amdahl fit: it needs a point where more than one CPU could work at once, and this process has {capacity}."
        )),
    }
    if fit.serial_fraction_set > 0.0 {
        let f = fit.serial_fraction_set;
        notes.push(format!(
            "With a serial fraction of {f:.3}, Amdahl's law allows a speedup of at most {:.2} on unlimited CPUs and {:.2} on these {capacity}{}.",
            1.0 / f,
            amdahl::speedup(f, amdahl::processors(f64::MAX, fit.cpus)),
            fit.serial_fraction
                .map_or_else(String::new, |s| format!("; the fit found {s:.3}"))
        ));
    }
    if fit.cpus <= 1.0 {
        notes.push(format!(
            "Only {} CPU's worth of time for this process: the workers take turns (concurrency) but never run at the same time (parallelism), so no P can beat P = 1 here.",
            format_cpus(fit.cpus)
        ));
    } else if fit.cpus < 2.0 {
        notes.push(format!(
            "Only {} CPUs' worth of time for this process: two workers can run at the same time for only part of it, so over a long run no P can beat P = 1 by more than {}x.",
            format_cpus(fit.cpus),
            format_cpus(fit.cpus)
        ));
    }
    notes.extend(
        crate::claims::find(claims, "maxprocs.no_gain_above_cpus", None).map(|c| c.text.clone()),
    );
    if let Some(r) = results.iter().find(|r| r.threads == limit.workers) {
        notes.push(format!(
            "P = {} is the worker limit in force (from {}), the pool size every subcommand uses by default: speedup {:.2} here.",
            limit.workers,
            limit.source.name(),
            r.speedup
        ));
    }
    let idle: Vec<String> = results
        .iter()
        .filter(|r| r.threads > workload.tasks)
        .map(|r| format!("P = {}", r.threads))
        .collect();
    if !idle.is_empty() {
        notes.push(format!(
            "{} has more workers than the {} tasks: some workers had nothing to do.",
            idle.join(", "),
            workload.tasks
        ));
    }
    if let Some((r, spread)) = results
        .iter()
        .map(|r| (r, (r.wall_ms.max - r.wall_ms.min) / r.wall_ms.median))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|&(_, spread)| spread > NOISY_SPREAD)
    {
        notes.push(format!(
            "The runs of P = {} spread by {:.0}% of their median: this machine was noisy, so every speedup here is only good to about that much (--runs 9, or a quieter moment, gives steadier figures).",
            r.threads,
            spread * 100.0
        ));
    }
    notes.extend(super::checksum_note(sweep.claims));
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_list_is_dense_then_doubles_and_stays_short() {
        assert_eq!(default_procs(1), [1, 2]);
        assert_eq!(default_procs(2), [1, 2, 4]);
        assert_eq!(default_procs(3), [1, 2, 3, 4, 6]);
        assert_eq!(default_procs(8), [1, 2, 3, 4, 5, 6, 7, 8, 16]);
        assert_eq!(default_procs(12), [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24]);
        assert_eq!(default_procs(64), [1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128]);
        assert_eq!(default_procs(256).len(), 14);
        assert_eq!(default_procs(256).last(), Some(&512));
        for cpus in 1..=4096 {
            let list = default_procs(cpus);
            assert!(list.len() <= 17, "{cpus}: {list:?}");
            assert!(list.contains(&1) && list.contains(&cpus.min(MAX_THREADS as usize)));
            assert!(list.windows(2).all(|w| w[0] < w[1]));
            assert!(*list.last().unwrap() <= MAX_THREADS as usize);
        }
    }

    #[test]
    fn the_list_run_has_the_baseline_and_the_limit() {
        assert_eq!(procs_to_run(None, 2, 2), (vec![1, 2, 4], false));
        assert_eq!(procs_to_run(None, 2, 3), (vec![1, 2, 3, 4], false));
        assert_eq!(procs_to_run(Some(&[4, 2, 2]), 2, 3), (vec![1, 2, 4], true));
        assert_eq!(procs_to_run(Some(&[1, 8]), 2, 3), (vec![1, 8], false));
    }

    #[test]
    fn tasks_default_to_eight_per_cpu_within_bounds() {
        assert_eq!(default_tasks(2, 4), 16);
        assert_eq!(default_tasks(2, 64), 64);
        assert_eq!(default_tasks(1024, 2048), MAX_TASKS as usize);
    }

    fn config(procs: &[usize], serial_fraction: f64) -> Config {
        Config {
            procs: Some(procs.to_vec()),
            tasks: Some(6),
            size: SweepSize::UnitsPerTask(3000),
            serial_fraction,
            seed: 4,
            repeats: Repeats { runs: 2, warmup: 0 },
            progress: false,
            limit: Limit::resolve(Some((2, crate::maxprocs::Source::Flag)), 1),
        }
    }

    #[test]
    fn a_small_sweep_reports_every_p_with_its_figures() {
        let report = run(&config(&[1, 2, 3], 0.25), &Env::with_load(0.0)).unwrap();
        assert_eq!(report.demo, "maxprocs");
        let threads: Vec<usize> = report.results.iter().map(|r| r.threads).collect();
        assert_eq!(threads, [1, 2, 3]);
        assert!(report.results.iter().all(|r| r.checksum_ok));
        assert_eq!(report.results[0].speedup, 1.0);
        let found = |i: usize| report.results[i].findings.maxprocs().unwrap();
        assert!(found(0).karp_flatt.is_none());
        assert!(found(1).karp_flatt.is_some());
        let amdahl = report.amdahl.clone().unwrap();
        assert_eq!(amdahl.points.len(), 3);
        assert_eq!(amdahl.serial_fraction_set, 0.25);
        assert!(
            amdahl
                .points
                .iter()
                .all(|p| p.speedup_min <= p.speedup && p.speedup <= p.speedup_max)
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["maxprocs"]["limit"], 2);
        assert_eq!(json["maxprocs"]["source"], "--maxprocs");
        assert!(json["results"][1]["karp_flatt"].is_number());
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("P = 2 is the worker limit"))
        );
    }

    #[test]
    fn the_baseline_is_added_when_missing() {
        let report = run(&config(&[2], 0.0), &Env::with_load(0.0)).unwrap();
        assert_eq!(report.results[0].threads, 1);
        assert!(report.notes.iter().any(|n| n.contains("P = 1 was added")));
    }
}

#[cfg(test)]
mod claim_tests {
    //! Every outcome of the sweep's claims, on synthetic findings.
    use super::*;
    use crate::interference::Verdict;
    use crate::stats::Summary;

    /// P, median wall ms, and the per-round speedup interval.
    fn sweep(points: &[(usize, f64, [f64; 2])]) -> Vec<ModeResult> {
        let baseline = points[0].1;
        points
            .iter()
            .map(|&(p, wall, interval)| ModeResult {
                mode: format!("P={p}"),
                threads: p,
                cpus_used: vec![0],
                wall_ms: Summary::of(&[wall]).unwrap(),
                speedup: baseline / wall,
                speedup_interval: interval,
                efficiency: baseline / wall / p as f64,
                checksum_ok: true,
                interference: None,
                findings: Findings::default(),
            })
            .collect()
    }

    fn fit(results: &[ModeResult], cpus: f64) -> AmdahlReport {
        let points = results
            .iter()
            .map(|r| Point {
                threads: r.threads,
                p: amdahl::processors(r.threads as f64, cpus),
                speedup: r.speedup,
                speedup_min: r.speedup_interval[0],
                speedup_max: r.speedup_interval[1],
            })
            .collect();
        AmdahlReport::new(points, cpus, 0.0)
    }

    fn machine(verdict: Verdict) -> Interference {
        let mut i = Interference::none();
        i.verdict = verdict;
        i.others_cpus = Some(if verdict == Verdict::Disturbed {
            0.9
        } else {
            0.02
        });
        i
    }

    fn judge(points: &[(usize, f64, [f64; 2])], cpus: f64, verdict: Verdict) -> Vec<Claim> {
        let results = sweep(points);
        claims(&results, &fit(&results, cpus), &machine(verdict))
    }

    fn holds(claims: &[Claim], id: &str) -> Option<bool> {
        crate::claims::find(claims, id, None).unwrap().holds
    }

    #[test]
    fn two_quiet_cpus_gain_nothing_above_them_and_fit_the_work() {
        let c = judge(
            &[
                (1, 400.0, [1.0, 1.0]),
                (2, 205.0, [1.9, 2.0]),
                (4, 207.0, [1.85, 1.97]),
            ],
            2.0,
            Verdict::Quiet,
        );
        assert_eq!(holds(&c, "maxprocs.no_gain_above_cpus"), Some(true));
        assert_eq!(holds(&c, "maxprocs.fit_is_the_work"), Some(true));
    }

    #[test]
    fn a_gain_above_the_cpus_is_said_as_seen_not_denied() {
        // P = 4 faster than P = 2 in every round: "no further speedup" would be false.
        let c = judge(
            &[
                (1, 400.0, [1.0, 1.0]),
                (2, 330.0, [1.1, 1.3]),
                (4, 290.0, [1.3, 1.45]),
            ],
            2.0,
            Verdict::Quiet,
        );
        assert_eq!(holds(&c, "maxprocs.no_gain_above_cpus"), Some(false));
        let text = &crate::claims::find(&c, "maxprocs.no_gain_above_cpus", None)
            .unwrap()
            .text;
        assert!(text.starts_with("P = 4 was faster"), "{text}");
    }

    #[test]
    fn impossible_speedups_and_tiny_work_do_not_describe_the_work() {
        // --units 1 --serial-fraction 0.999999: a "speedup" of 12.65 on 2 CPUs.
        let noise = judge(
            &[(1, 25.3, [1.0, 1.0]), (2, 2.0, [9.0, 14.0])],
            2.0,
            Verdict::Quiet,
        );
        assert_eq!(holds(&noise, "maxprocs.fit_is_the_work"), Some(false));
        // CONPAR_MAXPROCS=1024 --units 200: a baseline of 1 ms cannot be judged.
        let tiny = judge(
            &[
                (1, 1.0, [1.0, 1.0]),
                (2, 0.9, [0.8, 1.3]),
                (4, 0.72, [1.2, 1.5]),
            ],
            2.0,
            Verdict::Quiet,
        );
        assert_eq!(holds(&tiny, "maxprocs.no_gain_above_cpus"), None);
        assert_eq!(holds(&tiny, "maxprocs.fit_is_the_work"), None);
    }

    #[test]
    fn a_busy_machine_leaves_the_fit_unjudged() {
        // One busy loop on a 2-CPU machine: a "serial fraction" of 0.385 that is the load.
        let c = judge(
            &[
                (1, 400.0, [1.0, 1.0]),
                (2, 303.0, [1.2, 1.4]),
                (4, 300.0, [1.25, 1.4]),
            ],
            2.0,
            Verdict::Disturbed,
        );
        assert_eq!(holds(&c, "maxprocs.fit_is_the_work"), None);
        assert_eq!(holds(&c, "maxprocs.no_gain_above_cpus"), None);
        let text = &crate::claims::find(&c, "maxprocs.fit_is_the_work", None)
            .unwrap()
            .text;
        assert!(text.contains("cannot be judged"), "{text}");
    }

    #[test]
    fn one_cpu_has_no_fit_and_sixty_four_have_no_p_above() {
        let one = judge(
            &[(1, 400.0, [1.0, 1.0]), (2, 405.0, [0.97, 1.0])],
            1.0,
            Verdict::Quiet,
        );
        assert!(crate::claims::find(&one, "maxprocs.fit_is_the_work", None).is_none());
        assert_eq!(holds(&one, "maxprocs.no_gain_above_cpus"), Some(true));
        let many = judge(
            &[(1, 400.0, [1.0, 1.0]), (8, 52.0, [7.5, 7.8])],
            64.0,
            Verdict::Quiet,
        );
        assert!(crate::claims::find(&many, "maxprocs.no_gain_above_cpus", None).is_none());
        assert_eq!(holds(&many, "maxprocs.fit_is_the_work"), Some(true));
    }

    #[test]
    fn two_beat_one_by_the_median_and_says_so_only_when_judged() {
        let two = |wall: f64, interval: [f64; 2], verdict: Verdict| {
            let c = judge(&[(1, 400.0, [1.0, 1.0]), (2, wall, interval)], 2.0, verdict);
            crate::claims::find(&c, "maxprocs.two_beat_one", None)
                .unwrap()
                .clone()
        };
        // Two quiet CPUs, and a 1.5-CPU quota's smaller gain: both faster.
        let quiet = two(210.0, [1.8, 1.95], Verdict::Quiet);
        assert_eq!(quiet.holds, Some(true), "{}", quiet.text);
        assert!(quiet.text.starts_with("P = 2 was faster than P = 1"));
        assert_eq!(two(280.0, [1.3, 1.5], Verdict::Quiet).holds, Some(true));
        // One CPU: no round faster, said as seen.
        let slow = two(410.0, [0.95, 0.99], Verdict::Quiet);
        assert_eq!(slow.holds, Some(false));
        assert!(
            slow.text.contains("no faster than P = 1 in any round"),
            "{}",
            slow.text
        );
        // Rounds that disagree, and a busy machine: not judged.
        assert_eq!(two(404.0, [0.9, 1.1], Verdict::Quiet).holds, None);
        let busy = two(300.0, [1.2, 1.4], Verdict::Disturbed);
        assert_eq!(busy.holds, None);
        assert!(busy.text.contains("cannot be judged here"), "{}", busy.text);
        // No P = 2 in the sweep, no claim.
        let c = judge(
            &[(1, 400.0, [1.0, 1.0]), (64, 10.0, [38.0, 42.0])],
            64.0,
            Verdict::Quiet,
        );
        assert!(crate::claims::find(&c, "maxprocs.two_beat_one", None).is_none());
    }
}
