//! Finding `#` comments and `///` doc lines in source text.
//!
//! The grammar skips `#` comments as trivia, so the syntax tree does not hold
//! them; the formatter recovers them with this scanner. It follows the
//! lexical rules of the grammar: a `#` inside a string (`"..."`, with escapes
//! and `{...}` interpolations, which may nest strings and hold comments of
//! their own) or inside a raw string (`r"..."`, `r#"..."#`) starts no comment.

/// One `#` comment: its byte range and its text without trailing spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Comments and doc lines of a source text, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trivia {
    pub comments: Vec<Comment>,
    /// Byte offsets of `///` doc lines.
    pub docs: Vec<usize>,
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Code; `depth` counts open braces inside a string interpolation.
    Code {
        depth: usize,
    },
    Str,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Scans `src` for comments and doc lines.
pub fn scan(src: &str) -> Trivia {
    let bytes = src.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let line_end = |i: usize| {
        src.get(i..)
            .and_then(|r| r.find('\n'))
            .map_or(src.len(), |n| i + n)
    };
    let mut out = Trivia::default();
    // The bottom entry is the file's own code; each string and each
    // interpolation pushes one more.
    let mut modes = vec![Mode::Code { depth: 0 }];
    let mut i = 0;
    while i < bytes.len() {
        let b = at(i).unwrap_or(0);
        let Some(&mode) = modes.last() else {
            break;
        };
        match mode {
            Mode::Code { depth } => match b {
                b'#' => {
                    let end = line_end(i);
                    let text = src.get(i..end).unwrap_or("").trim_end().to_string();
                    out.comments.push(Comment {
                        start: i,
                        end,
                        text,
                    });
                    i = end;
                    continue;
                }
                b'/' if src.get(i..).is_some_and(|r| r.starts_with("///")) => {
                    out.docs.push(i);
                    i = line_end(i);
                    continue;
                }
                b'"' => modes.push(Mode::Str),
                b'r' if i == 0 || !at(i - 1).is_some_and(is_ident_byte) => {
                    let mut j = i + 1;
                    while at(j) == Some(b'#') {
                        j += 1;
                    }
                    if at(j) == Some(b'"') {
                        let hashes = j - i - 1;
                        i = raw_end(src, j + 1, hashes);
                        continue;
                    }
                }
                _ if is_ident_byte(b) => {
                    // Skip the rest of a word so an `r` inside it is not
                    // taken for a raw string.
                    while at(i).is_some_and(is_ident_byte) {
                        i += 1;
                    }
                    continue;
                }
                b'{' if modes.len() > 1 => {
                    if let Some(Mode::Code { depth }) = modes.last_mut() {
                        *depth += 1;
                    }
                }
                b'}' if modes.len() > 1 => {
                    if depth == 0 {
                        modes.pop();
                    } else if let Some(Mode::Code { depth }) = modes.last_mut() {
                        *depth -= 1;
                    }
                }
                _ => {}
            },
            Mode::Str => match b {
                b'\\' => {
                    if src.get(i..).is_some_and(|r| r.starts_with("\\u{")) {
                        let close = src.get(i..).and_then(|r| r.find('}'));
                        i = close.map_or(bytes.len(), |n| i + n + 1);
                        continue;
                    }
                    i += 2;
                    continue;
                }
                b'"' => {
                    modes.pop();
                }
                b'{' => modes.push(Mode::Code { depth: 0 }),
                _ => {}
            },
        }
        i += 1;
    }
    out
}

/// The offset just after a raw string whose text starts at `from` and which
/// ends with `"` and `hashes` hashes.
fn raw_end(src: &str, from: usize, hashes: usize) -> usize {
    let close = format!("\"{}", "#".repeat(hashes));
    src.get(from..)
        .and_then(|r| r.find(&close))
        .map_or(src.len(), |n| from + n + close.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        scan(src).comments.into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn finds_full_line_and_trailing_comments() {
        assert_eq!(
            texts("# a\nlet x = 1 # b  \n"),
            vec!["# a".to_string(), "# b".to_string()]
        );
    }

    #[test]
    fn skips_hashes_in_strings() {
        assert!(texts(r##"let x = "a # b \" # c""##).is_empty());
        assert!(texts(r###"let x = r#"a " # b"#"###).is_empty());
        assert!(texts(r##"let x = r"#""##).is_empty());
        assert_eq!(texts("let bar# c\n"), vec!["# c".to_string()]);
    }

    #[test]
    fn follows_interpolations() {
        assert!(texts(r##"let x = "{f("#", {a: "}#"})} # no""##).is_empty());
        assert_eq!(
            texts("let x = \"{a # yes\n}\" # also\n"),
            vec!["# yes".to_string(), "# also".to_string()]
        );
        assert!(texts(r#"let x = "\u{23} \{ # \}""#).is_empty());
    }

    #[test]
    fn doc_lines_are_not_comments() {
        let t = scan("/// a # b\ncontrol c {}\n");
        assert!(t.comments.is_empty());
        assert_eq!(t.docs, vec![0]);
    }
}
