//! End-to-end tests of packs as products: `ward pack`, `ward lock`,
//! `ward.toml`, waivers, baselines and `ward frameworks`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// `ward`, run in a folder.
fn ward(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("ward").expect("the ward binary is built");
    c.current_dir(dir);
    c.env("NO_COLOR", "1");
    c
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "packs-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Out {
    let o = ward(dir).args(args).output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `ward` in `dir` and holds it to an exit code and a piece of what
/// it says on standard error.
fn fails(dir: &Path, args: &[&str], code: i32, says: &str) -> Out {
    let o = run(dir, args);
    assert_eq!(o.code, code, "{}", o.stderr);
    assert!(o.stderr.contains(says), "{}", o.stderr);
    o
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

const CONTROLS: &str = r#"package team

/// The label that names a workload's owner.
param owner_label: string = "owner"

control owner {
  title "Workloads name an owner"
  severity high
  maps checklist("rbac")
  match input.kind == "Deployment"
  deny when not exists(input.metadata.labels[owner_label]) at input.metadata
    message "no `{owner_label}` label"
}

control no_host_network {
  title "No host network"
  severity high
  waivable false
  redact true
  match input.kind == "Deployment"
  deny when input.spec.template.spec.hostNetwork == true at input.spec.template.spec.hostNetwork
    message "host network"
}

test "an owner label is required" {
  given {kind: "Deployment", metadata: {name: "d"}}
  expect deny owner at "/metadata"
}

pack team-rules {
  version "VERSION"
  description "House rules"
  requires ">=0.1"
  include team.*
}
"#;

/// A pack folder at a version.
fn pack_dir(root: &Path, version: &str) -> PathBuf {
    let d = root.join("team-pack");
    std::fs::create_dir_all(d.join("testdata")).unwrap();
    std::fs::write(
        d.join("controls.ward"),
        CONTROLS.replace("VERSION", version),
    )
    .unwrap();
    std::fs::write(d.join("README.md"), "House rules.\n").unwrap();
    std::fs::write(d.join("testdata/ok.yaml"), "kind: Deployment\n").unwrap();
    d
}

fn build(root: &Path, version: &str, out: &str) {
    pack_dir(root, version);
    let o = run(root, &["pack", "build", "team-pack", "-o", out]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with(&format!(
            "built team-rules {version} into {out}: 2 controls, 3 files"
        )),
        "{}",
        o.stdout
    );
}

const DEPLOYS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {team: shop}
spec:
  template:
    spec:
      containers: [{name: app, image: app:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: app, image: app:1}]
";

fn findings(out: &str) -> Vec<(String, String, Option<String>)> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control"].as_str().unwrap().to_string(),
                f["resource"]["name"].as_str().unwrap().to_string(),
                f["waived"]["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Rewrites an archive's entries (bypassing `ward pack build`).
fn rewrite(path: &Path, edit: impl FnOnce(&mut ward_engine::pack::Entries)) {
    let bytes = std::fs::read(path).unwrap();
    let mut entries =
        ward_engine::pack::archive::read(&bytes, &ward_engine::pack::Limits::default()).unwrap();
    edit(&mut entries);
    std::fs::write(path, ward_engine::pack::archive::write(&entries).unwrap()).unwrap();
}

#[test]
fn build_inspect_sign_verify_round_trip() {
    let d = tempdir();
    build(&d, "1.2.0", "team.wardpack");
    // Inspect: the manifest, after checking every digest.
    let o = run(&d, &["pack", "inspect", "team.wardpack"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for want in [
        "team-rules 1.2.0",
        "signature  none",
        "requires   Ward >=0.1",
        "checklist 1.0 (Container platform security checklist): 1 item",
        "team.no_host_network  high      No host network  (not waivable, values redacted)",
        "team.owner_label: string = \"owner\"",
        "README.md",
        "testdata/ok.yaml",
    ] {
        assert!(o.stdout.contains(want), "{want}:\n{}", o.stdout);
    }
    let m = json(
        &run(
            &d,
            &["pack", "inspect", "team.wardpack", "--format", "json"],
        )
        .stdout,
    );
    assert_eq!(m["format"], 1);
    assert_eq!(m["name"], "team-rules");
    assert_eq!(m["version"], "1.2.0");
    assert_eq!(m["requires"], ">=0.1");
    assert_eq!(m["frameworks"][0]["name"], "checklist");
    assert_eq!(m["frameworks"][0]["version"], "1.0");
    assert_eq!(m["params"][0]["name"], "team.owner_label");
    assert_eq!(m["params"][0]["type"], "string");
    assert_eq!(m["files"].as_array().unwrap().len(), 3);
    // Building again gives the same bytes.
    let first = std::fs::read(d.join("team.wardpack")).unwrap();
    build(&d, "1.2.0", "again.wardpack");
    assert_eq!(first, std::fs::read(d.join("again.wardpack")).unwrap());

    // Keys, signing, verifying.
    let o = run(&d, &["pack", "keygen", "-o", "team"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let id = o
        .stdout
        .lines()
        .last()
        .unwrap()
        .strip_prefix("key ")
        .unwrap()
        .to_string();
    assert!(
        std::fs::read_to_string(d.join("team.key"))
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert!(
        std::fs::read_to_string(d.join("team.pub"))
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("team.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        run(&d, &["pack", "keygen", "-o", "team"]).code,
        2,
        "never overwrites a key"
    );
    let o = run(
        &d,
        &["pack", "verify", "team.wardpack", "--key", "team.pub"],
    );
    assert_eq!(o.code, 2, "unsigned, a key given: {}", o.stdout);
    assert!(
        o.stderr.contains("team.wardpack: the pack is not signed"),
        "{}",
        o.stderr
    );
    let o = run(&d, &["pack", "sign", "team.wardpack", "--key", "team.key"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(&id), "{}", o.stdout);
    let o = run(
        &d,
        &["pack", "verify", "team.wardpack", "--key", "team.pub"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("3 files match the manifest's digests"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains(&format!("signature by key {id} is valid")),
        "{}",
        o.stdout
    );
    let o = run(&d, &["pack", "verify", "team.wardpack"]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("not checked"), "{}", o.stdout);
    let o = run(&d, &["pack", "inspect", "team.wardpack"]);
    assert!(
        o.stdout.contains(&format!("signature  {id}")),
        "{}",
        o.stdout
    );
    // Signing keeps the manifest, so the digest does not change.
    let m2 = json(
        &run(
            &d,
            &["pack", "inspect", "team.wardpack", "--format", "json"],
        )
        .stdout,
    );
    assert_eq!(m, m2);
}

#[test]
fn a_wrong_key_is_refused() {
    let d = tempdir();
    build(&d, "1.0.0", "team.wardpack");
    assert_eq!(run(&d, &["pack", "keygen", "-o", "team"]).code, 0);
    let other = run(&d, &["pack", "keygen", "-o", "other"]);
    let other_id = other
        .stdout
        .lines()
        .last()
        .unwrap()
        .strip_prefix("key ")
        .unwrap()
        .to_string();
    assert_eq!(
        run(&d, &["pack", "sign", "team.wardpack", "--key", "team.key"]).code,
        0
    );
    let o = run(
        &d,
        &["pack", "verify", "team.wardpack", "--key", "other.pub"],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("team.wardpack: the signature is by key ed25519:")
            && o.stderr
                .contains(&format!("not among the trusted keys ({other_id})")),
        "{}",
        o.stderr
    );
    // The same in `ward check`.
    std::fs::write(d.join("d.yaml"), DEPLOYS).unwrap();
    fails(
        &d,
        &[
            "check",
            "d.yaml",
            "--pack",
            "team.wardpack",
            "--trusted-key",
            "other.pub",
        ],
        2,
        "not among the trusted keys",
    );
    // A private key given to sign with a public one is refused.
    fails(
        &d,
        &["pack", "sign", "team.wardpack", "--key", "team.pub"],
        2,
        "team.pub: this is a public key",
    );
    // A signature swapped in from another archive does not match.
    build(&d, "1.0.1", "newer.wardpack");
    let sig = ward_engine::pack::archive::read(
        &std::fs::read(d.join("team.wardpack")).unwrap(),
        &ward_engine::pack::Limits::default(),
    )
    .unwrap()
    .remove("ward-pack.sig")
    .unwrap();
    rewrite(&d.join("newer.wardpack"), |e| {
        e.insert("ward-pack.sig".into(), sig);
    });
    let o = run(
        &d,
        &["pack", "verify", "newer.wardpack", "--key", "team.pub"],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("newer.wardpack: the signature (`ward-pack.sig`) is invalid"),
        "{}",
        o.stderr
    );
}

#[test]
fn check_runs_an_archive_and_refuses_a_tampered_one() {
    let d = tempdir();
    build(&d, "1.0.0", "team.wardpack");
    std::fs::write(d.join("d.yaml"), DEPLOYS).unwrap();
    let o = run(
        &d,
        &[
            "check",
            "d.yaml",
            "--pack",
            "./team.wardpack",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let mut got = findings(&o.stdout);
    got.sort();
    assert_eq!(
        got,
        [
            ("team.no_host_network".to_string(), "api".to_string(), None),
            ("team.owner".to_string(), "api".to_string(), None),
            ("team.owner".to_string(), "web".to_string(), None),
        ]
    );
    let f = &json(&o.stdout)["findings"][0];
    assert_eq!(f["pack"], "team-rules");
    // Built-in packs by name, the same way, side by side.
    let o = run(
        &d,
        &[
            "check",
            "d.yaml",
            "--pack",
            "team.wardpack",
            "--pack",
            "pss-baseline",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stdout.contains("pss.baseline.hostNamespaces"),
        "{}",
        o.stdout
    );
    // Unsigned where a signature is required.
    fails(
        &d,
        &[
            "check",
            "d.yaml",
            "--pack",
            "team.wardpack",
            "--require-signature",
        ],
        2,
        "team.wardpack: the pack is not signed",
    );

    // A file changed after the build.
    rewrite(&d.join("team.wardpack"), |e| {
        e.insert("controls.ward".into(), b"package team\n".to_vec());
    });
    for args in [
        &["check", "d.yaml", "--pack", "team.wardpack"][..],
        &["pack", "verify", "team.wardpack"],
        &["pack", "inspect", "team.wardpack"],
    ] {
        let o = run(&d, args);
        assert_eq!(o.code, 2, "{args:?}");
        assert!(
            o.stderr.contains(
                "team.wardpack: `controls.ward` does not match the manifest: expected sha256 "
            ),
            "{args:?}: {}",
            o.stderr
        );
    }
    // Not an archive at all.
    std::fs::write(d.join("junk.wardpack"), "not a pack").unwrap();
    let o = run(&d, &["check", "d.yaml", "--pack", "junk.wardpack"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("junk.wardpack: not a pack archive (not gzip-compressed)"),
        "{}",
        o.stderr
    );
    // Cut short.
    let good = {
        build(&d, "1.0.0", "good.wardpack");
        std::fs::read(d.join("good.wardpack")).unwrap()
    };
    std::fs::write(d.join("cut.wardpack"), &good[..good.len() / 2]).unwrap();
    fails(
        &d,
        &["pack", "verify", "cut.wardpack"],
        2,
        "cut.wardpack: the archive is corrupt",
    );
}

/// A gzip tar with one entry named byte for byte.
fn hostile(name: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(b"00000000005");
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = h.to_vec();
    tar.extend_from_slice(b"pwned");
    tar.resize(1024, 0);
    tar.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_path_traversal_entry_is_refused_and_nothing_is_written() {
    let d = tempdir();
    let inner = d.join("inner");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(inner.join("evil.wardpack"), hostile(b"../escaped.ward")).unwrap();
    std::fs::write(
        inner.join("abs.wardpack"),
        hostile(b"/tmp/ward-abs-escape.ward"),
    )
    .unwrap();
    for (file, entry) in [
        ("evil.wardpack", "../escaped.ward"),
        ("abs.wardpack", "/tmp/ward-abs-escape.ward"),
    ] {
        for args in [
            &["pack", "verify", file][..],
            &["pack", "inspect", file],
            &["check", ".", "--pack", file],
        ] {
            let o = run(&inner, args);
            assert_eq!(o.code, 2, "{args:?}");
            assert!(
                o.stderr.contains(&format!("{file}: entry `{entry}`")),
                "{args:?}: {}",
                o.stderr
            );
        }
    }
    assert!(!d.join("escaped.ward").exists());
    assert!(!Path::new("/tmp/ward-abs-escape.ward").exists());
}

#[test]
fn pack_build_refuses_a_pack_whose_tests_fail() {
    let d = tempdir();
    let dir = pack_dir(&d, "1.0.0");
    let text = std::fs::read_to_string(dir.join("controls.ward")).unwrap();
    std::fs::write(
        dir.join("controls.ward"),
        text.replace("expect deny owner at \"/metadata\"", "expect pass owner"),
    )
    .unwrap();
    let o = run(&d, &["pack", "build", "team-pack", "-o", "x.wardpack"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("1 of the pack's 1 tests fail, so it was not built")
            && o.stderr.contains("team-pack/controls.ward:"),
        "{}",
        o.stderr
    );
    assert!(!d.join("x.wardpack").exists());
    let o = run(
        &d,
        &[
            "pack",
            "build",
            "team-pack",
            "-o",
            "x.wardpack",
            "--no-test",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("0 of 1 tests pass"), "{}", o.stdout);
}

#[test]
fn pack_build_refuses_folders_that_are_not_one_pack() {
    let d = tempdir();
    std::fs::create_dir_all(d.join("empty")).unwrap();
    std::fs::write(d.join("empty/a.ward"), "package a\n").unwrap();
    fails(
        &d,
        &["pack", "build", "empty", "-o", "x.wardpack"],
        2,
        "empty/: no `pack` declaration",
    );
    assert!(!d.join("x.wardpack").exists());
    std::fs::create_dir_all(d.join("broken")).unwrap();
    std::fs::write(d.join("broken/a.ward"), "package a\ncontrol c {\n").unwrap();
    fails(
        &d,
        &["pack", "build", "broken", "-o", "x.wardpack"],
        2,
        "broken/a.ward",
    );
    fails(
        &d,
        &["pack", "build", "missing", "-o", "x.wardpack"],
        2,
        "missing: not a folder",
    );
}

#[test]
fn a_builtin_pack_folder_builds_and_replaces_the_builtin() {
    let d = tempdir();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = d.join("checklist.wardpack");
    let o = run(
        &repo,
        &[
            "pack",
            "build",
            "policies/checklist",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let a = run(
        &repo,
        &[
            "check",
            "examples/microservices-insecure",
            "--pack",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let b = run(
        &repo,
        &[
            "check",
            "examples/microservices-insecure",
            "--pack",
            "checklist",
            "--format",
            "json",
        ],
    );
    assert_eq!(a.code, 1, "{}", a.stderr);
    assert_eq!(findings(&a.stdout), findings(&b.stdout));
}

const WARD_TOML: &str = r#"
waivers = "waivers.yaml"

[[pack]]
path = "team.wardpack"
version = "^1.0"

[[pack]]
name = "pss-baseline"

[params]
"team.owner_label" = "team"
"#;

#[test]
fn ward_toml_names_packs_and_params_and_ward_lock_pins_them() {
    let d = tempdir();
    build(&d, "1.0.0", "team.wardpack");
    std::fs::write(d.join("ward.toml"), WARD_TOML).unwrap();
    std::fs::write(d.join("waivers.yaml"), "waivers: []\n").unwrap();
    std::fs::create_dir_all(d.join("deploy")).unwrap();
    std::fs::write(d.join("deploy/d.yaml"), DEPLOYS).unwrap();

    // No lock yet: the project runs; `owner_label = "team"` makes `web` pass.
    let o = run(&d, &["check", "deploy", "--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let mut got: Vec<(String, String)> = findings(&o.stdout)
        .into_iter()
        .map(|(c, r, _)| (c, r))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("pss.baseline.hostNamespaces".to_string(), "api".to_string()),
            ("team.no_host_network".to_string(), "api".to_string()),
            ("team.owner".to_string(), "api".to_string()),
        ]
    );

    let o = run(&d, &["lock"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let lock = std::fs::read_to_string(d.join("ward.lock")).unwrap();
    assert!(
        lock.contains("name = \"team-rules\"") && lock.contains("source = \"team.wardpack\""),
        "{lock}"
    );
    assert!(
        lock.contains("name = \"pss-baseline\"") && lock.contains("source = \"builtin\""),
        "{lock}"
    );
    assert_eq!(run(&d, &["lock", "--check"]).code, 0);
    assert_eq!(run(&d, &["check", "deploy"]).code, 1);

    // The archive changes: a new version (that ward.toml still accepts).
    build(&d, "1.1.0", "team.wardpack");
    let o = run(&d, &["check", "deploy"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("ward.lock does not match ward.toml")
            && o.stderr
                .contains("pack `team-rules`: ward.lock pins team.wardpack 1.0.0 (sha256:")
            && o.stderr.contains("but team.wardpack is 1.1.0 (sha256:")
            && o.stderr.contains("run `ward lock`"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty(), "nothing is checked: {}", o.stdout);
    fails(&d, &["lock", "--check"], 2, "pack `team-rules`");
    // Same version, other content: the digest tells.
    assert_eq!(run(&d, &["lock"]).code, 0);
    assert_eq!(run(&d, &["check", "deploy"]).code, 1);
    std::fs::write(d.join("team-pack/README.md"), "Changed.\n").unwrap();
    assert_eq!(
        run(&d, &["pack", "build", "team-pack", "-o", "team.wardpack"]).code,
        0
    );
    fails(
        &d,
        &["check", "deploy"],
        2,
        "ward.lock pins team.wardpack 1.1.0",
    );
    // --pack on the command line runs without the project's packs.
    assert_eq!(
        run(&d, &["check", "deploy", "--pack", "pss-baseline"]).code,
        1
    );

    // A version ward.toml does not accept.
    build(&d, "2.0.0", "team.wardpack");
    let o = run(&d, &["lock"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("ward.toml requires version ^1.0, but the pack is 2.0.0"),
        "{}",
        o.stderr
    );
    // A param of the wrong type names it.
    build(&d, "1.0.0", "team.wardpack");
    std::fs::write(d.join("ward.toml"), WARD_TOML.replace("= \"team\"", "= 3")).unwrap();
    std::fs::remove_file(d.join("ward.lock")).unwrap();
    let o = run(&d, &["check", "deploy"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("`team.owner_label = 3`: `team.owner_label` is a string, not a number"),
        "{}",
        o.stderr
    );
    // A mistake in ward.toml has its position.
    std::fs::write(d.join("ward.toml"), "[[pack]]\nnmae = \"x\"\n").unwrap();
    fails(
        &d,
        &["check", "deploy"],
        2,
        "ward.toml:2:1: unknown field `nmae`",
    );
    // --no-project ignores it.
    assert_eq!(run(&d, &["check", "deploy", "--no-project"]).code, 1);
}

/// `policies` in ward.toml runs the team's own controls with the project's
/// packs on every `ward check`, as `--policy` does; `--policy` given
/// replaces them.
#[test]
fn ward_toml_policies_run_with_the_packs() {
    let d = tempdir();
    pack_dir(&d, "1.0.0");
    std::fs::write(
        d.join("ward.toml"),
        "policies = [\"team-pack\"]\n\n[[pack]]\nname = \"pss-baseline\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("deploy")).unwrap();
    std::fs::write(d.join("deploy/d.yaml"), DEPLOYS).unwrap();
    let controls = |o: &Out| -> Vec<String> {
        let mut c: Vec<String> = findings(&o.stdout).into_iter().map(|(c, _, _)| c).collect();
        c.sort();
        c.dedup();
        c
    };
    let o = run(&d, &["check", "deploy", "--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(
        controls(&o),
        [
            "pss.baseline.hostNamespaces",
            "team.no_host_network",
            "team.owner"
        ]
    );
    // `--policy` replaces the project's policies; its packs still run.
    std::fs::write(
        d.join("other.ward"),
        "package other\n\ncontrol named {\n  title \"Named\"\n  match input.kind == \"Deployment\"\n  deny when input.metadata.name == \"api\" message \"api\"\n}\n",
    )
    .unwrap();
    let o = run(
        &d,
        &[
            "check",
            "deploy",
            "--policy",
            "other.ward",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(controls(&o), ["other.named", "pss.baseline.hostNamespaces"]);
}

const WAIVERS: &str = "\
waivers:
- control: team.owner
  reason: api is owned by the platform team
  owner: platform
  ticket: PLAT-7
  expires: 2999-01-01
  namespace: shop
  name: api
- control: team.owner
  reason: was a migration
  expires: 2020-01-01
  name: web
- control: \"pss.*\"
  reason: nothing matches this
  name: nobody
";

fn waiver_project(d: &Path) {
    build(d, "1.0.0", "team.wardpack");
    std::fs::write(
        d.join("ward.toml"),
        "waivers = \"waivers.yaml\"\n[[pack]]\npath = \"team.wardpack\"\n",
    )
    .unwrap();
    std::fs::write(d.join("waivers.yaml"), WAIVERS).unwrap();
    let mut deploys = DEPLOYS.to_string();
    deploys.push_str(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: batch\n  annotations:\n    ward.dev/waive.team.owner: \"batch jobs have no owner\"\nspec: {}\n",
    );
    std::fs::write(d.join("d.yaml"), deploys).unwrap();
}

#[test]
fn waivers_apply_expire_go_unused_and_stay_visible_in_every_format() {
    let d = tempdir();
    waiver_project(&d);
    let o = run(&d, &["check", "d.yaml", "--format", "json"]);
    // `web` fails (its waiver expired) and host network is not waivable.
    assert_eq!(o.code, 1, "{}", o.stderr);
    let v = json(&o.stdout);
    let mut got = findings(&o.stdout);
    got.sort();
    assert_eq!(
        got,
        [
            ("team.no_host_network".into(), "api".into(), None),
            (
                "team.owner".into(),
                "api".into(),
                Some("api is owned by the platform team".into())
            ),
            (
                "team.owner".into(),
                "batch".into(),
                Some("batch jobs have no owner".into())
            ),
            ("team.owner".into(), "web".into(), None),
            ("ward.waiver.expired".into(), "team.owner".into(), None),
            ("ward.waiver.unused".into(), "pss.*".into(), None),
        ]
    );
    let api = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["name"] == "api" && f["control"] == "team.owner")
        .unwrap();
    assert_eq!(api["waived"]["owner"], "platform");
    assert_eq!(api["waived"]["ticket"], "PLAT-7");
    assert_eq!(api["waived"]["expires"], "2999-01-01");
    assert_eq!(api["waived"]["source"], "file");
    let expired = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control"] == "ward.waiver.expired")
        .unwrap();
    assert_eq!(expired["file"], "waivers.yaml");
    assert_eq!(expired["line"], 9);
    assert_eq!(expired["level"], "warn");
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-01")
    );
    assert_eq!(v["summary"]["waived"], 2);

    // Every format shows the waived findings with their reasons.
    let text = run(&d, &["check", "d.yaml"]).stdout;
    assert!(
        text.contains("waived: api is owned by the platform team (file waiver, owner platform, ticket PLAT-7, expires 2999-01-01)"),
        "{text}"
    );
    assert!(
        text.contains("waived: batch jobs have no owner (inline annotation)"),
        "{text}"
    );
    let sarif = json(&run(&d, &["check", "d.yaml", "--format", "sarif"]).stdout);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let sup: Vec<(&str, &str)> = results
        .iter()
        .filter_map(|r| {
            let s = &r["suppressions"][0];
            Some((s["kind"].as_str()?, s["justification"].as_str()?))
        })
        .collect();
    assert_eq!(sup.len(), 2, "{sup:?}");
    assert!(sup.contains(&("external", "api is owned by the platform team")));
    assert!(sup.contains(&("inSource", "batch jobs have no owner")));
    let junit = run(&d, &["check", "d.yaml", "--format", "junit"]).stdout;
    assert!(
        junit.contains("<skipped message=\"waived: api is owned by the platform team"),
        "{junit}"
    );
    let md = run(&d, &["check", "d.yaml", "--format", "markdown"]).stdout;
    assert!(md.contains("2 waived finding"), "{md}");
    assert!(
        md.contains("api is owned by the platform team — file waiver, owner platform"),
        "{md}"
    );
    let html = run(&d, &["check", "d.yaml", "--format", "html"]).stdout;
    assert!(
        html.contains("api is owned by the platform team"),
        "waived in the page's data"
    );
    assert!(
        html.contains("2 waived"),
        "and in its text without JavaScript"
    );

    // --no-inline-waivers: the annotation no longer counts.
    let o = run(
        &d,
        &["check", "d.yaml", "--format", "json", "--no-inline-waivers"],
    );
    assert!(findings(&o.stdout).contains(&("team.owner".into(), "batch".into(), None)));
}

#[test]
fn waiver_mistakes_are_errors_never_ignored() {
    let d = tempdir();
    waiver_project(&d);
    let cases = [
        (
            "waivers:\n- control: team.owner\n  name: api\n",
            "waivers.yaml:2:3: waiver 1 has no `reason`; every waiver says why",
        ),
        (
            "waivers:\n- control: team.no_host_network\n  reason: please\n",
            "waivers.yaml:2:12: control `team.no_host_network` is not waivable (`waivable false`); fix its findings instead",
        ),
        (
            "waivers:\n- control: team.ownr\n  reason: typo\n",
            "waivers.yaml:2:12: there is no control `team.ownr`; did you mean `team.owner`?",
        ),
        (
            "waivers:\n- control: team.owner\n  reason: r\n  expires: soon\n",
            "waivers.yaml:4:12: `expires: soon` is not a date; write YYYY-MM-DD",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(d.join("waivers.yaml"), text).unwrap();
        let o = run(&d, &["check", "d.yaml"]);
        assert_eq!(o.code, 2, "{text}");
        assert!(o.stdout.contains(want), "{want}\n{}", o.stdout);
    }
    // A waivers file that does not exist.
    fails(
        &d,
        &["check", "d.yaml", "--waivers", "nope.yaml"],
        2,
        "waivers file nope.yaml:",
    );
    // An annotation naming a non-waivable control.
    std::fs::write(d.join("waivers.yaml"), "waivers: []\n").unwrap();
    std::fs::write(
        d.join("a.yaml"),
        "kind: Deployment\nmetadata:\n  name: x\n  labels: {owner: me}\n  annotations:\n    ward.dev/waive.team.no_host_network: \"please\"\nspec: {template: {spec: {hostNetwork: true}}}\n",
    )
    .unwrap();
    let o = run(&d, &["check", "a.yaml"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stdout.contains(
            "a.yaml:6:42 [team.no_host_network] Deployment x: annotation `ward.dev/waive.team.no_host_network`: control `team.no_host_network` is not waivable"
        ),
        "{}",
        o.stdout
    );
}

#[test]
fn a_baseline_hides_known_findings_across_reformatting_and_reordering() {
    let d = tempdir();
    std::fs::write(d.join("a.yaml"), DEPLOYS).unwrap();
    let o = run(
        &d,
        &[
            "check",
            "a.yaml",
            "--policy",
            "team-pack",
            "--write-baseline",
            "baseline.json",
        ],
    );
    // The policy folder does not exist yet: an error, and no baseline.
    assert_eq!(o.code, 2);
    pack_dir(&d, "1.0.0");
    let o = run(
        &d,
        &[
            "check",
            "a.yaml",
            "--policy",
            "team-pack",
            "--write-baseline",
            "baseline.json",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let b = json(&std::fs::read_to_string(d.join("baseline.json")).unwrap());
    assert_eq!(b["format"], 1);
    assert_eq!(b["findings"].as_array().unwrap().len(), 3);
    assert_eq!(b["findings"][0]["resource"]["kind"], "Deployment");

    // The same resources, documents swapped, keys reordered, other style,
    // in a file of another name.
    std::fs::remove_file(d.join("a.yaml")).unwrap();
    std::fs::write(
        d.join("moved.yaml"),
        "# api first now\nkind: Deployment\napiVersion: apps/v1\nspec:\n  template:\n    spec:\n      containers:\n        - image: app:1\n          name: app\n      hostNetwork: true\nmetadata: {namespace: shop, name: api}\n---\nmetadata:\n  labels:\n    team: shop\n  namespace: shop\n  name: web\nkind: Deployment\napiVersion: apps/v1\nspec: {template: {spec: {containers: [{name: app, image: 'app:1'}]}}}\n",
    )
    .unwrap();
    let o = run(
        &d,
        &[
            "check",
            "moved.yaml",
            "--policy",
            "team-pack",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stdout);
    let v = json(&o.stdout);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["baselined"], 3);
    let text = run(
        &d,
        &[
            "check",
            "moved.yaml",
            "--policy",
            "team-pack",
            "--baseline",
            "baseline.json",
        ],
    );
    assert!(text.stdout.contains("3 in the baseline"), "{}", text.stdout);

    // Something new is reported; the known ones are not.
    let mut more = std::fs::read_to_string(d.join("moved.yaml")).unwrap();
    more.push_str("---\nkind: Deployment\nmetadata: {name: new}\n");
    std::fs::write(d.join("moved.yaml"), more).unwrap();
    let o = run(
        &d,
        &[
            "check",
            "moved.yaml",
            "--policy",
            "team-pack",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 1);
    assert_eq!(
        findings(&o.stdout),
        [("team.owner".to_string(), "new".to_string(), None)]
    );
    // Writing a baseline while one applies keeps the known findings.
    let o = run(
        &d,
        &[
            "check",
            "moved.yaml",
            "--policy",
            "team-pack",
            "--baseline",
            "baseline.json",
            "--write-baseline",
            "next.json",
        ],
    );
    assert_eq!(o.code, 1);
    let next = json(&std::fs::read_to_string(d.join("next.json")).unwrap());
    assert_eq!(next["findings"].as_array().unwrap().len(), 4);

    // A baseline that is not one.
    std::fs::write(d.join("bad.json"), "{\"format\": 1, \"findings\": {}}").unwrap();
    fails(
        &d,
        &[
            "check",
            "moved.yaml",
            "--policy",
            "team-pack",
            "--baseline",
            "bad.json",
        ],
        2,
        "bad.json:1:",
    );
}

#[test]
fn frameworks_list_items_and_score_them() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let o = run(&repo, &["frameworks", "cis_k8s", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v = json(&o.stdout);
    let fw = &v.as_array().unwrap()[0];
    assert_eq!(fw["name"], "cis_k8s");
    assert_eq!(fw["version"], "1.9.0");
    let items = fw["items"].as_array().unwrap();
    let item = |id: &str| items.iter().find(|i| i["id"] == id).unwrap();
    assert_eq!(item("5.2.2")["status"], "automated");
    assert!(
        item("5.2.2")["controls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "cis.k8s.privileged_containers")
    );
    assert_eq!(item("5.7.1")["status"], "manual");
    let cov = &fw["coverage"];
    assert_eq!(
        cov["automated"].as_u64().unwrap() + cov["uncovered"].as_u64().unwrap(),
        cov["automatable"].as_u64().unwrap()
    );
    assert_eq!(
        cov["manual"].as_u64().unwrap() + cov["automatable"].as_u64().unwrap(),
        items.len() as u64
    );
    assert!(fw.get("score").is_none());

    // Only one pack's controls: other frameworks' items are uncovered.
    let o = run(
        &repo,
        &[
            "frameworks",
            "cis_docker",
            "--pack",
            "pss-baseline",
            "--format",
            "json",
        ],
    );
    let fw = &json(&o.stdout)[0];
    assert_eq!(fw["coverage"]["automated"], 0);
    assert!(
        fw["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] != "automated")
    );

    // Over inputs: a score and a result per automated item.
    let o = run(
        &repo,
        &[
            "frameworks",
            "pss",
            "--pack",
            "pss-baseline",
            "--check",
            "examples/quickstart",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let fw = &json(&o.stdout)[0];
    let s = &fw["score"];
    assert!(s["applicable"].as_u64().unwrap() > 0);
    assert!(s["passed"].as_u64().unwrap() < s["applicable"].as_u64().unwrap());
    let privileged = fw["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "privileged")
        .unwrap();
    assert_eq!(privileged["result"], "fail");
    let text = run(
        &repo,
        &[
            "frameworks",
            "pss",
            "--pack",
            "pss-baseline",
            "--check",
            "examples/quickstart",
        ],
    )
    .stdout;
    assert!(text.contains("applicable controls pass"), "{text}");
    assert!(
        text.contains("privileged") && text.contains("[fail]"),
        "{text}"
    );

    let o = run(&repo, &["frameworks", "nope"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("there is no framework `nope`; the frameworks are pss, cis_k8s"),
        "{}",
        o.stderr
    );
}

#[test]
fn fix_leaves_waived_findings_alone() {
    let d = tempdir();
    std::fs::create_dir_all(d.join("pol")).unwrap();
    std::fs::write(
        d.join("pol/p.ward"),
        "package t\n\ncontrol priv {\n  match input.kind == \"Pod\"\n  for c in input.spec.containers ?? [] {\n    deny when c.securityContext.privileged == true at c.securityContext.privileged\n      message \"privileged\"\n      fix set c.securityContext.privileged = false\n  }\n}\n",
    )
    .unwrap();
    let pods = "kind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: x\n    securityContext: {privileged: true}\n---\nkind: Pod\nmetadata:\n  name: b\n  annotations:\n    ward.dev/waive.t.priv: \"the node agent needs it\"\nspec:\n  containers:\n  - name: y\n    securityContext: {privileged: true}\n";
    std::fs::write(d.join("p.yaml"), pods).unwrap();
    let o = run(&d, &["fix", "p.yaml", "--policy", "pol", "--write"]);
    assert!(o.code == 0 || o.code == 1, "{}", o.stderr);
    let fixed = std::fs::read_to_string(d.join("p.yaml")).unwrap();
    let (a, b) = fixed.split_once("---").unwrap();
    assert!(a.contains("privileged: false"), "{fixed}");
    assert!(
        b.contains("privileged: true"),
        "the waived pod is left alone: {fixed}"
    );
}
