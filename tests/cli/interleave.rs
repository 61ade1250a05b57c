//! `conpar interleave` end to end: every format, the JSON fields of every mode, the green
//! tasks' alternation, task lanes, the chosen CPU, waits, bad input and the reaping of worker
//! processes. Work is tiny and nothing asserts a time or a speedup, so the suite passes on a
//! machine with a single CPU.

use crate::common;

use common::{affinity, array, conpar, first_field, json_of_cmd, number, stdout_of, string, uint};
use serde_json::Value;

/// Tiny work: a few milliseconds per mode, even in a debug build on one CPU.
const WORK: &[&str] = &["--units", "3000", "--runs", "2", "--warmup", "0"];

/// Every mode of `interleave`, in the order they run and are reported, where threads can be
/// pinned (the affinity mask is known).
const ALL_MODES: [&str; 4] = ["sequential", "green", "threads", "processes"];

/// The modes `interleave` runs here: all of them where it can pin, else green alone.
fn modes() -> &'static [&'static str] {
    if common::machine_affinity().is_some() {
        &ALL_MODES
    } else {
        &ALL_MODES[1..2]
    }
}

/// `conpar interleave` with [`WORK`], then `extra`.
fn interleave(extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = conpar();
    cmd.arg("interleave").args(WORK).args(extra);
    cmd
}

/// The JSON report of `interleave` with tiny work and `extra`.
fn report(extra: &[&str]) -> Value {
    json_of_cmd(interleave(extra).args(["--format", "json"]))
}

fn cpus_used(result: &Value) -> Vec<u64> {
    array(result, "cpus_used")
        .iter()
        .map(|c| c.as_u64().expect("cpus_used holds CPU numbers"))
        .collect()
}

/// Checks one JSON report of `interleave` with tiny work and `tasks` tasks; `cpu` is the CPU
/// asked for with `--cpu`, if any. Returns the one CPU every mode shared, where pinning works.
fn check_report(report: &Value, tasks: usize, cpu: Option<u64>) -> Option<u64> {
    let ctx = format!("tasks={tasks}, cpu={cpu:?}:\n{report:#}");
    assert_eq!(report["schema"], 1, "{ctx}");
    assert_eq!(report["demo"], "interleave", "{ctx}");

    let workload = &report["workload"];
    assert_eq!(uint(workload, "tasks"), tasks as u64, "{ctx}");
    assert_eq!(uint(workload, "units_per_task"), 3000, "{ctx}");
    assert_eq!(uint(workload, "runs"), 2, "{ctx}");
    assert_eq!(uint(workload, "warmup"), 0, "{ctx}");

    let mask = affinity(&report["machine"]);
    let expected_modes: &[&str] = if mask.is_some() {
        &ALL_MODES
    } else {
        &ALL_MODES[1..2]
    };
    let results = array(report, "results");
    let modes: Vec<&str> = results.iter().map(|r| string(r, "mode")).collect();
    assert_eq!(modes, expected_modes, "{ctx}");

    let mut shared_cpu = None;
    for result in results {
        let mode = string(result, "mode");
        let ctx = format!("mode {mode}, {ctx}");
        assert_eq!(result["checksum_ok"], true, "{ctx}");
        uint(result, "switches");
        // Every mode ran 3000 units per task: slices took time, a task took time to finish.
        assert!(number(result, "mean_slice_us") > 0.0, "{ctx}");
        let first = number(result, "first_done_ms");
        let last = number(result, "last_done_ms");
        assert!(0.0 < first && first <= last, "{ctx}");
        assert!(
            result
                .get("cpu_ms")
                .is_some_and(|c| c.is_null() || c.as_f64().is_some()),
            "no cpu_ms: {ctx}"
        );
        if cfg!(target_os = "linux") {
            // Linux always counts it; a short run may well count 0 ms at the clock tick.
            number(result, "cpu_ms");
        }
        match mode {
            "sequential" => assert!(result["switch_cost_ns"].is_null(), "{ctx}"),
            "green" => assert!(number(result, "switch_cost_ns") > 0.0, "{ctx}"),
            // Other tests run conpar on the same CPUs at once: a probe that finds its CPU
            // shared says so instead of quoting a figure.
            _ if result["switch_cost_ns"].is_null() => {
                let probe = &result["switch_probe"];
                assert!(
                    ["shared_cpu", "no_partner"].contains(&string(probe, "unmeasured")),
                    "{ctx}"
                );
                let claim = array(report, "claims")
                    .iter()
                    .find(|c| c["id"] == "interleave.switch_timed" && c["mode"] == mode)
                    .unwrap_or_else(|| panic!("no switch_timed claim: {ctx}"));
                assert!(claim["holds"].is_null(), "{ctx}");
                assert!(
                    string(claim, "text").contains("could not be timed"),
                    "{ctx}"
                );
            }
            _ => {
                let ns = number(result, "switch_cost_ns");
                assert!(ns > 0.0, "{ctx}");
                let probe = &result["switch_probe"];
                assert!(probe["unmeasured"].is_null(), "{ctx}");
                assert!(
                    uint(probe, "round_trips") <= uint(probe, "asked_round_trips"),
                    "{ctx}"
                );
                // Half the median round trip, never a time slice of another program.
                assert!(ns < 100_000.0, "{ctx}");
            }
        }

        // Where the OS reports the mask, it pins and tells the CPU: exactly one, shared by all.
        if let Some(mask) = &mask {
            let cpus = cpus_used(result);
            assert_eq!(cpus.len(), 1, "not exactly one CPU: {ctx}");
            assert!(
                mask.contains(&cpus[0]),
                "CPU {} not in {mask:?}: {ctx}",
                cpus[0]
            );
            if let Some(cpu) = cpu {
                assert_eq!(cpus[0], cpu, "not the CPU asked for: {ctx}");
            }
            match shared_cpu {
                None => shared_cpu = Some(cpus[0]),
                Some(shared) => assert_eq!(cpus[0], shared, "another CPU than before: {ctx}"),
            }
        }
    }

    let timeline = &report["timeline"];
    let run_modes: Vec<&str> = array(timeline, "runs")
        .iter()
        .map(|r| string(r, "mode"))
        .collect();
    assert_eq!(
        run_modes, expected_modes,
        "one timeline run per mode: {ctx}"
    );
    let slices = array(timeline, "slices");
    for slice in slices {
        assert!(uint(slice, "task") < tasks as u64, "{slice}: {ctx}");
        let (start, end) = (number(slice, "start_us"), number(slice, "end_us"));
        assert!(0.0 <= start && start <= end, "{slice}: {ctx}");
        if let Some(cpu) = shared_cpu {
            assert_eq!(string(slice, "lane"), format!("cpu{cpu}"), "{slice}: {ctx}");
        }
    }
    for mode in expected_modes {
        for task in 0..tasks as u64 {
            assert!(
                slices
                    .iter()
                    .any(|s| s["mode"] == *mode && s["task"] == task),
                "task {task} has no slice in {mode}: {ctx}"
            );
        }
    }
    shared_cpu
}

#[test]
fn json_report_is_complete() {
    let report = report(&[]);
    let shared = check_report(&report, 2, None);
    // Without --cpu, the CPU chosen is the one shared, and the report says why.
    if let Some(mask) = affinity(&report["machine"]) {
        let choice = &report["cpu_choice"];
        assert_eq!(Some(uint(choice, "cpu")), shared, "{report:#}");
        let reason = string(choice, "reason");
        if mask.len() == 1 {
            assert_eq!(reason, "only", "{report:#}");
        } else {
            assert!(["quietest", "all_busy"].contains(&reason), "{report:#}");
            assert_eq!(array(choice, "loads").len(), mask.len(), "{report:#}");
        }
        let said = format!("Ran on cpu{}", uint(choice, "cpu"));
        assert!(
            array(&report, "notes")
                .iter()
                .any(|n| n.as_str().is_some_and(|n| n.starts_with(&said))),
            "{report:#}"
        );
    } else {
        assert!(report["cpu_choice"].is_null(), "{report:#}");
    }
}

#[test]
fn three_tasks() {
    check_report(&report(&["--tasks", "3"]), 3, None);
}

#[test]
fn cpu_chooses_the_shared_cpu() {
    if let Some(mask) = common::machine_affinity() {
        let last = *mask.last().expect("a non-empty affinity mask");
        let report = report(&["--cpu", &last.to_string()]);
        assert_eq!(check_report(&report, 2, Some(last)), Some(last));
        for result in array(&report, "results") {
            assert_eq!(cpus_used(result), [last], "{report:#}");
        }
        assert_eq!(report["cpu_choice"]["reason"], "asked", "{report:#}");
    } else {
        // Without pinning there is no CPU to choose: refused as bad input.
        let output = interleave(&["--cpu", "0"]).output().expect("conpar runs");
        assert_eq!(output.status.code(), Some(2), "{output:?}");
    }
}

#[test]
// `--wait 20ms` comes back as exactly 20 ms.
#[allow(clippy::float_cmp)]
fn waits_are_reported() {
    let report = report(&["--wait", "20ms", "--wait-every", "1ms"]);
    check_report(&report, 2, None);
    let wait = &report["workload"]["wait"];
    assert!(wait.is_object(), "no wait object: {report:#}");
    assert!(uint(wait, "pause_ns") > 0, "{report:#}");
    assert!(uint(wait, "every_units") >= 1, "{report:#}");
    assert_eq!(number(wait, "total_ms"), 20.0, "{report:#}");
    // Without --wait there is none.
    assert!(
        self::report(&["--tasks", "1"])["workload"]["wait"].is_null(),
        "a wait without --wait"
    );
}

#[test]
fn green_slices_alternate_between_tasks() {
    let report = report(&["--tasks", "2", "--quantum-units", "200"]);
    let cpu = check_report(&report, 2, None);
    let lane = cpu.map(|c| format!("cpu{c}"));
    let mut green: Vec<&Value> = array(&report["timeline"], "slices")
        .iter()
        .filter(|s| s["mode"] == "green" && lane.as_ref().is_none_or(|l| s["lane"] == *l))
        .collect();
    green.sort_by(|a, b| number(a, "start_us").total_cmp(&number(b, "start_us")));
    let mut tasks: Vec<u64> = green.iter().map(|s| uint(s, "task")).collect();
    tasks.dedup();
    // 15 quanta per task, taken in turns: far more than one switch from task 0 to task 1.
    assert!(
        tasks.len() > 2,
        "green tasks did not take turns ({tasks:?}):\n{report:#}"
    );
    let switches = array(&report, "results")
        .iter()
        .find(|r| r["mode"] == "green")
        .map(|r| uint(r, "switches"))
        .expect("a green row");
    assert!(switches >= 2, "{report:#}");
}

#[test]
fn timeline_in_task_lanes() {
    let out = stdout_of(&mut interleave(&[
        "--timeline",
        "--lanes",
        "task",
        "--width",
        "80",
    ]));
    let lanes = common::lane_lines(&out);
    assert_eq!(lanes.len(), 2 * modes().len(), "two lanes per mode:\n{out}");
    for line in &lanes {
        assert_eq!(line.chars().count(), 80, "{line:?} in:\n{out}");
    }
    for task in ["task0 |", "task1 |"] {
        assert_eq!(
            lanes
                .iter()
                .filter(|l| l.trim_start().starts_with(task))
                .count(),
            modes().len(),
            "{task} in every mode:\n{out}"
        );
    }
    for mode in modes() {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{mode}:"))),
            "no {mode} block:\n{out}"
        );
    }
    assert!(out.lines().any(|l| l.starts_with("legend:")), "{out}");
}

#[test]
fn table_shows_every_mode_and_checksum() {
    let out = stdout_of(&mut interleave(&[]));
    let rows: Vec<&str> = out.lines().skip(1).take(modes().len()).collect();
    assert_eq!(rows.len(), modes().len(), "{out}");
    for (row, mode) in rows.iter().zip(modes()) {
        assert!(row.starts_with(mode), "no {mode} row:\n{out}");
        assert!(
            row.split_whitespace().any(|c| c == "true"),
            "checksum not ok:\n{out}"
        );
    }
    assert!(!out.contains('\x1b'), "colour on a pipe:\n{out:?}");
    assert!(
        !out.contains("legend:"),
        "a timeline without --timeline:\n{out}"
    );
}

#[test]
fn csv_has_one_header_and_one_row_per_mode() {
    let out = stdout_of(&mut interleave(&["--format", "csv"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("mode,threads,wall_ms_median"), "{out}");
    for column in [
        "switches",
        "mean_slice_us",
        "first_done_ms",
        "last_done_ms",
        "switch_cost_ns",
        "cpu_ms",
    ] {
        assert!(
            lines[0].split(',').any(|c| c == column),
            "no {column}:\n{out}"
        );
    }
    assert_eq!(lines.len(), 1 + modes().len(), "{out}");
    let rows: Vec<&str> = lines[1..].iter().map(|l| first_field(l)).collect();
    assert_eq!(rows, modes(), "{out}");
    assert!(lines[1..].iter().all(|l| l.contains(",true,")), "{out}");
}

#[test]
fn markdown_has_a_table_of_the_modes() {
    let out = stdout_of(&mut interleave(&["--format", "markdown"]));
    let rows = common::markdown_rows(&out);
    assert_eq!(rows.len(), modes().len(), "{out}");
    for (row, mode) in rows.iter().zip(modes()) {
        assert!(row.starts_with(&format!("| {mode} |")), "{row}");
    }
}

/// Bad input: every one exits with 2 and one line on stderr, before any output.
const BAD_INPUT: &[&[&str]] = &[
    &["--quantum", "0"],
    &["--quantum", "0s"],
    &["--quantum", "abc"],
    &["--quantum", "-1ms"],
    &["--quantum-units", "0"],
    &["--wait", "-1s"],
    &["--wait", "0s"],
    &["--wait-every", "0s"],
    &["--tasks", "0"],
    &["--tasks", "257"],
    &["--tasks", "-1"],
    &["--cpu", "99999"],
    &["--cpu", "-1"],
    &["--quantum", "1ms", "--quantum-units", "5"],
    &["--lanes", "core"],
    // Too fine to mean anything: refused at a floor.
    &["--quantum", "1ns"],
    &["--quantum", "9us"],
    &["--quantum-units", "1"],
    &["--wait-every", "1ns"],
    // A whole wait below the floor of one pause: refused at any speed of the build, where
    // `--wait 200us --wait-every 100us` on fixed --units is cut into more or fewer pauses as
    // the kernel is slower or faster.
    &["--wait", "99us"],
    // Estimated over an hour, waits included.
    &[
        "--wait", "600s", "--tasks", "256", "--units", "1", "--runs", "1000",
    ],
    &["--wait", "600s", "--units", "1"],
];

/// Runs `interleave` with [`WORK`] and `args`, and says what is wrong with its refusal.
fn refusal_problems(args: &[&str]) -> Result<String, String> {
    common::refusal_problems(&mut interleave(args), 2)
}

#[test]
fn bad_input_is_refused_with_one_line() {
    common::assert_all_refused("interleave ", BAD_INPUT, refusal_problems);
}

#[test]
fn a_cpu_outside_the_affinity_mask_is_refused() {
    // CPU 4095 is in range for the flag but outside the mask of any ordinary machine.
    if common::machine_affinity().is_some_and(|mask| mask.contains(&4095)) {
        return;
    }
    let stderr = refusal_problems(&["--cpu", "4095"])
        .unwrap_or_else(|p| panic!("conpar interleave --cpu 4095: {p}"));
    if common::machine_affinity().is_some() {
        assert!(stderr.contains("affinity mask"), "{stderr}");
    }
}

#[test]
fn valid_counterparts_of_the_bad_input_are_accepted() {
    // The flags refused above, with values that are fine (and tiny work).
    for extra in [
        &["--quantum-units", "1000"][..],
        &["--quantum", "200us", "--tasks", "1"],
        &["--wait", "1ms", "--wait-every", "200us", "--tasks", "1"],
    ] {
        let report = report(extra);
        let tasks = extra
            .iter()
            .position(|a| *a == "--tasks")
            .map_or(2, |i| extra[i + 1].parse().unwrap());
        check_report(&report, tasks, None);
    }
}

/// No worker process outlives `conpar`: after it has exited, none of its children is left,
/// neither still parented to it nor reparented elsewhere.
#[cfg(target_os = "linux")]
#[test]
fn no_worker_process_outlives_conpar() {
    use std::process::Stdio;

    // A marker in the environment, inherited by every worker, finds them even after they were
    // reparented (an orphan's parent is no longer the conpar that started it).
    let marker = format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
    );
    let bin = assert_cmd::cargo::cargo_bin("conpar");
    let mut child = std::process::Command::new(bin)
        .arg("interleave")
        .args(WORK)
        .args(["--format", "json"])
        .env("CONPAR_TEST_MARKER", &marker)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("conpar starts");
    let pid = child.id().to_string();
    let status = child.wait().expect("conpar ends");
    assert!(status.success(), "{status}");

    let needle = format!("CONPAR_TEST_MARKER={marker}");
    let mut left = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let path = entry.path();
        // Field 4 of stat is the parent's pid; the command name (field 2) may hold spaces, so
        // the fields are counted after its closing parenthesis.
        let parent = std::fs::read_to_string(path.join("stat"))
            .ok()
            .and_then(|stat| {
                let rest = &stat[stat.rfind(')')? + 1..];
                rest.split_whitespace().nth(1).map(str::to_string)
            });
        let cmdline = std::fs::read(path.join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .unwrap_or_default();
        let has_marker = std::fs::read(path.join("environ"))
            .is_ok_and(|e| e.split(|b| *b == 0).any(|var| var == needle.as_bytes()));
        let worker = cmdline.contains("conpar") && cmdline.contains("worker");
        if parent.as_deref() == Some(pid.as_str()) || has_marker {
            left.push(format!(
                "pid {name} (parent {parent:?}, has_marker {has_marker}, worker {worker}): {cmdline}"
            ));
        }
    }
    assert!(
        left.is_empty(),
        "processes of conpar (pid {pid}) left after it exited:\n{}",
        left.join("\n")
    );
}
