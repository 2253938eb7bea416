//! Expressions: conditions, their operands and literals.

use super::*;

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
