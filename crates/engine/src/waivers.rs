//! Exceptions: a waivers file and `ward.dev/waive.<control>` annotations.
//!
//! A waiver names a control (an id, or a glob of ids) and optionally narrows
//! it to resources by namespace, kind, name, container, JSON pointer and
//! file (globs all). It must say why (`reason`), and may name an `owner`, a
//! `ticket` and a date it `expires` on. A waived finding stays in the
//! report, marked with the waiver ([`Finding::waived`]), and no longer
//! fails the run. An annotation on the resource is tried first, then the
//! file's waivers in order; the first that applies is the one reported.
//!
//! Nothing is silently ignored: a malformed waiver, one naming an unknown
//! control or a `waivable false` control is a configuration error at its
//! line; a waiver that expired stops applying and, like one that matches
//! nothing, is reported as a warning finding at its line
//! (`ward.waiver.expired`, `ward.waiver.unused`).
//!
//! Everything here is pure: the caller reads the file and passes today's
//! date.

mod parse;

use crate::engine::{Engine, Report};
use crate::finding::{
    Error, ErrorKind, Finding, Identity, Level, NoticeAt, Suppression, notice_finding,
};
use crate::input::{Inputs, Resource};
use crate::value::doc::{Node, NodeRef};
use globset::{GlobBuilder, GlobMatcher};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use ward_lang::hir::{Program, Severity};

/// The annotation prefix of inline waivers.
pub const ANNOTATION: &str = "ward.dev/waive.";
/// The control id of the warning about an expired waiver.
pub const EXPIRED: &str = "ward.waiver.expired";
/// The control id of the warning about a waiver that waived nothing.
pub const UNUSED: &str = "ward.waiver.unused";
/// The pack the warnings about waivers are reported under; it has no
/// score of its own.
pub const PACK: &str = "ward.waivers";

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// `YYYY-MM-DD`, a day that exists.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let t = s.get(r)?;
            t.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| t.parse().ok())?
        };
        let (year, month, day) = (num(0..4)? as i32, num(5..7)?, num(8..10)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// The UTC date of a Unix time in seconds.
    pub fn from_unix(secs: i64) -> Date {
        // Howard Hinnant's days-to-civil.
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A glob, with the text it was written as.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub text: String,
    glob: GlobMatcher,
    /// Whether the text has no wildcard, class, alternative or escape, and
    /// so matches itself alone: compared as text, not run as a matcher.
    literal: bool,
}

impl Pattern {
    /// `path`: `*` stops at `/` (for JSON pointers); `**` crosses it.
    pub fn new(text: &str, path: bool) -> Result<Pattern, String> {
        let glob = GlobBuilder::new(text)
            .literal_separator(path)
            .build()
            .map_err(|e| e.kind().to_string())?;
        Ok(Pattern {
            text: text.to_string(),
            glob: glob.compile_matcher(),
            literal: !text.contains(['*', '?', '[', ']', '{', '}', '\\']),
        })
    }

    pub fn is_match(&self, s: &str) -> bool {
        if self.literal {
            return self.text == s;
        }
        self.glob.is_match(s)
    }
}

/// One waiver of a waivers file.
#[derive(Clone, Debug)]
pub struct Waiver {
    pub control: Pattern,
    pub reason: String,
    pub owner: Option<String>,
    pub ticket: Option<String>,
    pub expires: Option<Date>,
    pub namespace: Option<Pattern>,
    pub kind: Option<Pattern>,
    pub name: Option<Pattern>,
    pub container: Option<Pattern>,
    pub pointer: Option<Pattern>,
    pub file: Option<Pattern>,
    pub line: usize,
    pub column: usize,
    /// Its position in the file's list, from 0.
    pub index: usize,
}

impl Waiver {
    /// Whether it covers a finding of a control it names (its `control`
    /// is matched apart, once per control: see [`apply`]). The finding's
    /// container is only looked for when a waiver names one.
    fn covers<'r>(&self, f: &Finding, container: &mut impl FnMut() -> Option<&'r str>) -> bool {
        let opt = |p: &Option<Pattern>, s: &str| p.as_ref().is_none_or(|p| p.is_match(s));
        let ns = &f.resource.namespace;
        (opt(&self.namespace, ns) || (ns.is_empty() && opt(&self.namespace, "default")))
            && opt(&self.kind, &f.resource.kind)
            && opt(&self.name, &f.resource.name)
            && opt(&self.pointer, &f.pointer)
            && opt(&self.file, &f.file)
            && self
                .container
                .as_ref()
                .is_none_or(|p| container().is_some_and(|c| p.is_match(c)))
    }

    fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| e <= today)
    }

    fn suppression(&self) -> Suppression {
        Suppression {
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            ticket: self.ticket.clone(),
            expires: self.expires.map(|d| d.to_string()),
            source: "file".into(),
        }
    }
}

/// A waivers file, read and checked against the program's controls.
#[derive(Clone, Debug, Default)]
pub struct Waivers {
    pub file: String,
    pub entries: Vec<Waiver>,
    /// Malformed waivers: each one is left out and reported here.
    pub errors: Vec<Error>,
}

impl Waivers {
    /// Reads a waivers file's text (`file` names it in errors).
    pub fn parse(file: &str, text: &str, program: &Program) -> Waivers {
        parse::parse(file, text, program)
    }
}

/// How waivers are applied.
#[derive(Clone, Copy, Debug)]
pub struct ApplyOptions {
    /// A waiver with `expires` on or before this date has expired.
    pub today: Date,
    /// Whether `ward.dev/waive.<control>` annotations count.
    pub inline: bool,
}

/// Identifies a finding's resource among the inputs.
type ResKey<'a> = (&'a str, u32, &'a str, &'a str, &'a str);

fn finding_key(f: &Finding) -> ResKey<'_> {
    (
        &f.file,
        f.document,
        &f.resource.kind,
        &f.resource.namespace,
        &f.resource.name,
    )
}

/// An inline waiver: one annotation of one resource.
struct Inline<'a> {
    control: &'a str,
    reason: &'a str,
    node: NodeRef<'a>,
    resource: &'a Resource,
    used: usize,
}

/// Applies waivers to a report: marks the findings they waive, adds their
/// errors to the report's, and recounts the outcomes. Returns the warning
/// findings about waivers that expired or waived nothing, for the caller
/// to add once it applied a baseline (they are never baselined).
pub fn apply(
    engine: &Engine,
    inputs: &Inputs,
    report: &mut Report,
    waivers: &Waivers,
    opts: &ApplyOptions,
) -> Vec<Finding> {
    report.errors.extend(waivers.errors.iter().cloned());
    // Resources by key, for the container a file waiver names; only built
    // when a waiver names one.
    let mut resources: HashMap<ResKey<'_>, &Resource> = HashMap::new();
    if waivers.entries.iter().any(|w| w.container.is_some()) {
        for r in &inputs.resources {
            let path = inputs.file(r).path.as_str();
            resources.insert((path, r.index, r.kind(), r.namespace(), r.name()), r);
        }
    }
    let mut inline: Vec<Inline<'_>> = Vec::new();
    let mut by_resource: HashMap<ResKey<'_>, Vec<usize>> = HashMap::new();
    // No document can hold a waiver annotation when no key interned so far
    // starts like one: then no document is read for them.
    if opts.inline && crate::value::intern::any_key_starts_with(ANNOTATION) {
        // Reading every resource's annotations touches every document:
        // done on all cores; the few that waive are then taken in order.
        let annotated: Vec<(&Resource, Vec<(&str, NodeRef<'_>)>)> = inputs
            .resources
            .par_iter()
            .filter_map(|r| {
                let a = annotations(r);
                (!a.is_empty()).then_some((r, a))
            })
            .collect();
        for (r, found) in annotated {
            let path = inputs.file(r).path.as_str();
            for (control, node) in found {
                let reason = node.as_str().unwrap_or("").trim();
                let notice = crate::finding::input_notice(control);
                let problem = match engine.program.control(control) {
                    None if notice && reason.is_empty() => Some(format!(
                        "annotation `{ANNOTATION}{control}` has no reason; its value says why"
                    )),
                    None if notice => None,
                    None => Some(format!(
                        "annotation `{ANNOTATION}{control}`: there is no control `{control}`{}",
                        suggest_control(&engine.program, control)
                            .or_else(|| ward_lang::diagnostic::suggest(
                                control,
                                engine.program.controls.iter().map(|c| c.id.as_str())
                            ))
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default()
                    )),
                    Some((_, c)) if !c.waivable => Some(format!(
                        "annotation `{ANNOTATION}{control}`: control `{control}` is not waivable (`waivable false`)"
                    )),
                    Some(_) if reason.is_empty() => Some(format!(
                        "annotation `{ANNOTATION}{control}` has no reason; its value says why"
                    )),
                    Some(_) => None,
                };
                if let Some(message) = problem {
                    let pos = node.pos();
                    report.errors.push(Error {
                        kind: ErrorKind::Config,
                        file: Some(path.to_string()),
                        policy: None,
                        line: pos.line as usize,
                        column: pos.col as usize,
                        message,
                        control: Some(control.to_string()),
                        resource: Some(crate::engine::identity(r)),
                    });
                    continue;
                }
                by_resource
                    .entry((path, r.index, r.kind(), r.namespace(), r.name()))
                    .or_default()
                    .push(inline.len());
                inline.push(Inline {
                    control,
                    reason,
                    node,
                    resource: r,
                    used: 0,
                });
            }
        }
    }
    let mut used = vec![0usize; waivers.entries.len()];
    let mut lapsed = vec![0usize; waivers.entries.len()];
    let unwaivable: HashSet<&str> = engine
        .program
        .controls
        .iter()
        .filter(|c| !c.waivable)
        .map(|c| c.id.as_str())
        .collect();
    // The waivers of the file that name each control, in the file's order:
    // a finding is held to those alone.
    let mut by_control: HashMap<&str, Vec<usize>> = HashMap::new();
    if !waivers.entries.is_empty() {
        for f in &report.findings {
            by_control.entry(&*f.control).or_insert_with(|| {
                waivers
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.control.is_match(&f.control))
                    .map(|(i, _)| i)
                    .collect()
            });
        }
    }
    let expired: Vec<bool> = waivers
        .entries
        .iter()
        .map(|w| w.expired(opts.today))
        .collect();
    // Which waivers of the file cover each finding, worked out on all cores:
    // the expired ones the search passes on the way, and the first that is
    // not. Findings an annotation or nothing can waive are looked at again
    // below, in order, where what is used is counted.
    let matched: Vec<(Vec<usize>, Option<usize>)> = if by_control.values().all(Vec::is_empty) {
        Vec::new()
    } else {
        report
            .findings
            .par_iter()
            .map(|f| {
                let mut lapsed = Vec::new();
                if f.waived.is_some() || unwaivable.contains(&*f.control) {
                    return (lapsed, None);
                }
                let mut found = None;
                let mut container = || {
                    *found.get_or_insert_with(|| {
                        resources
                            .get(&finding_key(f))
                            .and_then(|r| container_name(r, &f.pointer))
                    })
                };
                for &i in by_control.get(&*f.control).map_or(&[][..], Vec::as_slice) {
                    let Some(w) = waivers.entries.get(i) else {
                        continue;
                    };
                    if w.covers(f, &mut container) {
                        if expired.get(i).copied().unwrap_or(false) {
                            lapsed.push(i);
                        } else {
                            return (lapsed, Some(i));
                        }
                    }
                }
                (lapsed, None)
            })
            .collect()
    };
    // With no waiver of either kind, no finding is looked at.
    let findings: &mut [Finding] = if matched.is_empty() && inline.is_empty() {
        &mut []
    } else {
        &mut report.findings
    };
    for (k, f) in findings.iter_mut().enumerate() {
        if f.waived.is_some() || unwaivable.contains(&*f.control) {
            continue;
        }
        // An annotation, the closest to the resource, comes first.
        let key = finding_key(f);
        if let Some(ix) = by_resource.get(&key) {
            for &i in ix {
                if let Some(w) = inline.get_mut(i)
                    && w.control == &*f.control
                {
                    w.used += 1;
                    f.waived = Some(Box::new(Suppression {
                        reason: w.reason.to_string(),
                        owner: None,
                        ticket: None,
                        expires: None,
                        source: "annotation".into(),
                    }));
                    break;
                }
            }
        }
        if f.waived.is_some() {
            continue;
        }
        let Some((lapses, applied)) = matched.get(k) else {
            continue;
        };
        for &i in lapses {
            if let Some(n) = lapsed.get_mut(i) {
                *n += 1;
            }
        }
        if let Some(i) = *applied
            && let Some(w) = waivers.entries.get(i)
        {
            if let Some(n) = used.get_mut(i) {
                *n += 1;
            }
            f.waived = Some(Box::new(w.suppression()));
        }
    }
    recount(report);
    // The checks of the inputs run on every run.
    let inputs_checked = crate::finding::NOTICES
        .iter()
        .map(|n| n.id)
        .filter(|id| crate::finding::input_notice(id));
    let ran: BTreeSet<&str> = report
        .outcomes
        .iter()
        .map(|o| o.control.as_str())
        .chain(inputs_checked)
        .collect();
    let mut audit = Vec::new();
    for (i, w) in waivers.entries.iter().enumerate() {
        let (line, column) = (w.line as u32, w.column as u32);
        let who = owner_ticket(w);
        let (control, severity, message) = if w.expired(opts.today) {
            let n = lapsed.get(i).copied().unwrap_or(0);
            let expires = w.expires.map(|d| d.to_string()).unwrap_or_default();
            (
                EXPIRED,
                Severity::Low,
                match n {
                    0 => format!(
                        "the waiver of `{}`{who} expired on {expires}; it would waive nothing now, remove it",
                        w.control.text
                    ),
                    1 => format!(
                        "the waiver of `{}`{who} expired on {expires}; the finding it covered counts again",
                        w.control.text
                    ),
                    n => format!(
                        "the waiver of `{}`{who} expired on {expires}; the {n} findings it covered count again",
                        w.control.text
                    ),
                },
            )
        } else if used.get(i).copied().unwrap_or(0) == 0 {
            (
                UNUSED,
                Severity::Info,
                format!(
                    "the waiver of `{}`{who} waives no finding; remove it or fix its scope",
                    w.control.text
                ),
            )
        } else {
            continue;
        };
        let resource = Identity {
            api_version: String::new(),
            kind: "Waiver".into(),
            namespace: String::new(),
            name: w.control.text.clone(),
        };
        let at = NoticeAt {
            resource,
            file: &waivers.file,
            origin: None,
            document: 0,
            line,
            column,
            pointer: format!("/waivers/{}", w.index),
        };
        audit.push(notice_finding(control, severity, message, at, Vec::new()));
    }
    for w in inline
        .iter()
        .filter(|w| w.used == 0 && ran.contains(w.control))
    {
        let message = format!(
            "annotation `{ANNOTATION}{}` waives nothing: the control found nothing here; remove the annotation",
            w.control
        );
        let at = NoticeAt::node(inputs, w.resource, w.node);
        audit.push(notice_finding(
            UNUSED,
            Severity::Info,
            message,
            at,
            Vec::new(),
        ));
    }
    audit
}

fn owner_ticket(w: &Waiver) -> String {
    match (&w.owner, &w.ticket) {
        (Some(o), Some(t)) => format!(" (owner {o}, ticket {t})"),
        (Some(o), None) => format!(" (owner {o})"),
        (None, Some(t)) => format!(" (ticket {t})"),
        (None, None) => String::new(),
    }
}

/// The `ward.dev/waive.<control>` annotations of a resource's own metadata.
fn annotations(r: &Resource) -> Vec<(&str, NodeRef<'_>)> {
    let Some(ann) = r
        .root()
        .get_str("metadata")
        .and_then(|m| m.get_str("annotations"))
    else {
        return Vec::new();
    };
    ann.entries()
        .filter_map(|(k, v)| k.as_str().strip_prefix(ANNOTATION).map(|c| (c, v)))
        .collect()
}

/// The name of the container a pointer is inside (`.../containers/2/...`).
fn container_name<'a>(r: &'a Resource, pointer: &str) -> Option<&'a str> {
    let segs: Vec<&str> = pointer.split('/').collect();
    let at = segs.windows(2).rposition(|w| {
        matches!(
            w.first(),
            Some(&"containers" | &"initContainers" | &"ephemeralContainers")
        ) && w.get(1).is_some_and(|i| i.parse::<usize>().is_ok())
    })?;
    let prefix = segs.get(..at + 2)?.join("/");
    let node = r.doc.at_pointer(&prefix)?;
    if !matches!(node.kind(), Node::Obj { .. }) {
        return None;
    }
    node.get_str("name")?.as_str()
}

/// The control a short name or a unique end of an id means
/// (`privileged` → `pss.baseline.privileged`).
pub(crate) fn suggest_control<'a>(program: &'a Program, name: &str) -> Option<&'a str> {
    let suffix = format!(".{name}");
    let mut hits = program.controls.iter().filter(|c| c.id.ends_with(&suffix));
    let first = hits.next()?;
    hits.next().is_none().then_some(first.id.as_str())
}

/// Sets each outcome's `failed` and `waived` from the findings: a resource
/// whose deny findings from a control are all waived counts as waived, not
/// failed. Safe to call again after more findings were waived.
pub fn recount(report: &mut Report) {
    // Nothing waived: every failing resource stays failed.
    if report.findings.par_iter().all(|f| f.waived.is_none()) {
        for o in &mut report.outcomes {
            o.failed += o.waived;
            o.waived = 0;
        }
        return;
    }
    let mut all_waived: HashMap<(&str, &str), BTreeSet<ResKey<'_>>> = HashMap::new();
    let mut failing: HashMap<(&str, &str), BTreeSet<ResKey<'_>>> = HashMap::new();
    for f in report.findings.iter().filter(|f| f.level == Level::Deny) {
        let slot = (&*f.pack, &*f.control);
        if f.waived.is_some() {
            all_waived.entry(slot).or_default().insert(finding_key(f));
        } else {
            failing.entry(slot).or_default().insert(finding_key(f));
        }
    }
    let counts: Vec<usize> = report
        .outcomes
        .iter()
        .map(|o| {
            let slot = (o.pack.as_str(), o.control.as_str());
            match (all_waived.get(&slot), failing.get(&slot)) {
                (Some(w), Some(f)) => w.difference(f).count(),
                (Some(w), None) => w.len(),
                _ => 0,
            }
        })
        .collect();
    for (o, waived) in report.outcomes.iter_mut().zip(counts) {
        let evaluated = o.failed + o.waived;
        o.waived = waived.min(evaluated);
        o.failed = evaluated - o.waived;
    }
}

#[cfg(test)]
mod tests;
