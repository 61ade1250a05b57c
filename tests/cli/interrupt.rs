//! Ctrl-C during a demo with child processes: exit 130 within a fraction of a second, every
//! child killed and reaped, nothing left behind.

#![cfg(target_os = "linux")]

use crate::common::children_of;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let deadline = Instant::now() + Duration::from_secs(60);
    let workers = loop {
        let kids = children_of(pid);
        if kids.len() >= 2 {
            break kids;
        }
        assert!(Instant::now() < deadline, "no worker processes appeared");
        assert!(
            conpar.try_wait().unwrap().is_none(),
            "conpar ended before its workers started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };

    kill(Pid::from_raw(i32::try_from(pid).unwrap()), Signal::SIGINT).unwrap();
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = conpar.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "conpar did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(130));
    for worker in workers {
        assert!(
            !std::path::Path::new(&format!("/proc/{worker}")).exists(),
            "worker {worker} outlived the interrupted conpar"
        );
    }
}
