//! pest pairs -> AST for queries and assertions (`can ...`, `who can ...`, `assert ...`).

use super::{Conv, Rule, is_keyword, kids};
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Conv<'_> {
    pub fn query(&mut self, pair: Pair<'_, Rule>) -> Option<Query> {
        let pair = if pair.as_rule() == Rule::query {
            kids(pair).next()?
        } else {
            pair
        };
        let span = self.span(&pair);
        let rule = pair.as_rule();
        // Keywords dropped: what is left are the operands, in order.
        let ops: Vec<Pair<'_, Rule>> = kids(pair).filter(|p| !is_keyword(p.as_rule())).collect();
        let get = |i: usize| ops.get(i).cloned();
        Some(match rule {
            Rule::q_can => Query::Can {
                principal: self.entity_ref(get(0)?)?,
                action: self.ident(&get(1)?),
                resource: self.entity_ref(get(2)?)?,
                with: match get(3) {
                    Some(w) => self.with_data(w)?,
                    None => Vec::new(),
                },
                span,
            },
            Rule::q_assign => Query::Assign {
                principal: self.entity_ref(get(0)?)?,
                role: self.ident(&get(1)?),
                resource: self.entity_ref(get(2)?)?,
                assignee: self.entity_ref(get(3)?)?,
                span,
            },
            Rule::q_is => Query::Is {
                principal: self.entity_ref(get(0)?)?,
                role: self.ident(&get(1)?),
                resource: self.entity_ref(get(2)?)?,
                span,
            },
            Rule::q_who_can => Query::WhoCan {
                action: self.ident(&get(0)?),
                resource: self.entity_ref(get(1)?)?,
                span,
            },
            Rule::q_who_is => Query::WhoIs {
                role: self.ident(&get(0)?),
                resource: self.entity_ref(get(1)?)?,
                span,
            },
            Rule::q_what => Query::WhatCan {
                principal: self.entity_ref(get(0)?)?,
                resource: self.entity_ref(get(1)?)?,
                span,
            },
            Rule::q_which => Query::Which {
                ty: self.ident(&get(0)?),
                principal: self.entity_ref(get(1)?)?,
                action: self.ident(&get(2)?),
                span,
            },
            _ => return None,
        })
    }

    /// `with { target = value; ... }`.
    fn with_data(&mut self, pair: Pair<'_, Rule>) -> Option<Vec<RequestDatum>> {
        let mut out = Vec::new();
        for item in kids(pair).filter(|p| p.as_rule() == Rule::with_item) {
            let span = self.span(&item);
            let mut it = kids(item);
            let mut target = kids(it.next()?);
            let root = match target.next()?.as_rule() {
                Rule::kw_principal => Var::Principal,
                Rule::kw_resource => Var::Resource,
                Rule::kw_context => Var::Context,
                _ => Var::Action,
            };
            let name = self.ident(&target.next()?);
            let value = self.value(it.next()?)?;
            out.push(RequestDatum {
                root,
                name,
                value,
                span,
            });
        }
        Some(out)
    }

    /// An `assertion` pair (without `assert` and `;`); `span` covers the whole statement.
    pub fn assertion(&mut self, pair: Pair<'_, Rule>) -> Option<Assertion> {
        let inner = kids(pair).next()?;
        let span = self.span(&inner);
        Some(match inner.as_rule() {
            Rule::a_equals => {
                let mut it = kids(inner);
                let query = self.query(it.next()?)?;
                let expected = kids(it.next()?)
                    .map(|e| self.expected(e))
                    .collect::<Option<_>>()?;
                Assertion::Equals {
                    query,
                    expected,
                    span,
                }
            }
            Rule::a_cannot => {
                let mut it = kids(inner).skip(1);
                let principal = self.entity_ref(it.next()?)?;
                let action = self.ident(&it.next()?);
                let resource = self.entity_ref(it.next()?)?;
                let with = match it.next() {
                    Some(w) => self.with_data(w)?,
                    None => Vec::new(),
                };
                Assertion::Holds {
                    query: Query::Can {
                        principal,
                        action,
                        resource,
                        with,
                        span,
                    },
                    expect: false,
                    span,
                }
            }
            Rule::a_cannot_assign => {
                let ops: Vec<Pair<'_, Rule>> =
                    kids(inner).filter(|p| !is_keyword(p.as_rule())).collect();
                let get = |i: usize| ops.get(i).cloned();
                Assertion::Holds {
                    query: Query::Assign {
                        principal: self.entity_ref(get(0)?)?,
                        role: self.ident(&get(1)?),
                        resource: self.entity_ref(get(2)?)?,
                        assignee: self.entity_ref(get(3)?)?,
                        span,
                    },
                    expect: false,
                    span,
                }
            }
            Rule::a_subject_is => {
                let mut it = kids(inner);
                let principal = self.entity_ref(it.next()?)?;
                let mut rest = it.skip(1).peekable(); // `is`
                let negated = rest.next_if(|p| p.as_rule() == Rule::kw_not).is_some();
                let role = self.ident(&rest.next()?);
                rest.next()?; // `on`
                let resource = self.entity_ref(rest.next()?)?;
                Assertion::Holds {
                    query: Query::Is {
                        principal,
                        role,
                        resource,
                        span,
                    },
                    expect: !negated,
                    span,
                }
            }
            _ => Assertion::Holds {
                query: self.query(inner)?,
                expect: true,
                span,
            },
        })
    }

    fn expected(&mut self, pair: Pair<'_, Rule>) -> Option<Expected> {
        let inner = kids(pair).next()?;
        let span = self.span(&inner);
        Some(match inner.as_rule() {
            Rule::wildcard => Expected::Wildcard {
                ty: self.ident(&kids(inner).next()?),
                span,
            },
            Rule::entity_ref => Expected::Entity(self.entity_ref(inner)?),
            _ => Expected::Permission(self.ident(&inner)),
        })
    }
}
