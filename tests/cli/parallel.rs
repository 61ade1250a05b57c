//! `conpar parallel` end to end: every format, the timeline, colour, a closed pipe, and the
//! refusal of bad input. Work is tiny and nothing asserts a time or a speedup, so the suite
//! passes on a machine with a single CPU.

use crate::common;

use common::{
    MODES, SMALL_WORK, affinity, array, conpar, first_field, json_of_cmd, number, parallel,
    refusal_problems, stdout_of, string, uint,
};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// The JSON report of `parallel --tasks <tasks>` with tiny work and `extra`.
fn report(tasks: usize, extra: &[&str]) -> Value {
    json_of_cmd(parallel(tasks, extra).args(["--format", "json"]))
}

/// Checks one JSON report of `parallel` with tiny work and `tasks` tasks.
// The baseline's speedup is its wall over itself: exactly 1.
#[allow(clippy::float_cmp)]
fn check_report(report: &Value, tasks: usize) {
    let ctx = format!("tasks={tasks}:\n{report:#}");
    assert_eq!(report["schema"], 1, "{ctx}");
    assert_eq!(report["demo"], "parallel", "{ctx}");

    let workload = &report["workload"];
    assert_eq!(uint(workload, "tasks"), tasks as u64, "{ctx}");
    assert_eq!(uint(workload, "units_per_task"), 2000, "{ctx}");
    assert_eq!(uint(workload, "seed"), 1, "{ctx}");
    assert_eq!(uint(workload, "runs"), 2, "{ctx}");
    assert_eq!(uint(workload, "warmup"), 0, "{ctx}");
    let checksum = string(workload, "expected_checksum");
    assert!(
        !checksum.is_empty() && checksum.chars().all(|c| c.is_ascii_hexdigit()),
        "{ctx}"
    );

    let mask = affinity(&report["machine"]);
    let results = array(report, "results");
    let modes: Vec<&str> = results.iter().map(|r| string(r, "mode")).collect();
    assert_eq!(modes, MODES, "{ctx}");
    for result in results {
        let mode = string(result, "mode");
        let ctx = format!("mode {mode}, {ctx}");
        assert!(uint(result, "threads") >= 1, "{ctx}");

        let cpus: Vec<u64> = array(result, "cpus_used")
            .iter()
            .map(|c| c.as_u64().expect("cpus_used holds CPU numbers"))
            .collect();
        // Where the OS reports the affinity mask it also tells the CPU a thread is on.
        if let Some(mask) = &mask {
            assert!(!cpus.is_empty(), "no CPU used: {ctx}");
            for cpu in &cpus {
                assert!(mask.contains(cpu), "CPU {cpu} not in {mask:?}: {ctx}");
            }
        }

        let wall = &result["wall_ms"];
        let (median, min, max) = (
            number(wall, "median"),
            number(wall, "min"),
            number(wall, "max"),
        );
        let samples = array(wall, "samples");
        // One sample per used round: --runs of them, or as many again where disturbed rounds
        // were kept rather than replaced.
        let rounds = &report["interference"]["rounds"];
        let used = common::uint(rounds, "measured") - common::uint(rounds, "replaced");
        assert_eq!(
            samples.len() as u64,
            used,
            "one sample per used round: {ctx}"
        );
        assert!((2..=4).contains(&samples.len()), "{ctx}");
        let metered = array(&result["interference"], "samples");
        let used_metered = metered.iter().filter(|s| s["used"] == true).count();
        assert_eq!(used_metered, samples.len(), "{ctx}");
        assert!(min <= median && median <= max, "{ctx}");
        for sample in samples {
            let sample = sample.as_f64().expect("samples are numbers");
            assert!(min <= sample && sample <= max, "{ctx}");
        }

        let speedup = number(result, "speedup");
        assert!(speedup > 0.0, "{ctx}");
        assert!(number(result, "efficiency") > 0.0, "{ctx}");
        if mode == "sequential" {
            assert_eq!(speedup, 1.0, "the baseline's speedup: {ctx}");
            assert_eq!(uint(result, "threads"), 1, "{ctx}");
        }
        if mode == "threads" {
            assert_eq!(uint(result, "threads"), tasks as u64, "one per task: {ctx}");
        }
        assert_eq!(result["checksum_ok"], true, "{ctx}");
    }

    let timeline = &report["timeline"];
    let runs = array(timeline, "runs");
    let run_modes: Vec<&str> = runs.iter().map(|r| string(r, "mode")).collect();
    assert_eq!(run_modes, MODES, "one timeline run per mode: {ctx}");
    for run in runs {
        assert!(uint(run, "run") < 2, "{ctx}");
    }
    let slices = array(timeline, "slices");
    assert!(!slices.is_empty(), "{ctx}");
    for slice in slices {
        let mode = string(slice, "mode");
        assert!(MODES.contains(&mode), "{slice}: {ctx}");
        assert!(!string(slice, "lane").is_empty(), "{slice}: {ctx}");
        assert!(uint(slice, "task") < tasks as u64, "{slice}: {ctx}");
        let (start, end) = (number(slice, "start_us"), number(slice, "end_us"));
        assert!(0.0 <= start && start <= end, "{slice}: {ctx}");
        let wall_us = runs
            .iter()
            .find(|r| r["mode"] == mode)
            .map(|r| number(r, "wall_us"))
            .unwrap();
        assert!(end <= wall_us, "slice ends after its run: {slice}: {ctx}");
    }
    // Every task runs at least one chunk in every mode.
    for mode in MODES {
        for task in 0..tasks as u64 {
            assert!(
                slices
                    .iter()
                    .any(|s| s["mode"] == mode && s["task"] == task),
                "task {task} has no slice in {mode}: {ctx}"
            );
        }
    }
}

#[test]
fn json_report_is_complete() {
    for tasks in 1..=3 {
        check_report(&report(tasks, &[]), tasks);
    }
}

#[test]
fn seed_sets_the_checksum() {
    let checksum = |seed: &str| {
        let r = report(2, &["--seed", seed]);
        assert_eq!(r["workload"]["seed"], seed.parse::<u64>().unwrap());
        assert!(
            array(&r, "results")
                .iter()
                .all(|m| m["checksum_ok"] == true)
        );
        string(&r["workload"], "expected_checksum").to_string()
    };
    let one = checksum("1");
    assert_eq!(one, checksum("1"), "same seed and units, same checksum");
    assert_ne!(one, checksum("2"), "another seed, another checksum");
}

#[test]
fn threads_sets_the_rayon_pool() {
    let r = report(2, &["--threads", "3"]);
    let rayon = array(&r, "results")
        .iter()
        .find(|m| m["mode"] == "rayon")
        .expect("a rayon row");
    assert_eq!(uint(rayon, "threads"), 3, "{r:#}");
}

#[test]
fn table_shows_every_mode_and_checksum() {
    for tasks in 1..=3 {
        let out = stdout_of(&mut parallel(tasks, &[]));
        let rows: Vec<&str> = out.lines().skip(1).take(3).collect();
        for (row, mode) in rows.iter().zip(MODES) {
            assert!(
                row.starts_with(mode),
                "tasks={tasks}, no {mode} row:\n{out}"
            );
            assert!(
                row.split_whitespace().any(|c| c == "true"),
                "tasks={tasks}, checksum not ok:\n{out}"
            );
        }
        assert!(!out.contains('\x1b'), "colour on a pipe:\n{out:?}");
    }
}

#[test]
fn csv_has_one_header_and_one_row_per_mode() {
    for tasks in 1..=3 {
        let out = stdout_of(&mut parallel(tasks, &["--format", "csv"]));
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("mode,threads,wall_ms_median"),
            "tasks={tasks}:\n{out}"
        );
        assert_eq!(lines.len(), 4, "tasks={tasks}:\n{out}");
        let modes: Vec<&str> = lines[1..].iter().map(|l| first_field(l)).collect();
        assert_eq!(modes, MODES, "tasks={tasks}:\n{out}");
        assert!(
            lines[1..].iter().all(|l| l.contains(",true")),
            "tasks={tasks}:\n{out}"
        );
    }
}

#[test]
fn markdown_has_a_table_of_the_modes() {
    for tasks in 1..=3 {
        let out = stdout_of(&mut parallel(tasks, &["--format", "markdown"]));
        let rows = common::markdown_rows(&out);
        assert_eq!(rows.len(), 3, "tasks={tasks}:\n{out}");
        for (row, mode) in rows.iter().zip(MODES) {
            assert!(row.starts_with(&format!("| {mode} |")), "{row}");
        }
    }
}

#[test]
fn timeline_fits_the_width() {
    let out = stdout_of(&mut parallel(3, &["--timeline", "--width", "60"]));
    let lanes = common::lane_lines(&out);
    assert!(!lanes.is_empty(), "no lane lines:\n{out}");
    for line in &lanes {
        assert_eq!(line.chars().count(), 60, "{line:?} in:\n{out}");
    }
    assert!(out.lines().any(|l| l.starts_with("legend:")), "{out}");
    for mode in MODES {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{mode}:"))),
            "no {mode} block:\n{out}"
        );
    }
}

#[test]
fn timeline_in_task_lanes() {
    let tasks = 3;
    let out = stdout_of(&mut parallel(
        tasks,
        &["--timeline", "--width", "60", "--lanes", "task"],
    ));
    let lanes = common::lane_lines(&out);
    // One lane per task in each mode's block.
    assert_eq!(lanes.len(), tasks * MODES.len(), "{out}");
    for line in &lanes {
        assert_eq!(line.chars().count(), 60, "{line:?} in:\n{out}");
        let label = line.split('|').next().unwrap().trim();
        assert!(
            label
                .strip_prefix("task")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n < tasks),
            "lane {label:?} is not task0..task{}:\n{out}",
            tasks - 1
        );
    }
    for task in 0..tasks {
        let label = format!("task{task} |");
        assert_eq!(
            lanes
                .iter()
                .filter(|l| l.trim_start().starts_with(&label))
                .count(),
            MODES.len(),
            "{label} in every mode:\n{out}"
        );
    }
    assert!(out.lines().any(|l| l.starts_with("legend:")), "{out}");
}

#[test]
fn no_timeline_without_the_flag() {
    let out = stdout_of(&mut parallel(2, &["--width", "60"]));
    assert!(common::lane_lines(&out).is_empty(), "{out}");
    assert!(!out.contains("legend:"), "{out}");
}

#[test]
fn colour_only_when_asked() {
    let never = stdout_of(&mut parallel(2, &["--color", "never"]));
    assert!(!never.contains('\x1b'), "--color never:\n{never:?}");

    let no_color = stdout_of(parallel(2, &[]).env("NO_COLOR", "1"));
    assert!(!no_color.contains('\x1b'), "NO_COLOR=1:\n{no_color:?}");

    let no_color_never = stdout_of(parallel(2, &["--color", "never"]).env("NO_COLOR", "1"));
    assert!(!no_color_never.contains('\x1b'), "{no_color_never:?}");

    let always = stdout_of(&mut parallel(2, &["--color", "always"]));
    assert!(always.contains('\x1b'), "--color always:\n{always:?}");
}

/// Spawns `conpar` with `args`, reads one line of stdout, closes the pipe and waits: the reader
/// having gone away is not a failure.
fn read_one_line_then_close(args: &[&str]) {
    let bin = assert_cmd::cargo::cargo_bin("conpar");
    let mut child = std::process::Command::new(bin)
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("conpar starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("one line of stdout");
    // The reader (and with it the pipe) is dropped here.
    assert_eq!(line.trim_end(), "{", "{args:?}");
    let output = child.wait_with_output().expect("conpar ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{args:?} after the reader left: {}\nstderr:\n{stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{args:?}:\n{stderr}");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    read_one_line_then_close(&[
        "parallel", "--units", "2000", "--runs", "2", "--warmup", "0", "--format", "json",
    ]);
}

#[test]
fn a_closed_pipe_with_more_output_than_the_pipe_holds() {
    // 2000 tasks make about a megabyte of JSON (a slice per task and mode), far more than a
    // pipe buffers, so the write really meets the closed pipe.
    read_one_line_then_close(&[
        "parallel", "--tasks", "2000", "--units", "1", "--runs", "1", "--warmup", "0", "--format",
        "json",
    ]);
}

/// Bad input: every one exits with 2 and one line on stderr, before any output.
const BAD_INPUT: &[&[&str]] = &[
    &["parallel", "--placement", "nowhere"],
    &["parallel", "--placement", ""],
    &["parallel", "--tasks", "0"],
    &["parallel", "--threads", "0"],
    &["parallel", "--units", "0"],
    &["parallel", "--runs", "0"],
    &["parallel", "--task-time", "0s"],
    &["parallel", "--task-time", "abc"],
    &["parallel", "--task-time", "-1s"],
    &["parallel", "--tasks", "-1"],
    &["--width", "3", "info"],
    &["parallel", "--width", "3"],
    &["parallel", "--format", "xml"],
    // Valid on its own, but would run for far too long: refused before any work starts (the
    // common timeout turns a run that is not refused into a failure rather than a hang).
    &["parallel", "--units", "1000000000000", "--tasks", "4096"],
    &["parallel", "--units", "99999999999999"],
    &["parallel", "--tasks", "99999"],
    &["parallel", "--units", "5", "--task-time", "1s"],
];

#[test]
fn bad_input_is_refused_with_one_line() {
    common::assert_all_refused("", BAD_INPUT, |args| {
        refusal_problems(conpar().args(args), 2)
    });
}

#[test]
fn small_work_is_accepted() {
    // The counterpart of the table above: the work every other test uses is valid.
    let mut cmd = conpar();
    cmd.arg("parallel").args(SMALL_WORK).args(["--tasks", "1"]);
    stdout_of(&mut cmd);
}

/// `--placement` adds a pinned mode per place the machine has, and refuses, before any work,
/// a place it has not: read what this machine is from `info` and expect accordingly.
#[test]
fn placements_run_where_the_machine_has_them_and_are_refused_where_not() {
    let info = common::info();
    let topology = &info["machine"]["topology"];
    if topology.is_null() {
        return; // No topology here: every placement is refused, as a unit test shows.
    }
    let mask = affinity(&info["machine"]);
    let usable = |cpu: &Value| {
        mask.as_ref()
            .is_none_or(|m| m.contains(&cpu.as_u64().unwrap()))
    };
    let cores = array(topology, "cores");
    let reached = cores
        .iter()
        .filter(|c| array(c, "cpus").iter().any(usable))
        .count();
    let smt = cores
        .iter()
        .any(|c| array(c, "cpus").iter().filter(|cpu| usable(cpu)).count() > 1);
    let kinds = array(topology, "core_types").len();
    for (place, possible) in [
        ("cores", reached >= 2),
        ("siblings", smt),
        ("p", kinds > 1),
        ("e", kinds > 1),
    ] {
        let mode = format!("pinned:{place}");
        if possible {
            let report = report(2, &["--placement", place]);
            let row = array(&report, "results")
                .iter()
                .find(|r| r["mode"] == mode.as_str())
                .unwrap_or_else(|| panic!("no {mode} row: {report:#}"))
                .clone();
            assert_eq!(row["checksum_ok"], true, "{row:#}");
        } else {
            let line = common::refused(&mut parallel(2, &["--placement", place]), 2);
            assert!(
                line.contains(&format!("--placement {place} needs")),
                "{line}"
            );
        }
    }
}
