//! `ward explain`: a control's documentation, the packs that run it and the
//! test cases that show it failing and passing.

use crate::exit;
use crate::output;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use ward_engine::Engine;
use ward_engine::input::schema::Release;
use ward_lang::FileId;
use ward_lang::ast::{FindingKind, Outcome, Version};
use ward_lang::hir::{ControlDef, ExpectKind, TestDef};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The control: its id (`pss.baseline.privileged`) or a unique end of
    /// it (`privileged`, `baseline.privileged`); or a framework item
    /// (`5.2.6`, `cis_k8s:5.2.6`) that one control automates.
    #[arg(value_name = "CONTROL")]
    pub control: String,
    /// A policy file, or a folder of .ward files, to load besides the
    /// built-in packs (default: the `policies` of `ward.toml`).
    #[arg(long = "policy", value_name = "FILE|DIR")]
    pub policies: Vec<PathBuf>,
    /// Run the control over these files or folders (`-` for standard
    /// input) and say, for each resource, why it failed, passed or was
    /// skipped: the conditions that decided it and the values they read.
    #[arg(long = "on", value_name = "PATH", num_args = 1..)]
    pub on: Vec<String>,
    /// With --on: a param value, as `ward check --set` takes it (the
    /// `[params]` of `ward.toml` apply first).
    #[arg(long = "set", value_name = "PARAM=VALUE", requires = "on")]
    pub sets: Vec<String>,
    /// With --on: only the resources whose `Kind namespace/name` contains
    /// this text.
    #[arg(long, value_name = "TEXT", requires = "on")]
    pub resource: Option<String>,
    /// With --on: the profile version of the control's pack to run it at
    /// (`v1.25`; default: the release `kube_version` in `ward.toml` names,
    /// else `latest`, the newest the pack covers), as
    /// `ward check --pack pss-restricted@v1.25` would.
    #[arg(long, value_name = "VERSION", requires = "on")]
    pub version: Option<String>,
    /// With --on: text, or JSON for tools.
    #[arg(long, value_enum, default_value = "text", requires = "on")]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(a: Args, ecolor: bool) -> u8 {
    // The built-in packs' tests are their examples.
    let builder = ward_engine::EngineBuilder::new().with_builtin_tests();
    // The project's own controls and params, as `ward check` runs them.
    let project = super::setup::current_project();
    let policies = match &project {
        Some(p) if a.policies.is_empty() => p.policies(),
        _ => a.policies.clone(),
    };
    let Some(engine) = super::engine_from(builder, &policies, ecolor) else {
        return exit::ERROR;
    };
    // Ward's own notices are no pack's controls, but reports name them.
    if engine.program.control(&a.control).is_none()
        && let Some(n) = ward_engine::finding::notice(&a.control)
    {
        return match output::write(None, &render_notice(n)) {
            Ok(()) => exit::OK,
            Err(e) => {
                output::error(ecolor, &e);
                exit::ERROR
            }
        };
    }
    let index = match find(&engine, &a.control) {
        Ok(i) => i,
        Err(e) => {
            output::error(ecolor, &e);
            return exit::ERROR;
        }
    };
    let Some(control) = engine.program.controls.get(index) else {
        return exit::ERROR;
    };
    let text = if a.on.is_empty() {
        render(&engine, index, control)
    } else {
        let inputs = ward_engine::input::load_paths(&a.on, &ward_engine::LoadOptions::default());
        for e in &inputs.errors {
            output::error(
                ecolor,
                &format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message),
            );
        }
        let overrides = match overrides(&engine, control, project.as_ref(), &a.sets) {
            Ok(o) => o,
            Err(e) => {
                output::error(ecolor, &e);
                return exit::ERROR;
            }
        };
        // Without `--version`, a Pod Security control runs at the release
        // `ward.toml` names (`kube_version`), as `ward check` runs it.
        let cluster = project
            .as_ref()
            .and_then(|p| p.project.kube_version.as_deref())
            .filter(|_| ward_engine::why::versioned_pack(&engine, index).is_some());
        let at = match (a.version.as_deref(), cluster) {
            (Some("latest"), _) | (None, None) => None,
            (Some(v), _) => match Version::parse(v) {
                Some(v) => Some(v),
                None => {
                    output::error(
                        ecolor,
                        &format!(
                            "`--version {v}`: not a version; write it as `v1.25`, or `latest`"
                        ),
                    );
                    return exit::ERROR;
                }
            },
            // Read as `ward check` reads it.
            (None, Some(k)) => match Release::parse(k) {
                Some(r) => Version::parse(&format!("v{r}")),
                None => {
                    output::error(
                        ecolor,
                        &format!(
                            "`kube_version = \"{k}\"` in ward.toml: not a Kubernetes release; write it as `1.28`"
                        ),
                    );
                    return exit::ERROR;
                }
            },
        };
        let mut whys = match ward_engine::why::explain(&engine, index, &inputs, &overrides, at) {
            Ok(w) => w,
            Err(e) => {
                output::error(ecolor, &e);
                return exit::ERROR;
            }
        };
        if let Some(t) = &a.resource {
            whys.retain(|w| w.resource.shown().contains(t.as_str()));
        }
        match a.format {
            Format::Json => serde_json::to_string_pretty(&whys).unwrap_or_default() + "\n",
            Format::Text => render_on(control, &whys),
        }
    };
    match output::write(None, &text) {
        Ok(()) => exit::OK,
        Err(e) => {
            output::error(ecolor, &e);
            exit::ERROR
        }
    }
}

/// The param values a control runs with under `--on`: the project's
/// `[params]` that name a param of the loaded packs, then `--set`.
fn overrides(
    engine: &Engine,
    control: &ControlDef,
    project: Option<&super::setup::LoadedProject>,
    sets: &[String],
) -> Result<std::collections::HashMap<u32, ward_engine::value::val::Frozen>, String> {
    use ward_engine::SetValue;
    let mut all: Vec<(String, SetValue)> = Vec::new();
    for (k, v) in project
        .map(|p| p.project.param_values())
        .unwrap_or_default()
    {
        if engine.program.params.iter().any(|d| d.qname == k) {
            all.push((k, SetValue::Json(v)));
        }
    }
    for s in sets {
        all.push(super::setup::parse_set(s)?);
    }
    engine
        .param_overrides(&all, &control.package)
        .map_err(|e| e.0)
}

/// `ward explain CONTROL --on PATH`: each resource the control was offered,
/// with what decided it; the kinds it never takes, counted.
fn render_on(control: &ControlDef, whys: &[ward_engine::why::ResourceWhy]) -> String {
    use ward_engine::why::Outcome;
    let count = |o: Outcome| whys.iter().filter(|w| w.outcome == o).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} on {} resource{}: {} failed, {} passed, {} skipped, {} with errors",
        control.id,
        whys.len(),
        if whys.len() == 1 { "" } else { "s" },
        count(Outcome::Failed),
        count(Outcome::Passed),
        count(Outcome::Skipped),
        count(Outcome::Error),
    );
    for w in whys.iter().filter(|w| w.outcome != Outcome::NotOffered) {
        let outcome = match w.outcome {
            Outcome::Failed => "failed",
            Outcome::Passed => "passed",
            Outcome::Skipped => "skipped",
            Outcome::Error => "error",
            Outcome::NotOffered => "not offered",
        };
        let _ = writeln!(
            out,
            "\n{} ({}:{}): {outcome}",
            w.resource.shown(),
            w.file,
            w.line
        );
        if let Some(e) = &w.error {
            let _ = writeln!(out, "  {e}");
        }
        if w.outcome == Outcome::Passed && w.steps.is_empty() {
            let _ = writeln!(out, "  it applied, and no `deny` or `warn` was reached");
        }
        for s in &w.steps {
            let (what, keyword) = match s.what {
                "match" => ("does not match", "match"),
                "found" => ("found", "when"),
                "branch" => ("not looked for", "if"),
                "empty loop" => ("not looked for, nothing to go over", "for ... in"),
                _ => ("not found", "when"),
            };
            let at = s
                .element
                .as_deref()
                .map(|p| format!(" in {p}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {what}{at} ({}:{})",
                s.condition.file, s.condition.line
            );
            let _ = writeln!(out, "      {keyword} {}", one_line(&s.condition.text));
            for v in &s.values {
                let _ = writeln!(out, "      {} = {}", one_line(&v.expression.text), v.value);
            }
        }
        for f in &w.findings {
            let _ = writeln!(out, "  finding {f}");
        }
    }
    let mut kinds: Vec<&str> = whys
        .iter()
        .filter(|w| w.outcome == Outcome::NotOffered)
        .map(|w| w.resource.kind.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    if !kinds.is_empty() {
        let _ = writeln!(
            out,
            "\n{} resource{} of kinds the control's `match` never takes: {}",
            count(Outcome::NotOffered),
            if count(Outcome::NotOffered) == 1 {
                ""
            } else {
                "s"
            },
            kinds.join(", ")
        );
    }
    out
}

/// Policy text on one line, its runs of white space made one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One of Ward's own notices, as `ward explain` shows a control.
fn render_notice(n: &ward_engine::finding::Notice) -> String {
    let mut out = format!(
        "{}\n\n  id:         {}\n  pack:       {} (a notice of Ward's own: it never fails a run and has no score)\n  level:      warn\n",
        n.title, n.id, n.pack
    );
    section(&mut out, "Description", n.description);
    section(&mut out, "Remedy", n.remedy);
    out
}

/// The controls that map to a framework item: `item`, or
/// `framework:item`.
fn mapping(engine: &Engine, query: &str) -> Vec<usize> {
    let (framework, item) = match query.split_once(':') {
        Some((f, i)) => (Some(f), i),
        None => (None, query),
    };
    engine
        .program
        .controls
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.maps
                .iter()
                .any(|m| m.item == item && framework.is_none_or(|f| m.framework == f))
        })
        .map(|(i, _)| i)
        .collect()
}

/// The index of the control `query` names: its id, or the one id that ends
/// in `.query`.
fn find(engine: &Engine, query: &str) -> Result<usize, String> {
    let controls = &engine.program.controls;
    if let Some((i, _)) = engine.program.control(query) {
        return Ok(i);
    }
    let suffix = format!(".{query}");
    let matches: Vec<usize> = controls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.id.ends_with(&suffix))
        .map(|(i, _)| i)
        .collect();
    let items = match matches.as_slice() {
        [] => mapping(engine, query),
        _ => Vec::new(),
    };
    match matches.as_slice() {
        [i] => Ok(*i),
        [] if engine.program.pack(query).is_some() => Err(format!(
            "`{query}` is a pack, not a control: `ward packs --verbose` lists its controls, and `ward explain` takes one of them"
        )),
        [] if !items.is_empty() => {
            // A framework item (`5.2.1`, `cis_k8s:5.2.1`): the one control
            // that automates it, or the list to choose from.
            match items.as_slice() {
                [i] => Ok(*i),
                many => {
                    const SHOWN: usize = 10;
                    let mut ids: Vec<String> = many
                        .iter()
                        .take(SHOWN)
                        .filter_map(|i| controls.get(*i))
                        .map(|c| format!("`{}`", c.id))
                        .collect();
                    if many.len() > SHOWN {
                        ids.push(format!(
                            "and {} more (`ward frameworks` lists every item's controls)",
                            many.len() - SHOWN
                        ));
                    }
                    Err(format!(
                        "`{query}` is a framework item that {} controls automate: {}",
                        many.len(),
                        ids.join(", ")
                    ))
                }
            }
        }
        [] => {
            // Compare with whole ids and with their last parts, and name
            // the whole id either way.
            let ids = controls.iter().map(|c| c.id.as_str());
            let names = controls.iter().map(|c| c.name.as_str());
            let hint = ward_lang::diagnostic::suggest(query, ids)
                .or_else(|| {
                    let name = ward_lang::diagnostic::suggest(query, names)?;
                    let mut same = controls.iter().filter(|c| c.name == name);
                    match (same.next(), same.next()) {
                        (Some(c), None) => Some(c.id.as_str()),
                        _ => Some(name),
                    }
                })
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            Err(format!("there is no control `{query}`{hint}"))
        }
        many => {
            let ids: Vec<String> = many
                .iter()
                .filter_map(|&i| controls.get(i))
                .map(|c| format!("`{}`", c.id))
                .collect();
            Err(format!(
                "`{query}` names more than one control: {}",
                ids.join(", ")
            ))
        }
    }
}

fn render(engine: &Engine, index: usize, c: &ControlDef) -> String {
    let p = &engine.program;
    let mut out = String::new();
    let title = if c.title.is_empty() { &c.id } else { &c.title };
    let _ = writeln!(out, "{title}\n");
    let mut fields: Vec<(&str, String)> =
        vec![("id", c.id.clone()), ("severity", c.severity.to_string())];
    let packs: Vec<&str> = p
        .packs
        .iter()
        .filter(|pk| {
            pk.controls.contains(&index) || pk.levels.iter().any(|(_, cs)| cs.contains(&index))
        })
        .map(|pk| pk.name.as_str())
        .collect();
    fields.push((
        "packs",
        if packs.is_empty() {
            "none".to_string()
        } else {
            packs.join(", ")
        },
    ));
    for m in &c.maps {
        let mut item = format!("{} {}", m.framework, m.item);
        let fw = p.framework(&m.framework);
        let known = fw.and_then(|f| f.items.iter().find(|i| i.id == m.item));
        if let Some(i) = known {
            let _ = write!(item, " ({})", i.title);
        }
        for (k, v) in &m.args {
            let _ = write!(item, ", {k} {v}");
        }
        fields.push(("maps", item));
    }
    if let Some(v) = c.since {
        fields.push(("since", v.to_string()));
    }
    if let Some(r) = &c.replaces {
        fields.push(("replaces", format!("{r} (when this control is active)")));
    }
    if !c.tags.is_empty() {
        fields.push(("tags", c.tags.join(", ")));
    }
    if !c.waivable {
        fields.push(("waivable", "no".to_string()));
    }
    if c.redact {
        fields.push((
            "redact",
            "yes (reports mask the values its findings point at)".to_string(),
        ));
    }
    if c.has_fix {
        fields.push(("fix", "yes".to_string()));
    }
    let (line, _) = engine.sources.line_col(c.span);
    fields.push((
        "defined in",
        format!("{}:{line}", engine.sources.name(c.span.file)),
    ));
    for (k, v) in fields {
        let _ = writeln!(out, "  {:<12}{v}", format!("{k}:"));
    }
    if !c.docs.is_empty() {
        let _ = writeln!(out, "\n{}", c.docs.join("\n"));
    }
    section(&mut out, "Description", &c.description);
    section(&mut out, "Remedy", &c.remedy);
    if !c.references.is_empty() {
        let _ = writeln!(out, "\nReferences:");
        for r in &c.references {
            let _ = writeln!(out, "  {r}");
        }
    }
    let (examples, more) = examples(engine, index);
    if !examples.is_empty() {
        let _ = writeln!(out, "\nExamples:");
        for e in examples {
            out.push_str(&e);
        }
        if more > 0 {
            let _ = writeln!(
                out,
                "  ...and {more} more test{} of this control",
                if more == 1 { "" } else { "s" }
            );
        }
    }
    out
}

/// The most examples shown of a control failing (or warning), and of it
/// passing (or not applying).
const EXAMPLES_EACH: usize = 2;

fn section(out: &mut String, title: &str, text: &str) {
    if !text.is_empty() {
        let _ = writeln!(out, "\n{title}:\n  {text}");
    }
}

/// The test cases that expect this control to fail, pass or not apply:
/// up to [`EXAMPLES_EACH`] failing and as many passing, shown in the order
/// they are written; and how many more there are. The user's own tests
/// come first, then those about this control alone, then those written
/// out in the test rather than read from files.
fn examples(engine: &Engine, index: usize) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    for (order, t) in engine.program.tests.iter().enumerate() {
        let outcome = t.expects.iter().find_map(|x| match &x.kind {
            ExpectKind::Finding {
                control,
                kind: FindingKind::Deny,
                ..
            } if *control == index => Some("fails"),
            ExpectKind::Finding { control, .. } if *control == index => Some("warns"),
            ExpectKind::Outcome {
                control,
                outcome: Outcome::Pass | Outcome::None,
            } if *control == index => Some("passes"),
            ExpectKind::Outcome {
                control,
                outcome: Outcome::Skip,
            } if *control == index => Some("does not apply"),
            _ => None,
        });
        if let Some(o) = outcome {
            let builtin = engine.sources.name(t.file).starts_with("<ward>/");
            found.push(((builtin, others(t, index), from_files(t)), order, o, t));
        }
    }
    found.sort_by_key(|&(rank, order, ..)| (rank, order));
    let mut shown: Vec<(usize, &str, &TestDef)> = Vec::new();
    for failing in [true, false] {
        shown.extend(
            found
                .iter()
                .filter(|(_, _, o, _)| matches!(*o, "fails" | "warns") == failing)
                .take(EXAMPLES_EACH)
                .map(|&(_, order, o, t)| (order, o, t)),
        );
    }
    shown.sort_by_key(|&(order, ..)| order);
    let more = found.len() - shown.len();
    let out = shown
        .into_iter()
        .map(|(_, o, t)| example(engine, t, o))
        .collect();
    (out, more)
}

/// Whether a test reads its inputs from files, which an example cannot
/// show: those written in the test come first.
fn from_files(t: &TestDef) -> bool {
    t.given
        .iter()
        .any(|g| matches!(g.kind, ward_lang::hir::HKind::Str(_)))
}

/// How many other controls a test's expectations name.
fn others(t: &TestDef, index: usize) -> usize {
    let mut named: Vec<usize> = t
        .expects
        .iter()
        .filter_map(|x| match &x.kind {
            ExpectKind::Finding { control, .. } | ExpectKind::Outcome { control, .. } => {
                Some(*control)
            }
            _ => None,
        })
        .filter(|&c| c != index)
        .collect();
    named.sort_unstable();
    named.dedup();
    named.len()
}

fn example(engine: &Engine, t: &TestDef, outcome: &str) -> String {
    let mut out = format!("  {outcome}: {}\n", t.name);
    if let Some(v) = t.version {
        let _ = writeln!(out, "    at {v}");
    }
    // A file is read relative to its test: named here from the folder the
    // test is in (for a built-in pack, its place in Ward's repository).
    let test_name = engine.sources.name(t.file);
    let folder = Path::new(test_name.strip_prefix("<ward>/").unwrap_or(test_name))
        .parent()
        .unwrap_or(Path::new(""));
    for g in &t.given {
        if let ward_lang::hir::HKind::Str(path) = &g.kind {
            let _ = writeln!(
                out,
                "    given {:?}",
                folder.join(path).display().to_string()
            );
            continue;
        }
        let src = engine.sources.snippet(g.span);
        // Object literals are laid out again, narrow enough to read.
        let shown = match ward_lang::parse_expr(FileId(u32::MAX), src) {
            Ok(e) => ward_lang::fmt::format_expr(&e, 80),
            Err(_) => src.to_string(),
        };
        let mut lines = shown.lines();
        if let Some(first) = lines.next() {
            let _ = writeln!(out, "    given {first}");
        }
        for l in lines {
            let _ = writeln!(out, "    {l}");
        }
    }
    out
}
