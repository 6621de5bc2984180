//! `ward check`: evaluate packs and policies over inputs.

use crate::exit;
use crate::output;
use std::path::PathBuf;
use ward_engine::report;
use ward_engine::{Engine, EvalOptions, Inputs, LoadOptions, PackRef, Report, Selection};
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
#[command(after_help = "With neither --pack nor --policy, the built-in default packs run: pss-baseline.\n\n".to_string() + crate::EXIT_CODES)]
pub struct Args {
    /// Files or folders to check (`-` reads standard input). Folders are read
    /// recursively for .yaml, .yml and .json files.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub setup: Setup,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to a file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<String>,
    /// The lowest severity of a `deny` finding that makes the exit code 1.
    #[arg(long, value_enum, default_value = "low")]
    pub fail_on: FailOn,
}

pub fn run(a: Args, color: bool, ecolor: bool) -> u8 {
    let Some(ready) = a.setup.prepare(ecolor) else {
        return exit::ERROR;
    };
    let (inputs, report) = ready.evaluate(&a.paths, &a.setup);
    let engine = ready.engine;
    let text = match a.format {
        // Streamed: the report of a large export is hundreds of megabytes.
        Format::Json => {
            let w = output::write_with(a.output.as_deref(), |w| report::json::write(&report, w));
            if let Err(e) = w {
                output::error(ecolor, &e);
                return exit::ERROR;
            }
            String::new()
        }
        Format::Sarif => {
            let o = report::sarif::SarifOptions {
                srcroot: std::env::current_dir().ok(),
            };
            report::sarif::render_with(&report, &engine, &inputs, &o) + "\n"
        }
        Format::Junit => report::junit::render(&report, &engine, &inputs),
        Format::Markdown => {
            let o = report::markdown::MarkdownOptions::from_env();
            report::markdown::render_with(&report, &engine, &inputs, &o)
        }
        Format::Html => report::html::render(&report, &engine, &inputs),
        Format::Text => report::text::render(
            &report,
            &inputs,
            report::text::TextOptions {
                color: color && a.output.is_none(),
                context: 1,
            },
        ),
    };
    if a.format != Format::Json
        && let Err(e) = output::write(a.output.as_deref(), &text)
    {
        output::error(ecolor, &e);
        return exit::ERROR;
    }
    if !report.errors.is_empty() {
        return exit::ERROR;
    }
    let failing = a.fail_on.threshold().is_some_and(|t| {
        report
            .findings
            .iter()
            .any(|f| f.waived.is_none() && f.level == ward_engine::Level::Deny && f.severity >= t)
    });
    if failing { exit::FINDINGS } else { exit::OK }
}

/// What `check`, `fix` and `diff` share: the policies that run, their
/// params, and the limits of loading and evaluation.
#[derive(Clone, Debug, clap::Args)]
pub struct Setup {
    /// A built-in pack, optionally at a profile version: `pss-restricted@v1.25`.
    #[arg(long = "pack", value_name = "NAME[@VERSION]")]
    pub packs: Vec<String>,
    /// A policy file, or a folder of .ward files; its controls all run.
    #[arg(long = "policy", value_name = "FILE|DIR")]
    pub policies: Vec<PathBuf>,
    /// Set a pack parameter: `--set checklist.app_uid=1000`.
    #[arg(long = "set", value_name = "PARAM=VALUE")]
    pub sets: Vec<String>,
    /// Steps one control may take on one resource before it stops with an error.
    #[arg(long, value_name = "STEPS", default_value_t = ward_engine::eval::DEFAULT_BUDGET)]
    pub eval_budget: u64,
    /// Steps one control may take over the whole run (all resources) before it
    /// stops with one error naming it.
    #[arg(long, value_name = "STEPS", default_value_t = ward_engine::eval::DEFAULT_RUN_BUDGET)]
    pub run_budget: u64,
    /// Print where the time went (reading, evaluating, the slowest controls)
    /// to standard error.
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
}

/// The engine and the packs it runs, ready to evaluate inputs.
#[derive(Debug)]
pub struct Ready {
    pub engine: Engine,
    pub selection: Selection,
}

impl Setup {
    /// Builds the engine and selects the packs (the default packs when
    /// neither `--pack` nor `--policy` is given); problems go to standard
    /// error.
    pub fn prepare(&self, ecolor: bool) -> Option<Ready> {
        let engine = super::engine(&self.policies, true, ecolor)?;
        let mut packs = Vec::new();
        for p in &self.packs {
            match p.parse::<PackRef>() {
                Ok(r) => packs.push(r),
                Err(e) => {
                    output::error(ecolor, &e);
                    return None;
                }
            }
        }
        if packs.is_empty() && self.policies.is_empty() {
            packs = engine.default_packs();
        }
        let mut sets = Vec::new();
        for s in &self.sets {
            match s.split_once('=') {
                Some((k, v)) => sets.push((k.trim().to_string(), v.to_string())),
                None => {
                    output::error(ecolor, &format!("`--set {s}`: write it as PARAM=VALUE"));
                    return None;
                }
            }
        }
        match engine.select(&packs, !self.policies.is_empty(), &sets) {
            Ok(selection) => Some(Ready { engine, selection }),
            Err(e) => {
                output::error(ecolor, &e.0);
                None
            }
        }
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

impl Ready {
    /// Loads paths and evaluates the selection over them.
    pub fn evaluate(&self, paths: &[String], setup: &Setup) -> (Inputs, Report) {
        let started = std::time::Instant::now();
        let bar = crate::progress::Bar::start(paths);
        let mut load = setup.load_options();
        load.progress = bar.counters();
        let inputs = ward_engine::input::load_paths(paths, &load);
        let loaded = started.elapsed();
        bar.evaluating(inputs.resources.len());
        let mut eval = setup.eval_options();
        eval.progress = bar.counters();
        let report = self.engine.evaluate(&self.selection, &inputs, &eval);
        bar.finish();
        if setup.profile {
            eprint!("{}", profile(&report, loaded, started.elapsed() - loaded));
        }
        (inputs, report)
    }
}

/// `--profile`: reading and evaluation times, and the controls that took
/// the most evaluation time (summed over threads).
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
    out
}
