//! The field names of the documents policies read: the Kubernetes API's
//! and those of Ward's own documents (`k8s_fields.txt`, written by
//! `scripts/gen-k8s-fields.py`).
//!
//! A policy that reads `c.securityContext.runAsNonroot` reads a field no
//! object has: the value is always missing, and the control never sees
//! what it was written for. The checker warns when a field a policy reads
//! from a document is not a known name but is one slip away from one (see
//! [`misspelt`]). Names far from every known one (a custom resource's
//! fields) are left alone, and so are the keys of maps (`labels.app`,
//! `limits.cpu`).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::OnceLock;

const TEXT: &str = include_str!("k8s_fields.txt");

struct Fields {
    names: HashSet<&'static str>,
    /// Each name by its lower case.
    lower: HashMap<String, &'static str>,
    /// Fields whose values are maps of user-chosen keys.
    maps: HashSet<&'static str>,
    /// Each name with its lower case, for the closest match.
    all: Vec<(&'static str, String)>,
}

fn fields() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let mut f = Fields {
            names: HashSet::default(),
            lower: HashMap::default(),
            maps: HashSet::default(),
            all: Vec::new(),
        };
        for line in TEXT.lines().filter(|l| !l.starts_with('#')) {
            let (name, map) = match line.strip_suffix(" map") {
                Some(n) => (n, true),
                None => (line.trim(), false),
            };
            if name.is_empty() {
                continue;
            }
            f.names.insert(name);
            if map {
                f.maps.insert(name);
            }
            let lower = name.to_lowercase();
            f.lower.entry(lower.clone()).or_insert(name);
            f.all.push((name, lower));
        }
        f
    })
}

/// Whether a field's value is a map of user-chosen keys (`labels`,
/// `annotations`, `limits`): what is read from it is a key, not a field.
pub fn is_map(name: &str) -> bool {
    fields().maps.contains(name)
}

/// Whether a name is a known field.
pub fn is_known(name: &str) -> bool {
    fields().names.contains(name)
}

/// The known field an unknown name is a slip of: the same name in another
/// case (`readOnlyRootFileSystem`, the commonest slip in camel case), or,
/// in a name of ten or more letters, one letter added, dropped, changed or
/// swapped (`privilaged`, `allowPrivilegedEscalation`). A plural of a
/// known field (`serviceAccounts`) is not a slip, nor a name with an
/// underscore (custom resources' `cluster_name`; Ward's own fields are
/// known). `None` for known names and names far from every known one:
/// the fields of custom resources (`tlsConfig`, `parentRefs`) are not
/// Kubernetes' and are left alone.
pub fn misspelt(name: &str) -> Option<&'static str> {
    let f = fields();
    if f.names.contains(name) {
        return None;
    }
    let lower = name.to_lowercase();
    if let Some(n) = f.lower.get(&lower) {
        return Some(n);
    }
    let len = lower.chars().count();
    if len < 10 || name.contains('_') {
        return None;
    }
    let plural =
        |a: &str, b: &str| a.strip_suffix('s') == Some(b) || a.strip_suffix("es") == Some(b);
    f.all
        .iter()
        .filter(|(_, l)| l.chars().count().abs_diff(len) <= 1)
        .filter(|(_, l)| !plural(&lower, l) && !plural(l, &lower))
        .find(|(_, l)| strsim::damerau_levenshtein(&lower, l) == 1)
        .map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_of_known_fields_are_caught() {
        for (slip, field) in [
            ("runAsNonroot", "runAsNonRoot"),
            ("readOnlyRootFileSystem", "readOnlyRootFilesystem"),
            ("privilaged", "privileged"),
            ("allowPrivilegedEscalation", "allowPrivilegeEscalation"),
            ("capabilites", "capabilities"),
            ("seccompProfle", "seccompProfile"),
            ("protectionDoamin", "protectionDomain"),
            ("hostNetWork", "hostNetwork"),
            ("serviceAcountName", "serviceAccountName"),
        ] {
            assert_eq!(misspelt(slip), Some(field), "{slip}");
        }
    }

    #[test]
    fn known_fields_and_far_names_are_not_slips() {
        for name in [
            "runAsNonRoot",
            "securityContext",
            "hostUsers",
            "appArmorProfile",
            "containers",
            "metadata",
            // Ward's own documents.
            "instructions",
            "stages",
            "runs_on",
            "container",
            // Keys of maps and names of custom resources.
            "app",
            "cpu",
            "memory",
            "tier",
            "owner",
            "password",
            "environment",
            "replicaCountMax",
            "postgresVersion",
            // Fields of custom resources near Kubernetes ones.
            "tlsConfig",
            "parentRefs",
            "serviceAccounts",
            "cluster_name",
            "authenticator",
            "appVersion",
        ] {
            assert_eq!(misspelt(name), None, "{name}");
        }
        assert!(is_map("labels") && is_map("limits") && !is_map("containers"));
        assert!(is_known("runAsNonRoot") && !is_known("runAsNonroot"));
    }
}
