//! Values during evaluation.
//!
//! A value read from a resource stays a [`NodeRef`] into its document (no
//! copy), so it still knows where it came from: a finding `at` a loop
//! variable points at that element's line. Values computed by a policy
//! (literals, comprehensions, string building) are owned and cheap to clone.
//! `Missing` is the value of a path that leads nowhere; it is not `null`.
//!
//! Owned values count their references without atomic instructions (`Rc`):
//! a step of evaluation clones or drops one every ten steps or so, and
//! an atomic count cost a tenth of the evaluation time. So a [`Val`] stays
//! on the thread that made it. What all threads read (a pack's params and
//! constants, a policy's literal lists) is kept [`Frozen`], and each
//! evaluator thaws what it uses once.

use super::doc::{Node, NodeRef, num_json};
use super::intern::Sym;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;
use ward_lang::ast::Version;

/// A string, borrowed from a document or owned.
#[derive(Clone, Debug)]
pub enum Str<'a> {
    Ref(&'a str),
    Own(Rc<str>),
}

impl Str<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            Str::Ref(s) => s,
            Str::Own(s) => s,
        }
    }
}

/// An object built an entry at a time (a comprehension, `merge`): an entry
/// whose key is there already replaces that entry's value, in its place.
/// Past a few entries the keys are found by their hash, so an object of n
/// keys takes n look-ups rather than n² comparisons.
#[derive(Debug, Default)]
pub struct ObjBuilder<'a> {
    entries: Vec<(Str<'a>, Val<'a>)>,
    /// Positions of the entries by the hash of their key, once there are
    /// [`ObjBuilder::SCAN`] of them.
    index: rustc_hash::FxHashMap<u64, smallvec::SmallVec<[usize; 1]>>,
}

impl<'a> ObjBuilder<'a> {
    /// Up to this many entries, a key is looked for in each.
    const SCAN: usize = 8;

    pub fn set(&mut self, key: Str<'a>, v: Val<'a>) {
        fn hash(k: &str) -> u64 {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            k.hash(&mut h);
            h.finish()
        }
        let entries = &mut self.entries;
        if entries.len() < Self::SCAN {
            match entries.iter_mut().find(|(k, _)| k.as_str() == key.as_str()) {
                Some(slot) => slot.1 = v,
                None => entries.push((key, v)),
            }
            return;
        }
        if self.index.is_empty() {
            for (i, (k, _)) in entries.iter().enumerate() {
                self.index.entry(hash(k.as_str())).or_default().push(i);
            }
        }
        let same = self.index.entry(hash(key.as_str())).or_default();
        match same
            .iter()
            .find(|&&i| {
                entries
                    .get(i)
                    .is_some_and(|(k, _)| k.as_str() == key.as_str())
            })
            .and_then(|&i| entries.get_mut(i))
        {
            Some(slot) => slot.1 = v,
            None => {
                same.push(entries.len());
                entries.push((key, v));
            }
        }
    }

    pub fn finish(self) -> Val<'a> {
        Val::Obj(Rc::new(self.entries))
    }
}

/// A value's JSON text: `known` when it was written already.
fn json_text<'t>(v: &Val<'_>, known: Option<&'t str>) -> std::borrow::Cow<'t, str> {
    match known {
        Some(t) => std::borrow::Cow::Borrowed(t),
        None => std::borrow::Cow::Owned(v.to_json().to_string()),
    }
}

/// Whether two strings are the same. The strings conditions compare are
/// mostly short (kinds, names, field values), and often of the same
/// length: up to sixteen bytes they are compared here, a word or two at a
/// time, rather than in a call to `memcmp`.
#[inline]
pub fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n > 16 {
        return a == b;
    }
    if n >= 8 {
        // Two words, which overlap when the length is under sixteen.
        let word = |s: &[u8], at: usize| {
            s.get(at..at + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map(u64::from_le_bytes)
        };
        return word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// How a value is found in a set (see [`Val::eq_key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EqKey {
    /// A hash that every value equal to this one has.
    Hash(u64),
    /// Equal to nothing.
    Never,
    /// Found only by comparing it with each value.
    Compare,
}

/// A scalar value, borrowed from wherever it is.
#[derive(Clone, Copy)]
enum Scalar<'s> {
    Missing,
    Null,
    Bool(bool),
    Num(f64),
    Str(&'s str),
}

#[derive(Clone, Debug)]
pub enum Val<'a> {
    Missing,
    Null,
    Bool(bool),
    Num(f64),
    Str(Str<'a>),
    Version(Version),
    /// Any node of a loaded document, scalar or container.
    Node(NodeRef<'a>),
    List(Rc<Vec<Val<'a>>>),
    Obj(Rc<Vec<(Str<'a>, Val<'a>)>>),
    /// `a .. b` (exclusive) or `a ..= b` (inclusive).
    Range(Rc<(Val<'a>, Val<'a>, bool)>),
}

/// `Missing`: the value of a path that leads nowhere. Code that falls back
/// to it writes `unwrap_or_default()`, which makes it only when needed;
/// `unwrap_or(Val::Missing)` would make one on every call and drop it.
impl Default for Val<'_> {
    fn default() -> Self {
        Val::Missing
    }
}

impl<'a> Val<'a> {
    pub fn str(s: &str) -> Val<'a> {
        Val::Str(Str::Own(Rc::from(s)))
    }

    pub fn string(s: String) -> Val<'a> {
        Val::Str(Str::Own(Rc::from(s)))
    }

    pub fn list(items: Vec<Val<'a>>) -> Val<'a> {
        Val::List(Rc::new(items))
    }

    /// A document scalar as a plain value; containers stay nodes.
    #[inline]
    pub fn resolve(&self) -> Val<'a> {
        match self {
            Val::Node(n) => match n.kind() {
                Node::Null => Val::Null,
                Node::Bool(b) => Val::Bool(b),
                Node::Num(x) => Val::Num(x),
                Node::Str { .. } => Val::Str(Str::Ref(n.as_str().unwrap_or(""))),
                Node::List { .. } | Node::Obj { .. } => self.clone(),
            },
            v => v.clone(),
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Val::Missing)
    }

    /// A string (owned, or a document's) as a string, borrowed where it
    /// is: the key of an object being built.
    pub fn into_str(self) -> Option<Str<'a>> {
        match self.resolve() {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Missing or null: the two ways a field can be unset.
    pub fn is_unset(&self) -> bool {
        match self {
            Val::Missing | Val::Null => true,
            Val::Node(n) => n.is_null(),
            _ => false,
        }
    }

    /// `true` exactly when the value is the boolean `true`.
    #[inline]
    pub fn is_true(&self) -> bool {
        match self {
            Val::Bool(b) => *b,
            Val::Node(n) => n.as_bool() == Some(true),
            _ => false,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Node(n) => n.as_bool(),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Node(n) => n.as_f64(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s.as_str()),
            Val::Node(n) => n.as_str(),
            _ => None,
        }
    }

    pub fn as_version(&self) -> Option<Version> {
        match self {
            Val::Version(v) => Some(*v),
            _ => None,
        }
    }

    pub fn is_list(&self) -> bool {
        match self {
            Val::List(_) => true,
            Val::Node(n) => matches!(n.kind(), Node::List { .. }),
            _ => false,
        }
    }

    pub fn is_obj(&self) -> bool {
        match self {
            Val::Obj(_) => true,
            Val::Node(n) => matches!(n.kind(), Node::Obj { .. }),
            _ => false,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Missing => "missing",
            Val::Null => "null",
            Val::Bool(_) => "bool",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::Version(_) => "version",
            Val::List(_) => "list",
            Val::Obj(_) => "object",
            Val::Range(_) => "range",
            Val::Node(n) => match n.kind() {
                Node::Null => "null",
                Node::Bool(_) => "bool",
                Node::Num(_) => "number",
                Node::Str { .. } => "string",
                Node::List { .. } => "list",
                Node::Obj { .. } => "object",
            },
        }
    }

    /// The node this value is, when it was read from a document.
    pub fn node(&self) -> Option<NodeRef<'a>> {
        match self {
            Val::Node(n) => Some(*n),
            _ => None,
        }
    }

    /// Field access by interned key; missing when absent or not an object.
    #[inline]
    pub fn get(&self, key: Sym) -> Val<'a> {
        match self {
            Val::Node(n) => n.get(key).map(Val::Node).unwrap_or_default(),
            Val::Obj(o) => {
                let k = key.as_str();
                o.iter()
                    .find(|(name, _)| name.as_str() == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            }
            _ => Val::Missing,
        }
    }

    /// Field access by text.
    pub fn get_str(&self, key: &str) -> Val<'a> {
        match self {
            Val::Node(n) => n.get_str(key).map(Val::Node).unwrap_or_default(),
            Val::Obj(o) => o
                .iter()
                .find(|(name, _)| name.as_str() == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            _ => Val::Missing,
        }
    }

    /// List index (negative counts from the end).
    pub fn index(&self, i: f64) -> Val<'a> {
        if i.fract() != 0.0 {
            return Val::Missing;
        }
        let len = self.len() as i64;
        let i = i as i64;
        let i = if i < 0 { len + i } else { i };
        if i < 0 || i >= len {
            return Val::Missing;
        }
        let i = i as usize;
        match self {
            Val::Node(n) => n.index(i).map(Val::Node).unwrap_or_default(),
            Val::List(l) => l.get(i).cloned().unwrap_or_default(),
            _ => Val::Missing,
        }
    }

    /// Items of a list, entries' values of an object; nothing otherwise.
    pub fn len(&self) -> usize {
        match self {
            Val::Node(n) => match n.kind() {
                Node::Str { .. } => n.as_str().map(|s| s.chars().count()).unwrap_or(0),
                _ => n.len(),
            },
            Val::List(l) => l.len(),
            Val::Obj(o) => o.len(),
            Val::Str(s) => s.as_str().chars().count(),
            _ => 0,
        }
    }

    /// What a builtin or an operator goes through when it reads the value
    /// whole: the items of a list, the entries of an object, the bytes of a
    /// string; 0 for anything else. Counted towards the step budget (see
    /// `docs/limits.md`).
    pub fn work_size(&self) -> usize {
        match self {
            Val::Node(n) => match n.kind() {
                Node::Str { .. } => n.as_str().map_or(0, str::len),
                Node::List { .. } | Node::Obj { .. } => n.len(),
                _ => 0,
            },
            Val::List(l) => l.len(),
            Val::Obj(o) => o.len(),
            Val::Str(s) => s.as_str().len(),
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates a list's items.
    pub fn items(&self) -> Items<'a> {
        match self {
            Val::Node(n) if matches!(n.kind(), Node::List { .. }) => {
                Items::Node(n.doc, *n, 0, n.len())
            }
            Val::List(l) => Items::Own(l.clone(), 0),
            _ => Items::Empty,
        }
    }

    /// How many (key, value) pairs iteration visits: list items or object
    /// entries; 0 for anything else.
    pub fn pair_count(&self) -> usize {
        match self {
            Val::Node(n) => match n.kind() {
                Node::List { len, .. } | Node::Obj { len, .. } => len as usize,
                _ => 0,
            },
            Val::List(l) => l.len(),
            Val::Obj(o) => o.len(),
            _ => 0,
        }
    }

    /// The `i`th pair iteration visits: (index, item) of a list, (key,
    /// value) of an object. `with_key` false skips building the key.
    #[inline]
    pub fn pair_at(&self, i: usize, with_key: bool) -> (Val<'a>, Val<'a>) {
        match self {
            Val::Node(n) => match n.kind() {
                Node::List { .. } => (
                    if with_key {
                        Val::Num(i as f64)
                    } else {
                        Val::Missing
                    },
                    n.index(i).map(Val::Node).unwrap_or_default(),
                ),
                Node::Obj { .. } => match n.entry(i) {
                    Some((k, v)) => (
                        if with_key {
                            Val::Str(Str::Ref(k.as_str()))
                        } else {
                            Val::Missing
                        },
                        Val::Node(v),
                    ),
                    None => (Val::Missing, Val::Missing),
                },
                _ => (Val::Missing, Val::Missing),
            },
            Val::List(l) => (
                if with_key {
                    Val::Num(i as f64)
                } else {
                    Val::Missing
                },
                l.get(i).cloned().unwrap_or_default(),
            ),
            Val::Obj(o) => match o.get(i) {
                Some((k, v)) => (
                    if with_key {
                        Val::Str(k.clone())
                    } else {
                        Val::Missing
                    },
                    v.clone(),
                ),
                None => (Val::Missing, Val::Missing),
            },
            _ => (Val::Missing, Val::Missing),
        }
    }

    /// Iterates an object's entries as (key, value).
    pub fn entries(&self) -> Vec<(Val<'a>, Val<'a>)> {
        match self {
            Val::Node(n) if matches!(n.kind(), Node::Obj { .. }) => n
                .entries()
                .map(|(k, v)| (Val::Str(Str::Ref(k.as_str())), Val::Node(v)))
                .collect(),
            Val::Obj(o) => o
                .iter()
                .map(|(k, v)| (Val::Str(k.clone()), v.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Structural equality; missing equals nothing.
    pub fn equals(&self, other: &Val<'_>) -> bool {
        self.equals_counting(other, &mut 0)
    }

    /// [`Val::equals`], adding to `work` the list items and object entries
    /// it goes through, at every depth (an entry is found among the other
    /// object's by going through them): two scalars add nothing.
    pub fn equals_counting(&self, other: &Val<'_>, work: &mut usize) -> bool {
        if let (Val::Node(a), Val::Node(b)) = (self, other)
            && std::ptr::eq(a.doc, b.doc)
            && a.id == b.id
        {
            return true;
        }
        // Most comparisons are of two scalars: compared where they are,
        // without resolving (and so copying) either side.
        if let (Some(a), Some(b)) = (self.scalar(), other.scalar()) {
            return match (a, b) {
                (Scalar::Missing, _) | (_, Scalar::Missing) => false,
                (Scalar::Null, Scalar::Null) => true,
                (Scalar::Bool(x), Scalar::Bool(y)) => x == y,
                (Scalar::Num(x), Scalar::Num(y)) => x == y,
                (Scalar::Str(x), Scalar::Str(y)) => same_str(x, y),
                _ => false,
            };
        }
        // Otherwise one side is a container, a version or a range, which a
        // document node never is but as a container: nothing to resolve.
        let (a, b) = (self, other);
        match (a, b) {
            (Val::Version(x), Val::Version(y)) => x.cmp_value(*y).is_eq(),
            _ if a.is_list() && b.is_list() => {
                a.len() == b.len()
                    && a.items().zip(b.items()).all(|(x, y)| {
                        *work += 1;
                        x.equals_counting(&y, work)
                    })
            }
            _ if a.is_obj() && b.is_obj() => {
                let ea = a.entries();
                let eb = b.entries();
                ea.len() == eb.len()
                    && ea.iter().all(|(k, v)| {
                        let key = k.as_str().unwrap_or("");
                        eb.iter()
                            .find(|(k2, _)| {
                                *work += 1;
                                k2.as_str() == Some(key)
                            })
                            .is_some_and(|(_, v2)| v.equals_counting(v2, work))
                    })
            }
            (Val::Range(x), Val::Range(y)) => {
                x.2 == y.2 && x.0.equals_counting(&y.0, work) && x.1.equals_counting(&y.1, work)
            }
            _ => false,
        }
    }

    /// How a set finds this value among others (`unique`): by a hash that
    /// values [`Val::equals`] holds between share, not at all (missing and
    /// NaN equal nothing, not even themselves, nor a list or object that
    /// holds one), or only by comparing it with each (versions and ranges,
    /// and what holds one).
    pub fn eq_key(&self) -> EqKey {
        self.eq_key_counting(&mut 0)
    }

    /// [`Val::eq_key`], adding to `work` the list items and object entries
    /// it goes through, at every depth. A list's hash is of its items in
    /// order; an object's adds up those of its entries, as [`Val::equals`]
    /// finds each entry among the other's whatever their order (an object
    /// never holds a key twice: documents, literals, comprehensions and
    /// `merge` each keep one).
    pub fn eq_key_counting(&self, work: &mut usize) -> EqKey {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        let Some(s) = self.scalar() else {
            if self.is_list() {
                let mut n = 0usize;
                for x in self.items() {
                    *work += 1;
                    n += 1;
                    match x.eq_key_counting(work) {
                        EqKey::Hash(k) => k.hash(&mut h),
                        other => return other,
                    }
                }
                (4u8, n).hash(&mut h);
                return EqKey::Hash(h.finish());
            }
            if self.is_obj() {
                let mut sum = 0u64;
                let mut n = 0usize;
                for (k, v) in self.entries() {
                    *work += 1;
                    n += 1;
                    let vk = match v.eq_key_counting(work) {
                        EqKey::Hash(vk) => vk,
                        other => return other,
                    };
                    let mut e = rustc_hash::FxHasher::default();
                    (k.as_str().unwrap_or(""), vk).hash(&mut e);
                    sum = sum.wrapping_add(e.finish());
                }
                (5u8, n, sum).hash(&mut h);
                return EqKey::Hash(h.finish());
            }
            return EqKey::Compare;
        };
        match s {
            Scalar::Missing => return EqKey::Never,
            Scalar::Num(x) if x.is_nan() => return EqKey::Never,
            Scalar::Null => 0u8.hash(&mut h),
            Scalar::Bool(b) => (1u8, b).hash(&mut h),
            // 0 and -0 are equal.
            Scalar::Num(x) => (2u8, (x + 0.0).to_bits()).hash(&mut h),
            Scalar::Str(x) => (3u8, x).hash(&mut h),
        }
        EqKey::Hash(h.finish())
    }

    /// The value as a borrowed scalar; `None` for containers, versions and
    /// ranges.
    #[inline]
    fn scalar(&self) -> Option<Scalar<'_>> {
        Some(match self {
            Val::Missing => Scalar::Missing,
            Val::Null => Scalar::Null,
            Val::Bool(b) => Scalar::Bool(*b),
            Val::Num(n) => Scalar::Num(*n),
            Val::Str(s) => Scalar::Str(s.as_str()),
            Val::Node(n) => match n.kind() {
                Node::Null => Scalar::Null,
                Node::Bool(b) => Scalar::Bool(b),
                Node::Num(x) => Scalar::Num(x),
                Node::Str { .. } => Scalar::Str(n.as_str().unwrap_or("")),
                Node::List { .. } | Node::Obj { .. } => return None,
            },
            Val::Version(_) | Val::List(_) | Val::Obj(_) | Val::Range(_) => return None,
        })
    }

    /// `self == lit` for a literal `true`, `false`, number or `null`, as
    /// [`Self::equals_counting`] answers it, without making the literal's
    /// value; `None` for any other literal.
    pub fn equals_scalar(&self, lit: &Frozen) -> Option<bool> {
        let x = self.scalar();
        Some(match lit {
            Frozen::Bool(b) => matches!(x, Some(Scalar::Bool(v)) if v == *b),
            Frozen::Num(n) => matches!(x, Some(Scalar::Num(v)) if v == *n),
            Frozen::Null => matches!(x, Some(Scalar::Null)),
            _ => return None,
        })
    }

    /// `<`/`>` between two numbers, two strings or two versions.
    pub fn order(&self, other: &Val<'_>) -> Option<Ordering> {
        let a = self.resolve();
        let b = other.resolve();
        match (&a, &b) {
            (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
            (Val::Str(x), Val::Str(y)) => Some(x.as_str().cmp(y.as_str())),
            (Val::Version(x), Val::Version(y)) => Some(x.cmp_value(*y)),
            _ => None,
        }
    }

    /// Where `sort` puts a value: numbers, strings, versions, then the
    /// rest (ordered by their JSON text).
    pub fn sort_rank(&self) -> u8 {
        self.resolve().resolved_rank()
    }

    /// [`Val::sort_rank`] of a value already resolved.
    fn resolved_rank(&self) -> u8 {
        match self {
            Val::Num(_) => 0,
            Val::Str(_) => 1,
            Val::Version(_) => 2,
            _ => 3,
        }
    }

    /// A total order for `sort`: numbers, strings, then the rest by JSON.
    /// `json` is the JSON text of each side when it was written already
    /// (`sort` writes that of each list and object once, not at every
    /// comparison).
    pub fn sort_key_cmp(&self, other: &Val<'_>, json: (Option<&str>, Option<&str>)) -> Ordering {
        let a = self.resolve();
        let b = other.resolve();
        match (a.resolved_rank(), b.resolved_rank()) {
            (x, y) if x != y => x.cmp(&y),
            _ => match a.order(&b) {
                Some(o) => o,
                None => json_text(&a, json.0).cmp(&json_text(&b, json.1)),
            },
        }
    }

    /// `x in self`: list membership, object key, substring or range.
    pub fn contains(&self, x: &Val<'_>) -> bool {
        self.contains_counting(x, &mut 0)
    }

    /// [`Val::contains`], adding to `work` what comparing `x` with a list's
    /// items goes through inside them (see [`Val::equals_counting`]; the
    /// items themselves are the list's [`Val::work_size`]).
    pub fn contains_counting(&self, x: &Val<'_>, work: &mut usize) -> bool {
        if x.is_missing() {
            return false;
        }
        match self {
            Val::Range(r) => {
                let (lo, hi, incl) = (&r.0, &r.1, r.2);
                let above = matches!(x.order(lo), Some(Ordering::Greater | Ordering::Equal));
                let below = match x.order(hi) {
                    Some(Ordering::Less) => true,
                    Some(Ordering::Equal) => incl,
                    _ => false,
                };
                above && below
            }
            // A list of the policy's own is read in place: iterating it
            // would copy (and count references to) every item.
            Val::List(l) => match x.scalar() {
                // `kind in ["Pod", "Job"]`: the string is read once, not
                // once for every item it is compared with (only a string
                // equals a string, and comparing scalars counts no work).
                Some(Scalar::Str(s)) => l
                    .iter()
                    .any(|i| matches!(i.scalar(), Some(Scalar::Str(t)) if same_str(t, s))),
                _ => l.iter().any(|i| i.equals_counting(x, work)),
            },
            _ if self.is_list() => self.items().any(|i| i.equals_counting(x, work)),
            _ if self.is_obj() => match x.as_str() {
                Some(k) => !self.get_str(k).is_missing(),
                None => false,
            },
            _ => match (self.as_str(), x.as_str()) {
                (Some(s), Some(sub)) => s.contains(sub),
                _ => false,
            },
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Val::Missing | Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => num_json(*n),
            Val::Str(s) => Value::String(s.as_str().to_string()),
            Val::Version(v) => Value::String(v.to_string()),
            Val::Node(n) => n.to_json(),
            Val::List(l) => Value::Array(l.iter().map(Val::to_json).collect()),
            Val::Obj(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_json()))
                    .collect(),
            ),
            Val::Range(r) => Value::String(format!(
                "{}{}{}",
                r.0.display(),
                if r.2 { "..=" } else { ".." },
                r.1.display()
            )),
        }
    }

    /// Builds an owned value from JSON (params, test inputs).
    pub fn from_json(v: &serde_json::Value) -> Val<'static> {
        use serde_json::Value;
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(0.0)),
            Value::String(s) => Val::str(s),
            Value::Array(a) => Val::list(a.iter().map(Val::from_json).collect()),
            Value::Object(o) => Val::Obj(Rc::new(
                o.iter()
                    .map(|(k, v)| (Str::Own(Rc::from(k.as_str())), Val::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// How a value reads inside a message: strings bare, the rest as JSON.
    pub fn display(&self) -> String {
        let mut out = String::new();
        self.display_into(&mut out);
        out
    }

    /// Appends [`Val::display`] to a string.
    pub fn display_into(&self, out: &mut String) {
        // Strings, most of what is shown, are copied from where they are.
        if let Some(s) = self.as_str() {
            out.push_str(s);
            return;
        }
        match self.resolve() {
            Val::Missing => out.push_str("<missing>"),
            Val::Str(s) => out.push_str(s.as_str()),
            Val::Num(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    let _ = write!(out, "{}", n as i64);
                } else {
                    let _ = write!(out, "{n}");
                }
            }
            Val::Version(v) => {
                let _ = write!(out, "{v}");
            }
            v => out.push_str(&v.to_json().to_string()),
        }
    }
}

/// A value every thread can read: what stays the same for a whole run. See
/// the module's documentation; [`Frozen::thaw`] makes the [`Val`].
#[derive(Clone, Debug, PartialEq)]
pub enum Frozen {
    Missing,
    Null,
    Bool(bool),
    Num(f64),
    /// A string interned for the process (a literal), borrowed when thawed.
    Interned(&'static str),
    Str(Arc<str>),
    Version(Version),
    List(Arc<[Frozen]>),
    /// Keys interned for the process, borrowed when thawed.
    Obj(Arc<[(&'static str, Frozen)]>),
    Range(Arc<(Frozen, Frozen, bool)>),
}

impl Frozen {
    /// The value, made on this thread.
    pub fn thaw<'a>(&self) -> Val<'a> {
        match self {
            Frozen::Missing => Val::Missing,
            Frozen::Null => Val::Null,
            Frozen::Bool(b) => Val::Bool(*b),
            Frozen::Num(n) => Val::Num(*n),
            Frozen::Interned(s) => Val::Str(Str::Ref(s)),
            Frozen::Str(s) => Val::str(s),
            Frozen::Version(v) => Val::Version(*v),
            Frozen::List(l) => Val::list(l.iter().map(Frozen::thaw).collect()),
            Frozen::Obj(o) => Val::Obj(Rc::new(
                o.iter().map(|(k, v)| (Str::Ref(k), v.thaw())).collect(),
            )),
            Frozen::Range(r) => Val::Range(Rc::new((r.0.thaw(), r.1.thaw(), r.2))),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        self.thaw().to_json()
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Frozen::Missing)
    }
}

impl Val<'_> {
    /// A copy every thread can read, with no references into documents
    /// (a node becomes its JSON).
    pub fn freeze(&self) -> Frozen {
        match self {
            Val::Missing => Frozen::Missing,
            Val::Null => Frozen::Null,
            Val::Bool(b) => Frozen::Bool(*b),
            Val::Num(n) => Frozen::Num(*n),
            Val::Version(v) => Frozen::Version(*v),
            Val::Str(s) => Frozen::Str(Arc::from(s.as_str())),
            Val::Node(n) => Val::from_json(&n.to_json()).freeze(),
            Val::List(l) => Frozen::List(l.iter().map(Val::freeze).collect()),
            Val::Obj(o) => Frozen::Obj(
                o.iter()
                    .map(|(k, v)| (super::intern::intern(k.as_str()).as_str(), v.freeze()))
                    .collect(),
            ),
            Val::Range(r) => Frozen::Range(Arc::new((r.0.freeze(), r.1.freeze(), r.2))),
        }
    }
}

/// Iterator over list items without allocating.
#[derive(Debug)]
pub enum Items<'a> {
    Empty,
    Node(&'a super::doc::Doc, NodeRef<'a>, usize, usize),
    Own(Rc<Vec<Val<'a>>>, usize),
}

impl<'a> Iterator for Items<'a> {
    type Item = Val<'a>;

    #[inline]
    fn next(&mut self) -> Option<Val<'a>> {
        match self {
            Items::Empty => None,
            Items::Node(_, n, i, len) => {
                if *i >= *len {
                    return None;
                }
                let item = n.index(*i).map(Val::Node);
                *i += 1;
                item
            }
            Items::Own(l, i) => {
                let item = l.get(*i).cloned();
                *i += 1;
                item
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::doc::Doc;
    use serde_json::json;

    /// Built past the few entries it scans, an object still keeps each key
    /// once, where it first came, with the value it was last given, as
    /// finding each key among all the entries does.
    #[test]
    fn objects_built_by_hashed_keys_keep_what_a_scan_keeps() {
        for (n, keys) in [(5, 3), (8, 8), (9, 9), (200, 37), (300, 300)] {
            let mut built = ObjBuilder::default();
            let mut scanned: Vec<(String, f64)> = Vec::new();
            for i in 0..n {
                // Keys come back out of order: 0, 7, 14, ... modulo `keys`.
                let key = format!("k{}", (i * 7) % keys);
                built.set(Str::Own(Rc::from(key.as_str())), Val::Num(f64::from(i)));
                match scanned.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = f64::from(i),
                    None => scanned.push((key, f64::from(i))),
                }
            }
            let got: Vec<(String, f64)> = built
                .finish()
                .entries()
                .into_iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap_or("").to_string(),
                        v.as_num().unwrap_or(-1.0),
                    )
                })
                .collect();
            assert_eq!(got, scanned, "{n} entries, {keys} keys");
        }
    }

    /// `same_str` answers as `==` for every length up to past sixteen,
    /// with a difference at every position, and with lengths that differ.
    #[test]
    fn short_strings_compare_as_equal_strings_do() {
        let base = "abcdefghijklmnopqrstu";
        for n in 0..=base.len() {
            let a = base.get(..n).unwrap_or_default();
            assert!(same_str(a, a), "{a:?}");
            assert!(!same_str(a, base.get(..n + 1).unwrap_or("?")), "{a:?}");
            for at in 0..n {
                let mut b = a.as_bytes().to_vec();
                if let Some(x) = b.get_mut(at) {
                    *x = b'-';
                }
                let b = String::from_utf8(b).unwrap_or_default();
                assert_eq!(same_str(a, &b), a == b, "{a:?} {b:?}");
            }
        }
        assert!(same_str("é", "é") && !same_str("é", "e\u{301}"));
    }

    /// What each kind of value shows as in a message, appended to what is
    /// already written; `display` is the same text on its own.
    #[test]
    fn values_show_as_messages_write_them() {
        let d =
            Doc::from_json(&json!({"s": "x", "n": 3, "f": 1.5, "l": [1, "a"], "o": {"k": null}}));
        let root = Val::Node(d.root());
        let version = match ward_lang::ast::Version::parse("v1.25") {
            Some(v) => Val::Version(v),
            None => panic!("v1.25 is a version"),
        };
        let cases = [
            (Val::Missing, "<missing>"),
            (Val::Null, "null"),
            (Val::Bool(true), "true"),
            (Val::Num(2.0), "2"),
            (Val::Num(0.25), "0.25"),
            (Val::str(" own "), " own "),
            (Val::Str(Str::Ref("ref")), "ref"),
            (version, "v1.25"),
            (root.get_str("s"), "x"),
            (root.get_str("n"), "3"),
            (root.get_str("f"), "1.5"),
            (root.get_str("l"), "[1,\"a\"]"),
            (root.get_str("o"), "{\"k\":null}"),
            (Val::list(vec![Val::str("b"), Val::Num(1.0)]), "[\"b\",1]"),
        ];
        for (v, want) in cases {
            let mut out = String::from("> ");
            v.display_into(&mut out);
            assert_eq!(out, format!("> {want}"), "{v:?}");
            assert_eq!(v.display(), want, "{v:?}");
        }
    }

    #[test]
    fn equality_across_representations() {
        let d = Doc::from_json(&json!({"a": [1, "x", {"b": true}]}));
        let node = Val::Node(d.root()).get_str("a");
        let own = Val::from_json(&json!([1, "x", {"b": true}]));
        assert!(node.equals(&own));
        assert!(own.equals(&node));
        assert!(!Val::Missing.equals(&Val::Missing));
        assert!(Val::Null.equals(&Val::Null));
        assert!(!Val::Num(1.0).equals(&Val::str("1")));
        // A scalar is never a container, whichever side it is on.
        let d2 = Doc::from_json(&json!({"n": null, "l": [], "s": "x"}));
        let root = Val::Node(d2.root());
        assert!(root.get_str("n").equals(&Val::Null));
        assert!(root.get_str("s").equals(&Val::str("x")));
        for scalar in [Val::Missing, Val::Null, Val::str("x"), root.get_str("s")] {
            assert!(!scalar.equals(&root.get_str("l")));
            assert!(!root.get_str("l").equals(&scalar));
            assert!(!scalar.equals(&own));
        }
        assert!(root.get_str("l").equals(&Val::list(Vec::new())));
        assert!(!node.equals(&Val::from_json(&json!([1, "x", {"b": false}]))));
        let v = |t: &str| match ward_lang::ast::Version::parse(t) {
            Some(v) => Val::Version(v),
            None => panic!("{t} is a version"),
        };
        assert!(v("v1.25").equals(&v("v1.25.0")));
        assert!(!v("v1.25").equals(&v("v1.26")));
        assert!(!v("v1.25").equals(&Val::str("v1.25")));
    }

    #[test]
    fn membership() {
        let l = Val::from_json(&json!(["a", "b"]));
        assert!(l.contains(&Val::str("a")));
        assert!(!l.contains(&Val::Missing));
        let o = Val::from_json(&json!({"k": null}));
        assert!(o.contains(&Val::str("k")));
        assert!(Val::str("hello").contains(&Val::str("ell")));
        let r = Val::Range(Rc::new((Val::Num(1.0), Val::Num(3.0), false)));
        assert!(r.contains(&Val::Num(2.0)));
        assert!(!r.contains(&Val::Num(3.0)));
    }
}
