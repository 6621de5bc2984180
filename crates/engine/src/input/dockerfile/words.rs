//! Words of an instruction: splitting with quotes and the escape character,
//! removing quotes, the JSON array form and `ARG` substitution.

/// A word of a text, quotes and escapes kept: its byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Word {
    pub start: usize,
    pub end: usize,
}

/// Splits at blanks outside quotes, as BuildKit's `parseWords` does; an
/// escaped character (a blank or a quote too) stays in its word.
pub(super) fn split_words(s: &str, esc: char) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut it = s.char_indices();
    while let Some((i, c)) = it.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == esc && q != '\'' {
                it.next();
            }
            continue;
        }
        if c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push(Word { start: st, end: i });
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == esc {
            it.next();
        }
    }
    if let Some(st) = start {
        out.push(Word {
            start: st,
            end: s.len(),
        });
    }
    out
}

/// Removes quotes and escapes as the shell would (no variable expansion):
/// single quotes keep everything, double quotes keep everything but an
/// escaped `"`, `$`, backtick or escape character.
pub(super) fn unquote(raw: &str, esc: char) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut quote: Option<char> = None;
    let mut it = raw.chars();
    while let Some(c) = it.next() {
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                } else {
                    out.push(c);
                }
            }
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == esc {
                    match it.next() {
                        Some(n) if n == '"' || n == '$' || n == '`' || n == esc => out.push(n),
                        Some(n) => {
                            out.push(c);
                            out.push(n);
                        }
                        None => out.push(c),
                    }
                } else {
                    out.push(c);
                }
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == esc {
                    if let Some(n) = it.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// The JSON array form: the strings and the byte offset of each in `s`.
/// `None` when `s` is not a JSON array of strings (BuildKit then reads the
/// text as the shell form).
pub(super) fn json_array(s: &str) -> Option<Vec<(String, usize)>> {
    let t = s.trim();
    if !t.starts_with('[') {
        return None;
    }
    let values: Vec<String> = serde_json::from_str(t).ok()?;
    let lead = s.len() - s.trim_start().len();
    let mut offsets = Vec::with_capacity(values.len());
    let mut in_str = false;
    let mut bytes = t.bytes().enumerate();
    while let Some((i, b)) = bytes.next() {
        match (in_str, b) {
            (false, b'"') => {
                in_str = true;
                offsets.push(lead + i);
            }
            (true, b'\\') => {
                bytes.next();
            }
            (true, b'"') => in_str = false,
            _ => {}
        }
    }
    if offsets.len() != values.len() {
        return None;
    }
    Some(values.into_iter().zip(offsets).collect())
}

/// Substitutes `$NAME`, `${NAME}` and `${NAME:-word}`, `${NAME-word}`,
/// `${NAME:+word}`, `${NAME+word}` with the values `get` knows (`None`:
/// unset). `None` when the result depends on a variable without a known
/// value.
pub(super) fn substitute(
    s: &str,
    esc: char,
    get: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == esc && it.peek().is_some_and(|(_, n)| *n == '$') {
            out.push('$');
            it.next();
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        match it.peek().map(|(_, n)| *n) {
            Some('{') => {
                let open = i + 2;
                let mut depth = 1usize;
                let mut close = None;
                for (j, n) in it.by_ref().skip(1) {
                    match n {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                close = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let inner = s.get(open..close?)?;
                out.push_str(&braced(inner, esc, get)?);
            }
            Some(n) if n == '_' || n.is_ascii_alphabetic() => {
                let mut end = i + 1;
                while let Some(&(j, n)) = it.peek() {
                    if n == '_' || n.is_ascii_alphanumeric() {
                        end = j + n.len_utf8();
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push_str(&get(s.get(i + 1..end)?)?);
            }
            _ => out.push('$'),
        }
    }
    Some(out)
}

/// The inside of `${...}`.
fn braced(inner: &str, esc: char, get: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let name_len = inner
        .char_indices()
        .find(|(_, c)| !(*c == '_' || c.is_ascii_alphanumeric()))
        .map_or(inner.len(), |(i, _)| i);
    let name = inner.get(..name_len)?;
    let op = inner.get(name_len..)?;
    let value = get(name);
    let word = |w: &str| substitute(w, esc, get);
    if op.is_empty() {
        return value;
    }
    if let Some(w) = op.strip_prefix(":-") {
        return match value {
            Some(v) if !v.is_empty() => Some(v),
            _ => word(w),
        };
    }
    if let Some(w) = op.strip_prefix(":+") {
        return match value {
            Some(v) if !v.is_empty() => word(w),
            _ => Some(String::new()),
        };
    }
    if let Some(w) = op.strip_prefix('-') {
        return value.or_else(|| word(w));
    }
    if let Some(w) = op.strip_prefix('+') {
        return match value {
            Some(_) => word(w),
            None => Some(String::new()),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        split_words(s, '\\')
            .iter()
            .map(|w| &s[w.start..w.end])
            .collect()
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        assert_eq!(
            words(r#"A="a b" B=c\ d  'e f'"#),
            vec![r#"A="a b""#, r"B=c\ d", "'e f'"]
        );
        assert_eq!(unquote(r#"A="a \"b\"""#, '\\'), r#"A=a "b""#);
        assert_eq!(unquote(r"c\ d", '\\'), "c d");
        assert_eq!(unquote(r"'a\b'", '\\'), r"a\b");
    }

    #[test]
    fn json_arrays_with_offsets() {
        let s = r#" ["a", "b\"c"]"#;
        let v = json_array(s).unwrap();
        assert_eq!(v, vec![("a".to_string(), 2), ("b\"c".to_string(), 7)]);
        assert_eq!(json_array("[a]"), None);
        assert_eq!(json_array("echo"), None);
    }

    #[test]
    fn substitution() {
        let get = |n: &str| match n {
            "A" => Some("x".to_string()),
            "E" => Some(String::new()),
            _ => None,
        };
        assert_eq!(
            substitute("i:${A}-$A", '\\', &get).as_deref(),
            Some("i:x-x")
        );
        assert_eq!(substitute("${B:-d}", '\\', &get).as_deref(), Some("d"));
        assert_eq!(substitute("${E:-d}", '\\', &get).as_deref(), Some("d"));
        assert_eq!(substitute("${E-d}", '\\', &get).as_deref(), Some(""));
        assert_eq!(
            substitute("${A:+y}${B:+y}", '\\', &get).as_deref(),
            Some("y")
        );
        assert_eq!(substitute("${B:-${A}}", '\\', &get).as_deref(), Some("x"));
        assert_eq!(substitute("$B", '\\', &get), None);
        assert_eq!(substitute(r"\$B", '\\', &get).as_deref(), Some("$B"));
        assert_eq!(substitute("a$", '\\', &get).as_deref(), Some("a$"));
    }
}
