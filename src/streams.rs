//! stdout and stderr without panics: the one path every result, help text and message takes.
//!
//! `print!` and `eprintln!` panic when a write fails (stdout on a full disk, stderr closed), and
//! a panic exits with 101 instead of the code the run earned. Here a lost write is an error the
//! caller maps to an exit code, never a panic:
//!
//! - stdout ([`stdout`]): the results, help, version and completion scripts. A reader that has
//!   gone (`conpar ... | head -1`, a closed pipe) has what it wanted: success. Any other failure
//!   is returned, and the caller exits 1.
//! - stderr ([`stderr`], [`stderr_line`]): messages. A failure to write one is ignored, as there
//!   is nowhere left to report it; the exit code still tells what happened.

use std::io::{self, Write};

/// Writes `bytes` to stdout and flushes them. A closed pipe counts as written (see the module
/// doc); every other failure is returned.
pub fn stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    ignore_broken_pipe(out.write_all(bytes).and_then(|()| out.flush()))
}

/// Writes `text` to stderr as it is, ignoring failures.
pub fn stderr(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// Writes `line` and a newline to stderr, ignoring failures.
pub fn stderr_line(line: &str) {
    stderr(&format!("{line}\n"));
}

/// A write whose reader has gone is a write its reader did not want: success.
pub(crate) fn ignore_broken_pipe(written: io::Result<()>) -> io::Result<()> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_broken_pipe_counts_as_written() {
        let broken = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(ignore_broken_pipe(Err(broken)).is_ok());
        let full = io::Error::from_raw_os_error(28); // ENOSPC
        assert_eq!(
            ignore_broken_pipe(Err(full)).unwrap_err().raw_os_error(),
            Some(28)
        );
        assert!(ignore_broken_pipe(Ok(())).is_ok());
    }
}
