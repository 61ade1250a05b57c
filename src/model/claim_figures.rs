//! The values each claim's predicate used, typed per claim: what its JSON `figures` object
//! holds, field by field in that order, so that a script (and the README) can rely on them.

use crate::exec::switch_cost::Unmeasured;
use crate::interference::Verdict;
use serde::Serialize;

impl Default for ClaimFigures {
    fn default() -> ClaimFigures {
        ClaimFigures::None(NoFigures {})
    }
}

/// Why a claim about speed cannot be judged on a run (`unjudged` in its figures; null where
/// it can be). Its `Display` is the reason as the sentences end it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Unjudged {
    /// Other programs, and the hypervisor, took this much CPU time during the runs: the
    /// report's, or only the mode's own (`of_mode`).
    Disturbed {
        others_cpus: f64,
        steal_cpus: f64,
        of_mode: bool,
    },
    /// The baseline's median took less than `min_ms`, so start-up costs weigh in.
    TooSmall { baseline_ms: f64, min_ms: f64 },
    /// Whether other programs disturbed the runs could not be measured.
    Unmeasured,
}

impl std::fmt::Display for Unjudged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unjudged::Disturbed {
                others_cpus,
                steal_cpus,
                of_mode,
            } => write!(
                f,
                "other programs took {others_cpus:.2} CPUs and the hypervisor {steal_cpus:.2} during {} runs",
                if *of_mode { "its" } else { "these" }
            ),
            Unjudged::TooSmall {
                baseline_ms,
                min_ms,
            } => write!(
                f,
                "the work is too small: the baseline took {baseline_ms:.1} ms per run, under {min_ms} ms, so start-up costs weigh in"
            ),
            Unjudged::Unmeasured => {
                f.write_str("whether other programs disturbed these runs could not be measured")
            }
        }
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

/// `parallel.faster`: a speedup, how sure, and whether it could be judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParallelFasterFigures {
    pub(crate) speedup: f64,
    pub(crate) speedup_interval: [f64; 2],
    pub(crate) baseline_ms: f64,
    pub(crate) verdict: Verdict,
    /// The tasks shared out: one cannot be.
    pub(crate) tasks: usize,
    /// The smallest speedup believed, however steady the rounds (0.1 for 10%).
    pub(crate) min_effect: f64,
    /// Why this run cannot judge the mode's speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
    /// Does `machine.parallel_possible` hold?
    pub(crate) parallel_possible: bool,
}

/// `maxprocs.two_beat_one`: P = 2's speedup over P = 1, how sure, and whether it could be
/// judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoBeatOneFigures {
    pub(crate) speedup: f64,
    pub(crate) speedup_interval: [f64; 2],
    /// P = 1's median.
    pub(crate) baseline_ms: f64,
    pub(crate) verdict: Verdict,
    /// P = 2's median.
    pub(crate) wall_ms: f64,
    /// The smallest speedup believed, however steady the rounds (0.1 for 10%).
    pub(crate) min_effect: f64,
    /// Why this run cannot judge P = 2's speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
}

/// `parallel.busy_share`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusyShareFigures {
    pub(crate) speedup: f64,
    pub(crate) at_once_ms: Option<f64>,
}

/// `gil.waits_overlap`: the single rounds' speedups, the median's, and whether they could be
/// judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GilWaitsFigures {
    pub(crate) speedup_interval: [f64; 2],
    pub(crate) speedup: f64,
    /// The smallest speedup believed, however steady the rounds (0.1 for 10%).
    pub(crate) min_effect: f64,
    /// Why this run cannot judge speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
}

/// `interleave.waits_overlap`, of the mode whose slowest round was fastest: its speedups,
/// its median and sequential's, and whether they could be judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterleaveWaitsFigures {
    pub(crate) speedup_interval: [f64; 2],
    pub(crate) speedup: f64,
    pub(crate) wall_ms: f64,
    pub(crate) baseline_ms: f64,
    /// The smallest speedup believed, however steady the rounds (0.1 for 10%).
    pub(crate) min_effect: f64,
    /// Why this run cannot judge speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
}

/// `gil.take_turns`: how long two threads ran a step at once, in the run drawn, and the
/// mode's speedups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakeTurnsFigures {
    pub(crate) overlap_ms: Option<f64>,
    pub(crate) wall_ms: f64,
    pub(crate) speedup: f64,
    pub(crate) speedup_interval: [f64; 2],
}

/// `gil.no_gil_parallel`, `gil.processes_parallel`: how long the mode's tasks ran at once in
/// the run drawn, its speedups, and whether they could be judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunAtOnceFigures {
    pub(crate) at_once_ms: Option<f64>,
    pub(crate) speedup_interval: [f64; 2],
    pub(crate) speedup: f64,
    pub(crate) wall_ms: f64,
    /// The smallest speedup believed, however steady the rounds (0.1 for 10%).
    pub(crate) min_effect: f64,
    /// Why this run cannot judge speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
    /// `machine.parallel_possible`'s figures: where it does not hold, nothing can run faster
    /// together.
    pub(crate) parallel_possible: ParallelPossibleFigures,
    /// Processes (`gil.processes_parallel`), or threads with no lock (`gil.no_gil_parallel`),
    /// as the claim's id says.
    #[serde(skip)]
    pub(crate) processes: bool,
}

/// `gil.old_battle`: each GIL's wall times, [min, median, max], and whether they could be
/// judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OldBattleFigures {
    pub(crate) old_ms: [f64; 3],
    pub(crate) new_ms: [f64; 3],
    /// Why this run cannot judge speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
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

/// A point of the sweep: the speedup at P = `workers`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeedupAt {
    pub(crate) workers: usize,
    pub(crate) speedup: f64,
}

/// `maxprocs.no_gain_above_cpus`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoGainAboveCpusFigures {
    pub(crate) cpu_capacity: f64,
    pub(crate) best_within: f64,
    pub(crate) best_over: f64,
    /// The P above the CPUs that beat the best within them in every round.
    pub(crate) gained: Vec<usize>,
    /// Every P above the CPUs, with its speedup.
    pub(crate) over: Vec<SpeedupAt>,
    /// The efficiency at the last P.
    pub(crate) last_efficiency: f64,
    /// Does the Karp-Flatt serial fraction grow from the first P that has one to the last?
    pub(crate) karp_flatt_rises: bool,
    /// Why this run cannot judge speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
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
    /// The fit's bound on the speedup, where it has one.
    pub(crate) max_speedup: Option<f64>,
    /// The points fitted.
    pub(crate) points: usize,
    /// Fitted only up to this P, the fastest cores, where what the CPUs are made of is known
    /// (then `core_kind` names them and `cores_alike` says whether every core is alike).
    pub(crate) fitted_up_to: Option<usize>,
    pub(crate) core_kind: Option<String>,
    pub(crate) cores_alike: bool,
    /// A point faster than the CPUs can make it: then the timings are noise.
    pub(crate) beyond_capacity: Option<SpeedupAt>,
    /// Why this run cannot judge speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
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
    /// The smallest gain believed, however steady the rounds (0.1 for 10%).
    pub(crate) min_effect: f64,
    /// Why this run cannot judge speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
}

/// `interleave.one_cpu`: the CPU shared, the tasks, and the modes that ran elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneCpuFigures {
    pub(crate) cpu: usize,
    pub(crate) off: Vec<String>,
    pub(crate) tasks: usize,
}

/// `interleave.as_long_as_sequential`: each mode's median wall time over sequential's, by
/// mode, the band called "about as long", and whether other programs disturbed the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AsLongAsSequentialFigures {
    pub(crate) time_vs_sequential: ByMode,
    pub(crate) alike: f64,
    pub(crate) verdict: Verdict,
}

/// A figure per mode, in the order the modes ran: a JSON object keyed by mode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ByMode(pub(crate) Vec<(String, f64)>);

impl Serialize for ByMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (mode, x) in &self.0 {
            map.serialize_entry(mode, x)?;
        }
        map.end()
    }
}

/// `interleave.green_cheaper`: a green switch's cost, and what the probe of an OS thread's
/// timed (the same figures as `interleave.switch_timed` of `threads`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GreenCheaperFigures {
    pub(crate) green_ns: Option<f64>,
    pub(crate) thread_ns: Option<f64>,
    pub(crate) thread_switch: SwitchTimedFigures,
}

/// `interleave.switch_timed`: what the probe of a thread or a process switch timed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SwitchTimedFigures {
    pub(crate) ns: Option<f64>,
    pub(crate) median_round_trip_ns: f64,
    pub(crate) round_trips: u64,
    pub(crate) stretched: u64,
    pub(crate) unmeasured: Option<Unmeasured>,
    /// `thread` or `process`.
    pub(crate) switch: &'static str,
    pub(crate) cpu: Option<usize>,
    pub(crate) switched: Option<u64>,
    pub(crate) asked_round_trips: u64,
    pub(crate) cut_by_budget: bool,
    pub(crate) budget_ms: f64,
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
    /// The interpreter, as the rows name it (`CPython 3.11.9`).
    pub(crate) cpython: String,
    /// `multiprocessing`'s start method there.
    pub(crate) start_method: String,
    /// Why this run cannot judge speed; null where it can.
    pub(crate) unjudged: Option<Unjudged>,
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
    ParallelFaster(ParallelFasterFigures),
    TwoBeatOne(TwoBeatOneFigures),
    BusyShare(BusyShareFigures),
    GilWaits(GilWaitsFigures),
    InterleaveWaits(InterleaveWaitsFigures),
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
