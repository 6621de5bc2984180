//! One self-contained HTML page to explore a report: run inputs, a score
//! per pack and per framework, every control with its counts, and a
//! drill-down from a control to its resources and the offending lines, with
//! the remedy and the fix as a diff. Filters (severity, namespace,
//! framework, status, text) live in the URL fragment, so a link such as
//! `report.html#severity=high&control=pss.baseline.privileged` opens the
//! page filtered and drilled down.
//!
//! The data is a JSON island (`<script type="application/json">`) rendered
//! by inline vanilla JavaScript with `textContent` only, so no user text is
//! ever parsed as HTML. Nothing is loaded from the network: the CSS and JS
//! are inline and a Content-Security-Policy forbids any fetch.

mod model;

use super::common::Sources;
use super::edit::Planner;
use crate::engine::{Engine, Report};
use crate::finding::Finding;
use crate::input::Inputs;
use std::borrow::Cow;
use std::fmt::Write as _;

const CSS: &str = include_str!("../assets/report.css");
const JS: &str = include_str!("../assets/report.js");

/// The id of the `<script type="application/json">` element with the data.
pub const DATA_ID: &str = "ward-data";

/// The report as one HTML page.
pub fn render(report: &Report, engine: &Engine, inputs: &Inputs) -> String {
    let mut out = Vec::new();
    match write(report, engine, inputs, &mut out) {
        // The page is text throughout.
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) => format!("<!-- {} -->", escape(&e.to_string())),
    }
}

/// Writes the page. Its findings, nearly all of a large report's data, are
/// made and printed a window at a time on all cores rather than held as one
/// value; the data is the same text as printing the whole value gives.
pub fn write(
    report: &Report,
    engine: &Engine,
    inputs: &Inputs,
    mut w: impl std::io::Write,
) -> std::io::Result<()> {
    let sources = Sources::around(inputs, report, model::CONTEXT);
    let (before, after) = model::around(report, engine, inputs);
    // The findings that get a diff have their fixes planned first.
    let plans = Planner::new(inputs, &sources).plan_in_order(&report.findings, model::MAX_DIFFS);
    let s = super::json::summary(report);
    let title = format!(
        "Ward report: {} finding{} in {} resource{}",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.resources,
        if s.resources == 1 { "" } else { "s" }
    );
    let mut out = String::with_capacity(CSS.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; \
         base-uri 'none'; form-action 'none'\">\n",
    );
    out.push_str("<meta name=\"generator\" content=\"Ward\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(out, "<style>\n{CSS}</style>\n</head>\n<body>");
    w.write_all(out.as_bytes())?;
    noscript(&mut w, report, &title)?;
    write!(
        w,
        "<div id=\"app\"></div>\n<script type=\"application/json\" id=\"{DATA_ID}\">"
    )?;
    // The data: the fields before `findings` without the closing brace,
    // the findings, then the fields after them without the opening one.
    let (before, after) = (
        serde_json::to_string(&before)?,
        serde_json::to_string(&after)?,
    );
    let (before, after) = (island(&before), island(&after));
    w.write_all(before.strip_suffix('}').unwrap_or(&before).as_bytes())?;
    w.write_all(b",\"findings\":[")?;
    super::common::write_windows(&report.findings, FINDINGS, &mut w, |first, fs| {
        let mut text = String::new();
        for (j, f) in fs.iter().enumerate() {
            let i = first + j;
            let plan = plans.get(i).and_then(Option::as_ref);
            let v = model::finding(f, sources.get(&f.file), i, plan);
            if i > 0 {
                text.push(',');
            }
            text.push_str(&island(&serde_json::to_string(&v)?));
        }
        Ok(text.into_bytes())
    })?;
    w.write_all(b"],")?;
    w.write_all(after.strip_prefix('{').unwrap_or(&after).as_bytes())?;
    write!(w, "</script>\n<script>\n{JS}</script>\n</body>\n</html>\n")?;
    w.flush()
}

/// Findings made and printed by one task.
const FINDINGS: usize = 1024;

/// What the page says without JavaScript: the counts and the failing
/// controls.
fn noscript(w: &mut impl std::io::Write, report: &Report, title: &str) -> std::io::Result<()> {
    let s = super::json::summary(report);
    let mut out = String::from("<noscript><main class=\"plain\">\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(title));
    let _ = writeln!(
        out,
        "<p>{} deny, {} warn, {} waived, {} errors, {} skipped. \
         Turn on JavaScript to explore the findings.</p>",
        s.deny, s.warn, s.waived, s.errors, s.skipped
    );
    out.push_str("<ul>\n");
    w.write_all(out.as_bytes())?;
    // A line a finding: on a large export, as many as the data has.
    let open: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.waived.is_none())
        .collect();
    super::common::write_windows(&open, FINDINGS, w, |_, fs| {
        let mut text = String::new();
        for f in fs {
            let _ = writeln!(
                text,
                "<li>{} {} <code>{}</code> {}</li>",
                escape(f.severity.as_str()),
                escape(&super::common::Place::line_of(f).to_string()),
                escape(&f.control),
                escape(&f.message)
            );
        }
        Ok(text.into_bytes())
    })?;
    w.write_all(b"</ul>\n</main></noscript>\n")
}

/// JSON made safe inside a `<script>` element: no `<`, `>` or `&` (so no
/// `</script>` or `<!--`), and no line separators.
fn island(json: &str) -> Cow<'_, str> {
    // Most findings hold none of them (U+2028 and U+2029 are E2 80 A8/A9).
    if !json.bytes().any(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2)) {
        return Cow::Borrowed(json);
    }
    Cow::Owned(island_all(json))
}

fn island_all(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(escape_all(s))
}

fn escape_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn islands_cannot_close_their_script() {
        let v = serde_json::json!({"m": "</script><!-- & \u{2028}"});
        let json = serde_json::to_string(&v).unwrap();
        let s = island(&json);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    /// The data written a window of findings at a time is the value of the
    /// whole, on the examples and with findings enough for many windows.
    #[test]
    fn data_written_in_pieces_is_the_data_whole() {
        let (engine, inputs, mut report) = crate::report::common::example_run();
        for _ in 0..2 {
            let page = render(&report, &engine, &inputs);
            let open = format!("<script type=\"application/json\" id=\"{DATA_ID}\">");
            let data = page
                .split_once(&open)
                .unwrap()
                .1
                .split_once("</script>")
                .unwrap()
                .0;
            let data: serde_json::Value = serde_json::from_str(data).unwrap();
            assert_eq!(data, model::build(&report, &engine, &inputs));
            crate::report::common::repeat_findings(&mut report, 5_000);
        }
    }

    /// Text copied as it is is what escaping it character by character
    /// gives: every ASCII character and the line separators, alone and
    /// among others.
    #[test]
    fn text_with_nothing_to_escape_is_copied() {
        let mut chars: Vec<char> = (0u8..0x80).map(char::from).collect();
        chars.extend(['é', '\u{2028}', '\u{2029}', '\u{2027}', '\u{20ac}']);
        for c in &chars {
            for s in [c.to_string(), format!("a{c}b"), format!("{c}{c}")] {
                assert_eq!(escape(&s), escape_all(&s), "{s:?}");
                assert_eq!(island(&s), island_all(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn escapes_text() {
        assert_eq!(
            escape("<a href=\"x\">'&'"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
        );
    }
}
