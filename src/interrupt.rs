//! Clean interruption: Ctrl-C, SIGTERM or SIGHUP stops a run within a fraction of a second,
//! kills and reaps every worker process, removes half-written output files, and exits with
//! 130, whatever state stderr is in.
//!
//! The signals are caught with the `signal-hook` crate, whose handler only notes the signal:
//! the clean-up runs on a thread of ours, so no code runs in signal context. A SIGHUP that was
//! ignored when conpar started (`nohup conpar ...`, `trap '' HUP`) stays ignored.
//!
//! Executors start their child processes through [`spawn_child`], which registers the child
//! under the same lock it is started under, and reap them through [`try_reap`], which forgets
//! it in the same step. The handler takes that lock, closes the registry (no child is started
//! after the clean-up began) and keeps the lock until the process exits. So every child that
//! exists is on the list when the handler looks, and no pid is signalled after it was reaped
//! (and perhaps reused). Workers also die with the parent on their own ([`crate::sys::die_with_parent`]),
//! for a parent killed outright.
//!
//! The output writer registers its temporary file; the handler removes it. Work in progress on
//! other threads is simply abandoned: nothing it holds outlives the process. The word
//! "interrupted" comes last, after the progress bar is cleared, and is given a second at most:
//! a full disk, a closed pipe or a stderr that nobody reads cannot keep the run going.

use crate::error::EXIT_INTERRUPTED;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The child processes alive (or not yet reaped), and whether clean-up has begun.
struct Children {
    pids: Vec<u32>,
    closed: bool,
}

static CHILDREN: Mutex<Children> = Mutex::new(Children {
    pids: Vec::new(),
    closed: false,
});
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Held by the handler from the signal to the exit.
static CLEANING: Mutex<()> = Mutex::new(());
static TEMP_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Longest wait for the progress bar to clear and "interrupted" to be written.
const MESSAGE_WAIT: Duration = Duration::from_secs(1);
/// Longest wait for the killed children to be reaped.
const REAP_WAIT: Duration = Duration::from_secs(2);
/// How long a worker killed by SIGINT, SIGTERM or SIGHUP waits for the same signal to reach
/// this process (a signal to the whole process group reaches the children first at times).
const SIGNAL_LAG: Duration = Duration::from_secs(1);

fn children() -> MutexGuard<'static, Children> {
    CHILDREN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What else must be undone before the exit (`--live`'s block on the terminal), registered by
/// whoever did it, so that this module needs none of them.
static CLEAN_UPS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// Runs `clean_up` on Ctrl-C (SIGTERM, SIGHUP) before the exit, with the progress bar's.
pub(crate) fn on_interrupt_also(clean_up: fn()) {
    CLEAN_UPS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(clean_up);
}

/// Installs the handler; call once, early in `main`, before any child process is started.
#[cfg(unix)]
pub(crate) fn install() -> anyhow::Result<()> {
    use anyhow::Context;
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut caught = vec![SIGINT, SIGTERM];
    // Asked before anything is installed: the disposition is still the inherited one.
    if !crate::sys::signal_ignored(SIGHUP) {
        caught.push(SIGHUP);
    }
    let mut signals = signal_hook::iterator::Signals::new(&caught)
        .context("cannot install the handler for Ctrl-C")?;
    crate::spawn::thread("the signal-handling thread", move || {
        if signals.forever().next().is_some() {
            on_interrupt();
        }
    })?;
    Ok(())
}

/// Installs nothing: Ctrl-C ends the process the default way.
#[cfg(not(unix))]
pub(crate) fn install() -> anyhow::Result<()> {
    Ok(())
}

/// The clean-up, on the handler's thread; never returns.
fn on_interrupt() -> ! {
    // First, so that the main thread, seeing its workers die, exits 130 and not 1.
    let _cleaning = CLEANING.lock().unwrap_or_else(PoisonError::into_inner);
    INTERRUPTED.store(true, Ordering::SeqCst);
    // Kept until the exit: no child starts or is reaped from now on.
    let mut registry = children();
    registry.closed = true;
    kill_and_reap(&registry.pids);
    let files = std::mem::take(&mut *TEMP_FILES.lock().unwrap_or_else(PoisonError::into_inner));
    for file in files {
        let _ = std::fs::remove_file(file);
    }
    say_interrupted();
    std::process::exit(i32::from(EXIT_INTERRUPTED));
}

/// Clears the progress bar and writes "interrupted" on stderr, on a thread of its own so that
/// a stderr that blocks (a full pipe, a terminal on hold) delays the exit by [`MESSAGE_WAIT`]
/// at most. Errors are ignored: the exit code says it all.
fn say_interrupted() {
    let (done, finished) = std::sync::mpsc::channel();
    let writer = crate::spawn::thread("the interrupt message thread", move || {
        crate::progress::clear_active();
        for clean_up in CLEAN_UPS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            clean_up();
        }
        crate::streams::stderr_line("interrupted");
        let _ = done.send(());
    });
    if writer.is_ok() {
        let _ = finished.recv_timeout(MESSAGE_WAIT);
    }
}

/// Has Ctrl-C (or SIGTERM, SIGHUP) arrived? Then whatever fails next is its consequence, not
/// an error. Returns only once the clean-up is done, so the caller may exit at once.
pub fn interrupted() -> bool {
    let interrupted = INTERRUPTED.load(Ordering::SeqCst);
    if interrupted {
        drop(CLEANING.lock().unwrap_or_else(PoisonError::into_inner));
    }
    interrupted
}

/// A child that died of SIGINT, SIGTERM or SIGHUP was probably sent it with this process, by a
/// signal to the whole process group: waits up to a second for it to arrive here too,
/// and then (see [`interrupted`]) for the clean-up to end the process. Returns at once for any
/// other death, or when no signal comes.
pub(crate) fn wait_if_interrupted_too(status: ExitStatus) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let ours = [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ];
        if !status.signal().is_some_and(|s| ours.contains(&s)) {
            return;
        }
        let since = Instant::now();
        while since.elapsed() < SIGNAL_LAG {
            if interrupted() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    #[cfg(not(unix))]
    let _ = status;
}

/// Starts `command` and registers the child for clean-up, both under the registry's lock, so
/// that the handler never misses a child; refused once the clean-up has begun.
pub(crate) fn spawn_child(command: &mut Command) -> std::io::Result<Child> {
    let mut registry = children();
    if registry.closed {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted",
        ));
    }
    let child = command.spawn()?;
    registry.pids.push(child.id());
    Ok(child)
}

/// Reaps `child` if it has ended (`None` if it still runs) and forgets it in the same step.
pub(crate) fn try_reap(child: &mut Child) -> std::io::Result<Option<ExitStatus>> {
    let mut registry = children();
    let status = child.try_wait()?;
    if status.is_some() {
        let pid = child.id();
        registry.pids.retain(|&p| p != pid);
    }
    Ok(status)
}

/// Kills `child` if it still runs, with its process group where it leads one (a Python
/// interpreter and its `multiprocessing` workers); forgets it if it has been reaped meanwhile.
pub(crate) fn kill_child(child: &mut Child) {
    let mut registry = children();
    match child.try_wait() {
        Ok(None) => {
            kill_group(child.id());
            let _ = child.kill();
        }
        Ok(Some(_)) => {
            let pid = child.id();
            registry.pids.retain(|&p| p != pid);
        }
        Err(_) => {}
    }
}

/// Kills every child in `pids` and reaps them, giving up after [`REAP_WAIT`] on any that
/// cannot die yet.
#[cfg(target_os = "linux")]
fn kill_and_reap(pids: &[u32]) {
    use nix::sys::signal::{Signal, kill};
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    use nix::unistd::Pid;
    // Child ids fit an i32 (pid_max is at most 2^22); a wrapped one would name a process group.
    let pids: Vec<Pid> = pids
        .iter()
        .filter_map(|&p| i32::try_from(p).ok().map(Pid::from_raw))
        .collect();
    for &pid in &pids {
        kill_group(pid.as_raw().unsigned_abs());
        let _ = kill(pid, Signal::SIGKILL);
    }
    let deadline = Instant::now() + REAP_WAIT;
    for &pid in &pids {
        while let Ok(WaitStatus::StillAlive) = waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn kill_and_reap(_pids: &[u32]) {}

/// Kills the process group that child `pid` leads, if it leads one: every process it started
/// that stayed in it dies with it. A child in conpar's own group leads none, and nothing
/// happens. Its pid is not reused while the child is not reaped, so the group is its own.
#[cfg(target_os = "linux")]
fn kill_group(pid: u32) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    if let Ok(pid) = i32::try_from(pid) {
        if nix::unistd::getpgid(Some(Pid::from_raw(pid))).ok() == Some(Pid::from_raw(pid)) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn kill_group(_pid: u32) {}

/// Notes a temporary file to remove on interruption.
pub(crate) fn register_temp_file(path: &Path) {
    TEMP_FILES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(path.to_path_buf());
}

/// Forgets a temporary file that was renamed or removed.
pub(crate) fn forget_temp_file(path: &Path) {
    TEMP_FILES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .retain(|p| p != path);
}
