//! Static types, as far as the checker can see them.
//!
//! Values read from resources are `Any`: their shape is only known at run
//! time. Literals, builtin results, typed params and comparisons have precise
//! types, which is enough to catch comparisons that can never hold, loops over
//! scalars and misspelled fields of known records.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Ty {
    Any,
    Null,
    Bool,
    Num,
    Str,
    Version,
    List,
    Object,
    ListOf(Box<Ty>),
    MapOf(Box<Ty>),
    Record(#[serde(with = "record_by_name")] &'static Record),
}

/// A record type is written by its name and read back as the record of
/// that name, as the checked program embedded at build time stores types.
mod record_by_name {
    use super::{PROFILE, Record};

    /// Every record type the checker gives.
    const RECORDS: &[&Record] = &[&PROFILE];

    pub fn serialize<S: serde::Serializer>(r: &&'static Record, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(r.name)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<&'static Record, D::Error> {
        let name: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
        RECORDS
            .iter()
            .copied()
            .find(|r| r.name == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown record type `{name}`")))
    }
}

/// A record with a fixed set of fields (e.g. `profile`).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub name: &'static str,
    pub fields: &'static [(&'static str, Ty)],
}

/// The `profile` every control can read.
pub static PROFILE: Record = Record {
    name: "profile",
    fields: &[
        ("name", Ty::Str),
        ("version", Ty::Version),
        ("level", Ty::Str),
    ],
};

impl Ty {
    /// From a written type annotation name.
    pub fn from_name(name: &str) -> Option<Ty> {
        Some(match name {
            "any" => Ty::Any,
            "bool" => Ty::Bool,
            "number" | "int" => Ty::Num,
            "string" => Ty::Str,
            "version" => Ty::Version,
            "list" => Ty::List,
            "object" | "map" => Ty::Object,
            "null" => Ty::Null,
            _ => return None,
        })
    }

    pub const NAMES: &'static [&'static str] = &[
        "any", "bool", "number", "int", "string", "version", "list", "object", "map", "null",
    ];

    pub fn is_list(&self) -> bool {
        matches!(self, Ty::List | Ty::ListOf(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Ty::Object | Ty::MapOf(_) | Ty::Record(_))
    }

    /// Whether a value of this type can be iterated by `for`.
    pub fn iterable(&self) -> bool {
        matches!(self, Ty::Any | Ty::Null) || self.is_list() || self.is_object()
    }

    /// Whether this is a scalar type that is known precisely.
    pub fn is_known_scalar(&self) -> bool {
        matches!(self, Ty::Bool | Ty::Num | Ty::Str | Ty::Version | Ty::Null)
    }

    /// The type of an element when iterating.
    pub fn element(&self) -> Ty {
        match self {
            Ty::ListOf(t) | Ty::MapOf(t) => (**t).clone(),
            _ => Ty::Any,
        }
    }

    /// Whether values of the two types could ever compare equal.
    pub fn may_equal(&self, other: &Ty) -> bool {
        if *self == Ty::Any || *other == Ty::Any {
            return true;
        }
        match (self, other) {
            (a, b) if a.is_list() && b.is_list() => true,
            (a, b) if a.is_object() && b.is_object() => true,
            (a, b) => a == b,
        }
    }

    /// Whether `<`/`>` are meaningful between the two.
    pub fn orderable_with(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Any, t) | (t, Ty::Any) => matches!(t, Ty::Any | Ty::Num | Ty::Str | Ty::Version),
            (Ty::Num, Ty::Num) | (Ty::Str, Ty::Str) | (Ty::Version, Ty::Version) => true,
            _ => false,
        }
    }

    /// Whether a value of type `self` is accepted where `want` is expected.
    pub fn accepts(want: &Ty, got: &Ty) -> bool {
        match (want, got) {
            (Ty::Any, _) | (_, Ty::Any) | (_, Ty::Null) => true,
            (w, g) if w.is_list() && g.is_list() => true,
            (w, g) if w.is_object() && g.is_object() => true,
            (w, g) => w == g,
        }
    }

    pub fn field(&self, name: &str) -> Option<Ty> {
        match self {
            Ty::Record(r) => r
                .fields
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.clone()),
            Ty::MapOf(t) => Some((**t).clone()),
            _ => Some(Ty::Any),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => f.write_str("any"),
            Ty::Null => f.write_str("null"),
            Ty::Bool => f.write_str("bool"),
            Ty::Num => f.write_str("number"),
            Ty::Str => f.write_str("string"),
            Ty::Version => f.write_str("version"),
            Ty::List => f.write_str("list"),
            Ty::Object => f.write_str("object"),
            Ty::ListOf(t) => write!(f, "list<{t}>"),
            Ty::MapOf(t) => write!(f, "map<{t}>"),
            Ty::Record(r) => f.write_str(r.name),
        }
    }
}
