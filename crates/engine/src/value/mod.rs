//! Values: documents as compact arenas, interned keys, and evaluation values.

pub mod doc;
pub mod intern;
pub mod val;
