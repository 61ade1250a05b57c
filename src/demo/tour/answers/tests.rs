//! Tests of the tour's answers on made-up reports: each sentence and key figure follows the
//! claims and figures it is given, on any machine.

use super::*;
use crate::claims::Claim;
use crate::interference::Verdict;
use crate::model::Timeline;

/// A gil-sim report where `mode`'s claim `id` was judged `holds`, worded `text`.
fn gil_report(mode: Variant, id: ClaimId, holds: bool, text: &str) -> Report {
    let results = vec![
        ModeResult::synthetic(Sequential.name(), &[100.0], [1.0, 1.0], vec![0]),
        ModeResult::synthetic(mode.name(), &[55.0], [1.7, 1.9], vec![0, 1]),
    ];
    let claims = vec![Claim::by_hand(id, Some(mode.name()), Some(holds), text)];
    crate::demo::report(
        crate::model::Demo::GilSim,
        Machine::with_cpus(2),
        results,
        Timeline::default(),
        Interference::none(),
        claims,
    )
}

/// Question 3 on a machine with SMT: two tasks pinned to one core's hardware threads and
/// to two cores, each gave `siblings` and `cores`.
fn multicore_with_siblings(siblings: f64, cores: f64) -> String {
    multicore_with(siblings, cores, Verdict::Quiet)
}

/// The same on a machine other programs kept `verdict`.
fn multicore_with(siblings: f64, cores: f64, verdict: Verdict) -> String {
    let all_cores = gil_report(Variant::Processes, ClaimId::GilProcessesParallel, true, "");
    let results = vec![
        ModeResult::synthetic(Sequential.name(), &[100.0], [1.0, 1.0], vec![0]),
        ModeResult::synthetic("pinned:cores", &[100.0 / cores], [cores, cores], vec![0, 1]),
        ModeResult::synthetic(
            "pinned:siblings",
            &[100.0 / siblings],
            [siblings, siblings],
            vec![0, 8],
        ),
    ];
    let mut interference = Interference::none();
    interference.verdict = verdict;
    interference.others_cpus = Some(if verdict == Verdict::Disturbed {
        0.9
    } else {
        0.0
    });
    let placed = crate::demo::report(
        crate::model::Demo::Parallel,
        Machine::with_cpus(16),
        results,
        Timeline::default(),
        interference,
        Vec::new(),
    );
    let section = multicore(&all_cores, Some(placed));
    assert_eq!(section.reports.len(), 1, "the placed run is shown");
    section.answer.join(" ")
}

#[test]
fn why_multicore_says_what_one_cores_threads_gave_against_two_cores() {
    let smt = multicore_with_siblings(1.21, 1.97);
    assert!(
        smt.contains("1.21x on the hardware threads of one core"),
        "{smt}"
    );
    assert!(
        smt.contains("Two cores gave more than the two hardware threads"),
        "{smt}"
    );
    let alike = multicore_with_siblings(1.9, 1.97);
    assert!(alike.contains("gave about as much as two cores"), "{alike}");
    assert!(!alike.contains("Two cores gave more"), "{alike}");
    // A busy machine: which gave more is not said, and why.
    let busy = multicore_with(1.21, 1.97, Verdict::Disturbed);
    assert!(
        busy.contains("1.21x on the hardware threads of one core"),
        "{busy}"
    );
    assert!(
        busy.contains("cannot be judged here: other programs took"),
        "{busy}"
    );
    assert!(!busy.contains("Two cores gave more"), "{busy}");
}

#[test]
fn the_workaround_says_processes_ran_in_parallel_only_where_the_claim_holds() {
    let said = |holds: bool, text: &str| {
        let report = gil_report(
            Variant::Processes,
            ClaimId::GilProcessesParallel,
            holds,
            text,
        );
        gil_workaround(&report).answer.join(" ")
    };
    let one_cpu = said(false, "processes: could not run faster together.");
    assert!(
        one_cpu.contains("could not run faster together"),
        "{one_cpu}"
    );
    // The answer words nothing of its own about running at once: only the claim does.
    assert!(!one_cpu.contains("ran at the same time"), "{one_cpu}");
    let two_cpus = said(true, "processes: ran at the same time.");
    assert!(two_cpus.contains("ran at the same time"), "{two_cpus}");
}

#[test]
fn the_gil_answer_takes_turns_and_overlaps_waits_only_as_its_claims_say() {
    let cpu = gil_report(
        Variant::GIL_NEW,
        ClaimId::GilTakeTurns,
        false,
        "steps overlapped.",
    );
    let io = gil_report(
        Variant::GIL_NEW,
        ClaimId::GilWaitsOverlap,
        false,
        "no overlap.",
    );
    let answer = gil(&cpu, &io, None).answer.join(" ");
    assert!(answer.contains("steps overlapped."), "{answer}");
    assert!(answer.contains("no overlap."), "{answer}");
    // Only the claims say whether the threads took turns, and here they did not.
    assert!(!answer.contains("took turns"), "{answer}");
    assert!(answer.contains("can overlap their waits"), "{answer}");
}

/// A gil-sim report with real `CPython`'s rows (threads 1.01x, processes 0.97x of the
/// sequential time) and the model's match claims, worded `threads` and `processes`.
fn with_cpython(threads: &str, processes: &str) -> Report {
    let mut report = gil_report(
        Variant::Processes,
        ClaimId::GilProcessesParallel,
        true,
        "processes ran at once.",
    );
    report.cpython = Some(crate::model::findings::CpythonReport {
        executable: "/opt/python/bin/python3".into(),
        version: "3.11.7".into(),
        implementation: "CPython".into(),
        free_threaded: false,
        gil_enabled: true,
        start_method: "fork".into(),
        units_per_task: 1000,
        ns_per_unit: 90.0,
        startup_ms: 20.0,
        handoffs_per_s: Some(100.0),
        processes_started_ms: Some(12.0),
        results: [
            ("sequential", 100.0),
            ("threads", 101.0),
            ("processes", 97.0),
        ]
        .iter()
        .map(|&(mode, ms)| ModeResult::against(mode, 2, &[ms], 100.0, vec![0, 1]))
        .collect(),
    });
    for (mode, text) in [(Variant::GIL_NEW, threads), (Variant::Processes, processes)] {
        report.claims.push(Claim::by_hand(
            ClaimId::GilModelMatchesCpython,
            Some(mode.name()),
            Some(true),
            text,
        ));
    }
    report
}

/// A free-threaded `CPython` ran its threads with the GIL on and off: the GIL's key figure
/// quotes the threads that ran under it.
#[test]
fn a_free_threaded_python_is_quoted_by_its_threads_under_the_gil() {
    let mut report = with_cpython("threads.", "processes.");
    let cpython = report.cpython.as_mut().unwrap();
    cpython.free_threaded = true;
    cpython.results = [
        ("sequential", 100.0),
        ("threads gil=1", 102.0),
        ("threads gil=0", 52.0),
        ("processes", 97.0),
    ]
    .iter()
    .map(|&(mode, ms)| ModeResult::against(mode, 2, &[ms], 100.0, vec![0, 1]))
    .collect();
    let key = gil(&report, &report, None).key_figure;
    assert!(
        key.text.ends_with("; CPython 3.11.7 threads gil=1 0.98x"),
        "{key}"
    );
}

#[test]
fn the_gil_answers_quote_real_python_where_it_ran_and_say_why_not_where_not() {
    let report = with_cpython(
        "threads: the model matches.",
        "processes: the model is off.",
    );
    let gil_section = gil(&report, &report, None);
    let answer = gil_section.answer.join(" ");
    assert!(
        answer.contains("real CPython 3.11.7 (/opt/python/bin/python3)"),
        "{answer}"
    );
    assert!(answer.contains("threads: the model matches."), "{answer}");
    assert!(
        gil_section
            .key_figure
            .text
            .ends_with("; CPython 3.11.7 threads 0.99x"),
        "{}",
        gil_section.key_figure
    );
    let workaround = gil_workaround(&report);
    assert!(
        workaround
            .answer
            .join(" ")
            .contains("processes: the model is off."),
        "{:?}",
        workaround.answer
    );
    assert!(
        workaround
            .key_figure
            .text
            .ends_with("; CPython 3.11.7 multiprocessing 1.03x"),
        "{}",
        workaround.key_figure
    );
    // No Python: one line says why, and nothing names one.
    let model_only = gil_report(Variant::GIL_NEW, ClaimId::GilTakeTurns, true, "turns.");
    let gil_section = gil(
        &model_only,
        &model_only,
        Some("python3: no such program on PATH"),
    );
    let answer = gil_section.answer.join(" ");
    assert!(
        answer.contains("No real Python ran beside the model (python3: no such program on PATH)"),
        "{answer}"
    );
    assert!(
        !gil_section.key_figure.text.contains("CPython"),
        "{}",
        gil_section.key_figure
    );
    assert!(
        !gil_workaround(&model_only)
            .answer
            .join(" ")
            .contains("CPython")
    );
}
