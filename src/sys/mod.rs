//! What this machine offers and how to control where threads run.
//!
//! Every figure the tool prints is only meaningful next to the machine it came from, and the
//! "one core" demos need to pin threads. This module gathers the CPU facts (logical CPUs,
//! physical cores, the affinity mask, cgroup CPU quotas, what limited the available
//! parallelism) and wraps the few OS calls the executors need: pinning a thread to a CPU,
//! reading the CPU a thread is on, and per-thread context-switch counters. It uses `nix`'s safe
//! wrappers on Linux and says plainly where a platform cannot do a thing.
//!
//! The facts themselves, as [`Machine`], are here; the parts they are read with live beside
//! this file, each re-exported so that callers name them as `sys::...`: CPU lists in the
//! kernel's notation (`cpu_list.rs`), the cgroup CPU quota (`cgroup.rs`), and the OS calls,
//! written once for Linux and once for everything else (`os/`).

pub(crate) mod cgroup;
mod cpu_list;
mod os;
mod topology;

pub(crate) use cpu_list::{cpu_list, parse_cpu_list};
pub use os::affinity;
pub(crate) use os::{
    ContextSwitches, clock_tick, cpu_time, current_cpu, die_with_parent, memory_room, monotonic_ns,
    pin_current_thread, process_context_switches, process_cpu_time, process_last_cpu,
    process_stopped, signal_ignored, thread_context_switches, thread_cpu_time,
};
pub use topology::Topology;
pub(crate) use topology::{Reach, core_noun, plural, plural_n};

use cgroup::{cgroup_quota, cgroup_quota_at};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::fs;
use std::path::{Path, PathBuf};

/// The CPU facts of this machine, as the report's `machine` object (which also holds the
/// [`cpu_capacity`](Machine::cpu_capacity) they give).
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPUs the OS has online (hardware threads).
    pub(crate) logical_cpus: usize,
    /// Physical cores (hyper-threads of one core count once).
    pub(crate) physical_cores: usize,
    /// `std::thread::available_parallelism()`: what a program may use at once.
    pub(crate) available_parallelism: usize,
    /// Why `available_parallelism` is below `logical_cpus`, or "nothing".
    pub(crate) limited_by: String,
    /// The CPUs this process may run on, when the platform tells.
    pub(crate) affinity: Option<Vec<usize>>,
    /// The cgroup CPU quota in CPUs (quota / period), when one is set.
    pub(crate) cgroup_quota_cpus: Option<f64>,
    /// Where the quota came from: `"cgroup v2 cpu.max"` or `"cgroup v1 cfs_quota_us"`.
    pub(crate) cgroup_source: Option<String>,
    /// Worker threads rayon's global pool uses by default here ([`rayon_default`]).
    pub(crate) rayon_threads: usize,
    pub(crate) os: String,
    pub(crate) arch: String,
    pub(crate) cpu_model: String,
    /// How the CPUs are built: cores, their hardware threads, packages, core types; where
    /// sysfs tells.
    pub(crate) topology: Option<Topology>,
    /// The directory the facts were read below (`info --sysroot DIR`), instead of this
    /// machine's `/sys` and `/proc`.
    pub(crate) sysroot: Option<PathBuf>,
}

impl Machine {
    /// Reads the facts of the machine this process runs on.
    pub fn detect() -> Machine {
        let topology = Topology::read(Path::new("/sys"));
        let logical_cpus = topology
            .as_ref()
            .map_or_else(num_cpus::get, |t| t.cpus.len());
        let available_parallelism =
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let affinity = affinity();
        let quota = cgroup_quota();
        let limited_by = limited_by(
            logical_cpus,
            available_parallelism,
            affinity.as_ref().map(Vec::len),
            quota.as_ref().map(|q| q.cpus),
        );
        Machine {
            logical_cpus,
            physical_cores: topology
                .as_ref()
                .map_or_else(num_cpus::get_physical, |t| t.cores.len()),
            available_parallelism,
            limited_by,
            affinity,
            cgroup_quota_cpus: quota.as_ref().map(|q| q.cpus),
            cgroup_source: quota.as_ref().map(|q| q.source.to_string()),
            rayon_threads: rayon_default(|name| std::env::var(name).ok(), available_parallelism)
                .threads,
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            cpu_model: cpu_model(Path::new("/proc/cpuinfo"))
                .unwrap_or_else(|| "unknown".to_string()),
            topology,
            sysroot: None,
        }
    }

    /// The facts of the machine whose `/sys` and `/proc` were copied below `root`, read as
    /// [`Machine::detect`] reads this one's (as `lscpu --sysroot` does). What only a running
    /// process can know is taken from the tree where it has it (the affinity mask from
    /// `proc/self/status`, the cgroup from `proc/self/cgroup`) and is unknown otherwise; the
    /// available parallelism and rayon's pool follow Rust's and rayon's rules from those
    /// facts, with no `RAYON_NUM_THREADS` set. An error says, in one line, why `root` is not
    /// such a tree.
    pub fn from_tree(root: &Path) -> Result<Machine, String> {
        let shown = root.display();
        if !root.is_dir() {
            return Err(format!("--sysroot {shown}: not a directory"));
        }
        let topology = Topology::read(&root.join("sys")).ok_or_else(|| {
            format!(
                "--sysroot {shown}: no CPUs listed in {shown}/sys/devices/system/cpu (give the directory that holds a machine's sys/ and proc/)"
            )
        })?;
        let logical_cpus = topology.cpus.len();
        let affinity = read_kernel_file(&root.join("proc/self/status"), PROC_FILE_CAP)
            .and_then(|status| allowed_cpus(&status))
            .filter(|cpus| !cpus.is_empty());
        let quota = read_kernel_file(&root.join("proc/self/cgroup"), PROC_FILE_CAP)
            .and_then(|cgroup| cgroup_quota_at(&root.join("sys/fs/cgroup"), &cgroup));
        let schedulable = affinity.as_ref().map_or(logical_cpus, Vec::len);
        let available_parallelism = rust_available(schedulable, quota.as_ref().map(|q| q.cpus));
        Ok(Machine {
            logical_cpus,
            physical_cores: topology.cores.len(),
            available_parallelism,
            limited_by: limited_by(
                logical_cpus,
                available_parallelism,
                affinity.as_ref().map(Vec::len),
                quota.as_ref().map(|q| q.cpus),
            ),
            affinity,
            cgroup_quota_cpus: quota.as_ref().map(|q| q.cpus),
            cgroup_source: quota.as_ref().map(|q| q.source.to_string()),
            rayon_threads: rayon_default(|_| None, available_parallelism).threads,
            os: "linux".to_string(),
            arch: "unknown".to_string(),
            cpu_model: cpu_model(&root.join("proc/cpuinfo"))
                .unwrap_or_else(|| "unknown".to_string()),
            topology: Some(topology),
            sysroot: Some(root.to_path_buf()),
        })
    }

    /// A machine of `logical` CPUs of one kind, one thread a core, where this process may use
    /// `mask` under `quota` CPUs, as Rust and rayon would size for it: for scripted runs.
    #[cfg(test)]
    pub(crate) fn synthetic(logical: usize, mask: Vec<usize>, quota: Option<f64>) -> Machine {
        let available_parallelism = rust_available(mask.len(), quota);
        Machine {
            logical_cpus: logical,
            physical_cores: logical,
            available_parallelism,
            limited_by: limited_by(logical, available_parallelism, Some(mask.len()), quota),
            affinity: Some(mask),
            cgroup_quota_cpus: quota,
            cgroup_source: quota.map(|_| "cgroup v2 cpu.max".to_string()),
            rayon_threads: rayon_default(|_| None, available_parallelism).threads,
            os: "linux".to_string(),
            arch: "x86_64".to_string(),
            cpu_model: "Scripted CPU @ 3.00GHz".to_string(),
            topology: None,
            sysroot: None,
        }
    }

    /// The CPUs this process may be scheduled on: its affinity mask, or every online CPU.
    pub(crate) fn schedulable_cpus(&self) -> usize {
        CpuFacts::of(self).schedulable()
    }

    /// How many CPUs' worth of time this process can get at once: the schedulable CPUs,
    /// capped by the quota (1.5 under a 1.5-CPU quota); what parallelism can give. Computed
    /// from the other facts, so a changed fact changes it.
    pub(crate) fn cpu_capacity(&self) -> f64 {
        CpuFacts::of(self).capacity()
    }

    /// This machine's facts as a machine of `cpus` CPUs, all of them in the affinity mask and
    /// no quota, would have them: for tests of what a demo says elsewhere.
    #[cfg(test)]
    pub(crate) fn with_cpus(cpus: usize) -> Machine {
        let mut m = Machine::detect();
        m.logical_cpus = cpus;
        m.affinity = Some((0..cpus).collect());
        m.cgroup_quota_cpus = None;
        m.available_parallelism = cpus;
        m.physical_cores = cpus;
        m.topology = Some(Topology::of_cores(
            &(0..cpus)
                .map(|c| (vec![c], "core", None))
                .collect::<Vec<_>>(),
        ));
        m
    }

    /// The facts as label/value pairs, in the order `info` prints them.
    pub(crate) fn facts(&self) -> Vec<(&'static str, String)> {
        let mut facts = Vec::new();
        if let Some(root) = &self.sysroot {
            facts.push(("sysroot", root.display().to_string()));
        }
        facts.extend([
            ("cpu_model", self.cpu_model.clone()),
            ("os", format!("{} {}", self.os, self.arch)),
            ("logical_cpus", self.logical_cpus.to_string()),
            ("physical_cores", self.physical_cores.to_string()),
        ]);
        facts.push((
            "topology",
            self.topology.as_ref().map_or_else(
                || "unknown (sysfs does not tell)".into(),
                |t| t.summary.clone(),
            ),
        ));
        facts.extend([
            (
                "available_parallelism",
                self.available_parallelism.to_string(),
            ),
            ("limited_by", self.limited_by.clone()),
            (
                "affinity",
                match (&self.affinity, &self.sysroot) {
                    (Some(mask), _) => cpu_list(mask),
                    (None, Some(_)) => "unknown (not in the tree)".into(),
                    (None, None) => "not available on this platform".into(),
                },
            ),
            (
                "cgroup_quota_cpus",
                match (&self.cgroup_quota_cpus, &self.cgroup_source) {
                    (Some(q), Some(s)) => format!("{q:.2} ({s})"),
                    _ => "none".into(),
                },
            ),
            ("cpu_capacity", format_cpus(self.cpu_capacity())),
            ("rayon_threads", self.rayon_threads.to_string()),
        ]);
        facts
    }
}

/// The CPUs a process may run on, from its `/proc/PID/status` (`Cpus_allowed_list`).
fn allowed_cpus(status: &str) -> Option<Vec<usize>> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .and_then(parse_cpu_list)
}

/// The report's `machine` object: the facts in their order, and between `cgroup_source` and
/// `rayon_threads` the `cpu_capacity` computed from them, so that the two cannot disagree;
/// `topology` and `sysroot` last, where there is one.
impl Serialize for Machine {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Machine", 14)?;
        s.serialize_field("logical_cpus", &self.logical_cpus)?;
        s.serialize_field("physical_cores", &self.physical_cores)?;
        s.serialize_field("available_parallelism", &self.available_parallelism)?;
        s.serialize_field("limited_by", &self.limited_by)?;
        s.serialize_field("affinity", &self.affinity)?;
        s.serialize_field("cgroup_quota_cpus", &self.cgroup_quota_cpus)?;
        s.serialize_field("cgroup_source", &self.cgroup_source)?;
        s.serialize_field("cpu_capacity", &self.cpu_capacity())?;
        s.serialize_field("rayon_threads", &self.rayon_threads)?;
        s.serialize_field("os", &self.os)?;
        s.serialize_field("arch", &self.arch)?;
        s.serialize_field("cpu_model", &self.cpu_model)?;
        match &self.topology {
            Some(topology) => s.serialize_field("topology", topology)?,
            None => s.skip_field("topology")?,
        }
        match &self.sysroot {
            Some(root) => s.serialize_field("sysroot", root)?,
            None => s.skip_field("sysroot")?,
        }
        s.end()
    }
}

/// Explains why `available` is below `logical`.
fn limited_by(logical: usize, available: usize, mask: Option<usize>, quota: Option<f64>) -> String {
    let mut reasons = Vec::new();
    if let Some(m) = mask.filter(|&m| m < logical) {
        reasons.push(format!("affinity mask ({m} of {logical} CPUs)"));
    }
    if let Some(q) = quota.filter(|&q| q < logical as f64) {
        reasons.push(format!("cgroup CPU quota ({q:.2} CPUs)"));
    }
    if reasons.is_empty() {
        if available < logical {
            "unknown".into()
        } else {
            "nothing".into()
        }
    } else {
        reasons.join(", ")
    }
}

/// The text of a kernel file (sysfs, procfs, cgroupfs), at most `cap` bytes of it; `None`
/// where it is missing, unreadable or not a regular file. A copied tree (`info --sysroot`)
/// may hold anything at those paths: a FIFO would block a read forever, and a device such as
/// `/dev/zero` would never end; the kernel's own files are regular files.
pub(crate) fn read_kernel_file(path: &Path, cap: u64) -> Option<String> {
    use std::io::Read;
    // Asked before opening: opening a FIFO already blocks until something writes to it.
    if !fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let file = fs::File::open(path).ok()?;
    let mut text = String::new();
    file.take(cap).read_to_string(&mut text).ok()?;
    Some(text)
}

/// Enough of `/proc/cpuinfo` for its first model name even with thousands of CPUs.
const CPUINFO_CAP: u64 = 1 << 20;

/// Enough for any `/proc/PID/status` or `/proc/PID/cgroup`.
const PROC_FILE_CAP: u64 = 1 << 16;

/// Rust's `std::thread::available_parallelism` on Linux: the CPUs this process may be
/// scheduled on, capped by the quota rounded down, never below 1.
pub(crate) fn rust_available(schedulable: usize, quota: Option<f64>) -> usize {
    quota.map_or(schedulable, |q| {
        schedulable.min((q.floor() as usize).max(1))
    })
}

fn cpu_model(cpuinfo: &Path) -> Option<String> {
    let text = read_kernel_file(cpuinfo, CPUINFO_CAP)?;
    text.lines()
        .find(|l| {
            l.starts_with("model name") || l.starts_with("Model") || l.starts_with("Hardware")
        })
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// The facts every runtime's rule starts from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CpuFacts {
    /// CPUs the OS has online.
    pub(crate) online: usize,
    /// CPUs in the affinity mask, where the platform tells.
    pub(crate) in_mask: Option<usize>,
    /// The cgroup CPU quota in CPUs (quota / period), when one is set.
    pub(crate) quota: Option<f64>,
}

impl CpuFacts {
    pub(crate) fn of(machine: &Machine) -> CpuFacts {
        CpuFacts {
            online: machine.logical_cpus,
            in_mask: machine.affinity.as_ref().map(Vec::len),
            quota: machine.cgroup_quota_cpus,
        }
    }

    /// The CPUs the process may be scheduled on: the affinity mask, or all online CPUs.
    pub(crate) fn schedulable(&self) -> usize {
        self.in_mask
            .filter(|&n| n > 0)
            .unwrap_or(self.online)
            .max(1)
    }

    /// How many CPUs' worth of time this process can get at once: the schedulable CPUs, capped
    /// by the quota (which may be fractional). Amdahl's `p` cannot exceed it.
    pub(crate) fn capacity(&self) -> f64 {
        let cpus = self.schedulable() as f64;
        self.quota.map_or(cpus, |q| cpus.min(q))
    }
}

/// rayon's default pool: how many threads, and the variable that decided it (`None` where
/// rayon took the available parallelism).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RayonDefault {
    pub(crate) threads: usize,
    pub(crate) set_by: Option<&'static str>,
}

/// The size of rayon's default pool, with the environment read by `env` and `available` as
/// Rust's available parallelism. rayon-core 1.13's rule (`ThreadPoolBuilder::get_num_threads`,
/// capped by `max_num_threads` where the registry is built): `RAYON_NUM_THREADS` parsed as is
/// (no trimming); a positive number decides, 0 means the available parallelism; unset or not a
/// number, the deprecated `RAYON_RS_NUM_CPUS` decides where it is a positive number; otherwise
/// the available parallelism. Computed rather than asked, because asking rayon starts its
/// global pool. The one rule for both `machine.rayon_threads` and `maxprocs.defaults.rayon`.
pub(crate) fn rayon_default(
    env: impl Fn(&str) -> Option<String>,
    available: usize,
) -> RayonDefault {
    let read = |name: &'static str| env(name).and_then(|s| s.parse::<usize>().ok());
    let set_by = match read("RAYON_NUM_THREADS") {
        Some(n @ 1..) => Some(("RAYON_NUM_THREADS", n)),
        Some(0) => None,
        None => read("RAYON_RS_NUM_CPUS")
            .filter(|&n| n > 0)
            .map(|n| ("RAYON_RS_NUM_CPUS", n)),
    };
    let (threads, set_by) = set_by.map_or((available, None), |(name, n)| (n, Some(name)));
    RayonDefault {
        threads: threads.min(rayon::max_num_threads()),
        set_by,
    }
}

/// CPUs as people write them: "2", or "1.50" under a fractional quota.
pub(crate) fn format_cpus(cpus: f64) -> String {
    if (cpus - cpus.round()).abs() < 1e-9 {
        format!("{}", cpus.round() as u64)
    } else {
        format!("{cpus:.2}")
    }
}

/// "1 CPU", "2 CPUs", "1.50 CPUs".
pub(crate) fn cpus_phrase(cpus: f64) -> String {
    match format_cpus(cpus).as_str() {
        "1" => "1 CPU".into(),
        n => format!("{n} CPUs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_capacity_is_computed_from_the_facts_in_its_place() {
        let machine = Machine {
            logical_cpus: 2,
            physical_cores: 2,
            available_parallelism: 1,
            limited_by: "cgroup CPU quota (1.50 CPUs)".into(),
            affinity: Some(vec![0, 1]),
            cgroup_quota_cpus: Some(1.5),
            cgroup_source: Some("cgroup v2 cpu.max".into()),
            rayon_threads: 1,
            os: "linux".into(),
            arch: "x86_64".into(),
            cpu_model: "Example CPU".into(),
            topology: None,
            sysroot: None,
        };
        let json = serde_json::to_value(&machine).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "logical_cpus",
                "physical_cores",
                "available_parallelism",
                "limited_by",
                "affinity",
                "cgroup_quota_cpus",
                "cgroup_source",
                "cpu_capacity",
                "rayon_threads",
                "os",
                "arch",
                "cpu_model",
            ]
        );
        assert_eq!(machine.cpu_capacity(), 1.5);
        assert_eq!(
            json["cpu_capacity"],
            serde_json::json!(machine.cpu_capacity())
        );
        assert_eq!(json["cgroup_quota_cpus"], serde_json::json!(1.5));
        assert_eq!(json["affinity"], serde_json::json!([0, 1]));
    }

    #[test]
    fn limits_are_explained() {
        assert_eq!(limited_by(4, 4, Some(4), None), "nothing");
        assert_eq!(
            limited_by(4, 1, Some(1), None),
            "affinity mask (1 of 4 CPUs)"
        );
        assert!(limited_by(4, 1, Some(4), Some(1.5)).contains("quota"));
    }

    #[test]
    fn detect_is_consistent() {
        let m = Machine::detect();
        assert!(m.available_parallelism >= 1);
        // A program may use at most the CPUs that are online, and at most those of its mask.
        assert!(m.available_parallelism <= m.logical_cpus, "{m:?}");
        if let Some(mask) = &m.affinity {
            assert!(m.available_parallelism <= mask.len(), "{m:?}");
            assert!(
                mask.windows(2).all(|w| w[0] < w[1]),
                "sorted, once each: {mask:?}"
            );
        }
        if m.limited_by == "nothing" {
            assert_eq!(m.available_parallelism, m.logical_cpus, "{m:?}");
        }
    }
}
