//! Calls of context-free functions with scalar arguments are remembered
//! across resources; a result that holds a document node is not, so a
//! finding never points into another resource.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use ward_engine::{EngineBuilder, EvalOptions, Inputs, LoadOptions};

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
    let engine = EngineBuilder::new()
        .policy("team.ward", POLICY)
        .build()
        .expect("the policy checks");
    // No packs: the team's own policies only.
    let selection = engine
        .select(&[], true, &[])
        .expect("the selection is valid");
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
            assert_eq!(f.message, "Pod/nginx NGINX!");
        }
    }
}
