//! One module per subcommand.

pub mod check;
pub mod diff;
pub mod explain;
pub mod fix;
pub mod fmt;
pub mod frameworks;
pub mod lint;
pub mod lock;
pub mod pack;
pub mod packs;
pub mod setup;
pub mod test;

use std::path::PathBuf;
use ward_engine::{Engine, EngineBuilder};

/// Builds the engine with the built-in packs and the given policy paths,
/// printing diagnostics on failure.
pub fn engine(policies: &[PathBuf], builtin: bool, ecolor: bool) -> Option<Engine> {
    let b = if builtin {
        EngineBuilder::new()
    } else {
        EngineBuilder::std_only()
    };
    engine_from(b, policies, ecolor)
}

/// Builds the engine from a builder and the given policy paths, printing
/// diagnostics on failure.
pub fn engine_from(mut b: EngineBuilder, policies: &[PathBuf], ecolor: bool) -> Option<Engine> {
    for p in policies {
        b = match b.policy_path(p) {
            Ok(b) => b,
            Err(e) => {
                crate::output::error(ecolor, &e);
                return None;
            }
        };
    }
    match b.build() {
        Ok(e) => {
            let user_warnings: Vec<_> = e
                .warnings
                .iter()
                .filter(|d| !e.sources.name(d.primary.span.file).starts_with("<ward>/"))
                .cloned()
                .collect();
            if !user_warnings.is_empty() {
                crate::output::diagnostics(ecolor, &e.sources, &user_warnings);
            }
            Some(e)
        }
        Err(errs) => {
            crate::output::diagnostics(ecolor, &errs.sources, &errs.diagnostics);
            let n = errs.diagnostics.iter().filter(|d| d.is_error()).count();
            crate::output::error(
                ecolor,
                &format!("{n} error{} in policies", if n == 1 { "" } else { "s" }),
            );
            None
        }
    }
}
