//! `POST /access/v1/evaluations` and `POST /access/v1/evaluation` read in place: the body is
//! deserialized into typed structs that borrow from it (names as `&str` where the JSON has no
//! escapes, `properties` and `context` as raw JSON), each item is read where it lies, and the
//! top-level defaults are merged into it by reference, without a `serde_json::Value` per item
//! or a clone of the defaults.
//!
//! Only well-formed, complete items take this path. Anything else (a member of the wrong JSON
//! type, a `null`, a duplicate key, a missing `type`, `id` or `name`, a body that is not an
//! object, no `evaluations` in a batch) is read by the generic path of `authzen.rs` over
//! `serde_json::Value`, so that the answer, the error and its wording are exactly what that
//! path gives: the item alone when it is one item, the whole request when it is the request.

use super::Engine;
use super::authzen::{self, Data, Outcome};
use super::model::{self, BadRequest, Object, Semantic};
use serde::Deserialize;
use serde::de::{Deserializer, Error as _, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A string member, borrowed from the body when it has no escapes. A `null` or any other JSON
/// type is an error (which sends the request to the generic path, which names it).
#[derive(Clone, Debug)]
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Raw JSON that must be an object (`properties`, `context`, `options`).
#[derive(Clone, Copy, Debug)]
struct RawObject<'a>(&'a RawValue);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        if raw.get().trim_start().starts_with('{') {
            Ok(RawObject(raw))
        } else {
            Err(D::Error::custom("not an object"))
        }
    }
}

/// A present member: `null` is not "absent" (the generic path refuses it by name).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `subject` or `resource`; unknown members are ignored.
#[derive(Clone, Debug, Default, Deserialize)]
struct EntityIn<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "present")]
    ty: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    properties: Option<RawObject<'a>>,
}

/// `action`.
#[derive(Clone, Debug, Default, Deserialize)]
struct ActionIn<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    name: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    properties: Option<RawObject<'a>>,
}

/// One item of `evaluations`, or the top level's defaults.
#[derive(Clone, Debug, Default, Deserialize)]
struct PartsIn<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    subject: Option<EntityIn<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    action: Option<ActionIn<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    resource: Option<EntityIn<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    context: Option<RawObject<'a>>,
}

/// The body of a batch.
#[derive(Debug, Deserialize)]
struct BatchIn<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    subject: Option<EntityIn<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    action: Option<ActionIn<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    resource: Option<EntityIn<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    context: Option<RawObject<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    evaluations: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default, deserialize_with = "present")]
    options: Option<RawObject<'a>>,
}

/// An item's entity over the default's: the item's replaces the default whole, except that a
/// `type` or `id` it leaves out is the default's (`model::Parts::merged`).
fn merged<'r, 'a>(
    item: &'r Option<EntityIn<'a>>,
    default: &'r Option<EntityIn<'a>>,
) -> Merged<'r, 'a> {
    match (item, default) {
        (Some(i), d) => Merged {
            ty: i.ty.as_ref().or(d.as_ref().and_then(|d| d.ty.as_ref())),
            id: i.id.as_ref().or(d.as_ref().and_then(|d| d.id.as_ref())),
            properties: i.properties,
        },
        (None, Some(d)) => Merged {
            ty: d.ty.as_ref(),
            id: d.id.as_ref(),
            properties: d.properties,
        },
        (None, None) => Merged::default(),
    }
}

#[derive(Default)]
struct Merged<'r, 'a> {
    ty: Option<&'r Text<'a>>,
    id: Option<&'r Text<'a>>,
    properties: Option<RawObject<'a>>,
}

/// Raw JSON as a value (only for what a decision reads: properties, a context).
fn value(raw: RawObject) -> Option<Value> {
    serde_json::from_str(raw.0.get()).ok()
}

/// `{"properties": ...}`, the shape the library's property reader takes.
fn with_properties(raw: Option<RawObject>) -> Option<Value> {
    let v = value(raw?)?;
    let mut m = Object::new();
    m.insert("properties".into(), v);
    Some(Value::Object(m))
}

/// Reads and decides one item in place, or `None` when the item must be read by the generic
/// path (it is not complete and well-formed).
fn item(
    engine: &Engine,
    raw: &RawValue,
    defaults: &PartsIn,
    explain: bool,
    log: bool,
) -> Option<Outcome> {
    let it: PartsIn = serde_json::from_str(raw.get()).ok()?;
    decide(engine, &it, defaults, explain, log)
}

/// `{"options": ...}`, the shape `model::explain` and `model::semantic` read.
fn options_of(raw: Option<RawObject>) -> Option<Object> {
    let mut o = Object::new();
    if let Some(raw) = raw {
        o.insert("options".into(), value(raw)?);
    }
    Some(o)
}

/// `POST /access/v1/evaluation` read in place, or `None` when the body is for the generic path
/// (as for a batch: not complete and well-formed), which answers or refuses it.
pub fn evaluation(engine: &Engine, body: &[u8], log: bool) -> Option<Outcome> {
    // The batch's shape: a single evaluation reads its subject, action, resource, context and
    // options (an `evaluations` member is not its business, and the generic path ignores it).
    let b: BatchIn = serde_json::from_slice(body).ok()?;
    let options = options_of(b.options)?;
    let parts = PartsIn {
        subject: b.subject,
        action: b.action,
        resource: b.resource,
        context: b.context,
    };
    decide(
        engine,
        &parts,
        &PartsIn::default(),
        model::explain(&options),
        log,
    )
}

/// Decides an item over the defaults, or `None` for the generic path.
fn decide(
    engine: &Engine,
    it: &PartsIn,
    defaults: &PartsIn,
    explain: bool,
    log: bool,
) -> Option<Outcome> {
    let s = merged(&it.subject, &defaults.subject);
    let r = merged(&it.resource, &defaults.resource);
    let action = it.action.as_ref().or(defaults.action.as_ref())?;
    let (sty, sid, aname, rty, rid) = (s.ty?, s.id?, action.name.as_ref()?, r.ty?, r.id?);
    // An assignment question (`"name": "assign"`) is read by the generic path, which knows it.
    if aname.0 == crate::eval::assign::ACTION {
        return None;
    }
    let context = match it.context.or(defaults.context) {
        None => None,
        Some(c) => match value(c)? {
            Value::Object(m) => Some(m),
            _ => return None,
        },
    };
    let (sv, rv) = (with_properties(s.properties), with_properties(r.properties));
    let av = with_properties(action.properties);
    let data = Data {
        context: context.as_ref(),
        subject: sv.as_ref(),
        resource: rv.as_ref(),
        action: av.as_ref(),
    };
    Some(authzen::evaluate_parts(
        engine,
        (&sty.0, &sid.0),
        &aname.0,
        (&rty.0, &rid.0),
        data,
        explain,
        log,
    ))
}

/// `POST /access/v1/evaluations` from the body's bytes: the outcomes in request order (as
/// [`authzen::evaluations`] gives them), or `None` when the body is for the generic path (not
/// a batch this reader takes: see the module's documentation).
pub fn evaluations(
    engine: &Engine,
    body: &[u8],
    max_batch: usize,
    log: bool,
    deadline: std::time::Instant,
) -> Option<Result<Vec<Outcome>, BadRequest>> {
    let b: BatchIn = serde_json::from_slice(body).ok()?;
    let items = b.evaluations.filter(|v| !v.is_empty())?;
    let defaults = PartsIn {
        subject: b.subject,
        action: b.action,
        resource: b.resource,
        context: b.context,
    };
    let options = options_of(b.options)?;
    if items.len() > max_batch {
        return Some(Err(BadRequest(format!(
            "{} evaluations is over the batch limit of {max_batch}",
            items.len()
        ))));
    }
    let semantic = match model::semantic(&options) {
        Ok(s) => s,
        Err(e) => return Some(Err(e)),
    };
    let explain = model::explain(&options);
    // The defaults as the generic path reads them, built only if an item needs that path.
    let mut generic: Option<model::Parts> = None;
    let mut out = Vec::with_capacity(items.len());
    for raw in items {
        // Past the time limit the caller refuses the whole batch (E0801): stop deciding.
        if std::time::Instant::now() > deadline {
            break;
        }
        let outcome = match item(engine, raw, &defaults, explain, log) {
            Some(o) => o,
            None => {
                let d = generic.get_or_insert_with(|| defaults_of(body));
                let v: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                authzen::evaluate_item(engine, d, &v, explain, log)
            }
        };
        let allowed = outcome.allowed();
        out.push(outcome);
        match semantic {
            Semantic::DenyOnFirstDeny if !allowed => break,
            Semantic::PermitOnFirstPermit if allowed => break,
            _ => {}
        }
    }
    Some(Ok(out))
}

/// The top-level defaults as `serde_json` values, for an item read by the generic path.
fn defaults_of(body: &[u8]) -> model::Parts {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => model::Parts::of(&o),
        _ => model::Parts::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_borrow_from_the_body_unless_escaped_and_null_is_not_absent() {
        let b: PartsIn =
            serde_json::from_str(r#"{"subject": {"type": "user", "id": "a\"b", "x": [1]}}"#)
                .unwrap_or_default();
        let s = b.subject.unwrap_or_default();
        assert!(matches!(s.ty, Some(Text(Cow::Borrowed("user")))));
        assert!(matches!(s.id, Some(Text(Cow::Owned(ref id))) if id == "a\"b"));
        assert!(serde_json::from_str::<PartsIn>(r#"{"subject": {"type": null}}"#).is_err());
        assert!(serde_json::from_str::<PartsIn>(r#"{"subject": null}"#).is_err());
        assert!(serde_json::from_str::<PartsIn>(r#"{"context": []}"#).is_err());
        assert!(
            serde_json::from_str::<PartsIn>(r#"{"subject": {"properties": 1, "type": "u"}}"#)
                .is_err()
        );
        // A duplicate key is left to the generic path (where the last one wins).
        assert!(serde_json::from_str::<PartsIn>(r#"{"action": {}, "action": {}}"#).is_err());
    }

    #[test]
    fn an_item_takes_the_type_and_id_it_leaves_out_from_the_default_and_nothing_else() {
        let d: PartsIn = serde_json::from_str(
            r#"{"resource": {"type": "record", "properties": {"a": 1}}, "subject": {"type": "user", "id": "alice"}}"#,
        )
        .unwrap_or_default();
        let i: PartsIn = serde_json::from_str(r#"{"resource": {"id": "r1"}}"#).unwrap_or_default();
        let r = merged(&i.resource, &d.resource);
        assert_eq!(r.ty.map(|t| t.0.as_ref()), Some("record"));
        assert_eq!(r.id.map(|t| t.0.as_ref()), Some("r1"));
        assert!(r.properties.is_none());
        let s = merged(&i.subject, &d.subject);
        assert_eq!(s.id.map(|t| t.0.as_ref()), Some("alice"));
    }
}
