//! Output files (`--trace`, `--plot`) are written to whatever their path names: a regular file
//! whole or not at all (keeping its mode), a device or FIFO straight, a symbolic link through to
//! its target. Every test lists its directory at the end: nothing is left that was not asked for.

#![cfg(target_os = "linux")]

use crate::common;

use common::{conpar, refused};
use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::Output;

/// Work of a few milliseconds.
const WORK: [&str; 7] = ["--units", "1000", "--runs", "1", "--warmup", "0", "--quiet"];

/// `conpar parallel` with [`WORK`] in `dir`, then `extra`.
fn parallel(dir: &Path, extra: &[&str]) -> Output {
    conpar()
        .current_dir(dir)
        .args(["parallel", "--tasks", "2"])
        .args(WORK)
        .args(extra)
        .output()
        .unwrap()
}

/// `conpar maxprocs --procs 1` with [`WORK`] in `dir`, then `extra`.
fn maxprocs(dir: &Path, extra: &[&str]) -> Output {
    conpar()
        .current_dir(dir)
        .args(["maxprocs", "--procs", "1", "--tasks", "1"])
        .args(WORK)
        .args(extra)
        .output()
        .unwrap()
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Requires exit code `code` and, where it is not 0, exactly one line on stderr holding every
/// one of `says`; never a panic.
fn assert_exit(out: &Output, code: i32, says: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    if code != 0 {
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        for part in says {
            assert!(err.contains(part), "{part:?} missing from: {err}");
        }
    }
}

/// The trace JSON in `bytes`, with at least one event.
fn assert_trace(bytes: &[u8]) {
    let trace: serde_json::Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)));
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    assert!(!events.is_empty());
}

/// Copies of /dev/null and /dev/full (made with mknod, which needs root), or `None`, saying so.
fn device_copies(dir: &Path) -> Option<()> {
    let null = mknod(
        &dir.join("null"),
        SFlag::S_IFCHR,
        Mode::from_bits_truncate(0o666),
        makedev(1, 3),
    );
    if let Err(e) = null {
        println!("skipped: mknod needs root (and CAP_MKNOD): {e}");
        return None;
    }
    let full = mknod(
        &dir.join("full"),
        SFlag::S_IFCHR,
        Mode::from_bits_truncate(0o666),
        makedev(1, 7),
    );
    full.unwrap();
    Some(())
}

fn assert_still_device(path: &Path, minor: u64) {
    let meta = fs::symlink_metadata(path).unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "{} is no longer a device",
        path.display()
    );
    assert_eq!(meta.rdev(), makedev(1, minor));
}

#[test]
fn a_device_is_written_straight_to_and_stays_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if device_copies(d).is_none() {
        return;
    }
    assert_exit(&parallel(d, &["--trace", "null"]), 0, &[]);
    assert_exit(&maxprocs(d, &["--plot", "null"]), 0, &[]);
    assert_still_device(&d.join("null"), 3);

    let out = parallel(d, &["--trace", "full"]);
    assert_exit(
        &out,
        1,
        &["cannot write the trace to full", "No space left on device"],
    );
    let out = maxprocs(d, &["--plot", "full"]);
    assert_exit(
        &out,
        1,
        &["cannot write the plot to full", "No space left on device"],
    );
    assert_still_device(&d.join("full"), 7);
    assert_eq!(listing(d), ["full", "null"]);
}

fn make_fifo(path: &Path) {
    nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o644)).unwrap();
}

fn assert_still_fifo(path: &Path) {
    let meta = fs::symlink_metadata(path).unwrap();
    assert!(meta.file_type().is_fifo(), "no longer a FIFO");
}

#[test]
fn a_fifo_reader_gets_the_whole_trace() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    make_fifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo))
    };
    // Wait until the reader has the FIFO open, then hold it open for writing too, so that the
    // reader's input ends when this test says and not when conpar's write begins or ends.
    let mut held = None;
    for _ in 0..10_000 {
        match fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&fifo)
        {
            Ok(file) => {
                held = Some(file);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
    let held = held.expect("the reader opened the FIFO");
    let out = parallel(dir.path(), &["--trace", "fifo"]);
    drop(held);
    assert_exit(&out, 0, &[]);
    assert_trace(&reader.join().unwrap().unwrap());
    assert_still_fifo(&fifo);
    assert_eq!(listing(dir.path()), ["fifo"]);
}

#[test]
fn a_fifo_nobody_reads_fails_instead_of_waiting_forever() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    make_fifo(&fifo);
    let out = parallel(dir.path(), &["--trace", "fifo"]);
    assert_exit(
        &out,
        1,
        &[
            "cannot write the trace to fifo",
            "no process has the FIFO open for reading",
        ],
    );
    assert_still_fifo(&fifo);
    assert_eq!(listing(dir.path()), ["fifo"]);
}

#[test]
fn a_symlink_is_followed_to_its_target_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("sub")).unwrap();
    // To a file that exists, and to one that does not yet.
    fs::write(d.join("sub/old.json"), b"old").unwrap();
    fs::set_permissions(d.join("sub/old.json"), fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("sub/old.json", d.join("to-old")).unwrap();
    std::os::unix::fs::symlink("sub/new.json", d.join("to-new")).unwrap();
    for link in ["to-old", "to-new"] {
        assert_exit(&parallel(d, &["--trace", link]), 0, &[]);
        let meta = fs::symlink_metadata(d.join(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} is no longer a link");
    }
    assert_eq!(
        fs::read_link(d.join("to-old")).unwrap(),
        Path::new("sub/old.json")
    );
    assert_eq!(
        fs::read_link(d.join("to-new")).unwrap(),
        Path::new("sub/new.json")
    );
    assert_trace(&fs::read(d.join("sub/old.json")).unwrap());
    assert_trace(&fs::read(d.join("sub/new.json")).unwrap());
    let mode = fs::metadata(d.join("sub/old.json")).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o600, "the target keeps its mode");
    assert_eq!(listing(d), ["sub", "to-new", "to-old"]);
    assert_eq!(listing(&d.join("sub")), ["new.json", "old.json"]);
}

#[test]
fn a_file_name_of_240_bytes_works() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{}.json", "t".repeat(235));
    assert_eq!(name.len(), 240);
    assert_exit(&parallel(dir.path(), &["--trace", &name]), 0, &[]);
    assert_trace(&fs::read(dir.path().join(&name)).unwrap());
    let svg = format!("{}.svg", "p".repeat(236));
    assert_exit(&maxprocs(dir.path(), &["--plot", &svg]), 0, &[]);
    assert!(
        roxmltree::Document::parse(&fs::read_to_string(dir.path().join(&svg)).unwrap()).is_ok()
    );
    assert_eq!(listing(dir.path()), [svg, name], "sorted");
}

#[test]
fn plot_and_trace_naming_one_file_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("x.svg", d.join("link")).unwrap();
    let pairs = [
        ("x.svg", "x.svg"),
        ("x.svg", "./x.svg"),
        ("x.svg", "sub/../x.svg"),
        ("link", "x.svg"),
    ];
    let refuse = |plot: &str, trace: &str| {
        let stderr = refused(
            conpar()
                .current_dir(d)
                .args(["maxprocs", "--plot", plot, "--trace", trace])
                .args(WORK),
            2,
        );
        assert!(stderr.contains("name the same file"), "{stderr}");
    };
    for (plot, trace) in pairs {
        refuse(plot, trace);
    }
    assert_eq!(listing(d), ["link", "sub"]);
    // A file that exists, also under another hard link.
    fs::write(d.join("x.svg"), b"old").unwrap();
    fs::hard_link(d.join("x.svg"), d.join("hard")).unwrap();
    for (plot, trace) in pairs.into_iter().chain([("hard", "link")]) {
        refuse(plot, trace);
    }
    assert_eq!(fs::read(d.join("x.svg")).unwrap(), b"old");
    assert_eq!(listing(d), ["hard", "link", "sub", "x.svg"]);
}

#[test]
fn an_unwritable_trace_fails_before_any_work_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("a-dir")).unwrap();
    for (trace, says) in [
        ("missing/run.json", "missing: No such file or directory"),
        ("a-dir", "it is a directory"),
        ("new-dir/", "names a directory"),
    ] {
        let out = parallel(d, &["--trace", trace]);
        assert_exit(
            &out,
            1,
            &[&format!("cannot write the trace to {trace}"), says],
        );
        // No results: it failed before the run, not after it.
        assert!(out.stdout.is_empty(), "{trace}: results were printed");
    }
    let out = maxprocs(d, &["--plot", "missing/speedup.svg"]);
    assert_exit(&out, 1, &["cannot write the plot to missing/speedup.svg"]);
    assert!(out.stdout.is_empty());
    assert_eq!(listing(d), ["a-dir"]);
    assert!(listing(&d.join("a-dir")).is_empty());
}

#[test]
fn trace_is_refused_where_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    for (args, name) in [
        (&["info"][..], "info"),
        (&["maxprocs", "--units", "1000"], "maxprocs"),
        (&["completions", "bash"], "completions"),
    ] {
        let stderr = refused(
            conpar()
                .current_dir(dir.path())
                .args(args)
                .args(["--trace", "t.json"]),
            2,
        );
        assert!(
            stderr.contains(&format!("--trace has nothing to record for {name}")),
            "{stderr}"
        );
    }
    assert!(listing(dir.path()).is_empty());
}

/// This process's umask, which its children inherit.
fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
}

#[test]
fn an_existing_file_keeps_its_mode_and_a_new_one_gets_the_usual_mode() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["t.json", "p.svg"] {
        fs::write(d.join(name), b"old").unwrap();
        fs::set_permissions(d.join(name), fs::Permissions::from_mode(0o640)).unwrap();
    }
    assert_exit(&parallel(d, &["--trace", "t.json"]), 0, &[]);
    assert_exit(&maxprocs(d, &["--plot", "p.svg"]), 0, &[]);
    assert_trace(&fs::read(d.join("t.json")).unwrap());
    assert!(
        fs::read_to_string(d.join("p.svg"))
            .unwrap()
            .contains("<svg")
    );
    for name in ["t.json", "p.svg"] {
        let mode = fs::metadata(d.join(name)).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o640, "{name}: {mode:o}");
    }
    // A new file gets what any new file gets (0666 less the umask), not a temporary file's 0600.
    assert_exit(&parallel(d, &["--trace", "new.json"]), 0, &[]);
    let mode = fs::metadata(d.join("new.json")).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o666 & !umask(), "{mode:o}");
    assert_eq!(listing(d), ["new.json", "p.svg", "t.json"]);
}

#[test]
fn a_hard_linked_file_gets_a_new_file_and_its_other_names_keep_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("t.json"), b"old").unwrap();
    fs::hard_link(d.join("t.json"), d.join("other-name")).unwrap();
    assert_exit(&parallel(d, &["--trace", "t.json"]), 0, &[]);
    assert_trace(&fs::read(d.join("t.json")).unwrap());
    assert_eq!(fs::read(d.join("other-name")).unwrap(), b"old");
    assert_eq!(fs::metadata(d.join("t.json")).unwrap().nlink(), 1);
    assert_eq!(listing(d), ["other-name", "t.json"]);
}

#[test]
fn a_read_only_file_is_refused_like_the_shells_redirect() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("t.json"), b"old").unwrap();
    fs::set_permissions(d.join("t.json"), fs::Permissions::from_mode(0o444)).unwrap();
    if fs::OpenOptions::new()
        .write(true)
        .open(d.join("t.json"))
        .is_ok()
    {
        println!("skipped: this user (root) may write a read-only file");
        return;
    }
    let out = parallel(d, &["--trace", "t.json"]);
    assert_exit(
        &out,
        1,
        &["cannot write the trace to t.json", "Permission denied"],
    );
    assert!(out.stdout.is_empty());
    assert_eq!(fs::read(d.join("t.json")).unwrap(), b"old");
    assert_eq!(listing(d), ["t.json"]);
}
