//! How the machine's CPUs are built, read from sysfs as `lscpu` does: which logical CPUs are
//! hardware threads of one core (SMT), which cores share a package, the NUMA nodes, and
//! whether cores differ (Intel hybrid P- and E-cores, ARM big.LITTLE by the scheduler's
//! capacity). A count of physical cores cannot tell a 16-thread laptop from a 16-core server,
//! and every speedup beyond the cores, or on a slower core, needs that told.
//!
//! Read below a root (normally `/sys`, or `DIR/sys` for `info --sysroot DIR`), so that tests
//! and students can read any machine from a tree of files; a file that is missing is skipped,
//! and what it would have said is unknown rather than guessed.

use super::cpu_list::parse_cpu_list;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// The machine's CPUs: packages, cores, core types and every logical CPU's place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topology {
    /// The machine in a few words (see [`Topology::describe`]), as `info` shows it.
    pub(crate) summary: String,
    /// Physical packages (sockets), where the kernel numbers them.
    pub(crate) packages: Option<usize>,
    /// NUMA nodes, where the kernel lists them (`/sys/devices/system/node`); 0 where not.
    pub(crate) numa_nodes: usize,
    pub(crate) smt: Smt,
    /// One entry per kind of core, fastest first; one entry where all cores are alike.
    pub(crate) core_types: Vec<CoreType>,
    /// One entry per physical core: the logical CPUs that are its hardware threads.
    pub(crate) cores: Vec<Core>,
    /// One row per online logical CPU.
    pub(crate) cpus: Vec<CpuPlace>,
}

/// Simultaneous multithreading, as the kernel reports it (`devices/system/cpu/smt`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Smt {
    /// `smt/active`: whether some core runs two or more hardware threads now.
    pub(crate) active: Option<bool>,
    /// `smt/control`: `on`, `off`, `forceoff`, `notsupported` or `notimplemented`.
    pub(crate) control: Option<String>,
}

/// One kind of core: Intel's `P` (`devices/cpu_core`) and `E` (`devices/cpu_atom`), or by
/// the scheduler's capacity `big`, `mid` and `little`; `core` where all are alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CoreType {
    pub(crate) name: String,
    pub(crate) cores: usize,
    /// Hardware threads per core (the most any core of this kind has).
    pub(crate) threads_per_core: usize,
    pub(crate) cpus: Vec<usize>,
    /// The scheduler's capacity of these CPUs, where the kernel gives one (see
    /// [`CpuPlace::sched_capacity`]).
    pub(crate) sched_capacity: Option<u32>,
}

/// One physical core. Its fields are named as the JSON's rows of CPUs name them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(clippy::struct_field_names)]
pub(crate) struct Core {
    /// Its index in [`Topology::cores`], ordered by its first CPU.
    pub(crate) core: usize,
    pub(crate) package: Option<usize>,
    /// Its hardware threads (logical CPUs).
    pub(crate) cpus: Vec<usize>,
    pub(crate) core_type: String,
}

/// Where one logical CPU sits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CpuPlace {
    pub(crate) cpu: usize,
    /// Index into [`Topology::cores`].
    pub(crate) core: usize,
    pub(crate) package: Option<usize>,
    pub(crate) die: Option<usize>,
    pub(crate) node: Option<usize>,
    pub(crate) core_type: String,
    /// The kernel's `cpuN/cpu_capacity`: this CPU's relative speed for the scheduler, 1024 for
    /// the biggest. Not conpar's `machine.cpu_capacity` (how many CPUs' worth of time this
    /// process may use), hence the different name.
    pub(crate) sched_capacity: Option<u32>,
}

/// What a set of CPUs is made of: the measure of how far a speedup can go before it meets
/// hardware threads that share a core, or slower cores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reach {
    /// Logical CPUs.
    pub(crate) cpus: usize,
    /// The physical cores they belong to.
    pub(crate) cores: usize,
    /// The cores of the fastest kind among them (all of them where the cores are alike).
    pub(crate) fastest_cores: usize,
    /// That kind's name ("core", "P", "big").
    pub(crate) fastest_kind: String,
    /// Are all the cores of one kind?
    pub(crate) alike: bool,
}

/// More CPUs than any machine the kernel supports (`CONFIG_NR_CPUS` is at most 8192): a
/// tree that lists more is not read.
const MOST_CPUS: usize = 1 << 14;

impl Topology {
    /// The topology below `sys` (a sysfs root such as `/sys`); `None` where it lists no CPU.
    pub fn read(sys: &Path) -> Option<Topology> {
        let cpu_dir = sys.join("devices/system/cpu");
        let online = read_list(&cpu_dir.join("online")).or_else(|| cpu_dirs(&cpu_dir))?;
        if online.is_empty() || online.len() > MOST_CPUS {
            return None;
        }
        let is_online: BTreeSet<usize> = online.iter().copied().collect();
        let nodes = numa_nodes(sys);
        let node_of: BTreeMap<usize, usize> = nodes
            .iter()
            .flat_map(|(node, cpus)| cpus.iter().map(move |&cpu| (cpu, *node)))
            .collect();
        let hybrid = [
            ("P", "devices/cpu_core/cpus"),
            ("E", "devices/cpu_atom/cpus"),
        ]
        .into_iter()
        .filter_map(|(name, file)| Some((name, read_list(&sys.join(file))?)))
        .collect::<Vec<_>>();
        let mut places: Vec<(usize, Vec<usize>, CpuPlace)> = Vec::new();
        for &cpu in &online {
            let dir = cpu_dir.join(format!("cpu{cpu}"));
            let topo = dir.join("topology");
            let mut siblings = read_list(&topo.join("core_cpus_list"))
                .or_else(|| read_list(&topo.join("thread_siblings_list")))
                .unwrap_or_else(|| vec![cpu]);
            siblings.retain(|c| is_online.contains(c));
            if !siblings.contains(&cpu) {
                siblings = vec![cpu];
            }
            siblings.sort_unstable();
            siblings.dedup();
            let package = read_number(&topo.join("physical_package_id"));
            let place = CpuPlace {
                cpu,
                core: 0,
                package,
                die: read_number(&topo.join("die_id")),
                node: node_of.get(&cpu).copied(),
                core_type: String::new(),
                sched_capacity: read_number(&dir.join("cpu_capacity"))
                    .and_then(|c| u32::try_from(c).ok()),
            };
            places.push((cpu, siblings, place));
        }
        let kinds = kinds(&hybrid, &places);
        // A core is the set of its hardware threads, numbered by its first CPU.
        let mut by_siblings: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
        let mut firsts: Vec<(usize, Vec<usize>)> =
            places.iter().map(|(_, s, _)| (s[0], s.clone())).collect();
        firsts.sort();
        firsts.dedup();
        for (i, (_, siblings)) in firsts.iter().enumerate() {
            by_siblings.insert(siblings.clone(), i);
        }
        let cpus: Vec<CpuPlace> = places
            .into_iter()
            .map(|(cpu, siblings, place)| CpuPlace {
                core: by_siblings[&siblings],
                core_type: kinds(cpu),
                ..place
            })
            .collect();
        let row_of: BTreeMap<usize, usize> =
            cpus.iter().enumerate().map(|(i, p)| (p.cpu, i)).collect();
        let cores: Vec<Core> = firsts
            .iter()
            .enumerate()
            .map(|(i, (first, siblings))| {
                let row = &cpus[row_of[first]];
                Core {
                    core: i,
                    package: row.package,
                    cpus: siblings.clone(),
                    core_type: row.core_type.clone(),
                }
            })
            .collect();
        let packages: BTreeSet<usize> = cpus.iter().filter_map(|p| p.package).collect();
        let smt = Smt {
            active: read_text(&cpu_dir.join("smt/active")).and_then(|t| match t.as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            }),
            control: read_text(&cpu_dir.join("smt/control")),
        };
        let mut topology = Topology {
            summary: String::new(),
            packages: (!packages.is_empty()).then_some(packages.len()),
            numa_nodes: nodes.len(),
            smt,
            core_types: core_types(&cores, &cpus),
            cores,
            cpus,
        };
        topology.summary = topology.describe();
        Some(topology)
    }

    /// A machine of one package made of `cores`, each given as its hardware threads, its kind
    /// ("core" where all are alike, "P" and "E", or "big" and "little") and the scheduler's
    /// capacity of its CPUs: for tests of what conpar says on machines unlike this one.
    #[cfg(test)]
    pub(crate) fn of_cores(cores: &[(Vec<usize>, &str, Option<u32>)]) -> Topology {
        let cpus: Vec<CpuPlace> = cores
            .iter()
            .enumerate()
            .flat_map(|(core, (threads, kind, capacity))| {
                threads.iter().map(move |&cpu| CpuPlace {
                    cpu,
                    core,
                    package: Some(0),
                    die: Some(0),
                    node: None,
                    core_type: (*kind).to_string(),
                    sched_capacity: *capacity,
                })
            })
            .collect();
        let cores: Vec<Core> = cores
            .iter()
            .enumerate()
            .map(|(core, (threads, kind, _))| Core {
                core,
                package: Some(0),
                cpus: threads.clone(),
                core_type: (*kind).to_string(),
            })
            .collect();
        let mut topology = Topology {
            summary: String::new(),
            packages: Some(1),
            numa_nodes: 0,
            smt: Smt {
                active: Some(cores.iter().any(|c| c.cpus.len() > 1)),
                control: None,
            },
            core_types: core_types(&cores, &cpus),
            cores,
            cpus,
        };
        topology.summary = topology.describe();
        topology
    }

    /// What the CPUs of `mask` (every online CPU where `None`) are made of.
    pub(crate) fn reach(&self, mask: Option<&[usize]>) -> Reach {
        let usable: Vec<&CpuPlace> = self
            .cpus
            .iter()
            .filter(|p| mask.is_none_or(|m| m.contains(&p.cpu)))
            .collect();
        let cores: BTreeSet<usize> = usable.iter().map(|p| p.core).collect();
        // The fastest kind the mask reaches: core_types is ordered fastest first.
        let fastest = self
            .core_types
            .iter()
            .find(|t| usable.iter().any(|p| p.core_type == t.name));
        let fastest_cores: BTreeSet<usize> = usable
            .iter()
            .filter(|p| fastest.is_some_and(|t| t.name == p.core_type))
            .map(|p| p.core)
            .collect();
        let kinds: BTreeSet<&str> = usable.iter().map(|p| p.core_type.as_str()).collect();
        Reach {
            cpus: usable.len(),
            cores: cores.len(),
            fastest_cores: fastest_cores.len(),
            fastest_kind: fastest.map_or_else(|| "core".into(), |t| t.name.clone()),
            alike: kinds.len() <= 1,
        }
    }

    /// Hardware threads that share a core with another online CPU: where SMT is at work.
    pub(crate) fn has_smt(&self) -> bool {
        self.cores.iter().any(|c| c.cpus.len() > 1)
    }

    /// The machine in a few words: "8 cores x 2 threads, 1 package; SMT on", "6 P-cores x 2
    /// threads + 8 E-cores, 1 package; SMT on", "4 big cores (capacity 1024) + 4 little cores
    /// (capacity 446), 1 package".
    fn describe(&self) -> String {
        let alike = self.core_types.len() == 1;
        let kinds: Vec<String> = self
            .core_types
            .iter()
            .map(|t| {
                let noun = plural(t.cores, &core_noun(&t.name, alike));
                let threads = if t.threads_per_core > 1 {
                    format!(" x {} threads", t.threads_per_core)
                } else {
                    String::new()
                };
                let capacity = match (alike, t.name.as_str(), t.sched_capacity) {
                    (false, "big" | "mid" | "little", Some(c)) => format!(" (capacity {c})"),
                    _ => String::new(),
                };
                format!("{} {noun}{threads}{capacity}", t.cores)
            })
            .collect();
        let mut text = kinds.join(" + ");
        if let Some(packages) = self.packages {
            let _ = write!(text, ", {}", plural_n(packages, "package"));
        }
        if self.numa_nodes > 1 {
            let _ = write!(text, ", {}", plural_n(self.numa_nodes, "NUMA node"));
        }
        let smt = match (self.smt.active, self.smt.control.as_deref()) {
            (_, Some("notsupported" | "notimplemented")) => Some("SMT not supported"),
            (Some(true), _) => Some("SMT on"),
            (Some(false), _) => Some("SMT off"),
            (None, _) if self.has_smt() => Some("SMT on"),
            (None, _) => None,
        };
        if let Some(smt) = smt {
            text.push_str("; ");
            text.push_str(smt);
        }
        text
    }
}

/// What a core of kind `kind` is called: "core" where all are `alike`, else "P-core",
/// "E-core", or "big core" and the like.
pub(crate) fn core_noun(kind: &str, alike: bool) -> String {
    match (alike, kind) {
        (true, _) => "core".to_string(),
        (false, "P" | "E") => format!("{kind}-core"),
        (false, kind) => format!("{kind} core"),
    }
}

/// `noun`, or its plural where `n` is not 1.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// "1 core", "2 cores": a count and its noun.
pub(crate) fn plural_n(n: usize, noun: &str) -> String {
    format!("{n} {}", plural(n, noun))
}

/// The kind of each CPU: P or E where the kernel lists hybrid cores; else by the scheduler's
/// capacity where it differs (big, mid, little); else all alike ("core").
fn kinds(
    hybrid: &[(&'static str, Vec<usize>)],
    places: &[(usize, Vec<usize>, CpuPlace)],
) -> impl Fn(usize) -> String + use<> {
    let hybrid: BTreeMap<usize, &'static str> = hybrid
        .iter()
        .flat_map(|(name, cpus)| cpus.iter().map(move |&c| (c, *name)))
        .collect();
    let capacity: BTreeMap<usize, u32> = places
        .iter()
        .filter_map(|(cpu, _, p)| Some((*cpu, p.sched_capacity?)))
        .collect();
    let mut capacities: Vec<u32> = capacity.values().copied().collect();
    capacities.sort_unstable();
    capacities.dedup();
    move |cpu| {
        if !hybrid.is_empty() {
            return hybrid.get(&cpu).copied().unwrap_or("other").to_string();
        }
        match capacity.get(&cpu) {
            Some(c) if capacities.len() > 1 => {
                if Some(c) == capacities.last() {
                    "big".into()
                } else if Some(c) == capacities.first() {
                    "little".into()
                } else {
                    "mid".into()
                }
            }
            _ => "core".into(),
        }
    }
}

/// The kinds of core, fastest first: P before E, big before mid before little.
fn core_types(cores: &[Core], cpus: &[CpuPlace]) -> Vec<CoreType> {
    const ORDER: [&str; 7] = ["P", "E", "big", "mid", "little", "core", "other"];
    let mut names: Vec<&str> = cores.iter().map(|c| c.core_type.as_str()).collect();
    names.sort_by_key(|n| ORDER.iter().position(|o| o == n));
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let of_kind: Vec<&Core> = cores.iter().filter(|c| c.core_type == name).collect();
            let mut type_cpus: Vec<usize> = of_kind
                .iter()
                .flat_map(|c| c.cpus.iter().copied())
                .collect();
            type_cpus.sort_unstable();
            let capacities: Vec<u32> = cpus
                .iter()
                .filter(|p| p.core_type == name)
                .filter_map(|p| p.sched_capacity)
                .collect();
            CoreType {
                name: name.to_string(),
                cores: of_kind.len(),
                threads_per_core: of_kind.iter().map(|c| c.cpus.len()).max().unwrap_or(1),
                cpus: type_cpus,
                sched_capacity: capacities.iter().copied().max(),
            }
        })
        .collect()
}

/// NUMA node numbers with their CPUs, from `devices/system/node/nodeK/cpulist`.
fn numa_nodes(sys: &Path) -> Vec<(usize, Vec<usize>)> {
    let Ok(entries) = fs::read_dir(sys.join("devices/system/node")) else {
        return Vec::new();
    };
    let mut nodes: Vec<(usize, Vec<usize>)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name.strip_prefix("node")?.parse().ok()?;
            Some((n, read_list(&e.path().join("cpulist"))?))
        })
        .collect();
    nodes.sort();
    nodes
}

/// The CPU numbers of the `cpuN` directories, where `online` is missing.
fn cpu_dirs(cpu_dir: &Path) -> Option<Vec<usize>> {
    let mut cpus: Vec<usize> = fs::read_dir(cpu_dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_prefix("cpu")?
                .parse()
                .ok()
        })
        .collect();
    cpus.sort_unstable();
    Some(cpus)
}

/// A small file's text, trimmed; `None` where it is missing or not text. Files of sysfs are
/// small: more than 64 KiB is not one.
fn read_text(path: &Path) -> Option<String> {
    super::read_kernel_file(path, 64 * 1024).map(|t| t.trim().to_string())
}

fn read_list(path: &Path) -> Option<Vec<usize>> {
    parse_cpu_list(&read_text(path)?).filter(|l| l.len() <= MOST_CPUS)
}

fn read_number(path: &Path) -> Option<usize> {
    read_text(path)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Files that say nonsense are skipped like missing ones: a sibling list that is not a
    /// list, or that names offline CPUs or not the CPU itself, leaves the CPU a core of its
    /// own; a package id that is not a number is unknown.
    #[test]
    fn nonsense_in_a_file_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "devices/system/cpu/online", "0-2\n");
        write(
            root,
            "devices/system/cpu/cpu0/topology/core_cpus_list",
            "zero\n",
        );
        write(
            root,
            "devices/system/cpu/cpu0/topology/physical_package_id",
            "-x\n",
        );
        write(
            root,
            "devices/system/cpu/cpu1/topology/core_cpus_list",
            "1,7\n",
        );
        write(
            root,
            "devices/system/cpu/cpu2/topology/core_cpus_list",
            "0\n",
        );
        write(root, "devices/system/cpu/smt/active", "maybe\n");
        let topology = Topology::read(root).unwrap();
        let cores: Vec<&[usize]> = topology.cores.iter().map(|c| &c.cpus[..]).collect();
        assert_eq!(cores, [&[0][..], &[1], &[2]]);
        assert_eq!(topology.packages, None);
        assert_eq!(topology.smt.active, None);
        assert_eq!(topology.summary, "3 cores");
    }

    #[test]
    fn a_tree_without_cpus_is_no_topology() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Topology::read(dir.path()), None);
        write(dir.path(), "devices/system/cpu/online", "\n");
        assert_eq!(Topology::read(dir.path()), None);
        write(dir.path(), "devices/system/cpu/online", "0-99999\n");
        assert_eq!(
            Topology::read(dir.path()),
            None,
            "more CPUs than a kernel has"
        );
    }

    /// Where `online` is missing, the `cpuN` directories say which CPUs there are.
    #[test]
    fn cpu_directories_stand_in_for_the_online_list() {
        let dir = tempfile::tempdir().unwrap();
        for cpu in ["cpu0", "cpu1", "cpufreq", "cpuidle"] {
            fs::create_dir_all(dir.path().join("devices/system/cpu").join(cpu)).unwrap();
        }
        let topology = Topology::read(dir.path()).unwrap();
        assert_eq!(topology.cpus.len(), 2);
        assert_eq!(topology.summary, "2 cores");
    }

    #[test]
    fn reach_counts_the_cores_of_a_mask() {
        let hybrid = Topology::of_cores(&[
            (vec![0, 1], "P", None),
            (vec![2, 3], "P", None),
            (vec![4], "E", None),
            (vec![5], "E", None),
        ]);
        let all = hybrid.reach(None);
        assert_eq!((all.cpus, all.cores, all.fastest_cores), (6, 4, 2));
        assert_eq!(all.fastest_kind, "P");
        assert!(!all.alike);
        let e_only = hybrid.reach(Some(&[4, 5]));
        assert_eq!((e_only.cpus, e_only.cores, e_only.fastest_cores), (2, 2, 2));
        assert_eq!(e_only.fastest_kind, "E");
        assert!(e_only.alike);
        let siblings = hybrid.reach(Some(&[0, 1]));
        assert_eq!((siblings.cpus, siblings.cores), (2, 1));
    }

    #[test]
    fn synthetic_machines_say_what_they_are() {
        let smt = Topology::of_cores(
            &(0..4)
                .map(|c| (vec![c, c + 4], "core", None))
                .collect::<Vec<_>>(),
        );
        assert!(smt.has_smt());
        assert_eq!(smt.summary, "4 cores x 2 threads, 1 package; SMT on");
        let hybrid = Topology::of_cores(&[
            (vec![0, 1], "P", Some(1024)),
            (vec![2], "E", Some(600)),
            (vec![3], "E", Some(600)),
        ]);
        assert_eq!(
            hybrid.summary,
            "1 P-core x 2 threads + 2 E-cores, 1 package; SMT on"
        );
        assert_eq!(hybrid.core_types[1].cpus, [2, 3]);
    }
}
