//! pest pairs -> AST for facts: `facts` blocks, assignments, `set` statements, values and
//! entity references.

use super::{Conv, Rule, kids};
use crate::source::Span;
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Conv<'_> {
    pub(super) fn facts_block(&mut self, pair: Pair<'_, Rule>) -> Option<FactsBlock> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut it = kids(pair).skip(1);
        let name = self.ident(&it.next()?);
        let facts = it.map(|f| self.fact(f)).collect::<Option<_>>()?;
        Some(FactsBlock {
            doc,
            name,
            facts,
            span,
        })
    }

    /// A `fact` (with its `;`) or a `fact_body`.
    pub fn fact(&mut self, pair: Pair<'_, Rule>) -> Option<Fact> {
        let span = self.span(&pair);
        let body = if pair.as_rule() == Rule::fact {
            kids(pair).next()?
        } else {
            pair
        };
        let inner = kids(body).next()?;
        match inner.as_rule() {
            Rule::assign_fact => self.assign_fact(inner, span),
            Rule::set_fact => {
                let mut it = kids(inner);
                let target = it.next()?;
                let target = match target.as_rule() {
                    Rule::field_target => {
                        let mut t = kids(target);
                        let entity = self.entity_ref(t.next()?)?;
                        SetTarget::Field {
                            entity,
                            name: self.ident(&t.next()?),
                        }
                    }
                    Rule::action_target => SetTarget::Action(self.ident(&kids(target).nth(1)?)),
                    _ => SetTarget::Context(self.ident(&kids(target).nth(1)?)),
                };
                let value = self.value(it.next()?)?;
                Some(Fact::Set {
                    target,
                    value,
                    span,
                })
            }
            _ => None,
        }
    }

    /// `S is R on E [until T]`; `span` is the statement's.
    pub(super) fn assign_fact(&mut self, pair: Pair<'_, Rule>, span: Span) -> Option<Fact> {
        let mut it = kids(pair);
        let subject = self.subject(it.next()?)?;
        it.next()?; // `is`
        let role = self.ident(&it.next()?);
        it.next()?; // `on`
        let on = self.entity_ref(it.next()?)?;
        let until = it.nth(1).map(|s| self.string(s));
        Some(Fact::Assign {
            subject,
            role,
            on,
            until,
            span,
        })
    }

    pub(super) fn subject(&mut self, pair: Pair<'_, Rule>) -> Option<Subject> {
        let inner = kids(pair).next()?;
        let span = self.span(&inner);
        Some(match inner.as_rule() {
            Rule::userset => {
                let mut it = kids(inner);
                let entity = self.entity_ref(it.next()?)?;
                Subject::Userset {
                    entity,
                    role: self.ident(&it.next()?),
                    span,
                }
            }
            Rule::wildcard => Subject::Wildcard {
                ty: self.ident(&kids(inner).next()?),
                span,
            },
            _ => Subject::Entity(self.entity_ref(inner)?),
        })
    }

    pub(super) fn value(&mut self, pair: Pair<'_, Rule>) -> Option<Value> {
        let inner = kids(pair).next()?;
        let span = self.span(&inner);
        Some(match inner.as_rule() {
            Rule::list_value => Value::List(
                kids(inner).map(|v| self.value(v)).collect::<Option<_>>()?,
                span,
            ),
            Rule::entity_ref => Value::Entity(self.entity_ref(inner)?),
            Rule::kw_true => Value::Bool(true, span),
            Rule::kw_false => Value::Bool(false, span),
            Rule::signed_duration => Value::Duration(self.duration(&inner)),
            Rule::record_value => {
                let mut fields = Vec::new();
                for entry in kids(inner) {
                    let mut it = kids(entry);
                    let name = self.ident(&it.next()?);
                    fields.push((name, self.value(it.next()?)?));
                }
                Value::Record(fields, span)
            }
            Rule::signed_int => Value::Int(self.int(&inner), span),
            Rule::string => Value::Str(self.string(inner)),
            _ => return None,
        })
    }

    pub(super) fn entity_ref(&mut self, pair: Pair<'_, Rule>) -> Option<EntityRef> {
        let span = self.span(&pair);
        let mut it = kids(pair);
        let ty = self.ident(&it.next()?);
        let id = it.next()?;
        let id = if id.as_rule() == Rule::string {
            self.string(id)
        } else {
            StrLit {
                value: id.as_str().to_string(),
                span: self.span(&id),
            }
        };
        if let Err(e) = crate::entity::check_id(&id.value) {
            let msg = format!(
                "`{}:{:?}` is not an entity: {}",
                ty.name,
                id.value,
                e.reason()
            );
            self.invalid(id.span, msg, "not an entity id", Some(e.help()));
        }
        Some(EntityRef { ty, id, span })
    }
}
