//! A worker's command line, both ends: the typed [`WorkerCommand`], the argv a parent builds
//! from it ([`WorkerCommand::to_args`]) and the child's reading of that argv back
//! ([`WorkerCommand::parse`]).
//!
//! The argv is machine-made: the subcommand's name, then `--key=value` flags (and the bare
//! switch `--gil`), each at most once. It is still read as strictly as a public flag: every
//! value is checked against the largest the public flags can lead to, and anything else is a
//! [`UsageError`] (exit 2, one line), never a crash.

use crate::error::UsageError;
use crate::exec::process::WorkerSpec;
use crate::limits::{MAX_IO_WAIT, MAX_TASKS};
use crate::workload::{MAX_UNITS, Wait};
use std::ffi::OsString;
use std::time::Duration;

/// Highest CPU number accepted where a flag names one.
pub(crate) const MAX_CPU: u64 = 65535;
/// Most rounds of the yield worker.
pub(crate) const MAX_YIELD_ROUNDS: u64 = 100_000_000;
/// Longest time budget of the yield worker, in µs.
pub(crate) const MAX_YIELD_BUDGET_US: u64 = 10_000_000;
/// Highest pid accepted (Linux allows at most 2^22).
pub(crate) const MAX_PID: u64 = i32::MAX as u64;
/// Longest pause of a worker's waits, in ns: all of interleave's longest `--wait` at once.
pub(crate) const MAX_PAUSE_NS: u64 = 600_000_000_000;

/// The name of the task worker's subcommand.
pub(crate) const WORKER: &str = "worker";
/// The name of the yield worker's subcommand.
pub(crate) const YIELD_WORKER: &str = "yield-worker";

/// A hidden worker subcommand: what a parent asks a child `conpar` to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WorkerCommand {
    /// Run one task as a worker process and report it on stdout.
    Worker(WorkerArgs),
    /// Yield the CPU in a loop, to measure a process switch.
    YieldWorker(YieldWorkerArgs),
}

/// The hidden worker: one task of a workload, as re-executed by the process executors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkerArgs {
    /// `--task`, below [`MAX_TASKS`].
    pub(crate) task: u64,
    /// `--units`, 1 to [`MAX_UNITS`].
    pub(crate) units: u64,
    /// `--seed`, any.
    pub(crate) seed: u64,
    /// `--chunk-units`, 1 to [`MAX_UNITS`].
    pub(crate) chunk_units: u64,
    /// `--cpu` to pin to, up to [`MAX_CPU`].
    pub(crate) cpu: Option<u64>,
    /// `--wait-every-units`, 1 to [`MAX_UNITS`]; only with `--pause-ns`.
    pub(crate) wait_every_units: Option<u64>,
    /// `--pause-ns`, up to [`MAX_PAUSE_NS`].
    pub(crate) pause_ns: Option<u64>,
    /// `--gil`: step through the task under the process's own GIL and report the lock's counts.
    pub(crate) gil: bool,
    /// `--io-wait-ns`, only with `--gil`: an I/O-bound task that waits this many ns, lock
    /// released, before each step (1 ns to [`MAX_IO_WAIT`]).
    pub(crate) io_wait_ns: Option<u64>,
    /// `--parent`: the pid of the conpar that started this worker, which stops at once if that
    /// one is gone (1 to [`MAX_PID`]).
    pub(crate) parent: Option<u64>,
}

/// The hidden yield worker of the process switch-cost measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YieldWorkerArgs {
    /// `--cpu` to pin to, up to [`MAX_CPU`].
    pub(crate) cpu: u64,
    /// `--rounds`, 1 to [`MAX_YIELD_ROUNDS`].
    pub(crate) rounds: u64,
    /// `--budget-us`: stop yielding this long after the start, 1 to [`MAX_YIELD_BUDGET_US`].
    pub(crate) budget_us: u64,
    /// `--parent`, as for [`WorkerArgs::parent`].
    pub(crate) parent: Option<u64>,
}

impl WorkerArgs {
    /// The flags a task worker knows.
    const FLAGS: [&'static str; 10] = [
        "task",
        "units",
        "seed",
        "chunk-units",
        "cpu",
        "wait-every-units",
        "pause-ns",
        "gil",
        "io-wait-ns",
        "parent",
    ];

    /// The worker process that runs `spec` (not under a GIL, no parent named yet).
    pub(crate) fn of(spec: &WorkerSpec) -> WorkerArgs {
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
    pub(crate) fn under_gil(self, io_wait: Option<Duration>) -> WorkerArgs {
        WorkerArgs {
            gil: true,
            io_wait_ns: io_wait.map(|w| u64::try_from(w.as_nanos()).unwrap_or(u64::MAX)),
            ..self
        }
    }

    /// What the worker runs. A wait's `total_ms` is not passed on (a worker needs only the
    /// pauses), so it is 0 here.
    pub(crate) fn spec(&self) -> WorkerSpec {
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
    pub(crate) fn io_wait(&self) -> Option<Duration> {
        self.io_wait_ns.map(Duration::from_nanos)
    }

    fn read(flags: &mut Flags) -> Result<WorkerArgs, UsageError> {
        let args = WorkerArgs {
            task: flags.required("task", 0, MAX_TASKS - 1)?,
            units: flags.required("units", 1, MAX_UNITS)?,
            seed: flags.required("seed", 0, u64::MAX)?,
            chunk_units: flags.required("chunk-units", 1, MAX_UNITS)?,
            cpu: flags.number("cpu", 0, MAX_CPU)?,
            wait_every_units: flags.number("wait-every-units", 1, MAX_UNITS)?,
            pause_ns: flags.number("pause-ns", 0, MAX_PAUSE_NS)?,
            gil: flags.switch("gil")?,
            io_wait_ns: flags.number("io-wait-ns", 1, MAX_IO_WAIT.as_nanos() as u64)?,
            parent: flags.number("parent", 1, MAX_PID)?,
        };
        if args.wait_every_units.is_some() && args.pause_ns.is_none() {
            return Err(UsageError(
                "the worker flag --wait-every-units needs --pause-ns".into(),
            ));
        }
        if args.io_wait_ns.is_some() && !args.gil {
            return Err(UsageError(
                "the worker flag --io-wait-ns needs --gil".into(),
            ));
        }
        Ok(args)
    }
}

impl YieldWorkerArgs {
    /// The flags a yield worker knows.
    const FLAGS: [&'static str; 4] = ["cpu", "rounds", "budget-us", "parent"];

    fn read(flags: &mut Flags) -> Result<YieldWorkerArgs, UsageError> {
        Ok(YieldWorkerArgs {
            cpu: flags.required("cpu", 0, MAX_CPU)?,
            rounds: flags.required("rounds", 1, MAX_YIELD_ROUNDS)?,
            budget_us: flags.required("budget-us", 1, MAX_YIELD_BUDGET_US)?,
            parent: flags.number("parent", 1, MAX_PID)?,
        })
    }
}

impl WorkerCommand {
    /// The subcommand name and flags that make `conpar` run this, as [`WorkerCommand::parse`]
    /// reads them back.
    pub(crate) fn to_args(&self) -> Vec<OsString> {
        fn flag(args: &mut Vec<String>, name: &str, value: Option<u64>) {
            if let Some(value) = value {
                args.push(format!("--{name}={value}"));
            }
        }
        let mut args = Vec::new();
        match self {
            WorkerCommand::Worker(w) => {
                args.push(WORKER.to_string());
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
                args.push(YIELD_WORKER.to_string());
                flag(&mut args, "cpu", Some(y.cpu));
                flag(&mut args, "rounds", Some(y.rounds));
                flag(&mut args, "budget-us", Some(y.budget_us));
                flag(&mut args, "parent", y.parent);
            }
        }
        args.into_iter().map(OsString::from).collect()
    }

    /// Reads a worker's command line as [`WorkerCommand::to_args`] builds it: the subcommand's
    /// name, then its flags. Anything else (another name, an unknown, repeated or malformed
    /// flag, a value out of range, a flag without the one it needs) is bad input.
    pub(crate) fn parse<I, T>(args: I) -> Result<WorkerCommand, UsageError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let args = args
            .into_iter()
            .map(|arg| {
                arg.into().into_string().map_err(|arg| {
                    UsageError(format!("the worker argument {arg:?} is not valid UTF-8"))
                })
            })
            .collect::<Result<Vec<String>, UsageError>>()?;
        let Some((name, flags)) = args.split_first() else {
            return Err(UsageError(format!(
                "no worker subcommand given ({WORKER} or {YIELD_WORKER})"
            )));
        };
        match name.as_str() {
            WORKER => WorkerArgs::read(&mut Flags::new(name, flags, &WorkerArgs::FLAGS)?)
                .map(WorkerCommand::Worker),
            YIELD_WORKER => {
                YieldWorkerArgs::read(&mut Flags::new(name, flags, &YieldWorkerArgs::FLAGS)?)
                    .map(WorkerCommand::YieldWorker)
            }
            other => Err(UsageError(format!(
                "'{other}' is not a worker subcommand ({WORKER} or {YIELD_WORKER})"
            ))),
        }
    }

    /// The same command, naming `pid` as the parent it must not outlive.
    #[must_use]
    pub(crate) fn with_parent(self, pid: u32) -> WorkerCommand {
        let parent = Some(u64::from(pid));
        match self {
            WorkerCommand::Worker(w) => WorkerCommand::Worker(WorkerArgs { parent, ..w }),
            WorkerCommand::YieldWorker(y) => {
                WorkerCommand::YieldWorker(YieldWorkerArgs { parent, ..y })
            }
        }
    }

    pub(super) fn parent(&self) -> Option<u32> {
        let parent = match self {
            WorkerCommand::Worker(w) => w.parent,
            WorkerCommand::YieldWorker(y) => y.parent,
        };
        // Within range: parsing allows at most MAX_PID.
        parent.map(|p| p as u32)
    }
}

/// A worker's flags, split into key and value, each taken once by the field that reads it.
struct Flags<'a> {
    subcommand: &'a str,
    given: Vec<(&'a str, Given<'a>)>,
}

/// What follows a flag's key.
#[derive(Debug, Clone, Copy)]
enum Given<'a> {
    /// Nothing: `--key`.
    Bare,
    /// `--key=value`.
    Value(&'a str),
}

impl<'a> Flags<'a> {
    /// Splits `args`, refusing what is not `--key=value` or `--key` and a key that is not
    /// `known` or is given twice.
    fn new(
        subcommand: &'a str,
        args: &'a [String],
        known: &[&str],
    ) -> Result<Flags<'a>, UsageError> {
        let mut given = Vec::with_capacity(args.len());
        for arg in args {
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(UsageError(format!(
                    "unexpected argument '{arg}' to {subcommand}: its flags are --key=value"
                )));
            };
            let (key, value) = match flag.split_once('=') {
                Some((key, value)) => (key, Given::Value(value)),
                None => (flag, Given::Bare),
            };
            if !known.contains(&key) {
                return Err(UsageError(format!(
                    "unknown flag '--{key}' to {subcommand}"
                )));
            }
            if given.iter().any(|&(k, _)| k == key) {
                return Err(UsageError(format!(
                    "the flag '--{key}' to {subcommand} is given more than once"
                )));
            }
            given.push((key, value));
        }
        Ok(Flags { subcommand, given })
    }

    /// Takes `key` out of the flags given: `None` where it was not given.
    fn take(&mut self, key: &str) -> Option<Given<'a>> {
        let at = self.given.iter().position(|&(k, _)| k == key)?;
        Some(self.given.swap_remove(at).1)
    }

    /// The whole number `--key=N` in `lo..=hi`, where given.
    fn number(&mut self, key: &str, lo: u64, hi: u64) -> Result<Option<u64>, UsageError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        let Given::Value(text) = value else {
            return Err(UsageError(format!(
                "the flag '--{key}' to {} needs a value: --{key}=N",
                self.subcommand
            )));
        };
        crate::limits::ranged(text, lo, hi)
            .map(Some)
            .map_err(|why| UsageError(format!("invalid value '{text}' for '--{key}': {why}")))
    }

    /// [`Flags::number`] for a flag that must be given.
    fn required(&mut self, key: &str, lo: u64, hi: u64) -> Result<u64, UsageError> {
        self.number(key, lo, hi)?
            .ok_or_else(|| UsageError(format!("{} needs the flag '--{key}=N'", self.subcommand)))
    }

    /// Whether the bare switch `--key` was given.
    fn switch(&mut self, key: &str) -> Result<bool, UsageError> {
        match self.take(key) {
            None => Ok(false),
            Some(Given::Bare) => Ok(true),
            Some(Given::Value(_)) => Err(UsageError(format!(
                "the flag '--{key}' to {} takes no value",
                self.subcommand
            ))),
        }
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
                1..=MAX_YIELD_BUDGET_US,
                proptest::option::of(1..=MAX_PID)
            )
                .prop_map(|(cpu, rounds, budget_us, parent)| {
                    WorkerCommand::YieldWorker(YieldWorkerArgs {
                        cpu,
                        rounds,
                        budget_us,
                        parent,
                    })
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// What the parent builds is what the child parses.
        #[test]
        fn worker_command_lines_round_trip(command in worker_command()) {
            let args = command.to_args();
            let parsed = WorkerCommand::parse(args.clone());
            prop_assert_eq!(parsed, Ok(command), "{:?}", args);
        }

        /// A spec reaches the worker as it was (bar the wait's total, which it does not need).
        #[test]
        fn specs_reach_the_worker_unchanged(args in worker_args()) {
            let spec = args.spec();
            prop_assert_eq!(WorkerArgs::of(&spec).spec(), spec);
        }

        /// A flag the parent builds, with a value beyond its bounds, is refused.
        #[test]
        fn values_out_of_range_are_refused(
            command in worker_command(),
            flag in 0..10usize,
            beyond in 1..1000u64,
        ) {
            let mut args: Vec<String> =
                command.to_args().into_iter().map(|a| a.into_string().unwrap()).collect();
            let flags = args.len() - 1;
            let at = 1 + flag % flags;
            let Some((key, _)) = args[at].split_once('=') else {
                // The bare --gil has no value to put out of range.
                return Ok(());
            };
            let high = match key {
                "--task" => MAX_TASKS - 1,
                "--units" | "--chunk-units" | "--wait-every-units" => MAX_UNITS,
                "--cpu" => MAX_CPU,
                "--pause-ns" => MAX_PAUSE_NS,
                "--io-wait-ns" => MAX_IO_WAIT.as_nanos() as u64,
                "--parent" => MAX_PID,
                "--rounds" => MAX_YIELD_ROUNDS,
                "--budget-us" => MAX_YIELD_BUDGET_US,
                // Every u64 is a seed.
                _ => return Ok(()),
            };
            args[at] = format!("{key}={}", high + beyond);
            let refused = WorkerCommand::parse(&args).unwrap_err();
            prop_assert!(refused.0.contains("outside the accepted range"), "{}", refused);
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
        assert!(WorkerCommand::parse(WorkerCommand::Worker(too_many).to_args()).is_err());
        assert!(WorkerCommand::parse(["info"]).is_err());
    }

    /// Each malformed command line is bad input, said in one line that names what is wrong.
    #[test]
    fn malformed_worker_command_lines_are_usage_errors() {
        let task = [
            "worker",
            "--task=0",
            "--units=10",
            "--seed=1",
            "--chunk-units=1",
        ];
        let with = |extra: &[&'static str]| -> Vec<&'static str> {
            task.iter().chain(extra).copied().collect()
        };
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (vec![], "no worker subcommand"),
            (vec!["tour"], "not a worker subcommand"),
            (vec!["worker"], "needs the flag '--task=N'"),
            (
                vec!["yield-worker", "--cpu=0"],
                "needs the flag '--rounds=N'",
            ),
            (with(&["--task=1"]), "more than once"),
            (with(&["--taks=1"]), "unknown flag '--taks'"),
            (with(&["--rounds=1"]), "unknown flag '--rounds'"),
            (with(&["--help"]), "unknown flag '--help'"),
            (with(&["-q"]), "unexpected argument '-q'"),
            (with(&["--cpu"]), "needs a value: --cpu=N"),
            (with(&["--cpu", "0"]), "unexpected argument '0'"),
            (with(&["0"]), "unexpected argument '0'"),
            (with(&["--cpu="]), "'' is not a whole number"),
            (with(&["--cpu=-1"]), "'-1' is not a whole number"),
            (with(&["--cpu=1.5"]), "'1.5' is not a whole number"),
            (with(&["--cpu=0x1"]), "'0x1' is not a whole number"),
            (with(&["--parent=0"]), "outside the accepted range 1 to"),
            (with(&["--gil=yes"]), "takes no value"),
            (with(&["--io-wait-ns=5"]), "--io-wait-ns needs --gil"),
            (
                with(&["--wait-every-units=5"]),
                "--wait-every-units needs --pause-ns",
            ),
            (
                vec!["worker", "--task=99999999999999999999", "--units=1"],
                "is not a whole number",
            ),
            (
                vec!["yield-worker", "--cpu=0", "--rounds=0"],
                "outside the accepted range",
            ),
        ];
        for (args, why) in cases {
            let refused = WorkerCommand::parse(&args).unwrap_err();
            assert!(refused.0.contains(why), "{args:?}: {refused}");
            assert!(!refused.0.contains('\n'), "{args:?}: {refused}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let bytes = OsString::from_vec(vec![b'-', b'-', 0xff]);
            let refused = WorkerCommand::parse([OsString::from("worker"), bytes]).unwrap_err();
            assert!(refused.0.contains("not valid UTF-8"), "{refused}");
        }
        // Written out by hand, the flags read the same as the parent's, underscores and all.
        assert_eq!(
            WorkerCommand::parse(with(&["--pause-ns=1_000", "--gil", "--io-wait-ns=5"])),
            Ok(WorkerCommand::Worker(WorkerArgs {
                task: 0,
                units: 10,
                seed: 1,
                chunk_units: 1,
                cpu: None,
                wait_every_units: None,
                pause_ns: Some(1000),
                gil: true,
                io_wait_ns: Some(5),
                parent: None,
            }))
        );
    }
}
