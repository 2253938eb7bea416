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
    /// The text of the name (`users.view` for a dotted permission).
    pub name: String,
    /// Where the name is written.
    pub span: Span,
}

/// A string literal, unescaped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StrLit {
    /// The string's value, escapes (`\n`, `\u{...}`) replaced by their characters.
    pub value: String,
    /// The literal with its quotes.
    pub span: Span,
}

/// A duration such as `90d`, `12h`, `1d12h`, `2w`, `-5h` (jiff's friendly format).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Duration {
    /// Microseconds; negative for `-5h`.
    pub micros: i64,
    /// As written, for messages and `fmt`.
    pub text: String,
    /// The duration as written (with its `-`, if any).
    pub span: Span,
}

/// A non-negative integer with its span (`min 1;`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The number (0 when it does not fit in a `u32`: the parser reports E0102).
    pub value: u32,
    /// The digits.
    pub span: Span,
}

/// A comment kept for `polc fmt`: `// ...` or `/* ... */`, or a `///` group that no declaration
/// took (the others are the `doc` of their items).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// The comment as written, markers (`//`, `/* */`, `///`) included.
    pub text: String,
    /// The comment, from its first marker to its end.
    pub span: Span,
}

/// One parsed source file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct File {
    /// The source file it was parsed from.
    pub file: FileId,
    /// The top-level items, in source order.
    pub items: Vec<Item>,
    /// Plain comments in source order (for the formatter).
    pub comments: Vec<Comment>,
}

/// A top-level item of a file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[allow(clippy::large_enum_variant)]
pub enum Item {
    /// `actor user { ... }`: a type of principal.
    Actor(ActorDecl),
    /// `resource T { ... }` or `extend resource T { ... }`.
    Resource(ResourceDecl),
    /// `context { now: time; ... }`: the fields a request's context may set.
    Context(ContextDecl),
    /// `action { soft?: bool; }`: the properties a request may give its action.
    Action(ContextDecl),
    /// `facts acme { ... }`: a named group of facts that tests `use`.
    Facts(FactsBlock),
    /// `test "name" { ... }`.
    Test(TestBlock),
    /// A fact written at the top level (only in data files and REPL input).
    Fact(Fact),
}

/// `actor user;` or `actor user { attribute ...; relation ...; }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActorDecl {
    /// The `///` comment before the declaration, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The actor type's name (`user`).
    pub name: Ident,
    /// The block's members, in order; empty for `actor user;`.
    pub members: Vec<Member>,
    /// The declaration, from `actor` to its `}` or `;`.
    pub span: Span,
}

/// `resource T { ... }` or `extend resource T { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResourceDecl {
    /// The `///` comment before the declaration, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// Written `extend resource T`: adds to a `resource T` declared elsewhere.
    pub extend: bool,
    /// The resource type's name.
    pub name: Ident,
    /// The block's members, in order; empty for `resource T;`.
    pub members: Vec<Member>,
    /// The declaration, from `extend` or `resource` to its `}` or `;`.
    pub span: Span,
}

/// A declaration inside an `actor` or `resource` block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Member {
    /// `relation organization: organization;`.
    Relation(RelationDecl),
    /// `attribute impact: "low" | "high";`.
    Attribute(AttributeDecl),
    /// `permissions view, edit;`.
    Permissions(PermissionsDecl),
    /// `role R;` or `role R { ... }`.
    Role(RoleDecl),
    /// `permit ...;` or `forbid ...;`.
    Rule(RuleDecl),
    /// `separate requester, approver;`.
    Separate(SeparateDecl),
}

/// `relation organization: organization;` / `relation workspaces: [workspace];`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RelationDecl {
    /// The `///` comment before the declaration, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The relation's name (`organization`).
    pub name: Ident,
    /// `[T]`: a many-valued relation.
    pub many: bool,
    /// The type the relation points to (inside the brackets when `many`).
    pub target: Ident,
    /// The declaration, from `relation` to `;`.
    pub span: Span,
}

/// `attribute impact: "low" | "high";` / `attribute notes?: string;`. Also a context field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttributeDecl {
    /// The `///` comment before the declaration, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The attribute's (or context field's) name.
    pub name: Ident,
    /// Written `name?:`: the value may be absent (test it with `has`).
    pub optional: bool,
    /// The declared type.
    pub ty: TypeExpr,
    /// From `attribute` to `;`; for a context or action field, from its name to `;`.
    pub span: Span,
}

/// A type as written after `:` in an attribute or field declaration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeExpr {
    /// Which form of type it is.
    pub kind: TypeKind,
    /// The whole type as written.
    pub span: Span,
}

/// The forms of [`TypeExpr`].
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
    /// The field's name.
    pub name: Ident,
    /// Written `name?:`: a record may lack the field.
    pub optional: bool,
    /// The field's type.
    pub ty: TypeExpr,
}

/// `permissions view, users.edit;` or `permissions manage assigns owner, operator;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PermissionsDecl {
    /// The `///` comment before the declaration, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The permissions declared, in order (dotted names are one `Ident` each).
    pub names: Vec<Ident>,
    /// The roles (of the same type) that holding one of `names` lets one assign and revoke.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assigns: Vec<Ident>,
    /// The declaration, from `permissions` to `;`.
    pub span: Span,
}

/// `role R;` or `role R { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoleDecl {
    /// The `///` comment before the declaration, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The role's name.
    pub name: Ident,
    /// The block's items, in order; empty for `role R;`.
    pub items: Vec<RoleItem>,
    /// The declaration, from `role` to its `}` or `;`.
    pub span: Span,
}

/// An item of a `role R { ... }` block. Every item's span runs from its keyword to its `;`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum RoleItem {
    /// `includes A, B;`: holders of the role also hold `A` and `B` on the same resource.
    Includes {
        /// The included roles, in order.
        roles: Vec<Ident>,
        /// From `includes` to `;`.
        span: Span,
    },
    /// `grants view, users.*;`: the permissions the role gives on its resource.
    Grants {
        /// The permission names and patterns, in order.
        patterns: Vec<Pattern>,
        /// From `grants` to `;`.
        span: Span,
    },
    /// `from S on path;` or `default from S on path;`: the role derived from `S` across a
    /// relation path.
    From(FromClause),
    /// `requires S on path;` (never `default`): a data check, every holder of the role must
    /// hold `S` on the entity the path reaches.
    Requires(FromClause),
    /// `sealed;`, or `sealed except P, ...;`: an `extend` may add grants only of permissions
    /// these patterns match.
    Sealed {
        /// The `except` patterns; empty for a plain `sealed;`.
        except: Vec<Pattern>,
        /// From `sealed` to `;`.
        span: Span,
    },
    /// `elevated;` or `elevated review 90d;`: a privileged role, whose direct assignments should
    /// expire within the review period.
    Elevated {
        /// The duration after `review`; `None` for a plain `elevated;` (W0105).
        review: Option<Duration>,
        /// From `elevated` to `;`.
        span: Span,
    },
    /// `min N;`: at least `N` actors must hold the role directly on each resource.
    Min(Count),
    /// `max N;`: at most `N` actors may hold the role directly on each resource.
    Max(Count),
}

/// A permission name or pattern as written: `view`, `users.*`, `*.view`, `*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pattern {
    /// The name or pattern as written, `*` included.
    pub text: String,
    /// Where it is written.
    pub span: Span,
}

impl Pattern {
    /// Whether it holds a `*` (and so may match many permissions) rather than naming one.
    pub fn is_pattern(&self) -> bool {
        self.text.contains('*')
    }
}

/// `from admin on organization;` / `default from governance_manager on workspace.organization;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FromClause {
    /// Written `default from`: it applies unless the actor has an assignment of their own on
    /// the resource. Always false for `requires`.
    pub default: bool,
    /// The role `S` held across the path.
    pub role: Ident,
    /// The relation path, one `Ident` per hop.
    pub path: Vec<Ident>,
    /// From `default`, `from` or `requires` to `;`.
    pub span: Span,
}

/// `forbid execute when resource.impact == "high";`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleDecl {
    /// The `///` comment before the rule, without the markers (what a denial quotes); `None`
    /// when it has none.
    pub doc: Option<String>,
    /// `permit` or `forbid`.
    pub effect: Effect,
    /// The actions the rule applies to: names or patterns, in order.
    pub actions: Vec<Pattern>,
    /// The `when` or `unless` clause; `None` when the rule applies unconditionally.
    pub condition: Option<Condition>,
    /// The rule, from `permit` or `forbid` to `;`.
    pub span: Span,
}

/// A rule's `when C` or `unless C`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Condition {
    /// `when` or `unless`.
    pub kind: ConditionKind,
    /// Span of the `when` / `unless` keyword.
    pub keyword: Span,
    /// The condition `C`.
    pub expr: Expr,
}

/// `separate requester, approver;`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeparateDecl {
    /// The `///` comment before the declaration, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The roles, in order: no actor may hold two of them on one resource.
    pub roles: Vec<Ident>,
    /// The declaration, from `separate` to `;`.
    pub span: Span,
}

/// `context { now: time; mfa: bool; }`, and the same shape for `action { soft?: bool; }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContextDecl {
    /// The `///` comment before the declaration, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The declared fields, in order.
    pub fields: Vec<AttributeDecl>,
    /// The block, from `context` or `action` to `}`.
    pub span: Span,
}
