//! conpar in a hostile environment: too little memory for its threads, a worker process that
//! stops, stderr on a full disk or a closed pipe, an inherited "ignore SIGHUP", bad input on
//! the hidden worker subcommand. Each test asserts the exit code, the message, that nothing
//! hangs (every wait is bounded, and a hang fails the test), and that no process or file is
//! left behind. Worker processes killed at start-up, parent and all, are in `tests/orphans.rs`.

#![cfg(target_os = "linux")]

use crate::common;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const CONPAR: &str = env!("CARGO_BIN_EXE_conpar");

/// Longest any run here may take before it counts as hung: generous for a debug build on one
/// loaded CPU, far below "for ever".
const HANG: Duration = Duration::from_secs(60);

/// What a finished run left.
struct Outcome {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Reads a child's stdout and stderr on threads of their own, so a full pipe never blocks it.
fn readers(child: &mut Child) -> [std::thread::JoinHandle<String>; 2] {
    fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    }
    [
        read_all(child.stdout.take().expect("piped stdout")),
        read_all(child.stderr.take().expect("piped stderr")),
    ]
}

/// Runs `command` (stdout and stderr piped) to its end, failing the test if it hangs.
fn run_bounded(mut command: Command, what: &str) -> Outcome {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let [out, err] = readers(&mut child);
    let status = common::wait_bounded(&mut child, HANG, what);
    Outcome {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// `sh -c 'ulimit -v <kib>; exec conpar -q <args>'` in the empty directory `dir`.
fn under_memory_limit(kib: u64, args: &str, dir: &std::path::Path) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" -q {args}"))
        .arg(CONPAR)
        .current_dir(dir);
    command
}

/// Asserts the refusal of a run that needs more threads than the memory limit allows: exit 1,
/// one `error:` line naming what could not be created, no panic, nothing on stdout.
fn assert_clean_failure(outcome: &Outcome, what: &str) {
    let lines: Vec<&str> = outcome.stderr.lines().collect();
    assert_eq!(
        outcome.status.code(),
        Some(1),
        "{what}: {:?}\nstderr: {}",
        outcome.status,
        outcome.stderr
    );
    assert_eq!(
        lines.len(),
        1,
        "{what}: not one stderr line:\n{}",
        outcome.stderr
    );
    assert!(lines[0].starts_with("error: "), "{what}: {}", lines[0]);
    assert!(
        lines[0].contains("cannot create") || lines[0].contains("cannot start"),
        "{what}: the message does not say what could not be created: {}",
        lines[0]
    );
    assert!(
        !outcome.stderr.contains("panicked"),
        "{what}: {}",
        outcome.stderr
    );
    assert!(outcome.stdout.is_empty(), "{what}: {}", outcome.stdout);
}

#[test]
fn too_little_memory_for_the_threads_is_exit_1_with_one_message_never_a_hang() {
    // Each needs far more than 200 MB of thread stacks (2 MiB each): at least 256 threads.
    let runs = [
        "race --threads 1024 --iterations 100 --runs 1",
        "parallel --tasks 4096 --units 100 --runs 1 --warmup 0",
        "parallel --tasks 2 --threads 1024 --units 100 --runs 1 --warmup 0",
        "interleave --tasks 256 --units 100 --runs 1 --warmup 0",
        "gil-sim --threads 256 --units 1000 --runs 1 --warmup 0",
    ];
    for args in runs {
        let dir = tempfile::tempdir().unwrap();
        let outcome = run_bounded(under_memory_limit(200_000, args, dir.path()), args);
        assert_clean_failure(&outcome, args);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{args}");
    }
    // Wherever the limit falls, the tour either runs or fails in the same clean way.
    for kib in [30_000, 60_000, 120_000, 200_000] {
        let dir = tempfile::tempdir().unwrap();
        let outcome = run_bounded(under_memory_limit(kib, "tour --quick", dir.path()), "tour");
        if !outcome.status.success() {
            assert_clean_failure(&outcome, &format!("tour --quick under ulimit -v {kib}"));
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

#[test]
fn a_stopped_worker_fails_the_run_in_bounded_time_and_leaves_no_process() {
    let mut conpar = Command::new(CONPAR)
        .args([
            "gil-sim",
            "--processes",
            "--threads",
            "2",
            "--task-time",
            "500ms",
        ])
        .args(["--runs", "1", "--warmup", "0", "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let [out, err] = readers(&mut conpar);
    let workers = common::wait_for_workers(&mut conpar, 2, HANG);
    kill(
        Pid::from_raw(i32::try_from(workers[0]).unwrap()),
        Signal::SIGSTOP,
    )
    .unwrap();
    let status = common::wait_bounded(&mut conpar, HANG, "conpar with a stopped worker");
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    assert_eq!(status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("is stopped"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    common::assert_gone(&workers, "after a stopped worker");
}

/// A run with two worker processes (after a sequential pass of about a second).
const WITH_WORKERS: &[&str] = &[
    "gil-sim",
    "--processes",
    "--threads",
    "2",
    "--task-time",
    "500ms",
    "--runs",
    "1",
    "--warmup",
    "0",
    "-q",
];

/// A run of threads only, for several seconds: nothing fails when it is interrupted, so only
/// the handler can end it early.
const THREADS_ONLY: &[&str] = &[
    "parallel",
    "--tasks",
    "2",
    "--task-time",
    "2s",
    "--runs",
    "1",
    "--warmup",
    "0",
    "-q",
];

/// Starts conpar with `args` (stderr as given), waits until its signal handler runs (a second
/// thread exists) and, for [`WITH_WORKERS`], its workers; sends `signal` and returns how
/// conpar ended, after checking that every worker is gone.
fn interrupt_run(args: &[&str], stderr: Stdio, signal: Signal) -> ExitStatus {
    let mut conpar = Command::new(CONPAR)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_dir(format!("/proc/{}/task", conpar.id()))
        .map_or(0, std::iter::Iterator::count)
        < 2
    {
        assert!(start.elapsed() < HANG, "the signal handler never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    let workers = if args == WITH_WORKERS {
        common::wait_for_workers(&mut conpar, 2, HANG)
    } else {
        Vec::new()
    };
    kill(Pid::from_raw(i32::try_from(conpar.id()).unwrap()), signal).unwrap();
    let status = common::wait_bounded(&mut conpar, Duration::from_secs(10), "interrupted conpar");
    common::assert_gone(&workers, "after the interrupt");
    status
}

#[test]
fn an_interrupt_ends_the_run_with_130_whatever_stderr_is() {
    for args in [THREADS_ONLY, WITH_WORKERS] {
        for signal in [Signal::SIGINT, Signal::SIGTERM] {
            let what = format!("{signal:?} to {}", args[0]);
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            let status = interrupt_run(args, Stdio::from(full), signal);
            assert_eq!(status.code(), Some(130), "{what}, stderr on /dev/full");

            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let status = interrupt_run(args, Stdio::from(writer), signal);
            assert_eq!(status.code(), Some(130), "{what}, stderr a closed pipe");
        }
    }
}

/// Is SIGHUP ignored by this test process (so that no child could catch it)?
fn sighup_ignored_here() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .map(|m| u64::from_str_radix(m.trim(), 16).unwrap())
        .unwrap();
    mask & 1 != 0
}

#[test]
fn an_inherited_ignore_of_sighup_is_respected() {
    // `trap '' HUP` as nohup does it; the hang-up goes to the whole process group, workers
    // included, as a terminal's would.
    let mut conpar = Command::new("sh")
        .arg("-c")
        .arg("trap '' HUP; exec \"$0\" gil-sim --processes --threads 2 --task-time 500ms --runs 1 --warmup 0 -q --format json")
        .arg(CONPAR)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let [out, err] = readers(&mut conpar);
    let workers = common::wait_for_workers(&mut conpar, 2, HANG);
    kill(
        Pid::from_raw(-i32::try_from(conpar.id()).unwrap()),
        Signal::SIGHUP,
    )
    .unwrap();
    let status = common::wait_bounded(&mut conpar, HANG, "conpar ignoring SIGHUP");
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a whole JSON report");
    assert_eq!(report["demo"], "gil-sim");
    common::assert_gone(&workers, "after the run");

    // Not ignored, a hang-up interrupts like Ctrl-C (unless whoever runs the tests ignores
    // SIGHUP themselves: then no child of theirs could catch it).
    if !sighup_ignored_here() {
        let status = interrupt_run(WITH_WORKERS, Stdio::null(), Signal::SIGHUP);
        assert_eq!(status.code(), Some(130));
    }
}

use std::os::unix::process::CommandExt;

#[test]
fn bad_input_to_the_hidden_workers_is_exit_2() {
    // A well-formed worker's arguments, to which each case adds one bad one.
    const WORKER: &str = "worker --task=0 --units=10 --seed=1 --chunk-units=1";
    const YIELDER: &str = "yield-worker --cpu=0 --budget-us=1000";
    let cases = [
        // Once aborted allocating room for 99999999999 tasks.
        "worker --task=99999999999 --units=10 --seed=1 --chunk-units=1 --gil".to_string(),
        "worker --task=99999999999 --units=10 --seed=1 --chunk-units=1".to_string(),
        "worker --task=18446744073709551615 --units=10 --seed=1 --chunk-units=1".to_string(),
        "worker --task=0 --units=0 --seed=1 --chunk-units=1".to_string(),
        "worker --task=0 --units=10 --seed=1 --chunk-units=0".to_string(),
        "worker --task=0 --units=10000000000000 --seed=1 --chunk-units=1".to_string(),
        format!("{WORKER} --gil --io-wait-ns=99999999999999"),
        format!("{WORKER} --wait-every-units=0 --pause-ns=1"),
        format!("{WORKER} --cpu=-1"),
        format!("{WORKER} --parent=0"),
        format!("{YIELDER} --rounds=0"),
        format!("{YIELDER} --rounds=99999999999999"),
        "yield-worker --cpu=0 --rounds=1 --budget-us=0".to_string(),
        "yield-worker --cpu=0 --rounds=1 --budget-us=99999999999".to_string(),
        // Malformed: what no parent builds.
        "worker".to_string(),
        "worker --help".to_string(),
        "yield-worker --cpu=0 --budget-us=1000".to_string(),
        "yield-worker --cpu=0 --rounds=1".to_string(),
        format!("{YIELDER} --rounds=1 --rounds=2"),
        format!("{YIELDER} --rounds 1"),
        format!("{YIELDER} --rounds=1 --seed=1"),
        "yield-worker --cpu=x --rounds=1 --budget-us=1000".to_string(),
        format!("{WORKER} --gil=1"),
        format!("{WORKER} --io-wait-ns=1"),
        format!("{WORKER} --wait-every-units=1"),
    ];
    for args in &cases {
        let mut cmd = common::conpar();
        cmd.args(args.split_whitespace());
        common::refused(&mut cmd, 2);
    }
    // A worker whose parent is not the one it was told of stops at once, before any work.
    let outcome = run_bounded(
        {
            let mut c = Command::new(CONPAR);
            c.args(["worker", "--task=0", "--units=1000000000000", "--seed=1"])
                .args(["--chunk-units=256", "--parent=1"]);
            c
        },
        "an orphaned worker",
    );
    assert_eq!(outcome.status.code(), Some(1), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("is gone"), "{}", outcome.stderr);
    assert!(outcome.stdout.is_empty());
}
