//! `--trace FILE`: the measured slices as Chrome Trace Event JSON, for Perfetto
//! (ui.perfetto.dev) and <chrome://tracing>.
//!
//! One trace process per mode, one track (trace thread) per worker of that mode: a worker runs
//! one thing at a time, so the complete events ("ph": "X", microseconds) on a track never
//! overlap. Names come as metadata events. In `gil-sim` the slices are lock holds, so a counter
//! track follows who held the lock.
//!
//! The trace keeps full resolution (every slice as recorded, never the merged JSON timeline)
//! and is written event by event ([`write_all`]) rather than built in memory, so a run of a
//! million slices costs the file, not a million JSON values.

use crate::model::{Report, SliceView};
use serde_json::json;
use std::collections::BTreeSet;
use std::io::{self, Write};

#[cfg(test)]
pub(crate) fn render(report: &Report) -> String {
    render_all(&[report])
}

/// The slices of several reports (the tour's) in one trace, one trace process per mode.
#[cfg(test)]
pub(crate) fn render_all(reports: &[&Report]) -> String {
    let mut bytes = Vec::new();
    write_all(reports, &mut bytes).expect("writing to memory");
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

/// Writes the trace of `reports` to `out`, one event at a time.
pub(crate) fn write_all(reports: &[&Report], out: &mut dyn Write) -> io::Result<()> {
    let mut events = Events { out, first: true };
    events.out.write_all(b"{\"traceEvents\":[")?;
    let runs = reports
        .iter()
        .flat_map(|report| report.timeline.runs.iter().map(move |run| (*report, run)));
    for (index, (report, run)) in runs.enumerate() {
        let pid = index + 1;
        events.value(&json!({
            "name": "process_name", "ph": "M", "pid": pid, "tid": 0,
            "args": { "name": format!("conpar {}: {}", report.demo, run.mode) }
        }))?;
        events.value(&json!({
            "name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
            "args": { "sort_index": pid }
        }))?;
        let slices = || report.timeline.views(&run.mode);
        let workers: BTreeSet<usize> = slices().map(|s| s.worker).collect();
        for worker in &workers {
            events.value(&json!({
                "name": "thread_name", "ph": "M", "pid": pid, "tid": worker + 1,
                "args": { "name": format!("worker {worker}") }
            }))?;
        }
        let category = serde_json::to_string(&run.mode).expect("a string serialises");
        let lock = report.demo == crate::model::Demo::GilSim;
        for s in slices() {
            events.slice(pid, &category, &s)?;
            if lock {
                for (ts, holder) in [
                    (s.start_us, i64::try_from(s.worker).unwrap_or(i64::MAX)),
                    (s.end_us, -1),
                ] {
                    events.raw(format_args!(
                        r#"{{"name":"lock holder","ph":"C","pid":{pid},"tid":0,"ts":{ts},"args":{{"thread":{holder}}}}}"#
                    ))?;
                }
            }
        }
    }
    events.out.write_all(b"],\"displayTimeUnit\":\"ms\"}\n")
}

/// The events array being written: commas between events.
struct Events<'a> {
    out: &'a mut dyn Write,
    first: bool,
}

impl Events<'_> {
    fn separate(&mut self) -> io::Result<()> {
        if !std::mem::take(&mut self.first) {
            self.out.write_all(b",")?;
        }
        Ok(())
    }

    fn value(&mut self, event: &serde_json::Value) -> io::Result<()> {
        self.separate()?;
        serde_json::to_writer(&mut *self.out, event).map_err(io::Error::other)
    }

    fn raw(&mut self, event: std::fmt::Arguments<'_>) -> io::Result<()> {
        self.separate()?;
        self.out.write_fmt(event)
    }

    /// A complete event for one slice. Numbers print as plain decimals (Rust never uses an
    /// exponent for `f64`), the lane is ASCII and the category was escaped once.
    fn slice(&mut self, pid: usize, category: &str, s: &SliceView<'_>) -> io::Result<()> {
        let (task, tid, ts) = (s.task, s.worker + 1, s.start_us);
        let dur = (s.end_us - s.start_us).max(0.0);
        let lane = serde_json::to_string(&s.lane.label()).expect("a string serialises");
        let cpu = s.cpu.map_or_else(String::new, |c| format!(",\"cpu\":{c}"));
        self.raw(format_args!(
            r#"{{"name":"task {task}","cat":{category},"ph":"X","pid":{pid},"tid":{tid},"ts":{ts},"dur":{dur},"args":{{"task":{task},"lane":{lane}{cpu}}}}}"#
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LaneKind, Recorded, Timeline, TimelineRun};
    use crate::trace::Slice;

    #[test]
    fn the_streamed_trace_is_json_with_every_recorded_slice() {
        let mut timeline = Timeline::default();
        let slices: Vec<Slice> = (0..5000u64)
            .map(|i| Slice::from_ns(0, (i % 2) as usize, Some(3), i * 1500, i * 1500 + 1000))
            .collect();
        timeline.add(
            TimelineRun {
                mode: "gr\"een".into(),
                run: 0,
                wall_us: 7500.0,
            },
            Recorded {
                mode: "gr\"een".into(),
                lanes: LaneKind::Cpu,
                slices,
            },
        );
        // The JSON timeline is merged; the trace is not.
        assert!(timeline.slices.len() < 5000);
        let report = crate::report::scale_tests::report_with(timeline);
        let trace: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        let events = trace["traceEvents"].as_array().unwrap();
        let complete: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(complete.len(), 5000);
        assert_eq!(complete[1]["ts"], 1.5);
        assert_eq!(complete[1]["dur"], 1.0);
        assert_eq!(complete[1]["args"]["cpu"], 3);
        assert_eq!(complete[1]["args"]["lane"], "cpu3");
        assert_eq!(complete[1]["cat"], "gr\"een");
    }
}
