//! The sentences under the race's table: the setup, what unsync did and why, the start line, the speeds; and each mode's one-line reason.

use super::*;
use crate::demo::result_of;

/// How long the unsync threads were counting at the same time: only then can updates collide.
pub(super) fn overlap_note(t: &RaceTiming, one_cpu: bool) -> String {
    let mut note = format!(
        "In the unsync runs the threads' counting loops overlapped in time for {:.0}% of the run (median){}",
        t.loops_overlap_pct.unwrap_or(0.0),
        if one_cpu {
            ", taking turns on one CPU, never in parallel"
        } else {
            ""
        }
    );
    if t.runs_apart > 0 {
        let _ = write!(
            note,
            "; in {} run(s) one thread finished before another began, so no update could be lost{}",
            t.runs_apart,
            if one_cpu {
                " (no preemption came in the middle of a loop)"
            } else {
                " (a busy machine can take a waiting thread's CPU just before the start)"
            }
        );
    }
    if t.runs_not_lined_up > 0 {
        let _ = write!(
            note,
            "; in {} run(s) the threads could not be lined up at the start within {} ms (another program kept one off its CPU), so they started anyway, {} µs apart at most",
            t.runs_not_lined_up,
            crate::exec::race::START_BUDGET.as_millis(),
            t.start_skew_us.map_or(0.0, |s| s[1]).round()
        );
    }
    note.push('.');
    note
}

/// Why the mode gave what it gave, in one line.
pub(super) fn reason(mode: Sharing, wrong_runs: usize) -> &'static str {
    match (mode, wrong_runs) {
        (Sharing::Unsync, 0) => {
            "no update lost this time, but read-then-write is still a race: nothing stops a thread between the two steps"
        }
        (Sharing::Unsync, _) => {
            "read and write are two steps: an update landing between them is overwritten"
        }
        (_, w) if w > 0 => "a bug: this mode must never lose an update",
        (Sharing::Atomic, _) => {
            "fetch_add/fetch_sub read, change and write in one indivisible step"
        }
        (Sharing::Mutex, _) => "the lock lets one thread at a time read and write",
        (Sharing::Channel, _) => {
            "one owner thread alone touches the counter; the others send it messages"
        }
        (Sharing::Local, _) => "nothing is shared: private counts are added after the join",
    }
}

/// The sentences under the table, from the report alone.
pub(super) fn notes(report: &Report) -> Vec<String> {
    let (machine, results, claims) = (&report.machine, &report.results, &report.claims);
    let Some(setup) = &report.race else {
        return Vec::new();
    };
    // The baseline of the speedups: atomic, else the first mode run.
    let base = results
        .iter()
        .position(|r| r.mode == Sharing::Atomic.name())
        .unwrap_or(0);
    let pin = setup.one_core;
    // Where the threads ran, where one CPU was chosen for them.
    let mut notes: Vec<String> = report.cpu_choice.iter().map(CpuChoice::sentence).collect();
    // Can the threads run in parallel at all, or only take turns?
    let one_cpu = one_cpu(setup, machine);
    let cpus = machine
        .affinity
        .as_ref()
        .map_or(machine.available_parallelism, Vec::len);
    let half = setup.threads / 2;
    let operations = setup.changes_per_run;
    let sides = if half == 1 {
        "1 thread adds 1 and 1 subtracts 1".to_string()
    } else {
        format!("{half} threads add 1 and {half} subtract 1")
    };
    notes.push(format!(
        "{sides}, {} times each per run, so the right final value is 0; {} run(s) per mode, {operations} changes per run.",
        setup.iterations, setup.runs
    ));
    notes.push(
        "Rust rules out data races, not race conditions: unsync uses only atomic loads and stores, so it is safe Rust with no undefined behaviour, yet reading and then writing in two steps lets one thread overwrite another's update."
            .into(),
    );
    // The conclusions, after the figures they come from.
    notes.extend(claims.iter().map(|c| c.text.clone()));
    let found = |mode: Sharing| result_of(results, mode).and_then(|r| r.findings.race());
    if let Some(u) = found(Sharing::Unsync) {
        let finals = &u.final_values;
        let (lo, hi) = (
            finals.iter().min().copied().unwrap_or(0),
            finals.iter().max().copied().unwrap_or(0),
        );
        let preempted = u.timing.preemptions.map_or_else(String::new, |p| {
            format!("; its threads were preempted {p} time(s) while counting")
        });
        let where_ = match pin {
            Some(cpu) => format!(" with every thread on CPU {cpu}"),
            None => String::new(),
        };
        notes.push(format!(
            "unsync was wrong in {} of {} runs{}: final values from {} to {}, at least {:.0} updates lost in the median run and {} at most, out of {}{}.",
            u.wrong_runs,
            finals.len(),
            where_,
            lo,
            hi,
            u.lost_updates_median,
            u.lost_updates_max,
            operations,
            preempted
        ));
        notes.push(
            "A final value v means at least |v| updates were lost: a lost increment and a lost decrement cancel out, so lost_updates is a lower bound."
                .into(),
        );
        notes.push(overlap_note(&u.timing, one_cpu));
    }
    if let Some(cpu) = pin {
        notes.push(format!(
            "--one-core: all threads took turns on CPU {cpu}, so they never ran at the same instant; an update is lost only when a thread is preempted between its read and its write, which is rarer, but then every change the other threads made meanwhile is overwritten at once. A loop shorter than a scheduler timeslice (a few ms) is seldom preempted: more --iterations give the race more chances."
        ));
    } else if one_cpu {
        notes.push(format!(
            "This process has {} CPU's worth of time: the threads take turns, so updates are lost only when a thread is preempted between its read and its write.",
            crate::sys::format_cpus(machine.cpu_capacity())
        ));
    }
    // The start line matters most where updates can be lost: unsync's, else the first mode's.
    let skew = found(Sharing::Unsync)
        .or_else(|| results.first().and_then(|r| r.findings.race()))
        .and_then(|f| f.timing.start_skew_us);
    if let Some([median, max]) = skew.filter(|_| one_cpu) {
        notes.push(format!(
            "On one CPU the threads cannot leave the start line together: the last started {median:.1} µs after the first in the median run ({max:.1} µs at most), when the CPU came free."
        ));
    } else if let Some([median, max]) = skew {
        notes.push(format!(
            "Each thread was pinned to {} and waited at a start line, spinning rather than sleeping: the last started {median:.1} µs after the first in the median run ({max:.1} µs at most), where waking a sleeping thread can take tens of µs.",
            if setup.threads <= cpus {
                "a CPU of its own".to_string()
            } else {
                format!("one of the {cpus} CPUs in turn")
            },
        ));
    }
    // Each mode's figures as its row holds them, so that the sentence quotes exactly those.
    let speed: Vec<(&str, &RaceFindings)> = results
        .iter()
        .filter_map(|r| Some((r.mode.as_str(), r.findings.race()?)))
        .collect();
    if speed.len() > 1 {
        let by_time = |a: &&(&str, &RaceFindings), b: &&(&str, &RaceFindings)| {
            a.1.ns_per_op.total_cmp(&b.1.ns_per_op)
        };
        let fastest = speed.iter().min_by(by_time).unwrap();
        let slowest = speed.iter().max_by(by_time).unwrap();
        notes.push(format!(
            "{} was the fastest at {:.2} ns per change and {} the slowest at {:.2} ns ({:.0} times slower); speedup is against {}'s median wall time ({} ms){}.",
            fastest.0,
            fastest.1.ns_per_op,
            slowest.0,
            slowest.1.ns_per_op,
            slowest.1.relative.times_fastest,
            results[base].mode,
            format_ms(results[base].wall_ms.median),
            if results[base].mode == Sharing::Atomic.name() {
                ", the simplest correct fix"
            } else {
                ", the first mode run, as atomic was not"
            }
        ));
    }
    notes
}
