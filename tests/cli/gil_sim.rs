//! `conpar gil-sim` from the outside: every variant, workload and format with tiny work, the
//! JSON fields scripts rely on, and every kind of bad input (one line on stderr, exit 2).

use crate::common;

use assert_cmd::Command;
use serde_json::Value;

/// Tiny work: a few milliseconds per task, measured once.
const TINY: [&str; 6] = ["--units", "20000", "--runs", "1", "--warmup", "0"];

fn gil_sim(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("conpar").unwrap();
    cmd.arg("gil-sim")
        .args(TINY)
        .args(args)
        .env("NO_COLOR", "1");
    cmd
}

fn json(args: &[&str]) -> Value {
    let out = gil_sim(&[args, &["--format", "json"]].concat())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("valid JSON on stdout")
}

#[test]
fn by_default_every_variant_runs_and_reproduces_the_checksum() {
    let report = json(&[]);
    assert_eq!(report["schema"], 1);
    assert_eq!(report["demo"], "gil-sim");
    assert!(report["machine"]["logical_cpus"].as_u64().unwrap() >= 1);
    assert_eq!(report["workload"]["units_per_task"], 20000);
    assert_eq!(
        common::modes(&report),
        ["sequential", "gil-new", "gil-old", "no-gil", "processes"]
    );
    for result in report["results"].as_array().unwrap() {
        let mode = result["mode"].as_str().unwrap();
        assert_eq!(result["checksum_ok"], true, "{mode}");
        for field in ["threads", "cpus_used", "speedup", "efficiency"] {
            assert!(!result[field].is_null(), "{mode} lacks {field}");
        }
        assert!(result["wall_ms"]["median"].as_f64().unwrap() > 0.0);
        assert!(result["handoffs_per_s"].is_u64(), "{mode}");
        let gil = &result["gil"];
        for field in [
            "handoffs_per_s",
            "drop_requests",
            "forced_switches",
            "futile_wakeups",
        ] {
            assert!(gil[field].is_number(), "{mode} gil lacks {field}");
        }
        let threads = gil["threads"].as_array().unwrap();
        assert_eq!(threads.len() as u64, result["threads"].as_u64().unwrap());
        for thread in threads {
            for field in [
                "hold_ms",
                "wait_ms",
                "acquisitions",
                "drop_requests",
                "forced_switches",
            ] {
                assert!(thread[field].is_number(), "{mode} thread lacks {field}");
            }
        }
        assert!(result.get("io").is_none(), "no io object for cpu work");
    }
    let gil_new = &report["results"][1];
    assert_eq!(gil_new["gil"]["kind"], "new");
    assert_eq!(report["results"][2]["gil"]["kind"], "old");
    assert_eq!(report["results"][3]["gil"]["kind"], "none");
    assert_eq!(report["results"][3]["gil"]["handoffs"], 0);
    assert_eq!(report["results"][4]["gil"]["locks"], 2);
}

#[test]
fn gil_and_processes_pick_variants() {
    for (args, expected) in [
        (vec!["--gil", "new"], vec!["sequential", "gil-new"]),
        (vec!["--gil", "old"], vec!["sequential", "gil-old"]),
        (vec!["--gil", "none"], vec!["sequential", "no-gil"]),
        (vec!["--processes"], vec!["sequential", "processes"]),
        (
            vec!["--gil", "old,new", "--processes"],
            vec!["sequential", "gil-new", "gil-old", "processes"],
        ),
        (
            vec!["--gil", "none", "--gil", "new"],
            vec!["sequential", "gil-new", "no-gil"],
        ),
    ] {
        let report = json(&args);
        assert_eq!(common::modes(&report), expected, "{args:?}");
        assert!(
            report["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["checksum_ok"] == true)
        );
    }
}

#[test]
fn every_workload_runs_and_io_workloads_report_latency() {
    for workload in ["cpu", "io", "mixed"] {
        let report = json(&["--workload", workload, "--io-wait", "200us"]);
        for result in report["results"].as_array().unwrap() {
            let mode = result["mode"].as_str().unwrap();
            assert_eq!(result["checksum_ok"], true, "{workload} {mode}");
            if workload == "cpu" {
                assert!(result.get("io").is_none());
                continue;
            }
            let io = &result["io"];
            assert_eq!(io["wait_ms"], 0.2, "{workload} {mode}");
            assert!(io["requests_per_task"].as_u64().unwrap() >= 1);
            assert_eq!(
                io["beside_cpu_work"],
                workload == "mixed" && mode != "sequential",
                "{workload} {mode}"
            );
            for field in ["io_p50_ms", "io_p99_ms", "io_requests_per_s"] {
                assert!(
                    result.get(field).is_some(),
                    "{workload} {mode} lacks {field}"
                );
            }
        }
        // Alone, every request is measured: p50 is at least the wait.
        let sequential = &report["results"][0];
        if workload != "cpu" {
            assert!(sequential["io"]["p50_ms"].as_f64().unwrap() >= 0.2);
        }
    }
}

#[test]
fn requests_and_threads_shape_the_run() {
    let report = json(&["--workload", "io", "--requests", "3", "--threads", "3"]);
    for result in report["results"].as_array().unwrap() {
        assert_eq!(result["io"]["requests_per_task"], 3);
        let expected = if result["mode"] == "sequential" { 1 } else { 3 };
        assert_eq!(result["gil"]["threads"].as_array().unwrap().len(), expected);
    }
    let sequential = &report["results"][0];
    assert_eq!(sequential["io"]["measured_requests"], 9);
}

#[test]
fn every_format_shows_the_results() {
    let table = gil_sim(&["--gil", "new", "--processes", "--timeline"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(table).unwrap();
    assert!(table.contains("handoffs per s"), "{table}");
    assert!(
        !table.contains("threads\":"),
        "no JSON objects in the table"
    );
    assert!(table.contains("thread0 |") && table.contains("thread1 |"));
    assert!(table.contains("process1 |"), "{table}");
    assert!(table.contains("gil-new thread0: held the lock"));

    let csv = gil_sim(&["--format", "csv", "--workload", "mixed"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(csv).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.contains("handoffs_per_s") && header.contains("io_p99_ms"));
    assert!(!header.contains(",gil") && !header.contains(",io,"));
    assert_eq!(csv.lines().count(), 6, "a header and one row per mode");

    let markdown = gil_sim(&["--format", "markdown", "--timeline", "--workload", "io"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let markdown = String::from_utf8(markdown).unwrap();
    assert!(markdown.starts_with("### conpar gil-sim"));
    assert!(markdown.contains("| gil-old |"));
    assert!(markdown.contains("```text"));
}

#[test]
fn the_timeline_has_one_lane_per_thread_from_measured_slices() {
    let report = json(&["--threads", "3", "--gil", "new"]);
    let slices = report["timeline"]["slices"].as_array().unwrap();
    let mut lanes: Vec<&str> = slices
        .iter()
        .filter(|s| s["mode"] == "gil-new")
        .map(|s| s["lane"].as_str().unwrap())
        .collect();
    lanes.sort_unstable();
    lanes.dedup();
    assert_eq!(lanes, ["thread0", "thread1", "thread2"]);
    // Under the lock, no two threads' slices overlap.
    let mut spans: Vec<(f64, f64)> = slices
        .iter()
        .filter(|s| s["mode"] == "gil-new")
        .map(|s| {
            (
                s["start_us"].as_f64().unwrap(),
                s["end_us"].as_f64().unwrap(),
            )
        })
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{spans:?}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for args in [
        vec!["--switch-interval", "0"],
        vec!["--switch-interval", "0ms"],
        vec!["--switch-interval", "-5ms"],
        vec!["--switch-interval", "1h"],
        vec!["--switch-interval", "fast"],
        vec!["--check-every", "0"],
        vec!["--check-every", "-1us"],
        vec!["--check-every", "1s"],
        vec!["--check-interval", "0"],
        vec!["--io-wait", "0"],
        vec!["--io-wait", "1h"],
        vec!["--requests", "0"],
        vec!["--threads", "0"],
        vec!["--threads", "-2"],
        vec!["--threads", "100000"],
        vec!["--gil", "fast"],
        vec!["--gil", ""],
        vec!["--workload", "disk"],
        vec!["--workload", "mixed", "--threads", "1"],
    ] {
        let stderr = common::refused(&mut gil_sim(&args), 2);
        assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
    }
}

#[test]
fn help_lists_the_options() {
    let out = Command::cargo_bin("conpar")
        .unwrap()
        .args(["gil-sim", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(out).unwrap();
    for flag in [
        "--gil",
        "--processes",
        "--workload",
        "--switch-interval",
        "--check-interval",
        "--check-every",
        "--io-wait",
        "--requests",
        "--threads",
        "--timeline",
    ] {
        assert!(help.contains(flag), "help lacks {flag}");
    }
}
