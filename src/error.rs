//! Exit codes and the one error type that means "bad input".
//!
//! Scripts and CI tell outcomes apart by exit code alone, so every way out of the program maps
//! to exactly one of the codes below, and `main` is the only place that does the mapping.

use std::fmt;

/// Everything ran and the output was written.
pub const EXIT_OK: u8 = 0;
/// A failure at run time (an OS call refused, a file not writable, ...).
pub const EXIT_FAILURE: u8 = 1;
/// Bad input: a flag out of range, malformed, or work too large. Same code as clap's.
pub const EXIT_USAGE: u8 = 2;
/// `--check` or `--min-speedup`: the run did not show what it should.
pub(crate) const EXIT_CHECK: u8 = 3;
/// `--check` or `--min-speedup`: an expectation missed, but on a run that cannot be judged (a
/// disturbed machine, or work too small); no expectation failed outright.
pub(crate) const EXIT_INCONCLUSIVE: u8 = 4;
/// Interrupted by Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Bad input found after parsing (for example work that would run for hours). `main` prints it
/// as one line and exits with [`EXIT_USAGE`].
#[derive(Debug, Clone, PartialEq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}
