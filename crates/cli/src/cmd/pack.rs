//! `ward pack`: build, inspect, sign and verify pack archives, and make
//! signing keys.

use super::setup::{Trust, open_archive};
use crate::exit;
use crate::output;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use ward_engine::EngineBuilder;
use ward_engine::pack::{
    self, Entries, KeyPair, Limits, MANIFEST, PackArchive, SIGNATURE, archive, build_manifest,
    parse_signing_key,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Bundle a folder holding one pack into an archive with a manifest.
    Build(BuildArgs),
    /// Show an archive's manifest (after checking every file's digest).
    Inspect(InspectArgs),
    /// Make an ed25519 key pair for signing packs.
    Keygen(KeygenArgs),
    /// Sign an archive's manifest with a private key.
    Sign(SignArgs),
    /// Check every file's digest and, with --key, the signature.
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The pack's folder: its .ward files declare exactly one pack; every
    /// other file (test data, plugins, documents) goes in the archive too.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The archive to write.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Build even when the pack's own `test` blocks fail.
    #[arg(long)]
    pub no_test: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output format: text, or the manifest as JSON.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the keys: PREFIX.key (private) and PREFIX.pub (public).
    #[arg(long, short, value_name = "PREFIX", default_value = "ward-pack")]
    pub output: String,
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The private key (PEM, as `ward pack keygen` writes it).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// Write the signed archive here instead of replacing FILE.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// A trusted public key; the archive must be signed by one of them.
    #[arg(long, value_name = "PUB")]
    pub key: Vec<PathBuf>,
}

pub fn run(a: Args, ecolor: bool) -> u8 {
    let result = match a.command {
        Command::Build(b) => build(&b),
        Command::Inspect(i) => inspect(&i),
        Command::Keygen(k) => keygen(&k),
        Command::Sign(s) => sign(&s),
        Command::Verify(v) => verify(&v),
    };
    match result.and_then(|text| output::write(None, &text)) {
        Ok(()) => exit::OK,
        Err(e) => {
            if !e.is_empty() {
                output::error(ecolor, &e);
            }
            exit::ERROR
        }
    }
}

/// Every regular file under a folder by its path inside it (`/`
/// separated); hidden files and folders and archives are left out, and a
/// link is an error.
fn collect(dir: &Path) -> Result<Entries, String> {
    if !dir.is_dir() {
        return Err(format!("{}: not a folder", dir.display()));
    }
    let mut out = Entries::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for e in walk {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let rel = e
            .path()
            .strip_prefix(dir)
            .map_err(|_| format!("{}: outside {}", e.path().display(), dir.display()))?;
        if e.file_type().is_symlink() {
            return Err(format!(
                "{}: a symbolic link; a pack holds regular files only",
                e.path().display()
            ));
        }
        if !e.file_type().is_file() || e.path().extension().is_some_and(|x| x == "wardpack") {
            continue;
        }
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        let Some(parts) = parts else {
            return Err(format!("{}: the name is not UTF-8", e.path().display()));
        };
        let path = parts.join("/");
        if path == MANIFEST || path == SIGNATURE {
            return Err(format!(
                "{}: `{path}` is the name Ward gives the archive's manifest or signature",
                e.path().display()
            ));
        }
        archive::check_path(&path).map_err(|err| format!("{}: {err}", e.path().display()))?;
        let data =
            std::fs::read(e.path()).map_err(|err| format!("{}: {err}", e.path().display()))?;
        out.insert(path, data);
    }
    Ok(out)
}

fn build(a: &BuildArgs) -> Result<String, String> {
    let files = collect(&a.dir)?;
    let prefix = format!("{}/", a.dir.display().to_string().trim_end_matches('/'));
    let mut b = EngineBuilder::new();
    for (path, data) in &files {
        if path.ends_with(".ward") {
            let text =
                std::str::from_utf8(data).map_err(|_| format!("{prefix}{path}: not UTF-8 text"))?;
            b = b.policy(format!("{prefix}{path}"), text);
        }
    }
    let engine = super::engine_from(b, &[], false).ok_or_else(String::new)?;
    let manifest = build_manifest(&engine, &prefix, &files)?;
    // A pack ships only when its own tests pass.
    let ours: std::collections::HashSet<_> = engine
        .sources
        .files()
        .filter(|(_, f)| f.name.starts_with(&prefix))
        .map(|(id, _)| id)
        .collect();
    let tests = engine.run_tests(Some(&ours));
    if tests.failed() > 0 && !a.no_test {
        let failed: Vec<String> = tests
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| format!("  {}:{}:{} {}", r.file, r.line, r.column, r.name))
            .collect();
        return Err(format!(
            "{} of the pack's {} tests fail, so it was not built (`ward test {}` shows why; --no-test builds anyway):\n{}",
            tests.failed(),
            tests.results.len(),
            a.dir.display(),
            failed.join("\n")
        ));
    }
    let mut entries = files;
    entries.insert(MANIFEST.into(), manifest.to_bytes());
    let bytes = archive::write(&entries).map_err(|e| e.to_string())?;
    std::fs::write(&a.output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", a.output.display()))?;
    let digest = format!("sha256:{}", pack::sha256_hex(&manifest.to_bytes()));
    Ok(format!(
        "built {} {} into {}: {} control{}, {} file{}, {} bytes; {} of {} tests pass\ndigest {digest}\n",
        manifest.name,
        manifest.version,
        a.output.display(),
        manifest.controls.len(),
        plural(manifest.controls.len()),
        manifest.files.len(),
        plural(manifest.files.len()),
        bytes.len(),
        tests.results.len() - tests.failed(),
        tests.results.len()
    ))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn label(p: &Path) -> String {
    p.display().to_string()
}

fn inspect(a: &InspectArgs) -> Result<String, String> {
    let archive = open_archive(&a.file, &label(&a.file), &Trust::default())?;
    let m = &archive.manifest;
    if a.format == Format::Json {
        return Ok(String::from_utf8_lossy(&archive.manifest_bytes).into_owned());
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", m.name, m.version);
    if !m.description.is_empty() {
        let _ = writeln!(out, "  {}", m.description);
    }
    let _ = writeln!(out, "digest     {}", archive.digest());
    let _ = writeln!(
        out,
        "signature  {}",
        archive
            .signature
            .as_ref()
            .map(|s| format!(
                "{} (not verified; `ward pack verify --key` checks it)",
                s.key
            ))
            .unwrap_or_else(|| "none".into())
    );
    let _ = writeln!(
        out,
        "requires   Ward {}",
        m.requires.as_deref().unwrap_or("any")
    );
    let _ = writeln!(out, "built with Ward {}", m.built_with);
    let _ = writeln!(out, "\nframeworks");
    for f in &m.frameworks {
        let _ = writeln!(
            out,
            "  {} {} ({}): {} item{}",
            f.name,
            f.version,
            f.title,
            f.items.len(),
            plural(f.items.len())
        );
    }
    let _ = writeln!(out, "\ncontrols");
    let width = m.controls.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in &m.controls {
        let w = match (c.waivable, c.redact) {
            (true, false) => "",
            (false, false) => "  (not waivable)",
            (true, true) => "  (values redacted)",
            (false, true) => "  (not waivable, values redacted)",
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {:<8}  {}{w}",
            c.id,
            c.severity.as_str(),
            c.title
        );
    }
    if !m.params.is_empty() {
        let _ = writeln!(out, "\nparams");
        for p in &m.params {
            let d = p
                .default
                .as_ref()
                .map(|v| format!(" = {v}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}: {}{d}", p.name, p.ty);
        }
    }
    if !m.plugins.is_empty() {
        let _ = writeln!(out, "\nplugins");
        for p in &m.plugins {
            let _ = writeln!(out, "  {}  {}  sha256:{}", p.name, p.path, p.sha256);
        }
    }
    let _ = writeln!(out, "\nfiles");
    for f in &m.files {
        let _ = writeln!(out, "  {}  {:>8}  {}", f.sha256, f.size, f.path);
    }
    Ok(out)
}

fn keygen(a: &KeygenArgs) -> Result<String, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no random numbers from the system: {e}"))?;
    let kp = KeyPair::from_seed(seed)?;
    let private = PathBuf::from(format!("{}.key", a.output));
    let public = PathBuf::from(format!("{}.pub", a.output));
    for p in [&private, &public] {
        if p.exists() {
            return Err(format!("{} exists; choose another --output", p.display()));
        }
    }
    write_private(&private, &kp.private_pem)?;
    std::fs::write(&public, &kp.public_pem)
        .map_err(|e| format!("cannot write {}: {e}", public.display()))?;
    Ok(format!(
        "wrote {} (private: keep it secret) and {} (public: give it to those who verify)\nkey {}\n",
        private.display(),
        public.display(),
        kp.id
    ))
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn sign(a: &SignArgs) -> Result<String, String> {
    let key_text =
        std::fs::read_to_string(&a.key).map_err(|e| format!("{}: {e}", a.key.display()))?;
    let key = parse_signing_key(&key_text).map_err(|e| format!("{}: {e}", a.key.display()))?;
    let bytes = std::fs::read(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
    let mut archive = PackArchive::open(&bytes, &Limits::default())
        .map_err(|e| format!("{}: {e}", a.file.display()))?;
    let sig = pack::sign::sign(&archive.manifest_bytes, &key);
    let id = sig.key.clone();
    archive.signature = Some(sig);
    let out = a.output.as_ref().unwrap_or(&a.file);
    let signed = archive.to_bytes().map_err(|e| e.to_string())?;
    std::fs::write(out, signed).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(format!(
        "signed {} {} in {} with key {id}\n",
        archive.manifest.name,
        archive.manifest.version,
        out.display()
    ))
}

fn verify(a: &VerifyArgs) -> Result<String, String> {
    let trust = Trust::load(&a.key, !a.key.is_empty(), None)?;
    let archive = open_archive(&a.file, &label(&a.file), &trust)?;
    let n = archive.manifest.files.len();
    let mut out = format!(
        "{}: {} {}: {n} file{} match the manifest's digests\n",
        a.file.display(),
        archive.manifest.name,
        archive.manifest.version,
        plural(n)
    );
    match (&archive.signature, a.key.is_empty()) {
        (Some(s), false) => {
            let _ = writeln!(out, "signature by key {} is valid", s.key);
        }
        (Some(s), true) => {
            let _ = writeln!(
                out,
                "signed by key {}, not checked: give the public key with --key",
                s.key
            );
        }
        (None, _) => out.push_str("not signed\n"),
    }
    Ok(out)
}
