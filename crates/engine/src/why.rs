//! Why a control found what it found: `ward explain CONTROL --on PATH`.
//!
//! The control runs over each resource alone, with the evaluator recording
//! what decided it ([`Evaluator::trace`]): a resource of a kind the
//! control's `match` can never accept is not offered to it; one whose
//! `match` did not hold is skipped, with that condition and the values
//! that made it false; on the others, every `deny`/`warn` says why it
//! fired or did not, with the values its `when` read, in the loop element
//! it was evaluated for. "Why does this Pod pass?" and "why is this
//! Deployment skipped?" get the same answer as "why does it fail?".

use crate::engine::{Engine, identity};
use crate::eval::{Applied, Evaluator, TraceEvent, TraceKind};
use crate::finding::Identity;
use crate::input::Inputs;
use crate::inventory::Inventory;
use serde::Serialize;
use std::collections::HashMap;
use ward_lang::ast::Version;
use ward_lang::span::Span;

/// How a control went on one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its `match` can never accept a resource of this kind.
    NotOffered,
    /// A `match` did not hold.
    Skipped,
    /// It applied and found nothing.
    Passed,
    /// It applied and found something.
    Failed,
    /// Evaluating it stopped with an error.
    Error,
}

/// A place in a policy, with its text.
#[derive(Clone, Debug, Serialize)]
pub struct Source {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub text: String,
}

/// A sub-expression and its value.
#[derive(Clone, Debug, Serialize)]
pub struct Value {
    pub expression: Source,
    /// JSON, or `missing`.
    pub value: String,
}

/// One statement that decided something.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// `match` (did not hold), `not found` (a `when` that did not hold),
    /// `found`, `branch` (an `if` that kept findings from being looked
    /// for) or `empty loop` (a `for` with findings over nothing).
    pub what: &'static str,
    pub condition: Source,
    pub values: Vec<Value>,
    /// The JSON pointer of the loop element it was evaluated for.
    pub element: Option<String>,
}

/// The control on one resource.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceWhy {
    pub resource: Identity,
    pub file: String,
    pub line: u32,
    pub outcome: Outcome,
    /// The findings, as `pointer: message`.
    pub findings: Vec<String>,
    pub steps: Vec<Step>,
    pub error: Option<String>,
}

/// The pack with profile versions (Pod Security) that holds the control,
/// if one does: only such a control runs at a version.
pub fn versioned_pack(engine: &Engine, control: usize) -> Option<&ward_lang::hir::PackDef> {
    engine
        .program
        .packs
        .iter()
        .find(|p| p.profile.is_some() && p.controls.contains(&control))
}

/// The version a control runs at when `v` is asked for: within its pack's
/// profile versions (one newer than the newest is the newest), and one at
/// which the control runs (it has come in, and no control of its pack
/// replaces it).
fn version_at(engine: &Engine, control: usize, v: Version) -> Result<Version, String> {
    let def = engine
        .program
        .controls
        .get(control)
        .ok_or("internal error: no such control")?;
    let Some(pack) = versioned_pack(engine, control) else {
        return Err(format!(
            "`{}` is in no pack with profile versions, so it has no version to run at",
            def.id
        ));
    };
    let Some(range) = pack.profile else {
        return Err("internal error: no profile range".into());
    };
    let Some(at) = range.resolve(Some(v)) else {
        return Err(format!(
            "pack `{}` covers versions {} to {}; {v} is older",
            pack.name, range.from, range.latest
        ));
    };
    if !engine.active(control, Some(at)) {
        let since = def.since.map(|s| s.to_string()).unwrap_or_default();
        return Err(format!(
            "`{}` runs from {since} on; at {at} it is not part of pack `{}`",
            def.id, pack.name
        ));
    }
    let by = pack.controls.iter().find_map(|&c| {
        let other = engine.program.controls.get(c)?;
        (other.replaces.as_deref() == Some(def.id.as_str()) && engine.active(c, Some(at)))
            .then_some(other.id.as_str())
    });
    if let Some(by) = by {
        return Err(format!(
            "at {at}, `{by}` replaces `{}` in pack `{}`",
            def.id, pack.name
        ));
    }
    Ok(at)
}

/// Runs a control over every resource, recording why it went as it did,
/// with its params' defaults replaced by `overrides`
/// ([`Engine::param_overrides`]), at a profile version of its pack (by
/// default the newest the pack covers).
pub fn explain(
    engine: &Engine,
    control: usize,
    inputs: &Inputs,
    overrides: &HashMap<u32, crate::value::val::Frozen>,
    at: Option<Version>,
) -> Result<Vec<ResourceWhy>, String> {
    let def = engine
        .program
        .controls
        .get(control)
        .ok_or("internal error: no such control")?;
    let compiled = engine
        .compiled
        .controls
        .get(control)
        .ok_or("internal error: no such control")?;
    // The control's pack at its newest version, as `ward test` runs it,
    // unless a version is asked for.
    let version = match at {
        None => engine.latest_version_of(&[control]),
        Some(v) => Some(version_at(engine, control, v)?),
    };
    let level = def.package.rsplit('.').next().unwrap_or("");
    let env = engine
        .env("explain", version, level, overrides)
        .map_err(|e| e.0)?;
    let inv = Inventory::new(inputs.resources.iter());
    let mut ev = Evaluator::new(&engine.compiled, &env, &inv, None);
    ev.memoize = false;
    ev.trace();
    let source = |span: Span| {
        let (line, column) = engine.sources.line_col(span);
        Source {
            file: engine.sources.name(span.file).to_string(),
            line,
            column,
            text: engine.sources.snippet(span).to_string(),
        }
    };
    let mut out = Vec::new();
    for r in &inputs.resources {
        let mut why = ResourceWhy {
            resource: identity(r),
            file: inputs.file(r).path.clone(),
            line: r.root().pos().line,
            outcome: Outcome::NotOffered,
            findings: Vec::new(),
            steps: Vec::new(),
            error: None,
        };
        let offered = compiled
            .kinds
            .as_ref()
            .is_none_or(|ks| ks.iter().any(|k| k == r.kind()));
        if offered {
            let mut raw = Vec::new();
            let result = ev.run_control(control, r.root(), &mut raw);
            why.steps = ev.take_trace().iter().map(|t| step(t, &source)).collect();
            why.findings = raw
                .iter()
                .map(|f| format!("{}: {}", f.pointer(), f.message))
                .collect();
            why.outcome = match result {
                Ok(Applied::No) => Outcome::Skipped,
                Ok(Applied::Yes) if raw.is_empty() => Outcome::Passed,
                Ok(Applied::Yes) => Outcome::Failed,
                Err(e) => {
                    let (line, column) = engine.sources.line_col(e.span);
                    why.error = Some(format!(
                        "{}:{line}:{column}: {}",
                        engine.sources.name(e.span.file),
                        e.message
                    ));
                    Outcome::Error
                }
            };
        }
        out.push(why);
    }
    Ok(out)
}

fn step(t: &TraceEvent<'_>, source: &impl Fn(Span) -> Source) -> Step {
    Step {
        what: match t.kind {
            TraceKind::MatchFalse => "match",
            TraceKind::WhenFalse => "not found",
            TraceKind::Found => "found",
            TraceKind::Branch => "branch",
            TraceKind::EmptyLoop => "empty loop",
        },
        condition: source(t.span),
        values: t
            .values
            .iter()
            .map(|(span, value)| Value {
                expression: source(*span),
                value: value.clone(),
            })
            .collect(),
        element: t.focus.map(|n| n.pointer()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EngineBuilder;

    const POLICY: &str = r#"package team

control non_root {
  title "Containers run as non-root"
  match input.kind == "Pod" and not exists(input.metadata.labels.exempt)
  for c in input.spec.containers ?? [] {
    deny when c.securityContext.runAsNonRoot != true
      message "container `{c.name}` may run as root"
  }
}
"#;

    fn run(docs: &[serde_json::Value]) -> Vec<ResourceWhy> {
        run_on(POLICY, "team.non_root", docs)
    }

    fn run_on(policy: &str, control: &str, docs: &[serde_json::Value]) -> Vec<ResourceWhy> {
        let engine = EngineBuilder::std_only()
            .policy("team/p.ward", policy)
            .build()
            .expect("the policy builds");
        let mut inputs = Inputs::default();
        for (i, d) in docs.iter().enumerate() {
            inputs.add_json(&format!("{i}.json"), d);
        }
        let (c, _) = engine.program.control(control).expect("the control");
        explain(&engine, c, &inputs, &HashMap::new(), None).expect("explained")
    }

    /// What each step of one resource says: its kind, and each value as
    /// `expression = value`.
    fn said(w: &ResourceWhy) -> Vec<(&'static str, Vec<String>)> {
        w.steps
            .iter()
            .map(|s| {
                (
                    s.what,
                    s.values
                        .iter()
                        .map(|v| format!("{} = {}", v.expression.text, v.value))
                        .collect(),
                )
            })
            .collect()
    }

    /// A resource that passes because an `if` or an empty loop kept its
    /// `deny` from being looked at says so, with the values that decided
    /// it, and the path a `let` read for a local.
    #[test]
    fn branches_and_empty_loops_say_why_nothing_was_looked_for() {
        let policy = r#"package team

control ports {
  title "No container ports off the host network"
  match input.kind == "Pod"
  let host = input.spec.hostNetwork
  if host != true {
    for c in input.spec.containers ?? [] {
      deny when exists(c.ports) message "ports"
    }
  }
}
"#;
        let whys = run_on(
            policy,
            "team.ports",
            &[
                serde_json::json!({"kind": "Pod", "metadata": {"name": "h"}, "spec": {"hostNetwork": true}}),
                serde_json::json!({"kind": "Pod", "metadata": {"name": "e"}, "spec": {}}),
            ],
        );
        assert_eq!(whys[0].outcome, Outcome::Passed);
        assert_eq!(
            said(&whys[0]),
            [(
                "branch",
                vec![
                    "host = true".to_string(),
                    "input.spec.hostNetwork = true".to_string()
                ]
            )]
        );
        assert_eq!(
            said(&whys[1]),
            [(
                "empty loop",
                vec!["input.spec.containers = missing".to_string()]
            )]
        );
    }

    #[test]
    fn each_resource_says_why() {
        let whys = run(&[
            serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "c"}}),
            serde_json::json!({"kind": "Pod", "metadata": {"name": "x", "labels": {"exempt": "yes"}}}),
            serde_json::json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
                {"name": "ok", "securityContext": {"runAsNonRoot": true}},
                {"name": "root"}
            ]}}),
        ]);
        let outcomes: Vec<_> = whys.iter().map(|w| w.outcome).collect();
        assert_eq!(
            outcomes,
            [Outcome::NotOffered, Outcome::Skipped, Outcome::Failed]
        );
        // Skipped: the `match`, and the clause of its `and` that failed.
        let skipped = &whys[1].steps;
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].what, "match");
        let values: Vec<_> = skipped[0]
            .values
            .iter()
            .map(|v| (v.expression.text.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(values, [("input.metadata.labels.exempt", "\"yes\"")]);
        // Failed: one container passes, the other is found, each with the
        // value its `when` read and the element it was read in.
        let steps: Vec<_> = whys[2]
            .steps
            .iter()
            .map(|s| {
                (
                    s.what,
                    s.element.as_deref().unwrap_or(""),
                    s.values
                        .iter()
                        .map(|v| format!("{} = {}", v.expression.text, v.value))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            steps,
            [
                (
                    "not found",
                    "/spec/containers/0",
                    vec!["c.securityContext.runAsNonRoot = true".to_string()]
                ),
                (
                    "found",
                    "/spec/containers/1",
                    vec!["c.securityContext.runAsNonRoot = missing".to_string()]
                ),
            ]
        );
        assert_eq!(
            whys[2].findings,
            ["/spec/containers/1: container `root` may run as root"]
        );
        assert_eq!(whys[2].steps[1].condition.line, 7);
    }
}
