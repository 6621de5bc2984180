//! Running the `test` blocks of policies and packs.
//!
//! A test loads its `given` inputs (fixture files relative to the policy
//! file, or resource objects written inline), evaluates the controls of its
//! own package (and any control it names) at its `version`, and checks each
//! `expect`. The run also says which controls have no failing case and no
//! passing case, since a control nobody has seen fail may never fire.

use crate::compile;
use crate::engine::{Engine, EvalOptions, Report, Selection};
use crate::eval::Evaluator;
use crate::input::{self, Inputs, LoadOptions};
use crate::inventory::Inventory;
use crate::value::val::{Frozen, Val};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use ward_lang::ast::{FindingKind, Outcome, Version};
use ward_lang::hir::{ExpectKind, TestDef};
use ward_lang::span::FileId;

/// The outcome of one test.
#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    pub name: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub passed: bool,
    /// Why it failed, one line each.
    pub failures: Vec<String>,
}

/// Whether a control has been seen to fail and to pass.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Coverage {
    pub control: String,
    pub failing_case: bool,
    pub passing_case: bool,
}

impl Coverage {
    /// What the control lacks: `no failing case, no passing case`, one of
    /// them, or nothing.
    pub fn missing(&self) -> String {
        let mut m = Vec::new();
        if !self.failing_case {
            m.push("no failing case");
        }
        if !self.passing_case {
            m.push("no passing case");
        }
        m.join(", ")
    }
}

/// A `deny` or `warn` statement that no test made fire: a branch of a
/// control nobody has seen work.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Unreached {
    pub control: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The statement's first line.
    pub statement: String,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct TestRun {
    pub results: Vec<TestResult>,
    pub coverage: Vec<Coverage>,
    /// The finding statements of the tested controls that no test made
    /// fire, in file order.
    pub unreached: Vec<Unreached>,
}

impl TestRun {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.passed).count()
    }

    /// Controls missing a failing or a passing case.
    pub fn uncovered(&self) -> impl Iterator<Item = &Coverage> {
        self.coverage
            .iter()
            .filter(|c| !c.failing_case || !c.passing_case)
    }
}

/// Where embedded policy files live in the source tree, for their fixtures.
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Engine {
    /// Runs the tests declared in `files` (every test when `None`), and
    /// reports coverage of the controls declared in those files.
    pub fn run_tests(&self, files: Option<&HashSet<FileId>>) -> TestRun {
        let in_scope = |f: FileId| files.is_none_or(|s| s.contains(&f));
        let mut run = TestRun::default();
        let mut failing: HashSet<usize> = HashSet::new();
        let mut passing: HashSet<usize> = HashSet::new();
        let mut fired: HashSet<(u32, u32)> = HashSet::new();
        for t in self.program.tests.iter().filter(|t| in_scope(t.file)) {
            let (result, evaluated, made) = self.run_test(t);
            fired.extend(made);
            if result.passed {
                for x in &t.expects {
                    match &x.kind {
                        ExpectKind::Finding { control, .. } => {
                            failing.insert(*control);
                        }
                        ExpectKind::Outcome { control, outcome } => {
                            if *outcome != Outcome::Skip {
                                passing.insert(*control);
                            }
                        }
                        ExpectKind::Clean => passing.extend(evaluated.iter().copied()),
                    }
                }
            }
            run.results.push(result);
        }
        for (i, c) in self.program.controls.iter().enumerate() {
            if in_scope(c.span.file) {
                run.coverage.push(Coverage {
                    control: c.id.clone(),
                    failing_case: failing.contains(&i),
                    passing_case: passing.contains(&i),
                });
                // The branches of a control some test saw fail: a control
                // no test saw fail is reported whole, above.
                if !failing.contains(&i) {
                    continue;
                }
                let statements = self
                    .compiled
                    .controls
                    .get(i)
                    .map(|cc| compile::finding_statements(&cc.body))
                    .unwrap_or_default();
                for span in statements {
                    if fired.contains(&(span.file.0, span.start)) {
                        continue;
                    }
                    let (line, column) = self.sources.line_col(span);
                    run.unreached.push(Unreached {
                        control: c.id.clone(),
                        file: self.sources.name(span.file).to_string(),
                        line,
                        column,
                        statement: self
                            .sources
                            .snippet(span)
                            .lines()
                            .next()
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                    });
                }
            }
        }
        run
    }

    fn run_test(&self, t: &TestDef) -> (TestResult, Vec<usize>, Vec<(u32, u32)>) {
        let (line, column) = self.sources.line_col(t.span);
        let mut result = TestResult {
            name: t.name.clone(),
            file: self.sources.name(t.file).to_string(),
            line,
            column,
            passed: false,
            failures: Vec::new(),
        };
        // The controls to run: the test's package, and any it names.
        let mut controls: Vec<usize> = self
            .program
            .controls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.package == t.package)
            .map(|(i, _)| i)
            .collect();
        for x in &t.expects {
            if let ExpectKind::Finding { control, .. } | ExpectKind::Outcome { control, .. } =
                &x.kind
                && !controls.contains(control)
            {
                controls.push(*control);
            }
        }
        controls.sort_unstable();
        let version = t.version.or_else(|| self.latest_version_of(&controls));
        controls.retain(|&c| self.active(c, version));
        let level = t.package.rsplit('.').next().unwrap_or("");
        let mut overrides = HashMap::new();
        for (pid, e) in &t.sets {
            match self.const_value(e) {
                Ok(v) => {
                    overrides.insert(*pid, v);
                }
                Err(m) => result.failures.push(m),
            }
        }
        let env = match self.env("test", version, level, &overrides) {
            Ok(e) => e,
            Err(e) => {
                result.failures.push(e.0);
                return (result, controls, Vec::new());
            }
        };
        let inputs = match self.test_inputs(t) {
            Ok(i) => i,
            Err(m) => {
                result.failures.push(m);
                return (result, controls, Vec::new());
            }
        };
        let unit = self.make_unit(
            "test".into(),
            String::new(),
            version,
            None,
            controls.clone(),
            env,
        );
        let selection = Selection { units: vec![unit] };
        let opts = EvalOptions {
            count_statements: true,
            ..EvalOptions::default()
        };
        let mut report = self.evaluate(&selection, &inputs, &opts);
        // A test's inputs are one scenario: an object given twice is a slip
        // that makes the results mean something else (a control that looks
        // the object up sees both).
        for defs in crate::duplicates::groups(&inputs, &report) {
            if let [first, again, ..] = defs.as_slice() {
                let at = |r| crate::duplicates::place(&inputs, r);
                result.failures.push(format!(
                    "{}: the test gives {} {} times ({} and {}); give each object once, or name them apart",
                    result.file,
                    crate::engine::identity(first).quoted(),
                    defs.len(),
                    at(first),
                    at(again),
                ));
            }
        }
        // A field the test misspells is read as missing: a test that expects
        // a deny for `runAsNonRoot: false` written `runAsNonroot: false`
        // passes for the wrong reason. Only a slip (a field a letter or two
        // from one the type has) fails a test: a field like none of them is
        // how a test gives a control something unknown on purpose.
        let types = crate::unknown_fields::Types::of(&inputs, None);
        for r in &inputs.resources {
            for u in types.unknown(r) {
                let Some(meant) = u.meant else { continue };
                result.failures.push(format!(
                    "{}: the test gives {} `{}` ({}), which {} does not have: every control reads it as missing; did you mean `{meant}`?",
                    result.file,
                    crate::engine::identity(r).quoted(),
                    u.field,
                    u.node.pointer(),
                    u.ty,
                ));
            }
        }
        for e in &report.errors {
            result.failures.push(format!(
                "error{}: {}",
                e.control
                    .as_deref()
                    .map(|c| format!(" in `{c}`"))
                    .unwrap_or_default(),
                e.message
            ));
        }
        for x in &t.expects {
            if let Some(why) = self.check_expectation(&x.kind, &report) {
                let (l, c) = self.sources.line_col(x.span);
                result
                    .failures
                    .push(format!("{}:{l}:{c}: {why}", result.file));
            }
        }
        result.passed = result.failures.is_empty();
        let fired = std::mem::take(&mut report.fired);
        (result, controls, fired)
    }

    /// The newest profile version of a pack that holds any of the controls.
    pub(crate) fn latest_version_of(&self, controls: &[usize]) -> Option<Version> {
        self.program
            .packs
            .iter()
            .filter(|p| p.controls.iter().any(|c| controls.contains(c)))
            .filter_map(|p| p.profile.map(|r| r.latest))
            .max_by(|a, b| a.cmp_value(*b))
    }

    fn const_value(&self, e: &ward_lang::hir::HExpr) -> Result<Frozen, String> {
        let c = compile::compile_expr(e).map_err(|e| e.message)?;
        let env = self
            .env("test", None, "", &HashMap::new())
            .map_err(|e| e.0)?;
        let inv = Inventory::default();
        let v = Evaluator::new(&self.compiled, &env, &inv, None)
            .eval_free(&c)
            .map_err(|e| e.message)?;
        Ok(v.freeze())
    }

    fn test_inputs(&self, t: &TestDef) -> Result<Inputs, String> {
        let mut inputs = Inputs::default();
        let base = self.fixture_base(t.file);
        for (i, g) in t.given.iter().enumerate() {
            let v = self.const_value(g)?.thaw();
            match &v {
                Val::Str(s) => {
                    let path = base.join(s.as_str());
                    let shown = path.display().to_string();
                    let loaded =
                        input::load_paths(std::slice::from_ref(&shown), &LoadOptions::default());
                    if let Some(e) = loaded.errors.first() {
                        return Err(format!(
                            "fixture {shown}:{}:{}: {}",
                            e.line, e.column, e.message
                        ));
                    }
                    absorb(&mut inputs, loaded);
                }
                v if v.is_list() => {
                    for (j, item) in v.items().enumerate() {
                        inputs.add_json(
                            &format!("<given {} item {}>", i + 1, j + 1),
                            &item.to_json(),
                        );
                    }
                }
                v if v.is_obj() => inputs.add_json(&format!("<given {}>", i + 1), &v.to_json()),
                v => {
                    return Err(format!(
                        "`given` must be a file path or a resource, not a {}",
                        v.type_name()
                    ));
                }
            }
        }
        Ok(inputs)
    }

    /// The folder fixture paths of a policy file are relative to.
    fn fixture_base(&self, file: FileId) -> PathBuf {
        let name = self.sources.name(file);
        match name.strip_prefix("<ward>/") {
            Some(rel) => repo_root()
                .join(rel)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            None => Path::new(name)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        }
    }

    /// `None` when the expectation holds, else why not.
    fn check_expectation(&self, x: &ExpectKind, report: &Report) -> Option<String> {
        let id_of = |c: usize| {
            self.program
                .controls
                .get(c)
                .map(|cd| cd.id.as_str())
                .unwrap_or("")
        };
        match x {
            ExpectKind::Clean => {
                if report.findings.is_empty() {
                    None
                } else {
                    Some(format!(
                        "expected no findings, got {}",
                        describe(&report.findings)
                    ))
                }
            }
            ExpectKind::Finding {
                kind,
                control,
                at,
                count,
                message,
            } => {
                let id = id_of(*control);
                let level = match kind {
                    FindingKind::Deny => crate::Level::Deny,
                    FindingKind::Warn => crate::Level::Warn,
                };
                let of_control: Vec<_> = report
                    .findings
                    .iter()
                    .filter(|f| &*f.control == id && f.level == level)
                    .collect();
                let placed: Vec<_> = of_control
                    .iter()
                    .filter(|f| at.as_ref().is_none_or(|p| f.pointer == *p))
                    .collect();
                let matching: Vec<_> = placed
                    .iter()
                    .filter(|f| {
                        message
                            .as_ref()
                            .is_none_or(|m| f.message.contains(m.as_str()))
                    })
                    .collect();
                let what = format!(
                    "`{} {id}`{}{}",
                    kind.as_str(),
                    at.as_ref()
                        .map(|p| format!(" at `{p}`"))
                        .unwrap_or_default(),
                    message
                        .as_ref()
                        .map(|m| format!(" with \"{m}\""))
                        .unwrap_or_default()
                );
                match count {
                    Some(n) if matching.len() != *n => {
                        return Some(format!("expected {n} of {what}, got {}", matching.len()));
                    }
                    Some(_) => return None,
                    None => {}
                }
                if matching.is_empty() {
                    let got = if placed.is_empty() && of_control.is_empty() {
                        describe(&report.findings)
                    } else if placed.is_empty() {
                        of_control
                            .iter()
                            .map(|f| format!("`{}`", f.pointer))
                            .collect::<Vec<_>>()
                            .join(", ")
                    } else {
                        placed
                            .iter()
                            .map(|f| format!("\"{}\"", f.message))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    return Some(format!("expected {what}, got {got}"));
                }
                None
            }
            ExpectKind::Outcome { outcome, control } => {
                let id = id_of(*control);
                let findings: Vec<_> = report
                    .findings
                    .iter()
                    .filter(|f| &*f.control == id)
                    .collect();
                let applied = report
                    .outcomes
                    .iter()
                    .filter(|o| o.control == id)
                    .map(|o| o.applied)
                    .sum::<usize>();
                match outcome {
                    Outcome::Pass if applied == 0 => Some(format!(
                        "expected `{id}` to apply and pass, but it did not apply"
                    )),
                    Outcome::Pass | Outcome::None if !findings.is_empty() => Some(format!(
                        "expected no finding from `{id}`, got {}",
                        describe_refs(&findings)
                    )),
                    Outcome::Skip if applied > 0 => {
                        Some(format!("expected `{id}` not to apply, but it applied"))
                    }
                    _ => None,
                }
            }
        }
    }
}

/// Moves loaded inputs into another set, keeping file indexes right.
fn absorb(into: &mut Inputs, other: Inputs) {
    let offset = into.files.len() as u32;
    into.files.extend(other.files);
    for mut r in other.resources {
        r.file += offset;
        into.resources.push(r);
    }
    into.skipped.extend(other.skipped);
    into.errors.extend(other.errors);
}

fn describe(fs: &[crate::Finding]) -> String {
    describe_refs(&fs.iter().collect::<Vec<_>>())
}

fn describe_refs(fs: &[&crate::Finding]) -> String {
    if fs.is_empty() {
        return "none".to_string();
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in fs {
        *counts
            .entry(format!("{} at `{}`", f.control, f.pointer))
            .or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|(k, n)| if n > 1 { format!("{k} ({n}×)") } else { k })
        .collect::<Vec<_>>()
        .join(", ")
}
