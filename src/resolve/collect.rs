//! Collecting the declarations: each type with its members and roles, across `extend` blocks.

use super::{Resolver, RoleBuild, TypeBuild};
use crate::compiled::{self, Kind, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::Span;
use crate::syntax::ast::{self, Item, Member};
use rustc_hash::FxHashMap;

impl<'a> Resolver<'a> {
    pub(super) fn collect(&mut self, files: &'a [ast::File]) {
        let mut first_decl: FxHashMap<&'a str, Span> = FxHashMap::default();
        for file in files {
            for item in &file.items {
                let (name, kind, doc, members, extend) = match item {
                    Item::Actor(a) => (&a.name, Kind::Actor, &a.doc, &a.members, false),
                    Item::Resource(r) => (&r.name, Kind::Resource, &r.doc, &r.members, r.extend),
                    Item::Context(c) => {
                        self.context_decls.extend(c.fields.iter());
                        continue;
                    }
                    Item::Action(c) => {
                        self.action_decls.extend(c.fields.iter());
                        continue;
                    }
                    _ => continue,
                };
                if extend {
                    continue;
                }
                if let Some(prev) = first_decl.get(name.name.as_str()) {
                    let d = Diagnostic::new(Code::E0206, format!("type `{}` is declared twice", name.name))
                        .primary(name.span, "declared again here")
                        .secondary(*prev, "first declared here")
                        .help(match kind {
                            Kind::Resource => format!("to add to `{}` from another file, write `extend resource {} {{ ... }}`", name.name, name.name),
                            Kind::Actor => "declare each actor type once, in one file".to_string(),
                        });
                    self.error(d);
                    continue;
                }
                first_decl.insert(&name.name, name.span);
                let id = TypeId(self.builds.len() as u32);
                self.type_index.insert(&name.name, id);
                self.builds.push(TypeBuild {
                    name,
                    kind,
                    doc: doc.clone(),
                    relations: Vec::new(),
                    attributes: Vec::new(),
                    permissions: Vec::new(),
                    assigns: Vec::new(),
                    roles: Vec::new(),
                    rules: Vec::new(),
                    separations: Vec::new(),
                });
                self.add_members(id, members, false);
            }
        }
        // `extend` blocks apply after every declaration, in file order.
        for file in files {
            for item in &file.items {
                let Item::Resource(r) = item else { continue };
                if !r.extend {
                    continue;
                }
                match self.type_index.get(r.name.name.as_str()).copied() {
                    Some(id) if self.builds[id.index()].kind == Kind::Actor => {
                        let d = Diagnostic::new(Code::E0208, format!("`{}` is an actor, not a resource", r.name.name))
                            .primary(r.name.span, "cannot be extended as a resource")
                            .help("only resources can be extended; declare actor attributes in the `actor` block");
                        self.error(d);
                    }
                    Some(id) => self.add_members(id, &r.members, true),
                    None => {
                        let names: Vec<&str> =
                            self.builds.iter().map(|b| b.name.name.as_str()).collect();
                        let mut d = Diagnostic::new(
                            Code::E0208,
                            format!(
                                "`extend resource {}` names no declared resource",
                                r.name.name
                            ),
                        )
                        .primary(r.name.span, "not declared");
                        d = match did_you_mean(&r.name.name, names.iter().copied()) {
                            Some(h) => d.help(h),
                            None => d.help(format!(
                                "declare it first with `resource {} {{ ... }}`",
                                r.name.name
                            )),
                        };
                        self.error(d);
                    }
                }
            }
        }
    }

    fn add_members(&mut self, id: TypeId, members: &'a [Member], extend: bool) {
        let kind = self.builds[id.index()].kind;
        for m in members {
            // An actor may also be what a request acts on (AuthZEN's `can_read_user` on a
            // `user`): it takes permissions and rules. Roles are held *on* resources, by actors:
            // a role on an actor type, or `separate` between such roles, has no holder to mean.
            if kind == Kind::Actor {
                let wrong = match m {
                    Member::Relation(_)
                    | Member::Attribute(_)
                    | Member::Permissions(_)
                    | Member::Rule(_) => None,
                    Member::Role(r) => Some(("roles", r.span)),
                    Member::Separate(s) => Some(("`separate`", s.span)),
                };
                if let Some((what, span)) = wrong {
                    let d = Diagnostic::new(
                        Code::E0306,
                        format!("an actor type cannot have {what}"),
                    )
                    .primary(span, "not allowed in an `actor` block")
                    .help("actors hold roles on resources: declare this in a `resource` block; an `actor` block takes attributes, relations, permissions and rules");
                    self.error(d);
                    continue;
                }
            }
            if extend && let Member::Permissions(p) = m {
                for n in &p.names {
                    self.extended_permissions
                        .entry((id, n.name.clone()))
                        .or_insert(n.span);
                }
            }
            let b = &mut self.builds[id.index()];
            match m {
                Member::Relation(r) => b.relations.push(r),
                Member::Attribute(a) => b.attributes.push(a),
                Member::Permissions(p) => {
                    b.permissions
                        .extend(p.names.iter().map(|n| (n, p.doc.clone())));
                    if !p.assigns.is_empty() {
                        b.assigns
                            .extend(p.names.iter().map(|n| (n, p.assigns.as_slice())));
                    }
                }
                Member::Rule(r) => b.rules.push(r),
                Member::Separate(s) => b.separations.push(s),
                Member::Role(decl) => self.add_role(id, decl, extend),
            }
        }
    }

    fn add_role(&mut self, id: TypeId, decl: &'a ast::RoleDecl, extend: bool) {
        let sealed_here = decl.items.iter().find_map(|i| match i {
            ast::RoleItem::Sealed { span, except } => Some((*span, except)),
            _ => None,
        });
        let except = |e: &Vec<ast::Pattern>| e.iter().map(|p| p.text.clone()).collect();
        let b = &mut self.builds[id.index()];
        let Some(pos) = self
            .role_index
            .get(&(id, decl.name.name.as_str()))
            .map(|r| r.index())
        else {
            self.role_index.insert(
                (id, decl.name.name.as_str()),
                compiled::RoleId(b.roles.len() as u32),
            );
            b.roles.push(RoleBuild {
                decl,
                items: decl.items.iter().map(|i| (i, extend)).collect(),
                sealed: sealed_here.map(|s| s.0),
                except: sealed_here.map(|s| except(s.1)).unwrap_or_default(),
            });
            return;
        };
        if !extend {
            let prev = b.roles[pos].decl.name.span;
            let d = Diagnostic::new(
                Code::E0206,
                format!(
                    "role `{}` is declared twice in `{}`",
                    decl.name.name, b.name.name
                ),
            )
            .primary(decl.name.span, "declared again here")
            .secondary(prev, "first declared here")
            .help("merge the two declarations, or add to the role from an `extend resource` block");
            self.error(d);
            return;
        }
        // Every item joins the role; what an `extend` may not add to a sealed role is reported
        // once the role graph is known (`sealed.rs`). An `extend` may seal a role that is not
        // sealed yet (that narrows it).
        let role = &mut b.roles[pos];
        if role.sealed.is_none()
            && let Some((span, e)) = sealed_here
        {
            role.sealed = Some(span);
            role.except = except(e);
        }
        role.items.extend(decl.items.iter().map(|i| (i, true)));
    }
}
