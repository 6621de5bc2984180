//! Ward's policy language.
//!
//! The pipeline is [`parse`] (text to [`ast::Module`]) then [`check`] (names,
//! arity, types, conditions that can never hold) over a whole set of modules,
//! which yields a [`hir::Program`] for the engine to compile. [`fmt::format`]
//! prints a module back in canonical form with its comments. This crate
//! never depends on the engine.

pub mod ast;
pub mod builtins;
pub mod check;
pub mod diagnostic;
pub mod fields;
pub mod fmt;
pub mod hir;
pub mod parser;
pub mod span;
pub mod types;

pub use check::{Checked, check};
pub use diagnostic::{Diagnostic, Diagnostics, Level};
pub use parser::{parse, parse_expr};
pub use span::{FileId, SourceMap, Span, Spanned};
