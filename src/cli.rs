//! The command line: every flag, its help and its validation, in one place.
//!
//! Values are validated while parsing (ranges, durations, enums), so bad input is refused
//! before any work starts, with clap's exit code 2. The parsed flags are then turned into the
//! clap-free configs that the demos take.

use crate::demo::{self, Repeats};
use crate::maxprocs::{self, Limit, Source};
use crate::report::{Format, Lanes, RenderOptions, Report, plot, timeline};
use crate::workload::{MAX_UNITS, WorkSize};
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

/// Most tasks a demo accepts: far more than any machine has cores, few enough to draw.
pub const MAX_TASKS: u64 = 4096;
/// Most worker threads a pool accepts.
pub const MAX_THREADS: u64 = 1024;
/// Most measured runs per mode.
pub const MAX_RUNS: u64 = 1000;
/// Most warm-up runs per mode.
pub const MAX_WARMUP: u64 = 100;
/// Longest `--task-time`.
pub const MAX_TASK_TIME: Duration = Duration::from_secs(600);
/// Widest timeline.
pub const MAX_WIDTH: u64 = 1000;

#[derive(Debug, Parser)]
#[command(
    name = "conpar",
    version,
    about = "Make concurrency and parallelism visible and measurable on this machine",
    long_about = "Runs one CPU busy-work kernel in several ways (one after another, on one thread per task, on a \
                  rayon pool, ...) and prints what each way cost, with a timeline of what ran where and when.",
    after_help = "Exit codes: 0 ok, 1 failure at run time, 2 bad input, 130 interrupted."
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
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// No progress on stderr (warnings and errors still go there)
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Colour in the table: auto means only on a terminal and never with NO_COLOR set
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the CPU facts of this machine: CPUs, cores, affinity, quotas, pool sizes
    Info,
    /// Run the same tasks sequentially, one thread per task, and on a rayon pool
    Parallel(ParallelArgs),
    /// What GOMAXPROCS changes: the same work on pools of P workers, with Amdahl's law
    Maxprocs(MaxprocsArgs),
    /// Internal: run one task as a worker process and report it on stdout
    #[command(hide = true)]
    Worker(WorkerArgs),
}

/// The hidden worker: one task of a workload, as re-executed by the process executors.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[arg(long)]
    pub task: usize,
    #[arg(long)]
    pub units: u64,
    #[arg(long)]
    pub seed: u64,
    #[arg(long)]
    pub chunk_units: u64,
    #[arg(long)]
    pub cpu: Option<usize>,
}

impl WorkerArgs {
    pub fn spec(&self) -> crate::exec::process::WorkerSpec {
        crate::exec::process::WorkerSpec {
            task: self.task,
            units: self.units,
            seed: self.seed,
            chunk_units: self.chunk_units,
            cpu: self.cpu,
        }
    }
}

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
    #[arg(long, value_enum, default_value_t = Lanes::Cpu)]
    pub lanes: Lanes,
}

#[derive(Debug, Args)]
pub struct ParallelArgs {
    /// Number of tasks [default: available parallelism]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_TASKS>)]
    pub tasks: Option<u64>,

    /// Worker threads of the rayon pool [default: available parallelism]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_THREADS>)]
    pub threads: Option<u64>,

    #[command(flatten)]
    pub work: WorkArgs,

    #[command(flatten)]
    pub timeline: TimelineArgs,
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
fn ranged<const LO: u64, const HI: u64>(text: &str) -> Result<u64, String> {
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
        match &self.command {
            Command::Info => Ok(demo::info::run()),
            Command::Worker(_) => anyhow::bail!("the worker writes its own output"),
            Command::Parallel(args) => demo::parallel::run(&demo::parallel::Config {
                tasks: args.tasks.unwrap_or(available) as usize,
                threads: args.threads.unwrap_or(limit.workers as u64) as usize,
                limit,
                size: args.work.size(),
                seed: args.work.seed,
                repeats: args.work.repeats(),
                progress,
            }),
            Command::Maxprocs(args) => {
                // An unwritable plot path fails before the sweep, not after it.
                if let Some(path) = &args.plot {
                    plot::check_writable(path)?;
                }
                let report = demo::maxprocs::run(&args.config(limit, progress))?;
                if let Some(path) = &args.plot {
                    plot::write(&report, path)?;
                }
                Ok(report)
            }
        }
    }

    /// How the report is to be drawn.
    pub fn render_options(&self) -> RenderOptions {
        let (timeline, lanes) = match &self.command {
            Command::Parallel(args) => (args.timeline.timeline, args.timeline.lanes),
            Command::Info | Command::Worker(_) | Command::Maxprocs(_) => (false, Lanes::Cpu),
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
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match self.output.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        RenderOptions {
            format: self.output.format,
            timeline,
            lanes,
            width,
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
    fn durations_are_positive_and_bounded() {
        let max = Duration::from_secs(10);
        assert_eq!(duration("200ms", max), Ok(Duration::from_millis(200)));
        assert!(duration("0s", max).is_err());
        assert!(duration("-1s", max).is_err());
        assert!(duration("abc", max).is_err());
        assert!(duration("11s", max).is_err());
    }
}
