//! `conpar gil-sim`: why Python threads do not speed up CPU-bound work, and why processes do.
//!
//! Real OS threads run the shared kernel as "bytecode" in small steps and must hold one
//! global lock ([`crate::gil`]) to run a step. The same tasks run one after another
//! (`sequential`, the oracle and baseline), on threads under `CPython`'s new GIL (`gil-new`),
//! under the old one (`gil-old`), with no GIL (`no-gil`, PEP 703), and in child processes with
//! a lock each (`processes`, the multiprocessing workaround). Workloads: `cpu` (every thread
//! computes), `io` (every thread mostly waits, with the lock released) and `mixed` (CPU-bound
//! threads beside one I/O thread, whose request latency shows the convoy effect).
//!
//! Each mode's figures come from its run closest to the median: the lock's hand-offs per
//! second, per-thread hold and wait times and counters (in a `gil` object), I/O request
//! latencies (in an `io` object) and the timeline of who held the lock when.

use super::Repeats;
use crate::claims::Claim;
use crate::engine::{self, Env, Measured, Measurement, Mode, Oracle, Plan};
use crate::error::UsageError;
use crate::exec::gil::{self as exec_gil, GilPlan, GilRun, Request, TaskPlan};
use crate::exec::process;
use crate::findings::{Findings, GilDetail, GilFindings, GilThread, IoColumns, IoDetail};
use crate::gil::{GilConfig, GilKind};
use crate::report::{LaneKind, ModeResult, Report, SCHEMA, Timeline, WorkloadReport, format_ms};
use crate::stats::{percentile, round_to as round};
use crate::sys::Machine;
use crate::workload::{WorkSize, Workload};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// What the threads do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// Every thread computes.
    Cpu,
    /// Every thread makes I/O requests: it mostly waits, with the lock released.
    Io,
    /// CPU-bound threads beside one I/O thread making short requests.
    Mixed,
}

impl WorkloadKind {
    fn name(self) -> &'static str {
        match self {
            WorkloadKind::Cpu => "cpu",
            WorkloadKind::Io => "io",
            WorkloadKind::Mixed => "mixed",
        }
    }
}

/// A way of running the tasks, besides `sequential`, which always runs as the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// One thread per task under one lock of this kind.
    Threads(GilKind),
    /// One child process per task, each with its own lock.
    Processes,
}

impl Variant {
    /// Every variant, in the order they run and are shown.
    pub const ALL: [Variant; 4] = [
        Variant::Threads(GilKind::New),
        Variant::Threads(GilKind::Old),
        Variant::Threads(GilKind::None),
        Variant::Processes,
    ];

    pub fn mode(self) -> &'static str {
        match self {
            Variant::Threads(kind) => kind.mode(),
            Variant::Processes => "processes",
        }
    }
}

/// What `gil-sim` runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Threads (or processes), one task each.
    pub threads: usize,
    /// The variants to compare with sequential, in any order.
    pub variants: Vec<Variant>,
    pub workload: WorkloadKind,
    pub switch_interval: Duration,
    pub check_interval: u32,
    /// About how much work one step is.
    pub check_every: Duration,
    /// How long one I/O request waits.
    pub io_wait: Duration,
    /// Requests per I/O-bound task; by default as many as take about as long as a CPU task.
    pub requests: Option<u64>,
    pub size: WorkSize,
    pub seed: u64,
    pub repeats: Repeats,
    /// May a progress bar be shown?
    pub progress: bool,
    /// The `conpar` binary to start as worker processes (default: this executable).
    pub exe: Option<PathBuf>,
}

/// One mode's measured runs with what the lock did in each.
struct GilMeasured {
    measured: Measured<GilRun>,
    variant: Option<Variant>,
}

impl GilMeasured {
    /// The run closest to the median: the one whose figures are shown.
    fn representative(&self) -> &GilRun {
        &self.measured.median_sample().value
    }
}

impl Measurement for GilRun {
    fn run(&self) -> &crate::exec::Run {
        &self.run
    }
}

pub fn run(config: &Config, env: &Env) -> anyhow::Result<Report> {
    if config.workload == WorkloadKind::Mixed && config.threads < 2 {
        return Err(UsageError(
            "--workload mixed needs --threads 2 or more (CPU-bound threads beside one I/O thread)"
                .into(),
        )
        .into());
    }
    let machine = env.machine.clone();
    let cpu_workload = Workload::new(config.threads, config.size, config.seed);
    let unit_ns = cpu_workload.unit_ns;
    let step_units = ((config.check_every.as_nanos() as f64 / unit_ns).round() as u64).max(1);
    let step_time = Duration::from_secs_f64(step_units as f64 * unit_ns / 1e9);
    let cpu_task_time = Duration::from_secs_f64(cpu_workload.units_per_task as f64 * unit_ns / 1e9);
    let requests = config.requests.unwrap_or_else(|| {
        ((cpu_task_time.as_secs_f64() / (config.io_wait + step_time).as_secs_f64()).round() as u64)
            .max(1)
    });
    let cpu_task = TaskPlan {
        units: cpu_workload.units_per_task,
        io_wait: None,
    };
    let io_task = TaskPlan {
        units: requests.saturating_mul(step_units),
        io_wait: Some(config.io_wait),
    };
    let tasks: Vec<TaskPlan> = (0..config.threads)
        .map(|i| match config.workload {
            WorkloadKind::Io => io_task,
            WorkloadKind::Mixed if i + 1 == config.threads => io_task,
            WorkloadKind::Cpu | WorkloadKind::Mixed => cpu_task,
        })
        .collect();
    let plan = GilPlan {
        tasks,
        seed: config.seed,
        step_units,
        lock: GilConfig {
            kind: GilKind::New,
            switch_interval: config.switch_interval,
            check_interval: config.check_interval,
        },
    };
    let variants: Vec<Variant> = Variant::ALL
        .into_iter()
        .filter(|v| config.variants.contains(v))
        .collect();
    let pass = estimated_pass(&plan, unit_ns);
    let exe = match (&config.exe, variants.contains(&Variant::Processes)) {
        (Some(exe), _) => Some(exe.clone()),
        (None, true) => Some(process::current_exe()?),
        (None, false) => None,
    };

    let mut kinds: Vec<(&str, usize, Option<Variant>)> = vec![("sequential", 1, None)];
    kinds.extend(
        variants
            .iter()
            .map(|&v| (v.mode(), config.threads, Some(v))),
    );
    let plans: Vec<GilPlan> = kinds
        .iter()
        .map(|&(_, _, variant)| match variant {
            Some(Variant::Threads(kind)) => GilPlan {
                lock: GilConfig { kind, ..plan.lock },
                ..plan.clone()
            },
            _ => plan.clone(),
        })
        .collect();
    let modes: Vec<Mode<'_, GilRun>> = kinds
        .iter()
        .zip(&plans)
        .map(|(&(name, threads, variant), plan)| {
            let exe = exe.as_deref();
            Mode::new(name, threads, pass, move || match variant {
                None => exec_gil::run_sequential(plan),
                Some(Variant::Threads(_)) => exec_gil::run_threads(plan),
                Some(Variant::Processes) => {
                    exec_gil::run_processes(exe.expect("the executable was found above"), plan)
                }
            })
        })
        .collect();
    let engine_plan = Plan {
        repeats: config.repeats,
        watch: env.mask(),
        oracle: Oracle::FirstMode,
        advice: "use fewer --units, --requests, --threads or --runs, or a shorter --io-wait",
        progress: config.progress,
    };
    let outcome = engine::measure(env, modes, &engine_plan)?;
    let expected = outcome.expected;
    let interference = outcome.interference;
    let measured: Vec<GilMeasured> = outcome
        .modes
        .into_iter()
        .zip(&kinds)
        .map(|(measured, &(_, _, variant))| GilMeasured { measured, variant })
        .collect();

    let figures: Vec<Figures> = measured
        .iter()
        .map(|m| Figures::of(m, &plan, config.workload))
        .collect();
    let results: Vec<ModeResult> = measured
        .iter()
        .zip(&figures)
        .map(|(m, f)| {
            let mut result = m.measured.result(&measured[0].measured, expected);
            result.findings = Findings::Gil(f.findings(m, &plan));
            result
        })
        .collect();
    let mut timeline = Timeline::default();
    for m in &measured {
        let (run, mut recorded) = m.measured.timeline();
        recorded.lanes = if m.variant == Some(Variant::Processes) {
            LaneKind::Process
        } else {
            LaneKind::Thread
        };
        timeline.add(run, recorded);
    }
    let claims = claims(
        &machine,
        config.workload,
        &results,
        &timeline,
        &interference,
    );
    let notes = Notes {
        config,
        machine: &machine,
        plan: &plan,
        unit_ns,
        measured: &measured,
        results: &results,
        figures: &figures,
        claims: &claims,
    }
    .sentences();
    let workload = Workload {
        tasks: config.threads,
        units_per_task: match config.workload {
            WorkloadKind::Io => io_task.units,
            WorkloadKind::Cpu | WorkloadKind::Mixed => cpu_task.units,
        },
        chunk_units: step_units,
        ..cpu_workload
    };
    let notes = super::notes_with(&interference, notes);
    Ok(Report {
        schema: SCHEMA,
        demo: "gil-sim".into(),
        machine,
        workload: Some(WorkloadReport::new(workload, config.repeats, expected)),
        results,
        maxprocs: None,
        amdahl: None,
        timeline,
        interference,
        claims,
        notes,
    })
}

/// About how long one sequential pass over all tasks takes: their kernel work plus their
/// I/O waits.
fn estimated_pass(plan: &GilPlan, unit_ns: f64) -> Duration {
    let secs: f64 = plan
        .tasks
        .iter()
        .map(|t| {
            let waits = t.io_wait.map_or(0.0, |w| {
                w.as_secs_f64() * t.requests(plan.step_units) as f64
            });
            t.units as f64 * unit_ns / 1e9 + waits
        })
        .sum();
    Duration::from_secs_f64(secs.min(1e9))
}

/// Latency figures of a set of I/O requests.
#[derive(Debug, Clone, PartialEq)]
struct IoFigures {
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
    requests_per_s: f64,
}

impl IoFigures {
    fn of(requests: &[&Request]) -> Option<IoFigures> {
        let mut latencies: Vec<f64> = requests
            .iter()
            .map(|r| r.latency().as_secs_f64() * 1e3)
            .collect();
        latencies.sort_by(f64::total_cmp);
        let first = requests.iter().map(|r| r.start).min()?;
        let last = requests.iter().map(|r| r.end).max()?;
        let span = last.saturating_sub(first).as_secs_f64();
        Some(IoFigures {
            requests: requests.len(),
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
            requests_per_s: if span > 0.0 {
                requests.len() as f64 / span
            } else {
                0.0
            },
        })
    }
}

/// The figures of one mode's representative run that the report shows besides the common
/// ones.
struct Figures {
    handoffs_per_s: f64,
    /// `None` for the `cpu` workload; `Some(None)` where no request ran beside CPU work.
    // The two levels are the two documented absences, each worded apart in the notes.
    #[allow(clippy::option_option)]
    io: Option<Option<IoFigures>>,
    /// Are the I/O figures of requests made beside CPU-bound work (`mixed`, except
    /// sequential, where the I/O thread runs alone)?
    io_beside_cpu_work: bool,
}

impl Figures {
    fn of(m: &GilMeasured, plan: &GilPlan, workload: WorkloadKind) -> Figures {
        let run = m.representative();
        let io_beside_cpu_work = workload == WorkloadKind::Mixed && m.variant.is_some();
        let io = match workload {
            WorkloadKind::Cpu => None,
            _ if !io_beside_cpu_work => {
                Some(IoFigures::of(&run.requests.iter().collect::<Vec<_>>()))
            }
            _ => {
                let cpu_end = run.cpu_work_end(plan).unwrap_or_default();
                let beside: Vec<&Request> =
                    run.requests.iter().filter(|r| r.end <= cpu_end).collect();
                Some(IoFigures::of(&beside))
            }
        };
        Figures {
            handoffs_per_s: run.handoffs_per_s(),
            io,
            io_beside_cpu_work,
        }
    }

    /// The demo's findings of a result: scalar columns first, then the JSON-only objects.
    fn findings(&self, m: &GilMeasured, plan: &GilPlan) -> GilFindings {
        let run = m.representative();
        let io_columns = self.io.as_ref().map(|io| IoColumns {
            io_p50_ms: io.as_ref().map(|io| round(io.p50_ms, 3)),
            io_p99_ms: io.as_ref().map(|io| round(io.p99_ms, 3)),
            io_requests_per_s: io.as_ref().map(|io| io.requests_per_s.round() as u64),
        });
        let kind = match m.variant {
            Some(Variant::Threads(kind)) => kind,
            // Sequential runs one thread, processes one per child: each under its own new GIL.
            None | Some(Variant::Processes) => GilKind::New,
        };
        let threads = run
            .threads
            .iter()
            .enumerate()
            .map(|(i, stats)| {
                let ran: Duration = run
                    .run
                    .slices
                    .iter()
                    .filter(|s| s.worker() == i)
                    .map(|s| s.end().saturating_sub(s.start()))
                    .sum();
                GilThread {
                    thread: i,
                    run_ms: round(ran.as_secs_f64() * 1e3, 3),
                    stats: stats.clone(),
                }
            })
            .collect();
        let gil = GilDetail {
            kind,
            locks: if m.variant == Some(Variant::Processes) {
                run.threads.len()
            } else {
                1
            },
            switch_interval_ms: plan.lock.switch_interval.as_secs_f64() * 1e3,
            check_interval: plan.lock.check_interval,
            step_units: plan.step_units,
            handoffs: run.lock.handoffs,
            handoffs_per_s: round(self.handoffs_per_s, 1),
            handoff_latency_us: run
                .lock
                .handoff_latency
                .map(|d| round(d.as_secs_f64() * 1e6, 1)),
            drop_requests: total(run, |t| t.drop_requests),
            forced_switches: total(run, |t| t.forced_switches),
            futile_wakeups: total(run, |t| t.futile_wakeups),
            threads,
        };
        let io = self.io.as_ref().map(|io| {
            let io_task = plan.tasks.iter().find(|t| t.io_wait.is_some());
            IoDetail {
                wait_ms: io_task
                    .and_then(|t| t.io_wait)
                    .map(|w| w.as_secs_f64() * 1e3),
                requests_per_task: io_task.map(|t| t.requests(plan.step_units)),
                measured_requests: io.as_ref().map_or(0, |io| io.requests),
                beside_cpu_work: self.io_beside_cpu_work,
                p50_ms: io.as_ref().map(|io| round(io.p50_ms, 3)),
                p99_ms: io.as_ref().map(|io| round(io.p99_ms, 3)),
                requests_per_s: io.as_ref().map(|io| round(io.requests_per_s, 1)),
            }
        });
        GilFindings {
            handoffs_per_s: self.handoffs_per_s.round() as u64,
            io_columns,
            gil,
            io,
        }
    }
}

/// Everything the notes are made from.
struct Notes<'a> {
    config: &'a Config,
    machine: &'a Machine,
    plan: &'a GilPlan,
    unit_ns: f64,
    measured: &'a [GilMeasured],
    results: &'a [ModeResult],
    figures: &'a [Figures],
    claims: &'a [Claim],
}

/// Steps of two threads overlapping for less than this share of a run is recording jitter
/// around a hand-off, not two threads running at once.
const OVERLAP_JITTER: f64 = 0.01;

/// The claims of `gil-sim`: threads behind a lock take turns, their waits overlap anyway,
/// threads without a lock and processes run at once, and the old GIL's battle.
pub fn claims(
    machine: &Machine,
    workload: WorkloadKind,
    results: &[ModeResult],
    timeline: &Timeline,
    interference: &crate::interference::Interference,
) -> Vec<Claim> {
    let mut claims = Vec::new();
    let baseline_ms = results.first().map_or(0.0, |b| b.wall_ms.median);
    let unjudgeable = crate::claims::speed_unjudgeable(interference, baseline_ms);
    let possible = crate::claims::parallel_possible(machine);
    let drawn = |mode: &str, by_worker: bool| crate::claims::drawn(timeline, mode, by_worker);
    for r in results.iter().skip(1) {
        let mode = r.mode.as_str();
        let [low, high] = r.speedup_interval;
        let figures = format!(
            "speedup {:.2}, {low:.2}-{high:.2} in single rounds",
            r.speedup
        );
        match (mode, workload) {
            ("gil-new" | "gil-old", WorkloadKind::Cpu) => {
                let (overlap, wall) = drawn(mode, true);
                let turns = overlap.map(|o| o <= wall * OVERLAP_JITTER);
                claims.push(
                    Claim::new("gil.take_turns", Some(mode))
                        .figure("overlap_ms", overlap)
                        .figure("wall_ms", wall)
                        .judged(turns, match (turns, overlap) {
                            (Some(true), _) => format!("{mode}: only the thread holding the lock ran: no two threads ran a step at the same time in the run drawn, so the CPU-bound threads took turns ({figures})."),
                            (Some(false), Some(o)) => format!("{mode}: threads ran steps at the same time for {} of {} ms in the run drawn: the lock did not keep them apart.", format_ms(o), format_ms(wall)),
                            _ => format!("{mode}: whether the threads took turns cannot be told: no steps were recorded."),
                        }),
                );
            }
            ("gil-new" | "gil-old", WorkloadKind::Io) => {
                let (holds, text) = match &unjudgeable {
                    Some(why) => (
                        None,
                        format!(
                            "{mode}: whether the threads' waits overlapped under the lock cannot be judged here: {why} ({figures})."
                        ),
                    ),
                    None if low > 1.0 => (
                        Some(true),
                        format!(
                            "{mode}: the threads' waits overlapped even under the lock, faster than one after another in every round ({figures}): a thread waiting for I/O has released it."
                        ),
                    ),
                    None => (
                        Some(false),
                        format!(
                            "{mode}: the threads' waits did not overlap in every round ({figures})."
                        ),
                    ),
                };
                claims.push(
                    Claim::new("gil.waits_overlap", Some(mode))
                        .figure("speedup_interval", r.speedup_interval)
                        .judged(holds, text),
                );
            }
            ("no-gil" | "processes", WorkloadKind::Cpu) if r.threads >= 2 => {
                let (at_once, wall) = drawn(mode, false);
                let what = if mode == "processes" {
                    "processes, each with a lock of its own,"
                } else {
                    "threads, with no global lock,"
                };
                let (holds, text) = match (possible.holds, at_once, &unjudgeable) {
                    (Some(false), _, _) => (
                        Some(false),
                        format!(
                            "{mode}: the {what} could not run faster together: {}",
                            lower_first(&possible.text)
                        ),
                    ),
                    (_, None, _) => (
                        None,
                        format!(
                            "{mode}: which CPU ran what is not known here, so whether the {what} ran at once cannot be told."
                        ),
                    ),
                    // On a busy machine the other programs may hold the second CPU.
                    (_, Some(o), Some(why)) if o <= 0.0 => (
                        None,
                        format!(
                            "{mode}: the {what} never ran at the same instant in the run drawn, but this run cannot judge whether they could: {why} ({figures})."
                        ),
                    ),
                    (_, Some(o), None) if o <= 0.0 => (
                        Some(false),
                        format!(
                            "{mode}: the {what} never ran at the same instant in the run drawn ({figures})."
                        ),
                    ),
                    (_, Some(o), Some(why)) => (
                        None,
                        format!(
                            "{mode}: the {what} ran at the same time for {} of {} ms, but whether that made them faster cannot be judged here: {why} ({figures}).",
                            format_ms(o),
                            format_ms(wall)
                        ),
                    ),
                    (_, Some(o), None) => (
                        Some(low > 1.0),
                        format!(
                            "{mode}: the {what} ran at the same time on different CPUs for {} of {} ms in the run drawn, {} ({figures}){}.",
                            format_ms(o),
                            format_ms(wall),
                            if low > 1.0 {
                                "faster than one after another in every round"
                            } else {
                                "yet not faster in every round"
                            },
                            if mode == "processes" {
                                ", at the cost of starting processes"
                            } else {
                                ""
                            }
                        ),
                    ),
                };
                claims.push(
                    Claim::new(
                        if mode == "processes" {
                            "gil.processes_parallel"
                        } else {
                            "gil.no_gil_parallel"
                        },
                        Some(mode),
                    )
                    .figure("at_once_ms", at_once)
                    .figure("speedup_interval", r.speedup_interval)
                    .judged(holds, text),
                );
            }
            _ => {}
        }
    }
    let find = |mode: &str| results.iter().find(|r| r.mode == mode);
    if let (Some(new), Some(old), WorkloadKind::Cpu) = (find("gil-new"), find("gil-old"), workload)
    {
        let (n, o) = (&new.wall_ms, &old.wall_ms);
        let figures = format!(
            "gil-old took {} ms ({}-{}) against gil-new's {} ms ({}-{})",
            format_ms(o.median),
            format_ms(o.min),
            format_ms(o.max),
            format_ms(n.median),
            format_ms(n.min),
            format_ms(n.max)
        );
        let (holds, text) = match &unjudgeable {
            Some(why) => (
                None,
                format!("{figures}: whether the old GIL is slower cannot be judged here: {why}."),
            ),
            None if o.min > n.max => (
                Some(true),
                format!(
                    "{figures}: slower, beyond the spread of the runs: the old GIL's battle, where a woken thread finds the lock already taken again."
                ),
            ),
            None if o.max < n.min => (
                Some(false),
                format!("{figures}: faster, beyond the spread of the runs."),
            ),
            None => (
                Some(false),
                format!("{figures}: no difference beyond the spread of the runs."),
            ),
        };
        claims.push(
            Claim::new("gil.old_battle", Some("gil-old"))
                .figure("old_ms", [o.min, o.median, o.max])
                .figure("new_ms", [n.min, n.median, n.max])
                .judged(holds, text),
        );
    }
    claims.push(crate::claims::checksums(results, None));
    claims
}

impl Notes<'_> {
    fn sentences(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let config = self.config;
        let interval = config.switch_interval;
        let per_interval = 1.0 / interval.as_secs_f64();
        let possible = crate::claims::parallel_possible(self.machine);
        if possible.holds == Some(false) || self.machine.cgroup_quota_cpus.is_some() {
            notes.push(possible.text);
        }
        notes.push(format!(
            "Workload {}: {} thread(s), each running its task in steps of {} units (about {}), holding the lock for each step; switch interval {}, old-GIL check interval {} steps.",
            config.workload.name(),
            config.threads,
            self.plan.step_units,
            human(Duration::from_secs_f64(self.plan.step_units as f64 * self.unit_ns / 1e9)),
            human(interval),
            config.check_interval
        ));
        if let Some(io) = self.plan.tasks.iter().find(|t| t.io_wait.is_some()) {
            notes.push(format!(
                "An I/O thread makes {} requests: each releases the lock, waits {}, takes the lock back and runs one step.",
                io.requests(self.plan.step_units),
                human(io.io_wait.unwrap_or_default())
            ));
        }
        let sequential_ms = self.results[0].wall_ms.median;
        for (i, (m, r)) in self.measured.iter().zip(self.results).enumerate().skip(1) {
            let f = &self.figures[i];
            let run = m.representative();
            let head = format!(
                "{}: {} took {} ms against {} ms sequential (speedup {:.2}) on {} CPU(s)",
                r.mode,
                match m.variant {
                    Some(Variant::Processes) => format!("{} processes", r.threads),
                    _ => format!("{} threads", r.threads),
                },
                format_ms(r.wall_ms.median),
                format_ms(sequential_ms),
                r.speedup,
                r.cpus_used.len()
            );
            let tail = match (m.variant, config.workload) {
                (Some(Variant::Threads(GilKind::None) | Variant::Processes), WorkloadKind::Cpu) => {
                    ".".into()
                }
                (Some(Variant::Threads(GilKind::New)), WorkloadKind::Cpu) => format!(
                    ". The lock changed hands {:.0} times a second (1/switch interval = {:.0}), after {} drop requests and {} forced switches{}.",
                    f.handoffs_per_s,
                    per_interval,
                    total(run, |t| t.drop_requests),
                    total(run, |t| t.forced_switches),
                    run.lock
                        .handoff_latency
                        .map_or_else(String::new, |d| format!(
                            "; a hand-off took {} on average",
                            human(d)
                        ))
                ),
                (Some(Variant::Threads(GilKind::Old)), WorkloadKind::Cpu) => {
                    let futile = total(run, |t| t.futile_wakeups);
                    format!(
                        ": the holder released and at once re-took the lock every {} steps with no hand-off; {}, and the lock changed hands {:.0} times a second.",
                        config.check_interval,
                        if futile > 0 {
                            format!("{futile} wake-ups found it taken again (the GIL battle)")
                        } else {
                            "no wake-up found it taken again this time".into()
                        },
                        f.handoffs_per_s
                    )
                }
                (_, WorkloadKind::Io) => format!("; {:.0} hand-offs a second.", f.handoffs_per_s),
                _ => format!(
                    "; the lock changed hands {:.0} times a second.",
                    f.handoffs_per_s
                ),
            };
            notes.push(head + &tail);
            notes.extend(
                self.claims
                    .iter()
                    .filter(|c| c.mode.as_deref() == Some(&r.mode) && c.id != "gil.old_battle")
                    .map(|c| c.text.clone()),
            );
        }
        notes.extend(
            crate::claims::find(self.claims, "gil.old_battle", None).map(|c| c.text.clone()),
        );
        if config.workload == WorkloadKind::Mixed {
            notes.extend(self.convoy());
        }
        for (m, r) in self.measured.iter().zip(self.results) {
            if !matches!(
                m.variant,
                Some(Variant::Threads(GilKind::New | GilKind::Old))
            ) {
                continue;
            }
            for (t, stats) in m.representative().threads.iter().enumerate() {
                notes.push(format!(
                    "{} thread{t}: held the lock {} ms, waited {} ms (longest {} ms), {} acquisitions, {} drop requests, {} forced switches, {} futile wake-ups.",
                    r.mode,
                    format_ms(stats.hold.as_secs_f64() * 1e3),
                    format_ms(stats.wait.as_secs_f64() * 1e3),
                    format_ms(stats.max_wait.as_secs_f64() * 1e3),
                    stats.acquisitions,
                    stats.drop_requests,
                    stats.forced_switches,
                    stats.futile_wakeups
                ));
            }
        }
        notes.push(
            "In the timeline (--timeline) each lane is one thread (or process), drawn from its measured steps: its task number where it ran a step, which under a GIL means it held the lock, and . where it did not."
                .into(),
        );
        notes.extend(super::checksum_note(self.claims));
        notes
    }

    /// The convoy effect in figures: the I/O thread's requests alone and beside CPU work.
    fn convoy(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let describe = |io: &IoFigures| {
            format!(
                "p50 {} ms, p99 {} ms, {:.0} requests/s",
                format_ms(io.p50_ms),
                format_ms(io.p99_ms),
                io.requests_per_s
            )
        };
        let alone = self.figures[0].io.as_ref().and_then(Option::as_ref);
        if let Some(alone) = alone {
            notes.push(format!(
                "Alone (sequential, after the CPU-bound work) the I/O thread's requests took {}.",
                describe(alone)
            ));
        }
        for (i, m) in self.measured.iter().enumerate().skip(1) {
            let mode = &self.results[i].mode;
            match self.figures[i].io.as_ref().and_then(Option::as_ref) {
                Some(io) => {
                    let mut line = format!(
                        "Beside the CPU-bound thread(s) under {mode}: {}",
                        describe(io)
                    );
                    if m.variant == Some(Variant::Threads(GilKind::New)) {
                        let _ = write!(
                            line,
                            ": back from each wait the I/O thread waited about one switch interval ({}) for the lock, the convoy effect (bpo-7946)",
                            human(self.config.switch_interval)
                        );
                    }
                    line.push('.');
                    notes.push(line);
                }
                None => notes.push(format!(
                    "Beside the CPU-bound thread(s) under {mode} the I/O thread completed no request at all before the CPU-bound work ended."
                )),
            }
        }
        notes
    }
}

/// A sentence continued after a colon.
fn lower_first(sentence: &str) -> String {
    let mut chars = sentence.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

fn total(run: &GilRun, f: fn(&crate::gil::ThreadStats) -> u64) -> u64 {
    run.threads.iter().map(f).sum()
}

/// A duration as people write it: 5ms, 4.9µs, 1.2s.
fn human(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1e6 {
        let text = format!("{:.3}", us / 1e6);
        format!("{}s", text.trim_end_matches('0').trim_end_matches('.'))
    } else if us >= 1e3 {
        let ms = us / 1e3;
        if ms.fract() == 0.0 {
            format!("{ms:.0}ms")
        } else {
            format!("{ms:.2}ms")
        }
    } else if us >= 10.0 {
        format!("{us:.0}µs")
    } else {
        format!("{us:.1}µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(Duration::from_millis(5)), "5ms");
        assert_eq!(human(Duration::from_micros(4900)), "4.90ms");
        assert_eq!(human(Duration::from_nanos(5200)), "5.2µs");
        assert_eq!(human(Duration::from_secs(1)), "1s");
    }

    fn config(workload: WorkloadKind, variants: Vec<Variant>) -> Config {
        Config {
            threads: 2,
            variants,
            workload,
            switch_interval: Duration::from_millis(1),
            check_interval: 10,
            check_every: Duration::from_micros(20),
            io_wait: Duration::from_micros(200),
            requests: Some(10),
            size: WorkSize::TaskTime(Duration::from_millis(10)),
            seed: 1,
            repeats: Repeats { runs: 1, warmup: 0 },
            progress: false,
            exe: None,
        }
    }

    #[test]
    fn threads_variants_report_the_shared_fields_and_the_lock() {
        let variants = vec![
            Variant::Threads(GilKind::New),
            Variant::Threads(GilKind::Old),
            Variant::Threads(GilKind::None),
        ];
        for workload in [WorkloadKind::Cpu, WorkloadKind::Io, WorkloadKind::Mixed] {
            let report = run(&config(workload, variants.clone()), &Env::with_load(0.0)).unwrap();
            let modes: Vec<&str> = report.results.iter().map(|r| r.mode.as_str()).collect();
            assert_eq!(modes, ["sequential", "gil-new", "gil-old", "no-gil"]);
            for r in &report.results {
                assert!(r.checksum_ok, "{workload:?} {}", r.mode);
                let json = serde_json::to_value(r).unwrap();
                assert!(json["handoffs_per_s"].is_number());
                let threads = json["gil"]["threads"].as_array().unwrap();
                assert_eq!(threads.len(), r.threads);
                assert!(threads[0]["hold_ms"].is_number());
                assert_eq!(json.get("io").is_some(), workload != WorkloadKind::Cpu);
                assert_eq!(
                    json.get("io_p50_ms").is_some(),
                    workload != WorkloadKind::Cpu
                );
            }
            let lanes: std::collections::BTreeSet<&str> = report
                .timeline
                .slices
                .iter()
                .filter(|s| s.mode == "gil-new")
                .map(|s| s.lane.as_str())
                .collect();
            assert_eq!(lanes, ["thread0", "thread1"].into());
        }
    }

    #[test]
    fn mixed_needs_two_threads() {
        let mut c = config(WorkloadKind::Mixed, vec![]);
        c.threads = 1;
        let error = run(&c, &Env::with_load(0.0)).unwrap_err();
        assert!(error.downcast_ref::<UsageError>().is_some());
    }

    #[test]
    fn absurd_work_is_refused() {
        let mut c = config(WorkloadKind::Io, vec![]);
        c.io_wait = Duration::from_secs(1);
        c.requests = Some(1_000_000);
        let error = run(&c, &Env::with_load(0.0)).unwrap_err();
        assert!(error.downcast_ref::<UsageError>().is_some());
    }
}

#[cfg(test)]
mod claim_tests {
    //! Every outcome of the gil-sim claims, on synthetic findings.
    use super::*;
    use crate::interference::{Interference, Verdict};
    use crate::report::{SliceReport, TimelineRun};

    fn row(mode: &str, walls: &[f64], interval: [f64; 2]) -> ModeResult {
        ModeResult::synthetic(mode, walls, interval, vec![0, 1])
    }

    /// Two threads of `mode` on cpu0 and cpu1: 0-40 ms and `second`.
    fn drawn(mode: &str, second: (f64, f64)) -> Timeline {
        let slice = |w: usize, start: f64, end: f64| SliceReport {
            mode: mode.into(),
            lane: format!("thread{w}"),
            task: w,
            worker: w,
            cpu: Some(w),
            start_us: start * 1e3,
            end_us: end * 1e3,
        };
        Timeline {
            runs: vec![TimelineRun {
                mode: mode.into(),
                run: 0,
                wall_us: 80e3,
            }],
            slices: vec![slice(0, 0.0, 40.0), slice(1, second.0, second.1)],
            ..Default::default()
        }
    }

    fn machine(cpus: usize) -> Machine {
        Machine::with_cpus(cpus)
    }

    fn verdict(v: Verdict) -> Interference {
        let mut i = Interference::none();
        i.verdict = v;
        i.others_cpus = Some(0.9);
        i
    }

    fn holds(c: &[Claim], id: &str) -> Option<bool> {
        crate::claims::find(c, id, None).unwrap().holds
    }

    const SEQ: [f64; 1] = [100.0];

    #[test]
    fn threads_behind_the_lock_take_turns_unless_their_steps_overlap() {
        let results = [
            row("sequential", &SEQ, [1.0, 1.0]),
            row("gil-new", &[100.0], [0.98, 1.0]),
        ];
        let apart = drawn("gil-new", (40.0, 80.0));
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &results,
            &apart,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, "gil.take_turns"), Some(true));
        let together = drawn("gil-new", (0.0, 40.0));
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &results,
            &together,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, "gil.take_turns"), Some(false));
    }

    #[test]
    fn waits_overlap_under_the_lock_where_every_round_was_faster() {
        let results = [
            row("sequential", &SEQ, [1.0, 1.0]),
            row("gil-new", &[52.0], [1.9, 1.95]),
        ];
        let t = drawn("gil-new", (40.0, 80.0));
        let c = claims(
            &machine(1),
            WorkloadKind::Io,
            &results,
            &t,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, "gil.waits_overlap"), Some(true));
        let c = claims(
            &machine(1),
            WorkloadKind::Io,
            &results,
            &t,
            &verdict(Verdict::Disturbed),
        );
        assert_eq!(holds(&c, "gil.waits_overlap"), None);
    }

    #[test]
    fn processes_run_at_once_only_where_the_cpus_allow() {
        let results = [
            row("sequential", &SEQ, [1.0, 1.0]),
            row("processes", &[55.0], [1.7, 1.9]),
        ];
        let t = drawn("processes", (0.0, 40.0));
        let two = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &results,
            &t,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&two, "gil.processes_parallel"), Some(true));
        // One CPU: "no global lock, the threads run at once where there are CPUs" was said here.
        let no_gil = [
            row("sequential", &SEQ, [1.0, 1.0]),
            row("no-gil", &[101.0], [0.97, 1.0]),
        ];
        let one = claims(
            &machine(1),
            WorkloadKind::Cpu,
            &no_gil,
            &drawn("no-gil", (40.0, 80.0)),
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&one, "gil.no_gil_parallel"), Some(false));
        let text = &crate::claims::find(&one, "gil.no_gil_parallel", None)
            .unwrap()
            .text;
        assert!(text.contains("could not run faster together"), "{text}");
    }

    #[test]
    fn the_old_gil_battle_is_said_only_beyond_the_spread() {
        let slower = [
            row("sequential", &SEQ, [1.0, 1.0]),
            row("gil-new", &[100.0, 101.0, 102.0], [1.0, 1.0]),
            row("gil-old", &[140.0, 142.0, 150.0], [0.7, 0.72]),
        ];
        let t = Timeline::default();
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &slower,
            &t,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, "gil.old_battle"), Some(true));
        let same = [
            row("sequential", &SEQ, [1.0, 1.0]),
            row("gil-new", &[100.0, 110.0], [1.0, 1.0]),
            row("gil-old", &[105.0, 108.0], [0.9, 1.0]),
        ];
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &same,
            &t,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, "gil.old_battle"), Some(false));
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &slower,
            &t,
            &verdict(Verdict::Disturbed),
        );
        assert_eq!(holds(&c, "gil.old_battle"), None);
    }
}
