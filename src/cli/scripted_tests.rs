//! Every command on scripted machines ([`crate::engine::script`]): the command line resolved
//! as for that machine, its runs scripted on a fixed clock, then the real engine, claims,
//! notes, renderers and `--check` over them. Nothing here depends on the machine that runs
//! the tests, so the snapshots are the same everywhere, and each machine a user has (one CPU,
//! a quota, a busy laptop, 64 CPUs) is tested here whatever CI runs on.

use crate::cli::{Cli, Invocation};
use crate::document::Document;
use crate::engine::Env;
use crate::engine::script::Script;
use crate::sys::Machine;

/// A machine as users have them.
struct Case {
    name: &'static str,
    machine: Machine,
    /// CPUs of time other programs hold, per run or look in turn.
    others: Vec<f64>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "two_cpus",
            machine: Machine::synthetic(2, vec![0, 1], None),
            others: vec![0.0],
        },
        Case {
            name: "one_cpu",
            machine: Machine::synthetic(4, vec![2], None),
            others: vec![0.0],
        },
        Case {
            name: "quota_1_5",
            machine: Machine::synthetic(2, vec![0, 1], Some(1.5)),
            others: vec![0.0],
        },
        Case {
            name: "busy",
            machine: Machine::synthetic(2, vec![0, 1], None),
            others: vec![0.9],
        },
        Case {
            name: "cpus_64",
            machine: Machine::synthetic(64, (0..64).collect(), None),
            others: vec![0.0],
        },
    ]
}

fn env(case: &Case) -> Env {
    let mut script = Script::new(&case.machine);
    script.others.clone_from(&case.others);
    Env::scripted(case.machine.clone(), script)
}

fn invocation(args: &[&str], machine: &Machine) -> Invocation {
    let command_line = std::iter::once("conpar").chain(args.iter().copied());
    Cli::try_parse_args_from(command_line)
        .expect("the command line parses")
        .invocation_for(machine.available_parallelism)
}

/// Runs `args` on `case`'s scripted machine.
fn run(args: &[&str], case: &Case) -> (Invocation, Document) {
    let invocation = invocation(args, &case.machine);
    let document = invocation
        .measure(&env(case))
        .unwrap_or_else(|e| panic!("conpar {} on {}: {e:#}", args.join(" "), case.name));
    (invocation, document)
}

/// Each demo's command line, small: a snapshot a person can read; the first five are the
/// demos as they run by default, then the tour and gil-sim's other workloads.
const COMMANDS: [(&str, &[&str]); 8] = [
    ("parallel", &["parallel", "--runs", "3"]),
    (
        "interleave",
        &["interleave", "--runs", "3", "--warmup", "0"],
    ),
    ("race", &["race", "--runs", "3"]),
    ("gil_sim", &["gil-sim", "--runs", "3"]),
    ("maxprocs", &["maxprocs", "--runs", "3"]),
    ("tour", &["tour", "--quick", "--no-python"]),
    (
        "gil_sim_io",
        &[
            "gil-sim",
            "--workload",
            "io",
            "--runs",
            "3",
            "--requests",
            "20",
        ],
    ),
    (
        "gil_sim_mixed",
        &["gil-sim", "--workload", "mixed", "--runs", "3"],
    ),
];

#[test]
fn every_command_on_every_machine_as_text() {
    for case in cases() {
        for (name, args) in COMMANDS {
            let (invocation, document) = run(args, &case);
            let text = document.render(&invocation.render);
            insta::assert_snapshot!(format!("{name}_on_{}", case.name), text);
        }
    }
}

/// The formats a script reads, for every demo on the 2-CPU machine; HTML, whose page is long,
/// for `parallel`. (The tour's JSON holds every section's runs: its numbers are checked below.)
#[test]
fn every_demo_in_every_format() {
    let case = &cases()[0];
    for format in ["json", "csv", "markdown", "html"] {
        for (name, args) in &COMMANDS[..5] {
            if format == "html" && *name != "parallel" {
                continue;
            }
            let argv: Vec<&str> = ["--format", format].iter().chain(*args).copied().collect();
            let (invocation, document) = run(&argv, case);
            let text = document.render(&invocation.render);
            insta::assert_snapshot!(format!("{name}_as_{format}"), text);
        }
    }
}

/// Every number a person reads in a command's text is a field a script can read in its JSON,
/// on every machine, for every demo and the tour.
#[test]
fn every_number_in_the_text_is_in_the_json_on_every_machine() {
    for case in cases() {
        for (name, args) in COMMANDS {
            let (text_invocation, document) = run(args, &case);
            let text = document.render(&text_invocation.render);
            let json_args: Vec<&str> = ["--format", "json"].iter().chain(args).copied().collect();
            let json = document.render(&invocation(&json_args, &case.machine).render);
            let json: serde_json::Value = serde_json::from_str(&json).expect("the JSON parses");
            let (read, missing) = crate::demo::figures_tests::numbers_checked(&text, &json);
            assert!(
                read > 10,
                "{name} on {}: only {read} numbers read",
                case.name
            );
            assert!(
                missing.is_empty(),
                "{name} on {}: {} numbers of the text are in no JSON field:\n{}",
                case.name,
                missing.len(),
                missing.join("\n")
            );
        }
    }
}

/// `--check` on each machine: what each demo exists to show holds where the machine can show
/// it (exit 0), and cannot be judged where other programs were in the way (exit 4); it never
/// fails (exit 3) on a scripted machine, whose runs are all correct.
#[test]
fn check_passes_where_the_machine_can_show_it_and_cannot_judge_a_busy_one() {
    let mut seen = Vec::new();
    for case in cases() {
        for (name, args) in &COMMANDS[..5] {
            let argv: Vec<&str> = args.iter().copied().chain(["--check"]).collect();
            let (invocation, document) = run(&argv, &case);
            let misses = document.misses(&invocation.expectations);
            let code = crate::check::exit_code(&misses);
            let lines: Vec<String> = misses.iter().map(crate::check::Miss::line).collect();
            assert_ne!(code, 3, "{} {name}: {lines:?}", case.name);
            seen.push(format!("{} {name}: exit {code} {lines:?}", case.name));
        }
    }
    insta::assert_snapshot!(seen.join("\n"));
}

/// Every claim's sentence is made of its own figures ([`crate::model::Judged`]): each number
/// it quotes is in the claim's `figures` (or its mode), on every machine, in every demo and the
/// tour. A sentence that quoted a figure its claim does not hold could not be checked from the
/// JSON, nor made again from it.
#[test]
fn every_claim_quotes_only_its_own_figures() {
    // Numbers that are the claim's question, not what was measured.
    const WORDS_NOT_FIGURES: [&str; 4] = ["ended at 0", "near 1", "P = 1", "P = 2"];
    let mut claims = 0;
    for case in cases() {
        for (name, args) in COMMANDS {
            let (_, document) = run(args, &case);
            for report in document.reports() {
                for claim in &report.claims {
                    claims += 1;
                    let own = serde_json::json!({"mode": claim.mode, "figures": claim.figures});
                    let text = WORDS_NOT_FIGURES
                        .iter()
                        .fold(claim.text.clone(), |text, words| without(&text, words));
                    let missing = crate::demo::figures_tests::missing_numbers(&text, &own);
                    assert!(
                        missing.is_empty(),
                        "{name} on {}: {} quotes what its figures do not hold:\n{}",
                        case.name,
                        claim.id,
                        missing.join("\n")
                    );
                }
            }
        }
    }
    assert!(claims > 100, "only {claims} claims were read");
}

/// `text` without `words` where no digit follows them ("P = 1" is not in "P = 16").
fn without(text: &str, words: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(words) {
        let after = &rest[at + words.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(words);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}
