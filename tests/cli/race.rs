//! CLI tests of `conpar race`: every mode in every format, and every bad input.
//!
//! The runs are tiny (`--iterations 1000 --runs 3`). Nothing here relies on a race happening or
//! on a time: `unsync` is only checked to stay within its bounds and to be reported as it was.

use crate::common;

use common::conpar;
use predicates::prelude::*;
use serde_json::Value;

const MODES: [&str; 5] = ["unsync", "atomic", "mutex", "channel", "local"];
const TINY: [&str; 4] = ["--iterations", "1000", "--runs", "3"];

fn race_json(extra: &[&str]) -> Value {
    let out = conpar()
        .args(["race", "--format", "json", "--quiet"])
        .args(TINY)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn finals(result: &Value) -> Vec<i64> {
    result["final_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

#[test]
fn every_mode_alone_in_json() {
    for mode in MODES {
        let report = race_json(&["--mode", mode]);
        assert_eq!(report["schema"], 1);
        assert_eq!(report["demo"], "race");
        let results = report["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "{mode}");
        let r = &results[0];
        assert_eq!(r["mode"], mode);
        assert_eq!(r["threads"], 2);
        assert_eq!(r["iterations"], 1000);
        let finals = finals(r);
        // 3 runs planned. The engine sets disturbed rounds aside where at least half were
        // quiet, so 2 may be kept (and more where it kept every round).
        assert!(finals.len() >= 2, "{finals:?}");
        let wrong = finals.iter().filter(|&&v| v != 0).count() as u64;
        assert_eq!(r["wrong_runs"].as_u64(), Some(wrong));
        let max = finals.iter().map(|v| v.unsigned_abs()).max().unwrap();
        assert_eq!(r["lost_updates_max"].as_u64(), Some(max));
        assert_eq!(r["checksum_ok"], wrong == 0);
        assert!(r["ns_per_op"].as_f64().unwrap() > 0.0);
        assert!(!r["reason"].as_str().unwrap().is_empty());
        if mode == "unsync" {
            // One incrementer and one decrementer of 1000 changes each.
            assert!(finals.iter().all(|v| (-1000..=1000).contains(v)));
        } else {
            assert!(finals.iter().all(|&v| v == 0), "{mode}: {finals:?}");
            assert_eq!(r["lost_updates_median"], 0);
        }
    }
}

#[test]
fn all_modes_by_default_in_order() {
    let report = race_json(&[]);
    let modes = common::modes(&report);
    assert_eq!(modes, MODES);
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(notes.iter().any(|n| n.contains("not race conditions")));
    assert!(notes.iter().any(|n| n.contains("lower bound")));
    assert!(!report["timeline"]["slices"].as_array().unwrap().is_empty());
}

#[test]
fn modes_take_a_comma_list_or_repeats() {
    for args in [
        &["--mode", "local,atomic"][..],
        &["--mode", "local", "--mode", "atomic"],
        &["--mode", "atomic,local,atomic"],
    ] {
        let report = race_json(args);
        let modes = common::modes(&report);
        assert_eq!(modes, ["atomic", "local"]);
    }
}

#[test]
fn more_threads_still_end_at_zero() {
    let report = race_json(&["--threads", "6", "--mode", "atomic,mutex,channel,local"]);
    for r in report["results"].as_array().unwrap() {
        assert_eq!(r["threads"], 6);
        let finals = finals(r);
        // At least half the 3 runs planned: disturbed rounds may be set aside.
        assert!(finals.len() >= 2, "{finals:?}");
        assert!(finals.iter().all(|&v| v == 0), "{}: {finals:?}", r["mode"]);
    }
}

#[test]
fn every_format_shows_every_mode() {
    for format in ["table", "csv", "markdown"] {
        let out = conpar()
            .args(["race", "--quiet", "--format", format])
            .args(TINY)
            .assert()
            .success()
            .stderr("");
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        for mode in MODES {
            assert!(
                text.lines().any(|l| l.contains(mode)),
                "{format}: {mode}\n{text}"
            );
        }
        match format {
            "csv" => {
                let header = text.lines().next().unwrap();
                for field in [
                    "mode",
                    "checksum_ok",
                    "wrong_runs",
                    "lost_updates_max",
                    "ns_per_op",
                    "final_values",
                ] {
                    assert!(header.split(',').any(|h| h == field), "{field}");
                }
                assert_eq!(text.lines().count(), 1 + MODES.len());
            }
            "markdown" => assert!(text.starts_with("### conpar race")),
            _ => assert!(text.contains("wrong runs")),
        }
    }
}

#[test]
fn the_timeline_draws_on_request() {
    conpar()
        .args(["race", "--quiet", "--mode", "atomic", "--timeline"])
        .args(TINY)
        .assert()
        .success()
        .stdout(predicate::str::contains("legend:"));
}

#[cfg(target_os = "linux")]
#[test]
fn one_core_keeps_every_thread_on_one_cpu() {
    let report = race_json(&["--one-core"]);
    for r in report["results"].as_array().unwrap() {
        assert_eq!(r["cpus_used"].as_array().unwrap().len(), 1, "{}", r["mode"]);
    }
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("--one-core"))
    );
}

/// Bad input: exit 2, exactly one line on stderr saying `says`, nothing on stdout, no panic.
fn refused(args: &[&str], says: &str) {
    let stderr = common::refused(conpar().arg("race").args(args), 2);
    assert!(stderr.contains(says), "{args:?}: {stderr}");
}

#[test]
fn bad_input_is_refused_in_one_line() {
    refused(&["--iterations", "0"], "outside the accepted range");
    refused(&["--iterations", "-5"], "not a whole number");
    refused(&["--iterations", "lots"], "not a whole number");
    refused(&["--threads", "0"], "a race needs at least 2 threads");
    refused(&["--threads", "1"], "no one to interleave with");
    refused(&["--threads", "3"], "odd");
    refused(&["--threads", "5000"], "not an even number from 2 to 1024");
    refused(&["--iterations", "100000000000"], "limit 1h");
    refused(&["--mode", "wild"], "invalid value 'wild'");
    refused(&["--mode", "atomic,"], "a value is required");
    refused(&["--runs", "0"], "outside the accepted range");
    // Each count fits, but their total would overflow the i64 counter.
    refused(
        &["--threads", "4", "--iterations", "3000000000000000000"],
        "more changes than the counter can hold",
    );
    refused(
        &["--iterations", "9223372036854775808"],
        "outside the accepted range",
    );
}
