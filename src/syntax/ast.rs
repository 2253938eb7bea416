//! The abstract syntax tree: what the parser produces, with spans and nothing of pest.
//!
//! Names are unresolved strings here; the resolver gives them meaning.

pub use crate::lang::{BinOp, ConditionKind, Effect};
use crate::source::{FileId, Span};
use serde::Serialize;

/// A name as written, with where it was written. Dotted permission names (`users.view`) are one
/// `Ident` whose `name` holds the whole dotted text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal, unescaped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// A duration such as `90d`, `12h`, `1d12h`, `2w`, `-5h` (jiff's friendly format).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Duration {
    /// Microseconds; negative for `-5h`.
    pub micros: i64,
    /// As written, for messages and `fmt`.
    pub text: String,
    pub span: Span,
}

/// A non-negative integer with its span (`min 1;`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    pub value: u32,
    pub span: Span,
}

/// A comment kept for `polc fmt`: `// ...` or `/* ... */` (doc comments are on the items).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// One parsed source file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct File {
    pub file: FileId,
    pub items: Vec<Item>,
    /// Plain comments in source order (for the formatter).
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[allow(clippy::large_enum_variant)]
pub enum Item {
    Actor(ActorDecl),
    Resource(ResourceDecl),
    Context(ContextDecl),
    /// `action { soft?: bool; }`: the properties a request may give its action.
    Action(ContextDecl),
    Facts(FactsBlock),
    Test(TestBlock),
    /// A fact written at the top level (only in data files and REPL input).
    Fact(Fact),
}

/// `actor user;` or `actor user { attribute ...; relation ...; }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActorDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub members: Vec<Member>,
    pub span: Span,
}

/// `resource T { ... }` or `extend resource T { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResourceDecl {
    pub doc: Option<String>,
    pub extend: bool,
    pub name: Ident,
    pub members: Vec<Member>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Member {
    Relation(RelationDecl),
    Attribute(AttributeDecl),
    Permissions(PermissionsDecl),
    Role(RoleDecl),
    Rule(RuleDecl),
    Separate(SeparateDecl),
}

/// `relation organization: organization;` / `relation workspaces: [workspace];`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RelationDecl {
    pub doc: Option<String>,
    pub name: Ident,
    /// `[T]`: a many-valued relation.
    pub many: bool,
    pub target: Ident,
    pub span: Span,
}

/// `attribute impact: "low" | "high";` / `attribute notes?: string;`. Also a context field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttributeDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub optional: bool,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TypeKind {
    /// `bool`, `int`, `string`, `time`, `duration` or an entity type name: the resolver decides.
    Named(Ident),
    /// `"low" | "medium" | "high"`
    Enum(Vec<StrLit>),
    /// `[T]`: a set of `T`.
    List(Box<TypeExpr>),
    /// `{ organization: string, location?: string }`
    Record(Vec<RecordFieldType>),
}

/// One field of a record type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordFieldType {
    pub name: Ident,
    pub optional: bool,
    pub ty: TypeExpr,
}

/// `permissions view, users.edit;` or `permissions manage assigns owner, operator;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PermissionsDecl {
    pub doc: Option<String>,
    pub names: Vec<Ident>,
    /// The roles (of the same type) that holding one of `names` lets one assign and revoke.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assigns: Vec<Ident>,
    pub span: Span,
}

/// `role R;` or `role R { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoleDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub items: Vec<RoleItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum RoleItem {
    Includes {
        roles: Vec<Ident>,
        span: Span,
    },
    Grants {
        patterns: Vec<Pattern>,
        span: Span,
    },
    From(FromClause),
    /// `requires S on path;` (never `default`): a data check, every holder of the role must
    /// hold `S` on the entity the path reaches.
    Requires(FromClause),
    /// `sealed;`, or `sealed except P, ...;`: an `extend` may add grants only of permissions
    /// these patterns match.
    Sealed {
        except: Vec<Pattern>,
        span: Span,
    },
    Elevated {
        review: Option<Duration>,
        span: Span,
    },
    Min(Count),
    Max(Count),
}

/// A permission name or pattern as written: `view`, `users.*`, `*.view`, `*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pattern {
    pub text: String,
    pub span: Span,
}

impl Pattern {
    pub fn is_pattern(&self) -> bool {
        self.text.contains('*')
    }
}

/// `from admin on organization;` / `default from governance_manager on workspace.organization;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FromClause {
    pub default: bool,
    pub role: Ident,
    /// The relation path, one `Ident` per hop.
    pub path: Vec<Ident>,
    pub span: Span,
}

/// `forbid execute when resource.impact == "high";`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleDecl {
    pub doc: Option<String>,
    pub effect: Effect,
    pub actions: Vec<Pattern>,
    pub condition: Option<Condition>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Condition {
    pub kind: ConditionKind,
    /// Span of the `when` / `unless` keyword.
    pub keyword: Span,
    pub expr: Expr,
}

/// `separate requester, approver;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeparateDecl {
    pub doc: Option<String>,
    pub roles: Vec<Ident>,
    pub span: Span,
}

/// `context { now: time; mfa: bool; }`, and the same shape for `action { soft?: bool; }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContextDecl {
    pub doc: Option<String>,
    pub fields: Vec<AttributeDecl>,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------------
// Expressions

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Var {
    Principal,
    Resource,
    Context,
    /// `action`: the properties the request gives its action (`action.soft`).
    Action,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ExprKind {
    Var(Var),
    /// `e.name`: an attribute or a relation.
    Access(Box<Expr>, Ident),
    Literal(Literal),
    /// `[a, b]`: a set.
    List(Vec<Expr>),
    /// `{ organization: e, location: f }`
    Record(Vec<(Ident, Expr)>),
    /// `receiver.method(args)`: `contains`, `containsAll`, `containsAny`, `timeOfDay`,
    /// `dayOfWeek`.
    Call {
        receiver: Box<Expr>,
        method: Ident,
        args: Vec<Expr>,
    },
    /// `e is T`: whether the entity has type `T`.
    IsType {
        subject: Box<Expr>,
        ty: Ident,
    },
    /// `!e`
    Not(Box<Expr>),
    /// `-e` on integers
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `e has name`
    Has(Box<Expr>, Ident),
    /// `e is R on target`
    Is {
        subject: Box<Expr>,
        role: Ident,
        target: Box<Expr>,
    },
    /// `(e)`: kept so that lints can see what the author grouped, and `fmt` keeps it.
    Paren(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Str(String),
    Entity(EntityRef),
    Duration(Duration),
}

// ---------------------------------------------------------------------------------------------
// Facts

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

// ---------------------------------------------------------------------------------------------
// Queries and tests

/// One item of `with { ... }`: `principal.role = "admin"`, `resource.status = "archived"`,
/// `context.mfa = true` or `action.soft = true`, for one question's request only.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestDatum {
    /// `principal`, `resource`, `context` or `action`.
    pub root: Var,
    pub name: Ident,
    pub value: Value,
    pub span: Span,
}

/// The query forms of LANGUAGE.md section 5, and `can P assign R on E to A`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Query {
    /// `can P ACTION R [with { ... }]`
    Can {
        principal: EntityRef,
        action: Ident,
        resource: EntityRef,
        /// The request data of `with { ... }`, in the order written.
        with: Vec<RequestDatum>,
        span: Span,
    },
    /// `is P ROLE on R` (also `P is ROLE on R` in assertions)
    Is {
        principal: EntityRef,
        role: Ident,
        resource: EntityRef,
        span: Span,
    },
    /// `can P assign ROLE on R to A`: may `P` assign (or revoke) `ROLE` on `R` to `A`?
    Assign {
        principal: EntityRef,
        role: Ident,
        resource: EntityRef,
        assignee: EntityRef,
        span: Span,
    },
    /// `who can ACTION R`
    WhoCan {
        action: Ident,
        resource: EntityRef,
        span: Span,
    },
    /// `who is ROLE on R`
    WhoIs {
        role: Ident,
        resource: EntityRef,
        span: Span,
    },
    /// `what can P do on R`
    WhatCan {
        principal: EntityRef,
        resource: EntityRef,
        span: Span,
    },
    /// `which T can P ACTION`
    Which {
        ty: Ident,
        principal: EntityRef,
        action: Ident,
        span: Span,
    },
}

impl Query {
    pub fn span(&self) -> Span {
        match self {
            Query::Can { span, .. }
            | Query::Is { span, .. }
            | Query::Assign { span, .. }
            | Query::WhoCan { span, .. }
            | Query::WhoIs { span, .. }
            | Query::WhatCan { span, .. }
            | Query::Which { span, .. } => *span,
        }
    }
}

/// An element of an expected list in an assertion: `user:alice`, `user:*`, or a permission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Expected {
    Entity(EntityRef),
    Wildcard { ty: Ident, span: Span },
    Permission(Ident),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Assertion {
    /// `assert can ...;` / `assert cannot ...;` / `assert P is R on E;` / `assert P is not R on E;`
    /// `query` is `Can`, `Assign` or `Is`; `expect` is false for `cannot` / `is not`.
    Holds {
        query: Query,
        expect: bool,
        span: Span,
    },
    /// `assert who can ... == [...];` and the other list forms (`WhoCan`, `WhoIs`, `WhatCan`,
    /// `Which`).
    Equals {
        query: Query,
        expected: Vec<Expected>,
        span: Span,
    },
}

impl Assertion {
    pub fn span(&self) -> Span {
        match self {
            Assertion::Holds { span, .. } | Assertion::Equals { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TestStep {
    /// `use acme;`
    Use(Ident),
    /// A fact or `context.x = value;`, applied in order.
    Fact(Fact),
    /// `retract user:bob is editor on list:l0;`: removes the assignment (a `Fact::Assign`).
    Retract(Fact),
    Assert(Assertion),
}

/// `test "name" { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestBlock {
    pub doc: Option<String>,
    pub name: StrLit,
    pub steps: Vec<TestStep>,
    pub span: Span,
}

impl Expr {
    /// How deep the expression tree is (at most the parser's nesting limit).
    pub fn depth(&self) -> usize {
        1 + match &self.kind {
            ExprKind::Var(_) | ExprKind::Literal(_) => 0,
            ExprKind::Access(x, _)
            | ExprKind::Not(x)
            | ExprKind::Neg(x)
            | ExprKind::Has(x, _)
            | ExprKind::Paren(x)
            | ExprKind::IsType { subject: x, .. } => x.depth(),
            ExprKind::List(xs) => xs.iter().map(Expr::depth).max().unwrap_or(0),
            ExprKind::Record(fs) => fs.iter().map(|(_, x)| x.depth()).max().unwrap_or(0),
            ExprKind::Call { receiver, args, .. } => args
                .iter()
                .map(Expr::depth)
                .max()
                .unwrap_or(0)
                .max(receiver.depth()),
            ExprKind::Binary(_, a, b) => a.depth().max(b.depth()),
            ExprKind::Is {
                subject, target, ..
            } => subject.depth().max(target.depth()),
        }
    }
}

impl File {
    /// The depth of the deepest rule condition in the file: later stages walk conditions
    /// recursively, and a deep one needs a large stack.
    pub fn condition_depth(&self) -> usize {
        let members = self.items.iter().flat_map(|i| match i {
            Item::Actor(a) => a.members.as_slice(),
            Item::Resource(r) => r.members.as_slice(),
            _ => &[],
        });
        members
            .filter_map(|m| match m {
                Member::Rule(r) => r.condition.as_ref().map(|c| c.expr.depth()),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}
