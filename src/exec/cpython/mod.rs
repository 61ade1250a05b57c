//! Real `CPython` beside the GIL model: the interpreter found, checked, and run on conpar's own
//! script (`script.py`, embedded in the binary) in the same shape of work as the model's.
//!
//! The script is written to a private temporary file (spawn and forkserver re-import
//! `__main__`, which `-c` cannot give) and run with `-I -S` (isolated: no `PYTHON*` variables,
//! no user site, no site at all, so `PYTHONPATH`, `PYTHONHOME` or a `sitecustomize` change
//! nothing, and a site's slow `.pth` files do not lengthen every start). Each
//! interpreter is conpar's child like its own workers: started through the interrupt
//! registry, watched for progress, killed and reaped whatever happens, in a process group of
//! its own so that the terminal's Ctrl-C reaches conpar only; the script asks Linux to kill it
//! and its `multiprocessing` workers when their parent dies.
//!
//! The script's kernel is a 64-bit linear congruential step per unit in pure-Python integers;
//! [`checksum`] computes the same in Rust, which proves that the interpreter did all the work.

use super::children::{Reaper, Watch};
use crate::error::UsageError;
use anyhow::{Context, bail};
use serde::Deserialize;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// conpar's `CPython` workload.
pub(crate) const SCRIPT: &str = include_str!("script.py");

/// The oldest Python accepted: the script needs 3.8 (and Python 2 cannot even parse it).
pub(crate) const MIN_VERSION: (u32, u32) = (3, 8);

const MULTIPLIER: u64 = 6_364_136_223_846_793_005;
const INCREMENT: u64 = 1_442_695_040_888_963_407;
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The checksum the script prints for `tasks` tasks of `units` units from `seed`: each task's
/// linear congruential stream, combined with xor (so in any order).
pub(crate) fn checksum(seed: u64, tasks: usize, units: u64) -> u64 {
    (0..tasks as u64).fold(0, |acc, task| {
        let mut x = seed ^ (task + 1).wrapping_mul(GOLDEN);
        for _ in 0..units {
            x = x.wrapping_mul(MULTIPLIER).wrapping_add(INCREMENT);
        }
        acc ^ x
    })
}

/// What the interpreter says of itself (`script.py info`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Facts {
    pub(crate) version: String,
    pub(crate) implementation: String,
    pub(crate) free_threaded: bool,
    pub(crate) gil_enabled: bool,
    /// `multiprocessing`'s default start method here: fork, forkserver (3.14) or spawn.
    pub(crate) start_method: String,
    /// What one unit of the script's kernel costs in it, in ns.
    pub(crate) ns_per_unit: f64,
}

/// What one run of the script printed (`script.py run ...`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Printed {
    pub(crate) wall_ns: u64,
    pub(crate) checksum: String,
    pub(crate) handoffs: u64,
    pub(crate) last_began_ns: u64,
}

/// How the interpreter runs the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PyMode {
    Sequential,
    /// One `threading.Thread` per task; `Some(on)` sets `-X gil=1` or `-X gil=0` on a
    /// free-threaded build.
    Threads(Option<bool>),
    /// One `multiprocessing` process per task, by the interpreter's default start method.
    Processes,
}

impl PyMode {
    fn script_name(self) -> &'static str {
        match self {
            PyMode::Sequential => "sequential",
            PyMode::Threads(_) => "threads",
            PyMode::Processes => "processes",
        }
    }

    /// The name of its row.
    pub(crate) fn name(self) -> &'static str {
        match self {
            PyMode::Sequential => "sequential",
            PyMode::Threads(None) => "threads",
            PyMode::Threads(Some(true)) => "threads gil=1",
            PyMode::Threads(Some(false)) => "threads gil=0",
            PyMode::Processes => "processes",
        }
    }
}

/// The work of one run: the same shape as the model's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyWork {
    pub(crate) tasks: usize,
    pub(crate) units: u64,
    pub(crate) seed: u64,
    pub(crate) step_units: u64,
    pub(crate) io_wait: Option<Duration>,
}

impl PyWork {
    /// One task's time where a unit costs `ns_per_unit`, its I/O waits included.
    pub(crate) fn task_time(&self, ns_per_unit: f64) -> Duration {
        let steps = self.units.div_ceil(self.step_units.max(1));
        let waits = self.io_wait.unwrap_or_default().as_secs_f64() * steps as f64;
        Duration::from_secs_f64(self.units as f64 * ns_per_unit / 1e9 + waits)
    }
}

/// One measured run of the interpreter.
#[derive(Debug, Clone)]
pub(crate) struct PyRun {
    /// The work's wall time inside the interpreter (processes' start included), and the
    /// checksum it printed.
    pub(crate) run: super::Run,
    /// The interpreter's own start and exit: the whole run less the work.
    pub(crate) startup: Duration,
    /// Times the running thread changed between two steps.
    pub(crate) handoffs: u64,
    /// When the last task began, after the work's start: for processes, their start.
    pub(crate) last_began: Duration,
}

/// A Python interpreter checked and ready, with conpar's script written for it.
#[derive(Debug)]
pub(crate) struct Interpreter {
    pub(crate) executable: PathBuf,
    pub(crate) facts: Facts,
    script: tempfile::TempPath,
}

/// The program a Python is named by: a path as given, or a name looked up on `PATH`; bad
/// input where there is none, it is a directory or it cannot be executed.
pub(crate) fn locate(given: &Path) -> Result<PathBuf, UsageError> {
    let found = if given.components().count() > 1 || given.is_absolute() {
        Some(given.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(given))
                .find(|candidate| candidate.is_file())
        })
    };
    let Some(path) = found else {
        return Err(UsageError(format!(
            "{}: no such program on PATH",
            given.display()
        )));
    };
    let meta =
        std::fs::metadata(&path).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if meta.is_dir() {
        return Err(UsageError(format!(
            "{}: is a directory, not a Python interpreter",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 == 0 {
            return Err(UsageError(format!("{}: is not executable", path.display())));
        }
    }
    Ok(path)
}

/// How long a check of the interpreter may take at most in CPU time, and its waits.
const CHECK: Duration = Duration::from_secs(10);

impl Interpreter {
    /// The interpreter `given` names (see [`locate`]), checked and ready; bad input says which
    /// program and why ("python9: no such program on PATH").
    pub(crate) fn find(given: &Path) -> anyhow::Result<Interpreter> {
        Interpreter::open(&locate(given)?)
    }

    /// The interpreter `--python` names: as [`Interpreter::find`], with bad input said of the
    /// flag ("--python python9: no such program on PATH").
    pub(crate) fn named(given: &Path) -> anyhow::Result<Interpreter> {
        Interpreter::find(given).map_err(|e| match e.downcast::<UsageError>() {
            Ok(UsageError(why)) => UsageError(format!("--python {why}")).into(),
            Err(e) => e,
        })
    }

    /// Checks that `executable` is a Python of at least [`MIN_VERSION`] (bad input if not),
    /// writes the script for it and asks it what it is.
    pub(crate) fn open(executable: &Path) -> anyhow::Result<Interpreter> {
        // Asked in a way Python 2 understands too, without site (which a hostile one could
        // hook), so that any Python answers with its version.
        let probe = [
            "-E",
            "-s",
            "-S",
            "-c",
            "import sys; sys.stdout.write('%d.%d.%d\\n%s' % (tuple(sys.version_info[:3]) + (sys.executable,)))",
        ];
        let mut children = start(executable, &probe.map(OsString::from))
            .map_err(|e| UsageError(format!("{}: cannot run it: {e}", executable.display())))?;
        let answer = match finish(&mut children, CHECK) {
            Ok(answer) => answer,
            Err(e) if e.downcast_ref::<super::children::Stalled>().is_some() => {
                return Err(e.context(format!(
                    "{} did not answer when asked for its version",
                    executable.display()
                )));
            }
            Err(e) => {
                return Err(UsageError(format!(
                    "{}: not a Python interpreter (asked for its version, it failed: {e:#})",
                    executable.display()
                ))
                .into());
            }
        };
        let mut lines = answer.lines();
        let version = parse_version(lines.next().unwrap_or("")).ok_or_else(|| {
            UsageError(format!(
                "{}: not a Python interpreter (asked for its version, it answered {:?})",
                executable.display(),
                first_line(&answer)
            ))
        })?;
        if (version.0, version.1) < MIN_VERSION {
            return Err(UsageError(format!(
                "{}: Python {}.{}.{} is too old: conpar needs {}.{} or newer",
                executable.display(),
                version.0,
                version.1,
                version.2,
                MIN_VERSION.0,
                MIN_VERSION.1
            ))
            .into());
        }
        // Run the interpreter itself from here on, not a launcher (pyenv's shim) that costs a
        // start of its own each time.
        let itself = lines.next().map(PathBuf::from);
        let executable = match itself {
            Some(itself) if itself.is_absolute() && itself.is_file() => itself,
            _ => executable.to_path_buf(),
        };
        let script = write_script()?;
        let info = run_to_end(
            &executable,
            &script_args(&script, &[], &["info"]),
            CHECK,
            false,
        )
        .with_context(|| format!("{} could not describe itself", executable.display()))?;
        let facts: Facts = serde_json::from_str(info.trim()).with_context(|| {
            format!(
                "{} printed what conpar's script does not print: {:?}",
                executable.display(),
                first_line(&info)
            )
        })?;
        if !(facts.ns_per_unit.is_finite() && facts.ns_per_unit > 0.0) {
            bail!(
                "{} measured its kernel at {} ns per unit",
                executable.display(),
                facts.ns_per_unit
            );
        }
        let interpreter = Interpreter {
            executable,
            facts,
            script,
        };
        Ok(interpreter)
    }

    /// The interpreter's arguments for its script: see [`script_args`].
    fn args(&self, options: &[&str], tail: &[&str]) -> Vec<OsString> {
        script_args(&self.script, options, tail)
    }

    /// Units of the script's kernel that take about `time` in this interpreter.
    pub(crate) fn units_for(&self, time: Duration) -> u64 {
        ((time.as_nanos() as f64 / self.facts.ns_per_unit).round() as u64).max(1)
    }

    /// Runs `work` once in `mode`, timed inside and out.
    pub(crate) fn run(&self, mode: PyMode, work: &PyWork) -> anyhow::Result<PyRun> {
        let options: &[&str] = match mode {
            PyMode::Threads(Some(true)) => &["gil=1"],
            PyMode::Threads(Some(false)) => &["gil=0"],
            _ => &[],
        };
        let numbers = [
            work.tasks.to_string(),
            work.units.to_string(),
            work.seed.to_string(),
            work.step_units.to_string(),
            work.io_wait.map_or(0, |w| w.as_nanos()).to_string(),
        ];
        let mut tail = vec!["run", mode.script_name()];
        tail.extend(numbers.iter().map(String::as_str));
        tail.push(&self.facts.start_method);
        // The work as the model estimates it, at this interpreter's speed, waits included.
        let expected = work
            .task_time(self.facts.ns_per_unit)
            .mul_f64(work.tasks as f64);
        let started = Instant::now();
        let out = run_to_end(&self.executable, &self.args(options, &tail), expected, true)
            .with_context(|| {
                format!(
                    "CPython ({}) failed in its {} run",
                    self.executable.display(),
                    mode.name()
                )
            })?;
        let outside = started.elapsed();
        let printed: Printed = serde_json::from_str(out.trim()).with_context(|| {
            format!(
                "CPython ({}) printed what conpar's script does not print: {:?}",
                self.executable.display(),
                first_line(&out)
            )
        })?;
        let checksum = u64::from_str_radix(&printed.checksum, 16)
            .with_context(|| format!("CPython printed a checksum of {:?}", printed.checksum))?;
        let wall = Duration::from_nanos(printed.wall_ns);
        Ok(PyRun {
            run: super::Run {
                wall,
                checksum,
                slices: Vec::new(),
                context_switches: None,
            },
            startup: outside.saturating_sub(wall),
            handoffs: printed.handoffs,
            last_began: Duration::from_nanos(printed.last_began_ns),
        })
    }
}

/// Writes the script to a private temporary file, removed when the returned path is dropped
/// (and on Ctrl-C).
fn write_script() -> anyhow::Result<tempfile::TempPath> {
    let mut file = tempfile::Builder::new()
        .prefix("conpar-")
        .suffix(".py")
        .tempfile()
        .context("cannot write conpar's Python script to a temporary file")?;
    crate::interrupt::register_temp_file(file.path());
    file.write_all(SCRIPT.as_bytes())
        .and_then(|()| file.flush())
        .context("cannot write conpar's Python script to a temporary file")?;
    Ok(file.into_temp_path())
}

impl Drop for Interpreter {
    fn drop(&mut self) {
        crate::interrupt::forget_temp_file(&self.script);
    }
}

/// Runs `program` with `args`, watched like a worker whose work takes about `expected`, and
/// returns its stdout; fails, quoting the first line of its stderr, where it fails. A run
/// that is measured (`shown_live`) is sampled by `--live` as one lane until its slices come.
fn run_to_end(
    program: &Path,
    args: &[OsString],
    expected: Duration,
    shown_live: bool,
) -> anyhow::Result<String> {
    let mut children =
        start(program, args).with_context(|| format!("cannot start {}", program.display()))?;
    if shown_live {
        children.show_live();
    }
    finish(&mut children, expected)
}

/// Starts `program` with `args` as a child of conpar's, registered for clean-up, in a
/// process group of its own.
fn start(program: &Path, args: &[OsString]) -> std::io::Result<Reaper> {
    let mut command = Command::new(program);
    command
        .args(args)
        .env("CONPAR_PARENT", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut children = Reaper::default();
    children.spawn(&mut command)?;
    Ok(children)
}

/// Reads the child's stdout to its end, watched like a worker whose work takes about
/// `expected`.
fn finish(children: &mut Reaper, expected: Duration) -> anyhow::Result<String> {
    // The interpreter waits for its processes as they compute: its own CPU time may stand
    // still for the whole of the work.
    let watch = Watch::new(expected, 1, expected.saturating_mul(2));
    let mut stdouts = super::children::collect(children, &watch)?;
    Ok(stdouts.pop().unwrap_or_default())
}

/// "3.11.7" as (3, 11, 7).
fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.trim().split('.').map(|p| p.parse::<u32>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// The interpreter's arguments: isolated mode without `site` (the script needs only the
/// standard library, and a site's `.pth` files can cost more than the work), `-X` options,
/// the script, then `tail`.
fn script_args(script: &Path, options: &[&str], tail: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["-I".into(), "-S".into()];
    for option in options {
        args.push("-X".into());
        args.push((*option).into());
    }
    args.push(script.as_os_str().to_owned());
    args.extend(tail.iter().map(OsString::from));
    args
}

fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("");
    &line[..line.len().min(200)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_checksum_of_a_real_run_is_known() {
        // Printed by `python3 -I script.py run threads 2 200000 1 1000 0 fork` (3.11.7).
        assert_eq!(checksum(1, 2, 200_000), 0x3b6f_4f1b_abcb_4b3f);
    }

    #[test]
    fn versions_are_read_strictly() {
        assert_eq!(parse_version("3.11.7"), Some((3, 11, 7)));
        assert_eq!(parse_version("2.7.18\n"), Some((2, 7, 18)));
        for bad in ["", "3.11", "3.11.7.1", "Python 3.11.7", "x.y.z"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_missing_or_unfit_program_is_bad_input() {
        let missing = locate(Path::new("/nonexistent/python3")).unwrap_err();
        assert!(missing.0.contains("/nonexistent/python3"), "{missing}");
        let dir = locate(Path::new("/tmp")).unwrap_err();
        assert!(dir.0.contains("is a directory"), "{dir}");
        let nowhere = locate(Path::new("no-such-python-anywhere")).unwrap_err();
        assert!(nowhere.0.contains("no such program on PATH"), "{nowhere}");
    }

    /// The script's kernel, step by step as Python runs it, for a few units.
    fn python_like(seed: u64, tasks: usize, units: u64) -> u64 {
        let mask = u128::from(u64::MAX);
        let mut combined = 0u64;
        for task in 0..tasks as u128 {
            let mut x = (u128::from(seed) ^ ((task + 1) * u128::from(GOLDEN))) & mask;
            for _ in 0..units {
                x = (x * u128::from(MULTIPLIER) + u128::from(INCREMENT)) & mask;
            }
            combined ^= x as u64;
        }
        combined
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The Rust kernel is the Python one: masked big-integer arithmetic, as the script
        /// does it, gives the same checksum.
        #[test]
        fn the_checksum_is_the_scripts(seed in any::<u64>(), tasks in 1usize..5, units in 0u64..500) {
            prop_assert_eq!(checksum(seed, tasks, units), python_like(seed, tasks, units));
        }
    }

    /// The real interpreter agrees with the Rust kernel over random sizes, in every mode:
    /// where a `python3` of 3.8 or newer is on `PATH` (the test says when it did not run).
    /// One that is there and new enough must describe itself: a broken `script.py info` fails
    /// here rather than passing as "no python3".
    #[test]
    fn a_real_python_prints_the_rust_checksum() {
        let Ok(path) = locate(Path::new("python3")) else {
            eprintln!("skipped: no python3 on PATH");
            return;
        };
        let interpreter = match Interpreter::open(&path) {
            Ok(interpreter) => interpreter,
            Err(e) if e.to_string().contains("is too old") => {
                eprintln!("skipped: {e}");
                return;
            }
            Err(e) => panic!("{} could not be used: {e:#}", path.display()),
        };
        // Sizes drawn from a fixed xorshift sequence: random, and the same every run.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        for _ in 0..4 {
            let work = PyWork {
                tasks: 1 + next(3) as usize,
                units: next(5_000),
                seed: next(u64::MAX),
                step_units: 1 + next(700),
                io_wait: None,
            };
            for mode in [PyMode::Sequential, PyMode::Threads(None), PyMode::Processes] {
                let run = interpreter.run(mode, &work).expect("the interpreter runs");
                assert_eq!(
                    run.run.checksum,
                    checksum(work.seed, work.tasks, work.units),
                    "{mode:?} {work:?}"
                );
            }
        }
    }
}
