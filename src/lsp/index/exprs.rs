//! Where the names are used in conditions, facts and test assertions: attributes and relations
//! along paths, roles, entities and context fields.

use super::{Index, Sym};
use crate::syntax::ast::{self, Expr, ExprKind, Fact, Var};

impl Index {
    /// Records the names in `e` (inside type `ty`); returns the types the expression can be an
    /// entity of.
    pub(super) fn expr(&mut self, ty: &str, e: &Expr) -> Vec<String> {
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

    pub(super) fn entity(&mut self, r: &ast::EntityRef) {
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

    pub(super) fn value(&mut self, v: &ast::Value) {
        match v {
            ast::Value::Entity(e) => self.entity(e),
            ast::Value::List(items, _) => items.iter().for_each(|i| self.value(i)),
            _ => {}
        }
    }

    pub(super) fn fact(&mut self, f: &Fact) {
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

    pub(super) fn assertion(&mut self, a: &ast::Assertion) {
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
