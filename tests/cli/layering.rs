//! The layers of the crate, checked on its sources: the command line (`src/cli/`, with the
//! binary `src/main.rs`) sits on top and is the only part that knows clap; the engine below it
//! (demos, executors, the report, the measurement loop, claims, findings, ...) needs nothing of
//! it; and the report, which demos fill in, needs nothing of the demos.
//!
//! A rule is broken by a file that merely mentions the name, in code or in a comment: a doc
//! link to `crate::cli` is a dependency a reader follows too.

use std::fs;
use std::path::{Path, PathBuf};

/// The parts allowed to know the command line: the `cli` module, the binary, and the crate
/// root (whose docs describe the layout).
const COMMAND_LINE: [&str; 3] = ["src/cli/", "src/main.rs", "src/lib.rs"];

/// Files outside the command line that may mention one of its names, each with why. Every
/// exception must still be needed: the test fails on one that no longer mentions the name.
const EXCEPTIONS: [(&str, &str, &str); 1] = [(
    "src/error.rs",
    "clap",
    "says that bad input exits with clap's code, 2",
)];

/// What the engine side must not mention.
const COMMAND_LINE_NAMES: [&str; 2] = ["crate::cli", "clap"];

fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files.sort();
    files
}

/// `path` relative to the crate root, with `/` between its parts.
fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = path
        .strip_prefix(root)
        .expect("a file under the crate root");
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every line of `text` that mentions `name`, as `path:line: text`.
fn mentions(path: &str, text: &str, name: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains(name))
        .map(|(i, line)| format!("{path}:{}: {}", i + 1, line.trim()))
        .collect()
}

fn excepted(path: &str, name: &str) -> bool {
    EXCEPTIONS.iter().any(|&(p, n, _)| p == path && n == name)
}

#[test]
fn only_the_command_line_knows_clap() {
    let mut found = Vec::new();
    let mut engine_files = 0;
    for file in sources() {
        let path = relative(&file);
        if COMMAND_LINE.iter().any(|part| path.starts_with(part)) {
            continue;
        }
        engine_files += 1;
        let text = fs::read_to_string(&file).expect("a readable source file");
        for name in COMMAND_LINE_NAMES {
            if !excepted(&path, name) {
                found.extend(mentions(&path, &text, name));
            }
        }
    }
    assert!(engine_files > 20, "the walk found the engine's sources");
    assert!(
        found.is_empty(),
        "the engine must not depend on the command line (move the code into src/cli/, or \
         give cli a clap-facing mirror as src/cli/values.rs does):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_report_needs_nothing_of_the_demos() {
    let mut found = Vec::new();
    let mut report_files = 0;
    for file in sources() {
        let path = relative(&file);
        if !path.starts_with("src/report/") {
            continue;
        }
        report_files += 1;
        let text = fs::read_to_string(&file).expect("a readable source file");
        found.extend(mentions(&path, &text, "crate::demo"));
    }
    assert!(report_files > 5, "the walk found the report's sources");
    assert!(
        found.is_empty(),
        "src/report must not depend on the demos (put what both need in report or engine):\n{}",
        found.join("\n")
    );
}

/// The rules hold for the named parts of the engine in particular, so a rename of the
/// command line's folder cannot make the checks above vacuous.
#[test]
fn the_rules_cover_the_engine() {
    let paths: Vec<String> = sources().iter().map(|f| relative(f)).collect();
    for part in [
        "src/demo/",
        "src/exec/",
        "src/exec/worker/",
        "src/report/",
        "src/engine/",
        "src/claims.rs",
        "src/model/",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(part)),
            "{part} exists among the sources"
        );
        assert!(
            !COMMAND_LINE.iter().any(|c| part.starts_with(c)),
            "{part} is not treated as command line"
        );
    }
}

#[test]
fn every_exception_is_still_needed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, name, why) in EXCEPTIONS {
        let text = fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("{path}, excepted because {why}, cannot be read: {e}"));
        assert!(
            text.contains(name),
            "{path} no longer mentions {name}: drop its exception ({why})"
        );
    }
}

/// The modules the crate root declares, in order.
fn modules() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = fs::read_to_string(root.join("src/lib.rs")).expect("src/lib.rs is readable");
    lib.lines()
        .filter_map(|line| {
            let line = line
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            line.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect()
}

/// A newcomer finds every module in both maps of the house: `lib.rs`'s `# Layout` and the
/// README's Layout table, the latter by its path (`src/name.rs` or `src/name/`).
#[test]
fn the_layout_docs_name_every_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = fs::read_to_string(root.join("src/lib.rs")).expect("src/lib.rs is readable");
    let layout = lib
        .split("//! # Layout")
        .nth(1)
        .expect("lib.rs has a # Layout section");
    let readme = fs::read_to_string(root.join("README.md")).expect("README.md is readable");
    let table = readme
        .split("\n## Layout")
        .nth(1)
        .expect("the README has a Layout section");
    let table = table.split("\n## ").next().unwrap_or(table);
    let modules = modules();
    assert!(
        modules.len() > 20,
        "lib.rs's modules were found: {modules:?}"
    );
    let mut missing = Vec::new();
    for module in &modules {
        if !layout.contains(&format!("- [`{module}`]")) {
            missing.push(format!("lib.rs # Layout has no entry for {module}"));
        }
        let (file, folder) = (format!("src/{module}.rs"), format!("src/{module}/"));
        assert_ne!(
            root.join(&file).exists(),
            root.join(&folder).exists(),
            "{module} is one file or one folder"
        );
        if !table.contains(&format!("`{file}`")) && !table.contains(&format!("`{folder}")) {
            missing.push(format!("README's Layout names neither {file} nor {folder}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The crate's top-level module a source file belongs to (`src/report/html/mod.rs` is
/// `report`), or `None` for the crate root and the binary.
fn top_module(path: &str) -> Option<String> {
    let rest = path.strip_prefix("src/")?;
    let first = rest.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// Which top-level modules each one names in its code (`crate::name`), comments left out.
fn module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let modules: std::collections::BTreeSet<String> = modules().into_iter().collect();
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), Default::default()))
        .collect();
    for file in sources() {
        let path = relative(&file);
        let Some(from) = top_module(&path) else {
            continue;
        };
        let text = fs::read_to_string(&file).expect("a readable source file");
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (at, _) in code.match_indices("crate::") {
                let name: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != from && modules.contains(&name) {
                    graph.entry(from.clone()).or_default().insert(name);
                }
            }
        }
    }
    graph
}

/// A cycle of modules that name each other, where there is one: a path that comes back.
fn a_cycle(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

/// No two modules need each other, however far round: each can be read, and changed, knowing
/// only the ones below it.
#[test]
fn no_module_imports_itself_round_a_cycle() {
    let graph = module_graph();
    assert!(
        graph
            .values()
            .map(std::collections::BTreeSet::len)
            .sum::<usize>()
            > 30,
        "the graph was read: {graph:?}"
    );
    if let Some(cycle) = a_cycle(&graph) {
        panic!(
            "modules import each other round a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn a_cycle_is_found_where_there_is_one() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    assert_eq!(a_cycle(&graph(&[("a", "b"), ("b", "c")])), None);
    let found = a_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])).unwrap();
    assert_eq!(found.first(), found.last());
    assert_eq!(found.len(), 4, "{found:?}");
}

/// The report model is data that every renderer, script and test reads: it needs no
/// renderer, no demo and no command line to exist.
#[test]
fn the_model_needs_no_renderer_demo_or_command_line() {
    let mut found = Vec::new();
    let mut model_files = 0;
    for file in sources() {
        let path = relative(&file);
        if !path.starts_with("src/model/") {
            continue;
        }
        model_files += 1;
        let text = fs::read_to_string(&file).expect("a readable source file");
        let code: String = text
            .lines()
            .map(|line| line.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        for name in ["crate::report", "crate::demo", "crate::cli", "clap"] {
            found.extend(mentions(&path, &code, name));
        }
    }
    assert!(model_files >= 5, "the walk found the model's sources");
    assert!(
        found.is_empty(),
        "src/model must need no renderer, demo or command line:\n{}",
        found.join("\n")
    );
}
