//! The command line resolved once (as ripgrep's `HiArgs` or fd's `Config` do): what to run,
//! how to draw it, what to ask of it, and which files to write. The subcommand is matched
//! here, in [`Cli::invocation`], and nowhere after: `main` checks the files
//! ([`Invocation::check_files`]), runs the job ([`Invocation::run`]), then renders the
//! document, writes every file of the list and checks the document, in that order. Nothing
//! changes the document after the run: `--timeline-full` is a way of drawing it.

use super::{Cli, Command, Globals, TimelineArgs, WorkerCommand};
use crate::check::Expectations;
use crate::demo;
use crate::document::{Document, OutputFile};
use crate::engine::Env;
use crate::error::UsageError;
use crate::interrupt;
use crate::limits::MAX_WIDTH;
use crate::model::Demo;
use crate::report::{Lanes, RenderOptions, timeline};
use clap::CommandFactory;
use std::ffi::OsString;
use std::io::IsTerminal;

/// What a command line comes to.
#[derive(Debug)]
pub enum Outcome {
    /// A hidden worker ran and printed its own lines.
    Worked,
    /// A completion script, to print as it is.
    Script(Vec<u8>),
    /// A demo's report or the tour, to render, write, check and print.
    Document(Document),
}

/// What to run: a hidden worker, a completion script, or a demo with its config.
#[derive(Debug)]
enum Job {
    Worker(Vec<OsString>),
    Completions(clap_complete::Shell),
    Tour(demo::tour::Config),
    /// `info`, of this machine or of the tree below `--sysroot`.
    Info(Option<std::path::PathBuf>),
    Parallel(demo::parallel::Config),
    Interleave(demo::interleave::Config),
    Race(demo::race::Config),
    GilSim(demo::gil_sim::Config),
    Maxprocs(demo::maxprocs::Config),
}

impl Job {
    /// The subcommand's name where it records no slices, so that `--trace` would write an
    /// empty trace: `info` measures nothing, `maxprocs` only speedups, `completions` prints a
    /// script.
    fn records_no_slices(&self) -> Option<&'static str> {
        match self {
            Job::Info(_) => Some("info"),
            Job::Maxprocs(_) => Some("maxprocs"),
            Job::Completions(_) => Some("completions"),
            _ => None,
        }
    }
}

/// A command line, resolved.
#[derive(Debug)]
pub struct Invocation {
    job: Job,
    /// How the document is drawn on stdout.
    pub render: RenderOptions,
    /// What `--check` and `--min-speedup` ask of it.
    pub expectations: Expectations,
    /// Every file written after the run (`--trace`, `--plot`), checked before it starts.
    pub files: Vec<OutputFile>,
    /// What `--live` draws while the job runs, where it is asked for.
    live: Option<crate::live::Start>,
}

impl Cli {
    /// What every demo's config takes from the global flags.
    /// `available` is what `std::thread::available_parallelism()` says on the machine the
    /// job runs on.
    pub(crate) fn globals(&self, available: usize) -> Globals {
        Globals {
            // --live draws its own progress on stderr.
            progress: !self.output.quiet && !self.output.live,
            limit: self.limit.limit(available),
            available,
        }
    }

    /// What `--live` draws, where it is asked for and `--quiet` does not silence it: per
    /// CPU, per task with `--lanes task`, per thread for gil-sim (whose threads are its
    /// tasks); fewer frames on one CPU, where drawing competes with the work.
    fn live(
        &self,
        demo: Demo,
        view: Option<&TimelineArgs>,
        available: usize,
    ) -> Option<crate::live::Start> {
        if !self.output.live || self.output.quiet {
            return None;
        }
        let gil = demo == Demo::GilSim;
        let lanes = if gil || view.is_some_and(|v| Lanes::from(v.lanes) == Lanes::Task) {
            Lanes::Task
        } else {
            Lanes::Cpu
        };
        let turns = if gil {
            crate::live_feed::Turns::Lock
        } else {
            crate::live_feed::Turns::Switches
        };
        Some(crate::live::Start {
            demo: demo.name().to_string(),
            turns,
            color: self.output.color.enabled(std::io::stderr().is_terminal()),
            lanes,
            watched: Vec::new(),
            fps: if available == 1 { 5 } else { 15 },
        })
    }

    /// Resolves the command line for this machine: the one place the subcommand is matched.
    pub fn invocation(self) -> Invocation {
        let available = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        self.invocation_for(available)
    }

    /// Resolves the command line for a machine whose available parallelism is `available`.
    pub(crate) fn invocation_for(self, available: usize) -> Invocation {
        let globals = self.globals(available);
        let mut files: Vec<OutputFile> = self
            .output
            .trace
            .iter()
            .map(|path| OutputFile::Trace(path.clone()))
            .collect();
        let mut view: Option<&TimelineArgs> = None;
        let mut min_speedup = None;
        let job = match &self.command {
            Command::Worker(subcommand) => Job::Worker(subcommand.argv()),
            Command::Completions { shell } => Job::Completions(*shell),
            Command::Tour(args) => Job::Tour(args.config(&globals)),
            Command::Info(args) => Job::Info(args.sysroot.clone()),
            Command::Parallel(args) => {
                view = Some(&args.timeline);
                min_speedup = args.min_speedup;
                Job::Parallel(args.config(&globals))
            }
            Command::Interleave(args) => {
                view = Some(&args.timeline);
                Job::Interleave(args.config(&globals))
            }
            Command::Race(args) => {
                view = Some(&args.timeline);
                Job::Race(args.config(&globals))
            }
            Command::GilSim(args) => {
                view = Some(&args.timeline);
                Job::GilSim(args.config(&globals))
            }
            Command::Maxprocs(args) => {
                files.extend(args.plot.iter().map(|path| OutputFile::Plot(path.clone())));
                Job::Maxprocs(args.config(&globals))
            }
        };
        let live = match &job {
            Job::Worker(_) | Job::Completions(_) | Job::Info(_) => None,
            Job::Tour(_) => Some(Demo::Tour),
            Job::Parallel(_) => Some(Demo::Parallel),
            Job::Interleave(_) => Some(Demo::Interleave),
            Job::Race(_) => Some(Demo::Race),
            Job::GilSim(_) => Some(Demo::GilSim),
            Job::Maxprocs(_) => Some(Demo::Maxprocs),
        }
        .and_then(|demo| self.live(demo, view, available));
        Invocation {
            live,
            render: self.render_options(view),
            expectations: Expectations {
                demo: self.output.check,
                min_speedup,
            },
            files,
            job,
        }
    }

    /// How the document is to be drawn, with the subcommand's timeline options (`view`).
    fn render_options(&self, view: Option<&TimelineArgs>) -> RenderOptions {
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
            timeline_full: self.output.timeline_full,
        }
    }
}

impl Invocation {
    /// Checks the output files before any work, so that a run is never wasted on a file it
    /// cannot write: `--trace` where nothing is recorded and two outputs naming one file are
    /// bad input ([`UsageError`]); a path that cannot be written is a run-time failure. A
    /// hidden worker writes no file.
    pub fn check_files(&self) -> anyhow::Result<()> {
        for (i, a) in self.files.iter().enumerate() {
            for b in &self.files[i + 1..] {
                if crate::output::same_file(a.path(), b.path()) {
                    return Err(UsageError(format!(
                        "--{} and --{} name the same file ({}): give each its own",
                        b.what(),
                        a.what(),
                        a.path().display()
                    ))
                    .into());
                }
            }
        }
        if let Some(name) = self.job.records_no_slices() {
            if self.files.iter().any(|f| matches!(f, OutputFile::Trace(_))) {
                return Err(UsageError(format!("--trace has nothing to record for {name}")).into());
            }
        }
        for file in &self.files {
            crate::output::check_writable(file.what(), file.path())?;
        }
        Ok(())
    }

    /// Runs the job: a hidden worker at once; a demo or the tour under the interrupt handler
    /// (a demo starts workers and writes temporary files that Ctrl-C must clean up).
    pub fn run(&self) -> anyhow::Result<Outcome> {
        match &self.job {
            Job::Worker(argv) => {
                let command = WorkerCommand::parse(argv.clone())?;
                crate::exec::worker::run(&command).map(|()| Outcome::Worked)
            }
            Job::Completions(shell) => {
                // Generated into memory: clap_complete panics where it cannot write.
                let mut script = Vec::new();
                clap_complete::generate(*shell, &mut Cli::command(), "conpar", &mut script);
                Ok(Outcome::Script(script))
            }
            Job::Info(Some(root)) => {
                let machine = crate::sys::Machine::from_tree(root).map_err(UsageError)?;
                Ok(Outcome::Document(demo::info::of_tree(machine).into()))
            }
            _ => {
                interrupt::install()?;
                let env = Env::detect();
                let session = self.live.clone().and_then(|mut start| {
                    start.watched = env.mask();
                    crate::live::Session::start(start)
                });
                let document = self.measure(&env);
                // Drawing stops (the block cleared) before anything is printed or any error
                // said.
                let drawn = session.and_then(crate::live::Session::finish);
                document.map(|d| Outcome::Document(d.with_live(drawn)))
            }
        }
    }

    /// Runs the demo or the tour on `env`: this machine, or in tests a scripted one.
    pub(crate) fn measure(&self, env: &Env) -> anyhow::Result<Document> {
        match &self.job {
            Job::Tour(config) => demo::tour::run(config, env).map(Document::from),
            Job::Info(None) => Ok(demo::info::run(env).into()),
            Job::Parallel(config) => demo::parallel::run(config, env).map(Document::from),
            Job::Interleave(config) => demo::interleave::run(config, env).map(Document::from),
            Job::Race(config) => demo::race::run(config, env).map(Document::from),
            Job::GilSim(config) => demo::gil_sim::run(config, env).map(Document::from),
            Job::Maxprocs(config) => demo::maxprocs::run(config, env).map(Document::from),
            Job::Worker(_) | Job::Completions(_) | Job::Info(Some(_)) => {
                anyhow::bail!("this job measures nothing")
            }
        }
    }

    /// Is this a hidden worker's run (which checks no file and writes none)?
    pub fn is_worker(&self) -> bool {
        matches!(self.job, Job::Worker(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(args: &[&str]) -> Invocation {
        Cli::try_parse_args_from(args).unwrap().invocation()
    }

    #[test]
    fn trace_is_refused_where_nothing_is_recorded() {
        for args in [
            &["conpar", "info", "--trace", "t.json"][..],
            &["conpar", "--trace", "t.json", "maxprocs"],
            &["conpar", "completions", "bash", "--trace", "t.json"],
        ] {
            let error = invocation(args).check_files().unwrap_err();
            let usage = error.downcast_ref::<UsageError>().expect("bad input");
            assert!(
                usage.0.starts_with("--trace has nothing to record for "),
                "{usage}"
            );
        }
    }

    #[test]
    fn every_output_file_is_in_one_list() {
        let both = invocation(&[
            "conpar", "--trace", "t.json", "maxprocs", "--plot", "p.svg", "--check",
        ]);
        let paths: Vec<_> = both.files.iter().map(|f| (f.what(), f.path())).collect();
        assert_eq!(
            paths,
            [
                ("trace", std::path::Path::new("t.json")),
                ("plot", std::path::Path::new("p.svg"))
            ]
        );
        assert!(both.expectations.demo);
        let none = invocation(&["conpar", "parallel", "--min-speedup", "1.5"]);
        assert!(none.files.is_empty());
        assert_eq!(none.expectations.min_speedup, Some(1.5));
        assert!(!invocation(&["conpar", "info"]).is_worker());
    }
}
