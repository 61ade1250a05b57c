//! `conpar parallel`: the same tasks one after another, on one OS thread each, and on a rayon
//! pool; speedup and efficiency against sequential.
//!
//! The sequential run is the oracle: every other mode must reproduce its checksum, and its
//! median wall time is the baseline of every speedup.

use super::{Measured, Mode, Repeats, measure_rounds};
use crate::exec::{pool::Pool, sequential, threads};
use crate::maxprocs::{Limit, MaxprocsReport};
use crate::progress::Progress;
use crate::report::{Report, SCHEMA, WorkloadReport, format_ms};
use crate::sys::Machine;
use crate::workload::{WorkSize, Workload};

/// What `parallel` runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub tasks: usize,
    /// Workers of the rayon pool.
    pub threads: usize,
    /// The worker limit in force (`--maxprocs`, `CONPAR_MAXPROCS` or the default), reported
    /// beside the pool size.
    pub limit: Limit,
    pub size: WorkSize,
    pub seed: u64,
    pub repeats: Repeats,
    /// May a progress bar be shown?
    pub progress: bool,
}

/// The modes, in the order they run and are shown.
const MODES: usize = 3;

pub fn run(config: &Config) -> anyhow::Result<Report> {
    let machine = Machine::detect();
    let workload = Workload::new(config.tasks, config.size, config.seed);
    let runs_per_mode = (config.repeats.runs + config.repeats.warmup) as u64;
    workload.check_budget(runs_per_mode * MODES as u64)?;
    let pool = Pool::new(config.threads)?;

    let progress = Progress::new(
        config.progress,
        runs_per_mode * MODES as u64,
        workload.estimated_pass() * runs_per_mode as u32 * 2,
    );
    let modes = vec![
        Mode::new("sequential", 1, || Ok(sequential::run(&workload))),
        Mode::new("threads", config.tasks, || threads::run(&workload)),
        Mode::new("rayon", pool.workers(), || Ok(pool.run(&workload))),
    ];
    let measured = measure_rounds(modes, config.repeats, &progress)?;
    progress.finish();

    let baseline = measured[0].wall_ms().median;
    let expected = measured[0].oracle();
    let results: Vec<_> = measured
        .iter()
        .map(|m| m.result(baseline, expected))
        .collect();
    let timeline = super::timeline_of(&measured);
    let mut notes = notes(&machine, &workload, &measured, &results);
    let maxprocs = MaxprocsReport::new(config.limit, &machine);
    notes.push(pool_note(config.threads, &maxprocs));
    notes.extend(maxprocs.notes());
    let mut extra = serde_json::Map::new();
    extra.insert("maxprocs".into(), serde_json::to_value(&maxprocs)?);
    Ok(Report {
        schema: SCHEMA,
        demo: "parallel".into(),
        machine,
        workload: Some(WorkloadReport::new(workload, config.repeats, expected)),
        results,
        extra,
        timeline,
        notes,
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

fn notes(
    machine: &Machine,
    workload: &Workload,
    measured: &[Measured],
    results: &[crate::report::ModeResult],
) -> Vec<String> {
    let mut notes = Vec::new();
    let cpus = machine.available_parallelism;
    if cpus == 1 {
        notes.push(
            "Only 1 CPU is available to this process: the tasks can take turns (concurrency) but cannot run at the same time (parallelism), so no mode can beat sequential here."
                .into(),
        );
    }
    for (m, r) in measured.iter().zip(results).skip(1) {
        let used = r.cpus_used.len();
        notes.push(format!(
            "{}: {} task(s) on {} thread(s) took {} ms against {} ms one after another: speedup {:.2} (efficiency {:.2}), on {} CPU(s).",
            m.mode,
            workload.tasks,
            m.threads,
            format_ms(r.wall_ms.median),
            format_ms(results[0].wall_ms.median),
            r.speedup,
            r.efficiency,
            used
        ));
    }
    if workload.tasks > cpus && cpus > 1 {
        notes.push(format!(
            "{} tasks share {} CPUs: at most {} run at once, the others wait their turn.",
            workload.tasks, cpus, cpus
        ));
    }
    notes.extend(super::checksum_note(results));
    notes
}
