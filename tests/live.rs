//! `--live` end to end: without a terminal it says so and runs on; in a real terminal (a tmux
//! pane) lanes are drawn while the work runs, then cleared for the normal report; Ctrl-C in
//! the middle leaves the cursor shown and no frame behind, and exits 130. The tmux tests are
//! skipped, with a line, where tmux is not installed.

mod common;

use common::{SMALL_WORK, conpar, exe};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn without_a_terminal_it_says_so_and_runs_on() {
    let out = conpar()
        .args(["parallel", "--live", "--tasks", "2", "--format", "json"])
        .args(SMALL_WORK)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "--live needs a terminal on stderr; running without it"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report.get("live").is_none(),
        "nothing was drawn: {report:#}"
    );
    // --quiet wins: not a word.
    let quiet = conpar()
        .args(["parallel", "--live", "--quiet", "--tasks", "2"])
        .args(SMALL_WORK)
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert!(quiet.stderr.is_empty(), "{quiet:?}");
}

/// A tmux session running `command` in a pane of 100 x 40, killed when dropped.
struct Pane {
    name: String,
}

impl Pane {
    fn start(name: &str, command: &str) -> Option<Pane> {
        let name = format!("conpar-live-{name}-{}", std::process::id());
        let started = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "100", "-y", "40"])
            .arg(format!("{command}; echo EXIT=$?; sleep 60"))
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .status();
        match started {
            Ok(s) => {
                assert!(s.success(), "tmux new-session failed: {s}");
                Some(Pane { name })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                println!("skipped: tmux is not installed here");
                None
            }
            Err(e) => panic!("tmux could not be started: {e}"),
        }
    }

    /// The pane's text, each line as it was written: a line tmux wrapped is joined again
    /// (`-J`), so a line wider than the pane shows as one.
    fn text(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-J", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane with what scrolled off its top.
    fn history(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-S", "-2000", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn cursor_shown(&self) -> bool {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, "#{cursor_flag}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    fn keys(&self, keys: &str) {
        Command::new("tmux")
            .args(["send-keys", "-t", &self.name, keys])
            .status()
            .unwrap();
    }

    /// Waits up to `limit` for the pane to show what `found` looks for.
    fn wait_for(&self, limit: Duration, found: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if found(&text) || start.elapsed() > limit {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

fn is_lane(line: &str) -> bool {
    line.starts_with("cpu") && line.contains(" |")
}

#[test]
fn lanes_are_drawn_while_it_runs_then_the_report_follows() {
    let command = format!(
        "{} parallel --live --tasks 2 --task-time 300ms --runs 2 --warmup 0",
        exe().display()
    );
    let Some(pane) = Pane::start("run", &command) else {
        return;
    };
    let running = pane.wait_for(Duration::from_secs(60), |t| {
        t.contains("parallel · ") && t.contains("running") && t.lines().any(is_lane)
    });
    assert!(running.lines().any(is_lane), "no lane drawn:\n{running}");
    assert!(
        running.contains("running"),
        "no live frame while running:\n{running}"
    );
    assert!(running.contains("switches between tasks"), "{running}");
    assert!(!pane.cursor_shown(), "the cursor is hidden while drawing");
    let done = pane.wait_for(Duration::from_secs(120), |t| t.contains("EXIT="));
    assert!(done.contains("EXIT=0"), "{done}");
    assert!(
        done.contains("sequential") && done.contains("rayon"),
        "{done}"
    );
    assert!(
        !done.lines().any(is_lane),
        "the live block was not cleared:\n{done}"
    );
    assert!(!done.contains(" s running"), "a frame was left: {done}");
    assert!(pane.cursor_shown(), "the cursor is shown again");
}

#[test]
fn ctrl_c_in_the_middle_leaves_the_terminal_as_it_was() {
    let command = format!(
        "{} parallel --live --tasks 2 --task-time 3s --runs 3 --warmup 0",
        exe().display()
    );
    let Some(pane) = Pane::start("ctrlc", &command) else {
        return;
    };
    let running = pane.wait_for(Duration::from_secs(60), |t| t.lines().any(is_lane));
    assert!(running.lines().any(is_lane), "{running}");
    pane.keys("C-c");
    let done = pane.wait_for(Duration::from_secs(30), |t| t.contains("EXIT="));
    assert!(done.contains("EXIT=130"), "{done}");
    assert!(done.contains("interrupted"), "{done}");
    assert!(
        !done.lines().any(is_lane),
        "a frame was left behind:\n{done}"
    );
    assert!(pane.cursor_shown(), "the cursor is shown again");
}

/// A terminal that cannot move the cursor gets each run's last frame once, when it ends, and
/// nothing erased.
#[test]
fn a_dumb_terminal_gets_each_runs_last_frame_once() {
    let command = format!(
        "TERM=dumb {} parallel --live --tasks 2 --units 20000 --runs 2 --warmup 0",
        exe().display()
    );
    let Some(pane) = Pane::start("dumb", &command) else {
        return;
    };
    pane.wait_for(Duration::from_secs(60), |t| t.contains("EXIT="));
    let done = pane.history();
    assert!(done.contains("EXIT=0"), "{done}");
    // Each run once: 3 modes x 2 rounds, and a round more where a disturbed one is replaced.
    let finished: Vec<&str> = done
        .lines()
        .filter(|l| l.contains(" s done in "))
        .map(|l| {
            &l[..l
                .find(" · 0")
                .or_else(|| l.find(" s done"))
                .unwrap_or(l.len())]
        })
        .collect();
    let mut once = finished.clone();
    once.sort_unstable();
    once.dedup();
    assert!(finished.len() >= 6, "3 modes x 2 rounds at least:\n{done}");
    assert_eq!(once.len(), finished.len(), "a run printed twice:\n{done}");
    // Never a frame of a run still going (the report's notes may say "running" of others).
    assert!(!done.contains(" s running"), "{done}");
}

/// A narrower terminal mid-run: the next frames fit it.
#[test]
fn frames_follow_a_resize() {
    let command = format!(
        "{} parallel --live --tasks 2 --task-time 1s --runs 2 --warmup 0",
        exe().display()
    );
    let Some(pane) = Pane::start("resize", &command) else {
        return;
    };
    pane.wait_for(Duration::from_secs(60), |t| t.lines().any(is_lane));
    Command::new("tmux")
        .args(["resize-window", "-t", &pane.name, "-x", "50", "-y", "30"])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let narrow = pane.text();
    let lanes: Vec<&str> = narrow.lines().filter(|l| is_lane(l)).collect();
    assert!(!lanes.is_empty(), "{narrow}");
    for line in narrow.lines().take_while(|l| !l.contains("EXIT=")) {
        assert!(
            line.chars().count() <= 50,
            "wider than the pane: {line:?}\n{narrow}"
        );
    }
}

/// `--live` never changes stdout: redirected to a file, it is the JSON report, which says what
/// drawing cost.
#[test]
fn stdout_redirected_gets_the_report_and_what_drawing_cost() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    let command = format!(
        "{} parallel --live --tasks 2 --task-time 200ms --runs 2 --warmup 0 --format json > {}",
        exe().display(),
        file.display()
    );
    let Some(pane) = Pane::start("json", &command) else {
        return;
    };
    let done = pane.wait_for(Duration::from_secs(60), |t| t.contains("EXIT="));
    assert!(done.contains("EXIT=0"), "{done}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let live = &report["live"];
    assert!(live["frames"].as_u64().unwrap() > 0, "{live:#}");
    // 15 frames a second, 5 where this machine has one CPU.
    let fps = live["fps"].as_u64().unwrap();
    assert!(fps == 15 || fps == 5, "{live:#}");
    // The drawing thread drew at least one frame, which takes CPU time.
    assert!(live["cpu_ms"].as_f64().unwrap() > 0.0, "{live:#}");
    assert!(!done.lines().any(is_lane), "{done}");
}

/// Worker processes hand their slices over only at their end: meanwhile they are sampled,
/// said so under the lanes.
#[test]
fn child_processes_are_sampled_while_they_run() {
    let command = format!(
        "{} interleave --live --task-time 500ms --runs 1 --warmup 0",
        exe().display()
    );
    let Some(pane) = Pane::start("children", &command) else {
        return;
    };
    let seen = pane.wait_for(Duration::from_secs(90), |t| {
        (t.contains("processes · round") && t.lines().any(is_lane)) || t.contains("EXIT=")
    });
    assert!(
        seen.contains("processes · round") && seen.lines().any(is_lane),
        "no lane while the processes ran:\n{seen}"
    );
    assert!(seen.contains("(child processes: sampled"), "{seen}");
    let done = pane.wait_for(Duration::from_secs(90), |t| t.contains("EXIT="));
    assert!(done.contains("EXIT=0"), "{done}");
}
