//! `ward diff`: the findings of two runs compared by fingerprint, so a team
//! sees what a change or a cluster's drift brought (new findings), what it
//! removed (fixed) and what stays (still open).
//!
//! A finding is keyed by [`crate::finding::fingerprint`]: its control, its
//! resource's apiVersion, kind, namespace and name, and its JSON pointer.
//! File names and line numbers take no part, so moving, reformatting or
//! reordering manifests changes nothing in a diff.

use crate::engine::Report;
use crate::finding::{Finding, Identity, Level, fingerprint};
use crate::report::common::resource_name;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ward_lang::hir::Severity;

/// One finding as `ward diff` compares it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub fingerprint: String,
    pub control: String,
    pub severity: Severity,
    pub level: Level,
    pub title: String,
    pub message: String,
    pub resource: Identity,
    pub file: String,
    pub line: u32,
    pub pointer: String,
}

impl Entry {
    pub fn of(f: &Finding) -> Entry {
        Entry {
            fingerprint: f.fingerprint().to_string(),
            control: f.control.to_string(),
            severity: f.severity,
            level: f.level,
            title: f.title.to_string(),
            message: f.message.to_string(),
            resource: (*f.resource).clone(),
            file: f.file.to_string(),
            line: f.line,
            pointer: f.pointer.clone(),
        }
    }

    /// Makes a path-named resource's name (a Dockerfile's, a workflow's, a
    /// folder's `Repository`) relative to `root`, the path the run was given,
    /// so the same file under two folders keeps its fingerprint.
    pub fn relative_to(mut self, root: &str) -> Entry {
        if !self.resource.api_version.starts_with("ward.dev/") {
            return self;
        }
        let root = root.trim_end_matches('/');
        let name = &self.resource.name;
        let rel = if name == root {
            Some(".".to_string())
        } else {
            name.strip_prefix(root)
                .and_then(|r| r.strip_prefix('/'))
                .map(str::to_string)
        };
        if let Some(rel) = rel {
            self.resource.name = rel;
            self.fingerprint =
                fingerprint(&self.control, &self.resource, &self.pointer).to_string();
        }
        self
    }
}

/// The entries of a report: its findings that no waiver covers.
pub fn entries(r: &Report) -> Vec<Entry> {
    r.findings
        .iter()
        .filter(|f| f.waived.is_none())
        .map(Entry::of)
        .collect()
}

/// A finding as the JSON report writes it: the fields `ward diff` reads.
#[derive(Deserialize)]
struct ReportFinding {
    control: String,
    severity: Severity,
    level: Level,
    #[serde(default)]
    title: String,
    #[serde(default)]
    message: String,
    resource: Identity,
    file: String,
    line: u32,
    pointer: String,
    #[serde(default)]
    waived: Option<serde_json::Value>,
}

/// A JSON report (`ward check --format json`), read back.
#[derive(Debug)]
pub struct ReadReport {
    pub version: String,
    pub entries: Vec<Entry>,
    /// How many errors the run that wrote it had.
    pub errors: usize,
}

/// A JSON report as `ward diff` reads it in one pass, straight into its
/// findings.
#[derive(Deserialize)]
struct ReportDoc {
    ward: String,
    findings: Vec<ReportFinding>,
    #[serde(rename = "summary")]
    _summary: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    errors: Option<Vec<serde::de::IgnoredAny>>,
}

/// What makes a JSON value a report, its findings left unread.
#[derive(Deserialize)]
struct ReportShape {
    #[serde(rename = "ward")]
    _ward: String,
    #[serde(rename = "findings")]
    _findings: Vec<serde::de::IgnoredAny>,
    #[serde(rename = "summary")]
    _summary: std::collections::BTreeMap<String, serde::de::IgnoredAny>,
}

/// Reads `text` as a Ward JSON report (`docs/report.schema.json`): `None`
/// when it is not one (no top-level `ward`, `findings` and `summary`), an
/// error when it claims to be one and a finding does not read.
///
/// A report is read straight into its findings. Text that does not read
/// that way is looked at for the shape of a report, without keeping
/// anything, and only a report with a finding that does not read is read
/// again as a JSON value, to name the finding. Reading every file as a
/// value first took four times its size in memory, and `ward diff` is
/// often given two cluster exports, which are not reports.
pub fn read_report(text: &str) -> Option<Result<ReadReport, String>> {
    match serde_json::from_str::<ReportDoc>(text) {
        Ok(doc) => Some(Ok(ReadReport {
            version: doc.ward,
            entries: doc
                .findings
                .into_iter()
                .filter_map(ReportFinding::entry)
                .collect(),
            errors: doc.errors.map_or(0, |e| e.len()),
        })),
        Err(_) if serde_json::from_str::<ReportShape>(text).is_err() => None,
        Err(_) => read_report_value(text),
    }
}

impl ReportFinding {
    /// The entry of a finding no waiver covers.
    fn entry(self) -> Option<Entry> {
        if self.waived.as_ref().is_some_and(|w| !w.is_null()) {
            return None;
        }
        Some(Entry {
            fingerprint: fingerprint(&self.control, &self.resource, &self.pointer).to_string(),
            control: self.control,
            severity: self.severity,
            level: self.level,
            title: self.title,
            message: self.message,
            resource: self.resource,
            file: self.file,
            line: self.line,
            pointer: self.pointer,
        })
    }
}

/// [`read_report`] through a JSON value.
fn read_report_value(text: &str) -> Option<Result<ReadReport, String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let obj = v.as_object()?;
    let version = obj.get("ward")?.as_str()?.to_string();
    let findings = obj.get("findings")?.as_array()?;
    obj.get("summary")?.as_object()?;
    let mut entries = Vec::with_capacity(findings.len());
    for (i, f) in findings.iter().enumerate() {
        let f: ReportFinding = match serde_json::from_value(f.clone()) {
            Ok(f) => f,
            Err(e) => return Some(Err(format!("finding {i} of the report: {e}"))),
        };
        entries.extend(f.entry());
    }
    let errors = obj
        .get("errors")
        .and_then(|e| e.as_array())
        .map_or(0, Vec::len);
    Some(Ok(ReadReport {
        version,
        entries,
        errors,
    }))
}

/// Two runs compared.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Drift {
    /// In the new run only.
    pub new: Vec<Entry>,
    /// In the old run only.
    pub fixed: Vec<Entry>,
    /// In both, as the new run reports them.
    pub open: Vec<Entry>,
}

/// Compares two runs' entries by fingerprint. A fingerprint reported `n`
/// times before and `m` times after is `min(n, m)` times still open and the
/// rest new or fixed; the fixed ones are the first it had before.
pub fn compare(old: Vec<Entry>, new: Vec<Entry>) -> Drift {
    use rayon::slice::ParallelSliceMut;
    let mut d = Drift::default();
    // How many old entries each fingerprint has, then how many of them no
    // new entry matched: the map holds counts and borrows the old entries'
    // fingerprints, not a list of entries per fingerprint.
    let keep = {
        let mut left: HashMap<&str, usize> = HashMap::with_capacity(old.len());
        for e in &old {
            *left.entry(e.fingerprint.as_str()).or_default() += 1;
        }
        for e in new {
            match left.get_mut(e.fingerprint.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    d.open.push(e);
                }
                _ => d.new.push(e),
            }
        }
        old.iter()
            .map(|e| match left.get_mut(e.fingerprint.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            })
            .collect::<Vec<bool>>()
    };
    d.fixed = old
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect();
    for list in [&mut d.new, &mut d.fixed, &mut d.open] {
        list.par_sort_by(|a, b| {
            b.severity.cmp(&a.severity).then_with(|| {
                (&a.control, &a.resource, &a.pointer, &a.file, a.line).cmp(&(
                    &b.control,
                    &b.resource,
                    &b.pointer,
                    &b.file,
                    b.line,
                ))
            })
        });
    }
    d
}

/// The counts of a diff.
#[derive(Debug, Serialize)]
pub struct DiffSummary {
    pub new: usize,
    pub fixed: usize,
    pub open: usize,
}

/// The new findings of a diff as GitHub Actions annotations, on the lines
/// of the pull request that brought them (what was fixed or was open
/// before is not annotated), then a count line.
pub fn render_github(d: &Drift, o: &crate::report::github::GithubOptions) -> String {
    use crate::report::github::{annotation, relative};
    let mut out = String::new();
    for e in &d.new {
        annotation(
            &mut out,
            e.level,
            Some(&relative(&e.file, o)),
            (e.line, None),
            &format!("{}: {}", e.control, e.title),
            &format!(
                "new: {}\n{} at {}",
                e.message,
                e.resource.shown(),
                e.pointer
            ),
        );
    }
    out.push_str(&format!(
        "ward diff: {} new, {} fixed, {} still open\n",
        d.new.len(),
        d.fixed.len(),
        d.open.len()
    ));
    out
}

/// The diff as pretty-printed JSON: `{"ward", "old", "new_run", ...}`.
pub fn render_json(d: &Drift, old: &str, new: &str) -> String {
    let v = serde_json::json!({
        "ward": env!("CARGO_PKG_VERSION"),
        "old": old,
        "new": new,
        "summary": DiffSummary { new: d.new.len(), fixed: d.fixed.len(), open: d.open.len() },
        "findings": {
            "new": d.new,
            "fixed": d.fixed,
            "open": d.open,
        },
    });
    serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The diff for a terminal: a count line, then each section.
pub fn render_text(d: &Drift, old: &str, new: &str) -> String {
    let mut out = format!(
        "{old} -> {new}: {} new, {} fixed, {} still open\n",
        d.new.len(),
        d.fixed.len(),
        d.open.len()
    );
    for (title, list, sign) in [
        ("New", &d.new, '+'),
        ("Fixed", &d.fixed, '-'),
        ("Still open", &d.open, ' '),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title} ({}):\n", list.len()));
        for e in list {
            out.push_str(&format!(
                "{sign} {:<8} {}  {}  {}\n    {}:{}  {}\n",
                e.severity.as_str(),
                e.control,
                resource_name(&e.resource),
                e.pointer,
                e.file,
                e.line,
                e.message
            ));
        }
    }
    out
}

/// The diff as Markdown for a pull-request comment: a count line and a
/// table per section, the still-open findings folded away.
pub fn render_markdown(d: &Drift, old: &str, new: &str) -> String {
    let mut out = format!(
        "### Ward: {} new, {} fixed, {} still open\n\n`{}` → `{}`\n",
        d.new.len(),
        d.fixed.len(),
        d.open.len(),
        md(old),
        md(new)
    );
    for (title, list, fold) in [
        ("New findings", &d.new, false),
        ("Fixed", &d.fixed, false),
        ("Still open", &d.open, true),
    ] {
        if list.is_empty() {
            continue;
        }
        if fold {
            out.push_str(&format!(
                "\n<details><summary>{title} ({})</summary>\n\n",
                list.len()
            ));
        } else {
            out.push_str(&format!("\n#### {title} ({})\n\n", list.len()));
        }
        out.push_str(
            "| Severity | Control | Resource | Where | Message |\n|---|---|---|---|---|\n",
        );
        for e in list {
            out.push_str(&format!(
                "| {} | `{}` | `{}` | `{}:{}` | {} |\n",
                e.severity.as_str(),
                md(&e.control),
                md(&resource_name(&e.resource)),
                md(&e.file),
                e.line,
                md(&e.message)
            ));
        }
        if fold {
            out.push_str("\n</details>\n");
        }
    }
    out
}

/// Text safe inside a Markdown table cell or code span.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(control: &str, name: &str, pointer: &str, line: u32) -> Entry {
        let resource = Identity {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: "ns".into(),
            name: name.into(),
        };
        Entry {
            fingerprint: fingerprint(control, &resource, pointer).to_string(),
            control: control.into(),
            severity: Severity::High,
            level: Level::Deny,
            title: String::new(),
            message: String::new(),
            resource,
            file: format!("{name}.yaml"),
            line,
            pointer: pointer.into(),
        }
    }

    #[test]
    fn keys_ignore_files_and_lines() {
        let old = vec![entry("a", "p", "/x", 3), entry("b", "p", "/y", 4)];
        let mut moved = entry("a", "p", "/x", 30);
        moved.file = "elsewhere.yaml".into();
        let new = vec![moved, entry("c", "q", "/z", 1)];
        let d = compare(old, new);
        assert_eq!(d.open.len(), 1);
        assert_eq!(
            d.open[0].line, 30,
            "still-open findings are shown where they now are"
        );
        assert_eq!(d.new.len(), 1);
        assert_eq!(&*d.new[0].control, "c");
        assert_eq!(d.fixed.len(), 1);
        assert_eq!(&*d.fixed[0].control, "b");
    }

    #[test]
    fn repeated_fingerprints_count() {
        let old = vec![entry("a", "p", "/x", 1)];
        let new = vec![entry("a", "p", "/x", 1), entry("a", "p", "/x", 2)];
        let d = compare(old, new);
        assert_eq!((d.new.len(), d.fixed.len(), d.open.len()), (1, 0, 1));
    }

    /// Counting is what a list of entries per fingerprint, popped from the
    /// end, did: on random runs with fingerprints repeated, the same new,
    /// fixed and open entries (told apart by their lines).
    #[test]
    fn counting_is_matching_entries_one_by_one() {
        fn by_lists(old: Vec<Entry>, new: Vec<Entry>) -> Drift {
            let mut before: HashMap<String, Vec<Entry>> = HashMap::new();
            for e in old {
                before.entry(e.fingerprint.clone()).or_default().push(e);
            }
            let mut d = Drift::default();
            for e in new {
                match before.get_mut(&e.fingerprint).and_then(Vec::pop) {
                    Some(_) => d.open.push(e),
                    None => d.new.push(e),
                }
            }
            d.fixed = before.into_values().flatten().collect();
            for list in [&mut d.new, &mut d.fixed, &mut d.open] {
                list.sort_by(|a, b| (&a.fingerprint, a.line).cmp(&(&b.fingerprint, b.line)));
            }
            d
        }
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for round in 0..300 {
            let mut line = 0;
            let mut run = |len: u64, next: &mut dyn FnMut(u64) -> u64| -> Vec<Entry> {
                (0..len)
                    .map(|_| {
                        line += 1;
                        let c = ["a", "b", "c"][next(3) as usize];
                        entry(c, &format!("p{}", next(4)), "/x", line)
                    })
                    .collect()
            };
            let old = run(next(12), &mut next);
            let new = run(next(12), &mut next);
            let mut got = compare(old.clone(), new.clone());
            for list in [&mut got.new, &mut got.fixed, &mut got.open] {
                list.sort_by(|a, b| (&a.fingerprint, a.line).cmp(&(&b.fingerprint, b.line)));
            }
            assert_eq!(got, by_lists(old, new), "round {round}");
        }
    }

    #[test]
    fn path_named_resources_are_relative_to_the_run() {
        let mut e = entry("a", "old/app/Dockerfile", "/x", 1);
        e.resource.api_version = "ward.dev/v1".into();
        let a = e.clone().relative_to("old");
        let mut e2 = e.clone();
        e2.resource.name = "new/app/Dockerfile".into();
        let b = e2.relative_to("new/");
        assert_eq!(a.resource.name, "app/Dockerfile");
        assert_eq!(a.fingerprint, b.fingerprint);
    }

    #[test]
    fn reads_only_ward_reports() {
        assert!(
            read_report("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}").is_none()
        );
        assert!(read_report("not json").is_none());
        let bad = read_report(r#"{"ward": "0", "findings": [{"control": 1}], "summary": {}}"#);
        assert!(matches!(bad, Some(Err(e)) if e.starts_with("finding 0 of the report")));
        // The shape of a report: `summary` an object, `findings` a list.
        assert!(read_report(r#"{"ward": "0", "findings": [], "summary": 1}"#).is_none());
        assert!(read_report(r#"{"ward": "0", "findings": {}, "summary": {}}"#).is_none());
        // Keys in any order, and fields Ward does not read, are a report.
        let good = read_report(
            r#"{"summary": {"findings": 1}, "errors": [{}], "findings": [{"control": "a",
            "severity": "high", "level": "deny", "resource": {"apiVersion": "v1",
            "kind": "Pod", "namespace": "ns", "name": "p"}, "file": "p.yaml", "line": 3,
            "pointer": "/spec", "extra": [1]}], "ward": "0.1.0"}"#,
        );
        let Some(Ok(good)) = good else {
            panic!("not read: {good:?}")
        };
        assert_eq!((good.version.as_str(), good.errors), ("0.1.0", 1));
        assert_eq!(good.entries, vec![entry("a", "p", "/spec", 3)]);
    }
}
