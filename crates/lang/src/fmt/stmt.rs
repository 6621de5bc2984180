//! Controls: metadata in canonical order, then statements; `deny` and
//! `warn` with their clauses in the order `when`, `at`, `message`, `fix`.

use super::doc::{Doc, concat, group, indent, text};
use super::expr::{Elem, string};
use super::items::{braces, list_line};
use super::{Piece, Printer, Sep};
use crate::ast::{
    ControlDecl, Else, Expr, ExprKind, FindingStmt, FixOp, Meta, MetaKind, Stmt, StmtKind,
};
use crate::span::Span;

/// The position of a metadata line in the canonical order.
pub fn meta_rank(m: &MetaKind) -> usize {
    match m {
        MetaKind::Title(_) => 0,
        MetaKind::Severity(_) => 1,
        MetaKind::Description(_) => 2,
        MetaKind::Remedy(_) => 3,
        MetaKind::References(_) => 4,
        MetaKind::Maps(_) => 5,
        MetaKind::Since(_) => 6,
        MetaKind::Replaces(_) => 7,
        MetaKind::Tags(_) => 8,
        MetaKind::Waivable(_) => 9,
        MetaKind::Redact(_) => 10,
    }
}

/// A metadata line or a statement of a control.
enum Entry<'a> {
    Meta(&'a Meta),
    Stmt(&'a Stmt),
}

impl Entry<'_> {
    fn span(&self) -> Span {
        match self {
            Entry::Meta(m) => m.span,
            Entry::Stmt(s) => s.span,
        }
    }
}

impl Printer<'_> {
    pub(crate) fn control(&mut self, c: &ControlDecl, span: Span) -> Doc {
        let open = self.open_brace(c.name.span.end as usize);
        let mut entries: Vec<Entry<'_>> = c
            .meta
            .iter()
            .map(Entry::Meta)
            .chain(c.body.iter().map(Entry::Stmt))
            .collect();
        entries.sort_by_key(|e| e.span().start);
        let spans: Vec<Span> = entries.iter().map(Entry::span).collect();
        let (close, after_brace, mut lines, mut prev) = self.frame(open, &spans, span);
        // Comments go with their node, laid out in source order; the nodes
        // are then printed metadata first.
        let mut metas: Vec<(usize, Piece)> = Vec::new();
        let mut stmts: Vec<Piece> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let range = self.range(prev, e.span(), spans.get(i + 1), close);
            match e {
                Entry::Meta(m) => {
                    let piece = self.piece(range, &m.docs, |p| p.meta(&m.kind));
                    prev = piece.end;
                    metas.push((meta_rank(&m.kind), piece));
                }
                Entry::Stmt(s) => {
                    let piece = self.piece(range, &s.docs, |p| p.stmt(s));
                    prev = piece.end;
                    stmts.push(piece);
                }
            }
        }
        metas.sort_by_key(|(rank, _)| *rank);
        for (_, piece) in metas {
            lines.piece(Sep::First, piece);
        }
        let mut sep = if lines.is_empty() {
            Sep::First
        } else {
            Sep::Blank
        };
        for piece in stmts {
            lines.piece(sep, piece);
            sep = Sep::Keep;
        }
        let rest = self.take_range(prev, close);
        lines.comments(self, rest);
        concat(vec![
            text(format!("control {} ", c.name.node)),
            braces(after_brace, lines),
        ])
    }

    fn meta(&mut self, m: &MetaKind) -> Doc {
        let kw = m.keyword();
        match m {
            MetaKind::Title(s) | MetaKind::Description(s) | MetaKind::Remedy(s) => {
                text(format!("{kw} {}", string(&s.text, s.raw)))
            }
            MetaKind::Severity(s) => text(format!("{kw} {}", s.node)),
            MetaKind::References(xs) | MetaKind::Tags(xs) => list_line(
                kw,
                xs.iter().map(|s| text(string(&s.text, s.raw))).collect(),
            ),
            MetaKind::Maps(refs) => {
                let docs = refs
                    .iter()
                    .map(|r| {
                        let mut items = vec![Elem::Doc(
                            text(string(&r.item.text, r.item.raw)),
                            r.item.span,
                        )];
                        items.extend(r.args.iter().map(|a| {
                            let value = self.expr(&a.value);
                            Elem::Doc(
                                concat(vec![text(format!("{}: ", a.name.node)), value]),
                                a.name.span.to(a.value.span),
                            )
                        }));
                        let lo = r.framework.span.end as usize;
                        let args = self.seq("(", ")", &items, (lo, r.span.end as usize));
                        concat(vec![text(r.framework.node.clone()), args])
                    })
                    .collect();
                list_line(kw, docs)
            }
            MetaKind::Since(v) => text(format!("{kw} {}", v.node)),
            MetaKind::Replaces(q) => text(format!("{kw} {q}")),
            MetaKind::Waivable(b) | MetaKind::Redact(b) => text(format!("{kw} {}", b.node)),
        }
    }

    fn stmt(&mut self, s: &Stmt) -> Doc {
        match &s.kind {
            StmtKind::Match(e) => concat(vec![text("match "), self.expr(e)]),
            StmtKind::Let(l) => self.assign(text(format!("let {} =", l.name.node)), &l.value),
            StmtKind::For(f) => {
                let iter = self.expr(&f.iter);
                let open = self.open_brace(f.iter.span.end as usize);
                let (body, _) = self.block(&f.body, open, s.span);
                concat(vec![
                    text(format!("for {} in ", super::expr::binding(&f.binding))),
                    iter,
                    text(" "),
                    body,
                ])
            }
            StmtKind::If(i) => {
                let cond = self.expr(&i.cond);
                let open = self.open_brace(i.cond.span.end as usize);
                let (then, close) = self.block(&i.then, open, s.span);
                let mut parts = vec![text("if "), cond, text(" "), then];
                match &i.otherwise {
                    None => {}
                    Some(Else::If(x)) => {
                        parts.push(text(" else "));
                        parts.push(self.stmt(x));
                    }
                    Some(Else::Block(b)) => {
                        let open = self.open_brace(close + 1);
                        let (b, _) = self.block(b, open, s.span);
                        parts.push(text(" else "));
                        parts.push(b);
                    }
                }
                concat(parts)
            }
            StmtKind::Finding(f) => self.finding(f, s.span),
        }
    }

    /// A braced block of statements opening at `open`; also returns where
    /// its `}` is.
    fn block(&mut self, stmts: &[Stmt], open: usize, outer: Span) -> (Doc, usize) {
        let spans: Vec<Span> = stmts.iter().map(|s| s.span).collect();
        let (close, after_brace, mut lines, mut prev) = self.frame(open, &spans, outer);
        for (i, s) in stmts.iter().enumerate() {
            let range = self.range(prev, s.span, spans.get(i + 1), close);
            let piece = self.piece(range, &s.docs, |p| p.stmt(s));
            prev = piece.end;
            lines.piece(Sep::Keep, piece);
        }
        let rest = self.take_range(prev, close);
        lines.comments(self, rest);
        (braces(after_brace, lines), close)
    }

    /// `deny when c at p message m fix ...`: the first clause on the `deny`
    /// line, the others each on their own line when it does not fit.
    fn finding(&mut self, f: &FindingStmt, span: Span) -> Doc {
        // (canonical position, span, clause) in source order.
        let mut clauses: Vec<(usize, Span, Clause<'_>)> = Vec::new();
        let named = [("when", &f.when), ("at", &f.at), ("message", &f.message)];
        for (i, (kw, e)) in named.into_iter().enumerate() {
            if let Some(e) = e {
                clauses.push((i, e.span, Clause::Expr(kw, e)));
            }
        }
        if f.fixes.iter().all(|c| c.when.is_none()) {
            // Unconditional `fix` clauses are written as one.
            let ops: Vec<&FixOp> = f.fixes.iter().flat_map(|c| &c.ops).collect();
            if let Some(first) = ops.first() {
                let s = ops.iter().fold(fix_span(first), |s, x| s.to(fix_span(x)));
                clauses.push((3, s, Clause::Fix(None, ops)));
            }
        } else {
            // With a condition, each clause keeps its own.
            for (i, c) in f.fixes.iter().enumerate() {
                let ops: Vec<&FixOp> = c.ops.iter().collect();
                let Some(first) = ops.first() else {
                    continue;
                };
                let start = c.when.as_ref().map_or(fix_span(first), |w| w.span);
                let s = ops.iter().fold(start, |s, x| s.to(fix_span(x)));
                clauses.push((3 + i, s, Clause::Fix(c.when.as_ref(), ops)));
            }
        }
        clauses.sort_by_key(|c| c.1.start);
        let first_printed = clauses.iter().map(|c| c.0).min();
        let mut built: Vec<(usize, Doc)> = Vec::new();
        let mut prev = span.start as usize;
        for (i, (pos, s, clause)) in clauses.iter().enumerate() {
            let mut parts = Vec::new();
            // Comments above the first printed clause have no line of their
            // own; they are printed after the statement.
            if Some(*pos) != first_printed {
                for c in self.take_range(prev, s.start as usize) {
                    parts.push(text(c.text));
                    parts.push(Doc::HardLine);
                }
            }
            parts.push(match clause {
                Clause::Expr(kw, e) => concat(vec![text(format!("{kw} ")), self.expr(e)]),
                Clause::Fix(when, ops) => self.fixes(*when, ops),
            });
            let hi = clauses
                .get(i + 1)
                .map_or(span.end as usize, |c| c.1.start as usize);
            let end = self.tight_end(s.start as usize, s.end as usize);
            if let Some(c) = self.take_trailing(end, hi) {
                parts.push(Doc::LineSuffix(format!(" {}", c.text)));
                parts.push(Doc::BreakParent);
            }
            built.push((*pos, concat(parts)));
            prev = end;
        }
        built.sort_by_key(|b| b.0);
        let mut it = built.into_iter().map(|b| b.1);
        let kind = text(f.kind.as_str());
        let Some(first) = it.next() else {
            return kind;
        };
        let rest: Vec<Doc> = it.flat_map(|d| [Doc::Line, d]).collect();
        group(concat(vec![
            kind,
            text(" "),
            indent(first),
            indent(concat(rest)),
        ]))
    }

    fn fixes(&mut self, when: Option<&Expr>, ops: &[&FixOp]) -> Doc {
        // In source order: the condition, then the operations.
        let when = when.map(|w| self.expr(w));
        let mut docs: Vec<Doc> = ops
            .iter()
            .map(|op| match op {
                FixOp::Set { path, value, .. } => {
                    let path = self.fix_path(path);
                    concat(vec![text("set "), path, text(" = "), self.expr(value)])
                }
                FixOp::Remove { path, .. } => concat(vec![text("remove "), self.fix_path(path)]),
            })
            .collect();
        if let (Some(w), Some(first)) = (when, docs.first_mut()) {
            let op = std::mem::replace(first, Doc::Line);
            *first = concat(vec![text("when "), w, text(" "), op]);
        }
        list_line("fix", docs)
    }

    /// A fix path must be an operand with postfix operators only.
    fn fix_path(&mut self, e: &Expr) -> Doc {
        let simple = matches!(
            e.kind,
            ExprKind::Var(_)
                | ExprKind::Field(..)
                | ExprKind::Index(..)
                | ExprKind::Call(..)
                | ExprKind::Paren(_)
                | ExprKind::List(_)
                | ExprKind::Object(_)
                | ExprKind::Str(_)
                | ExprKind::RawStr(_)
                | ExprKind::Num(_)
                | ExprKind::Null
                | ExprKind::Bool(_)
                | ExprKind::Version(_)
        );
        if simple {
            self.expr(e)
        } else {
            concat(vec![text("("), self.expr(e), text(")")])
        }
    }
}

enum Clause<'a> {
    Expr(&'static str, &'a Expr),
    Fix(Option<&'a Expr>, Vec<&'a FixOp>),
}

fn fix_span(f: &FixOp) -> Span {
    match f {
        FixOp::Set { span, .. } | FixOp::Remove { span, .. } => *span,
    }
}
