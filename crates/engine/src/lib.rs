//! Ward's engine: turns files and cluster exports into resources that
//! remember where every value came from, evaluates compiled controls over
//! them on all cores, and returns findings as data.
//!
//! The pipeline is: [`EngineBuilder`] (parse, check and compile policies,
//! with the standard library and built-in packs embedded) → [`Engine::select`]
//! (packs at profile versions, with params) → [`input::load_paths`] →
//! [`Engine::evaluate`] → [`Report`].
//!
#![doc = include_str!("../README.md")]

pub mod api_versions;
pub mod baseline;
pub mod compile;
pub mod diff;
pub mod duplicates;
pub mod engine;
pub mod eval;
pub mod finding;
pub mod fix;
pub mod frameworks;
pub mod input;
pub mod inventory;
pub mod pack;
#[cfg(feature = "plugins")]
pub mod plugin;
pub mod pod_view;
pub mod progress;
pub mod project;
pub mod report;
pub mod testing;
pub mod unknown_fields;
pub mod value;
pub mod waivers;
pub mod why;

pub use engine::{
    Engine, EngineBuilder, EvalOptions, PackRef, PolicyErrors, Report, Selection, SetValue,
};
pub use finding::{Error, ErrorKind, Finding, FindingFields, FunctionOutcome, Identity, Level};
pub use input::{Inputs, LoadOptions};
