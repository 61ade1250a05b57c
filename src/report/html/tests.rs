//! The HTML page on fixed synthetic reports: it parses as HTML5, its SVG as XML, it has what
//! it promises (a section per question, every mode, claims marked, one colour per task), it
//! references nothing outside itself, and long runs stay small. Nothing here is timed.

use super::figures::fake;
use super::*;
use crate::model::{Claim, ClaimId};
use crate::model::{
    Demo, LaneKind, ModeResult, Recorded, SCHEMA, SliceReport, Timeline, TimelineRun,
};
use crate::model::{Section, Tour, View};
use crate::report::{Format, Lanes};
use crate::trace::Slice;
use std::collections::HashMap;

fn machine() -> Machine {
    let mut m = Machine::with_cpus(2);
    m.cpu_model = "Synthetic CPU".into();
    m.physical_cores = 2;
    m.os = "linux".into();
    m.arch = "x86_64".into();
    m.rayon_threads = 2;
    m.limited_by = "nothing".into();
    m
}

fn options() -> RenderOptions {
    RenderOptions {
        format: Format::Html,
        timeline: false,
        lanes: Lanes::Cpu,
        width: 100,
        zoom_ms: None,
        color: false,
        timeline_full: false,
    }
}

fn slice(mode: &str, cpu: usize, task: usize, start_us: f64, end_us: f64) -> SliceReport {
    SliceReport::on_cpu(mode, cpu, task, start_us, end_us)
}

/// A `parallel` report: sequential and threads, two tasks, with a timeline and three claims.
fn report() -> Report {
    let mut seq = ModeResult::synthetic("sequential", &[100.0, 104.0, 98.0], [1.0, 1.0], vec![0]);
    seq.workers = 1;
    let threads = ModeResult::synthetic("threads", &[52.0, 55.0, 50.0], [1.8, 2.0], vec![0, 1]);
    let run = |mode: &str, wall_us| TimelineRun {
        mode: mode.into(),
        run: 0,
        wall_us,
    };
    let timeline = Timeline {
        runs: vec![run("sequential", 100_000.0), run("threads", 52_000.0)],
        slices: vec![
            slice("sequential", 0, 0, 0.0, 50_000.0),
            slice("sequential", 0, 1, 50_000.0, 80_000.0),
            // Preempted for 5 ms, then on the other CPU.
            slice("sequential", 1, 1, 85_000.0, 100_000.0),
            slice("threads", 0, 0, 0.0, 50_000.0),
            slice("threads", 1, 1, 0.0, 52_000.0),
        ],
        ..Timeline::default()
    };
    let claim = |id, mode: Option<&str>, holds, text: &str| Claim::by_hand(id, mode, holds, text);
    // Built by the scale tests' helper, so this file names no field a demo fills.
    let mut report =
        crate::report::scale_tests::report_of(Demo::Parallel, vec![seq, threads], timeline);
    report.machine = machine();
    report.workload = None;
    report.interference = Interference::none();
    report.claims = vec![
        claim(
            ClaimId::ParallelAtOnce,
            Some("threads"),
            Some(true),
            "The tasks ran at once.",
        ),
        claim(
            ClaimId::ParallelFaster,
            Some("threads"),
            Some(false),
            "It was not faster.",
        ),
        claim(
            ClaimId::MachineParallelPossible,
            None,
            None,
            "Cannot tell on 2 CPUs.",
        ),
    ];
    report.notes = vec!["A note with <b>markup</b> & an ampersand.".into()];
    report
}

fn race_report() -> Report {
    let mut r = report();
    r.demo = Demo::Race;
    r.timeline = Timeline::default();
    fake::race(&mut r.results[0], &[0, 0, 0]);
    fake::race(&mut r.results[1], &[-120, 0, 4000]);
    r
}

fn gil_report() -> Report {
    let mut r = report();
    r.demo = Demo::GilSim;
    fake::gil(&mut r.results[0], "new", &[(100.0, 0.0)], 0.0);
    fake::gil(
        &mut r.results[1],
        "new",
        &[(50.0, 48.0), (49.0, 51.0)],
        190.0,
    );
    r
}

fn tour() -> Tour {
    let section = |question: &str, reports: Vec<Report>| Section {
        question: question.into(),
        topic: question.to_lowercase(),
        answer: vec![format!("The answer to {question}")],
        key_figure: crate::model::KeyFigure::default().value(
            "speedup",
            2.0,
            crate::model::Unit::Times,
        ),
        reports,
        interference: Interference::none(),
        view: View::default(),
    };
    Tour {
        schema: SCHEMA,
        demo: Demo::Tour,
        machine: machine(),
        interference: Interference::none(),
        sections: vec![
            section("Is it parallel?", vec![report()]),
            section("Does it race?", vec![race_report()]),
            section("What does the GIL do?", vec![gil_report()]),
        ],
        notes: Vec::new(),
        live: None,
    }
}

fn parse(page: &str) -> scraper::Html {
    let doc = scraper::Html::parse_document(page);
    assert!(
        doc.errors.is_empty(),
        "HTML5 parse errors: {:?}",
        doc.errors
    );
    doc
}

fn select<'a>(doc: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&scraper::Selector::parse(css).unwrap())
        .collect()
}

/// Every inline SVG as the page writes it.
fn svgs(page: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("a closed svg") + start + 6;
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

fn pages() -> Vec<String> {
    vec![
        render(&report(), &options()),
        render(&race_report(), &options()),
        render(&gil_report(), &options()),
        super::tour(&tour(), &options()),
    ]
}

#[test]
fn every_page_parses_as_html5_and_every_svg_as_xml() {
    for page in pages() {
        assert!(page.starts_with("<!DOCTYPE html>"));
        parse(&page);
        let svgs = svgs(&page);
        assert!(!svgs.is_empty());
        for svg in svgs {
            let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
            assert!(doc.root_element().has_attribute("viewBox"), "{svg}");
        }
    }
}

#[test]
fn the_tour_has_one_section_per_question() {
    let tour = tour();
    let page = super::tour(&tour, &options());
    let doc = parse(&page);
    let sections = select(&doc, "main > section.question");
    assert_eq!(sections.len(), tour.sections.len());
    for (section, s) in sections.iter().zip(&tour.sections) {
        let h2 = section
            .select(&scraper::Selector::parse("h2").unwrap())
            .next();
        let title: String = h2.expect("a heading").text().collect();
        assert!(title.contains(&s.question), "{title}");
        let text: String = section.text().collect();
        assert!(text.contains(&s.answer[0]));
    }
    assert_eq!(select(&doc, "nav li a").len(), tour.sections.len());
}

#[test]
fn every_mode_of_every_table_appears() {
    let tour = tour();
    let doc = parse(&super::tour(&tour, &options()));
    let row_heads: Vec<String> = select(&doc, "article.report tbody th")
        .iter()
        .map(|th| th.text().collect())
        .collect();
    for report in tour.sections.iter().flat_map(|s| &s.reports) {
        for r in &report.results {
            assert!(row_heads.contains(&r.mode), "{} in {row_heads:?}", r.mode);
        }
    }
}

#[test]
fn claims_are_marked_held_not_held_or_not_judged() {
    let doc = parse(&render(&report(), &options()));
    for (class, id) in [
        ("held", ClaimId::ParallelAtOnce),
        ("not-held", ClaimId::ParallelFaster),
        ("not-judged", ClaimId::MachineParallelPossible),
    ] {
        let marked = select(&doc, &format!("li.claim.{class}"));
        assert_eq!(marked.len(), 1, "{class}");
        assert!(marked[0].text().collect::<String>().contains(id.name()));
    }
}

#[test]
fn a_task_has_one_colour_in_every_mode() {
    let mut colours: HashMap<usize, String> = HashMap::new();
    let page = super::tour(&tour(), &options());
    let mut seen = 0;
    for svg in svgs(&page) {
        let doc = roxmltree::Document::parse(svg).unwrap();
        for rect in doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("s"))
        {
            let title = rect.first_element_child().and_then(|t| t.text()).unwrap();
            let task: usize = title
                .strip_prefix("task ")
                .and_then(|t| t.split(' ').next())
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("{title}"));
            let fill = rect.attribute("fill").unwrap().to_string();
            assert_eq!(colours.entry(task).or_insert_with(|| fill.clone()), &fill);
            seen += 1;
        }
    }
    assert!(
        seen >= 6 && colours.len() == 2,
        "{seen} slices, {colours:?}"
    );
}

#[test]
fn every_slice_has_a_tooltip_with_task_cpu_start_and_end() {
    let page = render(&report(), &options());
    let titles: Vec<String> = svgs(&page)
        .iter()
        .flat_map(|svg| {
            let doc = roxmltree::Document::parse(svg).unwrap();
            doc.descendants()
                .filter(|n| n.attribute("class") == Some("s"))
                .map(|n| n.first_element_child().unwrap().text().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(titles.contains(&"task 1 on cpu1, 85.00 to 100.00 ms (1 slice)".to_string()));
    assert!(titles.contains(&"task 0 on cpu0, 0.000 to 50.00 ms (1 slice)".to_string()));
}

#[test]
fn nothing_outside_the_page_is_referenced() {
    for page in pages() {
        let doc = parse(&page);
        for el in select(&doc, "[src], [href]") {
            for attr in ["src", "href"] {
                if let Some(v) = el.value().attr(attr) {
                    assert!(v.starts_with('#'), "{attr}={v}");
                }
            }
        }
        assert_eq!(select(&doc, "script, link, img, iframe").len(), 0);
        let without_namespace = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!without_namespace.contains("http"), "an URL in the page");
        assert!(!page.contains("url("), "a CSS resource");
    }
}

#[test]
fn text_from_data_is_escaped() {
    let page = render(&report(), &options());
    assert!(page.contains("A note with &lt;b&gt;markup&lt;/b&gt; &amp; an ampersand."));
    assert!(!page.contains("<b>markup"));
}

#[test]
fn a_disturbed_run_is_flagged_at_the_top() {
    let mut r = report();
    r.interference.verdict = Verdict::Disturbed;
    r.interference.others_cpus = Some(0.8);
    r.results[1].interference = Some(crate::interference::ModeInterference {
        others_cpus: Some(0.8),
        steal_cpus: Some(0.0),
        resolution_cpus: None,
        verdict: Verdict::Disturbed,
        samples: Vec::new(),
        disturbed_runs: 3,
    });
    let doc = parse(&render(&r, &options()));
    let banner = select(&doc, "header > .banner");
    assert_eq!(banner[0].value().attr("class"), Some("banner disturbed"));
    assert!(banner[0].text().collect::<String>().contains("0.80 CPUs"));
    assert_eq!(select(&doc, "tr.disturbed").len(), 1);
}

#[test]
fn the_demo_figures_are_drawn() {
    let race = render(&race_report(), &options());
    assert_eq!(race.matches("class=\"dot wrong\"").count(), 2);
    assert_eq!(race.matches("class=\"dot ok\"").count(), 4);
    let gil = render(&gil_report(), &options());
    assert_eq!(gil.matches("class=\"hold\"").count(), 3);
    assert!(gil.contains("1 / switch interval = 200/s"));

    let points = [1usize, 2, 4]
        .iter()
        .map(|&t| crate::amdahl::Point {
            threads: t,
            p: t.min(2) as f64,
            speedup: t.min(2) as f64,
            speedup_min: t.min(2) as f64 * 0.95,
            speedup_max: t.min(2) as f64 * 1.05,
        })
        .collect();
    let mut maxprocs = report();
    maxprocs.demo = Demo::Maxprocs;
    fake::amdahl(
        &mut maxprocs,
        &crate::amdahl::AmdahlReport::new(points, 2.0, 0.0),
    );
    let page = render(&maxprocs, &options());
    assert!(page.contains(crate::report::plot::AMDAHL), "the Amdahl fit");
    assert!(page.contains(crate::report::plot::IDEAL), "the ideal line");
}

#[test]
fn a_long_run_in_fine_quanta_is_merged_to_the_picture() {
    // 5 s on two CPUs, each alternating two tasks in 20 µs quanta: 500 000 slices.
    let mut slices = Vec::new();
    for cpu in 0..2usize {
        for i in 0..250_000u64 {
            let task = 2 * cpu + (i % 2) as usize;
            slices.push(Slice::from_ns(
                cpu,
                task,
                Some(cpu),
                i * 20_000,
                i * 20_000 + 19_000,
            ));
        }
    }
    let mut r = report();
    r.timeline = Timeline::default();
    r.timeline.add(
        TimelineRun {
            mode: "threads".into(),
            run: 0,
            wall_us: 5e6,
        },
        Recorded {
            mode: "threads".into(),
            lanes: LaneKind::Cpu,
            slices,
        },
    );
    let page = render(&r, &options());
    let elements = page.matches('<').count();
    assert!(elements < 400, "{elements} elements");
    assert!(
        page.contains("tasks 0, 1 took turns on cpu0"),
        "the sharing is said"
    );
    assert!(page.len() < 60_000, "{} bytes", page.len());
}

#[test]
fn snapshot_page_body() {
    let page = render(&report(), &options());
    let body = &page[page.find("<body>").unwrap()..];
    insta::assert_snapshot!(body.replace('>', ">\n"));
}

#[test]
fn a_conclusion_is_shown_once_and_the_machine_once() {
    // The demos put each claim's sentence among their notes too (for the table format).
    let mut r = report();
    r.notes.push("The tasks ran at once.".into());
    let doc = parse(&render(&r, &options()));
    let text: String = doc.root_element().text().collect();
    assert_eq!(text.matches("The tasks ran at once.").count(), 1, "{text}");
    assert_eq!(select(&doc, "ul.notes li").len(), 1, "the other note stays");
    // In the tour, question 1's table holds the machine's facts; the header does not repeat
    // them.
    let mut tour = tour();
    let mut info = report();
    info.results.clear();
    info.demo = Demo::Info;
    tour.sections.insert(0, tour.sections[0].clone());
    tour.sections[0].reports = vec![info];
    let page = super::tour(&tour, &options());
    assert_eq!(
        page.matches("Synthetic CPU").count(),
        1,
        "machine facts twice"
    );
}
