//! Local scopes and slot allocation for one control, function or constant.

use crate::ast::Ident;
use crate::hir::Slot;
use crate::span::Span;
use crate::types::Ty;

/// What is being checked, which decides what `input` and `profile` mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Control,
    Fn(u32),
    Const(u32),
    Param(u32),
    Test,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindKind {
    Let,
    Param,
    Loop,
}

#[derive(Debug)]
struct Binding {
    name: String,
    slot: Slot,
    ty: Ty,
    span: Span,
    kind: BindKind,
    used: bool,
}

/// The locals of one body.
#[derive(Debug)]
pub struct Frame {
    /// Index of the module the body is in, for module-level names.
    pub module: usize,
    pub context: Context,
    scopes: Vec<Vec<Binding>>,
    next: Slot,
    pub max_slots: u32,
    /// How deep in `for`/`if` blocks the checker is (0 = control body).
    pub depth: u32,
    /// Kinds the control's `match` lines restrict `input.kind` to.
    pub kinds: Option<Vec<String>>,
    pub has_fix: bool,
    pub has_finding: bool,
}

impl Frame {
    pub fn new(module: usize, context: Context) -> Frame {
        Frame {
            module,
            context,
            scopes: Vec::new(),
            next: 0,
            max_slots: 0,
            depth: 0,
            kinds: None,
            has_fix: false,
            has_finding: false,
        }
    }

    pub fn push(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Leaves a scope; returns the bindings that were never read.
    pub fn pop(&mut self) -> Vec<(String, Span, BindKind)> {
        let Some(scope) = self.scopes.pop() else {
            return Vec::new();
        };
        scope
            .into_iter()
            .filter(|b| !b.used && !b.name.starts_with('_'))
            .map(|b| (b.name, b.span, b.kind))
            .collect()
    }

    pub fn bind(&mut self, name: &Ident, ty: Ty, kind: BindKind) -> Slot {
        if self.scopes.is_empty() {
            self.push();
        }
        let slot = self.next;
        self.next += 1;
        self.max_slots = self.max_slots.max(self.next);
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(Binding {
                name: name.node.clone(),
                slot,
                ty,
                span: name.span,
                kind,
                used: false,
            });
        }
        slot
    }

    /// Finds a local by name, innermost first, and marks it read.
    pub fn lookup(&mut self, name: &str) -> Option<(Slot, Ty)> {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(b) = scope.iter_mut().rev().find(|b| b.name == name) {
                b.used = true;
                return Some((b.slot, b.ty.clone()));
            }
        }
        None
    }

    pub fn local_names(&self) -> Vec<String> {
        self.scopes
            .iter()
            .flat_map(|s| s.iter().map(|b| b.name.clone()))
            .collect()
    }
}
