//! The values each claim's predicate used, typed per claim: what its JSON `figures` object
//! holds, field by field in that order, so that a script (and the README) can rely on them.

use crate::exec::switch_cost::Unmeasured;
use crate::interference::Verdict;
use serde::Serialize;
use serde_json::{Map, Value};

impl Default for ClaimFigures {
    fn default() -> ClaimFigures {
        ClaimFigures::None(NoFigures {})
    }
}

/// No figures: `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NoFigures {}

/// `machine.parallel_possible`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParallelPossibleFigures {
    pub(crate) cpu_capacity: f64,
    pub(crate) schedulable_cpus: usize,
    pub(crate) cgroup_quota_cpus: Option<f64>,
    pub(crate) available_parallelism: usize,
}

/// `work.checksums`: the modes whose checksum differed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChecksumsFigures {
    pub(crate) differ: Vec<String>,
}

/// `parallel.at_once`: how long two CPUs ran the mode's tasks at once in the run drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtOnceFigures {
    pub(crate) at_once_ms: Option<f64>,
    pub(crate) wall_ms: f64,
    pub(crate) cpus_used: Vec<usize>,
}

/// `parallel.faster`, `maxprocs.two_beat_one`: a speedup, how sure, and whether it could be
/// judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeedFigures {
    pub(crate) speedup: f64,
    pub(crate) speedup_interval: [f64; 2],
    pub(crate) baseline_ms: f64,
    pub(crate) verdict: Verdict,
}

/// `parallel.busy_share`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusyShareFigures {
    pub(crate) speedup: f64,
    pub(crate) at_once_ms: Option<f64>,
}

/// `gil.waits_overlap`, `interleave.waits_overlap`: the single rounds' speedups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalFigures {
    pub(crate) speedup_interval: [f64; 2],
}

/// `gil.take_turns`: how long two threads ran a step at once, in the run drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakeTurnsFigures {
    pub(crate) overlap_ms: Option<f64>,
    pub(crate) wall_ms: f64,
}

/// `gil.no_gil_parallel`, `gil.processes_parallel`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunAtOnceFigures {
    pub(crate) at_once_ms: Option<f64>,
    pub(crate) speedup_interval: [f64; 2],
}

/// `gil.old_battle`: each GIL's wall times, [min, median, max].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OldBattleFigures {
    pub(crate) old_ms: [f64; 3],
    pub(crate) new_ms: [f64; 3],
}

/// `race.lost_updates`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LostUpdatesFigures {
    pub(crate) wrong_runs: usize,
    pub(crate) runs: usize,
    pub(crate) lost_updates_max: u64,
    pub(crate) distinct_final_values: usize,
    pub(crate) one_cpu: bool,
}

/// `race.fixes_exact`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixesExactFigures {
    pub(crate) modes: Vec<String>,
    pub(crate) broken: Vec<String>,
}

/// `maxprocs.no_gain_above_cpus`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoGainAboveCpusFigures {
    pub(crate) cpu_capacity: f64,
    pub(crate) best_within: f64,
    pub(crate) best_over: f64,
    /// The P above the CPUs that beat the best within them in every round.
    pub(crate) gained: Vec<usize>,
}

/// `maxprocs.fit_is_the_work`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitIsTheWorkFigures {
    pub(crate) serial_fraction: f64,
    pub(crate) rms_error: f64,
    /// The rms error relative to each fitted speedup, by which the fit is judged.
    pub(crate) relative_rms_error: f64,
    pub(crate) cpu_capacity: f64,
    pub(crate) verdict: Verdict,
    pub(crate) baseline_ms: f64,
}

/// `maxprocs.smt_gain`: the speedups at one worker per core and at one per hardware thread,
/// and the gain of the second over the first (0.24 for 24%), with its spread over the rounds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmtGainFigures {
    pub(crate) cores: usize,
    pub(crate) threads: usize,
    pub(crate) speedup_per_core: f64,
    pub(crate) speedup_every_thread: f64,
    pub(crate) gain: f64,
    pub(crate) gain_interval: [f64; 2],
}

/// `interleave.one_cpu`: the CPU shared, and the modes that ran elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneCpuFigures {
    pub(crate) cpu: usize,
    pub(crate) off: Vec<String>,
}

/// `interleave.as_long_as_sequential`: each mode's median wall time over sequential's, by
/// mode, and the band called "about as long".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AsLongAsSequentialFigures {
    pub(crate) time_vs_sequential: Map<String, Value>,
    pub(crate) alike: f64,
}

/// `interleave.green_cheaper`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GreenCheaperFigures {
    pub(crate) green_ns: Option<f64>,
    pub(crate) thread_ns: Option<f64>,
}

/// `interleave.switch_timed`: what the probe timed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SwitchTimedFigures {
    pub(crate) ns: Option<f64>,
    pub(crate) median_round_trip_ns: f64,
    pub(crate) round_trips: u64,
    pub(crate) stretched: u64,
    pub(crate) unmeasured: Option<Unmeasured>,
}

/// `gil.model_matches_cpython`: a model mode's time against its sequential run, and the
/// `CPython` mode's, with the single rounds' spread, as multiples of the sequential time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelMatchesCpythonFigures {
    pub(crate) cpython_mode: String,
    pub(crate) model_time_vs_sequential: f64,
    pub(crate) cpython_time_vs_sequential: f64,
    pub(crate) cpython_rounds: [f64; 2],
    /// How far the model's time is from `CPython`'s, in % of `CPython`'s.
    pub(crate) off_by_pct: f64,
    /// For processes: how long after the start every process had begun its task, in the
    /// model and in `CPython`'s `multiprocessing`.
    pub(crate) model_started_ms: Option<f64>,
    pub(crate) cpython_started_ms: Option<f64>,
}

/// Declares [`ClaimFigures`], one variant per shape, and turns each shape into its variant, so
/// that a claim takes its figures as they are: the list of shapes is written once.
macro_rules! claim_figures {
    ($($variant:ident($shape:ident)),* $(,)?) => {
        /// A claim's figures, one variant per shape (serialised as the bare object).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum ClaimFigures {
            /// No figures (a claim made by hand in a test).
            None(NoFigures),
            $($variant($shape),)*
        }

        $(impl From<$shape> for ClaimFigures {
            fn from(figures: $shape) -> ClaimFigures {
                ClaimFigures::$variant(figures)
            }
        })*
    };
}

claim_figures!(
    ParallelPossible(ParallelPossibleFigures),
    Checksums(ChecksumsFigures),
    AtOnce(AtOnceFigures),
    Speed(SpeedFigures),
    BusyShare(BusyShareFigures),
    Interval(IntervalFigures),
    TakeTurns(TakeTurnsFigures),
    RunAtOnce(RunAtOnceFigures),
    OldBattle(OldBattleFigures),
    LostUpdates(LostUpdatesFigures),
    FixesExact(FixesExactFigures),
    NoGainAboveCpus(NoGainAboveCpusFigures),
    FitIsTheWork(FitIsTheWorkFigures),
    SmtGain(SmtGainFigures),
    OneCpu(OneCpuFigures),
    AsLongAsSequential(AsLongAsSequentialFigures),
    GreenCheaper(GreenCheaperFigures),
    SwitchTimed(SwitchTimedFigures),
    ModelMatchesCpython(ModelMatchesCpythonFigures),
);
