//! Hostile and broken input: every case of `tests/hostile/inputs/` runs
//! through `ward check` with the outcome `tests/hostile/expected.tsv` gives
//! it (exit code, errors with their line and column, skipped files,
//! findings), in the JSON report and in SARIF; plus the limits that need
//! inputs too large to keep in the repository.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn hostile() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile")
}

fn ward(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("ward").expect("the ward binary is built");
    c.current_dir(dir);
    c
}

struct Case {
    path: String,
    flags: Vec<String>,
    exit: i32,
    expect: Vec<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(hostile().join("expected.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(
                cols.len(),
                4,
                "expected.tsv: four tab-separated columns in `{l}`"
            );
            Case {
                path: cols[0].to_string(),
                flags: if cols[1] == "-" {
                    Vec::new()
                } else {
                    cols[1].split_whitespace().map(String::from).collect()
                },
                exit: cols[2].parse().unwrap(),
                expect: cols[3].split(';').map(|s| s.trim().to_string()).collect(),
            }
        })
        .collect()
}

/// `L:C rest` → (L, C, rest).
fn place(s: &str) -> (u64, u64, &str) {
    let (lc, rest) = s.split_once(' ').unwrap_or((s, ""));
    let (l, c) = lc.split_once(':').unwrap();
    (l.parse().unwrap(), c.parse().unwrap(), rest)
}

fn check_expectation(case: &Case, report: &Value) -> Result<(), String> {
    let errors = report["errors"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    let skipped = report["skipped"].as_array().unwrap();
    for e in &case.expect {
        let (what, arg) = e.split_once(' ').unwrap_or((e, ""));
        let ok = match what {
            "errors" => errors.len() == arg.parse::<usize>().unwrap(),
            "findings" => findings.len() == arg.parse::<usize>().unwrap(),
            "error" => {
                let (l, c, text) = place(arg);
                errors.iter().any(|x| {
                    x["line"] == l
                        && x["column"] == c
                        && x["message"].as_str().unwrap().contains(text)
                })
            }
            "skipped" => skipped
                .iter()
                .any(|s| s["reason"].as_str().unwrap().contains(arg)),
            "finding" => {
                let (control, at) = arg.split_once(' ').unwrap();
                let (l, c, _) = place(at);
                findings.iter().any(|f| {
                    f["control"].as_str().unwrap().ends_with(control)
                        && f["line"] == l
                        && f["column"] == c
                })
            }
            other => panic!("expected.tsv: unknown expectation `{other}`"),
        };
        if !ok {
            return Err(format!("`{e}` does not hold"));
        }
    }
    Ok(())
}

#[test]
fn every_hostile_input_has_its_expected_outcome() {
    let inputs = hostile().join("inputs");
    let cases = cases();
    // Every file of the corpus has a row, and every row a file.
    let listed: BTreeSet<&str> = cases.iter().map(|c| c.path.as_str()).collect();
    let present: BTreeSet<String> = std::fs::read_dir(&inputs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let present: BTreeSet<&str> = present.iter().map(String::as_str).collect();
    assert_eq!(
        listed, present,
        "expected.tsv and tests/hostile/inputs disagree"
    );

    let mut wrong = Vec::new();
    for case in &cases {
        let out = ward(&inputs)
            .args(["check", "--format", "json"])
            .args(&case.flags)
            .arg(&case.path)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.path);
        let code = out.status.code();
        let report: Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                wrong.push(format!(
                    "{}: no JSON report ({e}); stderr: {stderr}",
                    case.path
                ));
                continue;
            }
        };
        if code != Some(case.exit) {
            wrong.push(format!(
                "{} {:?}: exit {code:?}, expected {}",
                case.path, case.flags, case.exit
            ));
        }
        if let Err(e) = check_expectation(case, &report) {
            wrong.push(format!(
                "{} {:?}: {e}\n  errors: {}\n  skipped: {}",
                case.path, case.flags, report["errors"], report["skipped"]
            ));
        }
        // SARIF carries the same errors and findings.
        let out = ward(&inputs)
            .args(["check", "--format", "sarif"])
            .args(&case.flags)
            .arg(&case.path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(case.exit), "{} (sarif)", case.path);
        let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
        let run = &sarif["runs"][0];
        let results = run["results"].as_array().map_or(0, Vec::len);
        // Skipped files are notes; errors are errors.
        let notes = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .map_or(0, |n| n.iter().filter(|x| x["level"] == "error").count());
        let (nf, ne) = (
            report["findings"].as_array().unwrap().len(),
            report["errors"].as_array().unwrap().len(),
        );
        if (results, notes) != (nf, ne) {
            wrong.push(format!(
                "{}: SARIF has {results} results and {notes} notifications, JSON {nf} findings and {ne} errors",
                case.path
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A control that joins every resource with every other over 100,000
/// ConfigMaps (10^10 pairs) stops at the run budget with one error naming
/// it; the other controls still report, and the exit code is 2.
#[test]
fn a_join_of_every_resource_with_every_other_stops_at_the_run_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut items = String::from("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n");
    for i in 0..100_000 {
        if i > 0 {
            items.push_str(",\n");
        }
        items.push_str(&format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"c{i}\",\"namespace\":\"n\"}}}}"
        ));
    }
    items.push_str("\n]}\n");
    std::fs::write(dir.join("export.json"), items).unwrap();
    std::fs::write(
        dir.join("join.ward"),
        r#"package hostile

control every_pair {
  title "No ConfigMap shares a name prefix with another"
  match input.kind == "ConfigMap"
  deny when len([o for o in resources(kind: "ConfigMap") if starts_with(o.metadata.name, input.metadata.name) and o.metadata.name != input.metadata.name]) > 100000
}

control named {
  title "ConfigMaps are not called c7"
  match input.kind == "ConfigMap"
  deny when input.metadata.name == "c7" at input.metadata.name
}
"#,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = ward(dir)
        .args([
            "check",
            "--format",
            "json",
            "--policy",
            "join.ward",
            "--run-budget",
            "30000000",
            "export.json",
        ])
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["control"], "hostile.every_pair");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("30000000") && msg.contains("--run-budget"),
        "{msg}"
    );
    // The other control ran over every resource.
    let named: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["control"] == "hostile.named")
        .collect();
    assert_eq!(named.len(), 1);
    // The budget, not the 10^10 pairs, bounded the run.
    assert!(started.elapsed().as_secs() < 240);
}

/// One resource's evaluation is bounded too: a control that builds a huge
/// list on a single resource stops at the per-resource budget with an error
/// naming the control and the resource.
#[test]
fn one_resource_cannot_take_more_than_the_eval_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("big.ward"),
        r#"package hostile

let xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

control big {
  title "A product that grows without bound"
  match input.kind == "ConfigMap"
  deny when len([a * b * c * d * e * f for a in xs for b in xs for c in xs for d in xs for e in xs for f in xs]) > 0
}
"#,
    )
    .unwrap();
    let out = ward(dir)
        .args([
            "check",
            "--format",
            "json",
            "--policy",
            "big.ward",
            "--eval-budget",
            "10000",
            "cm.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &report["errors"][0];
    assert_eq!(e["control"], "hostile.big");
    assert_eq!(e["resource"]["name"], "c");
    assert!(e["message"].as_str().unwrap().contains("--eval-budget"));
}
