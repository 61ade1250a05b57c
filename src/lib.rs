//! conpar: make concurrency and parallelism visible and measurable on this machine.
//!
//! One CPU busy-work kernel is run in several ways and the tool reports what each way cost,
//! with a picture of what ran where and when.
//!
//! # Layout
//!
//! - [`cli`]: the command line, the one part that knows clap: flags and their help (`mod.rs`,
//!   `args.rs`), enum values (`values.rs`), value parsers (`parse.rs`), colour (`color.rs`),
//!   the mapping to demo configs (`config.rs`) and the command line resolved once into what
//!   to run, how to draw it, what to check and which files to write (`invocation.rs`); the hidden
//!   workers' subcommands only take their raw arguments, for [`exec::worker`] to read.
//! - [`document`]: what a run shows (a demo's report or the tour) and the one output pipeline
//!   over it: render, the output files (`--trace`, `--plot`), check.
//! - [`limits`]: the largest work, counts and times accepted, each with its reason.
//! - [`kernel`]: the shared busy-work kernel (pure, deterministic, checksummed).
//! - [`workload`]: tasks x units, chunking, calibration from a time budget.
//! - [`sys`]: CPU facts and control: the machine's facts, the CPU capacity they give, rayon's
//!   default pool and how CPU counts are written, from this machine or a copied tree
//!   (`mod.rs`); CPU lists such as "0-3,5" (`cpu_list.rs`); the cgroup CPU quota
//!   (`cgroup.rs`); the topology: cores, SMT siblings, packages, NUMA nodes, kinds of core
//!   (`topology.rs`); the OS calls (affinity,
//!   pinning, current CPU, counters), once for Linux and once for the rest (`os/`: `mod.rs`,
//!   `linux.rs`, `other.rs`).
//! - [`trace`]: recording measured slices (task, CPU, start, end) on one epoch.
//! - [`stats`]: medians over repeats, speedup, efficiency, Karp-Flatt.
//! - [`gil`]: a global interpreter lock that behaves like `CPython`'s (new, old, none).
//! - [`amdahl`]: Amdahl's law and its least-squares fit to measured speedups.
//! - [`maxprocs`]: the worker limit (`--maxprocs`, `CONPAR_MAXPROCS`) and each runtime's default.
//! - [`placement`]: where `parallel --placement` pins its tasks (distinct cores, one core's
//!   hardware threads, the fastest or slowest cores), and the kernel's speed on each kind of
//!   core.
//! - [`cpu_choice`]: where a one-CPU demo runs: the CPU other programs use least, or the
//!   one `--cpu` names (the choice itself is part of the report model).
//! - [`engine`]: the one measurement loop: rounds, warm-ups, oracle, disturbed rounds
//!   (`mod.rs`); the budget (`budget.rs`); a mode's samples summed up as its result row
//!   (`summary.rs`); in tests, scripted runs on a fixed clock, so that every command renders
//!   the same on any machine (`script.rs`, used by `cli/scripted_tests.rs`).
//! - [`interference`]: what other programs and the hypervisor took from the CPUs meanwhile:
//!   the meter and its `/proc/stat` counters (`mod.rs`); a reading and its verdict
//!   (`reading.rs`); what the reports say of them (`summary.rs`).
//! - [`exec`]: executors, one per way of running a workload, each returning a `Run`
//!   (`sequential.rs`, `threads.rs`, `pool.rs`, `green.rs`, `process.rs`, `gil.rs`), and what
//!   they share: worker child processes started, watched for progress and reaped
//!   (`children.rs`), switch costs (`switch_cost.rs`); in
//!   [`exec::race`], the shared-counter race (`mod.rs`) and the start line that lines its
//!   threads up (`start_line.rs`); and in [`exec::worker`], the hidden worker processes'
//!   command line (`command.rs`, read without clap) and output (`report.rs`), both ends; in
//!   [`exec::cpython`], real `CPython` beside the GIL model: the interpreter found and checked,
//!   conpar's embedded script (`script.py`) run in it, and the checksum it must print.
//! - [`spawn`]: starting threads, which the OS may refuse: one clear error, and no thread left
//!   waiting for one that will never exist (a [`spawn::Gate`] with a deadline); used by the
//!   executors, the progress bar and the interrupt handler alike.
//! - [`green`]: the green-thread scheduler (run queue, wakers, timer) the green executor uses.
//! - [`demo`]: one per subcommand; decides what to run and builds a `Report`: `info.rs`, and
//!   a folder each for `parallel`, `interleave`, `race`, `gil_sim`, `maxprocs` (the run
//!   and its typed findings in `mod.rs`, beside `claims.rs`, `notes.rs`, `tests.rs`;
//!   `gil_sim/python.rs` for the `CPython` rows and their claim) and
//!   `tour` (`answers.rs`, `answers/gil.rs`). Every demo has one shape, [`demo::Found`]:
//!   findings, claims judged on them, the report, notes from the report alone; each demo's
//!   modes are an enum of the [`demo::Mode`] trait.
//! - [`model`]: what a run found, as data: a demo's `Report` (`mod.rs`; its timeline of runs
//!   and slices in `slices.rs`, its claims in `claim.rs`, the CPU a one-CPU demo chose in
//!   `cpu_choice.rs`, each demo's own typed figures of a mode in `findings.rs`) and the tour's
//!   (`tour.rs`). It imports no renderer, demo or command line.
//! - [`report`]: the renderers, which only read the model: table, JSON, CSV, markdown, HTML,
//!   ASCII timeline, Chrome trace, SVG plot, the tour's; the results grid the tabular ones
//!   share (`grid.rs`).
//! - [`claims`]: conclusions, each judged on the figures, worded for its outcome: each claim's
//!   figures give its predicate and its sentence ([`model::Judged`]).
//! - [`check`]: `--check` and `--min-speedup`: failed (exit 3) or inconclusive (exit 4)
//!   (`mod.rs`; its tests in `tests.rs`, and in `agreement.rs` over many synthetic findings).
//! - [`progress`]: the progress bar on stderr.
//! - [`live_feed`]: what `--live` is handed while runs go on: the recorders' new slices, and
//!   when each run starts and ends.
//! - [`live`]: `--live`'s frame, a pure function of what was measured (`frame.rs`), and the
//!   thread that draws it on the terminal and leaves the terminal as it was (`screen.rs`).
//! - [`interrupt`]: Ctrl-C and SIGTERM: kill and reap workers, remove temporary files, exit 130.
//! - [`output`]: output files (`--trace`, `--plot`), written to whatever their path names.
//! - [`streams`]: stdout and stderr without panics.
//! - [`error`]: exit codes and the bad-input error.
//!
//! Beside them in `src/`, `main.rs` is the `conpar` binary (parse, run, print, one exit code
//! per outcome) and this file, `lib.rs`, the crate root.
//!
//! The layers: [`cli`] sits on top; the engine below it (demos, executors, report, engine,
//! claims, model, ...) needs nothing of clap or of `cli`, [`report`] needs nothing of
//! [`demo`], [`model`] needs no renderer, demo or command line, and no two modules need each
//! other, however far round. `tests/cli/layering.rs` checks all four on the sources.

#![forbid(unsafe_code)]
#![warn(clippy::pedantic)]
// Counts, units and nanoseconds are far below 2^52, so turning them into f64 figures is exact.
#![allow(clippy::cast_precision_loss)]
// Figures made counts again are rounded, non-negative and in range (inputs are checked).
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
// The API serves one binary; the compiler already warns where an unused result matters.
#![allow(clippy::must_use_candidate)]
// Errors are anyhow chains with context at each call site; panics are broken invariants only.
#![allow(clippy::missing_errors_doc, clippy::missing_panics_doc)]
// Demo and renderer bodies read as one sequence of sections; splitting them scatters the layout.
#![allow(clippy::too_many_lines)]
// The docs are for maintainers and built with --document-private-items: such links resolve.
#![allow(rustdoc::private_intra_doc_links)]
// Tests assert exact values of deterministic arithmetic.
#![cfg_attr(test, allow(clippy::float_cmp))]

pub(crate) mod amdahl;
pub mod check;
pub(crate) mod claims;
pub mod cli;
pub(crate) mod cpu_choice;
pub(crate) mod demo;
pub mod document;
pub(crate) mod engine;
pub mod error;
pub mod exec;
pub mod gil;
pub(crate) mod green;
pub mod interference;
pub mod interrupt;
pub mod kernel;
pub(crate) mod limits;
pub(crate) mod live;
pub(crate) mod live_feed;
pub(crate) mod maxprocs;
pub mod model;
pub mod output;
pub(crate) mod placement;
pub(crate) mod progress;
pub mod report;
pub(crate) mod spawn;
pub mod stats;
pub mod streams;
pub mod sys;
pub mod trace;
pub mod workload;
