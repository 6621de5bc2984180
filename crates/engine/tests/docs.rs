//! The language reference is executable: every ```ward block in
//! docs/language.md (and README.md and docs/plugins.md) must parse and
//! check, and its tests must pass.

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
