//! The tour's rendering ([`crate::model::Tour`], which the tour demo builds): per question
//! the answer, then the tables (and timelines) that show it, then a summary table. JSON holds
//! every demo's full report; CSV is the summary.

use super::{Format, RenderOptions};
use crate::model::Tour;
use std::fmt::Write as _;

pub(crate) fn render(tour: &Tour, options: &RenderOptions) -> String {
    match options.format {
        Format::Json => {
            let mut value = serde_json::to_value(tour).expect("a tour always serialises");
            if options.timeline_full {
                for (i, section) in tour.sections.iter().enumerate() {
                    for (j, report) in section.reports.iter().enumerate() {
                        super::json::full_timeline(report, &mut value["sections"][i]["reports"][j]);
                    }
                }
            }
            super::json::pretty(&value)
        }
        Format::Csv => {
            let mut writer = ::csv::Writer::from_writer(Vec::new());
            writer
                .write_record(["question", "topic", "measured", "answer"])
                .expect("writing to memory");
            for s in &tour.sections {
                writer
                    .write_record([
                        &s.question,
                        &s.topic,
                        &s.key_figure.text,
                        &s.answer.join(" "),
                    ])
                    .expect("writing to memory");
            }
            String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8")
        }
        Format::Html => super::html::tour(tour, options),
        Format::Table | Format::Markdown => text(tour, options),
    }
}

fn text(tour: &Tour, options: &RenderOptions) -> String {
    let markdown = options.format == Format::Markdown;
    let mut out = String::new();
    if markdown {
        let _ = writeln!(
            out,
            "# conpar tour\n\nMeasured on {} ({} logical CPUs, {} usable, {} of time at once), {} {}.\n",
            tour.machine.cpu_model,
            tour.machine.logical_cpus,
            tour.machine.schedulable_cpus(),
            crate::sys::cpus_phrase(tour.machine.cpu_capacity()),
            tour.machine.os,
            tour.machine.arch
        );
    }
    for (i, section) in tour.sections.iter().enumerate() {
        if markdown {
            let _ = writeln!(out, "## {}. {}\n", i + 1, section.question);
        } else {
            let title = format!("{}. {}", i + 1, section.question);
            let _ = writeln!(
                out,
                "{title}\n{}",
                "=".repeat(title.chars().count().min(options.width))
            );
        }
        for sentence in &section.answer {
            out.push_str(sentence);
            out.push_str(if markdown { "\n\n" } else { "\n" });
        }
        for report in &section.reports {
            let view = RenderOptions {
                timeline: section.view.timeline,
                zoom_ms: section.view.zoom_ms,
                ..*options
            };
            let mut body = super::render(report, &view);
            if markdown {
                // The demo's own heading sits under the question's.
                body = body.replacen("### ", "#### ", 1);
            }
            if !markdown {
                out.push('\n');
            }
            out.push_str(&body);
        }
        out.push('\n');
    }
    out.push_str(if markdown {
        "## Summary\n\n"
    } else {
        "Summary\n=======\n"
    });
    let rows: Vec<(String, &str)> = tour
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                format!("{}. {}", i + 1, s.topic),
                s.key_figure.text.as_str(),
            )
        })
        .collect();
    if markdown {
        out.push_str("| question | measured here |\n|---|---|\n");
        for (topic, figure) in &rows {
            let _ = writeln!(out, "| {topic} | {figure} |");
        }
    } else {
        let width = rows
            .iter()
            .map(|(t, _)| t.chars().count())
            .max()
            .unwrap_or(0);
        for (topic, figure) in &rows {
            let _ = writeln!(out, "{topic:<width$}  {figure}");
        }
    }
    for note in &tour.notes {
        out.push('\n');
        out.push_str(note);
        out.push('\n');
    }
    out
}
