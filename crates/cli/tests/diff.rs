//! `ward diff` end to end: two exports of a drifting cluster, JSON reports
//! as either side, reformatted manifests, formats and exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::ward;

fn tempdir(tag: &str) -> PathBuf {
    // Under the target folder, as the other CLI tests' are: not left in
    // the system's temporary folder run after run.
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ward-diff-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = ward().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

const MONDAY: &str = "tests/fixtures/drift/monday.json";
const TUESDAY: &str = "tests/fixtures/drift/tuesday.json";

/// Between Monday's and Tuesday's export the web pod was fixed, a debug pod
/// with hostNetwork appeared, and the agent still runs with hostPID.
/// Tuesday's export is written on one line with its keys and items in
/// another order: no finding counts as new or fixed because of that.
#[test]
fn diff_of_two_cluster_exports() {
    let (code, text, err) = run(&["diff", MONDAY, TUESDAY, "--pack", "pss-baseline"]);
    assert_eq!(code, 1, "a new finding: {err}");
    insta::assert_snapshot!("diff_text", text);
    let (code, md, _) = run(&[
        "diff",
        MONDAY,
        TUESDAY,
        "--pack",
        "pss-baseline",
        "--format",
        "markdown",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("diff_markdown", md);
    let (_, json, _) = run(&[
        "diff",
        MONDAY,
        TUESDAY,
        "--pack",
        "pss-baseline",
        "--format",
        "json",
    ]);
    let mut v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["ward"], env!("CARGO_PKG_VERSION"));
    v["ward"] = Value::from("[version]");
    insta::assert_json_snapshot!("diff_json", v);
    assert_eq!(
        v["summary"],
        serde_json::json!({"new": 1, "fixed": 1, "open": 2})
    );
    assert_eq!(v["findings"]["new"][0]["resource"]["name"], "debug-q1w2");
    assert_eq!(v["findings"]["fixed"][0]["resource"]["name"], "web-7d9c");
    // On a pull request: only the new finding is annotated.
    let (code, github, _) = run(&[
        "diff",
        MONDAY,
        TUESDAY,
        "--pack",
        "pss-baseline",
        "--format",
        "github",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("diff_github", github);
}

/// Either side may be a JSON report from `ward check --format json`; the
/// result is the same as evaluating the paths.
#[test]
fn diff_reads_json_reports() {
    let dir = tempdir("reports");
    let report = |input: &str, name: &str| -> PathBuf {
        let out = dir.join(name);
        let (code, _, err) = run(&[
            "check",
            input,
            "--pack",
            "pss-baseline",
            "--format",
            "json",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{err}");
        out
    };
    let old = report(MONDAY, "monday-report.json");
    let new = report(TUESDAY, "tuesday-report.json");
    let summary = |a: &str, b: &str| -> Value {
        let (_, out, err) = run(&["diff", a, b, "--pack", "pss-baseline", "--format", "json"]);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        v["summary"].clone()
    };
    let paths = summary(MONDAY, TUESDAY);
    assert_eq!(summary(old.to_str().unwrap(), new.to_str().unwrap()), paths);
    assert_eq!(summary(old.to_str().unwrap(), TUESDAY), paths);
    assert_eq!(summary(MONDAY, new.to_str().unwrap()), paths);
    // A report diffed with itself: nothing new, nothing fixed, exit 0.
    let (code, text, _) = run(&["diff", old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(text.contains(": 0 new, 0 fixed, 3 still open"), "{text}");
    // A file that claims to be a report but is not one is an error.
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"ward": "0.1.0", "findings": [{"control": 3}], "summary": {}}"#,
    )
    .unwrap();
    let (code, _, err) = run(&["diff", bad.to_str().unwrap(), MONDAY]);
    assert_eq!(code, 2);
    assert!(err.contains("finding 0 of the report"), "{err}");
}

/// The same manifests moved to other files, reformatted and reordered
/// make no churn; a fixed finding is seen as fixed and exit 0.
#[test]
fn diff_ignores_files_lines_and_formatting() {
    let dir = tempdir("moved");
    let old = dir.join("old");
    let new = dir.join("new");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(new.join("nested")).unwrap();
    std::fs::write(
        old.join("all.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: n}\nspec:\n  hostPID: true\n  containers: [{name: c, image: x, securityContext: {privileged: true}}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: n}\nspec:\n  hostIPC: true\n  containers: [{name: c, image: x}]\n",
    )
    .unwrap();
    std::fs::write(
        new.join("nested/b.json"),
        r#"{"kind": "Pod", "apiVersion": "v1", "spec": {"containers": [{"image": "x", "name": "c"}], "hostIPC": true}, "metadata": {"namespace": "n", "name": "b"}}"#,
    )
    .unwrap();
    std::fs::write(
        new.join("a.yaml"),
        "# moved and fixed\napiVersion: v1\nkind: Pod\nmetadata:\n  namespace: n\n  name: a\nspec:\n  containers:\n    - name: c\n      image: x\n      securityContext:\n        privileged: true\n",
    )
    .unwrap();
    let (code, text, err) = run(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--pack",
        "pss-baseline",
    ]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(text.contains(": 0 new, 1 fixed, 2 still open"), "{text}");
    // The default packs too, whose checks of the folder itself (a
    // `Repository` named by its path) must not count as moved.
    let (code, json, err) = run(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{json}{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["new"], 0, "{json}");
    assert_eq!(v["summary"]["fixed"], 1, "{json}");
    assert!(v["summary"]["open"].as_u64().unwrap() > 2, "{json}");
    assert!(
        text.contains("- high     pss.baseline.hostNamespaces  Pod/n/a  /spec/hostPID"),
        "{text}"
    );
}

#[test]
fn diff_exit_codes_and_help() {
    let (code, _, _) = run(&["diff", MONDAY, "no/such/file.yaml"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["diff", MONDAY]);
    assert_eq!(code, 2);
    // New findings below --fail-on do not fail.
    let (code, _, _) = run(&[
        "diff",
        MONDAY,
        TUESDAY,
        "--pack",
        "pss-baseline",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(code, 0);
    let (_, help, _) = run(&["diff", "--help"]);
    assert!(help.contains("Exit codes:"), "{help}");
    assert!(
        help.contains("1  new findings at or above --fail-on"),
        "{help}"
    );
}

/// The corpus's Istio Bookinfo sample comes as the same app without and
/// with Pod Security hardening: going from one to the other fixes findings
/// and brings none; and `ward fix --write` of the first leaves, by `ward
/// diff`, nothing new and only findings without a fix still open.
#[test]
fn diff_of_bookinfo_before_and_after_hardening() {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/real");
    let Some(root) = std::env::var_os("WARD_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([beside, PathBuf::from("/work/shared/corpora/real")])
        .find(|p| p.is_dir())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI lays out shared/corpora/real beside the repository"
        );
        return;
    };
    let kube = root.join("istio-bookinfo/samples/bookinfo/platform/kube");
    let before = kube.join("bookinfo.yaml");
    let after = kube.join("bookinfo-psa.yaml");
    let (code, json, err) = run(&[
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--pack",
        "pss-restricted",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["new"], 0, "{json}");
    assert!(v["summary"]["fixed"].as_u64().unwrap() >= 6, "{json}");

    let dir = tempdir("bookinfo");
    let fixed = dir.join("bookinfo.yaml");
    std::fs::copy(&before, &fixed).unwrap();
    let (code, out, err) = run(&[
        "fix",
        "--write",
        "--pack",
        "pss-restricted",
        fixed.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, json, err) = run(&[
        "diff",
        before.to_str().unwrap(),
        fixed.to_str().unwrap(),
        "--pack",
        "pss-restricted",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["new"], 0, "{json}");
    assert!(v["summary"]["fixed"].as_u64().unwrap() >= 12, "{json}");
    let (_, report, _) = run(&[
        "check",
        fixed.to_str().unwrap(),
        "--pack",
        "pss-restricted",
        "--format",
        "json",
    ]);
    let r: Value = serde_json::from_str(&report).unwrap();
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["fix"].is_null()),
        "{report}"
    );
}
