//! The enum values of the flags, as clap sees them: one mirror per engine enum, so that the
//! engine (report, gil, demos, executors) needs no clap.
//!
//! Each mirror is declared with `mirror!`: the same variants, in the same order, with the
//! doc comments that `--help` shows for each value, and `From` both ways. The way back makes
//! an engine variant the mirror lacks a compile error here, so adding a value to an engine
//! enum (say `Html` to [`Format`]) is one more line in its mirror below.

use crate::demo::gil_sim::WorkloadKind;
use crate::exec::race::Sharing;
use crate::gil::GilKind;
use crate::placement::Placement;
use crate::report::{Format, Lanes};

/// Declares `$name`, a [`clap::ValueEnum`] with the variants listed (and their doc comments,
/// the help of each value), and the conversions between it and the engine enum `$engine`.
macro_rules! mirror {
    (
        $(#[$meta:meta])*
        pub(crate) enum $name:ident => $engine:ident {
            $($(#[$variant_meta:meta])* $variant:ident,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
        pub(crate) enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl From<$name> for $engine {
            fn from(value: $name) -> $engine {
                match value {
                    $($name::$variant => $engine::$variant,)+
                }
            }
        }

        impl From<$engine> for $name {
            fn from(value: $engine) -> $name {
                match value {
                    $($engine::$variant => $name::$variant,)+
                }
            }
        }
    };
}

mirror! {
    /// `--format`: see [`Format`].
    pub(crate) enum FormatArg => Format {
        /// Aligned text for a terminal (with the timeline where asked)
        Table,
        /// Every figure, for scripts (schema 1)
        Json,
        /// The results table as CSV
        Csv,
        /// A table and notes to paste into a report
        Markdown,
        /// One self-contained HTML page: tables, claims and SVG pictures, no network needed
        Html,
    }
}

mirror! {
    /// `--lanes`: see [`Lanes`].
    pub(crate) enum LanesArg => Lanes {
        /// One lane per CPU: what each core was doing.
        Cpu,
        /// One lane per task: when each task made progress.
        Task,
    }
}

mirror! {
    /// `gil-sim --gil`: see [`GilKind`].
    pub(crate) enum GilKindArg => GilKind {
        /// CPython 3.2+: switch interval, drop requests, forced switching.
        New,
        /// CPython 3.1 and earlier: release and re-acquire every `--check-interval` steps.
        Old,
        /// Free-threaded (PEP 703): no global lock at all.
        None,
    }
}

mirror! {
    /// `gil-sim --workload`: see [`WorkloadKind`].
    pub(crate) enum WorkloadArg => WorkloadKind {
        /// Every thread computes.
        Cpu,
        /// Every thread makes I/O requests: it mostly waits, with the lock released.
        Io,
        /// CPU-bound threads beside one I/O thread making short requests.
        Mixed,
    }
}

mirror! {
    /// `race --mode`: see [`Sharing`].
    pub(crate) enum SharingArg => Sharing {
        /// Read, then write, as two separate steps: updates get lost
        Unsync,
        /// One indivisible fetch_add or fetch_sub per change
        Atomic,
        /// A Mutex around the counter
        Mutex,
        /// One owner thread holds the counter; the others send it messages
        Channel,
        /// Each thread counts privately; the totals are added at the end
        Local,
    }
}

mirror! {
    /// `parallel --placement`: see [`Placement`].
    pub(crate) enum PlacementArg => Placement {
        /// One task per core, on its first hardware thread
        Cores,
        /// The hardware threads of one core (where a core runs several: SMT)
        Siblings,
        /// The cores of the fastest kind (P-cores, big cores)
        #[value(name = "p")]
        Fast,
        /// The cores of the slowest kind (E-cores, little cores)
        #[value(name = "e")]
        Slow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    /// Every mirror names its values as the engine's reports do.
    #[test]
    fn the_mirrors_name_their_values_as_the_engine_does() {
        for &mode in SharingArg::value_variants() {
            let name = mode.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(name, Sharing::from(mode).name());
        }
        for &kind in GilKindArg::value_variants() {
            let name = kind.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(
                format!("gil-{name}").replace("gil-none", "no-gil"),
                GilKind::from(kind).mode()
            );
        }
        for &format in FormatArg::value_variants() {
            assert_eq!(FormatArg::from(Format::from(format)), format);
        }
        for &lanes in LanesArg::value_variants() {
            assert_eq!(LanesArg::from(Lanes::from(lanes)), lanes);
        }
        for &workload in WorkloadArg::value_variants() {
            assert_eq!(WorkloadArg::from(WorkloadKind::from(workload)), workload);
        }
    }
}
