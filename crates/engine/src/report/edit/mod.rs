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

/// A finding's fix as edits of its file, and the file after them.
#[derive(Clone, Debug)]
pub(crate) struct FixPlan {
    pub edits: Vec<TextEdit>,
    pub fixed: String,
}

/// How many bytes of edited text may be loaded again to check edits, over a
/// whole report; fixes past it are not offered.
pub(crate) const VERIFY_BUDGET: usize = 64 * 1024 * 1024;

/// A YAML file's document start markers: each one's byte offset and
/// 0-based line.
type Markers = Vec<(usize, usize)>;

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
        let mut expected = r.root().to_json();
        let mut edits: Vec<TextEdit> = Vec::new();
        let mut fixed = String::new();
        for op in ops {
            patch::apply(&mut expected, op)?;
            let mut chosen = None;
            for cand in ops::candidates(src, &r.doc, op) {
                let mut all = edits.clone();
                all.extend(cand);
                let Some(text) = apply(whole, &mut all) else {
                    continue;
                };
                if self.verify(path, rank, &text, &expected) {
                    chosen = Some((all, text));
                    break;
                }
            }
            (edits, fixed) = chosen?;
        }
        Some(FixPlan { edits, fixed })
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
        if let Some(proven) = self.verify_in_document(fidx, path, text, expected) {
            return proven;
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
    fn verify_in_document(
        &self,
        fidx: u32,
        path: &str,
        text: &str,
        expected: &HashMap<usize, Value>,
    ) -> Option<bool> {
        let markers = self.markers_of(fidx, path)?;
        let old: &str = self.sources.get(path)?.whole()?;
        // The bytes the change covers: what the texts do not share at
        // either end.
        let (a, b) = (old.as_bytes(), text.as_bytes());
        let prefix = common_prefix(a, b);
        let suffix = common_suffix(a, b, a.len().min(b.len()) - prefix);
        let old_end = old.len() - suffix;
        // The piece starts at the last marker the change leaves whole (its
        // `---` and the byte after), or at the start of the file; it ends at
        // the next marker, which the change may end at (a key added at the
        // end of a document is inserted at the start of the marker's line).
        let first = markers.partition_point(|&(at, _)| at + 4 <= prefix);
        let next = markers.partition_point(|&(at, _)| at < old_end);
        if next != first {
            // The change reaches into a marker.
            return None;
        }
        let (start, first_line) = match first.checked_sub(1) {
            Some(k) => *markers.get(k)?,
            None => (0, 0),
        };
        let (end, end_line) = markers
            .get(next)
            .copied()
            .unwrap_or((old.len(), usize::MAX));
        if start == 0 && end == old.len() {
            return None;
        }
        let piece_end = text.len() - (old.len() - end);
        let piece = text.get(start..piece_end)?;
        // The next marker still starts a line, and the change adds no
        // marker (nor takes the piece's own away).
        if (end < old.len() && !piece.ends_with('\n'))
            || crate::input::yaml::document_starts(piece).len() != usize::from(first > 0)
        {
            return Some(false);
        }
        // The file's resources in the piece, in order, by the line of
        // their root (1-based; the piece holds 0-based lines
        // `first_line..end_line`).
        let in_file = self.by_file.get(&fidx)?;
        let mut held: Vec<(usize, &Resource)> = Vec::new();
        for (rank, r) in in_file.iter().enumerate() {
            let line = r.root().pos().line as usize;
            if line == 0 {
                return None;
            }
            if (first_line..end_line).contains(&(line - 1)) {
                held.push((rank, r));
            }
        }
        if expected
            .keys()
            .any(|rank| !held.iter().any(|(r, _)| r == rank))
        {
            return None;
        }
        // The piece is loaded again; the whole text was made and compared,
        // at about a sixty-fourth of the cost a byte.
        let cost = piece.len() + text.len() / 64;
        let left = self.budget.get();
        if cost > left {
            return Some(false);
        }
        self.budget.set(left - cost);
        let mut again = Inputs::default();
        again.add_text(path, piece, &LoadOptions::default());
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
            let markers = crate::input::yaml::document_starts(text);
            (yaml && !markers.is_empty()).then(|| Rc::new(markers))
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

    /// Whether `text`, loaded as the file, holds the file's resources with
    /// the one at `rank` replaced by `expected`.
    fn verify(&self, path: &str, rank: usize, text: &str, expected: &Value) -> bool {
        self.verify_all(path, text, &HashMap::from([(rank, expected.clone())]))
    }
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
