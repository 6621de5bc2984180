//! `ward fix` and `ward diff` end to end: a round trip for every control of
//! the built-in packs that has a fix, the diffs as snapshots, exit codes,
//! and drift between two cluster exports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use ward_engine::{Engine, EngineBuilder, Inputs, LoadOptions};

mod common;
use common::{repo, ward};

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/fix")
}

fn tempdir(tag: &str) -> PathBuf {
    // Under the target folder, as the other CLI tests' are: not left in
    // the system's temporary folder run after run.
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ward-fix-{}-{tag}", std::process::id()));
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

const ALL_PACKS: [&str; 8] = [
    "--pack",
    "pss-restricted",
    "--pack",
    "checklist",
    "--pack",
    "cis-k8s",
    "--pack",
    "pss-namespaces",
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// The diff `ward fix` prints for the fixtures with every pack: several
/// documents per file, Helm output with its `{}`, a JSON list export.
#[test]
fn fix_prints_a_unified_diff_of_every_fixture() {
    let mut args = vec!["fix", "tests/fixtures/fix"];
    args.extend(ALL_PACKS);
    let out = run(&args);
    assert_eq!(out.code, 1, "fixes are pending: {}", out.stderr);
    insta::assert_snapshot!("fix_diff_fixtures", out.stdout);
    insta::assert_snapshot!("fix_summary_fixtures", out.stderr);
    // `--diff` is the default spelled out.
    args.push("--diff");
    let again = run(&args);
    assert_eq!((again.code, again.stdout), (1, out.stdout));
}

/// `--write` applies every fix; `ward check` then reports none of the
/// findings that had one, comments and Helm's `# Source:` lines are kept,
/// and a second `ward fix` has nothing to do.
#[test]
fn fix_write_leaves_nothing_to_fix() {
    let dir = tempdir("write");
    copy_dir(&fixtures(), &dir);
    let originals: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    let d = dir.to_str().unwrap();
    let mut args = vec!["fix", "--write", d];
    args.extend(ALL_PACKS);
    let out = run(&args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("fixed "), "{}", out.stdout);
    assert!(!out.stderr.contains("not fixed"), "{}", out.stderr);
    assert!(
        out.stderr.contains("shop/templates/deployment.yaml"),
        "Helm output is pointed back at its templates: {}",
        out.stderr
    );
    for (p, before) in &originals {
        let after = std::fs::read_to_string(p).unwrap();
        for c in comments(before) {
            assert!(after.contains(c), "{}: lost {c:?}", p.display());
        }
    }
    let mut check_args = vec!["check", "--format", "json", "--fail-on", "never", d];
    check_args.extend(ALL_PACKS);
    let c = run(&check_args);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let report: Value = serde_json::from_str(&c.stdout).unwrap();
    let with_fix: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["fix"].is_null())
        .collect();
    assert!(with_fix.is_empty(), "{with_fix:#?}");
    let mut again = vec!["fix", d];
    again.extend(ALL_PACKS);
    let out = run(&again);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("0 fixes to apply in 0 files"),
        "{}",
        out.stderr
    );
}

/// A fix whose edit would also change another container (through a YAML
/// anchor) is reported with its file, line, control and reason, and the
/// file is left alone.
#[test]
fn fix_reports_what_it_cannot_prove() {
    let dir = tempdir("anchors");
    let file = dir.join("twins.yaml");
    let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: twins
spec:
  containers:
    - name: a
      image: registry.example.com/a:1
      securityContext: &shared
        privileged: true
    - name: b
      image: registry.example.com/b:1
      securityContext: *shared
";
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();
    let out = run(&["fix", "--write", "--pack", "pss-baseline", f]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    assert!(
        out.stderr.contains(&format!(
            "not fixed: {f}:10: pss.baseline.privileged (Pod/twins /spec/containers/0/securityContext/privileged): no edit of the text could be verified"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("0 fixes applied in 0 files, 2 not fixed"),
        "{}",
        out.stderr
    );
    let json = run(&["fix", "--format", "json", "--pack", "pss-baseline", f]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["unfixed"].as_array().unwrap().len(), 2);
    assert_eq!(v["unfixed"][0]["line"], 10);
    assert_eq!(v["applied"], serde_json::json!([]));
}

#[test]
fn fix_shows_fixes_for_standard_input_but_cannot_write_it() {
    let text = std::fs::read_to_string(fixtures().join("windows.yaml")).unwrap();
    let out = ward()
        .args(["fix", "--pack", "pss-baseline", "-"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.starts_with("--- -\n+++ -\n"), "{diff}");
    assert!(diff.contains("+      hostProcess: false\n"), "{diff}");
    let out = ward()
        .args(["fix", "--write", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("cannot write standard input")
    );
}

#[test]
fn fix_exit_codes() {
    // Nothing to fix.
    let out = run(&["fix", "examples/microservices"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    // A missing path, an unknown pack, --diff with --write.
    assert_eq!(run(&["fix", "no/such/path"]).code, 2);
    assert_eq!(run(&["fix", "--pack", "nope", "."]).code, 2);
    assert_eq!(run(&["fix", "--diff", "--write", "."]).code, 2);
    let unknown = run(&["fix", "--control", "pss.nope", "."]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("`--control pss.nope`"),
        "{}",
        unknown.stderr
    );
    let help = run(&["fix", "--help"]);
    assert!(help.stdout.contains("Exit codes:"), "{}", help.stdout);
    assert!(help.stdout.contains("1  fixes pending"), "{}", help.stdout);
    assert!(help.stdout.contains("--control <ID>"), "{}", help.stdout);
}

/// `--control` takes one control's fixes, or a package's.
#[test]
fn fix_takes_only_the_controls_asked_for() {
    let f = "tests/fixtures/fix/workloads.yaml";
    let v = |args: &[&str]| -> Value {
        let mut a = vec![
            "fix",
            "--format",
            "json",
            "--pack",
            "pss-restricted",
            "--pack",
            "cis-k8s",
        ];
        a.extend(args);
        a.push(f);
        serde_json::from_str(&run(&a).stdout).unwrap()
    };
    let one = v(&["--control", "cis.k8s.host_pid"]);
    let controls: BTreeSet<&str> = one["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["control"].as_str().unwrap())
        .collect();
    assert_eq!(controls, BTreeSet::from(["cis.k8s.host_pid"]));
    let pkg = v(&["--control", "pss.restricted"]);
    let applied = pkg["applied"].as_array().unwrap();
    assert!(applied.len() > 2);
    assert!(applied.iter().all(|t| {
        t["control"]
            .as_str()
            .unwrap()
            .starts_with("pss.restricted.")
    }));
}

/// A file that does not load cleanly gets no edit (none could be proven);
/// the other files are still fixed, and the error makes the exit code 2.
#[test]
fn fix_leaves_broken_files_alone() {
    let dir = tempdir("broken");
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: x\n      securityContext:\n        privileged: true\n";
    // A duplicate key: loaded with an error, the later value used.
    let broken = pod.replace("spec:\n", "spec:\n  hostPID: false\n  hostPID: true\n");
    std::fs::write(dir.join("broken.yaml"), &broken).unwrap();
    std::fs::write(dir.join("good.yaml"), pod).unwrap();
    let d = dir.to_str().unwrap();
    let out = run(&["fix", "--write", "--pack", "pss-baseline", d]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("broken.yaml")).unwrap(),
        broken
    );
    assert!(
        std::fs::read_to_string(dir.join("good.yaml"))
            .unwrap()
            .contains("privileged: false"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("does not load cleanly (line "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("error: "), "{}", out.stderr);
}

#[test]
fn host_ports_are_fixed_only_off_the_host_network() {
    // On the host network the API server sets every container port as a
    // host port: removing `hostPort` would change nothing, so the finding
    // offers no fix there (`fix when`), in both packs that check it.
    let dir = tempdir("host-ports");
    let path = dir.join("pods.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: off}\nspec:\n  containers:\n  - name: a\n    image: a\n    ports: [{containerPort: 80, hostPort: 8080}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: on}\nspec:\n  hostNetwork: true\n  containers:\n  - name: a\n    image: a\n    ports: [{containerPort: 80, hostPort: 80}]\n",
    )
    .unwrap();
    for (pack, control) in [
        ("pss-baseline", "pss.baseline.hostPorts"),
        ("cis-k8s", "cis.k8s.host_ports"),
    ] {
        let report = check(pack, &path);
        let found = findings(&report, control);
        let by_pod = |name: &str| {
            let mut of = found
                .iter()
                .filter(|f| f["resource"]["name"] == name)
                .collect::<Vec<_>>();
            assert_eq!(of.len(), 1, "{control} on {name}: {found:#?}");
            of.remove(0)
        };
        let off = by_pod("off");
        assert_eq!(off["pointer"], "/spec/containers/0/ports/0/hostPort");
        assert_eq!(
            off["fix"],
            serde_json::json!([{"op": "remove", "path": "/spec/containers/0/ports/0/hostPort"}]),
            "{control}"
        );
        let on = by_pod("on");
        assert_eq!(on["pointer"], "/spec/containers/0/ports/0/hostPort");
        assert!(on["fix"].is_null(), "{control}: {on:#?}");
    }
}
