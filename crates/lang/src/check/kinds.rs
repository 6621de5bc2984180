//! Which kinds of resource a control's `match` can accept, read through the
//! functions it calls.
//!
//! `match applies(input)` accepts only pod-bearing kinds because `applies`
//! asks `exists(pod_spec(r))`, and `pod_template` is `null` for every kind
//! it does not list. The engine offers a control only resources of the kinds
//! found here, so the answer may be too wide but never too narrow: whatever
//! the analysis does not follow means "any kind".

use crate::ast::BinOp;
use crate::builtins::Builtin;
use crate::hir::*;

/// A set of kinds; `None` is every kind.
type Kinds = Option<Vec<String>>;

/// How deep the analysis follows calls before it gives up (any kind).
const MAX_DEPTH: u32 = 16;

/// What a local holds, as far as the analysis knows.
#[derive(Clone, Debug)]
enum Bound {
    /// The resource under evaluation (`input`, passed on).
    Input,
    /// A list of string literals.
    Strs(Vec<String>),
    Unknown,
}

/// The kinds a `match` condition can hold for: outside them it is never
/// `true`. `None` when it restricts nothing the analysis can see.
pub(super) fn of_match(program: &Program, cond: &HExpr) -> Kinds {
    Flow { program }.kinds(Ask::True, cond, &[], 0)
}

/// What the analysis asks of an expression: outside which kinds it is
/// never `true`, or always unset (missing or `null`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ask {
    True,
    Set,
}

struct Flow<'p> {
    program: &'p Program,
}

impl Flow<'_> {
    /// The kinds outside which `e` is never what `ask` asks.
    fn kinds(&self, ask: Ask, e: &HExpr, env: &[Bound], depth: u32) -> Kinds {
        let of = |ask, x| self.kinds(ask, x, env, depth);
        match (ask, &e.kind) {
            // `null` is neither true nor set.
            (_, HKind::Null) | (Ask::True, HKind::Bool(false)) => Some(Vec::new()),
            (_, HKind::If(c, t, f)) => join(meet(of(Ask::True, c), of(ask, t)), of(ask, f)),
            (_, HKind::Call(id, args)) => {
                let (f, inner) = self.enter(*id, args, env, depth)?;
                self.kinds(ask, &f.body, &inner, depth + 1)
            }
            (Ask::True, HKind::Binary(BinOp::And, a, b)) => meet(of(ask, a), of(ask, b)),
            (Ask::True, HKind::Binary(BinOp::Or, a, b)) => join(of(ask, a), of(ask, b)),
            (Ask::True, HKind::Binary(BinOp::Eq, a, b)) => {
                let (k, other) = if self.is_kind(a, env) { (a, b) } else { (b, a) };
                match (self.is_kind(k, env), &other.kind) {
                    (true, HKind::Str(s)) => Some(vec![s.clone()]),
                    _ => None,
                }
            }
            (Ask::True, HKind::Binary(BinOp::In, a, b)) if self.is_kind(a, env) => {
                self.strs(b, env, depth)
            }
            (Ask::True, HKind::Builtin(Builtin::Exists, args, _)) => match args.as_slice() {
                [x] => of(Ask::Set, x),
                _ => None,
            },
            // A field or item of an unset value is missing.
            (Ask::Set, HKind::Field(base, _) | HKind::Index(base, _)) => of(ask, base),
            (Ask::Set, HKind::Binary(BinOp::Coalesce, a, b)) => join(of(ask, a), of(ask, b)),
            _ => None,
        }
    }

    /// The function called and what its parameters hold; `None` (any kind)
    /// past the depth limit or for an unknown function.
    fn enter(
        &self,
        id: u32,
        args: &[HExpr],
        env: &[Bound],
        depth: u32,
    ) -> Option<(&FnDef, Vec<Bound>)> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let f = self.program.fns.get(id as usize)?;
        let inner = args
            .iter()
            .map(|a| {
                if self.is_input(a, env) {
                    Bound::Input
                } else if let Some(s) = self.strs(a, env, depth) {
                    Bound::Strs(s)
                } else {
                    Bound::Unknown
                }
            })
            .collect();
        Some((f, inner))
    }

    fn is_input(&self, e: &HExpr, env: &[Bound]) -> bool {
        match &e.kind {
            HKind::Input => true,
            HKind::Local(slot) => matches!(env.get(*slot as usize), Some(Bound::Input)),
            _ => false,
        }
    }

    /// `input.kind`, or `r.kind` where `r` holds the input.
    fn is_kind(&self, e: &HExpr, env: &[Bound]) -> bool {
        matches!(&e.kind, HKind::Field(base, f) if f == "kind" && self.is_input(base, env))
    }

    /// A list of string literals: written out, a constant, or a parameter
    /// given one.
    fn strs(&self, e: &HExpr, env: &[Bound], depth: u32) -> Option<Vec<String>> {
        if depth >= MAX_DEPTH {
            return None;
        }
        match &e.kind {
            HKind::List(items) => items
                .iter()
                .map(|i| match &i.kind {
                    HKind::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            HKind::Const(id) => {
                let c = self.program.consts.get(*id as usize)?;
                self.strs(&c.value, &[], depth + 1)
            }
            HKind::Local(slot) => match env.get(*slot as usize) {
                Some(Bound::Strs(s)) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Kinds in both (`None` is every kind).
fn meet(a: Kinds, b: Kinds) -> Kinds {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.into_iter().filter(|k| y.contains(k)).collect()),
        (Some(x), None) | (None, Some(x)) => Some(x),
        (None, None) => None,
    }
}

/// Kinds in either, in the order first met.
fn join(a: Kinds, b: Kinds) -> Kinds {
    match (a, b) {
        (Some(mut x), Some(y)) => {
            for k in y {
                if !x.contains(&k) {
                    x.push(k);
                }
            }
            Some(x)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::check::Checked;
    use crate::diagnostic::Diagnostic;
    use crate::span::FileId;

    /// One module checked on its own, and its errors.
    fn check(src: &str) -> (Checked, Vec<Diagnostic>) {
        let module = match crate::parser::parse(FileId(0), src) {
            Ok(m) => m,
            Err(e) => panic!("{e:?}"),
        };
        let checked = crate::check::check(&[module]);
        let errors = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        (checked, errors)
    }

    /// The kinds inferred for each control of one module, by name.
    fn kinds(src: &str) -> Vec<(String, Option<Vec<String>>)> {
        let (checked, errors) = check(src);
        assert!(errors.is_empty(), "{errors:?}");
        checked
            .program
            .controls
            .iter()
            .map(|c| (c.name.clone(), c.kinds.clone()))
            .collect()
    }

    fn of(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn kinds_are_read_through_functions_constants_and_null_branches() {
        let got = kinds(
            r#"
package k
let workloads = ["Deployment", "Job"]
fn template(r) =
  if r.kind == "Pod" then {spec: r.spec}
  else if r.kind == "CronJob" then r.spec.jobTemplate.spec.template
  else if r.kind in workloads then r.spec.template
  else null
fn spec_of(r) = template(r).spec
fn applies(r) = exists(spec_of(r)) and r.metadata.name != "x"
fn of_kind(r, kinds) = r.kind in kinds
control pods {
  match applies(input)
  deny message "p"
}
control listed {
  match of_kind(input, ["Service", "Ingress"])
  deny message "l"
}
control either {
  match exists(template(input) ?? input.data) or input.kind == "Service"
  deny message "e"
}
control narrowed {
  match applies(input)
  match input.kind == "Job" or input.kind == "Pod"
  deny message "n"
}
"#,
        );
        assert_eq!(
            got,
            vec![
                (
                    "pods".to_string(),
                    of(&["Pod", "CronJob", "Deployment", "Job"])
                ),
                ("listed".to_string(), of(&["Service", "Ingress"])),
                ("either".to_string(), None),
                ("narrowed".to_string(), of(&["Pod", "Job"])),
            ]
        );
    }

    /// Whatever the analysis cannot follow leaves the control open to every
    /// kind: a negation, a kind read from something other than the input, a
    /// list given as a param, a kind returned by a function.
    #[test]
    fn what_is_not_followed_means_any_kind() {
        let got = kinds(
            r#"
package k
param allowed: list<string> = ["Pod"]
fn is_pod(r) = r.kind == "Pod"
fn kind_of(r) = r.kind
control negated {
  match not (input.kind == "Pod")
  deny message "a"
}
control not_the_input {
  match is_pod(input.spec)
  deny message "b"
}
control from_a_param {
  match input.kind in allowed
  deny message "c"
}
control returned {
  match kind_of(input) == "Pod"
  deny message "d"
}
control plain_field {
  match exists(input.spec.template)
  deny message "e"
}
control through_a_let {
  let r = input
  match is_pod(r)
  deny message "f"
}
"#,
        );
        for (name, k) in got {
            assert_eq!(k, None, "{name}");
        }
    }

    /// A condition the kinds rule out is an error, with the kinds named,
    /// also when they come from a function.
    #[test]
    fn a_condition_the_kinds_rule_out_never_holds() {
        let src = r#"
package k
fn is_pod(r) = r.kind == "Pod"
control c {
  match is_pod(input)
  deny when input.kind == "Service" message "never"
}
"#;
        let (_, d) = check(src);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "never-holds");
        assert_eq!(
            d[0].help.as_deref(),
            Some("the control's `match` limits `input.kind` to `Pod`")
        );
    }
}
