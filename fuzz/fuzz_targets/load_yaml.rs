//! Reading `fuzz.yaml` from arbitrary bytes: positions, limits and errors, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_engine::input::Inputs;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut inputs = Inputs::default();
    inputs.add_text("fuzz.yaml", &text, &Default::default());
    for r in &inputs.resources {
        let _ = r.root().to_json();
    }
});
