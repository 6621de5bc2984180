//! `ward check`: evaluate packs and policies over inputs.

pub use super::setup::{Ready, Setup, Texts};
use crate::exit;
use crate::output;
use std::path::PathBuf;
use ward_engine::baseline::Baseline;
use ward_engine::report;
use ward_lang::hir::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub, Azure DevOps, editors).
    Sarif,
    /// JUnit XML: a test suite per pack, a test case per control and finding.
    Junit,
    /// A Markdown summary for a pull-request comment.
    Markdown,
    /// One self-contained HTML page with scores, filters and fixes.
    Html,
    /// GitHub Actions annotations: each finding on its line of the pull
    /// request, without code scanning.
    Github,
}

impl Format {
    /// Whether the report quotes the inputs' text: code frames (text),
    /// snippets and fix regions (SARIF), diffs (HTML).
    pub fn texts(self) -> Texts {
        match self {
            Format::Text | Format::Sarif | Format::Html => Texts::Keep,
            Format::Json | Format::Junit | Format::Markdown | Format::Github => Texts::Drop,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// Never fail because of findings (errors still exit 2).
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        Some(match self {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
            FailOn::Never => return None,
        })
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Packs: those of --pack, else those of ward.toml, else (without --policy) the built-in default packs: checklist and pss-baseline.\n\n".to_string() + crate::EXIT_CODES)]
pub struct Args {
    /// Files or folders to check (`-` reads standard input). Folders are read
    /// recursively for .yaml, .yml and .json files. Default: the `paths` of
    /// `ward.toml`, else the current folder.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub setup: Setup,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to a file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<String>,
    /// The lowest severity of a `deny` finding that makes the exit code 1
    /// (default: `fail_on` of `ward.toml`, else `low`).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Make Ward's warnings about the inputs (a misspelt field, an API
    /// version the cluster does not serve, an object defined twice) fail
    /// the run too, unless waived (default: `strict_inputs` of `ward.toml`).
    #[arg(long)]
    pub strict_inputs: bool,
    /// Write the findings (those no waiver covers) as a baseline to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

pub fn run(a: Args, color: bool, ecolor: bool) -> u8 {
    let Some((ready, loaded)) = a.setup.prepare_and_load(ecolor, &a.paths, a.format.texts()) else {
        return exit::ERROR;
    };
    let fail_on = match fail_on(a.fail_on, &ready) {
        Ok(f) => f,
        Err(e) => {
            output::error(ecolor, &e);
            return exit::ERROR;
        }
    };
    let (inputs, report) = ready.evaluate_loaded(loaded, &a.setup);
    if let Some(path) = &a.write_baseline {
        let baseline = Baseline::from_report(&report);
        if let Err(e) = output::write_file(path, |w| baseline.write(w)) {
            output::error(ecolor, &e);
            return exit::ERROR;
        }
    }
    let engine = &ready.engine;
    let started = std::time::Instant::now();
    let out = a.output.as_deref();
    // Every format but Markdown, a summary, is streamed: the findings are
    // hundreds of megabytes for a large export.
    let written = match a.format {
        Format::Json => output::write_with(out, |w| report::json::write(&report, w)),
        Format::Sarif => {
            let o = report::sarif::SarifOptions {
                srcroot: std::env::current_dir().ok(),
            };
            output::write_with(out, |w| {
                report::sarif::write(&report, engine, &inputs, &o, w)
            })
        }
        Format::Html => {
            output::write_with(out, |w| report::html::write(&report, engine, &inputs, w))
        }
        Format::Junit => {
            output::write_with(out, |w| report::junit::write(&report, engine, &inputs, w))
        }
        Format::Github => {
            let o = report::github::GithubOptions::from_env();
            output::write_with(out, |w| report::github::write(&report, &o, w))
        }
        Format::Markdown => {
            let o = report::markdown::MarkdownOptions::from_env();
            output::write(
                out,
                &report::markdown::render_with(&report, engine, &inputs, &o),
            )
        }
        Format::Text => {
            let o = report::text::TextOptions {
                color: color && a.output.is_none(),
                context: 1,
            };
            output::write_with(out, |w| report::text::write(&report, &inputs, o, w))
        }
    };
    if let Err(e) = written {
        output::error(ecolor, &e);
        return exit::ERROR;
    }
    // A SARIF log is often uploaded to GitHub code scanning, which keeps
    // only part of a large run and rejects a larger one: said here, where
    // it can still be acted on, rather than by a failed upload.
    if a.format == Format::Sarif
        && let Some(note) = report::sarif::code_scanning_note(report.findings.len())
    {
        output::warning(ecolor, &note);
    }
    if a.setup.profile {
        eprintln!(
            "profile: wrote the report in {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    // A run that checked nothing passes, which in CI reads as "all clear":
    // say so, and what was passed over.
    if report.resources == 0 && report.findings.is_empty() && report.errors.is_empty() {
        let mut msg =
            "nothing was checked: the paths given hold no manifest, Dockerfile or CI pipeline"
                .to_string();
        // An unrendered template says what to do about it: shown first.
        let example = report
            .skipped
            .iter()
            .find(|s| s.reason == ward_engine::input::UNRENDERED_TEMPLATE)
            .or(report.skipped.first());
        match (report.skipped.len(), example) {
            (1, Some(s)) => msg.push_str(&format!("; {} was skipped: {}", s.file, s.reason)),
            (n, Some(s)) => msg.push_str(&format!(
                "; {n} documents were skipped, such as {}: {}",
                s.file, s.reason
            )),
            _ => {}
        }
        output::warning(ecolor, &msg);
    }
    let strict = a.strict_inputs
        || ready
            .project
            .as_ref()
            .and_then(|p| p.project.strict_inputs)
            .unwrap_or(false);
    let code = if !report.errors.is_empty() {
        exit::ERROR
    } else if fail_on.threshold().is_some_and(|t| {
        report
            .findings
            .iter()
            .any(|f| f.waived.is_none() && f.level == ward_engine::Level::Deny && f.severity >= t)
    }) || (strict
        && report
            .findings
            .iter()
            .any(|f| f.waived.is_none() && ward_engine::finding::input_notice(&f.control)))
    {
        exit::FINDINGS
    } else {
        exit::OK
    };
    // The process ends next: freeing the documents and findings of a
    // large export one by one (hundreds of thousands of allocations) would
    // only delay the exit, as would the compiled controls of every pack
    // (a tenth of a cold start's instructions); the system takes the
    // memory back at once.
    std::mem::forget(inputs);
    std::mem::forget(report);
    std::mem::forget(ready);
    code
}

/// `--fail-on`, else `fail_on` of `ward.toml`, else `low`.
fn fail_on(given: Option<FailOn>, ready: &Ready) -> Result<FailOn, String> {
    if let Some(f) = given {
        return Ok(f);
    }
    let Some(p) = &ready.project else {
        return Ok(FailOn::Low);
    };
    match &p.project.fail_on {
        None => Ok(FailOn::Low),
        Some(text) => <FailOn as clap::ValueEnum>::from_str(text, true).map_err(|_| {
            format!(
                "{}: `fail_on = \"{text}\"`: expected info, low, medium, high, critical or never",
                p.path.display()
            )
        }),
    }
}
