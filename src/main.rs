//! The `conpar` binary: parse, run ([`Cli::run`], the one dispatch), then the one output
//! pipeline over the document (render, trace, check, print), and one exit code per outcome.

#![forbid(unsafe_code)]
#![warn(clippy::pedantic)]

use clap::error::ErrorKind;
use conpar::check::Miss;
use conpar::cli::{Cli, ColorChoice, Invocation, Outcome};
use conpar::document::Document;
use conpar::error::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError};
use conpar::interrupt;
use conpar::streams;
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_args() {
        Ok(cli) => cli,
        Err(error) => return parse_failure(&error),
    };
    let invocation = cli.invocation();
    // A worker writes no file; everyone else's files are checked before any work.
    if !invocation.is_worker() {
        if let Err(error) = invocation.check_files() {
            return finish(Err(error));
        }
    }
    match invocation.run() {
        Err(error) => finish(Err(error)),
        Ok(Outcome::Worked) => finish(Ok(())),
        Ok(Outcome::Script(script)) => exit_code(print("the completion script", &script)),
        Ok(Outcome::Document(document)) => emit(&invocation, &document),
    }
}

/// The document's text on stdout, then every file of the invocation's list, then what
/// `--check` found: one line each on stderr, and the exit code.
fn emit(invocation: &Invocation, document: &Document) -> ExitCode {
    let text = document.render(&invocation.render);
    if let Err(code) = print("the results", text.as_bytes()) {
        return code;
    }
    for file in &invocation.files {
        if let Err(error) = file.write(document) {
            return finish(Err(error));
        }
    }
    let missed: Vec<Miss> = document.misses(&invocation.expectations);
    for miss in &missed {
        streams::stderr_line(&miss.line());
    }
    ExitCode::from(conpar::check::exit_code(&missed))
}

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
        Err(error) => {
            if let Some(usage) = error.downcast_ref::<UsageError>() {
                streams::stderr_line(&format!("error: {usage}"));
                ExitCode::from(EXIT_USAGE)
            } else {
                streams::stderr_line(&format!("error: {error:#}"));
                ExitCode::from(EXIT_FAILURE)
            }
        }
    }
}

/// Help and version go to stdout with exit 0 (1 where they cannot be written, like results);
/// bad input is one line on stderr with exit 2.
fn parse_failure(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp => {
            let help = styled(error, std::io::stdout().is_terminal());
            exit_code(print("the help", help.as_bytes()))
        }
        ErrorKind::DisplayVersion => {
            let version = styled(error, std::io::stdout().is_terminal());
            exit_code(print("the version", version.as_bytes()))
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            streams::stderr(&styled(error, std::io::stderr().is_terminal()));
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
