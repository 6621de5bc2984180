//! SARIF results written by hand: byte for byte what `serde_json`'s pretty
//! printer writes for the value [`super::result`] makes, at a result's
//! place in the log (`tests/reports.rs` holds the two together). On a large
//! export the results are nearly all of the log, and making each one a
//! tree of JSON values before printing it was most of the time writing it
//! took.

use super::common::{self, Source};
use super::meta;
use super::{ResultCtx, fix, suppressions};
use crate::finding::{Finding, Level};
use crate::report::findings_text::{string, value};

/// A JSON writer that writes what `serde_json`'s pretty printer writes,
/// two spaces a level, starting `depth` levels deep.
pub(super) struct Pretty<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    /// Whether the innermost object or list has no member yet.
    empty: bool,
}

impl<'o> Pretty<'o> {
    pub(super) fn new(out: &'o mut Vec<u8>, depth: usize) -> Pretty<'o> {
        Pretty {
            out,
            depth,
            empty: true,
        }
    }

    fn line(&mut self) {
        self.out.push(b'\n');
        self.out.extend(std::iter::repeat_n(b' ', 2 * self.depth));
    }

    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth += 1;
        self.empty = true;
    }

    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        if !self.empty {
            self.line();
        }
        self.out.push(bracket);
        self.empty = false;
    }

    /// Before a member of a list.
    fn item(&mut self) {
        if !self.empty {
            self.out.push(b',');
        }
        self.line();
        self.empty = false;
    }

    /// Before a member of an object.
    fn key(&mut self, k: &str) {
        self.item();
        string(self.out, k);
        self.out.extend_from_slice(b": ");
    }

    fn str(&mut self, s: &str) {
        string(self.out, s);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => string(self.out, s),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    fn num(&mut self, n: usize) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    fn value(&mut self, v: &serde_json::Value) {
        value(self.out, v, self.depth);
        self.empty = false;
    }

    /// `{"text": ...}`.
    fn text(&mut self, t: &str) {
        self.open(b'{');
        self.key("text");
        self.str(t);
        self.close(b'}');
    }
}

/// One result, as [`super::result`] makes it.
pub(super) fn result(p: &mut Pretty<'_>, f: &Finding, ctx: &ResultCtx<'_, '_>) {
    let mut lvl = meta::level(f.severity);
    if f.level == Level::Warn && lvl == "error" {
        lvl = "warning";
    }
    p.open(b'{');
    p.key("ruleId");
    p.str(&f.control);
    p.key("level");
    p.str(lvl);
    p.key("message");
    p.text(&meta::sentence(&f.message));
    p.key("locations");
    p.open(b'[');
    p.item();
    p.open(b'{');
    p.key("physicalLocation");
    physical(p, f, ctx);
    p.key("logicalLocations");
    p.open(b'[');
    p.item();
    p.open(b'{');
    p.key("name");
    p.str(&common::resource_name(&f.resource));
    p.key("fullyQualifiedName");
    p.str(if f.pointer.is_empty() {
        "/"
    } else {
        &f.pointer
    });
    p.close(b'}');
    p.close(b']');
    p.close(b'}');
    p.close(b']');
    p.key("partialFingerprints");
    p.open(b'{');
    p.key("wardFingerprint/v1");
    p.str(f.fingerprint.hex().as_str());
    p.close(b'}');
    p.key("properties");
    p.open(b'{');
    p.key("pack");
    p.str(&f.pack);
    p.key("profile");
    p.opt_str(f.profile.as_deref());
    p.key("severity");
    p.str(f.severity.as_str());
    p.key("findingLevel");
    p.str(match f.level {
        Level::Deny => "deny",
        Level::Warn => "warn",
    });
    p.key("resource");
    p.open(b'{');
    p.key("apiVersion");
    p.str(&f.resource.api_version);
    p.key("kind");
    p.str(&f.resource.kind);
    p.key("namespace");
    p.str(&f.resource.namespace);
    p.key("name");
    p.str(&f.resource.name);
    p.close(b'}');
    p.key("pointer");
    p.str(&f.pointer);
    p.key("document");
    p.num(f.document as usize);
    p.key("origin");
    p.opt_str(f.origin.as_deref());
    p.key("tags");
    p.open(b'[');
    for t in common::finding_tags(f) {
        p.item();
        p.str(&t);
    }
    p.close(b']');
    p.close(b'}');
    if let Some(i) = ctx.rule_index {
        p.key("ruleIndex");
        p.num(i);
    }
    if let Some(w) = &f.waived {
        p.key("suppressions");
        p.value(&suppressions(w));
    }
    if let (Some(plan), Some(src)) = (ctx.plan, ctx.source) {
        p.key("fixes");
        p.value(&serde_json::Value::Array(vec![fix(
            f,
            plan,
            src,
            ctx.artifact,
        )]));
    }
    p.close(b'}');
}

/// The artifact a result is in, as [`meta::artifact_location`] makes it,
/// with its index among the run's artifacts.
fn artifact(p: &mut Pretty<'_>, path: &str, index: Option<usize>) {
    let (uri, from_root) = meta::artifact_uri(path);
    p.open(b'{');
    p.key("uri");
    p.str(&uri);
    if from_root {
        p.key("uriBaseId");
        p.str(meta::SRCROOT);
    }
    if let Some(i) = index {
        p.key("index");
        p.num(i);
    }
    p.close(b'}');
}

/// A result's place, as [`super::physical`] makes it.
fn physical(p: &mut Pretty<'_>, f: &Finding, ctx: &ResultCtx<'_, '_>) {
    p.open(b'{');
    p.key("artifactLocation");
    artifact(p, &f.file, ctx.artifact);
    let line = f.line as usize;
    let col = f.column.max(1) as usize;
    if line == 0 {
        p.close(b'}');
        return;
    }
    p.key("region");
    let Some(src) = ctx.source else {
        p.open(b'{');
        p.key("startLine");
        p.num(line);
        p.key("startColumn");
        p.num(col);
        p.close(b'}');
        p.close(b'}');
        return;
    };
    match (
        src.offset(line, col),
        super::edit::token_end(src, line, col),
    ) {
        (Some(s), Some(e)) => range(p, src, s, e),
        _ => {
            p.open(b'{');
            p.key("startLine");
            p.num(line);
            p.key("startColumn");
            p.num(src.char_col(line, col));
            p.close(b'}');
        }
    }
    let first = line.saturating_sub(super::CONTEXT_LINES).max(1);
    let last = (line + super::CONTEXT_LINES)
        .min(src.line_count())
        .max(first);
    if let (Some((s, _)), Some((_, e))) = (src.line_range(first), src.line_range(last)) {
        p.key("contextRegion");
        range(p, src, s, e);
    }
    p.close(b'}');
}

/// A region between two byte offsets with its snippet, as
/// [`super::range`] makes it.
fn range(p: &mut Pretty<'_>, src: &Source, start: usize, end: usize) {
    let (sl, sc) = src.line_col(start);
    let (el, ec) = src.line_col(end);
    let text = src.shown(src.slice(start, end).unwrap_or(""));
    let text = text.as_ref();
    p.open(b'{');
    p.key("startLine");
    p.num(sl);
    p.key("startColumn");
    p.num(sc);
    p.key("endLine");
    p.num(el);
    p.key("endColumn");
    p.num(ec);
    p.key("charOffset");
    p.num(src.char_offset(start));
    p.key("charLength");
    p.num(text.chars().count());
    p.key("snippet");
    p.text(text);
    p.close(b'}');
}
