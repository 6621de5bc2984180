//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! A [`Diagnostic`] is plain data (a code, a message, labelled spans and help
//! text). It is rendered for people with a code frame ([`render`], using
//! miette's graphical handler) or serialised for tools ([`to_json`]).
//!
//! Message rules: lowercase, no final period, user input in backticks, policy
//! terms rather than implementation terms; longer explanations go to `help`.

use crate::span::{SourceMap, Span};
use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// A span with a short note under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    /// A stable kebab-case code, e.g. `undefined-name`.
    pub code: &'static str,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            code,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Sets the note under the primary span.
    pub fn label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn span(&self) -> Span {
        self.primary.span
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A non-empty list of diagnostics, returned when something fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// `None` when `list` is empty: a failure always carries a reason.
    pub fn new(list: Vec<Diagnostic>) -> Option<Diagnostics> {
        if list.is_empty() {
            None
        } else {
            Some(Diagnostics(list))
        }
    }

    pub fn one(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn first(&self) -> Option<&Diagnostic> {
        self.0.first()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.first() {
            Some(d) if self.0.len() == 1 => write!(f, "{d}"),
            Some(d) => write!(f, "{d} (and {} more)", self.0.len() - 1),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Diagnostics {}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// How to draw diagnostics for people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    pub color: bool,
    /// Unicode box drawing; plain ASCII otherwise.
    pub unicode: bool,
    pub width: usize,
}

impl RenderOptions {
    pub fn plain() -> RenderOptions {
        RenderOptions {
            color: false,
            unicode: false,
            width: 100,
        }
    }
}

/// Renders one diagnostic with a code frame, `file:line:col`, labels and help.
pub fn render(d: &Diagnostic, sources: &SourceMap, opts: RenderOptions) -> String {
    let file = sources.get(d.primary.span.file);
    let (name, text) = match file {
        Some(f) => (f.name.clone(), f.text.to_string()),
        None => ("<unknown>".to_string(), String::new()),
    };
    let (line, col) = sources.line_col(d.primary.span);
    let report = MietteView {
        d,
        src: miette::NamedSource::new(name.clone(), text),
    };
    let theme = match (opts.unicode, opts.color) {
        (true, true) => miette::GraphicalTheme::unicode(),
        (true, false) => miette::GraphicalTheme::unicode_nocolor(),
        (false, true) => miette::GraphicalTheme {
            characters: miette::ThemeCharacters::ascii(),
            styles: miette::ThemeStyles::ansi(),
        },
        (false, false) => miette::GraphicalTheme::none(),
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width.max(40))
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {name}:{line}:{col}: {}", d.level.as_str(), d.message);
    }
    out
}

/// Renders many diagnostics, separated by blank lines.
pub fn render_all<'a>(
    ds: impl IntoIterator<Item = &'a Diagnostic>,
    sources: &SourceMap,
    opts: RenderOptions,
) -> String {
    let mut out = String::new();
    for d in ds {
        out.push_str(&render(d, sources, opts));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The JSON form of a diagnostic, for tools.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct JsonDiagnostic {
    pub level: Level,
    pub code: String,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<JsonLabel>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct JsonLabel {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

pub fn to_json(d: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    let (line, column) = sources.line_col(d.primary.span);
    let end = Span {
        start: d.primary.span.end,
        ..d.primary.span
    };
    let (end_line, end_column) = sources.line_col(end);
    let mut labels = Vec::new();
    if !d.primary.message.is_empty() {
        labels.push(JsonLabel {
            message: d.primary.message.clone(),
            line,
            column,
        });
    }
    for l in &d.secondary {
        let (line, column) = sources.line_col(l.span);
        labels.push(JsonLabel {
            message: l.message.clone(),
            line,
            column,
        });
    }
    JsonDiagnostic {
        level: d.level,
        code: d.code.to_string(),
        message: d.message.clone(),
        file: sources.name(d.primary.span.file).to_string(),
        line,
        column,
        end_line,
        end_column,
        help: d.help.clone(),
        labels,
    }
}

/// A miette view of a diagnostic and its source file.
struct MietteView<'a> {
    d: &'a Diagnostic,
    src: miette::NamedSource<String>,
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MietteView").field("d", self.d).finish()
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d
            .help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let mut labels = Vec::new();
        let p = &self.d.primary;
        // A label without text draws no code frame, so the primary label
        // always has some.
        let text = if p.message.is_empty() {
            "here".to_string()
        } else {
            p.message.clone()
        };
        labels.push(miette::LabeledSpan::new_primary_with_span(
            Some(text),
            (p.span.start as usize, p.span.len()),
        ));
        for l in &self.d.secondary {
            if l.span.file == p.span.file {
                labels.push(miette::LabeledSpan::new_with_span(
                    Some(l.message.clone()),
                    (l.span.start as usize, l.span.len()),
                ));
            }
        }
        Some(Box::new(labels.into_iter()))
    }
}

/// "Did you mean" candidates: the closest of `candidates` to `name`.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let score = strsim::jaro_winkler(&name.to_lowercase(), &c.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            suggest("all_container", ["all_containers", "pod_spec"]),
            Some("all_containers")
        );
        assert_eq!(suggest("zzz", ["all_containers", "pod_spec"]), None);
    }

    #[test]
    fn empty_diagnostics_cannot_be_built() {
        assert!(Diagnostics::new(vec![]).is_none());
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;
    use crate::span::{SourceMap, Span};

    #[test]
    fn frames_are_drawn() {
        let mut sm = SourceMap::new();
        let text = "package x\ncontrol c {\n  warn when 1 message \"m\"\n}\n";
        let f = sm.add("docs/language.md:282", text);
        let d = Diagnostic::error("x", Span::new(f, 33, 34), "boom");
        let out = render(&d, &sm, RenderOptions::plain());
        assert!(out.contains("warn when 1"), "{out}");
    }
}
