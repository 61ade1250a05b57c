//! `--trace`, `--check`, `--min-speedup` and `completions`, through the real binary.

use crate::common;

use common::conpar;
use serde_json::Value;
use std::collections::BTreeMap;

const SMALL: [&str; 6] = ["--units", "20000", "--runs", "2", "--warmup", "0"];

#[test]
fn the_trace_is_valid_chrome_json_with_no_overlap_on_a_track() {
    let dir = tempdir("trace");
    let path = dir.join("run.json");
    conpar()
        .args(["parallel", "--tasks", "3", "--quiet", "--trace"])
        .arg(&path)
        .args(SMALL)
        .assert()
        .success();
    let trace: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let mut tracks: BTreeMap<(u64, u64), Vec<(f64, f64)>> = BTreeMap::new();
    let mut names = 0;
    for e in events {
        for field in ["name", "ph", "pid", "tid"] {
            assert!(e.get(field).is_some(), "event without {field}: {e}");
        }
        match e["ph"].as_str().unwrap() {
            "M" => names += 1,
            "X" => {
                let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
                assert!(ts >= 0.0 && dur >= 0.0, "{e}");
                let key = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
                tracks.entry(key).or_default().push((ts, ts + dur));
            }
            other => panic!("unexpected phase {other}"),
        }
    }
    assert!(names >= 3 * 2, "process and thread names are missing");
    // sequential has one worker; threads and rayon have one track per worker.
    assert!(tracks.len() >= 3);
    for (track, mut spans) in tracks {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in spans.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0 + 1e-6,
                "overlap on {track:?}: {pair:?}"
            );
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unwritable_trace_path_fails_with_exit_1_and_leaves_nothing() {
    let dir = tempdir("unwritable");
    let path = dir.join("missing-dir/run.json");
    let out = conpar()
        .args(["parallel", "--quiet", "--trace"])
        .arg(&path)
        .args(SMALL)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missed_bar_on_work_too_small_to_judge_is_inconclusive() {
    // A speedup of 1000 is out of reach on any machine that runs this test, but work this
    // small cannot tell a slow program from start-up costs: exit 4, not 3. (The quiet-machine
    // failure, exit 3, is in tests/interference.rs, which runs alone.)
    let out = conpar()
        .args(["parallel", "--quiet", "--min-speedup", "1000"])
        .args(["--units", "2000", "--runs", "2", "--warmup", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    for line in lines {
        assert!(line.starts_with("check inconclusive: "), "{stderr}");
        assert!(line.contains("below --min-speedup 1000"), "{stderr}");
        assert!(
            line.contains("work is too small") || line.contains("other programs"),
            "{stderr}"
        );
    }
    // The results were still printed.
    assert!(String::from_utf8_lossy(&out.stdout).contains("sequential"));
}

#[test]
fn a_check_that_holds_exits_0() {
    // One task cannot be sped up, so --check asks nothing of the speedup: only checksums.
    conpar()
        .args(["parallel", "--quiet", "--check", "--tasks", "1"])
        .args(SMALL)
        .assert()
        .success();
}

#[test]
fn min_speedup_below_one_holds_and_bad_values_are_refused() {
    conpar()
        .args([
            "parallel",
            "--quiet",
            "--min-speedup",
            "0.01",
            "--tasks",
            "1",
        ])
        .args(SMALL)
        .assert()
        .success();
    for bad in ["0", "-1", "abc", "99999"] {
        let out = conpar()
            .args(["parallel", "--min-speedup", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--min-speedup {bad}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = conpar().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("parallel"),
            "{shell} completions lack the subcommands"
        );
    }
    conpar().args(["completions", "tcsh"]).assert().code(2);
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("conpar-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
