//! `ward fix` and `ward diff` end to end: a round trip for every control of
//! the built-in packs that has a fix, the diffs as snapshots, exit codes,
//! and drift between two cluster exports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use ward_engine::{Engine, EngineBuilder, Inputs, LoadOptions};

fn ward() -> Command {
    let mut c = Command::cargo_bin("ward").expect("the ward binary is built");
    c.current_dir(repo());
    c.env_remove("NO_COLOR");
    c
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/fix")
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ward-fix-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let o = ward().args(args).output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

/// `ward check --format json` of a file with one pack.
fn check(pack: &str, path: &Path) -> Value {
    let out = run(&[
        "check",
        "--pack",
        pack,
        "--format",
        "json",
        "--fail-on",
        "never",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

fn findings<'v>(report: &'v Value, control: &str) -> Vec<&'v Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["control"] == control && f["waived"].is_null())
        .collect()
}

fn fingerprints(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

/// Each resource of a file as JSON, in load order.
fn documents(name: &str, text: &str) -> Vec<(String, Value)> {
    let mut inputs = Inputs::default();
    inputs.add_text(name, text, &LoadOptions::default());
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    inputs
        .resources
        .iter()
        .map(|r| {
            let id = ward_engine::engine::identity(r);
            (
                format!(
                    "{}/{}/{}/{}",
                    id.api_version, id.kind, id.namespace, id.name
                ),
                r.root().to_json(),
            )
        })
        .collect()
}

/// The JSON pointers at which two values differ: keys added or removed,
/// lists of another length, scalars changed.
fn changed(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => changed(u, v, p, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                changed(u, v, format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(at),
        _ => {}
    }
}

fn under(p: &str, prefix: &str) -> bool {
    p == prefix || p.starts_with(&format!("{prefix}/"))
}

/// The comments of a YAML text: from each `#` that starts a line's content
/// or follows a space.
fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            if t.starts_with('#') {
                return Some(t);
            }
            l.find(" #").map(|i| &l[i + 1..])
        })
        .collect()
}

/// The packs that hold a control, by name.
fn packs_of(engine: &Engine, control: &str) -> Vec<String> {
    let (idx, _) = engine.program.control(control).unwrap();
    engine
        .program
        .packs
        .iter()
        .filter(|p| p.controls.contains(&idx) || p.levels.iter().any(|(_, cs)| cs.contains(&idx)))
        .map(|p| p.name.clone())
        .collect()
}

/// For every control of the built-in packs that has a fix, and every
/// fixture on which one of its packs reports it: `ward fix --write` with
/// only that control's fixes, then `ward check`. The control's findings are
/// gone, no finding is new, the documents changed only at the paths the
/// fixes named, every comment is still there, and documents no fix touched
/// are byte for byte the same. A fixable control with no failing fixture
/// fails the test: add one under tests/fixtures/fix/.
#[test]
fn every_fix_round_trips() {
    let engine = EngineBuilder::new().build().unwrap();
    let fixable = ward_engine::fix::fixable_controls(&engine);
    assert!(fixable.len() >= 20, "{fixable:?}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    let mut reports: HashMap<(String, PathBuf), Value> = HashMap::new();
    let mut missing = Vec::new();
    let mut trips = 0;
    let dir = tempdir("trips");
    for control in &fixable {
        let mut covered = false;
        for pack in packs_of(&engine, control) {
            for file in &files {
                let before = reports
                    .entry((pack.clone(), file.clone()))
                    .or_insert_with(|| check(&pack, file))
                    .clone();
                let failing = findings(&before, control);
                if failing.is_empty() || failing.iter().all(|f| f["fix"].is_null()) {
                    continue;
                }
                covered = true;
                trips += 1;
                let name = file.file_name().unwrap().to_str().unwrap();
                let copy = dir.join(format!("{control}-{pack}-{name}"));
                std::fs::copy(file, &copy).unwrap();
                let fix = run(&[
                    "fix",
                    "--write",
                    "--format",
                    "json",
                    "--pack",
                    &pack,
                    "--control",
                    control,
                    copy.to_str().unwrap(),
                ]);
                let what = format!("{control} ({pack}) on {name}");
                assert_eq!(fix.code, 0, "{what}: {}{}", fix.stdout, fix.stderr);
                let done: Value = serde_json::from_str(&fix.stdout).unwrap();
                assert_eq!(done["unfixed"], serde_json::json!([]), "{what}");
                assert!(
                    done["applied"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|t| t["control"] == control.as_str()),
                    "{what}: fixes of other controls applied"
                );
                let after = check(&pack, &copy);
                // The findings that had a fix are gone; a control's
                // findings without one (an added capability to review)
                // stay.
                let fixed: BTreeSet<&str> = failing
                    .iter()
                    .filter(|f| !f["fix"].is_null())
                    .map(|f| f["fingerprint"].as_str().unwrap())
                    .collect();
                let left: Vec<_> = findings(&after, control)
                    .into_iter()
                    .filter(|f| {
                        !f["fix"].is_null() || fixed.contains(f["fingerprint"].as_str().unwrap())
                    })
                    .collect();
                assert!(left.is_empty(), "{what}: still reported: {left:#?}");
                let new: Vec<_> = fingerprints(&after)
                    .difference(&fingerprints(&before))
                    .cloned()
                    .collect();
                assert!(new.is_empty(), "{what}: new findings {new:?}");
                let old_text = std::fs::read_to_string(file).unwrap();
                let new_text = std::fs::read_to_string(&copy).unwrap();
                assert_ne!(old_text, new_text, "{what}: nothing written");
                for c in comments(&old_text) {
                    assert!(new_text.contains(c), "{what}: lost the comment {c:?}");
                }
                // Where the fixes may change each resource.
                let mut allowed: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for f in done["applied"].as_array().unwrap() {
                    let r = &f["resource"];
                    let key = format!(
                        "{}/{}/{}/{}",
                        r["apiVersion"].as_str().unwrap(),
                        r["kind"].as_str().unwrap(),
                        r["namespace"].as_str().unwrap(),
                        r["name"].as_str().unwrap()
                    );
                    for op in f["fix"].as_array().into_iter().flatten() {
                        let path = op["path"].as_str().unwrap();
                        allowed
                            .entry(key.clone())
                            .or_default()
                            .push(path.to_string());
                    }
                }
                let old_docs = documents(name, &old_text);
                let new_docs = documents(name, &new_text);
                assert_eq!(old_docs.len(), new_docs.len(), "{what}");
                let old_chunks = chunks(&old_text);
                let new_chunks = chunks(&new_text);
                for (i, ((id, a), (id2, b))) in old_docs.iter().zip(&new_docs).enumerate() {
                    assert_eq!(id, id2, "{what}");
                    let mut diffs = Vec::new();
                    changed(a, b, String::new(), &mut diffs);
                    let ok = allowed.get(id).cloned().unwrap_or_default();
                    for d in &diffs {
                        assert!(
                            ok.iter().any(|p| under(d, p)),
                            "{what}: {id} changed at {d}, outside the fix's paths {ok:?}"
                        );
                    }
                    if diffs.is_empty() && old_chunks.len() == old_docs.len() {
                        assert_eq!(
                            old_chunks.get(i),
                            new_chunks.get(i),
                            "{what}: {id} was rewritten"
                        );
                    }
                }
            }
        }
        if !covered {
            missing.push(control.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "no fixture under tests/fixtures/fix/ fails these fixable controls: {missing:?}"
    );
    assert!(trips >= fixable.len());
}

/// The documents of a YAML stream as text, split at `---` lines, without
/// leading parts that hold no document.
fn chunks(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for l in text.lines() {
        if l.trim_end() == "---" {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push_str(l);
            last.push('\n');
        }
    }
    out.retain(|c| c.contains("kind:"));
    out
}
