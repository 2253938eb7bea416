//! Queries and tests: `can`, `who`, `what`, `which`, test blocks and their assertions.

use super::*;

/// One item of `with { ... }`: `principal.role = "admin"`, `resource.status = "archived"`,
/// `context.mfa = true` or `action.soft = true`, for one question's request only.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestDatum {
    /// `principal`, `resource`, `context` or `action`.
    pub root: Var,
    /// The field after the `.`.
    pub name: Ident,
    /// The value on the right of `=`.
    pub value: Value,
    /// The item, from its root to the end of the value.
    pub span: Span,
}

/// The query forms of LANGUAGE.md section 5, and `can P assign R on E to A`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Query {
    /// `can P ACTION R [with { ... }]`
    Can {
        /// The principal `P` asking, an entity.
        principal: EntityRef,
        /// The action asked about.
        action: Ident,
        /// The resource `R` acted on.
        resource: EntityRef,
        /// The request data of `with { ... }`, in the order written.
        with: Vec<RequestDatum>,
        /// The query as written; in a `Holds` assertion, the assertion's span.
        span: Span,
    },
    /// `is P ROLE on R` (also `P is ROLE on R` in assertions)
    Is {
        /// The entity `P` whose role is asked about.
        principal: EntityRef,
        /// The role asked about.
        role: Ident,
        /// The entity `R` the role would be held on.
        resource: EntityRef,
        /// The query as written; in a `Holds` assertion, the assertion's span.
        span: Span,
    },
    /// `can P assign ROLE on R to A`: may `P` assign (or revoke) `ROLE` on `R` to `A`?
    Assign {
        /// The principal `P` who would make the assignment.
        principal: EntityRef,
        /// The role to assign.
        role: Ident,
        /// The entity `R` the role would be held on.
        resource: EntityRef,
        /// The actor `A` who would get the role.
        assignee: EntityRef,
        /// The query as written; in a `Holds` assertion, the assertion's span.
        span: Span,
    },
    /// `who can ACTION R`
    WhoCan {
        /// The action asked about.
        action: Ident,
        /// The resource `R` acted on.
        resource: EntityRef,
        /// The query as written; in a `Holds` assertion, the assertion's span.
        span: Span,
    },
    /// `who is ROLE on R`
    WhoIs {
        /// The role asked about.
        role: Ident,
        /// The entity `R` the role is held on.
        resource: EntityRef,
        /// The query as written; in a `Holds` assertion, the assertion's span.
        span: Span,
    },
    /// `what can P do on R`
    WhatCan {
        /// The principal `P` asking, an entity.
        principal: EntityRef,
        /// The resource `R` whose permissions are listed.
        resource: EntityRef,
        /// The query as written; in a `Holds` assertion, the assertion's span.
        span: Span,
    },
    /// `which T can P ACTION`
    Which {
        /// The resource type `T` searched.
        ty: Ident,
        /// The principal `P` asking, an entity.
        principal: EntityRef,
        /// The action asked about.
        action: Ident,
        /// The query as written; in a `Holds` assertion, the assertion's span.
        span: Span,
    },
}

impl Query {
    /// The query's span, whichever form it has.
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
    /// An entity such as `user:alice`.
    Entity(EntityRef),
    /// `user:*`: every actor of the type.
    Wildcard {
        /// The type before `:*`.
        ty: Ident,
        /// From the type to the `*`.
        span: Span,
    },
    /// A permission name such as `view` or `users.edit` (for `what can P do on R`).
    Permission(Ident),
}

/// What follows `assert` in a test step. Its span runs from after `assert` to before `;`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Assertion {
    /// `assert can ...;` / `assert cannot ...;` / `assert P is R on E;` / `assert P is not R on E;`
    /// `query` is `Can`, `Assign` or `Is`; `expect` is false for `cannot` / `is not`.
    Holds {
        /// The yes-or-no question asked.
        query: Query,
        /// The answer the test expects: true for `can` / `is`, false for `cannot` / `is not`.
        expect: bool,
        /// The assertion, without `assert` and `;`.
        span: Span,
    },
    /// `assert who can ... == [...];` and the other list forms (`WhoCan`, `WhoIs`, `WhatCan`,
    /// `Which`).
    Equals {
        /// The list question asked, left of `==`.
        query: Query,
        /// The list right of `==`, in the order written.
        expected: Vec<Expected>,
        /// The assertion, without `assert` and `;`.
        span: Span,
    },
}

impl Assertion {
    /// The assertion's span, whichever form it has.
    pub fn span(&self) -> Span {
        match self {
            Assertion::Holds { span, .. } | Assertion::Equals { span, .. } => *span,
        }
    }
}

/// One statement of a `test "name" { ... }` block, run in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TestStep {
    /// `use acme;`
    Use(Ident),
    /// A fact or `context.x = value;`, applied in order.
    Fact(Fact),
    /// `retract user:bob is editor on list:l0;`: removes the assignment (a `Fact::Assign`).
    Retract(Fact),
    /// `assert ...;`: a check of the data so far.
    Assert(Assertion),
}

/// `test "name" { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestBlock {
    /// The `///` comment before the test, without the markers; `None` when it has none.
    pub doc: Option<String>,
    /// The test's name, the string after `test`.
    pub name: StrLit,
    /// The steps, in order.
    pub steps: Vec<TestStep>,
    /// The block, from `test` to `}`.
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
