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

use super::check::{CheckedFact, EntityName};
use super::{Facts, Subject, SubjectName};
use crate::compiled::{AttrId, Policy, RelId, RoleId};
use crate::source::Span;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use super::write_json::transaction_from_json;
pub use crate::lints::judge::{
    CONSTRAINT_CODES, Constraints, Judgement, failed_precondition, has_constraints, judge,
    judge_preconditions, new_violations, precondition_diagnostic, refusal, scope_of, violations,
};
pub use apply::{Undo, apply, checked_facts, exists, undo};
pub(crate) use names::put_facts;
pub use names::{fact_name, key_name, value_json};
pub(crate) use stored::check_key_at;
pub use stored::{check_change, check_fact};

mod apply;
mod names;
mod stored;

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
