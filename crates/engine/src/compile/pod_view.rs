//! Which controls read a resource only through its pod view, so that
//! objects with the same view (a Deployment, its ReplicaSets and their
//! Pods) can share what such a control finds (see `crate::pod_view`).
//!
//! A resource's pod view is what `std.k8s.pod_spec` gives without the
//! fields admission adds to a Pod (`nodeName`, `tolerations`, `volumes`,
//! `serviceAccount`, `priority`, `preemptionPolicy`, and each container's
//! `volumeMounts`), the `annotations` of what `std.k8s.pod_meta` gives,
//! what `std.k8s.namespace_of` gives, and the service account
//! `std.k8s.service_account_name` names from the spec (which admission
//! leaves as it is, setting `serviceAccountName` and `serviceAccount`
//! alike). A control reads only the view
//! when every value it works with is made from the view, constants,
//! params, the profile and the inventory: `input` is only handed to those
//! three functions (or to functions that only hand it on), and what they
//! give is read by field name, never whole (its keys, its text, a
//! comparison), so that the fields left out of the view cannot change
//! what the control finds.
//!
//! The analysis follows each value's kind through locals, calls (each
//! function analysed for the kinds of its arguments), loops and
//! comprehensions; anything it does not follow makes the control
//! ineligible.

use super::{CClause, CControl, CExpr, CFinding, CFix, CFn, CKind, CPart, CStmt, CStmtKind};
use crate::value::val::Frozen;
use rustc_hash::FxHashMap;
use ward_lang::ast::BinOp;
use ward_lang::builtins::Builtin;
use ward_lang::hir::Slot;

/// The fields of a pod spec that admission adds to a Pod: not in the view.
pub const ADMITTED: [&str; 6] = [
    "nodeName",
    "tolerations",
    "volumes",
    "serviceAccount",
    "priority",
    "preemptionPolicy",
];

/// The field of a container that admission adds to (the token's mount).
pub const ADMITTED_IN_CONTAINER: &str = "volumeMounts";

/// The lists of containers in a pod spec.
pub const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// The functions that make the view, by qualified name.
pub const SPEC_FN: &str = "std.k8s.pod_spec";
pub const META_FN: &str = "std.k8s.pod_meta";
pub const NAMESPACE_FN: &str = "std.k8s.namespace_of";
/// The function that names a pod spec's service account from the two
/// fields admission sets alike (`serviceAccountName`, `serviceAccount`):
/// its name is part of the view, so a control that asks it of the view's
/// spec reads only the view, though `serviceAccount` itself is left out.
pub const ACCOUNT_FN: &str = "std.k8s.service_account_name";

/// What a value is, as far as the view goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum K {
    /// Holds nothing outside the view: a scalar, a part of the view that
    /// admission does not touch, something built from those.
    Plain,
    /// The resource itself.
    Input,
    /// The pod spec.
    Spec,
    /// A list of containers of the spec.
    Containers,
    /// One container.
    Container,
    /// The pod metadata: only its `annotations` are in the view.
    Meta,
}

/// The functions that make the view, by index.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accessors {
    pub spec: Option<u32>,
    pub meta: Option<u32>,
    pub namespace: Option<u32>,
    pub account: Option<u32>,
}

/// Marks each control that reads a resource only through its pod view.
pub(super) fn mark(controls: &mut [CControl], fns: &[CFn], acc: Accessors) {
    let mut a = Analysis {
        fns,
        acc,
        calls: FxHashMap::default(),
        known: Vec::new(),
    };
    for c in controls {
        let mut slots = vec![None; c.slots as usize];
        let mut used_input = false;
        let ok = a.stmts(&c.body, &mut slots, &mut used_input)
            && c.let_places.iter().flatten().all(|p| {
                // A place is only where a finding points: its value never
                // reaches a message. It is read with the kinds its `let`
                // gave the slots it names (unknown ones fail).
                a.expr(p, &mut slots.clone(), &mut used_input).is_some()
            });
        c.pod_view = ok && used_input;
    }
}

struct Analysis<'f> {
    fns: &'f [CFn],
    acc: Accessors,
    /// Per function and argument kinds, the kind of its result (`None`:
    /// it reads outside the view).
    calls: FxHashMap<(u32, Vec<K>), Option<K>>,
    /// Loop variables going through a literal list of names, each bound to
    /// the name of the turn being analysed: `for f in ["hostPID"] {
    /// spec[f] }` reads `hostPID` by name.
    known: Vec<(Slot, String)>,
}

type Slots = Vec<Option<K>>;

fn set(slots: &mut Slots, s: Slot, k: K) {
    let i = s as usize;
    if slots.len() <= i {
        slots.resize(i + 1, None);
    }
    if let Some(x) = slots.get_mut(i) {
        *x = Some(k);
    }
}

impl Analysis<'_> {
    fn stmts(&mut self, stmts: &[CStmt], slots: &mut Slots, used: &mut bool) -> bool {
        for s in stmts {
            let ok = match &s.kind {
                CStmtKind::Match(e) => self.plain(e, slots, used),
                CStmtKind::Let { slot, value, .. } => match self.expr(value, slots, used) {
                    Some(k) => {
                        set(slots, *slot, k);
                        true
                    }
                    None => false,
                },
                CStmtKind::For {
                    key,
                    value,
                    iter,
                    body,
                    ..
                } if literal_names(iter).is_some() => {
                    // Each turn is analysed with its name known.
                    set(slots, *value, K::Plain);
                    if let Some(k) = key {
                        set(slots, *k, K::Plain);
                    }
                    literal_names(iter)
                        .unwrap_or_default()
                        .into_iter()
                        .all(|name| {
                            self.known.push((*value, name));
                            let ok = self.stmts(body, slots, used);
                            self.known.pop();
                            ok
                        })
                }
                CStmtKind::For {
                    key,
                    value,
                    iter,
                    body,
                    ..
                } => match self.expr(iter, slots, used).and_then(item_of) {
                    Some(item) => {
                        set(slots, *value, item);
                        if let Some(k) = key {
                            set(slots, *k, K::Plain);
                        }
                        self.stmts(body, slots, used)
                    }
                    None => false,
                },
                CStmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.plain(cond, slots, used)
                        && self.stmts(then, slots, used)
                        && self.stmts(otherwise, slots, used)
                }
                CStmtKind::Finding(f) => self.finding(f, slots, used),
            };
            if !ok {
                return false;
            }
        }
        true
    }

    fn finding(&mut self, f: &CFinding, slots: &mut Slots, used: &mut bool) -> bool {
        let CFinding {
            when,
            at,
            message,
            fixes,
            ..
        } = f;
        for e in [when, message].into_iter().flatten() {
            if !self.plain(e, slots, used) {
                return false;
            }
        }
        // A place may be any part of the view: where it is in the next
        // object is found by its path.
        if let Some(e) = at
            && self.expr(e, slots, used).is_none()
        {
            return false;
        }
        for c in fixes {
            if let Some(w) = &c.when
                && !self.plain(w, slots, used)
            {
                return false;
            }
            for op in &c.ops {
                let ok = match op {
                    CFix::Set { path, value } => {
                        self.expr(path, slots, used).is_some() && self.plain(value, slots, used)
                    }
                    CFix::Remove { path } => self.expr(path, slots, used).is_some(),
                };
                if !ok {
                    return false;
                }
            }
        }
        true
    }

    /// Whether `e` is a plain value.
    fn plain(&mut self, e: &CExpr, slots: &mut Slots, used: &mut bool) -> bool {
        self.expr(e, slots, used) == Some(K::Plain)
    }

    /// The kind of `e`; `None` when it reads outside the view.
    fn expr(&mut self, e: &CExpr, slots: &mut Slots, used: &mut bool) -> Option<K> {
        match &e.kind {
            CKind::Lit(_) | CKind::Profile | CKind::Param(_) | CKind::Const(_) => Some(K::Plain),
            CKind::Input => Some(K::Input),
            CKind::Local(s) | CKind::Deferred(s) => slots.get(*s as usize).copied().flatten(),
            CKind::Plugin(..) => None,
            CKind::Field(base, sym) => field(self.expr(base, slots, used)?, sym.as_str()),
            CKind::Index(base, ix) => {
                let b = self.expr(base, slots, used)?;
                match b {
                    K::Plain => self.plain(ix, slots, used).then_some(K::Plain),
                    K::Containers => self.plain(ix, slots, used).then_some(K::Container),
                    _ => match &ix.kind {
                        CKind::Lit(Frozen::Interned(k)) => field(b, k),
                        CKind::Lit(Frozen::Str(k)) => field(b, k),
                        CKind::Local(slot) | CKind::Deferred(slot) => {
                            let name = self.known.iter().rev().find(|(s, _)| s == slot)?;
                            field(b, &name.1)
                        }
                        _ => None,
                    },
                }
            }
            CKind::Call(id, args) => self.call(*id, args, slots, used),
            CKind::Builtin {
                builtin,
                args,
                named,
                ..
            } => {
                // A query of the inventory (`resources`) with plain
                // arguments gives the same on every resource.
                let mut kinds = Vec::with_capacity(args.len());
                for a in args {
                    kinds.push(self.expr(a, slots, used)?);
                }
                for (_, x) in named {
                    if !self.plain(x, slots, used) {
                        return None;
                    }
                }
                match (builtin, kinds.as_slice()) {
                    (_, ks) if ks.iter().all(|k| *k == K::Plain) => Some(K::Plain),
                    // Whether a part of the view is there, or how many
                    // containers a list has, says nothing of what the view
                    // leaves out.
                    (Builtin::Exists, [K::Spec | K::Containers | K::Container | K::Meta]) => {
                        Some(K::Plain)
                    }
                    (Builtin::Len, [K::Containers]) => Some(K::Plain),
                    (Builtin::First | Builtin::Last, [K::Containers]) => Some(K::Container),
                    _ => None,
                }
            }
            CKind::Unary(_, x) => self.plain(x, slots, used).then_some(K::Plain),
            CKind::Binary(op, a, b) => {
                let ka = self.expr(a, slots, used)?;
                let kb = self.expr(b, slots, used)?;
                match (op, ka, kb) {
                    (_, K::Plain, K::Plain) => Some(K::Plain),
                    // Lists of containers joined, or defaulted to a
                    // literal: `(spec.initContainers ?? []) + ...`.
                    (BinOp::Add, K::Containers, K::Containers) => Some(K::Containers),
                    (BinOp::Coalesce, k, K::Plain) if is_empty_list(b) => Some(k),
                    (BinOp::Coalesce, K::Meta, K::Meta) => Some(K::Meta),
                    (BinOp::Coalesce, K::Spec, K::Spec) => Some(K::Spec),
                    (BinOp::Coalesce, K::Container, K::Container) => Some(K::Container),
                    (BinOp::Coalesce, K::Containers, K::Containers) => Some(K::Containers),
                    _ => None,
                }
            }
            CKind::If(c, a, b) => {
                if !self.plain(c, slots, used) {
                    return None;
                }
                let ka = self.expr(a, slots, used)?;
                let kb = self.expr(b, slots, used)?;
                match (ka, kb) {
                    _ if ka == kb => Some(ka),
                    (k, K::Plain) if is_empty_list(b) || is_null(b) => Some(k),
                    (K::Plain, k) if is_empty_list(a) || is_null(a) => Some(k),
                    _ => None,
                }
            }
            CKind::Interp(parts) => {
                for p in parts {
                    if let CPart::Expr(x) = p
                        && !self.plain(x, slots, used)
                    {
                        return None;
                    }
                }
                Some(K::Plain)
            }
            CKind::List(items) => {
                let mut all = None;
                for x in items {
                    let k = self.expr(x, slots, used)?;
                    match (all, k) {
                        (_, K::Plain) => {}
                        // A list of containers made by hand is still one.
                        (None | Some(K::Containers), K::Container) => all = Some(K::Containers),
                        _ => return None,
                    }
                }
                Some(all.unwrap_or(K::Plain))
            }
            CKind::Object(kvs) => {
                for (_, x) in kvs {
                    if !self.plain(x, slots, used) {
                        return None;
                    }
                }
                Some(K::Plain)
            }
            CKind::ListComp(x, clauses) => {
                if !self.clauses(clauses, slots, used) {
                    return None;
                }
                match self.expr(x, slots, used)? {
                    K::Plain => Some(K::Plain),
                    K::Container => Some(K::Containers),
                    _ => None,
                }
            }
            CKind::ObjectComp(k, v, clauses) => (self.clauses(clauses, slots, used)
                && self.plain(k, slots, used)
                && self.plain(v, slots, used))
            .then_some(K::Plain),
            CKind::Quant(_, key, value, coll, cond) => {
                let item = item_of(self.expr(coll, slots, used)?)?;
                set(slots, *value, item);
                if let Some(k) = key {
                    set(slots, *k, K::Plain);
                }
                self.plain(cond, slots, used).then_some(K::Plain)
            }
        }
    }

    fn clauses(&mut self, clauses: &[CClause], slots: &mut Slots, used: &mut bool) -> bool {
        for c in clauses {
            let ok = match c {
                CClause::For(key, value, coll) => {
                    match self.expr(coll, slots, used).and_then(item_of) {
                        Some(item) => {
                            set(slots, *value, item);
                            if let Some(k) = key {
                                set(slots, *k, K::Plain);
                            }
                            true
                        }
                        None => false,
                    }
                }
                CClause::If(x) => self.plain(x, slots, used),
            };
            if !ok {
                return false;
            }
        }
        true
    }

    fn call(&mut self, id: u32, args: &[CExpr], slots: &mut Slots, used: &mut bool) -> Option<K> {
        let mut kinds = Vec::with_capacity(args.len());
        for a in args {
            kinds.push(self.expr(a, slots, used)?);
        }
        if let [K::Spec] = kinds.as_slice()
            && Some(id) == self.acc.account
        {
            return Some(K::Plain);
        }
        if let [K::Input] = kinds.as_slice() {
            let acc = self.acc;
            if Some(id) == acc.spec {
                *used = true;
                return Some(K::Spec);
            }
            if Some(id) == acc.meta {
                *used = true;
                return Some(K::Meta);
            }
            if Some(id) == acc.namespace {
                *used = true;
                return Some(K::Plain);
            }
        }
        let key = (id, kinds);
        if let Some(k) = self.calls.get(&key) {
            // A function that hands `input` on reads the view, each time.
            if k.is_some() && key.1.contains(&K::Input) {
                *used = true;
            }
            return *k;
        }
        // Functions cannot call themselves: this ends. Until it does, a
        // call of the same function with the same kinds reads outside.
        self.calls.insert(key.clone(), None);
        let fns = self.fns;
        // The names the control's loops bound are its slots' names, not
        // the function's: its slots are numbered afresh.
        let known = std::mem::take(&mut self.known);
        let result = fns.get(id as usize).and_then(|f| {
            let mut frame: Slots = vec![None; f.slots.max(f.params) as usize];
            for (i, k) in key.1.iter().enumerate() {
                set(&mut frame, i as Slot, *k);
            }
            let mut inner_used = false;
            for (slot, e) in &f.lets {
                let k = self.expr(e, &mut frame, &mut inner_used)?;
                set(&mut frame, *slot, k);
            }
            let k = self.expr(&f.body, &mut frame, &mut inner_used)?;
            if inner_used {
                *used = true;
            }
            Some(k)
        });
        self.known = known;
        // A function that hands `input` to the view's functions is used
        // even when its own result is plain.
        if result.is_some() && key.1.contains(&K::Input) {
            *used = true;
        }
        self.calls.insert(key, result);
        result
    }
}

/// The kind of a field of a value of kind `k`.
fn field(k: K, name: &str) -> Option<K> {
    match k {
        K::Plain => Some(K::Plain),
        K::Spec if ADMITTED.contains(&name) => None,
        K::Spec if CONTAINER_LISTS.contains(&name) => Some(K::Containers),
        K::Spec => Some(K::Plain),
        K::Container if name == ADMITTED_IN_CONTAINER => None,
        K::Container => Some(K::Plain),
        K::Meta if name == "annotations" => Some(K::Plain),
        K::Meta | K::Input | K::Containers => None,
    }
}

/// The kind of what a loop over a value of kind `k` goes through.
fn item_of(k: K) -> Option<K> {
    match k {
        K::Plain => Some(K::Plain),
        K::Containers => Some(K::Container),
        _ => None,
    }
}

/// The names a literal list of strings holds (`["hostNetwork", "hostPID"]`).
fn literal_names(e: &CExpr) -> Option<Vec<String>> {
    let name = |f: &Frozen| match f {
        Frozen::Interned(s) => Some(s.to_string()),
        Frozen::Str(s) => Some(s.to_string()),
        _ => None,
    };
    match &e.kind {
        CKind::Lit(Frozen::List(items)) => items.iter().map(name).collect(),
        CKind::List(items) => items
            .iter()
            .map(|x| match &x.kind {
                CKind::Lit(f) => name(f),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn is_empty_list(e: &CExpr) -> bool {
    match &e.kind {
        CKind::List(items) => items.is_empty(),
        CKind::Lit(Frozen::List(items)) => items.is_empty(),
        _ => false,
    }
}

fn is_null(e: &CExpr) -> bool {
    matches!(&e.kind, CKind::Lit(Frozen::Null | Frozen::Missing))
}

#[cfg(test)]
mod tests {
    use crate::EngineBuilder;

    /// Whether each control of a policy (package `t`) reads only the pod
    /// view, by name.
    fn marked(policy: &str) -> Vec<(String, bool)> {
        let engine = match EngineBuilder::std_only().policy("t.ward", policy).build() {
            Ok(e) => e,
            Err(e) => panic!("{:?}", e.diagnostics),
        };
        engine
            .program
            .controls
            .iter()
            .zip(&engine.compiled.controls)
            .filter(|(d, _)| d.id.starts_with("t."))
            .map(|(d, c)| (d.id.trim_start_matches("t.").to_string(), c.pod_view))
            .collect()
    }

    const HEAD: &str = "package t\nuse std.k8s.{pod_spec, pod_meta, namespace_of, all_containers, service_account_name}\n\n";

    fn control(name: &str, body: &str) -> String {
        format!("control {name} {{\n  title \"{name}\"\n  severity low\n{body}\n}}\n")
    }

    #[test]
    fn controls_that_read_fields_of_the_view_by_name_are_marked() {
        let policy = [
            HEAD,
            &control(
                "containers",
                "  let spec = pod_spec(input)\n  for c in all_containers(spec) {\n    deny when c.securityContext.privileged == true\n      at c.securityContext.privileged\n      message \"{c.name} in {namespace_of(input)}\"\n      fix set c.securityContext.privileged = false\n  }",
            ),
            &control(
                "annotations",
                "  for k, v in pod_meta(input).annotations ?? {} {\n    deny when v == \"x\" at pod_meta(input).annotations[k] message \"{k}\"\n  }",
            ),
            &control(
                "spec_field",
                "  deny when pod_spec(input).hostNetwork == true at pod_spec(input).hostNetwork",
            ),
            &control(
                "named_fields",
                "  let spec = pod_spec(input)\n  for f in [\"hostNetwork\", \"hostPID\"] {\n    deny when spec[f] == true at spec[f] message \"{f}\" fix set spec[f] = false\n  }",
            ),
            &control(
                "through_a_function",
                "  match has_spec(input)\n  deny when pod_spec(input).hostPID == true",
            ),
            // Its function was analysed for the control before: the
            // answer kept for it still says it reads the view.
            &control(
                "only_through_a_function",
                "  deny when has_spec(input)",
            ),
            // The account the spec names is in the view, though the
            // `serviceAccount` field it may be read from is not.
            &control(
                "account",
                "  let spec = pod_spec(input)\n  match service_account_name(spec) != \"default\"\n  deny when not exists(spec.automountServiceAccountToken)\n    message \"{service_account_name(spec)}\"",
            ),
            "fn has_spec(r) = exists(pod_spec(r)) and namespace_of(r) != \"kube-system\"\n",
        ]
        .concat();
        let all = marked(&policy);
        assert_eq!(all.len(), 7, "{all:?}");
        for (name, m) in &all {
            assert!(m, "{name} is not marked");
        }
    }

    #[test]
    fn controls_that_can_see_past_the_view_are_not_marked() {
        let cases = [
            ("node", "  deny when pod_spec(input).nodeName == \"n\""),
            (
                "volumes",
                "  for v in pod_spec(input).volumes ?? [] {\n    deny when exists(v.hostPath)\n  }",
            ),
            (
                "mounts",
                "  for c in all_containers(pod_spec(input)) {\n    deny when len(c.volumeMounts ?? []) > 0\n  }",
            ),
            ("labels", "  deny when pod_meta(input).labels.app == \"x\""),
            (
                "kind",
                "  match exists(pod_spec(input))\n  deny when input.kind == \"Pod\"",
            ),
            ("whole_spec", "  deny when len(keys(pod_spec(input))) > 3"),
            (
                "whole_container",
                "  for c in all_containers(pod_spec(input)) {\n    deny when contains(to_json(c), \"x\")\n  }",
            ),
            (
                "dynamic_field",
                "  for f in [\"hostPID\"] {\n    let g = f + \"\"\n    deny when pod_spec(input)[g] == true\n  }",
            ),
            (
                // The function's key sits in the slot the loop's name has in
                // the control: it is not that name.
                "name_in_a_function",
                "  let spec = pod_spec(input)\n  for f in [\"hostPID\"] {\n    deny when pick(spec, \"nodeName\") == f\n  }",
            ),
            (
                "named_admitted_field",
                "  for f in [\"hostPID\", \"nodeName\"] {\n    deny when pod_spec(input)[f] == \"x\"\n  }",
            ),
            ("no_input", "  deny when len(resources(kind: \"Pod\")) > 5"),
            (
                "account_field",
                "  deny when pod_spec(input).serviceAccount == \"builder\"",
            ),
            (
                // Named from something other than the view's spec, the
                // account's function reads fields like any other.
                "account_of_the_input",
                "  match exists(pod_spec(input))\n  deny when service_account_name(input) == \"x\"",
            ),
        ];
        let policy: String = std::iter::once(HEAD.to_string())
            .chain(cases.iter().map(|(n, b)| control(n, b)))
            .chain(std::iter::once("fn pick(spec, k) = spec[k]\n".to_string()))
            .collect();
        let all = marked(&policy);
        assert_eq!(all.len(), cases.len(), "{all:?}");
        for (name, m) in &all {
            assert!(!m, "{name} is marked");
        }
    }

    #[test]
    fn the_built_in_pod_controls_that_read_only_the_view_are_marked() {
        let engine = match EngineBuilder::new().build() {
            Ok(e) => e,
            Err(e) => panic!("{e:?}"),
        };
        let mark = |id: &str| {
            engine
                .control_index(id)
                .and_then(|i| engine.compiled.controls.get(i))
                .map(|c| c.pod_view)
        };
        for id in [
            "pss.baseline.privileged",
            "pss.baseline.hostNamespaces",
            "pss.baseline.appArmorProfile",
            "pss.restricted.runAsNonRoot",
            "cis.k8s.net_raw_capability",
            // It names the pod's service account with
            // `std.k8s.service_account_name`, whose answer is in the view.
            "cis.k8s.service_account_token_mount",
        ] {
            assert_eq!(mark(id), Some(true), "{id}");
        }
        // The first reads volumes, which admission adds to; the others
        // read the resource's kind (and the second `serviceAccount`
        // itself): not shared.
        for id in [
            "pss.restricted.restrictedVolumes",
            "checklist.no_token_automount",
            "cis.k8s.default_service_account",
        ] {
            assert_eq!(mark(id), Some(false), "{id}");
        }
    }
}
