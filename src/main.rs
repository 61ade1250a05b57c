//! The `conpar` binary: parse, run, print, and map every outcome to one exit code.

#![forbid(unsafe_code)]

use clap::error::ErrorKind;
use conpar::cli::{Cli, Command, WorkerArgs};
use conpar::error::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError};
use conpar::report;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_args() {
        Ok(cli) => cli,
        Err(error) => return parse_failure(error),
    };
    if let Command::Worker(args) = &cli.command {
        return finish(run_worker(args));
    }
    let report = match cli.run() {
        Ok(report) => report,
        Err(error) => {
            return finish(Err(error));
        }
    };
    let text = report::render(&report, &cli.render_options());
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::from(EXIT_OK),
        // A closed pipe (`conpar ... | head -1`) means the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("error: cannot write the results to stdout: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// A worker process: die with the parent, run the task, report on stdout.
fn run_worker(args: &WorkerArgs) -> anyhow::Result<()> {
    conpar::sys::die_with_parent()?;
    conpar::exec::process::worker(&args.spec(), &mut std::io::stdout().lock())
}

/// Maps the outcome of a run to its exit code, printing errors as one line.
fn finish(outcome: anyhow::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(error) => match error.downcast_ref::<UsageError>() {
            Some(usage) => {
                eprintln!("error: {usage}");
                ExitCode::from(EXIT_USAGE)
            }
            None => {
                eprintln!("error: {error:#}");
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
