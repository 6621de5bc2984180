//! End-to-end tests of the `ward` binary: every command, format and exit code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;
use std::path::PathBuf;

mod common;
use common::{repo, ward};

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
    let privileged: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["control"] == "pss.baseline.privileged")
        .collect();
    assert_eq!(privileged.len(), 1);
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

// ---------------------------------------------------------------------------
// fmt, explain, packs, lint
// ---------------------------------------------------------------------------

const MESSY: &str = "package demo\ncontrol   c{\nmatch input.kind==\"Pod\" # pods\n  title \"A title\"\n    deny message \"m\" when input.spec.hostNetwork==true\n}\n";

const FORMATTED: &str = "package demo\n\ncontrol c {\n  title \"A title\"\n\n  match input.kind == \"Pod\" # pods\n  deny when input.spec.hostNetwork == true message \"m\"\n}\n";

#[test]
fn fmt_check_reports_a_messy_file_and_fmt_rewrites_it() {
    let dir = tempdir();
    let file = dir.join("messy.ward");
    std::fs::write(&file, MESSY).unwrap();
    let out = ward()
        .args(["fmt", "--check", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("would reformat"), "{stdout}");
    assert!(
        stdout.contains("+  match input.kind == \"Pod\" # pods"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        MESSY,
        "--check wrote"
    );

    ward().args(["fmt", dir.to_str().unwrap()]).assert().code(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), FORMATTED);

    ward()
        .args(["fmt", "--check", file.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn fmt_of_a_file_that_does_not_parse_exits_two_and_names_it() {
    let dir = tempdir();
    std::fs::write(dir.join("broken.ward"), "control c {\n  deny when (\n}\n").unwrap();
    std::fs::write(dir.join("fine.ward"), FORMATTED).unwrap();
    ward()
        .args(["fmt", "--check", dir.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("broken.ward:3:1"));
}

#[test]
fn explain_shows_title_remedy_packs_and_examples() {
    let dir = tempdir();
    std::fs::write(
        dir.join("examples.ward"),
        "package examples\n\ntest \"a privileged pod\" {\n  given {kind: \"Pod\", metadata: {name: \"p\"}, spec: {containers: [{name: \"a\", securityContext: {privileged: true}}]}}\n  expect deny pss.baseline.privileged\n}\n",
    )
    .unwrap();
    let out = ward()
        .args(["explain", "privileged", "--policy", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "Privileged containers",
        "pss.baseline.privileged",
        "severity:   high",
        "pss-baseline",
        "Remedy:",
        "securityContext.privileged",
        "fails: a privileged pod",
        "given {",
    ] {
        assert!(text.contains(want), "missing `{want}` in\n{text}");
    }
}

/// The built-in packs' own tests are their controls' examples, a few of
/// each outcome, from an installed `ward` with no policy folder given.
#[test]
fn explain_shows_a_built_in_control_failing_and_passing() {
    let out = ward()
        .args(["explain", "pss.baseline.privileged"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let examples = text.split("Examples:\n").nth(1).unwrap_or_default();
    let cases: Vec<&str> = examples
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .collect();
    assert_eq!(
        cases.iter().filter(|l| l.starts_with("  fails: ")).count(),
        2,
        "{text}"
    );
    assert!(cases.iter().any(|l| l.starts_with("  passes: ")), "{text}");
    assert!(
        cases
            .last()
            .is_some_and(|l| l.contains("more tests of this control")),
        "{text}"
    );
    // A fixture is named by its place in Ward's repository.
    let out = ward()
        .args(["explain", "checklist.ci_image_scan"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("given \"policies/checklist/testdata/"),
        "{text}"
    );
}

#[test]
fn explain_of_an_unknown_control_suggests_one_and_exits_two() {
    ward()
        .args(["explain", "privilegd"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "did you mean `pss.baseline.privileged`",
        ));
}

/// A pack's name says where its controls are listed; a framework item
/// explains the one control that automates it, or lists those that do.
#[test]
fn explain_of_a_pack_or_a_framework_item_leads_to_controls() {
    ward()
        .args(["explain", "pss-restricted"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "`pss-restricted` is a pack, not a control: `ward packs --verbose` lists its controls",
        ));
    ward()
        .args(["explain", "cis_k8s:5.2.1"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "id:         pss.cluster.namespace_level",
        ));
    ward()
        .args(["explain", "cis_k8s:5.2.6"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "`cis_k8s:5.2.6` is a framework item that 3 controls automate: `checklist.no_privilege_escalation`, `cis.k8s.privilege_escalation`, `pss.restricted.allowPrivilegeEscalation`",
        ));
}

#[test]
fn packs_lists_the_built_in_packs() {
    ward()
        .args(["packs"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("pss-baseline"))
        .stdout(predicates::str::contains("frameworks:"));
    ward()
        .args(["packs", "--verbose"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("pss.baseline.privileged"));
    let out = ward().args(["packs", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out.stdout);
    let baseline = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "pss-baseline")
        .expect("pss-baseline is listed");
    assert_eq!(baseline["default"], true);
    assert!(!baseline["controls"].as_array().unwrap().is_empty());
    assert!(
        baseline["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "pss")
    );
}

#[test]
fn lint_reports_warnings_with_their_position() {
    let dir = tempdir();
    let file = dir.join("lint.ward");
    std::fs::write(
        &file,
        "package linted\n\ncontrol c {\n  title \"t\"\n  let unused = 1\n  deny when input.kind == \"Pod\"\n}\n",
    )
    .unwrap();
    ward()
        .args(["lint", file.to_str().unwrap()])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("lint.ward:5:7"))
        .stderr(predicates::str::contains("`unused` is never used"));
    let out = ward()
        .args(["lint", "--format", "json", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out.stdout);
    let d = &v[0];
    assert_eq!(d["level"], "warning");
    assert_eq!(d["code"], "unused-variable");
    assert_eq!(d["line"], 5);
    assert_eq!(d["column"], 7);
}

/// The shipped packs, the standard library and the examples read no field
/// that the checker takes for a slip, nor anything else it warns about:
/// the list of known fields covers every document Ward reads.
#[test]
fn the_shipped_policies_lint_without_warnings() {
    let out = ward()
        .args(["lint", "policies", "std-lib", "examples"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains(" checked, 0 errors and 0 warnings"), "{err}");
}

/// Every shipped pack's tests pass, every control has a failing and a
/// passing case, and every `deny` and `warn` statement fires in some test:
/// `ward test --require-coverage` over the packs and the standard library.
#[test]
fn the_shipped_packs_are_tested_branch_by_branch() {
    let out = ward()
        .args(["test", "--require-coverage", "policies", "std-lib"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("never fired"), "{text}");
}

#[test]
fn lint_exits_two_on_errors() {
    let dir = tempdir();
    std::fs::write(
        dir.join("bad.ward"),
        "package bad\n\ncontrol c {\n  deny when no_such_name\n}\n",
    )
    .unwrap();
    ward()
        .args(["lint", dir.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.ward:4:"));
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

#[test]
fn checklist_pack_and_std_lib_pass_their_own_tests_with_full_coverage() {
    let out = ward()
        .args([
            "test",
            "policies/checklist",
            "std-lib",
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

/// The ids of the controls of a built-in pack, from `ward packs`.
fn pack_controls(pack: &str) -> Vec<String> {
    let out = ward().args(["packs", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out.stdout);
    let p = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == pack)
        .unwrap_or_else(|| panic!("pack {pack} is listed"));
    p["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_reference_microservices_system_passes_checklist_and_pss_restricted() {
    let out = ward()
        .args([
            "check",
            "examples/microservices",
            "--pack",
            "checklist",
            "--pack",
            "pss-restricted",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        serde_json::to_string_pretty(&v["findings"]).unwrap()
    );
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{v}");
    // Every part of the system was read: manifests, Dockerfiles, the workflow.
    let controls = v["summary"]["controls"].as_u64().unwrap();
    assert!(controls >= pack_controls("checklist").len() as u64);
    assert!(v["summary"]["resources"].as_u64().unwrap() >= 20);
}

#[test]
fn the_insecure_microservices_system_fails_every_checklist_control() {
    let ids = pack_controls("checklist");
    assert!(
        ids.len() >= 30,
        "the checklist pack has its controls: {ids:?}"
    );
    let out = ward()
        .args([
            "check",
            "examples/microservices-insecure",
            "--pack",
            "checklist",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{v}");
    let found: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["control"].as_str().unwrap())
        .collect();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !found.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "controls without a finding on the insecure system: {missing:?}"
    );
}

/// `ward check examples/quickstart --format FORMAT`: exit code and stdout.
fn check_format(format: &str) -> (Option<i32>, String) {
    let out = ward()
        .args(["check", "examples/quickstart", "--format", format])
        .env_remove("GITHUB_SHA")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8 output"),
    )
}

#[test]
fn check_format_sarif() {
    let (code, out) = check_format("sarif");
    assert_eq!(code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "ward");
    let r = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "pss.baseline.privileged")
        .expect("a privileged result");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "examples/quickstart/web.yaml"
    );
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 21);
    assert!(r["partialFingerprints"]["wardFingerprint/v1"].is_string());
    let rep = &r["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(rep["insertedContent"]["text"], "false");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
}

#[test]
fn check_format_text_quotes_the_source_of_standard_input() {
    // A file can be read again for its code frames; standard input cannot,
    // so its text is kept for the formats that quote the source.
    let manifest = std::fs::read_to_string(repo().join("examples/quickstart/web.yaml")).unwrap();
    let out = ward()
        .args([
            "check",
            "-",
            "--pack",
            "pss-baseline",
            "--format",
            "text",
            "--color",
            "never",
        ])
        .write_stdin(manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--> -:21:"), "{text}");
    assert!(text.contains("21 |             privileged: true"), "{text}");
}

#[test]
fn check_format_junit() {
    let (code, out) = check_format("junit");
    assert_eq!(code, Some(1));
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    assert!(out.contains("<testsuite name=\"pss-baseline\""));
    assert!(out.contains("<failure message=\"privileged"));
    assert!(out.contains("examples/quickstart/web.yaml:21:"));
    assert!(out.trim_end().ends_with("</testsuites>"));
}

/// GitHub annotations: a deny finding is an `::error` on its line, with a
/// path relative to the workspace, and a summary line ends the output.
#[test]
fn check_format_github() {
    let root = repo().canonicalize().unwrap();
    let out = ward()
        .env("GITHUB_WORKSPACE", &root)
        .args(["check", "--pack", "pss-baseline", "--format", "github"])
        .arg(root.join("examples/quickstart"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("::error file=examples/quickstart/web.yaml,line=21,col=25,title=pss.baseline.privileged%3A Privileged containers::privileged (container \"web\" must not set securityContext.privileged=true)%0ADeployment shop/web at /spec/template/spec/containers/0/securityContext/privileged%0AFix: "),
        "{text}"
    );
    assert!(
        text.trim_end()
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("ward: 1 finding (1 deny, 0 warn, 0 waived)")),
        "{text}"
    );
}

#[test]
fn check_format_markdown() {
    let (code, out) = check_format("markdown");
    assert_eq!(code, Some(1));
    assert!(out.starts_with("## "), "{out}");
    assert!(out.contains("| Control | Severity |"), "{out}");
    assert!(
        out.contains("[examples/quickstart/web.yaml:21](examples/quickstart/web.yaml#L21)"),
        "{out}"
    );
}

#[test]
fn check_format_html_to_a_file() {
    let dir = tempdir();
    let file = dir.join("report.html");
    ward()
        .args(["check", "examples/quickstart", "--format", "html", "-o"])
        .arg(&file)
        .assert()
        .code(1);
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<script type=\"application/json\" id=\"ward-data\">"));
    assert!(page.contains("pss.baseline.privileged"));
    assert!(!page.contains("https://cdn") && !page.contains("<link"));
}

/// A report written over a longer one (in place, then cut to length) is
/// exactly the report, in each format, and so is a baseline: nothing of
/// the old file is left.
#[test]
fn check_writes_over_a_longer_report() {
    let dir = tempdir();
    let runs: [(&str, &[&str]); 4] = [
        ("json", &["--format", "json", "-o"]),
        ("sarif", &["--format", "sarif", "-o"]),
        ("text", &["--format", "text", "-o"]),
        ("baseline", &["-o", "/dev/null", "--write-baseline"]),
    ];
    for (name, args) in runs {
        let fresh = dir.join(format!("fresh.{name}"));
        let over = dir.join(format!("over.{name}"));
        std::fs::write(&over, "x".repeat(1 << 20)).unwrap();
        for file in [&fresh, &over] {
            ward()
                .args(["check", "examples/quickstart"])
                .args(args)
                .arg(file)
                .assert()
                .code(1);
        }
        let (fresh, over) = (
            std::fs::read_to_string(&fresh).unwrap(),
            std::fs::read_to_string(&over).unwrap(),
        );
        assert!(fresh.len() > 100 && fresh.len() < 1 << 20, "{name}");
        assert_eq!(fresh, over, "{name}");
    }
}

#[test]
fn check_formats_report_broken_inputs() {
    let dir = tempdir();
    std::fs::write(dir.join("bad.yaml"), "kind: Pod\nspec: [1, 2\n").unwrap();
    for format in ["sarif", "junit", "markdown", "html"] {
        let out = ward()
            .args(["check", dir.to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("bad.yaml"), "{format}: {text}");
        if format == "sarif" {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let inv = &v["runs"][0]["invocations"][0];
            assert_eq!(inv["executionSuccessful"], false);
            assert_eq!(inv["toolExecutionNotifications"][0]["level"], "error");
        }
    }
}

// ---------------------------------------------------------------------------
// Plugins
// ---------------------------------------------------------------------------

/// `ward` with its compiled-plugin cache under the target folder.
fn ward_plugins() -> Command {
    let mut c = ward();
    c.env(
        "WARD_PLUGIN_CACHE",
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache"),
    );
    c
}

/// A plugin in WAT that keeps the ABI: `spin` loops forever, `yes` returns
/// `{"ok": true}`.
const PROBE_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "ward_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "dealloc") (param i32 i32))
  (data (i32.const 16) "{\"ok\":true}")
  (func (export "yes") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 11)))
  (func (export "spin") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0)))"#;

/// A folder with `probe.wasm`, a policy declaring it (pinned to `digest`
/// when given) with `controls`, and a ConfigMap.
fn plugin_folder(digest: Option<&str>, controls: &str) -> PathBuf {
    let dir = tempdir();
    let wasm = wat::parse_str(PROBE_WAT).unwrap();
    std::fs::write(dir.join("probe.wasm"), &wasm).unwrap();
    let pin = digest
        .map(|d| format!(r#", sha256: "{d}""#))
        .unwrap_or_default();
    std::fs::write(
        dir.join("policy.ward"),
        format!("package probe\n\nplugin probe = wasm(\"probe.wasm\"{pin})\n\n{controls}\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("in")).unwrap();
    std::fs::write(
        dir.join("in/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: b\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_plugin_that_loops_forever_exits_two_and_the_other_controls_still_report() {
    let dir = plugin_folder(
        None,
        r#"control loops {
  match input.kind == "ConfigMap"
  deny when probe.spin(input) == true message "never"
}

control plain {
  match input.kind == "ConfigMap"
  deny when probe.yes() at input.data.a message "data `a` is set"
}"#,
    );
    let policy = dir.join("policy.ward");
    let out = ward_plugins()
        .arg("check")
        .arg("--policy")
        .arg(&policy)
        .arg(dir.join("in"))
        .args(["--plugin-fuel", "2000000", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let v = json(&out.stdout);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v:#}");
    assert_eq!(findings[0]["control"], "probe.plain");
    assert_eq!(findings[0]["line"], 6);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v:#}");
    assert_eq!(errors[0]["control"], "probe.loops");
    assert_eq!(errors[0]["resource"]["name"], "app");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(msg.starts_with("plugin `probe.probe` ("), "{msg}");
    assert!(
        msg.contains("probe.wasm): `spin` ran out of fuel after 2000000 units"),
        "{msg}"
    );
    // The text report shows both too.
    ward_plugins()
        .arg("check")
        .arg("--policy")
        .arg(&policy)
        .arg(dir.join("in"))
        .args(["--plugin-fuel", "2000000", "--color", "never"])
        .assert()
        .code(2)
        .stdout(predicates::str::contains("data `a` is set"))
        .stdout(predicates::str::contains("`spin` ran out of fuel"));
}

#[test]
fn a_plugin_with_the_wrong_digest_exits_two_naming_the_file() {
    let wrong = "0".repeat(64);
    let dir = plugin_folder(
        Some(&wrong),
        "control c {\n  deny when probe.yes() message \"x\"\n}",
    );
    let out = ward_plugins()
        .arg("check")
        .arg("--policy")
        .arg(dir.join("policy.ward"))
        .arg(dir.join("in"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = dir.join("probe.wasm").display().to_string();
    assert!(
        stderr.contains(&format!(
            "plugin `probe.probe` ({file}): the module's SHA-256 digest is "
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("but the policy pins {wrong}")),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn plugin_limits_are_flags() {
    ward_plugins()
        .args(["check", "--plugin-memory", "lots", "examples/quickstart"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`lots` is not a size"));
    // A memory cap smaller than the module's initial memory stops the load.
    let dir = plugin_folder(
        None,
        "control c {\n  deny when probe.yes() message \"x\"\n}",
    );
    ward_plugins()
        .arg("check")
        .arg("--policy")
        .arg(dir.join("policy.ward"))
        .arg(dir.join("in"))
        .args(["--plugin-memory", "32KiB"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("past the limit of 32 KiB"));
}

#[test]
fn the_example_plugins_pass_their_tests() {
    ward_plugins()
        .args([
            "test",
            "--require-coverage",
            "examples/plugins/secret-entropy",
            "examples/plugins/run-lint",
        ])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("0 failed"));
}

#[test]
fn the_example_plugins_find_secrets_and_risky_run_lines_where_they_are() {
    let out = ward_plugins()
        .args([
            "check",
            "--policy",
            "examples/plugins/secret-entropy/secret_entropy.ward",
            "--policy",
            "examples/plugins/run-lint/run_lint.ward",
            "examples/plugins/secret-entropy/manifests",
            "examples/plugins/run-lint/fixtures/Dockerfile",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    let at: Vec<(String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["pointer"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for want in [
        ("/spec/template/spec/containers/0/env/1/value", 25),
        ("/data/session.seed", 9),
        ("/instructions/2/arguments", 3),
        ("/instructions/4/heredocs/0/content", 6),
    ] {
        assert!(
            at.iter().any(|(p, l)| p == want.0 && *l == want.1),
            "{want:?} not in {at:?}"
        );
    }
}

/// Builds the example plugins from source with scripts/build-plugins.sh and
/// runs their policies against the fresh modules. Needs the
/// wasm32-unknown-unknown target; skipped without it.
#[test]
fn the_example_plugins_build_from_source_and_pass_their_tests() {
    let installed = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == "wasm32-unknown-unknown")
        })
        .unwrap_or(false);
    if !installed {
        eprintln!(
            "skipped: the wasm32-unknown-unknown target is not installed (rustup target add wasm32-unknown-unknown)"
        );
        return;
    }
    let work = tempdir();
    let built = work.join("built");
    let status = std::process::Command::new("bash")
        .arg(repo().join("scripts/build-plugins.sh"))
        .arg("--out")
        .arg(&built)
        .env(
            "CARGO_TARGET_DIR",
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example-plugins"),
        )
        .status()
        .unwrap();
    assert!(status.success(), "scripts/build-plugins.sh failed");
    for (name, module, policy) in [
        (
            "secret-entropy",
            "secret_entropy.wasm",
            "secret_entropy.ward",
        ),
        ("run-lint", "run_lint.wasm", "run_lint.ward"),
    ] {
        let src = repo().join("examples/plugins").join(name);
        let dst = work.join(name);
        copy_dir(&src, &dst, &["src", "target"]);
        let bytes = std::fs::read(built.join(module)).unwrap();
        assert!(
            bytes.len() < 512 * 1024,
            "{module} is {} bytes",
            bytes.len()
        );
        std::fs::write(dst.join(module), &bytes).unwrap();
        let digest = sha256_of(&dst.join(module));
        if std::fs::read(src.join(module)).ok().as_deref() != Some(bytes.as_slice()) {
            eprintln!("note: a fresh {module} differs from the committed one (another toolchain?)");
        }
        let text = std::fs::read_to_string(dst.join(policy)).unwrap();
        let start = text.find("sha256: \"").unwrap() + "sha256: \"".len();
        let text = format!("{}{digest}{}", &text[..start], &text[start + 64..]);
        std::fs::write(dst.join(policy), text).unwrap();
        ward_plugins()
            .arg("test")
            .arg(&dst)
            .assert()
            .code(0)
            .stdout(predicates::str::contains("0 failed"));
    }
}

fn copy_dir(src: &std::path::Path, dst: &std::path::Path, skip: &[&str]) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst.join(&name), &[]);
        } else {
            std::fs::copy(e.path(), dst.join(&name)).unwrap();
        }
    }
}

/// `sha256sum FILE`, without a hashing crate in this test binary.
fn sha256_of(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The compiled modules a cache folder holds (wasmtime's own `.stats`
/// files left out).
fn cached_modules(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                cached_modules(&p)
            } else {
                usize::from(p.extension().is_none())
            }
        })
        .sum()
}

#[test]
fn compiled_plugins_are_cached_where_the_flag_the_variable_or_the_user_cache_folder_says() {
    let dir = plugin_folder(
        None,
        "control c {\n  deny when probe.yes() message \"x\"\n}",
    );
    let check = || {
        let mut c = ward();
        c.arg("check")
            .arg("--policy")
            .arg(dir.join("policy.ward"))
            .arg(dir.join("in"))
            .env_remove("WARD_PLUGIN_CACHE")
            .env("XDG_CACHE_HOME", dir.join("xdg"));
        c
    };
    // By default: under the user's cache folder.
    check().assert().code(1);
    assert_eq!(cached_modules(&dir.join("xdg/ward/plugins")), 1);
    // The variable moves it; the flag wins over the variable.
    check()
        .env("WARD_PLUGIN_CACHE", dir.join("var"))
        .assert()
        .code(1);
    assert_eq!(cached_modules(&dir.join("var")), 1);
    check()
        .env("WARD_PLUGIN_CACHE", dir.join("var2"))
        .arg("--plugin-cache")
        .arg(dir.join("flag"))
        .assert()
        .code(1);
    assert_eq!(cached_modules(&dir.join("flag")), 1);
    assert!(!dir.join("var2").exists());
    // A second run finds the module there and adds nothing.
    check()
        .arg("--plugin-cache")
        .arg(dir.join("flag"))
        .assert()
        .code(1);
    assert_eq!(cached_modules(&dir.join("flag")), 1);
    // `off` keeps nothing anywhere.
    std::fs::remove_dir_all(dir.join("xdg")).unwrap();
    check().env("WARD_PLUGIN_CACHE", "off").assert().code(1);
    check().args(["--plugin-cache", "off"]).assert().code(1);
    assert!(!dir.join("xdg").exists());
}

#[test]
fn a_plugin_in_a_pack_archive_is_read_from_the_archive_and_pinned() {
    let dir = tempdir();
    let src = dir.join("team-secrets");
    std::fs::create_dir_all(src.join("plugins")).unwrap();
    let module = repo().join("examples/plugins/secret-entropy/secret_entropy.wasm");
    std::fs::copy(&module, src.join("plugins/secret_entropy.wasm")).unwrap();
    std::fs::write(
        src.join("controls.ward"),
        format!(
            r#"package team.secrets

plugin secrets = wasm("plugins/secret_entropy.wasm", sha256: "{}")

control plain_config {{
  title "No secrets in ConfigMaps"
  severity high
  match input.kind == "ConfigMap"
  for f in secrets.scan(input) {{
    deny at pointer(input, f.pointer) message f.message
  }}
}}

pack team-secrets {{
  version "1.0.0"
  include team.secrets.*
}}
"#,
            sha256_of(&module)
        ),
    )
    .unwrap();
    let archive = dir.join("team-secrets.wardpack");
    ward_plugins()
        .arg("pack")
        .arg("build")
        .arg(&src)
        .arg("-o")
        .arg(&archive)
        .assert()
        .code(0);
    // The folder goes: the module can only come from the archive.
    std::fs::remove_dir_all(&src).unwrap();
    let out = ward_plugins()
        .arg("check")
        .arg("--pack")
        .arg(&archive)
        .arg(repo().join("examples/plugins/secret-entropy/manifests"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let v = json(&out.stdout);
    let found: Vec<(&str, &str, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap(),
                f["pointer"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![("team.secrets.plain_config", "/data/session.seed", 9)],
        "{v:#}"
    );
}

/// `ward completions SHELL` prints a script the shell accepts, naming the
/// subcommands and their options.
#[test]
fn completion_scripts_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = ward().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for word in ["check", "explain", "format"] {
            assert!(script.contains(word), "{shell}: no `{word}`");
        }
        // The shells that complete values know the formats.
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(script.contains("github"), "{shell}: no `github`");
        }
    }
    let bash = ward().args(["completions", "bash"]).output().unwrap();
    let mut syntax = std::process::Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(syntax.stdin.as_mut().unwrap(), &bash.stdout).unwrap();
    assert!(
        syntax.wait().unwrap().success(),
        "bash -n rejects the script"
    );
}
