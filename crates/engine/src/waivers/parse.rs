//! Reading a waivers file: YAML through Ward's own loader, so every entry
//! and field keeps its line, and every mistake is an error at that line.

use super::{Date, Pattern, Waiver, Waivers};
use crate::finding::{Error, ErrorKind};
use crate::input::yaml::{YamlOptions, parse_stream};
use crate::value::doc::{Node, NodeRef, Pos};
use ward_lang::hir::Program;

const FIELDS: &[&str] = &[
    "control",
    "reason",
    "owner",
    "ticket",
    "expires",
    "namespace",
    "kind",
    "name",
    "container",
    "pointer",
    "file",
];

/// A waiver's fields as they are read.
struct Draft {
    reason: String,
    owner: Option<String>,
    ticket: Option<String>,
    expires: Option<Date>,
    namespace: Option<Pattern>,
    kind: Option<Pattern>,
    name: Option<Pattern>,
    container: Option<Pattern>,
    pointer: Option<Pattern>,
    file: Option<Pattern>,
}

struct Reader<'a> {
    file: &'a str,
    program: &'a Program,
    errors: Vec<Error>,
}

impl Reader<'_> {
    fn error(&mut self, pos: Pos, message: String) {
        self.errors.push(Error {
            kind: ErrorKind::Config,
            file: Some(self.file.to_string()),
            policy: None,
            line: pos.line as usize,
            column: pos.col as usize,
            message,
            control: None,
            resource: None,
        });
    }

    /// A scalar as text: strings as they are, numbers and booleans written
    /// out (a ticket may be a number).
    fn text(&mut self, field: &str, v: NodeRef<'_>) -> Option<String> {
        match v.kind() {
            Node::Str { .. } => v.as_str().map(str::to_string),
            Node::Num(n) => Some(crate::value::doc::num_json(n).to_string()),
            Node::Bool(b) => Some(b.to_string()),
            _ => {
                self.error(v.pos(), format!("`{field}` must be a string"));
                None
            }
        }
    }

    fn entry(&mut self, index: usize, item: NodeRef<'_>) -> Option<Waiver> {
        let at = item.pos();
        if !matches!(item.kind(), Node::Obj { .. }) {
            self.error(
                at,
                format!(
                    "waiver {} must be a mapping with `control` and `reason`",
                    index + 1
                ),
            );
            return None;
        }
        let mut w = Draft {
            reason: String::new(),
            owner: None,
            ticket: None,
            expires: None,
            namespace: None,
            kind: None,
            name: None,
            container: None,
            pointer: None,
            file: None,
        };
        let before = self.errors.len();
        let mut control = None;
        for (k, v) in item.entries() {
            let key = k.as_str();
            let pos = v.pos();
            match key {
                "control" => control = self.text(key, v).map(|t| (t, pos)),
                "reason" => w.reason = self.text(key, v).unwrap_or_default().trim().to_string(),
                "owner" => w.owner = self.text(key, v),
                "ticket" => w.ticket = self.text(key, v),
                "expires" => {
                    let t = self.text(key, v).unwrap_or_default();
                    match Date::parse(&t) {
                        Some(d) => w.expires = Some(d),
                        None => self.error(
                            pos,
                            format!("`expires: {t}` is not a date; write YYYY-MM-DD"),
                        ),
                    }
                }
                "namespace" | "kind" | "name" | "container" | "pointer" | "file" => {
                    let Some(t) = self.text(key, v) else { continue };
                    match Pattern::new(&t, key == "pointer") {
                        Ok(p) => {
                            let slot = match key {
                                "namespace" => &mut w.namespace,
                                "kind" => &mut w.kind,
                                "name" => &mut w.name,
                                "container" => &mut w.container,
                                "pointer" => &mut w.pointer,
                                _ => &mut w.file,
                            };
                            *slot = Some(p);
                        }
                        Err(e) => {
                            self.error(pos, format!("`{key}: {t}` is not a valid pattern: {e}"))
                        }
                    }
                }
                other => {
                    let hint = ward_lang::diagnostic::suggest(other, FIELDS.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_else(|| format!("; the fields are {}", FIELDS.join(", ")));
                    self.error(
                        pos,
                        format!("unknown field `{other}` in waiver {}{hint}", index + 1),
                    );
                }
            }
        }
        let control = match control {
            Some((c, pos)) => match self.control(&c) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.error(pos, e);
                    None
                }
            },
            None => {
                self.error(at, format!("waiver {} has no `control`", index + 1));
                None
            }
        };
        if w.reason.is_empty() {
            self.error(
                at,
                format!(
                    "waiver {} has no `reason`; every waiver says why",
                    index + 1
                ),
            );
        }
        let control = control.filter(|_| self.errors.len() == before)?;
        Some(Waiver {
            control,
            reason: w.reason,
            owner: w.owner,
            ticket: w.ticket,
            expires: w.expires,
            namespace: w.namespace,
            kind: w.kind,
            name: w.name,
            container: w.container,
            pointer: w.pointer,
            file: w.file,
            line: at.line as usize,
            column: at.col as usize,
            index,
        })
    }

    /// A control id or a glob of ids, checked against the program.
    fn control(&self, pattern: &str) -> Result<Pattern, String> {
        let glob = pattern.contains(['*', '?', '[', '{']);
        if !glob {
            return match self.program.control(pattern) {
                Some((_, c)) if !c.waivable => Err(format!(
                    "control `{pattern}` is not waivable (`waivable false`); fix its findings instead"
                )),
                Some(_) => Pattern::new(pattern, false),
                None if crate::finding::input_notice(pattern) => Pattern::new(pattern, false),
                None => Err(format!(
                    "there is no control `{pattern}`{}",
                    self.hint(pattern)
                )),
            };
        }
        let p = Pattern::new(pattern, false)
            .map_err(|e| format!("`{pattern}` is not a valid pattern: {e}"))?;
        let notices = crate::finding::NOTICES
            .iter()
            .filter(|n| crate::finding::input_notice(n.id));
        if !self.program.controls.iter().any(|c| p.is_match(&c.id))
            && !notices.clone().any(|n| p.is_match(n.id))
        {
            return Err(format!(
                "`{pattern}` matches no control{}",
                self.hint(pattern)
            ));
        }
        Ok(p)
    }

    fn hint(&self, pattern: &str) -> String {
        let ids = self.program.controls.iter().map(|c| c.id.as_str());
        if let Some(s) = super::suggest_control(self.program, pattern) {
            return format!("; did you mean `{s}`?");
        }
        match ward_lang::diagnostic::suggest(pattern, ids) {
            Some(s) => format!("; did you mean `{s}`?"),
            None => String::new(),
        }
    }
}

pub(super) fn parse(file: &str, text: &str, program: &Program) -> Waivers {
    let mut r = Reader {
        file,
        program,
        errors: Vec::new(),
    };
    let mut entries = Vec::new();
    let (docs, errors) = parse_stream(text, &YamlOptions::default());
    for e in errors {
        r.error(
            Pos::new(e.line, e.col),
            format!("invalid YAML: {}", e.message),
        );
    }
    let docs: Vec<_> = docs.into_iter().filter(|d| d.doc.is_some()).collect();
    if let Some(second) = docs.get(1) {
        r.error(
            Pos::new(second.line, 1),
            "a waivers file holds one YAML document".into(),
        );
    }
    if let Some(d) = docs.first() {
        for (k, pos) in &d.duplicates {
            r.error(*pos, format!("`{k}` is given twice"));
        }
        if let Some(doc) = &d.doc {
            let root = doc.root();
            if !matches!(root.kind(), Node::Obj { .. }) {
                r.error(
                    root.pos(),
                    "expected a mapping with a `waivers` list".into(),
                );
            }
            let mut list = None;
            for (k, v) in root.entries() {
                match k.as_str() {
                    "waivers" => list = Some(v),
                    other => r.error(
                        v.pos(),
                        format!("unknown field `{other}`; a waivers file has one field, `waivers`"),
                    ),
                }
            }
            match list {
                Some(l) if matches!(l.kind(), Node::List { .. }) => {
                    for (i, item) in l.items().enumerate() {
                        if let Some(w) = r.entry(i, item) {
                            entries.push(w);
                        }
                    }
                }
                Some(l) if l.is_null() => {}
                Some(l) => r.error(l.pos(), "`waivers` must be a list".into()),
                None if matches!(root.kind(), Node::Obj { .. }) => {
                    r.error(root.pos(), "no `waivers` list".into());
                }
                None => {}
            }
        }
    }
    Waivers {
        file: file.to_string(),
        entries,
        errors: r.errors,
    }
}
