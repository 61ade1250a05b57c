//! The engine's loop on synthetic runs: rounds, the oracle, speedup intervals, disturbed
//! rounds and the budget.

use super::budget::check_estimate;
use super::*;
use crate::error::UsageError;
use crate::interference::Source;
use std::cell::Cell;

fn run_of(wall_ms: u64, checksum: u64) -> Run {
    Run {
        wall: Duration::from_millis(wall_ms),
        checksum,
        slices: Vec::new(),
        context_switches: None,
    }
}

fn env(source: Source) -> Env {
    Env {
        machine: Machine::detect(),
        meter: Meter::new(source),
        core_speeds: std::sync::Arc::default(),
        script: None,
    }
}

fn plan(runs: usize, warmup: usize) -> Plan {
    Plan {
        repeats: Repeats { runs, warmup },
        // The first CPU: a synthetic machine's load starts there, and one CPU reads finely.
        watch: vec![crate::sys::affinity().map_or(0, |m| m[0])],
        oracle: Oracle::FirstMode,
        advice: "use less",
        progress: false,
        tasks_and_units: None,
    }
}

#[test]
fn rounds_take_every_mode_in_turn_after_the_warm_ups() {
    let order = std::cell::RefCell::new(Vec::new());
    let modes = vec![
        Runner::new("a", 1, Duration::ZERO, || {
            order.borrow_mut().push('a');
            Ok(run_of(10, 7))
        }),
        Runner::new("b", 2, Duration::ZERO, || {
            order.borrow_mut().push('b');
            Ok(run_of(5, 7))
        }),
    ];
    let out = measure(&env(Source::None), modes, &plan(2, 1)).unwrap();
    assert_eq!(order.into_inner(), vec!['a', 'b', 'a', 'b', 'a', 'b']);
    assert_eq!(out.modes[0].samples.len(), 2);
    assert_eq!(out.expected, 7);
    let r = out.modes[1].result(&out.modes[0], out.expected);
    assert_eq!(r.speedup, 2.0);
    assert_eq!(r.speedup_interval, [2.0, 2.0]);
    assert!(r.checksum_ok);
    // No counters: every figure is unknown, not zero.
    assert_eq!(out.interference.verdict, Verdict::Unknown);
    assert_eq!(out.interference.others_cpus, None);
}

#[test]
fn the_oracle_catches_a_wrong_checksum_in_any_run() {
    let n = Cell::new(0);
    let modes = vec![
        Runner::new("seq", 1, Duration::ZERO, || Ok(run_of(10, 1))),
        Runner::new("bad", 2, Duration::ZERO, || {
            n.set(n.get() + 1);
            Ok(run_of(5, if n.get() == 2 { 99 } else { 1 }))
        }),
    ];
    let out = measure(&env(Source::None), modes, &plan(3, 0)).unwrap();
    assert!(!out.modes[1].result(&out.modes[0], out.expected).checksum_ok);
    assert!(out.modes[0].result(&out.modes[0], out.expected).checksum_ok);
}

#[test]
fn speedup_intervals_pair_the_rounds() {
    let walls = [10, 20, 10];
    let i = Cell::new(0);
    let modes = vec![
        Runner::new("seq", 1, Duration::ZERO, || {
            let w = walls[i.get() % 3];
            i.set(i.get() + 1);
            Ok(run_of(w, 0))
        }),
        Runner::new("par", 2, Duration::ZERO, || Ok(run_of(5, 0))),
    ];
    let out = measure(&env(Source::None), modes, &plan(3, 0)).unwrap();
    let r = out.modes[1].result(&out.modes[0], out.expected);
    assert_eq!(r.speedup_interval, [2.0, 4.0]);
    assert_eq!(r.speedup, 2.0);
}

#[test]
fn disturbed_rounds_are_replaced_within_bounds_and_reported() {
    // Other programs hold the watched CPU all along: every round is disturbed, so the engine runs
    // as many extra rounds as --runs and then keeps them all, saying so.
    let busy = env(Source::Synthetic {
        others_cpus: 1.0,
        steal_cpus: 0.0,
    });
    let calls = Cell::new(0);
    let modes = vec![Runner::new("seq", 1, Duration::ZERO, || {
        calls.set(calls.get() + 1);
        std::thread::sleep(Duration::from_millis(150));
        Ok(run_of(150, 0))
    })];
    let out = measure(&busy, modes, &plan(2, 0)).unwrap();
    assert_eq!(calls.get(), 4);
    let rounds = out.interference.rounds;
    assert_eq!(
        (rounds.planned, rounds.measured, rounds.disturbed),
        (2, 4, 4)
    );
    assert_eq!((rounds.replaced, rounds.kept_disturbed), (0, 4));
    assert_eq!(out.modes[0].samples.len(), 4);
    assert_eq!(out.interference.verdict, Verdict::Disturbed);
    let mode = out.modes[0].interference();
    assert_eq!(mode.samples.len(), 4);
    assert!(mode.others_cpus.unwrap() > 0.7);
}

#[test]
fn a_quiet_machine_needs_no_extra_rounds() {
    let quiet = env(Source::Synthetic {
        others_cpus: 0.0,
        steal_cpus: 0.0,
    });
    let calls = Cell::new(0);
    let modes = vec![Runner::new("seq", 1, Duration::ZERO, || {
        calls.set(calls.get() + 1);
        std::thread::sleep(Duration::from_millis(120));
        Ok(run_of(120, 0))
    })];
    let out = measure(&quiet, modes, &plan(2, 1)).unwrap();
    assert_eq!(calls.get(), 3);
    assert_eq!(out.interference.rounds.disturbed, 0);
    assert_eq!(out.interference.verdict, Verdict::Quiet);
}

#[test]
fn the_budget_counts_every_run_and_refuses_before_any_work() {
    let ran = Cell::new(false);
    let modes = vec![Runner::new("slow", 1, Duration::from_secs(1000), || {
        ran.set(true);
        Ok(run_of(1, 0))
    })];
    let error = measure(&env(Source::None), modes, &plan(3, 1)).unwrap_err();
    assert!(error.downcast_ref::<UsageError>().is_some(), "{error}");
    assert!(!ran.get());
    assert!(
        check_budget(
            [Duration::from_secs(900)],
            Repeats { runs: 3, warmup: 1 },
            ""
        )
        .is_ok()
    );
    assert!(check_estimate(f64::INFINITY, "").is_err());
    assert!(check_estimate(f64::NAN, "").is_err());
}
