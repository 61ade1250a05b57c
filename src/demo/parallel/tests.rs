//! Tests of `parallel`: real small runs on machines described otherwise (one CPU, a quota,
//! many CPUs, SMT siblings, differing cores), and every claim's outcomes on synthetic runs.

use super::*;
use crate::claims::{Claim, ClaimId};
use crate::interference::Interference;
use crate::model::{ModeResult, Timeline};
use crate::sys::Machine;

mod run_tests {
    use super::*;
    use crate::claims;
    use crate::interference::Verdict;
    use crate::report::{Format, Lanes, RenderOptions, render};

    fn config(tasks: usize, threads: usize) -> Config {
        Config {
            tasks,
            threads,
            placements: Vec::new(),
            limit: Limit::default_here(),
            size: WorkSize::Units(20_000),
            seed: 1,
            repeats: Repeats { runs: 3, warmup: 0 },
            progress: false,
        }
    }

    fn table(report: &Report) -> String {
        render(
            report,
            &RenderOptions {
                format: Format::Table,
                timeline: false,
                lanes: Lanes::Cpu,
                width: 100,
                zoom_ms: None,
                color: false,
                timeline_full: false,
            },
        )
    }

    /// This machine's facts as some other machine would have them.
    fn env_like(load: f64, tweak: impl FnOnce(&mut Machine)) -> Env {
        let mut env = Env::with_load(load);
        tweak(&mut env.machine);
        env
    }

    fn claim<'a>(report: &'a Report, id: ClaimId, mode: Option<&str>) -> &'a Claim {
        claims::find(&report.claims, id, mode).unwrap_or_else(|| panic!("no {id} {mode:?}"))
    }

    /// The first two CPUs of this process's mask, where it has two.
    fn two_cpus() -> Option<[usize; 2]> {
        crate::sys::affinity()
            .filter(|m| m.len() >= 2)
            .map(|m| [m[0], m[1]])
    }

    /// On a machine read as one core of two hardware threads (this machine's first two CPUs,
    /// renamed), `--placement siblings,cores`: the one is run, the other refused before any
    /// work, and every mode whose tasks ran on both threads is said to have shared a core.
    #[test]
    fn placements_pin_the_tasks_and_say_where() {
        let Some([a, b]) = two_cpus() else {
            return;
        };
        let smt = |m: &mut Machine| {
            m.topology = Some(crate::sys::Topology::of_cores(&[(
                vec![a, b],
                "core",
                None,
            )]));
            m.affinity = Some(vec![a, b]);
        };
        let mut asked = config(2, 2);
        asked.placements = vec![Placement::Siblings];
        let report = run(&asked, &env_like(0.0, smt)).unwrap();
        let pinned = report
            .results
            .iter()
            .find(|r| r.mode == "pinned:siblings")
            .expect("a pinned mode");
        assert!(
            pinned.cpus_used.iter().all(|c| [a, b].contains(c)),
            "{pinned:?}"
        );
        assert!(pinned.checksum_ok);
        let siblings = format!("CPUs {}", crate::sys::cpu_list(&[a, b]));
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("pinned:siblings: its tasks ran on")
                    && n.contains(&siblings)
                    && n.contains("hardware threads of one core")),
            "{:#?}",
            report.notes
        );
        // Every other mode whose tasks ran on both threads is said to have shared the core.
        for r in report.results.iter().skip(1) {
            if [a, b].iter().all(|c| r.cpus_used.contains(c)) {
                let said = format!("{}: its tasks ran on {siblings}", r.mode);
                assert!(
                    report
                        .notes
                        .iter()
                        .any(|n| n.starts_with(&said) && n.contains("hardware threads of one core")),
                    "{said}: {:#?}",
                    report.notes
                );
            }
        }
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("Pinned, 2 task(s) gave a speedup of ")
                    && n.contains("x on the hardware threads of one core")),
            "{:#?}",
            report.notes
        );
        // One core: there are no two cores to place tasks on.
        asked.placements = vec![Placement::Cores, Placement::Siblings];
        let error = run(&asked, &env_like(0.0, smt)).unwrap_err();
        let usage = error.downcast_ref::<UsageError>().expect("bad input");
        assert!(usage.0.contains("needs two cores"), "{usage}");
    }

    /// Where cores differ the kernel's speed is measured on one CPU of each kind: here this
    /// machine's first CPU read as a P-core and its second as an E-core.
    #[test]
    fn differing_cores_have_their_speed_measured() {
        let Some([a, b]) = two_cpus() else {
            return;
        };
        let hybrid = |m: &mut Machine| {
            m.topology = Some(crate::sys::Topology::of_cores(&[
                (vec![a], "P", None),
                (vec![b], "E", None),
            ]));
            m.affinity = Some(vec![a, b]);
        };
        let mut asked = config(2, 2);
        asked.placements = vec![Placement::Fast, Placement::Slow];
        let report = run(&asked, &env_like(0.0, hybrid)).unwrap();
        let speeds = report.core_speeds.clone().expect("core speeds");
        assert_eq!(speeds.len(), 2);
        let modes: Vec<&str> = report.results.iter().map(|r| r.mode.as_str()).collect();
        assert_eq!(
            modes,
            ["sequential", "threads", "rayon", "pinned:p", "pinned:e"]
        );
        let e = report
            .results
            .iter()
            .find(|r| r.mode == "pinned:e")
            .unwrap();
        assert_eq!(e.cpus_used, [b]);
        // Where a mode's tasks ran on both kinds, it is said; pinned to one kind, not.
        for r in report.results.iter().skip(1) {
            let mixed = r.cpus_used.contains(&a) && r.cpus_used.contains(&b);
            let said = report.notes.iter().any(|n| {
                n.starts_with(&format!(
                    "{}: its tasks ran on cores of different kinds",
                    r.mode
                ))
            });
            assert_eq!(
                said, mixed,
                "{}: {:?}\n{:#?}",
                r.mode, r.cpus_used, report.notes
            );
        }
        let note = report
            .notes
            .iter()
            .find(|n| n.starts_with("The kernel ran "))
            .expect("a speed note");
        assert!(
            note.contains(&format!("on a P-core (cpu{a}) alone")),
            "{note}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["core_speeds"][1]["core_type"], "E");
        // Alike cores: no probe, no field.
        let plain = run(&config(2, 2), &env_like(0.0, |_| {})).unwrap();
        assert!(plain.core_speeds.is_none());
        assert!(
            serde_json::to_value(&plain)
                .unwrap()
                .get("core_speeds")
                .is_none()
        );
    }

    #[test]
    fn one_cpu_says_that_no_mode_can_beat_sequential() {
        let env = env_like(0.0, |m| {
            m.affinity = Some(vec![0]);
            m.available_parallelism = 1;
        });
        let report = run(&config(2, 1), &env).unwrap();
        let possible = claim(&report, ClaimId::MachineParallelPossible, None);
        assert_eq!(possible.holds, Some(false));
        assert!(report.notes.contains(&possible.text), "{:?}", report.notes);
        assert!(possible.text.contains("no mode can beat sequential"));
        let two = env_like(0.0, |m| {
            m.affinity = Some(vec![0, 1]);
            m.available_parallelism = 2;
        });
        let two = run(&config(2, 2), &two).unwrap();
        assert_eq!(
            claim(&two, ClaimId::MachineParallelPossible, None).holds,
            Some(true)
        );
        assert!(
            !two.notes
                .iter()
                .any(|n| n.contains("no mode can beat sequential"))
        );
    }

    #[test]
    fn a_quota_of_one_and_a_half_cpus_allows_one_and_a_half_times() {
        // Rust's available_parallelism rounds a 1.5-CPU quota down to 1: a pool size, not what
        // two CPUs under that quota can do.
        let env = env_like(0.0, |m| {
            m.affinity = Some(vec![0, 1]);
            m.cgroup_quota_cpus = Some(1.5);
            m.available_parallelism = 1;
        });
        let report = run(&config(2, 2), &env).unwrap();
        let possible = claim(&report, ClaimId::MachineParallelPossible, None);
        assert_eq!(possible.holds, Some(true), "{}", possible.text);
        assert!(possible.text.contains("up to 1.50x"));
        assert!(report.notes.contains(&possible.text));
        assert!(
            !report
                .notes
                .iter()
                .any(|n| n.contains("no mode can beat sequential"))
        );
    }

    #[test]
    fn many_cpus_say_how_many_tasks_wait_their_turn_only_when_they_must() {
        let env = env_like(0.0, |m| {
            m.logical_cpus = 64;
            m.affinity = Some((0..64).collect());
            m.available_parallelism = 64;
        });
        let report = run(&config(3, 2), &env).unwrap();
        assert!(!report.notes.iter().any(|n| n.contains("wait their turn")));
        let two = env_like(0.0, |m| m.affinity = Some(vec![0, 1]));
        let report = run(&config(3, 2), &two).unwrap();
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("3 tasks share 2 CPUs"))
        );
    }

    #[test]
    fn a_busy_machine_is_flagged_in_the_json_the_notes_and_the_table() {
        // Work enough that each mode's own three runs can be read, on one CPU too.
        let mut busy = config(2, 2);
        busy.size = WorkSize::Units(150_000);
        let report = run(&busy, &Env::with_load(2.0)).unwrap();
        assert_eq!(
            report.interference.verdict,
            Verdict::Disturbed,
            "{:?}",
            report.interference
        );
        assert!(report.interference.others_cpus.unwrap() > 0.5);
        assert!(
            report.notes[0].starts_with("Disturbed: other programs used"),
            "{:?}",
            report.notes
        );
        let text = table(&report);
        assert!(text.lines().next().unwrap().ends_with("others"), "{text}");

        // The same run on a quiet machine: no warning, no column.
        let quiet = run(&config(2, 2), &Env::with_load(0.0)).unwrap();
        assert_ne!(quiet.interference.verdict, Verdict::Disturbed);
        assert!(!quiet.notes.iter().any(|n| n.starts_with("Disturbed")));
        assert!(!table(&quiet).lines().next().unwrap().contains("others"));
    }
}

mod claim_tests {
    //! Every outcome of every `parallel` claim, on synthetic findings.
    use super::*;
    use crate::claims;
    use crate::interference::Verdict;
    use crate::model::{SliceReport, TimelineRun};

    fn result(mode: impl Mode, wall: f64, interval: [f64; 2], cpus: Vec<usize>) -> ModeResult {
        ModeResult::synthetic(mode.name(), &[wall], interval, cpus)
    }

    /// Two tasks of `mode`, drawn on `cpus` (one slice each, 0-40 and `second` ms).
    fn timeline(mode: impl Mode, cpus: [usize; 2], second: (f64, f64)) -> Timeline {
        let mode = mode.name();
        let slice = |task, cpu, start: f64, end: f64| SliceReport {
            mode: mode.into(),
            lane: format!("cpu{cpu}"),
            task,
            worker: task,
            cpu: Some(cpu),
            start_us: start * 1e3,
            end_us: end * 1e3,
        };
        Timeline {
            runs: vec![TimelineRun {
                mode: mode.into(),
                run: 0,
                wall_us: 80e3,
            }],
            slices: vec![
                slice(0, cpus[0], 0.0, 40.0),
                slice(1, cpus[1], second.0, second.1),
            ],
            ..Default::default()
        }
    }

    fn machine(cpus: usize) -> Machine {
        Machine::with_cpus(cpus)
    }

    fn quiet() -> Interference {
        let mut i = Interference::none();
        i.verdict = Verdict::Quiet;
        i.others_cpus = Some(0.02);
        i
    }

    fn judge(machine: &Machine, r: ModeResult, t: &Timeline, i: &Interference) -> Vec<Claim> {
        let w = Workload::new(2, WorkSize::Units(1), 1);
        claims(
            machine,
            &w,
            &[result(Sequential, 100.0, [1.0, 1.0], vec![0]), r],
            t,
            i,
        )
    }

    fn holds(claims: &[Claim], id: ClaimId) -> Option<bool> {
        claims::find(claims, id, Some("threads")).unwrap().holds
    }

    #[test]
    fn two_quiet_cpus_in_parallel() {
        let c = judge(
            &machine(2),
            result(Way::Threads, 52.0, [1.85, 1.98], vec![0, 1]),
            &timeline(Way::Threads, [0, 1], (0.0, 40.0)),
            &quiet(),
        );
        assert_eq!(holds(&c, ClaimId::ParallelAtOnce), Some(true));
        assert_eq!(holds(&c, ClaimId::ParallelFaster), Some(true));
        assert_eq!(holds(&c, ClaimId::ParallelBusyShare), Some(false));
    }

    #[test]
    fn one_busy_cpu_shared_is_no_parallelism_and_cannot_judge_speed() {
        // The tour on a machine running a build: both threads on cpu1, a "speedup" of 1.45.
        let mut busy = quiet();
        busy.verdict = Verdict::Disturbed;
        busy.others_cpus = Some(1.1);
        let c = judge(
            &machine(2),
            result(Way::Threads, 69.0, [1.3, 1.6], vec![1]),
            &timeline(Way::Threads, [1, 1], (40.0, 80.0)),
            &busy,
        );
        assert_eq!(holds(&c, ClaimId::ParallelAtOnce), Some(false));
        let at_once = claims::find(&c, ClaimId::ParallelAtOnce, Some("threads")).unwrap();
        assert!(
            at_once.text.contains("never ran at the same instant"),
            "{}",
            at_once.text
        );
        assert_eq!(holds(&c, ClaimId::ParallelFaster), None);
        assert_eq!(holds(&c, ClaimId::ParallelBusyShare), Some(true));
    }

    #[test]
    fn one_cpu_is_slower_in_every_round_and_says_why() {
        let c = judge(
            &machine(1),
            result(Way::Threads, 103.0, [0.95, 0.98], vec![0]),
            &timeline(Way::Threads, [0, 0], (40.0, 80.0)),
            &quiet(),
        );
        assert_eq!(c[0].holds, Some(false));
        assert_eq!(holds(&c, ClaimId::ParallelFaster), Some(false));
        let faster = claims::find(&c, ClaimId::ParallelFaster, Some("threads")).unwrap();
        assert!(
            faster.text.contains("only adds switching"),
            "{}",
            faster.text
        );
        assert_eq!(holds(&c, ClaimId::ParallelAtOnce), Some(false));
    }

    #[test]
    fn rounds_that_disagree_or_work_too_small_are_not_judged() {
        let c = judge(
            &machine(64),
            result(Way::Threads, 102.0, [0.9, 1.2], vec![0, 1]),
            &timeline(Way::Threads, [0, 1], (10.0, 40.0)),
            &quiet(),
        );
        assert_eq!(holds(&c, ClaimId::ParallelFaster), None);
        assert!(
            claims::find(&c, ClaimId::ParallelFaster, Some("threads"))
                .unwrap()
                .text
                .contains("disagree")
        );
        let w = Workload::new(2, WorkSize::Units(1), 1);
        let tiny = claims(
            &machine(2),
            &w,
            &[
                result(Sequential, 5.0, [1.0, 1.0], vec![0]),
                result(Way::Threads, 3.0, [1.6, 1.7], vec![0, 1]),
            ],
            &timeline(Way::Threads, [0, 1], (0.0, 3.0)),
            &quiet(),
        );
        assert_eq!(holds(&tiny, ClaimId::ParallelFaster), None);
    }
}
