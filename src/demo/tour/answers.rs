//! The tour's answers: one function per question of the exercise, each turning the reports
//! that answer it into sentences, a key figure and a [`Section`]. Conclusions come only from
//! the reports' claims; the other sentences say what was measured.

use super::{Section, View};
use crate::claims::ClaimId;
use crate::demo::gil_sim::Variant;
use crate::demo::interleave::Way as Interleaved;
use crate::demo::parallel::Way as Parallel;
use crate::demo::{Mode, Sequential, result_of};
use crate::exec::cpython::PyMode;
use crate::exec::race::Sharing;
use crate::gil::CPYTHON_SWITCH_INTERVAL;
use crate::interference::Interference;
use crate::model::findings::{InterleaveFindings, RaceFindings};
use crate::model::{KeyFigure, Unit};
use crate::model::{ModeResult, Report};
use crate::placement::Placement;
use crate::report::format_ms;
use crate::sys::Machine;

mod gil;
pub(super) use self::gil::{gil, gil_workaround};

/// The sentence of a claim of `report`: conclusions come only from claims.
fn claim_text(report: &Report, id: ClaimId, mode: Option<&str>) -> String {
    crate::claims::find(&report.claims, id, mode).map_or_else(String::new, |c| c.text.clone())
}

/// What parallelism this process can have: its CPU capacity ("2 CPUs", "1.50 CPUs"), not a
/// runtime's pool size.
fn capacity(m: &Machine) -> String {
    crate::sys::cpus_phrase(m.cpu_capacity())
}

fn result(report: &Report, mode: impl Mode) -> Option<&ModeResult> {
    result_of(&report.results, mode)
}

/// A figure of a way's interleave findings, NaN where it did not run.
fn interleaved(
    report: &Report,
    way: Interleaved,
    figure: fn(&InterleaveFindings) -> Option<f64>,
) -> f64 {
    result(report, way)
        .and_then(|r| r.findings.interleave())
        .and_then(figure)
        .unwrap_or(f64::NAN)
}

fn switch_cost(report: &Report, way: Interleaved) -> f64 {
    interleaved(report, way, |f| f.switch_cost_ns)
}

fn stack_bytes(report: &Report, way: Interleaved) -> f64 {
    interleaved(report, way, |f| f.stack_bytes.map(|b| b as f64))
}

fn race_found(report: &Report, mode: Sharing) -> Option<&RaceFindings> {
    result(report, mode).and_then(|r| r.findings.race())
}

/// A race mode's wall time per change, NaN where it did not run.
fn ns_per_op(report: &Report, mode: Sharing) -> f64 {
    race_found(report, mode).map_or(f64::NAN, |f| f.ns_per_op)
}

fn median(report: &Report, mode: impl Mode) -> f64 {
    result(report, mode).map_or(f64::NAN, |r| r.wall_ms.median)
}

fn speedup(report: &Report, mode: impl Mode) -> f64 {
    result(report, mode).map_or(f64::NAN, |r| r.speedup)
}

/// "A ms against S ms one after another": the median wall time of `mode` and of the baseline.
fn against_sequential(report: &Report, mode: impl Mode) -> String {
    format!(
        "{} ms against {} ms one after another",
        format_ms(median(report, mode)),
        format_ms(median(report, Sequential))
    )
}

fn section(
    question: &str,
    topic: &str,
    answer: Vec<String>,
    key_figure: KeyFigure,
    reports: Vec<Report>,
    also: &[&Report],
) -> Section {
    let interference = Interference::combine(
        reports
            .iter()
            .chain(also.iter().copied())
            .map(|r| &r.interference),
    );
    Section {
        question: question.into(),
        topic: topic.into(),
        answer,
        key_figure,
        reports,
        interference,
        view: View::default(),
    }
}

pub(super) fn machine_section(info: Report) -> Section {
    let m = &info.machine;
    section(
        "What does this machine offer?",
        "this machine",
        vec![format!(
            "{} with {} logical CPU(s) on {} physical core(s){}; this process may use {} (limited by {}), {} of time at once. Every figure below was measured here, in this run.",
            m.cpu_model,
            m.logical_cpus,
            m.physical_cores,
            // Only where the cores are not all alike with one thread each: "(8 cores x 2 threads, …)".
            m.topology
                .as_ref()
                .filter(|t| t.has_smt() || t.core_types.len() > 1)
                .map_or_else(String::new, |t| format!(" ({})", t.summary)),
            m.schedulable_cpus(),
            m.limited_by,
            capacity(m)
        )],
        KeyFigure::default()
            .value("cpu_capacity", m.cpu_capacity(), Unit::Cpus)
            .text(" of time"),
        vec![info],
        &[],
    )
}

pub(super) fn difference(one_core: &Report, all_cores: &Report) -> Section {
    let cpu = result(one_core, Interleaved::Green)
        .map(|r| crate::sys::cpu_list(&r.cpus_used))
        .unwrap_or_default();
    let green_switches = interleaved(one_core, Interleaved::Green, |f| Some(f.switches as f64));
    let par = result(all_cores, Parallel::Threads);
    let par_cpus = par.map_or(0, |r| r.cpus_used.len());
    let mut answer = vec![format!(
        "Concurrency is several tasks in progress at once; parallelism is several tasks executing at the same instant. On ONE CPU (cpu {cpu}) two green threads took turns {green_switches:.0} times and finished together after {} ms, no sooner than one after another ({} ms): concurrency without parallelism.",
        format_ms(median(one_core, Interleaved::Green)),
        format_ms(median(one_core, Sequential)),
    )];
    // Whether the tasks really ran at the same time is a claim on the timeline, not a hope.
    let possible = claim_text(all_cores, ClaimId::MachineParallelPossible, None);
    match crate::claims::find(&all_cores.claims, ClaimId::MachineParallelPossible, None) {
        Some(c) if c.holds == Some(true) => {
            answer.push(format!(
                "With one thread per task on this machine's CPUs: {} {} Parallelism needs more than one CPU; concurrency does not.",
                claim_text(all_cores, ClaimId::ParallelAtOnce, Some(Parallel::Threads.name())),
                claim_text(all_cores, ClaimId::ParallelFaster, Some(Parallel::Threads.name())),
            ));
            if let Some(busy) = crate::claims::find(
                &all_cores.claims,
                ClaimId::ParallelBusyShare,
                Some(Parallel::Threads.name()),
            )
            .filter(|c| c.holds == Some(true))
            {
                answer.push(busy.text.clone());
            }
        }
        _ => answer.push(format!(
            "{possible} Parallelism needs more than one CPU; concurrency does not."
        )),
    }
    let mut s = section(
        "What is concurrency? What is parallelism? What's the difference?",
        "concurrency vs parallelism",
        answer,
        KeyFigure::default()
            .text("one CPU: ")
            .value(
                "green speedup on one CPU",
                speedup(one_core, Interleaved::Green),
                Unit::Times,
            )
            .text("; ")
            .value("CPUs the threads ran on", par_cpus as f64, Unit::Cpus)
            .text(": ")
            .value(
                "threads speedup",
                speedup(all_cores, Parallel::Threads),
                Unit::Times,
            ),
        vec![one_core.clone(), all_cores.clone()],
        &[],
    );
    s.view = View {
        timeline: true,
        zoom_ms: Some(6.0),
    };
    s
}

pub(super) fn multicore(all_cores: &Report, placed: Option<Report>) -> Section {
    let m = &all_cores.machine;
    let mut answer = vec![
        "Clock rates stopped rising in the mid-2000s: power grows with frequency times voltage squared, voltage could no longer be lowered, and the heat could not be removed. Transistors kept getting cheaper, so they became more cores instead of faster ones.".into(),
        format!(
            "More cores only help programs that split their work, where the CPUs let them run at once. Here, with {} tasks: {} {} {}",
            all_cores.workload.as_ref().map_or(0, |w| w.workload.tasks),
            claim_text(all_cores, ClaimId::MachineParallelPossible, None),
            claim_text(all_cores, ClaimId::ParallelFaster, Some(Parallel::Threads.name())),
            claim_text(all_cores, ClaimId::ParallelFaster, Some(Parallel::Rayon.name())),
        ),
    ];
    // A core's second hardware thread is not a second core: what each gave, as measured.
    if let Some(placed) = &placed {
        let speedup_of =
            |place| result_of(&placed.results, Parallel::Pinned(place)).map(|r| r.speedup);
        let baseline_ms = placed.results.first().map_or(0.0, |r| r.wall_ms.median);
        let unjudgeable = crate::claims::speed_unjudgeable(&placed.interference, baseline_ms);
        let seen = match (
            speedup_of(Placement::Cores),
            speedup_of(Placement::Siblings),
            unjudgeable,
        ) {
            // Which gave more is a speed comparison: said only where speed can be judged.
            (Some(_), Some(_), Some(why)) => format!(
                " Whether two cores gave more than the two hardware threads of one core cannot be judged here: {why}."
            ),
            (Some(cores), Some(siblings), None)
                if cores > siblings * (1.0 + crate::claims::MIN_EFFECT) =>
            {
                " Two cores gave more than the two hardware threads of one core, which share its execution units: more threads per core is not more cores.".into()
            }
            (Some(_), Some(_), None) => {
                " Here the two hardware threads of one core gave about as much as two cores.".into()
            }
            _ => String::new(),
        };
        answer.extend(
            crate::demo::parallel::placed_note(&placed.machine, &placed.results)
                .map(|n| format!("{n}{seen}")),
        );
    }
    section(
        "Why have machines become increasingly multicore in the past decade?",
        "why multicore",
        answer,
        KeyFigure::default()
            .text("rayon speedup ")
            .value(
                "rayon speedup",
                speedup(all_cores, Parallel::Rayon),
                Unit::Ratio,
            )
            .text(" on ")
            .value("cpu_capacity", m.cpu_capacity(), Unit::Cpus),
        placed.into_iter().collect(),
        &[all_cores],
    )
}

pub(super) fn problems(waits: &Report, all_cores: &Report) -> Section {
    let wait_ms = waits
        .workload
        .as_ref()
        .and_then(|w| w.workload.wait)
        .map_or(0.0, |w| w.total_ms);
    let answer = vec![
        format!(
            "Two kinds. Waiting: on ONE CPU, two tasks that each compute and wait {} ms (standing for I/O) took {} ms one after another and {} ms as green threads ({:.2}x faster): while one waits, the other computes. Concurrency helps here even without a second core.",
            format_ms(wait_ms),
            format_ms(median(waits, Sequential)),
            format_ms(median(waits, Interleaved::Green)),
            speedup(waits, Interleaved::Green),
        ),
        format!(
            "Throughput: CPU-bound work gets faster only with parallelism ({:.2}x on {} in the previous answer). Concurrency is also how programs stay responsive: a slow task need not block the others.",
            speedup(all_cores, Parallel::Threads),
            capacity(&all_cores.machine)
        ),
    ];
    section(
        "What kinds of problems motivates the need for concurrent execution?",
        "what concurrency solves",
        answer,
        KeyFigure::default()
            .text("waits overlapped on one CPU: ")
            .value(
                "green speedup with waits",
                speedup(waits, Interleaved::Green),
                Unit::Times,
            ),
        vec![waits.clone()],
        &[all_cores],
    )
}

pub(super) fn harder(races: &Report) -> Section {
    let unsync = result(races, Sharing::Unsync);
    let wrong = race_found(races, Sharing::Unsync).map_or(0, |f| f.wrong_runs);
    let runs = unsync.map_or(0, |r| r.wall_ms.samples.len());
    let fixes_exact = crate::claims::find(&races.claims, ClaimId::RaceFixesExact, None)
        .is_some_and(|c| c.holds == Some(true));
    let answer = vec![
        format!(
            "Both. Harder: two threads adding and subtracting on one shared counter without synchronisation ({} changes each). {}",
            race_found(races, Sharing::Unsync).map_or(0, |f| f.iterations),
            claim_text(
                races,
                ClaimId::RaceLostUpdates,
                Some(Sharing::Unsync.name())
            ),
        ),
        format!(
            "Easier where the tools fit. {} Per change: {:.1} ns (atomic), {:.1} ns (mutex), {:.1} ns (channel) and {:.1} ns (private counts). Rust refuses data races at compile time, but not race conditions like this read-then-write.",
            claim_text(races, ClaimId::RaceFixesExact, None),
            ns_per_op(races, Sharing::Atomic),
            ns_per_op(races, Sharing::Mutex),
            ns_per_op(races, Sharing::Channel),
            ns_per_op(races, Sharing::Local),
        ),
    ];
    section(
        "Does creating concurrent programs make the programmer's life easier? Harder? Maybe both?",
        "easier or harder",
        answer,
        KeyFigure::default()
            .text("unsync wrong in ")
            .value("unsync runs wrong", wrong as f64, Unit::Count)
            .text(" of ")
            .value("unsync runs", runs as f64, Unit::Count)
            .text(&format!(" runs; fixes exact: {fixes_exact}")),
        vec![races.clone()],
        &[],
    )
}

/// What one switch of `way` cost, as a sentence quotes it: "529 ns", or "not timed" where
/// its probe could not time one (its `interleave.switch_timed` claim says why).
fn switch_phrase(report: &Report, way: Interleaved) -> String {
    Unit::Ns.write(switch_cost(report, way))
}

/// The reasons the switch-cost probes of `report` gave no figure, one sentence each.
fn untimed_switches(report: &Report) -> Vec<String> {
    report
        .claims
        .iter()
        .filter(|c| c.id == ClaimId::InterleaveSwitchTimed && c.holds.is_none())
        .map(|c| c.text.clone())
        .collect()
}

pub(super) fn kinds(one_core: &Report) -> Section {
    let green = switch_cost(one_core, Interleaved::Green);
    let thread = switch_cost(one_core, Interleaved::Threads);
    let green_bytes = stack_bytes(one_core, Interleaved::Green);
    let thread_bytes = stack_bytes(one_core, Interleaved::Threads);
    let ratio = if thread.is_finite() && green.is_finite() {
        format!(" ({:.0}x more)", thread / green)
    } else {
        String::new()
    };
    let mut answer = vec![
        "A process has its own address space (memory, files); a thread is a path of execution inside a process, sharing its memory, scheduled preemptively by the OS; a green thread is scheduled by a runtime in user space, cooperatively, on top of OS threads; a coroutine is a function that can suspend and resume (here the green threads are stackless coroutines: Rust futures).".into(),
        format!(
            "Measured on one CPU: a switch between green threads cost {}, between OS threads {}{ratio}, between processes {}; one green thread's whole state was {green_bytes:.0} bytes, against {:.0} KiB of stack reserved per thread.",
            Unit::Ns.write(green),
            Unit::Ns.write(thread),
            switch_phrase(one_core, Interleaved::Processes),
            thread_bytes / 1024.0
        ),
    ];
    answer.extend(untimed_switches(one_core));
    section(
        "What are the differences between processes, threads, green threads, and coroutines?",
        "processes, threads, green threads",
        answer,
        KeyFigure::default()
            .text("switch: green ")
            .value("green switch", green, Unit::Ns)
            .text(", thread ")
            .value("thread switch", thread, Unit::Ns)
            .text(", process ")
            .value(
                "process switch",
                switch_cost(one_core, Interleaved::Processes),
                Unit::Ns,
            ),
        vec![],
        &[one_core],
    )
}

pub(super) fn what_they_create(one_core: &Report) -> Section {
    let thread = switch_cost(one_core, Interleaved::Threads);
    let green = switch_phrase(one_core, Interleaved::Green);
    let answer = vec![
        "pthread_create() creates an OS thread (one kernel-scheduled thread per call). threading.Thread() also creates an OS thread, but it runs Python code only while holding the GIL. go does NOT create an OS thread: it starts a goroutine, a green thread that Go's runtime multiplexes onto at most GOMAXPROCS running OS threads (M:N scheduling).".into(),
        if thread.is_finite() {
            format!(
                "That is why Go programs can afford hundreds of thousands of goroutines: here a green switch cost {green} against {thread:.0} ns for an OS thread."
            )
        } else {
            format!(
                "That is why Go programs can afford hundreds of thousands of goroutines: here a green switch cost {green}; an OS thread switch could not be timed in this run (question 6 says why)."
            )
        },
    ];
    section(
        "Which one of these do pthread_create() (C/POSIX), threading.Thread() (Python), go (Go) create?",
        "pthread_create, threading.Thread, go",
        answer,
        KeyFigure::default().text("OS thread, OS thread (behind the GIL), goroutine"),
        vec![],
        &[one_core],
    )
}

pub(super) fn gomaxprocs(sweep: &Report) -> Section {
    let cpus = capacity(&sweep.machine);
    let serial = sweep.amdahl.as_ref().and_then(|f| f.serial_fraction);
    let go = sweep.maxprocs.as_ref().map_or(0, |m| m.defaults.go);
    let points: Vec<String> = sweep
        .results
        .iter()
        .map(|r| format!("P={} {:.2}x", r.workers, r.speedup))
        .collect();
    let mut answer = vec![format!(
        "GOMAXPROCS(n) sets how many OS threads may run Go code at the same time (it returns the previous setting); goroutines beyond that wait their turn. Go 1.25 would pick {go} here. It is a limit on parallelism, not on concurrency: the same work on pools of P workers here gave {}.",
        points.join(", ")
    )];
    // Both conclusions are the sweep's claims: said only as far as its runs show them.
    let no_gain = claim_text(sweep, ClaimId::MaxprocsNoGainAboveCpus, None);
    let fitted = claim_text(sweep, ClaimId::MaxprocsFitIsTheWork, None);
    let smt = claim_text(sweep, ClaimId::MaxprocsSmtGain, None);
    answer.push(match (serial, no_gain.is_empty()) {
        (None, true) => {
            format!("With {cpus} of time there is no curve to fit: more workers only take turns.")
        }
        _ => [no_gain, fitted, smt]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    });
    let mut key_figure = KeyFigure::default();
    for (i, r) in sweep.results.iter().enumerate() {
        if i > 0 {
            key_figure = key_figure.text(", ");
        }
        key_figure = key_figure
            .text("P=")
            .value("P", r.workers as f64, Unit::Count)
            .text(" ")
            .value(
                &format!("speedup at P={}", r.workers),
                r.speedup,
                Unit::Times,
            );
    }
    section(
        "What does `func GOMAXPROCS(n int) int` change?",
        "GOMAXPROCS",
        answer,
        key_figure,
        vec![sweep.clone()],
        &[],
    )
}

#[cfg(test)]
mod tests;
