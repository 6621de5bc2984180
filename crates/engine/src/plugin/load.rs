//! Finding, reading, verifying and compiling plugin modules, and checking
//! that they keep the ABI before any policy calls them.

use super::call::{self, State};
use super::error::{PluginError, PluginErrorKind};
use super::{ABI_VERSION, Check, PluginLimits, PluginSource, RESERVED};
use crate::engine::Engine;
use crate::pack::PackArchive;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use ward_lang::hir::PluginDef;
use wasmtime::{ExternType, FuncType, Module};

/// A compiled plugin that keeps the ABI.
pub(super) struct Plugin {
    pub name: String,
    pub file: String,
    pub pre: wasmtime::InstancePre<State>,
    /// Exports with the type of a plugin function, `(i32, i32) -> i64`.
    pub functions: BTreeSet<String>,
    /// Every exported name, to tell a missing function from a mistyped one.
    pub exports: BTreeSet<String>,
    pub checks: Vec<Check>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("file", &self.file)
            .field("functions", &self.functions)
            .field("checks", &self.checks)
            .finish()
    }
}

/// Where a plugin's module is: its path joined to the folder of the policy
/// file that declares it. Embedded policies resolve against the source tree,
/// as their test fixtures do.
pub(super) fn resolve(engine: &Engine, def: &PluginDef) -> PathBuf {
    let declared_in = engine.sources.name(def.file);
    let folder = match declared_in.strip_prefix("<ward>/") {
        Some(rel) => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel),
        None => PathBuf::from(declared_in),
    };
    folder.parent().unwrap_or(Path::new("")).join(&def.path)
}

/// Reads a declared plugin's module and checks its pinned digest. A plugin
/// declared in a policy of a pack archive (loaded as `LABEL!/PATH`) is read
/// from that archive, never from the disk.
pub(super) fn read(
    engine: &Engine,
    def: &PluginDef,
    archives: &[(&str, &PackArchive)],
) -> Result<PluginSource, PluginError> {
    let declared_in = engine.sources.name(def.file);
    let archived = archives.iter().find_map(|(label, a)| {
        let inside = declared_in.strip_prefix(label)?.strip_prefix("!/")?;
        Some((label, a, inside))
    });
    let (file, bytes) = match archived {
        Some((label, archive, inside)) => {
            let at = crate::pack::manifest::join(inside, &def.path);
            let file = format!("{label}!/{}", at.as_deref().unwrap_or(&def.path));
            let bytes = at
                .and_then(|at| archive.files.get(&at).cloned())
                .ok_or_else(|| PluginError {
                    plugin: def.qname.clone(),
                    file: file.clone(),
                    kind: PluginErrorKind::Read("the pack archive holds no such file".into()),
                });
            (file, bytes)
        }
        None => {
            let path = resolve(engine, def);
            let file = path.display().to_string();
            let bytes = std::fs::read(&path).map_err(|e| PluginError {
                plugin: def.qname.clone(),
                file: file.clone(),
                kind: PluginErrorKind::Read(e.to_string()),
            });
            (file, bytes)
        }
    };
    let bytes = bytes?;
    let fail = |kind| PluginError {
        plugin: def.qname.clone(),
        file: file.clone(),
        kind,
    };
    if let Some(expected) = &def.sha256 {
        let expected = expected.trim().to_ascii_lowercase();
        if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(fail(PluginErrorKind::InvalidDigest(expected)));
        }
        let actual = sha256_hex(&bytes);
        if actual != expected {
            return Err(fail(PluginErrorKind::DigestMismatch { expected, actual }));
        }
    }
    Ok(PluginSource {
        name: def.qname.clone(),
        file,
        bytes,
    })
}

/// The lowercase hexadecimal SHA-256 digest of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compiles a module and checks its imports, exports, ABI version and
/// checks.
pub(super) fn compile(
    engine: &wasmtime::Engine,
    limits: &PluginLimits,
    src: &PluginSource,
) -> Result<Plugin, PluginError> {
    let fail = |kind| PluginError {
        plugin: src.name.clone(),
        file: src.file.clone(),
        kind,
    };
    let module = Module::new(engine, &src.bytes)
        .map_err(|e| fail(PluginErrorKind::Compile(one_line(&e))))?;
    let imports: Vec<String> = module
        .imports()
        .map(|i| format!("{}.{}", i.module(), i.name()))
        .collect();
    if !imports.is_empty() {
        return Err(fail(PluginErrorKind::Imports(imports)));
    }
    let required: [(&'static str, &'static str, Option<Sig>); 4] = [
        ("memory", "a memory", None),
        (
            "ward_abi_version",
            "a function () -> i32",
            Some((&[], &["i32"])),
        ),
        (
            "alloc",
            "a function (i32) -> i32",
            Some((&["i32"], &["i32"])),
        ),
        (
            "dealloc",
            "a function (i32, i32) -> ()",
            Some((&["i32", "i32"], &[])),
        ),
    ];
    for (name, expected, sig) in &required {
        let ok = match (module.get_export(name), sig) {
            (Some(ExternType::Memory(m)), None) => !m.is_64() && !m.is_shared(),
            (Some(ExternType::Func(f)), Some(sig)) => has_sig(&f, *sig),
            _ => false,
        };
        if !ok {
            return Err(fail(PluginErrorKind::Export { name, expected }));
        }
    }
    let mut functions = BTreeSet::new();
    let mut exports = BTreeSet::new();
    let mut has_checks = false;
    for e in module.exports() {
        exports.insert(e.name().to_string());
        if let ExternType::Func(f) = e.ty() {
            if e.name() == "ward_checks" {
                if !has_sig(&f, CHECKS_SIG) {
                    return Err(fail(PluginErrorKind::Export {
                        name: "ward_checks",
                        expected: "a function () -> i64",
                    }));
                }
                has_checks = true;
            } else if !RESERVED.contains(&e.name()) && has_sig(&f, FUNCTION_SIG) {
                functions.insert(e.name().to_string());
            }
        }
    }
    let pre = wasmtime::Linker::<State>::new(engine)
        .instantiate_pre(&module)
        .map_err(|e| fail(PluginErrorKind::Instantiate(one_line(&e))))?;
    let mut plugin = Plugin {
        name: src.name.clone(),
        file: src.file.clone(),
        pre,
        functions,
        exports,
        checks: Vec::new(),
    };
    // One instance answers the version and the checks, under the same
    // limits as any call.
    let version = call::abi_version(&plugin, limits).map_err(|e| {
        fail(PluginErrorKind::Instantiate(format!(
            "`ward_abi_version` {e}"
        )))
    })?;
    if version != ABI_VERSION {
        return Err(fail(PluginErrorKind::AbiVersion(i64::from(version))));
    }
    if has_checks {
        let json = call::checks(&plugin, limits)
            .map_err(|e| fail(PluginErrorKind::Checks(e.to_string())))?;
        plugin.checks =
            parse_checks(&json, &plugin.functions).map_err(|e| fail(PluginErrorKind::Checks(e)))?;
    }
    Ok(plugin)
}

/// Parameter and result types, as wasmtime writes them.
type Sig = (&'static [&'static str], &'static [&'static str]);

/// A plugin function: `(ptr: i32, len: i32) -> i64`.
const FUNCTION_SIG: Sig = (&["i32", "i32"], &["i64"]);
/// `ward_checks: () -> i64`.
const CHECKS_SIG: Sig = (&[], &["i64"]);

fn has_sig(f: &FuncType, (params, results): Sig) -> bool {
    f.params()
        .map(|t| t.to_string())
        .eq(params.iter().map(|s| s.to_string()))
        && f.results()
            .map(|t| t.to_string())
            .eq(results.iter().map(|s| s.to_string()))
}

/// `[{"name": "scan", "description": "...", "kinds": ["ConfigMap"]}, ...]`.
fn parse_checks(
    json: &serde_json::Value,
    functions: &BTreeSet<String>,
) -> Result<Vec<Check>, String> {
    let Some(items) = json.as_array() else {
        return Err("returned JSON that is not a list".into());
    };
    let mut out: Vec<Check> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(name) = item.get("name").and_then(|n| n.as_str()) else {
            return Err(format!("item {i} has no string `name`"));
        };
        if !functions.contains(name) {
            return Err(format!(
                "names `{name}`, which is not an exported plugin function (i32, i32) -> i64"
            ));
        }
        if out.iter().any(|c| c.name == name) {
            return Err(format!("names `{name}` twice"));
        }
        let description = item
            .get("description")
            .and_then(|d| d.as_str())
            .map(str::to_string);
        let kinds = item
            .get("kinds")
            .and_then(|k| k.as_array())
            .map(|k| {
                k.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        out.push(Check {
            name: name.to_string(),
            description,
            kinds,
        });
    }
    Ok(out)
}

/// An error from wasmtime on one line: its message and causes.
pub(super) fn one_line(e: &wasmtime::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}
