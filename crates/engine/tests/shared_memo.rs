//! Calls of context-free functions with scalar arguments are remembered
//! across resources; a result that holds a node of an argument's document
//! is not, so a finding never points into another resource. Calls of
//! context-free functions on other resources' nodes are remembered across
//! resources too. Calls that read no param are remembered across the
//! packs of a run, and only those, including what one pack worked out
//! about other resources. Calls on different nodes of one resource keep
//! their own results.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::{body_runs, built, team_engine, with_and_without_memos};
use ward_engine::{Engine, EngineBuilder, EvalOptions, Inputs, LoadOptions, Selection};

const POLICY: &str = r#"package team

/// Returns its argument: a document node when given one.
fn same(x) = if len(str(x) ?? "") > 0 then x else null

/// A scalar computed from a string: the same on every resource.
fn shout(s) = upper(s) + "!"

control images {
  title "images"
  severity low
  match input.kind == "Pod"
  for c in input.spec.containers {
    let img = same(c.image)
    deny when shout(img) == "NGINX!"
      at img
      message "{input.kind}/{img} {shout(img)}"
  }
}
"#;

#[test]
fn shared_results_stay_with_their_resource() {
    // No packs: the team's own policies only.
    let (engine, selection) = team_engine("team.ward", POLICY);
    let mut inputs = Inputs::default();
    // The same image in many files, at different places (so that one
    // evaluator sees several of them whatever the threads do).
    for i in 0..64 {
        let others = "    - image: busybox\n".repeat(i % 3);
        inputs.add_text(
            &format!("p{i:02}.yaml"),
            &format!("kind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n{others}    - image: nginx\n"),
            &LoadOptions::default(),
        );
    }
    for memoize in [true, false] {
        let opts = EvalOptions {
            memoize,
            ..EvalOptions::default()
        };
        let report = engine.evaluate(&selection, &inputs, &opts);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        // One finding in each file, none pointing into another file.
        let files: std::collections::BTreeSet<_> =
            report.findings.iter().map(|f| &*f.file).collect();
        assert_eq!((report.findings.len(), files.len()), (64, 64));
        for f in &report.findings {
            let i: u32 = f.file[1..3].parse().expect("a numbered file");
            assert_eq!((f.line, f.column), (6 + i % 3, 14), "{}", f.file);
            assert_eq!(f.pointer, format!("/spec/containers/{}/image", i % 3));
            assert_eq!(&*f.message, "Pod/nginx NGINX!");
        }
    }
}

/// Two packs over the same controls with different params: a function
/// that reads a param (directly, through a constant or through a call)
/// answers each pack for itself, while one that reads none is worked out
/// once for both.
const UNITS: &str = r#"package units

param blocked: list<string> = []
let blocked_too = blocked

/// Reads no param: the same answer in every pack.
fn heavy(r) = len([c for c in r.spec.containers if c.image == "nginx"]) > 0
fn via_param(r) = r.metadata.name in blocked
fn via_const(r) = r.metadata.name in blocked_too
fn via_call(r) = via_param(r)

control by_param {
  title "param"
  severity low
  match input.kind == "Pod"
  deny when via_param(input) message "param"
}

control by_const {
  title "const"
  severity low
  match input.kind == "Pod"
  deny when via_const(input) message "const"
}

control by_call {
  title "call"
  severity low
  match input.kind == "Pod"
  deny when via_call(input) message "call"
}

control by_heavy {
  title "heavy"
  severity low
  match input.kind == "Pod"
  deny when heavy(input) message "heavy"
}

pack first {
  version "1.0.0"
  include units.*
  set blocked = ["x"]
}

pack second {
  version "1.0.0"
  include units.*
  set blocked = ["y"]
}
"#;

/// An engine with one policy file, and a selection of the packs it
/// declares.
fn with_packs(name: &str, policy: &str, packs: &[&str]) -> (Engine, Selection) {
    let engine = EngineBuilder::std_only()
        .policy(name, policy)
        .build()
        .expect("the policy checks");
    let packs: Vec<ward_engine::PackRef> = packs
        .iter()
        .map(|n| ward_engine::PackRef {
            name: n.to_string(),
            version: None,
        })
        .collect();
    let selection = engine
        .select(&packs, false, &[])
        .expect("the selection is valid");
    (engine, selection)
}

/// A report's findings as (pack, message), sorted.
fn by_pack(report: &ward_engine::Report) -> Vec<(String, String)> {
    let mut got: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.pack.to_string(), f.message.to_string()))
        .collect();
    got.sort();
    got
}

/// A pool of one thread, so that one evaluator meets every resource in
/// turn (an input of fewer than 256 resources is one piece of work
/// whatever the threads; this holds for more).
fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool")
}

#[test]
fn packs_share_only_what_reads_no_param() {
    let (engine, selection) = with_packs("units.ward", UNITS, &["first", "second"]);
    let mut inputs = Inputs::default();
    inputs.add_text(
        "x.yaml",
        "kind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - image: busybox\n    - image: nginx\n",
        &LoadOptions::default(),
    );
    let report = engine.evaluate(&selection, &inputs, &EvalOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let got = by_pack(&report);
    let want: Vec<(String, String)> = [
        ("first", "call"),
        ("first", "const"),
        ("first", "heavy"),
        ("first", "param"),
        ("second", "heavy"),
    ]
    .iter()
    .map(|(p, m)| (p.to_string(), m.to_string()))
    .collect();
    assert_eq!(got, want);
    // The second pack reads `heavy`'s answer from the first.
    let steps = |pack: &str| {
        report
            .outcomes
            .iter()
            .find(|o| o.pack == pack && o.control == "units.by_heavy")
            .map(|o| o.steps)
            .expect("an outcome")
    };
    assert!(
        steps("second") < steps("first"),
        "{} vs {}",
        steps("second"),
        steps("first")
    );
}

/// Functions handed other resources' nodes (by an inventory query) or a
/// version.
const REFS: &str = r#"package refs

/// The pods of a namespace: nodes of other resources.
fn pods_in(ns) = [p for p in resources(kind: "Pod", namespace: ns)]

/// A pod's images, joined: reads nothing but its argument.
fn images(p) = join([c.image for c in p.spec.containers ?? []], ",")

/// Whether a version is recent, the long way round.
fn recent(v) = len([x for x in [1, 2, 3, 4, 5, 6, 7, 8] if v >= v1.25]) > 0

control by_query {
  title "query"
  severity low
  match input.kind == "Service"
  for p in pods_in(input.metadata.namespace) {
    deny message "{input.metadata.name} selects {p.metadata.name}"
  }
}

control by_node {
  title "node"
  severity low
  match input.kind == "Service"
  for p in resources(kind: "Pod", namespace: input.metadata.namespace) {
    deny message "{input.metadata.name} reaches {images(p)}"
  }
}

control by_version {
  title "version"
  severity low
  match input.kind == "Pod"
  deny when recent(v1.30) and recent(v1.30) message "recent"
}
"#;

/// Two Pods in namespace `a`, `p0` (nginx, redis) and `p1` (busybox,
/// envoy), each in a file of its own.
fn two_pods() -> Inputs {
    let mut inputs = Inputs::default();
    for (i, images) in [["nginx", "redis"], ["busybox", "envoy"]]
        .iter()
        .enumerate()
    {
        let containers: String = images
            .iter()
            .map(|m| format!("    - image: {m}\n"))
            .collect();
        inputs.add_text(
            &format!("p{i}.yaml"),
            &format!("kind: Pod\nmetadata:\n  name: p{i}\n  namespace: a\nspec:\n  containers:\n{containers}"),
            &LoadOptions::default(),
        );
    }
    inputs
}

/// The `refs` policy over [`two_pods`] and `services` Services of
/// namespace `a` (`s0`, `s1`, ...).
fn refs_over(services: usize) -> (Engine, Selection, Inputs) {
    let (engine, selection) = built(EngineBuilder::std_only().policy("refs.ward", REFS));
    let mut inputs = two_pods();
    for i in 0..services {
        inputs.add_text(
            &format!("s{i}.yaml"),
            &format!("kind: Service\nmetadata:\n  name: s{i}\n  namespace: a\n"),
            &LoadOptions::default(),
        );
    }
    (engine, selection, inputs)
}

#[test]
fn results_on_other_resources_and_versions_are_remembered() {
    let (engine, selection, inputs) = refs_over(3);
    // One thread, so that one evaluator meets every resource in turn.
    let pool = one_thread();
    let run = |memoize| {
        let opts = EvalOptions {
            memoize,
            ..EvalOptions::default()
        };
        pool.install(|| engine.evaluate(&selection, &inputs, &opts))
    };
    let (on, off) = (run(true), run(false));
    for report in [&on, &off] {
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }
    let messages = |r: &ward_engine::Report| -> Vec<String> {
        let mut m: Vec<String> = r.findings.iter().map(|f| f.message.to_string()).collect();
        m.sort();
        m
    };
    let mut want = vec!["recent".to_string(), "recent".to_string()];
    for s in 0..3 {
        want.push(format!("s{s} reaches busybox,envoy"));
        want.push(format!("s{s} reaches nginx,redis"));
        want.push(format!("s{s} selects p0"));
        want.push(format!("s{s} selects p1"));
    }
    want.sort();
    assert_eq!(messages(&on), want);
    assert_eq!(messages(&off), want);
    // Each control costs fewer steps when results are remembered: the
    // pods of `a` and their images are worked out for the first Service
    // only, and `recent(v1.30)` once.
    let steps = |r: &ward_engine::Report, control: &str| {
        r.outcomes
            .iter()
            .find(|o| o.control == control)
            .map(|o| o.steps)
            .expect("an outcome")
    };
    for control in ["refs.by_query", "refs.by_node", "refs.by_version"] {
        assert!(
            steps(&on, control) < steps(&off, control),
            "{control}: {} remembered, {} not",
            steps(&on, control),
            steps(&off, control)
        );
    }
}

#[test]
fn what_one_piece_worked_out_serves_the_next_on_its_thread() {
    // Enough Services for several pieces of work (of at least 256
    // resources each), all asking for the pods of `a`.
    let (engine, selection, inputs) = refs_over(900);
    let opts = EvalOptions {
        profile: true,
        ..EvalOptions::default()
    };
    let report = one_thread().install(|| engine.evaluate(&selection, &inputs, &opts));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.findings.len(), 900 * 4 + 2);
    // The thread keeps its memos from one piece to the next: the pods of
    // `a` are listed once, not once a piece.
    assert_eq!(
        body_runs(&report, "refs.pods_in"),
        1,
        "{:?}",
        report.functions
    );
}

/// Functions called on nodes of the resource being checked: the resource
/// itself, and its containers, each more than once.
const OWN: &str = r#"package own

/// A container's image, the long way round.
fn image_of(c) = first([x for x in [c.image, c.image, c.image] if exists(x)])

/// The resource's name, the long way round.
fn name_of(r) = first([x for x in [r.metadata.name, r.metadata.name] if exists(x)])

control per_container {
  title "containers"
  severity low
  match input.kind == "Pod"
  for c in input.spec.containers {
    deny when image_of(c) != "" and len(image_of(c)) > 0
      message "{name_of(input)}/{name_of(input)} runs {image_of(c)}"
  }
}
"#;

#[test]
fn results_on_each_node_of_a_resource_are_its_own() {
    let (engine, selection) = built(EngineBuilder::std_only().policy("own.ward", OWN));
    let inputs = two_pods();
    let (on, off) = with_and_without_memos(&engine, &selection, &inputs);
    let messages = |r: &ward_engine::Report| -> Vec<String> {
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let mut m: Vec<String> = r.findings.iter().map(|f| f.message.to_string()).collect();
        m.sort();
        m
    };
    let want = [
        "p0/p0 runs nginx",
        "p0/p0 runs redis",
        "p1/p1 runs busybox",
        "p1/p1 runs envoy",
    ];
    assert_eq!(messages(&on), want);
    assert_eq!(messages(&off), want);
    let steps = |r: &ward_engine::Report| r.outcomes.iter().map(|o| o.steps).sum::<u64>();
    assert!(
        steps(&on) < steps(&off),
        "{} remembered, {} not",
        steps(&on),
        steps(&off)
    );
}

/// One pack asks, over the inventory, about other resources with a
/// function that reads no param; another calls it on each of those
/// resources in its own turn.
const ACROSS: &str = r#"package across

/// Reads no param: the same answer in every pack.
fn spec_of(r) = first([s for s in [r.spec, r.spec] if exists(s)])

control asks {
  title "asks"
  severity low
  match input.kind == "Service"
  deny when len([p for p in resources(kind: "Pod") if exists(spec_of(p))]) == 2
    message "two pods"
}

control own {
  title "own"
  severity low
  match input.kind == "Pod"
  deny when exists(spec_of(input)) message "own"
}

pack asking {
  version "1.0.0"
  include across.asks
}

pack owning {
  version "1.0.0"
  include across.own
}
"#;

#[test]
fn what_one_pack_asked_about_a_resource_serves_the_others_on_its_turn() {
    let (engine, selection) = with_packs("across.ward", ACROSS, &["asking", "owning"]);
    // The Service comes first, so its query meets the pods before their
    // own turn.
    let mut inputs = Inputs::default();
    inputs.add_text(
        "a.yaml",
        "kind: Service\nmetadata:\n  name: s\n  namespace: a\n",
        &LoadOptions::default(),
    );
    for name in ["p0", "p1"] {
        inputs.add_text(
            &format!("{name}.yaml"),
            &format!("kind: Pod\nmetadata:\n  name: {name}\n  namespace: a\nspec:\n  containers:\n    - image: nginx\n"),
            &LoadOptions::default(),
        );
    }
    // Memos live as long as a piece of the work; so few resources are one
    // piece, even on one thread.
    let pool = one_thread();
    let opts = EvalOptions {
        profile: true,
        ..EvalOptions::default()
    };
    let report = pool.install(|| engine.evaluate(&selection, &inputs, &opts));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let got = by_pack(&report);
    assert_eq!(
        got,
        [("asking", "two pods"), ("owning", "own"), ("owning", "own")]
            .map(|(p, m)| (p.to_string(), m.to_string()))
    );
    // `spec_of` ran once per pod, for the Service's query; each pod's own
    // control in the other pack found the answer.
    assert_eq!(
        body_runs(&report, "across.spec_of"),
        2,
        "{:?}",
        report.functions
    );
}
