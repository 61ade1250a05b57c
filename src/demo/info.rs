//! `conpar info`: the CPU facts every other figure depends on, and how busy the machine's CPUs
//! are right now.

use crate::engine::Env;
use crate::interference::{Interference, Reading, Rounds, Verdict};
use crate::model::{Report, Timeline};
use std::time::Duration;

/// How long `info` watches the CPUs to say what other programs are taking now.
pub(crate) const LOOK: Duration = Duration::from_millis(250);

pub(crate) fn run(env: &Env) -> Report {
    of_look(env, &env.look(LOOK))
}

/// The report of `info` on a look at the CPUs already taken (the tour's, shorter than
/// [`LOOK`], from which it also chooses the CPU of its first one-CPU section).
pub(crate) fn of_look(env: &Env, reading: &Reading) -> Report {
    let machine = env.machine.clone();
    let watch = env.mask();
    let interference = Interference::of(reading, &watch, Rounds::default());
    let mut notes = Vec::new();
    if machine.available_parallelism < machine.logical_cpus {
        notes.push(format!(
            "This process may use {} of the machine's {}, limited by {}.",
            machine.available_parallelism,
            crate::sys::cpus_phrase(machine.logical_cpus as f64),
            machine.limited_by
        ));
    }
    if machine.physical_cores < machine.logical_cpus {
        notes.push(format!(
            "{} logical CPUs share {} physical cores (SMT): two busy hyper-threads of one core do not give twice the throughput.",
            machine.logical_cpus, machine.physical_cores
        ));
    }
    // What parallelism can give here is the CPU capacity, not the pool size Rust would pick.
    let possible = crate::claims::parallel_possible(&machine);
    if possible.holds == Some(false) || machine.cgroup_quota_cpus.is_some() {
        notes.push(possible.text.clone());
    }
    let claims = vec![possible];
    notes.push(now(&interference));
    super::report(
        crate::model::Demo::Info,
        machine,
        Vec::new(),
        Timeline::default(),
        interference,
        claims,
        notes,
    )
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
