//! `conpar maxprocs` and the worker limit against the real binary: every format, the JSON
//! fields scripts rely on, where the limit comes from, the SVG plot, and every kind of bad
//! input. Tiny work only, and no assertion on times or speedups: these pass on one CPU
//! (`taskset -c 0 cargo test`).

use crate::common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// Tiny work: two pool sizes, one run each.
const TINY: &[&str] = &[
    "maxprocs", "--procs", "1,2", "--units", "2000", "--runs", "1", "--warmup", "0", "--quiet",
];

fn conpar() -> Command {
    let mut cmd = Command::cargo_bin("conpar").unwrap();
    cmd.env_remove("CONPAR_MAXPROCS")
        .env_remove("RAYON_NUM_THREADS")
        .env_remove("GOMAXPROCS")
        .env("NO_COLOR", "1");
    cmd
}

fn json(cmd: &mut Command) -> Value {
    let out = cmd.arg("--format").arg("json").assert().success();
    serde_json::from_slice(&out.get_output().stdout).expect("JSON on stdout")
}

/// Bad input: exit `code`, one line on stderr starting `error: `, nothing on stdout, no panic.
fn refused(cmd: &mut Command, code: i32) -> String {
    let stderr = common::refused(cmd, code);
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_format_shows_every_p() {
    for format in ["table", "csv", "markdown"] {
        let out = conpar()
            .args(TINY)
            .args(["--format", format])
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        assert!(
            text.contains("P=1") && text.contains("P=2"),
            "{format}: {text}"
        );
        assert!(
            text.contains("karp") && text.contains("amdahl"),
            "{format}: {text}"
        );
    }
    let csv = conpar()
        .args(TINY)
        .args(["--format", "csv"])
        .assert()
        .success();
    let csv = String::from_utf8_lossy(&csv.get_output().stdout).to_string();
    assert_eq!(
        csv.lines().count(),
        3,
        "one header and one row per P: {csv}"
    );
    assert!(csv.lines().next().unwrap().contains("karp_flatt"));
}

#[test]
fn json_has_the_sweep_the_fit_and_the_limit() {
    let report = json(conpar().args(TINY));
    assert_eq!(report["schema"], 1);
    assert_eq!(report["demo"], "maxprocs");
    let results = report["results"].as_array().unwrap();
    let threads: Vec<u64> = results
        .iter()
        .map(|r| r["threads"].as_u64().unwrap())
        .collect();
    assert_eq!(threads, [1, 2]);
    for r in results {
        for field in ["speedup", "efficiency", "karp_flatt", "amdahl_speedup"] {
            assert!(r.get(field).is_some(), "{field} in {r}");
        }
        assert_eq!(r["checksum_ok"], true);
    }
    assert!(
        results[0]["karp_flatt"].is_null(),
        "undefined for one worker"
    );
    assert!(results[1]["karp_flatt"].is_number());

    let amdahl = &report["amdahl"];
    for field in [
        "serial_fraction",
        "max_speedup",
        "rms_error",
        "cpus",
        "points",
    ] {
        assert!(amdahl.get(field).is_some(), "{field} in {amdahl}");
    }
    assert_eq!(amdahl["serial_fraction_set"], 0.0);
    assert_eq!(amdahl["points"].as_array().unwrap().len(), 2);

    let maxprocs = &report["maxprocs"];
    assert_eq!(maxprocs["source"], "available_parallelism");
    assert_eq!(
        maxprocs["limit"],
        report["machine"]["available_parallelism"]
    );
    for runtime in ["rust", "rayon", "go"] {
        assert!(maxprocs["defaults"][runtime].as_u64().unwrap() >= 1);
    }
    assert!(report["timeline"].is_object());
    assert!(!report["notes"].as_array().unwrap().is_empty());
}

#[test]
fn a_serial_fraction_keeps_the_work_and_the_checksum() {
    let report = json(conpar().args(TINY).args(["--serial-fraction", "0.5"]));
    assert_eq!(report["amdahl"]["serial_fraction_set"], 0.5);
    assert!(
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["checksum_ok"] == true)
    );
}

#[test]
fn the_limit_comes_from_the_variable_or_the_flag() {
    let env = json(conpar().env("CONPAR_MAXPROCS", "3").args([
        "maxprocs", "--units", "500", "--runs", "1", "--warmup", "0", "--quiet",
    ]));
    assert_eq!(env["maxprocs"]["limit"], 3);
    assert_eq!(env["maxprocs"]["source"], "CONPAR_MAXPROCS");
    let threads: Vec<u64> = env["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["threads"].as_u64().unwrap())
        .collect();
    assert!(
        threads.contains(&3),
        "the default list has the limit: {threads:?}"
    );

    let flag = json(
        conpar()
            .env("CONPAR_MAXPROCS", "3")
            .args(TINY)
            .args(["--maxprocs", "2"]),
    );
    assert_eq!(flag["maxprocs"]["limit"], 2);
    assert_eq!(flag["maxprocs"]["source"], "--maxprocs");
}

#[test]
fn parallel_pools_use_the_limit_and_say_so() {
    let parallel = [
        "parallel", "--tasks", "2", "--units", "500", "--runs", "1", "--warmup", "0", "--quiet",
    ];
    let report = json(conpar().env("CONPAR_MAXPROCS", "3").args(parallel));
    let rayon = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == "rayon")
        .unwrap();
    assert_eq!(rayon["threads"], 3);
    assert_eq!(report["maxprocs"]["limit"], 3);
    assert_eq!(report["maxprocs"]["source"], "CONPAR_MAXPROCS");
    let notes = report["notes"].to_string();
    assert!(notes.contains("from CONPAR_MAXPROCS"), "{notes}");

    // --threads still wins for the pool; the limit is reported beside it.
    let report = json(
        conpar()
            .args(["--maxprocs", "3"])
            .args(parallel)
            .args(["--threads", "1"]),
    );
    let rayon = &report["results"][2];
    assert_eq!(rayon["threads"], 1);
    assert_eq!(report["maxprocs"]["source"], "--maxprocs");
}

#[test]
fn the_plot_is_well_formed_svg_with_its_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("speedup.svg");
    let report = json(conpar().args(TINY).arg("--plot").arg(&path));
    let svg = std::fs::read_to_string(&path).expect("the plot is written");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    let has = |label: &str| texts.iter().any(|t| t.contains(label));
    assert!(has("measured speedup"), "{texts:?}");
    assert!(has("ideal"), "{texts:?}");
    assert!(has("workers P") && has("speedup over P = 1"), "axis labels");
    // The fit needs more than one CPU; on one CPU (taskset -c 0) there is none to draw.
    assert_eq!(
        has("Amdahl fit"),
        !report["amdahl"]["serial_fraction"].is_null(),
        "{texts:?}"
    );
    assert_eq!(
        entries(dir.path()),
        ["speedup.svg"],
        "no temporary file left"
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for args in [
        &["--procs", "0"][..],
        &["--procs", ""],
        &["--procs", "1,,2"],
        &["--procs", "1,2,"],
        &["--procs", "1,x"],
        &["--procs", "2000"],
        &["--serial-fraction", "1"],
        &["--serial-fraction", "-0.1"],
        &["--serial-fraction", "1.5"],
        &["--serial-fraction", "nan"],
        &["--serial-fraction", "half"],
        &["--tasks", "0"],
        &["--total-time", "0s"],
        &["--total-time", "1s", "--units", "5"],
        &["--maxprocs", "0"],
        &["--maxprocs", "many"],
    ] {
        let stderr = refused(conpar().arg("maxprocs").args(args), 2);
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_conpar_maxprocs_is_refused_everywhere() {
    for value in ["0", "garbage", "-1", "1.5", "100000"] {
        for sub in [&["info"][..], TINY] {
            let stderr = refused(conpar().env("CONPAR_MAXPROCS", value).args(sub), 2);
            assert!(stderr.contains("CONPAR_MAXPROCS"), "{value}: {stderr}");
        }
    }
}

#[test]
fn an_unwritable_plot_path_fails_at_once_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/plot.svg");
    let stderr = refused(conpar().args(TINY).arg("--plot").arg(&missing), 1);
    assert!(stderr.contains("cannot write the plot"), "{stderr}");
    assert!(!missing.exists());

    // A directory in the way.
    let stderr = refused(conpar().args(TINY).arg("--plot").arg(dir.path()), 1);
    assert!(stderr.contains("directory"), "{stderr}");
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "no file left");
}
