//! Fields a manifest gives that its Kubernetes type does not have.
//!
//! `runAsNonroot: true` under a container's `securityContext` reads like a
//! hardening setting, but the API server drops a field it does not know
//! (or, under strict field validation, rejects the object), so the
//! container runs as root all the same. The control that checks for it
//! then fails on a manifest that looks right. Ward walks each manifest
//! object of a built-in kind down its API types ([`crate::input::schema`])
//! and warns of each field the type does not have, saying which field was
//! meant when one is a slip away, with a fix that renames it
//! (`ward.input.unknown_field`).
//!
//! A custom resource is walked down the OpenAPI schema of its
//! CustomResourceDefinition when the inputs hold that definition (a chart
//! rendered with its `crds/`). Objects read back from a cluster (they
//! carry `metadata.uid` or `metadata.resourceVersion`) are not walked: the
//! API server has already dropped whatever it did not know. Other kinds,
//! the inside of free-form fields (annotations, ConfigMap data,
//! `IntOrString`, embedded JSON) and the directives of a strategic merge
//! patch (`$patch`) are not checked. With the release the manifests are
//! for named (`--kube-version`), a field that came in a later release is
//! one that release does not have either, and is warned of with the
//! release that brought it. Like the warning on an object defined twice,
//! this is a notice of the `ward.inputs` pack.

use crate::eval::FixOp;
use crate::finding::{Finding, NoticeAt, notice_finding};
use crate::input::schema::{Holds, Release, Schema, TypeId};
use crate::input::{Format, Inputs, Resource};
use crate::value::doc::{Node, NodeRef, Pos};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use ward_lang::hir::Severity;

/// The control id of the warning on a field a type does not have.
pub const CONTROL: &str = "ward.input.unknown_field";

/// One field a manifest gives that its type does not have (at the
/// release named, if one is).
#[derive(Debug)]
pub struct Unknown<'a> {
    /// The field's value.
    pub node: NodeRef<'a>,
    /// The field as written.
    pub field: &'static str,
    /// The type that has no such field: an API type (`SecurityContext`),
    /// or a custom resource's kind and the path to the object
    /// (`Certificate.spec.issuerRef`, as `kubectl explain` writes it).
    pub ty: String,
    /// The field meant, when one is a slip away.
    pub meant: Option<&'static str>,
    /// Whether the object already gives the field meant.
    pub meant_given: bool,
    /// For a field the type has, but not yet in the release the manifests
    /// are for: the release that brought it.
    pub came: Option<Release>,
}

/// The types one run knows: the Kubernetes API's, and those the custom
/// resource definitions among its inputs declare (a chart's `crds/`
/// rendered with the resources that use them), read the first time a
/// resource of a kind the API does not have is walked.
#[derive(Debug)]
pub struct Types<'a> {
    inputs: &'a Inputs,
    release: Option<Release>,
    custom: OnceLock<HashMap<(String, &'a str), NodeRef<'a>>>,
}

/// What a walk over a resource needs: the API's types, and the release the
/// manifests are for, if one is named.
#[derive(Clone, Copy)]
struct Walk {
    schema: &'static Schema,
    release: Option<Release>,
}

impl<'a> Types<'a> {
    /// The types of the inputs, with the Kubernetes release the manifests
    /// are for (`--kube-version`): a field that came in a later release is
    /// one that release does not know either. Without one, a field of any
    /// release is known.
    pub fn of(inputs: &'a Inputs, release: Option<Release>) -> Types<'a> {
        Types {
            inputs,
            release,
            custom: OnceLock::new(),
        }
    }

    /// The fields of a resource that its type does not have, in document
    /// order. None for a kind no type is known for, or an object read back
    /// from a cluster.
    pub fn unknown(&self, r: &'a Resource) -> Vec<Unknown<'a>> {
        let mut out = Vec::new();
        let root = r.root();
        if r.from_cluster() {
            return out;
        }
        let schema = Schema::get();
        let w = Walk {
            schema,
            release: self.release,
        };
        let ty = match r.api_version() {
            "" => schema.kind_alone(r.kind()),
            v => schema.kind(v, r.kind()),
        };
        if let Some(ty) = ty {
            walk(w, ty, root, &mut out);
        } else if let Some(s) = self
            .custom
            .get_or_init(|| definitions(self.inputs))
            .get(&(r.api_version().to_string(), r.kind()))
        {
            walk_custom(w, *s, root, r.kind(), true, &mut out);
        }
        out
    }
}

/// The object schema of each kind and version the custom resource
/// definitions among the inputs declare, by `apiVersion` and `kind`.
/// A definition that keeps unknown fields (`preserveUnknownFields`, the
/// default of `v1beta1`) declares nothing to check against.
fn definitions(inputs: &Inputs) -> HashMap<(String, &str), NodeRef<'_>> {
    let mut out = HashMap::new();
    for r in inputs.resources.iter().filter(|r| {
        r.kind() == "CustomResourceDefinition"
            && r.api_version().starts_with("apiextensions.k8s.io/")
    }) {
        let Some(spec) = r.root().get_str("spec") else {
            continue;
        };
        let keeps = spec
            .get_str("preserveUnknownFields")
            .and_then(|p| p.as_bool());
        let keeps = keeps.unwrap_or(r.api_version() != "apiextensions.k8s.io/v1");
        let group = spec.get_str("group").and_then(|g| g.as_str());
        let kind = spec
            .get_str("names")
            .and_then(|n| n.get_str("kind"))
            .and_then(|k| k.as_str());
        let (Some(group), Some(kind), false) = (group, kind, keeps) else {
            continue;
        };
        let shared = spec
            .get_str("validation")
            .and_then(|v| v.get_str("openAPIV3Schema"));
        let versions = spec.get_str("versions");
        for v in versions.iter().flat_map(NodeRef::items) {
            let schema = v
                .get_str("schema")
                .and_then(|s| s.get_str("openAPIV3Schema"))
                .or(shared);
            if let (Some(name), Some(schema)) = (v.get_str("name").and_then(|n| n.as_str()), schema)
            {
                out.insert((format!("{group}/{name}"), kind), schema);
            }
        }
        // An early `v1beta1` definition names its one version alone.
        let version = spec.get_str("version").and_then(|v| v.as_str());
        if let (None, Some(name), Some(schema)) = (versions, version, shared) {
            out.insert((format!("{group}/{name}"), kind), schema);
        }
    }
    out
}

fn walk<'a>(w: Walk, ty: TypeId, node: NodeRef<'a>, out: &mut Vec<Unknown<'a>>) {
    let Some(t) = w.schema.ty(ty) else { return };
    for (sym, child) in node.entries() {
        let field = sym.as_str();
        let holds = t.field(sym);
        if let (Some(_), Some(release)) = (holds, w.release)
            && let Some(came) = t.since(sym).filter(|came| *came > release)
        {
            out.push(Unknown {
                node: child,
                field,
                ty: t.shown().to_string(),
                meant: None,
                meant_given: false,
                came: Some(came),
            });
            continue;
        }
        match holds {
            // A strategic merge patch's directive (`$patch: delete`,
            // `$retainKeys`), in a patch kustomize applies.
            None if field.starts_with('$') => {}
            None => {
                let meant = meant(|| t.field_names(), field);
                out.push(Unknown {
                    node: child,
                    field,
                    ty: t.shown().to_string(),
                    meant,
                    meant_given: meant.is_some_and(|m| node.get_str(m).is_some()),
                    came: None,
                });
            }
            Some(Holds::One(inner)) => walk(w, inner, child, out),
            Some(Holds::List(inner)) => {
                for item in child.items() {
                    walk(w, inner, item, out);
                }
            }
            Some(Holds::Map(inner)) => {
                for (_, v) in child.entries() {
                    walk(w, inner, v, out);
                }
            }
            Some(Holds::Leaf) => {}
        }
    }
}

/// A custom resource's value against the OpenAPI schema its definition
/// gives: an object's keys must be among its `properties` unless
/// `additionalProperties` or `x-kubernetes-preserve-unknown-fields`
/// admits others, and a list's items follow `items`. An object schema
/// without `properties` is not checked. The `apiVersion`, `kind` and
/// `metadata` of the resource (and of a resource embedded in it) are
/// always known; `metadata` is checked as the API's `ObjectMeta`.
fn walk_custom<'a>(
    w: Walk,
    s: NodeRef<'a>,
    node: NodeRef<'a>,
    at: &str,
    resource: bool,
    out: &mut Vec<Unknown<'a>>,
) {
    let flag = |key: &str| s.get_str(key).and_then(|b| b.as_bool()) == Some(true);
    if matches!(node.kind(), Node::List { .. }) {
        if let Some(items) = s.get_str("items") {
            for item in node.items() {
                walk_custom(w, items, item, at, false, out);
            }
        }
        return;
    }
    let props = s.get_str("properties");
    let more = s.get_str("additionalProperties");
    let keeps = flag("x-kubernetes-preserve-unknown-fields");
    let resource = resource || flag("x-kubernetes-embedded-resource");
    for (sym, child) in node.entries() {
        let field = sym.as_str();
        if resource && matches!(field, "apiVersion" | "kind" | "metadata") {
            if let (true, Some(meta)) = (field == "metadata", w.schema.type_named("V1ObjectMeta")) {
                walk(w, meta, child, out);
            }
            continue;
        }
        if let Some(p) = props.and_then(|p| p.get(sym)) {
            walk_custom(w, p, child, &format!("{at}.{field}"), false, out);
            continue;
        }
        match more {
            Some(m) if m.is_container() => {
                walk_custom(w, m, child, &format!("{at}.{field}"), false, out);
                continue;
            }
            Some(m) if m.as_bool() == Some(true) => continue,
            _ => {}
        }
        let Some(props) = props.filter(|_| !keeps && !field.starts_with('$')) else {
            continue;
        };
        let names = || props.entries().map(|(k, _)| k.as_str());
        let meant = meant(names, field);
        out.push(Unknown {
            node: child,
            field,
            ty: at.to_string(),
            meant,
            meant_given: meant.is_some_and(|m| node.get_str(m).is_some()),
            came: None,
        });
    }
}

/// The field of the type a misspelt one was meant to be: the same letters
/// in another case or with `_` or `-` between words (`run_as_non_root`),
/// else the one nearest by edits (a letter left out, added, changed or two
/// swapped), at most one edit for a name under eight letters and two for a
/// longer one, when no other field is as near.
fn meant<I: Iterator<Item = &'static str>>(
    names: impl Fn() -> I,
    field: &str,
) -> Option<&'static str> {
    let plain = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let wanted = plain(field);
    if let Some(f) = names().find(|f| plain(f) == wanted) {
        return Some(f);
    }
    let most = if field.chars().count() < 8 { 1 } else { 2 };
    let mut best: Option<(usize, &'static str)> = None;
    let mut tied = false;
    for f in names() {
        let d = strsim::damerau_levenshtein(field, f);
        if d > most {
            continue;
        }
        match best {
            Some((b, _)) if d > b => {}
            Some((b, _)) if d == b => tied = true,
            _ => {
                best = Some((d, f));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(_, f)| f)
}

/// The warnings for every manifest of the inputs, one per field its type
/// does not have.
pub fn notices(inputs: &Inputs, release: Option<Release>) -> Vec<Finding> {
    let types = Types::of(inputs, release);
    // Each file's text, read again (when not kept) only if it has a
    // misspelt field, and once however many it has.
    let texts: Vec<OnceLock<Option<Arc<str>>>> =
        inputs.files.iter().map(|_| OnceLock::new()).collect();
    // A folder of manifests can hold thousands: walked on all cores, and
    // reported in load order.
    let each: Vec<Vec<Finding>> = inputs
        .resources
        .par_iter()
        .map(|r| {
            let found = types.unknown(r);
            if found.is_empty() {
                return Vec::new();
            }
            let text = texts
                .get(r.file as usize)
                .and_then(|t| t.get_or_init(|| inputs.text_of(r)).as_deref());
            found
                .iter()
                .map(|u| notice(inputs, r, u, release, text))
                .collect()
        })
        .collect();
    each.into_iter().flatten().collect()
}

/// Where the key of the value at `value` is written, when the text says so
/// plainly: the field, quoted or not, then `:`, then only blanks (and, in
/// YAML, comments and line breaks) up to the value. A misspelt field is
/// then shown where it is misspelt, not at its value (for a map, the line
/// below). None for anything else (a key with escapes, a YAML anchor or
/// tag before the value), and the notice stays at the value.
fn key_at(text: &str, format: Format, value: Pos, key: &str) -> Option<Pos> {
    let (start, offset) = offset_of(text, format, value)?;
    let mut head = text.get(start..offset)?;
    let mut line_start = start;
    // A map or list in block style starts on the line below its key.
    while head.trim().is_empty() {
        if line_start == 0 {
            return None;
        }
        let above = text.get(..line_start)?.strip_suffix('\n')?;
        let above = above.strip_suffix('\r').unwrap_or(above);
        line_start = above.rfind('\n').map_or(0, |i| i + 1);
        head = above.get(line_start..)?;
        if format == Format::Yaml {
            head = uncommented(head);
        }
    }
    let before_colon = head.trim_end().strip_suffix(':')?.trim_end();
    let (name, quote) = match before_colon.chars().last()? {
        q @ ('"' | '\'') => (before_colon.strip_suffix(q)?, Some(q)),
        _ => (before_colon, None),
    };
    let from = name.strip_suffix(key)?;
    let at = match quote {
        Some(q) => from.strip_suffix(q)?.len(),
        None => from.len(),
    };
    // Unquoted, the key starts its line or follows a blank, `{` or `,`.
    if quote.is_none() && !from.is_empty() && !from.ends_with([' ', '\t', '{', ',']) {
        return None;
    }
    let line_text = text.get(line_start..)?;
    let col = match format {
        Format::Json => at + 1,
        _ => line_text.get(..at)?.chars().count() + 1,
    };
    let line = text.get(..line_start)?.matches('\n').count() + 1;
    Some(Pos::new(line, col))
}

/// A YAML line without its comment: from a `#` at its start or after a
/// blank, outside quotes.
fn uncommented(line: &str) -> &str {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') if prev == ' ' || prev == '\t' => return line.get(..i).unwrap_or(line),
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        prev = c;
    }
    line
}

/// The byte offsets of the start of a position's line and of the position
/// itself (columns count bytes in JSON, characters otherwise).
fn offset_of(text: &str, format: Format, at: Pos) -> Option<(usize, usize)> {
    let line = (at.line as usize).checked_sub(1)?;
    let start = if line == 0 {
        0
    } else {
        text.match_indices('\n').nth(line - 1)?.0 + 1
    };
    let rest = text.get(start..)?;
    let col = (at.col as usize).checked_sub(1)?;
    let within = match format {
        Format::Json => col,
        _ => rest.char_indices().nth(col).map_or(rest.len(), |(i, _)| i),
    };
    rest.is_char_boundary(within)
        .then_some((start, start + within))
}

/// What happens to a field the API server does not know.
const DROPPED: &str =
    "drops a field it does not know (or rejects the object under strict field validation)";

/// The warning on one field; `text`, the text of the resource's file, to
/// point at the field's key rather than at its value.
fn notice(
    inputs: &Inputs,
    r: &Resource,
    u: &Unknown<'_>,
    release: Option<Release>,
    text: Option<&str>,
) -> Finding {
    let message = match (u.came, release) {
        (Some(came), Some(release)) => format!(
            "{} has no field `{}` in Kubernetes {release}: it came in {came}. The API server of {release} {DROPPED}, so this setting takes effect only from {came} on",
            u.ty, u.field,
        ),
        _ => {
            let meant = match u.meant {
                Some(m) => format!("; did you mean `{m}`?"),
                None => ".".into(),
            };
            format!(
                "{} has no field `{}`{meant} The API server {DROPPED}, so this setting never takes effect",
                u.ty, u.field,
            )
        }
    };
    let mut at = NoticeAt::node(inputs, r, u.node);
    let value = Pos::new(at.line as usize, at.column as usize);
    let format = inputs.file(r).format;
    if let Some(key) = text.and_then(|t| key_at(t, format, value, u.field)) {
        (at.line, at.column) = (key.line, key.col);
    }
    let fix = rename(&at.pointer, u);
    notice_finding(CONTROL, Severity::Low, message, at, fix)
}

/// The fix: the misspelt field renamed to the one meant, or removed when
/// the object gives that one already. None when no field was meant.
fn rename(pointer: &str, u: &Unknown<'_>) -> Vec<FixOp> {
    let Some(meant) = u.meant else {
        return Vec::new();
    };
    let remove = FixOp {
        op: "remove",
        path: pointer.to_string(),
        value: None,
    };
    if u.meant_given {
        return vec![remove];
    }
    let parent = pointer.rsplit_once('/').map_or("", |(p, _)| p);
    let add = FixOp {
        op: "add",
        path: format!("{parent}/{}", meant.replace('~', "~0").replace('/', "~1")),
        value: Some(std::sync::Arc::new(u.node.to_json())),
    };
    vec![remove, add]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Level;
    use crate::input::LoadOptions;

    fn loaded(text: &str) -> Inputs {
        let mut inputs = Inputs::default();
        inputs.add_text("deploy/app.yaml", text, &LoadOptions::default());
        inputs
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {anyKey: x}
  annotations: {any.example/key: y}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      nodeSelector: {disktype: ssd}
      containers:
      - name: app
        image: web:1
        securityContext:
          runAsNonroot: true
          allowPrivilegeEscalation: false
          capabilities:
            drop: [ALL]
        resources:
          limits: {cpu: 100m}
          requets: {cpu: 50m}
        ports:
        - containerPort: 8080
          protcol: TCP
      volumes:
      - name: conf
        configMap:
          name: web
          itmes:
          - {key: a, path: a}
";

    fn said(inputs: &Inputs) -> Vec<(String, String, Option<&'static str>)> {
        inputs
            .resources
            .iter()
            .flat_map(|r| Types::of(inputs, None).unknown(r))
            .map(|u| (u.node.pointer(), u.ty, u.meant))
            .collect()
    }

    #[test]
    fn each_field_a_type_lacks_is_found_down_lists_and_objects() {
        let inputs = loaded(DEPLOYMENT);
        assert_eq!(
            said(&inputs),
            vec![
                (
                    "/spec/template/spec/containers/0/securityContext/runAsNonroot".into(),
                    "SecurityContext".into(),
                    Some("runAsNonRoot")
                ),
                (
                    "/spec/template/spec/containers/0/resources/requets".into(),
                    "ResourceRequirements".into(),
                    Some("requests")
                ),
                (
                    "/spec/template/spec/containers/0/ports/0/protcol".into(),
                    "ContainerPort".into(),
                    Some("protocol")
                ),
                (
                    "/spec/template/spec/volumes/0/configMap/itmes".into(),
                    "ConfigMapVolumeSource".into(),
                    Some("items")
                ),
            ]
        );
    }

    #[test]
    fn the_warning_names_the_field_meant_and_renames_it() {
        let inputs = loaded(DEPLOYMENT);
        let found = notices(&inputs, None);
        let f = &found[0];
        assert_eq!(&*f.control, CONTROL);
        assert_eq!(&*f.pack, "ward.inputs");
        assert_eq!(f.level, Level::Warn);
        assert_eq!((f.line, f.column), (21, 11));
        assert!(
            f.message
                .starts_with("SecurityContext has no field `runAsNonroot`; did you mean `runAsNonRoot`? The API server drops"),
            "{}",
            f.message
        );
        let ops: Vec<_> = f
            .fix
            .iter()
            .map(|o| (o.op, o.path.as_str(), o.value.as_deref().cloned()))
            .collect();
        assert_eq!(
            ops,
            vec![
                (
                    "remove",
                    "/spec/template/spec/containers/0/securityContext/runAsNonroot",
                    None
                ),
                (
                    "add",
                    "/spec/template/spec/containers/0/securityContext/runAsNonRoot",
                    Some(serde_json::json!(true))
                ),
            ]
        );
        // A list value moves whole.
        assert_eq!(
            found[3].fix[1].value.as_deref(),
            Some(&serde_json::json!([{"key": "a", "path": "a"}]))
        );
    }

    #[test]
    fn a_warning_points_at_the_misspelt_key_not_at_its_value() {
        let at = |inputs: &Inputs| -> Vec<(u32, u32)> {
            notices(inputs, None)
                .iter()
                .map(|f| (f.line, f.column))
                .collect()
        };
        // A scalar, a map on the same line, a list on the lines below.
        assert_eq!(
            at(&loaded(DEPLOYMENT)),
            vec![(21, 11), (27, 11), (30, 11), (35, 11)]
        );
        // The same in JSON, columns in bytes, at the key's opening quote.
        let mut json = Inputs::default();
        json.add_text(
            "pod.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"é\"},\n \"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"a:1\",\n   \"securityContxt\": {\n     \"privileged\": false}}]}}\n",
            &LoadOptions::default(),
        );
        assert_eq!(at(&json), vec![(4, 4)]);
    }

    #[test]
    fn a_key_is_found_through_quotes_comments_and_blank_lines_or_not_at_all() {
        let yaml = |text: &str, line: u32, col: u32, key: &str| {
            key_at(text, Format::Yaml, Pos { line, col }, key).map(|p| (p.line, p.col))
        };
        let text = "a:\n  \"séc\": # why: it is\n\n    # note\n    x: 1\n  'b': 2\n  c: &x 3\n  d: !!str 4\n  - e: 5\n";
        assert_eq!(yaml(text, 5, 5, "séc"), Some((2, 3)));
        assert_eq!(yaml(text, 6, 8, "b"), Some((6, 3)));
        // An anchor or a tag stands between the key and the value.
        assert_eq!(yaml(text, 7, 9, "c"), None);
        assert_eq!(yaml(text, 8, 12, "d"), None);
        assert_eq!(yaml(text, 9, 8, "e"), Some((9, 5)));
        // Not the key asked about, or part of a longer one.
        assert_eq!(yaml(text, 6, 8, "c"), None);
        assert_eq!(yaml("xb: 1\n", 1, 5, "b"), None);
        // The first line, blank above it, or a position past the text.
        assert_eq!(yaml("  \nx: 1\n", 1, 2, "x"), None);
        assert_eq!(yaml("x: 1\n", 9, 1, "x"), None);
    }

    #[test]
    fn a_field_given_twice_is_removed_and_one_with_nothing_near_is_only_named() {
        let inputs = loaded(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    securityContext:\n      runAsNonRoot: true\n      RunAsNonRoot: true\n      hardened: yes\n",
        );
        let found = notices(&inputs, None);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].fix.len(), 1);
        assert_eq!(found[0].fix[0].op, "remove");
        assert!(
            found[1]
                .message
                .starts_with("SecurityContext has no field `hardened`. The API server"),
            "{}",
            found[1].message
        );
        assert!(found[1].fix.is_empty());
    }

    #[test]
    fn objects_from_a_cluster_custom_kinds_and_free_form_fields_are_not_walked() {
        let inputs = loaded(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: live\n  uid: 1b2c\nspec:\n  bogus: 1\n---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: k\nspec:\n  template: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  anything: here\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  strategy:\n    rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gone\n$patch: delete\n",
        );
        assert_eq!(said(&inputs), Vec::new());
    }

    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert.example
spec:
  group: cert.example
  names: {kind: Certificate, plural: certificates}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              secretName: {type: string}
              dnsNames: {type: array, items: {type: string}}
              issuerRef:
                type: object
                properties:
                  name: {type: string}
                  kind: {type: string}
              usages:
                type: array
                items:
                  type: object
                  properties:
                    usage: {type: string}
              keys:
                type: object
                additionalProperties:
                  type: object
                  properties:
                    size: {type: integer}
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  data: {type: object, additionalProperties: {type: string}}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
";

    #[test]
    fn a_custom_resource_is_checked_against_its_definition_among_the_inputs() {
        let cert = "apiVersion: cert.example/v1
kind: Certificate
metadata:
  name: web
  lables: {app: web}
spec:
  secretName: web-tls
  dnsNames: [web.example]
  issuerRef: {nmae: letsencrypt, kind: ClusterIssuer}
  usages:
  - {usage: server, priority: 1}
  keys:
    rsa: {size: 2048, sizee: 1}
  extra: {anything: goes}
  template:
    apiVersion: v1
    kind: Secret
    metadata: {name: x}
    data: {a: b}
    datta: {}
  secretNmae: typo
status:
  whatever: 1
";
        let inputs = loaded(&format!("{CRD}---\n{cert}"));
        assert_eq!(
            said(&inputs),
            vec![
                (
                    "/metadata/lables".into(),
                    "ObjectMeta".into(),
                    Some("labels")
                ),
                (
                    "/spec/issuerRef/nmae".into(),
                    "Certificate.spec.issuerRef".into(),
                    Some("name")
                ),
                (
                    "/spec/usages/0/priority".into(),
                    "Certificate.spec.usages".into(),
                    None
                ),
                (
                    "/spec/keys/rsa/sizee".into(),
                    "Certificate.spec.keys.rsa".into(),
                    Some("size")
                ),
                (
                    "/spec/template/datta".into(),
                    "Certificate.spec.template".into(),
                    Some("data")
                ),
                (
                    "/spec/secretNmae".into(),
                    "Certificate.spec".into(),
                    Some("secretName")
                ),
            ]
        );
        // Without its definition, or with one that keeps unknown fields
        // (the `v1beta1` default), the resource is not checked.
        assert_eq!(said(&loaded(cert)), Vec::new());
        let keeps = CRD.replace("apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1");
        assert_eq!(said(&loaded(&format!("{keeps}---\n{cert}"))), Vec::new());
        // An early `v1beta1` definition with `version` and `validation`.
        let early = "apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert.example
spec:
  group: cert.example
  version: v1
  names: {kind: Certificate}
  preserveUnknownFields: false
  validation:
    openAPIV3Schema:
      type: object
      properties:
        spec: {type: object, properties: {secretName: {type: string}}}
";
        let small = "apiVersion: cert.example/v1\nkind: Certificate\nmetadata: {name: w}\nspec: {secretNmae: x}\n";
        assert_eq!(
            said(&loaded(&format!("{early}---\n{small}"))),
            vec![(
                "/spec/secretNmae".into(),
                "Certificate.spec".into(),
                Some("secretName")
            )]
        );
    }

    #[test]
    fn at_a_named_release_a_field_it_does_not_have_yet_is_named_with_its_release() {
        let inputs = loaded(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostUsers: false\n  containers:\n  - name: a\n    restartPolicy: Always\n    securityContext:\n      appArmorProfile: {type: RuntimeDefault}\n      seccompProfile: {type: RuntimeDefault}\n",
        );
        let at = |v| {
            let release = Release::parse(v);
            let types = Types::of(&inputs, release);
            inputs
                .resources
                .iter()
                .flat_map(|r| types.unknown(r))
                .map(|u| (u.node.pointer(), u.came.map(|c| c.to_string())))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            at("1.24"),
            vec![
                ("/spec/hostUsers".to_string(), Some("1.25".to_string())),
                (
                    "/spec/containers/0/restartPolicy".into(),
                    Some("1.28".into())
                ),
                (
                    "/spec/containers/0/securityContext/appArmorProfile".into(),
                    Some("1.30".into())
                ),
            ]
        );
        assert_eq!(at("1.30"), Vec::new());
        assert_eq!(at("1.18").len(), 4, "seccompProfile came in 1.19");
        let found = notices(&inputs, Release::parse("1.29"));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.starts_with("SecurityContext has no field `appArmorProfile` in Kubernetes 1.29: it came in 1.30."),
            "{}",
            found[0].message
        );
        assert!(found[0].fix.is_empty());
        assert!(notices(&inputs, None).is_empty());
    }

    #[test]
    fn a_snake_case_field_is_taken_for_its_camel_case_name() {
        let t = Schema::get();
        let sc = t
            .kind("v1", "Pod")
            .and_then(|p| t.ty(p))
            .and_then(|p| match p.field_named("spec") {
                Some(Holds::One(s)) => t.ty(s),
                _ => None,
            })
            .unwrap();
        let names = || sc.field_names();
        assert_eq!(
            meant(names, "service_account_name"),
            Some("serviceAccountName")
        );
        assert_eq!(meant(names, "hostnetwork"), Some("hostNetwork"));
        assert_eq!(meant(names, "zzz"), None);
    }
}
