//! The worker limit, GOMAXPROCS-style: how many workers a pool gets, where that number comes
//! from, and what each runtime would choose on this machine.
//!
//! Go has one knob for how many threads run Go code at once, `GOMAXPROCS`; conpar has the same
//! one: `--maxprocs N`, or `CONPAR_MAXPROCS=N` in the environment, sets the worker limit of
//! every subcommand that uses a pool, and reports say which limit was used and where it came
//! from. Without either, the limit is what Rust's `std::thread::available_parallelism` says.
//!
//! Runtimes pick their default from the same three facts (the logical CPUs, the affinity mask,
//! the cgroup CPU quota) by different rules, and the difference shows on a machine with a
//! fractional quota (1.5 CPUs: Rust 1, Go 2):
//!
//! - Rust's `available_parallelism`: the CPUs of the affinity mask (or the online CPUs), capped
//!   by the quota rounded *down*, never below 1.
//! - rayon's default pool ([`rayon_default`], rayon-core's rule): `RAYON_NUM_THREADS` when it
//!   is a positive number, otherwise (where it is unset or not a number, not where it is 0)
//!   the deprecated `RAYON_RS_NUM_CPUS` when that is a positive number, otherwise Rust's value.
//! - Go 1.25's default `GOMAXPROCS`: the `GOMAXPROCS` variable when it is a positive number,
//!   otherwise the CPUs of the affinity mask capped by the quota rounded *up*, where the quota
//!   never counts for less than 2 (so only a machine with one CPU gets 1).
//!
//! The rules are pure functions of those facts, so tests feed them synthetic machines; the
//! facts themselves come from [`crate::sys`] (which reads the quota of the process's own cgroup,
//! the leaf, as Go does).

use crate::sys::{CpuFacts, Machine, rayon_default};
use serde::Serialize;

/// The environment variable that sets the worker limit, like `GOMAXPROCS` for Go.
pub(crate) const ENV: &str = "CONPAR_MAXPROCS";

/// Where the worker limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Source {
    /// The `--maxprocs` flag.
    #[serde(rename = "--maxprocs")]
    Flag,
    /// The `CONPAR_MAXPROCS` environment variable.
    #[serde(rename = "CONPAR_MAXPROCS")]
    Env,
    /// Neither: Rust's `std::thread::available_parallelism`.
    #[serde(rename = "available_parallelism")]
    Default,
}

impl Source {
    /// How reports name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Source::Flag => "--maxprocs",
            Source::Env => ENV,
            Source::Default => "available_parallelism",
        }
    }
}

/// The worker limit in force and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    pub(crate) workers: usize,
    pub(crate) source: Source,
}

impl Limit {
    /// The limit set by `--maxprocs` or `CONPAR_MAXPROCS` (already validated), or else the
    /// `available` parallelism.
    pub(crate) fn resolve(given: Option<(usize, Source)>, available: usize) -> Limit {
        match given {
            Some((workers, source)) => Limit { workers, source },
            None => Limit {
                workers: available.max(1),
                source: Source::Default,
            },
        }
    }

    /// The default limit of this process: Rust's available parallelism (for tests; the
    /// command line resolves its own from `--maxprocs` and the environment).
    #[cfg(test)]
    pub(crate) fn default_here() -> Limit {
        Limit::resolve(
            None,
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        )
    }
}

/// Rust's `std::thread::available_parallelism` on Linux: the affinity count capped by the
/// quota rounded down, never below 1.
pub(crate) fn rust_default(facts: &CpuFacts) -> usize {
    crate::sys::rust_available(facts.schedulable(), facts.quota)
}

/// Go 1.25's default `GOMAXPROCS`, given the value of the `GOMAXPROCS` variable: the affinity
/// count capped by the quota rounded up, where the quota counts for at least 2.
pub(crate) fn go_default(facts: &CpuFacts, gomaxprocs: Option<&str>) -> usize {
    if let Some(n) = gomaxprocs
        .and_then(|s| s.parse::<i32>().ok())
        .filter(|&n| n > 0)
    {
        return n as usize;
    }
    let cpus = facts.schedulable();
    match facts.quota {
        Some(q) => cpus.min((q.ceil() as usize).max(2)),
        None => cpus,
    }
}

/// What each runtime would choose here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RuntimeDefaults {
    /// `std::thread::available_parallelism()` by its rule.
    pub(crate) rust: usize,
    /// rayon's default pool.
    pub(crate) rayon: usize,
    /// Go 1.25's default `GOMAXPROCS`.
    pub(crate) go: usize,
    /// The runtime variables that were set and override a default (`RAYON_NUM_THREADS`, ...).
    pub(crate) overridden_by: Vec<String>,
}

impl RuntimeDefaults {
    /// The defaults for `facts`, with the runtime variables read by `env`.
    pub(crate) fn of(facts: &CpuFacts, env: impl Fn(&str) -> Option<String>) -> RuntimeDefaults {
        let gomaxprocs = env("GOMAXPROCS");
        let rust = rust_default(facts);
        let rayon = rayon_default(&env, rust);
        let go = go_default(facts, gomaxprocs.as_deref());
        let mut overridden_by: Vec<String> = rayon.set_by.into_iter().map(String::from).collect();
        if gomaxprocs
            .as_deref()
            .and_then(|s| s.parse::<i32>().ok())
            .is_some_and(|n| n > 0)
        {
            overridden_by.push("GOMAXPROCS".into());
        }
        RuntimeDefaults {
            rust,
            rayon: rayon.threads,
            go,
            overridden_by,
        }
    }
}

/// The report's `maxprocs` object: the limit used, where it came from, and the facts and
/// runtime defaults behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaxprocsReport {
    /// The worker limit used.
    pub(crate) limit: usize,
    /// `"--maxprocs"`, `"CONPAR_MAXPROCS"` or `"available_parallelism"`.
    pub(crate) source: Source,
    pub(crate) logical_cpus: usize,
    pub(crate) affinity_cpus: Option<usize>,
    pub(crate) cgroup_quota_cpus: Option<f64>,
    /// CPUs' worth of time this process can use at once: min(affinity, quota).
    pub(crate) cpu_capacity: f64,
    /// What Rust, rayon and Go 1.25 would choose here.
    pub(crate) defaults: RuntimeDefaults,
    /// What `std::thread::available_parallelism()` actually returned (it may see a quota
    /// higher up the cgroup tree that the rule above, like Go, does not read).
    pub(crate) available_parallelism: usize,
}

impl MaxprocsReport {
    /// The report for `limit` on `machine`, reading the runtime variables from the environment.
    pub(crate) fn new(limit: Limit, machine: &Machine) -> MaxprocsReport {
        let facts = CpuFacts::of(machine);
        MaxprocsReport {
            limit: limit.workers,
            source: limit.source,
            logical_cpus: facts.online,
            affinity_cpus: facts.in_mask,
            cgroup_quota_cpus: facts.quota,
            cpu_capacity: facts.capacity(),
            defaults: RuntimeDefaults::of(&facts, |name| std::env::var(name).ok()),
            available_parallelism: machine.available_parallelism,
        }
    }

    /// Plain sentences about the limit, for a report's notes.
    pub(crate) fn notes(&self) -> Vec<String> {
        let affinity = self
            .affinity_cpus
            .map_or_else(|| "unknown".into(), |n| n.to_string());
        let quota = self
            .cgroup_quota_cpus
            .map_or_else(|| "none".into(), |q| format!("{q:.2} CPUs"));
        let mut notes = vec![format!(
            "Worker limit {} (from {}). Here {} logical CPUs, {} in the affinity mask, cgroup quota {}: Rust's available_parallelism would choose {}, rayon {}, Go 1.25's GOMAXPROCS {}.",
            self.limit,
            self.source.name(),
            self.logical_cpus,
            affinity,
            quota,
            self.defaults.rust,
            self.defaults.rayon,
            self.defaults.go,
        )];
        if !self.defaults.overridden_by.is_empty() {
            notes.push(format!(
                "Set in the environment and overriding a runtime's own rule: {}.",
                self.defaults.overridden_by.join(", ")
            ));
        }
        if self.defaults.rust != self.available_parallelism {
            notes.push(format!(
                "std::thread::available_parallelism() says {} where the rule gives {}: a quota higher up the cgroup tree limits it.",
                self.available_parallelism, self.defaults.rust
            ));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::cgroup::{cgroup_quota_at, parse_cfs, parse_cpu_max};
    use crate::sys::{RayonDefault, cpus_phrase};
    use std::fs;

    fn facts(logical: usize, affinity: Option<usize>, quota: Option<f64>) -> CpuFacts {
        CpuFacts {
            online: logical,
            in_mask: affinity,
            quota,
        }
    }

    #[test]
    fn cpus_read_as_people_write_them() {
        assert_eq!(cpus_phrase(1.0), "1 CPU");
        assert_eq!(cpus_phrase(2.0), "2 CPUs");
        assert_eq!(cpus_phrase(1.5), "1.50 CPUs");
    }

    #[test]
    fn a_fractional_quota_splits_rust_and_go() {
        let f = facts(8, Some(8), Some(1.5));
        assert_eq!(rust_default(&f), 1);
        assert_eq!(go_default(&f, None), 2);
        assert_eq!(f.capacity(), 1.5);
    }

    #[test]
    fn rust_rounds_the_quota_down_and_never_goes_below_one() {
        assert_eq!(rust_default(&facts(4, None, None)), 4);
        assert_eq!(rust_default(&facts(4, Some(2), None)), 2);
        assert_eq!(rust_default(&facts(4, Some(4), Some(2.9))), 2);
        assert_eq!(rust_default(&facts(4, Some(4), Some(0.5))), 1);
        assert_eq!(rust_default(&facts(4, Some(2), Some(3.5))), 2);
        assert_eq!(rust_default(&facts(0, None, None)), 1);
    }

    #[test]
    fn go_rounds_the_quota_up_with_a_floor_of_two() {
        assert_eq!(go_default(&facts(4, Some(4), None), None), 4);
        assert_eq!(go_default(&facts(4, Some(4), Some(2.1)), None), 3);
        assert_eq!(go_default(&facts(4, Some(4), Some(0.25)), None), 2);
        // Fewer CPUs than 2: the floor of 2 does not apply.
        assert_eq!(go_default(&facts(4, Some(1), Some(0.25)), None), 1);
        assert_eq!(go_default(&facts(1, None, Some(0.5)), None), 1);
        // The affinity mask caps it as for Rust.
        assert_eq!(go_default(&facts(64, Some(3), Some(16.0)), None), 3);
        // GOMAXPROCS wins when it is a positive number.
        assert_eq!(go_default(&facts(4, None, None), Some("7")), 7);
        assert_eq!(go_default(&facts(4, None, None), Some("0")), 4);
        assert_eq!(go_default(&facts(4, None, None), Some("x")), 4);
    }

    /// rayon's default for `RAYON_NUM_THREADS` and `RAYON_RS_NUM_CPUS` set as given.
    fn rayon_with(
        num_threads: Option<&str>,
        rs_num_cpus: Option<&str>,
        rust: usize,
    ) -> RayonDefault {
        rayon_default(
            |name| match name {
                "RAYON_NUM_THREADS" => num_threads.map(String::from),
                "RAYON_RS_NUM_CPUS" => rs_num_cpus.map(String::from),
                _ => None,
            },
            rust,
        )
    }

    #[test]
    fn rayon_follows_its_variables_then_rust() {
        let rd = |threads, set_by| RayonDefault { threads, set_by };
        assert_eq!(rayon_with(None, None, 3), rd(3, None));
        assert_eq!(
            rayon_with(Some("5"), None, 3),
            rd(5, Some("RAYON_NUM_THREADS"))
        );
        assert_eq!(
            rayon_with(Some("5"), Some("9"), 3),
            rd(5, Some("RAYON_NUM_THREADS"))
        );
        // The deprecated variable decides where the new one is unset or not a number...
        assert_eq!(
            rayon_with(None, Some("9"), 3),
            rd(9, Some("RAYON_RS_NUM_CPUS"))
        );
        assert_eq!(
            rayon_with(Some("x"), Some("9"), 3),
            rd(9, Some("RAYON_RS_NUM_CPUS"))
        );
        // ...but not where the new one is 0: that asks for the default.
        assert_eq!(rayon_with(Some("0"), Some("9"), 3), rd(3, None));
        assert_eq!(rayon_with(None, Some("0"), 3), rd(3, None));
        // Parsed as rayon parses it: no trimming, no signs.
        assert_eq!(rayon_with(Some(" 5"), None, 3), rd(3, None));
        assert_eq!(rayon_with(None, Some("-2"), 3), rd(3, None));
        // Capped where rayon caps it.
        let huge = (rayon::max_num_threads() + 1).to_string();
        assert_eq!(
            rayon_with(Some(&huge), None, 3),
            rd(rayon::max_num_threads(), Some("RAYON_NUM_THREADS"))
        );
    }

    #[test]
    fn runtime_defaults_say_what_overrides_them() {
        let f = facts(8, Some(8), Some(1.5));
        let none = RuntimeDefaults::of(&f, |_| None);
        assert_eq!((none.rust, none.rayon, none.go), (1, 1, 2));
        assert!(none.overridden_by.is_empty());
        let set = RuntimeDefaults::of(&f, |name| match name {
            "RAYON_NUM_THREADS" => Some("6".into()),
            "GOMAXPROCS" => Some("2".into()),
            _ => None,
        });
        assert_eq!((set.rust, set.rayon, set.go), (1, 6, 2));
        assert_eq!(set.overridden_by, ["RAYON_NUM_THREADS", "GOMAXPROCS"]);
        // The variable named is the one that decided.
        let deprecated = RuntimeDefaults::of(&f, |name| {
            (name == "RAYON_RS_NUM_CPUS").then(|| "3".to_string())
        });
        assert_eq!(deprecated.rayon, 3);
        assert_eq!(deprecated.overridden_by, ["RAYON_RS_NUM_CPUS"]);
        let zero = RuntimeDefaults::of(&f, |name| match name {
            "RAYON_NUM_THREADS" => Some("0".into()),
            "RAYON_RS_NUM_CPUS" => Some("3".into()),
            _ => None,
        });
        assert_eq!(zero.rayon, 1);
        assert!(zero.overridden_by.is_empty());
    }

    #[test]
    fn the_limit_comes_from_the_flag_the_variable_or_the_machine() {
        assert_eq!(
            Limit::resolve(None, 6),
            Limit {
                workers: 6,
                source: Source::Default
            }
        );
        let env = Limit::resolve(Some((3, Source::Env)), 6);
        assert_eq!((env.workers, env.source.name()), (3, "CONPAR_MAXPROCS"));
        assert_eq!(
            serde_json::to_value(Source::Flag).unwrap(),
            serde_json::json!("--maxprocs")
        );
    }

    /// The rules on quotas read from synthetic cgroup trees, v2 and v1.
    #[test]
    fn rules_on_synthetic_cgroup_files() {
        let dir = std::env::temp_dir().join(format!("conpar-maxprocs-{}", std::process::id()));
        let v2 = dir.join("v2/kubepods/pod1");
        fs::create_dir_all(&v2).unwrap();
        fs::write(v2.join("cpu.max"), "150000 100000\n").unwrap();
        let q = cgroup_quota_at(&dir.join("v2"), "0::/kubepods/pod1\n").unwrap();
        let f = facts(16, Some(16), Some(q.cpus));
        assert_eq!((rust_default(&f), go_default(&f, None)), (1, 2));

        let v1 = dir.join("v1/cpu,cpuacct/docker/c1");
        fs::create_dir_all(&v1).unwrap();
        fs::write(v1.join("cpu.cfs_quota_us"), "350000\n").unwrap();
        fs::write(v1.join("cpu.cfs_period_us"), "100000\n").unwrap();
        let q = cgroup_quota_at(&dir.join("v1"), "2:cpu,cpuacct:/docker/c1\n").unwrap();
        let f = facts(16, Some(16), Some(q.cpus));
        assert_eq!((rust_default(&f), go_default(&f, None)), (3, 4));
        fs::remove_dir_all(&dir).unwrap();

        // No quota ("max", or -1 in v1): both take the affinity mask.
        let f = facts(16, Some(6), parse_cpu_max("max 100000"));
        assert_eq!((rust_default(&f), go_default(&f, None)), (6, 6));
        let f = facts(16, None, parse_cfs("-1", "100000"));
        assert_eq!((rust_default(&f), go_default(&f, None)), (16, 16));
    }

    #[test]
    fn this_machine_agrees_with_std_where_no_quota_hides_higher_up() {
        let machine = Machine::detect();
        let report = MaxprocsReport::new(Limit::default_here(), &machine);
        assert_eq!(report.limit, machine.available_parallelism);
        assert!(report.defaults.go >= 1 && report.defaults.rust >= 1);
        assert!(!report.notes().is_empty());
    }
}
