//! Baselines: the findings a project accepted at one point, so that a run
//! reports only what is new.
//!
//! A baseline is JSON: each finding's fingerprint (control, resource
//! identity and JSON pointer; never a line or a file position, so it
//! survives reformatting and reordering) with the control, resource and
//! pointer spelled out for people. A finding whose fingerprint is in the
//! baseline is left out of the report (its resource counts as waived in
//! the control's outcome) and kept in [`Report::baselined`].

use crate::engine::Report;
use crate::finding::{Finding, Suppression};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The baseline format this Ward writes and reads.
pub const FORMAT: u32 = 1;
/// The suppression source of baselined findings.
pub const SOURCE: &str = "baseline";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub format: u32,
    /// The Ward that wrote it.
    #[serde(default)]
    pub ward: String,
    pub findings: Vec<Entry>,
}

/// One accepted finding.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub control: String,
    pub resource: Resource,
    pub pointer: String,
    /// Where it was when the baseline was written (for people; not matched).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub namespace: String,
    pub name: String,
}

impl Baseline {
    /// The findings of a report that no waiver covers, each once, in
    /// fingerprint order, with those a baseline left out of it (so a
    /// baseline written while one is applied keeps what is still there,
    /// and drops what is gone). Ward's own notices (about waivers, about
    /// objects defined twice) are left out.
    pub fn from_report(report: &Report) -> Baseline {
        let mut findings: Vec<Entry> = report
            .findings
            .iter()
            .chain(&report.baselined)
            .filter(|f| f.waived.is_none() && !crate::finding::is_notice(&f.pack))
            .map(|f| Entry {
                fingerprint: f.fingerprint.to_string(),
                control: f.control.to_string(),
                resource: Resource {
                    api_version: f.resource.api_version.clone(),
                    kind: f.resource.kind.clone(),
                    namespace: f.resource.namespace.clone(),
                    name: f.resource.name.clone(),
                },
                pointer: f.pointer.clone(),
                file: f.file.to_string(),
            })
            .collect();
        findings.sort();
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            format: FORMAT,
            ward: env!("CARGO_PKG_VERSION").to_string(),
            findings,
        }
    }

    /// Reads a baseline; errors name the line and column.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let b: Baseline = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            format!("{}:{}: {msg}", e.line(), e.column())
        })?;
        if b.format != FORMAT {
            return Err(format!(
                "1:1: baseline format {} is not supported; this Ward reads format {FORMAT}",
                b.format
            ));
        }
        Ok(b)
    }

    pub fn to_json(&self) -> String {
        crate::report::common::written(|out| self.write(out))
    }

    /// Writes what [`Baseline::to_json`] returns, as it is made: a
    /// baseline of a large export is tens of megabytes.
    pub fn write(&self, w: impl std::io::Write) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
        serde_json::to_writer_pretty(&mut w, self)?;
        w.write_all(b"\n")?;
        w.flush()
    }

    /// Moves the findings the baseline holds out of the report's findings
    /// into [`Report::baselined`] (unless a waiver already covers them:
    /// those stay visible as waived), counts their resources as waived in
    /// the outcomes; returns how many it moved.
    pub fn apply(&self, report: &mut Report) -> usize {
        let known: HashSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let mut n = 0;
        for f in report.findings.iter_mut().filter(|f| f.waived.is_none()) {
            if known.contains(f.fingerprint.hex().as_str()) {
                f.waived = Some(Box::new(Suppression {
                    reason: "in the baseline".into(),
                    owner: None,
                    ticket: None,
                    expires: None,
                    source: SOURCE.into(),
                }));
                n += 1;
            }
        }
        crate::waivers::recount(report);
        let (held, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut report.findings)
            .into_iter()
            .partition(is_baselined);
        report.findings = kept;
        report.baselined.extend(held.into_iter().map(|mut f| {
            f.waived = None;
            f
        }));
        n
    }
}

/// Whether a finding is suppressed by a baseline (rather than waived).
fn is_baselined(f: &Finding) -> bool {
    f.waived.as_ref().is_some_and(|w| w.source == SOURCE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Inputs, LoadOptions};
    use crate::{Engine, EngineBuilder, PackRef};

    fn check(engine: &Engine, files: &[(&str, &str)]) -> Report {
        let sel = engine
            .select(
                &[PackRef {
                    name: "pss-baseline".into(),
                    version: None,
                }],
                false,
                &[],
            )
            .expect("selected");
        let mut inputs = Inputs::default();
        for (name, text) in files {
            inputs.add_text(name, text, &LoadOptions::default());
        }
        engine.evaluate(&sel, &inputs, &Default::default())
    }

    const BEFORE: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
spec:
  containers:
  - name: app
    image: app:1
    securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop}
spec:
  hostPID: true
  containers: [{name: app, image: app:1}]
";

    /// The same pods, documents swapped, keys reordered, flow style turned
    /// into block style and back, comments added, in another file.
    const AFTER: &str = "\
# reordered
kind: Pod
apiVersion: v1
spec:
  containers: [{image: 'app:1', name: app}]
  hostPID: true
metadata:
  namespace: shop
  name: b
---
metadata:
  name: a
  namespace: shop
kind: Pod
apiVersion: v1
spec:
  containers:
    - securityContext:
        privileged: true
      image: app:1
      name: app
";

    #[test]
    fn fingerprints_survive_reformatting_and_reordering() {
        let engine = EngineBuilder::new()
            .build()
            .map_err(|e| e.diagnostics)
            .expect("built");
        let before = check(&engine, &[("one.yaml", BEFORE)]);
        assert_eq!(before.findings.len(), 2);
        let baseline = Baseline::from_report(&before);
        assert_eq!(baseline.findings.len(), 2);
        let text = baseline.to_json();
        let back = Baseline::parse(&text).expect("reads back");
        assert_eq!(back, baseline);

        let mut after = check(&engine, &[("moved/other.yaml", AFTER)]);
        assert_eq!(after.findings.len(), 2);
        assert_eq!(back.apply(&mut after), 2);
        assert!(after.findings.is_empty(), "{:?}", after.findings);
        assert_eq!(after.baselined.len(), 2);
        // Written again with the baseline applied, it holds the same.
        let prints = |b: &Baseline| -> Vec<String> {
            b.findings.iter().map(|e| e.fingerprint.clone()).collect()
        };
        assert_eq!(prints(&Baseline::from_report(&after)), prints(&back));
        let o = after
            .outcomes
            .iter()
            .find(|o| o.control == "pss.baseline.privileged")
            .expect("an outcome");
        assert_eq!((o.failed, o.waived), (0, 1));

        // A new finding is reported; the old ones are not.
        let new = AFTER.replace("name: b\n", "name: b\n---\nkind: Pod\nmetadata: {name: c, namespace: shop}\nspec: {hostIPC: true, containers: [{name: x}]}\n");
        let mut again = check(&engine, &[("moved/other.yaml", &new)]);
        assert_eq!(back.apply(&mut again), 2);
        let left: Vec<(&str, &str)> = again
            .findings
            .iter()
            .map(|f| (f.resource.name.as_str(), &*f.control))
            .collect();
        assert_eq!(left, [("c", "pss.baseline.hostNamespaces")]);
    }

    #[test]
    fn waived_findings_stay_visible_and_out_of_the_baseline() {
        let engine = EngineBuilder::new()
            .build()
            .map_err(|e| e.diagnostics)
            .expect("built");
        let mut r = check(&engine, &[("one.yaml", BEFORE)]);
        if let Some(f) = r.findings.first_mut() {
            f.waived = Some(Suppression::accepted());
        }
        let b = Baseline::from_report(&r);
        assert_eq!(b.findings.len(), 1);
        let all = Baseline::from_report(&check(&engine, &[("one.yaml", BEFORE)]));
        assert_eq!(all.apply(&mut r), 1);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(
            r.findings[0].waived.as_ref().map(|w| w.reason.as_str()),
            Some("accepted")
        );
    }

    #[test]
    fn bad_baselines_name_line_and_column() {
        assert_eq!(
            Baseline::parse("{\"format\": 1,\n \"findings\": 3}"),
            Err("2:14: invalid type: integer `3`, expected a sequence".to_string())
        );
        assert_eq!(
            Baseline::parse("{\"format\": 9, \"findings\": []}"),
            Err("1:1: baseline format 9 is not supported; this Ward reads format 1".to_string())
        );
    }
}
