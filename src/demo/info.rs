//! `conpar info`: the CPU facts every other figure depends on.

use crate::report::{Report, SCHEMA, Timeline};
use crate::sys::Machine;

pub fn run() -> Report {
    let machine = Machine::detect();
    let mut notes = Vec::new();
    if machine.available_parallelism < machine.logical_cpus {
        notes.push(format!(
            "This process may use {} of the machine's {} CPUs, limited by {}.",
            machine.available_parallelism, machine.logical_cpus, machine.limited_by
        ));
    }
    if machine.physical_cores < machine.logical_cpus {
        notes.push(format!(
            "{} logical CPUs share {} physical cores (SMT): two busy hyper-threads of one core do not give twice the throughput.",
            machine.logical_cpus, machine.physical_cores
        ));
    }
    if machine.available_parallelism == 1 {
        notes.push(
            "Only one CPU is available: concurrency still works here, parallelism cannot.".into(),
        );
    }
    Report {
        schema: SCHEMA,
        demo: "info".into(),
        machine,
        workload: None,
        results: Vec::new(),
        extra: serde_json::Map::new(),
        timeline: Timeline::default(),
        notes,
    }
}
