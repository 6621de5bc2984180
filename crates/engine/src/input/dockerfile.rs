//! Dockerfiles (and Containerfiles) to [`Doc`]s, with the line and column of
//! every value.
//!
//! Hand-written. Of the crates on crates.io, `dockerfile-parser` (pest) has
//! not been released since 2021 and knows no heredocs; `dockerfile-parser-rs`
//! is maintained and reads heredocs, but its syntax tree keeps no line
//! numbers, so a finding could not point at the `USER` line it is about.
//! The reading follows BuildKit's parser (`frontend/dockerfile/parser`):
//!
//! - parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of
//!   the file, until the first line that is not one;
//! - comments, and line continuations with the escape character (`\` or the
//!   backtick after `# escape=``), skipping comment and empty lines inside a
//!   continuation;
//! - heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`, several per instruction) after
//!   `RUN`, `COPY` and `ADD`;
//! - `--name=value` flags before the arguments of any instruction;
//! - the JSON array ("exec") form where an instruction accepts it.
//!
//! The document then describes the build stage by stage (see
//! `docs/inputs.md`): each stage's base image, parsed and with global `ARG`
//! defaults substituted, and its effective user, working directory,
//! environment, command and health check, inherited from an earlier stage
//! when `FROM` names one. Problems become [`DockerfileError`]s with a line
//! and column; the rest of the file still becomes a document.

mod emit;
mod image;
mod instr;
mod lines;
mod stages;
mod words;

#[cfg(test)]
mod tests;

use crate::value::doc::{Doc, Pos};

/// A problem in a Dockerfile (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerfileError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl DockerfileError {
    fn new(pos: Pos, message: impl Into<String>) -> DockerfileError {
        DockerfileError {
            line: pos.line as usize,
            col: pos.col as usize,
            message: message.into(),
        }
    }
}

/// A piece of text and where it starts.
#[derive(Clone, Debug, PartialEq)]
struct Sp {
    text: String,
    pos: Pos,
}

impl Sp {
    fn new(text: impl Into<String>, pos: Pos) -> Sp {
        Sp {
            text: text.into(),
            pos,
        }
    }
}

/// Parses a Dockerfile into a `kind: Dockerfile` document named `name`.
/// Never fails: problems are returned next to the document.
pub fn parse(text: &str, name: &str) -> (Doc, Vec<DockerfileError>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut errors = Vec::new();
    let read = lines::read(text, &mut errors);
    let instrs = instr::instructions(&read.logical, read.escape, &mut errors);
    let model = stages::analyse(&instrs, read.escape, &mut errors);
    let doc = emit::document(name, &read.directives, &instrs, &model);
    errors.sort_by_key(|e| (e.line, e.col));
    (doc, errors)
}

/// Whether a file name is a Dockerfile's: `Dockerfile`, `Containerfile`,
/// `Dockerfile.*`, `Containerfile.*`, `*.Dockerfile` or `*.dockerfile`
/// (but not `Dockerfile.dockerignore`, the ignore file that belongs to it).
pub fn is_dockerfile_name(name: &str) -> bool {
    if name.ends_with(".dockerignore") || name.ends_with(".containerignore") {
        return false;
    }
    matches!(
        name,
        "Dockerfile" | "dockerfile" | "Containerfile" | "containerfile"
    ) || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
        || name.ends_with(".Containerfile")
}

/// Whether text of unknown name reads as a Dockerfile: its first line that
/// is neither empty nor a comment starts with `FROM` or `ARG` and a space.
pub fn looks_like_dockerfile(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    let mut parts = first.splitn(2, [' ', '\t']);
    let keyword = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("").trim_start();
    (keyword.eq_ignore_ascii_case("FROM") || keyword.eq_ignore_ascii_case("ARG"))
        && !rest.is_empty()
        && !rest.starts_with(':')
}
