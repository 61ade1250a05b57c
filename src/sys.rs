//! What this machine offers and how to control where threads run.
//!
//! Every figure the tool prints is only meaningful next to the machine it came from, and the
//! "one core" demos need to pin threads. This module gathers the CPU facts (logical CPUs,
//! physical cores, the affinity mask, cgroup CPU quotas, what limited the available
//! parallelism) and wraps the few OS calls the executors need: pinning a thread to a CPU,
//! reading the CPU a thread is on, and per-thread context-switch counters. It uses `nix`'s safe
//! wrappers on Linux and says plainly where a platform cannot do a thing.

use serde::Serialize;
use std::fs;
use std::path::Path;

/// The CPU facts of this machine, as the report's `machine` object.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPUs the OS has online (hardware threads).
    pub logical_cpus: usize,
    /// Physical cores (hyper-threads of one core count once).
    pub physical_cores: usize,
    /// `std::thread::available_parallelism()`: what a program may use at once.
    pub available_parallelism: usize,
    /// Why `available_parallelism` is below `logical_cpus`, or "nothing".
    pub limited_by: String,
    /// The CPUs this process may run on, when the platform tells.
    pub affinity: Option<Vec<usize>>,
    /// The cgroup CPU quota in CPUs (quota / period), when one is set.
    pub cgroup_quota_cpus: Option<f64>,
    /// Where the quota came from: `"cgroup v2 cpu.max"` or `"cgroup v1 cfs_quota_us"`.
    pub cgroup_source: Option<String>,
    /// How many CPUs' worth of time this process can get at once: the CPUs it may run on,
    /// capped by the cgroup quota (1.5 under a 1.5-CPU quota). What parallelism can give.
    pub cpu_capacity: f64,
    /// Worker threads rayon's global pool uses by default here ([`crate::maxprocs::rayon_default`]).
    pub rayon_threads: usize,
    pub os: String,
    pub arch: String,
    pub cpu_model: String,
}

impl Machine {
    /// Reads the facts of the machine this process runs on.
    pub fn detect() -> Machine {
        let logical_cpus = online_cpus().unwrap_or_else(num_cpus::get);
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
            physical_cores: num_cpus::get_physical(),
            available_parallelism,
            limited_by,
            affinity,
            cgroup_quota_cpus: quota.as_ref().map(|q| q.cpus),
            cgroup_source: quota.as_ref().map(|q| q.source.to_string()),
            cpu_capacity: 0.0,
            rayon_threads: crate::maxprocs::rayon_default(
                |name| std::env::var(name).ok(),
                available_parallelism,
            )
            .threads,
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".to_string()),
        }
        .with_capacity()
    }

    /// The CPUs this process may be scheduled on: its affinity mask, or every online CPU.
    pub fn schedulable_cpus(&self) -> usize {
        crate::maxprocs::CpuFacts::of(self).schedulable()
    }

    /// How many CPUs' worth of time this process can get at once: the schedulable CPUs,
    /// capped by the quota. Computed from the other facts, so a changed fact changes it.
    pub fn cpu_capacity(&self) -> f64 {
        crate::maxprocs::CpuFacts::of(self).capacity()
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
        m.with_capacity()
    }

    /// These facts with `cpu_capacity` filled in from the others.
    #[must_use]
    pub fn with_capacity(mut self) -> Machine {
        self.cpu_capacity = self.cpu_capacity();
        self
    }

    /// The facts as label/value pairs, in the order `info` prints them.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cpu_model", self.cpu_model.clone()),
            ("os", format!("{} {}", self.os, self.arch)),
            ("logical_cpus", self.logical_cpus.to_string()),
            ("physical_cores", self.physical_cores.to_string()),
            (
                "available_parallelism",
                self.available_parallelism.to_string(),
            ),
            ("limited_by", self.limited_by.clone()),
            (
                "affinity",
                self.affinity
                    .as_ref()
                    .map_or_else(|| "not available on this platform".into(), |a| cpu_list(a)),
            ),
            (
                "cgroup_quota_cpus",
                match (&self.cgroup_quota_cpus, &self.cgroup_source) {
                    (Some(q), Some(s)) => format!("{q:.2} ({s})"),
                    _ => "none".into(),
                },
            ),
            (
                "cpu_capacity",
                crate::maxprocs::format_cpus(self.cpu_capacity()),
            ),
            ("rayon_threads", self.rayon_threads.to_string()),
        ]
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

/// Formats CPU numbers compactly: `[0, 1, 2, 5]` as "0-2,5".
pub fn cpu_list(cpus: &[usize]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

/// Parses a kernel CPU list such as "0-3,8,10-11".
pub fn parse_cpu_list(text: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().ok()?),
        }
    }
    Some(cpus)
}

fn online_cpus() -> Option<usize> {
    let text = fs::read_to_string("/sys/devices/system/cpu/online").ok()?;
    parse_cpu_list(&text).map(|c| c.len()).filter(|&n| n > 0)
}

fn cpu_model() -> Option<String> {
    let text = fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| {
            l.starts_with("model name") || l.starts_with("Model") || l.starts_with("Hardware")
        })
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// A CPU quota read from the cgroup file system.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    /// quota / period, in CPUs.
    pub cpus: f64,
    pub source: &'static str,
}

/// Parses cgroup v2 `cpu.max` ("max 100000" or "150000 100000").
pub fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut fields = text.split_whitespace();
    let quota = fields.next()?;
    let period: f64 = fields.next().map_or(Some(100_000.0), |p| p.parse().ok())?;
    if quota == "max" || period <= 0.0 {
        return None;
    }
    let quota: f64 = quota.parse().ok()?;
    (quota > 0.0).then(|| quota / period)
}

/// Parses cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` (quota -1 means none).
pub fn parse_cfs(quota: &str, period: &str) -> Option<f64> {
    let quota: f64 = quota.trim().parse().ok()?;
    let period: f64 = period.trim().parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// Finds this process's CPU quota under `root` (normally `/sys/fs/cgroup`), given the contents
/// of `/proc/self/cgroup`. Separate from the real paths so tests can feed synthetic trees.
pub fn cgroup_quota_at(root: &Path, proc_self_cgroup: &str) -> Option<Quota> {
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let rel = path.trim_start_matches('/');
        if controllers.is_empty() {
            let file = root.join(rel).join("cpu.max");
            if let Some(cpus) = fs::read_to_string(file)
                .ok()
                .and_then(|t| parse_cpu_max(&t))
            {
                return Some(Quota {
                    cpus,
                    source: "cgroup v2 cpu.max",
                });
            }
        } else if controllers.split(',').any(|c| c == "cpu") {
            for mount in ["cpu,cpuacct", "cpu", "cpuacct,cpu"] {
                let dir = root.join(mount).join(rel);
                let quota = fs::read_to_string(dir.join("cpu.cfs_quota_us"));
                let period = fs::read_to_string(dir.join("cpu.cfs_period_us"));
                if let (Ok(q), Ok(p)) = (quota, period) {
                    if let Some(cpus) = parse_cfs(&q, &p) {
                        return Some(Quota {
                            cpus,
                            source: "cgroup v1 cfs_quota_us",
                        });
                    }
                }
            }
        }
    }
    None
}

fn cgroup_quota() -> Option<Quota> {
    let cgroup = fs::read_to_string("/proc/self/cgroup").ok()?;
    cgroup_quota_at(Path::new("/sys/fs/cgroup"), &cgroup)
}

#[cfg(target_os = "linux")]
mod os {
    use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
    use nix::sys::resource::{UsageWho, getrusage};
    use nix::unistd::Pid;

    pub fn affinity() -> Option<Vec<usize>> {
        let set = sched_getaffinity(Pid::from_raw(0)).ok()?;
        Some(
            (0..CpuSet::count())
                .filter(|&i| set.is_set(i).unwrap_or(false))
                .collect(),
        )
    }

    pub fn pin_current_thread(cpu: usize) -> anyhow::Result<()> {
        let mut set = CpuSet::new();
        set.set(cpu)?;
        sched_setaffinity(Pid::from_raw(0), &set)?;
        Ok(())
    }

    pub fn current_cpu() -> Option<usize> {
        sched_getcpu().ok()
    }

    pub fn monotonic_ns() -> Option<u64> {
        let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).ok()?;
        Some(t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
    }

    pub fn die_with_parent(parent: Option<u32>) -> anyhow::Result<()> {
        use nix::sys::signal::{SigSet, Signal};
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
            .map_err(|e| anyhow::anyhow!("cannot ask to die with the parent process: {e}"))?;
        // Asked after the parent may already have died: then this process has been handed to
        // another parent (init or a subreaper), and the request came too late to fire.
        if let Some(parent) = parent {
            let now = nix::unistd::getppid().as_raw();
            if i64::from(now) != i64::from(parent) {
                anyhow::bail!(
                    "the conpar that started this worker (pid {parent}) is gone; stopping"
                );
            }
        }
        let mut owned = SigSet::empty();
        for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            owned.add(signal);
        }
        owned
            .thread_block()
            .map_err(|e| anyhow::anyhow!("cannot block the parent's signals: {e}"))?;
        Ok(())
    }

    pub fn signal_ignored(signal: i32) -> bool {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| super::ignored_in_status(&status, signal))
            .unwrap_or(false)
    }

    pub fn memory_room() -> Option<u64> {
        use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit};
        // The address-space limit (ulimit -v) counts every mapping, the data limit (ulimit -d)
        // the private writable ones, thread stacks among them.
        let limits: Vec<(u64, &str)> = [
            (Resource::RLIMIT_AS, "VmSize:"),
            (Resource::RLIMIT_DATA, "VmData:"),
        ]
        .into_iter()
        .filter_map(|(resource, field)| {
            let (soft, _) = getrlimit(resource).ok()?;
            (soft != RLIM_INFINITY).then_some((soft, field))
        })
        .collect();
        if limits.is_empty() {
            return None;
        }
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        limits
            .into_iter()
            .filter_map(|(limit, field)| {
                let used_kb: u64 = status
                    .lines()
                    .find_map(|l| l.strip_prefix(field))?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()?;
                Some(limit.saturating_sub(used_kb.saturating_mul(1024)))
            })
            .min()
    }

    pub fn process_stopped(pid: u32) -> Option<bool> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name may hold spaces and parentheses: the state follows the last ')'.
        let state = stat[stat.rfind(')')? + 1..].split_whitespace().next()?;
        Some(matches!(state, "T" | "t"))
    }

    pub fn thread_context_switches() -> Option<(u64, u64)> {
        switches(UsageWho::RUSAGE_THREAD)
    }

    pub fn process_context_switches() -> Option<(u64, u64)> {
        switches(UsageWho::RUSAGE_SELF)
    }

    fn switches(who: UsageWho) -> Option<(u64, u64)> {
        let usage = getrusage(who).ok()?;
        Some((
            usage.voluntary_context_switches() as u64,
            usage.involuntary_context_switches() as u64,
        ))
    }

    pub fn clock_tick() -> Option<std::time::Duration> {
        let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
        (hz > 0).then(|| std::time::Duration::from_secs(1) / hz as u32)
    }

    pub fn cpu_time() -> Option<std::time::Duration> {
        let mut total = std::time::Duration::ZERO;
        for who in [UsageWho::RUSAGE_SELF, UsageWho::RUSAGE_CHILDREN] {
            let usage = getrusage(who).ok()?;
            for t in [usage.user_time(), usage.system_time()] {
                total += std::time::Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000);
            }
        }
        Some(total)
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    pub fn affinity() -> Option<Vec<usize>> {
        None
    }
    pub fn pin_current_thread(_cpu: usize) -> anyhow::Result<()> {
        anyhow::bail!("pinning threads to a CPU is only supported on Linux")
    }
    pub fn current_cpu() -> Option<usize> {
        None
    }
    pub fn thread_context_switches() -> Option<(u64, u64)> {
        None
    }
    pub fn process_context_switches() -> Option<(u64, u64)> {
        None
    }
    pub fn cpu_time() -> Option<std::time::Duration> {
        None
    }
    pub fn clock_tick() -> Option<std::time::Duration> {
        None
    }
    pub fn monotonic_ns() -> Option<u64> {
        None
    }
    pub fn die_with_parent(_parent: Option<u32>) -> anyhow::Result<()> {
        Ok(())
    }
    pub fn signal_ignored(_signal: i32) -> bool {
        false
    }
    pub fn process_stopped(_pid: u32) -> Option<bool> {
        None
    }
    pub fn memory_room() -> Option<u64> {
        None
    }
}

/// The CPUs this process may run on (its affinity mask), or `None` where the OS does not say.
pub fn affinity() -> Option<Vec<usize>> {
    os::affinity()
}

/// Pins the calling thread to `cpu`. Fails where the OS refuses or cannot pin.
pub fn pin_current_thread(cpu: usize) -> anyhow::Result<()> {
    os::pin_current_thread(cpu).map_err(|e| anyhow::anyhow!("cannot pin thread to CPU {cpu}: {e}"))
}

/// The CPU the calling thread runs on right now (`sched_getcpu`), where the OS tells.
pub fn current_cpu() -> Option<usize> {
    os::current_cpu()
}

/// Context switches counted by the OS: voluntary (the thread blocked or yielded) and
/// involuntary (the scheduler preempted it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ContextSwitches {
    pub voluntary: u64,
    pub involuntary: u64,
}

impl ContextSwitches {
    pub fn total(&self) -> u64 {
        self.voluntary + self.involuntary
    }

    /// The switches since `earlier`.
    #[must_use]
    pub fn since(&self, earlier: ContextSwitches) -> ContextSwitches {
        ContextSwitches {
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }
}

impl std::ops::Add for ContextSwitches {
    type Output = ContextSwitches;
    fn add(self, other: ContextSwitches) -> ContextSwitches {
        ContextSwitches {
            voluntary: self.voluntary + other.voluntary,
            involuntary: self.involuntary + other.involuntary,
        }
    }
}

/// This thread's context switches so far, from `getrusage(RUSAGE_THREAD)`.
pub fn thread_context_switches() -> Option<ContextSwitches> {
    os::thread_context_switches().map(|(voluntary, involuntary)| ContextSwitches {
        voluntary,
        involuntary,
    })
}

/// This process's context switches so far (all its threads), from `getrusage(RUSAGE_SELF)`.
pub fn process_context_switches() -> Option<ContextSwitches> {
    os::process_context_switches().map(|(voluntary, involuntary)| ContextSwitches {
        voluntary,
        involuntary,
    })
}

/// CPU time (user + system) used so far by this process and by its reaped children.
pub fn cpu_time() -> Option<std::time::Duration> {
    os::cpu_time()
}

/// The unit `/proc/stat` counts CPU time in (`USER_HZ`), where the OS tells.
pub fn clock_tick() -> Option<std::time::Duration> {
    os::clock_tick()
}

/// The system-wide monotonic clock (`CLOCK_MONOTONIC`) in ns, comparable across processes,
/// where the OS offers one.
pub fn monotonic_ns() -> Option<u64> {
    os::monotonic_ns()
}

/// Ties a worker process to the `conpar` that started it (pid `parent`, where known), as its
/// first act: asks the OS to kill it when the parent dies, even when that one is killed
/// outright (`PR_SET_PDEATHSIG`); fails if the parent is already gone, as the request would
/// then never fire; and blocks SIGINT, SIGTERM and SIGHUP, which the parent handles for all
/// its workers (it kills them). Only on Linux; a no-op elsewhere.
pub fn die_with_parent(parent: Option<u32>) -> anyhow::Result<()> {
    os::die_with_parent(parent)
}

/// Was `signal` ignored (`SIG_IGN`) by this process, as inherited from whoever started it
/// (`nohup`, `trap '' HUP`)? Asked before any handler is installed. `false` where unknown.
pub fn signal_ignored(signal: i32) -> bool {
    os::signal_ignored(signal)
}

/// Bytes this process may still map before it reaches its memory limit (`ulimit -v`, or
/// `ulimit -d`), or `None` where it has none (the usual case) or the OS does not tell.
pub fn memory_room() -> Option<u64> {
    os::memory_room()
}

/// Is process `pid` stopped (SIGSTOP, or traced)? `None` where it cannot be told.
pub fn process_stopped(pid: u32) -> Option<bool> {
    os::process_stopped(pid)
}

/// Reads the `SigIgn:` mask of a `/proc/<pid>/status` text: is `signal` in it?
fn ignored_in_status(status: &str, signal: i32) -> Option<bool> {
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:"))?
        .trim();
    let mask = u64::from_str_radix(mask, 16).ok()?;
    let bit = u32::try_from(signal).ok()?.checked_sub(1)?;
    Some(bit < 64 && mask & (1 << bit) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_round_trip() {
        assert_eq!(
            parse_cpu_list("0-3,8,10-11\n").unwrap(),
            vec![0, 1, 2, 3, 8, 10, 11]
        );
        assert_eq!(cpu_list(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(cpu_list(&[1]), "1");
        assert!(parse_cpu_list("x").is_none());
    }

    #[test]
    fn ignored_signals_are_read_from_the_status_mask() {
        let status = "Name:\tconpar\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000001001\n";
        assert_eq!(ignored_in_status(status, 1), Some(true), "SIGHUP is bit 0");
        assert_eq!(ignored_in_status(status, 2), Some(false));
        assert_eq!(
            ignored_in_status(status, 13),
            Some(true),
            "SIGPIPE is bit 12"
        );
        assert_eq!(ignored_in_status("Name:\tx\n", 1), None);
        assert_eq!(ignored_in_status(status, 0), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_seen_running_and_rust_ignores_sigpipe() {
        assert_eq!(process_stopped(std::process::id()), Some(false));
        assert!(signal_ignored(13), "the Rust runtime ignores SIGPIPE");
    }

    #[test]
    fn cgroup_v2_quota() {
        assert_eq!(parse_cpu_max("max 100000\n"), None);
        assert_eq!(parse_cpu_max("150000 100000\n"), Some(1.5));
        assert_eq!(parse_cpu_max("garbage"), None);
    }

    #[test]
    fn cgroup_v1_quota() {
        assert_eq!(parse_cfs("-1\n", "100000\n"), None);
        assert_eq!(parse_cfs("50000", "100000"), Some(0.5));
    }

    #[test]
    fn quota_found_in_synthetic_trees() {
        let dir = std::env::temp_dir().join(format!("conpar-cgroup-{}", std::process::id()));
        let v2 = dir.join("v2/user.slice");
        fs::create_dir_all(&v2).unwrap();
        fs::write(v2.join("cpu.max"), "250000 100000\n").unwrap();
        let q = cgroup_quota_at(&dir.join("v2"), "0::/user.slice\n").unwrap();
        assert_eq!(
            q,
            Quota {
                cpus: 2.5,
                source: "cgroup v2 cpu.max"
            }
        );

        let v1 = dir.join("v1/cpu,cpuacct/docker/abc");
        fs::create_dir_all(&v1).unwrap();
        fs::write(v1.join("cpu.cfs_quota_us"), "150000\n").unwrap();
        fs::write(v1.join("cpu.cfs_period_us"), "100000\n").unwrap();
        let q =
            cgroup_quota_at(&dir.join("v1"), "4:memory:/x\n1:cpu,cpuacct:/docker/abc\n").unwrap();
        assert_eq!(q.cpus, 1.5);
        assert!(cgroup_quota_at(&dir.join("v1"), "1:cpu,cpuacct:/missing\n").is_none());
        fs::remove_dir_all(&dir).unwrap();
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

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// A list of CPUs, written and read back, is the same CPUs sorted and once each,
            /// and writing is canonical: the order and repeats of the input do not show, and a
            /// written list reads and writes back to itself.
            #[test]
            fn cpu_lists_round_trip_in_canonical_form(
                cpus in proptest::collection::vec(0..300usize, 0..40).prop_shuffle(),
            ) {
                let text = cpu_list(&cpus);
                let mut canonical = cpus.clone();
                canonical.sort_unstable();
                canonical.dedup();
                prop_assert_eq!(parse_cpu_list(&text), Some(canonical.clone()));
                prop_assert_eq!(&cpu_list(&canonical), &text);
                prop_assert_eq!(&cpu_list(&parse_cpu_list(&text).unwrap()), &text);
                // Canonical: ranges only where 2 or more CPUs follow on, and parts apart.
                let bounds: Vec<(usize, usize)> = text
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| match p.split_once('-') {
                        Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                        None => (p.parse().unwrap(), p.parse().unwrap()),
                    })
                    .collect();
                prop_assert!(bounds.iter().all(|&(a, b)| a <= b), "{}", text);
                prop_assert!(bounds.windows(2).all(|w| w[1].0 > w[0].1 + 1), "{}", text);
                prop_assert!(text.split(',').all(|p| match p.split_once('-') {
                    Some((a, b)) => a != b,
                    None => true,
                }), "{}", text);
            }
        }
    }
}
