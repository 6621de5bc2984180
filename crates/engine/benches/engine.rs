//! Ward's hot paths on a generated 10,000-resource cluster export (Pods with
//! managedFields, Deployments, Services, NetworkPolicies, PDBs, Namespaces
//! with Pod Security labels): reading it (parse-only floor: serde_json into
//! `Value`, and Ward's reader; and the same resources as a multi-document
//! YAML stream and as a YAML `kind: List`), evaluating the three large
//! packs over it, and building the engine from the built-in packs (cold
//! start).
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
        // Under the target folder (Cargo's scratch space for benchmarks),
        // written over by the next run rather than left in /tmp.
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("ward-bench-{RESOURCES}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        path
    })
}

/// The export's items as block-style YAML: one `---` document each
/// (`stream`), or one `kind: List` as `kubectl get -o yaml` writes it.
fn yaml(list: bool) -> String {
    let text = std::fs::read_to_string(export()).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let items = doc["items"].as_array().unwrap();
    let mut out = String::new();
    if list {
        out.push_str("apiVersion: v1\nitems:\n");
        block(&Value::Array(items.clone()), 0, &mut out);
        out.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    } else {
        for item in items {
            out.push_str("---\n");
            block(item, 0, &mut out);
        }
    }
    out
}

/// A JSON value as block-style YAML at an indent; scalars as JSON, which
/// YAML reads the same.
fn block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match x {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        block(x, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        block(x, indent, out);
                    }
                    _ => out.push_str(&format!("{pad}{k}: {x}\n")),
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                let mut inner = String::new();
                block(x, indent + 2, &mut inner);
                match x {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}- {}", inner.trim_start()));
                    }
                    _ => out.push_str(&format!("{pad}- {x}\n")),
                }
            }
        }
        _ => out.push_str(&format!("{pad}{v}\n")),
    }
}

/// Ward's reader on the YAML form of the export, as a file.
fn bench_yaml(b: Bencher, list: bool) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "ward-bench-{RESOURCES}-{}.yaml",
        if list { "list" } else { "stream" }
    ));
    std::fs::write(&path, yaml(list)).unwrap();
    bench_load(b, &path);
}

/// Ward's reader on one file, which must hold the export's resources.
fn bench_load(b: Bencher, path: &std::path::Path) {
    let path = path.display().to_string();
    let loaded = load_paths(std::slice::from_ref(&path), &LoadOptions::default());
    assert_eq!(loaded.resources.len(), RESOURCES);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    b.bench(|| {
        black_box(load_paths(
            std::slice::from_ref(&path),
            &LoadOptions::default(),
        ))
    });
}

#[divan::bench(sample_count = 10)]
fn parse_ward_yaml_stream(b: Bencher) {
    bench_yaml(b, false);
}

#[divan::bench(sample_count = 10)]
fn parse_ward_yaml_list(b: Bencher) {
    bench_yaml(b, true);
}

#[divan::bench(sample_count = 10)]
fn parse_serde_json_value(b: Bencher) {
    let text = std::fs::read_to_string(export()).unwrap();
    b.bench(|| black_box(serde_json::from_str::<Value>(&text).unwrap()));
}

#[divan::bench(sample_count = 10)]
fn parse_ward(b: Bencher) {
    bench_load(b, export());
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
