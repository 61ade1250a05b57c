//! Where `parallel --placement` pins its tasks, chosen from the topology: on distinct cores,
//! on the hardware threads of one core, on the fastest cores or on the slowest. The same two
//! threads give about twice one thread's speed on two cores and much less on the two threads
//! of one core; on an E-core or a little core, less again. Pinning them there on purpose, side
//! by side, shows what the topology costs instead of leaving it to where the OS put them.
//!
//! Also measured here: the kernel's speed on one CPU of each kind of core, which is what makes
//! a speedup over differing cores fall short of their count.

use crate::sys::{Topology, cpu_list};
use serde::Serialize;

/// A way of placing tasks on the CPUs this process may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placement {
    /// One task per core, on its first hardware thread, fastest cores first.
    Cores,
    /// The hardware threads of one core (the first that has several).
    Siblings,
    /// The cores of the fastest kind (P-cores, big cores), one task per core first.
    Fast,
    /// The cores of the slowest kind (E-cores, little cores), one task per core first.
    Slow,
}

impl Placement {
    /// Every place, in the order their modes run.
    pub(crate) const ALL: [Placement; 4] = [
        Placement::Cores,
        Placement::Siblings,
        Placement::Fast,
        Placement::Slow,
    ];

    /// The name of its mode in `parallel`'s report.
    pub(crate) fn mode(self) -> &'static str {
        match self {
            Placement::Cores => "pinned:cores",
            Placement::Siblings => "pinned:siblings",
            Placement::Fast => "pinned:p",
            Placement::Slow => "pinned:e",
        }
    }

    /// The flag's word for it.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            Placement::Cores => "cores",
            Placement::Siblings => "siblings",
            Placement::Fast => "p",
            Placement::Slow => "e",
        }
    }

    /// The CPUs to pin tasks to, task i on the i-th (round again where tasks outnumber them),
    /// among the CPUs of `mask` (all online where `None`); an error says, in one line, why
    /// this machine has no such place.
    pub(crate) fn cpus(
        self,
        topology: &Topology,
        mask: Option<&[usize]>,
    ) -> Result<Vec<usize>, String> {
        let usable = |cpu: &usize| mask.is_none_or(|m| m.contains(cpu));
        // Cores as the CPUs of them this process may use, fastest kind first.
        let mut cores: Vec<(usize, &str, Vec<usize>)> = topology
            .cores
            .iter()
            .map(|c| {
                let rank = topology
                    .core_types
                    .iter()
                    .position(|t| t.name == c.core_type)
                    .unwrap_or(usize::MAX);
                (
                    rank,
                    c.core_type.as_str(),
                    c.cpus.iter().copied().filter(usable).collect(),
                )
            })
            .filter(|(_, _, cpus): &(usize, &str, Vec<usize>)| !cpus.is_empty())
            .collect();
        cores.sort_by_key(|(rank, _, cpus)| (*rank, cpus[0]));
        let machine = &topology.summary;
        let kinds: Vec<&str> = {
            let mut kinds: Vec<(usize, &str)> = cores.iter().map(|(r, k, _)| (*r, *k)).collect();
            kinds.dedup();
            kinds.into_iter().map(|(_, k)| k).collect()
        };
        match self {
            Placement::Cores if cores.len() >= 2 => Ok(cores.iter().map(|(_, _, c)| c[0]).collect()),
            Placement::Cores => Err(format!(
                "--placement cores needs two cores this process may use; it may use one ({machine})"
            )),
            Placement::Siblings => cores
                .iter()
                .find(|(_, _, cpus)| cpus.len() >= 2)
                .map(|(_, _, cpus)| cpus.clone())
                .ok_or_else(|| {
                    format!(
                        "--placement siblings needs a core that runs two hardware threads this process may use; there is none here ({machine})"
                    )
                }),
            Placement::Fast | Placement::Slow if kinds.len() < 2 => Err(format!(
                "--placement {} needs cores of two kinds (P- and E-cores, or big and little); the cores here are all alike ({machine})",
                self.flag()
            )),
            Placement::Fast | Placement::Slow => {
                let kind = if self == Placement::Fast { kinds[0] } else { kinds[kinds.len() - 1] };
                let of_kind: Vec<&Vec<usize>> =
                    cores.iter().filter(|(_, k, _)| *k == kind).map(|(_, _, c)| c).collect();
                // One task per core first, then the cores' second threads.
                let most = of_kind.iter().map(|c| c.len()).max().unwrap_or(0);
                Ok((0..most)
                    .flat_map(|i| of_kind.iter().filter_map(move |c| c.get(i).copied()))
                    .collect())
            }
        }
    }
}

/// The placements asked for, each with its CPUs, checked against the machine before any work.
pub(crate) fn resolve(
    asked: &[Placement],
    topology: Option<&Topology>,
    mask: Option<&[usize]>,
) -> Result<Vec<(Placement, Vec<usize>)>, String> {
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let Some(topology) = topology else {
        return Err("--placement needs the CPU topology, and this system does not tell it (no /sys/devices/system/cpu)".into());
    };
    let mut placements = asked.to_vec();
    placements.sort_unstable();
    placements.dedup();
    placements
        .into_iter()
        .map(|p| p.cpus(topology, mask).map(|cpus| (p, cpus)))
        .collect()
}

/// "CPUs 0,8", "CPUs 0-3" or "cpu2": a set of CPUs as the sentences name them (not
/// [`crate::sys::cpus_phrase`], which names an amount of CPU time: "2 CPUs").
pub(crate) fn cpu_set_phrase(cpus: &[usize]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() == 1 {
        format!("cpu{}", sorted[0])
    } else {
        format!("CPUs {}", cpu_list(&sorted))
    }
}

/// The kernel's speed on one CPU of one kind of core, measured by a short pinned run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoreSpeed {
    /// The kind ("P", "E", "big", "little").
    pub(crate) core_type: String,
    /// The CPU it was measured on.
    pub(crate) cpu: usize,
    /// Kernel units per second on that CPU alone.
    pub(crate) units_per_s: f64,
    /// Its speed over the fastest kind's (1 for the fastest).
    pub(crate) relative: f64,
}

/// The kernel's speed on the first CPU of each kind of core this process may use, one kind
/// after another (about 30 ms each), where the kinds differ; empty where they are alike.
pub(crate) fn core_speeds(
    topology: &Topology,
    mask: Option<&[usize]>,
) -> anyhow::Result<Vec<CoreSpeed>> {
    let firsts: Vec<(String, usize)> = topology
        .core_types
        .iter()
        .filter_map(|t| {
            let cpu = t
                .cpus
                .iter()
                .copied()
                .find(|c| mask.is_none_or(|m| m.contains(c)))?;
            Some((t.name.clone(), cpu))
        })
        .collect();
    if firsts.len() < 2 {
        return Ok(Vec::new());
    }
    let mut speeds = Vec::new();
    for (core_type, cpu) in firsts {
        let unit_ns = crate::spawn::on_threads(
            "a core-speed probe",
            1,
            || {},
            |_| crate::sys::pin_current_thread(cpu).map(|()| crate::workload::calibrate_unit_ns()),
        )?
        .pop()
        .expect("one probe")?;
        speeds.push(CoreSpeed {
            core_type,
            cpu,
            units_per_s: 1e9 / unit_ns,
            relative: 0.0,
        });
    }
    let fastest = speeds.iter().map(|s| s.units_per_s).fold(0.0, f64::max);
    for s in &mut speeds {
        s.relative = s.units_per_s / fastest;
    }
    Ok(speeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desktop() -> Topology {
        Topology::of_cores(
            &(0..4)
                .map(|c| (vec![c, c + 4], "core", None))
                .collect::<Vec<_>>(),
        )
    }

    fn hybrid() -> Topology {
        Topology::of_cores(&[
            (vec![0, 1], "P", None),
            (vec![2, 3], "P", None),
            (vec![4], "E", None),
            (vec![5], "E", None),
        ])
    }

    #[test]
    fn cores_and_siblings_on_an_smt_desktop() {
        let t = desktop();
        assert_eq!(Placement::Cores.cpus(&t, None).unwrap(), [0, 1, 2, 3]);
        assert_eq!(Placement::Siblings.cpus(&t, None).unwrap(), [0, 4]);
        // Within a mask: the cores it reaches, the siblings it holds both of.
        assert_eq!(Placement::Cores.cpus(&t, Some(&[4, 5])).unwrap(), [4, 5]);
        assert_eq!(
            Placement::Siblings.cpus(&t, Some(&[1, 2, 6])).unwrap(),
            [2, 6]
        );
        let err = Placement::Fast.cpus(&t, None).unwrap_err();
        assert!(err.contains("all alike"), "{err}");
    }

    #[test]
    fn fast_and_slow_cores_on_a_hybrid() {
        let t = hybrid();
        assert_eq!(Placement::Fast.cpus(&t, None).unwrap(), [0, 2, 1, 3]);
        assert_eq!(Placement::Slow.cpus(&t, None).unwrap(), [4, 5]);
        assert_eq!(Placement::Cores.cpus(&t, None).unwrap(), [0, 2, 4, 5]);
    }

    #[test]
    fn a_machine_without_the_place_says_why() {
        let plain = Topology::of_cores(&[(vec![0], "core", None), (vec![1], "core", None)]);
        let err = Placement::Siblings.cpus(&plain, None).unwrap_err();
        assert!(
            err.starts_with("--placement siblings needs a core that runs two hardware threads"),
            "{err}"
        );
        assert!(err.contains("(2 cores, 1 package; SMT off)"), "{err}");
        let one = Placement::Cores.cpus(&plain, Some(&[1])).unwrap_err();
        assert!(one.contains("needs two cores"), "{one}");
        assert!(resolve(&[Placement::Cores], None, None).is_err());
        assert_eq!(resolve(&[], None, None), Ok(Vec::new()));
    }

    /// Real pinned probes on this machine's first two CPUs, read as a P- and an E-core.
    #[test]
    fn core_speeds_are_measured_on_each_kind() {
        let Some(mask) = crate::sys::affinity().filter(|m| m.len() >= 2) else {
            return; // One CPU: there are no two kinds to measure.
        };
        let t = Topology::of_cores(&[(vec![mask[0]], "P", None), (vec![mask[1]], "E", None)]);
        let speeds = core_speeds(&t, Some(&mask)).unwrap();
        assert_eq!(speeds.len(), 2);
        assert_eq!((speeds[0].cpu, speeds[1].cpu), (mask[0], mask[1]));
        assert!(
            speeds
                .iter()
                .all(|s| s.units_per_s > 0.0 && s.relative > 0.0 && s.relative <= 1.0)
        );
        assert!(speeds.iter().any(|s| s.relative == 1.0));
        assert!(core_speeds(&desktop(), None).unwrap().is_empty());
    }
}
