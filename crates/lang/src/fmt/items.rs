//! Files and top-level declarations: `package`, `use`, `let`, `param`,
//! `plugin`, `fn`, `test`, `pack` and `framework` (controls are in
//! [`super::stmt`]).

use super::doc::{Doc, concat, group, indent, text};
use super::expr::{Elem, string};
use super::{Lines, Printer, Sep};
use crate::ast::{
    Expectation, Expr, ExprKind, FnDecl, FrameworkStmt, Item, ItemKind, Module, PackDecl,
    PackStmtKind, TestDecl, TestStmtKind, TypeExpr, UseDecl,
};
use crate::span::Span;

impl Printer<'_> {
    pub(crate) fn module(&mut self, m: &Module) -> Doc {
        let mut lines = Lines::default();
        let mut prev = 0usize;
        let first_item = m
            .items
            .first()
            .map_or(self.src.len(), |i| i.span.start as usize);
        if let Some(pkg) = &m.package {
            let qs = pkg.span.start as usize;
            let before = self.src.get(..qs).unwrap_or("").trim_end();
            let start = before.strip_suffix("package").map_or(qs, str::len);
            let end = pkg.span.end as usize;
            let name = pkg.to_string();
            let piece = self.piece((0, start, end, first_item), &m.package_docs, |_| {
                text(format!("package {name}"))
            });
            prev = piece.end;
            lines.piece(Sep::First, piece);
        }
        let mut last: Option<&ItemKind> = None;
        for (i, item) in m.items.iter().enumerate() {
            let (start, end) = (item.span.start as usize, item.span.end as usize);
            let hi = m
                .items
                .get(i + 1)
                .map_or(self.src.len(), |n| n.span.start as usize);
            let sep = match last {
                _ if lines.is_empty() => Sep::First,
                Some(ItemKind::Use(_)) if matches!(item.kind, ItemKind::Use(_)) => Sep::Keep,
                _ => Sep::Blank,
            };
            let piece = self.piece((prev, start, end, hi), &item.docs, |p| p.item(item));
            let piece_end = piece.end;
            lines.piece(sep, piece);
            last = Some(&item.kind);
            prev = piece_end;
        }
        let rest = self.take_range(prev, self.src.len());
        lines.comments(self, rest);
        lines.into_doc()
    }

    fn item(&mut self, item: &Item) -> Doc {
        match &item.kind {
            ItemKind::Use(u) => self.use_decl(u),
            ItemKind::Const(c) => self.assign(text(format!("let {} =", c.name.node)), &c.value),
            ItemKind::Param(p) => {
                let head = format!("param {}: {}", p.name.node, type_text(&p.ty));
                match &p.default {
                    Some(d) => self.assign(text(format!("{head} =")), d),
                    None => text(head),
                }
            }
            ItemKind::Plugin(p) => {
                let mut items = vec![Elem::Doc(text(string(&p.path.node, false)), p.path.span)];
                items.extend(p.options.iter().map(|o| {
                    let span = o.name.span.to(o.value.span);
                    let value = self.expr(&o.value);
                    Elem::Doc(
                        concat(vec![text(format!("{}: ", o.name.node)), value]),
                        span,
                    )
                }));
                let args = self.seq(
                    "(",
                    ")",
                    &items,
                    (p.path.span.start as usize, item.span.end as usize),
                );
                concat(vec![text(format!("plugin {} = wasm", p.name.node)), args])
            }
            ItemKind::Fn(f) => self.fn_decl(f, item.span),
            ItemKind::Control(c) => self.control(c, item.span),
            ItemKind::Test(t) => self.test(t, item.span),
            ItemKind::Pack(p) => self.pack(p, item.span),
            ItemKind::Framework(f) => self.framework(f, item.span),
        }
    }

    /// `head value`, or `head` with the value on the next line (indented)
    /// when it does not fit; lists, objects, calls and strings stay after
    /// `head` and break inside instead.
    pub(crate) fn assign(&mut self, head: Doc, value: &Expr) -> Doc {
        let hug = matches!(
            value.kind,
            ExprKind::List(_)
                | ExprKind::Object(_)
                | ExprKind::ListComp(..)
                | ExprKind::ObjectComp(..)
                | ExprKind::Call(..)
                | ExprKind::Str(_)
                | ExprKind::RawStr(_)
        );
        if hug {
            // On one line; else (for calls and strings) the value alone on
            // the next line; else the value broken after `head`.
            let v = self.expr(value);
            let literal = matches!(
                value.kind,
                ExprKind::List(_)
                    | ExprKind::Object(_)
                    | ExprKind::ListComp(..)
                    | ExprKind::ObjectComp(..)
            );
            if literal || v.is_hard() {
                return concat(vec![head, text(" "), v]);
            }
            Doc::Alt(vec![
                concat(vec![head.clone(), text(" "), v.clone()]),
                concat(vec![
                    head.clone(),
                    indent(concat(vec![Doc::HardLine, v.clone()])),
                ]),
                concat(vec![head, text(" "), v]),
            ])
        } else {
            let v = self.expr_line_start(value);
            concat(vec![head, group(indent(concat(vec![Doc::Line, v])))])
        }
    }

    fn use_decl(&mut self, u: &UseDecl) -> Doc {
        let path = format!("use {}", u.path);
        let Some(names) = &u.names else {
            return text(path);
        };
        let items: Vec<Elem<'_>> = names
            .iter()
            .map(|n| {
                let (t, span) = match &n.alias {
                    Some(a) => (
                        format!("{} as {}", n.name.node, a.node),
                        n.name.span.to(a.span),
                    ),
                    None => (n.name.node.clone(), n.name.span),
                };
                Elem::Doc(text(t), span)
            })
            .collect();
        let hi = names.last().map_or(u.path.span.end, |n| n.local().span.end) as usize;
        // Past a trailing comma, to the `}`.
        let mut hi = self.next_token(hi);
        if self.src.as_bytes().get(hi) == Some(&b',') {
            hi = self.next_token(hi + 1);
        }
        let hi = hi + 1;
        let list = self.seq("{", "}", &items, (u.path.span.end as usize, hi));
        concat(vec![text(format!("{path}.")), list])
    }

    fn fn_decl(&mut self, f: &FnDecl, span: Span) -> Doc {
        let items: Vec<Elem<'_>> = f
            .params
            .iter()
            .map(|p| match &p.ty {
                Some(t) => Elem::Doc(
                    text(format!("{}: {}", p.name.node, type_text(t))),
                    p.name.span.to(t.span()),
                ),
                None => Elem::Doc(text(p.name.node.clone()), p.name.span),
            })
            .collect();
        // The parameter list ends at its `)`: comments after it belong to
        // what follows.
        let last = f.params.last().map_or(f.name.span, |p| {
            p.ty.as_ref()
                .map_or(p.name.span, |t| p.name.span.to(t.span()))
        });
        let params_end = self.token_after(last.end as usize, b')').saturating_sub(1);
        let params = self.seq("(", ")", &items, (f.name.span.end as usize, params_end));
        let mut head = vec![text(format!("fn {}", f.name.node)), params];
        if let Some(t) = &f.ret {
            head.push(text(format!(" -> {}", type_text(t))));
        }
        if !f.block {
            head.push(text(" ="));
            return self.assign(concat(head), &f.body);
        }
        let open = self.open_brace(f.ret.as_ref().map_or(f.name.span, |t| t.span()).end as usize);
        // The `let` lines (with their names) and the result.
        let mut nodes: Vec<(Span, &[String], Option<&str>, &Expr)> = f
            .lets
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let docs = f.let_docs.get(i).map_or(&[][..], Vec::as_slice);
                (l.span, docs, Some(l.name.node.as_str()), &l.value)
            })
            .collect();
        nodes.push((f.body.span, &[], None, &f.body));
        let mut lines = Lines::default();
        let close = self.close_brace(open, nodes.last().map(|n| n.0), span);
        let after_brace = self.brace_comment(open, nodes.first().map(|n| n.0), close);
        let mut prev = open;
        for (i, &(s, docs, name, e)) in nodes.iter().enumerate() {
            let hi = nodes.get(i + 1).map_or(close, |n| n.0.start as usize);
            let range = (prev, s.start as usize, s.end as usize, hi);
            let piece = self.piece(range, docs, |p| match name {
                Some(name) => p.assign(text(format!("let {name} =")), e),
                None => p.expr_line_start(e),
            });
            prev = piece.end;
            lines.piece(Sep::Keep, piece);
        }
        let rest = self.take_range(prev, close);
        lines.comments(self, rest);
        head.push(text(" "));
        head.push(braces(after_brace, lines));
        concat(head)
    }

    /// Where the `}` closing a block that opens at `open` is: after its
    /// last node, or right after `open`.
    pub(crate) fn close_brace(&self, open: usize, last: Option<Span>, outer: Span) -> usize {
        let from = last.map_or(open, |s| s.end as usize);
        let at = self.next_token(from);
        if self.src.as_bytes().get(at) == Some(&b'}') {
            at
        } else {
            (outer.end as usize).saturating_sub(1)
        }
    }

    /// A comment on the same line as an opening brace.
    pub(crate) fn brace_comment(
        &mut self,
        open: usize,
        first: Option<Span>,
        close: usize,
    ) -> Option<String> {
        let hi = first.map_or(close, |s| s.start as usize);
        self.take_trailing(open, hi).map(|c| c.text)
    }

    fn test(&mut self, t: &TestDecl, span: Span) -> Doc {
        let open = self.open_brace(t.name.span.end as usize);
        let spans: Vec<Span> = t.stmts.iter().map(|s| s.span).collect();
        let (close, after_brace, mut lines, prev) = self.frame(open, &spans, span);
        let mut prev = prev;
        for (i, s) in t.stmts.iter().enumerate() {
            let range = self.range(prev, s.span, spans.get(i + 1), close);
            let piece = self.piece(range, &[], |p| match &s.kind {
                TestStmtKind::Given(e) => concat(vec![text("given "), p.expr(e)]),
                TestStmtKind::Version(v) => text(format!("version {}", v.node)),
                TestStmtKind::Set(n, e) => p.assign(text(format!("set {} =", n.node)), e),
                TestStmtKind::Expect(x) => text(format!("expect {}", p.expectation(x))),
            });
            prev = piece.end;
            lines.piece(Sep::Keep, piece);
        }
        let rest = self.take_range(prev, close);
        lines.comments(self, rest);
        concat(vec![
            text(format!("test {} ", string(&t.name.text, t.name.raw))),
            braces(after_brace, lines),
        ])
    }

    fn expectation(&self, x: &Expectation) -> String {
        match x {
            Expectation::Clean => "clean".to_string(),
            Expectation::Finding {
                kind,
                control,
                at,
                count,
                message,
            } => {
                let mut s = format!("{} {control}", kind.as_str());
                if let Some(a) = at {
                    s.push_str(&format!(" at {}", string(&a.text, a.raw)));
                }
                if let Some(c) = count {
                    s.push_str(&format!(" count {}", self.num(c.node, c.span)));
                }
                if let Some(m) = message {
                    s.push_str(&format!(" message {}", string(&m.text, m.raw)));
                }
                s
            }
            Expectation::Outcome { outcome, control } => {
                format!("{} {control}", outcome.as_str())
            }
        }
    }

    fn pack(&mut self, pk: &PackDecl, span: Span) -> Doc {
        let open = self.open_brace(pk.name.span.end as usize);
        let spans: Vec<Span> = pk.stmts.iter().map(|s| s.span).collect();
        let (close, after_brace, mut lines, prev) = self.frame(open, &spans, span);
        let mut prev = prev;
        for (i, s) in pk.stmts.iter().enumerate() {
            let range = self.range(prev, s.span, spans.get(i + 1), close);
            let piece = self.piece(range, &[], |p| match &s.kind {
                PackStmtKind::Version(v) => text(format!("version {}", string(&v.text, v.raw))),
                PackStmtKind::Description(v) => {
                    text(format!("description {}", string(&v.text, v.raw)))
                }
                PackStmtKind::Requires(v) => text(format!("requires {}", string(&v.text, v.raw))),
                PackStmtKind::Profile {
                    from,
                    to,
                    inclusive,
                    latest,
                } => {
                    let op = if *inclusive { "..=" } else { ".." };
                    let mut s = format!("profile versions {} {op} {}", from.node, to.node);
                    if let Some(l) = latest {
                        s.push_str(&format!(", latest = {}", l.node));
                    }
                    text(s)
                }
                PackStmtKind::ProfileFrom(q) => text(format!("profile from {q}")),
                PackStmtKind::Level(name, gs) => list_line(
                    &format!("level {}:", name.node),
                    gs.iter().map(|g| text(g.node.clone())).collect(),
                ),
                PackStmtKind::Include(gs) => {
                    list_line("include", gs.iter().map(|g| text(g.node.clone())).collect())
                }
                PackStmtKind::Exclude(gs) => {
                    list_line("exclude", gs.iter().map(|g| text(g.node.clone())).collect())
                }
                PackStmtKind::Set(q, e) => p.assign(text(format!("set {q} =")), e),
                PackStmtKind::Default => text("default"),
            });
            prev = piece.end;
            lines.piece(Sep::Keep, piece);
        }
        let rest = self.take_range(prev, close);
        lines.comments(self, rest);
        concat(vec![
            text(format!("pack {} ", pk.name.node)),
            braces(after_brace, lines),
        ])
    }

    fn framework(&mut self, f: &crate::ast::FrameworkDecl, span: Span) -> Doc {
        let open = self.open_brace(f.name.span.end as usize);
        let spans: Vec<Span> = f
            .stmts
            .iter()
            .map(|s| match s {
                FrameworkStmt::Title(x) | FrameworkStmt::Version(x) | FrameworkStmt::Url(x) => {
                    x.span
                }
                FrameworkStmt::Item { span, .. } => *span,
            })
            .collect();
        let (close, after_brace, mut lines, prev) = self.frame(open, &spans, span);
        let mut prev = prev;
        for (i, (s, sp)) in f.stmts.iter().zip(&spans).enumerate() {
            let range = self.range(prev, *sp, spans.get(i + 1), close);
            let piece = self.piece(range, &[], |_| {
                text(match s {
                    FrameworkStmt::Title(x) => format!("title {}", string(&x.text, x.raw)),
                    FrameworkStmt::Version(x) => format!("version {}", string(&x.text, x.raw)),
                    FrameworkStmt::Url(x) => format!("url {}", string(&x.text, x.raw)),
                    FrameworkStmt::Item {
                        id, title, manual, ..
                    } => format!(
                        "item {} {}{}",
                        string(&id.text, id.raw),
                        string(&title.text, title.raw),
                        if *manual { " manual" } else { "" }
                    ),
                })
            });
            prev = piece.end;
            lines.piece(Sep::Keep, piece);
        }
        let rest = self.take_range(prev, close);
        lines.comments(self, rest);
        concat(vec![
            text(format!("framework {} ", f.name.node)),
            braces(after_brace, lines),
        ])
    }

    /// The closing brace, the comment after the opening one, empty lines and
    /// where the first node's leading comments start, for a block of nodes
    /// with these spans.
    pub(crate) fn frame(
        &mut self,
        open: usize,
        spans: &[Span],
        outer: Span,
    ) -> (usize, Option<String>, Lines, usize) {
        let close = self.close_brace(open, spans.last().copied(), outer);
        let after_brace = self.brace_comment(open, spans.first().copied(), close);
        (close, after_brace, Lines::default(), open)
    }

    /// The `(lo, start, end, hi)` range of a node in a block.
    pub(crate) fn range(
        &self,
        prev: usize,
        s: Span,
        next: Option<&Span>,
        close: usize,
    ) -> (usize, usize, usize, usize) {
        let hi = next.map_or(close, |n| n.start as usize);
        (prev, s.start as usize, s.end as usize, hi)
    }
}

/// `{`, the lines indented, `}`; `{}` when there are none.
pub(crate) fn braces(after_brace: Option<String>, lines: Lines) -> Doc {
    let comment = after_brace.map_or(Doc::Nil, |c| {
        concat(vec![Doc::LineSuffix(format!(" {c}")), Doc::BreakParent])
    });
    if lines.is_empty() {
        // A comment after `{` must end its line before the `}`.
        let close = match comment {
            Doc::Nil => Doc::Nil,
            _ => Doc::HardLine,
        };
        return concat(vec![text("{"), comment, close, text("}")]);
    }
    concat(vec![
        text("{"),
        comment,
        indent(concat(vec![Doc::HardLine, lines.into_doc()])),
        Doc::HardLine,
        text("}"),
    ])
}

/// `keyword a, b, c`, continuing one element per line when too long.
pub(crate) fn list_line(keyword: &str, items: Vec<Doc>) -> Doc {
    let mut it = items.into_iter();
    let Some(first) = it.next() else {
        return text(keyword);
    };
    let mut rest = Vec::new();
    for d in it {
        rest.push(text(","));
        rest.push(Doc::Line);
        rest.push(d);
    }
    group(concat(vec![
        text(format!("{keyword} ")),
        first,
        indent(concat(rest)),
    ]))
}

pub(crate) fn type_text(t: &TypeExpr) -> String {
    t.to_string()
}
