//! The abstract syntax tree: what the parser produces, with spans and nothing of pest.
//!
//! Names are unresolved strings here; the resolver gives them meaning.

pub use crate::lang::{BinOp, ConditionKind, Effect};
use crate::source::{FileId, Span};
use serde::Serialize;

mod expr;
mod facts;
mod query;
pub use expr::*;
pub use facts::*;
pub use query::*;

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
