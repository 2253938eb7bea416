//! Checked facts and changes by name: what a store keeps, and what JSON shows.

use super::{Change, CheckedChange, CheckedKey, Fact, FactKey};
use crate::compiled::{Policy, RoleId};
use crate::facts::check::{CheckedFact, EntityName, SubjectName};

/// `type:id`.
pub(super) fn entity_text(policy: &Policy, e: &EntityName) -> String {
    format!("{}:{}", policy.type_name(e.0), e.1)
}

pub(super) fn subject_text(policy: &Policy, s: &SubjectName) -> String {
    match s {
        SubjectName::Actor(ty, id) => format!("{}:{id}", policy.type_name(*ty)),
        SubjectName::Userset(ty, id, role) => format!(
            "{}:{id}#{}",
            policy.type_name(*ty),
            policy.ty(*ty).roles[role.index()].name
        ),
        SubjectName::Wildcard(ty) => format!("{}:*", policy.type_name(*ty)),
    }
}

/// A checked key by name.
pub fn key_name(policy: &Policy, k: &CheckedKey) -> FactKey {
    match k {
        CheckedKey::Assignment { subject, role, on } => FactKey::Assignment {
            subject: subject_text(policy, subject),
            role: policy.ty(on.0).roles[role.index()].name.clone(),
            on: entity_text(policy, on),
        },
        CheckedKey::Relation {
            entity,
            rel,
            target,
        } => FactKey::Relation {
            entity: entity_text(policy, entity),
            relation: policy.ty(entity.0).relations[rel.index()].name.clone(),
            target: target.as_ref().map(|t| entity_text(policy, t)),
        },
        CheckedKey::Attribute { entity, attr } => FactKey::Attribute {
            entity: entity_text(policy, entity),
            name: policy.ty(entity.0).attributes[attr.index()].name.clone(),
        },
    }
}

impl CheckedChange {
    /// The change by name.
    pub fn to_change(&self, policy: &Policy) -> Change {
        match self {
            CheckedChange::Delete(k) => Change::Delete(key_name(policy, k)),
            CheckedChange::Put(f) => Change::Put(fact_name(policy, f)),
        }
    }
}

/// A checked fact by name (a relation: its first target; [`CheckedChange::Put`] holds one).
pub fn fact_name(policy: &Policy, f: &CheckedFact) -> Fact {
    match f {
        CheckedFact::Assign {
            subject,
            role,
            on,
            until,
            ..
        } => Fact::Assignment {
            subject: subject_text(policy, subject),
            role: policy.ty(on.0).roles[role.index()].name.clone(),
            on: entity_text(policy, on),
            until_us: *until,
        },
        CheckedFact::Relation {
            entity,
            rel,
            targets,
        } => Fact::Relation {
            entity: entity_text(policy, entity),
            relation: policy.ty(entity.0).relations[rel.index()].name.clone(),
            target: targets
                .first()
                .map(|t| entity_text(policy, t))
                .unwrap_or_default(),
        },
        CheckedFact::Attribute {
            entity,
            attr,
            value,
        } => Fact::Attribute {
            entity: entity_text(policy, entity),
            name: policy.ty(entity.0).attributes[attr.index()].name.clone(),
            value: value_json(policy, value),
        },
        CheckedFact::Context { field, value } => Fact::Attribute {
            entity: "context".into(),
            name: policy.context[*field].name.clone(),
            value: value_json(policy, value),
        },
        CheckedFact::Action { field, value } => Fact::Attribute {
            entity: "action".into(),
            name: policy.action[*field].name.clone(),
            value: value_json(policy, value),
        },
    }
}

/// A checked value as JSON facts write it.
pub fn value_json(policy: &Policy, v: &crate::facts::FactValue) -> serde_json::Value {
    use crate::facts::FactValue as V;
    use serde_json::Value as J;
    match v {
        V::Bool(b) => J::Bool(*b),
        V::Int(i) => J::from(*i),
        V::Str(s) => J::String(s.clone()),
        V::Time(t) => J::String(crate::time::format(*t)),
        V::Duration(d) => J::String(crate::duration::format(*d)),
        V::Entity(ty, id) => J::String(format!("{}:{id}", policy.type_name(*ty))),
        V::List(items) => J::Array(items.iter().map(|i| value_json(policy, i)).collect()),
        V::Record(fields) => J::Object(
            fields
                .iter()
                .map(|(n, v)| (n.clone(), value_json(policy, v)))
                .collect(),
        ),
    }
}

/// Lowers checked facts to puts: an assignment written twice is kept once (the one that lasts
/// longer, in the place of the first); each relation target is its own put, a single-valued
/// relation's preceded by the delete of what it had.
pub(crate) fn put_facts(policy: &Policy, out: &mut Vec<CheckedChange>, facts: Vec<CheckedFact>) {
    let mut seen: rustc_hash::FxHashMap<(SubjectName, RoleId, EntityName), usize> =
        rustc_hash::FxHashMap::default();
    for f in facts {
        match f {
            CheckedFact::Assign {
                ref subject,
                role,
                ref on,
                until,
                ..
            } => {
                let key = (subject.clone(), role, on.clone());
                match seen.get(&key) {
                    Some(i) => {
                        if let Some(CheckedChange::Put(CheckedFact::Assign { until: u, .. })) =
                            out.get_mut(*i)
                        {
                            *u = match (*u, until) {
                                (Some(a), Some(b)) => Some(a.max(b)),
                                _ => None,
                            };
                        }
                    }
                    None => {
                        seen.insert(key, out.len());
                        out.push(CheckedChange::Put(f));
                    }
                }
            }
            CheckedFact::Relation {
                entity,
                rel,
                targets,
            } => {
                if !policy.ty(entity.0).relations[rel.index()].many {
                    out.push(CheckedChange::Delete(CheckedKey::Relation {
                        entity: entity.clone(),
                        rel,
                        target: None,
                    }));
                }
                for t in targets {
                    out.push(CheckedChange::Put(CheckedFact::Relation {
                        entity: entity.clone(),
                        rel,
                        targets: vec![t],
                    }));
                }
            }
            f @ (CheckedFact::Attribute { .. }
            | CheckedFact::Context { .. }
            | CheckedFact::Action { .. }) => out.push(CheckedChange::Put(f)),
        }
    }
}
