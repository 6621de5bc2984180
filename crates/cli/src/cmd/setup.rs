//! What `check`, `frameworks` (and `fix` and `diff`) share: the project
//! file, the packs that run (built-in or archives, verified and checked
//! against `ward.lock`), their params, the waivers, the baseline and the
//! limits of loading and evaluation.

use crate::output;
use std::path::{Path, PathBuf};
use ward_engine::baseline::Baseline;
use ward_engine::input::schema::Release;
use ward_engine::pack::{Limits, PackArchive, PackError, parse_verifying_key};
use ward_engine::project::{LOCK_FILE, Lock, LockedPack, PROJECT_FILE, Project, ProjectPack};
use ward_engine::waivers::{self, ApplyOptions, Date, Waivers};
use ward_engine::{
    Engine, EngineBuilder, EvalOptions, Inputs, LoadOptions, PackRef, Report, Selection, SetValue,
};

#[derive(Clone, Debug, clap::Args)]
pub struct Setup {
    /// A built-in pack, optionally at a profile version
    /// (`pss-restricted@v1.25`), or a pack archive (`./team.wardpack`).
    #[arg(long = "pack", value_name = "NAME[@VERSION]|FILE")]
    pub packs: Vec<String>,
    /// A policy file, or a folder of .ward files; its controls all run.
    #[arg(long = "policy", value_name = "FILE|DIR")]
    pub policies: Vec<PathBuf>,
    /// Set a pack parameter: `--set checklist.app_uid=1000`.
    #[arg(long = "set", value_name = "PARAM=VALUE")]
    pub sets: Vec<String>,
    /// The project file (default: `ward.toml` in the current folder, if any).
    #[arg(long, value_name = "FILE")]
    pub project: Option<PathBuf>,
    /// Ignore `ward.toml` in the current folder.
    #[arg(long, conflicts_with = "project")]
    pub no_project: bool,
    /// A waivers file (default: the one `ward.toml` names).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Ignore `ward.dev/waive.<control>` annotations.
    #[arg(long)]
    pub no_inline_waivers: bool,
    /// Report only findings that are not in this baseline.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// A public key (PEM) whose signatures on pack archives are trusted;
    /// archives must then be signed by one of the keys given.
    #[arg(long = "trusted-key", value_name = "FILE")]
    pub trusted_keys: Vec<PathBuf>,
    /// Refuse pack archives that are not signed by a trusted key.
    #[arg(long)]
    pub require_signature: bool,
    /// The Kubernetes release the manifests are for (`1.28`): an API version
    /// it does not serve, or a field it does not have yet, is warned of, and
    /// Pod Security packs not pinned to a version run at it (default:
    /// `kube_version` in `ward.toml`, else the newest release Ward knows).
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Steps one control may take on one resource before it stops with an error.
    #[arg(long, value_name = "STEPS", default_value_t = ward_engine::eval::DEFAULT_BUDGET)]
    pub eval_budget: u64,
    /// Steps one control may take over the whole run (all resources) before it
    /// stops with one error naming it.
    #[arg(long, value_name = "STEPS", default_value_t = ward_engine::eval::DEFAULT_RUN_BUDGET)]
    pub run_budget: u64,
    /// Print where the time went (reading, evaluating, the slowest controls,
    /// the functions whose bodies took the most steps, and for `check`
    /// writing the report) to standard error.
    #[arg(long)]
    pub profile: bool,
    /// Deepest nesting accepted in YAML and JSON inputs.
    #[arg(long, value_name = "LEVELS", default_value_t = 256)]
    pub max_depth: usize,
    /// Largest input file accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Most nodes YAML alias expansion may add to one file.
    #[arg(long, value_name = "NODES", default_value_t = 100_000)]
    pub max_alias_nodes: usize,
    /// Most documents accepted in one YAML file.
    #[arg(long, value_name = "DOCS", default_value_t = 100_000)]
    pub max_documents: usize,
    #[command(flatten)]
    pub plugin: super::PluginArgs,
}

/// `ward.toml`, read, with the folder its paths are relative to.
#[derive(Debug)]
pub struct LoadedProject {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub project: Project,
}

impl LoadedProject {
    /// A path of the project file, relative to its folder.
    pub fn resolve(&self, p: &str) -> PathBuf {
        if self.dir == Path::new(".") {
            PathBuf::from(p)
        } else {
            self.dir.join(p)
        }
    }

    /// `ward.lock` beside the project file.
    pub fn lock_path(&self) -> PathBuf {
        self.resolve(LOCK_FILE)
    }

    /// Its `policies`, resolved against its folder.
    pub fn policies(&self) -> Vec<PathBuf> {
        self.project
            .policies
            .iter()
            .map(|x| self.resolve(x))
            .collect()
    }
}

/// `--set PARAM=VALUE`, as `ward check` and `ward explain --on` take it.
pub fn parse_set(s: &str) -> Result<(String, SetValue), String> {
    match s.split_once('=') {
        Some((k, v)) => Ok((k.trim().to_string(), SetValue::Text(v.to_string()))),
        None => Err(format!("`--set {s}`: write it as PARAM=VALUE")),
    }
}

/// Reads the project file named, or `ward.toml` in the current folder.
pub fn load_project(explicit: Option<&Path>, skip: bool) -> Result<Option<LoadedProject>, String> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if skip => return Ok(None),
        None => {
            let p = PathBuf::from(PROJECT_FILE);
            if !p.is_file() {
                return Ok(None);
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let project = Project::parse(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(Some(LoadedProject { path, dir, project }))
}

/// `ward.toml` of the current folder for `ward explain` and `ward test`,
/// which read its policies and params: `None` when there is none, or when
/// it cannot be read (which is `ward check`'s to report).
pub fn current_project() -> Option<LoadedProject> {
    load_project(None, false).ok().flatten()
}

/// A pack to run: built in, or from an archive.
#[derive(Debug)]
pub enum PackSource {
    Builtin(PackRef),
    Archive {
        /// The path as given (on the command line or in `ward.toml`).
        label: String,
        /// The profile version to evaluate at.
        version: Option<String>,
        archive: Box<PackArchive>,
    },
}

impl PackSource {
    pub fn pack_ref(&self) -> PackRef {
        match self {
            PackSource::Builtin(r) => r.clone(),
            PackSource::Archive {
                version, archive, ..
            } => PackRef {
                name: archive.manifest.name.clone(),
                version: version.clone(),
            },
        }
    }

    /// The pack as `ward.lock` pins it.
    pub fn locked(&self, engine: &Engine) -> Option<LockedPack> {
        match self {
            PackSource::Builtin(r) => Some(LockedPack {
                name: r.name.clone(),
                version: engine.program.pack(&r.name)?.version.clone(),
                source: "builtin".into(),
                digest: ward_engine::pack::builtin_pack_digest(&r.name)?,
            }),
            PackSource::Archive { label, archive, .. } => Some(LockedPack {
                name: archive.manifest.name.clone(),
                version: archive.manifest.version.clone(),
                source: label.clone(),
                digest: archive.digest(),
            }),
        }
    }
}

/// Who is trusted to sign packs, and whether they must be signed.
#[derive(Debug, Default)]
pub struct Trust {
    pub keys: Vec<ward_engine::pack::VerifyingKey>,
    pub required: bool,
}

impl Trust {
    /// Keys from the command line and the project file.
    pub fn load(
        cli_keys: &[PathBuf],
        required: bool,
        project: Option<&LoadedProject>,
    ) -> Result<Trust, String> {
        let mut paths: Vec<PathBuf> = cli_keys.to_vec();
        let mut required = required;
        if let Some(p) = project {
            paths.extend(p.project.trusted_keys.iter().map(|k| p.resolve(k)));
            required |= p.project.require_signature;
        }
        let mut keys = Vec::new();
        for path in paths {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            keys.push(parse_verifying_key(&text).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        Ok(Trust { keys, required })
    }
}

/// Reads a pack archive and checks it: every file's digest, the signature
/// when keys are given or one is required, and the Ward it requires.
/// Errors name the archive and the file or signature that failed.
pub fn open_archive(path: &Path, label: &str, trust: &Trust) -> Result<PackArchive, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{label}: {e}"))?;
    let fail = |e: PackError| format!("{label}: {e}");
    let archive = PackArchive::open(&bytes, &Limits::default()).map_err(fail)?;
    archive.verify(&trust.keys, trust.required).map_err(fail)?;
    archive
        .check_requires(env!("CARGO_PKG_VERSION"))
        .map_err(fail)?;
    Ok(archive)
}

/// Whether a `--pack` value names an archive rather than a built-in pack:
/// a name ending in `.wardpack`, or a path with a folder part that is a
/// file (so a file named like a built-in pack does not shadow it).
fn archive_arg(value: &str) -> Option<(&str, Option<&str>)> {
    let is_file = |p: &str| {
        p.ends_with(".wardpack")
            || (p.contains(['/', std::path::MAIN_SEPARATOR]) && Path::new(p).is_file())
    };
    if is_file(value) {
        return Some((value, None));
    }
    match value.rsplit_once('@') {
        Some((p, v)) if is_file(p) => Some((p, Some(v))),
        _ => None,
    }
}

/// The packs of `ward.toml`, each archive opened and checked against its
/// entry (name, version requirement).
pub fn project_packs(p: &LoadedProject, trust: &Trust) -> Result<Vec<PackSource>, String> {
    let mut out = Vec::new();
    for pk in &p.project.packs {
        out.push(project_pack(p, pk, trust)?);
    }
    Ok(out)
}

fn project_pack(p: &LoadedProject, pk: &ProjectPack, trust: &Trust) -> Result<PackSource, String> {
    let here = p.path.display();
    match (&pk.path, &pk.name) {
        (Some(path), name) => {
            let archive = open_archive(&p.resolve(path), path, trust)?;
            if let Some(n) = name
                && *n != archive.manifest.name
            {
                return Err(format!(
                    "{here}: pack `{path}` is named `{}`, but ward.toml expects `{n}`",
                    archive.manifest.name
                ));
            }
            pk.accepts(&archive.manifest.version)
                .map_err(|e| format!("{here}: {e}"))?;
            Ok(PackSource::Archive {
                label: path.clone(),
                version: pk.profile.clone(),
                archive: Box::new(archive),
            })
        }
        (None, Some(name)) => Ok(PackSource::Builtin(PackRef {
            name: name.clone(),
            version: pk.profile.clone(),
        })),
        (None, None) => Err(format!(
            "{here}: a [[pack]] names neither `name` nor `path`"
        )),
    }
}

/// The engine and the packs it runs, with the waivers and baseline to
/// apply to what it finds.
#[derive(Debug)]
pub struct Ready {
    pub engine: Engine,
    pub selection: Selection,
    pub packs: Vec<PackSource>,
    pub project: Option<LoadedProject>,
    pub waivers: Waivers,
    pub inline_waivers: bool,
    pub baseline: Option<Baseline>,
    pub today: Date,
    /// The Kubernetes release the manifests are for (`--kube-version`).
    pub kube_version: Option<Release>,
}

/// Today's date (UTC), which decides whether a waiver expired.
pub fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Date::from_unix(secs)
}

impl Setup {
    /// Builds the engine and selects the packs (those of `--pack`, else of
    /// `ward.toml`, else the default packs when there is no `--policy`),
    /// checks `ward.lock`, reads the waivers and the baseline; problems go
    /// to standard error.
    pub fn prepare(&self, ecolor: bool) -> Option<Ready> {
        self.prepare_with(ecolor, Engine::default_packs)
    }

    /// [`Self::prepare`], with the packs to run when none is named.
    pub fn prepare_with(
        &self,
        ecolor: bool,
        defaults: impl Fn(&Engine) -> Vec<PackRef>,
    ) -> Option<Ready> {
        reported(ecolor, self.try_prepare(ecolor, defaults))
    }

    /// [`Self::prepare`] and the reading of the inputs (`given`, else the
    /// project's paths). With policies of the user's own (`--policy`, the
    /// project's, a pack archive) both are done at once: the policies are
    /// parsed, checked and compiled on one core while the inputs are read
    /// on the others, so neither waits for the other. When the policies
    /// have errors, they are printed as soon as they are found, and the
    /// reading is let finish (it cannot be stopped half-way) before the
    /// run ends. The built-in packs alone take their program checked at
    /// build time, too quickly to gain from it: then one is done after the
    /// other, which on a small input saves handing the work to the pool.
    pub fn prepare_and_load(
        &self,
        ecolor: bool,
        given: &[String],
        texts: Texts,
    ) -> Option<(Ready, Loaded)> {
        let project = reported(
            ecolor,
            load_project(self.project.as_deref(), self.no_project).map_err(Some),
        )?;
        let paths = paths_for(given, project.as_ref());
        // Policies of the user's own: given, the project's (when none is
        // given), or in a pack archive (given, or the project's when no
        // pack is given).
        let own = !self.policies.is_empty()
            || self.packs.iter().any(|p| archive_arg(p).is_some())
            || project.as_ref().is_some_and(|p| {
                (self.policies.is_empty() && !p.policies().is_empty())
                    || (self.packs.is_empty() && p.project.packs.iter().any(|k| k.path.is_some()))
            });
        let ready = if own {
            match rayon::join(
                || self.try_prepare_in(project, ecolor, Engine::default_packs),
                || load(&paths, self, texts),
            ) {
                (Ok(r), loaded) => Ok((r, loaded)),
                (Err(e), loaded) => {
                    loaded.bar.finish();
                    Err(e)
                }
            }
        } else {
            self.try_prepare_in(project, ecolor, Engine::default_packs)
                .map(|r| (r, load(&paths, self, texts)))
        };
        reported(ecolor, ready)
    }

    /// `Err(None)`: the problem was already printed (policy diagnostics).
    fn try_prepare(
        &self,
        ecolor: bool,
        defaults: impl Fn(&Engine) -> Vec<PackRef>,
    ) -> Result<Ready, Option<String>> {
        let project = load_project(self.project.as_deref(), self.no_project)?;
        self.try_prepare_in(project, ecolor, defaults)
    }

    /// [`Self::try_prepare`] with the project already read.
    fn try_prepare_in(
        &self,
        project: Option<LoadedProject>,
        ecolor: bool,
        defaults: impl Fn(&Engine) -> Vec<PackRef>,
    ) -> Result<Ready, Option<String>> {
        let trust = Trust::load(&self.trusted_keys, self.require_signature, project.as_ref())?;
        let from_cli = !self.packs.is_empty();
        let mut packs = Vec::new();
        for p in &self.packs {
            match archive_arg(p) {
                Some((path, version)) => packs.push(PackSource::Archive {
                    label: path.to_string(),
                    version: version.map(str::to_string),
                    archive: Box::new(open_archive(Path::new(path), path, &trust)?),
                }),
                None => packs.push(PackSource::Builtin(p.parse::<PackRef>()?)),
            }
        }
        if !from_cli && let Some(p) = &project {
            packs = project_packs(p, &trust)?;
        }
        let mut b = EngineBuilder::new();
        for p in &packs {
            if let PackSource::Archive { label, archive, .. } = p {
                b = b
                    .pack_archive(label, archive)
                    .map_err(|e| format!("{label}: {e}"))?;
            }
        }
        // `--policy` given replaces the project's `policies`, as `--pack`
        // replaces its packs.
        let policies: Vec<PathBuf> = match &project {
            Some(p) if self.policies.is_empty() => p.policies(),
            _ => self.policies.clone(),
        };
        let mut engine = super::engine_from(b, &policies, ecolor).ok_or(None)?;
        // Plugins are read and compiled before anything is evaluated.
        let archives: Vec<(&str, &PackArchive)> = packs
            .iter()
            .filter_map(|p| match p {
                PackSource::Archive { label, archive, .. } => Some((label.as_str(), &**archive)),
                PackSource::Builtin(_) => None,
            })
            .collect();
        if !super::plugins(&mut engine, &self.plugin, &archives, ecolor) {
            return Err(None);
        }
        // The lock pins what ward.toml resolves to.
        if !from_cli && let Some(p) = &project {
            check_lock(p, &engine, &packs)?;
        }
        let mut refs: Vec<PackRef> = packs.iter().map(PackSource::pack_ref).collect();
        if refs.is_empty() && policies.is_empty() {
            refs = defaults(&engine);
        }
        // The project's params go with its packs: `--pack` replacing those
        // packs leaves them out too.
        let mut sets: Vec<(String, SetValue)> = project
            .as_ref()
            .filter(|p| !from_cli || p.project.packs.is_empty())
            .map(|p| {
                p.project
                    .param_values()
                    .into_iter()
                    .map(|(k, v)| (k, SetValue::Json(v)))
                    .collect()
            })
            .unwrap_or_default();
        for s in &self.sets {
            sets.push(parse_set(s)?);
        }
        let kube_version =
            match self.kube_version.as_deref().or_else(|| {
                let p = project.as_ref()?;
                p.project.kube_version.as_deref()
            }) {
                None => None,
                Some(v) => Some(Release::parse(v).ok_or_else(|| {
                    format!("`{v}` is not a Kubernetes release; write it as `1.28`")
                })?),
            };
        // A Pod Security pack not pinned to a version runs at the cluster's
        // release, as its admission controller does.
        if let Some(k) = kube_version {
            for r in &mut refs {
                let versioned = engine
                    .program
                    .pack(&r.name)
                    .is_some_and(|p| p.profile.is_some());
                if versioned && r.version.as_deref().is_none_or(|v| v == "latest") {
                    r.version = Some(format!("v{k}"));
                }
            }
        }
        let selection = engine
            .select_with(&refs, !policies.is_empty(), &sets)
            .map_err(|e| e.0)?;
        let waivers_path = self.waivers.clone().or_else(|| {
            let p = project.as_ref()?;
            Some(p.resolve(p.project.waivers.as_deref()?))
        });
        let waivers = match waivers_path {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("waivers file {}: {e}", path.display()))?;
                Waivers::parse(&path.display().to_string(), &text, &engine.program)
            }
            None => Waivers::default(),
        };
        let inline_waivers = !self.no_inline_waivers
            && project
                .as_ref()
                .and_then(|p| p.project.inline_waivers)
                .unwrap_or(true);
        let baseline_path = self.baseline.clone().or_else(|| {
            let p = project.as_ref()?;
            Some(p.resolve(p.project.baseline.as_deref()?))
        });
        let baseline = match baseline_path {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("baseline {}: {e}", path.display()))?;
                Some(Baseline::parse(&text).map_err(|e| format!("{}:{e}", path.display()))?)
            }
            None => None,
        };
        Ok(Ready {
            engine,
            selection,
            packs,
            project,
            waivers,
            inline_waivers,
            baseline,
            today: today(),
            kube_version,
        })
    }

    /// The loader's limits.
    pub fn load_options(&self) -> LoadOptions {
        let mut load = LoadOptions::default();
        load.json.max_depth = self.max_depth;
        load.yaml.max_depth = self.max_depth;
        load.max_file_size = self.max_file_size;
        load.yaml.max_alias_nodes = self.max_alias_nodes;
        load.yaml.max_documents = self.max_documents;
        load
    }

    pub fn eval_options(&self) -> EvalOptions {
        EvalOptions {
            budget: self.eval_budget,
            run_budget: self.run_budget,
            profile: self.profile,
            ..EvalOptions::default()
        }
    }
}

/// Compares `ward.lock` with what ward.toml's packs are now.
fn check_lock(p: &LoadedProject, engine: &Engine, packs: &[PackSource]) -> Result<(), String> {
    let path = p.lock_path();
    let actual: Vec<LockedPack> = packs.iter().filter_map(|s| s.locked(engine)).collect();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let lock = Lock::parse(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    let problems = lock.mismatches(&actual);
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} does not match {}:\n  {}\nrun `ward lock` to pin the packs as they are now",
        path.display(),
        p.path.display(),
        problems.join("\n  ")
    ))
}

impl Ready {
    /// The paths to check: those given, else the project's, else `.`.
    pub fn paths(&self, given: &[String]) -> Vec<String> {
        paths_for(given, self.project.as_ref())
    }

    /// Loads paths, evaluates the selection over them, and applies the
    /// waivers and then the baseline. Warnings about waivers that expired
    /// or waive nothing, and about objects defined twice, are added last (a
    /// baseline never hides them).
    ///
    /// `texts`: whether the report quotes the source (code frames, SARIF
    /// snippets, fixes as diffs), so that the loader keeps each file's text.
    pub fn evaluate(&self, paths: &[String], setup: &Setup, texts: Texts) -> (Inputs, Report) {
        self.evaluate_loaded(load(paths, setup, texts), setup)
    }

    /// [`Self::evaluate`] over inputs already read.
    pub fn evaluate_loaded(&self, loaded: Loaded, setup: &Setup) -> (Inputs, Report) {
        let started = std::time::Instant::now();
        let Loaded {
            inputs,
            took: loaded,
            bar,
        } = loaded;
        bar.evaluating(inputs.resources.len());
        let mut eval = setup.eval_options();
        eval.progress = bar.counters();
        // Ward's notices about the inputs read the inputs alone: they are
        // worked out beside the evaluation, on the same cores, rather than
        // after it (a cluster export's objects are each looked at, to find
        // them read back from the cluster).
        let (mut report, about_inputs) = rayon::join(
            || self.engine.evaluate(&self.selection, &inputs, &eval),
            || {
                let mut n = ward_engine::unknown_fields::notices(&inputs, self.kube_version);
                n.extend(ward_engine::api_versions::notices(
                    &inputs,
                    self.kube_version,
                ));
                n
            },
        );
        bar.finish();
        if setup.profile {
            eprint!("{}", profile(&report, loaded, started.elapsed()));
        }
        // Ward's notices about the inputs come before the waivers, which
        // can waive them as they waive a control's findings.
        let twice = ward_engine::duplicates::notices(&inputs, &report);
        report.findings.extend(twice);
        report.findings.extend(about_inputs);
        let audit = waivers::apply(
            &self.engine,
            &inputs,
            &mut report,
            &self.waivers,
            &ApplyOptions {
                today: self.today,
                inline: self.inline_waivers,
            },
        );
        if let Some(b) = &self.baseline {
            b.apply(&mut report);
        }
        report.findings.extend(audit);
        (inputs, report)
    }
}

/// The value, or `None` once the problem is printed (`Err(None)`: it was
/// printed already, as policy diagnostics are).
fn reported<T>(ecolor: bool, r: Result<T, Option<String>>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(None) => None,
        Err(Some(e)) => {
            output::error(ecolor, &e);
            None
        }
    }
}

/// The paths to read: those given, else the project's, else `.`.
fn paths_for(given: &[String], project: Option<&LoadedProject>) -> Vec<String> {
    if !given.is_empty() {
        return given.to_vec();
    }
    match project {
        Some(p) if !p.project.paths.is_empty() => p
            .project
            .paths
            .iter()
            .map(|x| p.resolve(x).display().to_string())
            .collect(),
        _ => vec![".".into()],
    }
}

/// Inputs read, with the time reading took and the progress bar that
/// showed it (kept for the evaluation).
#[derive(Debug)]
pub struct Loaded {
    inputs: Inputs,
    took: std::time::Duration,
    bar: crate::progress::Bar,
}

/// Reads the inputs at `paths`, keeping each file's text when the report
/// quotes the source.
fn load(paths: &[String], setup: &Setup, texts: Texts) -> Loaded {
    let started = std::time::Instant::now();
    let bar = crate::progress::Bar::start(paths);
    let mut load = setup.load_options();
    load.keep_text = texts == Texts::Keep;
    load.progress = bar.counters();
    let inputs = ward_engine::input::load_paths(paths, &load);
    Loaded {
        inputs,
        took: started.elapsed(),
        bar,
    }
}

/// Whether [`Ready::evaluate`] keeps the text of the files it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Texts {
    /// For a report that quotes the source.
    Keep,
    /// For a report made of the findings alone.
    Drop,
}

/// `--profile`: reading and evaluation times, the controls that took the
/// most evaluation time (summed over threads), and the functions whose
/// bodies took the most steps.
fn profile(report: &Report, load: std::time::Duration, eval: std::time::Duration) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "profile: read {} resources from {} files in {:.1} ms; evaluated in {:.1} ms",
        report.resources,
        report.files,
        load.as_secs_f64() * 1e3,
        eval.as_secs_f64() * 1e3
    );
    let mut rows: Vec<_> = report.outcomes.iter().collect();
    rows.sort_by_key(|o| std::cmp::Reverse(o.time_ns));
    let total: u64 = rows.iter().map(|o| o.time_ns).sum();
    let _ = writeln!(
        out,
        "profile: {:.1} ms in controls over all threads, slowest first:",
        total as f64 / 1e6
    );
    let _ = writeln!(
        out,
        "  {:>10}  {:>9}  {:>8}  {:>12}  control (pack)",
        "ms", "applied", "µs each", "steps"
    );
    for o in &rows {
        let ms = o.time_ns as f64 / 1e6;
        let each = if o.applied > 0 {
            o.time_ns as f64 / 1e3 / o.applied as f64
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "  {ms:>10.2}  {:>9}  {each:>8.2}  {:>12}  {} ({})",
            o.applied, o.steps, o.control, o.pack
        );
    }
    if !report.functions.is_empty() {
        // A function's steps and time include those of the functions it
        // calls: what the helper costs its callers. Calls a memo answered
        // ran no body and are not counted.
        let _ = writeln!(
            out,
            "profile: functions, most steps first (runs of the body; steps and time include the functions it calls):"
        );
        let _ = writeln!(
            out,
            "  {:>10}  {:>12}  {:>10}  function",
            "runs", "steps", "ms"
        );
        for f in &report.functions {
            let _ = writeln!(
                out,
                "  {:>10}  {:>12}  {:>10.2}  {}",
                f.runs,
                f.steps,
                f.time_ns as f64 / 1e6,
                f.function
            );
        }
    }
    out
}
