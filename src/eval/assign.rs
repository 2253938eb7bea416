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

use super::query::holds_role;
use super::request::{Context, Entity, Request};
use super::{Decision, Explainer, decide};
use crate::compiled::{PermId, Policy, RoleId, Type};
use crate::facts::{Facts, Value};

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
            errors: Vec::new(),
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
