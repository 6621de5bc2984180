//! The extent of one scalar in a line of YAML or JSON text.
//!
//! These scanners only ever answer for a scalar that starts and ends on one
//! line; anything else (block scalars, anchors, tags, multi-line quotes) is
//! `None`, and the caller offers no edit.

/// The byte length of the YAML scalar at the start of `s` (the rest of its
/// line). `flow` is true inside `{...}` or `[...]`.
pub(crate) fn yaml_scalar(s: &str, flow: bool) -> Option<usize> {
    let first = s.chars().next()?;
    match first {
        '"' => {
            let mut escaped = false;
            for (i, c) in s.char_indices().skip(1) {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => return Some(i + 1),
                    _ => {}
                }
            }
            None
        }
        '\'' => {
            let b = s.as_bytes();
            let mut i = 1;
            while i < b.len() {
                if b.get(i) == Some(&b'\'') {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Some(i + 1);
                }
                i += 1;
            }
            None
        }
        '|' | '>' | '&' | '!' | '*' | '{' | '[' | '#' | '%' | '@' | '`' | ',' | ']' | '}' => None,
        _ => {
            let mut end = s.len();
            let mut prev_blank = false;
            for (i, c) in s.char_indices() {
                if c == '#' && prev_blank {
                    end = i;
                    break;
                }
                if flow && matches!(c, ',' | ']' | '}') {
                    end = i;
                    break;
                }
                prev_blank = c == ' ' || c == '\t';
            }
            let n = s.get(..end)?.trim_end().len();
            (n > 0).then_some(n)
        }
    }
}

/// The byte length of the JSON scalar at the start of `s`.
pub(crate) fn json_scalar(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    match b.first()? {
        b'"' => {
            let mut i = 1;
            while i < b.len() {
                match b.get(i)? {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        c if c.is_ascii_alphanumeric() || *c == b'-' => {
            let n = b
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
                .count();
            Some(n)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalars() {
        assert_eq!(yaml_scalar("true", false), Some(4));
        assert_eq!(yaml_scalar("nginx:1.27 # pinned", false), Some(10));
        assert_eq!(yaml_scalar("a#b  ", false), Some(3));
        assert_eq!(yaml_scalar("web, b: c}", true), Some(3));
        assert_eq!(yaml_scalar("\"a\\\"b\" # x", false), Some(6));
        assert_eq!(yaml_scalar("'it''s' x", false), Some(7));
        assert_eq!(yaml_scalar("\"open", false), None);
        assert_eq!(yaml_scalar("|", false), None);
        assert_eq!(yaml_scalar("&a x", false), None);
    }

    #[test]
    fn json_scalars() {
        assert_eq!(json_scalar("\"a\\\"\" }"), Some(5));
        assert_eq!(json_scalar("-1.5e3, "), Some(6));
        assert_eq!(json_scalar("true}"), Some(4));
        assert_eq!(json_scalar("{"), None);
    }
}
