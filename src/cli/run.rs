//! Dispatch: the chosen subcommand run through its demo, with the output files it names
//! checked before any work and the plot written after it.

use super::{Cli, Command, Globals};
use crate::demo;
use crate::engine::Env;
use crate::error::UsageError;
use crate::limits::MAX_WIDTH;
use crate::report::{Lanes, RenderOptions, Report, plot, timeline};
use std::io::IsTerminal;

impl Cli {
    /// What every demo's config takes from the global flags.
    pub fn globals(&self) -> Globals {
        Globals {
            progress: !self.output.quiet,
            limit: self.limit.limit(),
        }
    }

    /// Runs the chosen subcommand and returns its report.
    pub fn run(&self) -> anyhow::Result<Report> {
        let globals = &self.globals();
        let env = &Env::detect();
        match &self.command {
            Command::Info => Ok(demo::info::run(env)),
            Command::Interleave(args) => demo::interleave::run(&args.config(globals), env),
            Command::Worker(_) | Command::Completions { .. } | Command::Tour(_) => {
                anyhow::bail!("this subcommand writes its own output")
            }
            Command::Parallel(args) => demo::parallel::run(&args.config(globals), env),
            Command::Maxprocs(args) => {
                let report = demo::maxprocs::run(&args.config(globals), env)?;
                if let Some(path) = &args.plot {
                    plot::write(&report, path)?;
                }
                Ok(report)
            }
            Command::GilSim(args) => demo::gil_sim::run(&args.config(globals), env),
            Command::Race(args) => demo::race::run(&args.config(globals), env),
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
