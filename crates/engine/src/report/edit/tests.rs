use super::*;
use crate::engine::Report;
use crate::eval::FixOp;
use crate::finding::Level;
use serde_json::json;

/// A finding on resource `r` of file `name`, with a fix of `ops`.
fn finding_on(
    name: &str,
    r: &crate::input::Resource,
    ops: &[(&'static str, &str, Option<Value>)],
) -> Finding {
    Finding::new(crate::FindingFields {
        control: "c".into(),
        pack: "p".into(),
        profile: None,
        severity: Default::default(),
        level: Level::Deny,
        title: String::new().into(),
        message: "".into(),
        frameworks: Vec::new().into(),
        resource: crate::engine::identity(r).into(),
        file: name.into(),
        origin: None,
        document: r.index,
        line: r.root().pos().line,
        column: r.root().pos().col,
        pointer: String::new(),
        fix: ops
            .iter()
            .map(|(op, path, value)| FixOp {
                op,
                path: path.to_string(),
                value: value.clone().map(std::sync::Arc::new),
            })
            .collect(),
        remedy: String::new().into(),
        fingerprint: Default::default(),
        waived: None,
        secrets: None,
    })
}

/// The file after the fix of a finding on resource `i` of `text`.
fn fixed(
    name: &str,
    text: &str,
    i: usize,
    ops: &[(&'static str, &str, Option<Value>)],
) -> Option<String> {
    let mut inputs = Inputs::default();
    inputs.add_text(name, text, &LoadOptions::default());
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    let f = finding_on(name, &inputs.resources[i], ops);
    let report = Report {
        findings: vec![f.clone()],
        ..Report::default()
    };
    let sources = Sources::new(&inputs, &report);
    Planner::new(&inputs, &sources)
        .plan(&f)
        .and_then(|p| p.fixed(text))
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: p # the name
  labels: {app: web, tier: front}
spec:
  containers:
    - name: web
      image: nginx:1.27
      securityContext:
        privileged: true
        runAsUser: 0
    - name: side
      image: busybox
      command: |
        sleep 1
---
apiVersion: v1
kind: Service
metadata: {name: s}
";

#[test]
fn replaces_a_scalar_and_keeps_comments() {
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[(
            "replace",
            "/spec/containers/0/securityContext/privileged",
            Some(json!(false)),
        )],
    )
    .unwrap();
    assert_eq!(out, POD.replace("privileged: true", "privileged: false"));
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[("replace", "/metadata/name", Some(json!("q r")))],
    )
    .unwrap();
    assert!(out.contains("  name: q r # the name\n"), "{out}");
}

#[test]
fn replaces_inside_flow_mappings() {
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[("replace", "/metadata/labels/app", Some(json!("a:b")))],
    )
    .unwrap();
    assert!(out.contains("labels: {app: \"a:b\", tier: front}"), "{out}");
}

#[test]
fn adds_keys_after_the_last_entry() {
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[(
            "add",
            "/spec/containers/0/securityContext/runAsNonRoot",
            Some(json!(true)),
        )],
    )
    .unwrap();
    assert!(
        out.contains("        runAsUser: 0\n        runAsNonRoot: true\n    - name: side"),
        "{out}"
    );
    // A nested value on new lines, after a block scalar.
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[(
            "add",
            "/spec/containers/1/securityContext",
            Some(json!({"allowPrivilegeEscalation": false})),
        )],
    )
    .unwrap();
    assert!(
        out.contains(
            "        sleep 1\n      securityContext:\n        allowPrivilegeEscalation: false\n---"
        ),
        "{out}"
    );
}

#[test]
fn adds_to_flow_mappings_and_lists() {
    let out = fixed(
        "a.yaml",
        POD,
        1,
        &[("add", "/metadata/namespace", Some(json!("shop")))],
    )
    .unwrap();
    assert!(
        out.ends_with("metadata: {name: s, namespace: shop}\n"),
        "{out}"
    );
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[(
            "add",
            "/spec/containers/-",
            Some(json!({"name": "x", "image": "y"})),
        )],
    )
    .unwrap();
    // `y` is a boolean to YAML 1.1 readers, so it is quoted.
    assert!(
        out.contains("        sleep 1\n    - name: x\n      image: \"y\"\n---"),
        "{out}"
    );
}

#[test]
fn removes_entries() {
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[(
            "remove",
            "/spec/containers/0/securityContext/privileged",
            None,
        )],
    )
    .unwrap();
    assert_eq!(out, POD.replace("        privileged: true\n", ""));
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[("remove", "/metadata/labels/app", None)],
    )
    .unwrap();
    assert!(out.contains("labels: {tier: front}"), "{out}");
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[("remove", "/spec/containers/0/securityContext", None)],
    )
    .unwrap();
    assert!(out.contains("image: nginx:1.27\n    - name: side"), "{out}");
}

/// Removing the only entry of a block mapping or list leaves it empty
/// (`{}`, `[]`) on its key's line, not null.
#[test]
fn removing_the_only_entry_leaves_an_empty_collection() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsUser: 0\n  containers:\n    - name: a\n      ports:\n        - containerPort: 80\n";
    let out = fixed(
        "a.yaml",
        text,
        0,
        &[("remove", "/spec/securityContext/runAsUser", None)],
    )
    .unwrap();
    assert_eq!(
        out,
        text.replace(
            "  securityContext:\n    runAsUser: 0\n",
            "  securityContext: {}\n"
        )
    );
    let out = fixed(
        "a.yaml",
        text,
        0,
        &[("remove", "/spec/containers/0/ports/0", None)],
    )
    .unwrap();
    assert_eq!(
        out,
        text.replace(
            "      ports:\n        - containerPort: 80\n",
            "      ports: []\n"
        )
    );
}

#[test]
fn several_operations_in_one_fix() {
    let out = fixed(
        "a.yaml",
        POD,
        0,
        &[
            (
                "replace",
                "/spec/containers/0/securityContext/privileged",
                Some(json!(false)),
            ),
            (
                "replace",
                "/spec/containers/0/securityContext/runAsUser",
                Some(json!(1000)),
            ),
        ],
    )
    .unwrap();
    assert!(
        out.contains("privileged: false\n        runAsUser: 1000\n"),
        "{out}"
    );
}

#[test]
fn what_cannot_be_proven_is_not_offered() {
    // A block scalar.
    assert_eq!(
        fixed(
            "a.yaml",
            POD,
            0,
            &[("replace", "/spec/containers/1/command", Some(json!("x")))]
        ),
        None
    );
    // A missing parent, a wrong op.
    assert_eq!(
        fixed("a.yaml", POD, 0, &[("add", "/nope/x", Some(json!(1)))]),
        None
    );
    assert_eq!(fixed("a.yaml", POD, 0, &[("move", "/spec", None)]), None);
    // Anchors: editing the anchor would change every alias too.
    let text = "kind: Pod\nmetadata:\n  name: &n p\n  labels:\n    n: *n\n";
    assert_eq!(
        fixed(
            "a.yaml",
            text,
            0,
            &[("replace", "/metadata/name", Some(json!("q")))]
        ),
        None
    );
}

#[test]
fn json_and_crlf_files() {
    let text = "{\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"é\", \"x\": 1}\n}\n";
    let out = fixed(
        "a.json",
        text,
        0,
        &[("replace", "/metadata/x", Some(json!(2)))],
    )
    .unwrap();
    assert!(out.contains("{\"name\": \"é\", \"x\": 2}"), "{out}");
    let out = fixed(
        "a.json",
        text,
        0,
        &[("add", "/metadata/y", Some(json!([1])))],
    )
    .unwrap();
    assert!(out.contains("\"x\": 1, \"y\": [1]}"), "{out}");
    let out = fixed("a.json", text, 0, &[("remove", "/metadata/name", None)]).unwrap();
    assert!(out.contains("\"metadata\": {\"x\": 1}"), "{out}");
    let crlf = "kind: Pod\r\nspec:\r\n  a: 1\r\n  b: 2\r\n";
    let out = fixed("a.yaml", crlf, 0, &[("add", "/spec/c", Some(json!(3)))]).unwrap();
    assert_eq!(out, "kind: Pod\r\nspec:\r\n  a: 1\r\n  b: 2\r\n  c: 3\r\n");
}

#[test]
fn token_ends() {
    let src = Source::new(
        std::sync::Arc::from("a: \"x y\" # c\nb:\n  c: 1\n"),
        crate::input::Format::Yaml,
    );
    assert_eq!(token_end(&src, 1, 4), Some(8));
    assert_eq!(token_end(&src, 3, 6), Some(22));
}

#[test]
fn fills_empty_flow_collections_in_block_style() {
    // Helm's templates render an empty `securityContext` as `{}` on the
    // line after the key.
    let helm = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    {}
  containers:
    - name: web
      image: nginx
      securityContext: {} # empty
      args: []
";
    let out = fixed(
        "a.yaml",
        helm,
        0,
        &[(
            "add",
            "/spec/securityContext/seccompProfile",
            Some(json!({"type": "RuntimeDefault"})),
        )],
    )
    .unwrap();
    assert!(
        out.contains(
            "  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n  containers:"
        ),
        "{out}"
    );
    let out = fixed(
        "a.yaml",
        helm,
        0,
        &[(
            "add",
            "/spec/containers/0/securityContext/runAsNonRoot",
            Some(json!(true)),
        )],
    )
    .unwrap();
    assert!(
        out.contains("      securityContext:\n        runAsNonRoot: true # empty\n"),
        "{out}"
    );
    let out = fixed(
        "a.yaml",
        helm,
        0,
        &[("add", "/spec/containers/0/args/-", Some(json!("quiet")))],
    )
    .unwrap();
    assert!(out.contains("      args:\n        - quiet\n"), "{out}");
}

#[test]
fn replaces_whole_collections() {
    let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: web
      image: nginx
      securityContext:
        capabilities:
          drop:
            - all # lower case
          add: [NET_RAW, \"SYS_TIME\"]
";
    let out = fixed(
        "a.yaml",
        text,
        0,
        &[(
            "replace",
            "/spec/containers/0/securityContext/capabilities/drop",
            Some(json!(["ALL"])),
        )],
    )
    .unwrap();
    assert!(
        out.contains(
            "        capabilities:\n          drop:\n            - ALL # lower case\n          add: [NET_RAW"
        ),
        "{out}"
    );
    // Of another length, the list is written again.
    let out = fixed(
        "a.yaml",
        text,
        0,
        &[(
            "replace",
            "/spec/containers/0/securityContext/capabilities/drop",
            Some(json!(["ALL", "NET_RAW"])),
        )],
    )
    .unwrap();
    assert!(
        out.contains("          drop:\n            - ALL\n            - NET_RAW\n          add: ["),
        "{out}"
    );
    let out = fixed(
        "a.yaml",
        text,
        0,
        &[(
            "replace",
            "/spec/containers/0/securityContext/capabilities/add",
            Some(json!(["CHOWN"])),
        )],
    )
    .unwrap();
    assert!(out.contains("          add: [CHOWN]\n"), "{out}");
    // A whole block mapping, written again as an empty flow one.
    let out = fixed("a.yaml", POD, 0, &[("replace", "/spec", Some(json!({})))]).unwrap();
    assert!(out.contains("\nspec: {}\n---\n"), "{out}");
}

/// Documents of many shapes in one stream: a first one without a marker,
/// comments and blank lines between them, a flow document on its marker's
/// line, a `...` end marker, a `kind: List`, an empty document, CRLF line
/// ends, a block scalar, and a last document without a final line break.
const STREAM: &str = "\
# leading comment
apiVersion: v1
kind: Pod
metadata:
  name: first
spec:
  containers:
    - name: a
      image: nginx
---
# between

apiVersion: v1
kind: Service
metadata: {name: s, labels: {app: web}}
spec:
  ports: [{port: 80}]
--- {apiVersion: v1, kind: ConfigMap, metadata: {name: flow}, data: {k: v}}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Secret
    metadata:
      name: one
  - apiVersion: v1
    kind: Secret
    metadata:
      name: two
...
---
---\r
apiVersion: v1\r
kind: Pod\r
metadata:\r
  name: crlf\r
spec:\r
  containers:\r
    - name: b\r
      image: busybox\r
---
apiVersion: v1
kind: Pod
metadata:
  name: last
spec:
  containers:
    - name: c
      image: alpine
      command: |
        sleep 1
      securityContext:
        privileged: true";

#[test]
fn a_fix_verified_in_its_document_is_the_fix_verified_in_its_file() {
    let mut inputs = Inputs::default();
    inputs.add_text("s.yaml", STREAM, &LoadOptions::default());
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    assert_eq!(inputs.resources.len(), 7);
    let ops: Vec<Vec<(&'static str, &str, Option<Value>)>> = vec![
        vec![("add", "/metadata/namespace", Some(json!("shop")))],
        vec![("replace", "/metadata/name", Some(json!("renamed")))],
        vec![("add", "/metadata/labels", Some(json!({"team": "a"})))],
        vec![("remove", "/metadata/name", None)],
        vec![(
            "add",
            "/spec/containers/0/securityContext",
            Some(json!({"runAsNonRoot": true})),
        )],
        vec![(
            "replace",
            "/spec/containers/0/securityContext/privileged",
            Some(json!(false)),
        )],
        vec![(
            "add",
            "/spec/containers/-",
            Some(json!({"name": "x", "image": "y"})),
        )],
        vec![("add", "/data/extra", Some(json!("---")))],
        vec![("add", "/data/lines", Some(json!("a\n---\nb")))],
        vec![
            ("add", "/metadata/namespace", Some(json!("shop"))),
            ("add", "/metadata/annotations", Some(json!({"a": "b"}))),
        ],
    ];
    let (mut proven, mut in_document) = (0, 0);
    for (i, r) in inputs.resources.iter().enumerate() {
        for op in &ops {
            let f = finding_on("s.yaml", r, op);
            let report = Report {
                findings: vec![f.clone()],
                ..Report::default()
            };
            let sources = Sources::new(&inputs, &report);
            let planner = Planner::new(&inputs, &sources);
            let piecewise = planner.plan(&f).and_then(|p| p.fixed(STREAM));
            let whole = Planner::new(&inputs, &sources)
                .whole_files_only()
                .plan(&f)
                .and_then(|p| p.fixed(STREAM));
            assert_eq!(piecewise, whole, "resource {i}, {op:?}");
            proven += usize::from(whole.is_some());
            in_document += usize::from(whole.is_some() && planner.spent() < STREAM.len());
        }
    }
    // Most of them can be made, most in their document alone, so the
    // comparison is not of nothing.
    assert!(proven >= 30, "{proven} fixes proven");
    assert!(
        in_document >= 25,
        "{in_document} of {proven} in their document"
    );
}

#[test]
fn a_fix_in_one_document_of_many_loads_only_its_document_again() {
    let doc = |i: usize| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n    - name: a\n      image: nginx\n"
        )
    };
    let text = (0..200).map(doc).collect::<Vec<_>>().join("---\n");
    let mut inputs = Inputs::default();
    inputs.add_text("many.yaml", &text, &LoadOptions::default());
    let f = finding_on(
        "many.yaml",
        &inputs.resources[100],
        &[("add", "/metadata/namespace", Some(json!("shop")))],
    );
    let report = Report {
        findings: vec![f.clone()],
        ..Report::default()
    };
    let sources = Sources::new(&inputs, &report);
    let planner = Planner::new(&inputs, &sources);
    let plan = planner.plan(&f).expect("the fix is proven");
    let fixed = plan.fixed(&text).unwrap_or_default();
    assert!(
        fixed.contains("  name: p100\n  namespace: shop\n"),
        "{fixed}"
    );
    // The document, about a hundred bytes, not the file.
    assert!(planner.spent() < 2 * doc(100).len(), "{}", planner.spent());
    let whole = Planner::new(&inputs, &sources).whole_files_only();
    assert!(whole.plan(&f).is_some());
    assert!(whole.spent() >= text.len());
}

#[test]
fn an_edit_that_moves_a_marker_is_never_proven_in_its_document_alone() {
    let mut inputs = Inputs::default();
    inputs.add_text("s.yaml", STREAM, &LoadOptions::default());
    let report = Report::default();
    let sources = Sources::new(&inputs, &report);
    let second = STREAM.find("\n---\n").map(|i| i + 1).unwrap_or_default();
    let first_doc = inputs.resources[0].root().to_json();
    let with = |key: &str, v: Value| {
        let mut d = first_doc.clone();
        d[key] = v;
        d
    };
    // (the edited text, the first resource as its document alone reads)
    let cases = [
        // A key glued to the next marker, which is then no marker.
        (
            format!("{}x: 1{}", &STREAM[..second], &STREAM[second..]),
            with("x", json!(1)),
        ),
        // The same with its line break: the marker stays.
        (
            format!("{}x: 1\n{}", &STREAM[..second], &STREAM[second..]),
            with("x", json!(1)),
        ),
        // A marker put into the first document.
        (
            STREAM.replacen("kind: Pod\n", "kind: Pod\n---\n", 1),
            first_doc.clone(),
        ),
    ];
    let mut proven = Vec::new();
    for (text, doc) in &cases {
        let expected = HashMap::from([(0, doc.clone())]);
        let piecewise = Planner::new(&inputs, &sources).verify_all("s.yaml", text, &expected);
        let whole = Planner::new(&inputs, &sources)
            .whole_files_only()
            .verify_all("s.yaml", text, &expected);
        assert!(
            !piecewise || whole,
            "proven in its document alone only: {text}"
        );
        proven.push(piecewise);
    }
    assert_eq!(proven, [false, true, false]);
}

#[test]
fn a_diff_worked_out_around_its_edits_is_the_diff_of_the_whole_file() {
    // Fixes at the start, middle and end of files, with and without a
    // final line break, so that the lines around them are cut short.
    let short =
        "kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: x";
    let files = [("s.yaml", STREAM), ("a.yaml", POD), ("short.yaml", short)];
    let ops: Vec<Vec<(&'static str, &str, Option<Value>)>> = vec![
        vec![("add", "/metadata/namespace", Some(json!("shop")))],
        vec![("replace", "/kind", Some(json!("Pod")))],
        vec![(
            "add",
            "/spec/containers/0/securityContext",
            Some(json!({"runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}})),
        )],
        vec![
            ("add", "/metadata/namespace", Some(json!("shop"))),
            (
                "add",
                "/spec/containers/0/securityContext",
                Some(json!({"privileged": false})),
            ),
        ],
        vec![("remove", "/metadata/name", None)],
    ];
    let mut diffs = 0;
    for (name, text) in files {
        let mut inputs = Inputs::default();
        inputs.add_text(name, text, &LoadOptions::default());
        for r in &inputs.resources {
            for op in &ops {
                let f = finding_on(name, r, op);
                let report = Report {
                    findings: vec![f.clone()],
                    ..Report::default()
                };
                let sources = Sources::new(&inputs, &report);
                let Some(plan) = Planner::new(&inputs, &sources).plan(&f) else {
                    continue;
                };
                let Some(src) = sources.get(name) else {
                    continue;
                };
                let fixed = plan.fixed(text).unwrap_or_default();
                let whole = similar::TextDiff::from_lines(text, &fixed)
                    .unified_diff()
                    .context_radius(2)
                    .header(name, name)
                    .to_string();
                assert_eq!(
                    unified_diff(src, &plan, name, 2),
                    Some(whole),
                    "{name}: {op:?}"
                );
                diffs += 1;
            }
        }
    }
    assert!(diffs >= 30, "{diffs} diffs compared");
}

#[test]
fn a_key_is_added_after_what_the_loader_leaves_out() {
    // The loader leaves `metadata.managedFields` out of the document; when
    // it comes last, the mapping's text ends after it, not at `uid`.
    let text = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  uid: u
  managedFields:
  - apiVersion: v1
    fieldsV1:
      f:metadata: {}
";
    let out = fixed(
        "sa.yaml",
        text,
        0,
        &[("add", "/automountServiceAccountToken", Some(json!(false)))],
    )
    .unwrap_or_default();
    assert_eq!(out, format!("{text}automountServiceAccountToken: false\n"));
    let out = fixed(
        "sa.yaml",
        text,
        0,
        &[("add", "/metadata/namespace", Some(json!("shop")))],
    )
    .unwrap_or_default();
    assert_eq!(out, format!("{text}  namespace: shop\n"));
}
