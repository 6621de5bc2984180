//! Plugins written in WAT, one per way a plugin can go wrong, and the
//! success cases.

use super::*;
use crate::eval::Plugins as _;
use serde_json::json;
use std::time::Instant;

/// A module that keeps the ABI (a bump allocator, an `echo` and an `answer`
/// function), plus `extra` items.
fn module(extra: &str) -> Vec<u8> {
    module_with(
        r#"(func (export "ward_abi_version") (result i32) (i32.const 1))"#,
        extra,
    )
}

fn module_with(version: &str, extra: &str) -> Vec<u8> {
    let text = format!(
        r#"(module
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 4096))
  {version}
  (func $alloc (export "alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.const 1)
        (i32.div_u (i32.sub (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
                   (i32.const 65536)))))))
    (local.get $p))
  (func (export "dealloc") (param i32 i32))
  (data (i32.const 16) "{{\"ok\":42}}")
  (data (i32.const 32) "{{\"ok\":")
  (func (export "answer") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 9)))
  ;; {{"ok": <the arguments>}}
  (func (export "echo") (param $p i32) (param $n i32) (result i64)
    (local $out i32)
    (local.set $out (call $alloc (i32.add (local.get $n) (i32.const 7))))
    (memory.copy (local.get $out) (i32.const 32) (i32.const 6))
    (memory.copy (i32.add (local.get $out) (i32.const 6)) (local.get $p) (local.get $n))
    (i32.store8 (i32.add (i32.add (local.get $out) (i32.const 6)) (local.get $n)) (i32.const 125))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.add (local.get $n) (i32.const 7)))))
  {extra}
)"#
    );
    wat::parse_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn limits() -> PluginLimits {
    PluginLimits {
        fuel: 5_000_000,
        memory_bytes: 4 * 1024 * 1024,
        timeout: Some(Duration::from_secs(30)),
    }
}

fn source(bytes: Vec<u8>) -> PluginSource {
    PluginSource {
        name: "t.probe".into(),
        file: "probe.wasm".into(),
        bytes,
    }
}

fn runtime_with(extra: &str, limits: PluginLimits) -> Runtime {
    match Runtime::from_sources(vec![source(module(extra))], limits) {
        Ok(r) => r,
        Err(e) => panic!("{}", e[0]),
    }
}

fn runtime(extra: &str) -> Runtime {
    runtime_with(extra, limits())
}

fn load_error(bytes: Vec<u8>) -> String {
    match Runtime::from_sources(vec![source(bytes)], limits()) {
        Ok(_) => panic!("the plugin loaded"),
        Err(e) => {
            assert_eq!(e.len(), 1);
            e[0].to_string()
        }
    }
}

fn call_error(rt: &Runtime, f: &str) -> String {
    match rt.call(0, f, &[json!("a")]) {
        Ok(v) => panic!("`{f}` returned {v}"),
        Err(e) => e,
    }
}

#[test]
fn calls_return_the_ok_value() {
    let rt = runtime("");
    assert_eq!(rt.call(0, "answer", &[]).unwrap(), json!(42));
    let args = [json!("key"), json!({"a": [1, 2.5, null, "ü"]})];
    assert_eq!(rt.call(0, "echo", &args).unwrap(), json!(args));
    assert_eq!(rt.functions(0), vec!["answer", "echo"]);
}

#[test]
fn an_error_result_names_plugin_and_function() {
    let rt = runtime(
        r#"(data (i32.const 64) "{\"error\":\"no key given\"}")
        (func (export "refuse") (param i32 i32) (result i64)
          (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 24)))"#,
    );
    let e = call_error(&rt, "refuse");
    assert_eq!(
        e,
        "plugin `t.probe` (probe.wasm): `refuse` failed: no key given"
    );
}

#[test]
fn an_infinite_loop_runs_out_of_fuel_within_the_budget() {
    let rt = runtime(
        r#"(func (export "spin") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0))"#,
    );
    let start = Instant::now();
    let e = call_error(&rt, "spin");
    assert!(
        e.contains("`spin` ran out of fuel after 5000000 units"),
        "{e}"
    );
    assert!(e.contains("--plugin-fuel"), "{e}");
    // 5 million units are a few milliseconds of work, far from the deadline.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_loop_with_fuel_to_spare_stops_at_the_deadline() {
    let rt = runtime_with(
        // Each iteration fills 1 MiB: little fuel, much time.
        r#"(func (export "fill") (param i32 i32) (result i64)
             (drop (memory.grow (i32.const 16)))
             (loop $l (memory.fill (i32.const 0) (i32.const 7) (i32.const 1048576)) (br $l))
             (i64.const 0))"#,
        PluginLimits {
            fuel: u64::MAX,
            memory_bytes: 4 * 1024 * 1024,
            timeout: Some(Duration::from_millis(200)),
        },
    );
    let start = Instant::now();
    let e = call_error(&rt, "fill");
    assert!(e.contains("time limit of 200 ms"), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn endless_memory_growth_stops_at_the_cap() {
    let rt = runtime(
        r#"(func (export "hog") (param i32 i32) (result i64)
             (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
             (i64.const 0))"#,
    );
    let e = call_error(&rt, "hog");
    assert!(
        e.contains("`hog` tried to grow its memory past the limit of 4 MiB"),
        "{e}"
    );
}

#[test]
fn a_module_larger_than_the_cap_does_not_start() {
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 100)
          (func (export "ward_abi_version") (result i32) (i32.const 1))
          (func (export "alloc") (param i32) (result i32) (i32.const 0))
          (func (export "dealloc") (param i32 i32)))"#,
    )
    .unwrap();
    let e = load_error(bytes);
    assert!(e.contains("past the limit of 4 MiB"), "{e}");
}

#[test]
fn a_trap_is_reported() {
    let rt = runtime(r#"(func (export "boom") (param i32 i32) (result i64) unreachable)"#);
    let e = call_error(&rt, "boom");
    assert!(
        e.starts_with("plugin `t.probe` (probe.wasm): `boom` trapped: "),
        "{e}"
    );
    assert!(e.contains("unreachable"), "{e}");
}

#[test]
fn endless_recursion_exhausts_the_stack() {
    let rt = runtime(
        r#"(func $r (export "deep") (param i32 i32) (result i64)
             (call $r (local.get 0) (local.get 1)))"#,
    );
    let e = call_error(&rt, "deep");
    assert!(e.contains("trapped") && e.contains("stack"), "{e}");
}

#[test]
fn malformed_json_is_reported() {
    let rt = runtime(
        r#"(data (i32.const 64) "{not json")
        (func (export "garbled") (param i32 i32) (result i64)
          (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 9)))"#,
    );
    let e = call_error(&rt, "garbled");
    assert!(e.contains("`garbled` returned malformed JSON: "), "{e}");
}

#[test]
fn json_without_the_envelope_is_reported() {
    let rt = runtime(
        r#"(data (i32.const 64) "[1, 2]")
        (func (export "bare") (param i32 i32) (result i64)
          (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 6)))"#,
    );
    let e = call_error(&rt, "bare");
    assert!(e.contains("neither {\"ok\": value} nor {\"error\""), "{e}");
}

#[test]
fn a_result_out_of_bounds_is_reported() {
    let rt = runtime(
        r#"(func (export "wild") (param i32 i32) (result i64)
             (i64.or (i64.shl (i64.const 0xffff0000) (i64.const 32)) (i64.const 100)))
           (func (export "long") (param i32 i32) (result i64)
             (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 0xffffffff)))"#,
    );
    let e = call_error(&rt, "wild");
    assert!(
        e.contains("`wild` returned a result of 100 bytes at 4294901760, outside the plugin's memory of 65536 bytes"),
        "{e}"
    );
    let e = call_error(&rt, "long");
    assert!(e.contains("4294967295 bytes at 16, outside"), "{e}");
}

#[test]
fn an_allocation_out_of_bounds_is_reported() {
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 1)
          (func (export "ward_abi_version") (result i32) (i32.const 1))
          (func (export "alloc") (param i32) (result i32) (i32.const 65530))
          (func (export "dealloc") (param i32 i32))
          (func (export "f") (param i32 i32) (result i64) (i64.const 0)))"#,
    )
    .unwrap();
    let rt = Runtime::from_sources(vec![source(bytes)], limits()).unwrap();
    let e = rt.call(0, "f", &[json!("some text")]).unwrap_err();
    assert!(
        e.contains("`alloc(13)` returned 65530, outside the plugin's memory of 65536 bytes"),
        "{e}"
    );
}

#[test]
fn a_missing_function_is_reported_with_the_ones_that_exist() {
    let rt = runtime(r#"(func (export "typo") (param i32) (result i32) (i32.const 0))"#);
    let e = call_error(&rt, "looks_secret");
    assert_eq!(
        e,
        "plugin `t.probe` (probe.wasm): `looks_secret` the plugin has no such function (it exports `answer`, `echo`)"
    );
    let e = call_error(&rt, "typo");
    assert!(
        e.contains("`typo` the export does not have the type"),
        "{e}"
    );
    let e = call_error(&rt, "alloc");
    assert!(
        e.contains("`alloc` this export is part of the plugin ABI"),
        "{e}"
    );
    let e = rt.call(7, "answer", &[]).unwrap_err();
    assert!(e.contains("no such plugin"), "{e}");
}

#[test]
fn a_missing_abi_export_does_not_load() {
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 1)
          (func (export "ward_abi_version") (result i32) (i32.const 1))
          (func (export "alloc") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    assert_eq!(
        load_error(bytes),
        "plugin `t.probe` (probe.wasm): the module does not export `dealloc` as a function (i32, i32) -> () (see docs/plugins.md for the ABI)"
    );
}

#[test]
fn another_abi_version_does_not_load() {
    let bytes = module_with(
        r#"(func (export "ward_abi_version") (result i32) (i32.const 2))"#,
        "",
    );
    assert!(
        load_error(bytes)
            .ends_with("the module speaks plugin ABI version 2, this Ward speaks version 1")
    );
}

#[test]
fn imports_are_refused() {
    let bytes = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
          (import "env" "now" (func (result i64)))
          (memory (export "memory") 1)
          (func (export "ward_abi_version") (result i32) (i32.const 1))
          (func (export "alloc") (param i32) (result i32) (i32.const 0))
          (func (export "dealloc") (param i32 i32)))"#,
    )
    .unwrap();
    assert_eq!(
        load_error(bytes),
        "plugin `t.probe` (probe.wasm): the module imports `wasi_snapshot_preview1.fd_write`, `env.now`; plugins may import nothing (no WASI, no host functions)"
    );
}

#[test]
fn text_that_is_not_wasm_does_not_load() {
    let e = load_error(b"hello".to_vec());
    assert!(e.contains("not a valid WebAssembly module"), "{e}");
}

#[test]
fn calls_do_not_share_state() {
    let rt = runtime(
        r#"(global $n (mut i32) (i32.const 0))
        (data (i32.const 80) "{\"ok\":0}")
        (func (export "count") (param i32 i32) (result i64)
          (global.set $n (i32.add (global.get $n) (i32.const 1)))
          (i32.store8 (i32.const 86) (i32.add (i32.const 48) (global.get $n)))
          (i64.or (i64.shl (i64.const 80) (i64.const 32)) (i64.const 8)))"#,
    );
    for _ in 0..3 {
        assert_eq!(rt.call(0, "count", &[]).unwrap(), json!(1));
    }
}

#[test]
fn calls_run_in_parallel() {
    use rayon::prelude::*;
    let rt = runtime("");
    let ok = (0..64)
        .into_par_iter()
        .map(|i| rt.call(0, "echo", &[json!(i)]))
        .filter(|r| r.as_ref().is_ok_and(|v| v[0].is_number()))
        .count();
    assert_eq!(ok, 64);
}

/// A check `scan` declared under `name`, returning one finding at `pointer`.
fn checks(name: &str, pointer: &str) -> String {
    let declared = format!(r#"[{{"name":"{name}","description":"d","kinds":["ConfigMap"]}}]"#);
    let found = format!(r#"{{"ok":[{{"pointer":"{pointer}","message":"m"}}]}}"#);
    let esc = |s: &str| s.replace('"', "\\\"");
    format!(
        r#"(data (i32.const 128) "{}")
  (func (export "ward_checks") (result i64)
    (i64.or (i64.shl (i64.const 128) (i64.const 32)) (i64.const {})))
  (data (i32.const 256) "{}")
  (func (export "scan") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 256) (i64.const 32)) (i64.const {})))"#,
        esc(&declared),
        declared.len(),
        esc(&found),
        found.len()
    )
}

#[test]
fn checks_are_declared_and_their_results_checked() {
    let rt = runtime(&checks("scan", "/data/k"));
    assert_eq!(
        rt.checks(0),
        &[Check {
            name: "scan".into(),
            description: Some("d".into()),
            kinds: vec!["ConfigMap".into()],
        }]
    );
    assert_eq!(
        rt.call(0, "scan", &[json!({})]).unwrap(),
        json!([{"pointer": "/data/k", "message": "m"}])
    );
    // The same function, declared as a check, must return findings.
    let rt = runtime(&checks("scan", "data/k"));
    let e = call_error(&rt, "scan");
    assert!(
        e.contains("`scan` is a check and returned item 0 with pointer `data/k`, which is not a JSON pointer"),
        "{e}"
    );
}

#[test]
fn checks_must_name_functions() {
    let bytes = module(&checks("scam", "/data/k"));
    let e = load_error(bytes);
    assert!(
        e.contains("`ward_checks` names `scam`, which is not an exported plugin function"),
        "{e}"
    );
}

#[test]
fn sizes_show_in_binary_units() {
    assert_eq!(limits::show_bytes(64 * 1024 * 1024), "64 MiB");
    assert_eq!(limits::show_bytes(1536), "1.5 KiB");
    assert_eq!(limits::show_bytes(12), "12 bytes");
}

/// An engine with one policy file in `dir`, declaring `probe.wasm`.
fn engine_in(dir: &std::path::Path, decl: &str, body: &str) -> Engine {
    let policy = dir.join("policy.ward");
    let text = format!("package t\n\n{decl}\n\n{body}\n");
    std::fs::write(&policy, &text).unwrap();
    match crate::EngineBuilder::std_only()
        .policy(policy.display().to_string(), text)
        .build()
    {
        Ok(e) => e,
        Err(errs) => panic!("{:?}", errs.diagnostics),
    }
}

#[test]
fn a_pinned_digest_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = module("");
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    std::fs::write(dir.path().join("plugins/probe.wasm"), &bytes).unwrap();
    let actual = sha256_hex(&bytes);
    let wrong = "ab".repeat(32);
    let engine = engine_in(
        dir.path(),
        &format!(r#"plugin probe = wasm("plugins/probe.wasm", sha256: "{wrong}")"#),
        "",
    );
    let errs = Runtime::load(&engine, limits()).unwrap_err();
    let file = dir.path().join("plugins/probe.wasm").display().to_string();
    assert_eq!(
        errs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![format!(
            "plugin `t.probe` ({file}): the module's SHA-256 digest is {actual}, but the policy pins {wrong}"
        )]
    );
    // The right digest (in any case) loads.
    let engine = engine_in(
        dir.path(),
        &format!(
            r#"plugin probe = wasm("plugins/probe.wasm", sha256: "{}")"#,
            actual.to_uppercase()
        ),
        "",
    );
    assert!(Runtime::load(&engine, limits()).is_ok());
}

#[test]
fn a_missing_file_and_a_wrong_digest_are_both_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("probe.wasm"), module("")).unwrap();
    let engine = engine_in(
        dir.path(),
        &format!(
            r#"plugin gone = wasm("gone.wasm")
plugin probe = wasm("probe.wasm", sha256: "{}")"#,
            "0".repeat(64)
        ),
        "",
    );
    let errs: Vec<String> = Runtime::load(&engine, limits())
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].starts_with("plugin `t.gone` (")
            && errs[0].contains("gone.wasm): cannot read the module: "),
        "{errs:?}"
    );
    assert!(
        errs[1].contains(&format!("but the policy pins {}", "0".repeat(64))),
        "{errs:?}"
    );
}

#[test]
fn a_failing_plugin_is_an_error_of_its_control_and_the_others_still_report() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = module(
        r#"(func (export "spin") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0))"#,
    );
    std::fs::write(dir.path().join("probe.wasm"), &bytes).unwrap();
    let mut engine = engine_in(
        dir.path(),
        &format!(
            r#"plugin probe = wasm("probe.wasm", sha256: "{}")"#,
            sha256_hex(&bytes)
        ),
        r#"control loops {
  match input.kind == "ConfigMap"
  deny when probe.spin(input) != null message "never"
}

control echoes {
  match input.kind == "ConfigMap"
  for k, v in input.data {
    deny when probe.echo(k, v)[1] == "x" at v message "{k} is x"
  }
}"#,
    );
    let rt = Runtime::load(&engine, limits()).unwrap();
    engine.set_plugins(Arc::new(rt));
    let mut inputs = crate::Inputs::default();
    inputs.add_json(
        "cm.json",
        &json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "x", "b": "y"}}),
    );
    let sel = engine.select(&[], true, &[]).unwrap();
    let report = engine.evaluate(&sel, &inputs, &crate::EvalOptions::default());
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(&*report.findings[0].control, "t.echoes");
    assert_eq!(report.findings[0].pointer, "/data/a");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = &report.errors[0];
    assert_eq!(e.control.as_deref(), Some("t.loops"));
    assert_eq!(e.resource.as_ref().map(|r| r.name.as_str()), Some("c"));
    assert!(e.message.contains("plugin `t.probe` ("), "{}", e.message);
    assert!(
        e.message.contains("`spin` ran out of fuel"),
        "{}",
        e.message
    );
}

#[test]
fn compiled_modules_are_cached_between_runs_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let load = |bytes: Vec<u8>| match Runtime::from_sources_cached(
        vec![source(bytes)],
        limits(),
        dir.path(),
    ) {
        Ok(rt) => rt,
        Err(e) => panic!("{}", e[0]),
    };
    let first = load(module(""));
    assert_eq!(first.cache_stats(), Some(CacheStats { hits: 0, misses: 1 }));
    assert_eq!(first.call(0, "answer", &[]).unwrap(), json!(42));
    // A later run (a new runtime, as a new process has) reads the code back.
    let second = load(module(""));
    assert_eq!(
        second.cache_stats(),
        Some(CacheStats { hits: 1, misses: 0 })
    );
    assert_eq!(second.call(0, "answer", &[]).unwrap(), json!(42));
    // Other bytes under the same name are compiled anew.
    let other = load(module(
        r#"(func (export "more") (param i32 i32) (result i64) (i64.const 0))"#,
    ));
    assert_eq!(other.cache_stats(), Some(CacheStats { hits: 0, misses: 1 }));
    assert_eq!(other.functions(0), vec!["answer", "echo", "more"]);
    // Compiled code lives under the folder given, one file per module.
    let files = walk(dir.path())
        .into_iter()
        .filter(|p| p.extension().is_none())
        .count();
    assert_eq!(files, 2);
    // Without a cache there are no statistics.
    assert_eq!(runtime("").cache_stats(), None);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
