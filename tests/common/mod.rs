//! Helpers shared by the CLI integration tests.
//!
//! Every command runs the real `conpar` binary with a neutral environment (no colour settings
//! inherited from whoever runs the tests) and, for `parallel`, with tiny work, so the whole
//! suite stays fast and passes on a machine with a single CPU.

// Each test crate uses only some of these helpers.
#![allow(dead_code)]

pub mod sysfs;

use assert_cmd::Command;
use serde_json::Value;
use std::time::Duration;

/// Longest any single run may take before it is killed and the test fails. Not a performance
/// assertion: it only turns a hang (work that was never refused) into a clear failure.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Tiny work for `parallel`: a few milliseconds per mode, even in a debug build on one CPU.
pub const SMALL_WORK: &[&str] = &["--units", "2000", "--runs", "2", "--warmup", "0"];

/// The modes of `parallel`, in the order they run and are reported.
pub const MODES: [&str; 3] = ["sequential", "threads", "rayon"];

/// The `conpar` binary, with the colour-related environment cleared so results do not depend
/// on the shell that runs the tests.
pub fn conpar() -> Command {
    let mut cmd = Command::cargo_bin("conpar").expect("the conpar binary is built");
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS"] {
        cmd.env_remove(var);
    }
    cmd.timeout(TIMEOUT);
    cmd
}

/// `conpar parallel --tasks <tasks>` with [`SMALL_WORK`], then `extra`.
pub fn parallel(tasks: usize, extra: &[&str]) -> Command {
    let mut cmd = conpar();
    cmd.arg("parallel")
        .args(["--tasks", &tasks.to_string()])
        .args(SMALL_WORK)
        .args(extra);
    cmd
}

/// Runs `cmd`, requires exit code 0 and no panic, and returns stdout as text.
pub fn stdout_of(cmd: &mut Command) -> String {
    let output = cmd.output().expect("conpar runs");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{cmd:?} failed with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{cmd:?} panicked:\n{stderr}");
    stdout
}

/// Runs `conpar` with `args` and parses its stdout as JSON.
pub fn json_of(args: &[&str]) -> Value {
    parse_json(&stdout_of(conpar().args(args)))
}

/// Runs `cmd` (which must ask for `--format json`) and parses its stdout.
pub fn json_of_cmd(cmd: &mut Command) -> Value {
    parse_json(&stdout_of(cmd))
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{text}"))
}

/// `value[key]` as an unsigned integer, failing with the path when it is not one.
pub fn uint(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not an unsigned integer: {}", value[key]))
}

/// `value[key]` as a number, failing with the path when it is not one.
pub fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number: {}", value[key]))
}

/// `value[key]` as a string, failing with the path when it is not one.
pub fn string<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string: {}", value[key]))
}

/// `value[key]` as an array, failing with the path when it is not one.
pub fn array<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array: {}", value[key]))
}

/// The machine's affinity mask, when the platform reports one.
pub fn affinity(machine: &Value) -> Option<Vec<u64>> {
    machine["affinity"].as_array().map(|cpus| {
        cpus.iter()
            .map(|c: &Value| c.as_u64().expect("affinity holds CPU numbers"))
            .collect()
    })
}

/// The first field of a CSV line (the row's key: a fact or a mode, never quoted).
pub fn first_field(line: &str) -> &str {
    line.split(',').next().unwrap_or_default()
}

/// The `conpar` binary under test, for the executors that start it as a worker.
pub fn exe() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_BIN_EXE_conpar"))
}

/// Child processes of this test process that are still around (running or zombie). Only
/// meaningful in a test binary with one test, where no other test's children can count.
pub fn children_of_this_process() -> Vec<String> {
    children_of(std::process::id())
        .into_iter()
        .map(|pid| pid.to_string())
        .collect()
}

/// Processes whose parent is `pid` (running or zombie), from `/proc/PID/task/*/children`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut kids = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            kids.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    kids
}

/// Is `pid` a process that still runs (not gone, not a zombie)?
pub fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .and_then(|end| stat[end + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

/// Says what is wrong with how `cmd` was refused. Bad input must exit with `code`, print one
/// non-empty line on stderr and nothing on stdout, and never panic; returns stderr when so.
pub fn refusal_problems(cmd: &mut Command, code: i32) -> Result<String, String> {
    let output = cmd.output().map_err(|e| format!("did not finish: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    let mut problems = Vec::new();
    match output.status.code() {
        Some(c) if c == code => {}
        Some(c) => problems.push(format!("exit code {c} instead of {code}")),
        None => problems.push(format!(
            "no exit code: killed, probably still running after {TIMEOUT:?} instead of \
             being refused up front"
        )),
    }
    if lines.len() != 1 || lines[0].trim().is_empty() {
        problems.push(format!(
            "{} stderr line(s) instead of one non-empty line",
            lines.len()
        ));
    }
    if stderr.contains("panicked") {
        problems.push("panicked".into());
    }
    if !stdout.is_empty() {
        problems.push("wrote to stdout".into());
    }
    if problems.is_empty() {
        Ok(stderr)
    } else {
        Err(format!(
            "{}\n  stdout: {stdout:?}\n  stderr: {stderr:?}",
            problems.join(", ")
        ))
    }
}

/// [`refusal_problems`], failing the test at the first bad refusal; returns stderr.
pub fn refused(cmd: &mut Command, code: i32) -> String {
    refusal_problems(cmd, code).unwrap_or_else(|p| panic!("{cmd:?}: {p}"))
}

/// The data rows of the first markdown table in `out`, after checking that `out` starts with a
/// heading and that the table has its `|---|` rule.
pub fn markdown_rows(out: &str) -> Vec<&str> {
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with('#'), "no heading:\n{out}");
    let rule = lines
        .iter()
        .position(|l| l.starts_with('|') && l.contains("|---|"))
        .unwrap_or_else(|| panic!("no |---| line:\n{out}"));
    lines[rule + 1..]
        .iter()
        .copied()
        .filter(|l| l.starts_with('|'))
        .collect()
}

/// How busy each CPU was over `over`, 0 to 1, read by the test itself from `/proc/stat`
/// (busy = all but idle and iowait), so that a test can tell a loaded machine from what
/// conpar's own meter says; empty where the file cannot be read.
pub fn busy_by_cpu(over: Duration) -> std::collections::BTreeMap<u64, f64> {
    fn read() -> std::collections::BTreeMap<u64, (u64, u64)> {
        let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let cpu: u64 = fields.next()?.strip_prefix("cpu")?.parse().ok()?;
                let ticks: Vec<u64> = fields.filter_map(|f| f.parse().ok()).collect();
                let idle = ticks.get(3)? + ticks.get(4).copied().unwrap_or(0);
                Some((cpu, (ticks.iter().sum(), idle)))
            })
            .collect()
    }
    let before = read();
    std::thread::sleep(over);
    read()
        .into_iter()
        .filter_map(|(cpu, (total, idle))| {
            let (total0, idle0) = before.get(&cpu)?;
            let elapsed = total.checked_sub(*total0).filter(|&t| t > 0)?;
            let busy = elapsed.saturating_sub(idle.saturating_sub(*idle0));
            Some((cpu, busy as f64 / elapsed as f64))
        })
        .collect()
}

/// The modes of a report's result rows, in the order they ran.
pub fn modes(report: &Value) -> Vec<&str> {
    array(report, "results")
        .iter()
        .map(|r| string(r, "mode"))
        .collect()
}

/// The lanes of an ASCII timeline: the lines with a `|`.
pub fn lane_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains('|')).collect()
}

/// Waits for `child` for `limit` at most; kills it and fails the test if it is still running.
pub fn wait_bounded(
    child: &mut std::process::Child,
    limit: Duration,
    what: &str,
) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `child` has started `n` child processes; fails the test if it ends first or
/// they do not appear within `limit`.
pub fn wait_for_workers(child: &mut std::process::Child, n: usize, limit: Duration) -> Vec<u32> {
    let start = std::time::Instant::now();
    loop {
        let kids = children_of(child.id());
        if kids.len() >= n {
            return kids;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "conpar ended before its workers started"
        );
        assert!(start.elapsed() < limit, "no worker processes appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts that none of `workers` is still running, giving them a moment to be reaped.
pub fn assert_gone(workers: &[u32], context: &str) {
    let start = std::time::Instant::now();
    while workers.iter().any(|&w| running(w)) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{context}: worker(s) {:?} still running",
            workers.iter().filter(|&&w| running(w)).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What `conpar info --format json` says of this machine, read once per test binary.
pub fn info() -> &'static Value {
    static INFO: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    INFO.get_or_init(|| json_of(&["info", "--format", "json"]))
}

/// The CPUs this process may use as `conpar info` reports them, where it says.
pub fn machine_affinity() -> Option<Vec<u64>> {
    affinity(&info()["machine"])
}

/// Each of `cases` (the arguments after `command`) is refused with one line and exit 2, as
/// `run(args)` runs it; every case that is not is listed in one failure.
pub fn assert_all_refused(
    command: &str,
    cases: &[&[&str]],
    run: impl Fn(&[&str]) -> Result<String, String>,
) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|args| {
            run(args)
                .err()
                .map(|p| format!("conpar {command}{}: {p}", args.join(" ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not refused properly:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
