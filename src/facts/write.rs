#![deny(missing_docs)]
//! Writes to the facts: transactions of fact writes and deletes with preconditions, the changes
//! a store keeps, applying them to [`Facts`] in place, and the data constraints a write is
//! checked against. No SQL here: a store (`polc::store`, feature `store`) keeps [`Change`]s and
//! [`Fact`]s, and this module turns them into facts and back. `docs/store.md` has the model.
//!
//! The model: a fact is an assignment (one per subject, role and entity: writing it again
//! replaces its `until`), a relation target (a single-valued relation has at most one: writing
//! another replaces it), or an attribute (one value per entity and name). A transaction's deletes
//! come first, then its writes; deleting a fact that does not exist changes nothing.

use super::check::{CheckedFact, Checker, EntityName, Input, InputKind, Named, SubjectInput};
use super::{Facts, Subject, SubjectName};
use crate::compiled::{AttrId, Policy, RelId, RoleId};
use crate::diag::{Code, Diagnostic};
use crate::entity::{EntityRef, SubjectRef};
use crate::source::{FileId, Span};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use super::write_json::transaction_from_json;
pub use crate::lints::judge::{
    CONSTRAINT_CODES, Constraints, Judgement, failed_precondition, has_constraints, judge,
    judge_preconditions, new_violations, precondition_diagnostic, refusal, scope_of, violations,
};
pub use apply::{Undo, apply, checked_facts, exists, undo};

mod apply;

/// A store's revision: 0 for an empty store, then one more for each committed transaction.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Revision(pub u64);

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A fact by name, as a store keeps it (independent of the policy's numbering). Entities are
/// written `type:id`, subjects as in JSON facts (`user:ann`, `team:core#member`, `user:*`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Fact {
    /// `subject is role on on`.
    Assignment {
        /// Who is assigned: `user:ann`, `team:core#member` or `user:*`.
        subject: String,
        /// The role's name, on the type of `on`.
        role: String,
        /// The entity the role is held on, `type:id`.
        on: String,
        /// Microseconds since the Unix epoch; `None` for an assignment that does not expire.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until_us: Option<i64>,
    },
    /// `entity.relation = target`: one target of a relation.
    Relation {
        /// The entity the relation starts at, `type:id`.
        entity: String,
        /// The relation's name, on the entity's type.
        relation: String,
        /// The entity it points to, `type:id`.
        target: String,
    },
    /// `entity.name = value`: an attribute's value.
    Attribute {
        /// The entity described, `type:id`.
        entity: String,
        /// The attribute's name, on the entity's type.
        name: String,
        /// The value as JSON facts write it (`"high"`, `3`, `["a", "b"]`, `{"x": 1}`).
        value: serde_json::Value,
    },
}

/// What names a fact: what a delete removes and a precondition asks about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FactKey {
    /// An assignment, whatever its `until`.
    Assignment {
        /// Who is assigned: `user:ann`, `team:core#member` or `user:*`.
        subject: String,
        /// The role's name.
        role: String,
        /// The entity the role is held on, `type:id`.
        on: String,
    },
    /// One target of a relation, or (`target: None`) every target it has.
    Relation {
        /// The entity the relation starts at, `type:id`.
        entity: String,
        /// The relation's name.
        relation: String,
        /// The target, `type:id`; `None`: every target.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
    /// An attribute, whatever its value.
    Attribute {
        /// The entity described, `type:id`.
        entity: String,
        /// The attribute's name.
        name: String,
    },
}

impl Fact {
    /// The key of the fact (a relation's with its target).
    pub fn key(&self) -> FactKey {
        match self {
            Fact::Assignment {
                subject, role, on, ..
            } => FactKey::Assignment {
                subject: subject.clone(),
                role: role.clone(),
                on: on.clone(),
            },
            Fact::Relation {
                entity,
                relation,
                target,
            } => FactKey::Relation {
                entity: entity.clone(),
                relation: relation.clone(),
                target: Some(target.clone()),
            },
            Fact::Attribute { entity, name, .. } => FactKey::Attribute {
                entity: entity.clone(),
                name: name.clone(),
            },
        }
    }
}

impl fmt::Display for FactKey {
    /// The key in the words of Pol: `user:ann is admin on org:acme`, `doc:1.parent = folder:a`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactKey::Assignment { subject, role, on } => write!(f, "{subject} is {role} on {on}"),
            FactKey::Relation {
                entity,
                relation,
                target: Some(t),
            } => write!(f, "{entity}.{relation} = {t}"),
            FactKey::Relation {
                entity,
                relation,
                target: None,
            } => write!(f, "{entity}.{relation}"),
            FactKey::Attribute { entity, name } => write!(f, "{entity}.{name}"),
        }
    }
}

/// One change a committed transaction made, in the order it made them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "fact", rename_all = "lowercase")]
pub enum Change {
    /// Adds the fact, or replaces the one with its key (an assignment's `until`, an attribute's
    /// value; a relation target already there stays).
    Put(Fact),
    /// Removes what the key names (nothing if there is none).
    Delete(FactKey),
}

/// A condition a transaction is committed under; if one does not hold, nothing is written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precondition {
    /// The fact exists (an assignment whatever its `until`; a relation key without a target:
    /// the relation has some target).
    Exists(FactKey),
    /// The fact does not exist.
    Absent(FactKey),
    /// The store is at this revision (no transaction committed since).
    Revision(Revision),
}

impl fmt::Display for Precondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Precondition::Exists(k) => write!(f, "`{k}` exists"),
            Precondition::Absent(k) => write!(f, "`{k}` does not exist"),
            Precondition::Revision(r) => write!(f, "the store is at revision {r}"),
        }
    }
}

/// A fact key checked against the policy: names resolved to the policy's numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckedKey {
    /// An assignment, whatever its `until`.
    Assignment {
        /// Who is assigned.
        subject: SubjectName,
        /// The role, on the type of `on`.
        role: RoleId,
        /// The entity the role is held on.
        on: EntityName,
    },
    /// One target of a relation, or (`target: None`) every target.
    Relation {
        /// The entity the relation starts at.
        entity: EntityName,
        /// The relation, on the entity's type.
        rel: RelId,
        /// The target; `None`: every target.
        target: Option<EntityName>,
    },
    /// An attribute, whatever its value.
    Attribute {
        /// The entity described.
        entity: EntityName,
        /// The attribute, on the entity's type.
        attr: AttrId,
    },
}

/// A [`Change`] checked against the policy.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckedChange {
    /// An assignment, an attribute, or a relation with exactly one target.
    Put(CheckedFact),
    /// Removes what the key names (nothing if there is none).
    Delete(CheckedKey),
}

/// A precondition checked against the policy.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckedPrecondition {
    /// The fact exists.
    Exists(CheckedKey),
    /// The fact does not exist.
    Absent(CheckedKey),
    /// The store is at this revision.
    Revision(Revision),
}

/// A transaction that passed every check of the policy: what [`transaction_from_json`] reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transaction {
    /// The preconditions, all of which must hold for the changes to apply.
    pub preconditions: Vec<CheckedPrecondition>,
    /// Where each precondition was written (beside `preconditions`; empty when built in code).
    pub precondition_spans: Vec<Span>,
    /// The changes in the order they apply: the deletes, then the writes.
    pub changes: Vec<CheckedChange>,
}

impl Transaction {
    /// The changes by name, as a store commits them.
    pub fn store_changes(&self, policy: &Policy) -> Vec<Change> {
        self.changes.iter().map(|c| c.to_change(policy)).collect()
    }

    /// The preconditions by name, as a store checks them.
    pub fn store_preconditions(&self, policy: &Policy) -> Vec<Precondition> {
        self.preconditions
            .iter()
            .map(|p| match p {
                CheckedPrecondition::Exists(k) => Precondition::Exists(key_name(policy, k)),
                CheckedPrecondition::Absent(k) => Precondition::Absent(key_name(policy, k)),
                CheckedPrecondition::Revision(r) => Precondition::Revision(*r),
            })
            .collect()
    }

    /// Adds the writes of checked facts (a facts file, for `polc facts import`): an assignment
    /// given twice is kept once, the one that lasts longer; a single-valued relation replaces
    /// the target the store has.
    pub fn put_all(&mut self, policy: &Policy, facts: Vec<CheckedFact>) {
        put_facts(policy, &mut self.changes, facts);
    }
}

/// `type:id`.
fn entity_text(policy: &Policy, e: &EntityName) -> String {
    format!("{}:{}", policy.type_name(e.0), e.1)
}

fn subject_text(policy: &Policy, s: &SubjectName) -> String {
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
pub fn value_json(policy: &Policy, v: &super::FactValue) -> serde_json::Value {
    use super::FactValue as V;
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

/// Where a fact from a store is "written": nowhere. Its diagnostics carry no label.
const NOWHERE: Span = Span {
    file: FileId(u32::MAX),
    start: 0,
    end: 0,
};

fn at(name: &str) -> Named<'_> {
    Named {
        name,
        span: NOWHERE,
    }
}

/// A diagnostic about a stored fact: without labels (it was written nowhere), naming the fact.
fn stored(mut d: Diagnostic, what: &dyn fmt::Display) -> Diagnostic {
    d.labels.clear();
    d.message = format!("{} (stored fact `{what}`)", d.message);
    d
}

fn entity_ref<'a>(text: &'a str, what: &str) -> Result<EntityRef<'a>, Diagnostic> {
    super::json::entity(text, NOWHERE, what)
}

/// The subject of an assignment read from its text, as the checker takes it.
pub(crate) fn subject_input<'a>(text: &'a str, span: Span) -> Result<SubjectInput<'a>, Diagnostic> {
    let named = |name| Named { name, span };
    match SubjectRef::parse(text) {
        Ok(SubjectRef::Wildcard(ty)) => Ok(SubjectInput::Wildcard { ty: named(ty) }),
        Ok(SubjectRef::Userset(e, role)) => Ok(SubjectInput::Userset {
            ty: named(e.ty),
            id: e.id,
            role: named(role),
        }),
        Ok(SubjectRef::Entity(e)) => Ok(SubjectInput::Entity {
            ty: named(e.ty),
            id: e.id,
        }),
        Err(e) => Err(super::json::entity_error(text, span, "`actor`", e)),
    }
}

/// Checks a stored fact against the policy, by the checks facts files go through.
pub fn check_fact(policy: &Policy, fact: &Fact) -> Result<CheckedFact, Diagnostic> {
    let c = Checker::new(policy);
    let r = match fact {
        Fact::Assignment {
            subject,
            role,
            on,
            until_us,
        } => (|| {
            let s = subject_input(subject, NOWHERE)?;
            let on = entity_ref(on, "`on`")?;
            let a = c.check_assignment(s, at(role), (at(on.ty), on.id), None, NOWHERE)?;
            let mut f = a.to_fact();
            if let CheckedFact::Assign { until, span, .. } = &mut f {
                *until = *until_us;
                *span = None;
            }
            Ok(f)
        })(),
        Fact::Relation {
            entity,
            relation,
            target,
        } => (|| {
            let e = entity_ref(entity, "`from`")?;
            let value = Input {
                kind: InputKind::Str(target.clone()),
                span: NOWHERE,
            };
            match c.set(at(e.ty), e.id, at(relation), &value)? {
                f @ CheckedFact::Relation { .. } => Ok(f),
                _ => Err(not_a_relation(relation, e.ty, NOWHERE)),
            }
        })(),
        Fact::Attribute {
            entity,
            name,
            value,
        } => (|| {
            let e = entity_ref(entity, "attribute key")?;
            let text = value.to_string();
            let raw: Box<serde_json::value::RawValue> =
                serde_json::value::RawValue::from_string(text).map_err(|e| {
                    Diagnostic::new(Code::E0501, format!("malformed attribute value: {e}"))
                })?;
            let j = super::json::JsonText {
                file: NOWHERE.file,
                text: raw.get(),
            };
            match c.set(at(e.ty), e.id, at(name), &j.input(&raw))? {
                f @ CheckedFact::Attribute { .. } => Ok(f),
                _ => Err(not_an_attribute(name, e.ty, NOWHERE)),
            }
        })(),
    };
    r.map_err(|d| stored(d, &fact.key()))
}

pub(crate) fn not_a_relation(name: &str, ty: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0205,
        format!("`{name}` is an attribute of `{ty}`, not a relation"),
    )
    .primary(span, "not a relation")
    .help("set attributes in the `attributes` object")
}

pub(crate) fn not_an_attribute(name: &str, ty: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0205,
        format!("`{name}` is a relation of `{ty}`, not an attribute"),
    )
    .primary(span, "not an attribute")
    .help("set relations in the `relations` list")
}

/// Checks a fact key written at `span` (all its parts there).
pub(crate) fn check_key_at(
    policy: &Policy,
    key: &FactKey,
    span: Span,
) -> Result<CheckedKey, Diagnostic> {
    let c = Checker::new(policy);
    let named = |name| Named { name, span };
    let entity = |text| super::json::entity(text, span, "the entity");
    match key {
        FactKey::Assignment { subject, role, on } => {
            let s = subject_input(subject, span)?;
            let on = super::json::entity(on, span, "`on`")?;
            let a = c.check_assignment(s, named(role), (named(on.ty), on.id), None, span)?;
            let CheckedFact::Assign {
                subject, role, on, ..
            } = a.to_fact()
            else {
                unreachable_fact()?
            };
            Ok(CheckedKey::Assignment { subject, role, on })
        }
        FactKey::Relation {
            entity: e,
            relation,
            target: Some(t),
        } => {
            let e = entity(e)?;
            let value = Input {
                kind: InputKind::Str(t.clone()),
                span,
            };
            match c.set(named(e.ty), e.id, named(relation), &value)? {
                CheckedFact::Relation {
                    entity,
                    rel,
                    mut targets,
                } => Ok(CheckedKey::Relation {
                    entity,
                    rel,
                    target: targets.pop(),
                }),
                _ => Err(not_a_relation(relation, e.ty, span)),
            }
        }
        FactKey::Relation {
            entity: e,
            relation,
            target: None,
        } => {
            let e = entity(e)?;
            let ty = c.ty(named(e.ty))?;
            match c.member(ty, named(relation))? {
                super::check::Member::Relation(rel) => Ok(CheckedKey::Relation {
                    entity: (ty, e.id.to_string()),
                    rel,
                    target: None,
                }),
                super::check::Member::Attribute(_) => Err(not_a_relation(relation, e.ty, span)),
            }
        }
        FactKey::Attribute { entity: e, name } => {
            let e = entity(e)?;
            let ty = c.ty(named(e.ty))?;
            match c.member(ty, named(name))? {
                super::check::Member::Attribute(attr) => Ok(CheckedKey::Attribute {
                    entity: (ty, e.id.to_string()),
                    attr,
                }),
                super::check::Member::Relation(_) => Err(not_an_attribute(name, e.ty, span)),
            }
        }
    }
}

/// `check_assignment` always gives an assignment; this is the `else` of a `let` that says so.
fn unreachable_fact<T>() -> Result<T, Diagnostic> {
    Err(Diagnostic::new(Code::E0601, "internal: not an assignment"))
}

/// Checks a stored change against the policy (a store's changes are by name).
pub fn check_change(policy: &Policy, change: &Change) -> Result<CheckedChange, Diagnostic> {
    match change {
        Change::Put(f) => check_fact(policy, f).map(CheckedChange::Put),
        Change::Delete(k) => check_key_at(policy, k, NOWHERE)
            .map(CheckedChange::Delete)
            .map_err(|d| stored(d, k)),
    }
}
