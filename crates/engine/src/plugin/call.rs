//! One call into a plugin: a fresh store and instance under the limits, the
//! arguments copied in, the result copied out and read as JSON.

use super::error::CallError;
use super::limits::Limiter;
use super::load::Plugin;
use super::{PluginLimits, TICK};
use wasmtime::{Instance, Memory, Store, Trap};

/// What a store carries: the limiter of its memory and tables.
#[derive(Debug)]
pub(super) struct State {
    limiter: Limiter,
}

/// A store and an instance of a plugin, ready for one call.
struct Session {
    store: Store<State>,
    instance: Instance,
    memory: Memory,
    limits: PluginLimits,
}

impl Session {
    fn new(plugin: &Plugin, limits: &PluginLimits) -> Result<Session, CallError> {
        let mut store = Store::new(
            plugin.pre.module().engine(),
            State {
                limiter: Limiter::new(limits.memory_bytes),
            },
        );
        store.limiter(|s| &mut s.limiter);
        // Fuel is always on in our engine, so this cannot fail.
        let _ = store.set_fuel(limits.fuel);
        if let Some(t) = limits.timeout {
            store.set_epoch_deadline(ticks(t));
        }
        let instance = plugin
            .pre
            .instantiate(&mut store)
            .map_err(|e| stopped(&store, limits, &e))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| CallError::Trap("the module exports no memory".into()))?;
        Ok(Session {
            store,
            instance,
            memory,
            limits: *limits,
        })
    }

    fn stopped(&self, e: &wasmtime::Error) -> CallError {
        stopped(&self.store, &self.limits, e)
    }

    /// Copies bytes into memory the plugin allocated for them.
    fn write(&mut self, bytes: &[u8]) -> Result<(i32, i32), CallError> {
        let len =
            i32::try_from(bytes.len()).map_err(|_| CallError::ArgumentsTooLarge(bytes.len()))?;
        let alloc = self
            .instance
            .get_typed_func::<i32, i32>(&mut self.store, "alloc")
            .map_err(|e| CallError::Trap(super::load::one_line(&e)))?;
        let ptr = alloc
            .call(&mut self.store, len)
            .map_err(|e| self.stopped(&e))?;
        let size = self.memory.data_size(&self.store);
        let start = ptr as u32 as usize;
        if start.checked_add(bytes.len()).is_none_or(|end| end > size) {
            return Err(CallError::AllocOutOfBounds {
                ptr: ptr as u32,
                len: bytes.len(),
                size,
            });
        }
        self.memory
            .write(&mut self.store, start, bytes)
            .map_err(|_| CallError::AllocOutOfBounds {
                ptr: ptr as u32,
                len: bytes.len(),
                size,
            })?;
        Ok((ptr, len))
    }

    /// The bytes a packed `ptr << 32 | len` names.
    fn read(&self, packed: i64) -> Result<&[u8], CallError> {
        let packed = packed as u64;
        let (ptr, len) = (packed >> 32, packed & 0xffff_ffff);
        let data = self.memory.data(&self.store);
        let size = data.len();
        usize::try_from(ptr)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(p, l)| data.get(p..p.checked_add(l)?))
            .ok_or(CallError::ResultOutOfBounds { ptr, len, size })
    }
}

/// How many epoch ticks make a duration (at least one).
fn ticks(t: std::time::Duration) -> u64 {
    let n = t.as_nanos() / TICK.as_nanos().max(1);
    u64::try_from(n).unwrap_or(u64::MAX).max(1)
}

/// Why execution stopped: a limit, a trap, or another error.
fn stopped(store: &Store<State>, limits: &PluginLimits, e: &wasmtime::Error) -> CallError {
    if store.data().limiter.refused.is_some() {
        return CallError::MemoryLimit(limits.memory_bytes);
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => CallError::OutOfFuel(limits.fuel),
        Some(Trap::Interrupt) => {
            CallError::Timeout(limits.timeout.unwrap_or(std::time::Duration::ZERO))
        }
        Some(t) => CallError::Trap(t.to_string()),
        None => CallError::Trap(super::load::one_line(e)),
    }
}

/// Calls a plugin function with JSON arguments; its `{"ok": value}` or
/// `{"error": "message"}` becomes the value or a failure.
pub(super) fn function(
    plugin: &Plugin,
    limits: &PluginLimits,
    name: &str,
    args: &[u8],
) -> Result<serde_json::Value, CallError> {
    let mut s = Session::new(plugin, limits)?;
    let f = s
        .instance
        .get_typed_func::<(i32, i32), i64>(&mut s.store, name)
        .map_err(|_| CallError::Signature)?;
    let (ptr, len) = s.write(args)?;
    let packed = f
        .call(&mut s.store, (ptr, len))
        .map_err(|e| s.stopped(&e))?;
    let envelope: serde_json::Value =
        serde_json::from_slice(s.read(packed)?).map_err(|e| CallError::Malformed(e.to_string()))?;
    let serde_json::Value::Object(mut m) = envelope else {
        return Err(CallError::Envelope);
    };
    match (m.remove("ok"), m.remove("error")) {
        (Some(v), None) => Ok(v),
        (None, Some(serde_json::Value::String(msg))) => Err(CallError::Failed(clean(&msg))),
        _ => Err(CallError::Envelope),
    }
}

/// `ward_abi_version()`.
pub(super) fn abi_version(plugin: &Plugin, limits: &PluginLimits) -> Result<i32, CallError> {
    let mut s = Session::new(plugin, limits)?;
    let f = s
        .instance
        .get_typed_func::<(), i32>(&mut s.store, "ward_abi_version")
        .map_err(|_| CallError::Signature)?;
    f.call(&mut s.store, ()).map_err(|e| s.stopped(&e))
}

/// `ward_checks()`: plain JSON, without the envelope.
pub(super) fn checks(
    plugin: &Plugin,
    limits: &PluginLimits,
) -> Result<serde_json::Value, CallError> {
    let mut s = Session::new(plugin, limits)?;
    let f = s
        .instance
        .get_typed_func::<(), i64>(&mut s.store, "ward_checks")
        .map_err(|_| CallError::Signature)?;
    let packed = f.call(&mut s.store, ()).map_err(|e| s.stopped(&e))?;
    serde_json::from_slice(s.read(packed)?).map_err(|e| CallError::Malformed(e.to_string()))
}

/// A plugin's message on one line, at most 500 characters.
fn clean(msg: &str) -> String {
    let one: String = msg
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if one.chars().count() > 500 {
        one.chars().take(500).chain("...".chars()).collect()
    } else {
        one
    }
}

/// Checks what a check function returned: a list of objects, each with a
/// string `message` and a `pointer` that is empty or starts with `/`.
pub(super) fn check_findings(v: &serde_json::Value) -> Result<(), CallError> {
    let bad = |m: String| Err(CallError::CheckResult(m));
    let Some(items) = v.as_array() else {
        return bad("returned a value that is not a list of findings".into());
    };
    for (i, item) in items.iter().enumerate() {
        match item.get("pointer").and_then(|p| p.as_str()) {
            Some(p) if p.is_empty() || p.starts_with('/') => {}
            Some(p) => {
                return bad(format!(
                    "returned item {i} with pointer `{p}`, which is not a JSON pointer"
                ));
            }
            None => return bad(format!("returned item {i} without a string `pointer`")),
        }
        if !item.get("message").is_some_and(|m| m.is_string()) {
            return bad(format!("returned item {i} without a string `message`"));
        }
    }
    Ok(())
}
