//! Requests: who wants to do what on which resource, in which context.

use crate::compiled::{AttrId, Kind, PermId, Policy, Type, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::facts::check::{Checker, Input, Named};
use crate::facts::json::{JsonText, split_entity};
use crate::facts::{EntityId, Facts, Value};
use crate::source::{FileId, Span};
use serde::Deserialize;
use serde_json::value::RawValue;

/// An entity of a request: its type, its id in the facts (`None` when the facts never name it),
/// and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    pub ty: TypeId,
    pub id: Option<EntityId>,
    pub name: String,
}

impl Entity {
    /// Looks `type:id` up in the facts.
    pub fn new(
        policy: &Policy,
        facts: &Facts,
        ty: &str,
        name: &str,
        span: Span,
    ) -> Result<Entity, Diagnostic> {
        let t = Checker::new(policy).ty(Named { name: ty, span })?;
        Ok(Entity {
            ty: t,
            id: facts.lookup(t, name),
            name: name.to_string(),
        })
    }

    pub fn known(facts: &Facts, id: EntityId) -> Option<Entity> {
        Some(Entity {
            ty: facts.entity_type(id)?,
            id: Some(id),
            name: facts.entity_name(id)?.to_string(),
        })
    }
}

/// The request context: a value per declared field, and the time assignments expire against.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Context {
    pub values: Vec<Option<Value>>,
    /// `context.now`, or the current time when the request does not set it.
    pub now: i64,
    /// Attributes the request itself gives its principal and resource (AuthZEN `properties`):
    /// they override the stored facts for this request only.
    pub overlay: Overlay,
}

/// Request-supplied attributes of the principal and the resource, checked against the
/// declarations.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Overlay {
    pub principal: Vec<(AttrId, Value)>,
    pub resource: Vec<(AttrId, Value)>,
}

impl Overlay {
    pub fn get(attrs: &[(AttrId, Value)], a: AttrId) -> Option<&Value> {
        attrs.iter().find(|(x, _)| *x == a).map(|(_, v)| v)
    }
}

/// Which entity of a request properties describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Principal,
    Resource,
}

impl Context {
    /// The context set in the facts (tests, REPL), with `now` defaulting to the current time.
    pub fn from_facts(policy: &Policy, facts: &Facts) -> Context {
        let mut values = facts.context.clone();
        values.resize(policy.context.len(), None);
        let mut c = Context {
            values,
            now: crate::time::now(),
            overlay: Overlay::default(),
        };
        c.sync_now(policy);
        c
    }

    /// Sets a field; keeps `now` in step with a `now: time` field.
    pub fn set(&mut self, policy: &Policy, field: usize, v: Value) {
        if self.values.len() <= field {
            self.values.resize(field + 1, None);
        }
        self.values[field] = Some(v);
        self.sync_now(policy);
    }

    fn sync_now(&mut self, policy: &Policy) {
        if let Some(i) = policy.context_field("now") {
            match self.values.get(i) {
                Some(Some(Value::Time(t))) => self.now = *t,
                // An unset `now` reads as the current time, in conditions too.
                _ if policy.context[i].ty == Type::Time => {
                    if self.values.len() <= i {
                        self.values.resize(i + 1, None);
                    }
                    self.values[i] = Some(Value::Time(self.now));
                }
                _ => {}
            }
        }
    }
}

/// A request, resolved against the policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub principal: Entity,
    pub action: PermId,
    pub resource: Entity,
    pub context: Context,
    /// Problems with the request itself (an undeclared context field): the request is denied and
    /// these are reported in the decision's errors.
    pub errors: Vec<String>,
}

/// Why a request could not be built.
pub type RequestError = Diagnostic;

/// A permission of a type by name; `E0203` with a suggestion otherwise.
pub fn action(policy: &Policy, ty: TypeId, name: &str, span: Span) -> Result<PermId, Diagnostic> {
    let t = policy.ty(ty);
    t.permission(name).ok_or_else(|| {
        let d = Diagnostic::new(
            Code::E0203,
            format!("`{}` has no permission `{name}`", t.name),
        )
        .primary(span, "unknown permission");
        match did_you_mean(name, t.permissions.iter().map(|p| p.name.as_str())) {
            Some(h) => d.help(h),
            None => d.help(format!(
                "the permissions of `{}` are: {}",
                t.name,
                t.permissions
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    })
}

impl Request {
    /// A request from names (`"user:alice"`, `"delete"`, `"workspace:ml"`), with the facts'
    /// context.
    pub fn new(
        policy: &Policy,
        facts: &Facts,
        principal: &str,
        action_name: &str,
        resource: &str,
    ) -> Result<Request, Diagnostic> {
        let span = Span::default();
        let p = entity_from_text(policy, facts, principal, span, "principal")?;
        let r = entity_from_text(policy, facts, resource, span, "resource")?;
        Request::resolved(policy, facts, p, action_name, r, span)
    }

    /// A request from resolved entities.
    pub fn resolved(
        policy: &Policy,
        facts: &Facts,
        principal: Entity,
        action_name: &str,
        resource: Entity,
        span: Span,
    ) -> Result<Request, Diagnostic> {
        if policy.ty(principal.ty).kind != Kind::Actor {
            return Err(Diagnostic::new(
                Code::E0502,
                format!("`{}` is not an actor type", policy.type_name(principal.ty)),
            )
            .primary(span, "the principal must be an actor"));
        }
        let action = action(policy, resource.ty, action_name, span)?;
        Ok(Request {
            principal,
            action,
            resource,
            context: Context::from_facts(policy, facts),
            errors: Vec::new(),
        })
    }

    /// Sets context fields from a JSON object. Undeclared fields become request errors (the
    /// request is then denied); ill-typed values are diagnostics.
    pub fn apply_json_context(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        j: &JsonText<'_>,
        raw: &RawValue,
    ) -> Result<(), Diagnostic> {
        let c = Checker::new(policy);
        for (name, v) in j.object(raw, "`context`")? {
            let Some(field) = policy.context_field(&name) else {
                self.errors
                    .push(format!("undeclared context field `{name}`"));
                continue;
            };
            let input: Input = j.input(v);
            let fv = c.value(
                &policy.context[field].ty,
                &input,
                &format!("context.{name}"),
            )?;
            self.context
                .set(policy, field, lookup_value(policy, facts, &fv));
        }
        Ok(())
    }
}

impl Context {
    /// Sets fields from a parsed JSON object, as the AuthZEN API sends a context: a field the
    /// policy does not declare is ignored (the API's forward compatibility); a declared field
    /// with a value of the wrong type is an `E0401` naming it.
    pub fn apply_object(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        object: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), Diagnostic> {
        let c = Checker::new(policy);
        for (name, v) in object {
            let Some(field) = policy.context_field(name) else {
                continue;
            };
            let fv = c.value(
                &policy.context[field].ty,
                &input_of(v, crate::facts::json::MAX_JSON_NESTING),
                &format!("context.{name}"),
            )?;
            self.set(policy, field, lookup_value(policy, facts, &fv));
        }
        Ok(())
    }
}

impl Context {
    /// Sets the attributes a request gives an entity of type `ty` (`what` names the object in
    /// messages, e.g. `subject.properties`). A property the type does not declare is ignored;
    /// one of the wrong type is an `E0401` naming it.
    pub fn apply_properties(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        side: Side,
        ty: TypeId,
        object: &serde_json::Map<String, serde_json::Value>,
        what: &str,
    ) -> Result<(), Diagnostic> {
        let c = Checker::new(policy);
        let t = policy.ty(ty);
        let mut attrs = Vec::new();
        for (name, v) in object {
            let Some(a) = t.attribute(name) else {
                continue;
            };
            let fv = c.value(
                &t.attributes[a.index()].ty,
                &input_of(v, crate::facts::json::MAX_JSON_NESTING),
                &format!("{what}.{name}"),
            )?;
            attrs.push((a, lookup_value(policy, facts, &fv)));
        }
        let slot = match side {
            Side::Principal => &mut self.overlay.principal,
            Side::Resource => &mut self.overlay.resource,
        };
        *slot = attrs;
        Ok(())
    }
}

/// A parsed JSON value as checker input (no spans: the value came over the network).
fn input_of(v: &serde_json::Value, levels: usize) -> Input {
    use crate::facts::check::InputKind as K;
    use serde_json::Value as J;
    let kind = match v {
        J::Bool(b) => K::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map_or(K::Other("a number that is not an integer"), K::Int),
        J::String(s) => K::Str(s.clone()),
        J::Array(_) if levels == 0 => K::Other("a list nested too deeply"),
        J::Array(items) => K::List(items.iter().map(|i| input_of(i, levels - 1)).collect()),
        J::Null => K::Other("null"),
        J::Object(_) => K::Other("an object"),
    };
    Input {
        kind,
        span: Span::default(),
    }
}

/// A checked value with entities looked up (not added): an entity the facts do not know
/// becomes its `type:id` text, equal to no entity.
pub fn lookup_value(policy: &Policy, facts: &Facts, v: &crate::facts::FactValue) -> Value {
    use crate::facts::FactValue as F;
    match v {
        F::Bool(b) => Value::Bool(*b),
        F::Int(i) => Value::Int(*i),
        F::Str(s) => Value::Str(s.as_str().into()),
        F::Time(t) => Value::Time(*t),
        F::Duration(d) => Value::Duration(*d),
        F::Entity(t, n) => match facts.lookup(*t, n) {
            Some(id) => Value::Entity(id),
            None => Value::Str(crate::facts::display_entity(policy.type_name(*t), n).into()),
        },
        F::List(items) => Value::List(
            items
                .iter()
                .map(|i| lookup_value(policy, facts, i))
                .collect(),
        ),
    }
}

/// `type:id` text as an entity; `E0504` when it has no `:`.
pub fn entity_from_text(
    policy: &Policy,
    facts: &Facts,
    text: &str,
    span: Span,
    what: &str,
) -> Result<Entity, Diagnostic> {
    let Some((ty, id)) = split_entity(text) else {
        return Err(
            Diagnostic::new(Code::E0401, format!("{what} \"{text}\" is not an entity"))
                .primary(span, "expected \"type:id\"")
                .help("write entities as \"type:id\", e.g. \"user:alice\""),
        );
    };
    let id = id
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(id);
    Entity::new(policy, facts, ty, id, span)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRequest<'a> {
    #[serde(borrow)]
    principal: &'a RawValue,
    #[serde(borrow)]
    action: &'a RawValue,
    #[serde(borrow)]
    resource: &'a RawValue,
    #[serde(borrow, default)]
    context: Option<&'a RawValue>,
}

/// A request in the JSON form of LANGUAGE.md section 5.
pub fn from_json(
    policy: &Policy,
    facts: &Facts,
    file: FileId,
    text: &str,
) -> Result<Request, Diagnostic> {
    let j = JsonText { file, text };
    let crate::facts::json::Object::<JsonRequest>(r) =
        serde_json::from_str(text).map_err(|e| j.syntax_error(&e, "request JSON"))?;
    let (p, pspan) = j.string(r.principal, "`principal`")?;
    let (a, aspan) = j.string(r.action, "`action`")?;
    let (res, rspan) = j.string(r.resource, "`resource`")?;
    let principal = entity_from_text(policy, facts, &p, pspan, "principal")?;
    let resource = entity_from_text(policy, facts, &res, rspan, "resource")?;
    let mut req = Request::resolved(policy, facts, principal, &a, resource, aspan)?;
    if let Some(ctx) = r.context {
        req.apply_json_context(policy, facts, &j, ctx)?;
    }
    Ok(req)
}
