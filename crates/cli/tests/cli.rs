//! End-to-end tests of the `ward` binary: every command, format and exit code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;
use std::path::PathBuf;

fn ward() -> Command {
    let mut c = Command::cargo_bin("ward").expect("the ward binary is built");
    c.current_dir(repo());
    c.env_remove("NO_COLOR");
    c
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("valid JSON")
}

#[test]
fn check_reports_a_privileged_container_with_its_line_and_pointer() {
    let out = ward()
        .args(["check", "examples/quickstart", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control"] == "pss.baseline.privileged")
        .expect("a privileged finding");
    assert_eq!(f["file"], "examples/quickstart/web.yaml");
    assert_eq!(f["line"], 21);
    assert_eq!(
        f["pointer"],
        "/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(f["resource"]["kind"], "Deployment");
}

#[test]
fn check_exits_zero_on_clean_input() {
    let dir = tempdir();
    std::fs::write(
        dir.join("ok.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  containers:\n  - name: a\n    image: x\n",
    )
    .unwrap();
    ward()
        .args(["check", dir.to_str().unwrap(), "--pack", "pss-baseline"])
        .assert()
        .code(0);
}

#[test]
fn broken_input_exits_two_and_still_reports_findings() {
    let dir = tempdir();
    std::fs::write(dir.join("bad.yaml"), "kind: Pod\nspec: [1, 2\n").unwrap();
    std::fs::write(
        dir.join("priv.yaml"),
        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    securityContext: {privileged: true}\n",
    )
    .unwrap();
    let out = ward()
        .args(["check", dir.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out.stdout);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    let e = &v["errors"][0];
    assert!(e["file"].as_str().unwrap().ends_with("bad.yaml"));
    assert_eq!(e["line"], 3);
}

#[test]
fn unknown_pack_is_a_usage_error() {
    ward()
        .args(["check", "examples/quickstart", "--pack", "pss-basline"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean `pss-baseline`"));
}

/// A fresh folder under the target directory.
fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn cis_packs_pass_their_own_tests_with_full_coverage() {
    let out = ward()
        .args([
            "test",
            "policies/cis-k8s",
            "policies/cis-docker",
            "--require-coverage",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
