//! The picture of src/, checked from the source text: every file's
//! references to the rest of the crate (`use crate::…`, `crate::…`,
//! `super::…`, a child module's name) are arrows between modules, and
//!
//! - imports only go down the floors (main.rs on top, sys/ at the bottom;
//!   see FLOORS), and no arrow reaches main.rs;
//! - there is no circle, between files or between top-level modules;
//! - sys/ refers to nothing of the crate outside sys/;
//! - `unsafe` appears only under src/sys/;
//! - no file in src/ is longer than 450 lines;
//! - the two visible stamps (`clock::stamp()`) are taken only in the three
//!   mode files of src/run/, each right after its `// BEGIN TIMED REGION`
//!   or `// END TIMED REGION` comment.
//!
//! The checker is tested on made-up sources below, so that it is known to
//! fail when the picture is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The floors, top (0) to bottom: a module may refer to modules on its own
/// floor (without a circle) or below it, never above.
const FLOORS: &[(&str, usize)] = &[
    ("main", 0),
    ("run", 1),
    ("describe", 1),
    ("report", 1),
    ("ipc", 2),
    ("measure", 2),
    ("args", 3),
    ("output", 4),
    ("error", 4),
    ("sys", 5),
];

const MAX_LINES: usize = 450;

/// The mode files, where the stamps are taken.
const MODE_FILES: &[&str] = &["src/run/one_thread.rs", "src/run/two_threads.rs", "src/run/two_procs.rs"];

#[test]
fn the_source_tree_keeps_its_picture() {
    let src = ipc_static_tests::root().join("src");
    let mut files = Vec::new();
    collect(&src, &ipc_static_tests::root(), &mut files);
    assert!(files.len() >= 20, "expected the whole of src/, found {} files", files.len());
    let picture = Picture::of(&files);
    eprintln!("{}", picture.describe());
    let problems = picture.problems(&files);
    assert!(problems.is_empty(), "the picture of src/ is broken:\n  {}", problems.join("\n  "));
}

fn collect(dir: &Path, root: &Path, files: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            files.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// A file's module path from its name: src/main.rs is the root (empty),
/// src/a.rs and src/a/mod.rs are ["a"], src/a/b.rs is ["a", "b"].
fn module_of(file: &str) -> Vec<String> {
    let inner = file.strip_prefix("src/").unwrap_or(file).strip_suffix(".rs").unwrap_or(file);
    let mut parts: Vec<String> = inner.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") || parts == ["main"] {
        parts.pop();
    }
    parts
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "main".to_string()
    } else {
        module.join("::")
    }
}

/// Source text without comments, strings and character literals, as tokens:
/// identifiers (and `$crate`), `::`, and single punctuation characters.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' || ((c == 'b' || c == 'c') && at(i + 1) == '"') {
            i += if c == '"' { 1 } else { 2 };
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if (c == 'r' || (c == 'b' && at(i + 1) == 'r')) && matches!(at(i + 1 + usize::from(c == 'b')), '"' | '#') {
            // A raw string: r"…", r#"…"#, br"…".
            i += 1 + usize::from(c == 'b');
            let mut hashes = 0;
            while at(i) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            while i < chars.len() && !chars[i..].iter().collect::<String>().starts_with(&close) {
                i += 1;
            }
            i += close.len();
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            // A character literal ('x', '\n', b'x'); otherwise a lifetime.
            let start = i + usize::from(c == 'b');
            if at(start + 1) == '\\' {
                // Past the backslash and the escaped character.
                i = start + 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(start + 2) == '\'' {
                i = start + 3;
            } else {
                i = start + 1;
            }
        } else if c.is_alphanumeric() || c == '_' || (c == '$' && at(i + 1).is_alphabetic()) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && at(i + 1) == ':' {
            out.push("::".to_string());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// The arrows of the crate, file to file.
struct Picture {
    /// file module -> the file modules it refers to (itself excluded).
    arrows: BTreeMap<String, BTreeSet<String>>,
}

impl Picture {
    fn of(files: &[(String, String)]) -> Picture {
        let modules: BTreeMap<String, Vec<String>> = files.iter().map(|(f, _)| (f.clone(), module_of(f))).collect();
        let known: BTreeSet<Vec<String>> = modules.values().cloned().collect();
        let mut arrows = BTreeMap::new();
        for (file, text) in files {
            let module = &modules[file];
            let mut to = BTreeSet::new();
            for path in references(module, &known, &tokens(text)) {
                // The longest known file module the path begins with; an
                // item of the crate root (crate::X) is main.rs's.
                let target = (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| known.contains(p));
                let target = target.unwrap_or_default();
                if &target != module {
                    to.insert(name(&target));
                }
            }
            arrows.insert(name(module), to);
        }
        Picture { arrows }
    }

    fn describe(&self) -> String {
        let mut text = String::from("src/ as modules and their arrows:\n");
        for (from, to) in &self.arrows {
            text += &format!("  {from} -> {}\n", to.iter().cloned().collect::<Vec<_>>().join(", "));
        }
        text
    }

    fn problems(&self, files: &[(String, String)]) -> Vec<String> {
        let mut problems = Vec::new();
        let floor = |module: &str| {
            let top = module.split("::").next().unwrap_or(module);
            FLOORS.iter().find(|(name, _)| *name == top).map(|&(_, floor)| floor)
        };
        for (from, to) in &self.arrows {
            let Some(from_floor) = floor(from) else {
                problems.push(format!("{from} is on no floor: add its top-level module to FLOORS in tests/tests/layout.rs"));
                continue;
            };
            for target in to {
                if target == "main" {
                    problems.push(format!("{from} refers to main.rs, which nothing may import"));
                }
                if from.split("::").next() == Some("sys") && target.split("::").next() != Some("sys") {
                    problems.push(format!("{from} refers to {target}: sys/ must use nothing of the crate above it"));
                }
                match floor(target) {
                    Some(target_floor) if target_floor < from_floor => {
                        problems.push(format!("{from} (floor {from_floor}) refers up to {target} (floor {target_floor})"))
                    }
                    Some(_) => {}
                    None => problems.push(format!("{target} is on no floor")),
                }
            }
        }
        if let Some(cycle) = find_cycle(&self.arrows) {
            problems.push(format!("a circle between files: {}", cycle.join(" -> ")));
        }
        let mut tops: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in &self.arrows {
            let from_top = from.split("::").next().unwrap_or(from).to_string();
            let entry = tops.entry(from_top.clone()).or_default();
            for target in to {
                let target_top = target.split("::").next().unwrap_or(target).to_string();
                if target_top != from_top {
                    entry.insert(target_top);
                }
            }
        }
        if let Some(cycle) = find_cycle(&tops) {
            problems.push(format!("a circle between top-level modules: {}", cycle.join(" -> ")));
        }
        for (file, text) in files {
            let lines = text.lines().count();
            if lines > MAX_LINES {
                problems.push(format!("{file} has {lines} lines (at most {MAX_LINES})"));
            }
            if !file.starts_with("src/sys/") && tokens(text).iter().any(|t| t == "unsafe") {
                problems.push(format!("{file} has `unsafe` outside src/sys/"));
            }
            problems.extend(timed_region_problems(file, text));
        }
        problems
    }
}

/// The paths (from the crate root) that a file's tokens refer to.
fn references(module: &[String], known: &BTreeSet<Vec<String>>, tokens: &[String]) -> Vec<Vec<String>> {
    // Inline modules (`mod tests { … }`) nest inside the file's module.
    let mut scope: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut paths = Vec::new();
    // Names brought in by `use`, so that `clock::stamp()` after
    // `use crate::measure::clock;` is an arrow to measure::clock.
    let mut imported: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut in_use = false;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        match t {
            "use" => in_use = true,
            ";" => in_use = false,
            _ => {}
        }
        let current: Vec<String> = module.iter().cloned().chain(scope.iter().map(|(m, _)| m.clone())).collect();
        match t {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if scope.last().is_some_and(|&(_, d)| d == depth) {
                    scope.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                scope.push((tokens[i + 1].clone(), depth));
            }
            _ => {}
        }
        let after_path_separator = i > 0 && tokens[i - 1] == "::";
        if !after_path_separator && tokens.get(i + 1).is_some_and(|t| t == "::") {
            let base: Option<Vec<String>> = match t {
                "crate" | "$crate" => Some(Vec::new()),
                "self" => Some(current.clone()),
                "super" => {
                    let mut base = current.clone();
                    let mut j = i;
                    base.pop();
                    while tokens.get(j + 2).is_some_and(|t| t == "super") {
                        base.pop();
                        j += 2;
                    }
                    i = j;
                    Some(base)
                }
                // A name imported by `use`, or a child module of this file
                // by its bare name (at the crate root: the top-level modules).
                name => match imported.get(name) {
                    Some(path) => Some(path[..path.len() - 1].to_vec()),
                    None => {
                        let child: Vec<String> = module.iter().cloned().chain([name.to_string()]).collect();
                        known.contains(&child).then_some(module.to_vec())
                    }
                },
            };
            if let Some(base) = base {
                let start = if matches!(t, "crate" | "$crate" | "self" | "super") { i + 2 } else { i };
                let first = paths.len();
                i = parse_path(tokens, start, &base, &mut paths);
                if in_use {
                    for path in &paths[first..] {
                        if let Some(last) = path.last() {
                            imported.insert(last.clone(), path.clone());
                        }
                    }
                }
                continue;
            }
        }
        i += 1;
    }
    paths
}

/// Parses `a::b::{c, d::e}` from `start`, adding each full path to `paths`;
/// returns the index after it.
fn parse_path(tokens: &[String], start: usize, base: &[String], paths: &mut Vec<Vec<String>>) -> usize {
    let mut path = base.to_vec();
    let mut i = start;
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        Some("self") => {
                            paths.push(path.clone());
                            i += 1;
                        }
                        Some(_) => i = parse_path(tokens, i, &path, paths),
                        None => return i,
                    }
                }
            }
            Some("*") => {
                paths.push(path);
                return i + 1;
            }
            Some(segment) if segment.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                path.push(segment.to_string());
                i += 1;
                if tokens.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                } else {
                    paths.push(path);
                    return i;
                }
            }
            _ => {
                paths.push(path);
                return i;
            }
        }
    }
}

/// A circle in a graph, as the names along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

/// The visible stamps: only in the mode files, each right after its marker,
/// and one BEGIN and one END in each mode file.
fn timed_region_problems(file: &str, text: &str) -> Vec<String> {
    const BEGIN: &str = "// BEGIN TIMED REGION";
    const END: &str = "// END TIMED REGION";
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for (n, line) in lines.iter().enumerate() {
        if !line.starts_with("//") && line.contains("clock::stamp()") {
            let marker = n.checked_sub(1).map(|p| lines[p]).unwrap_or("");
            if !MODE_FILES.contains(&file) {
                problems.push(format!("{file}:{}: a visible stamp outside the mode files of src/run/", n + 1));
            } else if !(marker.starts_with(BEGIN) || marker.starts_with(END)) {
                problems.push(format!("{file}:{}: a stamp without its TIMED REGION comment on the line before", n + 1));
            }
        }
    }
    if MODE_FILES.contains(&file) {
        for marker in [BEGIN, END] {
            let count = lines.iter().filter(|l| l.starts_with(marker)).count();
            if count != 1 {
                problems.push(format!("{file}: {count} `{marker}` comments (one expected)"));
            }
        }
    }
    problems
}

// The checker itself, on made-up sources: it must see each kind of break.

fn problems_of(files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<(String, String)> = files.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect();
    Picture::of(&files).problems(&files)
}

const CLEAN: &[(&str, &str)] = &[
    ("src/main.rs", "mod args; mod run; mod sys;\nuse args::Command;\nfn program() { run::benchmark(); }"),
    ("src/args.rs", "use crate::output::Sink; // crate::run in a comment\nconst S: &str = \"crate::run\";"),
    ("src/output.rs", "use rustix::io;"),
    ("src/run/mod.rs", "mod one_thread;\nuse crate::{args::Config, sys::memory::Mapping};\nfn f() { one_thread::run() }"),
    (
        "src/run/one_thread.rs",
        "use crate::measure::clock;\nfn run() {\n// BEGIN TIMED REGION\nlet s = clock::stamp()?;\n// END TIMED REGION\nlet f = clock::stamp()?;\n}\n#[cfg(test)]\nmod tests { use super::*; }",
    ),
    ("src/run/two_threads.rs", "// BEGIN TIMED REGION\nclock::stamp()\n// END TIMED REGION\nclock::stamp()"),
    ("src/run/two_procs.rs", "// BEGIN TIMED REGION\nclock::stamp()\n// END TIMED REGION\nclock::stamp()"),
    ("src/measure/mod.rs", "pub mod clock;"),
    ("src/measure/clock.rs", "use crate::sys;\nfn stamp() { sys::clock::now() }"),
    ("src/sys/mod.rs", "pub mod memory;"),
    ("src/sys/memory.rs", "use super::errno; fn f() { unsafe { g() } }\nmacro_rules! m { () => { $crate::sys::memory::f() } }"),
];

fn with(replacements: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut files: Vec<(&'static str, String)> = CLEAN.iter().map(|(f, t)| (*f, t.to_string())).collect();
    for (file, text) in replacements {
        match files.iter_mut().find(|(f, _)| f == file) {
            Some(entry) => entry.1 = text.to_string(),
            None => files.push((Box::leak(file.to_string().into_boxed_str()), text.to_string())),
        }
    }
    files
}

fn problems_with(replacements: &[(&str, &str)]) -> Vec<String> {
    let files = with(replacements);
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    problems_of(&files)
}

#[test]
fn the_checker_passes_a_clean_tree_and_sees_its_arrows() {
    assert_eq!(problems_of(CLEAN), Vec::<String>::new());
    let files: Vec<(String, String)> = CLEAN.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect();
    let picture = Picture::of(&files);
    let arrows = |m: &str| picture.arrows[m].iter().cloned().collect::<Vec<_>>();
    assert_eq!(arrows("main"), ["args", "run"], "a `mod` declaration is not an arrow");
    assert_eq!(arrows("args"), ["output"], "comments and strings are not references");
    assert_eq!(arrows("run"), ["args", "run::one_thread", "sys::memory"]);
    assert_eq!(arrows("run::one_thread"), ["measure::clock"], "a test module's super:: is its own file");
    assert_eq!(arrows("sys::memory"), ["sys"]);
}

#[test]
fn the_checker_finds_circles() {
    let problems = problems_with(&[("src/output.rs", "use crate::args::Config;")]);
    assert!(problems.iter().any(|p| p.contains("circle between files") && p.contains("args")), "{problems:?}");
    let problems = problems_with(&[
        ("src/measure/mod.rs", "pub mod clock;\npub use clock::stamp;"),
        ("src/measure/clock.rs", "use super::Sample;"),
    ]);
    assert!(problems.iter().any(|p| p.contains("circle between files: measure")), "{problems:?}");
    // Between top-level modules only: run::one_thread -> measure::clock -> run.
    let problems = problems_with(&[("src/measure/clock.rs", "use crate::run::Sample;")]);
    assert!(problems.iter().any(|p| p.contains("circle between top-level modules")), "{problems:?}");
}

#[test]
fn the_checker_finds_arrows_that_run_up() {
    let problems = problems_with(&[("src/args.rs", "use crate::EX_USAGE;")]);
    assert!(problems.iter().any(|p| p == "args refers to main.rs, which nothing may import"), "{problems:?}");
    let problems = problems_with(&[("src/sys/memory.rs", "fn f() { crate::output::put() }")]);
    assert!(problems.iter().any(|p| p.contains("sys/ must use nothing")), "{problems:?}");
    let problems = problems_with(&[("src/sys/memory.rs", "fn f() { super::super::args::parse() }")]);
    assert!(problems.iter().any(|p| p.contains("sys::memory (floor 5) refers up to args")), "{problems:?}");
    let problems = problems_with(&[("src/output.rs", "use crate::measure::clock;")]);
    assert!(problems.iter().any(|p| p.contains("output (floor 4) refers up to measure::clock")), "{problems:?}");
    let problems = problems_with(&[("src/shmem.rs", "use crate::sys;")]);
    assert!(problems.iter().any(|p| p.contains("shmem is on no floor")), "{problems:?}");
}

#[test]
fn the_checker_finds_unsafe_long_files_and_stray_stamps() {
    let problems = problems_with(&[("src/output.rs", "fn f() { unsafe { g() } } // unsafe")]);
    assert_eq!(problems, ["src/output.rs has `unsafe` outside src/sys/"]);
    assert!(problems_with(&[("src/output.rs", "// unsafe\nconst T: &str = \"unsafe\"; #![forbid(unsafe_code)]")]).is_empty());
    let long = "fn f() {}\n".repeat(MAX_LINES + 1);
    assert_eq!(problems_with(&[("src/output.rs", &long)]), [format!("src/output.rs has {} lines (at most 450)", MAX_LINES + 1)]);
    let problems = problems_with(&[("src/report/mod.rs", "fn f() { clock::stamp() }")]);
    assert!(problems.iter().any(|p| p.contains("src/report/mod.rs:1: a visible stamp outside the mode files")), "{problems:?}");
    let problems = problems_with(&[("src/run/two_procs.rs", "// BEGIN TIMED REGION\nclock::stamp()\nclock::stamp()")]);
    assert!(problems.iter().any(|p| p.contains("two_procs.rs:3: a stamp without")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("0 `// END TIMED REGION` comments")), "{problems:?}");
}

#[test]
fn tokens_skip_comments_strings_and_characters() {
    let text = "a /* b /* c */ d */ e // f\n\"g\\\"h\" b\"i\" c\"j\" r#\"k\"# 'l' '\\'' b'm' 'n: loop {} &'o str";
    assert_eq!(tokens(text), ["a", "e", "n", ":", "loop", "{", "}", "&", "o", "str"]);
}
