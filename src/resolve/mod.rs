//! Stage 2, resolve: AST -> compiled [`Policy`]. Names, types, the role graph, and the checks and
//! lints of docs/language.md, "Diagnostics". Every problem is reported; the policy is built only when there
//! is no error.

mod graph;
mod lints;
mod roles;
mod sealed;
mod typeck;

pub use graph::{IncludeCycle, RoleEdge, RoleGraph, RoleNode};

use crate::compiled::{
    self, Attribute, ContextField, Kind, Location, Permission, Policy, Relation, Rule, Type,
    TypeDef, TypeId,
};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Ident, Item, Member};
use rustc_hash::FxHashMap;

/// What resolving a set of files produced.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The compiled policy, when there was no error.
    pub policy: Option<Policy>,
    /// The role graph, partial when there were errors.
    pub graph: RoleGraph,
    /// Every error and warning of resolving, type-checking and the policy lints.
    pub diagnostics: Vec<Diagnostic>,
}

/// Resolves parsed files (one policy) into a compiled policy.
pub fn resolve(files: &[ast::File], sources: &SourceMap) -> Resolved {
    let mut r = Resolver::new(sources);
    r.collect(files);
    r.resolve_members();
    r.resolve_roles();
    r.resolve_assigns();
    r.resolve_context();
    r.resolve_rules();
    r.check_sealed_permits();
    r.check_blocks(files);
    // Lints on a policy with errors mostly repeat the errors (a grant that failed to resolve
    // leaves its role granting nothing): they wait until the errors are fixed.
    if !r.diags.iter().any(Diagnostic::is_error) {
        lints::run(&mut r, files);
    }
    r.finish()
}

/// A direct grant as written: the permission, where, and whether it was an exact name.
pub(crate) type GrantSpan = (compiled::PermId, Span, bool);

/// A role being built: its first declaration, and every item from it and from `extend` blocks.
pub(crate) struct RoleBuild<'a> {
    pub decl: &'a ast::RoleDecl,
    /// Items with whether they came from an `extend` block.
    pub items: Vec<(&'a ast::RoleItem, bool)>,
    /// Where `sealed` was written, if it was.
    pub sealed: Option<Span>,
    /// The patterns of `sealed except ...`: what an `extend` may still grant.
    pub except: Vec<String>,
}

/// A type being built.
pub(crate) struct TypeBuild<'a> {
    pub name: &'a Ident,
    pub kind: Kind,
    pub doc: Option<String>,
    pub relations: Vec<&'a ast::RelationDecl>,
    pub attributes: Vec<&'a ast::AttributeDecl>,
    pub permissions: Vec<(&'a Ident, Option<String>)>,
    /// `permissions P, ... assigns R, ...;`: each permission with the roles it assigns.
    pub assigns: Vec<(&'a Ident, &'a [Ident])>,
    pub roles: Vec<RoleBuild<'a>>,
    pub rules: Vec<&'a ast::RuleDecl>,
    pub separations: Vec<&'a ast::SeparateDecl>,
}

pub(crate) struct Resolver<'a> {
    pub sources: &'a SourceMap,
    pub diags: Vec<Diagnostic>,
    pub builds: Vec<TypeBuild<'a>>,
    pub type_index: FxHashMap<&'a str, TypeId>,
    pub context_decls: Vec<&'a ast::AttributeDecl>,
    /// The fields of every `action { ... }` block.
    pub action_decls: Vec<&'a ast::AttributeDecl>,
    /// The compiled types, filled in step by step.
    pub types: Vec<TypeDef>,
    pub context: Vec<ContextField>,
    /// The declared action properties (`action { ... }`).
    pub action: Vec<ContextField>,
    pub rules: Vec<Rule>,
    /// AST of each compiled rule, for lints.
    pub rule_decls: Vec<&'a ast::RuleDecl>,
    pub graph: RoleGraph,
    /// Roles named in conditions (`principal is R on ...`), for the unused-role lint.
    pub roles_used_in_rules: Vec<(TypeId, compiled::RoleId)>,
    /// Spans of each role's direct grants and includes, for lints.
    pub grant_spans: FxHashMap<(TypeId, compiled::RoleId), Vec<GrantSpan>>,
    /// Relations whose target type is unknown (already reported): what walks them is not
    /// reported again.
    pub broken_relations: Vec<(TypeId, compiled::RelId)>,
    /// The actor types, once computed (see `typeck`).
    pub actor_types: Option<Vec<TypeId>>,
    /// Attributes whose type is unknown (already reported).
    pub broken_attributes: Vec<(TypeId, compiled::AttrId)>,
    /// Permissions declared in `extend` blocks, by type and name, with where.
    pub extended_permissions: FxHashMap<(TypeId, String), Span>,
    /// Spans of the grant patterns and include names written in `extend` blocks.
    pub extend_spans: rustc_hash::FxHashSet<Span>,
    /// Includes written in `extend` blocks: (type, role, included role, span).
    pub extend_includes: Vec<(TypeId, compiled::RoleId, compiled::RoleId, Span)>,
    /// Warnings found while type-checking conditions, reported with the lints (only when the
    /// policy has no errors).
    pub condition_warnings: Vec<Diagnostic>,
    /// Each role's number by type and name (its place in `builds[ty].roles`, which is its
    /// `RoleId`): a lookup by name is one hash probe, not a scan of the type's roles (a type
    /// of 10,000 roles once took seconds to resolve).
    pub role_index: FxHashMap<(TypeId, &'a str), compiled::RoleId>,
}

impl<'a> Resolver<'a> {
    fn new(sources: &'a SourceMap) -> Resolver<'a> {
        Resolver {
            sources,
            diags: Vec::new(),
            builds: Vec::new(),
            type_index: FxHashMap::default(),
            context_decls: Vec::new(),
            action_decls: Vec::new(),
            types: Vec::new(),
            context: Vec::new(),
            action: Vec::new(),
            rules: Vec::new(),
            rule_decls: Vec::new(),
            graph: RoleGraph::default(),
            roles_used_in_rules: Vec::new(),
            grant_spans: FxHashMap::default(),
            broken_relations: Vec::new(),
            broken_attributes: Vec::new(),
            actor_types: None,
            extended_permissions: FxHashMap::default(),
            extend_spans: rustc_hash::FxHashSet::default(),
            extend_includes: Vec::new(),
            condition_warnings: Vec::new(),
            role_index: FxHashMap::default(),
        }
    }

    pub fn location(&self, span: Span) -> Location {
        let lc = self.sources.line_col(span);
        Location {
            file: self.sources.name(span.file).to_string(),
            line: lc.line,
            column: lc.column,
        }
    }

    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Looks a type up, reporting `E0201` with a suggestion when it is unknown.
    pub fn lookup_type(&mut self, name: &Ident) -> Option<TypeId> {
        if let Some(id) = self.type_index.get(name.name.as_str()) {
            return Some(*id);
        }
        let mut d = Diagnostic::new(Code::E0201, format!("unknown type `{}`", name.name))
            .primary(name.span, "no actor or resource has this name");
        let names: Vec<&str> = self.builds.iter().map(|b| b.name.name.as_str()).collect();
        d = match did_you_mean(&name.name, names.iter().copied()) {
            Some(h) => d.help(h),
            None => d.help("declare it with `resource NAME { ... }` or `actor NAME;`"),
        };
        self.error(d);
        None
    }

    // --- collect -------------------------------------------------------------------------------

    fn collect(&mut self, files: &'a [ast::File]) {
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
            if kind == Kind::Actor {
                let wrong = match m {
                    Member::Relation(_) | Member::Attribute(_) => None,
                    Member::Permissions(p) => Some(("permissions", p.span)),
                    Member::Role(r) => Some(("roles", r.span)),
                    Member::Rule(r) => Some(("rules", r.span)),
                    Member::Separate(s) => Some(("`separate`", s.span)),
                };
                if let Some((what, span)) = wrong {
                    let d = Diagnostic::new(
                        Code::E0306,
                        format!("an actor type cannot have {what}"),
                    )
                    .primary(span, "not allowed in an `actor` block")
                    .help("actors hold roles on resources: declare this in a `resource` block");
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

    // --- members -------------------------------------------------------------------------------

    /// Relations, attributes and permissions of every type; creates the compiled type shells.
    fn resolve_members(&mut self) {
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
    fn resolve_assigns(&mut self) {
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
    fn resolve_context(&mut self) {
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

    // --- rules ---------------------------------------------------------------------------------

    fn resolve_rules(&mut self) {
        for i in 0..self.builds.len() {
            let ty = TypeId(i as u32);
            for decl in self.builds[i].rules.clone() {
                let mut actions = Vec::new();
                for pat in &decl.actions {
                    for p in self.expand_pattern(ty, pat) {
                        if !actions.contains(&p) {
                            actions.push(p);
                        }
                    }
                }
                let condition = decl
                    .condition
                    .as_ref()
                    .map(|c| (c.kind, typeck::check_condition(self, ty, &c.expr)));
                let condition = match condition {
                    Some((kind, Some(e))) => Some((kind, e)),
                    Some((_, None)) => continue,
                    None => None,
                };
                let text = self.sources.slice(decl.span).trim().to_string();
                self.rules.push(Rule {
                    effect: decl.effect,
                    resource: ty,
                    actions,
                    condition,
                    doc: decl.doc.clone(),
                    text,
                    location: self.location(decl.span),
                });
                self.rule_decls.push(decl);
            }
        }
        compiled::plan::index_rules(&mut self.types, &self.rules);
    }

    /// The permissions of `ty` a name or pattern stands for; reports `E0203` / `E0304`.
    pub fn expand_pattern(&mut self, ty: TypeId, pat: &ast::Pattern) -> Vec<compiled::PermId> {
        let t = &self.types[ty.index()];
        let matched: Vec<compiled::PermId> = t
            .permissions
            .iter()
            .enumerate()
            .filter(|(_, p)| pattern_matches(&pat.text, &p.name))
            .map(|(i, _)| compiled::PermId(i as u32))
            .collect();
        if matched.is_empty() {
            let names: Vec<&str> = t.permissions.iter().map(|p| p.name.as_str()).collect();
            let d = if pat.is_pattern() {
                Diagnostic::new(
                    Code::E0304,
                    format!(
                        "pattern `{}` matches no permission of `{}`",
                        pat.text, t.name
                    ),
                )
                .primary(pat.span, "matches nothing")
                .help(if names.is_empty() {
                    format!("`{}` declares no permissions", t.name)
                } else {
                    format!("the permissions of `{}` are: {}", t.name, names.join(", "))
                })
            } else {
                let mut d = Diagnostic::new(
                    Code::E0203,
                    format!("`{}` has no permission `{}`", t.name, pat.text),
                )
                .primary(pat.span, "unknown permission");
                d = match did_you_mean(&pat.text, names.iter().copied()) {
                    Some(h) => d.help(h),
                    None => d.help(format!(
                        "declare it in `{}`: `permissions {};`",
                        t.name, pat.text
                    )),
                };
                d
            };
            self.error(d);
        }
        matched
    }

    // --- facts blocks and tests ----------------------------------------------------------------

    /// Names of `facts` blocks and tests: duplicates, and `use` of unknown blocks.
    fn check_blocks(&mut self, files: &[ast::File]) {
        let mut facts: FxHashMap<&str, Span> = FxHashMap::default();
        let mut tests: FxHashMap<&str, Span> = FxHashMap::default();
        for item in files.iter().flat_map(|f| &f.items) {
            match item {
                Item::Facts(b) => {
                    if let Some(prev) = facts.insert(&b.name.name, b.name.span) {
                        let d = Diagnostic::new(
                            Code::E0206,
                            format!("facts block `{}` is declared twice", b.name.name),
                        )
                        .primary(b.name.span, "declared again here")
                        .secondary(prev, "first declared here");
                        self.error(d);
                    }
                }
                Item::Test(t) => {
                    if let Some(prev) = tests.insert(&t.name.value, t.name.span) {
                        let d = Diagnostic::new(
                            Code::E0206,
                            format!("test \"{}\" is declared twice", t.name.value),
                        )
                        .primary(t.name.span, "declared again here")
                        .secondary(prev, "first declared here")
                        .help("test names identify failures: give each test its own name");
                        self.error(d);
                    }
                }
                _ => {}
            }
        }
        for item in files.iter().flat_map(|f| &f.items) {
            let Item::Test(t) = item else { continue };
            for step in &t.steps {
                let ast::TestStep::Use(name) = step else {
                    continue;
                };
                if !facts.contains_key(name.name.as_str()) {
                    let mut d = Diagnostic::new(
                        Code::E0207,
                        format!("no facts block is named `{}`", name.name),
                    )
                    .primary(name.span, "unknown facts block");
                    d = match did_you_mean(&name.name, facts.keys().copied()) {
                        Some(h) => d.help(h),
                        None => d.help(format!("declare it with `facts {} {{ ... }}`", name.name)),
                    };
                    self.error(d);
                }
            }
        }
    }

    fn finish(mut self) -> Resolved {
        let has_errors = self.diags.iter().any(Diagnostic::is_error);
        self.diags
            .sort_by_key(|d| (d.span().map(|s| (s.file, s.start)), d.code));
        let policy = if has_errors {
            None
        } else {
            let mut types = std::mem::take(&mut self.types);
            let plans = compiled::plan::build(&mut types);
            Some(
                Policy::new(
                    types,
                    std::mem::take(&mut self.context),
                    std::mem::take(&mut self.rules),
                    plans,
                )
                .with_action(std::mem::take(&mut self.action)),
            )
        };
        Resolved {
            policy,
            graph: self.graph,
            diagnostics: self.diags,
        }
    }
}

/// Whether a permission name matches a name or pattern (docs/language.md, "Permissions and patterns"): `*` matches
/// everything; a trailing `.*` matches every permission below the prefix at any depth; a leading
/// `*.` matches exactly one segment. Other `*` segments match one segment each.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(prefix) = pattern.strip_suffix(".*") {
        return name.len() > prefix.len() + 1
            && name.starts_with(prefix)
            && name.as_bytes()[prefix.len()] == b'.'
            && segments_match(prefix, &name[..prefix.len()]);
    }
    segments_match(pattern, name)
}

fn segments_match(pattern: &str, name: &str) -> bool {
    let (mut p, mut n) = (pattern.split('.'), name.split('.'));
    loop {
        match (p.next(), n.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || a == b => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pattern_matches;

    #[test]
    fn patterns_follow_the_language_reference() {
        assert!(pattern_matches("*", "view"));
        assert!(pattern_matches("tools.*", "tools.jira.read"));
        assert!(pattern_matches("tools.*", "tools.jira"));
        assert!(!pattern_matches("tools.*", "tools"));
        assert!(!pattern_matches("tools.*", "toolsx.a"));
        assert!(pattern_matches("*.view", "users.view"));
        assert!(!pattern_matches("*.view", "view"));
        assert!(!pattern_matches("*.view", "a.b.view"));
        assert!(pattern_matches("view", "view"));
        assert!(!pattern_matches("view", "views"));
    }
}
