//! Write Ward plugins in Rust.
//!
//! A Ward plugin is a WebAssembly module that keeps the plugin ABI (version
//! [`ABI_VERSION`], described in `docs/plugins.md`). This crate does the ABI
//! part: [`plugin!`] exports `ward_abi_version`, `alloc`, `dealloc`,
//! `ward_checks` and one export per function, each of which reads its JSON
//! arguments, calls a plain Rust function and writes `{"ok": ...}` or
//! `{"error": ...}` back.
//!
//! ```
//! use ward_plugin_sdk::{Finding, Value, json, plugin};
//!
//! /// `plugin.shout("hi")` is `"HI"`.
//! fn shout(args: Vec<Value>) -> Result<Value, String> {
//!     let s = args.first().and_then(Value::as_str).ok_or("shout takes a string")?;
//!     Ok(json!(s.to_uppercase()))
//! }
//!
//! /// `for f in plugin.empty_data(input) { deny at pointer(input, f.pointer) ... }`
//! fn empty_data(resource: &Value) -> Vec<Finding> {
//!     let mut out = Vec::new();
//!     if let Some(data) = resource.get("data").and_then(Value::as_object) {
//!         for (k, v) in data {
//!             if v.as_str() == Some("") {
//!                 out.push(Finding::new(ward_plugin_sdk::pointer(&["data", k]), format!("`{k}` is empty")));
//!             }
//!         }
//!     }
//!     out
//! }
//!
//! plugin! {
//!     fn shout;
//!     check empty_data "ConfigMap keys with empty values" kinds ["ConfigMap"];
//! }
//! # fn main() {
//! #     assert_eq!(__ward_plugin_exports::ward_abi_version(), 1);
//! #     assert_eq!(shout(vec![json!("hi")]), Ok(json!("HI")));
//! #     let cm = json!({"data": {"a": "", "b": "x"}});
//! #     assert_eq!(empty_data(&cm)[0].pointer, "/data/a");
//! # }
//! ```
//!
//! Build with `cargo build --release --target wasm32-unknown-unknown` and a
//! `cdylib` crate type. Plugins import nothing: no WASI, so no clock, files,
//! randomness or printing; a panic stops the call (the host reports a trap).
//!
//! There is no `unsafe` block here. Buffers are `Vec<u8>`s kept in a table
//! by address: `alloc` hands out the address of a new one, the host writes
//! the arguments into it, and the function takes it back from the table by
//! that address. Results are kept the same way until `dealloc` (or the end of
//! the instance, which for Ward is the end of the call).

use std::cell::RefCell;
use std::collections::BTreeMap;

pub use serde_json::{self, Value, json};

/// The version of the plugin ABI this crate implements.
pub const ABI_VERSION: i32 = 1;

/// A place in the resource and what is wrong there: what a check returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// An RFC 6901 JSON pointer into the resource (see [`pointer`]).
    pub pointer: String,
    pub message: String,
    /// More fields for the policy (`f.rule`, `f.severity`, ...).
    pub extra: serde_json::Map<String, Value>,
}

impl Finding {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            pointer: pointer.into(),
            message: message.into(),
            extra: serde_json::Map::new(),
        }
    }

    /// Adds a field the policy can read.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Finding {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("pointer".into(), Value::String(self.pointer.clone()));
        m.insert("message".into(), Value::String(self.message.clone()));
        for (k, v) in &self.extra {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(m)
    }
}

/// An RFC 6901 JSON pointer from path segments: `pointer(&["data", "a/b"])`
/// is `/data/a~1b`.
pub fn pointer<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&s.as_ref().replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// The ABI functions [`plugin!`] exports. Not for direct use.
#[doc(hidden)]
pub mod abi {
    use super::*;

    thread_local! {
        /// Buffers handed to the host, by address.
        static BUFFERS: RefCell<BTreeMap<u32, Vec<u8>>> = const { RefCell::new(BTreeMap::new()) };
    }

    /// Keeps a buffer alive and returns its address.
    fn keep(buf: Vec<u8>) -> u32 {
        let addr = buf.as_ptr() as usize as u32;
        BUFFERS.with(|b| b.borrow_mut().insert(addr, buf));
        addr
    }

    pub fn alloc(len: i32) -> i32 {
        // A zero-length Vec has no address of its own: keep one byte.
        let len = usize::try_from(len).unwrap_or(0).max(1);
        keep(vec![0u8; len]) as i32
    }

    pub fn dealloc(ptr: i32, _len: i32) {
        BUFFERS.with(|b| b.borrow_mut().remove(&(ptr as u32)));
    }

    /// The bytes the host wrote at `ptr`.
    fn take(ptr: i32, len: i32) -> Option<Vec<u8>> {
        let mut buf = BUFFERS.with(|b| b.borrow_mut().remove(&(ptr as u32)))?;
        buf.truncate(usize::try_from(len).ok()?);
        Some(buf)
    }

    /// Keeps JSON text for the host to read; `ptr << 32 | len`.
    pub fn give(v: &Value) -> i64 {
        let bytes = serde_json::to_vec(v).unwrap_or_else(|_| b"null".to_vec());
        let len = bytes.len() as u64;
        let ptr = u64::from(keep(bytes));
        ((ptr << 32) | (len & 0xffff_ffff)) as i64
    }

    fn envelope(r: Result<Value, String>) -> i64 {
        give(&match r {
            Ok(v) => json!({ "ok": v }),
            Err(e) => json!({ "error": e }),
        })
    }

    fn args(ptr: i32, len: i32) -> Result<Vec<Value>, String> {
        let bytes = take(ptr, len).ok_or("the arguments are not in a buffer `alloc` handed out")?;
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("the arguments are not a JSON array: {e}"))
    }

    /// Runs a plugin function on the arguments at `ptr`.
    pub fn call(ptr: i32, len: i32, f: fn(Vec<Value>) -> Result<Value, String>) -> i64 {
        envelope(args(ptr, len).and_then(f))
    }

    /// Runs a check on the resource, the first argument.
    pub fn check(ptr: i32, len: i32, f: fn(&Value) -> Vec<Finding>) -> i64 {
        envelope(args(ptr, len).map(|a| {
            let resource = a.into_iter().next().unwrap_or(Value::Null);
            Value::Array(f(&resource).iter().map(Finding::to_json).collect())
        }))
    }
}

/// Exports the ABI and the plugin's functions and checks.
///
/// `fn name;` exports `name: fn(Vec<Value>) -> Result<Value, String>`;
/// `check name "description" kinds ["Kind", ...];` exports
/// `name: fn(&Value) -> Vec<Finding>` and lists it in `ward_checks` (`kinds`
/// is optional). The functions must be in scope where the macro is used.
#[macro_export]
macro_rules! plugin {
    (
        $( fn $f:ident; )*
        $( check $c:ident $desc:literal $( kinds [ $( $kind:literal ),* $(,)? ] )? ; )*
    ) => {
        #[doc(hidden)]
        pub mod __ward_plugin_exports {
            #[unsafe(no_mangle)]
            pub extern "C" fn ward_abi_version() -> i32 {
                $crate::ABI_VERSION
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn alloc(len: i32) -> i32 {
                $crate::abi::alloc(len)
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn dealloc(ptr: i32, len: i32) {
                $crate::abi::dealloc(ptr, len)
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn ward_checks() -> i64 {
                let checks: ::std::vec::Vec<$crate::Value> = ::std::vec![
                    $( $crate::json!({
                        "name": stringify!($c),
                        "description": $desc,
                        "kinds": [ $( $( $kind ),* )? ],
                    }) ),*
                ];
                $crate::abi::give(&$crate::Value::Array(checks))
            }

            $(
                #[unsafe(no_mangle)]
                pub extern "C" fn $f(ptr: i32, len: i32) -> i64 {
                    $crate::abi::call(ptr, len, super::$f)
                }
            )*

            $(
                #[unsafe(no_mangle)]
                pub extern "C" fn $c(ptr: i32, len: i32) -> i64 {
                    $crate::abi::check(ptr, len, super::$c)
                }
            )*
        }
    };
}

/// Reads a string argument, or says which one is missing.
pub fn str_arg<'a>(args: &'a [Value], i: usize, what: &str) -> Result<&'a str, String> {
    args.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("argument {} ({what}) must be a string", i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_segments() {
        assert_eq!(pointer(&["data", "a/b", "m~n"]), "/data/a~1b/m~0n");
        assert_eq!(pointer::<&str>(&[]), "");
    }

    #[test]
    fn findings_carry_extra_fields() {
        let f = Finding::new("/x", "m").with("rule", "r1");
        assert_eq!(
            f.to_json(),
            json!({"pointer": "/x", "message": "m", "rule": "r1"})
        );
    }

    #[test]
    fn string_arguments() {
        let args = vec![json!("a"), json!(1)];
        assert_eq!(str_arg(&args, 0, "key"), Ok("a"));
        assert_eq!(
            str_arg(&args, 1, "value"),
            Err("argument 2 (value) must be a string".to_string())
        );
    }
}
