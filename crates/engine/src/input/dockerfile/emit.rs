//! The model to a [`Doc`]; the shape is described in `docs/inputs.md`.

use super::Sp;
use super::instr::{Flag, Instr};
use super::lines::{Directives, Heredoc};
use super::stages::{Arg, Command, Health, Model, Stage};
use crate::value::doc::{Doc, DocBuilder, Pos};

fn str_field(b: &mut DocBuilder, key: &str, value: &str, pos: Pos) {
    b.key_str(key);
    b.str(value, pos);
}

fn sp_field(b: &mut DocBuilder, key: &str, value: &Sp) {
    str_field(b, key, &value.text, value.pos);
}

fn opt_field(b: &mut DocBuilder, key: &str, value: Option<&Sp>, missing: Pos) {
    b.key_str(key);
    match value {
        Some(v) => {
            b.str(&v.text, v.pos);
        }
        None => {
            b.null(missing);
        }
    }
}

fn num_field(b: &mut DocBuilder, key: &str, n: usize, pos: Pos) {
    b.key_str(key);
    b.num(n as f64, pos);
}

fn list(b: &mut DocBuilder, key: &str, items: &[Sp], pos: Pos) {
    b.key_str(key);
    b.begin_list(items.first().map_or(pos, |i| i.pos));
    for i in items {
        b.str(&i.text, i.pos);
    }
    b.end();
}

fn map(b: &mut DocBuilder, key: &str, entries: &[(String, Sp)], pos: Pos) {
    b.key_str(key);
    b.begin_obj(pos);
    for (k, v) in entries {
        sp_field(b, k, v);
    }
    b.end();
}

/// The whole document.
pub(super) fn document(name: &str, d: &Directives, instrs: &[Instr], m: &Model) -> Doc {
    let top = Pos::new(1, 1);
    let mut b = DocBuilder::new();
    b.begin_obj(top);
    str_field(&mut b, "apiVersion", "ward.dev/v1", top);
    str_field(&mut b, "kind", "Dockerfile", top);
    b.key_str("metadata");
    b.begin_obj(top);
    str_field(&mut b, "name", name, top);
    b.end();
    b.key_str("directives");
    b.begin_obj(top);
    for (k, v) in [
        ("syntax", &d.syntax),
        ("escape", &d.escape),
        ("check", &d.check),
    ] {
        if let Some(v) = v {
            sp_field(&mut b, k, v);
        }
    }
    b.end();
    args(&mut b, &m.args, top);
    b.key_str("instructions");
    b.begin_list(top);
    for (i, ins) in instrs.iter().enumerate() {
        instruction(&mut b, ins, m.stage_of.get(i).copied().flatten());
    }
    b.end();
    b.key_str("stages");
    b.begin_list(top);
    for s in &m.stages {
        stage(&mut b, s);
    }
    b.end();
    b.end();
    b.finish()
}

fn args(b: &mut DocBuilder, args: &[Arg], pos: Pos) {
    b.key_str("args");
    b.begin_obj(args.first().map_or(pos, |a| a.pos));
    for a in args {
        opt_field(b, &a.name, a.value.as_ref(), a.pos);
    }
    b.end();
}

fn flag_value(b: &mut DocBuilder, f: &Flag) {
    match &f.value {
        Some(v) => b.str(v, f.pos),
        None => b.bool(true, f.pos),
    };
}

/// `--name=value` flags as an object; a flag given more than once (such as
/// `--mount`) becomes a list of its values.
fn flags(b: &mut DocBuilder, key: &str, flags: &[Flag], pos: Pos) {
    b.key_str(key);
    b.begin_obj(flags.first().map_or(pos, |f| f.pos));
    let mut names: Vec<&str> = Vec::new();
    for f in flags {
        if !names.contains(&f.name.as_str()) {
            names.push(&f.name);
        }
    }
    for n in names {
        let same: Vec<&Flag> = flags.iter().filter(|f| f.name == n).collect();
        b.key_str(n);
        match same.as_slice() {
            [one] => flag_value(b, one),
            _ => {
                b.begin_list(same.first().map_or(pos, |f| f.pos));
                for f in same {
                    flag_value(b, f);
                }
                b.end();
            }
        }
    }
    b.end();
}

fn heredoc(b: &mut DocBuilder, h: &Heredoc) {
    b.begin_obj(h.pos);
    str_field(b, "name", &h.name, h.pos);
    str_field(b, "content", &h.content, h.content_pos);
    b.key_str("chomp");
    b.bool(h.chomp, h.pos);
    b.key_str("expand");
    b.bool(h.expand, h.pos);
    b.end();
}

fn form(b: &mut DocBuilder, exec: Option<&Vec<Sp>>, body: &Sp) {
    str_field(
        b,
        "form",
        if exec.is_some() { "exec" } else { "shell" },
        body.pos,
    );
    if let Some(items) = exec {
        list(b, "exec", items, body.pos);
    }
}

fn instruction(b: &mut DocBuilder, ins: &Instr, stage: Option<usize>) {
    let pos = ins.pos;
    b.begin_obj(pos);
    str_field(b, "instruction", &ins.keyword, pos);
    sp_field(b, "arguments", &ins.args);
    num_field(b, "line", ins.line(), pos);
    num_field(b, "end_line", ins.end_line, pos);
    flags(b, "flags", &ins.flags, pos);
    if let Some(exec) = &ins.exec {
        form(b, exec.as_ref(), &ins.body);
    }
    if !ins.heredocs.is_empty() {
        b.key_str("heredocs");
        b.begin_list(ins.heredocs.first().map_or(pos, |h| h.pos));
        for h in &ins.heredocs {
            heredoc(b, h);
        }
        b.end();
    }
    if ins.keyword == "ONBUILD" {
        let trigger = ins.body.text.split_whitespace().next().unwrap_or("");
        str_field(b, "trigger", &trigger.to_ascii_uppercase(), ins.body.pos);
    }
    b.key_str("stage");
    match stage {
        Some(s) => b.num(s as f64, pos),
        None => b.null(pos),
    };
    b.end();
}

fn command(b: &mut DocBuilder, key: &str, c: Option<&Command>, missing: Pos) {
    b.key_str(key);
    let Some(c) = c else {
        b.null(missing);
        return;
    };
    b.begin_obj(c.pos);
    form(b, c.exec.as_ref(), &c.arguments);
    sp_field(b, "arguments", &c.arguments);
    num_field(b, "instruction", c.instruction, c.pos);
    num_field(b, "line", c.pos.line as usize, c.pos);
    b.end();
}

fn health(b: &mut DocBuilder, h: Option<&Health>, missing: Pos) {
    b.key_str("healthcheck");
    let Some(h) = h else {
        b.null(missing);
        return;
    };
    b.begin_obj(h.pos);
    b.key_str("none");
    b.bool(h.none, h.pos);
    list(b, "test", &h.test, h.pos);
    flags(b, "flags", &h.flags, h.pos);
    num_field(b, "instruction", h.instruction, h.pos);
    num_field(b, "line", h.pos.line as usize, h.pos);
    b.end();
}

fn stage(b: &mut DocBuilder, s: &Stage) {
    let pos = s.pos;
    let from = s.from.pos;
    b.begin_obj(pos);
    num_field(b, "index", s.index, pos);
    opt_field(b, "name", s.name.as_ref(), pos);
    sp_field(b, "from", &s.from);
    b.key_str("from_resolved");
    match &s.from_resolved {
        Some(r) => b.str(r, from),
        None => b.null(from),
    };
    b.key_str("base");
    match &s.base {
        Some(r) => {
            b.begin_obj(from);
            str_field(
                b,
                "reference",
                s.from_resolved.as_deref().unwrap_or(""),
                from,
            );
            b.key_str("registry");
            match &r.registry {
                Some(x) => b.str(x, from),
                None => b.null(from),
            };
            str_field(b, "repository", &r.repository, from);
            for (k, v) in [("tag", &r.tag), ("digest", &r.digest)] {
                b.key_str(k);
                match v {
                    Some(x) => b.str(x, from),
                    None => b.null(from),
                };
            }
            str_field(b, "name", &r.name, from);
            b.end();
        }
        None => {
            b.null(from);
        }
    }
    opt_field(b, "platform", s.platform.as_ref(), pos);
    b.key_str("parent");
    match s.parent {
        Some(p) => b.num(p as f64, from),
        None => b.null(from),
    };
    num_field(b, "line", pos.line as usize, pos);
    opt_field(b, "user", s.user.as_ref(), pos);
    opt_field(b, "workdir", s.workdir.as_ref(), pos);
    map(b, "env", &s.env, pos);
    args(b, &s.args, pos);
    map(b, "labels", &s.labels, pos);
    list(b, "expose", &s.expose, pos);
    list(b, "volumes", &s.volumes, pos);
    health(b, s.healthcheck.as_ref(), pos);
    command(b, "cmd", s.cmd.as_ref(), pos);
    command(b, "entrypoint", s.entrypoint.as_ref(), pos);
    b.key_str("shell");
    match &s.shell {
        Some(items) => {
            b.begin_list(items.first().map_or(pos, |i| i.pos));
            for i in items {
                b.str(&i.text, i.pos);
            }
            b.end();
        }
        None => {
            b.null(pos);
        }
    }
    b.key_str("instructions");
    b.begin_list(pos);
    for (i, p) in &s.instructions {
        b.num(*i as f64, *p);
    }
    b.end();
    list(b, "copies_from", &s.copies_from, pos);
    b.end();
}
