//! The process executor against the real `conpar` binary: children reproduce the sequential
//! checksum, report slices on the parent's timeline, honour pinning, and are all reaped.

use conpar::exec::process;
use conpar::workload::{WorkSize, Workload};
mod common;

use common::{children_of_this_process, exe};
use std::path::Path;

#[test]
fn processes_reproduce_the_checksum_fail_cleanly_and_are_reaped() {
    let workload = Workload::new(3, WorkSize::Units(5000), 9);
    let run = process::run_with(exe(), &workload, None).unwrap();
    assert_eq!(run.checksum, workload.expected_checksum());
    for task in 0..3 {
        assert!(
            run.slices.iter().any(|s| s.task() == task),
            "no slice of task {task}"
        );
    }
    // Slices sit on the parent's epoch: after the start, before the end of the run.
    assert!(
        run.slices
            .iter()
            .all(|s| s.start() <= s.end() && s.end() <= run.wall)
    );

    let first_cpu = conpar::sys::affinity().and_then(|a| a.first().copied());
    if let Some(cpu) = first_cpu {
        let pinned = process::run_with(exe(), &workload, Some(cpu)).unwrap();
        assert_eq!(pinned.checksum, workload.expected_checksum());
        assert!(pinned.slices.iter().all(|s| s.cpu() == Some(cpu)));
    }

    // A worker that exits non-zero without reporting a checksum is an error, not a hang.
    let error = process::run_with(Path::new("false"), &workload, None).unwrap_err();
    assert!(format!("{error:#}").contains("failed"), "{error:#}");

    // One test function only, so no other test's children can be counted here.
    if cfg!(target_os = "linux") {
        assert_eq!(children_of_this_process(), Vec::<String>::new());
    }
}
