//! The JSON report: Ward's stable, documented output contract
//! (`docs/report.schema.json`).

use crate::engine::Report;
use crate::finding::Level;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `summary` object.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    pub findings: usize,
    pub deny: usize,
    pub warn: usize,
    pub waived: usize,
    pub errors: usize,
    pub skipped: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub controls: usize,
    pub controls_failed: usize,
}

pub fn summary(r: &Report) -> Summary {
    let active: Vec<_> = r.findings.iter().filter(|f| f.waived.is_none()).collect();
    let mut by_severity = BTreeMap::new();
    for f in &active {
        *by_severity
            .entry(f.severity.as_str().to_string())
            .or_insert(0) += 1;
    }
    Summary {
        files: r.files,
        resources: r.resources,
        findings: active.len(),
        deny: active.iter().filter(|f| f.level == Level::Deny).count(),
        warn: active.iter().filter(|f| f.level == Level::Warn).count(),
        waived: r.findings.len() - active.len(),
        errors: r.errors.len(),
        skipped: r.skipped.len(),
        by_severity,
        controls: r.outcomes.len(),
        controls_failed: r.outcomes.iter().filter(|o| o.failed > 0).count(),
    }
}

#[derive(Serialize)]
struct Out<'a> {
    ward: &'a str,
    findings: &'a [crate::finding::Finding],
    errors: &'a [crate::finding::Error],
    skipped: &'a [crate::input::Skipped],
    summary: Summary,
}

/// The report as pretty-printed JSON.
pub fn render(r: &Report) -> String {
    let out = Out {
        ward: env!("CARGO_PKG_VERSION"),
        findings: &r.findings,
        errors: &r.errors,
        skipped: &r.skipped,
        summary: summary(r),
    };
    serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
