//! Findings: what each demo measured about a mode beyond the figures every demo shares.
//!
//! A sentence, a claim, a check or a picture that quotes a figure reads it here, from a typed
//! and documented field, never back out of JSON by a string key. Each struct is serialised flat
//! into its mode's object of the report's `results[]`, under the JSON names the README lists;
//! scalar fields also become the table's extra columns, in the order they are declared here,
//! and nested objects stay in the JSON.

use crate::gil::{GilKind, ThreadStats};
use crate::sys::ContextSwitches;
use serde::{Serialize, Serializer};

/// A demo's own figures of one mode, flattened beside the common ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Findings {
    /// `parallel` and `info` need no more than the common figures.
    #[default]
    None,
    Interleave(InterleaveFindings),
    Race(RaceFindings),
    Gil(GilFindings),
    Maxprocs(MaxprocsFindings),
}

impl Findings {
    pub(crate) fn interleave(&self) -> Option<&InterleaveFindings> {
        match self {
            Findings::Interleave(f) => Some(f),
            _ => None,
        }
    }

    pub(crate) fn race(&self) -> Option<&RaceFindings> {
        match self {
            Findings::Race(f) => Some(f),
            _ => None,
        }
    }

    pub(crate) fn gil(&self) -> Option<&GilFindings> {
        match self {
            Findings::Gil(f) => Some(f),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn maxprocs(&self) -> Option<&MaxprocsFindings> {
        match self {
            Findings::Maxprocs(f) => Some(f),
            _ => None,
        }
    }
}

/// `interleave`: how the tasks shared one CPU.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InterleaveFindings {
    /// CPU time of a run (median), where the OS reports it.
    pub(crate) cpu_ms: Option<f64>,
    /// Switches between tasks in a run (median): the green scheduler's own count, or the OS's
    /// context switches of the threads or processes.
    pub(crate) switches: u64,
    /// The OS's context switches in the run drawn.
    pub(crate) os_context_switches: ContextSwitches,
    /// Mean length of a slice of the run drawn, in µs.
    pub(crate) mean_slice_us: f64,
    /// When the first task finished, in ms after the run began (run drawn).
    pub(crate) first_done_ms: f64,
    /// When the last task finished.
    pub(crate) last_done_ms: f64,
    /// What one switch costs this mode on one CPU, where it was measured; `null` where the
    /// probe could not time one (see `switch_probe.unmeasured`).
    pub(crate) switch_cost_ns: Option<f64>,
    /// The switch-cost probe of this mode: what it timed and what it made of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) switch_probe: Option<crate::exec::switch_cost::Probe>,
    /// With waits: the wall time no run on one CPU can beat, the larger of all the CPU work and
    /// one task's compute plus its waits (estimated from the calibrated kernel speed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bound_ms: Option<f64>,
    /// Memory a task needs to exist: a green task's state, or a thread's stack.
    pub(crate) stack_bytes: Option<u64>,
}

/// `race`: how the counter ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RaceFindings {
    /// Changes each thread made per run.
    pub(crate) iterations: u64,
    /// Runs that did not end at 0.
    pub(crate) wrong_runs: usize,
    /// Median over runs of |final value|: updates lost at least.
    #[serde(serialize_with = "whole_if_possible")]
    pub(crate) lost_updates_median: f64,
    /// The most updates one run lost at least.
    pub(crate) lost_updates_max: u64,
    /// Wall time per change, all threads together (median over runs).
    pub(crate) ns_per_op: f64,
    /// The counter after each run; the right answer is 0.
    pub(crate) final_values: Vec<i64>,
    /// Why this mode is right or wrong, in one line.
    pub(crate) reason: &'static str,
    /// When and how the threads counted: what decides whether updates can collide.
    pub(crate) timing: RaceTiming,
    /// Its time per change against the other modes'.
    pub(crate) relative: RaceRelative,
}

/// A race mode's time per change against the other modes' (medians over runs).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct RaceRelative {
    /// Times the fastest mode's time per change (1 for the fastest).
    pub(crate) times_fastest: f64,
    /// Times `unsync`'s time per change, where `unsync` ran: what being right costs.
    pub(crate) times_unsync: Option<f64>,
}

/// `race`: what every mode of the race ran, as the report's `race` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaceSetup {
    /// Threads changing the counter, half adding and half subtracting.
    pub(crate) threads: usize,
    /// Changes each thread makes per run.
    pub(crate) iterations: u64,
    /// Changes per run, all threads together: the most updates one run can lose.
    pub(crate) changes_per_run: u64,
    /// Measured runs per mode, and unmeasured ones before them.
    pub(crate) runs: usize,
    pub(crate) warmup: usize,
    /// The one CPU every thread was pinned to (`--one-core`), or `null`.
    pub(crate) one_core: Option<usize>,
}

/// `gil-sim`: what the threads do (`--workload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WorkloadKind {
    /// Every thread computes.
    Cpu,
    /// Every thread makes I/O requests: it mostly waits, with the lock released.
    Io,
    /// CPU-bound threads beside one I/O thread making short requests.
    Mixed,
}

impl WorkloadKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            WorkloadKind::Cpu => "cpu",
            WorkloadKind::Io => "io",
            WorkloadKind::Mixed => "mixed",
        }
    }
}

/// What `gil-sim` ran, beside each mode's lock (`gil` in each result).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GilSimSetup {
    pub(crate) workload: WorkloadKind,
    /// A Python was given (`--python`) and ran nothing: the `mixed` workload's tasks differ
    /// from one another, which conpar's `CPython` script does not do.
    pub(crate) cpython_skipped: bool,
}

/// `gil-sim --python`: the same work in real `CPython`, run in the same rounds as the model's
/// modes, as the report's `cpython` object.
#[derive(Debug, Clone, Serialize)]
pub struct CpythonReport {
    /// The interpreter run, as found.
    pub(crate) executable: String,
    /// `platform.python_version()`, such as `3.11.7`.
    pub(crate) version: String,
    /// `platform.python_implementation()`: `CPython`, or another.
    pub(crate) implementation: String,
    /// A free-threaded build (`Py_GIL_DISABLED`), whose threads ran with the GIL on and off.
    pub(crate) free_threaded: bool,
    /// Whether its GIL is on by default.
    pub(crate) gil_enabled: bool,
    /// `multiprocessing`'s default start method, which the processes used.
    pub(crate) start_method: String,
    /// Units of the script's kernel per task, and what one costs in it, in ns (calibrated by
    /// the interpreter itself to about the model's task time).
    pub(crate) units_per_task: u64,
    pub(crate) ns_per_unit: f64,
    /// The interpreter's own start and exit per run (median), apart from the work.
    pub(crate) startup_ms: f64,
    /// Times the running thread changed per second in the threads run drawn (the run closest
    /// to the median), beside the model's `handoffs_per_s`.
    pub(crate) handoffs_per_s: Option<f64>,
    /// How long after the work's start the last process began its task (median), where
    /// processes ran: what starting them cost.
    pub(crate) processes_started_ms: Option<f64>,
    /// One row per way it ran the tasks, against its own sequential run; `checksum_ok`
    /// against the checksum conpar computes of the script's kernel.
    pub(crate) results: Vec<crate::model::ModeResult>,
}

impl CpythonReport {
    /// The interpreter as the text names it: "`CPython` 3.11.7".
    pub(crate) fn name(&self) -> String {
        format!("{} {}", self.implementation, self.version)
    }
}

/// The moments of a race's runs that let updates collide, or not.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct RaceTiming {
    /// How long after the first thread the last one started counting, in µs (median, max).
    pub(crate) start_skew_us: Option<[f64; 2]>,
    /// Share of a run in which the threads' counting loops overlapped, in % (median).
    pub(crate) loops_overlap_pct: Option<f64>,
    /// Runs in which the loops never overlapped.
    pub(crate) runs_apart: usize,
    /// Runs whose threads could not be lined up at the start within its budget (another
    /// program kept one off its CPU) and started anyway.
    pub(crate) runs_not_lined_up: usize,
    /// Times the threads were preempted while counting, all runs together, where the OS says.
    pub(crate) preemptions: Option<u64>,
}

/// `gil-sim`: what the lock did to the threads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GilFindings {
    /// Hand-offs of the lock between threads per second of the run drawn.
    pub(crate) handoffs_per_s: u64,
    /// The I/O columns, for the `io` and `mixed` workloads.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub(crate) io_columns: Option<IoColumns>,
    pub(crate) gil: GilDetail,
    /// The requests of the `io` and `mixed` workloads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) io: Option<IoDetail>,
}

/// The table's columns of the I/O requests; null where no request ran beside CPU work.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct IoColumns {
    #[serde(rename = "io_p50_ms")]
    pub(crate) p50_ms: Option<f64>,
    #[serde(rename = "io_p99_ms")]
    pub(crate) p99_ms: Option<f64>,
    #[serde(rename = "io_requests_per_s")]
    pub(crate) requests_per_s: Option<u64>,
}

/// The lock of the run drawn, and each thread under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GilDetail {
    pub(crate) kind: GilKind,
    /// One for threads; one per process for processes.
    pub(crate) locks: usize,
    pub(crate) switch_interval_ms: f64,
    pub(crate) check_interval: u32,
    /// Kernel units in one interpreter step, and about how long one takes here.
    pub(crate) step_units: u64,
    pub(crate) step_us: f64,
    /// Hand-offs a second the switch interval allows at most: one per interval.
    pub(crate) interval_handoffs_per_s: f64,
    pub(crate) handoffs: u64,
    pub(crate) handoffs_per_s: f64,
    /// Mean time from a drop to the next holder owning the lock.
    pub(crate) handoff_latency_us: Option<f64>,
    pub(crate) drop_requests: u64,
    pub(crate) forced_switches: u64,
    pub(crate) futile_wakeups: u64,
    pub(crate) threads: Vec<GilThread>,
}

/// One thread (or process) under the lock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GilThread {
    pub(crate) thread: usize,
    /// Time it ran steps in the run drawn.
    pub(crate) run_ms: f64,
    #[serde(flatten)]
    pub(crate) stats: ThreadStats,
}

/// The requests made by the I/O threads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct IoDetail {
    /// The wait of one request.
    pub(crate) wait_ms: Option<f64>,
    pub(crate) requests_per_task: Option<u64>,
    /// Requests the figures come from.
    pub(crate) measured_requests: usize,
    /// Are they the requests made while CPU-bound threads ran (`mixed`)?
    pub(crate) beside_cpu_work: bool,
    /// Time from asking for a request to its end, 50th and 99th percentile.
    pub(crate) p50_ms: Option<f64>,
    pub(crate) p99_ms: Option<f64>,
    pub(crate) requests_per_s: Option<f64>,
}

/// `maxprocs`: one point of the sweep against the law.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaxprocsFindings {
    /// The Karp-Flatt serial fraction at this P (none at P = 1).
    pub(crate) karp_flatt: Option<f64>,
    /// The speedup the Amdahl fit predicts at this P.
    pub(crate) amdahl_speedup: Option<f64>,
}

/// A median of whole numbers is whole or ends in .5; written whole when it is.
// serde's `serialize_with` hands the field by reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn whole_if_possible<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.fract() == 0.0 && *x >= 0.0 && *x < u64::MAX as f64 {
        s.serialize_u64(*x as u64)
    } else {
        s.serialize_f64(*x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn findings_serialise_flat_under_their_json_names() {
        let race = Findings::Race(RaceFindings {
            iterations: 10,
            wrong_runs: 1,
            lost_updates_median: 2.0,
            lost_updates_max: 3,
            ns_per_op: 1.5,
            final_values: vec![0, -3],
            reason: "why",
            timing: RaceTiming::default(),
            relative: RaceRelative::default(),
        });
        let value = serde_json::to_value(&race).unwrap();
        assert_eq!(value["lost_updates_median"], json!(2));
        assert_eq!(value["final_values"], json!([0, -3]));
        assert!(value["timing"].is_object());
        assert_eq!(serde_json::to_value(Findings::None).unwrap(), json!(null));
    }

    #[test]
    fn a_half_median_stays_a_half() {
        let v = serde_json::to_value(RaceFindings {
            lost_updates_median: 1.5,
            ..RaceFindings::default()
        })
        .unwrap();
        assert_eq!(v["lost_updates_median"], json!(1.5));
    }
}
