//! The command line: every flag, its help and its validation.
//!
//! Values are validated while parsing (ranges, durations, enums), so bad input is refused
//! before any work starts, with clap's exit code 2. The parsed flags are then turned into the
//! clap-free configs that the demos take. The parts, one idea each:
//!
//! - this file: the command line as clap structs (their doc comments are the `--help` text):
//!   the global options and the subcommands, the hidden workers' among them;
//! - [`args`]: the flags of each subcommand that runs a demo;
//! - [`values`]: the flags' enum values, mirrors of the engine's enums;
//! - [`parse`]: the value parsers, which refuse bad input;
//! - [`color`]: whether output gets colour (`--color`, `NO_COLOR`, `TERM`);
//! - [`config`]: each subcommand's flags turned into its demo's `Config`;
//! - [`invocation`]: the command line resolved once: what to run, how to draw it, what to
//!   check, which files to write.
//!
//! The limits the parsers enforce are in [`crate::limits`]. The hidden workers' subcommands
//! only take their raw arguments here: their flags are read, and checked, by
//! [`crate::exec::worker`].
// Doc comments in the command line are its `--help` text, printed as written (no backticks).
#![allow(clippy::doc_markdown)]

use crate::exec::worker;
use crate::limits::MAX_WIDTH;
use crate::maxprocs::{self, Limit, Source};
use crate::report::timeline;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use parse::maxprocs_value;
use std::ffi::OsString;

pub(crate) mod args;
pub(crate) mod color;
pub(crate) mod config;
pub(crate) mod invocation;
pub(crate) mod parse;
#[cfg(test)]
mod scripted_tests;
pub(crate) mod values;

pub(crate) use args::{
    GilSimArgs, InfoArgs, InterleaveArgs, MaxprocsArgs, ParallelArgs, RaceArgs, TimelineArgs,
    TourArgs, WorkArgs,
};
pub use color::ColorChoice;
pub(crate) use config::Globals;
pub use invocation::{Invocation, Outcome};
pub(crate) use parse::ranged;
pub(crate) use values::{FormatArg, GilKindArg, LanesArg, PlacementArg, SharingArg, WorkloadArg};

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
    pub(crate) command: Command,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub(crate) limit: LimitArgs,
}

/// The worker limit of every pool, like GOMAXPROCS for Go.
#[derive(Debug, Args)]
#[command(next_help_heading = "Worker limit")]
pub(crate) struct LimitArgs {
    /// Worker limit of every pool, like Go's GOMAXPROCS [default: available parallelism]
    #[arg(long, global = true, value_name = "N", env = maxprocs::ENV,
          allow_hyphen_values = true, value_parser = maxprocs_value)]
    pub(crate) maxprocs: Option<u64>,

    /// Did `--maxprocs` come from the environment? Set by [`Cli::try_parse_args_from`].
    #[arg(skip)]
    pub(crate) maxprocs_from_env: bool,
}

impl LimitArgs {
    /// The worker limit in force, and where it came from.
    pub(crate) fn limit(&self, available: usize) -> Limit {
        let source = if self.maxprocs_from_env {
            Source::Env
        } else {
            Source::Flag
        };
        Limit::resolve(self.maxprocs.map(|n| (n as usize, source)), available)
    }
}

/// Options that change how results are shown, never what is measured.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output options")]
#[allow(clippy::struct_excessive_bools)] // Each is a flag of its own.
pub struct OutputArgs {
    /// Output format of the results on stdout
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Table)]
    pub(crate) format: FormatArg,

    /// No progress on stderr (warnings and errors still go there)
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,

    /// Draw the CPUs as lanes on stderr while the work runs (a terminal only; --quiet wins)
    #[arg(long, global = true)]
    pub(crate) live: bool,

    /// Colour in the table: auto means only on a terminal, never with NO_COLOR set or TERM=dumb
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,

    /// Also write the measured slices as Chrome Trace Event JSON (open in ui.perfetto.dev)
    #[arg(long, global = true, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,

    /// Put every recorded slice in the JSON timeline (by default it is merged to at most a few
    /// thousand slices per lane, and timeline.merged_to_us says so)
    #[arg(long, global = true)]
    pub timeline_full: bool,

    /// Exit with 3 if the run does not show what the demo exists to show (where this machine can), 4 if it cannot be judged
    #[arg(long, global = true)]
    pub(crate) check: bool,

    /// Width of the timeline in columns [default: the terminal's width, or 100]
    #[arg(long, global = true, value_name = "COLUMNS",
          allow_hyphen_values = true, value_parser = ranged::<{ timeline::MIN_WIDTH as u64 }, MAX_WIDTH>)]
    pub(crate) width: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run every demo with modest work and answer each question of the exercise with figures
    Tour(TourArgs),
    /// Show the CPU facts of this machine: CPUs, cores and their hardware threads, affinity,
    /// quotas, pool sizes
    Info(InfoArgs),
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
    /// [`WorkerSubcommand`]).
    #[command(flatten)]
    Worker(WorkerSubcommand),
}

/// The hidden worker subcommands. clap only takes their raw arguments: the flags, their
/// bounds and their building into an argv are in [`crate::exec::worker`], beside the parent's
/// end, and [`WorkerCommand::parse`] reads them.
#[derive(Debug, Subcommand)]
pub(crate) enum WorkerSubcommand {
    /// Internal: run one task as a worker process and report it on stdout
    #[command(name = worker::WORKER, hide = true, disable_help_flag = true)]
    Worker(WorkerArgv),
    /// Internal: yield the CPU in a loop, to measure a process switch
    #[command(name = worker::YIELD_WORKER, hide = true, disable_help_flag = true)]
    YieldWorker(WorkerArgv),
}

/// A hidden worker's arguments after its name, as given.
#[derive(Debug, Args)]
pub(crate) struct WorkerArgv {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub(crate) args: Vec<OsString>,
}

impl WorkerSubcommand {
    /// The worker's command line as the parent built it: the subcommand's name, then its
    /// arguments, for [`WorkerCommand::parse`].
    pub(crate) fn argv(&self) -> Vec<OsString> {
        let (name, argv) = match self {
            WorkerSubcommand::Worker(argv) => (worker::WORKER, argv),
            WorkerSubcommand::YieldWorker(argv) => (worker::YIELD_WORKER, argv),
        };
        std::iter::once(OsString::from(name))
            .chain(argv.args.iter().cloned())
            .collect()
    }
}

pub(crate) use crate::exec::worker::WorkerCommand;

impl Cli {
    /// Parses the process's arguments (and `CONPAR_MAXPROCS`), noting where the worker limit
    /// came from.
    pub fn try_parse_args() -> Result<Cli, clap::Error> {
        Cli::try_parse_args_from(std::env::args_os())
    }

    /// Parses `args` like [`Parser::try_parse_from`], and notes whether `--maxprocs` was given
    /// on the command line or taken from `CONPAR_MAXPROCS`.
    pub(crate) fn try_parse_args_from<I, T>(args: I) -> Result<Cli, clap::Error>
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::worker::{WorkerArgs, YieldWorkerArgs};

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_limit_says_where_it_came_from() {
        let cli = Cli::try_parse_args_from(["conpar", "info", "--maxprocs", "3"]).unwrap();
        assert_eq!(
            cli.limit.limit(1),
            Limit::resolve(Some((3, Source::Flag)), 1)
        );
        let cli = Cli::try_parse_args_from(["conpar", "--maxprocs", "4", "info"]).unwrap();
        assert_eq!(cli.limit.limit(1).workers, 4);
        assert!(Cli::try_parse_args_from(["conpar", "info", "--maxprocs", "0"]).is_err());
    }

    /// The hidden subcommands hand a worker's argv through as the parent built it, and after a
    /// global flag given before them too.
    #[test]
    fn worker_argv_reaches_the_worker_unchanged() {
        let task = WorkerArgs {
            task: 3,
            units: 1_000,
            seed: u64::MAX,
            chunk_units: 10,
            cpu: Some(1),
            wait_every_units: Some(5),
            pause_ns: Some(0),
            gil: true,
            io_wait_ns: Some(7),
            parent: None,
        };
        let yielder = YieldWorkerArgs {
            cpu: 0,
            rounds: 9,
            budget_us: 40_000,
            parent: None,
        };
        for command in [
            WorkerCommand::Worker(task),
            WorkerCommand::YieldWorker(yielder),
        ] {
            let command = command.with_parent(42);
            for before in [&[][..], &["--quiet"]] {
                let args = ["conpar"]
                    .iter()
                    .chain(before)
                    .map(OsString::from)
                    .chain(command.to_args());
                let cli = Cli::try_parse_args_from(args).unwrap();
                let Command::Worker(subcommand) = &cli.command else {
                    panic!("not a worker");
                };
                assert_eq!(subcommand.argv(), command.to_args());
                assert_eq!(WorkerCommand::parse(subcommand.argv()), Ok(command.clone()));
            }
        }
    }

    #[test]
    fn gil_sim_defaults_are_cpythons() {
        let cli = Cli::try_parse_args_from(["conpar", "gil-sim"]).unwrap();
        let Command::GilSim(args) = &cli.command else {
            panic!("not gil-sim");
        };
        assert_eq!(args.switch_interval, crate::gil::CPYTHON_SWITCH_INTERVAL);
        assert_eq!(
            args.check_interval,
            u64::from(crate::gil::CPYTHON_CHECK_INTERVAL)
        );
    }
}
