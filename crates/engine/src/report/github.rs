//! GitHub Actions workflow commands: each finding an annotation on its line
//! of the pull request's diff and of the run's summary, with no code
//! scanning needed (which private repositories may not have).
//!
//! A deny finding is an `::error`, a warning a `::warning`; a waived
//! finding is left out (it no longer fails the run). Errors (a file that
//! cannot be read, a control that failed on a resource) are `::error`s at
//! their place. A summary line ends the output. Paths under
//! `GITHUB_WORKSPACE` are made relative to it, as annotations need.

use crate::engine::Report;
use crate::finding::{Finding, Level};
use std::io::Write as _;
use std::path::PathBuf;

/// Where the repository is checked out (`$GITHUB_WORKSPACE`): paths
/// under it are written relative to it.
#[derive(Clone, Debug, Default)]
pub struct GithubOptions {
    pub workspace: Option<PathBuf>,
}

impl GithubOptions {
    pub fn from_env() -> GithubOptions {
        GithubOptions {
            workspace: std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from),
        }
    }
}

/// The report as workflow commands.
pub fn render(report: &Report, o: &GithubOptions) -> String {
    super::common::written(|out| write(report, o, out))
}

/// Writes the report as workflow commands, a finding at a time.
pub fn write(report: &Report, o: &GithubOptions, w: impl std::io::Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    let mut line = String::new();
    for f in report.findings.iter().filter(|f| f.waived.is_none()) {
        line.clear();
        finding(&mut line, f, o);
        w.write_all(line.as_bytes())?;
    }
    for e in &report.errors {
        line.clear();
        // An input's place, or a policy's.
        let file = e
            .file
            .as_ref()
            .or(e.policy.as_ref())
            .map(|f| relative(f, o));
        let message = match &e.control {
            Some(c) => format!("{c}: {}", e.message),
            None => e.message.clone(),
        };
        let at = u32::try_from(e.line).unwrap_or(0);
        let column = u32::try_from(e.column).ok().filter(|c| *c > 0);
        annotation(
            &mut line,
            Level::Deny,
            file.as_deref(),
            (at, column),
            "ward: error",
            &message,
        );
        w.write_all(line.as_bytes())?;
    }
    let s = super::json::summary(report);
    writeln!(
        w,
        "ward: {} finding{} ({} deny, {} warn, {} waived) in {} resources from {} files; {} error{}",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.deny,
        s.warn,
        s.waived,
        s.resources,
        s.files,
        s.errors,
        if s.errors == 1 { "" } else { "s" },
    )?;
    w.flush()
}

fn finding(out: &mut String, f: &Finding, o: &GithubOptions) {
    let mut message = format!("{}\n{} at {}", f.message, f.resource.shown(), f.pointer);
    if !f.remedy.is_empty() {
        message.push_str("\nFix: ");
        message.push_str(&f.remedy);
    }
    annotation(
        out,
        f.level,
        Some(&relative(&f.file, o)),
        (f.line, Some(f.column)),
        &format!("{}: {}", f.control, f.title),
        &message,
    );
}

/// One annotation line: `::error` for a deny, `::warning` for a warning,
/// at a file's line (0: none) and column, when there is a file.
pub(crate) fn annotation(
    out: &mut String,
    level: Level,
    file: Option<&str>,
    (line, column): (u32, Option<u32>),
    title: &str,
    message: &str,
) {
    out.push_str(match level {
        Level::Deny => "::error ",
        Level::Warn => "::warning ",
    });
    let mut props = Vec::new();
    if let Some(f) = file {
        props.push(("file", f.to_string()));
        if line > 0 {
            props.push(("line", line.to_string()));
        }
        if let Some(c) = column {
            props.push(("col", c.to_string()));
        }
    }
    props.push(("title", title.to_string()));
    properties(out, &props);
    out.push_str("::");
    data(out, message);
    out.push('\n');
}

/// A path relative to the workspace, when it is under it.
pub(crate) fn relative(file: &str, o: &GithubOptions) -> String {
    o.workspace
        .as_ref()
        .and_then(|ws| std::path::Path::new(file).strip_prefix(ws).ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| file.to_string())
}

/// `key=value` pairs, escaped as workflow commands want.
fn properties(out: &mut String, props: &[(&str, String)]) {
    for (i, (k, v)) in props.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push('=');
        for c in v.chars() {
            match c {
                '%' => out.push_str("%25"),
                '\r' => out.push_str("%0D"),
                '\n' => out.push_str("%0A"),
                ':' => out.push_str("%3A"),
                ',' => out.push_str("%2C"),
                c => out.push(c),
            }
        }
    }
}

/// A command's message, escaped as workflow commands want.
fn data(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Error, ErrorKind, Identity, Suppression};
    use ward_lang::hir::Severity;

    fn finding(level: Level, message: &str) -> Finding {
        let resource = Identity {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "web".into(),
        };
        Finding::new(crate::FindingFields {
            control: "pss.baseline.privileged".into(),
            pack: "pss-baseline".into(),
            profile: None,
            severity: Severity::High,
            level,
            title: "Privileged containers".into(),
            message: message.into(),
            frameworks: Vec::new().into(),
            fingerprint: Default::default(),
            resource: resource.into(),
            file: "/repo/deploy/web.yaml".into(),
            origin: None,
            document: 0,
            line: 21,
            column: 13,
            pointer: "/spec/template/spec/containers/0/securityContext/privileged".into(),
            fix: Vec::new(),
            remedy: "Remove `privileged: true`.".into(),
            waived: None,
            secrets: None,
        })
    }

    #[test]
    fn findings_are_annotations_escaped_as_github_reads_them() {
        let mut waived = finding(Level::Deny, "waived");
        waived.waived = Some(Box::new(Suppression {
            reason: "r".into(),
            owner: None,
            ticket: None,
            expires: None,
            source: "waivers.yaml".into(),
        }));
        let error = |file: Option<&str>, policy: Option<&str>, control: Option<&str>| Error {
            kind: ErrorKind::Input,
            file: file.map(str::to_string),
            policy: policy.map(str::to_string),
            line: 3,
            column: 1,
            message: "bad: here".into(),
            control: control.map(str::to_string),
            resource: None,
        };
        let report = Report {
            findings: vec![
                finding(Level::Deny, "100% privileged\nsecond line"),
                finding(Level::Warn, "a warning"),
                waived,
            ],
            errors: vec![
                error(Some("/repo/broken.yaml"), None, None),
                error(None, Some("/repo/p.ward"), Some("team.c")),
            ],
            resources: 1,
            files: 1,
            ..Report::default()
        };
        let o = GithubOptions {
            workspace: Some(PathBuf::from("/repo")),
        };
        let text = render(&report, &o);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(
            lines[0],
            "::error file=deploy/web.yaml,line=21,col=13,title=pss.baseline.privileged%3A Privileged containers::100%25 privileged%0Asecond line%0ADeployment shop/web at /spec/template/spec/containers/0/securityContext/privileged%0AFix: Remove `privileged: true`."
        );
        assert!(lines[1].starts_with("::warning file=deploy/web.yaml,line=21,col=13,"));
        assert_eq!(
            lines[2],
            "::error file=broken.yaml,line=3,col=1,title=ward%3A error::bad: here"
        );
        assert_eq!(
            lines[3],
            "::error file=p.ward,line=3,col=1,title=ward%3A error::team.c: bad: here"
        );
        assert_eq!(
            lines[4],
            "ward: 2 findings (1 deny, 1 warn, 1 waived) in 1 resources from 1 files; 2 errors"
        );
    }
}
