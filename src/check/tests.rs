//! Every outcome of `--check` on synthetic reports: what is asked where, and what a miss
//! counts as.

use super::*;
use crate::claims::ClaimId;
use crate::interference::{Interference, Verdict};
use crate::model::{Demo, Expect};
use crate::model::{Report, SCHEMA, Timeline};
use crate::stats::Summary;
use crate::sys::Machine;

fn result(mode: &str, threads: usize, speedup: f64, checksum_ok: bool) -> ModeResult {
    ModeResult {
        checksum_ok,
        ..ModeResult::against(mode, threads, &[100.0 / speedup], 100.0, vec![0])
    }
}

fn machine(verdict: Verdict, others: f64) -> Interference {
    let mut i = Interference::none();
    i.verdict = verdict;
    i.others_cpus = Some(others);
    i
}

fn report(demo: Demo, cpus: usize, results: Vec<ModeResult>) -> Report {
    let mut machine_facts = Machine::detect();
    machine_facts.available_parallelism = cpus;
    machine_facts.affinity = Some((0..cpus).collect());
    machine_facts.cgroup_quota_cpus = None;
    Report {
        schema: SCHEMA,
        demo,
        machine: machine_facts,
        cpu_choice: None,
        workload: Some(crate::model::WorkloadReport::new(
            crate::workload::Workload::new(2, crate::workload::WorkSize::Units(1), 1),
            crate::engine::Repeats { runs: 1, warmup: 0 },
            0,
        )),
        results,
        maxprocs: None,
        amdahl: None,
        race: None,
        core_speeds: None,
        live: None,
        cpython: None,
        gil_sim: None,
        timeline: Timeline::default(),
        interference: machine(Verdict::Quiet, 0.02),
        claims: Vec::new(),
        notes: vec![],
    }
}

/// `misses` after judging the report's claims on its (synthetic) findings, as its demo does.
fn judge(report: &Report, expect: &Expectations) -> Vec<Miss> {
    let mut report = report.clone();
    report.claims = match report.demo {
        Demo::Parallel => crate::demo::parallel::claims(
            &report.machine,
            &report.workload.as_ref().unwrap().workload,
            &report.results,
            &report.timeline,
            &report.interference,
        ),
        Demo::GilSim => crate::demo::gil_sim::claims(
            &report.machine,
            crate::demo::gil_sim::WorkloadKind::Cpu,
            &report.results,
            &report.timeline,
            &report.interference,
        ),
        _ => vec![claims::checksums(&report.results, None)],
    };
    misses(&report, expect)
}

/// Draws `mode`'s run as two workers on two CPUs, at once or one after the other.
fn drawn(report: &mut Report, mode: &str, at_once: bool) {
    use crate::model::{SliceReport, TimelineRun};
    report.timeline.runs.push(TimelineRun {
        mode: mode.into(),
        run: 0,
        wall_us: 100_000.0,
    });
    for worker in 0..2 {
        let start = if at_once {
            0.0
        } else {
            50_000.0 * worker as f64
        };
        report.timeline.slices.push(SliceReport {
            mode: mode.into(),
            lane: format!("cpu{worker}"),
            task: worker,
            worker,
            cpu: Some(worker),
            start_us: start,
            end_us: start + 50_000.0,
        });
    }
}

/// A claim `id` with the outcome `holds`, alone in a `demo` report on `cpus` CPUs.
fn with_claim(demo: Demo, cpus: usize, id: ClaimId, holds: Option<bool>) -> Vec<Miss> {
    let mut r = report(demo, cpus, vec![result("sequential", 1, 1.0, true)]);
    r.claims = vec![claims::Claim::by_hand(
        id,
        None,
        holds,
        &format!("{id} said"),
    )];
    misses(&r, &CHECK)
}

#[test]
fn check_reads_the_expected_claims_and_nothing_else() {
    let demos = [
        Demo::Parallel,
        Demo::Interleave,
        Demo::Race,
        Demo::GilSim,
        Demo::Maxprocs,
    ];
    for (demo, &(id, how)) in demos
        .into_iter()
        .flat_map(|d| crate::demo::checks(d).map(move |c| (d, c)))
    {
        for cpus in [1, 2] {
            let asked = how == Expect::Correct || cpus >= 2;
            assert_eq!(with_claim(demo, cpus, id, Some(true)), []);
            let failed = with_claim(demo, cpus, id, Some(false));
            let unknown = with_claim(demo, cpus, id, None);
            if asked {
                assert_eq!(
                    failed,
                    [Miss::Failed(format!("{id} said"))],
                    "{id} on {cpus}"
                );
                assert_eq!(unknown, [Miss::Inconclusive(format!("{id} said"))]);
            } else {
                assert_eq!(failed, [], "{id} on {cpus}");
                assert_eq!(unknown, []);
            }
        }
    }
    // A claim no demo expects, or another demo's, asks nothing.
    assert_eq!(
        with_claim(Demo::Parallel, 2, ClaimId::ParallelBusyShare, Some(false)),
        []
    );
    assert_eq!(
        with_claim(Demo::Parallel, 2, ClaimId::RaceFixesExact, Some(false)),
        []
    );
}

const CHECK: Expectations = Expectations {
    demo: true,
    min_speedup: None,
};

fn failed(misses: &[Miss]) -> usize {
    misses
        .iter()
        .filter(|m| matches!(m, Miss::Failed(_)))
        .count()
}

#[test]
fn speedups_are_asked_for_only_where_cpus_allow() {
    let no_gil = vec![
        result("sequential", 1, 1.0, true),
        result("no-gil", 2, 0.9, true),
    ];
    let mut two = report(Demo::GilSim, 2, no_gil.clone());
    drawn(&mut two, "no-gil", true);
    assert_eq!(failed(&judge(&two, &CHECK)), 1);
    let mut one = report(Demo::GilSim, 1, no_gil);
    drawn(&mut one, "no-gil", false);
    assert!(judge(&one, &CHECK).is_empty());
}

#[test]
fn a_gil_whose_threads_ran_at_once_is_a_failure() {
    let fast = vec![
        result("sequential", 1, 1.0, true),
        result("gil-new", 2, 1.9, true),
    ];
    let mut apart = report(Demo::GilSim, 2, fast.clone());
    drawn(&mut apart, "gil-new", false);
    assert!(judge(&apart, &CHECK).is_empty());
    let mut together = report(Demo::GilSim, 2, fast);
    drawn(&mut together, "gil-new", true);
    let found = judge(&together, &CHECK);
    assert_eq!(failed(&found), 1, "{found:?}");
    assert!(
        found[0].line().contains("did not keep them apart"),
        "{found:?}"
    );
}

#[test]
fn checksums_fail_on_any_machine() {
    let bad = vec![
        result("sequential", 1, 1.0, true),
        result("rayon", 2, 1.5, false),
    ];
    assert_eq!(failed(&judge(&report(Demo::Parallel, 1, bad), &CHECK)), 1);
}

#[test]
fn min_speedup_applies_to_the_parallel_modes() {
    let results = vec![
        result("sequential", 1, 1.0, true),
        result("rayon", 2, 1.4, true),
    ];
    let expect = Expectations {
        demo: false,
        min_speedup: Some(1.5),
    };
    assert_eq!(
        failed(&judge(&report(Demo::Parallel, 2, results.clone()), &expect)),
        1
    );
    assert!(
        judge(
            &report(Demo::Parallel, 2, results),
            &Expectations::default()
        )
        .is_empty()
    );
}

#[test]
fn a_miss_on_a_disturbed_machine_is_inconclusive_not_a_failure() {
    // Under contention the processes look no faster; and a checksum is wrong.
    let looks_slow = vec![
        result("sequential", 1, 1.0, true),
        result("processes", 2, 0.95, true),
        result("no-gil", 2, 0.95, false),
    ];
    let mut busy = report(Demo::GilSim, 2, looks_slow);
    drawn(&mut busy, "processes", true);
    drawn(&mut busy, "no-gil", false);
    busy.interference = machine(Verdict::Disturbed, 0.9);
    let found = judge(&busy, &CHECK);
    // The checksum is wrong whatever the machine did; the speeds cannot be judged.
    assert_eq!(failed(&found), 1, "{found:?}");
    let inconclusive: Vec<String> = found
        .iter()
        .filter(|m| matches!(m, Miss::Inconclusive(_)))
        .map(Miss::line)
        .collect();
    assert_eq!(inconclusive.len(), 2, "{inconclusive:?}");
    assert!(
        inconclusive
            .iter()
            .all(|l| l.starts_with("check inconclusive: ") && l.contains("0.90 CPUs"))
    );
    assert_eq!(exit_code(&found), 3);
    // A mode's own disturbed reading is enough.
    let mut mode = result("rayon", 2, 0.9, true);
    mode.interference = Some(crate::interference::ModeInterference {
        others_cpus: Some(1.0),
        steal_cpus: Some(0.0),
        resolution_cpus: Some(0.1),
        verdict: Verdict::Disturbed,
        samples: Vec::new(),
        disturbed_runs: 3,
    });
    let one = report(
        Demo::Parallel,
        2,
        vec![result("sequential", 1, 1.0, true), mode],
    );
    let found = judge(&one, &CHECK);
    assert_eq!(exit_code(&found), 4);
}

#[test]
fn too_little_work_or_an_unknown_machine_is_inconclusive() {
    let mut tiny = vec![
        result("sequential", 1, 1.0, true),
        result("rayon", 2, 0.99, true),
    ];
    tiny[0].wall_ms = Summary::of(&[5.0]).unwrap();
    tiny[1].wall_ms = Summary::of(&[5.05]).unwrap();
    let found = judge(&report(Demo::Parallel, 2, tiny), &CHECK);
    assert_eq!(exit_code(&found), 4);
    assert!(found[0].line().contains("too small"), "{found:?}");

    let slow = vec![
        result("sequential", 1, 1.0, true),
        result("rayon", 2, 0.9, true),
    ];
    let mut unknown = report(Demo::Parallel, 2, slow.clone());
    unknown.interference = machine(Verdict::Unknown, 0.0);
    assert_eq!(exit_code(&judge(&unknown, &CHECK)), 4);
    // The same miss on a quiet machine with enough work is a real failure.
    assert_eq!(
        exit_code(&judge(&report(Demo::Parallel, 2, slow), &CHECK)),
        3
    );
    assert_eq!(exit_code(&[]), 0);
}
