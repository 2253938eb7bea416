//! The AuthZEN API over the library: each function reads a request body (see `model.rs`),
//! asks `eval::decide` or the reverse queries of `eval::query`, and writes the response JSON.
//! Nothing here decides: an unknown name or an invalid request becomes a deny (or an empty
//! search) with the error in `context`, decided by the same functions `polc eval` uses.

use super::Engine;
use super::model::{self, BadRequest, EntityRef, Object, Parts, Semantic};
use crate::diag::Diagnostic;
use crate::eval::request::Side;
use crate::eval::{self, Context, Entity, Explainer, Request};
use serde_json::{Value, json};

/// The one place where an AuthZEN `type` + `id` becomes a polc entity.
fn entity(engine: &Engine, e: &EntityRef, id: &str) -> Result<Entity, Diagnostic> {
    Entity::new(
        &engine.policy,
        &engine.facts,
        &e.ty,
        id,
        crate::source::Span::default(),
    )
}

/// `subject.properties` or `resource.properties` as the request's own attributes of the
/// principal or the resource (checked against the declarations of `ty`).
fn properties(
    engine: &Engine,
    o: &Object,
    ctx: &mut Context,
    side: Side,
    ty: crate::compiled::TypeId,
) -> Result<(), Diagnostic> {
    let key = match side {
        Side::Principal => "subject",
        Side::Resource => "resource",
    };
    match o.get(key) {
        Some(e) => ctx.apply_properties_json(
            &engine.policy,
            &engine.facts,
            side,
            ty,
            e,
            key,
            crate::eval::request::UnknownProperty::Ignore,
            crate::source::Span::default(),
        ),
        None => Ok(()),
    }
}

/// `action.properties` as the request's action properties (checked against the policy's
/// `action { ... }` declarations; undeclared ones are ignored, as AuthZEN requires).
fn action_properties(engine: &Engine, o: &Object, ctx: &mut Context) -> Result<(), Diagnostic> {
    match o.get("action") {
        Some(a) => ctx.apply_action_json(
            &engine.policy,
            &engine.facts,
            a,
            crate::eval::request::UnknownProperty::Ignore,
            crate::source::Span::default(),
        ),
        None => Ok(()),
    }
}

/// What one evaluation came to.
pub enum Outcome {
    /// Decided (possibly a fail-closed deny with errors).
    Decided {
        allowed: bool,
        context: Option<Value>,
        log: Value,
    },
    /// The request names what the policy does not have (a type, a permission) or is not
    /// well-typed: denied, with the diagnostic in `context.error`.
    Refused { status: u16, diagnostic: Diagnostic },
}

impl Outcome {
    pub fn allowed(&self) -> bool {
        matches!(self, Outcome::Decided { allowed: true, .. })
    }

    pub fn to_json(&self) -> Value {
        match self {
            Outcome::Decided {
                allowed, context, ..
            } => match context {
                Some(c) => json!({"decision": allowed, "context": c}),
                None => json!({"decision": allowed}),
            },
            Outcome::Refused { status, diagnostic } => json!({
                "decision": false,
                "context": {"error": error_json(*status, diagnostic)},
            }),
        }
    }
}

pub fn error_json(status: u16, d: &Diagnostic) -> Value {
    let mut e = json!({"status": status, "code": d.code.as_str(), "message": d.message});
    if let Some(h) = &d.help {
        e["help"] = json!(h);
    }
    e
}

/// The request of one evaluation: subject, action, resource and context, each required.
pub fn read_evaluation(o: &Object) -> Result<(EntityRef, String, EntityRef), BadRequest> {
    let subject = model::entity(model::required_object(o, "subject")?, "subject", true)?;
    let action = model::action_name(model::required_object(o, "action")?)?;
    let resource = model::entity(model::required_object(o, "resource")?, "resource", true)?;
    model::object(o, "context")?;
    Ok((subject, action, resource))
}

/// The request data of one evaluation besides the names: the `context` object, and the
/// `subject`, `resource` and `action` objects whose `properties` are read (each when present).
#[derive(Clone, Copy, Default)]
pub struct Data<'x> {
    pub context: Option<&'x Object>,
    pub subject: Option<&'x Value>,
    pub resource: Option<&'x Value>,
    pub action: Option<&'x Value>,
}

impl<'x> Data<'x> {
    /// The data of a request read as one JSON object.
    pub fn of(o: &'x Object) -> Data<'x> {
        Data {
            context: o.get("context").and_then(Value::as_object),
            subject: o.get("subject"),
            resource: o.get("resource"),
            action: o.get("action"),
        }
    }
}

/// Builds the request and decides it.
pub fn evaluate(
    engine: &Engine,
    o: &Object,
    subject: &EntityRef,
    action: &str,
    resource: &EntityRef,
    explain: bool,
    log: bool,
) -> Outcome {
    let s = (subject.ty.as_str(), subject.id.as_deref().unwrap_or(""));
    let r = (resource.ty.as_str(), resource.id.as_deref().unwrap_or(""));
    evaluate_parts(engine, s, action, r, Data::of(o), explain, log)
}

/// Builds the request of subject `(type, id)`, action and resource `(type, id)` with its data,
/// and decides it (the one decision path of `/evaluation` and `/evaluations`).
pub fn evaluate_parts(
    engine: &Engine,
    subject: (&str, &str),
    action: &str,
    resource: (&str, &str),
    data: Data,
    explain: bool,
    log: bool,
) -> Outcome {
    let refused = |d: Diagnostic| {
        // Wrong types in the request's values are the caller's mistake (400); names the policy
        // does not know are a deny of something that does not exist.
        let status = if matches!(d.code, crate::diag::Code::E0401 | crate::diag::Code::E0501) {
            400
        } else {
            404
        };
        Outcome::Refused {
            status,
            diagnostic: d,
        }
    };
    // An assignment question (`"action": {"name": "assign", "properties": {"role": R,
    // "assignee": B}}`) is asked of the permissions that assign the role.
    let question = data.action.filter(|a| eval::assign::is_question(a));
    let req = (|| {
        let span = crate::source::Span::default();
        let p = Entity::new(&engine.policy, &engine.facts, subject.0, subject.1, span)?;
        let r = Entity::new(&engine.policy, &engine.facts, resource.0, resource.1, span)?;
        // The question is read once the entities are: its first permission stands in for the
        // action (what is decided is the question).
        let action = match question {
            Some(_) => engine
                .policy
                .ty(r.ty)
                .permissions
                .first()
                .map_or(action, |p| p.name.as_str()),
            None => action,
        };
        let mut req = Request::resolved(
            &engine.policy,
            &engine.facts,
            p,
            action,
            r,
            crate::source::Span::default(),
        )?;
        if let Some(c) = data.context {
            req.context.apply_object(&engine.policy, &engine.facts, c)?;
        }
        let (pt, rt) = (req.principal.ty, req.resource.ty);
        let ignore = crate::eval::request::UnknownProperty::Ignore;
        for (side, ty, e, key) in [
            (Side::Principal, pt, data.subject, "subject"),
            (Side::Resource, rt, data.resource, "resource"),
        ] {
            if let Some(e) = e {
                req.context.apply_properties_json(
                    &engine.policy,
                    &engine.facts,
                    side,
                    ty,
                    e,
                    key,
                    ignore,
                    span,
                )?;
            }
        }
        let assignment = match (question, data.action) {
            (Some(a), _) => Some(eval::assign::question(
                &engine.policy,
                &engine.facts,
                &mut req.context,
                rt,
                a,
                ignore,
                span,
            )?),
            (None, Some(a)) => {
                req.context
                    .apply_action_json(&engine.policy, &engine.facts, a, ignore, span)?;
                None
            }
            (None, None) => None,
        };
        Ok::<_, Diagnostic>((req, assignment))
    })();
    let (req, assignment) = match req {
        Ok(r) => r,
        Err(d) => return refused(d),
    };
    if let Some(a) = assignment {
        return decide_question(engine, &req, &a, explain, log);
    }
    // The decision log records reasons whether or not the response shows them.
    let d = eval::decide_with(&engine.policy, &engine.facts, &req, explain || log);
    // Nothing is allocated for a plain decision: reasons and the log line only when asked for.
    if !explain && !log && d.errors.is_empty() {
        return Outcome::Decided {
            allowed: d.allowed,
            context: None,
            log: Value::Null,
        };
    }
    let x = Explainer {
        policy: &engine.policy,
        facts: &engine.facts,
    };
    let reasons: Vec<String> = d.reasons.iter().map(|r| x.reason(&req, r)).collect();
    let mut context = serde_json::Map::new();
    if explain {
        context.insert("reasons".into(), json!(reasons));
    }
    if !d.errors.is_empty() {
        context.insert("errors".into(), json!(d.errors));
    }
    let log = if log {
        json!({
            "subject": x.entity(&req.principal),
            "action": action,
            "resource": x.entity(&req.resource),
            "decision": d.allowed,
            "reasons": reasons,
            "errors": d.errors,
        })
    } else {
        Value::Null
    };
    Outcome::Decided {
        allowed: d.allowed,
        context: (!context.is_empty()).then_some(Value::Object(context)),
        log,
    }
}

/// The outcome of an assignment question: the same response as any evaluation (the reasons
/// under `options.explain`, errors when there are some), and the role and assignee in the log.
fn decide_question(
    engine: &Engine,
    req: &Request,
    a: &eval::assign::Assignment,
    explain: bool,
    log: bool,
) -> Outcome {
    let (policy, facts) = (&engine.policy, &engine.facts);
    let d = eval::assign::decide_assign_request(policy, facts, req, a);
    let errors = d.errors();
    let reasons = if explain || log {
        d.reasons(policy, facts, &req.principal, &req.resource)
    } else {
        Vec::new()
    };
    let mut context = serde_json::Map::new();
    if explain {
        context.insert("reasons".into(), json!(reasons));
    }
    if !errors.is_empty() {
        context.insert("errors".into(), json!(errors));
    }
    let x = Explainer { policy, facts };
    let log = if log {
        json!({
            "subject": x.entity(&req.principal),
            "action": eval::assign::ACTION,
            "role": policy.ty(req.resource.ty).roles[a.role.index()].name,
            "assignee": x.entity(&a.assignee),
            "resource": x.entity(&req.resource),
            "decision": d.allowed,
            "reasons": reasons,
            "errors": errors,
        })
    } else {
        Value::Null
    };
    Outcome::Decided {
        allowed: d.allowed,
        context: (!context.is_empty()).then_some(Value::Object(context)),
        log,
    }
}

/// `POST /access/v1/evaluation`.
pub fn evaluation(engine: &Engine, o: &Object, log: bool) -> Result<Outcome, BadRequest> {
    let (s, a, r) = read_evaluation(o)?;
    Ok(evaluate(engine, o, &s, &a, &r, model::explain(o), log))
}

/// `POST /access/v1/evaluations`: the outcomes in request order, or `None` for the
/// backwards-compatible form (no or an empty `evaluations`: one evaluation).
pub fn evaluations(
    engine: &Engine,
    o: &Object,
    max_batch: usize,
    log: bool,
    deadline: std::time::Instant,
) -> Result<Result<Vec<Outcome>, Outcome>, BadRequest> {
    let items = match o.get("evaluations") {
        None => None,
        Some(Value::Array(a)) if a.is_empty() => None,
        Some(Value::Array(a)) => Some(a),
        Some(_) => return Err(BadRequest("`evaluations` must be an array".into())),
    };
    let Some(items) = items else {
        return evaluation(engine, o, log).map(Err);
    };
    if items.len() > max_batch {
        return Err(BadRequest(format!(
            "{} evaluations is over the batch limit of {max_batch}",
            items.len()
        )));
    }
    let semantic = model::semantic(o)?;
    let explain = model::explain(o);
    let defaults = Parts::of(o);
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        // Past the time limit the caller refuses the whole batch (E0801): stop deciding.
        if std::time::Instant::now() > deadline {
            break;
        }
        let outcome = evaluate_item(engine, &defaults, item, explain, log);
        let allowed = outcome.allowed();
        out.push(outcome);
        match semantic {
            Semantic::DenyOnFirstDeny if !allowed => break,
            Semantic::PermitOnFirstPermit if allowed => break,
            _ => {}
        }
    }
    Ok(Ok(out))
}

/// One item of a batch over the top-level defaults, read as a JSON value.
pub fn evaluate_item(
    engine: &Engine,
    defaults: &Parts,
    item: &Value,
    explain: bool,
    log: bool,
) -> Outcome {
    match item {
        Value::Object(item) => {
            let merged = Parts::merged(defaults, item).to_object();
            match read_evaluation(&merged) {
                Ok((s, a, r)) => evaluate(engine, &merged, &s, &a, &r, explain, log),
                Err(BadRequest(m)) => bad_item(m),
            }
        }
        _ => bad_item("an evaluation must be an object".into()),
    }
}

fn bad_item(message: String) -> Outcome {
    Outcome::Refused {
        status: 400,
        diagnostic: Diagnostic::new(crate::diag::Code::E0501, message),
    }
}

/// The page a search asks for: after the key of a token, at most `limit` results, until the
/// deadline.
pub struct PageAsk<'a> {
    pub after: Option<&'a str>,
    pub limit: usize,
    pub deadline: std::time::Instant,
}

/// One page of a search.
#[derive(Default)]
pub struct Found {
    pub results: Vec<Value>,
    /// The key of the last result (an id, or an action's name), for the next page's token.
    pub last: Option<String>,
    /// Whether results follow the last one.
    pub more: bool,
    /// Evaluation errors met deciding the candidates (the decisions failed closed).
    pub errors: Vec<String>,
    /// Subject search: any actor of the type would be allowed (a wildcard or a rule), not only
    /// those listed.
    pub everyone: bool,
    /// Stopped at the deadline: the caller answers E0801.
    pub timed_out: bool,
}

fn context_of(engine: &Engine, o: &Object) -> Result<Context, BadRequest> {
    let mut ctx = Context::from_facts(&engine.policy, &engine.facts);
    if let Some(c) = model::object(o, "context")? {
        ctx.apply_object(&engine.policy, &engine.facts, c)
            .map_err(|d| BadRequest(d.message))?;
    }
    Ok(ctx)
}

fn entity_json(engine: &Engine, e: &Entity) -> Value {
    json!({"type": engine.policy.type_name(e.ty), "id": e.name})
}

fn found(engine: &Engine, page: eval::index::Page) -> Found {
    Found {
        results: page.found.iter().map(|e| entity_json(engine, e)).collect(),
        last: page.found.last().map(|e| e.name.clone()),
        more: page.more,
        errors: page.errors,
        everyone: page.everyone,
        timed_out: page.timed_out,
    }
}

/// `POST /access/v1/search/subject`: `who can`, limited to the subject type, from the reverse
/// index (`eval::index`).
pub fn search_subject(engine: &Engine, o: &Object, ask: &PageAsk) -> Result<Found, BadRequest> {
    let subject = model::entity(model::required_object(o, "subject")?, "subject", false)?;
    let action = model::action_name(model::required_object(o, "action")?)?;
    let resource = model::entity(model::required_object(o, "resource")?, "resource", true)?;
    let ctx = context_of(engine, o)?;
    let p = &engine.policy;
    let (Some(sty), Ok(r)) = (
        p.type_id(&subject.ty),
        entity(engine, &resource, resource.id.as_deref().unwrap_or("")),
    ) else {
        return Ok(Found::default());
    };
    let Some(act) = p.ty(r.ty).permission(&action) else {
        return Ok(Found::default());
    };
    if p.ty(sty).kind != crate::compiled::Kind::Actor {
        return Ok(Found::default());
    }
    let mut ctx = ctx;
    properties(engine, o, &mut ctx, Side::Resource, r.ty).map_err(|d| BadRequest(d.message))?;
    action_properties(engine, o, &mut ctx).map_err(|d| BadRequest(d.message))?;
    let page = engine.index.subjects(
        p,
        &engine.facts,
        &ctx,
        sty,
        act,
        &r,
        ask.after,
        ask.limit,
        Some(ask.deadline),
    );
    Ok(found(engine, page))
}

/// `POST /access/v1/search/resource`: `which`, from the reverse index.
pub fn search_resource(engine: &Engine, o: &Object, ask: &PageAsk) -> Result<Found, BadRequest> {
    let subject = model::entity(model::required_object(o, "subject")?, "subject", true)?;
    let action = model::action_name(model::required_object(o, "action")?)?;
    let resource = model::entity(model::required_object(o, "resource")?, "resource", false)?;
    let ctx = context_of(engine, o)?;
    let p = &engine.policy;
    let (Ok(s), Some(rty)) = (
        entity(engine, &subject, subject.id.as_deref().unwrap_or("")),
        p.type_id(&resource.ty),
    ) else {
        return Ok(Found::default());
    };
    let Some(act) = p.ty(rty).permission(&action) else {
        return Ok(Found::default());
    };
    if p.ty(s.ty).kind != crate::compiled::Kind::Actor {
        return Ok(Found::default());
    }
    let mut ctx = ctx;
    properties(engine, o, &mut ctx, Side::Principal, s.ty).map_err(|d| BadRequest(d.message))?;
    action_properties(engine, o, &mut ctx).map_err(|d| BadRequest(d.message))?;
    let page = engine.index.resources(
        p,
        &engine.facts,
        &ctx,
        rty,
        &s,
        act,
        ask.after,
        ask.limit,
        Some(ask.deadline),
    );
    Ok(found(engine, page))
}

/// `POST /access/v1/search/action`: `what can`, in the order the policy declares the actions.
pub fn search_action(engine: &Engine, o: &Object, ask: &PageAsk) -> Result<Found, BadRequest> {
    let subject = model::entity(model::required_object(o, "subject")?, "subject", true)?;
    let resource = model::entity(model::required_object(o, "resource")?, "resource", true)?;
    let ctx = context_of(engine, o)?;
    let p = &engine.policy;
    let (Ok(s), Ok(r)) = (
        entity(engine, &subject, subject.id.as_deref().unwrap_or("")),
        entity(engine, &resource, resource.id.as_deref().unwrap_or("")),
    ) else {
        return Ok(Found::default());
    };
    if p.ty(s.ty).kind != crate::compiled::Kind::Actor {
        return Ok(Found::default());
    }
    let mut ctx = ctx;
    properties(engine, o, &mut ctx, Side::Principal, s.ty).map_err(|d| BadRequest(d.message))?;
    properties(engine, o, &mut ctx, Side::Resource, r.ty).map_err(|d| BadRequest(d.message))?;
    let (perms, errors) = eval::query::permissions_what_can(p, &engine.facts, &ctx, &s, &r);
    let t = p.ty(r.ty);
    let names: Vec<&str> = perms
        .iter()
        .map(|a| t.permissions[a.index()].name.as_str())
        .collect();
    // After the key: the actions declared after the one named (in declaration order).
    let from = match ask.after {
        None => 0,
        Some(k) => match t.permission(k) {
            Some(a) => perms.partition_point(|x| x.index() <= a.index()),
            None => names.len(),
        },
    };
    let page: Vec<&str> = names[from..].iter().take(ask.limit).copied().collect();
    Ok(Found {
        results: page.iter().map(|n| json!({"name": n})).collect(),
        last: page.last().map(|n| (*n).to_string()),
        more: from + page.len() < names.len(),
        errors,
        everyone: false,
        timed_out: false,
    })
}
