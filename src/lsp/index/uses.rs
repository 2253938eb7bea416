//! Where the names are used in declarations: types named by relations and attributes,
//! roles named by includes and `from`, permissions named by grants and patterns.

use super::{Index, Sym};
use crate::syntax::ast::{self, Item, Member, RoleItem};

impl Index {
    pub(super) fn uses(&mut self, item: &Item) {
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

    pub(super) fn type_expr(&mut self, t: &ast::TypeExpr) {
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

    pub(super) fn member_uses(&mut self, ty: &str, members: &[Member]) {
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

    pub(super) fn patterns(&mut self, ty: &str, patterns: &[ast::Pattern]) {
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
    pub(super) fn actors(&self) -> Vec<String> {
        self.types
            .iter()
            .filter(|(_, t)| t.actor)
            .map(|(n, _)| n.clone())
            .collect()
    }
}
