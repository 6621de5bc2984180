//! Object keys as small integers.
//!
//! Every key of every loaded document is interned once for the whole process,
//! so field access in evaluation compares two `u32`s instead of two strings.
//! Lookups go through a per-thread cache first; the shared table is only
//! locked for keys a thread has not seen yet. Interned strings live for the
//! rest of the process.

use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// An interned key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(u32);

impl Sym {
    pub fn as_str(self) -> &'static str {
        resolve(self)
    }

    pub fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Default)]
struct Table {
    map: HashMap<&'static str, Sym>,
    names: Vec<&'static str>,
}

fn table() -> &'static RwLock<Table> {
    static TABLE: OnceLock<RwLock<Table>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

thread_local! {
    static CACHE: RefCell<HashMap<&'static str, Sym>> = RefCell::new(HashMap::default());
    /// This thread's copy of the shared names, by symbol.
    static NAMES: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// The symbol for a key, creating it on first use.
pub fn intern(s: &str) -> Sym {
    if let Some(sym) = CACHE.with(|c| c.borrow().get(s).copied()) {
        return sym;
    }
    let (key, sym) = intern_shared(s);
    CACHE.with(|c| c.borrow_mut().insert(key, sym));
    sym
}

fn intern_shared(s: &str) -> (&'static str, Sym) {
    if let Ok(t) = table().read()
        && let Some((k, v)) = t.map.get_key_value(s)
    {
        return (k, *v);
    }
    let mut t = match table().write() {
        Ok(t) => t,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some((k, v)) = t.map.get_key_value(s) {
        return (k, *v);
    }
    let key: &'static str = Box::leak(s.to_owned().into_boxed_str());
    let sym = Sym(u32::try_from(t.names.len()).unwrap_or(u32::MAX));
    t.names.push(key);
    t.map.insert(key, sym);
    (key, sym)
}

/// The symbol for a key if it was ever interned (no allocation otherwise).
pub fn lookup(s: &str) -> Option<Sym> {
    if let Some(sym) = CACHE.with(|c| c.borrow().get(s).copied()) {
        return Some(sym);
    }
    let t = table().read().ok()?;
    t.map.get(s).copied()
}

/// Whether any key interned so far starts with `prefix`. Every key of
/// every loaded document is interned, so `false` means no document has
/// such a key anywhere (`true` may also come from a key a policy names).
pub fn any_key_starts_with(prefix: &str) -> bool {
    let t = match table().read() {
        Ok(t) => t,
        Err(p) => p.into_inner(),
    };
    t.names.iter().any(|n| n.starts_with(prefix))
}

/// The text of a symbol. Each thread keeps its own copy of the names it
/// has seen (they never change once made), so evaluation does not take the
/// shared lock, and the threads do not contend for it, on every field name.
pub fn resolve(sym: Sym) -> &'static str {
    let i = sym.0 as usize;
    if let Some(name) = NAMES.with(|n| n.borrow().get(i).copied()) {
        return name;
    }
    let t = match table().read() {
        Ok(t) => t,
        Err(p) => p.into_inner(),
    };
    NAMES.with(|n| {
        let mut n = n.borrow_mut();
        let have = n.len();
        n.extend(t.names.iter().skip(have).copied());
        n.get(i).copied().unwrap_or("")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_found_once_a_key_has_it() {
        assert!(!any_key_starts_with("intern-test-prefix/"));
        intern("intern-test-prefix/key");
        assert!(any_key_starts_with("intern-test-prefix/"));
        assert!(any_key_starts_with("intern-test-prefix/k"));
        assert!(!any_key_starts_with("intern-test-prefix/x"));
    }

    #[test]
    fn round_trip_across_threads() {
        let a = intern("metadata");
        let b = std::thread::spawn(|| intern("metadata")).join().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "metadata");
        assert_eq!(lookup("metadata"), Some(a));
        assert_eq!(lookup("never-interned-key-xyz"), None);
        // A name made on another thread after this one copied the table.
        let c = std::thread::spawn(|| intern("made-elsewhere-later"))
            .join()
            .unwrap();
        assert_eq!(c.as_str(), "made-elsewhere-later");
        assert_eq!(a.as_str(), "metadata");
    }
}
