//! Checking what a store gives back (facts and changes by name) against the policy: the same
//! checker as every other fact, with diagnostics that name the stored fact.

use super::{Change, CheckedChange, CheckedKey, Fact, FactKey};
use crate::compiled::Policy;
use crate::diag::{Code, Diagnostic};
use crate::entity::{EntityRef, SubjectRef};
use crate::facts::check::{CheckedFact, Checker, Input, InputKind, Named, SubjectInput};
use crate::source::{FileId, Span};
use std::fmt;

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
    crate::facts::json::entity(text, NOWHERE, what)
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
        Err(e) => Err(crate::facts::json::entity_error(text, span, "`actor`", e)),
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
            let j = crate::facts::json::JsonText {
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
    let entity = |text| crate::facts::json::entity(text, span, "the entity");
    match key {
        FactKey::Assignment { subject, role, on } => {
            let s = subject_input(subject, span)?;
            let on = crate::facts::json::entity(on, span, "`on`")?;
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
                crate::facts::check::Member::Relation(rel) => Ok(CheckedKey::Relation {
                    entity: (ty, e.id.to_string()),
                    rel,
                    target: None,
                }),
                crate::facts::check::Member::Attribute(_) => {
                    Err(not_a_relation(relation, e.ty, span))
                }
            }
        }
        FactKey::Attribute { entity: e, name } => {
            let e = entity(e)?;
            let ty = c.ty(named(e.ty))?;
            match c.member(ty, named(name))? {
                crate::facts::check::Member::Attribute(attr) => Ok(CheckedKey::Attribute {
                    entity: (ty, e.id.to_string()),
                    attr,
                }),
                crate::facts::check::Member::Relation(_) => Err(not_an_attribute(name, e.ty, span)),
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
