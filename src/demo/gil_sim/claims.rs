//! The claims of `gil-sim`, each judged on the findings and the runs drawn.

use super::{
    Claim, GilKind, Machine, Mode, ModeResult, Timeline, Variant, WorkloadKind, format_ms,
};
use crate::claims::{ClaimId, Judged, MIN_EFFECT, Speed, speedups};
use crate::demo::result_of;
use crate::model::claim_figures::{
    GilWaitsFigures, OldBattleFigures, ParallelPossibleFigures, RunAtOnceFigures, TakeTurnsFigures,
};

/// Steps of two threads overlapping for less than this share of a run is recording jitter
/// around a hand-off, not two threads running at once.
const OVERLAP_JITTER: f64 = 0.01;

/// The claims of `gil-sim`: threads behind a lock take turns, their waits overlap anyway,
/// threads without a lock and processes run at once, and the old GIL's battle.
pub(crate) fn claims(
    machine: &Machine,
    workload: WorkloadKind,
    results: &[ModeResult],
    timeline: &Timeline,
    interference: &crate::interference::Interference,
) -> Vec<Claim> {
    let mut claims = Vec::new();
    let baseline_ms = results.first().map_or(0.0, |b| b.wall_ms.median);
    let unjudged = crate::claims::speed_unjudgeable(interference, baseline_ms);
    let drawn = |mode: &str, by_worker: bool| crate::claims::drawn(timeline, mode, by_worker);
    for r in results.iter().skip(1) {
        let mode = r.mode.as_str();
        match (Variant::of(mode), workload) {
            (Some(Variant::Threads(GilKind::New | GilKind::Old)), WorkloadKind::Cpu) => {
                let (overlap, wall) = drawn(mode, true);
                claims.push(Claim::of(
                    Some(mode),
                    TakeTurnsFigures {
                        overlap_ms: overlap,
                        wall_ms: wall,
                        speedup: r.speedup,
                        speedup_interval: r.speedup_interval,
                    },
                ));
            }
            (Some(Variant::Threads(GilKind::New | GilKind::Old)), WorkloadKind::Io) => {
                claims.push(Claim::of(
                    Some(mode),
                    GilWaitsFigures {
                        speedup_interval: r.speedup_interval,
                        speedup: r.speedup,
                        min_effect: MIN_EFFECT,
                        unjudged: unjudged.clone(),
                    },
                ));
            }
            (
                Some(variant @ (Variant::Threads(GilKind::None) | Variant::Processes)),
                WorkloadKind::Cpu,
            ) if r.workers >= 2 => {
                let (at_once, wall) = drawn(mode, false);
                claims.push(Claim::of(
                    Some(mode),
                    RunAtOnceFigures {
                        at_once_ms: at_once,
                        speedup_interval: r.speedup_interval,
                        speedup: r.speedup,
                        wall_ms: wall,
                        min_effect: MIN_EFFECT,
                        unjudged: unjudged.clone(),
                        parallel_possible: ParallelPossibleFigures::of(machine),
                        processes: variant == Variant::Processes,
                    },
                ));
            }
            _ => {}
        }
    }
    if let (Some(new), Some(old), WorkloadKind::Cpu) = (
        result_of(results, Variant::GIL_NEW),
        result_of(results, Variant::GIL_OLD),
        workload,
    ) {
        let (n, o) = (&new.wall_ms, &old.wall_ms);
        claims.push(Claim::of(
            Some(Variant::GIL_OLD.name()),
            OldBattleFigures {
                old_ms: [o.min, o.median, o.max],
                new_ms: [n.min, n.median, n.max],
                unjudged,
            },
        ));
    }
    claims.push(crate::claims::checksums(results, None));
    claims
}

impl Judged for TakeTurnsFigures {
    fn id(&self) -> ClaimId {
        ClaimId::GilTakeTurns
    }

    fn holds(&self) -> Option<bool> {
        self.overlap_ms.map(|o| o <= self.wall_ms * OVERLAP_JITTER)
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let mode = mode.unwrap_or_default();
        match (self.holds(), self.overlap_ms) {
            (Some(true), _) => format!(
                "{mode}: only the thread holding the lock ran: no two threads ran a step at the same time in the run drawn, so the CPU-bound threads took turns ({}).",
                speedups(self.speedup, self.speedup_interval)
            ),
            (Some(false), Some(o)) => format!(
                "{mode}: threads ran steps at the same time for {} of {} ms in the run drawn: the lock did not keep them apart.",
                format_ms(o),
                format_ms(self.wall_ms)
            ),
            _ => format!(
                "{mode}: whether the threads took turns cannot be told: no steps were recorded."
            ),
        }
    }
}

impl Judged for GilWaitsFigures {
    fn id(&self) -> ClaimId {
        ClaimId::GilWaitsOverlap
    }

    fn holds(&self) -> Option<bool> {
        self.speed().holds()
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let mode = mode.unwrap_or_default();
        let figures = speedups(self.speedup, self.speedup_interval);
        match self.speed() {
            Speed::Unjudgeable(why) => format!(
                "{mode}: whether the threads' waits overlapped under the lock cannot be judged here: {why} ({figures})."
            ),
            Speed::Faster { every_round } => format!(
                "{mode}: the threads' waits overlapped even under the lock, faster than one after another{} ({figures}): a thread waiting for I/O has released it.",
                if every_round { " in every round" } else { "" }
            ),
            Speed::NotFaster => format!(
                "{mode}: the threads' waits did not overlap: no round was more than {:.0}% faster than one after another ({figures}).",
                self.min_effect * 100.0
            ),
            Speed::RoundsDisagree => format!(
                "{mode}: whether the threads' waits overlapped cannot be told: the median is within the spread of the rounds ({figures})."
            ),
        }
    }
}

impl Judged for RunAtOnceFigures {
    fn id(&self) -> ClaimId {
        if self.processes {
            ClaimId::GilProcessesParallel
        } else {
            ClaimId::GilNoGilParallel
        }
    }

    fn holds(&self) -> Option<bool> {
        match (
            self.parallel_possible.holds(),
            self.at_once_ms,
            &self.unjudged,
        ) {
            (Some(false), _, _) => Some(false),
            (_, None, _) | (_, Some(_), Some(_)) => None,
            (_, Some(o), None) if o <= 0.0 => Some(false),
            (_, Some(_), None) => self.speed().holds(),
        }
    }

    fn sentence(&self, mode: Option<&str>) -> String {
        let mode = mode.unwrap_or_default();
        let figures = speedups(self.speedup, self.speedup_interval);
        let wall = self.wall_ms;
        let what = if self.processes {
            "processes, each with a lock of its own,"
        } else {
            "threads, with no global lock,"
        };
        match (
            self.parallel_possible.holds(),
            self.at_once_ms,
            &self.unjudged,
        ) {
            (Some(false), _, _) => format!(
                "{mode}: the {what} could not run faster together: {}",
                lower_first(&self.parallel_possible.sentence(None))
            ),
            (_, None, _) => format!(
                "{mode}: which CPU ran what is not known here, so whether the {what} ran at once cannot be told."
            ),
            // On a busy machine the other programs may hold the second CPU.
            (_, Some(o), Some(why)) if o <= 0.0 => format!(
                "{mode}: the {what} never ran at the same instant in the run drawn, but this run cannot judge whether they could: {why} ({figures})."
            ),
            (_, Some(o), None) if o <= 0.0 => format!(
                "{mode}: the {what} never ran at the same instant in the run drawn ({figures})."
            ),
            (_, Some(o), Some(why)) => format!(
                "{mode}: the {what} ran at the same time for {} of {} ms, but whether that made them faster cannot be judged here: {why} ({figures}).",
                format_ms(o),
                format_ms(wall)
            ),
            (_, Some(o), None) => format!(
                "{mode}: the {what} ran at the same time on different CPUs for {} of {} ms in the run drawn, {} ({figures}){}.",
                format_ms(o),
                format_ms(wall),
                match self.speed() {
                    Speed::Faster { every_round: true } => {
                        "faster than one after another in every round".to_string()
                    }
                    Speed::Faster { every_round: false } => {
                        "faster than one after another, though not in every round".to_string()
                    }
                    Speed::NotFaster => format!(
                        "yet no round was faster by more than {:.0}%",
                        self.min_effect * 100.0
                    ),
                    _ => {
                        "yet whether that made them faster cannot be told: the median is within the spread of the rounds".to_string()
                    }
                },
                if self.processes {
                    ", at the cost of starting processes (the model starts conpar processes, which have no Python interpreter to start: --python measures what multiprocessing's cost)"
                } else {
                    ""
                }
            ),
        }
    }
}

impl Judged for OldBattleFigures {
    fn id(&self) -> ClaimId {
        ClaimId::GilOldBattle
    }

    fn holds(&self) -> Option<bool> {
        match self.unjudged {
            Some(_) => None,
            None => Some(self.old_ms[0] > self.new_ms[2]),
        }
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let ([o_min, o_median, o_max], [n_min, n_median, n_max]) = (self.old_ms, self.new_ms);
        let figures = format!(
            "gil-old took {} ms ({}-{}) against gil-new's {} ms ({}-{})",
            format_ms(o_median),
            format_ms(o_min),
            format_ms(o_max),
            format_ms(n_median),
            format_ms(n_min),
            format_ms(n_max)
        );
        match &self.unjudged {
            Some(why) => {
                format!("{figures}: whether the old GIL is slower cannot be judged here: {why}.")
            }
            None if o_min > n_max => format!(
                "{figures}: slower, beyond the spread of the runs: the old GIL's battle, where a woken thread finds the lock already taken again."
            ),
            None if o_max < n_min => format!("{figures}: faster, beyond the spread of the runs."),
            None => format!("{figures}: no difference beyond the spread of the runs."),
        }
    }
}

/// A sentence continued after a colon.
fn lower_first(sentence: &str) -> String {
    let mut chars = sentence.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}
