//! Input tests over real files: every Dockerfile and GitHub workflow of the
//! shared real-world corpus loads without errors, and every value of the
//! resulting resources points at a line of its file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::{Path, PathBuf};
use ward_engine::input::{self, Inputs, LoadOptions, ci, dockerfile};
use ward_engine::value::doc::NodeRef;

/// The corpus: `$WARD_CORPUS`, or `shared/corpora/real` beside the
/// repository (as CI lays it out), or the developers' copy.
fn corpus() -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/real");
    std::env::var_os("WARD_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([beside, PathBuf::from("/work/shared/corpora/real")])
        .find(|p| p.is_dir())
}

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Each YAML and JSON file of the corpus, loaded on its own.
fn manifests(root: &Path) -> Vec<(PathBuf, Inputs)> {
    files(root)
        .into_iter()
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .map(|p| {
            let (inputs, _) = load_one(&p);
            (p, inputs)
        })
        .collect()
}

fn is_dockerfile(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(dockerfile::is_dockerfile_name)
}

/// Every node's line is a line of the file.
fn check_positions(n: NodeRef<'_>, lines: usize, file: &str, path: &mut Vec<String>) {
    let pos = n.pos();
    assert!(
        pos.line >= 1 && pos.line as usize <= lines && pos.col >= 1,
        "{file}: `/{}` is at {}:{}, outside the file's {lines} lines",
        path.join("/"),
        pos.line,
        pos.col
    );
    for (i, c) in n.items().enumerate() {
        path.push(i.to_string());
        check_positions(c, lines, file, path);
        path.pop();
    }
    for (k, c) in n.entries() {
        path.push(k.as_str().to_string());
        check_positions(c, lines, file, path);
        path.pop();
    }
}

fn load_one(p: &Path) -> (Inputs, usize) {
    let shown = p.display().to_string();
    let inputs = input::load_paths(std::slice::from_ref(&shown), &LoadOptions::default());
    let text = std::fs::read_to_string(p).unwrap();
    (inputs, text.lines().count())
}

#[test]
fn corpus_dockerfiles_load_cleanly() {
    let Some(root) = corpus() else {
        return;
    };
    let all: Vec<PathBuf> = files(&root)
        .into_iter()
        .filter(|p| is_dockerfile(p))
        .collect();
    assert!(all.len() >= 30, "found only {} Dockerfiles", all.len());
    for p in &all {
        let (inputs, lines) = load_one(p);
        let file = p.display().to_string();
        assert!(inputs.errors.is_empty(), "{file}: {:?}", inputs.errors);
        assert_eq!(inputs.resources.len(), 1, "{file}");
        let r = &inputs.resources[0];
        assert_eq!(r.kind(), "Dockerfile", "{file}");
        assert_eq!(r.name(), file);
        let stages = r.root().get_str("stages").unwrap();
        assert!(!stages.is_empty(), "{file}: no stages");
        for s in stages.items() {
            let from = s.get_str("from").unwrap();
            let resolved = s.get_str("from_resolved").unwrap();
            let base = s.get_str("base").unwrap();
            let parent = s.get_str("parent").unwrap();
            if !resolved.is_null() && parent.is_null() {
                assert!(
                    !base.is_null(),
                    "{file}: `{}` not parsed",
                    from.as_str().unwrap()
                );
            }
        }
        check_positions(r.root(), lines, &file, &mut Vec::new());
    }
}

#[test]
fn corpus_workflows_load_cleanly() {
    let Some(root) = corpus() else {
        return;
    };
    let all: Vec<PathBuf> = files(&root)
        .into_iter()
        .filter(|p| ci::pipeline_of(p) == Some(ci::Pipeline::GitHub))
        .collect();
    assert!(all.len() >= 15, "found only {} workflows", all.len());
    for p in &all {
        let (inputs, lines) = load_one(p);
        let file = p.display().to_string();
        assert!(inputs.errors.is_empty(), "{file}: {:?}", inputs.errors);
        assert_eq!(inputs.resources.len(), 1, "{file}");
        let r = &inputs.resources[0];
        assert_eq!(r.kind(), "GitHubWorkflow", "{file}");
        let jobs = r.root().get_str("jobs").unwrap();
        assert!(!jobs.is_empty(), "{file}: no jobs");
        for (_, job) in jobs.entries() {
            assert!(job.get_str("runs_on").is_some());
            for s in job.get_str("steps").unwrap().items() {
                let uses = s.get_str("uses").unwrap();
                if let Some(u) = uses.as_str() {
                    assert!(!s.get_str("action").unwrap().is_null(), "{file}: {u}");
                }
            }
        }
        check_positions(r.root(), lines, &file, &mut Vec::new());
    }
}

#[test]
fn corpus_final_user_points_at_its_line() {
    let Some(root) = corpus() else {
        return;
    };
    let p = root.join("dockerfiles/gatekeeper/Dockerfile");
    if !p.exists() {
        return;
    }
    let (inputs, _) = load_one(&p);
    let text = std::fs::read_to_string(&p).unwrap();
    let user_line = text.lines().position(|l| l.starts_with("USER ")).unwrap() + 1;
    let last = inputs.resources[0]
        .root()
        .get_str("stages")
        .unwrap()
        .items()
        .last()
        .unwrap();
    let user = last.get_str("user").unwrap();
    assert_eq!(user.as_str(), Some("65532:65532"));
    assert_eq!(user.pos().line as usize, user_line);
    assert_eq!(user.pos().col, 6);
    assert_eq!(
        last.get_str("copies_from").unwrap().to_json(),
        serde_json::json!(["builder"])
    );
}

#[test]
fn corpus_folder_loads_with_a_repository() {
    let Some(root) = corpus() else {
        return;
    };
    let shown = root.join("microservices-demo").display().to_string();
    let inputs = input::load_paths(std::slice::from_ref(&shown), &LoadOptions::default());
    let repo = inputs
        .resources
        .iter()
        .find(|r| r.kind() == "Repository")
        .unwrap();
    assert_eq!(repo.name(), shown);
    let files = repo
        .root()
        .get_str("spec")
        .unwrap()
        .get_str("files")
        .unwrap();
    assert!(files.get_str("dockerfiles").unwrap().len() >= 13);
    let workflows = files.get_str("workflows").unwrap();
    assert!(workflows.len() >= 9);
    let loaded = inputs
        .resources
        .iter()
        .filter(|r| r.kind() == "GitHubWorkflow")
        .count();
    assert_eq!(loaded, workflows.len());
    let dockerfile_errors: Vec<_> = inputs
        .errors
        .iter()
        .filter(|e| is_dockerfile(Path::new(&e.file)))
        .collect();
    assert!(dockerfile_errors.is_empty(), "{dockerfile_errors:?}");
}

const E2E: &str = r#"
package inputs.e2e

control final_user {
  title "The final stage does not run as root"
  severity high
  match input.kind == "Dockerfile"
  let final = input.stages[-1]
  deny when final.user == null or final.user in ["root", "0", "0:0"]
    at final.user
    message "the final stage runs as root"
}

control trivy_scan {
  title "Some workflow scans images with Trivy"
  severity medium
  match input.kind == "Repository"
  deny when not any w in resources(kind: "GitHubWorkflow"):
      any j in values(w.jobs): any s in j.steps: s.action == "aquasecurity/trivy-action"
    message "no workflow runs aquasecurity/trivy-action"
}
"#;

fn evaluate(inputs: &Inputs) -> Vec<ward_engine::Finding> {
    let engine = ward_engine::EngineBuilder::std_only()
        .policy("e2e.ward", E2E)
        .build()
        .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
    let sel = engine.select(&[], true, &[]).unwrap();
    let report = engine.evaluate(&sel, inputs, &ward_engine::EvalOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report.findings
}

#[test]
fn findings_point_at_dockerfile_lines() {
    let mut inputs = Inputs::default();
    let opts = LoadOptions::default();
    inputs.add_text(
        "a/Dockerfile",
        "FROM golang AS build\nUSER builder\nFROM build\nRUN make\nUSER root\n",
        &opts,
    );
    inputs.add_text(
        "b/Dockerfile",
        "# base\nFROM alpine\nRUN apk add curl\n",
        &opts,
    );
    inputs.add_text("c/Dockerfile", "FROM alpine\nUSER 10001\n", &opts);
    let found: Vec<(String, u32, u32, String)> = evaluate(&inputs)
        .into_iter()
        .map(|f| (f.file.to_string(), f.line, f.column, f.pointer.clone()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "a/Dockerfile".to_string(),
                5,
                6,
                "/stages/1/user".to_string()
            ),
            (
                "b/Dockerfile".to_string(),
                2,
                1,
                "/stages/0/user".to_string()
            ),
        ]
    );
}

#[test]
fn a_repository_rule_reads_its_workflows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let wf = dir.join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(
        wf.join("ci.yml"),
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n",
    )
    .unwrap();
    let shown = dir.display().to_string();
    let load = || input::load_paths(std::slice::from_ref(&shown), &LoadOptions::default());
    let before = evaluate(&load());
    std::fs::write(
        wf.join("scan.yml"),
        "on: push\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aquasecurity/trivy-action@0.28.0\n",
    )
    .unwrap();
    let after = evaluate(&load());
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(&*before[0].control, "inputs.e2e.trivy_scan");
    assert_eq!(before[0].resource.kind, "Repository");
    assert!(after.is_empty(), "{after:?}");
}

/// The keys of a Ward document that the policy checker would take for a
/// slip of a known field, outside the maps whose keys users choose.
fn slips(n: NodeRef<'_>, path: &mut Vec<String>, out: &mut Vec<String>) {
    /// Fields of Ward's documents whose keys are the user's: build args,
    /// variables, inputs and the like.
    const USER_MAPS: [&str; 13] = [
        "args",
        "directives",
        "env",
        "flags",
        "inputs",
        "jobs",
        "matrix",
        "outputs",
        "secrets",
        "services",
        "variables",
        "with",
        "labels",
    ];
    for (i, c) in n.items().enumerate() {
        path.push(i.to_string());
        slips(c, path, out);
        path.pop();
    }
    let user = path.last().is_some_and(|k| USER_MAPS.contains(&k.as_str()));
    for (k, c) in n.entries() {
        let k = k.as_str().to_string();
        // Only a name can be read as `.field`; `runs-on` is read as
        // `["runs-on"]`, which the checker does not look at.
        let name = k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !user
            && name
            && let Some(known) = ward_lang::fields::misspelt(&k)
        {
            out.push(format!("/{}/{k} (taken for `{known}`)", path.join("/")));
        }
        path.push(k);
        slips(c, path, out);
        path.pop();
    }
}

/// Every field of Ward's own documents (Dockerfiles, GitHub and GitLab
/// pipelines) read from the corpus is one the policy checker knows, or
/// far from every known one: a policy that reads it is never warned about
/// a misspelling.
#[test]
fn fields_of_ward_documents_are_never_taken_for_slips() {
    let Some(root) = corpus() else {
        return;
    };
    let all: Vec<PathBuf> = files(&root)
        .into_iter()
        .filter(|p| is_dockerfile(p) || ci::pipeline_of(p).is_some())
        .collect();
    assert!(all.len() >= 45, "found only {} files", all.len());
    let mut found = Vec::new();
    for p in &all {
        let (inputs, _) = load_one(p);
        for r in &inputs.resources {
            let mut out = Vec::new();
            slips(r.root(), &mut Vec::new(), &mut out);
            found.extend(out.into_iter().map(|s| format!("{}: {s}", p.display())));
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// The corpus's manifests give only fields their types have, but for the
/// few that do not: each is a real mistake of the example it is in (a
/// misspelt `protectionDomain`, fields the volume source never had), and
/// nothing else is taken for one (custom resources, patches, exports).
#[test]
fn corpus_manifests_misspell_only_the_fields_they_do() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found; skipping");
        return;
    };
    let mut found = Vec::new();
    let mut walked = 0;
    for (p, inputs) in manifests(&root) {
        for r in &inputs.resources {
            let schema = ward_engine::input::schema::Schema::get();
            walked += usize::from(schema.kind(r.api_version(), r.kind()).is_some());
            for u in ward_engine::unknown_fields::Types::of(&inputs, None).unknown(r) {
                let rel = p.strip_prefix(&root).unwrap().display().to_string();
                found.push(format!("{rel} {} {:?}", u.node.pointer(), u.meant));
            }
        }
    }
    assert_eq!(
        found,
        [
            "kubernetes-examples/_archived/volumes/rbd/rbd.yaml /spec/volumes/0/rbd/imageformat None",
            "kubernetes-examples/_archived/volumes/rbd/rbd.yaml /spec/volumes/0/rbd/imagefeatures None",
            "kubernetes-examples/_archived/volumes/scaleio/pod.yaml /spec/volumes/0/scaleIO/protectionDoamin Some(\"protectionDomain\")",
            "kubernetes-examples/_archived/volumes/storageos/storageos-pod.yaml /spec/volumes/0/storageos/pool None",
            "kubernetes-examples/_archived/volumes/storageos/storageos-pv.yaml /spec/storageos/secretName None",
        ]
    );
    eprintln!("{walked} objects of built-in kinds");
    assert!(walked > 1000, "{walked}");
}

/// The corpus's manifests at API versions Kubernetes no longer serves: the
/// archived examples, each named with its file and line, and nothing else.
#[test]
fn corpus_manifests_at_api_versions_no_longer_served_are_the_archived_ones() {
    let Some(root) = corpus() else {
        eprintln!("corpus not found; skipping");
        return;
    };
    let mut found = Vec::new();
    for (p, inputs) in manifests(&root) {
        for f in ward_engine::api_versions::notices(&inputs, None) {
            let rel = p.strip_prefix(&root).unwrap().display().to_string();
            let what = f
                .message
                .split(" is not served")
                .next()
                .unwrap_or("")
                .to_string();
            found.push(format!("{rel}:{} {what}", f.line));
        }
    }
    let archived = "kubernetes-examples/_archived";
    assert_eq!(
        found,
        [
            format!(
                "{archived}/cloud-controller-manager/persistent-volume-label-initializer-config.yaml:2 `admissionregistration.k8s.io/v1alpha1` InitializerConfiguration"
            ),
            format!(
                "{archived}/cockroachdb/cockroachdb-statefulset.yaml:57 `policy/v1beta1` PodDisruptionBudget"
            ),
            format!(
                "{archived}/newrelic-infrastructure/newrelic-infra-daemonset.yaml:1 `extensions/v1beta1` DaemonSet"
            ),
            format!(
                "{archived}/podsecuritypolicy/rbac/policies.yaml:1 `policy/v1beta1` PodSecurityPolicy"
            ),
            format!(
                "{archived}/podsecuritypolicy/rbac/policies.yaml:26 `policy/v1beta1` PodSecurityPolicy"
            ),
            format!(
                "{archived}/volumes/azure_disk/claim/blob-based-disk/account-specified-hdd/storageclass-account-hdd.yaml:2 `storage.k8s.io/v1beta1` StorageClass"
            ),
            format!(
                "{archived}/volumes/azure_disk/claim/blob-based-disk/dedicated-hdd/storageclass-dedicated-hdd.yaml:2 `storage.k8s.io/v1beta1` StorageClass"
            ),
            format!(
                "{archived}/volumes/azure_disk/claim/blob-based-disk/shared-hdd/storageclass-shared-hdd.yaml:2 `storage.k8s.io/v1beta1` StorageClass"
            ),
            format!(
                "{archived}/volumes/azure_disk/claim/blob-based-disk/shared-ssd/storageclass-shared-ssd.yaml:2 `storage.k8s.io/v1beta1` StorageClass"
            ),
            format!(
                "{archived}/volumes/azure_disk/claim/managed-disk/managed-hdd/storageclass-managed-hdd.yaml:2 `storage.k8s.io/v1beta1` StorageClass"
            ),
            format!(
                "{archived}/volumes/azure_disk/claim/managed-disk/managed-ssd/storageclass-managed-ssd.yaml:2 `storage.k8s.io/v1beta1` StorageClass"
            ),
            format!(
                "{archived}/volumes/flexvolume/deploy/ds.yaml:1 `extensions/v1beta1` DaemonSet"
            ),
        ]
    );
}

/// Whether an object was read back from a cluster (a `uid` or a
/// `resourceVersion` in its metadata) is found while it is read, and is
/// the same whichever way it was read: a list export streamed or read
/// whole, a multi-document YAML stream, a list split after reading.
#[test]
fn objects_read_back_from_a_cluster_are_told_apart_however_they_are_read() {
    let items = [
        r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "uid": "1"}}"#,
        r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b", "resourceVersion": "7"}}"#,
        r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"}}"#,
        r#"{"apiVersion": "v1", "kind": "Pod"}"#,
    ];
    let want = vec![true, true, false, false];
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("export.json");
    std::fs::write(
        &list,
        format!(r#"{{"kind": "List", "items": [{}]}}"#, items.join(",\n")),
    )
    .unwrap();
    let stream = tmp.path().join("stream.yaml");
    std::fs::write(&stream, items.join("\n---\n")).unwrap();
    let nested = tmp.path().join("nested.yaml");
    std::fs::write(
        &nested,
        format!("kind: List\nitems: [{}]\n", items.join(", ")),
    )
    .unwrap();
    let streamed = LoadOptions {
        keep_text_below: 16,
        ..LoadOptions::default()
    };
    let wrong: Vec<String> = [
        ("a list read whole", &list, LoadOptions::default()),
        ("a list streamed", &list, streamed),
        ("a YAML stream", &stream, LoadOptions::default()),
        ("a YAML list", &nested, LoadOptions::default()),
    ]
    .into_iter()
    .filter_map(|(how, path, opts)| {
        let inputs = input::load_paths(&[path.display().to_string()], &opts);
        assert!(inputs.errors.is_empty(), "{how}: {:?}", inputs.errors);
        let got: Vec<bool> = inputs.resources.iter().map(|r| r.from_cluster()).collect();
        (got != want).then(|| format!("{how}: {got:?}"))
    })
    .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}
