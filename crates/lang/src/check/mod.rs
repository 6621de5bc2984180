//! The checker: resolves every name, checks arity and types where they are
//! evident, and builds the [`Program`] the engine compiles.
//!
//! It runs in passes over all modules at once (the standard library, packs and
//! user policies): collect declarations per package, resolve each module's
//! `use` lines, then resolve bodies. Every problem becomes a [`Diagnostic`];
//! the program is only usable when none of them is an error.

mod expr;
mod kinds;
mod scope;

use crate::ast::{self, ItemKind, MetaKind, Module, PackStmtKind, TestStmtKind};
use crate::builtins::Builtin;
use crate::diagnostic::{Diagnostic, suggest};
use crate::hir::*;
use crate::span::Span;
use crate::types::Ty;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use scope::Frame;
use std::collections::BTreeMap;

/// The outcome of checking: the program and everything worth saying about it.
#[derive(Debug)]
pub struct Checked {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks a set of modules together.
pub fn check(modules: &[Module]) -> Checked {
    let mut c = Checker::new(modules);
    c.collect();
    c.resolve_imports();
    c.resolve_consts();
    c.resolve_params();
    c.resolve_fns();
    c.resolve_frameworks();
    c.resolve_controls();
    c.resolve_tests();
    c.resolve_packs();
    c.check_recursion();
    c.check_unused();
    let mut diagnostics = c.diags;
    diagnostics.sort_by_key(|d| (d.primary.span.file, d.primary.span.start));
    Checked {
        program: c.program,
        diagnostics,
    }
}

/// A named thing in a package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    Const(u32),
    Param(u32),
    Fn(u32),
    Plugin(u32),
}

/// What a name at module level refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Global {
    Member(Member),
    Package(String),
}

#[derive(Default, Debug)]
struct Package {
    members: BTreeMap<String, (Member, Span)>,
    controls: BTreeMap<String, Span>,
}

struct Checker<'m> {
    modules: &'m [Module],
    diags: Vec<Diagnostic>,
    program: Program,
    packages: BTreeMap<String, Package>,
    /// Per module: the names its `use` lines bring in, with use spans.
    imports: Vec<HashMap<String, (Global, Span)>>,
    import_used: Vec<HashSet<String>>,
    /// Where each declaration lives: (module index, item index).
    const_src: Vec<(usize, usize)>,
    param_src: Vec<(usize, usize)>,
    fn_src: Vec<(usize, usize)>,
    control_src: Vec<(usize, usize)>,
    param_used: Vec<bool>,
    const_types: Vec<Ty>,
    const_deps: Vec<Vec<u32>>,
    fn_calls: Vec<Vec<u32>>,
}

impl<'m> Checker<'m> {
    fn new(modules: &'m [Module]) -> Checker<'m> {
        Checker {
            modules,
            diags: Vec::new(),
            program: Program::default(),
            packages: BTreeMap::new(),
            imports: vec![HashMap::default(); modules.len()],
            import_used: vec![HashSet::default(); modules.len()],
            const_src: Vec::new(),
            param_src: Vec::new(),
            fn_src: Vec::new(),
            control_src: Vec::new(),
            param_used: Vec::new(),
            const_types: Vec::new(),
            const_deps: Vec::new(),
            fn_calls: Vec::new(),
        }
    }

    fn qualify(pkg: &str, name: &str) -> String {
        if pkg.is_empty() {
            name.to_string()
        } else {
            format!("{pkg}.{name}")
        }
    }

    /// Pass 1: every declaration gets an id in its package.
    fn collect(&mut self) {
        for (mi, m) in self.modules.iter().enumerate() {
            let pkg_name = m.package_name();
            self.packages.entry(pkg_name.clone()).or_default();
            for (ii, item) in m.items.iter().enumerate() {
                let (name, member) = match &item.kind {
                    ItemKind::Const(c) => {
                        let id = self.const_src.len() as u32;
                        self.const_src.push((mi, ii));
                        (&c.name, Member::Const(id))
                    }
                    ItemKind::Param(p) => {
                        let id = self.param_src.len() as u32;
                        self.param_src.push((mi, ii));
                        (&p.name, Member::Param(id))
                    }
                    ItemKind::Fn(f) => {
                        let id = self.fn_src.len() as u32;
                        self.fn_src.push((mi, ii));
                        (&f.name, Member::Fn(id))
                    }
                    ItemKind::Plugin(p) => {
                        let id = self.program.plugins.len() as u32;
                        self.program.plugins.push(PluginDef {
                            qname: Self::qualify(&pkg_name, &p.name.node),
                            name: p.name.node.clone(),
                            path: p.path.node.clone(),
                            file: m.file,
                            sha256: None,
                            span: p.name.span,
                        });
                        let mut pinned = false;
                        for o in &p.options {
                            if o.name.node == "sha256" {
                                pinned = true;
                                match o.value.as_plain_str() {
                                    Some(s)
                                        if s.len() == 64
                                            && s.bytes().all(|b| b.is_ascii_hexdigit()) =>
                                    {
                                        if let Some(pl) = self.program.plugins.last_mut() {
                                            pl.sha256 = Some(s.to_ascii_lowercase());
                                        }
                                    }
                                    _ => self.diags.push(
                                        Diagnostic::error(
                                            "invalid-digest",
                                            o.value.span,
                                            "`sha256` must be a SHA-256 digest: 64 hexadecimal digits in a plain string",
                                        )
                                        .label("not a digest")
                                        .with_help(format!(
                                            "`sha256sum {}` prints the module's digest",
                                            p.path.node
                                        )),
                                    ),
                                }
                            } else {
                                self.diags.push(
                                    Diagnostic::error(
                                        "unknown-argument",
                                        o.name.span,
                                        format!("plugins take no `{}` option", o.name.node),
                                    )
                                    .with_help("the only option is `sha256: \"<hex digest>\"`"),
                                );
                            }
                        }
                        if !pinned {
                            self.diags.push(
                                Diagnostic::warning(
                                    "unpinned-plugin",
                                    p.path.span,
                                    format!(
                                        "plugin `{}` is not pinned: any module at this path would run",
                                        p.name.node
                                    ),
                                )
                                .with_help(format!(
                                    "add `sha256: \"<digest>\"` (`sha256sum {}` prints it) so a changed module is refused",
                                    p.path.node
                                )),
                            );
                        }
                        (&p.name, Member::Plugin(id))
                    }
                    ItemKind::Control(c) => {
                        let pkg = self.packages.entry(pkg_name.clone()).or_default();
                        if let Some(prev) = pkg.controls.get(&c.name.node) {
                            self.diags.push(
                                Diagnostic::error(
                                    "duplicate-control",
                                    c.name.span,
                                    format!(
                                        "control `{}` is defined twice",
                                        Self::qualify(&pkg_name, &c.name.node)
                                    ),
                                )
                                .label("second definition")
                                .with_secondary(*prev, "first defined here")
                                .with_help("control ids must be unique within a package"),
                            );
                        } else {
                            pkg.controls.insert(c.name.node.clone(), c.name.span);
                        }
                        self.control_src.push((mi, ii));
                        continue;
                    }
                    _ => continue,
                };
                let pkg = self.packages.entry(pkg_name.clone()).or_default();
                if let Some((_, prev)) = pkg.members.get(&name.node) {
                    self.diags.push(
                        Diagnostic::error(
                            "duplicate-name",
                            name.span,
                            format!("`{}` is defined twice in package `{pkg_name}`", name.node),
                        )
                        .label("second definition")
                        .with_secondary(*prev, "first defined here"),
                    );
                } else {
                    pkg.members.insert(name.node.clone(), (member, name.span));
                }
            }
        }
        self.param_used = vec![false; self.param_src.len()];
        self.const_types = vec![Ty::Any; self.const_src.len()];
        self.const_deps = vec![Vec::new(); self.const_src.len()];
        self.fn_calls = vec![Vec::new(); self.fn_src.len()];
    }

    /// Pass 2: `use` lines.
    fn resolve_imports(&mut self) {
        for (mi, m) in self.modules.iter().enumerate() {
            for item in &m.items {
                let ItemKind::Use(u) = &item.kind else {
                    continue;
                };
                let path = u.path.to_string();
                match &u.names {
                    None => {
                        if self.packages.contains_key(&path) {
                            let alias = u.path.last().to_string();
                            self.add_import(mi, alias, Global::Package(path), u.path.span);
                        } else if let Some((pkg, name)) = path.rsplit_once('.') {
                            match self.packages.get(pkg).and_then(|p| p.members.get(name)) {
                                Some((member, _)) => {
                                    let g = Global::Member(*member);
                                    self.add_import(mi, name.to_string(), g, u.path.span);
                                }
                                None => self.unknown_package(&path, u.path.span),
                            }
                        } else {
                            self.unknown_package(&path, u.path.span);
                        }
                    }
                    Some(names) => {
                        let Some(pkg) = self.packages.get(&path) else {
                            self.unknown_package(&path, u.path.span);
                            continue;
                        };
                        let mut found = Vec::new();
                        for n in names {
                            match pkg.members.get(&n.name.node) {
                                Some((member, _)) => {
                                    found.push((n.local().clone(), Global::Member(*member)));
                                }
                                None => {
                                    let cands: Vec<&str> =
                                        pkg.members.keys().map(String::as_str).collect();
                                    let mut d = Diagnostic::error(
                                        "undefined-name",
                                        n.name.span,
                                        format!("package `{path}` has no `{}`", n.name.node),
                                    )
                                    .label("not found");
                                    if let Some(s) = suggest(&n.name.node, cands) {
                                        d = d.with_help(format!("did you mean `{s}`?"));
                                    }
                                    self.diags.push(d);
                                }
                            }
                        }
                        for (local, g) in found {
                            self.add_import(mi, local.node, g, local.span);
                        }
                    }
                }
            }
        }
    }

    fn add_import(&mut self, mi: usize, name: String, g: Global, span: Span) {
        if let Some(imports) = self.imports.get_mut(mi) {
            if let Some((_, prev)) = imports.get(&name) {
                let prev = *prev;
                self.diags.push(
                    Diagnostic::error(
                        "duplicate-import",
                        span,
                        format!("`{name}` is imported twice"),
                    )
                    .with_secondary(prev, "first imported here"),
                );
                return;
            }
            imports.insert(name, (g, span));
        }
    }

    fn unknown_package(&mut self, path: &str, span: Span) {
        let cands: Vec<&str> = self.packages.keys().map(String::as_str).collect();
        let mut d = Diagnostic::error(
            "unknown-package",
            span,
            format!("there is no package `{path}`"),
        )
        .label("not found");
        if let Some(s) = suggest(path, cands) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
    }

    fn item(&self, src: (usize, usize)) -> Option<(&'m Module, &'m ast::Item)> {
        let m = self.modules.get(src.0)?;
        Some((m, m.items.get(src.1)?))
    }

    /// Looks a module-level name up: own package, then imports.
    fn global(&mut self, mi: usize, name: &str) -> Option<Global> {
        let pkg = self.modules.get(mi)?.package_name();
        if let Some((m, _)) = self.packages.get(&pkg).and_then(|p| p.members.get(name)) {
            return Some(Global::Member(*m));
        }
        let g = self.imports.get(mi)?.get(name).map(|(g, _)| g.clone())?;
        if let Some(used) = self.import_used.get_mut(mi) {
            used.insert(name.to_string());
        }
        Some(g)
    }

    fn package_member(&self, pkg: &str, name: &str) -> Option<Member> {
        self.packages
            .get(pkg)
            .and_then(|p| p.members.get(name))
            .map(|(m, _)| *m)
    }

    /// Names visible at module level, for suggestions.
    fn visible_names(&self, mi: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(m) = self.modules.get(mi)
            && let Some(p) = self.packages.get(&m.package_name())
        {
            out.extend(p.members.keys().cloned());
        }
        if let Some(i) = self.imports.get(mi) {
            out.extend(i.keys().cloned());
        }
        out.extend(Builtin::names().map(str::to_string));
        out
    }

    fn resolve_consts(&mut self) {
        let srcs = self.const_src.clone();
        for (id, src) in srcs.iter().enumerate() {
            let Some((m, item)) = self.item(*src) else {
                continue;
            };
            let ItemKind::Const(c) = &item.kind else {
                continue;
            };
            let mut frame = Frame::new(src.0, scope::Context::Const(id as u32));
            let (value, ty) = self.expr(&mut frame, &c.value);
            self.const_types[id] = ty;
            self.program.consts.push(ConstDef {
                qname: Self::qualify(&m.package_name(), &c.name.node),
                value,
                span: c.name.span,
            });
        }
        // Order constants so each is evaluated after those it reads.
        let n = self.const_src.len();
        let mut state = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        for start in 0..n {
            self.visit_const(start, &mut state, &mut order);
        }
        self.program.const_order = order;
    }

    fn visit_const(&mut self, id: usize, state: &mut [u8], order: &mut Vec<u32>) {
        match state.get(id) {
            Some(2) | None => return,
            Some(1) => {
                if let Some(c) = self.program.consts.get(id) {
                    self.diags.push(
                        Diagnostic::error(
                            "recursive-constant",
                            c.span,
                            format!("constant `{}` depends on itself", c.qname),
                        )
                        .with_help("a constant's value cannot refer back to the constant"),
                    );
                }
                return;
            }
            _ => {}
        }
        if let Some(s) = state.get_mut(id) {
            *s = 1;
        }
        let deps = self.const_deps.get(id).cloned().unwrap_or_default();
        for d in deps {
            self.visit_const(d as usize, state, order);
        }
        if let Some(s) = state.get_mut(id) {
            *s = 2;
        }
        order.push(id as u32);
    }

    fn resolve_params(&mut self) {
        let srcs = self.param_src.clone();
        for (id, src) in srcs.iter().enumerate() {
            let Some((m, item)) = self.item(*src) else {
                continue;
            };
            let ItemKind::Param(p) = &item.kind else {
                continue;
            };
            let ty = self.type_of(&p.ty);
            let mut frame = Frame::new(src.0, scope::Context::Param(id as u32));
            let default = p.default.as_ref().map(|d| {
                let (h, t) = self.expr(&mut frame, d);
                if !Ty::accepts(&ty, &t) {
                    self.diags.push(
                        Diagnostic::error(
                            "type-mismatch",
                            d.span,
                            format!("the default of `{}` is a {t}, not a {ty}", p.name.node),
                        )
                        .label(format!("this is a {t}")),
                    );
                }
                h
            });
            self.program.params.push(ParamDef {
                qname: Self::qualify(&m.package_name(), &p.name.node),
                name: p.name.node.clone(),
                package: m.package_name(),
                ty,
                ty_text: p.ty.to_string(),
                default,
                docs: item.docs.clone(),
                span: p.name.span,
            });
        }
    }

    fn type_of(&mut self, t: &ast::TypeExpr) -> Ty {
        match t {
            ast::TypeExpr::Named(n) => match Ty::from_name(&n.node) {
                Some(t) => t,
                None => {
                    let mut d = Diagnostic::error(
                        "unknown-type",
                        n.span,
                        format!("there is no type `{}`", n.node),
                    );
                    if let Some(s) = suggest(&n.node, Ty::NAMES.iter().copied()) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    } else {
                        d = d.with_help(format!("types are {}", Ty::NAMES.join(", ")));
                    }
                    self.diags.push(d);
                    Ty::Any
                }
            },
            ast::TypeExpr::List(t, _) => Ty::ListOf(Box::new(self.type_of(t))),
            ast::TypeExpr::Map(t, _) => Ty::MapOf(Box::new(self.type_of(t))),
        }
    }

    fn resolve_fns(&mut self) {
        let srcs = self.fn_src.clone();
        for (id, src) in srcs.iter().enumerate() {
            let Some((m, item)) = self.item(*src) else {
                continue;
            };
            let ItemKind::Fn(f) = &item.kind else {
                continue;
            };
            let mut frame = Frame::new(src.0, scope::Context::Fn(id as u32));
            frame.push();
            let mut params = Vec::new();
            for p in &f.params {
                let ty = p.ty.as_ref().map(|t| self.type_of(t)).unwrap_or(Ty::Any);
                frame.bind(&p.name, ty.clone(), scope::BindKind::Param);
                params.push((p.name.node.clone(), ty));
            }
            let mut lets = Vec::new();
            for l in &f.lets {
                let (h, t) = self.expr(&mut frame, &l.value);
                let slot = frame.bind(&l.name, t, scope::BindKind::Let);
                lets.push((slot, h));
            }
            let (body, ty) = self.expr(&mut frame, &f.body);
            let ret = match &f.ret {
                Some(r) => {
                    let want = self.type_of(r);
                    if !Ty::accepts(&want, &ty) {
                        self.diags.push(
                            Diagnostic::error(
                                "type-mismatch",
                                f.body.span,
                                format!("`{}` returns a {ty}, not a {want}", f.name.node),
                            )
                            .label(format!("this is a {ty}"))
                            .with_secondary(r.span(), "declared here"),
                        );
                    }
                    want
                }
                None => ty,
            };
            let unused = frame.pop();
            self.report_unused(unused);
            self.program.fns.push(FnDef {
                qname: Self::qualify(&m.package_name(), &f.name.node),
                params,
                ret,
                slots: frame.max_slots,
                lets,
                body,
                docs: item.docs.clone(),
                span: f.name.span,
            });
        }
    }

    fn report_unused(&mut self, unused: Vec<(String, Span, scope::BindKind)>) {
        for (name, span, kind) in unused {
            let what = match kind {
                scope::BindKind::Let => "let",
                scope::BindKind::Param => "parameter",
                scope::BindKind::Loop => "loop variable",
            };
            self.diags.push(
                Diagnostic::warning(
                    "unused-variable",
                    span,
                    format!("{what} `{name}` is never used"),
                )
                .with_help(format!("remove it, or name it `_{name}` to keep it")),
            );
        }
    }

    fn resolve_frameworks(&mut self) {
        for m in self.modules {
            for item in &m.items {
                let ItemKind::Framework(f) = &item.kind else {
                    continue;
                };
                let mut def = FrameworkDef {
                    name: f.name.node.clone(),
                    title: String::new(),
                    version: String::new(),
                    url: String::new(),
                    items: Vec::new(),
                    span: f.name.span,
                };
                let mut seen: HashMap<String, Span> = HashMap::default();
                for s in &f.stmts {
                    match s {
                        ast::FrameworkStmt::Title(t) => def.title = t.text.clone(),
                        ast::FrameworkStmt::Version(t) => def.version = t.text.clone(),
                        ast::FrameworkStmt::Url(t) => def.url = t.text.clone(),
                        ast::FrameworkStmt::Item {
                            id, title, manual, ..
                        } => {
                            if let Some(prev) = seen.get(&id.text) {
                                self.diags.push(
                                    Diagnostic::error(
                                        "duplicate-item",
                                        id.span,
                                        format!("item `{}` is listed twice", id.text),
                                    )
                                    .with_secondary(*prev, "first listed here"),
                                );
                                continue;
                            }
                            seen.insert(id.text.clone(), id.span);
                            def.items.push(FrameworkItem {
                                id: id.text.clone(),
                                title: title.text.clone(),
                                manual: *manual,
                            });
                        }
                    }
                }
                if let Some(prev) = self.program.framework(&def.name) {
                    let prev = prev.span;
                    self.diags.push(
                        Diagnostic::error(
                            "duplicate-framework",
                            f.name.span,
                            format!("framework `{}` is defined twice", def.name),
                        )
                        .with_secondary(prev, "first defined here"),
                    );
                    continue;
                }
                self.program.frameworks.push(def);
            }
        }
    }

    fn resolve_controls(&mut self) {
        let srcs = self.control_src.clone();
        for src in srcs {
            let Some((m, item)) = self.item(src) else {
                continue;
            };
            let ItemKind::Control(c) = &item.kind else {
                continue;
            };
            let def = self.control(src.0, m, item, c);
            self.program.controls.push(def);
        }
        // `replaces` must name a control that exists.
        let ids: HashSet<String> = self.program.controls.iter().map(|c| c.id.clone()).collect();
        let mut fixes = Vec::new();
        for (ci, c) in self.program.controls.iter().enumerate() {
            let Some(r) = &c.replaces else { continue };
            let candidates = [Self::qualify(&c.package, r), r.clone()];
            match candidates.iter().find(|id| ids.contains(*id)) {
                Some(id) => fixes.push((ci, Some(id.clone()))),
                None => {
                    let span = self
                        .control_src
                        .get(ci)
                        .and_then(|s| self.item(*s))
                        .and_then(|(_, it)| match &it.kind {
                            ItemKind::Control(cd) => cd.meta.iter().find_map(|mm| match &mm.kind {
                                MetaKind::Replaces(q) => Some(q.span),
                                _ => None,
                            }),
                            _ => None,
                        })
                        .unwrap_or(c.span);
                    let mut d = Diagnostic::error(
                        "unknown-control",
                        span,
                        format!("there is no control `{r}` to replace"),
                    );
                    if let Some(s) = suggest(r, ids.iter().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                    fixes.push((ci, None));
                }
            }
        }
        for (ci, id) in fixes {
            if let Some(c) = self.program.controls.get_mut(ci) {
                c.replaces = id;
            }
        }
    }

    fn control(
        &mut self,
        mi: usize,
        m: &Module,
        item: &ast::Item,
        c: &ast::ControlDecl,
    ) -> ControlDef {
        let package = m.package_name();
        let mut def = ControlDef {
            id: Self::qualify(&package, &c.name.node),
            package,
            name: c.name.node.clone(),
            title: String::new(),
            severity: Severity::Medium,
            description: String::new(),
            remedy: String::new(),
            references: Vec::new(),
            maps: Vec::new(),
            since: None,
            replaces: None,
            tags: Vec::new(),
            waivable: true,
            redact: false,
            docs: item.docs.clone(),
            body: Vec::new(),
            slots: 0,
            kinds: None,
            has_fix: false,
            span: c.name.span,
        };
        let mut seen: HashMap<&'static str, Span> = HashMap::default();
        for meta in &c.meta {
            let kw = meta.kind.keyword();
            if let Some(prev) = seen.get(kw) {
                self.diags.push(
                    Diagnostic::error(
                        "duplicate-metadata",
                        meta.span,
                        format!("`{kw}` is given twice"),
                    )
                    .with_secondary(*prev, "first given here"),
                );
                continue;
            }
            seen.insert(kw, meta.span);
            match &meta.kind {
                MetaKind::Title(t) => def.title = t.text.clone(),
                MetaKind::Severity(s) => match Severity::parse(&s.node) {
                    Some(sev) => def.severity = sev,
                    None => {
                        let names = Severity::ALL.iter().map(|s| s.as_str());
                        let mut d = Diagnostic::error(
                            "unknown-severity",
                            s.span,
                            format!("`{}` is not a severity", s.node),
                        );
                        d = match suggest(&s.node, names) {
                            Some(x) => d.with_help(format!("did you mean `{x}`?")),
                            None => {
                                d.with_help("severities are info, low, medium, high and critical")
                            }
                        };
                        self.diags.push(d);
                    }
                },
                MetaKind::Description(t) => def.description = t.text.clone(),
                MetaKind::Remedy(t) => def.remedy = t.text.clone(),
                MetaKind::References(r) => {
                    def.references = r.iter().map(|s| s.text.clone()).collect()
                }
                MetaKind::Tags(r) => def.tags = r.iter().map(|s| s.text.clone()).collect(),
                MetaKind::Maps(refs) => {
                    for r in refs {
                        if let Some(fr) = self.framework_ref(r) {
                            def.maps.push(fr);
                        }
                    }
                }
                MetaKind::Since(v) => def.since = Some(v.node),
                MetaKind::Replaces(q) => def.replaces = Some(q.to_string()),
                MetaKind::Waivable(b) => def.waivable = b.node,
                MetaKind::Redact(b) => def.redact = b.node,
            }
        }
        if def.title.is_empty() {
            def.title = item
                .docs
                .first()
                .cloned()
                .unwrap_or_else(|| c.name.node.replace('_', " "));
        }
        if def.description.is_empty() {
            def.description = item.docs.join("\n");
        }
        let mut frame = Frame::new(mi, scope::Context::Control);
        frame.push();
        let body = self.stmts(&mut frame, &c.body, true);
        let unused = frame.pop();
        self.report_unused(unused);
        def.kinds = frame.kinds.clone();
        def.has_fix = frame.has_fix;
        def.slots = frame.max_slots;
        def.body = body;
        if !frame.has_finding {
            self.diags.push(
                Diagnostic::warning(
                    "no-findings",
                    c.name.span,
                    format!("control `{}` has no `deny` or `warn`", c.name.node),
                )
                .with_help("a control without a `deny` or `warn` never reports anything"),
            );
        }
        def
    }

    fn framework_ref(&mut self, r: &ast::FrameworkRef) -> Option<FrameworkRef> {
        let mut args = Vec::new();
        for a in &r.args {
            let text = match &a.value.kind {
                ast::ExprKind::Version(v) => v.to_string(),
                ast::ExprKind::Num(n) => n.to_string(),
                _ => match a.value.as_plain_str() {
                    Some(s) => s,
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                "not-constant",
                                a.value.span,
                                "framework item arguments must be plain strings or versions",
                            )
                            .label("not a literal"),
                        );
                        continue;
                    }
                },
            };
            args.push((a.name.node.clone(), text));
        }
        let known: Vec<String> = self.frameworks_declared();
        if !known.is_empty() && !known.contains(&r.framework.node) {
            let mut d = Diagnostic::warning(
                "unknown-framework",
                r.framework.span,
                format!("no framework `{}` is declared", r.framework.node),
            );
            d = match suggest(&r.framework.node, known.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!(
                    "declare it with `framework {} {{ ... }}`, or use one of {}",
                    r.framework.node,
                    known.join(", ")
                )),
            };
            self.diags.push(d);
        } else if let Some(fw) = self.framework_items(&r.framework.node)
            && !fw.is_empty()
            && !fw.contains(&r.item.text)
        {
            let mut d = Diagnostic::warning(
                "unknown-framework-item",
                r.item.span,
                format!(
                    "framework `{}` has no item `{}`",
                    r.framework.node, r.item.text
                ),
            );
            if let Some(s) = suggest(&r.item.text, fw.iter().map(String::as_str)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.diags.push(d);
        }
        Some(FrameworkRef {
            framework: r.framework.node.clone(),
            item: r.item.text.clone(),
            args,
        })
    }

    /// Framework names declared anywhere in the modules.
    fn frameworks_declared(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in self.modules {
            for item in &m.items {
                if let ItemKind::Framework(f) = &item.kind {
                    out.push(f.name.node.clone());
                }
            }
        }
        out
    }

    fn framework_items(&self, name: &str) -> Option<Vec<String>> {
        for m in self.modules {
            for item in &m.items {
                if let ItemKind::Framework(f) = &item.kind
                    && f.name.node == name
                {
                    return Some(
                        f.stmts
                            .iter()
                            .filter_map(|s| match s {
                                ast::FrameworkStmt::Item { id, .. } => Some(id.text.clone()),
                                _ => None,
                            })
                            .collect(),
                    );
                }
            }
        }
        None
    }

    /// Finds a control by a name written in a test or pack: relative to the
    /// package first, then absolute.
    fn find_control(&mut self, pkg: &str, q: &ast::QName) -> Option<usize> {
        let written = q.to_string();
        let candidates = [Self::qualify(pkg, &written), written.clone()];
        for cand in &candidates {
            if let Some((i, _)) = self.program.control(cand) {
                return Some(i);
            }
        }
        let ids = self.program.controls.iter().map(|c| c.id.as_str());
        let rel: Vec<String> = self
            .program
            .controls
            .iter()
            .filter(|c| c.package == pkg)
            .map(|c| c.name.clone())
            .collect();
        let mut d = Diagnostic::error(
            "unknown-control",
            q.span,
            format!("there is no control `{written}`"),
        )
        .label("not found");
        let s =
            suggest(&written, rel.iter().map(String::as_str)).or_else(|| suggest(&written, ids));
        if let Some(s) = s {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
        None
    }

    fn find_param(&mut self, pkg: &str, name: &str, span: Span) -> Option<u32> {
        let candidates = [Self::qualify(pkg, name), name.to_string()];
        for cand in &candidates {
            if let Some((i, _)) = self.program.param(cand) {
                if let Some(u) = self.param_used.get_mut(i) {
                    *u = true;
                }
                return Some(i as u32);
            }
        }
        let names: Vec<String> = self
            .program
            .params
            .iter()
            .map(|p| p.qname.clone())
            .collect();
        let mut d = Diagnostic::error("unknown-param", span, format!("there is no param `{name}`"));
        if let Some(s) = suggest(name, names.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
        None
    }

    fn resolve_tests(&mut self) {
        for (mi, m) in self.modules.iter().enumerate() {
            let pkg = m.package_name();
            for item in &m.items {
                let ItemKind::Test(t) = &item.kind else {
                    continue;
                };
                let mut def = TestDef {
                    name: t.name.text.clone(),
                    package: pkg.clone(),
                    file: m.file,
                    span: t.name.span,
                    given: Vec::new(),
                    version: None,
                    sets: Vec::new(),
                    expects: Vec::new(),
                };
                let mut frame = Frame::new(mi, scope::Context::Test);
                for s in &t.stmts {
                    match &s.kind {
                        TestStmtKind::Given(e) => {
                            let (h, ty) = self.expr(&mut frame, e);
                            if !matches!(ty, Ty::Str | Ty::Any) && !ty.is_object() && !ty.is_list()
                            {
                                self.diags.push(
                                    Diagnostic::error(
                                        "type-mismatch",
                                        e.span,
                                        "`given` takes a file path or a resource object",
                                    )
                                    .label(format!("this is a {ty}")),
                                );
                            }
                            def.given.push(h);
                        }
                        TestStmtKind::Version(v) => def.version = Some(v.node),
                        TestStmtKind::Set(name, e) => {
                            let (h, _) = self.expr(&mut frame, e);
                            if let Some(id) = self.find_param(&pkg, &name.node, name.span) {
                                def.sets.push((id, h));
                            }
                        }
                        TestStmtKind::Expect(x) => {
                            let kind = match x {
                                ast::Expectation::Clean => Some(ExpectKind::Clean),
                                ast::Expectation::Finding {
                                    kind,
                                    control,
                                    at,
                                    count,
                                    message,
                                } => {
                                    self.find_control(&pkg, control)
                                        .map(|ci| ExpectKind::Finding {
                                            kind: *kind,
                                            control: ci,
                                            at: at.as_ref().map(|s| s.text.clone()),
                                            count: count.as_ref().map(|c| c.node as usize),
                                            message: message.as_ref().map(|s| s.text.clone()),
                                        })
                                }
                                ast::Expectation::Outcome { outcome, control } => self
                                    .find_control(&pkg, control)
                                    .map(|ci| ExpectKind::Outcome {
                                        outcome: *outcome,
                                        control: ci,
                                    }),
                            };
                            if let Some(kind) = kind {
                                def.expects.push(TestExpect { kind, span: s.span });
                            }
                        }
                    }
                }
                if def.given.is_empty() {
                    self.diags.push(
                        Diagnostic::error(
                            "test-without-input",
                            t.name.span,
                            format!("test \"{}\" has no `given`", t.name.text),
                        )
                        .with_help(
                            "add `given \"fixture.yaml\"` or `given { kind: \"Pod\", ... }`",
                        ),
                    );
                }
                // An `expect` naming an unknown control is reported as that.
                let wrote_expect = t
                    .stmts
                    .iter()
                    .any(|s| matches!(s.kind, TestStmtKind::Expect(_)));
                if def.expects.is_empty() && !wrote_expect {
                    self.diags.push(
                        Diagnostic::error(
                            "test-without-expectation",
                            t.name.span,
                            format!("test \"{}\" expects nothing", t.name.text),
                        )
                        .with_help("a test without `expect` cannot fail; add `expect deny <control>` or `expect pass <control>`"),
                    );
                }
                self.program.tests.push(def);
            }
        }
    }

    fn resolve_packs(&mut self) {
        for (mi, m) in self.modules.iter().enumerate() {
            let pkg = m.package_name();
            for item in &m.items {
                let ItemKind::Pack(p) = &item.kind else {
                    continue;
                };
                let mut def = PackDef {
                    name: p.name.node.clone(),
                    version: "0.0.0".to_string(),
                    description: item.docs.join("\n"),
                    requires: None,
                    profile: None,
                    include: Vec::new(),
                    exclude: Vec::new(),
                    controls: Vec::new(),
                    levels: Vec::new(),
                    profile_fn: None,
                    sets: Vec::new(),
                    default: false,
                    file: m.file,
                    span: p.name.span,
                };
                let mut levels: Vec<(ast::Ident, Vec<crate::span::Spanned<String>>)> = Vec::new();
                let mut frame = Frame::new(mi, scope::Context::Test);
                let mut includes = Vec::new();
                let mut excludes = Vec::new();
                for s in &p.stmts {
                    match &s.kind {
                        PackStmtKind::Version(v) => {
                            if !is_semver(&v.text) {
                                self.diags.push(
                                    Diagnostic::error(
                                        "invalid-version",
                                        v.span,
                                        format!(
                                            "pack version `{}` is not a semantic version",
                                            v.text
                                        ),
                                    )
                                    .with_help("write it as MAJOR.MINOR.PATCH, e.g. \"1.2.0\""),
                                );
                            }
                            def.version = v.text.clone();
                        }
                        PackStmtKind::Description(d) => def.description = d.text.clone(),
                        PackStmtKind::Requires(r) => def.requires = Some(r.text.clone()),
                        PackStmtKind::Profile {
                            from,
                            to,
                            inclusive,
                            latest,
                        } => {
                            let latest = latest.as_ref().map(|l| l.node).unwrap_or(to.node);
                            def.profile = Some(ProfileRange {
                                from: from.node,
                                to: to.node,
                                inclusive: *inclusive,
                                latest,
                            });
                        }
                        PackStmtKind::ProfileFrom(q) => def.profile_fn = self.find_fn(&pkg, q),
                        PackStmtKind::Level(name, globs) => {
                            levels.push((name.clone(), globs.clone()))
                        }
                        PackStmtKind::Include(g) => includes.extend(g.iter().cloned()),
                        PackStmtKind::Exclude(g) => excludes.extend(g.iter().cloned()),
                        PackStmtKind::Set(q, e) => {
                            let (h, _) = self.expr(&mut frame, e);
                            if let Some(id) = self.find_param(&pkg, &q.to_string(), q.span) {
                                def.sets.push((id, h));
                            }
                        }
                        PackStmtKind::Default => def.default = true,
                    }
                }
                let mut chosen: Vec<usize> = Vec::new();
                for g in &includes {
                    let hits = self.glob_controls(&g.node);
                    if hits.is_empty() {
                        self.glob_miss(g, "include");
                    }
                    chosen.extend(hits);
                }
                for g in &excludes {
                    let hits = self.glob_controls(&g.node);
                    if hits.is_empty() {
                        self.glob_miss(g, "exclude");
                    }
                    chosen.retain(|c| !hits.contains(c));
                }
                for (name, globs) in &levels {
                    let mut hits = Vec::new();
                    for g in globs {
                        let h = self.glob_controls(&g.node);
                        if h.is_empty() {
                            self.glob_miss(g, "level");
                        }
                        hits.extend(h);
                    }
                    hits.retain(|c| !chosen.contains(c));
                    hits.sort_unstable();
                    hits.dedup();
                    def.levels.push((name.node.clone(), hits));
                }
                if let Some((name, _)) = levels.first()
                    && def.profile_fn.is_none()
                {
                    self.diags.push(Diagnostic::error(
                        "level-without-profile",
                        name.span,
                        "a pack with levels needs `profile from <function>` to pick each resource's level",
                    ));
                }
                chosen.sort_by(|a, b| {
                    let ia = self.program.controls.get(*a).map(|c| c.id.as_str());
                    let ib = self.program.controls.get(*b).map(|c| c.id.as_str());
                    ia.cmp(&ib)
                });
                chosen.dedup();
                if chosen.is_empty() && def.levels.iter().all(|(_, c)| c.is_empty()) {
                    self.diags.push(
                        Diagnostic::error(
                            "empty-pack",
                            p.name.span,
                            format!("pack `{}` has no controls", p.name.node),
                        )
                        .with_help("add `include <package>.*`"),
                    );
                }
                def.controls = chosen;
                def.include = includes.into_iter().map(|g| g.node).collect();
                def.exclude = excludes.into_iter().map(|g| g.node).collect();
                if let Some(prev) = self.program.pack(&def.name) {
                    let prev = prev.span;
                    self.diags.push(
                        Diagnostic::error(
                            "duplicate-pack",
                            p.name.span,
                            format!("pack `{}` is defined twice", def.name),
                        )
                        .with_secondary(prev, "first defined here"),
                    );
                    continue;
                }
                self.program.packs.push(def);
            }
        }
    }

    /// A one-parameter function named in a pack.
    fn find_fn(&mut self, pkg: &str, q: &ast::QName) -> Option<u32> {
        let written = q.to_string();
        let candidates = [Self::qualify(pkg, &written), written.clone()];
        for cand in &candidates {
            if let Some(i) = self.program.fns.iter().position(|f| f.qname == *cand) {
                let arity = self.program.fns.get(i).map(|f| f.params.len()).unwrap_or(0);
                if arity != 1 {
                    self.diags.push(Diagnostic::error(
                        "wrong-arity",
                        q.span,
                        format!(
                            "`{written}` must take one argument, the resource, but takes {arity}"
                        ),
                    ));
                }
                return Some(i as u32);
            }
        }
        let names: Vec<String> = self.program.fns.iter().map(|f| f.qname.clone()).collect();
        let mut d = Diagnostic::error(
            "undefined-function",
            q.span,
            format!("there is no function `{written}`"),
        );
        if let Some(s) = suggest(&written, names.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
        None
    }

    fn glob_controls(&self, glob: &str) -> Vec<usize> {
        self.program
            .controls
            .iter()
            .enumerate()
            .filter(|(_, c)| glob_matches(glob, &c.id))
            .map(|(i, _)| i)
            .collect()
    }

    fn glob_miss(&mut self, g: &crate::span::Spanned<String>, what: &str) {
        let ids: Vec<String> = self.program.controls.iter().map(|c| c.id.clone()).collect();
        let pkgs: Vec<String> = self.packages.keys().map(|p| format!("{p}.*")).collect();
        let mut d = Diagnostic::error(
            "unmatched-pattern",
            g.span,
            format!("`{what} {}` matches no control", g.node),
        );
        let s = suggest(&g.node, pkgs.iter().map(String::as_str))
            .or_else(|| suggest(&g.node, ids.iter().map(String::as_str)));
        if let Some(s) = s {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
    }

    fn check_recursion(&mut self) {
        let n = self.fn_calls.len();
        let mut state = vec![0u8; n];
        for start in 0..n {
            if let Some(cycle) = self.find_cycle(start, &mut state, &mut Vec::new()) {
                let Some(&first) = cycle.first() else {
                    continue;
                };
                let Some(f) = self.program.fns.get(first as usize) else {
                    continue;
                };
                let names: Vec<String> = cycle
                    .iter()
                    .filter_map(|i| self.program.fns.get(*i as usize).map(|f| f.qname.clone()))
                    .collect();
                self.diags.push(
                    Diagnostic::error(
                        "recursive-function",
                        f.span,
                        format!("function `{}` calls itself", f.qname),
                    )
                    .label(format!("through {}", names.join(" -> ")))
                    .with_help("functions cannot be recursive, so every evaluation ends; use a comprehension or a quantifier over the data instead"),
                );
            }
        }
    }

    fn find_cycle(&self, at: usize, state: &mut [u8], stack: &mut Vec<u32>) -> Option<Vec<u32>> {
        match state.get(at) {
            Some(2) | None => return None,
            Some(1) => {
                let pos = stack.iter().position(|&f| f as usize == at)?;
                let mut cycle: Vec<u32> = stack.get(pos..)?.to_vec();
                cycle.push(at as u32);
                return Some(cycle);
            }
            _ => {}
        }
        if let Some(s) = state.get_mut(at) {
            *s = 1;
        }
        stack.push(at as u32);
        let calls = self.fn_calls.get(at).cloned().unwrap_or_default();
        for c in calls {
            if let Some(cycle) = self.find_cycle(c as usize, state, stack) {
                if let Some(s) = state.get_mut(at) {
                    *s = 2;
                }
                return Some(cycle);
            }
        }
        stack.pop();
        if let Some(s) = state.get_mut(at) {
            *s = 2;
        }
        None
    }

    fn check_unused(&mut self) {
        for (i, used) in self.param_used.iter().enumerate() {
            if *used {
                continue;
            }
            if let Some(p) = self.program.params.get(i) {
                self.diags.push(
                    Diagnostic::warning(
                        "unused-param",
                        p.span,
                        format!("param `{}` is never read", p.qname),
                    )
                    .with_help("remove it, or read it in a control or function"),
                );
            }
        }
        for (mi, imports) in self.imports.iter().enumerate() {
            for (name, (_, span)) in imports {
                let used = self.import_used.get(mi).is_some_and(|u| u.contains(name));
                if !used {
                    self.diags.push(
                        Diagnostic::warning(
                            "unused-import",
                            *span,
                            format!("`{name}` is imported but never used"),
                        )
                        .with_help("remove it from the `use` line"),
                    );
                }
            }
        }
    }
}

/// `a.b.*` matches every control under `a.b`; `*` matches all; anything else
/// matches one id exactly.
pub fn glob_matches(glob: &str, id: &str) -> bool {
    if glob == "*" {
        return true;
    }
    match glob.strip_suffix(".*") {
        Some(prefix) => id.strip_prefix(prefix).is_some_and(|r| r.starts_with('.')),
        None => glob == id,
    }
}

fn is_semver(s: &str) -> bool {
    let core = s.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("pss.baseline.*", "pss.baseline.privileged"));
        assert!(!glob_matches("pss.baseline.*", "pss.baselines.x"));
        assert!(glob_matches("*", "x"));
        assert!(glob_matches("a.b", "a.b"));
    }

    #[test]
    fn semver() {
        assert!(is_semver("1.2.3"));
        assert!(is_semver("1.2.3-rc.1"));
        assert!(!is_semver("1.2"));
    }
}
