//! All loaded resources, indexed for `resources(...)` queries.
//!
//! Indexes by kind, kind and namespace, name and owner uid make cross-resource
//! rules ("every Deployment has a PodDisruptionBudget") cost a lookup per
//! resource rather than a scan, and behave the same on a folder of manifests
//! and on a cluster export. A missing namespace and `default` are the same
//! namespace: manifests without one land in the namespace they are applied to,
//! which is `default` unless said otherwise.

use crate::input::Resource;
use crate::value::doc::NodeRef;
use crate::value::intern::{Sym, lookup};
use crate::value::val::Val;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;
use std::sync::OnceLock;

/// The resources under one key, in load order: most names and owners have
/// one or two, kept inline.
type Ids = SmallVec<[u32; 2]>;

#[derive(Debug, Default)]
pub struct Inventory<'a> {
    pub resources: Vec<&'a Resource>,
    /// Each resource's kind, namespace and name, as the indexes hold them:
    /// a query checks a candidate's fields here, not in its document.
    keys: Vec<Keys<'a>>,
    by_kind: HashMap<&'a str, Ids>,
    by_kind_ns: HashMap<(&'a str, &'a str), Ids>,
    by_kind_name: HashMap<(&'a str, &'a str), Ids>,
    /// The indexes few queries use are made the first time one asks: the
    /// shipped packs never query by name alone or by owner, and a finding
    /// seldom points into another resource.
    by_name: OnceLock<HashMap<&'a str, Ids>>,
    by_owner: OnceLock<HashMap<&'a str, Ids>>,
    /// Which resource a document is, by the document's address.
    by_doc: OnceLock<HashMap<usize, u32>>,
}

/// What a `resources(...)` call asks for; `None` places no constraint.
#[derive(Debug, Default)]
pub struct Query<'q, 'a> {
    pub kind: Option<&'q str>,
    pub namespace: Option<&'q str>,
    pub name: Option<&'q str>,
    pub api_version: Option<&'q str>,
    pub labels: Option<&'q Val<'a>>,
    pub selector: Option<&'q Val<'a>>,
    pub owner: Option<&'q str>,
}

/// What the indexes made up front need of one resource.
#[derive(Debug)]
struct Keys<'a> {
    kind: &'a str,
    ns: &'a str,
    name: Option<&'a str>,
}

/// The keys [`Keys::of`] reads, looked up once rather than per resource
/// (`None`: no document has the key).
struct Names {
    kind: Option<Sym>,
    metadata: Option<Sym>,
    namespace: Option<Sym>,
    name: Option<Sym>,
    owners: Option<Sym>,
    uid: Option<Sym>,
}

impl Names {
    fn new() -> Names {
        Names {
            kind: lookup("kind"),
            metadata: lookup("metadata"),
            namespace: lookup("namespace"),
            name: lookup("name"),
            owners: lookup("ownerReferences"),
            uid: lookup("uid"),
        }
    }
}

/// The string at `key` of an object node.
fn str_of<'a>(n: Option<NodeRef<'a>>, key: Option<Sym>) -> Option<&'a str> {
    n?.get(key?)?.as_str()
}

impl<'a> Keys<'a> {
    fn of(r: &'a Resource, names: &Names) -> Keys<'a> {
        let root = r.root();
        let meta = names.metadata.and_then(|m| root.get(m));
        Keys {
            kind: str_of(Some(root), names.kind).unwrap_or(""),
            ns: norm_ns(str_of(meta, names.namespace).unwrap_or("")),
            name: str_of(meta, names.name),
        }
    }
}

/// The uids of a resource's owners (`metadata.ownerReferences`).
fn owners_of<'a>(r: &'a Resource, names: &Names) -> SmallVec<[&'a str; 1]> {
    let meta = names.metadata.and_then(|m| r.root().get(m));
    names
        .owners
        .and_then(|o| meta?.get(o))
        .map(|owners| {
            owners
                .items()
                .filter_map(|o| str_of(Some(o), names.uid))
                .collect()
        })
        .unwrap_or_default()
}

/// Which of a query's fields every candidate from an index already has.
#[derive(Clone, Copy, Debug, Default)]
struct Known {
    kind: bool,
    namespace: bool,
    name: bool,
}

/// An empty index with room for `n` keys.
fn with_capacity<K, V>(n: usize) -> HashMap<K, V> {
    HashMap::with_capacity_and_hasher(n, Default::default())
}

/// The namespace used for matching: empty means `default`.
pub fn norm_ns(ns: &str) -> &str {
    if ns.is_empty() { "default" } else { ns }
}

impl<'a> Inventory<'a> {
    pub fn new(resources: impl IntoIterator<Item = &'a Resource>) -> Inventory<'a> {
        let resources: Vec<&'a Resource> = resources.into_iter().collect();
        // Reading the keys touches every document, which on a large export
        // is mostly waiting for memory: done on all cores.
        let names = Names::new();
        let keys: Vec<Keys<'a>> = resources.par_iter().map(|r| Keys::of(r, &names)).collect();
        let n = resources.len();
        // Then each index is filled in load order, the two by kind on one
        // core and the one by kind and name on the other.
        let ((by_kind, by_kind_ns), by_kind_name) = rayon::join(
            || {
                let mut by_kind: HashMap<&'a str, Ids> = HashMap::default();
                let mut by_kind_ns: HashMap<(&'a str, &'a str), Ids> = HashMap::default();
                for (i, k) in keys.iter().enumerate() {
                    by_kind.entry(k.kind).or_default().push(i as u32);
                    by_kind_ns.entry((k.kind, k.ns)).or_default().push(i as u32);
                }
                (by_kind, by_kind_ns)
            },
            || {
                let mut by_kind_name: HashMap<(&'a str, &'a str), Ids> = with_capacity(n);
                for (i, k) in keys.iter().enumerate() {
                    if let Some(name) = k.name {
                        by_kind_name
                            .entry((k.kind, name))
                            .or_default()
                            .push(i as u32);
                    }
                }
                by_kind_name
            },
        );
        Inventory {
            resources,
            keys,
            by_kind,
            by_kind_ns,
            by_kind_name,
            by_name: OnceLock::new(),
            by_owner: OnceLock::new(),
            by_doc: OnceLock::new(),
        }
    }

    /// Resources by `metadata.name`, made the first time a query asks.
    fn by_name(&self) -> &HashMap<&'a str, Ids> {
        self.by_name.get_or_init(|| {
            let mut by_name: HashMap<&'a str, Ids> = with_capacity(self.keys.len());
            for (i, k) in self.keys.iter().enumerate() {
                if let Some(name) = k.name {
                    by_name.entry(name).or_default().push(i as u32);
                }
            }
            by_name
        })
    }

    /// Resources by the uid of each of their owners, made the first time a
    /// query asks.
    fn by_owner(&self) -> &HashMap<&'a str, Ids> {
        self.by_owner.get_or_init(|| {
            let names = Names::new();
            let mut by_owner: HashMap<&'a str, Ids> = HashMap::default();
            for (i, r) in self.resources.iter().enumerate() {
                for uid in owners_of(r, &names) {
                    by_owner.entry(uid).or_default().push(i as u32);
                }
            }
            by_owner
        })
    }

    /// Resources by their document's address, made the first time a
    /// finding points into another resource.
    fn by_doc(&self) -> &HashMap<usize, u32> {
        self.by_doc.get_or_init(|| {
            self.resources
                .iter()
                .enumerate()
                .map(|(i, r)| (std::ptr::from_ref(&r.doc) as usize, i as u32))
                .collect()
        })
    }

    /// The resources that define the same object, in groups of two or
    /// more in load order, the groups in the order of their first. The
    /// same object is the same kind, API group, namespace and name;
    /// applying two definitions keeps only what is applied last. Ward's
    /// own documents (`ward.dev/...`: Dockerfiles, pipelines, folders) and
    /// objects without a name are never the same object.
    pub fn duplicates(&self) -> Vec<Vec<u32>> {
        let group = |i: u32| {
            let v = self.get(i).map(|r| r.api_version()).unwrap_or("");
            v.rsplit_once('/').map_or("", |(g, _)| g)
        };
        let mut out: Vec<Vec<u32>> = Vec::new();
        for ids in self.by_kind_name.values().filter(|ids| ids.len() > 1) {
            // Few names repeat, and then seldom more than twice: each
            // definition joins the group of the first it matches.
            let mut groups: Vec<Vec<u32>> = Vec::new();
            for &i in ids.iter().filter(|&&i| group(i) != "ward.dev") {
                let ns = self.keys.get(i as usize).map(|k| k.ns);
                let same = groups.iter_mut().find(|g| {
                    g.first().is_some_and(|&j| {
                        self.keys.get(j as usize).map(|k| k.ns) == ns && group(j) == group(i)
                    })
                });
                match same {
                    Some(g) => g.push(i),
                    None => groups.push(vec![i]),
                }
            }
            out.extend(groups.into_iter().filter(|g| g.len() > 1));
        }
        out.sort_unstable_by_key(|g| g.first().copied());
        out
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    pub fn get(&self, i: u32) -> Option<&'a Resource> {
        self.resources.get(i as usize).copied()
    }

    /// The resource a document node belongs to.
    pub fn owner_of(&self, doc: &crate::value::doc::Doc) -> Option<&'a Resource> {
        let i = self.by_doc().get(&(std::ptr::from_ref(doc) as usize))?;
        self.get(*i)
    }

    /// The resources a query selects, in load order.
    pub fn query(&self, q: &Query<'_, 'a>) -> Vec<NodeRef<'a>> {
        let ns = q.namespace.map(norm_ns);
        // The candidates, and what the index they come from already holds
        // of each: those fields are not read again. (Every resource has a
        // kind that is a non-empty string; documents without one are
        // skipped when loaded.)
        let (candidates, known): (Option<&Ids>, Known) = match (q.kind, ns, q.owner, q.name) {
            (_, _, Some(owner), _) => (self.by_owner().get(owner), Known::default()),
            (Some(k), _, _, Some(name)) => (
                self.by_kind_name.get(&(k, name)),
                Known {
                    kind: true,
                    name: true,
                    ..Known::default()
                },
            ),
            (Some(k), Some(n), _, _) => (
                self.by_kind_ns.get(&(k, n)),
                Known {
                    kind: true,
                    namespace: true,
                    ..Known::default()
                },
            ),
            (Some(k), None, _, _) => (
                self.by_kind.get(k),
                Known {
                    kind: true,
                    ..Known::default()
                },
            ),
            (None, _, _, Some(name)) => (
                self.by_name().get(name),
                Known {
                    name: true,
                    ..Known::default()
                },
            ),
            (None, _, _, None) => (None, Known::default()),
        };
        let all;
        let ids: &[u32] = match candidates {
            Some(c) => c,
            None if q.kind.is_none() && q.owner.is_none() && q.name.is_none() => {
                all = (0..self.resources.len() as u32).collect::<Vec<_>>();
                &all
            }
            None => &[],
        };
        ids.iter()
            .filter_map(|&i| Some((self.get(i)?.root(), self.keys.get(i as usize)?)))
            .filter(|(root, keys)| self.matches(root, keys, q, ns, known))
            .map(|(root, _)| root)
            .collect()
    }

    fn matches(
        &self,
        root: &NodeRef<'a>,
        keys: &Keys<'a>,
        q: &Query<'_, 'a>,
        ns: Option<&str>,
        known: Known,
    ) -> bool {
        if let Some(k) = q.kind
            && !known.kind
            && keys.kind != k
        {
            return false;
        }
        if let Some(n) = ns
            && !known.namespace
            && keys.ns != n
        {
            return false;
        }
        if let Some(n) = q.name
            && !known.name
            && keys.name != Some(n)
        {
            return false;
        }
        if let Some(a) = q.api_version
            && root.str_at(&["apiVersion"]) != Some(a)
        {
            return false;
        }
        if q.labels.is_none() && q.selector.is_none() {
            return true;
        }
        let labels = Val::Node(*root).get_str("metadata").get_str("labels");
        if let Some(want) = q.labels {
            for (k, v) in want.entries() {
                let key = k.as_str().unwrap_or("");
                if !labels.get_str(key).equals(&v) {
                    return false;
                }
            }
        }
        if let Some(sel) = q.selector
            && !selector_matches(sel, &labels)
        {
            return false;
        }
        true
    }
}

/// Whether a Kubernetes label selector (`matchLabels`, `matchExpressions`)
/// selects a set of labels. An empty selector selects everything; a missing
/// one selects nothing.
pub fn selector_matches(sel: &Val<'_>, labels: &Val<'_>) -> bool {
    if sel.is_unset() || !sel.is_obj() {
        return false;
    }
    for (k, v) in sel.get_str("matchLabels").entries() {
        let key = k.as_str().unwrap_or("");
        if !labels.get_str(key).equals(&v) {
            return false;
        }
    }
    for e in sel.get_str("matchExpressions").items() {
        let key = e.get_str("key");
        let key = key.as_str().unwrap_or("");
        let op = e.get_str("operator");
        let values = e.get_str("values");
        let have = labels.get_str(key);
        let ok = match op.as_str().unwrap_or("") {
            "In" => !have.is_missing() && values.contains(&have),
            "NotIn" => have.is_missing() || !values.contains(&have),
            "Exists" => !have.is_missing(),
            "DoesNotExist" => have.is_missing(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Inputs;
    use serde_json::json;

    #[test]
    fn queries_by_kind_namespace_labels_and_selector() {
        let mut inputs = Inputs::default();
        inputs.add_json(
            "a",
            &json!({"kind": "Pod", "metadata": {"name": "a", "labels": {"app": "web"}}}),
        );
        inputs.add_json("b", &json!({"kind": "Pod", "metadata": {"name": "b", "namespace": "x", "labels": {"app": "db"}}}));
        inputs.add_json(
            "c",
            &json!({"kind": "Service", "metadata": {"name": "a", "namespace": "default"}}),
        );
        let inv = Inventory::new(&inputs.resources);
        let pods = inv.query(&Query {
            kind: Some("Pod"),
            ..Default::default()
        });
        assert_eq!(pods.len(), 2);
        let default_ns = inv.query(&Query {
            namespace: Some("default"),
            ..Default::default()
        });
        assert_eq!(default_ns.len(), 2);
        let want = Val::from_json(&json!({"app": "db"}));
        let db = inv.query(&Query {
            kind: Some("Pod"),
            labels: Some(&want),
            ..Default::default()
        });
        assert_eq!(db.len(), 1);
        let sel = Val::from_json(
            &json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}),
        );
        let web = inv.query(&Query {
            kind: Some("Pod"),
            selector: Some(&sel),
            ..Default::default()
        });
        assert_eq!(web.len(), 1);
        assert_eq!(
            inv.query(&Query {
                name: Some("a"),
                ..Default::default()
            })
            .len(),
            2
        );
    }

    /// The same kind, API group, namespace and name is the same object,
    /// however many times it is defined and in whichever version of its
    /// group; another group, namespace or name, or a document of Ward's
    /// own, is another.
    #[test]
    fn objects_defined_again_name_their_first_definition() {
        let docs = [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "a"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "b"}}),
            json!({"apiVersion": "apps/v1beta2", "kind": "Deployment", "metadata": {"name": "web", "namespace": "a"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web", "namespace": "a"}}),
            json!({"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "a"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "default"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "a"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "job-"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "job-"}}),
            json!({"apiVersion": "ward.dev/v1", "kind": "GitHubWorkflow", "metadata": {"name": "CI"}}),
            json!({"apiVersion": "ward.dev/v1", "kind": "GitHubWorkflow", "metadata": {"name": "CI"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web", "namespace": "a"}}),
        ];
        let mut inputs = Inputs::default();
        for (i, d) in docs.iter().enumerate() {
            inputs.add_json(&format!("{i}.json"), d);
        }
        let inv = Inventory::new(&inputs.resources);
        assert_eq!(
            inv.duplicates(),
            vec![vec![0, 2, 7], vec![3, 12], vec![5, 6]]
        );
    }

    /// Whatever index a query starts from, it selects what reading every
    /// field of every resource selects: the fields an index vouches for
    /// are the only ones not read again.
    #[test]
    fn every_index_selects_what_a_scan_selects() {
        let mut inputs = Inputs::default();
        let docs = [
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a"}}),
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a", "namespace": "default"}}),
            json!({"kind": "Pod", "apiVersion": "v2", "metadata": {"name": "a", "namespace": "x"}}),
            json!({"kind": "Service", "metadata": {"name": "a", "namespace": "x"}}),
            json!({"kind": "Service", "metadata": {"namespace": "x"}}),
            json!({"metadata": {"name": "a", "namespace": "x"}}),
            json!({"kind": 7, "metadata": {"name": "a"}}),
            json!({"kind": "", "metadata": {"name": "b", "namespace": ""}}),
            json!({"kind": "Pod", "metadata": {"name": 3, "namespace": "x", "ownerReferences": [{"uid": "u1"}]}}),
            json!({"kind": "Pod", "metadata": {"name": "c", "namespace": "y", "ownerReferences": [{"uid": "u1"}]}}),
        ];
        for (i, d) in docs.iter().enumerate() {
            inputs.add_json(&format!("d{i}"), d);
        }
        let inv = Inventory::new(&inputs.resources);
        let field = |r: &NodeRef<'_>, path: &[&str]| r.str_at(path).map(str::to_string);
        let scan = |q: &Query<'_, '_>| -> Vec<usize> {
            (0..inv.len())
                .filter(|&i| {
                    let Some(r) = inv.get(i as u32) else {
                        return false;
                    };
                    let root = r.root();
                    let owners: Vec<String> = root
                        .get_str("metadata")
                        .and_then(|m| m.get_str("ownerReferences"))
                        .map(|o| {
                            o.items()
                                .filter_map(|x| x.str_at(&["uid"]))
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    q.kind
                        .is_none_or(|k| field(&root, &["kind"]).as_deref() == Some(k))
                        && q.namespace.is_none_or(|n| {
                            norm_ns(
                                field(&root, &["metadata", "namespace"])
                                    .as_deref()
                                    .unwrap_or(""),
                            ) == norm_ns(n)
                        })
                        && q.name.is_none_or(|n| {
                            field(&root, &["metadata", "name"]).as_deref() == Some(n)
                        })
                        && q.owner.is_none_or(|o| owners.iter().any(|x| x == o))
                })
                .collect()
        };
        let ids = |found: Vec<NodeRef<'_>>| -> Vec<usize> {
            found
                .iter()
                .filter_map(|n| inv.owner_of(n.doc))
                .filter_map(|r| inputs.resources.iter().position(|x| std::ptr::eq(x, r)))
                .collect()
        };
        let kinds = [None, Some("Pod"), Some("Service"), Some("")];
        let namespaces = [None, Some("x"), Some("default"), Some("")];
        let names = [None, Some("a"), Some("b")];
        let owners = [None, Some("u1")];
        let mut asked = 0;
        for kind in kinds {
            for namespace in namespaces {
                for name in names {
                    for owner in owners {
                        let q = Query {
                            kind,
                            namespace,
                            name,
                            owner,
                            ..Default::default()
                        };
                        assert_eq!(ids(inv.query(&q)), scan(&q), "{q:?}");
                        asked += 1;
                    }
                }
            }
        }
        assert_eq!(asked, 96);
    }

    #[test]
    fn selectors() {
        let labels = Val::from_json(&json!({"app": "web", "tier": "front"}));
        let yes = |s: serde_json::Value| selector_matches(&Val::from_json(&s), &labels);
        assert!(yes(json!({})));
        assert!(yes(json!({"matchLabels": {"app": "web"}})));
        assert!(!yes(json!({"matchLabels": {"app": "db"}})));
        assert!(yes(
            json!({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]})
        ));
        assert!(yes(
            json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["db"]}]})
        ));
        assert!(!selector_matches(&Val::Missing, &labels));
    }
}
