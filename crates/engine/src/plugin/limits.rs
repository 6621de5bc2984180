//! What one plugin call may use: fuel (instructions), memory and time.

use std::time::Duration;

/// The budget of every plugin call. Each call starts from a fresh instance
/// with the whole budget; nothing carries over between calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PluginLimits {
    /// Units of fuel one call may burn; about one per WebAssembly
    /// instruction executed (instantiation included).
    pub fuel: u64,
    /// The most bytes the plugin's linear memory may grow to.
    pub memory_bytes: usize,
    /// Wall-clock time one call may take, checked at function entries and
    /// loop back-edges every few milliseconds; `None` for no deadline. Fuel
    /// bounds instructions, not their cost: this bounds bulk memory
    /// operations and whatever else fuel does not.
    pub timeout: Option<Duration>,
}

impl PluginLimits {
    /// 100 million units of fuel (a few tenths of a second of work).
    pub const DEFAULT_FUEL: u64 = 100_000_000;
    /// 64 MiB.
    pub const DEFAULT_MEMORY_BYTES: usize = 64 * 1024 * 1024;
    /// 10 seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
}

impl Default for PluginLimits {
    fn default() -> Self {
        PluginLimits {
            fuel: Self::DEFAULT_FUEL,
            memory_bytes: Self::DEFAULT_MEMORY_BYTES,
            timeout: Some(Self::DEFAULT_TIMEOUT),
        }
    }
}

/// The most table elements a plugin may have (Rust and C modules use one
/// small table of function pointers).
const TABLE_ELEMENTS: usize = 100_000;

/// Keeps a store within its limits and remembers whether memory growth was
/// refused, so the error can say so rather than show the trap it causes.
#[derive(Debug)]
pub(super) struct Limiter {
    memory_bytes: usize,
    /// The size a refused growth asked for.
    pub(super) refused: Option<usize>,
}

impl Limiter {
    pub(super) fn new(memory_bytes: usize) -> Limiter {
        Limiter {
            memory_bytes,
            refused: None,
        }
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.refused = Some(desired);
            // An error rather than `Ok(false)`: the call stops at once
            // instead of the guest seeing `memory.grow` return -1 and
            // trapping somewhere less clear.
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes reached",
                self.memory_bytes
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        4
    }

    fn memories(&self) -> usize {
        1
    }
}

/// `64 MiB`, `1.5 KiB`, `12 bytes`.
pub(crate) fn show_bytes(n: usize) -> String {
    const UNITS: [(&str, usize); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            let whole = n / size;
            let tenths = (n % size) * 10 / size;
            return if tenths == 0 {
                format!("{whole} {unit}")
            } else {
                format!("{whole}.{tenths} {unit}")
            };
        }
    }
    format!("{n} bytes")
}
