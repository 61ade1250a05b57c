//! `conpar info` in every format, and the parts of the command line that run no work:
//! `--version`, `--help`, and no subcommand at all.

use crate::common;

use common::{array, conpar, first_field, json_of, stdout_of, string, uint};
use predicates::prelude::*;

/// The facts `info` lists, in order, in the table, CSV and markdown formats.
const FACTS: [&str; 11] = [
    "cpu_model",
    "os",
    "logical_cpus",
    "physical_cores",
    "topology",
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

/// `info --sysroot DIR` on a synthetic machine: its JSON report and its table.
fn sysroot_info(tree: &common::sysfs::Tree) -> (serde_json::Value, String) {
    let dir = tree.path().to_str().expect("a UTF-8 path");
    let json = json_of(&["info", "--sysroot", dir, "--format", "json"]);
    let table = stdout_of(conpar().args(["info", "--sysroot", dir, "--width", "100"]));
    (json, table)
}

/// The notes of a report, one string.
fn notes(report: &serde_json::Value) -> String {
    array(report, "notes")
        .iter()
        .map(|n| n.as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn sysroot_reads_this_vm_as_two_plain_cores() {
    let tree = common::sysfs::this_vm();
    let (report, table) = sysroot_info(&tree);
    let machine = &report["machine"];
    assert_eq!(uint(machine, "logical_cpus"), 2, "{machine:#}");
    assert_eq!(uint(machine, "physical_cores"), 2, "{machine:#}");
    assert_eq!(string(machine, "cpu_model"), "Intel(R) Xeon(R) Processor");
    let topology = &machine["topology"];
    assert_eq!(
        string(topology, "summary"),
        "2 cores, 1 package; SMT not supported"
    );
    assert_eq!(topology["smt"]["active"], false);
    assert_eq!(array(topology, "core_types").len(), 1, "{topology:#}");
    assert_eq!(topology["cpus"][1]["sched_capacity"], 1024);
    assert_eq!(topology["cpus"][1]["node"], 0);
    // The kernel's capacity has its own name: conpar's cpu_capacity is CPUs of time.
    assert_eq!(machine["cpu_capacity"], 2.0);
    assert!(
        machine["sysroot"]
            .as_str()
            .is_some_and(|s| s.contains("conpar-sysroot-vm-")),
        "{machine:#}"
    );
    let notes = notes(&report);
    assert!(
        !notes.contains("SMT;") && !notes.contains("Cores differ"),
        "{notes}"
    );
    assert!(notes.contains("not measured"), "{notes}");
    assert!(table.contains("topology"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("sysroot")), "{table}");
    assert!(
        !table.contains("Quiet right now"),
        "a tree is not measured:\n{table}"
    );
}

#[test]
fn sysroot_reads_smt_siblings() {
    let tree = common::sysfs::desktop_8x2();
    let (report, table) = sysroot_info(&tree);
    let machine = &report["machine"];
    assert_eq!(uint(machine, "logical_cpus"), 16);
    assert_eq!(uint(machine, "physical_cores"), 8);
    let topology = &machine["topology"];
    assert_eq!(
        string(topology, "summary"),
        "8 cores x 2 threads, 1 package; SMT on"
    );
    assert_eq!(topology["cores"][3]["cpus"], serde_json::json!([3, 11]));
    assert_eq!(topology["cpus"][11]["core"], 3);
    let notes = notes(&report);
    assert!(
        notes.contains("The 16 logical CPUs are 8 cores with 2 hardware threads each (SMT; CPUs 0 and 8 share a core, 1 and 9 another, …)"),
        "{notes}"
    );
    assert!(!notes.contains("Cores differ"), "{notes}");
    assert!(table.contains("8 cores x 2 threads"), "{table}");
}

#[test]
fn sysroot_reads_intel_hybrid_cores() {
    let tree = common::sysfs::intel_hybrid();
    let (report, _) = sysroot_info(&tree);
    let topology = &report["machine"]["topology"];
    assert_eq!(
        string(topology, "summary"),
        "6 P-cores x 2 threads + 8 E-cores, 1 package; SMT on"
    );
    let types = array(topology, "core_types");
    assert_eq!(types.len(), 2, "{topology:#}");
    assert_eq!(types[0]["name"], "P");
    assert_eq!(
        types[0]["cpus"],
        serde_json::json!((0..12).collect::<Vec<_>>())
    );
    assert_eq!(types[1]["name"], "E");
    assert_eq!(types[1]["threads_per_core"], 1);
    assert_eq!(topology["cpus"][15]["core_type"], "E");
    assert_eq!(uint(&report["machine"], "physical_cores"), 14);
    let notes = notes(&report);
    assert!(
        notes.contains("are 14 cores, 6 of them with 2 hardware threads each (SMT; CPUs 0 and 1 share a core, 2 and 3 another, …)"),
        "{notes}"
    );
    assert!(
        notes.contains("Cores differ: 6 P-cores (CPUs 0-11) and 8 E-cores (CPUs 12-19)."),
        "{notes}"
    );
}

#[test]
fn sysroot_reads_big_little_by_capacity() {
    let tree = common::sysfs::arm_big_little();
    let (report, _) = sysroot_info(&tree);
    let machine = &report["machine"];
    assert_eq!(string(machine, "cpu_model"), "Rockchip RK3588");
    let topology = &machine["topology"];
    assert_eq!(
        string(topology, "summary"),
        "4 big cores (capacity 1024) + 4 little cores (capacity 446), 1 package"
    );
    assert_eq!(topology["smt"]["active"], serde_json::Value::Null);
    assert_eq!(topology["cpus"][0]["core_type"], "little");
    assert_eq!(topology["cpus"][0]["sched_capacity"], 446);
    let notes = notes(&report);
    assert!(
        notes.contains("Cores differ: 4 big cores (CPUs 4-7, capacity 1024 of 1024) and 4 little cores (CPUs 0-3, capacity 446 of 1024)."),
        "{notes}"
    );
    assert!(!notes.contains("SMT"), "{notes}");
}

/// Many CPUs: a 2-socket NUMA server and 256 plain cores give a table within the width (the
/// notes under it are prose, which the terminal wraps).
#[test]
fn sysroot_reads_many_cpus_within_the_width() {
    for (tree, summary) in [
        (
            common::sysfs::server_2x64x2(),
            "128 cores x 2 threads, 2 packages, 2 NUMA nodes; SMT on",
        ),
        (common::sysfs::cores_256(), "256 cores, 1 package; SMT off"),
    ] {
        let (report, table) = sysroot_info(&tree);
        let topology = &report["machine"]["topology"];
        assert_eq!(string(topology, "summary"), summary);
        assert_eq!(array(topology, "cpus").len(), 256);
        assert_eq!(uint(&report["machine"], "rayon_threads"), 256);
        for line in table.lines().take_while(|l| !l.is_empty()) {
            assert!(
                line.chars().count() <= 100,
                "wider than 100: {line}\n{table}"
            );
        }
        assert!(table.contains(summary), "{table}");
    }
    let (report, _) = sysroot_info(&common::sysfs::server_2x64x2());
    let topology = &report["machine"]["topology"];
    assert_eq!(topology["cpus"][200]["node"], 1);
    assert_eq!(topology["cpus"][200]["package"], 1);
    assert_eq!(topology["cores"][72]["cpus"], serde_json::json!([72, 200]));
}

/// A tree with only the online list: what is missing is unknown, not guessed.
#[test]
fn sysroot_skips_missing_files() {
    let tree = common::sysfs::bare();
    let (report, table) = sysroot_info(&tree);
    let machine = &report["machine"];
    assert_eq!(uint(machine, "logical_cpus"), 4);
    assert_eq!(uint(machine, "physical_cores"), 4);
    assert_eq!(string(machine, "cpu_model"), "unknown");
    let topology = &machine["topology"];
    assert_eq!(string(topology, "summary"), "4 cores");
    assert_eq!(topology["packages"], serde_json::Value::Null);
    assert_eq!(topology["cpus"][2]["package"], serde_json::Value::Null);
    assert!(table.contains("unknown (not in the tree)"), "{table}");
}

/// The process facts a tree can hold: its affinity mask and its cgroup's quota.
#[test]
fn sysroot_reads_the_mask_and_the_quota_of_the_tree() {
    let tree = common::sysfs::desktop_8x2();
    tree.file(
        "proc/self/status",
        "Name:\tconpar\nCpus_allowed_list:\t0-3\n",
    )
    .file("proc/self/cgroup", "0::/job\n")
    .file("sys/fs/cgroup/job/cpu.max", "150000 100000\n");
    let (report, _) = sysroot_info(&tree);
    let machine = &report["machine"];
    assert_eq!(machine["affinity"], serde_json::json!([0, 1, 2, 3]));
    assert_eq!(machine["cgroup_quota_cpus"], 1.5);
    assert_eq!(machine["cpu_capacity"], 1.5);
    assert_eq!(uint(machine, "available_parallelism"), 1);
    assert!(
        string(machine, "limited_by").contains("quota"),
        "{machine:#}"
    );
}

#[test]
fn a_bad_sysroot_is_refused_with_one_line() {
    let empty = common::sysfs::Tree::new("empty");
    let file = empty.root.join("a-file");
    std::fs::write(&file, "x").unwrap();
    for dir in [empty.root.clone(), empty.root.join("missing"), file] {
        let err = common::refused(conpar().args(["info", "--sysroot"]).arg(&dir), 2);
        assert!(err.contains("--sysroot"), "{err}");
    }
}

/// A tree may hold anything where the kernel keeps small files: a FIFO (which would block a
/// read forever) or a link to `/dev/zero` (which never ends) is skipped like a missing file.
#[test]
fn sysroot_never_hangs_on_a_fifo_or_a_device() {
    let tree = common::sysfs::this_vm();
    let topology = tree.root.join("sys/devices/system/cpu/cpu1/topology");
    std::fs::remove_file(topology.join("core_cpus_list")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(topology.join("core_cpus_list"))
        .status()
        .is_ok_and(|s| s.success());
    std::fs::remove_file(tree.root.join("proc/cpuinfo")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", tree.root.join("proc/cpuinfo")).unwrap();
    tree.file("proc/self/cgroup", "0::/\n");
    let _ = std::fs::create_dir_all(tree.root.join("sys/fs/cgroup"));
    std::os::unix::fs::symlink("/dev/zero", tree.root.join("sys/fs/cgroup/cpu.max")).unwrap();
    assert!(made, "mkfifo made no FIFO to read");
    let (report, _) = sysroot_info(&tree);
    let machine = &report["machine"];
    assert_eq!(uint(machine, "logical_cpus"), 2, "{machine:#}");
    assert_eq!(string(machine, "cpu_model"), "unknown");
    assert_eq!(machine["cgroup_quota_cpus"], serde_json::Value::Null);
    // The FIFO's CPU is a core of its own, as with no sibling list at all (unchanged: what
    // this test guards is that the run ends, within common::TIMEOUT).
    assert_eq!(
        machine["topology"]["cores"][1]["cpus"],
        serde_json::json!([1])
    );
}

/// The README's two synthetic `info` samples are what `info --sysroot` prints for the trees the
/// tests build (`tests/common/sysfs.rs`), read through a directory named as in the README.
#[test]
fn the_readme_samples_are_what_info_prints_for_the_test_trees() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README");
    for (name, tree) in [
        ("desktop", common::sysfs::desktop_8x2()),
        ("hybrid", common::sysfs::intel_hybrid()),
    ] {
        let dir = tree
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let out = stdout_of(conpar().current_dir(tree.path().parent().unwrap()).args([
            "info",
            "--sysroot",
            &dir,
            "--width",
            "100",
        ]));
        let sample = out.replace(&dir, name);
        assert!(
            readme.contains(sample.trim_end()),
            "the README's {name} sample is not what info prints:\n{sample}"
        );
    }
}
