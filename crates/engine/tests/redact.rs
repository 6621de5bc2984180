//! `redact true`: the values a control's findings point at are masked
//! wherever a report quotes the source (code frames, SARIF snippets, the
//! HTML page's frames), in every form the file holds them, and never
//! written to a report.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use ward_engine::input::{LoadOptions, load_paths};
use ward_engine::report::{html, json, junit, sarif, text};
use ward_engine::{EngineBuilder, EvalOptions};

const POLICY: &str = r#"package demo

control no_literal_passwords {
  title "No literal passwords"
  severity high
  REDACT
  match input.kind == "Pod"
  for c in input.spec.containers {
    for e in c.env ?? [] {
      deny when ends_with(e.name, "PASSWORD") and exists(e.value) at e.value
        fix set e.value = "$(FROM_SECRET)"
    }
  }
}

control no_secret_data {
  title "No Secret data"
  severity high
  REDACT
  match input.kind == "Secret"
  deny when exists(input.data) at input.data
}

control no_latest {
  title "No latest tag"
  severity low
  match input.kind == "Pod"
  for c in input.spec.containers {
    deny when ends_with(c.image, ":latest") at c.image
  }
}
"#;

/// The password as YAML holds it, as the JSON copy in the annotation
/// escapes it, a key written as a block, and a Secret's value.
const MANIFEST: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: api
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"spec":{"containers":[{"env":[{"name":"DB_PASSWORD","value":"pa\"ss-W0rd-1"}]}]}}
spec:
  containers:
  - name: api
    image: shop/api:latest
    env:
    - name: DB_PASSWORD
      value: 'pa"ss-W0rd-1'
    - name: TLS_PASSWORD
      value: |
        -----BEGIN KEY-----
        c2VjcmV0LWtleS1ib2R5
        -----END KEY-----
    - name: LOG_LEVEL
      value: debug
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
data:
  token: dG9rZW4tdmFsdWUtMTIz
"#;

/// Fragments of the secrets that hold no character a report escapes.
const SECRETS: [&str; 3] = ["ss-W0rd-1", "c2VjcmV0LWtleS1ib2R5", "dG9rZW4tdmFsdWUtMTIz"];

/// Every report of the manifest, in order: text (quoting every line),
/// SARIF (as written, and as the value it must equal), HTML, JUnit and
/// JSON.
fn reports(redact: bool) -> Vec<(&'static str, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pod.yaml");
    std::fs::write(&path, MANIFEST).unwrap();
    let policy = POLICY.replace("REDACT", if redact { "redact true" } else { "" });
    let engine = EngineBuilder::std_only()
        .policy("demo.ward", policy)
        .build()
        .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
    let sel = engine.select(&[], true, &[]).unwrap();
    let inputs = load_paths(&[path.display().to_string()], &LoadOptions::default());
    let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
    assert_eq!(report.findings.len(), 4, "{:?}", report.findings);
    let opts = text::TextOptions {
        color: false,
        context: 30,
    };
    vec![
        ("text", text::render(&report, &inputs, opts)),
        ("sarif", sarif::render(&report, &engine, &inputs)),
        (
            "sarif value",
            sarif::to_value(&report, &engine, &inputs, &Default::default()).to_string(),
        ),
        ("html", html::render(&report, &engine, &inputs)),
        ("junit", junit::render(&report, &engine, &inputs)),
        ("json", json::render(&report)),
    ]
}

#[test]
fn reports_quote_the_source_with_the_secrets_masked() {
    for (format, out) in reports(true) {
        for s in SECRETS {
            assert!(!out.contains(s), "{format} shows {s}:\n{out}");
        }
        // What is not a secret is shown as it was, where the source is.
        if ["text", "sarif", "sarif value", "html"].contains(&format) {
            assert!(out.contains("shop/api:latest"), "{format}:\n{out}");
        }
    }
    // The HTML page's diffs of the fixes mask the lines they take out.
    let page = &reports(true)[3].1;
    assert!(page.contains("$(FROM_SECRET)"), "{page}");
    let text = &reports(true)[0].1;
    // Masked in place: as many characters, quotes and keys kept.
    assert!(text.contains("      value: '************'"), "{text}");
    assert!(text.contains("  token: ********************"), "{text}");
    assert!(
        text.contains(r#"{"name":"DB_PASSWORD","value":"*************"}"#),
        "the JSON copy in the annotation, escape and all:\n{text}"
    );
    assert!(text.contains("        ********************\n"), "{text}");
    assert!(text.contains("      value: debug"), "{text}");
}

/// Without `redact true` the same reports show the same values: the
/// masking above is the flag's doing.
#[test]
fn without_redact_the_values_are_quoted() {
    let shown = reports(false);
    for format in ["text", "sarif", "sarif value", "html"] {
        let out = &shown.iter().find(|(f, _)| *f == format).unwrap().1;
        assert!(
            SECRETS.iter().any(|s| out.contains(s)),
            "{format} quotes the source:\n{out}"
        );
    }
}
