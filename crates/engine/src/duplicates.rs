//! Objects defined more than once in one file.
//!
//! Two charts rendered into one stream that both make the same ConfigMap,
//! an overlay that repeats its base in `kustomize build` output, a manifest
//! pasted twice: applying the file keeps only the definition applied last,
//! so the findings of the other describe an object that will never run as
//! written, and a fix made to it changes nothing. Ward checks both as they
//! are, and adds a warning on each later definition that names where the
//! first is (`ward.input.duplicate`). Only the documents of one file are
//! compared: files side by side are often alternatives (`app.yaml` and
//! `app-dualstack.yaml`) or environments (`dev/`, `prod/`), not applied
//! together. Like the warnings about waivers, the warning is a notice of a
//! pack of its own: it never fails a run, has no score, and a baseline
//! never holds it.

use crate::engine::Report;
use crate::finding::{Finding, NoticeAt, notice_finding};
use crate::input::{Inputs, Resource};
use ward_lang::hir::Severity;

/// The control id of the warning on an object defined again.
pub const CONTROL: &str = "ward.input.duplicate";
/// The pack the warnings about the inputs are reported under; it has no
/// score of its own.
pub const PACK: &str = "ward.inputs";

/// Where a definition is, for a message: `file:line` of its name, or the
/// file alone for a document without positions (a test's `given`).
pub fn place(inputs: &Inputs, r: &Resource) -> String {
    match name_node(r).pos().line {
        0 => inputs.file(r).path.clone(),
        line => format!("{}:{line}", inputs.file(r).path),
    }
}

/// The resources of each group of definitions of one object
/// ([`Report::duplicates`]), in load order.
pub fn groups<'i>(inputs: &'i Inputs, report: &Report) -> Vec<Vec<&'i Resource>> {
    report
        .duplicates
        .iter()
        .map(|g| {
            g.iter()
                .filter_map(|&i| inputs.resources.get(i as usize))
                .collect()
        })
        .collect()
}

/// The node a warning points at: the object's `metadata.name`.
fn name_node(r: &Resource) -> crate::value::doc::NodeRef<'_> {
    r.root()
        .get_str("metadata")
        .and_then(|m| m.get_str("name"))
        .unwrap_or_else(|| r.root())
}

/// The warnings for the duplicates an evaluation found
/// ([`Report::duplicates`]): one on each definition that repeats an
/// earlier one of its file, naming the first of them.
pub fn notices(inputs: &Inputs, report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    for defs in groups(inputs, report) {
        for (k, r) in defs.iter().enumerate() {
            if let Some(first) = defs.iter().take(k).find(|f| f.file == r.file) {
                out.push(notice(inputs, first, r));
            }
        }
    }
    out
}

fn notice(inputs: &Inputs, first: &Resource, r: &Resource) -> Finding {
    let at = NoticeAt::node(inputs, r, name_node(r));
    let message = format!(
        "{} is defined again here, first at {}; applying both keeps only the one applied last, so the findings of the other describe an object that will not run as written",
        at.resource.quoted(),
        place(inputs, first)
    );
    notice_finding(CONTROL, Severity::Low, message, at, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Level;
    use crate::input::LoadOptions;

    fn loaded(files: &[(&str, &str)]) -> (Inputs, Report) {
        let mut inputs = Inputs::default();
        for (name, text) in files {
            inputs.add_text(name, text, &LoadOptions::default());
        }
        let report = Report {
            duplicates: crate::inventory::Inventory::new(&inputs.resources).duplicates(),
            ..Report::default()
        };
        (inputs, report)
    }

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: \"1\"\n";

    #[test]
    fn a_warning_on_each_later_definition_names_the_first() {
        let (inputs, report) = loaded(&[
            ("deploy/cm.yaml", CM),
            (
                "deploy/all.yaml",
                &format!(
                    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n{CM}---\n{CM}---\n{CM}"
                ),
            ),
        ]);
        assert_eq!(report.duplicates, vec![vec![0, 2, 3, 4]]);
        let found = notices(&inputs, &report);
        let seen: Vec<_> = found
            .iter()
            .map(|f| {
                (
                    f.file.as_ref(),
                    f.document,
                    f.line,
                    f.column,
                    f.pointer.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("deploy/all.yaml", 2, 17, 9, "/metadata/name"),
                ("deploy/all.yaml", 3, 25, 9, "/metadata/name"),
            ]
        );
        for f in &found {
            assert_eq!((f.control.as_ref(), f.pack.as_ref()), (CONTROL, PACK));
            assert_eq!(f.level, Level::Warn);
            assert_eq!(&*f.title, "Each object is defined once");
            assert!(f.remedy.starts_with("Keep one definition"));
            assert!(
                f.message.starts_with(
                    "ConfigMap `shop/settings` is defined again here, first at deploy/all.yaml:9;"
                ),
                "{}",
                f.message
            );
        }
    }

    /// Files side by side are applied apart: the same object in two files,
    /// of one folder or of two, is not warned about.
    #[test]
    fn files_are_applied_apart() {
        let (inputs, report) = loaded(&[
            ("app/app.yaml", CM),
            ("app/app-dualstack.yaml", CM),
            ("prod/cm.yaml", CM),
        ]);
        assert_eq!(report.duplicates, vec![vec![0, 1, 2]]);
        assert!(notices(&inputs, &report).is_empty());
    }
}
