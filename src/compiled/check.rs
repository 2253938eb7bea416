//! The conditions of a loaded artifact, type-checked again against its declarations, with the
//! rules of `resolve::typeck`: an attribute index pointed at another attribute (`int ==
//! "high"`) would otherwise compare values that never match and turn a `forbid` off. Indices
//! are in range here (`validate` ran first).

use super::expr::{FieldType, Lit, Member, Method};
use super::{CExpr, Kind, Policy, Type, TypeId};
use crate::lang::BinOp;

struct Ctx<'p> {
    p: &'p Policy,
    resource: TypeId,
    actors: Vec<TypeId>,
}

fn err<T>(what: &str) -> Result<T, String> {
    Err(what.to_string())
}

impl Ctx<'_> {
    /// The type `.name` reads on a value of type `base`, and the member it must resolve to.
    fn member(
        &self,
        base: &Type,
        name: &str,
        member: &Option<(TypeId, Member)>,
    ) -> Result<Type, String> {
        let candidates = match base {
            Type::Entity(t) => vec![*t],
            Type::AnyActor => self.actors.clone(),
            _ => return err("a field read on a value without fields"),
        };
        let mut found: Option<(TypeId, Member, Type)> = None;
        for ty in &candidates {
            let td = &self.p.types[ty.index()];
            let hit = if let Some(a) = td.attribute(name) {
                Some((Member::Attr(a), td.attributes[a.index()].ty.clone()))
            } else {
                td.relation(name).map(|r| {
                    let rel = &td.relations[r.index()];
                    let t = Type::Entity(rel.target);
                    let t = if rel.many { Type::List(Box::new(t)) } else { t };
                    (Member::Rel(r), t)
                })
            };
            if let Some((m, t)) = hit {
                match &found {
                    Some((_, _, prev)) if *prev != t => return err("a field of two types"),
                    Some(_) => {}
                    None => found = Some((*ty, m, t)),
                }
            }
        }
        let Some((_, _, t)) = found else {
            return err("an unknown field");
        };
        // A member left unresolved is looked up by name at run time. One resolved at compile
        // time (on the base's one type, or on the type `is T` narrowed it to) must be that
        // type's member of the same name: the evaluator reads it only on an entity of that type.
        if let Some((t, mm)) = member {
            let consistent = self.p.types.get(t.index()).is_some_and(|td| {
                td.attribute(name)
                    .map(Member::Attr)
                    .or_else(|| td.relation(name).map(Member::Rel))
                    == Some(*mm)
            });
            if !consistent {
                return err(&format!(
                    "the field `{name}` resolved to another member than its name"
                ));
            }
        }
        Ok(t)
    }

    fn in_enum(t: &Type, e: &CExpr) -> Result<(), String> {
        if let (Type::Enum(vs), CExpr::Lit(Lit::Str(s))) = (t, e)
            && !vs.contains(s)
        {
            return err("a value outside its enumeration");
        }
        Ok(())
    }

    fn ty(&self, e: &CExpr) -> Result<Type, String> {
        Ok(match e {
            CExpr::Principal => match self.actors.as_slice() {
                [one] => Type::Entity(*one),
                _ => Type::AnyActor,
            },
            CExpr::Resource => Type::Entity(self.resource),
            CExpr::Context(i) => self.p.context[*i as usize].ty.clone(),
            CExpr::Access { base, name, member } => {
                let tb = self.ty(base)?;
                self.member(&tb, name, member)?
            }
            CExpr::Has { base, name, member } => {
                let tb = self.ty(base)?;
                self.member(&tb, name, member)?;
                Type::Bool
            }
            CExpr::Lit(l) => match l {
                Lit::Bool(_) => Type::Bool,
                Lit::Int(_) => Type::Int,
                Lit::Str(_) => Type::String,
                Lit::Time(_) => Type::Time,
                Lit::Duration(_) => Type::Duration,
                Lit::Entity { ty, .. } => Type::Entity(*ty),
            },
            CExpr::List(items) => {
                let mut elem: Option<Type> = None;
                for item in items {
                    let t = self.ty(item)?;
                    match &elem {
                        None => elem = Some(t),
                        Some(prev) if prev.comparable(&t) => {
                            if matches!(prev, Type::Enum(_)) && t == Type::String {
                                elem = Some(Type::String);
                            }
                        }
                        Some(_) => return err("a list of mixed types"),
                    }
                }
                elem.map_or(Type::EmptyList, |t| Type::List(Box::new(t)))
            }
            CExpr::HasContext(i) => match self.p.context.get(*i as usize) {
                Some(_) => Type::Bool,
                None => return err("an unknown context field"),
            },
            CExpr::Action(i) => match self.p.action.get(*i as usize) {
                Some(f) => f.ty.clone(),
                None => return err("an unknown action property"),
            },
            CExpr::HasAction(i) => match self.p.action.get(*i as usize) {
                Some(_) => Type::Bool,
                None => return err("an unknown action property"),
            },
            CExpr::Record(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (name, x) in fields {
                    out.push(FieldType {
                        name: name.clone(),
                        ty: self.ty(x)?,
                        optional: false,
                    });
                }
                out.sort_by(|a, b| a.name.cmp(&b.name));
                Type::Record(out)
            }
            CExpr::Field { base, name } => match self.ty(base)?.field(name) {
                Some(f) => f.ty.clone(),
                None => return err("a record field that the record type does not have"),
            },
            CExpr::HasField { base, name } => match self.ty(base)?.field(name) {
                Some(_) => Type::Bool,
                None => return err("a record field that the record type does not have"),
            },
            CExpr::Call {
                method,
                receiver,
                arg,
            } => {
                let (tr, ta) = (self.ty(receiver)?, self.ty(arg)?);
                match method {
                    Method::TimeOfDay | Method::DayOfWeek => {
                        if tr != Type::Time || ta != Type::Duration {
                            return err("a time method on another type");
                        }
                        if *method == Method::TimeOfDay {
                            Type::Duration
                        } else {
                            Type::Enum(
                                crate::duration::WEEKDAYS
                                    .iter()
                                    .map(|d| d.to_string())
                                    .collect(),
                            )
                        }
                    }
                    Method::Contains => {
                        match &tr {
                            Type::List(el) if el.comparable(&ta) || **el == Type::Time => {}
                            Type::EmptyList => {}
                            _ => return err("`contains` on a value that is not a set of its type"),
                        }
                        Type::Bool
                    }
                    Method::ContainsAll | Method::ContainsAny => {
                        let ok = match (&tr, &ta) {
                            (Type::EmptyList, Type::List(_) | Type::EmptyList)
                            | (Type::List(_), Type::EmptyList) => true,
                            (Type::List(a), Type::List(b)) => a.comparable(b) || **a == Type::Time,
                            _ => false,
                        };
                        if !ok {
                            return err("a set method over sets of two types");
                        }
                        Type::Bool
                    }
                }
            }
            CExpr::Arith(op, a, b) => {
                use Type::{Duration, Int, Time};
                let (ta, tb) = (self.ty(a)?, self.ty(b)?);
                match (op, &ta, &tb) {
                    (_, Int, Int) => Int,
                    (BinOp::Add | BinOp::Sub, Duration, Duration) => Duration,
                    (BinOp::Add | BinOp::Sub, Time, Duration) => Time,
                    (BinOp::Add, Duration, Time) => Time,
                    (BinOp::Sub, Time, Time) => Duration,
                    _ => return err("arithmetic on types that do not support it"),
                }
            }
            CExpr::IsType { subject, ty } => {
                if !matches!(self.ty(subject)?, Type::Entity(_) | Type::AnyActor) {
                    return err("`is` on a value that is not an entity");
                }
                if ty.index() >= self.p.types.len() {
                    return err("`is` an unknown type");
                }
                Type::Bool
            }
            CExpr::Not(x) => self.want(x, Type::Bool)?,
            // `-5h` in a condition is the negation of `5h`.
            CExpr::Neg(x) => match self.ty(x)? {
                t @ (Type::Int | Type::Duration) => t,
                _ => return err("a negation of a value that is not an int or a duration"),
            },
            CExpr::And(a, b) | CExpr::Or(a, b) => {
                self.want(a, Type::Bool)?;
                self.want(b, Type::Bool)?
            }
            CExpr::In(a, b) => {
                let (ta, tb) = (self.ty(a)?, self.ty(b)?);
                let elem = match &tb {
                    Type::List(t) => (**t).clone(),
                    Type::EmptyList => ta.clone(),
                    _ => return err("`in` without a list"),
                };
                if let CExpr::List(items) = &**b {
                    for i in items {
                        Self::in_enum(&ta, i)?;
                    }
                }
                // A string literal stands for a time where a time is expected (typeck's
                // coercion turned it into a time literal already).
                let ta = if ta == Type::String && elem == Type::Time {
                    Type::Time
                } else {
                    ta
                };
                if !ta.comparable(&elem) {
                    return err("`in` over another type");
                }
                Type::Bool
            }
            CExpr::Cmp(op, a, b) => {
                let (mut ta, mut tb) = (self.ty(a)?, self.ty(b)?);
                if ta == Type::String && tb == Type::Time {
                    ta = Type::Time;
                } else if tb == Type::String && ta == Type::Time {
                    tb = Type::Time;
                }
                Self::in_enum(&ta, b)?;
                Self::in_enum(&tb, a)?;
                let ok = match op {
                    BinOp::Eq | BinOp::Ne => ta.comparable(&tb),
                    _ => ta.ordered() && (ta == tb || ta.comparable(&tb)),
                };
                if !ok {
                    return err("a comparison of two types");
                }
                Type::Bool
            }
            CExpr::Is {
                subject,
                ty,
                target,
                ..
            } => {
                if !matches!(self.ty(subject)?, Type::Entity(_) | Type::AnyActor) {
                    return err("`is` on a value that is not an entity");
                }
                if self.ty(target)? != Type::Entity(*ty) {
                    return err("`is ... on` an entity of another type than its role's");
                }
                Type::Bool
            }
        })
    }

    fn want(&self, e: &CExpr, t: Type) -> Result<Type, String> {
        if self.ty(e)? == t {
            Ok(t)
        } else {
            err("an operand of the wrong type")
        }
    }
}

impl Policy {
    /// Every rule's condition is a `bool` under the declarations.
    pub(super) fn check_conditions(&self) -> Result<(), String> {
        let actors: Vec<TypeId> = (0..self.types.len())
            .filter(|i| self.types[*i].kind == Kind::Actor)
            .map(|i| TypeId(i as u32))
            .collect();
        for rule in &self.rules {
            if let Some((_, e)) = &rule.condition {
                let cx = Ctx {
                    p: self,
                    resource: rule.resource,
                    actors: actors.clone(),
                };
                if cx.ty(e)? != Type::Bool {
                    return err("a condition that is not a bool");
                }
            }
        }
        Ok(())
    }
}
