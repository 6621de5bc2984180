//! The project file `ward.toml` and the lock file `ward.lock`.
//!
//! `ward.toml` says which packs a project runs (built-in ones by name,
//! archives by path, each with an optional version requirement and profile
//! version), the values of their params, the waivers file, the default
//! paths and `fail_on`, and whether packs must be signed. `ward.lock` pins
//! the version and digest of each pack, so a pack that changes (a new Ward
//! with a new built-in pack, an archive replaced) is noticed. Both are read
//! from text here; the command line reads and writes the files.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The project file's name.
pub const PROJECT_FILE: &str = "ward.toml";
/// The lock file's name.
pub const LOCK_FILE: &str = "ward.lock";

/// `ward.toml`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// `[[pack]]` tables, in order.
    #[serde(default, rename = "pack")]
    pub packs: Vec<ProjectPack>,
    /// Param values by qualified name (`"checklist.app_uid" = 1000`).
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
    /// The waivers file, relative to the project folder.
    #[serde(default)]
    pub waivers: Option<String>,
    /// Whether `ward.dev/waive.<control>` annotations count (default true).
    #[serde(default)]
    pub inline_waivers: Option<bool>,
    /// A baseline applied to every `ward check`.
    #[serde(default)]
    pub baseline: Option<String>,
    /// `info`, `low`, `medium`, `high`, `critical` or `never`.
    #[serde(default)]
    pub fail_on: Option<String>,
    /// What `ward check` reads when given no path.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Policy files or folders whose controls run with the packs, as
    /// `--policy` runs them, when `--policy` is not given.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Refuse pack archives that are not signed by a trusted key.
    #[serde(default)]
    pub require_signature: bool,
    /// Public keys (PEM files) whose signatures are trusted.
    #[serde(default)]
    pub trusted_keys: Vec<String>,
    /// The Kubernetes release the manifests are for (`"1.28"`), as
    /// `--kube-version` gives it.
    #[serde(default)]
    pub kube_version: Option<String>,
    /// Whether Ward's warnings about the inputs fail `ward check`, as
    /// `--strict-inputs` makes them.
    #[serde(default)]
    pub strict_inputs: Option<bool>,
}

/// One `[[pack]]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProjectPack {
    /// A built-in pack's name; for an archive, the name it must have.
    #[serde(default)]
    pub name: Option<String>,
    /// A pack archive, relative to the project folder.
    #[serde(default)]
    pub path: Option<String>,
    /// A requirement on the pack's version, in Cargo's syntax: `1.2` is
    /// `>=1.2.0, <2.0.0`; `=1.2.3` is exactly that.
    #[serde(default)]
    pub version: Option<String>,
    /// The profile version to evaluate at (`v1.30`), for packs that have them.
    #[serde(default)]
    pub profile: Option<String>,
}

impl ProjectPack {
    /// How the pack is named in messages: its name, or its path.
    pub fn label(&self) -> &str {
        self.name.as_deref().or(self.path.as_deref()).unwrap_or("?")
    }

    /// Whether a pack's version meets this entry's requirement.
    pub fn accepts(&self, version: &str) -> Result<(), String> {
        let Some(req) = &self.version else {
            return Ok(());
        };
        let r = semver::VersionReq::parse(req).map_err(|e| {
            format!(
                "pack `{}`: version `{req}` is not a requirement: {e}",
                self.label()
            )
        })?;
        let v = semver::Version::parse(version).map_err(|e| {
            format!(
                "pack `{}`: its version `{version}` is not semantic: {e}",
                self.label()
            )
        })?;
        if r.matches(&v) {
            Ok(())
        } else {
            Err(format!(
                "pack `{}`: ward.toml requires version {req}, but the pack is {version}",
                self.label()
            ))
        }
    }
}

impl Project {
    /// Reads `ward.toml`'s text; an error says `line:column: message`.
    pub fn parse(text: &str) -> Result<Project, String> {
        let p: Project = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        for (i, pk) in p.packs.iter().enumerate() {
            if pk.name.is_none() && pk.path.is_none() {
                return Err(format!(
                    "[[pack]] number {} names neither `name` nor `path`",
                    i + 1
                ));
            }
        }
        Ok(p)
    }

    /// `[params]` as (qualified name, JSON value).
    pub fn param_values(&self) -> Vec<(String, serde_json::Value)> {
        self.params
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                )
            })
            .collect()
    }
}

/// `ward.lock`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub version: u32,
    #[serde(default, rename = "pack")]
    pub packs: Vec<LockedPack>,
}

/// One pack as locked: what `ward.toml` resolved to.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LockedPack {
    pub name: String,
    pub version: String,
    /// `builtin`, or the archive's path as `ward.toml` gives it.
    pub source: String,
    /// `sha256:...`: of the built-in pack's files, or of an archive's
    /// manifest (which holds the digest of every file).
    pub digest: String,
}

impl Lock {
    pub fn parse(text: &str) -> Result<Lock, String> {
        let l: Lock = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        if l.version != 1 {
            return Err(format!(
                "1:1: lock format {} is not supported; this Ward reads 1",
                l.version
            ));
        }
        Ok(l)
    }

    pub fn new(packs: Vec<LockedPack>) -> Lock {
        Lock { version: 1, packs }
    }

    pub fn render(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!("# Written by `ward lock`: the packs ward.toml resolved to. Do not edit.\n\n{body}")
    }

    /// How the lock and the resolved packs disagree: one message per pack,
    /// saying what is expected and what was found.
    pub fn mismatches(&self, actual: &[LockedPack]) -> Vec<String> {
        let mut out = Vec::new();
        for a in actual {
            match self.packs.iter().find(|l| l.name == a.name) {
                None => out.push(format!(
                    "pack `{}` ({} {}) is not in ward.lock",
                    a.name, a.source, a.version
                )),
                Some(l)
                    if l.version != a.version || l.digest != a.digest || l.source != a.source =>
                {
                    out.push(format!(
                        "pack `{}`: ward.lock pins {} {} ({}), but {} is {} ({})",
                        a.name, l.source, l.version, l.digest, a.source, a.version, a.digest
                    ));
                }
                Some(_) => {}
            }
        }
        for l in &self.packs {
            if !actual.iter().any(|a| a.name == l.name) {
                out.push(format!(
                    "ward.lock pins pack `{}`, which ward.toml does not name",
                    l.name
                ));
            }
        }
        out
    }
}

/// A TOML error as `line:column: message`.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let (line, col) = match e.span() {
        Some(s) => {
            let before = text.get(..s.start).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let col = before
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count())
                .unwrap_or(0)
                + 1;
            (line, col)
        }
        None => (1, 1),
    };
    let msg = e.message().trim().trim_end_matches('.').replace('\n', " ");
    format!("{line}:{col}: {msg}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
waivers = "waivers.yaml"
fail_on = "high"
paths = ["deploy"]
require_signature = true
trusted_keys = ["keys/team.pub"]

[[pack]]
name = "checklist"

[[pack]]
path = "packs/team.wardpack"
version = "^1.2"

[[pack]]
name = "pss-restricted"
profile = "v1.30"

[params]
"checklist.app_uid" = 1000
"checklist.registries" = ["registry.example.com/"]
"#;

    #[test]
    fn reads_a_project() {
        let p = Project::parse(TOML).expect("reads");
        assert_eq!(p.packs.len(), 3);
        assert_eq!(p.packs[1].label(), "packs/team.wardpack");
        assert_eq!(p.packs[2].profile.as_deref(), Some("v1.30"));
        assert_eq!(p.waivers.as_deref(), Some("waivers.yaml"));
        assert!(p.require_signature);
        assert_eq!(
            p.param_values(),
            [
                ("checklist.app_uid".to_string(), serde_json::json!(1000)),
                (
                    "checklist.registries".to_string(),
                    serde_json::json!(["registry.example.com/"])
                )
            ]
        );
        assert_eq!(p.packs[1].accepts("1.4.0"), Ok(()));
        assert_eq!(
            p.packs[1].accepts("2.0.0"),
            Err("pack `packs/team.wardpack`: ward.toml requires version ^1.2, but the pack is 2.0.0".to_string())
        );
    }

    #[test]
    fn project_errors_have_a_position() {
        assert_eq!(
            Project::parse("[[pack]]\nnmae = \"x\"\n"),
            Err(
                "2:1: unknown field `nmae`, expected one of `name`, `path`, `version`, `profile`"
                    .to_string()
            )
        );
        assert_eq!(
            Project::parse("[[pack]]\nversion = \"1\"\n"),
            Err("[[pack]] number 1 names neither `name` nor `path`".to_string())
        );
        let e = Project::parse("waivers = \n").expect_err("refused");
        assert!(e.starts_with("1:11:"), "{e}");
    }

    #[test]
    fn a_lock_round_trips_and_reports_each_mismatch() {
        let pinned = vec![
            LockedPack {
                name: "checklist".into(),
                version: "1.0.0".into(),
                source: "builtin".into(),
                digest: "sha256:aa".into(),
            },
            LockedPack {
                name: "team".into(),
                version: "1.2.0".into(),
                source: "packs/team.wardpack".into(),
                digest: "sha256:bb".into(),
            },
        ];
        let lock = Lock::new(pinned.clone());
        let text = lock.render();
        assert!(text.starts_with("# Written by `ward lock`"));
        assert_eq!(Lock::parse(&text), Ok(lock.clone()));
        assert!(lock.mismatches(&pinned).is_empty());
        let mut now = pinned.clone();
        now[1].digest = "sha256:cc".into();
        now[1].version = "1.3.0".into();
        now.remove(0);
        now.push(LockedPack {
            name: "extra".into(),
            version: "0.1.0".into(),
            source: "builtin".into(),
            digest: "sha256:dd".into(),
        });
        assert_eq!(
            lock.mismatches(&now),
            [
                "pack `team`: ward.lock pins packs/team.wardpack 1.2.0 (sha256:bb), but packs/team.wardpack is 1.3.0 (sha256:cc)",
                "pack `extra` (builtin 0.1.0) is not in ward.lock",
                "ward.lock pins pack `checklist`, which ward.toml does not name",
            ]
        );
        assert!(Lock::parse("version = 2\n").is_err());
    }
}
