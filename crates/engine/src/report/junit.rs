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
use std::fmt::Write as _;

/// The report as JUnit XML.
pub fn render(report: &Report, engine: &Engine, _inputs: &Inputs) -> String {
    let scores = score::scores(report, engine);
    let mut suites: Vec<Suite> = Vec::new();
    for p in &scores.packs {
        let mut s = Suite::new(&p.name);
        s.props.push(("pack.version", p.version.clone()));
        if let Some(v) = &p.profile {
            s.props.push(("pack.profile", v.clone()));
        }
        for c in scores.controls.iter().filter(|c| c.pack == p.name) {
            s.cases.push(control_case(c));
            for f in c.findings.iter().filter_map(|&i| report.findings.get(i)) {
                s.cases.push(finding_case(f));
            }
        }
        suites.push(s);
    }
    // Warnings about waivers: a suite of their own, one case each.
    let mut notices = Suite::new(crate::waivers::PACK);
    for c in scores
        .controls
        .iter()
        .filter(|c| c.pack == crate::waivers::PACK)
    {
        for f in c.findings.iter().filter_map(|&i| report.findings.get(i)) {
            notices.cases.push(finding_case(f));
        }
    }
    if !notices.cases.is_empty() {
        suites.push(notices);
    }
    let mut loose = Suite::new("ward");
    for e in &report.errors {
        let pack = e
            .control
            .as_deref()
            .and_then(|c| scores.controls.iter().find(|s| s.id == c))
            .map(|c| c.pack);
        let case = error_case(e);
        match pack.and_then(|p| suites.iter_mut().find(|s| s.name == p)) {
            Some(s) => s.cases.push(case),
            None => loose.cases.push(case),
        }
    }
    if !loose.cases.is_empty() {
        suites.push(loose);
    }
    let count = |f: fn(&Case) -> bool| -> usize {
        suites
            .iter()
            .map(|s| s.cases.iter().filter(|c| f(c)).count())
            .sum()
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ward\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        count(|_| true),
        count(|c| matches!(c.outcome, Outcome::Failure { .. })),
        count(|c| matches!(c.outcome, Outcome::Error { .. })),
        count(|c| matches!(c.outcome, Outcome::Skipped(_))),
    );
    for s in &suites {
        s.write(&mut out);
    }
    out.push_str("</testsuites>\n");
    out
}

struct Suite {
    name: String,
    props: Vec<(&'static str, String)>,
    cases: Vec<Case>,
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

impl Suite {
    fn new(name: &str) -> Suite {
        Suite {
            name: name.to_string(),
            props: Vec::new(),
            cases: Vec::new(),
        }
    }

    fn write(&self, out: &mut String) {
        let n = |f: fn(&Outcome) -> bool| self.cases.iter().filter(|c| f(&c.outcome)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            attr(&self.name),
            self.cases.len(),
            n(|o| matches!(o, Outcome::Failure { .. })),
            n(|o| matches!(o, Outcome::Error { .. })),
            n(|o| matches!(o, Outcome::Skipped(_))),
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
        for c in &self.cases {
            c.write(out);
        }
        out.push_str("  </testsuite>\n");
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
        "{}:{}:{} {}",
        f.file,
        f.line,
        f.column,
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
            message: f.message.clone(),
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

/// Escapes text for an attribute value (line breaks kept as references).
fn attr(s: &str) -> String {
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
fn text_node(s: &str) -> String {
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

    #[test]
    fn escapes() {
        assert_eq!(
            attr("a<\"b\">&'\n"),
            "a&lt;&quot;b&quot;&gt;&amp;&apos;&#10;"
        );
        assert_eq!(text_node("x]]>\u{1}y"), "x]]&gt;\u{fffd}y");
    }
}
