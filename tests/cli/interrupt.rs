//! Ctrl-C during a demo with child processes: exit 130 within a fraction of a second, every
//! child killed and reaped, nothing left behind.

#![cfg(target_os = "linux")]

use crate::common;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn sigint_kills_and_reaps_the_workers_and_exits_130() {
    let mut conpar = Command::new(env!("CARGO_BIN_EXE_conpar"))
        // Long enough that the processes mode is still running when the signal comes.
        .args([
            "interleave",
            "--task-time",
            "1s",
            "--runs",
            "1",
            "--warmup",
            "0",
        ])
        .args(["--quantum", "1ms", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = conpar.id();

    // Wait for the worker processes of the `processes` mode (after sequential, green, threads).
    let workers = common::wait_for_workers(&mut conpar, 2, Duration::from_secs(60));

    kill(Pid::from_raw(i32::try_from(pid).unwrap()), Signal::SIGINT).unwrap();
    let status = common::wait_bounded(&mut conpar, Duration::from_secs(10), "conpar after SIGINT");
    assert_eq!(status.code(), Some(130));
    for worker in workers {
        assert!(
            !std::path::Path::new(&format!("/proc/{worker}")).exists(),
            "worker {worker} outlived the interrupted conpar"
        );
    }
}
