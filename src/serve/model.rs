//! The AuthZEN request shapes, read from parsed JSON: subjects, resources, actions, contexts,
//! and the merging of batch defaults. Reading is strict about what the API requires (a missing
//! `type`, an `id` that is not a string: a [`BadRequest`]) and ignores every field it does not
//! know, as the API's forward compatibility asks.

use serde_json::{Map, Value};
use std::fmt::Write as _;

/// A request the API refuses as a whole (HTTP 400), with the reason.
#[derive(Clone, Debug, PartialEq)]
pub struct BadRequest(pub String);

/// A JSON object, as `serde_json` holds it.
pub type Object = Map<String, Value>;

/// A subject or a resource: `type`, `id` (optional where a search leaves it out), `properties`.
#[derive(Clone, Debug, PartialEq)]
pub struct EntityRef {
    /// The entity's type, as the policy names it.
    pub ty: String,
    /// The entity's id; `None` where a search leaves it out.
    pub id: Option<String>,
}

/// The body as a JSON object.
pub fn body_object(body: &[u8]) -> Result<Object, BadRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BadRequest("the request body is empty".into()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(BadRequest("the request body must be a JSON object".into())),
        Err(e) => Err(BadRequest(format!("malformed request JSON: {e}"))),
    }
}

/// A member that must be an object, when present.
pub fn object<'v>(o: &'v Object, key: &str) -> Result<Option<&'v Object>, BadRequest> {
    match o.get(key) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(BadRequest(format!("`{key}` must be an object"))),
    }
}

/// A member that must be an object.
pub fn required_object<'v>(o: &'v Object, key: &str) -> Result<&'v Object, BadRequest> {
    object(o, key)?.ok_or_else(|| BadRequest(format!("`{key}` is missing")))
}

fn string<'v>(o: &'v Object, key: &str, what: &str) -> Result<Option<&'v str>, BadRequest> {
    match o.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(BadRequest(format!("`{what}.{key}` must be a string"))),
    }
}

/// `subject` / `resource`: `type` is always required; `id` when `need_id`.
pub fn entity(o: &Object, what: &str, need_id: bool) -> Result<EntityRef, BadRequest> {
    let ty =
        string(o, "type", what)?.ok_or_else(|| BadRequest(format!("`{what}.type` is missing")))?;
    let id = string(o, "id", what)?;
    if need_id && id.is_none() {
        return Err(BadRequest(format!("`{what}.id` is missing")));
    }
    if let Some(p) = o.get("properties")
        && !p.is_object()
    {
        return Err(BadRequest(format!("`{what}.properties` must be an object")));
    }
    Ok(EntityRef {
        ty: ty.to_string(),
        id: id.map(str::to_string),
    })
}

/// `action.name`.
pub fn action_name(o: &Object) -> Result<String, BadRequest> {
    string(o, "name", "action")?
        .map(str::to_string)
        .ok_or_else(|| BadRequest("`action.name` is missing".into()))
}

/// The four parts of one evaluation, before they are read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parts {
    /// `subject`: the actor (`{"type", "id", "properties"?}`).
    pub subject: Option<Value>,
    /// `action`: `{"name", "properties"?}`.
    pub action: Option<Value>,
    /// `resource`: the entity (`{"type", "id", "properties"?}`).
    pub resource: Option<Value>,
    /// `context`: the request's context fields, an object.
    pub context: Option<Value>,
}

impl Parts {
    /// The parts of the object `o` as given, unread; absent parts are `None`.
    pub fn of(o: &Object) -> Parts {
        Parts {
            subject: o.get("subject").cloned(),
            action: o.get("action").cloned(),
            resource: o.get("resource").cloned(),
            context: o.get("context").cloned(),
        }
    }

    /// One item of a batch over the top-level defaults. An item's part replaces the default
    /// whole (entity-level replacement), except that a `type` or `id` it leaves out is taken
    /// from the default (the certification scenario's default merging).
    pub fn merged(defaults: &Parts, item: &Object) -> Parts {
        let entity = |d: &Option<Value>, key: &str| match (item.get(key), d) {
            (Some(Value::Object(i)), Some(Value::Object(d))) => {
                let mut m = i.clone();
                for k in ["type", "id"] {
                    if !m.contains_key(k)
                        && let Some(v) = d.get(k)
                    {
                        m.insert(k.into(), v.clone());
                    }
                }
                Some(Value::Object(m))
            }
            (Some(v), _) => Some(v.clone()),
            (None, d) => d.clone(),
        };
        Parts {
            subject: entity(&defaults.subject, "subject"),
            action: item
                .get("action")
                .cloned()
                .or_else(|| defaults.action.clone()),
            resource: entity(&defaults.resource, "resource"),
            context: item
                .get("context")
                .cloned()
                .or_else(|| defaults.context.clone()),
        }
    }

    /// The parts as one object (for reading them the way a single evaluation is read).
    pub fn to_object(&self) -> Object {
        let mut o = Object::new();
        for (k, v) in [
            ("subject", &self.subject),
            ("action", &self.action),
            ("resource", &self.resource),
            ("context", &self.context),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), v.clone());
            }
        }
        o
    }
}

/// `options.evaluations_semantic`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Semantic {
    /// Decide every evaluation (the default).
    ExecuteAll,
    /// Stop at the first deny.
    DenyOnFirstDeny,
    /// Stop at the first permit.
    PermitOnFirstPermit,
}

/// Reads `options.evaluations_semantic` of a batch request (default `execute_all`); an
/// unknown value or a non-string is a [`BadRequest`].
pub fn semantic(o: &Object) -> Result<Semantic, BadRequest> {
    let Some(opts) = object(o, "options")? else {
        return Ok(Semantic::ExecuteAll);
    };
    match opts.get("evaluations_semantic") {
        None => Ok(Semantic::ExecuteAll),
        Some(Value::String(s)) => match s.as_str() {
            "execute_all" => Ok(Semantic::ExecuteAll),
            "deny_on_first_deny" => Ok(Semantic::DenyOnFirstDeny),
            "permit_on_first_permit" => Ok(Semantic::PermitOnFirstPermit),
            other => Err(BadRequest(format!(
                "unknown `options.evaluations_semantic` `{other}`: expected `execute_all`, `deny_on_first_deny` or `permit_on_first_permit`"
            ))),
        },
        Some(_) => Err(BadRequest(
            "`options.evaluations_semantic` must be a string".into(),
        )),
    }
}

/// Whether the caller asks for polc's reasons: `options.explain: true`.
pub fn explain(o: &Object) -> bool {
    o.get("options")
        .and_then(|v| v.get("explain"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// `page.limit` and `page.token` (`page.next_token` is read too, as earlier drafts wrote it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The token as sent; read with [`decode_token`] against the revision served.
    pub token: Option<String>,
    /// How many results to return: the request's `page.limit`, or the default when absent or
    /// 0, lowered to the server's maximum.
    pub limit: usize,
}

/// Reads `page` of a search request, with the server's default and maximum limits.
pub fn page(o: &Object, default_limit: usize, max_limit: usize) -> Result<Page, BadRequest> {
    let Some(p) = object(o, "page")? else {
        return Ok(Page {
            token: None,
            limit: default_limit,
        });
    };
    let limit = match p.get("limit") {
        None => default_limit,
        Some(v) => match v.as_u64() {
            Some(0) => default_limit,
            Some(n) => usize::try_from(n).unwrap_or(max_limit).min(max_limit),
            None => {
                return Err(BadRequest(
                    "`page.limit` must be a non-negative integer".into(),
                ));
            }
        },
    };
    let token = match p.get("token").or_else(|| p.get("next_token")) {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(BadRequest("`page.token` must be a string".into())),
    };
    Ok(Page { token, limit })
}

/// Why a page token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token this server gives out.
    Foreign,
    /// A token of another policy and facts revision (E0802); the revision it names.
    Stale(String),
}

/// The opaque token of the page after the result `last` (its id, or an action's name), under
/// the policy and facts revision `revision`: `p2.REVISION.HEX(last)`. A key, not an offset, so
/// a page never repeats or skips a result of the same answer.
pub fn encode_token(revision: &str, last: &str) -> String {
    let mut s = format!("p2.{revision}.");
    for b in last.as_bytes() {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The key a token continues after, when it is of `revision`.
pub fn decode_token(t: &str, revision: &str) -> Result<String, TokenError> {
    let rest = t.strip_prefix("p2.").ok_or(TokenError::Foreign)?;
    let (rev, hex) = rest.rsplit_once('.').ok_or(TokenError::Foreign)?;
    if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(TokenError::Foreign);
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0))
        .collect();
    let key = String::from_utf8(bytes).map_err(|_| TokenError::Foreign)?;
    if rev != revision {
        return Err(TokenError::Stale(rev.to_string()));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Object {
        match v {
            Value::Object(o) => o,
            _ => Object::new(),
        }
    }

    #[test]
    fn an_item_replaces_a_default_entity_but_keeps_its_type() {
        let defaults = Parts::of(&obj(
            json!({"resource": {"type": "record", "properties": {"a": 1}}}),
        ));
        let item = obj(json!({"resource": {"id": "r1"}}));
        let m = Parts::merged(&defaults, &item);
        assert_eq!(m.resource, Some(json!({"id": "r1", "type": "record"})));
    }

    #[test]
    fn tokens_round_trip_and_foreign_or_stale_ones_are_refused() {
        let t = encode_token("r1.f1", "bob.smith");
        assert_eq!(decode_token(&t, "r1.f1"), Ok("bob.smith".to_string()));
        assert_eq!(
            decode_token(&t, "r2.f1"),
            Err(TokenError::Stale("r1.f1".into()))
        );
        assert_eq!(decode_token("1234", "r1.f1"), Err(TokenError::Foreign));
        assert_eq!(
            decode_token("p2.r1.f1.zz", "r1.f1"),
            Err(TokenError::Foreign)
        );
        let o = obj(json!({"page": {"limit": 5000}}));
        assert_eq!(
            page(&o, 10, 100),
            Ok(Page {
                token: None,
                limit: 100
            })
        );
    }
}
