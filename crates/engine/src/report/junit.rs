//! JUnit XML, for CI systems that show test results.
//!
//! One `<testsuite>` per pack. In it, one test case per control (it passes
//! when the control found nothing it did not waive, and is skipped when it
//! applied to no resource), and one test case per finding: a `<failure>` for
//! a deny finding, `<skipped>` for a waived finding or a warning. Errors are
//! test cases with an `<error>`, in the suite of their control's pack, or
//! in a `ward` suite for errors that belong to no pack (broken inputs).

use super::common::{self, resource_name};
use super::score::{self, ControlStat, Status};
use crate::engine::{Engine, Report};
use crate::finding::{Error, Finding, Level};
use crate::input::Inputs;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

/// The report as JUnit XML.
pub fn render(report: &Report, engine: &Engine, inputs: &Inputs) -> String {
    common::written(|out| write(report, engine, inputs, out))
}

/// Finding cases made and written by one task.
const CASES: usize = 1024;

/// Writes the report as JUnit XML: what [`render`] returns. A finding's
/// case is made as it is written, a window of findings at a time on all
/// cores, rather than all of them held before the first is written.
pub fn write(
    report: &Report,
    engine: &Engine,
    _inputs: &Inputs,
    w: impl std::io::Write,
) -> std::io::Result<()> {
    write_in(report, engine, w, CASES)
}

fn write_in(
    report: &Report,
    engine: &Engine,
    w: impl std::io::Write,
    per_task: usize,
) -> std::io::Result<()> {
    let scores = score::scores(report, engine);
    let mut suites: Vec<Suite> = Vec::new();
    for p in &scores.packs {
        let mut s = Suite::new(&p.name);
        s.props.push(("pack.version", p.version.clone()));
        if let Some(v) = &p.profile {
            s.props.push(("pack.profile", v.clone()));
        }
        for c in scores.controls.iter().filter(|c| c.pack == p.name) {
            s.parts.push(Part::Case(control_case(c)));
            s.parts.push(Part::Findings(
                c.findings
                    .iter()
                    .filter_map(|&i| report.findings.get(i))
                    .collect(),
            ));
        }
        suites.push(s);
    }
    // Ward's own notices (about waivers, about the inputs): a suite per
    // kind, one case each.
    for pack in crate::finding::NOTICE_PACKS {
        let mut notices = Suite::new(pack);
        for c in scores.controls.iter().filter(|c| c.pack == pack) {
            notices.parts.push(Part::Findings(
                c.findings
                    .iter()
                    .filter_map(|&i| report.findings.get(i))
                    .collect(),
            ));
        }
        if !notices.is_empty() {
            suites.push(notices);
        }
    }
    let mut loose = Suite::new("ward");
    for e in &report.errors {
        let pack = e
            .control
            .as_deref()
            .and_then(|c| scores.controls.iter().find(|s| s.id == c))
            .map(|c| c.pack);
        let case = Part::Case(error_case(e));
        match pack.and_then(|p| suites.iter_mut().find(|s| s.name == p)) {
            Some(s) => s.parts.push(case),
            None => loose.parts.push(case),
        }
    }
    if !loose.is_empty() {
        suites.push(loose);
    }
    // Each suite's cases counted once, for its own line and the total.
    let counts: Vec<Counts> = suites.iter().map(Suite::counts).collect();
    let total = counts.iter().fold(Counts::default(), |a, c| a.add(c));
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    writeln!(
        w,
        "<testsuites name=\"ward\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        total.tests, total.failures, total.errors, total.skipped,
    )?;
    for (s, c) in suites.iter().zip(&counts) {
        s.write(&mut w, c, per_task)?;
    }
    w.write_all(b"</testsuites>\n")?;
    w.flush()
}

struct Suite<'r> {
    name: String,
    props: Vec<(&'static str, String)>,
    parts: Vec<Part<'r>>,
}

/// Test cases of a suite: one made up front, or a control's findings,
/// whose cases are made as they are written.
enum Part<'r> {
    Case(Case),
    Findings(Vec<&'r Finding>),
}

struct Case {
    classname: String,
    name: String,
    outcome: Outcome,
    out: Option<String>,
}

enum Outcome {
    Pass,
    Skipped(String),
    Failure {
        message: String,
        kind: String,
        text: String,
    },
    Error {
        message: String,
        kind: String,
        text: String,
    },
}

/// What a case's outcome is, for the counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Pass,
    Skipped,
    Failure,
    Error,
}

/// Test cases counted by outcome.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn one(&mut self, k: Kind) {
        self.tests += 1;
        match k {
            Kind::Pass => {}
            Kind::Skipped => self.skipped += 1,
            Kind::Failure => self.failures += 1,
            Kind::Error => self.errors += 1,
        }
    }

    fn add(self, o: &Counts) -> Counts {
        Counts {
            tests: self.tests + o.tests,
            failures: self.failures + o.failures,
            errors: self.errors + o.errors,
            skipped: self.skipped + o.skipped,
        }
    }
}

impl Outcome {
    fn kind(&self) -> Kind {
        match self {
            Outcome::Pass => Kind::Pass,
            Outcome::Skipped(_) => Kind::Skipped,
            Outcome::Failure { .. } => Kind::Failure,
            Outcome::Error { .. } => Kind::Error,
        }
    }
}

/// The outcome of a finding's case (see [`finding_case`]).
fn finding_kind(f: &Finding) -> Kind {
    match (&f.waived, f.level) {
        (Some(_), _) | (None, Level::Warn) => Kind::Skipped,
        (None, Level::Deny) => Kind::Failure,
    }
}

impl<'r> Suite<'r> {
    fn new(name: &str) -> Suite<'r> {
        Suite {
            name: name.to_string(),
            props: Vec::new(),
            parts: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.parts.iter().all(|p| match p {
            Part::Case(_) => false,
            Part::Findings(fs) => fs.is_empty(),
        })
    }

    /// Its test cases counted by outcome, in one pass.
    fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for p in &self.parts {
            match p {
                Part::Case(case) => c.one(case.outcome.kind()),
                Part::Findings(fs) => fs.iter().for_each(|f| c.one(finding_kind(f))),
            }
        }
        c
    }

    fn write(
        &self,
        w: &mut impl std::io::Write,
        counts: &Counts,
        per_task: usize,
    ) -> std::io::Result<()> {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            attr(&self.name),
            counts.tests,
            counts.failures,
            counts.errors,
            counts.skipped,
        );
        if !self.props.is_empty() {
            out.push_str("    <properties>\n");
            for (k, v) in &self.props {
                let _ = writeln!(
                    out,
                    "      <property name=\"{}\" value=\"{}\"/>",
                    attr(k),
                    attr(v)
                );
            }
            out.push_str("    </properties>\n");
        }
        for p in &self.parts {
            match p {
                Part::Case(c) => c.write(&mut out),
                Part::Findings(fs) => {
                    w.write_all(out.as_bytes())?;
                    out.clear();
                    common::write_windows(fs, per_task, w, |_, chunk| {
                        let mut text = String::new();
                        for f in chunk {
                            finding_case(f).write(&mut text);
                        }
                        Ok(text.into_bytes())
                    })?;
                }
            }
        }
        out.push_str("  </testsuite>\n");
        w.write_all(out.as_bytes())
    }
}

impl Case {
    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            attr(&self.classname),
            attr(&self.name)
        );
        if matches!(self.outcome, Outcome::Pass) && self.out.is_none() {
            out.push_str("/>\n");
            return;
        }
        out.push_str(">\n");
        match &self.outcome {
            Outcome::Pass => {}
            Outcome::Skipped(m) => {
                let _ = writeln!(out, "      <skipped message=\"{}\"/>", attr(m));
            }
            Outcome::Failure {
                message,
                kind,
                text,
            } => {
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    attr(message),
                    attr(kind),
                    text_node(text)
                );
            }
            Outcome::Error {
                message,
                kind,
                text,
            } => {
                let _ = writeln!(
                    out,
                    "      <error message=\"{}\" type=\"{}\">{}</error>",
                    attr(message),
                    attr(kind),
                    text_node(text)
                );
            }
        }
        if let Some(s) = &self.out {
            let _ = writeln!(out, "      <system-out>{}</system-out>", text_node(s));
        }
        out.push_str("    </testcase>\n");
    }
}

fn control_case(c: &ControlStat<'_>) -> Case {
    let title = c.def.map(|d| d.title.as_str()).unwrap_or("");
    let summary = format!(
        "{title}: applied to {} resource{}; {} passed, {} failed, {} waived, {} with warnings, {} error{}",
        c.applied,
        if c.applied == 1 { "" } else { "s" },
        c.passed(),
        c.failed,
        c.waived,
        c.warned,
        c.errors,
        if c.errors == 1 { "" } else { "s" },
    );
    let outcome = match c.status() {
        Status::None => Outcome::Skipped("applied to no resource".into()),
        _ => Outcome::Pass,
    };
    Case {
        classname: c.id.to_string(),
        name: c.id.to_string(),
        outcome,
        out: Some(summary),
    }
}

fn finding_case(f: &Finding) -> Case {
    let place = format!(
        "{} {}",
        super::common::Place::of(f),
        if f.pointer.is_empty() {
            "/"
        } else {
            &f.pointer
        }
    );
    let mut text = format!("{place}\n{}", resource_name(&f.resource));
    if let Some(o) = &f.origin {
        let _ = write!(text, " (from {o})");
    }
    let tags = common::finding_tags(f);
    if !tags.is_empty() {
        let _ = write!(text, "\nframeworks: {}", tags.join(", "));
    }
    if !f.remedy.is_empty() {
        let _ = write!(text, "\nhelp: {}", f.remedy);
    }
    let outcome = match (&f.waived, f.level) {
        (Some(w), _) => Outcome::Skipped(format!(
            "waived: {} ({}) ({place})",
            w.reason,
            common::waiver_details(w)
        )),
        (None, Level::Warn) => Outcome::Skipped(format!("warning: {} ({place})", f.message)),
        (None, Level::Deny) => Outcome::Failure {
            message: f.message.to_string(),
            kind: f.severity.as_str().to_string(),
            text,
        },
    };
    Case {
        classname: f.control.to_string(),
        name: format!(
            "{} {}",
            resource_name(&f.resource),
            if f.pointer.is_empty() {
                "/"
            } else {
                &f.pointer
            }
        ),
        outcome,
        out: None,
    }
}

fn error_case(e: &Error) -> Case {
    let place = match (&e.file, &e.policy) {
        (Some(f), Some(p)) => format!("{f} (policy {p}:{}:{})", e.line, e.column),
        (Some(f), None) if e.line > 0 => format!("{f}:{}:{}", e.line, e.column),
        (Some(f), None) => f.clone(),
        (None, Some(p)) => format!("{p}:{}:{}", e.line, e.column),
        (None, None) => String::new(),
    };
    let kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Case {
        classname: e.control.clone().unwrap_or_else(|| "ward".into()),
        name: format!("error: {place}"),
        outcome: Outcome::Error {
            message: e.message.clone(),
            kind,
            text: format!("{place}: {}", e.message),
        },
        out: None,
    }
}

/// Whether text holds nothing XML escapes or replaces: most messages,
/// names and paths, which are then copied as they are.
fn plain_xml(s: &str, line_breaks_plain: bool) -> bool {
    let b = s.as_bytes();
    // U+FFFE and U+FFFF are the only characters above ASCII that change,
    // and both are EF BF BE/BF in UTF-8.
    !b.iter().any(|&c| {
        matches!(c, b'&' | b'<' | b'>' | b'"' | b'\'' | 0xEF)
            || (c < 0x20 && !(line_breaks_plain && matches!(c, b'\n' | b'\t')))
    })
}

/// A `ward test` run as JUnit XML, for CI systems that show test results:
/// one `<testsuite>` per policy file with a case per test (a `<failure>`
/// with every reason it failed), and a `coverage` suite with a case per
/// control and per `deny`/`warn` statement no test made fire, which has a
/// `<failure>` when the control lacks a failing or a passing case, or the
/// statement never fired, and `required` (`--require-coverage`), and is
/// `<skipped>` with the reason otherwise.
pub fn tests(run: &crate::testing::TestRun, required: bool) -> String {
    let mut suites: Vec<(&str, Vec<&crate::testing::TestResult>)> = Vec::new();
    for r in &run.results {
        match suites.iter_mut().find(|(f, _)| *f == r.file) {
            Some((_, rs)) => rs.push(r),
            None => suites.push((&r.file, vec![r])),
        }
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let uncovered = run.uncovered().count() + run.unreached.len();
    let coverage_failures = if required { uncovered } else { 0 };
    let _ = writeln!(
        out,
        "<testsuites name=\"ward test\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        run.results.len() + run.coverage.len() + run.unreached.len(),
        run.failed() + coverage_failures,
        uncovered - coverage_failures,
    );
    for (file, results) in &suites {
        let failed = results.iter().filter(|r| !r.passed).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">",
            attr(file),
            results.len()
        );
        for r in results {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                attr(&r.name),
                attr(file),
                attr(file),
                r.line
            );
            match r.failures.first() {
                None => out.push_str("/>\n"),
                Some(first) => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        attr(first),
                        text_node(&r.failures.join("\n"))
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    if !run.coverage.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"coverage\" tests=\"{}\" failures=\"{coverage_failures}\" skipped=\"{}\">",
            run.coverage.len() + run.unreached.len(),
            uncovered - coverage_failures
        );
        for c in &run.coverage {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"coverage\"",
                attr(&c.control)
            );
            if c.failing_case && c.passing_case {
                out.push_str("/>\n");
                continue;
            }
            let why = format!("{}: {}", c.control, c.missing());
            let tag = if required { "failure" } else { "skipped" };
            let _ = writeln!(
                out,
                ">\n      <{tag} message=\"{}\"/>\n    </testcase>",
                attr(&why)
            );
        }
        // A statement no test made fire: a case of its own.
        for u in &run.unreached {
            let name = format!("{}:{}:{}", u.file, u.line, u.column);
            let why = format!("{}: no test makes `{}` fire", u.control, u.statement);
            let tag = if required { "failure" } else { "skipped" };
            let _ = writeln!(
                out,
                "    <testcase name=\"{}\" classname=\"coverage\" file=\"{}\" line=\"{}\">\n      <{tag} message=\"{}\"/>\n    </testcase>",
                attr(&name),
                attr(&u.file),
                u.line,
                attr(&why)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes text for an attribute value (line breaks kept as references).
fn attr(s: &str) -> Cow<'_, str> {
    if plain_xml(s, false) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(escape_attr(s))
    }
}

fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(xml_char(c)),
        }
    }
    out
}

/// Escapes text for element content.
fn text_node(s: &str) -> Cow<'_, str> {
    // `"` and `'` stay as they are in content; text with them only goes
    // the long way, which leaves them.
    if plain_xml(s, true) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(escape_text(s))
    }
}

fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c => out.push(xml_char(c)),
        }
    }
    out
}

/// XML 1.0 cannot hold most control characters, even escaped.
fn xml_char(c: char) -> char {
    match c {
        '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {
            '\u{fffd}'
        }
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The XML written a window of finding cases at a time, in tasks of any
    /// size, is the XML written in one task, on an example and with
    /// findings enough for many windows.
    #[test]
    fn cases_written_in_windows_are_the_report_of_one_task() {
        let (engine, _, mut report) = common::example_run();
        let written = |report: &Report, per_task: usize| {
            common::written(|out| write_in(report, &engine, out, per_task))
        };
        for round in 0..2 {
            let whole = written(&report, usize::MAX);
            assert!(whole.matches("<testcase ").count() > report.findings.len());
            for per_task in [1, 3, 7, 100, CASES] {
                assert!(
                    written(&report, per_task) == whole,
                    "round {round}, {per_task} a task"
                );
            }
            common::repeat_findings(&mut report, 5_000);
        }
    }

    #[test]
    fn escapes() {
        assert_eq!(
            attr("a<\"b\">&'\n"),
            "a&lt;&quot;b&quot;&gt;&amp;&apos;&#10;"
        );
        assert_eq!(text_node("x]]>\u{1}y"), "x]]&gt;\u{fffd}y");
    }

    /// The outcome a finding is counted under is the one its case has,
    /// waived or not, deny or warn.
    #[test]
    fn findings_are_counted_as_their_cases_are() {
        let (_, _, report) = common::example_run();
        let f = report.findings.first().unwrap().clone();
        for waived in [false, true] {
            for level in [Level::Deny, Level::Warn] {
                let mut f = f.clone();
                f.level = level;
                f.waived = waived.then(|| {
                    Box::new(crate::finding::Suppression {
                        reason: "r".into(),
                        owner: None,
                        ticket: None,
                        expires: None,
                        source: "file".into(),
                    })
                });
                assert_eq!(finding_kind(&f), finding_case(&f).outcome.kind());
            }
        }
    }

    /// Text taken as it is escapes to itself: every ASCII character and the
    /// characters near the two XML cannot hold, alone and among others.
    #[test]
    fn plain_text_is_its_own_escape() {
        let mut chars: Vec<char> = (0u8..0x80).map(char::from).collect();
        chars.extend([
            'é',
            '\u{fffd}',
            '\u{fffe}',
            '\u{ffff}',
            '\u{efbf}',
            '\u{10000}',
        ]);
        let mut plain = 0;
        for c in &chars {
            for s in [c.to_string(), format!("a{c}b"), format!("{c}{c}")] {
                for (breaks, escape) in [
                    (false, escape_attr as fn(&str) -> String),
                    (true, escape_text),
                ] {
                    if plain_xml(&s, breaks) {
                        assert_eq!(escape(&s), s, "{s:?}");
                        plain += 1;
                    }
                }
            }
        }
        assert!(plain > 300);
        assert!(plain_xml("a message: `x` at /spec/0 (Pod ns/p)", false));
        assert!(plain_xml("two\nlines\tand a tab", true));
        assert!(!plain_xml("two\nlines", false));
    }
}
