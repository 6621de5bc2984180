//! `ward fmt`: format `.ward` files in place, or check that they are.

use crate::exit;
use crate::output;
use std::path::{Path, PathBuf};
use ward_lang::SourceMap;
use ward_lang::diagnostic::{Diagnostic, RenderOptions};

#[derive(Debug, clap::Args)]
#[command(after_help = "Exit codes:
  0  every file is formatted (or was rewritten)
  1  with --check: some files would change
  2  a file does not parse, or cannot be read or written")]
pub struct Args {
    /// Files or folders to format. Folders are searched recursively for
    /// .ward files, skipping hidden folders and `target`.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Change nothing: print the files that would change with a diff, and
    /// exit 1 if any would.
    #[arg(long)]
    pub check: bool,
}

pub fn run(a: Args, ecolor: bool) -> u8 {
    let mut files = Vec::new();
    for p in &a.paths {
        if let Err(e) = collect(p, &mut files) {
            output::error(ecolor, &e);
            return exit::ERROR;
        }
    }
    let mut sources = SourceMap::new();
    let mut broken: Vec<Diagnostic> = Vec::new();
    let mut failed = false;
    let (mut changed, mut unchanged) = (0usize, 0usize);
    let mut diffs = String::new();
    for path in &files {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                output::error(ecolor, &format!("cannot read `{name}`: {e}"));
                failed = true;
                continue;
            }
        };
        let id = sources.add(name.clone(), text.clone());
        let formatted = match ward_lang::fmt::format_source(id, &text) {
            Ok(f) => f,
            Err(ds) => {
                broken.extend(ds);
                continue;
            }
        };
        if formatted == text {
            unchanged += 1;
            continue;
        }
        changed += 1;
        if a.check {
            diffs.push_str(&diff(&name, &text, &formatted));
        } else if let Err(e) = std::fs::write(path, &formatted) {
            output::error(ecolor, &format!("cannot write `{name}`: {e}"));
            failed = true;
        }
    }
    if let Err(e) = output::write(None, &diffs) {
        output::error(ecolor, &e);
        failed = true;
    }
    if !broken.is_empty() {
        let opts = RenderOptions {
            color: ecolor,
            unicode: ecolor,
            width: 100,
        };
        eprint!(
            "{}",
            ward_lang::diagnostic::render_all(broken.iter(), &sources, opts)
        );
    }
    let verb = if a.check {
        "would reformat"
    } else {
        "reformatted"
    };
    eprintln!(
        "ward fmt: {verb} {}, {unchanged} already formatted{}",
        plural(changed, "file"),
        if broken.is_empty() {
            String::new()
        } else {
            format!(", {} not parsed", plural(broken_files(&broken), "file"))
        }
    );
    if failed || !broken.is_empty() {
        exit::ERROR
    } else if a.check && changed > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn broken_files(ds: &[Diagnostic]) -> usize {
    let mut files: Vec<_> = ds.iter().map(|d| d.span().file).collect();
    files.sort_unstable();
    files.dedup();
    files.len()
}

/// A unified diff from the file's text to its formatted text.
fn diff(name: &str, old: &str, new: &str) -> String {
    let d = similar::TextDiff::from_lines(old, new);
    let mut out = format!("would reformat {name}\n");
    out.push_str(
        &d.unified_diff()
            .context_radius(3)
            .header(name, &format!("{name} (formatted)"))
            .to_string(),
    );
    out
}

/// Adds `path` (a `.ward` file, or the `.ward` files under a folder, in
/// name order) to `out`.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !path.is_dir() {
        return Err(format!("`{}`: no such file or folder", path.display()));
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') || n == "target");
        if p.is_dir() {
            if !hidden {
                collect(&p, out)?;
            }
        } else if p.extension().is_some_and(|e| e == "ward") {
            out.push(p);
        }
    }
    Ok(())
}
