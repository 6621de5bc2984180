//! The report for people: findings grouped by file, each with its place, a
//! frame of the source lines, the fix and the remedy; then a summary.

use super::common::{Source, Sources};
use crate::engine::Report;
use crate::finding::{Finding, Level};
use crate::input::Inputs;
use std::collections::HashMap;
use std::fmt::Write as _;
use ward_lang::hir::Severity;

#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    pub color: bool,
    /// Lines of context around the offending line.
    pub context: usize,
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn sev(&self, s: Severity, level: Level) -> String {
        let code = match (level, s) {
            (Level::Warn, _) => "33",
            (_, Severity::Critical) => "1;35",
            (_, Severity::High) => "1;31",
            (_, Severity::Medium) => "33",
            (_, Severity::Low) => "36",
            (_, Severity::Info) => "2",
        };
        let label = match level {
            Level::Warn => format!("warn/{}", s.as_str()),
            Level::Deny => s.as_str().to_string(),
        };
        self.wrap(code, &format!("{label:<8}"))
    }
}

/// Renders the report.
pub fn render(report: &Report, inputs: &Inputs, opts: TextOptions) -> String {
    super::common::written(|out| write(report, inputs, opts, out))
}

/// Findings rendered by one task.
const FINDINGS: usize = 512;

/// Writes the report: what [`render`] returns. The findings, nearly all of
/// a large report, are rendered a window at a time on all cores rather
/// than gathered into one string.
pub fn write(
    report: &Report,
    inputs: &Inputs,
    opts: TextOptions,
    w: impl std::io::Write,
) -> std::io::Result<()> {
    write_in(report, inputs, opts, w, FINDINGS)
}

fn write_in(
    report: &Report,
    inputs: &Inputs,
    opts: TextOptions,
    w: impl std::io::Write,
    per_task: usize,
) -> std::io::Result<()> {
    use rayon::slice::ParallelSliceMut;
    use std::io::Write as _;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    let p = Paint { on: opts.color };
    // Each file's text, indexed by line once: a frame is a few lines of it.
    let sources = Sources::around(inputs, report, opts.context);
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in &report.findings {
        if !groups.contains_key(&*f.file) {
            order.push(&*f.file);
        }
        groups.entry(&*f.file).or_default().push(f);
    }
    for file in order {
        let mut fs = groups.remove(file).unwrap_or_default();
        // Stable, as a sort of one thread.
        fs.par_sort_by(|a, b| (a.line, a.column, &a.control).cmp(&(b.line, b.column, &b.control)));
        writeln!(w, "{}", p.bold(file))?;
        let source = sources.get(file);
        super::common::write_windows(&fs, per_task, &mut w, |_, chunk| {
            let mut out = String::new();
            for f in chunk {
                finding(&mut out, &p, f, source, opts.context);
            }
            Ok(out.into_bytes())
        })?;
        w.write_all(b"\n")?;
    }
    let mut out = String::new();
    for e in &report.errors {
        let place = match (&e.file, &e.policy) {
            (Some(file), Some(policy)) => {
                format!("{file} (policy {policy}:{}:{})", e.line, e.column)
            }
            (Some(file), None) if e.line > 0 => format!("{file}:{}:{}", e.line, e.column),
            (Some(file), None) => file.clone(),
            (None, Some(policy)) => format!("{policy}:{}:{}", e.line, e.column),
            (None, None) => String::new(),
        };
        let control = e
            .control
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        // A control that failed on a resource names it, as its findings do.
        let resource = e
            .resource
            .as_ref()
            .map(|r| format!(" {}", r.shown()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}: {place}{control}{resource}: {}",
            p.wrap("1;31", "error"),
            e.message
        );
        // A file that does not read shows where, as a finding does.
        if let Some((file, _)) = e.input_place()
            && let Some(source) = sources.get(file)
        {
            frame(&mut out, &p, source, e.line, e.column, opts.context);
        }
    }
    if !report.errors.is_empty() {
        out.push('\n');
    }
    let s = super::json::summary(report);
    let mut sev: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|v| {
            s.by_severity
                .get(v.as_str())
                .map(|n| format!("{n} {}", v.as_str()))
        })
        .collect();
    if sev.is_empty() {
        sev.push("none".into());
    }
    let _ = writeln!(
        out,
        "{} {} finding{} ({}) in {} resource{} from {} file{}; {} error{}, {} skipped{}",
        p.bold("ward:"),
        s.findings,
        plural(s.findings),
        sev.join(", "),
        s.resources,
        plural(s.resources),
        s.files,
        plural(s.files),
        s.errors,
        plural(s.errors),
        s.skipped,
        [(s.waived, "waived"), (s.baselined, "in the baseline")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!(", {n} {what}"))
            .collect::<String>()
    );
    w.write_all(out.as_bytes())?;
    w.flush()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn finding(out: &mut String, p: &Paint, f: &Finding, source: Option<&Source>, context: usize) {
    let who = f.resource.shown();
    let waived = if f.waived.is_some() {
        p.dim(" (waived)")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {} {} {}{}",
        p.sev(f.severity, f.level),
        p.bold(&f.control),
        f.message,
        waived
    );
    let origin = f
        .origin
        .as_deref()
        .map(|o| format!(", from {o}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "    {} {}  {}",
        p.dim("-->"),
        super::common::Place::of(f),
        p.dim(&format!(
            "{who} {}{origin}",
            if f.pointer.is_empty() {
                "/"
            } else {
                &f.pointer
            }
        ))
    );
    if let Some(source) = source {
        frame(out, p, source, f.line as usize, f.column as usize, context);
    }
    for op in &f.fix {
        let v = op
            .value
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "      {} {} {}{}",
            p.wrap("32", "fix:"),
            op.op,
            op.path,
            v
        );
    }
    if let Some(w) = &f.waived {
        let _ = writeln!(
            out,
            "      {} {}{}",
            p.dim("waived:"),
            w.reason,
            p.dim(&format!(" ({})", super::common::waiver_details(w)))
        );
    } else if !f.remedy.is_empty() {
        let _ = writeln!(out, "      {} {}", p.dim("help:"), f.remedy);
    }
}

/// A few lines around `line`, with a caret under `col`.
fn frame(out: &mut String, p: &Paint, source: &Source, line: usize, col: usize, context: usize) {
    if line == 0 {
        return;
    }
    let first = line.saturating_sub(context).max(1);
    let last = (line + context).min(source.line_count());
    let width = last.to_string().len();
    for n in first..=last {
        let Some(l) = source.line(n) else { break };
        let l = source.shown(l.trim_end_matches('\r'));
        let l = l.as_ref();
        let shown: String = if l.chars().count() > 160 {
            l.chars().take(157).chain("...".chars()).collect()
        } else {
            l.to_string()
        };
        let _ = writeln!(
            out,
            "    {} {} {}",
            p.dim(&format!("{n:>width$}")),
            p.dim("|"),
            shown
        );
        if n == line {
            let start = col.saturating_sub(1);
            let rest: String = l.chars().skip(start).collect();
            let token = rest.split(" #").next().unwrap_or("").trim_end();
            let len = token.chars().count().clamp(1, 80);
            let _ = writeln!(
                out,
                "    {} {} {}{}",
                " ".repeat(width),
                p.dim("|"),
                " ".repeat(start.min(160)),
                p.wrap("1;31", &"^".repeat(len))
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(report: &Report, inputs: &Inputs, opts: TextOptions, per_task: usize) -> String {
        crate::report::common::written(|out| write_in(report, inputs, opts, out, per_task))
    }

    /// The report written a window of findings at a time, in tasks of any
    /// size, is the report written in one task, on the examples and with
    /// findings enough for many windows over several files.
    #[test]
    fn findings_written_in_windows_are_the_report_of_one_task() {
        let (_, inputs, mut report) = crate::report::common::example_run();
        let files: std::collections::HashSet<&str> =
            report.findings.iter().map(|f| &*f.file).collect();
        assert!(files.len() > 1, "the findings are in several files");
        for round in 0..2 {
            for color in [false, true] {
                let opts = TextOptions { color, context: 1 };
                let whole = written(&report, &inputs, opts, usize::MAX);
                assert_eq!(whole.matches("-->").count(), report.findings.len());
                for per_task in [1, 3, 7, 100, FINDINGS] {
                    let pieces = written(&report, &inputs, opts, per_task);
                    assert!(
                        pieces == whole,
                        "round {round}, color {color}, {per_task} a task"
                    );
                }
            }
            crate::report::common::repeat_findings(&mut report, 5_000);
        }
    }
}
