//! The command line: every flag, its help and its validation, in one place.
//!
//! Values are validated while parsing (ranges, durations, enums), so bad input is refused
//! before any work starts, with clap's exit code 2. The parsed flags are then turned into the
//! clap-free configs that the demos take.

use crate::demo::{self, Repeats};
use crate::engine::Env;
use crate::error::UsageError;
use crate::exec::race;
use crate::limits::{
    MAX_CHECK_EVERY, MAX_CHECK_INTERVAL, MAX_GIL_THREADS, MAX_INTERLEAVE_TASKS, MAX_IO_WAIT,
    MAX_QUANTUM, MAX_REQUESTS, MAX_RUNS, MAX_SWITCH_INTERVAL, MAX_TASK_TIME, MAX_TASKS,
    MAX_THREADS, MAX_WAIT, MAX_WARMUP, MAX_WIDTH, MAX_ZOOM,
};
use crate::maxprocs::{self, Limit, Source};
use crate::report::{Lanes, RenderOptions, Report, plot, timeline};
use crate::workload::{MAX_UNITS, WorkSize};
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

mod values;
pub use values::{FormatArg, GilKindArg, LanesArg, ModeArg, WorkloadArg};

#[derive(Debug, Parser)]
#[command(
    name = "conpar",
    version,
    about = "Make concurrency and parallelism visible and measurable on this machine",
    long_about = "Runs one CPU busy-work kernel in several ways (one after another, on one thread per task, on a \
                  rayon pool, ...) and prints what each way cost, with a timeline of what ran where and when.",
    after_help = "Exit codes: 0 ok, 1 failure at run time, 2 bad input, 3 a --check failed, 4 a --check could not be judged (a disturbed machine, too little work), 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub limit: LimitArgs,
}

/// The worker limit of every pool, like GOMAXPROCS for Go.
#[derive(Debug, Args)]
#[command(next_help_heading = "Worker limit")]
pub struct LimitArgs {
    /// Worker limit of every pool, like Go's GOMAXPROCS [default: available parallelism]
    #[arg(long, global = true, value_name = "N", env = maxprocs::ENV,
          allow_hyphen_values = true, value_parser = maxprocs_value)]
    pub maxprocs: Option<u64>,

    /// Did `--maxprocs` come from the environment? Set by [`Cli::try_parse_args_from`].
    #[arg(skip)]
    pub maxprocs_from_env: bool,
}

impl LimitArgs {
    /// The worker limit in force, and where it came from.
    pub fn limit(&self) -> Limit {
        let source = if self.maxprocs_from_env {
            Source::Env
        } else {
            Source::Flag
        };
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        Limit::resolve(self.maxprocs.map(|n| (n as usize, source)), available)
    }
}

/// Options that change how results are shown, never what is measured.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output options")]
pub struct OutputArgs {
    /// Output format of the results on stdout
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// No progress on stderr (warnings and errors still go there)
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Colour in the table: auto means only on a terminal, never with NO_COLOR set or TERM=dumb
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Also write the measured slices as Chrome Trace Event JSON (open in ui.perfetto.dev)
    #[arg(long, global = true, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,

    /// Put every recorded slice in the JSON timeline (by default it is merged to at most a few
    /// thousand slices per lane, and timeline.merged_to_us says so)
    #[arg(long, global = true)]
    pub timeline_full: bool,

    /// Exit with 3 if the run does not show what the demo exists to show (where this machine can), 4 if it cannot be judged
    #[arg(long, global = true)]
    pub check: bool,

    /// Width of the timeline in columns [default: the terminal's width, or 100]
    #[arg(long, global = true, value_name = "COLUMNS",
          allow_hyphen_values = true, value_parser = ranged::<{ timeline::MIN_WIDTH as u64 }, MAX_WIDTH>)]
    pub width: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Does output to a terminal (`terminal`) or elsewhere get colour, under this process's
    /// `NO_COLOR` and `TERM`?
    pub fn enabled(self, terminal: bool) -> bool {
        self.decide(
            terminal,
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
    }

    /// `auto` colours only a terminal that shows colour: never with `NO_COLOR` set to anything
    /// but empty (no-color.org), never with `TERM=dumb`, the terminal that shows none.
    fn decide(self, terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && no_color.is_none_or(OsStr::is_empty) && term != Some(OsStr::new("dumb"))
            }
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every demo with modest work and answer each question of the exercise with figures
    Tour(TourArgs),
    /// Show the CPU facts of this machine: CPUs, cores, affinity, quotas, pool sizes
    Info,
    /// Run the same tasks sequentially, one thread per task, and on a rayon pool
    Parallel(ParallelArgs),
    /// Share ONE CPU between tasks: green threads, OS threads and processes against sequential
    Interleave(InterleaveArgs),
    /// Count one shared counter up and down from several threads: lost updates and their fixes
    Race(RaceArgs),
    /// Why Python threads do not speed up CPU-bound work and processes do: threads under a
    /// simulated GIL (new, old, none) against processes
    GilSim(GilSimArgs),
    /// What GOMAXPROCS changes: the same work on pools of P workers, with Amdahl's law
    Maxprocs(MaxprocsArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The hidden worker subcommands a parent starts child processes with (see
    /// [`crate::exec::worker`]).
    #[command(flatten)]
    Worker(WorkerCommand),
}

impl Command {
    /// The subcommand's name where it measures no slices, so that `--trace` would write an
    /// empty trace: `info` measures nothing, `maxprocs` only speedups, `completions` prints a
    /// script.
    fn records_no_slices(&self) -> Option<&'static str> {
        match self {
            Command::Info => Some("info"),
            Command::Maxprocs(_) => Some("maxprocs"),
            Command::Completions { .. } => Some("completions"),
            _ => None,
        }
    }
}

// The hidden workers' flags, their bounds and their building back into an argv are in
// [`crate::exec::worker`], beside the parent's end.
pub use crate::exec::worker::{
    MAX_CPU, MAX_PAUSE_NS, MAX_PID, MAX_YIELD_ROUNDS, WorkerArgs, WorkerCommand, YieldWorkerArgs,
};

/// How much work each task does and how often each mode is measured.
#[derive(Debug, Args)]
#[command(next_help_heading = "Work options")]
pub struct WorkArgs {
    /// Kernel units per task, exactly (repeats a run exactly; see `unit_ns` in the report)
    #[arg(long, value_name = "N", conflicts_with = "task_time",
          allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub units: Option<u64>,

    /// Work per task as a time on this machine, calibrated by a short timed run (e.g. 200ms, 1s)
    #[arg(long, value_name = "DURATION", default_value = "200ms", allow_hyphen_values = true,
          value_parser = task_time)]
    pub task_time: Duration,

    /// Seed of the kernel: the same seed and units always give the same checksum
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Measured runs per mode (the median, min and max are reported)
    #[arg(long, value_name = "N", default_value = "5", allow_hyphen_values = true, value_parser = ranged::<1, MAX_RUNS>)]
    pub runs: u64,

    /// Unmeasured warm-up runs per mode, before the measured ones
    #[arg(long, value_name = "N", default_value = "1", allow_hyphen_values = true, value_parser = ranged::<0, MAX_WARMUP>)]
    pub warmup: u64,
}

impl WorkArgs {
    fn size(&self) -> WorkSize {
        self.units
            .map_or(WorkSize::TaskTime(self.task_time), WorkSize::Units)
    }

    fn repeats(&self) -> Repeats {
        Repeats {
            runs: self.runs as usize,
            warmup: self.warmup as usize,
        }
    }
}

/// Options of the timeline.
#[derive(Debug, Args)]
#[command(next_help_heading = "Timeline options")]
pub struct TimelineArgs {
    /// Draw a timeline of what ran where and when, from measured slices
    #[arg(long)]
    pub timeline: bool,

    /// One timeline lane per CPU, or per task
    #[arg(long, value_enum, default_value_t = LanesArg::Cpu)]
    pub lanes: LanesArg,

    /// Draw only the first DURATION of each run (e.g. 20ms), to see switches finer than a column
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = zoom)]
    pub zoom: Option<Duration>,
}

fn zoom(text: &str) -> Result<Duration, String> {
    duration(text, MAX_ZOOM)
}

#[derive(Debug, Args)]
pub struct ParallelArgs {
    /// Number of tasks [default: available parallelism]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_TASKS>)]
    pub tasks: Option<u64>,

    /// Worker threads of the rayon pool [default: available parallelism]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_THREADS>)]
    pub threads: Option<u64>,

    /// Exit with 3 if a parallel mode's speedup is below X (4 if the run cannot be judged)
    #[arg(long, value_name = "X", allow_hyphen_values = true, value_parser = speedup)]
    pub min_speedup: Option<f64>,

    #[command(flatten)]
    pub work: WorkArgs,

    #[command(flatten)]
    pub timeline: TimelineArgs,
}

#[derive(Debug, Args)]
pub struct TourArgs {
    /// Tiny work, for smoke tests: done in a few seconds, figures real but noisy
    #[arg(long)]
    pub quick: bool,

    /// Seed of the kernel
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Parses a speedup: a positive number up to the largest pool.
fn speedup(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= MAX_THREADS as f64 => Ok(x),
        _ => Err(format!(
            "'{text}' is not a speedup between 0 and {MAX_THREADS}"
        )),
    }
}

#[derive(Debug, Args)]
pub struct InterleaveArgs {
    /// Number of tasks sharing the CPU
    #[arg(long, value_name = "N", default_value = "2", allow_hyphen_values = true,
          value_parser = ranged::<1, MAX_INTERLEAVE_TASKS>)]
    pub tasks: u64,

    /// The CPU to share [default: the first of this process's affinity mask]
    #[arg(long, value_name = "K", allow_hyphen_values = true, value_parser = ranged::<0, MAX_CPU>)]
    pub cpu: Option<u64>,

    /// Work a green task does before it yields (e.g. 1ms, 200us; at least 10us)
    #[arg(long, value_name = "DURATION", default_value = "1ms", allow_hyphen_values = true,
          value_parser = quantum, conflicts_with = "quantum_units")]
    pub quantum: Duration,

    /// Units a green task computes before it yields (instead of --quantum)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub quantum_units: Option<u64>,

    /// Each task also waits this long in all (a sleep standing for I/O), in equal pauses
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = wait)]
    pub wait: Option<Duration>,

    /// Compute between two pauses of --wait (at least 100us)
    #[arg(long, value_name = "DURATION", default_value = "10ms", allow_hyphen_values = true,
          value_parser = wait_every)]
    pub wait_every: Duration,

    #[command(flatten)]
    pub work: WorkArgs,

    #[command(flatten)]
    pub timeline: TimelineArgs,
}

#[derive(Debug, Args)]
#[command(mut_arg("runs", |a| a.default_value("3")))]
pub struct GilSimArgs {
    /// Threads, one task each (and child processes for `processes`)
    #[arg(long, value_name = "N", default_value = "2", allow_hyphen_values = true,
          value_parser = ranged::<1, MAX_GIL_THREADS>)]
    pub threads: u64,

    /// Run only these locks (new: CPython 3.2+, old: 3.1 and earlier, none: free-threaded),
    /// besides sequential; comma-separated or repeated [default: all, and processes]
    #[arg(long, value_enum, value_name = "KIND", value_delimiter = ',')]
    pub gil: Vec<GilKindArg>,

    /// Run the processes variant (each process has its own lock); with --gil, as well
    #[arg(long)]
    pub processes: bool,

    /// What the threads do: compute, mostly wait on I/O, or compute beside one I/O thread
    #[arg(long, value_enum, default_value_t = WorkloadArg::Cpu)]
    pub workload: WorkloadArg,

    /// New GIL: how long a waiting thread waits before it asks the holder to drop the lock
    /// (sys.setswitchinterval)
    #[arg(long, value_name = "DURATION", default_value = "5ms", allow_hyphen_values = true,
          value_parser = switch_interval)]
    pub switch_interval: Duration,

    /// Old GIL: steps between the holder's release and immediate re-acquire (sys.setcheckinterval)
    #[arg(long, value_name = "STEPS", default_value = "100", allow_hyphen_values = true,
          value_parser = ranged::<1, MAX_CHECK_INTERVAL>)]
    pub check_interval: u64,

    /// Work per step, between two checks of the lock (where the interpreter checks its eval
    /// breaker)
    #[arg(long, value_name = "DURATION", default_value = "5us", allow_hyphen_values = true,
          value_parser = check_every)]
    pub check_every: Duration,

    /// How long each I/O request waits, with the lock released (io and mixed workloads)
    #[arg(long, value_name = "DURATION", default_value = "1ms", allow_hyphen_values = true,
          value_parser = io_wait)]
    pub io_wait: Duration,

    /// Requests per I/O thread [default: as many as take about as long as one CPU task]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_REQUESTS>)]
    pub requests: Option<u64>,

    #[command(flatten)]
    pub work: WorkArgs,

    #[command(flatten)]
    pub timeline: TimelineArgs,
}

#[derive(Debug, Args)]
pub struct RaceArgs {
    /// Threads changing the counter, half incrementing and half decrementing (even, at least 2)
    #[arg(long, value_name = "N", default_value = "2", allow_hyphen_values = true, value_parser = race_threads)]
    pub threads: u64,

    /// Changes each thread makes to the counter per run
    #[arg(long, value_name = "N", default_value = "1000000", allow_hyphen_values = true,
          value_parser = ranged::<1, { race::MAX_ITERATIONS }>)]
    pub iterations: u64,

    /// Measured runs per mode (every final value is reported)
    #[arg(long, value_name = "N", default_value = "10", allow_hyphen_values = true, value_parser = ranged::<1, MAX_RUNS>)]
    pub runs: u64,

    /// Unmeasured runs per mode before the measured ones
    #[arg(long, value_name = "N", default_value = "1", allow_hyphen_values = true, value_parser = ranged::<0, MAX_RUNS>)]
    pub warmup: u64,

    /// Ways to share the counter, comma-separated or repeated [default: all, in this order]
    #[arg(long, value_name = "MODE", value_enum, value_delimiter = ',')]
    pub mode: Vec<ModeArg>,

    /// Pin every thread to one CPU (the first this process may use): races without parallelism
    #[arg(long)]
    pub one_core: bool,

    #[command(flatten)]
    pub timeline: TimelineArgs,
}

fn quantum(text: &str) -> Result<Duration, String> {
    at_least(
        duration(text, MAX_QUANTUM)?,
        demo::interleave::MIN_QUANTUM,
        "a green task would switch more than it computes",
    )
}

fn wait_every(text: &str) -> Result<Duration, String> {
    at_least(
        duration(text, MAX_QUANTUM)?,
        demo::interleave::MIN_WAIT_EVERY,
        "a task would spend its time going to sleep and waking up",
    )
}

/// Refuses a duration below the floor under which a demo shows only its own overhead.
fn at_least(value: Duration, floor: Duration, why: &str) -> Result<Duration, String> {
    if value < floor {
        return Err(format!(
            "{} is below the floor of {}: {why}",
            humantime::format_duration(value),
            humantime::format_duration(floor)
        ));
    }
    Ok(value)
}

fn wait(text: &str) -> Result<Duration, String> {
    duration(text, MAX_WAIT)
}

/// Parses `--threads` of `race`: a race needs two threads, and an even number of them.
fn race_threads(text: &str) -> Result<u64, String> {
    let value = ranged::<0, MAX_THREADS>(text)
        .map_err(|_| format!("'{text}' is not an even number from 2 to {MAX_THREADS}"))?;
    race::check_size(value as usize, 1)
        .map(|()| value)
        .map_err(|e| e.0)
}

impl GilSimArgs {
    fn config(&self, progress: bool) -> demo::gil_sim::Config {
        use demo::gil_sim::Variant;
        let mut variants: Vec<Variant> = self
            .gil
            .iter()
            .map(|&k| Variant::Threads(k.into()))
            .collect();
        if self.processes {
            variants.push(Variant::Processes);
        }
        if variants.is_empty() {
            variants = Variant::ALL.to_vec();
        }
        demo::gil_sim::Config {
            threads: self.threads as usize,
            variants,
            workload: self.workload.into(),
            switch_interval: self.switch_interval,
            check_interval: self.check_interval as u32,
            check_every: self.check_every,
            io_wait: self.io_wait,
            requests: self.requests,
            size: self.work.size(),
            seed: self.work.seed,
            repeats: self.work.repeats(),
            progress,
            exe: None,
        }
    }
}

/// `conpar maxprocs`: the scaling sweep.
#[derive(Debug, Args)]
pub struct MaxprocsArgs {
    /// Pool sizes P to measure, e.g. 1,2,4 [default: every P up to the CPUs (at most 8), then
    /// powers of two up to twice the CPUs, and the worker limit]
    #[arg(long, value_name = "P,...", value_delimiter = ',', allow_hyphen_values = true,
          value_parser = ranged::<1, MAX_THREADS>)]
    pub procs: Option<Vec<u64>>,

    /// Tasks the work of one run is split into [default: 8 per CPU, at least the largest P]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_TASKS>)]
    pub tasks: Option<u64>,

    /// Fraction F of every task run on one thread before the rest runs on the pool (0 <= F < 1)
    #[arg(long, value_name = "F", default_value = "0", allow_hyphen_values = true,
          value_parser = serial_fraction)]
    pub serial_fraction: f64,

    /// Also draw the speedup curve as an SVG picture to this file
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    #[command(flatten)]
    pub work: SweepWorkArgs,
}

/// How much work one run of the sweep does (the same for every P) and how often it runs.
#[derive(Debug, Args)]
#[command(next_help_heading = "Work options")]
pub struct SweepWorkArgs {
    /// Kernel units per task, exactly (repeats a sweep exactly; see `unit_ns` in the report)
    #[arg(long, value_name = "N", conflicts_with = "total_time",
          allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub units: Option<u64>,

    /// Work of one run, all tasks together, as a time on one CPU of this machine (calibrated)
    #[arg(long, value_name = "DURATION", default_value = "800ms", allow_hyphen_values = true,
          value_parser = task_time)]
    pub total_time: Duration,

    /// Seed of the kernel: the same seed and units always give the same checksum
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Measured runs per P (the median, min and max are reported)
    #[arg(long, value_name = "N", default_value = "3", allow_hyphen_values = true, value_parser = ranged::<1, MAX_RUNS>)]
    pub runs: u64,

    /// Unmeasured warm-up rounds over every P, before the measured ones
    #[arg(long, value_name = "N", default_value = "1", allow_hyphen_values = true, value_parser = ranged::<0, MAX_WARMUP>)]
    pub warmup: u64,
}

impl MaxprocsArgs {
    fn config(&self, limit: Limit, progress: bool) -> demo::maxprocs::Config {
        demo::maxprocs::Config {
            procs: self
                .procs
                .as_ref()
                .map(|list| list.iter().map(|&p| p as usize).collect()),
            tasks: self.tasks.map(|t| t as usize),
            size: self.work.units.map_or(
                demo::maxprocs::SweepSize::TotalTime(self.work.total_time),
                demo::maxprocs::SweepSize::UnitsPerTask,
            ),
            serial_fraction: self.serial_fraction,
            seed: self.work.seed,
            repeats: Repeats {
                runs: self.work.runs as usize,
                warmup: self.work.warmup as usize,
            },
            progress,
            limit,
        }
    }
}

/// Parses a whole number in `LO..=HI` (underscores allowed: 1_000_000).
pub(crate) fn ranged<const LO: u64, const HI: u64>(text: &str) -> Result<u64, String> {
    let value: u64 = text
        .replace('_', "")
        .parse()
        .map_err(|_| format!("'{text}' is not a whole number from {LO} to {HI}"))?;
    if (LO..=HI).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is outside the accepted range {LO} to {HI}"
        ))
    }
}

/// Parses a positive duration such as `200ms` or `1.5s`.
pub fn duration(text: &str, max: Duration) -> Result<Duration, String> {
    if text.trim_start().starts_with('-') {
        return Err(format!("'{text}' is negative; a duration must be positive"));
    }
    let value = humantime::parse_duration(text)
        .map_err(|e| format!("'{text}' is not a duration like 200ms or 1.5s ({e})"))?;
    if value.is_zero() {
        return Err("a duration must be greater than zero".into());
    }
    if value > max {
        return Err(format!(
            "'{text}' is longer than the limit of {}",
            humantime::format_duration(max)
        ));
    }
    Ok(value)
}

fn task_time(text: &str) -> Result<Duration, String> {
    duration(text, MAX_TASK_TIME)
}

fn switch_interval(text: &str) -> Result<Duration, String> {
    duration(text, MAX_SWITCH_INTERVAL)
}

fn check_every(text: &str) -> Result<Duration, String> {
    duration(text, MAX_CHECK_EVERY)
}

fn io_wait(text: &str) -> Result<Duration, String> {
    duration(text, MAX_IO_WAIT)
}

/// Parses the worker limit, naming both places it can come from.
fn maxprocs_value(text: &str) -> Result<u64, String> {
    ranged::<1, MAX_THREADS>(text)
        .map_err(|e| format!("{e} (set by --maxprocs or {})", maxprocs::ENV))
}

/// Parses a serial fraction: a number from 0 up to, but not including, 1.
fn serial_fraction(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number from 0 up to (not including) 1"))?;
    if (0.0..1.0).contains(&value) {
        Ok(value.abs())
    } else if value >= 1.0 {
        Err(format!(
            "{text} is outside 0 <= F < 1: a serial fraction of 1 or more leaves nothing to run in parallel"
        ))
    } else {
        Err(format!("{text} is outside 0 <= F < 1"))
    }
}

impl Cli {
    /// Parses the process's arguments (and `CONPAR_MAXPROCS`), noting where the worker limit
    /// came from.
    pub fn try_parse_args() -> Result<Cli, clap::Error> {
        Cli::try_parse_args_from(std::env::args_os())
    }

    /// Parses `args` like [`Parser::try_parse_from`], and notes whether `--maxprocs` was given
    /// on the command line or taken from `CONPAR_MAXPROCS`.
    pub fn try_parse_args_from<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut matches = Cli::command().try_get_matches_from(args)?;
        let from_env = matches.value_source("maxprocs") == Some(ValueSource::EnvVariable);
        let mut cli = Cli::from_arg_matches_mut(&mut matches)?;
        cli.limit.maxprocs_from_env = from_env;
        Ok(cli)
    }

    /// Runs the chosen subcommand and returns its report.
    pub fn run(&self) -> anyhow::Result<Report> {
        let progress = !self.output.quiet;
        let available = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let limit = self.limit.limit();
        let env = &Env::detect();
        match &self.command {
            Command::Info => Ok(demo::info::run(env)),
            Command::Interleave(args) => demo::interleave::run(
                &demo::interleave::Config {
                    tasks: args.tasks as usize,
                    cpu: args.cpu.map(|c| c as usize),
                    size: args.work.size(),
                    seed: args.work.seed,
                    repeats: args.work.repeats(),
                    quantum: args.quantum_units.map_or(
                        demo::interleave::Quantum::Time(args.quantum),
                        demo::interleave::Quantum::Units,
                    ),
                    wait: args.wait,
                    wait_every: args.wait_every,
                    progress,
                },
                env,
            ),
            Command::Worker(_) | Command::Completions { .. } | Command::Tour(_) => {
                anyhow::bail!("this subcommand writes its own output")
            }
            Command::Parallel(args) => demo::parallel::run(
                &demo::parallel::Config {
                    tasks: args.tasks.unwrap_or(available) as usize,
                    threads: args.threads.unwrap_or(limit.workers as u64) as usize,
                    limit,
                    size: args.work.size(),
                    seed: args.work.seed,
                    repeats: args.work.repeats(),
                    progress,
                },
                env,
            ),
            Command::Maxprocs(args) => {
                let report = demo::maxprocs::run(&args.config(limit, progress), env)?;
                if let Some(path) = &args.plot {
                    plot::write(&report, path)?;
                }
                Ok(report)
            }
            Command::GilSim(args) => demo::gil_sim::run(&args.config(progress), env),
            Command::Race(args) => demo::race::run(
                &demo::race::Config {
                    threads: args.threads as usize,
                    iterations: args.iterations,
                    runs: args.runs as usize,
                    warmup: args.warmup as usize,
                    modes: args.mode.iter().map(|&m| m.into()).collect(),
                    one_core: args.one_core,
                    progress,
                },
                env,
            ),
        }
    }

    /// Checks the output files before any work, so that a run is never wasted on a file it
    /// cannot write: `--trace` where nothing is recorded and two outputs naming one file are
    /// bad input ([`UsageError`]); a path that cannot be written is a run-time failure.
    pub fn check_outputs(&self) -> anyhow::Result<()> {
        let trace = self.output.trace.as_deref();
        let plot = match &self.command {
            Command::Maxprocs(args) => args.plot.as_deref(),
            _ => None,
        };
        if let (Some(trace), Some(plot)) = (trace, plot) {
            if crate::output::same_file(trace, plot) {
                return Err(UsageError(format!(
                    "--plot and --trace name the same file ({}): give each its own",
                    trace.display()
                ))
                .into());
            }
        }
        if trace.is_some() {
            if let Some(name) = self.command.records_no_slices() {
                return Err(UsageError(format!("--trace has nothing to record for {name}")).into());
            }
        }
        for (what, path) in [("plot", plot), ("trace", trace)] {
            if let Some(path) = path {
                crate::output::check_writable(what, path)?;
            }
        }
        Ok(())
    }

    /// What `--check` and `--min-speedup` ask of the report.
    pub fn expectations(&self) -> crate::check::Expectations {
        crate::check::Expectations {
            demo: self.output.check,
            min_speedup: match &self.command {
                Command::Parallel(args) => args.min_speedup,
                _ => None,
            },
        }
    }

    /// How the report is to be drawn.
    pub fn render_options(&self) -> RenderOptions {
        let view = match &self.command {
            Command::Parallel(args) => Some(&args.timeline),
            Command::Interleave(args) => Some(&args.timeline),
            Command::Race(args) => Some(&args.timeline),
            Command::GilSim(args) => Some(&args.timeline),
            _ => None,
        };
        let stdout = console::Term::stdout();
        let width = self.output.width.map_or_else(
            || {
                stdout
                    .size_checked()
                    .map_or(100, |(_, cols)| cols as usize)
                    .clamp(timeline::MIN_WIDTH, MAX_WIDTH as usize)
            },
            |w| w as usize,
        );
        let color = self.output.color.enabled(std::io::stdout().is_terminal());
        RenderOptions {
            format: self.output.format.into(),
            // --zoom implies --timeline: nobody asks to zoom into nothing.
            timeline: view.is_some_and(|v| v.timeline || v.zoom.is_some()),
            lanes: view.map_or(Lanes::Cpu, |v| v.lanes.into()),
            width,
            zoom_ms: view.and_then(|v| v.zoom).map(|z| z.as_secs_f64() * 1e3),
            color,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ranges_are_enforced() {
        assert_eq!(ranged::<1, 10>("1_0"), Ok(10));
        assert!(ranged::<1, 10>("0").is_err());
        assert!(ranged::<1, 10>("11").is_err());
        assert!(ranged::<1, 10>("-1").is_err());
        assert!(ranged::<1, 10>("x").is_err());
    }

    #[test]
    fn race_threads_are_even_and_at_least_two() {
        assert_eq!(race_threads("4"), Ok(4));
        assert!(race_threads("1").unwrap_err().contains("at least 2"));
        assert!(race_threads("7").unwrap_err().contains("odd"));
        assert!(race_threads("2000").unwrap_err().contains("2 to 1024"));
        assert!(race_threads("x").is_err());
    }

    #[test]
    fn serial_fractions_are_in_zero_to_one() {
        assert_eq!(serial_fraction("0"), Ok(0.0));
        assert_eq!(serial_fraction("-0"), Ok(0.0));
        assert_eq!(serial_fraction("0.5"), Ok(0.5));
        for bad in ["1", "1.5", "-0.1", "nan", "inf", "x", ""] {
            assert!(serial_fraction(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_limit_says_where_it_came_from() {
        let cli = Cli::try_parse_args_from(["conpar", "info", "--maxprocs", "3"]).unwrap();
        assert_eq!(
            cli.limit.limit(),
            Limit::resolve(Some((3, Source::Flag)), 1)
        );
        let cli = Cli::try_parse_args_from(["conpar", "--maxprocs", "4", "info"]).unwrap();
        assert_eq!(cli.limit.limit().workers, 4);
        assert!(Cli::try_parse_args_from(["conpar", "info", "--maxprocs", "0"]).is_err());
    }

    #[test]
    fn auto_colour_needs_a_terminal_without_no_color_or_term_dumb() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let auto = ColorChoice::Auto;
        assert!(auto.decide(true, None, os("xterm-256color")));
        assert!(auto.decide(true, None, None));
        assert!(auto.decide(true, os(""), os("xterm")), "an empty NO_COLOR");
        assert!(!auto.decide(false, None, os("xterm")), "not a terminal");
        assert!(!auto.decide(true, os("1"), os("xterm")), "NO_COLOR");
        assert!(!auto.decide(true, None, os("dumb")), "TERM=dumb");
        assert!(ColorChoice::Always.decide(false, os("1"), os("dumb")));
        assert!(!ColorChoice::Never.decide(true, None, os("xterm")));
    }

    #[test]
    fn trace_is_refused_where_nothing_is_recorded() {
        for args in [
            &["conpar", "info", "--trace", "t.json"][..],
            &["conpar", "--trace", "t.json", "maxprocs"],
            &["conpar", "completions", "bash", "--trace", "t.json"],
        ] {
            let cli = Cli::try_parse_args_from(args).unwrap();
            let error = cli.check_outputs().unwrap_err();
            let usage = error.downcast_ref::<UsageError>().expect("bad input");
            assert!(
                usage.0.starts_with("--trace has nothing to record for "),
                "{usage}"
            );
        }
    }

    #[test]
    fn durations_are_positive_and_bounded() {
        let max = Duration::from_secs(10);
        assert_eq!(duration("200ms", max), Ok(Duration::from_millis(200)));
        assert!(duration("0s", max).is_err());
        assert!(duration("-1s", max).is_err());
        assert!(duration("abc", max).is_err());
        assert!(duration("11s", max).is_err());
    }
}
