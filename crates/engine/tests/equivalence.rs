//! The fast paths change nothing: findings are identical whether pure calls
//! are memoised or not, whether each control meets only the kinds its
//! `match` can accept or every resource, whether a list export is streamed
//! or read whole, and whether evaluation runs on one thread or many.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::PathBuf;
use ward_engine::{EngineBuilder, EvalOptions, LoadOptions, PackRef, Report};

/// A list export with a mix of kinds and violations, written to a file.
fn export(n: usize) -> PathBuf {
    let mut items = Vec::new();
    for (ns, level) in ["baseline", "restricted", "privileged", "bogus"]
        .iter()
        .enumerate()
    {
        items.push(
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": format!("ns{ns}"),
            "labels": {"pod-security.kubernetes.io/enforce": level}}}),
        );
    }
    for i in 0..n {
        let ns = format!("ns{}", i % 4);
        let sc = match i % 5 {
            0 => serde_json::json!({"privileged": true}),
            1 => {
                serde_json::json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
            }
            2 => serde_json::json!({"capabilities": {"add": ["NET_ADMIN"]}, "runAsUser": 0}),
            3 => serde_json::json!(null),
            _ => serde_json::json!({"readOnlyRootFilesystem": true}),
        };
        let spec = serde_json::json!({
            "hostNetwork": i % 7 == 0,
            "containers": [{"name": "app", "image": "nginx:1.27", "securityContext": sc,
                            "ports": [{"containerPort": 8080}], "resources": {"limits": {"cpu": "500m"}}}],
            "volumes": if i % 11 == 0 { serde_json::json!([{"name": "h", "hostPath": {"path": "/"}}]) } else { serde_json::json!([{"name": "e"}]) },
        });
        let labels = serde_json::json!({"app": format!("app{}", i % 13)});
        items.push(if i % 3 == 0 {
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": format!("d{i}"), "namespace": ns},
                "spec": {"replicas": 1 + i % 3, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": spec}}})
        } else {
            serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i}"), "namespace": ns, "labels": labels,
                "managedFields": [{"manager": "kubectl"}]}, "spec": spec})
        });
        // Kinds the packs' `match` lines accept or turn away through
        // functions (`pod_template` is null for a ConfigMap or Service).
        match i % 23 {
            0 => items.push(serde_json::json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": format!("cj{i}"), "namespace": ns},
                "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"metadata": {"labels": labels}, "spec": spec}}}}})),
            1 => items.push(serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": format!("svc{i}"), "namespace": ns},
                "spec": {"type": "NodePort", "selector": labels, "ports": [{"port": 80}]}})),
            2 => items.push(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm{i}"), "namespace": ns},
                "data": {"password": "hunter2", "spec": "x"}})),
            3 => items.push(serde_json::json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": format!("pt{i}"), "namespace": ns},
                "template": {"metadata": {"labels": labels}, "spec": spec}})),
            4 => items.push(serde_json::json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": format!("job{i}"), "namespace": ns},
                "spec": {"template": {"metadata": {"labels": labels}, "spec": spec}}})),
            _ => {}
        }
        if i % 17 == 0 {
            items.push(serde_json::json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": format!("pdb{i}"), "namespace": ns},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}}}));
            items.push(serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": format!("np{i}"), "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}));
        }
    }
    let doc = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("equivalence-{}-{n}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    path
}

fn packs(engine: &ward_engine::Engine) -> Vec<PackRef> {
    engine
        .program
        .packs
        .iter()
        .map(|p| PackRef {
            name: p.name.clone(),
            version: None,
        })
        .collect()
}

fn findings(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect()
}

#[test]
fn fast_paths_find_exactly_what_a_plain_evaluation_finds() {
    let engine = EngineBuilder::new().build().unwrap();
    let sel = engine.select(&packs(&engine), false, &[]).unwrap();
    let path = export(600).display().to_string();

    let whole =
        ward_engine::input::load_paths(std::slice::from_ref(&path), &LoadOptions::default());
    let streaming = LoadOptions {
        keep_text_below: 1024,
        ..LoadOptions::default()
    };
    let streamed = ward_engine::input::load_paths(std::slice::from_ref(&path), &streaming);
    assert!(whole.errors.is_empty() && streamed.errors.is_empty());
    assert_eq!(whole.resources.len(), streamed.resources.len());

    let fast = engine.evaluate(&sel, &whole, &EvalOptions::default());
    assert!(fast.errors.is_empty(), "{:?}", fast.errors.first());
    assert!(
        fast.findings.len() > 400,
        "only {} findings",
        fast.findings.len()
    );

    let plain = EvalOptions {
        memoize: false,
        by_kind: false,
        ..EvalOptions::default()
    };
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let slow = one_thread.install(|| engine.evaluate(&sel, &whole, &plain));
    assert_eq!(
        findings(&fast),
        findings(&slow),
        "memoised and parallel vs plain and sequential"
    );

    let from_stream = engine.evaluate(&sel, &streamed, &EvalOptions::default());
    assert_eq!(
        findings(&fast),
        findings(&from_stream),
        "streamed vs whole-file loading"
    );
    assert_eq!(fast.outcomes, slow.outcomes);
}

/// A control that names its kind and one that does not both meet a
/// resource of that kind (the per-kind control lists once left the second
/// out).
#[test]
fn controls_with_and_without_a_kind_all_see_a_resource() {
    let policy = r#"
package kinds
control literal {
  match input.kind == "Service"
  deny message "literal"
}
control through_a_function {
  match is_service(input)
  deny message "function"
}
fn is_service(r) = r.kind == "Service"
"#;
    let engine = EngineBuilder::std_only()
        .policy("kinds.ward", policy)
        .build()
        .unwrap();
    let sel = engine.select(&[], true, &[]).unwrap();
    let mut inputs = ward_engine::Inputs::default();
    inputs.add_json(
        "svc",
        &serde_json::json!({"kind": "Service", "metadata": {"name": "s"}}),
    );
    let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
    let mut controls: Vec<&str> = report.findings.iter().map(|f| &*f.control).collect();
    controls.sort_unstable();
    assert_eq!(controls, vec!["kinds.literal", "kinds.through_a_function"]);
}

/// `at x.f` names the full path even when `x` is a `let` of a path that is
/// missing.
#[test]
fn lets_of_missing_paths_keep_their_place() {
    let policy = r#"
package places
control p {
  match input.kind == "Pod"
  for c in input.spec.containers {
    let sc = c.securityContext
    deny when sc.runAsNonRoot != true at sc.runAsNonRoot message "x"
  }
}
"#;
    let engine = EngineBuilder::std_only()
        .policy("places.ward", policy)
        .build()
        .unwrap();
    let sel = engine.select(&[], true, &[]).unwrap();
    let mut inputs = ward_engine::Inputs::default();
    inputs.add_json(
        "pod",
        &serde_json::json!({"kind": "Pod", "spec": {"containers": [{"name": "a"}]}}),
    );
    let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
    let pointers: Vec<&str> = report.findings.iter().map(|f| f.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        vec!["/spec/containers/0/securityContext/runAsNonRoot"]
    );
}
