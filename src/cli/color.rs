//! Whether output gets colour: `--color`, and under `auto` the terminal, `NO_COLOR` and
//! `TERM`.

use clap::ValueEnum;
use std::ffi::OsStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Does output to a terminal (`terminal`) or elsewhere get colour, under this process's
    /// `NO_COLOR` and `TERM`?
    pub fn enabled(self, terminal: bool) -> bool {
        self.decide(
            terminal,
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
    }

    /// `auto` colours only a terminal that shows colour: never with `NO_COLOR` set to anything
    /// but empty (no-color.org), never with `TERM=dumb`, the terminal that shows none.
    fn decide(self, terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && no_color.is_none_or(OsStr::is_empty) && term != Some(OsStr::new("dumb"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colour_needs_a_terminal_without_no_color_or_term_dumb() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let auto = ColorChoice::Auto;
        assert!(auto.decide(true, None, os("xterm-256color")));
        assert!(auto.decide(true, None, None));
        assert!(auto.decide(true, os(""), os("xterm")), "an empty NO_COLOR");
        assert!(!auto.decide(false, None, os("xterm")), "not a terminal");
        assert!(!auto.decide(true, os("1"), os("xterm")), "NO_COLOR");
        assert!(!auto.decide(true, None, os("dumb")), "TERM=dumb");
        assert!(ColorChoice::Always.decide(false, os("1"), os("dumb")));
        assert!(!ColorChoice::Never.decide(true, None, os("xterm")));
    }
}
