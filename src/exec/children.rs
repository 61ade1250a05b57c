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
//! - The parent reads all the pipes in one `poll` loop (no thread per child) and watches each
//!   worker's progress meanwhile ([`Watch`]): a worker that is stopped or hung fails the run
//!   with a message instead of stalling it. Whenever the parent returns early, every child
//!   still running is killed and reaped.
//!
//! # Hung means no progress, not slow
//!
//! A worker is not given a time to finish in: beside another busy program it may get half a
//! CPU or less, and on a quiet machine's estimate it would be declared hung while it works.
//! What it must show instead is progress, read from the CPU time the OS counts for it. It is
//! stopped or hung when that time stands still for longer than any of its own waits and
//! [`IDLE_FLOOR`] (SIGSTOP, a deadlock, a read that never returns), and spinning without
//! progress when it has used far more CPU time than its work needs. A worker that gets a
//! sliver of a busy CPU still moves, so it runs to its end. Where the OS does not count a
//! process's CPU time (not Linux), the old wall-clock deadline ([`worker_timeout`]) stands in.

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
/// loading a debug build and parsing its flags, on a machine busy with other work. Also the
/// least CPU time a worker may use before it counts as spinning.
pub(crate) const WORKER_TIMEOUT_FLOOR: Duration = Duration::from_secs(10);

/// How many times their estimated work the workers get on top of the floor: the estimate is a
/// sequential pass over all their tasks, timed when this machine may have been quieter.
pub(crate) const WORKER_TIMEOUT_MARGIN: u32 = 5;

/// How long a worker may use no CPU time at all, besides its own waits, before it counts as
/// stopped or hung: far above what a scheduler, a CPU quota's throttling (periods of 100 ms,
/// at most 1 s) or the loading of the binary from disk holds a runnable process back.
pub(crate) const IDLE_FLOOR: Duration = Duration::from_secs(3);

/// How often the parent looks at its workers' CPU time: often enough against
/// [`IDLE_FLOOR`], seldom enough that reading it (a directory and a file per thread, some
/// µs) costs a run of 256 workers well under 1% of a CPU.
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// What workers must show to count as alive (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Watch {
    /// CPU time one worker may use before it counts as spinning without progress.
    pub(crate) cpu_allowance: Duration,
    /// How long a worker may use no CPU time: its longest single wait and [`IDLE_FLOOR`].
    pub(crate) idle_allowance: Duration,
    /// The wall-clock time they all get where the OS does not count a process's CPU time.
    pub(crate) fallback: Duration,
}

impl Watch {
    /// The watch over `workers` worker processes whose work takes about `expected` in all,
    /// one after another, waits included, and which sleep at most `longest_wait` at a time.
    pub(crate) fn new(expected: Duration, workers: usize, longest_wait: Duration) -> Watch {
        Watch {
            cpu_allowance: WORKER_TIMEOUT_FLOOR
                .saturating_add(expected.saturating_mul(WORKER_TIMEOUT_MARGIN)),
            idle_allowance: IDLE_FLOOR.saturating_add(longest_wait),
            fallback: worker_timeout(expected, workers),
        }
    }
}

/// What one look at a worker found wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stall {
    /// Its CPU time stood still for this long.
    Idle(Duration),
    /// It used this much CPU time, more than its work can need.
    Spinning(Duration),
}

/// What the parent knows of one worker's progress: its CPU time at the last change, and when
/// that was.
#[derive(Debug, Clone, Copy)]
struct Progress {
    cpu: Option<Duration>,
    since: Instant,
}

impl Progress {
    fn new(now: Instant) -> Progress {
        Progress {
            cpu: None,
            since: now,
        }
    }

    /// Notes the worker's CPU time `cpu` at `now` (`None`: not known, or the process is gone)
    /// and says what is wrong, if anything.
    fn look(&mut self, now: Instant, cpu: Option<Duration>, watch: &Watch) -> Option<Stall> {
        let cpu = cpu?;
        if self.cpu != Some(cpu) {
            self.cpu = Some(cpu);
            self.since = now;
        }
        let idle = now.saturating_duration_since(self.since);
        if cpu > watch.cpu_allowance {
            Some(Stall::Spinning(cpu))
        } else if idle > watch.idle_allowance {
            Some(Stall::Idle(idle))
        } else {
            None
        }
    }
}

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

    /// Hands its children to `--live`, the i-th running task i, to be sampled until their
    /// run's slices come: for the runs that are measured, not for probes.
    pub(crate) fn show_live(&self) {
        for (task, child) in self.0.iter().enumerate() {
            crate::live_feed::child_started(child.id(), task);
        }
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
/// wrote on stdout once all have ended, watched as `watch` says. A child that fails is an
/// error quoting the first line of its stderr; children still running when this returns early
/// are killed, and every child is reaped.
pub(crate) fn run_children(
    exe: &Path,
    workers: &[WorkerCommand],
    watch: &Watch,
) -> anyhow::Result<Vec<String>> {
    let mut children = start_workers(exe, workers, false)?;
    children.show_live();
    collect(&mut children, watch)
}

/// Reads everything `children` write on stdout and stderr, reaps them, and returns their
/// stdouts in order; fails if one fails, or stops making progress as `watch` says.
pub(crate) fn collect(children: &mut Reaper, watch: &Watch) -> anyhow::Result<Vec<String>> {
    let deadline = Instant::now() + watch.fallback;
    let outputs = read_pipes(&mut children.0, deadline, watch)
        .map_err(|late| late.into_error(&children.0, watch.fallback))?;
    let mut stdouts = Vec::with_capacity(outputs.len());
    for (i, (child, (stdout, stderr))) in children.0.iter_mut().zip(outputs).enumerate() {
        // Its pipes are closed: it is ending, and has at most the idle allowance to do so.
        let by = Instant::now() + watch.idle_allowance;
        let Some(status) = reap_by(child, by).context("cannot wait for a worker process")? else {
            return Err(Late::Worker(i, None).into_error(&children.0, watch.fallback));
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
    /// Worker `i` stalled (or, where `None`, had not ended by the wall-clock deadline).
    Worker(usize, Option<Stall>),
    /// Reading or polling failed.
    Io(std::io::Error),
}

impl Late {
    /// The error for the run: `timeout` is the wall-clock deadline that stood in where the
    /// worker's progress could not be read.
    fn into_error(self, children: &[Child], timeout: Duration) -> anyhow::Error {
        let (i, stall) = match self {
            Late::Io(e) => return anyhow::Error::new(e).context("cannot read a worker's pipe"),
            Late::Worker(i, stall) => (i, stall),
        };
        let pid = children[i].id();
        let stopped = sys::process_stopped(pid) == Some(true);
        let ms =
            |d: Duration| humantime::format_duration(Duration::from_millis(d.as_millis() as u64));
        let (state, why) = match stall {
            Some(Stall::Idle(idle)) => (
                if stopped { "is stopped" } else { "is hung" },
                format!("it used no CPU time for {}", ms(idle)),
            ),
            Some(Stall::Spinning(cpu)) => (
                "is hung",
                format!(
                    "it used {} of CPU time, far more than its work needs, without finishing",
                    ms(cpu)
                ),
            ),
            None => (
                if stopped {
                    "is stopped"
                } else {
                    "is hung or far slower than expected"
                },
                format!("it did not finish within {}", ms(timeout)),
            ),
        };
        anyhow::Error::new(Stalled(format!(
            "worker process {} of {} (pid {pid}) {state}: {why}, so the run was abandoned and every worker killed",
            i + 1,
            children.len(),
        )))
    }
}

/// The error of a child that stopped making progress (stopped, hung, spinning), as against
/// one that ended and failed: a caller that starts a program of the user's own (`--python`)
/// tells a program that is not what it should be from one that hangs.
#[derive(Debug)]
pub(crate) struct Stalled(String);

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Stalled {}

/// Each child's whole stdout and stderr, read in one `poll` loop until every pipe is closed, or
/// a child still writing stalls as `watch` says (or, where its CPU time cannot be read,
/// `deadline` passes).
#[cfg(target_os = "linux")]
fn read_pipes(children: &mut [Child], deadline: Instant, watch: &Watch) -> Result<Outputs, Late> {
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
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let mut progress = vec![Progress::new(Instant::now()); children.len()];
    let mut next_look = Instant::now();
    while let Some(&(first, _, _)) = open.first() {
        let now = Instant::now();
        if now >= next_look {
            next_look = now + LOOK_EVERY;
            let mut watched = false;
            for &(child, _, _) in &open {
                let cpu = sys::process_cpu_time(pids[child]);
                watched |= cpu.is_some();
                if let Some(stall) = progress[child].look(now, cpu, watch) {
                    return Err(Late::Worker(child, Some(stall)));
                }
            }
            if !watched && now >= deadline {
                return Err(Late::Worker(first, None));
            }
        }
        let wait = PollTimeout::try_from(next_look.saturating_duration_since(now))
            .unwrap_or(PollTimeout::MAX);
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
fn read_pipes(children: &mut [Child], _deadline: Instant, _watch: &Watch) -> Result<Outputs, Late> {
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
    // The library's own unit tests run in a test binary that is not conpar: their workers are
    // the conpar binary built beside it (cargo builds it before it runs any test).
    #[cfg(test)]
    if let Some(built) = built_conpar() {
        return Ok(built);
    }
    let own = Path::new(SELF_EXE);
    if cfg!(target_os = "linux") && own.exists() {
        return Ok(own.to_path_buf());
    }
    std::env::current_exe().context("cannot find the conpar executable to start workers")
}

/// In the library's unit tests: the `conpar` binary of the same build (`target/<profile>/conpar`,
/// beside the `deps/` folder the test binary runs from), where it exists.
#[cfg(test)]
pub(crate) fn built_conpar() -> Option<PathBuf> {
    let test_binary = std::env::current_exe().ok()?;
    let built = test_binary.parent()?.parent()?.join("conpar");
    built.exists().then_some(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A watch for work of 100 ms that sleeps 50 ms at a time.
    fn watch() -> Watch {
        Watch::new(100 * MS, 2, 50 * MS)
    }

    #[test]
    fn a_worker_that_gets_a_sliver_of_a_busy_cpu_is_alive() {
        // 1 ms of CPU time every second, for a minute: far slower than any estimate, alive.
        let start = Instant::now();
        let mut progress = Progress::new(start);
        for second in 0..60u32 {
            let now = start + 1000 * MS * second;
            assert_eq!(progress.look(now, Some(MS * second), &watch()), None);
        }
    }

    #[test]
    fn a_worker_whose_cpu_time_stands_still_is_stopped_or_hung() {
        let start = Instant::now();
        let mut progress = Progress::new(start);
        let w = watch();
        assert_eq!(progress.look(start, Some(20 * MS), &w), None);
        // Within its own waits and the floor, standing still is waiting.
        let waiting = start + w.idle_allowance;
        assert_eq!(progress.look(waiting, Some(20 * MS), &w), None);
        let later = waiting + MS;
        assert_eq!(
            progress.look(later, Some(20 * MS), &w),
            Some(Stall::Idle(w.idle_allowance + MS))
        );
        assert!(w.idle_allowance >= IDLE_FLOOR + 50 * MS);
    }

    #[test]
    fn a_worker_that_spins_without_finishing_is_hung() {
        let start = Instant::now();
        let mut progress = Progress::new(start);
        let w = watch();
        let beyond = w.cpu_allowance + MS;
        assert_eq!(
            progress.look(start, Some(beyond), &w),
            Some(Stall::Spinning(beyond))
        );
        assert!(w.cpu_allowance >= WORKER_TIMEOUT_FLOOR + 5 * 100 * MS);
    }

    #[test]
    fn where_cpu_time_is_unknown_nothing_is_judged() {
        let start = Instant::now();
        let mut progress = Progress::new(start);
        let much_later = start + 3600 * 1000 * MS;
        assert_eq!(progress.look(much_later, None, &watch()), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_stall_is_one_line_naming_the_worker_and_what_it_did() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let children = vec![child];
        let idle = Late::Worker(0, Some(Stall::Idle(3 * 1000 * MS))).into_error(&children, MS);
        let spin = Late::Worker(0, Some(Stall::Spinning(12 * 1000 * MS))).into_error(&children, MS);
        child = children.into_iter().next().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        let idle = idle.to_string();
        assert!(idle.starts_with("worker process 1 of 1 (pid "), "{idle}");
        assert!(
            idle.contains("is hung: it used no CPU time for 3s"),
            "{idle}"
        );
        let spin = spin.to_string();
        assert!(spin.contains("is hung: it used 12s of CPU time"), "{spin}");
        assert!(!idle.contains('\n') && !spin.contains('\n'));
    }
}
