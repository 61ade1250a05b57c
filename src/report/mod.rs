//! The report model every demo fills and every renderer reads.
//!
//! A demo returns a [`Report`]; renderers turn it into text and never measure or compute
//! results. Everything a person sees on stdout can be rebuilt from the `Report` alone, which
//! is why `--format json` carries every figure the table shows. The JSON shape (schema 1) is
//! documented in the README and shared by every demo: demos add fields beside the common ones
//! (their typed [`crate::findings`] in each [`ModeResult`], and the sweep's objects in the
//! [`Report`]), never instead of them.

pub(crate) mod chrome;
pub(crate) mod csv;
pub mod html;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod plot;
#[cfg(test)]
mod scale_tests;
pub(crate) mod table;
pub(crate) mod timeline;
pub(crate) mod tour;

use crate::amdahl::AmdahlReport;
use crate::claims::Claim;
use crate::cpu_choice::CpuChoice;
use crate::findings::Findings;
use crate::interference::{Interference, ModeInterference};
use crate::maxprocs::MaxprocsReport;
use crate::stats::Summary;
use crate::sys::Machine;
use crate::trace::Slice;
use crate::workload::Workload;
use serde::Serialize;
use serde_json::{Map, Value};

/// The version of the JSON shape; bumped on any incompatible change.
pub const SCHEMA: u32 = 1;

/// Everything one demo measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: u32,
    /// The subcommand that made it.
    pub demo: String,
    pub machine: Machine,
    /// The work every mode ran (absent for `info`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadReport>,
    /// The one CPU the work ran on and why (`interleave`, `race --one-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_choice: Option<CpuChoice>,
    /// One entry per way of running the work.
    pub results: Vec<ModeResult>,
    /// The worker limit and where it came from (`parallel`, `maxprocs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxprocs: Option<MaxprocsReport>,
    /// The speedup curve and its Amdahl fit (`maxprocs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amdahl: Option<AmdahlReport>,
    pub timeline: Timeline,
    /// What other programs and the hypervisor took from the CPUs while the figures were
    /// measured, and whether the run is fit to be believed.
    pub interference: Interference,
    /// Every conclusion drawn from the figures, each judged on them (see [`crate::claims`]).
    pub claims: Vec<Claim>,
    /// Plain sentences about what the figures mean on this machine.
    pub notes: Vec<String>,
}

/// The workload, with the repeat settings that produced the samples.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadReport {
    #[serde(flatten)]
    pub(crate) workload: Workload,
    pub(crate) runs: usize,
    pub(crate) warmup: usize,
    /// The combined checksum of all tasks run one after another (hexadecimal).
    pub(crate) expected_checksum: String,
}

impl WorkloadReport {
    /// The workload as run `repeats` times, with the checksum every mode must reproduce.
    pub(crate) fn new(
        workload: Workload,
        repeats: crate::engine::Repeats,
        expected: u64,
    ) -> WorkloadReport {
        WorkloadReport {
            workload,
            runs: repeats.runs,
            warmup: repeats.warmup,
            expected_checksum: format!("{expected:016x}"),
        }
    }
}

/// What one mode cost.
#[derive(Debug, Clone, Serialize)]
pub struct ModeResult {
    pub mode: String,
    /// What the mode ran on: threads, processes or pool workers (maxprocs' P). Named
    /// `threads` in the JSON and the table, where it has always been.
    #[serde(rename = "threads")]
    pub workers: usize,
    /// Every CPU any of its slices ran on, over all runs.
    pub cpus_used: Vec<usize>,
    pub wall_ms: Summary,
    /// The baseline's median wall time over this mode's.
    pub speedup: f64,
    /// The lowest and highest speedup of a single round (this mode's run over the baseline's
    /// run of the same round): how sure the speedup is.
    pub speedup_interval: [f64; 2],
    /// `speedup / threads`.
    pub efficiency: f64,
    /// Did every run reproduce the sequential checksum?
    pub checksum_ok: bool,
    /// What other programs and the hypervisor took from the CPUs during this mode's runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interference: Option<ModeInterference>,
    /// The demo's own figures, rendered as extra columns in order; fields whose value is an
    /// object are too big for a cell and appear in the JSON only.
    #[serde(flatten)]
    pub findings: Findings,
}

#[cfg(test)]
impl ModeResult {
    /// A synthetic row for tests: `mode` on `threads` took `walls` ms per run against a
    /// baseline whose median took `baseline_ms`, on `cpus`; its single-round speedups are
    /// the baseline over its slowest and fastest run.
    pub(crate) fn against(
        mode: &str,
        threads: usize,
        walls: &[f64],
        baseline_ms: f64,
        cpus: Vec<usize>,
    ) -> ModeResult {
        let wall_ms = Summary::of(walls).expect("a wall time");
        let speedup = baseline_ms / wall_ms.median;
        ModeResult {
            mode: mode.into(),
            workers: threads,
            cpus_used: cpus,
            speedup,
            speedup_interval: [baseline_ms / wall_ms.max, baseline_ms / wall_ms.min],
            efficiency: speedup / threads as f64,
            checksum_ok: true,
            interference: None,
            wall_ms,
            findings: Findings::None,
        }
    }

    /// A synthetic row for tests of claims: `mode` on 2 threads took `wall` ms per run against
    /// a baseline of 100 ms, with `interval` as its per-round speedups, on `cpus`.
    pub(crate) fn synthetic(
        mode: &str,
        wall: &[f64],
        interval: [f64; 2],
        cpus: Vec<usize>,
    ) -> ModeResult {
        ModeResult {
            speedup_interval: interval,
            ..ModeResult::against(mode, 2, wall, 100.0, cpus)
        }
    }
}

/// Measured slices of one representative run (the one closest to the median) of each mode.
///
/// The runs' slices are kept as recorded ([`Recorded`], 32 bytes a slice, not serialised): the
/// ASCII timeline, `--trace` and `--timeline-full` read them at full resolution. `slices` is
/// what the JSON shows: by default merged to a resolution ([`crate::trace::coarsen`]) that
/// keeps every lane to at most [`LANE_SLICES`] slices, and `merged_to_us` says which.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timeline {
    pub(crate) runs: Vec<TimelineRun>,
    pub(crate) slices: Vec<SliceReport>,
    /// The resolution in µs `slices` were merged at: `None` (null) where every slice is as
    /// measured. Merged slices keep each task's time per stretch of that length.
    pub(crate) merged_to_us: Option<f64>,
    /// The drawn runs' slices as recorded, one entry per run.
    #[serde(skip)]
    pub(crate) recorded: Vec<Recorded>,
    /// Does `slices` hold every recorded slice (`--timeline-full`)?
    #[serde(skip)]
    pub(crate) full: bool,
}

/// Most slices one lane of the JSON timeline holds by default.
pub(crate) const LANE_SLICES: usize = 2000;

/// One drawn run's slices as recorded.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub mode: String,
    /// What a lane of this run stands for.
    pub lanes: LaneKind,
    pub slices: Vec<Slice>,
}

/// What the lanes of a run are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneKind {
    /// The CPU a slice ran on ("cpu1"), or its thread where the OS did not tell ("thread0").
    Cpu,
    /// The worker thread ("thread0"): for demos whose slices are lock holds (gil-sim).
    Thread,
    /// The worker process ("process0").
    Process,
}

/// The lane a slice is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Lane<'a> {
    Cpu(usize),
    Thread(usize),
    Process(usize),
    /// A lane given by name (a timeline built from [`SliceReport`]s alone).
    Named(&'a str),
}

impl Lane<'_> {
    pub(crate) fn of(kind: LaneKind, s: &Slice) -> Lane<'static> {
        match (kind, s.cpu()) {
            (LaneKind::Cpu, Some(cpu)) => Lane::Cpu(cpu),
            (LaneKind::Cpu | LaneKind::Thread, _) => Lane::Thread(s.worker()),
            (LaneKind::Process, _) => Lane::Process(s.worker()),
        }
    }

    pub(crate) fn label(&self) -> String {
        match self {
            Lane::Cpu(n) => format!("cpu{n}"),
            Lane::Thread(n) => format!("thread{n}"),
            Lane::Process(n) => format!("process{n}"),
            Lane::Named(name) => name.to_string(),
        }
    }

    /// Its number, for ordering lanes ("cpu12" after "cpu3").
    pub(crate) fn number(&self) -> usize {
        match self {
            Lane::Cpu(n) | Lane::Thread(n) | Lane::Process(n) => *n,
            Lane::Named(name) => name
                .trim_start_matches(|c: char| c.is_alphabetic())
                .parse()
                .unwrap_or(usize::MAX),
        }
    }

    /// Does it stand for a CPU?
    pub(crate) fn is_cpu(&self) -> bool {
        match self {
            Lane::Cpu(_) => true,
            Lane::Named(name) => name.starts_with("cpu"),
            _ => false,
        }
    }
}

/// One slice as a renderer reads it, at full resolution, without building strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SliceView<'a> {
    pub(crate) lane: Lane<'a>,
    pub(crate) task: usize,
    pub(crate) worker: usize,
    pub(crate) cpu: Option<usize>,
    pub(crate) start_us: f64,
    pub(crate) end_us: f64,
}

impl SliceView<'_> {
    fn of(kind: LaneKind, s: &Slice) -> SliceView<'static> {
        SliceView {
            lane: Lane::of(kind, s),
            task: s.task(),
            worker: s.worker(),
            cpu: s.cpu(),
            start_us: s.start_ns() as f64 / 1e3,
            end_us: s.end_ns() as f64 / 1e3,
        }
    }
}

impl Timeline {
    /// Adds a mode's drawn run and its recorded slices, and rebuilds `slices` to the bound.
    pub fn add(&mut self, run: TimelineRun, recorded: Recorded) {
        self.runs.push(run);
        self.recorded.push(recorded);
        self.rebuild();
    }

    /// Puts every recorded slice into `slices`, unmerged (`--timeline-full`).
    pub(crate) fn set_full(&mut self) {
        self.full = true;
        self.rebuild();
    }

    /// Is there nothing to draw?
    pub(crate) fn is_empty(&self) -> bool {
        self.slices.is_empty() && self.recorded.iter().all(|r| r.slices.is_empty())
    }

    /// Every slice of `mode`'s run at full resolution: as recorded where the timeline has
    /// recorded slices, else its `slices`.
    pub(crate) fn views<'a>(
        &'a self,
        mode: &'a str,
    ) -> Box<dyn Iterator<Item = SliceView<'a>> + 'a> {
        match self.recorded.iter().find(|r| r.mode == mode) {
            Some(rec) => Box::new(rec.slices.iter().map(|s| SliceView::of(rec.lanes, s))),
            None => {
                Box::new(
                    self.slices
                        .iter()
                        .filter(move |s| s.mode == mode)
                        .map(|s| SliceView {
                            lane: Lane::Named(&s.lane),
                            task: s.task,
                            worker: s.worker,
                            cpu: s.cpu,
                            start_us: s.start_us,
                            end_us: s.end_us,
                        }),
                )
            }
        }
    }

    /// Rebuilds `slices` from the recorded runs: all of them with [`Timeline::full`], else
    /// merged, all runs at one resolution, until no lane holds more than [`LANE_SLICES`].
    fn rebuild(&mut self) {
        if self.recorded.is_empty() {
            return;
        }
        let recorded_us = self
            .recorded
            .iter()
            .filter_map(|r| crate::trace::merged_us(&r.slices))
            .max();
        let mut resolution: Option<u32> = None;
        if !self.full {
            for (rec, run) in self.recorded.iter().zip(&self.runs) {
                if most_in_a_lane(rec.lanes, &rec.slices) <= LANE_SLICES {
                    continue;
                }
                // From one stretch per slice allowed, coarser until the lanes fit.
                let mut us = resolution
                    .unwrap_or(0)
                    .max((run.wall_us / LANE_SLICES as f64).ceil() as u32)
                    .max(1);
                loop {
                    let merged = merged_run(&rec.slices, us);
                    if most_in_a_lane(rec.lanes, &merged) <= LANE_SLICES
                        || f64::from(us) > run.wall_us * 2.0
                    {
                        break;
                    }
                    us = us.saturating_mul(2);
                }
                resolution = Some(us);
            }
        }
        self.slices.clear();
        for rec in &self.recorded {
            let merged;
            let slices = match resolution {
                Some(us) => {
                    merged = merged_run(&rec.slices, us);
                    &merged
                }
                None => &rec.slices,
            };
            self.slices.extend(slices.iter().map(|s| {
                let view = SliceView::of(rec.lanes, s);
                SliceReport {
                    mode: rec.mode.clone(),
                    lane: view.lane.label(),
                    task: view.task,
                    worker: view.worker,
                    cpu: view.cpu,
                    start_us: view.start_us,
                    end_us: view.end_us,
                }
            }));
        }
        self.merged_to_us = resolution.max(recorded_us).map(f64::from);
    }
}

/// A run's slices merged at `us` µs, worker by worker.
fn merged_run(slices: &[Slice], us: u32) -> Vec<Slice> {
    if crate::trace::grouped_by_worker(slices) {
        crate::trace::coarsen_grouped(slices, us)
    } else {
        crate::trace::coarsen_workers(&mut slices.to_vec(), us)
    }
}

/// The most slices any one lane of a run holds.
fn most_in_a_lane(kind: LaneKind, slices: &[Slice]) -> usize {
    let mut counts = std::collections::HashMap::<Lane<'static>, usize>::default();
    for s in slices {
        *counts.entry(Lane::of(kind, s)).or_default() += 1;
    }
    counts.into_values().max().unwrap_or(0)
}

/// Which run of a mode the timeline shows, and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRun {
    pub mode: String,
    /// Index into that mode's `wall_ms.samples`.
    pub run: usize,
    pub wall_us: f64,
}

/// One measured slice: `task` ran on `cpu` from `start_us` to `end_us` after the run began.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SliceReport {
    pub(crate) mode: String,
    /// The lane it is drawn in: "cpu1", or "thread0" where the CPU is unknown.
    pub(crate) lane: String,
    pub(crate) task: usize,
    pub(crate) worker: usize,
    pub(crate) cpu: Option<usize>,
    pub(crate) start_us: f64,
    pub(crate) end_us: f64,
}

#[cfg(test)]
impl SliceReport {
    /// A test slice: `task` (on worker `task`) ran on `cpu` from `start_us` to `end_us`.
    pub(crate) fn on_cpu(mode: &str, cpu: usize, task: usize, start_us: f64, end_us: f64) -> Self {
        SliceReport {
            mode: mode.into(),
            lane: format!("cpu{cpu}"),
            task,
            worker: task,
            cpu: Some(cpu),
            start_us,
            end_us,
        }
    }
}

/// How the table and timeline are drawn; none of it changes the figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    pub format: Format,
    pub timeline: bool,
    pub lanes: Lanes,
    /// Total width of the timeline in columns.
    pub width: usize,
    /// Draw only the first this many ms of each run, to see switches finer than a column.
    pub zoom_ms: Option<f64>,
    pub color: bool,
}

/// Output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for a terminal (with the timeline where asked)
    Table,
    /// Every figure, for scripts (schema 1)
    Json,
    /// The results table as CSV
    Csv,
    /// A table and notes to paste into a report
    Markdown,
    /// One self-contained HTML page: tables, claims and SVG pictures, no network needed
    Html,
}

/// What one timeline lane stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lanes {
    /// One lane per CPU: what each core was doing.
    Cpu,
    /// One lane per task: when each task made progress.
    Task,
}

/// Renders `report` as `options.format` asks.
pub(crate) fn render(report: &Report, options: &RenderOptions) -> String {
    match options.format {
        Format::Table => table::render(report, options),
        Format::Json => json::render(report),
        Format::Csv => csv::render(report),
        Format::Markdown => markdown::render(report, options),
        Format::Html => html::render(report, options),
    }
}

/// The cells of the results table, shared by the table, CSV and markdown renderers, so the
/// three always show the same figures.
pub(crate) struct Grid {
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Grid {
    /// The results as rows of text cells: the common columns, then each demo field.
    pub(crate) fn of_results(results: &[ModeResult]) -> Grid {
        let mut headers: Vec<String> = [
            "mode",
            "threads",
            "wall_ms_median",
            "wall_ms_min",
            "wall_ms_max",
            "speedup",
            "efficiency",
            "cpus_used",
            "checksum_ok",
        ]
        .map(String::from)
        .to_vec();
        // Where other programs disturbed a mode's runs, say how much, beside its figures.
        let disturbed = |r: &ModeResult| {
            r.interference
                .as_ref()
                .is_some_and(|i| i.verdict == crate::interference::Verdict::Disturbed)
        };
        let others = results.iter().any(disturbed);
        if others {
            headers.push("others".into());
        }
        // Nested objects are too wide for a cell: they stay in the JSON only.
        let columns: Vec<Map<String, Value>> = results.iter().map(finding_columns).collect();
        for fields in &columns {
            for (key, value) in fields {
                if !value.is_object() && !headers.contains(key) {
                    headers.push(key.clone());
                }
            }
        }
        let rows = results
            .iter()
            .zip(&columns)
            .map(|(r, fields)| {
                let mut row = vec![
                    r.mode.clone(),
                    r.workers.to_string(),
                    format_ms(r.wall_ms.median),
                    format_ms(r.wall_ms.min),
                    format_ms(r.wall_ms.max),
                    format!("{:.2}", r.speedup),
                    format!("{:.2}", r.efficiency),
                    crate::sys::cpu_list(&r.cpus_used),
                    r.checksum_ok.to_string(),
                ];
                if others {
                    row.push(match &r.interference {
                        Some(i) if disturbed(r) => i
                            .others_cpus
                            .map_or_else(String::new, |o| format!("{o:.2} CPUs")),
                        _ => String::new(),
                    });
                }
                for key in &headers[row.len()..] {
                    row.push(fields.get(key).map_or_else(String::new, format_value));
                }
                row
            })
            .collect();
        Grid { headers, rows }
    }

    /// The machine facts as a two-column grid (what `info` shows).
    pub(crate) fn of_machine(machine: &Machine) -> Grid {
        Grid {
            headers: vec!["fact".into(), "value".into()],
            rows: machine
                .facts()
                .into_iter()
                .map(|(k, v)| vec![k.to_string(), v])
                .collect(),
        }
    }

    /// The grid a report shows: its results, or the machine facts where it has none.
    pub(crate) fn of_report(report: &Report) -> Grid {
        if report.results.is_empty() {
            Grid::of_machine(&report.machine)
        } else {
            Grid::of_results(&report.results)
        }
    }
}

/// A mode's findings as JSON fields, in their declared order: the cells come from the same
/// serialisation as the JSON, so the two cannot disagree.
fn finding_columns(r: &ModeResult) -> Map<String, Value> {
    match serde_json::to_value(&r.findings) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    }
}

/// Milliseconds with precision that suits their size.
pub(crate) fn format_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

fn format_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => format!("{f:.2}"),
            _ => n.to_string(),
        },
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(format_value).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}
