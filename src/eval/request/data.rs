//! Request data: a JSON context object, the properties a request gives its principal and
//! resource, and action properties, each typed against the policy's declarations.

use super::*;

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
