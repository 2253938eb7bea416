//! Roles: includes, grants, `from` edges, the include closure and separation of duties.

use super::Resolver;
use crate::compiled::{FromEdge, RelId, Role, RoleId, RoleSet, Separation, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::syntax::ast::{self, Ident, RoleItem};

/// How many `includes` of a cycle are labelled in its diagnostic.
const MAX_CYCLE_LABELS: usize = 16;

impl<'a> Resolver<'a> {
    pub(super) fn resolve_roles(&mut self) {
        // Shells first: includes and `from` may name any role of any type.
        for i in 0..self.builds.len() {
            let shells: Vec<Role> = self.builds[i]
                .roles
                .iter()
                .map(|b| Role {
                    name: b.decl.name.name.clone(),
                    doc: b.decl.doc.clone(),
                    location: self.location(b.decl.name.span),
                    grants: Vec::new(),
                    includes: Vec::new(),
                    from: Vec::new(),
                    requires: Vec::new(),
                    sealed: b.sealed.is_some(),
                    elevated: false,
                    review: None,
                    min: None,
                    max: None,
                    implies: RoleSet::new(),
                    implied_by: RoleSet::new(),
                    effective: Vec::new(),
                })
                .collect();
            for r in 0..shells.len() {
                self.graph.node(TypeId(i as u32), RoleId(r as u32));
            }
            self.types[i].roles = shells;
        }
        for i in 0..self.builds.len() {
            let ty = TypeId(i as u32);
            for r in 0..self.builds[i].roles.len() {
                let items = self.builds[i].roles[r].items.clone();
                for (item, extend) in items {
                    self.role_item(ty, RoleId(r as u32), item, extend);
                }
            }
        }
        for cycle in self.graph.include_cycles() {
            self.report_cycle(&cycle);
        }
        self.close_roles();
        self.check_sealed();
        self.resolve_separations();
    }

    fn role_item(&mut self, ty: TypeId, role: RoleId, item: &ast::RoleItem, extend: bool) {
        match item {
            RoleItem::Includes { roles, .. } => {
                for name in roles {
                    if let Some(inc) = self.lookup_role(ty, name) {
                        if extend {
                            self.extend_includes.push((ty, role, inc, name.span));
                        }
                        let r = &mut self.types[ty.index()].roles[role.index()];
                        if !r.includes.contains(&inc) {
                            r.includes.push(inc);
                            self.graph.add_include(ty, role, inc);
                        }
                    }
                }
            }
            RoleItem::Grants { patterns, .. } => {
                for pat in patterns {
                    if extend {
                        self.extend_spans.insert(pat.span);
                    }
                    for p in self.expand_pattern(ty, pat) {
                        let r = &mut self.types[ty.index()].roles[role.index()];
                        if !r.grants.contains(&p) {
                            r.grants.push(p);
                        }
                        self.grant_spans.entry((ty, role)).or_default().push((
                            p,
                            pat.span,
                            !pat.is_pattern(),
                        ));
                    }
                }
            }
            RoleItem::From(f) => {
                if let Some(edge) = self.resolve_from(ty, f) {
                    self.graph.add_from(
                        edge.target,
                        edge.role,
                        ty,
                        role,
                        edge.path_text.clone(),
                        edge.default,
                    );
                    self.types[ty.index()].roles[role.index()].from.push(edge);
                }
            }
            RoleItem::Requires(f) => {
                if let Some(edge) = self.resolve_from(ty, f) {
                    self.types[ty.index()].roles[role.index()]
                        .requires
                        .push(edge);
                }
            }
            RoleItem::Sealed { .. } => {}
            RoleItem::Elevated { review, .. } => {
                let r = &mut self.types[ty.index()].roles[role.index()];
                r.elevated = true;
                if let Some(d) = review {
                    r.review = Some(u64::try_from(d.micros / 1_000_000).unwrap_or(0));
                }
            }
            RoleItem::Min(c) | RoleItem::Max(c) => {
                let is_min = matches!(item, RoleItem::Min(_));
                let r = &mut self.types[ty.index()].roles[role.index()];
                if is_min {
                    r.min = Some(c.value);
                } else {
                    r.max = Some(c.value);
                }
                if let (Some(min), Some(max)) = (r.min, r.max)
                    && min > max
                {
                    let name = r.name.clone();
                    let d = Diagnostic::new(
                        Code::E0305,
                        format!("role `{name}` has `min {min}` greater than `max {max}`"),
                    )
                    .primary(c.span, "no assignment data can satisfy both")
                    .help("lower `min` or raise `max`");
                    self.error(d);
                }
            }
        }
    }

    /// A role of `ty` by name; `E0202` with a suggestion when there is none.
    pub fn lookup_role(&mut self, ty: TypeId, name: &Ident) -> Option<RoleId> {
        let t = &self.types[ty.index()];
        if let Some(&r) = self.role_index.get(&(ty, name.name.as_str()))
            && r.index() < t.roles.len()
        {
            return Some(r);
        }
        let names: Vec<&str> = t.roles.iter().map(|r| r.name.as_str()).collect();
        let mut d = Diagnostic::new(
            Code::E0202,
            format!("`{}` has no role `{}`", t.name, name.name),
        )
        .primary(name.span, "unknown role");
        d = match did_you_mean(&name.name, names.iter().copied()) {
            Some(h) => d.help(h),
            None if names.is_empty() => d.help(format!("`{}` declares no roles", t.name)),
            None => d.help(format!(
                "the roles of `{}` are: {}",
                t.name,
                names.join(", ")
            )),
        };
        self.error(d);
        None
    }

    /// A relation of `ty` by name; `E0204` with a suggestion when there is none.
    pub fn lookup_relation(&mut self, ty: TypeId, name: &Ident) -> Option<RelId> {
        let t = &self.types[ty.index()];
        if let Some(r) = t.relation(&name.name) {
            return Some(r);
        }
        let names: Vec<&str> = t.relations.iter().map(|r| r.name.as_str()).collect();
        let mut d = Diagnostic::new(
            Code::E0204,
            format!("`{}` has no relation `{}`", t.name, name.name),
        )
        .primary(name.span, "unknown relation");
        d = match did_you_mean(&name.name, names.iter().copied()) {
            Some(h) => d.help(h),
            None if names.is_empty() => d.help(format!(
                "declare it in `{}`: `relation {}: TYPE;`",
                t.name, name.name
            )),
            None => d.help(format!(
                "the relations of `{}` are: {}",
                t.name,
                names.join(", ")
            )),
        };
        self.error(d);
        None
    }

    fn resolve_from(&mut self, ty: TypeId, f: &ast::FromClause) -> Option<FromEdge> {
        let mut cur = ty;
        let mut path = Vec::new();
        for hop in &f.path {
            let rel = self.lookup_relation(cur, hop)?;
            if self.broken_relations.contains(&(cur, rel)) {
                return None;
            }
            path.push(rel);
            cur = self.types[cur.index()].relations[rel.index()].target;
        }
        let role = self.lookup_role(cur, &f.role)?;
        let path_text = f
            .path
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>()
            .join(".");
        Some(FromEdge {
            role,
            path,
            path_text,
            target: cur,
            default: f.default,
        })
    }

    fn report_cycle(&mut self, cycle: &super::IncludeCycle) {
        let Some(first) = cycle.0.first() else { return };
        let ty = first.ty;
        let names: Vec<String> = cycle
            .0
            .iter()
            .map(|n| self.types[ty.index()].roles[n.role.index()].name.clone())
            .collect();
        let mut chain = names.clone();
        chain.push(names[0].clone());
        let mut d = Diagnostic::new(
            Code::E0301,
            format!(
                "roles of `{}` include each other in a cycle: {}",
                self.types[ty.index()].name,
                chain.join(" -> ")
            ),
        );
        // Label the `includes` entries that close the cycle; the message names every role, and
        // the labels stop at a few (drawing thousands of labels under one snippet is quadratic).
        for (k, n) in cycle.0.iter().enumerate().take(MAX_CYCLE_LABELS) {
            let next = &names[(k + 1) % names.len()];
            let build = &self.builds[ty.index()].roles[n.role.index()];
            let span = build.items.iter().find_map(|(item, _)| match item {
                RoleItem::Includes { roles, .. } => {
                    roles.iter().find(|r| &r.name == next).map(|r| r.span)
                }
                _ => None,
            });
            let span = span.unwrap_or(build.decl.name.span);
            let text = format!("`{}` includes `{next}`", names[k]);
            d = if k == 0 {
                d.primary(span, text)
            } else {
                d.secondary(span, text)
            };
        }
        self.error(d.help("a role cannot include itself, directly or through others: remove one of these includes"));
    }

    /// `implies`, `implied_by` and `effective` for every role.
    fn close_roles(&mut self) {
        for t in &mut self.types {
            crate::compiled::plan::close_roles(&mut t.roles);
        }
    }

    fn resolve_separations(&mut self) {
        for i in 0..self.builds.len() {
            let ty = TypeId(i as u32);
            for decl in self.builds[i].separations.clone() {
                let roles: Vec<RoleId> = decl
                    .roles
                    .iter()
                    .filter_map(|n| self.lookup_role(ty, n))
                    .collect();
                if roles.len() != decl.roles.len() {
                    continue;
                }
                for (r, role) in self.types[i].roles.iter().enumerate() {
                    let held: Vec<RoleId> = roles
                        .iter()
                        .copied()
                        .filter(|s| role.implies.contains(*s))
                        .collect();
                    if held.len() >= 2 {
                        let names: Vec<String> = held
                            .iter()
                            .map(|h| format!("`{}`", self.types[i].roles[h.index()].name))
                            .collect();
                        let d = Diagnostic::new(
                            Code::E0303,
                            format!(
                                "role `{}` includes {}, which must be held by different actors",
                                role.name,
                                names.join(" and ")
                            ),
                        )
                        .primary(
                            self.builds[i].roles[r].decl.name.span,
                            "every holder of this role holds both",
                        )
                        .secondary(decl.span, "separated here")
                        .help("remove one of the includes, or drop the separation");
                        self.diags.push(d);
                    }
                }
                let location = self.location(decl.span);
                self.types[i]
                    .separations
                    .push(Separation { roles, location });
            }
        }
    }
}
