//! CI pipelines: GitHub Actions workflows and GitLab CI configurations,
//! read as YAML and then normalised into resources with the same shape for
//! every way of writing them (`runs-on: x` or a list, `needs: a` or a list,
//! `extends`, `default:`), so a policy reads one form. Every value keeps
//! the position of the YAML it came from; values that were not written get
//! the position of the job or step they belong to. The shapes are described
//! in `docs/inputs.md`.

mod github;
mod gitlab;

pub use github::workflow as github_workflow;
pub use gitlab::pipeline as gitlab_pipeline;

use crate::value::doc::{DocBuilder, Node, NodeRef, Pos};
use std::path::Path;

/// A problem in a pipeline's structure (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl CiError {
    fn new(pos: Pos, message: impl Into<String>) -> CiError {
        CiError {
            line: pos.line as usize,
            col: pos.col as usize,
            message: message.into(),
        }
    }
}

/// Which pipeline a YAML file is, by its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pipeline {
    GitHub,
    GitLab,
}

/// `.github/workflows/*.yml` or `*.yaml` is a GitHub workflow;
/// `.gitlab-ci.yml` (or `.yaml`) a GitLab CI configuration.
pub fn pipeline_of(p: &Path) -> Option<Pipeline> {
    let name = p.file_name().and_then(|n| n.to_str())?;
    if name == ".gitlab-ci.yml" || name == ".gitlab-ci.yaml" {
        return Some(Pipeline::GitLab);
    }
    let yaml = matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"));
    let dir = p.parent()?;
    let in_workflows = dir.file_name().and_then(|n| n.to_str()) == Some("workflows")
        && dir
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            == Some(".github");
    (yaml && in_workflows).then_some(Pipeline::GitHub)
}

fn is_obj(n: NodeRef<'_>) -> bool {
    matches!(n.kind(), Node::Obj { .. })
}

fn is_list(n: NodeRef<'_>) -> bool {
    matches!(n.kind(), Node::List { .. })
}

/// `apiVersion`, `kind` and `metadata.name`.
fn header(b: &mut DocBuilder, kind: &str, name: &str, pos: Pos) {
    b.key_str("apiVersion");
    b.str("ward.dev/v1", pos);
    b.key_str("kind");
    b.str(kind, pos);
    b.key_str("metadata");
    b.begin_obj(pos);
    b.key_str("name");
    b.str(name, pos);
    b.end();
}

/// A value that may be one item or a list of items, as a list: a scalar
/// becomes a one-item list, a missing value an empty list at `pos`.
fn one_or_many(b: &mut DocBuilder, v: Option<NodeRef<'_>>, pos: Pos) {
    match v {
        Some(n) if is_list(n) => b.copy(n),
        Some(n) if !n.is_null() => {
            b.begin_list(n.pos());
            b.copy(n);
            b.end();
        }
        Some(n) => {
            b.begin_list(n.pos());
            b.end();
        }
        None => {
            b.begin_list(pos);
            b.end();
        }
    }
}

fn empty_obj(b: &mut DocBuilder, pos: Pos) {
    b.begin_obj(pos);
    b.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_by_path() {
        let of = |s: &str| pipeline_of(Path::new(s));
        assert_eq!(of("repo/.github/workflows/ci.yml"), Some(Pipeline::GitHub));
        assert_eq!(of(".github/workflows/ci.yaml"), Some(Pipeline::GitHub));
        assert_eq!(of("repo/.github/dependabot.yml"), None);
        assert_eq!(of("workflows/ci.yml"), None);
        assert_eq!(of("repo/.gitlab-ci.yml"), Some(Pipeline::GitLab));
        assert_eq!(of("k8s/deploy.yaml"), None);
    }
}
