//! The hidden worker processes, both ends in one place: the command line a parent `conpar`
//! starts a child `conpar` with, and the lines the child prints back on its stdout.
//!
//! - `command`: [`WorkerCommand`], the typed form of a worker's arguments. The parent turns
//!   it into an argv with [`WorkerCommand::to_args`]; the child, handed that argv by the
//!   command line's hidden subcommands, reads it back with [`WorkerCommand::parse`], so the
//!   flags are spelled there only. Every flag is checked like a public one: a bad value is
//!   exit 2, never a crash, against the largest values the public flags can lead to.
//! - `report`: what a worker prints ([`WorkerReport`], [`YieldSide`]).
//!
//! The subcommands:
//!
//! - `conpar worker --task=T --units=N --seed=S --chunk-units=C [--cpu=K]
//!   [--wait-every-units=W --pause-ns=P] [--gil [--io-wait-ns=I]] --parent=PID`: one task of a
//!   workload ([`super::process`]), or with `--gil` stepped under the process's own GIL
//!   ([`super::gil`]).
//! - `conpar yield-worker --cpu=K --rounds=R --budget-us=B --parent=PID`: yield the CPU in a
//!   loop, R times or for B µs, whichever ends first, to time a process switch
//!   ([`super::switch_cost`]).

use crate::sys;

mod command;
mod report;

pub(crate) use command::{
    MAX_CPU, WORKER, WorkerArgs, WorkerCommand, YIELD_WORKER, YieldWorkerArgs,
};
pub(crate) use report::{WorkerReport, YieldSide};

/// Runs a worker subcommand in this process, reporting on stdout: first ties the process to
/// its parent ([`sys::die_with_parent`]), then runs the task or the yield loop.
pub(crate) fn run(command: &WorkerCommand) -> anyhow::Result<()> {
    sys::die_with_parent(command.parent())?;
    let out = &mut std::io::stdout().lock();
    match command {
        WorkerCommand::Worker(w) if w.gil => super::gil::worker(&w.spec(), w.io_wait(), out),
        WorkerCommand::Worker(w) => super::process::worker(&w.spec(), out),
        WorkerCommand::YieldWorker(y) => super::switch_cost::yield_worker(y, out),
    }
}
