//! Members: relations, attributes, permissions and what they assign, types, and the context and action fields.

use super::Resolver;
use crate::compiled::{self, Attribute, ContextField, Permission, Relation, Type, TypeDef, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::Span;
use crate::syntax::ast::{self, Ident};
use rustc_hash::FxHashMap;

impl<'a> Resolver<'a> {
    /// Relations, attributes and permissions of every type; creates the compiled type shells.
    pub(super) fn resolve_members(&mut self) {
        for i in 0..self.builds.len() {
            let (name, kind, doc) = {
                let b = &self.builds[i];
                (b.name.name.clone(), b.kind, b.doc.clone())
            };
            self.types.push(TypeDef {
                name,
                kind,
                doc,
                relations: Vec::new(),
                attributes: Vec::new(),
                permissions: Vec::new(),
                roles: Vec::new(),
                separations: Vec::new(),
                action_plans: Vec::new(),
                permits: Vec::new(),
                forbids: Vec::new(),
                role_plans: Vec::new(),
            });
        }
        for i in 0..self.builds.len() {
            let mut seen: FxHashMap<String, Span> = FxHashMap::default();
            let relations = self.builds[i].relations.clone();
            for r in relations {
                if !self.first_member(&mut seen, &r.name, i) {
                    continue;
                }
                let target = self.lookup_type(&r.target);
                if target.is_none() {
                    let rel = compiled::RelId(self.types[i].relations.len() as u32);
                    self.broken_relations.push((TypeId(i as u32), rel));
                }
                self.types[i].relations.push(Relation {
                    name: r.name.name.clone(),
                    target: target.unwrap_or(TypeId(0)),
                    many: r.many,
                });
            }
            let attributes = self.builds[i].attributes.clone();
            for a in attributes {
                if !self.first_member(&mut seen, &a.name, i) {
                    continue;
                }
                let ty = self.resolve_type(&a.ty).unwrap_or_else(|| {
                    let attr = compiled::AttrId(self.types[i].attributes.len() as u32);
                    self.broken_attributes.push((TypeId(i as u32), attr));
                    Type::Bool
                });
                self.types[i].attributes.push(Attribute {
                    name: a.name.name.clone(),
                    ty,
                    optional: a.optional,
                });
            }
            let mut seen_perms: FxHashMap<String, Span> = FxHashMap::default();
            let permissions = self.builds[i].permissions.clone();
            for (p, doc) in permissions {
                if let Some(prev) = seen_perms.get(&p.name) {
                    let d = Diagnostic::new(
                        Code::E0206,
                        format!(
                            "permission `{}` is declared twice in `{}`",
                            p.name, self.types[i].name
                        ),
                    )
                    .primary(p.span, "declared again here")
                    .secondary(*prev, "first declared here");
                    self.error(d);
                    continue;
                }
                seen_perms.insert(p.name.clone(), p.span);
                self.types[i].permissions.push(Permission {
                    name: p.name.clone(),
                    doc,
                    assigns: Vec::new(),
                });
            }
        }
    }

    /// `permissions P assigns R, ...;`: the roles, looked up in the permission's own type
    /// (`E0202` with a suggestion for an unknown one).
    pub(super) fn resolve_assigns(&mut self) {
        for i in 0..self.builds.len() {
            let assigns = self.builds[i].assigns.clone();
            let ty = TypeId(i as u32);
            for (perm, roles) in assigns {
                let Some(p) = self.types[i].permission(&perm.name) else {
                    continue;
                };
                for role in roles {
                    if let Some(r) = self.lookup_role(ty, role) {
                        let list = &mut self.types[i].permissions[p.index()].assigns;
                        if !list.contains(&r) {
                            list.push(r);
                        }
                    }
                }
            }
        }
    }

    /// Reports a relation or attribute whose name is taken; true when the name is new.
    fn first_member(
        &mut self,
        seen: &mut FxHashMap<String, Span>,
        name: &Ident,
        ty: usize,
    ) -> bool {
        if let Some(prev) = seen.get(&name.name) {
            let d = Diagnostic::new(
                Code::E0206,
                format!(
                    "`{}` already has a relation or attribute `{}`",
                    self.types[ty].name, name.name
                ),
            )
            .primary(name.span, "declared again here")
            .secondary(*prev, "first declared here");
            self.error(d);
            return false;
        }
        seen.insert(name.name.clone(), name.span);
        true
    }

    pub fn resolve_type(&mut self, t: &ast::TypeExpr) -> Option<Type> {
        match &t.kind {
            ast::TypeKind::Named(n) => match n.name.as_str() {
                "bool" => Some(Type::Bool),
                "int" => Some(Type::Int),
                "string" => Some(Type::String),
                "time" => Some(Type::Time),
                "duration" => Some(Type::Duration),
                name if !self.type_index.contains_key(name) => {
                    const BUILTIN: [&str; 5] = ["bool", "int", "string", "time", "duration"];
                    let types: Vec<&str> =
                        self.builds.iter().map(|b| b.name.name.as_str()).collect();
                    let d = Diagnostic::new(Code::E0201, format!("unknown type `{name}`"))
                        .primary(n.span, "not a type")
                        .help(match did_you_mean(name, BUILTIN.into_iter().chain(types.iter().copied())) {
                            Some(h) => h,
                            None => "types are `bool`, `int`, `string`, `time`, `duration`, `\"a\" | \"b\"`, `[T]`, or an actor or resource type".into(),
                        });
                    self.error(d);
                    None
                }
                _ => self.lookup_type(n).map(Type::Entity),
            },
            ast::TypeKind::Enum(values) => {
                let mut vs: Vec<String> = Vec::new();
                for v in values {
                    if !vs.contains(&v.value) {
                        vs.push(v.value.clone());
                    }
                }
                Some(Type::Enum(vs))
            }
            ast::TypeKind::List(inner) => self.resolve_type(inner).map(|t| Type::List(Box::new(t))),
            ast::TypeKind::Record(fields) => {
                let mut out: Vec<compiled::FieldType> = Vec::new();
                let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
                let mut ok = true;
                for f in fields {
                    if let Some(prev) = seen.insert(&f.name.name, f.name.span) {
                        let d = Diagnostic::new(
                            Code::E0206,
                            format!("record field `{}` is declared twice", f.name.name),
                        )
                        .primary(f.name.span, "declared again here")
                        .secondary(prev, "first declared here");
                        self.error(d);
                        ok = false;
                        continue;
                    }
                    match self.resolve_type(&f.ty) {
                        Some(ty) => out.push(compiled::FieldType {
                            name: f.name.name.clone(),
                            ty,
                            optional: f.optional,
                        }),
                        None => ok = false,
                    }
                }
                out.sort_by(|a, b| a.name.cmp(&b.name));
                ok.then_some(Type::Record(out))
            }
        }
    }

    /// The fields of the `context` blocks, and in the same way the properties of the `action`
    /// blocks: several blocks merge, a name declared twice is `E0206`.
    pub(super) fn resolve_context(&mut self) {
        self.context = self.data_fields(self.context_decls.clone(), "context field");
        self.action = self.data_fields(self.action_decls.clone(), "action property");
    }

    fn data_fields(&mut self, decls: Vec<&'a ast::AttributeDecl>, what: &str) -> Vec<ContextField> {
        let mut seen: FxHashMap<String, Span> = FxHashMap::default();
        let mut out = Vec::new();
        for f in decls {
            if let Some(prev) = seen.get(&f.name.name) {
                let d = Diagnostic::new(
                    Code::E0206,
                    format!("{what} `{}` is declared twice", f.name.name),
                )
                .primary(f.name.span, "declared again here")
                .secondary(*prev, "first declared here");
                self.error(d);
                continue;
            }
            seen.insert(f.name.name.clone(), f.name.span);
            if let Some(ty) = self.resolve_type(&f.ty) {
                out.push(ContextField {
                    name: f.name.name.clone(),
                    ty,
                    optional: f.optional,
                });
            }
        }
        out
    }
}
