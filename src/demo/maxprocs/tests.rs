//! Tests of `maxprocs`: the P lists, a real small sweep, and every claim's outcomes on synthetic sweeps.

use super::*;
use crate::claims::ClaimId;

mod sweep_tests {
    use super::*;

    #[test]
    fn the_default_list_is_dense_then_doubles_and_stays_short() {
        assert_eq!(default_procs(1), [1, 2]);
        assert_eq!(default_procs(2), [1, 2, 4]);
        assert_eq!(default_procs(3), [1, 2, 3, 4, 6]);
        assert_eq!(default_procs(8), [1, 2, 3, 4, 5, 6, 7, 8, 16]);
        assert_eq!(default_procs(12), [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24]);
        assert_eq!(default_procs(64), [1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128]);
        assert_eq!(default_procs(256).len(), 14);
        assert_eq!(default_procs(256).last(), Some(&512));
        for cpus in 1..=4096 {
            let list = default_procs(cpus);
            assert!(list.len() <= 17, "{cpus}: {list:?}");
            assert!(list.contains(&1) && list.contains(&cpus.min(MAX_THREADS as usize)));
            assert!(list.windows(2).all(|w| w[0] < w[1]));
            assert!(*list.last().unwrap() <= MAX_THREADS as usize);
        }
    }

    #[test]
    fn the_list_run_has_the_baseline_and_the_limit() {
        assert_eq!(procs_to_run(None, 2, 2, &[]), (vec![1, 2, 4], false));
        assert_eq!(procs_to_run(None, 2, 3, &[]), (vec![1, 2, 3, 4], false));
        assert_eq!(
            procs_to_run(Some(&[4, 2, 2]), 2, 3, &[]),
            (vec![1, 2, 4], true)
        );
        assert_eq!(procs_to_run(Some(&[1, 8]), 2, 3, &[]), (vec![1, 8], false));
        // 6 P-cores of 2 threads and 8 E-cores: 20 CPUs, 14 cores, 6 of the fastest kind.
        let (hybrid, _) = procs_to_run(None, 20, 20, &[6, 14]);
        assert!(hybrid.contains(&6) && hybrid.contains(&14) && hybrid.contains(&20));
        // A 2-socket server of 128 cores x 2 threads: still a short list.
        let (server, _) = procs_to_run(None, 256, 256, &[128, 128]);
        assert!(server.contains(&128) && server.len() <= 19, "{server:?}");
        // What was asked for is run as asked.
        assert_eq!(procs_to_run(Some(&[1, 2]), 20, 20, &[6, 14]).0, [1, 2]);
    }

    #[test]
    fn tasks_default_to_eight_per_cpu_within_bounds() {
        assert_eq!(default_tasks(2, 4), 16);
        assert_eq!(default_tasks(2, 64), 64);
        assert_eq!(default_tasks(1024, 2048), MAX_TASKS as usize);
    }

    fn config(procs: &[usize], serial_fraction: f64) -> Config {
        Config {
            procs: Some(procs.to_vec()),
            tasks: Some(6),
            size: SweepSize::UnitsPerTask(3000),
            serial_fraction,
            seed: 4,
            repeats: Repeats { runs: 2, warmup: 0 },
            progress: false,
            limit: Limit::resolve(Some((2, crate::maxprocs::Source::Flag)), 1),
        }
    }

    #[test]
    fn a_small_sweep_reports_every_p_with_its_figures() {
        let report = run(&config(&[1, 2, 3], 0.25), &Env::with_load(0.0)).unwrap();
        assert_eq!(report.demo, crate::model::Demo::Maxprocs);
        let threads: Vec<usize> = report.results.iter().map(|r| r.workers).collect();
        assert_eq!(threads, [1, 2, 3]);
        assert!(report.results.iter().all(|r| r.checksum_ok));
        assert_eq!(report.results[0].speedup, 1.0);
        let found = |i: usize| report.results[i].findings.maxprocs().unwrap();
        assert!(found(0).karp_flatt.is_none());
        assert!(found(1).karp_flatt.is_some());
        let amdahl = report.amdahl.clone().unwrap();
        assert_eq!(amdahl.points.len(), 3);
        assert_eq!(amdahl.serial_fraction_set, 0.25);
        assert!(
            amdahl
                .points
                .iter()
                .all(|p| p.speedup_min <= p.speedup && p.speedup <= p.speedup_max)
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["maxprocs"]["limit"], 2);
        assert_eq!(json["maxprocs"]["source"], "--maxprocs");
        assert!(json["results"][1]["karp_flatt"].is_number());
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("P = 2 is the worker limit"))
        );
    }

    #[test]
    fn the_baseline_is_added_when_missing() {
        let report = run(&config(&[2], 0.0), &Env::with_load(0.0)).unwrap();
        assert_eq!(report.results[0].workers, 1);
        assert!(report.notes.iter().any(|n| n.contains("P = 1 was added")));
    }
}

mod claim_tests {
    //! Every outcome of the sweep's claims, on synthetic findings.
    use super::*;
    use crate::interference::Verdict;
    use crate::model::claim_figures::ClaimFigures;
    use crate::stats::Summary;

    /// P, median wall ms, and the per-round speedup interval.
    fn sweep(points: &[(usize, f64, [f64; 2])]) -> Vec<ModeResult> {
        let baseline = points[0].1;
        points
            .iter()
            .map(|&(p, wall, interval)| ModeResult {
                mode: format!("P={p}"),
                workers: p,
                cpus_used: vec![0],
                wall_ms: Summary::of(&[wall]).unwrap(),
                speedup: baseline / wall,
                speedup_interval: interval,
                efficiency: baseline / wall / p as f64,
                checksum_ok: true,
                interference: None,
                findings: Findings::default(),
            })
            .collect()
    }

    fn fit(results: &[ModeResult], cpus: f64) -> AmdahlReport {
        let points = results
            .iter()
            .map(|r| Point {
                threads: r.workers,
                p: amdahl::processors(r.workers as f64, cpus),
                speedup: r.speedup,
                speedup_min: r.speedup_interval[0],
                speedup_max: r.speedup_interval[1],
            })
            .collect();
        AmdahlReport::new(points, cpus, 0.0)
    }

    fn machine(verdict: Verdict) -> Interference {
        let mut i = Interference::none();
        i.verdict = verdict;
        i.others_cpus = Some(if verdict == Verdict::Disturbed {
            0.9
        } else {
            0.02
        });
        i
    }

    fn judge(points: &[(usize, f64, [f64; 2])], cpus: f64, verdict: Verdict) -> Vec<Claim> {
        let results = sweep(points);
        claims(&results, &fit(&results, cpus), &machine(verdict), None)
    }

    /// The claims of a sweep on a machine of `topology`, fitted as `run` fits it: over P up to
    /// the fastest cores where they are fewer than the CPUs.
    fn judge_on(
        points: &[(usize, f64, [f64; 2])],
        topology: &crate::sys::Topology,
        verdict: Verdict,
    ) -> Vec<Claim> {
        let results = sweep(points);
        let reach = topology.reach(None);
        let cpus = reach.cpus as f64;
        let limit = super::super::fit_limit(Some(&reach), cpus);
        let points = fit(&results, cpus).points;
        let fit = AmdahlReport::fitted_within(points, cpus, 0.0, limit);
        claims(&results, &fit, &machine(verdict), Some(&reach))
    }

    fn text(claims: &[Claim], id: ClaimId) -> String {
        crate::claims::find(claims, id, None).unwrap().text.clone()
    }

    /// An 8-core x 2-thread desktop whose work has no serial part: linear to 8, then the
    /// second hardware thread of each core adds 24%.
    fn smt_sweep(at_16: f64) -> Vec<(usize, f64, [f64; 2])> {
        let mut points: Vec<(usize, f64, [f64; 2])> = (1..=8usize)
            .map(|p| {
                let s = p as f64 * 0.995_f64.powf(p as f64 - 1.0);
                (p, 800.0 / s, [s * 0.98, s * 1.02])
            })
            .collect();
        let s8 = points[7].2[0] / 0.98;
        let s16 = s8 * at_16;
        points.push((16, 800.0 / s16, [s16 * 0.98, s16 * 1.02]));
        let s32 = s16 * 0.99;
        points.push((32, 800.0 / s32, [s32 * 0.97, s32 * 1.01]));
        points
    }

    fn desktop() -> crate::sys::Topology {
        crate::sys::Topology::of_cores(
            &(0..8)
                .map(|c| (vec![c, c + 8], "core", None))
                .collect::<Vec<_>>(),
        )
    }

    /// The fit is judged relative to the speedups: the same 3% noise of the runs fits at 8
    /// CPUs and at 64 (where it is 2 in speedup), and runs 9% off the curve do not fit at
    /// either.
    #[test]
    fn a_fit_is_judged_by_its_error_relative_to_the_speedups() {
        let noisy = |cpus: usize, off: f64| -> Vec<(usize, f64, [f64; 2])> {
            let mut ps: Vec<usize> = vec![1, 2];
            ps.extend([4, 8, 16, 32, 64].into_iter().filter(|&p| p <= cpus));
            ps.into_iter()
                .enumerate()
                .map(|(i, p)| {
                    let noise = if i % 2 == 0 { 1.0 - off } else { 1.0 + off };
                    let s = if p == 1 { 1.0 } else { p as f64 * noise };
                    (p, 800.0 / s, [s * 0.99, s * 1.01])
                })
                .collect()
        };
        for cpus in [8, 64] {
            let quiet = judge(&noisy(cpus, 0.03), cpus as f64, Verdict::Quiet);
            assert_eq!(
                holds(&quiet, ClaimId::MaxprocsFitIsTheWork),
                Some(true),
                "{cpus} CPUs, 3% noise: {}",
                text(&quiet, ClaimId::MaxprocsFitIsTheWork)
            );
            let off = judge(&noisy(cpus, 0.09), cpus as f64, Verdict::Quiet);
            assert_eq!(
                holds(&off, ClaimId::MaxprocsFitIsTheWork),
                Some(false),
                "{cpus} CPUs, 9% off: {}",
                text(&off, ClaimId::MaxprocsFitIsTheWork)
            );
            assert!(text(&off, ClaimId::MaxprocsFitIsTheWork).contains("% on average"));
        }
    }

    #[test]
    fn smt_is_a_gain_of_its_own_not_a_serial_fraction() {
        let points = smt_sweep(1.24);
        // Read as 16 alike CPUs, as conpar read it before it knew the topology, the flat top
        // comes out as a serial fraction.
        let naive = sweep(&points);
        let naive_fit = fit(&naive, 16.0);
        assert!(naive_fit.serial_fraction.unwrap() > 0.03, "{naive_fit:?}");
        // Knowing that 16 CPUs are 8 cores x 2 threads, the fit stops at 8 and finds none.
        let c = judge_on(&points, &desktop(), Verdict::Quiet);
        let fitted = text(&c, ClaimId::MaxprocsFitIsTheWork);
        assert!(
            fitted.contains("least squares over the 8 points with P up to the 8 cores"),
            "{fitted}"
        );
        let serial = crate::claims::find(&c, ClaimId::MaxprocsFitIsTheWork, None).unwrap();
        let ClaimFigures::FitIsTheWork(f) = &serial.figures else {
            panic!("{serial:?}");
        };
        assert!(f.serial_fraction < 0.01, "{f:?}");
        let gain = crate::claims::find(&c, ClaimId::MaxprocsSmtGain, None).unwrap();
        assert_eq!(gain.holds, Some(true), "{}", gain.text);
        assert!(
            gain.text.starts_with(
                "The second hardware thread of each core added 24% (P = 16 on 16 hardware threads gave a speedup of 9.58 against 7.72 at P = 8, one worker per core;"
            ),
            "{}",
            gain.text
        );
        assert!(gain.text.contains("not a serial part"), "{}", gain.text);
        // No gain from the second threads: said as seen.
        let none = judge_on(&smt_sweep(1.02), &desktop(), Verdict::Quiet);
        let gain = crate::claims::find(&none, ClaimId::MaxprocsSmtGain, None).unwrap();
        assert_eq!(gain.holds, Some(false), "{}", gain.text);
        assert!(
            gain.text.contains("added nothing beyond the noise"),
            "{}",
            gain.text
        );
        // A busy machine: not judged.
        let busy = judge_on(&points, &desktop(), Verdict::Disturbed);
        let gain = crate::claims::find(&busy, ClaimId::MaxprocsSmtGain, None).unwrap();
        assert_eq!(gain.holds, None);
        assert!(gain.text.contains("cannot be judged here"), "{}", gain.text);
    }

    #[test]
    fn slower_cores_are_not_a_serial_fraction() {
        // 4 P-cores and 4 E-cores at 60% of a P-core's speed: linear to 4, then 0.6 a worker.
        let hybrid = crate::sys::Topology::of_cores(
            &(0..8)
                .map(|c| (vec![c], if c < 4 { "P" } else { "E" }, None))
                .collect::<Vec<_>>(),
        );
        let points: Vec<(usize, f64, [f64; 2])> = [1usize, 2, 3, 4, 5, 6, 7, 8, 16]
            .iter()
            .map(|&p| {
                let s = p.min(4) as f64 + 0.6 * (p.min(8).saturating_sub(4)) as f64;
                (p, 800.0 / s, [s * 0.98, s * 1.02])
            })
            .collect();
        let c = judge_on(&points, &hybrid, Verdict::Quiet);
        let fitted = text(&c, ClaimId::MaxprocsFitIsTheWork);
        assert!(
            fitted.contains(
                "with P up to the 4 P-cores, p = P; beyond them workers run on slower cores"
            ),
            "{fitted}"
        );
        assert!(fitted.contains("serial fraction 0.000"), "{fitted}");
        // The cores differ: no SMT claim.
        assert!(crate::claims::find(&c, ClaimId::MaxprocsSmtGain, None).is_none());
    }

    #[test]
    fn alike_cores_of_one_thread_are_judged_as_before() {
        let plain = crate::sys::Topology::of_cores(
            &(0..2).map(|c| (vec![c], "core", None)).collect::<Vec<_>>(),
        );
        let points = [
            (1, 400.0, [1.0, 1.0]),
            (2, 205.0, [1.9, 2.0]),
            (4, 207.0, [1.85, 1.97]),
        ];
        let with = judge_on(&points, &plain, Verdict::Quiet);
        let without = judge(&points, 2.0, Verdict::Quiet);
        assert_eq!(with, without);
    }

    fn holds(claims: &[Claim], id: ClaimId) -> Option<bool> {
        crate::claims::find(claims, id, None).unwrap().holds
    }

    #[test]
    fn two_quiet_cpus_gain_nothing_above_them_and_fit_the_work() {
        let c = judge(
            &[
                (1, 400.0, [1.0, 1.0]),
                (2, 205.0, [1.9, 2.0]),
                (4, 207.0, [1.85, 1.97]),
            ],
            2.0,
            Verdict::Quiet,
        );
        assert_eq!(holds(&c, ClaimId::MaxprocsNoGainAboveCpus), Some(true));
        assert_eq!(holds(&c, ClaimId::MaxprocsFitIsTheWork), Some(true));
    }

    #[test]
    fn a_gain_above_the_cpus_is_said_as_seen_not_denied() {
        // P = 4 faster than P = 2 in every round: "no further speedup" would be false.
        let c = judge(
            &[
                (1, 400.0, [1.0, 1.0]),
                (2, 330.0, [1.1, 1.3]),
                (4, 290.0, [1.3, 1.45]),
            ],
            2.0,
            Verdict::Quiet,
        );
        assert_eq!(holds(&c, ClaimId::MaxprocsNoGainAboveCpus), Some(false));
        let text = &crate::claims::find(&c, ClaimId::MaxprocsNoGainAboveCpus, None)
            .unwrap()
            .text;
        assert!(text.starts_with("P = 4 was faster"), "{text}");
    }

    #[test]
    fn impossible_speedups_and_tiny_work_do_not_describe_the_work() {
        // --units 1 --serial-fraction 0.999999: a "speedup" of 12.65 on 2 CPUs.
        let noise = judge(
            &[(1, 25.3, [1.0, 1.0]), (2, 2.0, [9.0, 14.0])],
            2.0,
            Verdict::Quiet,
        );
        assert_eq!(holds(&noise, ClaimId::MaxprocsFitIsTheWork), Some(false));
        // CONPAR_MAXPROCS=1024 --units 200: a baseline of 1 ms cannot be judged.
        let tiny = judge(
            &[
                (1, 1.0, [1.0, 1.0]),
                (2, 0.9, [0.8, 1.3]),
                (4, 0.72, [1.2, 1.5]),
            ],
            2.0,
            Verdict::Quiet,
        );
        assert_eq!(holds(&tiny, ClaimId::MaxprocsNoGainAboveCpus), None);
        assert_eq!(holds(&tiny, ClaimId::MaxprocsFitIsTheWork), None);
    }

    #[test]
    fn a_busy_machine_leaves_the_fit_unjudged() {
        // One busy loop on a 2-CPU machine: a "serial fraction" of 0.385 that is the load.
        let c = judge(
            &[
                (1, 400.0, [1.0, 1.0]),
                (2, 303.0, [1.2, 1.4]),
                (4, 300.0, [1.25, 1.4]),
            ],
            2.0,
            Verdict::Disturbed,
        );
        assert_eq!(holds(&c, ClaimId::MaxprocsFitIsTheWork), None);
        assert_eq!(holds(&c, ClaimId::MaxprocsNoGainAboveCpus), None);
        let text = &crate::claims::find(&c, ClaimId::MaxprocsFitIsTheWork, None)
            .unwrap()
            .text;
        assert!(text.contains("cannot be judged"), "{text}");
    }

    #[test]
    fn one_cpu_has_no_fit_and_sixty_four_have_no_p_above() {
        let one = judge(
            &[(1, 400.0, [1.0, 1.0]), (2, 405.0, [0.97, 1.0])],
            1.0,
            Verdict::Quiet,
        );
        assert!(crate::claims::find(&one, ClaimId::MaxprocsFitIsTheWork, None).is_none());
        assert_eq!(holds(&one, ClaimId::MaxprocsNoGainAboveCpus), Some(true));
        let many = judge(
            &[(1, 400.0, [1.0, 1.0]), (8, 52.0, [7.5, 7.8])],
            64.0,
            Verdict::Quiet,
        );
        assert!(crate::claims::find(&many, ClaimId::MaxprocsNoGainAboveCpus, None).is_none());
        assert_eq!(holds(&many, ClaimId::MaxprocsFitIsTheWork), Some(true));
    }

    #[test]
    fn under_a_fractional_quota_p_up_to_the_next_whole_cpu_is_within() {
        // 1.5 CPUs: P = 2 gains 1.43x, P = 4 nothing more.
        let c = judge(
            &[
                (1, 400.0, [1.0, 1.0]),
                (2, 280.0, [1.35, 1.5]),
                (4, 285.0, [1.3, 1.45]),
            ],
            1.5,
            Verdict::Quiet,
        );
        let no_gain = crate::claims::find(&c, ClaimId::MaxprocsNoGainAboveCpus, None).unwrap();
        assert_eq!(no_gain.holds, Some(true), "{}", no_gain.text);
        assert!(no_gain.text.contains("(P = 4)"), "{}", no_gain.text);
        assert!(!no_gain.text.contains("lost time"), "{}", no_gain.text);
    }

    #[test]
    fn two_beat_one_by_the_median_and_says_so_only_when_judged() {
        let two = |wall: f64, interval: [f64; 2], verdict: Verdict| {
            let c = judge(&[(1, 400.0, [1.0, 1.0]), (2, wall, interval)], 2.0, verdict);
            crate::claims::find(&c, ClaimId::MaxprocsTwoBeatOne, None)
                .unwrap()
                .clone()
        };
        // Two quiet CPUs, and a 1.5-CPU quota's smaller gain: both faster.
        let quiet = two(210.0, [1.8, 1.95], Verdict::Quiet);
        assert_eq!(quiet.holds, Some(true), "{}", quiet.text);
        assert!(quiet.text.starts_with("P = 2 was faster than P = 1"));
        assert_eq!(two(280.0, [1.3, 1.5], Verdict::Quiet).holds, Some(true));
        // One CPU: no round faster, said as seen.
        let slow = two(410.0, [0.95, 0.99], Verdict::Quiet);
        assert_eq!(slow.holds, Some(false));
        assert!(
            slow.text
                .contains("not faster than P = 1: no round by more than 10%"),
            "{}",
            slow.text
        );
        // Under a 0.5-CPU quota: 1.05x, within what throttling makes: no difference.
        let quota = two(400.0 / 1.05, [1.0, 1.1], Verdict::Quiet);
        assert_eq!(quota.holds, Some(false), "{}", quota.text);
        assert!(!quota.text.contains("was faster"), "{}", quota.text);
        // Rounds that disagree, and a busy machine: not judged.
        assert_eq!(two(404.0, [0.9, 1.2], Verdict::Quiet).holds, None);
        let busy = two(300.0, [1.2, 1.4], Verdict::Disturbed);
        assert_eq!(busy.holds, None);
        assert!(busy.text.contains("cannot be judged here"), "{}", busy.text);
        // No P = 2 in the sweep, no claim.
        let c = judge(
            &[(1, 400.0, [1.0, 1.0]), (64, 10.0, [38.0, 42.0])],
            64.0,
            Verdict::Quiet,
        );
        assert!(crate::claims::find(&c, ClaimId::MaxprocsTwoBeatOne, None).is_none());
    }
}
