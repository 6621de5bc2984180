//! Resolving statements and expressions, with the type checks that are
//! evident without data.

use super::scope::{BindKind, Context, Frame};
use super::{Checker, Global, Member};
use crate::ast::{self, BinOp, ExprKind, StmtKind, UnOp};
use crate::builtins::Builtin;
use crate::diagnostic::{Diagnostic, suggest};
use crate::hir::*;
use crate::span::Span;
use crate::types::{PROFILE, Ty};

impl Checker<'_> {
    pub(super) fn stmts(&mut self, f: &mut Frame, stmts: &[ast::Stmt], top: bool) -> Vec<HStmt> {
        let mut out = Vec::new();
        for s in stmts {
            let span = s.span;
            let kind = match &s.kind {
                StmtKind::Match(e) => {
                    if !top {
                        self.diags.push(
                            Diagnostic::error(
                                "misplaced-match",
                                span,
                                "`match` can only stand directly in a control",
                            )
                            .with_help("use `if` inside `for` and `if` blocks; `match` decides whether the whole control applies"),
                        );
                    }
                    let h = self.cond(f, e, "`match`");
                    if let Some(k) = super::kinds::of_match(&self.program, &h) {
                        f.kinds = Some(match f.kinds.take() {
                            Some(prev) => prev.into_iter().filter(|x| k.contains(x)).collect(),
                            None => k,
                        });
                    }
                    HStmtKind::Match(h)
                }
                StmtKind::Let(l) => {
                    let (h, t) = self.expr(f, &l.value);
                    let slot = f.bind(&l.name, t, BindKind::Let);
                    HStmtKind::Let(slot, h)
                }
                StmtKind::For(fs) => {
                    let (iter, ty) = self.expr(f, &fs.iter);
                    self.check_iterable(&ty, fs.iter.span);
                    f.push();
                    f.depth += 1;
                    let (key, value) = self.bind_loop(f, &fs.binding, &ty);
                    let body = self.stmts(f, &fs.body, false);
                    f.depth -= 1;
                    let unused = f.pop();
                    self.report_unused(unused);
                    HStmtKind::For {
                        key,
                        value,
                        iter,
                        body,
                    }
                }
                StmtKind::If(i) => self.if_stmt(f, i),
                StmtKind::Finding(fs) => {
                    f.has_finding = true;
                    let when = fs.when.as_ref().map(|w| self.cond(f, w, "`when`"));
                    let at = fs.at.as_ref().map(|a| {
                        self.check_at(a);
                        self.expr(f, a).0
                    });
                    let message = fs.message.as_ref().map(|m| {
                        let (h, t) = self.expr(f, m);
                        if t.is_known_scalar() && t != Ty::Str {
                            self.diags.push(
                                Diagnostic::error(
                                    "type-mismatch",
                                    m.span,
                                    format!("a message must be a string, not a {t}"),
                                )
                                .with_help("write the value inside a string: \"... {value} ...\""),
                            );
                        }
                        h
                    });
                    let mut fixes = Vec::new();
                    for clause in &fs.fixes {
                        let when = clause.when.as_ref().map(|w| self.cond(f, w, "`fix when`"));
                        let mut ops = Vec::new();
                        for op in &clause.ops {
                            f.has_fix = true;
                            match op {
                                ast::FixOp::Set { path, value, span } => {
                                    self.check_fix_path(f, path);
                                    let p = self.expr(f, path).0;
                                    let v = self.expr(f, value).0;
                                    ops.push(HFix::Set {
                                        path: p,
                                        value: v,
                                        span: *span,
                                    });
                                }
                                ast::FixOp::Remove { path, span } => {
                                    self.check_fix_path(f, path);
                                    let p = self.expr(f, path).0;
                                    ops.push(HFix::Remove {
                                        path: p,
                                        span: *span,
                                    });
                                }
                            }
                        }
                        fixes.push(HFixClause { when, ops });
                    }
                    HStmtKind::Finding(Box::new(HFinding {
                        kind: fs.kind,
                        when,
                        at,
                        message,
                        fixes,
                    }))
                }
            };
            out.push(HStmt { kind, span });
        }
        out
    }

    fn if_stmt(&mut self, f: &mut Frame, i: &ast::IfStmt) -> HStmtKind {
        let cond = self.cond(f, &i.cond, "`if`");
        f.push();
        f.depth += 1;
        let then = self.stmts(f, &i.then, false);
        f.depth -= 1;
        let unused = f.pop();
        self.report_unused(unused);
        let otherwise = match &i.otherwise {
            None => Vec::new(),
            Some(ast::Else::Block(b)) => {
                f.push();
                f.depth += 1;
                let s = self.stmts(f, b, false);
                f.depth -= 1;
                let unused = f.pop();
                self.report_unused(unused);
                s
            }
            Some(ast::Else::If(s)) => {
                f.depth += 1;
                let s = self.stmts(f, std::slice::from_ref(s), false);
                f.depth -= 1;
                s
            }
        };
        HStmtKind::If {
            cond,
            then,
            otherwise,
        }
    }

    /// `labels.app.kubernetes.io/name`: a label or annotation key written
    /// as fields, which reads as a field `io` divided by an undefined
    /// `name`. The key's domain ends in a top-level domain, and `name` is
    /// defined nowhere.
    fn dotted_key(&mut self, f: &mut Frame, a: &ast::Expr, b: &ast::Expr) -> Option<Diagnostic> {
        const TLDS: [&str; 8] = ["io", "com", "org", "net", "dev", "sh", "cloud", "k8s"];
        const HOLDERS: [&str; 6] = [
            "labels",
            "annotations",
            "matchLabels",
            "nodeSelector",
            "data",
            "stringData",
        ];
        let ExprKind::Var(name) = &b.kind else {
            return None;
        };
        if f.lookup(name).is_some() || self.global(f.module, name).is_some() {
            return None;
        }
        // The fields of the chain, last first.
        let mut fields = Vec::new();
        let mut e = a;
        while let ExprKind::Field(inner, field) = &e.kind {
            fields.push(field.node.as_str());
            e = inner;
        }
        if !fields.first().is_some_and(|tld| TLDS.contains(tld)) {
            return None;
        }
        let holder = fields.iter().position(|x| HOLDERS.contains(x));
        let help = match holder {
            Some(h) if h > 0 => {
                let key: Vec<&str> = fields.get(..h)?.iter().rev().copied().collect();
                let mut path: Vec<&str> = fields.get(h..)?.iter().rev().copied().collect();
                if let ExprKind::Var(base) = &e.kind {
                    path.insert(0, base);
                }
                format!(
                    "a key with dots or slashes goes in brackets: `{}[\"{}/{name}\"]`",
                    path.join("."),
                    key.join(".")
                )
            }
            _ => {
                "a key with dots or slashes goes in brackets: `labels[\"app.kubernetes.io/name\"]`"
                    .to_string()
            }
        };
        Some(
            Diagnostic::error(
                "dotted-key",
                a.span.to(b.span),
                "this reads as a division: a key with dots and a slash written as fields",
            )
            .label("a field, `/`, and an undefined name")
            .with_help(help),
        )
    }

    /// `at` places a finding at a value of a resource; a literal is none,
    /// and the finding would silently fall back to the resource itself.
    fn check_at(&mut self, at: &ast::Expr) {
        let what = match &at.kind {
            ExprKind::Str(_) | ExprKind::RawStr(_) => "a string",
            ExprKind::Num(_) => "a number",
            ExprKind::Bool(_) => "a boolean",
            ExprKind::Null => "null",
            ExprKind::Version(_) => "a version",
            _ => return,
        };
        let mut d = Diagnostic::error(
            "invalid-location",
            at.span,
            format!("`at` takes a value of the resource, not {what}"),
        )
        .label("not in any resource");
        // A path or JSON pointer given as text: the path itself.
        let path = match &at.kind {
            ExprKind::Str(parts) => match parts.as_slice() {
                [ast::StrPart::Lit(text)] => Some(text.trim_start_matches('/')),
                _ => None,
            },
            _ => None,
        }
        .filter(|t| {
            t.split(['.', '/'])
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        });
        d = d.with_help(match path {
            Some(p) => {
                let path: String = p
                    .split(['.', '/'])
                    .map(|seg| match seg.parse::<usize>() {
                        Ok(i) => format!("[{i}]"),
                        Err(_) => format!(".{seg}"),
                    })
                    .collect();
                format!("write the path itself: `at input{path}`")
            }
            None => {
                "write a path such as `at c.securityContext.privileged` or `at input.spec.replicas`"
                    .to_string()
            }
        });
        self.diags.push(d);
    }

    fn check_fix_path(&mut self, f: &mut Frame, path: &ast::Expr) {
        let mut e = path;
        loop {
            match &e.kind {
                ExprKind::Field(inner, _) | ExprKind::Index(inner, _) => e = inner,
                ExprKind::Var(v) if v == "input" || f.lookup(v).is_some() => return,
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            "invalid-fix-path",
                            path.span,
                            "a fix must name a field of the resource",
                        )
                        .label("not a path")
                        .with_help("write a path such as `c.securityContext.privileged` or `input.spec.replicas`"),
                    );
                    return;
                }
            }
        }
    }

    fn bind_loop(&mut self, f: &mut Frame, b: &ast::Binding, coll: &Ty) -> (Option<Slot>, Slot) {
        match &b.second {
            None => {
                let v = f.bind(&b.first, coll.element(), BindKind::Loop);
                (None, v)
            }
            Some(second) => {
                let key_ty = if coll.is_list() {
                    Ty::Num
                } else if coll.is_object() {
                    Ty::Str
                } else {
                    Ty::Any
                };
                let k = f.bind(&b.first, key_ty, BindKind::Loop);
                let v = f.bind(second, coll.element(), BindKind::Loop);
                (Some(k), v)
            }
        }
    }

    fn check_iterable(&mut self, ty: &Ty, span: Span) {
        if !ty.iterable() {
            self.diags.push(
                Diagnostic::error("not-iterable", span, format!("cannot iterate over a {ty}"))
                    .label(format!("this is a {ty}"))
                    .with_help("`for`, comprehensions and quantifiers go over lists and objects"),
            );
        }
    }

    /// A condition: must be a boolean, and must be able to hold.
    fn cond(&mut self, f: &mut Frame, e: &ast::Expr, what: &str) -> HExpr {
        let (h, ty) = self.expr(f, e);
        if ty != Ty::Bool && ty != Ty::Any {
            self.diags.push(
                Diagnostic::error(
                    "condition-not-bool",
                    e.span,
                    format!("the condition of {what} is a {ty}, not a boolean"),
                )
                .label(format!("this is a {ty}"))
                .with_help("a condition holds only when it is `true`; compare the value, e.g. `x == \"...\"` or `exists(x)`"),
            );
        } else if truth(&h, f.kinds.as_deref()) == Some(false) {
            let mut d = Diagnostic::error(
                "never-holds",
                e.span,
                format!("the condition of {what} can never hold"),
            )
            .label("always false");
            if let Some(k) = &f.kinds {
                d = d.with_help(format!(
                    "the control's `match` limits `input.kind` to {}",
                    k.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            self.diags.push(d);
        }
        h
    }

    pub(super) fn expr(&mut self, f: &mut Frame, e: &ast::Expr) -> (HExpr, Ty) {
        let span = e.span;
        let h = |k| HExpr::new(k, span);
        match &e.kind {
            ExprKind::Null => (h(HKind::Null), Ty::Null),
            ExprKind::Bool(b) => (h(HKind::Bool(*b)), Ty::Bool),
            ExprKind::Num(n) => (h(HKind::Num(*n)), Ty::Num),
            ExprKind::RawStr(s) => (h(HKind::Str(s.clone())), Ty::Str),
            ExprKind::Version(v) => (h(HKind::Version(*v)), Ty::Version),
            ExprKind::Str(parts) => {
                if let Some(s) = e.as_plain_str() {
                    return (h(HKind::Str(s)), Ty::Str);
                }
                let mut out = Vec::new();
                for p in parts {
                    out.push(match p {
                        ast::StrPart::Lit(s) => HStrPart::Lit(s.clone()),
                        ast::StrPart::Expr(x) => HStrPart::Expr(self.expr(f, x).0),
                    });
                }
                (h(HKind::Interp(out)), Ty::Str)
            }
            ExprKind::Paren(inner) => self.expr(f, inner),
            ExprKind::Var(name) => self.var(f, name, span),
            ExprKind::Field(inner, field) => self.field(f, inner, field, span),
            ExprKind::Index(inner, ix) => {
                let (hi, ti) = self.expr(f, inner);
                let (hx, tx) = self.expr(f, ix);
                if ti.is_known_scalar() && ti != Ty::Null {
                    self.diags.push(
                        Diagnostic::error(
                            "not-indexable",
                            inner.span,
                            format!("cannot index into a {ti}"),
                        )
                        .label(format!("this is a {ti}")),
                    );
                }
                if !matches!(tx, Ty::Any | Ty::Str | Ty::Num) {
                    self.diags.push(Diagnostic::error(
                        "type-mismatch",
                        ix.span,
                        format!("an index must be a number or a string, not a {tx}"),
                    ));
                }
                let ty = ti.element();
                (h(HKind::Index(Box::new(hi), Box::new(hx))), ty)
            }
            ExprKind::Call(callee, args) => self.call(f, callee, args, span),
            ExprKind::Unary(op, inner) => {
                let (hi, ti) = self.expr(f, inner);
                let ty = match op {
                    UnOp::Not => {
                        if ti != Ty::Bool && ti != Ty::Any {
                            self.diags.push(
                                Diagnostic::error(
                                    "type-mismatch",
                                    inner.span,
                                    format!("`not` takes a boolean, not a {ti}"),
                                )
                                .with_help("use `not exists(x)` to ask whether a value is missing"),
                            );
                        }
                        Ty::Bool
                    }
                    UnOp::Neg => {
                        if ti != Ty::Num && ti != Ty::Any {
                            self.diags.push(Diagnostic::error(
                                "type-mismatch",
                                inner.span,
                                format!("cannot negate a {ti}"),
                            ));
                        }
                        Ty::Num
                    }
                };
                (h(HKind::Unary(*op, Box::new(hi))), ty)
            }
            ExprKind::Binary(op, a, b) => self.binary(f, *op, a, b, span),
            ExprKind::If(c, t, el) => {
                let hc = self.cond(f, c, "`if`");
                let (ht, tt) = self.expr(f, t);
                let (he, te) = self.expr(f, el);
                let ty = if tt == te { tt } else { Ty::Any };
                (h(HKind::If(Box::new(hc), Box::new(ht), Box::new(he))), ty)
            }
            ExprKind::List(items) => {
                let mut out = Vec::new();
                let mut elem: Option<Ty> = None;
                for x in items {
                    let (hx, tx) = self.expr(f, x);
                    elem = Some(match elem {
                        None => tx,
                        Some(prev) if prev == tx => prev,
                        Some(_) => Ty::Any,
                    });
                    out.push(hx);
                }
                let ty = match elem {
                    Some(t) if t != Ty::Any => Ty::ListOf(Box::new(t)),
                    _ => Ty::List,
                };
                (h(HKind::List(out)), ty)
            }
            ExprKind::Object(entries) => {
                let mut out = Vec::new();
                let mut seen: Vec<(&str, Span)> = Vec::new();
                for (k, v) in entries {
                    if let Some((_, prev)) = seen.iter().find(|(n, _)| *n == k.node) {
                        self.diags.push(
                            Diagnostic::error(
                                "duplicate-key",
                                k.span,
                                format!("key `{}` is given twice", k.node),
                            )
                            .with_secondary(*prev, "first given here"),
                        );
                    }
                    seen.push((&k.node, k.span));
                    out.push((k.node.clone(), self.expr(f, v).0));
                }
                (h(HKind::Object(out)), Ty::Object)
            }
            ExprKind::ListComp(elem, clauses) => {
                f.push();
                let hc = self.clauses(f, clauses);
                let (he, te) = self.expr(f, elem);
                let unused = f.pop();
                self.report_unused(unused);
                let ty = if te == Ty::Any {
                    Ty::List
                } else {
                    Ty::ListOf(Box::new(te))
                };
                (h(HKind::ListComp(Box::new(he), hc)), ty)
            }
            ExprKind::ObjectComp(k, v, clauses) => {
                f.push();
                let hc = self.clauses(f, clauses);
                let (hk, tk) = self.expr(f, k);
                if tk.is_known_scalar() && tk != Ty::Str {
                    self.diags.push(Diagnostic::error(
                        "type-mismatch",
                        k.span,
                        format!("object keys are strings, not a {tk}"),
                    ));
                }
                let (hv, _) = self.expr(f, v);
                let unused = f.pop();
                self.report_unused(unused);
                (
                    h(HKind::ObjectComp(Box::new(hk), Box::new(hv), hc)),
                    Ty::Object,
                )
            }
            ExprKind::Quant(kind, binding, coll, body) => {
                let (hc, tc) = self.expr(f, coll);
                self.check_iterable(&tc, coll.span);
                f.push();
                let (key, value) = self.bind_loop(f, binding, &tc);
                let hb = self.cond(f, body, &format!("`{}`", kind.as_str()));
                let unused = f.pop();
                self.report_unused(unused);
                let ty = if *kind == ast::QuantKind::Count {
                    Ty::Num
                } else {
                    Ty::Bool
                };
                (
                    h(HKind::Quant(*kind, key, value, Box::new(hc), Box::new(hb))),
                    ty,
                )
            }
        }
    }

    fn clauses(&mut self, f: &mut Frame, clauses: &[ast::CompClause]) -> Vec<HClause> {
        let mut out = Vec::new();
        for c in clauses {
            match c {
                ast::CompClause::For(b, e) => {
                    let (he, te) = self.expr(f, e);
                    self.check_iterable(&te, e.span);
                    let (k, v) = self.bind_loop(f, b, &te);
                    out.push(HClause::For(k, v, he));
                }
                ast::CompClause::If(e) => out.push(HClause::If(self.cond(f, e, "`if`"))),
            }
        }
        out
    }

    fn var(&mut self, f: &mut Frame, name: &str, span: Span) -> (HExpr, Ty) {
        let h = |k| HExpr::new(k, span);
        if let Some((slot, ty)) = f.lookup(name) {
            return (h(HKind::Local(slot)), ty);
        }
        match self.global(f.module, name) {
            Some(Global::Member(m)) => return self.member_value(f, m, name, span),
            Some(Global::Package(p)) => {
                self.diags.push(
                    Diagnostic::error(
                        "not-a-value",
                        span,
                        format!("`{name}` is the package `{p}`, not a value"),
                    )
                    .with_help(format!(
                        "use one of its members, e.g. `{name}.some_function(...)`"
                    )),
                );
                return (h(HKind::Null), Ty::Any);
            }
            None => {}
        }
        match name {
            "input" => {
                if f.context != Context::Control {
                    self.diags.push(
                        Diagnostic::error(
                            "input-outside-control",
                            span,
                            "`input` can only be read in a control",
                        )
                        .with_help("functions are pure: pass the resource as an argument, e.g. `pod_spec(input)`"),
                    );
                }
                return (h(HKind::Input), Ty::Any);
            }
            "profile" => {
                if f.context != Context::Control {
                    self.diags.push(
                        Diagnostic::error(
                            "profile-outside-control",
                            span,
                            "`profile` can only be read in a control",
                        )
                        .with_help("pass `profile.version` to the function as an argument"),
                    );
                }
                return (h(HKind::Profile), Ty::Record(&PROFILE));
            }
            _ => {}
        }
        if Builtin::by_name(name).is_some() {
            self.diags.push(Diagnostic::error(
                "not-a-value",
                span,
                format!("`{name}` is a function; call it with `{name}(...)`"),
            ));
            return (h(HKind::Null), Ty::Any);
        }
        let mut cands = f.local_names();
        cands.extend(self.visible_names(f.module));
        if f.context == Context::Control {
            cands.push("input".into());
            cands.push("profile".into());
        }
        let mut d = Diagnostic::error("undefined-name", span, format!("`{name}` is not defined"))
            .label("not found in this scope");
        // The literals as other languages spell them.
        let literal = match name {
            "True" | "TRUE" => Some("true"),
            "False" | "FALSE" => Some("false"),
            "None" | "nil" | "Null" | "NULL" | "undefined" => Some("null"),
            _ => None,
        };
        if let Some(l) = literal {
            d = d.with_help(format!("the literal is written `{l}`"));
        } else if let Some(s) = suggest(name, cands.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if let Some(hint) = self.import_hint(name) {
            d = d.with_help(hint);
        }
        self.diags.push(d);
        (h(HKind::Null), Ty::Any)
    }

    /// "add `use std.k8s.{pod_spec}`" when a package has that name.
    fn import_hint(&self, name: &str) -> Option<String> {
        self.packages.iter().find_map(|(pkg, p)| {
            p.members
                .contains_key(name)
                .then(|| format!("`{name}` is in package `{pkg}`; add `use {pkg}.{{{name}}}`"))
        })
    }

    fn member_value(&mut self, f: &mut Frame, m: Member, name: &str, span: Span) -> (HExpr, Ty) {
        let h = |k| HExpr::new(k, span);
        match m {
            Member::Const(id) => {
                if let Context::Const(from) = f.context
                    && let Some(deps) = self.const_deps.get_mut(from as usize)
                {
                    deps.push(id);
                }
                let ty = self
                    .const_types
                    .get(id as usize)
                    .cloned()
                    .unwrap_or(Ty::Any);
                (h(HKind::Const(id)), ty)
            }
            Member::Param(id) => {
                if let Some(u) = self.param_used.get_mut(id as usize) {
                    *u = true;
                }
                let ty = self
                    .program
                    .params
                    .get(id as usize)
                    .map(|p| p.ty.clone())
                    .or_else(|| self.declared_param_type(id))
                    .unwrap_or(Ty::Any);
                (h(HKind::Param(id)), ty)
            }
            Member::Fn(_) => {
                self.diags.push(Diagnostic::error(
                    "not-a-value",
                    span,
                    format!("`{name}` is a function; call it with `{name}(...)`"),
                ));
                (h(HKind::Null), Ty::Any)
            }
            Member::Plugin(_) => {
                self.diags.push(Diagnostic::error(
                    "not-a-value",
                    span,
                    format!(
                        "`{name}` is a plugin; call one of its functions, e.g. `{name}.check(...)`"
                    ),
                ));
                (h(HKind::Null), Ty::Any)
            }
        }
    }

    /// The declared type of a param whose definition is not built yet.
    fn declared_param_type(&mut self, id: u32) -> Option<Ty> {
        let src = *self.param_src.get(id as usize)?;
        let (_, item) = self.item(src)?;
        match &item.kind {
            ast::ItemKind::Param(p) => Some(self.type_of(&p.ty)),
            _ => None,
        }
    }

    fn field(
        &mut self,
        f: &mut Frame,
        inner: &ast::Expr,
        field: &ast::Ident,
        span: Span,
    ) -> (HExpr, Ty) {
        // `pkg.member` through a package import.
        if let ExprKind::Var(v) = &inner.kind
            && f.lookup(v).is_none()
            && let Some(Global::Package(pkg)) = self.global(f.module, v)
        {
            return match self.package_member(&pkg, &field.node) {
                Some(m) => self.member_value(f, m, &field.node, span),
                None => {
                    self.no_member(&pkg, field);
                    (HExpr::new(HKind::Null, span), Ty::Any)
                }
            };
        }
        let (hi, ti) = self.expr(f, inner);
        let ty = match ti.field(&field.node) {
            Some(t) => t,
            None => {
                let mut d = Diagnostic::error(
                    "unknown-field",
                    field.span,
                    format!("{ti} has no field `{}`", field.node),
                )
                .label("unknown field");
                if let Ty::Record(r) = &ti {
                    let names = r.fields.iter().map(|(n, _)| *n);
                    d = match suggest(&field.node, names) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!(
                            "its fields are {}",
                            r.fields
                                .iter()
                                .map(|(n, _)| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    };
                }
                self.diags.push(d);
                Ty::Any
            }
        };
        // A field read from a document (of any type) that no object has,
        // one slip away from one that does: always missing.
        let of_map = matches!(&inner.kind, ExprKind::Field(_, f) if crate::fields::is_map(&f.node));
        if ti == Ty::Any
            && !of_map
            && let Some(known) = crate::fields::misspelt(&field.node)
        {
            self.diags.push(
                Diagnostic::warning(
                    "misspelt-field",
                    field.span,
                    format!(
                        "no Kubernetes object or Ward document has a field `{}`; did you mean `{known}`?",
                        field.node
                    ),
                )
                .label("always missing")
                .with_help(format!(
                    "write `.{known}`; a misspelt field is always missing, so the control never sees the value (a key of a map is read as `[\"{}\"]`)",
                    field.node
                )),
            );
        }
        if ti.is_known_scalar() && ti != Ty::Null {
            self.diags.push(
                Diagnostic::warning(
                    "field-of-scalar",
                    field.span,
                    format!("a {ti} has no fields; `.{}` is always missing", field.node),
                )
                .label("always missing"),
            );
        }
        (
            HExpr::new(HKind::Field(Box::new(hi), field.node.clone()), span),
            ty,
        )
    }

    fn no_member(&mut self, pkg: &str, field: &ast::Ident) {
        let names: Vec<String> = self
            .packages
            .get(pkg)
            .map(|p| p.members.keys().cloned().collect())
            .unwrap_or_default();
        let mut d = Diagnostic::error(
            "undefined-name",
            field.span,
            format!("package `{pkg}` has no `{}`", field.node),
        )
        .label("not found");
        if let Some(s) = suggest(&field.node, names.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
    }

    fn call(
        &mut self,
        f: &mut Frame,
        callee: &ast::Expr,
        args: &[ast::Arg],
        span: Span,
    ) -> (HExpr, Ty) {
        let null = (HExpr::new(HKind::Null, span), Ty::Any);
        match &callee.kind {
            ExprKind::Var(name) => {
                if f.lookup(name).is_some() {
                    self.not_callable(callee.span, name);
                    return null;
                }
                match self.global(f.module, name) {
                    Some(Global::Member(Member::Fn(id))) => {
                        return self.call_fn(f, id, name, args, span);
                    }
                    Some(Global::Member(Member::Plugin(_))) => {
                        self.diags.push(
                            Diagnostic::error(
                                "not-callable",
                                callee.span,
                                format!("`{name}` is a plugin; call one of its functions, e.g. `{name}.check(...)`"),
                            ),
                        );
                        return null;
                    }
                    Some(_) => {
                        self.not_callable(callee.span, name);
                        return null;
                    }
                    None => {}
                }
                match Builtin::by_name(name) {
                    Some(b) => self.call_builtin(f, b, args, span),
                    None => {
                        let mut cands: Vec<String> = Builtin::names().map(str::to_string).collect();
                        cands.extend(self.visible_names(f.module));
                        let mut d = Diagnostic::error(
                            "undefined-function",
                            callee.span,
                            format!("there is no function `{name}`"),
                        )
                        .label("not found");
                        if let Some(h) = other_language(name) {
                            d = d.with_help(h);
                        } else if let Some(s) = suggest(name, cands.iter().map(String::as_str)) {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        } else if let Some(h) = self.import_hint(name) {
                            d = d.with_help(h);
                        }
                        self.diags.push(d);
                        for a in args {
                            self.expr(f, a.expr());
                        }
                        null
                    }
                }
            }
            ExprKind::Field(base, fname) => {
                if let ExprKind::Var(v) = &base.kind
                    && f.lookup(v).is_none()
                {
                    match self.global(f.module, v) {
                        Some(Global::Package(pkg)) => {
                            return match self.package_member(&pkg, &fname.node) {
                                Some(Member::Fn(id)) => {
                                    self.call_fn(f, id, &fname.node, args, span)
                                }
                                Some(_) => {
                                    self.not_callable(fname.span, &fname.node);
                                    null
                                }
                                None => {
                                    self.no_member(&pkg, fname);
                                    null
                                }
                            };
                        }
                        Some(Global::Member(Member::Plugin(id))) => {
                            let mut hargs = Vec::new();
                            for a in args {
                                if let ast::Arg::Named(n) = a {
                                    self.diags.push(Diagnostic::error(
                                        "unknown-argument",
                                        n.name.span,
                                        "plugin functions take positional arguments only",
                                    ));
                                }
                                hargs.push(self.expr(f, a.expr()).0);
                            }
                            return (
                                HExpr::new(HKind::Plugin(id, fname.node.clone(), hargs), span),
                                Ty::Any,
                            );
                        }
                        _ => {}
                    }
                }
                // `x.ends_with(...)`: written as a method, as in Python or
                // JavaScript.
                let mut cands: Vec<String> = Builtin::names().map(str::to_string).collect();
                cands.extend(self.visible_names(f.module));
                let name = &fname.node;
                let function = if cands.iter().any(|c| c == name) {
                    Some(name.as_str())
                } else {
                    builtin_for(name).or_else(|| suggest(name, cands.iter().map(String::as_str)))
                };
                let mut d = Diagnostic::error(
                    "not-callable",
                    callee.span,
                    format!("`{name}` is not a function"),
                )
                .label("not callable");
                if let Some(function) = function {
                    d = d.with_help(format!(
                        "values have no methods: call `{function}(value, ...)` with the value as its first argument"
                    ));
                }
                self.diags.push(d);
                for a in args {
                    self.expr(f, a.expr());
                }
                null
            }
            _ => {
                self.diags.push(
                    Diagnostic::error("not-callable", callee.span, "this is not a function")
                        .label("not callable"),
                );
                null
            }
        }
    }

    fn not_callable(&mut self, span: Span, name: &str) {
        self.diags.push(
            Diagnostic::error("not-callable", span, format!("`{name}` is not a function"))
                .label("not callable"),
        );
    }

    fn call_fn(
        &mut self,
        f: &mut Frame,
        id: u32,
        name: &str,
        args: &[ast::Arg],
        span: Span,
    ) -> (HExpr, Ty) {
        if let Context::Fn(caller) = f.context
            && let Some(c) = self.fn_calls.get_mut(caller as usize)
        {
            c.push(id);
        }
        let (params, ret) = self.fn_signature(id);
        let mut slots: Vec<Option<HExpr>> = vec![None; params.len()];
        let mut next_pos = 0usize;
        for a in args {
            match a {
                ast::Arg::Pos(e) => {
                    let (he, te) = self.expr(f, e);
                    if let Some((pname, pty)) = params.get(next_pos) {
                        self.check_arg(name, pname, pty, &te, e.span);
                    }
                    if let Some(s) = slots.get_mut(next_pos) {
                        *s = Some(he);
                    }
                    next_pos += 1;
                }
                ast::Arg::Named(n) => {
                    let (he, te) = self.expr(f, &n.value);
                    match params.iter().position(|(p, _)| *p == n.name.node) {
                        Some(i) => {
                            if let Some((pname, pty)) = params.get(i) {
                                self.check_arg(name, pname, pty, &te, n.value.span);
                            }
                            if let Some(s) = slots.get_mut(i) {
                                if s.is_some() {
                                    self.diags.push(Diagnostic::error(
                                        "duplicate-argument",
                                        n.name.span,
                                        format!("`{}` is given twice", n.name.node),
                                    ));
                                }
                                *s = Some(he);
                            }
                        }
                        None => {
                            let mut d = Diagnostic::error(
                                "unknown-argument",
                                n.name.span,
                                format!("`{name}` has no parameter `{}`", n.name.node),
                            );
                            if let Some(s) =
                                suggest(&n.name.node, params.iter().map(|(p, _)| p.as_str()))
                            {
                                d = d.with_help(format!("did you mean `{s}`?"));
                            }
                            self.diags.push(d);
                        }
                    }
                }
            }
        }
        let given = args.len();
        if next_pos > params.len() || slots.iter().any(Option::is_none) {
            self.diags.push(
                Diagnostic::error(
                    "wrong-arity",
                    span,
                    format!(
                        "`{name}` takes {} argument{}, but {given} {} given",
                        params.len(),
                        plural(params.len()),
                        if given == 1 { "was" } else { "were" }
                    ),
                )
                .with_help(format!(
                    "call it as `{name}({})`",
                    params
                        .iter()
                        .map(|(p, _)| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
        let hargs = slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| HExpr::new(HKind::Null, span)))
            .collect();
        (HExpr::new(HKind::Call(id, hargs), span), ret)
    }

    /// Parameter names and types of a function, from its declaration.
    fn fn_signature(&mut self, id: u32) -> (Vec<(String, Ty)>, Ty) {
        if let Some(def) = self.program.fns.get(id as usize) {
            return (def.params.clone(), def.ret.clone());
        }
        let Some(src) = self.fn_src.get(id as usize).copied() else {
            return (Vec::new(), Ty::Any);
        };
        let Some((_, item)) = self.item(src) else {
            return (Vec::new(), Ty::Any);
        };
        let ast::ItemKind::Fn(fd) = &item.kind else {
            return (Vec::new(), Ty::Any);
        };
        let mut params = Vec::new();
        for p in &fd.params {
            let ty = match &p.ty {
                Some(t) => self.type_quiet(t),
                None => Ty::Any,
            };
            params.push((p.name.node.clone(), ty));
        }
        let ret = fd
            .ret
            .as_ref()
            .map(|t| self.type_quiet(t))
            .unwrap_or(Ty::Any);
        (params, ret)
    }

    /// A written type, without reporting unknown names (reported elsewhere).
    fn type_quiet(&self, t: &ast::TypeExpr) -> Ty {
        match t {
            ast::TypeExpr::Named(n) => Ty::from_name(&n.node).unwrap_or(Ty::Any),
            ast::TypeExpr::List(t, _) => Ty::ListOf(Box::new(self.type_quiet(t))),
            ast::TypeExpr::Map(t, _) => Ty::MapOf(Box::new(self.type_quiet(t))),
        }
    }

    fn check_arg(&mut self, fname: &str, pname: &str, want: &Ty, got: &Ty, span: Span) {
        if !Ty::accepts(want, got) {
            self.diags.push(
                Diagnostic::error(
                    "type-mismatch",
                    span,
                    format!("`{fname}` expects `{pname}` to be a {want}, not a {got}"),
                )
                .label(format!("this is a {got}")),
            );
        }
    }

    fn call_builtin(
        &mut self,
        f: &mut Frame,
        b: Builtin,
        args: &[ast::Arg],
        span: Span,
    ) -> (HExpr, Ty) {
        let sig = b.sig();
        let mut pos = Vec::new();
        let mut pos_tys = Vec::new();
        let mut named: Vec<(String, HExpr)> = Vec::new();
        for a in args {
            match a {
                ast::Arg::Pos(e) => {
                    let (he, te) = self.expr(f, e);
                    if let Some(want) = sig.params.get(pos.len()) {
                        self.check_arg(
                            sig.name,
                            &format!("argument {}", pos.len() + 1),
                            want,
                            &te,
                            e.span,
                        );
                    }
                    pos.push(he);
                    pos_tys.push(te);
                }
                ast::Arg::Named(n) => {
                    let (he, te) = self.expr(f, &n.value);
                    match sig.named.iter().find(|(k, _)| *k == n.name.node) {
                        Some((k, want)) => {
                            self.check_arg(sig.name, k, want, &te, n.value.span);
                            if named.iter().any(|(x, _)| x == k) {
                                self.diags.push(Diagnostic::error(
                                    "duplicate-argument",
                                    n.name.span,
                                    format!("`{k}` is given twice"),
                                ));
                            }
                            named.push((k.to_string(), he));
                        }
                        None => {
                            let names = sig.named.iter().map(|(k, _)| *k);
                            let mut d = Diagnostic::error(
                                "unknown-argument",
                                n.name.span,
                                format!("`{}` has no argument `{}`", sig.name, n.name.node),
                            )
                            .label("unknown argument");
                            d = match suggest(&n.name.node, names) {
                                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                                None if sig.named.is_empty() => d.with_help(format!(
                                    "`{}` takes positional arguments only",
                                    sig.name
                                )),
                                None => d.with_help(format!(
                                    "its arguments are {}",
                                    sig.named
                                        .iter()
                                        .map(|(k, _)| format!("`{k}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )),
                            };
                            self.diags.push(d);
                        }
                    }
                }
            }
        }
        let n = pos.len();
        if n < sig.required || (n > sig.params.len() && !sig.variadic) {
            let want = if sig.required == sig.params.len() {
                format!("{}", sig.required)
            } else {
                format!("{} to {}", sig.required, sig.params.len())
            };
            self.diags.push(
                Diagnostic::error(
                    "wrong-arity",
                    span,
                    format!(
                        "`{}` takes {want} argument{}, but {n} {} given",
                        sig.name,
                        if sig.params.len() == 1 { "" } else { "s" },
                        if n == 1 { "was" } else { "were" }
                    ),
                )
                .with_help(sig.doc),
            );
        }
        let arg0 = pos_tys.first().cloned().unwrap_or(Ty::Any);
        let ret = match b {
            Builtin::First | Builtin::Last | Builtin::Min | Builtin::Max => arg0.element(),
            Builtin::Sort | Builtin::Unique | Builtin::Reverse if arg0.is_list() => arg0,
            Builtin::Keys | Builtin::Split => Ty::ListOf(Box::new(Ty::Str)),
            Builtin::Values => match arg0 {
                Ty::MapOf(t) => Ty::ListOf(t),
                _ => Ty::List,
            },
            Builtin::Resources => Ty::ListOf(Box::new(Ty::Object)),
            _ => sig.ret.clone(),
        };
        (HExpr::new(HKind::Builtin(b, pos, named), span), ret)
    }

    fn binary(
        &mut self,
        f: &mut Frame,
        op: BinOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
    ) -> (HExpr, Ty) {
        if op == BinOp::Div
            && let Some(d) = self.dotted_key(f, a, b)
        {
            self.diags.push(d);
            // The chain stands in for the key's value, so that what uses it
            // reports nothing more (a comparison with it can still hold).
            return (self.expr(f, a).0, Ty::Any);
        }
        let (ha, ta) = if matches!(op, BinOp::And | BinOp::Or) {
            (self.cond(f, a, &format!("`{}`", op.as_str())), Ty::Bool)
        } else {
            self.expr(f, a)
        };
        let (hb, tb) = if matches!(op, BinOp::And | BinOp::Or) {
            (self.cond(f, b, &format!("`{}`", op.as_str())), Ty::Bool)
        } else {
            self.expr(f, b)
        };
        let ty = match op {
            BinOp::And | BinOp::Or => Ty::Bool,
            BinOp::Eq | BinOp::Ne => {
                if !ta.may_equal(&tb) {
                    let always = if op == BinOp::Eq { "never" } else { "always" };
                    self.diags.push(
                        Diagnostic::error(
                            "type-mismatch",
                            span,
                            format!("comparing a {ta} with a {tb} {always} holds"),
                        )
                        .label(format!("a {ta} on the left, a {tb} on the right"))
                        .with_help(conversion_hint(&ta, &tb)),
                    );
                }
                Ty::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if !ta.orderable_with(&tb) {
                    self.diags.push(
                        Diagnostic::error(
                            "type-mismatch",
                            span,
                            format!("cannot order a {ta} against a {tb}"),
                        )
                        .label(format!("a {ta} on the left, a {tb} on the right"))
                        .with_help("`<`, `<=`, `>` and `>=` compare two numbers, two strings or two versions; anything else is false"),
                    );
                }
                Ty::Bool
            }
            BinOp::In | BinOp::NotIn => {
                let container_ok =
                    matches!(tb, Ty::Any | Ty::Str | Ty::Null) || tb.is_list() || tb.is_object();
                if !container_ok {
                    self.diags.push(
                        Diagnostic::error(
                            "type-mismatch",
                            b.span,
                            format!("`in` looks inside a list, an object, a string or a range, not a {tb}"),
                        )
                        .label(format!("this is a {tb}")),
                    );
                } else if let Ty::ListOf(elem) = &tb
                    && !ta.may_equal(elem)
                {
                    self.diags.push(
                        Diagnostic::error(
                            "type-mismatch",
                            span,
                            format!("a {ta} is never in a list of {elem}s"),
                        )
                        .label(format!("a {ta} on the left")),
                    );
                }
                Ty::Bool
            }
            BinOp::Coalesce => {
                if ta == tb || ta == Ty::Null {
                    tb
                } else {
                    Ty::Any
                }
            }
            BinOp::Range | BinOp::RangeIncl => {
                if !ta.orderable_with(&tb) {
                    self.diags.push(Diagnostic::error(
                        "type-mismatch",
                        span,
                        format!("a range goes between two numbers, strings or versions, not a {ta} and a {tb}"),
                    ));
                }
                Ty::Any
            }
            BinOp::Add => match (&ta, &tb) {
                (Ty::Num, Ty::Num) => Ty::Num,
                (Ty::Str, Ty::Str) => Ty::Str,
                (x, y) if x.is_list() && y.is_list() => Ty::List,
                (Ty::Any, t) | (t, Ty::Any) => {
                    if matches!(t, Ty::Num | Ty::Str) || t.is_list() {
                        t.clone()
                    } else {
                        Ty::Any
                    }
                }
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            "type-mismatch",
                            span,
                            format!("cannot add a {ta} and a {tb}"),
                        )
                        .with_help("`+` adds numbers and joins strings or lists; to put a value in a string write \"...{value}...\""),
                    );
                    Ty::Any
                }
            },
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                for (t, s) in [(&ta, a.span), (&tb, b.span)] {
                    if *t != Ty::Num && *t != Ty::Any {
                        self.diags.push(
                            Diagnostic::error(
                                "type-mismatch",
                                s,
                                format!("`{}` works on numbers, not a {t}", op.as_str()),
                            )
                            .label(format!("this is a {t}")),
                        );
                    }
                }
                Ty::Num
            }
        };
        (
            HExpr::new(HKind::Binary(op, Box::new(ha), Box::new(hb)), span),
            ty,
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn conversion_hint(a: &Ty, b: &Ty) -> String {
    match (a, b) {
        (Ty::Str, Ty::Num) | (Ty::Num, Ty::Str) => {
            "convert one side: `num(x)` reads a number from a string, `str(x)` writes one"
                .to_string()
        }
        (Ty::Str, Ty::Version) | (Ty::Version, Ty::Str) => {
            "`version(s)` reads a version from a string such as \"v1.25\"".to_string()
        }
        (Ty::Bool, Ty::Str) | (Ty::Str, Ty::Bool) => {
            "YAML `true` is a boolean and `\"true\"` a string; compare like with like".to_string()
        }
        _ => "values of different types are never equal".to_string(),
    }
}

/// A literal value known without data.
#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Version(ast::Version),
}

fn literal(h: &HExpr) -> Option<Lit> {
    Some(match &h.kind {
        HKind::Null => Lit::Null,
        HKind::Bool(b) => Lit::Bool(*b),
        HKind::Num(n) => Lit::Num(*n),
        HKind::Str(s) => Lit::Str(s.clone()),
        HKind::Version(v) => Lit::Version(*v),
        _ => return None,
    })
}

fn is_input_kind(h: &HExpr) -> bool {
    matches!(&h.kind, HKind::Field(base, f) if f == "kind" && matches!(base.kind, HKind::Input))
}

/// Whether a condition is known to hold (`Some(true)`) or never to hold
/// (`Some(false)`) without looking at data.
fn truth(h: &HExpr, kinds: Option<&[String]>) -> Option<bool> {
    match &h.kind {
        HKind::Bool(b) => Some(*b),
        HKind::Unary(UnOp::Not, e) => truth(e, kinds).map(|b| !b),
        HKind::Binary(BinOp::And, a, b) => match (truth(a, kinds), truth(b, kinds)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        HKind::Binary(BinOp::Or, a, b) => match (truth(a, kinds), truth(b, kinds)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        HKind::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
            let eq = match (literal(a), literal(b)) {
                (Some(x), Some(y)) => Some(x == y),
                _ => {
                    let (k, other) = if is_input_kind(a) { (a, b) } else { (b, a) };
                    match (is_input_kind(k), literal(other), kinds) {
                        (true, Some(Lit::Str(s)), Some(ks)) => {
                            if !ks.contains(&s) {
                                Some(false)
                            } else if ks.len() == 1 {
                                Some(true)
                            } else {
                                None
                            }
                        }
                        _ => None,
                    }
                }
            };
            if *op == BinOp::Eq { eq } else { eq.map(|e| !e) }
        }
        HKind::Binary(op @ (BinOp::In | BinOp::NotIn), a, b) => {
            let HKind::List(items) = &b.kind else {
                return None;
            };
            let inside = if let Some(x) = literal(a) {
                let lits: Option<Vec<Lit>> = items.iter().map(literal).collect();
                lits.map(|l| l.contains(&x))
            } else if let (true, Some(ks)) = (is_input_kind(a), kinds) {
                let strs: Option<Vec<String>> = items
                    .iter()
                    .map(|i| match literal(i) {
                        Some(Lit::Str(s)) => Some(s),
                        _ => None,
                    })
                    .collect();
                strs.and_then(|s| {
                    if ks.iter().all(|k| !s.contains(k)) {
                        Some(false)
                    } else if ks.iter().all(|k| s.contains(k)) {
                        Some(true)
                    } else {
                        None
                    }
                })
            } else {
                None
            };
            if *op == BinOp::In {
                inside
            } else {
                inside.map(|e| !e)
            }
        }
        _ => None,
    }
}

/// The builtin that does what a function of another language does under
/// another name (`count`, `length`, `includes`, `tolower`, ...).
fn builtin_for(name: &str) -> Option<&'static str> {
    Some(match name {
        "count" | "length" | "size" | "strlen" => "len",
        "includes" | "has" | "has_key" => "contains",
        "tolower" | "to_lower" | "lowercase" | "toLowerCase" => "lower",
        "toupper" | "to_upper" | "uppercase" | "toUpperCase" => "upper",
        "startsWith" | "startswith" | "hasPrefix" | "has_prefix" => "starts_with",
        "endsWith" | "endswith" | "hasSuffix" | "has_suffix" => "ends_with",
        "matches" | "re_match" | "regex.match" => "regex_match",
        "uniq" | "distinct" | "dedup" => "unique",
        _ => return None,
    })
}

/// Help for a call of a function Ward spells otherwise, or writes as
/// something else than a function.
fn other_language(name: &str) -> Option<String> {
    if let Some(b) = builtin_for(name) {
        return Some(format!("Ward calls this `{b}`"));
    }
    Some(match name {
        "sprintf" | "format" | "printf" | "concat" => {
            "write the values inside a string: `\"{x} and {y}\"`, or join strings with `+`".to_string()
        }
        "isnull" | "is_null" | "is_defined" | "defined" | "isset" => {
            "`exists(x)` holds when `x` is there and not null; `not exists(x)` when it is null or missing".to_string()
        }
        _ => return None,
    })
}
