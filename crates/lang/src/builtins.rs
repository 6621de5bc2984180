//! The native functions every policy can call, declared once.
//!
//! The checker uses these signatures for arity, argument and return types; the
//! engine implements each [`Builtin`] (an exhaustive `match`, so a declared
//! builtin without an implementation does not compile). Everything else in the
//! standard library is written in the language itself (`std-lib/`).

use crate::types::Ty;

/// Native builtins. The order is the order of [`Builtin::ALL`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Builtin {
    // values
    Len,
    Keys,
    Values,
    Exists,
    TypeOf,
    Str,
    Num,
    Int,
    Get,
    Merge,
    ToJson,
    // strings
    Lower,
    Upper,
    Trim,
    TrimPrefix,
    TrimSuffix,
    StartsWith,
    EndsWith,
    Contains,
    Split,
    Join,
    Replace,
    Substr,
    IndexOf,
    RegexMatch,
    RegexCapture,
    RegexReplace,
    GlobMatch,
    // lists
    First,
    Last,
    Sort,
    Unique,
    Reverse,
    Flatten,
    Sum,
    Min,
    Max,
    ContainsAll,
    ContainsAny,
    Range,
    // versions, encodings, networks, paths
    Version,
    Base64Decode,
    Base64Encode,
    CidrContains,
    IsCidr,
    JsonPath,
    Pointer,
    // the inventory
    Resources,
}

/// The declared shape of one builtin.
#[derive(Clone, Debug)]
pub struct Signature {
    pub name: &'static str,
    /// Positional parameter types; the first `required` must be given.
    pub params: &'static [Ty],
    pub required: usize,
    /// When set, any number of extra positional arguments of this type.
    pub variadic: bool,
    /// Named parameters (only `resources` has them).
    pub named: &'static [(&'static str, Ty)],
    pub ret: Ty,
    /// One line for `ward explain` and the language reference.
    pub doc: &'static str,
}

use Ty::*;

const ANY1: &[Ty] = &[Any];
const ANY2: &[Ty] = &[Any, Any];
const STR1: &[Ty] = &[Str];
const STR2: &[Ty] = &[Str, Str];
const STR3: &[Ty] = &[Str, Str, Str];
const LIST1: &[Ty] = &[List];
const LIST2: &[Ty] = &[List, List];

impl Builtin {
    pub const ALL: &'static [Builtin] = &[
        Builtin::Len,
        Builtin::Keys,
        Builtin::Values,
        Builtin::Exists,
        Builtin::TypeOf,
        Builtin::Str,
        Builtin::Num,
        Builtin::Int,
        Builtin::Get,
        Builtin::Merge,
        Builtin::ToJson,
        Builtin::Lower,
        Builtin::Upper,
        Builtin::Trim,
        Builtin::TrimPrefix,
        Builtin::TrimSuffix,
        Builtin::StartsWith,
        Builtin::EndsWith,
        Builtin::Contains,
        Builtin::Split,
        Builtin::Join,
        Builtin::Replace,
        Builtin::Substr,
        Builtin::IndexOf,
        Builtin::RegexMatch,
        Builtin::RegexCapture,
        Builtin::RegexReplace,
        Builtin::GlobMatch,
        Builtin::First,
        Builtin::Last,
        Builtin::Sort,
        Builtin::Unique,
        Builtin::Reverse,
        Builtin::Flatten,
        Builtin::Sum,
        Builtin::Min,
        Builtin::Max,
        Builtin::ContainsAll,
        Builtin::ContainsAny,
        Builtin::Range,
        Builtin::Version,
        Builtin::Base64Decode,
        Builtin::Base64Encode,
        Builtin::CidrContains,
        Builtin::IsCidr,
        Builtin::JsonPath,
        Builtin::Pointer,
        Builtin::Resources,
    ];

    pub fn by_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.sig().name == name)
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        Builtin::ALL.iter().map(|b| b.sig().name)
    }

    pub fn sig(self) -> Signature {
        let s = |name, params, required, ret, doc| Signature {
            name,
            params,
            required,
            variadic: false,
            named: &[],
            ret,
            doc,
        };
        match self {
            Builtin::Len => s(
                "len",
                ANY1,
                1,
                Num,
                "number of items of a list, keys of an object or characters of a string; 0 for missing",
            ),
            Builtin::Keys => s(
                "keys",
                &[Object],
                1,
                List,
                "the keys of an object, in document order; [] for missing",
            ),
            Builtin::Values => s(
                "values",
                &[Object],
                1,
                List,
                "the values of an object, in document order; [] for missing",
            ),
            Builtin::Exists => s(
                "exists",
                ANY1,
                1,
                Bool,
                "true when the value is present and not null",
            ),
            Builtin::TypeOf => s(
                "type_of",
                ANY1,
                1,
                Str,
                "\"missing\", \"null\", \"bool\", \"number\", \"string\", \"list\", \"object\" or \"version\"",
            ),
            Builtin::Str => s(
                "str",
                ANY1,
                1,
                Str,
                "the value as a string: strings unchanged, numbers and booleans as written, others as JSON",
            ),
            Builtin::Num => s(
                "num",
                ANY1,
                1,
                Num,
                "a number from a number or a numeric string; missing otherwise",
            ),
            Builtin::Int => s("int", ANY1, 1, Num, "like `num`, truncated toward zero"),
            Builtin::Get => s(
                "get",
                &[Any, Any, Any],
                2,
                Any,
                "`get(obj, key, default)`: the field, or the default when it is missing",
            ),
            Builtin::Merge => s(
                "merge",
                &[Object, Object],
                2,
                Object,
                "the keys of both objects; the second wins",
            ),
            Builtin::ToJson => s("to_json", ANY1, 1, Str, "compact JSON text of a value"),
            Builtin::Lower => s("lower", STR1, 1, Str, "lower-case"),
            Builtin::Upper => s("upper", STR1, 1, Str, "upper-case"),
            Builtin::Trim => s(
                "trim",
                STR1,
                1,
                Str,
                "without leading and trailing white space",
            ),
            Builtin::TrimPrefix => s(
                "trim_prefix",
                STR2,
                2,
                Str,
                "without the prefix, when it starts with it",
            ),
            Builtin::TrimSuffix => s(
                "trim_suffix",
                STR2,
                2,
                Str,
                "without the suffix, when it ends with it",
            ),
            Builtin::StartsWith => s(
                "starts_with",
                STR2,
                2,
                Bool,
                "whether the string starts with the prefix",
            ),
            Builtin::EndsWith => s(
                "ends_with",
                STR2,
                2,
                Bool,
                "whether the string ends with the suffix",
            ),
            Builtin::Contains => s(
                "contains",
                ANY2,
                2,
                Bool,
                "substring of a string, element of a list, or key of an object",
            ),
            Builtin::Split => s(
                "split",
                STR2,
                2,
                List,
                "the parts of a string between separators",
            ),
            Builtin::Join => s(
                "join",
                &[List, Str],
                2,
                Str,
                "list items joined by a separator",
            ),
            Builtin::Replace => s("replace", STR3, 3, Str, "every occurrence replaced"),
            Builtin::Substr => s(
                "substr",
                &[Str, Num, Num],
                2,
                Str,
                "`substr(s, start, len)` in characters",
            ),
            Builtin::IndexOf => s(
                "index_of",
                ANY2,
                2,
                Num,
                "position of the first occurrence in a string or list; -1 when absent",
            ),
            Builtin::RegexMatch => s(
                "regex_match",
                STR2,
                2,
                Bool,
                "`regex_match(pattern, s)`: whether the regular expression matches somewhere in s",
            ),
            Builtin::RegexCapture => s(
                "regex_capture",
                STR2,
                2,
                List,
                "`regex_capture(pattern, s)`: the whole match and its groups, or missing when it does not match",
            ),
            Builtin::RegexReplace => s(
                "regex_replace",
                STR3,
                3,
                Str,
                "`regex_replace(pattern, s, replacement)`: every match replaced; `$1` in the replacement is the first group",
            ),
            Builtin::GlobMatch => s(
                "glob_match",
                STR2,
                2,
                Bool,
                "`glob_match(pattern, s)`: shell-style `*`, `?` and `[..]` matching of the whole string",
            ),
            Builtin::First => s(
                "first",
                LIST1,
                1,
                Any,
                "the first item; missing for an empty list",
            ),
            Builtin::Last => s(
                "last",
                LIST1,
                1,
                Any,
                "the last item; missing for an empty list",
            ),
            Builtin::Sort => s(
                "sort",
                LIST1,
                1,
                List,
                "sorted: numbers, then strings, then others by their JSON text",
            ),
            Builtin::Unique => s(
                "unique",
                LIST1,
                1,
                List,
                "without repeated items, first occurrence kept",
            ),
            Builtin::Reverse => s("reverse", LIST1, 1, List, "in reverse order"),
            Builtin::Flatten => s(
                "flatten",
                LIST1,
                1,
                List,
                "lists inside the list spliced in, one level deep",
            ),
            Builtin::Sum => s("sum", LIST1, 1, Num, "the sum of the numbers"),
            Builtin::Min => s(
                "min",
                LIST1,
                1,
                Any,
                "the smallest number or string; missing for an empty list",
            ),
            Builtin::Max => s(
                "max",
                LIST1,
                1,
                Any,
                "the largest number or string; missing for an empty list",
            ),
            Builtin::ContainsAll => s(
                "contains_all",
                LIST2,
                2,
                Bool,
                "whether the first list holds every item of the second",
            ),
            Builtin::ContainsAny => s(
                "contains_any",
                LIST2,
                2,
                Bool,
                "whether the first list holds some item of the second",
            ),
            Builtin::Range => s(
                "range",
                &[Num, Num],
                1,
                List,
                "`range(n)` is 0..n-1, `range(a, b)` is a..b-1",
            ),
            Builtin::Version => s(
                "version",
                ANY1,
                1,
                Ty::Version,
                "a version from a string like \"v1.25\" or \"1.25.3\"; missing when it is not one",
            ),
            Builtin::Base64Decode => s(
                "base64_decode",
                STR1,
                1,
                Str,
                "decoded standard base64 text; missing when it is not valid",
            ),
            Builtin::Base64Encode => s("base64_encode", STR1, 1, Str, "standard base64 encoding"),
            Builtin::CidrContains => s(
                "cidr_contains",
                STR2,
                2,
                Bool,
                "`cidr_contains(cidr, ip_or_cidr)`: whether the network contains the address or network",
            ),
            Builtin::IsCidr => s(
                "is_cidr",
                STR1,
                1,
                Bool,
                "whether the string is an IPv4 or IPv6 network like 10.0.0.0/8",
            ),
            Builtin::JsonPath => s(
                "jsonpath",
                &[Any, Str],
                2,
                List,
                "`jsonpath(value, \"$.a[*].b\")`: the values an RFC 9535 query selects",
            ),
            Builtin::Pointer => s(
                "pointer",
                &[Any, Str],
                2,
                Any,
                "`pointer(value, \"/a/0/b\")`: the value an RFC 6901 JSON pointer names, keeping its place in the document; missing when it names nothing",
            ),
            Builtin::Resources => Signature {
                name: "resources",
                params: &[],
                required: 0,
                variadic: false,
                named: &[
                    ("kind", Str),
                    ("namespace", Str),
                    ("name", Str),
                    ("api_version", Str),
                    ("labels", Object),
                    ("selector", Object),
                    ("owner", Str),
                ],
                ret: List,
                doc: "loaded resources, filtered by `kind`, `namespace`, `name`, `api_version`, `labels` (all must match), `selector` (a label selector) and `owner` (an owner uid)",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let mut names: Vec<_> = Builtin::names().collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(n, names.len());
        for b in Builtin::ALL {
            assert_eq!(Builtin::by_name(b.sig().name), Some(*b));
        }
    }
}
