//! Expressions: conditions, their operands and literals.

use super::*;

/// An expression of a rule condition, such as `resource.impact == "high"`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    /// Which form of expression it is.
    pub kind: ExprKind,
    /// The whole expression, from its first token to its last (a prefix `!` or `-` included).
    pub span: Span,
}

/// One of the four roots a request gives an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Var {
    /// `principal`: the actor making the request.
    Principal,
    /// `resource`: the entity the request acts on.
    Resource,
    /// `context`: the request's context fields (`context.now`, `context.mfa`).
    Context,
    /// `action`: the properties the request gives its action (`action.soft`).
    Action,
}

/// The forms of [`Expr`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ExprKind {
    /// `principal`, `resource`, `context` or `action`.
    Var(Var),
    /// `e.name`: an attribute or a relation.
    Access(Box<Expr>, Ident),
    /// A constant: `true`, `42`, `"high"`, `user:alice`, `90d`.
    Literal(Literal),
    /// `[a, b]`: a set.
    List(Vec<Expr>),
    /// `{ organization: e, location: f }`
    Record(Vec<(Ident, Expr)>),
    /// `receiver.method(args)`: `contains`, `containsAll`, `containsAny`, `timeOfDay`,
    /// `dayOfWeek`.
    Call {
        /// The expression before the `.`.
        receiver: Box<Expr>,
        /// The method's name, as written (the checker rejects an unknown one).
        method: Ident,
        /// The arguments in the parentheses, in order.
        args: Vec<Expr>,
    },
    /// `e is T`: whether the entity has type `T`.
    IsType {
        /// The expression tested, `e`.
        subject: Box<Expr>,
        /// The type name `T`.
        ty: Ident,
    },
    /// `!e`
    Not(Box<Expr>),
    /// `-e` on integers
    Neg(Box<Expr>),
    /// `a OP b`: a comparison, `&&`, `||`, `in` or arithmetic, with its left and right operands.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `e has name`
    Has(Box<Expr>, Ident),
    /// `e is R on target`: whether `e` (in practice `principal`) holds role `R`, effectively, on
    /// the entity `target`.
    Is {
        /// The expression before `is`.
        subject: Box<Expr>,
        /// The role name `R`.
        role: Ident,
        /// The expression after `on`.
        target: Box<Expr>,
    },
    /// `(e)`: kept so that lints can see what the author grouped, and `fmt` keeps it.
    Paren(Box<Expr>),
}

/// A constant in an expression (its span is the enclosing [`Expr`]'s).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Literal {
    /// `true` or `false`.
    Bool(bool),
    /// An integer such as `42` (`-9223372036854775808` is read here with its sign).
    Int(i64),
    /// A string literal, unescaped.
    Str(String),
    /// An entity such as `user:alice` or `repository:"acme/api"`.
    Entity(EntityRef),
    /// A duration such as `90d` or `1d12h`.
    Duration(Duration),
}
