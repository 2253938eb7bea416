//! `polc diff`: the semantic difference between two versions of a policy.
//!
//! Per resource type and role: the effective permissions gained and lost (after includes),
//! roles added and removed, `from` edges added and removed; per type, rules added, removed and
//! changed (by text, whitespace aside); the roles each permission `assigns` added and removed,
//! and the escalation paths (`polc::audit::escalation`) the new version has and the old one had
//! not. With data: every decision that changes, for every candidate actor, every entity of the
//! data and every permission.

use crate::compiled::{Policy, TypeDef};
use crate::eval::query::candidates;
use crate::eval::{Context, Entity, Request, decide_with};
use crate::facts::Facts;
use crate::syntax::ast::Effect;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The semantic difference between two versions of a policy (`polc diff OLD NEW`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    /// Types whose roles or rules changed, in the new policy's order (removed ones last).
    pub types: Vec<TypeDiff>,
    /// With data: the decisions that differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<DecisionChange>>,
    /// Escalation paths of the new version that the old one did not have (by kind, holder and
    /// target role; a path that only changes its steps is the same path).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalations_added: Vec<EscalationChange>,
    /// Escalation paths of the old version that the new one no longer has.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalations_removed: Vec<EscalationChange>,
}

/// An escalation path that a change adds or removes: the finding's code and its path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EscalationChange {
    /// The finding's code (`W0701` to `W0704`).
    pub code: String,
    /// `workspace.operator`
    pub holder: String,
    /// `workspace.owner`
    pub target: String,
    /// `` `operator` on `workspace` -> `manage_members` assigns `owner` on `workspace` -> gains ... ``
    pub path: String,
}

/// Whether a type or role is new, gone, or in both versions with differences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
    /// In both, with differences.
    Changed,
}

/// What changed in one resource type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeDiff {
    /// The type's name.
    pub name: String,
    /// Whether it is an actor type (which can have permissions and rules too).
    #[serde(skip)]
    pub actor: bool,
    /// Added, removed or changed.
    pub change: Change,
    /// The roles that changed, in the new version's order.
    pub roles: Vec<RoleDiff>,
    /// Rules of the new version that the old did not have, as written.
    pub rules_added: Vec<String>,
    /// Rules of the old version that the new does not have, as written.
    pub rules_removed: Vec<String>,
    /// Rules whose text changed (matched by effect and actions).
    pub rules_changed: Vec<RuleChange>,
    /// `manage_members assigns owner`: what a permission now lets its holder assign.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assigns_added: Vec<String>,
    /// What a permission no longer lets its holder assign (`manage_members assigns owner`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assigns_removed: Vec<String>,
}

/// What changed in one role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleDiff {
    /// The role's name.
    pub name: String,
    /// Added, removed or changed.
    pub change: Change,
    /// Effective permissions the role gives now and did not before.
    pub gained: Vec<String>,
    /// Effective permissions the role gave before and no longer does.
    pub lost: Vec<String>,
    /// `from` edges as text: `from admin on organization`, `default from ...`.
    pub from_added: Vec<String>,
    /// `from` edges the old version had and the new does not.
    pub from_removed: Vec<String>,
}

/// A rule whose text changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    /// The rule as the old version writes it.
    pub old: String,
    /// The rule as the new version writes it.
    pub new: String,
}

/// A decision that the new version answers differently (with data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionChange {
    /// The actor, `type:id`.
    pub actor: String,
    /// The permission.
    pub action: String,
    /// The resource, `type:id`.
    pub resource: String,
    /// The old decision: `allow` or `deny`.
    pub old: &'static str,
    /// The new decision: `allow` or `deny`.
    pub new: &'static str,
}

impl PolicyDiff {
    /// Whether the versions differ in nothing this diff looks at.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
            && self.decisions.as_ref().is_none_or(Vec::is_empty)
            && self.escalations_added.is_empty()
            && self.escalations_removed.is_empty()
    }

    /// What widens access: a permission gained by a role, a `from` edge added, a `permit` added,
    /// a `forbid` removed, a role a permission now assigns, a new escalation path, a decision
    /// from deny to allow. One line each.
    pub fn widenings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.types {
            for r in &t.roles {
                for p in &r.gained {
                    out.push(format!("{}.{} gains {p}", t.name, r.name));
                }
                for f in &r.from_added {
                    out.push(format!("{}.{} gains `{f}`", t.name, r.name));
                }
            }
            for rule in &t.rules_added {
                if rule.starts_with("permit") {
                    out.push(format!("{}: permit added: `{rule}`", t.name));
                }
            }
            for rule in &t.rules_removed {
                if rule.starts_with("forbid") {
                    out.push(format!("{}: forbid removed: `{rule}`", t.name));
                }
            }
            for a in &t.assigns_added {
                out.push(format!("{}: `{a}` added", t.name));
            }
        }
        for e in &self.escalations_added {
            out.push(format!("new escalation path ({}): {}", e.code, e.path));
        }
        for d in self.decisions.iter().flatten() {
            if d.new == "allow" {
                out.push(format!(
                    "{} {} {}: deny -> allow",
                    d.actor, d.action, d.resource
                ));
            }
        }
        out
    }

    /// For people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for t in &self.types {
            let note = match t.change {
                Change::Added => " (added)",
                Change::Removed => " (removed)",
                Change::Changed => "",
            };
            let kind = if t.actor { "actor" } else { "resource" };
            out.push_str(&format!("{kind} {}{note}\n", t.name));
            for r in &t.roles {
                let note = match r.change {
                    Change::Added => " (added)",
                    Change::Removed => " (removed)",
                    Change::Changed => "",
                };
                out.push_str(&format!("  role {}{note}\n", r.name));
                for p in &r.gained {
                    out.push_str(&format!("    + {p}\n"));
                }
                for p in &r.lost {
                    out.push_str(&format!("    - {p}\n"));
                }
                for f in &r.from_added {
                    out.push_str(&format!("    + {f}\n"));
                }
                for f in &r.from_removed {
                    out.push_str(&format!("    - {f}\n"));
                }
            }
            for rule in &t.rules_added {
                out.push_str(&format!("  + rule `{rule}`\n"));
            }
            for rule in &t.rules_removed {
                out.push_str(&format!("  - rule `{rule}`\n"));
            }
            for c in &t.rules_changed {
                out.push_str(&format!("  ~ rule `{}`\n       now `{}`\n", c.old, c.new));
            }
            for a in &t.assigns_added {
                out.push_str(&format!("  + {a}\n"));
            }
            for a in &t.assigns_removed {
                out.push_str(&format!("  - {a}\n"));
            }
        }
        if !self.escalations_added.is_empty() {
            out.push_str(&format!(
                "new escalation paths: {}\n",
                self.escalations_added.len()
            ));
            for e in &self.escalations_added {
                out.push_str(&format!("  + {}: {}\n", e.code, e.path));
            }
        }
        if !self.escalations_removed.is_empty() {
            out.push_str(&format!(
                "escalation paths removed: {}\n",
                self.escalations_removed.len()
            ));
            for e in &self.escalations_removed {
                out.push_str(&format!("  - {}: {}\n", e.code, e.path));
            }
        }
        if let Some(ds) = &self.decisions {
            out.push_str(&format!("decisions that change: {}\n", ds.len()));
            for d in ds {
                out.push_str(&format!(
                    "  {} {} {}: {} -> {}\n",
                    d.actor, d.action, d.resource, d.old, d.new
                ));
            }
        }
        let w = self.widenings().len();
        if self.is_empty() {
            out.push_str("no semantic difference\n");
        } else if w == 0 {
            out.push_str("access does not widen\n");
        } else {
            out.push_str(&format!(
                "access widens ({w} change{})\n",
                if w == 1 { "" } else { "s" }
            ));
        }
        out
    }

    /// The diff as JSON (`polc diff --format json`): the fields as named here, and `widens`
    /// (whether the new version gives anything the old did not).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.insert("widens".into(), serde_json::json!(self.widenings()));
        }
        v
    }
}

/// The difference between two compiled policies; with `data` (the facts loaded against each),
/// the decisions that change too.
pub fn diff(old: &Policy, new: &Policy, data: Option<(&Facts, &Facts)>) -> PolicyDiff {
    let mut types = Vec::new();
    for t in &new.types {
        let before = old.type_id(&t.name).map(|i| old.ty(i));
        if let Some(d) = type_diff(old, before, new, Some(t)) {
            types.push(d);
        }
    }
    for t in &old.types {
        if new.type_id(&t.name).is_none()
            && let Some(d) = type_diff(old, Some(t), new, None)
        {
            types.push(d);
        }
    }
    let decisions = data.map(|(fo, fn_)| {
        let a = decisions(old, fo);
        let b = decisions(new, fn_);
        let keys: BTreeSet<&(String, String, String)> = a.keys().chain(b.keys()).collect();
        keys.into_iter()
            .filter_map(|k| {
                let x = a.get(k).copied().unwrap_or(false);
                let y = b.get(k).copied().unwrap_or(false);
                (x != y).then(|| DecisionChange {
                    actor: k.0.clone(),
                    action: k.1.clone(),
                    resource: k.2.clone(),
                    old: word(x),
                    new: word(y),
                })
            })
            .collect()
    });
    let (escalations_added, escalations_removed) = escalation_changes(old, new);
    PolicyDiff {
        types,
        decisions,
        escalations_added,
        escalations_removed,
    }
}

/// The escalation paths only the new version has, and those only the old one had.
fn escalation_changes(
    old: &Policy,
    new: &Policy,
) -> (Vec<EscalationChange>, Vec<EscalationChange>) {
    let key = |f: &crate::audit::Finding| {
        (
            f.kind.code().as_str().to_string(),
            format!("{}.{}", f.holder.0, f.holder.1),
            format!("{}.{}", f.target.0, f.target.1),
        )
    };
    let change = |f: &crate::audit::Finding| {
        let (code, holder, target) = key(f);
        EscalationChange {
            code,
            holder,
            target,
            path: f.path_text(),
        }
    };
    let a = crate::audit::escalation(old);
    let b = crate::audit::escalation(new);
    let ka: BTreeSet<_> = a.iter().map(key).collect();
    let kb: BTreeSet<_> = b.iter().map(key).collect();
    let added = b
        .iter()
        .filter(|f| !ka.contains(&key(f)))
        .map(change)
        .collect();
    let removed = a
        .iter()
        .filter(|f| !kb.contains(&key(f)))
        .map(change)
        .collect();
    (added, removed)
}

/// `manage_members assigns owner`, one per (permission, role) of the type.
fn assigns(t: Option<&TypeDef>) -> BTreeSet<String> {
    let Some(t) = t else {
        return BTreeSet::new();
    };
    t.permissions
        .iter()
        .flat_map(|p| {
            p.assigns
                .iter()
                .map(move |r| format!("{} assigns {}", p.name, t.roles[r.index()].name))
        })
        .collect()
}

fn word(allowed: bool) -> &'static str {
    if allowed { "allow" } else { "deny" }
}

/// Every decision over the data: (actor, permission, resource) -> allowed.
fn decisions(policy: &Policy, facts: &Facts) -> BTreeMap<(String, String, String), bool> {
    let mut out = BTreeMap::new();
    let actors = candidates(policy, facts);
    for (ti, t) in policy.types.iter().enumerate() {
        // Every type with permissions: an actor type can have some too.
        if t.permissions.is_empty() {
            continue;
        }
        for e in facts.entities_of(crate::compiled::TypeId(ti as u32)) {
            let Some(resource) = Entity::known(facts, e) else {
                continue;
            };
            let rname = facts.display(policy, e);
            for (who, actor) in &actors {
                for (pi, p) in t.permissions.iter().enumerate() {
                    let req = Request {
                        principal: actor.clone(),
                        action: crate::compiled::PermId(pi as u32),
                        resource: resource.clone(),
                        context: Context::from_facts(policy, facts),
                        errors: Vec::new(),
                    };
                    let d = decide_with(policy, facts, &req, false);
                    out.insert((who.to_string(), p.name.clone(), rname.clone()), d.allowed);
                }
            }
        }
    }
    out
}

fn effective(t: &TypeDef, r: &crate::compiled::Role) -> BTreeSet<String> {
    r.effective
        .iter()
        .map(|p| t.permissions[p.index()].name.clone())
        .collect()
}

fn from_edges(p: &Policy, r: &crate::compiled::Role) -> BTreeSet<String> {
    r.from
        .iter()
        .map(|e| {
            format!(
                "{}from {} on {}",
                if e.default { "default " } else { "" },
                p.ty(e.target).roles[e.role.index()].name,
                e.path_text
            )
        })
        .collect()
}

/// A rule's text with its whitespace collapsed.
fn rule_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The rules of a type: (text, key) where the key (effect and actions) pairs changed rules.
fn rules(p: Option<&Policy>, t: Option<&TypeDef>) -> Vec<(String, String)> {
    let (Some(p), Some(t)) = (p, t) else {
        return Vec::new();
    };
    p.rules
        .iter()
        .filter(|r| p.type_name(r.resource) == t.name)
        .map(|r| {
            let mut actions: Vec<&str> = r
                .actions
                .iter()
                .map(|a| t.permissions[a.index()].name.as_str())
                .collect();
            actions.sort_unstable();
            let effect = match r.effect {
                Effect::Permit => "permit",
                Effect::Forbid => "forbid",
            };
            (
                rule_text(&r.text),
                format!("{effect} {}", actions.join(",")),
            )
        })
        .collect()
}

fn type_diff(
    old: &Policy,
    before: Option<&TypeDef>,
    new: &Policy,
    after: Option<&TypeDef>,
) -> Option<TypeDiff> {
    let name = after.or(before).map(|t| t.name.clone())?;
    let mut roles = Vec::new();
    let role_names: Vec<&str> = after
        .iter()
        .flat_map(|t| t.roles.iter().map(|r| r.name.as_str()))
        .chain(
            before
                .iter()
                .flat_map(|t| t.roles.iter().map(|r| r.name.as_str()))
                .filter(|n| after.is_none_or(|t| t.role(n).is_none())),
        )
        .collect();
    for rn in role_names {
        let b = before.and_then(|t| t.role(rn).map(|i| (t, &t.roles[i.index()])));
        let a = after.and_then(|t| t.role(rn).map(|i| (t, &t.roles[i.index()])));
        let perms = |x: Option<(&TypeDef, &crate::compiled::Role)>| {
            x.map(|(t, r)| effective(t, r)).unwrap_or_default()
        };
        let (pb, pa) = (perms(b), perms(a));
        let fb = b.map(|(_, r)| from_edges(old, r)).unwrap_or_default();
        let fa = a.map(|(_, r)| from_edges(new, r)).unwrap_or_default();
        let change = match (b, a) {
            (None, _) => Change::Added,
            (_, None) => Change::Removed,
            _ => Change::Changed,
        };
        let d = RoleDiff {
            name: rn.to_string(),
            change,
            gained: pa.difference(&pb).cloned().collect(),
            lost: pb.difference(&pa).cloned().collect(),
            from_added: fa.difference(&fb).cloned().collect(),
            from_removed: fb.difference(&fa).cloned().collect(),
        };
        let same = d.gained.is_empty()
            && d.lost.is_empty()
            && d.from_added.is_empty()
            && d.from_removed.is_empty();
        if change != Change::Changed || !same {
            roles.push(d);
        }
    }
    let mut rb = rules(Some(old), before);
    let mut ra = rules(Some(new), after);
    // Identical rules on both sides are no change.
    rb.retain(|x| match ra.iter().position(|y| y == x) {
        Some(i) => {
            ra.remove(i);
            false
        }
        None => true,
    });
    let mut rules_changed = Vec::new();
    rb.retain(|x| match ra.iter().position(|y| y.1 == x.1) {
        Some(i) => {
            let y = ra.remove(i);
            rules_changed.push(RuleChange {
                old: x.0.clone(),
                new: y.0,
            });
            false
        }
        None => true,
    });
    let change = match (before, after) {
        (None, _) => Change::Added,
        (_, None) => Change::Removed,
        _ => Change::Changed,
    };
    let (sb, sa) = (assigns(before), assigns(after));
    let actor = after
        .or(before)
        .is_some_and(|t| t.kind == crate::compiled::Kind::Actor);
    let d = TypeDiff {
        name,
        actor,
        change,
        roles,
        rules_added: ra.into_iter().map(|r| r.0).collect(),
        rules_removed: rb.into_iter().map(|r| r.0).collect(),
        rules_changed,
        assigns_added: sa.difference(&sb).cloned().collect(),
        assigns_removed: sb.difference(&sa).cloned().collect(),
    };
    let same = d.roles.is_empty()
        && d.rules_added.is_empty()
        && d.rules_removed.is_empty()
        && d.rules_changed.is_empty()
        && d.assigns_added.is_empty()
        && d.assigns_removed.is_empty();
    (change != Change::Changed || !same).then_some(d)
}
