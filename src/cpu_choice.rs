//! Where a one-CPU demo runs: the CPU of the affinity mask that other programs use least.
//!
//! `interleave` and `race --one-core` pin all their work to one CPU. On a laptop where a
//! browser or a build keeps a CPU busy, the first CPU of the mask (the old default) may be
//! exactly that one: the work then gets half of it, and every probe that yields hands the other
//! program a time slice. So, unless `--cpu` forces one, the demo first looks at the CPUs for
//! [`LOOK`] (the interference meter's per-CPU counters) and takes the least busy, preferring
//! the first of the mask among those the counters cannot tell apart (so that a quiet machine
//! always gets the same CPU). Where every CPU is busy, it takes the least busy and says so; the
//! engine's meter then marks the figures as disturbed.

use crate::engine::Env;
use crate::error::UsageError;
use crate::interference::{DISTURBED_SHARE, Reading};
pub(crate) use crate::model::{ChoiceReason, CpuChoice, CpuLoad};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long the CPUs are watched before a choice: ten ticks of `/proc/stat`, enough to tell a
/// CPU another program keeps busy from an idle one.
pub(crate) const LOOK: Duration = Duration::from_millis(100);

impl CpuChoice {
    /// The CPU to run on, asked for (`asked`) or chosen from a look at the mask's CPUs (the
    /// one given, taken just before, or a new one of [`LOOK`]); `None` where this platform
    /// cannot pin. A CPU asked for outside the mask is bad input.
    pub(crate) fn make(
        env: &Env,
        asked: Option<usize>,
        look: Option<&Reading>,
    ) -> Result<Option<CpuChoice>, UsageError> {
        let Some(mask) = env.machine.affinity.clone() else {
            return match asked {
                Some(_) => Err(UsageError(
                    "--cpu needs thread pinning, which this platform does not support".into(),
                )),
                None => Ok(None),
            };
        };
        if let Some(cpu) = asked.filter(|cpu| !mask.contains(cpu)) {
            return Err(UsageError(format!(
                "--cpu {cpu} is not in this process's affinity mask ({})",
                crate::sys::cpu_list(&mask)
            )));
        }
        if mask.len() <= 1 && asked.is_none() {
            return Ok(mask.first().map(|&cpu| CpuChoice::only(cpu)));
        }
        let look = match look {
            Some(look) => look.clone(),
            None => env.look(LOOK),
        };
        Ok(Some(CpuChoice::from_look(asked, &mask, &look)))
    }

    fn only(cpu: usize) -> CpuChoice {
        CpuChoice {
            cpu,
            reason: ChoiceReason::Only,
            loads: Vec::new(),
            look_ms: 0.0,
            resolution: 0.0,
        }
    }

    /// The choice among `mask` (not empty) on what `look` read, unless `asked` names one.
    pub(crate) fn from_look(asked: Option<usize>, mask: &[usize], look: &Reading) -> CpuChoice {
        let by_cpu: BTreeMap<usize, f64> = look.load_by_cpu().unwrap_or_default();
        let loads: Vec<CpuLoad> = mask
            .iter()
            .filter_map(|&cpu| by_cpu.get(&cpu).map(|&busy| CpuLoad { cpu, busy }))
            .collect();
        let look_ms = look.wall.as_secs_f64() * 1e3;
        let resolution = look.tick_share().unwrap_or(1.0);
        let first = mask[0];
        let (cpu, reason) = if let Some(cpu) = asked {
            (cpu, ChoiceReason::Asked)
        } else if loads.len() < mask.len() {
            (first, ChoiceReason::Unread)
        } else {
            let least = loads.iter().map(|l| l.busy).fold(f64::INFINITY, f64::min);
            // The first of the mask among those the counters cannot tell from the least busy.
            let chosen = loads
                .iter()
                .find(|l| l.busy <= least + resolution)
                .expect("the least busy is within reach of itself");
            let busy = chosen.busy - resolution > DISTURBED_SHARE;
            (
                chosen.cpu,
                if busy {
                    ChoiceReason::AllBusy
                } else {
                    ChoiceReason::Quietest
                },
            )
        };
        CpuChoice {
            cpu,
            reason,
            loads,
            look_ms,
            resolution,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interference::{CpuTicks, Snapshot};
    use std::time::Instant;

    /// A look of 100 ms at 10 ms ticks in which other programs held each CPU `busy[i]` of it.
    fn look(busy: &[f64]) -> Reading {
        let at = Instant::now();
        let ticks = |scale: f64| -> Vec<CpuTicks> {
            busy.iter()
                .enumerate()
                .map(|(cpu, b)| CpuTicks {
                    cpu,
                    busy: (b * scale).round() as u64,
                    steal: 0,
                })
                .collect()
        };
        let before = Snapshot {
            at,
            own: Some(Duration::ZERO),
            cpus: Some(ticks(0.0)),
        };
        let after = Snapshot {
            at: at + LOOK,
            own: Some(Duration::ZERO),
            cpus: Some(ticks(10.0)),
        };
        let mask: Vec<usize> = (0..busy.len()).collect();
        Reading::between(&before, &after, &mask, Duration::from_millis(10))
    }

    fn choose(busy: &[f64]) -> CpuChoice {
        let mask: Vec<usize> = (0..busy.len()).collect();
        CpuChoice::from_look(None, &mask, &look(busy))
    }

    #[test]
    fn a_quiet_machine_runs_on_the_first_cpu() {
        let quiet = choose(&[0.0, 0.0]);
        assert_eq!((quiet.cpu, quiet.reason), (0, ChoiceReason::Quietest));
        assert!(
            quiet.sentence().contains("no CPU was busy"),
            "{}",
            quiet.sentence()
        );
        // A tick here or there is below what the counters can tell apart.
        assert_eq!(choose(&[0.1, 0.0]).cpu, 0);
    }

    #[test]
    fn a_busy_first_cpu_is_left_for_a_quiet_one() {
        let moved = choose(&[0.98, 0.0]);
        assert_eq!((moved.cpu, moved.reason), (1, ChoiceReason::Quietest));
        let text = moved.sentence();
        assert!(text.starts_with("Ran on cpu1"), "{text}");
        assert!(text.contains("cpu0 was 100% busy"), "{text}");
        // Many CPUs, the busy ones first: the first quiet one.
        let many = choose(&[1.0, 1.0, 0.5, 0.0, 0.0, 1.0]);
        assert_eq!(many.cpu, 3);
    }

    #[test]
    fn where_every_cpu_is_busy_the_least_busy_is_taken_and_said() {
        let all = choose(&[1.0, 0.6]);
        assert_eq!((all.cpu, all.reason), (1, ChoiceReason::AllBusy));
        let text = all.sentence();
        assert!(
            text.contains("every CPU this process may use was busy"),
            "{text}"
        );
        assert!(text.contains("cpu0 100%, cpu1 60%"), "{text}");
    }

    #[test]
    fn an_asked_cpu_is_kept_and_its_load_said() {
        let mask = [0, 1];
        let asked = CpuChoice::from_look(Some(0), &mask, &look(&[1.0, 0.0]));
        assert_eq!((asked.cpu, asked.reason), (0, ChoiceReason::Asked));
        assert!(
            asked
                .sentence()
                .contains("as --cpu asked; other programs kept it 100% busy")
        );
        let quiet = CpuChoice::from_look(Some(1), &mask, &look(&[1.0, 0.0]));
        assert_eq!(quiet.sentence(), "Ran on cpu1, as --cpu asked.");
    }

    #[test]
    fn the_cpu_asked_for_must_be_in_the_mask() {
        let mut env = Env::with_load(0.0);
        env.machine.affinity = Some(vec![2, 3]);
        let asked = CpuChoice::make(&env, Some(3), None).unwrap().unwrap();
        assert_eq!((asked.cpu, asked.reason), (3, ChoiceReason::Asked));
        let refused = CpuChoice::make(&env, Some(5), None).unwrap_err();
        assert!(
            refused
                .0
                .contains("not in this process's affinity mask (2-3)"),
            "{refused}"
        );
        env.machine.affinity = Some(vec![4]);
        let only = CpuChoice::make(&env, None, None).unwrap().unwrap();
        assert_eq!(
            (only.cpu, only.reason, only.look_ms),
            (4, ChoiceReason::Only, 0.0)
        );
        env.machine.affinity = None;
        assert!(CpuChoice::make(&env, Some(0), None).is_err());
        assert_eq!(CpuChoice::make(&env, None, None), Ok(None));
    }

    #[test]
    fn without_counters_the_first_cpu_is_taken_and_said() {
        let unread = CpuChoice::from_look(None, &[2, 3], &Reading::default());
        assert_eq!((unread.cpu, unread.reason), (2, ChoiceReason::Unread));
        assert!(unread.sentence().contains("cannot be read"));
        assert_eq!(
            CpuChoice::only(5).sentence(),
            "Ran on cpu5, the only CPU this process may use."
        );
    }
}
