//! `--trace FILE`: the measured slices as Chrome Trace Event JSON, for Perfetto
//! (ui.perfetto.dev) and chrome://tracing.
//!
//! One trace process per mode, one track (trace thread) per worker of that mode: a worker runs
//! one thing at a time, so the complete events ("ph": "X", microseconds) on a track never
//! overlap. Names come as metadata events. In `gil-sim` the slices are lock holds, so a counter
//! track follows who held the lock.

use super::Report;
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub fn render(report: &Report) -> String {
    render_all(&[report])
}

/// The slices of several reports (the tour's) in one trace, one trace process per mode.
pub fn render_all(reports: &[&Report]) -> String {
    let mut events: Vec<Value> = Vec::new();
    let runs = reports
        .iter()
        .flat_map(|report| report.timeline.runs.iter().map(move |run| (*report, run)));
    for (index, (report, run)) in runs.enumerate() {
        let pid = index + 1;
        events.push(json!({
            "name": "process_name", "ph": "M", "pid": pid, "tid": 0,
            "args": { "name": format!("conpar {}: {}", report.demo, run.mode) }
        }));
        events.push(json!({
            "name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
            "args": { "sort_index": pid }
        }));
        let slices: Vec<_> = report
            .timeline
            .slices
            .iter()
            .filter(|s| s.mode == run.mode)
            .collect();
        let workers: BTreeSet<usize> = slices.iter().map(|s| s.worker).collect();
        for worker in &workers {
            events.push(json!({
                "name": "thread_name", "ph": "M", "pid": pid, "tid": worker + 1,
                "args": { "name": format!("worker {worker}") }
            }));
        }
        for s in &slices {
            let mut args = json!({ "task": s.task, "lane": s.lane });
            if let Some(cpu) = s.cpu {
                args["cpu"] = json!(cpu);
            }
            events.push(json!({
                "name": format!("task {}", s.task),
                "cat": run.mode,
                "ph": "X",
                "pid": pid,
                "tid": s.worker + 1,
                "ts": s.start_us,
                "dur": (s.end_us - s.start_us).max(0.0),
                "args": args,
            }));
            if report.demo == "gil-sim" {
                for (ts, holder) in [(s.start_us, s.worker as i64), (s.end_us, -1)] {
                    events.push(json!({
                        "name": "lock holder", "ph": "C", "pid": pid, "tid": 0, "ts": ts,
                        "args": { "thread": holder }
                    }));
                }
            }
        }
    }
    let trace = json!({ "traceEvents": events, "displayTimeUnit": "ms" });
    let mut text = serde_json::to_string(&trace).expect("a trace always serialises");
    text.push('\n');
    text
}
