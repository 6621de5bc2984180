//! `ward lock`: pin the packs `ward.toml` names, with their versions and
//! digests, in `ward.lock`.

use super::setup::{LoadedProject, Trust, load_project, project_packs};
use crate::exit;
use crate::output;
use std::path::PathBuf;
use ward_engine::EngineBuilder;
use ward_engine::project::{Lock, LockedPack};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project file (default: `ward.toml` in the current folder).
    #[arg(long, value_name = "FILE")]
    pub project: Option<PathBuf>,
    /// A public key (PEM) whose signatures on pack archives are trusted.
    #[arg(long = "trusted-key", value_name = "FILE")]
    pub trusted_keys: Vec<PathBuf>,
    /// Only check that `ward.lock` matches; exit 2 when it does not.
    #[arg(long)]
    pub check: bool,
}

pub fn run(a: Args, ecolor: bool) -> u8 {
    match lock(&a, ecolor) {
        Ok(text) => match output::write(None, &text) {
            Ok(()) => exit::OK,
            Err(e) => {
                output::error(ecolor, &e);
                exit::ERROR
            }
        },
        Err(e) => {
            if !e.is_empty() {
                output::error(ecolor, &e);
            }
            exit::ERROR
        }
    }
}

fn lock(a: &Args, ecolor: bool) -> Result<String, String> {
    let Some(p) = load_project(a.project.as_deref(), false)? else {
        return Err("no ward.toml in the current folder; give one with --project".into());
    };
    let packs = resolve(&p, &a.trusted_keys, ecolor)?;
    let path = p.lock_path();
    let lock = Lock::new(packs);
    if a.check {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let old = Lock::parse(&text).map_err(|e| format!("{}:{e}", path.display()))?;
        let problems = old.mismatches(&lock.packs);
        if !problems.is_empty() {
            return Err(format!(
                "{} does not match {}:\n  {}",
                path.display(),
                p.path.display(),
                problems.join("\n  ")
            ));
        }
        return Ok(format!("{} matches {}\n", path.display(), p.path.display()));
    }
    std::fs::write(&path, lock.render())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut out = format!("wrote {}\n", path.display());
    for l in &lock.packs {
        out.push_str(&format!(
            "  {} {} ({}) {}\n",
            l.name, l.version, l.source, l.digest
        ));
    }
    Ok(out)
}

/// ward.toml's packs as they are now.
fn resolve(p: &LoadedProject, keys: &[PathBuf], ecolor: bool) -> Result<Vec<LockedPack>, String> {
    let trust = Trust::load(keys, false, Some(p))?;
    let packs = project_packs(p, &trust)?;
    let mut b = EngineBuilder::new();
    for s in &packs {
        if let super::setup::PackSource::Archive { label, archive, .. } = s {
            b = b
                .pack_archive(label, archive)
                .map_err(|e| format!("{label}: {e}"))?;
        }
    }
    let engine = super::engine_from(b, &[], ecolor).ok_or_else(String::new)?;
    let mut out = Vec::new();
    for s in &packs {
        let r = s.pack_ref();
        match s.locked(&engine) {
            Some(l) => out.push(l),
            None => {
                return Err(format!(
                    "{}: there is no built-in pack `{}`",
                    p.path.display(),
                    r.name
                ));
            }
        }
    }
    Ok(out)
}
