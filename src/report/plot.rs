//! `--plot FILE.svg`: the speedup curve of a `maxprocs` report as an SVG picture.
//!
//! A table of speedups hides the shape that matters: where the curve leaves the ideal line
//! and where it flattens. The picture has the measured speedup against P (median, with min-max
//! whiskers), the ideal line (speedup = P), the Amdahl fit and the CPU count, with labelled
//! axes and a legend. It is drawn with plotters' SVG backend only: SVG text needs no font
//! files, so the picture is the same on every machine.
//!
//! Like every renderer it reads the [`Report`] only: the points and the fitted serial fraction
//! are the report's `amdahl` object; the fitted curve is that serial fraction put back into
//! Amdahl's formula. The file is written whole or not at all: into a temporary file in the same
//! directory, then renamed over the target.

use crate::amdahl::AmdahlReport;
use crate::model::Report;
use crate::sys::cpus_phrase;
use anyhow::Context;
use plotters::prelude::*;
use std::path::Path;

/// Size of the picture in pixels.
const SIZE: (u32, u32) = (800, 520);

/// Legend labels, one per series; tests look for them.
pub(crate) const MEASURED: &str = "measured speedup (median, min-max)";
pub(crate) const IDEAL: &str = "ideal: speedup = P";
pub(crate) const AMDAHL: &str = "Amdahl fit";

/// The report's speedup curve, or an error where the report has none.
fn curve(report: &Report) -> anyhow::Result<AmdahlReport> {
    report
        .amdahl
        .clone()
        .with_context(|| format!("a `{}` report has no speedup curve to plot", report.demo))
}

/// The SVG text of the report's speedup curve.
pub(crate) fn render(report: &Report) -> anyhow::Result<String> {
    let curve = curve(report)?;
    anyhow::ensure!(!curve.points.is_empty(), "there are no points to plot");
    let mut svg = String::new();
    draw(&curve, &mut svg).map_err(|e| anyhow::anyhow!("cannot draw the plot: {e}"))?;
    Ok(svg)
}

fn draw(curve: &AmdahlReport, svg: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let max_p = curve.points.iter().map(|p| p.threads).max().unwrap_or(1) as f64;
    let fitted = |p: f64| curve.model(p);
    let top = curve
        .points
        .iter()
        .map(|p| p.speedup_max)
        .chain([max_p])
        .fold(1.0, f64::max)
        * 1.1;

    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "conpar maxprocs: speedup against workers P on {}",
                cpus_phrase(curve.cpus)
            ),
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..max_p * 1.05, 0f64..top)?;
    // Whole numbers of workers only, and no fine grid.
    let whole = |x: &f64| {
        if (x - x.round()).abs() < 1e-9 {
            format!("{}", x.round())
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .x_labels((max_p as usize + 2).min(12))
        .x_label_formatter(&whole)
        .light_line_style(TRANSPARENT)
        .x_desc("workers P (rayon pool size)")
        .y_desc("speedup over P = 1")
        .axis_desc_style(("sans-serif", 16))
        .draw()?;

    let ideal = RGBColor(120, 120, 120);
    chart
        .draw_series(LineSeries::new(
            [(1.0, 1.0), (max_p, max_p)],
            ideal.stroke_width(2),
        ))?
        .label(IDEAL)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], ideal.stroke_width(2)));

    if curve.serial_fraction.is_some() {
        let steps = 400;
        let line = (0..=steps).filter_map(|i| {
            let p = 1.0 + (max_p - 1.0) * f64::from(i) / f64::from(steps);
            fitted(p).map(|s| (p, s))
        });
        let label = format!(
            "{AMDAHL}: serial fraction {:.3}{}",
            curve.serial_fraction.unwrap_or(0.0),
            curve
                .fitted_up_to
                .map_or_else(String::new, |p| format!(", fitted over P <= {p}"))
        );
        chart
            .draw_series(LineSeries::new(line, RED.stroke_width(2)))?
            .label(label)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
    }

    if curve.cpus <= max_p {
        let cpus_line = RGBColor(90, 140, 220);
        chart
            .draw_series(LineSeries::new(
                [(curve.cpus, 0.0), (curve.cpus, top)],
                cpus_line.stroke_width(1),
            ))?
            .label(format!(
                "{}: more workers only take turns",
                cpus_phrase(curve.cpus)
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], cpus_line));
    }

    chart
        .draw_series(curve.points.iter().map(|p| {
            ErrorBar::new_vertical(
                p.threads as f64,
                p.speedup_min,
                p.speedup,
                p.speedup_max,
                BLACK.stroke_width(2),
                10,
            )
        }))?
        .label(MEASURED)
        .legend(|(x, y)| Circle::new((x + 10, y), 4, BLACK.filled()));
    chart.draw_series(
        curve
            .points
            .iter()
            .map(|p| Circle::new((p.threads as f64, p.speedup), 4, BLACK.filled())),
    )?;

    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Writes the report's speedup curve to `path` (see [`crate::output`]: whole or not at all to
/// a regular file).
pub(crate) fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    let svg = render(report)?;
    crate::output::write("plot", path, svg.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amdahl::{self, Point};
    use crate::model::{SCHEMA, Timeline};
    use crate::sys::Machine;

    fn report(serial: f64, cpus: f64, procs: &[usize]) -> Report {
        let points = procs
            .iter()
            .map(|&t| {
                let s = amdahl::speedup(serial, amdahl::processors(t as f64, cpus));
                Point {
                    threads: t,
                    p: amdahl::processors(t as f64, cpus),
                    speedup: s,
                    speedup_min: s * 0.95,
                    speedup_max: s * 1.05,
                }
            })
            .collect();
        Report {
            schema: SCHEMA,
            demo: crate::model::Demo::Maxprocs,
            machine: Machine::detect(),
            cpu_choice: None,
            workload: None,
            results: Vec::new(),
            maxprocs: None,
            amdahl: Some(AmdahlReport::new(points, cpus, serial)),
            race: None,
            core_speeds: None,
            live: None,
            cpython: None,
            gil_sim: None,
            timeline: Timeline::default(),
            interference: crate::interference::Interference::none(),
            claims: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(str::to_string))
            .collect()
    }

    #[test]
    fn the_svg_is_xml_with_three_series_labelled_axes_and_a_legend() {
        let svg = render(&report(0.1, 4.0, &[1, 2, 3, 4, 8])).unwrap();
        let texts = texts(&svg);
        for label in [MEASURED, IDEAL, AMDAHL, "workers P", "speedup over P = 1"] {
            assert!(
                texts.iter().any(|t| t.contains(label)),
                "{label}: {texts:?}"
            );
        }
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let lines = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .count();
        assert!(lines >= 3, "{lines} polylines");
    }

    #[test]
    fn without_a_fit_there_is_no_amdahl_curve() {
        let svg = render(&report(0.0, 1.0, &[1, 2])).unwrap();
        let texts = texts(&svg);
        assert!(texts.iter().any(|t| t.contains(MEASURED)));
        assert!(!texts.iter().any(|t| t.contains(AMDAHL)));
    }

    #[test]
    fn a_report_without_a_curve_is_refused() {
        let mut r = report(0.0, 2.0, &[1]);
        r.amdahl = None;
        assert!(render(&r).is_err());
    }

    #[test]
    fn writing_is_whole_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("speedup.svg");
        crate::output::check_writable("plot", &path).unwrap();
        write(&report(0.2, 2.0, &[1, 2, 4]), &path).unwrap();
        assert!(roxmltree::Document::parse(&std::fs::read_to_string(&path).unwrap()).is_ok());
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "only the plot is left");

        let missing = dir.path().join("no/such/dir/speedup.svg");
        let error = write(&report(0.2, 2.0, &[1, 2]), &missing).unwrap_err();
        assert!(format!("{error:#}").contains("cannot write the plot"));
        assert!(crate::output::check_writable("plot", &missing).is_err());
        assert!(crate::output::check_writable("plot", dir.path()).is_err());
        assert!(!missing.exists());
    }
}
