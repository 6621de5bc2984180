//! Evaluation of compiled controls over one resource at a time.
//!
//! Evaluation does no I/O: it reads the resource, the inventory, params and
//! constants, and calls plugins only through the [`Plugins`] trait. Every
//! expression costs a step; a control that runs out of its step budget on a
//! resource stops with an error naming it, and the other controls go on.
//! The budget is checked at every turn of a loop and every call, not at
//! every step, so that counting a step is one addition.

mod builtins;
mod intrinsics;
mod locate;

use crate::compile::{CClause, CExpr, CFix, CFn, CKind, CPart, CStmt, CStmtKind, Compiled};
use crate::inventory::Inventory;
use crate::value::doc::{Doc, NodeRef, Seg, push_pointer};
use crate::value::intern::Sym;
use crate::value::val::{Frozen, ObjBuilder, Str, Val};
use smallvec::SmallVec;
use std::rc::Rc;
use std::sync::Arc;
use ward_lang::ast::{BinOp, FindingKind, QuantKind, UnOp};
use ward_lang::builtins::Builtin;
use ward_lang::span::Span;

pub use intrinsics::Intrinsic;
pub use locate::Located;

/// The native form of the function named `qname`, if it has one.
pub fn intrinsic(qname: &str) -> Option<Intrinsic> {
    intrinsics::BY_NAME
        .iter()
        .find(|(name, _)| *name == qname)
        .map(|(_, i)| *i)
}

/// An error while evaluating, with the policy span that caused it.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub span: Span,
    pub message: String,
}

impl EvalError {
    /// Boxed: evaluation returns `Result`s on every step, and a boxed error
    /// keeps them the size of a value.
    pub fn new(span: Span, message: impl Into<String>) -> Box<EvalError> {
        Box::new(EvalError {
            span,
            message: message.into(),
        })
    }
}

type R<T> = Result<T, Box<EvalError>>;

/// Calls into sandboxed plugins; implemented by [`crate::plugin`].
pub trait Plugins: Sync {
    /// Calls `function` of plugin `plugin` with JSON arguments.
    fn call(
        &self,
        plugin: u32,
        function: &str,
        args: &[serde_json::Value],
    ) -> Result<serde_json::Value, String>;
}

/// Items, entries or bytes that a builtin or an operator goes through for
/// one more step (see [`Evaluator::through`]).
pub const ELEMENTS_PER_STEP: usize = 64;

/// Values that stay the same for a whole evaluation unit (a pack at a
/// version): params, constants and the profile.
#[derive(Debug, Clone)]
pub struct Env {
    pub params: Vec<Frozen>,
    pub consts: Vec<Frozen>,
    pub profile: Frozen,
    /// For each constant that is a list of strings long enough to be worth
    /// it, the set of them: `x in kinds` is then one lookup, not a scan.
    /// Made by [`Env::index_constants`].
    pub const_sets: Vec<Option<ConstSet>>,
}

/// A constant list of strings as a set, with the number of items a scan
/// of the list goes through (counted as the scan would be, see
/// [`Evaluator::through`]).
#[derive(Debug, Clone)]
pub struct ConstSet {
    pub strings: StrSet,
    pub items: usize,
}

/// A set of strings, looked up by `&str`.
pub type StrSet = rustc_hash::FxHashSet<Arc<str>>;

/// The fewest strings a constant list has before `in` looks it up in a set
/// rather than comparing them in turn.
const SET_FROM: usize = 4;

impl Env {
    /// Makes [`Env::const_sets`] from the constants as they now are.
    pub fn index_constants(&mut self) {
        self.const_sets = self
            .consts
            .iter()
            .map(|c| match c {
                Frozen::List(items) if items.len() >= SET_FROM => items
                    .iter()
                    .map(|i| match i {
                        Frozen::Str(s) => Some(s.clone()),
                        Frozen::Interned(s) => Some(Arc::from(*s)),
                        _ => None,
                    })
                    .collect::<Option<StrSet>>()
                    .map(|strings| ConstSet {
                        strings,
                        items: items.len(),
                    }),
                _ => None,
            })
            .collect();
    }
}

/// One JSON-patch-like fix operation.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FixOp {
    pub op: &'static str,
    pub path: String,
    /// Shared: the Pods of a Deployment are handed the fixes of its pod
    /// view, each the same object to set (a security context, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Arc<serde_json::Value>>,
}

/// A finding before it is joined with its resource's identity.
#[derive(Clone, Debug)]
pub struct RawFinding<'a> {
    pub control: usize,
    pub kind: FindingKind,
    /// Shared: the objects a pod view's outcome is handed to carry the
    /// same text (see `crate::pod_view`).
    pub message: Arc<str>,
    /// The nearest node that exists, and the path below it that does not.
    pub node: NodeRef<'a>,
    pub rest: Vec<Seg>,
    pub fixes: Vec<FixOp>,
}

impl RawFinding<'_> {
    /// The finding's JSON pointer, sized exactly: a finding keeps it to the
    /// end of the run, and it is built with room to spare.
    pub fn pointer(&self) -> String {
        let mut out = self.node.pointer();
        crate::value::doc::push_pointer(&mut out, &self.rest);
        out.shrink_to_fit();
        out
    }
}

/// Whether a control applied to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// A `match` did not hold.
    No,
    Yes,
}

/// The default number of steps one control may take on one resource.
pub const DEFAULT_BUDGET: u64 = 10_000_000;

/// The default number of steps one control may take over a whole run (all
/// resources together): a few seconds of work, far above what any shipped
/// control needs on a 100,000-resource export, and what stops a control
/// that joins every resource with every other.
pub const DEFAULT_RUN_BUDGET: u64 = 2_000_000_000;

pub struct Evaluator<'p, 'a> {
    prog: &'p Compiled,
    env: &'p Env,
    inv: &'p Inventory<'a>,
    plugins: Option<&'p dyn Plugins>,
    input: Val<'a>,
    stack: Vec<Val<'a>>,
    base: usize,
    steps: u64,
    pub budget: u64,
    /// Whether pure function results are remembered per resource.
    pub memoize: bool,
    /// Whether the `let`s the compiler marked deferred are worked out when
    /// first read rather than where they stand (see [`Evaluator::defer`]).
    pub defer_lets: bool,
    /// The expressions of the running control's deferred `let`s, by slot.
    pending: Vec<Option<&'p CExpr>>,
    /// Which slots hold a deferred `let` not worked out yet (only the first
    /// 64 are deferred): a `Deferred` read tests one bit.
    unforced: u64,
    /// Innermost loop elements that are document nodes: the default place a
    /// finding without `at` points to.
    focus: Vec<NodeRef<'a>>,
    regex_cache: std::collections::HashMap<String, Arc<regex::Regex>>,
    /// A per-resource profile that replaces the unit's.
    profile: Option<Val<'static>>,
    /// The unit's profile, thawed.
    unit_profile: Val<'a>,
    /// The unit's params and constants, thawed (see [`Frozen`]) the first
    /// time this evaluator reads each.
    params: Vec<Option<Val<'a>>>,
    consts: Vec<Option<Val<'a>>>,
    /// The literal lists and objects this evaluator has thawed, by the
    /// address of their frozen items, which the copy kept here holds.
    lits: rustc_hash::FxHashMap<usize, (Frozen, Val<'a>)>,
    /// The control being run, for `at` through `let`s.
    control: usize,
    /// Results of this unit's pure function calls on this resource.
    memo: ResourceMemo<'a>,
    /// Results of unit-free calls, handed from unit to unit (see
    /// [`Evaluator::swap_common`]).
    common: ResourceMemo<'a>,
    /// Per function, how often its body ran and what that cost: empty
    /// unless counting ([`Evaluator::count_calls`], for `--profile`).
    fn_counts: Vec<FnCount>,
    /// What decided each `match`, finding, and `if` or empty loop around
    /// findings, of the control runs, when recording (`ward explain --on`;
    /// see [`Evaluator::trace`]).
    trace: Option<Vec<TraceEvent<'a>>>,
    /// The finding statements that made a finding, by file and start, when
    /// counting (`ward test`; see [`Evaluator::count_statements`]).
    fired: Option<rustc_hash::FxHashSet<(u32, u32)>>,
    /// The field names the native forms of functions read.
    names: intrinsics::Names,
}

/// What decided one statement of a control run (a `match`, a finding, an
/// `if` or a loop that kept findings from being looked for), as
/// [`Evaluator::trace`] records it.
#[derive(Clone, Debug)]
pub struct TraceEvent<'a> {
    pub kind: TraceKind,
    /// The condition (or, for a finding without `when`, the statement).
    pub span: Span,
    /// The sub-expressions that decided it, each with its value shown as
    /// JSON (`missing` for a path that leads nowhere).
    pub values: Vec<(Span, String)>,
    /// The innermost loop element it happened in.
    pub focus: Option<NodeRef<'a>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A `match` that did not hold: the control does not apply.
    MatchFalse,
    /// A `deny`/`warn` whose `when` did not hold.
    WhenFalse,
    /// A finding made, with the values of its `when`.
    Found,
    /// An `if` whose condition kept its branch with findings from running.
    Branch,
    /// A `for` with findings in its body over a collection with nothing in
    /// it.
    EmptyLoop,
}

/// Whether statements hold a `deny` or `warn`, at any depth.
fn has_findings(stmts: &[CStmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        CStmtKind::Finding(_) => true,
        CStmtKind::For { body, .. } => has_findings(body),
        CStmtKind::If {
            then, otherwise, ..
        } => has_findings(then) || has_findings(otherwise),
        CStmtKind::Match(_) | CStmtKind::Let { .. } => false,
    })
}

/// A value as a trace shows it: JSON, cut short.
fn shown(v: &Val<'_>) -> String {
    const MOST: usize = 120;
    if v.is_missing() {
        return "missing".into();
    }
    let text = serde_json::to_string(&v.to_json()).unwrap_or_default();
    match text.char_indices().nth(MOST) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or("")),
        None => text,
    }
}

/// How often a function's body ran on one evaluator, and what it cost,
/// when counted. Calls a memo answered are not counted: they cost their
/// caller next to nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FnCount {
    pub runs: u64,
    /// Steps the runs took, those of the functions they called included.
    pub steps: u64,
    /// Time the runs took.
    pub nanos: u64,
}

/// Results of pure function calls: on one resource, by arguments, and
/// the context-free ones kept across resources. An evaluator keeps one for
/// its unit's functions; the evaluators of a worker pass one around
/// for the functions whose value is the same in every unit (see
/// `CFn::unit_free`), so the packs of a run ask `pod_spec` or
/// `namespace_of` of a resource once between them, not once each.
#[derive(Default, Debug)]
pub struct ResourceMemo<'a> {
    results: rustc_hash::FxHashMap<MemoKey, Val<'a>>,
    /// Results of calls `f(input)`, by function: six calls in ten. An entry
    /// is this resource's when its stamp is `stamp`.
    of_input: Vec<(u64, Val<'a>)>,
    /// Results of other one-argument calls on a node of this resource,
    /// by function and node (`all_containers(spec)`): a key of one word.
    on_node: rustc_hash::FxHashMap<u64, Val<'a>>,
    /// Counts the resources entered.
    stamp: u64,
    /// The resource the results belong to.
    of: Option<(usize, u32)>,
    /// Results of context-free function calls with scalar arguments, kept
    /// across resources: the same image, environment variable or quantity
    /// is judged once per worker (thread), not once per resource.
    shared: rustc_hash::FxHashMap<SharedKey<'a>, Val<'a>>,
    /// Results of context-free function calls on nodes of other resources
    /// (what a query over the inventory hands to a function), kept across
    /// resources: whether a Deployment is a checked workload, or what a
    /// Role grants, is worked out once per worker (thread), not once for
    /// every NetworkPolicy or binding that asks. In the memo the units share,
    /// what one pack's query worked out (`pod_spec` of a workload) is
    /// found by the others when the workload's own turn comes.
    foreign: rustc_hash::FxHashMap<MemoKey, Val<'a>>,
}

impl<'a> ResourceMemo<'a> {
    /// How many results it holds at most.
    const CAP: usize = 4096;

    /// Starts on a resource: results of another resource go.
    fn enter(&mut self, resource: (usize, u32)) {
        if self.of != Some(resource) {
            self.results.clear();
            self.on_node.clear();
            self.stamp += 1;
            self.of = Some(resource);
        }
    }

    /// The result of `f(input)` on this resource.
    fn of_input(&self, function: u32) -> Option<&Val<'a>> {
        self.of_input
            .get(function as usize)
            .filter(|(stamp, _)| *stamp == self.stamp)
            .map(|(_, v)| v)
    }

    fn insert_of_input(&mut self, function: u32, v: Val<'a>) {
        let i = function as usize;
        if self.of_input.len() <= i {
            self.of_input.resize_with(i + 1, Default::default);
        }
        if let Some(slot) = self.of_input.get_mut(i) {
            *slot = (self.stamp, v);
        }
    }

    fn get(&self, key: &MemoKey) -> Option<&Val<'a>> {
        self.results.get(key)
    }

    /// Where a one-argument call on `n` is remembered, when `n` is a node
    /// of this resource's document.
    fn place(&self, n: NodeRef<'_>) -> Option<Place> {
        let (doc, id) = self.of?;
        (doc == std::ptr::from_ref(n.doc) as usize).then_some(if n.id == id {
            Place::Input
        } else {
            Place::Node(n.id)
        })
    }

    /// The result of a one-argument call on a node of this resource.
    fn on_node(&self, function: u32, place: Place) -> Option<&Val<'a>> {
        match place {
            Place::Input => self.of_input(function),
            Place::Node(n) => self.on_node.get(&node_key(function, n)),
        }
    }

    fn insert_on_node(&mut self, function: u32, place: Place, v: Val<'a>) {
        match place {
            Place::Input => self.insert_of_input(function, v),
            Place::Node(n) => {
                if self.on_node.len() < Self::CAP {
                    self.on_node.insert(node_key(function, n), v);
                }
            }
        }
    }

    fn insert(&mut self, key: MemoKey, v: Val<'a>) {
        if self.results.len() < Self::CAP {
            self.results.insert(key, v);
        }
    }
}

/// The node a one-argument call is on: the resource itself, or another
/// node of its document.
#[derive(Clone, Copy, Debug)]
enum Place {
    Input,
    Node(u32),
}

/// Whether a call's arguments are `input` alone: `f(input)`.
#[inline]
fn on_input(args: &[CExpr]) -> bool {
    matches!(
        args,
        [CExpr {
            kind: CKind::Input,
            ..
        }]
    )
}

fn node_key(function: u32, node: u32) -> u64 {
    (u64::from(function) << 32) | u64::from(node)
}

/// The room an interpolated string keeps for each value it holds: most are
/// names, a few dozen bytes.
const INTERP_HOLE: usize = 24;

/// How many results a cross-resource memo holds before it starts over: as
/// many as a table of 65,536 places holds without growing to twice that.
const SHARED_MEMO_CAP: usize = (1 << 16) / 8 * 7;

/// Remembers a result in a memo kept across resources, which starts over
/// when it is full rather than growing with the export.
fn keep_across_resources<'a, K: std::hash::Hash + Eq>(
    memo: &mut rustc_hash::FxHashMap<K, Val<'a>>,
    key: K,
    v: Val<'a>,
) {
    if memo.len() >= SHARED_MEMO_CAP {
        memo.clear();
    }
    memo.insert(key, v);
}

/// A context-free call's identity: the function and up to three scalar
/// arguments, strings compared by their text (wherever they were read).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct SharedKey<'a> {
    function: u32,
    args: [SArg<'a>; 3],
}

#[derive(Clone, Debug)]
enum SArg<'a> {
    None,
    Missing,
    Null,
    Bool(bool),
    Num(u64),
    Str(crate::value::val::Str<'a>),
    Version(ward_lang::ast::Version),
}

impl PartialEq for SArg<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SArg::None, SArg::None)
            | (SArg::Missing, SArg::Missing)
            | (SArg::Null, SArg::Null) => true,
            (SArg::Bool(a), SArg::Bool(b)) => a == b,
            (SArg::Num(a), SArg::Num(b)) => a == b,
            (SArg::Str(a), SArg::Str(b)) => a.as_str() == b.as_str(),
            (SArg::Version(a), SArg::Version(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for SArg<'_> {}

impl std::hash::Hash for SArg<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            SArg::Bool(b) => b.hash(h),
            SArg::Num(n) => n.hash(h),
            SArg::Str(s) => s.as_str().hash(h),
            SArg::Version(v) => v.hash(h),
            SArg::None | SArg::Missing | SArg::Null => {}
        }
    }
}

impl<'a> SArg<'a> {
    /// The scalar an argument is, read from a document or not; `None` for
    /// containers.
    fn of(v: &Val<'a>) -> Option<SArg<'a>> {
        use crate::value::doc::Node;
        Some(match v {
            Val::Missing => SArg::Missing,
            Val::Null => SArg::Null,
            Val::Bool(b) => SArg::Bool(*b),
            Val::Num(x) => SArg::Num(x.to_bits()),
            Val::Str(s) => SArg::Str(s.clone()),
            Val::Version(v) => SArg::Version(*v),
            Val::Node(n) => match n.kind() {
                Node::Null => SArg::Null,
                Node::Bool(b) => SArg::Bool(b),
                Node::Num(x) => SArg::Num(x.to_bits()),
                Node::Str { .. } => SArg::Str(crate::value::val::Str::Ref(n.as_str()?)),
                Node::List { .. } | Node::Obj { .. } => return None,
            },
            _ => return None,
        })
    }
}

/// The memo keys of a call's arguments (at most three), padded with
/// `none`; `None` when there are more or one of them has no key.
fn arg_keys<'a, T: Clone>(
    args: &[Val<'a>],
    none: T,
    of: impl Fn(&Val<'a>) -> Option<T>,
) -> Option<[T; 3]> {
    if args.len() > 3 {
        return None;
    }
    let mut keys = [none.clone(), none.clone(), none];
    for (slot, a) in keys.iter_mut().zip(args) {
        *slot = of(a)?;
    }
    Some(keys)
}

/// Whether a context-free call's result means the same wherever its
/// scalar arguments were read: it holds no node of a document an argument
/// came from. Such a node could be the argument itself, and a call on an
/// equal string of another resource must not point a finding back into
/// this one; nodes of other documents came from the inventory, the same
/// for every resource.
fn portable(v: &Val<'_>, docs: &[&Doc]) -> bool {
    match v {
        Val::Node(n) => !docs.iter().any(|d| std::ptr::eq(*d, n.doc)),
        Val::List(l) => l.iter().all(|x| portable(x, docs)),
        Val::Obj(o) => o.iter().all(|(_, x)| portable(x, docs)),
        Val::Range(r) => portable(&r.0, docs) && portable(&r.1, docs),
        _ => true,
    }
}

/// Item `i` of `frozen`, thawed into `cache` the first time it is read.
fn thawed<'c, 'a>(
    cache: &'c mut [Option<Val<'a>>],
    frozen: &[Frozen],
    i: u32,
) -> Option<&'c Val<'a>> {
    let i = i as usize;
    let slot = cache.get_mut(i)?;
    if slot.is_none() {
        *slot = Some(frozen.get(i)?.thaw());
    }
    slot.as_ref()
}

/// Whether a call's arguments include document nodes, none of them of
/// `input`'s document: nodes another resource can hand to the same
/// function (through an inventory query) on its own turn.
fn foreign_args(args: &[Val<'_>], input: &Val<'_>) -> bool {
    let home = input.node().map(|n| n.doc);
    let mut nodes = args.iter().filter_map(Val::node).peekable();
    nodes.peek().is_some() && nodes.all(|n| home.is_none_or(|h| !std::ptr::eq(h, n.doc)))
}

/// A function call's identity for memoisation: the function and up to three
/// arguments that are document nodes or plain scalars.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct MemoKey {
    function: u32,
    args: [ArgKey; 3],
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum ArgKey {
    None,
    Node(usize, u32),
    Missing,
    Null,
    Bool(bool),
    Num(u64),
    Version(ward_lang::ast::Version),
}

/// The memo key of a call of `function` on one node.
fn node_call(function: u32, n: &NodeRef<'_>) -> MemoKey {
    MemoKey {
        function,
        args: [
            ArgKey::Node(std::ptr::from_ref(n.doc) as usize, n.id),
            ArgKey::None,
            ArgKey::None,
        ],
    }
}

impl ArgKey {
    fn of(v: &Val<'_>) -> Option<ArgKey> {
        Some(match v {
            Val::Node(n) => ArgKey::Node(std::ptr::from_ref(n.doc) as usize, n.id),
            Val::Missing => ArgKey::Missing,
            Val::Null => ArgKey::Null,
            Val::Bool(b) => ArgKey::Bool(*b),
            Val::Num(x) => ArgKey::Num(x.to_bits()),
            Val::Version(v) => ArgKey::Version(*v),
            _ => return None,
        })
    }
}

impl std::fmt::Debug for Evaluator<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("steps", &self.steps)
            .finish()
    }
}

impl<'p, 'a> Evaluator<'p, 'a> {
    pub fn new(
        prog: &'p Compiled,
        env: &'p Env,
        inv: &'p Inventory<'a>,
        plugins: Option<&'p dyn Plugins>,
    ) -> Self {
        Evaluator {
            prog,
            env,
            inv,
            plugins,
            input: Val::Missing,
            stack: Vec::with_capacity(64),
            base: 0,
            steps: 0,
            budget: DEFAULT_BUDGET,
            memoize: true,
            defer_lets: true,
            pending: Vec::new(),
            unforced: 0,
            focus: Vec::new(),
            regex_cache: Default::default(),
            profile: None,
            unit_profile: env.profile.thaw(),
            params: vec![None; env.params.len()],
            consts: vec![None; env.consts.len()],
            lits: Default::default(),
            control: usize::MAX,
            memo: ResourceMemo::default(),
            common: ResourceMemo::default(),
            fn_counts: Vec::new(),
            trace: None,
            fired: None,
            names: intrinsics::Names::default(),
        }
    }

    /// Notes, from now on, which `deny` and `warn` statements make a
    /// finding: what `ward test` reports as statements no test reaches.
    pub fn count_statements(&mut self) {
        self.fired = Some(Default::default());
    }

    /// The statements that made a finding since counting began, by file
    /// and start offset.
    pub fn fired(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.fired.iter().flatten().copied()
    }

    /// Records, from now on, what decides each `match` and finding of the
    /// controls it runs (and each `if` or empty loop that keeps findings
    /// from being looked for): the condition and the values of the
    /// sub-expressions that made it hold or not. For explaining a control
    /// on a few resources, not for a whole run: each record evaluates
    /// those sub-expressions again.
    pub fn trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// What was recorded since the last call.
    pub fn take_trace(&mut self) -> Vec<TraceEvent<'a>> {
        self.trace.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Records what decided a condition that held (`held`) or not. The
    /// steps it takes are not counted.
    #[cold]
    #[inline(never)]
    fn record(&mut self, kind: TraceKind, e: &CExpr, held: bool) {
        let steps = self.steps;
        let mut values = Vec::new();
        self.decisive(e, held, &mut values);
        self.steps = steps;
        let focus = self.focus.last().copied();
        if let Some(t) = &mut self.trace {
            t.push(TraceEvent {
                kind,
                span: e.span,
                values,
                focus,
            });
        }
    }

    /// The sub-expressions of a condition that decided it: the clause of
    /// `and` that failed (both when it held), the clause of `or` that held
    /// (both when it failed), both sides of a comparison, the operand of
    /// `exists` and `not`; anything else, itself.
    fn decisive(&mut self, e: &CExpr, held: bool, out: &mut Vec<(Span, String)>) {
        match &e.kind {
            CKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let both = (*op == BinOp::And) == held;
                if both {
                    self.decisive(a, held, out);
                    self.decisive(b, held, out);
                } else if self.truth(a).unwrap_or(false) == held {
                    self.decisive(a, held, out);
                } else {
                    self.decisive(b, held, out);
                }
            }
            CKind::Unary(UnOp::Not, x) => self.decisive(x, !held, out),
            CKind::Binary(_, a, b) => {
                self.value_of(a, out);
                self.value_of(b, out);
            }
            CKind::Builtin {
                builtin: Builtin::Exists,
                args,
                ..
            } => {
                for a in args {
                    self.value_of(a, out);
                }
            }
            _ => self.value_of(e, out),
        }
    }

    /// A sub-expression's value, unless it is a literal; for a local a
    /// `let` bound to a path, that path's too (`pod` and
    /// `spec.securityContext.runAsNonRoot`).
    fn value_of(&mut self, e: &CExpr, out: &mut Vec<(Span, String)>) {
        if matches!(e.kind, CKind::Lit(_)) {
            return;
        }
        let v = match self.eval(e) {
            Ok(v) => shown(&v),
            Err(err) => format!("error: {}", err.message),
        };
        out.push((e.span, v));
        if let CKind::Local(slot) | CKind::Deferred(slot) = e.kind
            && self.base == 0
            && let Some(Some(path)) = self
                .prog
                .controls
                .get(self.control)
                .and_then(|c| c.let_places.get(slot as usize))
        {
            self.value_of(path, out);
        }
    }

    /// Counts, from now on, how often each function's body runs (calls no
    /// memo answered), and the steps and time the runs take.
    pub fn count_calls(&mut self) {
        self.fn_counts = vec![FnCount::default(); self.prog.fns.len()];
    }

    /// The counts of [`Evaluator::count_calls`], by function id; empty
    /// when not counting.
    pub fn fn_counts(&self) -> &[FnCount] {
        &self.fn_counts
    }

    /// Starts work on a resource: memoised calls of another resource go.
    fn enter(&mut self, input: NodeRef<'a>) {
        let key = (std::ptr::from_ref(input.doc) as usize, input.id);
        self.memo.enter(key);
        self.common.enter(key);
        match &mut self.input {
            Val::Node(n) => *n = input,
            other => *other = Val::Node(input),
        }
    }

    /// Exchanges the memo of unit-free calls with `other`: a worker's
    /// evaluators (one per unit) pass one memo along as they take turns on
    /// a resource.
    pub fn swap_common(&mut self, other: &mut ResourceMemo<'a>) {
        std::mem::swap(&mut self.common, other);
    }

    /// Evaluates with this profile instead of the unit's.
    pub fn set_profile(&mut self, p: Option<Val<'static>>) {
        self.profile = p;
    }

    /// A param of the unit.
    fn param(&mut self, i: u32) -> Option<&Val<'a>> {
        let env = self.env;
        thawed(&mut self.params, &env.params, i)
    }

    /// A constant of the unit.
    fn constant(&mut self, i: u32) -> Option<&Val<'a>> {
        let env = self.env;
        thawed(&mut self.consts, &env.consts, i)
    }

    /// A literal's value: a scalar as it is, a list or object as this
    /// evaluator thawed it the first time.
    fn lit(&mut self, v: &Frozen) -> Val<'a> {
        let key = match v {
            Frozen::List(l) => l.as_ptr() as usize,
            Frozen::Obj(o) => o.as_ptr() as usize,
            Frozen::Range(r) => Arc::as_ptr(r) as usize,
            Frozen::Str(s) => s.as_ptr() as usize,
            // The scalars most literals are, made here rather than in a
            // call.
            Frozen::Interned(s) => return Val::Str(Str::Ref(s)),
            Frozen::Bool(b) => return Val::Bool(*b),
            Frozen::Num(n) => return Val::Num(*n),
            plain => return plain.thaw(),
        };
        self.lits
            .entry(key)
            .or_insert_with(|| (v.clone(), v.thaw()))
            .1
            .clone()
    }

    /// Calls a function of the program with one argument.
    pub fn call_fn_value(&mut self, id: u32, arg: Val<'a>) -> R<Val<'a>> {
        match arg.node() {
            Some(n) => self.enter(n),
            None => self.input = arg.clone(),
        }
        self.call_on_input(id, arg)
    }

    /// Calls a function of one argument (a part of it, say) on the
    /// resource being evaluated: what is remembered of the resource stays
    /// for its controls, where [`Self::call_fn_value`] on a node of it
    /// would start a memo for that node.
    pub fn call_fn_within(&mut self, id: u32, resource: NodeRef<'a>, arg: Val<'a>) -> R<Val<'a>> {
        self.enter(resource);
        self.call_on_input(id, arg)
    }

    fn call_on_input(&mut self, id: u32, arg: Val<'a>) -> R<Val<'a>> {
        self.steps = 0;
        self.stack.clear();
        self.base = 0;
        self.stack.push(arg);
        let e = CExpr {
            kind: CKind::Local(0),
            span: Span::default(),
        };
        self.call(id, std::slice::from_ref(&e), Span::default())
    }

    /// Evaluates an expression with no resource (constants, param defaults,
    /// test inputs).
    pub fn eval_free(&mut self, e: &CExpr) -> R<Val<'a>> {
        self.steps = 0;
        self.input = Val::Missing;
        self.stack.clear();
        self.base = 0;
        self.stack.resize_with(64, Val::default);
        self.eval(e)
    }

    /// Steps taken since the last control, call or expression began.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// How many values are on the stack: the largest control frame so far,
    /// once a control has run.
    #[cfg(test)]
    pub(crate) fn stack_len(&self) -> usize {
        self.stack.len()
    }

    /// Runs one control over one resource, appending its findings.
    pub fn run_control(
        &mut self,
        control: usize,
        input: NodeRef<'a>,
        out: &mut Vec<RawFinding<'a>>,
    ) -> R<Applied> {
        let Some(c) = self.prog.controls.get(control) else {
            return Ok(Applied::No);
        };
        self.enter(input);
        self.control = control;
        self.steps = 0;
        self.base = 0;
        // The control's frame. A slot is always bound (by its `let`, `for`
        // or comprehension) before it is read, so what an earlier control
        // left in it is overwritten, never seen: the stack only grows, to
        // the largest frame so far, and no value is dropped and made again
        // between controls. Calls put their frames after it.
        let slots = c.slots as usize;
        if self.stack.len() < slots {
            self.stack.resize_with(slots, Val::default);
        }
        self.focus.clear();
        self.unforced = 0;
        let mark = out.len();
        let result = self.stmts(control, &c.body, out);
        self.unforced = 0;
        match result {
            Ok(true) => Ok(Applied::Yes),
            Ok(false) => {
                out.truncate(mark);
                Ok(Applied::No)
            }
            Err(e) => {
                out.truncate(mark);
                Err(e)
            }
        }
    }

    /// Counts one step: every expression evaluated. The count meets the
    /// budget long before it could wrap, so it is added without the
    /// overflow check the release build makes elsewhere: this runs in
    /// every expression.
    #[inline]
    fn tick(&mut self) {
        self.steps = self.steps.wrapping_add(1);
    }

    /// Counts the work of a builtin or an operator that goes through a
    /// list, an object or a string: a step for every [`ELEMENTS_PER_STEP`]
    /// items, entries or bytes, before the work starts, so that no single
    /// step hides work without bound (`x in l` over a million items in a
    /// loop, `unique` of a whole export). Stops once past the budget.
    #[inline]
    fn through(&mut self, elements: usize, span: Span) -> R<()> {
        let extra = (elements / ELEMENTS_PER_STEP) as u64;
        if extra == 0 {
            return Ok(());
        }
        self.steps = self.steps.wrapping_add(extra);
        self.within_budget(span)
    }

    /// Stops once the steps pass the budget. Only loops and calls can make
    /// evaluation long (functions cannot recurse, but a chain of them can
    /// double at each link), so they check, at every turn and every call
    /// that runs a body: between two checks a control takes no more steps
    /// than one body or one turn has expressions.
    #[inline]
    fn within_budget(&self, span: Span) -> R<()> {
        if self.steps > self.budget {
            return Err(EvalError::new(
                span,
                format!(
                    "evaluation budget of {} steps exhausted on one resource (raise it with --eval-budget)",
                    self.budget
                ),
            ));
        }
        Ok(())
    }

    #[inline]
    fn set(&mut self, slot: u32, v: Val<'a>) {
        let i = self.slot_index(slot);
        if i >= self.stack.len() {
            self.stack.resize_with(i + 1, Val::default);
        }
        if let Some(s) = self.stack.get_mut(i) {
            // Most slots hold document nodes, which have nothing to free:
            // those are overwritten without a call into the drop glue.
            let old = std::mem::replace(s, v);
            if let Val::Node(_) = old {
                std::mem::forget(old);
            }
        }
    }

    /// Runs statements; `Ok(false)` when a `match` did not hold.
    fn stmts(
        &mut self,
        control: usize,
        stmts: &'p [CStmt],
        out: &mut Vec<RawFinding<'a>>,
    ) -> R<bool> {
        for s in stmts {
            match &s.kind {
                CStmtKind::Match(e) => {
                    if !self.truth(e)? {
                        if self.trace.is_some() {
                            self.record(TraceKind::MatchFalse, e, false);
                        }
                        return Ok(false);
                    }
                }
                CStmtKind::Let {
                    slot,
                    value: e,
                    lazy,
                } => {
                    if *lazy && self.defer_lets {
                        self.defer(*slot, e);
                    } else {
                        let v = match self.of_input_value(e) {
                            Some(v) => v,
                            None => self.eval(e)?,
                        };
                        self.set(*slot, v);
                    }
                }
                CStmtKind::For {
                    key,
                    value,
                    iter,
                    body,
                } => {
                    let coll = self.eval(iter)?;
                    let n = self.pairs(&coll, iter.span)?;
                    if n == 0 && self.trace.is_some() && has_findings(body) {
                        self.record(TraceKind::EmptyLoop, iter, false);
                    }
                    for i in 0..n {
                        self.within_budget(iter.span)?;
                        let (k, v) = coll.pair_at(i, key.is_some());
                        if let Some(ks) = key {
                            self.set(*ks, k);
                        }
                        let focus = v.node();
                        if let Some(n) = focus {
                            self.focus.push(n);
                        }
                        self.set(*value, v);
                        let r = self.stmts(control, body, out);
                        if focus.is_some() {
                            self.focus.pop();
                        }
                        if !r? {
                            return Ok(false);
                        }
                    }
                }
                CStmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let holds = self.truth(cond)?;
                    if self.trace.is_some() && has_findings(if holds { otherwise } else { then }) {
                        self.record(TraceKind::Branch, cond, holds);
                    }
                    let branch = if holds { then } else { otherwise };
                    if !self.stmts(control, branch, out)? {
                        return Ok(false);
                    }
                }
                CStmtKind::Finding(f) => {
                    if let Some(w) = &f.when
                        && !self.truth(w)?
                    {
                        if self.trace.is_some() {
                            self.record(TraceKind::WhenFalse, w, false);
                        }
                        continue;
                    }
                    let message = match &f.message {
                        Some(m) => self.message(m)?,
                        None => String::new(),
                    };
                    let (node, rest) = match &f.at {
                        Some(at) => match self.locate(at)? {
                            Some(l) => (l.node, l.rest),
                            None => (self.default_focus(), Vec::new()),
                        },
                        None => (self.default_focus(), Vec::new()),
                    };
                    // Room for the fixes the control writes (one it cannot
                    // place, or whose `fix when` does not hold, is left
                    // out), and each path sized exactly: a finding keeps its
                    // fixes to the end of the run, and a vector grown by
                    // `push` holds room for four.
                    let mut fixes = Vec::with_capacity(f.fixes.iter().map(|c| c.ops.len()).sum());
                    for clause in &f.fixes {
                        if let Some(w) = &clause.when
                            && !self.truth(w)?
                        {
                            continue;
                        }
                        for fx in &clause.ops {
                            if let Some(mut op) = self.fix(fx)? {
                                op.path.shrink_to_fit();
                                fixes.push(op);
                            }
                        }
                    }
                    fixes.shrink_to_fit();
                    out.push(RawFinding {
                        control,
                        kind: f.kind,
                        message: Arc::from(message),
                        node,
                        rest,
                        fixes,
                    });
                    if let Some(fired) = &mut self.fired {
                        fired.insert((s.span.file.0, s.span.start));
                    }
                    if self.trace.is_some() {
                        match &f.when {
                            Some(w) => self.record(TraceKind::Found, w, true),
                            None => {
                                let focus = self.focus.last().copied();
                                if let Some(t) = &mut self.trace {
                                    t.push(TraceEvent {
                                        kind: TraceKind::Found,
                                        span: s.span,
                                        values: Vec::new(),
                                        focus,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(true)
    }

    fn default_focus(&self) -> NodeRef<'a> {
        match (self.focus.last(), &self.input) {
            (Some(n), _) => *n,
            (None, Val::Node(n)) => *n,
            (None, _) => self.fallback_node(),
        }
    }

    fn fallback_node(&self) -> NodeRef<'a> {
        match &self.input {
            Val::Node(n) => NodeRef { doc: n.doc, id: 0 },
            _ => match self.inv.resources.first() {
                Some(r) => r.root(),
                None => crate::eval::locate::empty_doc_root(),
            },
        }
    }

    fn fix(&mut self, f: &CFix) -> R<Option<FixOp>> {
        match f {
            CFix::Set { path, value } => {
                let Some(l) = self.locate(path)? else {
                    return Ok(None);
                };
                let v = self.eval(value)?.to_json();
                // The pointer is written as the node's path is walked, with
                // no segment made on the way.
                let mut at = l.node.pointer();
                if l.rest.is_empty() {
                    return Ok(Some(FixOp {
                        op: "replace",
                        path: at,
                        value: Some(Arc::new(v)),
                    }));
                }
                // Add the first missing segment with the rest nested inside.
                let mut value = v;
                for seg in l.rest.iter().skip(1).rev() {
                    value = match seg {
                        Seg::Key(k) => serde_json::json!({ k.clone(): value }),
                        Seg::Index(_) => serde_json::json!([value]),
                    };
                }
                push_pointer(&mut at, l.rest.get(..1).unwrap_or_default());
                Ok(Some(FixOp {
                    op: "add",
                    path: at,
                    value: Some(Arc::new(value)),
                }))
            }
            CFix::Remove { path } => {
                let Some(l) = self.locate(path)? else {
                    return Ok(None);
                };
                if !l.rest.is_empty() {
                    return Ok(None);
                }
                Ok(Some(FixOp {
                    op: "remove",
                    path: l.node.pointer(),
                    value: None,
                }))
            }
        }
    }

    /// How many pairs a `for` over this value visits: index and item of a
    /// list, key and value of an object; none for missing or null; an error
    /// for anything else.
    fn pairs(&self, coll: &Val<'a>, span: Span) -> R<usize> {
        if coll.is_list() || coll.is_obj() {
            return Ok(coll.pair_count());
        }
        if coll.is_unset() {
            return Ok(0);
        }
        Err(EvalError::new(
            span,
            match coll.node() {
                // The value of the resource it met: what to look at.
                Some(n) => format!(
                    "cannot iterate over a {} (the value at `{}`)",
                    coll.type_name(),
                    n.pointer()
                ),
                None => format!("cannot iterate over a {}", coll.type_name()),
            },
        ))
    }

    /// Where a slot of the current frame is on the stack. Without an
    /// overflow check: a sum past `usize::MAX` would wrap to an index that
    /// `get` finds out of bounds.
    #[inline]
    fn slot_index(&self, slot: u32) -> usize {
        self.base.wrapping_add(slot as usize)
    }

    /// The value in a slot of the current frame.
    #[inline]
    fn local(&self, slot: u32) -> Val<'a> {
        self.stack
            .get(self.slot_index(slot))
            .cloned()
            .unwrap_or_default()
    }

    /// The value of a deferred `let` of the running control, worked out
    /// the first time it is read.
    fn deferred(&mut self, slot: u32) -> R<Val<'a>> {
        if self.unforced.checked_shr(slot).unwrap_or(0) & 1 != 0 {
            self.force(slot)?;
        }
        Ok(self.local(slot))
    }

    /// Leaves a control's `let` to be worked out when it is first read: a
    /// value only a finding's message or fix reads (`let message = ...`)
    /// costs nothing where the finding is not made. Slots are never reused
    /// within a control, so the slots the expression reads hold the same
    /// values when it is worked out as where the `let` stands; and
    /// functions are pure, so its value is the same.
    ///
    /// Only the first 64 slots are deferred (see `compile::defer_lets`).
    fn defer(&mut self, slot: u32, e: &'p CExpr) {
        let i = slot as usize;
        if self.pending.len() <= i {
            self.pending.resize(i + 1, None);
        }
        if let Some(p) = self.pending.get_mut(i) {
            *p = Some(e);
            self.unforced |= 1u64.checked_shl(slot).unwrap_or(0);
        }
    }

    /// Works out a deferred `let` of the running control before its slot is
    /// first read.
    fn force(&mut self, slot: u32) -> R<()> {
        self.unforced &= !1u64.checked_shl(slot).unwrap_or(0);
        let Some(e) = self.pending.get(slot as usize).copied().flatten() else {
            return Ok(());
        };
        let v = self.eval(e)?;
        self.set(slot, v);
        Ok(())
    }

    /// Evaluates an operand or argument. Locals, literals and `input` are
    /// a third of all evaluations; they are read here, without a call into
    /// `eval` and its dispatch over every kind of expression.
    #[inline(always)]
    fn operand(&mut self, e: &CExpr) -> R<Val<'a>> {
        match &e.kind {
            CKind::Local(slot) => {
                self.tick();
                Ok(self.local(*slot))
            }
            CKind::Lit(v) => {
                self.tick();
                Ok(self.lit(v))
            }
            CKind::Input => {
                self.tick();
                Ok(self.input.clone())
            }
            _ => self.eval(e),
        }
    }

    /// Whether a condition holds: `eval(e)?.is_true()`, with the steps and
    /// errors of `eval`, but `and`, `or`, `not`, comparisons and `exists`
    /// answer with a `bool` rather than a value made and dropped at every
    /// level.
    fn truth(&mut self, e: &CExpr) -> R<bool> {
        match &e.kind {
            CKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                self.tick();
                Ok(if *op == BinOp::And {
                    self.truth(a)? && self.truth(b)?
                } else {
                    self.truth(a)? || self.truth(b)?
                })
            }
            CKind::Unary(UnOp::Not, x) => {
                self.tick();
                Ok(!self.truth(x)?)
            }
            CKind::Binary(op @ (BinOp::Eq | BinOp::Ne | BinOp::In | BinOp::NotIn), a, b) => {
                self.tick();
                self.compare(*op, a, b, e.span)
            }
            CKind::Builtin {
                builtin: Builtin::Exists,
                args,
                named,
                ..
            } => match (args.as_slice(), named.is_empty()) {
                ([x], true) => {
                    self.tick();
                    Ok(!self.operand(x)?.is_unset())
                }
                _ => Ok(self.eval(e)?.is_true()),
            },
            // `match applies(input)`: the answer is read in the memo's
            // table, in the two steps `eval` and `call` would count,
            // without setting up a call or copying the value out.
            CKind::Call(id, args) if on_input(args) => {
                if let Some(holds) = self.of_input_truth(*id) {
                    self.tick();
                    self.tick();
                    return Ok(holds);
                }
                Ok(self.eval(e)?.is_true())
            }
            _ => Ok(self.eval(e)?.is_true()),
        }
    }

    /// `a == b`, `a != b`, `a in b`, `a not in b` as a condition, for
    /// [`Self::truth`], which counts its step. Kept out of `truth` so that
    /// its frame, set up on every condition, stays small.
    #[inline(never)]
    fn compare(&mut self, op: BinOp, a: &CExpr, b: &CExpr, span: Span) -> R<bool> {
        let member = matches!(op, BinOp::In | BinOp::NotIn);
        let x = self.operand(a)?;
        // Two containers compared go through both, however deep:
        // counted once they are (`work`).
        let mut work = 0;
        let mut holds = |y: &Val<'_>| match op {
            BinOp::Eq => x.equals_counting(y, &mut work),
            BinOp::Ne => !x.equals_counting(y, &mut work),
            BinOp::In => y.contains_counting(&x, &mut work),
            _ => !y.contains_counting(&x, &mut work),
        };
        // A literal, constant or param is compared where it is, not
        // copied; a list of strings among the constants is looked
        // up in its set.
        let env = self.env;
        let in_place = match &b.kind {
            // `kind == "Pod"`: only a string equals a string.
            CKind::Lit(Frozen::Interned(lit)) if matches!(op, BinOp::Eq | BinOp::Ne) => {
                self.tick();
                let same = x
                    .as_str()
                    .is_some_and(|s| crate::value::val::same_str(s, lit));
                return Ok(same == (op == BinOp::Eq));
            }
            // `replicas == 1`, `privileged == true`: compared in place.
            CKind::Lit(y) if !member && let Some(same) = x.equals_scalar(y) => {
                self.tick();
                return Ok(same == (op == BinOp::Eq));
            }
            CKind::Lit(y) => {
                self.tick();
                let y = self.lit(y);
                if member {
                    self.through(y.work_size(), span)?;
                }
                let holds = holds(&y);
                self.through(work, span)?;
                return Ok(holds);
            }
            CKind::Const(i) => {
                if let (BinOp::In | BinOp::NotIn, Some(Some(set))) =
                    (op, env.const_sets.get(*i as usize))
                {
                    self.tick();
                    // Counted as going through the list would be.
                    self.through(set.items, span)?;
                    let found = x.as_str().is_some_and(|s| set.strings.contains(s));
                    return Ok(found == (op == BinOp::In));
                }
                self.constant(*i)
            }
            CKind::Param(i) => self.param(*i),
            _ => None,
        };
        if let Some(y) = in_place {
            let n = if member { y.work_size() } else { 0 };
            let holds = holds(y);
            self.tick();
            self.through(n + work, span)?;
            return Ok(holds);
        }
        let y = self.operand(b)?;
        if member {
            self.through(y.work_size(), span)?;
        }
        let holds = holds(&y);
        self.through(work, span)?;
        Ok(holds)
    }

    /// The memo that holds `f(input)` for this resource, when it is
    /// remembering.
    fn of_input_memo(&self, f: &CFn) -> Option<&ResourceMemo<'a>> {
        let memo = self.memo_of(f);
        let n = self.input.node()?;
        (self.memoize && Some((std::ptr::from_ref(n.doc) as usize, n.id)) == memo.of)
            .then_some(memo)
    }

    /// The value of `f(input)`, when the memo has it.
    fn memoised_on_input(&self, id: u32) -> Option<&Val<'a>> {
        let f = self.prog.fns.get(id as usize)?;
        self.of_input_memo(f)?.of_input(id)
    }

    /// Whether `f(input)` holds, when the memo has its value.
    fn of_input_truth(&self, id: u32) -> Option<bool> {
        self.memoised_on_input(id).map(Val::is_true)
    }

    /// `let x = f(input)` when the memo has its value, in the two steps
    /// `eval` and `call` would count, without setting up a call.
    fn of_input_value(&mut self, e: &CExpr) -> Option<Val<'a>> {
        let CKind::Call(id, args) = &e.kind else {
            return None;
        };
        if !on_input(args) {
            return None;
        }
        let v = self.memoised_on_input(*id)?.clone();
        self.tick();
        self.tick();
        Some(v)
    }

    pub(crate) fn eval(&mut self, e: &CExpr) -> R<Val<'a>> {
        self.tick();
        match &e.kind {
            CKind::Lit(v) => Ok(self.lit(v)),
            CKind::Local(slot) => Ok(self.local(*slot)),
            CKind::Input => Ok(self.input.clone()),
            CKind::Field(base, sym) => self.field(base, *sym),
            CKind::Call(id, args) => self.call(*id, args, e.span),
            _ => self.eval_rest(e),
        }
    }

    /// Any expression, for the kinds `eval` does not answer itself: `eval`
    /// takes the five that are most of them (literals, locals, `input`,
    /// fields and calls) and so stays small enough to need no large frame,
    /// which every call of it would otherwise set up. The step is counted
    /// by `eval`.
    #[inline(never)]
    fn eval_rest(&mut self, e: &CExpr) -> R<Val<'a>> {
        match &e.kind {
            CKind::Lit(v) => Ok(self.lit(v)),
            CKind::Deferred(slot) => self.deferred(*slot),
            CKind::Interp(parts) => self.interp(parts, e.span).map(Val::string),
            CKind::Local(slot) => Ok(self.local(*slot)),
            CKind::Input => Ok(self.input.clone()),
            CKind::Profile => Ok(self
                .profile
                .clone()
                .unwrap_or_else(|| self.unit_profile.clone())),
            CKind::Param(i) => Ok(self.param(*i).cloned().unwrap_or_default()),
            CKind::Const(i) => Ok(self.constant(*i).cloned().unwrap_or_default()),
            CKind::Field(base, sym) => self.field(base, *sym),
            CKind::Index(base, ix) => {
                let b = self.eval(base)?;
                let i = self.eval(ix)?.resolve();
                Ok(match i {
                    Val::Num(n) => b.index(n),
                    Val::Str(s) => b.get_str(s.as_str()),
                    _ => Val::Missing,
                })
            }
            CKind::Call(id, args) => self.call(*id, args, e.span),
            CKind::Builtin {
                builtin,
                args,
                named,
                pattern,
            } => {
                let mut vals: SmallVec<[Val<'a>; 4]> = SmallVec::with_capacity(args.len());
                for a in args {
                    vals.push(self.operand(a)?);
                }
                let mut nvals: SmallVec<[(Sym, Val<'a>); 2]> = SmallVec::new();
                for (k, v) in named {
                    nvals.push((*k, self.eval(v)?));
                }
                self.builtin(*builtin, &vals, &nvals, pattern.as_deref(), e.span)
            }
            CKind::Plugin(id, func, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?.to_json());
                }
                let Some(p) = self.plugins else {
                    return Err(EvalError::new(
                        e.span,
                        "plugins are not available (this build has no plugin support, or no plugin runtime was given)",
                    ));
                };
                match p.call(*id, func, &vals) {
                    Ok(v) => Ok(Val::from_json(&v)),
                    Err(m) => Err(EvalError::new(e.span, m)),
                }
            }
            CKind::Unary(op, x) => {
                let v = self.eval(x)?;
                Ok(match op {
                    UnOp::Not => Val::Bool(!v.is_true()),
                    UnOp::Neg => match v.as_num() {
                        Some(n) => Val::Num(-n),
                        None if v.is_unset() => Val::Missing,
                        None => {
                            return Err(EvalError::new(
                                x.span,
                                format!("cannot negate a {}", v.type_name()),
                            ));
                        }
                    },
                })
            }
            CKind::Binary(op, a, b) => self.binary(*op, a, b, e.span),
            CKind::If(c, t, f) => {
                if self.truth(c)? {
                    self.eval(t)
                } else {
                    self.eval(f)
                }
            }
            CKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for x in items {
                    out.push(self.eval(x)?);
                }
                Ok(Val::list(out))
            }
            CKind::Object(kvs) => {
                let mut out = Vec::with_capacity(kvs.len());
                for (k, v) in kvs {
                    out.push((Str::Ref(k), self.eval(v)?));
                }
                Ok(Val::Obj(Rc::new(out)))
            }
            CKind::ListComp(elem, clauses) => {
                let mut out = Vec::new();
                self.comprehend(clauses, &mut |ev| {
                    let v = ev.eval(elem)?;
                    out.push(v);
                    Ok(())
                })?;
                Ok(Val::list(out))
            }
            CKind::ObjectComp(k, v, clauses) => {
                let mut out = ObjBuilder::default();
                self.comprehend(clauses, &mut |ev| {
                    let key = ev.eval(k)?;
                    let name = key.type_name();
                    let Some(key) = key.into_str() else {
                        return Err(EvalError::new(
                            k.span,
                            format!("an object key must be a string, not a {name}"),
                        ));
                    };
                    out.set(key, ev.eval(v)?);
                    Ok(())
                })?;
                Ok(out.finish())
            }
            CKind::Quant(kind, key, value, coll, body) => {
                let c = self.eval(coll)?;
                let mut count = 0usize;
                for i in 0..self.pairs(&c, coll.span)? {
                    self.within_budget(coll.span)?;
                    let (k, v) = c.pair_at(i, key.is_some());
                    if let Some(ks) = key {
                        self.set(*ks, k);
                    }
                    self.set(*value, v);
                    let holds = self.truth(body)?;
                    match kind {
                        QuantKind::Any if holds => return Ok(Val::Bool(true)),
                        QuantKind::All if !holds => return Ok(Val::Bool(false)),
                        QuantKind::None if holds => return Ok(Val::Bool(false)),
                        QuantKind::Count if holds => count += 1,
                        _ => {}
                    }
                }
                Ok(match kind {
                    QuantKind::Any => Val::Bool(false),
                    QuantKind::All | QuantKind::None => Val::Bool(true),
                    QuantKind::Count => Val::Num(count as f64),
                })
            }
        }
    }

    /// The text of an interpolated string (`"{c.name} uses {port}"`).
    fn interp(&mut self, parts: &[CPart], span: Span) -> R<String> {
        // Sized for the text and a short value per hole, and each value
        // written into it rather than into a string of its own.
        let room = parts
            .iter()
            .map(|p| match p {
                CPart::Lit(l) => l.len(),
                CPart::Expr(_) => INTERP_HOLE,
            })
            .sum();
        let mut s = String::with_capacity(room);
        for p in parts {
            match p {
                CPart::Lit(l) => s.push_str(l),
                CPart::Expr(x) => {
                    // A list or an object is written out as JSON, however
                    // deep, and a long string copied: each part counted by
                    // what it writes.
                    let before = s.len();
                    self.eval(x)?.display_into(&mut s);
                    self.through(s.len() - before, span)?;
                }
            }
        }
        Ok(s)
    }

    /// A finding's message: an interpolated one is written straight into
    /// the text the finding keeps, in the steps `eval` counts for it.
    fn message(&mut self, m: &CExpr) -> R<String> {
        match &m.kind {
            CKind::Interp(parts) => {
                self.tick();
                self.interp(parts, m.span)
            }
            _ => Ok(self.eval(m)?.display()),
        }
    }

    /// `base.sym`: a chain of fields (`c.securityContext.capabilities.add`)
    /// is walked in a loop, and a local or the input it starts from is read
    /// in place rather than copied. Kept out of [`Self::eval`] so that its
    /// frame, on every level of recursion, stays small.
    #[inline(never)]
    fn field(&mut self, base: &CExpr, sym: Sym) -> R<Val<'a>> {
        const DEPTH: usize = 8;
        let mut syms = [sym; DEPTH];
        let mut n = 1;
        let mut root = base;
        while let CKind::Field(inner, s) = &root.kind
            && n < DEPTH
        {
            self.tick();
            if let Some(slot) = syms.get_mut(n) {
                *slot = *s;
            }
            n += 1;
            root = inner;
        }
        let mut rest = syms.iter().take(n).rev();
        let first = rest.next().copied().unwrap_or(sym);
        // Most chains run through document nodes, which are copied from one
        // field to the next; a local or `input` that is a node is read where
        // it is, so that no value is made only to be dropped.
        let start = match &root.kind {
            CKind::Local(slot) => {
                self.tick();
                match self.stack.get(self.slot_index(*slot)) {
                    Some(Val::Node(n)) => n.get(first).ok_or_else(Val::default),
                    Some(v) => Err(v.get(first)),
                    None => Err(Val::Missing),
                }
            }
            CKind::Input => {
                self.tick();
                match &self.input {
                    Val::Node(n) => n.get(first).ok_or_else(Val::default),
                    v => Err(v.get(first)),
                }
            }
            _ => match self.eval(root)? {
                Val::Node(n) => n.get(first).ok_or_else(Val::default),
                v => Err(v.get(first)),
            },
        };
        let mut v = match start {
            // A node, or a value (an object) that held one.
            Ok(mut n) | Err(Val::Node(mut n)) => {
                for s in rest.by_ref() {
                    match n.get(*s) {
                        Some(m) => n = m,
                        None => return Ok(Val::Missing),
                    }
                }
                return Ok(Val::Node(n));
            }
            Err(v) => v,
        };
        for s in rest {
            if v.is_missing() {
                break;
            }
            v = v.get(*s);
        }
        Ok(v)
    }

    fn comprehend(
        &mut self,
        clauses: &[CClause],
        emit: &mut dyn FnMut(&mut Self) -> R<()>,
    ) -> R<()> {
        let Some((first, rest)) = clauses.split_first() else {
            return emit(self);
        };
        match first {
            CClause::If(c) => {
                if self.truth(c)? {
                    self.comprehend(rest, emit)?;
                }
                Ok(())
            }
            CClause::For(key, value, iter) => {
                let coll = self.eval(iter)?;
                for i in 0..self.pairs(&coll, iter.span)? {
                    self.within_budget(iter.span)?;
                    let (k, v) = coll.pair_at(i, key.is_some());
                    if let Some(ks) = key {
                        self.set(*ks, k);
                    }
                    self.set(*value, v);
                    self.comprehend(rest, emit)?;
                }
                Ok(())
            }
        }
    }

    /// The memo a function's calls are kept in: the one handed from unit
    /// to unit for functions that read no param, else this unit's.
    fn memo_of(&self, f: &CFn) -> &ResourceMemo<'a> {
        if f.unit_free {
            &self.common
        } else {
            &self.memo
        }
    }

    /// [`Self::memo_of`], to remember a result in.
    fn memo_of_mut(&mut self, f: &CFn) -> &mut ResourceMemo<'a> {
        if f.unit_free {
            &mut self.common
        } else {
            &mut self.memo
        }
    }

    fn call(&mut self, id: u32, args: &[CExpr], span: Span) -> R<Val<'a>> {
        let Some(f) = self.prog.fns.get(id as usize) else {
            return Err(EvalError::new(span, "internal error: unknown function"));
        };
        // `f(input)` on the resource the memo holds: looked up by function.
        if on_input(args)
            && let Some(v) = self.of_input_memo(f).and_then(|m| m.of_input(id))
        {
            let v = v.clone();
            self.tick();
            return Ok(v);
        }
        // The arguments are evaluated onto the stack where the callee's
        // frame will start, so that they are not moved again; every return
        // before the frame is made takes them off.
        let new_base = self.stack.len();
        // A call on one node of this resource (`pod_spec(r)`,
        // `all_containers(spec)`): looked up by function and node, before
        // the argument is put on the stack.
        let mut place = None;
        if let [a] = args {
            let v = self.operand(a)?;
            if let Val::Node(n) = &v
                && self.memoize
            {
                let memo = self.memo_of(f);
                place = memo.place(*n);
                if let Some(p) = place
                    && let Some(hit) = memo.on_node(id, p)
                {
                    return Ok(hit.clone());
                }
                // A context-free call on this resource's node may have been
                // worked out already while another resource (on this thread)
                // asked about this one: `workload(w)` from a NetworkPolicy
                // of the namespace, before the workload's own controls.
                if let Some(p) = place
                    && f.context_free
                    && !memo.foreign.is_empty()
                    && let Some(hit) = memo.foreign.get(&node_call(id, n))
                {
                    let hit = hit.clone();
                    self.memo_of_mut(f).insert_on_node(id, p, hit.clone());
                    return Ok(hit);
                }
            }
            self.stack.push(v);
        } else {
            for a in args {
                match self.operand(a) {
                    Ok(v) => self.stack.push(v),
                    Err(e) => {
                        self.stack.truncate(new_base);
                        return Err(e);
                    }
                }
            }
        }
        let given = self.stack.get(new_base..).unwrap_or_default();
        // Functions are pure: a call with the same document nodes and
        // scalars gives the same value for the rest of this resource.
        let key = (self.memoize && place.is_none())
            .then(|| arg_keys(given, ArgKey::None, ArgKey::of))
            .flatten()
            .map(|args| MemoKey { function: id, args });
        // A context-free call on other resources' nodes gives the same
        // value whichever resource asks.
        let foreign = key.is_some() && f.context_free && foreign_args(given, &self.input);
        let found = match &key {
            Some(k) if foreign => self.memo_of(f).foreign.get(k),
            Some(k) => self.memo_of(f).get(k),
            None => None,
        };
        // A context-free function with scalar arguments gives the same value
        // on every resource.
        let shared = match found {
            Some(_) => None,
            None => (self.memoize && f.context_free)
                .then(|| arg_keys(given, SArg::None, SArg::of))
                .flatten()
                .map(|args| SharedKey { function: id, args }),
        };
        if let Some(v) =
            found.or_else(|| shared.as_ref().and_then(|k| self.memo_of(f).shared.get(k)))
        {
            let v = v.clone();
            self.stack.truncate(new_base);
            return Ok(v);
        }
        // The documents the arguments were read from, for `portable`.
        let docs: SmallVec<[&Doc; 3]> = match shared {
            Some(_) => given
                .iter()
                .filter_map(|a| a.node().map(|n| n.doc))
                .collect(),
            None => SmallVec::new(),
        };
        // A function with a native form (`intrinsics`) answers in one step
        // when it can, except where every body is to run.
        let native = match f.intrinsic {
            Some(i) if self.memoize && self.trace.is_none() => {
                intrinsics::call(i, &self.names, self.inv, given)
            }
            _ => None,
        };
        // A profile counts the runs of the body, not the native answers.
        let counted = (native.is_none() && !self.fn_counts.is_empty())
            .then(|| (self.steps, std::time::Instant::now()));
        let result = if let Some(v) = native {
            self.tick();
            self.stack.truncate(new_base);
            Ok(v)
        } else {
            if let Err(e) = self.within_budget(span) {
                self.stack.truncate(new_base);
                return Err(e);
            }
            // The callee's frame: its parameters, then its other slots.
            self.stack
                .resize_with(new_base + f.slots.max(f.params) as usize, Val::default);
            let old = std::mem::replace(&mut self.base, new_base);
            let result = (|| {
                for (slot, e) in &f.lets {
                    let v = self.eval(e)?;
                    self.set(*slot, v);
                }
                self.eval(&f.body)
            })();
            self.base = old;
            self.stack.truncate(new_base);
            result
        };
        if let Some((steps, started)) = counted
            && let Some(c) = self.fn_counts.get_mut(id as usize)
        {
            c.runs += 1;
            c.steps += self.steps.wrapping_sub(steps);
            c.nanos += u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        }
        if let (Some(p), Ok(v)) = (place, &result) {
            self.memo_of_mut(f).insert_on_node(id, p, v.clone());
        } else if let (Some(k), Ok(v)) = (key, &result) {
            if foreign {
                keep_across_resources(&mut self.memo_of_mut(f).foreign, k, v.clone());
            } else {
                self.memo_of_mut(f).insert(k, v.clone());
            }
        }
        if let (Some(k), Ok(v)) = (shared, &result)
            && portable(v, &docs)
        {
            keep_across_resources(&mut self.memo_of_mut(f).shared, k, v.clone());
        }
        result
    }

    fn binary(&mut self, op: BinOp, a: &CExpr, b: &CExpr, span: Span) -> R<Val<'a>> {
        match op {
            BinOp::And => {
                return Ok(Val::Bool(self.truth(a)? && self.truth(b)?));
            }
            BinOp::Or => {
                return Ok(Val::Bool(self.truth(a)? || self.truth(b)?));
            }
            BinOp::Coalesce => {
                let x = self.eval(a)?;
                return if x.is_unset() { self.operand(b) } else { Ok(x) };
            }
            _ => {}
        }
        let x = self.operand(a)?;
        let y = self.operand(b)?;
        Ok(match op {
            BinOp::Eq | BinOp::Ne => {
                let mut work = 0;
                let same = x.equals_counting(&y, &mut work);
                self.through(work, span)?;
                Val::Bool(same == (op == BinOp::Eq))
            }
            BinOp::Lt => Val::Bool(x.order(&y).is_some_and(|o| o.is_lt())),
            BinOp::Le => Val::Bool(x.order(&y).is_some_and(|o| o.is_le())),
            BinOp::Gt => Val::Bool(x.order(&y).is_some_and(|o| o.is_gt())),
            BinOp::Ge => Val::Bool(x.order(&y).is_some_and(|o| o.is_ge())),
            BinOp::In | BinOp::NotIn => {
                self.through(y.work_size(), span)?;
                let mut work = 0;
                let found = y.contains_counting(&x, &mut work);
                self.through(work, span)?;
                Val::Bool(found == (op == BinOp::In))
            }
            BinOp::Range | BinOp::RangeIncl => {
                Val::Range(Rc::new((x.resolve(), y.resolve(), op == BinOp::RangeIncl)))
            }
            BinOp::Add => {
                let (x, y) = (x.resolve(), y.resolve());
                if x.is_unset() || y.is_unset() {
                    return Ok(Val::Missing);
                }
                self.through(x.work_size() + y.work_size(), span)?;
                match (&x, &y) {
                    (Val::Num(p), Val::Num(q)) => Val::Num(p + q),
                    (Val::Str(p), Val::Str(q)) => {
                        Val::string(format!("{}{}", p.as_str(), q.as_str()))
                    }
                    _ if x.is_list() && y.is_list() => {
                        let mut out: Vec<Val<'a>> = x.items().collect();
                        out.extend(y.items());
                        Val::list(out)
                    }
                    _ => {
                        return Err(EvalError::new(
                            span,
                            format!("cannot add a {} and a {}", x.type_name(), y.type_name()),
                        ));
                    }
                }
            }
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                if x.is_unset() || y.is_unset() {
                    return Ok(Val::Missing);
                }
                let (Some(p), Some(q)) = (x.as_num(), y.as_num()) else {
                    return Err(EvalError::new(
                        span,
                        format!(
                            "`{}` works on numbers, not a {} and a {}",
                            op.as_str(),
                            x.type_name(),
                            y.type_name()
                        ),
                    ));
                };
                match op {
                    BinOp::Sub => Val::Num(p - q),
                    BinOp::Mul => Val::Num(p * q),
                    _ if q == 0.0 => {
                        return Err(EvalError::new(span, "division by zero"));
                    }
                    BinOp::Div => Val::Num(p / q),
                    _ => Val::Num(p % q),
                }
            }
            BinOp::And | BinOp::Or | BinOp::Coalesce => Val::Missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::Compiled;
    use crate::value::doc::Doc;
    use crate::value::intern::intern;

    fn x(kind: CKind) -> CExpr {
        CExpr {
            kind,
            span: Span::default(),
        }
    }

    /// Operands: literals of each type, fields of the input that are
    /// `true`, a string, `null`, a list, or missing, and the constants and
    /// params of [`env`].
    fn leaves() -> Vec<CExpr> {
        let field = |name: &str| x(CKind::Field(Box::new(x(CKind::Input)), intern(name)));
        let list = Frozen::List(vec![Frozen::Interned("a"), Frozen::Bool(true)].into());
        vec![
            x(CKind::Lit(Frozen::Bool(true))),
            x(CKind::Lit(Frozen::Bool(false))),
            x(CKind::Lit(Frozen::Null)),
            x(CKind::Lit(Frozen::Missing)),
            x(CKind::Lit(Frozen::Interned("a"))),
            x(CKind::Lit(Frozen::Str(Arc::from("a")))),
            x(CKind::Lit(Frozen::Num(1.0))),
            x(CKind::Lit(Frozen::Num(2.0))),
            x(CKind::Lit(list)),
            field("yes"),
            field("name"),
            field("none"),
            field("items"),
            field("absent"),
            field("one"),
            field("no"),
            x(CKind::Input),
            x(CKind::Const(0)),
            x(CKind::Const(1)),
            x(CKind::Const(2)),
            x(CKind::Const(3)),
            x(CKind::Param(0)),
            x(CKind::Param(1)),
        ]
    }

    /// The constants and params `leaves` reads: a list of strings long
    /// enough to be looked up in a set (holding the input's `name`), a
    /// short one, a long one with a number among the strings, and a
    /// string.
    fn env() -> Env {
        let strs = |xs: &[&str]| Val::list(xs.iter().map(|s| Val::str(s)).collect());
        // Long enough (64 or more) to count for going through them.
        let names: Vec<String> = (0..70).map(|i| format!("x{i}")).collect();
        let mut long: Vec<&str> = names.iter().map(String::as_str).collect();
        long.insert(30, "a");
        let long = strs(&long);
        let mut mixed = vec![Val::Num(1.0)];
        mixed.extend(["a", "b", "c", "d"].map(Val::str));
        let mut env = Env {
            params: vec![long.freeze(), Val::str("a").freeze()],
            consts: vec![
                long.freeze(),
                strs(&["a", "b"]).freeze(),
                Val::list(mixed).freeze(),
                Val::string(format!("abc{}", "z".repeat(130))).freeze(),
            ],
            profile: Frozen::Missing,
            const_sets: Vec::new(),
        };
        env.index_constants();
        env
    }

    /// Every condition `truth` answers itself, over `leaves`, two levels deep.
    fn conditions() -> Vec<CExpr> {
        let mut out = Vec::new();
        for a in leaves() {
            for b in leaves() {
                for op in [BinOp::Eq, BinOp::Ne, BinOp::In, BinOp::NotIn] {
                    out.push(x(CKind::Binary(
                        op,
                        Box::new(clone(&a)),
                        Box::new(clone(&b)),
                    )));
                }
            }
            out.push(x(CKind::Unary(UnOp::Not, Box::new(clone(&a)))));
            out.push(x(CKind::Builtin {
                builtin: Builtin::Exists,
                args: vec![clone(&a)],
                named: Vec::new(),
                pattern: None,
            }));
            out.push(clone(&a));
        }
        let first: Vec<CExpr> = out.iter().step_by(7).map(clone).collect();
        for a in &first {
            for b in first.iter().step_by(5) {
                for op in [BinOp::And, BinOp::Or] {
                    out.push(x(CKind::Binary(op, Box::new(clone(a)), Box::new(clone(b)))));
                }
            }
            out.push(x(CKind::Unary(UnOp::Not, Box::new(clone(a)))));
        }
        out
    }

    /// A copy of the expressions `conditions` builds.
    fn clone(e: &CExpr) -> CExpr {
        x(match &e.kind {
            CKind::Lit(v) => CKind::Lit(v.clone()),
            CKind::Input => CKind::Input,
            CKind::Const(i) => CKind::Const(*i),
            CKind::Param(i) => CKind::Param(*i),
            CKind::Field(b, s) => CKind::Field(Box::new(clone(b)), *s),
            CKind::Unary(op, a) => CKind::Unary(*op, Box::new(clone(a))),
            CKind::Binary(op, a, b) => CKind::Binary(*op, Box::new(clone(a)), Box::new(clone(b))),
            CKind::Builtin { builtin, args, .. } => CKind::Builtin {
                builtin: *builtin,
                args: args.iter().map(clone).collect(),
                named: Vec::new(),
                pattern: None,
            },
            other => unreachable!("not built here: {other:?}"),
        })
    }

    /// A program with nothing in it, for evaluating expressions alone.
    fn no_program() -> Compiled {
        Compiled {
            fns: Vec::new(),
            controls: Vec::new(),
            consts: Vec::new(),
            param_defaults: Vec::new(),
            view_fns: Default::default(),
        }
    }

    /// A shortcut of the evaluator (`truth`, `message`) against `eval`
    /// with `as_value` of what it gives: the same answer in as many steps.
    fn agrees<'p, 'a, T: PartialEq + std::fmt::Debug>(
        ev: &mut Evaluator<'p, 'a>,
        e: &CExpr,
        as_value: impl Fn(Val<'a>) -> T,
        shortcut: impl Fn(&mut Evaluator<'p, 'a>, &CExpr) -> R<T>,
    ) -> R<T> {
        ev.steps = 0;
        let by_value = ev.eval(e).map(as_value);
        let value_steps = ev.steps;
        ev.steps = 0;
        let answer = shortcut(ev, e);
        assert_eq!(answer, by_value, "{e:?}");
        assert_eq!(ev.steps, value_steps, "{e:?}");
        answer
    }

    #[test]
    fn conditions_hold_as_their_values_do_in_as_many_steps() {
        let mut items = vec![serde_json::json!("a"), serde_json::json!(true)];
        items.extend((0..130).map(|i| serde_json::json!(i)));
        let doc = Doc::from_json(&serde_json::json!({
            "yes": true, "name": "a", "none": null, "items": items, "one": 1, "no": false
        }));
        let prog = no_program();
        let env = env();
        assert!(
            matches!(env.const_sets.as_slice(), [Some(_), None, None, None]),
            "only the long list of strings has a set"
        );
        let inv = Inventory::new(std::iter::empty());
        let mut ev = Evaluator::new(&prog, &env, &inv, None);
        ev.input = Val::Node(doc.root());
        let conditions = conditions();
        assert!(conditions.len() > 800, "{}", conditions.len());
        let mut held = 0;
        for c in &conditions {
            let by_truth = agrees(&mut ev, c, |v| v.is_true(), |ev, c| ev.truth(c));
            held += usize::from(by_truth == Ok(true));
        }
        // Both answers occur.
        assert!(held > 100 && held < conditions.len() - 100, "{held}");
    }

    /// A finding's message is written straight into its text, with the
    /// text and the steps of evaluating it as a value.
    #[test]
    fn a_message_is_what_its_value_displays_in_as_many_steps() {
        let doc = Doc::from_json(&serde_json::json!({"name": "a", "items": [1, {"k": "v"}]}));
        let prog = no_program();
        let env = env();
        let inv = Inventory::new(std::iter::empty());
        let mut ev = Evaluator::new(&prog, &env, &inv, None);
        ev.input = Val::Node(doc.root());
        let field = |name: &str| x(CKind::Field(Box::new(x(CKind::Input)), intern(name)));
        let messages = [
            x(CKind::Interp(vec![
                CPart::Lit("container `".into()),
                CPart::Expr(field("name")),
                CPart::Lit("` has ".into()),
                CPart::Expr(field("items")),
                CPart::Expr(field("absent")),
            ])),
            x(CKind::Interp(Vec::new())),
            x(CKind::Lit(Frozen::Interned("plain"))),
            field("items"),
        ];
        for m in &messages {
            let text = agrees(&mut ev, m, |v| v.display(), |ev, m| ev.message(m));
            assert!(text.is_ok(), "{m:?}: {text:?}");
        }
    }

    /// `sort` puts numbers first, then strings, then versions, then
    /// everything else by its JSON text, whether the items were read from a
    /// document or made by the policy.
    #[test]
    fn sort_orders_numbers_strings_versions_then_the_rest_by_json() {
        let doc = Doc::from_json(&serde_json::json!({
            "items": ["b", 10, {"k": 1}, null, [2], "a", 2.5, true, [10], false]
        }));
        let prog = no_program();
        let env = env();
        let inv = Inventory::new(std::iter::empty());
        let mut ev = Evaluator::new(&prog, &env, &inv, None);
        ev.input = Val::Node(doc.root());
        let version =
            |s: &str| Frozen::Version(ward_lang::ast::Version::parse(s).unwrap_or_default());
        let made = Frozen::List(
            vec![
                version("v1.30"),
                Frozen::Interned("0"),
                version("v1.4"),
                Frozen::Num(-1.0),
            ]
            .into(),
        );
        let sort = |list: CExpr| {
            x(CKind::Builtin {
                builtin: Builtin::Sort,
                args: vec![list],
                named: Vec::new(),
                pattern: None,
            })
        };
        let items = x(CKind::Field(Box::new(x(CKind::Input)), intern("items")));
        let both = x(CKind::Binary(
            BinOp::Add,
            Box::new(items),
            Box::new(x(CKind::Lit(made))),
        ));
        let sorted = ev.eval(&sort(both)).map(|v| {
            v.items()
                .map(|i| match i.resolve() {
                    Val::Version(v) => v.to_string(),
                    other => other.to_json().to_string(),
                })
                .collect::<Vec<_>>()
        });
        let want = [
            "-1",
            "2.5",
            "10",
            "\"0\"",
            "\"a\"",
            "\"b\"",
            "v1.4",
            "v1.30",
            "[10]",
            "[2]",
            "false",
            "null",
            "true",
            "{\"k\":1}",
        ];
        assert_eq!(sorted, Ok(want.map(String::from).to_vec()));
    }

    /// A literal list is thawed once per evaluator and found again by its
    /// address: a literal dropped and another made in its place must not
    /// be mistaken for it.
    #[test]
    fn a_thawed_literal_is_never_mistaken_for_a_later_one() {
        let prog = no_program();
        let env = env();
        let inv = Inventory::new(std::iter::empty());
        let mut ev = Evaluator::new(&prog, &env, &inv, None);
        for i in 0..64 {
            let e = x(CKind::Lit(Frozen::List(
                vec![Frozen::Num(f64::from(i))].into(),
            )));
            let v = ev.eval(&e).map(|v| v.to_json());
            assert_eq!(v, Ok(serde_json::json!([i])));
            // The same literal again: the thawed list itself.
            let (a, b) = (ev.eval(&e), ev.eval(&e));
            assert!(matches!((a, b), (Ok(Val::List(a)), Ok(Val::List(b))) if Rc::ptr_eq(&a, &b)));
        }
    }

    #[test]
    fn remembered_calls_on_the_input_answer_in_the_steps_of_a_call() {
        let (yes, no) = (
            Doc::from_json(&serde_json::json!({"yes": true})),
            Doc::from_json(&serde_json::json!({"yes": false})),
        );
        // `fn yes(r) = r.yes`
        let prog = Compiled {
            fns: vec![CFn {
                slots: 1,
                params: 1,
                lets: Vec::new(),
                body: x(CKind::Field(Box::new(x(CKind::Local(0))), intern("yes"))),
                context_free: true,
                unit_free: false,
                intrinsic: None,
            }],
            controls: Vec::new(),
            consts: Vec::new(),
            param_defaults: Vec::new(),
            view_fns: Default::default(),
        };
        let env = env();
        let inv = Inventory::new(std::iter::empty());
        let mut ev = Evaluator::new(&prog, &env, &inv, None);
        let call = x(CKind::Call(0, vec![x(CKind::Input)]));
        for (doc, holds) in [(&yes, true), (&no, false)] {
            ev.enter(doc.root());
            // Worked out the first time, on each resource: nothing to read.
            assert_eq!(ev.of_input_value(&call).map(|v| v.is_true()), None);
            assert_eq!(ev.eval(&call).map(|v| v.is_true()), Ok(holds));
            // Then remembered: a condition and a `let` read the answer in
            // as many steps as `eval` takes to find it.
            ev.steps = 0;
            let by_value = ev.eval(&call).map(|v| v.is_true());
            let value_steps = ev.steps;
            ev.steps = 0;
            assert_eq!(ev.truth(&call), by_value);
            assert_eq!(ev.steps, value_steps);
            ev.steps = 0;
            assert_eq!(ev.of_input_value(&call).map(|v| v.is_true()), Some(holds));
            assert_eq!(ev.steps, value_steps);
        }
    }
}
