//! The standard library's functions with a native form (`pod_template`,
//! `pod_spec`, `pod_meta`, `namespace_of`, `selects`, `controller_of`,
//! `managed_in_inventory`, `service_account_name`) give what their
//! bodies give, on every shape of argument: well-formed objects, and
//! kinds, namespaces, selectors and labels of the wrong type, where the
//! native form hands over to the body (its value or its error).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{body_runs, built, team_engine, with_and_without_memos};
use ward_engine::{EvalOptions, Inputs, LoadOptions, Report};

/// Says, for each resource, what each function gives (as JSON, with its
/// type, so that `"5"` and `5` differ), and `selects` for every selector
/// and set of labels a probe object lists, from documents and made in
/// the policy.
const POLICY: &str = r#"package probe

use std.k8s.{pod_template, pod_spec, pod_meta, namespace_of, selects, controller_of, managed_in_inventory, service_account_name}

control functions {
  title "functions"
  severity low
  deny message "template {to_json(pod_template(input))} {type_of(pod_template(input))}; spec {to_json(pod_spec(input))}; meta {to_json(pod_meta(input))}; namespace {to_json(namespace_of(input))} {type_of(namespace_of(input))}; controller {to_json(controller_of(input))} {type_of(controller_of(input))}; managed {managed_in_inventory(input)}; account {to_json(service_account_name(input.spec))} {type_of(service_account_name(input.spec))}"
}

control selectors {
  title "selectors"
  severity low
  match input.kind == "Probe"
  for i, s in input.selectors {
    for j, l in input.labels {
      deny message "document: selector {i} labels {j} {selects(s, l)}"
    }
    deny message "made: selector {i} {selects(s, {app: "a", tier: "1"})} {selects(s, null)}"
  }
  deny message "made selectors: {selects({matchLabels: {app: "a"}}, input.labels[1])} {selects({matchExpressions: [{key: "app", operator: "In", values: ["a"]}]}, input.labels[1])} {selects({}, {})} {selects(null, {})} {selects("text", {})}"
}
"#;

/// Resources of every kind `pod_template` tells apart, and of none, with
/// namespaces of every type.
const RESOURCES: &str = r#"
kind: Pod
metadata: {name: p, namespace: team, labels: {app: a}}
spec: {containers: [{name: c}]}
---
kind: Pod
metadata: {name: p2, namespace: ""}
---
kind: Pod
metadata: {name: account-named}
spec: {serviceAccountName: api, serviceAccount: old}
---
kind: Pod
metadata: {name: account-deprecated}
spec: {serviceAccountName: "", serviceAccount: builder}
---
kind: Pod
metadata: {name: account-number}
spec: {serviceAccountName: 5}
---
kind: Pod
metadata: {name: account-object}
spec: {serviceAccountName: null, serviceAccount: {a: 1}}
---
kind: Pod
metadata: {name: account-empty}
spec: {serviceAccountName: "", serviceAccount: ""}
---
kind: Pod
metadata: {name: account-text-spec}
spec: text
---
kind: Pod
metadata: {name: account-list-spec}
spec: [1]
---
kind: Pod
spec: {containers: []}
---
kind: PodTemplate
metadata: {name: t, namespace: null}
template: {metadata: {labels: {app: t}}, spec: {containers: [{name: c}]}}
---
kind: CronJob
metadata: {name: cj, namespace: 5}
spec: {jobTemplate: {spec: {template: {metadata: {labels: {app: cj}}, spec: {containers: []}}}}}
---
kind: CronJob
metadata: {name: cj2, namespace: {a: 1}}
spec: {jobTemplate: null}
---
kind: Deployment
metadata: {name: d, namespace: prod}
spec: {template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c}]}}}
---
kind: Deployment
metadata: {name: d2}
spec: 7
---
kind: ReplicationController
metadata: {name: rc}
spec: {template: {spec: {}}}
---
kind: ReplicaSet
metadata: {name: rs, namespace: [x]}
spec: {template: null}
---
kind: StatefulSet
metadata: {name: ss}
spec: {template: {metadata: null}}
---
kind: DaemonSet
metadata: {name: ds}
---
kind: Job
metadata: {name: j}
spec: {template: {metadata: {annotations: {a: b}}, spec: {containers: []}}}
---
kind: Pod
metadata: {name: owned, namespace: prod, ownerReferences: [{kind: Deployment, name: d, controller: true}]}
---
kind: Pod
metadata: {name: owned-elsewhere, namespace: team, ownerReferences: [{kind: Deployment, name: d, controller: true}]}
---
kind: Pod
metadata: {name: second-owner, namespace: prod, ownerReferences: [{kind: Deployment, name: d, controller: "true"}, {kind: Deployment, name: d}, {kind: Deployment, name: d, controller: true, n: 2}]}
---
kind: Pod
metadata: {name: not-controlled, namespace: prod, ownerReferences: [{kind: Deployment, name: d, controller: "true"}]}
---
kind: Pod
metadata: {name: odd-owner, ownerReferences: [{kind: 5, name: d, controller: true}]}
---
kind: Pod
metadata: {name: nameless-owner, namespace: prod, ownerReferences: [{kind: Deployment, name: null, controller: true}]}
---
kind: Pod
metadata: {name: owner-object, namespace: prod, ownerReferences: {a: {kind: Deployment, name: d, controller: true}}}
---
kind: Pod
metadata: {name: owner-text, ownerReferences: text}
---
kind: Pod
metadata: {name: owners-null, ownerReferences: null}
---
kind: Job
metadata: {name: owned-job, ownerReferences: [{kind: CronJob, name: cj, controller: true}]}
---
kind: Service
metadata: {name: s, namespace: team}
spec: {selector: {app: a}}
---
kind: 5
metadata: {name: five}
---
kind: Probe
metadata: {name: probe, namespace: team}
selectors:
  - {}
  - null
  - {matchLabels: {}}
  - {matchLabels: {app: a}}
  - {matchLabels: {app: a, tier: "1"}}
  - {matchLabels: {tier: 1}}
  - {matchLabels: {app: null}}
  - {matchLabels: null, matchExpressions: null}
  - {matchLabels: [a, b]}
  - {matchExpressions: [{key: app, operator: In, values: [a, b]}]}
  - {matchExpressions: [{key: app, operator: In, values: []}]}
  - {matchExpressions: [{key: app, operator: In}]}
  - {matchExpressions: [{key: app, operator: In, values: [null]}]}
  - {matchExpressions: [{key: app, operator: In, values: abc}]}
  - {matchExpressions: [{key: tier, operator: In, values: [1, "1"]}]}
  - {matchExpressions: [{key: app, operator: NotIn, values: [a]}]}
  - {matchExpressions: [{key: app, operator: NotIn, values: null}]}
  - {matchExpressions: [{key: app, operator: NotIn, values: [null]}]}
  - {matchExpressions: [{key: app, operator: Exists}]}
  - {matchExpressions: [{key: app, operator: DoesNotExist}]}
  - {matchExpressions: [{key: app, operator: Gt, values: ["1"]}]}
  - {matchExpressions: [{key: 0, operator: Exists}]}
  - {matchExpressions: [{key: null, operator: DoesNotExist}]}
  - {matchExpressions: [{operator: 5}]}
  - {matchExpressions: [7, text, null]}
  - {matchExpressions: []}
  - {matchExpressions: {key: app, operator: Exists}}
  - {matchLabels: {app: a}, matchExpressions: [{key: tier, operator: Exists}]}
  - {matchLabels: {app: b}, matchExpressions: [{key: tier, operator: Exists}]}
  - text
  - 5
  - [1, 2]
labels:
  - {}
  - {app: a, tier: "1"}
  - {app: a, tier: 1}
  - {app: b}
  - {app: null}
  - {tier: "1"}
  - null
  - [a]
  - text
  - 0
---
kind: Probe
metadata: {name: text-labels}
selectors: [{matchLabels: text}]
labels: [{app: a}]
---
kind: Probe
metadata: {name: number-labels}
selectors: [{matchLabels: 3}]
labels: [{app: a}]
---
kind: Probe
metadata: {name: text-expressions}
selectors: [{matchExpressions: text}]
labels: [{app: a}]
"#;

fn messages(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{} {}: {}", f.resource.name, f.control, f.message))
        .chain(r.errors.iter().map(|e| format!("error: {e:?}")))
        .collect();
    out.sort();
    out
}

#[test]
fn native_forms_give_what_the_bodies_give() {
    let (engine, selection) = team_engine("probe.ward", POLICY);
    let mut inputs = Inputs::default();
    inputs.add_text("resources.yaml", RESOURCES, &LoadOptions::default());
    let (native, bodies) = with_and_without_memos(&engine, &selection, &inputs);
    let said = messages(&native);
    assert_eq!(said, messages(&bodies));
    // What the probe says is worth comparing: each function's values, the
    // selectors that select and those that do not, and the errors of the
    // shapes the body cannot go through.
    let has = |text: &str| said.iter().any(|m| m.contains(text));
    assert!(has(r#"namespace "team" string"#), "{said:#?}");
    assert!(has(r#"namespace "default" string"#));
    assert!(has("namespace 5 number"));
    assert!(has(r#"namespace {"a":1} object"#));
    assert!(has(
        r#"template {"metadata":{"labels":{"app":"cj"}},"spec":{"containers":[]}} object"#
    ));
    assert!(has(r#"template null null; spec null; meta null"#));
    assert!(has(r#"template null missing; spec null; meta null"#));
    assert!(
        has(
            r#"spec {"containers":[{"name":"c"}]}; meta {"name":"p","namespace":"team","labels":{"app":"a"}}"#
        ),
        "{said:#?}"
    );
    assert!(has("selector 3 labels 1 true"), "{said:#?}");
    assert!(has("selector 3 labels 3 false"));
    assert!(
        has("selector 13 labels 1 true"),
        "`in` a string is a substring"
    );
    assert!(has("selector 14 labels 2 true"));
    assert!(has("made selectors: true true true false true"));
    assert!(has("managed true"), "{said:#?}");
    assert!(has(
        r#"controller {"kind":"Deployment","name":"d","controller":true,"n":2} object; managed true"#
    ));
    assert!(has("controller null missing; managed false"));
    assert!(has(r#"owner-object probe.functions"#) && has("owned-elsewhere probe.functions"));
    let line = |name: &str| {
        said.iter()
            .find(|m| m.starts_with(name))
            .cloned()
            .unwrap_or_default()
    };
    assert!(line("owned-elsewhere ").contains("managed false;"));
    assert!(line("owner-object ").contains("managed true;"));
    assert!(line("account-named ").ends_with(r#"account "api" string"#));
    assert!(line("account-deprecated ").ends_with(r#"account "builder" string"#));
    assert!(line("account-number ").ends_with("account 5 number"));
    assert!(line("account-object ").ends_with(r#"account {"a":1} object"#));
    assert!(line("account-empty ").ends_with(r#"account "default" string"#));
    assert!(line("account-text-spec ").ends_with(r#"account "default" string"#));
    assert!(line("account-list-spec ").ends_with(r#"account "default" string"#));
    assert!(said.iter().any(|m| m.starts_with("error:")), "{said:#?}");
    // Only the shapes the native forms hand over run the bodies: counted
    // by a profile, `selects` runs its body for the probe's ill-formed
    // selectors, not for every pair.
    let profiled = engine.evaluate(
        &selection,
        &inputs,
        &EvalOptions {
            profile: true,
            ..EvalOptions::default()
        },
    );
    let runs = |name: &str| body_runs(&profiled, name);
    let fns = &profiled.functions;
    assert!(runs("std.k8s.expression_holds") < 30, "{fns:?}");
    assert!((1..30).contains(&runs("std.k8s.selects")), "{fns:?}");
    assert!(runs("std.k8s.controller_of") >= 1, "{fns:?}");
    // Every resource's namespace and template are answered natively.
    for f in [
        "namespace_of",
        "pod_template",
        "pod_spec",
        "pod_meta",
        "service_account_name",
    ] {
        assert_eq!(runs(&format!("std.k8s.{f}")), 0, "{fns:?}");
    }
}

/// A copy of `std-lib/k8s.ward` being edited takes the built-in file's
/// place, and its functions run as it says: the native forms are for the
/// text built in.
#[test]
fn an_edited_standard_library_runs_its_own_bodies() {
    let k8s = ward_engine::engine::embedded_files()
        .iter()
        .find(|(name, _)| *name == "std-lib/k8s.ward")
        .map(|(_, text)| *text)
        .expect("std-lib/k8s.ward is built in");
    let edited = k8s.replacen("  else \"default\"", "  else \"elsewhere\"", 1);
    assert_ne!(edited, k8s, "the edit applies");
    let (engine, selection) = built(
        ward_engine::EngineBuilder::new()
            .policy("./std-lib/k8s.ward", edited)
            .policy("probe.ward", POLICY),
    );
    let mut inputs = Inputs::default();
    inputs.add_text("resources.yaml", RESOURCES, &LoadOptions::default());
    let report = engine.evaluate(&selection, &inputs, &EvalOptions::default());
    let said = messages(&report);
    assert!(
        said.iter()
            .any(|m| m.contains(r#"namespace "elsewhere" string"#)),
        "{said:#?}"
    );
    assert!(
        !said
            .iter()
            .any(|m| m.contains(r#"namespace "default" string"#))
    );
}
