//! The CPU a one-CPU demo ran on, and why, as the report holds it (`cpu_choice`), with the
//! sentence that says so. How it is chosen is [`crate::cpu_choice`]'s part.

use crate::interference::DISTURBED_SHARE;
use serde::Serialize;

/// Why the CPU was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceReason {
    /// `--cpu` named it.
    Asked,
    /// It is the only CPU this process may use.
    Only,
    /// Other programs used it least (or no more than the first of the mask, within what the
    /// counters can tell).
    Quietest,
    /// Every CPU was busy with other programs; this one least.
    AllBusy,
    /// How busy the CPUs are cannot be read here: the first of the mask.
    Unread,
}

/// How busy one CPU was with other programs over the look.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpuLoad {
    pub(crate) cpu: usize,
    /// Busy and stolen time over the look, in CPUs (0 to 1).
    pub(crate) busy: f64,
}

/// The CPU a one-CPU demo runs on, and why (the report's `cpu_choice`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpuChoice {
    pub(crate) cpu: usize,
    pub(crate) reason: ChoiceReason,
    /// Every CPU of the mask, as the look found it; empty where no look was taken or read.
    pub(crate) loads: Vec<CpuLoad>,
    /// How long the CPUs were watched, in ms (0 where they were not).
    pub(crate) look_ms: f64,
    /// How far off each load may be: one tick of the counters over the look.
    pub(crate) resolution: f64,
}

impl CpuChoice {
    /// How busy `cpu` was over the look, where it was read.
    fn load(&self, cpu: usize) -> Option<f64> {
        self.loads.iter().find(|l| l.cpu == cpu).map(|l| l.busy)
    }

    /// The sentence a report prints: which CPU, and why.
    pub(crate) fn sentence(&self) -> String {
        let cpu = self.cpu;
        let pct = |busy: f64| format!("{:.0}%", 100.0 * busy);
        let all = self
            .loads
            .iter()
            .map(|l| format!("cpu{} {}", l.cpu, pct(l.busy)))
            .collect::<Vec<_>>()
            .join(", ");
        let look = format!("{:.0} ms", self.look_ms);
        match self.reason {
            ChoiceReason::Asked => match self.load(cpu) {
                Some(busy) if busy - self.resolution > DISTURBED_SHARE => format!(
                    "Ran on cpu{cpu}, as --cpu asked; other programs kept it {} busy over the {look} just before ({all}), so the figures share it with them.",
                    pct(busy)
                ),
                _ => format!("Ran on cpu{cpu}, as --cpu asked."),
            },
            ChoiceReason::Only => format!("Ran on cpu{cpu}, the only CPU this process may use."),
            ChoiceReason::Unread => format!(
                "Ran on cpu{cpu}, the first CPU this process may use: how busy each CPU is cannot be read here."
            ),
            ChoiceReason::Quietest => {
                let busy: Vec<String> = self
                    .loads
                    .iter()
                    .filter(|l| l.busy - self.resolution > DISTURBED_SHARE)
                    .map(|l| format!("cpu{} was {} busy", l.cpu, pct(l.busy)))
                    .collect();
                if busy.is_empty() {
                    format!(
                        "Ran on cpu{cpu}: no CPU was busy with other programs over the {look} just before ({all})."
                    )
                } else {
                    format!(
                        "Ran on cpu{cpu}, the CPU other programs used least: {} with other programs over the {look} just before ({all}).",
                        busy.join(", ")
                    )
                }
            }
            ChoiceReason::AllBusy => format!(
                "Ran on cpu{cpu}, the least busy CPU: every CPU this process may use was busy with other programs over the {look} just before ({all}), so the figures share cpu{cpu} with them."
            ),
        }
    }
}
