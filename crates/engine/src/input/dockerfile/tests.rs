use super::*;
use crate::value::doc::NodeRef;
use serde_json::json;

fn ok(text: &str) -> Doc {
    let (doc, errors) = parse(text, "Dockerfile");
    assert!(errors.is_empty(), "{errors:?}");
    doc
}

fn at<'a>(d: &'a Doc, pointer: &str) -> NodeRef<'a> {
    d.at_pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in {}", d.root().to_json()))
}

fn json_at(d: &Doc, pointer: &str) -> serde_json::Value {
    at(d, pointer).to_json()
}

#[test]
fn header_and_simple_instructions() {
    let d = ok("FROM alpine:3.20\nRUN apk add curl\n");
    assert_eq!(json_at(&d, "/kind"), json!("Dockerfile"));
    assert_eq!(json_at(&d, "/apiVersion"), json!("ward.dev/v1"));
    assert_eq!(json_at(&d, "/metadata/name"), json!("Dockerfile"));
    assert_eq!(
        json_at(&d, "/instructions/1"),
        json!({"instruction": "RUN", "arguments": "apk add curl", "line": 2, "end_line": 2,
               "flags": {}, "form": "shell", "stage": 0})
    );
    assert_eq!(
        json_at(&d, "/stages/0/base"),
        json!({"reference": "alpine:3.20", "registry": "docker.io", "repository": "library/alpine", "tag": "3.20", "digest": null, "name": "alpine"})
    );
    assert_eq!(at(&d, "/instructions/1/arguments").pos(), Pos::new(2, 5));
}

#[test]
fn heredocs() {
    let text = "# syntax=docker/dockerfile:1\nFROM debian\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nCOPY <<-\"A\" <<B /etc/\n\tline a\n\tA\nline b\nB\nRUN echo done\n";
    let d = ok(text);
    assert_eq!(
        json_at(&d, "/directives/syntax"),
        json!("docker/dockerfile:1")
    );
    assert_eq!(
        json_at(&d, "/instructions/1/heredocs"),
        json!([{"name": "EOF", "content": "apt-get update\napt-get install -y curl\n", "chomp": false, "expand": true}])
    );
    assert_eq!(at(&d, "/instructions/1/heredocs/0/content").pos().line, 4);
    assert_eq!(json_at(&d, "/instructions/1/end_line"), json!(6));
    assert_eq!(
        json_at(&d, "/instructions/2/heredocs"),
        json!([
            {"name": "A", "content": "line a\n", "chomp": true, "expand": false},
            {"name": "B", "content": "line b\n", "chomp": false, "expand": true}
        ])
    );
    assert_eq!(json_at(&d, "/instructions/3/line"), json!(12));
    // `<<<` is a here-string, not a heredoc.
    let d = ok("FROM a\nRUN cat <<<word\nUSER x\n");
    assert!(at(&d, "/instructions/1").get_str("heredocs").is_none());
    assert_eq!(json_at(&d, "/stages/0/user"), json!("x"));
}

#[test]
fn unterminated_heredoc_is_an_error() {
    let (d, errors) = parse("FROM a\nRUN <<EOF\necho hi\n", "Dockerfile");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].col), (2, 5));
    assert!(errors[0].message.contains("unterminated heredoc"));
    assert_eq!(
        json_at(&d, "/instructions/1/heredocs/0/content"),
        json!("echo hi\n")
    );
}

#[test]
fn continuations_with_comments_and_empty_lines() {
    let text = "FROM a\nRUN apt-get update && \\\n# a comment\n\n    apt-get install -y \\\n      curl\nUSER app\n";
    let d = ok(text);
    assert_eq!(
        json_at(&d, "/instructions/1/arguments"),
        json!("apt-get update &&     apt-get install -y       curl")
    );
    assert_eq!(json_at(&d, "/instructions/1/end_line"), json!(6));
    assert_eq!(json_at(&d, "/instructions/2/line"), json!(7));
    assert_eq!(at(&d, "/stages/0/user").pos(), Pos::new(7, 6));
}

#[test]
fn escape_directive_backtick_and_crlf() {
    let text = "# escape=`\r\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\r\nRUN dir `\r\n    C:\\\r\nWORKDIR C:\\app\r\n";
    let d = ok(text);
    assert_eq!(json_at(&d, "/directives/escape"), json!("`"));
    assert_eq!(
        json_at(&d, "/instructions/1/arguments"),
        json!("dir     C:\\")
    );
    assert_eq!(json_at(&d, "/stages/0/workdir"), json!("C:\\app"));
    assert_eq!(json_at(&d, "/instructions/2/line"), json!(5));
}

#[test]
fn lowercase_instructions_and_flags() {
    let text = "from --platform=linux/amd64 golang:1.22 as build\ncopy --from=build --chown=1000:1000 /src /dst\nrun --mount=type=cache,target=/a --mount=type=secret,id=x --network=none make\n";
    let d = ok(text);
    assert_eq!(json_at(&d, "/instructions/0/instruction"), json!("FROM"));
    assert_eq!(
        json_at(&d, "/instructions/0/flags"),
        json!({"platform": "linux/amd64"})
    );
    assert_eq!(json_at(&d, "/stages/0/platform"), json!("linux/amd64"));
    assert_eq!(json_at(&d, "/stages/0/name"), json!("build"));
    assert_eq!(
        json_at(&d, "/instructions/1/flags"),
        json!({"from": "build", "chown": "1000:1000"})
    );
    assert_eq!(json_at(&d, "/stages/0/copies_from"), json!(["build"]));
    assert_eq!(at(&d, "/instructions/1/flags/chown").pos(), Pos::new(2, 19));
    assert_eq!(
        json_at(&d, "/instructions/2/flags"),
        json!({"mount": ["type=cache,target=/a", "type=secret,id=x"], "network": "none"})
    );
}

#[test]
fn multi_stage_user_inheritance() {
    let text = "FROM golang AS base\nUSER builder\nWORKDIR /src\nENV A=1 B=\"two words\"\nFROM base AS test\nRUN go test\nFROM base\nUSER 65532:65532\nFROM alpine AS other\n";
    let d = ok(text);
    assert_eq!(json_at(&d, "/stages/1/parent"), json!(0));
    assert_eq!(json_at(&d, "/stages/1/base"), json!(null));
    assert_eq!(json_at(&d, "/stages/1/user"), json!("builder"));
    // The inherited value points at the USER line of the stage it came from.
    assert_eq!(at(&d, "/stages/1/user").pos().line, 2);
    assert_eq!(json_at(&d, "/stages/1/workdir"), json!("/src"));
    assert_eq!(
        json_at(&d, "/stages/1/env"),
        json!({"A": "1", "B": "two words"})
    );
    assert_eq!(json_at(&d, "/stages/2/user"), json!("65532:65532"));
    assert_eq!(at(&d, "/stages/2/user").pos(), Pos::new(8, 6));
    assert_eq!(json_at(&d, "/stages/3/user"), json!(null));
    assert_eq!(at(&d, "/stages/3/user").pos().line, 9);
    assert_eq!(at(&d, "/stages/3/from").pos(), Pos::new(9, 6));
    assert_eq!(json_at(&d, "/stages/2/instructions"), json!([6, 7]));
}

#[test]
fn arg_in_from() {
    let text = "ARG BASE=golang\nARG VERSION=1.22\nARG TARGETARCH\nFROM ${BASE}:${VERSION} AS build\nFROM gcr.io/distroless/static:${TAG:-nonroot}\nFROM alpine:${TARGETARCH}\nARG VERSION\nARG OWN=x\n";
    let d = ok(text);
    assert_eq!(
        json_at(&d, "/args"),
        json!({"BASE": "golang", "VERSION": "1.22", "TARGETARCH": null})
    );
    assert_eq!(json_at(&d, "/stages/0/from"), json!("${BASE}:${VERSION}"));
    assert_eq!(json_at(&d, "/stages/0/from_resolved"), json!("golang:1.22"));
    assert_eq!(json_at(&d, "/stages/0/base/tag"), json!("1.22"));
    assert_eq!(
        json_at(&d, "/stages/1/from_resolved"),
        json!("gcr.io/distroless/static:nonroot")
    );
    assert_eq!(json_at(&d, "/stages/2/from_resolved"), json!(null));
    assert_eq!(json_at(&d, "/stages/2/base"), json!(null));
    assert_eq!(
        json_at(&d, "/stages/2/args"),
        json!({"VERSION": "1.22", "OWN": "x"})
    );
    assert_eq!(json_at(&d, "/instructions/0/stage"), json!(null));
}

#[test]
fn exec_form_cmd_entrypoint_healthcheck() {
    let text = "FROM a\nSHELL [\"/bin/bash\", \"-c\"]\nCMD [\"serve\", \"--port=80\"]\nENTRYPOINT /bin/app\nFROM a AS b\nCMD run\nEXPOSE 80 53/udp\nHEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"http://x\"]\nFROM b\nENTRYPOINT [\"/e\"]\nHEALTHCHECK NONE\n";
    let d = ok(text);
    assert_eq!(json_at(&d, "/instructions/2/form"), json!("exec"));
    assert_eq!(
        json_at(&d, "/instructions/2/exec"),
        json!(["serve", "--port=80"])
    );
    assert_eq!(at(&d, "/instructions/2/exec/1").pos(), Pos::new(3, 15));
    assert_eq!(json_at(&d, "/stages/0/shell"), json!(["/bin/bash", "-c"]));
    // ENTRYPOINT after CMD in the same stage keeps the CMD.
    assert_eq!(
        json_at(&d, "/stages/0/cmd/exec"),
        json!(["serve", "--port=80"])
    );
    assert_eq!(
        json_at(&d, "/stages/0/entrypoint"),
        json!({"form": "shell", "arguments": "/bin/app", "instruction": 3, "line": 4})
    );
    assert_eq!(json_at(&d, "/stages/1/expose"), json!(["80", "53/udp"]));
    assert_eq!(
        json_at(&d, "/stages/1/healthcheck"),
        json!({"none": false, "test": ["CMD", "curl", "-f", "http://x"], "flags": {"interval": "5s"}, "instruction": 7, "line": 8})
    );
    // An ENTRYPOINT clears the CMD inherited from the parent stage.
    assert_eq!(json_at(&d, "/stages/2/cmd"), json!(null));
    assert_eq!(json_at(&d, "/stages/2/healthcheck/test"), json!(["NONE"]));
    assert_eq!(json_at(&d, "/stages/2/healthcheck/none"), json!(true));
    // Not quite JSON: the shell form, as Docker reads it.
    let d = ok("FROM a\nCMD [\"a\", b]\n");
    assert_eq!(json_at(&d, "/instructions/1/form"), json!("shell"));
}

#[test]
fn errors_have_lines_and_the_rest_is_kept() {
    let text = "FROM alpine extra\nRUNN make\nENV\nUSER app\nCOPY onlyone\nHEALTHCHECK maybe\nFROM a AS b\nFROM c AS B\n";
    let (d, errors) = parse(text, "Dockerfile");
    let got: Vec<(usize, usize)> = errors.iter().map(|e| (e.line, e.col)).collect();
    assert_eq!(
        got,
        vec![(1, 13), (2, 1), (3, 1), (5, 6), (6, 13), (8, 11)],
        "{errors:?}"
    );
    assert!(
        errors[0].message.contains("expected `AS <name>`"),
        "{}",
        errors[0].message
    );
    assert!(errors[1].message.starts_with("unknown instruction `RUNN`"));
    assert!(errors[5].message.contains("already used by stage 1"));
    assert_eq!(json_at(&d, "/stages/0/user"), json!("app"));
    let (_, errors) = parse("# escape=x\nRUN a\n", "Dockerfile");
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].message.contains("invalid escape character `x`"));
    assert!(errors[1].message.contains("before the first `FROM`"));
    assert!(errors[2].message.contains("no `FROM`"));
}

#[test]
fn names() {
    for n in [
        "Dockerfile",
        "Containerfile",
        "Dockerfile.prod",
        "api.Dockerfile",
        "x.dockerfile",
    ] {
        assert!(is_dockerfile_name(n), "{n}");
    }
    for n in [
        "Dockerfile.dockerignore",
        "dockerfiles",
        "Dockerfile-x.yaml",
    ] {
        assert!(!is_dockerfile_name(n), "{n}");
    }
    assert!(looks_like_dockerfile("# c\n\nFROM alpine\n"));
    assert!(!looks_like_dockerfile("from: x\n"));
}

fn check_lines(n: NodeRef<'_>, lines: usize) -> Result<(), String> {
    let p = n.pos();
    if p.line < 1 || p.line as usize > lines || p.col < 1 {
        return Err(format!(
            "{} at {}:{} of {lines} lines",
            n.pointer(),
            p.line,
            p.col
        ));
    }
    for c in n.items() {
        check_lines(c, lines)?;
    }
    for (_, c) in n.entries() {
        check_lines(c, lines)?;
    }
    Ok(())
}

const FRAGMENTS: &[&str] = &[
    "FROM alpine AS a",
    "from --platform=$P ${IMG:-x}:${T} as b",
    "FROM a",
    "ARG IMG=busybox T",
    "RUN <<EOF",
    "RUN <<-'X' cat <<Y",
    "EOF",
    "\tX",
    "Y",
    "RUN a \\",
    "  b `",
    "# escape=`",
    "# comment",
    "",
    "   ",
    "\\",
    "COPY --from=a [\"x\", \"y\"]",
    "CMD [\"a\"",
    "ENV A=\"b c\" D='e",
    "ENV K v w",
    "LABEL a",
    "USER",
    "WORKDIR rel",
    "HEALTHCHECK CMD [\"x\"]",
    "HEALTHCHECK",
    "ONBUILD RUN x",
    "SHELL x",
    "ÜSER ü",
    "EXPOSE 80/tcp \"8080\"",
    "RUN \"unterminated",
    "\r",
];

proptest::proptest! {
    #[test]
    fn never_panics_and_positions_stay_in_the_file(
        picks in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..24),
        crlf in proptest::bool::ANY,
    ) {
        let text = picks.join(if crlf { "\r\n" } else { "\n" });
        let (doc, errors) = parse(&text, "Dockerfile");
        let lines = text.split('\n').count().max(1);
        if let Err(e) = check_lines(doc.root(), lines) {
            proptest::prop_assert!(false, "{e}\n{text}");
        }
        for e in errors {
            proptest::prop_assert!(e.line >= 1 && e.line <= lines, "{e:?}\n{text}");
        }
    }

    #[test]
    fn never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = parse(&text, "Dockerfile");
    }
}
