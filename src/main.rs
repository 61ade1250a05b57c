//! The `conpar` binary: parse, run, print, and map every outcome to one exit code.

#![forbid(unsafe_code)]

use clap::CommandFactory;
use clap::error::ErrorKind;
use conpar::cli::{Cli, Command, WorkerArgs};
use conpar::error::{EXIT_CHECK, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError};
use conpar::interrupt;
use conpar::report;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_args() {
        Ok(cli) => cli,
        Err(error) => return parse_failure(error),
    };
    match &cli.command {
        Command::Worker(args) => return finish(run_worker(args)),
        Command::YieldWorker(args) => {
            return finish(
                conpar::sys::die_with_parent(args.parent.map(|p| p as u32)).and_then(|()| {
                    conpar::exec::switch_cost::yield_worker(
                        args.cpu as usize,
                        args.rounds,
                        &mut std::io::stdout().lock(),
                    )
                }),
            );
        }
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(*shell, &mut command, "conpar", &mut std::io::stdout());
            return ExitCode::from(EXIT_OK);
        }
        _ => {}
    }
    if let Err(error) = interrupt::install() {
        return finish(Err(error));
    }
    if let Command::Tour(args) = &cli.command {
        return run_tour(&cli, args);
    }
    let report = match cli.run() {
        Ok(report) => report,
        Err(error) => return finish(Err(error)),
    };
    let text = report::render(&report, &cli.render_options());
    let trace = cli
        .output
        .trace
        .as_ref()
        .map(|path| (path, report::chrome::render(&report)));
    let failed = conpar::check::failures(&report, &cli.expectations());
    emit(&text, trace, &failed)
}

/// The tour: every demo, one section per question, then the same output and checks as a demo.
fn run_tour(cli: &Cli, args: &conpar::cli::TourArgs) -> ExitCode {
    let config = conpar::demo::tour::Config {
        quick: args.quick,
        limit: cli.limit.limit(),
        progress: !cli.output.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        seed: args.seed,
    };
    let tour = match conpar::demo::tour::run(&config) {
        Ok(tour) => tour,
        Err(error) => return finish(Err(error)),
    };
    let text = report::tour::render(&tour, &cli.render_options());
    let reports: Vec<&report::Report> = tour.sections.iter().flat_map(|s| &s.reports).collect();
    let failed: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            conpar::check::failures(r, &cli.expectations())
                .into_iter()
                .map(|f| format!("{}: {f}", r.demo))
        })
        .collect();
    let trace = cli
        .output
        .trace
        .as_ref()
        .map(|path| (path, report::chrome::render_all(&reports)));
    emit(&text, trace, &failed)
}

/// Prints the results, writes the trace, reports broken checks; the common end of every run.
fn emit(text: &str, trace: Option<(&std::path::PathBuf, String)>, failed: &[String]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`conpar ... | head -1`) means the reader has what it wanted.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the results to stdout: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    }
    if let Some((path, trace)) = trace {
        if let Err(error) = conpar::output::write_atomic(path, trace.as_bytes()) {
            return finish(Err(error));
        }
    }
    for failure in failed {
        eprintln!("check failed: {failure}");
    }
    ExitCode::from(if failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_CHECK
    })
}

/// A worker process: tie itself to the parent first, then run the task and report on stdout.
fn run_worker(args: &WorkerArgs) -> anyhow::Result<()> {
    conpar::sys::die_with_parent(args.parent.map(|p| p as u32))?;
    if args.gil {
        let io_wait = args.io_wait_ns.map(std::time::Duration::from_nanos);
        return conpar::exec::gil::worker(&args.spec(), io_wait, &mut std::io::stdout().lock());
    }
    conpar::exec::process::worker(&args.spec(), &mut std::io::stdout().lock())
}

/// Maps the outcome of a run to its exit code, printing errors as one line.
fn finish(outcome: anyhow::Result<()>) -> ExitCode {
    if interrupt::interrupted() {
        // The handler is killing the workers and will exit 130; a worker's death is no error.
        return ExitCode::from(conpar::error::EXIT_INTERRUPTED);
    }
    match outcome {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(error) => match error.downcast_ref::<UsageError>() {
            // Not eprintln!, which panics where stderr is gone (a worker whose parent died).
            Some(usage) => {
                let _ = writeln!(std::io::stderr(), "error: {usage}");
                ExitCode::from(EXIT_USAGE)
            }
            None => {
                let _ = writeln!(std::io::stderr(), "error: {error:#}");
                ExitCode::from(EXIT_FAILURE)
            }
        },
    }
}

/// Help and version go to stdout with exit 0; bad input is one line on stderr with exit 2.
fn parse_failure(error: clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::from(EXIT_OK)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            let text = error.render().to_string();
            eprintln!("{}", text.lines().next().unwrap_or("error: bad arguments"));
            ExitCode::from(EXIT_USAGE)
        }
    }
}
