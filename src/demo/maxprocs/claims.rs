//! The sweep's claims: no gain above the CPUs, P = 2 against P = 1, whether the Amdahl fit
//! describes the work, and what the other hardware threads of each core added (SMT).

use super::{AmdahlReport, Claim, Interference, ModeResult, cpus_phrase, format_ms, stats};
use crate::claims::{ClaimId, Judged, MIN_EFFECT, Speed, speedups};
use crate::model::claim_figures::{
    FitIsTheWorkFigures, NoGainAboveCpusFigures, SmtGainFigures, SpeedupAt, TwoBeatOneFigures,
};
use crate::sys::Reach;

/// A P above the CPUs must beat the best P within them by this much in every round to count
/// as a gain: less is within the noise of the runs.
const GAIN: f64 = 1.05;

/// A fit that misses the points by more than this (rms, relative to each fitted speedup) does
/// not describe them: 0.15 in speedup at 2 CPUs, 4.8 at 64.
const FIT_RMS: f64 = 0.075;

/// The sweep's claims: no gain from P above the CPUs, whether the Amdahl fit describes the
/// work (rather than the machine's load, or the noise of runs too short to time), and, where
/// `reach` (what the CPUs are made of) shows hardware threads that share a core, what they
/// added.
pub(crate) fn claims(
    results: &[ModeResult],
    fit: &AmdahlReport,
    interference: &Interference,
    reach: Option<&Reach>,
) -> Vec<Claim> {
    let mut claims = Vec::new();
    let baseline_ms = results.first().map_or(0.0, |b| b.wall_ms.median);
    let unjudged = crate::claims::speed_unjudgeable(interference, baseline_ms);
    // A fractional capacity (a 1.5-CPU quota) is used in full only by as many workers as the
    // next whole number: P = 2 is still within 1.5 CPUs.
    let within = |r: &&ModeResult| r.workers as f64 <= fit.cpus.ceil() + 1e-9;
    let best_within = results
        .iter()
        .filter(within)
        .map(|r| r.speedup)
        .fold(1.0, f64::max);
    let over: Vec<&ModeResult> = results
        .iter()
        .filter(|r| !within(r) && r.workers > 1)
        .collect();
    if let Some(last) = over.last() {
        claims.push(Claim::of(
            None,
            NoGainAboveCpusFigures {
                cpu_capacity: fit.cpus,
                best_within,
                best_over: over.iter().map(|r| r.speedup).fold(0.0, f64::max),
                gained: over
                    .iter()
                    .filter(|r| r.speedup_interval[0] > best_within * GAIN)
                    .map(|r| r.workers)
                    .collect(),
                over: over.iter().map(|r| speedup_at(r)).collect(),
                last_efficiency: last.efficiency,
                karp_flatt_rises: karp_flatt_rises(results),
                unjudged: unjudged.clone(),
            },
        ));
    }
    if let (Some(s), Some(rms), Some(relative)) =
        (fit.serial_fraction, fit.rms_error, fit.relative_rms_error)
    {
        // What the CPUs are made of matters to the fit only where it stopped at the fastest
        // cores.
        let fit_reach = fit.fitted_up_to.and(reach);
        let fitted_up_to = fit.fitted_up_to.filter(|_| fit_reach.is_some());
        claims.push(Claim::of(
            None,
            FitIsTheWorkFigures {
                serial_fraction: s,
                rms_error: rms,
                relative_rms_error: relative,
                cpu_capacity: fit.cpus,
                verdict: interference.verdict,
                baseline_ms,
                max_speedup: fit.max_speedup,
                points: fit
                    .points
                    .iter()
                    .filter(|p| fitted_up_to.is_none_or(|limit| p.threads <= limit))
                    .count(),
                fitted_up_to,
                core_kind: fit_reach.map(|r| r.fastest_kind.clone()),
                cores_alike: fit_reach.is_none_or(|r| r.alike),
                beyond_capacity: results
                    .iter()
                    .find(|r| r.speedup > fit.cpus.max(1.0) * 1.1)
                    .map(speedup_at),
                unjudged: unjudged.clone(),
            },
        ));
    }
    claims.extend(reach.and_then(|r| smt_gain(results, fit, unjudged, r)));
    claims.extend(two_beat_one(results, interference));
    claims.push(crate::claims::checksums(results, None));
    claims
}

fn speedup_at(r: &ModeResult) -> SpeedupAt {
    SpeedupAt {
        workers: r.workers,
        speedup: r.speedup,
    }
}

/// Does the Karp-Flatt serial fraction grow from the first P that has one to the last?
fn karp_flatt_rises(results: &[ModeResult]) -> bool {
    let values: Vec<f64> = results
        .iter()
        .filter_map(|r| stats::karp_flatt(r.speedup, r.workers))
        .collect();
    values.len() >= 2 && values.last() > values.first()
}

impl Judged for NoGainAboveCpusFigures {
    fn id(&self) -> ClaimId {
        ClaimId::MaxprocsNoGainAboveCpus
    }

    fn holds(&self) -> Option<bool> {
        match self.unjudged {
            Some(_) => None,
            None => Some(self.gained.is_empty()),
        }
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let capacity = cpus_phrase(self.cpu_capacity);
        let (best_within, best_over) = (self.best_within, self.best_over);
        let list = self
            .over
            .iter()
            .map(|r| format!("P = {}", r.workers))
            .collect::<Vec<_>>()
            .join(", ");
        let gained = self
            .gained
            .first()
            .and_then(|p| self.over.iter().find(|r| r.workers == *p));
        match (&self.unjudged, gained) {
            (Some(why), _) => format!(
                "Whether P above the {capacity} this process may use ({list}) gives more speedup cannot be judged here: {why} (best speedup {best_within:.2} within the CPUs, {best_over:.2} above)."
            ),
            (None, None) => format!(
                "P above the {capacity} this process may use ({list}) gives no further speedup: the extra workers only take turns on the same CPUs, which is concurrency, not more parallelism. The best speedup above the CPUs was {best_over:.2} against {best_within:.2} within them, while efficiency falls ({:.2} at P = {}){}.",
                self.last_efficiency,
                self.over.last().map_or(0, |r| r.workers),
                if self.karp_flatt_rises {
                    " and karp_flatt rises, because workers that add no CPU count as serial time"
                } else {
                    ""
                }
            ),
            (None, Some(r)) => format!(
                "P = {} was faster in every round than the best P within the {capacity} ({:.2} against {best_within:.2}): more workers than CPUs cannot make CPU-bound work faster, so the runs within the CPUs lost time to something else (other programs, or too little work per task).",
                r.workers, r.speedup
            ),
        }
    }
}

impl Judged for FitIsTheWorkFigures {
    fn id(&self) -> ClaimId {
        ClaimId::MaxprocsFitIsTheWork
    }

    fn holds(&self) -> Option<bool> {
        match (&self.beyond_capacity, &self.unjudged) {
            (Some(_), _) => Some(false),
            (None, Some(_)) => None,
            (None, None) => Some(self.relative_rms_error <= FIT_RMS),
        }
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let (s, rms) = (self.serial_fraction, self.rms_error);
        let capacity = cpus_phrase(self.cpu_capacity);
        let bound = self.max_speedup.map_or_else(
            || "nothing but the number of CPUs limits the speedup".to_string(),
            |m| format!("no number of CPUs can give a speedup above {m:.1}"),
        );
        let described = match (self.fitted_up_to, &self.core_kind) {
            (Some(limit), Some(kind)) => format!(
                "Amdahl fit (least squares over the {} points with P up to the {}, p = P; beyond them workers {}, which the law does not model): serial fraction {s:.3}, rms error {rms:.3}",
                self.points,
                cores_phrase(limit, kind, self.cores_alike),
                if self.cores_alike {
                    "share a core with another worker"
                } else {
                    "run on slower cores or share a core"
                }
            ),
            _ => format!(
                "Amdahl fit (least squares over all {} points, with p = min(P, {capacity})): serial fraction {s:.3}, rms error {rms:.3}",
                self.points
            ),
        };
        match (&self.unjudged, &self.beyond_capacity) {
            (_, Some(r)) => format!(
                "{described}; it does not describe the work: P = {}'s speedup of {:.2} is more than {capacity} can give, so these timings are noise (too little work per run to time).",
                r.workers, r.speedup
            ),
            (Some(why), None) => format!(
                "{described}. Whether it describes the work or the machine's load cannot be judged here: {why}."
            ),
            (None, None) if self.relative_rms_error > FIT_RMS => format!(
                "{described}; it misses the points by {:.1}% on average, so it does not describe this work: Amdahl's law does not fit these runs.",
                self.relative_rms_error * 100.0
            ),
            (None, None) => format!("{described}; {bound}."),
        }
    }
}

/// `maxprocs.two_beat_one`: was P = 2 faster than P = 1 by its median (as the table shows it),
/// on a run that can judge speed? The smallest step of the curve, and the one `--check` asks
/// of every machine with more than one CPU's worth of time.
fn two_beat_one(results: &[ModeResult], interference: &Interference) -> Option<Claim> {
    let one = results.iter().find(|r| r.workers == 1)?;
    let two = results.iter().find(|r| r.workers == 2)?;
    Some(Claim::of(
        None,
        TwoBeatOneFigures {
            speedup: two.speedup,
            speedup_interval: two.speedup_interval,
            baseline_ms: one.wall_ms.median,
            verdict: interference.verdict,
            wall_ms: two.wall_ms.median,
            min_effect: MIN_EFFECT,
            unjudged: crate::claims::mode_speed_unjudgeable(two, interference, one.wall_ms.median),
        },
    ))
}

impl Judged for TwoBeatOneFigures {
    fn id(&self) -> ClaimId {
        ClaimId::MaxprocsTwoBeatOne
    }

    fn holds(&self) -> Option<bool> {
        self.speed().holds()
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let figures = format!(
            "P = 2 took {} ms against {} ms at P = 1: {}",
            format_ms(self.wall_ms),
            format_ms(self.baseline_ms),
            speedups(self.speedup, self.speedup_interval)
        );
        match self.speed() {
            Speed::Unjudgeable(why) => format!(
                "Whether P = 2 is faster than P = 1 cannot be judged here: {why} ({figures})."
            ),
            Speed::Faster { .. } => format!("P = 2 was faster than P = 1 ({figures})."),
            Speed::NotFaster => format!(
                "P = 2 was not faster than P = 1: no round by more than {:.0}% ({figures}).",
                self.min_effect * 100.0
            ),
            Speed::RoundsDisagree => format!(
                "P = 2 was not faster than P = 1 beyond the spread of its rounds, though some rounds were ({figures}): the rounds disagree."
            ),
        }
    }
}

/// "8 cores", "6 P-cores", "4 big cores": the fastest cores, by kind where kinds differ.
fn cores_phrase(n: usize, kind: &str, alike: bool) -> String {
    let noun = crate::sys::core_noun(kind, alike);
    crate::sys::plural_n(n, &noun)
}

/// `maxprocs.smt_gain`: what the other hardware threads of each core added, from P = the
/// cores (one worker per core) to P = the CPUs (every hardware thread busy), where the cores
/// are alike, some run several threads, the quota leaves every CPU usable and the sweep has
/// both points. The ratio of the two speedups is judged as any speedup is: beyond the noise
/// of the rounds ([`crate::claims::MIN_EFFECT`]), on a run that can judge speed.
fn smt_gain(
    results: &[ModeResult],
    fit: &AmdahlReport,
    unjudged: Option<crate::model::claim_figures::Unjudged>,
    reach: &Reach,
) -> Option<Claim> {
    if !reach.alike || reach.cores >= reach.cpus || fit.cpus + 1e-9 < reach.cpus as f64 {
        return None;
    }
    let per_core = results.iter().find(|r| r.workers == reach.cores)?;
    let every_thread = results.iter().find(|r| r.workers == reach.cpus)?;
    let gain = every_thread.speedup / per_core.speedup;
    let [low, high] = every_thread.speedup_interval.map(|s| s / per_core.speedup);
    Some(Claim::of(
        None,
        SmtGainFigures {
            cores: reach.cores,
            threads: reach.cpus,
            speedup_per_core: per_core.speedup,
            speedup_every_thread: every_thread.speedup,
            gain: gain - 1.0,
            gain_interval: [low - 1.0, high - 1.0],
            min_effect: MIN_EFFECT,
            unjudged,
        },
    ))
}

impl SmtGainFigures {
    /// The speedup at every hardware thread over that at one per core: its median and its
    /// single rounds.
    fn speed(&self) -> Speed {
        let [low, high] = self.gain_interval;
        Speed::given(
            self.unjudged.as_ref(),
            self.gain + 1.0,
            [low + 1.0, high + 1.0],
            self.min_effect,
        )
    }
}

impl Judged for SmtGainFigures {
    fn id(&self) -> ClaimId {
        ClaimId::MaxprocsSmtGain
    }

    fn holds(&self) -> Option<bool> {
        self.speed().holds()
    }

    fn sentence(&self, _: Option<&str>) -> String {
        let other_threads = if self.threads.div_ceil(self.cores) == 2 {
            "the second hardware thread of each core"
        } else {
            "the other hardware threads of each core"
        };
        let [low, high] = self.gain_interval.map(|g| g + 1.0);
        let figures = format!(
            "P = {} on {} hardware threads gave a speedup of {:.2} against {:.2} at P = {}, one worker per core; {low:.2}-{high:.2}x in single rounds",
            self.threads,
            self.threads,
            self.speedup_every_thread,
            self.speedup_per_core,
            self.cores
        );
        let percent = self.gain * 100.0;
        match self.speed() {
            Speed::Unjudgeable(why) => {
                format!("What {other_threads} adds cannot be judged here: {why} ({figures}).")
            }
            Speed::Faster { .. } => format!(
                "{} added {percent:.0}% ({figures}). Hardware threads of one core share its execution units: that is less than another core would give, and it is not a serial part of the work.",
                capitalise(other_threads)
            ),
            Speed::NotFaster => format!(
                "{} added nothing beyond the noise ({percent:+.0}%; {figures}): for this work a core's hardware threads are no faster together than one alone.",
                capitalise(other_threads)
            ),
            Speed::RoundsDisagree => format!(
                "{} added {percent:.0}% by the medians, within the spread of the rounds ({figures}).",
                capitalise(other_threads)
            ),
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
