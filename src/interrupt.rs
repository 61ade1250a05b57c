//! Clean interruption: Ctrl-C (or SIGTERM) stops a run within a fraction of a second, kills and
//! reaps every worker process, removes half-written output files, and exits with 130.
//!
//! Executors register the child processes they start and the output writer registers its
//! temporary file; the signal handler (a thread of the `ctrlc` crate, so no code runs in signal
//! context) walks both lists and exits. Work in progress on other threads is simply abandoned:
//! nothing it holds outlives the process.

use crate::error::EXIT_INTERRUPTED;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Held by the handler while it cleans up.
static CLEANING: Mutex<()> = Mutex::new(());
static TEMP_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the handler; call once, early in `main`.
pub fn install() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        // First, so that the main thread, seeing its workers die, exits 130 and not 1.
        let _cleaning = CLEANING.lock().unwrap_or_else(|e| e.into_inner());
        INTERRUPTED.store(true, Ordering::SeqCst);
        clean_up();
        crate::streams::stderr_line("interrupted");
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    })?;
    Ok(())
}

/// Has Ctrl-C (or SIGTERM) arrived? Then whatever fails next is its consequence, not an
/// error. Returns only once the clean-up is done, so the caller may exit at once.
pub fn interrupted() -> bool {
    let interrupted = INTERRUPTED.load(Ordering::SeqCst);
    if interrupted {
        drop(CLEANING.lock().unwrap_or_else(|e| e.into_inner()));
    }
    interrupted
}

/// Kills and reaps every registered child and removes every registered temporary file.
fn clean_up() {
    let children = std::mem::take(&mut *CHILDREN.lock().unwrap_or_else(|e| e.into_inner()));
    for pid in children {
        kill_and_reap(pid);
    }
    let files = std::mem::take(&mut *TEMP_FILES.lock().unwrap_or_else(|e| e.into_inner()));
    for file in files {
        let _ = std::fs::remove_file(file);
    }
}

#[cfg(unix)]
fn kill_and_reap(pid: u32) {
    use nix::sys::signal::{Signal, kill};
    use nix::sys::wait::waitpid;
    use nix::unistd::Pid;
    let pid = Pid::from_raw(pid as i32);
    if kill(pid, Signal::SIGKILL).is_ok() {
        let _ = waitpid(pid, None);
    }
}

#[cfg(not(unix))]
fn kill_and_reap(_pid: u32) {}

/// Notes a child process to kill on interruption.
pub fn register_child(pid: u32) {
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
}

/// Forgets a child that has been reaped (its pid may be reused).
pub fn forget_child(pid: u32) {
    CHILDREN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|&p| p != pid);
}

/// Notes a temporary file to remove on interruption.
pub fn register_temp_file(path: &Path) {
    TEMP_FILES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.to_path_buf());
}

/// Forgets a temporary file that was renamed or removed.
pub fn forget_temp_file(path: &Path) {
    TEMP_FILES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|p| p != path);
}
