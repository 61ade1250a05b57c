//! Scripted runs on a fixed clock, for tests: what hyperfine's `MockExecutor` is to its
//! commands, a [`Script`] is to conpar's executors.
//!
//! An [`Env`](super::Env) made with [`Env::scripted`](super::Env::scripted) runs no work: for
//! each run the engine asks the script, which lays the run's tasks out on the machine's CPUs
//! from what the demo said of the run (its workers, the CPUs it is pinned to, its estimate)
//! and moves a clock and the CPU counters by what it laid out. Everything after that, the
//! rounds, the oracle, the interference verdicts, the claims, the notes and every renderer, is
//! the real code over these runs, so a demo and the whole tour render the same on every
//! machine: 1 CPU, a 1.5-CPU quota, a busy machine or 64 CPUs, whatever runs the tests.
//!
//! The layout: the tasks go to the workers in turn, and one worker runs its tasks one after
//! another (all of them at once, taking turns, where the runner interleaves them: green
//! threads). Every worker runs at once, one per CPU it may use (one in all under a lock),
//! and workers that share a CPU take turns in [`Script::quantum`]s. A run's wall time is its
//! estimate, which the demo made for as many workers at once as the mask and quota allow,
//! scaled to the CPU time the quota and other programs leave those workers, times the
//! run's factor.

use crate::exec::Run;
use crate::interference::Scripted;
use crate::sys::{ContextSwitches, Machine};
use crate::trace::Slice;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The checksum every scripted run gives where no value is known beforehand.
const CHECKSUM: u64 = 0x5eed_cafe;

/// About this many slices at most in one run: the quantum grows for long runs, so that
/// snapshots stay small enough to read.
const MAX_SLICES: f64 = 64.0;

/// How a scripted machine behaves.
#[derive(Debug)]
pub(crate) struct Script {
    /// The cost of one kernel unit, in place of calibrating the kernel.
    pub(crate) unit_ns: f64,
    /// CPUs of time other programs hold, filling CPUs from the first of the mask: one entry
    /// per run or look, taken in turn and from the start again after the last.
    pub(crate) others: Vec<f64>,
    /// Each measured run's factor on the wall time, one per run or look in turn: real runs
    /// vary.
    pub(crate) jitter: Vec<f64>,
    /// How long a worker runs before another on its CPU takes a turn.
    pub(crate) quantum: Duration,
    /// What the unsynchronised race's counter ends at (0: no update lost).
    pub(crate) race_ends_at: i64,
    /// The cost of one switch between OS threads or processes, and between green tasks, for
    /// the switch-cost probes.
    pub(crate) switch_ns: f64,
    pub(crate) green_switch_ns: f64,
    /// The CPUs this process may use, and how many CPUs of time the quota allows.
    mask: Vec<usize>,
    capacity: f64,
    counters: Arc<Mutex<Scripted>>,
    /// Runs and looks so far: which entry of `others` comes next.
    steps: Mutex<usize>,
}

/// What the engine tells the script of one run.
pub(crate) struct RunSpec<'a> {
    pub(crate) workers: usize,
    pub(crate) estimate: Duration,
    pub(crate) tasks: usize,
    pub(crate) pinned: Option<&'a [usize]>,
    pub(crate) interleaving: bool,
    pub(crate) one_at_a_time: bool,
    /// The measured round, or `None` for a warm-up.
    pub(crate) round: Option<usize>,
    pub(crate) checksum: Option<u64>,
}

impl Script {
    /// A quiet machine with `machine`'s CPUs, mask and quota: a unit costs 1 µs, rounds vary
    /// by a few percent, the quantum is 1 ms, the race loses updates, an OS switch costs 1.5 µs and a green one 120 ns.
    pub(crate) fn new(machine: &Machine) -> Script {
        let mask = machine
            .affinity
            .clone()
            .unwrap_or_else(|| (0..machine.logical_cpus).collect());
        let capacity = machine
            .cgroup_quota_cpus
            .unwrap_or(f64::INFINITY)
            .min(mask.len() as f64);
        Script {
            unit_ns: 1000.0,
            others: vec![0.0],
            jitter: vec![1.0, 1.03, 0.98, 1.01, 0.97, 1.02, 0.99],
            quantum: Duration::from_millis(1),
            race_ends_at: -4_181,
            switch_ns: 1500.0,
            green_switch_ns: 120.0,
            capacity,
            counters: Arc::new(Mutex::new(Scripted::new(&mask))),
            mask,
            steps: Mutex::new(0),
        }
    }

    /// The counters the scripted meter reads.
    pub(crate) fn counters(&self) -> Arc<Mutex<Scripted>> {
        Arc::clone(&self.counters)
    }

    /// The script's clock now.
    pub(crate) fn now(&self) -> std::time::Instant {
        let counters = self.counters.lock().expect("scripted counters");
        counters.born + counters.now
    }

    /// The next step (run or look): other programs' load in it, and its factor on the wall
    /// time.
    fn next_step(&self) -> (f64, f64) {
        let mut steps = self.steps.lock().expect("scripted steps");
        let others = self.others[*steps % self.others.len().max(1)];
        let jitter = self.jitter[*steps % self.jitter.len().max(1)];
        *steps += 1;
        (others, jitter)
    }

    /// The load other programs put on `cpu` when they hold `others` CPUs.
    fn others_on(&self, cpu: usize, others: f64) -> f64 {
        let at = self.mask.iter().position(|&c| c == cpu).unwrap_or(0);
        crate::interference::filled_from_the_first(others, at)
    }

    /// Moves the clock by `wall`, in which this process ran `own` on each CPU and other
    /// programs held `others` CPUs.
    fn advance(&self, wall: Duration, own: &BTreeMap<usize, Duration>, others: f64) {
        let mut counters = self.counters.lock().expect("scripted counters");
        counters.now += wall;
        for (&cpu, &time) in own {
            counters.own += time;
            *counters.busy.entry(cpu).or_default() += time;
        }
        for &cpu in &self.mask {
            *counters.busy.entry(cpu).or_default() += wall.mul_f64(self.others_on(cpu, others));
        }
    }

    /// A look at the CPUs for `duration`: the clock moves, nothing of this process runs.
    pub(crate) fn look(&self, duration: Duration) {
        let (others, _) = self.next_step();
        self.advance(duration, &BTreeMap::new(), others);
    }

    /// A switch-cost probe of `rounds` round trips on `cpu`, or of green tasks where `cpu` is
    /// `None`; the clock moves by its time.
    pub(crate) fn switch_probe(
        &self,
        cpu: Option<usize>,
        rounds: u64,
    ) -> crate::exec::switch_cost::Probe {
        let switch_ns = if cpu.is_some() {
            self.switch_ns
        } else {
            self.green_switch_ns
        };
        let round_trip_ns = 2.0 * switch_ns;
        let elapsed = Duration::from_secs_f64(rounds as f64 * round_trip_ns / 1e9);
        let (others, _) = self.next_step();
        let own = cpu.map_or_else(BTreeMap::new, |c| BTreeMap::from([(c, elapsed)]));
        self.advance(elapsed, &own, others);
        crate::exec::switch_cost::Probe {
            ns: Some(switch_ns),
            cpu,
            round_trips: rounds,
            asked_round_trips: rounds,
            cut_by_budget: false,
            budget_ms: crate::exec::switch_cost::PROBE_BUDGET.as_secs_f64() * 1e3,
            elapsed_ms: elapsed.as_secs_f64() * 1e3,
            median_round_trip_ns: round_trip_ns,
            stretched: 0,
            switched: cpu.map(|_| rounds),
            unmeasured: None,
        }
    }

    /// One run, laid out as the module doc says, and the clock moved past it.
    pub(crate) fn run(&self, spec: &RunSpec<'_>) -> Run {
        let (others, jitter) = self.next_step();
        let mut cpus: Vec<usize> = spec.pinned.map_or_else(|| self.mask.clone(), <[_]>::to_vec);
        // Work goes to the CPUs other programs leave most of.
        cpus.sort_by(|a, b| {
            self.others_on(*a, others)
                .total_cmp(&self.others_on(*b, others))
        });
        let workers = spec.workers.max(1);
        let estimate = spec.estimate.max(Duration::from_micros(1));
        // A demo estimates a run at as many workers at once as the CPU time it may use allows
        // (one under a lock or on one pinned CPU); the script runs as many as there are CPUs
        // for, and they get what the quota and other programs leave.
        let most = if spec.one_at_a_time { 1 } else { workers };
        let assumed = (most.min(cpus.len()) as f64).min(self.capacity).max(1.0);
        let lanes = most.min(cpus.len()).max(1);
        let lane_cpus = &cpus[..lanes];
        let left: f64 = lane_cpus
            .iter()
            .map(|&c| 1.0 - self.others_on(c, others))
            .sum::<f64>()
            .min(self.capacity)
            .max(0.25);
        let jitter = if spec.round.is_some() { jitter } else { 1.0 };
        let wall = estimate.mul_f64(assumed / left.min(lanes as f64) * jitter);

        let mut slices = Vec::new();
        let mut switches = 0;
        for (lane, &cpu) in lane_cpus.iter().enumerate() {
            // What takes turns on this lane: each worker's tasks in order, or each task.
            let mut turns: Vec<(usize, Vec<usize>)> = Vec::new();
            for worker in (lane..workers).step_by(lanes) {
                let tasks: Vec<usize> = (worker..spec.tasks).step_by(workers).collect();
                if spec.interleaving {
                    turns.extend(tasks.into_iter().map(|t| (worker, vec![t])));
                } else if !tasks.is_empty() {
                    turns.push((worker, tasks));
                }
            }
            let tasks_here: usize = turns.iter().map(|(_, t)| t.len()).sum();
            if tasks_here == 0 {
                continue;
            }
            let per_task = wall.as_nanos() as f64 / tasks_here as f64;
            let quantum = (self.quantum.as_nanos() as f64)
                .max(wall.as_nanos() as f64 * turns.len() as f64 / MAX_SLICES);
            // Each turn's tasks, each with the time it still needs.
            let mut left: Vec<(usize, Vec<(usize, f64)>)> = turns
                .into_iter()
                .map(|(w, tasks)| (w, tasks.into_iter().map(|t| (t, per_task)).collect()))
                .collect();
            let mut at = 0.0;
            let mut last = None;
            loop {
                let active = left.iter().filter(|(_, tasks)| !tasks.is_empty()).count();
                if active == 0 {
                    break;
                }
                for (worker, tasks) in &mut left {
                    let Some((task, need)) = tasks.first_mut() else {
                        continue;
                    };
                    // A worker alone on its CPU runs its task to the end.
                    let took = if active == 1 {
                        *need
                    } else {
                        need.min(quantum)
                    };
                    slices.push(Slice::from_ns(
                        *worker,
                        *task,
                        Some(cpu),
                        at as u64,
                        (at + took) as u64,
                    ));
                    if last.is_some_and(|l| l != *worker) {
                        switches += 1;
                    }
                    last = Some(*worker);
                    at += took;
                    *need -= took;
                    if *need <= 0.5 {
                        tasks.remove(0);
                    }
                }
            }
        }
        let run = Run {
            wall,
            checksum: spec.checksum.unwrap_or(CHECKSUM),
            slices,
            context_switches: Some(ContextSwitches {
                voluntary: 0,
                involuntary: switches,
            }),
        };
        self.advance(wall, &super::work_by_cpu(&run), others);
        run
    }
}
