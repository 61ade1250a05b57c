//! Each subcommand's flags turned into the clap-free `Config` its demo takes: every mapping
//! from the command line to the engine side is in this file, and nothing else is.

use super::{GilSimArgs, InterleaveArgs, MaxprocsArgs, ParallelArgs, RaceArgs, TourArgs, WorkArgs};
use crate::demo;
use crate::engine::Repeats;
use crate::maxprocs::Limit;
use crate::workload::WorkSize;
use std::io::IsTerminal;

/// What every demo's config takes from the global flags.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Globals {
    /// Progress on stderr: not with `--quiet`.
    pub(crate) progress: bool,
    /// The worker limit in force (`--maxprocs`, `CONPAR_MAXPROCS`).
    pub(crate) limit: Limit,
    /// What `std::thread::available_parallelism()` says here: the default task count.
    pub(crate) available: usize,
}

impl WorkArgs {
    fn size(&self) -> WorkSize {
        self.units
            .map_or(WorkSize::TaskTime(self.task_time), WorkSize::Units)
    }

    fn repeats(&self) -> Repeats {
        Repeats {
            runs: self.runs as usize,
            warmup: self.warmup as usize,
        }
    }
}

impl TourArgs {
    /// The tour draws its progress only on a terminal.
    pub(crate) fn config(&self, globals: &Globals) -> demo::tour::Config {
        demo::tour::Config {
            quick: self.quick,
            limit: globals.limit,
            progress: globals.progress && std::io::stderr().is_terminal(),
            seed: self.seed,
            python: match (&self.python, self.no_python) {
                (_, true) => demo::tour::PythonWanted::Off,
                (Some(path), false) => demo::tour::PythonWanted::Named(path.clone()),
                (None, false) => demo::tour::PythonWanted::Found,
            },
        }
    }
}

impl ParallelArgs {
    /// Tasks default to the available parallelism, the pool's threads to the worker limit.
    pub(crate) fn config(&self, globals: &Globals) -> demo::parallel::Config {
        let available = globals.available as u64;
        demo::parallel::Config {
            tasks: self.tasks.unwrap_or(available) as usize,
            threads: self.threads.unwrap_or(globals.limit.workers as u64) as usize,
            placements: self.placement.iter().map(|&p| p.into()).collect(),
            limit: globals.limit,
            size: self.work.size(),
            seed: self.work.seed,
            repeats: self.work.repeats(),
            progress: globals.progress,
        }
    }
}

impl InterleaveArgs {
    pub(crate) fn config(&self, globals: &Globals) -> demo::interleave::Config {
        demo::interleave::Config {
            tasks: self.tasks as usize,
            cpu: self.cpu.map(|c| c as usize),
            look: None,
            switch_probes: true,
            size: self.work.size(),
            seed: self.work.seed,
            repeats: self.work.repeats(),
            quantum: self.quantum_units.map_or(
                demo::interleave::Quantum::Time(self.quantum),
                demo::interleave::Quantum::Units,
            ),
            wait: self.wait,
            wait_every: self.wait_every,
            progress: globals.progress,
        }
    }
}

impl RaceArgs {
    pub(crate) fn config(&self, globals: &Globals) -> demo::race::Config {
        demo::race::Config {
            threads: self.threads as usize,
            iterations: self.iterations,
            runs: self.runs as usize,
            warmup: self.warmup as usize,
            modes: self.mode.iter().map(|&m| m.into()).collect(),
            one_core: self.one_core,
            progress: globals.progress,
        }
    }
}

impl GilSimArgs {
    /// `--gil` and `--processes` choose the variants; neither means all of them.
    pub(crate) fn config(&self, globals: &Globals) -> demo::gil_sim::Config {
        use demo::gil_sim::Variant;
        let mut variants: Vec<Variant> = self
            .gil
            .iter()
            .map(|&k| Variant::Threads(k.into()))
            .collect();
        if self.processes {
            variants.push(Variant::Processes);
        }
        if variants.is_empty() {
            variants = Variant::ALL.to_vec();
        }
        demo::gil_sim::Config {
            threads: self.threads as usize,
            variants,
            workload: self.workload.into(),
            switch_interval: self.switch_interval,
            check_interval: self.check_interval as u32,
            check_every: self.check_every,
            io_wait: self.io_wait,
            requests: self.requests,
            size: self.work.size(),
            seed: self.work.seed,
            repeats: self.work.repeats(),
            progress: globals.progress,
            exe: None,
            python: self.python.clone().map(crate::demo::gil_sim::Python::Named),
        }
    }
}

impl MaxprocsArgs {
    pub(crate) fn config(&self, globals: &Globals) -> demo::maxprocs::Config {
        demo::maxprocs::Config {
            procs: self
                .procs
                .as_ref()
                .map(|list| list.iter().map(|&p| p as usize).collect()),
            tasks: self.tasks.map(|t| t as usize),
            size: self.work.units.map_or(
                demo::maxprocs::SweepSize::TotalTime(self.work.total_time),
                demo::maxprocs::SweepSize::UnitsPerTask,
            ),
            serial_fraction: self.serial_fraction,
            seed: self.work.seed,
            repeats: Repeats {
                runs: self.work.runs as usize,
                warmup: self.work.warmup as usize,
            },
            progress: globals.progress,
            limit: globals.limit,
        }
    }
}
