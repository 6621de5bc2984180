//! The native builtins declared in `ward_lang::builtins`.
//!
//! Missing inputs give missing results for functions that compute a value,
//! and `false` for functions that answer a question, so a check on an absent
//! field never fires by accident.

use super::{EvalError, Evaluator, R};
use crate::compile::Pattern;
use crate::inventory::Query;
use crate::value::intern::Sym;
use crate::value::val::{EqKey, ObjBuilder, Str, Val};
use base64::Engine as _;
use std::sync::Arc;
use ward_lang::ast::Version;
use ward_lang::builtins::Builtin;
use ward_lang::span::Span;

fn arg<'a>(args: &[Val<'a>], i: usize) -> Val<'a> {
    args.get(i).map(Val::resolve).unwrap_or_default()
}

fn bool_of(b: bool) -> Val<'static> {
    Val::Bool(b)
}

impl<'a> Evaluator<'_, 'a> {
    pub(super) fn builtin(
        &mut self,
        b: Builtin,
        args: &[Val<'a>],
        named: &[(Sym, Val<'a>)],
        pattern: Option<&Pattern>,
        span: Span,
    ) -> R<Val<'a>> {
        let a0 = arg(args, 0);
        let a1 = arg(args, 1);
        let a2 = arg(args, 2);
        let s0 = a0.as_str();
        let s1 = a1.as_str();
        // What the builtin goes through counts towards the budget before it
        // starts (see `Evaluator::through`); those that read a fixed part of
        // their arguments count nothing more.
        let work = match b {
            Builtin::Len
            | Builtin::Exists
            | Builtin::TypeOf
            | Builtin::Num
            | Builtin::Int
            | Builtin::Get
            | Builtin::First
            | Builtin::Last
            | Builtin::StartsWith
            | Builtin::EndsWith
            | Builtin::Version
            | Builtin::IsCidr
            | Builtin::CidrContains
            | Builtin::Pointer
            | Builtin::Resources => 0,
            // A sort compares about n·log2(n) pairs.
            Builtin::Sort => {
                let n = a0.work_size();
                n.saturating_mul((usize::BITS - n.leading_zeros()) as usize)
            }
            Builtin::Range => match (a0.as_num(), a1.as_num()) {
                (Some(n), None) => n.clamp(0.0, 1e6) as usize,
                (Some(lo), Some(hi)) => (hi - lo).clamp(0.0, 1e6) as usize,
                _ => 0,
            },
            _ => args.iter().map(Val::work_size).sum(),
        };
        self.through(work, span)?;
        let out = match b {
            Builtin::Len => Val::Num(a0.len() as f64),
            Builtin::Keys => match args.first() {
                Some(v) if v.is_obj() => {
                    Val::list(v.entries().into_iter().map(|(k, _)| k).collect())
                }
                _ => Val::list(Vec::new()),
            },
            Builtin::Values => match args.first() {
                Some(v) if v.is_obj() => {
                    Val::list(v.entries().into_iter().map(|(_, v)| v).collect())
                }
                _ => Val::list(Vec::new()),
            },
            Builtin::Exists => bool_of(!a0.is_unset()),
            Builtin::TypeOf => Val::str(a0.type_name()),
            Builtin::Str => match &a0 {
                Val::Missing => Val::Missing,
                v => Val::string(v.display()),
            },
            Builtin::Num => match &a0 {
                Val::Num(n) => Val::Num(*n),
                Val::Str(s) => s
                    .as_str()
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(Val::Num)
                    .unwrap_or_default(),
                _ => Val::Missing,
            },
            Builtin::Int => match &a0 {
                Val::Num(n) => Val::Num(n.trunc()),
                Val::Str(s) => s
                    .as_str()
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(|n| Val::Num(n.trunc()))
                    .unwrap_or_default(),
                _ => Val::Missing,
            },
            Builtin::Get => {
                let base = args.first().cloned().unwrap_or_default();
                let v = match &a1 {
                    Val::Str(s) => base.get_str(s.as_str()),
                    Val::Num(n) => base.index(*n),
                    _ => Val::Missing,
                };
                if v.is_missing() {
                    args.get(2).cloned().unwrap_or_default()
                } else {
                    v
                }
            }
            Builtin::Merge => {
                let mut out = ObjBuilder::default();
                for src in args.iter().take(2) {
                    for (k, v) in src.entries() {
                        out.set(k.into_str().unwrap_or(Str::Ref("")), v);
                    }
                }
                out.finish()
            }
            Builtin::ToJson => Val::string(
                args.first()
                    .map(|v| v.to_json().to_string())
                    .unwrap_or_default(),
            ),
            Builtin::Lower => s0
                .map(|s| Val::string(s.to_lowercase()))
                .unwrap_or_default(),
            Builtin::Upper => s0
                .map(|s| Val::string(s.to_uppercase()))
                .unwrap_or_default(),
            Builtin::Trim => match &a0 {
                // A document's string stays borrowed from it.
                Val::Str(Str::Ref(s)) => Val::Str(Str::Ref(s.trim())),
                _ => s0.map(|s| Val::str(s.trim())).unwrap_or_default(),
            },
            Builtin::TrimPrefix => match (&s0, &s1) {
                (Some(s), Some(p)) => Val::str(s.strip_prefix(*p).unwrap_or(s)),
                _ => Val::Missing,
            },
            Builtin::TrimSuffix => match (&s0, &s1) {
                (Some(s), Some(p)) => Val::str(s.strip_suffix(*p).unwrap_or(s)),
                _ => Val::Missing,
            },
            Builtin::StartsWith => {
                bool_of(matches!((&s0, &s1), (Some(s), Some(p)) if s.starts_with(*p)))
            }
            Builtin::EndsWith => {
                bool_of(matches!((&s0, &s1), (Some(s), Some(p)) if s.ends_with(*p)))
            }
            Builtin::Contains => {
                let base = args.first().cloned().unwrap_or_default();
                let mut work = 0;
                let found = base.contains_counting(&a1, &mut work);
                self.through(work, span)?;
                bool_of(found)
            }
            Builtin::Split => match (&s0, &s1) {
                (Some(s), Some(sep)) if !sep.is_empty() => {
                    Val::list(s.split(*sep).map(Val::str).collect())
                }
                (Some(s), Some(_)) => {
                    Val::list(s.chars().map(|c| Val::string(c.to_string())).collect())
                }
                _ => Val::Missing,
            },
            Builtin::Join => match (&args.first(), &s1) {
                (Some(l), Some(sep)) if l.is_list() => {
                    // Lists and objects are written out as JSON, however
                    // deep: counted by what is written.
                    let parts: Vec<String> = l.items().map(|v| v.display()).collect();
                    let joined = parts.join(sep);
                    self.through(joined.len(), span)?;
                    Val::string(joined)
                }
                _ => Val::Missing,
            },
            Builtin::Replace => match (&s0, &s1, a2.as_str()) {
                (Some(s), Some(from), Some(to)) if !from.is_empty() => {
                    Val::string(s.replace(*from, to))
                }
                (Some(s), Some(_), Some(_)) => Val::str(s),
                _ => Val::Missing,
            },
            Builtin::Substr => match (&s0, a1.as_num()) {
                (Some(s), Some(start)) if start >= 0.0 => {
                    let start = start as usize;
                    let chars = s.chars().skip(start);
                    let out: String = match a2.as_num() {
                        Some(n) if n >= 0.0 => chars.take(n as usize).collect(),
                        _ => chars.collect(),
                    };
                    Val::string(out)
                }
                _ => Val::Missing,
            },
            Builtin::IndexOf => {
                let base = args.first().cloned().unwrap_or_default();
                if base.is_list() {
                    let mut work = 0;
                    let at = base.items().position(|x| x.equals_counting(&a1, &mut work));
                    self.through(work, span)?;
                    Val::Num(at.map(|i| i as f64).unwrap_or(-1.0))
                } else {
                    match (&s0, &s1) {
                        (Some(s), Some(n)) => Val::Num(
                            s.find(*n)
                                .map(|b| s.get(..b).map(|p| p.chars().count()).unwrap_or(0) as f64)
                                .unwrap_or(-1.0),
                        ),
                        _ => Val::Missing,
                    }
                }
            }
            Builtin::RegexMatch => {
                let Some(text) = s1 else {
                    return Ok(Val::Bool(false));
                };
                match self.regex(pattern, s0, span)? {
                    Some(r) => bool_of(r.is_match(text)),
                    None => Val::Bool(false),
                }
            }
            Builtin::RegexCapture => {
                let Some(text) = s1 else {
                    return Ok(Val::Missing);
                };
                match self.regex(pattern, s0, span)? {
                    Some(r) => match r.captures(text) {
                        Some(c) => Val::list(
                            c.iter()
                                .map(|m| m.map(|m| Val::str(m.as_str())).unwrap_or(Val::Null))
                                .collect(),
                        ),
                        None => Val::Missing,
                    },
                    None => Val::Missing,
                }
            }
            Builtin::RegexReplace => {
                let (Some(text), Some(with)) = (s1, a2.as_str().map(str::to_string)) else {
                    return Ok(Val::Missing);
                };
                match self.regex(pattern, s0, span)? {
                    Some(r) => Val::string(r.replace_all(text, with.as_str()).into_owned()),
                    None => Val::Missing,
                }
            }
            Builtin::GlobMatch => {
                let Some(text) = s1 else {
                    return Ok(Val::Bool(false));
                };
                match pattern {
                    Some(Pattern::Glob(g)) => bool_of(g.is_match(text)),
                    _ => match s0 {
                        Some(p) => match globset::Glob::new(p) {
                            Ok(g) => bool_of(g.compile_matcher().is_match(text)),
                            Err(e) => {
                                return Err(EvalError::new(
                                    span,
                                    format!("invalid glob pattern `{p}`: {e}"),
                                ));
                            }
                        },
                        None => Val::Bool(false),
                    },
                }
            }
            Builtin::First => args.first().map(|l| l.index(0.0)).unwrap_or_default(),
            Builtin::Last => args.first().map(|l| l.index(-1.0)).unwrap_or_default(),
            Builtin::Sort => {
                let items: Vec<Val<'a>> = args
                    .first()
                    .map(|l| l.items().collect())
                    .unwrap_or_default();
                // Lists and objects are ordered by their JSON text, written
                // once each and counted by its length.
                let mut keyed: Vec<(Val<'a>, Option<String>)> = items
                    .into_iter()
                    .map(|x| {
                        let json = (x.sort_rank() == 3).then(|| x.to_json().to_string());
                        (x, json)
                    })
                    .collect();
                let written = keyed
                    .iter()
                    .filter_map(|(_, j)| j.as_ref())
                    .map(String::len);
                self.through(written.sum(), span)?;
                keyed.sort_by(|(x, jx), (y, jy)| x.sort_key_cmp(y, (jx.as_deref(), jy.as_deref())));
                Val::list(keyed.into_iter().map(|(x, _)| x).collect())
            }
            Builtin::Unique => {
                let (items, work) = unique(args.first().map(|l| l.items()).into_iter().flatten());
                self.through(work, span)?;
                Val::list(items)
            }
            Builtin::Reverse => {
                let mut items: Vec<Val<'a>> = args
                    .first()
                    .map(|l| l.items().collect())
                    .unwrap_or_default();
                items.reverse();
                Val::list(items)
            }
            Builtin::Flatten => {
                // The items of the lists inside are copied too.
                let inner = args
                    .first()
                    .map(|l| l.items())
                    .into_iter()
                    .flatten()
                    .filter(Val::is_list)
                    .map(|x| x.len())
                    .sum();
                self.through(inner, span)?;
                let mut out = Vec::new();
                for x in args.first().map(|l| l.items()).into_iter().flatten() {
                    if x.is_list() {
                        out.extend(x.items());
                    } else {
                        out.push(x);
                    }
                }
                Val::list(out)
            }
            Builtin::Sum => Val::Num(
                args.first()
                    .map(|l| l.items().filter_map(|x| x.as_num()).sum())
                    .unwrap_or(0.0),
            ),
            Builtin::Min | Builtin::Max => {
                let mut best: Option<Val<'a>> = None;
                for x in args.first().map(|l| l.items()).into_iter().flatten() {
                    let x = x.resolve();
                    best = match best {
                        None => Some(x),
                        Some(cur) => {
                            let better = match x.order(&cur) {
                                Some(o) => {
                                    if b == Builtin::Min {
                                        o.is_lt()
                                    } else {
                                        o.is_gt()
                                    }
                                }
                                None => false,
                            };
                            Some(if better { x } else { cur })
                        }
                    };
                }
                best.unwrap_or_default()
            }
            Builtin::ContainsAll | Builtin::ContainsAny => {
                let (Some(l), Some(want)) = (args.first(), args.get(1)) else {
                    return Ok(Val::Bool(false));
                };
                let (found, work) = contains_each(l, want, b == Builtin::ContainsAll);
                self.through(work, span)?;
                bool_of(found)
            }
            Builtin::Range => {
                let (lo, hi) = match (a0.as_num(), a1.as_num()) {
                    (Some(n), None) => (0.0, n),
                    (Some(a), Some(b)) => (a, b),
                    _ => return Ok(Val::Missing),
                };
                if hi - lo > 1_000_000.0 {
                    return Err(EvalError::new(
                        span,
                        "`range` is limited to 1,000,000 numbers",
                    ));
                }
                let mut out = Vec::new();
                let mut i = lo.trunc();
                while i < hi {
                    out.push(Val::Num(i));
                    i += 1.0;
                }
                Val::list(out)
            }
            Builtin::Version => match &a0 {
                Val::Version(v) => Val::Version(*v),
                Val::Str(s) => Version::parse(s.as_str().trim())
                    .map(Val::Version)
                    .unwrap_or_default(),
                _ => Val::Missing,
            },
            Builtin::Base64Decode => match s0 {
                Some(s) => base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .map(Val::string)
                    .unwrap_or_default(),
                None => Val::Missing,
            },
            Builtin::Base64Encode => match s0 {
                Some(s) => {
                    Val::string(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
                }
                None => Val::Missing,
            },
            Builtin::CidrContains => match (&s0, &s1) {
                (Some(net), Some(x)) => bool_of(cidr_contains(net, x)),
                _ => Val::Bool(false),
            },
            Builtin::IsCidr => bool_of(s0.is_some_and(|s| s.parse::<ipnet::IpNet>().is_ok())),
            Builtin::JsonPath => {
                let base = args.first().cloned().unwrap_or_default();
                let Some(q) = s1 else { return Ok(Val::Missing) };
                let path = match pattern {
                    Some(Pattern::JsonPath(p)) => p.clone(),
                    _ => match serde_json_path::JsonPath::parse(q) {
                        Ok(p) => Arc::new(p),
                        Err(e) => {
                            return Err(EvalError::new(
                                span,
                                format!("invalid JSONPath `{q}`: {e}"),
                            ));
                        }
                    },
                };
                // The query runs over the whole value written as JSON,
                // however deep: counted by its size once it is written.
                let json = base.to_json();
                self.through(json_size(&json), span)?;
                jsonpath(&base, &json, &path)
            }
            Builtin::Pointer => {
                let base = args.first().cloned().unwrap_or_default();
                match s1 {
                    Some(p) => pointer(&base, p),
                    None => Val::Missing,
                }
            }
            Builtin::Resources => {
                // Each named argument's name is read once (a query names
                // two or three of the seven).
                let (mut kind, mut ns, mut name, mut api) = (None, None, None, None);
                let (mut labels, mut selector, mut owner) = (None, None, None);
                for (k, v) in named {
                    let slot = match k.as_str() {
                        "kind" => &mut kind,
                        "namespace" => &mut ns,
                        "name" => &mut name,
                        "api_version" => &mut api,
                        "labels" => &mut labels,
                        "selector" => &mut selector,
                        "owner" => &mut owner,
                        _ => continue,
                    };
                    if slot.is_none() {
                        *slot = Some(v.resolve());
                    }
                }
                // A filter given as missing selects nothing rather than
                // everything, except the namespace, where missing means the
                // default namespace.
                for v in [&kind, &name, &api, &owner].into_iter().flatten() {
                    if v.as_str().is_none() {
                        return Ok(Val::list(Vec::new()));
                    }
                }
                let ns_str = match &ns {
                    Some(v) => Some(v.as_str().unwrap_or("")),
                    None => None,
                };
                let q = Query {
                    kind: kind.as_ref().and_then(|v| v.as_str()),
                    namespace: ns_str,
                    name: name.as_ref().and_then(|v| v.as_str()),
                    api_version: api.as_ref().and_then(|v| v.as_str()),
                    labels: labels.as_ref(),
                    selector: selector.as_ref(),
                    owner: owner.as_ref().and_then(|v| v.as_str()),
                };
                Val::list(self.inv.query(&q).into_iter().map(Val::Node).collect())
            }
        };
        // Writing a whole value out goes through all of it, however deep, a
        // replacement can write far more than it was given (each of many
        // matches replaced by a long string), and a query's answer is a
        // list made for the call: counted by what was written or found,
        // once it is.
        if matches!(
            b,
            Builtin::ToJson
                | Builtin::Str
                | Builtin::Replace
                | Builtin::RegexReplace
                | Builtin::Resources
        ) {
            self.through(out.work_size(), span)?;
        }
        Ok(out)
    }

    fn regex(
        &mut self,
        pattern: Option<&Pattern>,
        text: Option<&str>,
        span: Span,
    ) -> R<Option<Arc<regex::Regex>>> {
        if let Some(Pattern::Regex(r)) = pattern {
            return r
                .get()
                .map(Some)
                .map_err(|e| EvalError::new(span, format!("invalid regular expression: {e}")));
        }
        let Some(p) = text else { return Ok(None) };
        if let Some(r) = self.regex_cache.get(p) {
            return Ok(Some(r.clone()));
        }
        match regex::RegexBuilder::new(p).size_limit(1 << 20).build() {
            Ok(r) => {
                let r = Arc::new(r);
                if self.regex_cache.len() < 256 {
                    self.regex_cache.insert(p.to_string(), r.clone());
                }
                Ok(Some(r))
            }
            Err(e) => Err(EvalError::new(
                span,
                format!("invalid regular expression `{p}`: {e}"),
            )),
        }
    }
}

fn cidr_contains(net: &str, x: &str) -> bool {
    let Ok(net) = net.parse::<ipnet::IpNet>() else {
        return false;
    };
    if let Ok(ip) = x.parse::<std::net::IpAddr>() {
        return net.contains(&ip);
    }
    if let Ok(other) = x.parse::<ipnet::IpNet>() {
        return net.contains(&other);
    }
    false
}

/// Runs a JSONPath query. Results read from a document stay document nodes,
/// so findings at them point at their lines.
fn jsonpath<'a>(
    base: &Val<'a>,
    json: &serde_json::Value,
    path: &serde_json_path::JsonPath,
) -> Val<'a> {
    let located = path.query_located(json);
    let mut out = Vec::new();
    for node in located.iter() {
        let mut v = base.clone();
        for el in node.location().iter() {
            v = match el {
                serde_json_path::PathElement::Name(n) => v.get_str(n),
                serde_json_path::PathElement::Index(i) => v.index(*i as f64),
            };
        }
        if v.is_missing() {
            out.push(Val::from_json(node.node()));
        } else {
            out.push(v);
        }
    }
    Val::list(out)
}

/// The items, entries and string bytes of a JSON value, at every depth:
/// what a query over it may go through.
fn json_size(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::String(s) => s.len(),
        Value::Array(items) => items.len() + items.iter().map(json_size).sum::<usize>(),
        Value::Object(entries) => {
            entries.len()
                + entries
                    .iter()
                    .map(|(k, v)| k.len() + json_size(v))
                    .sum::<usize>()
        }
        _ => 0,
    }
}

/// Follows an RFC 6901 JSON pointer (`""` is the value itself) through
/// fields and list items, so a value read from a document stays a document
/// node and findings `at` it point at its line. Plugins return such pointers
/// for the places they found something.
fn pointer<'a>(base: &Val<'a>, p: &str) -> Val<'a> {
    if p.is_empty() {
        return base.clone();
    }
    let Some(rest) = p.strip_prefix('/') else {
        return Val::Missing;
    };
    let mut v = base.clone();
    for raw in rest.split('/') {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        v = if v.is_list() {
            // Indexes are decimal without leading zeros; `-` (past the end)
            // names nothing that exists.
            let canonical = seg == "0" || (!seg.starts_with('0') && !seg.is_empty());
            match seg.parse::<u32>() {
                Ok(i) if canonical => v.index(f64::from(i)),
                _ => Val::Missing,
            }
        } else {
            v.get_str(&seg)
        };
        if v.is_missing() {
            break;
        }
    }
    v
}

/// The values in order, each left out that equals one before it, and what
/// finding them went through (see [`Members`]).
///
/// Scalars, lists and objects are looked up by a hash equal values share,
/// so the names or images of a whole cluster export take one pass rather
/// than a comparison of each with all before it; versions are compared
/// with those kept so far. Missing values and NaN equal nothing and are
/// all kept.
fn unique<'a>(items: impl Iterator<Item = Val<'a>>) -> (Vec<Val<'a>>, usize) {
    let mut set = Members::default();
    for x in items {
        set.insert(x);
    }
    (set.items, set.work)
}

/// Values without two that [`Val::equals`] holds between (but for missing
/// values and NaN, which equal nothing), in the order they came, found in
/// one look-up when they can be hashed. `work` adds up the items and
/// entries hashing and comparing went through inside lists and objects,
/// and each comparison with a value that cannot be hashed: a scalar adds
/// nothing.
#[derive(Default)]
struct Members<'a> {
    items: Vec<Val<'a>>,
    hashed: rustc_hash::FxHashMap<u64, smallvec::SmallVec<[usize; 1]>>,
    compared: smallvec::SmallVec<[usize; 1]>,
    work: usize,
}

impl<'a> Members<'a> {
    /// The items of a list.
    fn of(list: &Val<'a>) -> Members<'a> {
        let mut set = Members::default();
        for x in list.items() {
            set.insert(x);
        }
        set
    }

    /// Adds a value unless one equal to it is there.
    fn insert(&mut self, x: Val<'a>) {
        let work = &mut self.work;
        let (kept, each) = match x.eq_key_counting(work) {
            EqKey::Never => (None, 0),
            EqKey::Hash(h) => (Some(self.hashed.entry(h).or_default()), 0),
            EqKey::Compare => (Some(&mut self.compared), 1),
        };
        if let Some(kept) = kept {
            let items = &self.items;
            if kept.iter().any(|&i| {
                *work += each;
                items.get(i).is_some_and(|y| y.equals_counting(&x, work))
            }) {
                return;
            }
            kept.push(self.items.len());
        }
        self.items.push(x);
    }

    /// Whether a value equal to `x` is there.
    fn holds(&mut self, x: &Val<'_>) -> bool {
        let work = &mut self.work;
        let (kept, each) = match x.eq_key_counting(work) {
            EqKey::Never => return false,
            EqKey::Hash(h) => match self.hashed.get(&h) {
                Some(k) => (k, 0),
                None => return false,
            },
            EqKey::Compare => (&self.compared, 1),
        };
        let items = &self.items;
        kept.iter().any(|&i| {
            *work += each;
            items.get(i).is_some_and(|y| y.equals_counting(x, work))
        })
    }
}

/// `contains_all` (`all`) or `contains_any` of a list, and what comparing
/// went through inside lists and objects (see [`Members`]): a short list is
/// gone through for each wanted value, a longer one looked up in a set.
fn contains_each(l: &Val<'_>, want: &Val<'_>, all: bool) -> (bool, usize) {
    if !l.is_list() {
        return (false, 0);
    }
    let mut work = 0;
    if l.len() < 16 {
        let found = if all {
            want.items().all(|w| l.contains_counting(&w, &mut work))
        } else {
            want.items().any(|w| l.contains_counting(&w, &mut work))
        };
        return (found, work);
    }
    let mut set = Members::of(l);
    let found = if all {
        want.items().all(|w| set.holds(&w))
    } else {
        want.items().any(|w| set.holds(&w))
    };
    (found, set.work)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_of_values_keep_and_find_what_a_comparison_with_each_value_does() {
        let doc = crate::value::doc::Doc::from_json(&serde_json::json!({
            "s": ["web", "api", "web", "", "1"],
            "n": [1, 1.0, 2, 0, -0.0],
            "o": [{"a": 1}, {"a": 1}, [1], [1.0], null, true, false, true],
            // Containers equal whatever the order of an object's keys, and
            // unequal when a list's order or a nested value differs.
            "c": [
                {"a": 1, "b": [1, {"c": 2}]}, {"b": [1.0, {"c": 2}], "a": 1},
                [1, 2], [2, 1], [], {}, [[]], [{}], {"a": {"b": 1}}, {"a": {"b": 2}},
            ],
        }));
        let root = Val::Node(doc.root());
        let mut all: Vec<Val<'_>> = Vec::new();
        for k in ["s", "n", "o", "c"] {
            all.extend(root.get_str(k).items());
        }
        // Owned copies of document values, and what equals nothing.
        all.extend([
            Val::string("api".to_string()),
            Val::Num(2.0),
            Val::Num(f64::NAN),
            Val::Num(f64::NAN),
            Val::Missing,
            Val::Missing,
            Val::Null,
            Val::Version(Version::parse("v1.30").unwrap_or_default()),
            Val::Version(Version::parse("v1.30").unwrap_or_default()),
            Val::str("1"),
            // Owned containers: one equal to a document's, two that hold
            // NaN (equal to nothing), two that hold a version.
            Val::list(vec![Val::Num(1.0), Val::Num(2.0)]),
            Val::from_json(&serde_json::json!({"b": [1, {"c": 2}], "a": 1})),
            Val::list(vec![Val::Num(f64::NAN)]),
            Val::list(vec![Val::Num(f64::NAN)]),
            Val::list(vec![Val::Version(
                Version::parse("v1.30").unwrap_or_default(),
            )]),
            Val::list(vec![Val::Version(
                Version::parse("v1.30").unwrap_or_default(),
            )]),
        ]);
        // Every order of a few shuffles gives what the quadratic scan does.
        let mut seed = 7u64;
        for _ in 0..50 {
            let mut items = all.clone();
            for i in (1..items.len()).rev() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                items.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let mut reference: Vec<Val<'_>> = Vec::new();
            for x in items.iter().cloned() {
                if !reference.iter().any(|y| y.equals(&x)) {
                    reference.push(x);
                }
            }
            // Looked up in a set, as in a comparison with each item.
            let list = Val::list(items.clone());
            for w in &all {
                let one = Val::list(vec![w.clone()]);
                let each = !w.is_missing() && items.iter().any(|i| i.equals(w));
                assert_eq!(contains_each(&list, &one, true).0, each, "{w:?}");
                assert_eq!(contains_each(&list, &one, false).0, each, "{w:?}");
                let short = Val::list(items.iter().take(15).cloned().collect());
                let each = !w.is_missing() && items.iter().take(15).any(|i| i.equals(w));
                assert_eq!(contains_each(&short, &one, false).0, each, "{w:?}");
            }
            let (got, _) = unique(items.into_iter());
            assert_eq!(got.len(), reference.len());
            for (g, r) in got.iter().zip(&reference) {
                assert_eq!(format!("{g:?}"), format!("{r:?}"));
            }
        }
        let (got, _) = unique(all.into_iter());
        // web api "" "1", 1 2 0, {a:1} [1] null true false, NaN NaN, missing
        // missing, v1.30; nine of the ten containers of `c`, [NaN] [NaN]
        // [v1.30].
        assert_eq!(got.len(), 29, "{got:?}");
    }

    #[test]
    fn cidrs() {
        assert!(cidr_contains("10.0.0.0/8", "10.1.2.3"));
        assert!(cidr_contains("0.0.0.0/0", "192.168.0.0/16"));
        assert!(!cidr_contains("10.0.0.0/8", "11.0.0.1"));
        assert!(!cidr_contains("nope", "10.0.0.1"));
    }

    #[test]
    fn pointers() {
        let doc = crate::value::doc::Doc::from_json(&serde_json::json!({
            "data": {"a/b": "x", "m~n": ["p", "q"], "": 1},
            "list": [{"k": true}]
        }));
        let root = Val::Node(doc.root());
        let at = |p: &str| pointer(&root, p).to_json();
        assert_eq!(at("/data/a~1b"), serde_json::json!("x"));
        assert_eq!(at("/data/m~0n/1"), serde_json::json!("q"));
        assert_eq!(at("/data/"), serde_json::json!(1));
        assert_eq!(at("/list/0/k"), serde_json::json!(true));
        assert_eq!(at(""), root.to_json());
        for nothing in ["/list/01", "/list/-", "/list/x", "/nope/deeper", "data"] {
            assert!(pointer(&root, nothing).is_missing(), "{nothing}");
        }
        // A value read from the document keeps its place.
        let node = pointer(&root, "/data/m~0n/1").node().map(|n| n.pointer());
        assert_eq!(node.as_deref(), Some("/data/m~0n/1"));
    }
}
