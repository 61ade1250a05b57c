//! The flags of each subcommand that runs a demo, and the work and timeline options they
//! share.

use super::parse::{
    check_every, io_wait, quantum, race_threads, ranged, serial_fraction, speedup, switch_interval,
    task_time, wait, wait_every, zoom,
};
use super::{GilKindArg, LanesArg, PlacementArg, SharingArg, WorkloadArg};
use crate::exec::race;
use crate::exec::worker::MAX_CPU;
use crate::limits::{
    MAX_CHECK_INTERVAL, MAX_GIL_THREADS, MAX_INTERLEAVE_TASKS, MAX_REQUESTS, MAX_RUNS, MAX_TASKS,
    MAX_THREADS, MAX_WARMUP,
};
use crate::workload::MAX_UNITS;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// How much work each task does and how often each mode is measured.
#[derive(Debug, Args)]
#[command(next_help_heading = "Work options")]
pub(crate) struct WorkArgs {
    /// Kernel units per task, exactly (repeats a run exactly; see `unit_ns` in the report)
    #[arg(long, value_name = "N", conflicts_with = "task_time",
          allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub(crate) units: Option<u64>,

    /// Work per task as a time on this machine, calibrated by a short timed run (e.g. 200ms, 1s)
    #[arg(long, value_name = "DURATION", default_value = "200ms", allow_hyphen_values = true,
          value_parser = task_time)]
    pub(crate) task_time: Duration,

    /// Seed of the kernel: the same seed and units always give the same checksum
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,

    /// Measured runs per mode (the median, min and max are reported)
    #[arg(long, value_name = "N", default_value = "5", allow_hyphen_values = true, value_parser = ranged::<1, MAX_RUNS>)]
    pub(crate) runs: u64,

    /// Unmeasured warm-up runs per mode, before the measured ones
    #[arg(long, value_name = "N", default_value = "1", allow_hyphen_values = true, value_parser = ranged::<0, MAX_WARMUP>)]
    pub(crate) warmup: u64,
}

/// Options of the timeline.
#[derive(Debug, Args)]
#[command(next_help_heading = "Timeline options")]
pub(crate) struct TimelineArgs {
    /// Draw a timeline of what ran where and when, from measured slices
    #[arg(long)]
    pub(crate) timeline: bool,

    /// One timeline lane per CPU, or per task
    #[arg(long, value_enum, default_value_t = LanesArg::Cpu)]
    pub(crate) lanes: LanesArg,

    /// Draw only the first DURATION of each run (e.g. 20ms), to see switches finer than a column
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = zoom)]
    pub(crate) zoom: Option<Duration>,
}

#[derive(Debug, Args)]
pub(crate) struct ParallelArgs {
    /// Number of tasks [default: available parallelism]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_TASKS>)]
    pub(crate) tasks: Option<u64>,

    /// Worker threads of the rayon pool [default: available parallelism]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_THREADS>)]
    pub(crate) threads: Option<u64>,

    /// Exit with 3 if a parallel mode's speedup is below X (4 if the run cannot be judged)
    #[arg(long, value_name = "X", allow_hyphen_values = true, value_parser = speedup)]
    pub(crate) min_speedup: Option<f64>,

    /// Also run the tasks on threads pinned to these places, one mode each, comma-separated:
    /// distinct cores, the hardware threads of one core, the fastest or the slowest cores
    #[arg(long, value_name = "WHERE", value_enum, value_delimiter = ',')]
    pub(crate) placement: Vec<PlacementArg>,

    #[command(flatten)]
    pub(crate) work: WorkArgs,

    #[command(flatten)]
    pub(crate) timeline: TimelineArgs,
}

#[derive(Debug, Args)]
pub(crate) struct InfoArgs {
    /// Read the machine's facts from the sys/ and proc/ below DIR, a copy of another machine's
    /// (as `lscpu --sysroot` does), instead of this machine's
    #[arg(long, value_name = "DIR")]
    pub(crate) sysroot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TourArgs {
    /// Tiny work, for smoke tests: done in a few seconds, figures real but noisy
    #[arg(long)]
    pub(crate) quick: bool,

    /// Seed of the kernel
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,

    /// The Python interpreter to run beside the GIL model [default: python3 on PATH where it
    /// is 3.8 or newer; the model alone where not]
    #[arg(long, value_name = "PATH", conflicts_with = "no_python")]
    pub(crate) python: Option<std::path::PathBuf>,

    /// Answer the GIL questions from the model alone, without a real Python
    #[arg(long)]
    pub(crate) no_python: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InterleaveArgs {
    /// Number of tasks sharing the CPU
    #[arg(long, value_name = "N", default_value = "2", allow_hyphen_values = true,
          value_parser = ranged::<1, MAX_INTERLEAVE_TASKS>)]
    pub(crate) tasks: u64,

    /// The CPU to share [default: the first of this process's affinity mask]
    #[arg(long, value_name = "K", allow_hyphen_values = true, value_parser = ranged::<0, MAX_CPU>)]
    pub(crate) cpu: Option<u64>,

    /// Work a green task does before it yields (e.g. 1ms, 200us; at least 10us)
    #[arg(long, value_name = "DURATION", default_value = "1ms", allow_hyphen_values = true,
          value_parser = quantum, conflicts_with = "quantum_units")]
    pub(crate) quantum: Duration,

    /// Units a green task computes before it yields (instead of --quantum)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub(crate) quantum_units: Option<u64>,

    /// Each task also waits this long in all (a sleep standing for I/O), in equal pauses
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = wait)]
    pub(crate) wait: Option<Duration>,

    /// Compute between two pauses of --wait (at least 100us)
    #[arg(long, value_name = "DURATION", default_value = "10ms", allow_hyphen_values = true,
          value_parser = wait_every)]
    pub(crate) wait_every: Duration,

    #[command(flatten)]
    pub(crate) work: WorkArgs,

    #[command(flatten)]
    pub(crate) timeline: TimelineArgs,
}

#[derive(Debug, Args)]
#[command(mut_arg("runs", |a| a.default_value("3")))]
pub(crate) struct GilSimArgs {
    /// Threads, one task each (and child processes for `processes`)
    #[arg(long, value_name = "N", default_value = "2", allow_hyphen_values = true,
          value_parser = ranged::<1, MAX_GIL_THREADS>)]
    pub(crate) threads: u64,

    /// Run only these locks (new: CPython 3.2+, old: 3.1 and earlier, none: free-threaded),
    /// besides sequential; comma-separated or repeated [default: all, and processes]
    #[arg(long, value_enum, value_name = "KIND", value_delimiter = ',')]
    pub(crate) gil: Vec<GilKindArg>,

    /// Run the processes variant (each process has its own lock); with --gil, as well
    #[arg(long)]
    pub(crate) processes: bool,

    /// What the threads do: compute, mostly wait on I/O, or compute beside one I/O thread
    #[arg(long, value_enum, default_value_t = WorkloadArg::Cpu)]
    pub(crate) workload: WorkloadArg,

    /// New GIL: how long a waiting thread waits before it asks the holder to drop the lock
    /// (sys.setswitchinterval)
    #[arg(long, value_name = "DURATION", default_value = "5ms", allow_hyphen_values = true,
          value_parser = switch_interval)]
    pub(crate) switch_interval: Duration,

    /// Old GIL: steps between the holder's release and immediate re-acquire (sys.setcheckinterval)
    #[arg(long, value_name = "STEPS", default_value = "100", allow_hyphen_values = true,
          value_parser = ranged::<1, MAX_CHECK_INTERVAL>)]
    pub(crate) check_interval: u64,

    /// Work per step, between two checks of the lock (where the interpreter checks its eval
    /// breaker)
    #[arg(long, value_name = "DURATION", default_value = "5us", allow_hyphen_values = true,
          value_parser = check_every)]
    pub(crate) check_every: Duration,

    /// How long each I/O request waits, with the lock released (io and mixed workloads)
    #[arg(long, value_name = "DURATION", default_value = "1ms", allow_hyphen_values = true,
          value_parser = io_wait)]
    pub(crate) io_wait: Duration,

    /// Requests per I/O thread [default: as many as take about as long as one CPU task]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_REQUESTS>)]
    pub(crate) requests: Option<u64>,

    /// Also run the same work in real CPython, in the same rounds: sequential, threads and
    /// processes (multiprocessing), beside the model [PATH default: python3 on PATH]
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "python3")]
    pub(crate) python: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub(crate) work: WorkArgs,

    #[command(flatten)]
    pub(crate) timeline: TimelineArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RaceArgs {
    /// Threads changing the counter, half incrementing and half decrementing (even, at least 2)
    #[arg(long, value_name = "N", default_value = "2", allow_hyphen_values = true, value_parser = race_threads)]
    pub(crate) threads: u64,

    /// Changes each thread makes to the counter per run
    #[arg(long, value_name = "N", default_value = "1000000", allow_hyphen_values = true,
          value_parser = ranged::<1, { race::MAX_ITERATIONS }>)]
    pub(crate) iterations: u64,

    /// Measured runs per mode (every final value is reported)
    #[arg(long, value_name = "N", default_value = "10", allow_hyphen_values = true, value_parser = ranged::<1, MAX_RUNS>)]
    pub(crate) runs: u64,

    /// Unmeasured runs per mode before the measured ones
    #[arg(long, value_name = "N", default_value = "1", allow_hyphen_values = true, value_parser = ranged::<0, MAX_RUNS>)]
    pub(crate) warmup: u64,

    /// Ways to share the counter, comma-separated or repeated [default: all, in this order]
    #[arg(long, value_name = "MODE", value_enum, value_delimiter = ',')]
    pub(crate) mode: Vec<SharingArg>,

    /// Pin every thread to one CPU (the first this process may use): races without parallelism
    #[arg(long)]
    pub(crate) one_core: bool,

    #[command(flatten)]
    pub(crate) timeline: TimelineArgs,
}

/// `conpar maxprocs`: the scaling sweep.
#[derive(Debug, Args)]
pub(crate) struct MaxprocsArgs {
    /// Pool sizes P to measure, e.g. 1,2,4 [default: every P up to the CPUs (at most 8), then
    /// powers of two up to twice the CPUs, and the worker limit]
    #[arg(long, value_name = "P,...", value_delimiter = ',', allow_hyphen_values = true,
          value_parser = ranged::<1, MAX_THREADS>)]
    pub(crate) procs: Option<Vec<u64>>,

    /// Tasks the work of one run is split into [default: 8 per CPU, at least the largest P]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = ranged::<1, MAX_TASKS>)]
    pub(crate) tasks: Option<u64>,

    /// Fraction F of every task run on one thread before the rest runs on the pool (0 <= F < 1)
    #[arg(long, value_name = "F", default_value = "0", allow_hyphen_values = true,
          value_parser = serial_fraction)]
    pub(crate) serial_fraction: f64,

    /// Also draw the speedup curve as an SVG picture to this file
    #[arg(long, value_name = "FILE.svg")]
    pub(crate) plot: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) work: SweepWorkArgs,
}

/// How much work one run of the sweep does (the same for every P) and how often it runs.
#[derive(Debug, Args)]
#[command(next_help_heading = "Work options")]
pub(crate) struct SweepWorkArgs {
    /// Kernel units per task, exactly (repeats a sweep exactly; see `unit_ns` in the report)
    #[arg(long, value_name = "N", conflicts_with = "total_time",
          allow_hyphen_values = true, value_parser = ranged::<1, MAX_UNITS>)]
    pub(crate) units: Option<u64>,

    /// Work of one run, all tasks together, as a time on one CPU of this machine (calibrated)
    #[arg(long, value_name = "DURATION", default_value = "800ms", allow_hyphen_values = true,
          value_parser = task_time)]
    pub(crate) total_time: Duration,

    /// Seed of the kernel: the same seed and units always give the same checksum
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,

    /// Measured runs per P (the median, min and max are reported)
    #[arg(long, value_name = "N", default_value = "3", allow_hyphen_values = true, value_parser = ranged::<1, MAX_RUNS>)]
    pub(crate) runs: u64,

    /// Unmeasured warm-up rounds over every P, before the measured ones
    #[arg(long, value_name = "N", default_value = "1", allow_hyphen_values = true, value_parser = ranged::<0, MAX_WARMUP>)]
    pub(crate) warmup: u64,
}
