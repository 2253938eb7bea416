//! Type checking of reads: attributes and relations of entities (`resource.owner`), fields of
//! records and of the context, with the `has` guards optional ones need.

use super::{Checker, Guard, key};
use crate::compiled::expr::Member;
use crate::compiled::{CExpr, Type, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::syntax::ast::{Expr, ExprKind, Var};

impl Checker<'_, '_> {
    /// `base.name`: an attribute (checked for `has` when optional) or a relation.
    pub(super) fn access(
        &mut self,
        e: &Expr,
        base: &Expr,
        name: &crate::syntax::ast::Ident,
        guards: &[Guard],
    ) -> Option<(CExpr, Type)> {
        if let ExprKind::Var(Var::Context) = base.kind {
            let i = self.context_field(name)?;
            if let Some(d) = self
                .r
                .context_decls
                .iter()
                .find(|d| d.name.name == name.name)
            {
                let what = format!("the context field `{}`", name.name);
                self.origins.push((e.span, what, d.name.span));
            }
            let field = &self.r.context[i as usize];
            let ty = field.ty.clone();
            if field.optional {
                self.guarded(e, base, name, guards)?;
            }
            return Some((CExpr::Context(i), ty));
        }
        if let ExprKind::Var(Var::Action) = base.kind {
            let i = self.action_field(name)?;
            if let Some(d) = self
                .r
                .action_decls
                .iter()
                .find(|d| d.name.name == name.name)
            {
                let what = format!("the action property `{}`", name.name);
                self.origins.push((e.span, what, d.name.span));
            }
            let field = &self.r.action[i as usize];
            let ty = field.ty.clone();
            if field.optional {
                self.guarded(e, base, name, guards)?;
            }
            return Some((CExpr::Action(i), ty));
        }
        let (cb, tb) = self.expr(base, guards)?;
        if let Type::Record(_) = tb {
            let f = self.record_field(&tb, name)?;
            let (ty, optional) = (f.ty.clone(), f.optional);
            if optional {
                self.guarded(e, base, name, guards)?;
            }
            return Some((
                CExpr::Field {
                    base: Box::new(cb),
                    name: name.name.clone(),
                },
                ty,
            ));
        }
        let (member, ty, optional) = self.member(&tb, name, base, guards, false)?;
        if let Type::Entity(owner) = tb {
            let b = &self.r.builds[owner.index()];
            let decl = b
                .attributes
                .iter()
                .find(|d| d.name.name == name.name)
                .map(|d| (d.name.span, "attribute"))
                .or_else(|| {
                    b.relations
                        .iter()
                        .find(|d| d.name.name == name.name)
                        .map(|d| (d.name.span, "relation"))
                });
            if let Some((span, kind)) = decl {
                let what = format!("the {kind} `{}` of `{}`", name.name, b.name.name);
                self.origins.push((e.span, what, span));
            }
        }
        if optional {
            self.guarded(e, base, name, guards)?;
        }
        Some((
            CExpr::Access {
                base: Box::new(cb),
                name: name.name.clone(),
                member,
            },
            ty,
        ))
    }

    /// An optional field or attribute read: reports `E0402` unless a `has` guards it.
    fn guarded(
        &mut self,
        e: &Expr,
        base: &Expr,
        name: &crate::syntax::ast::Ident,
        guards: &[Guard],
    ) -> Option<()> {
        if !guards.contains(&(key(base), name.name.clone())) {
            let b = key(base);
            let d = Diagnostic::new(
                Code::E0402,
                format!("`{b}.{}` may be absent: it is declared optional", name.name),
            )
            .primary(e.span, "read without a `has` check")
            .help(format!(
                "guard the read: `{b} has {n} && {b}.{n} ...`",
                n = name.name
            ));
            self.report(d);
            return None;
        }
        Some(())
    }

    /// The index of a context field; `E0209` when none has the name.
    pub(super) fn context_field(&mut self, name: &crate::syntax::ast::Ident) -> Option<u32> {
        if let Some(i) = self.r.context.iter().position(|f| f.name == name.name) {
            return Some(i as u32);
        }
        let names: Vec<String> = self.r.context.iter().map(|f| f.name.clone()).collect();
        let mut d = Diagnostic::new(
            Code::E0209,
            format!("no context field is named `{}`", name.name),
        )
        .primary(name.span, "unknown context field");
        d = match did_you_mean(&name.name, names.iter().map(String::as_str)) {
            Some(h) => d.help(h),
            None => d.help(format!("declare it: `context {{ {}: TYPE; }}`", name.name)),
        };
        self.report(d);
        None
    }

    /// The index of an action property; `E0407` when none has the name.
    pub(super) fn action_field(&mut self, name: &crate::syntax::ast::Ident) -> Option<u32> {
        if let Some(i) = self.r.action.iter().position(|f| f.name == name.name) {
            return Some(i as u32);
        }
        let d = crate::facts::check::unknown_action_property(&self.r.action, &name.name, name.span);
        self.report(d);
        None
    }

    /// Resolves `.name` on a value of type `t`: the member (when the type is static), the type of
    /// what it reads and whether it is optional. `test` is true for `base has name`, which never
    /// fails, so it is not warned about (W0115) where some actor types lack the member; nor is a
    /// read that a `has` test guards.
    #[allow(clippy::type_complexity)]
    pub(super) fn member(
        &mut self,
        t: &Type,
        name: &crate::syntax::ast::Ident,
        base: &Expr,
        guards: &[Guard],
        test: bool,
    ) -> Option<(Option<(TypeId, Member)>, Type, bool)> {
        let base_span = base.span;
        let candidates: Vec<TypeId> = match t {
            Type::Entity(ty) => vec![*ty],
            Type::AnyActor => {
                // `principal is T && principal.x`: only the tested types can reach the read.
                let k = key(base);
                let tested: Vec<&str> = guards
                    .iter()
                    .filter(|(b, n)| *b == k && n.starts_with(':'))
                    .map(|(_, n)| &n[1..])
                    .collect();
                let all = self.actor_types().to_vec();
                if tested.is_empty() {
                    all
                } else {
                    all.into_iter()
                        .filter(|ty| tested.contains(&self.r.types[ty.index()].name.as_str()))
                        .collect()
                }
            }
            other => {
                let found = self.describe(other);
                self.mismatch(
                    base_span,
                    format!("`{found}` has no fields: cannot read `.{}`", name.name),
                    "not an entity",
                    None,
                );
                return None;
            }
        };
        // Whether the base has one static type (not `principal` over several actor types).
        let static_base = matches!(t, Type::Entity(_));
        let mut found: Option<(TypeId, Member, Type, bool)> = None;
        for ty in &candidates {
            let td = &self.r.types[ty.index()];
            let hit = if let Some(a) = td.attribute(&name.name) {
                let at = &td.attributes[a.index()];
                Some((Member::Attr(a), at.ty.clone(), at.optional))
            } else {
                td.relation(&name.name).map(|rel| {
                    let r = &td.relations[rel.index()];
                    let t = if r.many {
                        Type::List(Box::new(Type::Entity(r.target)))
                    } else {
                        Type::Entity(r.target)
                    };
                    (Member::Rel(rel), t, false)
                })
            };
            let broken = match &hit {
                Some((Member::Rel(rel), _, _)) => self.r.broken_relations.contains(&(*ty, *rel)),
                Some((Member::Attr(a), _, _)) => self.r.broken_attributes.contains(&(*ty, *a)),
                None => false,
            };
            if broken {
                self.ok = false;
                return None;
            }
            if let Some((m, t, opt)) = hit {
                match &found {
                    Some((_, _, prev, _)) if *prev != t => {
                        let (a, b) = (self.describe(prev), self.describe(&t));
                        self.mismatch(
                            name.span,
                            format!(
                                "`{}` has type `{a}` on one actor type and `{b}` on another",
                                name.name
                            ),
                            "ambiguous",
                            Some("give the field one type on every actor type".into()),
                        );
                        return None;
                    }
                    Some(_) => {}
                    None => found = Some((*ty, m, t, opt)),
                }
            }
        }
        let Some((ty, m, t, opt)) = found else {
            let names: Vec<String> = candidates
                .iter()
                .flat_map(|ty| {
                    let td = &self.r.types[ty.index()];
                    td.attributes
                        .iter()
                        .map(|a| a.name.clone())
                        .chain(td.relations.iter().map(|r| r.name.clone()))
                        .collect::<Vec<_>>()
                })
                .collect();
            let owner = match t {
                Type::Entity(ty) => format!("`{}`", self.r.types[ty.index()].name),
                _ => "no actor type".into(),
            };
            let mut d = Diagnostic::new(
                Code::E0205,
                format!("{owner} has no attribute or relation `{}`", name.name),
            )
            .primary(name.span, "unknown attribute or relation");
            d = match did_you_mean(&name.name, names.iter().map(String::as_str)) {
                Some(h) => d.help(h),
                None => d.help(format!("declare it: `attribute {}: TYPE;`", name.name)),
            };
            self.report(d);
            return None;
        };
        // On `principal` the member is looked up by name on the runtime type, even when a type
        // test narrowed the candidates to one.
        let member = if static_base { Some((ty, m)) } else { None };
        let lacking: Vec<String> = candidates
            .iter()
            .filter(|c| {
                let td = &self.r.types[c.index()];
                td.attribute(&name.name).is_none() && td.relation(&name.name).is_none()
            })
            .map(|c| format!("`{}`", self.r.types[c.index()].name))
            .collect();
        let has_guard = guards.contains(&(key(base), name.name.clone()));
        if !lacking.is_empty() && !test && !has_guard {
            let has: Vec<String> = candidates
                .iter()
                .filter(|c| {
                    let td = &self.r.types[c.index()];
                    td.attribute(&name.name).is_some() || td.relation(&name.name).is_some()
                })
                .map(|c| self.r.types[c.index()].name.clone())
                .collect();
            let first = has.first().cloned().unwrap_or_default();
            self.r.condition_warnings.push(
                Diagnostic::new(
                    Code::W0115,
                    format!(
                        "actor type {} never has `{}`: for it the read fails and the rule fails closed",
                        lacking.join(", "),
                        name.name
                    ),
                )
                .primary(name.span, "not declared on every actor type")
                .help(format!(
                    "test the type first: `{k} is {first} && {k}.{}`",
                    name.name,
                    k = key(base)
                )),
            );
        }
        Some((member, t, opt))
    }
}
