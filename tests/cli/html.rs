//! `--format html` end to end: real short runs of the subcommands and the quick tour give one
//! document that parses as HTML5, has its sections and pictures, and references nothing outside
//! itself. Nothing asserts a time, so it passes on one CPU.

use crate::common;

use common::{conpar, parallel, stdout_of};
use scraper::{Html, Selector};

fn parse(page: &str) -> Html {
    assert!(
        page.starts_with("<!DOCTYPE html>"),
        "{}",
        &page[..page.len().min(200)]
    );
    assert!(page.trim_end().ends_with("</html>"), "written whole");
    let doc = Html::parse_document(page);
    assert!(
        doc.errors.is_empty(),
        "HTML5 parse errors: {:?}",
        doc.errors
    );
    doc
}

fn count(doc: &Html, css: &str) -> usize {
    doc.select(&Selector::parse(css).unwrap()).count()
}

/// Every inline SVG is XML, and the page names no URL outside itself.
fn check_pictures(page: &str) {
    let mut rest = page;
    let mut svgs = 0;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("a closed svg") + start + 6;
        roxmltree::Document::parse(&rest[start..end]).expect("the SVG is XML");
        svgs += 1;
        rest = &rest[end..];
    }
    assert!(svgs > 0, "no pictures");
    let without_namespace = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_namespace.contains("http"), "a URL in the page");
}

#[test]
fn parallel_as_html_is_one_page_with_its_table_claims_and_timeline() {
    let page = stdout_of(&mut parallel(2, &["--format", "html"]));
    let doc = parse(&page);
    check_pictures(&page);
    assert_eq!(count(&doc, "main > section.question"), 1);
    assert_eq!(
        count(&doc, "header .banner"),
        1,
        "the interference verdict on top"
    );
    assert!(count(&doc, "li.claim") >= 1);
    for mode in common::MODES {
        assert!(
            page.contains(&format!("<th scope=\"row\">{mode}</th>")),
            "{mode}"
        );
    }
    assert!(count(&doc, "svg.timeline") >= 3, "a timeline per mode");
    assert!(
        count(&doc, "svg.timeline rect.s title") >= 3,
        "slices with tooltips"
    );
}

#[test]
fn a_real_task_time_run_renders() {
    let page = stdout_of(conpar().args([
        "parallel",
        "--tasks",
        "2",
        "--task-time",
        "10ms",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "html",
        "--quiet",
    ]));
    let doc = parse(&page);
    check_pictures(&page);
    assert_eq!(count(&doc, "main > section.question"), 1);
}

#[test]
fn race_and_gil_sim_draw_their_figures() {
    let race = stdout_of(conpar().args([
        "race",
        "--iterations",
        "1000",
        "--runs",
        "3",
        "--format",
        "html",
        "--quiet",
    ]));
    parse(&race);
    check_pictures(&race);
    assert!(race.contains("class=\"dot "), "the final values as dots");

    let gil = stdout_of(conpar().args([
        "gil-sim", "--units", "20000", "--runs", "1", "--warmup", "0", "--format", "html",
        "--quiet",
    ]));
    parse(&gil);
    check_pictures(&gil);
    assert!(gil.contains("class=\"hold\""), "holding and waiting");
    assert!(
        gil.contains("1 / switch interval"),
        "hand-offs against the interval"
    );
    assert!(gil.contains(">thread1</text>"), "a lane per thread");
}

#[test]
fn the_quick_tour_as_html_has_a_section_per_question() {
    let page = stdout_of(conpar().args(["tour", "--quick", "--quiet", "--format", "html"]));
    let doc = parse(&page);
    check_pictures(&page);
    // The summary lists the tour's questions; each has its section.
    let questions = count(&doc, "nav li");
    assert!(questions >= 5, "{questions} questions");
    assert_eq!(count(&doc, "main > section.question"), questions);
    assert_eq!(count(&doc, "main > section.question > h2"), questions);
    assert!(
        page.contains("Speedup against workers P"),
        "the maxprocs curve"
    );
    assert!(page.len() < 1_000_000, "{} bytes", page.len());
}
