//! The few OS calls the tool makes: the affinity mask, pinning a thread, the CPU a thread is
//! on, context-switch and CPU-time counters, the monotonic clock, a worker's tie to its parent,
//! ignored signals, the memory limit, and whether a process is stopped.
//!
//! One set of functions for every caller, with no `cfg` in sight: each is written twice, for
//! Linux (`linux.rs`) and for every other platform (`other.rs`, which says plainly what it
//! cannot do), and the one for the target is picked here. The wrappers add what both share:
//! the [`ContextSwitches`] type and the error messages.

use serde::Serialize;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(not(target_os = "linux"))]
mod other;

#[cfg(target_os = "linux")]
use linux as platform;
#[cfg(not(target_os = "linux"))]
use other as platform;

/// The CPUs this process may run on (its affinity mask), or `None` where the OS does not say.
pub fn affinity() -> Option<Vec<usize>> {
    platform::affinity()
}

/// Pins the calling thread to `cpu`. Fails where the OS refuses or cannot pin.
pub(crate) fn pin_current_thread(cpu: usize) -> anyhow::Result<()> {
    platform::pin_current_thread(cpu)
        .map_err(|e| anyhow::anyhow!("cannot pin thread to CPU {cpu}: {e}"))
}

/// The CPU the calling thread runs on right now (`sched_getcpu`), where the OS tells.
pub(crate) fn current_cpu() -> Option<usize> {
    platform::current_cpu()
}

/// Context switches counted by the OS: voluntary (the thread blocked or yielded) and
/// involuntary (the scheduler preempted it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct ContextSwitches {
    pub(crate) voluntary: u64,
    pub(crate) involuntary: u64,
}

impl ContextSwitches {
    pub(crate) fn total(&self) -> u64 {
        self.voluntary + self.involuntary
    }

    /// The switches since `earlier`.
    #[must_use]
    pub(crate) fn since(&self, earlier: ContextSwitches) -> ContextSwitches {
        ContextSwitches {
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }
}

impl std::ops::Add for ContextSwitches {
    type Output = ContextSwitches;
    fn add(self, other: ContextSwitches) -> ContextSwitches {
        ContextSwitches {
            voluntary: self.voluntary + other.voluntary,
            involuntary: self.involuntary + other.involuntary,
        }
    }
}

/// This thread's context switches so far, from `getrusage(RUSAGE_THREAD)`.
pub(crate) fn thread_context_switches() -> Option<ContextSwitches> {
    platform::thread_context_switches().map(|(voluntary, involuntary)| ContextSwitches {
        voluntary,
        involuntary,
    })
}

/// This process's context switches so far (all its threads), from `getrusage(RUSAGE_SELF)`.
pub(crate) fn process_context_switches() -> Option<ContextSwitches> {
    platform::process_context_switches().map(|(voluntary, involuntary)| ContextSwitches {
        voluntary,
        involuntary,
    })
}

/// CPU time (user + system) used so far by this process and by its reaped children.
pub(crate) fn cpu_time() -> Option<std::time::Duration> {
    platform::cpu_time()
}

/// The calling thread's CPU time so far (user and system), from `getrusage(RUSAGE_THREAD)`.
pub(crate) fn thread_cpu_time() -> Option<std::time::Duration> {
    platform::thread_cpu_time()
}

/// The unit `/proc/stat` counts CPU time in (`USER_HZ`), where the OS tells.
pub(crate) fn clock_tick() -> Option<std::time::Duration> {
    platform::clock_tick()
}

/// The system-wide monotonic clock (`CLOCK_MONOTONIC`) in ns, comparable across processes,
/// where the OS offers one.
pub(crate) fn monotonic_ns() -> Option<u64> {
    platform::monotonic_ns()
}

/// Ties a worker process to the `conpar` that started it (pid `parent`, where known), as its
/// first act: asks the OS to kill it when the parent dies, even when that one is killed
/// outright (`PR_SET_PDEATHSIG`); fails if the parent is already gone, as the request would
/// then never fire; and blocks SIGINT, SIGTERM and SIGHUP, which the parent handles for all
/// its workers (it kills them). Only on Linux; a no-op elsewhere.
pub(crate) fn die_with_parent(parent: Option<u32>) -> anyhow::Result<()> {
    platform::die_with_parent(parent)
}

/// Was `signal` ignored (`SIG_IGN`) by this process, as inherited from whoever started it
/// (`nohup`, `trap '' HUP`)? Asked before any handler is installed. `false` where unknown.
pub(crate) fn signal_ignored(signal: i32) -> bool {
    platform::signal_ignored(signal)
}

/// Bytes this process may still map before it reaches its memory limit (`ulimit -v`, or
/// `ulimit -d`), or `None` where it has none (the usual case) or the OS does not tell.
pub(crate) fn memory_room() -> Option<u64> {
    platform::memory_room()
}

/// Is process `pid` stopped (SIGSTOP, or traced)? `None` where it cannot be told.
pub(crate) fn process_stopped(pid: u32) -> Option<bool> {
    platform::process_stopped(pid)
}

/// CPU time process `pid`'s threads have used so far, where the OS tells: what shows that a
/// worker is making progress, however little of a CPU it gets. A thread that ends takes its
/// time with it, so the figure can fall: any change is progress.
pub(crate) fn process_cpu_time(pid: u32) -> Option<std::time::Duration> {
    platform::process_cpu_time(pid)
}

/// The CPU process `pid` last ran on (`/proc/PID/stat`'s `processor`), where the OS tells.
pub(crate) fn process_last_cpu(pid: u32) -> Option<usize> {
    platform::process_last_cpu(pid)
}

// Only on Linux, the one platform where these calls ask the OS.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_seen_running_and_rust_ignores_sigpipe() {
        assert_eq!(process_stopped(std::process::id()), Some(false));
        assert!(signal_ignored(13), "the Rust runtime ignores SIGPIPE");
    }

    /// A thread that has ended keeps its CPU time in its process's: the count never goes
    /// backwards (it did while it summed the threads still there, by the ended thread's time).
    #[test]
    fn a_process_keeps_the_cpu_time_of_its_ended_threads() {
        let me = std::process::id();
        let (used, before_end) = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            let mut x = 0u64;
            while start.elapsed() < std::time::Duration::from_millis(30) {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            let used = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
                .map(std::time::Duration::from)
                .expect("the thread's own CPU time");
            (used, process_cpu_time(me).expect("this process's CPU time"))
        })
        .join()
        .expect("the thread ends");
        let after = process_cpu_time(me).expect("this process's CPU time");
        assert!(
            after >= before_end,
            "the process's CPU time fell from {before_end:?} to {after:?} when a thread that used {used:?} ended"
        );
    }

    /// Another process's CPU time, and the CPU it last ran on, can be read, as the watch on
    /// worker processes and `--live` read their children's: a child pinned to the mask's last
    /// CPU is seen there (a misread field would say 0).
    #[test]
    fn a_child_process_cpu_time_and_cpu_are_read() {
        let last = crate::sys::affinity()
            .and_then(|m| m.last().copied())
            .unwrap_or(0);
        let Ok(mut child) = std::process::Command::new("taskset")
            .args(["-c", &last.to_string(), "sh", "-c", "while :; do :; done"])
            .spawn()
        else {
            eprintln!("skipped: no taskset to pin a child with");
            return;
        };
        let pid = child.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut used = process_cpu_time(pid);
        let mut ran_on = process_last_cpu(pid);
        while (used.is_some_and(|t| t.is_zero()) || ran_on != Some(last))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
            used = process_cpu_time(pid);
            ran_on = process_last_cpu(pid);
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(used.is_some_and(|t| !t.is_zero()), "{used:?}");
        assert_eq!(ran_on, Some(last), "the child was pinned to cpu{last}");
    }

    #[test]
    fn a_process_cpu_time_grows_while_it_computes() {
        let me = std::process::id();
        let before = process_cpu_time(me).expect("this process's CPU time");
        let start = std::time::Instant::now();
        let mut x = 0u64;
        // Past a clock tick, so that even the tick-counted fallback moves.
        while start.elapsed() < std::time::Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(process_cpu_time(me).unwrap() > before);
        assert_eq!(process_cpu_time(u32::MAX), None, "no such process");
        assert_eq!(process_cpu_time(0), None, "0 names no process");
        let cpu = process_last_cpu(me).expect("the CPU this process last ran on");
        assert!(
            crate::sys::affinity().is_none_or(|m| m.contains(&cpu)),
            "{cpu}"
        );
    }
}
