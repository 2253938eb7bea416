//! The names of a workspace and every place they are written, read from the ASTs (which exist
//! even when the policy has errors): what hover, definition, references, rename, completion and
//! semantic tokens look up.

use crate::source::Span;
use crate::syntax::ast::{self, Item, Member, RoleItem};
use std::collections::BTreeMap;

mod exprs;
mod uses;

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
}
