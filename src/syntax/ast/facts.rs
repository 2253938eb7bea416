//! Facts: assignments, relation targets and attributes as written.

use super::*;

/// `type:id`, `type:"quoted id"`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityRef {
    /// The type before the `:`.
    pub ty: Ident,
    /// The id after the `:`, unquoted and unescaped; a bare id (`alice`) is a `StrLit` of its
    /// text.
    pub id: StrLit,
    /// From the type to the end of the id.
    pub span: Span,
}

/// Who an assignment is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Subject {
    /// `user:alice`
    Entity(EntityRef),
    /// `team:core#member`
    /// `team:core#member`: everyone who holds the role (`member`) on the entity (`team:core`).
    Userset {
        /// The entity before the `#`.
        entity: EntityRef,
        /// The role after the `#`.
        role: Ident,
        /// From the entity to the end of the role.
        span: Span,
    },
    /// `user:*`: every actor of the type.
    Wildcard {
        /// The type before `:*`.
        ty: Ident,
        /// From the type to the `*`.
        span: Span,
    },
}

impl Subject {
    /// Where the subject is written, whichever form it has.
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
    /// `true` or `false`, with its span.
    Bool(bool, Span),
    /// An integer, possibly negative (`-3`), with its span.
    Int(i64, Span),
    /// A string such as `"high"`.
    Str(StrLit),
    /// An entity such as `organization:acme`.
    Entity(EntityRef),
    /// A duration, possibly negative (`-5h`).
    Duration(Duration),
    /// `["a", "b"]`: a set, its items in the order written, with the span from `[` to `]`.
    List(Vec<Value>, Span),
    /// `{ organization: "acme", location: "paris" }`: the fields in the order written, with the
    /// span from `{` to `}`.
    Record(Vec<(Ident, Value)>, Span),
}

impl Value {
    /// Where the value is written, whichever form it has.
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
    Field {
        /// The entity before the `.`.
        entity: EntityRef,
        /// The relation or attribute after the `.`.
        name: Ident,
    },
    /// `context.now`: a context field (the `Ident` is the name after `context.`), for the
    /// assertions that follow (tests, REPL).
    Context(Ident),
    /// `action.soft`: an action property, for the assertions that follow (tests, REPL).
    Action(Ident),
}

/// A fact: a role assignment or a value set. Its span is the statement, `;` included when
/// it was written with one (REPL input may omit it); for a `retract` step it covers
/// `retract ... ;`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Fact {
    /// `user:alice is admin on organization:acme [until "..."];`
    Assign {
        /// Who is assigned: an entity, a userset or a wildcard.
        subject: Subject,
        /// The role assigned.
        role: Ident,
        /// The entity after `on`, on which the role is held.
        on: EntityRef,
        /// The timestamp after `until` (the assignment is live while `context.now` is before
        /// it); `None` for a permanent assignment.
        until: Option<StrLit>,
        /// The statement.
        span: Span,
    },
    /// `x.name = value;`
    Set {
        /// What is set: an entity's relation or attribute, a context field or an action
        /// property.
        target: SetTarget,
        /// The value on the right of `=`.
        value: Value,
        /// The statement.
        span: Span,
    },
}

impl Fact {
    /// The statement's span, whichever form it has.
    pub fn span(&self) -> Span {
        match self {
            Fact::Assign { span, .. } | Fact::Set { span, .. } => *span,
        }
    }
}

/// `facts acme { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactsBlock {
    /// The `///` comment before the block, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The block's name, which a test's `use NAME;` refers to.
    pub name: Ident,
    /// The facts in the block, in order.
    pub facts: Vec<Fact>,
    /// The block, from `facts` to `}`.
    pub span: Span,
}
