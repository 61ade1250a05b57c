//! Tests of `gil-sim`: real runs of every workload, and every claim's outcomes on synthetic
//! findings.

use super::*;
use crate::claims::ClaimId;

mod run_tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(Duration::from_millis(5)), "5ms");
        assert_eq!(human(Duration::from_micros(4900)), "4.90ms");
        assert_eq!(human(Duration::from_nanos(5200)), "5.2µs");
        assert_eq!(human(Duration::from_secs(1)), "1s");
    }

    fn config(workload: WorkloadKind, variants: Vec<Variant>) -> Config {
        Config {
            threads: 2,
            variants,
            workload,
            switch_interval: Duration::from_millis(1),
            check_interval: 10,
            check_every: Duration::from_micros(20),
            io_wait: Duration::from_micros(200),
            requests: Some(10),
            size: WorkSize::TaskTime(Duration::from_millis(10)),
            seed: 1,
            repeats: Repeats { runs: 1, warmup: 0 },
            progress: false,
            exe: None,
            python: None,
        }
    }

    #[test]
    fn threads_variants_report_the_shared_fields_and_the_lock() {
        let variants = vec![Variant::GIL_NEW, Variant::GIL_OLD, Variant::NO_GIL];
        for workload in [WorkloadKind::Cpu, WorkloadKind::Io, WorkloadKind::Mixed] {
            let report = run(&config(workload, variants.clone()), &Env::with_load(0.0)).unwrap();
            let modes: Vec<&str> = report.results.iter().map(|r| r.mode.as_str()).collect();
            assert_eq!(modes, ["sequential", "gil-new", "gil-old", "no-gil"]);
            for r in &report.results {
                assert!(r.checksum_ok, "{workload:?} {}", r.mode);
                let json = serde_json::to_value(r).unwrap();
                assert!(json["handoffs_per_s"].is_number());
                let threads = json["gil"]["threads"].as_array().unwrap();
                assert_eq!(threads.len(), r.workers);
                assert!(threads[0]["hold_ms"].is_number());
                assert_eq!(json.get("io").is_some(), workload != WorkloadKind::Cpu);
                assert_eq!(
                    json.get("io_p50_ms").is_some(),
                    workload != WorkloadKind::Cpu
                );
            }
            let lanes: std::collections::BTreeSet<&str> = report
                .timeline
                .slices
                .iter()
                .filter(|s| s.mode == "gil-new")
                .map(|s| s.lane.as_str())
                .collect();
            assert_eq!(lanes, ["thread0", "thread1"].into());
        }
    }

    #[test]
    fn every_variant_is_read_back_from_its_name() {
        for variant in Variant::ALL {
            assert_eq!(Variant::of(variant.name()), Some(variant));
        }
        assert_eq!(Variant::of(Sequential.name()), None);
    }

    #[test]
    fn mixed_needs_two_threads() {
        let mut c = config(WorkloadKind::Mixed, vec![]);
        c.threads = 1;
        let error = run(&c, &Env::with_load(0.0)).unwrap_err();
        assert!(error.downcast_ref::<UsageError>().is_some());
    }

    #[test]
    fn absurd_work_is_refused() {
        let mut c = config(WorkloadKind::Io, vec![]);
        c.io_wait = Duration::from_secs(1);
        c.requests = Some(1_000_000);
        let error = run(&c, &Env::with_load(0.0)).unwrap_err();
        assert!(error.downcast_ref::<UsageError>().is_some());
    }
}

mod claim_tests {
    //! Every outcome of the gil-sim claims, on synthetic findings.
    use super::*;
    use crate::interference::{Interference, Verdict};
    use crate::model::{SliceReport, TimelineRun};

    fn row(mode: impl Mode, walls: &[f64], interval: [f64; 2]) -> ModeResult {
        ModeResult::synthetic(mode.name(), walls, interval, vec![0, 1])
    }

    /// Two threads of `mode` on cpu0 and cpu1: 0-40 ms and `second`.
    fn drawn(mode: impl Mode, second: (f64, f64)) -> Timeline {
        let mode = mode.name();
        let slice = |w: usize, start: f64, end: f64| SliceReport {
            mode: mode.into(),
            lane: format!("thread{w}"),
            task: w,
            worker: w,
            cpu: Some(w),
            start_us: start * 1e3,
            end_us: end * 1e3,
        };
        Timeline {
            runs: vec![TimelineRun {
                mode: mode.into(),
                run: 0,
                wall_us: 80e3,
            }],
            slices: vec![slice(0, 0.0, 40.0), slice(1, second.0, second.1)],
            ..Default::default()
        }
    }

    fn machine(cpus: usize) -> Machine {
        Machine::with_cpus(cpus)
    }

    fn verdict(v: Verdict) -> Interference {
        let mut i = Interference::none();
        i.verdict = v;
        i.others_cpus = Some(0.9);
        i
    }

    fn holds(c: &[Claim], id: ClaimId) -> Option<bool> {
        crate::claims::find(c, id, None).unwrap().holds
    }

    const SEQ: [f64; 1] = [100.0];

    #[test]
    fn threads_behind_the_lock_take_turns_unless_their_steps_overlap() {
        let results = [
            row(Sequential, &SEQ, [1.0, 1.0]),
            row(Variant::GIL_NEW, &[100.0], [0.98, 1.0]),
        ];
        let apart = drawn(Variant::GIL_NEW, (40.0, 80.0));
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &results,
            &apart,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, ClaimId::GilTakeTurns), Some(true));
        let together = drawn(Variant::GIL_NEW, (0.0, 40.0));
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &results,
            &together,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, ClaimId::GilTakeTurns), Some(false));
    }

    #[test]
    fn waits_overlap_under_the_lock_where_every_round_was_faster() {
        let results = [
            row(Sequential, &SEQ, [1.0, 1.0]),
            row(Variant::GIL_NEW, &[52.0], [1.9, 1.95]),
        ];
        let t = drawn(Variant::GIL_NEW, (40.0, 80.0));
        let c = claims(
            &machine(1),
            WorkloadKind::Io,
            &results,
            &t,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, ClaimId::GilWaitsOverlap), Some(true));
        let c = claims(
            &machine(1),
            WorkloadKind::Io,
            &results,
            &t,
            &verdict(Verdict::Disturbed),
        );
        assert_eq!(holds(&c, ClaimId::GilWaitsOverlap), None);
    }

    #[test]
    fn processes_run_at_once_only_where_the_cpus_allow() {
        let results = [
            row(Sequential, &SEQ, [1.0, 1.0]),
            row(Variant::Processes, &[55.0], [1.7, 1.9]),
        ];
        let t = drawn(Variant::Processes, (0.0, 40.0));
        let two = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &results,
            &t,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&two, ClaimId::GilProcessesParallel), Some(true));
        // One CPU: "no global lock, the threads run at once where there are CPUs" was said here.
        let no_gil = [
            row(Sequential, &SEQ, [1.0, 1.0]),
            row(Variant::NO_GIL, &[101.0], [0.97, 1.0]),
        ];
        let one = claims(
            &machine(1),
            WorkloadKind::Cpu,
            &no_gil,
            &drawn(Variant::NO_GIL, (40.0, 80.0)),
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&one, ClaimId::GilNoGilParallel), Some(false));
        let text = &crate::claims::find(&one, ClaimId::GilNoGilParallel, None)
            .unwrap()
            .text;
        assert!(text.contains("could not run faster together"), "{text}");
    }

    #[test]
    fn the_old_gil_battle_is_said_only_beyond_the_spread() {
        let slower = [
            row(Sequential, &SEQ, [1.0, 1.0]),
            row(Variant::GIL_NEW, &[100.0, 101.0, 102.0], [1.0, 1.0]),
            row(Variant::GIL_OLD, &[140.0, 142.0, 150.0], [0.7, 0.72]),
        ];
        let t = Timeline::default();
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &slower,
            &t,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, ClaimId::GilOldBattle), Some(true));
        let same = [
            row(Sequential, &SEQ, [1.0, 1.0]),
            row(Variant::GIL_NEW, &[100.0, 110.0], [1.0, 1.0]),
            row(Variant::GIL_OLD, &[105.0, 108.0], [0.9, 1.0]),
        ];
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &same,
            &t,
            &verdict(Verdict::Quiet),
        );
        assert_eq!(holds(&c, ClaimId::GilOldBattle), Some(false));
        let c = claims(
            &machine(2),
            WorkloadKind::Cpu,
            &slower,
            &t,
            &verdict(Verdict::Disturbed),
        );
        assert_eq!(holds(&c, ClaimId::GilOldBattle), None);
    }
}

mod cpython_claim_tests {
    //! `gil.model_matches_cpython` on synthetic findings: within `CPython`'s spread, off by
    //! some amount (with the processes' start worded as what it is), and not judged.
    use super::*;
    use crate::interference::{Interference, Verdict};
    use crate::model::findings::CpythonReport;

    /// `CPython`'s rows: sequential 100 ms, threads at `threads` ms, processes at `processes` ms
    /// (each a few rounds either side).
    fn cpython(threads: f64, processes: f64) -> CpythonReport {
        let rows = [
            ("sequential", 100.0),
            ("threads", threads),
            ("processes", processes),
        ];
        CpythonReport {
            executable: "/usr/bin/python3".into(),
            version: "3.11.7".into(),
            implementation: "CPython".into(),
            free_threaded: false,
            gil_enabled: true,
            start_method: "fork".into(),
            units_per_task: 1000,
            ns_per_unit: 90.0,
            startup_ms: 20.0,
            handoffs_per_s: Some(100.0),
            processes_started_ms: Some(30.0),
            results: rows
                .iter()
                .map(|&(mode, ms)| {
                    ModeResult::against(mode, 2, &[ms * 0.97, ms, ms * 1.03], 100.0, vec![0, 1])
                })
                .collect(),
        }
    }

    fn model(gil_new: f64, processes: f64) -> Vec<ModeResult> {
        vec![
            ModeResult::against("sequential", 1, &[100.0], 100.0, vec![0]),
            ModeResult::against(Variant::GIL_NEW.name(), 2, &[gil_new], 100.0, vec![0, 1]),
            ModeResult::against(
                Variant::Processes.name(),
                2,
                &[processes],
                100.0,
                vec![0, 1],
            ),
        ]
    }

    fn quiet() -> Interference {
        let mut i = Interference::none();
        i.verdict = Verdict::Quiet;
        i.others_cpus = Some(0.0);
        i
    }

    fn claim_of(claims: &[Claim], mode: Variant) -> &Claim {
        claims
            .iter()
            .find(|c| c.mode.as_deref() == Some(mode.name()))
            .expect("a claim for the mode")
    }

    #[test]
    fn a_model_within_the_rounds_of_cpython_matches() {
        let c = python::claims(
            &model(101.0, 74.0),
            &cpython(100.0, 73.0),
            Some(3.0),
            &quiet(),
        );
        assert_eq!(c.len(), 2, "{c:#?}");
        assert!(c.iter().all(|c| c.id == ClaimId::GilModelMatchesCpython));
        for mode in [Variant::GIL_NEW, Variant::Processes] {
            let claim = claim_of(&c, mode);
            assert_eq!(claim.holds, Some(true), "{}", claim.text);
            assert!(
                claim.text.contains("within CPython's spread"),
                "{}",
                claim.text
            );
        }
    }

    #[test]
    fn a_model_outside_says_by_how_much_and_why_for_processes() {
        let c = python::claims(
            &model(101.0, 55.0),
            &cpython(100.0, 73.0),
            Some(3.0),
            &quiet(),
        );
        let threads = claim_of(&c, Variant::GIL_NEW);
        assert_eq!(threads.holds, Some(true), "{}", threads.text);
        let processes = claim_of(&c, Variant::Processes);
        assert_eq!(processes.holds, Some(false), "{}", processes.text);
        assert!(processes.text.contains("off by -25%"), "{}", processes.text);
        assert!(
            processes
                .text
                .contains("the model starts processes faster than multiprocessing does"),
            "{}",
            processes.text
        );
        // Where the model's processes started later, it is not said to start them faster.
        let c = python::claims(
            &model(101.0, 55.0),
            &cpython(100.0, 73.0),
            Some(40.0),
            &quiet(),
        );
        let processes = claim_of(&c, Variant::Processes);
        assert!(
            processes.text.contains("started no faster"),
            "{}",
            processes.text
        );
    }

    #[test]
    fn a_disturbed_run_cannot_judge_the_model() {
        let mut busy = Interference::none();
        busy.verdict = Verdict::Disturbed;
        busy.others_cpus = Some(0.9);
        let c = python::claims(&model(101.0, 55.0), &cpython(100.0, 73.0), Some(3.0), &busy);
        for claim in &c {
            assert_eq!(claim.holds, None, "{}", claim.text);
            assert!(
                claim.text.contains("cannot be judged here"),
                "{}",
                claim.text
            );
        }
    }
}
