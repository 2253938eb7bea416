//! `polc audit blast-radius ACTOR`: what an attacker holding one actor's credentials could do
//! and could grant, over a policy and its data, at a time `now`.
//!
//! - **can do**: every (resource of the data, permission) the actor is allowed, decided like any
//!   request;
//! - **can grant**: every (resource, role) the actor may assign to another actor
//!   ([`crate::eval::assign`], asked for an actor of its type that the data does not name, so no
//!   separation or self-assignment rule of a particular assignee applies), with what the role
//!   gives, and whether it may assign the role to itself;
//! - **through its own assignments**: the actor assigns itself every role it may, and again from
//!   what that gives, until nothing more comes (a fixpoint over a copy of the facts, at most
//!   [`ROUNDS`] rounds); the permissions gained that way are listed, with the assignments made;
//! - **escalation paths** of the policy (`polc audit escalation`) that start at a role the actor
//!   holds.

use crate::compiled::{Kind, PermId, Policy, RoleId, TypeId};
use crate::eval::assign::decide_assign;
use crate::eval::query::holds_role;
use crate::eval::{Context, Entity, Request, decide_with};
use crate::facts::{Assignment, Facts, Subject};
use serde::Serialize;
use std::collections::BTreeSet;

/// The most rounds of self-assignment the fixpoint runs (each round adds at least one).
pub const ROUNDS: usize = 64;

/// The actions an actor may take on one resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reach {
    /// The resource, `type:id`.
    pub resource: String,
    /// The permissions the actor has on it, sorted by name.
    pub permissions: Vec<String>,
}

/// A role the actor may hand out on a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The resource, `type:id`.
    pub resource: String,
    /// The role's name.
    pub role: String,
    /// The permission that lets it (`manage_members`).
    pub via: String,
    /// May it assign the role to itself too?
    pub to_self: bool,
    /// The permissions the role gives on the resource (after includes).
    pub gives: Vec<String>,
}

/// The blast radius of one actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlastRadius {
    /// The actor, `type:id`.
    pub actor: String,
    /// The time the report is for (RFC 3339 UTC), which assignments expire against.
    pub now: String,
    /// Whether the data names the actor (an actor it does not name holds only what wildcards
    /// give).
    pub known: bool,
    /// Roles held, as `role on resource`.
    pub holds: Vec<String>,
    /// What the actor may do now, by resource.
    pub can_do: Vec<Reach>,
    /// The roles the actor may assign, by resource.
    pub can_grant: Vec<Grant>,
    /// The assignments the actor can make to itself, one after another: `owner on workspace:ml`.
    pub self_assignments: Vec<String>,
    /// What those assignments add to `can_do`.
    pub gained: Vec<Reach>,
    /// Escalation paths of the policy from a role the actor holds: `W0701: path`.
    pub escalation: Vec<String>,
}

impl BlastRadius {
    /// How many (resource, permission) pairs the actor reaches, before and after its
    /// self-assignments.
    pub fn counts(&self) -> (usize, usize) {
        let n = |r: &[Reach]| r.iter().map(|x| x.permissions.len()).sum::<usize>();
        let before = n(&self.can_do);
        (before, before + n(&self.gained))
    }

    /// The report as JSON, the fields as named here (`polc audit blast-radius --format json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// For people.
    pub fn render(&self) -> String {
        let (before, after) = self.counts();
        let mut out = format!("blast radius of {} at {}\n", self.actor, self.now);
        if !self.known {
            out.push_str(&format!(
                "  (the data does not name {}: it holds only what wildcard assignments give)\n",
                self.actor
            ));
        }
        out.push_str(&format!("holds ({}):\n", self.holds.len()));
        for h in &self.holds {
            out.push_str(&format!("  {h}\n"));
        }
        out.push_str(&format!(
            "can do ({} on {}):\n",
            plural(before, "action"),
            plural(self.can_do.len(), "resource")
        ));
        for r in &self.can_do {
            out.push_str(&format!("  {}: {}\n", r.resource, r.permissions.join(", ")));
        }
        out.push_str(&format!("can grant ({}):\n", self.can_grant.len()));
        for g in &self.can_grant {
            out.push_str(&format!(
                "  {} on {} (through `{}`{}) -> gives {}\n",
                g.role,
                g.resource,
                g.via,
                if g.to_self { "; also to itself" } else { "" },
                if g.gives.is_empty() {
                    "nothing".to_string()
                } else {
                    g.gives.join(", ")
                }
            ));
        }
        if self.self_assignments.is_empty() {
            out.push_str("through its own assignments: nothing more\n");
        } else {
            out.push_str(&format!(
                "through its own assignments ({}): {}\n",
                self.self_assignments.len(),
                self.self_assignments.join(", ")
            ));
            for r in &self.gained {
                out.push_str(&format!(
                    "  + {}: {}\n",
                    r.resource,
                    r.permissions.join(", ")
                ));
            }
        }
        if !self.escalation.is_empty() {
            out.push_str(&format!(
                "escalation paths from its roles ({}):\n",
                self.escalation.len()
            ));
            for e in &self.escalation {
                out.push_str(&format!("  {e}\n"));
            }
        }
        out.push_str(&format!(
            "blast radius: {}, {after} after self-assignment, {} it can grant\n",
            plural(before, "action"),
            plural(self.can_grant.len(), "role")
        ));
        out
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The resources of the data, with their names, sorted by name within each type.
fn resources(policy: &Policy, facts: &Facts) -> Vec<(String, Entity)> {
    let mut out = Vec::new();
    for (ti, t) in policy.types.iter().enumerate() {
        // An actor type is a resource too when it has permissions.
        if t.kind != Kind::Resource && t.permissions.is_empty() {
            continue;
        }
        let mut es: Vec<(String, Entity)> = facts
            .entities_of(TypeId(ti as u32))
            .into_iter()
            .filter_map(|e| Entity::known(facts, e).map(|x| (facts.display(policy, e), x)))
            .collect();
        es.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(es);
    }
    out
}

fn can_do(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    actor: &Entity,
    resources: &[(String, Entity)],
) -> Vec<(String, BTreeSet<String>)> {
    let mut out = Vec::new();
    for (name, on) in resources {
        let t = policy.ty(on.ty);
        let mut perms = BTreeSet::new();
        for (i, p) in t.permissions.iter().enumerate() {
            let req = Request {
                principal: actor.clone(),
                action: PermId(i as u32),
                resource: on.clone(),
                context: ctx.clone(),
                errors: Vec::new(),
            };
            if decide_with(policy, facts, &req, false).allowed {
                perms.insert(p.name.clone());
            }
        }
        if !perms.is_empty() {
            out.push((name.clone(), perms));
        }
    }
    out
}

/// The blast radius of `actor` (an entity of an actor type) over `facts` at `now`.
pub fn blast_radius(policy: &Policy, facts: &Facts, actor: &Entity, now: i64) -> BlastRadius {
    let mut ctx = Context::from_facts(policy, facts);
    ctx.now = now;
    let shown = crate::facts::display_entity(policy.type_name(actor.ty), &actor.name);
    let resources = resources(policy, facts);
    let mut holds = Vec::new();
    let mut held_roles: BTreeSet<(String, String)> = BTreeSet::new();
    for (name, on) in &resources {
        let t = policy.ty(on.ty);
        for (ri, role) in t.roles.iter().enumerate() {
            if holds_role(policy, facts, &ctx, actor, on, RoleId(ri as u32), false)
                .0
                .is_some()
            {
                holds.push(format!("{} on {name}", role.name));
                held_roles.insert((t.name.clone(), role.name.clone()));
            }
        }
    }
    let before = can_do(policy, facts, &ctx, actor, &resources);
    // Another actor of the type, named nowhere in the data.
    let other = Entity {
        ty: actor.ty,
        id: None,
        name: "*".into(),
    };
    let mut can_grant = Vec::new();
    for (name, on) in &resources {
        let t = policy.ty(on.ty);
        for (ri, role) in t.roles.iter().enumerate() {
            let r = RoleId(ri as u32);
            let d = decide_assign(policy, facts, &ctx, actor, r, on, &other);
            let Some(via) = d.via().filter(|_| d.allowed) else {
                continue;
            };
            let to_self = decide_assign(policy, facts, &ctx, actor, r, on, actor).allowed;
            let mut gives: Vec<String> = role
                .effective
                .iter()
                .map(|p| t.permissions[p.index()].name.clone())
                .collect();
            gives.sort();
            can_grant.push(Grant {
                resource: name.clone(),
                role: role.name.clone(),
                via: t.permissions[via.index()].name.clone(),
                to_self,
                gives,
            });
        }
    }
    // The fixpoint of self-assignment, on a copy of the facts.
    let mut self_assignments = Vec::new();
    let mut after = before.clone();
    if let Some(id) = actor.id {
        let mut sim = facts.clone();
        let mut done: BTreeSet<(String, RoleId)> = BTreeSet::new();
        for _ in 0..ROUNDS {
            let mut added = false;
            for (name, on) in &resources {
                let Some(on_id) = on.id else { continue };
                for ri in 0..policy.ty(on.ty).roles.len() {
                    let r = RoleId(ri as u32);
                    if done.contains(&(name.clone(), r))
                        || holds_role(policy, &sim, &ctx, actor, on, r, false)
                            .0
                            .is_some()
                    {
                        continue;
                    }
                    if decide_assign(policy, &sim, &ctx, actor, r, on, actor).allowed {
                        sim.assign(Assignment::new(Subject::Actor(id), r, on_id, None, None));
                        done.insert((name.clone(), r));
                        self_assignments
                            .push(format!("{} on {name}", policy.ty(on.ty).roles[ri].name));
                        added = true;
                    }
                }
            }
            if !added {
                break;
            }
        }
        if !self_assignments.is_empty() {
            after = can_do(policy, &sim, &ctx, actor, &resources);
        }
    }
    let gained = after
        .iter()
        .filter_map(|(name, perms)| {
            let had = before
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            let new: Vec<String> = perms.difference(&had).cloned().collect();
            (!new.is_empty()).then(|| Reach {
                resource: name.clone(),
                permissions: new,
            })
        })
        .collect();
    let escalation = crate::audit::escalation(policy)
        .into_iter()
        .filter(|f| held_roles.contains(&f.holder))
        .map(|f| format!("{}: {}", f.kind.code().as_str(), f.path_text()))
        .collect();
    BlastRadius {
        actor: shown,
        now: crate::time::format(now),
        known: actor.id.is_some(),
        holds,
        can_do: before
            .into_iter()
            .map(|(resource, p)| Reach {
                resource,
                permissions: p.into_iter().collect(),
            })
            .collect(),
        can_grant,
        self_assignments,
        gained,
        escalation,
    }
}

/// Reads `type:id` (`user:owen`) as the actor to ask about: E0401 when it is not an entity,
/// E0201 for an unknown type, E0502 when the type is not an actor type. `span` is where the
/// text was written.
pub fn actor(
    policy: &Policy,
    facts: &Facts,
    text: &str,
    span: crate::source::Span,
) -> Result<Entity, crate::diag::Diagnostic> {
    let e = crate::eval::request::entity_from_text(policy, facts, text, span, "actor")?;
    if policy.ty(e.ty).kind != Kind::Actor {
        return Err(crate::diag::Diagnostic::new(
            crate::diag::Code::E0502,
            format!("`{}` is not an actor type", policy.type_name(e.ty)),
        )
        .primary(span, "the blast radius is asked of an actor")
        .help("name an actor, such as `user:alice`"));
    }
    Ok(e)
}
