//! `conpar parallel`: the same tasks one after another, on one OS thread each, and on a rayon
//! pool; speedup and efficiency against sequential.
//!
//! The sequential run is the oracle: every other mode must reproduce its checksum, and its
//! median wall time is the baseline of every speedup.

use super::Repeats;
use crate::engine::{self, Env, Measured, Mode, Oracle, Plan};
use crate::exec::{Run, pool::Pool, sequential, threads};
use crate::maxprocs::{Limit, MaxprocsReport};
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

pub fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    let machine = env.machine.clone();
    let workload = Workload::new(config.tasks, config.size, config.seed);
    let pool = Pool::new(config.threads)?;
    let pass = workload.estimated_pass();
    let spread =
        |workers: usize| pass.div_f64(workers.clamp(1, machine.available_parallelism) as f64);
    let modes = vec![
        Mode::new("sequential", 1, pass, || Ok(sequential::run(&workload))),
        Mode::new("threads", config.tasks, spread(config.tasks), || {
            Ok(threads::run(&workload))
        }),
        Mode::new("rayon", pool.workers(), spread(pool.workers()), || {
            Ok(pool.run(&workload))
        }),
    ];
    let plan = Plan {
        repeats: config.repeats,
        watch: env.mask(),
        oracle: Oracle::FirstMode,
        advice: "use fewer --units, --tasks or --runs",
        progress: config.progress,
    };
    let outcome = engine::measure(env, modes, &plan)?;
    let measured = &outcome.modes;
    let expected = outcome.expected;
    let results: Vec<_> = measured
        .iter()
        .map(|m| m.result(&measured[0], expected))
        .collect();
    let timeline = super::timeline_of(measured);
    let mut notes = notes(&machine, &workload, measured, &results);
    let maxprocs = MaxprocsReport::new(config.limit, &machine);
    notes.push(pool_note(config.threads, &maxprocs));
    notes.extend(maxprocs.notes());
    let mut extra = serde_json::Map::new();
    extra.insert("maxprocs".into(), serde_json::to_value(&maxprocs)?);
    let notes = super::notes_with(&outcome.interference, notes);
    Ok(Report {
        schema: SCHEMA,
        demo: "parallel".into(),
        machine,
        workload: Some(WorkloadReport::new(workload, config.repeats, expected)),
        results,
        extra,
        timeline,
        interference: outcome.interference,
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
    measured: &[Measured<Run>],
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interference::Verdict;
    use crate::report::{Format, Lanes, RenderOptions, render};

    fn config(tasks: usize, threads: usize) -> Config {
        Config {
            tasks,
            threads,
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
            },
        )
    }

    /// This machine's facts as some other machine would have them.
    fn env_like(load: f64, tweak: impl FnOnce(&mut Machine)) -> Env {
        let mut env = Env::with_load(load);
        tweak(&mut env.machine);
        env
    }

    #[test]
    fn one_cpu_says_that_no_mode_can_beat_sequential() {
        let env = env_like(0.0, |m| m.available_parallelism = 1);
        let report = run(&config(2, 1), &env).unwrap();
        assert!(
            report.notes.iter().any(|n| n.starts_with("Only 1 CPU")),
            "{:?}",
            report.notes
        );
        let two = run(
            &config(2, 2),
            &env_like(0.0, |m| m.available_parallelism = 2),
        )
        .unwrap();
        assert!(!two.notes.iter().any(|n| n.starts_with("Only 1 CPU")));
    }

    #[test]
    fn a_quota_below_two_cpus_reaches_the_one_cpu_branch() {
        // A 1.5-CPU quota: Rust's available_parallelism rounds it down to 1.
        let env = env_like(0.0, |m| {
            m.cgroup_quota_cpus = Some(1.5);
            m.available_parallelism = 1;
        });
        let report = run(&config(2, 2), &env).unwrap();
        assert_eq!(report.machine.cgroup_quota_cpus, Some(1.5));
        assert!(report.notes.iter().any(|n| n.starts_with("Only 1 CPU")));
    }

    #[test]
    fn many_cpus_say_how_many_tasks_wait_their_turn_only_when_they_must() {
        let env = env_like(0.0, |m| {
            m.logical_cpus = 64;
            m.available_parallelism = 64;
        });
        let report = run(&config(3, 2), &env).unwrap();
        assert!(!report.notes.iter().any(|n| n.contains("wait their turn")));
        let two = env_like(0.0, |m| m.available_parallelism = 2);
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
        let report = run(&config(2, 2), &Env::with_load(2.0)).unwrap();
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
