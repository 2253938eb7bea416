//! Stage 3 output: the compiled policy. Names are resolved to indices, the role graph is closed,
//! and every (resource type, action) has a precomputed [`Plan`]: the roles whose direct
//! assignment grants it and the `from` edges to follow. It serializes to a versioned JSON
//! artifact (`polc compile`), which `eval` and `query` load without the sources.

pub mod artifact;
mod check;
pub mod expr;
pub(crate) mod fast;
pub mod plan;
mod roleset;
pub(crate) mod scc;
mod validate;

pub use artifact::{ArtifactError, SigningKey, VerifyingKey};
pub use expr::{CExpr, FieldType, Method, Type};
pub use roleset::RoleSet;

use crate::lang::{ConditionKind, Effect};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The artifact format version; a loader refuses any other. Version 3 stores what the sources
/// say (no closure, no plans, no rule index: they are rebuilt on load) inside an envelope with a
/// content hash and an optional signature.
pub const ARTIFACT_VERSION: u32 = 3;

macro_rules! index_type {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);
        impl $name {
            /// The id as an index into the vector it numbers.
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}

index_type! {
    /// An actor or resource type.
    TypeId;
    /// A role, numbered within its type.
    RoleId;
    /// A permission, numbered within its type.
    PermId;
    /// A relation, numbered within its type.
    RelId;
    /// An attribute, numbered within its type.
    AttrId;
    /// A rule of the policy.
    RuleId;
    /// A precomputed evaluation plan.
    PlanId;
}

/// Where something was declared: `file:line:column`, kept in the artifact for explanations
/// (as `[file, line, column]`, the shortest form: every role and rule has one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(String, usize, usize)", into = "(String, usize, usize)")]
pub struct Location {
    /// The file's path as given to the compiler.
    pub file: String,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

impl From<(String, usize, usize)> for Location {
    fn from((file, line, column): (String, usize, usize)) -> Location {
        Location { file, line, column }
    }
}

impl From<Location> for (String, usize, usize) {
    fn from(l: Location) -> (String, usize, usize) {
        (l.file, l.line, l.column)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Whether a type is an actor (`actor user;`) or a resource (`resource workspace { .. }`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Declared with `actor`: may be a request's principal; has no roles or permissions.
    Actor,
    /// Declared with `resource`: has permissions, roles and rules.
    Resource,
}

/// `relation name: Target;` (or `[Target]` for many) of a type.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// The relation's name, unique within its type.
    pub name: String,
    /// The type of the entities the relation points to.
    pub target: TypeId,
    /// `relation name: [Target]`: the relation may hold several entities.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub many: bool,
}

/// `attribute name: T;` of a type, read in conditions as `resource.name` (or `principal.name`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// The attribute's name, unique within its type.
    pub name: String,
    /// The attribute's type.
    pub ty: Type,
    /// `name?: T`: the attribute may be absent (read under `has`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// A permission (`permissions view, delete;`) of a resource type: what a request asks for.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// The permission's name (`view`, `users.invite`), unique within its type.
    pub name: String,
    /// The doc comment (`///`) written above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The roles of this type that holding this permission on an entity lets one assign and
    /// revoke there (`permissions P assigns R, ...;`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigns: Vec<RoleId>,
}

/// `from S on path` as resolved: holders of `role` on the entity reached by `path` (starting at
/// this role's type) hold this role.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromEdge {
    /// The role to hold on the entity at the end of `path` (on type `target`).
    pub role: RoleId,
    /// The relations followed, the first on this role's type.
    pub path: Vec<RelId>,
    /// Path as written (`workspace.organization`), for explanations.
    pub path_text: String,
    /// The type at the end of `path`, which declares `role`.
    pub target: TypeId,
    /// `default from`: applies only to actors without an assignment of their own on the entity.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
}

/// A role of a resource type with its items resolved and its closure derived.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// The role's name, unique within its type.
    pub name: String,
    /// The doc comment (`///`) written above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Where the role is declared.
    pub location: Location,
    /// Permissions granted directly (patterns expanded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<PermId>,
    /// Roles included directly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub includes: Vec<RoleId>,
    /// `from S on path;` and `default from S on path;`, in the order written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<FromEdge>,
    /// `requires S on path`: holders must also hold these (a data check, never a decision).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<FromEdge>,
    /// `sealed;`: no `extend` widens what its holders get (docs/language.md, "`extend` and `sealed`").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sealed: bool,
    /// `elevated;`: a privileged role whose direct assignments should expire (data checks W0204, W0205).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub elevated: bool,
    /// Review period of an elevated role, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<u64>,
    /// `min N;`: at least N actors must hold it directly on each resource (data check W0201).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// `max N;`: at most N actors may hold it directly on each resource (data check W0202).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// Roles held by holding this one: itself and its includes, transitively (derived: rebuilt
    /// on load, never serialized, so that the artifact stays linear in the policy).
    #[serde(skip)]
    pub implies: RoleSet,
    /// Roles whose holding implies this one (the inverse of `implies`; derived).
    #[serde(skip)]
    pub implied_by: RoleSet,
    /// Every permission this role gives, through its includes too (derived).
    #[serde(skip)]
    pub effective: Vec<PermId>,
}

/// `separate A, B;`: no actor may hold two of these roles on one resource (a data check).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Separation {
    /// The roles of the constraint, two or more, on the declaring type.
    pub roles: Vec<RoleId>,
    /// Where the constraint is declared.
    pub location: Location,
}

/// An actor or resource type with everything resolved.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeDef {
    /// The type's name, unique in the policy.
    pub name: String,
    /// Actor or resource.
    pub kind: Kind,
    /// The doc comment (`///`) written above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The relations, numbered by [`RelId`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    /// The attributes, numbered by [`AttrId`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// The permissions, numbered by [`PermId`] (empty for an actor type).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// The roles, numbered by [`RoleId`] (empty for an actor type).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// The `separate` constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub separations: Vec<Separation>,
    /// Per permission: the plan that decides whether roles give it (derived, like the three
    /// tables below: rebuilt on load from the roles and the rules, never serialized).
    #[serde(skip)]
    pub action_plans: Vec<PlanId>,
    /// Per permission: the `permit` rules that can give it.
    #[serde(skip)]
    pub permits: Vec<Vec<RuleId>>,
    /// Per permission: the `forbid` rules that can deny it.
    #[serde(skip)]
    pub forbids: Vec<Vec<RuleId>>,
    /// Per role: the plan that decides whether an actor holds it.
    #[serde(skip)]
    pub role_plans: Vec<PlanId>,
}

impl TypeDef {
    /// The role named `name` of this type.
    pub fn role(&self, name: &str) -> Option<RoleId> {
        self.roles
            .iter()
            .position(|r| r.name == name)
            .map(|i| RoleId(i as u32))
    }
    /// The permission named `name` of this type.
    pub fn permission(&self, name: &str) -> Option<PermId> {
        self.permissions
            .iter()
            .position(|p| p.name == name)
            .map(|i| PermId(i as u32))
    }
    /// The relation named `name` of this type.
    pub fn relation(&self, name: &str) -> Option<RelId> {
        self.relations
            .iter()
            .position(|r| r.name == name)
            .map(|i| RelId(i as u32))
    }
    /// The attribute named `name` of this type.
    pub fn attribute(&self, name: &str) -> Option<AttrId> {
        self.attributes
            .iter()
            .position(|a| a.name == name)
            .map(|i| AttrId(i as u32))
    }
}

/// A declared context field (also an action property: the same name, type and `?`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextField {
    /// The field's name (`context.name`).
    pub name: String,
    /// The field's type.
    pub ty: Type,
    /// Declared `x?: T`: read only under `context has x`.
    #[serde(default)]
    pub optional: bool,
}

/// A `permit` or `forbid` rule.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `permit` or `forbid`.
    pub effect: Effect,
    /// The resource type the rule is about.
    pub resource: TypeId,
    /// The permissions it applies to (patterns expanded).
    pub actions: Vec<PermId>,
    /// `when` / `unless` and the compiled condition; `None`: the rule always applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<(ConditionKind, CExpr)>,
    /// The doc comment (`///`) written above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The rule as written, for explanations.
    pub text: String,
    /// Where the rule is declared.
    pub location: Location,
}

/// The `from` edges of a plan that share a relation path and `default`-ness, merged: the entity
/// at the end of `path` is asked once for the union of their source roles. If `default`, they
/// only apply to actors without an assignment of their own on the entity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanEdge {
    /// The relations followed from the plan's type.
    pub path: Vec<RelId>,
    /// Whether the merged edges are `default from` edges.
    pub default: bool,
    /// Decides the union of the source roles on the entity at the end of `path`.
    pub plan: PlanId,
    /// The edges merged here, in the order the roles and their `from` lists give.
    pub via: Vec<EdgeSource>,
}

/// One `from` edge merged into a [`PlanEdge`]: `role` (on the plan's type) is given by holding
/// `source` at the end of the path; it is edge number `edge` of `role`'s `from` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeSource {
    /// The role on the plan's type that the edge gives.
    pub role: RoleId,
    /// The edge's index in `role`'s [`Role::from`].
    pub edge: u32,
    /// The role held at the end of the path.
    pub source: RoleId,
}

/// How to decide "does the actor hold one of `roles` on an entity of type `ty`".
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    /// The resource type the plan is about.
    pub ty: TypeId,
    /// The roles asked about: holding any of them on the entity satisfies the plan.
    pub roles: RoleSet,
    /// Roles whose direct assignment on the entity is enough.
    pub direct: RoleSet,
    /// The `from` edges to follow when no direct assignment is enough, merged by path.
    pub edges: Vec<PlanEdge>,
}

/// A compiled policy: what evaluation needs, and nothing of the sources but locations. It
/// serializes to the artifact's payload (what the sources say); the plans and every table
/// marked derived are rebuilt by [`Policy::new`] and [`Policy::from_artifact`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Every actor and resource type, numbered by [`TypeId`].
    pub types: Vec<TypeDef>,
    /// The declared context fields (`context { .. }`), numbered by position.
    pub context: Vec<ContextField>,
    /// The action properties a request may carry (`action { soft?: bool; }`, AuthZEN
    /// `action.properties`), read as `action.soft`. Left out of the artifact when there are none,
    /// so a policy without them compiles to the same artifact as before they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action: Vec<ContextField>,
    /// Every rule, numbered by [`RuleId`].
    pub rules: Vec<Rule>,
    /// The plans, numbered by [`PlanId`] (derived: rebuilt on load, never serialized).
    #[serde(skip)]
    pub plans: Vec<Plan>,
    #[serde(skip)]
    type_index: FxHashMap<String, TypeId>,
    /// The plans flattened for decisions without reasons (derived, never serialized).
    #[serde(skip)]
    pub(crate) fast: fast::FastIndex,
}

impl Policy {
    /// Builds a policy from resolved parts and derives its indexes (the type index and the
    /// flattened plans). Action properties are added with [`Policy::with_action`].
    pub fn new(
        types: Vec<TypeDef>,
        context: Vec<ContextField>,
        rules: Vec<Rule>,
        plans: Vec<Plan>,
    ) -> Policy {
        let mut p = Policy {
            types,
            context,
            action: Vec::new(),
            rules,
            plans,
            type_index: FxHashMap::default(),
            fast: fast::FastIndex::default(),
        };
        p.index();
        p.fast = fast::FastIndex::build(&p.types, &p.plans);
        p
    }

    fn index(&mut self) {
        self.type_index = self
            .types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), TypeId(i as u32)))
            .collect();
    }

    /// The type named `name`.
    pub fn type_id(&self, name: &str) -> Option<TypeId> {
        self.type_index.get(name).copied()
    }

    /// The type `id`. Panics if `id` is not one of this policy's types.
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[id.index()]
    }

    /// The name of type `id`. Panics if `id` is not one of this policy's types.
    pub fn type_name(&self, id: TypeId) -> &str {
        &self.types[id.index()].name
    }

    /// The plan `id`. Panics if `id` is out of range.
    pub fn plan(&self, id: PlanId) -> &Plan {
        &self.plans[id.index()]
    }

    /// The rule `id`. Panics if `id` is out of range.
    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[id.index()]
    }

    /// The index in [`Policy::context`] of the context field named `name`.
    pub fn context_field(&self, name: &str) -> Option<usize> {
        self.context.iter().position(|f| f.name == name)
    }

    /// The index of a declared action property.
    pub fn action_field(&self, name: &str) -> Option<usize> {
        self.action.iter().position(|f| f.name == name)
    }

    /// The same policy with these declared action properties.
    pub fn with_action(mut self, action: Vec<ContextField>) -> Policy {
        self.action = action;
        self
    }
}

/// The resolved role graph as text: per type, each role with its includes, the `from` edges that
/// give it and its effective permissions (`polc debug graph`).
pub fn describe(p: &Policy) -> String {
    let mut out = String::new();
    for t in &p.types {
        let kind = match t.kind {
            Kind::Actor => "actor",
            Kind::Resource => "resource",
        };
        out.push_str(&format!("{kind} {}\n", t.name));
        for r in &t.relations {
            let target = p.type_name(r.target);
            let target = if r.many {
                format!("[{target}]")
            } else {
                target.to_string()
            };
            out.push_str(&format!("  relation {}: {target}\n", r.name));
        }
        for role in &t.roles {
            out.push_str(&format!("  role {}", role.name));
            let mut marks = Vec::new();
            if role.sealed {
                marks.push("sealed".to_string());
            }
            if role.elevated {
                marks.push(match role.review {
                    Some(s) => format!("elevated, review {}d", s / 86_400),
                    None => "elevated".into(),
                });
            }
            if let Some(m) = role.min {
                marks.push(format!("min {m}"));
            }
            if let Some(m) = role.max {
                marks.push(format!("max {m}"));
            }
            if !marks.is_empty() {
                out.push_str(&format!(" ({})", marks.join(", ")));
            }
            out.push('\n');
            for inc in &role.includes {
                out.push_str(&format!("    includes {}\n", t.roles[inc.index()].name));
            }
            for e in &role.from {
                let kind = if e.default { "default from" } else { "from" };
                out.push_str(&format!(
                    "    {kind} {} on {} ({})\n",
                    p.ty(e.target).roles[e.role.index()].name,
                    e.path_text,
                    p.type_name(e.target)
                ));
            }
            let perms: Vec<&str> = role
                .effective
                .iter()
                .map(|x| t.permissions[x.index()].name.as_str())
                .collect();
            out.push_str(&format!(
                "    permissions: {}\n",
                if perms.is_empty() {
                    "(none)".into()
                } else {
                    perms.join(", ")
                }
            ));
        }
    }
    out
}
