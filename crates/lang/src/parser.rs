//! From text to [`Module`]: pest pairs, then one `parse_<rule>` function per
//! grammar rule.
//!
//! A failed parse reports every error it can: when the whole file does not
//! parse, the text is cut at each top-level declaration and each piece is
//! parsed on its own, so one broken control does not hide the next.

use crate::ast::*;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::span::{FileId, Span, Spanned};
use pest::Parser as _;
use pest::iterators::{Pair, Pairs};

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct WardParser;

pub use self::Rule as GrammarRule;

type PResult<T> = Result<T, Box<Diagnostic>>;

/// Parses one file.
pub fn parse(file: FileId, src: &str) -> Result<Module, Diagnostics> {
    match WardParser::parse(Rule::file, src) {
        Ok(mut pairs) => {
            let Some(pair) = pairs.next() else {
                return Err(Diagnostics::one(internal(file, "empty parse")));
            };
            let p = P { file };
            p.parse_file(pair).map_err(|d| Diagnostics::one(*d))
        }
        Err(first) => Err(recover(file, src, first)),
    }
}

/// Parses a single expression (used by `--set` values and tests).
pub fn parse_expr(file: FileId, src: &str) -> Result<Expr, Diagnostics> {
    match WardParser::parse(Rule::lone_expr, src) {
        Ok(mut pairs) => {
            let Some(pair) = pairs.next() else {
                return Err(Diagnostics::one(internal(file, "empty parse")));
            };
            let o = pair.clone();
            let p = P { file };
            let e = p
                .next(&mut children(pair), &o, "expression")
                .and_then(|e| p.parse_expr(e));
            e.map_err(|d| Diagnostics::one(*d))
        }
        Err(e) => Err(Diagnostics::one(from_pest(file, src, e, 0))),
    }
}

fn internal(file: FileId, what: &str) -> Diagnostic {
    Diagnostic::error(
        "internal",
        Span::new(file, 0, 0),
        format!("internal parser error: {what}"),
    )
    .with_help("this is a bug in Ward; please report it with the policy that caused it")
}

/// Parses each top-level piece on its own to collect every syntax error.
fn recover(file: FileId, src: &str, first: pest::error::Error<Rule>) -> Diagnostics {
    let starts = item_starts(src);
    if starts.len() <= 1 {
        return Diagnostics::one(from_pest(file, src, first, 0));
    }
    let mut out = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(src.len());
        let Some(piece) = src.get(start..end) else {
            continue;
        };
        // Blank lines and comments before the first declaration are no
        // piece of their own.
        let only_comments = piece.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || (l.starts_with('#'))
        });
        if only_comments {
            continue;
        }
        // Keep offsets: pad the piece's position with the original prefix
        // replaced by spaces so pest's positions are file positions.
        let padded: String = src
            .get(..start)
            .unwrap_or("")
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .chain(piece.chars())
            .collect();
        if let Err(e) = WardParser::parse(Rule::lone_item, &padded) {
            out.push(from_pest(file, &padded, e, 0));
        }
    }
    if out.is_empty() {
        out.push(from_pest(file, src, first, 0));
    }
    Diagnostics::new(out).unwrap_or_else(|| Diagnostics::one(internal(file, "no errors")))
}

/// Byte offsets where top-level declarations start: a declaration keyword at
/// the start of a line, outside braces, strings and comments, with the doc
/// comments right above it.
fn item_starts(src: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut depth: i64 = 0;
    let mut in_str = false;
    let mut line_start = true;
    let mut doc_start: Option<usize> = None;
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(b' ');
        if in_str {
            match b {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if line_start && depth <= 0 {
            let rest = src.get(i..).unwrap_or("");
            if rest.starts_with("///") {
                doc_start.get_or_insert(i);
            } else if DECLARATION_KEYWORDS.iter().any(|k| {
                rest.starts_with(k)
                    && rest
                        .as_bytes()
                        .get(k.len())
                        .is_some_and(|c| c.is_ascii_whitespace())
            }) {
                starts.push(doc_start.take().unwrap_or(i));
                depth = 0;
            } else if !rest.starts_with('#') && !rest.starts_with('\n') {
                doc_start = None;
            }
        }
        match b {
            b'"' => in_str = true,
            b'#' => {
                while i < bytes.len() && bytes.get(i) != Some(&b'\n') {
                    i += 1;
                }
                continue;
            }
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth -= 1,
            _ => {}
        }
        line_start = b == b'\n';
        i += 1;
    }
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts
}

/// Turns a pest error into a diagnostic with readable expectations.
fn from_pest(file: FileId, src: &str, e: pest::error::Error<Rule>, offset: usize) -> Diagnostic {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((a, b)) => (a, b),
    };
    let (start, end) = (start + offset, end + offset);
    let found = found_at(src, start);
    let (message, label, help) = match &e.variant {
        pest::error::ErrorVariant::ParsingError {
            positives,
            negatives,
        } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            let expected = match names.len() {
                0 => String::new(),
                1 => names.concat(),
                _ => {
                    let (last, rest) = names.split_last().map_or((&"", &[][..]), |(l, r)| (l, r));
                    format!("{} or {last}", rest.join(", "))
                }
            };
            let neg: Vec<&str> = negatives.iter().filter_map(|r| rule_name(*r)).collect();
            let message = if !expected.is_empty() {
                format!("expected {expected}, found {found}")
            } else if !neg.is_empty() {
                format!("unexpected {}", neg.join(", "))
            } else {
                format!("unexpected {found}")
            };
            let help = hint(&names, src, start);
            (
                message,
                format!("expected {}", or_something(&expected)),
                help,
            )
        }
        pest::error::ErrorVariant::CustomError { message } => {
            (message.clone(), String::new(), None)
        }
    };
    let end = if end == start {
        next_char_end(src, start)
    } else {
        end
    };
    let mut d = Diagnostic::error("parse-error", Span::new(file, start, end), message).label(label);
    if let Some(h) = help {
        d = d.with_help(h);
    }
    let closer = ["`}`", "`)`", "`]`"].contains(&found.as_str());
    if closer && d.message.starts_with("expected end of file") {
        d = Diagnostic::error(
            "parse-error",
            Span::new(file, start, end),
            format!("unexpected {found}: nothing is open here"),
        )
        .label("closes nothing")
        .with_help("remove it, or look above for the opening bracket it was meant to close");
    }
    match unclosed(src, start) {
        Unclosed::String(q) if line_of(src, q) < line_of(src, start) => {
            let quote = Span::new(file, q, q + 1);
            d = Diagnostic::error("parse-error", quote, "this string is never closed")
                .label("the string starts here")
                .with_secondary(Span::new(file, start, end), "and cannot go on past this")
                .with_help(
                    "end the string with `\"`; inside a string write `\\{`, `\\}` and `\\\"` for braces and quotes",
                );
        }
        Unclosed::Bracket(at, c) if found == "end of file" => {
            d = d.with_secondary(
                Span::new(file, at, at + 1),
                format!("this `{}` is never closed", char::from(c)),
            );
        }
        _ => {}
    }
    d
}

/// What is open at a position: the innermost string or bracket.
enum Unclosed {
    Nothing,
    String(usize),
    Bracket(usize, u8),
}

fn line_of(src: &str, at: usize) -> usize {
    src.as_bytes()
        .iter()
        .take(at)
        .filter(|&&b| b == b'\n')
        .count()
}

/// Scans `src` up to `upto` for strings, interpolations and brackets that
/// are still open there.
fn unclosed(src: &str, upto: usize) -> Unclosed {
    enum Open {
        Str(usize),
        Interp,
        Bracket(usize, u8),
    }
    let bytes = src.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < upto.min(bytes.len()) {
        let b = bytes.get(i).copied().unwrap_or(b' ');
        if let Some(Open::Str(_)) = stack.last() {
            match b {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'{' => stack.push(Open::Interp),
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'#' => {
                while i < bytes.len() && bytes.get(i) != Some(&b'\n') {
                    i += 1;
                }
                continue;
            }
            b'"' => stack.push(Open::Str(i)),
            b'{' | b'(' | b'[' => stack.push(Open::Bracket(i, b)),
            b'}' | b')' | b']' => {
                if matches!(stack.last(), Some(Open::Bracket(..) | Open::Interp)) {
                    stack.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }
    for o in stack.iter().rev() {
        match o {
            Open::Str(q) => return Unclosed::String(*q),
            Open::Bracket(at, c) => return Unclosed::Bracket(*at, *c),
            Open::Interp => {}
        }
    }
    Unclosed::Nothing
}

fn or_something(s: &str) -> &str {
    if s.is_empty() { "something else" } else { s }
}

fn next_char_end(src: &str, at: usize) -> usize {
    src.get(at..)
        .and_then(|r| r.chars().next())
        .map(|c| at + c.len_utf8())
        .unwrap_or(at)
}

fn found_at(src: &str, at: usize) -> String {
    let rest = src.get(at..).unwrap_or("");
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return "end of file".to_string();
    }
    if rest.starts_with('\n') || rest.starts_with("\r\n") {
        return "end of line".to_string();
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if !word.is_empty() {
        return format!("`{word}`");
    }
    let c: String = rest.chars().take(1).collect();
    format!("`{c}`")
}

/// Advice for common mistakes, keyed on what was expected.
fn hint(expected: &[&str], src: &str, at: usize) -> Option<String> {
    let rest = src.get(at..).unwrap_or("");
    if rest.starts_with("//") {
        return Some("comments start with `#`; `///` is only for doc comments".to_string());
    }
    if rest.starts_with('=') && !rest.starts_with("==") && expected.contains(&"operator") {
        return Some("to compare values use `==`".to_string());
    }
    if rest.starts_with("&&") {
        return Some("use `and` to combine conditions".to_string());
    }
    if rest.starts_with("||") {
        return Some("use `or` to combine conditions".to_string());
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        return Some("use `not` to negate a condition".to_string());
    }
    if (rest.starts_with("is ") || rest.starts_with("is\t")) && expected.contains(&"operator") {
        return Some(match rest.get(2..).map(str::trim_start) {
            Some(r) if r.starts_with("not ") => "to compare values use `!=`".to_string(),
            _ => "to compare values use `==`".to_string(),
        });
    }
    if rest.starts_with('*') && expected.contains(&"expression") {
        return Some(
            "to test every item use `all x in list: ...`, and `any x in list: ...` for at least one"
                .to_string(),
        );
    }
    if rest.starts_with('\'') {
        return Some("strings use double quotes: `\"...\"`".to_string());
    }
    // A word where a control's entry or a declaration must start is most
    // often a keyword misspelt.
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    // Keywords the grammar expected here by name (`when`, `at`, `message`
    // or `fix` after a finding's condition).
    let named: Vec<&str> = expected
        .iter()
        .flat_map(|e| e.split('`').skip(1).step_by(2))
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic()))
        .collect();
    let misspelt = |keywords: &[&str]| {
        crate::diagnostic::suggest(&word, keywords.iter().chain(&named).copied())
            .map(|k| format!("did you mean `{k}`?"))
    };
    // At the end of the file what is missing is a closing bracket, which
    // the diagnostic points at already.
    if rest.trim().is_empty() {
        return None;
    }
    let entry = expected
        .iter()
        .any(|e| matches!(*e, "statement" | "metadata" | "metadata or statement"));
    if entry && matches!(word.as_str(), "elif" | "elsif" | "elseif") {
        return Some("write `else if`: `} else if condition {`".to_string());
    }
    let after = rest.get(word.len()..).unwrap_or("").trim_start();
    if entry && !word.is_empty() && after.starts_with('=') && !after.starts_with("==") {
        return Some(format!(
            "bind a name with `let {word} = ...`; a name is bound once, so pick a new one if `{word}` is taken"
        ));
    }
    if entry {
        return misspelt(&CONTROL_KEYWORDS).or_else(|| Some(
            "a control holds metadata (`title`, `severity`, `maps`, ...) and statements (`match`, `let`, `for`, `if`, `deny`, `warn`)"
                .to_string(),
        ));
    }
    // After the last declaration only another one can follow.
    if expected == ["end of file"] {
        return misspelt(&DECLARATION_KEYWORDS);
    }
    if expected.contains(&"declaration") {
        return misspelt(&DECLARATION_KEYWORDS).or_else(|| Some(
            "a file holds `use`, `let`, `param`, `plugin`, `fn`, `control`, `test`, `pack` and `framework` declarations"
                .to_string(),
        ));
    }
    misspelt(&[])
}

/// The words a control's metadata lines and statements start with.
const CONTROL_KEYWORDS: [&str; 17] = [
    "title",
    "severity",
    "description",
    "remedy",
    "references",
    "maps",
    "since",
    "replaces",
    "tags",
    "waivable",
    "redact",
    "match",
    "let",
    "for",
    "if",
    "deny",
    "warn",
];

/// The words a file's declarations start with.
const DECLARATION_KEYWORDS: [&str; 10] = [
    "package",
    "use",
    "let",
    "param",
    "plugin",
    "fn",
    "control",
    "test",
    "pack",
    "framework",
];

/// Readable names for grammar rules in "expected ..." messages.
fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::EOI => "end of file",
        Rule::item | Rule::lone_item => "declaration",
        Rule::package_decl => "`package`",
        Rule::expr | Rule::postfix_expr | Rule::paren => "expression",
        Rule::infix_op
        | Rule::op_or
        | Rule::op_and
        | Rule::op_in
        | Rule::op_not_in
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_coalesce
        | Rule::op_range
        | Rule::op_range_incl
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_rem => "operator",
        Rule::ident | Rule::ident_word | Rule::qname => "name",
        Rule::string | Rule::raw_string => "string",
        Rule::number => "number",
        Rule::version => "version like `v1.25`",
        Rule::stmt
        | Rule::match_stmt
        | Rule::let_stmt
        | Rule::for_stmt
        | Rule::if_stmt
        | Rule::finding_stmt => "statement",
        Rule::meta
        | Rule::meta_title
        | Rule::meta_severity
        | Rule::meta_description
        | Rule::meta_remedy
        | Rule::meta_references
        | Rule::meta_maps
        | Rule::meta_since
        | Rule::meta_replaces
        | Rule::meta_tags
        | Rule::meta_waivable
        | Rule::meta_redact => "metadata",
        Rule::control_entry => "metadata or statement",
        Rule::finding_clause
        | Rule::when_clause
        | Rule::at_clause
        | Rule::message_clause
        | Rule::fix_clause => "`when`, `at`, `message` or `fix`",
        Rule::fix_op | Rule::fix_set | Rule::fix_remove => "`set` or `remove`",
        Rule::fix_when => "`when`, `set` or `remove`",
        Rule::block => "`{`",
        Rule::binding => "loop variable",
        Rule::type_expr
        | Rule::type_name
        | Rule::type_list
        | Rule::type_map
        | Rule::type_generic => "type",
        Rule::call_args | Rule::field | Rule::index => "operator",
        Rule::arg | Rule::named_arg => "argument",
        Rule::object_entry => "`key: value`",
        Rule::test_stmt
        | Rule::test_given
        | Rule::test_version
        | Rule::test_set
        | Rule::test_expect => "`given`, `version`, `set` or `expect`",
        Rule::expect_clean | Rule::expect_finding | Rule::expect_outcome => {
            "`deny`, `warn`, `pass`, `skip`, `none` or `clean`"
        }
        Rule::expect_clause | Rule::expect_at | Rule::expect_count | Rule::expect_message => {
            "`at`, `count` or `message`"
        }
        Rule::pack_stmt
        | Rule::pack_version
        | Rule::pack_description
        | Rule::pack_requires
        | Rule::pack_profile
        | Rule::pack_profile_from
        | Rule::pack_level
        | Rule::pack_include
        | Rule::pack_exclude
        | Rule::pack_param
        | Rule::pack_default => "pack setting",
        Rule::framework_stmt | Rule::fw_title | Rule::fw_version | Rule::fw_url | Rule::fw_item => {
            "`title`, `version`, `url` or `item`"
        }
        Rule::framework_ref => "framework item like `cis(\"5.2.1\")`",
        Rule::comp_clause | Rule::comp_for | Rule::comp_if => "`for` or `if`",
        Rule::object_key => "object key",
        Rule::doc | Rule::docs => "doc comment",
        Rule::quant_kind => "quantifier",
        Rule::bool_lit => "`true` or `false`",
        Rule::range_op => "`..` or `..=`",
        Rule::qglob => "control name or pattern",
        Rule::pack_name => "pack name",
        Rule::use_names | Rule::use_name => "imported name",
        Rule::fn_params | Rule::fn_param => "parameter",
        Rule::fn_block => "function body",
        _ => return None,
    })
}

/// The pair walker; carries the file id for spans.
struct P {
    file: FileId,
}

fn children(pair: Pair<'_, Rule>) -> Pairs<'_, Rule> {
    pair.into_inner()
}

impl P {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn err(&self, pair: &Pair<'_, Rule>, what: &str) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::error(
                "internal",
                self.span(pair),
                format!("internal parser error: unexpected shape in {what}"),
            )
            .with_help("this is a bug in Ward; please report it with the policy that caused it"),
        )
    }

    fn next<'i>(
        &self,
        it: &mut Pairs<'i, Rule>,
        parent: &Pair<'i, Rule>,
        what: &str,
    ) -> PResult<Pair<'i, Rule>> {
        it.next().ok_or_else(|| self.err(parent, what))
    }

    fn parse_file(&self, pair: Pair<'_, Rule>) -> PResult<Module> {
        let mut module = Module {
            file: self.file,
            package: None,
            package_docs: Vec::new(),
            items: Vec::new(),
        };
        for p in children(pair) {
            match p.as_rule() {
                Rule::package_decl => {
                    let (docs, name) = self.parse_package(p)?;
                    module.package_docs = docs;
                    module.package = Some(name);
                }
                Rule::item => module.items.push(self.parse_item(p)?),
                Rule::EOI => {}
                _ => return Err(self.err(&p, "file")),
            }
        }
        Ok(module)
    }

    fn parse_package(&self, pair: Pair<'_, Rule>) -> PResult<(Vec<String>, QName)> {
        let outer = pair.clone();
        let mut it = children(pair);
        let docs = self.parse_docs(self.next(&mut it, &outer, "package")?);
        let name = self.parse_qname(self.next(&mut it, &outer, "package")?);
        Ok((docs, name))
    }

    fn parse_docs(&self, pair: Pair<'_, Rule>) -> Vec<String> {
        children(pair)
            .filter_map(|d| d.into_inner().next())
            .map(|t| {
                let s = t.as_str();
                s.strip_prefix(' ').unwrap_or(s).trim_end().to_string()
            })
            .collect()
    }

    fn parse_qname(&self, pair: Pair<'_, Rule>) -> QName {
        let span = self.span(&pair);
        QName {
            parts: children(pair).map(|p| p.as_str().to_string()).collect(),
            span,
        }
    }

    fn parse_ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Spanned::new(pair.as_str().to_string(), self.span(&pair))
    }

    fn parse_item(&self, pair: Pair<'_, Rule>) -> PResult<Item> {
        let span = self.span(&pair);
        let outer = pair.clone();
        let mut it = children(pair);
        let docs = self.parse_docs(self.next(&mut it, &outer, "item")?);
        let decl = self.next(&mut it, &outer, "item")?;
        let kind = match decl.as_rule() {
            Rule::use_decl => ItemKind::Use(self.parse_use(decl)?),
            Rule::const_decl => {
                let o = decl.clone();
                let mut it = children(decl);
                let name = self.parse_ident(self.next(&mut it, &o, "let")?);
                let value = self.parse_expr(self.next(&mut it, &o, "let")?)?;
                ItemKind::Const(ConstDecl { name, value })
            }
            Rule::param_decl => {
                let o = decl.clone();
                let mut it = children(decl);
                let name = self.parse_ident(self.next(&mut it, &o, "param")?);
                let ty = self.parse_type(self.next(&mut it, &o, "param")?)?;
                let default = it.next().map(|e| self.parse_expr(e)).transpose()?;
                ItemKind::Param(ParamDecl { name, ty, default })
            }
            Rule::plugin_decl => {
                let o = decl.clone();
                let mut it = children(decl);
                let name = self.parse_ident(self.next(&mut it, &o, "plugin")?);
                let path_pair = self.next(&mut it, &o, "plugin")?;
                let path_span = self.span(&path_pair);
                let path = self.parse_str_lit(path_pair)?;
                let options = it
                    .map(|a| self.parse_named_arg(a))
                    .collect::<PResult<_>>()?;
                ItemKind::Plugin(PluginDecl {
                    name,
                    path: Spanned::new(path.text, path_span),
                    options,
                })
            }
            Rule::fn_decl => ItemKind::Fn(self.parse_fn(decl)?),
            Rule::control_decl => ItemKind::Control(self.parse_control(decl)?),
            Rule::test_decl => ItemKind::Test(self.parse_test(decl)?),
            Rule::pack_decl => ItemKind::Pack(self.parse_pack(decl)?),
            Rule::framework_decl => ItemKind::Framework(self.parse_framework(decl)?),
            _ => return Err(self.err(&decl, "item")),
        };
        Ok(Item { docs, kind, span })
    }

    fn parse_use(&self, pair: Pair<'_, Rule>) -> PResult<UseDecl> {
        let o = pair.clone();
        let mut it = children(pair);
        let path = self.parse_qname(self.next(&mut it, &o, "use")?);
        let names = match it.next() {
            Some(list) => {
                let mut names = Vec::new();
                for n in children(list) {
                    let o = n.clone();
                    let mut it = children(n);
                    let name = self.parse_ident(self.next(&mut it, &o, "use")?);
                    let alias = it.next().map(|a| self.parse_ident(a));
                    names.push(UseName { name, alias });
                }
                Some(names)
            }
            None => None,
        };
        Ok(UseDecl { path, names })
    }

    fn parse_type(&self, pair: Pair<'_, Rule>) -> PResult<TypeExpr> {
        let o = pair.clone();
        let inner = self.next(&mut children(pair), &o, "type")?;
        let span = self.span(&inner);
        match inner.as_rule() {
            Rule::type_name => {
                let id = self.next(&mut children(inner), &o, "type")?;
                Ok(TypeExpr::Named(self.parse_ident(id)))
            }
            Rule::type_list => {
                let t = self.next(&mut children(inner), &o, "type")?;
                Ok(TypeExpr::List(Box::new(self.parse_type(t)?), span))
            }
            Rule::type_map => {
                let t = self.next(&mut children(inner), &o, "type")?;
                Ok(TypeExpr::Map(Box::new(self.parse_type(t)?), span))
            }
            Rule::type_generic => {
                let id = self.parse_ident(self.next(&mut children(inner), &o, "type")?);
                let mut d = Diagnostic::error(
                    "unknown-type",
                    id.span,
                    format!("there is no generic type `{}`", id.node),
                )
                .label("not a generic type");
                d = match crate::diagnostic::suggest(&id.node, ["list", "map"]) {
                    Some(s) => d.with_help(format!("did you mean `{s}<...>`?")),
                    None => d.with_help("the generic types are `list<T>` and `map<T>`"),
                };
                Err(Box::new(d))
            }
            _ => Err(self.err(&inner, "type")),
        }
    }

    fn parse_fn(&self, pair: Pair<'_, Rule>) -> PResult<FnDecl> {
        let o = pair.clone();
        let mut it = children(pair);
        let name = self.parse_ident(self.next(&mut it, &o, "fn")?);
        let mut params = Vec::new();
        let mut ret = None;
        let mut lets = Vec::new();
        let mut let_docs = Vec::new();
        let mut body = None;
        let mut block = false;
        for p in it {
            match p.as_rule() {
                Rule::fn_params => {
                    for fp in children(p) {
                        let o = fp.clone();
                        let mut it = children(fp);
                        let name = self.parse_ident(self.next(&mut it, &o, "parameter")?);
                        let ty = it.next().map(|t| self.parse_type(t)).transpose()?;
                        params.push(FnParam { name, ty });
                    }
                }
                Rule::type_expr => ret = Some(self.parse_type(p)?),
                Rule::expr => body = Some(self.parse_expr(p)?),
                Rule::fn_block => {
                    block = true;
                    let mut docs = Vec::new();
                    for b in children(p) {
                        match b.as_rule() {
                            Rule::docs => docs = self.parse_docs(b),
                            Rule::let_stmt => {
                                lets.push(self.parse_let(b)?);
                                let_docs.push(std::mem::take(&mut docs));
                            }
                            Rule::expr => body = Some(self.parse_expr(b)?),
                            _ => return Err(self.err(&b, "function body")),
                        }
                    }
                }
                _ => return Err(self.err(&p, "fn")),
            }
        }
        let body = body.ok_or_else(|| self.err(&o, "fn body"))?;
        Ok(FnDecl {
            name,
            params,
            ret,
            lets,
            let_docs,
            body,
            block,
        })
    }

    fn parse_let(&self, pair: Pair<'_, Rule>) -> PResult<LetStmt> {
        let span = self.span(&pair);
        let o = pair.clone();
        let mut it = children(pair);
        let name = self.parse_ident(self.next(&mut it, &o, "let")?);
        let value = self.parse_expr(self.next(&mut it, &o, "let")?)?;
        Ok(LetStmt { name, value, span })
    }

    fn parse_str_lit(&self, pair: Pair<'_, Rule>) -> PResult<StrLit> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::string => {
                let e = self.parse_string(pair)?;
                let raw = false;
                match e.as_plain_str() {
                    Some(text) => Ok(StrLit { text, raw, span }),
                    None => Err(Box::new(
                        Diagnostic::error(
                            "interpolation-not-allowed",
                            span,
                            "this string cannot interpolate values",
                        )
                        .label("`{...}` is only allowed in expressions")
                        .with_help(
                            "write a literal brace as `\\{`, or use a raw string `r\"...\"`",
                        ),
                    )),
                }
            }
            Rule::raw_string => Ok(StrLit {
                text: raw_text(pair),
                raw: true,
                span,
            }),
            _ => Err(self.err(&pair, "string")),
        }
    }

    fn parse_named_arg(&self, pair: Pair<'_, Rule>) -> PResult<NamedArg> {
        let o = pair.clone();
        let mut it = children(pair);
        let name = self.parse_ident(self.next(&mut it, &o, "argument")?);
        let value = self.parse_expr(self.next(&mut it, &o, "argument")?)?;
        Ok(NamedArg { name, value })
    }

    fn parse_version(&self, pair: Pair<'_, Rule>) -> PResult<Spanned<Version>> {
        let span = self.span(&pair);
        match Version::parse(pair.as_str()) {
            Some(v) => Ok(Spanned::new(v, span)),
            None => Err(Box::new(
                Diagnostic::error(
                    "invalid-version",
                    span,
                    format!("`{}` is not a valid version", pair.as_str()),
                )
                .with_help("versions look like `v1.25` or `v1.25.3`"),
            )),
        }
    }

    fn parse_control(&self, pair: Pair<'_, Rule>) -> PResult<ControlDecl> {
        let o = pair.clone();
        let mut it = children(pair);
        let name = self.parse_ident(self.next(&mut it, &o, "control")?);
        let mut meta = Vec::new();
        let mut body = Vec::new();
        for entry in it {
            let o = entry.clone();
            let mut it = children(entry);
            let docs = self.parse_docs(self.next(&mut it, &o, "control entry")?);
            let inner = self.next(&mut it, &o, "control entry")?;
            match inner.as_rule() {
                Rule::meta => {
                    let mut m = self.parse_meta(inner)?;
                    m.docs = docs;
                    meta.push(m);
                }
                Rule::stmt => {
                    let mut s = self.parse_stmt(inner)?;
                    s.docs = docs;
                    body.push(s);
                }
                _ => return Err(self.err(&inner, "control entry")),
            }
        }
        Ok(ControlDecl { name, meta, body })
    }

    fn parse_meta(&self, pair: Pair<'_, Rule>) -> PResult<Meta> {
        let span = self.span(&pair);
        let o = pair.clone();
        let inner = self.next(&mut children(pair), &o, "metadata")?;
        let io = inner.clone();
        let rule = inner.as_rule();
        let mut it = children(inner);
        let kind = match rule {
            Rule::meta_title => {
                MetaKind::Title(self.parse_str_lit(self.next(&mut it, &io, "title")?)?)
            }
            Rule::meta_severity => {
                MetaKind::Severity(self.parse_ident(self.next(&mut it, &io, "severity")?))
            }
            Rule::meta_description => MetaKind::Description(self.parse_str_lit(self.next(
                &mut it,
                &io,
                "description",
            )?)?),
            Rule::meta_remedy => {
                MetaKind::Remedy(self.parse_str_lit(self.next(&mut it, &io, "remedy")?)?)
            }
            Rule::meta_references => {
                MetaKind::References(it.map(|s| self.parse_str_lit(s)).collect::<PResult<_>>()?)
            }
            Rule::meta_tags => {
                MetaKind::Tags(it.map(|s| self.parse_str_lit(s)).collect::<PResult<_>>()?)
            }
            Rule::meta_maps => MetaKind::Maps(
                it.map(|f| self.parse_framework_ref(f))
                    .collect::<PResult<_>>()?,
            ),
            Rule::meta_since => {
                MetaKind::Since(self.parse_version(self.next(&mut it, &io, "since")?)?)
            }
            Rule::meta_replaces => {
                MetaKind::Replaces(self.parse_qname(self.next(&mut it, &io, "replaces")?))
            }
            Rule::meta_waivable => {
                let b = self.next(&mut it, &io, "waivable")?;
                MetaKind::Waivable(Spanned::new(b.as_str() == "true", self.span(&b)))
            }
            Rule::meta_redact => {
                let b = self.next(&mut it, &io, "redact")?;
                MetaKind::Redact(Spanned::new(b.as_str() == "true", self.span(&b)))
            }
            _ => return Err(self.err(&io, "metadata")),
        };
        Ok(Meta {
            docs: Vec::new(),
            kind,
            span,
        })
    }

    fn parse_framework_ref(&self, pair: Pair<'_, Rule>) -> PResult<FrameworkRef> {
        let span = self.span(&pair);
        let o = pair.clone();
        let mut it = children(pair);
        let framework = self.parse_ident(self.next(&mut it, &o, "framework item")?);
        let item = self.parse_str_lit(self.next(&mut it, &o, "framework item")?)?;
        let args = it
            .map(|a| self.parse_named_arg(a))
            .collect::<PResult<_>>()?;
        Ok(FrameworkRef {
            framework,
            item,
            args,
            span,
        })
    }

    fn parse_block(&self, pair: Pair<'_, Rule>) -> PResult<Vec<Stmt>> {
        let mut out = Vec::new();
        let mut docs = Vec::new();
        for p in children(pair) {
            match p.as_rule() {
                Rule::docs => docs = self.parse_docs(p),
                Rule::stmt => {
                    let mut s = self.parse_stmt(p)?;
                    s.docs = std::mem::take(&mut docs);
                    out.push(s);
                }
                _ => return Err(self.err(&p, "block")),
            }
        }
        Ok(out)
    }

    fn parse_binding(&self, pair: Pair<'_, Rule>) -> PResult<Binding> {
        let o = pair.clone();
        let mut it = children(pair);
        let first = self.parse_ident(self.next(&mut it, &o, "binding")?);
        let second = it.next().map(|p| self.parse_ident(p));
        Ok(Binding { first, second })
    }

    fn parse_stmt(&self, pair: Pair<'_, Rule>) -> PResult<Stmt> {
        let o = pair.clone();
        let inner = self.next(&mut children(pair), &o, "statement")?;
        self.parse_stmt_inner(inner)
    }

    fn parse_stmt_inner(&self, inner: Pair<'_, Rule>) -> PResult<Stmt> {
        let span = self.span(&inner);
        let io = inner.clone();
        let kind = match inner.as_rule() {
            Rule::match_stmt => StmtKind::Match(self.parse_expr(self.next(
                &mut children(inner),
                &io,
                "match",
            )?)?),
            Rule::let_stmt => StmtKind::Let(self.parse_let(inner)?),
            Rule::for_stmt => {
                let mut it = children(inner);
                let binding = self.parse_binding(self.next(&mut it, &io, "for")?)?;
                let iter = self.parse_expr(self.next(&mut it, &io, "for")?)?;
                let body = self.parse_block(self.next(&mut it, &io, "for")?)?;
                StmtKind::For(ForStmt {
                    binding,
                    iter,
                    body,
                })
            }
            Rule::if_stmt => {
                let mut it = children(inner);
                let cond = self.parse_expr(self.next(&mut it, &io, "if")?)?;
                let then = self.parse_block(self.next(&mut it, &io, "if")?)?;
                let otherwise = match it.next() {
                    Some(p) if p.as_rule() == Rule::if_stmt => {
                        Some(Else::If(Box::new(self.parse_stmt_inner(p)?)))
                    }
                    Some(p) => Some(Else::Block(self.parse_block(p)?)),
                    None => None,
                };
                StmtKind::If(IfStmt {
                    cond,
                    then,
                    otherwise,
                })
            }
            Rule::finding_stmt => StmtKind::Finding(self.parse_finding(inner)?),
            _ => return Err(self.err(&io, "statement")),
        };
        Ok(Stmt {
            docs: Vec::new(),
            kind,
            span,
        })
    }

    fn parse_finding(&self, pair: Pair<'_, Rule>) -> PResult<FindingStmt> {
        let o = pair.clone();
        let mut it = children(pair);
        let kind = finding_kind(self.next(&mut it, &o, "finding")?.as_str());
        let mut f = FindingStmt {
            kind,
            when: None,
            at: None,
            message: None,
            fixes: Vec::new(),
        };
        for clause in it {
            let co = clause.clone();
            let c = self.next(&mut children(clause), &co, "clause")?;
            let cspan = self.span(&c);
            let name = match c.as_rule() {
                Rule::when_clause => "when",
                Rule::at_clause => "at",
                Rule::message_clause => "message",
                _ => "fix",
            };
            let duplicate = |first: Span| {
                Diagnostic::error(
                    "duplicate-clause",
                    cspan,
                    format!("`{name}` is given twice in one `{}`", kind.as_str()),
                )
                .with_secondary(first, "first given here")
                .with_help(format!(
                    "combine the conditions or split the `{}`",
                    kind.as_str()
                ))
            };
            let cr = c.as_rule();
            let c2 = c.clone();
            match cr {
                Rule::when_clause | Rule::at_clause | Rule::message_clause => {
                    let e = self.parse_expr(self.next(&mut children(c), &c2, name)?)?;
                    let slot = match cr {
                        Rule::when_clause => &mut f.when,
                        Rule::at_clause => &mut f.at,
                        _ => &mut f.message,
                    };
                    if let Some(prev) = slot {
                        return Err(Box::new(duplicate(prev.span)));
                    }
                    *slot = Some(e);
                }
                Rule::fix_clause => {
                    let mut clause = FixClause {
                        when: None,
                        ops: Vec::new(),
                    };
                    for op in children(c) {
                        if op.as_rule() == Rule::fix_when {
                            let wo = op.clone();
                            let cond = self.next(&mut children(op), &wo, "fix")?;
                            clause.when = Some(self.parse_expr(cond)?);
                            continue;
                        }
                        let oo = op.clone();
                        let inner = self.next(&mut children(op), &oo, "fix")?;
                        let span = self.span(&inner);
                        let io = inner.clone();
                        let r = inner.as_rule();
                        let mut it = children(inner);
                        let path = self.parse_postfix(self.next(&mut it, &io, "fix")?)?;
                        clause.ops.push(if r == Rule::fix_set {
                            let value = self.parse_expr(self.next(&mut it, &io, "fix")?)?;
                            FixOp::Set { path, value, span }
                        } else {
                            FixOp::Remove { path, span }
                        });
                    }
                    f.fixes.push(clause);
                }
                _ => return Err(self.err(&c2, "clause")),
            }
        }
        Ok(f)
    }

    fn parse_test(&self, pair: Pair<'_, Rule>) -> PResult<TestDecl> {
        let o = pair.clone();
        let mut it = children(pair);
        let name = self.parse_str_lit(self.next(&mut it, &o, "test")?)?;
        let mut stmts = Vec::new();
        for s in it {
            let so = s.clone();
            let inner = self.next(&mut children(s), &so, "test")?;
            let span = self.span(&inner);
            let io = inner.clone();
            let r = inner.as_rule();
            let mut it = children(inner);
            let kind = match r {
                Rule::test_given => {
                    TestStmtKind::Given(self.parse_expr(self.next(&mut it, &io, "given")?)?)
                }
                Rule::test_version => {
                    TestStmtKind::Version(self.parse_version(self.next(&mut it, &io, "version")?)?)
                }
                Rule::test_set => {
                    // A qualified name is kept whole: `pss.exempt_namespaces`.
                    let name = self.parse_ident(self.next(&mut it, &io, "set")?);
                    let value = self.parse_expr(self.next(&mut it, &io, "set")?)?;
                    TestStmtKind::Set(name, value)
                }
                Rule::test_expect => {
                    TestStmtKind::Expect(self.parse_expect(self.next(&mut it, &io, "expect")?)?)
                }
                _ => return Err(self.err(&io, "test")),
            };
            stmts.push(TestStmt { kind, span });
        }
        Ok(TestDecl { name, stmts })
    }

    fn parse_expect(&self, pair: Pair<'_, Rule>) -> PResult<Expectation> {
        let o = pair.clone();
        match pair.as_rule() {
            Rule::expect_clean => Ok(Expectation::Clean),
            Rule::expect_finding => {
                let mut it = children(pair);
                let kind = finding_kind(self.next(&mut it, &o, "expect")?.as_str());
                let control = self.parse_qname(self.next(&mut it, &o, "expect")?);
                let (mut at, mut count, mut message) = (None, None, None);
                for c in it {
                    let co = c.clone();
                    let inner = self.next(&mut children(c), &co, "expect")?;
                    let io = inner.clone();
                    let r = inner.as_rule();
                    let v = self.next(&mut children(inner), &io, "expect")?;
                    match r {
                        Rule::expect_at => at = Some(self.parse_str_lit(v)?),
                        Rule::expect_message => message = Some(self.parse_str_lit(v)?),
                        _ => {
                            let span = self.span(&v);
                            let n: f64 = v.as_str().parse().map_err(|_| self.err(&v, "count"))?;
                            count = Some(Spanned::new(n, span));
                        }
                    }
                }
                Ok(Expectation::Finding {
                    kind,
                    control,
                    at,
                    count,
                    message,
                })
            }
            Rule::expect_outcome => {
                let mut it = children(pair);
                let outcome = match self.next(&mut it, &o, "expect")?.as_str() {
                    "pass" => Outcome::Pass,
                    "skip" => Outcome::Skip,
                    _ => Outcome::None,
                };
                let control = self.parse_qname(self.next(&mut it, &o, "expect")?);
                Ok(Expectation::Outcome { outcome, control })
            }
            _ => Err(self.err(&o, "expect")),
        }
    }

    fn parse_pack(&self, pair: Pair<'_, Rule>) -> PResult<PackDecl> {
        let o = pair.clone();
        let mut it = children(pair);
        let np = self.next(&mut it, &o, "pack")?;
        let name = Spanned::new(np.as_str().to_string(), self.span(&np));
        let mut stmts = Vec::new();
        for s in it {
            let so = s.clone();
            let inner = self.next(&mut children(s), &so, "pack")?;
            let span = self.span(&inner);
            let io = inner.clone();
            let r = inner.as_rule();
            let mut it = children(inner);
            let kind = match r {
                Rule::pack_version => {
                    PackStmtKind::Version(self.parse_str_lit(self.next(&mut it, &io, "version")?)?)
                }
                Rule::pack_description => PackStmtKind::Description(
                    self.parse_str_lit(self.next(&mut it, &io, "description")?)?,
                ),
                Rule::pack_requires => PackStmtKind::Requires(
                    self.parse_str_lit(self.next(&mut it, &io, "requires")?)?,
                ),
                Rule::pack_profile => {
                    let from = self.parse_version(self.next(&mut it, &io, "profile")?)?;
                    let inclusive = self.next(&mut it, &io, "profile")?.as_str() == "..=";
                    let to = self.parse_version(self.next(&mut it, &io, "profile")?)?;
                    let latest = it.next().map(|v| self.parse_version(v)).transpose()?;
                    PackStmtKind::Profile {
                        from,
                        to,
                        inclusive,
                        latest,
                    }
                }
                Rule::pack_profile_from => {
                    PackStmtKind::ProfileFrom(self.parse_qname(self.next(&mut it, &io, "profile")?))
                }
                Rule::pack_level => {
                    let name = self.parse_ident(self.next(&mut it, &io, "level")?);
                    let globs = it
                        .map(|g| Spanned::new(g.as_str().to_string(), self.span(&g)))
                        .collect();
                    PackStmtKind::Level(name, globs)
                }
                Rule::pack_include | Rule::pack_exclude => {
                    let globs = it
                        .map(|g| Spanned::new(g.as_str().to_string(), self.span(&g)))
                        .collect();
                    if r == Rule::pack_include {
                        PackStmtKind::Include(globs)
                    } else {
                        PackStmtKind::Exclude(globs)
                    }
                }
                Rule::pack_param => {
                    let name = self.parse_qname(self.next(&mut it, &io, "set")?);
                    let value = self.parse_expr(self.next(&mut it, &io, "set")?)?;
                    PackStmtKind::Set(name, value)
                }
                Rule::pack_default => PackStmtKind::Default,
                _ => return Err(self.err(&io, "pack")),
            };
            stmts.push(PackStmt { kind, span });
        }
        Ok(PackDecl { name, stmts })
    }

    fn parse_framework(&self, pair: Pair<'_, Rule>) -> PResult<FrameworkDecl> {
        let o = pair.clone();
        let mut it = children(pair);
        let name = self.parse_ident(self.next(&mut it, &o, "framework")?);
        let mut stmts = Vec::new();
        for s in it {
            let so = s.clone();
            let inner = self.next(&mut children(s), &so, "framework")?;
            let span = self.span(&inner);
            let io = inner.clone();
            let r = inner.as_rule();
            let mut it = children(inner);
            let first = self.parse_str_lit(self.next(&mut it, &io, "framework")?)?;
            stmts.push(match r {
                Rule::fw_title => FrameworkStmt::Title(first),
                Rule::fw_version => FrameworkStmt::Version(first),
                Rule::fw_url => FrameworkStmt::Url(first),
                Rule::fw_item => {
                    let title = self.parse_str_lit(self.next(&mut it, &io, "item")?)?;
                    let manual = it.next().is_some();
                    FrameworkStmt::Item {
                        id: first,
                        title,
                        manual,
                        span,
                    }
                }
                _ => return Err(self.err(&io, "framework")),
            });
        }
        Ok(FrameworkDecl { name, stmts })
    }

    // -- expressions ------------------------------------------------------

    /// `expr`: a flat list of prefix operators, operands and infix operators,
    /// folded by precedence climbing.
    fn parse_expr(&self, pair: Pair<'_, Rule>) -> PResult<Expr> {
        let o = pair.clone();
        let mut tokens: Vec<Pair<'_, Rule>> = children(pair).collect();
        tokens.reverse();
        let e = self.climb(&mut tokens, 0, &o)?;
        if let Some(t) = tokens.last() {
            return Err(self.err(t, "expression"));
        }
        Ok(e)
    }

    /// Precedence climbing over the reversed token stack.
    fn climb<'i>(
        &self,
        tokens: &mut Vec<Pair<'i, Rule>>,
        min: u8,
        outer: &Pair<'i, Rule>,
    ) -> PResult<Expr> {
        let mut lhs = self.parse_unary(tokens, outer)?;
        while let Some(op_pair) = tokens.last() {
            let Some(op) = binop(op_pair.as_rule()) else {
                break;
            };
            let prec = op.precedence();
            if prec < min {
                break;
            }
            let op_span = self.span(op_pair);
            tokens.pop();
            // `??` is right-associative; comparisons do not chain.
            let next_min = if op == BinOp::Coalesce {
                prec
            } else {
                prec + 1
            };
            let rhs = self.climb(tokens, next_min, outer)?;
            if op.is_comparison()
                && let ExprKind::Binary(prev, _, _) = &lhs.kind
                && prev.is_comparison()
            {
                return Err(Box::new(
                    Diagnostic::error(
                        "chained-comparison",
                        op_span,
                        "comparisons cannot be chained",
                    )
                    .label("second comparison")
                    .with_help("combine the comparisons with `and`"),
                ));
            }
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span);
        }
        Ok(lhs)
    }

    fn parse_unary<'i>(
        &self,
        tokens: &mut Vec<Pair<'i, Rule>>,
        outer: &Pair<'i, Rule>,
    ) -> PResult<Expr> {
        let Some(t) = tokens.pop() else {
            return Err(self.err(outer, "expression"));
        };
        match t.as_rule() {
            Rule::op_not => {
                let span = self.span(&t);
                let inner = self.climb(tokens, ast_not_min(), outer)?;
                let span = span.to(inner.span);
                Ok(Expr::new(ExprKind::Unary(UnOp::Not, Box::new(inner)), span))
            }
            Rule::op_neg => {
                let span = self.span(&t);
                let inner = self.climb(tokens, NEG_PRECEDENCE, outer)?;
                let span = span.to(inner.span);
                Ok(Expr::new(ExprKind::Unary(UnOp::Neg, Box::new(inner)), span))
            }
            Rule::postfix_expr => self.parse_postfix(t),
            _ => Err(self.err(&t, "operand")),
        }
    }

    fn parse_postfix(&self, pair: Pair<'_, Rule>) -> PResult<Expr> {
        let o = pair.clone();
        let mut it = children(pair);
        let mut e = self.parse_primary(self.next(&mut it, &o, "operand")?)?;
        for p in it {
            let pspan = self.span(&p);
            let span = e.span.to(pspan);
            e = match p.as_rule() {
                Rule::field => {
                    let po = p.clone();
                    let id = self.next(&mut children(p), &po, "field")?;
                    Expr::new(ExprKind::Field(Box::new(e), self.parse_ident(id)), span)
                }
                Rule::index => {
                    let po = p.clone();
                    let ix = self.parse_expr(self.next(&mut children(p), &po, "index")?)?;
                    Expr::new(ExprKind::Index(Box::new(e), Box::new(ix)), span)
                }
                Rule::call_args => {
                    let mut args = Vec::new();
                    for a in children(p) {
                        let ao = a.clone();
                        let inner = self.next(&mut children(a), &ao, "argument")?;
                        args.push(match inner.as_rule() {
                            Rule::named_arg => Arg::Named(self.parse_named_arg(inner)?),
                            _ => Arg::Pos(self.parse_expr(inner)?),
                        });
                    }
                    Expr::new(ExprKind::Call(Box::new(e), args), span)
                }
                _ => return Err(self.err(&p, "postfix")),
            };
        }
        Ok(e)
    }

    fn parse_comp_clauses<'i>(
        &self,
        it: impl Iterator<Item = Pair<'i, Rule>>,
    ) -> PResult<Vec<CompClause>> {
        let mut out = Vec::new();
        for c in it {
            let co = c.clone();
            let inner = self.next(&mut children(c), &co, "comprehension")?;
            let io = inner.clone();
            let r = inner.as_rule();
            let mut it = children(inner);
            out.push(if r == Rule::comp_for {
                let b = self.parse_binding(self.next(&mut it, &io, "for")?)?;
                let e = self.parse_expr(self.next(&mut it, &io, "for")?)?;
                CompClause::For(b, e)
            } else {
                CompClause::If(self.parse_expr(self.next(&mut it, &io, "if")?)?)
            });
        }
        Ok(out)
    }

    fn parse_string(&self, pair: Pair<'_, Rule>) -> PResult<Expr> {
        let span = self.span(&pair);
        let mut parts: Vec<StrPart> = Vec::new();
        let mut lit = String::new();
        for p in children(pair) {
            match p.as_rule() {
                Rule::string_text => lit.push_str(p.as_str()),
                Rule::escape => lit.push(unescape(p.as_str())),
                Rule::interp => {
                    if !lit.is_empty() {
                        parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                    }
                    let po = p.clone();
                    let e =
                        self.parse_expr(self.next(&mut children(p), &po, "interpolation")?)?;
                    parts.push(StrPart::Expr(e));
                }
                _ => return Err(self.err(&p, "string")),
            }
        }
        if !lit.is_empty() || parts.is_empty() {
            parts.push(StrPart::Lit(lit));
        }
        Ok(Expr::new(ExprKind::Str(parts), span))
    }

    fn parse_primary(&self, pair: Pair<'_, Rule>) -> PResult<Expr> {
        let span = self.span(&pair);
        let o = pair.clone();
        let kind = match pair.as_rule() {
            Rule::null_lit => ExprKind::Null,
            Rule::bool_lit => ExprKind::Bool(pair.as_str() == "true"),
            Rule::number => match pair.as_str().parse::<f64>() {
                Ok(n) if n.is_finite() => ExprKind::Num(n),
                _ => {
                    return Err(Box::new(Diagnostic::error(
                        "invalid-number",
                        span,
                        format!("`{}` is not a finite number", pair.as_str()),
                    )));
                }
            },
            Rule::version => ExprKind::Version(self.parse_version(pair)?.node),
            Rule::string => return self.parse_string(pair),
            Rule::raw_string => ExprKind::RawStr(raw_text(pair)),
            Rule::ident => ExprKind::Var(pair.as_str().to_string()),
            Rule::paren => {
                let inner =
                    self.parse_expr(self.next(&mut children(pair), &o, "parentheses")?)?;
                ExprKind::Paren(Box::new(inner))
            }
            Rule::if_expr => {
                let mut it = children(pair);
                let c = self.parse_expr(self.next(&mut it, &o, "if")?)?;
                let t = self.parse_expr(self.next(&mut it, &o, "then")?)?;
                let e = self.parse_expr(self.next(&mut it, &o, "else")?)?;
                ExprKind::If(Box::new(c), Box::new(t), Box::new(e))
            }
            Rule::quantifier => {
                let mut it = children(pair);
                let kind = match self.next(&mut it, &o, "quantifier")?.as_str() {
                    "any" => QuantKind::Any,
                    "all" => QuantKind::All,
                    "none" => QuantKind::None,
                    _ => QuantKind::Count,
                };
                let b = self.parse_binding(self.next(&mut it, &o, "quantifier")?)?;
                let coll = self.parse_expr(self.next(&mut it, &o, "quantifier")?)?;
                let body = self.parse_expr(self.next(&mut it, &o, "quantifier")?)?;
                ExprKind::Quant(kind, b, Box::new(coll), Box::new(body))
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut clauses = Vec::new();
                for p in children(pair) {
                    if p.as_rule() == Rule::comp_clause {
                        clauses.push(p);
                    } else {
                        items.push(self.parse_expr(p)?);
                    }
                }
                if clauses.is_empty() {
                    ExprKind::List(items)
                } else {
                    let elem = items
                        .into_iter()
                        .next()
                        .ok_or_else(|| self.err(&o, "comprehension"))?;
                    ExprKind::ListComp(
                        Box::new(elem),
                        self.parse_comp_clauses(clauses.into_iter())?,
                    )
                }
            }
            Rule::object => {
                let mut it = children(pair).peekable();
                let Some(first_key) = it.next() else {
                    return Ok(Expr::new(ExprKind::Object(Vec::new()), span));
                };
                let kspan = self.span(&first_key);
                let ko = first_key.clone();
                let key_expr =
                    self.parse_expr(self.next(&mut children(first_key), &ko, "object key")?)?;
                let value =
                    self.parse_expr(it.next().ok_or_else(|| self.err(&o, "object value"))?)?;
                if it.peek().is_some_and(|p| p.as_rule() == Rule::comp_clause) {
                    let clauses = self.parse_comp_clauses(it)?;
                    ExprKind::ObjectComp(Box::new(key_expr), Box::new(value), clauses)
                } else {
                    let key = match &key_expr.kind {
                        ExprKind::Var(name) => name.clone(),
                        _ => key_expr.as_plain_str().ok_or_else(|| {
                            Box::new(
                                Diagnostic::error(
                                    "invalid-object-key",
                                    kspan,
                                    "an object key must be a name or a plain string",
                                )
                                .label("not a key")
                                .with_help("write `name: value` or `\"any key\": value`; computed keys need a comprehension `{k: v for k, v in ...}`"),
                            )
                        })?,
                    };
                    let mut entries = vec![(Spanned::new(key, kspan), value)];
                    for entry in it {
                        let eo = entry.clone();
                        let mut eit = children(entry);
                        let k = self.next(&mut eit, &eo, "object entry")?;
                        let kspan = self.span(&k);
                        let key = match k.as_rule() {
                            Rule::ident => k.as_str().to_string(),
                            _ => self.parse_str_lit(k)?.text,
                        };
                        let v = self.parse_expr(self.next(&mut eit, &eo, "object entry")?)?;
                        entries.push((Spanned::new(key, kspan), v));
                    }
                    ExprKind::Object(entries)
                }
            }
            _ => return Err(self.err(&pair, "operand")),
        };
        Ok(Expr::new(kind, span))
    }
}

fn ast_not_min() -> u8 {
    NOT_PRECEDENCE
}

fn finding_kind(s: &str) -> FindingKind {
    if s == "warn" {
        FindingKind::Warn
    } else {
        FindingKind::Deny
    }
}

fn binop(r: Rule) -> Option<BinOp> {
    Some(match r {
        Rule::op_or => BinOp::Or,
        Rule::op_and => BinOp::And,
        Rule::op_eq => BinOp::Eq,
        Rule::op_ne => BinOp::Ne,
        Rule::op_lt => BinOp::Lt,
        Rule::op_le => BinOp::Le,
        Rule::op_gt => BinOp::Gt,
        Rule::op_ge => BinOp::Ge,
        Rule::op_in => BinOp::In,
        Rule::op_not_in => BinOp::NotIn,
        Rule::op_coalesce => BinOp::Coalesce,
        Rule::op_range => BinOp::Range,
        Rule::op_range_incl => BinOp::RangeIncl,
        Rule::op_add => BinOp::Add,
        Rule::op_sub => BinOp::Sub,
        Rule::op_mul => BinOp::Mul,
        Rule::op_div => BinOp::Div,
        Rule::op_rem => BinOp::Rem,
        _ => return None,
    })
}

fn raw_text(pair: Pair<'_, Rule>) -> String {
    pair.into_inner()
        .find(|p| p.as_rule() == Rule::raw_text)
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

fn unescape(s: &str) -> char {
    match s {
        "\\n" => '\n',
        "\\t" => '\t',
        "\\r" => '\r',
        "\\\"" => '"',
        "\\\\" => '\\',
        "\\{" => '{',
        "\\}" => '}',
        "\\/" => '/',
        _ => s
            .strip_prefix("\\u{")
            .and_then(|h| h.strip_suffix('}'))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}'),
    }
}
