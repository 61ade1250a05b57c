//! The hidden worker processes, both ends in one place: the command line a parent `conpar`
//! starts a child `conpar` with, and the lines the child prints back on its stdout.
//!
//! # The command line
//!
//! [`WorkerCommand`] is the typed form of a worker's arguments. The parent turns it into an
//! argv with [`WorkerCommand::to_args`]; the child parses that argv with clap, through the
//! same type (it is a flattened part of [`crate::cli::Command`]), so the flags are spelled in
//! this file only. Every flag is checked like a public one: a bad value is exit 2, never a
//! crash, against the largest values the public flags can lead to.
//!
//! - `conpar worker --task=T --units=N --seed=S --chunk-units=C [--cpu=K]
//!   [--wait-every-units=W --pause-ns=P] [--gil [--io-wait-ns=I]] --parent=PID`: one task of a
//!   workload ([`super::process`]), or with `--gil` stepped under the process's own GIL
//!   ([`super::gil`]).
//! - `conpar yield-worker --cpu=K --rounds=R --parent=PID`: yield the CPU in a loop, to time a
//!   process switch ([`super::switch_cost`]).
//!
//! # What a worker prints
//!
//! A task worker prints a [`WorkerReport`], one line each: `epoch <ns>` (its start on the
//! system-wide monotonic clock, 0 where unknown), `slice <task> <cpu|-> <start_ns> <end_ns>
//! [<merged_us>]` per measured slice relative to that start, its context switches `switches
//! <voluntary> <involuntary>` where the OS counts them, a `--gil` worker also `gil <hold_ns>
//! <wait_ns> <max_wait_ns> <acquisitions> <drop_requests> <forced_switches> <futile_wakeups>`
//! and `request <start_ns> <end_ns>` per I/O request, and finally `done <checksum>` (16 hex
//! digits). The parent moves the times onto its own epoch
//! ([`WorkerReport::on_parent_epoch`]), so processes draw on the same timeline as threads.
//! A yield worker prints one line, `span <start_ns> <end_ns>` on the monotonic clock
//! ([`span_line`], [`parse_span`]).

use super::process::WorkerSpec;
use crate::cli::ranged;
use crate::gil::ThreadStats;
use crate::limits::{MAX_IO_WAIT, MAX_TASKS};
use crate::sys::{self, ContextSwitches};
use crate::trace::Slice;
use crate::workload::{MAX_UNITS, Wait};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

/// Highest CPU number accepted where a flag names one.
pub const MAX_CPU: u64 = 65535;
/// Most rounds of the yield worker.
pub const MAX_YIELD_ROUNDS: u64 = 100_000_000;
/// Highest pid accepted (Linux allows at most 2^22).
pub const MAX_PID: u64 = i32::MAX as u64;
/// Longest pause of a worker's waits, in ns: all of interleave's longest `--wait` at once.
pub const MAX_PAUSE_NS: u64 = 600_000_000_000;

/// A hidden worker subcommand: what a parent asks a child `conpar` to do.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum WorkerCommand {
    /// Internal: run one task as a worker process and report it on stdout
    #[command(hide = true)]
    Worker(WorkerArgs),
    /// Internal: yield the CPU in a loop, to measure a process switch
    #[command(hide = true)]
    YieldWorker(YieldWorkerArgs),
}

/// The hidden worker: one task of a workload, as re-executed by the process executors.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct WorkerArgs {
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<0, { MAX_TASKS - 1 }>)]
    pub task: u64,
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub units: u64,
    #[arg(long)]
    pub seed: u64,
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub chunk_units: u64,
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<0, MAX_CPU>)]
    pub cpu: Option<u64>,
    #[arg(long, requires = "pause_ns", allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub wait_every_units: Option<u64>,
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<0, MAX_PAUSE_NS>)]
    pub pause_ns: Option<u64>,
    /// Step through the task under the process's own GIL and report the lock's counts
    #[arg(long)]
    pub gil: bool,
    /// With --gil: an I/O-bound task that waits this many ns, lock released, before each step
    #[arg(long, requires = "gil", allow_hyphen_values = true,
          value_parser = ranged::<1, { MAX_IO_WAIT.as_nanos() as u64 }>)]
    pub io_wait_ns: Option<u64>,
    /// The pid of the conpar that started this worker: it stops at once if that one is gone
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<1, MAX_PID>)]
    pub parent: Option<u64>,
}

/// The hidden yield worker of the process switch-cost measurement.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct YieldWorkerArgs {
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<0, MAX_CPU>)]
    pub cpu: u64,
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<1, MAX_YIELD_ROUNDS>)]
    pub rounds: u64,
    /// The pid of the conpar that started this worker: it stops at once if that one is gone
    #[arg(long, allow_hyphen_values = true, value_parser = ranged::<1, MAX_PID>)]
    pub parent: Option<u64>,
}

impl WorkerArgs {
    /// The worker process that runs `spec` (not under a GIL, no parent named yet).
    pub fn of(spec: &WorkerSpec) -> WorkerArgs {
        WorkerArgs {
            task: spec.task as u64,
            units: spec.units,
            seed: spec.seed,
            chunk_units: spec.chunk_units,
            cpu: spec.cpu.map(|c| c as u64),
            wait_every_units: spec.wait.map(|w| w.every_units),
            pause_ns: spec.wait.map(|w| w.pause_ns),
            gil: false,
            io_wait_ns: None,
            parent: None,
        }
    }

    /// The same task stepped under the process's own GIL; an I/O-bound one (`io_wait`) waits
    /// that long, lock released, before each step.
    #[must_use]
    pub fn under_gil(self, io_wait: Option<Duration>) -> WorkerArgs {
        WorkerArgs {
            gil: true,
            io_wait_ns: io_wait.map(|w| u64::try_from(w.as_nanos()).unwrap_or(u64::MAX)),
            ..self
        }
    }

    /// What the worker runs. A wait's `total_ms` is not passed on (a worker needs only the
    /// pauses), so it is 0 here.
    pub fn spec(&self) -> WorkerSpec {
        WorkerSpec {
            task: self.task as usize,
            units: self.units,
            seed: self.seed,
            chunk_units: self.chunk_units,
            cpu: self.cpu.map(|c| c as usize),
            wait: self
                .wait_every_units
                .zip(self.pause_ns)
                .map(|(every_units, pause_ns)| Wait {
                    every_units,
                    pause_ns,
                    total_ms: 0.0,
                }),
        }
    }

    /// With `--gil`, the wait of an I/O-bound task before each step.
    pub fn io_wait(&self) -> Option<Duration> {
        self.io_wait_ns.map(Duration::from_nanos)
    }
}

impl WorkerCommand {
    /// The subcommand name and flags that make `conpar` run this, as clap parses them back.
    pub fn to_args(&self) -> Vec<OsString> {
        fn flag(args: &mut Vec<String>, name: &str, value: Option<u64>) {
            if let Some(value) = value {
                args.push(format!("--{name}={value}"));
            }
        }
        let mut args = Vec::new();
        match self {
            WorkerCommand::Worker(w) => {
                args.push("worker".to_string());
                flag(&mut args, "task", Some(w.task));
                flag(&mut args, "units", Some(w.units));
                flag(&mut args, "seed", Some(w.seed));
                flag(&mut args, "chunk-units", Some(w.chunk_units));
                flag(&mut args, "cpu", w.cpu);
                flag(&mut args, "wait-every-units", w.wait_every_units);
                flag(&mut args, "pause-ns", w.pause_ns);
                if w.gil {
                    args.push("--gil".to_string());
                }
                flag(&mut args, "io-wait-ns", w.io_wait_ns);
                flag(&mut args, "parent", w.parent);
            }
            WorkerCommand::YieldWorker(y) => {
                args.push("yield-worker".to_string());
                flag(&mut args, "cpu", Some(y.cpu));
                flag(&mut args, "rounds", Some(y.rounds));
                flag(&mut args, "parent", y.parent);
            }
        }
        args.into_iter().map(OsString::from).collect()
    }

    /// Parses a worker's arguments (after the program name) as the child does: through the
    /// whole command line of [`crate::cli::Cli`]. Fails on anything but a worker subcommand.
    pub fn parse_from<I, T>(args: I) -> Result<WorkerCommand, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let command_line =
            std::iter::once(OsString::from("conpar")).chain(args.into_iter().map(Into::into));
        match crate::cli::Cli::try_parse_args_from(command_line)?.command {
            crate::cli::Command::Worker(command) => Ok(command),
            _ => Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidSubcommand,
                "not a worker subcommand",
            )),
        }
    }

    /// The same command, naming `pid` as the parent it must not outlive.
    #[must_use]
    pub fn with_parent(self, pid: u32) -> WorkerCommand {
        let parent = Some(u64::from(pid));
        match self {
            WorkerCommand::Worker(w) => WorkerCommand::Worker(WorkerArgs { parent, ..w }),
            WorkerCommand::YieldWorker(y) => {
                WorkerCommand::YieldWorker(YieldWorkerArgs { parent, ..y })
            }
        }
    }

    fn parent(&self) -> Option<u32> {
        let parent = match self {
            WorkerCommand::Worker(w) => w.parent,
            WorkerCommand::YieldWorker(y) => y.parent,
        };
        // Within range: clap allows at most MAX_PID.
        parent.map(|p| p as u32)
    }
}

/// Runs a worker subcommand in this process, reporting on stdout: first ties the process to
/// its parent ([`sys::die_with_parent`]), then runs the task or the yield loop.
pub fn run(command: &WorkerCommand) -> anyhow::Result<()> {
    sys::die_with_parent(command.parent())?;
    let out = &mut std::io::stdout().lock();
    match command {
        WorkerCommand::Worker(w) if w.gil => super::gil::worker(&w.spec(), w.io_wait(), out),
        WorkerCommand::Worker(w) => super::process::worker(&w.spec(), out),
        WorkerCommand::YieldWorker(y) => {
            super::switch_cost::yield_worker(y.cpu as usize, y.rounds, out)
        }
    }
}

/// What a task worker reports, as it prints it: times relative to its own start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerReport {
    /// Its start on the system-wide monotonic clock, 0 where unknown.
    pub epoch_ns: u64,
    /// Its measured slices (the worker index is the task's).
    pub slices: Vec<Slice>,
    /// Its context switches, where the OS counts them.
    pub switches: Option<ContextSwitches>,
    /// A `--gil` worker's lock counts.
    pub gil: Option<ThreadStats>,
    /// A `--gil` worker's I/O requests: (start, end).
    pub requests: Vec<(Duration, Duration)>,
    pub checksum: u64,
}

impl WorkerReport {
    /// The report's lines, as a worker prints them.
    pub fn to_text(&self) -> String {
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
    pub fn write(&self, out: &mut impl Write) -> anyhow::Result<()> {
        out.write_all(self.to_text().as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// Reads a worker's lines, in any order; fails on a line it does not know and where the
    /// checksum is missing.
    pub fn parse(text: &str) -> anyhow::Result<WorkerReport> {
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
    pub fn on_parent_epoch(mut self, parent_epoch_ns: Option<u64>) -> WorkerReport {
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
    pub fn plain(self) -> anyhow::Result<WorkerReport> {
        if self.gil.is_some() || !self.requests.is_empty() {
            bail!("a worker without --gil reported lock counts or requests");
        }
        Ok(self)
    }
}

/// The yield worker's one line: its span on the monotonic clock.
pub fn span_line(start_ns: u64, end_ns: u64) -> String {
    format!("span {start_ns} {end_ns}")
}

/// Reads a yield worker's output: `(start_ns, end_ns)`.
pub fn parse_span(output: &str) -> anyhow::Result<(u64, u64)> {
    let output = output.trim();
    let fields: Option<Vec<u64>> = output
        .strip_prefix("span ")
        .and_then(|rest| rest.split_whitespace().map(|f| f.parse().ok()).collect());
    match fields.as_deref() {
        Some(&[start, end]) => Ok((start, end)),
        _ => bail!("a yield worker reported {output:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn worker_args() -> impl Strategy<Value = WorkerArgs> {
        (
            (0..MAX_TASKS, 1..=MAX_UNITS, any::<u64>(), 1..=MAX_UNITS),
            proptest::option::of(0..=MAX_CPU),
            proptest::option::of((proptest::option::of(1..=MAX_UNITS), 0..=MAX_PAUSE_NS)),
            proptest::option::of(proptest::option::of(1..=MAX_IO_WAIT.as_nanos() as u64)),
            proptest::option::of(1..=MAX_PID),
        )
            .prop_map(
                |((task, units, seed, chunk_units), cpu, wait, gil, parent)| {
                    WorkerArgs {
                        task,
                        units,
                        seed,
                        chunk_units,
                        cpu,
                        // --wait-every-units needs --pause-ns; --pause-ns may come alone.
                        wait_every_units: wait.and_then(|w| w.0),
                        pause_ns: wait.map(|w| w.1),
                        gil: gil.is_some(),
                        // --io-wait-ns needs --gil.
                        io_wait_ns: gil.flatten(),
                        parent,
                    }
                },
            )
    }

    fn worker_command() -> impl Strategy<Value = WorkerCommand> {
        prop_oneof![
            worker_args().prop_map(WorkerCommand::Worker),
            (
                0..=MAX_CPU,
                1..=MAX_YIELD_ROUNDS,
                proptest::option::of(1..=MAX_PID)
            )
                .prop_map(|(cpu, rounds, parent)| WorkerCommand::YieldWorker(
                    YieldWorkerArgs {
                        cpu,
                        rounds,
                        parent
                    }
                )),
        ]
    }

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

        /// What the parent builds is what the child parses, through the real command line.
        #[test]
        fn worker_command_lines_round_trip(command in worker_command()) {
            let args = command.to_args();
            let parsed = WorkerCommand::parse_from(args.clone());
            prop_assert_eq!(parsed.ok(), Some(command), "{:?}", args);
        }

        /// A spec reaches the worker as it was (bar the wait's total, which it does not need).
        #[test]
        fn specs_reach_the_worker_unchanged(args in worker_args()) {
            let spec = args.spec();
            prop_assert_eq!(WorkerArgs::of(&spec).spec(), spec);
        }

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
        fn yield_spans_round_trip(start in any::<u64>(), end in any::<u64>()) {
            prop_assert_eq!(parse_span(&format!("{}\n", span_line(start, end))).unwrap(), (start, end));
        }
    }

    #[test]
    fn the_subcommands_are_the_ones_the_child_knows() {
        let spec = WorkerSpec {
            task: 2,
            units: 10,
            seed: 1,
            chunk_units: 5,
            cpu: Some(0),
            wait: None,
        };
        let args = WorkerCommand::Worker(WorkerArgs::of(&spec).under_gil(None)).with_parent(7);
        assert_eq!(
            args.to_args(),
            [
                "worker",
                "--task=2",
                "--units=10",
                "--seed=1",
                "--chunk-units=5",
                "--cpu=0",
                "--gil",
                "--parent=7"
            ]
        );
        // Out of range for the child, and so refused (exit 2 in the child).
        let too_many = WorkerArgs {
            task: MAX_TASKS,
            ..WorkerArgs::of(&spec)
        };
        assert!(WorkerCommand::parse_from(WorkerCommand::Worker(too_many).to_args()).is_err());
        assert!(WorkerCommand::parse_from(["info"]).is_err());
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
        for bad in ["", "span 1", "span 1 2 3", "span x 2", "spam 1 2"] {
            assert!(parse_span(bad).is_err(), "{bad:?}");
        }
    }
}
