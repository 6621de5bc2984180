//! JSON values written as YAML text: scalars plain where that cannot be
//! misread (also by YAML 1.1 readers such as kubectl's), double-quoted
//! otherwise; containers in flow style inline or block style on new lines.

use serde_json::Value;

/// A scalar, or a container in flow style.
pub(crate) fn inline(v: &Value, flow: bool) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s, flow),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(|x| inline(x, true)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{}: {}", string(k, true), inline(x, true)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// A value as JSON on one line, with a space after each `:` and `,` as
/// people write it.
pub(crate) fn json_inline(v: &Value) -> String {
    let s = |x: &str| {
        serde_json::to_string(x).unwrap_or_else(|_| format!("\"{}\"", x.escape_default()))
    };
    match v {
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(json_inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{}: {}", s(k), json_inline(x)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        _ => v.to_string(),
    }
}

/// `key: value` inside a flow mapping.
pub(crate) fn flow_entry(key: &str, v: &Value) -> String {
    format!("{}: {}", string(key, true), inline(v, true))
}

/// `key: value`, with a non-empty container value on the following lines,
/// each prefixed by `indent` (the key's column) and two more spaces.
pub(crate) fn entry(key: &str, v: &Value, indent: &str, nl: &str) -> String {
    let k = string(key, false);
    let inner = format!("{indent}  ");
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut out = format!("{k}:");
            for (ck, cv) in m {
                out.push_str(nl);
                out.push_str(&inner);
                out.push_str(&entry(ck, cv, &inner, nl));
            }
            out
        }
        Value::Array(a) if !a.is_empty() => {
            let mut out = format!("{k}:");
            for item in a {
                out.push_str(nl);
                out.push_str(&inner);
                out.push_str("- ");
                out.push_str(&list_item(item, &format!("{inner}  "), nl));
            }
            out
        }
        _ => format!("{k}: {}", inline(v, false)),
    }
}

/// What follows `- ` for a list item whose content starts at `indent`.
pub(crate) fn list_item(v: &Value, indent: &str, nl: &str) -> String {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let parts: Vec<String> = m.iter().map(|(k, x)| entry(k, x, indent, nl)).collect();
            parts.join(&format!("{nl}{indent}"))
        }
        _ => inline(v, false),
    }
}

/// A string, plain when safe and double-quoted (JSON escapes are valid
/// YAML escapes) otherwise.
fn string(s: &str, flow: bool) -> String {
    if plain_ok(s, flow) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
    }
}

fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_' || first == '/') {
        // Digits, signs and dots could read as numbers (or, in YAML 1.1,
        // as octal or sexagesimal); indicators could start other syntax.
        return false;
    }
    if s.ends_with(' ') || s.ends_with(':') || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if flow && s.contains(':') {
        return false;
    }
    let chars_ok = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | ':' | '@' | ' '));
    let lower = s.to_ascii_lowercase();
    let reserved = matches!(
        lower.as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
    );
    chars_ok && !reserved
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_that_could_be_misread_are_quoted() {
        assert_eq!(inline(&json!("web"), false), "web");
        assert_eq!(inline(&json!("nginx:1.27"), false), "nginx:1.27");
        assert_eq!(inline(&json!("nginx:1.27"), true), "\"nginx:1.27\"");
        for s in [
            "yes", "On", "1.0", "0755", "", "a: b", "x #y", "-a", "~", "é",
        ] {
            assert!(inline(&json!(s), false).starts_with('"'), "{s}");
        }
        assert_eq!(inline(&json!(false), false), "false");
        assert_eq!(inline(&json!(1000), false), "1000");
    }

    #[test]
    fn containers() {
        let v = json!({"runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}});
        assert_eq!(
            inline(&v, false),
            "{runAsNonRoot: true, capabilities: {drop: [ALL]}}"
        );
        assert_eq!(
            entry("securityContext", &v, "    ", "\n"),
            "securityContext:\n      runAsNonRoot: true\n      capabilities:\n        drop:\n          - ALL"
        );
        assert_eq!(
            entry("x", &json!([{"a": 1, "b": 2}]), "", "\n"),
            "x:\n  - a: 1\n    b: 2"
        );
        assert_eq!(entry("e", &json!({}), "", "\n"), "e: {}");
    }
}
