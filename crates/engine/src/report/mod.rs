//! Reports: the same [`crate::Report`] rendered for people and for tools.
//!
//! `text` and `json` need only the report; the others also take the
//! [`crate::Engine`] (control metadata, packs, frameworks) and the
//! [`crate::Inputs`] (source text for snippets, code frames and fixes):
//!
//! - [`sarif`]: SARIF 2.1.0 for code scanning, with fixes as replacements;
//! - [`junit`]: JUnit XML for CI test views;
//! - [`markdown`]: a pull-request comment;
//! - [`html`]: one self-contained page to explore the results.

pub(crate) mod common;
pub(crate) mod edit;
mod findings_text;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod score;
mod source;
pub mod text;

/// `Kind/namespace/name`, or `Kind/name` for cluster-scoped resources: how
/// every format names a resource.
pub fn resource_label(id: &crate::finding::Identity) -> String {
    common::resource_name(id)
}
