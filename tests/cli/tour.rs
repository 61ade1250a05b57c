//! `conpar tour --quick`: every section answered from real runs, in every format, and
//! `--check` across all of its demos.

use crate::common;

use common::{conpar, json_of};
use std::process::Command;

#[test]
fn the_quick_tour_answers_every_question_from_real_reports() {
    let tour = json_of(&["tour", "--quick", "--quiet", "--format", "json"]);
    assert_eq!(tour["schema"], 1);
    assert_eq!(tour["demo"], "tour");
    let sections = tour["sections"].as_array().unwrap();
    assert!(sections.len() >= 10, "{} sections", sections.len());
    let mut demos = Vec::new();
    for s in sections {
        assert!(s["question"].as_str().unwrap().ends_with('?'), "{s}");
        let answer = s["answer"].as_array().unwrap();
        assert!(!answer.is_empty());
        for sentence in answer {
            let text = sentence.as_str().unwrap();
            assert!(
                !text.contains("NaN") && !text.contains("inf"),
                "a figure is missing: {text}"
            );
        }
        assert!(!s["key_figure"].as_str().unwrap().is_empty());
        for report in s["reports"].as_array().unwrap() {
            assert_eq!(report["schema"], 1);
            demos.push(report["demo"].as_str().unwrap().to_string());
            for result in report["results"].as_array().unwrap() {
                if result["mode"] != "unsync" {
                    assert_eq!(result["checksum_ok"], true, "{}", result["mode"]);
                }
            }
        }
    }
    for demo in [
        "info",
        "interleave",
        "parallel",
        "race",
        "gil-sim",
        "maxprocs",
    ] {
        assert!(
            demos.iter().any(|d| d == demo),
            "no {demo} report in the tour"
        );
    }
    let questions: Vec<&str> = sections
        .iter()
        .map(|s| s["question"].as_str().unwrap())
        .collect();
    assert!(questions.iter().any(|q| q.contains("GIL")));
    assert!(questions.iter().any(|q| q.contains("pthread_create")));
    // Where a python3 ran beside the model, both GIL answers and their figures name it.
    let gil = sections.iter().find(|s| s["topic"] == "the GIL").unwrap();
    let cpython = &gil["reports"][0]["cpython"];
    if let Some(version) = cpython["version"].as_str() {
        let name = format!("{} {version}", cpython["implementation"].as_str().unwrap());
        for topic in ["the GIL", "the GIL workaround"] {
            let s = sections.iter().find(|s| s["topic"] == topic).unwrap();
            assert!(s["key_figure"].as_str().unwrap().contains(&name), "{s}");
            assert!(
                s["answer"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a.as_str().unwrap().contains(&format!("{name}'s"))),
                "{s}"
            );
        }
    } else {
        eprintln!("no python3 ran beside the model here: its answers were not checked");
    }
}

#[test]
fn the_quick_tour_as_table_markdown_and_csv() {
    let table = conpar()
        .args(["tour", "--quick", "--quiet"])
        .output()
        .unwrap();
    assert!(table.status.success());
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("1. What does this machine offer?"));
    assert!(table.contains("Summary"));
    assert!(
        table.contains("legend:"),
        "the first question shows a timeline"
    );

    let md = conpar()
        .args(["tour", "--quick", "--quiet", "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("# conpar tour"));
    assert!(
        md.matches("\n## ").count() >= 10,
        "one heading per question and the summary"
    );
    assert!(md.contains("| question | measured here |"));

    let csv = conpar()
        .args(["tour", "--quick", "--quiet", "--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["question", "topic", "measured", "answer"]
    );
    assert!(reader.records().count() >= 9);
}

/// Pinned to one CPU nothing asks for a speedup, so every expectation of `--check` can hold.
#[test]
fn the_quick_tour_passes_its_checks_on_one_cpu() {
    if Command::new("taskset").arg("--version").output().is_err() {
        eprintln!("taskset is not installed: skipped");
        return;
    }
    let out = Command::new("taskset")
        .args([
            "-c",
            "0",
            env!("CARGO_BIN_EXE_conpar"),
            "tour",
            "--quick",
            "--quiet",
            "--check",
        ])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // On a quiet machine every check holds (0). Where other programs share the CPU, a speed
    // expectation may miss, and then it must say it cannot judge (4), never fail (3).
    match out.status.code() {
        Some(0) => assert!(stderr.is_empty(), "{stderr}"),
        Some(4) => assert!(
            stderr
                .lines()
                .all(|l| l.starts_with("check inconclusive: ")),
            "{stderr}"
        ),
        other => panic!("exit {other:?}: {stderr}"),
    }
}
