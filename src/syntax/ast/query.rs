//! Queries and tests: `can`, `who`, `what`, `which`, test blocks and their assertions.

use super::*;

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
