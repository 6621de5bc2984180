//! What the report formats share: the source text of each input (for code
//! frames, snippets and fixes), resource names and control metadata.

use crate::engine::{Engine, Report};
use crate::finding::{Finding, Identity};
use crate::input::{Format, Inputs};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use ward_lang::hir::{ControlDef, Severity};

/// An input file's text: the loader's, or read again for the report alone.
/// A file read again is kept as it was read, since making it shared would
/// copy it (hundreds of megabytes for a large export).
#[derive(Debug)]
pub(crate) enum Text {
    Shared(Arc<str>),
    Read(String),
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Shared(t) => t,
            Text::Read(t) => t,
        }
    }
}

impl Text {
    /// The text as a shared string: the loader's, or a copy of one read
    /// again.
    pub fn shared(&self) -> Arc<str> {
        match self {
            Text::Shared(t) => t.clone(),
            Text::Read(t) => Arc::from(t.as_str()),
        }
    }
}

impl From<Arc<str>> for Text {
    fn from(t: Arc<str>) -> Text {
        Text::Shared(t)
    }
}

impl From<String> for Text {
    fn from(t: String) -> Text {
        Text::Read(t)
    }
}

/// The size of the pieces a long text's lines are found in, in parallel.
const LINES_PIECE: usize = 8 << 20;

/// The byte offset of the start of each line, and whether the text is
/// ASCII; a long text is searched in pieces on all cores.
fn line_starts(text: &str) -> (Vec<usize>, bool) {
    line_starts_in(text, LINES_PIECE)
}

fn line_starts_in(text: &str, size: usize) -> (Vec<usize>, bool) {
    use rayon::prelude::*;
    let bytes = text.as_bytes();
    let piece = |at: usize, b: &[u8]| -> (Vec<usize>, bool) {
        let starts = memchr::memchr_iter(b'\n', b).map(|i| at + i + 1).collect();
        (starts, b.is_ascii())
    };
    let pieces: Vec<(Vec<usize>, bool)> = if bytes.len() <= size {
        vec![piece(0, bytes)]
    } else {
        bytes
            .par_chunks(size)
            .enumerate()
            .map(|(k, b)| piece(k * size, b))
            .collect()
    };
    let mut starts = Vec::with_capacity(1 + pieces.iter().map(|(s, _)| s.len()).sum::<usize>());
    starts.push(0);
    let mut ascii = true;
    for (s, a) in pieces {
        starts.extend_from_slice(&s);
        ascii &= a;
    }
    (starts, ascii)
}

/// One input file's text with its line starts.
#[derive(Debug)]
pub(crate) struct Source {
    pub text: Text,
    pub format: Format,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
    /// Character offset of the start of each line; `None` for ASCII text,
    /// where it is the byte offset.
    char_starts: Option<Vec<usize>>,
}

impl Source {
    pub fn new(text: impl Into<Text>, format: Format) -> Source {
        let text = text.into();
        let (starts, ascii) = line_starts(&text);
        let char_starts = (!ascii).then(|| {
            let mut n = 0;
            let mut out = Vec::with_capacity(starts.len());
            let mut prev = 0;
            for &st in &starts {
                n += text.get(prev..st).map(|t| t.chars().count()).unwrap_or(0);
                out.push(n);
                prev = st;
            }
            out
        });
        Source {
            text,
            format,
            starts,
            char_starts,
        }
    }

    /// The number of characters before a byte offset.
    pub fn char_offset(&self, offset: usize) -> usize {
        let Some(cs) = &self.char_starts else {
            return offset;
        };
        let i = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(i).copied().unwrap_or(0);
        let within = self
            .text
            .get(start..offset)
            .map(|t| t.chars().count())
            .unwrap_or(0);
        cs.get(i).copied().unwrap_or(0) + within
    }

    pub fn line_count(&self) -> usize {
        // A final newline does not start another line.
        match self.text.ends_with('\n') {
            true => self.starts.len() - 1,
            false => self.starts.len(),
        }
    }

    /// Byte range of a 1-based line, without its line break.
    pub fn line_range(&self, line: usize) -> Option<(usize, usize)> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let mut end = self
            .starts
            .get(line)
            .map(|s| s - 1)
            .unwrap_or(self.text.len());
        if end > start && self.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some((start, end))
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: usize) -> Option<&str> {
        let (s, e) = self.line_range(line)?;
        self.text.get(s..e)
    }

    /// The byte offset of a position as the loader reports it: YAML columns
    /// count characters, JSON columns count bytes.
    pub fn offset(&self, line: usize, col: usize) -> Option<usize> {
        let (start, end) = self.line_range(line)?;
        let l = self.text.get(start..end)?;
        let col0 = col.checked_sub(1)?;
        let within = if self.format == Format::Json {
            col0
        } else if col0 == l.chars().count() {
            l.len()
        } else {
            l.char_indices().nth(col0)?.0
        };
        (within <= l.len() && l.is_char_boundary(within)).then_some(start + within)
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let i = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(i).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (i + 1, col + 1)
    }

    /// A position's column in characters (what SARIF and people count).
    pub fn char_col(&self, line: usize, col: usize) -> usize {
        match self.offset(line, col) {
            Some(o) => self.line_col(o).1,
            None => col,
        }
    }
}

/// Writes items as text a window at a time: the window's tasks, `per_task`
/// items each, run on all cores, and `text` is given the index of a task's
/// first item; their texts are written in order. A report's findings are
/// most of it, and this holds two windows' text, not the whole report.
pub(crate) fn write_windows<T: Sync>(
    items: &[T],
    per_task: usize,
    w: &mut impl std::io::Write,
    text: impl Fn(usize, &[T]) -> std::io::Result<Vec<u8>> + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    let window = per_task.saturating_mul(rayon::current_num_threads().max(1) * 2);
    for (n, part) in items.chunks(window).enumerate() {
        let texts = part
            .par_chunks(per_task)
            .enumerate()
            .map(|(k, chunk)| text(n * window + k * per_task, chunk))
            .collect::<std::io::Result<Vec<Vec<u8>>>>()?;
        for t in texts {
            w.write_all(&t)?;
        }
    }
    Ok(())
}

/// What a writer of a report writes into memory, as a string: writing
/// into memory cannot fail, and the reports write text.
pub(crate) fn written(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    let _ = write(&mut out);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The built-in packs run over `examples/microservices-insecure`, for the
/// reports' tests.
#[cfg(test)]
pub(crate) fn example_run() -> (Engine, Inputs, Report) {
    let engine = crate::EngineBuilder::new().build().unwrap();
    let sel = engine.select(&engine.default_packs(), false, &[]).unwrap();
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/microservices-insecure"
    );
    let inputs = crate::input::load_paths(&[root.to_string()], &Default::default());
    let report = engine.evaluate(&sel, &inputs, &Default::default());
    assert!(!report.findings.is_empty());
    (engine, inputs, report)
}

/// The report's findings repeated until there are at least `n`: enough
/// for many windows.
#[cfg(test)]
pub(crate) fn repeat_findings(report: &mut Report, n: usize) {
    let one = report.findings.clone();
    while report.findings.len() < n {
        report.findings.extend(one.iter().cloned());
    }
}

/// The size of the pieces a large file is read again in, at once.
const READ_PIECE: usize = 16 << 20;

/// A file's text, read again for a report: a large file in pieces on all
/// cores, each into its own part of one buffer, since copying hundreds of
/// megabytes out of the page cache (and touching the memory it goes to)
/// took a third of a second on one core at 100k resources.
fn read_text(path: &Path) -> std::io::Result<String> {
    read_text_in(path, READ_PIECE)
}

fn read_text_in(path: &Path, size: usize) -> std::io::Result<String> {
    #[cfg(unix)]
    {
        use rayon::prelude::*;
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
        if len > size && len < isize::MAX as usize {
            let mut buf = vec![0u8; len];
            let read = buf
                .par_chunks_mut(size)
                .enumerate()
                .try_for_each(|(i, piece)| file.read_exact_at(piece, (i * size) as u64));
            // A file that changed since it was measured is read as usual.
            let mut rest = [0u8; 1];
            if read.is_ok() && matches!(file.read_at(&mut rest, len as u64), Ok(0)) {
                return String::from_utf8(buf).map_err(std::io::Error::other);
            }
        }
    }
    std::fs::read_to_string(path)
}

/// The text of every input file that has one.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    files: HashMap<String, Source>,
}

impl Sources {
    /// Texts kept by the loader, and for files with findings whose text was
    /// not kept (large files), the file read again.
    pub fn new(inputs: &Inputs, report: &Report) -> Sources {
        let mut files = HashMap::new();
        let with_findings: std::collections::HashSet<&str> =
            report.findings.iter().map(|f| &*f.file).collect();
        for f in &inputs.files {
            if let Some(t) = &f.text {
                files.insert(f.path.clone(), Source::new(t.clone(), f.format));
            }
        }
        for f in &inputs.files {
            if files.contains_key(&f.path)
                || f.path == "-"
                || !with_findings.contains(f.path.as_str())
            {
                continue;
            }
            if let Ok(t) = read_text(Path::new(&f.path)) {
                files.insert(f.path.clone(), Source::new(t, f.format));
            }
        }
        Sources { files }
    }

    /// One file's text alone.
    pub fn single(path: &str, text: Arc<str>, format: Format) -> Sources {
        let mut files = HashMap::new();
        files.insert(path.to_string(), Source::new(text, format));
        Sources { files }
    }

    pub fn get(&self, path: &str) -> Option<&Source> {
        self.files.get(path)
    }
}

/// `Kind/namespace/name`, or `Kind/name` for cluster-scoped resources.
pub(crate) fn resource_name(r: &Identity) -> String {
    let kind = if r.kind.is_empty() { "?" } else { &r.kind };
    let name = if r.name.is_empty() { "?" } else { &r.name };
    if r.namespace.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{}/{name}", r.namespace)
    }
}

/// The control a finding or outcome names.
pub(crate) fn control<'e>(engine: &'e Engine, id: &str) -> Option<&'e ControlDef> {
    engine.program.control(id).map(|(_, c)| c)
}

/// `framework/item` for each framework item a control maps to.
pub(crate) fn framework_tags(c: &ControlDef) -> Vec<String> {
    c.maps
        .iter()
        .map(|m| format!("{}/{}", m.framework, m.item))
        .collect()
}

/// `framework/item` for each framework item of a finding.
pub(crate) fn finding_tags(f: &Finding) -> Vec<String> {
    f.frameworks
        .iter()
        .map(|m| format!("{}/{}", m.framework, m.id))
        .collect()
}

/// The severities from most to least severe.
pub(crate) fn severities_desc() -> impl Iterator<Item = Severity> {
    Severity::ALL.iter().rev().copied()
}

/// The first reference that is a web address.
pub(crate) fn help_uri(c: &ControlDef) -> Option<&str> {
    c.references
        .iter()
        .map(String::as_str)
        .find(|r| r.starts_with("https://") || r.starts_with("http://"))
}

/// The words of a control's description, falling back to its doc comment.
pub(crate) fn description(c: &ControlDef) -> String {
    if !c.description.trim().is_empty() {
        return c.description.trim().to_string();
    }
    let docs = c
        .docs
        .iter()
        .map(|d| d.trim())
        .collect::<Vec<_>>()
        .join(" ");
    if docs.trim().is_empty() {
        c.title.clone()
    } else {
        docs.trim().to_string()
    }
}

/// Ward's own version.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a waiver says besides its reason, for people:
/// `inline annotation, owner ops, ticket SEC-1, expires 2027-01-31`.
pub(crate) fn waiver_details(w: &crate::finding::Suppression) -> String {
    let mut parts = vec![match w.source.as_str() {
        "annotation" => "inline annotation".to_string(),
        s => format!("{s} waiver"),
    }];
    if let Some(o) = &w.owner {
        parts.push(format!("owner {o}"));
    }
    if let Some(t) = &w.ticket {
        parts.push(format!("ticket {t}"));
    }
    if let Some(e) = &w.expires {
        parts.push(format!("expires {e}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_each_format() {
        let y = Source::new(Arc::from("a: é\nb: x\r\nc"), Format::Yaml);
        assert_eq!(y.line(2), Some("b: x"));
        assert_eq!(y.line(3), Some("c"));
        assert_eq!(y.line(4), None);
        assert_eq!(y.line_count(), 3);
        assert_eq!(y.offset(1, 4), Some(3));
        assert_eq!(y.offset(1, 5), Some(5));
        assert_eq!(y.line_col(12), (3, 1));
        assert_eq!(y.char_offset(12), 11);
        assert_eq!(y.char_offset(5), 4);
        let j = Source::new(Arc::from("{\"é\": 1}"), Format::Json);
        // The byte column of `1` is 8; in characters it is 7.
        assert_eq!(j.char_col(1, 8), 7);
    }

    /// Lines found in pieces are those found in one pass, wherever the
    /// pieces cut (at a line break, in a character, at either end).
    #[test]
    fn lines_found_in_pieces_are_the_lines_of_one_pass() {
        let text = "a: 1\n\nbé: \"x\"\r\n  - y\n\n\nlast line é\n";
        let one = line_starts_in(text, usize::MAX);
        assert_eq!(one.0, [0, 5, 6, 16, 22, 23, 24, 37]);
        assert!(!one.1);
        for size in 1..=text.len() {
            assert_eq!(line_starts_in(text, size), one, "pieces of {size} bytes");
        }
        let ascii = "k: v\nl: w";
        for size in 1..=ascii.len() {
            assert_eq!(line_starts_in(ascii, size), (vec![0, 5], true));
        }
    }

    /// A file read in pieces is the file read whole, wherever the pieces
    /// cut; text that is not UTF-8 is refused either way.
    #[test]
    fn files_read_in_pieces_are_read_whole() {
        let dir = std::env::temp_dir().join(format!("ward-read-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("export.json");
        let text: String = (0..200)
            .map(|i| format!("{{\"n\": {i}, \"é\": \"✓ line\"}}\n"))
            .collect();
        std::fs::write(&path, &text).unwrap();
        for size in [1, 2, 3, 7, 64, 1000, text.len() - 1, text.len()] {
            assert_eq!(read_text_in(&path, size).unwrap(), text, "pieces of {size}");
        }
        std::fs::write(&path, b"ok\n\xff\xfe not text").unwrap();
        assert!(read_text_in(&path, 2).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn names() {
        let mut id = Identity {
            kind: "Pod".into(),
            name: "p".into(),
            ..Identity::default()
        };
        assert_eq!(resource_name(&id), "Pod/p");
        id.namespace = "ns".into();
        assert_eq!(resource_name(&id), "Pod/ns/p");
    }
}
