//! Dispatch: the chosen subcommand run to its [`Outcome`] (a worker's exit, a completion
//! script, or a [`Document`]), with the output files it names checked before any work and
//! the plot written after it; and how the document is to be drawn and checked.

use super::{Cli, Command, Globals, WorkerCommand};
use crate::demo;
use crate::document::Document;
use crate::engine::Env;
use crate::error::UsageError;
use crate::interrupt;
use crate::limits::MAX_WIDTH;
use crate::report::{Lanes, RenderOptions, plot, timeline};
use clap::CommandFactory;
use std::io::IsTerminal;

/// What a command line comes to.
#[derive(Debug)]
pub enum Outcome {
    /// A hidden worker ran and printed its own lines.
    Worked,
    /// A completion script, to print as it is.
    Script(Vec<u8>),
    /// A demo's report or the tour, to render, trace, check and print.
    Document(Document),
}

impl Cli {
    /// What every demo's config takes from the global flags.
    pub(crate) fn globals(&self) -> Globals {
        Globals {
            progress: !self.output.quiet,
            limit: self.limit.limit(),
        }
    }

    /// Runs the chosen subcommand: the one dispatch of the binary. A hidden worker runs at
    /// once; everything else first has its output files checked ([`Cli::check_outputs`]);
    /// the demos and the tour then run under the interrupt handler.
    pub fn run(&self) -> anyhow::Result<Outcome> {
        match &self.command {
            Command::Worker(subcommand) => {
                let command = WorkerCommand::parse(subcommand.argv())?;
                crate::exec::worker::run(&command).map(|()| Outcome::Worked)
            }
            Command::Completions { shell } => {
                self.check_outputs()?;
                // Generated into memory: clap_complete panics where it cannot write.
                let mut script = Vec::new();
                clap_complete::generate(*shell, &mut Cli::command(), "conpar", &mut script);
                Ok(Outcome::Script(script))
            }
            Command::Tour(args) => self.measure(|globals, env| {
                demo::tour::run(&args.config(globals), env).map(Document::from)
            }),
            Command::Info => self.measure(|_, env| Ok(demo::info::run(env).into())),
            Command::Parallel(args) => self.measure(|globals, env| {
                demo::parallel::run(&args.config(globals), env).map(Document::from)
            }),
            Command::Interleave(args) => self.measure(|globals, env| {
                demo::interleave::run(&args.config(globals), env).map(Document::from)
            }),
            Command::Race(args) => self.measure(|globals, env| {
                demo::race::run(&args.config(globals), env).map(Document::from)
            }),
            Command::GilSim(args) => self.measure(|globals, env| {
                demo::gil_sim::run(&args.config(globals), env).map(Document::from)
            }),
            Command::Maxprocs(args) => self.measure(|globals, env| {
                let report = demo::maxprocs::run(&args.config(globals), env)?;
                if let Some(path) = &args.plot {
                    plot::write(&report, path)?;
                }
                Ok(report.into())
            }),
        }
    }

    /// Checks the output files, installs the interrupt handler (a demo starts workers and
    /// writes temporary files that Ctrl-C must clean up), then runs `demo`.
    fn measure(
        &self,
        demo: impl FnOnce(&Globals, &Env) -> anyhow::Result<Document>,
    ) -> anyhow::Result<Outcome> {
        self.check_outputs()?;
        interrupt::install()?;
        demo(&self.globals(), &Env::detect()).map(Outcome::Document)
    }

    /// Checks the output files before any work, so that a run is never wasted on a file it
    /// cannot write: `--trace` where nothing is recorded and two outputs naming one file are
    /// bad input ([`UsageError`]); a path that cannot be written is a run-time failure.
    pub(crate) fn check_outputs(&self) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
