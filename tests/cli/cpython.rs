//! `gil-sim --python`: real CPython beside the model where one is installed, and every fault
//! of the interpreter named, with fake interpreters (small shell scripts that answer as a
//! Python would, then crash, hang or babble): one line and exit 2 for what is not a usable
//! Python, one line and exit 1 for one that fails at run time, and never a child process or a
//! temporary file left behind.

use crate::common;

use common::{array, conpar, number, string};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Small work, so that the real interpreter's runs stay short.
const WORK: &[&str] = &["--task-time", "5ms", "--runs", "2", "--warmup", "0", "-q"];

/// A fake interpreter in `dir`: answers the version probe with `version`, `info` with
/// `info` (a JSON line), and a run with `run` (shell code).
fn fake(dir: &Path, version: &str, info: &str, run: &str) -> PathBuf {
    let path = dir.join("python3");
    let script = format!(
        "#!/bin/sh\n\
         case \"$1\" in\n\
         -E) printf '%s' '{version}' ;;\n\
         -I) if [ \"$4\" = info ]; then echo '{info}'; else {run}; fi ;;\n\
         esac\n"
    );
    std::fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

const INFO: &str = r#"{"executable": "", "version": "3.11.0", "implementation": "CPython", "free_threaded": false, "gil_enabled": true, "start_method": "fork", "ns_per_unit": 50.0}"#;

/// Runs `gil-sim --python <python>` with its temporary files in `tmp`.
fn gil_sim(python: &Path, tmp: &Path, extra: &[&str]) -> Output {
    conpar()
        .arg("gil-sim")
        .args(WORK)
        .args(extra)
        .arg("--python")
        .arg(python)
        .env("TMPDIR", tmp)
        .output()
        .expect("conpar runs")
}

/// One `error:` line on stderr, exit `code`, nothing on stdout, and nothing left in `tmp`.
fn refused(output: &Output, code: i32, tmp: &Path, says: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(says), "{stderr} does not say {says:?}");
    assert!(output.stdout.is_empty());
    let left: Vec<_> = std::fs::read_dir(tmp).unwrap().collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn what_is_not_a_usable_python_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let older = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            PathBuf::from("/nonexistent/python3"),
            "error: --python /nonexistent/python3: ",
        ),
        (dir.path().to_path_buf(), "is a directory"),
        (
            PathBuf::from("no-such-python-on-any-path"),
            "no such program on PATH",
        ),
        (
            fake(dir.path(), "2.7.18", INFO, "true"),
            "Python 2.7.18 is too old",
        ),
        (
            fake(older.path(), "3.7.16", INFO, "true"),
            "Python 3.7.16 is too old",
        ),
    ];
    for (python, says) in &cases {
        refused(&gil_sim(python, tmp.path(), &[]), 2, tmp.path(), says);
    }
    let babbler = fake(dir.path(), "hello", INFO, "true");
    refused(
        &gil_sim(&babbler, tmp.path(), &[]),
        2,
        tmp.path(),
        "not a Python interpreter",
    );
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "not a program").unwrap();
    refused(
        &gil_sim(&plain, tmp.path(), &[]),
        2,
        tmp.path(),
        "not executable",
    );
}

#[test]
fn an_interpreter_that_fails_at_run_time_is_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let crash = fake(
        dir.path(),
        "3.11.0",
        INFO,
        "echo 'Traceback (most recent call last):' >&2; exit 1",
    );
    refused(
        &gil_sim(&crash, tmp.path(), &[]),
        1,
        tmp.path(),
        "Traceback",
    );
    let garbage = fake(dir.path(), "3.11.0", INFO, "echo 'no JSON here'");
    refused(
        &gil_sim(&garbage, tmp.path(), &[]),
        1,
        tmp.path(),
        "does not print",
    );
    let killed = fake(dir.path(), "3.11.0", INFO, "kill -9 $$");
    refused(&gil_sim(&killed, tmp.path(), &[]), 1, tmp.path(), "failed");
    let bad_info = fake(dir.path(), "3.11.0", "{}", "true");
    refused(
        &gil_sim(&bad_info, tmp.path(), &[]),
        1,
        tmp.path(),
        "does not print",
    );
}

#[test]
fn an_interpreter_that_hangs_is_caught_and_killed_with_what_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // The interpreter starts a process that hangs, and waits for it: both must go.
    let hang = fake(dir.path(), "3.11.0", INFO, "sleep 3600");
    let marker = format!("{}-{:?}", std::process::id(), std::time::SystemTime::now());
    let output = conpar()
        .arg("gil-sim")
        .args(WORK)
        .arg("--python")
        .arg(&hang)
        .env("TMPDIR", tmp.path())
        .env("CONPAR_TEST_MARKER", &marker)
        .output()
        .expect("conpar runs");
    refused(&output, 1, tmp.path(), "is hung");
    let left = carrying(&marker);
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// The processes whose environment holds `marker`: every process conpar started, and every
/// one those started, carries it.
fn carrying(marker: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|p| {
            std::fs::read(p.path().join("environ"))
                .is_ok_and(|env| String::from_utf8_lossy(&env).contains(marker))
        })
        .filter_map(|p| p.file_name().to_string_lossy().parse().ok())
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_during_an_interpreter_run_exits_130_and_leaves_nothing() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let hang = fake(dir.path(), "3.11.0", INFO, "sleep 3600");
    let marker = format!(
        "{}-{:?}-int",
        std::process::id(),
        std::time::SystemTime::now()
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_conpar"))
        .arg("gil-sim")
        .args(WORK)
        .arg("--python")
        .arg(&hang)
        .env("TMPDIR", tmp.path())
        .env("CONPAR_TEST_MARKER", &marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("conpar runs");
    // conpar, the fake interpreter and its sleep: the run is under way.
    let deadline = Instant::now() + Duration::from_secs(60);
    while carrying(&marker).len() < 3 {
        assert!(Instant::now() < deadline, "the interpreter never started");
        assert!(child.try_wait().unwrap().is_none(), "conpar ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    kill(
        Pid::from_raw(i32::try_from(child.id()).unwrap()),
        Signal::SIGINT,
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let left = carrying(&marker);
    assert!(left.is_empty(), "processes left behind: {left:?}");
    let files: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(files.is_empty(), "temporary files left: {files:?}");
}

/// The `python3` on PATH, where there is one that conpar accepts.
fn real_python() -> Option<PathBuf> {
    let found = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.version_info >= (3, 8))"])
        .output()
        .ok()?;
    (String::from_utf8_lossy(&found.stdout).trim() == "True").then(|| PathBuf::from("python3"))
}

#[test]
fn real_cpython_runs_beside_the_model_and_does_all_the_work() {
    let Some(python) = real_python() else {
        eprintln!("skipped: no python3 of 3.8 or newer on PATH");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // A hostile environment changes nothing: the interpreter runs isolated.
    let hostile = tempfile::tempdir().unwrap();
    std::fs::write(
        hostile.path().join("sitecustomize.py"),
        "raise SystemExit('sitecustomize ran')\n",
    )
    .unwrap();
    let output = conpar()
        .arg("gil-sim")
        .args(WORK)
        .args(["--format", "json", "--python"])
        .arg(&python)
        .env("TMPDIR", tmp.path())
        .env("PYTHONPATH", hostile.path())
        .env("PYTHONHOME", hostile.path().join("no-such-home"))
        .env("PYTHONSTARTUP", hostile.path().join("sitecustomize.py"))
        .output()
        .expect("conpar runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let cpython = &report["cpython"];
    assert!(string(cpython, "version").starts_with('3'), "{cpython:#}");
    assert!(
        ["fork", "forkserver", "spawn"].contains(&string(cpython, "start_method")),
        "{cpython:#}"
    );
    assert!(number(cpython, "startup_ms") > 0.0, "{cpython:#}");
    let modes: Vec<&str> = array(cpython, "results")
        .iter()
        .map(|r| string(r, "mode"))
        .collect();
    assert_eq!(modes[0], "sequential", "{cpython:#}");
    assert!(modes.contains(&"processes"), "{cpython:#}");
    for row in array(cpython, "results") {
        // Python did all the work: its checksum is the one conpar computes in Rust.
        assert_eq!(row["checksum_ok"], true, "{row:#}");
    }
    let claims: Vec<&Value> = array(&report, "claims")
        .iter()
        .filter(|c| c["id"] == "gil.model_matches_cpython")
        .collect();
    assert!(!claims.is_empty(), "{report:#}");
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "the script is removed"
    );
}

#[test]
fn the_tour_refuses_a_named_python_before_any_work_and_answers_without_one_it_cannot_find() {
    let tmp = tempfile::tempdir().unwrap();
    let output = conpar()
        .args(["tour", "--quick", "-q", "--python", "/nonexistent/python3"])
        .env("TMPDIR", tmp.path())
        .output()
        .expect("conpar runs");
    refused(&output, 2, tmp.path(), "/nonexistent/python3");
    let both = conpar()
        .args(["tour", "--quick", "--python", "python3", "--no-python"])
        .output()
        .expect("conpar runs");
    assert_eq!(both.status.code(), Some(2));

    // No python3 on PATH: the tour says so in one line and answers from the model alone.
    let empty = tempfile::tempdir().unwrap();
    let output = conpar()
        .args(["tour", "--quick", "-q", "--format", "json"])
        .env("PATH", empty.path())
        .env("TMPDIR", tmp.path())
        .output()
        .expect("conpar runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tour: Value = serde_json::from_slice(&output.stdout).unwrap();
    let gil = array(&tour, "sections")
        .iter()
        .find(|s| s["topic"] == "the GIL")
        .expect("the GIL section");
    let said: Vec<&str> = array(gil, "answer")
        .iter()
        .filter_map(Value::as_str)
        .filter(|a| a.contains("No real Python"))
        .collect();
    assert_eq!(said.len(), 1, "{gil:#}");
    assert!(said[0].contains("no such program on PATH"), "{}", said[0]);
    // No flag named it, so none is quoted.
    assert!(!said[0].contains("--python"), "{}", said[0]);
    assert!(array(gil, "reports")[0]["cpython"].is_null(), "{gil:#}");
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
}

#[test]
fn a_free_threaded_build_runs_its_threads_with_the_gil_on_and_off() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let log = dir.path().join("args.log");
    // Answers as a free-threaded 3.13 would, and logs how each run was started.
    let info = INFO
        .replace(r#""free_threaded": false"#, r#""free_threaded": true"#)
        .replace(r#""gil_enabled": true"#, r#""gil_enabled": false"#);
    let python = dir.path().join("python3.13t");
    std::fs::write(
        &python,
        format!(
            "#!/bin/sh\n\
             case \"$1\" in\n\
             -E) printf '%s' '3.13.0' ;;\n\
             -I) for a in \"$@\"; do [ \"$a\" = info ] && {{ echo '{info}'; exit 0; }}; done\n\
                 echo \"$*\" >> '{}'\n\
                 echo '{{\"wall_ns\": 20000000, \"checksum\": \"0\", \"handoffs\": 4, \"last_began_ns\": 1000, \"gil_enabled\": false}}' ;;\n\
             esac\n",
            log.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = conpar()
        .arg("gil-sim")
        .args(WORK)
        .args(["--format", "json", "--python"])
        .arg(&python)
        .env("TMPDIR", tmp.path())
        .output()
        .expect("conpar runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let cpython = &report["cpython"];
    assert_eq!(cpython["free_threaded"], true, "{cpython:#}");
    let modes: Vec<&str> = array(cpython, "results")
        .iter()
        .map(|r| string(r, "mode"))
        .collect();
    assert!(modes.contains(&"threads gil=1"), "{modes:?}");
    assert!(modes.contains(&"threads gil=0"), "{modes:?}");
    let started = std::fs::read_to_string(&log).unwrap();
    assert!(started.lines().any(|l| l.contains("-X gil=0")), "{started}");
    assert!(started.lines().any(|l| l.contains("-X gil=1")), "{started}");
    // The model's no-gil is set beside the build's threads without the GIL.
    let no_gil = array(&report, "claims")
        .iter()
        .find(|c| c["id"] == "gil.model_matches_cpython" && c["mode"] == "no-gil")
        .expect("a claim for no-gil");
    assert_eq!(
        no_gil["figures"]["cpython_mode"], "threads gil=0",
        "{no_gil:#}"
    );
}
