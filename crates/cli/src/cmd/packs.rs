//! `ward packs`: the built-in packs with their versions, controls and the
//! frameworks those controls map to.

use crate::exit;
use crate::output;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use ward_engine::Engine;
use ward_lang::hir::PackDef;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// List every control of each pack with its title.
    #[arg(long, short)]
    pub verbose: bool,
}

/// One pack, as listed.
#[derive(Debug, Serialize)]
struct PackInfo {
    name: String,
    version: String,
    description: String,
    /// Whether the pack runs when `ward check` is given no pack.
    default: bool,
    /// The profile versions the pack covers, as `v1.0 ..= v1.37`.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest: Option<String>,
    frameworks: Vec<String>,
    controls: Vec<ControlInfo>,
}

#[derive(Debug, Serialize)]
struct ControlInfo {
    id: String,
    title: String,
    severity: String,
}

pub fn run(a: Args, ecolor: bool) -> u8 {
    let Some(engine) = super::engine(&[], true, ecolor) else {
        return exit::ERROR;
    };
    let packs: Vec<PackInfo> = engine
        .program
        .packs
        .iter()
        .map(|p| info(&engine, p))
        .collect();
    let text = match a.format {
        Format::Json => serde_json::to_string_pretty(&packs).unwrap_or_default() + "\n",
        Format::Text => render(&packs, a.verbose),
    };
    match output::write(None, &text) {
        Ok(()) => exit::OK,
        Err(e) => {
            output::error(ecolor, &e);
            exit::ERROR
        }
    }
}

fn info(engine: &Engine, p: &PackDef) -> PackInfo {
    let mut indexes: Vec<usize> = p.controls.clone();
    for (_, cs) in &p.levels {
        indexes.extend(cs);
    }
    indexes.sort_unstable();
    indexes.dedup();
    let controls: Vec<_> = indexes
        .iter()
        .filter_map(|&i| engine.program.controls.get(i))
        .collect();
    let frameworks: BTreeSet<String> = controls
        .iter()
        .flat_map(|c| c.maps.iter().map(|m| m.framework.clone()))
        .collect();
    PackInfo {
        name: p.name.clone(),
        version: p.version.clone(),
        description: p.description.clone(),
        default: p.default,
        profile: p.profile.map(|r| {
            let op = if r.inclusive { "..=" } else { ".." };
            format!("{} {op} {}", r.from, r.to)
        }),
        latest: p.profile.map(|r| r.latest.to_string()),
        frameworks: frameworks.into_iter().collect(),
        controls: controls
            .iter()
            .map(|c| ControlInfo {
                id: c.id.clone(),
                title: c.title.clone(),
                severity: c.severity.to_string(),
            })
            .collect(),
    }
}

fn render(packs: &[PackInfo], verbose: bool) -> String {
    let mut out = String::new();
    for (i, p) in packs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let default = if p.default { " (default)" } else { "" };
        let _ = writeln!(out, "{} {}{default}", p.name, p.version);
        if !p.description.is_empty() {
            let _ = writeln!(out, "  {}", p.description);
        }
        if let (Some(range), Some(latest)) = (&p.profile, &p.latest) {
            let _ = writeln!(out, "  profile versions {range} (latest {latest})");
        }
        let n = p.controls.len();
        let _ = writeln!(
            out,
            "  {n} control{}; frameworks: {}",
            if n == 1 { "" } else { "s" },
            if p.frameworks.is_empty() {
                "none".to_string()
            } else {
                p.frameworks.join(", ")
            }
        );
        if verbose {
            let width = p.controls.iter().map(|c| c.id.len()).max().unwrap_or(0);
            for c in &p.controls {
                let _ = writeln!(out, "    {:<width$}  {:<8}  {}", c.id, c.severity, c.title);
            }
        }
    }
    out
}
