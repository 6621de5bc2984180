//! Why a plugin could not be loaded, and why a call failed.

use std::fmt;

/// A plugin that could not be loaded: its file is missing or unreadable, its
/// digest differs from the pinned one, or the module breaks the ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginError {
    /// The plugin's qualified name (`examples.secrets.secrets`).
    pub plugin: String,
    /// The module's path as resolved (relative to the working folder when
    /// the policy's was).
    pub file: String,
    pub kind: PluginErrorKind,
}

/// What was wrong with a plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginErrorKind {
    /// The file could not be read.
    Read(String),
    /// The `sha256:` of the declaration is not 64 hexadecimal digits.
    InvalidDigest(String),
    /// The file's SHA-256 digest is not the pinned one.
    DigestMismatch { expected: String, actual: String },
    /// Not a WebAssembly module wasmtime accepts.
    Compile(String),
    /// The module imports something; plugins may import nothing.
    Imports(Vec<String>),
    /// A required export is missing or has the wrong type.
    Export {
        name: &'static str,
        expected: &'static str,
    },
    /// `ward_abi_version()` returned a version this host does not speak.
    AbiVersion(i64),
    /// Instantiating the module, or calling `ward_abi_version` or
    /// `ward_checks`, failed.
    Instantiate(String),
    /// `ward_checks()` returned something other than a list of checks.
    Checks(String),
    /// The runtime itself could not be set up.
    Runtime(String),
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plugin `{}` ({}): ", self.plugin, self.file)?;
        match &self.kind {
            PluginErrorKind::Read(e) => write!(f, "cannot read the module: {e}"),
            PluginErrorKind::InvalidDigest(d) => write!(
                f,
                "`sha256: \"{d}\"` is not a SHA-256 digest (64 hexadecimal digits)"
            ),
            PluginErrorKind::DigestMismatch { expected, actual } => write!(
                f,
                "the module's SHA-256 digest is {actual}, but the policy pins {expected}"
            ),
            PluginErrorKind::Compile(e) => write!(f, "not a valid WebAssembly module: {e}"),
            PluginErrorKind::Imports(names) => write!(
                f,
                "the module imports {}; plugins may import nothing (no WASI, no host functions)",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PluginErrorKind::Export { name, expected } => write!(
                f,
                "the module does not export `{name}` as {expected} (see docs/plugins.md for the ABI)"
            ),
            PluginErrorKind::AbiVersion(v) => write!(
                f,
                "the module speaks plugin ABI version {v}, this Ward speaks version {}",
                super::ABI_VERSION
            ),
            PluginErrorKind::Instantiate(e) => write!(f, "{e}"),
            PluginErrorKind::Checks(e) => write!(f, "`ward_checks` {e}"),
            PluginErrorKind::Runtime(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PluginError {}

/// Why one call failed; shown after the plugin's and function's names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CallError {
    UnknownPlugin,
    NoFunction { exported: Vec<String> },
    Reserved,
    Signature,
    ArgumentsTooLarge(usize),
    OutOfFuel(u64),
    Timeout(std::time::Duration),
    MemoryLimit(usize),
    Trap(String),
    AllocOutOfBounds { ptr: u32, len: usize, size: usize },
    ResultOutOfBounds { ptr: u64, len: u64, size: usize },
    Malformed(String),
    Envelope,
    Failed(String),
    CheckResult(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::UnknownPlugin => write!(f, "internal error: no such plugin was loaded"),
            CallError::NoFunction { exported } if exported.is_empty() => {
                write!(f, "the plugin exports no functions")
            }
            CallError::NoFunction { exported } => write!(
                f,
                "the plugin has no such function (it exports {})",
                exported
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            CallError::Reserved => write!(
                f,
                "this export is part of the plugin ABI, not a function policies can call"
            ),
            CallError::Signature => write!(
                f,
                "the export does not have the type of a plugin function, (i32, i32) -> i64"
            ),
            CallError::ArgumentsTooLarge(n) => {
                write!(f, "the arguments are {n} bytes of JSON, more than 2 GiB")
            }
            CallError::OutOfFuel(fuel) => write!(
                f,
                "ran out of fuel after {fuel} units (raise the budget with --plugin-fuel)"
            ),
            CallError::Timeout(t) => write!(
                f,
                "ran longer than its time limit of {} ms (raise it with --plugin-timeout)",
                t.as_millis()
            ),
            CallError::MemoryLimit(bytes) => write!(
                f,
                "tried to grow its memory past the limit of {} (raise it with --plugin-memory)",
                super::limits::show_bytes(*bytes)
            ),
            CallError::Trap(m) => write!(f, "trapped: {m}"),
            CallError::AllocOutOfBounds { ptr, len, size } => write!(
                f,
                "`alloc({len})` returned {ptr}, outside the plugin's memory of {size} bytes"
            ),
            CallError::ResultOutOfBounds { ptr, len, size } => write!(
                f,
                "returned a result of {len} bytes at {ptr}, outside the plugin's memory of {size} bytes"
            ),
            CallError::Malformed(e) => write!(f, "returned malformed JSON: {e}"),
            CallError::Envelope => write!(
                f,
                "returned JSON that is neither {{\"ok\": value}} nor {{\"error\": \"message\"}}"
            ),
            CallError::Failed(m) => write!(f, "failed: {m}"),
            CallError::CheckResult(m) => write!(f, "is a check and {m}"),
        }
    }
}
