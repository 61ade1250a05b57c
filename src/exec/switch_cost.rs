//! What one switch between two tasks on one CPU costs: green tasks, OS threads, processes.
//!
//! Two tasks take turns on one CPU, `rounds` times each, and the elapsed time is divided by
//! the number of switches. Green tasks yield to each other through the scheduler; OS threads
//! and processes, pinned to the same CPU, call `sched_yield`, which hands the CPU to the other
//! runnable one, so every call is a trip through the kernel's scheduler and a switch of
//! register state (and, between processes, of address space). Both sides start together: the
//! threads at a [`Gate`] (called off if the second thread cannot be created), the processes
//! when the parent writes one byte to each.

use super::spawn::{self, Gate};
use super::worker::{self, WorkerCommand, YieldWorkerArgs};
use crate::green::{Scheduler, yield_now};
use crate::sys;
use anyhow::{Context, bail};
use serde::Serialize;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Nanoseconds per switch, for each way of switching that could be measured here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub(crate) struct SwitchCosts {
    pub(crate) green: f64,
    pub(crate) threads: Option<f64>,
    pub(crate) processes: Option<f64>,
}

/// One green switch: two tasks yielding to each other `rounds` times each.
pub fn green(rounds: u64) -> f64 {
    let mut scheduler: Scheduler<'_, ()> = Scheduler::new();
    for _ in 0..2 {
        scheduler.spawn(async move {
            for _ in 0..rounds {
                yield_now().await;
            }
        });
    }
    let start = Instant::now();
    let (_, stats) = scheduler.run();
    start.elapsed().as_nanos() as f64 / stats.switches.max(1) as f64
}

/// One OS-thread switch: two threads pinned to `cpu` yielding `rounds` times each.
pub fn threads(cpu: usize, rounds: u64) -> anyhow::Result<f64> {
    let gate = Gate::new(2);
    let spans = spawn::on_threads(
        "yielding threads",
        2,
        || gate.cancel(),
        |_| -> anyhow::Result<(Instant, Instant)> {
            // A thread that cannot pin still checks in, so that the other is not left waiting.
            let pinned = sys::pin_current_thread(cpu);
            if !gate.wait() {
                bail!("the other yielding thread could not be created");
            }
            pinned?;
            let start = Instant::now();
            for _ in 0..rounds {
                std::thread::yield_now();
            }
            Ok((start, Instant::now()))
        },
    )?;
    let spans = spans.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let start = spans.iter().map(|s| s.0).min().expect("two spans");
    let end = spans.iter().map(|s| s.1).max().expect("two spans");
    Ok((end - start).as_nanos() as f64 / (2 * rounds) as f64)
}

/// The body of the hidden `yield-worker` subcommand: pin, wait for the go byte on stdin,
/// yield `rounds` times, print `span <start_ns> <end_ns>` on the monotonic clock.
pub(crate) fn yield_worker(cpu: usize, rounds: u64, out: &mut impl Write) -> anyhow::Result<()> {
    sys::pin_current_thread(cpu)?;
    let mut go = [0u8; 1];
    std::io::stdin().read_exact(&mut go)?;
    let start = sys::monotonic_ns().context("no monotonic clock")?;
    for _ in 0..rounds {
        std::thread::yield_now();
    }
    let end = sys::monotonic_ns().context("no monotonic clock")?;
    writeln!(out, "{}", worker::span_line(start, end))?;
    Ok(())
}

/// About what one yield costs at most here, for the workers' deadline: a few microseconds.
const YIELD_ALLOWANCE: Duration = Duration::from_micros(20);

/// One process switch: two child processes of `exe` pinned to `cpu` yielding `rounds` times.
pub(crate) fn processes(exe: &Path, cpu: usize, rounds: u64) -> anyhow::Result<f64> {
    let yielder = WorkerCommand::YieldWorker(YieldWorkerArgs {
        cpu: cpu as u64,
        rounds,
        parent: None,
    });
    let mut workers = super::children::start_workers(exe, &[yielder.clone(), yielder], true)?;
    // Both children are started and blocked on stdin: one byte each sets them off together.
    for stdin in workers.0.iter_mut().map(|c| c.stdin.take()) {
        stdin
            .context("piped stdin")?
            .write_all(b"g")
            .context("cannot start a yield worker")?;
    }
    let expected = YIELD_ALLOWANCE.saturating_mul(u32::try_from(2 * rounds).unwrap_or(u32::MAX));
    let outputs =
        super::children::collect(&mut workers, super::children::worker_timeout(expected, 2))?;
    let spans = outputs
        .iter()
        .map(|output| worker::parse_span(output))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let start = spans.iter().map(|s| s.0).min().expect("two spans");
    let end = spans.iter().map(|s| s.1).max().expect("two spans");
    Ok(end.saturating_sub(start) as f64 / (2 * rounds) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_green_switch_is_measured() {
        let ns = green(10_000);
        assert!(ns > 0.0 && ns.is_finite());
    }

    #[test]
    fn a_thread_switch_is_measured_where_pinning_works() {
        if let Some(cpu) = sys::affinity().and_then(|a| a.first().copied()) {
            let ns = threads(cpu, 1000).unwrap();
            assert!(ns > 0.0 && ns.is_finite());
        }
    }
}
