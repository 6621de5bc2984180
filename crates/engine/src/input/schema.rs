//! The fields of the Kubernetes API types, the type of each kind, and the
//! releases that serve each API version.
//!
//! Generated into `k8s_schema.txt` by `scripts/gen-k8s-fields.py` from the
//! official Python client (the models of three releases, a field of any of
//! them known; the API modules and models of every release from 1.9 for
//! what each release serves and when each field came), read the first
//! time a manifest is checked against it. Only what a walk over a manifest
//! needs is kept: each type's field names, the release that brought a
//! field after its type, and, for a field that holds another API type
//! (alone, in a list or in a map), which one. Everything else (strings,
//! numbers, `IntOrString`, free-form JSON) is a leaf the walk does not
//! enter.

use crate::value::intern::{Sym, intern};
use std::sync::OnceLock;

const TEXT: &str = include_str!("k8s_schema.txt");

/// What a field holds, as far as checking its keys goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holds {
    /// A value whose keys are not checked.
    Leaf,
    /// An object of the type.
    One(TypeId),
    /// A list of objects of the type.
    List(TypeId),
    /// A map of user keys to objects of the type.
    Map(TypeId),
}

/// An index into [`Schema::types`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeId(u32);

/// One API type: its name and its fields, read from its line the first
/// time a walk meets the type (a manifest meets a few dozen types of the
/// thousand or so).
#[derive(Debug)]
pub struct Type {
    pub name: &'static str,
    text: &'static str,
    fields: OnceLock<Vec<Field>>,
}

/// One field of a type.
#[derive(Clone, Copy, Debug)]
struct Field {
    /// Its name as a document's keys are kept, so that a walk compares
    /// numbers, not strings.
    sym: Sym,
    name: &'static str,
    holds: Holds,
    /// The release that brought it, when it came after its type.
    since: Option<Release>,
}

impl Type {
    fn new(name: &'static str, text: &'static str) -> Type {
        Type {
            name,
            text,
            fields: OnceLock::new(),
        }
    }

    /// Its fields, sorted by name: each word of its line is `NAME`,
    /// `NAME=T`, `NAME=[T` or `NAME={T`, with `@1.30` after it for a field
    /// that came after its type.
    fn fields(&self) -> &[Field] {
        self.fields.get_or_init(|| {
            let mut out: Vec<Field> = self
                .text
                .split_ascii_whitespace()
                .map(|w| {
                    let (w, since) = match w.split_once('@') {
                        Some((w, r)) => (w, Release::parse(r)),
                        None => (w, None),
                    };
                    let (name, spec) = w.split_once('=').unwrap_or((w, ""));
                    let (make, ty): (fn(TypeId) -> Holds, &str) = match spec.as_bytes().first() {
                        Some(b'[') => (Holds::List, spec.get(1..).unwrap_or_default()),
                        Some(b'{') => (Holds::Map, spec.get(1..).unwrap_or_default()),
                        _ => (Holds::One, spec),
                    };
                    let holds = match spec {
                        "" => Holds::Leaf,
                        _ => Schema::get().type_named(ty).map_or(Holds::Leaf, make),
                    };
                    Field {
                        sym: intern(name),
                        name,
                        holds,
                        since,
                    }
                })
                .collect();
            out.sort_by_key(|f| f.sym);
            out
        })
    }

    fn find(&self, key: Sym) -> Option<&Field> {
        let fields = self.fields();
        let i = fields.binary_search_by_key(&key, |f| f.sym).ok()?;
        fields.get(i)
    }

    /// The Kubernetes release that brought the field (a document's key),
    /// when it came after its type did.
    pub fn since(&self, key: Sym) -> Option<Release> {
        self.find(key)?.since
    }

    /// What the field (a document's key) holds; `None` when the type has
    /// no such field.
    pub fn field(&self, key: Sym) -> Option<Holds> {
        self.find(key).map(|f| f.holds)
    }

    /// [`Self::field`] by name.
    pub fn field_named(&self, name: &str) -> Option<Holds> {
        self.field(intern(name))
    }

    /// The names of its fields.
    pub fn field_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields().iter().map(|f| f.name)
    }

    /// The name people know it by: the client's version prefix removed
    /// (`V1SecurityContext` is `SecurityContext`, `CoreV1ResourceClaim`
    /// is `ResourceClaim`).
    pub fn shown(&self) -> &'static str {
        let bytes = self.name.as_bytes();
        // The first capital `V` followed by a digit begins the version.
        let start = (0..bytes.len().saturating_sub(1)).find(|&i| {
            bytes.get(i) == Some(&b'V') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        });
        let Some(start) = start else {
            return self.name;
        };
        let rest = self.name.get(start + 1..).unwrap_or_default();
        // Past the version (`1`, `1beta1`, `2alpha1`) to the next capital.
        match rest.find(|c: char| c.is_ascii_uppercase()) {
            Some(i) => rest.get(i..).unwrap_or(self.name),
            None => self.name,
        }
    }
}

/// The types by name, the type of each kind by `apiVersion` and `kind`,
/// and the Kubernetes releases that serve each kind at each API version.
#[derive(Debug)]
pub struct Schema {
    types: Vec<Type>,
    kinds: Vec<(ApiKind, &'static str)>,
    served: Vec<(ApiKind, (Release, Release))>,
    /// The newest release Ward knows.
    newest: Option<Release>,
}

/// How Kubernetes ranks the versions of an API: a stable one above a beta
/// above an alpha, then the higher version (`v2` above `v1`, `v1beta2`
/// above `v1beta1`); the group breaks a tie.
fn priority(api_version: &str) -> (u8, u32, u32, &str) {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let digits = |s: &str| -> u32 {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0)
    };
    let v = version.strip_prefix('v').unwrap_or(version);
    let major = digits(v);
    let rest = v.trim_start_matches(|c: char| c.is_ascii_digit());
    match (rest.strip_prefix("beta"), rest.strip_prefix("alpha")) {
        (Some(n), _) => (1, major, digits(n), group),
        (_, Some(n)) => (0, major, digits(n), group),
        _ => (2, major, 0, group),
    }
}

/// An `apiVersion` and a `kind`.
type ApiKind = (&'static str, &'static str);

/// A Kubernetes minor release, `1.25`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release(u32, u32);

impl Release {
    /// `1.28`, or `v1.28`.
    pub fn parse(s: &str) -> Option<Release> {
        let (major, minor) = s.strip_prefix('v').unwrap_or(s).split_once('.')?;
        Some(Release(major.parse().ok()?, minor.parse().ok()?))
    }
}

impl std::fmt::Display for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// An API version of a kind that a Kubernetes release does not serve: no
/// longer, or not yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unserved {
    /// The first release that served it.
    pub first: Release,
    /// The last release that served it.
    pub last: Release,
    /// The release asked about.
    pub at: Release,
    /// The API version that release serves the kind at (the one
    /// Kubernetes ranks highest: stable, then beta, then alpha), if any.
    pub instead: Option<&'static str>,
}

impl Schema {
    /// The schema Ward ships, read on first use.
    pub fn get() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(|| Schema::parse(TEXT))
    }

    /// The type of a kind's objects, when the API has the kind.
    pub fn kind(&self, api_version: &str, kind: &str) -> Option<TypeId> {
        let i = self
            .kinds
            .binary_search_by(|(k, _)| (k.0, k.1).cmp(&(api_version, kind)))
            .ok()?;
        self.type_named(self.kinds.get(i)?.1)
    }

    /// The newest Kubernetes release Ward knows.
    pub fn newest(&self) -> Option<Release> {
        self.newest
    }

    /// Whether a Kubernetes release (by default the newest Ward knows)
    /// does not serve this API version of the kind: no longer, or not yet.
    /// `None` when it does, and for a kind and version no release had; a
    /// release newer than the newest is read as the newest.
    pub fn unserved(&self, api_version: &str, kind: &str, at: Option<Release>) -> Option<Unserved> {
        let newest = self.newest()?;
        let at = at.map_or(newest, |a| a.min(newest));
        let i = self
            .served
            .binary_search_by(|(k, _)| (k.0, k.1).cmp(&(api_version, kind)))
            .ok()?;
        let (_, (first, last)) = self.served.get(i)?;
        if (*first..=*last).contains(&at) {
            return None;
        }
        let instead = self
            .served
            .iter()
            .filter(|((_, k), (first, l))| *k == kind && *first <= at && *l >= at)
            .map(|((v, _), _)| *v)
            .max_by_key(|v| priority(v));
        Some(Unserved {
            first: *first,
            last: *last,
            at,
            instead,
        })
    }

    /// The type of a kind given without its `apiVersion` (as a policy
    /// test's `given` often is): of its API versions, the one Kubernetes
    /// ranks highest (`autoscaling/v2` before `autoscaling/v1`).
    pub fn kind_alone(&self, kind: &str) -> Option<TypeId> {
        let ((_, _), ty) = self
            .kinds
            .iter()
            .filter(|((_, k), _)| *k == kind)
            .max_by_key(|((v, _), _)| priority(v))?;
        self.type_named(ty)
    }

    pub fn ty(&self, id: TypeId) -> Option<&Type> {
        self.types.get(id.0 as usize)
    }

    /// The type with this name among the client's models (`V1ObjectMeta`).
    pub fn type_named(&self, name: &str) -> Option<TypeId> {
        let i = self.types.binary_search_by(|t| t.name.cmp(name)).ok()?;
        u32::try_from(i).ok().map(TypeId)
    }

    /// Reads the generated text: each line is only cut at its first space
    /// here. A line it cannot make sense of is left out: the file is
    /// Ward's own, and a test reads every line of it.
    fn parse(text: &'static str) -> Schema {
        let mut types = Vec::new();
        let mut kinds = Vec::new();
        let mut served = Vec::new();
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some(span) = l.strip_prefix("~ ") {
                let mut w = span.split_ascii_whitespace();
                if let (Some(v), Some(k), Some(first), Some(last)) =
                    (w.next(), w.next(), w.next(), w.next())
                    && let (Some(first), Some(last)) = (Release::parse(first), Release::parse(last))
                {
                    served.push(((v, k), (first, last)));
                }
            } else if let Some(kind) = l.strip_prefix("= ") {
                let mut w = kind.split_ascii_whitespace();
                if let (Some(v), Some(k), Some(t)) = (w.next(), w.next(), w.next()) {
                    kinds.push(((v, k), t));
                }
            } else if let Some(name) = l.split_ascii_whitespace().next() {
                let fields = l.get(name.len()..).unwrap_or_default();
                types.push(Type::new(name, fields));
            }
        }
        types.sort_by(|a, b| a.name.cmp(b.name));
        kinds.sort_unstable();
        served.sort_unstable();
        let newest = served.iter().map(|(_, (_, last))| *last).max();
        Schema {
            types,
            kinds,
            served,
            newest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_shipped_schema_is_read() {
        let s = Schema::get();
        let type_lines = TEXT
            .lines()
            .filter(|l| !l.starts_with(['#', '=', '~']) && !l.is_empty())
            .count();
        assert_eq!(s.types.len(), type_lines);
        let kind_lines = TEXT.lines().filter(|l| l.starts_with("= ")).count();
        assert_eq!(s.kinds.len(), kind_lines);
        let served_lines = TEXT.lines().filter(|l| l.starts_with("~ ")).count();
        assert_eq!(s.served.len(), served_lines);
        // Every field that names a type names one the file defines.
        for l in TEXT
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('='))
        {
            for w in l.split_whitespace().skip(1) {
                let w = w.split_once('@').map_or(w, |(w, _)| w);
                if let Some((f, spec)) = w.split_once('=') {
                    let name = spec.trim_start_matches(['[', '{']);
                    assert!(
                        s.types.iter().any(|t| t.name == name),
                        "{l}: field {f} holds unknown type {name}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_pod_spec_is_found_from_its_kind_down() {
        let s = Schema::get();
        let pod = s.kind("v1", "Pod").and_then(|id| s.ty(id)).unwrap();
        assert_eq!(pod.shown(), "Pod");
        let Some(Holds::One(spec)) = pod.field_named("spec") else {
            panic!("Pod.spec is a PodSpec")
        };
        let spec = s.ty(spec).unwrap();
        let Some(Holds::List(c)) = spec.field_named("containers") else {
            panic!("PodSpec.containers is a list of Container")
        };
        let Some(Holds::One(sc)) = s.ty(c).unwrap().field_named("securityContext") else {
            panic!("Container.securityContext is a SecurityContext")
        };
        let sc = s.ty(sc).unwrap();
        assert_eq!(sc.shown(), "SecurityContext");
        assert_eq!(sc.field_named("runAsNonRoot"), Some(Holds::Leaf));
        assert_eq!(sc.field_named("runAsNonroot"), None);
        // Fields newer than their type say which release brought them.
        assert!(matches!(
            sc.field_named("appArmorProfile"),
            Some(Holds::One(_))
        ));
        assert_eq!(sc.since(intern("appArmorProfile")), Release::parse("1.30"));
        assert_eq!(sc.since(intern("runAsNonRoot")), None);
        assert!(sc.field_names().any(|f| f == "appArmorProfile"));
        assert_eq!(spec.field_named("nodeSelector"), Some(Holds::Leaf));
        assert!(matches!(spec.field_named("overhead"), Some(Holds::Leaf)));
        // Kinds are told apart by API group: a Knative Service is not one.
        assert!(s.kind("apps/v1", "Deployment").is_some());
        assert!(s.kind("serving.knative.dev/v1", "Service").is_none());
        // Without its API version, a kind is read at its newest stable one.
        let name = |id: Option<TypeId>| id.and_then(|id| s.ty(id)).map(|t| t.name);
        assert_eq!(name(s.kind_alone("CronJob")), Some("V1CronJob"));
        assert_eq!(
            name(s.kind_alone("HorizontalPodAutoscaler")),
            Some("V2HorizontalPodAutoscaler")
        );
        assert_eq!(name(s.kind_alone("Pod")), Some("V1Pod"));
        assert_eq!(name(s.kind_alone("Widget")), None);
    }

    #[test]
    fn api_versions_a_release_does_not_serve_are_known_with_what_it_serves_instead() {
        let s = Schema::get();
        let r = |v, k| {
            s.unserved(v, k, None)
                .map(|r| (r.last.to_string(), r.instead))
        };
        assert_eq!(
            r("extensions/v1beta1", "Ingress"),
            Some(("1.21".into(), Some("networking.k8s.io/v1")))
        );
        assert_eq!(
            r("batch/v1beta1", "CronJob"),
            Some(("1.24".into(), Some("batch/v1")))
        );
        assert_eq!(
            r("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
            Some(("1.25".into(), Some("autoscaling/v2")))
        );
        assert_eq!(
            r("policy/v1beta1", "PodSecurityPolicy"),
            Some(("1.24".into(), None))
        );
        assert_eq!(r("apps/v1", "Deployment"), None);
        assert_eq!(r("cert.example/v1", "Certificate"), None);
        assert_eq!(
            s.unserved("batch/v1beta1", "CronJob", None)
                .map(|r| r.at.to_string()),
            Some("1.37".into())
        );
        // At a chosen release: still served at 1.24, gone at 1.25, and at
        // 1.22 an Ingress moves to the version 1.22 serves.
        let at = Release::parse;
        assert_eq!(s.unserved("batch/v1beta1", "CronJob", at("1.24")), None);
        assert!(
            s.unserved("batch/v1beta1", "CronJob", at("v1.25"))
                .is_some()
        );
        assert_eq!(
            s.unserved("extensions/v1beta1", "Ingress", at("1.22"))
                .and_then(|r| r.instead),
            Some("networking.k8s.io/v1")
        );
        assert_eq!(
            s.unserved("autoscaling/v2beta1", "HorizontalPodAutoscaler", at("1.25"))
                .and_then(|r| r.instead),
            Some("autoscaling/v2")
        );
        assert_eq!(
            s.unserved("batch/v1beta1", "CronJob", at("1.99"))
                .map(|r| r.at),
            at("1.37")
        );
        // Not yet served: `batch/v1` CronJob came in 1.21.
        let early = s.unserved("batch/v1", "CronJob", at("1.20"));
        assert_eq!(early.map(|r| r.first.to_string()), Some("1.21".into()));
        assert_eq!(early.and_then(|r| r.instead), Some("batch/v1beta1"));
    }

    #[test]
    fn api_versions_rank_stable_then_beta_then_alpha() {
        let mut vs = [
            "batch/v2alpha1",
            "v1",
            "batch/v1beta1",
            "autoscaling/v2",
            "x/v1beta2",
        ];
        vs.sort_by_key(|v| std::cmp::Reverse(priority(v)));
        assert_eq!(
            vs,
            [
                "autoscaling/v2",
                "v1",
                "x/v1beta2",
                "batch/v1beta1",
                "batch/v2alpha1"
            ]
        );
    }

    #[test]
    fn names_are_shown_without_the_clients_version_prefix() {
        let t = |name| Type::new(name, "");
        assert_eq!(t("V1SecurityContext").shown(), "SecurityContext");
        assert_eq!(t("V1beta1CronJob").shown(), "CronJob");
        assert_eq!(t("V2alpha1CronJob").shown(), "CronJob");
        assert_eq!(t("CoreV1ResourceClaim").shown(), "ResourceClaim");
        assert_eq!(t("V1VolumeV2").shown(), "VolumeV2");
        assert_eq!(t("Plain").shown(), "Plain");
    }
}
