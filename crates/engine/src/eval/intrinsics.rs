//! Native forms of the standard library's smallest and most called
//! functions: the pod template of a resource and what is read from it, its
//! namespace, its controller and whether that is loaded, the service
//! account its pod spec names, and whether a
//! label selector selects a set of labels. Every pack asks these of nearly
//! every resource, and a label selector of each candidate in a namespace,
//! so that their bodies were about a tenth of all the steps evaluation
//! took.
//!
//! The function as written in `std-lib/` stays the definition, and only
//! the text built in has native forms (a copy of the file being edited
//! runs its own bodies; `compile_trusting`). A native form answers only
//! for arguments it handles exactly as the body does, and gives `None`
//! for the rest (a `matchLabels` that is a list, say), which then runs the
//! body: the same value, the same errors. It is used only where the
//! evaluator remembers calls (`Evaluator::memoize`), so the plain
//! evaluation the fast paths are compared with
//! (`crates/engine/tests/equivalence.rs`) runs every body, and not while
//! tracing, so `ward explain` shows the bodies' steps.
//! `crates/engine/tests/intrinsics.rs` compares both forms on many shapes
//! of argument; the test below fails when a body in `std-lib/` changes
//! without its native form.

use crate::inventory::{Inventory, Query};
use crate::value::intern::{Sym, intern};
use crate::value::val::{Frozen, Str, Val};
use std::rc::Rc;

/// A function of the standard library with a native form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intrinsic {
    PodTemplate,
    PodSpec,
    PodMeta,
    NamespaceOf,
    Selects,
    ControllerOf,
    ManagedInInventory,
    ServiceAccountName,
}

/// The functions with a native form, by qualified name.
pub const BY_NAME: [(&str, Intrinsic); 8] = [
    ("std.k8s.pod_template", Intrinsic::PodTemplate),
    ("std.k8s.pod_spec", Intrinsic::PodSpec),
    ("std.k8s.pod_meta", Intrinsic::PodMeta),
    ("std.k8s.namespace_of", Intrinsic::NamespaceOf),
    ("std.k8s.selects", Intrinsic::Selects),
    ("std.k8s.controller_of", Intrinsic::ControllerOf),
    (
        "std.k8s.managed_in_inventory",
        Intrinsic::ManagedInInventory,
    ),
    (
        "std.k8s.service_account_name",
        Intrinsic::ServiceAccountName,
    ),
];

/// `std.k8s.workload_kinds`, which `pod_template` reads.
const WORKLOAD_KINDS: [&str; 7] = [
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
];

/// The field names the native forms read, interned once.
#[derive(Clone, Copy, Debug)]
pub struct Names {
    kind: Sym,
    metadata: Sym,
    spec: Sym,
    template: Sym,
    job_template: Sym,
    namespace: Sym,
    match_labels: Sym,
    match_expressions: Sym,
    operator: Sym,
    key: Sym,
    values: Sym,
    owner_references: Sym,
    controller: Sym,
    name: Sym,
    service_account_name: Sym,
    service_account: Sym,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            kind: intern("kind"),
            metadata: intern("metadata"),
            spec: intern("spec"),
            template: intern("template"),
            job_template: intern("jobTemplate"),
            namespace: intern("namespace"),
            match_labels: intern("matchLabels"),
            match_expressions: intern("matchExpressions"),
            operator: intern("operator"),
            key: intern("key"),
            values: intern("values"),
            owner_references: intern("ownerReferences"),
            controller: intern("controller"),
            name: intern("name"),
            service_account_name: intern("serviceAccountName"),
            service_account: intern("serviceAccount"),
        }
    }
}

/// What `f(args)` gives, or `None` when the body is to say.
///
/// ```text
/// fn pod_spec(r) = pod_template(r).spec
/// ```
///
/// ```text
/// fn pod_meta(r) = pod_template(r).metadata
/// ```
pub fn call<'a>(f: Intrinsic, n: &Names, inv: &Inventory<'a>, args: &[Val<'a>]) -> Option<Val<'a>> {
    match (f, args) {
        (Intrinsic::PodTemplate, [r]) => Some(pod_template(n, r)),
        (Intrinsic::PodSpec, [r]) => Some(template_part(n, r, n.spec)),
        (Intrinsic::PodMeta, [r]) => Some(template_part(n, r, n.metadata)),
        (Intrinsic::NamespaceOf, [r]) => Some(namespace_of(n, r)),
        (Intrinsic::Selects, [selector, labels]) => selects(n, selector, labels).map(Val::Bool),
        (Intrinsic::ControllerOf, [r]) => controller_of(n, r),
        (Intrinsic::ManagedInInventory, [r]) => managed_in_inventory(n, inv, r).map(Val::Bool),
        (Intrinsic::ServiceAccountName, [spec]) => Some(service_account_name(n, spec)),
        _ => None,
    }
}

/// `r.a.b...`, as a chain of fields reads it: missing from the first field
/// that is not there.
fn path<'a>(r: &Val<'a>, syms: &[Sym]) -> Val<'a> {
    let mut v = r.clone();
    for s in syms {
        if v.is_missing() {
            break;
        }
        v = v.get(*s);
    }
    v
}

/// ```text
/// fn pod_template(r) =
///   if r.kind == "Pod" then {metadata: r.metadata, spec: r.spec}
///   else if r.kind == "PodTemplate" then r.template
///   else if r.kind == "CronJob" then r.spec.jobTemplate.spec.template
///   else if r.kind in workload_kinds then r.spec.template
///   else null
/// ```
fn pod_template<'a>(n: &Names, r: &Val<'a>) -> Val<'a> {
    let kind = r.get(n.kind);
    match kind.as_str() {
        Some("Pod") => Val::Obj(Rc::new(vec![
            (Str::Ref("metadata"), r.get(n.metadata)),
            (Str::Ref("spec"), r.get(n.spec)),
        ])),
        Some("PodTemplate") => r.get(n.template),
        Some("CronJob") => path(r, &[n.spec, n.job_template, n.spec, n.template]),
        Some(k) if WORKLOAD_KINDS.contains(&k) => path(r, &[n.spec, n.template]),
        _ => Val::Null,
    }
}

/// `pod_template(r).spec` or `.metadata`: a Pod's own, read without making
/// the template object only to read one of its two fields.
fn template_part<'a>(n: &Names, r: &Val<'a>, part: Sym) -> Val<'a> {
    if r.get(n.kind).as_str() == Some("Pod") {
        r.get(part)
    } else {
        pod_template(n, r).get(part)
    }
}

/// ```text
/// fn namespace_of(r) =
///   if exists(r.metadata.namespace) and r.metadata.namespace != "" then r.metadata.namespace
///   else "default"
/// ```
fn namespace_of<'a>(n: &Names, r: &Val<'a>) -> Val<'a> {
    let ns = path(r, &[n.metadata, n.namespace]);
    if !ns.is_unset() && ns.as_str() != Some("") {
        ns
    } else {
        Val::Str(Str::Ref("default"))
    }
}

/// ```text
/// fn service_account_name(spec) {
///   let named =
///     if (spec.serviceAccountName ?? "") != "" then spec.serviceAccountName else spec.serviceAccount
///   if (named ?? "") != "" then named else "default"
/// }
/// ```
///
/// Asked of every pod view (`crate::pod_view`), where the body took about
/// 1,900 instructions a view.
fn service_account_name<'a>(n: &Names, spec: &Val<'a>) -> Val<'a> {
    // `(x ?? "") != ""`: set, and not the empty string (a value of another
    // type is never equal to it).
    let named_here = |v: &Val<'_>| !v.is_unset() && v.as_str() != Some("");
    let name = spec.get(n.service_account_name);
    let named = if named_here(&name) {
        name
    } else {
        spec.get(n.service_account)
    };
    if named_here(&named) {
        named
    } else {
        Val::Str(Str::Ref("default"))
    }
}

/// ```text
/// fn controller_of(r) = first([o for o in r.metadata.ownerReferences ?? [] if o.controller == true])
/// ```
///
/// `None` for `ownerReferences` that are not a list.
fn controller_of<'a>(n: &Names, r: &Val<'a>) -> Option<Val<'a>> {
    let owners = path(r, &[n.metadata, n.owner_references]);
    if owners.is_unset() {
        return Some(Val::Missing);
    }
    if !owners.is_list() {
        return None;
    }
    Some(
        owners
            .items()
            .find(|o| o.get(n.controller).equals_scalar(&Frozen::Bool(true)) == Some(true))
            .unwrap_or_default(),
    )
}

/// ```text
/// fn managed_in_inventory(r) {
///   let c = controller_of(r)
///   exists(c.kind)
///   and exists(c.name)
///   and len(resources(kind: c.kind, namespace: namespace_of(r), name: c.name)) > 0
/// }
/// ```
///
/// The query is the one `resources` makes of those arguments (a kind or
/// name that is not a string finds nothing; a namespace that is not one
/// is the default namespace), without the list of what it found.
fn managed_in_inventory(n: &Names, inv: &Inventory<'_>, r: &Val<'_>) -> Option<bool> {
    let c = controller_of(n, r)?;
    let (kind, name) = (c.get(n.kind), c.get(n.name));
    // Unset, or not a string: nothing to find.
    let (Some(kind), Some(name)) = (kind.as_str(), name.as_str()) else {
        return Some(false);
    };
    let ns = namespace_of(n, r);
    let q = Query {
        kind: Some(kind),
        namespace: Some(ns.as_str().unwrap_or("")),
        name: Some(name),
        api_version: None,
        labels: None,
        selector: None,
        owner: None,
    };
    Some(!inv.query(&q).is_empty())
}

/// `base[ix]`, as an index reads it.
fn index<'a>(base: &Val<'a>, ix: &Val<'a>) -> Val<'a> {
    match ix.resolve() {
        Val::Num(i) => base.index(i),
        Val::Str(s) => base.get_str(s.as_str()),
        _ => Val::Missing,
    }
}

/// ```text
/// fn selects(selector, labels) =
///   exists(selector)
///   and (all k, v in selector.matchLabels ?? {}: (labels ?? {})[k] == v)
///   and (all e in selector.matchExpressions ?? []: expression_holds(e, labels ?? {}))
/// ```
///
/// `None` for a `matchLabels` that is not an object or a
/// `matchExpressions` that is not a list (the body goes through them as
/// it goes through anything, or stops with an error).
fn selects(n: &Names, selector: &Val<'_>, labels: &Val<'_>) -> Option<bool> {
    if selector.is_unset() {
        return Some(false);
    }
    let match_labels = selector.get(n.match_labels);
    let expressions = selector.get(n.match_expressions);
    let labels_ok = match_labels.is_unset() || match_labels.is_obj();
    let expressions_ok = expressions.is_unset() || expressions.is_list();
    if !labels_ok || !expressions_ok {
        return None;
    }
    // `labels ?? {}`: an unset set of labels has none.
    let none = Val::Missing;
    let labels = if labels.is_unset() { &none } else { labels };
    if !match_labels.is_unset() {
        for i in 0..match_labels.pair_count() {
            let (k, v) = match_labels.pair_at(i, true);
            if !index(labels, &k).equals(&v) {
                return Some(false);
            }
        }
    }
    if !expressions.is_unset() {
        for e in expressions.items() {
            if !expression_holds(n, &e, labels) {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// ```text
/// fn expression_holds(e, labels) =
///   if e.operator == "In" then exists(labels[e.key]) and labels[e.key] in (e.values ?? [])
///   else if e.operator == "NotIn" then not exists(labels[e.key])
///     or labels[e.key] not in (e.values ?? [])
///   else if e.operator == "Exists" then exists(labels[e.key])
///   else if e.operator == "DoesNotExist" then not exists(labels[e.key])
///   else false
/// ```
fn expression_holds(n: &Names, e: &Val<'_>, labels: &Val<'_>) -> bool {
    let operator = e.get(n.operator);
    let value = || index(labels, &e.get(n.key));
    // `x in (e.values ?? [])`: nothing is in an unset list.
    let listed = |x: &Val<'_>| {
        let values = e.get(n.values);
        !values.is_unset() && values.contains(x)
    };
    match operator.as_str() {
        Some("In") => {
            let v = value();
            !v.is_unset() && listed(&v)
        }
        Some("NotIn") => {
            let v = value();
            v.is_unset() || !listed(&v)
        }
        Some("Exists") => !value().is_unset(),
        Some("DoesNotExist") => value().is_unset(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `std-lib/k8s.ward` as built in.
    fn k8s() -> &'static str {
        crate::engine::embedded_files()
            .iter()
            .find(|(name, _)| *name == "std-lib/k8s.ward")
            .map(|(_, text)| *text)
            .unwrap_or_default()
    }

    /// The function texts this module's comments quote (in `text` blocks).
    fn quoted() -> Vec<String> {
        let mut out = Vec::new();
        let mut block: Option<String> = None;
        for line in include_str!("intrinsics.rs").lines() {
            let Some(doc) = line.trim_start().strip_prefix("///") else {
                continue;
            };
            let doc = doc.strip_prefix(' ').unwrap_or(doc);
            match (&mut block, doc) {
                (None, "```text") => block = Some(String::new()),
                (Some(b), "```") => {
                    out.push(std::mem::take(b));
                    block = None;
                }
                (Some(b), text) => {
                    b.push_str(text);
                    b.push('\n');
                }
                (None, _) => {}
            }
        }
        out
    }

    /// A native form is written for the text of its function: editing
    /// the function in `std-lib/` without its native form fails here.
    #[test]
    fn the_native_forms_are_of_the_functions_as_written() {
        let source = k8s();
        let quoted = quoted();
        assert_eq!(quoted.len(), 9, "{quoted:?}");
        for text in &quoted {
            assert!(
                source.contains(text.as_str()),
                "std-lib/k8s.ward no longer says:\n{text}"
            );
        }
        let mut kinds = String::from("let workload_kinds = [\n");
        for k in WORKLOAD_KINDS {
            kinds.push_str(&format!("  \"{k}\",\n"));
        }
        kinds.push(']');
        assert!(source.contains(&kinds), "{kinds}");
        // Each function named has its text quoted.
        for (name, _) in BY_NAME {
            let short = name.rsplit('.').next().unwrap_or(name);
            assert!(
                quoted
                    .iter()
                    .any(|q| q.starts_with(&format!("fn {short}("))),
                "{name}"
            );
        }
    }
}
