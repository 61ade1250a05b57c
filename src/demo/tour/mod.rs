//! `conpar tour`: every demo with modest work, one section per question of the classic
//! concurrency exercise, each answered in plain sentences with figures measured in this run.
//!
//! The answers are built from the demos' reports only, so every figure in a sentence is also in
//! the table under it and in `--format json`. Where a common answer is wrong (for example that
//! `go` starts an OS thread, or that the GIL makes threads useless), the section says what the
//! measurement shows instead.

mod answers;

use super::{Repeats, gil_sim, info, interleave, maxprocs, parallel, race};
use crate::engine::Env;
use crate::interference::{Interference, Reading, Verdict};
use crate::live_feed::Turns;
use crate::maxprocs::Limit;
use crate::placement::{self, Placement};
use answers::{
    difference, gil, gil_workaround, gomaxprocs, harder, kinds, machine_section, multicore,
    problems, what_they_create,
};
// The tour's model lives with its renderer, so that report needs nothing of demo.
use crate::claims::ClaimId;
use crate::exec::cpython::Interpreter;
pub(crate) use crate::model::{Section, Tour, View};
use crate::workload::WorkSize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long the tour watches the CPUs first, for `info` and for the CPU of question 2: long
/// enough to tell a CPU another program keeps busy from an idle one, and to read 2 quiet CPUs
/// to within 0.13 CPUs (the whole tour's reading judges finer).
const LOOK: Duration = Duration::from_millis(150);

/// How long the tour may spend lengthening the race's loop until a run goes wrong.
const RACE_SEARCH: Duration = Duration::from_secs(3);

/// What `tour` runs.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Tiny work, for smoke tests: the figures are real but noisy.
    pub(crate) quick: bool,
    /// The worker limit (`--maxprocs`) for the pools.
    pub(crate) limit: Limit,
    pub(crate) progress: bool,
    pub(crate) seed: u64,
    /// Which Python runs beside the GIL model.
    pub(crate) python: PythonWanted,
}

/// Which Python the tour runs beside the GIL model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PythonWanted {
    /// `python3` on `PATH` where it is one conpar can use; the model alone where not.
    Found,
    /// This one (`--python`): bad input where it is not usable, as for `gil-sim`.
    Named(PathBuf),
    /// None (`--no-python`).
    Off,
}

/// Sizes of the work: the default aims at about 20 s here, `--quick` at about 3 s (2.7 s of
/// it without Python).
struct Sizes {
    task: Duration,
    /// Per task of `parallel`: enough that the meter can tell a quiet machine (at a tick of
    /// 10 ms per CPU, the rounds of a section must last some hundreds of ms: 3 rounds of
    /// 2 x 25 + 25 + 25 ms on 2 CPUs read to within 0.07 CPUs, under the line of 0.2).
    parallel_task: Duration,
    runs: usize,
    wait_compute: Duration,
    wait: Duration,
    /// Changes per race thread: the race's rounds are its shortest section, and must last
    /// about 150 ms for the whole tour's reading to judge them where their own cannot.
    race_iterations: u64,
    race_runs: usize,
    sweep: Duration,
}

impl Sizes {
    fn of(quick: bool) -> Sizes {
        if quick {
            // Large enough that --check can judge every speedup (a baseline of at least
            // check::MIN_JUDGED_MS per run), small enough to stay near 3 s in all.
            Sizes {
                task: Duration::from_millis(15),
                parallel_task: Duration::from_millis(25),
                // A median of three: one preempted run cannot decide a figure (or a check).
                runs: 3,
                wait_compute: Duration::from_millis(2),
                wait: Duration::from_millis(10),
                race_iterations: 200_000,
                race_runs: 3,
                sweep: Duration::from_millis(60),
            }
        } else {
            Sizes {
                task: Duration::from_millis(100),
                parallel_task: Duration::from_millis(100),
                runs: 3,
                wait_compute: Duration::from_millis(40),
                wait: Duration::from_millis(200),
                race_iterations: 1_000_000,
                race_runs: 5,
                sweep: Duration::from_millis(400),
            }
        }
    }
}

pub(crate) fn run(config: &Config, env: &Env) -> anyhow::Result<Tour> {
    let sizes = Sizes::of(config.quick);
    let machine = env.machine.clone();
    // One warm-up run per mode of the first section: a first run pays for page faults, the
    // binary's first load and clock ramp-up, which the later sections find done.
    let warming = Repeats {
        runs: sizes.runs,
        warmup: 1,
    };
    let repeats = Repeats {
        runs: sizes.runs,
        warmup: 0,
    };
    let cpus = machine.available_parallelism;
    // Progress bars of the demos would interleave with each other; the tour shows its own steps.
    let step = |what: &str, turns: Turns| {
        crate::live_feed::set_demo(&format!("tour: {what}"), turns);
        if config.progress {
            crate::streams::stderr_line(&format!("tour: {what}"));
        }
    };

    // A Python named that is not one is bad input, found before any work; one looked for is
    // found before the first measurement, whose CPUs it would share.
    let python = match &config.python {
        PythonWanted::Found => {
            step("python3", Turns::Switches);
            find_python()?
        }
        PythonWanted::Named(path) => Ok(Arc::new(Interpreter::named(path)?)),
        PythonWanted::Off => Err("--no-python".to_string()),
    };

    // The whole tour is read as one stretch too: sections too short for the counters on
    // their own are judged within it.
    let started = env.meter.snapshot();
    step("info", Turns::Switches);
    let look = env.look(LOOK);
    let info = info::of_look(env, &look);
    step("interleave (one CPU)", Turns::Switches);
    let one_core = interleave::run(
        &interleave::Config {
            tasks: 2,
            cpu: None,
            look: Some(look),
            switch_probes: true,
            size: WorkSize::TaskTime(sizes.task),
            seed: config.seed,
            repeats: warming,
            quantum: interleave::Quantum::Time(Duration::from_millis(1)),
            wait: None,
            wait_every: Duration::from_millis(10),
            progress: false,
        },
        env,
    )?;
    step("parallel (all CPUs)", Turns::Switches);
    let parallel_config =
        |tasks: usize, threads: usize, placements: Vec<Placement>| parallel::Config {
            tasks,
            threads,
            placements,
            size: WorkSize::TaskTime(sizes.parallel_task),
            seed: config.seed,
            repeats,
            progress: false,
            limit: config.limit,
        };
    let all_cores = parallel::run(
        &parallel_config(cpus.clamp(2, 8), config.limit.workers, Vec::new()),
        env,
    )?;
    // Where a core runs two hardware threads, question 3 also shows what they give: two
    // tasks pinned to one core's threads, then to two cores.
    let siblings = vec![Placement::Cores, Placement::Siblings];
    let placed = match placement::resolve(
        &siblings,
        machine.topology.as_ref(),
        machine.affinity.as_deref(),
    ) {
        Ok(_) => {
            step(
                "parallel (one core's hardware threads, two cores)",
                Turns::Switches,
            );
            Some(parallel::run(&parallel_config(2, 2, siblings), env)?)
        }
        Err(_) => None,
    };
    step("interleave with waits", Turns::Switches);
    let waits = interleave::run(
        &interleave::Config {
            tasks: 2,
            cpu: None,
            look: None,
            // Question 6 quotes the first interleave's switch costs.
            switch_probes: false,
            size: WorkSize::TaskTime(sizes.wait_compute),
            seed: config.seed,
            repeats,
            quantum: interleave::Quantum::Time(Duration::from_millis(1)),
            wait: Some(sizes.wait),
            wait_every: sizes.wait_compute / 10,
            progress: false,
        },
        env,
    )?;
    step("race", Turns::Switches);
    let race_config = |iterations| race::Config {
        threads: 2,
        iterations,
        runs: sizes.race_runs,
        warmup: repeats.warmup,
        modes: Vec::new(),
        one_core: false,
        progress: false,
    };
    let mut races = race::run(&race_config(sizes.race_iterations), env)?;
    // On one CPU the race needs a preemption inside the loop: lengthen the loop, within a
    // bound, until a run goes wrong; only then, if it still did not, say so.
    let searching = env.now();
    let mut iterations = sizes.race_iterations;
    while crate::claims::find(&races.claims, ClaimId::RaceLostUpdates, None)
        .is_some_and(|c| c.holds == Some(false))
        && iterations < sizes.race_iterations * 100
        && env.now() - searching < RACE_SEARCH
    {
        iterations *= 10;
        step("race (a longer loop)", Turns::Switches);
        races = race::run(&race_config(iterations), env)?;
    }
    step("gil-sim (cpu)", Turns::Lock);
    let gil_cpu_config = gil_config(gil_sim::WorkloadKind::Cpu, &sizes, repeats, config.seed);
    let (gil_cpu, python_missing) = match &python {
        Ok(found) => {
            let beside = gil_sim::Config {
                python: Some(gil_sim::Python::Ready(Arc::clone(found))),
                ..gil_cpu_config.clone()
            };
            match gil_sim::run(&beside, env) {
                Ok(report) => (report, None),
                // The model's answers need no Python: one that fails is said, not fatal.
                Err(e) if !crate::interrupt::interrupted() => (
                    gil_sim::run(&gil_cpu_config, env)?,
                    Some(format!("{} failed: {e:#}", found.executable.display())),
                ),
                Err(e) => return Err(e),
            }
        }
        Err(why) => (gil_sim::run(&gil_cpu_config, env)?, Some(why.clone())),
    };
    step("gil-sim (io)", Turns::Lock);
    let gil_io = gil_sim::run(
        &gil_config(gil_sim::WorkloadKind::Io, &sizes, repeats, config.seed),
        env,
    )?;
    step("maxprocs", Turns::Switches);
    let sweep = maxprocs::run(
        &maxprocs::Config {
            procs: None,
            tasks: None,
            size: maxprocs::SweepSize::TotalTime(sizes.sweep),
            serial_fraction: 0.0,
            seed: config.seed,
            repeats,
            progress: false,
            limit: config.limit,
        },
        env,
    )?;

    let sections = vec![
        machine_section(info),
        difference(&one_core, &all_cores),
        multicore(&all_cores, placed),
        problems(&waits, &all_cores),
        harder(&races),
        kinds(&one_core),
        what_they_create(&one_core),
        gil(&gil_cpu, &gil_io, python_missing.as_deref()),
        gil_workaround(&gil_cpu),
        gomaxprocs(&sweep),
    ];
    let whole = Reading::between(
        &started,
        &env.meter.snapshot(),
        &env.mask(),
        env.meter.tick(),
    );
    let interference = Interference::of_tour(
        &whole,
        &env.mask(),
        sections.iter().map(|s| &s.interference),
    );
    let notes = vec![trust_note(&sections, &interference)];
    Ok(Tour {
        schema: crate::model::SCHEMA,
        demo: crate::model::Demo::Tour,
        machine,
        interference,
        sections,
        notes,
        live: None,
    })
}

/// Which sections other programs disturbed, or that none did, as far as the meter tells: each
/// section on its own reading, or where that is too short, within the whole tour's (`all`).
fn trust_note(sections: &[Section], all: &Interference) -> String {
    // "sections 4, 5 were" or "section 5 was".
    let were = |numbers: &[String]| match numbers {
        [one] => format!("section {one} was"),
        many => format!("sections {} were", many.join(", ")),
    };
    let numbered = |keep: &dyn Fn(&Interference) -> bool| -> Vec<String> {
        sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.interference.wall_ms > 0.0 && keep(&s.interference))
            .map(|(i, _)| (i + 1).to_string())
            .collect()
    };
    let disturbed = numbered(&|i| i.verdict == Verdict::Disturbed);
    let unknown = numbered(&|i| all.judge_within(i) == Verdict::Unknown);
    let within =
        numbered(&|i| i.verdict == Verdict::Unknown && all.judge_within(i) == Verdict::Quiet);
    let others = all.others_cpus.map_or_else(String::new, |o| {
        format!(
            " ({o:.2} CPUs over the whole tour of {:.1} s)",
            all.wall_ms / 1e3
        )
    });
    if !disturbed.is_empty() {
        format!(
            "Other programs took CPU time while {} measured{others}: their figures are off, and their answers may not hold on a quiet machine; run the tour again with nothing else running.",
            were(&disturbed)
        )
    } else if !unknown.is_empty() {
        format!(
            "Whether other programs took CPU time could not be told for {} {} (runs too short for the counters, or no /proc/stat){others}.",
            if unknown.len() == 1 {
                "section"
            } else {
                "sections"
            },
            unknown.join(", ")
        )
    } else {
        let short = if within.is_empty() {
            String::new()
        } else {
            let most = sections
                .iter()
                .filter_map(|s| {
                    (s.interference.verdict == Verdict::Unknown)
                        .then(|| all.bound_within(&s.interference))
                        .flatten()
                })
                .fold(0.0, f64::max);
            format!(
                "; {} too short for the counters on its own, and within the whole tour other programs can have taken at most {most:.2} CPUs during {}",
                were(&within),
                if within.len() == 1 { "it" } else { "each" }
            )
        };
        format!(
            "Quiet: other programs took less than {} CPUs while every section was measured{others}{short}, so the figures are this machine's own.",
            all.threshold_cpus
        )
    }
}

/// The Python the tour runs beside the GIL model: `python3` on `PATH` where it is one conpar
/// can use, or why there is none (the tour then answers from the model alone). An error only
/// where the search was interrupted.
fn find_python() -> anyhow::Result<Result<Arc<Interpreter>, String>> {
    match Interpreter::find(Path::new("python3")) {
        Ok(interpreter) => Ok(Ok(Arc::new(interpreter))),
        Err(e) if crate::interrupt::interrupted() => Err(e),
        Err(e) => Ok(Err(format!("{e:#}"))),
    }
}

fn gil_config(
    workload: gil_sim::WorkloadKind,
    sizes: &Sizes,
    repeats: Repeats,
    seed: u64,
) -> gil_sim::Config {
    gil_sim::Config {
        threads: 2,
        variants: gil_sim::Variant::ALL.to_vec(),
        workload,
        switch_interval: crate::gil::CPYTHON_SWITCH_INTERVAL,
        check_interval: crate::gil::CPYTHON_CHECK_INTERVAL,
        check_every: Duration::from_micros(5),
        io_wait: Duration::from_millis(1),
        requests: None,
        size: WorkSize::TaskTime(sizes.task),
        seed,
        repeats,
        progress: false,
        exe: None,
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A section whose own reading of 2 CPUs over `wall_ms` gave `verdict`.
    fn section(verdict: Verdict, wall_ms: f64) -> Section {
        let mut interference = Interference::none();
        interference.verdict = verdict;
        interference.wall_ms = wall_ms;
        interference.watched_cpus = vec![0, 1];
        interference.others_cpus = Some(if verdict == Verdict::Disturbed {
            0.9
        } else {
            0.0
        });
        Section {
            question: "Why?".into(),
            topic: "why".into(),
            answer: Vec::new(),
            key_figure: crate::model::KeyFigure::default(),
            reports: Vec::new(),
            interference,
            view: View::default(),
        }
    }

    /// A whole tour of 3 s on 2 CPUs that read `others` CPUs, to within one tick per CPU.
    fn whole(others: f64) -> Interference {
        let mut all = Interference::none();
        all.others_cpus = Some(others);
        all.steal_cpus = Some(0.0);
        all.resolution_cpus = Some(2.0 * 0.01 / 3.0);
        all.wall_ms = 3000.0;
        all.watched_cpus = vec![0, 1];
        all.threshold_cpus = 0.2;
        all
    }

    #[test]
    fn a_quiet_tour_says_so_and_vouches_for_its_short_sections() {
        let quiet = [
            section(Verdict::Quiet, 900.0),
            section(Verdict::Quiet, 700.0),
        ];
        let note = trust_note(&quiet, &whole(0.0));
        assert!(note.starts_with("Quiet: "), "{note}");
        assert!(
            note.contains("(0.00 CPUs over the whole tour of 3.0 s)"),
            "{note}"
        );
        assert!(!note.contains("too short"), "{note}");
        let short = [
            section(Verdict::Quiet, 900.0),
            section(Verdict::Unknown, 160.0),
        ];
        let note = trust_note(&short, &whole(0.0));
        assert!(note.starts_with("Quiet: "), "{note}");
        assert!(
            note.contains("section 2 was too short for the counters on its own"),
            "{note}"
        );
        assert!(note.contains("at most 0.12 CPUs during it"), "{note}");
    }

    #[test]
    fn what_the_whole_cannot_vouch_for_stays_unknown() {
        let tiny = [
            section(Verdict::Quiet, 900.0),
            section(Verdict::Unknown, 40.0),
        ];
        let note = trust_note(&tiny, &whole(0.0));
        assert!(
            note.starts_with(
                "Whether other programs took CPU time could not be told for section 2 "
            ),
            "{note}"
        );
        let busy_whole = [
            section(Verdict::Unknown, 160.0),
            section(Verdict::Unknown, 170.0),
        ];
        let note = trust_note(&busy_whole, &whole(0.3));
        assert!(note.contains("for sections 1, 2 "), "{note}");
    }

    #[test]
    fn a_disturbed_section_is_named_whatever_the_rest() {
        let sections = [
            section(Verdict::Quiet, 900.0),
            section(Verdict::Unknown, 160.0),
            section(Verdict::Disturbed, 400.0),
        ];
        let note = trust_note(&sections, &whole(0.1));
        assert!(
            note.starts_with("Other programs took CPU time while section 3 was measured"),
            "{note}"
        );
    }
}
