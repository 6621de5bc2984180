//! Every built-in pack evaluated over arbitrary JSON documents (read as a
//! YAML or JSON stream), with findings rendered in every report format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use ward_engine::input::Inputs;
use ward_engine::{Engine, EngineBuilder, EvalOptions, PackRef, Selection};

fn engine() -> &'static (Engine, Selection) {
    static E: OnceLock<(Engine, Selection)> = OnceLock::new();
    E.get_or_init(|| {
        let engine = EngineBuilder::new()
            .build()
            .expect("the built-in packs build");
        let packs: Vec<PackRef> = engine
            .program
            .packs
            .iter()
            .map(|p| PackRef {
                name: p.name.clone(),
                version: None,
            })
            .collect();
        let sel = engine
            .select(&packs, false, &[])
            .expect("every built-in pack selects");
        (engine, sel)
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (engine, sel) = engine();
    let mut inputs = Inputs::default();
    let name = if text.trim_start().starts_with('{') {
        "fuzz.json"
    } else {
        "fuzz.yaml"
    };
    inputs.add_text(name, &text, &Default::default());
    let opts = EvalOptions {
        budget: 1_000_000,
        ..EvalOptions::default()
    };
    let report = engine.evaluate(sel, &inputs, &opts);
    for f in &report.findings {
        let _ = serde_json::to_string(f);
    }
});
