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
use std::cell::Cell;
use std::collections::HashMap;

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
        }
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
