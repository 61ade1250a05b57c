//! The tour's answers about Python's GIL: what it does to threads, measured in the model and,
//! where one ran, in real `CPython`; and the workaround.

use super::{
    CPYTHON_SWITCH_INTERVAL, ClaimId, KeyFigure, Mode, PyMode, Report, Section, Unit, Variant,
    against_sequential, claim_text, format_ms, median, result, section, speedup,
};

/// The Python run beside the model, as the tour's figures name it: "`CPython` 3.11.7".
fn python_name(cpu: &Report) -> Option<String> {
    cpu.cpython
        .as_ref()
        .map(crate::model::findings::CpythonReport::name)
}

/// `mode`'s speedup in the real Python's rows.
fn python_speedup(cpu: &Report, mode: PyMode) -> Option<f64> {
    cpu.cpython
        .as_ref()?
        .results
        .iter()
        .find(|r| r.mode == mode.name())
        .map(|r| r.speedup)
}

/// `CPython`'s threads under its GIL: the plain threads row, or on a free-threaded build the
/// row that ran with the GIL on.
fn python_threads_under_the_gil(cpu: &Report) -> Option<(PyMode, f64)> {
    [PyMode::Threads(None), PyMode::Threads(Some(true))]
        .into_iter()
        .find_map(|mode| Some((mode, python_speedup(cpu, mode)?)))
}

/// `python_missing`: why no Python ran beside the model, where none did.
pub(in crate::demo::tour) fn gil(
    cpu: &Report,
    io: &Report,
    python_missing: Option<&str>,
) -> Section {
    let gil_new = Some(Variant::GIL_NEW.name());
    let mut answer = vec![
        format!(
            "The GIL lets one thread at a time run Python code. CPU-bound threads still run, handing the lock over {:.0} times a second (a hand-off every {} switch interval would be {:.0}): two threads under the GIL took {} (speedup {:.2}). {} Without a GIL the same threads took {} ms ({:.2}x). {}",
            result(cpu, Variant::GIL_NEW)
                .and_then(|r| r.findings.gil())
                .map_or(f64::NAN, |g| g.handoffs_per_s as f64),
            humantime::format_duration(CPYTHON_SWITCH_INTERVAL),
            1.0 / CPYTHON_SWITCH_INTERVAL.as_secs_f64(),
            against_sequential(cpu, Variant::GIL_NEW),
            speedup(cpu, Variant::GIL_NEW),
            claim_text(cpu, ClaimId::GilTakeTurns, gil_new),
            format_ms(median(cpu, Variant::NO_GIL)),
            speedup(cpu, Variant::NO_GIL),
            claim_text(cpu, ClaimId::GilNoGilParallel, Some(Variant::NO_GIL.name())),
        )
        .trim_end()
        .to_string(),
        format!(
            "It does not make multi-threaded programs impossible: a thread waiting on I/O releases the lock, so I/O-bound threads can overlap their waits even under the GIL: {} (speedup {:.2}). {}",
            against_sequential(io, Variant::GIL_NEW),
            speedup(io, Variant::GIL_NEW),
            claim_text(io, ClaimId::GilWaitsOverlap, gil_new),
        )
        .trim_end()
        .to_string(),
    ];
    match (&cpu.cpython, python_missing) {
        (Some(c), _) => answer.push(
            format!(
                "The same CPU-bound tasks ran in real {} ({}) in the same rounds as the model. {} {}",
                c.name(),
                c.executable,
                claim_text(cpu, ClaimId::GilModelMatchesCpython, gil_new),
                claim_text(
                    cpu,
                    ClaimId::GilModelMatchesCpython,
                    Some(Variant::NO_GIL.name())
                ),
            )
            .trim_end()
            .to_string(),
        ),
        (None, Some(why)) => answer.push(format!(
            "No real Python ran beside the model ({why}): these answers come from the model alone."
        )),
        (None, None) => {}
    }
    let mut key_figure = KeyFigure::default()
        .text("CPU-bound: gil-new ")
        .value(
            "gil-new speedup, CPU-bound",
            speedup(cpu, Variant::GIL_NEW),
            Unit::Times,
        )
        .text(", no-gil ")
        .value(
            "no-gil speedup, CPU-bound",
            speedup(cpu, Variant::NO_GIL),
            Unit::Times,
        )
        .text("; I/O-bound: gil-new ")
        .value(
            "gil-new speedup, I/O-bound",
            speedup(io, Variant::GIL_NEW),
            Unit::Times,
        );
    if let (Some(name), Some((mode, threads))) =
        (python_name(cpu), python_threads_under_the_gil(cpu))
    {
        key_figure = key_figure
            .text(&format!("; {name} {} ", mode.name()))
            .value("CPython threads speedup", threads, Unit::Times);
    }
    section(
        "How does Python's Global Interpreter Lock (GIL) influence the way a Python thread behaves?",
        "the GIL",
        answer,
        key_figure,
        vec![cpu.clone(), io.clone()],
        &[],
    )
}

pub(in crate::demo::tour) fn gil_workaround(cpu: &Report) -> Section {
    let mut answer = vec![format!(
        "multiprocessing: processes instead of threads. Each process has its own interpreter and its own GIL, so CPU-bound processes can run in parallel where there are CPUs for them, at the cost of starting processes and of sending data between them instead of sharing it. Here they took {} (speedup {:.2}). {}",
        against_sequential(cpu, Variant::Processes),
        speedup(cpu, Variant::Processes),
        claim_text(cpu, ClaimId::GilProcessesParallel, Some(Variant::Processes.name())),
    )
    .trim_end()
    .to_string()];
    let mut key_figure = KeyFigure::default().text("processes ").value(
        "processes speedup",
        speedup(cpu, Variant::Processes),
        Unit::Times,
    );
    if let (Some(name), Some(processes)) =
        (python_name(cpu), python_speedup(cpu, PyMode::Processes))
    {
        answer.push(claim_text(
            cpu,
            ClaimId::GilModelMatchesCpython,
            Some(Variant::Processes.name()),
        ));
        key_figure = key_figure
            .text(&format!("; {name} multiprocessing "))
            .value("CPython multiprocessing speedup", processes, Unit::Times);
    }
    section(
        "With this in mind: What is the workaround for the GIL (Hint: it's another module)?",
        "the GIL workaround",
        answer,
        key_figure,
        vec![],
        &[cpu],
    )
}
