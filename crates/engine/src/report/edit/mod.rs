//! Fix operations (JSON-patch-like `add`, `replace`, `remove` on JSON
//! pointers) turned into edits of the source text, for SARIF `fixes` and the
//! HTML report's diffs.
//!
//! Each operation has one or more candidate edits, built from the positions
//! the loader recorded (see [`ops`]). A candidate is kept only if the edited
//! file, loaded again, holds exactly the documents the operations describe:
//! the resource with the patch applied, every other resource unchanged, and
//! no error. So an edit is either proven right or not offered; nothing is
//! guessed.

mod emit;
mod ops;
mod patch;
mod scan;

pub(crate) use patch::apply as apply_op;

use super::common::{Source, Sources};
use crate::eval::FixOp;
use crate::finding::Finding;
use crate::input::{Inputs, LoadOptions, Resource};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Replace `start..end` (byte offsets in the original text) with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TextEdit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A finding's fix as edits of its file.
#[derive(Clone, Debug)]
pub(crate) struct FixPlan {
    pub edits: Vec<TextEdit>,
}

impl FixPlan {
    /// The file after the edits, given its text: made when asked for (a
    /// diff, `ward fix`), since a report may hold a plan for each of
    /// thousands of findings in one large file.
    pub fn fixed(&self, text: &str) -> Option<String> {
        apply(text, &mut self.edits.clone())
    }
}

/// How many bytes of edited text may be loaded again to check edits, over a
/// whole report; fixes past it are not offered.
pub(crate) const VERIFY_BUDGET: usize = 64 * 1024 * 1024;

/// What verifying a fix in one document of a YAML file needs: its
/// document start markers (each one's byte offset and 0-based line), and
/// the 1-based line of each of its resources' roots, in the order of the
/// resources (which is the order of their lines).
#[derive(Debug)]
struct Markers {
    starts: Vec<(usize, usize)>,
    roots: Vec<usize>,
}

/// Plans fixes for the findings of one report.
#[derive(Debug)]
pub(crate) struct Planner<'a> {
    sources: &'a Sources,
    budget: Cell<usize>,
    /// File index by path.
    files: HashMap<&'a str, u32>,
    /// Each file's resources, in load order.
    by_file: HashMap<u32, Vec<&'a Resource>>,
    /// The ranks in its file of the resources of each document of each
    /// file: where a finding's resource is looked for.
    by_document: HashMap<(u32, u32), Vec<usize>>,
    /// The files the loader gave an error for.
    broken: HashSet<&'a str>,
    /// Each file's document start markers, worked out when a fix in it is
    /// first verified: `None` when its documents cannot be loaded one at a
    /// time (see [`Planner::verify_in_document`]).
    markers: RefCell<HashMap<u32, Option<Rc<Markers>>>>,
    /// Every fix verified by loading its whole file again (tests compare
    /// the two ways).
    #[cfg(test)]
    whole_files: bool,
}

impl<'a> Planner<'a> {
    pub fn new(inputs: &'a Inputs, sources: &'a Sources) -> Planner<'a> {
        let mut files = HashMap::new();
        for (i, f) in inputs.files.iter().enumerate() {
            files.entry(f.path.as_str()).or_insert(i as u32);
        }
        let mut by_file: HashMap<u32, Vec<&'a Resource>> = HashMap::new();
        let mut by_document: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
        for r in &inputs.resources {
            let in_file = by_file.entry(r.file).or_default();
            by_document
                .entry((r.file, r.index))
                .or_default()
                .push(in_file.len());
            in_file.push(r);
        }
        Planner {
            sources,
            budget: Cell::new(VERIFY_BUDGET),
            files,
            by_file,
            by_document,
            broken: inputs.errors.iter().map(|e| e.file.as_str()).collect(),
            markers: RefCell::default(),
            #[cfg(test)]
            whole_files: false,
        }
    }

    /// This planner, verifying every fix by loading its whole file again.
    #[cfg(test)]
    pub(crate) fn whole_files_only(mut self) -> Planner<'a> {
        self.whole_files = true;
        self
    }

    /// The edits that carry out a finding's fix, if they can be proven.
    pub fn plan(&self, f: &Finding) -> Option<FixPlan> {
        // A file too large to load again is not looked into.
        if f.fix.is_empty() || self.sources.get(&f.file)?.len() > self.budget.get() {
            return None;
        }
        let (_, rank, r) = self.resource(f)?;
        self.plan_ops(&f.file, rank, r, &f.fix)
    }

    /// The plans of the first `n` findings, in order: each fix proven
    /// spends the budget the report shares, so they are not made in
    /// parallel.
    pub fn plan_in_order(&self, findings: &[Finding], n: usize) -> Vec<Option<FixPlan>> {
        findings.iter().take(n).map(|f| self.plan(f)).collect()
    }

    /// The edits that carry out `ops` on the resource at `rank` among the
    /// resources of file `path`, if they can be proven.
    pub fn plan_at(&self, path: &str, rank: usize, ops: &[FixOp]) -> Option<FixPlan> {
        let fidx = *self.files.get(path)?;
        let r = *self.by_file.get(&fidx)?.get(rank)?;
        self.plan_ops(path, rank, r, ops)
    }

    /// How many bytes of edited text this planner has loaded again.
    pub fn spent(&self) -> usize {
        VERIFY_BUDGET - self.budget.get()
    }

    fn plan_ops(&self, path: &str, rank: usize, r: &Resource, ops: &[FixOp]) -> Option<FixPlan> {
        if ops.is_empty() {
            return None;
        }
        let src = self.sources.get(path)?;
        // A plan is made in a file held whole, never in an excerpt.
        let whole = src.whole()?;
        if whole.len() > self.budget.get() {
            return None;
        }
        let fidx = *self.files.get(path)?;
        let mut expected = r.root().to_json();
        let mut edits: Vec<TextEdit> = Vec::new();
        for op in ops {
            patch::apply(&mut expected, op)?;
            let mut chosen = None;
            for cand in ops::candidates(src, &r.doc, op) {
                let mut all = edits.clone();
                all.extend(cand);
                let expect = HashMap::from([(rank, expected.clone())]);
                let proven = match self.verify_edits(fidx, path, whole, &mut all, &expect) {
                    Some(proven) => proven,
                    None => apply(whole, &mut all)
                        .is_some_and(|text| self.verify_all(path, &text, &expect)),
                };
                if proven {
                    chosen = Some(all);
                    break;
                }
            }
            edits = chosen?;
        }
        Some(FixPlan { edits })
    }

    /// [`Planner::verify_in_document`] for `edits` of the file's text
    /// `old`, making only the edited document's text; `None` when the
    /// whole file has to be loaded again.
    fn verify_edits(
        &self,
        fidx: u32,
        path: &str,
        old: &str,
        edits: &mut [TextEdit],
        expected: &HashMap<usize, Value>,
    ) -> Option<bool> {
        edits.sort_by_key(|e| (e.start, e.end));
        let prefix = edits.first()?.start;
        let old_end = edits.iter().map(|e| e.end).max()?;
        self.verify_in_document(fidx, path, (prefix, old_end), expected, |start, end| {
            apply_within(old, start..end, edits)
        })
    }

    /// The edits of the first candidate of each of `ops` on the resource at
    /// `rank` of file `path`, and the resource as the operations leave it,
    /// without verifying them: what [`Planner::verify_all`] checks for
    /// several fixes at once.
    pub fn draft(&self, path: &str, rank: usize, ops: &[FixOp]) -> Option<(Vec<TextEdit>, Value)> {
        let fidx = *self.files.get(path)?;
        let r = *self.by_file.get(&fidx)?.get(rank)?;
        let src = self.sources.get(path)?;
        let mut expected = r.root().to_json();
        let mut edits = Vec::new();
        for op in ops {
            patch::apply(&mut expected, op)?;
            edits.extend(ops::candidates(src, &r.doc, op).into_iter().next()?);
        }
        Some((edits, expected))
    }

    /// Whether `text`, loaded as file `path`, holds the file's resources
    /// with those at the ranks in `expected` replaced by their values.
    pub fn verify_all(&self, path: &str, text: &str, expected: &HashMap<usize, Value>) -> bool {
        let Some(fidx) = self.files.get(path).copied() else {
            return false;
        };
        if let Some(old) = self.sources.get(path).and_then(Source::whole) {
            // The bytes the change covers: what the texts do not share at
            // either end.
            let (a, b) = (old.as_bytes(), text.as_bytes());
            let prefix = common_prefix(a, b);
            let suffix = common_suffix(a, b, a.len().min(b.len()) - prefix);
            let span = (prefix, old.len() - suffix);
            let piece = |start: usize, end: usize| {
                text.get(start..text.len() - (old.len() - end))
                    .map(str::to_string)
            };
            // The whole text was made and compared: a sixty-fourth of the
            // cost of loading a byte again.
            if let Some(proven) = self.verify_in_document(fidx, path, span, expected, piece) {
                self.budget
                    .set(self.budget.get().saturating_sub(text.len() / 64));
                return proven;
            }
        }
        let left = self.budget.get();
        if text.len() > left {
            return false;
        }
        self.budget.set(left - text.len());
        let mut again = Inputs::default();
        again.add_text(path, text, &LoadOptions::default());
        if !again.errors.is_empty() {
            return false;
        }
        let Some(before) = self.by_file.get(&fidx) else {
            return false;
        };
        before.len() == again.resources.len()
            && before
                .iter()
                .zip(&again.resources)
                .enumerate()
                .all(|(i, (old, new))| {
                    let got = new.root().to_json();
                    match expected.get(&i) {
                        Some(e) => got == *e,
                        None => got == old.root().to_json(),
                    }
                })
    }

    /// The resources (by rank) of file `path` whose documents, each loaded
    /// again alone with its own edits, hold what `expected` says: of
    /// several resources' fixes drafted together (`ward fix`), those that
    /// can be kept when the file as a whole does not verify. `edits` are
    /// each with the rank of the resource they fix, in the file's text as
    /// the planner read it. `None` when the file's documents cannot be
    /// loaded one at a time (see [`Planner::verify_in_document`]).
    pub fn proven_by_document(
        &self,
        path: &str,
        edits: &[(usize, TextEdit)],
        expected: &HashMap<usize, Value>,
    ) -> Option<HashSet<usize>> {
        let fidx = *self.files.get(path)?;
        let markers = self.markers_of(fidx, path)?;
        let old: &str = self.sources.get(path)?.whole()?;
        // The resources of each document: those whose roots lie between
        // the same two markers.
        let piece_of = |rank: usize| {
            let line = *markers.roots.get(rank)?;
            Some(markers.starts.partition_point(|&(_, l)| l < line))
        };
        // In the order of the documents, so that which ones the budget
        // leaves room for does not vary from run to run.
        let mut by_piece: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for &rank in expected.keys() {
            by_piece.entry(piece_of(rank)?).or_default().push(rank);
        }
        let mut proven = HashSet::new();
        for ranks in by_piece.values() {
            let mut mine: Vec<TextEdit> = edits
                .iter()
                .filter(|(r, _)| ranks.contains(r))
                .map(|(_, e)| e.clone())
                .collect();
            let expect: HashMap<usize, Value> = ranks
                .iter()
                .filter_map(|r| Some((*r, expected.get(r)?.clone())))
                .collect();
            if self.verify_edits(fidx, path, old, &mut mine, &expect) == Some(true) {
                proven.extend(ranks.iter().copied());
            }
        }
        Some(proven)
    }

    /// [`Planner::verify_all`] by loading again only the text between the
    /// document start markers (`---` lines) around the change, when that
    /// proves the same: the file's YAML documents are what loading each
    /// piece between its markers alone gives (anchors and aliases belong
    /// to one document) when the file has no directive and the loader
    /// found no error in it, as reading a long stream in pieces relies on
    /// (`input::yaml::parse_stream`). So when the change leaves every
    /// marker as it was and adds none, the other documents are unchanged
    /// and the edited one is what its piece loads as. A fix in a file of
    /// many documents then costs its document, not the file. `None` when
    /// this does not apply (a JSON file, one document, a change across
    /// markers, a resource without a position) and the whole file is
    /// loaded again.
    ///
    /// `span` is the bytes of the file's text that the change covers (from
    /// the first it changes to the end of the last, in the text before
    /// it), and `piece` makes the edited text of the text's bytes
    /// `start..end`, which hold the span.
    fn verify_in_document(
        &self,
        fidx: u32,
        path: &str,
        (prefix, old_end): (usize, usize),
        expected: &HashMap<usize, Value>,
        piece: impl FnOnce(usize, usize) -> Option<String>,
    ) -> Option<bool> {
        let markers = self.markers_of(fidx, path)?;
        let old: &str = self.sources.get(path)?.whole()?;
        // The piece starts at the last marker the change leaves whole (its
        // `---` and the byte after), or at the start of the file; it ends at
        // the next marker, which the change may end at (a key added at the
        // end of a document is inserted at the start of the marker's line).
        let first = markers.starts.partition_point(|&(at, _)| at + 4 <= prefix);
        let next = markers.starts.partition_point(|&(at, _)| at < old_end);
        if next != first {
            // The change reaches into a marker.
            return None;
        }
        let (start, first_line) = match first.checked_sub(1) {
            Some(k) => *markers.starts.get(k)?,
            None => (0, 0),
        };
        let (end, end_line) = markers
            .starts
            .get(next)
            .copied()
            .unwrap_or((old.len(), usize::MAX));
        if start == 0 && end == old.len() {
            return None;
        }
        let piece = piece(start, end)?;
        // The next marker still starts a line, and the change adds no
        // marker (nor takes the piece's own away).
        if (end < old.len() && !piece.ends_with('\n'))
            || crate::input::yaml::document_starts(&piece).len() != usize::from(first > 0)
        {
            return Some(false);
        }
        // The file's resources in the piece, by the line of their root
        // (1-based; the piece holds 0-based lines `first_line..end_line`).
        let lo = markers.roots.partition_point(|&l| l - 1 < first_line);
        let hi = markers.roots.partition_point(|&l| l - 1 < end_line);
        let in_file = self.by_file.get(&fidx)?;
        let held: Vec<(usize, &Resource)> = (lo..hi)
            .map(|rank| Some((rank, *in_file.get(rank)?)))
            .collect::<Option<_>>()?;
        if expected.keys().any(|rank| !(lo..hi).contains(rank)) {
            return None;
        }
        let left = self.budget.get();
        if piece.len() > left {
            return Some(false);
        }
        self.budget.set(left - piece.len());
        let mut again = Inputs::default();
        again.add_text(path, &piece, &LoadOptions::default());
        Some(
            again.errors.is_empty()
                && held.len() == again.resources.len()
                && held.iter().zip(&again.resources).all(|((rank, old), new)| {
                    let got = new.root().to_json();
                    match expected.get(rank) {
                        Some(e) => got == *e,
                        None => got == old.root().to_json(),
                    }
                }),
        )
    }

    /// The document start markers of a file whose documents can be loaded
    /// one at a time (see [`Planner::verify_in_document`]): YAML, held
    /// whole, not a CI pipeline (whose loading reads the file as one), no
    /// directive, no error from the loader, and at least one marker.
    fn markers_of(&self, fidx: u32, path: &str) -> Option<Rc<Markers>> {
        #[cfg(test)]
        if self.whole_files {
            return None;
        }
        if let Some(known) = self.markers.borrow().get(&fidx) {
            return known.clone();
        }
        let markers = (|| {
            let src = self.sources.get(path)?;
            let text: &str = src.whole()?;
            let yaml = src.format == crate::input::Format::Yaml
                && crate::input::ci::pipeline_of(std::path::Path::new(path)).is_none()
                && !self.broken.contains(path)
                && !crate::input::yaml::has_directive(text);
            let starts = crate::input::yaml::document_starts(text);
            let roots: Vec<usize> = self
                .by_file
                .get(&fidx)?
                .iter()
                .map(|r| r.root().pos().line as usize)
                .collect();
            // Every root has a line, and they come in the order of lines.
            let ordered = roots.first().is_none_or(|&l| l > 0)
                && roots.windows(2).all(|w| w.first() <= w.get(1));
            (yaml && ordered && !starts.is_empty()).then(|| Rc::new(Markers { starts, roots }))
        })();
        self.markers.borrow_mut().insert(fidx, markers.clone());
        markers
    }

    /// The finding's resource: its file's index, its rank among that file's
    /// resources, and the resource.
    pub(crate) fn resource(&self, f: &Finding) -> Option<(u32, usize, &'a Resource)> {
        let fidx = *self.files.get(&*f.file)?;
        let in_file = self.by_file.get(&fidx)?;
        let matches: Vec<(usize, &Resource)> = self
            .by_document
            .get(&(fidx, f.document))?
            .iter()
            .filter_map(|&i| Some((i, *in_file.get(i)?)))
            .filter(|(_, r)| crate::engine::identity(r) == *f.resource)
            .collect();
        let (rank, r) = match matches.as_slice() {
            [one] => *one,
            many => *many.iter().find(|(_, r)| {
                r.doc.at_pointer(&f.pointer).is_some_and(|n| {
                    let p = n.pos();
                    p.line == f.line && p.col == f.column
                })
            })?,
        };
        Some((fidx, rank, r))
    }
}

/// The unified diff (`radius` lines of context, both sides named `name`)
/// of what a plan's edits make of its file: what diffing the whole file
/// against the fixed one gives, worked out on the lines around the edits
/// alone (with a line more than the context on each side), so that a diff
/// costs its lines and not its file.
pub(crate) fn unified_diff(
    src: &Source,
    plan: &FixPlan,
    name: &str,
    radius: usize,
) -> Option<String> {
    let text: &str = src.whole()?;
    let mut edits = plan.edits.clone();
    edits.sort_by_key(|e| (e.start, e.end));
    let first = edits.first()?.start;
    let last = edits.iter().map(|e| e.end).max()?;
    let line_of = |at: usize| {
        if at >= text.len() {
            src.line_count().max(1)
        } else {
            src.line_col(at).0
        }
    };
    let from = line_of(first).saturating_sub(radius + 1).max(1);
    let to = line_of(last) + radius + 1;
    let start = src.line_range(from)?.0;
    let end = src.line_range(to + 1).map_or(text.len(), |(s, _)| s);
    let old = text.get(start..end)?;
    let new = apply_within(text, start..end, &edits)?;
    let diff = similar::TextDiff::from_lines(old, &new)
        .unified_diff()
        .context_radius(radius)
        .header(name, name)
        .to_string();
    // The hunks' lines count from the excerpt's first line.
    let offset = from - 1;
    if offset == 0 {
        return Some(diff);
    }
    let mut out = String::with_capacity(diff.len() + 16);
    for line in diff.split_inclusive('\n') {
        match line.strip_prefix("@@ -") {
            Some(rest) => out.push_str(&shift_hunk_header(rest, offset)?),
            None => out.push_str(line),
        }
    }
    Some(out)
}

/// A hunk header (`@@ -a,n +b,m @@`, after its `@@ -`) with both first
/// lines moved down by `offset`.
fn shift_hunk_header(rest: &str, offset: usize) -> Option<String> {
    let (old, rest) = rest.split_once(" +")?;
    let (new, tail) = rest.split_once(" @@")?;
    let shift = |range: &str| -> Option<String> {
        let (first, len) = match range.split_once(',') {
            Some((f, l)) => (f, Some(l)),
            None => (range, None),
        };
        let first = first.parse::<usize>().ok()? + offset;
        Some(match len {
            Some(l) => format!("{first},{l}"),
            None => first.to_string(),
        })
    };
    Some(format!("@@ -{} +{} @@{tail}", shift(old)?, shift(new)?))
}

/// How many bytes `a` and `b` start with in common: compared a block at
/// a time (as slices, which is a `memcmp`), then byte by byte.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a.get(i..i + BLOCK) == b.get(i..i + BLOCK) {
        i += BLOCK;
    }
    i + a
        .get(i..n)
        .unwrap_or_default()
        .iter()
        .zip(b.get(i..n).unwrap_or_default())
        .take_while(|(x, y)| x == y)
        .count()
}

/// How many bytes `a` and `b` end with in common, at most `most`.
fn common_suffix(a: &[u8], b: &[u8], most: usize) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len()).min(most);
    fn tail(x: &[u8], from: usize, len: usize) -> Option<&[u8]> {
        x.get(x.len().checked_sub(from + len)?..x.len().checked_sub(from)?)
    }
    let mut i = 0;
    while i + BLOCK <= n && tail(a, i, BLOCK) == tail(b, i, BLOCK) {
        i += BLOCK;
    }
    i + a
        .iter()
        .rev()
        .skip(i)
        .zip(b.iter().rev().skip(i))
        .take(n - i)
        .take_while(|(x, y)| x == y)
        .count()
}

/// The bytes `range` of `text` with `edits` (which lie within it, in the
/// text's offsets) applied; `None` if one does not lie within it.
fn apply_within(text: &str, range: std::ops::Range<usize>, edits: &[TextEdit]) -> Option<String> {
    let mut shifted: Vec<TextEdit> = edits
        .iter()
        .map(|e| {
            let start = e.start.checked_sub(range.start)?;
            let end = (e.end <= range.end).then(|| e.end - range.start)?;
            Some(TextEdit {
                start,
                end,
                text: e.text.clone(),
            })
        })
        .collect::<Option<_>>()?;
    apply(text.get(range)?, &mut shifted)
}

/// Applies edits (sorted here by position; insertions at one place keep
/// their order) to a text; `None` if two edits overlap.
pub(crate) fn apply(text: &str, edits: &mut [TextEdit]) -> Option<String> {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in edits.iter() {
        if e.start < at || e.end < e.start {
            return None;
        }
        out.push_str(text.get(at..e.start)?);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// Where the token at a position ends, as a byte offset: the end of the
/// scalar, or of the line's content when the position starts a container.
pub(crate) fn token_end(src: &Source, line: usize, col: usize) -> Option<usize> {
    let start = src.offset(line, col)?;
    let (_, line_end) = src.line_range(line)?;
    let rest = src.slice(start, line_end)?;
    let n = match src.format {
        crate::input::Format::Json => scan::json_scalar(rest),
        _ => scan::yaml_scalar(rest, false),
    };
    let n = n.unwrap_or_else(|| {
        let content = rest.split(" #").next().unwrap_or(rest);
        content.trim_end().len()
    });
    Some(start + n)
}

#[cfg(test)]
mod tests;
