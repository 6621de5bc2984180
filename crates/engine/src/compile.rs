//! From a checked [`Program`] to the form the evaluator runs.
//!
//! Field names become interned [`Sym`]s, regular expressions and globs with
//! literal patterns are compiled once, and each control records the kinds it
//! can match so the evaluator only offers it resources of those kinds.

use crate::value::intern::{Sym, intern};
use crate::value::val::Frozen;
use std::sync::Arc;
use ward_lang::ast::{BinOp, FindingKind, QuantKind, UnOp};
use ward_lang::builtins::Builtin;
use ward_lang::hir::{self, HClause, HExpr, HFix, HKind, HStmt, HStmtKind, Program, Slot};
use ward_lang::span::{FileId, Span};

pub mod pod_view;

#[derive(Debug)]
pub struct CExpr {
    pub kind: CKind,
    pub span: Span,
}

/// A pattern compiled ahead of time.
#[derive(Debug)]
pub enum Pattern {
    /// A regular expression, checked when the policy is compiled and built
    /// the first time it is used (building every pattern up front would
    /// be most of a cold start).
    Regex(LazyRegex),
    Glob(globset::GlobMatcher),
    JsonPath(Arc<serde_json_path::JsonPath>),
}

#[derive(Debug)]
pub enum CKind {
    /// A literal: a scalar, or a list or object of literals made once
    /// (see [`crate::value::val::Frozen`]).
    Lit(Frozen),
    Interp(Vec<CPart>),
    Local(Slot),
    /// A read of a control's `let` that is worked out when first read (see
    /// `defer_lets`): every read of its slot in the control, so that reads
    /// of other locals pay nothing for it.
    Deferred(Slot),
    Input,
    Profile,
    Param(u32),
    Const(u32),
    Field(Box<CExpr>, Sym),
    Index(Box<CExpr>, Box<CExpr>),
    Call(u32, Vec<CExpr>),
    Builtin {
        builtin: Builtin,
        args: Vec<CExpr>,
        named: Vec<(Sym, CExpr)>,
        pattern: Option<Arc<Pattern>>,
    },
    Plugin(u32, Arc<str>, Vec<CExpr>),
    Unary(UnOp, Box<CExpr>),
    Binary(BinOp, Box<CExpr>, Box<CExpr>),
    If(Box<CExpr>, Box<CExpr>, Box<CExpr>),
    List(Vec<CExpr>),
    /// An object's keys are interned for the process, and borrowed.
    Object(Vec<(&'static str, CExpr)>),
    ListComp(Box<CExpr>, Vec<CClause>),
    ObjectComp(Box<CExpr>, Box<CExpr>, Vec<CClause>),
    Quant(QuantKind, Option<Slot>, Slot, Box<CExpr>, Box<CExpr>),
}

#[derive(Debug)]
pub enum CPart {
    Lit(String),
    Expr(CExpr),
}

#[derive(Debug)]
pub enum CClause {
    For(Option<Slot>, Slot, CExpr),
    If(CExpr),
}

#[derive(Debug)]
pub struct CStmt {
    pub kind: CStmtKind,
    pub span: Span,
}

#[derive(Debug)]
pub enum CStmtKind {
    Match(CExpr),
    /// `let slot = value`; `lazy` when the next statement (past deferred
    /// `let`s) does not read it at once, so that it is worked out only when
    /// first read (see `defer_lets`).
    Let {
        slot: Slot,
        value: CExpr,
        lazy: bool,
    },
    For {
        key: Option<Slot>,
        value: Slot,
        iter: CExpr,
        body: Vec<CStmt>,
    },
    If {
        cond: CExpr,
        then: Vec<CStmt>,
        otherwise: Vec<CStmt>,
    },
    Finding(Box<CFinding>),
}

#[derive(Debug)]
pub struct CFinding {
    pub kind: FindingKind,
    pub when: Option<CExpr>,
    pub at: Option<CExpr>,
    pub message: Option<CExpr>,
    pub fixes: Vec<CFixClause>,
}

/// A `fix` clause: its operations, made only where `when` holds.
#[derive(Debug)]
pub struct CFixClause {
    pub when: Option<CExpr>,
    pub ops: Vec<CFix>,
}

#[derive(Debug)]
pub enum CFix {
    Set { path: CExpr, value: CExpr },
    Remove { path: CExpr },
}

#[derive(Debug)]
pub struct CFn {
    pub slots: u32,
    pub params: u32,
    pub lets: Vec<(Slot, CExpr)>,
    pub body: CExpr,
    /// Whether the result depends on nothing but the arguments, params,
    /// constants and the inventory: no `input`, no profile, no plugin, and
    /// only functions that are context-free too. Such a call with scalar
    /// arguments gives the same value on every resource.
    pub context_free: bool,
    /// Context-free, and reading no param (nor a constant that reads one):
    /// every unit, whatever its params, gets the same result from the same
    /// arguments.
    pub unit_free: bool,
    /// The native form of a standard-library function, if it has one (see
    /// `eval::intrinsics`).
    pub intrinsic: Option<crate::eval::Intrinsic>,
}

#[derive(Debug)]
pub struct CControl {
    pub body: Vec<CStmt>,
    pub slots: u32,
    /// Kinds the control can apply to; `None` for any.
    pub kinds: Option<Vec<String>>,
    /// For each slot bound by a `let` to a path, that path, so `at x.f`
    /// can name the place even when `x` turned out missing.
    pub let_places: Vec<Option<CExpr>>,
    /// Whether the control reads `profile`. Only a control can (functions
    /// are handed `profile.version` as an argument), so one that does not
    /// finds the same on a resource under every profile.
    pub reads_profile: bool,
    /// Whether the control reads a resource only through its pod view, so
    /// that objects with the same view share what it finds (see
    /// [`pod_view`]).
    pub pod_view: bool,
}

/// The places of a body's `deny` and `warn` statements, in order.
pub fn finding_statements(body: &[CStmt]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut stack: Vec<&[CStmt]> = vec![body];
    while let Some(stmts) = stack.pop() {
        for s in stmts {
            match &s.kind {
                CStmtKind::Finding(_) => out.push(s.span),
                CStmtKind::For { body, .. } => stack.push(body),
                CStmtKind::If {
                    then, otherwise, ..
                } => {
                    stack.push(then);
                    stack.push(otherwise);
                }
                CStmtKind::Match(_) | CStmtKind::Let { .. } => {}
            }
        }
    }
    out.sort_by_key(|s| (s.file.0, s.start));
    out
}

/// A program ready to evaluate.
#[derive(Debug)]
pub struct Compiled {
    pub fns: Vec<CFn>,
    pub controls: Vec<CControl>,
    pub consts: Vec<CExpr>,
    pub param_defaults: Vec<Option<CExpr>>,
    /// The functions that make a resource's pod view.
    pub view_fns: pod_view::Accessors,
}

/// Compiles every function, control, constant and param default.
pub fn compile(p: &Program) -> Result<Compiled, CompileError> {
    compile_trusting(p, &|_| false)
}

/// [`compile`], without checking the syntax of the literal regular
/// expressions of the files `trusted` names: the built-in packs, whose
/// patterns a test checks (`built_in_patterns_are_valid`). Parsing them was
/// an eighth of a cold start; each is still built, and so checked, on
/// first use. The functions of those files, and only those, get their
/// native forms (`eval::intrinsics`), written for the text built in.
pub fn compile_trusting(
    p: &Program,
    trusted: &dyn Fn(FileId) -> bool,
) -> Result<Compiled, CompileError> {
    let mut c = Compiler {
        errors: Vec::new(),
        trusted,
        consts: p.consts.iter().map(|k| &k.value).collect(),
        const_patterns: rustc_hash::FxHashMap::default(),
    };
    let mut fns: Vec<CFn> = p
        .fns
        .iter()
        .map(|f| CFn {
            slots: f.slots,
            params: f.params.len() as u32,
            lets: f.lets.iter().map(|(s, e)| (*s, c.expr(e))).collect(),
            body: c.expr(&f.body),
            context_free: false,
            unit_free: false,
            // Only the standard library as built in: a copy being edited
            // (`./std-lib/k8s.ward`) runs the bodies it says.
            intrinsic: trusted(f.span.file)
                .then(|| crate::eval::intrinsic(&f.qname))
                .flatten(),
        })
        .collect();
    mark_context_free(&mut fns);
    let mut controls: Vec<CControl> = p
        .controls
        .iter()
        .map(|ctl| {
            let mut body = c.stmts(&ctl.body);
            let mut let_places = c.let_places(&ctl.body, ctl.slots);
            let mut deferred = Vec::new();
            defer_lets(&mut body, &mut deferred);
            if !deferred.is_empty() {
                read_deferred(&mut body, &mut let_places, &deferred);
            }
            CControl {
                pod_view: false,
                reads_profile: stmts_read_profile(&body),
                body,
                slots: ctl.slots,
                kinds: ctl.kinds.clone(),
                let_places,
            }
        })
        .collect();
    let find = |name: &str| p.fns.iter().position(|f| f.qname == name).map(|i| i as u32);
    let accessors = pod_view::Accessors {
        spec: find(pod_view::SPEC_FN),
        meta: find(pod_view::META_FN),
        namespace: find(pod_view::NAMESPACE_FN),
        account: find(pod_view::ACCOUNT_FN),
    };
    pod_view::mark(&mut controls, &fns, accessors);
    let consts: Vec<CExpr> = p.consts.iter().map(|k| c.expr(&k.value)).collect();
    mark_unit_free(&mut fns, &consts);
    let param_defaults = p
        .params
        .iter()
        .map(|pd| pd.default.as_ref().map(|d| c.expr(d)))
        .collect();
    if let Some(first) = c.errors.into_iter().next() {
        return Err(first);
    }
    Ok(Compiled {
        fns,
        controls,
        consts,
        param_defaults,
        view_fns: accessors,
    })
}

/// Marks the functions whose result depends only on their arguments (and
/// on what stays the same for a whole run), to a fixed point over calls.
fn mark_context_free(fns: &mut [CFn]) {
    // Start from "every function is context-free" and take back any that
    // reads context (recursion stays context-free when nothing else reads
    // context).
    let mut known = vec![true; fns.len()];
    take_back(&mut known, |i, known| {
        fns.get(i).is_some_and(|f| fn_reads_context(f, known, None))
    });
    for (f, k) in fns.iter_mut().zip(known) {
        f.context_free = k;
    }
}

/// Unmarks, until nothing changes, every item marked in `known` that
/// `reads` says depends on something unmarked.
fn take_back(known: &mut [bool], reads: impl Fn(usize, &[bool]) -> bool) {
    loop {
        let mut changed = false;
        for i in 0..known.len() {
            if known.get(i).copied().unwrap_or(false) && reads(i, known) {
                if let Some(k) = known.get_mut(i) {
                    *k = false;
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Whether a function's body or `let`s read context (see
/// [`reads_context`]).
fn fn_reads_context(f: &CFn, known: &[bool], units: Option<&[bool]>) -> bool {
    reads_context(&f.body, known, units)
        || f.lets.iter().any(|(_, e)| reads_context(e, known, units))
}

/// Whether an expression reads the resource or the profile, calls a plugin,
/// or calls a function not (yet) known to be free of context. With `units`
/// (which constants read no param), a param and a constant that reads one
/// count as context too.
fn reads_context(e: &CExpr, known: &[bool], units: Option<&[bool]>) -> bool {
    match &e.kind {
        CKind::Input | CKind::Profile | CKind::Plugin(..) => true,
        CKind::Param(_) => units.is_some(),
        CKind::Const(i) => units.is_some_and(|u| !u.get(*i as usize).copied().unwrap_or(false)),
        CKind::Call(id, _) if !known.get(*id as usize).copied().unwrap_or(false) => true,
        _ => any_child(e, &mut |x| reads_context(x, known, units)),
    }
}

/// Whether `f` holds for any expression directly inside `e`.
fn any_child(e: &CExpr, f: &mut dyn FnMut(&CExpr) -> bool) -> bool {
    fn clauses(cs: &[CClause], f: &mut dyn FnMut(&CExpr) -> bool) -> bool {
        cs.iter().any(|c| match c {
            CClause::For(_, _, x) | CClause::If(x) => f(x),
        })
    }
    match &e.kind {
        CKind::Lit(_)
        | CKind::Local(_)
        | CKind::Deferred(_)
        | CKind::Input
        | CKind::Profile
        | CKind::Param(_)
        | CKind::Const(_) => false,
        CKind::Interp(parts) => parts.iter().any(|p| match p {
            CPart::Lit(_) => false,
            CPart::Expr(x) => f(x),
        }),
        CKind::Field(b, _) | CKind::Unary(_, b) => f(b),
        CKind::Index(a, b) | CKind::Binary(_, a, b) => f(a) || f(b),
        CKind::Call(_, items) | CKind::Plugin(_, _, items) | CKind::List(items) => {
            items.iter().any(&mut *f)
        }
        CKind::Builtin { args, named, .. } => {
            args.iter().any(&mut *f) || named.iter().any(|(_, x)| f(x))
        }
        CKind::If(a, b, c) => f(a) || f(b) || f(c),
        CKind::Object(kvs) => kvs.iter().any(|(_, x)| f(x)),
        CKind::ListComp(x, cs) => f(x) || clauses(cs, f),
        CKind::ObjectComp(k, v, cs) => f(k) || f(v) || clauses(cs, f),
        CKind::Quant(_, _, _, a, b) => f(a) || f(b),
    }
}

/// Whether any expression of the statements is `profile`.
fn stmts_read_profile(stmts: &[CStmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        CStmtKind::Match(e) | CStmtKind::Let { value: e, .. } => reads_profile(e),
        CStmtKind::For { iter, body, .. } => reads_profile(iter) || stmts_read_profile(body),
        CStmtKind::If {
            cond,
            then,
            otherwise,
        } => reads_profile(cond) || stmts_read_profile(then) || stmts_read_profile(otherwise),
        CStmtKind::Finding(f) => {
            [&f.when, &f.at, &f.message]
                .into_iter()
                .flatten()
                .any(reads_profile)
                || f.fixes.iter().any(|c| {
                    c.when.as_ref().is_some_and(reads_profile)
                        || c.ops.iter().any(|fx| match fx {
                            CFix::Set { path, value } => {
                                reads_profile(path) || reads_profile(value)
                            }
                            CFix::Remove { path } => reads_profile(path),
                        })
                })
        }
    })
}

/// Marks the `let`s of a control that are worked out only when first read:
/// those that the next statement (past deferred `let`s) does not read at
/// once, in a `match`, a loop's collection, an `if` condition, a finding's
/// `when` or a `let` worked out where it stands. A value that only a
/// message, a fix or a loop's body reads (`let message = ...` before a
/// `deny`) then costs nothing where no finding is made or the loop has
/// nothing to go through; one read at once costs no more than before.
///
/// Only the first 64 slots of a control are deferred (a read tests a bit of
/// one word); the slots deferred are added to `deferred`.
fn defer_lets(stmts: &mut [CStmt], deferred: &mut Vec<Slot>) {
    // From the last statement up, so that whether the next `let` is worked
    // out where it stands is known.
    for k in (0..stmts.len()).rev() {
        let (head, tail) = stmts.split_at_mut(k + 1);
        let Some(last) = head.last_mut() else {
            continue;
        };
        let (slot, value, lazy) = match &mut last.kind {
            CStmtKind::Let { slot, value, lazy } => (slot, value, lazy),
            CStmtKind::For { body, .. } => {
                defer_lets(body, deferred);
                continue;
            }
            CStmtKind::If {
                then, otherwise, ..
            } => {
                defer_lets(then, deferred);
                defer_lets(otherwise, deferred);
                continue;
            }
            CStmtKind::Match(_) | CStmtKind::Finding(_) => continue,
        };
        // The next statement that is not itself a deferred `let`.
        let next = tail
            .iter()
            .find(|s| !matches!(s.kind, CStmtKind::Let { lazy: true, .. }));
        let read_next = match next.map(|s| &s.kind) {
            Some(CStmtKind::Match(e) | CStmtKind::For { iter: e, .. })
            | Some(CStmtKind::If { cond: e, .. })
            | Some(CStmtKind::Let { value: e, .. }) => reads_slot(e, *slot),
            Some(CStmtKind::Finding(f)) => f.when.as_ref().is_some_and(|e| reads_slot(e, *slot)),
            None => false,
        };
        *lazy = !read_next && !cheap(value) && *slot < 64;
        if *lazy {
            deferred.push(*slot);
        }
    }
}

/// Turns every read of a deferred `let`'s slot in a control (its
/// statements, and the places `at` finds through its `let`s) into
/// [`CKind::Deferred`].
fn read_deferred(body: &mut [CStmt], places: &mut [Option<CExpr>], deferred: &[Slot]) {
    fn expr(e: &mut CExpr, deferred: &[Slot]) {
        if let CKind::Local(s) = e.kind
            && deferred.contains(&s)
        {
            e.kind = CKind::Deferred(s);
        }
        each_child_mut(e, &mut |x| expr(x, deferred));
    }
    fn stmts(body: &mut [CStmt], deferred: &[Slot]) {
        for s in body {
            match &mut s.kind {
                CStmtKind::Match(e) | CStmtKind::Let { value: e, .. } => expr(e, deferred),
                CStmtKind::For { iter, body, .. } => {
                    expr(iter, deferred);
                    stmts(body, deferred);
                }
                CStmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    expr(cond, deferred);
                    stmts(then, deferred);
                    stmts(otherwise, deferred);
                }
                CStmtKind::Finding(f) => {
                    let CFinding {
                        when,
                        at,
                        message,
                        fixes,
                        ..
                    } = &mut **f;
                    for e in [when, at, message].into_iter().flatten() {
                        expr(e, deferred);
                    }
                    for c in fixes {
                        if let Some(w) = &mut c.when {
                            expr(w, deferred);
                        }
                        for op in &mut c.ops {
                            match op {
                                CFix::Set { path, value } => {
                                    expr(path, deferred);
                                    expr(value, deferred);
                                }
                                CFix::Remove { path } => expr(path, deferred),
                            }
                        }
                    }
                }
            }
        }
    }
    stmts(body, deferred);
    for p in places.iter_mut().flatten() {
        expr(p, deferred);
    }
}

/// Calls `f` on every expression directly inside `e`: [`any_child`] for a
/// change, the same children in the same order (both matches list every
/// kind, so a new kind must be added to both).
fn each_child_mut(e: &mut CExpr, f: &mut dyn FnMut(&mut CExpr)) {
    fn clauses(cs: &mut [CClause], f: &mut dyn FnMut(&mut CExpr)) {
        for c in cs {
            match c {
                CClause::For(_, _, x) | CClause::If(x) => f(x),
            }
        }
    }
    match &mut e.kind {
        CKind::Lit(_)
        | CKind::Local(_)
        | CKind::Deferred(_)
        | CKind::Input
        | CKind::Profile
        | CKind::Param(_)
        | CKind::Const(_) => {}
        CKind::Interp(parts) => {
            for p in parts {
                if let CPart::Expr(x) = p {
                    f(x);
                }
            }
        }
        CKind::Field(b, _) | CKind::Unary(_, b) => f(b),
        CKind::Index(a, b) | CKind::Binary(_, a, b) => {
            f(a);
            f(b);
        }
        CKind::Call(_, items) | CKind::Plugin(_, _, items) | CKind::List(items) => {
            items.iter_mut().for_each(&mut *f);
        }
        CKind::Builtin { args, named, .. } => {
            args.iter_mut().for_each(&mut *f);
            named.iter_mut().for_each(|(_, x)| f(x));
        }
        CKind::If(a, b, c) => {
            f(a);
            f(b);
            f(c);
        }
        CKind::Object(kvs) => kvs.iter_mut().for_each(|(_, x)| f(x)),
        CKind::ListComp(x, cs) => {
            f(x);
            clauses(cs, f);
        }
        CKind::ObjectComp(k, v, cs) => {
            f(k);
            f(v);
            clauses(cs, f);
        }
        CKind::Quant(_, _, _, a, b) => {
            f(a);
            f(b);
        }
    }
}

/// Whether an expression costs no more than reading a deferred value
/// would: a `let` of one is worked out where it stands.
fn cheap(e: &CExpr) -> bool {
    matches!(
        e.kind,
        CKind::Lit(_)
            | CKind::Local(_)
            | CKind::Input
            | CKind::Profile
            | CKind::Param(_)
            | CKind::Const(_)
    )
}

/// Whether an expression reads a local slot.
fn reads_slot(e: &CExpr, slot: Slot) -> bool {
    matches!(e.kind, CKind::Local(s) if s == slot) || any_child(e, &mut |x| reads_slot(x, slot))
}

/// Whether an expression is or holds `profile`.
fn reads_profile(e: &CExpr) -> bool {
    matches!(e.kind, CKind::Profile) || any_child(e, &mut |x| reads_profile(x))
}

/// Marks the context-free functions that read no param, directly or through
/// a constant or a call, to a fixed point like [`mark_context_free`].
fn mark_unit_free(fns: &mut [CFn], consts: &[CExpr]) {
    // Constants first: one is unit-free when it reads no param, calls
    // nothing and reads only unit-free constants.
    let none = vec![false; fns.len()];
    let mut units = vec![true; consts.len()];
    take_back(&mut units, |i, units| {
        consts
            .get(i)
            .is_some_and(|c| reads_context(c, &none, Some(units)))
    });
    let mut known: Vec<bool> = fns.iter().map(|f| f.context_free).collect();
    take_back(&mut known, |i, known| {
        fns.get(i)
            .is_some_and(|f| fn_reads_context(f, known, Some(&units)))
    });
    for (f, k) in fns.iter_mut().zip(known) {
        f.unit_free = k;
    }
}

/// The values of expressions that are all literals.
fn literals<'e>(items: impl IntoIterator<Item = &'e CExpr>) -> Option<Vec<Frozen>> {
    items
        .into_iter()
        .map(|x| match &x.kind {
            CKind::Lit(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

/// Compiles one expression on its own (pack `set` values, test inputs).
pub fn compile_expr(e: &HExpr) -> Result<CExpr, CompileError> {
    let mut c = Compiler {
        errors: Vec::new(),
        trusted: &|_| false,
        consts: Vec::new(),
        const_patterns: rustc_hash::FxHashMap::default(),
    };
    let out = c.expr(e);
    match c.errors.into_iter().next() {
        Some(err) => Err(err),
        None => Ok(out),
    }
}

/// A regular expression built on first use.
#[derive(Debug)]
pub struct LazyRegex {
    source: String,
    built: std::sync::OnceLock<Result<Arc<regex::Regex>, String>>,
}

impl LazyRegex {
    /// Checks the syntax now; the automaton is built later.
    pub fn new(source: &str) -> Result<LazyRegex, String> {
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(LazyRegex::unchecked(source))
    }

    /// A pattern known to be valid, checked only when it is built.
    fn unchecked(source: &str) -> LazyRegex {
        LazyRegex {
            source: source.to_string(),
            built: std::sync::OnceLock::new(),
        }
    }

    pub fn get(&self) -> Result<Arc<regex::Regex>, String> {
        self.built
            .get_or_init(|| {
                regex::RegexBuilder::new(&self.source)
                    .size_limit(1 << 20)
                    .build()
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

/// A literal pattern that does not compile.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub span: Span,
    pub message: String,
}

struct Compiler<'t> {
    errors: Vec<CompileError>,
    /// Files whose regular expressions are known to be valid.
    trusted: &'t dyn Fn(FileId) -> bool,
    /// The values of the program's constants, by index: a constant that is
    /// a string can be a pattern.
    consts: Vec<&'t HExpr>,
    /// The pattern each constant was compiled to, by constant and builtin,
    /// so that every use of `let pattern = r"..."` shares one automaton
    /// (and an invalid one is reported once).
    const_patterns: rustc_hash::FxHashMap<(u32, Builtin), Option<Arc<Pattern>>>,
}

impl Compiler<'_> {
    /// The paths `let`s bind, by slot.
    fn let_places(&mut self, body: &[HStmt], slots: u32) -> Vec<Option<CExpr>> {
        fn is_path(e: &HExpr) -> bool {
            match &e.kind {
                HKind::Field(b, _) | HKind::Index(b, _) => is_path(b),
                HKind::Local(_) | HKind::Input => true,
                _ => false,
            }
        }
        fn walk<'h>(body: &'h [HStmt], out: &mut Vec<(Slot, &'h HExpr)>) {
            for s in body {
                match &s.kind {
                    HStmtKind::Let(slot, e) if is_path(e) => out.push((*slot, e)),
                    HStmtKind::For { body, .. } => walk(body, out),
                    HStmtKind::If {
                        then, otherwise, ..
                    } => {
                        walk(then, out);
                        walk(otherwise, out);
                    }
                    _ => {}
                }
            }
        }
        let mut found = Vec::new();
        walk(body, &mut found);
        let mut places: Vec<Option<CExpr>> = (0..slots).map(|_| None).collect();
        for (slot, e) in found {
            if let Some(p) = places.get_mut(slot as usize) {
                *p = Some(self.expr(e));
            }
        }
        places
    }

    fn stmts(&mut self, s: &[HStmt]) -> Vec<CStmt> {
        s.iter().map(|s| self.stmt(s)).collect()
    }

    fn stmt(&mut self, s: &HStmt) -> CStmt {
        let kind = match &s.kind {
            HStmtKind::Match(e) => CStmtKind::Match(self.expr(e)),
            HStmtKind::Let(slot, e) => CStmtKind::Let {
                slot: *slot,
                value: self.expr(e),
                lazy: false,
            },
            HStmtKind::For {
                key,
                value,
                iter,
                body,
            } => CStmtKind::For {
                key: *key,
                value: *value,
                iter: self.expr(iter),
                body: self.stmts(body),
            },
            HStmtKind::If {
                cond,
                then,
                otherwise,
            } => CStmtKind::If {
                cond: self.expr(cond),
                then: self.stmts(then),
                otherwise: self.stmts(otherwise),
            },
            HStmtKind::Finding(f) => CStmtKind::Finding(Box::new(CFinding {
                kind: f.kind,
                when: f.when.as_ref().map(|e| self.expr(e)),
                at: f.at.as_ref().map(|e| self.expr(e)),
                message: f.message.as_ref().map(|e| self.expr(e)),
                fixes: f
                    .fixes
                    .iter()
                    .map(|c| CFixClause {
                        when: c.when.as_ref().map(|e| self.expr(e)),
                        ops: c
                            .ops
                            .iter()
                            .map(|x| match x {
                                HFix::Set { path, value, .. } => CFix::Set {
                                    path: self.expr(path),
                                    value: self.expr(value),
                                },
                                HFix::Remove { path, .. } => CFix::Remove {
                                    path: self.expr(path),
                                },
                            })
                            .collect(),
                    })
                    .collect(),
            })),
        };
        CStmt { kind, span: s.span }
    }

    fn boxed(&mut self, e: &HExpr) -> Box<CExpr> {
        Box::new(self.expr(e))
    }

    fn clauses(&mut self, cl: &[HClause]) -> Vec<CClause> {
        cl.iter()
            .map(|c| match c {
                HClause::For(k, v, e) => CClause::For(*k, *v, self.expr(e)),
                HClause::If(e) => CClause::If(self.expr(e)),
            })
            .collect()
    }

    pub fn expr(&mut self, e: &HExpr) -> CExpr {
        let kind = match &e.kind {
            HKind::Null => CKind::Lit(Frozen::Null),
            HKind::Bool(b) => CKind::Lit(Frozen::Bool(*b)),
            HKind::Num(n) => CKind::Lit(Frozen::Num(*n)),
            // A literal string is interned for the process and borrowed,
            // so using it costs no reference count.
            HKind::Str(s) => CKind::Lit(Frozen::Interned(intern(s).as_str())),
            HKind::Version(v) => CKind::Lit(Frozen::Version(*v)),
            HKind::Interp(parts) => CKind::Interp(
                parts
                    .iter()
                    .map(|p| match p {
                        hir::HStrPart::Lit(s) => CPart::Lit(s.clone()),
                        hir::HStrPart::Expr(x) => CPart::Expr(self.expr(x)),
                    })
                    .collect(),
            ),
            HKind::Local(s) => CKind::Local(*s),
            HKind::Input => CKind::Input,
            HKind::Profile => CKind::Profile,
            HKind::Param(i) => CKind::Param(*i),
            HKind::Const(i) => CKind::Const(*i),
            HKind::Field(base, name) => CKind::Field(self.boxed(base), intern(name)),
            HKind::Index(a, b) => CKind::Index(self.boxed(a), self.boxed(b)),
            HKind::Call(id, args) => CKind::Call(*id, args.iter().map(|a| self.expr(a)).collect()),
            HKind::Builtin(b, args, named) => {
                let pattern = self.pattern(*b, args);
                CKind::Builtin {
                    builtin: *b,
                    args: args.iter().map(|a| self.expr(a)).collect(),
                    named: named
                        .iter()
                        .map(|(k, v)| (intern(k), self.expr(v)))
                        .collect(),
                    pattern,
                }
            }
            HKind::Plugin(id, f, args) => CKind::Plugin(
                *id,
                Arc::from(f.as_str()),
                args.iter().map(|a| self.expr(a)).collect(),
            ),
            HKind::Unary(op, x) => CKind::Unary(*op, self.boxed(x)),
            HKind::Binary(op, a, b) => CKind::Binary(*op, self.boxed(a), self.boxed(b)),
            HKind::If(a, b, c) => CKind::If(self.boxed(a), self.boxed(b), self.boxed(c)),
            HKind::List(items) => {
                let items: Vec<CExpr> = items.iter().map(|x| self.expr(x)).collect();
                // A list of literals is made once, not on every evaluation
                // (`x in ["a", "b"]`, `c.args ?? []`).
                match literals(&items) {
                    Some(vals) => CKind::Lit(Frozen::List(vals.into())),
                    None => CKind::List(items),
                }
            }
            HKind::Object(kvs) => {
                let kvs: Vec<(&'static str, CExpr)> = kvs
                    .iter()
                    .map(|(k, v)| (intern(k).as_str(), self.expr(v)))
                    .collect();
                match literals(kvs.iter().map(|(_, v)| v)) {
                    Some(vals) => {
                        CKind::Lit(Frozen::Obj(kvs.iter().map(|(k, _)| *k).zip(vals).collect()))
                    }
                    None => CKind::Object(kvs),
                }
            }
            HKind::ListComp(x, cl) => CKind::ListComp(self.boxed(x), self.clauses(cl)),
            HKind::ObjectComp(k, v, cl) => {
                CKind::ObjectComp(self.boxed(k), self.boxed(v), self.clauses(cl))
            }
            HKind::Quant(q, k, v, coll, body) => {
                CKind::Quant(*q, *k, *v, self.boxed(coll), self.boxed(body))
            }
        };
        CExpr { kind, span: e.span }
    }

    /// Precompiles a literal regular expression or glob, or one a constant
    /// holds (`let pattern = r"..."`).
    fn pattern(&mut self, b: Builtin, args: &[HExpr]) -> Option<Arc<Pattern>> {
        let first = if b == Builtin::JsonPath {
            args.get(1)?
        } else {
            args.first()?
        };
        match &first.kind {
            HKind::Str(p) => self.literal_pattern(b, p, first.span),
            HKind::Const(i) => {
                let family = match b {
                    Builtin::RegexMatch | Builtin::RegexCapture | Builtin::RegexReplace => {
                        Builtin::RegexMatch
                    }
                    other => other,
                };
                if let Some(done) = self.const_patterns.get(&(*i, family)) {
                    return done.clone();
                }
                let value = *self.consts.get(*i as usize)?;
                let made = match &value.kind {
                    HKind::Str(p) => self.literal_pattern(b, p, value.span),
                    _ => None,
                };
                self.const_patterns.insert((*i, family), made.clone());
                made
            }
            _ => None,
        }
    }

    /// [`Self::pattern`] of a string literal at `span`.
    fn literal_pattern(&mut self, b: Builtin, p: &str, span: Span) -> Option<Arc<Pattern>> {
        match b {
            Builtin::JsonPath => match serde_json_path::JsonPath::parse(p) {
                Ok(q) => Some(Arc::new(Pattern::JsonPath(Arc::new(q)))),
                Err(e) => {
                    self.errors.push(CompileError {
                        span,
                        message: format!("invalid JSONPath query: {e}"),
                    });
                    None
                }
            },
            Builtin::RegexMatch | Builtin::RegexCapture | Builtin::RegexReplace => {
                let checked = if (self.trusted)(span.file) {
                    Ok(LazyRegex::unchecked(p))
                } else {
                    LazyRegex::new(p)
                };
                match checked {
                    Ok(r) => Some(Arc::new(Pattern::Regex(r))),
                    Err(e) => {
                        self.errors.push(CompileError {
                            span,
                            message: format!("invalid regular expression: {e}"),
                        });
                        None
                    }
                }
            }
            Builtin::GlobMatch => match globset::Glob::new(p) {
                Ok(g) => Some(Arc::new(Pattern::Glob(g.compile_matcher()))),
                Err(e) => {
                    self.errors.push(CompileError {
                        span,
                        message: format!("invalid glob pattern: {e}"),
                    });
                    None
                }
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What loading a team's policy file beside the built-in packs refused.
    fn refused(policy: &str) -> Box<crate::engine::PolicyErrors> {
        match crate::EngineBuilder::new()
            .policy("team.ward", policy)
            .build()
        {
            Ok(_) => panic!("the policy loaded"),
            Err(e) => e,
        }
    }

    /// A team's own bad pattern is reported when the policy loads, with
    /// the built-in packs loaded beside it.
    #[test]
    fn a_bad_pattern_in_a_teams_file_stops_the_load() {
        let e = refused(
            "package team\n\ncontrol names {\n  title \"names\"\n  severity low\n  deny when regex_match(r\"(\", input.kind ?? \"\") message \"x\"\n}\n",
        );
        let found: Vec<(&str, &str)> = e
            .diagnostics
            .iter()
            .map(|d| (d.code, e.sources.name(d.primary.span.file)))
            .collect();
        assert_eq!(found, [("invalid-pattern", "team.ward")], "{e}");
    }

    /// A pattern a constant holds is compiled when the policy loads, once
    /// for all its uses: a bad one is reported there, once, at the constant.
    #[test]
    fn a_constant_pattern_is_compiled_once_for_all_its_uses() {
        let e = refused(
            "package team\n\nlet bad = r\"(\"\nlet good = r\"^a+$\"\n\ncontrol names {\n  title \"names\"\n  severity low\n  deny when regex_match(bad, input.kind ?? \"\") message \"x\"\n  warn when exists(regex_capture(bad, \"a\")) message \"y\"\n}\n",
        );
        let found: Vec<(&str, usize)> = e
            .diagnostics
            .iter()
            .map(|d| (d.code, e.sources.line_col(d.primary.span).0))
            .collect();
        assert_eq!(found, [("invalid-pattern", 3)], "{e}");
        // Every use of a good one shares one compiled pattern.
        let h = ward_lang::check(&[ward_lang::parse(
            FileId(0),
            "package t\n\nlet good = r\"^a+$\"\nfn a(x) = regex_match(good, x)\nfn b(x) = regex_capture(good, x)\nfn c(x) = regex_match(r\"^a+$\", x)\n",
        )
        .unwrap_or_else(|d| panic!("{d:?}"))]);
        let compiled = compile(&h.program).unwrap_or_else(|e| panic!("{}", e.message));
        let patterns: Vec<Arc<Pattern>> = compiled
            .fns
            .iter()
            .filter_map(|f| match &f.body.kind {
                CKind::Builtin { pattern, .. } => pattern.clone(),
                _ => None,
            })
            .collect();
        let [a, b, c] = patterns.as_slice() else {
            panic!("three patterns: {patterns:?}");
        };
        assert!(
            Arc::ptr_eq(a, b),
            "one pattern for both uses of the constant"
        );
        assert!(!Arc::ptr_eq(a, c), "a literal has its own");
    }

    /// The built-in packs are compiled without checking their patterns
    /// (`compile_trusting`); this is the check.
    #[test]
    fn built_in_patterns_are_valid() {
        let engine = crate::EngineBuilder::new()
            .build()
            .expect("the built-in packs check");
        let with_patterns = crate::engine::embedded_files()
            .iter()
            .filter(|(_, text)| text.contains("regex_"))
            .count();
        assert!(with_patterns > 3, "{with_patterns} files with patterns");
        if let Err(e) = compile(&engine.program) {
            panic!("a built-in pattern is invalid: {}", e.message);
        }
    }

    /// The compiled controls of one policy.
    fn controls(policy: &str) -> Vec<CControl> {
        let h = ward_lang::check(&[
            ward_lang::parse(FileId(0), policy).unwrap_or_else(|d| panic!("{d:?}"))
        ]);
        assert!(h.diagnostics.is_empty(), "{:?}", h.diagnostics);
        compile(&h.program)
            .unwrap_or_else(|e| panic!("{}", e.message))
            .controls
    }

    /// The `let`s of statements, at any depth: slot and whether deferred.
    fn lets(stmts: &[CStmt], out: &mut Vec<(Slot, bool)>) {
        for s in stmts {
            match &s.kind {
                CStmtKind::Let { slot, lazy, .. } => out.push((*slot, *lazy)),
                CStmtKind::For { body, .. } => lets(body, out),
                CStmtKind::If {
                    then, otherwise, ..
                } => {
                    lets(then, out);
                    lets(otherwise, out);
                }
                CStmtKind::Match(_) | CStmtKind::Finding(_) => {}
            }
        }
    }

    /// The slots an expression reads, as `Local` (false) or `Deferred`
    /// (true).
    fn reads(e: &CExpr, out: &mut Vec<(Slot, bool)>) {
        match e.kind {
            CKind::Local(s) => out.push((s, false)),
            CKind::Deferred(s) => out.push((s, true)),
            _ => {}
        }
        any_child(e, &mut |x| {
            reads(x, out);
            false
        });
    }

    /// A `let` the next statement reads at once is worked out where it
    /// stands; one only a message (or a `let` that is itself deferred)
    /// reads is deferred, and every read of it says so.
    #[test]
    fn lets_the_next_statement_does_not_read_are_deferred() {
        let controls = controls(
            "package t\n\ncontrol c {\n  title \"c\"\n  severity low\n  let spec = input.spec\n  for x in spec.containers {\n    let m = \"{x.name} in {spec.nodeName}\"\n    let sc = x.securityContext\n    let shown = upper(m)\n    deny when sc.privileged == true\n      at sc.privileged\n      message shown\n  }\n}\n",
        );
        let [c] = controls.as_slice() else {
            panic!("one control");
        };
        let mut found = Vec::new();
        lets(&c.body, &mut found);
        // spec (slot 0) is read by the loop, x is slot 1, m (2) only by
        // `shown` (4), which only the message reads; sc (3) by the `when`.
        assert_eq!(found, [(0, false), (2, true), (3, false), (4, true)]);
        let Some(CStmt {
            kind: CStmtKind::For { body, .. },
            ..
        }) = c.body.get(1)
        else {
            panic!("the loop: {:?}", c.body);
        };
        let mut read = Vec::new();
        for s in body {
            match &s.kind {
                CStmtKind::Let { value, .. } => reads(value, &mut read),
                CStmtKind::Finding(f) => {
                    for e in [&f.when, &f.at, &f.message].into_iter().flatten() {
                        reads(e, &mut read);
                    }
                }
                _ => {}
            }
        }
        assert_eq!(
            read,
            [
                (1, false),
                (0, false),
                (1, false),
                (2, true),
                (3, false),
                (3, false),
                (4, true)
            ]
        );
    }

    fn h(kind: HKind) -> HExpr {
        HExpr {
            kind,
            span: Span::default(),
        }
    }

    #[test]
    fn lists_and_objects_of_literals_are_made_once() {
        let list = h(HKind::List(vec![
            h(HKind::Str("a".into())),
            h(HKind::List(vec![h(HKind::Num(1.0)), h(HKind::Null)])),
        ]));
        let Ok(c) = compile_expr(&list) else {
            panic!("the list compiles");
        };
        assert!(
            matches!(&c.kind, CKind::Lit(v) if v.to_json() == serde_json::json!(["a", [1, null]])),
            "{c:?}"
        );
        let object = h(HKind::Object(vec![
            ("k".into(), h(HKind::Bool(true))),
            ("e".into(), h(HKind::Object(Vec::new()))),
        ]));
        let Ok(c) = compile_expr(&object) else {
            panic!("the object compiles");
        };
        assert!(
            matches!(&c.kind, CKind::Lit(v) if v.to_json() == serde_json::json!({"k": true, "e": {}})),
            "{c:?}"
        );
        // Anything read at run time keeps the list (and its parents) built
        // on each evaluation.
        let mixed = h(HKind::List(vec![
            h(HKind::Str("a".into())),
            h(HKind::List(vec![h(HKind::Input)])),
        ]));
        let Ok(c) = compile_expr(&mixed) else {
            panic!("the list compiles");
        };
        assert!(matches!(&c.kind, CKind::List(items) if matches!(items[0].kind, CKind::Lit(_))));
    }
}
