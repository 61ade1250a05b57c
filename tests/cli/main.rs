//! The end-to-end tests of the command line that can share one process, in one binary: one
//! link instead of fifteen. Tests that count or reap this process's children
//! (`gil_processes`, `process_executor`, `orphans`, which is the subreaper of its workers), or
//! that need a quiet machine or a terminal of their own (`interference`, `busy_neighbour`,
//! `live`), keep binaries of their own.

#[path = "../common/mod.rs"]
mod common;

mod cpython;
mod gil_sim;
mod hostile;
mod html;
mod info;
mod interleave;
mod interrupt;
mod layering;
mod maxprocs;
mod output_paths;
mod parallel;
mod race;
mod streams;
mod tour;
mod trace_and_check;
