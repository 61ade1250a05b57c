//! The timeline as the report holds it: the drawn run of each mode, its slices as recorded
//! (for the ASCII timeline, `--trace` and `--timeline-full`) and as the JSON shows them, and
//! the lanes they are drawn in. The renderers read it; none of it renders.

use crate::trace::Slice;
use serde::Serialize;

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

    /// The same timeline with every recorded slice in `slices`, unmerged, for the JSON of
    /// `--timeline-full`; this one stays as it is.
    pub(crate) fn at_full_resolution(&self) -> Timeline {
        let mut full = self.clone();
        full.full = true;
        full.rebuild();
        full
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
