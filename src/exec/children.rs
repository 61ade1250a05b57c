//! Worker child processes, whoever starts them (the process executor, the GIL's process
//! workaround, the switch-cost probe): started from the running binary, read in one `poll`
//! loop under a deadline, and killed and reaped whatever happens.
//!
//! # No child outlives the parent, no child stalls it
//!
//! - Workers are started from the running binary itself (`/proc/self/exe` on Linux), not from
//!   its path, which a rebuild may have replaced meanwhile, and are told the parent's pid
//!   (`--parent`).
//! - A worker's first act is to ask the kernel to kill it when the parent dies
//!   (`PR_SET_PDEATHSIG`) and then to check that its parent is still the one that started it:
//!   a parent that died before the request was made has left it with another parent, and it
//!   exits at once. No moment is left in which the parent can die unnoticed.
//! - Workers block SIGINT, SIGTERM and SIGHUP: the parent owns those signals, and its handler
//!   ([`crate::interrupt`]) kills and reaps every worker. Children are started and reaped
//!   through that module's registry, so the handler sees every child that exists.
//! - The parent reads all the pipes in one `poll` loop (no thread per child) and gives the
//!   workers [`worker_timeout`] to finish: a worker that is stopped or hung fails the run with
//!   a message instead of stalling it. Whenever the parent returns early, every child still
//!   running is killed and reaped.

use super::worker::WorkerCommand;
use crate::interrupt;
use crate::sys;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The running binary on Linux: re-executing it starts the same program even after the file
/// at its path was replaced (a rebuild) or removed.
pub(crate) const SELF_EXE: &str = "/proc/self/exe";

/// The least time workers get to finish, however little work they have: starting a process,
/// loading a debug build and parsing its flags, on a machine busy with other work.
pub(crate) const WORKER_TIMEOUT_FLOOR: Duration = Duration::from_secs(10);

/// How many times their estimated work the workers get on top of the floor: the estimate is a
/// sequential pass over all their tasks, timed when this machine may have been quieter.
pub(crate) const WORKER_TIMEOUT_MARGIN: u32 = 5;

/// What each worker adds to the allowance for starting (fork, exec, start-up).
pub(crate) const WORKER_START_ALLOWANCE: Duration = Duration::from_millis(50);

/// How long `workers` child processes whose work takes about `expected` in all, one after
/// another, get to report before the run fails as stopped or hung: the floor
/// ([`WORKER_TIMEOUT_FLOOR`]), plus [`WORKER_TIMEOUT_MARGIN`] times `expected`, plus
/// [`WORKER_START_ALLOWANCE`] per worker, counted from the moment the last one was started.
pub(crate) fn worker_timeout(expected: Duration, workers: usize) -> Duration {
    WORKER_TIMEOUT_FLOOR
        .saturating_add(expected.saturating_mul(WORKER_TIMEOUT_MARGIN))
        .saturating_add(
            WORKER_START_ALLOWANCE.saturating_mul(workers.min(u32::MAX as usize) as u32),
        )
}

/// How long the clean-up waits for killed children to be gone before it gives up on one (a
/// process stuck in the kernel cannot die at once).
const REAP_WAIT: Duration = Duration::from_secs(5);

/// Children that are killed and reaped if they are still running when this is dropped.
#[derive(Default)]
pub(crate) struct Reaper(pub Vec<Child>);

impl Reaper {
    /// Starts `command` and keeps its child, registered for clean-up on Ctrl-C.
    pub(crate) fn spawn(&mut self, command: &mut Command) -> std::io::Result<&mut Child> {
        let child = interrupt::spawn_child(command)?;
        self.0.push(child);
        Ok(self.0.last_mut().expect("just pushed"))
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        for child in &mut self.0 {
            interrupt::kill_child(child);
        }
        let deadline = Instant::now() + REAP_WAIT;
        for child in &mut self.0 {
            let _ = reap_by(child, deadline);
        }
    }
}

/// Reaps `child` once it has ended, waiting for that until `deadline` at most; `None` if it is
/// still running then.
fn reap_by(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    // A child whose pipes just closed is ending: the first looks come quickly.
    let mut pause = Duration::from_micros(20);
    loop {
        if let Some(status) = interrupt::try_reap(child)? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// A command that runs `exe` as the worker `worker`, telling it this process's pid so that it
/// can check it was not orphaned before it even started.
pub(crate) fn worker_command(exe: &Path, worker: &WorkerCommand) -> Command {
    let mut command = Command::new(exe);
    #[cfg(unix)]
    if exe == Path::new(SELF_EXE) {
        // Shown by ps as `conpar worker ...` rather than `/proc/self/exe worker ...`.
        std::os::unix::process::CommandExt::arg0(&mut command, "conpar");
    }
    command.args(worker.clone().with_parent(std::process::id()).to_args());
    command
}

/// What to call `exe` in a message.
fn exe_name(exe: &Path) -> String {
    if exe == Path::new(SELF_EXE) {
        "conpar".to_string()
    } else {
        exe.display().to_string()
    }
}

/// Starts one worker process of `exe` per worker command, all at once, with stdout and stderr
/// piped (and stdin, if `stdin`, else empty). Where one cannot be started, those already
/// started are killed and reaped and the error says which one and why.
pub(crate) fn start_workers(
    exe: &Path,
    workers: &[WorkerCommand],
    stdin: bool,
) -> anyhow::Result<Reaper> {
    let mut children = Reaper::default();
    for (i, worker) in workers.iter().enumerate() {
        let input = if stdin { Stdio::piped() } else { Stdio::null() };
        children
            .spawn(
                worker_command(exe, worker)
                    .stdin(input)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped()),
            )
            .with_context(|| {
                format!(
                    "cannot start worker process {} of {} ({})",
                    i + 1,
                    workers.len(),
                    exe_name(exe)
                )
            })?;
    }
    Ok(children)
}

/// Starts one child process of `exe` per worker command, all at once, and returns what each
/// wrote on stdout once all have ended; `expected` is about how long their work takes one
/// after another (see [`worker_timeout`]). A child that fails is an error quoting the first
/// line of its stderr; children still running when this returns early are killed, and every
/// child is reaped.
pub(crate) fn run_children(
    exe: &Path,
    workers: &[WorkerCommand],
    expected: Duration,
) -> anyhow::Result<Vec<String>> {
    let mut children = start_workers(exe, workers, false)?;
    collect(&mut children, worker_timeout(expected, workers.len()))
}

/// Reads everything `children` write on stdout and stderr, reaps them, and returns their
/// stdouts in order; fails if one fails or if they have not all ended within `timeout`.
pub(crate) fn collect(children: &mut Reaper, timeout: Duration) -> anyhow::Result<Vec<String>> {
    let deadline = Instant::now() + timeout;
    let outputs = read_pipes(&mut children.0, deadline)
        .map_err(|late| late.into_error(&children.0, timeout))?;
    let mut stdouts = Vec::with_capacity(outputs.len());
    for (i, (child, (stdout, stderr))) in children.0.iter_mut().zip(outputs).enumerate() {
        let Some(status) = reap_by(child, deadline).context("cannot wait for a worker process")?
        else {
            return Err(Late::Worker(i).into_error(&children.0, timeout));
        };
        if !status.success() {
            // A worker killed by the signal that is interrupting this run too is no failure.
            interrupt::wait_if_interrupted_too(status);
            let stderr = String::from_utf8_lossy(&stderr);
            bail!(
                "worker process {} of {} failed ({status}): {}",
                i + 1,
                children.0.len(),
                stderr.lines().next().unwrap_or("no message")
            );
        }
        stdouts.push(String::from_utf8_lossy(&stdout).into_owned());
    }
    Ok(stdouts)
}

/// What each child wrote: its stdout and its stderr.
type Outputs = Vec<(Vec<u8>, Vec<u8>)>;

/// Why the pipes could not be read to their end.
enum Late {
    /// Worker `i` had not closed its pipes by the deadline.
    Worker(usize),
    /// Reading or polling failed.
    Io(std::io::Error),
}

impl Late {
    fn into_error(self, children: &[Child], timeout: Duration) -> anyhow::Error {
        match self {
            Late::Io(e) => anyhow::Error::new(e).context("cannot read a worker's pipe"),
            Late::Worker(i) => {
                let pid = children[i].id();
                let state = if sys::process_stopped(pid) == Some(true) {
                    "is stopped"
                } else {
                    "is hung or far slower than expected"
                };
                let limit = Duration::from_millis(timeout.as_millis() as u64);
                anyhow::anyhow!(
                    "worker process {} of {} (pid {pid}) {state}: it did not finish within {}, so the run was abandoned and every worker killed",
                    i + 1,
                    children.len(),
                    humantime::format_duration(limit)
                )
            }
        }
    }
}

/// Each child's whole stdout and stderr, read in one `poll` loop until every pipe is closed or
/// `deadline` passes.
#[cfg(target_os = "linux")]
fn read_pipes(children: &mut [Child], deadline: Instant) -> Result<Outputs, Late> {
    use nix::errno::Errno;
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::fs::File;
    use std::io::Read;
    use std::os::fd::{AsFd, OwnedFd};

    let mut outputs = vec![(Vec::new(), Vec::new()); children.len()];
    // (child, is stderr, pipe)
    let mut open: Vec<(usize, bool, File)> = Vec::with_capacity(2 * children.len());
    for (i, child) in children.iter_mut().enumerate() {
        if let Some(out) = child.stdout.take() {
            open.push((i, false, File::from(OwnedFd::from(out))));
        }
        if let Some(err) = child.stderr.take() {
            open.push((i, true, File::from(OwnedFd::from(err))));
        }
    }
    let mut buf = vec![0u8; 64 * 1024];
    while let Some(&(first, _, _)) = open.first() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Late::Worker(first));
        }
        let wait =
            PollTimeout::try_from(left.min(Duration::from_secs(1))).unwrap_or(PollTimeout::MAX);
        let ready: Vec<usize> = {
            let mut fds: Vec<PollFd> = open
                .iter()
                .map(|(_, _, pipe)| PollFd::new(pipe.as_fd(), PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, wait) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(Late::Io(e.into())),
            }
            fds.iter()
                .enumerate()
                .filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty()))
                .map(|(k, _)| k)
                .collect()
        };
        // From the back, so that removing one leaves the others' indices as they were.
        for &k in ready.iter().rev() {
            let (child, is_err, pipe) = &mut open[k];
            match pipe.read(&mut buf) {
                Ok(0) => {
                    open.remove(k);
                }
                Ok(n) => {
                    let out = &mut outputs[*child];
                    let sink = if *is_err { &mut out.1 } else { &mut out.0 };
                    sink.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Late::Io(e)),
            }
        }
    }
    Ok(outputs)
}

/// Each child's whole stdout and stderr, read one after another (no deadline where `poll` is
/// not available to this crate).
#[cfg(not(target_os = "linux"))]
fn read_pipes(children: &mut [Child], _deadline: Instant) -> Result<Outputs, Late> {
    use std::io::Read;
    let mut outputs = Vec::with_capacity(children.len());
    for child in children.iter_mut() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        if let Some(mut pipe) = child.stdout.take() {
            pipe.read_to_end(&mut out).map_err(Late::Io)?;
        }
        if let Some(mut pipe) = child.stderr.take() {
            pipe.read_to_end(&mut err).map_err(Late::Io)?;
        }
        outputs.push((out, err));
    }
    Ok(outputs)
}

/// The running `conpar` binary, to re-execute as a worker: [`SELF_EXE`] where the OS has it,
/// so that a worker is always the very program that started it.
pub(crate) fn current_exe() -> anyhow::Result<PathBuf> {
    let own = Path::new(SELF_EXE);
    if cfg!(target_os = "linux") && own.exists() {
        return Ok(own.to_path_buf());
    }
    std::env::current_exe().context("cannot find the conpar executable to start workers")
}
