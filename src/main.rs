//! The `conpar` binary: parse, run, print, and map every outcome to one exit code.

#![forbid(unsafe_code)]

use clap::CommandFactory;
use clap::error::ErrorKind;
use conpar::check::Miss;
use conpar::cli::{Cli, ColorChoice, Command};
use conpar::error::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError};
use conpar::interrupt;
use conpar::report;
use conpar::streams;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_args() {
        Ok(cli) => cli,
        Err(error) => return parse_failure(error),
    };
    if let Command::Worker(worker) = &cli.command {
        return finish(conpar::exec::worker::run(worker));
    }
    if let Err(error) = cli.check_outputs() {
        return finish(Err(error));
    }
    if let Command::Completions { shell } = &cli.command {
        // Generated into memory: clap_complete panics where it cannot write.
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut Cli::command(), "conpar", &mut script);
        return exit_code(print("the completion script", &script));
    }
    if let Err(error) = interrupt::install() {
        return finish(Err(error));
    }
    if let Command::Tour(args) = &cli.command {
        return run_tour(&cli, args);
    }
    let mut report = match cli.run() {
        Ok(report) => report,
        Err(error) => return finish(Err(error)),
    };
    if cli.output.timeline_full {
        report.timeline.set_full();
    }
    let text = report::render(&report, &cli.render_options());
    let missed = conpar::check::misses(&report, &cli.expectations());
    let write_trace = |out: &mut dyn Write| report::chrome::write_all(&[&report], out);
    let trace = cli
        .output
        .trace
        .as_ref()
        .map(|path| (path, &write_trace as _));
    emit(&text, trace, &missed)
}

/// The tour: every demo, one section per question, then the same output and checks as a demo.
fn run_tour(cli: &Cli, args: &conpar::cli::TourArgs) -> ExitCode {
    let config = args.config(&cli.globals());
    let mut tour = match conpar::demo::tour::run(&config, &conpar::engine::Env::detect()) {
        Ok(tour) => tour,
        Err(error) => return finish(Err(error)),
    };
    if cli.output.timeline_full {
        for report in tour.sections.iter_mut().flat_map(|s| &mut s.reports) {
            report.timeline.set_full();
        }
    }
    let text = report::tour::render(&tour, &cli.render_options());
    let reports: Vec<&report::Report> = tour.sections.iter().flat_map(|s| &s.reports).collect();
    let missed: Vec<Miss> = reports
        .iter()
        .flat_map(|r| {
            conpar::check::misses(r, &cli.expectations())
                .into_iter()
                .map(|m| m.within(&r.demo))
        })
        .collect();
    let write_trace = |out: &mut dyn Write| report::chrome::write_all(&reports, out);
    let trace = cli
        .output
        .trace
        .as_ref()
        .map(|path| (path, &write_trace as _));
    emit(&text, trace, &missed)
}

/// Prints the results, writes the trace (streamed, see [`report::chrome`]), reports missed
/// checks; the common end of every run.
fn emit(
    text: &str,
    trace: Option<(&std::path::PathBuf, &conpar::output::Body<'_>)>,
    missed: &[Miss],
) -> ExitCode {
    if let Err(code) = print("the results", text.as_bytes()) {
        return code;
    }
    if let Some((path, write_trace)) = trace {
        if let Err(error) = conpar::output::write_with("trace", path, write_trace) {
            return finish(Err(error));
        }
    }
    for miss in missed {
        streams::stderr_line(&miss.line());
    }
    ExitCode::from(conpar::check::exit_code(missed))
}

/// Writes `bytes`, the `what`, to stdout. Where that fails (other than by a closed pipe, see
/// [`streams`]), says so in one line on stderr and returns exit code 1.
fn print(what: &str, bytes: &[u8]) -> Result<(), ExitCode> {
    streams::stdout(bytes).map_err(|e| {
        streams::stderr_line(&format!("error: cannot write {what} to stdout: {e}"));
        ExitCode::from(EXIT_FAILURE)
    })
}

fn exit_code(printed: Result<(), ExitCode>) -> ExitCode {
    printed.map_or_else(|code| code, |()| ExitCode::from(EXIT_OK))
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
            Some(usage) => {
                streams::stderr_line(&format!("error: {usage}"));
                ExitCode::from(EXIT_USAGE)
            }
            None => {
                streams::stderr_line(&format!("error: {error:#}"));
                ExitCode::from(EXIT_FAILURE)
            }
        },
    }
}

/// Help and version go to stdout with exit 0 (1 where they cannot be written, like results);
/// bad input is one line on stderr with exit 2.
fn parse_failure(error: clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp => {
            let help = styled(&error, std::io::stdout().is_terminal());
            exit_code(print("the help", help.as_bytes()))
        }
        ErrorKind::DisplayVersion => {
            let version = styled(&error, std::io::stdout().is_terminal());
            exit_code(print("the version", version.as_bytes()))
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            streams::stderr(&styled(&error, std::io::stderr().is_terminal()));
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            let text = error.render().to_string();
            streams::stderr_line(text.lines().next().unwrap_or("error: bad arguments"));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// clap's text, in colour where it goes to a terminal that shows colour.
fn styled(error: &clap::Error, terminal: bool) -> String {
    let text = error.render();
    if ColorChoice::Auto.enabled(terminal) {
        text.ansi().to_string()
    } else {
        text.to_string()
    }
}
