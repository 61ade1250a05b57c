//! `conpar info` in every format, and the parts of the command line that run no work:
//! `--version`, `--help`, and no subcommand at all.

mod common;

use common::{array, conpar, first_field, json_of, stdout_of, string, uint};
use predicates::prelude::*;

/// The facts `info` lists, in order, in the table, CSV and markdown formats.
const FACTS: [&str; 10] = [
    "cpu_model",
    "os",
    "logical_cpus",
    "physical_cores",
    "available_parallelism",
    "limited_by",
    "affinity",
    "cgroup_quota_cpus",
    "cpu_capacity",
    "rayon_threads",
];

#[test]
fn json_describes_the_machine() {
    let report = json_of(&["info", "--format", "json"]);
    assert_eq!(report["schema"], 1, "{report:#}");
    assert_eq!(report["demo"], "info", "{report:#}");

    let machine = &report["machine"];
    assert!(machine.is_object(), "{report:#}");
    let logical = uint(machine, "logical_cpus");
    assert!(logical >= 1, "{machine:#}");
    assert!(uint(machine, "physical_cores") >= 1, "{machine:#}");
    // Only a lower bound: available_parallelism may exceed the online CPUs in odd containers.
    assert!(uint(machine, "available_parallelism") >= 1, "{machine:#}");
    assert!(uint(machine, "rayon_threads") >= 1, "{machine:#}");
    assert!(!string(machine, "limited_by").is_empty(), "{machine:#}");
    for key in ["os", "arch", "cpu_model"] {
        assert!(
            !string(machine, key).is_empty(),
            "{key} is empty: {machine:#}"
        );
    }
    match &machine["affinity"] {
        serde_json::Value::Null => {}
        serde_json::Value::Array(cpus) => {
            assert!(!cpus.is_empty(), "empty affinity mask: {machine:#}");
            for cpu in cpus {
                let cpu = cpu.as_u64().expect("affinity holds CPU numbers");
                assert!(cpu < 4096, "CPU {cpu} out of range: {machine:#}");
            }
        }
        other => panic!("affinity is neither null nor an array: {other}"),
    }

    assert!(array(&report, "results").is_empty(), "{report:#}");
    assert!(report.get("workload").is_none(), "{report:#}");
}

#[test]
fn table_lists_every_fact() {
    let out = stdout_of(conpar().arg("info"));
    let first = out.lines().next().expect("a header line");
    assert!(
        first.starts_with("fact") && first.contains("value"),
        "{out}"
    );
    for fact in FACTS {
        assert!(
            out.lines().any(|l| l.starts_with(fact)),
            "no {fact} line in:\n{out}"
        );
    }
    assert!(!out.contains('\x1b'), "colour on a pipe:\n{out:?}");
}

#[test]
fn table_is_the_default_format() {
    // The facts, not the closing line on how busy the CPUs were at that moment.
    let facts = |out: String| out.split("\n\n").next().unwrap_or_default().to_string();
    let default = facts(stdout_of(conpar().arg("info")));
    let table = facts(stdout_of(conpar().args(["info", "--format", "table"])));
    assert!(default.starts_with("fact"), "{default}");
    assert_eq!(default, table);
}

#[test]
fn csv_has_one_header_and_one_row_per_fact() {
    let out = stdout_of(conpar().args(["info", "--format", "csv"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first().copied(), Some("fact,value"), "{out}");
    assert_eq!(
        lines.iter().filter(|l| **l == "fact,value").count(),
        1,
        "{out}"
    );
    let facts: Vec<&str> = lines[1..].iter().map(|l| first_field(l)).collect();
    assert_eq!(facts, FACTS, "{out}");

    // The CSV shows the same figures as the JSON.
    let report = json_of(&["info", "--format", "json"]);
    let row = |fact: &str| {
        lines
            .iter()
            .find(|l| first_field(l) == fact)
            .and_then(|l| l.split_once(','))
            .map(|(_, v)| v.to_string())
            .unwrap()
    };
    for key in ["logical_cpus", "physical_cores", "available_parallelism"] {
        assert_eq!(row(key), uint(&report["machine"], key).to_string(), "{key}");
    }
}

#[test]
fn markdown_is_a_heading_and_a_table() {
    let out = stdout_of(conpar().args(["info", "--format", "markdown"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with('#'), "no heading:\n{out}");
    let rule = lines
        .iter()
        .position(|l| l.starts_with('|') && l.contains("|---|"))
        .unwrap_or_else(|| panic!("no |---| line:\n{out}"));
    assert!(
        lines[rule - 1].starts_with("| fact") && lines[rule - 1].contains("value"),
        "{out}"
    );
    let rows: Vec<&str> = lines[rule + 1..]
        .iter()
        .copied()
        .filter(|l| l.starts_with('|'))
        .collect();
    assert_eq!(rows.len(), FACTS.len(), "{out}");
    for (row, fact) in rows.iter().zip(FACTS) {
        assert!(row.starts_with(&format!("| {fact} |")), "{row}");
    }
}

#[test]
fn version_prints_name_and_version() {
    conpar()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("conpar {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn help_mentions_the_subcommands() {
    conpar()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("parallel").and(predicate::str::contains("info")));
}

#[test]
fn no_subcommand_is_bad_input() {
    conpar()
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("panicked").not());
}
