//! Requests read from JSON: the one-line form of `polc eval` and the library
//! ([`from_json`], [`Request::set_from_json`], [`RequestLines`]), with the AuthZEN entity and
//! action objects, the fields polc does not know ([`LineExtras`]) and `id`.

use super::*;
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
    /// [`decide_assign_request`](crate::eval::assign::decide_assign_request), not as the request's
    /// action alone.
    pub assign: Option<crate::eval::assign::Assignment>,
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
        if let Some(l) = crate::eval::plain::plain_line(file, text) {
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
        let question = matches!(&a_obj, Some((_, _, v)) if crate::eval::assign::is_question(v));
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
                let a = crate::eval::assign::question(
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
