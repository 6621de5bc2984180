//! Findings, errors and outcomes: what an evaluation returns, as data.

use crate::eval::FixOp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use ward_lang::hir::Severity;

/// Who a finding is about.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Identity {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Identity {
    /// `namespace/name`, or `name` for a cluster-scoped resource.
    fn path(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    /// `Kind namespace/name`, as reports name a resource.
    pub fn shown(&self) -> String {
        format!("{} {}", self.kind, self.path())
    }

    /// ``Kind `namespace/name` ``, as messages name a resource.
    pub fn quoted(&self) -> String {
        format!("{} `{}`", self.kind, self.path())
    }
}

/// A framework item, as reported.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameworkItemRef {
    pub framework: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Whether a finding fails the run (`deny`) or only advises (`warn`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Deny,
    Warn,
}

/// A waiver that applies to a finding.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Suppression {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `file` (a waivers file) or `annotation` (inline in the resource).
    pub source: String,
}

/// One thing a control found wrong with one resource: its
/// [`FindingFields`], read and written through it, behind one pointer.
/// A report of a large export holds hundreds of thousands of findings,
/// made in pieces on all cores and joined into one list at the end; moved
/// as pointers, they are not held twice while they are joined (67 MB of
/// findings at 100,000 resources).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(transparent)]
pub struct Finding(Box<FindingFields>);

impl Finding {
    pub fn new(fields: FindingFields) -> Finding {
        Finding(Box::new(fields))
    }
}

impl From<FindingFields> for Finding {
    fn from(fields: FindingFields) -> Finding {
        Finding::new(fields)
    }
}

impl std::ops::Deref for Finding {
    type Target = FindingFields;
    fn deref(&self) -> &FindingFields {
        &self.0
    }
}

impl std::ops::DerefMut for Finding {
    fn deref_mut(&mut self) -> &mut FindingFields {
        &mut self.0
    }
}

/// What a [`Finding`] says.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FindingFields {
    pub control: Arc<str>,
    pub pack: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Box<str>>,
    pub severity: Severity,
    pub level: Level,
    pub title: Arc<str>,
    pub message: Arc<str>,
    pub frameworks: Arc<[FrameworkItemRef]>,
    pub resource: Arc<Identity>,
    pub file: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Box<str>>,
    pub document: u32,
    pub line: u32,
    pub column: u32,
    pub pointer: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<FixOp>,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub remedy: Arc<str>,
    pub fingerprint: Fingerprint,
    /// Boxed: most findings are not waived, and the box keeps every
    /// finding smaller by the size of a suppression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Box<Suppression>>,
    /// What a report masks wherever it quotes this finding's file: the
    /// values at and under the place the finding points at, when its
    /// control is `redact true` (see [`secrets_under`]). Never written to
    /// a report.
    #[serde(skip)]
    pub secrets: Option<Box<Secrets>>,
}

/// The values a finding masks (see [`FindingFields::secrets`]): boxed
/// again in the finding, so that the few findings with any do not make
/// every finding larger.
pub type Secrets = Box<[Box<str>]>;

/// The values a `redact true` finding at `node` masks: its strings and
/// numbers, and those of everything under it, of at least
/// [`SECRET_CHARS`] characters (shorter ones would mask too much else),
/// at most [`SECRETS`] of them. `None` when there are none.
pub fn secrets_under(node: crate::value::doc::NodeRef<'_>) -> Option<Box<[Box<str>]>> {
    use crate::value::doc::Node;
    let mut out: Vec<Box<str>> = Vec::new();
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        if out.len() >= SECRETS {
            break;
        }
        let text = match n.kind() {
            Node::Str { .. } => n.as_str().map(str::to_string),
            Node::Num(_) => Some(n.to_json().to_string()),
            Node::List { .. } => {
                todo.extend(n.items());
                None
            }
            Node::Obj { .. } => {
                todo.extend(n.entries().map(|(_, v)| v));
                None
            }
            Node::Null | Node::Bool(_) => None,
        };
        if let Some(t) = text
            && t.chars().count() >= SECRET_CHARS
        {
            out.push(t.into_boxed_str());
        }
    }
    (!out.is_empty()).then(|| out.into_boxed_slice())
}

/// The fewest characters a masked value has.
pub const SECRET_CHARS: usize = 4;

/// The most values one finding masks.
const SECRETS: usize = 256;

#[cfg(test)]
impl Suppression {
    /// A waiver from a waivers file with a reason and nothing else, as
    /// tests waive a finding.
    pub(crate) fn accepted() -> Box<Suppression> {
        Box::new(Suppression {
            reason: "accepted".into(),
            owner: None,
            ticket: None,
            expires: None,
            source: "file".into(),
        })
    }
}

/// Where an error came from.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// An input file could not be read.
    Input,
    /// A policy did not parse or check.
    Policy,
    /// A control failed while evaluating a resource.
    Evaluation,
    /// A waiver, pack or configuration problem.
    Config,
}

/// An error, reported alongside the findings.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Identity>,
}

impl Error {
    /// The file and line where an input stopped reading: what the text
    /// report frames. `None` for other errors and for a file without a line.
    pub fn input_place(&self) -> Option<(&str, usize)> {
        match (&self.kind, &self.file, &self.policy) {
            (ErrorKind::Input, Some(file), None) if self.line > 0 => Some((file, self.line)),
            _ => None,
        }
    }
}

/// How one control fared across the inputs. Equality leaves out the
/// measurements (time, steps), which depend on how the run was made.
#[derive(Clone, Debug, Serialize, Default)]
pub struct ControlOutcome {
    pub control: String,
    pub pack: String,
    /// Resources the control applied to.
    pub applied: usize,
    /// Resources with at least one finding from it.
    pub failed: usize,
    /// Resources whose findings from it are all waived.
    pub waived: usize,
    pub errors: usize,
    /// Time spent evaluating it, summed over threads, when the run was
    /// profiled ([`crate::EvalOptions::profile`]).
    #[serde(skip)]
    pub time_ns: u64,
    /// Evaluation steps it took over the run (expressions evaluated): a
    /// measure of its cost that does not depend on the machine or its load.
    #[serde(skip)]
    pub steps: u64,
}

/// What one function cost over a profiled run
/// ([`crate::EvalOptions::profile`]): which helpers of a pack take the
/// most work. Only calls that ran the body count; those a memo answered
/// cost their caller next to nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionOutcome {
    /// The qualified name, such as `std.k8s.pod_spec`.
    pub function: String,
    /// How often the body ran.
    pub runs: u64,
    /// Steps the runs took, those of the functions they called included.
    pub steps: u64,
    /// Time the runs took, summed over threads.
    pub time_ns: u64,
}

impl PartialEq for ControlOutcome {
    fn eq(&self, o: &ControlOutcome) -> bool {
        (
            &self.control,
            &self.pack,
            self.applied,
            self.failed,
            self.waived,
            self.errors,
        ) == (&o.control, &o.pack, o.applied, o.failed, o.waived, o.errors)
    }
}

impl Eq for ControlOutcome {}

/// The packs of Ward's own notices (the warnings about waivers and about
/// objects defined twice): findings about what was given rather than
/// results of a pack that was asked for. They never fail a run, have no
/// score, and a baseline never holds them.
pub const NOTICE_PACKS: [&str; 2] = [crate::waivers::PACK, crate::duplicates::PACK];

/// Whether findings of this pack are Ward's own notices ([`NOTICE_PACKS`]).
pub fn is_notice(pack: &str) -> bool {
    NOTICE_PACKS.contains(&pack)
}

/// One of Ward's own notices, for `ward explain`: its control id, pack,
/// title, what it says and what to do.
#[derive(Clone, Copy, Debug)]
pub struct Notice {
    pub id: &'static str,
    pub pack: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub remedy: &'static str,
}

/// Every notice Ward itself can report.
pub const NOTICES: [Notice; 5] = [
    Notice {
        id: crate::waivers::EXPIRED,
        pack: crate::waivers::PACK,
        title: "Waiver expired",
        description: "A waiver's `expires` date has passed: it no longer waives anything, and the findings it covered count again. Reported at the waiver's line.",
        remedy: "Remove the waiver, renew it with a new `expires`, or narrow its scope.",
    },
    Notice {
        id: crate::waivers::UNUSED,
        pack: crate::waivers::PACK,
        title: "Waiver waives nothing",
        description: "A waiver in the waivers file, or a `ward.dev/waive.<control>` annotation, matched no finding of this run: the finding is gone, or the waiver's scope is wrong. Reported at the waiver's line or the annotation.",
        remedy: "Remove the waiver, renew it with a new `expires`, or narrow its scope.",
    },
    Notice {
        id: crate::duplicates::CONTROL,
        pack: crate::duplicates::PACK,
        title: "Each object is defined once",
        description: "A file defines the same object (kind, API group, namespace and name) more than once; applying it keeps only the definition applied last. Reported on each later definition, naming the first. Only the documents of one file are compared.",
        remedy: "Keep one definition: remove the other, or give the two different names or namespaces (two charts or overlays rendering the same object).",
    },
    Notice {
        id: crate::unknown_fields::CONTROL,
        pack: crate::duplicates::PACK,
        title: "Manifests give only fields their types have",
        description: "A manifest of a built-in Kubernetes kind gives a field its type does not have (`runAsNonroot` under a container's `securityContext`): the API server drops it, or rejects the object under strict field validation, so the setting never takes effect. Names the field meant when one is a slip away. A custom resource is checked against its CustomResourceDefinition when the inputs hold it. Objects read back from a cluster, other custom resources and free-form fields (labels, annotations, ConfigMap data) are not checked.",
        remedy: "Rename the field to the one meant (the fix does), or remove it.",
    },
    Notice {
        id: crate::api_versions::CONTROL,
        pack: crate::duplicates::PACK,
        title: "Manifests use API versions the cluster serves",
        description: "A manifest gives an object at an API version of its kind that the Kubernetes release the manifests are for (`--kube-version`, by default the newest Ward knows) does not serve: no longer (`extensions/v1beta1` Ingress, `batch/v1beta1` CronJob), or not yet. The cluster refuses the object. Names the releases that serve it and the API version that release serves the kind at. Objects read back from a cluster are not checked.",
        remedy: "Move the object to the API version named, and change the fields that version renamed or restructured (an Ingress's `backend`, an HPA's `metrics`); for a kind that is gone (PodSecurityPolicy), replace what it did (Pod Security admission).",
    },
];

/// The notice with this control id.
pub fn notice(id: &str) -> Option<&'static Notice> {
    NOTICES.iter().find(|n| n.id == id)
}

/// Whether the id is one of the notices about the inputs (a field a type
/// lacks, an API version the cluster does not serve, an object defined
/// twice), which waivers can waive like a control's findings; the notices
/// about waivers themselves cannot be.
pub fn input_notice(id: &str) -> bool {
    notice(id).is_some_and(|n| n.pack == crate::duplicates::PACK)
}

/// Where one of Ward's own notices points.
#[derive(Clone, Debug)]
pub struct NoticeAt<'f> {
    pub resource: Identity,
    pub file: &'f str,
    pub origin: Option<String>,
    pub document: u32,
    pub line: u32,
    pub column: u32,
    pub pointer: String,
}

impl<'f> NoticeAt<'f> {
    /// A node of a loaded resource.
    pub fn node(
        inputs: &'f crate::input::Inputs,
        r: &crate::input::Resource,
        node: crate::value::doc::NodeRef<'_>,
    ) -> NoticeAt<'f> {
        let pos = node.pos();
        NoticeAt {
            resource: crate::engine::identity(r),
            file: &inputs.file(r).path,
            origin: r.origin.clone(),
            document: r.index,
            line: pos.line,
            column: pos.col,
            pointer: node.pointer(),
        }
    }
}

/// A finding of the notice with this control id ([`NOTICES`]), which
/// gives its pack, title and remedy: a warning, with no frameworks.
pub fn notice_finding(
    id: &str,
    severity: Severity,
    message: String,
    at: NoticeAt<'_>,
    fix: Vec<FixOp>,
) -> Finding {
    let n = notice(id);
    Finding::new(FindingFields {
        control: id.into(),
        pack: n.map_or("", |n| n.pack).into(),
        profile: None,
        severity,
        level: Level::Warn,
        title: n.map_or("", |n| n.title).into(),
        message: message.into(),
        frameworks: Vec::new().into(),
        fingerprint: crate::engine::fingerprint(id, &at.resource, &at.pointer),
        resource: at.resource.into(),
        file: at.file.into(),
        origin: at.origin.map(String::into_boxed_str),
        document: at.document,
        line: at.line,
        column: at.column,
        pointer: at.pointer,
        fix,
        remedy: n.map_or("", |n| n.remedy).into(),
        waived: None,
        secrets: None,
    })
}

/// A finding's stable fingerprint: control, resource identity
/// (apiVersion, kind, namespace, name) and JSON pointer, never file names
/// or positions, so it survives reformatting, reordering and moving a
/// resource to another file. The one definition that reports (SARIF
/// `partialFingerprints`, JSON `fingerprint`), `ward diff` and baselines
/// share.
pub fn fingerprint(control: &str, r: &Identity, pointer: &str) -> Fingerprint {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for part in [
        control,
        &r.api_version,
        &r.kind,
        &r.namespace,
        &r.name,
        pointer,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    for (b, d) in bytes.iter_mut().zip(digest.iter()) {
        *b = *d;
    }
    Fingerprint(bytes)
}

/// A finding's fingerprint (see [`fingerprint`]): the first 16 bytes of a
/// SHA-256, shown as 32 lowercase hex digits. Kept as its bytes, in the
/// finding itself: a report of a large export holds hundreds of thousands,
/// and as text each was an allocation of its own.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 16]);

impl Fingerprint {
    /// The 32 hex digits, as reports write them.
    pub fn hex(&self) -> FingerprintText {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 32];
        for (pair, b) in out.chunks_exact_mut(2).zip(self.0) {
            if let [hi, lo] = pair {
                *hi = HEX[usize::from(b >> 4)];
                *lo = HEX[usize::from(b & 15)];
            }
        }
        FingerprintText(out)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.hex().as_str())
    }
}

/// A fingerprint's hex digits, made on the stack.
#[derive(Clone, Copy, Debug)]
pub struct FingerprintText([u8; 32]);

impl FingerprintText {
    pub fn as_str(&self) -> &str {
        // Always ASCII hex digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Finding {
    /// This finding's stable fingerprint, computed again from its control,
    /// resource and pointer (see [`fingerprint`]).
    pub fn fingerprint(&self) -> Fingerprint {
        fingerprint(&self.control, &self.resource, &self.pointer)
    }
}
