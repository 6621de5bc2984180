//! `ward fix`: carries out the `fix` of every finding that has one, as
//! verified edits of the files' text, and says which fixes it could not
//! carry out and why.
//!
//! Each edit comes from the report's edit planner ([`crate::report`]'s
//! `edit` module): an edit is kept only when the edited file, loaded again,
//! holds exactly the resource with the fix applied and every other document
//! unchanged. Comments, key order and formatting outside the edit are kept
//! because nothing else is rewritten.
//!
//! Fixes are applied in rounds. In a round, each file's findings are fixed
//! one after the other on the file's current text, so a second fix sees the
//! first. Within a round a resource takes at most one fix per control, and a
//! fix whose target (the parent of the path it changes) an earlier fix of
//! the round already changed waits for the next round: its operations were
//! computed from the resource before that change. After each round the
//! inputs, with the edited texts in place of the files, are evaluated
//! again, so the next round's fixes are computed from the fixed documents.
//! Rounds stop when a round changes nothing.

use crate::engine::{Engine, EvalOptions, Selection};
use crate::eval::FixOp;
use crate::finding::{Error, Finding, Identity};
use crate::input::{Format, Inputs, LoadOptions, load_paths_over};
use crate::report::common::Sources;
use crate::report::edit::{Planner, TextEdit, apply as apply_edits, apply_op};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Which fixes to carry out.
#[derive(Clone, Debug)]
pub struct FixOptions {
    /// Only the fixes of these controls (a control id, or a prefix ending
    /// at a `.`: `pss.restricted` takes every control of that package);
    /// every control's when empty.
    pub controls: Vec<String>,
    /// The most rounds of fixing (see the module's documentation).
    pub max_rounds: usize,
    /// The most bytes of edited text loaded again to verify edits, over the
    /// whole run.
    pub verify_budget: usize,
    /// Waivers to apply after each evaluation: a waived finding is not
    /// fixed.
    pub waivers: Option<(crate::waivers::Waivers, crate::waivers::ApplyOptions)>,
}

impl Default for FixOptions {
    fn default() -> Self {
        FixOptions {
            controls: Vec::new(),
            max_rounds: 32,
            verify_budget: 512 * 1024 * 1024,
            waivers: None,
        }
    }
}

/// A finding a fix is about, where it was first reported.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FixTarget {
    pub control: String,
    pub resource: Identity,
    /// The file as named on the command line.
    pub file: String,
    /// The chart template a Helm-rendered document came from (its
    /// `# Source:` comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The line in the file as it was read, before any fix.
    pub line: u32,
    pub pointer: String,
    pub fingerprint: String,
    /// The fix's operations, on the resource as it was when the fix was
    /// planned (after the fixes applied before it).
    pub fix: Vec<FixOp>,
}

/// A fix that was not carried out, and why.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Unfixed {
    #[serde(flatten)]
    pub target: FixTarget,
    pub reason: String,
}

/// One file's text before and after its fixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub before: Arc<str>,
    pub after: Arc<str>,
}

/// What a fix run did.
#[derive(Debug, Default)]
pub struct FixRun {
    /// The files whose text changed, in load order.
    pub changes: Vec<FileChange>,
    /// The fixes carried out, in the order they were applied.
    pub applied: Vec<FixTarget>,
    /// The fixes that were not, in load order.
    pub unfixed: Vec<Unfixed>,
    /// Input and evaluation errors of the first evaluation.
    pub errors: Vec<Error>,
    /// How many times the inputs were evaluated.
    pub rounds: usize,
}

/// Evaluates `paths`, applies the fixes of the findings that have one, and
/// returns the edited texts. Nothing is written: the caller decides.
pub fn run(
    engine: &Engine,
    sel: &Selection,
    paths: &[String],
    load: &LoadOptions,
    eval: &EvalOptions,
    opts: &FixOptions,
) -> FixRun {
    let mut load = load.clone();
    // Edited texts must be the ones planned on, never read again from disk.
    load.keep_text_below = u64::MAX;
    let mut st = State {
        load,
        opts,
        overlay: HashMap::new(),
        originals: HashMap::new(),
        order: Vec::new(),
        first_line: HashMap::new(),
        done: HashSet::new(),
        failed: HashMap::new(),
        applied: Vec::new(),
        spent: 0,
    };
    let mut run = FixRun::default();
    // One evaluation more than rounds of fixing: the last one tells what
    // is left when the rounds run out.
    for round in 0..=opts.max_rounds {
        let inputs = load_paths_over(paths, &st.load, &st.overlay);
        let mut report = engine.evaluate(sel, &inputs, eval);
        // A misspelt field is renamed first: the control that missed the
        // setting it meant then finds it, and adds nothing beside it.
        let mut renames = crate::unknown_fields::notices(&inputs, None);
        renames.append(&mut report.findings);
        report.findings = renames;
        if let Some((w, o)) = &opts.waivers {
            // The warnings about waivers have no fixes: only the marks count.
            crate::waivers::apply(engine, &inputs, &mut report, w, o);
        }
        run.rounds = round + 1;
        if round == 0 {
            run.errors = report.errors.clone();
            let mut seen = HashSet::new();
            st.order = inputs
                .files
                .iter()
                .filter(|f| seen.insert(f.path.as_str()))
                .map(|f| f.path.clone())
                .collect();
        }
        let todo = st.todo(&report.findings);
        if round == opts.max_rounds {
            let reason = format!(
                "still pending after {} rounds of fixes; run `ward fix` again",
                opts.max_rounds
            );
            for f in todo {
                st.fail(f, reason.clone());
            }
            break;
        }
        if todo.is_empty() || !st.round(&inputs, &report, &todo) {
            break;
        }
    }
    let rank: HashMap<&str, usize> = st
        .order
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    for (path, after) in &st.overlay {
        let Some(before) = st.originals.get(path) else {
            continue;
        };
        if before != after {
            run.changes.push(FileChange {
                path: path.clone(),
                before: before.clone(),
                after: after.clone(),
            });
        }
    }
    run.changes
        .sort_by_key(|c| rank.get(c.path.as_str()).copied().unwrap_or(usize::MAX));
    run.applied = st.applied;
    run.unfixed = st.failed.into_values().collect();
    run.unfixed.sort_by(|a, b| {
        let ka = rank
            .get(a.target.file.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        let kb = rank
            .get(b.target.file.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        (ka, a.target.line, &a.target.control).cmp(&(kb, b.target.line, &b.target.control))
    });
    run
}

struct State<'o> {
    load: LoadOptions,
    opts: &'o FixOptions,
    /// The current text of each edited file.
    overlay: HashMap<String, Arc<str>>,
    /// The text of each edited file as first read.
    originals: HashMap<String, Arc<str>>,
    /// Files in load order.
    order: Vec<String>,
    /// Where each finding (by [`key`]) was first reported.
    first_line: HashMap<String, u32>,
    /// Findings (by [`key`]) whose fix was applied.
    done: HashSet<String>,
    /// Findings (by [`key`]) whose fix will not be tried again.
    failed: HashMap<String, Unfixed>,
    applied: Vec<FixTarget>,
    /// Bytes of edited text loaded again so far.
    spent: usize,
}

/// The text of one file being fixed in a round, and its resources as last
/// loaded when an earlier fix of the round changed it.
struct Working {
    path: String,
    format: Format,
    text: Arc<str>,
    edited: Option<(Inputs, Sources)>,
    /// Whether the text differs from the round's.
    changed: bool,
    /// Per resource rank: the controls fixed this round and the operations
    /// applied.
    touched: HashMap<usize, Vec<(String, Vec<FixOp>)>>,
}

impl State<'_> {
    fn selected(&self, control: &str) -> bool {
        self.opts.controls.is_empty()
            || self.opts.controls.iter().any(|c| {
                control == c
                    || control
                        .strip_prefix(c.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || c.ends_with('.'))
            })
    }

    /// The findings of this evaluation whose fix is still to be tried.
    fn todo<'r>(&mut self, findings: &'r [Finding]) -> Vec<&'r Finding> {
        let mut out = Vec::new();
        for f in findings {
            if f.fix.is_empty() || f.waived.is_some() || !self.selected(&f.control) {
                continue;
            }
            let fp = key(f);
            self.first_line.entry(fp.clone()).or_insert(f.line);
            if self.failed.contains_key(&fp) {
                continue;
            }
            if self.done.contains(&fp) {
                let reason =
                    "the fix was applied but the control still reports the finding".to_string();
                let target = self.target(f);
                self.failed.insert(fp, Unfixed { target, reason });
                continue;
            }
            out.push(f);
        }
        out
    }

    fn target(&self, f: &Finding) -> FixTarget {
        let fingerprint = f.fingerprint();
        let line = self.first_line.get(&key(f)).copied().unwrap_or(f.line);
        FixTarget {
            control: f.control.to_string(),
            resource: (*f.resource).clone(),
            file: f.file.to_string(),
            origin: f.origin.as_deref().map(str::to_string),
            line,
            pointer: f.pointer.clone(),
            fingerprint: fingerprint.to_string(),
            fix: f.fix.clone(),
        }
    }

    fn fail(&mut self, f: &Finding, reason: impl Into<String>) {
        let target = self.target(f);
        let reason = reason.into();
        self.failed.insert(key(f), Unfixed { target, reason });
    }

    /// One round over the findings of one evaluation; whether any text
    /// changed.
    fn round(&mut self, inputs: &Inputs, report: &crate::Report, todo: &[&Finding]) -> bool {
        let sources = Sources::new(inputs, report);
        let planner = Planner::new(inputs, &sources);
        let mut files: Vec<(&str, Vec<&Finding>)> = Vec::new();
        for f in todo {
            match files.iter_mut().find(|(p, _)| *p == &*f.file) {
                Some((_, v)) => v.push(f),
                None => files.push((&*f.file, vec![f])),
            }
        }
        let mut progress = false;
        for (path, findings) in files {
            let Some((src, whole)) = sources.get(path).and_then(|s| Some((s, s.whole()?))) else {
                for f in findings {
                    self.fail(f, "the file's text could not be read again");
                }
                continue;
            };
            if let Some(e) = inputs.errors.iter().find(|e| e.file == path) {
                let reason = format!(
                    "the file does not load cleanly (line {}: {}), so no edit of it can be verified",
                    e.line, e.message
                );
                for f in findings {
                    self.fail(f, reason.clone());
                }
                continue;
            }
            if !matches!(src.format, Format::Yaml | Format::Json) {
                for f in findings {
                    self.fail(f, "fixes are carried out in YAML and JSON files only");
                }
                continue;
            }
            let text = whole.shared();
            self.originals
                .entry(path.to_string())
                .or_insert_with(|| text.clone());
            let mut w = Working {
                path: path.to_string(),
                format: src.format,
                text,
                edited: None,
                changed: false,
                touched: HashMap::new(),
            };
            match self.batch(&planner, &mut w, &findings) {
                Some(changed) => progress |= changed,
                None => {
                    for f in findings {
                        progress |= self.fix_one(&planner, &mut w, f);
                    }
                }
            }
            if w.changed {
                self.overlay.insert(w.path, w.text);
            }
        }
        progress
    }

    /// The round's fixes of one file drafted from their first candidates,
    /// applied together and verified with one load of the file: whether the
    /// text changed, or `None` when the drafts do not verify (the caller
    /// then plans one fix at a time, each verified on its own).
    fn batch(
        &mut self,
        planner: &Planner<'_>,
        w: &mut Working,
        findings: &[&Finding],
    ) -> Option<bool> {
        let mut expected: HashMap<usize, Value> = HashMap::new();
        let mut touched: HashMap<usize, Vec<(String, Vec<FixOp>)>> = HashMap::new();
        // Each drafted edit with the rank of the resource it fixes.
        let mut owned: Vec<(usize, TextEdit)> = Vec::new();
        let mut taken: Vec<(usize, &Finding)> = Vec::new();
        // Whether a finding was left out because its fix could not be
        // drafted: it is then fixed (or reported) one at a time.
        let mut undrafted = false;
        for f in findings {
            let Some((_, rank, r)) = planner.resource(f) else {
                undrafted = true;
                continue;
            };
            if let Some(t) = touched.get(&rank) {
                if t.iter().any(|(_, ops)| *ops == f.fix) {
                    taken.push((rank, f));
                    continue;
                }
                if t.iter().any(|(c, _)| **c == *f.control) {
                    continue;
                }
                let before = r.root().to_json();
                let now = expected.get(&rank);
                let stale = f.fix.iter().any(|op| {
                    let parent = op.path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
                    now.and_then(|n| n.pointer(parent)) != before.pointer(parent)
                });
                if stale {
                    continue;
                }
            }
            let mut next = expected
                .get(&rank)
                .cloned()
                .unwrap_or_else(|| r.root().to_json());
            let drafted = f
                .fix
                .iter()
                .try_for_each(|op| apply_op(&mut next, op))
                .and_then(|()| planner.draft(&w.path, rank, &f.fix));
            let Some((drafted, _)) = drafted else {
                undrafted = true;
                continue;
            };
            // Two fixes that write at the same place cannot be ordered by
            // where they write: `drop` under a container's `capabilities`
            // and `allowPrivilegeEscalation` under its `securityContext`
            // both go after the block's last line, and in the wrong order
            // the file no longer reads. The later one waits for the next
            // round, drafted against the text the first one made.
            if drafted
                .iter()
                .any(|d| owned.iter().any(|(_, e)| meet(d, e)))
            {
                continue;
            }
            expected.insert(rank, next);
            owned.extend(drafted.into_iter().map(|d| (rank, d)));
            touched
                .entry(rank)
                .or_default()
                .push((f.control.to_string(), f.fix.clone()));
            taken.push((rank, f));
        }
        if taken.is_empty() {
            return (!undrafted).then_some(false);
        }
        if self.spent + w.text.len() > self.opts.verify_budget {
            return None;
        }
        let mut edits: Vec<TextEdit> = owned.iter().map(|(_, e)| e.clone()).collect();
        let mut text = apply_edits(&w.text, &mut edits)?;
        self.spent += text.len();
        if !planner.verify_all(&w.path, &text, &expected) {
            // In a stream of documents, those whose drafts hold are kept
            // (the whole file is verified once more with them alone); the
            // others' findings come back in the next round, where a batch
            // of them alone that does not verify is fixed one at a time.
            let proven = planner.proven_by_document(&w.path, &owned, &expected)?;
            let mut kept: Vec<TextEdit> = owned
                .into_iter()
                .filter(|(rank, _)| proven.contains(rank))
                .map(|(_, e)| e)
                .collect();
            expected.retain(|rank, _| proven.contains(rank));
            taken.retain(|(rank, _)| proven.contains(rank));
            if taken.is_empty() || self.spent + w.text.len() > self.opts.verify_budget {
                return None;
            }
            text = apply_edits(&w.text, &mut kept)?;
            self.spent += text.len();
            if !planner.verify_all(&w.path, &text, &expected) {
                return None;
            }
        }
        w.text = Arc::from(text);
        w.changed = true;
        for (_, f) in taken {
            self.done.insert(key(f));
            self.applied.push(self.target(f));
        }
        Some(true)
    }

    /// Tries one finding's fix on the working text; whether it changed it.
    fn fix_one(&mut self, planner: &Planner<'_>, w: &mut Working, f: &Finding) -> bool {
        let Some((_, rank, r)) = planner.resource(f) else {
            self.fail(
                f,
                "its resource could not be told apart from the others in the file",
            );
            return false;
        };
        let mut expected = r.root().to_json();
        if f.fix.iter().any(|op| apply_op(&mut expected, op).is_none()) {
            self.fail(
                f,
                "the fix does not apply to the resource (a path it changes has no parent)",
            );
            return false;
        }
        if let Some(t) = w.touched.get(&rank) {
            if t.iter().any(|(_, ops)| *ops == f.fix) {
                // Another pack's control asked for the same change.
                self.done.insert(key(f));
                self.applied.push(self.target(f));
                return false;
            }
            if t.iter().any(|(c, _)| **c == *f.control) {
                return false;
            }
            let before = r.root().to_json();
            let now = w
                .edited
                .as_ref()
                .and_then(|(i, _)| i.resources.get(rank))
                .map(|r| r.root().to_json());
            let stale = f.fix.iter().any(|op| {
                let parent = op.path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
                now.as_ref().and_then(|n| n.pointer(parent)) != before.pointer(parent)
            });
            if stale {
                return false;
            }
        }
        if self.spent + w.text.len() > self.opts.verify_budget {
            self.fail(
                f,
                "the budget for verifying edits is spent; run `ward fix` again",
            );
            return false;
        }
        let (plan, spent) = match &w.edited {
            None => (planner.plan_at(&w.path, rank, &f.fix), 0),
            Some((i, s)) => {
                let p = Planner::new(i, s);
                let plan = p.plan_at(&w.path, rank, &f.fix);
                (plan, p.spent())
            }
        };
        self.spent += spent.max(w.text.len());
        let Some(plan) = plan else {
            self.fail(
                f,
                "no edit of the text could be verified: every candidate loaded back as something other than the fixed resource with the rest of the file unchanged",
            );
            return false;
        };
        let Some(fixed) = plan.fixed(&w.text) else {
            self.fail(f, "the verified edits no longer apply to the file's text");
            return false;
        };
        let text: Arc<str> = Arc::from(fixed);
        let mut again = Inputs::default();
        again.add_text(&w.path, &text, &self.load);
        let sources = Sources::single(&w.path, text.clone(), w.format);
        w.text = text;
        w.edited = Some((again, sources));
        w.changed = true;
        w.touched
            .entry(rank)
            .or_default()
            .push((f.control.to_string(), f.fix.clone()));
        self.done.insert(key(f));
        self.applied.push(self.target(f));
        true
    }
}

/// What tells one finding from another across rounds: its file and
/// document as well as its fingerprint, since two files (or two documents
/// of one file) may hold resources of the same identity.
fn key(f: &Finding) -> String {
    format!("{}\0{}\0{}", f.file, f.document, f.fingerprint())
}

/// The fixable controls among the built-in packs: those with a `fix` in at
/// least one finding statement, by id.
pub fn fixable_controls(engine: &Engine) -> Vec<String> {
    let mut out: Vec<String> = engine
        .program
        .controls
        .iter()
        .filter(|c| {
            c.has_fix
                && engine
                    .sources
                    .name(c.span.file)
                    .starts_with("<ward>/policies/")
        })
        .map(|c| c.id.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether two edits of one text write at the same place or over each
/// other.
fn meet(a: &TextEdit, b: &TextEdit) -> bool {
    a.start == b.start || (a.start < b.end && b.start < a.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EngineBuilder;

    /// An engine with one policy, and `text` written to `file` in a
    /// folder of its own, removed when the returned guard is dropped.
    fn setup(
        policy: &str,
        file: &str,
        text: &str,
    ) -> (Engine, Selection, String, tempfile::TempDir) {
        let engine = EngineBuilder::std_only()
            .policy("p.ward", policy)
            .build()
            .unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
        let sel = engine.select(&[], true, &[]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        (engine, sel, path.display().to_string(), dir)
    }

    fn fix(engine: &Engine, sel: &Selection, path: &str) -> FixRun {
        fix_with(engine, sel, path, &FixOptions::default())
    }

    fn fix_with(engine: &Engine, sel: &Selection, path: &str, opts: &FixOptions) -> FixRun {
        run(
            engine,
            sel,
            &[path.to_string()],
            &LoadOptions::default(),
            &EvalOptions::default(),
            opts,
        )
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # keep\nspec:\n  containers:\n    - name: a\n      image: x\n";

    /// Two controls add keys under the same missing `securityContext`: the
    /// second waits a round and extends what the first created.
    #[test]
    fn a_second_fix_sees_the_first() {
        let policy = "
control one {
  title \"one\"
  severity high
  for c in input.spec.containers ?? [] {
    deny when c.securityContext.runAsNonRoot != true
      at c.securityContext.runAsNonRoot
      fix set c.securityContext.runAsNonRoot = true
  }
}
control two {
  title \"two\"
  severity high
  for c in input.spec.containers ?? [] {
    deny when c.securityContext.readOnlyRootFilesystem != true
      at c.securityContext.readOnlyRootFilesystem
      fix set c.securityContext.readOnlyRootFilesystem = true
  }
}
";
        let (engine, sel, path, _dir) = setup(policy, "second.yaml", POD);
        let r = fix(&engine, &sel, &path);
        assert!(r.unfixed.is_empty(), "{:?}", r.unfixed);
        assert_eq!(r.applied.len(), 2);
        assert_eq!(r.rounds, 3, "one round each, and one that finds nothing");
        assert_eq!(
            &*r.changes[0].after,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p # keep\nspec:\n  containers:\n    - name: a\n      image: x\n      securityContext:\n        runAsNonRoot: true\n        readOnlyRootFilesystem: true\n"
        );
        // The file on disk is untouched: the caller writes.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), POD);
    }

    /// `ward fix` of a stream of 20 documents that `doc` writes and, as its
    /// eighth, `odd`, whose fix cannot be made, under `policy`, with room
    /// to load the file four times: each fix one at a time would spend it
    /// after four.
    fn twenty_and_one(policy: &str, doc: impl Fn(usize) -> String, odd: &str) -> FixRun {
        let mut docs: Vec<String> = (0..20).map(doc).collect();
        docs.insert(7, odd.to_string());
        let text = docs.join("---\n");
        let (engine, sel, path, _dir) = setup(policy, "stream.yaml", &text);
        let budget = FixOptions {
            verify_budget: 4 * text.len(),
            ..FixOptions::default()
        };
        let r = fix_with(&engine, &sel, &path, &budget);
        assert_eq!(r.applied.len(), 20, "{:?}", r.unfixed);
        assert_eq!(r.unfixed.len(), 1, "{:?}", r.unfixed);
        assert!(
            r.unfixed[0]
                .reason
                .contains("no edit of the text could be verified"),
            "{:?}",
            r.unfixed
        );
        r
    }

    /// In a stream of documents, one whose drafted fix does not verify (a
    /// block scalar replaced as if it were a plain one) does not send the
    /// others to one load of the file per fix: their documents are proven
    /// one by one and kept, and the one left fails on its own.
    #[test]
    fn one_document_that_cannot_be_fixed_leaves_the_others_fixed_together() {
        let policy = "
control scripted {
  title \"scripted\"
  severity high
  deny when input.data.script != \"a\"
    at input.data.script
    fix set input.data.script = \"a\"
}
";
        let r = twenty_and_one(
            policy,
            |i| {
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  script: b\n"
                )
            },
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: block\ndata:\n  script: |\n    b\n    c\n",
        );
        let after = &r.changes[0].after;
        assert_eq!(after.matches("  script: a\n").count(), 20, "{after}");
        assert!(after.contains("  script: |\n    b\n    c\n"), "{after}");
    }

    /// A finding whose fix has no draft (its value is an anchor that an
    /// alias repeats) is left out of the batch rather than sending every
    /// fix of the file to one load each: the others land together, and it
    /// fails on its own the round after.
    #[test]
    fn a_fix_that_cannot_be_drafted_does_not_hold_back_the_others() {
        let policy = "
control named {
  title \"named\"
  severity high
  deny when input.metadata.labels.team != \"a\"
    at input.metadata.labels.team
    fix set input.metadata.labels.team = \"a\"
}
";
        let r = twenty_and_one(
            policy,
            |i| {
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  labels:\n    team: b\n"
                )
            },
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchored\n  labels:\n    team: &t b\n  annotations:\n    owner: *t\n",
        );
        assert!(r.changes[0].after.contains("    team: &t b\n"));
    }

    /// Two fixes that write after the same last line, one inside a nested
    /// block (`drop` under `capabilities`) and one beside it
    /// (`allowPrivilegeEscalation`), go in two rounds rather than together,
    /// where they could land in an order the file does not read in: with
    /// room to verify each file twice, both land.
    #[test]
    fn fixes_that_write_at_one_place_take_turns() {
        let policy = "
control escalation {
  title \"escalation\"
  severity high
  for c in input.spec.containers ?? [] {
    deny when c.securityContext.allowPrivilegeEscalation != false
      at c.securityContext
      fix set c.securityContext.allowPrivilegeEscalation = false
  }
}
control drop {
  title \"drop\"
  severity high
  for c in input.spec.containers ?? [] {
    deny when not exists(c.securityContext.capabilities.drop)
      at c.securityContext.capabilities
      fix set c.securityContext.capabilities.drop = [\"ALL\"]
  }
}
";
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      capabilities:\n        add:\n        - NET_ADMIN\n  restartPolicy: Always\n";
        let (engine, sel, path, _dir) = setup(policy, "one-place.yaml", pod);
        let budget = FixOptions {
            verify_budget: 2 * pod.len() + 200,
            ..FixOptions::default()
        };
        let r = fix_with(&engine, &sel, &path, &budget);
        assert!(r.unfixed.is_empty(), "{:?}", r.unfixed);
        assert_eq!(r.applied.len(), 2);
        assert_eq!(
            &*r.changes[0].after,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      capabilities:\n        add:\n        - NET_ADMIN\n        drop:\n          - ALL\n      allowPrivilegeEscalation: false\n  restartPolicy: Always\n"
        );
    }

    /// Two controls that want the same field to hold different values: each
    /// fix is applied once, the one undone by the other is reported, and the
    /// rounds end.
    #[test]
    fn fixes_that_undo_each_other_end() {
        let policy = "
control low {
  title \"low\"
  severity high
  deny when input.spec.replicas != 1
    at input.spec.replicas
    fix set input.spec.replicas = 1
}
control high {
  title \"high\"
  severity high
  deny when input.spec.replicas != 2
    at input.spec.replicas
    fix set input.spec.replicas = 2
}
";
        let (engine, sel, path, _dir) = setup(
            policy,
            "undo.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 3\n",
        );
        let r = fix(&engine, &sel, &path);
        assert!(r.rounds < 6, "{}", r.rounds);
        assert_eq!(r.unfixed.len(), 1, "{:?}", r.unfixed);
        assert_eq!(
            r.unfixed[0].reason,
            "the fix was applied but the control still reports the finding"
        );
        assert_eq!(r.unfixed[0].target.line, 5);
    }

    /// When the rounds run out, what is left is reported.
    #[test]
    fn what_the_rounds_leave_is_reported() {
        let policy = "
control many {
  title \"many\"
  severity high
  for c in input.spec.containers ?? [] {
    deny when c.securityContext.runAsNonRoot != true
      at c.securityContext.runAsNonRoot
      fix set c.securityContext.runAsNonRoot = true
  }
}
";
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: x\n    - name: b\n      image: y\n";
        let (engine, sel, path, _dir) = setup(policy, "rounds.yaml", text);
        let opts = FixOptions {
            max_rounds: 1,
            ..FixOptions::default()
        };
        let r = run(
            &engine,
            &sel,
            &[path],
            &LoadOptions::default(),
            &EvalOptions::default(),
            &opts,
        );
        assert_eq!(
            r.applied.len(),
            1,
            "one fix per control and resource a round"
        );
        assert_eq!(r.unfixed.len(), 1);
        assert!(
            r.unfixed[0]
                .reason
                .starts_with("still pending after 1 rounds")
        );
        assert_eq!(r.rounds, 2);
    }

    #[test]
    fn only_the_controls_asked_for() {
        let policy = "
control a_one {
  title \"a\"
  severity high
  deny when input.spec.x != 1
    at input.spec.x
    fix set input.spec.x = 1
}
control b_two {
  title \"b\"
  severity high
  deny when input.spec.y != 2
    at input.spec.y
    fix set input.spec.y = 2
}
";
        let (engine, sel, path, _dir) = setup(
            policy,
            "only.yaml",
            "apiVersion: v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  x: 0\n  y: 0\n",
        );
        let opts = FixOptions {
            controls: vec!["b_two".into()],
            ..FixOptions::default()
        };
        let r = run(
            &engine,
            &sel,
            &[path],
            &LoadOptions::default(),
            &EvalOptions::default(),
            &opts,
        );
        assert_eq!(r.applied.len(), 1);
        assert_eq!(&*r.applied[0].control, "b_two");
        assert!(r.changes[0].after.contains("  x: 0\n  y: 2\n"));
    }
}
