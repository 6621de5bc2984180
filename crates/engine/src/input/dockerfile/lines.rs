//! Physical lines to logical ones: parser directives, comments, line
//! continuations and heredoc bodies, keeping a map from every byte of a
//! joined line back to its line and column.

use super::words::split_words;
use super::{DockerfileError, Sp};
use crate::value::doc::Pos;

/// The parser directives given at the top of the file.
#[derive(Clone, Debug, Default)]
pub(super) struct Directives {
    pub syntax: Option<Sp>,
    pub escape: Option<Sp>,
    pub check: Option<Sp>,
}

/// A heredoc of an instruction.
#[derive(Clone, Debug)]
pub(super) struct Heredoc {
    /// The terminator word, without quotes.
    pub name: String,
    /// Where the `<<` that opens it is.
    pub pos: Pos,
    /// `<<-`: leading tabs are removed from every line of the body.
    pub chomp: bool,
    /// False when the name is quoted: variables in the body are not expanded.
    pub expand: bool,
    /// The body, one `\n` after every line.
    pub content: String,
    /// The line of the body's first line (the opening line when empty).
    pub content_pos: Pos,
}

/// One instruction's text, continuations joined.
#[derive(Clone, Debug)]
pub(super) struct Logical {
    pub text: String,
    /// Byte offsets into `text` where a piece of a physical line starts, and
    /// the position of that byte.
    segs: Vec<(usize, Pos)>,
    pub end_line: usize,
    pub heredocs: Vec<Heredoc>,
}

impl Logical {
    /// The line and column of the byte at `off` in `text`.
    pub fn pos_at(&self, off: usize) -> Pos {
        let i = self.segs.partition_point(|(s, _)| *s <= off);
        let Some(&(start, pos)) = i.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return self.segs.first().map(|s| s.1).unwrap_or_default();
        };
        let chars = self.text.get(start..off).map_or(0, |s| s.chars().count());
        Pos::new(pos.line as usize, pos.col as usize + chars)
    }
}

/// What reading the lines produced.
#[derive(Debug)]
pub(super) struct Read {
    pub directives: Directives,
    pub escape: char,
    pub logical: Vec<Logical>,
}

/// Splits the text into physical lines without their line ends (`\n` or
/// `\r\n`).
fn physical(text: &str) -> Vec<&str> {
    let mut v: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

fn chars_before(line: &str, byte: usize) -> usize {
    line.get(..byte).map_or(0, |s| s.chars().count())
}

/// `# name=value` at the start of a file: the name (lower-cased), the value
/// and the value's byte offset.
fn directive(line: &str) -> Option<(String, &str, usize)> {
    let rest = line.strip_prefix('#')?;
    let body = rest.trim_start();
    let name_len = body
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
        .map_or(body.len(), |(i, _)| i);
    let name = body.get(..name_len)?;
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let after = body.get(name_len..)?.trim_start().strip_prefix('=')?;
    let value = after.trim();
    if value.is_empty() {
        return None;
    }
    let value_off = line.len() - after.trim_start().len();
    Some((name.to_ascii_lowercase(), value, value_off))
}

fn read_directives(lines: &[&str], errors: &mut Vec<DockerfileError>) -> Directives {
    let mut d = Directives::default();
    for (i, line) in lines.iter().enumerate() {
        let Some((name, value, off)) = directive(line) else {
            break;
        };
        let pos = Pos::new(i + 1, chars_before(line, off) + 1);
        let slot = match name.as_str() {
            "syntax" => &mut d.syntax,
            "escape" => &mut d.escape,
            "check" => &mut d.check,
            // An unknown directive is a comment, and ends the directives.
            _ => break,
        };
        if slot.is_some() {
            errors.push(DockerfileError::new(
                pos,
                format!("the parser directive `{name}` is given twice"),
            ));
            continue;
        }
        if name == "escape" && value != "\\" && value != "`" {
            errors.push(DockerfileError::new(
                pos,
                format!("invalid escape character `{value}`: expected `\\` or a backtick"),
            ));
            continue;
        }
        *slot = Some(Sp::new(value, pos));
    }
    d
}

/// Removes a trailing escape character (and blanks after it): the text
/// before it, and whether the instruction goes on on the next line.
fn continuation(line: &str, esc: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    match t.strip_suffix(esc) {
        Some(before) => (before, true),
        None => (line, false),
    }
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Reads the whole text into logical lines.
pub(super) fn read(text: &str, errors: &mut Vec<DockerfileError>) -> Read {
    let lines = physical(text);
    let directives = read_directives(&lines, errors);
    let escape = match directives.escape.as_ref().map(|e| e.text.as_str()) {
        Some("`") => '`',
        _ => '\\',
    };
    let mut logical = Vec::new();
    let mut i = 0usize;
    while let Some(&raw) = lines.get(i) {
        i += 1;
        let first = raw.trim_start();
        if first.is_empty() || first.starts_with('#') {
            continue;
        }
        let col = chars_before(raw, raw.len() - first.len()) + 1;
        let (piece, mut more) = continuation(first, escape);
        let mut l = Logical {
            text: piece.to_string(),
            segs: vec![(0, Pos::new(i, col))],
            end_line: i,
            heredocs: Vec::new(),
        };
        while more {
            let Some(&raw) = lines.get(i) else {
                break;
            };
            i += 1;
            if is_comment(raw) || raw.trim().is_empty() {
                continue;
            }
            let (piece, m) = continuation(raw, escape);
            l.segs.push((l.text.len(), Pos::new(i, 1)));
            l.text.push_str(piece);
            l.end_line = i;
            more = m;
        }
        if l.text.trim().is_empty() {
            continue;
        }
        let keyword = l.text.split_whitespace().next().unwrap_or("");
        if ["RUN", "COPY", "ADD"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
            && l.text.contains("<<")
        {
            for (name, chomp, expand, off) in heredoc_words(&l.text, escape) {
                let pos = l.pos_at(off);
                let mut content = String::new();
                let mut content_pos = pos;
                let mut terminated = false;
                let mut first_body = true;
                while let Some(&raw) = lines.get(i) {
                    i += 1;
                    let body = if chomp {
                        raw.trim_start_matches('\t')
                    } else {
                        raw
                    };
                    if body == name {
                        terminated = true;
                        break;
                    }
                    if first_body {
                        content_pos = Pos::new(i, 1);
                        first_body = false;
                    }
                    content.push_str(body);
                    content.push('\n');
                }
                l.end_line = i.max(l.end_line);
                if !terminated {
                    errors.push(DockerfileError::new(
                        pos,
                        format!(
                            "unterminated heredoc: expected a line `{name}` before the end of the file"
                        ),
                    ));
                }
                l.heredocs.push(Heredoc {
                    name,
                    pos,
                    chomp,
                    expand,
                    content,
                    content_pos,
                });
            }
        }
        logical.push(l);
    }
    Read {
        directives,
        escape,
        logical,
    }
}

/// The heredocs a line opens, in order: name, chomp, expand and the byte
/// offset of the word. A heredoc word is `[digits]<<[-]NAME`, the name
/// optionally quoted; `<<<` is a here-string, not a heredoc.
fn heredoc_words(text: &str, esc: char) -> Vec<(String, bool, bool, usize)> {
    let mut out = Vec::new();
    for w in split_words(text, esc) {
        let Some(word) = text.get(w.start..w.end) else {
            continue;
        };
        let Some(rest) = word
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .strip_prefix("<<")
        else {
            continue;
        };
        let (chomp, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        let quoted = rest.contains(['"', '\'']);
        let name: String = rest.chars().filter(|c| *c != '"' && *c != '\'').collect();
        if name.is_empty() {
            continue;
        }
        out.push((name, chomp, !quoted, w.start));
    }
    out
}
