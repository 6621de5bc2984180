//! Every report format on the examples (snapshots) and on a fixture that
//! has all the cases: warnings, waivers, fixes that add, replace and
//! remove, broken and skipped files, and text that must be escaped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Once;
use ward_engine::input::{LoadOptions, load_paths};
use ward_engine::report::{html, json, junit, markdown, sarif, text};
use ward_engine::waivers::{self, ApplyOptions, Date, Waivers};
use ward_engine::{Engine, EngineBuilder, EvalOptions, Inputs, PackRef, Report};

/// Loads and evaluates paths relative to the repository root (the working
/// directory of this test binary), with the default packs or `packs`.
struct Run {
    engine: Engine,
    inputs: Inputs,
    report: Report,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn at_repo_root() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::env::set_current_dir(repo()).unwrap());
}

fn examples() -> Run {
    at_repo_root();
    let engine = EngineBuilder::new().build().unwrap();
    let sel = engine.select(&engine.default_packs(), false, &[]).unwrap();
    let inputs = load_paths(&["examples".to_string()], &LoadOptions::default());
    let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
    Run {
        engine,
        inputs,
        report,
    }
}

const POLICY: &str = r#"package demo

control run_as_non_root {
  title "Containers may run as root"
  severity critical
  description "Every container must set `securityContext.runAsNonRoot: true`."
  remedy "Set `securityContext.runAsNonRoot: true` on each container."
  references "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"
  maps pss("runAsNonRoot"), cis_k8s("5.2.6")
  match input.kind == "Pod"
  for c in input.spec.containers {
    deny when c.securityContext.runAsNonRoot != true
      at c.securityContext.runAsNonRoot
      message "container \"{c.name}\" may run as root"
      fix set c.securityContext.runAsNonRoot = true
  }
}

control latest_tag {
  title "Images use the latest tag"
  severity low
  remedy "Pin the image to a version or a digest."
  match input.kind == "Pod"
  for c in input.spec.containers {
    warn when ends_with(c.image, ":latest")
      at c.image
      message "image \"{c.image}\" uses the latest tag"
  }
}

control host_network {
  title "Host network"
  severity high
  remedy "Remove `hostNetwork`."
  maps pss("hostNamespaces")
  match input.kind == "Pod"
  deny when input.spec.hostNetwork == true
    at input.spec.hostNetwork
    message "the pod shares the host network"
    fix remove input.spec.hostNetwork
}

control replicas {
  title "Deployments set replicas"
  severity info
  match input.kind == "Deployment"
  deny when input.spec.replicas == null
    message "no replicas"
}

pack demo {
  version "1.0.0"
  description "A pack for report tests"
  include demo.*
}
"#;

const APP: &str = r#"# Two pods with problems.
apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: prod
  labels: {app: api}
spec:
  hostNetwork: true
  containers:
    - name: api
      image: "registry.example/api:latest"
      securityContext:
        runAsUser: 0
    - name: "<script>alert('x') & \"y\"</script>"
      image: busybox:latest
---
apiVersion: v1
kind: Pod
metadata: {name: worker, namespace: batch, annotations: {ward.dev/waive.demo.run_as_non_root: 'batch jobs run as root until | the <migration> & more'}}
spec:
  containers:
    - {name: w, image: "w:1", securityContext: {runAsNonRoot: false}}
"#;

/// Waivers of the fixture: one that applies (with owner, ticket and
/// expiry), one that expired, one that waives nothing.
const WAIVERS: &str = "\
waivers:
- control: demo.host_network
  reason: the ingress gateway needs the host network
  owner: team-edge
  ticket: OPS-12
  expires: 2027-01-01
  namespace: prod
  name: api
- control: demo.latest_tag
  reason: pinned in the next release
  expires: 2026-05-01
- control: demo.replicas
  reason: nothing to waive
";

/// The fixture: `demo` over three files, one broken and one not a
/// resource, with the worker's finding waived by an annotation, the api's
/// host network by the waivers file, and an expired and an unused waiver.
fn fixture() -> Run {
    let engine = EngineBuilder::new()
        .policy("demo.ward", POLICY)
        .build()
        .unwrap();
    let sel = engine
        .select(
            &[PackRef {
                name: "demo".into(),
                version: None,
            }],
            false,
            &[],
        )
        .unwrap();
    let mut inputs = Inputs::default();
    let opts = LoadOptions::default();
    inputs.add_text("fixture/app.yaml", APP, &opts);
    inputs.add_text("fixture/broken.yaml", "kind: Pod\nspec: [1, 2\n", &opts);
    inputs.add_text("fixture/values.yaml", "replicaCount: 1\n", &opts);
    let mut report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
    let waivers = Waivers::parse("fixture/waivers.yaml", WAIVERS, &engine.program);
    assert!(waivers.errors.is_empty(), "{:?}", waivers.errors);
    let audit = waivers::apply(
        &engine,
        &inputs,
        &mut report,
        &waivers,
        &ApplyOptions {
            today: Date::parse("2026-06-01").unwrap(),
            inline: true,
        },
    );
    report.findings.extend(audit);
    Run {
        engine,
        inputs,
        report,
    }
}

fn redact_sarif(mut v: Value) -> Value {
    let driver = &mut v["runs"][0]["tool"]["driver"];
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    v
}

fn sarif_value(r: &Run) -> Value {
    sarif::to_value(
        &r.report,
        &r.engine,
        &r.inputs,
        &sarif::SarifOptions::default(),
    )
}

fn html_data(page: &str) -> Value {
    let open = format!(
        "<script type=\"application/json\" id=\"{}\">",
        html::DATA_ID
    );
    let start = page.find(&open).expect("the data island") + open.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).expect("the data island is JSON")
}

fn schema_errors(instance: &Value) -> Vec<String> {
    let path = repo().join("crates/engine/src/report/sarif/schema/sarif-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_vendored_schema_is_the_shared_one() {
    let shared = Path::new("/work/shared/schemas/sarif-2.1.0.json");
    if let Ok(want) = std::fs::read_to_string(shared) {
        let ours = repo().join("crates/engine/src/report/sarif/schema/sarif-2.1.0.json");
        assert_eq!(std::fs::read_to_string(ours).unwrap(), want);
    }
}

#[test]
fn sarif_snapshots_and_validates() {
    for (name, run) in [("examples", examples()), ("fixture", fixture())] {
        let v = sarif_value(&run);
        let errors = schema_errors(&v);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        insta::assert_json_snapshot!(format!("sarif_{name}"), redact_sarif(v));
    }
}

/// The log written a window of results at a time is, byte for byte, the
/// value of the log pretty-printed, on the examples and on the fixture
/// (fixes, suppressions, escapes), and with no results at all.
#[test]
fn sarif_written_in_pieces_is_the_log_printed_whole() {
    let empty = {
        let mut r = examples();
        r.report.findings.clear();
        r
    };
    // Enough results for many tasks and windows of them.
    let many = {
        let mut r = fixture();
        let one = r.report.findings.clone();
        while r.report.findings.len() < 6_000 {
            r.report.findings.extend(one.iter().cloned());
        }
        r
    };
    for r in [examples(), fixture(), empty, many] {
        let o = sarif::SarifOptions::default();
        let mut written = Vec::new();
        sarif::write(&r.report, &r.engine, &r.inputs, &o, &mut written).unwrap();
        let whole =
            serde_json::to_string_pretty(&sarif::to_value(&r.report, &r.engine, &r.inputs, &o))
                .unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), whole + "\n");
    }
}

#[test]
fn sarif_fixture_has_suppressions_fixes_and_notifications() {
    let run = fixture();
    let v = sarif_value(&run);
    let run0 = &v["runs"][0];
    assert_eq!(run0["invocations"][0]["executionSuccessful"], false);
    let notes = run0["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| n["level"] == "error"
        && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "fixture/broken.yaml"));
    let results = run0["results"].as_array().unwrap();
    let waived: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    // The annotation is in the source; the waivers file is not.
    let kinds: Vec<(&str, &str, &str)> = waived
        .iter()
        .map(|r| {
            let s = &r["suppressions"][0];
            (
                r["ruleId"].as_str().unwrap(),
                s["kind"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("demo.host_network", "external", "accepted"),
            ("demo.run_as_non_root", "inSource", "accepted"),
        ]
    );
    // Waivers that expired or waive nothing are warnings at their line.
    let audit: Vec<(&str, &str, u64)> = results
        .iter()
        .filter(|r| r["ruleId"].as_str().unwrap().starts_with("ward.waiver."))
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                loc["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        audit,
        [
            ("ward.waiver.expired", "note", 9),
            ("ward.waiver.unused", "note", 12),
        ]
    );
    // Every fix, applied to the file, gives text that loads to the fixed
    // resource: check the values the fixes set.
    let mut fixed = 0;
    for r in results.iter().filter(|r| r.get("fixes").is_some()) {
        let reps = r["fixes"][0]["artifactChanges"][0]["replacements"]
            .as_array()
            .unwrap();
        let mut chars: Vec<char> = APP.chars().collect();
        let mut spans: Vec<(usize, usize, String)> = reps
            .iter()
            .map(|x| {
                let d = &x["deletedRegion"];
                (
                    d["charOffset"].as_u64().unwrap() as usize,
                    d["charLength"].as_u64().unwrap() as usize,
                    x["insertedContent"]["text"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        spans.sort();
        for (off, len, text) in spans.into_iter().rev() {
            chars.splice(off..off + len, text.chars());
        }
        let new: String = chars.into_iter().collect();
        let mut again = Inputs::default();
        again.add_text("fixture/app.yaml", &new, &LoadOptions::default());
        assert!(again.errors.is_empty(), "{new}");
        let pointer = r["properties"]["pointer"].as_str().unwrap();
        let doc = again.resources[r["properties"]["document"].as_u64().unwrap() as usize]
            .root()
            .to_json();
        match r["ruleId"].as_str().unwrap() {
            "demo.run_as_non_root" => {
                assert_eq!(doc.pointer(pointer), Some(&Value::Bool(true)), "{new}")
            }
            "demo.host_network" => assert_eq!(doc.pointer(pointer), None, "{new}"),
            other => panic!("unexpected fix for {other}"),
        }
        fixed += 1;
    }
    // Two containers of `api` (add a key, add a mapping), the waived
    // worker (replace inside a flow mapping) and host_network (remove).
    assert_eq!(fixed, 4);
}

#[test]
fn junit_snapshots_and_is_well_formed() {
    for (name, run) in [("examples", examples()), ("fixture", fixture())] {
        let xml = junit::render(&run.report, &run.engine, &run.inputs);
        well_formed(&xml);
        insta::assert_snapshot!(format!("junit_{name}"), xml);
    }
}

/// A `ward test` run as JUnit XML: a suite per policy file with a case per
/// test (the failing one with every reason, escaped), and a coverage suite
/// whose uncovered controls and statements no test fires are skipped, or
/// failures when coverage is required.
#[test]
fn test_runs_as_junit() {
    let policy = r#"package team

control no_latest {
  title "No latest tag"
  match input.kind == "Pod"
  for c in input.spec.containers ?? [] {
    deny when ends_with(c.image ?? "", ":latest") at c.image message "<{c.image}> & more"
    deny when not exists(c.image) message "no image"
  }
}

control untested {
  title "Untested"
  deny when input.kind == "Secret"
}

test "a latest image is denied" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx:latest"}]}}
  expect deny no_latest
}

test "a pinned image passes" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx:1.27"}]}}
  expect pass no_latest
}

test "this expectation is wrong" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx:latest"}]}}
  expect deny no_latest message "<wanted> & \"more\""
}
"#;
    let engine = EngineBuilder::std_only()
        .policy("team/p.ward", policy)
        .build()
        .expect("the policy builds");
    let files: std::collections::HashSet<_> = engine
        .sources
        .files()
        .filter(|(_, f)| f.name == "team/p.ward")
        .map(|(id, _)| id)
        .collect();
    let run = engine.run_tests(Some(&files));
    assert_eq!((run.results.len(), run.failed()), (3, 1));
    // The second `deny` of the tested control never fires; the untested
    // control is reported whole instead.
    let unreached: Vec<_> = run
        .unreached
        .iter()
        .map(|u| (u.control.as_str(), u.line, u.statement.as_str()))
        .collect();
    assert_eq!(
        unreached,
        [(
            "team.no_latest",
            8,
            "deny when not exists(c.image) message \"no image\""
        )]
    );
    for (required, name) in [(false, "junit_tests"), (true, "junit_tests_required")] {
        let xml = junit::tests(&run, required);
        well_formed(&xml);
        insta::assert_snapshot!(name, xml);
    }
}

#[test]
fn markdown_snapshots() {
    for (name, run) in [("examples", examples()), ("fixture", fixture())] {
        let o = markdown::MarkdownOptions {
            link_base: Some("https://example.invalid/blob/main/".into()),
        };
        let md = markdown::render_with(&run.report, &run.engine, &run.inputs, &o);
        assert!(!md.contains("<script"), "{md}");
        insta::assert_snapshot!(format!("markdown_{name}"), md);
    }
}

#[test]
fn markdown_caps_long_lists() {
    let mut run = fixture();
    let one = run
        .report
        .findings
        .iter()
        .find(|f| f.waived.is_none())
        .expect("the fixture has an open finding")
        .clone();
    run.report.findings = vec![one; 250];
    let md = markdown::render(&run.report, &run.engine, &run.inputs);
    assert!(md.contains("<details>"), "{md}");
    assert!(md.contains("and 150 more findings"), "{md}");
    assert_eq!(md.matches("\n- [").count(), markdown::MAX_FINDINGS);
}

#[test]
fn html_snapshots_its_data() {
    for (name, run) in [("examples", examples()), ("fixture", fixture())] {
        let page = html::render(&run.report, &run.engine, &run.inputs);
        let mut data = html_data(&page);
        data["ward"] = "[version]".into();
        insta::assert_json_snapshot!(format!("html_data_{name}"), data);
    }
}

#[test]
fn html_is_self_contained_and_escaped() {
    for run in [examples(), fixture()] {
        let page = html::render(&run.report, &run.engine, &run.inputs);
        let lower = page.to_ascii_lowercase();
        for attr in ["src=", "href="] {
            for (i, _) in lower.match_indices(attr) {
                let value = lower[i + attr.len()..].trim_start_matches(['"', '\'']);
                assert!(
                    !value.starts_with("http:")
                        && !value.starts_with("https:")
                        && !value.starts_with("//"),
                    "a network {attr} at byte {i}"
                );
            }
        }
        for banned in [
            "<link",
            "@import",
            "url(http",
            "<iframe",
            "fetch(",
            "xmlhttprequest",
            "innerhtml",
        ] {
            assert!(!lower.contains(banned), "the page contains {banned}");
        }
        assert!(page.contains("Content-Security-Policy"));
        // The only `<script` tags are the data island and the renderer.
        assert_eq!(lower.matches("<script").count(), 2);
        let data = html_data(&page);
        assert!(data["controls"].as_array().is_some_and(|c| !c.is_empty()));
    }
    // User text appears only escaped (in the noscript list) or inside the
    // data island as JSON with `<` escaped.
    let run = fixture();
    let page = html::render(&run.report, &run.engine, &run.inputs);
    assert!(!page.contains("<script>alert"));
    assert!(page.contains("&lt;script&gt;alert"));
}

#[test]
fn text_and_json_snapshots() {
    for (name, run) in [("examples", examples()), ("fixture", fixture())] {
        let t = text::render(&run.report, &run.inputs, text::TextOptions::default());
        insta::assert_snapshot!(format!("text_{name}"), t);
        let mut j: Value = serde_json::from_str(&json::render(&run.report)).unwrap();
        j["ward"] = "[version]".into();
        insta::assert_json_snapshot!(format!("json_{name}"), j);
    }
}

/// A file that does not read is shown where it stopped, with the lines
/// around and a caret, as a finding is; the other files are still checked.
#[test]
fn text_frames_the_place_a_file_stopped_reading() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("bad.yaml");
    std::fs::write(
        &yaml,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx\n   bad: indent\n",
    )
    .unwrap();
    let json = dir.path().join("bad.json");
    std::fs::write(
        &json,
        "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"},}\n",
    )
    .unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, "apiVersion: v1\nkind: Pod\nmetadata: {name: g}\nspec: {hostNetwork: true, containers: []}\n").unwrap();
    let engine = EngineBuilder::new().build().unwrap();
    let sel = engine.select(&engine.default_packs(), false, &[]).unwrap();
    let paths = [&yaml, &json, &good].map(|p| p.display().to_string());
    // Texts not kept, as for a large export: the report reads the lines
    // around the place again.
    let load = LoadOptions {
        keep_text_below: 0,
        ..LoadOptions::default()
    };
    let inputs = load_paths(&paths, &load);
    let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
    assert!(
        !report.findings.is_empty(),
        "the good file is still checked"
    );
    let t = text::render(
        &report,
        &inputs,
        text::TextOptions {
            color: false,
            context: 1,
        },
    );
    assert!(
        t.contains("    8 |     image: nginx\n    9 |    bad: indent\n      |    ^^^^^^^^^^^\n"),
        "{t}"
    );
    assert!(
        t.contains("    1 | {\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"},}\n      |                                           ^\n"),
        "{t}"
    );
}

/// A control that fails on a resource names the resource, as its findings
/// would.
#[test]
fn text_errors_name_the_resource_a_control_failed_on() {
    let engine = EngineBuilder::std_only()
        .policy(
            "rt.ward",
            "package rt\n\ncontrol c {\n  title \"t\"\n  match input.kind == \"Pod\"\n  for x in input.spec.hostname {\n    deny when x == \"a\"\n  }\n}\n",
        )
        .build()
        .unwrap();
    let sel = engine.select(&[], true, &[]).unwrap();
    let mut inputs = Inputs::default();
    inputs.add_text(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {hostname: web}\n",
        &LoadOptions::default(),
    );
    let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
    let t = text::render(&report, &inputs, text::TextOptions::default());
    assert!(
        t.contains("error: pod.yaml (policy rt.ward:6:12) [rt.c] Pod shop/web: cannot iterate over a string (the value at `/spec/hostname`)"),
        "{t}"
    );
}

/// Checks that tags nest and close, attributes are quoted and entities are
/// known: enough to catch escaping mistakes without an XML parser.
fn well_formed(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("an XML declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(['<', '&']) {
        check_text(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('&') {
            let end = rest.find(';').expect("an entity ends");
            let ent = &rest[1..end];
            assert!(
                ["amp", "lt", "gt", "quot", "apos", "#10", "#13", "#9"].contains(&ent),
                "unknown entity &{ent};"
            );
            rest = &rest[end + 1..];
            continue;
        }
        let end = rest.find('>').expect("a tag ends");
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "closing {name}");
            continue;
        }
        let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
        let attrs = &tag[name.len()..].trim_end_matches('/');
        let quotes = attrs.matches('"').count();
        assert_eq!(quotes % 2, 0, "attributes of {name}: {attrs}");
        assert!(!attrs.contains('<'), "{attrs}");
        if !tag.ends_with('/') {
            stack.push(name.to_string());
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

fn check_text(t: &str) {
    assert!(!t.contains('>'), "a bare > in {t:?}");
}

/// The JSON report keeps the documented contract in docs/report.schema.json,
/// for the examples and for a fixture with errors, skips and fixes.
#[test]
fn json_follows_its_schema() {
    let path = repo().join("docs/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for run in [examples(), fixture()] {
        let j: Value = serde_json::from_str(&json::render(&run.report)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&j)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(!j["findings"].as_array().unwrap().is_empty());
    }
}
