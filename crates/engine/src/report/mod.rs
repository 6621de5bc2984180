//! Reports: the same [`crate::Report`] rendered for people and for tools.

pub mod json;
pub mod text;
