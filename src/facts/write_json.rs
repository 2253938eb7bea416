//! A transaction as JSON (`docs/store.md`): `writes` is a facts document, checked exactly as a
//! facts file is; `deletes` and `preconditions` name facts by their keys.
//!
//! ```json
//! {"preconditions": [{"exists": {"actor": "user:ann", "role": "admin", "on": "org:acme"}},
//!                    {"revision": 7}],
//!  "deletes": {"assignments": [{"actor": "user:bob", "role": "admin", "on": "org:acme"}],
//!              "relations": [{"from": "doc:1", "relation": "parent"}],
//!              "attributes": {"doc:1": ["public"]}},
//!  "writes": {"assignments": [{"actor": "user:cy", "role": "admin", "on": "org:acme"}]}}
//! ```

use super::json::{JsonText, check_document};
use super::write::{
    CheckedChange, CheckedPrecondition, FactKey, Revision, Transaction, check_key_at,
};
use crate::compiled::Policy;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTransaction<'a> {
    #[serde(borrow, default)]
    preconditions: Option<Vec<super::json::Object<JsonPrecondition<'a>>>>,
    #[serde(borrow, default)]
    deletes: Option<&'a RawValue>,
    #[serde(borrow, default)]
    writes: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDeletes<'a> {
    #[serde(borrow, default)]
    assignments: Vec<super::json::Object<JsonKey<'a>>>,
    #[serde(borrow, default)]
    relations: Vec<super::json::Object<JsonKey<'a>>>,
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonPrecondition<'a> {
    #[serde(borrow, default)]
    exists: Option<&'a RawValue>,
    #[serde(borrow, default)]
    absent: Option<&'a RawValue>,
    #[serde(borrow, default)]
    revision: Option<&'a RawValue>,
}

/// A fact key: an assignment's `actor`, `role`, `on`; a relation's `from`, `relation` and
/// optional `to`; an attribute's `entity` and `attribute`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonKey<'a> {
    #[serde(borrow, default)]
    actor: Option<&'a RawValue>,
    #[serde(borrow, default)]
    role: Option<&'a RawValue>,
    #[serde(borrow, default)]
    on: Option<&'a RawValue>,
    #[serde(borrow, default)]
    from: Option<&'a RawValue>,
    #[serde(borrow, default)]
    relation: Option<&'a RawValue>,
    #[serde(borrow, default)]
    to: Option<&'a RawValue>,
    #[serde(borrow, default)]
    entity: Option<&'a RawValue>,
    #[serde(borrow, default)]
    attribute: Option<&'a RawValue>,
}

fn malformed(span: Span, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::E0601, msg)
        .primary(span, "here")
        .help("`polc explain E0601` shows the transaction format")
}

/// Reads a fact key and checks it against the policy.
fn key(
    policy: &Policy,
    j: &JsonText<'_>,
    raw: &RawValue,
    k: &JsonKey<'_>,
) -> Result<super::write::CheckedKey, Diagnostic> {
    let span = j.span(raw);
    let s = |r: Option<&RawValue>, what: &str| -> Result<Option<(String, Span)>, Diagnostic> {
        match r {
            None => Ok(None),
            Some(r) => j.string(r, what).map(|(v, sp)| Some((v.into_owned(), sp))),
        }
    };
    let actor = s(k.actor, "`actor`")?;
    let role = s(k.role, "`role`")?;
    let on = s(k.on, "`on`")?;
    let from = s(k.from, "`from`")?;
    let relation = s(k.relation, "`relation`")?;
    let to = s(k.to, "`to`")?;
    let entity = s(k.entity, "`entity`")?;
    let attribute = s(k.attribute, "`attribute`")?;
    let (fact, at) = match (actor, role, on, from, relation, to, entity, attribute) {
        (Some(a), Some(r), Some(o), None, None, None, None, None) => (
            FactKey::Assignment {
                subject: a.0,
                role: r.0,
                on: o.0,
            },
            a.1.to(o.1),
        ),
        (None, None, None, Some(f), Some(r), to, None, None) => {
            let end = to.as_ref().map_or(r.1, |t| t.1);
            (
                FactKey::Relation {
                    entity: f.0,
                    relation: r.0,
                    target: to.map(|t| t.0),
                },
                f.1.to(end),
            )
        }
        (None, None, None, None, None, None, Some(e), Some(a)) => (
            FactKey::Attribute {
                entity: e.0,
                name: a.0,
            },
            e.1.to(a.1),
        ),
        _ => {
            return Err(malformed(
                span,
                "a fact key is `actor`, `role` and `on`; `from`, `relation` and an optional `to`; or `entity` and `attribute`",
            ));
        }
    };
    check_key_at(policy, &fact, at)
}

/// Reads a transaction from JSON text (added as `file` to the caller's source map, so that its
/// diagnostics render) and checks every part of it against the policy: all of it, or every
/// problem found. Nothing about the facts is asked here: see [`crate::lints::judge`].
pub fn transaction_from_json(
    policy: &Policy,
    file: FileId,
    text: &str,
) -> Result<Transaction, Vec<Diagnostic>> {
    let j = JsonText { file, text };
    let tx: JsonTransaction<'_> = serde_json::from_str(text).map_err(|e| {
        let mut d = j.syntax_error(&e, "transaction JSON");
        d.code = Code::E0601;
        d.help = Some("`polc explain E0601` shows the transaction format".into());
        vec![d]
    })?;
    let mut errors = Vec::new();
    let mut out = Transaction::default();
    for super::json::Object(p) in tx.preconditions.unwrap_or_default() {
        let at = p
            .exists
            .or(p.absent)
            .or(p.revision)
            .map_or(Span::new(file, 0, 0), |r| j.span(r));
        let r = match (p.exists, p.absent, p.revision) {
            (Some(raw), None, None) => parse_key(policy, &j, raw).map(CheckedPrecondition::Exists),
            (None, Some(raw), None) => parse_key(policy, &j, raw).map(CheckedPrecondition::Absent),
            (None, None, Some(r)) => serde_json::from_str::<u64>(r.get())
                .map(|r| CheckedPrecondition::Revision(Revision(r)))
                .map_err(|_| malformed(at, "a `revision` is a whole number, 0 or more")),
            _ => Err(malformed(
                Span::new(file, 0, 0),
                "a precondition is one of `exists`, `absent` or `revision`",
            )),
        };
        match r {
            Ok(p) => {
                out.preconditions.push(p);
                out.precondition_spans.push(at);
            }
            Err(d) => errors.push(d),
        }
    }
    if let Some(raw) = tx.deletes {
        match serde_json::from_str::<JsonDeletes<'_>>(raw.get()) {
            Err(e) => {
                let at = j.span(raw).start as usize
                    + super::json::line_col_offset(raw.get(), e.line(), e.column());
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg);
                errors.push(malformed(
                    Span::new(file, at, at),
                    format!("malformed transaction `deletes`: {msg}"),
                ));
            }
            Ok(d) => {
                for k in d.assignments.iter().chain(&d.relations) {
                    // The span of the whole key: from its first member to its last.
                    match first_member(&k.0).map(|r| key(policy, &j, r, &k.0)) {
                        Some(Ok(k)) => out.changes.push(CheckedChange::Delete(k)),
                        Some(Err(e)) => errors.push(e),
                        None => errors.push(malformed(j.span(raw), "an empty fact key")),
                    }
                }
                if let Some(attrs) = d.attributes {
                    attribute_deletes(policy, &j, attrs, &mut out, &mut errors);
                }
            }
        }
    }
    if let Some(raw) = tx.writes {
        match check_document(policy, file, text, raw) {
            Ok(facts) => out.put_all(policy, facts),
            Err(d) => errors.extend(d),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The first member of a key that is given, for its place in the text.
fn first_member<'a>(k: &JsonKey<'a>) -> Option<&'a RawValue> {
    k.actor.or(k.from).or(k.entity).or(k.role).or(k.on)
}

fn parse_key(
    policy: &Policy,
    j: &JsonText<'_>,
    raw: &RawValue,
) -> Result<super::write::CheckedKey, Diagnostic> {
    let super::json::Object(k) =
        serde_json::from_str::<super::json::Object<JsonKey<'_>>>(raw.get())
            .map_err(|e| malformed(j.span(raw), format!("malformed fact key: {e}")))?;
    key(policy, j, raw, &k)
}

/// `"attributes": {"doc:1": ["public", "owner"]}`: the attributes to remove.
fn attribute_deletes(
    policy: &Policy,
    j: &JsonText<'_>,
    attrs: &RawValue,
    out: &mut Transaction,
    errors: &mut Vec<Diagnostic>,
) {
    let map = match j.object(attrs, "`deletes.attributes`") {
        Ok(m) => m,
        Err(d) => return errors.push(d),
    };
    for (entity, names) in map {
        let span = j.span(names);
        let Ok(list) = serde_json::from_str::<Vec<&RawValue>>(names.get()) else {
            errors.push(malformed(
                span,
                "the attributes to delete are a list of names",
            ));
            continue;
        };
        for n in list {
            let r = j.string(n, "an attribute name").and_then(|(name, nspan)| {
                check_key_at(
                    policy,
                    &FactKey::Attribute {
                        entity: entity.clone(),
                        name: name.into_owned(),
                    },
                    nspan,
                )
            });
            match r {
                Ok(k) => out.changes.push(CheckedChange::Delete(k)),
                Err(d) => errors.push(d),
            }
        }
    }
}
