//! `--check`: does this run show what its demo exists to show, where this machine can show it?
//!
//! For CI smoke tests. Each expectation is one of the report's claims (the table `EXPECTED`), and
//! a speedup is expected only where the machine can give one (more than one CPU's worth of
//! time: [`claims::parallel_possible`]). Speedups are judged as the claims judge them: by the
//! medians, as the table shows them, with the per-round interval saying how sure.
//!
//! A miss is only a failure where the run can be judged. Other programs do not only add time:
//! under contention the one-thread baseline loses more than a mode that takes both CPUs, so a
//! ratio can move either way. A speed expectation that misses on a disturbed run, on a run
//! whose disturbance could not be measured, or on work too small for start-up costs not to
//! dominate ([`MIN_JUDGED_MS`](crate::claims::MIN_JUDGED_MS)) is *inconclusive*: one line each, exit code 4. A miss on a
//! quiet machine is a failure: exit code 3. Correctness (checksums, the race's fixes, the
//! pinning of `interleave`) does not depend on the machine and always fails outright.

use crate::claims;
use crate::report::{ModeResult, Report};

/// What the user asked to be checked.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Expectations {
    /// `--check`: the demo's own expectations.
    pub(crate) demo: bool,
    /// `parallel --min-speedup X`: every parallel mode at least this fast.
    pub(crate) min_speedup: Option<f64>,
}

/// An expectation that did not hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Miss {
    /// It did not hold on a run that can be judged: exit 3.
    Failed(String),
    /// It did not hold, but the run cannot tell whether the program or the machine is to
    /// blame: exit 4. The text says why.
    Inconclusive(String),
}

impl Miss {
    /// The line printed on stderr.
    pub fn line(&self) -> String {
        match self {
            Miss::Failed(text) => format!("check failed: {text}"),
            Miss::Inconclusive(text) => format!("check inconclusive: {text}"),
        }
    }

    /// The same miss about a named part (a tour section's demo).
    #[must_use]
    pub(crate) fn within(self, part: &str) -> Miss {
        match self {
            Miss::Failed(t) => Miss::Failed(format!("{part}: {t}")),
            Miss::Inconclusive(t) => Miss::Inconclusive(format!("{part}: {t}")),
        }
    }
}

/// The exit code for a set of misses: 3 if any failed, else 4 if any was inconclusive, else 0.
pub fn exit_code(misses: &[Miss]) -> u8 {
    if misses.iter().any(|m| matches!(m, Miss::Failed(_))) {
        crate::error::EXIT_CHECK
    } else if misses.is_empty() {
        crate::error::EXIT_OK
    } else {
        crate::error::EXIT_INCONCLUSIVE
    }
}

/// What `--check` asks of a claim.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Right or wrong on any machine (checksums, the fixes of the race, the pinning): a claim
    /// that does not hold fails.
    Correct,
    /// A speedup: asked only of work of more than one task, where this process has more than
    /// one CPU's worth of time (`machine.parallel_possible`); a claim that cannot be judged is
    /// inconclusive.
    Faster,
}

/// The claims `--check` expects to hold: what each demo exists to show. `*` is every demo.
const EXPECTED: &[(&str, &str, Expect)] = &[
    ("*", "work.checksums", Expect::Correct),
    ("parallel", "parallel.faster", Expect::Faster),
    ("interleave", "interleave.one_cpu", Expect::Correct),
    ("race", "race.fixes_exact", Expect::Correct),
    ("gil-sim", "gil.take_turns", Expect::Correct),
    ("gil-sim", "gil.no_gil_parallel", Expect::Faster),
    ("gil-sim", "gil.processes_parallel", Expect::Faster),
    ("maxprocs", "maxprocs.two_beat_one", Expect::Faster),
];

/// Every expectation that did not hold, one sentence each; empty when all hold.
///
/// `--check` reads nothing but the report's claims: a claim it expects that does not hold is a
/// failure, one that cannot be judged is inconclusive (its text says why), so the verdict and
/// the sentences printed come from the same predicates and cannot disagree.
pub(crate) fn misses(report: &Report, expect: &Expectations) -> Vec<Miss> {
    let mut missed = Vec::new();
    if expect.demo {
        let tasks = report.workload.as_ref().map_or(1, |w| w.workload.tasks);
        let parallelism =
            tasks >= 2 && claims::parallel_possible(&report.machine).holds == Some(true);
        let expected = |c: &claims::Claim| {
            EXPECTED.iter().find_map(|&(demo, id, how)| {
                (id == c.id && (demo == "*" || demo == report.demo)).then_some(how)
            })
        };
        for c in &report.claims {
            let miss = match (expected(c), c.holds) {
                (None, _) | (_, Some(true)) => None,
                (Some(Expect::Faster), _) if !parallelism => None,
                (Some(_), Some(false)) => Some(Miss::Failed(c.text.clone())),
                (Some(_), None) => Some(Miss::Inconclusive(c.text.clone())),
            };
            missed.extend(miss);
        }
    }
    // --min-speedup is the user's own bar: it judges the median, as the table shows it.
    if let Some(min) = expect.min_speedup {
        for r in parallel_modes(report) {
            if r.speedup < min {
                missed.push(speed_miss(
                    report,
                    r,
                    format!(
                        "{}: speedup {:.2} is below --min-speedup {min}",
                        r.mode, r.speedup
                    ),
                ));
            }
        }
    }
    missed
}

/// A speed expectation that missed for `r`: a failure only where the run can be judged.
fn speed_miss(report: &Report, r: &ModeResult, text: String) -> Miss {
    let baseline_ms = report.results.first().map_or(0.0, |b| b.wall_ms.median);
    match claims::mode_speed_unjudgeable(r, &report.interference, baseline_ms) {
        Some(why) => Miss::Inconclusive(format!("{text}, but this run cannot judge it: {why}")),
        None => Miss::Failed(text),
    }
}

/// The modes of `parallel` that may use several CPUs.
fn parallel_modes(report: &Report) -> impl Iterator<Item = &ModeResult> {
    report.results.iter().filter(|r| r.mode != "sequential")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interference::{Interference, Verdict};
    use crate::report::{Report, SCHEMA, Timeline};
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

    fn report(demo: &str, cpus: usize, results: Vec<ModeResult>) -> Report {
        let mut machine_facts = Machine::detect();
        machine_facts.available_parallelism = cpus;
        machine_facts.affinity = Some((0..cpus).collect());
        machine_facts.cgroup_quota_cpus = None;
        Report {
            schema: SCHEMA,
            demo: demo.into(),
            machine: machine_facts,
            cpu_choice: None,
            workload: Some(crate::report::WorkloadReport::new(
                crate::workload::Workload::new(2, crate::workload::WorkSize::Units(1), 1),
                crate::engine::Repeats { runs: 1, warmup: 0 },
                0,
            )),
            results,
            maxprocs: None,
            amdahl: None,
            timeline: Timeline::default(),
            interference: machine(Verdict::Quiet, 0.02),
            claims: Vec::new(),
            notes: vec![],
        }
    }

    /// `misses` after judging the report's claims on its (synthetic) findings, as its demo does.
    fn judge(report: &Report, expect: &Expectations) -> Vec<Miss> {
        let mut report = report.clone();
        report.claims = match report.demo.as_str() {
            "parallel" => crate::demo::parallel::claims(
                &report.machine,
                &report.workload.as_ref().unwrap().workload,
                &report.results,
                &report.timeline,
                &report.interference,
            ),
            "gil-sim" => crate::demo::gil_sim::claims(
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
        use crate::report::{SliceReport, TimelineRun};
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
    fn with_claim(demo: &str, cpus: usize, id: &'static str, holds: Option<bool>) -> Vec<Miss> {
        let mut r = report(demo, cpus, vec![result("sequential", 1, 1.0, true)]);
        r.claims = vec![claims::Claim::new(id, None).judged(holds, format!("{id} said"))];
        misses(&r, &CHECK)
    }

    #[test]
    fn check_reads_the_expected_claims_and_nothing_else() {
        for &(demo, id, how) in EXPECTED {
            let demo = if demo == "*" { "parallel" } else { demo };
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
            with_claim("parallel", 2, "parallel.busy_share", Some(false)),
            []
        );
        assert_eq!(
            with_claim("parallel", 2, "race.fixes_exact", Some(false)),
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
        let mut two = report("gil-sim", 2, no_gil.clone());
        drawn(&mut two, "no-gil", true);
        assert_eq!(failed(&judge(&two, &CHECK)), 1);
        let mut one = report("gil-sim", 1, no_gil);
        drawn(&mut one, "no-gil", false);
        assert!(judge(&one, &CHECK).is_empty());
    }

    #[test]
    fn a_gil_whose_threads_ran_at_once_is_a_failure() {
        let fast = vec![
            result("sequential", 1, 1.0, true),
            result("gil-new", 2, 1.9, true),
        ];
        let mut apart = report("gil-sim", 2, fast.clone());
        drawn(&mut apart, "gil-new", false);
        assert!(judge(&apart, &CHECK).is_empty());
        let mut together = report("gil-sim", 2, fast);
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
        assert_eq!(failed(&judge(&report("parallel", 1, bad), &CHECK)), 1);
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
            failed(&judge(&report("parallel", 2, results.clone()), &expect)),
            1
        );
        assert!(judge(&report("parallel", 2, results), &Expectations::default()).is_empty());
    }

    #[test]
    fn a_miss_on_a_disturbed_machine_is_inconclusive_not_a_failure() {
        // Under contention the processes look no faster; and a checksum is wrong.
        let looks_slow = vec![
            result("sequential", 1, 1.0, true),
            result("processes", 2, 0.95, true),
            result("no-gil", 2, 0.95, false),
        ];
        let mut busy = report("gil-sim", 2, looks_slow);
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
            "parallel",
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
        let found = judge(&report("parallel", 2, tiny), &CHECK);
        assert_eq!(exit_code(&found), 4);
        assert!(found[0].line().contains("too small"), "{found:?}");

        let slow = vec![
            result("sequential", 1, 1.0, true),
            result("rayon", 2, 0.9, true),
        ];
        let mut unknown = report("parallel", 2, slow.clone());
        unknown.interference = machine(Verdict::Unknown, 0.0);
        assert_eq!(exit_code(&judge(&unknown, &CHECK)), 4);
        // The same miss on a quiet machine with enough work is a real failure.
        assert_eq!(exit_code(&judge(&report("parallel", 2, slow), &CHECK)), 3);
        assert_eq!(exit_code(&[]), 0);
    }
}

#[cfg(test)]
mod agreement {
    //! Over many synthetic `parallel` and `maxprocs` findings: no printed sentence asserts a claim whose
    //! predicate is false, and `--check` says exactly what the claims say.
    use super::*;
    use crate::claims::Claim;
    use crate::interference::{Interference, Verdict};
    use crate::report::{SliceReport, Timeline, TimelineRun, WorkloadReport};
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
            crate::maxprocs::rust_default(&crate::maxprocs::CpuFacts::of(&machine));
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
            findings: crate::findings::Findings::default(),
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
                "parallel",
                machine,
                results,
                timeline,
                interference,
                claims,
                Vec::new(),
            )
        }
    }

    /// The words that assert each claim: they may appear only where it holds.
    fn asserts(c: &Claim) -> bool {
        match c.id {
            "parallel.at_once" => c.text.contains("(parallelism)"),
            "parallel.faster" => c.text.contains(": faster than one after another"),
            "parallel.busy_share" => c.text.contains("not parallelism"),
            "machine.parallel_possible" => c.text.contains("can run at the same time"),
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
        r.demo = "maxprocs".into();
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
                    findings: crate::findings::Findings::default(),
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
        r.claims = crate::demo::maxprocs::claims(&r.results, &fit, &r.interference);
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
            let possible = claims::find(&report.claims, "machine.parallel_possible", None).unwrap();
            let missed = misses(&report, &Expectations { demo: true, min_speedup: None });
            for r in report.results.iter().skip(1) {
                let faster = claims::find(&report.claims, "parallel.faster", Some(&r.mode)).unwrap();
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
                    "maxprocs.no_gain_above_cpus" => c.text.contains("gives no further speedup"),
                    "maxprocs.two_beat_one" => c.text.starts_with("P = 2 was faster"),
                    "maxprocs.fit_is_the_work" => !c.text.contains("not") && !c.text.contains("cannot"),
                    _ => false,
                };
                prop_assert!(!asserted || c.holds == Some(true), "{c:?}");
            }
            if let Some(fit) = find("maxprocs.fit_is_the_work").filter(|c| c.holds == Some(true)) {
                prop_assert_eq!(report.interference.verdict, Verdict::Quiet, "{:?}", fit);
                let capacity = report.machine.cpu_capacity();
                prop_assert!(report.results.iter().all(|r| r.speedup <= capacity.max(1.0) * 1.1));
            }
            let two = find("maxprocs.two_beat_one");
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
}
