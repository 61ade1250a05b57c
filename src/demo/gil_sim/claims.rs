//! The claims of `gil-sim`, each judged on the findings and the runs drawn.

use super::{
    Claim, GilKind, Machine, Mode, ModeResult, Timeline, Variant, WorkloadKind, format_ms,
};
use crate::claims::ClaimId;
use crate::claims::{MIN_EFFECT, Speed};
use crate::demo::result_of;
use crate::model::claim_figures::{
    IntervalFigures, OldBattleFigures, RunAtOnceFigures, TakeTurnsFigures,
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
    let unjudgeable = crate::claims::speed_unjudgeable(interference, baseline_ms);
    let possible = crate::claims::parallel_possible(machine);
    let drawn = |mode: &str, by_worker: bool| crate::claims::drawn(timeline, mode, by_worker);
    for r in results.iter().skip(1) {
        let mode = r.mode.as_str();
        let [low, high] = r.speedup_interval;
        let figures = format!(
            "speedup {:.2}, {low:.2}-{high:.2} in single rounds",
            r.speedup
        );
        match (Variant::of(mode), workload) {
            (Some(Variant::Threads(GilKind::New | GilKind::Old)), WorkloadKind::Cpu) => {
                let (overlap, wall) = drawn(mode, true);
                let turns = overlap.map(|o| o <= wall * OVERLAP_JITTER);
                claims.push(
                    Claim::new(ClaimId::GilTakeTurns, Some(mode))
                        .with(TakeTurnsFigures {
                            overlap_ms: overlap,
                            wall_ms: wall,
                        })
                        .judged(turns, match (turns, overlap) {
                            (Some(true), _) => format!("{mode}: only the thread holding the lock ran: no two threads ran a step at the same time in the run drawn, so the CPU-bound threads took turns ({figures})."),
                            (Some(false), Some(o)) => format!("{mode}: threads ran steps at the same time for {} of {} ms in the run drawn: the lock did not keep them apart.", format_ms(o), format_ms(wall)),
                            _ => format!("{mode}: whether the threads took turns cannot be told: no steps were recorded."),
                        }),
                );
            }
            (Some(Variant::Threads(GilKind::New | GilKind::Old)), WorkloadKind::Io) => {
                let (holds, text) = match &unjudgeable {
                    Some(why) => (
                        None,
                        format!(
                            "{mode}: whether the threads' waits overlapped under the lock cannot be judged here: {why} ({figures})."
                        ),
                    ),
                    None => match Speed::judge(r.speedup, r.speedup_interval) {
                        Speed::Faster { every_round } => (
                            Some(true),
                            format!(
                                "{mode}: the threads' waits overlapped even under the lock, faster than one after another{} ({figures}): a thread waiting for I/O has released it.",
                                if every_round { " in every round" } else { "" }
                            ),
                        ),
                        Speed::NotFaster => (
                            Some(false),
                            format!(
                                "{mode}: the threads' waits did not overlap: no round was more than {:.0}% faster than one after another ({figures}).",
                                MIN_EFFECT * 100.0
                            ),
                        ),
                        _ => (
                            None,
                            format!(
                                "{mode}: whether the threads' waits overlapped cannot be told: the median is within the spread of the rounds ({figures})."
                            ),
                        ),
                    },
                };
                claims.push(
                    Claim::new(ClaimId::GilWaitsOverlap, Some(mode))
                        .with(IntervalFigures {
                            speedup_interval: r.speedup_interval,
                        })
                        .judged(holds, text),
                );
            }
            (
                Some(variant @ (Variant::Threads(GilKind::None) | Variant::Processes)),
                WorkloadKind::Cpu,
            ) if r.workers >= 2 => {
                let processes = variant == Variant::Processes;
                let (at_once, wall) = drawn(mode, false);
                let what = if processes {
                    "processes, each with a lock of its own,"
                } else {
                    "threads, with no global lock,"
                };
                let (holds, text) = match (possible.holds, at_once, &unjudgeable) {
                    (Some(false), _, _) => (
                        Some(false),
                        format!(
                            "{mode}: the {what} could not run faster together: {}",
                            lower_first(&possible.text)
                        ),
                    ),
                    (_, None, _) => (
                        None,
                        format!(
                            "{mode}: which CPU ran what is not known here, so whether the {what} ran at once cannot be told."
                        ),
                    ),
                    // On a busy machine the other programs may hold the second CPU.
                    (_, Some(o), Some(why)) if o <= 0.0 => (
                        None,
                        format!(
                            "{mode}: the {what} never ran at the same instant in the run drawn, but this run cannot judge whether they could: {why} ({figures})."
                        ),
                    ),
                    (_, Some(o), None) if o <= 0.0 => (
                        Some(false),
                        format!(
                            "{mode}: the {what} never ran at the same instant in the run drawn ({figures})."
                        ),
                    ),
                    (_, Some(o), Some(why)) => (
                        None,
                        format!(
                            "{mode}: the {what} ran at the same time for {} of {} ms, but whether that made them faster cannot be judged here: {why} ({figures}).",
                            format_ms(o),
                            format_ms(wall)
                        ),
                    ),
                    (_, Some(o), None) => {
                        let speed = Speed::judge(r.speedup, r.speedup_interval);
                        (
                            speed.holds(),
                            format!(
                                "{mode}: the {what} ran at the same time on different CPUs for {} of {} ms in the run drawn, {} ({figures}){}.",
                                format_ms(o),
                                format_ms(wall),
                                match speed {
                                    Speed::Faster { every_round: true } => {
                                        "faster than one after another in every round".to_string()
                                    }
                                    Speed::Faster { every_round: false } => {
                                        "faster than one after another, though not in every round"
                                            .to_string()
                                    }
                                    Speed::NotFaster => format!(
                                        "yet no round was faster by more than {:.0}%",
                                        MIN_EFFECT * 100.0
                                    ),
                                    _ => {
                                        "yet whether that made them faster cannot be told: the median is within the spread of the rounds".to_string()
                                    }
                                },
                                if processes {
                                    ", at the cost of starting processes (the model starts conpar processes, which have no Python interpreter to start: --python measures what multiprocessing's cost)"
                                } else {
                                    ""
                                }
                            ),
                        )
                    }
                };
                claims.push(
                    Claim::new(
                        if processes {
                            ClaimId::GilProcessesParallel
                        } else {
                            ClaimId::GilNoGilParallel
                        },
                        Some(mode),
                    )
                    .with(RunAtOnceFigures {
                        at_once_ms: at_once,
                        speedup_interval: r.speedup_interval,
                    })
                    .judged(holds, text),
                );
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
        let figures = format!(
            "gil-old took {} ms ({}-{}) against gil-new's {} ms ({}-{})",
            format_ms(o.median),
            format_ms(o.min),
            format_ms(o.max),
            format_ms(n.median),
            format_ms(n.min),
            format_ms(n.max)
        );
        let (holds, text) = match &unjudgeable {
            Some(why) => (
                None,
                format!("{figures}: whether the old GIL is slower cannot be judged here: {why}."),
            ),
            None if o.min > n.max => (
                Some(true),
                format!(
                    "{figures}: slower, beyond the spread of the runs: the old GIL's battle, where a woken thread finds the lock already taken again."
                ),
            ),
            None if o.max < n.min => (
                Some(false),
                format!("{figures}: faster, beyond the spread of the runs."),
            ),
            None => (
                Some(false),
                format!("{figures}: no difference beyond the spread of the runs."),
            ),
        };
        claims.push(
            Claim::new(ClaimId::GilOldBattle, Some(Variant::GIL_OLD.name()))
                .with(OldBattleFigures {
                    old_ms: [o.min, o.median, o.max],
                    new_ms: [n.min, n.median, n.max],
                })
                .judged(holds, text),
        );
    }
    claims.push(crate::claims::checksums(results, None));
    claims
}

/// A sentence continued after a colon.
fn lower_first(sentence: &str) -> String {
    let mut chars = sentence.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}
