//! Evaluating rule conditions. Errors (an absent attribute, an unset context field, a data
//! cycle behind `is`) are returned, and the caller fails closed.

use super::{Context, Entity};
use crate::compiled::expr::{Lit, Member, Method};
use crate::compiled::{CExpr, TypeId};
use crate::compiled::{Policy, RoleId};
use crate::facts::Facts;
use crate::facts::{EntityId, Value};
use crate::lang::BinOp;
use std::cmp::Ordering;

/// What evaluating a condition reads: the policy, the facts, the request, and a way to decide
/// `is R on X`, answered through plans. The reference evaluator does not use this module: it
/// reads conditions with its own walk (`eval/reference/condition.rs`).
///
/// The facts and the context outlive the evaluation (`'e`), so values are read from them in
/// place: comparing an attribute copies nothing.
pub trait Env<'e> {
    fn policy(&self) -> &Policy;
    fn facts(&self) -> &'e Facts;
    fn principal(&self) -> &Entity;
    fn resource(&self) -> &Entity;
    fn context(&self) -> &'e Context;
    /// Does the actor hold `role` (a role of `ty`) on `entity`? `Err` when the data could not be
    /// followed to the end (the step limit); a data cycle is reported but is no error, since
    /// the roles held are still well defined (the least fixpoint).
    fn holds_role(
        &mut self,
        actor_ty: TypeId,
        actor: Option<EntityId>,
        entity: EntityId,
        ty: TypeId,
        role: RoleId,
    ) -> Result<bool, String>;
}

/// An expression value: a known value, a string literal of the condition (borrowed: a
/// comparison with a literal allocates nothing), or an entity of the request the facts never
/// name.
#[derive(Clone, Debug)]
enum V<'e> {
    Known(Value),
    /// A value of the facts or the context, read in place.
    Ref(&'e Value),
    Text(&'e str),
    /// The principal or resource of the request, absent from the facts.
    Unnamed(TypeId, String),
}

impl<'e> V<'e> {
    /// The value, when it is one (owned or read in place).
    fn value(&self) -> Option<&Value> {
        match self {
            V::Known(v) => Some(v),
            V::Ref(v) => Some(v),
            _ => None,
        }
    }

    /// The text, when it is a string (a literal or a value).
    fn text(&self) -> Option<&str> {
        match self {
            V::Text(s) => Some(s),
            V::Known(Value::Str(s)) | V::Ref(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
}

impl PartialEq for V<'_> {
    fn eq(&self, other: &V<'_>) -> bool {
        if let (Some(a), Some(b)) = (self.text(), other.text()) {
            return a == b;
        }
        match (self.value(), other.value(), self, other) {
            (Some(a), Some(b), _, _) => a == b,
            (_, _, V::Unnamed(t, a), V::Unnamed(u, b)) => t == u && a == b,
            _ => false,
        }
    }
}

/// Whether a list item equals a value (`x in list`), without copying the item.
fn item_eq(item: &Value, x: &V<'_>) -> bool {
    match (item, x) {
        (Value::Str(a), V::Text(b)) => &**a == *b,
        (i, V::Known(x)) => i == x,
        (i, V::Ref(x)) => i == *x,
        // An unnamed entity is kept in a list as its text (see `CExpr::List`).
        (Value::Str(a), V::Unnamed(t, n)) => **a == format!("\u{0}{}:{n}", t.0),
        _ => false,
    }
}

/// A value to keep in a set or a record: owned.
fn owned(v: V<'_>) -> Value {
    match v {
        V::Known(v) => v,
        V::Ref(v) => v.clone(),
        V::Text(s) => Value::Str(s.into()),
        // An unnamed entity equals nothing the facts know; keep it as its text.
        V::Unnamed(t, n) => Value::Str(format!("\u{0}{}:{n}", t.0).into()),
    }
}

pub fn eval_condition<'e, E: Env<'e>>(w: &mut E, e: &'e CExpr) -> Result<bool, String> {
    match e {
        CExpr::And(..) | CExpr::Or(..) | CExpr::Not(..) | CExpr::Cmp(..) => eval_bool(w, e),
        _ => match eval(w, e)?.value() {
            Some(Value::Bool(b)) => Ok(*b),
            _ => Err("the condition is not a bool".into()),
        },
    }
}

/// An operand that must be a bool. The boolean operators and comparisons, the usual shape of
/// a condition, are evaluated here without building a value for each node.
fn eval_bool<'e, E: Env<'e>>(w: &mut E, e: &'e CExpr) -> Result<bool, String> {
    match e {
        CExpr::And(a, b) => Ok(eval_bool(w, a)? && eval_bool(w, b)?),
        CExpr::Or(a, b) => Ok(eval_bool(w, a)? || eval_bool(w, b)?),
        CExpr::Not(x) => Ok(!eval_bool(w, x)?),
        CExpr::Cmp(op, a, b) => {
            let (x, y) = (eval(w, a)?, eval(w, b)?);
            compare(*op, &x, &y)
        }
        _ => bool_of(eval(w, e)?),
    }
}

fn entity_of<'e, E: Env<'e>>(w: &E, v: &V<'_>) -> Result<(TypeId, Option<EntityId>), String> {
    match (v, v.value()) {
        (_, Some(Value::Entity(id))) => {
            let ty = w.facts().entity_type(*id).ok_or("unknown entity")?;
            Ok((ty, Some(*id)))
        }
        (V::Unnamed(ty, _), _) => Ok((*ty, None)),
        _ => Err("not an entity".into()),
    }
}

/// An entity value as `type:id`, for error messages only: formatting it on every attribute
/// access cost an allocation per condition on the decision path.
fn shown<'e, E: Env<'e>>(w: &E, v: &V<'_>) -> String {
    match (v, v.value()) {
        (_, Some(Value::Entity(id))) => w.facts().display(w.policy(), *id),
        (V::Unnamed(ty, name), _) => crate::facts::display_entity(w.policy().type_name(*ty), name),
        _ => String::from("?"),
    }
}

fn request_entity<'e>(e: &Entity) -> V<'e> {
    match e.id {
        Some(id) => V::Known(Value::Entity(id)),
        None => V::Unnamed(e.ty, e.name.clone()),
    }
}

/// What `.name` means on an entity of type `ty`: the member resolved at compile time, or looked
/// up by name (on `principal`, whose type is only known at run time).
fn member_of(
    policy: &Policy,
    ty: TypeId,
    name: &str,
    resolved: Option<(TypeId, Member)>,
) -> Option<Member> {
    match resolved {
        // INVARIANT: a member resolved at compile time is an index into its own type's
        // members; on an entity of another type (a principal the checker narrowed with `is`)
        // the name is looked up again rather than the index read on the wrong type.
        Some((t, m)) if t == ty => Some(m),
        _ => {
            let t = policy.ty(ty);
            t.attribute(name)
                .map(Member::Attr)
                .or_else(|| t.relation(name).map(Member::Rel))
        }
    }
}

/// The request's own attributes of `principal` or `resource`, when `base` is one of them.
fn overlay<'e, E: Env<'e>>(w: &E, base: &CExpr) -> Option<&'e [(crate::compiled::AttrId, Value)]> {
    let o = &w.context().overlay;
    match base {
        CExpr::Principal => Some(&o.principal),
        CExpr::Resource => Some(&o.resource),
        _ => None,
    }
}

fn eval<'e, E: Env<'e>>(w: &mut E, e: &'e CExpr) -> Result<V<'e>, String> {
    Ok(match e {
        CExpr::Principal => request_entity(w.principal()),
        CExpr::Resource => request_entity(w.resource()),
        CExpr::Context(i) => match w.context().values.get(*i as usize).and_then(Option::as_ref) {
            Some(v) => V::Ref(v),
            None => {
                let name = w
                    .policy()
                    .context
                    .get(*i as usize)
                    .map_or("?", |f| f.name.as_str());
                return Err(format!("`context.{name}` is not set"));
            }
        },
        CExpr::Access { base, name, member } => {
            // `principal.x` and `resource.x`, the usual bases, read the request directly.
            let (ty, id, b) = match &**base {
                CExpr::Principal => (w.principal().ty, w.principal().id, None),
                CExpr::Resource => (w.resource().ty, w.resource().id, None),
                _ => {
                    let b = eval(w, base)?;
                    let (ty, id) = entity_of(w, &b)?;
                    (ty, id, Some(b))
                }
            };
            let member = member_of(w.policy(), ty, name, *member);
            // Attributes the request gives its principal or resource override the facts.
            if let (Some(Member::Attr(a)), Some(over)) = (member, overlay(w, base))
                && let Some(v) = super::request::Overlay::get(over, a)
            {
                return Ok(V::Ref(v));
            }
            let absent = || {
                let shown = match (&b, &**base) {
                    (Some(b), _) => shown(w, b),
                    (None, CExpr::Principal) => shown(w, &request_entity(w.principal())),
                    (None, _) => shown(w, &request_entity(w.resource())),
                };
                format!("`{shown}` has no `{name}`")
            };
            match (member, id) {
                (Some(Member::Attr(a)), Some(id)) => {
                    V::Ref(w.facts().attribute(id, a).ok_or_else(absent)?)
                }
                (Some(Member::Rel(r)), Some(id)) => {
                    let many = w.policy().ty(ty).relations[r.index()].many;
                    if !w.facts().has_relation(id, r) {
                        return Err(absent());
                    }
                    let targets = w.facts().relation(id, r);
                    if many {
                        V::Known(Value::set(
                            targets.iter().map(|t| Value::Entity(*t)).collect(),
                        ))
                    } else {
                        V::Known(Value::Entity(*targets.first().ok_or_else(absent)?))
                    }
                }
                _ => return Err(absent()),
            }
        }
        CExpr::Lit(Lit::Str(s)) => V::Text(s),
        CExpr::Lit(l) => V::Known(match l {
            Lit::Bool(b) => Value::Bool(*b),
            Lit::Int(i) => Value::Int(*i),
            Lit::Str(s) => Value::Str(s.as_str().into()),
            Lit::Time(t) => Value::Time(*t),
            Lit::Duration(d) => Value::Duration(*d),
            Lit::Entity { ty, id } => match w.facts().lookup(*ty, id) {
                Some(e) => Value::Entity(e),
                None => return Ok(V::Unnamed(*ty, id.clone())),
            },
        }),
        CExpr::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(owned(eval(w, i)?));
            }
            V::Known(Value::set(out))
        }
        CExpr::Record(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            for (name, e) in fields {
                out.push((name.as_str().into(), owned(eval(w, e)?)));
            }
            V::Known(Value::record(out))
        }
        CExpr::Field { base, name } => match eval(w, base)? {
            V::Ref(v) => V::Ref(v.field(name).ok_or_else(|| no_field(name))?),
            V::Known(v) => V::Known(v.field(name).ok_or_else(|| no_field(name))?.clone()),
            _ => return Err(format!("`.{name}` needs a record")),
        },
        CExpr::HasField { base, name } => match eval(w, base)?.value() {
            Some(v @ Value::Record(_)) => V::Known(Value::Bool(v.field(name).is_some())),
            _ => return Err(format!("`has {name}` needs a record")),
        },
        CExpr::HasContext(i) => V::Known(Value::Bool(
            w.context()
                .values
                .get(*i as usize)
                .is_some_and(Option::is_some),
        )),
        CExpr::Action(i) => match w
            .context()
            .overlay
            .action
            .get(*i as usize)
            .and_then(Option::as_ref)
        {
            Some(v) => V::Ref(v),
            None => {
                let name = w
                    .policy()
                    .action
                    .get(*i as usize)
                    .map_or("?", |f| f.name.as_str());
                return Err(format!("the request gives no `action.{name}`"));
            }
        },
        CExpr::HasAction(i) => V::Known(Value::Bool(
            w.context()
                .overlay
                .action
                .get(*i as usize)
                .is_some_and(Option::is_some),
        )),
        CExpr::IsType { subject, ty } => {
            let s = eval(w, subject)?;
            V::Known(Value::Bool(entity_of(w, &s)?.0 == *ty))
        }
        CExpr::Call {
            method,
            receiver,
            arg,
        } => V::Known(call(w, *method, receiver, arg)?),
        CExpr::Arith(op, a, b) => {
            let (x, y) = (eval(w, a)?, eval(w, b)?);
            V::Known(arith(*op, &x, &y)?)
        }
        CExpr::Not(x) => V::Known(Value::Bool(!eval_bool(w, x)?)),
        CExpr::Neg(x) => match eval(w, x)?.value() {
            Some(Value::Int(i)) => V::Known(Value::Int(i.checked_neg().ok_or("integer overflow")?)),
            Some(Value::Duration(d)) => {
                V::Known(Value::Duration(d.checked_neg().ok_or("duration overflow")?))
            }
            _ => return Err("`-` needs an integer or a duration".into()),
        },
        CExpr::And(..) | CExpr::Or(..) => V::Known(Value::Bool(eval_bool(w, e)?)),
        CExpr::Cmp(op, a, b) => {
            let (x, y) = (eval(w, a)?, eval(w, b)?);
            V::Known(Value::Bool(compare(*op, &x, &y)?))
        }
        CExpr::In(a, b) => {
            let x = eval(w, a)?;
            match eval(w, b)?.value() {
                Some(Value::List(items)) => {
                    V::Known(Value::Bool(items.iter().any(|i| item_eq(i, &x))))
                }
                _ => return Err("`in` needs a list".into()),
            }
        }
        CExpr::Has { base, name, member } => {
            let b = eval(w, base)?;
            let (ty, id) = entity_of(w, &b)?;
            if let (Some(Member::Attr(a)), Some(over)) =
                (member_of(w.policy(), ty, name, *member), overlay(w, base))
                && super::request::Overlay::get(over, a).is_some()
            {
                return Ok(V::Known(Value::Bool(true)));
            }
            let Some(id) = id else {
                return Ok(V::Known(Value::Bool(false)));
            };
            let member = member_of(w.policy(), ty, name, *member);
            V::Known(Value::Bool(match member {
                Some(Member::Attr(a)) => w.facts().attribute(id, a).is_some(),
                Some(Member::Rel(r)) => w.facts().has_relation(id, r),
                None => false,
            }))
        }
        CExpr::Is {
            subject,
            role,
            ty,
            target,
        } => {
            let s = eval(w, subject)?;
            let (sty, sid) = entity_of(w, &s)?;
            let t = eval(w, target)?;
            let (tty, tid) = entity_of(w, &t)?;
            if tty != *ty {
                return Err("`is ... on` reached an entity of another type".into());
            }
            let Some(tid) = tid else {
                return Ok(V::Known(Value::Bool(false)));
            };
            let held = w.holds_role(sty, sid, tid, *ty, *role)?;
            V::Known(Value::Bool(held))
        }
    })
}

fn no_field(name: &str) -> String {
    format!("the record has no `{name}`")
}

/// The items of a set value.
fn items<'v>(v: &'v V<'_>, method: Method) -> Result<&'v [Value], String> {
    match v.value() {
        Some(Value::List(items)) => Ok(items),
        _ => Err(format!("`{}` needs a set", method.name())),
    }
}

fn call<'e, E: Env<'e>>(
    w: &mut E,
    method: Method,
    receiver: &'e CExpr,
    arg: &'e CExpr,
) -> Result<Value, String> {
    let r = eval(w, receiver)?;
    let a = eval(w, arg)?;
    Ok(match method {
        Method::Contains => Value::Bool(items(&r, method)?.iter().any(|i| item_eq(i, &a))),
        Method::ContainsAll | Method::ContainsAny => {
            let (xs, ys) = (items(&r, method)?, items(&a, method)?);
            let found = |y: &Value| xs.binary_search(y).is_ok();
            Value::Bool(if method == Method::ContainsAll {
                ys.iter().all(found)
            } else {
                ys.iter().any(found)
            })
        }
        Method::TimeOfDay | Method::DayOfWeek => {
            let (Some(Value::Time(t)), Some(Value::Duration(offset))) = (r.value(), a.value())
            else {
                return Err(format!("`{}` needs a time and a duration", method.name()));
            };
            if method == Method::TimeOfDay {
                Value::Duration(
                    crate::duration::time_of_day(*t, *offset).ok_or("time out of range")?,
                )
            } else {
                Value::Str(
                    crate::duration::day_of_week(*t, *offset)
                        .ok_or("time out of range")?
                        .into(),
                )
            }
        }
    })
}

/// `+` and `-` on ints, times and durations; overflow is an error.
fn arith(op: BinOp, x: &V<'_>, y: &V<'_>) -> Result<Value, String> {
    let f = |a: i64, b: i64| {
        if op == BinOp::Add {
            a.checked_add(b)
        } else {
            a.checked_sub(b)
        }
        .ok_or_else(|| "arithmetic overflow".to_string())
    };
    Ok(match (x.value(), y.value()) {
        (Some(Value::Int(a)), Some(Value::Int(b))) => Value::Int(f(*a, *b)?),
        (Some(Value::Duration(a)), Some(Value::Duration(b))) => Value::Duration(f(*a, *b)?),
        (Some(Value::Time(a)), Some(Value::Duration(b))) => Value::Time(f(*a, *b)?),
        (Some(Value::Duration(a)), Some(Value::Time(b))) if op == BinOp::Add => {
            Value::Time(f(*a, *b)?)
        }
        (Some(Value::Time(a)), Some(Value::Time(b))) if op == BinOp::Sub => {
            Value::Duration(f(*a, *b)?)
        }
        _ => return Err(format!("`{}` cannot combine these values", op.symbol())),
    })
}

fn bool_of(v: V<'_>) -> Result<bool, String> {
    match v.value() {
        Some(Value::Bool(b)) => Ok(*b),
        _ => Err("expected a bool".into()),
    }
}

fn compare(op: BinOp, x: &V<'_>, y: &V<'_>) -> Result<bool, String> {
    match op {
        BinOp::Eq => Ok(x == y),
        BinOp::Ne => Ok(x != y),
        _ => {
            let ord = match (x.value(), y.value()) {
                (Some(Value::Int(a)), Some(Value::Int(b)))
                | (Some(Value::Time(a)), Some(Value::Time(b)))
                | (Some(Value::Duration(a)), Some(Value::Duration(b))) => a.cmp(b),
                _ => return Err("values cannot be ordered".into()),
            };
            Ok(match op {
                BinOp::Lt => ord == Ordering::Less,
                BinOp::Le => ord != Ordering::Greater,
                BinOp::Gt => ord == Ordering::Greater,
                BinOp::Ge => ord != Ordering::Less,
                _ => false,
            })
        }
    }
}
