//! The text of the AST's pieces on one line: attribute types, rules, expressions, facts, values,
//! test assertions and queries. The layout of blocks, lists and comments is `super`'s.

use super::{Leaf, Printer};
use crate::syntax::ast::*;

impl<'a> Printer<'a> {
    pub(super) fn field(&self, a: &AttributeDecl) -> String {
        let q = if a.optional { "?" } else { "" };
        format!("{}{q}: {};", a.name.name, self.ty(&a.ty))
    }

    pub(super) fn ty(&self, t: &TypeExpr) -> String {
        match &t.kind {
            TypeKind::Named(i) => i.name.clone(),
            TypeKind::Enum(xs) => xs
                .iter()
                .map(|s| self.slice(s.span))
                .collect::<Vec<_>>()
                .join(" | "),
            TypeKind::List(inner) => format!("[{}]", self.ty(inner)),
            TypeKind::Record(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        let q = if f.optional { "?" } else { "" };
                        format!("{}{q}: {}", f.name.name, self.ty(&f.ty))
                    })
                    .collect();
                if fields.is_empty() {
                    "{}".into()
                } else {
                    format!("{{ {} }}", fields.join(", "))
                }
            }
        }
    }

    pub(super) fn rule(&self, r: &RuleDecl) -> Leaf {
        let effect = match r.effect {
            Effect::Permit => "permit",
            Effect::Forbid => "forbid",
        };
        let actions: Vec<&str> = r.actions.iter().map(|p| p.text.as_str()).collect();
        let head = format!("{effect} {}", actions.join(", "));
        let condition = r.condition.as_ref().map(|c| {
            let kw = match c.kind {
                ConditionKind::When => "when",
                ConditionKind::Unless => "unless",
            };
            let (ops, op) = match &c.expr.kind {
                ExprKind::Binary(op @ (BinOp::And | BinOp::Or), _, _) => {
                    let mut parts = Vec::new();
                    chain(&c.expr, *op, &mut parts);
                    (parts.iter().map(|e| self.expr(e)).collect(), op.symbol())
                }
                _ => (vec![self.expr(&c.expr)], ""),
            };
            (kw.to_string(), ops, op)
        });
        Leaf::Rule { head, condition }
    }

    pub(super) fn expr(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Var(Var::Principal) => "principal".into(),
            ExprKind::Var(Var::Resource) => "resource".into(),
            ExprKind::Var(Var::Context) => "context".into(),
            ExprKind::Var(Var::Action) => "action".into(),
            ExprKind::Access(base, name) => format!("{}.{}", self.expr(base), name.name),
            ExprKind::Literal(_) => self.slice(e.span).to_string(),
            ExprKind::List(xs) => format!(
                "[{}]",
                xs.iter()
                    .map(|x| self.expr(x))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ExprKind::Not(x) => format!("!{}", self.expr(x)),
            ExprKind::Neg(x) => format!("-{}", self.expr(x)),
            ExprKind::Binary(op, a, b) => {
                format!("{} {} {}", self.expr(a), op.symbol(), self.expr(b))
            }
            ExprKind::Has(x, name) => format!("{} has {}", self.expr(x), name.name),
            ExprKind::Is {
                subject,
                role,
                target,
            } => format!(
                "{} is {} on {}",
                self.expr(subject),
                role.name,
                self.expr(target)
            ),
            ExprKind::Paren(x) => format!("({})", self.expr(x)),
            ExprKind::Record(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(n, x)| format!("{}: {}", n.name, self.expr(x)))
                    .collect();
                if fields.is_empty() {
                    "{}".into()
                } else {
                    format!("{{ {} }}", fields.join(", "))
                }
            }
            ExprKind::Call {
                receiver,
                method,
                args,
            } => format!(
                "{}.{}({})",
                self.expr(receiver),
                method.name,
                args.iter()
                    .map(|x| self.expr(x))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ExprKind::IsType { subject, ty } => format!("{} is {}", self.expr(subject), ty.name),
        }
    }

    pub(super) fn fact(&self, f: &Fact) -> String {
        match f {
            Fact::Assign {
                subject,
                role,
                on,
                until,
                ..
            } => {
                let mut s = format!(
                    "{} is {} on {}",
                    self.slice(subject.span()),
                    role.name,
                    self.slice(on.span)
                );
                if let Some(u) = until {
                    s.push_str(&format!(" until {}", self.slice(u.span)));
                }
                s
            }
            Fact::Set { target, value, .. } => {
                let target = match target {
                    SetTarget::Field { entity, name } => {
                        format!("{}.{}", self.slice(entity.span), name.name)
                    }
                    SetTarget::Context(name) => format!("context.{}", name.name),
                    SetTarget::Action(name) => format!("action.{}", name.name),
                };
                format!("{target} = {}", self.value(value))
            }
        }
    }

    pub(super) fn value(&self, v: &Value) -> String {
        match v {
            Value::List(xs, _) => format!(
                "[{}]",
                xs.iter()
                    .map(|x| self.value(x))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Record(fields, _) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(n, x)| format!("{}: {}", n.name, self.value(x)))
                    .collect();
                if fields.is_empty() {
                    "{}".into()
                } else {
                    format!("{{ {} }}", fields.join(", "))
                }
            }
            _ => self.slice(v.span()).to_string(),
        }
    }

    pub(super) fn assertion(&self, a: &Assertion) -> String {
        match a {
            Assertion::Holds {
                query:
                    Query::Can {
                        principal,
                        action,
                        resource,
                        with,
                        ..
                    },
                expect,
                ..
            } => format!(
                "{} {} {} {}{}",
                if *expect { "can" } else { "cannot" },
                self.slice(principal.span),
                action.name,
                self.slice(resource.span),
                self.with_data(with)
            ),
            Assertion::Holds {
                query:
                    Query::Is {
                        principal,
                        role,
                        resource,
                        ..
                    },
                expect,
                ..
            } => format!(
                "{} is {}{} on {}",
                self.slice(principal.span),
                if *expect { "" } else { "not " },
                role.name,
                self.slice(resource.span)
            ),
            Assertion::Holds {
                query:
                    Query::Assign {
                        principal,
                        role,
                        resource,
                        assignee,
                        ..
                    },
                expect,
                ..
            } => format!(
                "{} {} assign {} on {} to {}",
                if *expect { "can" } else { "cannot" },
                self.slice(principal.span),
                role.name,
                self.slice(resource.span),
                self.slice(assignee.span)
            ),
            Assertion::Holds { query, .. } => self.query(query),
            Assertion::Equals {
                query, expected, ..
            } => self.assertion_text(query, expected),
        }
    }

    /// ` with { principal.role = "admin"; action.soft = true; }`, or nothing.
    pub(super) fn with_data(&self, data: &[RequestDatum]) -> String {
        if data.is_empty() {
            return String::new();
        }
        let items: Vec<String> = data
            .iter()
            .map(|d| {
                let root = match d.root {
                    Var::Principal => "principal",
                    Var::Resource => "resource",
                    Var::Context => "context",
                    Var::Action => "action",
                };
                format!("{root}.{} = {};", d.name.name, self.value(&d.value))
            })
            .collect();
        format!(" with {{ {} }}", items.join(" "))
    }

    pub(super) fn assertion_text(&self, query: &Query, expected: &[Expected]) -> String {
        format!(
            "{} == [{}]",
            self.query(query),
            self.expected(expected).join(", ")
        )
    }

    pub(super) fn expected(&self, expected: &[Expected]) -> Vec<String> {
        expected
            .iter()
            .map(|x| match x {
                Expected::Entity(e) => self.slice(e.span).to_string(),
                Expected::Wildcard { span, .. } => self.slice(*span).to_string(),
                Expected::Permission(p) => p.name.clone(),
            })
            .collect()
    }

    pub(super) fn query(&self, q: &Query) -> String {
        let s = |e: &EntityRef| self.slice(e.span);
        match q {
            Query::Can {
                principal,
                action,
                resource,
                with,
                ..
            } => format!(
                "can {} {} {}{}",
                s(principal),
                action.name,
                s(resource),
                self.with_data(with)
            ),
            Query::Assign {
                principal,
                role,
                resource,
                assignee,
                ..
            } => format!(
                "can {} assign {} on {} to {}",
                s(principal),
                role.name,
                s(resource),
                s(assignee)
            ),
            Query::Is {
                principal,
                role,
                resource,
                ..
            } => format!("is {} {} on {}", s(principal), role.name, s(resource)),
            Query::WhoCan {
                action, resource, ..
            } => format!("who can {} {}", action.name, s(resource)),
            Query::WhoIs { role, resource, .. } => {
                format!("who is {} on {}", role.name, s(resource))
            }
            Query::WhatCan {
                principal,
                resource,
                ..
            } => format!("what can {} do on {}", s(principal), s(resource)),
            Query::Which {
                ty,
                principal,
                action,
                ..
            } => format!("which {} can {} {}", ty.name, s(principal), action.name),
        }
    }
}

/// The operands of a chain of one operator (`a && b && c`), left to right.
fn chain<'e>(e: &'e Expr, op: BinOp, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary(o, a, b) if *o == op => {
            chain(a, op, out);
            chain(b, op, out);
        }
        _ => out.push(e),
    }
}
