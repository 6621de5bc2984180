//! The `pss-namespaces` pack: Pod Security per namespace, as the namespace
//! labels declare it, over a cluster export.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::body_runs;
use std::path::PathBuf;
use ward_engine::input::Inputs;
use ward_engine::{EngineBuilder, EvalOptions, Finding, Level, LoadOptions, PackRef, Report};

/// The report of `pss-namespaces` over the inputs, with `--set` values.
fn report_of(inputs: &Inputs, sets: &[(&str, &str)], opts: &EvalOptions) -> Report {
    let engine = EngineBuilder::new().build().unwrap();
    let pack = PackRef {
        name: "pss-namespaces".into(),
        version: None,
    };
    let sets: Vec<(String, String)> = sets
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sel = engine.select(&[pack], false, &sets).unwrap();
    let report = engine.evaluate(&sel, inputs, opts);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
}

/// The cluster export of `tests/fixtures/pss`.
fn export() -> Inputs {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/pss/cluster-export.json");
    ward_engine::input::load_paths(&[file.display().to_string()], &LoadOptions::default())
}

fn run(sets: &[(&str, &str)]) -> Vec<Finding> {
    report_of(&export(), sets, &EvalOptions::default()).findings
}

fn of<'a>(fs: &'a [Finding], ns: &str) -> Vec<(&'a str, Level, &'a str)> {
    let mut v: Vec<_> = fs
        .iter()
        .filter(|f| {
            f.resource.namespace == ns || (f.resource.kind == "Namespace" && f.resource.name == ns)
        })
        .map(|f| (&*f.control, f.level, f.profile.as_deref().unwrap_or("")))
        .collect();
    v.sort();
    v
}

#[test]
fn enforce_denies_and_warn_adds_only_what_enforce_did_not() {
    let fs = run(&[]);
    let shop = of(&fs, "shop");
    assert!(
        shop.contains(&(
            "pss.baseline.privileged",
            Level::Deny,
            "baseline:v1.25 (enforce)"
        )),
        "{shop:?}"
    );
    assert!(
        shop.contains(&(
            "pss.restricted.runAsNonRoot",
            Level::Warn,
            "restricted:v1.37 (warn)"
        )),
        "{shop:?}"
    );
    // privileged is reported once, by the enforce level.
    assert_eq!(
        shop.iter()
            .filter(|(c, _, _)| *c == "pss.baseline.privileged")
            .count(),
        1
    );
}

#[test]
fn namespaces_without_a_level_are_reported_and_their_pods_admitted() {
    let fs = run(&[]);
    let legacy = of(&fs, "legacy");
    assert_eq!(
        legacy,
        vec![("pss.cluster.namespace_level", Level::Deny, "v1.37")]
    );
}

#[test]
fn invalid_labels_fail_closed_for_enforce_and_fall_back_to_latest() {
    let fs = run(&[]);
    let strict = of(&fs, "strict");
    assert!(
        strict.contains(&(
            "pss.restricted.runAsNonRoot",
            Level::Deny,
            "restricted:v1.37 (enforce)"
        )),
        "{strict:?}"
    );
    let label_findings: Vec<_> = fs
        .iter()
        .filter(|f| {
            f.control == "pss.cluster.namespace_level".into() && f.resource.name == "strict"
        })
        .map(|f| f.pointer.as_str())
        .collect();
    assert_eq!(
        label_findings,
        vec![
            "/metadata/labels/pod-security.kubernetes.io~1enforce",
            "/metadata/labels/pod-security.kubernetes.io~1enforce-version"
        ]
    );
}

#[test]
fn pinned_versions_apply_their_own_rules() {
    // Restricted at v1.21 has no capabilities_restricted (v1.22) and no
    // seccompProfile_restricted... but it does have seccomp from v1.19.
    let fs = run(&[]);
    let old = of(&fs, "old");
    let controls: Vec<&str> = old.iter().map(|(c, _, _)| *c).collect();
    assert!(
        controls.contains(&"pss.restricted.seccompProfile_restricted"),
        "{old:?}"
    );
    assert!(
        !controls.contains(&"pss.restricted.capabilities_restricted"),
        "{old:?}"
    );
    assert!(!controls.contains(&"pss.restricted.runAsUser"), "{old:?}");
}

#[test]
fn defaults_and_exemptions_are_params() {
    let fs = run(&[("pss.cluster.default_level", "\"baseline\"")]);
    let legacy = of(&fs, "legacy");
    assert!(
        legacy
            .iter()
            .any(|(c, l, _)| *c == "pss.baseline.privileged" && *l == Level::Deny),
        "{legacy:?}"
    );
    let fs = run(&[("exempt_namespaces", "[\"shop\"]")]);
    assert!(of(&fs, "shop").is_empty());
}

#[test]
fn a_namespace_labels_are_read_once_for_all_its_pods() {
    let mut text = String::from(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n",
    );
    for i in 0..6 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: shop}}\nspec:\n  containers:\n  - {{name: app, image: app}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: shop}}\n"
        ));
    }
    let mut inputs = Inputs::default();
    inputs.add_text("shop.yaml", &text, &LoadOptions::default());
    let profiled = EvalOptions {
        profile: true,
        ..EvalOptions::default()
    };
    let report = report_of(&inputs, &[], &profiled);
    let runs = |name: &str| body_runs(&report, name);
    // Every pod is checked at the namespace's level...
    let pods: std::collections::BTreeSet<&str> = report
        .findings
        .iter()
        .filter(|f| f.control == "pss.restricted.runAsNonRoot".into())
        .map(|f| f.resource.name.as_str())
        .collect();
    assert_eq!(pods.len(), 6, "{:?}", report.findings);
    // ...from labels read once for the namespace, not once for each pod,
    // and not at all for the ConfigMaps: seven reads of a label for the
    // profiles, and four for the Namespace's own control.
    assert_eq!(
        runs("pss.cluster.declared_profiles"),
        1,
        "{:?}",
        report.functions
    );
    assert_eq!(runs("pss.cluster.label"), 7 + 4, "{:?}", report.functions);
    // No control of a level takes a ConfigMap or a Namespace: their
    // profiles are not worked out at all.
    assert_eq!(
        runs("pss.cluster.namespace_profiles"),
        6,
        "{:?}",
        report.functions
    );
}

/// The report lists every control of the pack, those of its levels
/// included, and counts resources: a control that runs under two profiles
/// of one pod (baseline to enforce, restricted to warn) counts it once.
#[test]
fn the_report_counts_every_control_of_every_level_once_per_resource() {
    let report = report_of(&export(), &[], &EvalOptions::default());
    let outcome = |id: &str| {
        report
            .outcomes
            .iter()
            .find(|o| o.control == id)
            .map(|o| (o.applied, o.failed))
            .unwrap_or_else(|| panic!("{id} in {:?}", report.outcomes))
    };
    assert_eq!(report.outcomes.len(), 20, "{:?}", report.outcomes);
    // The pods of shop (baseline v1.25 and restricted, twice), strict and
    // old; legacy is privileged. seLinuxOptions reads the profile's version,
    // so it runs under both of shop's profiles.
    assert_eq!(outcome("pss.baseline.seLinuxOptions"), (3, 0));
    // Failed where enforce denies: shop's privileged pod (baseline); its
    // restricted findings only warn, so runAsNonRoot fails on strict alone.
    assert_eq!(outcome("pss.baseline.privileged"), (3, 1));
    assert_eq!(outcome("pss.restricted.runAsNonRoot"), (3, 1));
    assert_eq!(outcome("pss.cluster.namespace_level"), (4, 2));
}
