//! Applying changes to facts in place (with what undoes them), and facts back as checked facts.

use super::*;

/// The subject and entity of an assignment key in these facts, if they name both.
fn find_subject(facts: &Facts, s: &SubjectName) -> Option<Subject> {
    match s {
        SubjectName::Actor(ty, id) => facts.lookup(*ty, id).map(Subject::Actor),
        SubjectName::Userset(ty, id, r) => facts.lookup(*ty, id).map(|e| Subject::Userset(e, *r)),
        SubjectName::Wildcard(ty) => Some(Subject::Wildcard(*ty)),
    }
}

/// Whether the facts hold what the key names.
pub fn exists(facts: &Facts, key: &CheckedKey) -> bool {
    match key {
        CheckedKey::Assignment { subject, role, on } => {
            let (Some(s), Some(e)) = (find_subject(facts, subject), facts.lookup(on.0, &on.1))
            else {
                return false;
            };
            facts.on(e).any(|i| {
                facts
                    .assignment(i)
                    .is_some_and(|a| a.subject == s && a.role == *role)
            })
        }
        CheckedKey::Relation {
            entity,
            rel,
            target,
        } => {
            let Some(e) = facts.lookup(entity.0, &entity.1) else {
                return false;
            };
            match target {
                None => !facts.relation(e, *rel).is_empty(),
                Some(t) => facts
                    .lookup(t.0, &t.1)
                    .is_some_and(|t| facts.relation(e, *rel).contains(&t)),
            }
        }
        CheckedKey::Attribute { entity, attr } => facts
            .lookup(entity.0, &entity.1)
            .is_some_and(|e| facts.attribute(e, *attr).is_some()),
    }
}

/// What applying changes replaced, to put it back ([`undo`]).
#[derive(Debug, Default)]
pub struct Undo(Vec<CheckedChange>);

/// Applies changes to facts in place, in order (nothing is rebuilt). Returns what undoes them.
pub fn apply(policy: &Policy, facts: &mut Facts, changes: &[CheckedChange]) -> Undo {
    let mut undo = Vec::new();
    for c in changes {
        apply_one(policy, facts, c, &mut undo);
    }
    Undo(undo)
}

/// Puts back what [`apply`] changed.
pub fn undo(policy: &Policy, facts: &mut Facts, undo: Undo) {
    let mut ignored = Vec::new();
    for c in undo.0.iter().rev() {
        apply_one(policy, facts, c, &mut ignored);
    }
}

fn apply_one(policy: &Policy, facts: &mut Facts, c: &CheckedChange, undo: &mut Vec<CheckedChange>) {
    match c {
        CheckedChange::Put(
            f @ CheckedFact::Assign {
                subject, role, on, ..
            },
        ) => {
            let key = CheckedKey::Assignment {
                subject: subject.clone(),
                role: *role,
                on: on.clone(),
            };
            remove(policy, facts, &key, undo);
            undo.push(CheckedChange::Delete(key));
            facts.apply(f);
        }
        CheckedChange::Put(CheckedFact::Relation {
            entity,
            rel,
            targets,
        }) => {
            let e = facts.entity(entity.0, &entity.1);
            let many = policy.ty(entity.0).relations[rel.index()].many;
            let mut now: Vec<_> = facts.relation(e, *rel).to_vec();
            for t in targets {
                let t_id = facts.entity(t.0, &t.1);
                if now.contains(&t_id) {
                    continue;
                }
                if !many {
                    for old in now.drain(..) {
                        undo.push(put_relation(facts, entity, *rel, old));
                    }
                }
                now.push(t_id);
                undo.push(CheckedChange::Delete(CheckedKey::Relation {
                    entity: entity.clone(),
                    rel: *rel,
                    target: Some(t.clone()),
                }));
            }
            facts.set_relation(e, *rel, now);
        }
        CheckedChange::Put(f @ CheckedFact::Attribute { entity, attr, .. }) => {
            let key = CheckedKey::Attribute {
                entity: entity.clone(),
                attr: *attr,
            };
            remove(policy, facts, &key, undo);
            undo.push(CheckedChange::Delete(key));
            facts.apply(f);
        }
        CheckedChange::Put(f @ (CheckedFact::Context { .. } | CheckedFact::Action { .. })) => {
            facts.apply(f)
        }
        CheckedChange::Delete(k) => remove(policy, facts, k, undo),
    }
}

/// The put that gives `entity` the relation target `t` back.
fn put_relation(
    facts: &Facts,
    entity: &EntityName,
    rel: RelId,
    t: crate::facts::EntityId,
) -> CheckedChange {
    let target = (
        facts.entity_type(t).unwrap_or(crate::compiled::TypeId(0)),
        facts.entity_name(t).unwrap_or_default().to_string(),
    );
    CheckedChange::Put(CheckedFact::Relation {
        entity: entity.clone(),
        rel,
        targets: vec![target],
    })
}

/// Removes what the key names, recording the puts that give it back.
fn remove(policy: &Policy, facts: &mut Facts, key: &CheckedKey, undo: &mut Vec<CheckedChange>) {
    match key {
        CheckedKey::Assignment { subject, role, on } => {
            let (Some(s), Some(e)) = (find_subject(facts, subject), facts.lookup(on.0, &on.1))
            else {
                return;
            };
            let old: Vec<Option<i64>> = facts
                .on(e)
                .filter_map(|i| facts.assignment(i))
                .filter(|a| a.subject == s && a.role == *role)
                .map(|a| a.until())
                .collect();
            if old.is_empty() {
                return;
            }
            facts.retract(s, *role, e);
            for until in old {
                undo.push(CheckedChange::Put(CheckedFact::Assign {
                    subject: subject.clone(),
                    role: *role,
                    on: on.clone(),
                    until,
                    span: None,
                }));
            }
        }
        CheckedKey::Relation {
            entity,
            rel,
            target,
        } => {
            let Some(e) = facts.lookup(entity.0, &entity.1) else {
                return;
            };
            let now = facts.relation(e, *rel).to_vec();
            let (gone, kept): (Vec<_>, Vec<_>) = match target {
                None => (now, Vec::new()),
                Some(t) => match facts.lookup(t.0, &t.1) {
                    Some(t) => now.into_iter().partition(|x| *x == t),
                    None => return,
                },
            };
            if gone.is_empty() {
                return;
            }
            for g in gone {
                undo.push(put_relation(facts, entity, *rel, g));
            }
            if kept.is_empty() {
                facts.unset_relation(e, *rel);
            } else {
                facts.set_relation(e, *rel, kept);
            }
        }
        CheckedKey::Attribute { entity, attr } => {
            let Some(e) = facts.lookup(entity.0, &entity.1) else {
                return;
            };
            if let Some(v) = facts.remove_attribute(e, *attr) {
                let value = fact_value(policy, facts, &v);
                undo.push(CheckedChange::Put(CheckedFact::Attribute {
                    entity: entity.clone(),
                    attr: *attr,
                    value,
                }));
            }
        }
    }
}

/// A value of the facts back as a checked value (entities by name).
fn fact_value(policy: &Policy, facts: &Facts, v: &crate::facts::Value) -> crate::facts::FactValue {
    use crate::facts::FactValue as F;
    use crate::facts::Value as V;
    let _ = policy;
    match v {
        V::Bool(b) => F::Bool(*b),
        V::Int(i) => F::Int(*i),
        V::Str(s) => F::Str(s.to_string()),
        V::Time(t) => F::Time(*t),
        V::Duration(d) => F::Duration(*d),
        V::Entity(e) => F::Entity(
            facts.entity_type(*e).unwrap_or(crate::compiled::TypeId(0)),
            facts.entity_name(*e).unwrap_or_default().to_string(),
        ),
        V::List(items) => F::List(items.iter().map(|i| fact_value(policy, facts, i)).collect()),
        V::Record(fields) => F::Record(
            fields
                .iter()
                .map(|(n, v)| (n.to_string(), fact_value(policy, facts, v)))
                .collect(),
        ),
    }
}

/// Every fact of `facts` as a checked fact (what `polc facts import` writes): assignments,
/// relations (one fact per entity and relation, all its targets), attributes. The context is
/// not a fact of a store and is left out.
pub fn checked_facts(policy: &Policy, facts: &Facts) -> Vec<CheckedFact> {
    let name = |e: crate::facts::EntityId| {
        (
            facts.entity_type(e).unwrap_or(crate::compiled::TypeId(0)),
            facts.entity_name(e).unwrap_or_default().to_string(),
        )
    };
    let mut out = Vec::new();
    for (_, a) in facts.assignments() {
        let subject = match a.subject {
            Subject::Actor(e) => {
                let (ty, id) = name(e);
                SubjectName::Actor(ty, id)
            }
            Subject::Userset(e, r) => {
                let (ty, id) = name(e);
                SubjectName::Userset(ty, id, r)
            }
            Subject::Wildcard(ty) => SubjectName::Wildcard(ty),
        };
        out.push(CheckedFact::Assign {
            subject,
            role: a.role,
            on: name(a.on),
            until: a.until(),
            span: None,
        });
    }
    for (e, rel, targets) in facts.relations() {
        if targets.is_empty() {
            continue;
        }
        out.push(CheckedFact::Relation {
            entity: name(e),
            rel,
            targets: targets.iter().map(|t| name(*t)).collect(),
        });
    }
    for (e, attr, v) in facts.attributes() {
        out.push(CheckedFact::Attribute {
            entity: name(e),
            attr,
            value: fact_value(policy, facts, v),
        });
    }
    out
}
