//! YAML streams to [`Doc`]s, with the line and column of every value.
//!
//! Built on saphyr-parser's event stream (the maintained successor of the
//! yaml-rust line that serde_yaml's authors pointed to). Scalars follow the
//! YAML 1.2 core schema, so `on:` in a GitHub workflow stays the string
//! `on`. Anchors and aliases are expanded with a bound on the number of nodes
//! an expansion may create; `<<` merge keys are applied. A syntax error ends
//! its document only: reading resumes at the next `---`.

use crate::value::doc::{Doc, DocBuilder, Pos};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub struct YamlOptions {
    pub max_depth: usize,
    /// How many nodes alias expansion may add to one file.
    pub max_alias_nodes: usize,
    pub max_documents: usize,
    /// Leave `metadata.managedFields` of each resource out, as the JSON
    /// reader does: the server's bookkeeping, which no control reads.
    pub drop_managed_fields: bool,
}

impl Default for YamlOptions {
    fn default() -> Self {
        YamlOptions {
            max_depth: 256,
            max_alias_nodes: 100_000,
            max_documents: 100_000,
            drop_managed_fields: true,
        }
    }
}

/// One document of a stream.
#[derive(Debug)]
pub struct YamlDoc {
    /// `None` for an empty document.
    pub doc: Option<Doc>,
    /// 0-based index of the document in the file.
    pub index: usize,
    /// The line of the document's first content (or its `---`).
    pub line: usize,
    /// Keys given twice in one mapping (the later value is kept).
    pub duplicates: Vec<(String, Pos)>,
    /// Mappings or sequences used as keys, which JSON cannot hold (kept as
    /// the key `<complex key>`): typically `{{ ... }}` of a template.
    pub complex_keys: Vec<Pos>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// The parser's message, reworded where it would puzzle a reader.
fn scan_message(info: &str) -> String {
    match info {
        // The scanner counts `[` and `{` nesting in a byte.
        "recursion limit exceeded" => {
            "the document nests more than 255 levels of `[...]` or `{...}`, more than Ward reads"
                .to_string()
        }
        _ => info.to_string(),
    }
}

/// Parses every document of a YAML stream. Errors do not stop the documents
/// after them from being read.
///
/// A long stream (`helm template` or `kustomize build` of a whole system)
/// is cut at its `---` lines and the pieces are parsed on all cores. The
/// pieces' documents are what one pass over the stream gives whenever no
/// piece needs the others: when one has an error, an alias (the budget is
/// the file's), a directive, or the file holds too many documents, the
/// stream is parsed again in one pass, which says exactly where and why.
pub fn parse_stream(text: &str, opts: &YamlOptions) -> (Vec<YamlDoc>, Vec<YamlError>) {
    match parse_pieces(text, opts, PIECE) {
        Some(docs) => (docs, Vec::new()),
        None => parse_in_one_pass(text, opts),
    }
}

/// The smallest piece of a stream parsed on its own: below it, handing
/// pieces to other threads costs more than it saves.
const PIECE: usize = 256 * 1024;

/// The documents of a stream parsed in pieces of at least `piece` bytes;
/// `None` when it is one piece, or the pieces cannot stand alone (see
/// [`parse_stream`]).
fn parse_pieces(text: &str, opts: &YamlOptions, piece: usize) -> Option<Vec<YamlDoc>> {
    use rayon::prelude::*;
    let want = text.len() / (rayon::current_num_threads() * 4).max(1);
    let starts = cuts(text, 0..text.len(), want.max(piece), b"\n---", |after| {
        matches!(after, None | Some(b'\n' | b'\r' | b' ' | b'\t'))
    });
    if starts.len() < 2 || has_directive(text) {
        return None;
    }
    let parsed: Vec<Option<Vec<YamlDoc>>> = pieces(text, &starts, text.len(), 0)
        .par_iter()
        .map(|(range, line)| {
            let mut st = State::new(opts, *line, 0, opts.max_alias_nodes);
            let ok = st.run(text.get(range.clone())?).is_ok();
            (ok && st.alias_budget == opts.max_alias_nodes).then_some(st.docs)
        })
        .collect();
    let mut docs: Vec<YamlDoc> = Vec::new();
    for piece in parsed {
        let first = docs.len();
        docs.extend(piece?.into_iter().map(|mut d| {
            d.index += first;
            d
        }));
    }
    (docs.len() <= opts.max_documents).then_some(docs)
}

/// Where the pieces of `within` start: its start, then the first line at
/// least `size` bytes after the start before that begins with `needle`
/// (after its line break) followed by a byte `after` accepts. Only the
/// bytes after each jump are searched, not the whole text.
fn cuts(
    text: &str,
    within: std::ops::Range<usize>,
    size: usize,
    needle: &[u8],
    after: impl Fn(Option<u8>) -> bool,
) -> Vec<usize> {
    let bytes = text.as_bytes().get(..within.end).unwrap_or_default();
    let finder = memchr::memmem::Finder::new(needle);
    let mut starts = vec![within.start];
    let mut at = within.start;
    while let Some(mut search) = at.checked_add(size).filter(|&f| f < bytes.len()) {
        let found = loop {
            let Some(i) = bytes.get(search..).and_then(|b| finder.find(b)) else {
                break None;
            };
            let start = search + i + 1;
            if after(bytes.get(start + needle.len() - 1).copied()) {
                break Some(start);
            }
            search = start;
        };
        let Some(start) = found else {
            break;
        };
        starts.push(start);
        at = start;
    }
    starts
}

/// The pieces that start at `starts` and end at the next start (the last
/// at `end`), each with the 0-based line it starts on, `first_line` being
/// the first's. Lines are counted on all cores, each piece its own.
fn pieces(
    text: &str,
    starts: &[usize],
    end: usize,
    first_line: usize,
) -> Vec<(std::ops::Range<usize>, usize)> {
    use rayon::prelude::*;
    let ranges: Vec<_> = starts
        .iter()
        .zip(starts.iter().skip(1).copied().chain([end]))
        .map(|(&a, b)| a..b)
        .collect();
    let counts: Vec<usize> = ranges
        .par_iter()
        .map(|r| {
            memchr::memchr_iter(b'\n', text.as_bytes().get(r.clone()).unwrap_or_default()).count()
        })
        .collect();
    let mut line = first_line;
    ranges
        .into_iter()
        .zip(counts)
        .map(|(r, n)| {
            let at = line;
            line += n;
            (r, at)
        })
        .collect()
}

/// The document start markers of a stream (`---` at the start of a line,
/// then a space, a tab, a line break or the end of the text), in order:
/// each one's byte offset and 0-based line. They are where
/// [`parse_stream`] may cut a stream into pieces, and what a fix verified
/// in one document is checked against (see `report::edit`).
pub(crate) fn document_starts(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let marker_ends =
        |at: usize| matches!(bytes.get(at + 3), None | Some(b'\n' | b'\r' | b' ' | b'\t'));
    let mut out = Vec::new();
    if bytes.starts_with(b"---") && marker_ends(0) {
        out.push((0, 0));
    }
    let (mut line, mut counted) = (0, 0);
    for i in memchr::memmem::find_iter(bytes, b"\n---") {
        let at = i + 1;
        if marker_ends(at) {
            line += memchr::memchr_iter(b'\n', bytes.get(counted..at).unwrap_or_default()).count();
            counted = at;
            out.push((at, line));
        }
    }
    out
}

/// Whether a line starts with `%`: a directive, which belongs to the
/// document after it.
pub(crate) fn has_directive(text: &str) -> bool {
    text.starts_with('%') || memchr::memmem::find(text.as_bytes(), b"\n%").is_some()
}

/// A stream that is one `kind: List` object as `kubectl get -o yaml` writes
/// it (`items:` at the first column, each item a `- ` entry there), read
/// item by item on all cores: the line of the list object, and each item
/// copied into a document of its own, as loading splits a list. The items
/// are what parsing the whole object gives whenever they stand alone;
/// `None` when the text has another shape, or anything in it needs the
/// rest of the object (an error, an alias, a directive, a key given twice,
/// a mapping used as a key), and the stream is read as usual.
pub fn parse_list(text: &str, opts: &YamlOptions) -> Option<(usize, Vec<Doc>)> {
    parse_list_in(text, opts, PIECE)
}

/// [`parse_list`] in runs of items of at least `piece` bytes.
fn parse_list_in(text: &str, opts: &YamlOptions, piece: usize) -> Option<(usize, Vec<Doc>)> {
    use rayon::prelude::*;
    if text.len() < 2 * piece {
        return None;
    }
    let region = list_region(text)?;
    // The rest of the object is read whole: it must be the few lines
    // around the items.
    if text.len() - region.end > FRAME || has_directive(text) {
        return None;
    }
    let frame = format!("{}{}", text.get(..region.start)?, text.get(region.end..)?);
    let (list, documents) = alone(&frame, 0, opts)?;
    let root = list.root();
    if documents != 1 {
        return None;
    }
    let kind = root.get_str("kind").and_then(|k| k.as_str())?;
    if !kind.ends_with("List") || !root.get_str("items").is_some_and(|i| i.is_null()) {
        return None;
    }
    let starts = cuts(text, region.clone(), piece, b"\n-", |after| {
        matches!(after, Some(b' ' | b'\n' | b'\r'))
    });
    let first_line = memchr::memchr_iter(b'\n', text.as_bytes().get(..region.start)?).count();
    // An item is a level shallower in its piece than in the list object:
    // the depth limit is one less, so that a piece fails where the whole
    // object would.
    let shallower = YamlOptions {
        max_depth: opts.max_depth.checked_sub(1)?,
        ..opts.clone()
    };
    let parsed: Vec<Option<Vec<Doc>>> = pieces(text, &starts, region.end, first_line)
        .par_iter()
        .map(|(range, line)| {
            // One document whose root is a sequence: its entries are the
            // first-column entries of the piece, each an item of the list.
            // A `...` line would end the list object where it stands, and
            // ends a piece without a trace.
            let piece = text.get(range.clone())?;
            if memchr::memmem::find_iter(piece.as_bytes(), b"\n...").any(|i| {
                matches!(
                    piece.as_bytes().get(i + 4),
                    None | Some(b' ' | b'\t' | b'\r' | b'\n')
                )
            }) {
                return None;
            }
            let (doc, count) = alone(piece, *line, &shallower)?;
            let items = doc.root();
            (count == 1 && matches!(items.kind(), crate::value::doc::Node::List { .. }))
                .then(|| items.items().map(Doc::copy_of).collect())
        })
        .collect();
    let mut items = Vec::new();
    for p in parsed {
        items.extend(p?);
    }
    Some((root.pos().line as usize, items))
}

/// The one document of a text that stands alone (see [`parse_list`]),
/// read with lines counted from `line`, and how many documents it held.
fn alone(text: &str, line: usize, opts: &YamlOptions) -> Option<(Doc, usize)> {
    let mut st = State::new(opts, line, 0, opts.max_alias_nodes);
    st.run(text).ok()?;
    if st.alias_budget != opts.max_alias_nodes {
        return None;
    }
    let count = st.docs.len();
    let first = st.docs.into_iter().next()?;
    if !first.duplicates.is_empty() || !first.complex_keys.is_empty() {
        return None;
    }
    Some((first.doc?, count))
}

/// How far from the start a list's `items:`, and from the end its last
/// item, are looked for: `kubectl` writes a line or two around them.
const FRAME: usize = 64 * 1024;

/// The byte range of a list's items: from the line after a first-column
/// `items:` line near the start, which a first-column `- ` entry follows,
/// to the first line after the last such entry that is at the first
/// column and not an entry, a comment or blank (near the end). Any other
/// first-column line between them is in some piece, and breaks its parse.
fn list_region(text: &str) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let head = bytes.get(..FRAME.min(bytes.len()))?;
    let at = if head.starts_with(b"items:") {
        0
    } else {
        memchr::memmem::find(head, b"\nitems:")? + 1
    };
    let start = memchr::memchr(b'\n', bytes.get(at..)?).map(|i| at + i + 1)?;
    if text.get(at..start)?.trim_end() != "items:" || !is_entry(text.get(start..)?) {
        return None;
    }
    let tail = bytes.len().saturating_sub(FRAME).max(start);
    let last = memchr::memmem::rfind_iter(bytes.get(tail..)?, b"\n-")
        .map(|i| tail + i + 1)
        .find(|&i| is_entry(text.get(i..).unwrap_or_default()))
        .unwrap_or(start);
    let mut end = last;
    for (k, line) in text.get(last..)?.split_inclusive('\n').enumerate() {
        let inside =
            matches!(line.as_bytes().first(), Some(b' ' | b'#' | b'\n' | b'\r')) || is_entry(line);
        if k > 0 && !inside {
            return Some(start..end);
        }
        end += line.len();
    }
    Some(start..text.len())
}

/// Whether a text starts with an entry of a first-column sequence.
fn is_entry(text: &str) -> bool {
    let b = text.as_bytes();
    b.first() == Some(&b'-') && matches!(b.get(1), None | Some(b' ' | b'\n' | b'\r'))
}

/// [`parse_stream`] in one pass over the stream.
fn parse_in_one_pass(text: &str, opts: &YamlOptions) -> (Vec<YamlDoc>, Vec<YamlError>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut offset_bytes = 0usize;
    let mut offset_lines = 0usize;
    let mut alias_budget = opts.max_alias_nodes;
    while let Some(rest) = text.get(offset_bytes..) {
        let mut st = State::new(opts, offset_lines, docs.len(), alias_budget);
        let res = st.run(rest);
        alias_budget = st.alias_budget;
        docs.append(&mut st.docs);
        match res {
            Ok(()) => break,
            Err(e) => {
                let line = e.line;
                errors.push(e);
                if docs.len() >= opts.max_documents {
                    break;
                }
                // Resume at the next document separator from the error on:
                // an unclosed `[` or `{` is only found out at the `---`
                // line that starts the next document.
                match next_separator(text, line, offset_bytes) {
                    Some((byte, l)) => {
                        offset_bytes = byte;
                        offset_lines = l;
                        docs.push(YamlDoc {
                            doc: None,
                            index: docs.len(),
                            line,
                            duplicates: Vec::new(),
                            complex_keys: Vec::new(),
                        });
                    }
                    _ => break,
                }
            }
        }
    }
    (docs, errors)
}

/// The byte offset and 0-based line of the first `---` line from `line`
/// (1-based) on that starts after byte `after`.
fn next_separator(text: &str, line: usize, after: usize) -> Option<(usize, usize)> {
    let mut off = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 >= line && off > after {
            let t = l.trim_end_matches(['\n', '\r']);
            if t == "---" || t.starts_with("--- ") || t.starts_with("---\t") {
                return Some((off, i));
            }
        }
        off += l.len();
    }
    None
}

/// A recorded event, for replaying anchors.
#[derive(Clone, Debug)]
enum Rec {
    Scalar(String, ScalarStyle, Option<String>, Pos),
    SeqStart(Pos),
    MapStart(Pos),
    End,
}

#[derive(Debug)]
struct Frame {
    map: bool,
    expect_key: bool,
    /// What the collection is to a resource, for leaving out
    /// `metadata.managedFields`.
    role: Role,
}

/// Where a collection stands in a resource: a resource is a document's
/// root mapping, or an item of a list's `items` (of a root sequence, when
/// the items of a `kind: List` are read in pieces); `metadata` is its
/// mapping's `metadata`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Other,
    Resource,
    Items,
    Metadata,
}

/// What the pending key of a mapping makes of its value (see [`Role`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Other,
    Items,
    Metadata,
    /// `managedFields` of a resource's metadata: read, not built.
    ManagedFields,
}

struct Recorder {
    id: usize,
    depth: usize,
    events: Vec<Rec>,
}

struct State<'o> {
    opts: &'o YamlOptions,
    line_offset: usize,
    first_index: usize,
    docs: Vec<YamlDoc>,
    builder: Option<DocBuilder>,
    doc_line: usize,
    content: bool,
    frames: Vec<Frame>,
    anchors: HashMap<usize, Rc<Vec<Rec>>>,
    recorders: Vec<Recorder>,
    merge_pending: bool,
    alias_budget: usize,
    /// Where the pending mapping key was written: a block collection that is
    /// its value is reported at its key's line.
    key_pos: Option<Pos>,
    complex_keys: Vec<Pos>,
    /// What the pending key of the innermost mapping makes of its value.
    pending: Pending,
    /// How deep the events being left out (`managedFields`) are nested; 0
    /// when events are built.
    skip: usize,
}

impl<'o> State<'o> {
    fn new(
        opts: &'o YamlOptions,
        line_offset: usize,
        first_index: usize,
        alias_budget: usize,
    ) -> Self {
        State {
            opts,
            line_offset,
            first_index,
            docs: Vec::new(),
            builder: None,
            doc_line: 0,
            content: false,
            frames: Vec::new(),
            anchors: HashMap::new(),
            recorders: Vec::new(),
            merge_pending: false,
            alias_budget,
            key_pos: None,
            complex_keys: Vec::new(),
            pending: Pending::Other,
            skip: 0,
        }
    }

    /// How deep the next event is nested, the collections left out
    /// included.
    fn depth(&self) -> usize {
        self.frames.len() + self.skip
    }

    fn pos(&self, span: &Span) -> Pos {
        Pos::new(span.start.line() + self.line_offset, span.start.col() + 1)
    }

    /// A collection at `pos` opens past the depth limit.
    fn too_deep(&self, pos: Pos) -> YamlError {
        self.err(
            pos,
            format!(
                "the document nests deeper than {} levels (raise the limit with --max-depth)",
                self.opts.max_depth
            ),
        )
    }

    fn err(&self, pos: Pos, message: impl Into<String>) -> YamlError {
        YamlError {
            line: pos.line as usize,
            col: pos.col as usize,
            message: message.into(),
        }
    }

    fn run(&mut self, text: &str) -> Result<(), YamlError> {
        let parser = Parser::new_from_str(text);
        for item in parser {
            let (ev, span) = match item {
                Ok(x) => x,
                Err(e) => {
                    let m = e.marker();
                    return Err(YamlError {
                        line: m.line() + self.line_offset,
                        col: m.col() + 1,
                        message: scan_message(e.info()),
                    });
                }
            };
            let pos = self.pos(&span);
            match ev {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    if self.docs.len() + self.first_index >= self.opts.max_documents {
                        return Err(self.err(
                            pos,
                            format!(
                                "the file holds more than {} documents (raise the limit with --max-documents)",
                                self.opts.max_documents
                            ),
                        ));
                    }
                    self.builder = Some(DocBuilder::new());
                    self.doc_line = pos.line as usize;
                    self.content = false;
                    self.frames.clear();
                    self.anchors.clear();
                    self.recorders.clear();
                    // A key left without its value (after a mapping used
                    // as a key) belongs to the document before.
                    self.key_pos = None;
                    self.merge_pending = false;
                    self.pending = Pending::Other;
                    self.skip = 0;
                }
                Event::DocumentEnd => self.end_document(),
                Event::Alias(id) => self.alias(id, pos)?,
                Event::Scalar(value, style, anchor, tag) => {
                    let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                    self.start_recording(anchor);
                    self.on(Rec::Scalar(value.into_owned(), style, tag, pos))?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.start_recording(anchor);
                    self.on(Rec::SeqStart(pos))?;
                }
                Event::MappingStart(anchor, _) => {
                    self.start_recording(anchor);
                    self.on(Rec::MapStart(pos))?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.on(Rec::End)?,
            }
        }
        if self.builder.is_some() {
            self.end_document();
        }
        Ok(())
    }

    fn end_document(&mut self) {
        let Some(b) = self.builder.take() else {
            return;
        };
        let duplicates = b.duplicates.clone();
        let doc = self.content.then(|| b.finish());
        self.docs.push(YamlDoc {
            doc,
            index: self.first_index + self.docs.len(),
            line: self.doc_line,
            duplicates,
            complex_keys: std::mem::take(&mut self.complex_keys),
        });
    }

    fn start_recording(&mut self, anchor: usize) {
        if anchor > 0 {
            self.recorders.push(Recorder {
                id: anchor,
                depth: self.depth(),
                events: Vec::new(),
            });
        }
    }

    /// Handles one event (from the parser or replayed from an anchor).
    fn on(&mut self, ev: Rec) -> Result<(), YamlError> {
        for r in &mut self.recorders {
            r.events.push(ev.clone());
        }
        if self.builder.is_none() {
            return Ok(());
        }
        self.content = true;
        if self.skip > 0 || self.pending == Pending::ManagedFields {
            self.left_out(&ev)?;
            self.finish_recorders();
            return Ok(());
        }
        let Some(b) = self.builder.as_mut() else {
            return Ok(());
        };
        match ev {
            Rec::Scalar(value, style, tag, pos) => {
                let is_key = self.frames.last().is_some_and(|f| f.map && f.expect_key);
                if is_key {
                    self.merge_pending = value == "<<" && style == ScalarStyle::Plain;
                    self.key_pos = Some(pos);
                    let role = self.frames.last().map_or(Role::Other, |f| f.role);
                    self.pending = match (role, value.as_str()) {
                        (Role::Resource, "metadata") => Pending::Metadata,
                        (Role::Resource, "items") if self.frames.len() == 1 => Pending::Items,
                        (Role::Metadata, "managedFields") if self.opts.drop_managed_fields => {
                            Pending::ManagedFields
                        }
                        _ => Pending::Other,
                    };
                    if let Some(f) = self.frames.last_mut() {
                        f.expect_key = false;
                    }
                    if self.pending == Pending::ManagedFields {
                        self.key_pos = None;
                    } else {
                        b.key_str(&value);
                    }
                } else {
                    self.key_pos = None;
                    self.pending = Pending::Other;
                    scalar(b, &value, style, tag.as_deref(), pos);
                    self.value_done();
                }
            }
            Rec::SeqStart(pos) | Rec::MapStart(pos) => {
                let map = matches!(ev, Rec::MapStart(_));
                if self.frames.last().is_some_and(|f| f.map && f.expect_key) {
                    // A complex key (a mapping or sequence as a key): keep it
                    // as the text "<complex key>".
                    b.key_str("<complex key>");
                    self.complex_keys.push(pos);
                    if let Some(f) = self.frames.last_mut() {
                        f.expect_key = false;
                    }
                }
                if self.frames.len() >= self.opts.max_depth {
                    return Err(self.too_deep(pos));
                }
                let at = self.key_pos.take().unwrap_or(pos);
                if map {
                    b.begin_obj(at);
                } else {
                    b.begin_list(at);
                }
                let parent = self.frames.last().map(|f| (f.map, f.role));
                let role = match (
                    parent,
                    map,
                    std::mem::replace(&mut self.pending, Pending::Other),
                ) {
                    (None, true, _) | (Some((false, Role::Items)), true, _) => Role::Resource,
                    (None, false, _) => Role::Items,
                    (Some((true, Role::Resource)), true, Pending::Metadata) => Role::Metadata,
                    (Some((true, Role::Resource)), false, Pending::Items) => Role::Items,
                    _ => Role::Other,
                };
                self.frames.push(Frame {
                    map,
                    expect_key: map,
                    role,
                });
            }
            Rec::End => {
                b.end();
                self.frames.pop();
                self.pending = Pending::Other;
                self.value_done();
            }
        }
        self.finish_recorders();
        Ok(())
    }

    /// An event of `managedFields`, or the value's first: checked by the
    /// parser and recorded for anchors, but not built.
    fn left_out(&mut self, ev: &Rec) -> Result<(), YamlError> {
        self.pending = Pending::Other;
        match ev {
            Rec::Scalar(..) => {}
            Rec::SeqStart(pos) | Rec::MapStart(pos) => {
                if self.depth() >= self.opts.max_depth {
                    return Err(self.too_deep(*pos));
                }
                self.skip += 1;
            }
            Rec::End => self.skip = self.skip.saturating_sub(1),
        }
        if self.skip == 0 {
            self.value_done();
        }
        Ok(())
    }

    fn value_done(&mut self) {
        if let Some(f) = self.frames.last_mut()
            && f.map
        {
            f.expect_key = true;
        }
    }

    /// Closes recorders whose node is complete.
    fn finish_recorders(&mut self) {
        while let Some(r) = self.recorders.last() {
            let done = self.frames.len() + self.skip == r.depth
                && !r.events.is_empty()
                && match r.events.first() {
                    Some(Rec::Scalar(..)) => true,
                    _ => matches!(r.events.last(), Some(Rec::End)),
                };
            if !done {
                break;
            }
            if let Some(r) = self.recorders.pop() {
                self.anchors.insert(r.id, Rc::new(r.events));
            }
        }
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), YamlError> {
        let Some(events) = self.anchors.get(&id).cloned() else {
            return Err(self.err(
                pos,
                "an alias refers to an anchor that is not defined before it",
            ));
        };
        let nodes = events.iter().filter(|e| !matches!(e, Rec::End)).count();
        if nodes > self.alias_budget {
            return Err(self.err(
                pos,
                format!(
                    "alias expansion would create more than {} nodes in this file (a YAML bomb?); raise the limit with --max-alias-nodes",
                    self.opts.max_alias_nodes
                ),
            ));
        }
        self.alias_budget -= nodes;
        if std::mem::take(&mut self.merge_pending)
            && matches!(events.first(), Some(Rec::MapStart(_)))
        {
            // `<<: *base` merges the mapping's entries into this one: the
            // pending key `<<` is replaced by the first merged key, and
            // explicit keys after the merge still win (later keys win).
            if let Some(f) = self.frames.last_mut() {
                f.expect_key = true;
            }
            let inner = events.get(1..events.len().saturating_sub(1)).unwrap_or(&[]);
            for e in inner {
                self.on(e.clone())?;
            }
            return Ok(());
        }
        for e in events.iter() {
            self.on(e.clone())?;
        }
        Ok(())
    }
}

/// Resolves a scalar by the YAML 1.2 core schema (plain scalars only; quoted
/// scalars and block scalars are strings).
fn scalar(b: &mut DocBuilder, v: &str, style: ScalarStyle, tag: Option<&str>, pos: Pos) {
    let core = |suffix: &str| {
        tag.is_some_and(|t| {
            t == format!("tag:yaml.org,2002:{suffix}") || t == format!("!!{suffix}")
        })
    };
    if core("str") {
        b.str(v, pos);
        return;
    }
    let plain = style == ScalarStyle::Plain;
    if tag.is_some() && !core("null") && !core("bool") && !core("int") && !core("float") {
        b.str(v, pos);
        return;
    }
    if plain || tag.is_some() {
        match v {
            "" | "~" | "null" | "Null" | "NULL" if plain || core("null") => {
                b.null(pos);
                return;
            }
            "true" | "True" | "TRUE" => {
                b.bool(true, pos);
                return;
            }
            "false" | "False" | "FALSE" => {
                b.bool(false, pos);
                return;
            }
            _ => {}
        }
        if let Some(n) = number(v) {
            b.num(n, pos);
            return;
        }
    }
    b.str(v, pos);
}

/// YAML 1.2 core integers and floats (finite only; `.inf`/`.nan` stay strings
/// because JSON has no such numbers).
fn number(v: &str) -> Option<f64> {
    let bytes = v.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    if let Some(o) = v.strip_prefix("0o") {
        return i64::from_str_radix(o, 8).ok().map(|n| n as f64);
    }
    if let Some(h) = v.strip_prefix("0x") {
        return i64::from_str_radix(h, 16).ok().map(|n| n as f64);
    }
    let body = v.strip_prefix(['-', '+']).unwrap_or(v);
    if body.is_empty() {
        return None;
    }
    let mut digits = 0;
    let mut dot = false;
    let mut exp = false;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => digits += 1,
            '.' if !dot && !exp => dot = true,
            'e' | 'E' if !exp && digits > 0 => {
                exp = true;
                if matches!(chars.peek(), Some('+' | '-')) {
                    chars.next();
                }
                chars.peek()?;
            }
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    v.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs(text: &str) -> Vec<serde_json::Value> {
        let (docs, errs) = parse_stream(text, &YamlOptions::default());
        assert!(errs.is_empty(), "{errs:?}");
        docs.iter()
            .filter_map(|d| d.doc.as_ref().map(|d| d.root().to_json()))
            .collect()
    }

    #[test]
    fn core_schema_scalars() {
        let v = docs(
            "a: yes\nb: true\nc: 012\nd: 0x1f\ne: 1.5e3\nf: ~\ng: '1'\nh: .inf\ni: on\nj: !!str 5\nk:\n",
        );
        assert_eq!(
            v[0],
            json!({"a": "yes", "b": true, "c": 12, "d": 31, "e": 1500, "f": null, "g": "1", "h": ".inf", "i": "on", "j": "5", "k": null})
        );
    }

    #[test]
    fn document_starts_are_the_marker_lines_with_their_lines() {
        let text = "---\na: 1\n--- {b: 2}\n---x: 3\nc: '\n---'\n---\r\nd: 4\n---";
        let starts = document_starts(text);
        let at = |needle: &str, nth: usize| text.match_indices(needle).nth(nth).map(|(i, _)| i);
        assert_eq!(
            starts,
            vec![
                (0, 0),
                (at("--- {b", 0).unwrap(), 2),
                (at("---\r", 0).unwrap(), 6),
                (text.len() - 3, 8)
            ]
        );
        assert!(document_starts("a: 1\n-- x\n").is_empty());
    }

    #[test]
    fn multi_document_positions() {
        let text =
            "a: 1\n---\n# c\nkind: Pod\nspec:\n  containers:\n  - name: x\n    image: nginx\n";
        let (docs, errs) = parse_stream(text, &YamlOptions::default());
        assert!(errs.is_empty());
        assert_eq!(docs.len(), 2);
        let d = docs[1].doc.as_ref().unwrap();
        let img = d.at_pointer("/spec/containers/0/image").unwrap();
        assert_eq!(img.pos(), Pos::new(8, 12));
        assert_eq!(docs[1].index, 1);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = docs("base: &b {x: 1, y: 2}\nuse: *b\nm:\n  <<: *b\n  y: 3\n");
        assert_eq!(v[0]["use"], json!({"x": 1, "y": 2}));
        assert_eq!(v[0]["m"]["x"], json!(1));
        assert_eq!(v[0]["m"]["y"], json!(3));
    }

    #[test]
    fn billion_laughs_is_stopped() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = "a".to_string();
        for i in 0..9 {
            let name = format!("l{i}");
            let refs = vec![format!("*{prev}"); 10].join(", ");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
            prev = name;
        }
        let (_, errs) = parse_stream(&text, &YamlOptions::default());
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].message.contains("alias expansion"),
            "{}",
            errs[0].message
        );
    }

    /// Everything a parse gives, node by node with its position.
    fn render(docs: &[YamlDoc]) -> Vec<String> {
        fn walk(n: crate::value::doc::NodeRef<'_>, out: &mut Vec<String>) {
            let leaf = match n.kind() {
                crate::value::doc::Node::List { .. } | crate::value::doc::Node::Obj { .. } => {
                    String::new()
                }
                _ => n.to_json().to_string(),
            };
            out.push(format!("  {} {:?} {leaf}", n.pointer(), n.pos()));
            for (_, v) in n.entries() {
                walk(v, out);
            }
            for v in n.items() {
                walk(v, out);
            }
        }
        let mut out = Vec::new();
        for d in docs {
            out.push(format!(
                "doc {} line {} {:?} {:?}",
                d.index, d.line, d.duplicates, d.complex_keys
            ));
            if let Some(doc) = &d.doc {
                walk(doc.root(), &mut out);
            }
        }
        out
    }

    /// The examples' manifests, one stream, with the shapes of separator
    /// and document a stream can hold.
    fn long_stream() -> String {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
        let mut files: Vec<_> = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        assert!(files.len() > 5, "{root}");
        files.push("---\n# only a comment\n---\n".into());
        files.push("--- \r\nkind: Crlf\r\nlist:\r\n- a\r\n---\t\nkind: Tab\n".into());
        files.push("---\nkind: Dup\nkind: Again\n---\n? [a, b]\n: complex\n----: dashes\n".into());
        files.push("--- {kind: Flow}\n...\n---\nkind: Last\n---\n".into());
        files.join("\n---\n")
    }

    #[test]
    fn pieces_give_what_one_pass_gives() {
        let text = long_stream();
        let opts = YamlOptions::default();
        let (whole, errs) = parse_in_one_pass(&text, &opts);
        assert!(errs.is_empty(), "{errs:?}");
        for piece in [1, 64, 1000, 4096] {
            let pieces = parse_pieces(&text, &opts, piece).expect("cut into pieces");
            assert_eq!(render(&pieces), render(&whole), "pieces of {piece} bytes");
        }
        // Long enough to be cut at the default size too.
        let long = [text.as_str(); 40].join("\n---\n");
        assert!(long.len() > 2 * PIECE);
        assert!(parse_pieces(&long, &opts, PIECE).is_some());
        assert_eq!(
            render(&parse_stream(&long, &opts).0),
            render(&parse_in_one_pass(&long, &opts).0)
        );
    }

    #[test]
    fn a_piece_that_cannot_stand_alone_sends_the_stream_to_one_pass() {
        let text = long_stream();
        let opts = YamlOptions::default();
        let cases = [
            // A syntax error in one document.
            text.replacen("kind: Tab", "kind: [Tab", 1),
            // An alias, which spends the file's budget.
            text.replacen("kind: Last", "a: &x [1, 2]\nb: *x", 1),
            // A directive belongs to the document after it.
            format!("%YAML 1.2\n---\n{text}"),
        ];
        for case in &cases {
            assert!(parse_pieces(case, &opts, 64).is_none());
        }
        let (bad_docs, bad_errs) = parse_stream(&cases[0], &opts);
        let (one_docs, one_errs) = parse_in_one_pass(&cases[0], &opts);
        assert_eq!(bad_errs.len(), 1);
        assert_eq!(bad_errs, one_errs);
        assert_eq!(render(&bad_docs), render(&one_docs));
        // As many documents as the limit allows still stand alone; one
        // more, and one pass says where the limit was passed.
        let n = parse_in_one_pass(&text, &opts).0.len();
        let limit = |max_documents| YamlOptions {
            max_documents,
            ..YamlOptions::default()
        };
        assert!(parse_pieces(&text, &limit(n), 64).is_some());
        assert!(parse_pieces(&text, &limit(n - 1), 64).is_none());
        let (_, errs) = parse_stream(&text, &limit(n - 1));
        assert!(
            errs[0]
                .message
                .contains(&format!("more than {} documents", n - 1)),
            "{errs:?}"
        );
    }

    /// The documents of [`long_stream`] as the items of a `kind: List`,
    /// written as `kubectl get -o yaml` writes one.
    fn long_list() -> String {
        let mut text =
            String::from("# Source: chart/templates/list.yaml\napiVersion: v1\nitems:\n");
        let stream = long_stream();
        let items = stream
            .split("\n---")
            .map(|d| d.trim_start_matches(['-', ' ', '\t', '\r', '\n', '.']))
            .filter(|d| {
                d.lines()
                    .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
            })
            .filter(|d| !d.starts_with('{') && !d.starts_with('?') && !d.contains("Dup"));
        for item in items {
            for (i, line) in item.lines().enumerate() {
                let lead = if i == 0 {
                    "- "
                } else if line.is_empty() {
                    ""
                } else {
                    "  "
                };
                text.push_str(lead);
                text.push_str(line.trim_end_matches('\r'));
                text.push('\n');
            }
        }
        text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        text
    }

    /// What loading does with a list: the whole object parsed in one pass,
    /// and each item copied into a document of its own.
    fn split_in_one_pass(text: &str, opts: &YamlOptions) -> (usize, Vec<Doc>) {
        let (docs, errs) = parse_in_one_pass(text, opts);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(docs.len(), 1);
        let list = docs[0].doc.as_ref().unwrap().root();
        let items = list.get_str("items").unwrap().items().map(Doc::copy_of);
        (list.pos().line as usize, items.collect())
    }

    fn render_items(items: &[Doc]) -> Vec<String> {
        let docs: Vec<YamlDoc> = items
            .iter()
            .enumerate()
            .map(|(index, d)| YamlDoc {
                doc: Some(d.clone()),
                index,
                line: 0,
                duplicates: Vec::new(),
                complex_keys: Vec::new(),
            })
            .collect();
        render(&docs)
    }

    #[test]
    fn list_items_read_apart_are_what_splitting_the_list_gives() {
        let text = long_list();
        let opts = YamlOptions::default();
        let (line, whole) = split_in_one_pass(&text, &opts);
        assert!(whole.len() > 10);
        for piece in [1, 64, 1000] {
            let (at, items) = parse_list_in(&text, &opts, piece).expect("read apart");
            assert_eq!(at, line);
            assert_eq!(
                render_items(&items),
                render_items(&whole),
                "runs of {piece} bytes"
            );
        }
        // Long enough to be read apart at the default size too.
        let (head, rest) = text.split_once("items:\n").unwrap();
        let (body, tail) = rest.split_once("kind: List").unwrap();
        let long = format!("{head}items:\n{}kind: List{tail}", body.repeat(40));
        assert!(long.len() > 2 * PIECE);
        let (_, items) = parse_list(&long, &opts).expect("read apart");
        assert_eq!(
            render_items(&items),
            render_items(&split_in_one_pass(&long, &opts).1)
        );
    }

    #[test]
    fn a_list_that_cannot_be_read_apart_is_read_whole() {
        let text = long_list();
        let opts = YamlOptions::default();
        let item = "- apiVersion: v1\n  kind: ConfigMap\n";
        let with_item = |extra: &str| text.replacen(item, &format!("{item}{extra}"), 1);
        assert!(text.contains(item));
        let cases = [
            // A syntax error in one item.
            with_item("- kind: [Broken\n"),
            // An alias, which spends the object's budget.
            with_item("- a: &x [1, 2]\n  b: *x\n"),
            // A key given twice, a mapping as a key.
            with_item("- kind: A\n  kind: B\n"),
            with_item("- ? [a, b]\n  : c\n"),
            // A directive; a second document.
            format!("%YAML 1.2\n---\n{text}"),
            format!("{text}---\nkind: Other\n"),
            format!("{text}{}", "---\nkind: Other\n".repeat(10_000)),
            // Not a list, or its items not at the first column.
            text.replacen("kind: List", "kind: Thing", 1),
            text.replace("\n- ", "\n  - ").replace("\n  ", "\n    "),
        ];
        for (i, case) in cases.iter().enumerate() {
            assert!(parse_list_in(case, &opts, 64).is_none(), "case {i}");
        }
        // Nested exactly as deep as the limit allows, and one level deeper.
        let deepest = |levels: usize| {
            let mut item = String::from("- kind: Deep\n");
            for l in 0..levels {
                item.push_str(&format!("{}x:\n", "  ".repeat(l + 1)));
            }
            item.push_str(&format!("{}y: 1\n", "  ".repeat(levels + 1)));
            text.replacen(
                item_start(&text),
                &format!("{item}{}", item_start(&text)),
                1,
            )
        };
        let within = |max_depth| YamlOptions {
            max_depth,
            ..YamlOptions::default()
        };
        let needed = (1..100)
            .find(|&d| parse_in_one_pass(&text, &within(d)).1.is_empty())
            .unwrap();
        let limit = within(needed + 2);
        let fails: Vec<bool> = (1..needed + 4)
            .map(|levels| {
                let case = deepest(levels);
                let whole_fails = !parse_in_one_pass(&case, &limit).1.is_empty();
                assert_eq!(
                    parse_list_in(&case, &limit, 64).is_none(),
                    whole_fails,
                    "{levels} levels"
                );
                whole_fails
            })
            .collect();
        assert!(fails.contains(&true) && fails.contains(&false), "{fails:?}");
    }

    /// The first line of a list's first item.
    fn item_start(text: &str) -> &str {
        text.lines().find(|l| l.starts_with("- ")).unwrap()
    }

    /// Streams and lists put together at random from pieces of YAML, some
    /// of which sit badly across a cut (separators in scalars, aliases,
    /// directives, keys given twice, mappings as keys, first-column lines
    /// that are not entries, line endings): whenever the pieces are taken,
    /// they give what one pass gives. `WARD_YAML_ROUNDS` sets how many
    /// (4,000; 200,000 passed when this was written).
    #[test]
    fn pieces_agree_with_one_pass_on_streams_put_together_at_random() {
        const DOCS: &[&str] = &[
            "---\n",
            "--- \n",
            "---\t# c\n",
            "# comment\n",
            "\n",
            "kind: Pod\n",
            "a: 1\nb: [1, 2]\n",
            "s: |\n  line\n  ---\n  more\n",
            "q: \"multi\n  line\"\n",
            "k: v\r\n",
            "x: {a: 1,\n b: 2}\n",
            "t: !!str 5\n",
            "m:\n  <<: {x: 1}\n",
            "----: d\n",
            "-x: 1\n",
            "l:\n- a\n- b: 1\n  c: 2\n",
            "p: plain\n  continued\n",
            "b: >-\n  folded\n\n  text\n",
            "a: &anchor {x: 1}\n",
            "t: !custom x\n",
            "i: |2\n    indented\n",
            "e: \"esc \\u00e9 \\\"q\\\"\"\n",
            "tab:\tvalue\n",
            "metadata:\n  name: m\n  managedFields:\n  - manager: k\n    fieldsV1: {f:a: {}}\n  uid: u\n",
            "metadata: {managedFields: [], name: n}\n",
        ];
        const ITEMS: &[&str] = &[
            "- a: 1\n  b: 2\n",
            "- kind: Pod\n  spec:\n    containers:\n    - name: c\n",
            "- x\n",
            "-\n  k: v\n",
            "- s: |\n    text\n    ---\n",
            "# comment\n",
            "\n",
            "- q: \"a\n    b\"\n",
            "- k: v\r\n",
            "- - nested\n",
            "-\n",
            "- p: plain\n    continued\n",
            "- &a x\n",
            "- !tag x\n",
            "- f: [a,\n    b]\n",
            "- |\n  block\n",
            "- >\n  folded\n",
            "-   spaced: 1\n",
            "- \"quoted\n  on two lines\"\n",
            "- kind: Pod\n  metadata:\n    managedFields:\n    - {manager: k, f: [1]}\n    name: p\n",
            "- metadata:\n    managedFields: x\n  spec:\n    metadata: {managedFields: kept}\n",
        ];
        const RISKY: &[&str] = &[
            "...\n",
            "q: 'x\n---\ny'\n",
            "- a: &x [1]\n  b: *x\n",
            "k: &a 1\nj: *a\n",
            "%YAML 1.2\n",
            "dup: 1\ndup: 2\n",
            "- k: 1\n  k: 2\n",
            "? [a]\n: b\n",
            "- ? [a]\n  : b\n",
            "---\n",
            "kind: Other\n",
            "items:\n",
            "kind: List\n",
            "  indented: 1\n",
            "- *a\n",
            "\t- x\n",
            "- q: \"a\n---\nb\"\n",
            "f: [a,\nb]\n",
            "-x: 1\n",
        ];
        let mut next = crate::input::picker(0x9e37_79b9_7f4a_7c15_u64);
        let opts = YamlOptions::default();
        let (mut streams, mut lists) = (0, 0);
        let rounds = std::env::var("WARD_YAML_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(4000);
        for round in 0..rounds {
            let list = round % 2 == 1;
            let mut text = String::from(if list { "apiVersion: v1\nitems:\n" } else { "" });
            for _ in 0..1 + next(40) {
                let pool = match (next(if list { 60 } else { 12 }), list) {
                    (0, _) => RISKY,
                    (_, true) => ITEMS,
                    (_, false) => DOCS,
                };
                text.push_str(pool[next(pool.len())]);
            }
            if list {
                text.push_str(["kind: List\nmetadata: {}\n", "kind: Thing\n"][next(8).min(1)]);
            }
            let (whole, errors) = parse_in_one_pass(&text, &opts);
            for piece in [1, 8, 32] {
                if let Some(docs) = parse_pieces(&text, &opts, piece) {
                    streams += 1;
                    assert!(errors.is_empty(), "{text:?}: {errors:?}");
                    assert_eq!(render(&docs), render(&whole), "{text:?}");
                }
                if let Some((line, items)) = parse_list_in(&text, &opts, piece) {
                    lists += 1;
                    assert!(errors.is_empty(), "{text:?}: {errors:?}");
                    let (at, split) = split_in_one_pass(&text, &opts);
                    assert_eq!(at, line, "{text:?}");
                    assert_eq!(render_items(&items), render_items(&split), "{text:?}");
                }
            }
        }
        // Both ways of reading apart were taken, often.
        assert!(
            streams > 500 && lists > 300,
            "{streams} streams, {lists} lists"
        );
    }

    /// `metadata.managedFields` of a resource (a document, or an item of
    /// a list) is read but not built, as the JSON reader leaves it out;
    /// anywhere else it is an ordinary key, and the rest of the document
    /// keeps its positions.
    #[test]
    fn managed_fields_of_resources_are_left_out() {
        let text = "kind: Pod\nmetadata:\n  name: p\n  managedFields:\n  - manager: kubectl\n    fieldsV1: &f {f:spec: {f:x: {}}}\n  labels: {app: a}\nspec:\n  copy: *f\n  template:\n    metadata:\n      managedFields: kept\n---\napiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    managedFields: [{a: 1}]\n    name: q\nkind: List\nmetadata:\n  managedFields: listed\n";
        let v = docs(text);
        assert_eq!(
            v[0],
            json!({
                "kind": "Pod",
                "metadata": {"name": "p", "labels": {"app": "a"}},
                "spec": {"copy": {"f:spec": {"f:x": {}}}, "template": {"metadata": {"managedFields": "kept"}}},
            })
        );
        assert_eq!(
            v[1]["items"],
            json!([{"kind": "Pod", "metadata": {"name": "q"}}])
        );
        assert_eq!(v[1]["metadata"], json!({}));
        // Kept when asked; everything else is where it was.
        let keep = YamlOptions {
            drop_managed_fields: false,
            ..YamlOptions::default()
        };
        let (left_out, _) = parse_stream(text, &YamlOptions::default());
        let (kept, _) = parse_stream(text, &keep);
        let (left_out, kept) = (
            left_out[0].doc.as_ref().unwrap(),
            kept[0].doc.as_ref().unwrap(),
        );
        assert_eq!(
            kept.at_pointer("/metadata/managedFields/0/manager")
                .unwrap()
                .to_json(),
            json!("kubectl")
        );
        for at in [
            "/metadata/labels/app",
            "/metadata/name",
            "/spec/copy/f:spec",
            "/spec/template/metadata/managedFields",
        ] {
            assert_eq!(
                left_out.at_pointer(at).unwrap().pos(),
                kept.at_pointer(at).unwrap().pos(),
                "{at}"
            );
        }
    }

    /// What is left out is still checked: an error or a nesting past the
    /// limit inside `managedFields` is reported where it is.
    #[test]
    fn managed_fields_left_out_are_checked() {
        let broken = "kind: Pod\nmetadata:\n  managedFields: [a, {b: 1]\n";
        let (_, errs) = parse_stream(broken, &YamlOptions::default());
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 3);
        let deep = "kind: Pod\nmetadata:\n  managedFields: [[[[1]]]]\n";
        let shallow = YamlOptions {
            max_depth: 4,
            ..YamlOptions::default()
        };
        let (_, left_out) = parse_stream(deep, &shallow);
        let kept = YamlOptions {
            drop_managed_fields: false,
            ..shallow.clone()
        };
        let (_, built) = parse_stream(deep, &kept);
        assert_eq!(left_out.len(), 1, "{left_out:?}");
        assert_eq!(left_out, built);
    }

    #[test]
    fn a_key_left_without_a_value_does_not_move_the_next_document() {
        // The mapping used as a key leaves `b` a key with no value; the
        // next document is where it is, not at `b`.
        let (docs, _) = parse_in_one_pass("? [a]\n: b\n---\nkind: Pod\n", &YamlOptions::default());
        let pod = docs[1].doc.as_ref().unwrap().root();
        assert_eq!(pod.pos(), Pos::new(4, 1));
    }

    #[test]
    fn errors_resume_at_next_document() {
        let text = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n";
        let (docs, errs) = parse_stream(text, &YamlOptions::default());
        assert_eq!(errs.len(), 1);
        let vals: Vec<_> = docs
            .iter()
            .filter_map(|d| d.doc.as_ref())
            .map(|d| d.root().to_json())
            .collect();
        assert_eq!(vals, vec![json!({"a": 1}), json!({"d": 4})]);
        assert_eq!(docs.last().unwrap().index, 2);
        assert_eq!(
            docs.last().unwrap().doc.as_ref().unwrap().root().pos().line,
            6
        );
    }

    /// An unclosed `{` is found out only at the `---` line that starts the
    /// next document: that document is still read, and so are the ones
    /// after a second such error.
    #[test]
    fn errors_found_at_a_separator_resume_there() {
        let text = "a: {b: 1\n---\nc: 2\n---\nd: [3\n---\ne: 4\n";
        let (docs, errs) = parse_stream(text, &YamlOptions::default());
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 6]);
        let vals: Vec<_> = docs
            .iter()
            .map(|d| d.doc.as_ref().map(|d| d.root().to_json()))
            .collect();
        assert_eq!(
            vals,
            vec![None, Some(json!({"c": 2})), None, Some(json!({"e": 4}))]
        );
        let indexes: Vec<usize> = docs.iter().map(|d| d.index).collect();
        assert_eq!(indexes, vec![0, 1, 2, 3]);
    }
}
