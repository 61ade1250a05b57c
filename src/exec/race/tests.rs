//! The race's runs: the fixes end at zero, unsync stays within bounds, slices, pins, sizes.

use super::*;
use crate::sys;

fn race(mode: Sharing, threads: usize, iterations: u64) -> Race {
    Race {
        mode,
        threads,
        iterations,
        pin: None,
    }
}

#[test]
fn the_fixes_always_end_at_zero() {
    for mode in [
        Sharing::Atomic,
        Sharing::Mutex,
        Sharing::Channel,
        Sharing::Local,
    ] {
        for threads in [2, 4, 6, 8] {
            for iterations in [1, 777, CHUNK + 5] {
                for _ in 0..5 {
                    let r = run(&race(mode, threads, iterations)).unwrap();
                    assert_eq!(r.final_value, 0, "{mode:?} {threads} {iterations}");
                    assert_eq!(r.run.checksum, 0);
                }
            }
        }
    }
}

#[test]
fn unsync_stays_within_its_possible_bounds() {
    // Every value written is an earlier value plus or minus one, and each change is used at
    // most once, so the counter can never leave [-decrements, +increments]. Nothing here
    // relies on a race happening (or not).
    for threads in [2, 4, 8] {
        for iterations in [1, 1000, 3 * CHUNK] {
            let r = race(Sharing::Unsync, threads, iterations);
            for _ in 0..5 {
                let out = run(&r).unwrap();
                let bound = i64::try_from(r.increments()).unwrap();
                assert!((-bound..=bound).contains(&out.final_value));
                assert_eq!(out.run.checksum, out.final_value as u64);
            }
        }
    }
}

#[test]
fn slices_cover_every_thread_inside_the_run() {
    for mode in Sharing::ALL {
        let r = run(&race(mode, 4, 3 * CHUNK)).unwrap();
        let lanes = if mode == Sharing::Channel { 5 } else { 4 };
        for task in 0..lanes {
            assert!(r.run.slices.iter().any(|s| s.task() == task), "{mode:?}");
        }
        // Slices are cut to the run and the skew and overlap lie inside it by
        // construction; what can go wrong is a run measured as taking no time.
        assert!(r.run.wall > Duration::ZERO, "{mode:?}");
        assert!(r.run.slices.iter().any(|s| s.end() > s.start()), "{mode:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn pinned_threads_stay_on_their_cpu() {
    let cpu = sys::affinity().unwrap()[0];
    for mode in Sharing::ALL {
        let r = run(&Race {
            pin: Some(cpu),
            ..race(mode, 2, 2 * CHUNK)
        })
        .unwrap();
        assert!(
            r.run.slices.iter().all(|s| s.cpu() == Some(cpu)),
            "{mode:?}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn counting_threads_spread_over_the_mask_by_default() {
    let mask = sys::affinity().unwrap();
    for mode in Sharing::ALL {
        let r = run(&race(mode, 4, 2 * CHUNK)).unwrap();
        for s in r.run.slices.iter().filter(|s| s.task() < 4) {
            assert_eq!(s.cpu(), Some(mask[s.task() % mask.len()]), "{mode:?}");
        }
    }
}

#[test]
fn a_refused_pin_is_an_error_not_a_hang() {
    let r = Race {
        pin: Some(usize::MAX / 2),
        ..race(Sharing::Channel, 2, 10)
    };
    assert!(run(&r).is_err());
}

#[test]
fn sizes_are_checked() {
    assert!(check_size(2, 1_000_000).is_ok());
    assert!(check_size(0, 10).is_err());
    assert!(check_size(1, 10).unwrap_err().0.contains("at least 2"));
    assert!(check_size(3, 10).unwrap_err().0.contains("odd"));
    assert!(check_size(2, 0).is_err());
    assert!(check_size(2, MAX_ITERATIONS / 2).is_ok());
    assert!(check_size(2, MAX_ITERATIONS / 2 + 1).is_err());
    assert!(check_size(1024, MAX_ITERATIONS).is_err());
}
