//! `--live`: the CPUs drawn as lanes on stderr, filling in from the measured slices while the
//! work runs, then cleared, so that stdout carries exactly the report it would without it.
//!
//! What is drawn comes from [`crate::live_feed`]. The frame ([`frame`]) is a pure function
//! from what was measured up to an instant to lines of text. The screen ([`screen`]) is a
//! thread that draws a frame 15 times a second (5 on one CPU, where it competes with the work),
//! redrawing the same block of lines with ANSI cursor movement, and that leaves the terminal as
//! it was on every exit, Ctrl-C included.

pub(crate) mod frame;
mod screen;

pub(crate) use screen::{Session, Start};
