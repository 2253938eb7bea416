//! Requests: who wants to do what on which resource, in which context.

use crate::compiled::{AttrId, Kind, PermId, Policy, Type, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::facts::check::{Checker, Input, Named};
use crate::facts::json::JsonText;
use crate::facts::{EntityId, Facts, Value};
use crate::source::{FileId, Span};
use serde::Deserialize;
use serde_json::value::RawValue;

/// An entity of a request: its type, its id in the facts (`None` when the facts never name it),
/// and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// The entity's type.
    pub ty: TypeId,
    /// Its id in the facts; `None` when the facts never name it (then only wildcard
    /// assignments and rules can give it anything, and it has no stored attributes).
    pub id: Option<EntityId>,
    /// Its name within its type, as given (`alice` of `user:alice`).
    pub name: String,
}

impl Entity {
    /// Looks `type:id` up in the facts. The id is read literally; the empty id and `*` (the
    /// wildcard) name no entity and are refused, as in every input (`crate::entity`).
    pub fn new(
        policy: &Policy,
        facts: &Facts,
        ty: &str,
        name: &str,
        span: Span,
    ) -> Result<Entity, Diagnostic> {
        let (ty, id) = Entity::lookup(policy, facts, ty, name, span)?;
        Ok(Entity {
            ty,
            id,
            name: name.to_string(),
        })
    }

    /// [`Entity::new`] without the name: the type and the id in the facts.
    fn lookup(
        policy: &Policy,
        facts: &Facts,
        ty: &str,
        name: &str,
        span: Span,
    ) -> Result<(TypeId, Option<EntityId>), Diagnostic> {
        let t = Checker::new(policy).ty(Named { name: ty, span })?;
        if let Err(e) = crate::entity::check_id(name) {
            return Err(Diagnostic::new(
                Code::E0401,
                format!("`{ty}:{name}` is not an entity: {}", e.reason()),
            )
            .primary(span, "not an entity id")
            .help(e.help()));
        }
        Ok((t, facts.lookup(t, name)))
    }

    /// Points this entity at `ty`, `id` and `name`, reusing its name buffer.
    fn set(&mut self, (ty, id): (TypeId, Option<EntityId>), name: &str) {
        self.ty = ty;
        self.id = id;
        self.name.clear();
        self.name.push_str(name);
    }

    /// The entity the facts know as `id`; `None` when `id` is not one of theirs.
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
    /// Per declared context field (by index in [`Policy::context`]): its value, `None` when unset.
    pub values: Vec<Option<Value>>,
    /// `context.now`, or the current time when the request does not set it, in microseconds
    /// since the Unix epoch.
    pub now: i64,
    /// Attributes the request itself gives its principal and resource (AuthZEN `properties`):
    /// they override the stored facts for this request only.
    pub overlay: Overlay,
}

/// Request-supplied attributes of the principal and the resource, checked against the
/// declarations, and the properties of the action.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Overlay {
    /// Attributes of the principal given by the request, overriding the facts' values.
    pub principal: Vec<(AttrId, Value)>,
    /// Attributes of the resource given by the request, overriding the facts' values.
    pub resource: Vec<(AttrId, Value)>,
    /// The action's properties (AuthZEN `action.properties`), by index in the policy's
    /// `action { ... }` declarations; `None` (or past the end) is a property not given.
    pub action: Vec<Option<Value>>,
}

impl Overlay {
    /// The value of attribute `a` in `attrs` (one side of an overlay), if given.
    pub fn get(attrs: &[(AttrId, Value)], a: AttrId) -> Option<&Value> {
        attrs.iter().find(|(x, _)| *x == a).map(|(_, v)| v)
    }
}

/// Which entity of a request properties describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The request's principal.
    Principal,
    /// The request's resource.
    Resource,
}

impl Context {
    /// The context set in the facts (tests, REPL), with `now` defaulting to the current time.
    pub fn from_facts(policy: &Policy, facts: &Facts) -> Context {
        let mut values = facts.context.clone();
        values.resize(policy.context.len(), None);
        let mut action = facts.action.clone();
        action.resize(policy.action.len(), None);
        let mut c = Context {
            values,
            now: crate::time::now(),
            overlay: Overlay {
                action,
                ..Overlay::default()
            },
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
    /// The actor asking.
    pub principal: Entity,
    /// The permission asked for, on the resource's type.
    pub action: PermId,
    /// The resource asked about.
    pub resource: Entity,
    /// The context: field values, `now`, and the request's own attributes.
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

/// What request-time data does with a property the entity's type does not declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownProperty {
    /// Skipped: the AuthZEN API's rule (a server must accept properties it does not know).
    Ignore,
    /// Refused with `E0406` (with the nearest declared name): `polc eval`, where a misspelt
    /// property would otherwise be silently unread.
    Refuse,
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
        self.set_properties(
            policy,
            facts,
            (side, ty),
            object,
            what,
            UnknownProperty::Ignore,
            Span::default(),
        )
    }

    /// The request-time data of one entity in the AuthZEN shape,
    /// `{"type": T, "id": I, "properties": {NAME: VALUE, ...}}`: each property is typed against
    /// the attribute `ty` declares and overrides the stored facts for this request only. `what`
    /// names the object in messages (`subject`, `principal`); `span` is where it was written.
    /// An entity without `properties` sets nothing; a `properties` that is not an object is an
    /// `E0501` when unknown properties are refused, and ignored otherwise (the server's
    /// forward compatibility). The one function the server and `polc eval` both use.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_properties_json(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        side: Side,
        ty: TypeId,
        entity: &serde_json::Value,
        what: &str,
        unknown: UnknownProperty,
        span: Span,
    ) -> Result<(), Diagnostic> {
        match entity.get("properties") {
            None => Ok(()),
            Some(serde_json::Value::Object(props)) => self.set_properties(
                policy,
                facts,
                (side, ty),
                props,
                &format!("{what}.properties"),
                unknown,
                span,
            ),
            Some(_) if unknown == UnknownProperty::Ignore => Ok(()),
            Some(_) => Err(Diagnostic::new(
                Code::E0501,
                format!("malformed request JSON: `{what}.properties` must be an object"),
            )
            .primary(span, "in this entity")),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn set_properties(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        (side, ty): (Side, TypeId),
        object: &serde_json::Map<String, serde_json::Value>,
        what: &str,
        unknown: UnknownProperty,
        span: Span,
    ) -> Result<(), Diagnostic> {
        let c = Checker::new(policy);
        let t = policy.ty(ty);
        let mut attrs = Vec::new();
        for (name, v) in object {
            let Some(a) = t.attribute(name) else {
                if unknown == UnknownProperty::Refuse {
                    return Err(unknown_property(policy, ty, name, what, span));
                }
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

impl Context {
    /// Sets an action property; the others keep their values.
    pub fn set_action(&mut self, field: usize, v: Value) {
        let slot = &mut self.overlay.action;
        if slot.len() <= field {
            slot.resize(field + 1, None);
        }
        slot[field] = Some(v);
    }

    /// The request-time properties of the action in the AuthZEN shape,
    /// `{"name": N, "properties": {NAME: VALUE, ...}}`: each is typed against the policy's
    /// `action { ... }` declarations and set for this request on top of the properties already
    /// set (a data file's or a test's). `unknown` says what an undeclared property does (the
    /// server ignores it, `polc eval` refuses it with `E0406`); a `properties` that is not an
    /// object is `E0501` when refusing and ignored otherwise. The one function the server and
    /// `polc eval` both use.
    pub fn apply_action_json(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        action: &serde_json::Value,
        unknown: UnknownProperty,
        span: Span,
    ) -> Result<(), Diagnostic> {
        let props = match action.get("properties") {
            None => return Ok(()),
            Some(serde_json::Value::Object(props)) => props,
            Some(_) if unknown == UnknownProperty::Ignore => return Ok(()),
            Some(_) => {
                return Err(Diagnostic::new(
                    Code::E0501,
                    "malformed request JSON: `action.properties` must be an object",
                )
                .primary(span, "in this action"));
            }
        };
        let c = Checker::new(policy);
        for (name, v) in props {
            let Some(field) = policy.action_field(name) else {
                if unknown == UnknownProperty::Refuse {
                    return Err(unknown_action_property(policy, name, span));
                }
                continue;
            };
            let fv = c.value(
                &policy.action[field].ty,
                &input_of(v, crate::facts::json::MAX_JSON_NESTING),
                &format!("action.properties.{name}"),
            )?;
            self.set_action(field, lookup_value(policy, facts, &fv));
        }
        Ok(())
    }
}

/// `E0406`: an action property the policy's `action { ... }` blocks do not declare.
fn unknown_action_property(policy: &Policy, name: &str, span: Span) -> Diagnostic {
    let names: Vec<&str> = policy.action.iter().map(|f| f.name.as_str()).collect();
    let help = match did_you_mean(name, names.iter().copied()) {
        Some(s) => s,
        None if names.is_empty() => {
            "the policy declares no action properties: declare them with `action { NAME: TYPE; }`"
                .to_string()
        }
        None => format!("the action properties are {}", quoted(&names)),
    };
    Diagnostic::new(
        Code::E0406,
        format!("`action.properties.{name}`: the policy declares no action property `{name}`"),
    )
    .primary(span, "in this action")
    .help(help)
}

/// `E0406`: a request property the entity's type does not declare.
fn unknown_property(policy: &Policy, ty: TypeId, name: &str, what: &str, span: Span) -> Diagnostic {
    let t = policy.ty(ty);
    let tname = policy.type_name(ty);
    let names: Vec<&str> = t.attributes.iter().map(|a| a.name.as_str()).collect();
    let help = match did_you_mean(name, names.iter().copied()) {
        Some(s) => s,
        None if names.is_empty() => format!("`{tname}` declares no attributes"),
        None => format!("the attributes of `{tname}` are {}", quoted(&names)),
    };
    Diagnostic::new(
        Code::E0406,
        format!("`{what}.{name}`: `{tname}` declares no attribute `{name}`"),
    )
    .primary(span, "in this entity")
    .help(help)
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
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
        F::List(items) => Value::set(
            items
                .iter()
                .map(|i| lookup_value(policy, facts, i))
                .collect(),
        ),
        F::Record(fields) => Value::record(
            fields
                .iter()
                .map(|(n, v)| (n.as_str().into(), lookup_value(policy, facts, v)))
                .collect(),
        ),
    }
}

/// `type:id` text as an entity, read by the one rule of every input
/// ([`crate::entity::EntityRef::parse`]: the id is everything after the first `:`, literally);
/// `E0401` when it is not an entity.
pub fn entity_from_text(
    policy: &Policy,
    facts: &Facts,
    text: &str,
    span: Span,
    what: &str,
) -> Result<Entity, Diagnostic> {
    let e = crate::facts::json::entity(text, span, what)?;
    Entity::new(policy, facts, e.ty, e.id, span)
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

/// A request in the JSON form of docs/language.md, "Requests and decisions".
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

/// A request line of `polc eval`: the request and what travels with it.
#[derive(Debug, Default)]
pub struct LineExtras<'t> {
    /// The `id` field, as written (any JSON value), to echo in the answer.
    pub id: Option<&'t RawValue>,
    /// Fields polc does not know, in the order written.
    pub unknown: Vec<UnknownField<'t>>,
    /// The line asks an assignment question (`"action": {"name": "assign", "properties":
    /// {"role": R, "assignee": B}}`): decide it with
    /// [`decide_assign_request`](super::assign::decide_assign_request), not as the request's
    /// action alone.
    pub assign: Option<super::assign::Assignment>,
    /// Where the line writes its `principal` and its `resource` (for W0122).
    pub spans: (Span, Span),
}

/// A field of a request line polc does not know: `polc eval` ignores it with `W0120` (or
/// refuses the line with `--strict`, `E0501`).
#[derive(Debug)]
pub struct UnknownField<'t> {
    /// The key, unescaped.
    pub name: std::borrow::Cow<'t, str>,
    /// Its value, borrowed from the line.
    pub value: &'t RawValue,
}

impl LineExtras<'_> {
    /// The diagnostic for the unknown fields of the line `text` (spans in `file`), if it has
    /// any: `W0120` when they are ignored, the `E0501` error when `strict` refuses them.
    pub fn unknown_fields(&self, file: FileId, text: &str, strict: bool) -> Option<Diagnostic> {
        let first = self.unknown.first()?;
        let fields = self
            .unknown
            .iter()
            .map(|f| format!("`{}`", f.name))
            .collect::<Vec<_>>()
            .join(", ");
        let j = JsonText { file, text };
        let value = j.span(first.value);
        // The key, quotes included, when it is written without escapes (it is then borrowed
        // from the line); the value otherwise.
        let span = match &first.name {
            std::borrow::Cow::Borrowed(k) => {
                let start = (k.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
                match text.get(start.saturating_sub(1)..start + k.len() + 1) {
                    Some(q) if q.starts_with('"') && q.ends_with('"') && start > 0 => {
                        Span::new(file, start - 1, start + k.len() + 1)
                    }
                    _ => value,
                }
            }
            std::borrow::Cow::Owned(_) => value,
        };
        let s = if self.unknown.len() == 1 { "" } else { "s" };
        let known =
            "a request has `principal`, `action`, `resource`, and optionally `context` and `id`";
        Some(if strict {
            Diagnostic::new(
                Code::E0501,
                format!("malformed request JSON: unknown field{s} {fields}"),
            )
            .primary(span, "not a request field")
            .help(known)
        } else {
            Diagnostic::new(
                Code::W0120,
                format!("unknown request field{s} {fields} ignored"),
            )
            .primary(span, "not a request field: ignored")
            .help(format!(
                "{known}; `--strict` refuses a request with another field"
            ))
        })
    }
}

/// An object key, borrowed from the input when it has no escapes (no allocation per field).
struct Key<'t>(std::borrow::Cow<'t, str>);

impl<'t> Deserialize<'t> for Key<'t> {
    fn deserialize<D: serde::Deserializer<'t>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'t> serde::de::Visitor<'t> for V {
            type Value = Key<'t>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'t str) -> Result<Key<'t>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'t>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The fields of a request object; unknown ones are collected rather than refused.
struct TolerantRequest<'t> {
    principal: Option<&'t RawValue>,
    action: Option<&'t RawValue>,
    resource: Option<&'t RawValue>,
    context: Option<&'t RawValue>,
    extras: LineExtras<'t>,
}

impl<'t> Deserialize<'t> for TolerantRequest<'t> {
    fn deserialize<D: serde::Deserializer<'t>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, Visitor};
        struct Fields;
        impl<'t> Visitor<'t> for Fields {
            type Value = TolerantRequest<'t>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a request object")
            }
            fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut r = TolerantRequest {
                    principal: None,
                    action: None,
                    resource: None,
                    context: None,
                    extras: LineExtras::default(),
                };
                while let Some(Key(key)) = map.next_key::<Key<'t>>()? {
                    let value: &'t RawValue = map.next_value()?;
                    let slot = match key.as_ref() {
                        "principal" => &mut r.principal,
                        "action" => &mut r.action,
                        "resource" => &mut r.resource,
                        "context" => &mut r.context,
                        "id" => &mut r.extras.id,
                        _ => {
                            r.extras.unknown.push(UnknownField { name: key, value });
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
                    }
                    *slot = Some(value);
                }
                Ok(r)
            }
        }
        d.deserialize_map(Fields)
    }
}

impl Request {
    /// A request from ids the caller resolved once (`facts.lookup(...)`,
    /// `policy.ty(t).permission(...)`), with the given context. Neither the clock nor the text
    /// of a name is read: only the names are copied for explanations.
    pub fn from_ids(
        policy: &Policy,
        facts: &Facts,
        principal: EntityId,
        action: PermId,
        resource: EntityId,
        context: Context,
    ) -> Result<Request, Diagnostic> {
        let unknown = || Diagnostic::new(Code::E0401, "an entity id the facts do not hold");
        let mut req = Request {
            principal: Entity::known(facts, principal).ok_or_else(unknown)?,
            action,
            resource: Entity::known(facts, resource).ok_or_else(unknown)?,
            context,
            errors: Vec::new(),
        };
        req.set_ids(policy, facts, principal, action, resource)?;
        Ok(req)
    }

    /// Points this request at other ids, keeping its context; the name buffers are reused, so a
    /// caller that keeps one `Request` allocates nothing per decision.
    pub fn set_ids(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        principal: EntityId,
        action: PermId,
        resource: EntityId,
    ) -> Result<(), Diagnostic> {
        let unknown = || Diagnostic::new(Code::E0401, "an entity id the facts do not hold");
        for (e, id) in [
            (&mut self.principal, principal),
            (&mut self.resource, resource),
        ] {
            e.ty = facts.entity_type(id).ok_or_else(unknown)?;
            e.id = Some(id);
            e.name.clear();
            e.name.push_str(facts.entity_name(id).ok_or_else(unknown)?);
        }
        if policy.ty(self.principal.ty).kind != Kind::Actor {
            return Err(Diagnostic::new(
                Code::E0502,
                format!(
                    "`{}` is not an actor type",
                    policy.type_name(self.principal.ty)
                ),
            ));
        }
        let perms = &policy.ty(self.resource.ty).permissions;
        if action.index() >= perms.len() {
            return Err(Diagnostic::new(
                Code::E0203,
                format!(
                    "`{}` has no such permission",
                    policy.type_name(self.resource.ty)
                ),
            ));
        }
        self.action = action;
        self.errors.clear();
        Ok(())
    }

    /// Points this request at other names (`"user:alice"`, `"delete"`, `"workspace:ml"`),
    /// keeping its context: the clock is not read (the context was set once, e.g. by
    /// [`Context::from_facts`]).
    pub fn set_names(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        principal: &str,
        action_name: &str,
        resource: &str,
    ) -> Result<(), Diagnostic> {
        let span = Span::default();
        self.set_texts(
            policy,
            facts,
            (principal, span),
            (action_name, span),
            (resource, span),
        )
    }

    fn set_texts(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        (p, pspan): (&str, Span),
        (a, aspan): (&str, Span),
        (r, rspan): (&str, Span),
    ) -> Result<(), Diagnostic> {
        // Resolved before anything is changed, then copied into the request's own name buffers:
        // nothing is allocated per request once they are large enough.
        let pe = crate::facts::json::entity(p, pspan, "principal")?;
        let re = crate::facts::json::entity(r, rspan, "resource")?;
        let pt = Entity::lookup(policy, facts, pe.ty, pe.id, pspan)?;
        let rt = Entity::lookup(policy, facts, re.ty, re.id, rspan)?;
        self.set_resolved(policy, (pt, pe.id), (a, aspan), (rt, re.id))
    }

    fn set_entities(
        &mut self,
        policy: &Policy,
        principal: Entity,
        action: (&str, Span),
        resource: Entity,
    ) -> Result<(), Diagnostic> {
        self.set_resolved(
            policy,
            ((principal.ty, principal.id), &principal.name),
            action,
            ((resource.ty, resource.id), &resource.name),
        )
    }

    fn set_resolved(
        &mut self,
        policy: &Policy,
        (p, pname): ((TypeId, Option<EntityId>), &str),
        (a, aspan): (&str, Span),
        (r, rname): ((TypeId, Option<EntityId>), &str),
    ) -> Result<(), Diagnostic> {
        if policy.ty(p.0).kind != Kind::Actor {
            return Err(Diagnostic::new(
                Code::E0502,
                format!("`{}` is not an actor type", policy.type_name(p.0)),
            )
            .primary(aspan, "the principal must be an actor"));
        }
        self.action = action(policy, r.0, a, aspan)?;
        self.principal.set(p, pname);
        self.resource.set(r, rname);
        self.errors.clear();
        Ok(())
    }

    /// Fills this request from one JSON request line, starting from `defaults` for the context
    /// (its buffers are reused: no clock read, no allocation for a context of plain values).
    /// Fields polc does not know are returned, not refused; `id` is returned as written.
    pub fn set_from_json<'t>(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        defaults: &Context,
        file: FileId,
        text: &'t str,
    ) -> Result<LineExtras<'t>, Diagnostic> {
        self.fill_from_json(policy, facts, (defaults, true), file, text)
            .map(|(extras, _)| extras)
    }

    /// [`Request::set_from_json`], resetting the context to `defaults` only when `reset` (the
    /// caller knows when it already equals them); also says whether the line set anything of
    /// the context (its `context`, or the properties of an entity or of the action).
    fn fill_from_json<'t>(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        (defaults, reset): (&Context, bool),
        file: FileId,
        text: &'t str,
    ) -> Result<(LineExtras<'t>, bool), Diagnostic> {
        // The plainest line, read in one pass; serde_json reads every other (the same result
        // for the lines both read: `eval::plain`).
        if let Some(l) = super::plain::plain_line(file, text) {
            self.set_texts(policy, facts, l.principal, l.action, l.resource)?;
            if reset {
                self.context.clone_from(defaults);
            }
            let extras = LineExtras {
                spans: (l.principal.1, l.resource.1),
                ..LineExtras::default()
            };
            return Ok((extras, false));
        }
        let j = JsonText { file, text };
        let r: TolerantRequest<'t> =
            serde_json::from_str(text).map_err(|e| j.syntax_error(&e, "request JSON"))?;
        let missing = |field: &str| {
            Diagnostic::new(
                Code::E0501,
                format!("malformed request JSON: missing field `{field}`"),
            )
            .primary(Span::new(file, 0, text.len()), "in this request")
            .help("`polc explain E0501` shows the request JSON format")
        };
        let p_raw = r.principal.ok_or_else(|| missing("principal"))?;
        let a_raw = r.action.ok_or_else(|| missing("action"))?;
        let r_raw = r.resource.ok_or_else(|| missing("resource"))?;
        let p_obj = entity_object(&j, p_raw, "principal")?;
        let r_obj = entity_object(&j, r_raw, "resource")?;
        let a_obj = action_object(&j, a_raw)?;
        let (a, aspan) = match &a_obj {
            Some((n, s, _)) => (std::borrow::Cow::Borrowed(n.as_str()), *s),
            None => j.string(a_raw, "`action`")?,
        };
        let (pspan, rspan) = (j.span(p_raw), j.span(r_raw));
        let question = matches!(&a_obj, Some((_, _, v)) if super::assign::is_question(v));
        match (&p_obj, &r_obj) {
            _ if question => {
                let principal = match &p_obj {
                    Some((ty, id, _)) => Entity::new(policy, facts, ty, id, pspan)?,
                    None => entity_from_text(
                        policy,
                        facts,
                        &j.string(p_raw, "`principal`")?.0,
                        pspan,
                        "principal",
                    )?,
                };
                let resource = match &r_obj {
                    Some((ty, id, _)) => Entity::new(policy, facts, ty, id, rspan)?,
                    None => entity_from_text(
                        policy,
                        facts,
                        &j.string(r_raw, "`resource`")?.0,
                        rspan,
                        "resource",
                    )?,
                };
                self.set_question_entities(policy, principal, resource, aspan)?;
            }
            (None, None) => {
                let (p, _) = j.string(p_raw, "`principal`")?;
                let (res, _) = j.string(r_raw, "`resource`")?;
                self.set_texts(policy, facts, (&p, pspan), (&a, aspan), (&res, rspan))?;
            }
            _ => {
                let principal = match &p_obj {
                    Some((ty, id, _)) => Entity::new(policy, facts, ty, id, pspan)?,
                    None => entity_from_text(
                        policy,
                        facts,
                        &j.string(p_raw, "`principal`")?.0,
                        pspan,
                        "principal",
                    )?,
                };
                let resource = match &r_obj {
                    Some((ty, id, _)) => Entity::new(policy, facts, ty, id, rspan)?,
                    None => entity_from_text(
                        policy,
                        facts,
                        &j.string(r_raw, "`resource`")?.0,
                        rspan,
                        "resource",
                    )?,
                };
                self.set_entities(policy, principal, (&a, aspan), resource)?;
            }
        }
        let touched = r.context.is_some() || p_obj.is_some() || r_obj.is_some() || a_obj.is_some();
        if reset {
            self.context.clone_from(defaults);
        }
        if let Some(ctx) = r.context {
            self.apply_json_context(policy, facts, &j, ctx)?;
        }
        for (obj, side, ty, what, span) in [
            (
                &p_obj,
                Side::Principal,
                self.principal.ty,
                "principal",
                pspan,
            ),
            (&r_obj, Side::Resource, self.resource.ty, "resource", rspan),
        ] {
            if let Some((_, _, v)) = obj {
                self.context.apply_properties_json(
                    policy,
                    facts,
                    side,
                    ty,
                    v,
                    what,
                    UnknownProperty::Refuse,
                    span,
                )?;
            }
        }
        let mut extras = r.extras;
        extras.spans = (pspan, rspan);
        match &a_obj {
            Some((_, span, v)) if question => {
                let a = super::assign::question(
                    policy,
                    facts,
                    &mut self.context,
                    self.resource.ty,
                    v,
                    UnknownProperty::Refuse,
                    *span,
                )?;
                // The request's action is the first permission that assigns the role (or the
                // type's first permission): what it asks is in `extras.assign`.
                self.action = policy
                    .ty(self.resource.ty)
                    .permissions
                    .iter()
                    .position(|p| p.assigns.contains(&a.role))
                    .map_or(PermId(0), |i| PermId(i as u32));
                extras.assign = Some(a);
            }
            Some((_, span, v)) => {
                self.context
                    .apply_action_json(policy, facts, v, UnknownProperty::Refuse, *span)?;
            }
            None => {}
        }
        Ok((extras, touched))
    }

    /// The principal and resource of an assignment question (its action is set once the role
    /// is read).
    fn set_question_entities(
        &mut self,
        policy: &Policy,
        principal: Entity,
        resource: Entity,
        span: Span,
    ) -> Result<(), Diagnostic> {
        if policy.ty(principal.ty).kind != Kind::Actor {
            return Err(Diagnostic::new(
                Code::E0502,
                format!("`{}` is not an actor type", policy.type_name(principal.ty)),
            )
            .primary(span, "the principal must be an actor"));
        }
        self.principal = principal;
        self.resource = resource;
        self.errors.clear();
        Ok(())
    }
}

impl Request {
    /// The request data of a question's `with { ... }` (a test's `can`/`cannot`, the REPL,
    /// `polc query`): context fields and action properties, set as `context.x = v;` and
    /// `action.x = v;` would set them but for this request only, and attributes of the principal
    /// and the resource, read before the facts as AuthZEN `properties` are. Each value is typed
    /// against its declaration (`E0209`, `E0407`, `E0205` for an undeclared name, `E0401` for a
    /// value of the wrong type).
    pub fn apply_data(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        data: &[crate::syntax::ast::RequestDatum],
    ) -> Result<(), Diagnostic> {
        use crate::facts::check::CheckedFact;
        use crate::syntax::ast::Var;
        let c = Checker::new(policy);
        for d in data {
            let name = Named {
                name: &d.name.name,
                span: d.name.span,
            };
            let input = crate::facts::pol::input(&d.value);
            match d.root {
                Var::Context => {
                    if let CheckedFact::Context { field, value } = c.context(name, &input)? {
                        let v = lookup_value(policy, facts, &value);
                        self.context.set(policy, field, v);
                    }
                }
                Var::Action => {
                    if let CheckedFact::Action { field, value } = c.action(name, &input)? {
                        let v = lookup_value(policy, facts, &value);
                        self.context.set_action(field, v);
                    }
                }
                Var::Principal | Var::Resource => {
                    let (entity, side) = if d.root == Var::Principal {
                        (&self.principal, "principal")
                    } else {
                        (&self.resource, "resource")
                    };
                    let ty = Named {
                        name: policy.type_name(entity.ty),
                        span: d.name.span,
                    };
                    match c.set(ty, &entity.name, name, &input)? {
                        CheckedFact::Attribute { attr, value, .. } => {
                            let v = lookup_value(policy, facts, &value);
                            let slot = if d.root == Var::Principal {
                                &mut self.context.overlay.principal
                            } else {
                                &mut self.context.overlay.resource
                            };
                            slot.retain(|(a, _)| *a != attr);
                            slot.push((attr, v));
                        }
                        _ => {
                            return Err(Diagnostic::new(
                                Code::E0205,
                                format!(
                                    "`{side}.{}` is a relation of `{}`: request data give attributes only",
                                    d.name.name,
                                    policy.type_name(entity.ty)
                                ),
                            )
                            .primary(d.name.span, "a relation")
                            .help("set the relation as a fact of the test instead"));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// An entity written in the AuthZEN shape, `{"type": T, "id": I, "properties": {...}}`: its
/// type, its id and the whole object; `None` for any other JSON value (the `"type:id"` text).
fn entity_object(
    j: &JsonText<'_>,
    raw: &RawValue,
    what: &str,
) -> Result<Option<(String, String, serde_json::Value)>, Diagnostic> {
    if !raw.get().trim_start().starts_with('{') {
        return Ok(None);
    }
    let span = j.span(raw);
    let v: serde_json::Value =
        serde_json::from_str(raw.get()).map_err(|e| j.syntax_error(&e, "request JSON"))?;
    let field = |name: &str| match v.get(name) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        _ => Err(Diagnostic::new(
            Code::E0501,
            format!("malformed request JSON: `{what}.{name}` must be a string"),
        )
        .primary(span, "in this entity")
        .help("`polc explain E0501` shows the request JSON format")),
    };
    Ok(Some((field("type")?, field("id")?, v)))
}

/// An action written in the AuthZEN shape, `{"name": N, "properties": {...}}`: its name, where
/// it is written and the whole object (its properties are applied with the request's other
/// data); `None` for the plain `"name"` text.
fn action_object(
    j: &JsonText<'_>,
    raw: &RawValue,
) -> Result<Option<(String, Span, serde_json::Value)>, Diagnostic> {
    if !raw.get().trim_start().starts_with('{') {
        return Ok(None);
    }
    let span = j.span(raw);
    let v: serde_json::Value =
        serde_json::from_str(raw.get()).map_err(|e| j.syntax_error(&e, "request JSON"))?;
    let Some(serde_json::Value::String(name)) = v.get("name") else {
        return Err(Diagnostic::new(
            Code::E0501,
            "malformed request JSON: `action.name` must be a string",
        )
        .primary(span, "in this action")
        .help("`polc explain E0501` shows the request JSON format"));
    };
    Ok(Some((name.clone(), span, v)))
}

/// Requests read one JSON line at a time into one reused [`Request`]: what `polc eval` does,
/// without a clock read or a source map entry per line.
#[derive(Debug)]
pub struct RequestLines {
    defaults: Context,
    request: Option<Request>,
    /// The request's context equals `defaults`: a line that sets nothing of it needs no reset.
    clean: bool,
}

impl RequestLines {
    /// Lines decided against `defaults` (e.g. [`Context::from_facts`], with the fields of
    /// `eval --context` set): each line's `context` is applied on top of it.
    pub fn new(defaults: Context) -> RequestLines {
        RequestLines {
            defaults,
            request: None,
            clean: true,
        }
    }

    /// Like [`RequestLines::new`], with the fields of a JSON context object (`eval --context`)
    /// set on `defaults`. An undeclared field is refused here: it would deny every request.
    pub fn with_context_json(
        policy: &Policy,
        facts: &Facts,
        defaults: Context,
        file: FileId,
        text: &str,
    ) -> Result<RequestLines, Diagnostic> {
        let j = JsonText { file, text };
        let raw: &RawValue =
            serde_json::from_str(text).map_err(|e| j.syntax_error(&e, "context JSON"))?;
        let mut req = placeholder(&defaults);
        req.apply_json_context(policy, facts, &j, raw)?;
        if let Some(e) = req.errors.first() {
            return Err(
                Diagnostic::new(Code::E0501, format!("malformed context JSON: {e}"))
                    .primary(Span::new(file, 0, text.len()), "in this context")
                    .help(
                        "the policy's `context { ... }` block lists the fields a context may set",
                    ),
            );
        }
        Ok(RequestLines::new(req.context))
    }

    /// Reads one request line (spans point into `file`, which the caller adds to a source map
    /// only to render an error).
    pub fn read<'t>(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        file: FileId,
        text: &'t str,
    ) -> Result<(&Request, LineExtras<'t>), Diagnostic> {
        let req = self
            .request
            .get_or_insert_with(|| placeholder(&self.defaults));
        let reset = !self.clean;
        // Until the line is read, the context may be anything (a failed line may have set part
        // of it).
        self.clean = false;
        let (extras, touched) =
            req.fill_from_json(policy, facts, (&self.defaults, reset), file, text)?;
        self.clean = !touched;
        Ok((req, extras))
    }
}

// INVARIANT: a placeholder is overwritten (by `set_from_json`) before it is handed out.
fn placeholder(defaults: &Context) -> Request {
    let nobody = Entity {
        ty: TypeId(0),
        id: None,
        name: String::new(),
    };
    Request {
        principal: nobody.clone(),
        action: PermId(0),
        resource: nobody,
        context: defaults.clone(),
        errors: Vec::new(),
    }
}
