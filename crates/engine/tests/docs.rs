//! The language reference is executable: every ```ward block in
//! docs/language.md (and README.md and docs/plugins.md) must parse and
//! check, and its tests must pass. The policies Ward ships are examples
//! too, and are kept as `ward fmt` writes them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::HashSet;
use std::path::PathBuf;
use ward_engine::EngineBuilder;

fn blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim() == "```ward" => current = Some((i + 2, String::new())),
            Some(_) if line.trim() == "```" => out.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn every_example_in_the_language_reference_runs() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/language.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let examples = blocks(&text);
    assert!(
        examples.len() >= 9,
        "found only {} examples",
        examples.len()
    );
    let mut b = EngineBuilder::std_only();
    for (line, body) in &examples {
        b = b.policy(format!("docs/language.md:{line}"), body.clone());
    }
    // The README's controls and the plugin page's too.
    for (page, shown) in [
        ("README.md", "docs/README.md"),
        ("docs/plugins.md", "docs/plugins.md"),
    ] {
        let text = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(page),
        )
        .unwrap();
        for (line, body) in blocks(&text) {
            b = b.policy(format!("{shown}:{line}"), body);
        }
    }
    let engine = match b.build() {
        Ok(e) => e,
        Err(errs) => panic!(
            "{}",
            ward_lang::diagnostic::render_all(
                errs.diagnostics.iter(),
                &errs.sources,
                ward_lang::diagnostic::RenderOptions::plain()
            )
        ),
    };
    let docs: HashSet<_> = engine
        .sources
        .files()
        .filter(|(_, f)| f.name.starts_with("docs/"))
        .map(|(id, _)| id)
        .collect();
    let warnings: Vec<_> = engine
        .warnings
        .iter()
        .filter(|d| docs.contains(&d.primary.span.file))
        .collect();
    assert!(
        warnings.is_empty(),
        "{}",
        ward_lang::diagnostic::render_all(
            warnings,
            &engine.sources,
            ward_lang::diagnostic::RenderOptions::plain()
        )
    );
    let run = engine.run_tests(Some(&docs));
    let failed: Vec<_> = run.results.iter().filter(|r| !r.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(
        run.results.len() >= 12,
        "only {} tests ran",
        run.results.len()
    );
}

/// The packs and the standard library that Ward ships, with their tests,
/// are written the way `ward fmt` writes: a team that copies one to start
/// its own sees no diff from the formatter.
#[test]
fn shipped_policies_are_formatted() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut checked = 0;
    let mut unformatted = Vec::new();
    for dir in ["policies", "std-lib"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let path = entry.expect("the folder is readable").into_path();
            if path.extension().is_none_or(|e| e != "ward") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("the file is readable");
            let formatted = ward_lang::fmt::format_source(ward_lang::span::FileId(0), &text)
                .unwrap_or_else(|_| panic!("{} parses", path.display()));
            checked += 1;
            if formatted != text {
                unformatted.push(path.display().to_string());
            }
        }
    }
    assert!(checked > 50, "{checked} files");
    assert!(
        unformatted.is_empty(),
        "run `ward fmt policies std-lib`: {unformatted:?}"
    );
}
