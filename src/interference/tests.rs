//! The meter's unit tests: `/proc/stat` parsing, readings and their verdicts, the report's
//! summary and a synthetic busy machine, on two recorded `/proc/stat` texts a second apart.

use super::reading::DISTURBED_CPUS;
use super::*;

const TICK: Duration = Duration::from_millis(10);

/// Two recorded `/proc/stat` texts a second apart, on a 4-CPU machine.
const BEFORE: &str = "cpu  500 0 100 9000 10 0 5 20 0 0
cpu0 100 0 20 2000 2 0 1 5 0 0
cpu1 100 0 20 2000 2 0 1 5 0 0
cpu2 200 0 40 3000 4 0 2 10 0 0
cpu3 100 0 20 2000 2 0 1 0 0 0
intr 1 2 3
ctxt 42
";
// cpu0: 60 ticks busy (user 50, system 10), cpu1: 100 busy (user 90, irq 5, softirq 5)
// and 3 stolen, cpu2: no change, cpu3: 100 busy.
const AFTER: &str = "cpu  999 0 999 9999 10 0 5 20 0 0
cpu0 150 0 30 2040 2 0 1 5 0 0
cpu1 190 0 20 2000 2 5 6 8 0 0
cpu2 200 0 40 3000 4 0 2 10 0 0
cpu3 200 0 20 2000 2 0 1 0 0 0
";

fn snapshot(text: &str, at: Instant, own_ms: u64) -> Snapshot {
    Snapshot {
        at,
        own: Some(Duration::from_millis(own_ms)),
        cpus: Some(parse_proc_stat(text)),
    }
}

fn reading(watched: &[usize], own_ms: u64) -> Reading {
    let t0 = Instant::now();
    let before = snapshot(BEFORE, t0, 1000);
    let after = snapshot(AFTER, t0 + Duration::from_secs(1), 1000 + own_ms);
    Reading::between(&before, &after, watched, TICK)
}

#[test]
fn parses_per_cpu_lines_only() {
    let cpus = parse_proc_stat(BEFORE);
    assert_eq!(cpus.len(), 4);
    assert_eq!(
        cpus[2],
        CpuTicks {
            cpu: 2,
            busy: 242,
            steal: 10
        }
    );
    // An old kernel without the steal column, and garbage, still parse as far as they go.
    let old = parse_proc_stat("cpu0 1 2 3 4\ncpuX 1 2 3 4\nnonsense\ncpu1 1\n");
    assert_eq!(
        old,
        vec![CpuTicks {
            cpu: 0,
            busy: 6,
            steal: 0
        }]
    );
}

#[test]
fn others_are_busy_time_less_this_process() {
    // All four CPUs: 260 ticks = 2.6 s busy in 1 s, of which this process used 1.1 s.
    let r = reading(&[0, 1, 2, 3], 1100);
    assert!((r.others_cpus().unwrap() - 1.5).abs() < 1e-9);
    assert!((r.steal_cpus().unwrap() - 0.03).abs() < 1e-9);
    assert_eq!(r.verdict(), Verdict::Disturbed);
}

#[test]
fn cpus_outside_the_mask_do_not_count() {
    // Only cpu2 (no change) and cpu0 (0.6 s busy, all of it this process's).
    let r = reading(&[0, 2], 600);
    assert_eq!(r.others_cpus(), Some(0.0));
    assert_eq!(r.steal_cpus(), Some(0.0));
    assert_eq!(r.verdict(), Verdict::Quiet);
    // A CPU that is not in the text (offline) is left out, not read as zero.
    let missing = reading(&[2, 9], 0);
    assert_eq!(missing.ticks.as_ref().unwrap().len(), 1);
}

#[test]
fn own_time_above_busy_time_is_no_negative_load() {
    // Children's time arrives in one piece when they are reaped: never below zero.
    let r = reading(&[0], 900);
    assert_eq!(r.others_cpus(), Some(0.0));
}

#[test]
fn counters_that_do_not_move_read_quiet_only_when_long_enough() {
    let t0 = Instant::now();
    let s = |ms: u64| snapshot(BEFORE, t0 + Duration::from_millis(ms), 0);
    let long = Reading::between(&s(0), &s(2000), &[0, 1, 2, 3], TICK);
    assert_eq!(long.others_cpus(), Some(0.0));
    assert_eq!(long.verdict(), Verdict::Quiet);
    // 20 ms on 4 CPUs: a tick per CPU is 1 CPU's worth; nothing can be told.
    let short = Reading::between(&s(0), &s(20), &[0, 1, 2, 3], TICK);
    assert!(short.resolution_cpus().unwrap() > 0.9);
    assert_eq!(short.verdict(), Verdict::Unknown);
}

#[test]
fn unreadable_counters_are_unknown_not_zero() {
    let t0 = Instant::now();
    let none = Snapshot {
        at: t0,
        own: Some(Duration::ZERO),
        cpus: None,
    };
    let later = Snapshot {
        at: t0 + Duration::from_secs(1),
        ..none.clone()
    };
    let r = Reading::between(&none, &later, &[0], TICK);
    assert_eq!(r.others_cpus(), None);
    assert_eq!(r.verdict(), Verdict::Unknown);
    assert_eq!(Interference::none().verdict, Verdict::Unknown);
}

#[test]
fn sums_keep_the_resolution_honest() {
    let r = reading(&[0, 1, 2, 3], 1100);
    let apart = Reading::sum([&r, &r, &r, &r], false);
    let together = Reading::sum([&r, &r, &r, &r], true);
    assert_eq!(apart.wall, Duration::from_secs(4));
    assert!((apart.others_cpus().unwrap() - 1.5).abs() < 1e-9);
    // Four separate stretches: four times the error of one stretch as long.
    let ratio = apart.resolution_cpus().unwrap() / together.resolution_cpus().unwrap();
    assert!((ratio - 4.0).abs() < 1e-9);
}

#[test]
fn the_busiest_cpu_is_the_one_this_process_did_not_explain() {
    // cpu1 and cpu3 were both fully busy; this process worked 1 s on cpu1 only.
    let mut r = reading(&[1, 3], 1000);
    r.own_by_cpu.insert(1, Duration::from_millis(800));
    assert_eq!(r.busiest_cpu(), Some(3));
    r.own_by_cpu.clear();
    r.own_by_cpu.insert(3, Duration::from_millis(800));
    assert_eq!(r.busiest_cpu(), Some(1));
}

#[test]
fn the_line_is_a_tenth_of_each_cpu_at_most_a_quarter() {
    assert!((threshold(1) - 0.1).abs() < 1e-12);
    assert!((threshold(2) - 0.2).abs() < 1e-12);
    assert_eq!(threshold(64), DISTURBED_CPUS);
    // 0.15 CPUs of other work over 2 s: enough to skew ratios on one CPU, not on four.
    let t0 = Instant::now();
    let at = |ms: u64, busy: u64| Snapshot {
        at: t0 + Duration::from_millis(ms),
        own: Some(Duration::ZERO),
        cpus: Some(
            (0..4)
                .map(|cpu| CpuTicks {
                    cpu,
                    busy: if cpu == 0 { busy } else { 0 },
                    steal: 0,
                })
                .collect(),
        ),
    };
    let one = Reading::between(&at(0, 0), &at(2000, 30), &[0], TICK);
    assert_eq!(one.verdict(), Verdict::Disturbed);
    let four = Reading::between(&at(0, 0), &at(2000, 30), &[0, 1, 2, 3], TICK);
    assert_eq!(four.verdict(), Verdict::Quiet);
}

#[test]
fn verdicts_combine_pessimistically() {
    use Verdict::*;
    assert_eq!(Verdict::all([Quiet, Quiet]), Quiet);
    assert_eq!(Verdict::all([Quiet, Unknown]), Unknown);
    assert_eq!(Verdict::all([Unknown, Disturbed, Quiet]), Disturbed);
}

#[test]
fn combined_reports_weigh_by_wall_time() {
    let quiet = Interference::of(&reading(&[0, 2], 600), &[0, 2], Rounds::default());
    let busy = Interference::of(
        &reading(&[0, 1, 2, 3], 1100),
        &[0, 1, 2, 3],
        Rounds::default(),
    );
    let both = Interference::combine([&quiet, &busy]);
    assert_eq!(both.verdict, Verdict::Disturbed);
    assert!((both.others_cpus.unwrap() - 0.75).abs() < 1e-9);
    assert_eq!(both.watched_cpus, vec![0, 1, 2, 3]);
}

#[test]
fn a_synthetic_busy_machine_reads_as_busy() {
    let meter = Meter::new(Source::Synthetic {
        others_cpus: 1.0,
        steal_cpus: 0.0,
    });
    let before = meter.snapshot();
    std::thread::sleep(Duration::from_millis(300));
    let after = meter.snapshot();
    let first = crate::sys::affinity().map_or(0, |m| m[0]);
    let r = Reading::between(&before, &after, &[first], meter.tick());
    let others = r.others_cpus().unwrap();
    assert!((0.8..=1.2).contains(&others), "{others}");
    assert_eq!(r.busiest_cpu(), Some(first));
}

/// A section's interference: its own verdict over `wall_ms` of rounds on 2 CPUs.
fn section(verdict: Verdict, wall_ms: f64) -> Interference {
    let mut s = Interference::none();
    s.verdict = verdict;
    s.wall_ms = wall_ms;
    s.watched_cpus = vec![0, 1];
    s.others_cpus = Some(0.0);
    s
}

/// A whole tour of `wall_ms` on 2 CPUs in which other programs took `busy` ticks in all.
fn tour_reading(busy: u64, wall_ms: u64) -> Reading {
    let t0 = Instant::now();
    let at = |ms: u64, busy: u64| Snapshot {
        at: t0 + Duration::from_millis(ms),
        own: Some(Duration::ZERO),
        cpus: Some(vec![
            CpuTicks {
                cpu: 0,
                busy,
                steal: 0,
            },
            CpuTicks {
                cpu: 1,
                busy: 0,
                steal: 0,
            },
        ]),
    };
    Reading::between(&at(0, 0), &at(wall_ms, busy), &[0, 1], TICK)
}

#[test]
fn a_section_too_short_alone_is_judged_within_a_quiet_whole() {
    // A quiet tour of 3 s: its race section, 160 ms of rounds, reads unknown on its own.
    let short = section(Verdict::Unknown, 160.0);
    let long = section(Verdict::Quiet, 900.0);
    let quiet = Interference::of_tour(&tour_reading(0, 3000), &[0, 1], [&long, &short]);
    assert_eq!(quiet.verdict, Verdict::Quiet);
    // At most 2 ticks of 10 ms on 2 CPUs over 3 s, all within 160 ms: 0.125 CPUs.
    let most = quiet.bound_within(&short).unwrap();
    assert!((most - 0.125).abs() < 0.01, "{most}");
    assert!((quiet.wall_ms - 3000.0).abs() < 1e-6);
    // A whole tour in which other programs took 0.2 CPU-seconds cannot vouch for it.
    let busy = Interference::of_tour(&tour_reading(20, 3000), &[0, 1], [&long, &short]);
    assert_eq!(busy.verdict, Verdict::Unknown);
    // A section too short even within a quiet whole stays unknown: 40 ms of rounds.
    let tiny = section(Verdict::Unknown, 40.0);
    let still = Interference::of_tour(&tour_reading(0, 3000), &[0, 1], [&long, &tiny]);
    assert_eq!(still.verdict, Verdict::Unknown);
}

#[test]
fn a_disturbed_section_disturbs_the_tour_whatever_the_whole_reads() {
    let burst = section(Verdict::Disturbed, 200.0);
    let rest = section(Verdict::Quiet, 2800.0);
    let tour = Interference::of_tour(&tour_reading(1, 3000), &[0, 1], [&rest, &burst]);
    assert_eq!(tour.verdict, Verdict::Disturbed);
    // Sections quiet on their own make a quiet tour, even where others ran between them.
    let between = Interference::of_tour(&tour_reading(200, 3000), &[0, 1], [&rest]);
    assert_eq!(between.verdict, Verdict::Quiet);
    assert!(between.others_cpus.unwrap() > 0.6);
    assert_eq!(
        Interference::of_tour(&tour_reading(0, 3000), &[0, 1], []).verdict,
        Verdict::Unknown
    );
}
