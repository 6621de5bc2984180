//! A JSON reader that builds [`Doc`]s directly, with the line and column of
//! every value.
//!
//! No general-purpose JSON crate reports positions for every value at this
//! speed, and this reader also does two things a generic one cannot: it reads
//! each item of a `kind: List` into a document of its own (cluster exports
//! are evaluated per item, in parallel), and it can skip
//! `metadata.managedFields`, the server's bookkeeping, without building it.

use crate::value::doc::{Doc, DocBuilder, Pos};
use crate::value::intern::intern;

/// What went wrong, and where (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct JsonOptions {
    pub max_depth: usize,
    /// Leave `metadata.managedFields` of each resource out.
    pub drop_managed_fields: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            max_depth: 256,
            drop_managed_fields: true,
        }
    }
}

/// A parsed file: either one value, or the items of a list object.
#[derive(Debug)]
pub enum JsonFile {
    One(Doc),
    /// `kind: List` (or `...List`): the items, each a document, with their
    /// index in `items`.
    List(Vec<Doc>),
}

/// Parses a whole JSON text.
pub fn parse(text: &str, opts: &JsonOptions) -> Result<JsonFile, JsonError> {
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        i: 0,
        line: 1,
        line_start: 0,
        first_line: 1,
        first_col: 0,
        opts,
    };
    if text.starts_with('\u{feff}') {
        r.i = 3;
        r.line_start = 3;
    }
    r.ws();
    let out = r.top()?;
    r.ws();
    if r.i < r.s.len() {
        return Err(r.error("expected the end of the file after the JSON value"));
    }
    Ok(out)
}

/// Parses one item of a list that starts at `line` and `col` of its file,
/// building it with (and then emptying) `b`.
pub fn parse_item(
    b: &mut DocBuilder,
    text: &str,
    line: usize,
    col: usize,
    opts: &JsonOptions,
) -> Result<Doc, JsonError> {
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        i: 0,
        line,
        line_start: 0,
        first_line: line,
        first_col: col.saturating_sub(1),
        opts,
    };
    let parsed = r.value(b, 2);
    let doc = b.take();
    parsed.map(|()| doc)
}

/// Parses one JSON value into a document (no list splitting).
pub fn parse_value(text: &str, opts: &JsonOptions) -> Result<Doc, JsonError> {
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        i: 0,
        line: 1,
        line_start: 0,
        first_line: 1,
        first_col: 0,
        opts,
    };
    r.ws();
    let mut b = DocBuilder::new();
    r.value(&mut b, 0)?;
    r.ws();
    if r.i < r.s.len() {
        return Err(r.error("expected the end of the file after the JSON value"));
    }
    Ok(b.finish())
}

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    line: usize,
    line_start: usize,
    /// The text may start mid-line (an item of a streamed file): columns
    /// on its first line are shifted by `first_col`.
    first_line: usize,
    first_col: usize,
    opts: &'a JsonOptions,
}

impl<'a> Reader<'a> {
    fn shift(&self) -> usize {
        if self.line == self.first_line {
            self.first_col
        } else {
            0
        }
    }

    fn pos(&self) -> Pos {
        Pos::new(self.line, self.i - self.line_start + 1 + self.shift())
    }

    fn error(&self, msg: impl Into<String>) -> JsonError {
        let col = self
            .text
            .get(self.line_start..self.i.min(self.text.len()))
            .map(|s| s.chars().count() + 1)
            .unwrap_or(self.i - self.line_start + 1)
            + self.shift();
        JsonError {
            line: self.line,
            col,
            message: msg.into(),
        }
    }

    fn found(&self) -> String {
        match self.s.get(self.i) {
            None => "the end of the file".to_string(),
            Some(_) => {
                let c = self
                    .text
                    .get(self.i..)
                    .and_then(|t| t.chars().next())
                    .unwrap_or('?');
                if c.is_control() || c == '\u{feff}' {
                    format!("the character U+{:04X}", u32::from(c))
                } else {
                    format!("`{c}`")
                }
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&b) = self.s.get(self.i) {
            match b {
                // Pretty-printed exports are mostly indentation.
                b' ' => self.i = skip_spaces(self.s, self.i + 1),
                b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                }
                _ => break,
            }
        }
    }

    /// After an item of a list (`close` is `]`) or an entry of an object
    /// (`}`): steps over the `,` that says more follow, or the bracket that
    /// closes it, and says whether it closed.
    #[inline]
    fn closed(&mut self, close: u8) -> Result<bool, JsonError> {
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            _ => Err(self.error(format!(
                "expected `,` or `{}` in {}, found {}",
                char::from(close),
                if close == b']' { "a list" } else { "an object" },
                self.found()
            ))),
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", self.found())))
        }
    }

    /// The top level: a list object is split into its items.
    fn top(&mut self) -> Result<JsonFile, JsonError> {
        if self.peek() != Some(b'{') {
            let mut b = DocBuilder::new();
            self.value(&mut b, 0)?;
            return Ok(JsonFile::One(b.finish()));
        }
        // Read the top object; an `items` array is read item by item.
        let mut top = DocBuilder::new();
        let mut items: Option<Vec<Doc>> = None;
        let mut is_list = false;
        top.begin_obj(self.pos());
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            top.end();
            return Ok(JsonFile::One(top.finish()));
        }
        loop {
            self.ws();
            let key = self.key()?;
            self.ws();
            self.expect(b':', "`:` after an object key")?;
            self.ws();
            if key == "items" && self.peek() == Some(b'[') && items.is_none() {
                let item_pos = self.pos();
                let mut docs = Vec::new();
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let mut b = DocBuilder::with_capacity(256, 2048);
                        self.value(&mut b, 2)?;
                        docs.push(b.finish());
                        self.ws();
                        if self.closed(b']')? {
                            break;
                        }
                    }
                }
                top.key(intern("items"));
                top.begin_list(item_pos);
                top.end();
                items = Some(docs);
            } else {
                top.key(intern(&key));
                if key == "kind" && self.peek() == Some(b'"') {
                    let p = self.pos();
                    let k = self.string()?;
                    is_list = k.ends_with("List");
                    top.str(&k, p);
                } else {
                    self.value_in(&mut top, 1, key == "metadata")?;
                }
            }
            self.ws();
            if self.closed(b'}')? {
                break;
            }
        }
        top.end();
        match items {
            Some(docs) if is_list => Ok(JsonFile::List(docs)),
            Some(docs) => {
                // Not a list after all: put the items back in place.
                let head = top.finish();
                let mut b = DocBuilder::new();
                b.begin_obj(head.root().pos());
                for (k, v) in head.root().entries() {
                    b.key(k);
                    if k.as_str() == "items" {
                        b.begin_list(v.pos());
                        for d in &docs {
                            b.copy(d.root());
                        }
                        b.end();
                    } else {
                        b.copy(v);
                    }
                }
                b.end();
                Ok(JsonFile::One(b.finish()))
            }
            None => Ok(JsonFile::One(top.finish())),
        }
    }

    fn key(&mut self) -> Result<std::borrow::Cow<'a, str>, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.error(format!(
                "expected a key in double quotes, found {}",
                self.found()
            )));
        }
        self.string()
    }

    /// One value. `depth` is the nesting depth of the value itself (the
    /// resource root is at the depth its caller says).
    fn value(&mut self, b: &mut DocBuilder, depth: usize) -> Result<(), JsonError> {
        self.value_in(b, depth, false)
    }

    /// `metadata` is set when the value is the resource's own `metadata`.
    fn value_in<S: Sink>(
        &mut self,
        b: &mut S,
        depth: usize,
        metadata: bool,
    ) -> Result<(), JsonError> {
        if depth > self.opts.max_depth {
            return Err(self.error(format!(
                "the document nests deeper than {} levels (raise the limit with --max-depth)",
                self.opts.max_depth
            )));
        }
        let pos = self.pos();
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                b.begin_obj(pos);
                let resource_metadata = metadata && self.opts.drop_managed_fields;
                let is_root = b.depth() == 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    b.end();
                    return Ok(());
                }
                loop {
                    self.ws();
                    let key = self.key()?;
                    self.ws();
                    self.expect(b':', "`:` after an object key")?;
                    self.ws();
                    if resource_metadata && key == "managedFields" {
                        self.skip_value(depth + 1)?;
                    } else {
                        b.key(&key);
                        self.value_in(b, depth + 1, is_root && key == "metadata")?;
                    }
                    self.ws();
                    if self.closed(b'}')? {
                        break;
                    }
                }
                b.end();
                Ok(())
            }
            Some(b'[') => {
                self.i += 1;
                b.begin_list(pos);
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    b.end();
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.value_in(b, depth + 1, false)?;
                    self.ws();
                    if self.closed(b']')? {
                        break;
                    }
                }
                b.end();
                Ok(())
            }
            Some(b'"') => b.string(self, pos),
            Some(b't') => self.word(b"true", || b.bool(true, pos)),
            Some(b'f') => self.word(b"false", || b.bool(false, pos)),
            Some(b'n') => self.word(b"null", || b.null(pos)),
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                b.num(n, pos);
                Ok(())
            }
            _ => Err(self.error(format!("expected a JSON value, found {}", self.found()))),
        }
    }

    fn word(&mut self, w: &[u8], make: impl FnOnce()) -> Result<(), JsonError> {
        if self.s.get(self.i..self.i + w.len()) == Some(w) {
            self.i += w.len();
            make();
            Ok(())
        } else {
            Err(self.error(format!("expected a JSON value, found {}", self.found())))
        }
    }

    fn number(&mut self) -> Result<f64, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return Err(self.error("expected a digit in a number")),
        }
        let mut int = true;
        if self.peek() == Some(b'.') {
            int = false;
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit after the decimal point"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            int = false;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit in the exponent"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        let lit = self.text.get(start..self.i).unwrap_or("0");
        if int
            && lit.len() < 16
            && let Ok(n) = lit.parse::<i64>()
        {
            return Ok(n as f64);
        }
        match lit.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(self.error(format!("the number `{lit}` is out of range"))),
        }
    }

    /// A string at the cursor, borrowed when it has no escapes.
    fn string(&mut self) -> Result<std::borrow::Cow<'a, str>, JsonError> {
        let start = self.i + 1;
        let mut j = skip_plain(self.s, start);
        while let Some(&c) = self.s.get(j) {
            match c {
                b'"' => {
                    self.i = j + 1;
                    return Ok(std::borrow::Cow::Borrowed(
                        self.text.get(start..j).unwrap_or(""),
                    ));
                }
                b'\\' => break,
                0..=0x1f => break,
                _ => j += 1,
            }
        }
        let mut out = String::new();
        self.string_into(&mut out)?;
        Ok(std::borrow::Cow::Owned(out))
    }

    /// Appends the string at the cursor, unescaped, to `out`.
    fn string_into(&mut self, out: &mut String) -> Result<(), JsonError> {
        self.i += 1;
        loop {
            let start = self.i;
            self.i = skip_plain(self.s, self.i);
            while let Some(&c) = self.s.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(self.text.get(start..self.i).unwrap_or(""));
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek();
                    self.i += 1;
                    match c {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let ch = if (0xD800..0xDC00).contains(&hi) {
                                if self.s.get(self.i..self.i + 2) == Some(b"\\u") {
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if (0xDC00..0xE000).contains(&lo) {
                                        char::from_u32(
                                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                                        )
                                    } else {
                                        None
                                    }
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(ch.unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.error(format!(
                                "`\\{}` is not a JSON escape",
                                c.map(|c| c as char).unwrap_or(' ')
                            )));
                        }
                    }
                }
                Some(b'\n') => {
                    return Err(self.error("a line break inside a string (write it as `\\n`)"));
                }
                Some(_) => return Err(self.error("a control character inside a string")),
                None => return Err(self.error("the file ends inside a string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self
            .text
            .get(self.i..self.i + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match h {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => Err(self.error("expected four hex digits after `\\u`")),
        }
    }

    /// Skips a value without building it, checking it is JSON all the
    /// same (the errors `value` gives, at the same places): what is dropped
    /// costs a scan, not nodes, interned keys and copied strings.
    fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        self.value_in(&mut Skip, depth, false)
    }
}

/// Where the reader puts the values it reads: a [`DocBuilder`], or
/// [`Skip`] for a value that is checked and dropped.
trait Sink {
    fn depth(&self) -> usize;
    fn begin_obj(&mut self, pos: Pos);
    fn begin_list(&mut self, pos: Pos);
    fn end(&mut self);
    fn key(&mut self, key: &str);
    /// Reads the string at the reader's cursor.
    fn string(&mut self, r: &mut Reader<'_>, pos: Pos) -> Result<(), JsonError>;
    fn num(&mut self, n: f64, pos: Pos);
    fn bool(&mut self, b: bool, pos: Pos);
    fn null(&mut self, pos: Pos);
}

impl Sink for DocBuilder {
    fn depth(&self) -> usize {
        DocBuilder::depth(self)
    }
    fn begin_obj(&mut self, pos: Pos) {
        DocBuilder::begin_obj(self, pos);
    }
    fn begin_list(&mut self, pos: Pos) {
        DocBuilder::begin_list(self, pos);
    }
    fn end(&mut self) {
        DocBuilder::end(self);
    }
    fn key(&mut self, key: &str) {
        DocBuilder::key(self, intern(key));
    }
    /// Unescaped straight into the document's text.
    fn string(&mut self, r: &mut Reader<'_>, pos: Pos) -> Result<(), JsonError> {
        let start = self.text_mut().len();
        r.string_into(self.text_mut())?;
        self.str_from(start, pos);
        Ok(())
    }
    fn num(&mut self, n: f64, pos: Pos) {
        DocBuilder::num(self, n, pos);
    }
    fn bool(&mut self, b: bool, pos: Pos) {
        DocBuilder::bool(self, b, pos);
    }
    fn null(&mut self, pos: Pos) {
        DocBuilder::null(self, pos);
    }
}

/// Drops what is read.
struct Skip;

impl Sink for Skip {
    fn depth(&self) -> usize {
        0
    }
    fn begin_obj(&mut self, _: Pos) {}
    fn begin_list(&mut self, _: Pos) {}
    fn end(&mut self) {}
    fn key(&mut self, _: &str) {}
    /// Checked, and borrowed rather than copied when it has no escapes.
    fn string(&mut self, r: &mut Reader<'_>, _: Pos) -> Result<(), JsonError> {
        r.string().map(drop)
    }
    fn num(&mut self, _: f64, _: Pos) {}
    fn bool(&mut self, _: bool, _: Pos) {}
    fn null(&mut self, _: Pos) {}
}

/// Whether any of eight bytes ends a plain run of a JSON string: a quote,
/// a backslash or a control character (below 0x20).
#[inline]
pub(crate) fn ends_plain_run(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    control | zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\')))
        != 0
}

/// Skips string bytes from `i` eight at a time while none of them ends a
/// plain run; returns where the byte-by-byte scan takes over.
#[inline]
pub(crate) fn skip_plain(s: &[u8], mut i: usize) -> usize {
    while let Some(word) = s.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        if ends_plain_run(u64::from_le_bytes(w)) {
            break;
        }
        i += 8;
    }
    i
}

/// The index of the first byte at or after `i` that is not a space,
/// looking at eight bytes at a time: most of a pretty-printed export
/// (`kubectl get -o json` indents by four per level) is runs of spaces.
#[inline]
pub(crate) fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    while let Some(word) = s.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let diff = u64::from_le_bytes(w) ^ SPACES;
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while s.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The word-at-a-time skip stops where a byte-by-byte one would, for
    /// every run length and position around the eight-byte steps.
    #[test]
    fn skip_spaces_stops_at_the_first_other_byte() {
        for before in 0..3 {
            for run in 0..20 {
                for after in [&b""[..], b"x", b"\n  ", b"\t"] {
                    let mut s = vec![b'a'; before];
                    s.extend(std::iter::repeat_n(b' ', run));
                    s.extend_from_slice(after);
                    for start in before..=before + run {
                        let naive = (start..s.len()).find(|&j| s[j] != b' ').unwrap_or(s.len());
                        assert_eq!(super::skip_spaces(&s, start), naive, "{s:?} from {start}");
                    }
                }
            }
        }
    }

    /// Strings read eight bytes at a time come out as `serde_json` reads
    /// them, with a quote, an escape or a control character at every place
    /// around the eight-byte steps, in keys and in values.
    #[test]
    fn strings_read_the_same_around_eight_byte_steps() {
        for len in 0..20 {
            for at in 0..=len {
                for special in ["\\\"", "\\n", "\\u00e9", "é", "\\\\", "\\t"] {
                    let mut text: String = "abcdefghijklmnopqrstuvwxyz".chars().take(len).collect();
                    text.insert_str(at, special);
                    let json = format!("{{\"{text}\": \"{text}\", \"n\": [\"{text}\"]}}");
                    let want: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
                    assert_eq!(one(&json).root().to_json(), want, "{json}");
                }
                // A raw control character is an error, wherever it is.
                let mut raw: String = "abcdefghijklmnopqrstuvwxyz".chars().take(len).collect();
                raw.insert(at, '\u{1}');
                assert!(parse(&format!("{{\"k\": \"{raw}\"}}"), &JsonOptions::default()).is_err());
            }
        }
    }

    fn one(s: &str) -> Doc {
        match parse(s, &JsonOptions::default()).unwrap() {
            JsonFile::One(d) => d,
            JsonFile::List(_) => panic!("list"),
        }
    }

    #[test]
    fn values_and_positions() {
        let d = one(
            "{\n  \"a\": [1, 2.5, -3e2],\n  \"b\": {\"c\": \"x\\n\\u00e9\\ud83d\\ude00\"},\n  \"t\": true, \"n\": null\n}",
        );
        assert_eq!(
            d.root().to_json(),
            json!({"a": [1, 2.5, -300], "b": {"c": "x\né😀"}, "t": true, "n": null})
        );
        let c = d.at_pointer("/b/c").unwrap();
        assert_eq!(c.pos(), Pos::new(3, 14));
        assert_eq!(d.at_pointer("/a/1").unwrap().pos(), Pos::new(2, 12));
    }

    #[test]
    fn lists_are_split_and_managed_fields_dropped() {
        let text = r#"{"apiVersion": "v1", "items": [
  {"kind": "Pod", "metadata": {"name": "a", "managedFields": [{"x": 1}]}},
  {"kind": "Pod", "metadata": {"name": "b"}}
], "kind": "List"}"#;
        match parse(text, &JsonOptions::default()).unwrap() {
            JsonFile::List(items) => {
                assert_eq!(items.len(), 2);
                assert_eq!(
                    items[0].root().to_json(),
                    json!({"kind": "Pod", "metadata": {"name": "a"}})
                );
                assert_eq!(items[1].root().pos(), Pos::new(3, 3));
            }
            JsonFile::One(_) => panic!("not split"),
        }
    }

    #[test]
    fn dropped_managed_fields_are_checked_but_not_built() {
        let text = r#"{"kind": "Pod", "metadata": {"name": "a", "managedFields": [
  {"fieldsV1": {"f:only-in-dropped-managed-fields": {"x": [1.5e3, true, null, "s\u00e9"]}}}
]}}"#;
        let d = one(text);
        assert_eq!(
            d.root().to_json(),
            json!({"kind": "Pod", "metadata": {"name": "a"}})
        );
        // Its keys were not interned: nothing of it was built.
        assert!(crate::value::intern::lookup("f:only-in-dropped-managed-fields").is_none());
        // A broken value there is the error it is anywhere else.
        let error = |field: &str| {
            let text =
                format!("{{\"kind\": \"Pod\", \"metadata\": {{\"{field}\": [{{\"a\": tru}}]}}}}");
            parse_value(&text, &JsonOptions::default()).unwrap_err()
        };
        let dropped = error("managedFields");
        assert_eq!(dropped, error("managedFieldz"));
        assert_eq!((dropped.line, dropped.col), (1, 54));
        assert!(
            dropped.message.contains("expected a JSON value"),
            "{dropped:?}"
        );
    }

    #[test]
    fn objects_with_items_that_are_not_lists_stay_whole() {
        let d = one(r#"{"kind": "Thing", "items": [{"a": 1}]}"#);
        assert_eq!(
            d.root().to_json(),
            json!({"kind": "Thing", "items": [{"a": 1}]})
        );
    }

    #[test]
    fn errors_say_where() {
        let e = parse("{\n  \"a\": 1,\n  \"b\" 2\n}", &JsonOptions::default()).unwrap_err();
        assert_eq!((e.line, e.col), (3, 7));
        assert!(e.message.contains("expected `:`"), "{}", e.message);
        let e = parse("[1, 2", &JsonOptions::default()).unwrap_err();
        assert!(e.message.contains("`,` or `]`"));
        // What follows an item or an entry, in a document and in the
        // top object and item list of a list export.
        for (text, want) in [
            ("[1 2]", "expected `,` or `]` in a list, found `2`"),
            (
                "{\"a\": 1 \"b\": 2}",
                "expected `,` or `}` in an object, found `\"`",
            ),
            (
                "{\"kind\": \"List\" \"items\": []}",
                "expected `,` or `}` in an object, found `\"`",
            ),
            (
                "{\"kind\": \"List\", \"items\": [{} {}]}",
                "expected `,` or `]` in a list, found `{`",
            ),
        ] {
            let e = parse(text, &JsonOptions::default()).unwrap_err();
            assert_eq!(e.message, want, "{text}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        let e = parse(&deep, &JsonOptions::default()).unwrap_err();
        assert!(e.message.contains("nests deeper"));
    }

    /// Ward keeps one number type; compare numbers by value.
    fn numbers_as_f64(v: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::Number(n) => json!(n.as_f64().unwrap()),
            Value::Array(a) => Value::Array(a.iter().map(numbers_as_f64).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), numbers_as_f64(v)))
                    .collect(),
            ),
            v => v.clone(),
        }
    }

    /// Texts put together at random from the pieces of JSON the reader
    /// takes eight bytes at a time (runs of spaces, strings with escapes
    /// and multi-byte text at every offset) or parses by hand (numbers,
    /// words), some of them broken: what `serde_json` reads, the reader
    /// reads the same, and what it rejects, the reader rejects. (A lone
    /// surrogate escape, which `serde_json` rejects, the reader reads as
    /// U+FFFD, and it is left out.)
    #[test]
    fn agrees_with_serde_json_on_texts_put_together_at_random() {
        const STRINGS: &[&str] = &[
            "",
            "a",
            "plain text",
            "exactly8",
            "\\\"",
            "\\\\",
            "\\/",
            "\\b\\f\\n\\r\\t",
            "\\u00e9",
            "\\ud83d\\ude00",
            "é",
            "✓",
            "😀",
            "\u{7f}",
            "tab\\there",
            "\t",
            "\n",
            "\\x",
            "\\u12",
        ];
        const NUMBERS: &[&str] = &[
            "0",
            "-0",
            "12",
            "-3.25",
            "1e5",
            "1E-2",
            "2.5e+3",
            "12345678901234567890",
            "123456789012345",
            "0.1",
            "-0.0",
            "1e400",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
        ];
        const SPACES: &[&str] = &[
            "",
            " ",
            "  ",
            "        ",
            "         ",
            "\n",
            "\r\n",
            "\t",
            " \n       ",
        ];
        let mut next = crate::input::picker(0x1d87_2b41_c3a9_66e5_u64);
        fn value(next: &mut dyn FnMut(usize) -> usize, depth: usize, out: &mut String) {
            let ws = |next: &mut dyn FnMut(usize) -> usize, out: &mut String| {
                out.push_str(SPACES[next(SPACES.len())]);
            };
            match next(if depth > 6 { 3 } else { 6 }) {
                0 => {
                    out.push('"');
                    for _ in 0..next(6) {
                        out.push_str(STRINGS[next(STRINGS.len())]);
                    }
                    out.push('"');
                }
                1 => out.push_str(NUMBERS[next(NUMBERS.len())]),
                2 => out.push_str(["true", "false", "null", "tru", "nul"][next(5)]),
                3 => {
                    out.push('[');
                    for i in 0..next(5) {
                        if i > 0 {
                            out.push(',');
                        }
                        ws(next, out);
                        value(next, depth + 1, out);
                        ws(next, out);
                    }
                    out.push(']');
                }
                _ => {
                    out.push('{');
                    for i in 0..next(5) {
                        if i > 0 {
                            out.push(',');
                        }
                        ws(next, out);
                        out.push_str(
                            ["\"k\"", "\"kind\"", "\"a b\"", "\"\\u006b\"", "\"é\""][next(5)],
                        );
                        ws(next, out);
                        out.push(':');
                        ws(next, out);
                        value(next, depth + 1, out);
                    }
                    out.push('}');
                }
            }
        }
        let (mut same, mut rejected) = (0, 0);
        for _ in 0..20_000 {
            let mut text = String::new();
            value(&mut next, 0, &mut text);
            let ours = parse_value(&text, &JsonOptions::default());
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(theirs) => {
                    same += 1;
                    let ours = ours
                        .unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
                        .root()
                        .to_json();
                    assert_eq!(numbers_as_f64(&ours), numbers_as_f64(&theirs), "{text:?}");
                }
                Err(_) => {
                    rejected += 1;
                    assert!(ours.is_err(), "{text:?} was read");
                }
            }
        }
        assert!(
            same > 5000 && rejected > 5000,
            "{same} read, {rejected} rejected"
        );
    }

    #[test]
    fn agrees_with_serde_json() {
        for s in [
            r#"{"a":[{},[],"",0,-0.5,1e10,true,false,null]}"#,
            r#"[["\"\\\/\b\f\n\r\t"]]"#,
            r#""plain""#,
            "12345678901234567890",
        ] {
            let ours = parse_value(s, &JsonOptions::default())
                .unwrap()
                .root()
                .to_json();
            let theirs: serde_json::Value = serde_json::from_str(s).unwrap();
            assert_eq!(numbers_as_f64(&ours), numbers_as_f64(&theirs), "{s}");
        }
    }
}
