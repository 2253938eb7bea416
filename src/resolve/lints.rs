//! Warnings (docs/language.md, "Diagnostics"): things that compile but are probably not what the author
//! meant.

use super::Resolver;
use crate::compiled::{Kind, PermId, RoleId, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Effect, Expr, ExprKind, Ident, RoleItem};

pub(super) fn run(r: &mut Resolver<'_>, files: &[crate::syntax::ast::File]) {
    if r.types.len() != r.builds.len() {
        return;
    }
    unreachable_permissions(r);
    unused_roles(r, files);
    redundant_grants(r);
    forbids_without_permit(r);
    elevated_without_review(r);
    mixed_and_or(r);
    naming(r);
    let warnings = std::mem::take(&mut r.condition_warnings);
    r.diags.extend(warnings);
}

/// Whether some role or `permit` rule can give `p` on `ty`.
fn givable(r: &Resolver<'_>, ty: TypeId, p: PermId) -> bool {
    let t = &r.types[ty.index()];
    t.roles.iter().any(|role| role.effective.contains(&p))
        || t.permits.get(p.index()).is_some_and(|v| !v.is_empty())
}

fn unreachable_permissions(r: &mut Resolver<'_>) {
    let mut out = Vec::new();
    for (i, b) in r.builds.iter().enumerate() {
        let ty = TypeId(i as u32);
        let mut seen = Vec::new();
        for (name, _) in &b.permissions {
            let Some(p) = r.types[i].permission(&name.name) else {
                continue;
            };
            if seen.contains(&p) || givable(r, ty, p) {
                continue;
            }
            seen.push(p);
            out.push(
                Diagnostic::new(
                    Code::W0101,
                    format!(
                        "no role or `permit` rule gives `{}` on `{}`",
                        name.name, b.name.name
                    ),
                )
                .primary(name.span, "nobody can ever be allowed this")
                .help(format!(
                    "grant it to a role (`grants {};`) or remove it",
                    name.name
                )),
            );
        }
    }
    r.diags.extend(out);
}

/// The roles that facts written in the policy's files name in a userset (`folder:f#viewer`):
/// such a role gives its holders whatever the userset is assigned, so it is used.
fn userset_roles(r: &Resolver<'_>, files: &[crate::syntax::ast::File]) -> Vec<(TypeId, RoleId)> {
    use crate::syntax::ast::{Fact, Item, Subject, TestStep};
    let facts = files.iter().flat_map(|f| &f.items).flat_map(|item| {
        let v: Vec<&Fact> = match item {
            Item::Fact(f) => vec![f],
            Item::Facts(b) => b.facts.iter().collect(),
            Item::Test(t) => t
                .steps
                .iter()
                .filter_map(|s| match s {
                    TestStep::Fact(f) | TestStep::Retract(f) => Some(f),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        v
    });
    let mut out = Vec::new();
    for f in facts {
        if let Fact::Assign {
            subject: Subject::Userset { entity, role, .. },
            ..
        } = f
            && let Some(ty) = r.type_index.get(entity.ty.name.as_str())
            && let Some(k) = r.types[ty.index()].role(&role.name)
        {
            out.push((*ty, k));
        }
    }
    out
}

fn unused_roles(r: &mut Resolver<'_>, files: &[crate::syntax::ast::File]) {
    // A hash set: a policy of thousands of roles must not make this quadratic.
    let mut used: rustc_hash::FxHashSet<(TypeId, RoleId)> =
        r.roles_used_in_rules.iter().copied().collect();
    used.extend(userset_roles(r, files));
    for (i, t) in r.types.iter().enumerate() {
        for role in &t.roles {
            used.extend(role.includes.iter().map(|x| (TypeId(i as u32), *x)));
            used.extend(role.from.iter().map(|e| (e.target, e.role)));
        }
        for s in &t.separations {
            used.extend(s.roles.iter().map(|x| (TypeId(i as u32), *x)));
        }
    }
    let mut out = Vec::new();
    for (i, t) in r.types.iter().enumerate() {
        // A type without permissions is a group (a team): its roles are used through usersets in
        // the data, which the policy cannot see.
        if t.permissions.is_empty() || t.kind == Kind::Actor {
            continue;
        }
        for (k, role) in t.roles.iter().enumerate() {
            let id = (TypeId(i as u32), RoleId(k as u32));
            if role.effective.is_empty() && !used.contains(&id) {
                out.push(
                    Diagnostic::new(
                        Code::W0102,
                        format!(
                            "role `{}` of `{}` grants nothing and is used nowhere",
                            role.name, t.name
                        ),
                    )
                    .primary(
                        r.builds[i].roles[k].decl.name.span,
                        "holding this role changes nothing",
                    )
                    .help("give it grants, include it from another role, or remove it"),
                );
            }
        }
    }
    r.diags.extend(out);
}

fn redundant_grants(r: &mut Resolver<'_>) {
    let mut out = Vec::new();
    let mut keys: Vec<_> = r.grant_spans.keys().copied().collect();
    keys.sort();
    for (ty, role) in keys {
        let t = &r.types[ty.index()];
        let me = &t.roles[role.index()];
        for (p, span, exact) in &r.grant_spans[&(ty, role)] {
            if !exact {
                continue;
            }
            let via = me
                .implies
                .iter()
                .filter(|x| *x != role)
                .find(|x| t.roles[x.index()].effective.contains(p));
            if let Some(via) = via {
                out.push(
                    Diagnostic::new(
                        Code::W0103,
                        format!(
                            "role `{}` already has `{}` through `{}`",
                            me.name,
                            t.permissions[p.index()].name,
                            t.roles[via.index()].name
                        ),
                    )
                    .primary(*span, "redundant grant")
                    .help("remove it; the include already gives it"),
                );
            }
        }
    }
    r.diags.extend(out);
}

fn forbids_without_permit(r: &mut Resolver<'_>) {
    let mut out = Vec::new();
    for (rule, decl) in r.rules.iter().zip(&r.rule_decls) {
        if rule.effect != Effect::Forbid || rule.actions.is_empty() {
            continue;
        }
        if rule.actions.iter().all(|a| !givable(r, rule.resource, *a)) {
            let names: Vec<String> = rule
                .actions
                .iter()
                .map(|a| {
                    format!(
                        "`{}`",
                        r.types[rule.resource.index()].permissions[a.index()].name
                    )
                })
                .collect();
            out.push(
                Diagnostic::new(
                    Code::W0104,
                    format!(
                        "this forbid can never matter: nothing permits {}",
                        names.join(", ")
                    ),
                )
                .primary(decl.span, "forbids what is never allowed")
                .help("check the action names, or grant the action to a role"),
            );
        }
    }
    r.diags.extend(out);
}

fn elevated_without_review(r: &mut Resolver<'_>) {
    let mut out = Vec::new();
    for (i, b) in r.builds.iter().enumerate() {
        for (k, rb) in b.roles.iter().enumerate() {
            let role = &r.types[i].roles[k];
            if !role.elevated || role.review.is_some() {
                continue;
            }
            let span = rb.items.iter().find_map(|(it, _)| match it {
                RoleItem::Elevated { span, .. } => Some(*span),
                _ => None,
            });
            out.push(
                Diagnostic::new(
                    Code::W0105,
                    format!("elevated role `{}` has no review period", role.name),
                )
                .primary(span.unwrap_or(rb.decl.name.span), "no `review`")
                .help("add a period after which holders are re-approved: `elevated review 90d;`"),
            );
        }
    }
    r.diags.extend(out);
}

fn mixed_and_or(r: &mut Resolver<'_>) {
    fn walk(e: &Expr, out: &mut Vec<Diagnostic>) {
        match &e.kind {
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let other = if *op == BinOp::And {
                    BinOp::Or
                } else {
                    BinOp::And
                };
                for side in [a, b] {
                    if let ExprKind::Binary(o, _, _) = &side.kind
                        && *o == other
                    {
                        out.push(
                                Diagnostic::new(Code::W0106, "`&&` and `||` are mixed without parentheses")
                                    .primary(side.span, format!("this `{}` binds tighter than the `{}` around it", BinOp::And.symbol(), BinOp::Or.symbol()))
                                    .help("add parentheses to say which you mean: `(a && b) || c` or `a && (b || c)`"),
                            );
                    }
                }
                walk(a, out);
                walk(b, out);
            }
            ExprKind::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            ExprKind::Access(x, _)
            | ExprKind::Not(x)
            | ExprKind::Neg(x)
            | ExprKind::Paren(x)
            | ExprKind::Has(x, _)
            | ExprKind::IsType { subject: x, .. } => walk(x, out),
            ExprKind::Call { receiver, args, .. } => {
                walk(receiver, out);
                args.iter().for_each(|x| walk(x, out));
            }
            ExprKind::Record(fs) => fs.iter().for_each(|(_, x)| walk(x, out)),
            ExprKind::Is {
                subject, target, ..
            } => {
                walk(subject, out);
                walk(target, out);
            }
            ExprKind::List(xs) => xs.iter().for_each(|x| walk(x, out)),
            ExprKind::Var(_) | ExprKind::Literal(_) => {}
        }
    }
    let mut out = Vec::new();
    for b in &r.builds {
        for rule in &b.rules {
            if let Some(c) = &rule.condition {
                walk(&c.expr, &mut out);
            }
        }
    }
    r.diags.extend(out);
}

pub fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The suggested spelling: heck splits words as people read them (`HTTPServer` ->
/// `http_server`, `myRole` -> `my_role`).
fn to_snake_case(name: &str) -> String {
    heck::ToSnakeCase::to_snake_case(name)
}

fn naming(r: &mut Resolver<'_>) {
    let mut names: Vec<(&str, &Ident)> = Vec::new();
    for b in &r.builds {
        names.push(("type", b.name));
        names.extend(b.relations.iter().map(|x| ("relation", &x.name)));
        names.extend(b.attributes.iter().map(|x| ("attribute", &x.name)));
        names.extend(b.roles.iter().map(|x| ("role", &x.decl.name)));
        names.extend(b.permissions.iter().map(|(x, _)| ("permission", *x)));
    }
    names.extend(r.context_decls.iter().map(|x| ("context field", &x.name)));
    let mut out = Vec::new();
    // A hash set: a policy of thousands of names must not make this quadratic.
    let mut seen: rustc_hash::FxHashSet<Span> = rustc_hash::FxHashSet::default();
    for (what, ident) in names {
        if !seen.insert(ident.span) {
            continue;
        }
        if ident.name.split('.').all(is_snake_case) {
            continue;
        }
        let fixed: Vec<String> = ident.name.split('.').map(to_snake_case).collect();
        out.push(
            Diagnostic::new(
                Code::W0107,
                format!("{what} `{}` is not in snake_case", ident.name),
            )
            .primary(ident.span, "not snake_case")
            .help(format!("write `{}`", fixed.join("."))),
        );
    }
    r.diags.extend(out);
}
