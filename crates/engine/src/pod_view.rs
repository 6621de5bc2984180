//! What objects with the same pod view share: the outcome of each control
//! that reads a resource only through its view (`compile::pod_view` says
//! which), worked out on the first such object and handed to the others
//! at their own places.
//!
//! A Deployment, its ReplicaSets and their Pods have the same view: the
//! pod spec without what admission adds to a Pod, the annotations of the
//! pod's metadata, the namespace. Views are compared exactly (hashed to
//! find candidates, then compared field by field), numbered per worker,
//! and each unit remembers, per control, view and profile, whether the
//! control applied and what it found: each finding by its path from the
//! spec or the metadata, each fix by its path after that root's pointer.
//! A finding anywhere else makes the outcome not shared.

use crate::compile::pod_view::{ADMITTED, ADMITTED_IN_CONTAINER, Accessors, CONTAINER_LISTS};
use crate::eval::{Evaluator, FixOp, RawFinding};
use crate::value::doc::{Node, NodeRef, Seg};
use crate::value::intern::{Sym, lookup};
use crate::value::val::Val;
use rustc_hash::{FxHashMap, FxHasher};
use smallvec::SmallVec;
use std::cell::OnceCell;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use ward_lang::ast::FindingKind;

/// One resource's view.
#[derive(Debug)]
pub struct View<'a> {
    /// Its number among the views the worker has seen.
    pub number: u32,
    spec: NodeRef<'a>,
    meta: Option<NodeRef<'a>>,
    spec_pointer: OnceCell<String>,
    meta_pointer: OnceCell<String>,
}

impl View<'_> {
    fn spec_pointer(&self) -> &str {
        self.spec_pointer.get_or_init(|| self.spec.pointer())
    }

    fn meta_pointer(&self) -> Option<&str> {
        let m = self.meta?;
        Some(self.meta_pointer.get_or_init(|| m.pointer()))
    }
}

/// A resource's view, worked out when the first control that could share
/// asks for it: `None` inside when the resource has none.
pub type Slot<'a> = Option<Option<View<'a>>>;

/// What a view is compared by.
#[derive(Debug)]
struct Seen<'a> {
    spec: NodeRef<'a>,
    annotations: Option<NodeRef<'a>>,
    namespace: Box<str>,
    /// The service account the spec names.
    account: Box<str>,
    number: u32,
}

/// Key of a remembered outcome: control, view, profile.
type Key = (usize, u32, u64);

/// A key as it is kept; `None` for a control number past `u32` (never
/// remembered).
fn compact((control, view, profile): Key) -> Option<(u32, u32, u64)> {
    Some((u32::try_from(control).ok()?, view, profile))
}

/// The views a worker has seen and what each unit's controls did on them.
#[derive(Debug, Default)]
pub struct PodViews<'a> {
    names: Names,
    seen: FxHashMap<u64, SmallVec<[Seen<'a>; 1]>>,
    next: u32,
    /// Per unit: each control's outcome per view and profile.
    outcomes: Vec<Outcomes>,
}

/// What one unit's controls did on the views a worker has seen. Most
/// outcomes are "did not apply" or "applied, found nothing": those are
/// told by the entry alone, so that an entry is 24 bytes rather than a
/// key with an outcome beside it (56).
#[derive(Debug, Default)]
struct Outcomes {
    /// Control, view and profile: [`NOT_HANDED_ON`], [`NOT_APPLIED`],
    /// [`CLEAN`], or [`LISTED`] plus the outcome's place in `listed`.
    done: FxHashMap<(u32, u32, u64), u32>,
    /// The outcomes with findings.
    listed: Vec<Outcome>,
}

/// An outcome not handed on: a finding was outside the view.
const NOT_HANDED_ON: u32 = 0;
/// The control's `match` did not hold.
const NOT_APPLIED: u32 = 1;
/// The control applied and found nothing.
const CLEAN: u32 = 2;
/// The first number of an outcome with findings.
const LISTED: u32 = 3;

/// The outcomes [`NOT_APPLIED`] and [`CLEAN`] stand for.
static NOT_APPLIED_OUTCOME: Outcome = Outcome {
    applied: false,
    kept: Vec::new(),
};
static CLEAN_OUTCOME: Outcome = Outcome {
    applied: true,
    kept: Vec::new(),
};

impl Outcomes {
    fn clear(&mut self) {
        self.done.clear();
        self.listed.clear();
    }
}

impl<'a> PodViews<'a> {
    /// How many views and outcomes it keeps before it starts over.
    const CAP: usize = 1 << 16;

    /// How many outcomes a unit keeps before it starts over: as many as a
    /// table of [`Self::CAP`] places holds without growing to twice that.
    const OUTCOMES: usize = Self::CAP / 8 * 7;

    /// How many different views with one hash it tells apart.
    const SAME_HASH: usize = 4;

    pub fn new(units: usize) -> Self {
        PodViews {
            names: Names::new(),
            outcomes: (0..units).map(|_| Outcomes::default()).collect(),
            ..PodViews::default()
        }
    }

    /// The view of `root`, numbered: the same number as an equal view seen
    /// before. `None` when the resource has no pod spec in a document.
    pub fn view(
        &mut self,
        ev: &mut Evaluator<'_, 'a>,
        acc: Accessors,
        root: NodeRef<'a>,
    ) -> Option<View<'a>> {
        let input = Val::Node(root);
        let spec = ev.call_fn_value(acc.spec?, input.clone()).ok()?.node()?;
        if !matches!(spec.kind(), Node::Obj { .. }) {
            return None;
        }
        let meta = match ev.call_fn_value(acc.meta?, input.clone()).ok()? {
            Val::Missing | Val::Null => None,
            v => Some(v.node()?),
        };
        let namespace = ev.call_fn_value(acc.namespace?, input).ok()?;
        let namespace = namespace.as_str()?;
        // The service account the spec names (`ACCOUNT_FN`), which the
        // spec's walk leaves out with `serviceAccount`.
        let account = match acc.account {
            Some(f) => Some(ev.call_fn_within(f, root, Val::Node(spec)).ok()?),
            None => None,
        };
        let account = match &account {
            Some(v) => v.as_str()?,
            None => "",
        };
        let annotations = meta.and_then(|m| m.get_str("annotations"));
        let mut h = FxHasher::default();
        namespace.hash(&mut h);
        account.hash(&mut h);
        let names = self.names;
        walk_spec(&names, spec, &mut |p| match p {
            Part::Key(k) => k.hash(&mut h),
            Part::Container => 0u32.hash(&mut h),
            Part::Node(n) => n.hash_json(&mut h),
        });
        if let Some(a) = annotations {
            a.hash_json(&mut h);
        }
        let hash = h.finish();
        if self.seen.len() >= Self::CAP || self.next == u32::MAX {
            // Start over, numbers and outcomes together, so that no number
            // names two views.
            self.seen.clear();
            self.next = 0;
            for o in &mut self.outcomes {
                o.clear();
            }
        }
        let same = self.seen.entry(hash).or_default();
        let found = same.iter().find(|s| {
            &*s.namespace == namespace
                && &*s.account == account
                && same_annotations(s.annotations, annotations)
                && same_spec(&names, s.spec, spec)
        });
        let number = match found {
            Some(s) => s.number,
            None => {
                let number = self.next;
                self.next += 1;
                // Views that hash alike but differ are compared one by one:
                // a few are kept, so that an export made to collide costs
                // no more than a few comparisons a resource (the rest share
                // nothing).
                if same.len() < Self::SAME_HASH {
                    same.push(Seen {
                        spec,
                        annotations,
                        namespace: namespace.into(),
                        account: account.into(),
                        number,
                    });
                }
                number
            }
        };
        Some(View {
            number,
            spec,
            meta,
            spec_pointer: OnceCell::new(),
            meta_pointer: OnceCell::new(),
        })
    }

    /// What `unit`'s control did on an equal view under this profile:
    /// `None` when nothing is remembered, `Some(None)` when it was not to
    /// be handed on.
    pub fn find(&self, unit: usize, key: Key) -> Option<Option<&Outcome>> {
        let o = self.outcomes.get(unit)?;
        let done = *o.done.get(&compact(key)?)?;
        Some(match done {
            NOT_HANDED_ON => None,
            NOT_APPLIED => Some(&NOT_APPLIED_OUTCOME),
            CLEAN => Some(&CLEAN_OUTCOME),
            n => o.listed.get((n - LISTED) as usize),
        })
    }

    /// Remembers what `unit`'s control did on a view under a profile.
    pub fn keep(&mut self, unit: usize, key: Key, outcome: Option<Outcome>) {
        let (Some(o), Some(key)) = (self.outcomes.get_mut(unit), compact(key)) else {
            return;
        };
        if o.done.len() >= Self::OUTCOMES || o.listed.len() >= (u32::MAX - LISTED) as usize {
            o.clear();
        }
        let done = match outcome {
            None => NOT_HANDED_ON,
            Some(Outcome {
                applied: false,
                kept,
            }) if kept.is_empty() => NOT_APPLIED,
            Some(Outcome {
                applied: true,
                kept,
            }) if kept.is_empty() => CLEAN,
            Some(outcome) => {
                o.listed.push(outcome);
                LISTED + (o.listed.len() - 1) as u32
            }
        };
        o.done.insert(key, done);
    }
}

/// The keys the view leaves out or looks into, looked up in the
/// interner once, so that each key of a spec is told apart by its symbol
/// rather than read as text and compared with each name. `None`: no
/// document has the key (every key read is interned before evaluation).
#[derive(Clone, Copy, Debug, Default)]
struct Names {
    admitted: [Option<Sym>; ADMITTED.len()],
    lists: [Option<Sym>; CONTAINER_LISTS.len()],
    mounts: Option<Sym>,
}

impl Names {
    fn new() -> Names {
        Names {
            admitted: ADMITTED.map(lookup),
            lists: CONTAINER_LISTS.map(lookup),
            mounts: lookup(ADMITTED_IN_CONTAINER),
        }
    }

    /// A field of the spec that admission adds.
    fn admitted(&self, k: Sym) -> bool {
        self.admitted.contains(&Some(k))
    }

    /// A list of containers.
    fn list(&self, k: Sym) -> bool {
        self.lists.contains(&Some(k))
    }

    /// A container's volume mounts.
    fn mounts(&self, k: Sym) -> bool {
        self.mounts == Some(k)
    }
}

/// A step of a walk over the view's spec: a key, the start of a
/// container, or a value.
enum Part<'a> {
    Key(Sym),
    Container,
    Node(NodeRef<'a>),
}

/// Calls `visit` on each part of the spec in the view, in document order:
/// the spec without the fields admission adds, each container without
/// its volume mounts.
fn walk_spec<'a>(names: &Names, spec: NodeRef<'a>, visit: &mut dyn FnMut(Part<'a>)) {
    for (k, v) in spec.entries() {
        if names.admitted(k) {
            continue;
        }
        visit(Part::Key(k));
        if names.list(k) && matches!(v.kind(), Node::List { .. }) {
            for c in v.items() {
                visit(Part::Container);
                if matches!(c.kind(), Node::Obj { .. }) {
                    for (ck, cv) in c.entries() {
                        if !names.mounts(ck) {
                            visit(Part::Key(ck));
                            visit(Part::Node(cv));
                        }
                    }
                } else {
                    visit(Part::Node(c));
                }
            }
        } else {
            visit(Part::Node(v));
        }
    }
}

/// Whether two specs are the same in the view.
fn same_spec(names: &Names, a: NodeRef<'_>, b: NodeRef<'_>) -> bool {
    let kept = |(k, _): &(Sym, NodeRef<'_>)| !names.admitted(*k);
    let mut xs = a.entries().filter(kept);
    let mut ys = b.entries().filter(kept);
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return true,
            (Some((k, x)), Some((l, y))) => {
                if k != l {
                    return false;
                }
                let same = if names.list(k) && matches!(x.kind(), Node::List { .. }) {
                    x.len() == y.len()
                        && matches!(y.kind(), Node::List { .. })
                        && x.items()
                            .zip(y.items())
                            .all(|(c, d)| same_container(names, c, d))
                } else {
                    x.same_json(y)
                };
                if !same {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Whether two containers are the same in the view (their volume mounts
/// aside).
fn same_container(names: &Names, a: NodeRef<'_>, b: NodeRef<'_>) -> bool {
    if !matches!((a.kind(), b.kind()), (Node::Obj { .. }, Node::Obj { .. })) {
        return a.same_json(b);
    }
    let kept = |(k, _): &(Sym, NodeRef<'_>)| !names.mounts(*k);
    let mut xs = a.entries().filter(kept);
    let mut ys = b.entries().filter(kept);
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return true,
            (Some((k, x)), Some((l, y))) if k == l && x.same_json(y) => {}
            _ => return false,
        }
    }
}

fn same_annotations(a: Option<NodeRef<'_>>, b: Option<NodeRef<'_>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.same_json(b),
        _ => false,
    }
}

/// A finding, by where it is from the view's spec or metadata.
#[derive(Debug)]
struct Kept {
    kind: FindingKind,
    message: Arc<str>,
    in_meta: bool,
    path: Vec<Seg>,
    rest: Vec<Seg>,
    /// Each fix with its path after the root's pointer.
    fixes: Vec<FixOp>,
}

/// What a control did on a view.
#[derive(Debug)]
pub struct Outcome {
    pub applied: bool,
    kept: Vec<Kept>,
}

/// The path from `root` to `n`, when `n` is `root` or under it.
fn path_from(root: NodeRef<'_>, n: NodeRef<'_>) -> Option<Vec<Seg>> {
    if !std::ptr::eq(root.doc, n.doc) || n.id < root.id {
        return None;
    }
    let whole = n.path();
    let prefix = root.path();
    let rest = whole.get(prefix.len()..)?;
    (whole.get(..prefix.len()) == Some(&prefix[..])).then(|| rest.to_vec())
}

/// Whether a path from the spec goes only through what the view holds.
fn in_view(path: &[Seg]) -> bool {
    match path {
        [Seg::Key(k), ..] if ADMITTED.contains(&k.as_str()) => false,
        [Seg::Key(list), Seg::Index(_), Seg::Key(k), ..]
            if CONTAINER_LISTS.contains(&list.as_str()) && k == ADMITTED_IN_CONTAINER =>
        {
            false
        }
        _ => true,
    }
}

/// What a control did on `view`, to hand on; `None` when a finding or a
/// fix is outside the view.
pub fn remember(view: &View<'_>, applied: bool, found: &[RawFinding<'_>]) -> Option<Outcome> {
    let mut kept = Vec::with_capacity(found.len());
    for f in found {
        let (in_meta, path) = match path_from(view.spec, f.node) {
            Some(p) if in_view(&p) => (false, p),
            Some(_) => return None,
            None => (true, path_from(view.meta?, f.node)?),
        };
        let prefix = if in_meta {
            view.meta_pointer()?
        } else {
            view.spec_pointer()
        };
        let mut fixes = Vec::with_capacity(f.fixes.len());
        for fx in &f.fixes {
            let rest = fx.path.strip_prefix(prefix)?;
            if !(rest.is_empty() || rest.starts_with('/')) {
                return None;
            }
            fixes.push(FixOp {
                op: fx.op,
                path: rest.to_string(),
                value: fx.value.clone(),
            });
        }
        kept.push(Kept {
            kind: f.kind,
            message: f.message.clone(),
            in_meta,
            path,
            rest: f.rest.clone(),
            fixes,
        });
    }
    Some(Outcome { applied, kept })
}

impl Outcome {
    /// Appends the findings at `view`'s places; `false` (and nothing
    /// appended) when one of them is not there.
    pub fn replay<'a>(
        &self,
        control: usize,
        view: &View<'a>,
        out: &mut Vec<RawFinding<'a>>,
    ) -> bool {
        let mut found = Vec::with_capacity(self.kept.len());
        for k in &self.kept {
            let (mut n, prefix) = if k.in_meta {
                match (view.meta, view.meta_pointer()) {
                    (Some(m), Some(p)) => (m, p),
                    _ => return false,
                }
            } else {
                (view.spec, "")
            };
            for s in &k.path {
                let next = match s {
                    Seg::Key(key) => n.get_str(key),
                    Seg::Index(i) => n.index(*i),
                };
                match next {
                    Some(m) => n = m,
                    None => return false,
                }
            }
            let prefix = if k.in_meta {
                prefix
            } else if k.fixes.is_empty() {
                ""
            } else {
                view.spec_pointer()
            };
            found.push(RawFinding {
                control,
                kind: k.kind,
                message: k.message.clone(),
                node: n,
                rest: k.rest.clone(),
                fixes: k
                    .fixes
                    .iter()
                    .map(|f| FixOp {
                        op: f.op,
                        path: format!("{prefix}{}", f.path),
                        value: f.value.clone(),
                    })
                    .collect(),
            });
        }
        out.extend(found);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(message: &str) -> Outcome {
        Outcome {
            applied: true,
            kept: vec![Kept {
                kind: FindingKind::Deny,
                message: message.into(),
                in_meta: false,
                path: vec![Seg::Key("hostPID".into())],
                rest: Vec::new(),
                fixes: Vec::new(),
            }],
        }
    }

    /// Specs are the same in the view when they are but for what
    /// admission adds (a node, tolerations, volumes, each container's
    /// mounts), and differ in anything else: a container's field is not
    /// the spec's field of that name after the list, a container that is
    /// not an object is not one that is, one container more is not the
    /// same, nor the same fields in another order or under another name.
    /// Views that are the same
    /// hash alike.
    #[test]
    fn specs_are_the_same_in_the_view_when_only_what_admission_adds_differs() {
        use crate::value::doc::Doc;
        use serde_json::json;
        let base =
            json!({"containers": [{"name": "a", "image": "x"}, {"name": "b"}], "hostPID": true});
        let same = [json!({
            "nodeName": "n1",
            "containers": [
                {"name": "a", "image": "x", "volumeMounts": [{"name": "kube-api-access-1"}]},
                {"name": "b", "volumeMounts": []}
            ],
            "tolerations": [{"key": "k"}],
            "hostPID": true,
            "volumes": [{"name": "kube-api-access-1"}]
        })];
        let different = [
            json!({"containers": [{"name": "a", "image": "x"}, {"name": "b", "hostPID": true}]}),
            json!({"containers": [{"name": "a", "image": "x"}, "b"], "hostPID": true}),
            json!({"containers": [{"name": "a", "image": "x"}, {"name": "b"}, {}], "hostPID": true}),
            json!({"containers": [{"image": "x", "name": "a"}, {"name": "b"}], "hostPID": true}),
            json!({"containers": [{"name": "a", "image": "y"}, {"name": "b"}], "hostPID": true}),
            json!({"containers": [{"name": "a", "img": "x"}, {"name": "b"}], "hostPID": true}),
            json!({"containers": [{"name": "a", "image": "x"}, {"name": "b"}], "hostIPC": true}),
            json!({"containers": [{"name": "a", "image": "x"}, {"name": "b"}], "hostPID": false}),
            json!({"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}),
            json!({"containers": {"name": "a"}, "hostPID": true}),
        ];
        let docs: Vec<Doc> = std::iter::once(&base)
            .chain(&same)
            .chain(&different)
            .map(Doc::from_json)
            .collect();
        let names = Names::new();
        let hash = |d: &Doc| {
            let mut h = FxHasher::default();
            walk_spec(&names, d.root(), &mut |p| match p {
                Part::Key(k) => k.hash(&mut h),
                Part::Container => 0u32.hash(&mut h),
                Part::Node(n) => n.hash_json(&mut h),
            });
            h.finish()
        };
        let Some((first, rest)) = docs.split_first() else {
            unreachable!("the base spec is first");
        };
        let (alike, unlike) = rest.split_at(same.len());
        for d in alike {
            assert!(
                same_spec(&names, first.root(), d.root()),
                "{:?}",
                d.root().to_json()
            );
            assert!(same_spec(&names, d.root(), first.root()));
            assert_eq!(hash(first), hash(d));
        }
        for d in unlike {
            assert!(
                !same_spec(&names, first.root(), d.root()),
                "{:?}",
                d.root().to_json()
            );
            assert!(
                !same_spec(&names, d.root(), first.root()),
                "{:?}",
                d.root().to_json()
            );
        }
    }

    /// An outcome comes back as it was kept, whichever way it is stored:
    /// by the entry alone or in the list beside the entries.
    #[test]
    fn outcomes_come_back_as_kept() {
        let mut views = PodViews::new(2);
        let not_applied = Outcome {
            applied: false,
            kept: Vec::new(),
        };
        let clean = Outcome {
            applied: true,
            kept: Vec::new(),
        };
        views.keep(0, (1, 0, 0), Some(not_applied));
        views.keep(0, (2, 0, 0), Some(clean));
        views.keep(0, (3, 0, 0), Some(listed("a")));
        views.keep(0, (3, 1, 0), Some(listed("b")));
        views.keep(0, (4, 0, 7), None);
        views.keep(1, (1, 0, 0), Some(listed("c")));
        let found = |unit, key| {
            views.find(unit, key).map(|o| {
                o.map(|o| {
                    (
                        o.applied,
                        o.kept
                            .iter()
                            .map(|k| k.message.to_string())
                            .collect::<Vec<_>>(),
                    )
                })
            })
        };
        assert_eq!(found(0, (1, 0, 0)), Some(Some((false, vec![]))));
        assert_eq!(found(0, (2, 0, 0)), Some(Some((true, vec![]))));
        assert_eq!(
            found(0, (3, 0, 0)),
            Some(Some((true, vec!["a".to_string()])))
        );
        assert_eq!(
            found(0, (3, 1, 0)),
            Some(Some((true, vec!["b".to_string()])))
        );
        assert_eq!(found(0, (4, 0, 7)), Some(None));
        assert_eq!(found(0, (4, 0, 0)), None);
        assert_eq!(
            found(1, (1, 0, 0)),
            Some(Some((true, vec!["c".to_string()])))
        );
        assert_eq!(found(1, (3, 0, 0)), None);
        assert_eq!(found(2, (1, 0, 0)), None);
    }

    /// A unit that has kept as many outcomes as its table holds starts
    /// over, the listed outcomes with the entries, rather than growing.
    #[test]
    fn a_full_unit_starts_over() {
        let mut views = PodViews::new(1);
        views.keep(0, (0, 0, 0), Some(listed("first")));
        for v in 1..PodViews::OUTCOMES as u32 {
            views.keep(0, (0, v, 0), None);
        }
        assert!(views.find(0, (0, 0, 0)).is_some());
        views.keep(0, (1, 0, 0), Some(listed("after")));
        assert!(views.find(0, (0, 0, 0)).is_none());
        let Some(Some(o)) = views.find(0, (1, 0, 0)) else {
            panic!("the outcome kept after starting over is found");
        };
        assert_eq!(o.kept.len(), 1);
        assert_eq!(views.outcomes[0].listed.len(), 1);
        assert!(views.outcomes[0].done.capacity() <= PodViews::CAP);
    }
}
