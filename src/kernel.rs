//! The one busy-work kernel every demo runs.
//!
//! Every demo compares *ways of running* the same work, so the work itself must be boring in
//! the right ways: pure register arithmetic (no memory traffic, no allocation, no syscalls), so
//! that N cores really give N times the throughput and nothing but scheduling differs between
//! modes; deterministic, so a checksum proves that every executor did all of the work exactly
//! once.
//!
//! # What one unit is
//!
//! Unit `j` of a stream with seed `s` starts from `s + j * GOLDEN` and applies [`ROUNDS_PER_UNIT`]
//! rounds of the splitmix64 finaliser (three xor-shifts and two 64-bit multiplies, a chain of
//! dependent operations that lives in registers). Its value is the final word. A range of units
//! is the wrapping sum of its units' values, so any split of the work into chunks, run in any
//! order on any thread, adds up to the same checksum: that sum is the correctness oracle of
//! every demo. On the 2-core development machine one unit costs about 0.1 µs (see the README's
//! measured table and `cargo bench --bench kernel`).

use std::hint::black_box;

/// Rounds of the mixing function in one unit.
pub(crate) const ROUNDS_PER_UNIT: u32 = 32;

/// The golden-ratio increment of splitmix64: consecutive units start far apart.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// One round of the splitmix64 finaliser.
// The kernel is what every executor measures: it must compile to the same inlined loop in each.
#[allow(clippy::inline_always)]
#[inline(always)]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The value of one unit.
#[allow(clippy::inline_always)] // As `mix`.
#[inline(always)]
fn unit(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_mul(GOLDEN));
    for _ in 0..ROUNDS_PER_UNIT {
        z = mix(z);
    }
    z
}

/// Runs units `start..end` of the stream `seed` and returns their checksum.
pub(crate) fn run_range(seed: u64, start: u64, end: u64) -> u64 {
    let seed = black_box(seed);
    let mut sum = 0u64;
    for index in black_box(start)..black_box(end) {
        sum = sum.wrapping_add(unit(seed, index));
    }
    black_box(sum)
}

/// Runs `units` units of the stream `seed` and returns their checksum.
pub fn run(units: u64, seed: u64) -> u64 {
    run_range(seed, 0, units)
}

/// Combines checksums of disjoint pieces of work; commutative and associative, so the order in
/// which threads finish does not matter.
pub(crate) fn combine(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

/// The seed of task `task` in a workload seeded with `seed`: every task gets its own stream.
pub(crate) fn task_seed(seed: u64, task: usize) -> u64 {
    mix(seed ^ mix(task as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        assert_eq!(run(1000, 7), run(1000, 7));
    }

    #[test]
    fn seeds_and_sizes_differ() {
        assert_ne!(run(1000, 1), run(1000, 2));
        assert_ne!(run(1000, 1), run(1001, 1));
        assert_ne!(task_seed(1, 0), task_seed(1, 1));
    }

    #[test]
    fn zero_units_is_the_identity_of_combine() {
        assert_eq!(run(0, 9), 0);
        assert_eq!(combine(run(0, 9), run(5, 9)), run(5, 9));
    }

    #[test]
    fn chunks_combine_in_any_order() {
        let whole = run(10_000, 42);
        let cuts = [0u64, 1, 17, 999, 5000, 9999, 10_000];
        let pieces: Vec<u64> = cuts.windows(2).map(|w| run_range(42, w[0], w[1])).collect();
        let forward = pieces.iter().fold(0, |acc, &p| combine(acc, p));
        let backward = pieces.iter().rev().fold(0, |acc, &p| combine(acc, p));
        assert_eq!(forward, whole);
        assert_eq!(backward, whole);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Units and sorted cut points inside them, and the pieces in a shuffled order.
        fn split() -> impl Strategy<Value = (u64, Vec<(u64, u64)>)> {
            (0..4000u64)
                .prop_flat_map(|units| (Just(units), proptest::collection::vec(0..=units, 0..12)))
                .prop_flat_map(|(units, mut cuts)| {
                    cuts.extend([0, units]);
                    cuts.sort_unstable();
                    let pieces: Vec<(u64, u64)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
                    (Just(units), Just(pieces).prop_shuffle())
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// Any split of a task's units into chunks, combined in any order, gives the
            /// checksum of the whole: the oracle every executor is checked against.
            #[test]
            fn any_split_in_any_order_adds_up_to_the_whole(
                seed in any::<u64>(),
                (units, pieces) in split(),
            ) {
                let sum = pieces
                    .iter()
                    .fold(0, |acc, &(a, b)| combine(acc, run_range(seed, a, b)));
                prop_assert_eq!(sum, run(units, seed));
            }

            /// Tasks are independent streams: the checksum of several tasks does not depend on
            /// which one ran first.
            #[test]
            fn tasks_combine_in_any_order(
                seed in any::<u64>(),
                sizes in proptest::collection::vec(0..500u64, 1..6).prop_shuffle(),
            ) {
                let each: Vec<u64> = sizes
                    .iter()
                    .enumerate()
                    .map(|(t, &n)| run(n, task_seed(seed, t)))
                    .collect();
                let forward = each.iter().fold(0, |acc, &c| combine(acc, c));
                let backward = each.iter().rev().fold(0, |acc, &c| combine(acc, c));
                prop_assert_eq!(forward, backward);
            }
        }
    }
}
