//! Facts: assignments, relation targets and attributes as written.

use super::*;

/// `type:id`, `type:"quoted id"`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityRef {
    pub ty: Ident,
    pub id: StrLit,
    pub span: Span,
}

/// Who an assignment is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Subject {
    /// `user:alice`
    Entity(EntityRef),
    /// `team:core#member`
    Userset {
        entity: EntityRef,
        role: Ident,
        span: Span,
    },
    /// `user:*`
    Wildcard { ty: Ident, span: Span },
}

impl Subject {
    pub fn span(&self) -> Span {
        match self {
            Subject::Entity(e) => e.span,
            Subject::Userset { span, .. } | Subject::Wildcard { span, .. } => *span,
        }
    }
}

/// A value on the right of `=` in facts and context settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Value {
    Bool(bool, Span),
    Int(i64, Span),
    Str(StrLit),
    Entity(EntityRef),
    Duration(Duration),
    List(Vec<Value>, Span),
    /// `{ organization: "acme", location: "paris" }`
    Record(Vec<(Ident, Value)>, Span),
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Bool(_, s) | Value::Int(_, s) | Value::List(_, s) | Value::Record(_, s) => *s,
            Value::Str(s) => s.span,
            Value::Entity(e) => e.span,
            Value::Duration(d) => d.span,
        }
    }
}

/// What `=` sets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum SetTarget {
    /// `workspace:ml.organization` (a relation) or `run:r1.impact` (an attribute): the facts
    /// loader decides which from the declarations.
    Field { entity: EntityRef, name: Ident },
    /// `context.now`
    Context(Ident),
    /// `action.soft`: an action property, for the assertions that follow (tests, REPL).
    Action(Ident),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Fact {
    /// `user:alice is admin on organization:acme [until "..."];`
    Assign {
        subject: Subject,
        role: Ident,
        on: EntityRef,
        until: Option<StrLit>,
        span: Span,
    },
    /// `x.name = value;`
    Set {
        target: SetTarget,
        value: Value,
        span: Span,
    },
}

impl Fact {
    pub fn span(&self) -> Span {
        match self {
            Fact::Assign { span, .. } | Fact::Set { span, .. } => *span,
        }
    }
}

/// `facts acme { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactsBlock {
    pub doc: Option<String>,
    pub name: Ident,
    pub facts: Vec<Fact>,
    pub span: Span,
}
