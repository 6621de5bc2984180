//! SARIF rule metadata, tool notifications and artifact URIs.

use crate::engine::Report;
use crate::finding::ErrorKind;
use crate::report::common::{self, Sources, help_uri};
use serde_json::{Value, json};
use ward_lang::hir::{ControlDef, Severity};

/// The SARIF level of a severity.
pub(crate) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `security-severity` (a CVSS-like score).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// `allow_privilege_escalation` → `AllowPrivilegeEscalation`.
fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Ends a sentence with a period, as SARIF messages should.
pub(crate) fn sentence(s: &str) -> String {
    let t = s.trim();
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

/// One `reportingDescriptor` for a control.
pub(crate) fn rule(id: &str, def: Option<&ControlDef>, fallback_title: &str) -> Value {
    let Some(c) = def else {
        // One of Ward's own notices says what it is and what to do; any
        // other id has its findings' title only.
        let notice = crate::finding::notice(id);
        let title = notice.map_or(fallback_title, |n| n.title);
        let description = notice.map_or(fallback_title, |n| n.description);
        let mut rule = json!({
            "id": id,
            "name": pascal(id.rsplit('.').next().unwrap_or(id)),
            "shortDescription": {"text": sentence(title)},
            "fullDescription": {"text": sentence(description)},
            "defaultConfiguration": {"level": "warning"},
        });
        if let (Some(n), Some(obj)) = (notice, rule.as_object_mut()) {
            obj.insert(
                "help".into(),
                json!({
                    "text": sentence(n.remedy),
                    "markdown": format!("**How to fix.** {}\n\n{}", sentence(n.remedy), sentence(n.description)),
                }),
            );
        }
        return rule;
    };
    let tags: Vec<String> = std::iter::once("security".to_string())
        .chain(common::framework_tags(c))
        .chain(c.tags.iter().cloned())
        .collect();
    let precision = c
        .tags
        .iter()
        .find_map(|t| t.strip_prefix("precision:"))
        .unwrap_or("high");
    let description = common::description(c);
    let mut text = String::new();
    let mut md = String::new();
    if !c.remedy.is_empty() {
        text.push_str(&sentence(&c.remedy));
        md.push_str(&format!("**How to fix.** {}\n\n", sentence(&c.remedy)));
    }
    md.push_str(&format!("{}\n", sentence(&description)));
    if !c.maps.is_empty() {
        let items: Vec<String> = common::framework_tags(c)
            .iter()
            .map(|t| format!("`{t}`"))
            .collect();
        md.push_str(&format!("\n**Frameworks:** {}\n", items.join(", ")));
    }
    if !c.references.is_empty() {
        text.push_str(if text.is_empty() { "" } else { "\n\n" });
        text.push_str("References:");
        md.push_str("\n**References**\n\n");
        for r in &c.references {
            text.push_str(&format!("\n- {r}"));
            md.push_str(&format!("- <{r}>\n"));
        }
    }
    if text.is_empty() {
        text = sentence(&description);
    }
    let mut rule = json!({
        "id": id,
        "name": pascal(&c.name),
        "shortDescription": {"text": sentence(&c.title)},
        "fullDescription": {"text": sentence(&description)},
        "help": {"text": text, "markdown": md.trim_end()},
        "defaultConfiguration": {"level": level(c.severity)},
        "properties": {
            "severity": c.severity.as_str(),
            "tags": tags,
            "precision": precision,
            "security-severity": security_severity(c.severity),
        },
    });
    if let (Some(u), Some(obj)) = (help_uri(c), rule.as_object_mut()) {
        obj.insert("helpUri".into(), json!(u));
    }
    rule
}

/// Errors, then skipped documents, as tool notifications.
pub(crate) fn notifications(
    report: &Report,
    sources: &Sources,
    rule_index: &dyn Fn(&str) -> Option<usize>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for e in &report.errors {
        let kind = match e.kind {
            ErrorKind::Input => "input",
            ErrorKind::Policy => "policy",
            ErrorKind::Evaluation => "evaluation",
            ErrorKind::Config => "config",
        };
        let mut text = e.message.clone();
        let mut locations = Vec::new();
        match (&e.file, &e.policy) {
            (Some(file), Some(policy)) => {
                text = format!("{text} (in policy {policy}:{}:{})", e.line, e.column);
                locations.push(location(file, None, sources));
            }
            (Some(file), None) => {
                let at = (e.line > 0).then_some((e.line, e.column.max(1)));
                locations.push(location(file, at, sources));
            }
            (None, Some(policy)) if !policy.starts_with('<') => {
                let at = (e.line > 0).then_some((e.line, e.column.max(1)));
                locations.push(location(policy, at, sources));
            }
            (None, Some(policy)) => {
                text = format!("{text} (in {policy}:{}:{})", e.line, e.column);
            }
            (None, None) => {}
        }
        let mut n = json!({
            "level": "error",
            "message": {"text": sentence(&text)},
            "descriptor": {"id": format!("ward/{kind}")},
        });
        if let Some(obj) = n.as_object_mut() {
            if !locations.is_empty() {
                obj.insert("locations".into(), json!(locations));
            }
            if let Some(c) = &e.control {
                let mut rule = json!({"id": c});
                if let (Some(i), Some(r)) = (rule_index(c), rule.as_object_mut()) {
                    r.insert("index".into(), json!(i));
                }
                obj.insert("associatedRule".into(), rule);
            }
        }
        out.push(n);
    }
    for s in &report.skipped {
        let at = (s.line > 0).then_some((s.line, 1));
        out.push(json!({
            "level": "note",
            "message": {"text": sentence(&format!("Skipped: {}", s.reason))},
            "descriptor": {"id": "ward/skipped"},
            "locations": [location(&s.file, at, sources)],
        }));
    }
    out
}

fn location(file: &str, at: Option<(usize, usize)>, sources: &Sources) -> Value {
    let mut phys = json!({"artifactLocation": artifact_location(file)});
    if let (Some((line, col)), Some(obj)) = (at, phys.as_object_mut()) {
        let col = sources
            .get(file)
            .map(|s| s.char_col(line, col))
            .unwrap_or(col);
        obj.insert(
            "region".into(),
            json!({"startLine": line, "startColumn": col}),
        );
    }
    json!({"physicalLocation": phys})
}

/// A path as Ward shows it, as a SARIF artifact location: relative paths
/// against `%SRCROOT%` (the folder Ward ran in), others as `file:` URIs.
pub(crate) fn artifact_location(path: &str) -> Value {
    match artifact_uri(path) {
        (uri, true) => json!({"uri": uri, "uriBaseId": SRCROOT}),
        (uri, false) => json!({"uri": uri}),
    }
}

/// The base of relative artifact URIs.
pub(crate) const SRCROOT: &str = "%SRCROOT%";

/// A path's URI, and whether it is relative to [`SRCROOT`].
pub(crate) fn artifact_uri(path: &str) -> (String, bool) {
    let p = path.replace('\\', "/");
    if p == "-" {
        return ("stdin".to_string(), false);
    }
    let absolute = p.starts_with('/') || p.get(1..3) == Some(":/");
    if absolute {
        let lead = if p.starts_with('/') { "" } else { "/" };
        return (format!("file://{lead}{}", encode(&p)), false);
    }
    let mut rel = p.as_str();
    while let Some(r) = rel.strip_prefix("./") {
        rel = r;
    }
    (encode(rel), true)
}

/// Percent-encodes what a URI path cannot hold.
fn encode(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            artifact_location("./a b/x.yaml"),
            json!({"uri": "a%20b/x.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            artifact_location("/tmp/x#1.yaml"),
            json!({"uri": "file:///tmp/x%231.yaml"})
        );
        assert_eq!(artifact_location("-"), json!({"uri": "stdin"}));
    }

    #[test]
    fn names_and_sentences() {
        assert_eq!(
            pascal("allow_privilege_escalation"),
            "AllowPrivilegeEscalation"
        );
        assert_eq!(sentence("no dot"), "no dot.");
        assert_eq!(sentence("dot. "), "dot.");
    }
}
