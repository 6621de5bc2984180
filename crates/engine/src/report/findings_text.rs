//! The findings of the JSON report as text, written by hand.
//!
//! A large export's report is hundreds of megabytes of findings, and
//! `serde_json`'s pretty printer spent about 13 instructions per byte on
//! them, most in checking every byte of every string for escapes. This
//! writer gives the same bytes (tests compare it with `serde_json` for
//! every field, set and unset): it checks strings eight bytes at a time,
//! and renders what findings share (a control's fields, its framework
//! items, a resource's identity and file) once per chunk. Fixes, and their
//! values (any JSON), are written by hand too; what is rare (waivers) is
//! still rendered by `serde_json` and indented.

use crate::finding::{Finding, Level};
use crate::input::json::skip_plain;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Indent of a finding's fields: the report object, then the findings
/// array, then the finding.
const FIELD: &[u8] = b"\n      ";

/// What comes before a field's value: the comma after the field before
/// (none for the first), the field's line and indent, and its name.
macro_rules! key {
    (first $name:literal) => {
        concat!("\n      \"", $name, "\": ").as_bytes()
    };
    ($name:literal) => {
        concat!(",\n      \"", $name, "\": ").as_bytes()
    };
}

/// The findings as they appear inside the report's `findings` array: each
/// on its own lines at its indent, a comma between them; the text between
/// `[` and the closing line.
pub fn findings_text(findings: &[Finding]) -> std::io::Result<Vec<u8>> {
    let mut w = Writer {
        out: Vec::with_capacity(findings.len() * 1536),
        shared: FxHashMap::default(),
    };
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            w.out.push(b',');
        }
        w.finding(f)?;
    }
    Ok(w.out)
}

struct Writer {
    out: Vec<u8>,
    /// The text of runs of fields that many findings share (a control's
    /// id and pack; its severity, level and title; its framework items; a
    /// resource's identity and file; a control's remedy), by which run it
    /// is and the addresses of what it is made of: the findings hold those,
    /// so no address is reused while the chunk is written.
    shared: FxHashMap<(u8, usize, usize), Vec<u8>>,
}

/// The address of what an `Arc` holds, as a key of [`Writer::shared`].
fn addr<T: ?Sized>(a: &std::sync::Arc<T>) -> usize {
    std::sync::Arc::as_ptr(a).cast::<u8>() as usize
}

impl Writer {
    fn finding(&mut self, f: &Finding) -> std::io::Result<()> {
        self.out.extend_from_slice(b"\n    {");
        self.shared((0, addr(&f.control), addr(&f.pack)), |o| {
            str_field(o, key!(first "control"), &f.control);
            str_field(o, key!("pack"), &f.pack);
            Ok(())
        })?;
        if let Some(p) = &f.profile {
            str_field(&mut self.out, key!("profile"), p);
        }
        let level = match f.level {
            Level::Deny => "deny",
            Level::Warn => "warn",
        };
        let (severity, level_bit) = (f.severity as usize, usize::from(f.level == Level::Deny));
        self.shared((1, addr(&f.title), severity << 1 | level_bit), |o| {
            str_field(o, key!("severity"), f.severity.as_str());
            str_field(o, key!("level"), level);
            str_field(o, key!("title"), &f.title);
            Ok(())
        })?;
        str_field(&mut self.out, key!("message"), &f.message);
        self.shared((2, f.frameworks.as_ptr() as usize, 0), |o| {
            o.extend_from_slice(key!("frameworks"));
            nested(o, &f.frameworks)
        })?;
        self.shared((3, addr(&f.resource), addr(&f.file)), |o| {
            o.extend_from_slice(key!("resource"));
            nested(o, &f.resource)?;
            str_field(o, key!("file"), &f.file);
            Ok(())
        })?;
        if let Some(o) = &f.origin {
            str_field(&mut self.out, key!("origin"), o);
        }
        self.num_field(key!("document"), f.document);
        self.num_field(key!("line"), f.line);
        self.num_field(key!("column"), f.column);
        str_field(&mut self.out, key!("pointer"), &f.pointer);
        if !f.fix.is_empty() {
            self.out.extend_from_slice(key!("fix"));
            fixes(&mut self.out, &f.fix);
        }
        if !f.remedy.is_empty() {
            self.shared((4, addr(&f.remedy), 0), |o| {
                str_field(o, key!("remedy"), &f.remedy);
                Ok(())
            })?;
        }
        str_field(
            &mut self.out,
            key!("fingerprint"),
            f.fingerprint.hex().as_str(),
        );
        if let Some(s) = &f.waived {
            self.out.extend_from_slice(key!("waived"));
            nested(&mut self.out, s)?;
        }
        self.out.extend_from_slice(b"\n    }");
        Ok(())
    }

    fn num_field(&mut self, key: &[u8], n: u32) {
        self.out.extend_from_slice(key);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    /// A run of fields many findings share, rendered the first time it is
    /// seen in the chunk.
    fn shared(
        &mut self,
        at: (u8, usize, usize),
        render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        if let Some(text) = self.shared.get(&at) {
            self.out.extend_from_slice(text);
            return Ok(());
        }
        let mut text = Vec::new();
        render(&mut text)?;
        self.out.extend_from_slice(&text);
        self.shared.insert(at, text);
        Ok(())
    }
}

/// A field with a string value, after the fields before it.
fn str_field(out: &mut Vec<u8>, key: &[u8], value: &str) {
    out.extend_from_slice(key);
    string(out, value);
}

/// A value as `serde_json`'s pretty printer writes it at a finding's field.
fn nested(out: &mut Vec<u8>, v: &impl Serialize) -> std::io::Result<()> {
    indented(out, v, FIELD)
}

/// A value as `serde_json`'s pretty printer writes it, each line after the
/// first starting with `indent` (a line break and spaces).
fn indented(out: &mut Vec<u8>, v: &impl Serialize, indent: &[u8]) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(v)?;
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.extend_from_slice(indent);
        }
        out.extend_from_slice(line);
    }
    Ok(())
}

/// A finding's fixes, as [`nested`] writes them: at 10,000 resources two
/// findings in three carry a fix.
fn fixes(out: &mut Vec<u8>, fixes: &[crate::eval::FixOp]) {
    out.push(b'[');
    for (i, f) in fixes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\n        {\n          \"op\": ");
        string(out, f.op);
        out.extend_from_slice(b",\n          \"path\": ");
        string(out, &f.path);
        if let Some(v) = &f.value {
            out.extend_from_slice(b",\n          \"value\": ");
            value(out, v, 5);
        }
        out.extend_from_slice(b"\n        }");
    }
    out.extend_from_slice(b"\n      ]");
}

/// Any JSON value as `serde_json`'s pretty printer writes it, nested
/// `depth` levels deep (two spaces a level): a fix's value, most often a
/// `bool` or a small object, written without a buffer of its own per value.
pub(crate) fn value(out: &mut Vec<u8>, v: &serde_json::Value, depth: usize) {
    use serde_json::Value;
    fn line(out: &mut Vec<u8>, depth: usize) {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', 2 * depth));
    }
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // `Number`'s text is the one its serialisation writes.
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(t) => string(out, t),
        Value::Array(items) if items.is_empty() => out.extend_from_slice(b"[]"),
        Value::Object(entries) if entries.is_empty() => out.extend_from_slice(b"{}"),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                line(out, depth + 1);
                value(out, item, depth + 1);
            }
            line(out, depth);
            out.push(b']');
        }
        Value::Object(entries) => {
            out.push(b'{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                line(out, depth + 1);
                string(out, k);
                out.extend_from_slice(b": ");
                value(out, item, depth + 1);
            }
            line(out, depth);
            out.push(b'}');
        }
    }
}

/// A JSON string, escaped as `serde_json` escapes it: quotes, backslashes
/// and control characters; everything else, non-ASCII included, as is.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    loop {
        // Eight bytes at a time while none of them needs an escape, and
        // the last few (most strings here are short) in one word too.
        i = skip_plain(bytes, i);
        if plain_tail(bytes, i) {
            break;
        }
        let Some(&b) = bytes.get(i) else {
            break;
        };
        if let Some(esc) = escape(b) {
            out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
            match esc {
                Esc::Short(c) => out.extend_from_slice(&[b'\\', c]),
                Esc::Unicode => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
            }
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Whether the bytes from `i` are fewer than eight and none of them needs
/// an escape: read as one word, padded with a plain byte.
fn plain_tail(bytes: &[u8], i: usize) -> bool {
    let rest = bytes.get(i..).unwrap_or_default();
    let mut w = [b'a'; 8];
    match w.get_mut(..rest.len()) {
        Some(head) => head.copy_from_slice(rest),
        None => return false,
    }
    !crate::input::json::ends_plain_run(u64::from_le_bytes(w))
}

enum Esc {
    Short(u8),
    Unicode,
}

fn escape(b: u8) -> Option<Esc> {
    Some(match b {
        b'"' => Esc::Short(b'"'),
        b'\\' => Esc::Short(b'\\'),
        0x08 => Esc::Short(b'b'),
        0x0c => Esc::Short(b'f'),
        b'\n' => Esc::Short(b'n'),
        b'\r' => Esc::Short(b'r'),
        b'\t' => Esc::Short(b't'),
        0..=0x1f => Esc::Unicode,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::FixOp;
    use crate::finding::{FrameworkItemRef, Identity, Suppression};
    use std::sync::Arc;
    use ward_lang::hir::Severity;

    fn finding(i: usize) -> Finding {
        let all = i.is_multiple_of(2);
        Finding::new(crate::FindingFields {
            control: Arc::from(format!("pack.control_{i}")),
            pack: Arc::from("pack"),
            profile: all.then(|| "v1.30".into()),
            severity: Severity::ALL[i % Severity::ALL.len()],
            level: if all { Level::Deny } else { Level::Warn },
            title: Arc::from("A \"quoted\" title"),
            message: format!(
                "line\nbreak\ttab\r\u{8}\u{c}\u{1}\u{1f}\u{7f} back\\slash é → ✓ {}",
                "x".repeat(i % 17)
            )
            .into(),
            frameworks: if i.is_multiple_of(3) {
                Arc::from(Vec::new())
            } else {
                Arc::from(vec![
                    FrameworkItemRef {
                        framework: "cis".into(),
                        id: "5.2.1".into(),
                        version: all.then(|| "1.9".into()),
                    },
                    FrameworkItemRef {
                        framework: "owasp".into(),
                        id: "K01".into(),
                        version: None,
                    },
                ])
            },
            resource: Arc::new(Identity {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: if all {
                    "team-\"a\"".into()
                } else {
                    String::new()
                },
                name: format!("web-{i}"),
            }),
            file: Arc::from("deploy/app.yaml"),
            origin: all.then(|| "chart/templates/web.yaml".into()),
            document: u32::try_from(i).unwrap_or(0),
            line: u32::MAX,
            column: 0,
            pointer: "/spec/template/spec/containers/0/securityContext~1x".into(),
            fix: if all {
                vec![
                    FixOp {
                        op: "add",
                        path: "/spec/a".into(),
                        value: Some(std::sync::Arc::new(
                            serde_json::json!({"b": [1, 2.5, "c\n", null, {}], "d": []}),
                        )),
                    },
                    FixOp {
                        op: "remove",
                        path: "/spec/b".into(),
                        value: None,
                    },
                    FixOp {
                        op: "replace",
                        path: "/spec/\"c\"~1d".into(),
                        value: Some(std::sync::Arc::new(serde_json::json!(
                            if i.is_multiple_of(4) { "x\ty" } else { "" }
                        ))),
                    },
                ]
            } else if i % 3 == 1 {
                vec![FixOp {
                    op: "replace",
                    path: "/n".into(),
                    value: Some(std::sync::Arc::new(serde_json::json!([[], 1.5, true]))),
                }]
            } else {
                Vec::new()
            },
            remedy: Arc::from(if all { "" } else { "Set `x`." }),
            fingerprint: crate::finding::fingerprint(&format!("c{i}"), &Identity::default(), "/n"),
            waived: (i % 4 == 1).then(|| {
                Box::new(Suppression {
                    reason: "accepted".into(),
                    owner: Some("team".into()),
                    ticket: None,
                    expires: Some("2027-01-01".into()),
                    source: "file".into(),
                })
            }),
            // Never written: the hand-written text must leave it out too.
            secrets: (i % 5 == 2)
                .then(|| Box::new(vec![Box::from("s3cr3t-value")].into_boxed_slice())),
        })
    }

    /// What `serde_json` writes for the findings inside a report.
    fn by_serde(findings: &[Finding]) -> Vec<u8> {
        #[derive(Serialize)]
        struct Wrap<'a> {
            findings: &'a [Finding],
        }
        let Ok(text) = serde_json::to_vec_pretty(&Wrap { findings }) else {
            panic!("findings serialise");
        };
        let head = b"{\n  \"findings\": [".len();
        let tail = b"\n  ]\n}".len();
        text.get(head..text.len() - tail)
            .unwrap_or_default()
            .to_vec()
    }

    #[test]
    fn every_field_set_and_unset_reads_as_serde_json_writes_it() {
        let findings: Vec<Finding> = (0..24).map(finding).collect();
        let Ok(mine) = findings_text(&findings) else {
            panic!("findings are written");
        };
        assert_eq!(
            String::from_utf8_lossy(&mine),
            String::from_utf8_lossy(&by_serde(&findings))
        );
    }

    /// Findings that share their control's and their resource's parts, as
    /// the findings of one control and one resource do, in every mix of
    /// level, severity and profile: what is rendered once reads as what
    /// each finding would have been.
    #[test]
    fn shared_parts_read_as_serde_json_writes_them() {
        let parts: Vec<Finding> = (0..3).map(finding).collect();
        let files: Vec<Arc<str>> = ["a.yaml", "b/\"c\".yaml", "d.json"]
            .into_iter()
            .map(Arc::from)
            .collect();
        let findings: Vec<Finding> = (0..48)
            .map(|i| {
                let mut f = finding(i);
                let p = &parts[i % 3];
                let q = &parts[(i / 3) % 3];
                f.control = p.control.clone();
                f.pack = q.pack.clone();
                f.title = p.title.clone();
                f.remedy = p.remedy.clone();
                f.frameworks = p.frameworks.clone();
                f.resource = q.resource.clone();
                f.file = files[(i / 9) % 3].clone();
                f
            })
            .collect();
        let Ok(mine) = findings_text(&findings) else {
            panic!("findings are written");
        };
        assert_eq!(
            String::from_utf8_lossy(&mine),
            String::from_utf8_lossy(&by_serde(&findings))
        );
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut every_byte: String = (0u8..0x80).map(char::from).collect();
        every_byte.push_str("é✓\u{10ffff}");
        for s in [
            String::new(),
            "plain".into(),
            "exactly8".into(),
            "seven b\"".into(),
            "a long string with nothing to escape in it at all".into(),
            "a long string with one at the end\\".into(),
            every_byte.clone(),
            every_byte.chars().rev().collect(),
        ]
        .into_iter()
        // Short strings, and the last bytes of long ones, with an escape at
        // every place.
        .chain((0..=9).flat_map(|len| {
            (0..len).flat_map(move |at| {
                ["\"", "\\", "\n", "\u{1}", "é"].map(|esc| {
                    let mut t = "x".repeat(len);
                    t.replace_range(at..=at, esc);
                    format!("{}{t}", "y".repeat(8 * (at % 2)))
                })
            })
        })) {
            let mut mine = Vec::new();
            string(&mut mine, &s);
            let Ok(theirs) = serde_json::to_vec(&s) else {
                panic!("a string serialises");
            };
            assert_eq!(
                String::from_utf8_lossy(&mine),
                String::from_utf8_lossy(&theirs)
            );
        }
    }

    #[test]
    fn values_read_as_serde_json_writes_them_at_every_depth() {
        use serde_json::json;
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-7),
            json!(u64::MAX),
            json!(1.5),
            json!(1e300),
            json!(-0.0),
            json!(1.0),
            json!("a \"quoted\"\n\u{1} é"),
            json!([]),
            json!({}),
            json!(["ALL"]),
            json!({"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {}}),
            json!([[], {}, [1, [2, {"x": [null]}]], {"b": 1, "a": {"c": []}}]),
        ];
        for v in &values {
            for depth in [0, 1, 5] {
                let mut mine = Vec::new();
                value(&mut mine, v, depth);
                let mut theirs = Vec::new();
                let indent = format!("\n{}", " ".repeat(2 * depth));
                assert!(indented(&mut theirs, v, indent.as_bytes()).is_ok());
                assert_eq!(
                    String::from_utf8_lossy(&mine),
                    String::from_utf8_lossy(&theirs),
                    "{v} at depth {depth}"
                );
            }
        }
    }

    #[test]
    fn eight_bytes_need_an_escape_exactly_when_one_of_them_does() {
        for b in 0u8..=255 {
            for at in 0..8 {
                let mut w = [b'a'; 8];
                if let Some(x) = w.get_mut(at) {
                    *x = b;
                }
                assert_eq!(
                    crate::input::json::ends_plain_run(u64::from_le_bytes(w)),
                    escape(b).is_some(),
                    "byte {b:#x} at {at}"
                );
            }
        }
    }
}
