//! `sealed` and `sealed except`: what the holders of a sealed role get is fixed where the role is
//! declared. Its effective permissions are the grants written in its declaration (and in the
//! declarations of the roles it includes), over the permissions declared with the resource; an
//! `extend` may add only permissions that a `sealed except` pattern matches. Everything else an
//! `extend` would add is E0302, and a `permit` rule that applies because the principal holds the
//! sealed role is E0307. Narrowing (a `forbid`) stays allowed.

use super::{Resolver, pattern_matches};
use crate::compiled::expr::CExpr;
use crate::compiled::{PermId, RoleId, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::{self, ConditionKind, Expr, ExprKind, RoleItem, Var};

const FIXED: &str =
    "a sealed role is fixed where it is declared: give the extra access through another role";

fn help(except: &[String]) -> String {
    if except.is_empty() {
        FIXED.to_string()
    } else {
        let pats: Vec<String> = except.iter().map(|p| format!("`{p}`")).collect();
        format!(
            "the role is sealed except {}: an `extend` may grant only permissions these match; give other access through another role",
            pats.join(", ")
        )
    }
}

impl Resolver<'_> {
    /// After the include closure: every way an `extend` widens a sealed role (E0302).
    pub(super) fn check_sealed(&mut self) {
        let mut out = Vec::new();
        for i in 0..self.builds.len() {
            let ty = TypeId(i as u32);
            let tname = &self.types[i].name;
            for (s, b) in self.builds[i].roles.iter().enumerate() {
                let Some(sealed_at) = b.sealed else { continue };
                let name = &b.decl.name.name;
                let except = &b.except;
                let base = |span, label: String| {
                    Diagnostic::new(
                        Code::E0302,
                        format!("sealed role `{name}` of `{tname}` cannot be widened"),
                    )
                    .primary(span, label)
                    .secondary(sealed_at, "the role is sealed here")
                };
                // Items an `extend` adds to the sealed role itself (grants are judged per
                // permission below).
                for (item, from_extend) in &b.items {
                    if !from_extend {
                        continue;
                    }
                    let what = match item {
                        // Grants are judged per permission below; `requires` narrows.
                        RoleItem::Grants { .. } | RoleItem::Requires(_) => None,
                        RoleItem::Sealed { span, .. } if *span == sealed_at => None,
                        RoleItem::Sealed { span, .. } => Some(("`sealed`", *span)),
                        RoleItem::Includes { span, .. } => Some(("an include", *span)),
                        RoleItem::From(f) => Some(("a `from`", f.span)),
                        RoleItem::Elevated { span, .. } => Some(("`elevated`", *span)),
                        RoleItem::Min(c) => Some(("`min`", c.span)),
                        RoleItem::Max(c) => Some(("`max`", c.span)),
                    };
                    if let Some((what, span)) = what {
                        out.push(
                            base(span, format!("this adds {what} to a sealed role")).help(FIXED),
                        );
                    }
                }
                let roles = &self.types[i].roles;
                let implies = &roles[s].implies;
                // Includes an `extend` adds to a role the sealed role includes.
                for (t, from, _, span) in &self.extend_includes {
                    if *t == ty && from.index() != s && implies.contains(*from) {
                        let via = &roles[from.index()].name;
                        out.push(
                            base(
                                *span,
                                format!("`{name}` includes `{via}`: this include widens it"),
                            )
                            .help(FIXED),
                        );
                    }
                }
                // Grants that reach the sealed role: written in an `extend`, or a pattern of a
                // declaration matching a permission an `extend` declares.
                let mut seen: Vec<PermId> = Vec::new();
                // Roles reached only through an include an `extend` added are reported at that
                // include (above): their grants are not reported again.
                let reached_by_extend: Vec<RoleId> = self
                    .extend_includes
                    .iter()
                    .filter(|(t, from, _, _)| *t == ty && implies.contains(*from))
                    .map(|(_, _, inc, _)| *inc)
                    .collect();
                for x in implies.iter() {
                    if reached_by_extend.contains(&x) {
                        continue;
                    }
                    let Some(grants) = self.grant_spans.get(&(ty, x)) else {
                        continue;
                    };
                    let via = if x == RoleId(s as u32) {
                        String::new()
                    } else {
                        format!(" (through `{}`, which it includes)", roles[x.index()].name)
                    };
                    for (p, span, _) in grants {
                        let perm = &self.types[i].permissions[p.index()].name;
                        if seen.contains(p) || except.iter().any(|e| pattern_matches(e, perm)) {
                            continue;
                        }
                        if self.extend_spans.contains(span) {
                            seen.push(*p);
                            out.push(
                                base(*span, format!("this grants `{perm}` to its holders{via}"))
                                    .help(help(except)),
                            );
                        } else if let Some(decl) =
                            self.extended_permissions.get(&(ty, perm.clone()))
                        {
                            seen.push(*p);
                            out.push(
                                base(*span, format!("this pattern matches `{perm}`{via}"))
                                    .secondary(*decl, "which an `extend` declares here")
                                    .help(format!(
                                        "a sealed role's patterns cover only the permissions declared with its resource: declare `{perm}` there, or narrow the pattern"
                                    )),
                            );
                        }
                    }
                }
            }
        }
        for d in out {
            self.error(d);
        }
    }

    /// A `permit` whose condition holds because the principal holds a sealed role gives that
    /// role's holders more than its grants (E0307), unless what it permits is within the role's
    /// own effective permissions or its `sealed except` patterns.
    pub(super) fn check_sealed_permits(&mut self) {
        let mut out = Vec::new();
        for (k, rule) in self.rules.iter().enumerate() {
            if !matches!(rule.effect, ast::Effect::Permit) {
                continue;
            }
            let Some((kind, cond)) = &rule.condition else {
                continue;
            };
            let mut held = Vec::new();
            held_by_principal(cond, *kind == ConditionKind::When, &mut held);
            for (ty, role) in held {
                let b = &self.builds[ty.index()].roles[role.index()];
                let Some(sealed_at) = b.sealed else { continue };
                let r = &self.types[ty.index()].roles[role.index()];
                let perms = &self.types[rule.resource.index()].permissions;
                let widened: Vec<String> = rule
                    .actions
                    .iter()
                    .filter(|a| {
                        let name = &perms[a.index()].name;
                        rule.resource != ty
                            || !(r.effective.contains(a)
                                || b.except.iter().any(|e| pattern_matches(e, name)))
                    })
                    .map(|a| format!("`{}`", perms[a.index()].name))
                    .collect();
                if widened.is_empty() {
                    continue;
                }
                let decl = self.rule_decls.get(k);
                let span = decl
                    .and_then(|d| d.condition.as_ref())
                    .and_then(|c| is_span(&c.expr, &r.name))
                    .or(decl.map(|d| d.span));
                let Some(span) = span else { continue };
                let on = &self.types[rule.resource.index()].name;
                out.push(
                    Diagnostic::new(
                        Code::E0307,
                        format!(
                            "this rule gives holders of sealed role `{}` of `{}` {} on `{on}`",
                            r.name,
                            self.types[ty.index()].name,
                            widened.join(", ")
                        ),
                    )
                    .primary(
                        span,
                        "the rule applies because the principal holds the sealed role",
                    )
                    .secondary(sealed_at, "the role is sealed here")
                    .help(help(&b.except)),
                );
            }
        }
        for d in out {
            self.error(d);
        }
    }
}

/// The (type, role) pairs of `principal is R on x` that make `e` true where they hold: those
/// not under an odd number of `!` (with `unless` counting as one).
fn held_by_principal(e: &CExpr, positive: bool, out: &mut Vec<(TypeId, RoleId)>) {
    match e {
        CExpr::Not(x) => held_by_principal(x, !positive, out),
        CExpr::And(a, b) | CExpr::Or(a, b) => {
            held_by_principal(a, positive, out);
            held_by_principal(b, positive, out);
        }
        CExpr::Is {
            subject, role, ty, ..
        } if positive && matches!(**subject, CExpr::Principal) && !out.contains(&(*ty, *role)) => {
            out.push((*ty, *role));
        }
        _ => {}
    }
}

/// Where `principal is ROLE on ...` is written in a condition.
fn is_span(e: &Expr, role: &str) -> Option<crate::source::Span> {
    match &e.kind {
        ExprKind::Is {
            subject,
            role: r,
            target,
        } => {
            if r.name == role && matches!(subject.kind, ExprKind::Var(Var::Principal)) {
                Some(e.span)
            } else {
                is_span(subject, role).or_else(|| is_span(target, role))
            }
        }
        ExprKind::Not(x) | ExprKind::Neg(x) | ExprKind::Paren(x) | ExprKind::Access(x, _) => {
            is_span(x, role)
        }
        ExprKind::Has(x, _) | ExprKind::IsType { subject: x, .. } => is_span(x, role),
        ExprKind::Record(fields) => fields.iter().find_map(|(_, x)| is_span(x, role)),
        ExprKind::Call { receiver, args, .. } => {
            is_span(receiver, role).or_else(|| args.iter().find_map(|x| is_span(x, role)))
        }
        ExprKind::Binary(_, a, b) => is_span(a, role).or_else(|| is_span(b, role)),
        ExprKind::List(xs) => xs.iter().find_map(|x| is_span(x, role)),
        ExprKind::Var(_) | ExprKind::Literal(_) => None,
    }
}
