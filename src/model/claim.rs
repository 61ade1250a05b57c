//! A conclusion as the report holds it: its typed id, the mode it is about, whether it holds
//! and the sentence for that outcome, with the figures its predicate used. The predicates
//! themselves, and the wording, are the demos' and [`crate::claims`]'.

use super::claim_figures::ClaimFigures;
use serde::Serialize;

/// Every conclusion conpar draws. Each is known in the JSON by its stable public id
/// ([`ClaimId::name`], the one place it is spelt), which the README lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClaimId {
    MachineParallelPossible,
    ParallelAtOnce,
    ParallelFaster,
    ParallelBusyShare,
    RaceLostUpdates,
    RaceFixesExact,
    InterleaveOneCpu,
    InterleaveAsLongAsSequential,
    InterleaveWaitsOverlap,
    InterleaveSwitchTimed,
    InterleaveGreenCheaper,
    GilTakeTurns,
    GilWaitsOverlap,
    GilNoGilParallel,
    GilProcessesParallel,
    GilOldBattle,
    GilModelMatchesCpython,
    WorkChecksums,
    MaxprocsTwoBeatOne,
    MaxprocsNoGainAboveCpus,
    MaxprocsFitIsTheWork,
    MaxprocsSmtGain,
}

impl ClaimId {
    /// Every claim, in the README's order.
    #[cfg(test)]
    pub(crate) const ALL: [ClaimId; 22] = [
        ClaimId::MachineParallelPossible,
        ClaimId::ParallelAtOnce,
        ClaimId::ParallelFaster,
        ClaimId::ParallelBusyShare,
        ClaimId::RaceLostUpdates,
        ClaimId::RaceFixesExact,
        ClaimId::InterleaveOneCpu,
        ClaimId::InterleaveAsLongAsSequential,
        ClaimId::InterleaveWaitsOverlap,
        ClaimId::InterleaveSwitchTimed,
        ClaimId::InterleaveGreenCheaper,
        ClaimId::GilTakeTurns,
        ClaimId::GilWaitsOverlap,
        ClaimId::GilNoGilParallel,
        ClaimId::GilProcessesParallel,
        ClaimId::GilOldBattle,
        ClaimId::GilModelMatchesCpython,
        ClaimId::WorkChecksums,
        ClaimId::MaxprocsTwoBeatOne,
        ClaimId::MaxprocsNoGainAboveCpus,
        ClaimId::MaxprocsFitIsTheWork,
        ClaimId::MaxprocsSmtGain,
    ];

    /// The stable public id, as the JSON and the README name the claim.
    pub fn name(self) -> &'static str {
        match self {
            ClaimId::MachineParallelPossible => "machine.parallel_possible",
            ClaimId::ParallelAtOnce => "parallel.at_once",
            ClaimId::ParallelFaster => "parallel.faster",
            ClaimId::ParallelBusyShare => "parallel.busy_share",
            ClaimId::RaceLostUpdates => "race.lost_updates",
            ClaimId::RaceFixesExact => "race.fixes_exact",
            ClaimId::InterleaveOneCpu => "interleave.one_cpu",
            ClaimId::InterleaveAsLongAsSequential => "interleave.as_long_as_sequential",
            ClaimId::InterleaveWaitsOverlap => "interleave.waits_overlap",
            ClaimId::InterleaveSwitchTimed => "interleave.switch_timed",
            ClaimId::InterleaveGreenCheaper => "interleave.green_cheaper",
            ClaimId::GilTakeTurns => "gil.take_turns",
            ClaimId::GilWaitsOverlap => "gil.waits_overlap",
            ClaimId::GilNoGilParallel => "gil.no_gil_parallel",
            ClaimId::GilProcessesParallel => "gil.processes_parallel",
            ClaimId::GilOldBattle => "gil.old_battle",
            ClaimId::GilModelMatchesCpython => "gil.model_matches_cpython",
            ClaimId::WorkChecksums => "work.checksums",
            ClaimId::MaxprocsTwoBeatOne => "maxprocs.two_beat_one",
            ClaimId::MaxprocsNoGainAboveCpus => "maxprocs.no_gain_above_cpus",
            ClaimId::MaxprocsFitIsTheWork => "maxprocs.fit_is_the_work",
            ClaimId::MaxprocsSmtGain => "maxprocs.smt_gain",
        }
    }
}

impl std::fmt::Display for ClaimId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ClaimId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// One conclusion, judged on this run's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    /// Which conclusion, serialised as its stable public id (such as `parallel.at_once`).
    pub(crate) id: ClaimId,
    /// The mode it is about, where it is about one.
    pub(crate) mode: Option<String>,
    /// Does its predicate hold? `None`: this run cannot tell.
    pub(crate) holds: Option<bool>,
    /// The sentence for that outcome.
    pub(crate) text: String,
    /// The values the predicate used, typed per claim.
    pub(crate) figures: ClaimFigures,
}

/// A claim's figures, and what they say: the claim they are of, its predicate and its
/// sentence. Both are functions of the figures alone, which the JSON shows, so a conclusion
/// can be checked from the JSON and tested on figures made up for any machine. Each claim's
/// figures implement it next to the code that measures them, in its demo's `claims`.
pub(crate) trait Judged: Into<ClaimFigures> {
    /// The claim these figures are of.
    fn id(&self) -> ClaimId;
    /// Does the claim hold? `None`: these figures cannot tell.
    fn holds(&self) -> Option<bool>;
    /// The sentence for that outcome, about `mode` where the claim is about one.
    fn sentence(&self, mode: Option<&str>) -> String;
}

impl Claim {
    /// The claim that `figures` make, about `mode` where it is about one: the only way a
    /// claim is made outside tests.
    pub(crate) fn of(mode: Option<&str>, figures: impl Judged) -> Claim {
        Claim {
            id: figures.id(),
            mode: mode.map(str::to_string),
            holds: figures.holds(),
            text: figures.sentence(mode),
            figures: figures.into(),
        }
    }

    /// A claim made by hand, with no figures: for tests of what reads claims.
    #[cfg(test)]
    pub(crate) fn by_hand(
        id: ClaimId,
        mode: Option<&str>,
        holds: Option<bool>,
        text: &str,
    ) -> Claim {
        Claim {
            id,
            mode: mode.map(str::to_string),
            holds,
            text: text.to_string(),
            figures: ClaimFigures::default(),
        }
    }
}

/// What `--check` asks of a claim its demo declares (each demo's `CHECKS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Right or wrong on any machine (checksums, the fixes of the race, the pinning): a claim
    /// that does not hold fails.
    Correct,
    /// A speedup: asked only of work of more than one task, where this process has more than
    /// one CPU's worth of time (`machine.parallel_possible`); a claim that cannot be judged is
    /// inconclusive.
    Faster,
}
