//! The typed syntax tree of a `.ward` file.
//!
//! Every node that a diagnostic may point at carries a [`Span`]; spans never take
//! part in equality (see [`crate::span`]).

use crate::span::{FileId, Span, Spanned};
use std::fmt;

/// A name as written, with its span.
pub type Ident = Spanned<String>;

/// A dotted name such as `pss.baseline.privileged`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct QName {
    pub parts: Vec<String>,
    pub span: Span,
}

impl QName {
    pub fn last(&self) -> &str {
        self.parts.last().map(String::as_str).unwrap_or("")
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.parts.join("."))
    }
}

/// A parsed file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Module {
    pub file: FileId,
    pub package: Option<QName>,
    pub package_docs: Vec<String>,
    pub items: Vec<Item>,
}

impl Module {
    /// The package name, or the empty string for a file without `package`.
    pub fn package_name(&self) -> String {
        self.package
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default()
    }
}

/// One top-level declaration.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    pub docs: Vec<String>,
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ItemKind {
    Use(UseDecl),
    Const(ConstDecl),
    Param(ParamDecl),
    Plugin(PluginDecl),
    Fn(FnDecl),
    Control(ControlDecl),
    Test(TestDecl),
    Pack(PackDecl),
    Framework(FrameworkDecl),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UseDecl {
    pub path: QName,
    /// `None` imports the package itself under its last name.
    pub names: Option<Vec<UseName>>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UseName {
    pub name: Ident,
    pub alias: Option<Ident>,
}

impl UseName {
    pub fn local(&self) -> &Ident {
        self.alias.as_ref().unwrap_or(&self.name)
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConstDecl {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParamDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PluginDecl {
    pub name: Ident,
    pub path: Spanned<String>,
    pub options: Vec<NamedArg>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<FnParam>,
    pub ret: Option<TypeExpr>,
    /// `let` bindings of a block body, in order.
    pub lets: Vec<LetStmt>,
    /// The doc comments of each `let` in `lets` (same length).
    pub let_docs: Vec<Vec<String>>,
    pub body: Expr,
    /// Whether the body was written as a block.
    pub block: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FnParam {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
}

/// Type annotations on params and functions.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TypeExpr {
    Named(Ident),
    List(Box<TypeExpr>, Span),
    Map(Box<TypeExpr>, Span),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(n) => n.span,
            TypeExpr::List(_, s) | TypeExpr::Map(_, s) => *s,
        }
    }
}

impl fmt::Display for TypeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeExpr::Named(n) => f.write_str(&n.node),
            TypeExpr::List(t, _) => write!(f, "list<{t}>"),
            TypeExpr::Map(t, _) => write!(f, "map<{t}>"),
        }
    }
}

/// `control name { ... }`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ControlDecl {
    pub name: Ident,
    pub meta: Vec<Meta>,
    pub body: Vec<Stmt>,
}

impl ControlDecl {
    pub fn meta<'a, T>(&'a self, f: impl Fn(&'a MetaKind) -> Option<T>) -> Option<T> {
        self.meta.iter().find_map(|m| f(&m.kind))
    }

    pub fn title(&self) -> Option<&str> {
        self.meta(|m| match m {
            MetaKind::Title(s) => Some(s.text.as_str()),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    pub docs: Vec<String>,
    pub kind: MetaKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum MetaKind {
    Title(StrLit),
    Severity(Ident),
    Description(StrLit),
    Remedy(StrLit),
    References(Vec<StrLit>),
    Maps(Vec<FrameworkRef>),
    Since(Spanned<Version>),
    Replaces(QName),
    Tags(Vec<StrLit>),
    Waivable(Spanned<bool>),
    Redact(Spanned<bool>),
}

impl MetaKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            MetaKind::Title(_) => "title",
            MetaKind::Severity(_) => "severity",
            MetaKind::Description(_) => "description",
            MetaKind::Remedy(_) => "remedy",
            MetaKind::References(_) => "references",
            MetaKind::Maps(_) => "maps",
            MetaKind::Since(_) => "since",
            MetaKind::Replaces(_) => "replaces",
            MetaKind::Tags(_) => "tags",
            MetaKind::Waivable(_) => "waivable",
            MetaKind::Redact(_) => "redact",
        }
    }
}

/// A plain string literal in metadata (no interpolation).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct StrLit {
    pub text: String,
    /// Whether it was written as a raw string.
    pub raw: bool,
    pub span: Span,
}

/// `cis("5.2.1", version: "1.9")`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrameworkRef {
    pub framework: Ident,
    pub item: StrLit,
    pub args: Vec<NamedArg>,
    pub span: Span,
}

/// Statements inside controls.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stmt {
    pub docs: Vec<String>,
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum StmtKind {
    Match(Expr),
    Let(LetStmt),
    For(ForStmt),
    If(IfStmt),
    Finding(FindingStmt),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LetStmt {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ForStmt {
    pub binding: Binding,
    pub iter: Expr,
    pub body: Vec<Stmt>,
}

/// `x` or `k, v`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Binding {
    pub first: Ident,
    pub second: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IfStmt {
    pub cond: Expr,
    pub then: Vec<Stmt>,
    pub otherwise: Option<Else>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Else {
    If(Box<Stmt>),
    Block(Vec<Stmt>),
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum FindingKind {
    Deny,
    Warn,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Deny => "deny",
            FindingKind::Warn => "warn",
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FindingStmt {
    pub kind: FindingKind,
    pub when: Option<Expr>,
    pub at: Option<Expr>,
    pub message: Option<Expr>,
    pub fixes: Vec<FixClause>,
}

/// One `fix` clause: its operations, offered only where `when` holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FixClause {
    pub when: Option<Expr>,
    pub ops: Vec<FixOp>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FixOp {
    Set { path: Expr, value: Expr, span: Span },
    Remove { path: Expr, span: Span },
}

/// `test "name" { ... }`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TestDecl {
    pub name: StrLit,
    pub stmts: Vec<TestStmt>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TestStmt {
    pub kind: TestStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TestStmtKind {
    Given(Expr),
    Version(Spanned<Version>),
    Set(Ident, Expr),
    Expect(Expectation),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Expectation {
    /// No finding at all.
    Clean,
    /// At least one finding of the control (or exactly `count`).
    Finding {
        kind: FindingKind,
        control: QName,
        at: Option<StrLit>,
        count: Option<Spanned<f64>>,
        message: Option<StrLit>,
    },
    /// `pass` (applies, no finding), `skip` (does not apply), `none` (no
    /// finding, whether it applies or not).
    Outcome { outcome: Outcome, control: QName },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    Pass,
    Skip,
    None,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Skip => "skip",
            Outcome::None => "none",
        }
    }
}

/// `pack name { ... }`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PackDecl {
    pub name: Spanned<String>,
    pub stmts: Vec<PackStmt>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PackStmt {
    pub kind: PackStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PackStmtKind {
    Version(StrLit),
    Description(StrLit),
    Requires(StrLit),
    Profile {
        from: Spanned<Version>,
        to: Spanned<Version>,
        inclusive: bool,
        latest: Option<Spanned<Version>>,
    },
    /// `profile from pkg.fn`.
    ProfileFrom(QName),
    /// `level name: globs`.
    Level(Ident, Vec<Spanned<String>>),
    Include(Vec<Spanned<String>>),
    Exclude(Vec<Spanned<String>>),
    Set(QName, Expr),
    Default,
}

/// `framework name { ... }`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrameworkDecl {
    pub name: Ident,
    pub stmts: Vec<FrameworkStmt>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FrameworkStmt {
    Title(StrLit),
    Version(StrLit),
    Url(StrLit),
    Item {
        id: StrLit,
        title: StrLit,
        manual: bool,
        span: Span,
    },
}

/// A version literal `v1.25` or `v1.25.3`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// How many parts were written (2 or 3), for printing.
    pub parts: u8,
}

impl Version {
    pub fn new(major: u32, minor: u32) -> Version {
        Version {
            major,
            minor,
            patch: 0,
            parts: 2,
        }
    }

    /// Parses `v1.25`, `1.25`, `v1.25.3`.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut it = s.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        let patch = match it.next() {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        if it.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch: patch.unwrap_or(0),
            parts: if patch.is_some() { 3 } else { 2 },
        })
    }

    fn key(self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }

    pub fn cmp_value(self, other: Version) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parts >= 3 {
            write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
        } else {
            write!(f, "v{}.{}", self.major, self.minor)
        }
    }
}

/// A named argument `name: expr`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NamedArg {
    pub name: Ident,
    pub value: Expr,
}

/// Call arguments in order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Arg {
    Pos(Expr),
    Named(NamedArg),
}

impl Arg {
    pub fn expr(&self) -> &Expr {
        match self {
            Arg::Pos(e) => e,
            Arg::Named(n) => &n.value,
        }
    }
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Num(f64),
    /// A string; literal parts and interpolated expressions.
    Str(Vec<StrPart>),
    /// A raw string: no interpolation, no escapes.
    RawStr(String),
    Version(Version),
    Var(String),
    Field(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Arg>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Object(Vec<(Spanned<String>, Expr)>),
    ListComp(Box<Expr>, Vec<CompClause>),
    ObjectComp(Box<Expr>, Box<Expr>, Vec<CompClause>),
    Quant(QuantKind, Binding, Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum StrPart {
    Lit(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CompClause {
    For(Binding, Expr),
    If(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum QuantKind {
    Any,
    All,
    None,
    Count,
}

impl QuantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuantKind::Any => "any",
            QuantKind::All => "all",
            QuantKind::None => "none",
            QuantKind::Count => "count",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Coalesce,
    Range,
    RangeIncl,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Coalesce => "??",
            BinOp::Range => "..",
            BinOp::RangeIncl => "..=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    /// Binding power; higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::In
            | BinOp::NotIn => 4,
            BinOp::Coalesce => 5,
            BinOp::Range | BinOp::RangeIncl => 6,
            BinOp::Add | BinOp::Sub => 7,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 8,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

/// Precedence of prefix `not`: below comparisons, above `and`.
pub const NOT_PRECEDENCE: u8 = 3;
/// Precedence of prefix `-`: above every binary operator.
pub const NEG_PRECEDENCE: u8 = 9;

impl Expr {
    /// Calls `f` on every direct sub-expression.
    pub fn children<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Num(_)
            | ExprKind::RawStr(_)
            | ExprKind::Version(_)
            | ExprKind::Var(_) => {}
            ExprKind::Str(parts) => {
                for p in parts {
                    if let StrPart::Expr(e) = p {
                        f(e)
                    }
                }
            }
            ExprKind::Field(e, _) | ExprKind::Unary(_, e) | ExprKind::Paren(e) => f(e),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                f(a);
                f(b)
            }
            ExprKind::Call(c, args) => {
                f(c);
                for a in args {
                    f(a.expr())
                }
            }
            ExprKind::If(a, b, c) => {
                f(a);
                f(b);
                f(c)
            }
            ExprKind::List(xs) => xs.iter().for_each(f),
            ExprKind::Object(kvs) => kvs.iter().for_each(|(_, v)| f(v)),
            ExprKind::ListComp(e, cl) => {
                for c in cl {
                    match c {
                        CompClause::For(_, x) | CompClause::If(x) => f(x),
                    }
                }
                f(e)
            }
            ExprKind::ObjectComp(k, v, cl) => {
                for c in cl {
                    match c {
                        CompClause::For(_, x) | CompClause::If(x) => f(x),
                    }
                }
                f(k);
                f(v)
            }
            ExprKind::Quant(_, _, coll, body) => {
                f(coll);
                f(body)
            }
        }
    }

    /// The dotted path this expression spells, if it is one: `a.b.c`.
    pub fn as_path(&self) -> Option<Vec<&str>> {
        match &self.kind {
            ExprKind::Var(v) => Some(vec![v.as_str()]),
            ExprKind::Field(e, f) => {
                let mut p = e.as_path()?;
                p.push(f.node.as_str());
                Some(p)
            }
            _ => None,
        }
    }

    /// The string this expression spells when it has no interpolation.
    pub fn as_plain_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::RawStr(s) => Some(s.clone()),
            ExprKind::Str(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        StrPart::Lit(s) => out.push_str(s),
                        StrPart::Expr(_) => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }
}
