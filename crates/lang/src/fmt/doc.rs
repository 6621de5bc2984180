//! A small pretty-printing document, in the style of Wadler's "prettier
//! printer" and Prettier's `Doc`: text, line breaks that groups may or may not
//! take, indentation, and suffixes (trailing comments) that do not count
//! towards the width.

/// A document to lay out.
#[derive(Clone, Debug)]
pub(crate) enum Doc {
    Nil,
    /// Text without line breaks.
    Text(String),
    /// A space when its group is flat, a line break when it is broken.
    Line,
    /// Nothing when its group is flat, a line break when it is broken.
    SoftLine,
    /// Always a line break; forces every enclosing group to break.
    HardLine,
    /// An empty line; forces every enclosing group to break.
    BlankLine,
    /// Forces every enclosing group to break without printing anything.
    BreakParent,
    Concat(Vec<Doc>),
    /// Indents the line breaks inside by two more spaces.
    Indent(Box<Doc>),
    /// Laid out flat when it fits in the width, broken otherwise. `hard`
    /// records whether it must break (it holds a hard line).
    Group {
        hard: bool,
        doc: Box<Doc>,
    },
    /// The first document when the enclosing group is broken, the second when
    /// it is flat.
    IfBreak(Box<Doc>, Box<Doc>),
    /// Text printed at the end of the current line (a trailing comment); it
    /// takes no width when deciding whether a group fits.
    LineSuffix(String),
    /// The first layout whose lines all fit when its groups are flat, else
    /// the last one, laid out as usual. Only the last may hold comments.
    Alt(Vec<Doc>),
}

/// The width the formatter aims for.
pub(crate) const WIDTH: usize = 100;
const INDENT: usize = 2;

pub(crate) fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

pub(crate) fn concat(parts: Vec<Doc>) -> Doc {
    Doc::Concat(parts)
}

pub(crate) fn indent(d: Doc) -> Doc {
    Doc::Indent(Box::new(d))
}

pub(crate) fn group(d: Doc) -> Doc {
    Doc::Group {
        hard: d.is_hard(),
        doc: Box::new(d),
    }
}

pub(crate) fn if_break(broken: Doc, flat: Doc) -> Doc {
    Doc::IfBreak(Box::new(broken), Box::new(flat))
}

impl Doc {
    /// Whether laying this out always breaks the line.
    pub(crate) fn is_hard(&self) -> bool {
        match self {
            Doc::HardLine | Doc::BlankLine | Doc::BreakParent => true,
            Doc::Concat(v) => v.iter().any(Doc::is_hard),
            Doc::Indent(d) => d.is_hard(),
            Doc::Group { hard, .. } => *hard,
            Doc::IfBreak(a, b) => a.is_hard() || b.is_hard(),
            Doc::Alt(v) => v.last().is_some_and(Doc::is_hard),
            Doc::Nil | Doc::Text(_) | Doc::Line | Doc::SoftLine | Doc::LineSuffix(_) => false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Lays a document out in `max` columns.
pub(crate) fn render(doc: &Doc, max: usize) -> String {
    let mut out = String::new();
    let mut col = 0usize;
    let mut suffix: Vec<&str> = Vec::new();
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(0, Mode::Break, doc)];
    while let Some((ind, mode, d)) = stack.pop() {
        match d {
            Doc::Nil | Doc::BreakParent => {}
            Doc::Text(s) => {
                out.push_str(s);
                col += width(s);
            }
            Doc::Concat(v) => stack.extend(v.iter().rev().map(|x| (ind, mode, x))),
            Doc::Indent(x) => stack.push((ind + INDENT, mode, x)),
            Doc::Group { hard, doc } => {
                let m = if mode == Mode::Flat
                    || (!*hard && fits(doc, &stack, max.saturating_sub(col)))
                {
                    Mode::Flat
                } else {
                    Mode::Break
                };
                stack.push((ind, m, doc));
            }
            Doc::IfBreak(b, f) => stack.push((ind, mode, if mode == Mode::Break { b } else { f })),
            Doc::Line if mode == Mode::Flat => {
                out.push(' ');
                col += 1;
            }
            Doc::SoftLine if mode == Mode::Flat => {}
            Doc::Line | Doc::SoftLine | Doc::HardLine => {
                newline(&mut out, &mut suffix, ind);
                col = ind;
            }
            Doc::BlankLine => {
                newline(&mut out, &mut suffix, 0);
                newline(&mut out, &mut suffix, ind);
                col = ind;
            }
            Doc::LineSuffix(s) => suffix.push(s),
            Doc::Alt(alts) => {
                let (last, first) = match alts.split_last() {
                    Some(x) => x,
                    None => continue,
                };
                match first.iter().find(|a| fits_flat(a, col, ind, max)) {
                    Some(a) => stack.push((ind, Mode::Flat, a)),
                    None => stack.push((ind, mode, last)),
                }
            }
        }
    }
    for s in suffix.drain(..) {
        out.push_str(s);
    }
    trim_line_end(&mut out);
    out
}

fn trim_line_end(out: &mut String) {
    let kept = out.trim_end_matches([' ', '\t']).len();
    out.truncate(kept);
}

fn newline(out: &mut String, suffix: &mut Vec<&str>, ind: usize) {
    for s in suffix.drain(..) {
        out.push_str(s);
    }
    trim_line_end(out);
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', ind));
}

/// Whether `doc`, laid out flat, and what follows it up to the next possible
/// line break fit in `room` columns.
fn fits(doc: &Doc, rest: &[(usize, Mode, &Doc)], room: usize) -> bool {
    let mut room = isize::try_from(room).unwrap_or(isize::MAX);
    let mut todo: Vec<(Mode, &Doc)> = vec![(Mode::Flat, doc)];
    let mut rest_at = rest.len();
    loop {
        if room < 0 {
            return false;
        }
        let (mode, d) = match todo.pop() {
            Some(x) => x,
            None => {
                if rest_at == 0 {
                    return true;
                }
                rest_at -= 1;
                match rest.get(rest_at) {
                    Some(&(_, m, d)) => (m, d),
                    None => return true,
                }
            }
        };
        match d {
            Doc::Nil | Doc::BreakParent | Doc::LineSuffix(_) => {}
            Doc::Text(s) => room -= width(s) as isize,
            Doc::Concat(v) => todo.extend(v.iter().rev().map(|x| (mode, x))),
            Doc::Indent(x) => todo.push((mode, x)),
            Doc::Group { hard, doc } => {
                todo.push((if *hard { Mode::Break } else { mode }, doc));
            }
            Doc::IfBreak(b, f) => todo.push((mode, if mode == Mode::Break { b } else { f })),
            Doc::Alt(alts) => {
                if let Some(a) = alts.first() {
                    todo.push((mode, a));
                }
            }
            Doc::Line => {
                if mode == Mode::Break {
                    return true;
                }
                room -= 1;
            }
            Doc::SoftLine => {
                if mode == Mode::Break {
                    return true;
                }
            }
            Doc::HardLine | Doc::BlankLine => return true,
        }
    }
}

/// Whether every line of `doc`, laid out with its groups flat from column
/// `col` at indentation `ind`, fits in `max` columns. Hard line breaks start
/// new lines; comments never fit.
fn fits_flat(doc: &Doc, col: usize, ind: usize, max: usize) -> bool {
    let mut col = col;
    let mut todo: Vec<(usize, &Doc)> = vec![(ind, doc)];
    while let Some((ind, d)) = todo.pop() {
        match d {
            Doc::Nil | Doc::SoftLine => {}
            Doc::Text(s) => col += width(s),
            Doc::Line => col += 1,
            Doc::HardLine => col = ind,
            Doc::Concat(v) => todo.extend(v.iter().rev().map(|x| (ind, x))),
            Doc::Indent(x) => todo.push((ind + INDENT, x)),
            Doc::Group { hard: false, doc } => todo.push((ind, doc)),
            Doc::IfBreak(_, f) => todo.push((ind, f)),
            Doc::Alt(v) => {
                if let Some(a) = v.first() {
                    todo.push((ind, a));
                }
            }
            Doc::Group { hard: true, .. }
            | Doc::BlankLine
            | Doc::BreakParent
            | Doc::LineSuffix(_) => return false,
        }
        if col > max {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize) -> Doc {
        let mut items = Vec::new();
        for i in 0..n {
            if i > 0 {
                items.push(text(","));
                items.push(Doc::Line);
            }
            items.push(text(format!("item{i}")));
        }
        group(concat(vec![
            text("["),
            indent(concat(vec![
                Doc::SoftLine,
                concat(items),
                if_break(text(","), Doc::Nil),
            ])),
            Doc::SoftLine,
            text("]"),
        ]))
    }

    #[test]
    fn short_groups_stay_flat() {
        assert_eq!(render(&list(3), 100), "[item0, item1, item2]");
    }

    #[test]
    fn long_groups_break_one_element_per_line() {
        assert_eq!(render(&list(3), 10), "[\n  item0,\n  item1,\n  item2,\n]");
    }

    #[test]
    fn suffixes_do_not_count_and_end_the_line() {
        let d = concat(vec![
            text("a"),
            Doc::LineSuffix(" # note".into()),
            Doc::HardLine,
            text("b"),
        ]);
        assert_eq!(render(&d, 3), "a # note\nb");
    }
}
