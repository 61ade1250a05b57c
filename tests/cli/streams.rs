//! stdout and stderr that cannot be written: a full disk on stdout is exit 1 with one line on
//! stderr, a reader that has gone is success, an unwritable stderr keeps the exit code; never a
//! panic (101) for any of them, whatever writes the output (results, help, version, completion
//! scripts).

#![cfg(target_os = "linux")]

use crate::common;

use std::fs;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// Tiny work for `parallel`.
const WORK: [&str; 8] = [
    "parallel", "--units", "1000", "--runs", "1", "--warmup", "0", "--quiet",
];

/// Every way conpar writes to stdout.
const WRITERS: [&[&str]; 8] = [
    &["completions", "bash"],
    &["completions", "fish"],
    &["--help"],
    &["--version"],
    &["parallel", "--help"],
    &["help", "race"],
    &["info"],
    &WORK,
];

/// `/dev/full`: every write fails with "No space left on device".
fn full() -> Stdio {
    fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap()
        .into()
}

/// The write end of a pipe whose read end is already closed: every write fails with EPIPE.
/// Close-on-exec, so that no child of another test inherits the read end and keeps it open.
fn reader_gone() -> Stdio {
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    drop(read);
    write.into()
}

/// Runs conpar with `args` in `dir`, stdout and stderr as given (stderr `None`: captured), and
/// returns its exit status and what it wrote to stderr. A run that does not end within
/// [`common::TIMEOUT`] is killed and fails the test.
fn run(dir: &Path, args: &[&str], stdout: Stdio, stderr: Option<Stdio>) -> (ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conpar"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr.unwrap_or_else(Stdio::piped))
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > common::TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still running after {:?}", common::TIMEOUT);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut err).unwrap();
    }
    (status, err)
}

fn assert_empty(dir: &Path) {
    let left: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn stdout_on_a_full_disk_is_exit_1_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for args in WRITERS {
        let (status, err) = run(dir.path(), args, full(), None);
        assert_eq!(status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("error: cannot write the "),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("to stdout: No space left on device"),
            "{args:?}: {err}"
        );
    }
    assert_empty(dir.path());
}

#[test]
fn stdout_whose_reader_has_gone_is_success() {
    let dir = tempfile::tempdir().unwrap();
    for args in WRITERS {
        let (status, err) = run(dir.path(), args, reader_gone(), None);
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
    assert_empty(dir.path());
}

#[test]
fn an_unwritable_stderr_keeps_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = ["--trace", "missing/run.json"];
    // The exit code with stdout discarded, and with stdout on a full disk too (then results
    // that cannot be written are the failure: 1).
    let cases: [(Vec<&str>, i32, i32); 7] = [
        (vec!["parallel", "--tasks", "0"], 2, 2),
        (vec!["--no-such-flag"], 2, 2),
        (vec![], 2, 2), // no subcommand: the help, on stderr
        (vec!["info", "--trace", "t.json"], 2, 2),
        ([&WORK[..], &missing_dir].concat(), 1, 1),
        // A bar no run reaches, on work too small to judge: inconclusive.
        ([&WORK[..], &["--min-speedup", "1000"]].concat(), 4, 1),
        (vec!["info"], 0, 1),
    ];
    for (args, code, code_stdout_full) in &cases {
        let (status, _) = run(dir.path(), args, Stdio::null(), Some(full()));
        assert_eq!(status.code(), Some(*code), "{args:?}: {status}");
        let (status, _) = run(dir.path(), args, full(), Some(full()));
        assert_eq!(status.code(), Some(*code_stdout_full), "{args:?}: {status}");
    }
    assert_empty(dir.path());
}
