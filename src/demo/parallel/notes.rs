//! The sentences under `parallel`'s table: each conclusion taken from its claim, where the
//! pool's size came from, and what the topology did to the modes.

use super::Way;
use crate::claims::{self, ClaimId};
use crate::demo::result_of;
use crate::maxprocs::MaxprocsReport;
use crate::model::{ModeResult, Report};
use crate::placement::{self, CoreSpeed, Placement};
use crate::report::format_ms;
use crate::sys::Machine;

/// The sentences under the table, from the report alone: where parallelism is possible, each
/// mode's figures and conclusions (each taken from its claim), what the topology did, and
/// where the pool's size came from.
pub(crate) fn notes(report: &Report) -> Vec<String> {
    let (machine, results) = (&report.machine, &report.results);
    let mut notes = conclusions(report);
    notes.extend(topology_notes(
        machine,
        results,
        report.core_speeds.as_deref().unwrap_or_default(),
    ));
    if let Some(maxprocs) = &report.maxprocs {
        let pool = result_of(results, Way::Rayon).map_or(maxprocs.limit, |r| r.workers);
        notes.push(pool_note(pool, maxprocs));
        notes.extend(maxprocs.notes());
    }
    notes
}

/// Each mode's figures and conclusions.
fn conclusions(report: &Report) -> Vec<String> {
    let (machine, results, claims) = (&report.machine, &report.results, &report.claims);
    let Some(workload) = report.workload.as_ref().map(|w| &w.workload) else {
        return Vec::new();
    };
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
    notes.extend(crate::demo::checksum_note(claims));
    notes
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

/// What the topology did to the modes: where their tasks ran on hardware threads of one core,
/// what each placement gave, and the kernel's speed on each kind of core. Nothing where the
/// cores are alike, run one thread each, and no placement was asked for.
fn topology_notes(
    machine: &Machine,
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
            .map(|on_core| placement::cpu_set_phrase(&on_core))
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
        if kinds.len() > 1 {
            let on: Vec<String> = kinds
                .iter()
                .map(|(kind, cpus)| format!("{kind}: {}", placement::cpu_set_phrase(cpus)))
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
    notes.extend(placed_note(machine, results));
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

/// "Pinned, 2 task(s) gave a speedup of 1.97x on 2 distinct cores (CPUs 0-1); 1.21x on the
/// hardware threads of one core (CPUs 0,8).": what each `--placement` mode gave, on the CPUs
/// its tasks ran on. `None` where no mode was pinned.
pub(crate) fn placed_note(machine: &Machine, results: &[ModeResult]) -> Option<String> {
    let topology = machine.topology.as_ref()?;
    let mut tasks = 0;
    let placed: Vec<String> = Placement::ALL
        .into_iter()
        .filter_map(|place| {
            let r = result_of(results, Way::Pinned(place))?;
            tasks = r.workers;
            let ran_on: Vec<_> = topology
                .cpus
                .iter()
                .filter(|p| r.cpus_used.contains(&p.cpu))
                .collect();
            let cores = ran_on
                .iter()
                .map(|p| p.core)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            let on = match place {
                Placement::Siblings => "the hardware threads of one core".to_string(),
                Placement::Cores => format!("{cores} distinct cores"),
                Placement::Fast | Placement::Slow => {
                    let kind = ran_on.first().map_or("", |p| p.core_type.as_str());
                    format!("{cores} {kind} core(s)")
                }
            };
            Some(format!(
                "{:.2}x on {on} ({})",
                r.speedup,
                placement::cpu_set_phrase(&r.cpus_used)
            ))
        })
        .collect();
    (!placed.is_empty()).then(|| {
        format!(
            "Pinned, {tasks} task(s) gave a speedup of {}.",
            placed.join("; ")
        )
    })
}

/// "a P-core", "an E-core", "a big core".
fn kind_phrase(kind: &str) -> String {
    let article = if kind == "E" { "an" } else { "a" };
    format!("{article} {}", crate::sys::core_noun(kind, false))
}
