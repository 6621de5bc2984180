//! The cost of a plugin call: a fresh store and instance, the arguments in,
//! the function, the result out and parsed. Run with
//! `cargo bench -p ward-engine --features plugins --bench plugins`;
//! docs/plugins.md records the figures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmarks fail loudly"
)]

use divan::{Bencher, black_box};
use serde_json::json;
use ward_engine::eval::Plugins;
use ward_engine::plugin::{PluginLimits, PluginSource, Runtime};

fn main() {
    divan::main();
}

const SECRET_ENTROPY: &[u8] =
    include_bytes!("../../../examples/plugins/secret-entropy/secret_entropy.wasm");
const RUN_LINT: &[u8] = include_bytes!("../../../examples/plugins/run-lint/run_lint.wasm");

/// The smallest module that keeps the ABI: `answer` returns `{"ok":42}`
/// without reading its arguments.
const MINIMAL: &str = r#"(module
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 4096))
  (func (export "ward_abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (local.get $p))
  (func (export "dealloc") (param i32 i32))
  (data (i32.const 16) "{\"ok\":42}")
  (func (export "answer") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 9))))"#;

fn runtime(bytes: Vec<u8>) -> Runtime {
    Runtime::from_sources(
        vec![PluginSource {
            name: "bench".into(),
            file: "bench.wasm".into(),
            bytes,
        }],
        PluginLimits::default(),
    )
    .unwrap()
}

/// Per-call overhead: a WAT function that does nothing.
#[divan::bench]
fn call_minimal(b: Bencher) {
    let rt = runtime(wat::parse_str(MINIMAL).unwrap());
    b.bench(|| rt.call(0, black_box("answer"), &[]).unwrap());
}

/// A Rust plugin (serde_json inside): `looks_secret(key, value)`.
#[divan::bench]
fn call_looks_secret(b: Bencher) {
    let rt = runtime(SECRET_ENTROPY.to_vec());
    let args = [json!("DB_PASSWORD"), json!("tr0ub4dor&3")];
    b.bench(|| rt.call(0, "looks_secret", black_box(&args)).unwrap());
}

/// A whole-resource check over a ConfigMap of 20 keys.
#[divan::bench]
fn call_scan_configmap(b: Bencher) {
    let rt = runtime(SECRET_ENTROPY.to_vec());
    let data: serde_json::Map<String, serde_json::Value> = (0..20)
        .map(|i| (format!("KEY_{i}"), json!(format!("value number {i}"))))
        .collect();
    let args = [json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": data})];
    b.bench(|| rt.call(0, "scan", black_box(&args)).unwrap());
}

/// Compiling (and checking) a Rust plugin once per run.
#[divan::bench(sample_count = 10)]
fn load_secret_entropy() -> Runtime {
    runtime(SECRET_ENTROPY.to_vec())
}

#[divan::bench(sample_count = 10)]
fn load_run_lint() -> Runtime {
    runtime(RUN_LINT.to_vec())
}
