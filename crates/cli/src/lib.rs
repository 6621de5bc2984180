//! The `ward` command line as a library: one module per subcommand, so each
//! can be tested without spawning a process.

pub mod cmd;
pub mod exit;
pub mod output;
pub mod progress;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

/// Exit codes, as documented in `--help` and the README.
pub const EXIT_CODES: &str = "Exit codes:
  0  no finding at or above --fail-on (and no error)
  1  findings at or above --fail-on (or, with --strict-inputs, a warning about the inputs)
  2  errors in policies, inputs or usage (errors win over findings; findings are still printed)";

/// The top-level help's closing words.
const AFTER_HELP: &str = "Exit codes of `ward check`:
  0  no finding at or above --fail-on (and no error)
  1  findings at or above --fail-on (or, with --strict-inputs, a warning about the inputs)
  2  errors in policies, inputs or usage (errors win over findings; findings are still printed)
`ward fix` and `ward diff` have their own: see `ward fix --help` and `ward diff --help`.";

#[derive(Debug, Parser)]
#[command(
    name = "ward",
    version,
    about = "Policy as code for Kubernetes manifests, cluster exports, Dockerfiles and CI pipelines",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// When to use colour: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: output::ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate packs and policies over manifests, exports, Dockerfiles and workflows.
    Check(cmd::check::Args),
    /// Apply the fixes of failing controls to YAML and JSON files, as a diff or in place.
    Fix(cmd::fix::Args),
    /// Compare two runs (paths or JSON reports): new, fixed and still-open findings.
    Diff(cmd::diff::Args),
    /// Run the `test` blocks of policies and packs.
    Test(cmd::test::Args),
    /// Format `.ward` files.
    Fmt(cmd::fmt::Args),
    /// Show a control's documentation, or with --on why it failed, passed or was skipped on each resource.
    Explain(cmd::explain::Args),
    /// List the built-in packs, their versions, controls and frameworks.
    Packs(cmd::packs::Args),
    /// Check policies without evaluating anything.
    Lint(cmd::lint::Args),
    /// Build, inspect, sign and verify pack archives.
    Pack(cmd::pack::Args),
    /// Pin the packs of ward.toml, their versions and digests, in ward.lock.
    Lock(cmd::lock::Args),
    /// Framework items: which controls automate each, which are manual, which nothing covers.
    Frameworks(cmd::frameworks::Args),
    /// Start a project: ward.toml with packs and the team's policy folder, and a first control with tests.
    Init(cmd::init::Args),
    /// Print the completion script of a shell (`ward completions bash > ~/.local/share/bash-completion/completions/ward`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let color = cli.color.enabled_for_stdout();
    let ecolor = cli.color.enabled_for_stderr();
    let code = match cli.command {
        Command::Check(a) => cmd::check::run(a, color, ecolor),
        Command::Fix(a) => cmd::fix::run(a, color, ecolor),
        Command::Diff(a) => cmd::diff::run(a, ecolor),
        Command::Test(a) => cmd::test::run(a, color, ecolor),
        Command::Fmt(a) => cmd::fmt::run(a, ecolor),
        Command::Explain(a) => cmd::explain::run(a, ecolor),
        Command::Packs(a) => cmd::packs::run(a, ecolor),
        Command::Lint(a) => cmd::lint::run(a, ecolor),
        Command::Pack(a) => cmd::pack::run(a, ecolor),
        Command::Lock(a) => cmd::lock::run(a, ecolor),
        Command::Frameworks(a) => cmd::frameworks::run(a, color, ecolor),
        Command::Init(a) => cmd::init::run(a, ecolor),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ward", &mut script);
            match output::write(None, &String::from_utf8_lossy(&script)) {
                Ok(()) => exit::OK,
                Err(e) => {
                    output::error(ecolor, &e);
                    exit::ERROR
                }
            }
        }
    };
    ExitCode::from(code)
}
