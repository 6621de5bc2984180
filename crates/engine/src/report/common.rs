//! What the report formats share: the source text of each input (for code
//! frames, snippets and fixes), resource names and control metadata.

use crate::engine::Engine;
#[cfg(test)]
use crate::engine::Report;
use crate::finding::{Finding, Identity};
#[cfg(test)]
use crate::input::Inputs;
use ward_lang::hir::{ControlDef, Severity};

pub(crate) use super::source::{Source, Sources};

/// Writes items as text a window at a time: the window's tasks, `per_task`
/// items each, run on all cores, and `text` is given the index of a task's
/// first item; their texts are written in order. A report's findings are
/// most of it, and this holds two windows' text, not the whole report.
pub(crate) fn write_windows<T: Sync>(
    items: &[T],
    per_task: usize,
    w: &mut impl std::io::Write,
    text: impl Fn(usize, &[T]) -> std::io::Result<Vec<u8>> + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    let window = per_task.saturating_mul(rayon::current_num_threads().max(1) * 2);
    for (n, part) in items.chunks(window).enumerate() {
        let texts = part
            .par_chunks(per_task)
            .enumerate()
            .map(|(k, chunk)| text(n * window + k * per_task, chunk))
            .collect::<std::io::Result<Vec<Vec<u8>>>>()?;
        for t in texts {
            w.write_all(&t)?;
        }
    }
    Ok(())
}

/// What a writer of a report writes into memory, as a string: writing
/// into memory cannot fail, and the reports write text.
pub(crate) fn written(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    let _ = write(&mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The built-in packs run over `examples/microservices-insecure`, for the
/// reports' tests.
#[cfg(test)]
pub(crate) fn example_run() -> (Engine, Inputs, Report) {
    let engine = crate::EngineBuilder::new().build().unwrap();
    let sel = engine.select(&engine.default_packs(), false, &[]).unwrap();
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/microservices-insecure"
    );
    let inputs = crate::input::load_paths(&[root.to_string()], &Default::default());
    let report = engine.evaluate(&sel, &inputs, &Default::default());
    assert!(!report.findings.is_empty());
    (engine, inputs, report)
}

/// The report's findings repeated until there are at least `n`: enough
/// for many windows.
#[cfg(test)]
pub(crate) fn repeat_findings(report: &mut Report, n: usize) {
    let one = report.findings.clone();
    while report.findings.len() < n {
        report.findings.extend(one.iter().cloned());
    }
}

/// Where a finding is, as people read it: `file:line:column` (or
/// `file:line`), or the file alone when it has no line (a folder's
/// `Repository` resource).
pub(crate) struct Place<'f> {
    pub file: &'f str,
    pub line: u32,
    /// 0 to leave the column out.
    pub column: u32,
}

impl Place<'_> {
    /// `file:line:column`.
    pub(crate) fn of(f: &Finding) -> Place<'_> {
        Place {
            file: &f.file,
            line: f.line,
            column: f.column,
        }
    }

    /// `file:line`.
    pub(crate) fn line_of(f: &Finding) -> Place<'_> {
        Place {
            column: 0,
            ..Place::of(f)
        }
    }
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        out.write_str(self.file)?;
        if self.line > 0 {
            write!(out, ":{}", self.line)?;
            if self.column > 0 {
                write!(out, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

/// `Kind/namespace/name`, or `Kind/name` for cluster-scoped resources.
pub(crate) fn resource_name(r: &Identity) -> String {
    let kind = if r.kind.is_empty() { "?" } else { &r.kind };
    let name = if r.name.is_empty() { "?" } else { &r.name };
    if r.namespace.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{}/{name}", r.namespace)
    }
}

/// The control a finding or outcome names.
pub(crate) fn control<'e>(engine: &'e Engine, id: &str) -> Option<&'e ControlDef> {
    engine.program.control(id).map(|(_, c)| c)
}

/// `framework/item` for each framework item a control maps to.
pub(crate) fn framework_tags(c: &ControlDef) -> Vec<String> {
    c.maps
        .iter()
        .map(|m| format!("{}/{}", m.framework, m.item))
        .collect()
}

/// `framework/item` for each framework item of a finding.
pub(crate) fn finding_tags(f: &Finding) -> Vec<String> {
    f.frameworks
        .iter()
        .map(|m| format!("{}/{}", m.framework, m.id))
        .collect()
}

/// The severities from most to least severe.
pub(crate) fn severities_desc() -> impl Iterator<Item = Severity> {
    Severity::ALL.iter().rev().copied()
}

/// The first reference that is a web address.
pub(crate) fn help_uri(c: &ControlDef) -> Option<&str> {
    c.references
        .iter()
        .map(String::as_str)
        .find(|r| r.starts_with("https://") || r.starts_with("http://"))
}

/// The words of a control's description, falling back to its doc comment.
pub(crate) fn description(c: &ControlDef) -> String {
    if !c.description.trim().is_empty() {
        return c.description.trim().to_string();
    }
    let docs = c
        .docs
        .iter()
        .map(|d| d.trim())
        .collect::<Vec<_>>()
        .join(" ");
    if docs.trim().is_empty() {
        c.title.clone()
    } else {
        docs.trim().to_string()
    }
}

/// Ward's own version.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a waiver says besides its reason, for people:
/// `inline annotation, owner ops, ticket SEC-1, expires 2027-01-31`.
pub(crate) fn waiver_details(w: &crate::finding::Suppression) -> String {
    let mut parts = vec![match w.source.as_str() {
        "annotation" => "inline annotation".to_string(),
        s => format!("{s} waiver"),
    }];
    if let Some(o) = &w.owner {
        parts.push(format!("owner {o}"));
    }
    if let Some(t) = &w.ticket {
        parts.push(format!("ticket {t}"));
    }
    if let Some(e) = &w.expires {
        parts.push(format!("expires {e}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder's own findings (its `Repository` resource) have no line:
    /// every report names the folder alone, with no `:0:0` and no `#L0`.
    #[test]
    fn findings_without_a_line_are_placed_at_their_file_alone() {
        let (engine, inputs, report) = example_run();
        let folder = report
            .findings
            .iter()
            .find(|f| f.line == 0)
            .map(|f| f.file.to_string())
            .expect("the example folder has findings of its own");
        let text = super::super::text::render(&report, &inputs, Default::default());
        assert!(
            text.contains(&format!("--> {folder}  Repository")),
            "{text}"
        );
        let markdown = super::super::markdown::render(&report, &engine, &inputs);
        assert!(
            markdown.contains(&format!("- [{folder}]({folder}) ")),
            "{markdown}"
        );
        let junit = super::super::junit::render(&report, &engine, &inputs);
        assert!(junit.contains(&format!("{folder} /")), "{junit}");
        let html = super::super::html::render(&report, &engine, &inputs);
        for (name, out) in [("text", &text), ("markdown", &markdown), ("junit", &junit)] {
            assert!(!out.contains(&format!("{folder}:0")), "{name}");
        }
        assert!(!html.contains(&format!("{folder}:0")), "html");
        assert!(!markdown.contains("#L0"), "{markdown}");
    }

    #[test]
    fn names() {
        let mut id = Identity {
            kind: "Pod".into(),
            name: "p".into(),
            ..Identity::default()
        };
        assert_eq!(resource_name(&id), "Pod/p");
        id.namespace = "ns".into();
        assert_eq!(resource_name(&id), "Pod/ns/p");
    }
}
