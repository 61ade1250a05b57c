//! Tests of `race`: real runs of every mode, and every claim's outcomes on synthetic runs.

use super::*;
use crate::claims::ClaimId;

mod run_tests {
    use super::*;

    fn config(modes: Vec<Sharing>, threads: usize) -> Config {
        Config {
            threads,
            iterations: 2000,
            runs: 4,
            warmup: 0,
            modes,
            one_core: false,
            progress: false,
        }
    }

    fn run_here(config: &Config) -> anyhow::Result<Report> {
        run(config, &Env::with_load(0.0))
    }

    fn found(r: &ModeResult) -> &RaceFindings {
        r.findings.race().expect("race findings")
    }

    #[test]
    fn the_fixes_are_reported_correct() {
        for threads in [2, 4] {
            let report = run_here(&config(vec![], threads)).unwrap();
            let names: Vec<_> = report.results.iter().map(|r| r.mode.as_str()).collect();
            assert_eq!(names, ["unsync", "atomic", "mutex", "channel", "local"]);
            for r in report.results.iter().skip(1) {
                assert!(r.checksum_ok, "{}", r.mode);
                assert_eq!(found(r).wrong_runs, 0);
                assert_eq!(found(r).lost_updates_max, 0);
                assert_eq!(found(r).final_values, [0, 0, 0, 0]);
                assert_eq!(r.workers, threads);
            }
            // atomic is the baseline of speedup.
            assert_eq!(report.results[1].speedup, 1.0);
        }
    }

    #[test]
    fn unsync_is_reported_truthfully() {
        let report = run_here(&config(vec![Sharing::Unsync], 4)).unwrap();
        let r = &report.results[0];
        let finals = &found(r).final_values;
        assert_eq!(finals.len(), 4);
        let wrong = finals.iter().filter(|&&v| v != 0).count();
        assert_eq!(found(r).wrong_runs, wrong);
        let max = finals.iter().map(|v| v.unsigned_abs()).max().unwrap();
        assert_eq!(found(r).lost_updates_max, max);
        assert!(max <= 2 * 2000);
        assert_eq!(r.checksum_ok, wrong == 0);
        let reason = found(r).reason;
        assert_eq!(reason.starts_with("no update lost"), wrong == 0);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains(&format!("unsync was wrong in {wrong} of 4 runs")))
        );
        // Only unsync ran, so it is its own baseline.
        assert_eq!(r.speedup, 1.0);
    }

    #[test]
    fn every_field_is_there() {
        let report = run_here(&config(
            vec![Sharing::Local, Sharing::Atomic, Sharing::Local],
            2,
        ))
        .unwrap();
        assert_eq!(report.results.len(), 2);
        assert_eq!(report.results[0].mode, "atomic");
        let json = serde_json::to_value(&report.results[1]).unwrap();
        for key in [
            "iterations",
            "wrong_runs",
            "lost_updates_median",
            "lost_updates_max",
            "ns_per_op",
            "final_values",
            "reason",
            "timing",
        ] {
            assert!(json[key] != serde_json::Value::Null, "{key}");
        }
        assert!(json["ns_per_op"].as_f64().unwrap() > 0.0);
        assert!(json["timing"]["loops_overlap_pct"].is_number());
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("not race conditions"))
        );
        assert_eq!(report.timeline.runs.len(), 2);
    }

    #[test]
    fn bad_sizes_are_usage_errors() {
        let mut c = config(vec![Sharing::Atomic], 1);
        let e = run_here(&c).unwrap_err();
        assert!(e.downcast_ref::<crate::error::UsageError>().is_some());
        c.threads = 2;
        c.iterations = u64::MAX;
        assert!(
            run_here(&c)
                .unwrap_err()
                .downcast_ref::<crate::error::UsageError>()
                .is_some()
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn one_core_uses_one_cpu() {
        let mut c = config(vec![], 2);
        c.one_core = true;
        let report = run_here(&c).unwrap();
        for r in &report.results {
            assert_eq!(r.cpus_used.len(), 1, "{}", r.mode);
        }
        assert!(report.notes.iter().any(|n| n.contains("--one-core")));
    }
}

mod claim_tests {
    //! Every outcome of the race's claims, on synthetic runs.
    use super::*;
    use crate::exec::Run;
    use crate::stats::Summary;

    fn runs(mode: Sharing, finals: &[i64]) -> ModeRuns {
        ModeRuns {
            mode,
            runs: finals
                .iter()
                .map(|&final_value| RaceRun {
                    run: Run {
                        wall: Duration::from_millis(1),
                        checksum: final_value as u64,
                        slices: Vec::new(),
                        context_switches: None,
                    },
                    final_value,
                    start_skew: Duration::ZERO,
                    overlap: Duration::ZERO,
                    preemptions: None,
                    lined_up: true,
                })
                .collect(),
        }
    }

    fn row(mode: Sharing, ok: bool) -> ModeResult {
        ModeResult {
            mode: mode.name().into(),
            workers: 2,
            cpus_used: vec![0],
            wall_ms: Summary::of(&[1.0]).unwrap(),
            speedup: 1.0,
            speedup_interval: [1.0, 1.0],
            efficiency: 0.5,
            checksum_ok: ok,
            interference: None,
            findings: Findings::default(),
        }
    }

    #[test]
    fn lost_updates_hold_only_when_a_run_went_wrong() {
        let seen = claims(
            &[runs(Sharing::Unsync, &[0, -120, 77])],
            &[row(Sharing::Unsync, false)],
            false,
        );
        assert_eq!(seen[0].id, ClaimId::RaceLostUpdates);
        assert_eq!(seen[0].holds, Some(true));
        assert!(seen[0].text.contains("2 of 3 runs") && seen[0].text.contains("at least 120"));
        assert!(seen[0].text.contains("3 different final values"));
        // The tour on one CPU: no run went wrong. Say so, and why, never "up to 0 lost".
        let none = claims(
            &[runs(Sharing::Unsync, &[0; 5])],
            &[row(Sharing::Unsync, true)],
            true,
        );
        assert_eq!(none[0].holds, Some(false));
        assert!(
            none[0]
                .text
                .starts_with("The race did not show in 5 runs: on one CPU")
        );
        assert!(!none[0].text.contains("differently every time"));
        let two = claims(
            &[runs(Sharing::Unsync, &[0; 5])],
            &[row(Sharing::Unsync, true)],
            false,
        );
        assert!(!two[0].text.contains("one CPU"));
    }

    #[test]
    fn fixes_are_exact_only_when_every_one_ended_at_zero() {
        let ok = claims(
            &[],
            &[row(Sharing::Atomic, true), row(Sharing::Mutex, true)],
            false,
        );
        assert_eq!(
            (ok[0].id, ok[0].holds),
            (ClaimId::RaceFixesExact, Some(true))
        );
        let bad = claims(
            &[],
            &[row(Sharing::Atomic, true), row(Sharing::Mutex, false)],
            false,
        );
        assert_eq!(bad[0].holds, Some(false));
        assert!(bad[0].text.contains("mutex"));
    }
}
