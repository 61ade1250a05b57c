//! The OS calls where conpar has no implementation (anything but Linux): each answers "not
//! known" (`None`, `false`) or, for pinning, an error that says so, so that the tool still
//! builds and runs there and says plainly what the platform cannot do. Same signatures as
//! `linux.rs`.

pub(crate) fn affinity() -> Option<Vec<usize>> {
    None
}
pub(crate) fn pin_current_thread(_cpu: usize) -> anyhow::Result<()> {
    anyhow::bail!("pinning threads to a CPU is only supported on Linux")
}
pub(crate) fn current_cpu() -> Option<usize> {
    None
}
pub(crate) fn thread_context_switches() -> Option<(u64, u64)> {
    None
}
pub(crate) fn process_context_switches() -> Option<(u64, u64)> {
    None
}
pub(crate) fn cpu_time() -> Option<std::time::Duration> {
    None
}
pub(crate) fn thread_cpu_time() -> Option<std::time::Duration> {
    None
}
pub(crate) fn clock_tick() -> Option<std::time::Duration> {
    None
}
pub(crate) fn monotonic_ns() -> Option<u64> {
    None
}
pub(crate) fn die_with_parent(_parent: Option<u32>) -> anyhow::Result<()> {
    Ok(())
}
pub(crate) fn signal_ignored(_signal: i32) -> bool {
    false
}
pub(crate) fn process_stopped(_pid: u32) -> Option<bool> {
    None
}
pub(crate) fn process_last_cpu(_pid: u32) -> Option<usize> {
    None
}
pub(crate) fn process_cpu_time(_pid: u32) -> Option<std::time::Duration> {
    None
}
pub(crate) fn memory_room() -> Option<u64> {
    None
}
