//! `ward test`: run the `test` blocks of policies and packs.

use crate::exit;
use crate::output;
use std::collections::HashSet;
use std::path::PathBuf;
use ward_lang::span::FileId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// JUnit XML: a suite per policy file, and one for coverage.
    Junit,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or folders whose tests run; when none is given, the
    /// `policies` of `ward.toml`, else `policies` and `std-lib` of the
    /// current folder.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Fail when a control has no failing or no passing case, or a `deny`
    /// or `warn` statement of a control some test fails never fires.
    #[arg(long)]
    pub require_coverage: bool,
    /// Only run tests whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub plugin: super::PluginArgs,
}

pub fn run(mut a: Args, color: bool, ecolor: bool) -> u8 {
    if a.paths.is_empty() {
        a.paths = super::setup::current_project()
            .map(|p| p.policies())
            .unwrap_or_default();
    }
    if a.paths.is_empty() {
        a.paths = ["policies", "std-lib"]
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.is_dir())
            .collect();
        if a.paths.is_empty() {
            output::error(
                ecolor,
                "no policies to test; name the files or folders whose tests should run",
            );
            return exit::ERROR;
        }
    }
    let Some(mut engine) = super::engine(&a.paths, false, ecolor) else {
        return exit::ERROR;
    };
    if !super::plugins(&mut engine, &a.plugin, &[], ecolor) {
        return exit::ERROR;
    }
    let files: Option<HashSet<FileId>> = Some(
        engine
            .sources
            .files()
            .filter(|(_, f)| !f.name.starts_with("<ward>/"))
            .map(|(id, _)| id)
            .collect(),
    );
    let mut run = engine.run_tests(files.as_ref());
    if let Some(f) = &a.filter {
        run.results.retain(|r| r.name.contains(f.as_str()));
    }
    let uncovered: Vec<_> = run.uncovered().cloned().collect();
    let text = match a.format {
        Format::Json => serde_json::to_string_pretty(&run).unwrap_or_default() + "\n",
        Format::Text => render(&run, &uncovered, color),
        Format::Junit => ward_engine::report::junit::tests(&run, a.require_coverage),
    };
    if let Err(e) = output::write(None, &text) {
        output::error(ecolor, &e);
        return exit::ERROR;
    }
    if run.failed() > 0
        || (a.require_coverage && (!uncovered.is_empty() || !run.unreached.is_empty()))
    {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn render(
    run: &ward_engine::testing::TestRun,
    uncovered: &[ward_engine::testing::Coverage],
    color: bool,
) -> String {
    use std::fmt::Write as _;
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for r in &run.results {
        let status = if r.passed {
            paint("32", "ok    ")
        } else {
            paint("1;31", "FAILED")
        };
        let _ = writeln!(
            out,
            "{status} {}:{}:{} {}",
            r.file, r.line, r.column, r.name
        );
        for f in &r.failures {
            let _ = writeln!(out, "         {f}");
        }
    }
    if !uncovered.is_empty() {
        let _ = writeln!(out, "\ncontrols without both a failing and a passing case:");
        for c in uncovered {
            let _ = writeln!(out, "  {} ({})", c.control, c.missing());
        }
    }
    if !run.unreached.is_empty() {
        let _ = writeln!(out, "\n`deny` and `warn` statements no test makes fire:");
        for u in &run.unreached {
            let _ = writeln!(
                out,
                "  {}:{}:{} {}: {}",
                u.file, u.line, u.column, u.control, u.statement
            );
        }
    }
    let passed = run.results.len() - run.failed();
    let tests = run.results.len();
    let unreached = match run.unreached.len() {
        0 => String::new(),
        1 => "; 1 statement never fired".to_string(),
        n => format!("; {n} statements never fired"),
    };
    let _ = writeln!(
        out,
        "\n{tests} test{}: {passed} passed, {} failed; {} of {} controls covered both ways{unreached}",
        if tests == 1 { "" } else { "s" },
        run.failed(),
        run.coverage.len() - uncovered.len(),
        run.coverage.len()
    );
    out
}
