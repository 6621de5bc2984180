//! End-to-end behaviour of `ward check` that the other command tests do not
//! reach: `--fail-on` thresholds, standard input, `--output`, colour
//! (`--color`, `NO_COLOR`), `--profile`, and `ward test` failing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use serde_json::Value;

mod common;
use common::{check_json, repo, ward, ward_test};

/// A Pod whose worst finding is `high` (a privileged container) and that has
/// `medium` ones too.
const POD: &str = "tests/hostile/inputs/crlf.yaml";

fn exit_with(args: &[&str]) -> i32 {
    ward()
        .arg("check")
        .args(args)
        .arg(POD)
        .output()
        .unwrap()
        .status
        .code()
        .unwrap()
}

#[test]
fn fail_on_sets_the_severity_that_fails_the_run() {
    assert_eq!(exit_with(&[]), 1, "the default threshold is low");
    assert_eq!(exit_with(&["--fail-on", "medium"]), 1);
    assert_eq!(exit_with(&["--fail-on", "high"]), 1);
    assert_eq!(
        exit_with(&["--fail-on", "critical"]),
        0,
        "no critical finding"
    );
    assert_eq!(exit_with(&["--fail-on", "never"]), 0);
    // Errors win over any threshold.
    let broken = ward()
        .args([
            "check",
            "--fail-on",
            "never",
            "tests/hostile/inputs/truncated.json",
        ])
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(2));
}

#[test]
fn standard_input_is_read_as_a_file_named_dash() {
    let text = std::fs::read_to_string(repo().join(POD)).unwrap();
    let out = ward()
        .args(["check", "--format", "json", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control"] == "pss.baseline.privileged")
        .expect("the privileged container is found");
    assert_eq!(f["file"], "-");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(11), Some(21))
    );
}

#[test]
fn output_writes_the_report_to_a_file_and_nothing_to_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let file = dir.join("report.sarif");
    let out = ward()
        .args(["check", "--format", "sarif", "--output"])
        .arg(&file)
        .arg(POD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn a_sarif_log_larger_than_code_scanning_keeps_is_written_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Deployments that fail a dozen checklist and baseline controls each:
    // more findings than GitHub code scanning keeps of a run.
    let deployments: Vec<String> = (0..420)
        .map(|i| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: shop\n\
                 spec:\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n    metadata:\n\
                 \x20     labels: {{app: app-{i}}}\n    spec:\n      containers:\n        - name: app\n\
                 \x20         image: nginx:1.27\n"
            )
        })
        .collect();
    std::fs::write(dir.join("many.yaml"), deployments.join("---\n")).unwrap();
    let run = |input: &str| {
        let file = dir.join("report.sarif");
        let out = ward()
            .current_dir(dir)
            .args(["check", "--format", "sarif", "--color", "never", "-o"])
            .arg(&file)
            .arg(input)
            .output()
            .unwrap();
        let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let results = sarif["runs"][0]["results"].as_array().map_or(0, Vec::len);
        (
            out.status.code(),
            results,
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, results, err) = run("many.yaml");
    assert_eq!(code, Some(1), "{err}");
    assert!(results > 5000, "{results} results");
    assert!(
        err.contains(&format!(
            "warning: the SARIF log has {results} results in its run, and GitHub code scanning keeps the 5000 most severe"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("the other {}", results - 5000)),
        "{err}"
    );
    // A log that fits is written without one.
    std::fs::write(dir.join("one.yaml"), &deployments[0]).unwrap();
    let (code, results, err) = run("one.yaml");
    assert_eq!(code, Some(1), "{err}");
    assert!(results > 0);
    assert!(!err.contains("code scanning"), "{err}");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let run = |args: &[&str], no_color: bool| {
        let mut c = ward();
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let out = c.arg("check").args(args).arg(POD).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&["--color", "always"], false).contains('\u{1b}'));
    assert!(!run(&["--color", "never"], false).contains('\u{1b}'));
    // Not a terminal: no colour by default.
    assert!(!run(&[], false).contains('\u{1b}'));
    assert!(!run(&["--color", "auto"], true).contains('\u{1b}'));
}

#[test]
fn profile_reports_time_and_steps_per_control_and_function_on_stderr() {
    let out = ward()
        .args(["check", "--profile", "--format", "json", POD])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!report["findings"].as_array().unwrap().is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("profile: read 1 resources from 1 files"),
        "{err}"
    );
    let row = err
        .lines()
        .find(|l| l.ends_with("pss.baseline.privileged (pss-baseline)"))
        .expect("a row for every control");
    let steps: u64 = row.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(steps > 0, "{row}");
    // Then the functions whose bodies ran, with their runs and steps.
    let functions = err
        .lines()
        .skip_while(|l| !l.starts_with("profile: functions, most steps first"))
        .skip(2);
    let row = functions
        .clone()
        .find(|l| l.ends_with(" std.k8s.all_containers"))
        .unwrap_or_else(|| panic!("a row for all_containers: {err}"));
    let cols: Vec<u64> = row
        .split_whitespace()
        .take(2)
        .map(|c| c.parse().unwrap())
        .collect();
    assert_eq!(
        cols.first(),
        Some(&1),
        "all_containers runs once for the one pod: {row}"
    );
    assert!(cols.get(1).is_some_and(|&s| s > 0), "{row}");
    // A function answered natively (`pod_spec`) ran no body.
    assert!(
        !functions.clone().any(|l| l.ends_with(" std.k8s.pod_spec")),
        "{err}"
    );
}

#[test]
fn a_failing_policy_test_exits_one_with_its_location() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("p.ward"),
        r#"package team

control no_latest {
  title "No latest tag"
  match input.kind == "Pod"
  for c in input.spec.containers ?? [] {
    deny when ends_with(c.image ?? "", ":latest") at c.image
  }
}

test "a latest image is denied" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx:latest"}]}}
  expect deny no_latest
}

test "this expectation is wrong" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx:1.27"}]}}
  expect deny no_latest
}
"#,
    )
    .unwrap();
    let (code, text) = ward_test(dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("this expectation is wrong"), "{text}");
    assert!(text.contains("p.ward:16:"), "{text}");
    assert!(text.contains("\n2 tests: 1 passed, 1 failed;"), "{text}");
    // One test is "1 test".
    let policy = std::fs::read_to_string(dir.join("p.ward")).unwrap();
    let one = policy.split("test \"this expectation").next().unwrap();
    std::fs::write(dir.join("p.ward"), one).unwrap();
    let (code, text) = ward_test(dir);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("\n1 test: 1 passed, 0 failed;"), "{text}");
}

/// `ward check --help` names exactly the packs that run by default.
#[test]
fn check_help_names_the_default_packs() {
    let out = ward().args(["packs", "--format", "json"]).output().unwrap();
    let packs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut defaults: Vec<&str> = packs
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["default"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    defaults.sort_unstable();
    assert!(!defaults.is_empty());
    let help = ward().args(["check", "--help"]).output().unwrap();
    // clap wraps long lines: read the help as one line.
    let help = String::from_utf8(help.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let listed = help
        .split("built-in default packs:")
        .nth(1)
        .expect("the help names the default packs")
        .split('.')
        .next()
        .unwrap()
        .trim();
    let mut named: Vec<&str> = listed
        .split(" and ")
        .flat_map(|s| s.split(", "))
        .map(str::trim)
        .collect();
    named.sort_unstable();
    assert_eq!(named, defaults, "{listed}");
}

/// A word given to `--set` for a list param is refused, and the message
/// writes the list it was meant to be; that form is taken.
#[test]
fn a_word_set_for_a_list_shows_the_list_to_write() {
    let out = ward()
        .args(["check", "--set", "checklist.exempt_namespaces=kube-system"])
        .arg(POD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(
            "is a list<string>, not a string; for a list write `--set 'checklist.exempt_namespaces=[\"kube-system\"]'`"
        ),
        "{err}"
    );
    let out = ward()
        .args([
            "check",
            "--set",
            "checklist.exempt_namespaces=[\"kube-system\"]",
        ])
        .arg(POD)
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A run that found nothing to check passes, as it must, but says so on
/// standard error, with what it passed over; a run that checked something
/// does not.
#[test]
fn a_run_that_checks_nothing_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Exit code and standard error of `ward check PATH`.
    let check = |path: &std::path::Path| {
        let out = ward().arg("check").arg(path).output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let (code, err) = check(dir);
    assert_eq!(code, Some(0));
    assert!(err.contains("warning: nothing was checked"), "{err}");
    std::fs::write(dir.join("values.yaml"), "replicaCount: 1\n").unwrap();
    let (code, err) = check(dir);
    assert_eq!(code, Some(0));
    assert!(
        err.contains("values.yaml was skipped: no `kind` field"),
        "{err}"
    );
    // A chart not rendered: the template is the example, with what to do.
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("templates/deployment.yaml"),
        "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .unwrap();
    let (_, err) = check(dir);
    assert!(
        err.contains("2 documents were skipped, such as ")
            && err.contains("deployment.yaml: an unrendered template")
            && err.contains("helm template"),
        "{err}"
    );
    let (_, err) = check(std::path::Path::new(POD));
    assert!(!err.contains("nothing was checked"), "{err}");
}

/// A test that gives the same object twice fails, and says which object
/// and where: its results would mean something else than its author meant.
#[test]
fn a_policy_test_that_gives_an_object_twice_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("p.ward"),
        r#"package team

control one_per_app {
  title "One Deployment per app"
  match input.kind == "Deployment"
  deny when len(resources(kind: "Deployment", namespace: input.metadata.namespace)) > 1
}

test "two apps in one namespace" {
  given {kind: "Deployment", metadata: {name: "web", namespace: "shop"}}
  given {kind: "Deployment", metadata: {name: "web", namespace: "shop"}}
  expect deny one_per_app count 2
}
"#,
    )
    .unwrap();
    let (code, text) = ward_test(dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("the test gives Deployment `shop/web` 2 times (<given 1> and <given 2>)"),
        "{text}"
    );
    // Named apart, the same test passes.
    let policy = std::fs::read_to_string(dir.join("p.ward")).unwrap();
    let apart = policy.replacen("name: \"web\"", "name: \"api\"", 1);
    std::fs::write(dir.join("p.ward"), apart).unwrap();
    let (code, text) = ward_test(dir);
    assert_eq!(code, Some(0), "{text}");
}

/// An object a file defines twice is a warning on the second definition,
/// naming the first, in every report; it does not fail the run, and the
/// same object in another file is not one.
#[test]
fn check_warns_about_an_object_a_file_defines_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: \"1\"\n";
    std::fs::write(dir.join("rendered.yaml"), format!("{cm}---\n{cm}")).unwrap();
    std::fs::write(dir.join("other.yaml"), cm).unwrap();
    let run = |format: &str| {
        let out = ward()
            .args(["check", "--pack", "pss-baseline", "--format", format])
            .arg(dir)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let report: Value = serde_json::from_str(&run("json")).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f["control"], "ward.input.duplicate");
    assert_eq!(f["pack"], "ward.inputs");
    assert_eq!(f["level"], "warn");
    assert_eq!(
        (f["document"].as_u64(), f["line"].as_u64()),
        (Some(1), Some(12))
    );
    let first = format!("first at {}:4;", dir.join("rendered.yaml").display());
    assert!(f["message"].as_str().unwrap().contains(&first), "{f}");
    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "ward.input.duplicate");
    assert_eq!(result["level"], "note");
    let junit = run("junit");
    assert!(junit.contains("<testsuite name=\"ward.inputs\""), "{junit}");
    assert!(run("text").contains("ConfigMap `shop/settings` is defined again here"));
    // The id a report names is one `ward explain` knows.
    let out = ward()
        .args(["explain", "ward.input.duplicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Each object is defined once\n"), "{text}");
    assert!(text.contains("pack:       ward.inputs"), "{text}");
}

/// A test whose given object misspells a field fails: the controls read
/// the field as missing, so the test may pass for the wrong reason. A
/// field like none its type has is how a test gives something unknown on
/// purpose, and passes.
#[test]
fn a_policy_test_that_misspells_a_field_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let policy = r#"package team

control non_root {
  title "Containers run as non-root"
  match input.kind == "Pod"
  for c in input.spec.containers {
    deny when c.securityContext.runAsNonRoot != true
  }
}

test "a container that may run as root is denied" {
  given {
    kind: "Pod",
    metadata: {name: "web"},
    spec: {containers: [{name: "a", securityContext: {runAsNonroot: false}}]},
  }
  expect deny non_root
}
"#;
    std::fs::write(dir.join("p.ward"), policy).unwrap();
    let (code, text) = ward_test(dir);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("the test gives Pod `web` `runAsNonroot` (/spec/containers/0/securityContext/runAsNonroot), which SecurityContext does not have: every control reads it as missing; did you mean `runAsNonRoot`?"),
        "{text}"
    );
    for field in ["runAsNonRoot", "vendorSetting"] {
        std::fs::write(dir.join("p.ward"), policy.replace("runAsNonroot", field)).unwrap();
        let (code, text) = ward_test(dir);
        assert_eq!(code, Some(0), "{field}: {text}");
    }
}

/// A manifest at an API version its cluster's release no longer serves is
/// a warning naming the version to use, and so is a field newer than that
/// release; `--kube-version` (or `kube_version` in `ward.toml`) names it.
#[test]
fn check_warns_of_what_the_clusters_release_does_not_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("cron.yaml"),
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: job\n            image: job:1\n",
    )
    .unwrap();
    let removed = |args: &[&str]| {
        let args = [&["--pack", "pss-baseline", "cron.yaml"], args].concat();
        let (code, report, err) = check_json(dir, &args);
        let found: Vec<String> = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["control"] == "ward.input.unserved_api")
            .map(|f| format!("{}:{} {}", f["line"], f["pointer"], f["message"]))
            .collect();
        (code, found, err)
    };
    let (code, found, err) = removed(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(
            "1:\"/apiVersion\" \"`batch/v1beta1` CronJob is not served after Kubernetes 1.24"
        ),
        "{found:?}"
    );
    let (_, found, _) = removed(&["--kube-version", "1.24"]);
    assert!(found.is_empty(), "{found:?}");
    std::fs::write(dir.join("ward.toml"), "kube_version = \"1.23\"\n").unwrap();
    let (_, found, _) = removed(&[]);
    assert!(found.is_empty(), "{found:?}");
    let (_, found, _) = removed(&["--kube-version", "v1.30"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("Kubernetes 1.30 serves CronJob as `batch/v1`"),
        "{found:?}"
    );
    // A field newer than the release named is one that release drops.
    std::fs::write(
        dir.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: a:1\n    securityContext:\n      appArmorProfile: {type: RuntimeDefault}\n",
    )
    .unwrap();
    let args = [
        "--pack",
        "pss-baseline",
        "pod.yaml",
        "--kube-version",
        "1.29",
    ];
    let (_, report, _) = check_json(dir, &args);
    let f = &report["findings"][0];
    assert_eq!(f["control"], "ward.input.unknown_field", "{report}");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("in Kubernetes 1.29: it came in 1.30"),
        "{f}"
    );
    let (code, _, err) = removed(&["--kube-version", "latest"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("`latest` is not a Kubernetes release; write it as `1.28`"),
        "{err}"
    );
}

/// With the cluster's release named, a Pod Security pack that is not
/// pinned runs at that release, as the cluster's admission controller
/// does: a pod in a user namespace is relaxed only from v1.35 on, and a
/// namespace's `latest` is the cluster's release.
#[test]
fn pod_security_runs_at_the_clusters_release() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("pod.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: userns\n  namespace: shop\nspec:\n  hostUsers: false\n  containers:\n  - name: app\n    image: web:1\n",
    )
    .unwrap();
    let non_root = |args: &[&str]| {
        let (_, report, _) = check_json(dir, &[&["pod.yaml"], args].concat());
        report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["control"] == "pss.restricted.runAsNonRoot")
            .count()
    };
    assert_eq!(non_root(&["--pack", "pss-restricted"]), 0);
    assert_eq!(
        non_root(&["--pack", "pss-restricted", "--kube-version", "1.34"]),
        1
    );
    // A pinned version is kept.
    let pinned = ["--pack", "pss-restricted@v1.35", "--kube-version", "1.34"];
    assert_eq!(non_root(&pinned), 0);
    assert_eq!(non_root(&["--pack", "pss-namespaces"]), 0);
    assert_eq!(
        non_root(&["--pack", "pss-namespaces", "--kube-version", "1.34"]),
        1
    );
}

/// A notice about the inputs is waived as a control's finding is: by the
/// waivers file or by an annotation on the object, which must say why; a
/// waiver of one that waives nothing is reported like any other. With
/// `--strict-inputs` an unwaived one fails the run.
#[test]
fn notices_about_the_inputs_can_be_waived() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pod = |annotation: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations: {{{annotation}}}\nspec:\n  schedulingGroup: {{podGroupName: g}}\n  containers:\n  - name: a\n    image: a:1\n"
        )
    };
    let run = |args: &[&str]| {
        let (_, report, _) = check_json(
            dir,
            &[&["--pack", "pss-baseline", "pod.yaml"], args].concat(),
        );
        let notices: Vec<(String, bool)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["control"].as_str().unwrap().to_string(),
                    !f["waived"].is_null(),
                )
            })
            .collect();
        (notices, report["errors"].clone())
    };
    // A field of 1.36 on a 1.35 cluster.
    std::fs::write(dir.join("pod.yaml"), pod("")).unwrap();
    let (found, _) = run(&["--kube-version", "1.35"]);
    assert_eq!(found, [("ward.input.unknown_field".to_string(), false)]);
    std::fs::write(
        dir.join("waivers.yaml"),
        "waivers:\n  - control: ward.input.unknown_field\n    reason: the cluster moves to 1.36 this week\n    expires: 2099-01-01\n",
    )
    .unwrap();
    let (found, errors) = run(&["--kube-version", "1.35", "--waivers", "waivers.yaml"]);
    assert_eq!(
        found,
        [("ward.input.unknown_field".to_string(), true)],
        "{errors}"
    );
    // Not needed at 1.36: the waiver waives nothing, and says so.
    let (found, _) = run(&["--kube-version", "1.36", "--waivers", "waivers.yaml"]);
    assert_eq!(found, [("ward.waiver.unused".to_string(), false)]);
    // `--strict-inputs` (or `strict_inputs` in ward.toml) makes an
    // unwaived one fail the run; a waived one does not.
    let strict = |args: &[&str]| {
        check_json(
            dir,
            &[&["--pack", "pss-baseline", "pod.yaml"], args].concat(),
        )
        .0
    };
    assert_eq!(strict(&["--kube-version", "1.35"]), Some(0));
    assert_eq!(
        strict(&["--kube-version", "1.35", "--strict-inputs"]),
        Some(1)
    );
    let waived = [
        "--kube-version",
        "1.35",
        "--strict-inputs",
        "--waivers",
        "waivers.yaml",
    ];
    assert_eq!(strict(&waived), Some(0));
    std::fs::write(dir.join("ward.toml"), "strict_inputs = true\n").unwrap();
    assert_eq!(strict(&["--kube-version", "1.35"]), Some(1));
    std::fs::remove_file(dir.join("ward.toml")).unwrap();
    // By annotation, with its reason.
    let waive = "ward.dev/waive.ward.input.unknown_field: moving to 1.36";
    std::fs::write(dir.join("pod.yaml"), pod(waive)).unwrap();
    let (found, errors) = run(&["--kube-version", "1.35"]);
    assert_eq!(
        found,
        [("ward.input.unknown_field".to_string(), true)],
        "{errors}"
    );
    let (found, _) = run(&["--kube-version", "1.36"]);
    assert_eq!(found, [("ward.waiver.unused".to_string(), false)]);
}

/// A field a manifest misspells is a warning naming the field meant, which
/// does not fail the run; `ward fix` renames it before the controls' own
/// fixes, so the control that missed the setting adds nothing beside it.
#[test]
fn check_warns_of_a_misspelt_field_and_fix_renames_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostNetwrok: false\n  containers:\n  - name: app\n    image: web:1\n";
    let file = dir.join("pod.yaml");
    std::fs::write(&file, pod).unwrap();
    let out = ward()
        .args(["check", "--pack", "pss-baseline", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f["control"], "ward.input.unknown_field");
    assert_eq!(f["pack"], "ward.inputs");
    assert_eq!(f["pointer"], "/spec/hostNetwrok");
    // At the misspelt key, read back from the file (a JSON report keeps
    // no text), not at its value.
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(6), Some(3))
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("PodSpec has no field `hostNetwrok`; did you mean `hostNetwork`?"),
        "{f}"
    );
    let out = ward()
        .args(["fix", "--pack", "pss-baseline", "--color", "never"])
        .arg(&file)
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("-  hostNetwrok: false\n") && diff.contains("+  hostNetwork: false\n"),
        "{diff}"
    );
    // The renames alone, by their control id.
    let out = ward()
        .args(["fix", "--pack", "pss-restricted", "--color", "never"])
        .args(["--control", "ward.input.unknown_field"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        diff.lines().filter(|l| l.starts_with('+')).count(),
        2,
        "{diff}"
    );
    let out = ward()
        .args(["explain", "ward.input.unknown_field"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Manifests give only fields their types have\n"),
        "{text}"
    );
}

/// `ward explain --on --version` runs a Pod Security control as its pack
/// does at that version: a pod in a user namespace is relaxed from v1.35
/// on, and a control that came in later is refused by name.
#[test]
fn explain_on_runs_a_control_at_a_chosen_profile_version() {
    let tmp = tempfile::tempdir().unwrap();
    let pod = tmp.path().join("pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: userns\nspec:\n  hostUsers: false\n  containers:\n  - name: app\n    image: web:1\n",
    )
    .unwrap();
    let explain = |control: &str, version: Option<&str>| {
        let mut cmd = ward();
        cmd.args(["explain", control, "--format", "json", "--on"])
            .arg(&pod);
        if let Some(v) = version {
            cmd.args(["--version", v]);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        (
            out.status.code(),
            serde_json::from_slice::<Value>(&out.stdout).ok(),
            err,
        )
    };
    let outcome = |v: Option<&str>| {
        let (code, json, err) = explain("pss.restricted.runAsNonRoot", v);
        assert_eq!(code, Some(0), "{err}");
        json.unwrap()[0]["outcome"].as_str().unwrap().to_string()
    };
    assert_eq!(outcome(Some("v1.34")), "failed");
    assert_eq!(outcome(Some("v1.35")), "skipped");
    assert_eq!(outcome(None), "skipped");
    let (code, _, err) = explain("hostProbesAndHostLifecycle", Some("v1.30"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("`pss.baseline.hostProbesAndHostLifecycle` runs from v1.34 on; at v1.30 it is not part of pack `pss-baseline`"),
        "{err}"
    );
    assert_eq!(outcome(Some("latest")), "skipped");
    // The release `ward.toml` names is the default, as for `ward check`.
    std::fs::write(tmp.path().join("ward.toml"), "kube_version = \"1.34\"\n").unwrap();
    let out = ward()
        .current_dir(tmp.path())
        .args([
            "explain",
            "pss.restricted.runAsNonRoot",
            "--format",
            "json",
            "--on",
        ])
        .arg(&pod)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["outcome"], "failed", "{json}");
    let (code, _, err) = explain("runAsNonRoot", Some("1.x"));
    assert_eq!(code, Some(2));
    assert!(err.contains("`--version 1.x`: not a version"), "{err}");
}

/// `ward explain CONTROL --on PATH` says, for each resource the control is
/// offered, why it failed, passed or was skipped: the condition that
/// decided it and the values it read, in the loop element it read them in.
#[test]
fn explain_on_inputs_says_why_each_resource_went_as_it_did() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("p.ward"),
        r#"package team

control non_root {
  title "Containers run as non-root"
  match input.kind == "Pod" and not exists(input.metadata.labels.exempt)
  for c in input.spec.containers ?? [] {
    deny when c.securityContext.runAsNonRoot != true
      message "container `{c.name}` may run as root"
  }
}
"#,
    )
    .unwrap();
    let inputs = dir.join("in");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::write(
        inputs.join("pods.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: exempt\n  labels: {exempt: \"yes\"}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    securityContext: {runAsNonRoot: true}\n  - name: sidecar\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: empty\n",
    )
    .unwrap();
    let explain = |extra: &[&str]| {
        let out = ward()
            .args(["explain", "team.non_root", "--policy"])
            .arg(dir.join("p.ward"))
            .arg("--on")
            .arg(&inputs)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let text = explain(&[]);
    for part in [
        // The folder's own `Repository` document is one of them.
        "team.non_root on 5 resources: 1 failed, 1 passed, 1 skipped, 0 with errors",
        "Pod empty (",
        "): passed\n  not looked for, nothing to go over (",
        "      for ... in input.spec.containers ?? []\n      input.spec.containers = missing\n",
        "Pod exempt (",
        "): skipped\n  does not match (",
        "      input.metadata.labels.exempt = \"yes\"\n",
        "  not found in /spec/containers/0 (",
        "      c.securityContext.runAsNonRoot = true\n",
        "  found in /spec/containers/1 (",
        "      when c.securityContext.runAsNonRoot != true\n      c.securityContext.runAsNonRoot = missing\n",
        "  finding /spec/containers/1: container `sidecar` may run as root\n",
        "2 resources of kinds the control's `match` never takes: ConfigMap, Repository\n",
    ] {
        assert!(text.contains(part), "{part}\n---\n{text}");
    }
    let json: Value =
        serde_json::from_str(&explain(&["--format", "json", "--resource", "web"])).unwrap();
    let whys = json.as_array().unwrap();
    assert_eq!(whys.len(), 1);
    assert_eq!(whys[0]["outcome"], "failed");
    assert_eq!(whys[0]["resource"]["name"], "web");
    assert_eq!(whys[0]["steps"][1]["what"], "found");
    assert_eq!(whys[0]["steps"][1]["condition"]["line"], 7);
}

/// A `deny` no test makes fire is a branch nobody has seen work: `ward
/// test` lists it, and `--require-coverage` fails until a test fires it.
#[test]
fn ward_test_lists_statements_no_test_makes_fire() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let policy = r#"package team

control images {
  title "Images are pinned and named"
  match input.kind == "Pod"
  for c in input.spec.containers ?? [] {
    deny when ends_with(c.image ?? "", ":latest") at c.image message "latest"
    deny when not exists(c.image) message "no image"
  }
}

test "a latest image is denied" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx:latest"}]}}
  expect deny images
}

test "a pinned image passes" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", image: "nginx:1.27"}]}}
  expect pass images
}
"#;
    std::fs::write(dir.join("p.ward"), policy).unwrap();
    let run = |extra: &[&str]| {
        let out = ward().arg("test").arg(dir).args(extra).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, text) = run(&[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("`deny` and `warn` statements no test makes fire:\n")
            && text.contains(
                "p.ward:8:5 team.images: deny when not exists(c.image) message \"no image\"\n"
            ),
        "{text}"
    );
    assert!(text.contains("; 1 statement never fired\n"), "{text}");
    assert_eq!(run(&["--require-coverage"]).0, Some(1));
    // A test that fires it.
    let fired = format!(
        "{policy}\ntest \"a container without an image is denied\" {{\n  given {{kind: \"Pod\", metadata: {{name: \"p\"}}, spec: {{containers: [{{name: \"a\"}}]}}}}\n  expect deny images message \"no image\"\n}}\n"
    );
    std::fs::write(dir.join("p.ward"), fired).unwrap();
    let (code, text) = run(&["--require-coverage"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("never fired"), "{text}");
}

/// `ward init` starts a project whose example control passes its own
/// tests, lints clean and runs with the packs on `ward check`; run again,
/// it writes nothing over what is there.
#[test]
fn init_starts_a_project_that_checks_and_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = |args: &[&str]| {
        let out = ward().current_dir(dir).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, text) = run(&["init"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with("wrote ward.toml and policies/team.ward\n"),
        "{text}"
    );
    let (code, text) = run(&["test", "--require-coverage", "policies"]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["lint", "policies"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("0 errors and 0 warnings"), "{text}");
    std::fs::write(
        dir.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx\n",
    )
    .unwrap();
    let (code, report, stderr) = check_in(dir, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    let controls: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["control"].as_str().unwrap())
        .collect();
    assert!(controls.contains(&"team.image_is_pinned"), "{controls:?}");
    assert!(
        controls.iter().any(|c| c.starts_with("pss.restricted.")),
        "{controls:?}"
    );
    assert!(
        controls.iter().any(|c| c.starts_with("checklist.")),
        "{controls:?}"
    );
    // `ward test` and `ward explain` find the project's controls too.
    let (code, text) = run(&["test"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 tests: 2 passed"), "{text}");
    let (code, text) = run(&["explain", "image_is_pinned", "--on", "pod.yaml"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with("team.image_is_pinned on 1 resource: 1 failed"),
        "{text}"
    );
    // The settings it leaves commented out are ones `ward.toml` takes.
    let toml = std::fs::read_to_string(dir.join("ward.toml")).unwrap();
    let on = toml
        .replace("# kube_version = ", "kube_version = ")
        .replace("# strict_inputs = ", "strict_inputs = ");
    assert_ne!(on, toml);
    std::fs::write(dir.join("ward.toml"), on).unwrap();
    let (code, text) = run(&["check", "--format", "json", "pod.yaml"]);
    assert_eq!(code, Some(1), "{text}");
    // Started already: nothing is written over.
    std::fs::write(dir.join("ward.toml"), "# ours\n").unwrap();
    let (code, text) = run(&["init"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("ward.toml and policies/team.ward already there"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("ward.toml")).unwrap(),
        "# ours\n"
    );
}

/// `ward explain --on` runs the control with the params `ward check` would:
/// the `[params]` of `ward.toml`, then `--set`.
#[test]
fn explain_on_inputs_takes_the_params_check_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("p.ward"),
        "package team\n\n/// The label that names an owner.\nparam label: string = \"owner\"\n\ncontrol owner {\n  title \"Owners\"\n  match input.kind == \"Deployment\"\n  deny when not exists(input.metadata.labels[label]) message \"no `{label}` label\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("d.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {team: shop}\n",
    )
    .unwrap();
    let outcome = |extra: &[&str]| {
        let out = ward()
            .current_dir(dir)
            .args([
                "explain",
                "team.owner",
                "--policy",
                "p.ward",
                "--on",
                "d.yaml",
            ])
            .args(extra)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0]["outcome"].as_str().unwrap().to_string()
    };
    assert_eq!(outcome(&[]), "failed");
    assert_eq!(outcome(&["--set", "team.label=team"]), "passed");
    std::fs::write(
        dir.join("ward.toml"),
        "[params]\n\"team.label\" = \"team\"\n",
    )
    .unwrap();
    assert_eq!(outcome(&[]), "passed");
    assert_eq!(outcome(&["--set", "label=owner"]), "failed");
}

/// With policies of the user's own, `ward check` builds its engine while it
/// reads the inputs: the paths still come from `ward.toml` when none is
/// given, the findings and `--profile` are as they were, and a policy that
/// does not parse still ends the run with its diagnostic and exit code 2,
/// reporting nothing.
#[test]
fn own_policies_are_built_while_the_inputs_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    common::files(
        dir,
        &[
            (
                "policies/team.ward",
                "package team\n\ncontrol labelled {\n  title \"Deployments carry a team label\"\n  match input.kind == \"Deployment\"\n  deny when not exists(input.metadata.labels.team)\n    at input.metadata.labels\n    message \"no team label\"\n}\n",
            ),
            (
                "deploy/web.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\n",
            ),
            // Not read: `ward.toml` names `deploy` only.
            (
                "other.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\n",
            ),
            (
                "ward.toml",
                "paths = [\"deploy\"]\npolicies = [\"policies\"]\n",
            ),
        ],
    );
    let (code, report, stderr) = check_in(dir, &["--profile"]);
    assert_eq!(code, Some(1), "{stderr}");
    let found: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}:{}", f["control"], f["resource"]["name"], f["line"]))
        .collect();
    assert_eq!(found, [r#""team.labelled" "web":5"#]);
    assert!(
        stderr.contains("profile: read 1 resources from 1 files"),
        "{stderr}"
    );
    // A policy that does not parse: its diagnostic, exit 2, no report.
    common::files(
        dir,
        &[(
            "policies/broken.ward",
            "package broken\n\ncontrol c {\n  deny when (\n}\n",
        )],
    );
    let (code, report, stderr) = check_in(dir, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("broken.ward:5:1"), "{stderr}");
    assert!(report.is_null(), "{report}");
}

/// `ward check --format json` with more arguments, run in a folder: the
/// exit code, the report (null when none was written) and standard error.
fn check_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = ward()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        report,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}
