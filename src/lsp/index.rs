//! The names of a workspace and every place they are written, read from the ASTs (which exist
//! even when the policy has errors): what hover, definition, references, rename, completion and
//! semantic tokens look up.

use crate::source::Span;
use crate::syntax::ast::{self, Expr, ExprKind, Fact, Item, Member, RoleItem, Var};
use std::collections::BTreeMap;

/// A named thing of the policy. Roles, permissions, relations and attributes belong to a type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sym {
    /// A type: its name.
    Type(String),
    /// A role: its type and its name.
    Role(String, String),
    /// A permission: its type and its name.
    Perm(String, String),
    /// A relation: its type and its name.
    Relation(String, String),
    /// An attribute: its type and its name.
    Attr(String, String),
    /// A context field: its name.
    Context(String),
    /// An action property (`action { soft?: bool; }`, read as `action.soft`).
    Action(String),
    /// A `facts NAME { .. }` block: its name.
    Facts(String),
    /// A test: its name.
    Test(String),
}

impl Sym {
    /// The name as written (the last part).
    pub fn name(&self) -> &str {
        match self {
            Sym::Type(n) | Sym::Context(n) | Sym::Action(n) | Sym::Facts(n) | Sym::Test(n) => n,
            Sym::Role(_, n) | Sym::Perm(_, n) | Sym::Relation(_, n) | Sym::Attr(_, n) => n,
        }
    }

    /// What the symbol is, in words (`role`, `context field`), for hover and messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Sym::Type(_) => "type",
            Sym::Role(..) => "role",
            Sym::Perm(..) => "permission",
            Sym::Relation(..) => "relation",
            Sym::Attr(..) => "attribute",
            Sym::Context(_) => "context field",
            Sym::Action(_) => "action property",
            Sym::Facts(_) => "facts block",
            Sym::Test(_) => "test",
        }
    }
}

/// One place a name is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The symbol written there.
    pub sym: Sym,
    /// Where it is written: the name only.
    pub span: Span,
    /// A declaration (not a use).
    pub decl: bool,
}

/// A role as declared: what hover needs to say what it gives and who holds it.
#[derive(Clone, Debug, Default)]
pub struct RoleInfo {
    /// The doc comment (`///`) of the first of its declarations that has one.
    pub doc: Option<String>,
    /// The roles it includes, as written.
    pub includes: Vec<String>,
    /// Grants as written: names and patterns.
    pub grants: Vec<String>,
    /// `from ROLE on PATH`: the source role, its type (when the path resolves) and the path.
    pub from: Vec<(String, Option<String>, String)>,
}

/// A type as declared (all its blocks merged, `extend` included).
#[derive(Clone, Debug, Default)]
pub struct TypeInfo {
    /// Whether it is an actor type.
    pub actor: bool,
    /// The doc comment (`///`) of the first of its declarations that has one.
    pub doc: Option<String>,
    /// Relation name -> (target type, many).
    pub relations: BTreeMap<String, (String, bool)>,
    /// Attribute name -> (type as written, optional, doc).
    pub attributes: BTreeMap<String, (String, bool, Option<String>)>,
    /// Permission name -> doc.
    pub permissions: BTreeMap<String, Option<String>>,
    /// Its roles by name.
    pub roles: BTreeMap<String, RoleInfo>,
    /// Every permission pattern with a `*` written on this type (grants and rule actions).
    pub patterns: Vec<(String, Span)>,
    /// `permit`/`forbid` rules: effect and the actions as written.
    pub rules: Vec<(ast::Effect, Vec<String>)>,
}

impl TypeInfo {
    /// Whether `name` is a relation or an attribute of the type (what `.name` may read).
    pub fn has_field(&self, name: &str) -> bool {
        self.relations.contains_key(name) || self.attributes.contains_key(name)
    }
}

/// The symbol index of a workspace's files: every declaration and every use of a name.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// The types by name.
    pub types: BTreeMap<String, TypeInfo>,
    /// Context field -> type as written.
    pub context: BTreeMap<String, String>,
    /// Action property -> type as written.
    pub action: BTreeMap<String, String>,
    /// The names of the `facts` blocks, in source order.
    pub facts_blocks: Vec<String>,
    /// Every occurrence, in source order per file.
    pub occurrences: Vec<Occurrence>,
    /// Entity ids written in facts and tests, per type (for completion after `type:`).
    pub ids: BTreeMap<String, Vec<String>>,
}

impl Index {
    /// Indexes `files` (declarations first, then uses); `slice` gives the text of a span (the
    /// types of attributes, context fields and action properties, as written).
    pub fn new(files: &[ast::File], slice: impl Fn(Span) -> String) -> Index {
        let mut ix = Index::default();
        for f in files {
            for item in &f.items {
                ix.declare(item, &slice);
            }
        }
        for f in files {
            for item in &f.items {
                ix.uses(item);
            }
        }
        for ids in ix.ids.values_mut() {
            ids.sort();
            ids.dedup();
        }
        ix
    }

    /// The occurrence at byte `offset` of a file, the narrowest first.
    pub fn at(&self, file: crate::source::FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| {
                o.span.file == file
                    && o.span.start as usize <= offset
                    && offset <= o.span.end as usize
            })
            .min_by_key(|o| o.span.len())
    }

    /// Every occurrence of `sym`, in source order.
    pub fn of<'a>(&'a self, sym: &'a Sym) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences.iter().filter(move |o| &o.sym == sym)
    }

    fn push(&mut self, sym: Sym, span: Span, decl: bool) {
        self.occurrences.push(Occurrence { sym, span, decl });
    }

    fn declare(&mut self, item: &Item, slice: &impl Fn(Span) -> String) {
        match item {
            Item::Actor(a) => {
                self.push(Sym::Type(a.name.name.clone()), a.name.span, true);
                let t = self.types.entry(a.name.name.clone()).or_default();
                t.actor = true;
                t.doc = t.doc.clone().or(a.doc.clone());
                self.members(&a.name.name, &a.members, slice);
            }
            Item::Resource(r) => {
                self.push(Sym::Type(r.name.name.clone()), r.name.span, !r.extend);
                let t = self.types.entry(r.name.name.clone()).or_default();
                if !r.extend {
                    t.doc = t.doc.clone().or(r.doc.clone());
                }
                self.members(&r.name.name, &r.members, slice);
            }
            Item::Context(c) => {
                for f in &c.fields {
                    self.push(Sym::Context(f.name.name.clone()), f.name.span, true);
                    self.context.insert(f.name.name.clone(), slice(f.ty.span));
                }
            }
            Item::Action(c) => {
                for f in &c.fields {
                    self.push(Sym::Action(f.name.name.clone()), f.name.span, true);
                    self.action.insert(f.name.name.clone(), slice(f.ty.span));
                }
            }
            Item::Facts(b) => {
                self.push(Sym::Facts(b.name.name.clone()), b.name.span, true);
                self.facts_blocks.push(b.name.name.clone());
            }
            Item::Test(t) => self.push(Sym::Test(t.name.value.clone()), t.name.span, true),
            Item::Fact(_) => {}
        }
    }

    fn members(&mut self, ty: &str, members: &[Member], slice: &impl Fn(Span) -> String) {
        for m in members {
            let t = self.types.entry(ty.to_string()).or_default();
            match m {
                Member::Relation(r) => {
                    t.relations
                        .insert(r.name.name.clone(), (r.target.name.clone(), r.many));
                    self.push(
                        Sym::Relation(ty.into(), r.name.name.clone()),
                        r.name.span,
                        true,
                    );
                }
                Member::Attribute(a) => {
                    t.attributes.insert(
                        a.name.name.clone(),
                        (slice(a.ty.span), a.optional, a.doc.clone()),
                    );
                    self.push(Sym::Attr(ty.into(), a.name.name.clone()), a.name.span, true);
                }
                Member::Permissions(p) => {
                    for n in &p.names {
                        t.permissions.insert(n.name.clone(), p.doc.clone());
                    }
                    for n in &p.names {
                        self.push(Sym::Perm(ty.into(), n.name.clone()), n.span, true);
                    }
                }
                Member::Role(r) => {
                    let info = t.roles.entry(r.name.name.clone()).or_default();
                    info.doc = info.doc.clone().or(r.doc.clone());
                    for i in &r.items {
                        match i {
                            RoleItem::Includes { roles, .. } => {
                                info.includes.extend(roles.iter().map(|r| r.name.clone()));
                            }
                            RoleItem::Grants { patterns, .. } => {
                                info.grants.extend(patterns.iter().map(|p| p.text.clone()));
                            }
                            _ => {}
                        }
                    }
                    self.push(Sym::Role(ty.into(), r.name.name.clone()), r.name.span, true);
                }
                Member::Rule(r) => {
                    t.rules
                        .push((r.effect, r.actions.iter().map(|a| a.text.clone()).collect()));
                }
                Member::Separate(_) => {}
            }
        }
    }

    /// The type a relation path from `ty` ends on.
    fn walk(&mut self, ty: &str, path: &[ast::Ident]) -> Option<String> {
        let mut cur = ty.to_string();
        for hop in path {
            self.push(
                Sym::Relation(cur.clone(), hop.name.clone()),
                hop.span,
                false,
            );
            let next = self.types.get(&cur)?.relations.get(&hop.name)?.0.clone();
            cur = next;
        }
        Some(cur)
    }

    fn uses(&mut self, item: &Item) {
        match item {
            Item::Actor(a) => self.member_uses(&a.name.name, &a.members),
            Item::Resource(r) => self.member_uses(&r.name.name, &r.members),
            Item::Context(c) | Item::Action(c) => {
                for f in &c.fields {
                    self.type_expr(&f.ty);
                }
            }
            Item::Facts(b) => {
                for f in &b.facts {
                    self.fact(f);
                }
            }
            Item::Test(t) => {
                for s in &t.steps {
                    match s {
                        ast::TestStep::Use(n) => {
                            self.push(Sym::Facts(n.name.clone()), n.span, false)
                        }
                        ast::TestStep::Fact(f) | ast::TestStep::Retract(f) => self.fact(f),
                        ast::TestStep::Assert(a) => self.assertion(a),
                    }
                }
            }
            Item::Fact(f) => self.fact(f),
        }
    }

    fn type_expr(&mut self, t: &ast::TypeExpr) {
        match &t.kind {
            ast::TypeKind::Named(n) if self.types.contains_key(&n.name) => {
                self.push(Sym::Type(n.name.clone()), n.span, false)
            }
            ast::TypeKind::List(inner) => self.type_expr(inner),
            ast::TypeKind::Record(fields) => {
                for f in fields {
                    self.type_expr(&f.ty);
                }
            }
            _ => {}
        }
    }

    fn member_uses(&mut self, ty: &str, members: &[Member]) {
        for m in members {
            match m {
                Member::Relation(r) => {
                    self.push(Sym::Type(r.target.name.clone()), r.target.span, false)
                }
                Member::Attribute(a) => self.type_expr(&a.ty),
                Member::Permissions(_) => {}
                Member::Role(r) => {
                    let mut from = Vec::new();
                    for i in &r.items {
                        match i {
                            RoleItem::Includes { roles, .. } => {
                                for x in roles {
                                    self.push(Sym::Role(ty.into(), x.name.clone()), x.span, false);
                                }
                            }
                            RoleItem::Grants { patterns, .. } => self.patterns(ty, patterns),
                            RoleItem::From(fc) => {
                                let target = self.walk(ty, &fc.path);
                                if let Some(t) = &target {
                                    self.push(
                                        Sym::Role(t.clone(), fc.role.name.clone()),
                                        fc.role.span,
                                        false,
                                    );
                                }
                                let path: Vec<&str> =
                                    fc.path.iter().map(|p| p.name.as_str()).collect();
                                from.push((fc.role.name.clone(), target, path.join(".")));
                            }
                            _ => {}
                        }
                    }
                    if let Some(info) = self
                        .types
                        .get_mut(ty)
                        .and_then(|t| t.roles.get_mut(&r.name.name))
                    {
                        info.from.extend(from);
                    }
                }
                Member::Rule(r) => {
                    self.patterns(ty, &r.actions);
                    if let Some(c) = &r.condition {
                        self.expr(ty, &c.expr);
                    }
                }
                Member::Separate(s) => {
                    for x in &s.roles {
                        self.push(Sym::Role(ty.into(), x.name.clone()), x.span, false);
                    }
                }
            }
        }
    }

    fn patterns(&mut self, ty: &str, patterns: &[ast::Pattern]) {
        for p in patterns {
            if p.is_pattern() {
                if let Some(t) = self.types.get_mut(ty) {
                    t.patterns.push((p.text.clone(), p.span));
                }
            } else {
                self.push(Sym::Perm(ty.into(), p.text.clone()), p.span, false);
            }
        }
    }

    /// The actor types, for `principal`.
    fn actors(&self) -> Vec<String> {
        self.types
            .iter()
            .filter(|(_, t)| t.actor)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Records the names in `e` (inside type `ty`); returns the types the expression can be an
    /// entity of.
    fn expr(&mut self, ty: &str, e: &Expr) -> Vec<String> {
        match &e.kind {
            ExprKind::Var(Var::Resource) => vec![ty.to_string()],
            ExprKind::Var(Var::Principal) => self.actors(),
            ExprKind::Var(Var::Context | Var::Action) => Vec::new(),
            ExprKind::Access(base, name) | ExprKind::Has(base, name) => {
                if matches!(base.kind, ExprKind::Var(Var::Context)) {
                    self.push(Sym::Context(name.name.clone()), name.span, false);
                    return Vec::new();
                }
                if matches!(base.kind, ExprKind::Var(Var::Action)) {
                    self.push(Sym::Action(name.name.clone()), name.span, false);
                    return Vec::new();
                }
                let cands = self.expr(ty, base);
                let mut out = Vec::new();
                for c in cands {
                    let Some(t) = self.types.get(&c) else {
                        continue;
                    };
                    if let Some((target, _)) = t.relations.get(&name.name) {
                        out.push(target.clone());
                        self.push(Sym::Relation(c, name.name.clone()), name.span, false);
                    } else if let Some((aty, _, _)) = t.attributes.get(&name.name) {
                        let inner = aty
                            .trim_start_matches('[')
                            .trim_end_matches(']')
                            .to_string();
                        if self.types.contains_key(&inner) {
                            out.push(inner);
                        }
                        self.push(Sym::Attr(c, name.name.clone()), name.span, false);
                    }
                }
                out
            }
            ExprKind::Literal(ast::Literal::Entity(r)) => {
                self.entity(r);
                vec![r.ty.name.clone()]
            }
            ExprKind::Literal(_) => Vec::new(),
            ExprKind::List(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.extend(self.expr(ty, i));
                }
                out
            }
            ExprKind::Not(x) | ExprKind::Neg(x) => {
                self.expr(ty, x);
                Vec::new()
            }
            ExprKind::Paren(x) => self.expr(ty, x),
            ExprKind::Record(fields) => {
                for (_, x) in fields {
                    self.expr(ty, x);
                }
                Vec::new()
            }
            ExprKind::Call { receiver, args, .. } => {
                self.expr(ty, receiver);
                for x in args {
                    self.expr(ty, x);
                }
                Vec::new()
            }
            ExprKind::IsType { subject, ty: t } => {
                self.expr(ty, subject);
                if self.types.contains_key(&t.name) {
                    self.push(Sym::Type(t.name.clone()), t.span, false);
                }
                Vec::new()
            }
            ExprKind::Binary(_, a, b) => {
                self.expr(ty, a);
                self.expr(ty, b);
                Vec::new()
            }
            ExprKind::Is {
                subject,
                role,
                target,
            } => {
                self.expr(ty, subject);
                for t in self.expr(ty, target) {
                    if self
                        .types
                        .get(&t)
                        .is_some_and(|x| x.roles.contains_key(&role.name))
                    {
                        self.push(Sym::Role(t, role.name.clone()), role.span, false);
                    }
                }
                Vec::new()
            }
        }
    }

    fn entity(&mut self, r: &ast::EntityRef) {
        self.push(Sym::Type(r.ty.name.clone()), r.ty.span, false);
        let id = if r
            .id
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !r.id.value.is_empty()
        {
            r.id.value.clone()
        } else {
            format!("{:?}", r.id.value)
        };
        self.ids.entry(r.ty.name.clone()).or_default().push(id);
    }

    fn value(&mut self, v: &ast::Value) {
        match v {
            ast::Value::Entity(e) => self.entity(e),
            ast::Value::List(items, _) => items.iter().for_each(|i| self.value(i)),
            _ => {}
        }
    }

    fn fact(&mut self, f: &Fact) {
        match f {
            Fact::Assign {
                subject, role, on, ..
            } => {
                match subject {
                    ast::Subject::Entity(e) => self.entity(e),
                    ast::Subject::Userset { entity, role, .. } => {
                        self.entity(entity);
                        self.push(
                            Sym::Role(entity.ty.name.clone(), role.name.clone()),
                            role.span,
                            false,
                        );
                    }
                    ast::Subject::Wildcard { ty, .. } => {
                        self.push(Sym::Type(ty.name.clone()), ty.span, false)
                    }
                }
                self.entity(on);
                self.push(
                    Sym::Role(on.ty.name.clone(), role.name.clone()),
                    role.span,
                    false,
                );
            }
            Fact::Set { target, value, .. } => {
                match target {
                    ast::SetTarget::Field { entity, name } => {
                        self.entity(entity);
                        let ty = entity.ty.name.clone();
                        let is_attr = self
                            .types
                            .get(&ty)
                            .is_some_and(|t| t.attributes.contains_key(&name.name));
                        let sym = if is_attr {
                            Sym::Attr(ty, name.name.clone())
                        } else {
                            Sym::Relation(ty, name.name.clone())
                        };
                        self.push(sym, name.span, false);
                    }
                    ast::SetTarget::Context(n) => {
                        self.push(Sym::Context(n.name.clone()), n.span, false)
                    }
                    ast::SetTarget::Action(n) => {
                        self.push(Sym::Action(n.name.clone()), n.span, false)
                    }
                }
                self.value(value);
            }
        }
    }

    fn assertion(&mut self, a: &ast::Assertion) {
        let (query, expected) = match a {
            ast::Assertion::Holds { query, .. } => (query, &[][..]),
            ast::Assertion::Equals {
                query, expected, ..
            } => (query, &expected[..]),
        };
        let mut perms_on = None;
        match query {
            ast::Query::Can {
                principal,
                action,
                resource,
                with,
                ..
            } => {
                self.entity(principal);
                self.entity(resource);
                self.push(
                    Sym::Perm(resource.ty.name.clone(), action.name.clone()),
                    action.span,
                    false,
                );
                for d in with {
                    let n = d.name.name.clone();
                    let sym = match d.root {
                        Var::Context => Sym::Context(n),
                        Var::Action => Sym::Action(n),
                        Var::Principal => Sym::Attr(principal.ty.name.clone(), n),
                        Var::Resource => Sym::Attr(resource.ty.name.clone(), n),
                    };
                    self.push(sym, d.name.span, false);
                    self.value(&d.value);
                }
            }
            ast::Query::Assign {
                principal,
                role,
                resource,
                assignee,
                ..
            } => {
                self.entity(principal);
                self.entity(resource);
                self.entity(assignee);
                self.push(
                    Sym::Role(resource.ty.name.clone(), role.name.clone()),
                    role.span,
                    false,
                );
            }
            ast::Query::Is {
                principal,
                role,
                resource,
                ..
            } => {
                self.entity(principal);
                self.entity(resource);
                self.push(
                    Sym::Role(resource.ty.name.clone(), role.name.clone()),
                    role.span,
                    false,
                );
            }
            ast::Query::WhoCan {
                action, resource, ..
            } => {
                self.entity(resource);
                self.push(
                    Sym::Perm(resource.ty.name.clone(), action.name.clone()),
                    action.span,
                    false,
                );
            }
            ast::Query::WhoIs { role, resource, .. } => {
                self.entity(resource);
                self.push(
                    Sym::Role(resource.ty.name.clone(), role.name.clone()),
                    role.span,
                    false,
                );
            }
            ast::Query::WhatCan {
                principal,
                resource,
                ..
            } => {
                self.entity(principal);
                self.entity(resource);
                perms_on = Some(resource.ty.name.clone());
            }
            ast::Query::Which {
                ty,
                principal,
                action,
                ..
            } => {
                self.push(Sym::Type(ty.name.clone()), ty.span, false);
                self.entity(principal);
                self.push(
                    Sym::Perm(ty.name.clone(), action.name.clone()),
                    action.span,
                    false,
                );
            }
        }
        for e in expected {
            match e {
                ast::Expected::Entity(r) => self.entity(r),
                ast::Expected::Wildcard { ty, .. } => {
                    self.push(Sym::Type(ty.name.clone()), ty.span, false)
                }
                ast::Expected::Permission(p) => {
                    if let Some(t) = &perms_on {
                        self.push(Sym::Perm(t.clone(), p.name.clone()), p.span, false);
                    }
                }
            }
        }
    }
}
