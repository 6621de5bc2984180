//! The step budget of one control on one resource stops every way a
//! control can take long (a `for`, a quantifier, a comprehension, a chain
//! of calls that doubles at each link), soon after the budget is passed,
//! and leaves the other controls alone.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::team_engine;
use ward_engine::{EvalOptions, Inputs, LoadOptions};

const POLICY: &str = r#"package long

let xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

# Lists are not remembered as arguments, so each link calls the next twice:
# 2^12 calls, with no loop anywhere.
fn d0(x) = len(x)
fn d1(x) = d0(x) + d0(x)
fn d2(x) = d1(x) + d1(x)
fn d3(x) = d2(x) + d2(x)
fn d4(x) = d3(x) + d3(x)
fn d5(x) = d4(x) + d4(x)
fn d6(x) = d5(x) + d5(x)
fn d7(x) = d6(x) + d6(x)
fn d8(x) = d7(x) + d7(x)
fn d9(x) = d8(x) + d8(x)
fn d10(x) = d9(x) + d9(x)
fn d11(x) = d10(x) + d10(x)
fn d12(x) = d11(x) + d11(x)

control statements {
  title "for statements"
  for a in xs {
    for b in xs {
      for c in xs {
        deny when a * b * c < 0
      }
    }
  }
}

control quantifiers {
  title "quantifiers"
  deny when any a in xs: any b in xs: any c in xs: a * b * c < 0
}

control comprehension {
  title "a comprehension"
  deny when len([a * b * c for a in xs for b in xs for c in xs]) < 0
}

control calls {
  title "a chain of calls"
  deny when d12([1]) < 0
}

control short {
  title "short"
  deny when input.metadata.name == "c"
}
"#;

/// Steps a control may take past the budget before a check stops it: no
/// more than one turn of a loop or one function body has expressions.
const OVERSHOOT: u64 = 40;

/// The policy's controls over the ConfigMap `c` and any `more` documents,
/// under a per-resource budget (the default when `None`): the report, and
/// the controls the budget stopped, in the order of their errors.
fn run(
    name: &str,
    policy: &str,
    more: Option<&str>,
    budget: Option<u64>,
) -> (ward_engine::Report, Vec<String>) {
    let (engine, selection) = team_engine(name, policy);
    let mut inputs = Inputs::default();
    inputs.add_text(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        &LoadOptions::default(),
    );
    if let Some(text) = more {
        inputs.add_text("more.yaml", text, &LoadOptions::default());
    }
    let mut opts = EvalOptions::default();
    if let Some(b) = budget {
        opts.budget = b;
    }
    let report = engine.evaluate(&selection, &inputs, &opts);
    let stopped = report
        .errors
        .iter()
        .filter(|e| e.message.contains("--eval-budget"))
        .filter_map(|e| e.control.clone())
        .collect();
    (report, stopped)
}

#[test]
fn every_kind_of_loop_stops_at_the_budget() {
    let budget = 500;
    let (report, stopped) = run("long.ward", POLICY, None, Some(budget));
    for c in ["statements", "quantifiers", "comprehension", "calls"] {
        let id = format!("long.{c}");
        assert!(stopped.contains(&id), "{id} stops: {stopped:?}");
        let outcome = report
            .outcomes
            .iter()
            .find(|o| o.control == id)
            .expect("every control has an outcome");
        assert!(
            outcome.steps > budget && outcome.steps <= budget + OVERSHOOT,
            "{id} took {} steps for a budget of {budget}",
            outcome.steps
        );
    }
    assert_eq!(stopped.len(), 4, "{:?}", report.errors);
    assert!(
        report.findings.iter().any(|f| &*f.control == "long.short"),
        "the short control still reports"
    );
    // With the default budget, every control runs to its end.
    let (report, _) = run("long.ward", POLICY, None, None);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

const LONG_LISTS: &str = r#"package lists

control membership {
  title "membership in a long list, in a loop"
  match input.metadata.name == "c"
  deny when any x in range(50): (x + 1000000) in range(100000)
}

control distinct {
  title "the distinct items of a long list"
  match input.metadata.name == "c"
  deny when len(unique(range(100000) + range(100000))) < 0
}

control both_ways {
  title "each item of one long list in another"
  match input.metadata.name == "c"
  deny when contains_any(range(30000), range(30000, 60000))
}

control deep {
  title "a deep value written out, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(10): len(to_json({a: range(5000)})) < 0
}

control queries {
  title "a query of many resources, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(100): len(resources(kind: "ConfigMap")) < 0
}

control sorted {
  title "a long list sorted, in a loop"
  match input.metadata.name == "c"
  let v = range(3000)
  deny when any i in range(3): len(sort(v)) < 0
}

control queried {
  title "a JSONPath query of a deep value, in a loop"
  match input.metadata.name == "c"
  let v = {a: range(5000)}
  deny when any i in range(20): len(jsonpath(v, "$.a[0]")) < 0
}

/// A value of 3,000 items, and a list of one equal to it and itself: each
/// lookup of it compares every item.
let deep = {items: range(3000)}
let deep_list = [{items: range(3000)}, deep]

/// Text of 13,890 bytes with 2,999 commas, and a string of 200.
let json = to_json(range(3000))
let long = join([" " for i in range(200)], "")

control compared {
  title "deep values compared, in a loop"
  match input.metadata.name == "c"
  let a = {items: range(3000)}
  let b = {items: range(3000)}
  deny when any i in range(30): a != b or [a] == [b, b]
}

control found {
  title "a deep value looked for in a list, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(30): deep not in deep_list
}

control distinct_deep {
  title "deep values made distinct, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(30): len(unique(deep_list)) < 1
}

control located {
  title "a deep value's place in a list, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(30): index_of(deep_list, deep) < 0
}

control contained {
  title "a deep value looked for with contains, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(30): not contains(deep_list, deep)
}

control wanted {
  title "deep values looked for in a short list, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(30): not contains_all(deep_list, [deep])
}

control wanted_long {
  title "a deep value looked for in a longer list, in a loop"
  match input.metadata.name == "c"
  let l = [{items: range(300), n: i} for i in range(16)]
  let x = {items: range(300), n: 15}
  deny when any i in range(30): not contains_any(l, [x])
}

control sorted_deep {
  title "deep values sorted, in a loop"
  match input.metadata.name == "c"
  let a = {items: range(3000)}
  let b = {items: range(2000)}
  deny when any i in range(10): len(sort([a, b])) < 2
}

control joined {
  title "a deep value joined into a string, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(30): len(join([deep], ",")) < 0
}

control interpolated {
  title "a deep value written into a string, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(30): len("{deep}") < 0
}

control flattened {
  title "long lists flattened, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(30): len(flatten([deep.items, deep.items])) < 0
}

control replaced {
  title "many matches replaced by a longer string, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(3): len(replace(json, ",", long)) < 0
}

control regex_replaced {
  title "many regular expression matches replaced by a longer string, in a loop"
  match input.metadata.name == "c"
  deny when any i in range(3): len(regex_replace(",", json, long)) < 0
}

control short_lists {
  title "short lists"
  deny when input.metadata.name in ["a", "b", "c"] or len(unique(range(60))) < 0
}
"#;

#[test]
fn what_builtins_and_operators_go_through_counts_towards_the_budget() {
    // Enough ConfigMaps for a query of them to count.
    let many: String = (0..640)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m{i}\n"))
        .collect();
    // Each control takes a few hundred steps of expressions, and goes
    // through a hundred thousand items or more: a step for each 64.
    let (report, stopped) = run("lists.ward", LONG_LISTS, Some(&many), Some(1_000));
    assert_eq!(
        stopped,
        [
            "lists.membership",
            "lists.distinct",
            "lists.both_ways",
            "lists.deep",
            "lists.queries",
            "lists.sorted",
            "lists.queried",
            "lists.compared",
            "lists.found",
            "lists.distinct_deep",
            "lists.located",
            "lists.contained",
            "lists.wanted",
            "lists.wanted_long",
            "lists.sorted_deep",
            "lists.joined",
            "lists.interpolated",
            "lists.flattened",
            "lists.replaced",
            "lists.regex_replaced"
        ],
        "{:?}",
        report.errors
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| &*f.control == "lists.short_lists"),
        "a list shorter than 64 items costs nothing more"
    );
    // With the default budget, the work is counted and done.
    let (report, _) = run("lists.ward", LONG_LISTS, Some(&many), None);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let steps = |id: &str| {
        report
            .outcomes
            .iter()
            .find(|o| o.control == id)
            .map(|o| o.steps)
            .unwrap_or_default()
    };
    // 50 ranges and memberships of 100,000 items: 50 × 2 × 1,562 steps.
    assert!(
        steps("lists.membership") > 150_000,
        "{}",
        steps("lists.membership")
    );
    // On each of the 641 resources.
    assert!(
        steps("lists.short_lists") < 100 * 641,
        "{}",
        steps("lists.short_lists")
    );
}
