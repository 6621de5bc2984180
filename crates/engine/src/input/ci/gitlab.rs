//! GitLab CI configurations to `kind: GitLabPipeline`: every top-level key
//! that is not a GitLab keyword is a job; `extends:` is resolved within the
//! file (deep merge of mappings, later parents and the job itself win, as
//! GitLab does), then `default:` and the global `variables:` are applied as
//! `inherit:` allows.

use super::{CiError, empty_obj, header, is_list, is_obj};
use crate::value::doc::{Doc, DocBuilder, NodeRef, Pos};
use crate::value::intern::Sym;
use std::collections::HashMap;

/// Top-level keys that are not jobs.
const RESERVED: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
    "types",
];

/// Keywords `default:` may give (and the deprecated top-level ones).
const DEFAULTABLE: &[&str] = &[
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
];

/// How deep `extends` may chain (GitLab allows 11 levels).
const MAX_EXTENDS: usize = 11;

/// A value while merging: a node of the file, or a mapping being merged.
#[derive(Clone, Debug)]
enum M<'a> {
    Node(NodeRef<'a>),
    Map(Pos, Vec<(Sym, M<'a>)>),
}

impl<'a> M<'a> {
    fn lift(n: NodeRef<'a>) -> M<'a> {
        if is_obj(n) {
            M::Map(n.pos(), n.entries().map(|(k, v)| (k, M::lift(v))).collect())
        } else {
            M::Node(n)
        }
    }

    fn get(&self, key: &str) -> Option<&M<'a>> {
        match self {
            M::Map(_, es) => es.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v),
            M::Node(_) => None,
        }
    }

    fn node(&self) -> Option<NodeRef<'a>> {
        match self {
            M::Node(n) => Some(*n),
            M::Map(..) => None,
        }
    }

    fn pos(&self) -> Pos {
        match self {
            M::Node(n) => n.pos(),
            M::Map(p, _) => *p,
        }
    }

    fn emit(&self, b: &mut DocBuilder) {
        match self {
            M::Node(n) => b.copy(*n),
            M::Map(pos, es) => {
                b.begin_obj(*pos);
                for (k, v) in es {
                    b.key(*k);
                    v.emit(b);
                }
                b.end();
            }
        }
    }
}

/// Deep merge: mappings merge key by key, anything else is replaced.
fn merge<'a>(base: M<'a>, over: M<'a>) -> M<'a> {
    match (base, over) {
        (M::Map(_, mut es), M::Map(pos, over)) => {
            for (k, v) in over {
                match es.iter_mut().find(|(x, _)| *x == k) {
                    Some(slot) => {
                        let old = std::mem::replace(&mut slot.1, M::Map(pos, Vec::new()));
                        slot.1 = merge(old, v);
                    }
                    None => es.push((k, v)),
                }
            }
            M::Map(pos, es)
        }
        (_, over) => over,
    }
}

/// Normalises a pipeline document; `None` when its root is not a mapping.
pub fn pipeline(doc: &Doc, name: &str) -> Option<(Doc, Vec<CiError>)> {
    let root = doc.root();
    if !is_obj(root) {
        return None;
    }
    let pos = root.pos();
    let mut errors = Vec::new();
    let jobs: Vec<(Sym, NodeRef<'_>)> = root
        .entries()
        .filter(|(k, v)| !RESERVED.contains(&k.as_str()) && is_obj(*v))
        .collect();
    let mut b = DocBuilder::with_capacity(doc.len() * 2, 0);
    b.begin_obj(pos);
    header(&mut b, "GitLabPipeline", name, pos);
    for (k, v) in root.entries() {
        if !jobs.iter().any(|(j, _)| *j == k)
            && !matches!(k.as_str(), "apiVersion" | "kind" | "metadata")
        {
            b.key(k);
            b.copy(v);
        }
    }
    let mut r = Resolver {
        jobs: &jobs,
        done: HashMap::new(),
        errors: &mut errors,
    };
    let defaults = defaults(root);
    let globals = root
        .get_str("variables")
        .filter(|v| is_obj(*v))
        .map(M::lift);
    let resolved: Vec<(Sym, M<'_>)> = jobs
        .iter()
        .map(|(k, _)| (*k, r.resolve(k.as_str(), &mut Vec::new())))
        .collect();
    b.key_str("jobs");
    b.begin_obj(pos);
    for (k, job) in resolved {
        let hidden = k.as_str().starts_with('.');
        let job = if hidden {
            job
        } else {
            apply_defaults(job, &defaults, globals.as_ref())
        };
        b.key(k);
        emit_job(&mut b, k.as_str(), hidden, &job);
    }
    b.end();
    b.end();
    errors.sort_by(|a, b| (a.line, a.col, &a.message).cmp(&(b.line, b.col, &b.message)));
    errors.dedup();
    Some((b.finish(), errors))
}

struct Resolver<'a, 'e> {
    jobs: &'e [(Sym, NodeRef<'a>)],
    done: HashMap<String, M<'a>>,
    errors: &'e mut Vec<CiError>,
}

impl<'a> Resolver<'a, '_> {
    /// The job with its `extends` parents merged in.
    fn resolve(&mut self, name: &str, stack: &mut Vec<String>) -> M<'a> {
        if let Some(m) = self.done.get(name) {
            return m.clone();
        }
        let Some(node) = self
            .jobs
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, n)| *n)
        else {
            return M::Map(Pos::default(), Vec::new());
        };
        let own = M::lift(node);
        let errors_before = self.errors.len();
        let mut acc: Option<M<'a>> = None;
        stack.push(name.to_string());
        for (parent, pos) in names(node.get_str("extends")) {
            if stack.contains(&parent) {
                self.errors.push(CiError::new(
                    pos,
                    format!("the job `{name}` extends `{parent}`, which extends `{name}` again: `extends` must not form a cycle"),
                ));
                continue;
            }
            if stack.len() > MAX_EXTENDS {
                self.errors.push(CiError::new(
                    pos,
                    format!(
                        "`extends` chains more than {MAX_EXTENDS} levels deep at the job `{name}`"
                    ),
                ));
                continue;
            }
            if !self.jobs.iter().any(|(k, _)| k.as_str() == parent) {
                // Defined in an included file: nothing to merge here.
                continue;
            }
            let m = self.resolve(&parent, stack);
            acc = Some(match acc {
                Some(a) => merge(a, m),
                None => m,
            });
        }
        stack.pop();
        let out = match acc {
            Some(a) => merge(a, own),
            None => own,
        };
        // Without a cycle the result does not depend on the path here.
        if self.errors.len() == errors_before {
            self.done.insert(name.to_string(), out.clone());
        }
        out
    }
}

/// Strings of a value that is a string or a list of strings, with their
/// positions.
fn names(v: Option<NodeRef<'_>>) -> Vec<(String, Pos)> {
    let Some(v) = v else {
        return Vec::new();
    };
    let items: Vec<NodeRef<'_>> = if is_list(v) {
        v.items().collect()
    } else {
        vec![v]
    };
    items
        .into_iter()
        .filter_map(|n| n.as_str().map(|s| (s.to_string(), n.pos())))
        .collect()
}

/// `default:` entries over the deprecated top-level ones.
fn defaults<'a>(root: NodeRef<'a>) -> Vec<(Sym, M<'a>)> {
    let mut out: Vec<(Sym, M<'a>)> = root
        .entries()
        .filter(|(k, _)| DEFAULTABLE.contains(&k.as_str()))
        .map(|(k, v)| (k, M::lift(v)))
        .collect();
    if let Some(d) = root.get_str("default").filter(|d| is_obj(*d)) {
        for (k, v) in d.entries() {
            out.retain(|(x, _)| *x != k);
            out.push((k, M::lift(v)));
        }
    }
    out
}

/// Whether `inherit.<what>` lets `key` through (`true`, `false` or a list
/// of names; `true` when not given).
fn inherits(job: &M<'_>, what: &str, key: &str) -> bool {
    match job
        .get("inherit")
        .and_then(|i| i.get(what))
        .and_then(M::node)
    {
        Some(n) if n.as_bool() == Some(false) => false,
        Some(n) if is_list(n) => n.items().any(|i| i.as_str() == Some(key)),
        _ => true,
    }
}

fn apply_defaults<'a>(job: M<'a>, defaults: &[(Sym, M<'a>)], globals: Option<&M<'a>>) -> M<'a> {
    let M::Map(pos, mut es) = job else {
        return job;
    };
    let probe = M::Map(pos, es.clone());
    for (k, v) in defaults {
        if !es.iter().any(|(x, _)| x == k) && inherits(&probe, "default", k.as_str()) {
            es.push((*k, v.clone()));
        }
    }
    if let Some(M::Map(gpos, globals)) = globals {
        let inherited: Vec<(Sym, M<'a>)> = globals
            .iter()
            .filter(|(k, _)| inherits(&probe, "variables", k.as_str()))
            .cloned()
            .collect();
        let own = es.iter().position(|(k, _)| k.as_str() == "variables");
        let merged = match own.map(|i| es.remove(i)) {
            Some((k, v)) => (k, merge(M::Map(*gpos, inherited), v)),
            None => (
                crate::value::intern::intern("variables"),
                M::Map(*gpos, inherited),
            ),
        };
        es.push(merged);
    }
    M::Map(pos, es)
}

/// A script: a string, or a list of strings and nested lists, flattened.
fn script(b: &mut DocBuilder, v: Option<&M<'_>>, pos: Pos) {
    fn flat(b: &mut DocBuilder, n: NodeRef<'_>, depth: usize) {
        if is_list(n) && depth < 16 {
            for i in n.items() {
                flat(b, i, depth + 1);
            }
        } else if !n.is_null() {
            b.copy(n);
        }
    }
    let node = v.and_then(M::node);
    b.begin_list(node.map_or(pos, |n| n.pos()));
    if let Some(n) = node {
        flat(b, n, 0);
    }
    b.end();
}

fn emit_job(b: &mut DocBuilder, name: &str, hidden: bool, job: &M<'_>) {
    let pos = job.pos();
    let M::Map(_, es) = job else {
        empty_obj(b, pos);
        return;
    };
    b.begin_obj(pos);
    for (k, v) in es {
        match k.as_str() {
            "name" | "hidden" | "script" | "before_script" | "after_script" | "image" | "needs"
            | "variables" | "extends" | "stage" | "rules" => {}
            _ => {
                b.key(*k);
                v.emit(b);
            }
        }
    }
    let get = |key: &str| job.get(key);
    b.key_str("name");
    b.str(name, pos);
    b.key_str("hidden");
    b.bool(hidden, pos);
    b.key_str("stage");
    match get("stage")
        .and_then(M::node)
        .filter(|n| n.as_str().is_some())
    {
        Some(n) => b.copy(n),
        None => {
            b.str("test", pos);
        }
    }
    b.key_str("image");
    match get("image") {
        Some(M::Node(n)) if n.as_str().is_some() => b.copy(*n),
        Some(m @ M::Map(..)) => match m.get("name").and_then(M::node) {
            Some(n) => b.copy(n),
            None => {
                b.null(m.pos());
            }
        },
        _ => {
            b.null(pos);
        }
    }
    for key in ["script", "before_script", "after_script"] {
        b.key_str(key);
        script(b, get(key), pos);
    }
    b.key_str("variables");
    match get("variables") {
        Some(M::Map(vpos, vars)) => {
            b.begin_obj(*vpos);
            for (k, v) in vars {
                b.key(*k);
                // `{value: ..., description: ...}` is read as its value.
                match v.get("value") {
                    Some(x) => x.emit(b),
                    None => v.emit(b),
                }
            }
            b.end();
        }
        _ => empty_obj(b, pos),
    }
    b.key_str("rules");
    match get("rules").and_then(M::node).filter(|n| is_list(*n)) {
        Some(n) => b.copy(n),
        None => {
            b.begin_list(pos);
            b.end();
        }
    }
    b.key_str("needs");
    let needs = get("needs").and_then(M::node);
    b.begin_list(needs.map_or(pos, |n| n.pos()));
    if let Some(n) = needs {
        let items: Vec<NodeRef<'_>> = if is_list(n) {
            n.items().collect()
        } else {
            vec![n]
        };
        for i in items {
            if i.as_str().is_some() {
                b.copy(i);
            } else if let Some(j) = i.get_str("job") {
                b.copy(j);
            }
        }
    }
    b.end();
    b.key_str("extends");
    let ext = get("extends").and_then(M::node);
    b.begin_list(ext.map_or(pos, |n| n.pos()));
    for (s, p) in names(ext) {
        b.str(&s, p);
    }
    b.end();
    b.end();
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
        pipeline(&doc, ".gitlab-ci.yml").unwrap()
    }

    const CI: &str = "\
stages: [build, test]
variables:
  GLOBAL: g
  SHARED: from-global
default:
  image: alpine:3.20
  before_script:
    - echo default
.base:
  stage: build
  variables:
    SHARED: from-base
  script:
    - make
    - [make test, make lint]
.docker:
  extends: .base
  image:
    name: docker:27
    entrypoint: [\"\"]
build:
  extends: [.docker]
  script: make image
  needs: [{job: prep, artifacts: true}, lint]
test:
  inherit:
    default: false
    variables: [GLOBAL]
  script: [make check]
  rules:
    - if: $CI_COMMIT_BRANCH
";

    #[test]
    fn jobs_hidden_extends_and_defaults() {
        let (d, errors) = normalise(CI);
        assert!(errors.is_empty(), "{errors:?}");
        let r = d.root();
        assert_eq!(r.str_at(&["kind"]), Some("GitLabPipeline"));
        assert_eq!(
            r.get_str("stages").unwrap().to_json(),
            json!(["build", "test"])
        );
        assert!(r.get_str("build").is_none(), "jobs live under `jobs`");
        let jobs = r.get_str("jobs").unwrap();
        let names: Vec<&str> = jobs.entries().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, vec![".base", ".docker", "build", "test"]);
        assert_eq!(
            jobs.get_str(".base")
                .unwrap()
                .get_str("hidden")
                .unwrap()
                .as_bool(),
            Some(true)
        );
        let build = jobs.get_str("build").unwrap();
        assert_eq!(build.get_str("hidden").unwrap().as_bool(), Some(false));
        assert_eq!(build.get_str("stage").unwrap().as_str(), Some("build"));
        assert_eq!(build.get_str("image").unwrap().as_str(), Some("docker:27"));
        assert_eq!(build.get_str("image").unwrap().pos().line, 19);
        assert_eq!(
            build.get_str("script").unwrap().to_json(),
            json!(["make image"])
        );
        assert_eq!(
            build.get_str("before_script").unwrap().to_json(),
            json!(["echo default"])
        );
        assert_eq!(build.get_str("before_script").unwrap().pos().line, 7);
        assert_eq!(
            build.get_str("variables").unwrap().to_json(),
            json!({"GLOBAL": "g", "SHARED": "from-base"})
        );
        assert_eq!(
            build.get_str("needs").unwrap().to_json(),
            json!(["prep", "lint"])
        );
        assert_eq!(
            build.get_str("extends").unwrap().to_json(),
            json!([".docker"])
        );
        let base = jobs.get_str(".base").unwrap();
        assert_eq!(
            base.get_str("script").unwrap().to_json(),
            json!(["make", "make test", "make lint"])
        );
        let test = jobs.get_str("test").unwrap();
        assert_eq!(test.get_str("image").unwrap().to_json(), json!(null));
        assert_eq!(test.get_str("stage").unwrap().as_str(), Some("test"));
        assert_eq!(
            test.get_str("variables").unwrap().to_json(),
            json!({"GLOBAL": "g"})
        );
        assert_eq!(test.get_str("rules").unwrap().pos().line, 30);
        assert_eq!(test.get_str("before_script").unwrap().to_json(), json!([]));
    }

    #[test]
    fn extends_cycles_are_errors() {
        let (d, errors) = normalise(
            "a:\n  extends: b\n  script: x\nb:\n  extends: a\n  stage: deploy\nc:\n  extends: [missing, b]\n",
        );
        assert!(!errors.is_empty());
        assert!(errors[0].message.contains("cycle"), "{}", errors[0].message);
        let c = d.at_pointer("/jobs/c").unwrap();
        assert_eq!(c.get_str("stage").unwrap().as_str(), Some("deploy"));
        assert_eq!(c.get_str("script").unwrap().to_json(), json!(["x"]));
    }
}
