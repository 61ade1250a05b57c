//! `conpar parallel`: the same tasks one after another, on one OS thread each, and on a rayon
//! pool; speedup and efficiency against sequential.
//!
//! The sequential run is the oracle: every other mode must reproduce its checksum, and its
//! median wall time is the baseline of every speedup.

use super::{Mode, Repeats, Sequential};
use crate::claims::ClaimId;
use crate::claims::{self, Claim};
use crate::engine::{self, Env, Oracle, Plan, Runner};
use crate::error::UsageError;
use crate::exec::{pool::Pool, sequential, threads};
use crate::interference::Interference;
use crate::maxprocs::{Limit, MaxprocsReport};
use crate::model::claim_figures::{AtOnceFigures, BusyShareFigures, SpeedFigures};
use crate::model::{ModeResult, Report, Timeline, WorkloadReport};
use crate::placement::{self, CoreSpeed, Placement};
use crate::report::format_ms;
use crate::sys::Machine;
use crate::workload::{WorkSize, Workload};

/// What `--check` asks of this demo's report, besides [`super::EVERY_DEMO`]'s: the claims
/// it exists to show.
pub(crate) const CHECKS: &[(crate::model::ClaimId, crate::model::Expect)] = &[(
    crate::model::ClaimId::ParallelFaster,
    crate::model::Expect::Faster,
)];

/// A way of running the tasks at once, besides [`Sequential`], which always runs first as the
/// baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// One OS thread per task.
    Threads,
    /// The tasks on a rayon pool of `--threads` workers, started afresh for each run (and
    /// ready before the run's clock starts). A pool reused from run to run lets the kernel
    /// leave both its workers on the CPU of the thread that woke them: in the tour, after
    /// the one-CPU section, rayon's two tasks ran one after the other on one CPU in all three
    /// rounds of 2 tours in 10 here; with a pool per run, as `threads` and `maxprocs` start
    /// theirs, in none of 12.
    Rayon,
    /// One OS thread per task, each pinned to a CPU of a placement (`--placement`).
    Pinned(Placement),
}

impl Mode for Way {
    fn name(self) -> &'static str {
        match self {
            Way::Threads => "threads",
            Way::Rayon => "rayon",
            Way::Pinned(placement) => placement.mode(),
        }
    }
}

/// What `parallel` runs.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) tasks: usize,
    /// Workers of the rayon pool.
    pub(crate) threads: usize,
    /// Places to pin the tasks to, one more mode each (`--placement`).
    pub(crate) placements: Vec<Placement>,
    /// The worker limit in force (`--maxprocs`, `CONPAR_MAXPROCS` or the default), reported
    /// beside the pool size.
    pub(crate) limit: Limit,
    pub(crate) size: WorkSize,
    pub(crate) seed: u64,
    pub(crate) repeats: Repeats,
    /// May a progress bar be shown?
    pub(crate) progress: bool,
}

pub(crate) fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    let machine = env.machine.clone();
    let mask = machine.affinity.as_deref();
    // A place this machine does not have is bad input, refused before any work.
    let placements = placement::resolve(&config.placements, machine.topology.as_ref(), mask)
        .map_err(UsageError)?;
    let core_speeds = match &machine.topology {
        Some(topology) => placement::core_speeds(topology, mask)?,
        None => Vec::new(),
    };
    let workload = Workload::new(config.tasks, config.size, config.seed);
    // Checked before anything runs, so that a refused thread fails fast; each rayon run then
    // starts a pool of its own (see `Way::Rayon`).
    let workers = Pool::new(config.threads)?.workers();
    let pass = workload.estimated_pass();
    let spread =
        |workers: usize| pass.div_f64(workers.clamp(1, machine.available_parallelism) as f64);
    let mut modes = vec![
        Runner::new(Sequential.name(), 1, pass, || {
            Ok(sequential::run(&workload))
        }),
        Runner::new(
            Way::Threads.name(),
            config.tasks,
            spread(config.tasks),
            || threads::run(&workload),
        ),
        Runner::new(Way::Rayon.name(), workers, spread(workers), || {
            let pool = Pool::new(workers)?;
            pool.wait_ready();
            Ok(pool.run(&workload))
        }),
    ];
    for (place, cpus) in &placements {
        let (workload, cpus) = (&workload, cpus.as_slice());
        modes.push(Runner::new(
            Way::Pinned(*place).name(),
            config.tasks,
            spread(config.tasks.min(cpus.len())),
            move || threads::run_on(workload, cpus),
        ));
    }
    let plan = Plan {
        repeats: config.repeats,
        watch: env.mask(),
        oracle: Oracle::FirstMode,
        advice: "use fewer --units, --tasks or --runs",
        progress: config.progress,
        tasks_and_units: Some((workload.tasks, workload.units_per_task)),
    };
    let outcome = engine::measure(env, modes, &plan)?;
    let measured = &outcome.modes;
    let expected = outcome.expected;
    let results: Vec<_> = measured
        .iter()
        .map(|m| m.result(&measured[0], expected))
        .collect();
    let timeline = super::timeline_of(measured);
    let claims = claims(
        &machine,
        &workload,
        &results,
        &timeline,
        &outcome.interference,
    );
    let mut notes = notes(&machine, &workload, &results, &claims);
    notes.extend(topology_notes(
        &machine,
        workload.tasks,
        &placements,
        &results,
        &core_speeds,
    ));
    let maxprocs = MaxprocsReport::new(config.limit, &machine);
    notes.push(pool_note(config.threads, &maxprocs));
    notes.extend(maxprocs.notes());
    let notes = super::notes_with(&outcome.interference, notes);
    Ok(Report {
        workload: Some(WorkloadReport::new(workload, config.repeats, expected)),
        maxprocs: Some(maxprocs),
        core_speeds: (!core_speeds.is_empty()).then_some(core_speeds),
        ..super::report(
            crate::model::Demo::Parallel,
            machine,
            results,
            timeline,
            outcome.interference,
            claims,
            notes,
        )
    })
}

/// Says where the pool's size came from.
fn pool_note(threads: usize, maxprocs: &MaxprocsReport) -> String {
    if threads == maxprocs.limit {
        format!(
            "The rayon pool has {threads} worker(s): the worker limit, from {}.",
            maxprocs.source.name()
        )
    } else {
        format!(
            "The rayon pool has {threads} worker(s), set by --threads (the worker limit, {} from {}, applies when --threads is not given).",
            maxprocs.limit,
            maxprocs.source.name()
        )
    }
}

/// The claims of `parallel`: whether parallelism is possible here, and per parallel mode
/// whether its tasks ran at the same time, whether it was faster, and whether a speedup came
/// from a larger share of a busy CPU instead of from parallelism.
pub(crate) fn claims(
    machine: &Machine,
    workload: &Workload,
    results: &[ModeResult],
    timeline: &Timeline,
    interference: &Interference,
) -> Vec<Claim> {
    let possible = claims::parallel_possible(machine);
    let baseline_ms = results.first().map_or(0.0, |b| b.wall_ms.median);
    let mut all = vec![possible.clone()];
    for r in results.iter().skip(1) {
        let mode = r.mode.as_str();
        let (at_once, wall_ms) = claims::drawn(timeline, mode, false);
        let cpus = crate::sys::cpu_list(&r.cpus_used);
        all.push(
            Claim::new(ClaimId::ParallelAtOnce, Some(mode))
                .with(AtOnceFigures {
                    at_once_ms: at_once,
                    wall_ms,
                    cpus_used: r.cpus_used.clone(),
                })
                .judged(
                    at_once.map(|ms| ms > 0.0),
                    match at_once {
                        Some(ms) if ms > 0.0 => format!(
                            "{mode}: its tasks ran on different CPUs at the same time for {} of the {} ms of the run drawn (parallelism).",
                            format_ms(ms),
                            format_ms(wall_ms)
                        ),
                        Some(_) => format!(
                            "{mode}: its tasks never ran at the same instant in the run drawn: they took turns on CPU(s) {cpus} (concurrency without parallelism)."
                        ),
                        None => format!(
                            "{mode}: this system does not say which CPU ran what, so whether its tasks ran at the same time cannot be told."
                        ),
                    },
                ),
        );
        let [low, high] = r.speedup_interval;
        let figures = format!(
            "speedup {:.2}, {low:.2}-{high:.2} in single rounds",
            r.speedup
        );
        let speed = claims::Speed::of(r, interference, baseline_ms);
        let text = match &speed {
            _ if workload.tasks < 2 => format!(
                "{mode}: one task cannot be shared out, so there is nothing to speed up ({figures})."
            ),
            claims::Speed::Unjudgeable(why) => format!(
                "{mode}: whether it is faster than one after another cannot be judged here: {why} ({figures})."
            ),
            claims::Speed::Faster { every_round } => format!(
                "{mode}: faster than one after another{} ({figures}).",
                if *every_round {
                    " in every round"
                } else {
                    ", though not in every round"
                }
            ),
            claims::Speed::NotFaster => format!(
                "{mode}: not faster than one after another: no round by more than {:.0}% ({figures}){}.",
                claims::MIN_EFFECT * 100.0,
                if possible.holds == Some(false) {
                    ": with one CPU's worth of time, running at once only adds switching"
                } else {
                    ""
                }
            ),
            claims::Speed::RoundsDisagree => format!(
                "{mode}: not faster than one after another beyond the spread of its rounds, though some rounds were ({figures}): the rounds disagree."
            ),
        };
        let holds = if workload.tasks < 2 {
            None
        } else {
            speed.holds()
        };
        all.push(
            Claim::new(ClaimId::ParallelFaster, Some(mode))
                .with(SpeedFigures {
                    speedup: r.speedup,
                    speedup_interval: r.speedup_interval,
                    baseline_ms,
                    verdict: interference.verdict,
                })
                .judged(holds, text),
        );
        let busy_share = at_once.map(|ms| r.speedup > BUSY_SHARE_SPEEDUP && ms == 0.0);
        all.push(
            Claim::new(ClaimId::ParallelBusyShare, Some(mode))
                .with(BusyShareFigures {
                    speedup: r.speedup,
                    at_once_ms: at_once,
                })
                .judged(
                    busy_share,
                    match busy_share {
                        Some(true) => format!(
                            "{mode}: its speedup of {:.2} came without its tasks ever running at the same instant: a larger share of a CPU shared with other programs (Linux shares a busy CPU per thread), not parallelism.",
                            r.speedup
                        ),
                        Some(false) => format!(
                            "{mode}: its speedup of {:.2} is not a larger share of a busy CPU: either it is near 1 or its tasks ran at the same time.",
                            r.speedup
                        ),
                        None => format!(
                            "{mode}: without knowing which CPU ran what, a speedup from a larger share of a busy CPU cannot be told from parallelism."
                        ),
                    },
                ),
        );
    }
    all.push(claims::checksums(results, None));
    all
}

/// What the topology did to the modes: where their tasks ran on hardware threads of one core,
/// what each placement gave, and the kernel's speed on each kind of core. Nothing where the
/// cores are alike, run one thread each, and no placement was asked for.
fn topology_notes(
    machine: &Machine,
    tasks: usize,
    placements: &[(Placement, Vec<usize>)],
    results: &[ModeResult],
    core_speeds: &[CoreSpeed],
) -> Vec<String> {
    let mut notes = Vec::new();
    let Some(topology) = &machine.topology else {
        return notes;
    };
    for r in results.iter().skip(1) {
        let shared: Vec<String> = topology
            .cores
            .iter()
            .map(|c| {
                c.cpus
                    .iter()
                    .copied()
                    .filter(|cpu| r.cpus_used.contains(cpu))
                    .collect::<Vec<_>>()
            })
            .filter(|on_core| on_core.len() > 1)
            .map(|on_core| placement::cpus_phrase(&on_core))
            .collect();
        // Where kinds of core differ, a mode whose tasks ran on several kinds was as fast as
        // its slowest core allowed.
        let mut kinds: Vec<(String, Vec<usize>)> = Vec::new();
        for place in topology
            .cpus
            .iter()
            .filter(|p| r.cpus_used.contains(&p.cpu))
        {
            match kinds.iter_mut().find(|(k, _)| *k == place.core_type) {
                Some((_, cpus)) => cpus.push(place.cpu),
                None => kinds.push((place.core_type.clone(), vec![place.cpu])),
            }
        }
        if topology.core_types.len() > 1 && kinds.len() > 1 {
            let on: Vec<String> = kinds
                .iter()
                .map(|(kind, cpus)| format!("{kind}: {}", placement::cpus_phrase(cpus)))
                .collect();
            notes.push(format!(
                "{}: its tasks ran on cores of different kinds ({}): a task on a slower core takes longer for the same work.",
                r.mode,
                on.join("; ")
            ));
        }
        if !shared.is_empty() {
            notes.push(format!(
                "{}: its tasks ran on {}, hardware threads of one core (SMT){}: threads there share the core's execution units.",
                r.mode,
                shared.join(" and "),
                if shared.len() > 1 { " each" } else { "" }
            ));
        }
    }
    let placed: Vec<String> = placements
        .iter()
        .filter_map(|(place, cpus)| {
            let r = results.iter().find(|r| r.mode == place.mode())?;
            let cores: std::collections::BTreeSet<usize> = topology
                .cpus
                .iter()
                .filter(|p| cpus.contains(&p.cpu))
                .map(|p| p.core)
                .collect();
            let on = match place {
                Placement::Siblings => "the hardware threads of one core".to_string(),
                Placement::Cores => format!("{} distinct cores", cores.len()),
                Placement::Fast | Placement::Slow => {
                    let kind = topology
                        .cpus
                        .iter()
                        .find(|p| p.cpu == cpus[0])
                        .map_or("", |p| p.core_type.as_str());
                    format!("{} {kind} core(s)", cores.len())
                }
            };
            Some(format!(
                "{:.2}x on {on} ({})",
                r.speedup,
                placement::cpus_phrase(cpus)
            ))
        })
        .collect();
    if !placed.is_empty() {
        notes.push(format!(
            "Pinned, {tasks} task(s) gave a speedup of {}.",
            placed.join("; ")
        ));
    }
    if let [fastest, others @ ..] = core_speeds {
        let ends = if others.iter().any(|s| s.relative < SLOWER_CORE) {
            "a speedup over cores of different kinds falls short of their count without any serial part"
        } else {
            "for this work the kinds of core ran at about the same speed"
        };
        let slower: Vec<String> = others
            .iter()
            .map(|s| {
                format!(
                    "{:.0} M on {} (cpu{}), {:.2} of it",
                    s.units_per_s / 1e6,
                    kind_phrase(&s.core_type),
                    s.cpu,
                    s.relative
                )
            })
            .collect();
        notes.push(format!(
            "The kernel ran {:.0} M units/s on {} (cpu{}) alone, {}: {ends}.",
            fastest.units_per_s / 1e6,
            kind_phrase(&fastest.core_type),
            fastest.cpu,
            slower.join(", ")
        ));
    }
    notes
}

/// Slower than the fastest kind by more than this, a kind of core is told apart from the noise
/// of two ~30 ms probes.
const SLOWER_CORE: f64 = 0.9;

/// "a P-core", "an E-core", "a big core".
fn kind_phrase(kind: &str) -> String {
    match kind {
        "P" => "a P-core".into(),
        "E" => "an E-core".into(),
        other => format!("a {other} core"),
    }
}

/// A speedup above this with no moment of running at once is a larger share, not parallelism.
const BUSY_SHARE_SPEEDUP: f64 = 1.1;

/// The sentences under the table, each conclusion taken from its claim.
pub(crate) fn notes(
    machine: &Machine,
    workload: &Workload,
    results: &[ModeResult],
    claims: &[Claim],
) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(possible) = claims::find(claims, ClaimId::MachineParallelPossible, None) {
        if possible.holds == Some(false) || machine.cgroup_quota_cpus.is_some() {
            notes.push(possible.text.clone());
        }
    }
    for r in results.iter().skip(1) {
        notes.push(format!(
            "{}: {} task(s) on {} thread(s) took {} ms against {} ms one after another: speedup {:.2} (efficiency {:.2}), on {} CPU(s).",
            r.mode,
            workload.tasks,
            r.workers,
            format_ms(r.wall_ms.median),
            format_ms(results[0].wall_ms.median),
            r.speedup,
            r.efficiency,
            r.cpus_used.len()
        ));
        for id in [ClaimId::ParallelAtOnce, ClaimId::ParallelFaster] {
            notes.extend(claims::find(claims, id, Some(&r.mode)).map(|c| c.text.clone()));
        }
        notes.extend(
            claims::find(claims, ClaimId::ParallelBusyShare, Some(&r.mode))
                .filter(|c| c.holds == Some(true))
                .map(|c| c.text.clone()),
        );
    }
    let cpus = machine.schedulable_cpus();
    if workload.tasks > cpus && cpus > 1 {
        notes.push(format!(
            "{} tasks share {}: at most {} run at once, the others wait their turn.",
            workload.tasks,
            crate::sys::cpus_phrase(cpus as f64),
            cpus
        ));
    }
    notes.extend(super::checksum_note(claims));
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interference::Verdict;
    use crate::report::{Format, Lanes, RenderOptions, render};

    fn config(tasks: usize, threads: usize) -> Config {
        Config {
            tasks,
            threads,
            placements: Vec::new(),
            limit: Limit::default_here(),
            size: WorkSize::Units(20_000),
            seed: 1,
            repeats: Repeats { runs: 3, warmup: 0 },
            progress: false,
        }
    }

    fn table(report: &Report) -> String {
        render(
            report,
            &RenderOptions {
                format: Format::Table,
                timeline: false,
                lanes: Lanes::Cpu,
                width: 100,
                zoom_ms: None,
                color: false,
                timeline_full: false,
            },
        )
    }

    /// This machine's facts as some other machine would have them.
    fn env_like(load: f64, tweak: impl FnOnce(&mut Machine)) -> Env {
        let mut env = Env::with_load(load);
        tweak(&mut env.machine);
        env
    }

    fn claim<'a>(report: &'a Report, id: ClaimId, mode: Option<&str>) -> &'a Claim {
        claims::find(&report.claims, id, mode).unwrap_or_else(|| panic!("no {id} {mode:?}"))
    }

    /// The first two CPUs of this process's mask, where it has two.
    fn two_cpus() -> Option<[usize; 2]> {
        crate::sys::affinity()
            .filter(|m| m.len() >= 2)
            .map(|m| [m[0], m[1]])
    }

    /// On a machine read as one core of two hardware threads (this machine's first two CPUs,
    /// renamed), `--placement siblings,cores`: the one is run, the other refused before any
    /// work, and every mode whose tasks ran on both threads is said to have shared a core.
    #[test]
    fn placements_pin_the_tasks_and_say_where() {
        let Some([a, b]) = two_cpus() else {
            return;
        };
        let smt = |m: &mut Machine| {
            m.topology = Some(crate::sys::Topology::of_cores(&[(
                vec![a, b],
                "core",
                None,
            )]));
            m.affinity = Some(vec![a, b]);
        };
        let mut asked = config(2, 2);
        asked.placements = vec![Placement::Siblings];
        let report = run(&asked, &env_like(0.0, smt)).unwrap();
        let pinned = report
            .results
            .iter()
            .find(|r| r.mode == "pinned:siblings")
            .expect("a pinned mode");
        assert!(
            pinned.cpus_used.iter().all(|c| [a, b].contains(c)),
            "{pinned:?}"
        );
        assert!(pinned.checksum_ok);
        let siblings = format!("CPUs {}", crate::sys::cpu_list(&[a, b]));
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("pinned:siblings: its tasks ran on")
                    && n.contains(&siblings)
                    && n.contains("hardware threads of one core")),
            "{:#?}",
            report.notes
        );
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("Pinned, 2 task(s) gave a speedup of ")
                    && n.contains("x on the hardware threads of one core")),
            "{:#?}",
            report.notes
        );
        // One core: there are no two cores to place tasks on.
        asked.placements = vec![Placement::Cores, Placement::Siblings];
        let error = run(&asked, &env_like(0.0, smt)).unwrap_err();
        let usage = error.downcast_ref::<UsageError>().expect("bad input");
        assert!(usage.0.contains("needs two cores"), "{usage}");
    }

    /// Where cores differ the kernel's speed is measured on one CPU of each kind: here this
    /// machine's first CPU read as a P-core and its second as an E-core.
    #[test]
    fn differing_cores_have_their_speed_measured() {
        let Some([a, b]) = two_cpus() else {
            return;
        };
        let hybrid = |m: &mut Machine| {
            m.topology = Some(crate::sys::Topology::of_cores(&[
                (vec![a], "P", None),
                (vec![b], "E", None),
            ]));
            m.affinity = Some(vec![a, b]);
        };
        let mut asked = config(2, 2);
        asked.placements = vec![Placement::Fast, Placement::Slow];
        let report = run(&asked, &env_like(0.0, hybrid)).unwrap();
        let speeds = report.core_speeds.clone().expect("core speeds");
        assert_eq!(speeds.len(), 2);
        let modes: Vec<&str> = report.results.iter().map(|r| r.mode.as_str()).collect();
        assert_eq!(
            modes,
            ["sequential", "threads", "rayon", "pinned:p", "pinned:e"]
        );
        let e = report
            .results
            .iter()
            .find(|r| r.mode == "pinned:e")
            .unwrap();
        assert_eq!(e.cpus_used, [b]);
        // Where a mode's tasks ran on both kinds, it is said; pinned to one kind, not.
        for r in report.results.iter().skip(1) {
            let mixed = r.cpus_used.contains(&a) && r.cpus_used.contains(&b);
            let said = report.notes.iter().any(|n| {
                n.starts_with(&format!(
                    "{}: its tasks ran on cores of different kinds",
                    r.mode
                ))
            });
            assert_eq!(
                said, mixed,
                "{}: {:?}\n{:#?}",
                r.mode, r.cpus_used, report.notes
            );
        }
        let note = report
            .notes
            .iter()
            .find(|n| n.starts_with("The kernel ran "))
            .expect("a speed note");
        assert!(
            note.contains(&format!("on a P-core (cpu{a}) alone")),
            "{note}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["core_speeds"][1]["core_type"], "E");
        // Alike cores: no probe, no field.
        let plain = run(&config(2, 2), &env_like(0.0, |_| {})).unwrap();
        assert!(plain.core_speeds.is_none());
        assert!(
            serde_json::to_value(&plain)
                .unwrap()
                .get("core_speeds")
                .is_none()
        );
    }

    #[test]
    fn one_cpu_says_that_no_mode_can_beat_sequential() {
        let env = env_like(0.0, |m| {
            m.affinity = Some(vec![0]);
            m.available_parallelism = 1;
        });
        let report = run(&config(2, 1), &env).unwrap();
        let possible = claim(&report, ClaimId::MachineParallelPossible, None);
        assert_eq!(possible.holds, Some(false));
        assert!(report.notes.contains(&possible.text), "{:?}", report.notes);
        assert!(possible.text.contains("no mode can beat sequential"));
        let two = env_like(0.0, |m| {
            m.affinity = Some(vec![0, 1]);
            m.available_parallelism = 2;
        });
        let two = run(&config(2, 2), &two).unwrap();
        assert_eq!(
            claim(&two, ClaimId::MachineParallelPossible, None).holds,
            Some(true)
        );
        assert!(
            !two.notes
                .iter()
                .any(|n| n.contains("no mode can beat sequential"))
        );
    }

    #[test]
    fn a_quota_of_one_and_a_half_cpus_allows_one_and_a_half_times() {
        // Rust's available_parallelism rounds a 1.5-CPU quota down to 1: a pool size, not what
        // two CPUs under that quota can do.
        let env = env_like(0.0, |m| {
            m.affinity = Some(vec![0, 1]);
            m.cgroup_quota_cpus = Some(1.5);
            m.available_parallelism = 1;
        });
        let report = run(&config(2, 2), &env).unwrap();
        let possible = claim(&report, ClaimId::MachineParallelPossible, None);
        assert_eq!(possible.holds, Some(true), "{}", possible.text);
        assert!(possible.text.contains("up to 1.50x"));
        assert!(report.notes.contains(&possible.text));
        assert!(
            !report
                .notes
                .iter()
                .any(|n| n.contains("no mode can beat sequential"))
        );
    }

    #[test]
    fn many_cpus_say_how_many_tasks_wait_their_turn_only_when_they_must() {
        let env = env_like(0.0, |m| {
            m.logical_cpus = 64;
            m.affinity = Some((0..64).collect());
            m.available_parallelism = 64;
        });
        let report = run(&config(3, 2), &env).unwrap();
        assert!(!report.notes.iter().any(|n| n.contains("wait their turn")));
        let two = env_like(0.0, |m| m.affinity = Some(vec![0, 1]));
        let report = run(&config(3, 2), &two).unwrap();
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("3 tasks share 2 CPUs"))
        );
    }

    #[test]
    fn a_busy_machine_is_flagged_in_the_json_the_notes_and_the_table() {
        // Work enough that each mode's own three runs can be read, on one CPU too.
        let mut busy = config(2, 2);
        busy.size = WorkSize::Units(150_000);
        let report = run(&busy, &Env::with_load(2.0)).unwrap();
        assert_eq!(
            report.interference.verdict,
            Verdict::Disturbed,
            "{:?}",
            report.interference
        );
        assert!(report.interference.others_cpus.unwrap() > 0.5);
        assert!(
            report.notes[0].starts_with("Disturbed: other programs used"),
            "{:?}",
            report.notes
        );
        let text = table(&report);
        assert!(text.lines().next().unwrap().ends_with("others"), "{text}");

        // The same run on a quiet machine: no warning, no column.
        let quiet = run(&config(2, 2), &Env::with_load(0.0)).unwrap();
        assert_ne!(quiet.interference.verdict, Verdict::Disturbed);
        assert!(!quiet.notes.iter().any(|n| n.starts_with("Disturbed")));
        assert!(!table(&quiet).lines().next().unwrap().contains("others"));
    }
}

#[cfg(test)]
mod claim_tests {
    //! Every outcome of every `parallel` claim, on synthetic findings.
    use super::*;
    use crate::interference::Verdict;
    use crate::model::{SliceReport, TimelineRun};

    fn result(mode: impl Mode, wall: f64, interval: [f64; 2], cpus: Vec<usize>) -> ModeResult {
        ModeResult::synthetic(mode.name(), &[wall], interval, cpus)
    }

    /// Two tasks of `mode`, drawn on `cpus` (one slice each, 0-40 and `second` ms).
    fn timeline(mode: impl Mode, cpus: [usize; 2], second: (f64, f64)) -> Timeline {
        let mode = mode.name();
        let slice = |task, cpu, start: f64, end: f64| SliceReport {
            mode: mode.into(),
            lane: format!("cpu{cpu}"),
            task,
            worker: task,
            cpu: Some(cpu),
            start_us: start * 1e3,
            end_us: end * 1e3,
        };
        Timeline {
            runs: vec![TimelineRun {
                mode: mode.into(),
                run: 0,
                wall_us: 80e3,
            }],
            slices: vec![
                slice(0, cpus[0], 0.0, 40.0),
                slice(1, cpus[1], second.0, second.1),
            ],
            ..Default::default()
        }
    }

    fn machine(cpus: usize) -> Machine {
        Machine::with_cpus(cpus)
    }

    fn quiet() -> Interference {
        let mut i = Interference::none();
        i.verdict = Verdict::Quiet;
        i.others_cpus = Some(0.02);
        i
    }

    fn judge(machine: &Machine, r: ModeResult, t: &Timeline, i: &Interference) -> Vec<Claim> {
        let w = Workload::new(2, WorkSize::Units(1), 1);
        claims(
            machine,
            &w,
            &[result(Sequential, 100.0, [1.0, 1.0], vec![0]), r],
            t,
            i,
        )
    }

    fn holds(claims: &[Claim], id: ClaimId) -> Option<bool> {
        claims::find(claims, id, Some("threads")).unwrap().holds
    }

    #[test]
    fn two_quiet_cpus_in_parallel() {
        let c = judge(
            &machine(2),
            result(Way::Threads, 52.0, [1.85, 1.98], vec![0, 1]),
            &timeline(Way::Threads, [0, 1], (0.0, 40.0)),
            &quiet(),
        );
        assert_eq!(holds(&c, ClaimId::ParallelAtOnce), Some(true));
        assert_eq!(holds(&c, ClaimId::ParallelFaster), Some(true));
        assert_eq!(holds(&c, ClaimId::ParallelBusyShare), Some(false));
    }

    #[test]
    fn one_busy_cpu_shared_is_no_parallelism_and_cannot_judge_speed() {
        // The tour on a machine running a build: both threads on cpu1, a "speedup" of 1.45.
        let mut busy = quiet();
        busy.verdict = Verdict::Disturbed;
        busy.others_cpus = Some(1.1);
        let c = judge(
            &machine(2),
            result(Way::Threads, 69.0, [1.3, 1.6], vec![1]),
            &timeline(Way::Threads, [1, 1], (40.0, 80.0)),
            &busy,
        );
        assert_eq!(holds(&c, ClaimId::ParallelAtOnce), Some(false));
        let at_once = claims::find(&c, ClaimId::ParallelAtOnce, Some("threads")).unwrap();
        assert!(
            at_once.text.contains("never ran at the same instant"),
            "{}",
            at_once.text
        );
        assert_eq!(holds(&c, ClaimId::ParallelFaster), None);
        assert_eq!(holds(&c, ClaimId::ParallelBusyShare), Some(true));
    }

    #[test]
    fn one_cpu_is_slower_in_every_round_and_says_why() {
        let c = judge(
            &machine(1),
            result(Way::Threads, 103.0, [0.95, 0.98], vec![0]),
            &timeline(Way::Threads, [0, 0], (40.0, 80.0)),
            &quiet(),
        );
        assert_eq!(c[0].holds, Some(false));
        assert_eq!(holds(&c, ClaimId::ParallelFaster), Some(false));
        let faster = claims::find(&c, ClaimId::ParallelFaster, Some("threads")).unwrap();
        assert!(
            faster.text.contains("only adds switching"),
            "{}",
            faster.text
        );
        assert_eq!(holds(&c, ClaimId::ParallelAtOnce), Some(false));
    }

    #[test]
    fn rounds_that_disagree_or_work_too_small_are_not_judged() {
        let c = judge(
            &machine(64),
            result(Way::Threads, 102.0, [0.9, 1.2], vec![0, 1]),
            &timeline(Way::Threads, [0, 1], (10.0, 40.0)),
            &quiet(),
        );
        assert_eq!(holds(&c, ClaimId::ParallelFaster), None);
        assert!(
            claims::find(&c, ClaimId::ParallelFaster, Some("threads"))
                .unwrap()
                .text
                .contains("disagree")
        );
        let w = Workload::new(2, WorkSize::Units(1), 1);
        let tiny = claims(
            &machine(2),
            &w,
            &[
                result(Sequential, 5.0, [1.0, 1.0], vec![0]),
                result(Way::Threads, 3.0, [1.6, 1.7], vec![0, 1]),
            ],
            &timeline(Way::Threads, [0, 1], (0.0, 3.0)),
            &quiet(),
        );
        assert_eq!(holds(&tiny, ClaimId::ParallelFaster), None);
    }
}
