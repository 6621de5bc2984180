//! Per-control results and the scores of packs and frameworks.
//!
//! A control is *applicable* when it applied to at least one resource (or
//! failed with an error on one), and it *passes* when it applied to at least
//! one resource, has no deny finding that is not waived, and no error. A
//! score is passed controls / applicable controls. Counts of resources come
//! from the report's findings, so waivers are taken into account.

use super::common::control;
use crate::engine::{Engine, Report};
use crate::finding::{Finding, Level};
use std::collections::{BTreeSet, HashMap};
use ward_lang::hir::ControlDef;

/// How one control did in one pack.
#[derive(Debug)]
pub(crate) struct ControlStat<'a> {
    pub id: &'a str,
    pub pack: &'a str,
    pub def: Option<&'a ControlDef>,
    /// Resources it applied to.
    pub applied: usize,
    /// Resources with a deny finding that is not waived.
    pub failed: usize,
    /// Resources whose deny findings are all waived.
    pub waived: usize,
    /// Resources with a warning (and no failure).
    pub warned: usize,
    pub errors: usize,
    /// Indexes into the report's findings.
    pub findings: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Error,
    /// Applied to no resource.
    None,
}

impl ControlStat<'_> {
    pub fn status(&self) -> Status {
        if self.failed > 0 {
            Status::Fail
        } else if self.errors > 0 {
            Status::Error
        } else if self.applied == 0 {
            Status::None
        } else {
            Status::Pass
        }
    }

    /// Resources it applied to with no finding that fails or is waived.
    pub fn passed(&self) -> usize {
        self.applied.saturating_sub(self.failed + self.waived)
    }
}

/// A score: passed / applicable controls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Score {
    pub passed: usize,
    pub applicable: usize,
}

impl Score {
    fn add(&mut self, s: Status) {
        if s != Status::None {
            self.applicable += 1;
        }
        if s == Status::Pass {
            self.passed += 1;
        }
    }

    /// The score in percent, rounded down; `None` when nothing applied.
    pub fn percent(&self) -> Option<usize> {
        (self.applicable > 0).then(|| self.passed * 100 / self.applicable)
    }
}

#[derive(Debug)]
pub(crate) struct PackStat {
    pub name: String,
    pub version: String,
    /// The profile version it ran at, when findings tell.
    pub profile: Option<String>,
    pub score: Score,
}

#[derive(Debug)]
pub(crate) struct FrameworkStat {
    pub name: String,
    pub title: String,
    pub version: String,
    pub url: String,
    /// Control ids that map to it, in report order.
    pub controls: Vec<String>,
    pub score: Score,
    /// Items the selected controls map to, of the items it has that are not
    /// manual.
    pub items_covered: usize,
    pub items_total: usize,
}

#[derive(Debug)]
pub(crate) struct Scores<'a> {
    pub controls: Vec<ControlStat<'a>>,
    pub packs: Vec<PackStat>,
    pub frameworks: Vec<FrameworkStat>,
}

type ResourceKey<'a> = (&'a str, u32, &'a str, &'a str, &'a str);

fn resource_key(f: &Finding) -> ResourceKey<'_> {
    (
        &f.file,
        f.document,
        &f.resource.kind,
        &f.resource.namespace,
        &f.resource.name,
    )
}

pub(crate) fn scores<'a>(report: &'a Report, engine: &'a Engine) -> Scores<'a> {
    let mut controls: Vec<ControlStat<'a>> = Vec::new();
    let mut slot: HashMap<(&str, &str), usize> = HashMap::new();
    for o in &report.outcomes {
        slot.insert((&o.pack, &o.control), controls.len());
        controls.push(ControlStat {
            id: &o.control,
            pack: &o.pack,
            def: control(engine, &o.control),
            applied: o.applied,
            failed: 0,
            waived: 0,
            warned: 0,
            errors: o.errors,
            findings: Vec::new(),
        });
    }
    for (i, f) in report.findings.iter().enumerate() {
        let at = *slot.entry((&f.pack, &f.control)).or_insert_with(|| {
            controls.push(ControlStat {
                id: &f.control,
                pack: &f.pack,
                def: control(engine, &f.control),
                applied: 0,
                failed: 0,
                waived: 0,
                warned: 0,
                errors: 0,
                findings: Vec::new(),
            });
            controls.len() - 1
        });
        if let Some(c) = controls.get_mut(at) {
            c.findings.push(i);
        }
    }
    for c in &mut controls {
        let mut fail: BTreeSet<ResourceKey> = BTreeSet::new();
        let mut deny: BTreeSet<ResourceKey> = BTreeSet::new();
        let mut warn: BTreeSet<ResourceKey> = BTreeSet::new();
        for f in c.findings.iter().filter_map(|&i| report.findings.get(i)) {
            let k = resource_key(f);
            match (f.level, f.waived.is_some()) {
                (Level::Deny, false) => {
                    fail.insert(k);
                    deny.insert(k);
                }
                (Level::Deny, true) => {
                    deny.insert(k);
                }
                (Level::Warn, false) => {
                    warn.insert(k);
                }
                (Level::Warn, true) => {}
            }
        }
        c.failed = fail.len();
        c.waived = deny.difference(&fail).count();
        c.warned = warn.difference(&fail).count();
        // Findings imply the control applied, whatever the counts say.
        c.applied = c.applied.max(deny.union(&warn).count());
    }
    let packs = packs(report, engine, &controls);
    let frameworks = frameworks(engine, &controls);
    Scores {
        controls,
        packs,
        frameworks,
    }
}

fn packs(report: &Report, engine: &Engine, controls: &[ControlStat<'_>]) -> Vec<PackStat> {
    let mut out: Vec<PackStat> = Vec::new();
    // Ward's own notices are not a pack's results.
    for c in controls
        .iter()
        .filter(|c| !crate::finding::is_notice(c.pack))
    {
        let i = match out.iter().position(|p| p.name == c.pack) {
            Some(i) => i,
            None => {
                out.push(PackStat {
                    name: c.pack.to_string(),
                    version: engine
                        .program
                        .pack(c.pack)
                        .map(|p| p.version.clone())
                        .unwrap_or_default(),
                    profile: report
                        .findings
                        .iter()
                        .find(|f| &*f.pack == c.pack)
                        .and_then(|f| f.profile.as_deref().map(str::to_string)),
                    score: Score::default(),
                });
                out.len() - 1
            }
        };
        if let Some(p) = out.get_mut(i) {
            p.score.add(c.status());
        }
    }
    out
}

/// Each control once, with the status that counts when it ran in several
/// packs: applicable if it applied anywhere, passing if it passed wherever
/// it applied.
pub(crate) fn by_control<'a>(
    controls: &[ControlStat<'a>],
) -> Vec<(&'a str, Status, &'a ControlDef)> {
    let mut out: Vec<(&str, Status, &ControlDef)> = Vec::new();
    for c in controls {
        let Some(def) = c.def else { continue };
        let s = c.status();
        match out.iter_mut().find(|(id, _, _)| *id == c.id) {
            Some(entry) => entry.1 = worse(entry.1, s),
            None => out.push((c.id, s, def)),
        }
    }
    out
}

fn frameworks(engine: &Engine, controls: &[ControlStat<'_>]) -> Vec<FrameworkStat> {
    let by_control = by_control(controls);
    let mut out: Vec<FrameworkStat> = Vec::new();
    for (id, status, def) in &by_control {
        for m in &def.maps {
            let i = match out.iter().position(|f| f.name == m.framework) {
                Some(i) => i,
                None => {
                    let fw = engine.program.framework(&m.framework);
                    out.push(FrameworkStat {
                        name: m.framework.clone(),
                        title: fw
                            .map(|f| f.title.clone())
                            .unwrap_or_else(|| m.framework.clone()),
                        version: fw.map(|f| f.version.clone()).unwrap_or_default(),
                        url: fw.map(|f| f.url.clone()).unwrap_or_default(),
                        controls: Vec::new(),
                        score: Score::default(),
                        items_covered: 0,
                        items_total: 0,
                    });
                    out.len() - 1
                }
            };
            let Some(f) = out.get_mut(i) else { continue };
            if !f.controls.iter().any(|c| c == id) {
                f.controls.push(id.to_string());
                f.score.add(*status);
            }
        }
    }
    for f in &mut out {
        let defs = by_control
            .iter()
            .filter(|(id, _, _)| f.controls.iter().any(|c| c == id))
            .map(|(_, _, def)| *def);
        match engine.program.framework(&f.name) {
            Some(fw) => {
                let (cov, _) = crate::frameworks::items(fw, defs);
                f.items_covered = cov.automated;
                f.items_total = cov.automatable;
            }
            // A framework no declaration lists: the items controls name.
            None => {
                let items: BTreeSet<&str> = defs
                    .flat_map(|d| d.maps.iter())
                    .filter(|m| m.framework == f.name)
                    .map(|m| m.item.as_str())
                    .collect();
                f.items_covered = items.len();
                f.items_total = items.len();
            }
        }
    }
    out
}

/// The status that counts when a control ran in several packs.
fn worse(a: Status, b: Status) -> Status {
    let rank = |s: Status| match s {
        Status::None => 0,
        Status::Pass => 1,
        Status::Error => 2,
        Status::Fail => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}
