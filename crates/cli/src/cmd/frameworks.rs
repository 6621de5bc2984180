//! `ward frameworks`: each framework's items, the controls that automate
//! each, the manual ones and the uncovered ones; with `--check`, the
//! compliance score over inputs. The numbers are defined in
//! `ward_engine::frameworks` and `docs/packs.md`.

use super::setup::{Setup, Texts};
use crate::exit;
use crate::output;
use std::fmt::Write as _;
use ward_engine::frameworks::{self, FrameworkCoverage, ItemResult, ItemStatus};
use ward_engine::{Engine, PackRef};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Controls: those of the packs of --pack or ward.toml; with neither, of every built-in pack.\n\n\
Coverage = automated items / automatable items (the items not marked manual).\n\n\
Score (with --check) = controls that pass / applicable controls, over the controls that map to the framework. \
A control is applicable when it applied to a resource, and passes when it has no deny finding that is not waived and no error. \
See docs/packs.md."
)]
pub struct Args {
    /// Only this framework (`cis_k8s`, `pss`, `owasp_k8s`, `nsa_cisa`,
    /// `cis_docker`, `checklist`, or one a pack declares).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Evaluate the packs over these files or folders and score each framework.
    #[arg(long = "check", value_name = "PATH")]
    pub check: Vec<String>,
    #[command(flatten)]
    pub setup: Setup,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Every pack of the program.
fn all_packs(engine: &Engine) -> Vec<PackRef> {
    engine
        .program
        .packs
        .iter()
        .map(|p| PackRef {
            name: p.name.clone(),
            version: None,
        })
        .collect()
}

pub fn run(a: Args, color: bool, ecolor: bool) -> u8 {
    let Some(ready) = a.setup.prepare_with(ecolor, all_packs) else {
        return exit::ERROR;
    };
    if let Some(n) = &a.name
        && ready.engine.program.framework(n).is_none()
    {
        let names: Vec<&str> = ready
            .engine
            .program
            .frameworks
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        output::error(
            ecolor,
            &format!(
                "there is no framework `{n}`; the frameworks are {}",
                names.join(", ")
            ),
        );
        return exit::ERROR;
    }
    let report = if a.check.is_empty() {
        None
    } else {
        Some(ready.evaluate(&a.check, &a.setup, Texts::Drop).1)
    };
    let controls = frameworks::selected_controls(&ready.engine, &ready.selection);
    let fws = frameworks::frameworks(&ready.engine, &controls, report.as_ref(), a.name.as_deref());
    let text = match a.format {
        Format::Json => serde_json::to_string_pretty(&fws).unwrap_or_default() + "\n",
        Format::Text => render(&fws, a.name.is_some(), color),
    };
    if let Err(e) = output::write(None, &text) {
        output::error(ecolor, &e);
        return exit::ERROR;
    }
    match report {
        Some(r) if !r.errors.is_empty() => {
            for e in &r.errors {
                output::error(ecolor, &e.message);
            }
            exit::ERROR
        }
        _ => exit::OK,
    }
}

fn pct(p: Option<usize>) -> String {
    p.map(|p| format!("{p}%")).unwrap_or_else(|| "n/a".into())
}

/// One block per framework; every item when one framework is named or
/// there are few, else only the items that are not automated.
fn render(fws: &[FrameworkCoverage], all_items: bool, color: bool) -> String {
    let paint = |code: &str, t: &str| {
        if color {
            format!("\x1b[{code}m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    let mut out = String::new();
    for (i, f) in fws.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{} {} ({})", paint("1", &f.title), f.version, f.name);
        let c = &f.coverage;
        let _ = writeln!(
            out,
            "  coverage {}: {} of {} automatable items automated; {} manual, {} uncovered",
            pct(c.percent),
            c.automated,
            c.automatable,
            c.manual,
            c.uncovered
        );
        if let Some(s) = &f.score {
            let _ = writeln!(
                out,
                "  score {}: {} of {} applicable controls pass",
                pct(s.percent),
                s.passed,
                s.applicable
            );
        }
        let width = f.items.iter().map(|i| i.id.len()).max().unwrap_or(0);
        for it in &f.items {
            if !all_items
                && it.status == ItemStatus::Automated
                && it.result != Some(ItemResult::Fail)
            {
                continue;
            }
            let what = match (it.status, it.result) {
                (ItemStatus::Manual, _) => paint("2", "manual"),
                (ItemStatus::Uncovered, _) => paint("33", "uncovered"),
                (ItemStatus::Automated, None) => "automated".to_string(),
                (ItemStatus::Automated, Some(ItemResult::Pass)) => paint("32", "pass"),
                (ItemStatus::Automated, Some(ItemResult::Fail)) => paint("31", "fail"),
                (ItemStatus::Automated, Some(ItemResult::Error)) => paint("31", "error"),
                (ItemStatus::Automated, Some(ItemResult::NotAssessed)) => {
                    paint("2", "not assessed")
                }
            };
            let _ = writeln!(out, "  {:<width$}  {}  [{what}]", it.id, it.title);
            if !it.controls.is_empty() {
                let _ = writeln!(out, "  {:<width$}    by {}", "", it.controls.join(", "));
            }
        }
        if !all_items {
            let shown = f
                .items
                .iter()
                .filter(|i| i.status != ItemStatus::Automated || i.result == Some(ItemResult::Fail))
                .count();
            if shown < f.items.len() {
                let _ = writeln!(
                    out,
                    "  ({} automated item{} not shown; `ward frameworks {}` lists every item)",
                    f.items.len() - shown,
                    if f.items.len() - shown == 1 { "" } else { "s" },
                    f.name
                );
            }
        }
    }
    out
}
