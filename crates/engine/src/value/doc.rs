//! One loaded document (a resource) as a compact arena.
//!
//! Nodes are numbered in document order (a container before its children,
//! children in order), so a node's JSON pointer can be recovered from its id
//! alone by descending from the root. Every node remembers the line and
//! column it was read from. Strings live in one buffer per document and
//! object keys are interned [`Sym`]s, so a resource costs a handful of
//! allocations however large it is.

use super::intern::{Sym, intern};

pub type NodeId = u32;

/// One value in a document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Num(f64),
    /// A string: a byte range of the document's text.
    Str {
        start: u32,
        len: u32,
    },
    /// A list: a range of the document's item table.
    List {
        start: u32,
        len: u32,
    },
    /// An object: a range of the document's entry table.
    Obj {
        start: u32,
        len: u32,
    },
}

/// A [`Node`] as a document keeps it: in 12 bytes rather than 16, a
/// number's bits in two halves, so that nothing in it needs 8-byte
/// alignment. Nodes are most of a document (a 100,000-resource export is
/// 8 million of them), and [`Doc`] hands out [`Node`]s.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stored {
    Null,
    Bool(bool),
    Num(u32, u32),
    Str { start: u32, len: u32 },
    List { start: u32, len: u32 },
    Obj { start: u32, len: u32 },
}

impl From<Node> for Stored {
    fn from(n: Node) -> Stored {
        match n {
            Node::Null => Stored::Null,
            Node::Bool(b) => Stored::Bool(b),
            Node::Num(x) => {
                let bits = x.to_bits();
                Stored::Num((bits >> 32) as u32, bits as u32)
            }
            Node::Str { start, len } => Stored::Str { start, len },
            Node::List { start, len } => Stored::List { start, len },
            Node::Obj { start, len } => Stored::Obj { start, len },
        }
    }
}

impl From<Stored> for Node {
    fn from(s: Stored) -> Node {
        match s {
            Stored::Null => Node::Null,
            Stored::Bool(b) => Node::Bool(b),
            Stored::Num(hi, lo) => Node::Num(number(hi, lo)),
            Stored::Str { start, len } => Node::Str { start, len },
            Stored::List { start, len } => Node::List { start, len },
            Stored::Obj { start, len } => Node::Obj { start, len },
        }
    }
}

/// The number whose bits a [`Stored::Num`] keeps in two halves.
fn number(hi: u32, lo: u32) -> f64 {
    f64::from_bits(u64::from(hi) << 32 | u64::from(lo))
}

/// A 1-based line and column; `0:0` when unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: usize, col: usize) -> Pos {
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }

    pub fn is_known(self) -> bool {
        self.line > 0
    }
}

/// A segment of a JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Writes segments as an RFC 6901 JSON pointer.
pub fn pointer_string(segs: &[Seg]) -> String {
    let mut out = String::with_capacity(POINTER_CAPACITY);
    push_pointer(&mut out, segs);
    out
}

/// Appends segments to a JSON pointer.
pub fn push_pointer(out: &mut String, segs: &[Seg]) {
    for s in segs {
        match s {
            Seg::Key(k) => push_pointer_key(out, k),
            Seg::Index(i) => push_pointer_index(out, *i),
        }
    }
}

/// Appends `/` and a key, with `~` and `/` escaped as RFC 6901 says.
fn push_pointer_key(out: &mut String, k: &str) {
    out.push('/');
    // Keys are mostly a few bytes long, where a loop beats setting up a
    // vector search.
    let plain = if k.len() <= 32 {
        !k.bytes().any(|b| b == b'~' || b == b'/')
    } else {
        memchr::memchr2(b'~', b'/', k.as_bytes()).is_none()
    };
    if plain {
        out.push_str(k);
        return;
    }
    for c in k.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

fn push_pointer_index(out: &mut String, i: usize) {
    out.push('/');
    out.push_str(itoa::Buffer::new().format(i));
}

/// Room for most pointers to findings (`/spec/template/spec/containers/0/
/// securityContext/capabilities/add/1` is 61 bytes) without growing.
const POINTER_CAPACITY: usize = 96;

/// One step on the way from the root to a node.
enum Step<'d> {
    Key(&'d str),
    Index(usize),
}

/// Parses an RFC 6901 JSON pointer into segments (numbers stay keys; the
/// document decides whether they index a list).
pub fn parse_pointer(p: &str) -> Vec<String> {
    if p.is_empty() {
        return Vec::new();
    }
    p.trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The positions of a document's nodes, by node. A document (one
/// resource) seldom spans 65,536 lines, or has a column past that: then
/// each position is kept in four bytes, its line counted from the
/// document's first, rather than eight. Positions are read only for what
/// a report points at, and were a quarter of what a document holds.
#[derive(Clone, Debug)]
enum Positions {
    Near { first: u32, at: Vec<[u16; 2]> },
    Far(Vec<Pos>),
}

impl Default for Positions {
    fn default() -> Positions {
        Positions::Far(Vec::new())
    }
}

impl Positions {
    /// The positions in the smaller form when they fit in it.
    fn of(all: &[Pos]) -> Positions {
        let (mut first, mut last, mut widest) = (u32::MAX, 0, 0);
        for p in all {
            first = first.min(p.line);
            last = last.max(p.line);
            widest = widest.max(p.col);
        }
        let near = u32::from(u16::MAX);
        if all.is_empty() || last - first > near || widest > near {
            return Positions::Far(all.to_vec());
        }
        // Each fits (the lines are within 65,535 of the first, the columns
        // at most 65,535), so nothing is cut off.
        Positions::Near {
            first,
            at: all
                .iter()
                .map(|p| [(p.line - first) as u16, p.col as u16])
                .collect(),
        }
    }

    fn get(&self, id: usize) -> Option<Pos> {
        match self {
            Positions::Near { first, at } => at.get(id).map(|[line, col]| Pos {
                line: first.saturating_add(u32::from(*line)),
                col: u32::from(*col),
            }),
            Positions::Far(all) => all.get(id).copied(),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Positions::Near { at, .. } => at.capacity() * 4,
            Positions::Far(all) => all.capacity() * std::mem::size_of::<Pos>(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Doc {
    nodes: Vec<Stored>,
    pos: Positions,
    items: Vec<NodeId>,
    entries: Vec<(Sym, NodeId)>,
    text: String,
}

impl Doc {
    /// A node of another document, with its positions, as a document of
    /// its own: an item of a list once the list is split.
    pub fn copy_of(n: NodeRef<'_>) -> Doc {
        let mut b = DocBuilder::new();
        b.copy(n);
        b.finish()
    }

    pub fn root(&self) -> NodeRef<'_> {
        NodeRef { doc: self, id: 0 }
    }

    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef { doc: self, id }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Reads the tables evaluation walks (nodes, entries, items, text) in
    /// order, one value per cache line, and returns their sum. A document
    /// has long left the caches when its resource is evaluated (the export
    /// is hundreds of megabytes); read in order, its lines arrive many at a
    /// time, where evaluation's own reads, one dependent on the next, would
    /// each wait for memory in turn.
    pub fn warm(&self) -> u64 {
        fn sum_lines<T>(table: &[T], value: impl Fn(&T) -> u64) -> u64 {
            let step = (64 / std::mem::size_of::<T>().max(1)).max(1);
            table
                .iter()
                .step_by(step)
                .fold(0u64, |sum, t| sum.wrapping_add(value(t)))
        }
        sum_lines(&self.nodes, |n| u64::from(matches!(n, Stored::Null)))
            .wrapping_add(sum_lines(&self.entries, |(k, _)| u64::from(k.index())))
            .wrapping_add(sum_lines(&self.items, |i| u64::from(*i)))
            .wrapping_add(sum_lines(self.text.as_bytes(), |b| u64::from(*b)))
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Stored>()
            + self.pos.heap_bytes()
            + self.items.capacity() * 4
            + self.entries.capacity() * 8
            + self.text.capacity()
    }

    /// Builds a document from JSON without positions.
    pub fn from_json(v: &serde_json::Value) -> Doc {
        let mut b = DocBuilder::new();
        b.json(v, Pos::default());
        b.finish()
    }

    fn node_at(&self, id: NodeId) -> Node {
        Node::from(self.stored_at(id))
    }

    fn stored_at(&self, id: NodeId) -> Stored {
        self.nodes.get(id as usize).copied().unwrap_or(Stored::Null)
    }

    fn str_at(&self, start: u32, len: u32) -> &str {
        self.text
            .get(start as usize..(start as usize + len as usize))
            .unwrap_or("")
    }

    fn items_of(&self, start: u32, len: u32) -> &[NodeId] {
        self.items
            .get(start as usize..(start as usize + len as usize))
            .unwrap_or(&[])
    }

    fn entries_of(&self, start: u32, len: u32) -> &[(Sym, NodeId)] {
        self.entries
            .get(start as usize..(start as usize + len as usize))
            .unwrap_or(&[])
    }

    /// The path from the root to a node.
    pub fn path_to(&self, target: NodeId) -> Vec<Seg> {
        let mut segs = Vec::new();
        self.walk_to(target, |s| {
            segs.push(match s {
                Step::Key(k) => Seg::Key(k.to_string()),
                Step::Index(i) => Seg::Index(i),
            })
        });
        segs
    }

    /// Appends the JSON pointer of a node, as `pointer_string(&path_to(..))`
    /// would give it, without making the segments.
    pub fn push_pointer_to(&self, target: NodeId, out: &mut String) {
        self.walk_to(target, |s| match s {
            Step::Key(k) => push_pointer_key(out, k),
            Step::Index(i) => push_pointer_index(out, i),
        });
    }

    /// Calls `step` for each step from the root to a node. Node ids grow
    /// in document order, so each level is a binary search.
    fn walk_to(&self, target: NodeId, mut step: impl FnMut(Step<'static>)) {
        let mut at: NodeId = 0;
        while at != target {
            match self.stored_at(at) {
                Stored::List { start, len } => {
                    let kids = self.items_of(start, len);
                    let i = match kids.binary_search(&target) {
                        Ok(i) => i,
                        Err(0) => return,
                        Err(i) => i - 1,
                    };
                    let Some(&child) = kids.get(i) else {
                        return;
                    };
                    step(Step::Index(i));
                    at = child;
                }
                Stored::Obj { start, len } => {
                    let kids = self.entries_of(start, len);
                    let i = match kids.binary_search_by_key(&target, |(_, id)| *id) {
                        Ok(i) => i,
                        Err(0) => return,
                        Err(i) => i - 1,
                    };
                    let Some(&(k, child)) = kids.get(i) else {
                        return;
                    };
                    step(Step::Key(k.as_str()));
                    at = child;
                }
                _ => return,
            }
        }
    }

    /// The node a JSON pointer names, if it exists.
    pub fn at_pointer(&self, pointer: &str) -> Option<NodeRef<'_>> {
        let mut n = self.root();
        for seg in parse_pointer(pointer) {
            n = match n.kind() {
                Node::List { .. } => n.index(seg.parse().ok()?)?,
                Node::Obj { .. } => n.get_str(&seg)?,
                _ => return None,
            };
        }
        Some(n)
    }
}

/// A node of a document.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    pub doc: &'a Doc,
    pub id: NodeId,
}

impl std::fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

impl PartialEq for NodeRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}

impl<'a> NodeRef<'a> {
    pub fn kind(&self) -> Node {
        self.doc.node_at(self.id)
    }

    /// The node as the document keeps it: what the methods below read,
    /// without making a [`Node`] of it.
    fn stored(&self) -> Stored {
        self.doc.stored_at(self.id)
    }

    pub fn pos(&self) -> Pos {
        self.doc.pos.get(self.id as usize).unwrap_or_default()
    }

    pub fn is_container(&self) -> bool {
        matches!(self.stored(), Stored::List { .. } | Stored::Obj { .. })
    }

    /// The field with this key.
    pub fn get(&self, key: Sym) -> Option<NodeRef<'a>> {
        match self.stored() {
            Stored::Obj { start, len } => self
                .doc
                .entries_of(start, len)
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, id)| self.doc.node(*id)),
            _ => None,
        }
    }

    pub fn get_str(&self, key: &str) -> Option<NodeRef<'a>> {
        self.get(super::intern::lookup(key)?)
    }

    pub fn index(&self, i: usize) -> Option<NodeRef<'a>> {
        match self.stored() {
            Stored::List { start, len } => self
                .doc
                .items_of(start, len)
                .get(i)
                .map(|id| self.doc.node(*id)),
            _ => None,
        }
    }

    /// Number of items or entries; 0 for scalars.
    pub fn len(&self) -> usize {
        match self.stored() {
            Stored::List { len, .. } | Stored::Obj { len, .. } => len as usize,
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn items(&self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        let doc = self.doc;
        let ids: &'a [NodeId] = match self.stored() {
            Stored::List { start, len } => doc.items_of(start, len),
            _ => &[],
        };
        ids.iter().map(move |id| doc.node(*id))
    }

    pub fn entries(&self) -> impl Iterator<Item = (Sym, NodeRef<'a>)> + 'a {
        let doc = self.doc;
        let es: &'a [(Sym, NodeId)] = match self.stored() {
            Stored::Obj { start, len } => doc.entries_of(start, len),
            _ => &[],
        };
        es.iter().map(move |(k, id)| (*k, doc.node(*id)))
    }

    /// The `i`th entry of an object.
    pub fn entry(&self, i: usize) -> Option<(Sym, NodeRef<'a>)> {
        match self.stored() {
            Stored::Obj { start, len } => self
                .doc
                .entries_of(start, len)
                .get(i)
                .map(|(k, id)| (*k, self.doc.node(*id))),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self.stored() {
            Stored::Str { start, len } => Some(self.doc.str_at(start, len)),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.stored() {
            Stored::Num(hi, lo) => Some(number(hi, lo)),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.stored() {
            Stored::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.stored(), Stored::Null)
    }

    /// Convenience: the string at a path of keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&'a str> {
        let mut n = *self;
        for p in path {
            n = n.get_str(p)?;
        }
        n.as_str()
    }

    pub fn path(&self) -> Vec<Seg> {
        self.doc.path_to(self.id)
    }

    pub fn pointer(&self) -> String {
        let mut out = String::with_capacity(POINTER_CAPACITY);
        self.doc.push_pointer_to(self.id, &mut out);
        out
    }

    /// Whether two subtrees, of one document or two, are the same JSON:
    /// the same keys in the same order, numbers by their bits. Read from
    /// the tables as they are kept, without making a [`Node`] of each.
    pub fn same_json(&self, other: NodeRef<'_>) -> bool {
        let (a, b) = (self.doc, other.doc);
        match (self.stored(), other.stored()) {
            (Stored::Null, Stored::Null) => true,
            (Stored::Bool(x), Stored::Bool(y)) => x == y,
            (Stored::Num(x, y), Stored::Num(p, q)) => (x, y) == (p, q),
            (Stored::Str { start: x, len: m }, Stored::Str { start: y, len: n }) => {
                m == n && a.str_at(x, m).as_bytes() == b.str_at(y, n).as_bytes()
            }
            (Stored::List { start: x, len: m }, Stored::List { start: y, len: n }) => {
                m == n
                    && a.items_of(x, m)
                        .iter()
                        .zip(b.items_of(y, n))
                        .all(|(i, j)| a.node(*i).same_json(b.node(*j)))
            }
            (Stored::Obj { start: x, len: m }, Stored::Obj { start: y, len: n }) => {
                m == n
                    && a.entries_of(x, m)
                        .iter()
                        .zip(b.entries_of(y, n))
                        .all(|((k, i), (l, j))| k == l && a.node(*i).same_json(b.node(*j)))
            }
            _ => false,
        }
    }

    /// Feeds the subtree to `h`: subtrees that are the same JSON (see
    /// [`Self::same_json`]) feed the same.
    pub fn hash_json(&self, h: &mut impl std::hash::Hasher) {
        let d = self.doc;
        match self.stored() {
            Stored::Null => h.write_u8(0),
            Stored::Bool(x) => h.write_u8(1 + u8::from(x)),
            Stored::Num(x, y) => {
                h.write_u8(3);
                h.write_u64(u64::from(x) << 32 | u64::from(y));
            }
            Stored::Str { start, len } => {
                h.write_u8(4);
                h.write(d.str_at(start, len).as_bytes());
                h.write_u32(len);
            }
            Stored::List { start, len } => {
                h.write_u8(5);
                h.write_u32(len);
                for i in d.items_of(start, len) {
                    d.node(*i).hash_json(h);
                }
            }
            Stored::Obj { start, len } => {
                h.write_u8(6);
                h.write_u32(len);
                for (k, i) in d.entries_of(start, len) {
                    h.write_u32(k.index());
                    d.node(*i).hash_json(h);
                }
            }
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self.kind() {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Num(n) => num_json(n),
            Node::Str { start, len } => Value::String(self.doc.str_at(start, len).to_string()),
            Node::List { .. } => Value::Array(self.items().map(|n| n.to_json()).collect()),
            Node::Obj { .. } => Value::Object(
                self.entries()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A number as JSON: integers without a fraction.
pub fn num_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// An open container while building.
#[derive(Debug)]
struct Open {
    id: NodeId,
    obj: bool,
    /// Where this container's children start in the scratch stacks.
    scratch: usize,
}

/// Builds a [`Doc`] from a stream of events (as parsers produce them).
#[derive(Debug, Default)]
pub struct DocBuilder {
    doc: Doc,
    /// The positions of the nodes built so far (the document's are made
    /// from them when it is finished).
    pos: Vec<Pos>,
    open: Vec<Open>,
    items: Vec<NodeId>,
    entries: Vec<(Sym, NodeId)>,
    key: Option<Sym>,
    /// Keys that appeared twice in one object (the later value is kept).
    pub duplicates: Vec<(String, Pos)>,
}

impl DocBuilder {
    pub fn new() -> DocBuilder {
        DocBuilder::default()
    }

    pub fn with_capacity(nodes: usize, text: usize) -> DocBuilder {
        let mut b = DocBuilder::default();
        b.doc.nodes.reserve(nodes);
        b.pos.reserve(nodes);
        b.doc.text.reserve(text);
        b
    }

    pub fn depth(&self) -> usize {
        self.open.len()
    }

    pub fn node_count(&self) -> usize {
        self.doc.nodes.len()
    }

    /// Sets the key of the next value in the open object.
    pub fn key(&mut self, k: Sym) {
        self.key = Some(k);
    }

    pub fn key_str(&mut self, k: &str) {
        self.key = Some(intern(k));
    }

    fn push(&mut self, node: Node, pos: Pos) -> NodeId {
        let id = NodeId::try_from(self.doc.nodes.len()).unwrap_or(NodeId::MAX);
        self.doc.nodes.push(Stored::from(node));
        self.pos.push(pos);
        match self.open.last() {
            Some(o) if o.obj => {
                let k = self.key.take().unwrap_or_else(|| intern(""));
                self.entries.push((k, id));
            }
            Some(_) => self.items.push(id),
            None => {}
        }
        id
    }

    pub fn null(&mut self, pos: Pos) -> NodeId {
        self.push(Node::Null, pos)
    }

    pub fn bool(&mut self, b: bool, pos: Pos) -> NodeId {
        self.push(Node::Bool(b), pos)
    }

    pub fn num(&mut self, n: f64, pos: Pos) -> NodeId {
        self.push(Node::Num(n), pos)
    }

    pub fn str(&mut self, s: &str, pos: Pos) -> NodeId {
        let start = u32::try_from(self.doc.text.len()).unwrap_or(u32::MAX);
        self.doc.text.push_str(s);
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.push(Node::Str { start, len }, pos)
    }

    /// Appends raw text to the string buffer and returns its start; pair with
    /// [`DocBuilder::str_from`] to build a string in pieces.
    pub fn text_mut(&mut self) -> &mut String {
        &mut self.doc.text
    }

    /// A string node for text appended since `start`.
    pub fn str_from(&mut self, start: usize, pos: Pos) -> NodeId {
        let len = self.doc.text.len().saturating_sub(start);
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        self.push(Node::Str { start, len }, pos)
    }

    pub fn begin_list(&mut self, pos: Pos) -> NodeId {
        let id = self.push(Node::List { start: 0, len: 0 }, pos);
        self.open.push(Open {
            id,
            obj: false,
            scratch: self.items.len(),
        });
        id
    }

    pub fn begin_obj(&mut self, pos: Pos) -> NodeId {
        let id = self.push(Node::Obj { start: 0, len: 0 }, pos);
        self.open.push(Open {
            id,
            obj: true,
            scratch: self.entries.len(),
        });
        id
    }

    /// Closes the innermost open list or object.
    pub fn end(&mut self) {
        let Some(o) = self.open.pop() else {
            return;
        };
        if o.obj {
            let kids = self.entries.get(o.scratch..).unwrap_or(&[]);
            let start = u32::try_from(self.doc.entries.len()).unwrap_or(u32::MAX);
            if has_duplicate_keys(kids) {
                let mut seen: Vec<Sym> = Vec::with_capacity(kids.len());
                let mut keep = Vec::with_capacity(kids.len());
                for &(k, id) in kids.iter().rev() {
                    if seen.contains(&k) {
                        // Reported where the key is given again: the value
                        // that is kept.
                        let later = keep.iter().find(|(kk, _)| *kk == k).map_or(id, |e| e.1);
                        let pos = self.pos.get(later as usize).copied().unwrap_or_default();
                        self.duplicates.push((k.as_str().to_string(), pos));
                        continue;
                    }
                    seen.push(k);
                    keep.push((k, id));
                }
                keep.reverse();
                self.doc.entries.extend(keep);
            } else {
                self.doc.entries.extend_from_slice(kids);
            }
            self.entries.truncate(o.scratch);
            let len =
                u32::try_from(self.doc.entries.len() as u64 - u64::from(start)).unwrap_or(u32::MAX);
            if let Some(n) = self.doc.nodes.get_mut(o.id as usize) {
                *n = Stored::Obj { start, len };
            }
        } else {
            let start = u32::try_from(self.doc.items.len()).unwrap_or(u32::MAX);
            let len = u32::try_from(self.items.len() - o.scratch).unwrap_or(u32::MAX);
            self.doc.items.extend(self.items.drain(o.scratch..));
            if let Some(n) = self.doc.nodes.get_mut(o.id as usize) {
                *n = Stored::List { start, len };
            }
        }
    }

    /// Copies a node of another document (with its positions) here.
    pub fn copy(&mut self, n: NodeRef<'_>) {
        let pos = n.pos();
        match n.kind() {
            Node::Null => {
                self.null(pos);
            }
            Node::Bool(b) => {
                self.bool(b, pos);
            }
            Node::Num(x) => {
                self.num(x, pos);
            }
            Node::Str { .. } => {
                self.str(n.as_str().unwrap_or(""), pos);
            }
            Node::List { .. } => {
                self.begin_list(pos);
                for c in n.items() {
                    self.copy(c);
                }
                self.end();
            }
            Node::Obj { .. } => {
                self.begin_obj(pos);
                for (k, c) in n.entries() {
                    self.key(k);
                    self.copy(c);
                }
                self.end();
            }
        }
    }

    /// Adds a JSON value, every node at `pos`.
    pub fn json(&mut self, v: &serde_json::Value, pos: Pos) {
        use serde_json::Value;
        match v {
            Value::Null => {
                self.null(pos);
            }
            Value::Bool(b) => {
                self.bool(*b, pos);
            }
            Value::Number(n) => {
                self.num(n.as_f64().unwrap_or(0.0), pos);
            }
            Value::String(s) => {
                self.str(s, pos);
            }
            Value::Array(a) => {
                self.begin_list(pos);
                for x in a {
                    self.json(x, pos);
                }
                self.end();
            }
            Value::Object(o) => {
                self.begin_obj(pos);
                for (k, x) in o {
                    self.key_str(k);
                    self.json(x, pos);
                }
                self.end();
            }
        }
    }

    pub fn finish(mut self) -> Doc {
        self.take()
    }

    /// Finishes the document in exactly sized storage and leaves the
    /// builder empty but with its buffers, ready for the next document.
    /// Reusing one builder per thread keeps loading from churning memory.
    pub fn take(&mut self) -> Doc {
        while !self.open.is_empty() {
            self.end();
        }
        if self.doc.nodes.is_empty() {
            self.null(Pos::default());
        }
        let d = &mut self.doc;
        let out = Doc {
            nodes: d.nodes.as_slice().to_vec(),
            pos: Positions::of(&self.pos),
            items: d.items.as_slice().to_vec(),
            entries: d.entries.as_slice().to_vec(),
            text: d.text.as_str().to_owned(),
        };
        d.nodes.clear();
        self.pos.clear();
        d.items.clear();
        d.entries.clear();
        d.text.clear();
        self.items.clear();
        self.entries.clear();
        self.key = None;
        self.duplicates.clear();
        out
    }
}

fn has_duplicate_keys(kids: &[(Sym, NodeId)]) -> bool {
    if kids.len() < 24 {
        kids.iter().enumerate().any(|(i, (k, _))| {
            kids.get(i + 1..)
                .is_some_and(|r| r.iter().any(|(k2, _)| k2 == k))
        })
    } else {
        let mut seen = std::collections::HashSet::with_capacity(kids.len());
        kids.iter().any(|(k, _)| !seen.insert(*k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A list of three strings at the given positions (the list at the
    /// first), as a document.
    fn at(places: [(usize, usize); 4]) -> Doc {
        let [list, a, b, c] = places.map(|(l, c)| Pos::new(l, c));
        let mut d = DocBuilder::new();
        d.begin_list(list);
        d.str("a", a);
        d.str("b", b);
        d.str("c", c);
        d.end();
        d.finish()
    }

    /// Positions come back as they were given, whether the document keeps
    /// them in four bytes (lines within 65,535 of its first, columns up to
    /// 65,535) or in eight (a document longer or wider than that, or one
    /// read from minified JSON, all on one line).
    #[test]
    fn positions_are_kept_exactly_near_and_far() {
        let cases = [
            ([(1, 1), (2, 3), (3, 3), (4, 3)], true),
            (
                [(900_000, 5), (900_001, 7), (965_535, 65_535), (900_002, 1)],
                true,
            ),
            ([(0, 0), (10, 2), (0, 0), (65_535, 9)], true),
            ([(10, 1), (11, 3), (65_546, 3), (12, 3)], false),
            (
                [(1, 1), (1, 70_000), (1, 140_000), (1, 4_000_000_000)],
                false,
            ),
        ];
        for (places, near) in cases {
            let d = at(places);
            let got: Vec<(u32, u32)> = (0..4)
                .map(|i| {
                    let p = d.node(i).pos();
                    (p.line, p.col)
                })
                .collect();
            let want: Vec<(u32, u32)> = places.iter().map(|&(l, c)| (l as u32, c as u32)).collect();
            assert_eq!(got, want);
            assert_eq!(matches!(d.pos, Positions::Near { .. }), near, "{places:?}");
        }
    }

    /// Subtrees of two documents compared and hashed from the stored
    /// tables: equal JSON is the same and hashes alike, whatever the
    /// documents' layouts; a different key order, value, type, length or
    /// number's bits is not the same.
    #[test]
    fn same_json_across_documents() {
        use std::hash::Hasher;
        let hash = |n: NodeRef<'_>| {
            let mut h = rustc_hash::FxHasher::default();
            n.hash_json(&mut h);
            h.finish()
        };
        let v = json!({"a": [1, "x", null, true, {"b": 2.5}], "c": "long text past sixteen bytes"});
        // The same value laid out at other places in a larger document.
        let w = json!({"pad": ["p", "q", {"r": 1}], "v": v.clone()});
        let (d, e) = (Doc::from_json(&v), Doc::from_json(&w));
        let (x, y) = (d.root(), e.root().get_str("v").unwrap());
        assert!(x.same_json(y) && y.same_json(x));
        assert_eq!(hash(x), hash(y));
        for other in [
            json!({"c": "long text past sixteen bytes", "a": [1, "x", null, true, {"b": 2.5}]}),
            json!({"a": [1, "x", null, true, {"b": 2.5}], "c": "long text past sixteen bytez"}),
            json!({"a": [1, "x", null, false, {"b": 2.5}], "c": "long text past sixteen bytes"}),
            json!({"a": [1, "x", null, true], "c": "long text past sixteen bytes"}),
            json!({"a": [1, "x", "null", true, {"b": 2.5}], "c": "long text past sixteen bytes"}),
            json!({"a": [1, "x", null, true, {"b": -2.5}], "c": "long text past sixteen bytes"}),
            json!({"a": [1, "x", null, true, {"B": 2.5}], "c": "long text past sixteen bytes"}),
        ] {
            let o = Doc::from_json(&other);
            assert!(!x.same_json(o.root()), "{other}");
        }
        // Numbers by all their bits: the sign, and the last of the fraction.
        for (p, q) in [(0.0, -0.0), (1.0, 1.000_000_000_000_000_2)] {
            let (p, q) = (Doc::from_json(&json!(p)), Doc::from_json(&json!(q)));
            assert!(!p.root().same_json(q.root()));
            assert!(p.root().same_json(p.root()));
        }
    }

    #[test]
    fn pointers_round_trip() {
        let v =
            json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "image": "x"}]}, "a/b": 1});
        let d = Doc::from_json(&v);
        assert_eq!(d.root().to_json(), v);
        let img = d.at_pointer("/spec/containers/1/image").unwrap();
        assert_eq!(img.as_str(), Some("x"));
        assert_eq!(img.pointer(), "/spec/containers/1/image");
        assert_eq!(d.at_pointer("/a~1b").unwrap().pointer(), "/a~1b");
        assert_eq!(d.root().pointer(), "");
        // Short keys and long ones (past the length searched byte by byte)
        // are escaped alike.
        let long = format!("{}/x~y", "k".repeat(40));
        let v = json!({"a~b/c": 1, "plain": 2, long.clone(): 3, "k".repeat(40): 4});
        let d = Doc::from_json(&v);
        let pointers: Vec<String> = d.root().entries().map(|(_, n)| n.pointer()).collect();
        let escaped = format!("/{}~1x~0y", "k".repeat(40));
        let plain_long = format!("/{}", "k".repeat(40));
        for p in ["/a~0b~1c", "/plain", escaped.as_str(), plain_long.as_str()] {
            assert!(pointers.iter().any(|x| x == p), "{p} in {pointers:?}");
            assert!(d.at_pointer(p).is_some(), "{p} leads back");
        }
    }

    /// Every node's pointer, written directly, is the one its path gives,
    /// and leads back to the node.
    #[test]
    fn every_node_has_the_pointer_its_path_gives() {
        let v = json!({
            "spec": {"containers": [{"name": "a"}, {"name": "b", "ports": [80, 443]}]},
            "a/b": {"c~d": [[], {"": null}]},
            "metadata": {"annotations": {"x.io/y~z": "1"}}
        });
        let d = Doc::from_json(&v);
        let mut seen = 0;
        for id in 0..d.nodes.len() as NodeId {
            let direct = d.node(id).pointer();
            assert_eq!(direct, pointer_string(&d.path_to(id)), "node {id}");
            assert_eq!(d.at_pointer(&direct).map(|n| n.id), Some(id), "{direct}");
            seen += 1;
        }
        assert!(seen > 15, "{seen}");
    }

    /// A document keeps a node in 12 bytes, and hands back every number
    /// with the same bits it was given.
    #[test]
    fn nodes_are_kept_in_12_bytes_and_numbers_come_back_bit_for_bit() {
        assert_eq!(std::mem::size_of::<Stored>(), 12);
        let numbers = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            65536.25,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            1e300,
            -7e-300,
            f64::from_bits(0x8000_0000_0000_0001),
            f64::from_bits(0x0000_0001_ffff_ffff),
        ];
        let mut b = DocBuilder::new();
        b.begin_list(Pos::new(1, 1));
        for x in numbers {
            b.num(x, Pos::new(1, 2));
        }
        b.end();
        let d = b.finish();
        let back: Vec<u64> = d
            .root()
            .items()
            .map(|n| match n.kind() {
                Node::Num(x) => x.to_bits(),
                other => panic!("a number, not {other:?}"),
            })
            .collect();
        assert_eq!(back, numbers.map(f64::to_bits));
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        let mut b = DocBuilder::new();
        b.begin_obj(Pos::new(1, 1));
        b.key_str("a");
        b.num(1.0, Pos::new(1, 2));
        b.key_str("a");
        b.num(2.0, Pos::new(2, 2));
        b.end();
        let dups = b.duplicates.clone();
        let d = b.finish();
        assert_eq!(d.root().to_json(), json!({"a": 2}));
        // Reported where the key is given again.
        assert_eq!(dups, vec![("a".to_string(), Pos::new(2, 2))]);
    }
}
