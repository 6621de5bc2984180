//! SARIF 2.1.0, for code scanning services and editors: one run, a rule per
//! control with its full metadata, a result per finding with its place in
//! the file and in the resource, a stable fingerprint, waivers as
//! suppressions, and fixes as text replacements when they can be proven
//! (see [`super::edit`]).
//!
//! Columns count Unicode code points (`columnKind`), as Ward's do.

mod meta;
mod results;

use super::common::{self, Source, Sources};
use super::edit::{self, FixPlan, Planner};
use super::score;
use crate::engine::{Engine, Report};
use crate::finding::{Finding, Level};
use crate::input::Inputs;
use serde_json::{Value, json};
use std::collections::HashMap;

use meta::artifact_location;

/// Where `%SRCROOT%` is; without it the log names no absolute folder.
#[derive(Clone, Debug, Default)]
pub struct SarifOptions {
    /// The folder relative paths start from, e.g. the working directory.
    pub srcroot: Option<std::path::PathBuf>,
}

/// The report as a SARIF log (pretty-printed JSON).
pub fn render(report: &Report, engine: &Engine, inputs: &Inputs) -> String {
    render_with(report, engine, inputs, &SarifOptions::default())
}

pub fn render_with(report: &Report, engine: &Engine, inputs: &Inputs, o: &SarifOptions) -> String {
    let mut out = Vec::new();
    match write(report, engine, inputs, o, &mut out) {
        // What `write` writes is JSON text, and so UTF-8.
        Ok(()) => String::from_utf8_lossy(&out).trim_end().to_string(),
        Err(e) => format!("{{\"error\": \"{e}\"}}"),
    }
}

/// The most results of one run that GitHub code scanning accepts; it
/// rejects an upload with more.
pub const CODE_SCANNING_MAX_RESULTS: usize = 25_000;

/// The most results of one run that GitHub code scanning keeps (the most
/// severe); it leaves out the rest.
pub const CODE_SCANNING_KEPT_RESULTS: usize = 5_000;

/// What a log of `results` results (one per finding of the report; waived
/// ones are suppressed results and count) meets when uploaded to GitHub
/// code scanning, when it is more than that service keeps: the warning
/// `ward check --format sarif` prints. `None` when the log fits.
pub fn code_scanning_note(results: usize) -> Option<String> {
    let remedy = "a baseline keeps the findings that exist out of the log \
                  (`--write-baseline FILE` once, then `--baseline FILE`), \
                  and fewer packs make fewer results";
    if results > CODE_SCANNING_MAX_RESULTS {
        Some(format!(
            "the SARIF log has {results} results in its run, and GitHub code scanning \
             rejects a run of more than {CODE_SCANNING_MAX_RESULTS}: {remedy}"
        ))
    } else if results > CODE_SCANNING_KEPT_RESULTS {
        Some(format!(
            "the SARIF log has {results} results in its run, and GitHub code scanning \
             keeps the {CODE_SCANNING_KEPT_RESULTS} most severe of a run and leaves out \
             the other {}: {remedy}",
            results - CODE_SCANNING_KEPT_RESULTS
        ))
    } else {
        None
    }
}

/// Lines of a result's context region on each side of its line.
const CONTEXT_LINES: usize = 2;

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report, engine: &Engine, inputs: &Inputs, o: &SarifOptions) -> Value {
    let sources = Sources::around(inputs, report, CONTEXT_LINES);
    let log = Log::new(report, engine, inputs, o, &sources);
    let results = log.results(&report.findings);
    let mut v = log.frame;
    v["runs"][0]["results"] = Value::Array(results);
    v
}

/// Writes the SARIF log, pretty-printed, and a line break: what
/// `serde_json` prints for [`to_value`]. The results, nearly all of a large
/// report, are made and printed a window at a time, on all cores, rather
/// than held as one tree of values (gigabytes at 100,000 resources).
pub fn write(
    report: &Report,
    engine: &Engine,
    inputs: &Inputs,
    o: &SarifOptions,
    mut w: impl std::io::Write,
) -> std::io::Result<()> {
    let sources = Sources::around(inputs, report, CONTEXT_LINES);
    let log = Log::new(report, engine, inputs, o, &sources);
    let frame = serde_json::to_vec_pretty(&log.frame)?;
    // The run's empty `results`, where the results go.
    const EMPTY: &[u8] = b"\n      \"results\": []";
    let at = frame
        .windows(EMPTY.len())
        .position(|x| x == EMPTY)
        .ok_or_else(|| std::io::Error::other("the log has no results field"))?;
    let (head, tail) = frame.split_at(at + EMPTY.len() - 1);
    w.write_all(head)?;
    if !report.findings.is_empty() {
        let plans = log.planner.plan_in_order(&report.findings, usize::MAX);
        let shared = log.shared();
        common::write_windows(&report.findings, RESULTS, &mut w, |first, fs| {
            let mut out = Vec::new();
            for (j, f) in fs.iter().enumerate() {
                let i = first + j;
                let plan = plans.get(i).and_then(Option::as_ref);
                // The first result follows the `[` without a comma.
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"\n        ");
                // Written by hand at its place, four levels in.
                results::result(
                    &mut results::Pretty::new(&mut out, 4),
                    f,
                    &shared.ctx(f, plan),
                );
            }
            Ok(out)
        })?;
        // The closing `]` is the first byte of the rest.
        w.write_all(b"\n      ")?;
    }
    w.write_all(tail)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// Results printed by one task.
const RESULTS: usize = 1024;

/// The log around its results, and what making a result needs.
struct Log<'a> {
    /// The log with an empty `results`.
    frame: Value,
    sources: &'a Sources,
    planner: Planner<'a>,
    rules: HashMap<&'a str, usize>,
    artifacts: HashMap<&'a str, usize>,
}

/// What every result needs, shared by the threads that make them.
struct Shared<'s, 'a> {
    sources: &'s Sources,
    rules: &'s HashMap<&'a str, usize>,
    artifacts: &'s HashMap<&'a str, usize>,
}

impl<'s> Shared<'s, '_> {
    fn ctx<'p>(&self, f: &Finding, plan: Option<&'p FixPlan>) -> ResultCtx<'s, 'p> {
        ResultCtx {
            rule_index: self.rules.get(&*f.control).copied(),
            artifact: self.artifacts.get(&*f.file).copied(),
            source: self.sources.get(&f.file),
            plan,
        }
    }
}

impl<'a> Log<'a> {
    fn new(
        report: &'a Report,
        engine: &'a Engine,
        inputs: &'a Inputs,
        o: &SarifOptions,
        sources: &'a Sources,
    ) -> Log<'a> {
        let planner = Planner::new(inputs, sources);
        let scores = score::scores(report, engine);
        let mut rules = Vec::new();
        let mut index: HashMap<&'a str, usize> = HashMap::new();
        for c in &scores.controls {
            if !index.contains_key(c.id) {
                let title = c
                    .findings
                    .first()
                    .and_then(|&i| report.findings.get(i))
                    .map(|f| &*f.title)
                    .unwrap_or(c.id);
                index.insert(c.id, rules.len());
                rules.push(meta::rule(c.id, c.def, title));
            }
        }
        let artifacts: Vec<Value> = inputs
            .files
            .iter()
            .map(|f| {
                let mut a = json!({"location": artifact_location(&f.path)});
                // The loader's name for the format: yaml, json, dockerfile...
                let lang = serde_json::to_value(f.format).unwrap_or(Value::Null);
                let lang = lang.as_str().filter(|l| *l != "folder");
                if let (Some(l), Some(obj)) = (lang, a.as_object_mut()) {
                    obj.insert("sourceLanguage".into(), json!(l));
                }
                a
            })
            .collect();
        let artifact_index: HashMap<&'a str, usize> = inputs
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.as_str(), i))
            .collect();
        let lookup = |id: &str| index.get(id).copied();
        let notes = meta::notifications(report, sources, &lookup);
        let root = match &o.srcroot {
            Some(p) => {
                let mut uri = artifact_location(&p.display().to_string())["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if !uri.ends_with('/') {
                    uri.push('/');
                }
                json!({"uri": uri})
            }
            None => json!({"description": {"text": "The folder Ward was run in."}}),
        };
        let packs: Vec<Value> = scores
            .packs
            .iter()
            .map(|p| json!({"name": p.name, "version": p.version, "profile": p.profile}))
            .collect();
        let frame = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "ward",
                    "version": common::VERSION,
                    "semanticVersion": common::VERSION,
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                }},
                "invocations": [{
                    "executionSuccessful": report.errors.is_empty(),
                    "toolExecutionNotifications": notes,
                }],
                "originalUriBaseIds": {"%SRCROOT%": root},
                "artifacts": artifacts,
                "columnKind": "unicodeCodePoints",
                "results": [],
                "properties": {"packs": packs, "resources": report.resources},
            }],
        });
        Log {
            frame,
            sources,
            planner,
            rules: index,
            artifacts: artifact_index,
        }
    }

    fn shared(&self) -> Shared<'_, 'a> {
        Shared {
            sources: self.sources,
            rules: &self.rules,
            artifacts: &self.artifacts,
        }
    }

    /// The results of the findings, in order.
    fn results(&self, findings: &[Finding]) -> Vec<Value> {
        let shared = self.shared();
        let plans = self.planner.plan_in_order(findings, usize::MAX);
        findings
            .iter()
            .zip(&plans)
            .map(|(f, plan)| result(f, &shared.ctx(f, plan.as_ref())))
            .collect()
    }
}

struct ResultCtx<'a, 'p> {
    rule_index: Option<usize>,
    artifact: Option<usize>,
    source: Option<&'a Source>,
    plan: Option<&'p FixPlan>,
}

fn result(f: &Finding, ctx: &ResultCtx<'_, '_>) -> Value {
    let mut lvl = meta::level(f.severity);
    if f.level == Level::Warn && lvl == "error" {
        lvl = "warning";
    }
    let mut r = json!({
        "ruleId": f.control,
        "level": lvl,
        "message": {"text": meta::sentence(&f.message)},
        "locations": [{
            "physicalLocation": physical(f, ctx),
            "logicalLocations": [{
                "name": common::resource_name(&f.resource),
                "fullyQualifiedName": if f.pointer.is_empty() { "/" } else { &f.pointer },
            }],
        }],
        "partialFingerprints": {"wardFingerprint/v1": f.fingerprint},
        "properties": {
            "pack": f.pack,
            "profile": f.profile,
            "severity": f.severity.as_str(),
            "findingLevel": f.level,
            "resource": f.resource,
            "pointer": f.pointer,
            "document": f.document,
            "origin": f.origin,
            "tags": common::finding_tags(f),
        },
    });
    let Some(obj) = r.as_object_mut() else {
        return r;
    };
    if let Some(i) = ctx.rule_index {
        obj.insert("ruleIndex".into(), json!(i));
    }
    if let Some(w) = &f.waived {
        obj.insert("suppressions".into(), suppressions(w));
    }
    if let (Some(plan), Some(src)) = (ctx.plan, ctx.source) {
        obj.insert("fixes".into(), json!([fix(f, plan, src, ctx.artifact)]));
    }
    r
}

/// The `suppressions` of a waived finding's result.
fn suppressions(w: &crate::finding::Suppression) -> Value {
    let kind = if w.source == "annotation" {
        "inSource"
    } else {
        "external"
    };
    json!([{
        "kind": kind,
        "status": "accepted",
        "justification": w.reason,
        "properties": serde_json::to_value(w).unwrap_or_default(),
    }])
}

fn physical(f: &Finding, ctx: &ResultCtx<'_, '_>) -> Value {
    let mut loc = artifact_location(&f.file);
    if let (Some(i), Some(obj)) = (ctx.artifact, loc.as_object_mut()) {
        obj.insert("index".into(), json!(i));
    }
    let line = f.line as usize;
    let col = f.column.max(1) as usize;
    if line == 0 {
        return json!({"artifactLocation": loc});
    }
    let Some(src) = ctx.source else {
        return json!({"artifactLocation": loc, "region": {"startLine": line, "startColumn": col}});
    };
    let start = src.offset(line, col);
    let end = edit::token_end(src, line, col);
    let region = match (start, end) {
        (Some(s), Some(e)) => range(src, s, e, true),
        _ => json!({"startLine": line, "startColumn": src.char_col(line, col)}),
    };
    let first = line.saturating_sub(CONTEXT_LINES).max(1);
    let last = (line + CONTEXT_LINES).min(src.line_count()).max(first);
    let context = match (src.line_range(first), src.line_range(last)) {
        (Some((s, _)), Some((_, e))) => range(src, s, e, true),
        _ => Value::Null,
    };
    let mut p = json!({"artifactLocation": loc, "region": region});
    if let (false, Some(obj)) = (context.is_null(), p.as_object_mut()) {
        obj.insert("contextRegion".into(), context);
    }
    p
}

/// A region between two byte offsets, with its text as the snippet.
fn range(src: &Source, start: usize, end: usize, snippet: bool) -> Value {
    let (sl, sc) = src.line_col(start);
    let (el, ec) = src.line_col(end);
    let char_offset = src.char_offset(start);
    let text = src.shown(src.slice(start, end).unwrap_or(""));
    let text = text.as_ref();
    let mut r = json!({
        "startLine": sl,
        "startColumn": sc,
        "endLine": el,
        "endColumn": ec,
        "charOffset": char_offset,
        "charLength": text.chars().count(),
    });
    if let (true, Some(obj)) = (snippet, r.as_object_mut()) {
        obj.insert("snippet".into(), json!({"text": text}));
    }
    r
}

fn fix(f: &Finding, plan: &FixPlan, src: &Source, artifact: Option<usize>) -> Value {
    let what: Vec<String> = f
        .fix
        .iter()
        .map(|op| match (&op.value, op.op) {
            (Some(v), "add") => format!("add {} = {v}", op.path),
            (Some(v), _) => format!("set {} = {v}", op.path),
            (None, _) => format!("remove {}", op.path),
        })
        .collect();
    let mut loc = artifact_location(&f.file);
    if let (Some(i), Some(obj)) = (artifact, loc.as_object_mut()) {
        obj.insert("index".into(), json!(i));
    }
    let replacements: Vec<Value> = plan
        .edits
        .iter()
        .map(|e| json!({"deletedRegion": range(src, e.start, e.end, false), "insertedContent": {"text": e.text}}))
        .collect();
    json!({
        "description": {"text": meta::sentence(&format!("Ward fix: {}", what.join("; ")))},
        "artifactChanges": [{"artifactLocation": loc, "replacements": replacements}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_that_github_code_scanning_keeps_whole_gets_no_note() {
        assert_eq!(code_scanning_note(0), None);
        assert_eq!(code_scanning_note(CODE_SCANNING_KEPT_RESULTS), None);
    }

    /// The note for a log of `results`, which must say each of `parts`.
    fn note_saying(results: usize, parts: &[&str]) {
        let note = code_scanning_note(results).unwrap_or_default();
        for p in parts {
            assert!(note.contains(p), "{results} results: {note}");
        }
    }

    #[test]
    fn a_log_of_more_results_than_code_scanning_keeps_says_how_many_it_leaves_out() {
        note_saying(
            CODE_SCANNING_KEPT_RESULTS + 1,
            &[
                "5001 results",
                "keeps the 5000 most severe",
                "the other 1:",
                "--baseline FILE",
            ],
        );
        note_saying(CODE_SCANNING_MAX_RESULTS, &["the other 20000:"]);
    }

    #[test]
    fn a_log_of_more_results_than_code_scanning_accepts_says_it_is_rejected() {
        note_saying(
            CODE_SCANNING_MAX_RESULTS + 1,
            &[
                "25001 results",
                "rejects a run of more than 25000",
                "--write-baseline FILE",
            ],
        );
    }
}
