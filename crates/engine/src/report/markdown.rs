//! A Markdown summary for a pull-request comment (GitHub-flavoured):
//! counts by severity, the failing controls, findings by file as links to
//! their lines, waivers and errors. Long lists fold into `<details>`, and
//! at most [`MAX_FINDINGS`] findings are listed.

use super::common::{self, Place, resource_name};
use super::score::{self, Status};
use crate::engine::{Engine, Report};
use crate::finding::{Finding, Level};
use crate::input::Inputs;
use std::fmt::Write as _;
use ward_lang::hir::Severity;

/// Findings listed at most; the rest are counted.
pub const MAX_FINDINGS: usize = 100;
/// Findings listed before the list folds.
const FOLD_AFTER: usize = 10;

/// Where links to lines point.
#[derive(Clone, Debug, Default)]
pub struct MarkdownOptions {
    /// Prefix of file links, e.g. `https://github.com/o/r/blob/<sha>/`;
    /// without it links are relative (`path#L12`).
    pub link_base: Option<String>,
}

impl MarkdownOptions {
    /// Links into the commit under test in GitHub Actions
    /// (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_SHA`).
    pub fn from_env() -> MarkdownOptions {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let link_base = match (
            var("GITHUB_SERVER_URL"),
            var("GITHUB_REPOSITORY"),
            var("GITHUB_SHA"),
        ) {
            (Some(server), Some(repo), Some(sha)) => Some(format!(
                "{}/{repo}/blob/{sha}/",
                server.trim_end_matches('/')
            )),
            _ => None,
        };
        MarkdownOptions { link_base }
    }
}

pub fn render(report: &Report, engine: &Engine, inputs: &Inputs) -> String {
    render_with(report, engine, inputs, &MarkdownOptions::default())
}

pub fn render_with(
    report: &Report,
    engine: &Engine,
    _inputs: &Inputs,
    o: &MarkdownOptions,
) -> String {
    let s = super::json::summary(report);
    let scores = score::scores(report, engine);
    let mut out = String::new();
    let icon = if s.deny > 0 || s.errors > 0 {
        "❌"
    } else {
        "✅"
    };
    let _ = writeln!(
        out,
        "## {icon} Ward: {} finding{} in {} resource{} from {} file{}\n",
        s.findings,
        plural(s.findings),
        s.resources,
        plural(s.resources),
        s.files,
        plural(s.files)
    );
    let counts: Vec<String> = common::severities_desc()
        .map(|v| {
            let n = s.by_severity.get(v.as_str()).copied().unwrap_or(0);
            format!("{} **{n}** {}", dot(v), v.as_str())
        })
        .collect();
    let _ = writeln!(out, "{}\n", counts.join(" · "));
    let mut extra = Vec::new();
    if s.warn > 0 {
        extra.push(format!("{} warning{}", s.warn, plural(s.warn)));
    }
    extra.push(format!("{} waived", s.waived));
    if s.baselined > 0 {
        extra.push(format!("{} in the baseline", s.baselined));
    }
    extra.push(format!("{} error{}", s.errors, plural(s.errors)));
    extra.push(format!("{} skipped", s.skipped));
    let packs: Vec<String> = scores
        .packs
        .iter()
        .map(|p| {
            let pct = p
                .score
                .percent()
                .map(|v| format!("{v}%"))
                .unwrap_or_else(|| "n/a".into());
            format!(
                "`{}` {} ({}/{} controls pass)",
                p.name, pct, p.score.passed, p.score.applicable
            )
        })
        .collect();
    let _ = writeln!(out, "{}\n", extra.join(" · "));
    if !packs.is_empty() {
        let _ = writeln!(out, "Packs: {}\n", packs.join(", "));
    }
    failing_controls(&mut out, &scores);
    findings(&mut out, report, o);
    waived(&mut out, report);
    errors(&mut out, report);
    out
}

fn failing_controls(out: &mut String, scores: &score::Scores<'_>) {
    let failing: Vec<_> = scores
        .controls
        .iter()
        .filter(|c| c.status() == Status::Fail)
        .collect();
    if failing.is_empty() {
        return;
    }
    out.push_str("### Failing controls\n\n");
    out.push_str("| Control | Severity | Resources | Frameworks |\n|---|---|---|---|\n");
    let mut rows: Vec<_> = failing;
    rows.sort_by_key(|c| std::cmp::Reverse(c.def.map(|d| d.severity)));
    for c in rows {
        let title = c.def.map(|d| d.title.as_str()).unwrap_or("");
        let sev = c.def.map(|d| d.severity).unwrap_or_default();
        let fw: Vec<String> = c
            .def
            .map(common::framework_tags)
            .unwrap_or_default()
            .iter()
            .map(|t| code(t))
            .collect();
        let _ = writeln!(
            out,
            "| {} {} | {} {} | {} of {} | {} |",
            code(c.id),
            cell(title),
            dot(sev),
            sev.as_str(),
            c.failed,
            c.applied,
            fw.join(" ")
        );
    }
    out.push('\n');
}

fn findings(out: &mut String, report: &Report, o: &MarkdownOptions) {
    let active: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.waived.is_none())
        .collect();
    if active.is_empty() {
        return;
    }
    let fold = active.len() > FOLD_AFTER;
    if fold {
        let _ = writeln!(
            out,
            "<details>\n<summary>{} finding{} by file</summary>\n",
            active.len(),
            plural(active.len())
        );
    } else {
        out.push_str("### Findings\n\n");
    }
    let mut order: Vec<&str> = Vec::new();
    for f in &active {
        if !order.contains(&&*f.file) {
            order.push(&f.file);
        }
    }
    let mut shown = 0;
    for file in order {
        if shown >= MAX_FINDINGS {
            break;
        }
        let _ = writeln!(out, "**{}**\n", cell(file));
        let mut fs: Vec<&&Finding> = active.iter().filter(|f| &*f.file == file).collect();
        fs.sort_by_key(|f| (f.line, f.column));
        for f in fs {
            if shown >= MAX_FINDINGS {
                break;
            }
            shown += 1;
            // A finding without a line (a folder's) links to the file alone.
            let link = Place::line_of(f).to_string();
            let anchor = if f.line > 0 {
                format!("#L{}", f.line)
            } else {
                String::new()
            };
            let target = format!(
                "{}{}{anchor}",
                o.link_base.as_deref().unwrap_or(""),
                encode_path(&f.file),
            );
            let level = if f.level == Level::Warn {
                " (warning)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "- [{}]({target}) {} **{}**{level} {} {}: {}",
                cell(&link),
                dot(f.severity),
                f.severity.as_str(),
                code(&f.control),
                cell(&resource_name(&f.resource)),
                cell(&f.message),
            );
        }
        out.push('\n');
    }
    if active.len() > shown {
        let _ = writeln!(
            out,
            "…and {} more finding{} (see the full report).\n",
            active.len() - shown,
            plural(active.len() - shown)
        );
    }
    if fold {
        out.push_str("</details>\n\n");
    }
}

fn waived(out: &mut String, report: &Report) {
    let ws: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.waived.is_some())
        .collect();
    if ws.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details>\n<summary>{} waived finding{}</summary>\n",
        ws.len(),
        plural(ws.len())
    );
    for f in ws.iter().take(MAX_FINDINGS) {
        let (reason, details) = f
            .waived
            .as_ref()
            .map(|w| (w.reason.as_str(), super::common::waiver_details(w)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- {} {} ({}): {} — {}",
            code(&f.control),
            cell(&resource_name(&f.resource)),
            cell(&Place::line_of(f).to_string()),
            cell(reason),
            cell(&details)
        );
    }
    if ws.len() > MAX_FINDINGS {
        let _ = writeln!(out, "- …and {} more", ws.len() - MAX_FINDINGS);
    }
    out.push_str("\n</details>\n\n");
}

fn errors(out: &mut String, report: &Report) {
    if report.errors.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Errors ({})\n", report.errors.len());
    for e in report.errors.iter().take(MAX_FINDINGS) {
        let place = match (&e.file, e.line) {
            (Some(f), 0) => f.clone(),
            (Some(f), l) => format!("{f}:{l}:{}", e.column),
            (None, _) => e.policy.clone().unwrap_or_default(),
        };
        let control = e
            .control
            .as_deref()
            .map(|c| format!(" {}", code(c)))
            .unwrap_or_default();
        let _ = writeln!(out, "- {}{control}: {}", cell(&place), cell(&e.message));
    }
    if report.errors.len() > MAX_FINDINGS {
        let _ = writeln!(out, "- …and {} more", report.errors.len() - MAX_FINDINGS);
    }
    out.push('\n');
}

fn dot(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "🟣",
        Severity::High => "🔴",
        Severity::Medium => "🟠",
        Severity::Low => "🔵",
        Severity::Info => "⚪",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Text with Markdown and HTML syntax escaped, on one line, safe in a
/// table cell.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span that holds any text (and stays inside a table cell).
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let body = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// A path as a link target.
fn encode_path(p: &str) -> String {
    let p = p.strip_prefix("./").unwrap_or(p);
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(cell("a|b <i>*x*</i>"), "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt;");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(encode_path("./a b/(x).yaml"), "a%20b/%28x%29.yaml");
    }
}
