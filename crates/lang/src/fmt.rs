//! The formatter: prints a module in canonical form, keeping its comments.
//!
//! [`format`] lays the syntax tree out again (2-space indent, 100 columns,
//! metadata before statements, `deny` clauses in a fixed order, minimal
//! parentheses) and puts back the `#` comments the grammar skips, which
//! [`trivia::scan`] recovers from the source text. A comment stays with the
//! node it stands above (leading) or follows on the same line (trailing).
//! Formatting is idempotent and never changes what a file means:
//! `parse(format(x)) == parse(x)` up to the order of metadata lines.

mod doc;
mod expr;
mod items;
mod stmt;
pub mod trivia;

use crate::ast::{Expr, Module};
use crate::diagnostic::Diagnostics;
use crate::span::FileId;
use doc::{Doc, concat, text};
use trivia::Comment;

/// Formats a parsed module; `src` is the text it was parsed from.
pub fn format(src: &str, module: &Module) -> String {
    let mut p = Printer::new(src);
    let d = p.module(module);
    let mut out = doc::render(&d, doc::WIDTH);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Parses and formats a source text.
pub fn format_source(file: FileId, src: &str) -> Result<String, Diagnostics> {
    let module = crate::parse(file, src)?;
    Ok(format(src, &module))
}

/// Prints one expression on its own (no source text, so no comments), laid
/// out in `width` columns.
pub fn format_expr(e: &Expr, width: usize) -> String {
    let mut p = Printer::new("");
    let d = p.expr(e);
    doc::render(&d, width)
}

/// The layout state: the source text and which comments are printed.
pub(crate) struct Printer<'s> {
    src: &'s str,
    comments: Vec<Comment>,
    used: Vec<bool>,
    docs: Vec<usize>,
    /// Above zero while printing something that must stay on one line
    /// (string interpolations); comments there are printed after the line.
    flat: u32,
}

/// One line-level node with the comments around it.
pub(crate) struct Piece {
    /// Comments on their own lines above the node, each with whether a
    /// blank line stood before it.
    leading: Vec<(Comment, bool)>,
    /// Whether a blank line stood before the node (or its doc comments).
    blank: bool,
    doc: Doc,
    /// A comment at the end of the node's last line.
    trailing: Option<Comment>,
    /// Comments inside the node that found no place in it.
    after: Vec<Comment>,
    /// Where the node ends, without the spaces and comments its span may
    /// hold at the end.
    pub(crate) end: usize,
}

/// How a piece is separated from the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sep {
    /// First in its block: no blank line.
    First,
    /// A blank line where the source had one.
    Keep,
    /// Always a blank line.
    Blank,
}

impl<'s> Printer<'s> {
    fn new(src: &'s str) -> Printer<'s> {
        let t = trivia::scan(src);
        Printer {
            src,
            used: vec![false; t.comments.len()],
            comments: t.comments,
            docs: t.docs,
            flat: 0,
        }
    }

    /// Takes the comments that start in `lo..hi` and are not printed yet.
    pub(crate) fn take_range(&mut self, lo: usize, hi: usize) -> Vec<Comment> {
        if self.flat > 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (c, used) in self.comments.iter().zip(self.used.iter_mut()) {
            if !*used && c.start >= lo && c.start < hi {
                *used = true;
                out.push(c.clone());
            }
        }
        out
    }

    /// Takes the comment on the same source line as `end`, if it starts
    /// before `hi`.
    pub(crate) fn take_trailing(&mut self, end: usize, hi: usize) -> Option<Comment> {
        if self.flat > 0 {
            return None;
        }
        let src = self.src;
        let i = self
            .comments
            .iter()
            .zip(self.used.iter())
            .position(|(c, used)| {
                !*used
                    && c.start >= end
                    && c.start < hi
                    && src.get(end..c.start).is_some_and(|gap| !gap.contains('\n'))
            })?;
        if let Some(u) = self.used.get_mut(i) {
            *u = true;
        }
        self.comments.get(i).cloned()
    }

    /// Whether a blank line stands right before `pos`.
    pub(crate) fn blank_before(&self, pos: usize) -> bool {
        let before = self.src.get(..pos).unwrap_or("");
        let gap = before.len() - before.trim_end().len();
        before
            .get(before.len() - gap..)
            .is_some_and(|g| g.matches('\n').count() >= 2)
    }

    /// The end of the line `pos` is on.
    fn line_end(&self, pos: usize) -> usize {
        self.src
            .get(pos..)
            .and_then(|r| r.find('\n'))
            .map_or(self.src.len(), |n| pos + n)
    }

    /// The first offset at or after `pos` that is neither space nor comment.
    pub(crate) fn next_token(&self, pos: usize) -> usize {
        let mut i = pos;
        loop {
            let rest = self.src.get(i..).unwrap_or("");
            let trimmed = rest.trim_start();
            i += rest.len() - trimmed.len();
            if trimmed.starts_with('#') {
                i = self.line_end(i);
            } else {
                return i;
            }
        }
    }

    /// The offset just after the first `{` at or after `pos`, outside
    /// comments.
    pub(crate) fn open_brace(&self, pos: usize) -> usize {
        self.token_after(pos, b'{')
    }

    /// The offset just past the first `token` at or after `pos`, outside
    /// comments.
    pub(crate) fn token_after(&self, pos: usize, token: u8) -> usize {
        let mut i = pos;
        loop {
            i = self.next_token(i);
            match self.src.as_bytes().get(i) {
                Some(&b) if b == token => return i + 1,
                Some(_) => i += 1,
                None => return i,
            }
        }
    }

    /// Builds a line-level node spanning `start..end`, taking the comments
    /// between `lo` and it as leading and the one after it (before `hi`) on
    /// the same line as trailing. `docs` are printed above the node.
    pub(crate) fn piece(
        &mut self,
        range: (usize, usize, usize, usize),
        docs: &[String],
        build: impl FnOnce(&mut Self) -> Doc,
    ) -> Piece {
        let (lo, start, end, hi) = range;
        let end = self.tight_end(start, end);
        // The node's doc lines: before its span (statements, metadata) or at
        // its start (items). Comments among them go above them.
        let (visual, docs_end) = match self.docs.iter().position(|&d| d >= lo && d < end) {
            Some(i) if !docs.is_empty() => {
                let first = self.docs.get(i).copied().unwrap_or(start);
                let last = self.docs.get(i + docs.len() - 1).copied().unwrap_or(first);
                (first.min(start), self.next_token(self.line_end(last)))
            }
            _ => (start, start),
        };
        let leading: Vec<(Comment, bool)> = self
            .take_range(lo, start.max(docs_end))
            .into_iter()
            .map(|c| {
                let b = self.blank_before(c.start);
                (c, b)
            })
            .collect();
        let blank = leading.iter().all(|(c, _)| c.start < visual) && self.blank_before(visual);
        let body = build(self);
        let trailing = self.take_trailing(end, hi);
        let after = self.take_range(start, end);
        let mut parts: Vec<Doc> = docs.iter().map(|d| doc_line(d)).collect();
        parts.push(body);
        Piece {
            leading,
            blank,
            doc: concat(parts),
            trailing,
            after,
            end,
        }
    }

    /// The end of the node spanning `start..end` without trailing spaces
    /// and comments: a grammar rule that ends in an optional part takes the
    /// trivia before it into its span.
    pub(crate) fn tight_end(&self, start: usize, end: usize) -> usize {
        let mut p = end;
        loop {
            let s = self.src.get(start..p).unwrap_or("");
            p = start + s.trim_end().len();
            match self
                .comments
                .iter()
                .find(|c| c.start >= start && c.start < p && p <= c.end)
            {
                Some(c) => p = c.start,
                None => return p,
            }
        }
    }
}

fn doc_line(d: &str) -> Doc {
    let line = if d.is_empty() {
        "///".to_string()
    } else {
        format!("/// {d}")
    };
    concat(vec![text(line), Doc::HardLine])
}

/// Lines of a block: pieces and loose comments, separated by line breaks.
#[derive(Default)]
pub(crate) struct Lines {
    parts: Vec<Doc>,
    started: bool,
    /// Comments from inside the last piece that found no place in it; they
    /// go above the next piece, as they will when formatted again.
    pending: Vec<Comment>,
}

impl Lines {
    /// Starts a new line, after a blank one when `blank`.
    fn line(&mut self, blank: bool, d: Doc) {
        if self.started {
            self.parts
                .push(if blank { Doc::BlankLine } else { Doc::HardLine });
        }
        self.started = true;
        self.parts.push(d);
    }

    pub(crate) fn is_empty(&self) -> bool {
        !self.started
    }

    /// Adds a piece with its comments.
    pub(crate) fn piece(&mut self, sep: Sep, p: Piece) {
        let mut sep = sep;
        let blank = |sep: Sep, had: bool| match sep {
            Sep::First => false,
            Sep::Blank => true,
            Sep::Keep => had,
        };
        let pending = std::mem::take(&mut self.pending);
        let leading = pending.into_iter().map(|c| (c, false)).chain(p.leading);
        for (c, had) in leading {
            self.line(blank(sep, had), text(c.text));
            sep = Sep::Keep;
        }
        self.line(blank(sep, p.blank), p.doc);
        if let Some(t) = p.trailing {
            self.parts.push(Doc::LineSuffix(format!(" {}", t.text)));
            self.parts.push(Doc::BreakParent);
        }
        self.pending = p.after;
    }

    fn flush(&mut self) {
        for c in std::mem::take(&mut self.pending) {
            self.line(false, text(c.text));
        }
    }

    /// Adds comments that belong to no node (at the end of a block).
    pub(crate) fn comments(&mut self, p: &Printer<'_>, cs: Vec<Comment>) {
        self.flush();
        for c in cs {
            let had = p.blank_before(c.start);
            self.line(had, text(c.text));
        }
    }

    pub(crate) fn into_doc(mut self) -> Doc {
        self.flush();
        concat(self.parts)
    }
}
