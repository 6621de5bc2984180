//! The GitHub Actions and GitLab CI normalisers over arbitrary YAML: the
//! same text read as a workflow and as a pipeline, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_engine::input::Inputs;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut inputs = Inputs::default();
    inputs.add_text(".github/workflows/ci.yml", &text, &Default::default());
    inputs.add_text(".gitlab-ci.yml", &text, &Default::default());
    for r in &inputs.resources {
        let _ = r.root().to_json();
    }
});
