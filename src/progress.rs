//! Progress on stderr for runs long enough to wonder about.
//!
//! Shown only when stderr is a terminal, the run is expected to take more than about a second,
//! and `--quiet` is not given; otherwise every call is a no-op, so demos can report progress
//! unconditionally and stdout stays clean for pipes.
//!
//! The bar on show is also registered here, so that an interrupt can clear it before it says
//! "interrupted" ([`clear_active`]). Its spinner is turned by a thread of ours, started the way
//! every thread is ([`crate::spawn`]): where the OS refuses one, the bar just does not
//! spin.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, WeakProgressBar};
use std::io::IsTerminal;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The bar on show, if any (weakly: a dropped bar is gone).
static ACTIVE: Mutex<Option<WeakProgressBar>> = Mutex::new(None);

/// Between two turns of the spinner.
const TICK: Duration = Duration::from_millis(120);

/// Removes the bar on show, if any, so that the next line starts clean.
pub(crate) fn clear_active() {
    let bar = ACTIVE.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(bar) = bar.and_then(|b| b.upgrade()) {
        bar.finish_and_clear();
    }
}

/// Runs expected to be shorter than this get no bar.
const SHOW_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A progress bar of `steps` steps, shown only where it helps (see the module doc).
    pub(crate) fn new(allowed: bool, steps: u64, expected: Duration) -> Progress {
        let show = allowed && expected >= SHOW_AFTER && std::io::stderr().is_terminal();
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg:<24} [{bar:30}] {pos}/{len} runs, eta {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            let ticked = bar.downgrade();
            let _ = crate::spawn::thread("the progress spinner", move || {
                loop {
                    std::thread::sleep(TICK);
                    match ticked.upgrade() {
                        Some(bar) if !bar.is_finished() => bar.tick(),
                        _ => break,
                    }
                }
            });
            *ACTIVE.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.downgrade());
            bar
        });
        Progress { bar }
    }

    /// Says what is running now.
    pub(crate) fn message(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
    }

    /// One more step done.
    pub(crate) fn step(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// The run will take `steps` more steps than first said (extra rounds).
    pub(crate) fn add_steps(&self, steps: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(steps);
        }
    }

    /// Removes the bar so the result prints on a clean line.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            ACTIVE.lock().unwrap_or_else(PoisonError::into_inner).take();
        }
    }
}
