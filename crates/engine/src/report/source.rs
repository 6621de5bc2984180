//! The source text of each input, for the reports that quote it (code
//! frames, SARIF snippets, fixes as diffs).
//!
//! A file is held whole, with its line starts, when the loader kept its
//! text or when it is small enough for a fix to be planned in it. A larger
//! file that was not kept (a cluster export of hundreds of megabytes) is
//! read again for the lines around its findings alone: an excerpt, whose
//! lines and offsets answer as the whole file's would. A frame, snippet or
//! token never reaches past the lines a report asked for, so the report is
//! the same text either way, and it holds a small part of the file rather
//! than all of it with an index of every line.

use crate::engine::Report;
use crate::input::{Counts, Format, Inputs, Pieces, chars_of};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

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

/// Consecutive whole lines of a file, from its line `first`.
#[derive(Debug)]
struct Run {
    /// The 1-based number of its first line.
    first: usize,
    /// How many lines it answers for.
    lines: usize,
    /// The byte offset of its first line in the file.
    start: usize,
    /// The characters of the file before it.
    chars: usize,
    text: Text,
    /// The byte offset in `text` of the start of each line, and of the
    /// end when the text ends with a line break.
    starts: Vec<usize>,
    /// Characters before each of `starts` in `text`; `None` for ASCII
    /// text, where they are the byte offsets.
    char_starts: Option<Vec<usize>>,
}

impl Run {
    fn new(first: usize, start: usize, chars: usize, text: Text, at_end: bool) -> Run {
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
        // A run that stops before the end of the file ends with the line
        // break of its last line; the start after it is another line's.
        let lines = if at_end {
            starts.len()
        } else {
            starts.len().saturating_sub(1)
        };
        Run {
            first,
            lines,
            start,
            chars,
            text,
            starts,
            char_starts,
        }
    }

    /// The byte just past its text, in the file.
    fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// Where an offset in `text` is: the index in `starts` of its line,
    /// and the characters of that line before it.
    fn position(&self, rel: usize) -> (usize, usize) {
        let i = match self.starts.binary_search(&rel) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(i).copied().unwrap_or(0);
        let within = self
            .text
            .get(start..rel)
            .map(|t| t.chars().count())
            .unwrap_or(0);
        (i, within)
    }
}

/// One input file's text (whole, or the runs of lines a report quotes)
/// with its line starts.
#[derive(Debug)]
pub(crate) struct Source {
    pub format: Format,
    /// The file's length in bytes.
    len: usize,
    line_count: usize,
    /// In order of their lines; one run from line 1 when whole.
    runs: Vec<Run>,
    whole: bool,
    /// What [`Source::shown`] masks.
    secrets: Vec<Box<str>>,
    /// The secrets as one automaton, made the first time a line is shown:
    /// an export can hold thousands (every Secret's values), and each
    /// line quoted is searched for all of them at once.
    masker: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
    /// Whether the text holds a CRLF line break: worked out once, since
    /// every fix planned in the file writes its line breaks.
    crlf: std::sync::OnceLock<bool>,
}

impl Source {
    pub fn new(text: impl Into<Text>, format: Format) -> Source {
        let text = text.into();
        let len = text.len();
        let run = Run::new(1, 0, 0, text, true);
        // A final newline does not start another line.
        let line_count = match run.text.ends_with('\n') {
            true => run.starts.len() - 1,
            false => run.starts.len(),
        };
        Source {
            format,
            len,
            line_count,
            runs: vec![run],
            whole: true,
            secrets: Vec::new(),
            masker: std::sync::OnceLock::new(),
            crlf: std::sync::OnceLock::new(),
        }
    }

    /// Masks a value of the file wherever a report shows its text: the
    /// value as a whole, each of its lines, and the value as a JSON string
    /// writes it (escapes inside, as in a JSON file or in the copy of a
    /// manifest `kubectl apply` keeps in an annotation).
    pub fn mask(&mut self, value: &str) {
        // An automaton made before is out of date.
        self.masker = std::sync::OnceLock::new();
        let mut add = |s: &str| {
            if s.chars().count() >= crate::finding::SECRET_CHARS && !s.chars().all(|c| c == '*') {
                self.secrets.push(s.into());
            }
        };
        add(value);
        if value.contains('\n') {
            for l in value.lines() {
                add(l.trim());
            }
        }
        if let Ok(json) = serde_json::to_string(value)
            && let Some(inner) = json.get(1..json.len().saturating_sub(1))
            && inner != value
        {
            add(inner);
        }
    }

    /// Text of this file as a report shows it: every masked value (see
    /// [`Source::mask`]) replaced by as many `*` as it has characters, so
    /// that columns and lengths stay where they were.
    pub fn shown<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        use std::borrow::Cow;
        let stars = |s: &str| "*".repeat(s.chars().count());
        if self.secrets.is_empty() {
            return Cow::Borrowed(text);
        }
        let masker = self.masker.get_or_init(|| {
            let mut secrets = self.secrets.clone();
            secrets.sort_unstable();
            secrets.dedup();
            aho_corasick::AhoCorasick::new(secrets.iter().map(|s| s.as_bytes())).ok()
        });
        // Without the automaton (too many secrets for its limits), nothing
        // of the text can be shown safely.
        let Some(masker) = masker else {
            return Cow::Owned(stars(text));
        };
        // Every byte some secret covers, overlapping secrets included, so
        // that no piece of one is left where another ends.
        let mut covered: Option<Vec<bool>> = None;
        for m in masker.find_overlapping_iter(text) {
            let c = covered.get_or_insert_with(|| vec![false; text.len()]);
            for b in c.get_mut(m.range()).into_iter().flatten() {
                *b = true;
            }
        }
        let Some(covered) = covered else {
            return Cow::Borrowed(text);
        };
        Cow::Owned(
            text.char_indices()
                .map(|(i, ch)| {
                    if covered.get(i).copied().unwrap_or(false) {
                        '*'
                    } else {
                        ch
                    }
                })
                .collect(),
        )
    }

    /// Whether the text held has a CRLF line break anywhere.
    pub fn has_crlf(&self) -> bool {
        *self.crlf.get_or_init(|| {
            self.runs
                .iter()
                .any(|r| memchr::memmem::find(r.text.as_bytes(), b"\r\n").is_some())
        })
    }

    /// The whole text, when it is held whole (a fix is planned in it).
    pub fn whole(&self) -> Option<&Text> {
        match self.runs.as_slice() {
            [run] if self.whole => Some(&run.text),
            _ => None,
        }
    }

    /// The file's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The run that holds a 1-based line.
    fn run_of_line(&self, line: usize) -> Option<&Run> {
        let i = self.runs.partition_point(|r| r.first <= line);
        let run = self.runs.get(i.checked_sub(1)?)?;
        (line - run.first < run.lines).then_some(run)
    }

    /// The run that holds a byte offset (or ends at it).
    fn run_of_offset(&self, offset: usize) -> Option<&Run> {
        let i = self.runs.partition_point(|r| r.start <= offset);
        let run = self.runs.get(i.checked_sub(1)?)?;
        (offset <= run.end()).then_some(run)
    }

    /// The text between two byte offsets of the file, when it holds them.
    pub fn slice(&self, start: usize, end: usize) -> Option<&str> {
        let run = self.run_of_offset(start)?;
        run.text.get(start - run.start..end.checked_sub(run.start)?)
    }

    /// The number of characters before a byte offset.
    pub fn char_offset(&self, offset: usize) -> usize {
        let Some(run) = self.run_of_offset(offset) else {
            return offset;
        };
        let Some(cs) = &run.char_starts else {
            return run.chars + (offset - run.start);
        };
        let (i, within) = run.position(offset - run.start);
        run.chars + cs.get(i).copied().unwrap_or(0) + within
    }

    pub fn line_count(&self) -> usize {
        self.line_count
    }

    /// Byte range of a 1-based line, without its line break.
    pub fn line_range(&self, line: usize) -> Option<(usize, usize)> {
        if line == 0 {
            return None;
        }
        let run = self.run_of_line(line)?;
        let i = line - run.first;
        let start = *run.starts.get(i)?;
        let mut end = run
            .starts
            .get(i + 1)
            .map(|s| s - 1)
            .unwrap_or(run.text.len());
        if end > start && run.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some((run.start + start, run.start + end))
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: usize) -> Option<&str> {
        let (s, e) = self.line_range(line)?;
        self.slice(s, e)
    }

    /// The byte offset of a position as the loader reports it: YAML columns
    /// count characters, JSON columns count bytes.
    pub fn offset(&self, line: usize, col: usize) -> Option<usize> {
        let (start, end) = self.line_range(line)?;
        let l = self.slice(start, end)?;
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
        let Some(run) = self.run_of_offset(offset) else {
            return (1, 1);
        };
        let (i, col) = run.position(offset - run.start);
        (run.first + i, col + 1)
    }

    /// A position's column in characters (what SARIF and people count).
    pub fn char_col(&self, line: usize, col: usize) -> usize {
        match self.offset(line, col) {
            Some(o) => self.line_col(o).1,
            None => col,
        }
    }
}

/// The size of the pieces a large file is read again in, at once.
const READ_PIECE: usize = 16 << 20;

/// Files at least this large that the loader did not keep are read again
/// for the lines around their findings alone: larger than any file a fix
/// is planned in (`edit::VERIFY_BUDGET`), so none needs the whole text.
const EXCERPT_FROM: usize = super::edit::VERIFY_BUDGET + 1;

/// A file's text, read again for a report: a large file in pieces of
/// `size` bytes on all cores, each into its own part of one buffer, since
/// copying hundreds of megabytes out of the page cache (and touching the
/// memory it goes to) took a third of a second on one core at 100k
/// resources.
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

/// Bytes an excerpt is read from, at any offset and from several threads
/// at once: a file, or standard input as the loader kept it.
trait ReadAt: Sync {
    fn size(&self) -> usize;
    /// Fills `buf` with the bytes from `at`.
    fn read_at(&self, buf: &mut [u8], at: usize) -> Option<()>;
    /// What each piece of `size` bytes holds, when known without reading.
    fn counts(&self, size: usize) -> Option<Vec<Counts>> {
        let _ = size;
        None
    }
}

/// A file, by positioned reads.
#[cfg(unix)]
struct FileAt {
    file: std::fs::File,
    len: usize,
}

#[cfg(unix)]
impl ReadAt for FileAt {
    fn size(&self) -> usize {
        self.len
    }

    fn read_at(&self, buf: &mut [u8], at: usize) -> Option<()> {
        use std::os::unix::fs::FileExt;
        self.file.read_exact_at(buf, at as u64).ok()
    }
}

impl ReadAt for Pieces {
    fn size(&self) -> usize {
        self.len()
    }

    fn read_at(&self, buf: &mut [u8], at: usize) -> Option<()> {
        self.read_exact_at(buf, at)
    }

    /// Counted as the pieces were kept, so that an excerpt in pieces of
    /// the same size decompresses each once.
    fn counts(&self, size: usize) -> Option<Vec<Counts>> {
        (size == self.piece_size()).then(|| self.counts())
    }
}

/// A file's excerpt (see [`excerpt_in`]).
#[cfg(unix)]
fn excerpt_of_file(
    path: &Path,
    format: Format,
    wanted: &[(usize, usize)],
    size: usize,
) -> Option<Source> {
    let file = std::fs::File::open(path).ok()?;
    let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
    excerpt_in(&FileAt { file, len }, format, wanted, size)
}

/// Without positioned reads, a file is read whole.
#[cfg(not(unix))]
fn excerpt_of_file(path: &Path, format: Format, _: &[(usize, usize)], _: usize) -> Option<Source> {
    read_text_in(path, READ_PIECE)
        .ok()
        .map(|t| Source::new(t, format))
}

/// Reads the lines that `wanted` names (sorted runs of 1-based line
/// numbers, `(first, last)`, apart by at least one line), in pieces of
/// `size` bytes on all cores: once to count each piece's line breaks and
/// characters, and again, in the pieces where runs start, to take their
/// text. `None` when the bytes cannot be read, or are not UTF-8 where a
/// run is.
fn excerpt_in(
    bytes: &impl ReadAt,
    format: Format,
    wanted: &[(usize, usize)],
    size: usize,
) -> Option<Source> {
    use rayon::prelude::*;
    let len = bytes.size();
    let size = size.max(1);
    let pieces = len.div_ceil(size);
    let read_piece = |k: usize, buf: &mut Vec<u8>| -> Option<()> {
        let at = k * size;
        buf.resize(size.min(len - at), 0);
        bytes.read_at(buf, at)
    };
    let counts: Vec<Counts> = match bytes.counts(size) {
        Some(c) => c,
        None => (0..pieces)
            .into_par_iter()
            .map_init(Vec::new, |buf, k| {
                read_piece(k, buf)?;
                Some(Counts::of(buf))
            })
            .collect::<Option<_>>()?,
    };
    // Line breaks and characters before each piece.
    let mut before = Vec::with_capacity(pieces + 1);
    let mut sum = Counts::default();
    for c in &counts {
        before.push(sum);
        sum.breaks += c.breaks;
        sum.chars += c.chars;
    }
    before.push(sum);
    let ends_with_break = {
        let mut last = [0u8; 1];
        len > 0 && bytes.read_at(&mut last, len - 1).is_some() && last[0] == b'\n'
    };
    let line_count = if ends_with_break {
        sum.breaks
    } else {
        sum.breaks + 1
    };
    // A run starts after line break `first - 1`: in the piece that holds
    // that break (the first piece for line 1). Runs past the last line are
    // cut to it.
    let mut by_piece: Vec<Vec<(usize, usize)>> = vec![Vec::new(); pieces.max(1)];
    for &(first, last) in wanted {
        let last = last.min(line_count);
        if first > last || first == 0 {
            continue;
        }
        let k = if first == 1 {
            0
        } else {
            before.partition_point(|b| b.breaks < first - 1) - 1
        };
        by_piece.get_mut(k)?.push((first, last));
    }
    let runs: Vec<Vec<Run>> = by_piece
        .into_par_iter()
        .enumerate()
        .filter(|(_, runs)| !runs.is_empty())
        .map_init(Vec::new, |buf, (k, runs)| {
            read_piece(k, buf)?;
            take_runs(bytes, buf, k * size, *before.get(k)?, runs)
        })
        .collect::<Option<_>>()?;
    Some(Source {
        format,
        len,
        line_count,
        runs: runs.into_iter().flatten().collect(),
        whole: false,
        secrets: Vec::new(),
        masker: std::sync::OnceLock::new(),
        crlf: std::sync::OnceLock::new(),
    })
}

/// The runs that start in one piece (`buf`, from byte `at`, after the
/// line breaks and characters of `base`), read on past the piece where one
/// ends beyond it.
fn take_runs(
    bytes: &impl ReadAt,
    buf: &[u8],
    at: usize,
    base: Counts,
    runs: Vec<(usize, usize)>,
) -> Option<Vec<Run>> {
    let mut out = Vec::with_capacity(runs.len());
    // Line breaks seen so far (the file's count), and where the characters
    // were last counted to.
    let mut breaks = base.breaks;
    let mut breaks_at = memchr::memchr_iter(b'\n', buf);
    let (mut counted_to, mut chars) = (0, base.chars);
    for (first, last) in runs {
        // The run's start: just after line break `first - 1`.
        let mut start = 0;
        while breaks < first - 1 {
            start = breaks_at.next()? + 1;
            breaks += 1;
        }
        chars += chars_of(buf.get(counted_to..start)?);
        counted_to = start;
        // Its end: just after line break `last`, or the end of the bytes.
        let mut end = None;
        while breaks < last {
            let Some(i) = breaks_at.next() else { break };
            breaks += 1;
            if breaks == last {
                end = Some(i + 1);
            }
        }
        let text = match end {
            Some(e) => buf.get(start..e)?.to_vec(),
            None => {
                let mut text = buf.get(start..)?.to_vec();
                read_lines_on(bytes, at + buf.len(), last - breaks, &mut text)?;
                text
            }
        };
        let text = String::from_utf8(text).ok()?;
        let at_end = at + start + text.len() == bytes.size();
        out.push(Run::new(first, at + start, chars, Text::Read(text), at_end));
    }
    Some(out)
}

/// Appends the bytes from `from` through the `need`-th line break after
/// that (or to the end).
fn read_lines_on(
    bytes: &impl ReadAt,
    mut from: usize,
    mut need: usize,
    out: &mut Vec<u8>,
) -> Option<()> {
    let len = bytes.size();
    let mut chunk = vec![0u8; 64 << 10];
    while need > 0 && from < len {
        let n = chunk.len().min(len - from);
        let part = chunk.get_mut(..n)?;
        bytes.read_at(part, from)?;
        let mut take = n;
        for i in memchr::memchr_iter(b'\n', part) {
            need -= 1;
            if need == 0 {
                take = i + 1;
                break;
            }
        }
        out.extend_from_slice(part.get(..take)?);
        from += take;
    }
    Some(())
}

/// The runs of lines within `radius` of each of `lines`: sorted, and
/// apart by at least one line.
fn runs_around(mut lines: Vec<usize>, radius: usize) -> Vec<(usize, usize)> {
    lines.sort_unstable();
    lines.dedup();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for l in lines {
        let (first, last) = (l.saturating_sub(radius).max(1), l.saturating_add(radius));
        match runs.last_mut() {
            Some((_, end)) if first <= end.saturating_add(1) => *end = (*end).max(last),
            _ => runs.push((first, last)),
        }
    }
    runs
}

/// The text of every input file that has one.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    files: HashMap<String, Source>,
}

impl Sources {
    /// Texts kept by the loader, and for files with findings whose text was
    /// not kept (large files), the file read again whole.
    pub fn new(inputs: &Inputs, report: &Report) -> Sources {
        Sources::read(inputs, report, None, None)
    }

    /// As [`Sources::new`], for a report that quotes the lines within
    /// `radius` of each finding's line and plans no fix in a large file:
    /// a large file is read for those lines alone.
    pub fn around(inputs: &Inputs, report: &Report, radius: usize) -> Sources {
        #[cfg(test)]
        if let Some(piece) = tests::EXCERPT_PIECE.get() {
            return Sources::read(inputs, report, Some((radius, 0)), Some(piece));
        }
        Sources::read(inputs, report, Some((radius, EXCERPT_FROM)), None)
    }

    /// `quote`: the radius of the lines quoted, and the size from which a
    /// file is read for them alone. `piece`: the size of the pieces read,
    /// when not each source's own (a test's).
    fn read(
        inputs: &Inputs,
        report: &Report,
        quote: Option<(usize, usize)>,
        piece: Option<usize>,
    ) -> Sources {
        let mut files = HashMap::new();
        let mut lines: HashMap<&str, Vec<usize>> = HashMap::new();
        for f in &report.findings {
            lines.entry(&*f.file).or_default().push(f.line as usize);
        }
        // The place a file stopped reading, which the text report frames.
        for (file, line) in report.errors.iter().filter_map(|e| e.input_place()) {
            lines.entry(file).or_default().push(line);
        }
        for f in &inputs.files {
            if let Some(t) = &f.text {
                files.insert(f.path.clone(), Source::new(t.clone(), f.format));
            }
        }
        for f in &inputs.files {
            if files.contains_key(&f.path) {
                continue;
            }
            let Some(lines) = lines.remove(f.path.as_str()) else {
                continue;
            };
            let path = Path::new(&f.path);
            let source = match (&f.kept, quote) {
                // Standard input as the loader kept it.
                (Some(kept), Some((radius, from))) if kept.len() >= from => {
                    let size = piece.unwrap_or(kept.piece_size());
                    excerpt_in(&**kept, f.format, &runs_around(lines, radius), size)
                }
                (Some(kept), _) => kept
                    .joined()
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .map(|t| Source::new(t, f.format)),
                _ if f.path == "-" => None,
                (None, Some((radius, from)))
                    if std::fs::metadata(path).is_ok_and(|m| m.len() >= from as u64) =>
                {
                    let size = piece.unwrap_or(READ_PIECE);
                    excerpt_of_file(path, f.format, &runs_around(lines, radius), size)
                }
                (None, _) => read_text_in(path, piece.unwrap_or(READ_PIECE))
                    .ok()
                    .map(|t| Source::new(t, f.format)),
            };
            if let Some(s) = source {
                files.insert(f.path.clone(), s);
            }
        }
        // The values of `redact true` findings, hidden or not: a context
        // line of another finding may show them.
        for f in report.findings.iter().chain(&report.baselined) {
            if let (Some(secrets), Some(src)) = (&f.secrets, files.get_mut(&*f.file)) {
                for s in secrets.iter() {
                    src.mask(s);
                }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    thread_local! {
        /// Set by a test: reports on this thread read every file that was
        /// not kept as an excerpt, in pieces of this many bytes.
        pub(crate) static EXCERPT_PIECE: std::cell::Cell<Option<usize>> =
            const { std::cell::Cell::new(None) };
    }

    /// Masked values keep their length in characters; overlapping ones
    /// are masked whole; short ones are not masked.
    #[test]
    fn shown_text_masks_every_value_character_for_character() {
        let mut src = Source::new(Arc::from("x"), Format::Yaml);
        assert!(matches!(
            src.shown("a: abcd1234"),
            std::borrow::Cow::Borrowed(_)
        ));
        src.mask("abcd1234");
        src.mask("1234wxyz");
        src.mask("pässwörd");
        src.mask("abc");
        src.mask("say \"hi\"");
        assert_eq!(src.shown("k: abcd1234wxyz!"), "k: ************!");
        assert_eq!(src.shown("p: pässwörd, abc"), "p: ********, abc");
        assert_eq!(src.shown(r#"{"v":"say \"hi\""}"#), r#"{"v":"**********"}"#);
        assert_eq!(src.shown("nothing here"), "nothing here");
        // A value masked after a line was shown is masked from then on.
        src.mask("later-secret");
        assert_eq!(src.shown("x: later-secret"), "x: ************");
    }

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
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
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
    }

    /// A tiny deterministic generator for the tests' texts.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n.max(1)
        }
    }

    /// A text of `lines` lines of every shape: empty, ASCII, with
    /// characters of two and three bytes, ending in CRLF, longer than the
    /// pieces; with or without a final line break.
    fn text_of(rng: &mut Lcg, lines: usize) -> String {
        let words = [
            "a: 1",
            "",
            "bé: \"x\"",
            "  - ✓ yes",
            "key: value\r",
            "{\"é\": [1, 2]}",
        ];
        let mut out = String::new();
        for i in 0..lines {
            let mut line = words[rng.below(words.len())].to_string();
            if rng.below(7) == 0 {
                line.push_str(&"long é ".repeat(1 + rng.below(12)));
            }
            out.push_str(&line);
            if i + 1 < lines || rng.below(2) == 0 {
                out.push('\n');
            }
        }
        out
    }

    /// Asserts that an excerpt answers every question about its lines as
    /// the whole text does, and nothing about other lines.
    fn assert_answers_as_whole(excerpt: &Source, whole: &Source, wanted: &[(usize, usize)]) {
        assert_eq!(excerpt.len(), whole.len());
        assert_eq!(excerpt.line_count(), whole.line_count());
        assert!(excerpt.whole().is_none());
        let mut held = vec![false; whole.line_count() + 2];
        for &(first, last) in wanted {
            if let Some(h) = held.get_mut(first..=last.min(whole.line_count())) {
                h.fill(true);
            }
        }
        for (l, &h) in held.iter().enumerate() {
            // Past a final line break, the whole text has an empty line;
            // so does an excerpt that holds the last line.
            let last = l == whole.line_count() + 1 && held[l - 1];
            if !h && !last {
                assert_eq!(excerpt.line(l), None, "line {l} is not held");
                continue;
            }
            assert_eq!(
                excerpt.line_range(l),
                whole.line_range(l),
                "range of line {l}"
            );
            assert_eq!(excerpt.line(l), whole.line(l), "line {l}");
            let Some((s, e)) = whole.line_range(l) else {
                continue;
            };
            let chars = whole.line(l).map_or(0, |t| t.chars().count());
            for col in 0..=chars + 2 {
                assert_eq!(
                    excerpt.offset(l, col),
                    whole.offset(l, col),
                    "line {l} col {col}"
                );
                assert_eq!(excerpt.char_col(l, col), whole.char_col(l, col));
            }
            for o in s..=e {
                assert_eq!(excerpt.line_col(o), whole.line_col(o), "offset {o}");
                assert_eq!(excerpt.char_offset(o), whole.char_offset(o), "offset {o}");
                assert_eq!(excerpt.slice(s, o), whole.slice(s, o), "{s}..{o}");
            }
        }
    }

    /// An excerpt read in pieces of any size, wherever they cut (in a
    /// character, in a line longer than a piece, at a line break, at the
    /// end), holds the lines it was asked for as the whole file has them.
    #[test]
    fn excerpts_answer_for_their_lines_as_the_whole_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let path = dir.join("export.yaml");
        let mut rng = Lcg(7);
        for round in 0..40 {
            let n = 1 + rng.below(60);
            let text = text_of(&mut rng, n);
            std::fs::write(&path, &text).unwrap();
            let whole = Source::new(text.clone(), Format::Yaml);
            let count = whole.line_count();
            let lines: Vec<usize> = (0..1 + rng.below(6))
                .map(|_| 1 + rng.below(count + 1))
                .collect();
            let wanted = runs_around(lines, rng.below(3));
            // The same bytes kept in compressed pieces, pushed in parts of
            // any size, as standard input is.
            let mut kept = Pieces::new(1 + rng.below(40));
            let mut rest = text.as_bytes();
            while !rest.is_empty() {
                let (part, after) = rest.split_at((1 + rng.below(9)).min(rest.len()));
                kept.push(part).unwrap();
                rest = after;
            }
            assert_eq!(kept.joined().unwrap(), text.as_bytes());
            for size in [1, 2, 3, 5, 8, 64, text.len().max(1), kept.piece_size()] {
                let Some(excerpt) = excerpt_of_file(&path, Format::Yaml, &wanted, size) else {
                    panic!("round {round}: pieces of {size} read");
                };
                assert_answers_as_whole(&excerpt, &whole, &wanted);
                let Some(excerpt) = excerpt_in(&kept, Format::Yaml, &wanted, size) else {
                    panic!("round {round}: kept pieces read in pieces of {size}");
                };
                assert_answers_as_whole(&excerpt, &whole, &wanted);
            }
        }
    }

    #[test]
    fn runs_cover_the_lines_around_each_line_once() {
        assert_eq!(runs_around(vec![9, 1, 4, 4], 1), [(1, 5), (8, 10)]);
        assert_eq!(runs_around(vec![3, 6], 1), [(2, 7)]);
        assert_eq!(runs_around(vec![3, 7], 1), [(2, 4), (6, 8)]);
        assert_eq!(runs_around(vec![5], 0), [(5, 5)]);
        assert_eq!(runs_around(Vec::new(), 2), []);
    }

    /// Text, SARIF and HTML write the same report whether a file they
    /// were not given the text of is read again whole or as an excerpt in
    /// pieces of a few bytes (findings with fixes are left out: a fix is
    /// never planned in an excerpt, which only a file too large for any
    /// plan is read as).
    #[test]
    fn reports_quote_an_excerpt_as_they_quote_the_whole_file() {
        use crate::report::{html, sarif, text};
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(
            dir.join("crlf.yaml"),
            "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: é-pod\r\n  namespace: default\r\nspec:\r\n  hostNetwork: true\r\n  containers:\r\n  - name: a\r\n    image: nginx\r\n    securityContext: {privileged: true}\r\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("list.json"),
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"✓\"},\n   \"spec\": {\"hostPID\": true, \"containers\": [{\"name\": \"é\", \"image\": \"nginx:latest\"}]}}\n]}",
        )
        .unwrap();
        let engine = crate::EngineBuilder::new().build().unwrap();
        let sel = engine.select(&engine.default_packs(), false, &[]).unwrap();
        let example = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/microservices-insecure"
        );
        let opts = crate::LoadOptions {
            keep_text: false,
            ..Default::default()
        };
        let paths = [example.to_string(), dir.display().to_string()];
        let mut inputs = crate::input::load_paths(&paths, &opts);
        assert!(inputs.files.iter().all(|f| f.text.is_none()));
        // A list export on standard input, kept as it was read.
        let mut stdin =
            String::from("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n");
        for i in 0..4 {
            stdin.push_str(&format!(
                "    {{\n      \"apiVersion\": \"v1\",\n      \"kind\": \"Pod\",\n      \"metadata\": {{\n        \"name\": \"piped-é-{i}\"\n      }},\n      \"spec\": {{\n        \"hostIPC\": true,\n        \"containers\": [\n          {{\n            \"name\": \"a\",\n            \"image\": \"nginx\"\n          }}\n        ]\n      }}\n    }}{}\n",
                if i < 3 { "," } else { "" }
            ));
        }
        stdin.push_str("  ]\n}\n");
        let piped = crate::LoadOptions {
            keep_text_below: 64,
            ..Default::default()
        };
        inputs.add_stdin(&mut stdin.as_bytes(), &piped);
        assert!(inputs.files.last().is_some_and(|f| f.kept.is_some()));
        let mut report = engine.evaluate(&sel, &inputs, &Default::default());
        report.findings.retain(|f| f.fix.is_empty());
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.file.ends_with("crlf.yaml"))
        );
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.file.ends_with("list.json"))
        );
        assert!(report.findings.iter().any(|f| &*f.file == "-"));
        let opts = text::TextOptions {
            color: false,
            context: 2,
        };
        let render = || {
            [
                text::render(&report, &inputs, opts),
                sarif::render(&report, &engine, &inputs),
                html::render(&report, &engine, &inputs),
            ]
        };
        let whole = render();
        assert!(whole[0].contains("hostNetwork: true"), "{}", whole[0]);
        assert!(whole[0].contains("\"hostIPC\": true,"), "{}", whole[0]);
        for piece in [1, 5, 64, 1 << 20] {
            EXCERPT_PIECE.set(Some(piece));
            let excerpt = render();
            EXCERPT_PIECE.set(None);
            for (name, (a, b)) in ["text", "sarif", "html"]
                .iter()
                .zip(excerpt.iter().zip(&whole))
            {
                assert!(a == b, "{name} differs with pieces of {piece}");
            }
        }
    }
}
