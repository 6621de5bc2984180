//! What the engine's integration tests share. Each test file is a crate of
//! its own that uses some of these, so the rest is dead code there.
#![allow(dead_code, reason = "each test crate uses only some helpers")]

use ward_engine::{Engine, EngineBuilder, EvalOptions, Inputs, Report, Selection};

/// The engine a builder makes, and the selection of its policies' own
/// controls (no pack).
pub fn built(builder: EngineBuilder) -> (Engine, Selection) {
    let engine = builder.build().expect("the policies check");
    let selection = engine
        .select(&[], true, &[])
        .expect("the selection is valid");
    (engine, selection)
}

/// An engine of the built-in packs and one policy file, and the
/// selection of that file's own controls (no pack).
pub fn team_engine(name: &str, policy: &str) -> (Engine, Selection) {
    built(EngineBuilder::new().policy(name, policy))
}

/// The reports of a run that remembers calls (and takes every fast path)
/// and of one that works out every call.
pub fn with_and_without_memos(
    engine: &Engine,
    selection: &Selection,
    inputs: &Inputs,
) -> (Report, Report) {
    let run = |memoize| {
        let opts = EvalOptions {
            memoize,
            ..EvalOptions::default()
        };
        engine.evaluate(selection, inputs, &opts)
    };
    (run(true), run(false))
}

/// How often a profiled run ran the body of the function `name`.
pub fn body_runs(report: &Report, name: &str) -> u64 {
    report
        .functions
        .iter()
        .find(|f| f.function == name)
        .map_or(0, |f| f.runs)
}
