//! Pack archives end to end: build, open, sign, verify, and every way an
//! archive is refused.

use super::*;
use crate::EngineBuilder;

const CONTROLS: &str = r#"package team

/// Who may be paged.
param owner_label: string = "owner"

control owner {
  title "Workloads name an owner"
  severity low
  maps checklist("security-contexts")
  match input.kind == "Deployment"
  deny when not exists(input.metadata.labels[owner_label]) at input.metadata message "no owner"
}

control no_latest {
  title "No latest tag"
  waivable false
  redact true
  match input.kind == "Pod"
  for c in input.spec.containers ?? [] {
    deny when ends_with(c.image ?? "", ":latest") at c.image message "latest"
  }
}

pack team-rules {
  version "1.2.0"
  description "House rules"
  requires ">=0.1"
  include team.*
  set owner_label = "team"
}
"#;

fn files() -> Entries {
    let mut e = Entries::new();
    e.insert("controls.ward".into(), CONTROLS.as_bytes().to_vec());
    e.insert("testdata/ok.yaml".into(), b"kind: Pod\n".to_vec());
    e
}

fn built() -> (Manifest, Vec<u8>) {
    let files = files();
    let mut b = EngineBuilder::std_only();
    for (p, t) in &files {
        if p.ends_with(".ward") {
            b = b.policy(format!("team!/{p}"), String::from_utf8_lossy(t).to_string());
        }
    }
    let engine = b.build().expect("the pack checks");
    let manifest = build_manifest(&engine, "team!/", &files).expect("a manifest");
    let mut entries = files.clone();
    entries.insert(MANIFEST.into(), manifest.to_bytes());
    (manifest, archive::write(&entries).expect("written"))
}

fn open(bytes: &[u8]) -> Result<PackArchive, PackError> {
    PackArchive::open(bytes, &Limits::default())
}

#[test]
fn the_manifest_describes_the_pack() {
    let (m, _) = built();
    assert_eq!(m.name, "team-rules");
    assert_eq!(m.version, "1.2.0");
    assert_eq!(m.description, "House rules");
    assert_eq!(m.requires.as_deref(), Some(">=0.1"));
    let ids: Vec<&str> = m.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["team.no_latest", "team.owner"]);
    assert!(!m.controls[0].waivable);
    assert!(m.controls[0].redact);
    assert!(!m.controls[1].redact);
    // Only a control that masks says so: older manifests read the same.
    let text = String::from_utf8(m.to_bytes()).expect("JSON");
    assert_eq!(text.matches("\"redact\": true").count(), 1, "{text}");
    assert!(!text.contains("\"redact\": false"), "{text}");
    assert_eq!(m.controls[1].frameworks, ["checklist:security-contexts"]);
    assert_eq!(m.frameworks.len(), 1);
    assert_eq!(m.frameworks[0].name, "checklist");
    assert_eq!(m.frameworks[0].items, ["security-contexts"]);
    assert!(!m.frameworks[0].version.is_empty());
    assert_eq!(m.params.len(), 1);
    assert_eq!(m.params[0].name, "team.owner_label");
    assert_eq!(m.params[0].ty, "string");
    // The pack's `set` is the default its users get.
    assert_eq!(m.params[0].default, Some(serde_json::json!("team")));
    assert_eq!(m.params[0].description, "Who may be paged.");
    let paths: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["controls.ward", "testdata/ok.yaml"]);
    assert_eq!(m.files[0].sha256, sha256_hex(CONTROLS.as_bytes()));
}

#[test]
fn an_archive_round_trips_and_is_reproducible() {
    let (m, bytes) = built();
    let (_, again) = built();
    assert_eq!(bytes, again, "the same files give the same bytes");
    let a = open(&bytes).expect("opens");
    assert_eq!(a.manifest, m);
    assert_eq!(a.files, files());
    assert!(a.signature.is_none());
    assert_eq!(a.to_bytes().expect("written"), bytes);
    assert_eq!(a.digest(), format!("sha256:{}", sha256_hex(&m.to_bytes())));
    let pol = a.policy_files().expect("text");
    assert_eq!(pol, [("controls.ward", CONTROLS)]);
    // Its policies load into an engine under the archive's label.
    let engine = EngineBuilder::new()
        .pack_archive("x.wardpack", &a)
        .expect("loads")
        .build()
        .map_err(|e| e.diagnostics)
        .expect("checks");
    assert!(engine.program.pack("team-rules").is_some());
    assert!(engine.program.control("team.owner").is_some());
}

#[test]
fn a_signed_archive_verifies_with_its_key_only() {
    let (_, bytes) = built();
    let mut a = open(&bytes).expect("opens");
    let kp = KeyPair::from_seed([1; 32]).expect("a key");
    let other = KeyPair::from_seed([2; 32]).expect("a key");
    let sk = parse_signing_key(&kp.private_pem).expect("private");
    let vk = parse_verifying_key(&kp.public_pem).expect("public");
    let wrong = parse_verifying_key(&other.public_pem).expect("public");
    a.signature = Some(sign::sign(&a.manifest_bytes, &sk));
    let signed = open(&a.to_bytes().expect("written")).expect("opens");
    assert_eq!(signed.verify(&[vk], true), Ok(Some(kp.id.clone())));
    assert_eq!(signed.verify(&[wrong, vk], true), Ok(Some(kp.id.clone())));
    // Without keys and without a requirement, only digests are checked.
    assert_eq!(signed.verify(&[], false), Ok(None));
    match signed.verify(&[wrong], false) {
        Err(PackError::UntrustedKey { signed_by, trusted }) => {
            assert_eq!(signed_by, kp.id);
            assert_eq!(trusted, other.id);
        }
        other => panic!("{other:?}"),
    }
    // Unsigned where a signature is required.
    let unsigned = open(&bytes).expect("opens");
    assert_eq!(unsigned.verify(&[], true), Err(PackError::Unsigned));
    assert_eq!(unsigned.verify(&[vk], false), Err(PackError::Unsigned));
}

#[test]
fn a_signature_over_another_manifest_is_refused() {
    let (_, bytes) = built();
    let a = open(&bytes).expect("opens");
    let kp = KeyPair::from_seed([3; 32]).expect("a key");
    let sk = parse_signing_key(&kp.private_pem).expect("private");
    let vk = parse_verifying_key(&kp.public_pem).expect("public");
    // The manifest changes after signing (a file swapped and re-digested).
    let mut entries = a.files.clone();
    let mut m = a.manifest.clone();
    let sig = sign::sign(&a.manifest_bytes, &sk);
    entries.insert("controls.ward".into(), b"package team\n".to_vec());
    for f in &mut m.files {
        if f.path == "controls.ward" {
            f.sha256 = sha256_hex(b"package team\n");
            f.size = 13;
        }
    }
    entries.insert(MANIFEST.into(), m.to_bytes());
    entries.insert(SIGNATURE.into(), sig.to_bytes());
    let forged = open(&archive::write(&entries).expect("written")).expect("digests match");
    let err = forged.verify(&[vk], true).expect_err("refused");
    assert!(matches!(err, PackError::BadSignature(_)), "{err:?}");
    assert!(err.to_string().contains(SIGNATURE), "{err}");
}

#[test]
fn a_tampered_file_is_named() {
    let (_, bytes) = built();
    let a = open(&bytes).expect("opens");
    let mut entries = a.files.clone();
    entries.insert(
        "controls.ward".into(),
        CONTROLS.replace("low", "info").into_bytes(),
    );
    entries.insert(MANIFEST.into(), a.manifest_bytes.clone());
    let err = open(&archive::write(&entries).expect("written")).expect_err("refused");
    assert!(
        matches!(&err, PackError::Tampered { entry, .. } if entry == "controls.ward"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("`controls.ward` does not match the manifest")
    );
}

#[test]
fn missing_and_unlisted_files_are_named() {
    let (_, bytes) = built();
    let a = open(&bytes).expect("opens");
    let mut entries = a.files.clone();
    entries.remove("testdata/ok.yaml");
    entries.insert(MANIFEST.into(), a.manifest_bytes.clone());
    let err = open(&archive::write(&entries).expect("written")).expect_err("refused");
    assert_eq!(
        err,
        PackError::Missing {
            entry: "testdata/ok.yaml".into()
        }
    );
    let mut entries = a.files.clone();
    entries.insert("extra.ward".into(), b"package extra\n".to_vec());
    entries.insert(MANIFEST.into(), a.manifest_bytes.clone());
    let err = open(&archive::write(&entries).expect("written")).expect_err("refused");
    assert_eq!(
        err,
        PackError::Unlisted {
            entry: "extra.ward".into()
        }
    );
}

#[test]
fn corrupt_archives_are_refused() {
    let (_, bytes) = built();
    assert!(matches!(open(b"not a pack"), Err(PackError::Corrupt(_))));
    let mut cut = bytes.clone();
    cut.truncate(bytes.len() / 2);
    assert!(
        matches!(open(&cut), Err(PackError::Corrupt(_))),
        "{:?}",
        open(&cut)
    );
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    assert!(open(&flipped).is_err());
    // No manifest: not a pack.
    let only = archive::write(&files()).expect("written");
    let err = open(&only).expect_err("refused");
    assert!(err.to_string().contains("ward-pack.json"), "{err}");
    // A manifest that is not one.
    let mut entries = files();
    entries.insert(MANIFEST.into(), b"{\"format\": 1}".to_vec());
    let err = open(&archive::write(&entries).expect("written")).expect_err("refused");
    assert!(matches!(err, PackError::Manifest(_)), "{err:?}");
}

/// A tar holding one entry whose name is written byte for byte, as a
/// hostile archive would.
fn raw_tar(name: &[u8], kind: u8, link: &[u8], data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    let size = format!("{:011o}", data.len());
    h[124..135].copy_from_slice(size.as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(512 + data.len().div_ceil(512) * 512, 0);
    out.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &out).expect("compressed");
    gz.finish().expect("compressed")
}

#[test]
fn path_traversal_and_links_are_refused_before_anything_is_kept() {
    for name in [
        &b"../evil.ward"[..],
        b"a/../../evil.ward",
        b"/etc/passwd",
        b"./x",
    ] {
        let bytes = raw_tar(name, b'0', b"", b"x");
        match open(&bytes) {
            Err(PackError::UnsafeEntry { entry, .. }) => {
                assert_eq!(entry.as_bytes(), name);
            }
            other => panic!("{}: {other:?}", String::from_utf8_lossy(name)),
        }
    }
    let link = raw_tar(b"controls.ward", b'2', b"/etc/passwd", b"");
    let err = open(&link).expect_err("refused");
    assert_eq!(err.to_string(), "entry `controls.ward` is a symbolic link");
    let hard = raw_tar(b"controls.ward", b'1', b"../x", b"");
    assert!(matches!(open(&hard), Err(PackError::UnsafeEntry { .. })));
    let device = raw_tar(b"dev", b'3', b"", b"");
    assert!(matches!(open(&device), Err(PackError::UnsafeEntry { .. })));
    // The same writer makes a plain entry that is accepted (so the
    // refusals above are about the names, not the writer).
    let plain = raw_tar(b"ok.ward", b'0', b"", b"x");
    let err = open(&plain).expect_err("no manifest");
    assert!(matches!(err, PackError::Manifest(_)), "{err:?}");
}

#[test]
fn limits_stop_decompression_bombs() {
    let (_, bytes) = built();
    let small = Limits {
        max_total_bytes: 2048,
        ..Limits::default()
    };
    let err = PackArchive::open(&bytes, &small).expect_err("refused");
    assert!(matches!(err, PackError::TooLarge(_)), "{err:?}");
    let few = Limits {
        max_entries: 1,
        ..Limits::default()
    };
    assert!(matches!(
        PackArchive::open(&bytes, &few),
        Err(PackError::TooLarge(_))
    ));
}

#[test]
fn requires_is_checked() {
    assert_eq!(check_requires(Some(">=0.1"), "0.1.0"), Ok(()));
    assert_eq!(check_requires(None, "0.1.0"), Ok(()));
    assert_eq!(
        check_requires(Some(">=2"), "0.1.0"),
        Err(PackError::Requires {
            requires: ">=2".into(),
            ward: "0.1.0".into()
        })
    );
    assert!(matches!(
        check_requires(Some("soon"), "0.1.0"),
        Err(PackError::Manifest(_))
    ));
}

#[test]
fn a_folder_with_two_packs_or_none_is_not_a_pack() {
    let mut files = Entries::new();
    files.insert("a.ward".into(), b"package a\n".to_vec());
    let engine = EngineBuilder::std_only()
        .policy("t!/a.ward", "package a\n")
        .build()
        .map_err(|e| e.diagnostics)
        .expect("checks");
    let err = build_manifest(&engine, "t!/", &files).expect_err("no pack");
    assert!(err.contains("no `pack` declaration"), "{err}");
    let two = "package a\ncontrol c { deny when true message \"x\" }\n\
               pack one { version \"1.0.0\" include a.* }\npack two { version \"1.0.0\" include a.* }\n";
    files.insert("a.ward".into(), two.as_bytes().to_vec());
    let engine = EngineBuilder::std_only()
        .policy("t!/a.ward", two)
        .build()
        .map_err(|e| e.diagnostics)
        .expect("checks");
    let err = build_manifest(&engine, "t!/", &files).expect_err("two packs");
    assert!(err.contains("2 `pack` declarations"), "{err}");
    assert!(err.contains("`one` at t!/a.ward:3:6"), "{err}");
}

#[test]
fn builtin_packs_have_folders_and_digests() {
    assert_eq!(
        builtin_pack_folder("checklist").as_deref(),
        Some("policies/checklist/")
    );
    assert_eq!(builtin_pack_folder("nope"), None);
    let d = builtin_pack_digest("checklist").expect("a digest");
    assert!(d.starts_with("sha256:") && d.len() == 71, "{d}");
    assert_ne!(builtin_pack_digest("pss-baseline"), Some(d));
}
