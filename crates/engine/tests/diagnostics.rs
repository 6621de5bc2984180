//! Diagnostics of malformed and wrong policies: every file of
//! `tests/hostile/policies/` starts with `# expect: CODE at LINE:COL`, the
//! code and place of the first error Ward must report for it (or
//! `# expect: warning CODE at LINE:COL` for the first warning of a policy
//! that has no error), and the whole rendering (code frames, labels, help)
//! is a reviewed snapshot.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::{Path, PathBuf};
use ward_engine::EngineBuilder;
use ward_lang::diagnostic::{RenderOptions, render_all};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile/policies")
}

/// `(warning, code, line, column)` from the file's first line.
fn expectation(name: &str, text: &str) -> (bool, String, usize, usize) {
    let first = text.lines().next().unwrap_or("");
    let rest = first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{name}: the first line must be `# expect: CODE at LINE:COL`"));
    let (warning, rest) = match rest.strip_prefix("warning ") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (code, place) = rest
        .split_once(" at ")
        .unwrap_or_else(|| panic!("{name}: `# expect: CODE at LINE:COL`"));
    let (line, col) = place
        .split_once(':')
        .unwrap_or_else(|| panic!("{name}: `LINE:COL`"));
    (
        warning,
        code.trim().to_string(),
        line.trim().parse().unwrap(),
        col.trim().parse().unwrap(),
    )
}

#[test]
fn every_malformed_policy_is_reported_at_its_place() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ward"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus has {} policies", files.len());
    let mut wrong = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let (warning, code, line, col) = expectation(&name, &text);
        let (sources, diagnostics) =
            match EngineBuilder::std_only().policy(name.clone(), text).build() {
                Ok(e) if warning => (e.sources, e.warnings),
                Ok(_) => {
                    wrong.push(format!("{name}: no error, expected {code} at {line}:{col}"));
                    continue;
                }
                Err(e) if !warning => (e.sources, e.diagnostics),
                Err(_) => {
                    wrong.push(format!("{name}: an error, expected only warnings"));
                    continue;
                }
            };
        let shown: Vec<_> = diagnostics
            .iter()
            .filter(|d| sources.name(d.span().file) == name)
            .collect();
        let Some(first) = shown.iter().find(|d| d.is_error() != warning) else {
            wrong.push(format!("{name}: no diagnostic of that level"));
            continue;
        };
        let (l, c) = sources.line_col(first.primary.span);
        if (first.code, l, c) != (code.as_str(), line, col) {
            wrong.push(format!(
                "{name}: got {} at {l}:{c} ({}), expected {code} at {line}:{col}",
                first.code, first.message
            ));
        }
        let rendered = render_all(shown.iter().copied(), &sources, RenderOptions::plain());
        insta::assert_snapshot!(name.trim_end_matches(".ward").to_string(), rendered);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
