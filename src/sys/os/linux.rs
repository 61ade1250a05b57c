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

/// `/proc/PID/stat` after the command name (field 2), which may hold spaces and parentheses:
/// what follows its last ')', from the state (field 3) on.
fn stat_after_name(pid: u32) -> Option<String> {
    let mut stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.drain(..=stat.rfind(')')?);
    Some(stat)
}

/// Field `n` (from 1, as `proc(5)` numbers them; 3 or more) of a [`stat_after_name`] text.
fn stat_field<T: std::str::FromStr>(after_name: &str, n: usize) -> Option<T> {
    after_name
        .split_whitespace()
        .nth(n.checked_sub(3)?)?
        .parse()
        .ok()
}

pub(crate) fn process_stopped(pid: u32) -> Option<bool> {
    let state: String = stat_field(&stat_after_name(pid)?, 3)?;
    Some(matches!(state.as_str(), "T" | "t"))
}

pub(crate) fn process_last_cpu(pid: u32) -> Option<usize> {
    stat_field(&stat_after_name(pid)?, 39)
}

pub(crate) fn process_cpu_time(pid: u32) -> Option<std::time::Duration> {
    // pid 0 and -1 would name this process's own clock.
    let raw = Pid::from_raw(i32::try_from(pid).ok().filter(|&p| p > 0)?);
    // The process's CPU-time clock, in ns: every thread's time, those that have ended
    // included. A sum over /proc/PID/task loses an ended thread's time, so it went backwards
    // whenever a thread of the process ended between two reads.
    if let Ok(clock) = nix::time::clock_getcpuclockid(raw) {
        if let Ok(time) = nix::time::clock_gettime(clock) {
            return Some(time.into());
        }
    }
    // Else user + system time in clock ticks, ended threads included too.
    let stat = stat_after_name(pid)?;
    let utime: u64 = stat_field(&stat, 14)?;
    let stime: u64 = stat_field(&stat, 15)?;
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
    rusage_time(UsageWho::RUSAGE_THREAD)
}

pub(crate) fn cpu_time() -> Option<std::time::Duration> {
    Some(rusage_time(UsageWho::RUSAGE_SELF)? + rusage_time(UsageWho::RUSAGE_CHILDREN)?)
}

/// User and system time of `who`.
fn rusage_time(who: UsageWho) -> Option<std::time::Duration> {
    let usage = getrusage(who).ok()?;
    Some(
        [usage.user_time(), usage.system_time()]
            .iter()
            .map(|t| std::time::Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000))
            .sum(),
    )
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
