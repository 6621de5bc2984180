//! Sandboxed WebAssembly plugins: `plugin secrets = wasm("secrets.wasm",
//! sha256: "...")` in a policy, `secrets.looks_secret(k, v)` in a control.
//!
//! A plugin is a core WebAssembly module that keeps the ABI described in
//! `docs/plugins.md` (version [`ABI_VERSION`]): it exports `memory`,
//! `ward_abi_version`, `alloc`, `dealloc` and functions that take a JSON
//! array of arguments and return `{"ok": value}` or `{"error": "..."}`.
//!
//! The sandbox: a module may import nothing (no WASI, so no files, network,
//! clock, randomness or environment), every call runs in a fresh instance
//! with a fuel budget, a memory cap and a deadline ([`PluginLimits`]), and a
//! call that breaks any rule fails with an error naming the plugin and the
//! function. The evaluator reports it as an evaluation error of the control
//! on that resource; other controls go on.
//!
//! [`Runtime::load`] reads, verifies and compiles every plugin the policies
//! declare, once per run; modules are shared by all threads.
//! [`Runtime::load_cached`] also keeps compiled modules in a folder between
//! runs (wasmtime's compilation cache, keyed by the module's bytes, the
//! compiler settings and the wasmtime version).

mod call;
mod error;
mod limits;
mod load;

pub use error::{PluginError, PluginErrorKind};
pub use limits::PluginLimits;
pub use load::sha256_hex;

use crate::engine::Engine;
use error::CallError;
use load::Plugin;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The version of the plugin ABI this host speaks.
pub const ABI_VERSION: i32 = 1;

/// Exports that belong to the ABI; policies cannot call them.
const RESERVED: &[&str] = &[
    "memory",
    "ward_abi_version",
    "alloc",
    "dealloc",
    "ward_checks",
];

/// How often the deadline clock ticks.
const TICK: Duration = Duration::from_millis(5);

/// A plugin's module before it is compiled.
#[derive(Clone, Debug)]
pub struct PluginSource {
    /// The name errors use (the qualified name from the policy).
    pub name: String,
    /// The file, as shown in errors.
    pub file: String,
    /// The WebAssembly binary.
    pub bytes: Vec<u8>,
}

/// A whole-resource check a plugin declares in `ward_checks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The function policies call: `secrets.scan(input)`.
    pub name: String,
    pub description: Option<String>,
    /// The resource kinds it is meant for; empty for any.
    pub kinds: Vec<String>,
}

/// Compiled plugins, ready to be called from any thread.
pub struct Runtime {
    plugins: Vec<Plugin>,
    limits: PluginLimits,
    cache: Option<wasmtime::Cache>,
    _clock: Option<Clock>,
}

/// How a run used the compilation cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Modules whose compiled code was read from the cache.
    pub hits: usize,
    /// Modules compiled and written to the cache.
    pub misses: usize,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("plugins", &self.plugins)
            .field("limits", &self.limits)
            .field("cache", &self.cache.as_ref().map(|c| c.directory()))
            .finish()
    }
}

impl Runtime {
    /// Reads, verifies and compiles every plugin the engine's policies
    /// declare. Each path is relative to the policy file that declares it;
    /// a pinned `sha256` must match. Every plugin that fails is reported.
    pub fn load(engine: &Engine, limits: PluginLimits) -> Result<Runtime, Vec<PluginError>> {
        Runtime::load_cached(engine, limits, None)
    }

    /// Like [`Runtime::load`], keeping compiled modules in `cache` (created
    /// when missing) between runs. A cache that cannot be used is left out.
    pub fn load_cached(
        engine: &Engine,
        limits: PluginLimits,
        cache: Option<&Path>,
    ) -> Result<Runtime, Vec<PluginError>> {
        Runtime::load_with_archives(engine, limits, cache, &[])
    }

    /// Like [`Runtime::load_cached`], for an engine that loaded pack
    /// archives with [`crate::EngineBuilder::pack_archive`] under these
    /// labels: the plugins their policies declare are read from the
    /// archives (whose files were checked against their manifests when
    /// opened), and pinned digests are checked as for files.
    pub fn load_with_archives(
        engine: &Engine,
        limits: PluginLimits,
        cache: Option<&Path>,
        archives: &[(&str, &crate::pack::PackArchive)],
    ) -> Result<Runtime, Vec<PluginError>> {
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        for def in &engine.program.plugins {
            match load::read(engine, def, archives) {
                Ok(s) => sources.push(s),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Runtime::build(sources, limits, cache)
    }

    /// Compiles plugins from bytes; the plugin of `Plugins::call` number `i`
    /// is `sources[i]`. No digest is checked here.
    pub fn from_sources(
        sources: Vec<PluginSource>,
        limits: PluginLimits,
    ) -> Result<Runtime, Vec<PluginError>> {
        Runtime::build(sources, limits, None)
    }

    /// Like [`Runtime::from_sources`], keeping compiled modules in `cache`.
    pub fn from_sources_cached(
        sources: Vec<PluginSource>,
        limits: PluginLimits,
        cache: &Path,
    ) -> Result<Runtime, Vec<PluginError>> {
        Runtime::build(sources, limits, Some(cache))
    }

    fn build(
        sources: Vec<PluginSource>,
        limits: PluginLimits,
        cache: Option<&Path>,
    ) -> Result<Runtime, Vec<PluginError>> {
        let runtime_error = |m: String| {
            vec![PluginError {
                plugin: String::new(),
                file: String::new(),
                kind: PluginErrorKind::Runtime(m),
            }]
        };
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        config.epoch_interruption(limits.timeout.is_some());
        // Plugins are 32-bit (threads are not even compiled in).
        config.wasm_memory64(false);
        // The cache is keyed by a SHA-256 digest of the module's bytes, the
        // compiler's settings and wasmtime's version, so a changed module or
        // another Ward never reads stale code.
        let cache = cache.and_then(|dir| {
            let mut cc = wasmtime::CacheConfig::new();
            cc.with_directory(dir);
            wasmtime::Cache::new(cc).ok()
        });
        config.cache(cache.clone());
        let engine = wasmtime::Engine::new(&config)
            .map_err(|e| runtime_error(format!("cannot start wasmtime: {}", load::one_line(&e))))?;
        let mut plugins = Vec::new();
        let mut errors = Vec::new();
        let compiled: Vec<_> = {
            use rayon::prelude::*;
            sources
                .par_iter()
                .map(|src| load::compile(&engine, &limits, src))
                .collect()
        };
        for c in compiled {
            match c {
                Ok(p) => plugins.push(p),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let clock = match limits.timeout {
            Some(_) if !plugins.is_empty() => Some(
                Clock::start(engine.clone())
                    .map_err(|e| runtime_error(format!("cannot start the plugin clock: {e}")))?,
            ),
            _ => None,
        };
        Ok(Runtime {
            plugins,
            limits,
            cache,
            _clock: clock,
        })
    }

    /// How loading used the compilation cache; `None` without one.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_ref().map(|c| CacheStats {
            hits: c.cache_hits(),
            misses: c.cache_misses(),
        })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> PluginLimits {
        self.limits
    }

    /// The whole-resource checks plugin `plugin` declares.
    pub fn checks(&self, plugin: u32) -> &[Check] {
        self.plugins
            .get(plugin as usize)
            .map(|p| p.checks.as_slice())
            .unwrap_or_default()
    }

    /// The functions plugin `plugin` exports.
    pub fn functions(&self, plugin: u32) -> Vec<&str> {
        self.plugins
            .get(plugin as usize)
            .map(|p| p.functions.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn call_inner(
        &self,
        p: &Plugin,
        function: &str,
        args: &[serde_json::Value],
    ) -> Result<serde_json::Value, CallError> {
        if !p.functions.contains(function) {
            return Err(if RESERVED.contains(&function) {
                CallError::Reserved
            } else if p.exports.contains(function) {
                CallError::Signature
            } else {
                CallError::NoFunction {
                    exported: p.functions.iter().cloned().collect(),
                }
            });
        }
        let json = serde_json::to_vec(args).map_err(|e| CallError::Malformed(e.to_string()))?;
        let v = call::function(p, &self.limits, function, &json)?;
        if p.checks.iter().any(|c| c.name == function) {
            call::check_findings(&v)?;
        }
        Ok(v)
    }
}

impl crate::eval::Plugins for Runtime {
    fn call(
        &self,
        plugin: u32,
        function: &str,
        args: &[serde_json::Value],
    ) -> Result<serde_json::Value, String> {
        let Some(p) = self.plugins.get(plugin as usize) else {
            return Err(format!(
                "plugin number {plugin}: {}",
                CallError::UnknownPlugin
            ));
        };
        self.call_inner(p, function, args)
            .map_err(|e| format!("plugin `{}` ({}): `{function}` {e}", p.name, p.file))
    }
}

/// Advances the engine's epoch every [`TICK`] so deadlines pass; stops
/// when dropped.
struct Clock {
    stop: Arc<AtomicBool>,
}

impl Clock {
    fn start(engine: wasmtime::Engine) -> std::io::Result<Clock> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("ward-plugin-clock".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(Clock { stop })
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
