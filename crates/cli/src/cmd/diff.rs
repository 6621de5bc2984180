//! `ward diff OLD NEW`: new, fixed and still-open findings between two runs.

use super::check::{FailOn, Setup, Texts};
use crate::exit;
use crate::output;
use std::path::Path;
use ward_engine::diff::{self, Entry};

/// Exit codes of `ward diff`, as `--help` and docs/fix-and-diff.md say.
pub const EXIT_CODES: &str = "Exit codes:
  0  no new finding at or above --fail-on
  1  new findings at or above --fail-on
  2  errors in policies, inputs, reports or usage (errors win; the diff is still printed)";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// A Markdown summary for a pull-request comment.
    Markdown,
    /// GitHub Actions annotations of the new findings, on their lines.
    Github,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "OLD and NEW are each a file or folder of manifests (a cluster export, a \
checkout of a commit), evaluated with the packs and policies given, or a JSON report written by \
`ward check --format json`, read as it is. Findings are matched by fingerprint: control, resource \
(apiVersion, kind, namespace, name) and JSON pointer, never file or line, so moving or reformatting \
manifests changes nothing. Waived findings are left out.\n\n"
    .to_string()
    + EXIT_CODES)]
pub struct Args {
    /// The earlier run: a path, or a JSON report.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The later run: a path, or a JSON report.
    #[arg(value_name = "NEW")]
    pub new: String,
    #[command(flatten)]
    pub setup: Setup,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the diff to a file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<String>,
    /// The lowest severity of a new `deny` finding that makes the exit code 1.
    #[arg(long, value_enum, default_value = "low")]
    pub fail_on: FailOn,
}

/// One side of the diff: its entries, and whether it had errors.
struct Side {
    entries: Vec<Entry>,
    errors: bool,
}

pub fn run(a: Args, ecolor: bool) -> u8 {
    let mut ready = None;
    // Two reports are read at once, each on a core of its own.
    let (old_report, new_report) = std::thread::scope(|s| {
        let old = s.spawn(|| read_report(&a.old));
        let new = read_report(&a.new);
        (old.join().ok().flatten(), new)
    });
    let Some(old) = side(&a.old, old_report, &a.setup, &mut ready, ecolor) else {
        return exit::ERROR;
    };
    let Some(new) = side(&a.new, new_report, &a.setup, &mut ready, ecolor) else {
        return exit::ERROR;
    };
    let d = diff::compare(old.entries, new.entries);
    let text = match a.format {
        Format::Text => diff::render_text(&d, &a.old, &a.new),
        Format::Json => diff::render_json(&d, &a.old, &a.new) + "\n",
        Format::Markdown => diff::render_markdown(&d, &a.old, &a.new),
        Format::Github => {
            diff::render_github(&d, &ward_engine::report::github::GithubOptions::from_env())
        }
    };
    if let Err(e) = output::write(a.output.as_deref(), &text) {
        output::error(ecolor, &e);
        return exit::ERROR;
    }
    if old.errors || new.errors {
        return exit::ERROR;
    }
    let failing = a.fail_on.threshold().is_some_and(|t| {
        d.new
            .iter()
            .any(|e| e.level == ward_engine::Level::Deny && e.severity >= t)
    });
    if failing { exit::FINDINGS } else { exit::OK }
}

/// A report read (`report`, from [`read_report`]), or else a path
/// evaluated (building the engine on first use).
fn side(
    path: &str,
    report: Option<Result<diff::ReadReport, String>>,
    setup: &Setup,
    ready: &mut Option<super::check::Ready>,
    ecolor: bool,
) -> Option<Side> {
    if let Some(r) = report {
        return match r {
            Ok(r) => {
                if r.errors > 0 {
                    output::error(
                        ecolor,
                        &format!(
                            "{path}: the report records {} error{}; its findings may be incomplete",
                            r.errors,
                            if r.errors == 1 { "" } else { "s" }
                        ),
                    );
                }
                Some(Side {
                    entries: r.entries,
                    errors: r.errors > 0,
                })
            }
            Err(e) => {
                output::error(ecolor, &format!("{path}: {e}"));
                None
            }
        };
    }
    if ready.is_none() {
        *ready = Some(setup.prepare(ecolor)?);
    }
    let ready = ready.as_ref()?;
    let (_, report) = ready.evaluate(&[path.to_string()], setup, Texts::Drop);
    for e in &report.errors {
        let place = match (&e.file, e.line) {
            (Some(f), 0) => format!("{f}: "),
            (Some(f), l) => format!("{f}:{l}: "),
            (None, _) => String::new(),
        };
        output::error(ecolor, &format!("{place}{}", e.message));
    }
    Some(Side {
        entries: diff::entries(&report)
            .into_iter()
            .map(|e| e.relative_to(path))
            .collect(),
        errors: !report.errors.is_empty(),
    })
}

/// A file that holds a Ward JSON report, read; `None` for anything else.
fn read_report(path: &str) -> Option<Result<diff::ReadReport, String>> {
    let p = Path::new(path);
    if !p.is_file() || p.extension().and_then(|e| e.to_str()) != Some("json") {
        return None;
    }
    let text = std::fs::read_to_string(p).ok()?;
    diff::read_report(&text)
}
