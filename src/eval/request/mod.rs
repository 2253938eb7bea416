//! Requests: who wants to do what on which resource, in which context.

use crate::compiled::{AttrId, Kind, PermId, Policy, Type, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::facts::check::{Checker, Input, Named};
use crate::facts::json::JsonText;
use crate::facts::{EntityId, Facts, Value};
use crate::source::{FileId, Span};
use serde::Deserialize;
use serde_json::value::RawValue;

mod data;
mod json;

pub use data::UnknownProperty;
pub use json::{LineExtras, RequestLines, UnknownField, from_json};

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
