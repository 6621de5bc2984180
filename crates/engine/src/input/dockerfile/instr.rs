//! Logical lines to instructions: the keyword, the `--flags` before the
//! arguments, and the JSON array form where the instruction accepts one.

use super::lines::{Heredoc, Logical};
use super::words::{json_array, split_words, unquote};
use super::{DockerfileError, Sp};
use crate::value::doc::Pos;

/// The instructions Dockerfiles have.
pub(super) const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// Instructions that accept the JSON array form.
const JSON_FORM: &[&str] = &["RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"];

/// A `--name=value` (or bare `--name`) flag.
#[derive(Clone, Debug)]
pub(super) struct Flag {
    pub name: String,
    pub value: Option<String>,
    pub pos: Pos,
}

/// One instruction.
#[derive(Clone, Debug)]
pub(super) struct Instr {
    /// Upper-cased.
    pub keyword: String,
    /// Where the keyword is.
    pub pos: Pos,
    pub end_line: usize,
    /// Everything after the keyword, trimmed.
    pub args: Sp,
    pub flags: Vec<Flag>,
    /// The arguments after the flags, trimmed.
    pub body: Sp,
    /// `Some` when the instruction accepts the JSON array form: whether the
    /// body is one, and its strings.
    pub exec: Option<Option<Vec<Sp>>>,
    pub heredocs: Vec<Heredoc>,
    body_off: usize,
    logical: Logical,
}

impl Instr {
    pub fn line(&self) -> usize {
        self.pos.line as usize
    }

    /// The words of the body, quotes and escapes kept, each with its
    /// position.
    pub fn words(&self, esc: char) -> Vec<Sp> {
        split_words(&self.body.text, esc)
            .into_iter()
            .filter_map(|w| {
                let text = self.body.text.get(w.start..w.end)?;
                Some(Sp::new(text, self.pos_in_body(w.start)))
            })
            .collect()
    }

    /// The position of a byte of the body.
    pub fn pos_in_body(&self, off: usize) -> Pos {
        self.logical.pos_at(self.body_off + off)
    }

    /// The body after its first word (e.g. after `CMD` in a health check),
    /// trimmed, with its position and its byte offset in the body.
    pub fn body_after_first_word(&self) -> (Sp, usize) {
        let t = &self.body.text;
        let first = t.find(char::is_whitespace).unwrap_or(t.len());
        let rest = t.get(first..).unwrap_or("");
        let skip = first + (rest.len() - rest.trim_start().len());
        (Sp::new(rest.trim(), self.pos_in_body(skip)), skip)
    }
}

/// Index of the first non-blank byte at or after `from`.
fn skip_blanks(s: &str, from: usize) -> usize {
    s.get(from..)
        .and_then(|r| r.find(|c: char| !c.is_whitespace()).map(|i| from + i))
        .unwrap_or(s.len())
}

/// Builds instructions from logical lines; unknown instructions are
/// reported and left out.
pub(super) fn instructions(
    logical: &[Logical],
    esc: char,
    errors: &mut Vec<DockerfileError>,
) -> Vec<Instr> {
    let mut out = Vec::with_capacity(logical.len());
    for l in logical {
        let text = l.text.as_str();
        let kw_start = skip_blanks(text, 0);
        let kw_end = text
            .get(kw_start..)
            .and_then(|r| r.find(char::is_whitespace).map(|i| kw_start + i))
            .unwrap_or(text.len());
        let keyword = text
            .get(kw_start..kw_end)
            .unwrap_or("")
            .to_ascii_uppercase();
        let pos = l.pos_at(kw_start);
        if !KEYWORDS.contains(&keyword.as_str()) {
            errors.push(DockerfileError::new(
                pos,
                format!(
                    "unknown instruction `{}`: expected one of {}",
                    text.get(kw_start..kw_end).unwrap_or(""),
                    KEYWORDS.join(", ")
                ),
            ));
            continue;
        }
        let args_start = skip_blanks(text, kw_end);
        let args_text = text.get(args_start..).unwrap_or("").trim_end();
        let args = Sp::new(args_text, l.pos_at(args_start));
        // Flags: leading words that start with `--`; a lone `--` ends them.
        let mut flags = Vec::new();
        let mut body_off = args_start;
        for w in split_words(args_text, esc) {
            let Some(word) = args_text.get(w.start..w.end) else {
                break;
            };
            let Some(flag) = word.strip_prefix("--") else {
                break;
            };
            body_off = skip_blanks(text, args_start + w.end);
            if flag.is_empty() {
                break;
            }
            let flag = unquote(flag, esc);
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (flag.clone(), None),
            };
            flags.push(Flag {
                name,
                value,
                pos: l.pos_at(args_start + w.start),
            });
        }
        let body_text = text.get(body_off..).unwrap_or("").trim_end();
        let body = Sp::new(body_text, l.pos_at(body_off));
        let exec = JSON_FORM.contains(&keyword.as_str()).then(|| {
            json_array(body_text).map(|items| {
                items
                    .into_iter()
                    .map(|(s, off)| Sp::new(s, l.pos_at(body_off + off)))
                    .collect()
            })
        });
        out.push(Instr {
            keyword,
            pos,
            end_line: l.end_line,
            args,
            flags,
            body,
            exec,
            heredocs: l.heredocs.clone(),
            body_off,
            logical: l.clone(),
        });
    }
    out
}
