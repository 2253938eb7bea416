//! `can A assign R on E to B`: may an actor assign (or revoke) a role on an entity to another
//! actor? Decided like any action: `A` may when it may do one of the permissions of `E`'s type
//! that assign `R` (`permissions P assigns R, ...;`), through the same roles and rules, so a
//! `forbid` on `P` stops it. Two more things are read:
//!
//! - the request carries the assignment: when the policy's context declares `assignee` (of the
//!   assignee's actor type) and `assigned_role` (a string, or an enumeration holding the role's
//!   name), they are set, so `forbid manage_members when context has assignee && context.assignee
//!   == principal;` stops a self-assignment;
//! - an assignment that would give `B` two roles of one `separate` declaration on `E` is refused
//!   (the data check W0203 would report it afterwards).
//!
//! Requests in JSON (`polc eval`, the AuthZEN server) ask it in the AuthZEN shape: the action
//! `{"name": "assign", "properties": {"role": R, "assignee": B}}`, with the assigner as the
//! principal (subject) and the entity as the resource; [`question`] reads it and
//! [`decide_assign_request`] decides it.

use super::query::holds_role;
use super::request::{Context, Entity, Request, UnknownProperty};
use super::{Decision, Explainer, decide};
use crate::compiled::{Kind, PermId, Policy, RoleId, Type, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::facts::{Facts, Value};
use crate::source::Span;

/// The action name of an assignment question in request JSON.
pub const ACTION: &str = "assign";

/// What an assignment question asks besides its principal and resource: the role and who would
/// receive it.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The role that would be assigned, on the request's resource.
    pub role: RoleId,
    /// Who would receive the role.
    pub assignee: Entity,
}

/// Whether a request's action (JSON) is an assignment question: named `assign`, with an
/// `assignee` among its `properties`. A permission that happens to be named `assign` is still
/// asked as before (without an `assignee` property).
pub fn is_question(action: &serde_json::Value) -> bool {
    action.get("name").and_then(serde_json::Value::as_str) == Some(ACTION)
        && action
            .get("properties")
            .and_then(serde_json::Value::as_object)
            .is_some_and(|p| p.contains_key("assignee"))
}

/// Reads the assignment of an action for which [`is_question`] holds, on a resource of type
/// `on`: `properties.role` must name a role of the type (E0202, with the nearest name),
/// `properties.assignee` an actor (`"type:id"` or `{"type": T, "id": I}`; E0401, E0502); a
/// missing or ill-typed one is E0501. The action's other properties are set on `ctx` as
/// action properties (`unknown` says what an undeclared one does). `span` is where the action
/// is written.
pub fn question(
    policy: &Policy,
    facts: &Facts,
    ctx: &mut Context,
    on: TypeId,
    action: &serde_json::Value,
    unknown: UnknownProperty,
    span: Span,
) -> Result<Assignment, Diagnostic> {
    let malformed = |field: &str, what: &str| {
        Diagnostic::new(
            Code::E0501,
            format!("malformed request JSON: `action.properties.{field}` {what}"),
        )
        .primary(span, "in this assignment question")
        .help(
            "an assignment question's action is `{\"name\": \"assign\", \"properties\": {\"role\": \"ROLE\", \"assignee\": \"TYPE:ID\"}}`",
        )
    };
    let empty = serde_json::Map::new();
    let props = action
        .get("properties")
        .and_then(serde_json::Value::as_object)
        .unwrap_or(&empty);
    let role = match props.get("role") {
        Some(serde_json::Value::String(r)) => r,
        Some(_) => return Err(malformed("role", "must be a string naming a role")),
        None => return Err(malformed("role", "is missing: name the role to assign")),
    };
    let role = crate::facts::check::Checker::new(policy)
        .role(on, crate::facts::check::Named { name: role, span })?;
    let assignee = match props.get("assignee") {
        Some(serde_json::Value::String(text)) => {
            super::request::entity_from_text(policy, facts, text, span, "assignee")?
        }
        Some(serde_json::Value::Object(e)) => match (e.get("type"), e.get("id")) {
            (Some(serde_json::Value::String(ty)), Some(serde_json::Value::String(id))) => {
                Entity::new(policy, facts, ty, id, span)?
            }
            _ => return Err(malformed("assignee", "must have a string `type` and `id`")),
        },
        _ => {
            return Err(malformed(
                "assignee",
                "must be an actor, `\"TYPE:ID\"` or `{\"type\": T, \"id\": I}`",
            ));
        }
    };
    if policy.ty(assignee.ty).kind != Kind::Actor {
        return Err(Diagnostic::new(
            Code::E0502,
            format!("`{}` is not an actor type", policy.type_name(assignee.ty)),
        )
        .primary(span, "the assignee must be an actor")
        .help("roles are assigned to actors, such as a `user`"));
    }
    let mut rest = props.clone();
    rest.remove("role");
    rest.remove("assignee");
    if !rest.is_empty() {
        let action = serde_json::json!({ "name": ACTION, "properties": rest });
        ctx.apply_action_json(policy, facts, &action, unknown, span)?;
    }
    Ok(Assignment { role, assignee })
}

/// Decides the assignment question `a` of a request (its principal, resource and context): as
/// [`decide_assign`], failing closed on the request's own errors (an undeclared context field
/// denies every assigning permission, with the error).
pub fn decide_assign_request(
    policy: &Policy,
    facts: &Facts,
    req: &Request,
    a: &Assignment,
) -> AssignDecision {
    decide_inner(
        policy,
        facts,
        &req.context,
        (&req.principal, a.role, &req.resource, &a.assignee),
        &req.errors,
    )
}

/// The answer to an assignment question.
#[derive(Clone, Debug, PartialEq)]
pub struct AssignDecision {
    /// Whether the principal may assign the role: one of the assigning permissions is allowed
    /// and no `separate` conflict stands in the way.
    pub allowed: bool,
    /// The role to assign, on the resource's type.
    pub role: RoleId,
    /// The actor who would receive the role.
    pub assignee: Entity,
    /// Every permission of the resource's type that assigns the role, in declaration order,
    /// with its decision; the first allowed one is the one that lets the principal assign.
    pub tried: Vec<(Request, Decision)>,
    /// When the assignment would break a `separate` declaration: its index on the type and the
    /// role of it the assignee already holds.
    pub conflict: Option<(usize, RoleId)>,
}

impl AssignDecision {
    /// The permission that allows the assignment.
    pub fn via(&self) -> Option<PermId> {
        self.tried
            .iter()
            .find(|(_, d)| d.allowed)
            .map(|(r, _)| r.action)
    }

    /// Evaluation errors met on the way.
    pub fn errors(&self) -> Vec<String> {
        super::query::dedup(
            self.tried
                .iter()
                .flat_map(|(_, d)| d.errors.iter().cloned())
                .collect(),
        )
    }

    /// One line each, for people: why the assignment is allowed or denied.
    pub fn reasons(
        &self,
        policy: &Policy,
        facts: &Facts,
        principal: &Entity,
        on: &Entity,
    ) -> Vec<String> {
        let x = Explainer { policy, facts };
        let t = policy.ty(on.ty);
        let role = &t.roles[self.role.index()].name;
        let mut out = Vec::new();
        if self.tried.is_empty() {
            out.push(format!(
                "no permission of `{}` assigns `{role}` (`permissions P assigns {role};` states one)",
                t.name
            ));
            return out;
        }
        if let Some((req, d)) = self.tried.iter().find(|(_, d)| d.allowed) {
            let perm = &t.permissions[req.action.index()].name;
            let first = d
                .reasons
                .first()
                .map(|r| x.reason(req, r))
                .unwrap_or_default();
            out.push(format!(
                "{} may `{perm}` on {}, which assigns `{role}`: {first}",
                x.entity(principal),
                x.entity(on)
            ));
            if let Some((sep, held)) = self.conflict {
                let s = &t.separations[sep];
                let names: Vec<&str> = s
                    .roles
                    .iter()
                    .map(|r| t.roles[r.index()].name.as_str())
                    .collect();
                out.push(format!(
                    "but {} already holds `{}` on {}, and `separate {}` ({}) forbids holding both",
                    x.entity(&self.assignee),
                    t.roles[held.index()].name,
                    x.entity(on),
                    names.join(", "),
                    s.location
                ));
            }
            return out;
        }
        for (req, d) in &self.tried {
            let perm = &t.permissions[req.action.index()].name;
            for r in &d.reasons {
                out.push(format!("`{perm}` (assigns `{role}`): {}", x.reason(req, r)));
            }
        }
        out
    }
}

/// Decides whether `principal` may assign `role` on `on` to `assignee`, in `ctx`.
pub fn decide_assign(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    principal: &Entity,
    role: RoleId,
    on: &Entity,
    assignee: &Entity,
) -> AssignDecision {
    decide_inner(policy, facts, ctx, (principal, role, on, assignee), &[])
}

fn decide_inner(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    (principal, role, on, assignee): (&Entity, RoleId, &Entity, &Entity),
    errors: &[String],
) -> AssignDecision {
    let t = policy.ty(on.ty);
    let mut ctx = ctx.clone();
    set_assignment_fields(policy, &mut ctx, role, on, assignee);
    let mut tried = Vec::new();
    for (i, perm) in t.permissions.iter().enumerate() {
        if !perm.assigns.contains(&role) {
            continue;
        }
        let req = Request {
            principal: principal.clone(),
            action: PermId(i as u32),
            resource: on.clone(),
            context: ctx.clone(),
            errors: errors.to_vec(),
        };
        let d = decide(policy, facts, &req);
        let allowed = d.allowed;
        tried.push((req, d));
        if allowed {
            break;
        }
    }
    let given = tried.iter().any(|(_, d)| d.allowed);
    let conflict = if given {
        separation_conflict(policy, facts, &ctx, role, on, assignee)
    } else {
        None
    };
    AssignDecision {
        allowed: given && conflict.is_none(),
        role,
        assignee: assignee.clone(),
        tried,
        conflict,
    }
}

/// Sets `context.assignee` and `context.assigned_role` where the policy declares them with a
/// type that fits (the assignee only when the facts name it: a value is an entity of the facts).
fn set_assignment_fields(
    policy: &Policy,
    ctx: &mut Context,
    role: RoleId,
    on: &Entity,
    assignee: &Entity,
) {
    if let Some(i) = policy.context_field("assignee") {
        let fits = matches!(policy.context[i].ty, Type::Entity(t) if t == assignee.ty)
            || policy.context[i].ty == Type::AnyActor;
        if let (true, Some(id)) = (fits, assignee.id) {
            ctx.set(policy, i, Value::Entity(id));
        }
    }
    if let Some(i) = policy.context_field("assigned_role") {
        let name = &policy.ty(on.ty).roles[role.index()].name;
        let fits = match &policy.context[i].ty {
            Type::String => true,
            Type::Enum(names) => names.contains(name),
            _ => false,
        };
        if fits {
            ctx.set(policy, i, Value::Str(name.as_str().into()));
        }
    }
}

/// A `separate` declaration of the type that names `role` and another role the assignee already
/// holds on `on`.
fn separation_conflict(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    role: RoleId,
    on: &Entity,
    assignee: &Entity,
) -> Option<(usize, RoleId)> {
    let t = policy.ty(on.ty);
    for (i, sep) in t.separations.iter().enumerate() {
        if !sep.roles.contains(&role) {
            continue;
        }
        for other in sep.roles.iter().filter(|r| **r != role) {
            if holds_role(policy, facts, ctx, assignee, on, *other, false)
                .0
                .is_some()
            {
                return Some((i, *other));
            }
        }
    }
    None
}
