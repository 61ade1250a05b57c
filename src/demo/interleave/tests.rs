//! Tests of `interleave`: its modes' names, and every outcome of its claims on synthetic
//! findings.

use super::*;
use crate::claims::ClaimId;

mod run_tests {
    use super::*;

    #[test]
    fn every_way_is_read_back_from_its_name() {
        for way in Way::ALL {
            assert_eq!(Way::of(way.name()), Some(way));
        }
        assert_eq!(Way::of(Sequential.name()), None);
    }
}

mod claim_tests {
    //! Every outcome of the interleave claims, on synthetic findings.
    use super::*;
    use crate::interference::{Interference, Verdict};
    use crate::workload::WorkSize;

    fn row(mode: impl Mode, wall: f64, interval: [f64; 2], cpus: Vec<usize>) -> ModeResult {
        ModeResult::synthetic(mode.name(), &[wall], interval, cpus)
    }

    fn quiet() -> Interference {
        let mut i = Interference::none();
        i.verdict = Verdict::Quiet;
        i
    }

    fn find(claims: &[Claim], id: ClaimId) -> &Claim {
        crate::claims::find(claims, id, None).unwrap()
    }

    #[test]
    fn one_cpu_holds_only_when_every_mode_stayed_there() {
        let w = Workload::new(2, WorkSize::Units(1), 1);
        let costs = switch_cost::SwitchCosts::default();
        let on = [
            row(Sequential, 100.0, [1.0, 1.0], vec![1]),
            row(Way::Green, 101.0, [0.98, 1.0], vec![1]),
        ];
        assert_eq!(
            find(
                &claims(Some(1), &w, &on, &costs, &quiet()),
                ClaimId::InterleaveOneCpu
            )
            .holds,
            Some(true)
        );
        let off = [
            row(Sequential, 100.0, [1.0, 1.0], vec![1]),
            row(Way::Threads, 60.0, [1.6, 1.7], vec![0, 1]),
        ];
        let c = claims(Some(1), &w, &off, &costs, &quiet());
        assert_eq!(find(&c, ClaimId::InterleaveOneCpu).holds, Some(false));
        assert!(
            find(&c, ClaimId::InterleaveOneCpu)
                .text
                .contains("threads on 0-1")
        );
    }

    #[test]
    fn waits_overlap_only_where_every_round_was_faster_on_a_quiet_cpu() {
        let w = Workload::new(2, WorkSize::Units(100_000), 1)
            .with_wait(Duration::from_millis(50), Duration::from_millis(5));
        let costs = switch_cost::SwitchCosts::default();
        let results = [
            row(Sequential, 100.0, [1.0, 1.0], vec![0]),
            row(Way::Green, 52.0, [1.8, 1.95], vec![0]),
        ];
        let c = claims(Some(0), &w, &results, &costs, &quiet());
        assert_eq!(
            crate::claims::find(&c, ClaimId::InterleaveWaitsOverlap, Some("green"))
                .unwrap()
                .holds,
            Some(true)
        );
        let mut busy = quiet();
        busy.verdict = Verdict::Disturbed;
        let c = claims(Some(0), &w, &results, &costs, &busy);
        assert_eq!(
            crate::claims::find(&c, ClaimId::InterleaveWaitsOverlap, Some("green"))
                .unwrap()
                .holds,
            None
        );
        let slow = [
            row(Sequential, 100.0, [1.0, 1.0], vec![0]),
            row(Way::Green, 99.0, [0.9, 1.1], vec![0]),
        ];
        let c = claims(Some(0), &w, &slow, &costs, &quiet());
        assert_eq!(
            crate::claims::find(&c, ClaimId::InterleaveWaitsOverlap, Some("green"))
                .unwrap()
                .holds,
            Some(false)
        );
    }

    #[test]
    fn green_switches_are_compared_where_thread_switches_were_measured() {
        use switch_cost::Probe;
        let w = Workload::new(2, WorkSize::Units(1), 1);
        let mut costs = switch_cost::SwitchCosts {
            green: Some(Probe::synthetic(Some(14.0))),
            ..Default::default()
        };
        let judged = |costs: &switch_cost::SwitchCosts| claims(Some(0), &w, &[], costs, &quiet());
        assert!(
            crate::claims::find(&judged(&costs), ClaimId::InterleaveGreenCheaper, None).is_none()
        );
        costs.threads = Some(Probe::synthetic(Some(800.0)));
        assert_eq!(
            find(&judged(&costs), ClaimId::InterleaveGreenCheaper).holds,
            Some(true)
        );
        assert_eq!(
            find(&judged(&costs), ClaimId::InterleaveSwitchTimed).holds,
            Some(true)
        );
        costs.threads = Some(Probe::synthetic(Some(10.0)));
        assert_eq!(
            find(&judged(&costs), ClaimId::InterleaveGreenCheaper).holds,
            Some(false)
        );
        // Beside a busy program on the CPU: no figure, and nothing compared with it.
        costs.threads = Some(Probe::synthetic(None));
        let busy = judged(&costs);
        let timed = find(&busy, ClaimId::InterleaveSwitchTimed);
        assert_eq!(timed.holds, None);
        assert!(
            timed
                .text
                .contains("could not be timed: another program was running on cpu0"),
            "{}",
            timed.text
        );
        assert!(
            !timed.text.contains(" ms,"),
            "no figure of milliseconds: {}",
            timed.text
        );
        let cheaper = find(&busy, ClaimId::InterleaveGreenCheaper);
        assert_eq!(cheaper.holds, None);
        assert!(
            cheaper.text.contains("cannot be judged"),
            "{}",
            cheaper.text
        );
    }
}

mod compute_only_tests {
    //! `interleave.as_long_as_sequential` says "about as long" only where the modes were.
    use super::*;
    use crate::interference::{Interference, Verdict};
    use crate::workload::WorkSize;

    fn judged(walls: [f64; 4], verdict: Verdict) -> Claim {
        let w = Workload::new(2, WorkSize::Units(1), 1);
        let modes = [Sequential.name(), "green", "threads", "processes"];
        let rows: Vec<ModeResult> = modes
            .iter()
            .zip(walls)
            .map(|(m, wall)| ModeResult::synthetic(m, &[wall], [1.0, 1.0], vec![0]))
            .collect();
        let mut interference = Interference::none();
        interference.verdict = verdict;
        let costs = switch_cost::SwitchCosts::default();
        crate::claims::find(
            &claims(Some(0), &w, &rows, &costs, &interference),
            ClaimId::InterleaveAsLongAsSequential,
            None,
        )
        .expect("judged with compute only")
        .clone()
    }

    #[test]
    fn modes_alike_take_about_as_long() {
        let alike = judged([100.0, 101.0, 100.5, 112.0], Verdict::Quiet);
        assert_eq!(alike.holds, Some(true));
        assert!(alike.text.contains("took about as long"), "{}", alike.text);
        assert_eq!(
            serde_json::json!(alike.figures)["time_vs_sequential"]["processes"],
            serde_json::json!(1.12)
        );
    }

    #[test]
    fn modes_faster_on_a_shared_cpu_are_explained_not_called_alike() {
        let shared = judged([100.0, 99.0, 75.0, 76.0], Verdict::Disturbed);
        assert_eq!(shared.holds, None);
        assert!(!shared.text.contains("about as long"), "{}", shared.text);
        assert!(
            shared
                .text
                .contains("Linux gives each thread or process a share"),
            "{}",
            shared.text
        );
        let quiet = judged([100.0, 99.0, 75.0, 76.0], Verdict::Quiet);
        assert_eq!(quiet.holds, Some(false));
        assert!(
            quiet
                .text
                .contains("here the modes took green 0.99x, threads 0.75x"),
            "{}",
            quiet.text
        );
    }
}
