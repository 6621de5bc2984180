//! The data the HTML page renders, as one JSON document.

use crate::engine::{Engine, Report};
use crate::finding::Finding;
use crate::input::Inputs;
use crate::report::common::{self, Source, resource_name};
use crate::report::edit;
use crate::report::score::{self, Scores};
use serde_json::{Value, json};

/// Findings that get a code frame; past this the page shows places only.
const MAX_FRAMES: usize = 5000;
/// Findings whose fix is worked out as a diff.
pub(crate) const MAX_DIFFS: usize = 1000;
/// Lines shown above and below the offending line.
pub(super) const CONTEXT: usize = 3;
/// Characters of one line shown in a frame.
const LINE_CHARS: usize = 300;

/// The page's data as one value: what the page holds, for tests.
#[cfg(test)]
pub(crate) fn build(report: &Report, engine: &Engine, inputs: &Inputs) -> Value {
    let sources = crate::report::common::Sources::around(inputs, report, CONTEXT);
    let (before, after) = around(report, engine, inputs);
    let plans = edit::Planner::new(inputs, &sources).plan_in_order(&report.findings, MAX_DIFFS);
    let findings: Vec<Value> = report
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            finding(
                f,
                sources.get(&f.file),
                i,
                plans.get(i).and_then(Option::as_ref),
            )
        })
        .collect();
    let mut data = before;
    if let Some(o) = data.as_object_mut() {
        o.insert("findings".into(), Value::Array(findings));
        o.extend(after.as_object().cloned().unwrap_or_default());
    }
    data
}

/// The page's data before its findings and after them: two objects whose
/// fields, with `findings` between them, are the data in order.
pub(crate) fn around(report: &Report, engine: &Engine, inputs: &Inputs) -> (Value, Value) {
    let scores = score::scores(report, engine);
    let summary = super::super::json::summary(report);
    let before = json!({
        "ward": common::VERSION,
        "run": {
            "files": report.files,
            "resources": report.resources,
            "inputs": inputs.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        },
        "summary": summary,
        "packs": packs(engine, &scores),
        "frameworks": frameworks(&scores),
        "controls": controls(&scores),
    });
    let after = json!({
        "errors": report.errors,
        "skipped": report.skipped,
        "limits": {"frames": MAX_FRAMES, "diffs": MAX_DIFFS},
    });
    (before, after)
}

fn packs(engine: &Engine, s: &Scores<'_>) -> Vec<Value> {
    s.packs
        .iter()
        .map(|p| {
            let description = engine
                .program
                .pack(&p.name)
                .map(|d| d.description.clone())
                .unwrap_or_default();
            json!({
                "name": p.name,
                "version": p.version,
                "profile": p.profile,
                "description": description,
                "passed": p.score.passed,
                "applicable": p.score.applicable,
                "controls": s.controls.iter().filter(|c| c.pack == p.name).count(),
            })
        })
        .collect()
}

fn frameworks(s: &Scores<'_>) -> Vec<Value> {
    s.frameworks
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "title": f.title,
                "version": f.version,
                "url": f.url,
                "passed": f.score.passed,
                "applicable": f.score.applicable,
                "controls": f.controls,
                "itemsCovered": f.items_covered,
                "itemsTotal": f.items_total,
            })
        })
        .collect()
}

fn controls(s: &Scores<'_>) -> Vec<Value> {
    s.controls
        .iter()
        .map(|c| {
            let d = c.def;
            json!({
                "id": c.id,
                "pack": c.pack,
                "title": d.map(|d| d.title.as_str()).unwrap_or(c.id),
                "severity": d.map(|d| d.severity.as_str()).unwrap_or("medium"),
                "description": d.map(common::description).unwrap_or_default(),
                "remedy": d.map(|d| d.remedy.as_str()).unwrap_or(""),
                "references": d.map(|d| d.references.clone()).unwrap_or_default(),
                "frameworks": d.map(common::framework_tags).unwrap_or_default(),
                "applied": c.applied,
                "passed": c.passed(),
                "failed": c.failed,
                "waived": c.waived,
                "warned": c.warned,
                "errors": c.errors,
                "status": c.status(),
                "findings": c.findings,
            })
        })
        .collect()
}

/// One finding's data; `plan` is its fix as edits when it gets a diff.
pub(crate) fn finding(
    f: &Finding,
    src: Option<&Source>,
    i: usize,
    plan: Option<&edit::FixPlan>,
) -> Value {
    let frame = if i < MAX_FRAMES {
        src.and_then(|s| frame(s, f))
    } else {
        None
    };
    let diff = src
        .zip(plan)
        .and_then(|(src, plan)| edit::unified_diff(src, plan, &f.file, 2));
    let diff = diff.map(|d| match src {
        Some(s) => s.shown(&d).into_owned(),
        None => d,
    });
    json!({
        "control": f.control,
        "pack": f.pack,
        "severity": f.severity.as_str(),
        "level": f.level,
        "message": f.message,
        "resource": resource_name(&f.resource),
        "kind": f.resource.kind,
        "namespace": f.resource.namespace,
        "name": f.resource.name,
        "file": f.file,
        "line": f.line,
        "column": f.column,
        "pointer": f.pointer,
        "origin": f.origin,
        "waived": f.waived,
        "fingerprint": f.fingerprint,
        "frame": frame,
        "fix": f.fix,
        "diff": diff,
    })
}

/// The lines around a finding, with the offending token's place.
fn frame(src: &Source, f: &Finding) -> Option<Value> {
    let line = f.line as usize;
    if line == 0 {
        return None;
    }
    let first = line.saturating_sub(CONTEXT).max(1);
    let last = (line + CONTEXT).min(src.line_count());
    let lines: Vec<String> = (first..=last)
        .map(|n| {
            let l = src.shown(src.line(n).unwrap_or(""));
            if l.chars().count() > LINE_CHARS {
                l.chars().take(LINE_CHARS).chain(['…']).collect()
            } else {
                l.to_string()
            }
        })
        .collect();
    let col = src.char_col(line, f.column.max(1) as usize);
    let len = match (
        src.offset(line, f.column.max(1) as usize),
        edit::token_end(src, line, f.column.max(1) as usize),
    ) {
        (Some(s), Some(e)) => src.slice(s, e).map(|t| t.chars().count()).unwrap_or(1),
        _ => 1,
    };
    Some(json!({"start": first, "line": line, "col": col, "len": len.max(1), "lines": lines}))
}
