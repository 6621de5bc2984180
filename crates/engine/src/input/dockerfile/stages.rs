//! Instructions to build stages: what each stage starts from and what holds
//! at its end (user, working directory, environment, command, health check),
//! inherited from an earlier stage when `FROM` names one.

use super::image::{ImageRef, parse_image};
use super::instr::{Flag, Instr};
use super::words::{split_words, substitute, unquote};
use super::{DockerfileError, Sp};
use crate::value::doc::Pos;

/// An `ARG`: its name and default, and where it is declared.
#[derive(Clone, Debug)]
pub(super) struct Arg {
    pub name: String,
    pub value: Option<Sp>,
    pub pos: Pos,
}

/// `CMD` or `ENTRYPOINT`.
#[derive(Clone, Debug)]
pub(super) struct Command {
    pub arguments: Sp,
    pub exec: Option<Vec<Sp>>,
    pub instruction: usize,
    pub pos: Pos,
}

/// `HEALTHCHECK`.
#[derive(Clone, Debug)]
pub(super) struct Health {
    pub none: bool,
    pub test: Vec<Sp>,
    pub flags: Vec<Flag>,
    pub instruction: usize,
    pub pos: Pos,
}

/// A build stage.
#[derive(Clone, Debug)]
pub(super) struct Stage {
    pub index: usize,
    pub pos: Pos,
    pub name: Option<Sp>,
    pub from: Sp,
    pub from_resolved: Option<String>,
    pub base: Option<ImageRef>,
    pub platform: Option<Sp>,
    pub parent: Option<usize>,
    pub user: Option<Sp>,
    pub workdir: Option<Sp>,
    pub env: Vec<(String, Sp)>,
    pub args: Vec<Arg>,
    pub labels: Vec<(String, Sp)>,
    pub expose: Vec<Sp>,
    pub volumes: Vec<Sp>,
    pub healthcheck: Option<Health>,
    pub cmd: Option<Command>,
    pub entrypoint: Option<Command>,
    pub shell: Option<Vec<Sp>>,
    pub instructions: Vec<(usize, Pos)>,
    pub copies_from: Vec<Sp>,
    /// Whether this stage (not its parent) set `CMD`: `ENTRYPOINT` clears an
    /// inherited one.
    cmd_here: bool,
}

/// The build: global `ARG`s, stages, and the stage of each instruction.
#[derive(Debug, Default)]
pub(super) struct Model {
    pub args: Vec<Arg>,
    pub stages: Vec<Stage>,
    pub stage_of: Vec<Option<usize>>,
}

fn set(list: &mut Vec<(String, Sp)>, key: String, value: Sp) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => list.push((key, value)),
    }
}

/// `key=value` pairs (`ENV`, `LABEL`), or the old `KEY value` form.
fn pairs(ins: &Instr, esc: char, errors: &mut Vec<DockerfileError>) -> Vec<(String, Sp)> {
    let words = ins.words(esc);
    let kw = &ins.keyword;
    let Some(first) = words.first() else {
        errors.push(DockerfileError::new(
            ins.pos,
            format!("expected `{kw} <key>=<value>` but `{kw}` has no arguments"),
        ));
        return Vec::new();
    };
    if !first.text.contains('=') {
        let (rest, _) = ins.body_after_first_word();
        if rest.text.is_empty() {
            errors.push(DockerfileError::new(
                first.pos,
                format!("expected a value after `{kw} {}`", first.text),
            ));
            return Vec::new();
        }
        return vec![(
            unquote(&first.text, esc),
            Sp::new(unquote(&rest.text, esc), rest.pos),
        )];
    }
    let mut out = Vec::new();
    for w in words {
        match w.text.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                let vpos = Pos::new(
                    w.pos.line as usize,
                    w.pos.col as usize + k.chars().count() + 1,
                );
                out.push((unquote(k, esc), Sp::new(unquote(v, esc), vpos)));
            }
            _ => errors.push(DockerfileError::new(
                w.pos,
                format!("expected `<key>=<value>`, found `{}`", w.text),
            )),
        }
    }
    out
}

fn command(ins: &Instr, index: usize) -> Command {
    Command {
        arguments: ins.body.clone(),
        exec: ins.exec.clone().flatten(),
        instruction: index,
        pos: ins.pos,
    }
}

/// Reads the instructions into stages.
pub(super) fn analyse(instrs: &[Instr], esc: char, errors: &mut Vec<DockerfileError>) -> Model {
    let mut m = Model::default();
    for (index, ins) in instrs.iter().enumerate() {
        if ins.keyword == "FROM" {
            let stage = from(ins, &m, esc, errors);
            m.stages.push(stage);
        }
        let Some(st) = m.stages.last_mut() else {
            m.stage_of.push(None);
            if ins.keyword == "ARG" {
                m.args.extend(args(ins, esc, &[], errors));
            } else {
                errors.push(DockerfileError::new(
                    ins.pos,
                    format!(
                        "`{}` before the first `FROM`: only `ARG` may come before it",
                        ins.keyword
                    ),
                ));
            }
            continue;
        };
        m.stage_of.push(Some(st.index));
        st.instructions.push((index, ins.pos));
        instruction(st, ins, index, &m.args, esc, errors);
    }
    if m.stages.is_empty() {
        let pos = instrs.first().map_or(Pos::new(1, 1), |i| i.pos);
        errors.push(DockerfileError::new(
            pos,
            "no `FROM` instruction: expected at least one build stage",
        ));
    }
    m
}

/// A stage from its `FROM`.
fn from(ins: &Instr, m: &Model, esc: char, errors: &mut Vec<DockerfileError>) -> Stage {
    let words = ins.words(esc);
    let mut image = words
        .first()
        .cloned()
        .map(|w| Sp::new(unquote(&w.text, esc), w.pos));
    let mut name = None;
    match words.as_slice() {
        [] => {
            errors.push(DockerfileError::new(
                ins.pos,
                "expected an image after `FROM`, as in `FROM [--platform=<platform>] <image> [AS <name>]`",
            ));
            image = Some(Sp::new("", ins.pos));
        }
        [_] => {}
        [_, as_, n] if as_.text.eq_ignore_ascii_case("AS") => name = Some(n.clone()),
        [_, rest @ ..] => {
            let w = rest.first().map_or_else(|| ins.pos, |w| w.pos);
            errors.push(DockerfileError::new(
                w,
                format!(
                    "expected `AS <name>` after the image in `FROM {}`",
                    ins.body.text
                ),
            ));
        }
    }
    let from = image.unwrap_or_else(|| Sp::new("", ins.pos));
    let global = |n: &str| {
        m.args
            .iter()
            .rev()
            .find(|a| a.name == n)
            .and_then(|a| a.value.as_ref().map(|v| v.text.clone()))
    };
    let from_resolved = substitute(&from.text, esc, &global);
    let parent = from_resolved.as_deref().and_then(|r| {
        m.stages.iter().position(|s| {
            s.name
                .as_ref()
                .is_some_and(|n| n.text.eq_ignore_ascii_case(r))
        })
    });
    if let Some(n) = &name
        && let Some(other) = m.stages.iter().find(|s| {
            s.name
                .as_ref()
                .is_some_and(|o| o.text.eq_ignore_ascii_case(&n.text))
        })
    {
        errors.push(DockerfileError::new(
            n.pos,
            format!(
                "the stage name `{}` is already used by stage {} (line {})",
                n.text, other.index, other.pos.line
            ),
        ));
    }
    let base = match parent {
        Some(_) => None,
        None => from_resolved.as_deref().and_then(parse_image),
    };
    if parent.is_none()
        && base.is_none()
        && let Some(r) = &from_resolved
        && !r.is_empty()
    {
        errors.push(DockerfileError::new(
            from.pos,
            format!(
                "invalid image reference `{r}`: expected `[registry/]repository[:tag][@digest]`"
            ),
        ));
    }
    let platform = ins
        .flags
        .iter()
        .rev()
        .find(|f| f.name == "platform")
        .map(|f| Sp::new(f.value.clone().unwrap_or_default(), f.pos));
    let mut stage = Stage {
        index: m.stages.len(),
        pos: ins.pos,
        name,
        from,
        from_resolved,
        base,
        platform,
        parent,
        user: None,
        workdir: None,
        env: Vec::new(),
        args: Vec::new(),
        labels: Vec::new(),
        expose: Vec::new(),
        volumes: Vec::new(),
        healthcheck: None,
        cmd: None,
        entrypoint: None,
        shell: None,
        instructions: Vec::new(),
        copies_from: Vec::new(),
        cmd_here: false,
    };
    if let Some(p) = parent.and_then(|p| m.stages.get(p)) {
        stage.user = p.user.clone();
        stage.workdir = p.workdir.clone();
        stage.env = p.env.clone();
        stage.labels = p.labels.clone();
        stage.expose = p.expose.clone();
        stage.volumes = p.volumes.clone();
        stage.healthcheck = p.healthcheck.clone();
        stage.cmd = p.cmd.clone();
        stage.entrypoint = p.entrypoint.clone();
        stage.shell = p.shell.clone();
    }
    stage
}

/// `ARG name[=default] ...`; inside a stage a name without a default takes
/// the global one.
fn args(ins: &Instr, esc: char, global: &[Arg], errors: &mut Vec<DockerfileError>) -> Vec<Arg> {
    let words = ins.words(esc);
    if words.is_empty() {
        errors.push(DockerfileError::new(
            ins.pos,
            "expected `ARG <name>[=<default>]` but `ARG` has no arguments",
        ));
    }
    words
        .into_iter()
        .map(|w| match w.text.split_once('=') {
            Some((k, v)) => {
                let vpos = Pos::new(
                    w.pos.line as usize,
                    w.pos.col as usize + k.chars().count() + 1,
                );
                Arg {
                    name: unquote(k, esc),
                    value: Some(Sp::new(unquote(v, esc), vpos)),
                    pos: w.pos,
                }
            }
            None => {
                let name = unquote(&w.text, esc);
                let value = global
                    .iter()
                    .rev()
                    .find(|a| a.name == name)
                    .and_then(|a| a.value.clone());
                Arg {
                    name,
                    value,
                    pos: w.pos,
                }
            }
        })
        .collect()
}

/// Applies one instruction to its stage.
fn instruction(
    st: &mut Stage,
    ins: &Instr,
    index: usize,
    global: &[Arg],
    esc: char,
    errors: &mut Vec<DockerfileError>,
) {
    let kw = ins.keyword.as_str();
    let needs_args = !matches!(kw, "FROM" | "CMD" | "ENTRYPOINT");
    if needs_args && ins.body.text.is_empty() && ins.heredocs.is_empty() {
        errors.push(DockerfileError::new(
            ins.pos,
            format!("`{kw}` needs arguments"),
        ));
        return;
    }
    match kw {
        "ARG" => {
            for a in args(ins, esc, global, errors) {
                match st.args.iter_mut().find(|x| x.name == a.name) {
                    Some(slot) => *slot = a,
                    None => st.args.push(a),
                }
            }
        }
        "ENV" => {
            for (k, v) in pairs(ins, esc, errors) {
                set(&mut st.env, k, v);
            }
        }
        "LABEL" => {
            for (k, v) in pairs(ins, esc, errors) {
                set(&mut st.labels, k, v);
            }
        }
        "USER" => st.user = Some(Sp::new(unquote(&ins.body.text, esc), ins.body.pos)),
        "WORKDIR" => {
            let dir = unquote(&ins.body.text, esc);
            let absolute = dir.starts_with(['/', '\\'])
                || dir.get(1..2) == Some(":")
                || dir.starts_with('$');
            let dir = match &st.workdir {
                Some(prev) if !absolute => {
                    format!("{}/{}", prev.text.trim_end_matches('/'), dir)
                }
                None if !absolute => format!("/{dir}"),
                _ => dir,
            };
            st.workdir = Some(Sp::new(dir, ins.body.pos));
        }
        "EXPOSE" => st.expose.extend(
            ins.words(esc)
                .into_iter()
                .map(|w| Sp::new(unquote(&w.text, esc), w.pos)),
        ),
        "VOLUME" => match ins.exec.clone().flatten() {
            Some(items) => st.volumes.extend(items),
            None => st.volumes.extend(
                ins.words(esc)
                    .into_iter()
                    .map(|w| Sp::new(unquote(&w.text, esc), w.pos)),
            ),
        },
        "CMD" => {
            st.cmd = Some(command(ins, index));
            st.cmd_here = true;
        }
        "ENTRYPOINT" => {
            st.entrypoint = Some(command(ins, index));
            if !st.cmd_here {
                st.cmd = None;
            }
        }
        "SHELL" => match ins.exec.clone().flatten() {
            Some(items) if !items.is_empty() => st.shell = Some(items),
            _ => errors.push(DockerfileError::new(
                ins.body.pos,
                "expected a JSON array of strings after `SHELL`, as in `SHELL [\"/bin/sh\", \"-c\"]`",
            )),
        },
        "HEALTHCHECK" => healthcheck(st, ins, index, errors),
        "COPY" | "ADD" => {
            let count = match ins.exec.clone().flatten() {
                Some(items) => items.len(),
                None => split_words(&ins.body.text, esc).len(),
            };
            if count < 2 {
                errors.push(DockerfileError::new(
                    ins.body.pos,
                    format!("expected a source and a destination, as in `{kw} <src>... <dest>`"),
                ));
            }
            if kw == "COPY" {
                st.copies_from.extend(
                    ins.flags
                        .iter()
                        .filter(|f| f.name == "from")
                        .map(|f| Sp::new(f.value.clone().unwrap_or_default(), f.pos)),
                );
            }
        }
        _ => {}
    }
}

fn healthcheck(st: &mut Stage, ins: &Instr, index: usize, errors: &mut Vec<DockerfileError>) {
    let first = ins.body.text.split_whitespace().next().unwrap_or("");
    let mut h = Health {
        none: false,
        test: Vec::new(),
        flags: ins.flags.clone(),
        instruction: index,
        pos: ins.pos,
    };
    if first.eq_ignore_ascii_case("NONE") {
        h.none = true;
        h.test.push(Sp::new("NONE", ins.body.pos));
    } else if first.eq_ignore_ascii_case("CMD") {
        let (rest, rest_off) = ins.body_after_first_word();
        match super::words::json_array(&rest.text) {
            Some(items) => {
                h.test.push(Sp::new("CMD", ins.body.pos));
                for (s, off) in items {
                    h.test.push(Sp::new(s, ins.pos_in_body(rest_off + off)));
                }
            }
            None => {
                h.test.push(Sp::new("CMD-SHELL", ins.body.pos));
                h.test.push(rest);
            }
        }
    } else {
        errors.push(DockerfileError::new(
            ins.body.pos,
            format!("expected `CMD` or `NONE` after `HEALTHCHECK`, found `{first}`"),
        ));
        return;
    }
    st.healthcheck = Some(h);
}
