//! The report model: what a run found, as data every renderer reads and none changes: a
//! demo's [`Report`] (its results, timeline, claims, the CPU it chose, its demo's own figures)
//! and the tour's [`Tour`]. It imports no renderer, no demo and no command line
//! (`tests/cli/layering.rs` checks), so that a renderer, a script or a test can take a report
//! without any of them. The JSON shape (schema 1) is documented in the README and shared by
//! every demo: demos add fields beside the common ones (their typed [`findings`] in each
//! [`ModeResult`], and their objects in the [`Report`]), never instead of them.

mod claim;
pub mod claim_figures;
mod cpu_choice;
pub mod findings;
mod slices;
mod tour;

use crate::amdahl::AmdahlReport;
use crate::interference::{Interference, ModeInterference};
use crate::maxprocs::MaxprocsReport;
use crate::stats::Summary;
use crate::sys::Machine;
use crate::workload::Workload;
pub use claim::{Claim, ClaimId};
pub(crate) use claim::{Expect, Judged};
pub use cpu_choice::{ChoiceReason, CpuChoice, CpuLoad};
use findings::{CpythonReport, Findings, GilSimSetup, RaceSetup};
use serde::Serialize;
#[cfg(test)]
pub(crate) use slices::{LANE_SLICES, SliceReport};
pub(crate) use slices::{Lane, SliceView};
pub use slices::{LaneKind, Recorded, Timeline, TimelineRun};
pub use tour::Tour;
pub(crate) use tour::{KeyFigure, Section, Unit, View};

/// The subcommand a report comes from, known in the JSON (`demo`) and in titles by its name
/// ([`Demo::name`], the one place it is spelt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Demo {
    Info,
    Interleave,
    Parallel,
    Race,
    GilSim,
    Maxprocs,
    Tour,
}

impl Demo {
    /// The subcommand's name.
    pub fn name(self) -> &'static str {
        match self {
            Demo::Info => "info",
            Demo::Interleave => "interleave",
            Demo::Parallel => "parallel",
            Demo::Race => "race",
            Demo::GilSim => "gil-sim",
            Demo::Maxprocs => "maxprocs",
            Demo::Tour => "tour",
        }
    }
}

impl std::fmt::Display for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Demo {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The version of the JSON shape; bumped on any incompatible change.
pub const SCHEMA: u32 = 1;

/// Everything one demo measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: u32,
    /// The subcommand that made it.
    pub demo: Demo,
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
    /// What every mode of the race ran (`race`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub race: Option<RaceSetup>,
    /// What drawing `--live` cost while this was measured (absent without `--live`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<crate::live_feed::LiveStats>,
    /// The kernel's speed on one CPU of each kind of core, where the kinds differ (`parallel`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_speeds: Option<Vec<crate::placement::CoreSpeed>>,
    /// The same work in real `CPython` (`gil-sim --python`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpython: Option<CpythonReport>,
    /// What `gil-sim` ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gil_sim: Option<GilSimSetup>,
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
    /// About how long one pass over all tasks takes on one CPU here, waits left out: units
    /// times the calibrated cost of one.
    pub(crate) estimated_pass_ms: f64,
}

impl WorkloadReport {
    /// The workload as run `repeats` times, with the checksum every mode must reproduce.
    pub(crate) fn new(
        workload: Workload,
        repeats: crate::workload::Repeats,
        expected: u64,
    ) -> WorkloadReport {
        WorkloadReport {
            estimated_pass_ms: workload.estimated_pass_ms(),
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
