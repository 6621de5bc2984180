//! The synthetic `Repository` resource of a folder argument: what was found
//! in the folder, so a rule about the repository as a whole is one control
//! over `input.kind == "Repository"` that queries the other resources.

use super::{Format, Inputs, SourceFile, ci, is_dockerfile_path};
use crate::value::doc::{DocBuilder, Pos};
use std::path::Path;

impl Inputs {
    /// Adds the synthetic `Repository` resource of a folder argument, given
    /// the files found in it.
    pub fn add_repository<'a>(&mut self, folder: &str, files: impl Iterator<Item = &'a str>) {
        let mut dockerfiles = Vec::new();
        let mut workflows = Vec::new();
        let mut gitlab = Vec::new();
        let mut manifests = 0usize;
        for f in files {
            let p = Path::new(f);
            match ci::pipeline_of(p) {
                Some(ci::Pipeline::GitHub) => workflows.push(f),
                Some(ci::Pipeline::GitLab) => gitlab.push(f),
                None if is_dockerfile_path(p) => dockerfiles.push(f),
                None => manifests += 1,
            }
        }
        let pos = Pos::default();
        let mut b = DocBuilder::new();
        let list = |b: &mut DocBuilder, key: &str, items: &[&str]| {
            b.key_str(key);
            b.begin_list(pos);
            for i in items {
                b.str(i, pos);
            }
            b.end();
        };
        b.begin_obj(pos);
        b.key_str("apiVersion");
        b.str("ward.dev/v1", pos);
        b.key_str("kind");
        b.str("Repository", pos);
        b.key_str("metadata");
        b.begin_obj(pos);
        b.key_str("name");
        b.str(folder, pos);
        b.end();
        b.key_str("spec");
        b.begin_obj(pos);
        b.key_str("path");
        b.str(folder, pos);
        b.key_str("files");
        b.begin_obj(pos);
        list(&mut b, "dockerfiles", &dockerfiles);
        list(&mut b, "workflows", &workflows);
        list(&mut b, "gitlab_ci", &gitlab);
        b.key_str("manifests");
        b.num(manifests as f64, pos);
        b.end();
        b.end();
        b.end();
        let file = self.files.len() as u32;
        self.files.push(SourceFile {
            path: folder.to_string(),
            format: Format::Folder,
            text: None,
            kept: None,
        });
        self.accept(file, 0, b.finish(), None, folder, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LoadOptions, load_paths};
    use super::*;

    #[test]
    fn folders_add_a_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let wf = dir.join(".github").join("workflows");
        std::fs::create_dir_all(&wf).unwrap();
        std::fs::create_dir_all(dir.join("svc")).unwrap();
        std::fs::write(dir.join("svc/Dockerfile"), "FROM alpine\n").unwrap();
        std::fs::write(dir.join("svc/Dockerfile.dockerignore"), ".git\n").unwrap();
        std::fs::write(dir.join("svc/api.Dockerfile"), "FROM alpine\n").unwrap();
        std::fs::write(wf.join("ci.yaml"), "on: push\njobs: {}\n").unwrap();
        std::fs::write(dir.join(".gitlab-ci.yml"), "a:\n  script: x\n").unwrap();
        std::fs::write(dir.join("pod.yaml"), "kind: Pod\nmetadata: {name: p}\n").unwrap();
        std::fs::write(dir.join("README.md"), "# hi\n").unwrap();
        let shown = dir.display().to_string();
        let inputs = load_paths(std::slice::from_ref(&shown), &LoadOptions::default());
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        let kinds: Vec<&str> = inputs.resources.iter().map(|r| r.kind()).collect();
        assert_eq!(
            kinds,
            vec![
                "GitHubWorkflow",
                "GitLabPipeline",
                "Pod",
                "Dockerfile",
                "Dockerfile",
                "Repository"
            ]
        );
        let repo = inputs.resources.last().unwrap();
        assert_eq!(repo.name(), shown);
        let p = |s: &str| Path::new(&shown).join(s).display().to_string();
        assert_eq!(
            repo.root().get_str("spec").unwrap().to_json(),
            serde_json::json!({
                "path": shown,
                "files": {
                    "dockerfiles": [p("svc/Dockerfile"), p("svc/api.Dockerfile")],
                    "workflows": [p(".github/workflows/ci.yaml")],
                    "gitlab_ci": [p(".gitlab-ci.yml")],
                    "manifests": 1
                }
            })
        );
        assert_eq!(inputs.file(repo).format, Format::Folder);
    }
}
