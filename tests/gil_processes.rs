//! The GIL process executor against the real `conpar` binary: each child steps through its
//! own lock, reproduces the sequential checksum, reports its lock counts and I/O requests on
//! the parent's timeline, and every child is reaped.

use conpar::exec::gil::{GilPlan, TaskPlan, run_processes};
use conpar::gil::{GilConfig, GilKind};
mod common;

use common::{children_of_this_process, exe};
use std::path::Path;
use std::time::Duration;

#[test]
fn gil_processes_reproduce_the_checksum_report_their_lock_and_are_reaped() {
    let plan = GilPlan {
        tasks: vec![
            TaskPlan {
                units: 5000,
                io_wait: None,
            },
            TaskPlan {
                units: 500,
                io_wait: Some(Duration::from_micros(100)),
            },
        ],
        seed: 4,
        step_units: 100,
        lock: GilConfig::new(GilKind::New),
        unit_ns: conpar::workload::calibrate_unit_ns(),
    };
    let run = run_processes(exe(), &plan).unwrap();
    assert_eq!(run.run.checksum, plan.expected_checksum());
    assert_eq!(run.threads.len(), 2);
    // Each process has its own lock: nobody ever waits for it or asks for it.
    for stats in &run.threads {
        assert!(stats.acquisitions >= 1);
        assert_eq!(stats.drop_requests, 0);
        assert_eq!(stats.forced_switches, 0);
    }
    assert_eq!(
        run.threads[1].acquisitions, 6,
        "the start and after 5 requests"
    );
    assert_eq!(run.lock.handoffs, 0);
    assert_eq!(run.requests.len(), 5);
    assert!(run.requests.iter().all(|r| r.task == 1
        && r.latency() >= Duration::from_micros(100)
        && r.end <= run.run.wall));
    assert!(
        run.run
            .slices
            .iter()
            .all(|s| s.start() <= s.end() && s.end() <= run.run.wall)
    );

    // A worker that fails is an error, not a hang, and leaves nothing behind.
    let error = run_processes(Path::new("false"), &plan).unwrap_err();
    assert!(format!("{error:#}").contains("failed"), "{error:#}");

    // One test function only, so no other test's children can be counted here.
    if cfg!(target_os = "linux") {
        assert_eq!(children_of_this_process(), Vec::<String>::new());
    }
}
