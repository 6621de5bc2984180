//! Candidate text edits for one fix operation, from node positions.
//!
//! The loader records where each value starts (a block mapping starts at its
//! first key, a flow collection at its bracket); nothing records where keys
//! or values end. So each function here proposes the edits a person would
//! make, in order of preference, and the planner keeps the first one that
//! loads back to the right document.

use super::{TextEdit, emit, scan};
use crate::eval::FixOp;
use crate::input::Format;
use crate::report::common::Source;
use crate::value::doc::{Doc, Node, NodeRef, Seg, parse_pointer, pointer_string};
use serde_json::Value;

type Candidates = Vec<Vec<TextEdit>>;

/// The candidate edits for one operation, best first.
pub(super) fn candidates(src: &Source, doc: &Doc, op: &FixOp) -> Candidates {
    let mut segs = parse_pointer(&op.path);
    let Some(last) = segs.pop() else {
        return Vec::new();
    };
    let parent_ptr = pointer_string(&segs.into_iter().map(Seg::Key).collect::<Vec<_>>());
    let Some(parent) = doc.at_pointer(&parent_ptr) else {
        return Vec::new();
    };
    let at = Ctx { src, parent };
    let out = match (op.op, &op.value) {
        ("replace", Some(v)) => at.replace(&last, v),
        ("add", Some(v)) => match at.child(&last) {
            Some(_) if matches!(parent.kind(), Node::Obj { .. }) => at.replace(&last, v),
            _ => at.add(&last, v),
        },
        ("remove", _) => at.remove(&last),
        _ => None,
    };
    out.unwrap_or_default()
}

struct Ctx<'s, 'd> {
    src: &'s Source,
    parent: NodeRef<'d>,
}

impl<'d> Ctx<'_, 'd> {
    fn yaml(&self) -> bool {
        self.src.format == Format::Yaml
    }

    fn json(&self) -> bool {
        self.src.format == Format::Json
    }

    fn child(&self, seg: &str) -> Option<NodeRef<'d>> {
        match self.parent.kind() {
            Node::Obj { .. } => self.parent.get_str(seg),
            Node::List { .. } => self.parent.index(seg.parse().ok()?),
            _ => None,
        }
    }

    fn text(&self) -> &str {
        // Plans are made in files held whole (`Planner::plan_ops`).
        self.src.whole().map_or("", |t| t)
    }

    fn offset(&self, n: NodeRef<'_>) -> Option<usize> {
        let p = n.pos();
        self.src.offset(p.line as usize, p.col as usize)
    }

    fn char_at(&self, o: usize) -> Option<char> {
        self.text().get(o..)?.chars().next()
    }

    /// Where the parent's `{` or `[` is, if it is written in flow style. A
    /// collection is reported at its bracket, or at the key it is the value
    /// of; the bracket then follows the key on the same line.
    fn bracket(&self) -> Option<usize> {
        if self.json() {
            return self.offset(self.parent);
        }
        let o = self.offset(self.parent)?;
        if matches!(self.char_at(o)?, '{' | '[') {
            return Some(o);
        }
        let a = self.after_key(o)?;
        if matches!(self.char_at(a)?, '{' | '[') {
            return Some(a);
        }
        // An empty collection can only be written in flow style; Helm's
        // templates put it on the line after its key (`securityContext:`
        // then `{}`).
        if !self.parent.is_empty() {
            return None;
        }
        let rest = self.text().get(a..)?;
        let (line, _) = self.src.line_col(a);
        let (_, end) = self.src.line_range(line)?;
        let tail = self.text().get(a..end)?.trim();
        if !(tail.is_empty() || tail.starts_with('#')) {
            return None;
        }
        let mut at = end - a;
        for l in rest.get(end - a..)?.split_inclusive('\n') {
            let t = l.trim_start();
            if t.is_empty() || t.starts_with('#') {
                at += l.len();
                continue;
            }
            let b = a + at + (l.len() - t.len());
            return matches!(self.char_at(b)?, '{' | '[').then_some(b);
        }
        None
    }

    /// For an empty parent written `{}` or `[]`: where that text starts and
    /// ends, and whether it stands on a line of its own.
    fn empty_flow(&self) -> Option<(usize, usize, bool)> {
        if !self.parent.is_empty() || !self.yaml() {
            return None;
        }
        let b = self.bracket()?;
        let close = match self.char_at(b)? {
            '{' => '}',
            _ => ']',
        };
        let after = self.text().get(b + 1..)?;
        let inner = after.len() - after.trim_start_matches([' ', '\t']).len();
        if after.get(inner..)?.chars().next()? != close {
            return None;
        }
        let end = b + 1 + inner + 1;
        let own_line = self.width_before(b).is_some();
        Some((b, end, own_line))
    }

    /// Block-style text in place of an empty `{}` or `[]`: what a person
    /// editing a Helm chart's output writes.
    fn add_to_empty(&self, seg: &str, v: &Value, list: bool) -> Option<Vec<TextEdit>> {
        let (b, end, own_line) = self.empty_flow()?;
        let nl = self.nl();
        let body = |indent: &str| {
            if list {
                format!("- {}", emit::list_item(v, &format!("{indent}  "), nl))
            } else {
                emit::entry(seg, v, indent, nl)
            }
        };
        if own_line {
            let indent = " ".repeat(self.width_before(b)?);
            return Some(vec![edit(b, end, body(&indent))]);
        }
        // `key: {}`: the entries go on the following lines, two spaces in
        // from the key.
        let (line, _) = self.src.line_col(b);
        let (ls, _) = self.src.line_range(line)?;
        let prefix = self.text().get(ls..b)?;
        let mut key = 0;
        loop {
            let rest = prefix.get(key..)?;
            key += rest.len() - rest.trim_start_matches(' ').len();
            if prefix.get(key..)?.starts_with("- ") {
                key += 2;
            } else {
                break;
            }
        }
        let colon = prefix.trim_end().len();
        if !prefix.get(..colon)?.ends_with(':') {
            return None;
        }
        let indent = " ".repeat(prefix.get(..key)?.chars().count() + 2);
        Some(vec![edit(
            ls + colon,
            end,
            format!("{nl}{indent}{}", body(&indent)),
        )])
    }

    /// The offset after `key:` and the spaces that follow, on `o`'s line.
    fn after_key(&self, o: usize) -> Option<usize> {
        let line = self.src.line_col(o).0;
        let (_, end) = self.src.line_range(line)?;
        let rest = self.text().get(o..end)?;
        let key_len = match rest.chars().next()? {
            '"' | '\'' => scan::yaml_scalar(rest, true)?,
            _ => rest.find(':')?,
        };
        let after = rest.get(key_len..)?.strip_prefix(':')?;
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        Some(o + key_len + 1 + spaces)
    }

    fn nl(&self) -> &'static str {
        if self.src.has_crlf() { "\r\n" } else { "\n" }
    }

    /// The byte range of a scalar node, read in flow or block context.
    fn scalar_range(&self, n: NodeRef<'_>, flow: bool) -> Option<(usize, usize)> {
        if n.is_container() {
            return None;
        }
        let o = self.offset(n)?;
        let (_, end) = self.src.line_range(n.pos().line as usize)?;
        let rest = self.text().get(o..end)?;
        let len = if self.json() {
            scan::json_scalar(rest)?
        } else {
            scan::yaml_scalar(rest, flow)?
        };
        Some((o, o + len))
    }

    fn value_text(&self, v: &Value, flow: bool) -> String {
        if self.json() {
            emit::json_inline(v)
        } else {
            emit::inline(v, flow)
        }
    }

    fn flow_entry(&self, k: &str, v: &Value) -> String {
        if self.json() {
            format!(
                "{}: {}",
                serde_json::to_string(k).unwrap_or_default(),
                self.value_text(v, true)
            )
        } else {
            emit::flow_entry(k, v)
        }
    }

    /// Flow and block readings, the likelier first.
    fn readings(&self) -> [bool; 2] {
        if self.bracket().is_some() {
            [true, false]
        } else {
            [false, true]
        }
    }

    /// Replace a scalar's text.
    fn replace(&self, seg: &str, v: &Value) -> Option<Candidates> {
        let c = self.child(seg)?;
        if c.is_container() {
            return self.replace_container(seg, c, v);
        }
        let mut out: Candidates = Vec::new();
        for flow in self.readings() {
            if let Some((s, e)) = self.scalar_range(c, flow) {
                let cand = vec![edit(s, e, self.value_text(v, flow))];
                if !out.contains(&cand) {
                    out.push(cand);
                }
            }
        }
        Some(out)
    }

    /// Replace a collection: a flow one (`[all]`) by the value in flow
    /// style, a block one by the entry written again in block style.
    fn replace_container(&self, seg: &str, c: NodeRef<'_>, v: &Value) -> Option<Candidates> {
        let mut out: Candidates = Vec::new();
        // A list of scalars by one of the same length: each item in place,
        // so comments beside the items stay.
        if let (Node::List { .. }, Value::Array(new)) = (c.kind(), v)
            && c.len() == new.len()
            && !new.is_empty()
            && new.iter().all(|x| !x.is_array() && !x.is_object())
        {
            for flow in self.readings() {
                let items: Option<Vec<TextEdit>> = c
                    .items()
                    .zip(new)
                    .map(|(item, x)| {
                        let (s, e) = self.scalar_range(item, flow)?;
                        Some(edit(s, e, self.value_text(x, flow)))
                    })
                    .collect();
                if let Some(items) = items
                    && !out.contains(&items)
                {
                    out.push(items);
                }
            }
        }
        let o = self.offset(c)?;
        let open = match self.char_at(o) {
            Some('{' | '[') => Some(o),
            _ => self
                .after_key(o)
                .filter(|a| matches!(self.char_at(*a), Some('{' | '['))),
        };
        if let Some(b) = open
            && let Some(e) = self.flow_end(b)
        {
            out.push(vec![edit(b, e, self.value_text(v, true))]);
        }
        if !self.yaml() || !matches!(self.parent.kind(), Node::Obj { .. }) {
            return Some(out);
        }
        let nl = self.nl();
        let line = c.pos().line as usize;
        let end = last_leaf_line(c);
        for start in [Some(line), self.previous_content_line(line)]
            .into_iter()
            .flatten()
        {
            let Some(text) = self.src.line(start) else {
                continue;
            };
            let indent_len = text.len() - text.trim_start_matches(' ').len();
            let Some(rest) = text.get(indent_len..) else {
                continue;
            };
            if !rest.starts_with(&format!("{seg}:")) {
                continue;
            }
            let indent = " ".repeat(indent_len);
            let Some((ls, _)) = self.src.line_range(start) else {
                continue;
            };
            let Some(cut) = self.cut_lines(start, end) else {
                continue;
            };
            if cut.start != ls {
                continue;
            }
            let entry = emit::entry(seg, v, &indent, nl);
            out.push(vec![edit(
                cut.start,
                cut.end,
                format!("{indent}{entry}{nl}"),
            )]);
        }
        Some(out)
    }

    /// In a JSON object or array written over several lines, a new last
    /// entry on a line of its own, indented like the entry before it.
    fn json_append(&self, seg: &str, v: &Value, index: Option<usize>) -> Option<Vec<TextEdit>> {
        if !self.json() || index.is_some_and(|i| i != self.parent.len()) {
            return None;
        }
        let last = self.last_child()?;
        let end = if last.is_container() {
            self.json_end(self.offset(last)?)?
        } else {
            self.scalar_range(last, true)?.1
        };
        let b = self.bracket()?;
        let line = last.pos().line as usize;
        if self.src.line_col(b).0 == line {
            return None;
        }
        let text = self.src.line(line)?;
        let indent = &text[..text.len() - text.trim_start().len()];
        let value = emit::json_inline(v);
        let entry = match index {
            None => format!("{}: {value}", serde_json::to_string(seg).ok()?),
            Some(_) => value,
        };
        Some(vec![edit(
            end,
            end,
            format!(",{}{indent}{entry}", self.nl()),
        )])
    }

    /// Where the JSON object or array that opens at `b` closes (just after
    /// its bracket).
    fn json_end(&self, b: usize) -> Option<usize> {
        let text = self.text().get(b..)?;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        for (i, ch) in text.char_indices() {
            if in_string {
                match ch {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match ch {
                '"' => in_string = true,
                '[' | '{' => depth += 1,
                ']' | '}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(b + i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Where a flow collection that opens at `b` closes, on the same line
    /// (just after its bracket).
    fn flow_end(&self, b: usize) -> Option<usize> {
        let (line, _) = self.src.line_col(b);
        let (_, end) = self.src.line_range(line)?;
        let text = self.text().get(b..end)?;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for (i, ch) in text.char_indices() {
            match quote {
                Some(q) => {
                    if ch == q && !(q == '"' && prev == '\\') {
                        quote = None;
                    }
                }
                None => match ch {
                    '"' | '\'' => quote = Some(ch),
                    '[' | '{' => depth += 1,
                    ']' | '}' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(b + i + 1);
                        }
                    }
                    _ => {}
                },
            }
            prev = ch;
        }
        None
    }

    fn add(&self, seg: &str, v: &Value) -> Option<Candidates> {
        let len = self.parent.len();
        let index = match self.parent.kind() {
            Node::Obj { .. } => None,
            Node::List { .. } if seg == "-" => Some(len),
            Node::List { .. } => Some(seg.parse::<usize>().ok().filter(|i| *i <= len)?),
            _ => return None,
        };
        let mut flow = Vec::new();
        if let Some(c) = self.json_append(seg, v, index) {
            flow.push(c);
        }
        if let Some(b) = self.bracket() {
            let entry = match index {
                None => self.flow_entry(seg, v),
                Some(_) => self.value_text(v, true),
            };
            let last_end = self.last_child().and_then(|l| {
                if !l.is_container() {
                    return self.scalar_range(l, true).map(|(_, e)| e);
                }
                let o = self.offset(l)?;
                match self.char_at(o)? {
                    '{' | '[' if self.json() => self.json_end(o),
                    '{' | '[' => self.flow_end(o),
                    _ => None,
                }
            });
            if let (true, Some(e)) = (index.is_none_or(|i| i == len), last_end) {
                flow.push(vec![edit(e, e, format!(", {entry}"))]);
            }
            if index.is_none_or(|i| i == 0) {
                let sep = if len == 0 { "" } else { ", " };
                flow.push(vec![edit(b + 1, b + 1, format!("{entry}{sep}"))]);
            }
        }
        let block = if self.yaml() && len > 0 {
            self.add_block(seg, v, index).unwrap_or_default()
        } else {
            Vec::new()
        };
        let empty = self.add_to_empty(seg, v, index.is_some());
        Some(empty.into_iter().chain(self.ordered(flow, block)).collect())
    }

    fn add_block(&self, seg: &str, v: &Value, index: Option<usize>) -> Option<Candidates> {
        let nl = self.nl();
        let mut out = Vec::new();
        let last = last_leaf_line(self.parent);
        match index {
            None => {
                let first = self.parent.entries().next()?.1;
                let ks = self.key_start(first)?;
                let width = self.width_before(ks)?;
                let last_line_end = self.line_end(self.block_end(last, width, false))?;
                let indent = " ".repeat(width);
                let text = emit::entry(seg, v, &indent, nl);
                out.push(vec![edit(
                    last_line_end,
                    last_line_end,
                    format!("{nl}{indent}{text}"),
                )]);
                out.push(vec![edit(ks, ks, format!("{text}{nl}{indent}"))]);
            }
            Some(i) => {
                let width = self.dash_indent(self.parent.index(0)?)?;
                let dash = " ".repeat(width);
                let item = emit::list_item(v, &format!("{dash}  "), nl);
                if i == self.parent.len() {
                    let last_line_end = self.line_end(self.block_end(last, width, true))?;
                    let text = format!("{nl}{dash}- {item}");
                    out.push(vec![edit(last_line_end, last_line_end, text)]);
                } else {
                    let target = self.parent.index(i)?;
                    self.dash_indent(target)?;
                    let (ls, _) = self.src.line_range(target.pos().line as usize)?;
                    out.push(vec![edit(ls, ls, format!("{dash}- {item}{nl}"))]);
                }
            }
        }
        Some(out)
    }

    fn remove(&self, seg: &str) -> Option<Candidates> {
        let node = self.child(seg)?;
        let mut flow = Vec::new();
        if let (true, Some(c)) = (self.bracket().is_some(), self.remove_flow(node)) {
            flow.push(c);
        }
        let mut block = Vec::new();
        if self.yaml() {
            let line = node.pos().line as usize;
            let mut starts = vec![line];
            if matches!(self.parent.kind(), Node::List { .. }) {
                self.dash_indent(node)?;
            } else if node.is_container() {
                starts.extend(self.previous_content_line(line));
            }
            let end = last_leaf_line(node);
            for &start in &starts {
                if let Some(c) = self.cut_lines(start, end) {
                    block.push(vec![c]);
                }
            }
            // The only entry of a block collection: cutting its lines would
            // leave the parent's key with no value (null), so the parent
            // becomes `{}` or `[]` on its key's line, directly above.
            if self.parent.len() == 1
                && let Some(key_line) = starts.iter().min().and_then(|l| l.checked_sub(1))
                && let (Some(from), Some(to)) = (self.line_end(key_line), self.line_end(end))
            {
                let empty = match self.parent.kind() {
                    Node::List { .. } => " []",
                    _ => " {}",
                };
                block.push(vec![edit(from, to, empty.to_string())]);
            }
        }
        Some(self.ordered(flow, block))
    }

    /// Removes `, key: value` (or `key: value, `) around a scalar.
    fn remove_flow(&self, node: NodeRef<'_>) -> Option<Vec<TextEdit>> {
        let (s, e) = self.scalar_range(node, true)?;
        let before = self.text().get(..s)?;
        let sep = before.rfind([',', '{', '['])?;
        if before.get(sep..=sep) == Some(",") {
            return Some(vec![edit(sep, e, String::new())]);
        }
        let after = self.text().get(e..)?;
        let end = match after.trim_start().strip_prefix(',') {
            Some(rest) => self.text().len() - rest.trim_start().len(),
            None => e,
        };
        Some(vec![edit(sep + 1, end, String::new())])
    }

    /// Deletes whole lines `start..=end`.
    fn cut_lines(&self, start: usize, end: usize) -> Option<TextEdit> {
        let (ls, _) = self.src.line_range(start)?;
        Some(match self.src.line_range(end + 1) {
            Some((next, _)) => edit(ls, next, String::new()),
            None => edit(
                self.line_end(start.checked_sub(1)?)?,
                self.text().len(),
                String::new(),
            ),
        })
    }

    fn ordered(&self, flow: Candidates, block: Candidates) -> Candidates {
        match self.readings() {
            [true, _] => flow.into_iter().chain(block).collect(),
            _ => block.into_iter().chain(flow).collect(),
        }
    }

    fn last_child(&self) -> Option<NodeRef<'d>> {
        match self.parent.kind() {
            Node::Obj { .. } => self.parent.entries().last().map(|(_, n)| n),
            Node::List { .. } => self.parent.items().last(),
            _ => None,
        }
    }

    fn line_end(&self, line: usize) -> Option<usize> {
        Some(self.src.line_range(line)?.1)
    }

    /// Where the key of a block mapping entry starts: on a scalar value's
    /// line after the indentation and list dashes, or at a collection value
    /// (reported at its key).
    fn key_start(&self, value: NodeRef<'_>) -> Option<usize> {
        let o = self.offset(value)?;
        if value.is_container() {
            return Some(o);
        }
        let (ls, _) = self.src.line_range(value.pos().line as usize)?;
        let line = self.text().get(ls..o)?;
        let mut i = 0;
        loop {
            let rest = line.get(i..)?;
            let spaces = rest.len() - rest.trim_start_matches(' ').len();
            i += spaces;
            if line.get(i..)?.starts_with("- ") {
                i += 1;
            } else {
                break;
            }
        }
        (i < line.len()).then_some(ls + i)
    }

    /// The width of what precedes `o` on its line, if only spaces and list
    /// dashes: the indentation to repeat.
    fn width_before(&self, o: usize) -> Option<usize> {
        let (line, _) = self.src.line_col(o);
        let (ls, _) = self.src.line_range(line)?;
        let prefix = self.text().get(ls..o)?;
        prefix
            .chars()
            .all(|c| c == ' ' || c == '-')
            .then(|| prefix.chars().count())
    }

    /// For a list item written `<spaces>- item`, the number of spaces.
    fn dash_indent(&self, item: NodeRef<'_>) -> Option<usize> {
        let o = self.offset(item)?;
        let (line, _) = self.src.line_col(o);
        let (ls, _) = self.src.line_range(line)?;
        let prefix = self.text().get(ls..o)?;
        let spaces = prefix.len() - prefix.trim_start_matches(' ').len();
        let rest = prefix.get(spaces..)?.strip_prefix('-')?;
        (!rest.is_empty() && rest.chars().all(|c| c == ' ')).then_some(spaces)
    }

    /// The last line of a block collection whose entries (or, for a list,
    /// dashes) are indented by `indent`, from `last`, the line of its last
    /// node in the document: the last line after it, neither blank nor a
    /// comment, before one indented less (or, in a list, as much without a
    /// dash), a document marker or the end. The document alone does not
    /// say: the loader leaves `metadata.managedFields` out, and it may
    /// come last.
    fn block_end(&self, last: usize, indent: usize, list: bool) -> usize {
        let mut end = last;
        for l in last + 1..=self.src.line_count() {
            let Some(text) = self.src.line(l) else {
                break;
            };
            let content = text.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let at = text.len() - content.len();
            let marker = at == 0
                && ["---", "..."].iter().any(|m| {
                    content
                        .strip_prefix(m)
                        .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
                });
            if marker || at < indent || (list && at == indent && !content.starts_with('-')) {
                break;
            }
            end = l;
        }
        end
    }

    /// The nearest line above `line` that is neither blank nor a comment.
    fn previous_content_line(&self, line: usize) -> Option<usize> {
        (1..line).rev().find(|l| {
            self.src
                .line(*l)
                .is_some_and(|t| !t.trim().is_empty() && !t.trim_start().starts_with('#'))
        })
    }
}

/// The line of a node's last descendant (where the node's text ends, for
/// anything but multi-line scalars).
fn last_leaf_line(mut n: NodeRef<'_>) -> usize {
    loop {
        let next = match n.kind() {
            Node::Obj { .. } => n.entries().last().map(|(_, c)| c),
            Node::List { .. } => n.items().last(),
            _ => None,
        };
        match next {
            Some(c) => n = c,
            None => return n.pos().line as usize,
        }
    }
}

fn edit(start: usize, end: usize, text: String) -> TextEdit {
    TextEdit { start, end, text }
}
