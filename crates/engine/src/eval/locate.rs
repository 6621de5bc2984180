//! Where a finding points: the `at` expression evaluated as a place.
//!
//! A path such as `c.securityContext.runAsNonRoot` is followed through the
//! document as far as it exists; the part that does not exist is kept as
//! pointer segments below the last node that does. So a finding about a
//! missing field still names the field (`.../securityContext/runAsNonRoot`)
//! and the line of the nearest enclosing value.

use super::{Evaluator, R};
use crate::compile::{CExpr, CKind};
use crate::value::doc::{Doc, NodeRef, Seg};
use crate::value::val::Val;
use std::sync::OnceLock;

/// A place in a document: an existing node and the missing path below it.
#[derive(Clone, Debug)]
pub struct Located<'a> {
    pub node: NodeRef<'a>,
    pub rest: Vec<Seg>,
}

/// The root of an empty document, for findings with nowhere else to point.
pub fn empty_doc_root() -> NodeRef<'static> {
    static EMPTY: OnceLock<Doc> = OnceLock::new();
    EMPTY
        .get_or_init(|| Doc::from_json(&serde_json::Value::Null))
        .root()
}

impl<'a> Evaluator<'_, 'a> {
    pub(crate) fn locate(&mut self, e: &CExpr) -> R<Option<Located<'a>>> {
        self.locate_at(e, 0)
    }

    fn locate_at(&mut self, e: &CExpr, depth: u32) -> R<Option<Located<'a>>> {
        match &e.kind {
            CKind::Local(slot) | CKind::Deferred(slot) if depth < 16 => {
                let v = self.eval(e)?;
                if let Some(node) = v.node() {
                    return Ok(Some(Located {
                        node,
                        rest: Vec::new(),
                    }));
                }
                // A `let` of a path that is missing still names the path.
                let prog = self.prog;
                let place = prog
                    .controls
                    .get(self.control)
                    .and_then(|c| c.let_places.get(*slot as usize))
                    .and_then(Option::as_ref);
                match place {
                    Some(p) => self.locate_at(p, depth + 1),
                    None => Ok(None),
                }
            }
            CKind::Field(base, sym) => {
                let Some(mut l) = self.locate_at(base, depth)? else {
                    // The base is not a place in a document (say, an object
                    // a policy built), but its value or this field may be.
                    if let Some(node) = self.eval(e)?.node() {
                        return Ok(Some(Located {
                            node,
                            rest: Vec::new(),
                        }));
                    }
                    return Ok(self.eval(base)?.node().map(|node| Located {
                        node,
                        rest: vec![Seg::Key(sym.as_str().to_string())],
                    }));
                };
                if l.rest.is_empty()
                    && let Some(child) = l.node.get(*sym)
                {
                    return Ok(Some(Located {
                        node: child,
                        rest: Vec::new(),
                    }));
                }
                l.rest.push(Seg::Key(sym.as_str().to_string()));
                Ok(Some(l))
            }
            CKind::Index(base, ix) => {
                let Some(mut l) = self.locate_at(base, depth)? else {
                    return Ok(None);
                };
                let i = self.eval(ix)?.resolve();
                let seg = match &i {
                    Val::Num(n) if n.fract() == 0.0 && *n >= 0.0 => Seg::Index(*n as usize),
                    Val::Num(n) if n.fract() == 0.0 => {
                        let len = l.node.len() as i64;
                        let j = len + *n as i64;
                        if j < 0 || !l.rest.is_empty() {
                            return Ok(Some(l));
                        }
                        Seg::Index(j as usize)
                    }
                    Val::Str(s) => Seg::Key(s.as_str().to_string()),
                    _ => return Ok(Some(l)),
                };
                if l.rest.is_empty() {
                    let child = match &seg {
                        Seg::Index(n) => l.node.index(*n),
                        Seg::Key(k) => l.node.get_str(k),
                    };
                    if let Some(child) = child {
                        return Ok(Some(Located {
                            node: child,
                            rest: Vec::new(),
                        }));
                    }
                }
                l.rest.push(seg);
                Ok(Some(l))
            }
            _ => {
                let v = self.eval(e)?;
                Ok(v.node().map(|node| Located {
                    node,
                    rest: Vec::new(),
                }))
            }
        }
    }
}
