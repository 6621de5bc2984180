//! The formatter's properties: idempotent, meaning-preserving (the parse of
//! the output equals the parse of the input, up to the order of metadata
//! lines, which the formatter makes canonical) and comment-preserving, over
//! every `.ward` file of the repository, generated expressions and policies,
//! and comments inserted at random; plus snapshots of messy inputs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use ward_lang::ast::*;
use ward_lang::fmt::{format, format_expr, trivia};
use ward_lang::span::{FileId, Span, Spanned};
use ward_lang::{parse, parse_expr};

const F: FileId = FileId(0);

fn parse_ok(src: &str, what: &str) -> Module {
    match parse(F, src) {
        Ok(m) => m,
        Err(e) => panic!("{what} does not parse: {e:?}\n---\n{src}"),
    }
}

/// The module with metadata lines in canonical order, as the formatter
/// prints them.
fn canonical(mut m: Module) -> Module {
    for item in &mut m.items {
        if let ItemKind::Control(c) = &mut item.kind {
            c.meta.sort_by_key(|x| rank(&x.kind));
            merge_fixes(&mut c.body);
        }
    }
    m
}

/// Unconditional `fix` clauses of a finding written as one, as the
/// formatter writes them.
fn merge_fixes(stmts: &mut [Stmt]) {
    for s in stmts {
        match &mut s.kind {
            StmtKind::Finding(f) if f.fixes.iter().all(|c| c.when.is_none()) => {
                let ops: Vec<FixOp> = f.fixes.drain(..).flat_map(|c| c.ops).collect();
                if !ops.is_empty() {
                    f.fixes.push(FixClause { when: None, ops });
                }
            }
            StmtKind::For(l) => merge_fixes(&mut l.body),
            StmtKind::If(i) => {
                merge_fixes(&mut i.then);
                match &mut i.otherwise {
                    Some(Else::Block(b)) => merge_fixes(b),
                    Some(Else::If(s)) => merge_fixes(std::slice::from_mut(s.as_mut())),
                    None => {}
                }
            }
            _ => {}
        }
    }
}

fn rank(m: &MetaKind) -> usize {
    [
        "title",
        "severity",
        "description",
        "remedy",
        "references",
        "maps",
        "since",
        "replaces",
        "tags",
        "waivable",
        "redact",
    ]
    .iter()
    .position(|k| *k == m.keyword())
    .unwrap_or(usize::MAX)
}

fn comments(src: &str) -> Vec<String> {
    let mut v: Vec<String> = trivia::scan(src)
        .comments
        .into_iter()
        .map(|c| c.text)
        .collect();
    v.sort();
    v
}

/// The first line where two texts differ, with a little context.
fn first_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x != y)
        .unwrap_or(la.len().min(lb.len()));
    let from = i.saturating_sub(3);
    let show = |v: &[&str]| {
        v.iter()
            .skip(from)
            .take(7)
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "line {}:\n--- first\n{}\n--- second\n{}",
        i + 1,
        show(&la),
        show(&lb)
    )
}

/// Checks every property on one source text; returns the formatted text.
fn check_properties(src: &str, what: &str) -> String {
    let m = parse_ok(src, what);
    let once = format(src, &m);
    let m2 = parse_ok(&once, &format!("{what} formatted"));
    assert!(
        canonical(m2.clone()) == canonical(m),
        "{what}: formatting changed the meaning\n--- input\n{src}\n--- output\n{once}"
    );
    let twice = format(&once, &m2);
    assert!(
        once == twice,
        "{what}: formatting is not idempotent at {}\n--- input\n{src}",
        first_difference(&once, &twice)
    );
    assert!(
        comments(&once) == comments(src),
        "{what}: comments changed\n--- input\n{src}\n--- output\n{once}"
    );
    once
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ward_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            ward_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "ward") {
            out.push(p);
        }
    }
}

fn repository_files() -> Vec<(String, String)> {
    static FILES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    FILES.get_or_init(read_repository_files).clone()
}

fn read_repository_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for top in ["std-lib", "policies", "examples", "tests"] {
        ward_files(&repo().join(top), &mut files);
    }
    files
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            // Files that are broken on purpose (parser tests) are skipped.
            parse(F, &text).ok()?;
            Some((p.display().to_string(), text))
        })
        .collect()
}

#[test]
fn every_repository_file_keeps_its_meaning_comments_and_form() {
    let files = repository_files();
    assert!(!files.is_empty(), "no .ward files found");
    for (name, text) in &files {
        let out = check_properties(text, name);
        if std::env::var_os("WARD_FMT_DUMP").is_some() {
            println!("===== {name}\n{out}");
        }
    }
}

#[test]
fn scanned_comments_are_exactly_the_grammar_comments() {
    // Blanking out every comment the scanner finds leaves the meaning
    // unchanged: the scanner never takes string text for a comment.
    for (name, text) in repository_files() {
        let mut blanked = text.clone().into_bytes();
        for c in trivia::scan(&text).comments {
            for b in blanked.iter_mut().take(c.end).skip(c.start) {
                *b = b' ';
            }
        }
        let blanked = String::from_utf8(blanked).unwrap();
        assert_eq!(parse_ok(&blanked, &name), parse_ok(&text, &name), "{name}");
    }
}

/// Offsets in `src` where a comment may be inserted: line ends, and spaces
/// between tokens (the inserted text ends the line there).
fn insertion_points(src: &str, spaces: bool) -> Vec<usize> {
    src.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n' || (spaces && b == b' '))
        .map(|(i, _)| i)
        .collect()
}

fn insert_comments(text: &str, picks: &[prop::sample::Index], spaces: bool) -> String {
    let points = insertion_points(text, spaces);
    if points.is_empty() {
        return text.to_string();
    }
    let mut at: Vec<usize> = picks
        .iter()
        .map(|p| points[p.index(points.len())])
        .collect();
    at.sort_unstable();
    at.dedup();
    let mut src = text.to_string();
    for (n, &pos) in at.iter().enumerate().rev() {
        let c = match n % 3 {
            0 => format!("\n# inserted {n}\n"),
            1 => format!(" # trailing {n}\n"),
            _ => format!("\n\n# spaced {n}\n"),
        };
        src.insert_str(pos, &c);
    }
    src
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Comments inserted at random places in real policies survive
    /// formatting, at stable places.
    #[test]
    fn inserted_comments_survive(
        seed in any::<u64>(),
        spaces in any::<bool>(),
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..8),
    ) {
        let mut files = repository_files();
        files.extend(MESSY.iter().map(|m| ("messy input".to_string(), m.to_string())));
        let (name, text) = &files[(seed as usize) % files.len()];
        let src = insert_comments(text, &picks, spaces);
        // Insertions inside strings or atomic tokens change the text's
        // meaning or break it; those cases say nothing about the formatter.
        let Ok(m) = parse(F, &src) else {
            return Ok(());
        };
        if canonical(m) != canonical(parse_ok(text, name)) {
            return Ok(());
        }
        check_properties(&src, name);
    }
}

// ---------------------------------------------------------------------------
// Generated expressions
// ---------------------------------------------------------------------------

fn sp() -> Span {
    Span::default()
}

fn ex(kind: ExprKind) -> Expr {
    Expr::new(kind, sp())
}

fn id(s: &str) -> Spanned<String> {
    Spanned::new(s.to_string(), sp())
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "spec", "c_2", "_x", "input", "labels"])
        .prop_map(str::to_string)
}

fn text_part() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "x",
        "a b",
        "q\"uote",
        "back\\slash",
        "{brace}",
        "tab\there",
        "line\nbreak",
        "# hash",
        "é ü",
        "r#\"",
        "\u{1}",
    ])
    .prop_map(str::to_string)
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        Just(ex(ExprKind::Null)),
        any::<bool>().prop_map(|b| ex(ExprKind::Bool(b))),
        prop_oneof![
            (0u32..100_000).prop_map(f64::from),
            (0.0f64..1e6),
            Just(1e20),
            Just(2.5e-7),
        ]
        .prop_map(|n| ex(ExprKind::Num(n))),
        text_part().prop_map(|s| ex(ExprKind::Str(vec![StrPart::Lit(s)]))),
        text_part().prop_map(|s| ex(ExprKind::RawStr(s))),
        (0u32..3, 0u32..40).prop_map(|(a, b)| ex(ExprKind::Version(Version::new(a, b)))),
        name().prop_map(|n| ex(ExprKind::Var(n))),
    ]
}

fn binop() -> impl Strategy<Value = BinOp> {
    prop::sample::select(vec![
        BinOp::Or,
        BinOp::And,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::In,
        BinOp::NotIn,
        BinOp::Coalesce,
        BinOp::Range,
        BinOp::RangeIncl,
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::Rem,
    ])
}

fn binding() -> impl Strategy<Value = Binding> {
    (name(), proptest::option::of(name())).prop_map(|(a, b)| Binding {
        first: id(&a),
        second: b.map(|b| id(&b)),
    })
}

fn clause(e: BoxedStrategy<Expr>) -> impl Strategy<Value = CompClause> {
    prop_oneof![
        (binding(), e.clone()).prop_map(|(b, x)| CompClause::For(b, x)),
        e.prop_map(CompClause::If),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |e| {
        let b = |x: Expr| Box::new(x);
        let e2 = e.clone().boxed();
        prop_oneof![
            (binop(), e.clone(), e.clone()).prop_map(move |(op, l, r)| ex(ExprKind::Binary(
                op,
                b(l),
                b(r)
            ))),
            (prop::sample::select(vec![UnOp::Not, UnOp::Neg]), e.clone())
                .prop_map(move |(op, x)| ex(ExprKind::Unary(op, b(x)))),
            (e.clone(), name()).prop_map(move |(x, f)| ex(ExprKind::Field(b(x), id(&f)))),
            (e.clone(), e.clone()).prop_map(move |(x, i)| ex(ExprKind::Index(b(x), b(i)))),
            (
                e.clone(),
                proptest::collection::vec(
                    prop_oneof![
                        e.clone().prop_map(Arg::Pos),
                        (name(), e.clone()).prop_map(|(n, v)| Arg::Named(NamedArg {
                            name: id(&n),
                            value: v
                        })),
                    ],
                    0..4
                )
            )
                .prop_map(move |(c, args)| ex(ExprKind::Call(b(c), args))),
            (e.clone(), e.clone(), e.clone()).prop_map(move |(c, t, f)| ex(ExprKind::If(
                b(c),
                b(t),
                b(f)
            ))),
            proptest::collection::vec(e.clone(), 0..5).prop_map(|xs| ex(ExprKind::List(xs))),
            proptest::collection::vec((prop_oneof![name(), text_part()], e.clone()), 0..4)
                .prop_map(|kvs| ex(ExprKind::Object(
                    kvs.into_iter().map(|(k, v)| (id(&k), v)).collect()
                ))),
            (
                e.clone(),
                proptest::collection::vec(clause(e2.clone()), 1..3)
            )
                .prop_map(move |(x, cl)| ex(ExprKind::ListComp(b(x), cl))),
            (
                e.clone(),
                e.clone(),
                proptest::collection::vec(clause(e2.clone()), 1..3)
            )
                .prop_map(move |(k, v, cl)| ex(ExprKind::ObjectComp(b(k), b(v), cl))),
            (
                prop::sample::select(vec![
                    QuantKind::Any,
                    QuantKind::All,
                    QuantKind::None,
                    QuantKind::Count
                ]),
                binding(),
                e.clone(),
                e.clone()
            )
                .prop_map(move |(q, bd, c, body)| ex(ExprKind::Quant(
                    q,
                    bd,
                    b(c),
                    b(body)
                ))),
            e.clone().prop_map(move |x| ex(ExprKind::Paren(b(x)))),
            (text_part(), e.clone(), text_part()).prop_map(|(a, x, z)| {
                let mut parts = Vec::new();
                if !a.is_empty() {
                    parts.push(StrPart::Lit(a));
                }
                parts.push(StrPart::Expr(x));
                if !z.is_empty() {
                    parts.push(StrPart::Lit(z));
                }
                ex(ExprKind::Str(parts))
            }),
        ]
    })
}

/// The expression without the parentheses it was written with.
fn strip(e: &Expr) -> Expr {
    let b = |x: &Expr| Box::new(strip(x));
    let kind = match &e.kind {
        ExprKind::Paren(x) => return strip(x),
        ExprKind::Str(parts) => ExprKind::Str(
            parts
                .iter()
                .map(|p| match p {
                    StrPart::Expr(x) => StrPart::Expr(strip(x)),
                    l => l.clone(),
                })
                .collect(),
        ),
        ExprKind::Field(x, f) => ExprKind::Field(b(x), f.clone()),
        ExprKind::Index(x, i) => ExprKind::Index(b(x), b(i)),
        ExprKind::Call(c, args) => ExprKind::Call(
            b(c),
            args.iter()
                .map(|a| match a {
                    Arg::Pos(x) => Arg::Pos(strip(x)),
                    Arg::Named(n) => Arg::Named(NamedArg {
                        name: n.name.clone(),
                        value: strip(&n.value),
                    }),
                })
                .collect(),
        ),
        ExprKind::Unary(op, x) => ExprKind::Unary(*op, b(x)),
        ExprKind::Binary(op, l, r) => ExprKind::Binary(*op, b(l), b(r)),
        ExprKind::If(c, t, f) => ExprKind::If(b(c), b(t), b(f)),
        ExprKind::List(xs) => ExprKind::List(xs.iter().map(strip).collect()),
        ExprKind::Object(kvs) => {
            ExprKind::Object(kvs.iter().map(|(k, v)| (k.clone(), strip(v))).collect())
        }
        ExprKind::ListComp(x, cl) => {
            ExprKind::ListComp(b(x), cl.iter().map(strip_clause).collect())
        }
        ExprKind::ObjectComp(k, v, cl) => {
            ExprKind::ObjectComp(b(k), b(v), cl.iter().map(strip_clause).collect())
        }
        ExprKind::Quant(q, bd, c, body) => ExprKind::Quant(*q, bd.clone(), b(c), b(body)),
        k => k.clone(),
    };
    ex(kind)
}

fn strip_clause(c: &CompClause) -> CompClause {
    match c {
        CompClause::For(bd, x) => CompClause::For(bd.clone(), strip(x)),
        CompClause::If(x) => CompClause::If(strip(x)),
    }
}

fn reparse(text: &str) -> Expr {
    match parse_expr(F, text) {
        Ok(e) => e,
        Err(d) => panic!("printed expression does not parse: {d:?}\n{text}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// Printing adds exactly the parentheses the structure needs, and an
    /// expression that came from the parser prints back to itself.
    #[test]
    fn printed_expressions_parse_back(e in expr(), width in prop::sample::select(vec![20usize, 100])) {
        let text = format_expr(&e, width);
        let back = reparse(&text);
        prop_assert_eq!(strip(&back), strip(&e), "{}", text);
        let again = format_expr(&back, width);
        prop_assert_eq!(reparse(&again), back, "{}", again);
        prop_assert_eq!(&again, &text);
    }

    /// Whole policies built around generated expressions keep their meaning.
    #[test]
    fn generated_policies_keep_their_meaning(cond in expr(), value in expr(), msg in expr()) {
        let src = format!(
            "package gen\n\ncontrol c {{\n  title \"t\"\n  let v = {}\n  deny when {} message {}\n}}\n\nfn f(x) = {}\n",
            format_expr(&value, 100),
            format_expr(&cond, 100),
            format_expr(&msg, 100),
            format_expr(&value, 100),
        );
        prop_assume!(parse(F, &src).is_ok());
        check_properties(&src, "generated policy");
    }
}

// ---------------------------------------------------------------------------
// Snapshots of messy inputs
// ---------------------------------------------------------------------------

fn snapshot_of(src: &str) -> String {
    check_properties(src, "snapshot input")
}

/// The messy inputs of the snapshots; the comment insertion test uses
/// them too.
const MESSY: [&str; 5] = [
    CONTROL_OUT_OF_ORDER,
    LONG_LISTS_OBJECTS_AND_CALLS,
    STRINGS_NUMBERS_AND_PARENTHESES,
    TESTS_PACKS_AND_FRAMEWORKS,
    STATEMENTS_AND_BLANK_LINES,
];

const CONTROL_OUT_OF_ORDER: &str = r#"package demo.messy
use std.k8s.{pod_spec,all_containers as containers}
# Why this control exists.
control   no_latest{
match input.kind=="Pod"   # pods only
    maps cis("5.1.1" , version:"1.9"),pss("x")
  severity   high
/// The title comes last here.
title "No latest tag"

  # containers, one by one
  for c in containers(pod_spec(input)){
    let tag = (c.image ?? "")    # trailing on let
      deny message "container {c.name} uses `latest`" when ends_with(tag,":latest") and not (c.name in ["debug"])   at c.image fix set c.image = "x"
warn   when c.image==null
  }
      # dangling at the end of the control
}
"#;

const LONG_LISTS_OBJECTS_AND_CALLS: &str = r#"package demo.long
let registries = ["registry.example.com", "ghcr.io", "quay.io", "docker.io", "gcr.io", "public.ecr.aws"]
let short = [1,2,3,]
let nested = {metadata: {name: "web", labels: {app: "web", tier: "frontend", team: "payments", cost_center: "cc-1234"}}, "quoted-key": true}
let commented = [
  "a", # first
  # before b
  "b",
]
fn pick(a,b:string)->bool = if a=="x" and b=="y" then contains(join([a, b, "some longer text to push the width"], ", "), "needle", ignore_case: true) else false
fn chain(spec) = (spec.initContainers ?? []) + (spec.containers ?? []) + (spec.ephemeralContainers ?? []) + (spec.more ?? [])
"#;

const STRINGS_NUMBERS_AND_PARENTHESES: &str = r##"package demo.lits
let s = "quote \" backslash \\ tab \t newline \n brace \{ \} slash \/ unicode \u{e9}"
let r = r#"raw "quoted" # not a comment"#
let r0 = r"C:\path\{x}"
let n = [0.50, 1e3, 2.5E-3, 42]
let v = [v1.25, v1.25.3]
let p = ((1 + 2)) * 3 - -4
let q = not (a == b) and (not c or d)
let x = "{a + 1} and {f("#")}" # hash in an interpolated string
let rng = 1 .. 10
"##;

const TESTS_PACKS_AND_FRAMEWORKS: &str = r#"/// Docs of the package.
package demo.more
param   exempt : list<string>=[]
plugin sig = wasm("plugins/sig.wasm",sha256:"abc")
framework   internal{title "Internal"
version "1"   item "A.1" "First item"
item "A.2" "Manual item" manual}
pack demo-pack{version "1.0.0"   description "A demo pack"
profile versions v1.0..=v1.30, latest=v1.30
include demo.more.*, demo.messy.*
exclude demo.more.skip
set demo.more.exempt=["kube-system"]
default}
test "privileged pods fail" {
  given {kind: "Pod", metadata: {name: "p"}, spec: {containers: [{name: "a", securityContext: {privileged: true}}]}}
  version v1.25
  set exempt = []
  expect deny demo.more.c message "m" at "/spec" count 1
  expect pass demo.more.d
  expect clean
}
fn helper(x) {
  /// First the value.
  let y = x + 1 # one more
  # then the result
  y * 2
}
"#;

const STATEMENTS_AND_BLANK_LINES: &str = r#"control blanks {
  title "t"
  let a = 1


  let b = 2
  if a == 1 { deny when b > 1 } else if a == 2 {
    warn message "two"
  } else { }
  for k, v in input.metadata.labels ?? {} {

    warn when k == "x" and v == "this is a rather long value to compare with" and exists(input.spec)
  }
}
"#;

#[test]
fn snapshot_control_out_of_order() {
    insta::assert_snapshot!(snapshot_of(CONTROL_OUT_OF_ORDER));
}

#[test]
fn snapshot_long_lists_objects_and_calls() {
    insta::assert_snapshot!(snapshot_of(LONG_LISTS_OBJECTS_AND_CALLS));
}

#[test]
fn snapshot_strings_numbers_and_parentheses() {
    insta::assert_snapshot!(snapshot_of(STRINGS_NUMBERS_AND_PARENTHESES));
}

#[test]
fn snapshot_tests_packs_and_frameworks() {
    insta::assert_snapshot!(snapshot_of(TESTS_PACKS_AND_FRAMEWORKS));
}

#[test]
fn snapshot_statements_and_blank_lines() {
    insta::assert_snapshot!(snapshot_of(STATEMENTS_AND_BLANK_LINES));
}

/// A comment between a function's `)` and its `=` once landed inside the
/// parentheses, hiding the `)` and breaking the file.
#[test]
fn comment_after_a_parameter_list_stays_outside_it() {
    let src =
        "fn is_pod() # after the list\n= 1 == 1\n\nfn g(a: string) -> bool # too\n= a == \"x\"\n";
    let out = check_properties(src, "comment after `)`");
    assert!(out.contains("fn is_pod() = 1 == 1"), "{out}");
    assert!(
        out.contains("fn g(a: string) -> bool = a == \"x\""),
        "{out}"
    );
}

#[test]
fn conditional_fixes_keep_their_clauses() {
    // Unconditional `fix` clauses are written as one; a `fix when` clause
    // keeps its condition and its own operations.
    let src = r#"package demo.fixes
control host_ports {
  for p in input.spec.ports {
    deny at p.hostPort fix   when input.spec.hostNetwork!=true remove p.hostPort,set p.note="x" fix set p.name = "a"
    deny at p fix set p.a = 1 fix remove p.b
  }
}
"#;
    let out = check_properties(src, "conditional fixes");
    assert!(
        out.contains(
            "\n      fix when input.spec.hostNetwork != true remove p.hostPort, set p.note = \"x\"\n      fix set p.name = \"a\"\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("deny at p fix set p.a = 1, remove p.b\n"),
        "{out}"
    );
    // Comments around and inside a conditional clause stay where they are.
    check_properties(
        "package demo.fixes\ncontrol c {\n  deny at input.a # the field\n    # only off the host network\n    fix when input.b != true # the condition\n      remove input.a # the field again\n}\n",
        "commented conditional fix",
    );
    let m = parse_ok(src, "conditional fixes");
    let Some(ItemKind::Control(c)) = m.items.first().map(|i| &i.kind) else {
        panic!("a control: {m:#?}");
    };
    let Some(StmtKind::For(l)) = c.body.first().map(|s| &s.kind) else {
        panic!("a loop: {c:#?}");
    };
    let Some(StmtKind::Finding(f)) = l.body.first().map(|s| &s.kind) else {
        panic!("a finding: {l:#?}");
    };
    assert_eq!(f.fixes.len(), 2);
    assert!(f.fixes[0].when.is_some() && f.fixes[0].ops.len() == 2);
    assert!(f.fixes[1].when.is_none() && f.fixes[1].ops.len() == 1);
}
