//! The reference reading of a rule condition: a tree walk over the compiled condition that
//! shares no evaluation code with the fast evaluator (`eval::expr`). Values are its own
//! ([`RV`]): sets are item lists compared by mutual inclusion, records field lists compared by
//! name, so that nothing leans on the fast path's sorted representation. Role tests use the
//! reference fixpoint ([`super::roles_held`]). Property tests require both readings to agree on
//! every condition and request, including the request's own attributes and action properties.

use crate::compiled::expr::{Lit, Method};
use crate::compiled::{CExpr, Policy, TypeId};
use crate::eval::Request;
use crate::facts::{EntityId, Facts, Value};
use crate::lang::BinOp;

/// A value of the reference reading.
#[derive(Clone, Debug)]
enum RV {
    Bool(bool),
    Int(i64),
    Str(String),
    Time(i64),
    Duration(i64),
    Entity(EntityId),
    /// An entity the facts never name (a request's principal or resource, a literal).
    Unnamed(TypeId, String),
    Set(Vec<RV>),
    Record(Vec<(String, RV)>),
}

impl PartialEq for RV {
    fn eq(&self, other: &RV) -> bool {
        use RV::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) | (Time(a), Time(b)) | (Duration(a), Duration(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (Entity(a), Entity(b)) => a == b,
            (Unnamed(t, a), Unnamed(u, b)) => t == u && a == b,
            (Set(a), Set(b)) => a.iter().all(|x| b.contains(x)) && b.iter().all(|y| a.contains(y)),
            (Record(a), Record(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(n, v)| b.iter().any(|(m, w)| m == n && w == v))
            }
            _ => false,
        }
    }
}

fn from_value(v: &Value) -> RV {
    match v {
        Value::Bool(b) => RV::Bool(*b),
        Value::Int(i) => RV::Int(*i),
        Value::Str(s) => RV::Str(s.to_string()),
        Value::Time(t) => RV::Time(*t),
        Value::Duration(d) => RV::Duration(*d),
        Value::Entity(e) => RV::Entity(*e),
        Value::List(items) => RV::Set(items.iter().map(from_value).collect()),
        Value::Record(fs) => RV::Record(
            fs.iter()
                .map(|(n, v)| (n.to_string(), from_value(v)))
                .collect(),
        ),
    }
}

type R<T> = Result<T, String>;

struct Walk<'a> {
    policy: &'a Policy,
    facts: &'a Facts,
    req: &'a Request,
}

/// The condition's truth for the request; `Err` when it cannot be evaluated (the caller fails
/// closed).
pub fn holds(policy: &Policy, facts: &Facts, req: &Request, c: &CExpr) -> R<bool> {
    let w = Walk { policy, facts, req };
    match w.eval(c)? {
        RV::Bool(b) => Ok(b),
        _ => Err("not a bool".into()),
    }
}

impl Walk<'_> {
    fn entity(&self, e: &crate::eval::Entity) -> RV {
        match e.id {
            Some(id) => RV::Entity(id),
            None => RV::Unnamed(e.ty, e.name.clone()),
        }
    }

    /// The type and (when the facts name it) the id of an entity value.
    fn entity_parts(&self, v: &RV) -> R<(TypeId, Option<EntityId>)> {
        match v {
            RV::Entity(id) => Ok((
                self.facts.entity_type(*id).ok_or("no such entity")?,
                Some(*id),
            )),
            RV::Unnamed(t, _) => Ok((*t, None)),
            _ => Err("an entity was expected".into()),
        }
    }

    fn boolean(&self, e: &CExpr) -> R<bool> {
        match self.eval(e)? {
            RV::Bool(b) => Ok(b),
            _ => Err("a bool was expected".into()),
        }
    }

    /// The request's own value of attribute `name` when `base` is `principal` or `resource`.
    fn request_attribute(&self, base: &CExpr, ty: TypeId, name: &str) -> Option<RV> {
        let list = match base {
            CExpr::Principal => &self.req.context.overlay.principal,
            CExpr::Resource => &self.req.context.overlay.resource,
            _ => return None,
        };
        let a = self.policy.ty(ty).attribute(name)?;
        list.iter()
            .find(|(x, _)| *x == a)
            .map(|(_, v)| from_value(v))
    }

    fn eval(&self, e: &CExpr) -> R<RV> {
        Ok(match e {
            CExpr::Principal => self.entity(&self.req.principal),
            CExpr::Resource => self.entity(&self.req.resource),
            CExpr::Context(i) => match self.req.context.values.get(*i as usize) {
                Some(Some(v)) => from_value(v),
                _ => return Err("context field not set".into()),
            },
            CExpr::HasContext(i) => RV::Bool(matches!(
                self.req.context.values.get(*i as usize),
                Some(Some(_))
            )),
            CExpr::Action(i) => match self.req.context.overlay.action.get(*i as usize) {
                Some(Some(v)) => from_value(v),
                _ => return Err("action property not given".into()),
            },
            CExpr::HasAction(i) => RV::Bool(matches!(
                self.req.context.overlay.action.get(*i as usize),
                Some(Some(_))
            )),
            CExpr::Lit(l) => match l {
                Lit::Bool(b) => RV::Bool(*b),
                Lit::Int(i) => RV::Int(*i),
                Lit::Str(s) => RV::Str(s.clone()),
                Lit::Time(t) => RV::Time(*t),
                Lit::Duration(d) => RV::Duration(*d),
                Lit::Entity { ty, id } => match self.facts.lookup(*ty, id) {
                    Some(e) => RV::Entity(e),
                    None => RV::Unnamed(*ty, id.clone()),
                },
            },
            CExpr::List(items) => {
                let mut out: Vec<RV> = Vec::new();
                for i in items {
                    let v = self.eval(i)?;
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                RV::Set(out)
            }
            CExpr::Record(fields) => RV::Record(
                fields
                    .iter()
                    .map(|(n, e)| Ok((n.clone(), self.eval(e)?)))
                    .collect::<R<Vec<_>>>()?,
            ),
            CExpr::Access { base, name, .. } => {
                let b = self.eval(base)?;
                let (ty, id) = self.entity_parts(&b)?;
                if let Some(v) = self.request_attribute(base, ty, name) {
                    return Ok(v);
                }
                let id = id.ok_or("an entity the facts do not name has no members")?;
                let t = self.policy.ty(ty);
                if let Some(a) = t.attribute(name) {
                    from_value(self.facts.attribute(id, a).ok_or("attribute not set")?)
                } else if let Some(r) = t.relation(name) {
                    if !self.facts.has_relation(id, r) {
                        return Err("relation not set".into());
                    }
                    let targets = self.facts.relation(id, r);
                    if t.relations[r.index()].many {
                        let mut out: Vec<RV> = Vec::new();
                        for x in targets {
                            if !out.contains(&RV::Entity(*x)) {
                                out.push(RV::Entity(*x));
                            }
                        }
                        RV::Set(out)
                    } else {
                        RV::Entity(*targets.first().ok_or("relation not set")?)
                    }
                } else {
                    return Err("no such member".into());
                }
            }
            CExpr::Has { base, name, .. } => {
                let b = self.eval(base)?;
                let (ty, id) = self.entity_parts(&b)?;
                if self.request_attribute(base, ty, name).is_some() {
                    return Ok(RV::Bool(true));
                }
                let Some(id) = id else {
                    return Ok(RV::Bool(false));
                };
                let t = self.policy.ty(ty);
                RV::Bool(if let Some(a) = t.attribute(name) {
                    self.facts.attribute(id, a).is_some()
                } else if let Some(r) = t.relation(name) {
                    self.facts.has_relation(id, r)
                } else {
                    false
                })
            }
            CExpr::Field { base, name } => match self.eval(base)? {
                RV::Record(fs) => fs
                    .into_iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v)
                    .ok_or("no such field")?,
                _ => return Err("a record was expected".into()),
            },
            CExpr::HasField { base, name } => match self.eval(base)? {
                RV::Record(fs) => RV::Bool(fs.iter().any(|(n, _)| n == name)),
                _ => return Err("a record was expected".into()),
            },
            CExpr::IsType { subject, ty } => {
                let s = self.eval(subject)?;
                RV::Bool(self.entity_parts(&s)?.0 == *ty)
            }
            CExpr::Not(x) => RV::Bool(!self.boolean(x)?),
            CExpr::Neg(x) => match self.eval(x)? {
                RV::Int(i) => RV::Int(i.checked_neg().ok_or("overflow")?),
                RV::Duration(d) => RV::Duration(d.checked_neg().ok_or("overflow")?),
                _ => return Err("cannot negate".into()),
            },
            CExpr::And(a, b) => RV::Bool(self.boolean(a)? && self.boolean(b)?),
            CExpr::Or(a, b) => RV::Bool(self.boolean(a)? || self.boolean(b)?),
            CExpr::Cmp(op, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                RV::Bool(compare(*op, &x, &y)?)
            }
            CExpr::Arith(op, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                arith(*op, x, y)?
            }
            CExpr::In(a, b) => {
                let x = self.eval(a)?;
                match self.eval(b)? {
                    RV::Set(items) => RV::Bool(items.contains(&x)),
                    _ => return Err("a set was expected".into()),
                }
            }
            CExpr::Call {
                method,
                receiver,
                arg,
            } => {
                let (r, a) = (self.eval(receiver)?, self.eval(arg)?);
                call(*method, r, a)?
            }
            CExpr::Is {
                subject,
                role,
                ty,
                target,
            } => {
                let s = self.eval(subject)?;
                let (sty, sid) = self.entity_parts(&s)?;
                let t = self.eval(target)?;
                let (tty, tid) = self.entity_parts(&t)?;
                if tty != *ty {
                    return Err("a role test on an entity of another type".into());
                }
                let Some(tid) = tid else {
                    return Ok(RV::Bool(false));
                };
                let held =
                    super::roles_held(self.policy, self.facts, sty, sid, self.req.context.now);
                RV::Bool(held.contains(&(tid, *role)))
            }
        })
    }
}

fn compare(op: BinOp, x: &RV, y: &RV) -> R<bool> {
    if op == BinOp::Eq {
        return Ok(x == y);
    }
    if op == BinOp::Ne {
        return Ok(x != y);
    }
    let (a, b) = match (x, y) {
        (RV::Int(a), RV::Int(b))
        | (RV::Time(a), RV::Time(b))
        | (RV::Duration(a), RV::Duration(b)) => (*a, *b),
        _ => return Err("cannot order".into()),
    };
    Ok(match op {
        BinOp::Lt => a < b,
        BinOp::Le => a <= b,
        BinOp::Gt => a > b,
        BinOp::Ge => a >= b,
        _ => return Err("not a comparison".into()),
    })
}

fn arith(op: BinOp, x: RV, y: RV) -> R<RV> {
    let add = op == BinOp::Add;
    let f = |a: i64, b: i64| {
        if add {
            a.checked_add(b)
        } else {
            a.checked_sub(b)
        }
        .ok_or_else(|| "overflow".to_string())
    };
    Ok(match (x, y) {
        (RV::Int(a), RV::Int(b)) => RV::Int(f(a, b)?),
        (RV::Duration(a), RV::Duration(b)) => RV::Duration(f(a, b)?),
        (RV::Time(a), RV::Duration(b)) => RV::Time(f(a, b)?),
        (RV::Duration(a), RV::Time(b)) if add => RV::Time(f(a, b)?),
        (RV::Time(a), RV::Time(b)) if !add => RV::Duration(f(a, b)?),
        _ => return Err("cannot combine".into()),
    })
}

fn call(method: Method, r: RV, a: RV) -> R<RV> {
    Ok(match (method, r, a) {
        (Method::Contains, RV::Set(xs), a) => RV::Bool(xs.contains(&a)),
        (Method::ContainsAll, RV::Set(xs), RV::Set(ys)) => {
            RV::Bool(ys.iter().all(|y| xs.contains(y)))
        }
        (Method::ContainsAny, RV::Set(xs), RV::Set(ys)) => {
            RV::Bool(ys.iter().any(|y| xs.contains(y)))
        }
        (Method::TimeOfDay, RV::Time(t), RV::Duration(off)) => {
            // Microseconds into the local day, `t + off` taken modulo one day.
            const DAY: i64 = 86_400_000_000;
            let local = t.checked_add(off).ok_or("time out of range")?;
            RV::Duration(local.rem_euclid(DAY))
        }
        (Method::DayOfWeek, RV::Time(t), RV::Duration(off)) => {
            const DAY: i64 = 86_400_000_000;
            const NAMES: [&str; 7] = [
                "thursday",
                "friday",
                "saturday",
                "sunday",
                "monday",
                "tuesday",
                "wednesday",
            ];
            // 1970-01-01 was a Thursday.
            let local = t.checked_add(off).ok_or("time out of range")?;
            RV::Str(NAMES[local.div_euclid(DAY).rem_euclid(7) as usize].to_string())
        }
        _ => return Err("wrong arguments".into()),
    })
}
