//! Files, directories and stdin to resources.
//!
//! Every loaded document becomes a [`Resource`] (a [`Doc`] plus where it came
//! from) or a [`Skipped`] entry that says why it is not one. Broken files are
//! reported as [`InputError`]s naming the file, line and column, and never stop
//! the other files from loading.
//!
//! Besides YAML and JSON manifests, Dockerfiles ([`dockerfile`]) and CI
//! pipelines ([`ci`]: GitHub workflows, GitLab CI) are normalised into
//! resources, and every folder argument adds a synthetic `Repository`
//! resource that lists what was found in it. The shapes are described in
//! `docs/inputs.md`.

pub mod ci;
pub mod dockerfile;
pub mod json;
mod repository;
pub mod schema;
pub mod stream;
pub mod yaml;

use crate::value::doc::{Doc, NodeRef, Pos};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Limits and switches for loading.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub json: json::JsonOptions,
    pub yaml: yaml::YamlOptions,
    /// Files larger than this are refused.
    pub max_file_size: u64,
    /// Files up to this size keep their text in memory for code frames and
    /// fixes; larger ones are read again when a report needs them. JSON
    /// list exports of at least this size are read as a stream.
    pub keep_text_below: u64,
    /// Whether any file keeps its text: not when the report quotes no
    /// source, so a folder of manifests is not held twice, as text and as
    /// documents.
    pub keep_text: bool,
    /// Counts the bytes read, for a progress display.
    pub progress: Option<std::sync::Arc<crate::progress::Progress>>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            json: json::JsonOptions::default(),
            yaml: yaml::YamlOptions::default(),
            max_file_size: 2 * 1024 * 1024 * 1024,
            keep_text_below: 16 * 1024 * 1024,
            keep_text: true,
            progress: None,
        }
    }
}

/// The formats Ward reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Columns count characters.
    Yaml,
    /// Columns count bytes.
    Json,
    /// A Dockerfile or Containerfile (see [`dockerfile`]); columns count
    /// characters.
    Dockerfile,
    /// A folder given as an argument: the source of its `Repository`
    /// resource.
    Folder,
}

/// One input file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user named it, joined with the path inside a folder;
    /// `-` for stdin.
    pub path: String,
    pub format: Format,
    /// The text, when kept (see [`LoadOptions::keep_text_below`]).
    pub text: Option<Arc<str>>,
    /// A large list export on standard input, kept as it was read for a
    /// report that quotes it (see [`Pieces`]), rather than copied into
    /// `text`: a report quotes a few lines around each finding.
    pub kept: Option<Arc<Pieces>>,
}

/// Bytes kept as they were read, in pieces each compressed on its own: a
/// cluster export is a tenth of its size or less compressed (zstd at its
/// fastest levels), and a piece is read back at any offset.
#[derive(Debug)]
pub struct Pieces {
    /// The bytes of a piece.
    piece: usize,
    /// Each full piece, compressed.
    packed: Vec<Vec<u8>>,
    /// What each full piece holds.
    counts: Vec<Counts>,
    /// The piece being filled.
    open: Vec<u8>,
    len: usize,
}

impl Pieces {
    /// How hard pieces are compressed: zstd's level 1, about 2 GB/s on a
    /// cluster export on one core.
    const LEVEL: i32 = 1;

    pub(crate) fn new(piece: usize) -> Pieces {
        Pieces {
            piece: piece.max(1),
            packed: Vec::new(),
            counts: Vec::new(),
            open: Vec::new(),
            len: 0,
        }
    }

    /// Adds bytes; a piece that fills is compressed.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            if self.open.capacity() == 0 {
                self.open.reserve_exact(self.piece);
            }
            let room = self.piece - self.open.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.open.extend_from_slice(now);
            self.len += now.len();
            bytes = later;
            if self.open.len() == self.piece {
                self.packed
                    .push(zstd::bulk::compress(&self.open, Self::LEVEL)?);
                self.counts.push(Counts::of(&self.open));
                self.open.clear();
            }
        }
        Ok(())
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes of each piece.
    pub fn piece_size(&self) -> usize {
        self.piece
    }

    /// What each piece holds, in order.
    pub fn counts(&self) -> Vec<Counts> {
        let mut all = self.counts.clone();
        if !self.open.is_empty() {
            all.push(Counts::of(&self.open));
        }
        all
    }

    /// The bytes of piece `k`.
    fn piece_at(&self, k: usize) -> Option<std::borrow::Cow<'_, [u8]>> {
        match self.packed.get(k) {
            Some(p) => zstd::bulk::decompress(p, self.piece)
                .ok()
                .map(std::borrow::Cow::Owned),
            None if k == self.packed.len() => Some(std::borrow::Cow::Borrowed(&self.open)),
            None => None,
        }
    }

    /// Fills `buf` with the bytes from `at`; `None` past the end.
    pub fn read_exact_at(&self, buf: &mut [u8], at: usize) -> Option<()> {
        let mut filled = 0;
        while filled < buf.len() {
            let pos = at + filled;
            let piece = self.piece_at(pos / self.piece)?;
            let from = piece.get(pos % self.piece..)?;
            let n = from.len().min(buf.len() - filled);
            if n == 0 {
                return None;
            }
            buf.get_mut(filled..filled + n)?
                .copy_from_slice(from.get(..n)?);
            filled += n;
        }
        Some(())
    }

    /// All of it in one buffer.
    pub fn joined(&self) -> std::io::Result<Vec<u8>> {
        let mut all = Vec::with_capacity(self.len);
        for p in &self.packed {
            all.extend_from_slice(&zstd::bulk::decompress(p, self.piece)?);
        }
        all.extend_from_slice(&self.open);
        Ok(all)
    }
}

/// What a stretch of UTF-8 bytes holds: its line breaks and characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub breaks: usize,
    pub chars: usize,
}

impl Counts {
    pub fn of(b: &[u8]) -> Counts {
        Counts {
            breaks: memchr::memchr_iter(b'\n', b).count(),
            chars: chars_of(b),
        }
    }
}

/// The characters of UTF-8 bytes: those that do not continue one.
pub(crate) fn chars_of(b: &[u8]) -> usize {
    if b.is_ascii() {
        b.len()
    } else {
        b.iter().filter(|&&c| (c as i8) >= -0x40).count()
    }
}

/// One loaded resource.
#[derive(Debug)]
pub struct Resource {
    pub doc: Doc,
    /// Index into [`Inputs::files`].
    pub file: u32,
    /// Index of the document in its file (YAML stream position or `items`
    /// index of a list).
    pub index: u32,
    /// Helm's `# Source: chart/templates/x.yaml`, when present.
    pub origin: Option<String>,
    /// Whether it was read back from a cluster (see
    /// [`Resource::from_cluster`]): found while the document was read,
    /// where its metadata was in the cache, rather than by each of Ward's
    /// notices about the inputs going to memory for it again.
    pub cluster: bool,
}

impl Resource {
    pub fn root(&self) -> NodeRef<'_> {
        self.doc.root()
    }

    pub fn kind(&self) -> &str {
        self.root().str_at(&["kind"]).unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.root().str_at(&["apiVersion"]).unwrap_or("")
    }

    /// Whether it was read back from a cluster (it has a `uid` or a
    /// `resourceVersion`) rather than written or rendered: the API server
    /// has then dropped the fields it did not know and written it at an
    /// API version it serves.
    pub fn from_cluster(&self) -> bool {
        self.cluster
    }

    pub fn name(&self) -> &str {
        self.root().str_at(&["metadata", "name"]).unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.root().str_at(&["metadata", "namespace"]).unwrap_or("")
    }
}

/// Why a file that looks like an unrendered template is skipped: it says
/// what to do, so a report that names one skipped document names it first.
pub const UNRENDERED_TEMPLATE: &str =
    "an unrendered template (`{{ ... }}`): render it first, e.g. with `helm template`";

/// A document that is not a resource, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    pub line: usize,
    pub reason: String,
}

/// A file or document that could not be read.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Everything loaded for one run.
#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<SourceFile>,
    pub resources: Vec<Resource>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<InputError>,
}

impl Inputs {
    pub fn file(&self, r: &Resource) -> &SourceFile {
        static NONE: std::sync::OnceLock<SourceFile> = std::sync::OnceLock::new();
        self.files.get(r.file as usize).unwrap_or_else(|| {
            NONE.get_or_init(|| SourceFile {
                path: String::new(),
                format: Format::Json,
                text: None,
                kept: None,
            })
        })
    }

    /// The text of a resource's file: as kept by the loader, else read
    /// again from disk (for the rare finding that needs more than the
    /// positions of its documents' values). None for standard input not
    /// kept, or a file that can no longer be read.
    pub fn text_of(&self, r: &Resource) -> Option<Arc<str>> {
        let f = self.file(r);
        if let Some(t) = &f.text {
            return Some(t.clone());
        }
        if f.path == "-" || f.path.is_empty() || f.kept.is_some() {
            return None;
        }
        std::fs::read_to_string(&f.path).ok().map(Arc::from)
    }

    /// Adds one in-memory document (used by tests and embedders).
    pub fn add_json(&mut self, name: &str, value: &serde_json::Value) {
        let file = self.files.len() as u32;
        self.files.push(SourceFile {
            path: name.to_string(),
            format: Format::Json,
            text: None,
            kept: None,
        });
        self.accept(file, 0, Doc::from_json(value), None, name, 1);
    }

    /// Reads text as if it were a file of this name.
    pub fn add_text(&mut self, name: &str, text: &str, opts: &LoadOptions) {
        let format = detect_format(Path::new(name), text);
        let loaded = load_text(name, text, format, opts);
        self.merge(vec![loaded]);
    }

    /// Reads standard input's text from `reader` (for tests).
    #[cfg(test)]
    pub(crate) fn add_stdin(
        &mut self,
        reader: &mut (impl std::io::Read + Send),
        opts: &LoadOptions,
    ) {
        self.merge(vec![load_reader("-", reader, opts)]);
    }

    fn merge(&mut self, loaded: Vec<LoadedFile>) {
        self.resources
            .reserve(loaded.iter().map(|lf| lf.docs.len()).sum());
        for lf in loaded {
            let file = self.files.len() as u32;
            let path = lf.file.path.clone();
            self.files.push(lf.file);
            self.errors.extend(lf.errors);
            self.skipped.extend(lf.skipped);
            for d in lf.docs {
                let LoadedDoc {
                    index,
                    doc,
                    origin,
                    line,
                    head,
                } = d;
                match head {
                    // What the reader found while the document was fresh: a
                    // resource, kept without reading it again here, where it
                    // has long left the cache.
                    Some(Head {
                        resource: true,
                        cluster,
                        ..
                    }) => self.resources.push(Resource {
                        doc,
                        file,
                        index,
                        origin,
                        cluster,
                    }),
                    _ => self.accept(file, index, doc, origin, &path, line),
                }
            }
        }
    }

    /// Keeps a document as a resource, splitting lists and skipping
    /// non-resources with a reason.
    fn accept(
        &mut self,
        file: u32,
        index: u32,
        doc: Doc,
        origin: Option<String>,
        path: &str,
        line: usize,
    ) {
        let root = doc.root();
        let kind = root.get_str("kind").and_then(|k| k.as_str());
        match kind {
            Some(k)
                if k.ends_with("List")
                    && root.get_str("items").is_some_and(|i| {
                        !matches!(i.kind(), crate::value::doc::Node::List { .. })
                    }) =>
            {
                self.skipped.push(Skipped {
                    file: path.to_string(),
                    index: Some(index as usize),
                    line,
                    reason: format!("a `{k}` whose `items` is not a list"),
                });
            }
            Some(k) if k.ends_with("List") && root.get_str("items").is_some() => {
                let items: Vec<Doc> = root
                    .get_str("items")
                    .map(|items| items.items().map(Doc::copy_of).collect())
                    .unwrap_or_default();
                for (i, d) in items.into_iter().enumerate() {
                    let l = d.root().pos().line as usize;
                    self.accept(file, i as u32, d, origin.clone(), path, l);
                }
            }
            Some(k) if !k.is_empty() => self.resources.push(Resource {
                cluster: read_back(root),
                doc,
                file,
                index,
                origin,
            }),
            _ => {
                let reason = match root.kind() {
                    crate::value::doc::Node::Obj { .. } if root.get_str("kind").is_some() => {
                        "`kind` is not a non-empty string: not a Kubernetes resource".to_string()
                    }
                    crate::value::doc::Node::Obj { .. } => {
                        "no `kind` field: not a Kubernetes resource".to_string()
                    }
                    crate::value::doc::Node::List { .. } => {
                        "a list, not a resource object".to_string()
                    }
                    _ => "a scalar value, not a resource object".to_string(),
                };
                self.skipped.push(Skipped {
                    file: path.to_string(),
                    index: Some(index as usize),
                    line,
                    reason,
                });
            }
        }
    }
}

/// What the thread that read a document found of it, while the document
/// was still in that core's cache: on another thread later, each of these
/// reads waits for memory.
#[derive(Clone, Copy, Debug)]
pub struct Head {
    /// The line the document starts on.
    line: u32,
    /// Whether it is a resource as it is: its `kind` is a non-empty string
    /// that does not end in `List` (see [`Inputs::accept`]).
    resource: bool,
    /// Whether it was read back from a cluster ([`Resource::cluster`]).
    cluster: bool,
}

impl Head {
    pub fn of(doc: &Doc) -> Head {
        let root = doc.root();
        let kind = root.get_str("kind").and_then(|k| k.as_str());
        let resource = kind.is_some_and(|k| !k.is_empty() && !k.ends_with("List"));
        Head {
            line: root.pos().line,
            resource,
            cluster: resource && read_back(root),
        }
    }
}

/// Whether an object was read back from a cluster: its metadata has a
/// `uid` or a `resourceVersion`, which only the API server sets.
fn read_back(root: NodeRef<'_>) -> bool {
    let meta = root.get_str("metadata");
    ["uid", "resourceVersion"]
        .iter()
        .any(|k| meta.and_then(|m| m.get_str(k)).is_some())
}

/// One document of a file, before it is added to [`Inputs`].
struct LoadedDoc {
    /// Its index in the file.
    index: u32,
    doc: Doc,
    /// Its Helm source.
    origin: Option<String>,
    /// The line it starts on.
    line: usize,
    /// What the reader found of it, when it looked.
    head: Option<Head>,
}

impl LoadedDoc {
    fn new(index: u32, doc: Doc, origin: Option<String>, line: usize) -> LoadedDoc {
        LoadedDoc {
            index,
            doc,
            origin,
            line,
            head: None,
        }
    }
}

/// What one file produced, before it is added to [`Inputs`].
struct LoadedFile {
    file: SourceFile,
    docs: Vec<LoadedDoc>,
    skipped: Vec<Skipped>,
    errors: Vec<InputError>,
}

impl LoadedFile {
    /// A file that could not be read, with the error that says why.
    fn failed(shown: &str, message: String, line: usize, column: usize) -> LoadedFile {
        LoadedFile {
            file: SourceFile {
                path: shown.to_string(),
                format: Format::Yaml,
                text: None,
                kept: None,
            },
            docs: Vec::new(),
            skipped: Vec::new(),
            errors: vec![InputError {
                file: shown.to_string(),
                line,
                column,
                message,
            }],
        }
    }
}

/// Loads paths (files, folders, or `-` for stdin) in parallel.
pub fn load_paths(paths: &[String], opts: &LoadOptions) -> Inputs {
    load_paths_over(paths, opts, &HashMap::new())
}

/// Loads paths as [`load_paths`] does, reading the files named in
/// `overlay` (by the path shown for them, `-` for stdin) from there instead
/// of from disk: what `ward fix` uses to evaluate edited files before
/// writing them.
pub fn load_paths_over(
    paths: &[String],
    opts: &LoadOptions,
    overlay: &HashMap<String, Arc<str>>,
) -> Inputs {
    let mut inputs = Inputs::default();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut folders: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    for p in paths {
        if let Some(text) = overlay.get(p.as_str()).filter(|_| p == "-") {
            let format = detect_format(Path::new("-"), text);
            inputs.merge(vec![load_text("-", text, format, opts)]);
            continue;
        }
        if p == "-" {
            inputs.merge(vec![load_reader("-", &mut std::io::stdin(), opts)]);
            continue;
        }
        let path = Path::new(p);
        if path.is_dir() {
            let start = files.len();
            files.extend(walk(p, path, &mut inputs.errors));
            folders.push((p.clone(), start..files.len()));
        } else if path.exists() {
            files.push((p.clone(), path.to_path_buf()));
        } else {
            inputs.errors.push(InputError {
                file: p.clone(),
                line: 0,
                column: 0,
                message: "no such file or folder".into(),
            });
        }
    }
    let loaded: Vec<LoadedFile> = files
        .par_iter()
        .map(|(shown, path)| match overlay.get(shown.as_str()) {
            Some(text) => load_text(shown, text, detect_format(path, text), opts),
            None => load_file(shown, path, opts),
        })
        .collect();
    inputs.merge(loaded);
    for (folder, range) in folders {
        let found = files.get(range).unwrap_or(&[]);
        inputs.add_repository(&folder, found.iter().map(|(shown, _)| shown.as_str()));
    }
    inputs
}

/// Folders whose contents are never inputs.
const SKIP_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj", "node_modules", "target"];

fn walk(shown: &str, root: &Path, errors: &mut Vec<InputError>) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let it = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && e.depth() > 0
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SKIP_DIRS.contains(&n)))
        });
    for entry in it {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(InputError {
                    file: e
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| shown.to_string()),
                    line: 0,
                    column: 0,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if !entry.file_type().is_file() || !is_input_name(entry.path()) {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let shown_path = Path::new(shown).join(rel).display().to_string();
        out.push((shown_path, entry.path().to_path_buf()));
    }
    out
}

/// Whether a file in a folder is read as input: YAML, JSON, and
/// Dockerfiles by their names (see [`dockerfile::is_dockerfile_name`]).
pub fn is_input_name(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    ) || is_dockerfile_path(p)
}

pub(crate) fn is_dockerfile_path(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(dockerfile::is_dockerfile_name)
}

/// The format by name; for other names (and stdin) by content: JSON when it
/// starts with `{` or `[`, a Dockerfile when its first instruction is `FROM`
/// or `ARG`, YAML otherwise.
fn detect_format(p: &Path, text: &str) -> Format {
    if is_dockerfile_path(p) {
        return Format::Dockerfile;
    }
    match p.extension().and_then(|e| e.to_str()) {
        Some("json") => Format::Json,
        Some("yaml" | "yml") => Format::Yaml,
        _ => {
            let t = text.trim_start_matches('\u{feff}').trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                Format::Json
            } else if dockerfile::looks_like_dockerfile(text) {
                Format::Dockerfile
            } else {
                Format::Yaml
            }
        }
    }
}

fn load_file(shown: &str, path: &Path, opts: &LoadOptions) -> LoadedFile {
    let fail = |message: String, line: usize, column: usize| {
        LoadedFile::failed(shown, message, line, column)
    };
    match std::fs::metadata(path) {
        Ok(m) if m.len() > opts.max_file_size => {
            return fail(
                format!(
                    "the file is {} bytes, more than the limit of {} (raise it with --max-file-size)",
                    m.len(),
                    opts.max_file_size
                ),
                0,
                0,
            );
        }
        Ok(_) => {}
        Err(e) => return fail(format!("cannot read: {e}"), 0, 0),
    }
    if let Some(lf) = stream_large_json(shown, path, opts) {
        return lf;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read: {e}"), 0, 0),
    };
    if let Some(p) = &opts.progress {
        p.read(bytes.len() as u64);
    }
    match text_of(bytes) {
        Ok(text) => load_text(shown, &text, detect_format(path, &text), opts),
        Err((message, line, col)) => fail(message.to_string(), line, col),
    }
}

/// Bytes read as UTF-8 text; else what they are instead, and the line and
/// column where they stop being UTF-8.
fn text_of(bytes: Vec<u8>) -> Result<String, (&'static str, usize, usize)> {
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(e.as_bytes().get(..good).unwrap_or(&[])).into_owned();
        let line = prefix.matches('\n').count() + 1;
        let col = prefix
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count() + 1)
            .unwrap_or(1);
        let bytes = e.as_bytes();
        let message = if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            "the file is UTF-16 text; Ward reads UTF-8: convert it (e.g. `iconv -f UTF-16 -t UTF-8`)"
        } else if bytes.contains(&0) {
            "the file is binary, not text"
        } else {
            "the file is not valid UTF-8 text"
        };
        (message, line, col)
    })
}

/// Input that cannot be read twice (standard input). A large JSON list
/// export is read as a large file is, block by block on all cores (see
/// [`stream`]); what it read is kept as it goes, for a report that quotes
/// it and for reading it whole should it turn out not to be a list. Other
/// input, and input smaller than [`LoadOptions::keep_text_below`], is read
/// whole, as a file is.
fn load_reader(
    shown: &str,
    input: &mut (impl std::io::Read + Send),
    opts: &LoadOptions,
) -> LoadedFile {
    use std::io::Read;
    let fail = |e: std::io::Error| LoadedFile::failed(shown, format!("cannot read: {e}"), 0, 0);
    let mut head = Vec::new();
    if let Err(e) = input
        .by_ref()
        .take(opts.keep_text_below)
        .read_to_end(&mut head)
    {
        return fail(e);
    }
    if let Some(p) = &opts.progress {
        p.read(head.len() as u64);
    }
    let mut bytes = head;
    if bytes.len() as u64 >= opts.keep_text_below
        && stream::looks_like_list(bytes.get(..LIST_HEAD).unwrap_or(&bytes))
    {
        let mut kept = Kept {
            inner: Read::chain(
                std::io::Cursor::new(std::mem::take(&mut bytes)),
                crate::progress::Counting {
                    inner: &mut *input,
                    progress: opts.progress.as_deref(),
                },
            ),
            read: Pieces::new(KEPT_PIECE),
        };
        match stream::read_list(&mut kept, &opts.json) {
            Ok(Some(streamed)) => {
                let mut lf = streamed_file(shown, streamed);
                if opts.keep_text {
                    lf.file.kept = Some(Arc::new(kept.read));
                }
                return lf;
            }
            Ok(None) => {
                // Not a list after all: read it whole, from what was read.
                bytes = match kept.read.joined() {
                    Ok(b) => b,
                    Err(e) => return fail(e),
                };
                let (head, mut rest) = kept.inner.into_inner();
                let at = usize::try_from(head.position()).unwrap_or(usize::MAX);
                bytes.extend_from_slice(head.get_ref().get(at..).unwrap_or(&[]));
                if let Err(e) = rest.read_to_end(&mut bytes) {
                    return fail(e);
                }
            }
            Err(e) => return fail(e),
        }
    } else {
        let mut counted = crate::progress::Counting {
            inner: input,
            progress: opts.progress.as_deref(),
        };
        if let Err(e) = counted.read_to_end(&mut bytes) {
            return fail(e);
        }
    }
    match text_of(bytes) {
        Ok(text) => load_text(shown, &text, detect_format(Path::new(shown), &text), opts),
        Err((message, line, column)) => {
            LoadedFile::failed(shown, message.to_string(), line, column)
        }
    }
}

/// A reader that keeps what it reads (see [`Pieces`]).
struct Kept<R> {
    inner: R,
    read: Pieces,
}

/// The bytes of each piece [`Kept`] compresses.
const KEPT_PIECE: usize = 8 << 20;

impl<R: std::io::Read> std::io::Read for Kept<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.push(buf.get(..n).unwrap_or(&[]))?;
        Ok(n)
    }
}

/// How much of the start of a large JSON file is looked at to tell a list
/// export (`"items"` near the top) from anything else.
const LIST_HEAD: usize = 64 * 1024;

/// A large JSON list export, read block by block without holding the whole
/// file (see [`stream`]); `None` when the file is not one.
fn stream_large_json(shown: &str, path: &Path, opts: &LoadOptions) -> Option<LoadedFile> {
    let large = std::fs::metadata(path).is_ok_and(|m| m.len() >= opts.keep_text_below);
    let json = path.extension().and_then(|e| e.to_str()) == Some("json");
    if !large || !json {
        return None;
    }
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = vec![0u8; LIST_HEAD];
    let n = std::io::Read::read(&mut f, &mut head).ok()?;
    if !stream::looks_like_list(head.get(..n).unwrap_or(&[])) {
        return None;
    }
    if let Some(p) = &opts.progress {
        p.read(n as u64);
    }
    let mut reader = std::io::Read::chain(
        head.get(..n).unwrap_or(&[]),
        crate::progress::Counting {
            inner: f,
            progress: opts.progress.as_deref(),
        },
    );
    let streamed = stream::read_list(&mut reader, &opts.json).ok()??;
    Some(streamed_file(shown, streamed))
}

/// The items of a JSON list export read one by one, when the file as a
/// whole is not valid JSON but its items can be told apart: `None` when it
/// is not a list export, or its brackets and quotes do not hold together.
fn items_alone(text: &str, opts: &json::JsonOptions) -> Option<stream::Streamed> {
    let head = text.as_bytes().get(..LIST_HEAD).unwrap_or(text.as_bytes());
    if !stream::looks_like_list(head) {
        return None;
    }
    stream::read_list(&mut text.as_bytes(), opts)
        .ok()
        .flatten()
        .filter(|s| !s.errors.is_empty())
}

/// The file of a list export read block by block.
fn streamed_file(shown: &str, streamed: stream::Streamed) -> LoadedFile {
    let mut lf = LoadedFile {
        file: SourceFile {
            path: shown.to_string(),
            format: Format::Json,
            text: None,
            kept: None,
        },
        docs: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
    };
    add_items(&mut lf, shown, streamed);
    lf
}

/// Adds the items of a list export read item by item, and its errors.
fn add_items(lf: &mut LoadedFile, shown: &str, streamed: stream::Streamed) {
    for e in streamed.errors {
        lf.errors.push(InputError {
            file: shown.to_string(),
            line: e.line,
            column: e.col,
            message: format!("invalid JSON: {}", e.message),
        });
    }
    lf.docs.reserve(streamed.docs.len());
    for (i, doc, head) in streamed.docs {
        lf.docs.push(LoadedDoc {
            head: Some(head),
            ..LoadedDoc::new(i, doc, None, head.line as usize)
        });
    }
}

fn load_text(shown: &str, text: &str, format: Format, opts: &LoadOptions) -> LoadedFile {
    let keep = opts.keep_text && (text.len() as u64) < opts.keep_text_below;
    let mut lf = LoadedFile {
        file: SourceFile {
            path: shown.to_string(),
            format,
            text: keep.then(|| Arc::from(text)),
            kept: None,
        },
        docs: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
    };
    let err = |line: usize, column: usize, message: String| InputError {
        file: shown.to_string(),
        line,
        column,
        message,
    };
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        lf.skipped.push(Skipped {
            file: shown.to_string(),
            index: None,
            line: 1,
            reason: "empty file".into(),
        });
        return lf;
    }
    match format {
        Format::Folder => {}
        Format::Dockerfile => {
            let (doc, errors) = dockerfile::parse(text, shown);
            lf.errors
                .extend(errors.into_iter().map(|e| err(e.line, e.col, e.message)));
            lf.docs.push(LoadedDoc::new(0, doc, None, 1));
        }
        Format::Json => match json::parse(text, &opts.json) {
            Ok(json::JsonFile::One(doc)) => {
                let line = doc.root().pos().line as usize;
                lf.docs.push(LoadedDoc::new(0, doc, None, line));
            }
            Ok(json::JsonFile::List(items)) => {
                for (i, doc) in items.into_iter().enumerate() {
                    let line = doc.root().pos().line as usize;
                    lf.docs.push(LoadedDoc::new(i as u32, doc, None, line));
                }
            }
            Err(e) => match items_alone(text, &opts.json) {
                // A list export with a broken item: the other items are
                // read, as they are in an export large enough to stream.
                Some(streamed) => add_items(&mut lf, shown, streamed),
                None => lf
                    .errors
                    .push(err(e.line, e.col, format!("invalid JSON: {}", e.message))),
            },
        },
        Format::Yaml => {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let pipeline = ci::pipeline_of(Path::new(shown));
            // A large `kind: List` (`kubectl get -o yaml`), read item by
            // item: its items are what splitting the list gives.
            if pipeline.is_none()
                && let Some((line, items)) = yaml::parse_list(text, &opts.yaml)
            {
                let origin = helm_sources(text)
                    .into_iter()
                    .rev()
                    .find(|(l, _)| *l <= line && *l > 0)
                    .map(|(_, s)| s);
                for (i, doc) in items.into_iter().enumerate() {
                    let line = doc.root().pos().line as usize;
                    lf.docs
                        .push(LoadedDoc::new(i as u32, doc, origin.clone(), line));
                }
                return lf;
            }
            let (docs, errors) = yaml::parse_stream(text, &opts.yaml);
            // Template syntax makes the YAML invalid, or reads as mappings
            // used as keys (`name: {{ .Values.x }}`).
            let template = looks_like_template(text);
            let complex = docs.iter().any(|d| !d.complex_keys.is_empty());
            if template && (!errors.is_empty() || complex) {
                lf.skipped.push(Skipped {
                    file: shown.to_string(),
                    index: None,
                    line: 1,
                    reason: UNRENDERED_TEMPLATE.into(),
                });
                return lf;
            }
            let blank = |d: &yaml::YamlDoc| d.doc.as_ref().is_none_or(|x| x.root().is_null());
            if docs.iter().all(blank) && errors.is_empty() {
                lf.skipped.push(Skipped {
                    file: shown.to_string(),
                    index: None,
                    line: 1,
                    reason: "nothing to check: only comments, blank lines and empty documents"
                        .into(),
                });
                return lf;
            }
            for e in errors {
                lf.errors
                    .push(err(e.line, e.col, format!("invalid YAML: {}", e.message)));
            }
            let sources = helm_sources(text);
            let mut prev_line = 0usize;
            for d in docs {
                for pos in &d.complex_keys {
                    lf.errors.push(err(
                        pos.line as usize,
                        pos.col as usize,
                        "a mapping or list used as a key: JSON, and so Kubernetes, cannot hold it"
                            .to_string(),
                    ));
                }
                for (key, pos) in &d.duplicates {
                    lf.errors.push(err(
                        pos.line as usize,
                        pos.col as usize,
                        format!(
                            "the key `{key}` is given twice in one mapping; the later value is used"
                        ),
                    ));
                }
                match d.doc {
                    // Empty documents (`---` with nothing after, which reads
                    // as null) are common in generated output; they hold
                    // nothing to check.
                    Some(doc) if doc.root().is_null() => {}
                    None => {}
                    Some(doc)
                        if pipeline == Some(ci::Pipeline::GitLab) && is_gitlab_header(&doc) =>
                    {
                        lf.skipped.push(Skipped {
                            file: shown.to_string(),
                            index: Some(d.index),
                            line: doc.root().pos().line as usize,
                            reason: "the `spec:` header of a GitLab CI configuration".into(),
                        });
                    }
                    Some(doc) => {
                        let (doc, errors) = normalise_pipeline(pipeline, doc, shown);
                        lf.errors
                            .extend(errors.into_iter().map(|e| err(e.line, e.col, e.message)));
                        let line = doc.root().pos().line as usize;
                        let origin = sources
                            .iter()
                            .rev()
                            .find(|(l, _)| *l <= line && *l > prev_line)
                            .map(|(_, s)| s.clone());
                        prev_line = line;
                        lf.docs
                            .push(LoadedDoc::new(d.index as u32, doc, origin, line));
                    }
                }
            }
        }
    }
    lf
}

/// A GitLab CI file with inputs starts with a document holding only `spec:`.
fn is_gitlab_header(doc: &Doc) -> bool {
    let root = doc.root();
    root.len() == 1 && root.get_str("spec").is_some()
}

/// A CI pipeline's document normalised (see [`ci`]); other documents as
/// they are.
fn normalise_pipeline(
    pipeline: Option<ci::Pipeline>,
    doc: Doc,
    shown: &str,
) -> (Doc, Vec<ci::CiError>) {
    let out = match pipeline {
        Some(ci::Pipeline::GitHub) => ci::github_workflow(&doc, shown),
        Some(ci::Pipeline::GitLab) => ci::gitlab_pipeline(&doc, shown),
        None => None,
    };
    out.unwrap_or((doc, Vec::new()))
}

/// Lines `# Source: path` with their 1-based line numbers. The comment is
/// looked for, not every line: a rendered chart can be hundreds of
/// megabytes.
fn helm_sources(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let (mut line, mut counted) = (1, 0);
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(bytes, b"# Source:") {
        let start =
            memchr::memrchr(b'\n', bytes.get(..at).unwrap_or_default()).map_or(0, |i| i + 1);
        if !text
            .get(start..at)
            .is_some_and(|lead| lead.trim_start().is_empty())
        {
            continue;
        }
        let end = memchr::memchr(b'\n', bytes.get(at..).unwrap_or_default())
            .map_or(bytes.len(), |i| at + i);
        line += memchr::memchr_iter(b'\n', bytes.get(counted..start).unwrap_or_default()).count();
        counted = start;
        let path = text.get(at + "# Source:".len()..end).unwrap_or_default();
        out.push((line, path.trim().to_string()));
    }
    out
}

fn looks_like_template(text: &str) -> bool {
    let has = |s: &[u8]| memchr::memmem::find(text.as_bytes(), s).is_some();
    has(b"{{") && has(b"}}")
}

/// The position to report for a finding whose node is unknown.
pub fn fallback_pos() -> Pos {
    Pos::new(1, 1)
}

/// Numbers for tests that put inputs together at random: the same on every
/// run for a seed.
#[cfg(test)]
pub(crate) fn picker(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list export with a broken item, small enough to read whole: the
    /// other items are read, with their index in `items`, as they are when
    /// the export is large enough to stream; the error is where the item
    /// breaks, as reading the whole file says.
    #[test]
    fn a_broken_item_of_a_small_list_leaves_the_others() {
        let text = "{\"kind\": \"List\", \"items\": [\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}},\n{\"kind\": \"Pod\" \"metadata\": {}},\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"c\"}}\n]}\n";
        let whole = json::parse(text, &Default::default())
            .err()
            .map(|e| (e.line, e.col))
            .expect("the file as a whole is not valid JSON");
        let mut inputs = Inputs::default();
        inputs.add_text("list.json", text, &LoadOptions::default());
        let read: Vec<(u32, &str)> = inputs
            .resources
            .iter()
            .map(|r| (r.index, r.name()))
            .collect();
        assert_eq!(read, vec![(0, "a"), (2, "c")]);
        let errors: Vec<(usize, usize)> =
            inputs.errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(errors, vec![whole]);
    }

    #[test]
    fn lists_and_skips() {
        let mut inputs = Inputs::default();
        let opts = LoadOptions::default();
        inputs.add_text(
            "a.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n- kind: Service\n  metadata: {name: s}\n---\nreplicaCount: 1\n",
            &opts,
        );
        assert_eq!(inputs.resources.len(), 2);
        assert_eq!(inputs.resources[1].kind(), "Service");
        assert_eq!(inputs.resources[1].root().pos().line, 6);
        assert_eq!(inputs.skipped.len(), 1);
        assert!(inputs.skipped[0].reason.contains("no `kind`"));
    }

    #[test]
    fn files_keep_their_text_only_when_asked() {
        let text = "kind: Pod\nmetadata: {name: p}\n---\nkind: Service\nmetadata: {name: s}\n";
        let load = |keep_text: bool| {
            let mut inputs = Inputs::default();
            let opts = LoadOptions {
                keep_text,
                ..LoadOptions::default()
            };
            inputs.add_text("a.yaml", text, &opts);
            inputs.add_text(
                "b.json",
                r#"{"kind": "ConfigMap", "metadata": {"name": "c"}}"#,
                &opts,
            );
            inputs
        };
        let (kept, dropped) = (load(true), load(false));
        assert_eq!(kept.files[0].text.as_deref(), Some(text));
        assert!(kept.files[1].text.is_some());
        assert!(dropped.files.iter().all(|f| f.text.is_none()));
        // The documents, and where they are, are the same either way.
        let docs = |i: &Inputs| -> Vec<(String, u32, u32)> {
            i.resources
                .iter()
                .map(|r| {
                    (
                        r.kind().to_string(),
                        r.root().pos().line,
                        r.root().pos().col,
                    )
                })
                .collect()
        };
        assert_eq!(docs(&kept), docs(&dropped));
        assert_eq!(docs(&kept).len(), 3);
    }

    #[test]
    fn helm_sources_are_recorded() {
        let mut inputs = Inputs::default();
        inputs.add_text(
            "out.yaml",
            "---\n# Source: chart/templates/a.yaml\nkind: Service\n---\n# Source: chart/templates/b.yaml\nkind: Pod\n",
            &LoadOptions::default(),
        );
        let origins: Vec<_> = inputs.resources.iter().map(|r| r.origin.clone()).collect();
        assert_eq!(
            origins,
            vec![
                Some("chart/templates/a.yaml".to_string()),
                Some("chart/templates/b.yaml".to_string())
            ]
        );
    }

    #[test]
    fn a_long_yaml_list_read_apart_loads_as_the_list_split() {
        let mut text = String::from("# Source: chart/templates/all.yaml\napiVersion: v1\nitems:\n");
        let mut i = 0;
        while text.len() < 800 * 1024 {
            let kind = ["Pod", "Service", "ConfigMap"][i % 3];
            text.push_str(&format!(
                "- apiVersion: v1\n  kind: {kind}\n  metadata:\n    name: n{i}\n    labels:\n      app: a{}\n  spec:\n    containers:\n    - name: c\n      image: \"nginx:1.{i}\"\n      args: [\"--port\", \"{i}\"]\n      command:\n      - |\n        run {i}\n        twice\n",
                i % 7
            ));
            i += 1;
        }
        text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        let opts = LoadOptions::default();
        assert!(yaml::parse_list(&text, &opts.yaml).is_some());
        let mut apart = Inputs::default();
        apart.add_text("all.yaml", &text, &opts);
        // The list as one document, split when it is accepted.
        let (docs, errors) = yaml::parse_stream(&text, &opts.yaml);
        assert!(errors.is_empty());
        let [list] = docs.try_into().unwrap();
        let list = list.doc.unwrap();
        let line = list.root().pos().line as usize;
        let mut whole = Inputs::default();
        whole.merge(vec![LoadedFile {
            file: SourceFile {
                path: "all.yaml".into(),
                format: Format::Yaml,
                text: None,
                kept: None,
            },
            docs: vec![LoadedDoc::new(
                0,
                list,
                Some("chart/templates/all.yaml".into()),
                line,
            )],
            skipped: Vec::new(),
            errors: Vec::new(),
        }]);
        let seen = |inputs: &Inputs| -> Vec<_> {
            inputs
                .resources
                .iter()
                .map(|r| {
                    let mut at = Vec::new();
                    let mut stack = vec![r.root()];
                    while let Some(n) = stack.pop() {
                        at.push((n.pointer(), n.pos()));
                        stack.extend(n.entries().map(|(_, v)| v).chain(n.items()));
                    }
                    (r.file, r.index, r.origin.clone(), r.root().to_json(), at)
                })
                .collect()
        };
        assert_eq!(apart.resources.len(), i);
        assert_eq!(seen(&apart), seen(&whole));
        assert!(apart.errors.is_empty() && apart.skipped.is_empty());
    }

    /// Input read once (standard input) loads as the same text read whole:
    /// a list export streamed, an object that is not a list after all, and
    /// one whose first item stops the stream while part of what was read
    /// ahead is still unread.
    #[test]
    fn input_read_once_loads_as_the_text_whole() {
        let seen = |lf: &LoadedFile| {
            let docs: Vec<_> = lf
                .docs
                .iter()
                .map(|d| {
                    let mut at = Vec::new();
                    let mut stack = vec![d.doc.root()];
                    while let Some(n) = stack.pop() {
                        at.push((n.pointer(), n.pos()));
                        stack.extend(n.entries().map(|(_, v)| v).chain(n.items()));
                    }
                    (
                        d.index,
                        d.origin.clone(),
                        d.line,
                        d.doc.root().to_json(),
                        at,
                    )
                })
                .collect();
            let errors: Vec<_> = lf
                .errors
                .iter()
                .map(|e| (e.line, e.column, e.message.clone()))
                .collect();
            (docs, errors, lf.skipped.len())
        };
        let list = |kind: &str, first: &str, items: usize, pad: usize| {
            let mut text = format!("{{\n  \"apiVersion\": \"v1\",\n  \"items\": [{first}\n");
            for i in 0..items {
                text.push_str(&format!(
                    "    {{\"kind\": \"Pod\", \"metadata\": {{\"name\": \"p{i}\"}}, \"data\": \"{}\"}}{}\n",
                    "x".repeat(pad),
                    if i + 1 < items { "," } else { "" }
                ));
            }
            text.push_str(&format!("  ],\n  \"kind\": \"{kind}\"\n}}\n"));
            text
        };
        let cases = [
            ("a list", list("List", "", 300, 40), 4096),
            ("not a list", list("Thing", "", 300, 40), 4096),
            (
                "an item that is not an object",
                list("List", "\"x\",", 180, 120_000),
                20 << 20,
            ),
        ];
        for (what, text, below) in cases {
            assert!(text.len() > below, "{what}");
            let opts = LoadOptions {
                keep_text: true,
                keep_text_below: below as u64,
                ..LoadOptions::default()
            };
            let once = load_reader("-", &mut text.as_bytes(), &opts);
            let whole = load_text("-", &text, Format::Json, &opts);
            assert!(seen(&once) == seen(&whole), "{what}");
            assert!(!once.docs.is_empty(), "{what}");
            if what == "a list" {
                // Kept as it was read, not copied into one string.
                assert!(once.file.text.is_none());
                let kept = once.file.kept.as_deref().map(Pieces::joined);
                assert_eq!(kept.and_then(Result::ok).as_deref(), Some(text.as_bytes()));
            }
        }
    }

    /// A streamed list export keeps the items its reader found to be
    /// resources without reading them again: what it keeps and skips is
    /// what the same text read whole gives, for every kind of item.
    #[test]
    fn streamed_items_are_kept_and_skipped_as_whole_ones_are() {
        let items = [
            r#"{"kind": "Pod", "metadata": {"name": "a"}}"#,
            r#"{"metadata": {"name": "no-kind"}}"#,
            r#"{"kind": "", "metadata": {"name": "empty-kind"}}"#,
            r#"{"kind": 5}"#,
            r#"{"kind": "PodList", "items": [{"kind": "Pod", "metadata": {"name": "inner"}}]}"#,
            r#"{"kind": "ConfigMapList", "metadata": {"name": "no-items"}}"#,
            r#"{"kind": "SecretList", "items": 3}"#,
            r#"[1, 2]"#,
            r#"{"kind": "Service", "metadata": {"name": "b"}}"#,
        ];
        let text = format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n{}\n]}}\n",
            items.join(",\n")
        );
        let opts = LoadOptions {
            keep_text_below: 64,
            ..LoadOptions::default()
        };
        let mut streamed = Inputs::default();
        streamed.add_stdin(&mut text.as_bytes(), &opts);
        let mut whole = Inputs::default();
        whole.add_text("-", &text, &LoadOptions::default());
        let seen = |inputs: &Inputs| {
            let kept: Vec<_> = inputs
                .resources
                .iter()
                .map(|r| (r.index, r.root().pos().line, r.root().to_json()))
                .collect();
            let skipped: Vec<_> = inputs
                .skipped
                .iter()
                .map(|s| (s.index, s.line, s.reason.clone()))
                .collect();
            (kept, skipped)
        };
        let (kept, skipped) = seen(&streamed);
        // Read block by block, as a large export is.
        assert!(streamed.files.first().is_some_and(|f| f.kept.is_some()));
        assert_eq!(kept.len(), 4, "{kept:?}");
        assert_eq!(skipped.len(), 5, "{skipped:?}");
        assert_eq!(seen(&streamed), seen(&whole));
        assert!(streamed.errors.is_empty() && whole.errors.is_empty());
    }

    #[test]
    fn helm_sources_are_found_where_they_stand() {
        let text = "a: 1\r\n# Source: chart/a.yaml\r\n\t  # Source:  chart/b.yaml  \nx: \"# Source: no\"\n#  Source: no\n\n# Source: c # Source: d";
        let by_lines: Vec<(usize, String)> = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| {
                l.trim_start()
                    .strip_prefix("# Source:")
                    .map(|s| (i + 1, s.trim().to_string()))
            })
            .collect();
        assert_eq!(by_lines.len(), 3);
        assert_eq!(helm_sources(text), by_lines);
    }

    #[test]
    fn dockerfiles_and_pipelines_by_name() {
        let opts = LoadOptions::default();
        let mut inputs = Inputs::default();
        inputs.add_text("svc/Dockerfile", "FROM alpine\nUSER app\n", &opts);
        inputs.add_text("-", "# built by hand\nFROM alpine\n", &opts);
        inputs.add_text(
            "repo/.github/workflows/ci.yml",
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: make}]\n",
            &opts,
        );
        inputs.add_text(
            "repo/.gitlab-ci.yml",
            "spec:\n  inputs: {}\n---\nbuild:\n  script: make\n",
            &opts,
        );
        inputs.add_text("repo/other.yml", "on: push\njobs: {}\n", &opts);
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        let kinds: Vec<&str> = inputs.resources.iter().map(|r| r.kind()).collect();
        assert_eq!(
            kinds,
            vec![
                "Dockerfile",
                "Dockerfile",
                "GitHubWorkflow",
                "GitLabPipeline"
            ]
        );
        assert_eq!(inputs.files[0].format, Format::Dockerfile);
        assert_eq!(inputs.resources[0].name(), "svc/Dockerfile");
        let skipped: Vec<&str> = inputs.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped[0].contains("`spec:` header"));
    }

    #[test]
    fn dockerfile_errors_name_the_file() {
        let mut inputs = Inputs::default();
        inputs.add_text(
            "Containerfile",
            "FROM a\nRUN <<EOF\nx\n",
            &LoadOptions::default(),
        );
        assert_eq!(inputs.resources.len(), 1);
        assert_eq!(
            inputs.errors,
            vec![InputError {
                file: "Containerfile".into(),
                line: 2,
                column: 5,
                message: "unterminated heredoc: expected a line `EOF` before the end of the file"
                    .into(),
            }]
        );
    }

    #[test]
    fn templates_are_skipped_not_errors() {
        let mut inputs = Inputs::default();
        inputs.add_text(
            "t.yaml",
            "kind: Deployment\n{{- if .Values.x }}\nspec: {}\n{{- end }}\n",
            &LoadOptions::default(),
        );
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        assert!(inputs.skipped[0].reason.contains("template"));
    }
}
