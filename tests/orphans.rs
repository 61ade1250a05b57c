//! Worker processes never outlive the run that started them: not when the whole process group
//! is interrupted just as the workers start (a terminal's Ctrl-C), not when the parent is
//! killed outright (SIGKILL) at that moment.
//!
//! This test process makes itself a child subreaper, so every process that conpar leaves
//! orphaned becomes its child, and it sees how each one ended, whatever the timing: a worker
//! must end by SIGKILL (the parent's clean-up, or the kernel's parent-death signal), by the
//! group's SIGINT before it could block it, or by exit 1 on finding its parent gone. One that
//! exits 0 ran its whole task with nobody to report to. One test only in this binary: reaping
//! every child of the process would steal other tests' children.

#![cfg(target_os = "linux")]

mod common;

use common::{children_of, running};
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONPAR: &str = env!("CARGO_BIN_EXE_conpar");

/// Longest wait for anything here; a hang fails the test.
const HANG: Duration = Duration::from_secs(60);

/// Reaps every child of this process until none is left; returns (pid, how it ended).
fn reap_all() -> Vec<(i32, WaitStatus)> {
    let start = Instant::now();
    let mut ended = Vec::new();
    loop {
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {
                assert!(
                    start.elapsed() < HANG,
                    "processes still running {HANG:?} after the parent ended: {ended:?}"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(status) => {
                if let Some(pid) = status.pid() {
                    ended.push((pid.as_raw(), status));
                }
            }
            Err(Errno::ECHILD) => return ended,
            Err(e) => panic!("waitpid: {e}"),
        }
    }
}

#[test]
fn workers_never_outlive_an_interrupted_or_killed_parent() {
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    let mut orphans = 0;
    for delay_us in [0, 300, 2000] {
        for signal in [Signal::SIGINT, Signal::SIGKILL] {
            let what = format!("{signal:?} {delay_us} µs after the first worker started");
            // Its own process group, as `setsid conpar ...` gives it.
            let conpar = Command::new(CONPAR)
                .args(["gil-sim", "-q", "--processes", "--threads", "8"])
                .args(["--task-time", "150ms", "--runs", "1", "--warmup", "0"])
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let pid = conpar.id();
            let start = Instant::now();
            while children_of(pid).is_empty() {
                assert!(start.elapsed() < HANG, "{what}: no worker appeared");
                assert!(
                    running(pid),
                    "{what}: conpar ended before its workers started"
                );
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_micros(delay_us));
            let target = match signal {
                // A terminal's Ctrl-C: the whole group, workers included.
                Signal::SIGINT => -i32::try_from(pid).unwrap(),
                _ => i32::try_from(pid).unwrap(),
            };
            kill(Pid::from_raw(target), signal).unwrap();
            drop(conpar);

            for (ended, status) in reap_all() {
                if ended == i32::try_from(pid).unwrap() {
                    match signal {
                        Signal::SIGINT => assert_eq!(
                            status,
                            WaitStatus::Exited(Pid::from_raw(ended), 130),
                            "{what}: the parent"
                        ),
                        _ => assert!(
                            matches!(status, WaitStatus::Signaled(_, Signal::SIGKILL, _)),
                            "{what}: the parent ended {status:?}"
                        ),
                    }
                    continue;
                }
                orphans += 1;
                assert!(
                    matches!(
                        status,
                        WaitStatus::Signaled(_, Signal::SIGKILL | Signal::SIGINT, _)
                            | WaitStatus::Exited(_, 1)
                    ),
                    "{what}: an orphaned worker ended {status:?}, not killed with its parent"
                );
            }
        }
    }
    // The SIGKILL runs orphan their workers on purpose: they must have come here to die.
    assert!(orphans > 0, "no orphan was ever seen: the test saw nothing");
}
