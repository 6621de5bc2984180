//! Ward's hot paths on a generated 10,000-resource cluster export (Pods with
//! managedFields, Deployments, Services, NetworkPolicies, PDBs, Namespaces
//! with Pod Security labels): reading it (parse-only floor: serde_json into
//! `Value`, and Ward's reader), evaluating the three large packs over it,
//! and building the engine from the built-in packs (cold start).
//!
//! `cargo bench -p ward-engine --bench engine`. The end-to-end figures, on
//! up to 100,000 resources, come from `scripts/bench.sh` and are recorded in
//! docs/performance.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmarks fail loudly"
)]

use divan::{Bencher, black_box};
use serde_json::{Value, json};
use std::sync::OnceLock;
use ward_engine::input::{Inputs, load_paths};
use ward_engine::{EngineBuilder, EvalOptions, LoadOptions, PackRef};

fn main() {
    divan::main();
}

const RESOURCES: usize = 10_000;

/// A deterministic export: per namespace a Namespace with a Pod Security
/// label and a default-deny NetworkPolicy, then 40 apps of a Deployment, a
/// Pod, a Service and a PDB each; one app in five has a privileged
/// container.
fn export() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let mut items: Vec<Value> = Vec::with_capacity(RESOURCES);
        let levels = ["restricted", "baseline", "privileged"];
        let mut i = 0usize;
        while items.len() < RESOURCES {
            let ns = format!("team-{}", i / 40);
            if i.is_multiple_of(40) {
                items.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns,
                    "labels": {"pod-security.kubernetes.io/enforce": levels[(i / 40) % 3]}}}));
                items.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": "default-deny", "namespace": ns},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}));
            }
            let app = format!("app-{i}");
            let labels = json!({"app": app});
            let sc = if i.is_multiple_of(5) {
                json!({"privileged": true})
            } else {
                json!({"runAsNonRoot": true, "allowPrivilegeEscalation": false,
                       "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
                       "readOnlyRootFilesystem": true})
            };
            let spec = json!({"serviceAccountName": app, "automountServiceAccountToken": false,
                "containers": [{"name": "app", "image": format!("registry.example.com/{app}:1.{i}"),
                "securityContext": sc, "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                "limits": {"cpu": "500m", "memory": "256Mi"}},
                "livenessProbe": {"httpGet": {"path": "/", "port": 8080}},
                "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}}]});
            items.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": app, "namespace": ns, "labels": labels},
                "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                         "template": {"metadata": {"labels": labels}, "spec": spec}}}));
            items.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{app}-0"), "namespace": ns, "labels": labels,
                    "managedFields": [{"manager": "kube-controller-manager", "operation": "Update",
                        "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]},
                "spec": spec, "status": {"phase": "Running", "podIP": "10.0.0.1"}}));
            items.push(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": app, "namespace": ns},
                "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}}));
            items.push(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": app, "namespace": ns},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}}}));
            i += 1;
        }
        items.truncate(RESOURCES);
        let doc = json!({"apiVersion": "v1", "kind": "List", "items": items});
        let path = std::env::temp_dir().join(format!(
            "ward-bench-{RESOURCES}-{}.json",
            std::process::id()
        ));
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        path
    })
}

#[divan::bench(sample_count = 10)]
fn parse_serde_json_value(b: Bencher) {
    let text = std::fs::read_to_string(export()).unwrap();
    b.bench(|| black_box(serde_json::from_str::<Value>(&text).unwrap()));
}

#[divan::bench(sample_count = 10)]
fn parse_ward(b: Bencher) {
    let path = export().display().to_string();
    b.bench(|| {
        black_box(load_paths(
            std::slice::from_ref(&path),
            &LoadOptions::default(),
        ))
    });
}

#[divan::bench(sample_count = 10)]
fn evaluate_three_packs(b: Bencher) {
    let engine = EngineBuilder::new().build().unwrap();
    let packs: Vec<PackRef> = ["pss-restricted", "checklist", "cis-k8s"]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    let sel = engine.select(&packs, false, &[]).unwrap();
    let path = export().display().to_string();
    let inputs: Inputs = load_paths(std::slice::from_ref(&path), &LoadOptions::default());
    assert_eq!(inputs.resources.len(), RESOURCES);
    b.bench(|| black_box(engine.evaluate(&sel, &inputs, &EvalOptions::default())));
}

#[divan::bench(sample_count = 20)]
fn build_engine_with_every_pack() {
    black_box(EngineBuilder::new().build().unwrap());
}
