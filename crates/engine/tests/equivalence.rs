//! The fast paths change nothing: findings are identical whether pure calls
//! are memoised or not, whether a control's `let`s are worked out where
//! they stand or when first read, whether each control meets only the kinds its
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

/// The report of a plain evaluation: no memos, every `let` worked out where
/// it stands, every control offered every resource, on one thread.
fn plainly(
    engine: &ward_engine::Engine,
    sel: &ward_engine::Selection,
    inputs: &ward_engine::Inputs,
) -> Report {
    let plain = EvalOptions {
        memoize: false,
        defer_lets: false,
        by_kind: false,
        ..EvalOptions::default()
    };
    one_thread().install(|| engine.evaluate(sel, inputs, &plain))
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

    let slow = plainly(&engine, &sel, &whole);
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

/// A small random number generator, the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// An export put together at random from what the packs look at, with
/// few names, namespaces and labels so that selectors, owners, bindings
/// and policies meet: the cross-resource controls and the memos they share
/// between resources get many ways to be asked the same thing.
fn random_export(seed: u64, n: usize) -> serde_json::Value {
    use serde_json::{Value, json};
    let mut r = Rng(seed);
    let namespaces = ["default", "team-a", "team-b", "kube-system"];
    let apps = ["frontend", "backend", "redis", "ingress-nginx", "worker"];
    let mut items: Vec<Value> = Vec::new();
    for ns in namespaces {
        let mut labels = json!({"kubernetes.io/metadata.name": ns});
        if !r.chance(3) {
            labels["pod-security.kubernetes.io/enforce"] =
                json!(r.pick(&["baseline", "restricted", "privileged", "bogus"]));
        }
        if r.chance(2) {
            labels["pod-security.kubernetes.io/enforce-version"] =
                json!(r.pick(&["v1.25", "latest", "v1.0", "nope"]));
        }
        if !r.chance(4) {
            items.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}));
        }
    }
    let labels_of = |r: &mut Rng| {
        let mut l = json!({});
        if !r.chance(5) {
            l[r.pick(&["app", "app.kubernetes.io/name"])] = json!(r.pick(&apps));
        }
        if r.chance(3) {
            l["tier"] = json!(r.pick(&["web", "db"]));
        }
        l
    };
    let security = |r: &mut Rng| {
        let mut sc = json!({});
        for (field, values) in [
            ("privileged", json!([true, false])),
            ("allowPrivilegeEscalation", json!([true, false])),
            ("runAsNonRoot", json!([true, false])),
            ("runAsUser", json!([0, 1000, 65534])),
            ("readOnlyRootFilesystem", json!([true, false])),
            ("procMount", json!(["Default", "Unmasked"])),
            (
                "seccompProfile",
                json!([{"type": "RuntimeDefault"}, {"type": "Unconfined"}, {"type": "Localhost", "localhostProfile": "p"}]),
            ),
            (
                "capabilities",
                json!([{"drop": ["ALL"]}, {"add": ["NET_ADMIN", "NET_RAW"]}, {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}, {}]),
            ),
            (
                "appArmorProfile",
                json!([{"type": "RuntimeDefault"}, {"type": "Unconfined"}]),
            ),
            (
                "seLinuxOptions",
                json!([{"type": "container_t"}, {"user": "root"}]),
            ),
        ] {
            if r.chance(3) {
                let options = values.as_array().unwrap();
                sc[field] = options[r.below(options.len())].clone();
            }
        }
        sc
    };
    let pod_spec = |r: &mut Rng| {
        let mut containers = Vec::new();
        for c in 0..1 + r.below(3) {
            let mut container = json!({"name": format!("c{c}"), "image": r.pick(&["nginx", "nginx:1.27", "redis@sha256:0123", "registry.example.com/app:2.1"])});
            if !r.chance(3) {
                container["securityContext"] = security(r);
            }
            if r.chance(2) {
                container["resources"] = json!({"limits": {"cpu": r.pick(&["500m", "2", "100"]), "memory": r.pick(&["256Mi", "64Gi"])}, "requests": {"cpu": "100m"}});
            }
            if r.chance(3) {
                container["env"] = json!([{"name": r.pick(&["PASSWORD", "DB_HOST", "API_TOKEN"]), "value": r.pick(&["hunter2", "db", "", "$(SECRET)"])}]);
            }
            if r.chance(4) {
                container["ports"] = json!([{"containerPort": 8080, "hostPort": r.pick(&["8080", "0"]).parse::<u32>().unwrap()}]);
            }
            if r.chance(3) {
                container["livenessProbe"] = json!({"httpGet": {"path": "/", "port": 8080}});
            }
            containers.push(container);
        }
        let mut spec = json!({"containers": containers});
        for (field, value) in [
            ("hostNetwork", json!(true)),
            ("hostPID", json!(true)),
            ("automountServiceAccountToken", json!(r.chance(2))),
            (
                "serviceAccountName",
                json!(r.pick(&["default", "app", "builder"])),
            ),
            ("securityContext", security(r)),
            (
                "volumes",
                json!([{"name": "v", "hostPath": {"path": "/var"}}, {"name": "e", "emptyDir": {}}]),
            ),
            (
                "initContainers",
                json!([{"name": "init", "image": "busybox", "securityContext": security(r)}]),
            ),
        ] {
            if r.chance(4) {
                spec[field] = value;
            }
        }
        spec
    };
    // A Pod as admission leaves it: the template's spec with a node, the
    // default tolerations and a token volume with a generated name,
    // mounted in each container (what objects with the same pod view
    // still differ in).
    let admitted = |r: &mut Rng, template: &Value| {
        let mut spec = template["spec"].clone();
        let token = format!("kube-api-access-{}", r.below(100_000));
        spec["nodeName"] = json!(format!("node-{}", r.below(9)));
        spec["tolerations"] = json!([{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}]);
        let mut volumes = spec["volumes"].as_array().cloned().unwrap_or_default();
        volumes.push(json!({"name": token, "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}));
        spec["volumes"] = json!(volumes);
        for list in ["initContainers", "containers"] {
            if let Some(cs) = spec[list].as_array_mut() {
                for c in cs {
                    c["volumeMounts"] = json!([{"name": token, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]);
                }
            }
        }
        spec
    };
    let mut deployments: Vec<(String, String, Value)> = Vec::new();
    for i in 0..n {
        let ns = r.pick(&namespaces).to_string();
        let meta = |r: &mut Rng, name: String, ns: &str| {
            let mut m = json!({"name": name, "namespace": ns});
            if r.chance(2) {
                m["labels"] = labels_of(r);
            }
            if r.chance(6) {
                m["annotations"] = json!({"container.apparmor.security.beta.kubernetes.io/c0": r.pick(&["runtime/default", "unconfined"]), "note": r.pick(&["AKIAIOSFODNN7EXAMPLE", "plain"])});
            }
            m
        };
        let item = match r.below(16) {
            0..=2 => {
                let name = format!("d{i}");
                let l = labels_of(&mut r);
                let template = json!({"metadata": {"labels": l}, "spec": pod_spec(&mut r)});
                deployments.push((ns.clone(), name.clone(), template.clone()));
                json!({"apiVersion": "apps/v1", "kind": r.pick(&["Deployment", "StatefulSet", "DaemonSet"]), "metadata": meta(&mut r, name, &ns),
                    "spec": {"replicas": r.below(4), "selector": {"matchLabels": l}, "template": template}})
            }
            3..=5 => {
                let mut m = meta(&mut r, format!("p{i}"), &ns);
                let mut spec = None;
                if !deployments.is_empty() && r.chance(2) {
                    let (dns, d, template) = deployments[r.below(deployments.len())].clone();
                    m["namespace"] = json!(dns);
                    m["ownerReferences"] = json!([{"kind": r.pick(&["ReplicaSet", "Deployment"]), "name": d, "controller": true}]);
                    // Most owned Pods are made from their owner's template.
                    if !r.chance(4) {
                        m["labels"] = template["metadata"]["labels"].clone();
                        if let Some(m) = m.as_object_mut() {
                            m.remove("annotations");
                        }
                        spec = Some(admitted(&mut r, &template));
                    }
                }
                let spec = spec.unwrap_or_else(|| pod_spec(&mut r));
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec})
            }
            6 => {
                json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(&mut r, format!("cj{i}"), &ns),
                "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"metadata": {"labels": labels_of(&mut r)}, "spec": pod_spec(&mut r)}}}}})
            }
            7 => {
                json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(&mut r, format!("s{i}"), &ns),
                "spec": {"type": r.pick(&["ClusterIP", "NodePort", "LoadBalancer"]), "selector": labels_of(&mut r), "ports": [{"port": 80}]}})
            }
            8 => {
                let peer = match r.below(4) {
                    0 => {
                        json!({"podSelector": labels_of(&mut r).as_object().map(|l| json!({"matchLabels": l})).unwrap()})
                    }
                    1 => {
                        json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": r.pick(&namespaces)}}})
                    }
                    2 => json!({"ipBlock": {"cidr": r.pick(&["0.0.0.0/0", "10.0.0.0/8"])}}),
                    _ => json!({"namespaceSelector": {}}),
                };
                let selector = if r.chance(2) {
                    json!({})
                } else {
                    json!({"matchLabels": labels_of(&mut r)})
                };
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(&mut r, format!("np{i}"), &ns),
                    "spec": {"podSelector": selector, "policyTypes": if r.chance(2) { json!(["Ingress"]) } else { json!(["Ingress", "Egress"]) },
                        "ingress": if r.chance(3) { json!([]) } else { json!([{"from": [peer]}]) },
                        "egress": [{"to": [{"podSelector": {"matchLabels": {"app": r.pick(&apps)}}}]}]}})
            }
            9 => {
                json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(&mut r, format!("pdb{i}"), &ns),
                "spec": {r.pick(&["maxUnavailable", "minAvailable"]): r.below(3), "selector": {"matchLabels": labels_of(&mut r)}}})
            }
            10 => {
                let role = r.pick(&["reader", "admin", "cluster-admin"]);
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": r.pick(&["Role", "ClusterRole"]), "metadata": meta(&mut r, role.to_string(), &ns),
                "rules": [{"apiGroups": [r.pick(&["", "*", "apps"])], "resources": [r.pick(&["pods", "secrets", "*", "pods/exec"])], "verbs": [r.pick(&["get", "*", "create", "escalate", "impersonate"])]}]})
            }
            11 => {
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": r.pick(&["RoleBinding", "ClusterRoleBinding"]), "metadata": meta(&mut r, format!("rb{i}"), &ns),
                "roleRef": {"kind": r.pick(&["Role", "ClusterRole"]), "name": r.pick(&["reader", "admin", "cluster-admin"])},
                "subjects": [{"kind": r.pick(&["ServiceAccount", "Group", "User"]), "name": r.pick(&["default", "app", "system:masters"]), "namespace": ns}]})
            }
            12 => {
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(&mut r, format!("cm{i}"), &ns),
                "data": {r.pick(&["password", "config", "token"]): r.pick(&["hunter2", "a: 1\npassword: x\n", ""])}})
            }
            13 => {
                let name = r.pick(&["default", "app", "builder"]);
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(&mut r, name.to_string(), &ns),
                "automountServiceAccountToken": r.chance(2)})
            }
            14 => {
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta(&mut r, format!("ing{i}"), &ns),
                "spec": if r.chance(2) { json!({"tls": [{"hosts": ["a"]}], "rules": [{"host": "a"}]}) } else { json!({"rules": [{"host": "a"}]}) }})
            }
            _ => {
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta(&mut r, format!("sec{i}"), &ns), "data": {"k": "djE="}})
            }
        };
        items.push(item);
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// Exports put together at random: the memos, the per-kind control lists
/// and the threads find exactly what a plain evaluation on one thread
/// finds, on every seed.
#[test]
fn fast_paths_find_what_a_plain_evaluation_finds_on_exports_put_together_at_random() {
    let engine = EngineBuilder::new().build().unwrap();
    let sel = engine.select(&packs(&engine), false, &[]).unwrap();
    let mut total = 0;
    for seed in 1..=6u64 {
        let mut inputs = ward_engine::Inputs::default();
        inputs.add_json(
            "random.json",
            &random_export(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 300),
        );
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors.first());
        let fast = engine.evaluate(&sel, &inputs, &EvalOptions::default());
        assert!(
            fast.errors.is_empty(),
            "seed {seed}: {:?}",
            fast.errors.first()
        );
        let slow = plainly(&engine, &sel, &inputs);
        assert_eq!(findings(&fast), findings(&slow), "seed {seed}");
        assert_eq!(fast.outcomes, slow.outcomes, "seed {seed}");
        total += fast.findings.len();
    }
    assert!(total > 3000, "only {total} findings");
}

/// A value as block-style YAML, strings plain wherever YAML reads them
/// back as the same string, as people and `kubectl` write them.
fn yaml(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    fn scalar(v: &Value) -> String {
        let Value::String(s) = v else {
            return v.to_string();
        };
        let special = s.is_empty()
            || s.trim() != s
            || s.contains(": ")
            || s.contains(" #")
            || s.ends_with(':')
            || s.chars()
                .any(|c| c.is_control() || "{}[],&*!|>'\"%@`".contains(c))
            || s.starts_with(['-', '?', ':', '#', '.'])
            || s.parse::<f64>().is_ok()
            || s.starts_with("0x")
            || s.starts_with("0o")
            || [
                "true", "false", "null", "~", "True", "False", "Null", "TRUE", "FALSE", "NULL",
            ]
            .contains(&s.as_str());
        if special { v.to_string() } else { s.clone() }
    }
    let pad = " ".repeat(indent);
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let key = scalar(&Value::String(k.clone()));
                match x {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        yaml(x, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        yaml(x, indent, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{key}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{key}: []\n")),
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(x))),
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                match x {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        yaml(x, indent + 2, &mut inner);
                        out.push_str(&format!("{pad}- {}", inner.trim_start()));
                    }
                    Value::Array(b) if !b.is_empty() => {
                        let mut inner = String::new();
                        yaml(x, indent + 2, &mut inner);
                        out.push_str(&format!("{pad}- {}", inner.trim_start()));
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}- {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}- []\n")),
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(x))),
                }
            }
        }
        _ => out.push_str(&format!("{pad}{}\n", scalar(v))),
    }
}

/// What a finding says, without where its file put it.
fn said(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}/{} {} {} {:?}",
                f.control,
                f.resource.kind,
                f.resource.namespace,
                f.resource.name,
                f.pointer,
                f.message,
                f.fix
            )
        })
        .collect();
    out.sort();
    out
}

/// The same resources as a JSON export, a YAML stream and a YAML list
/// (`kubectl get -o yaml`) give the same findings: YAML's plain scalars
/// read as JSON's strings, numbers and booleans do.
#[test]
fn json_and_yaml_of_the_same_resources_find_the_same() {
    let engine = EngineBuilder::new().build().unwrap();
    let sel = engine.select(&packs(&engine), false, &[]).unwrap();
    for seed in 1..=3u64 {
        let export = random_export(seed.wrapping_mul(0x2545_f491_4f6c_dd1d), 300);
        let items = export["items"].as_array().unwrap();
        let mut stream = String::new();
        for item in items {
            stream.push_str("---\n");
            yaml(item, 0, &mut stream);
        }
        let mut list = String::new();
        yaml(&export, 0, &mut list);
        let opts = LoadOptions::default();
        let mut reports = Vec::new();
        for (name, text) in [
            (
                "export.json",
                serde_json::to_string_pretty(&export).unwrap(),
            ),
            ("stream.yaml", stream),
            ("list.yaml", list),
        ] {
            let mut inputs = ward_engine::Inputs::default();
            inputs.add_text(name, &text, &opts);
            assert!(
                inputs.errors.is_empty(),
                "{name}: {:?}",
                inputs.errors.first()
            );
            assert_eq!(inputs.resources.len(), items.len(), "{name}");
            reports.push(said(&engine.evaluate(
                &sel,
                &inputs,
                &EvalOptions::default(),
            )));
        }
        assert!(reports[0].len() > 300, "seed {seed}");
        assert_eq!(
            reports[0], reports[1],
            "seed {seed}: JSON and the YAML stream"
        );
        assert_eq!(
            reports[0], reports[2],
            "seed {seed}: JSON and the YAML list"
        );
    }
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

/// The built-in engine with `packs` selected, and `export` loaded as one
/// file.
fn export_with_packs(
    export: &serde_json::Value,
    packs: &[&str],
) -> (
    ward_engine::Engine,
    ward_engine::Selection,
    ward_engine::Inputs,
) {
    let engine = EngineBuilder::new().build().unwrap();
    let packs: Vec<PackRef> = packs
        .iter()
        .map(|name| PackRef {
            name: (*name).into(),
            version: None,
        })
        .collect();
    let sel = engine.select(&packs, false, &[]).unwrap();
    let mut inputs = ward_engine::Inputs::default();
    inputs.add_text(
        "export.json",
        &serde_json::to_string_pretty(export).unwrap(),
        &LoadOptions::default(),
    );
    (engine, sel, inputs)
}

/// A pool of one thread, so that every object meets the same worker's
/// pod views.
fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
}

/// A Deployment, its ReplicaSet and two Pods, as a cluster export has
/// them: the Pods carry what admission adds (a node, tolerations, a token
/// volume with a generated name mounted in each container), and one Pod's
/// container differs. What the PSS and CIS controls find on each is the
/// same whether objects with the same pod view share it or not, each
/// finding at its own object's place.
#[test]
fn objects_with_the_same_pod_view_share_findings_at_their_own_places() {
    use serde_json::json;
    let container = |privileged: bool| {
        json!({"name": "app", "image": "nginx:1.27",
            "securityContext": {"privileged": privileged, "capabilities": {"add": ["NET_RAW"]}},
            "ports": [{"containerPort": 80, "hostPort": 8080}]})
    };
    let template = json!({
        "metadata": {"labels": {"app": "web"},
            "annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}},
        "spec": {"containers": [container(true)], "volumes": [{"name": "data", "emptyDir": {}}]}
    });
    let pod = |name: &str, token: &str, privileged: bool| {
        let mut c = container(privileged);
        c["volumeMounts"] =
            json!([{"name": token, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]);
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "web", "labels": {"app": "web"},
                "annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "1", "controller": true}]},
            "spec": {"containers": [c], "nodeName": format!("node-{name}"),
                "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}],
                "volumes": [{"name": "data", "emptyDir": {}},
                    {"name": token, "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}]}})
    };
    let export = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template}},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template}},
        pod("web-1-a", "kube-api-access-b2x7q", true),
        pod("web-1-b", "kube-api-access-k9z4m", true),
        pod("web-1-c", "kube-api-access-p5w2r", false),
    ]});
    let (engine, sel, inputs) = export_with_packs(&export, &["pss-restricted", "cis-k8s"]);
    let one_thread = one_thread();
    let shared = one_thread.install(|| engine.evaluate(&sel, &inputs, &EvalOptions::default()));
    let alone = one_thread.install(|| {
        engine.evaluate(
            &sel,
            &inputs,
            &EvalOptions {
                share_views: false,
                ..EvalOptions::default()
            },
        )
    });
    assert!(shared.errors.is_empty(), "{:?}", shared.errors);
    assert_eq!(findings(&shared), findings(&alone));
    assert_eq!(
        findings(&shared),
        findings(&plainly(&engine, &sel, &inputs))
    );

    // Each object has its own privileged finding, at its own line; the
    // Pod whose container is not privileged has none.
    let privileged: Vec<(&str, &str, u32)> = shared
        .findings
        .iter()
        .filter(|f| &*f.control == "pss.baseline.privileged")
        .map(|f| (f.resource.name.as_str(), f.pointer.as_str(), f.line))
        .collect();
    let names: Vec<&str> = privileged.iter().map(|p| p.0).collect();
    assert_eq!(
        names,
        ["web", "web-1", "web-1-a", "web-1-b"],
        "{privileged:?}"
    );
    assert_eq!(
        privileged[0].1,
        "/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(
        privileged[2].1,
        "/spec/containers/0/securityContext/privileged"
    );
    let mut lines: Vec<u32> = privileged.iter().map(|p| p.2).collect();
    lines.dedup();
    assert_eq!(lines.len(), 4, "{privileged:?}");
    // The objects it was handed on to carry the Deployment's message
    // itself, not copies of it; without the views, each made its own.
    let messages = |r: &Report| -> Vec<std::sync::Arc<str>> {
        r.findings
            .iter()
            .filter(|f| &*f.control == "pss.baseline.privileged")
            .map(|f| f.message.clone())
            .collect()
    };
    let (handed, made) = (messages(&shared), messages(&alone));
    assert!(
        handed[1..]
            .iter()
            .all(|m| std::sync::Arc::ptr_eq(m, &handed[0]))
    );
    assert!(!std::sync::Arc::ptr_eq(&made[1], &made[0]));

    // The annotation finding is at each object's own annotation.
    let apparmor: Vec<&str> = shared
        .findings
        .iter()
        .filter(|f| &*f.control == "pss.baseline.appArmorProfile")
        .map(|f| f.pointer.as_str())
        .collect();
    assert_eq!(apparmor.len(), 5, "{apparmor:?}");
    assert!(
        apparmor[0].starts_with("/spec/template/metadata/annotations/"),
        "{apparmor:?}"
    );
    assert!(
        apparmor[4].starts_with("/metadata/annotations/"),
        "{apparmor:?}"
    );

    // And the work was shared: the Deployment's outcome served the
    // ReplicaSet and the two Pods like it.
    let steps = |r: &Report, id: &str| {
        r.outcomes
            .iter()
            .filter(|o| o.control == id)
            .map(|o| o.steps)
            .sum::<u64>()
    };
    for id in ["pss.baseline.privileged", "cis.k8s.net_raw_capability"] {
        assert!(
            steps(&shared, id) * 2 < steps(&alone, id),
            "{id}: {} shared, {} alone",
            steps(&shared, id),
            steps(&alone, id)
        );
    }
}

/// The service account a pod runs as is part of its view, though the
/// deprecated `serviceAccount` field that can name it is left out with
/// what admission adds: two Pods whose specs differ only there do not
/// share what `service_account_token_mount` finds of the account.
#[test]
fn objects_naming_other_service_accounts_do_not_share_what_is_found_of_them() {
    use serde_json::json;
    let spec = |account: Option<&str>| {
        let mut s = json!({"containers": [{"name": "app", "image": "nginx:1.27"}]});
        if let Some(a) = account {
            s["serviceAccount"] = json!(a);
        }
        s
    };
    let pod = |name: &str, account: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "web", "labels": {"app": "web"}},
            "spec": spec(Some(account))})
    };
    let export = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec(None)}}},
        pod("web-a", "default"),
        pod("web-b", "builder"),
    ]});
    let (engine, sel, inputs) = export_with_packs(&export, &["cis-k8s"]);
    let shared = one_thread().install(|| engine.evaluate(&sel, &inputs, &EvalOptions::default()));
    assert!(shared.errors.is_empty(), "{:?}", shared.errors);
    assert_eq!(
        findings(&shared),
        findings(&plainly(&engine, &sel, &inputs))
    );
    let mounted: Vec<(&str, &str)> = shared
        .findings
        .iter()
        .filter(|f| &*f.control == "cis.k8s.service_account_token_mount")
        .map(|f| (f.resource.name.as_str(), &*f.message))
        .collect();
    let [(name, message)] = mounted.as_slice() else {
        panic!("one finding, on web-b: {mounted:?}");
    };
    assert_eq!(*name, "web-b");
    assert!(message.contains("ServiceAccount `builder`"), "{message}");
}
