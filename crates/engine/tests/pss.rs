//! Pod Security Standards conformance: every upstream Kubernetes fixture in
//! `../shared/conformance/pss/` must get the same allow/deny decision as the
//! admission controller, through the same path as
//! `ward check --pack pss-<level>@<version> --format json`.
//!
//! The fixtures live beside the checkout; when they are absent the test says
//! so and passes, and the repository's own fixtures (policies/pss) still run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use ward_engine::{EngineBuilder, EvalOptions, LoadOptions, PackRef};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/pss")
}

#[test]
fn every_upstream_fixture_agrees() {
    let root = shared();
    let Ok(table) = std::fs::read_to_string(root.join("expectations.tsv")) else {
        eprintln!(
            "conformance fixtures not found at {}; skipping",
            root.display()
        );
        return;
    };
    let violations: HashMap<String, BTreeSet<String>> =
        std::fs::read_to_string(root.join("violations.tsv"))
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter_map(|l| {
                let (path, checks) = l.split_once('\t')?;
                let set = checks
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect();
                Some((path.to_string(), set))
            })
            .collect();
    let engine = EngineBuilder::new().build().unwrap();
    let mut selections = HashMap::new();
    let mut rows = 0;
    let mut wrong_decision = Vec::new();
    let mut wrong_checks = Vec::new();
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [path, level, version, expected, ..] = cols.as_slice() else {
            panic!("bad row: {line}");
        };
        rows += 1;
        let sel = selections
            .entry((level.to_string(), version.to_string()))
            .or_insert_with(|| {
                let pack = PackRef {
                    name: format!("pss-{level}"),
                    version: Some(version.to_string()),
                };
                engine.select(&[pack], false, &[]).unwrap()
            });
        let file = root.join(path).display().to_string();
        let inputs = ward_engine::input::load_paths(&[file], &LoadOptions::default());
        assert!(inputs.errors.is_empty(), "{path}: {:?}", inputs.errors);
        assert_eq!(inputs.resources.len(), 1, "{path}");
        let report = engine.evaluate(sel, &inputs, &EvalOptions::default());
        assert!(report.errors.is_empty(), "{path}: {:?}", report.errors);
        // Read the findings back from the JSON report, as a CI job would.
        let json: serde_json::Value =
            serde_json::from_str(&ward_engine::report::json::render(&report)).unwrap();
        let fired: BTreeSet<String> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["level"] == "deny")
            .map(|f| {
                f["control"]
                    .as_str()
                    .unwrap()
                    .rsplit('.')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let denied = !fired.is_empty();
        if denied != (*expected == "deny") {
            wrong_decision.push(format!("{path}: expected {expected}, fired {fired:?}"));
        }
        if let Some(want) = violations.get(*path)
            && *want != fired
        {
            wrong_checks.push(format!("{path}: expected {want:?}, fired {fired:?}"));
        }
    }
    assert_eq!(rows, 4537, "the table should list every upstream fixture");
    assert!(
        wrong_decision.is_empty(),
        "{} of {rows} fixtures decided differently from upstream:\n{}",
        wrong_decision.len(),
        wrong_decision
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        wrong_checks.is_empty(),
        "{} of {rows} fixtures fired other checks than upstream reports:\n{}",
        wrong_checks.len(),
        wrong_checks
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The upstream check ids, baseline then restricted.
const CHECKS: [&str; 19] = [
    "pss.baseline.appArmorProfile",
    "pss.baseline.capabilities_baseline",
    "pss.baseline.hostNamespaces",
    "pss.baseline.hostPathVolumes",
    "pss.baseline.hostPorts",
    "pss.baseline.hostProbesAndHostLifecycle",
    "pss.baseline.privileged",
    "pss.baseline.procMount",
    "pss.baseline.seLinuxOptions",
    "pss.baseline.seccompProfile_baseline",
    "pss.baseline.sysctls",
    "pss.baseline.windowsHostProcess",
    "pss.restricted.allowPrivilegeEscalation",
    "pss.restricted.capabilities_restricted",
    "pss.restricted.procMount_restricted",
    "pss.restricted.restrictedVolumes",
    "pss.restricted.runAsNonRoot",
    "pss.restricted.runAsUser",
    "pss.restricted.seccompProfile_restricted",
];

/// The `test` blocks under policies/pss (`*_test.ward`, with their
/// fixtures) cover what the upstream fixtures do not: ephemeral containers,
/// the AppArmor fields, every workload kind, exemptions. They run as
/// `ward test policies/pss --require-coverage` does: every test passes,
/// every control there has a failing and a passing case, and every `deny`
/// fires in some test.
#[test]
fn policy_tests_pass_and_cover_every_control() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies/pss");
    let engine = EngineBuilder::std_only()
        .policy_path(&dir)
        .unwrap()
        .build()
        .unwrap_or_else(|e| panic!("{e}: {:#?}", e.diagnostics));
    // The files loaded from the folder, not the embedded standard library.
    let files: HashSet<_> = engine
        .sources
        .files()
        .filter(|(_, f)| !f.name.starts_with("<ward>/"))
        .map(|(id, _)| id)
        .collect();
    let run = engine.run_tests(Some(&files));
    assert!(!run.results.is_empty(), "no tests under {}", dir.display());
    let failed: Vec<String> = run
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            format!(
                "{}:{}: {}\n    {}",
                r.file,
                r.line,
                r.name,
                r.failures.join("\n    ")
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} tests failed:\n{}",
        failed.len(),
        run.results.len(),
        failed.join("\n")
    );
    let covered: BTreeSet<&str> = run.coverage.iter().map(|c| c.control.as_str()).collect();
    for check in CHECKS {
        assert!(covered.contains(check), "{check} is not under policies/pss");
    }
    let uncovered: Vec<String> = run
        .uncovered()
        .map(|c| format!("{} ({})", c.control, c.missing()))
        .collect();
    assert!(
        uncovered.is_empty(),
        "controls without both a failing and a passing test:\n{}",
        uncovered.join("\n")
    );
    assert!(run.unreached.is_empty(), "{:#?}", run.unreached);
}
