//! The checked program: every name resolved, every local given a slot.
//!
//! [`crate::check`] builds a [`Program`] from parsed modules; the engine
//! compiles it for evaluation. Nothing here refers to source text except
//! through spans, so a program can be evaluated far from its files.

use crate::ast::{BinOp, FindingKind, Outcome, QuantKind, UnOp, Version};
use crate::builtins::Builtin;
use crate::span::{FileId, Span};
use crate::types::Ty;
use std::fmt;

/// Index of a local variable in a control's or function's frame.
pub type Slot = u32;

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Program {
    pub consts: Vec<ConstDef>,
    /// Constants in an order where each comes after those it reads.
    pub const_order: Vec<u32>,
    pub params: Vec<ParamDef>,
    pub fns: Vec<FnDef>,
    pub plugins: Vec<PluginDef>,
    pub controls: Vec<ControlDef>,
    pub tests: Vec<TestDef>,
    pub packs: Vec<PackDef>,
    pub frameworks: Vec<FrameworkDef>,
}

impl Program {
    pub fn control(&self, id: &str) -> Option<(usize, &ControlDef)> {
        self.controls.iter().enumerate().find(|(_, c)| c.id == id)
    }

    pub fn pack(&self, name: &str) -> Option<&PackDef> {
        self.packs.iter().find(|p| p.name == name)
    }

    pub fn param(&self, qname: &str) -> Option<(usize, &ParamDef)> {
        self.params
            .iter()
            .enumerate()
            .find(|(_, p)| p.qname == qname)
    }

    pub fn framework(&self, name: &str) -> Option<&FrameworkDef> {
        self.frameworks.iter().find(|f| f.name == name)
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ConstDef {
    pub qname: String,
    pub value: HExpr,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ParamDef {
    pub qname: String,
    pub name: String,
    pub package: String,
    pub ty: Ty,
    pub ty_text: String,
    pub default: Option<HExpr>,
    pub docs: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FnDef {
    pub qname: String,
    pub params: Vec<(String, Ty)>,
    pub ret: Ty,
    pub slots: u32,
    pub lets: Vec<(Slot, HExpr)>,
    pub body: HExpr,
    pub docs: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PluginDef {
    pub qname: String,
    pub name: String,
    /// As written, relative to the file that declares it.
    pub path: String,
    pub file: FileId,
    /// `sha256: "..."`, when pinned.
    pub sha256: Option<String>,
    pub span: Span,
}

/// How serious a control's findings are.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: &'static [Severity] = &[
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A framework item a control automates: `cis("5.2.1", version: "1.9")`.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct FrameworkRef {
    pub framework: String,
    pub item: String,
    /// Other named arguments as text (`version`, `since`, ...).
    pub args: Vec<(String, String)>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ControlDef {
    /// `package.name`, or `name` for files without a package.
    pub id: String,
    pub package: String,
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remedy: String,
    pub references: Vec<String>,
    pub maps: Vec<FrameworkRef>,
    pub since: Option<Version>,
    /// The id of the control this one replaces when active.
    pub replaces: Option<String>,
    pub tags: Vec<String>,
    pub waivable: bool,
    /// `redact true`: reports mask the values its findings point at.
    pub redact: bool,
    pub docs: Vec<String>,
    pub body: Vec<HStmt>,
    pub slots: u32,
    /// Kinds the control's `match` restricts `input.kind` to, when evident.
    pub kinds: Option<Vec<String>>,
    /// Whether any finding statement has a `fix`.
    pub has_fix: bool,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct HStmt {
    pub kind: HStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum HStmtKind {
    Match(HExpr),
    Let(Slot, HExpr),
    /// `for v in xs`, or `for k, v in xs` with the key (or index) slot.
    For {
        key: Option<Slot>,
        value: Slot,
        iter: HExpr,
        body: Vec<HStmt>,
    },
    If {
        cond: HExpr,
        then: Vec<HStmt>,
        otherwise: Vec<HStmt>,
    },
    Finding(Box<HFinding>),
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct HFinding {
    pub kind: FindingKind,
    pub when: Option<HExpr>,
    pub at: Option<HExpr>,
    pub message: Option<HExpr>,
    pub fixes: Vec<HFixClause>,
}

/// A `fix` clause: its operations, made only where `when` holds.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct HFixClause {
    pub when: Option<HExpr>,
    pub ops: Vec<HFix>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum HFix {
    Set {
        path: HExpr,
        value: HExpr,
        span: Span,
    },
    Remove {
        path: HExpr,
        span: Span,
    },
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct HExpr {
    pub kind: HKind,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum HKind {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Version(Version),
    /// A string with interpolated parts.
    Interp(Vec<HStrPart>),
    Local(Slot),
    Input,
    Profile,
    Param(u32),
    Const(u32),
    Field(Box<HExpr>, String),
    Index(Box<HExpr>, Box<HExpr>),
    Call(u32, Vec<HExpr>),
    Builtin(Builtin, Vec<HExpr>, Vec<(String, HExpr)>),
    Plugin(u32, String, Vec<HExpr>),
    Unary(UnOp, Box<HExpr>),
    Binary(BinOp, Box<HExpr>, Box<HExpr>),
    If(Box<HExpr>, Box<HExpr>, Box<HExpr>),
    List(Vec<HExpr>),
    Object(Vec<(String, HExpr)>),
    ListComp(Box<HExpr>, Vec<HClause>),
    ObjectComp(Box<HExpr>, Box<HExpr>, Vec<HClause>),
    Quant(QuantKind, Option<Slot>, Slot, Box<HExpr>, Box<HExpr>),
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum HStrPart {
    Lit(String),
    Expr(HExpr),
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum HClause {
    For(Option<Slot>, Slot, HExpr),
    If(HExpr),
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TestDef {
    pub name: String,
    pub package: String,
    pub file: FileId,
    pub span: Span,
    pub given: Vec<HExpr>,
    pub version: Option<Version>,
    pub sets: Vec<(u32, HExpr)>,
    pub expects: Vec<TestExpect>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TestExpect {
    pub kind: ExpectKind,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum ExpectKind {
    Clean,
    Finding {
        kind: FindingKind,
        /// Index into [`Program::controls`].
        control: usize,
        at: Option<String>,
        count: Option<usize>,
        message: Option<String>,
    },
    Outcome {
        outcome: Outcome,
        control: usize,
    },
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PackDef {
    pub name: String,
    pub version: String,
    pub description: String,
    pub requires: Option<String>,
    pub profile: Option<ProfileRange>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Indexes into [`Program::controls`], in id order: the controls that
    /// always run.
    pub controls: Vec<usize>,
    /// Controls per profile level, when a function picks each resource's
    /// level (`profile from`).
    pub levels: Vec<(String, Vec<usize>)>,
    /// The function that picks a resource's profiles.
    pub profile_fn: Option<u32>,
    pub sets: Vec<(u32, HExpr)>,
    pub default: bool,
    pub file: FileId,
    pub span: Span,
}

/// The profile versions a pack can be evaluated at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProfileRange {
    pub from: Version,
    pub to: Version,
    pub inclusive: bool,
    pub latest: Version,
}

impl ProfileRange {
    /// The version a requested version is evaluated as: newer than the newest
    /// known is evaluated as the newest.
    pub fn resolve(&self, requested: Option<Version>) -> Option<Version> {
        match requested {
            None => Some(self.latest),
            Some(v) if v.cmp_value(self.from).is_lt() => None,
            Some(v) if v.cmp_value(self.latest).is_gt() => Some(self.latest),
            Some(v) => Some(v),
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FrameworkDef {
    pub name: String,
    pub title: String,
    pub version: String,
    pub url: String,
    pub items: Vec<FrameworkItem>,
    pub span: Span,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FrameworkItem {
    pub id: String,
    pub title: String,
    pub manual: bool,
}

impl HExpr {
    pub fn new(kind: HKind, span: Span) -> HExpr {
        HExpr { kind, span }
    }
}
