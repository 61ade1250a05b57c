//! The findings of one mode's representative run beyond the common ones: the lock's hand-offs
//! and each thread under it, and the I/O requests' latency.

use super::{
    Duration, GilDetail, GilFindings, GilKind, GilMeasured, GilPlan, GilThread, IoColumns,
    IoDetail, Request, Variant, WorkloadKind, percentile, round,
};

/// Latency figures of a set of I/O requests.
#[derive(Debug, Clone, PartialEq)]
struct IoFigures {
    pub(super) requests: usize,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) requests_per_s: f64,
}

impl IoFigures {
    fn of(requests: &[&Request]) -> Option<IoFigures> {
        let mut latencies: Vec<f64> = requests
            .iter()
            .map(|r| r.latency().as_secs_f64() * 1e3)
            .collect();
        latencies.sort_by(f64::total_cmp);
        let first = requests.iter().map(|r| r.start).min()?;
        let last = requests.iter().map(|r| r.end).max()?;
        let span = last.saturating_sub(first).as_secs_f64();
        Some(IoFigures {
            requests: requests.len(),
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
            requests_per_s: if span > 0.0 {
                requests.len() as f64 / span
            } else {
                0.0
            },
        })
    }
}

/// The findings of one mode's representative run, scalar columns first, then the JSON-only
/// objects: the lock's hand-offs and each thread under it, and the I/O requests' latency
/// (for `mixed`, of the requests made beside CPU-bound work, except sequential's, whose I/O
/// thread runs alone).
pub(super) fn findings(m: &GilMeasured, plan: &GilPlan, workload: WorkloadKind) -> GilFindings {
    let run = m.representative();
    let io_beside_cpu_work = workload == WorkloadKind::Mixed && m.variant.is_some();
    // `None` for the `cpu` workload; `Some(None)` where no request ran beside CPU work.
    let io: Option<Option<IoFigures>> = match workload {
        WorkloadKind::Cpu => None,
        _ if !io_beside_cpu_work => Some(IoFigures::of(&run.requests.iter().collect::<Vec<_>>())),
        _ => {
            let cpu_end = run.cpu_work_end(plan).unwrap_or_default();
            let beside: Vec<&Request> = run.requests.iter().filter(|r| r.end <= cpu_end).collect();
            Some(IoFigures::of(&beside))
        }
    };
    let handoffs_per_s = run.handoffs_per_s();
    let io_columns = io.as_ref().map(|io| IoColumns {
        p50_ms: io.as_ref().map(|io| round(io.p50_ms, 3)),
        p99_ms: io.as_ref().map(|io| round(io.p99_ms, 3)),
        requests_per_s: io.as_ref().map(|io| io.requests_per_s.round() as u64),
    });
    let kind = match m.variant {
        Some(Variant::Threads(kind)) => kind,
        // Sequential runs one thread, processes one per child: each under its own new GIL.
        None | Some(Variant::Processes) => GilKind::New,
    };
    let threads = run
        .threads
        .iter()
        .enumerate()
        .map(|(i, stats)| {
            let ran: Duration = run
                .run
                .slices
                .iter()
                .filter(|s| s.worker() == i)
                .map(|s| s.end().saturating_sub(s.start()))
                .sum();
            GilThread {
                thread: i,
                run_ms: round(ran.as_secs_f64() * 1e3, 3),
                stats: stats.clone(),
            }
        })
        .collect();
    let gil = GilDetail {
        kind,
        locks: if m.variant == Some(Variant::Processes) {
            run.threads.len()
        } else {
            1
        },
        switch_interval_ms: plan.lock.switch_interval.as_secs_f64() * 1e3,
        check_interval: plan.lock.check_interval,
        step_units: plan.step_units,
        step_us: step_us(plan),
        interval_handoffs_per_s: round(1.0 / plan.lock.switch_interval.as_secs_f64(), 1),
        handoffs: run.lock.handoffs,
        handoffs_per_s: round(handoffs_per_s, 1),
        handoff_latency_us: run
            .lock
            .handoff_latency
            .map(|d| round(d.as_secs_f64() * 1e6, 1)),
        drop_requests: total(run, |t| t.drop_requests),
        forced_switches: total(run, |t| t.forced_switches),
        futile_wakeups: total(run, |t| t.futile_wakeups),
        threads,
    };
    let io = io.as_ref().map(|io| {
        let io_task = plan.tasks.iter().find(|t| t.io_wait.is_some());
        IoDetail {
            wait_ms: io_task
                .and_then(|t| t.io_wait)
                .map(|w| w.as_secs_f64() * 1e3),
            requests_per_task: io_task.map(|t| t.requests(plan.step_units)),
            measured_requests: io.as_ref().map_or(0, |io| io.requests),
            beside_cpu_work: io_beside_cpu_work,
            p50_ms: io.as_ref().map(|io| round(io.p50_ms, 3)),
            p99_ms: io.as_ref().map(|io| round(io.p99_ms, 3)),
            requests_per_s: io.as_ref().map(|io| round(io.requests_per_s, 1)),
        }
    });
    GilFindings {
        handoffs_per_s: handoffs_per_s.round() as u64,
        io_columns,
        gil,
        io,
    }
}

fn total(run: &super::GilRun, f: fn(&crate::gil::ThreadStats) -> u64) -> u64 {
    run.threads.iter().map(f).sum()
}

/// About how long one step of `plan` takes here, in µs (as the JSON keeps it).
pub(super) fn step_us(plan: &GilPlan) -> f64 {
    round(plan.step_units as f64 * plan.unit_ns / 1e3, 2)
}
