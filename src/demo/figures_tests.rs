//! Every figure a person reads is one a script can read: each number in the text of a real
//! quick tour (every demo's table, claims and notes, and the answers) is among the numbers of
//! the same tour's JSON, as written (to the decimals the text shows) or in another unit
//! (ms as s, a share as %, bytes as KiB).

use crate::engine::Env;
use crate::report::{Format, Lanes, RenderOptions};
use serde_json::Value;

fn options(format: Format) -> RenderOptions {
    RenderOptions {
        format,
        timeline: false,
        lanes: Lanes::Cpu,
        width: 100,
        zoom_ms: None,
        color: false,
        timeline_full: false,
    }
}

/// Numbers in the text that are not measured figures: versions of other software.
const NOT_FIGURES: [&str; 1] = ["Go 1.25"];

/// A number as the text wrote it, with a little of what surrounds it.
struct Written {
    text: String,
    context: String,
}

/// Every number in `text` but those of the ASCII timelines (a drawing, whose scale is no
/// figure), of [`NOT_FIGURES`] and of `names` (strings the JSON holds as written: a version,
/// a path); a number glued to a letter before it (`cpu0`, `x86_64`) is a name, not a
/// figure, and a sign is left off.
fn numbers_in_text(text: &str, names: &[String]) -> Vec<Written> {
    let mut found = Vec::new();
    for line in text.lines() {
        let drawing = line.contains(" |") && line.ends_with('|')
            || line.contains("1 column = ")
            || line.starts_with("legend:")
            || line.trim_end().ends_with(" ms")
                && line
                    .chars()
                    .all(|c| c.is_ascii_digit() || " .ms".contains(c));
        if drawing {
            continue;
        }
        let mut line = line.to_string();
        for not in NOT_FIGURES
            .iter()
            .copied()
            .chain(names.iter().map(String::as_str))
        {
            line = line.replace(not, "");
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let starts = chars[i].is_ascii_digit()
                && (i == 0 || !(chars[i - 1].is_alphanumeric() || "_.".contains(chars[i - 1])));
            if !starts {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let context: String = chars[start.saturating_sub(50)..(i + 20).min(chars.len())]
                .iter()
                .collect();
            found.push(Written { text, context });
        }
    }
    found
}

/// The JSON's one-word strings that hold a digit (versions, paths), longest first so that a
/// path goes before a version inside it.
fn names_in_json(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(s) if !s.contains(' ') && s.chars().any(|c| c.is_ascii_digit()) => {
            into.push(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| names_in_json(v, into)),
        Value::Object(map) => map.values().for_each(|v| names_in_json(v, into)),
        _ => {}
    }
}

fn numbers_in_json(value: &Value, into: &mut Vec<f64>) {
    match value {
        Value::Number(n) => into.extend(n.as_f64()),
        Value::Array(items) => items.iter().for_each(|v| numbers_in_json(v, into)),
        Value::Object(map) => map.values().for_each(|v| numbers_in_json(v, into)),
        _ => {}
    }
}

/// Is `written` one of `numbers`, as written or in another unit?
fn found_in(written: &str, numbers: &[f64]) -> bool {
    let decimals = written.split('.').nth(1).map_or(0, str::len);
    let units = [1.0, 100.0, 1e-3, 1e3, 1.0 / 1024.0];
    numbers.iter().any(|&x| {
        units
            .iter()
            .any(|u| format!("{:.decimals$}", (x * u).abs()) == written)
    })
}

/// Runs a quick tour here and renders it as text and as JSON.
fn quick_tour() -> Option<(String, Value)> {
    if crate::exec::children::built_conpar().is_none() {
        eprintln!("skipped: no conpar binary built beside the tests to start workers with");
        return None;
    }
    let tour = crate::demo::tour::run(
        &crate::demo::tour::Config {
            quick: true,
            limit: crate::maxprocs::Limit::default_here(),
            progress: false,
            seed: 1,
            python: crate::demo::tour::PythonWanted::Found,
        },
        &Env::detect(),
    )
    .expect("the quick tour runs");
    let text = crate::report::tour::render(&tour, &options(Format::Table));
    let json = serde_json::from_str(&crate::report::tour::render(&tour, &options(Format::Json)))
        .expect("the tour's JSON");
    Some((text, json))
}

/// The numbers of `text` found in no field of `json`, each with a little of what surrounds it.
pub(crate) fn missing_numbers(text: &str, json: &Value) -> Vec<String> {
    numbers_checked(text, json).1
}

/// How many numbers `text` holds, and those found in no field of `json`.
pub(crate) fn numbers_checked(text: &str, json: &Value) -> (usize, Vec<String>) {
    let mut numbers = Vec::new();
    numbers_in_json(json, &mut numbers);
    let mut names = Vec::new();
    names_in_json(json, &mut names);
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let written = numbers_in_text(text, &names);
    let missing = written
        .iter()
        .filter(|w| !found_in(&w.text, &numbers))
        .map(|w| format!("{} in …{}…", w.text, w.context))
        .collect();
    (written.len(), missing)
}

#[test]
fn every_number_in_the_tour_text_is_in_its_json() {
    let Some((text, json)) = quick_tour() else {
        return;
    };
    let (read, missing) = numbers_checked(&text, &json);
    assert!(read > 200, "the text was read: {read}");
    assert!(
        missing.is_empty(),
        "{} numbers of the text are in no JSON field:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn a_number_is_found_as_written_or_in_another_unit() {
    let numbers = [15.44, 0.98, 3100.0, 2_097_152.0, -412.0];
    for written in ["15.4", "15.44", "98", "3.1", "2048", "412"] {
        assert!(found_in(written, &numbers), "{written}");
    }
    for written in ["15.5", "7", "0.9"] {
        assert!(!found_in(written, &numbers), "{written}");
    }
    let names = ["3.11.7".to_string()];
    let texts: Vec<String> = numbers_in_text(
        "cpu0 took 1.5 ms, x86_64, Go 1.25, CPython 3.11.7, 97%\n",
        &names,
    )
    .into_iter()
    .map(|w| w.text)
    .collect();
    assert_eq!(texts, ["1.5", "97"]);
}
