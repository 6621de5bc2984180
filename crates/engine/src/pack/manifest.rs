//! `ward-pack.json`: what a pack archive holds and what its pack offers.

use super::{Entries, FORMAT, PackError, archive, sha256_hex};
use crate::engine::Engine;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use ward_lang::hir::Severity;
use ward_lang::span::FileId;

/// The manifest of a pack archive.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The manifest format (1).
    pub format: u32,
    pub name: String,
    /// The pack's semantic version.
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The Ward versions the pack works with (`">=0.1"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    /// The Ward that built the archive.
    pub built_with: String,
    /// The frameworks the pack's controls map to.
    #[serde(default)]
    pub frameworks: Vec<ManifestFramework>,
    #[serde(default)]
    pub controls: Vec<ManifestControl>,
    /// The params the pack's files declare.
    #[serde(default)]
    pub params: Vec<ManifestParam>,
    #[serde(default)]
    pub plugins: Vec<ManifestPlugin>,
    /// Every file of the archive but the manifest and the signature.
    pub files: Vec<ManifestFile>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestFramework {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// The framework's version, as its `framework` declaration gives it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// The items the pack's controls automate.
    pub items: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestControl {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// `framework:item` for each item it maps to.
    #[serde(default)]
    pub frameworks: Vec<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub waivable: bool,
    /// `redact true`: reports mask the values its findings point at.
    #[serde(default, skip_serializing_if = "is_false")]
    pub redact: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ManifestParam {
    /// The qualified name `ward check --set` and `ward.toml` use.
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// The default, after the pack's `set`; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestPlugin {
    pub name: String,
    /// Its path inside the archive.
    pub path: String,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Manifest {
    /// Reads and checks a manifest.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, PackError> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| {
            PackError::Manifest(format!(
                "`{}` is not a valid manifest: {e}",
                super::MANIFEST
            ))
        })?;
        if m.format != FORMAT {
            return Err(PackError::Manifest(format!(
                "the manifest has format {}; this Ward reads format {FORMAT}",
                m.format
            )));
        }
        if m.name.is_empty() {
            return Err(PackError::Manifest("the manifest names no pack".into()));
        }
        semver::Version::parse(&m.version).map_err(|e| {
            PackError::Manifest(format!(
                "version `{}` is not a semantic version: {e}",
                m.version
            ))
        })?;
        let mut seen = BTreeSet::new();
        for f in &m.files {
            archive::check_path(&f.path)?;
            if f.path == super::MANIFEST || f.path == super::SIGNATURE || !seen.insert(&f.path) {
                return Err(PackError::Manifest(format!(
                    "the manifest lists `{}` more than once or as a file",
                    f.path
                )));
            }
        }
        Ok(m)
    }

    /// The manifest as stored: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).unwrap_or_default();
        b.push(b'\n');
        b
    }
}

/// Builds the manifest of a pack folder's files, from an engine that loaded
/// its `.ward` files under `prefix` + path (`team/controls.ward`).
///
/// The files' `.ward` files must declare exactly one pack; its version must
/// be semantic, its `requires` a requirement, and every plugin they declare
/// must be among the files (with the pinned digest, when pinned).
pub fn build_manifest(engine: &Engine, prefix: &str, files: &Entries) -> Result<Manifest, String> {
    let mut ids: HashMap<FileId, &str> = HashMap::new();
    for (id, f) in engine.sources.files() {
        if let Some(path) = f.name.strip_prefix(prefix)
            && files.contains_key(path)
        {
            ids.insert(id, path);
        }
    }
    let here = |span: ward_lang::span::Span| {
        let (l, c) = engine.sources.line_col(span);
        format!("{}:{l}:{c}", engine.sources.name(span.file))
    };
    let packs: Vec<_> = engine
        .program
        .packs
        .iter()
        .filter(|p| ids.contains_key(&p.file))
        .collect();
    let pack = match packs.as_slice() {
        [one] => *one,
        [] => {
            return Err(format!(
                "{prefix}: no `pack` declaration in its .ward files; a pack archive holds exactly one"
            ));
        }
        many => {
            let at: Vec<String> = many
                .iter()
                .map(|p| format!("`{}` at {}", p.name, here(p.span)))
                .collect();
            return Err(format!(
                "{prefix}: {} `pack` declarations ({}); a pack archive holds exactly one",
                many.len(),
                at.join(", ")
            ));
        }
    };
    semver::Version::parse(&pack.version).map_err(|e| {
        format!(
            "{}: pack `{}` has version `{}`, which is not a semantic version (1.2.3): {e}",
            here(pack.span),
            pack.name,
            pack.version
        )
    })?;
    if let Some(req) = &pack.requires {
        semver::VersionReq::parse(req).map_err(|e| {
            format!(
                "{}: `requires \"{req}\"` is not a version requirement (\">=0.1\"): {e}",
                here(pack.span)
            )
        })?;
    }
    let mut indexes: Vec<usize> = pack.controls.clone();
    for (_, cs) in &pack.levels {
        indexes.extend(cs);
    }
    indexes.sort_unstable();
    indexes.dedup();
    let mut frameworks: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut controls = Vec::new();
    for c in indexes
        .iter()
        .filter_map(|&i| engine.program.controls.get(i))
    {
        for m in &c.maps {
            frameworks
                .entry(m.framework.clone())
                .or_default()
                .insert(m.item.clone());
        }
        controls.push(ManifestControl {
            id: c.id.clone(),
            title: c.title.clone(),
            severity: c.severity,
            frameworks: c
                .maps
                .iter()
                .map(|m| format!("{}:{}", m.framework, m.item))
                .collect(),
            waivable: c.waivable,
            redact: c.redact,
        });
    }
    controls.sort_by(|a, b| a.id.cmp(&b.id));
    let frameworks = frameworks
        .into_iter()
        .map(|(name, items)| {
            let fw = engine.program.framework(&name);
            ManifestFramework {
                title: fw.map(|f| f.title.clone()).unwrap_or_default(),
                version: fw.map(|f| f.version.clone()).unwrap_or_default(),
                name,
                items: items.into_iter().collect(),
            }
        })
        .collect();
    // Param values as the pack runs them: defaults, then the pack's `set`s.
    let selected = engine
        .select(
            &[crate::PackRef {
                name: pack.name.clone(),
                version: None,
            }],
            false,
            &[],
        )
        .map_err(|e| format!("{prefix}: {e}"))?;
    let values = selected.units.first().map(|u| &u.env.params);
    let mut params = Vec::new();
    for (i, p) in engine.program.params.iter().enumerate() {
        if !ids.contains_key(&p.span.file) {
            continue;
        }
        params.push(ManifestParam {
            name: p.qname.clone(),
            ty: p.ty_text.clone(),
            default: values
                .and_then(|vs| vs.get(i))
                .filter(|v| !v.is_missing())
                .map(|v| v.to_json()),
            description: p.docs.join(" "),
        });
    }
    let mut plugins = Vec::new();
    for p in &engine.program.plugins {
        let Some(declared_in) = ids.get(&p.file) else {
            continue;
        };
        let path = join(declared_in, &p.path).ok_or_else(|| {
            format!(
                "{}: plugin `{}` at `{}` is outside the pack folder",
                here(p.span),
                p.name,
                p.path
            )
        })?;
        let Some(bytes) = files.get(&path) else {
            return Err(format!(
                "{}: plugin `{}`: `{path}` is not in the pack folder",
                here(p.span),
                p.name
            ));
        };
        let sha256 = sha256_hex(bytes);
        if let Some(pinned) = &p.sha256
            && !pinned.trim().eq_ignore_ascii_case(&sha256)
        {
            return Err(format!(
                "{}: plugin `{}`: `{path}` has sha256 {sha256}, but the policy pins {pinned}",
                here(p.span),
                p.name
            ));
        }
        plugins.push(ManifestPlugin {
            name: p.qname.clone(),
            path,
            sha256,
        });
    }
    Ok(Manifest {
        format: FORMAT,
        name: pack.name.clone(),
        version: pack.version.clone(),
        description: pack.description.clone(),
        requires: pack.requires.clone(),
        built_with: env!("CARGO_PKG_VERSION").to_string(),
        frameworks,
        controls,
        params,
        plugins,
        files: files
            .iter()
            .map(|(path, data)| ManifestFile {
                path: path.clone(),
                size: data.len() as u64,
                sha256: sha256_hex(data),
            })
            .collect(),
    })
}

/// `rel` joined to the folder of `file`, both archive paths; `None` when it
/// leaves the archive.
pub fn join(file: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn joins() {
        assert_eq!(join("a/b.ward", "p/x.wasm").as_deref(), Some("a/p/x.wasm"));
        assert_eq!(join("a/b.ward", "../x.wasm").as_deref(), Some("x.wasm"));
        assert_eq!(join("b.ward", "./x.wasm").as_deref(), Some("x.wasm"));
        assert_eq!(join("b.ward", "../x.wasm"), None);
    }
}
