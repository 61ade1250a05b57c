//! `conpar info`: the CPU facts every other figure depends on, and how busy the machine's CPUs
//! are right now.

use crate::engine::Env;
use crate::interference::{Interference, Reading, Rounds, Verdict};
use crate::model::{Report, Timeline};
use crate::sys::{Machine, Topology, cpu_list};
use std::fmt::Write as _;
use std::time::Duration;

/// How long `info` watches the CPUs to say what other programs are taking now.
pub(crate) const LOOK: Duration = Duration::from_millis(250);

pub(crate) fn run(env: &Env) -> Report {
    of_look(env, &env.look(LOOK))
}

/// The report of `info` on a look at the CPUs already taken (the tour's, shorter than
/// [`LOOK`], from which it also chooses the CPU of its first one-CPU section).
pub(crate) fn of_look(env: &Env, reading: &Reading) -> Report {
    let interference = Interference::of(reading, &env.mask(), Rounds::default());
    let now = now(&interference);
    of_machine(env.machine.clone(), interference, now)
}

/// The report of `info --sysroot DIR`: the facts of the machine copied below DIR, with no look
/// at any CPU (they are not this machine's).
pub(crate) fn of_tree(machine: Machine) -> Report {
    let root = machine
        .sysroot
        .as_ref()
        .map_or_else(String::new, |r| r.display().to_string());
    let read = format!(
        "Read from the files below {root}, not measured: these are that machine's facts, and how busy its CPUs are is not known."
    );
    of_machine(machine, Interference::none(), read)
}

fn of_machine(machine: Machine, interference: Interference, now: String) -> Report {
    let mut notes = Vec::new();
    if machine.available_parallelism < machine.logical_cpus {
        notes.push(format!(
            "This process may use {} of the machine's {}, limited by {}.",
            machine.available_parallelism,
            crate::sys::cpus_phrase(machine.logical_cpus as f64),
            machine.limited_by
        ));
    }
    match &machine.topology {
        Some(topology) => notes.extend(topology_notes(topology)),
        None if machine.physical_cores < machine.logical_cpus => notes.push(format!(
            "{} logical CPUs share {} physical cores (SMT): two busy hyper-threads of one core do not give twice the throughput.",
            machine.logical_cpus, machine.physical_cores
        )),
        None => {}
    }
    // What parallelism can give here is the CPU capacity, not the pool size Rust would pick.
    let possible = crate::claims::parallel_possible(&machine);
    if possible.holds == Some(false) || machine.cgroup_quota_cpus.is_some() {
        notes.push(possible.text.clone());
    }
    let claims = vec![possible];
    notes.push(now);
    Report {
        notes,
        ..super::report(
            crate::model::Demo::Info,
            machine,
            Vec::new(),
            Timeline::default(),
            interference,
            claims,
        )
    }
}

/// What the topology means for every speedup conpar measures: that hardware threads of one
/// core are not two cores, and that slower cores are not a serial part. Nothing where every
/// core is alike and runs one thread.
fn topology_notes(topology: &Topology) -> Vec<String> {
    let mut notes = Vec::new();
    let shared: Vec<&Vec<usize>> = topology
        .cores
        .iter()
        .map(|c| &c.cpus)
        .filter(|cpus| cpus.len() > 1)
        .collect();
    if let Some(most) = shared.iter().map(|cpus| cpus.len()).max() {
        let cores = topology.cores.len();
        let which = if shared.len() == cores {
            format!("{cores} cores with {most} hardware threads each")
        } else {
            format!(
                "{cores} cores, {} of them with {most} hardware threads each",
                shared.len()
            )
        };
        notes.push(format!(
            "The {} logical CPUs are {which} (SMT; {}): busy threads of one core share its execution units, so they give much less than {most} times one thread's throughput.",
            topology.cpus.len(),
            siblings_example(&shared)
        ));
    }
    if topology.core_types.len() > 1 {
        let kinds: Vec<String> = topology
            .core_types
            .iter()
            .map(|t| {
                let noun = crate::sys::plural(t.cores, &crate::sys::core_noun(&t.name, false));
                let capacity = t
                    .sched_capacity
                    .map_or_else(String::new, |c| format!(", capacity {c} of 1024"));
                format!("{} {noun} (CPUs {}{capacity})", t.cores, cpu_list(&t.cpus))
            })
            .collect();
        notes.push(format!(
            "Cores differ: {}. The same work takes longer on a slower core, so a speedup over all CPUs falls short of their count even with no serial part and no contention.",
            join_and(&kinds)
        ));
    }
    notes
}

/// "CPUs 0 and 8 share a core, 1 and 9 another, …": the first cores with several threads.
fn siblings_example(shared: &[&Vec<usize>]) -> String {
    let threads = |cpus: &[usize]| match cpus {
        [a, b] => format!("{a} and {b}"),
        more => cpu_list_plain(more),
    };
    let mut text = format!("CPUs {} share a core", threads(shared[0]));
    if let Some(second) = shared.get(1) {
        let _ = write!(text, ", {} another", threads(second));
    }
    if shared.len() > 2 {
        text.push_str(", …");
    }
    text
}

/// "0,1,2,3": CPUs one by one.
fn cpu_list_plain(cpus: &[usize]) -> String {
    cpus.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// "a", "a and b", "a, b and c".
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What the other programs are taking now, as far as the counters tell.
fn now(i: &Interference) -> String {
    let look = i.wall_ms.round();
    let watched = crate::sys::cpus_phrase(i.watched_cpus.len() as f64);
    match (i.others_cpus, i.verdict) {
        (None, _) => "How busy the CPUs are cannot be told here: this system does not offer per-CPU counters (/proc/stat).".into(),
        (Some(o), Verdict::Disturbed) => format!(
            "Busy right now: other programs used {o:.2} of the {} this process may use over {look} ms{}; figures measured now would be disturbed.",
            watched,
            i.busiest_cpu.map_or_else(String::new, |c| format!(", mostly cpu{c}"))
        ),
        (Some(o), Verdict::Quiet) => format!(
            "Quiet right now: other programs used {o:.2} of the {watched} this process may use over {look} ms."
        ),
        (Some(o), Verdict::Unknown) => format!(
            "Other programs used {o:.2} of the {} this process may use over {look} ms, give or take {:.2}: too close to the threshold of {} to call quiet or busy.",
            watched,
            i.resolution_cpus.unwrap_or(0.0),
            i.threshold_cpus
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cpu_is_one_cpu_in_the_sentence() {
        let mut one = Interference::none();
        one.watched_cpus = vec![0];
        one.others_cpus = Some(0.0);
        one.verdict = Verdict::Quiet;
        one.wall_ms = 150.0;
        let text = now(&one);
        assert!(
            text.contains("of the 1 CPU this process may use over 150 ms"),
            "{text}"
        );
        one.watched_cpus = vec![0, 1];
        assert!(
            now(&one).contains("of the 2 CPUs this process"),
            "{}",
            now(&one)
        );
    }
}
