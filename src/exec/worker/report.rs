//! What a worker prints back on its stdout, both ends: the task worker's [`WorkerReport`] and
//! the yield worker's one line ([`YieldSide`]).
//!
//! A task worker prints a [`WorkerReport`], one line each: `epoch <ns>` (its start on the
//! system-wide monotonic clock, 0 where unknown), `slice <task> <cpu|-> <start_ns> <end_ns>
//! [<merged_us>]` per measured slice relative to that start, its context switches `switches
//! <voluntary> <involuntary>` where the OS counts them, a `--gil` worker also `gil <hold_ns>
//! <wait_ns> <max_wait_ns> <acquisitions> <drop_requests> <forced_switches> <futile_wakeups>`
//! and `request <start_ns> <end_ns>` per I/O request, and finally `done <checksum>` (16 hex
//! digits). The parent moves the times onto its own epoch
//! ([`WorkerReport::on_parent_epoch`]), so processes draw on the same timeline as threads.
//! A yield worker prints one line, what its side of the ping-pong timed ([`YieldSide::line`]).

use crate::gil::ThreadStats;
use crate::sys::ContextSwitches;
use crate::trace::Slice;
use anyhow::{Context, bail};
use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

/// What a task worker reports, as it prints it: times relative to its own start.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WorkerReport {
    /// Its start on the system-wide monotonic clock, 0 where unknown.
    pub(crate) epoch_ns: u64,
    /// Its measured slices (the worker index is the task's).
    pub(crate) slices: Vec<Slice>,
    /// Its context switches, where the OS counts them.
    pub(crate) switches: Option<ContextSwitches>,
    /// A `--gil` worker's lock counts.
    pub(crate) gil: Option<ThreadStats>,
    /// A `--gil` worker's I/O requests: (start, end).
    pub(crate) requests: Vec<(Duration, Duration)>,
    pub(crate) checksum: u64,
}

impl WorkerReport {
    /// The report's lines, as a worker prints them.
    pub(crate) fn to_text(&self) -> String {
        let mut text = String::new();
        if let Some(s) = &self.gil {
            let _ = writeln!(
                text,
                "gil {} {} {} {} {} {} {}",
                s.hold.as_nanos(),
                s.wait.as_nanos(),
                s.max_wait.as_nanos(),
                s.acquisitions,
                s.drop_requests,
                s.forced_switches,
                s.futile_wakeups
            );
        }
        for (start, end) in &self.requests {
            let _ = writeln!(text, "request {} {}", start.as_nanos(), end.as_nanos());
        }
        let _ = writeln!(text, "epoch {}", self.epoch_ns);
        for s in &self.slices {
            let cpu = s.cpu().map_or_else(|| "-".to_string(), |c| c.to_string());
            let _ = write!(
                text,
                "slice {} {cpu} {} {}",
                s.task(),
                s.start_ns(),
                s.end_ns()
            );
            // A slice merged at a coarser resolution says so (see crate::trace).
            if let Some(us) = s.merged_us() {
                let _ = write!(text, " {us}");
            }
            text.push('\n');
        }
        if let Some(sw) = self.switches {
            let _ = writeln!(text, "switches {} {}", sw.voluntary, sw.involuntary);
        }
        let _ = writeln!(text, "done {:016x}", self.checksum);
        text
    }

    /// Prints the report on `out`.
    pub(crate) fn write(&self, out: &mut impl Write) -> anyhow::Result<()> {
        out.write_all(self.to_text().as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// Reads a worker's lines, in any order; fails on a line it does not know and where the
    /// checksum is missing.
    pub(crate) fn parse(text: &str) -> anyhow::Result<WorkerReport> {
        let mut report = WorkerReport::default();
        let mut checksum = None;
        for line in text.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let bad = || anyhow::anyhow!("malformed worker output line: {line:?}");
            let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
            let ns = |s: &str| num(s).map(Duration::from_nanos);
            match fields.as_slice() {
                ["epoch", epoch] => report.epoch_ns = num(epoch)?,
                ["slice", task, cpu, start, end, merged @ ..] if merged.len() <= 1 => {
                    let task: usize = task.parse().map_err(|_| bad())?;
                    let mut slice =
                        Slice::from_ns(task, task, cpu.parse().ok(), num(start)?, num(end)?);
                    if let Some(us) = merged.first() {
                        slice = slice.with_merged_us(us.parse().map_err(|_| bad())?);
                    }
                    report.slices.push(slice);
                }
                ["switches", voluntary, involuntary] => {
                    report.switches = Some(ContextSwitches {
                        voluntary: num(voluntary)?,
                        involuntary: num(involuntary)?,
                    });
                }
                ["gil", hold, wait, max_wait, acq, req, forced, futile] => {
                    report.gil = Some(ThreadStats {
                        hold: ns(hold)?,
                        wait: ns(wait)?,
                        max_wait: ns(max_wait)?,
                        acquisitions: num(acq)?,
                        drop_requests: num(req)?,
                        forced_switches: num(forced)?,
                        futile_wakeups: num(futile)?,
                    });
                }
                ["request", start, end] => report.requests.push((ns(start)?, ns(end)?)),
                ["done", sum] => checksum = Some(u64::from_str_radix(sum, 16).map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        }
        report.checksum = checksum.context("a worker ended without reporting its checksum")?;
        Ok(report)
    }

    /// The same report with its times on the parent's epoch (`parent_epoch_ns` on the
    /// monotonic clock); where either clock is unknown, times stay relative to the child's
    /// start. A time before the parent's epoch becomes 0.
    #[must_use]
    pub(crate) fn on_parent_epoch(mut self, parent_epoch_ns: Option<u64>) -> WorkerReport {
        let offset_ns = match parent_epoch_ns {
            Some(parent) if self.epoch_ns > 0 => i128::from(self.epoch_ns) - i128::from(parent),
            _ => return self,
        };
        for slice in &mut self.slices {
            *slice = slice.shifted(offset_ns, u64::MAX);
        }
        let shift = |d: Duration| {
            let ns = (i128::try_from(d.as_nanos()).unwrap_or(i128::MAX) + offset_ns)
                .clamp(0, i128::from(u64::MAX));
            Duration::from_nanos(ns as u64)
        };
        for (start, end) in &mut self.requests {
            (*start, *end) = (shift(*start), shift(*end));
        }
        self.epoch_ns = parent_epoch_ns.unwrap_or(0);
        self
    }

    /// Fails where a plain (not `--gil`) worker reported lock counts or requests.
    pub(crate) fn plain(self) -> anyhow::Result<WorkerReport> {
        if self.gil.is_some() || !self.requests.is_empty() {
            bail!("a worker without --gil reported lock counts or requests");
        }
        Ok(self)
    }
}

/// What one side of a yield ping-pong timed ([`crate::exec::switch_cost`]): a thread of the
/// thread probe, or a yield worker, whose one line this is on its stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct YieldSide {
    /// Yields made and timed, each a round trip: away to whoever runs next, and back.
    pub(crate) round_trips: u64,
    /// The median round trip, in ns.
    pub(crate) median_ns: u64,
    /// Round trips longer than [`crate::exec::switch_cost::SHARED_ROUND_TRIP`]: someone else
    /// held the CPU in between.
    pub(crate) stretched: u64,
    /// Times the OS switched this side out meanwhile, where it counts them: a yield with
    /// nobody else to run returns without a switch.
    pub(crate) switched: Option<u64>,
    /// When it started and stopped yielding, in ns on the monotonic clock (or any clock the
    /// two sides share).
    pub(crate) start_ns: u64,
    pub(crate) end_ns: u64,
}

impl YieldSide {
    /// The yield worker's line: `yields <round trips> <median ns> <stretched> <switched or ->
    /// <start ns> <end ns>`.
    pub(crate) fn line(&self) -> String {
        format!(
            "yields {} {} {} {} {} {}",
            self.round_trips,
            self.median_ns,
            self.stretched,
            self.switched
                .map_or_else(|| "-".to_string(), |n| n.to_string()),
            self.start_ns,
            self.end_ns
        )
    }

    /// Reads a yield worker's output, as [`YieldSide::line`] writes it.
    pub(crate) fn parse(output: &str) -> anyhow::Result<YieldSide> {
        let output = output.trim();
        let fields: Option<Vec<Option<u64>>> = output.strip_prefix("yields ").map(|rest| {
            rest.split_whitespace()
                .map(|f| if f == "-" { None } else { f.parse().ok() })
                .collect()
        });
        match fields.as_deref() {
            Some(
                &[
                    Some(round_trips),
                    Some(median_ns),
                    Some(stretched),
                    switched,
                    Some(start_ns),
                    Some(end_ns),
                ],
            ) if stretched <= round_trips
                && start_ns <= end_ns
                && (switched.is_some() || output.split_whitespace().nth(4) == Some("-")) =>
            {
                Ok(YieldSide {
                    round_trips,
                    median_ns,
                    stretched,
                    switched,
                    start_ns,
                    end_ns,
                })
            }
            _ => bail!("a yield worker reported {output:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn duration() -> impl Strategy<Value = Duration> {
        any::<u64>().prop_map(Duration::from_nanos)
    }

    fn slice() -> impl Strategy<Value = Slice> {
        // Task and CPU numbers as a Slice keeps them (below u32::MAX - 1).
        let small = 0..(u32::MAX - 1) as usize;
        (
            small.clone(),
            proptest::option::of(small),
            any::<u64>(),
            any::<u64>(),
            0..=u32::MAX,
        )
            .prop_map(|(task, cpu, a, b, merged_us)| {
                Slice::from_ns(task, task, cpu, a.min(b), a.max(b)).with_merged_us(merged_us)
            })
    }

    fn report() -> impl Strategy<Value = WorkerReport> {
        let stats = (
            (duration(), duration(), duration()),
            (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
        )
            .prop_map(
                |((hold, wait, max_wait), (acq, req, forced, futile))| ThreadStats {
                    hold,
                    wait,
                    max_wait,
                    acquisitions: acq,
                    drop_requests: req,
                    forced_switches: forced,
                    futile_wakeups: futile,
                },
            );
        let switches =
            (any::<u64>(), any::<u64>()).prop_map(|(voluntary, involuntary)| ContextSwitches {
                voluntary,
                involuntary,
            });
        (
            any::<u64>(),
            proptest::collection::vec(slice(), 0..20),
            proptest::option::of(switches),
            proptest::option::of(stats),
            proptest::collection::vec((duration(), duration()), 0..10),
            any::<u64>(),
        )
            .prop_map(|(epoch_ns, slices, switches, gil, requests, checksum)| {
                WorkerReport {
                    epoch_ns,
                    slices,
                    switches,
                    gil,
                    requests,
                    checksum,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// What a worker prints is what the parent reads.
        #[test]
        fn worker_reports_round_trip(report in report()) {
            let text = report.to_text();
            prop_assert_eq!(WorkerReport::parse(&text).unwrap(), report, "{}", text);
        }

        /// Moving onto the parent's epoch shifts every time by the difference of the epochs.
        #[test]
        fn reports_move_onto_the_parent_epoch(
            child in 1..u64::MAX / 4,
            back in 0..u64::MAX / 4,
            start in 0..u64::MAX / 4,
            len in 0..u64::MAX / 4,
        ) {
            let parent = child.saturating_sub(back);
            let report = WorkerReport {
                epoch_ns: child,
                slices: vec![Slice::from_ns(1, 1, Some(0), start, start + len)],
                requests: vec![(Duration::from_nanos(start), Duration::from_nanos(start + len))],
                ..WorkerReport::default()
            };
            let moved = report.clone().on_parent_epoch(Some(parent));
            let by = child - parent;
            prop_assert_eq!(moved.slices[0].start_ns(), start + by);
            prop_assert_eq!(moved.slices[0].end_ns(), start + len + by);
            prop_assert_eq!(moved.requests[0].0, Duration::from_nanos(start + by));
            prop_assert_eq!(&report.clone().on_parent_epoch(None).slices, &report.slices);
        }

        #[test]
        fn yield_lines_round_trip(
            round_trips in any::<u64>(),
            median_ns in any::<u64>(),
            switched in proptest::option::of(any::<u64>()),
            start_ns in any::<u64>(),
            len in any::<u64>(),
        ) {
            let side = YieldSide {
                round_trips,
                median_ns,
                stretched: round_trips / 3,
                switched,
                start_ns,
                end_ns: start_ns.saturating_add(len),
            };
            prop_assert_eq!(YieldSide::parse(&format!("{}\n", side.line())).unwrap(), side);
        }
    }

    #[test]
    fn slices_move_onto_the_parent_epoch() {
        let text = "epoch 5000\nslice 0 1 100 200\ndone 00000000000000ff\n";
        let report = WorkerReport::parse(text)
            .unwrap()
            .on_parent_epoch(Some(4000));
        assert_eq!(report.checksum, 255);
        let slice = report.slices[0];
        assert_eq!(slice.start(), Duration::from_nanos(1100));
        assert_eq!(slice.end(), Duration::from_nanos(1200));
        assert_eq!(slice.cpu(), Some(1));
        // A child that started before the parent: its earliest times are cut to 0.
        let early = WorkerReport::parse("epoch 100\nslice 0 - 10 200\ndone 0\n")
            .unwrap()
            .on_parent_epoch(Some(150));
        assert_eq!(
            (early.slices[0].start_ns(), early.slices[0].end_ns()),
            (0, 150)
        );
        assert_eq!(early.slices[0].cpu(), None);
    }

    #[test]
    fn bad_worker_output_is_an_error() {
        for bad in [
            "epoch 1\n",
            "slice x\ndone 0\n",
            "hello\n",
            "\ndone 0\n",
            "gil 1 2\ndone 0\n",
            "done xyz\n",
            "epoch -1\ndone 0\n",
        ] {
            assert!(WorkerReport::parse(bad).is_err(), "{bad:?}");
        }
        let gil = WorkerReport::parse("gil 1 2 3 4 5 6 7\ndone 0\n").unwrap();
        assert!(gil.plain().is_err());
        for bad in [
            "",
            "yields 1 2 0 - 3",
            "yields 1 2 0 - 3 4 5",
            "yields x 2 0 - 3 4",
            "yields 1 2 5 - 3 4",
            "yields 1 2 0 x 3 4",
            "yields 1 2 0 - 4 3",
            "span 1 2",
        ] {
            assert!(YieldSide::parse(bad).is_err(), "{bad:?}");
        }
    }
}
