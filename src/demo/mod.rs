//! Demos: one per subcommand. A demo decides what to run and compare, runs it through the
//! executors and returns a [`crate::report::Report`]; it never prints.
//!
//! The helpers here measure the modes of a demo in rounds ([`measure_rounds`]) and turn each
//! mode's [`Run`]s into the report's shared pieces (a [`ModeResult`] and the timeline of the
//! run closest to the median), so every demo measures and summarises the same way.

pub mod gil_sim;
pub mod info;
pub mod interleave;
pub mod maxprocs;
pub mod parallel;
pub mod race;
pub mod tour;

use crate::exec::Run;
use crate::progress::Progress;
use crate::report::{ModeResult, SliceReport, Timeline, TimelineRun};
use crate::stats::{self, Summary};
use crate::sys;
use serde_json::Map;

/// How often each mode runs: `warmup` unmeasured runs, then `runs` measured ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Repeats {
    pub runs: usize,
    pub warmup: usize,
}

/// The measured runs of one mode.
pub struct Measured {
    pub mode: String,
    pub threads: usize,
    pub runs: Vec<Run>,
}

/// One way of running the work, for [`measure_rounds`].
pub struct Mode<'a> {
    pub name: &'a str,
    pub threads: usize,
    pub run: Box<dyn FnMut() -> anyhow::Result<Run> + 'a>,
}

impl<'a> Mode<'a> {
    pub fn new(
        name: &'a str,
        threads: usize,
        run: impl FnMut() -> anyhow::Result<Run> + 'a,
    ) -> Mode<'a> {
        Mode {
            name,
            threads,
            run: Box::new(run),
        }
    }
}

/// Runs every mode once per round, `repeats.warmup` unmeasured rounds and then `repeats.runs`
/// measured ones, and notes the CPU time of each measured run. Taking the modes in turn,
/// rather than all runs of one mode and then the next, spreads a slow stretch of the machine
/// (another program, a noisy neighbour of a virtual machine) over every mode alike, so it
/// widens the min-max spread instead of biasing one mode's median.
pub fn measure_rounds(
    mut modes: Vec<Mode<'_>>,
    repeats: Repeats,
    progress: &Progress,
) -> anyhow::Result<Vec<Measured>> {
    let mut measured: Vec<Measured> = modes
        .iter()
        .map(|m| Measured {
            mode: m.name.to_string(),
            threads: m.threads,
            runs: Vec::with_capacity(repeats.runs),
        })
        .collect();
    for round in 0..repeats.warmup + repeats.runs {
        for (mode, into) in modes.iter_mut().zip(&mut measured) {
            progress.message(mode.name);
            let before = sys::cpu_time();
            let mut run = (mode.run)()?;
            progress.step();
            if round >= repeats.warmup {
                run.cpu_time = before
                    .zip(sys::cpu_time())
                    .map(|(b, a)| a.saturating_sub(b));
                into.runs.push(run);
            }
        }
    }
    Ok(measured)
}

/// The sentence every demo adds when a mode did not reproduce the sequential checksum.
pub fn checksum_note(results: &[ModeResult]) -> Option<String> {
    results.iter().any(|r| !r.checksum_ok).then(|| {
        "A checksum differs from the sequential one: some work was lost or done twice.".into()
    })
}

/// The timeline of every mode's run closest to its median.
pub fn timeline_of(measured: &[Measured]) -> Timeline {
    let mut timeline = Timeline::default();
    for m in measured {
        let (run, slices) = m.timeline();
        timeline.runs.push(run);
        timeline.slices.extend(slices);
    }
    timeline
}

impl Measured {
    /// The checksum of this mode's first measured run: with the sequential mode, the oracle
    /// every other mode must reproduce, at no extra pass over the work.
    pub fn oracle(&self) -> u64 {
        self.runs[0].checksum
    }

    pub fn wall_ms(&self) -> Summary {
        let samples: Vec<f64> = self
            .runs
            .iter()
            .map(|r| r.wall.as_secs_f64() * 1e3)
            .collect();
        Summary::of(&samples).expect("at least one measured run")
    }

    /// The mode's row, against a baseline median wall time in ms.
    pub fn result(&self, baseline_ms: f64, expected_checksum: u64) -> ModeResult {
        let wall_ms = self.wall_ms();
        let speedup = stats::speedup(baseline_ms, wall_ms.median);
        let mut cpus_used: Vec<usize> = self
            .runs
            .iter()
            .flat_map(|r| r.slices.iter().filter_map(|s| s.cpu))
            .collect();
        cpus_used.sort_unstable();
        cpus_used.dedup();
        ModeResult {
            mode: self.mode.clone(),
            threads: self.threads,
            cpus_used,
            speedup,
            efficiency: stats::efficiency(speedup, self.threads),
            checksum_ok: self.runs.iter().all(|r| r.checksum == expected_checksum),
            wall_ms,
            extra: Map::new(),
        }
    }

    /// The slices of the run closest to the median, for the timeline.
    pub fn timeline(&self) -> (TimelineRun, Vec<SliceReport>) {
        let index = self.wall_ms().median_index();
        let run = &self.runs[index];
        let slices = run
            .slices
            .iter()
            .map(|s| SliceReport {
                mode: self.mode.clone(),
                lane: s
                    .cpu
                    .map_or_else(|| format!("thread{}", s.worker), |c| format!("cpu{c}")),
                task: s.task,
                worker: s.worker,
                cpu: s.cpu,
                start_us: s.start.as_secs_f64() * 1e6,
                end_us: s.end.as_secs_f64() * 1e6,
            })
            .collect();
        (
            TimelineRun {
                mode: self.mode.clone(),
                run: index,
                wall_us: run.wall.as_secs_f64() * 1e6,
            },
            slices,
        )
    }
}
