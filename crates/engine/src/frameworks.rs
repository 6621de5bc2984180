//! Frameworks as data: for each item of a framework, the controls that
//! automate it, or that it is manual, or that nothing covers it; and, over
//! a report, how the framework scored.
//!
//! Two numbers, both rounded down:
//!
//! - **coverage** = automated items ÷ automatable items. An item is
//!   *automatable* when its framework does not mark it `manual`, and
//!   *automated* when at least one of the controls considered maps to it.
//! - **score** = controls that pass ÷ applicable controls, over the
//!   controls that map to the framework — the score the HTML report shows
//!   ([`crate::report`]'s `score` module computes it; this module only
//!   reads it). A control is applicable when it applied to at least one
//!   resource (or failed with an error on one); it passes when it applied,
//!   has no deny finding that is not waived, and no error.
//!
//! Each automated item also gets a result over a report: the worst of its
//! controls' results (fail, then error, then pass, then not assessed).

use crate::engine::{Engine, Report, Selection};
use crate::report::score::{self, Status};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use ward_lang::hir::{ControlDef, FrameworkDef};

/// How one framework is covered, and how it fared.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FrameworkCoverage {
    pub name: String,
    pub title: String,
    pub version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    pub coverage: Coverage,
    /// Present when inputs were evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<FrameworkScore>,
    pub items: Vec<ItemCoverage>,
}

/// Which items controls automate.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Coverage {
    /// Items at least one of the controls maps to.
    pub automated: usize,
    /// Items that are not manual.
    pub automatable: usize,
    pub manual: usize,
    /// Items that are neither manual nor automated.
    pub uncovered: usize,
    /// automated ÷ automatable, in percent; absent when nothing is
    /// automatable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<usize>,
}

/// The compliance score: controls that pass ÷ applicable controls.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FrameworkScore {
    pub passed: usize,
    pub applicable: usize,
    /// In percent; absent when no control applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<usize>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ItemCoverage {
    pub id: String,
    pub title: String,
    pub status: ItemStatus,
    /// The controls that map to it.
    pub controls: Vec<String>,
    /// Over a report, for automated items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ItemResult>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Automated,
    Manual,
    Uncovered,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    /// None of its controls applied to a resource.
    NotAssessed,
    Pass,
    Error,
    Fail,
}

impl From<Status> for ItemResult {
    fn from(s: Status) -> ItemResult {
        match s {
            Status::None => ItemResult::NotAssessed,
            Status::Pass => ItemResult::Pass,
            Status::Error => ItemResult::Error,
            Status::Fail => ItemResult::Fail,
        }
    }
}

/// The items of a framework against some controls: each item's status and
/// the ids of the controls that map to it, and the counts.
pub fn items<'a>(
    fw: &FrameworkDef,
    controls: impl IntoIterator<Item = &'a ControlDef>,
) -> (Coverage, Vec<ItemCoverage>) {
    let mut by_item: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in controls {
        for m in c.maps.iter().filter(|m| m.framework == fw.name) {
            let ids = by_item.entry(m.item.as_str()).or_default();
            if !ids.contains(&c.id) {
                ids.push(c.id.clone());
            }
        }
    }
    let mut cov = Coverage::default();
    let mut out = Vec::with_capacity(fw.items.len());
    for it in &fw.items {
        let controls = by_item.remove(it.id.as_str()).unwrap_or_default();
        let status = if it.manual {
            cov.manual += 1;
            ItemStatus::Manual
        } else if controls.is_empty() {
            cov.automatable += 1;
            cov.uncovered += 1;
            ItemStatus::Uncovered
        } else {
            cov.automatable += 1;
            cov.automated += 1;
            ItemStatus::Automated
        };
        out.push(ItemCoverage {
            id: it.id.clone(),
            title: it.title.clone(),
            status,
            controls,
            result: None,
        });
    }
    cov.percent = (cov.automatable > 0).then(|| cov.automated * 100 / cov.automatable);
    (cov, out)
}

/// The controls a selection runs (each pack's own, and its levels').
pub fn selected_controls(engine: &Engine, sel: &Selection) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for u in &sel.units {
        out.extend(u.controls.iter().copied());
        for (_, cs) in &u.levels {
            out.extend(cs.iter().copied().filter(|&c| engine.control(c).is_some()));
        }
    }
    out
}

/// Every framework of the program (or the one named), its items against
/// the given controls, scored over a report when there is one.
pub fn frameworks(
    engine: &Engine,
    controls: &BTreeSet<usize>,
    report: Option<&Report>,
    only: Option<&str>,
) -> Vec<FrameworkCoverage> {
    let scores = report.map(|r| score::scores(r, engine));
    let statuses: BTreeMap<&str, Status> = scores
        .as_ref()
        .map(|s| {
            score::by_control(&s.controls)
                .into_iter()
                .map(|(id, st, _)| (id, st))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for fw in &engine.program.frameworks {
        if only.is_some_and(|n| n != fw.name) {
            continue;
        }
        let defs = controls.iter().filter_map(|&i| engine.control(i));
        let (coverage, mut items) = items(fw, defs);
        let score = scores.as_ref().map(|s| {
            let sc = s
                .frameworks
                .iter()
                .find(|f| f.name == fw.name)
                .map(|f| f.score)
                .unwrap_or_default();
            FrameworkScore {
                passed: sc.passed,
                applicable: sc.applicable,
                percent: sc.percent(),
            }
        });
        if scores.is_some() {
            for it in items
                .iter_mut()
                .filter(|i| i.status == ItemStatus::Automated)
            {
                let worst = it
                    .controls
                    .iter()
                    .map(|c| {
                        ItemResult::from(statuses.get(c.as_str()).copied().unwrap_or(Status::None))
                    })
                    .max();
                it.result = Some(worst.unwrap_or(ItemResult::NotAssessed));
            }
        }
        out.push(FrameworkCoverage {
            name: fw.name.clone(),
            title: fw.title.clone(),
            version: fw.version.clone(),
            url: fw.url.clone(),
            coverage,
            score,
            items,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Inputs, LoadOptions};
    use crate::{EngineBuilder, PackRef, SetValue};

    const POLICY: &str = r#"package team

framework team {
  title "House rules"
  version "2026.1"
  item "T1" "Workloads declare an owner"
  item "T2" "Exceptions are reviewed" manual
  item "T3" "Nothing automates this yet"
  item "T4" "Images are pinned"
}

param owner_key: string = "owner"

control owner {
  maps team("T1")
  match input.kind == "Deployment"
  deny when not exists(input.metadata.labels[owner_key]) at input.metadata message "no owner"
}

control pinned {
  maps team("T4"), team("T1")
  match input.kind == "Pod"
  deny when input.spec.x == 1 message "never"
}

pack team { version "1.0.0" include team.* }
"#;

    /// The Pod Security framework holds the nineteen upstream checks, and
    /// the baseline and restricted packs automate each of them (restricted
    /// replaces four baseline checks with its own).
    #[test]
    fn every_pod_security_item_is_a_check_the_pss_packs_automate() {
        let engine = EngineBuilder::new()
            .build()
            .map_err(|e| e.diagnostics)
            .expect("builds");
        let packs = ["pss-baseline", "pss-restricted"].map(|name| PackRef {
            name: name.into(),
            version: None,
        });
        let sel = engine.select(&packs, false, &[]).expect("selected");
        let controls = selected_controls(&engine, &sel);
        let fw = frameworks(&engine, &controls, None, Some("pss")).remove(0);
        let not_automated: Vec<&str> = fw
            .items
            .iter()
            .filter(|i| i.status != ItemStatus::Automated)
            .map(|i| i.id.as_str())
            .collect();
        assert!(not_automated.is_empty(), "{not_automated:?}");
        assert_eq!(fw.items.len(), 19);
    }

    #[test]
    fn items_are_automated_manual_or_uncovered_and_scored() {
        let engine = EngineBuilder::std_only()
            .policy("team.ward", POLICY)
            .build()
            .map_err(|e| e.diagnostics)
            .expect("checks");
        let packs = [PackRef {
            name: "team".into(),
            version: None,
        }];
        let sel = engine.select(&packs, false, &[]).expect("selected");
        let controls = selected_controls(&engine, &sel);
        let fws = frameworks(&engine, &controls, None, Some("team"));
        assert_eq!(fws.len(), 1);
        let fw = &fws[0];
        assert_eq!(
            fw.coverage,
            Coverage {
                automated: 2,
                automatable: 3,
                manual: 1,
                uncovered: 1,
                percent: Some(66)
            }
        );
        let rows: Vec<(&str, ItemStatus, Vec<&str>)> = fw
            .items
            .iter()
            .map(|i| {
                (
                    i.id.as_str(),
                    i.status,
                    i.controls.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "T1",
                    ItemStatus::Automated,
                    vec!["team.owner", "team.pinned"]
                ),
                ("T2", ItemStatus::Manual, vec![]),
                ("T3", ItemStatus::Uncovered, vec![]),
                ("T4", ItemStatus::Automated, vec!["team.pinned"]),
            ]
        );
        assert!(fw.score.is_none());

        // Over inputs: `owner` fails, `pinned` applies to nothing.
        let mut inputs = Inputs::default();
        inputs.add_text(
            "d.yaml",
            "kind: Deployment\nmetadata: {name: d, labels: {team: a}}\n",
            &LoadOptions::default(),
        );
        let report = engine.evaluate(&sel, &inputs, &Default::default());
        let fw = frameworks(&engine, &controls, Some(&report), Some("team")).remove(0);
        assert_eq!(
            fw.score,
            Some(FrameworkScore {
                passed: 0,
                applicable: 1,
                percent: Some(0)
            })
        );
        let results: Vec<Option<ItemResult>> = fw.items.iter().map(|i| i.result).collect();
        assert_eq!(
            results,
            [
                Some(ItemResult::Fail),
                None,
                None,
                Some(ItemResult::NotAssessed)
            ]
        );

        // With the param set from a project file, it passes.
        let sets = [(
            "team.owner_key".to_string(),
            SetValue::Json(serde_json::json!("team")),
        )];
        let sel = engine.select_with(&packs, false, &sets).expect("selected");
        let report = engine.evaluate(&sel, &inputs, &Default::default());
        let fw = frameworks(&engine, &controls, Some(&report), Some("team")).remove(0);
        assert_eq!(
            fw.score.map(|s| (s.passed, s.applicable, s.percent)),
            Some((1, 1, Some(100)))
        );
        assert_eq!(fw.items[0].result, Some(ItemResult::Pass));
        // A typed value of the wrong type is refused, naming the param.
        let bad = [(
            "team.owner_key".to_string(),
            SetValue::Json(serde_json::json!(3)),
        )];
        let err = engine
            .select_with(&packs, false, &bad)
            .expect_err("refused");
        assert_eq!(
            err.0,
            "`team.owner_key = 3`: `team.owner_key` is a string, not a number"
        );
    }
}
