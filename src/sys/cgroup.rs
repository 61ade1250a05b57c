//! The CPU quota a cgroup sets on this process (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`),
//! which caps the CPU time it gets however many CPUs it may run on.
//!
//! Kept apart from the machine's facts because finding the quota means walking the cgroup
//! file system, and the parsers and the walk are tested on synthetic trees, away from the real
//! `/sys/fs/cgroup`.

use std::fs;
use std::path::Path;

/// A CPU quota read from the cgroup file system.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quota {
    /// quota / period, in CPUs.
    pub(crate) cpus: f64,
    pub(crate) source: &'static str,
}

/// Parses cgroup v2 `cpu.max` ("max 100000" or "150000 100000").
pub(crate) fn parse_cpu_max(text: &str) -> Option<f64> {
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
pub(crate) fn parse_cfs(quota: &str, period: &str) -> Option<f64> {
    let quota: f64 = quota.trim().parse().ok()?;
    let period: f64 = period.trim().parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// Finds this process's CPU quota under `root` (normally `/sys/fs/cgroup`), given the contents
/// of `/proc/self/cgroup`. Separate from the real paths so tests can feed synthetic trees.
pub(crate) fn cgroup_quota_at(root: &Path, proc_self_cgroup: &str) -> Option<Quota> {
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let rel = path.trim_start_matches('/');
        if controllers.is_empty() {
            let file = root.join(rel).join("cpu.max");
            if let Some(cpus) = super::read_kernel_file(&file, 4096).and_then(|t| parse_cpu_max(&t))
            {
                return Some(Quota {
                    cpus,
                    source: "cgroup v2 cpu.max",
                });
            }
        } else if controllers.split(',').any(|c| c == "cpu") {
            for mount in ["cpu,cpuacct", "cpu", "cpuacct,cpu"] {
                let dir = root.join(mount).join(rel);
                let quota = super::read_kernel_file(&dir.join("cpu.cfs_quota_us"), 4096);
                let period = super::read_kernel_file(&dir.join("cpu.cfs_period_us"), 4096);
                if let (Some(q), Some(p)) = (quota, period) {
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

/// This process's CPU quota, from the real `/proc/self/cgroup` and `/sys/fs/cgroup`.
pub(super) fn cgroup_quota() -> Option<Quota> {
    let cgroup = fs::read_to_string("/proc/self/cgroup").ok()?;
    cgroup_quota_at(Path::new("/sys/fs/cgroup"), &cgroup)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
