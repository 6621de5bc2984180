//! GitHub Actions workflows to `kind: GitHubWorkflow`.

use super::{CiError, empty_obj, header, is_list, is_obj, one_or_many};
use crate::value::doc::{Doc, DocBuilder, NodeRef, Pos};

/// Normalises a workflow document; `None` when its root is not a mapping.
pub fn workflow(doc: &Doc, name: &str) -> Option<(Doc, Vec<CiError>)> {
    let root = doc.root();
    if !is_obj(root) {
        return None;
    }
    let pos = root.pos();
    let mut errors = Vec::new();
    let mut b = DocBuilder::with_capacity(doc.len() + doc.len() / 2, 0);
    b.begin_obj(pos);
    header(&mut b, "GitHubWorkflow", name, pos);
    for (k, v) in root.entries() {
        match k.as_str() {
            "apiVersion" | "kind" | "metadata" | "triggers" => {}
            "jobs" => {
                b.key(k);
                jobs(&mut b, v, &mut errors);
            }
            _ => {
                b.key(k);
                b.copy(v);
            }
        }
    }
    b.key_str("triggers");
    triggers(&mut b, root.get_str("on"), pos);
    if root.get_str("jobs").is_none() {
        errors.push(CiError::new(
            pos,
            "the workflow has no `jobs`: expected a mapping of job ids to jobs",
        ));
        b.key_str("jobs");
        empty_obj(&mut b, pos);
    }
    b.end();
    Some((b.finish(), errors))
}

/// The event names of `on:` (a name, a list of names or a mapping).
fn triggers(b: &mut DocBuilder, on: Option<NodeRef<'_>>, pos: Pos) {
    match on {
        Some(on) if is_obj(on) => {
            b.begin_list(on.pos());
            for (k, _) in on.entries() {
                b.str(k.as_str(), on.pos());
            }
            b.end();
        }
        other => one_or_many(b, other, pos),
    }
}

fn jobs(b: &mut DocBuilder, v: NodeRef<'_>, errors: &mut Vec<CiError>) {
    if !is_obj(v) {
        errors.push(CiError::new(
            v.pos(),
            "expected `jobs` to be a mapping of job ids to jobs",
        ));
        empty_obj(b, v.pos());
        return;
    }
    b.begin_obj(v.pos());
    for (id, job) in v.entries() {
        if !is_obj(job) {
            errors.push(CiError::new(
                job.pos(),
                format!("expected the job `{}` to be a mapping", id.as_str()),
            ));
            continue;
        }
        b.key(id);
        let pos = job.pos();
        b.begin_obj(pos);
        for (k, x) in job.entries() {
            match k.as_str() {
                "id" | "runs_on" => {}
                "needs" => {
                    b.key(k);
                    one_or_many(b, Some(x), pos);
                }
                "steps" => {
                    b.key(k);
                    steps(b, x, id.as_str(), errors);
                }
                _ => {
                    b.key(k);
                    b.copy(x);
                }
            }
        }
        b.key_str("id");
        b.str(id.as_str(), pos);
        if job.get_str("name").is_none() {
            b.key_str("name");
            b.str(id.as_str(), pos);
        }
        b.key_str("runs_on");
        runs_on(b, job.get_str("runs-on"), pos);
        for key in ["needs", "steps"] {
            if job.get_str(key).is_none() {
                b.key_str(key);
                b.begin_list(pos);
                b.end();
            }
        }
        b.end();
    }
    b.end();
}

/// `runs-on` as a list of labels: a label, a list of labels, or the
/// `labels` of `{group, labels}`.
fn runs_on(b: &mut DocBuilder, v: Option<NodeRef<'_>>, pos: Pos) {
    match v {
        Some(v) if is_obj(v) => one_or_many(b, v.get_str("labels"), v.pos()),
        other => one_or_many(b, other, pos),
    }
}

fn steps(b: &mut DocBuilder, v: NodeRef<'_>, job: &str, errors: &mut Vec<CiError>) {
    if !is_list(v) {
        errors.push(CiError::new(
            v.pos(),
            format!("expected the `steps` of job `{job}` to be a list"),
        ));
        b.begin_list(v.pos());
        b.end();
        return;
    }
    b.begin_list(v.pos());
    for (i, step) in v.items().enumerate() {
        if !is_obj(step) {
            errors.push(CiError::new(
                step.pos(),
                format!("expected step {} of job `{job}` to be a mapping", i + 1),
            ));
            continue;
        }
        let pos = step.pos();
        b.begin_obj(pos);
        b.key_str("index");
        b.num(i as f64, pos);
        for (k, x) in step.entries() {
            if !matches!(k.as_str(), "index" | "action" | "ref" | "pinned") {
                b.key(k);
                b.copy(x);
            }
        }
        for key in ["name", "uses", "run", "if"] {
            if step.get_str(key).is_none() {
                b.key_str(key);
                b.null(pos);
            }
        }
        for key in ["with", "env"] {
            if step.get_str(key).is_none() {
                b.key_str(key);
                empty_obj(b, pos);
            }
        }
        let uses = step.get_str("uses");
        let parts = uses.and_then(|u| u.as_str()).map(split_uses);
        let upos = uses.map_or(pos, |u| u.pos());
        b.key_str("action");
        match &parts {
            Some((action, _)) => b.str(action, upos),
            None => b.null(upos),
        };
        b.key_str("ref");
        match parts.as_ref().and_then(|p| p.1) {
            Some(r) => b.str(r, upos),
            None => b.null(upos),
        };
        b.key_str("pinned");
        b.bool(uses.and_then(|u| u.as_str()).is_some_and(is_pinned), upos);
        b.end();
    }
    b.end();
}

/// `owner/repo[/path]@ref` to the action and the ref; local actions
/// (`./path`) and `docker://` images have no ref.
fn split_uses(u: &str) -> (&str, Option<&str>) {
    if u.starts_with("./") || u.starts_with("docker://") {
        return (u, None);
    }
    match u.rsplit_once('@') {
        Some((a, r)) => (a, Some(r)),
        None => (u, None),
    }
}

/// Whether `uses` names an immutable version: a full commit SHA, or a
/// `docker://` image by digest.
fn is_pinned(u: &str) -> bool {
    if let Some(image) = u.strip_prefix("docker://") {
        return image.contains("@sha256:");
    }
    match split_uses(u).1 {
        Some(r) => r.len() == 40 && r.bytes().all(|c| c.is_ascii_hexdigit()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::yaml::{YamlOptions, parse_stream};
    use serde_json::json;

    fn normalise(text: &str) -> (Doc, Vec<CiError>) {
        let (docs, errs) = parse_stream(text, &YamlOptions::default());
        assert!(errs.is_empty(), "{errs:?}");
        let doc = docs.into_iter().find_map(|d| d.doc).unwrap();
        workflow(&doc, ".github/workflows/ci.yml").unwrap()
    }

    const CI: &str = "name: CI\non:\n  push:\n    branches: [main]\n  pull_request_target:\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4\n      - name: Scan\n        uses: aquasecurity/trivy-action@0.28.0\n        with:\n          severity: CRITICAL\n      - run: make\n        if: github.event_name == 'push'\n  deploy:\n    needs: build\n    runs-on: [self-hosted, linux]\n    steps: []\n";

    #[test]
    fn on_stays_a_string_key_and_triggers_are_listed() {
        let (d, errors) = normalise(CI);
        assert!(errors.is_empty(), "{errors:?}");
        let r = d.root();
        assert_eq!(r.str_at(&["kind"]), Some("GitHubWorkflow"));
        assert_eq!(r.str_at(&["apiVersion"]), Some("ward.dev/v1"));
        assert_eq!(
            r.str_at(&["metadata", "name"]),
            Some(".github/workflows/ci.yml")
        );
        assert!(r.get_str("on").is_some());
        assert_eq!(
            r.get_str("triggers").unwrap().to_json(),
            json!(["push", "pull_request_target"])
        );
        assert_eq!(r.get_str("permissions").unwrap().to_json(), json!({}));
    }

    #[test]
    fn jobs_and_steps_are_normalised_with_positions() {
        let (d, _) = normalise(CI);
        let build = d.at_pointer("/jobs/build").unwrap();
        assert_eq!(build.get_str("name").unwrap().to_json(), json!("build"));
        assert_eq!(
            build.get_str("runs_on").unwrap().to_json(),
            json!(["ubuntu-latest"])
        );
        assert_eq!(build.get_str("needs").unwrap().to_json(), json!([]));
        let s0 = d.at_pointer("/jobs/build/steps/0").unwrap();
        assert_eq!(
            s0.to_json(),
            json!({"index": 0, "uses": "actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11",
                   "name": null, "run": null, "if": null, "with": {}, "env": {},
                   "action": "actions/checkout", "ref": "b4ffde65f46336ab88eb53be808477a3936bae11", "pinned": true})
        );
        assert_eq!(s0.pos(), Pos::new(11, 9));
        let s1 = d.at_pointer("/jobs/build/steps/1").unwrap();
        assert_eq!(
            s1.get_str("action").unwrap().as_str(),
            Some("aquasecurity/trivy-action")
        );
        assert_eq!(s1.get_str("pinned").unwrap().as_bool(), Some(false));
        let sev = d.at_pointer("/jobs/build/steps/1/with/severity").unwrap();
        assert_eq!(sev.pos(), Pos::new(15, 21));
        let cond = d.at_pointer("/jobs/build/steps/2/if").unwrap();
        assert_eq!(cond.pos().line, 17);
        let deploy = d.at_pointer("/jobs/deploy").unwrap();
        assert_eq!(deploy.get_str("needs").unwrap().to_json(), json!(["build"]));
        assert_eq!(deploy.get_str("needs").unwrap().pos().line, 19);
        assert_eq!(
            deploy.get_str("runs_on").unwrap().to_json(),
            json!(["self-hosted", "linux"])
        );
        assert_eq!(deploy.get_str("runs-on").unwrap().pos().line, 20);
    }

    #[test]
    fn structural_problems_are_errors() {
        let (d, errors) = normalise("on: push\njobs:\n  a: 1\n  b:\n    steps: {x: 1}\n");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 5], "{errors:?}");
        assert_eq!(
            d.root().get_str("triggers").unwrap().to_json(),
            json!(["push"])
        );
        let (_, errors) = normalise("on: [push]\nname: x\n");
        assert!(errors[0].message.contains("no `jobs`"));
    }

    #[test]
    fn uses_forms() {
        assert_eq!(
            split_uses("./.github/actions/x"),
            ("./.github/actions/x", None)
        );
        assert_eq!(split_uses("docker://alpine:3"), ("docker://alpine:3", None));
        assert_eq!(
            split_uses("github/codeql-action/upload-sarif@v3"),
            ("github/codeql-action/upload-sarif", Some("v3"))
        );
        assert!(is_pinned("docker://alpine@sha256:abcd"));
        assert!(!is_pinned("actions/checkout@v4"));
    }
}
