//! Expressions, with minimal parentheses and breakable lists, calls and
//! `and`/`or`/`+`/`-`/`??` chains.

use super::Printer;
use super::doc::{Doc, concat, group, if_break, indent, render, text};
use crate::ast::{
    Arg, BinOp, Binding, CompClause, Expr, ExprKind, NEG_PRECEDENCE, NOT_PRECEDENCE, StrPart, UnOp,
};
use crate::span::{Span, Spanned};

/// The level of postfix operators (`.f`, `[i]`, `(args)`), above every
/// binary and prefix operator.
const POSTFIX: u8 = 10;

/// The words the grammar refuses as names.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "if", "then", "else", "let", "for", "fn", "true", "false", "null",
    "deny", "warn", "match", "control", "param", "use", "package",
];

/// Whether `s` can be written as a name (an object key without quotes).
pub(crate) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&s)
}

/// How tightly an expression holds together as an operand: a binary
/// operator's precedence, or [`POSTFIX`] for everything else (prefix
/// operators included: the parser accepts them in any operand position).
fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, _, _) => op.precedence(),
        _ => POSTFIX,
    }
}

/// The lowest operator level an expression swallows when printed with an
/// operator after it: `not a` takes a following `== b`, `if c then a else b`
/// and quantifiers take everything, `-a` takes postfix operators.
fn open(e: &Expr) -> Option<u8> {
    let min = |a: u8, b: Option<u8>| Some(b.map_or(a, |b| b.min(a)));
    match &e.kind {
        ExprKind::Unary(UnOp::Not, x) => min(NOT_PRECEDENCE, open_as(x, wrap_not(x))),
        ExprKind::Unary(UnOp::Neg, x) => min(NEG_PRECEDENCE, open_as(x, wrap_neg(x))),
        ExprKind::Binary(op, _, r) => open_as(r, wrap_right(r, *op)),
        ExprKind::If(..) | ExprKind::Quant(..) => Some(0),
        _ => None,
    }
}

fn open_as(e: &Expr, wrapped: bool) -> Option<u8> {
    if wrapped { None } else { open(e) }
}

fn wrap_left(l: &Expr, op: BinOp) -> bool {
    // Comparisons do not chain and `??` groups to the right.
    let min = if op.is_comparison() || op == BinOp::Coalesce {
        op.precedence() + 1
    } else {
        op.precedence()
    };
    level(l) < min || open(l).is_some_and(|t| t <= op.precedence())
}

fn wrap_right(r: &Expr, op: BinOp) -> bool {
    let min = if op == BinOp::Coalesce {
        op.precedence()
    } else {
        op.precedence() + 1
    };
    level(r) < min
}

fn wrap_not(x: &Expr) -> bool {
    level(x) < NOT_PRECEDENCE
}

fn wrap_neg(x: &Expr) -> bool {
    level(x) < NEG_PRECEDENCE
}

/// Whether an expression needs parentheses before `.f`, `[i]` or `(args)`.
fn wrap_base(b: &Expr) -> bool {
    level(b) < POSTFIX || open(b).is_some()
}

/// The operands of a chain of operators of one precedence, in order: the
/// first (with whether it needs parentheses), then each operator with its
/// operand. Left-grouping chains run down the left operands, `??` down the
/// right ones.
type Chain<'a> = ((&'a Expr, bool), Vec<(BinOp, &'a Expr, bool)>);

fn chain_parts(e: &Expr) -> Option<Chain<'_>> {
    let ExprKind::Binary(op0, l0, r0) = &e.kind else {
        return None;
    };
    if *op0 == BinOp::Coalesce {
        let mut rest = Vec::new();
        let first = (&**l0, wrap_left(l0, *op0));
        let mut cur: &Expr = r0;
        loop {
            match &cur.kind {
                ExprKind::Binary(BinOp::Coalesce, l, r) => {
                    rest.push((BinOp::Coalesce, &**l, wrap_left(l, BinOp::Coalesce)));
                    cur = r;
                }
                _ => {
                    rest.push((BinOp::Coalesce, cur, wrap_right(cur, BinOp::Coalesce)));
                    return Some((first, rest));
                }
            }
        }
    }
    // Walk down the left spine while the operators share a level.
    let mut rest: Vec<(BinOp, &Expr, bool)> = Vec::new();
    let mut first = e;
    let mut op_first = *op0;
    while let ExprKind::Binary(op, l, r) = &first.kind {
        if op.precedence() != op0.precedence() {
            break;
        }
        rest.push((*op, r, wrap_right(r, *op)));
        op_first = *op;
        first = l;
        if wrap_left(l, *op) {
            break;
        }
    }
    rest.reverse();
    Some(((first, wrap_left(first, op_first)), rest))
}

/// Operators whose chains break before the operator when too long.
fn breakable(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::And | BinOp::Or | BinOp::Add | BinOp::Sub | BinOp::Coalesce
    )
}

/// Writes string text with the escapes the grammar reads back.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

/// A raw string with as few `#` as its text allows.
pub(crate) fn raw_string(s: &str) -> String {
    let mut n = 0;
    while s.contains(&format!("\"{}", "#".repeat(n))) {
        n += 1;
    }
    let h = "#".repeat(n);
    format!("r{h}\"{s}\"{h}")
}

/// A string literal without interpolation.
pub(crate) fn string(s: &str, raw: bool) -> String {
    if raw {
        return raw_string(s);
    }
    let mut out = String::from("\"");
    escape_into(&mut out, s);
    out.push('"');
    out
}

/// A number the way the parser reads it back exactly.
pub(crate) fn number(n: f64) -> String {
    let a = n.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        format!("{n:e}")
    } else {
        format!("{n}")
    }
}

impl Printer<'_> {
    /// A number as written in the source when that spelling reads as the
    /// same value (`0.50`, `1e3`), else in canonical form.
    pub(crate) fn num(&self, n: f64, span: Span) -> String {
        match self.src.get(span.range()) {
            Some(s) if s.parse::<f64>().ok() == Some(n) && !s.is_empty() => s.to_string(),
            _ => number(n),
        }
    }

    /// An expression whose continuation lines are indented.
    pub(crate) fn expr(&mut self, e: &Expr) -> Doc {
        self.expr_in(e, true)
    }

    /// An expression that starts a line: its chains continue at the same
    /// indentation.
    pub(crate) fn expr_line_start(&mut self, e: &Expr) -> Doc {
        self.expr_in(e, false)
    }

    /// An expression on one line, as in a string interpolation.
    pub(crate) fn expr_flat(&mut self, e: &Expr) -> String {
        self.flat += 1;
        let d = self.expr(e);
        self.flat -= 1;
        render(&d, usize::MAX)
    }

    fn wrapped(&mut self, e: &Expr, wrap: bool) -> Doc {
        if wrap { self.parens(e) } else { self.expr(e) }
    }

    /// `(e)`; a long condition breaks inside the parentheses.
    fn parens(&mut self, e: &Expr) -> Doc {
        let breaks = match &e.kind {
            ExprKind::Binary(op, _, _) => breakable(*op),
            ExprKind::If(..) => true,
            _ => false,
        };
        if !breaks {
            return concat(vec![text("("), self.expr(e), text(")")]);
        }
        let inner = self.expr_line_start(e);
        group(concat(vec![
            text("("),
            indent(concat(vec![Doc::SoftLine, inner])),
            Doc::SoftLine,
            text(")"),
        ]))
    }

    fn expr_in(&mut self, e: &Expr, hang: bool) -> Doc {
        match &e.kind {
            ExprKind::Null => text("null"),
            ExprKind::Bool(b) => text(if *b { "true" } else { "false" }),
            ExprKind::Num(n) => text(self.num(*n, e.span)),
            ExprKind::Str(parts) => text(self.interpolated(parts)),
            ExprKind::RawStr(s) => text(raw_string(s)),
            ExprKind::Version(v) => text(v.to_string()),
            ExprKind::Var(v) => text(v.clone()),
            ExprKind::Field(b, f) => {
                let base = self.wrapped(b, wrap_base(b));
                concat(vec![base, text("."), text(f.node.clone())])
            }
            ExprKind::Index(b, i) => {
                let base = self.wrapped(b, wrap_base(b));
                concat(vec![base, text("["), self.expr(i), text("]")])
            }
            ExprKind::Call(c, args) => {
                let callee = self.wrapped(c, wrap_base(c));
                let items: Vec<Elem<'_>> = args.iter().map(Elem::Arg).collect();
                let args = self.seq("(", ")", &items, (c.span.end as usize, e.span.end as usize));
                concat(vec![callee, args])
            }
            ExprKind::Unary(op, x) => {
                let (t, wrap) = match op {
                    UnOp::Not => ("not ", wrap_not(x)),
                    UnOp::Neg => ("-", wrap_neg(x)),
                };
                concat(vec![text(t), self.wrapped(x, wrap)])
            }
            ExprKind::Binary(..) => self.chain(e, hang),
            ExprKind::If(..) => self.if_expr(e, hang),
            ExprKind::List(xs) => {
                let items: Vec<Elem<'_>> = xs.iter().map(Elem::Expr).collect();
                self.seq(
                    "[",
                    "]",
                    &items,
                    (e.span.start as usize, e.span.end as usize),
                )
            }
            ExprKind::Object(kvs) => {
                let items: Vec<Elem<'_>> = kvs.iter().map(|(k, v)| Elem::Entry(k, v)).collect();
                self.seq(
                    "{",
                    "}",
                    &items,
                    (e.span.start as usize, e.span.end as usize),
                )
            }
            ExprKind::ListComp(x, clauses) => {
                let head = self.expr(x);
                self.comprehension("[", head, clauses, "]")
            }
            ExprKind::ObjectComp(k, v, clauses) => {
                let head = concat(vec![self.expr(k), text(": "), self.expr(v)]);
                self.comprehension("{", head, clauses, "}")
            }
            ExprKind::Quant(kind, b, coll, body) => {
                let coll = self.expr(coll);
                let body = self.expr(body);
                group(concat(vec![
                    text(format!("{} {} in ", kind.as_str(), binding(b))),
                    coll,
                    text(":"),
                    indent(concat(vec![Doc::Line, body])),
                ]))
            }
            ExprKind::Paren(x) => self.parens(x),
        }
    }

    /// The text of a string with interpolations, on one line.
    fn interpolated(&mut self, parts: &[StrPart]) -> String {
        let mut out = String::from("\"");
        for p in parts {
            match p {
                StrPart::Lit(s) => escape_into(&mut out, s),
                StrPart::Expr(e) => {
                    out.push('{');
                    out.push_str(&self.expr_flat(e));
                    out.push('}');
                }
            }
        }
        out.push('"');
        out
    }

    /// A chain of binary operators of one precedence: `a and b and c`, or
    /// `a ?? b ?? c` (which groups to the right).
    fn chain(&mut self, e: &Expr, hang: bool) -> Doc {
        let Some((first, rest)) = chain_parts(e) else {
            return self.expr(e);
        };
        let head = self.wrapped(first.0, first.1);
        let mut tail = Vec::new();
        let mut prev_end = first.0.span.end as usize;
        for (op, r, wrap) in rest {
            let r_start = r.span.start as usize;
            if breakable(op) {
                if let Some(c) = self.take_trailing(prev_end, r_start) {
                    tail.push(Doc::LineSuffix(format!(" {}", c.text)));
                    tail.push(Doc::BreakParent);
                }
                let own = self.take_range(prev_end, r_start);
                for c in own {
                    tail.push(Doc::HardLine);
                    tail.push(text(c.text));
                }
                tail.push(Doc::Line);
            } else if op != BinOp::Range && op != BinOp::RangeIncl {
                tail.push(text(" "));
            }
            let sep = match op {
                BinOp::Range | BinOp::RangeIncl => op.as_str().to_string(),
                _ => format!("{} ", op.as_str()),
            };
            tail.push(text(sep));
            tail.push(self.wrapped(r, wrap));
            prev_end = r.span.end as usize;
        }
        let tail = concat(tail);
        group(concat(vec![head, if hang { indent(tail) } else { tail }]))
    }

    /// `if a then b else if c then d else e`, breaking before each `else`.
    fn if_expr(&mut self, e: &Expr, hang: bool) -> Doc {
        let mut parts = Vec::new();
        let mut cur = e;
        let mut first = true;
        while let ExprKind::If(c, t, f) = &cur.kind {
            if !first {
                parts.push(Doc::Line);
                parts.push(text("else "));
            }
            first = false;
            parts.push(text("if "));
            parts.push(self.expr(c));
            parts.push(text(" then "));
            parts.push(self.expr(t));
            cur = f;
        }
        parts.push(Doc::Line);
        parts.push(text("else "));
        parts.push(self.expr(cur));
        let head = parts.drain(..4.min(parts.len())).collect();
        let tail = concat(parts);
        group(concat(vec![
            concat(head),
            if hang { indent(tail) } else { tail },
        ]))
    }

    fn comprehension(&mut self, open: &str, head: Doc, clauses: &[CompClause], close: &str) -> Doc {
        let mut body = vec![Doc::SoftLine, head];
        for c in clauses {
            body.push(Doc::Line);
            match c {
                CompClause::For(b, x) => {
                    body.push(text(format!("for {} in ", binding(b))));
                    body.push(self.expr(x));
                }
                CompClause::If(x) => {
                    body.push(text("if "));
                    body.push(self.expr(x));
                }
            }
        }
        group(concat(vec![
            text(open),
            indent(concat(body)),
            Doc::SoftLine,
            text(close),
        ]))
    }

    /// A delimited, comma-separated sequence: one line when it fits, else
    /// one element per line with a trailing comma. Comments between
    /// elements stay with them (and make the sequence break).
    pub(crate) fn seq(
        &mut self,
        open: &str,
        close: &str,
        items: &[Elem<'_>],
        (lo, hi): (usize, usize),
    ) -> Doc {
        let mut body = Vec::new();
        let mut prev = lo;
        for (i, item) in items.iter().enumerate() {
            let (start, end) = item.range();
            let next = items.get(i + 1).map_or(hi, |n| n.range().0);
            if i > 0 {
                body.push(Doc::Line);
            }
            for c in self.take_range(prev, start) {
                body.push(text(c.text));
                body.push(Doc::HardLine);
            }
            body.push(self.elem(item));
            body.push(if i + 1 == items.len() {
                if_break(text(","), Doc::Nil)
            } else {
                text(",")
            });
            if let Some(c) = self.take_trailing(end, next) {
                body.push(Doc::LineSuffix(format!(" {}", c.text)));
                body.push(Doc::BreakParent);
            }
            for c in self.take_range(start, end) {
                body.push(Doc::HardLine);
                body.push(text(c.text));
            }
            prev = end;
        }
        for c in self.take_range(prev, hi) {
            if !body.is_empty() {
                body.push(Doc::HardLine);
            }
            body.push(text(c.text));
        }
        if body.is_empty() {
            return text(format!("{open}{close}"));
        }
        group(concat(vec![
            text(open),
            indent(concat(vec![Doc::SoftLine, concat(body)])),
            Doc::SoftLine,
            text(close),
        ]))
    }

    fn elem(&mut self, item: &Elem<'_>) -> Doc {
        match item {
            Elem::Expr(e) => self.expr(e),
            Elem::Entry(k, v) => concat(vec![text(key(&k.node)), text(": "), self.expr(v)]),
            Elem::Arg(Arg::Pos(e)) => self.expr(e),
            Elem::Arg(Arg::Named(n)) => concat(vec![
                text(format!("{}: ", n.name.node)),
                self.expr(&n.value),
            ]),
            Elem::Doc(d, _) => d.clone(),
        }
    }
}

/// An element of a delimited sequence.
pub(crate) enum Elem<'a> {
    Expr(&'a Expr),
    Entry(&'a Spanned<String>, &'a Expr),
    Arg(&'a Arg),
    /// Something already laid out, with its span.
    Doc(Doc, Span),
}

impl Elem<'_> {
    fn range(&self) -> (usize, usize) {
        let s = match self {
            Elem::Expr(e) => e.span,
            Elem::Arg(Arg::Pos(e)) => e.span,
            Elem::Entry(k, v) => k.span.to(v.span),
            Elem::Arg(Arg::Named(n)) => n.name.span.to(n.value.span),
            Elem::Doc(_, s) => *s,
        };
        (s.start as usize, s.end as usize)
    }
}

/// An object key: bare when it is a name, quoted otherwise.
pub(crate) fn key(k: &str) -> String {
    if is_ident(k) {
        k.to_string()
    } else {
        string(k, false)
    }
}

pub(crate) fn binding(b: &Binding) -> String {
    match &b.second {
        Some(s) => format!("{}, {}", b.first.node, s.node),
        None => b.first.node.clone(),
    }
}
