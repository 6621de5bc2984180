//! Each waiver rule: scope, globs, expiry, unused waivers, inline
//! annotations, non-waivable controls and malformed files.

use super::*;
use crate::input::LoadOptions;
use crate::{EngineBuilder, PackRef};

const POLICY: &str = r#"package t

control privileged {
  title "No privileged containers"
  severity high
  match input.kind == "Pod"
  for c in input.spec.containers ?? [] {
    deny when c.securityContext.privileged == true at c.securityContext.privileged
      message "`{c.name}` is privileged"
  }
}

control host_network {
  title "No host network"
  waivable false
  match input.kind == "Pod"
  deny when input.spec.hostNetwork == true at input.spec.hostNetwork message "host network"
}

pack t { version "1.0.0" include t.* }
"#;

const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  hostNetwork: true
  containers:
  - name: app
    securityContext: {privileged: true}
  - name: sidecar
    securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  annotations:
    ward.dev/waive.t.privileged: \"break-glass pod, deleted after use\"
spec:
  containers:
  - name: shell
    securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata:
  name: clean
  namespace: shop
  annotations:
    ward.dev/waive.t.privileged: \"nothing to waive here\"
spec:
  containers:
  - name: app
";

const TODAY: Date = Date {
    year: 2026,
    month: 6,
    day: 1,
};

struct Run {
    report: Report,
    audit: Vec<Finding>,
}

fn engine() -> Engine {
    EngineBuilder::std_only()
        .policy("t.ward", POLICY)
        .build()
        .map_err(|e| e.diagnostics)
        .expect("the policy checks")
}

/// The pods, and the report of the pack over them before any waiver.
fn evaluated(engine: &Engine) -> (Inputs, Report) {
    let sel = engine
        .select(
            &[PackRef {
                name: "t".into(),
                version: None,
            }],
            false,
            &[],
        )
        .expect("selected");
    let mut inputs = Inputs::default();
    inputs.add_text("pods.yaml", PODS, &LoadOptions::default());
    let report = engine.evaluate(&sel, &inputs, &Default::default());
    (inputs, report)
}

fn run_with(waivers: &str, inline: bool) -> Run {
    let engine = engine();
    let (inputs, mut report) = evaluated(&engine);
    let w = Waivers::parse("waivers.yaml", waivers, &engine.program);
    let audit = apply(
        &engine,
        &inputs,
        &mut report,
        &w,
        &ApplyOptions {
            today: TODAY,
            inline,
        },
    );
    Run { report, audit }
}

fn run(waivers: &str) -> Run {
    run_with(waivers, true)
}

/// `(control, resource name, container pointer prefix, waived reason)`.
fn waived(r: &Run) -> Vec<(String, String, String, Option<String>)> {
    r.report
        .findings
        .iter()
        .map(|f| {
            (
                f.control.to_string(),
                f.resource.name.clone(),
                f.pointer.clone(),
                f.waived.as_ref().map(|w| w.reason.clone()),
            )
        })
        .collect()
}

fn reason_of(r: &Run, name: &str, pointer: &str) -> Option<String> {
    r.report
        .findings
        .iter()
        .find(|f| f.resource.name == name && f.pointer == pointer)
        .and_then(|f| f.waived.as_ref().map(|w| w.reason.clone()))
}

const APP: &str = "/spec/containers/0/securityContext/privileged";
const SIDECAR: &str = "/spec/containers/1/securityContext/privileged";

#[test]
fn without_waivers_only_annotations_apply() {
    let r = run("waivers: []\n");
    assert!(r.report.errors.is_empty(), "{:?}", r.report.errors);
    assert_eq!(waived(&r).len(), 4);
    assert_eq!(reason_of(&r, "web", APP), None);
    assert_eq!(
        reason_of(&r, "debug", APP).as_deref(),
        Some("break-glass pod, deleted after use")
    );
    let f = r
        .report
        .findings
        .iter()
        .find(|f| f.resource.name == "debug")
        .expect("a finding");
    assert_eq!(
        f.waived.as_ref().map(|w| w.source.as_str()),
        Some("annotation")
    );
    // The annotation on a pod the control passes is reported as unused.
    let unused: Vec<&Finding> = r
        .audit
        .iter()
        .filter(|f| f.control == UNUSED.into())
        .collect();
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0].resource.name, "clean");
    assert_eq!(
        unused[0].pointer,
        "/metadata/annotations/ward.dev~1waive.t.privileged"
    );
    assert_eq!(unused[0].line, 31);
    // The outcome counts the waived pod as waived, not failed.
    let o = r
        .report
        .outcomes
        .iter()
        .find(|o| o.control == "t.privileged")
        .expect("an outcome");
    assert_eq!((o.failed, o.waived), (1, 1));
}

#[test]
fn inline_waivers_can_be_turned_off() {
    let r = run_with("waivers: []\n", false);
    assert_eq!(reason_of(&r, "debug", APP), None);
    assert!(r.audit.is_empty());
}

#[test]
fn scope_narrows_by_namespace_name_kind_and_container() {
    let r = run("waivers:\n\
         - control: t.privileged\n  reason: the sidecar needs it\n  owner: platform\n  ticket: SEC-12\n  expires: 2026-12-31\n  namespace: shop\n  kind: Pod\n  name: web\n  container: side*\n");
    assert!(r.report.errors.is_empty(), "{:?}", r.report.errors);
    assert_eq!(reason_of(&r, "web", APP), None);
    assert_eq!(
        reason_of(&r, "web", SIDECAR).as_deref(),
        Some("the sidecar needs it")
    );
    let f = r
        .report
        .findings
        .iter()
        .find(|f| f.pointer == SIDECAR)
        .and_then(|f| f.waived.clone())
        .expect("waived");
    assert_eq!(f.owner.as_deref(), Some("platform"));
    assert_eq!(f.ticket.as_deref(), Some("SEC-12"));
    assert_eq!(f.expires.as_deref(), Some("2026-12-31"));
    assert_eq!(f.source, "file");
    assert!(
        r.audit.iter().all(|a| a.file != "waivers.yaml".into()),
        "{:?}",
        r.audit
    );
}

#[test]
fn pointer_and_control_globs_match() {
    let r = run("waivers:\n\
         - control: \"t.priv*\"\n  reason: all of web\n  name: web\n  pointer: /spec/containers/*/securityContext/privileged\n");
    assert!(r.report.errors.is_empty(), "{:?}", r.report.errors);
    assert_eq!(reason_of(&r, "web", APP).as_deref(), Some("all of web"));
    assert_eq!(reason_of(&r, "web", SIDECAR).as_deref(), Some("all of web"));
    // `*` in a pointer stops at `/`.
    let r = run("waivers:\n- control: t.privileged\n  reason: r\n  pointer: /spec/*\n");
    assert_eq!(reason_of(&r, "web", APP), None);
    assert_eq!(r.audit.len(), 2, "{:?}", r.audit);
}

#[test]
fn namespace_default_matches_resources_that_name_none() {
    let r = run("waivers:\n- control: t.privileged\n  reason: lab\n  namespace: default\n");
    assert_eq!(
        reason_of(&r, "debug", APP).as_deref(),
        Some("break-glass pod, deleted after use")
    );
    let r = run_with(
        "waivers:\n- control: t.privileged\n  reason: lab\n  namespace: default\n",
        false,
    );
    assert_eq!(reason_of(&r, "debug", APP).as_deref(), Some("lab"));
    assert_eq!(reason_of(&r, "web", APP), None);
}

#[test]
fn an_expired_waiver_stops_applying_and_is_reported() {
    let r = run("waivers:\n\
         - control: t.privileged\n  reason: until the migration\n  owner: ops\n  expires: 2026-06-01\n  name: web\n");
    assert!(r.report.errors.is_empty(), "{:?}", r.report.errors);
    assert_eq!(reason_of(&r, "web", APP), None);
    assert_eq!(reason_of(&r, "web", SIDECAR), None);
    let expired: Vec<&Finding> = r
        .audit
        .iter()
        .filter(|f| f.control == EXPIRED.into())
        .collect();
    assert_eq!(expired.len(), 1);
    let e = expired[0];
    assert_eq!(&*e.file, "waivers.yaml");
    assert_eq!((e.line, e.column), (2, 3));
    assert_eq!(e.level, Level::Warn);
    assert_eq!(e.pointer, "/waivers/0");
    assert_eq!(
        &*e.message,
        "the waiver of `t.privileged` (owner ops) expired on 2026-06-01; the 2 findings it covered count again"
    );
    // The day before, it applies.
    let r =
        run("waivers:\n- control: t.privileged\n  reason: r\n  expires: 2026-06-02\n  name: web\n");
    assert_eq!(reason_of(&r, "web", APP).as_deref(), Some("r"));
    assert!(r.audit.iter().all(|f| f.control != EXPIRED.into()));
}

#[test]
fn a_waiver_that_matches_nothing_is_reported() {
    let r = run(
        "waivers:\n- control: t.privileged\n  reason: r\n  name: web\n- control: t.privileged\n  reason: old\n  name: gone\n",
    );
    let unused: Vec<&Finding> = r
        .audit
        .iter()
        .filter(|f| f.control == UNUSED.into() && f.file == "waivers.yaml".into())
        .collect();
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0].line, 5);
    assert_eq!(unused[0].pointer, "/waivers/1");
    assert!(
        unused[0].message.contains("waives no finding"),
        "{}",
        unused[0].message
    );
}

#[test]
fn non_waivable_controls_are_never_waived() {
    let r = run("waivers:\n- control: \"t.*\"\n  reason: everything\n");
    let hn = r
        .report
        .findings
        .iter()
        .find(|f| f.control == "t.host_network".into())
        .expect("a finding");
    assert!(hn.waived.is_none());
    // Naming it is an error at its line.
    let r = run("waivers:\n- control: t.host_network\n  reason: please\n");
    let e = r.report.errors.first().expect("an error");
    assert_eq!(e.kind, ErrorKind::Config);
    assert_eq!(e.file.as_deref(), Some("waivers.yaml"));
    assert_eq!(e.line, 2);
    assert!(e.message.contains("not waivable"), "{}", e.message);
}

#[test]
fn a_non_waivable_control_in_an_annotation_is_an_error() {
    let engine = engine();
    let sel = engine
        .select(
            &[PackRef {
                name: "t".into(),
                version: None,
            }],
            false,
            &[],
        )
        .expect("selected");
    let mut inputs = Inputs::default();
    inputs.add_text(
        "p.yaml",
        "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    ward.dev/waive.t.host_network: \"because\"\n    ward.dev/waive.t.nope: \"x\"\n    ward.dev/waive.t.privileged: \"\"\nspec: {hostNetwork: true}\n",
        &LoadOptions::default(),
    );
    let mut report = engine.evaluate(&sel, &inputs, &Default::default());
    apply(
        &engine,
        &inputs,
        &mut report,
        &Waivers::default(),
        &ApplyOptions {
            today: TODAY,
            inline: true,
        },
    );
    let msgs: Vec<(usize, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert_eq!(msgs[0].0, 5);
    assert!(msgs[0].1.contains("is not waivable"), "{}", msgs[0].1);
    assert_eq!(msgs[1].0, 6);
    assert!(
        msgs[1].1.contains("there is no control `t.nope`"),
        "{}",
        msgs[1].1
    );
    assert_eq!(msgs[2].0, 7);
    assert!(msgs[2].1.contains("has no reason"), "{}", msgs[2].1);
    assert!(report.findings.iter().all(|f| f.waived.is_none()));
}

/// `(line, message)` of each error of a waivers file.
fn errors(text: &str) -> Vec<(usize, String)> {
    let w = Waivers::parse("w.yaml", text, &engine().program);
    w.errors.into_iter().map(|e| (e.line, e.message)).collect()
}

#[test]
fn malformed_waivers_are_errors_with_their_line() {
    assert_eq!(
        errors("waivers:\n- control: t.privileged\n"),
        [(
            2,
            "waiver 1 has no `reason`; every waiver says why".to_string()
        )]
    );
    assert_eq!(
        errors("waivers:\n- reason: r\n"),
        [(2, "waiver 1 has no `control`".to_string())]
    );
    assert_eq!(
        errors("waivers:\n- control: t.privileged\n  reason: r\n  expires: next week\n"),
        [(
            4,
            "`expires: next week` is not a date; write YYYY-MM-DD".to_string()
        )]
    );
    assert_eq!(
        errors("waivers:\n- control: t.privileged\n  reason: r\n  expires: 2026-02-30\n"),
        [(
            4,
            "`expires: 2026-02-30` is not a date; write YYYY-MM-DD".to_string()
        )]
    );
    assert_eq!(
        errors("waivers:\n- control: t.privileged\n  reason: r\n  nmae: web\n"),
        [(
            4,
            "unknown field `nmae` in waiver 1; did you mean `name`?".to_string()
        )]
    );
    assert_eq!(
        errors("waivers:\n- control: t.privilegd\n  reason: r\n"),
        [(
            2,
            "there is no control `t.privilegd`; did you mean `t.privileged`?".to_string()
        )]
    );
    assert_eq!(
        errors("waivers:\n- control: privileged\n  reason: r\n"),
        [(
            2,
            "there is no control `privileged`; did you mean `t.privileged`?".to_string()
        )]
    );
    assert_eq!(
        errors("waivers:\n- control: \"x.*\"\n  reason: r\n"),
        [(2, "`x.*` matches no control".to_string())]
    );
    assert_eq!(
        errors("waivers:\n- control: t.privileged\n  reason: r\n  name: \"[a\"\n"),
        [(
            4,
            "`name: [a` is not a valid pattern: unclosed character class; missing ']'".to_string()
        )]
    );
    assert_eq!(
        errors("waivers: {}\n"),
        [(1, "`waivers` must be a list".to_string())]
    );
    assert_eq!(
        errors("waiver: []\n"),
        [
            (
                1,
                "unknown field `waiver`; a waivers file has one field, `waivers`".to_string()
            ),
            (1, "no `waivers` list".to_string())
        ]
    );
    assert_eq!(
        errors("waivers:\n- just a string\n"),
        [(
            2,
            "waiver 1 must be a mapping with `control` and `reason`".to_string()
        )]
    );
    let yaml = errors("waivers: [\n");
    assert_eq!(yaml.len(), 1);
    assert!(yaml[0].1.starts_with("invalid YAML"), "{yaml:?}");
    // A malformed waiver is left out; the good ones still count.
    let w = Waivers::parse(
        "w.yaml",
        "waivers:\n- control: t.privileged\n  reason: ok\n- control: t.privileged\n",
        &engine().program,
    );
    assert_eq!(w.entries.len(), 1);
    assert_eq!(w.errors.len(), 1);
}

#[test]
fn dates() {
    assert_eq!(
        Date::parse("2024-02-29"),
        Some(Date {
            year: 2024,
            month: 2,
            day: 29
        })
    );
    assert_eq!(Date::parse("2023-02-29"), None);
    assert_eq!(Date::parse("2023-13-01"), None);
    assert_eq!(Date::parse("2023-1-01"), None);
    assert_eq!(Date::from_unix(0).to_string(), "1970-01-01");
    assert_eq!(Date::from_unix(1_709_164_800).to_string(), "2024-02-29");
    assert_eq!(Date::from_unix(951_782_400).to_string(), "2000-02-29");
}

/// A pattern without a wildcard matches as its glob would: itself alone.
#[test]
fn literal_patterns_match_as_their_globs() {
    let texts = [
        "shop", "Shop", "shop ", "web-1", "a.b", "a/b", "/spec/x", "", "x.y/z",
    ];
    for p in texts.iter().filter(|t| !t.is_empty()) {
        for path in [false, true] {
            let pat = Pattern::new(p, path).unwrap();
            assert!(pat.literal, "{p}");
            for s in texts {
                assert_eq!(pat.is_match(s), pat.glob.is_match(s), "{p} against {s}");
            }
        }
    }
    for p in ["sh*", "s?op", "[s]hop", "{shop,web}", "a\\*"] {
        assert!(!Pattern::new(p, false).unwrap().literal, "{p}");
    }
}

/// Waivers applied as `apply` does (matched on all cores, by control) are
/// what taking each finding in turn and each waiver in the file's order
/// gives: the same findings waived by the same waivers, and the same
/// expired and unused waivers reported, on random waivers files.
#[test]
fn waivers_apply_as_taken_in_turn() {
    let mut seed = 11u64;
    let mut pick = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let engine = engine();
    for round in 0..150 {
        let mut text = String::from("waivers:\n");
        for i in 0..1 + pick(6) {
            let control = ["t.privileged", "t.*", "t.priv*", "t.{privileged,other}"][pick(4)];
            text.push_str(&format!("- control: \"{control}\"\n  reason: r{i}\n"));
            let scopes: [(&str, &[&str]); 6] = [
                ("namespace", &["shop", "default", "sh*", "other"]),
                ("kind", &["Pod", "P*", "Deployment"]),
                ("name", &["web", "debug", "*e*", "clean"]),
                ("container", &["app", "sidecar", "shell", "*"]),
                (
                    "pointer",
                    &["/spec/**", "/spec/containers/0/**", "/metadata/*"],
                ),
                ("expires", &["2020-01-01", "2099-01-01"]),
            ];
            for (field, values) in scopes {
                if pick(3) == 0 {
                    let v = values[pick(values.len())];
                    // A date is written as YAML writes one, unquoted.
                    let v = if field == "expires" {
                        v.to_string()
                    } else {
                        format!("\"{v}\"")
                    };
                    text.push_str(&format!("  {field}: {v}\n"));
                }
            }
        }
        let inline = pick(2) == 0;
        let got = run_with(&text, inline);
        // Taken in turn.
        let mut want = evaluated(&engine);
        let w = Waivers::parse("waivers.yaml", &text, &engine.program);
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        let mut used = vec![0; w.entries.len()];
        let mut lapsed = vec![0; w.entries.len()];
        for f in &mut want.1.findings {
            if f.control.as_ref() == "t.host_network" {
                continue;
            }
            let annotated = inline
                && want.0.resources.iter().any(|r| {
                    r.name() == f.resource.name
                        && annotations(r).iter().any(|(c, _)| *c == &*f.control)
                });
            if annotated {
                f.waived = Some(Box::new(Suppression {
                    reason: "annotation".into(),
                    owner: None,
                    ticket: None,
                    expires: None,
                    source: "annotation".into(),
                }));
                continue;
            }
            let r = want
                .0
                .resources
                .iter()
                .find(|r| r.name() == f.resource.name);
            let mut container = || r.and_then(|r| container_name(r, &f.pointer));
            for (i, x) in w.entries.iter().enumerate() {
                if x.control.is_match(&f.control) && x.covers(f, &mut container) {
                    if x.expired(TODAY) {
                        lapsed[i] += 1;
                        continue;
                    }
                    used[i] += 1;
                    f.waived = Some(Box::new(x.suppression()));
                    break;
                }
            }
        }
        let by = |fs: &[Finding]| -> Vec<(String, String, Option<String>)> {
            fs.iter()
                .map(|f| {
                    (
                        f.resource.name.clone(),
                        f.pointer.clone(),
                        f.waived.as_ref().map(|s| {
                            if s.source == "annotation" {
                                "annotation".to_string()
                            } else {
                                s.reason.clone()
                            }
                        }),
                    )
                })
                .collect()
        };
        assert_eq!(
            by(&got.report.findings),
            by(&want.1.findings),
            "round {round}:\n{text}"
        );
        let audit: Vec<(String, String, String)> = got
            .audit
            .iter()
            .filter(|f| f.resource.kind == "Waiver")
            .map(|f| {
                (
                    f.control.to_string(),
                    f.pointer.clone(),
                    f.message.to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String, String)> = w
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, x)| {
                let at = format!("/waivers/{}", x.index);
                if x.expired(TODAY) {
                    let what = match lapsed[i] {
                        0 => "it would waive nothing now".to_string(),
                        1 => "the finding it covered counts again".to_string(),
                        n => format!("the {n} findings it covered count again"),
                    };
                    Some((EXPIRED.to_string(), at, what))
                } else if used[i] == 0 {
                    Some((UNUSED.to_string(), at, "waives no finding".to_string()))
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(audit.len(), expected.len(), "round {round}:\n{text}");
        for (a, e) in audit.iter().zip(&expected) {
            assert!(
                a.0 == e.0 && a.1 == e.1 && a.2.contains(&e.2),
                "round {round}: {a:?} is not {e:?}\n{text}"
            );
        }
    }
}
