//! `ward fix`: apply the fixes of the controls that have them, as a diff or
//! in place.

use super::check::Setup;
use crate::exit;
use crate::output;
use ward_engine::fix::{self, FixOptions, FixRun};

/// Exit codes of `ward fix`, as `--help` and docs/fix-and-diff.md say.
pub const EXIT_CODES: &str = "Exit codes:
  0  nothing to fix, or --write applied every fix
  1  fixes pending (the diff is not empty, without --write), or some fixes could not be applied
  2  errors in policies, inputs or usage, or a file could not be written";

#[derive(Debug, clap::Args)]
#[command(after_help = "Without --write nothing is written: the fixes are printed as a unified diff \
(apply it with `git apply`). Fixes that cannot be applied safely are listed on standard error \
with their reason.\n\n"
    .to_string()
    + EXIT_CODES)]
pub struct Args {
    /// Files or folders to fix (`-` reads standard input; its fixes can only
    /// be shown, not written).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub setup: Setup,
    /// Print the fixes as a unified diff (the default).
    #[arg(long, conflicts_with = "write")]
    pub diff: bool,
    /// Write the fixed files in place.
    #[arg(long)]
    pub write: bool,
    /// Only fix the findings of this control (an id such as
    /// `pss.restricted.runAsNonRoot`, or a package such as `pss.restricted`);
    /// may be repeated.
    #[arg(long = "control", value_name = "ID")]
    pub controls: Vec<String>,
    /// Output format: text (the diff, and on standard error what was not
    /// fixed), or json (what was applied and what was not, with each file's
    /// diff).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(a: Args, color: bool, ecolor: bool) -> u8 {
    if a.write && a.paths.iter().any(|p| p == "-") {
        output::error(
            ecolor,
            "`ward fix --write` cannot write standard input back; leave out --write to see the diff",
        );
        return exit::ERROR;
    }
    let Some(ready) = a.setup.prepare(ecolor) else {
        return exit::ERROR;
    };
    for c in &a.controls {
        let prefix = format!("{}.", c.trim_end_matches('.'));
        let known = ready
            .engine
            .program
            .controls
            .iter()
            .any(|d| d.id == *c || d.id.starts_with(&prefix))
            || *c == ward_engine::unknown_fields::CONTROL;
        if !known {
            output::error(
                ecolor,
                &format!(
                    "`--control {c}`: no control has that id, and no package that name (`ward packs --verbose` lists them)"
                ),
            );
            return exit::ERROR;
        }
    }
    let opts = FixOptions {
        controls: a.controls.clone(),
        waivers: Some((
            ready.waivers.clone(),
            ward_engine::waivers::ApplyOptions {
                today: ready.today,
                inline: ready.inline_waivers,
            },
        )),
        ..FixOptions::default()
    };
    let run = fix::run(
        &ready.engine,
        &ready.selection,
        &a.paths,
        &a.setup.load_options(),
        &a.setup.eval_options(),
        &opts,
    );
    let json = a.format == Format::Json;
    let mut failed = false;
    let mut out = String::new();
    if a.write {
        for c in &run.changes {
            if let Err(e) = std::fs::write(&c.path, c.after.as_bytes()) {
                output::error(ecolor, &format!("cannot write {}: {e}", c.path));
                failed = true;
                continue;
            }
            let n = run.applied.iter().filter(|t| t.file == c.path).count();
            out.push_str(&format!("fixed {} ({n} fix{})\n", c.path, plural(n)));
        }
    } else {
        out = diff(&run, color && !json);
    }
    if json {
        out = render_json(&run, a.write) + "\n";
    }
    if let Err(e) = output::write(None, &out) {
        output::error(ecolor, &e);
        return exit::ERROR;
    }
    if !json {
        eprint!("{}", summary(&run, a.write, ecolor));
    }
    if failed || !run.errors.is_empty() {
        exit::ERROR
    } else if !run.unfixed.is_empty() || (!a.write && !run.changes.is_empty()) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// The run as JSON: what was applied and what was not, each changed
/// file's diff, and the errors.
pub fn render_json(run: &FixRun, wrote: bool) -> String {
    let files: Vec<serde_json::Value> = run
        .changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "path": c.path,
                "fixes": run.applied.iter().filter(|t| t.file == c.path).count(),
                "diff": file_diff(c),
            })
        })
        .collect();
    let v = serde_json::json!({
        "ward": env!("CARGO_PKG_VERSION"),
        "written": wrote,
        "files": files,
        "applied": run.applied,
        "unfixed": run.unfixed,
        "errors": run.errors,
    });
    serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// One file's unified diff with `a/` and `b/` paths.
fn file_diff(c: &ward_engine::fix::FileChange) -> String {
    let d = similar::TextDiff::from_lines(&*c.before, &*c.after);
    let (a, b) = if c.path.starts_with('/') || c.path == "-" {
        (c.path.clone(), c.path.clone())
    } else {
        let p = c.path.trim_start_matches("./");
        (format!("a/{p}"), format!("b/{p}"))
    };
    d.unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .missing_newline_hint(true)
        .to_string()
}

/// Every changed file as a unified diff with `a/` and `b/` paths, as
/// `git apply` and `patch -p1` read it.
pub fn diff(run: &FixRun, color: bool) -> String {
    let mut out = String::new();
    for c in &run.changes {
        let text = file_diff(c);
        if color {
            for line in text.lines() {
                let paint = match line.as_bytes().first() {
                    _ if line.starts_with("+++") || line.starts_with("---") => "1",
                    Some(b'+') => "32",
                    Some(b'-') => "31",
                    Some(b'@') => "36",
                    _ => "",
                };
                if paint.is_empty() {
                    out.push_str(line);
                } else {
                    out.push_str(&format!("\x1b[{paint}m{line}\x1b[0m"));
                }
                out.push('\n');
            }
        } else {
            out.push_str(&text);
        }
    }
    out
}

/// What was fixed, what was not and why, and the errors: for standard
/// error.
pub fn summary(run: &FixRun, wrote: bool, color: bool) -> String {
    let mut out = String::new();
    for e in &run.errors {
        let place = match &e.file {
            Some(f) if e.line > 0 => format!("{f}:{}:{}: ", e.line, e.column),
            Some(f) => format!("{f}: "),
            None => String::new(),
        };
        let head = if color {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        out.push_str(&format!("{head}: {place}{}\n", e.message));
    }
    for u in &run.unfixed {
        let t = &u.target;
        let head = if color {
            "\x1b[1;33mnot fixed\x1b[0m"
        } else {
            "not fixed"
        };
        out.push_str(&format!(
            "{head}: {}:{}: {} ({} {}): {}\n",
            t.file,
            t.line,
            t.control,
            ward_engine::report::resource_label(&t.resource),
            t.pointer,
            u.reason
        ));
    }
    let mut helm: Vec<&str> = run
        .applied
        .iter()
        .filter_map(|t| t.origin.as_deref())
        .collect();
    helm.sort_unstable();
    helm.dedup();
    if !helm.is_empty() {
        out.push_str(&format!(
            "note: some fixed documents were rendered by Helm; carry the change over to the chart's {}: {}\n",
            if helm.len() == 1 { "template" } else { "templates" },
            helm.join(", ")
        ));
    }
    let n = run.applied.len();
    let files = run.changes.len();
    let verb = if wrote { "applied" } else { "to apply" };
    out.push_str(&format!(
        "{n} fix{} {verb} in {files} file{}",
        plural(n),
        if files == 1 { "" } else { "s" }
    ));
    if !run.unfixed.is_empty() {
        out.push_str(&format!(", {} not fixed", run.unfixed.len()));
    }
    out.push('\n');
    out
}
