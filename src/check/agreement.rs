//! Over many synthetic `parallel` and `maxprocs` findings: no printed sentence asserts a claim whose
//! predicate is false, and `--check` says exactly what the claims say.
use super::*;
use crate::claims::Claim;
use crate::claims::ClaimId;
use crate::interference::{Interference, Verdict};
use crate::model::{SliceReport, Timeline, TimelineRun, WorkloadReport};
use crate::stats::Summary;
use crate::sys::Machine;
use proptest::prelude::*;

fn verdict(i: u8) -> Verdict {
    [Verdict::Quiet, Verdict::Disturbed, Verdict::Unknown][i as usize % 3]
}

fn report(
    cpus: usize,
    quota: Option<f64>,
    v: Verdict,
    base: f64,
    modes: &[(f64, f64, f64, bool)],
) -> Report {
    let mut machine = Machine::detect();
    machine.logical_cpus = cpus;
    machine.affinity = Some((0..cpus).collect());
    machine.cgroup_quota_cpus = quota;
    machine.available_parallelism =
        crate::maxprocs::rust_default(&crate::sys::CpuFacts::of(&machine));
    let row = |mode: &str, wall: f64, interval: [f64; 2]| ModeResult {
        mode: mode.into(),
        workers: 2,
        cpus_used: vec![0],
        wall_ms: Summary::of(&[wall]).unwrap(),
        speedup: base / wall,
        speedup_interval: interval,
        efficiency: base / wall / 2.0,
        checksum_ok: true,
        interference: None,
        findings: crate::model::findings::Findings::default(),
    };
    let mut results = vec![row("sequential", base, [1.0, 1.0])];
    let mut timeline = Timeline::default();
    for (i, &(wall, low, width, overlap)) in modes.iter().enumerate() {
        let mode = ["threads", "rayon"][i % 2];
        results.push(row(mode, wall, [low, low + width]));
        timeline.runs.push(TimelineRun {
            mode: mode.into(),
            run: 0,
            wall_us: wall * 1e3,
        });
        for (task, (cpu, start)) in [(0, 0.0), (1, if overlap { 0.0 } else { wall / 2.0 })]
            .into_iter()
            .enumerate()
        {
            timeline.slices.push(SliceReport {
                mode: mode.into(),
                lane: format!("cpu{cpu}"),
                task,
                worker: task,
                cpu: Some(if overlap { cpu } else { 0 }),
                start_us: start * 1e3,
                end_us: (start + wall / 2.0) * 1e3,
            });
        }
    }
    let mut interference = Interference::none();
    interference.verdict = v;
    interference.others_cpus = Some(0.5);
    let workload = crate::workload::Workload::new(2, crate::workload::WorkSize::Units(1), 1);
    let claims =
        crate::demo::parallel::claims(&machine, &workload, &results, &timeline, &interference);
    Report {
        cpu_choice: None,
        workload: Some(WorkloadReport::new(
            workload,
            crate::engine::Repeats { runs: 1, warmup: 0 },
            0,
        )),
        ..crate::demo::report(
            crate::model::Demo::Parallel,
            machine,
            results,
            timeline,
            interference,
            claims,
        )
    }
}

/// The words that assert each claim: they may appear only where it holds.
fn asserts(c: &Claim) -> bool {
    match c.id {
        ClaimId::ParallelAtOnce => c.text.contains("(parallelism)"),
        ClaimId::ParallelFaster => c.text.contains(": faster than one after another"),
        ClaimId::ParallelBusyShare => c.text.contains("not parallelism"),
        ClaimId::MachineParallelPossible => c.text.contains("can run at the same time"),
        _ => false,
    }
}

/// A `maxprocs` sweep from P = 1: each point's wall time as a share of the baseline, and
/// its slowest and fastest rounds as shares of that.
fn sweep_report(
    cpus: usize,
    quota: Option<f64>,
    v: Verdict,
    base: f64,
    sweep: &[(f64, f64, f64)],
) -> Report {
    let mut r = report(cpus, quota, v, base, &[]);
    r.demo = crate::model::Demo::Maxprocs;
    let capacity = r.machine.cpu_capacity();
    r.results = std::iter::once((1.0, 1.0, 1.0))
        .chain(sweep.iter().copied())
        .enumerate()
        .map(|(i, (share, slow, fast))| {
            let wall = base * share;
            let speedup = base / wall;
            ModeResult {
                mode: format!("P={}", i + 1),
                workers: i + 1,
                cpus_used: vec![0],
                wall_ms: Summary::of(&[wall]).unwrap(),
                speedup,
                speedup_interval: [speedup * slow, speedup * fast],
                efficiency: speedup / (i + 1) as f64,
                checksum_ok: true,
                interference: None,
                findings: crate::model::findings::Findings::default(),
            }
        })
        .collect();
    let points = r
        .results
        .iter()
        .map(|m| crate::amdahl::Point {
            threads: m.workers,
            p: crate::amdahl::processors(m.workers as f64, capacity),
            speedup: m.speedup,
            speedup_min: m.speedup_interval[0],
            speedup_max: m.speedup_interval[1],
        })
        .collect();
    let fit = crate::amdahl::AmdahlReport::new(points, capacity, 0.0);
    r.claims = crate::demo::maxprocs::claims(&r.results, &fit, &r.interference, None);
    r.amdahl = Some(fit);
    r
}

proptest! {
    #[test]
    fn sentences_and_check_agree_with_the_claims(
        cpus in 1usize..=64,
        quota in proptest::option::of(0.5f64..4.0),
        v in 0u8..3,
        base in 1.0f64..500.0,
        modes in proptest::collection::vec((1.0f64..600.0, 0.3f64..3.0, 0.0f64..1.0, any::<bool>()), 1..=2),
    ) {
        let report = report(cpus, quota, verdict(v), base, &modes);
        for c in &report.claims {
            prop_assert!(!asserts(c) || c.holds == Some(true), "{c:?}");
            prop_assert!(!c.text.is_empty());
        }
        let possible = claims::find(&report.claims, ClaimId::MachineParallelPossible, None).unwrap();
        let missed = misses(&report, &Expectations { demo: true, min_speedup: None });
        for r in report.results.iter().skip(1) {
            let faster = claims::find(&report.claims, ClaimId::ParallelFaster, Some(&r.mode)).unwrap();
            let expected = match (possible.holds, faster.holds) {
                (Some(true), Some(false)) => Some(Miss::Failed(faster.text.clone())),
                (Some(true), None) => Some(Miss::Inconclusive(faster.text.clone())),
                _ => None,
            };
            let found = missed.iter().find(|m| m.line().contains(&format!("{}: ", r.mode))).cloned();
            prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn a_sweep_says_and_checks_only_what_its_claims_hold(
        cpus in 1usize..=64,
        quota in proptest::option::of(0.5f64..4.0),
        v in 0u8..3,
        base in 1.0f64..500.0,
        sweep in proptest::collection::vec((0.2f64..1.5, 0.5f64..1.0, 1.0f64..1.5), 1..=6),
    ) {
        let report = sweep_report(cpus, quota, verdict(v), base, &sweep);
        let find = |id| claims::find(&report.claims, id, None);
        for c in &report.claims {
            prop_assert!(!c.text.is_empty());
            let asserted = match c.id {
                ClaimId::MaxprocsNoGainAboveCpus => c.text.contains("gives no further speedup"),
                ClaimId::MaxprocsTwoBeatOne => c.text.starts_with("P = 2 was faster"),
                ClaimId::MaxprocsFitIsTheWork => !c.text.contains("not") && !c.text.contains("cannot"),
                _ => false,
            };
            prop_assert!(!asserted || c.holds == Some(true), "{c:?}");
        }
        if let Some(fit) = find(ClaimId::MaxprocsFitIsTheWork).filter(|c| c.holds == Some(true)) {
            prop_assert_eq!(report.interference.verdict, Verdict::Quiet, "{:?}", fit);
            let capacity = report.machine.cpu_capacity();
            prop_assert!(report.results.iter().all(|r| r.speedup <= capacity.max(1.0) * 1.1));
        }
        let two = find(ClaimId::MaxprocsTwoBeatOne);
        prop_assert_eq!(two.is_some(), report.results.len() >= 2);
        let possible = claims::parallel_possible(&report.machine).holds == Some(true);
        let expected: Vec<Miss> = two
            .into_iter()
            .filter(|_| possible)
            .filter_map(|c| match c.holds {
                Some(false) => Some(Miss::Failed(c.text.clone())),
                None => Some(Miss::Inconclusive(c.text.clone())),
                Some(true) => None,
            })
            .collect();
        prop_assert_eq!(misses(&report, &Expectations { demo: true, min_speedup: None }), expected);
    }
}
