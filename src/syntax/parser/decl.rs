//! pest pairs -> AST for declarations: actors, resources and their members, roles, rules,
//! contexts and actions, test blocks.

use super::{Conv, Rule, kids};
use crate::source::Span;
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Conv<'_> {
    pub(super) fn actor(&mut self, pair: Pair<'_, Rule>) -> Option<ActorDecl> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut it = kids(pair).skip(1);
        let name = self.ident(&it.next()?);
        let members = match it.next() {
            Some(block) => self.members(block)?,
            None => Vec::new(),
        };
        Some(ActorDecl {
            doc,
            name,
            members,
            span,
        })
    }

    pub(super) fn resource(&mut self, pair: Pair<'_, Rule>) -> Option<ResourceDecl> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut it = kids(pair).peekable();
        let extend = it.next_if(|p| p.as_rule() == Rule::kw_extend).is_some();
        it.next()?; // `resource`
        let name = self.ident(&it.next()?);
        // `resource T;` has no block (the `;` is not a child).
        let members = match it.next() {
            Some(block) => self.members(block)?,
            None => Vec::new(),
        };
        Some(ResourceDecl {
            doc,
            extend,
            name,
            members,
            span,
        })
    }

    pub(super) fn members(&mut self, block: Pair<'_, Rule>) -> Option<Vec<Member>> {
        kids(block).map(|m| self.member(kids(m).next()?)).collect()
    }

    pub(super) fn member(&mut self, pair: Pair<'_, Rule>) -> Option<Member> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        Some(match pair.as_rule() {
            Rule::relation_decl => {
                let mut it = kids(pair).skip(1);
                let name = self.ident(&it.next()?);
                let target = it.next()?;
                let many = target.as_rule() == Rule::many_target;
                let target = if many { kids(target).next()? } else { target };
                Member::Relation(RelationDecl {
                    doc,
                    name,
                    many,
                    target: self.ident(&target),
                    span,
                })
            }
            Rule::attribute_decl => {
                let body = kids(pair).nth(1)?;
                Member::Attribute(self.field(body, doc, span)?)
            }
            Rule::permissions_decl => {
                let mut names = Vec::new();
                let mut assigns = Vec::new();
                for p in kids(pair).skip(1) {
                    if p.as_rule() == Rule::assigns_clause {
                        assigns = kids(p).skip(1).map(|r| self.ident(&r)).collect();
                    } else {
                        names.push(self.ident(&p));
                    }
                }
                Member::Permissions(PermissionsDecl {
                    doc,
                    names,
                    assigns,
                    span,
                })
            }
            Rule::separate_decl => {
                let roles = kids(pair).skip(1).map(|p| self.ident(&p)).collect();
                Member::Separate(SeparateDecl { doc, roles, span })
            }
            Rule::role_decl => Member::Role(self.role(pair, doc, span)?),
            Rule::rule_decl => Member::Rule(self.rule(pair, doc, span)?),
            _ => return None,
        })
    }

    pub(super) fn field(
        &mut self,
        body: Pair<'_, Rule>,
        doc: Option<String>,
        span: Span,
    ) -> Option<AttributeDecl> {
        let mut it = kids(body).peekable();
        let name = self.ident(&it.next()?);
        let optional = it.next_if(|p| p.as_rule() == Rule::question).is_some();
        let ty = self.type_expr(it.next()?)?;
        Some(AttributeDecl {
            doc,
            name,
            optional,
            ty,
            span,
        })
    }

    pub(super) fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let inner = kids(pair).next()?;
        let kind = match inner.as_rule() {
            Rule::ident => TypeKind::Named(self.ident(&inner)),
            Rule::list_type => TypeKind::List(Box::new(self.type_expr(kids(inner).next()?)?)),
            Rule::record_type => {
                let mut fields = Vec::new();
                for f in kids(inner) {
                    let mut it = kids(f).peekable();
                    let name = self.ident(&it.next()?);
                    let optional = it.next_if(|p| p.as_rule() == Rule::question).is_some();
                    let ty = self.type_expr(it.next()?)?;
                    fields.push(RecordFieldType { name, optional, ty });
                }
                TypeKind::Record(fields)
            }
            Rule::enum_type => TypeKind::Enum(kids(inner).map(|s| self.string(s)).collect()),
            _ => return None,
        };
        Some(TypeExpr { kind, span })
    }

    pub(super) fn role(
        &mut self,
        pair: Pair<'_, Rule>,
        doc: Option<String>,
        span: Span,
    ) -> Option<RoleDecl> {
        let mut it = kids(pair).skip(1);
        let name = self.ident(&it.next()?);
        let mut items = Vec::new();
        if let Some(block) = it.next().filter(|b| b.as_rule() == Rule::role_block) {
            for item in kids(block) {
                items.push(self.role_item(kids(item).next()?)?);
            }
        }
        Some(RoleDecl {
            doc,
            name,
            items,
            span,
        })
    }

    pub(super) fn role_item(&mut self, pair: Pair<'_, Rule>) -> Option<RoleItem> {
        let span = self.span(&pair);
        Some(match pair.as_rule() {
            Rule::includes_item => RoleItem::Includes {
                roles: kids(pair).skip(1).map(|p| self.ident(&p)).collect(),
                span,
            },
            Rule::grants_item => RoleItem::Grants {
                patterns: kids(pair).skip(1).map(|p| self.pattern(&p)).collect(),
                span,
            },
            Rule::from_item => {
                let mut it = kids(pair).peekable();
                let default = it.next_if(|p| p.as_rule() == Rule::kw_default).is_some();
                it.next()?; // `from`
                let role = self.ident(&it.next()?);
                it.next()?; // `on`
                let path = kids(it.next()?).map(|p| self.ident(&p)).collect();
                RoleItem::From(FromClause {
                    default,
                    role,
                    path,
                    span,
                })
            }
            Rule::requires_item => {
                let mut it = kids(pair);
                it.next()?; // `requires`
                let role = self.ident(&it.next()?);
                it.next()?; // `on`
                let path = kids(it.next()?).map(|p| self.ident(&p)).collect();
                RoleItem::Requires(FromClause {
                    default: false,
                    role,
                    path,
                    span,
                })
            }
            Rule::sealed_item => RoleItem::Sealed {
                except: kids(pair)
                    .filter(|p| p.as_rule() == Rule::pattern)
                    .map(|p| self.pattern(&p))
                    .collect(),
                span,
            },
            Rule::elevated_item => {
                let review = kids(pair).nth(2).map(|d| self.duration(&d));
                RoleItem::Elevated { review, span }
            }
            Rule::min_item => RoleItem::Min(self.count(&kids(pair).nth(1)?)),
            Rule::max_item => RoleItem::Max(self.count(&kids(pair).nth(1)?)),
            _ => return None,
        })
    }

    pub(super) fn rule(
        &mut self,
        pair: Pair<'_, Rule>,
        doc: Option<String>,
        span: Span,
    ) -> Option<RuleDecl> {
        let mut it = kids(pair);
        let effect = match kids(it.next()?).next()?.as_rule() {
            Rule::kw_permit => Effect::Permit,
            _ => Effect::Forbid,
        };
        let actions = kids(it.next()?).map(|p| self.pattern(&p)).collect();
        let condition = match it.next() {
            Some(c) => {
                let mut ci = kids(c);
                let kw = ci.next()?;
                let kind = if kw.as_rule() == Rule::kw_when {
                    ConditionKind::When
                } else {
                    ConditionKind::Unless
                };
                Some(Condition {
                    kind,
                    keyword: self.span(&kw),
                    expr: self.expr(ci.next()?)?,
                })
            }
            None => None,
        };
        Some(RuleDecl {
            doc,
            effect,
            actions,
            condition,
            span,
        })
    }

    pub(super) fn context(&mut self, pair: Pair<'_, Rule>) -> Option<ContextDecl> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut fields = Vec::new();
        for body in kids(pair).skip(1) {
            let doc = self.doc(&body);
            let span = self.span(&body);
            fields.push(self.field(body, doc, span)?);
        }
        Some(ContextDecl { doc, fields, span })
    }

    pub(super) fn test_block(&mut self, pair: Pair<'_, Rule>) -> Option<TestBlock> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut it = kids(pair).skip(1);
        let name = self.string(it.next()?);
        let mut steps = Vec::new();
        for step in it {
            let inner = kids(step).next()?;
            let span_of_step = self.span(&inner);
            steps.push(match inner.as_rule() {
                Rule::use_step => TestStep::Use(self.ident(&kids(inner).nth(1)?)),
                Rule::assert_step => TestStep::Assert(self.assertion(kids(inner).nth(1)?)?),
                Rule::retract_step => {
                    TestStep::Retract(self.assign_fact(kids(inner).nth(1)?, span_of_step)?)
                }
                _ => TestStep::Fact(self.fact(inner)?),
            });
        }
        Some(TestBlock {
            doc,
            name,
            steps,
            span,
        })
    }
}
