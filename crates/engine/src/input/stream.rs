//! Large JSON exports, read in blocks and parsed in parallel.
//!
//! A cluster export is one object whose `items` array holds every resource.
//! Reading it whole would keep the text and all the documents in memory at
//! once; instead a small state machine scans each block for the start and
//! end of each item (tracking strings, escapes, nesting and lines), and the
//! complete items of a block are parsed into documents on all cores while
//! the next block is read. Memory is the documents plus a block or two.

use super::json::{self, JsonError, JsonOptions};
use crate::value::doc::{Doc, DocBuilder};
use rayon::prelude::*;
use std::io::Read;

/// The UTF-8 byte-order mark.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// How much to read at a time. Reading holds three or four blocks beside
/// the documents (the block being scanned, the next being read, the items
/// being parsed): with 8 MB blocks that was 32 MB, a third of the memory of
/// checking a 55 MB export; items are parsed as fast from 1 MB blocks.
const BLOCK: usize = 1024 * 1024;

/// An item's place in the file.
#[derive(Clone, Copy, Debug)]
struct Item {
    /// Byte offsets in the file.
    start: u64,
    end: u64,
    line: u64,
    col: u64,
}

/// The scanner's state between blocks.
#[derive(Debug, Default)]
struct Scanner {
    offset: u64,
    line: u64,
    line_start: u64,
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Depth-1 key text while it is being read, and the last complete key.
    reading_key: Option<Vec<u8>>,
    key: Vec<u8>,
    expect_key: bool,
    /// Whether the items array is open, and where the current item began.
    in_items: bool,
    item: Option<(u64, u64, u64)>,
    /// The top-level `kind` value, when read.
    kind: Vec<u8>,
    reading_kind: Option<Vec<u8>>,
    after_kind_colon: bool,
    seen_items: bool,
    /// The first structural problem, if any.
    error: Option<String>,
}

impl Scanner {
    fn new() -> Scanner {
        Scanner {
            line: 1,
            ..Default::default()
        }
    }

    /// Scans a block; complete items are appended to `out`.
    fn scan(&mut self, block: &[u8], out: &mut Vec<Item>) {
        let mut i = 0;
        while let Some(&b) = block.get(i) {
            if self.depth >= 3 {
                // Inside an item: only strings, nesting and lines matter.
                i = self.skip_inside_item(block, i, out);
                continue;
            }
            self.step(b, i, out);
            i += 1;
        }
        self.offset += block.len() as u64;
    }

    /// Scans from `i` while inside an item (depth 3 or more), jumping over
    /// string contents with `memchr`; returns where it stopped: the end of
    /// the block, or just after the item closed.
    fn skip_inside_item(&mut self, block: &[u8], mut i: usize, out: &mut Vec<Item>) -> usize {
        let len = block.len();
        while i < len {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                    if block.get(i) == Some(&b'\n') {
                        self.newline(i);
                    }
                    i += 1;
                    continue;
                }
                let rest = block.get(i..).unwrap_or(&[]);
                let Some(k) = memchr::memchr3(b'"', b'\\', b'\n', rest) else {
                    return len;
                };
                let j = i + k;
                match block.get(j) {
                    Some(b'"') => self.in_string = false,
                    Some(b'\\') => self.escape = true,
                    _ => self.newline(j),
                }
                i = j + 1;
                continue;
            }
            // Outside strings: a tight loop over the bytes that matter.
            while let Some(&b) = block.get(i) {
                i += 1;
                match b {
                    b'"' => {
                        self.in_string = true;
                        break;
                    }
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth < 3 {
                            if self.in_items
                                && let Some((start, line, col)) = self.item.take()
                            {
                                out.push(Item {
                                    start,
                                    end: self.offset + i as u64,
                                    line,
                                    col,
                                });
                            }
                            return i;
                        }
                    }
                    b'\n' => self.newline(i - 1),
                    b' ' => i = super::json::skip_spaces(block, i),
                    _ => {}
                }
            }
        }
        len
    }

    /// A line ends at block index `i`.
    #[inline]
    fn newline(&mut self, i: usize) {
        self.line += 1;
        self.line_start = self.offset + i as u64 + 1;
    }

    /// One byte, outside items (the list's own keys and the gaps between
    /// items) or at their start.
    fn step(&mut self, b: u8, i: usize, out: &mut Vec<Item>) {
        let at = self.offset + i as u64;
        if self.in_string {
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
                if let Some(k) = self.reading_key.take() {
                    self.key = k;
                } else if let Some(k) = self.reading_kind.take() {
                    self.kind = k;
                }
                return;
            }
            if let Some(k) = self.reading_key.as_mut() {
                if k.len() < 64 {
                    k.push(b);
                }
            } else if let Some(k) = self.reading_kind.as_mut()
                && k.len() < 256
            {
                k.push(b);
            }
            if b == b'\n' {
                self.newline(i);
            }
            return;
        }
        match b {
            b'\n' => {
                self.newline(i);
            }
            b'"' => {
                self.in_string = true;
                if self.depth == 2 && self.in_items && self.item.is_none() {
                    // A string as an item: the whole-file reader says what
                    // it is.
                    self.error
                        .get_or_insert_with(|| "an item of `items` is not an object".into());
                }
                if self.depth == 1 && self.expect_key {
                    self.reading_key = Some(Vec::new());
                    self.expect_key = false;
                } else if self.depth == 1 && self.after_kind_colon {
                    self.reading_kind = Some(Vec::new());
                }
                self.after_kind_colon = false;
            }
            b':' if self.depth == 1 => {
                self.after_kind_colon = self.key == b"kind";
            }
            b'{' | b'[' => {
                if self.depth == 0 && b != b'{' {
                    self.error
                        .get_or_insert_with(|| "the file is not one JSON object".into());
                }
                if self.depth == 1 && b == b'[' && self.key == b"items" && !self.seen_items {
                    self.in_items = true;
                    self.seen_items = true;
                } else if self.depth == 2 && self.in_items {
                    self.item = Some((at, self.line, at - self.line_start + 1));
                }
                self.depth += 1;
                if self.depth == 1 {
                    self.expect_key = true;
                }
                self.after_kind_colon = false;
            }
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 2 && self.in_items {
                    if let Some((start, line, col)) = self.item.take() {
                        out.push(Item {
                            start,
                            end: at + 1,
                            line,
                            col,
                        });
                    }
                } else if self.depth == 1 && self.in_items {
                    self.in_items = false;
                }
                self.after_kind_colon = false;
            }
            b',' => {
                if self.depth == 1 {
                    self.expect_key = true;
                }
                self.after_kind_colon = false;
            }
            b' ' | b'\t' | b'\r' => {}
            // A byte-order mark is not a column of the first line, as the
            // whole-file reader counts them.
            _ if at < 3 && BOM.get(at as usize) == Some(&b) && self.line_start == at => {
                self.line_start = at + 1;
            }
            _ => {
                if self.depth == 2 && self.in_items && self.item.is_none() {
                    self.error
                        .get_or_insert_with(|| "an item of `items` is not an object".into());
                }
                self.after_kind_colon = false;
            }
        }
    }
}

/// What a streamed file produced.
#[derive(Debug)]
pub struct Streamed {
    /// Documents with their index in `items` (an item that is not valid
    /// JSON is an error, and keeps its index), and what the thread that
    /// parsed each found of it while it was fresh in its cache.
    pub docs: Vec<(u32, Doc, super::Head)>,
    pub errors: Vec<JsonError>,
}

/// Whether a file looks like a list export worth streaming: it starts with
/// `{` (after white space) and mentions `"items"` early.
pub fn looks_like_list(head: &[u8]) -> bool {
    let trimmed = head
        .iter()
        .position(|b| !b" \t\r\n".contains(b))
        .and_then(|i| head.get(i..));
    let starts_object = matches!(
        trimmed,
        Some([b'{', ..]) | Some([0xEF, 0xBB, 0xBF, b'{', ..])
    );
    starts_object && head.windows(7).any(|w| w == b"\"items\"")
}

/// Reads a list export block by block. `None` when the file turns out not
/// to be a list object (the caller reads it whole instead).
pub fn read_list(
    reader: &mut (impl Read + Send),
    opts: &JsonOptions,
) -> std::io::Result<Option<Streamed>> {
    read_blocks(reader, opts, BLOCK)
}

/// [`read_list`] with blocks of a given size.
fn read_blocks(
    reader: &mut (impl Read + Send),
    opts: &JsonOptions,
    size: usize,
) -> std::io::Result<Option<Streamed>> {
    let mut scanner = Scanner::new();
    let mut buf: Vec<u8> = Vec::with_capacity(size * 2);
    // The file offset of buf[0].
    let mut base: u64 = 0;
    let mut docs: Vec<(u32, Doc, super::Head)> = Vec::new();
    let mut errors: Vec<JsonError> = Vec::new();
    let mut pending: Vec<Item> = Vec::new();
    // The bytes the next turn parses from, put together while this turn's
    // items are parsed: what is left after them, then the block.
    let mut spare: Vec<u8> = Vec::with_capacity(size * 2);
    let mut block = vec![0u8; size];
    let mut next = vec![0u8; size];
    let mut n = read_full(reader, &mut block)?;
    while n > 0 {
        let chunk = block.get(..n).unwrap_or(&[]);
        let mut found = Vec::new();
        // The bytes of the items parsed this turn are dropped; the rest,
        // the start of an item the block cuts, is kept.
        let keep_from = pending.last().map(|it| it.end).unwrap_or(base);
        let cut = ((keep_from - base) as usize).min(buf.len());
        let mut joined = std::mem::take(&mut spare);
        // Parse what the previous block completed while this one is
        // scanned, the next one read, and the bytes the next turn parses
        // from put together: copied on one core between turns, while the
        // other waited, they had reading a 553 MB export take 0.63 s
        // rather than 0.58.
        let (parsed, read) = rayon::join(
            || parse_items(&buf, base, &pending, opts),
            || {
                scanner.scan(chunk, &mut found);
                joined.clear();
                joined.extend_from_slice(buf.get(cut..).unwrap_or(&[]));
                joined.extend_from_slice(chunk);
                read_full(reader, &mut next)
            },
        );
        collect(parsed, &mut docs, &mut errors);
        spare = std::mem::replace(&mut buf, joined);
        base += cut as u64;
        pending = found;
        std::mem::swap(&mut block, &mut next);
        n = read?;
        if scanner.error.is_some() || (!scanner.seen_items && scanner.offset > 64 * 1024 * 1024) {
            return Ok(None);
        }
    }
    let parsed = parse_items(&buf, base, &pending, opts);
    collect(parsed, &mut docs, &mut errors);
    if scanner.error.is_some() || !scanner.seen_items || !scanner.kind.ends_with(b"List") {
        return Ok(None);
    }
    if scanner.depth != 0 || scanner.in_string {
        errors.push(JsonError {
            line: scanner.line as usize,
            col: (scanner.offset - scanner.line_start + 1) as usize,
            message: "the file ends before the JSON value does".into(),
        });
    }
    Ok(Some(Streamed { docs, errors }))
}

/// Adds parsed items in order: each is a document or an error, so the
/// index of the next is how many there are of both.
fn collect(
    parsed: Vec<Result<(Doc, super::Head), JsonError>>,
    docs: &mut Vec<(u32, Doc, super::Head)>,
    errors: &mut Vec<JsonError>,
) {
    for p in parsed {
        let index = u32::try_from(docs.len() + errors.len()).unwrap_or(u32::MAX);
        match p {
            Ok((d, h)) => docs.push((index, d, h)),
            Err(e) => errors.push(e),
        }
    }
}

fn parse_items(
    buf: &[u8],
    base: u64,
    items: &[Item],
    opts: &JsonOptions,
) -> Vec<Result<(Doc, super::Head), JsonError>> {
    items
        .par_iter()
        .map_init(DocBuilder::new, |b, it| {
            let bytes = buf
                .get((it.start - base) as usize..(it.end - base) as usize)
                .unwrap_or(&[]);
            match std::str::from_utf8(bytes) {
                Ok(text) => {
                    json::parse_item(b, text, it.line as usize, it.col as usize, opts).map(|d| {
                        let h = super::Head::of(&d);
                        (d, h)
                    })
                }
                Err(e) => Err(JsonError {
                    line: it.line as usize,
                    col: it.col as usize,
                    message: format!(
                        "the item is not valid UTF-8 (at byte {} of it)",
                        e.valid_up_to()
                    ),
                }),
            }
        })
        .collect()
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or(&mut [])) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(text: &str) -> Option<Streamed> {
        read_list(&mut text.as_bytes(), &JsonOptions::default()).unwrap()
    }

    #[test]
    fn splits_items_with_their_positions() {
        let text = "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\"kind\": \"Pod\", \"a\": \"}]{[\\\"\"},\n    {\"kind\": \"Svc\",\n     \"b\": [1, {\"c\": 2}]}\n  ],\n  \"kind\": \"List\"\n}\n";
        let s = stream(text).unwrap();
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.docs.len(), 2);
        assert_eq!(s.docs[0].1.root().to_json()["a"], "}]{[\"");
        assert_eq!(s.docs[1].1.root().pos().line, 5);
        assert_eq!(s.docs[1].1.root().pos().col, 5);
        let b = s.docs[1].1.at_pointer("/b/1/c").unwrap();
        assert_eq!((b.pos().line, b.pos().col), (6, 21));
    }

    #[test]
    fn agrees_with_the_whole_file_reader() {
        let mut text = String::from("{\"items\": [");
        for i in 0..2000 {
            if i > 0 {
                text.push_str(",\n");
            }
            text.push_str(&format!(
                "{{\"kind\": \"Pod\", \"metadata\": {{\"name\": \"p{i}\", \"managedFields\": [{{\"x\": 1}}]}}, \"spec\": {{\"n\": {i}, \"s\": \"x\\\\y\"}}}}"
            ));
        }
        text.push_str("], \"kind\": \"PodList\"}");
        let streamed = stream(&text).unwrap();
        let whole = match json::parse(&text, &JsonOptions::default()).unwrap() {
            json::JsonFile::List(d) => d,
            json::JsonFile::One(_) => panic!("not a list"),
        };
        assert_eq!(streamed.docs.len(), whole.len());
        for ((_, a, _), b) in streamed.docs.iter().zip(&whole) {
            assert_eq!(a.root().to_json(), b.root().to_json());
            assert_eq!(a.root().pos(), b.root().pos());
        }
    }

    #[test]
    fn items_are_found_the_same_whatever_the_block_boundaries() {
        // Escapes, quotes, brackets and newlines inside strings, split at
        // every possible place between blocks.
        let text = "{\"kind\": \"List\", \"items\": [\n  {\"a\": \"x\\\\\\\"}]\",\n   \"b\": [{\"c\": \"[{\"}]},\n  {\"d\": \"\\\\\"}\n]}\n";
        let whole = {
            let mut sc = Scanner::new();
            let mut out = Vec::new();
            sc.scan(text.as_bytes(), &mut out);
            out.iter()
                .map(|it| (it.start, it.end, it.line, it.col))
                .collect::<Vec<_>>()
        };
        assert_eq!(whole.len(), 2, "{whole:?}");
        assert_eq!((whole[1].2, whole[1].3), (4, 3));
        for size in 1..=9 {
            let mut sc = Scanner::new();
            let mut out = Vec::new();
            for chunk in text.as_bytes().chunks(size) {
                sc.scan(chunk, &mut out);
            }
            let got: Vec<_> = out
                .iter()
                .map(|it| (it.start, it.end, it.line, it.col))
                .collect();
            assert_eq!(got, whole, "blocks of {size} bytes");
            assert!(sc.error.is_none() && sc.depth == 0 && !sc.in_string);
        }
    }

    /// Blocks far smaller than the items: items straddle blocks, some
    /// span several, and every block is read while the one before is
    /// parsed. The documents and their positions are those of one block.
    #[test]
    fn small_blocks_give_the_documents_one_block_gives() {
        let mut text =
            String::from("{\"kind\": \"List\", \"apiVersion\": \"v1\",\n \"items\": [\n");
        for i in 0..200 {
            if i > 0 {
                text.push_str(",\n");
            }
            let pad = "x".repeat(i * 7 % 300);
            text.push_str(&format!(
                "  {{\"kind\": \"Pod\", \"metadata\": {{\"name\": \"p{i}\"}},\n   \"pad\": \"{pad}\", \"n\": [{i}, {{\"m\": \"]}}\\\"\"}}]}}"
            ));
        }
        text.push_str("\n]}\n");
        let read = |size: usize| {
            let Ok(Some(s)) = read_blocks(&mut text.as_bytes(), &JsonOptions::default(), size)
            else {
                panic!("the list streams with blocks of {size} bytes");
            };
            assert!(s.errors.is_empty(), "{:?}", s.errors);
            s.docs
                .iter()
                .map(|(_, d, _)| {
                    let inner = d.at_pointer("/n/1/m").map(|n| n.pos());
                    (d.root().to_json(), d.root().pos(), inner)
                })
                .collect::<Vec<_>>()
        };
        let whole = read(text.len() + 1);
        assert_eq!(whole.len(), 200);
        assert_eq!(whole[7].0["metadata"]["name"], "p7");
        for size in [1, 13, 64, 500, 4096] {
            assert_eq!(read(size), whole, "blocks of {size} bytes");
        }
    }

    #[test]
    fn other_shapes_are_left_to_the_whole_file_reader() {
        assert!(stream("[1, 2]").is_none());
        assert!(stream("{\"kind\": \"Thing\", \"items\": [{\"a\": 1}]}").is_none());
        assert!(stream("{\"items\": [1, 2], \"kind\": \"List\"}").is_none());
    }

    #[test]
    fn a_string_item_leaves_the_file_to_the_whole_file_reader() {
        // Which says it is not a resource, rather than dropping it.
        assert!(stream("{\"kind\": \"List\", \"items\": [\"s\", {\"kind\": \"Pod\"}]}").is_none());
        assert!(stream("{\"kind\": \"List\", \"items\": [{\"kind\": \"Pod\"}, 7]}").is_none());
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let text = "\u{feff}{\"kind\": \"List\", \"items\": [{\"kind\": \"Pod\"}]}";
        for size in [1, 2, 64] {
            let s = read_blocks(&mut text.as_bytes(), &JsonOptions::default(), size)
                .unwrap()
                .unwrap();
            assert_eq!(s.docs[0].1.root().pos(), crate::value::doc::Pos::new(1, 28));
        }
    }

    /// Every node of a document with its pointer and position.
    fn nodes(d: &Doc) -> Vec<(String, crate::value::doc::Pos, String)> {
        let mut out = Vec::new();
        let mut stack = vec![d.root()];
        while let Some(n) = stack.pop() {
            let leaf = if n.is_container() {
                String::new()
            } else {
                n.to_json().to_string()
            };
            out.push((n.pointer(), n.pos(), leaf));
            stack.extend(n.entries().map(|(_, v)| v).chain(n.items()));
        }
        out
    }

    /// Lists put together at random from items that are awkward to cut
    /// out of a stream (quotes, escapes, brackets and braces inside
    /// strings, multi-byte text, `managedFields`, odd spacing and line
    /// endings, broken items): read in blocks of any size, an export that
    /// the whole-file reader reads gives the same documents, node by node
    /// and position by position, and one it rejects gives an error.
    #[test]
    fn streaming_agrees_with_the_whole_file_reader_on_lists_put_together_at_random() {
        const ITEMS: &[&str] = &[
            "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}",
            "{\"kind\":\"Pod\",\"s\":\"}]{[\\\"\"}",
            "{\"kind\": \"Pod\", \"s\": \"x\\\\\", \"t\": \"\\\\\\\"\"}",
            "{\"kind\": \"Pod\", \"u\": \"\\u00e9\\ud83d\\ude00 é ✓\"}",
            "{\"kind\": \"Pod\", \"metadata\": {\"managedFields\": [{\"f:a\": {\"]\": \"[\"}}], \"name\": \"m\"}}",
            "{\n  \"kind\": \"Pod\",\n  \"list\": [1, -2.5e3, true, null, [], {}]\n}",
            "{\r\n\t\"kind\": \"Pod\",\r\n\t\"n\": {\"x\": [[{\"y\": \"\\n\"}]]}\r\n}",
            "  {\"kind\": \"Pod\"}  ",
            "{\"kind\": \"Pod\", \"dup\": 1, \"dup\": 2}",
            "[1, 2, {\"x\": \"]\"}]",
            "\"a string item\"",
            "7",
        ];
        const BROKEN: &[&str] = &[
            "{\"kind\": \"Pod\" \"x\": 1}",
            "{\"kind\": \"Pod\", \"x\": tru}",
            "{\"kind\": \"Pod\", \"x\": \"raw\nline\"}",
            "{\"kind\": \"Pod\", \"x\": 01}",
            "{\"kind\": \"Pod\", \"x\": \"\\q\"}",
        ];
        let mut next = crate::input::picker(0x2545_f491_4f6c_dd1d_u64);
        let opts = JsonOptions::default();
        let (mut same, mut rejected) = (0, 0);
        for _ in 0..3000 {
            let items: Vec<&str> = (0..next(12))
                .map(|_| match next(20) {
                    0 => BROKEN[next(BROKEN.len())],
                    _ => ITEMS[next(ITEMS.len())],
                })
                .collect();
            let sep = [",", ",\n", " ,\r\n  ", ",\t"][next(4)];
            let body = items.join(sep);
            let text = match next(9) {
                0 => format!("{{\"apiVersion\": \"v1\", \"items\": [{body}], \"kind\": \"List\"}}"),
                1 => {
                    format!("{{\n    \"kind\": \"PodList\",\n    \"items\": [\n{body}\n    ]\n}}\n")
                }
                2 => {
                    format!("{{\"items\":[{body}],\"kind\":\"List\",\"metadata\":{{\"x\":\"]\"}}}}")
                }
                // Shapes that are not quite a list export.
                3 => format!("{{\"items\": [{body}], \"items\": [], \"kind\": \"List\"}}"),
                4 => format!("{{\"kind\": \"List\", \"kind\": \"Pod\", \"items\": [{body}]}}"),
                5 => format!(
                    "{{\"metadata\": {{\"items\": [{{}}]}}, \"items\": [{body}], \"kind\": \"List\"}}"
                ),
                6 => format!("{{\"kind\": \"Thing\", \"items\": [{body}]}}"),
                7 => format!("{{\"items\": [{body}]}}"),
                _ => format!("\u{feff}{{\"kind\": \"List\", \"items\": [{body}]}} "),
            };
            let whole = json::parse(&text, &opts);
            for size in [5, 61] {
                let Some(streamed) = read_blocks(&mut text.as_bytes(), &opts, size).unwrap() else {
                    continue;
                };
                match &whole {
                    Ok(json::JsonFile::List(docs)) => {
                        same += 1;
                        assert!(
                            streamed.errors.is_empty(),
                            "{text:?}: {:?}",
                            streamed.errors
                        );
                        let a: Vec<_> = streamed.docs.iter().map(|(_, d, _)| nodes(d)).collect();
                        let b: Vec<_> = docs.iter().map(nodes).collect();
                        assert_eq!(a, b, "{text:?} in blocks of {size}");
                    }
                    Ok(json::JsonFile::One(_)) => panic!("streamed, but not a list: {text:?}"),
                    Err(_) => {
                        rejected += 1;
                        assert!(!streamed.errors.is_empty(), "{text:?}");
                    }
                }
            }
        }
        assert!(
            same > 1500 && rejected > 300,
            "{same} the same, {rejected} rejected"
        );
    }

    #[test]
    fn a_broken_item_is_an_error_and_the_rest_still_load() {
        let s =
            stream("{\"kind\": \"List\", \"items\": [{\"a\": 1}, {\"b\" 2}, {\"c\": 3}]}").unwrap();
        assert_eq!(s.docs.len(), 2);
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].line, 1);
    }
}
