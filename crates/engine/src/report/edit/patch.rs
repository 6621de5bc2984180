//! Fix operations applied to a resource's JSON value, as RFC 6902 applies
//! `add`, `replace` and `remove`: what the source text must read as after
//! its edits.

use crate::eval::FixOp;
use crate::value::doc::parse_pointer;
use serde_json::Value;

/// Applies one operation; `None` when the operation does not apply (a
/// missing parent, an index out of range, an unknown op).
pub(crate) fn apply(doc: &mut Value, op: &FixOp) -> Option<()> {
    let mut segs = parse_pointer(&op.path);
    let last = segs.pop()?;
    let parent = walk(doc, &segs)?;
    // The value to set, a copy of the fix's (which findings share).
    let value = || op.value.as_deref().cloned();
    match (op.op, parent) {
        ("add", Value::Object(m)) => {
            m.insert(last, value()?);
        }
        ("add", Value::Array(a)) => {
            let i = if last == "-" { a.len() } else { index(&last)? };
            if i > a.len() {
                return None;
            }
            a.insert(i, value()?);
        }
        ("replace", Value::Object(m)) => {
            *m.get_mut(&last)? = value()?;
        }
        ("replace", Value::Array(a)) => {
            *a.get_mut(index(&last)?)? = value()?;
        }
        ("remove", Value::Object(m)) => {
            m.shift_remove(&last)?;
        }
        ("remove", Value::Array(a)) => {
            let i = index(&last)?;
            if i >= a.len() {
                return None;
            }
            a.remove(i);
        }
        _ => return None,
    }
    Some(())
}

fn walk<'v>(mut v: &'v mut Value, segs: &[String]) -> Option<&'v mut Value> {
    for s in segs {
        v = match v {
            Value::Object(m) => m.get_mut(s)?,
            Value::Array(a) => a.get_mut(index(s)?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// An array index as RFC 6901 writes it: digits, no leading zero.
fn index(s: &str) -> Option<usize> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(op: &'static str, path: &str, value: Option<Value>) -> FixOp {
        FixOp {
            op,
            path: path.into(),
            value: value.map(std::sync::Arc::new),
        }
    }

    #[test]
    fn applies_like_json_patch() {
        let mut v = json!({"a": {"b": [1, 2]}});
        apply(&mut v, &op("add", "/a/c", Some(json!(true)))).unwrap();
        apply(&mut v, &op("add", "/a/b/-", Some(json!(3)))).unwrap();
        apply(&mut v, &op("replace", "/a/b/0", Some(json!(0)))).unwrap();
        apply(&mut v, &op("remove", "/a/b/1", None)).unwrap();
        assert_eq!(v, json!({"a": {"b": [0, 3], "c": true}}));
        assert!(apply(&mut v, &op("replace", "/a/x", Some(json!(1)))).is_none());
        assert!(apply(&mut v, &op("add", "/x/y", Some(json!(1)))).is_none());
        assert!(apply(&mut v, &op("remove", "/a/b/01", None)).is_none());
    }
}
