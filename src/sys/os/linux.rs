//! The OS calls on Linux, through `nix`'s safe wrappers and `/proc`, so that the crate stays
//! `#![forbid(unsafe_code)]`. Each function has its counterpart, same signature, in `other.rs`.

use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
use nix::sys::resource::{UsageWho, getrusage};
use nix::unistd::Pid;

pub(crate) fn affinity() -> Option<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0)).ok()?;
    Some(
        (0..CpuSet::count())
            .filter(|&i| set.is_set(i).unwrap_or(false))
            .collect(),
    )
}

pub(crate) fn pin_current_thread(cpu: usize) -> anyhow::Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu)?;
    sched_setaffinity(Pid::from_raw(0), &set)?;
    Ok(())
}

pub(crate) fn current_cpu() -> Option<usize> {
    sched_getcpu().ok()
}

pub(crate) fn monotonic_ns() -> Option<u64> {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).ok()?;
    Some(t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
}

pub(crate) fn die_with_parent(parent: Option<u32>) -> anyhow::Result<()> {
    use nix::sys::signal::{SigSet, Signal};
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
        .map_err(|e| anyhow::anyhow!("cannot ask to die with the parent process: {e}"))?;
    // Asked after the parent may already have died: then this process has been handed to
    // another parent (init or a subreaper), and the request came too late to fire.
    if let Some(parent) = parent {
        let now = nix::unistd::getppid().as_raw();
        if i64::from(now) != i64::from(parent) {
            anyhow::bail!("the conpar that started this worker (pid {parent}) is gone; stopping");
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

pub(crate) fn signal_ignored(signal: i32) -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| ignored_in_status(&status, signal))
        .unwrap_or(false)
}

pub(crate) fn memory_room() -> Option<u64> {
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

pub(crate) fn process_stopped(pid: u32) -> Option<bool> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the state follows the last ')'.
    let state = stat[stat.rfind(')')? + 1..].split_whitespace().next()?;
    Some(matches!(state, "T" | "t"))
}

pub(crate) fn process_last_cpu(pid: u32) -> Option<usize> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the ')' closing the name the state is field 3; `processor` is field 39.
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(39 - 3)?
        .parse()
        .ok()
}

pub(crate) fn process_cpu_time(pid: u32) -> Option<std::time::Duration> {
    // The scheduler's own count in ns, summed over the process's threads, where the kernel
    // keeps it (CONFIG_SCHED_INFO); else user + system time in clock ticks.
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut ns = Some(0u64);
    for thread in threads.flatten() {
        ns = ns
            .zip(
                std::fs::read_to_string(thread.path().join("schedstat"))
                    .ok()
                    .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok()),
            )
            .map(|(sum, one)| sum + one);
    }
    if let Some(ns) = ns {
        return Some(std::time::Duration::from_nanos(ns));
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the ')' closing the name: state is field 3, utime and stime are fields 14 and 15.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(clock_tick()? * u32::try_from(utime + stime).ok()?)
}

pub(crate) fn thread_context_switches() -> Option<(u64, u64)> {
    switches(UsageWho::RUSAGE_THREAD)
}

pub(crate) fn process_context_switches() -> Option<(u64, u64)> {
    switches(UsageWho::RUSAGE_SELF)
}

fn switches(who: UsageWho) -> Option<(u64, u64)> {
    let usage = getrusage(who).ok()?;
    Some((
        usage.voluntary_context_switches() as u64,
        usage.involuntary_context_switches() as u64,
    ))
}

pub(crate) fn clock_tick() -> Option<std::time::Duration> {
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    (hz > 0).then(|| std::time::Duration::from_secs(1) / hz as u32)
}

pub(crate) fn thread_cpu_time() -> Option<std::time::Duration> {
    let usage = getrusage(UsageWho::RUSAGE_THREAD).ok()?;
    let total = [usage.user_time(), usage.system_time()]
        .iter()
        .map(|t| std::time::Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000))
        .sum();
    Some(total)
}

pub(crate) fn cpu_time() -> Option<std::time::Duration> {
    let mut total = std::time::Duration::ZERO;
    for who in [UsageWho::RUSAGE_SELF, UsageWho::RUSAGE_CHILDREN] {
        let usage = getrusage(who).ok()?;
        for t in [usage.user_time(), usage.system_time()] {
            total += std::time::Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000);
        }
    }
    Some(total)
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
}
