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
    /// Findings a baseline left out of the report; absent when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub baselined: usize,
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
        baselined: r.baselined.len(),
        errors: r.errors.len(),
        skipped: r.skipped.len(),
        by_severity,
        controls: r.outcomes.len(),
        controls_failed: r.outcomes.iter().filter(|o| o.failed > 0).count(),
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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
/// What the report serialises.
fn out(r: &Report) -> Out<'_> {
    Out {
        ward: env!("CARGO_PKG_VERSION"),
        findings: &r.findings,
        errors: &r.errors,
        skipped: &r.skipped,
        summary: summary(r),
    }
}

pub fn render(r: &Report) -> String {
    serde_json::to_string_pretty(&out(r)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Writes the report to `w` as [`render`] would return it, without holding
/// the text: on a 100,000-resource export the report is hundreds of
/// megabytes.
pub fn write(r: &Report, w: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut w, &out(r))?;
    w.write_all(b"\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_gives_the_text_render_gives() {
        let Ok(engine) = crate::EngineBuilder::new().build() else {
            panic!("the built-in packs build");
        };
        let Ok(sel) = engine.select(&engine.default_packs(), false, &[]) else {
            panic!("the default packs select");
        };
        let mut inputs = crate::Inputs::default();
        inputs.add_text(
            "pod.yaml",
            "kind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  containers: [{name: a, image: nginx}]\n",
            &crate::LoadOptions::default(),
        );
        let report = engine.evaluate(&sel, &inputs, &crate::EvalOptions::default());
        assert!(!report.findings.is_empty());
        let mut out = Vec::new();
        assert!(super::write(&report, &mut out).is_ok());
        assert_eq!(String::from_utf8_lossy(&out), super::render(&report) + "\n");
    }
}
