//! Compiled rule conditions: typed, with names resolved where the type is known statically.

use super::{AttrId, Policy, RelId, RoleId, TypeId};
use crate::lang::BinOp;
use serde::{Deserialize, Serialize};

/// A type of the condition language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `int`: a 64-bit signed integer.
    Int,
    /// `string`.
    String,
    /// A point in time (microseconds since the Unix epoch at run time).
    Time,
    /// `duration` (microseconds at run time).
    Duration,
    /// One of the listed strings.
    Enum(Vec<String>),
    /// `[T]`: a set (order and repetition do not count).
    List(Box<Type>),
    /// `{ a: T, b?: U }`, the fields sorted by name.
    Record(Vec<FieldType>),
    /// An entity of the given type (`workspace`).
    Entity(TypeId),
    /// `principal`: an entity of one of the actor types.
    AnyActor,
    /// The empty list literal `[]`, a list of anything.
    EmptyList,
}

/// A field of a record type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldType {
    /// The field's name.
    pub name: String,
    /// The field's type.
    pub ty: Type,
    /// Whether the field may be absent (`b?: U`).
    pub optional: bool,
}

impl Type {
    /// The field `name` of a record type.
    pub fn field(&self, name: &str) -> Option<&FieldType> {
        match self {
            Type::Record(fs) => fs.iter().find(|f| f.name == name),
            _ => None,
        }
    }

    /// How the type reads in messages.
    pub fn describe(&self, policy_types: &[String]) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::String => "string".into(),
            Type::Time => "time".into(),
            Type::Duration => "duration".into(),
            Type::Enum(vs) => vs
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(" | "),
            Type::List(t) => format!("[{}]", t.describe(policy_types)),
            Type::Record(fs) => {
                let fs: Vec<String> = fs
                    .iter()
                    .map(|f| {
                        let q = if f.optional { "?" } else { "" };
                        format!("{}{q}: {}", f.name, f.ty.describe(policy_types))
                    })
                    .collect();
                format!("{{ {} }}", fs.join(", "))
            }
            Type::Entity(t) => policy_types
                .get(t.index())
                .cloned()
                .unwrap_or_else(|| "entity".into()),
            Type::AnyActor => "an actor".into(),
            Type::EmptyList => "[]".into(),
        }
    }

    /// Whether values of the two types can be compared with `==`.
    pub fn comparable(&self, other: &Type) -> bool {
        use Type::*;
        match (self, other) {
            (Enum(_), String) | (String, Enum(_)) | (Enum(_), Enum(_)) => true,
            (Entity(_), AnyActor) | (AnyActor, Entity(_)) | (AnyActor, AnyActor) => true,
            (Entity(a), Entity(b)) => a == b,
            (List(_), EmptyList) | (EmptyList, List(_)) | (EmptyList, EmptyList) => true,
            (List(a), List(b)) => a.comparable(b),
            // Fields on one side only must be optional there: `{a: 1}` may equal a
            // `{ a: int, b?: int }` without `b`.
            (Record(a), Record(b)) => {
                let one_sided = |xs: &[FieldType], ys: &[FieldType]| {
                    xs.iter()
                        .all(|x| x.optional || ys.iter().any(|y| y.name == x.name))
                };
                one_sided(a, b)
                    && one_sided(b, a)
                    && a.iter().all(|x| {
                        b.iter()
                            .find(|y| y.name == x.name)
                            .is_none_or(|y| x.ty.comparable(&y.ty))
                    })
            }
            (a, b) => a == b,
        }
    }

    /// Whether every entity type named in the type is one of the policy's `n` types (artifact
    /// validation).
    pub fn types_below(&self, n: usize) -> bool {
        match self {
            Type::Entity(t) => t.index() < n,
            Type::List(t) => t.types_below(n),
            Type::Record(fs) => fs.iter().all(|f| f.ty.types_below(n)),
            _ => true,
        }
    }

    /// Whether `<`, `<=`, `>`, `>=` apply: ints, times and durations.
    pub fn ordered(&self) -> bool {
        matches!(self, Type::Int | Type::Time | Type::Duration)
    }
}

/// What `.name` refers to on an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Member {
    /// An attribute of the entity's type.
    Attr(AttrId),
    /// A relation of the entity's type.
    Rel(RelId),
}

/// A method: `s.contains(x)`, `s.containsAll(t)`, `s.containsAny(t)`, `t.timeOfDay(offset)`,
/// `t.dayOfWeek(offset)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// `s.contains(x)`: `x` is an element of the list `s`.
    Contains,
    /// `s.containsAll(t)`: every element of `t` is in `s`.
    ContainsAll,
    /// `s.containsAny(t)`: some element of `t` is in `s`.
    ContainsAny,
    /// `t.timeOfDay(offset)`: the time of day of `t` at the UTC offset, as a duration since midnight.
    TimeOfDay,
    /// `t.dayOfWeek(offset)`: the weekday of `t` at the UTC offset, as a string (`"monday"` to `"sunday"`).
    DayOfWeek,
}

impl Method {
    /// Every method, in declaration order (for completion and `describe`).
    pub const ALL: [Method; 5] = [
        Method::Contains,
        Method::ContainsAll,
        Method::ContainsAny,
        Method::TimeOfDay,
        Method::DayOfWeek,
    ];

    /// The method's name as written in Pol (`containsAll`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Contains => "contains",
            Method::ContainsAll => "containsAll",
            Method::ContainsAny => "containsAny",
            Method::TimeOfDay => "timeOfDay",
            Method::DayOfWeek => "dayOfWeek",
        }
    }
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Lit {
    /// `true` or `false`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A string literal.
    Str(String),
    /// Microseconds since the Unix epoch.
    Time(i64),
    /// Microseconds.
    Duration(i64),
    /// An entity literal, `workspace:"ml"`.
    Entity {
        /// The entity's type.
        ty: TypeId,
        /// The entity's name within its type.
        id: String,
    },
}

/// A compiled, type-checked condition expression, evaluated by `eval::expr` against a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CExpr {
    /// `principal`: the request's actor.
    Principal,
    /// `resource`: the request's resource.
    Resource,
    /// A context field, by index in [`Policy::context`].
    Context(u32),
    /// `base.name`. `member` is set when the base's type is known at compile time; otherwise
    /// (on `principal` with several actor types) the name is looked up on the runtime type.
    Access {
        /// The entity expression the member is read from.
        base: Box<CExpr>,
        /// The member's name.
        name: String,
        /// The base's type and the member, when known at compile time.
        member: Option<(TypeId, Member)>,
    },
    /// Whether an optional context field is set (`context has x`).
    HasContext(u32),
    /// An action property (`action.soft`), by index in [`Policy::action`].
    Action(u32),
    /// Whether the request gives an action property (`action has soft`).
    HasAction(u32),
    /// A literal.
    Lit(Lit),
    /// A list literal `[a, b]`.
    List(Vec<CExpr>),
    /// `{ a: e, b: f }`, the fields sorted by name.
    Record(Vec<(String, CExpr)>),
    /// `base.name` on a record.
    Field {
        /// The record expression.
        base: Box<CExpr>,
        /// The field's name.
        name: String,
    },
    /// `base has name` on a record.
    HasField {
        /// The record expression.
        base: Box<CExpr>,
        /// The field's name.
        name: String,
    },
    /// `receiver.method(arg)`.
    Call {
        /// Which method.
        method: Method,
        /// The value the method is called on.
        receiver: Box<CExpr>,
        /// The method's one argument.
        arg: Box<CExpr>,
    },
    /// `a + b`, `a - b` (`BinOp::Add`, `BinOp::Sub`) on ints, times and durations.
    Arith(BinOp, Box<CExpr>, Box<CExpr>),
    /// `subject is ty`.
    IsType {
        /// The expression tested.
        subject: Box<CExpr>,
        /// The entity type it must have.
        ty: TypeId,
    },
    /// `!e`.
    Not(Box<CExpr>),
    /// `-e` on an int or a duration.
    Neg(Box<CExpr>),
    /// `== != < <= > >=`
    Cmp(BinOp, Box<CExpr>, Box<CExpr>),
    /// `a && b`, short-circuit.
    And(Box<CExpr>, Box<CExpr>),
    /// `a || b`, short-circuit.
    Or(Box<CExpr>, Box<CExpr>),
    /// `a in b`: the list `b` holds `a`.
    In(Box<CExpr>, Box<CExpr>),
    /// `base has name`: an optional attribute or relation of an entity is set.
    Has {
        /// The entity expression.
        base: Box<CExpr>,
        /// The member's name.
        name: String,
        /// The base's type and the member, when known at compile time.
        member: Option<(TypeId, Member)>,
    },
    /// `subject is role on target` where target has type `ty`.
    Is {
        /// The entity whose role is asked about.
        subject: Box<CExpr>,
        /// The role.
        role: RoleId,
        /// The type of `target`, which declares `role`.
        ty: TypeId,
        /// The entity the role is held on.
        target: Box<CExpr>,
    },
}

impl CExpr {
    /// Calls `f` with every entity literal in the expression.
    pub fn visit_entities(&self, f: &mut impl FnMut(TypeId, &str)) {
        match self {
            CExpr::Lit(Lit::Entity { ty, id }) => f(*ty, id),
            CExpr::Principal
            | CExpr::Resource
            | CExpr::Context(_)
            | CExpr::HasContext(_)
            | CExpr::Action(_)
            | CExpr::HasAction(_)
            | CExpr::Lit(_) => {}
            CExpr::Access { base, .. }
            | CExpr::Has { base, .. }
            | CExpr::Field { base, .. }
            | CExpr::HasField { base, .. }
            | CExpr::IsType { subject: base, .. }
            | CExpr::Not(base)
            | CExpr::Neg(base) => base.visit_entities(f),
            CExpr::List(items) => items.iter().for_each(|i| i.visit_entities(f)),
            CExpr::Record(fields) => fields.iter().for_each(|(_, i)| i.visit_entities(f)),
            CExpr::Call {
                receiver: a,
                arg: b,
                ..
            }
            | CExpr::Arith(_, a, b)
            | CExpr::Cmp(_, a, b)
            | CExpr::And(a, b)
            | CExpr::Or(a, b)
            | CExpr::In(a, b) => {
                a.visit_entities(f);
                b.visit_entities(f);
            }
            CExpr::Is {
                subject, target, ..
            } => {
                subject.visit_entities(f);
                target.visit_entities(f);
            }
        }
    }

    /// Checks indices against the policy (artifact loading).
    pub(super) fn validate(&self, p: &Policy) -> Result<(), String> {
        let member_ok = |m: &Option<(TypeId, Member)>| match m {
            None => true,
            Some((t, Member::Attr(a))) => p
                .types
                .get(t.index())
                .is_some_and(|t| a.index() < t.attributes.len()),
            Some((t, Member::Rel(r))) => p
                .types
                .get(t.index())
                .is_some_and(|t| r.index() < t.relations.len()),
        };
        match self {
            CExpr::Principal | CExpr::Resource => Ok(()),
            CExpr::Context(i) if (*i as usize) < p.context.len() => Ok(()),
            CExpr::Context(_) => Err("context field out of range".into()),
            CExpr::HasContext(i) if (*i as usize) < p.context.len() => Ok(()),
            CExpr::HasContext(_) => Err("context field out of range".into()),
            CExpr::Action(i) | CExpr::HasAction(i) if (*i as usize) < p.action.len() => Ok(()),
            CExpr::Action(_) | CExpr::HasAction(_) => Err("action property out of range".into()),
            CExpr::Field { base, .. } | CExpr::HasField { base, .. } => base.validate(p),
            CExpr::IsType { ty, .. } if ty.index() >= p.types.len() => {
                Err("entity type out of range".into())
            }
            CExpr::IsType { subject, .. } => subject.validate(p),
            CExpr::Record(fields) => fields.iter().try_for_each(|(_, e)| e.validate(p)),
            CExpr::Call {
                receiver: a,
                arg: b,
                ..
            }
            | CExpr::Arith(_, a, b) => {
                a.validate(p)?;
                b.validate(p)
            }
            CExpr::Access { base, member, .. } | CExpr::Has { base, member, .. } => {
                if member_ok(member) {
                    base.validate(p)
                } else {
                    Err("member out of range".into())
                }
            }
            CExpr::Lit(Lit::Entity { ty, .. }) if ty.index() >= p.types.len() => {
                Err("entity type out of range".into())
            }
            CExpr::Lit(Lit::Entity { id, .. }) if crate::entity::check_id(id).is_err() => {
                Err("entity id empty or `*`".into())
            }
            CExpr::Lit(_) => Ok(()),
            CExpr::List(items) => items.iter().try_for_each(|e| e.validate(p)),
            CExpr::Not(e) | CExpr::Neg(e) => e.validate(p),
            CExpr::Cmp(_, a, b) | CExpr::And(a, b) | CExpr::Or(a, b) | CExpr::In(a, b) => {
                a.validate(p)?;
                b.validate(p)
            }
            CExpr::Is {
                subject,
                role,
                ty,
                target,
            } => {
                if p.types
                    .get(ty.index())
                    .is_none_or(|t| role.index() >= t.roles.len())
                {
                    return Err("role out of range".into());
                }
                subject.validate(p)?;
                target.validate(p)
            }
        }
    }
}
