//! The embedder's entry point: load policies, select packs, evaluate inputs.

use crate::compile::{self, Compiled};
use crate::eval::{Applied, Env, EvalError, Evaluator, FnCount, Plugins, RawFinding, ResourceMemo};
use crate::finding::{
    ControlOutcome, Error, ErrorKind, Finding, FindingFields, FrameworkItemRef, FunctionOutcome,
    Identity, Level,
};
use crate::input::{Inputs, Resource, Skipped};
use crate::inventory::Inventory;
use crate::value::val::{Frozen, Str, Val};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use ward_lang::ast::{FindingKind, Module, Version};
use ward_lang::hir::{ControlDef, ProfileRange, Program};
use ward_lang::span::{FileId, SourceMap};
use ward_lang::{Diagnostic, parse};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The embedded policy files: `std-lib/...` and `policies/...`.
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    embedded::FILES
}

/// The embedded test files of the built-in packs (`*_test.ward`).
pub fn embedded_test_files() -> &'static [(&'static str, &'static str)] {
    embedded::TEST_FILES
}

/// Policy files to load.
#[derive(Debug, Clone, Default)]
pub struct EngineBuilder {
    files: Vec<PolicyFile>,
}

/// One policy file, built in or the user's.
#[derive(Debug, Clone)]
struct PolicyFile {
    name: String,
    text: String,
    builtin: bool,
    /// A built-in file that a file of the same path replaced stays listed
    /// (so file ids do not move) but is not loaded.
    enabled: bool,
    /// Its index among the embedded files, whose syntax trees are cached.
    embedded: Option<usize>,
}

/// Policies that failed to parse or check.
#[derive(Debug)]
pub struct PolicyErrors {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.diagnostics.iter().filter(|d| d.is_error()).count();
        write!(f, "{n} error(s) in policies")
    }
}

impl std::error::Error for PolicyErrors {}

impl EngineBuilder {
    /// The standard library and every built-in pack.
    pub fn new() -> EngineBuilder {
        Self::embedded(|_| true)
    }

    /// The standard library only (no built-in packs).
    pub fn std_only() -> EngineBuilder {
        Self::embedded(|name| name.starts_with("std-lib/"))
    }

    fn embedded(keep: impl Fn(&str) -> bool) -> EngineBuilder {
        let mut b = EngineBuilder::default();
        for (i, (name, text)) in embedded_files().iter().enumerate() {
            if keep(name) {
                b.files.push(PolicyFile {
                    name: format!("<ward>/{name}"),
                    text: text.to_string(),
                    builtin: true,
                    enabled: true,
                    embedded: Some(i),
                });
            }
        }
        b
    }

    /// Adds the tests of the built-in packs, so that their cases are in
    /// the program (`ward explain` shows them as examples). Call it before
    /// adding policies: a user's copy of a test file takes its place.
    pub fn with_builtin_tests(mut self) -> EngineBuilder {
        for (name, text) in embedded_test_files() {
            self.files.push(PolicyFile {
                name: format!("<ward>/{name}"),
                text: text.to_string(),
                builtin: true,
                enabled: true,
                embedded: None,
            });
        }
        self
    }

    /// Adds policy text under a name (used in diagnostics).
    ///
    /// A file that is an embedded one (an exact copy, or the file of the
    /// same repository path, e.g. `./std-lib/k8s.ward` while editing it)
    /// takes that one's place rather than defining everything twice.
    pub fn policy(mut self, name: impl Into<String>, text: impl Into<String>) -> EngineBuilder {
        let name = name.into();
        let text = text.into();
        if let Some(f) = self
            .files
            .iter_mut()
            .find(|f| f.builtin && f.enabled && f.text == text)
        {
            // The user named it: its controls run as theirs.
            f.name = name;
            f.builtin = false;
            return self;
        }
        let path = Path::new(&name);
        for f in &mut self.files {
            if f.builtin
                && f.name
                    .strip_prefix("<ward>/")
                    .is_some_and(|rel| path.ends_with(rel))
            {
                f.enabled = false;
            }
        }
        self.files.push(PolicyFile {
            name,
            text,
            builtin: false,
            enabled: true,
            embedded: None,
        });
        self
    }

    /// Adds a `.ward` file, or every `.ward` file under a folder.
    pub fn policy_path(mut self, path: &Path) -> Result<EngineBuilder, String> {
        let mut paths = Vec::new();
        if path.is_dir() {
            for e in walkdir::WalkDir::new(path).sort_by_file_name() {
                let e = e.map_err(|e| format!("{}: {e}", path.display()))?;
                if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "ward") {
                    paths.push(e.path().to_path_buf());
                }
            }
        } else if path.exists() {
            paths.push(path.to_path_buf());
        } else {
            return Err(format!("{}: no such file or folder", path.display()));
        }
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            self = self.policy(p.display().to_string(), text);
        }
        Ok(self)
    }

    /// Adds the `.ward` files of a pack archive, named `{label}!/{path}` so
    /// diagnostics name the archive. A built-in pack of the same name is
    /// left out, with the folder of built-in files that declares it.
    pub fn pack_archive(
        mut self,
        label: &str,
        archive: &crate::pack::PackArchive,
    ) -> Result<EngineBuilder, crate::pack::PackError> {
        self = self.without_builtin_pack(&archive.manifest.name);
        for (path, text) in archive.policy_files()? {
            self = self.policy(format!("{label}!/{path}"), text);
        }
        Ok(self)
    }

    /// Leaves out the built-in files of the folder that declares a pack
    /// (the pack it is replaced by comes from elsewhere).
    pub fn without_builtin_pack(mut self, name: &str) -> EngineBuilder {
        if let Some(folder) = crate::pack::builtin_pack_folder(name) {
            let prefix = format!("<ward>/{folder}");
            for f in &mut self.files {
                if f.builtin && f.name.starts_with(&prefix) {
                    f.enabled = false;
                }
            }
        }
        self
    }

    pub fn build(self) -> Result<Engine, Box<PolicyErrors>> {
        let mut sources = SourceMap::new();
        let mut modules = Vec::new();
        let mut diagnostics = Vec::new();
        let mut user_files = HashSet::new();
        // The built-in files read from the syntax trees embedded when Ward
        // was built: their patterns are known to be valid.
        let mut prebuilt = HashSet::new();
        if let Some(program) = self.embedded_only() {
            // Every built-in file and nothing else: the program checked when
            // Ward was built (no diagnostics, or it would not be stored).
            for f in self.files {
                let id = sources.add(f.name, f.text);
                prebuilt.insert(id);
            }
            return Engine::of_checked(sources, program, Vec::new(), user_files, &|f| {
                prebuilt.contains(&f)
            });
        }
        // The embedded files' syntax trees, parsed when Ward was built.
        let mut trees: Vec<Option<Module>> =
            postcard::from_bytes(embedded::TREES).unwrap_or_default();
        for f in self.files {
            let id = sources.add(f.name, f.text.clone());
            if !f.enabled {
                continue;
            }
            if !f.builtin {
                user_files.insert(id);
            }
            let cached = f
                .embedded
                .filter(|&i| i == id.0 as usize)
                .and_then(|i| trees.get_mut(i))
                .and_then(Option::take);
            match cached {
                Some(m) => {
                    prebuilt.insert(id);
                    modules.push(m);
                }
                None => match parse(id, &f.text) {
                    Ok(m) => modules.push(m),
                    Err(ds) => diagnostics.extend(ds),
                },
            }
        }
        // Checking modules next to one that did not parse only reports the
        // consequences of the missing declarations; parse errors come first.
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(Box::new(PolicyErrors {
                sources,
                diagnostics,
            }));
        }
        let checked = ward_lang::check(&modules);
        // The syntax trees are done with: freed on another core while this
        // one compiles (freeing them took a tenth of a cold start with a
        // policy folder).
        rayon::spawn(move || drop((modules, trees)));
        diagnostics.extend(checked.diagnostics);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(Box::new(PolicyErrors {
                sources,
                diagnostics,
            }));
        }
        Engine::of_checked(sources, checked.program, diagnostics, user_files, &|f| {
            prebuilt.contains(&f)
        })
    }

    /// The program checked when Ward was built, when the files are exactly
    /// the embedded ones, each in its place and loaded.
    fn embedded_only(&self) -> Option<Program> {
        let all = self.files.len() == embedded::FILES.len()
            && self
                .files
                .iter()
                .enumerate()
                .all(|(i, f)| f.builtin && f.enabled && f.embedded == Some(i));
        if !all {
            return None;
        }
        postcard::from_bytes::<Option<Program>>(embedded::PROGRAM)
            .ok()
            .flatten()
    }
}

/// Loaded, checked and compiled policies.
pub struct Engine {
    pub sources: SourceMap,
    pub program: Program,
    pub compiled: Compiled,
    /// Warnings from parsing and checking.
    pub warnings: Vec<Diagnostic>,
    user_files: HashSet<FileId>,
    plugins: Option<Arc<dyn Plugins + Send>>,
    /// Per control, what each of its findings repeats, made once and shared.
    parts: Vec<ControlParts>,
}

/// A control's id, title, remedy and framework items, as its findings
/// carry them.
#[derive(Debug, Clone)]
struct ControlParts {
    id: Arc<str>,
    title: Arc<str>,
    remedy: Arc<str>,
    frameworks: Arc<[FrameworkItemRef]>,
}

impl Engine {
    /// Compiles a checked program (patterns in `trusted` files are known to
    /// be valid) into an engine.
    fn of_checked(
        sources: SourceMap,
        program: Program,
        mut diagnostics: Vec<Diagnostic>,
        user_files: HashSet<FileId>,
        trusted: &dyn Fn(FileId) -> bool,
    ) -> Result<Engine, Box<PolicyErrors>> {
        let compiled = match compile::compile_trusting(&program, trusted) {
            Ok(c) => c,
            Err(e) => {
                diagnostics.push(Diagnostic::error("invalid-pattern", e.span, e.message));
                return Err(Box::new(PolicyErrors {
                    sources,
                    diagnostics,
                }));
            }
        };
        let parts = program.controls.iter().map(ControlParts::of).collect();
        Ok(Engine {
            sources,
            program,
            compiled,
            warnings: diagnostics,
            user_files,
            plugins: None,
            parts,
        })
    }
}

/// What a worker's findings carry of the controls and packs: its own
/// copies, whose reference counts no other thread touches. Shared by all
/// threads, every finding's clones of a control's id, title, remedy and
/// framework items, and of its pack's name, fought over the counts' cache
/// lines.
struct WorkerParts {
    controls: Vec<ControlParts>,
    /// Per unit, its pack's name.
    packs: Vec<Arc<str>>,
}

impl WorkerParts {
    fn new(engine: &Engine, sel: &Selection) -> WorkerParts {
        WorkerParts {
            controls: engine.parts.iter().map(ControlParts::copied).collect(),
            packs: sel.units.iter().map(|u| Arc::from(&*u.pack_name)).collect(),
        }
    }
}

impl ControlParts {
    /// The same parts in allocations of their own.
    fn copied(&self) -> ControlParts {
        ControlParts {
            id: Arc::from(&*self.id),
            title: Arc::from(&*self.title),
            remedy: Arc::from(&*self.remedy),
            frameworks: Arc::from(self.frameworks.to_vec()),
        }
    }

    fn of(c: &ward_lang::hir::ControlDef) -> ControlParts {
        ControlParts {
            id: Arc::from(c.id.as_str()),
            title: Arc::from(c.title.as_str()),
            remedy: Arc::from(c.remedy.as_str()),
            frameworks: c
                .maps
                .iter()
                .map(|m| FrameworkItemRef {
                    framework: m.framework.clone(),
                    id: m.item.clone(),
                    version: m
                        .args
                        .iter()
                        .find(|(k, _)| k == "version")
                        .map(|(_, v)| v.clone()),
                })
                .collect(),
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("controls", &self.program.controls.len())
            .field("packs", &self.program.packs.len())
            .finish()
    }
}

/// `name`, `name@v1.25` or `name@latest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackRef {
    pub name: String,
    pub version: Option<String>,
}

impl std::str::FromStr for PackRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, version) = match s.rsplit_once('@') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (s, None),
        };
        if name.is_empty() {
            return Err(format!("`{s}` names no pack"));
        }
        Ok(PackRef {
            name: name.to_string(),
            version,
        })
    }
}

impl std::fmt::Display for PackRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A param value to set: text as `--set` reads it, or a typed value (from
/// `ward.toml`).
#[derive(Clone, Debug, PartialEq)]
pub enum SetValue {
    Text(String),
    Json(serde_json::Value),
}

impl SetValue {
    /// The value for a param of this type: a JSON string is a version for a
    /// `version` param.
    fn value(&self, ty: &ward_lang::types::Ty) -> Val<'static> {
        match self {
            SetValue::Text(t) => parse_set_value(t),
            SetValue::Json(serde_json::Value::String(s))
                if *ty == ward_lang::types::Ty::Version =>
            {
                Version::parse(s)
                    .map(Val::Version)
                    .unwrap_or_else(|| Val::str(s))
            }
            SetValue::Json(v) => Val::from_json(v),
        }
    }

    /// How the setting is named in messages.
    fn label(&self, name: &str) -> String {
        match self {
            SetValue::Text(_) => format!("--set {name}"),
            SetValue::Json(_) => name.to_string(),
        }
    }

    /// How the setting reads in messages.
    fn show(&self, name: &str) -> String {
        match self {
            SetValue::Text(t) => format!("--set {name}={t}"),
            SetValue::Json(v) => format!("{name} = {v}"),
        }
    }

    /// The error for a value of the wrong type; a word given on the
    /// command line for a list is shown as the one-item list it was meant
    /// to be.
    fn mismatch(&self, name: &str, def: &ward_lang::hir::ParamDef, value: &Val<'_>) -> SelectError {
        let mut m = format!(
            "`{}`: `{}` is a {}, not a {}",
            self.show(name),
            def.qname,
            def.ty_text,
            value.type_name()
        );
        if let (SetValue::Text(t), Some(_)) = (self, value.as_str())
            && def.ty.is_list()
        {
            let item = serde_json::Value::String(t.clone());
            m.push_str(&format!("; for a list write `--set '{name}=[{item}]'`"));
        }
        SelectError(m)
    }
}

/// A pack (or the local policies) at one profile version, ready to run.
#[derive(Debug)]
pub struct Unit {
    pub pack: String,
    pub pack_version: String,
    /// The version the pack is evaluated at, when it has versions.
    pub profile: Option<Version>,
    /// The version as the user wrote it (`latest`, `v1.40`).
    pub requested: Option<String>,
    /// Indexes into the program's controls, active at this version.
    pub controls: Vec<usize>,
    pub env: Env,
    /// For packs whose profile is picked per resource: the function, the
    /// controls of each level, and the versions the pack covers.
    pub profile_fn: Option<u32>,
    pub levels: Vec<(String, Vec<usize>)>,
    pub range: Option<ward_lang::hir::ProfileRange>,
    /// The kinds some control of a level can apply to; `None` when one
    /// takes any kind (or there are no levels).
    level_kinds: Option<Vec<String>>,
    by_kind: HashMap<String, Vec<usize>>,
    any_kind: Vec<usize>,
    /// Every control, in the pack's order, whatever its kinds.
    every: Vec<usize>,
    /// The pack's name, shared by its findings.
    pack_name: Arc<str>,
}

impl Unit {
    /// The controls that may apply to a resource of this kind, in order.
    pub fn controls_for(&self, kind: &str) -> &[usize] {
        self.by_kind.get(kind).unwrap_or(&self.any_kind)
    }

    /// Every control of the unit, in the pack's order, whatever kinds its
    /// `match` allows.
    pub fn every_control(&self) -> &[usize] {
        &self.every
    }

    /// The controls a report lists for the unit: its own, then those of its
    /// levels (a `profile from` pack), each once.
    pub fn reported_controls(&self) -> Vec<usize> {
        let mut out = self.controls.clone();
        for (_, level) in &self.levels {
            for &c in level {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// The units one `ward check` runs.
#[derive(Debug, Default)]
pub struct Selection {
    pub units: Vec<Unit>,
}

/// Options for evaluation.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Steps one control may take on one resource.
    pub budget: u64,
    /// Steps one control may take over the whole run; past it the control
    /// stops with one error naming it.
    pub run_budget: u64,
    /// Remember pure function results per resource (off only to compare
    /// against a straightforward evaluation).
    pub memoize: bool,
    /// Work out a control's `let`s that the next statement does not read
    /// when they are first read, not where they stand (off only to compare
    /// against a straightforward evaluation).
    pub defer_lets: bool,
    /// Time each control (`ward check --profile`).
    pub profile: bool,
    /// Offer a control only resources of the kinds its `match` can accept
    /// (off only to compare against a straightforward evaluation).
    pub by_kind: bool,
    /// Hand what a control that reads only a resource's pod view found on
    /// one object to the objects with the same view (see
    /// [`crate::pod_view`]); only with `memoize` (off only to compare).
    pub share_views: bool,
    /// Counts the resources evaluated, for a progress display.
    pub progress: Option<Arc<crate::progress::Progress>>,
    /// Note which `deny` and `warn` statements make a finding
    /// ([`Report::fired`]; `ward test`).
    pub count_statements: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            budget: crate::eval::DEFAULT_BUDGET,
            run_budget: crate::eval::DEFAULT_RUN_BUDGET,
            memoize: true,
            defer_lets: true,
            profile: false,
            by_kind: true,
            share_views: true,
            progress: None,
            count_statements: false,
        }
    }
}

/// What an evaluation found.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub errors: Vec<Error>,
    pub skipped: Vec<Skipped>,
    pub outcomes: Vec<ControlOutcome>,
    /// Per function whose body ran, what it cost, most steps first: only
    /// when profiling ([`EvalOptions::profile`]).
    pub functions: Vec<FunctionOutcome>,
    pub resources: usize,
    pub files: usize,
    /// Findings left out of `findings` because a baseline holds them.
    pub baselined: Vec<Finding>,
    /// Resources that define the same object, in groups in load order, as
    /// indexes into the inputs' resources (see [`crate::duplicates`]).
    pub duplicates: Vec<Vec<u32>>,
    /// The `deny` and `warn` statements that made a finding, by policy file
    /// and start offset, sorted: only when counted
    /// ([`EvalOptions::count_statements`]).
    pub fired: Vec<(u32, u32)>,
}

/// Why a selection could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectError(pub String);

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SelectError {}

impl Engine {
    /// The index of the control with this id, for tests that drive one.
    #[cfg(test)]
    pub(crate) fn control_index(&self, id: &str) -> Option<usize> {
        self.program.controls.iter().position(|c| c.id == id)
    }

    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// Uses a plugin runtime for `plugin` calls.
    pub fn set_plugins(&mut self, plugins: Arc<dyn Plugins + Send>) {
        self.plugins = Some(plugins);
    }

    /// Packs marked `default`.
    pub fn default_packs(&self) -> Vec<PackRef> {
        self.program
            .packs
            .iter()
            .filter(|p| p.default)
            .map(|p| PackRef {
                name: p.name.clone(),
                version: None,
            })
            .collect()
    }

    /// Controls from policy files the user gave (not built in).
    pub fn local_controls(&self) -> Vec<usize> {
        self.program
            .controls
            .iter()
            .enumerate()
            .filter(|(_, c)| self.user_files.contains(&c.span.file))
            .map(|(i, _)| i)
            .collect()
    }

    pub fn control(&self, i: usize) -> Option<&ControlDef> {
        self.program.controls.get(i)
    }

    /// Builds the units for packs (and the local policies when `local`).
    pub fn select(
        &self,
        packs: &[PackRef],
        local: bool,
        sets: &[(String, String)],
    ) -> Result<Selection, SelectError> {
        let sets: Vec<(String, SetValue)> = sets
            .iter()
            .map(|(k, v)| (k.clone(), SetValue::Text(v.clone())))
            .collect();
        self.select_with(packs, local, &sets)
    }

    /// [`Self::select`] with typed param values; later values of a param
    /// replace earlier ones.
    pub fn select_with(
        &self,
        packs: &[PackRef],
        local: bool,
        sets: &[(String, SetValue)],
    ) -> Result<Selection, SelectError> {
        // Packages the selected packs draw controls from: an unqualified
        // `--set name=...` sets that param in each of them.
        let mut packages: HashSet<&str> = HashSet::new();
        for r in packs {
            if let Some(p) = self.program.pack(&r.name) {
                let levels = p.levels.iter().flat_map(|(_, cs)| cs.iter());
                for &c in p.controls.iter().chain(levels) {
                    if let Some(cd) = self.program.controls.get(c) {
                        packages.insert(cd.package.as_str());
                    }
                }
            }
        }
        if local {
            for c in self.local_controls() {
                if let Some(cd) = self.program.controls.get(c) {
                    packages.insert(cd.package.as_str());
                }
            }
        }
        let overrides = self.parse_sets(sets, &packages)?;
        let mut units = Vec::new();
        for r in packs {
            let Some(pack) = self.program.pack(&r.name) else {
                let names: Vec<&str> = self.program.packs.iter().map(|p| p.name.as_str()).collect();
                let hint = ward_lang::diagnostic::suggest(&r.name, names.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("; the packs are {}", names.join(", ")));
                return Err(SelectError(format!("there is no pack `{}`{hint}", r.name)));
            };
            let profile = match (&pack.profile, &r.version) {
                (Some(range), v) => {
                    let want = match v.as_deref() {
                        None | Some("latest") => None,
                        Some(s) => Some(Version::parse(s).ok_or_else(|| {
                            SelectError(format!(
                                "`{s}` is not a version; write `{}@v1.25` or `{}@latest`",
                                r.name, r.name
                            ))
                        })?),
                    };
                    match range.resolve(want) {
                        Some(v) => Some(v),
                        None => {
                            return Err(SelectError(format!(
                                "pack `{}` covers versions {} to {}; {} is older",
                                r.name,
                                range.from,
                                range.latest,
                                r.version.as_deref().unwrap_or("")
                            )));
                        }
                    }
                }
                (None, Some(v)) if v != "latest" && v != &pack.version => {
                    return Err(SelectError(format!(
                        "pack `{}` has no profile versions; it is version {} (asked for {v})",
                        r.name, pack.version
                    )));
                }
                (None, _) => None,
            };
            let mut controls: Vec<usize> = pack
                .controls
                .iter()
                .copied()
                .filter(|&c| self.active(c, profile))
                .collect();
            let replaced: HashSet<String> = controls
                .iter()
                .filter_map(|&c| self.program.controls.get(c)?.replaces.clone())
                .collect();
            controls.retain(|&c| {
                self.program
                    .controls
                    .get(c)
                    .is_some_and(|cd| !replaced.contains(&cd.id))
            });
            let mut params: HashMap<u32, Frozen> = HashMap::new();
            for (pid, e) in &pack.sets {
                let v = self.eval_const_expr(e)?;
                params.insert(*pid, v);
            }
            params.extend(overrides.iter().map(|(k, v)| (*k, v.clone())));
            let level = pack.name.strip_prefix("pss-").unwrap_or("");
            let env = self.env(&pack.name, profile, level, &params)?;
            let mut unit = self.make_unit(
                pack.name.clone(),
                pack.version.clone(),
                profile,
                r.version.clone(),
                controls,
                env,
            );
            unit.profile_fn = pack.profile_fn;
            unit.levels = pack.levels.clone();
            unit.level_kinds = self.kinds_of_levels(&unit.levels);
            // A version asked of a pack whose profile each resource's
            // namespace declares is the cluster's: its `latest`, and the
            // newest version it knows.
            unit.range = pack.profile.map(|r| ProfileRange {
                latest: profile.unwrap_or(r.latest),
                ..r
            });
            units.push(unit);
        }
        if local {
            let controls = self.local_controls();
            if !controls.is_empty() {
                let env = self.env("local", None, "", &overrides)?;
                units.push(self.make_unit(
                    "local".into(),
                    String::new(),
                    None,
                    None,
                    controls,
                    env,
                ));
            }
        }
        Ok(Selection { units })
    }

    /// The kinds the controls of the levels can apply to, or `None` when
    /// one of them takes any kind.
    fn kinds_of_levels(&self, levels: &[(String, Vec<usize>)]) -> Option<Vec<String>> {
        let mut kinds: Vec<String> = Vec::new();
        for &c in levels.iter().flat_map(|(_, cs)| cs) {
            for k in self.compiled.controls.get(c)?.kinds.as_ref()? {
                if !kinds.contains(k) {
                    kinds.push(k.clone());
                }
            }
        }
        Some(kinds)
    }

    pub(crate) fn make_unit(
        &self,
        pack: String,
        pack_version: String,
        profile: Option<Version>,
        requested: Option<String>,
        controls: Vec<usize>,
        env: Env,
    ) -> Unit {
        // Every list keeps the pack's order, so a resource's findings (and
        // the order `ward fix` applies their fixes in) are the same whichever
        // list offered its controls.
        let mut every = Vec::with_capacity(controls.len());
        for &c in &controls {
            if !every.contains(&c) {
                every.push(c);
            }
        }
        let kinds_of = |c: usize| {
            self.compiled
                .controls
                .get(c)
                .and_then(|cc| cc.kinds.as_ref())
        };
        let any_kind: Vec<usize> = every
            .iter()
            .copied()
            .filter(|&c| kinds_of(c).is_none())
            .collect();
        // A resource of a listed kind also meets every control that names no
        // kind; each kind's list holds both.
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        for &c in &every {
            for k in kinds_of(c).into_iter().flatten() {
                by_kind.entry(k.clone()).or_insert_with(|| {
                    every
                        .iter()
                        .copied()
                        .filter(|&d| kinds_of(d).is_none_or(|ks| ks.contains(k)))
                        .collect()
                });
            }
        }
        Unit {
            pack_version,
            profile,
            requested,
            controls,
            env,
            profile_fn: None,
            levels: Vec::new(),
            range: None,
            level_kinds: None,
            by_kind,
            any_kind,
            every,
            pack_name: Arc::from(pack.as_str()),
            pack,
        }
    }

    /// Whether a control is active at a profile version (`since`).
    pub fn active(&self, c: usize, profile: Option<Version>) -> bool {
        match (
            self.program.controls.get(c).and_then(|cd| cd.since),
            profile,
        ) {
            (Some(since), Some(v)) => since.cmp_value(v).is_le(),
            _ => true,
        }
    }

    fn eval_const_expr(&self, e: &ward_lang::hir::HExpr) -> Result<Frozen, SelectError> {
        let c = compile::compile_expr(e).map_err(|e| SelectError(e.message))?;
        let env = self.env("", None, "", &HashMap::new())?;
        let inv = Inventory::default();
        let mut ev = Evaluator::new(&self.compiled, &env, &inv, None);
        let v = ev
            .eval_free(&c)
            .map_err(|e| SelectError(self.eval_error_text(&e)))?;
        Ok(v.freeze())
    }

    fn eval_error_text(&self, e: &EvalError) -> String {
        let (l, c) = self.sources.line_col(e.span);
        format!("{}:{l}:{c}: {}", self.sources.name(e.span.file), e.message)
    }

    /// Params (defaults, then overrides) and constants for one unit.
    pub fn env(
        &self,
        pack: &str,
        profile: Option<Version>,
        level: &str,
        overrides: &HashMap<u32, Frozen>,
    ) -> Result<Env, SelectError> {
        let mut prof = vec![
            (Str::Ref("name"), Val::str(pack)),
            (Str::Ref("level"), Val::str(level)),
        ];
        prof.push((
            Str::Ref("version"),
            profile.map(Val::Version).unwrap_or_default(),
        ));
        let mut env = Env {
            params: vec![Frozen::Missing; self.program.params.len()],
            consts: vec![Frozen::Missing; self.program.consts.len()],
            profile: Val::Obj(Rc::new(prof)).freeze(),
            const_sets: Vec::new(),
        };
        let inv = Inventory::default();
        // Constants may read params and param defaults may read constants:
        // two rounds settle every chain the checker allows.
        for round in 0..2 {
            for &ci in &self.program.const_order {
                let Some(e) = self.compiled.consts.get(ci as usize) else {
                    continue;
                };
                let v = Evaluator::new(&self.compiled, &env, &inv, None)
                    .eval_free(e)
                    .map_err(|e| SelectError(self.eval_error_text(&e)))?
                    .freeze();
                if let Some(slot) = env.consts.get_mut(ci as usize) {
                    *slot = v;
                }
            }
            if round == 1 {
                break;
            }
            for (pi, def) in self.compiled.param_defaults.iter().enumerate() {
                let v = match overrides.get(&(pi as u32)) {
                    Some(v) => v.clone(),
                    None => match def {
                        Some(e) => Evaluator::new(&self.compiled, &env, &inv, None)
                            .eval_free(e)
                            .map_err(|e| SelectError(self.eval_error_text(&e)))?
                            .freeze(),
                        None => Frozen::Missing,
                    },
                };
                if let Some(slot) = env.params.get_mut(pi) {
                    *slot = v;
                }
            }
        }
        env.index_constants();
        Ok(env)
    }

    /// Param values for one package's controls run on their own (`ward
    /// explain --on`): `--set` names and values as [`Self::select_with`]
    /// reads them.
    pub fn param_overrides(
        &self,
        sets: &[(String, SetValue)],
        package: &str,
    ) -> Result<HashMap<u32, Frozen>, SelectError> {
        let packages: HashSet<&str> = std::iter::once(package).collect();
        self.parse_sets(sets, &packages)
    }

    /// `--set name=value`: by qualified name, or by a name only one param has.
    fn parse_sets(
        &self,
        sets: &[(String, SetValue)],
        packages: &HashSet<&str>,
    ) -> Result<HashMap<u32, Frozen>, SelectError> {
        let mut out = HashMap::new();
        for (name, set) in sets {
            let mut matches: Vec<(usize, &ward_lang::hir::ParamDef)> = self
                .program
                .params
                .iter()
                .enumerate()
                .filter(|(_, p)| p.qname == *name || p.name == *name)
                .collect();
            // A short name several packages share means all of those the
            // selected packs use (`--set exempt_namespaces=[...]`).
            if matches.len() > 1 && !matches.iter().any(|(_, p)| p.qname == *name) {
                let used: Vec<_> = matches
                    .iter()
                    .copied()
                    .filter(|(_, p)| {
                        packages.iter().any(|pkg| {
                            p.package == *pkg || pkg.starts_with(&format!("{}.", p.package))
                        })
                    })
                    .collect();
                if !used.is_empty() {
                    matches = used;
                }
                if matches.len() > 1 {
                    for (id, def) in &matches {
                        let value = set.value(&def.ty);
                        if !type_fits(&def.ty, &value) {
                            return Err(set.mismatch(name, def, &value));
                        }
                        out.insert(*id as u32, value.freeze());
                    }
                    continue;
                }
            }
            let (id, def) = match matches.as_slice() {
                [one] => *one,
                [] => {
                    let names: Vec<&str> = self
                        .program
                        .params
                        .iter()
                        .map(|p| p.qname.as_str())
                        .collect();
                    let hint = ward_lang::diagnostic::suggest(name, names.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    return Err(SelectError(format!(
                        "`{}`: there is no param `{name}`{hint}",
                        set.label(name)
                    )));
                }
                many => {
                    let names: Vec<&str> = many.iter().map(|(_, p)| p.qname.as_str()).collect();
                    return Err(SelectError(format!(
                        "`{}`: several params have this name; use one of {}",
                        set.label(name),
                        names.join(", ")
                    )));
                }
            };
            let value = set.value(&def.ty);
            if !type_fits(&def.ty, &value) {
                return Err(set.mismatch(name, def, &value));
            }
            out.insert(id as u32, value.freeze());
        }
        Ok(out)
    }

    /// Evaluates a selection over loaded inputs, on all cores.
    pub fn evaluate(&self, sel: &Selection, inputs: &Inputs, opts: &EvalOptions) -> Report {
        let inv = Inventory::new(inputs.resources.iter());
        let plugins: Option<&dyn Plugins> = self.plugins.as_deref().map(|p| p as &dyn Plugins);
        let ncontrols = self.program.controls.len();
        let nunits = sel.units.len();
        // One evaluator per unit and thread, reused for every resource the
        // thread takes.
        let make = || -> Vec<Evaluator<'_, '_>> {
            sel.units
                .iter()
                .map(|u| {
                    let mut ev = Evaluator::new(&self.compiled, &u.env, &inv, plugins);
                    ev.budget = opts.budget;
                    ev.memoize = opts.memoize;
                    ev.defer_lets = opts.defer_lets;
                    if opts.profile {
                        ev.count_calls();
                    }
                    if opts.count_statements {
                        ev.count_statements();
                    }
                    ev
                })
                .collect()
        };
        let spend = Spend::new(nunits * ncontrols, opts.run_budget);
        // Evaluators count references without atomics (see `Frozen`), so
        // each stays on the thread that made it: a worker per thread makes
        // its evaluators and memos, takes the export's pieces one after
        // another (the next that no worker has taken, so that one that
        // finishes early takes more), and drops them at the end. What the
        // memos kept across resources (which workloads a namespace has, what
        // a Role grants) serves every piece the worker takes, not one.
        let pieces: Vec<&[Resource]> = inputs
            .resources
            .chunks(piece_size(inputs.resources.len()))
            .collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let workers = rayon::current_num_threads().clamp(1, pieces.len().max(1));
        let mut accs: Vec<(usize, Acc)> = (0..workers)
            .into_par_iter()
            .flat_map_iter(|_| {
                let mut evs = make();
                let mut common = ResourceMemo::default();
                let mut views = (opts.share_views && opts.memoize && !opts.count_statements)
                    .then(|| crate::pod_view::PodViews::new(nunits));
                let parts = WorkerParts::new(self, sel);
                let mut done: Vec<(usize, Acc)> = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(piece) = pieces.get(i) else {
                        break;
                    };
                    let mut acc = Acc::new(nunits * ncontrols, opts.profile);
                    for r in *piece {
                        self.evaluate_resource(
                            sel,
                            inputs,
                            &inv,
                            &spend,
                            &mut evs,
                            r,
                            ncontrols,
                            opts.by_kind,
                            &mut common,
                            views.as_mut(),
                            &parts,
                            &mut acc,
                        );
                        if let Some(p) = &opts.progress {
                            p.evaluated_one();
                        }
                    }
                    done.push((i, acc));
                }
                // The worker's function runs and statements that fired go
                // with its last piece (a worker that took none ran nothing).
                if let Some((_, last)) = done.last_mut() {
                    for ev in &evs {
                        last.count_calls(ev.fn_counts());
                        last.fired.extend(ev.fired());
                    }
                }
                done
            })
            .collect();
        accs.sort_by_key(|(i, _)| *i);
        let accs: Vec<Acc> = accs.into_iter().map(|(_, a)| a).collect();
        let (findings, mut acc) = Acc::concat(accs, nunits * ncontrols, opts.profile);
        spend.settle(&acc.unspent);
        let mut report = Report {
            findings,
            errors: Vec::new(),
            skipped: inputs.skipped.clone(),
            outcomes: Vec::new(),
            functions: self.function_outcomes(&acc.fn_counts),
            // A folder's `Repository` resource is Ward's own summary of the
            // folder, not a file or resource the user gave: not counted.
            resources: inputs
                .resources
                .iter()
                .filter(|r| inputs.file(r).format != crate::input::Format::Folder)
                .count(),
            files: inputs
                .files
                .iter()
                .filter(|f| f.format != crate::input::Format::Folder)
                .count(),
            baselined: Vec::new(),
            duplicates: inv.duplicates(),
            fired: std::mem::take(&mut acc.fired),
        };
        for e in &inputs.errors {
            report.errors.push(Error {
                kind: ErrorKind::Input,
                file: Some(e.file.clone()),
                policy: None,
                line: e.line,
                column: e.column,
                message: e.message.clone(),
                control: None,
                resource: None,
            });
        }
        report.errors.extend(acc.errors);
        for (ui, u) in sel.units.iter().enumerate() {
            for c in u.reported_controls() {
                let Some(counts) = acc.counts.get(ui * ncontrols + c) else {
                    continue;
                };
                report.outcomes.push(ControlOutcome {
                    control: self
                        .program
                        .controls
                        .get(c)
                        .map(|cd| cd.id.clone())
                        .unwrap_or_default(),
                    pack: u.pack.clone(),
                    applied: counts[0] as usize,
                    failed: counts[1] as usize,
                    waived: 0,
                    errors: counts[2] as usize,
                    time_ns: acc.nanos.get(ui * ncontrols + c).copied().unwrap_or(0),
                    steps: spend.spent(ui * ncontrols + c),
                });
            }
        }
        report
    }

    #[allow(clippy::too_many_arguments)]
    fn evaluate_resource<'a>(
        &self,
        sel: &Selection,
        inputs: &'a Inputs,
        inv: &Inventory<'a>,
        spend: &Spend,
        evs: &mut [Evaluator<'_, 'a>],
        r: &'a Resource,
        ncontrols: usize,
        by_kind: bool,
        common: &mut ResourceMemo<'a>,
        mut views: Option<&mut crate::pod_view::PodViews<'a>>,
        parts: &WorkerParts,
        acc: &mut Acc,
    ) {
        // Its document's tables are read into the cache in order before
        // the controls walk them (`Doc::warm`).
        std::hint::black_box(r.doc.warm());
        let kind = r.kind();
        // The resource's identity and file, made for its first finding and
        // shared by the findings of every unit.
        let mut who = None;
        let mut view: crate::pod_view::Slot<'a> = None;
        for ((ui, unit), ev) in sel.units.iter().enumerate().zip(evs.iter_mut()) {
            // The memo of unit-free calls goes to this unit's evaluator for
            // its turn, and comes back for the next unit.
            ev.swap_common(common);
            let shared = Shared {
                views: views.as_deref_mut(),
                view: &mut view,
                parts,
            };
            self.evaluate_unit(
                ui, unit, inputs, inv, spend, ev, r, kind, ncontrols, by_kind, acc, &mut who,
                shared,
            );
            ev.swap_common(common);
        }
    }

    /// Runs one unit's controls over one resource.
    #[allow(clippy::too_many_arguments)]
    fn evaluate_unit<'a>(
        &self,
        ui: usize,
        unit: &Unit,
        inputs: &'a Inputs,
        inv: &Inventory<'a>,
        spend: &Spend,
        ev: &mut Evaluator<'_, 'a>,
        r: &'a Resource,
        kind: &str,
        ncontrols: usize,
        by_kind: bool,
        acc: &mut Acc,
        who: &mut Option<(Arc<Identity>, Arc<str>)>,
        shared: Shared<'_, 'a>,
    ) {
        ev.set_profile(None);
        let mut run = Run {
            unit,
            inv,
            spend,
            slot: ui * ncontrols,
            inputs,
            r,
            seen: Default::default(),
            mode: None,
            who,
            counted: Vec::new(),
            ui,
            shared,
        };
        // The pack's own controls run once; a `profile from` pack then
        // runs each level's controls for each profile of the resource.
        let controls = if by_kind {
            unit.controls_for(kind)
        } else {
            unit.every_control()
        };
        self.run_controls(ev, &mut run, controls, acc);
        let Some(fid) = unit.profile_fn else {
            return;
        };
        // No control of any level can apply to this kind: there is nothing
        // to run under the resource's profiles, so they are not worked out.
        if by_kind
            && unit
                .level_kinds
                .as_ref()
                .is_some_and(|ks| !ks.iter().any(|k| k == kind))
        {
            return;
        }
        let profiles = match ev.call_fn_value(fid, Val::Node(r.root())) {
            Ok(v) => self.profiles(&v, unit.range),
            Err(e) => {
                self.eval_error(acc, inputs, r, None, *e);
                return;
            }
        };
        for p in profiles {
            let controls = self.controls_at(unit, &p.level, p.version, by_kind.then_some(kind));
            let mut prof = vec![
                (Str::Ref("name"), Val::str(&unit.pack)),
                (Str::Ref("level"), Val::str(&p.level)),
                (Str::Ref("mode"), Val::str(&p.mode)),
            ];
            prof.push((
                Str::Ref("version"),
                p.version.map(Val::Version).unwrap_or_default(),
            ));
            ev.set_profile(Some(Val::Obj(Rc::new(prof))));
            run.mode = Some(p);
            self.run_controls(ev, &mut run, &controls, acc);
        }
    }

    /// Runs controls over one resource for one unit (and profile).
    fn run_controls<'a>(
        &self,
        ev: &mut Evaluator<'_, 'a>,
        run: &mut Run<'_, '_, 'a>,
        controls: &[usize],
        acc: &mut Acc,
    ) {
        let mut raw: Vec<RawFinding<'a>> = Vec::new();
        // What a shared outcome is remembered under, besides the control and
        // the view: the profile the controls run under.
        let profile = run.mode.as_ref().map_or(0, |p| {
            let mut h = rustc_hash::FxHasher::default();
            std::hash::Hash::hash(&(&p.level, p.version, &p.mode), &mut h);
            std::hash::Hasher::finish(&h)
        });
        for &c in controls {
            raw.clear();
            let slot = run.slot + c;
            if run.spend.stopped(slot) {
                continue;
            }
            // Under a later profile of the resource, a control that does not
            // read `profile` would find what it found under an earlier one,
            // all of it dropped as reported already (`Run::seen`): it is not
            // run again. Levels that share controls (baseline in restricted)
            // and profiles that differ in mode or version share most.
            if !run.first(c, Counted::RAN)
                && !self
                    .compiled
                    .controls
                    .get(c)
                    .is_some_and(|cc| cc.reads_profile)
            {
                continue;
            }
            let started = (!acc.nanos.is_empty()).then(std::time::Instant::now);
            let (result, steps) = run_or_share(&self.compiled, ev, run, c, profile, &mut raw);
            if let (Some(t), Some(n)) = (started, acc.nanos.get_mut(slot)) {
                *n += u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
            }
            if acc.spend(run.spend, slot, steps) {
                self.run_budget_error(acc, c, run.spend.budget);
            }
            match result {
                Ok(Applied::Yes) => {
                    // Failed: a finding that denies is reported (under a
                    // profile, in enforce mode and not reported already).
                    let mut denied = false;
                    for f in raw.drain(..) {
                        let mut finding = self.finding(run, f);
                        if let Some(p) = &run.mode {
                            // Only the enforce mode denies; audit and warn
                            // report what the enforce level did not.
                            if !run.seen.insert((c, finding.pointer.clone())) {
                                continue;
                            }
                            if p.mode != "enforce" {
                                finding.level = Level::Warn;
                            }
                            finding.profile = Some(
                                format!(
                                    "{}:{} ({})",
                                    p.level,
                                    p.version.map(|v| v.to_string()).unwrap_or_default(),
                                    p.mode
                                )
                                .into(),
                            );
                        }
                        denied |= finding.level == Level::Deny;
                        acc.push(finding);
                    }
                    let applied = run.first(c, Counted::APPLIED);
                    let failed = denied && run.first(c, Counted::FAILED);
                    if let Some(counts) = acc.counts.get_mut(slot) {
                        counts[0] += u32::from(applied);
                        counts[1] += u32::from(failed);
                    }
                }
                Ok(Applied::No) => {}
                Err(e) => {
                    let first = run.first(c, Counted::ERROR);
                    if let Some(counts) = acc.counts.get_mut(slot) {
                        counts[2] += u32::from(first);
                    }
                    self.eval_error(acc, run.inputs, run.r, Some(c), *e);
                }
            }
        }
    }

    /// The functions whose bodies a profiled run ran, most steps first.
    fn function_outcomes(&self, counts: &[FnCount]) -> Vec<FunctionOutcome> {
        let mut out: Vec<FunctionOutcome> = counts
            .iter()
            .zip(&self.program.fns)
            .filter(|(c, _)| c.runs > 0)
            .map(|(c, f)| FunctionOutcome {
                function: f.qname.clone(),
                runs: c.runs,
                steps: c.steps,
                time_ns: c.nanos,
            })
            .collect();
        out.sort_by(|a, b| {
            b.steps
                .cmp(&a.steps)
                .then_with(|| a.function.cmp(&b.function))
        });
        out
    }

    /// The one error of a control that ran out of its run budget.
    fn run_budget_error(&self, acc: &mut Acc, c: usize, budget: u64) {
        let Some(cd) = self.program.controls.get(c) else {
            return;
        };
        let (line, column) = self.sources.line_col(cd.span);
        acc.errors.push(Error {
            kind: ErrorKind::Evaluation,
            file: None,
            policy: Some(self.sources.name(cd.span.file).to_string()),
            line,
            column,
            message: format!(
                "control `{}` stopped: it took more than {budget} evaluation steps over the \
                 whole run, so its findings are incomplete (raise the limit with --run-budget)",
                cd.id
            ),
            control: Some(cd.id.clone()),
            resource: None,
        });
    }

    fn eval_error(
        &self,
        acc: &mut Acc,
        inputs: &Inputs,
        r: &Resource,
        control: Option<usize>,
        e: EvalError,
    ) {
        let (line, column) = self.sources.line_col(e.span);
        acc.errors.push(Error {
            kind: ErrorKind::Evaluation,
            file: Some(inputs.file(r).path.clone()),
            policy: Some(self.sources.name(e.span.file).to_string()),
            line,
            column,
            message: e.message,
            control: control
                .and_then(|c| self.program.controls.get(c))
                .map(|cd| cd.id.clone()),
            resource: Some(identity(r)),
        });
    }

    /// The profiles a `profile from` function returned, enforce first,
    /// each (level, version) once.
    fn profiles(&self, v: &Val<'_>, range: Option<ward_lang::hir::ProfileRange>) -> Vec<Profile> {
        let items: Vec<Val<'_>> = if v.is_list() {
            v.items().collect()
        } else if v.is_obj() {
            vec![v.clone()]
        } else {
            Vec::new()
        };
        let mut out: Vec<Profile> = Vec::new();
        for it in items {
            let level = it.get_str("level").as_str().unwrap_or("").to_string();
            let mode = it.get_str("mode").as_str().unwrap_or("enforce").to_string();
            let requested = match it.get_str("version").resolve() {
                Val::Version(v) => Some(v),
                Val::Str(s) => Version::parse(s.as_str()),
                _ => None,
            };
            let version = match range {
                Some(r) => r.resolve(requested).or(Some(r.from)),
                None => requested,
            };
            out.push(Profile {
                level,
                version,
                mode,
            });
        }
        out.sort_by_key(|p| match p.mode.as_str() {
            "enforce" => 0,
            "audit" => 1,
            _ => 2,
        });
        let mut seen = HashSet::new();
        out.retain(|p| seen.insert((p.level.clone(), p.version.map(|v| v.to_string()))));
        out
    }

    /// The controls a level runs at a version: the level's, active at that
    /// version, minus those replaced.
    fn controls_at(
        &self,
        unit: &Unit,
        level: &str,
        version: Option<Version>,
        kind: Option<&str>,
    ) -> Vec<usize> {
        let mut cs: Vec<usize> = Vec::new();
        if let Some((_, lc)) = unit.levels.iter().find(|(l, _)| l == level) {
            cs.extend(lc.iter().copied());
        }
        cs.retain(|&c| self.active(c, version));
        // A few at most: looked through, not hashed.
        let replaced: Vec<&str> = cs
            .iter()
            .filter_map(|&c| self.program.controls.get(c)?.replaces.as_deref())
            .collect();
        cs.retain(|&c| {
            self.program
                .controls
                .get(c)
                .is_some_and(|cd| !replaced.contains(&cd.id.as_str()))
                && self
                    .compiled
                    .controls
                    .get(c)
                    .is_some_and(|cc| match (&cc.kinds, kind) {
                        (Some(ks), Some(kind)) => ks.iter().any(|x| x == kind),
                        _ => true,
                    })
        });
        cs.sort_unstable();
        cs.dedup();
        cs
    }

    fn finding(&self, run: &mut Run<'_, '_, '_>, f: RawFinding<'_>) -> Finding {
        let (unit, inputs, inv, evaluated) = (run.unit, run.inputs, run.inv, run.r);
        let who = &mut *run.who;
        // A control may point into another resource (a Repository control
        // at a workflow step): the finding is then at that resource.
        let own = std::ptr::eq(f.node.doc, &evaluated.doc);
        let r = if own {
            evaluated
        } else {
            inv.owner_of(f.node.doc).unwrap_or(evaluated)
        };
        let pointer = f.pointer();
        let mut pos = f.node.pos();
        if !pos.is_known() {
            pos = r.root().pos();
        }
        // The evaluated resource's identity and file are made once and
        // shared by all its findings.
        let make = || {
            (
                Arc::new(identity(r)),
                Arc::from(inputs.file(r).path.as_str()),
            )
        };
        let (resource, file) = if own {
            who.get_or_insert_with(make).clone()
        } else {
            make()
        };
        let parts = run
            .shared
            .parts
            .controls
            .get(f.control)
            .cloned()
            .unwrap_or_else(|| ControlParts {
                id: Arc::from(""),
                title: Arc::from(""),
                remedy: Arc::from(""),
                frameworks: Arc::from([]),
            });
        let control = self.program.controls.get(f.control);
        let fingerprint = fingerprint(&parts.id, &resource, &pointer);
        // A path below the node that does not exist holds no value.
        let secrets = (control.is_some_and(|c| c.redact) && f.rest.is_empty())
            .then(|| crate::finding::secrets_under(f.node))
            .flatten();
        let message = if f.message.is_empty() {
            parts.title.clone()
        } else {
            f.message
        };
        Finding::new(FindingFields {
            control: parts.id,
            pack: run
                .shared
                .parts
                .packs
                .get(run.ui)
                .cloned()
                .unwrap_or_else(|| unit.pack_name.clone()),
            profile: unit.profile.map(|v| v.to_string().into()),
            severity: control.map(|c| c.severity).unwrap_or_default(),
            level: match f.kind {
                FindingKind::Deny => Level::Deny,
                FindingKind::Warn => Level::Warn,
            },
            title: parts.title,
            message,
            frameworks: parts.frameworks,
            resource,
            file,
            origin: r.origin.as_deref().map(Box::from),
            document: r.index,
            line: pos.line,
            column: pos.col,
            pointer,
            fix: f.fixes,
            remedy: parts.remedy,
            fingerprint,
            waived: None,
            secrets: secrets.map(Box::new),
        })
    }
}

/// One profile a `profile from` function picked for a resource.
#[derive(Clone, Debug)]
struct Profile {
    level: String,
    version: Option<Version>,
    mode: String,
}

/// What one resource's evaluation for one unit needs to carry along.
struct Run<'u, 'w, 'a> {
    unit: &'u Unit,
    inv: &'u Inventory<'a>,
    spend: &'u Spend,
    slot: usize,
    inputs: &'a Inputs,
    r: &'a Resource,
    /// (control, pointer) already reported under an earlier profile.
    seen: rustc_hash::FxHashSet<(usize, String)>,
    mode: Option<Profile>,
    /// The resource's identity and file, once a finding needed them (of
    /// any unit).
    who: &'w mut Option<(Arc<Identity>, Arc<str>)>,
    /// Under profiles, what each control has done on this resource
    /// ([`Counted`]): whether it ran, and what it was counted for. A control
    /// that reads `profile` runs once per profile, and is counted once per
    /// resource.
    counted: Vec<(usize, u8)>,
    /// The unit's index.
    ui: usize,
    /// What objects with the same pod view share.
    shared: Shared<'w, 'a>,
}

/// A worker's pod views (when they are shared) and the resource's view.
struct Shared<'w, 'a> {
    views: Option<&'w mut crate::pod_view::PodViews<'a>>,
    view: &'w mut crate::pod_view::Slot<'a>,
    /// The worker's copies of what findings carry.
    parts: &'w WorkerParts,
}

/// What a control run gave: its result, and the steps it took.
type Ran = (Result<Applied, Box<EvalError>>, u64);

/// Runs a control on a resource; or, when the control reads only the pod
/// view and an object with the same view met it before, hands on what it
/// found there (no steps taken).
fn run_or_share<'a>(
    compiled: &Compiled,
    ev: &mut Evaluator<'_, 'a>,
    run: &mut Run<'_, '_, 'a>,
    c: usize,
    profile: u64,
    raw: &mut Vec<RawFinding<'a>>,
) -> Ran {
    let root = run.r.root();
    let fresh = |ev: &mut Evaluator<'_, 'a>, raw: &mut Vec<RawFinding<'a>>| -> Ran {
        let r = ev.run_control(c, root, raw);
        (r, ev.steps())
    };
    let eligible = compiled.controls.get(c).is_some_and(|cc| cc.pod_view);
    let Some(views) = run.shared.views.as_deref_mut().filter(|_| eligible) else {
        return fresh(ev, raw);
    };
    if run.shared.view.is_none() {
        *run.shared.view = Some(views.view(ev, compiled.view_fns, root));
    }
    let Some(Some(view)) = run.shared.view.as_ref() else {
        return fresh(ev, raw);
    };
    let key = (c, view.number, profile);
    match views.find(run.ui, key) {
        Some(Some(o)) if o.replay(c, view, raw) => {
            (Ok(if o.applied { Applied::Yes } else { Applied::No }), 0)
        }
        Some(_) => fresh(ev, raw),
        None => {
            let ran = fresh(ev, raw);
            if let Ok(a) = &ran.0 {
                let kept = crate::pod_view::remember(view, *a == Applied::Yes, raw);
                views.keep(run.ui, key, kept);
            }
            ran
        }
    }
}

/// What a control has done on a resource, as bits.
struct Counted;

impl Counted {
    const RAN: u8 = 1;
    const APPLIED: u8 = 2;
    const FAILED: u8 = 4;
    const ERROR: u8 = 8;
}

impl Run<'_, '_, '_> {
    /// Whether this is the first time the control does `what` on this
    /// resource (and it is marked done): always outside profiles, where
    /// each control runs once; under them, once per resource.
    fn first(&mut self, control: usize, what: u8) -> bool {
        if self.mode.is_none() {
            return true;
        }
        match self.counted.iter_mut().find(|(c, _)| *c == control) {
            Some((_, bits)) if *bits & what != 0 => false,
            Some((_, bits)) => {
                *bits |= what;
                true
            }
            None => {
                self.counted.push((control, what));
                true
            }
        }
    }
}

/// Steps each (unit, control) took over the run, shared by the threads; a
/// control past the run budget stops. Each piece of work counts its steps
/// on its own and adds them here in batches ([`Acc::spend`]): an addition
/// shared by the threads on every control run kept the counters' cache
/// lines moving between the cores.
struct Spend {
    budget: u64,
    /// Steps a piece counts on its own before adding them here: small next
    /// to the budget, so a control stops less than that many steps per
    /// piece past it (what a piece has not added yet is added when the
    /// run ends).
    batch: u64,
    steps: Vec<std::sync::atomic::AtomicU64>,
    stopped: Vec<std::sync::atomic::AtomicBool>,
}

impl Spend {
    fn new(n: usize, budget: u64) -> Spend {
        Spend {
            budget,
            batch: (budget / 64).clamp(1, 1 << 16),
            steps: (0..n).map(|_| Default::default()).collect(),
            stopped: (0..n).map(|_| Default::default()).collect(),
        }
    }

    fn spent(&self, slot: usize) -> u64 {
        self.steps
            .get(slot)
            .map_or(0, |s| s.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn stopped(&self, slot: usize) -> bool {
        self.stopped
            .get(slot)
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Adds what the threads counted and had not added yet, once they are
    /// done: the controls have run, so none is stopped.
    fn settle(&self, unspent: &[u64]) {
        for (total, n) in self.steps.iter().zip(unspent) {
            total.fetch_add(*n, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Counts steps; true exactly once, for the call that crossed the budget.
    fn add(&self, slot: usize, steps: u64) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let (Some(total), Some(stopped)) = (self.steps.get(slot), self.stopped.get(slot)) else {
            return false;
        };
        let before = total.fetch_add(steps, Relaxed);
        before.saturating_add(steps) > self.budget && !stopped.swap(true, Relaxed)
    }
}

/// Per-thread accumulation of an evaluation.
struct Acc {
    /// In chunks of [`Acc::CHUNK`], so that no finding moves as a piece
    /// of the export goes on.
    findings: Vec<Vec<Finding>>,
    errors: Vec<Error>,
    /// Per (unit, control): applied, failed, errors.
    counts: Vec<[u32; 3]>,
    /// Per (unit, control): nanoseconds, when profiling (else empty).
    nanos: Vec<u64>,
    /// Per (unit, control): steps counted and not yet added to the run's
    /// [`Spend`].
    unspent: Vec<u64>,
    /// Per function, its runs over the units, when profiling (else empty).
    fn_counts: Vec<FnCount>,
    /// The statements that made a finding, when counting them.
    fired: Vec<(u32, u32)>,
}

impl Acc {
    fn new(n: usize, profile: bool) -> Acc {
        Acc {
            findings: Vec::new(),
            errors: Vec::new(),
            counts: vec![[0; 3]; n],
            nanos: if profile { vec![0; n] } else { Vec::new() },
            unspent: vec![0; n],
            fn_counts: Vec::new(),
            fired: Vec::new(),
        }
    }

    /// Adds an evaluator's counts of function runs.
    fn count_calls(&mut self, counts: &[FnCount]) {
        if self.fn_counts.len() < counts.len() {
            self.fn_counts.resize(counts.len(), FnCount::default());
        }
        for (x, y) in self.fn_counts.iter_mut().zip(counts) {
            x.runs += y.runs;
            x.steps += y.steps;
            x.nanos += y.nanos;
        }
    }

    /// Counts a control run's steps, adding them to the run's total once
    /// they make a batch; true exactly once, for the batch that crossed the
    /// budget.
    fn spend(&mut self, spend: &Spend, slot: usize, steps: u64) -> bool {
        let Some(n) = self.unspent.get_mut(slot) else {
            return false;
        };
        *n = n.saturating_add(steps);
        if *n < spend.batch {
            return false;
        }
        let batch = std::mem::take(n);
        spend.add(slot, batch)
    }

    /// Findings per chunk: 8 KB of pointers (a [`Finding`] is one).
    const CHUNK: usize = 1024;

    fn push(&mut self, f: Finding) {
        match self.findings.last_mut() {
            Some(c) if c.len() < Self::CHUNK => c.push(f),
            _ => {
                let mut c = Vec::with_capacity(Self::CHUNK);
                c.push(f);
                self.findings.push(c);
            }
        }
    }

    /// The accumulators of all the threads' pieces, in resource order, as
    /// one list of findings and the rest summed: each finding is moved
    /// once, into a list of the right size. Merging them two by two, as
    /// they grew, moved most findings many times over and touched fresh
    /// memory every time (a sixth of the page faults of a 100,000-resource
    /// run).
    fn concat(accs: Vec<Acc>, n: usize, profile: bool) -> (Vec<Finding>, Acc) {
        let total = accs
            .iter()
            .flat_map(|a| &a.findings)
            .map(Vec::len)
            .sum::<usize>();
        let mut findings = Vec::with_capacity(total);
        let mut all = Acc::new(n, profile);
        for a in accs {
            for c in a.findings {
                findings.extend(c);
            }
            all.errors.extend(a.errors);
            for (x, y) in all.counts.iter_mut().zip(a.counts) {
                x[0] += y[0];
                x[1] += y[1];
                x[2] += y[2];
            }
            for (x, y) in all.nanos.iter_mut().zip(a.nanos) {
                *x += y;
            }
            for (x, y) in all.unspent.iter_mut().zip(a.unspent) {
                *x = x.saturating_add(y);
            }
            all.count_calls(&a.fn_counts);
            all.fired.extend(a.fired);
        }
        all.fired.sort_unstable();
        all.fired.dedup();
        (findings, all)
    }
}

/// The identity of a resource.
pub fn identity(r: &Resource) -> Identity {
    Identity {
        api_version: r.api_version().to_string(),
        kind: r.kind().to_string(),
        namespace: r.namespace().to_string(),
        name: r.name().to_string(),
    }
}

pub use crate::finding::fingerprint;

/// How many resources a piece of evaluation holds: 32 pieces a thread, so
/// that the thread that finishes last is alone for a short piece at most
/// (a worker keeps its memos from one piece to the next, so short pieces
/// cost nothing else), and at least [`MIN_PIECE`], so that a small input
/// is one piece.
fn piece_size(resources: usize) -> usize {
    resources
        .div_ceil(rayon::current_num_threads().max(1) * 32)
        .max(MIN_PIECE)
}

/// The fewest resources of a piece of evaluation (see [`piece_size`]).
const MIN_PIECE: usize = 256;

/// A `--set` value: a Ward literal when it reads as one, else a string.
pub fn parse_set_value(text: &str) -> Val<'static> {
    use ward_lang::ast::ExprKind;
    fn lit(e: &ward_lang::ast::Expr) -> Option<Val<'static>> {
        Some(match &e.kind {
            ExprKind::Null => Val::Null,
            ExprKind::Bool(b) => Val::Bool(*b),
            ExprKind::Num(n) => Val::Num(*n),
            ExprKind::Version(v) => Val::Version(*v),
            ExprKind::Str(_) | ExprKind::RawStr(_) => Val::string(e.as_plain_str()?),
            ExprKind::Unary(ward_lang::ast::UnOp::Neg, x) => Val::Num(-lit(x)?.as_num()?),
            ExprKind::List(items) => Val::list(items.iter().map(lit).collect::<Option<_>>()?),
            ExprKind::Object(kvs) => Val::Obj(Rc::new(
                kvs.iter()
                    .map(|(k, v)| Some((Str::Own(Rc::from(k.node.as_str())), lit(v)?)))
                    .collect::<Option<_>>()?,
            )),
            ExprKind::Paren(x) => lit(x)?,
            _ => return None,
        })
    }
    match ward_lang::parse_expr(FileId(u32::MAX), text) {
        Ok(e) => lit(&e).unwrap_or_else(|| Val::str(text)),
        Err(_) => Val::str(text),
    }
}

fn type_fits(t: &ward_lang::types::Ty, v: &Val<'_>) -> bool {
    use ward_lang::types::Ty;
    match t {
        Ty::Any => true,
        Ty::Bool => v.as_bool().is_some(),
        Ty::Num => v.as_num().is_some(),
        Ty::Str => v.as_str().is_some(),
        Ty::Version => matches!(v, Val::Version(_)),
        Ty::Null => v.is_unset(),
        Ty::List => v.is_list(),
        Ty::ListOf(e) => v.is_list() && v.items().all(|i| type_fits(e, &i)),
        Ty::Object | Ty::Record(_) => v.is_obj(),
        Ty::MapOf(e) => v.is_obj() && v.entries().iter().all(|(_, x)| type_fits(e, x)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of the built-in files alone takes the program checked when
    /// Ward was built; it is the program checking them now gives, and the
    /// engine made from it is the one made by parsing and checking them.
    #[test]
    fn the_program_checked_at_build_time_is_the_one_checking_gives() {
        let builder = EngineBuilder::new();
        let stored = builder
            .embedded_only()
            .expect("the built-in files check cleanly, so their program is stored");
        let modules: Vec<Module> = builder
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| parse(FileId(u32::try_from(i).unwrap()), &f.text).unwrap())
            .collect();
        let checked = ward_lang::check(&modules);
        assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
        assert_eq!(format!("{stored:?}"), format!("{:?}", checked.program));
        // A user's file, even one that is empty, leads to checking again.
        assert!(
            builder
                .clone()
                .policy("mine.ward", "")
                .embedded_only()
                .is_none()
        );
        let engine = builder.build().unwrap();
        assert_eq!(
            format!("{:?}", engine.program),
            format!("{:?}", checked.program)
        );
    }

    /// Evaluation values stay on the thread that made them (they count
    /// references with `Rc`); what an embedder holds and shares between
    /// threads does not hold them. This does not compile if it does.
    #[test]
    fn what_an_embedder_shares_can_cross_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Engine>();
        shared::<Selection>();
        shared::<Inputs>();
        shared::<Report>();
        shared::<Env>();
        shared::<Compiled>();
    }

    /// A finding told apart by its line.
    fn numbered(line: u32) -> Finding {
        Finding::new(FindingFields {
            control: Arc::from("c"),
            pack: Arc::from("p"),
            profile: None,
            severity: ward_lang::hir::Severity::default(),
            level: Level::Deny,
            title: Arc::from(""),
            message: "".into(),
            frameworks: Arc::from([]),
            resource: Arc::new(Identity::default()),
            file: Arc::from("f"),
            origin: None,
            document: 0,
            line,
            column: 1,
            pointer: String::new(),
            fix: Vec::new(),
            remedy: Arc::from(""),
            fingerprint: Default::default(),
            waived: None,
            secrets: None,
        })
    }

    /// An engine of the standard library and one policy, and the selection
    /// of the policy's controls.
    fn built(name: &str, policy: &str) -> (Engine, Selection) {
        let engine = EngineBuilder::std_only()
            .policy(name, policy)
            .build()
            .expect("the policy checks");
        let sel = engine
            .select(&[], true, &[])
            .expect("the selection is valid");
        (engine, sel)
    }

    /// The inputs of one YAML file, `p.yaml`.
    fn one_file(text: &str) -> Inputs {
        let mut inputs = Inputs::default();
        inputs.add_text("p.yaml", text, &crate::LoadOptions::default());
        inputs
    }

    /// Calls whose arguments are memoised, and a call whose second argument
    /// fails.
    const STACKED: &str = r#"package stacked

fn two(a, b) = "{a}/{b}"

control answered {
  title "answered"
  severity low
  match input.kind == "Pod"
  let n = input.metadata.name
  for c in input.spec.containers {
    deny when two(n, c.image) != "" and two(n, c.image) != "x" message "{two(n, c.image)}"
  }
}

control fails {
  title "fails"
  severity low
  match input.kind == "Pod"
  deny when two(input.metadata.name, [x for x in input.metadata.name]) == ""
}
"#;

    /// A call's arguments go on the stack where its frame will start; a
    /// call answered from the memo, and one whose argument fails, take
    /// them off again, so a control ends with only the controls' frame
    /// there.
    #[test]
    fn calls_leave_the_stack_as_they_found_it() {
        let (engine, sel) = built("stacked.ward", STACKED);
        let inputs = one_file(
            "kind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{image: a}, {image: b}]\n",
        );
        let inv = Inventory::new(inputs.resources.iter());
        let unit = sel.units.first().expect("one unit");
        let mut ev = Evaluator::new(&engine.compiled, &unit.env, &inv, None);
        let root = inputs.resources.first().expect("the pod").root();
        let control = |id: &str| engine.control_index(id).expect("the control");
        let slots = |c: usize| engine.compiled.controls[c].slots as usize;
        let mut out = Vec::new();
        let answered = control("stacked.answered");
        assert!(matches!(
            ev.run_control(answered, root, &mut out),
            Ok(Applied::Yes)
        ));
        let messages: Vec<&str> = out.iter().map(|f| f.message.as_ref()).collect();
        assert_eq!(messages, ["p/a", "p/b"]);
        assert_eq!(ev.stack_len(), slots(answered));
        let fails = control("stacked.fails");
        let err = ev.run_control(fails, root, &mut out).expect_err("it fails");
        assert!(err.message.contains("cannot iterate"), "{}", err.message);
        // The stack keeps the largest frame so far, and nothing more.
        assert_eq!(ev.stack_len(), slots(answered).max(slots(fails)));
    }

    /// Services ask for the images of the pods of their namespace; each pod
    /// then asks for its own.
    const ASKED: &str = r#"package asked

/// A pod's images, joined, the long way round.
fn images(p) = join([c.image for c in p.spec.containers ?? [] if len(c.image) > 0], ",")

control reaches {
  title "reaches"
  severity low
  match input.kind == "Service"
  for p in resources(kind: "Pod", namespace: input.metadata.namespace) {
    deny message "{input.metadata.name} reaches {images(p)}"
  }
}

control runs {
  title "runs"
  severity low
  match input.kind == "Pod"
  deny message "{input.metadata.name} runs {images(input)}"
}
"#;

    /// A result worked out while one resource asked about another answers
    /// the other's own call, when the same evaluators meet both in turn (as
    /// they do within one thread's piece of the export). Driven here one
    /// resource after the other, as a piece is, since how rayon cuts a
    /// handful of resources into pieces is its own affair.
    #[test]
    fn results_worked_out_for_others_answer_a_resources_own_call() {
        let (engine, sel) = built("asked.ward", ASKED);
        let runs = engine.control_index("asked.runs").expect("the control");
        let run = |service: bool| {
            let mut inputs = Inputs::default();
            let load = crate::LoadOptions::default();
            if service {
                inputs.add_text(
                    "s.yaml",
                    "kind: Service\nmetadata:\n  name: s\n  namespace: a\n",
                    &load,
                );
            }
            for (i, [a, b]) in [["nginx", "redis"], ["busybox", "envoy"]]
                .iter()
                .enumerate()
            {
                let text = format!(
                    "kind: Pod\nmetadata:\n  name: p{i}\n  namespace: a\nspec:\n  containers: [{{image: {a}}}, {{image: {b}}}]\n"
                );
                inputs.add_text(&format!("p{i}.yaml"), &text, &load);
            }
            let inv = Inventory::new(inputs.resources.iter());
            let n = engine.program.controls.len();
            let spend = Spend::new(sel.units.len() * n, u64::MAX);
            let mut evs: Vec<Evaluator<'_, '_>> = sel
                .units
                .iter()
                .map(|u| Evaluator::new(&engine.compiled, &u.env, &inv, None))
                .collect();
            let mut acc = Acc::new(sel.units.len() * n, false);
            let mut common = ResourceMemo::default();
            let parts = WorkerParts::new(&engine, &sel);
            for r in &inputs.resources {
                engine.evaluate_resource(
                    &sel,
                    &inputs,
                    &inv,
                    &spend,
                    &mut evs,
                    r,
                    n,
                    true,
                    &mut common,
                    None,
                    &parts,
                    &mut acc,
                );
            }
            let (findings, acc) = Acc::concat(vec![acc], sel.units.len() * n, false);
            spend.settle(&acc.unspent);
            assert!(acc.errors.is_empty(), "{:?}", acc.errors);
            let mut messages: Vec<String> = findings
                .into_iter()
                .map(|f| f.message.to_string())
                .collect();
            messages.sort();
            (messages, spend.spent(runs))
        };
        let (asked, asked_steps) = run(true);
        assert_eq!(
            asked,
            [
                "p0 runs nginx,redis",
                "p1 runs busybox,envoy",
                "s reaches busybox,envoy",
                "s reaches nginx,redis",
            ]
        );
        // Without the Service, each pod works its images out itself.
        let (alone, alone_steps) = run(false);
        assert_eq!(alone, ["p0 runs nginx,redis", "p1 runs busybox,envoy"]);
        assert!(
            asked_steps < alone_steps,
            "{asked_steps} after the Service asked, {alone_steps} alone"
        );
    }

    /// Chains of fields from each place a value can be: `input`, a local
    /// node, an object literal holding nodes and objects, a call, and
    /// paths that lead nowhere at each step.
    #[test]
    fn field_chains_read_the_same_from_every_start() {
        let policy = r#"package paths

fn spec_of(r) = r.spec

control walks {
  title "walks"
  severity low
  match input.kind == "Pod"
  let local = input.spec
  let holder = {inner: input.spec, nested: {deep: input.metadata, n: 1}}
  deny message "{input.metadata.labels.app} {local.securityContext.runAsUser} {holder.inner.securityContext.runAsUser} {holder.nested.deep.labels.app} {holder.nested.n} {spec_of(input).securityContext.runAsUser}"
  deny message "{exists(input.metadata.nothing.here)} {exists(local.nothing)} {exists(local.securityContext.nothing)} {exists(holder.inner.nothing.deeper)} {exists(holder.nested.nothing)} {exists(holder.nested.n.deeper)} {exists(spec_of(input).nothing.here)} {exists(local.securityContext.runAsUser.deeper)}"
}
"#;
        let (engine, sel) = built("paths.ward", policy);
        let inputs = one_file(
            "kind: Pod\nmetadata:\n  name: p\n  labels: {app: web}\nspec:\n  securityContext: {runAsUser: 1000}\n",
        );
        for memoize in [true, false] {
            let opts = EvalOptions {
                memoize,
                ..EvalOptions::default()
            };
            let report = engine.evaluate(&sel, &inputs, &opts);
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_ref()).collect();
            assert_eq!(
                messages,
                [
                    "web 1000 1000 web 1 1000",
                    "false false false false false false false false"
                ]
            );
        }
    }

    #[test]
    fn a_finding_fits_in_an_allocation_of_256_bytes() {
        // Each finding's fields are one allocation, kept to the end of the
        // run: past 256 bytes, mimalloc serves it from its 320-byte class.
        assert!(
            std::mem::size_of::<crate::finding::FindingFields>() <= 256,
            "{} bytes",
            std::mem::size_of::<crate::finding::FindingFields>()
        );
    }

    #[test]
    fn findings_keep_no_spare_room_in_their_pointers_and_fixes() {
        // Findings live to the end of the run: 234,000 of them at 100k.
        let policy = r#"package roomy

control roomy {
  title "roomy"
  severity low
  match input.kind == "Pod"
  for c in input.spec.containers {
    deny at c.securityContext.privileged
      message "privileged"
      fix set c.securityContext.privileged = false
      fix set c.securityContext.runAsNonRoot = true
      fix set c.securityContext.capabilities.drop = ["ALL"]
  }
}
"#;
        let (engine, sel) = built("roomy.ward", policy);
        let inputs = one_file(
            "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    securityContext: {privileged: true}\n",
        );
        let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let [f] = report.findings.as_slice() else {
            panic!("one finding: {:?}", report.findings);
        };
        assert_eq!(f.pointer, "/spec/containers/0/securityContext/privileged");
        assert_eq!(f.pointer.capacity(), f.pointer.len());
        assert_eq!(f.fix.len(), 3);
        assert_eq!(f.fix.capacity(), f.fix.len());
        for op in &f.fix {
            assert_eq!(op.path.capacity(), op.path.len(), "{}", op.path);
        }
    }

    #[test]
    fn threads_add_their_steps_in_batches_and_a_control_stops_once() {
        // A budget of 640 steps: batches of 10.
        let spend = Spend::new(2, 640);
        assert_eq!(spend.batch, 10);
        let (mut a, mut b) = (Acc::new(2, false), Acc::new(2, false));
        // Under a batch, a thread keeps its count to itself.
        assert!(!a.spend(&spend, 1, 9));
        assert_eq!((spend.spent(1), a.unspent[1]), (0, 9));
        // A full batch is added to the run's total.
        assert!(!a.spend(&spend, 1, 1));
        assert_eq!((spend.spent(1), a.unspent[1]), (10, 0));
        // The batch that takes the total past the budget stops the control,
        // once, whichever thread adds it.
        assert!(!b.spend(&spend, 1, 630));
        assert!(!spend.stopped(1));
        assert!(a.spend(&spend, 1, 25));
        assert!(spend.stopped(1));
        assert!(!b.spend(&spend, 1, 100));
        // The other control's count is its own.
        assert!(!a.spend(&spend, 0, 3));
        // What is left is added when the threads are done.
        let (_, all) = Acc::concat(vec![a, b], 2, false);
        spend.settle(&all.unspent);
        assert_eq!((spend.spent(0), spend.spent(1)), (3, 765));
    }

    #[test]
    fn pieces_are_put_together_in_order_across_chunks() {
        let sizes = [0, 1, Acc::CHUNK, Acc::CHUNK + 1, 3 * Acc::CHUNK - 1];
        let mut line = 0u32;
        let accs: Vec<Acc> = sizes
            .iter()
            .map(|&n| {
                let mut a = Acc::new(2, true);
                for _ in 0..n {
                    a.push(numbered(line));
                    line += 1;
                }
                // Chunks are filled up to their size and never grown.
                assert!(a.findings.iter().all(|c| c.capacity() == Acc::CHUNK));
                a.counts[1] = [1, 2, 3];
                a.nanos[0] = 5;
                a.unspent[0] = 7;
                a
            })
            .collect();
        let (findings, all) = Acc::concat(accs, 2, true);
        let lines: Vec<u32> = findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, (0..line).collect::<Vec<u32>>());
        assert_eq!(findings.capacity(), findings.len());
        assert_eq!(all.counts, vec![[0; 3], [5, 10, 15]]);
        assert_eq!(all.nanos, vec![25, 0]);
        assert_eq!(all.unspent, vec![35, 0]);
    }

    #[test]
    fn pack_refs() {
        assert_eq!(
            "pss-restricted@v1.25".parse::<PackRef>().unwrap(),
            PackRef {
                name: "pss-restricted".into(),
                version: Some("v1.25".into())
            }
        );
        assert!("@x".parse::<PackRef>().is_err());
    }

    #[test]
    fn set_values() {
        assert!(parse_set_value("1000").equals(&Val::Num(1000.0)));
        assert!(parse_set_value("[\"a\", \"b\"]").is_list());
        assert!(parse_set_value("hello world").equals(&Val::str("hello world")));
        assert!(parse_set_value("true").is_true());
    }

    #[test]
    fn a_control_that_does_not_read_the_profile_runs_once_for_all_profiles() {
        let policy = r#"package levels

fn profiles(_r) = [{level: "low", mode: "enforce"}, {level: "high", mode: "warn"}]

control plain {
  title "plain"
  severity low
  match input.kind == "Pod"
  deny at input.metadata.name message "plain"
}

control strict {
  title "strict"
  severity low
  match input.kind == "Pod"
  deny when profile.level == "high" at input.spec message "strict at {profile.level}"
}

control broken {
  title "broken"
  severity low
  match input.kind == "Pod"
  deny when input.metadata.name + 1 == 2 message "never"
}

pack levels {
  version "1.0.0"
  description "levels"
  profile from levels.profiles
  level low: levels.plain, levels.strict, levels.broken
  level high: levels.plain, levels.strict, levels.broken
}
"#;
        let engine = EngineBuilder::std_only()
            .policy("levels.ward", policy)
            .build()
            .expect("the policy checks");
        let pack = PackRef {
            name: "levels".into(),
            version: None,
        };
        let sel = engine.select(&[pack], false, &[]).expect("selected");
        let inputs = one_file("kind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n");
        let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
        let found: Vec<(&str, Level)> = report
            .findings
            .iter()
            .map(|f| (f.message.as_ref(), f.level))
            .collect();
        // A control that reads `profile` runs under each profile; one that
        // does not is reported (and fails) once, under the first.
        assert_eq!(
            found,
            vec![("plain", Level::Deny), ("strict at high", Level::Warn)]
        );
        let errors: Vec<&str> = report
            .errors
            .iter()
            .filter_map(|e| e.control.as_deref())
            .collect();
        assert_eq!(errors, vec!["levels.broken"], "{:?}", report.errors);
    }

    /// A `let` that only a finding reads is worked out for the findings
    /// made, once per turn of its loop, and what the findings say and
    /// where they point is what a `let` worked out where it stands gives.
    #[test]
    fn a_let_only_a_finding_reads_is_worked_out_only_for_the_findings_made() {
        let policy = r#"package deferred

fn said(c) = "{c.name} runs {c.image}"

control privileged {
  title "privileged"
  severity low
  match input.kind == "Pod"
  for c in input.spec.containers {
    let message = said(c)
    let sc = c.securityContext
    let unset = sc.runAsNonRoot
    deny when sc.privileged == true
      at unset
      message message
  }
}
"#;
        let (engine, sel) = built("deferred.ward", policy);
        let inputs = one_file(
            "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: one, securityContext: {privileged: true}}\n  - {name: b, image: two}\n  - {name: c, image: three, securityContext: {privileged: true}}\n",
        );
        let run = |defer_lets| {
            let opts = EvalOptions {
                profile: true,
                defer_lets,
                ..EvalOptions::default()
            };
            let report = engine.evaluate(&sel, &inputs, &opts);
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            let runs = report
                .functions
                .iter()
                .find(|f| f.function == "deferred.said")
                .map_or(0, |f| f.runs);
            let said: Vec<(String, String)> = report
                .findings
                .iter()
                .map(|f| (f.message.to_string(), f.pointer.clone()))
                .collect();
            (runs, said)
        };
        let (deferred, found) = run(true);
        let (eager, plain) = run(false);
        assert_eq!((deferred, eager), (2, 3));
        assert_eq!(found, plain);
        assert_eq!(
            found,
            [
                (
                    "a runs one".to_string(),
                    "/spec/containers/0/securityContext/runAsNonRoot".to_string()
                ),
                (
                    "c runs three".to_string(),
                    "/spec/containers/2/securityContext/runAsNonRoot".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_profiled_run_counts_the_runs_and_steps_of_each_function() {
        let policy = r#"package profiled

fn image_of(c) = c.image
fn shown(c) = "{image_of(c)}!"
fn unused(c) = c.name

control images {
  title "images"
  severity low
  match input.kind == "Pod"
  for c in input.spec.containers {
    deny when shown(c) == image_of(c) + "!"
      message "{image_of(c)}"
  }
}
"#;
        let (engine, sel) = built("profiled.ward", policy);
        let inputs = one_file(
            "kind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - {name: x, image: \"nginx:1\"}\n  - {name: y, image: \"redis:7\"}\n---\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - {name: z, image: \"nginx:1\"}\n",
        );
        let profiled = EvalOptions {
            profile: true,
            ..EvalOptions::default()
        };
        let report = engine.evaluate(&sel, &inputs, &profiled);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.findings.len(), 3);
        let of = |name: &str| {
            report
                .functions
                .iter()
                .find(|f| f.function == name)
                .cloned()
                .unwrap_or_else(|| panic!("{name} in {:?}", report.functions))
        };
        // `image_of` is called three times per container; its body runs
        // once, inside `shown`, and the memo answers the rest.
        let (image_of, shown) = (of("profiled.image_of"), of("profiled.shown"));
        assert_eq!((image_of.runs, shown.runs), (3, 3));
        // Steps are the same for every run, and a caller's include those of
        // the functions it runs.
        assert!(
            image_of.steps > 0 && image_of.steps % 3 == 0,
            "{image_of:?}"
        );
        assert!(shown.steps > image_of.steps, "{shown:?} {image_of:?}");
        assert_eq!(
            report.functions.first().map(|f| f.function.as_str()),
            Some("profiled.shown")
        );
        // A function that never runs is not listed.
        assert!(
            report
                .functions
                .iter()
                .all(|f| f.function != "profiled.unused")
        );
        // Without profiling, nothing is counted.
        let plain = engine.evaluate(&sel, &inputs, &EvalOptions::default());
        assert!(plain.functions.is_empty());
        assert_eq!(plain.findings, report.findings);
    }

    #[test]
    fn resources_filters_by_each_named_argument() {
        let policy = r#"package queries

control counts {
  title "counts"
  severity low
  match input.kind == "Service"
  deny message "{len(resources(kind: "Pod"))} {len(resources(kind: "Pod", namespace: "a"))} {len(resources(kind: "Pod", name: "p1"))} {len(resources(kind: "Pod", api_version: "v1"))} {len(resources(kind: "Pod", labels: {app: "db"}))} {len(resources(kind: "Pod", selector: {matchLabels: {app: "web"}}))} {len(resources(kind: "Pod", owner: "u1"))} {len(resources(owner: "u1", name: "p3", kind: "Pod"))}"
}
"#;
        let (engine, sel) = built("queries.ward", policy);
        let inputs = one_file(
            "kind: Service\napiVersion: v1\nmetadata: {name: s, namespace: a}\n---\n\
             kind: Pod\napiVersion: v1\nmetadata: {name: p1, namespace: a, labels: {app: web}, ownerReferences: [{uid: u1, kind: ReplicaSet, name: r}]}\n---\n\
             kind: Pod\napiVersion: v1\nmetadata: {name: p2, namespace: b, labels: {app: db}}\n---\n\
             kind: Pod\napiVersion: v9\nmetadata: {name: p3, namespace: a, labels: {app: web}}\n",
        );
        let report = engine.evaluate(&sel, &inputs, &EvalOptions::default());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_ref()).collect();
        // All, in `a`, named p1, of v1, labelled, selected, owned, and
        // owned and named p3 (none).
        assert_eq!(messages, ["3 2 1 2 1 2 1 0"]);
    }

    #[test]
    fn fingerprints_ignore_positions() {
        let id = Identity {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: "a".into(),
            name: "b".into(),
        };
        assert_eq!(fingerprint("c", &id, "/x"), fingerprint("c", &id, "/x"));
        assert_ne!(fingerprint("c", &id, "/x"), fingerprint("c", &id, "/y"));
    }

    #[test]
    fn fingerprints_stay_what_earlier_reports_and_baselines_hold() {
        // A baseline written by an earlier Ward holds this text; kept as
        // bytes, the fingerprint must still be written the same.
        let id = Identity {
            api_version: "networking.k8s.io/v1".into(),
            kind: "NetworkPolicy".into(),
            namespace: "team-0".into(),
            name: "allow-web".into(),
        };
        let f = fingerprint(
            "checklist.designed_flows_only",
            &id,
            "/spec/ingress/0/from/0",
        );
        assert_eq!(f.hex().as_str(), "4a3aa1ce5ae2557d984d43cbae595d9c");
        assert_eq!(f.to_string(), "4a3aa1ce5ae2557d984d43cbae595d9c");
        assert_eq!(
            serde_json::to_string(&f).ok().as_deref(),
            Some("\"4a3aa1ce5ae2557d984d43cbae595d9c\"")
        );
    }
}
