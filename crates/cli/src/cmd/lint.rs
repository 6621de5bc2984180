//! `ward lint`: parse and check policy files against the standard library
//! and report every diagnostic, warnings included, without evaluating.

use crate::exit;
use crate::output;
use std::path::PathBuf;
use ward_engine::EngineBuilder;
use ward_lang::diagnostic::{Diagnostic, RenderOptions};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Code frames on standard error.
    Text,
    /// A JSON array of diagnostics on standard output.
    Json,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Exit codes:
  0  no errors (warnings may have been reported)
  2  errors in the policies, or a path that cannot be read")]
pub struct Args {
    /// Policy files, or folders searched recursively for .ward files.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

pub fn run(a: Args, ecolor: bool) -> u8 {
    let mut b = EngineBuilder::std_only();
    for p in &a.paths {
        b = match b.policy_path(p) {
            Ok(b) => b,
            Err(e) => {
                output::error(ecolor, &e);
                return exit::ERROR;
            }
        };
    }
    let (sources, diagnostics) = match b.build() {
        Ok(e) => (e.sources, e.warnings),
        Err(e) => (e.sources, e.diagnostics),
    };
    // The standard library's own warnings are not the user's to fix.
    let shown: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.is_error() || !sources.name(d.span().file).starts_with("<ward>/"))
        .collect();
    let errors = shown.iter().filter(|d| d.is_error()).count();
    let warnings = shown.len() - errors;
    match a.format {
        Format::Json => {
            let json: Vec<_> = shown
                .iter()
                .map(|d| ward_lang::diagnostic::to_json(d, &sources))
                .collect();
            let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
            if let Err(e) = output::write(None, &text) {
                output::error(ecolor, &e);
                return exit::ERROR;
            }
        }
        Format::Text => {
            let opts = RenderOptions {
                color: ecolor,
                unicode: ecolor,
                width: 100,
            };
            eprint!(
                "{}",
                ward_lang::diagnostic::render_all(shown.iter().copied(), &sources, opts)
            );
            let files = sources
                .files()
                .filter(|(_, f)| !f.name.starts_with("<ward>/"))
                .count();
            eprintln!(
                "ward lint: {} checked, {} and {}",
                count(files, "file"),
                count(errors, "error"),
                count(warnings, "warning")
            );
        }
    }
    if errors > 0 { exit::ERROR } else { exit::OK }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
