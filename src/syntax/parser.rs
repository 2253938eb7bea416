//! pest pairs -> AST. The only place that sees pest's `Pair`s.

use super::ast::*;
use super::docs::DocIndex;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::Parser as _;
use pest::iterators::Pair;
use pest_derive::Parser;

mod expr;
mod query;

#[derive(Parser)]
#[grammar = "../grammar/pol.pest"]
pub(super) struct PolParser;

pub(super) type PestError = pest::error::Error<Rule>;

/// Parses `text` with `rule`; the pairs of the entry rule are handed to `f`.
pub(super) fn parse_with<T>(
    rule: Rule,
    text: &str,
    f: impl FnOnce(Pair<'_, Rule>) -> T,
) -> Result<T, Box<PestError>> {
    let mut pairs = PolParser::parse(rule, text).map_err(Box::new)?;
    match pairs.next() {
        Some(pair) => Ok(f(pair)),
        None => Err(Box::new(PestError::new_from_pos(
            pest::error::ErrorVariant::CustomError {
                message: "empty parse".into(),
            },
            pest::Position::from_start(text),
        ))),
    }
}

/// Punctuation and keyword pairs carry nothing the AST needs once the rule is known.
fn is_noise(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::semi
            | Rule::comma
            | Rule::colon
            | Rule::lbrace
            | Rule::rbrace
            | Rule::lbrack
            | Rule::rbrack
            | Rule::lparen
            | Rule::rparen
            | Rule::dot
            | Rule::assign
            | Rule::eqeq
            | Rule::bar
            | Rule::EOI
    )
}

fn kids<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|p| !is_noise(p.as_rule()))
}

/// The converter: one per parsed piece of text. `base` is the offset of that piece in the file.
pub(super) struct Conv<'d> {
    pub file: FileId,
    pub base: usize,
    pub docs: &'d mut DocIndex,
    /// Invalid literals (E0102): the item is kept with a placeholder value.
    pub diags: Vec<Diagnostic>,
    /// Set once an expression hit [`MAX_EXPR_DEPTH`] (its diagnostic is in `diags`).
    pub limit_hit: bool,
}

/// The magnitude of `i64::MIN`, which only a `-` before it makes an integer.
pub(super) const MIN_MAGNITUDE: &str = "9223372036854775808";

/// How deep an expression tree may be (operators, accesses, parentheses): later stages walk
/// expressions recursively.
pub const MAX_EXPR_DEPTH: usize = 256;

impl<'d> Conv<'d> {
    pub fn new(file: FileId, base: usize, docs: &'d mut DocIndex) -> Conv<'d> {
        Conv {
            file,
            base,
            docs,
            diags: Vec::new(),
            limit_hit: false,
        }
    }

    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    fn doc(&mut self, p: &Pair<'_, Rule>) -> Option<String> {
        self.docs.take(self.base + p.as_span().start())
    }

    fn ident(&self, p: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn pattern(&self, p: &Pair<'_, Rule>) -> Pattern {
        Pattern {
            text: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn invalid(&mut self, span: Span, message: String, label: &str, help: Option<&str>) {
        let mut d = Diagnostic::new(Code::E0102, message).primary(span, label);
        if let Some(h) = help {
            d = d.help(h);
        }
        self.diags.push(d);
    }

    // -----------------------------------------------------------------------------------------
    // Items

    pub fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        self.limit_hit = false;
        let inner = kids(pair).next()?;
        Some(match inner.as_rule() {
            Rule::actor_decl => Item::Actor(self.actor(inner)?),
            Rule::resource_decl => Item::Resource(self.resource(inner)?),
            Rule::context_decl => Item::Context(self.context(inner)?),
            Rule::action_decl => Item::Action(self.context(inner)?),
            Rule::facts_block => Item::Facts(self.facts_block(inner)?),
            Rule::test_block => Item::Test(self.test_block(inner)?),
            Rule::fact => Item::Fact(self.fact(inner)?),
            _ => return None,
        })
    }

    fn actor(&mut self, pair: Pair<'_, Rule>) -> Option<ActorDecl> {
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

    fn resource(&mut self, pair: Pair<'_, Rule>) -> Option<ResourceDecl> {
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

    fn members(&mut self, block: Pair<'_, Rule>) -> Option<Vec<Member>> {
        kids(block).map(|m| self.member(kids(m).next()?)).collect()
    }

    fn member(&mut self, pair: Pair<'_, Rule>) -> Option<Member> {
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

    fn field(
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

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
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

    fn role(&mut self, pair: Pair<'_, Rule>, doc: Option<String>, span: Span) -> Option<RoleDecl> {
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

    fn role_item(&mut self, pair: Pair<'_, Rule>) -> Option<RoleItem> {
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

    fn rule(&mut self, pair: Pair<'_, Rule>, doc: Option<String>, span: Span) -> Option<RuleDecl> {
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

    fn context(&mut self, pair: Pair<'_, Rule>) -> Option<ContextDecl> {
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

    fn facts_block(&mut self, pair: Pair<'_, Rule>) -> Option<FactsBlock> {
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

    fn test_block(&mut self, pair: Pair<'_, Rule>) -> Option<TestBlock> {
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

    // -----------------------------------------------------------------------------------------
    // Facts

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
    fn assign_fact(&mut self, pair: Pair<'_, Rule>, span: Span) -> Option<Fact> {
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

    fn subject(&mut self, pair: Pair<'_, Rule>) -> Option<Subject> {
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

    fn value(&mut self, pair: Pair<'_, Rule>) -> Option<Value> {
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

    fn entity_ref(&mut self, pair: Pair<'_, Rule>) -> Option<EntityRef> {
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

    // -----------------------------------------------------------------------------------------
    // Literals

    fn string(&mut self, pair: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&pair);
        let raw_start = span.start as usize + 1;
        let raw = pair.as_str();
        let raw = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            let esc_span = Span::new(self.file, raw_start + i, raw_start + i + 1 + e.len_utf8());
            match e {
                '"' => value.push('"'),
                '\\' => value.push('\\'),
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                '0' => value.push('\0'),
                'u' => match unicode_escape(&raw[i..]) {
                    Some((ch, len)) => {
                        value.push(ch);
                        for _ in 0..len.saturating_sub(2) {
                            chars.next();
                        }
                    }
                    None => self.invalid(
                        esc_span,
                        "invalid unicode escape in string".into(),
                        "expected `\\u{...}` with 1 to 6 hex digits of a valid character",
                        Some("write a character as `\\u{1F600}`"),
                    ),
                },
                other => self.invalid(
                    esc_span,
                    format!("unknown escape `\\{other}` in string"),
                    "unknown escape",
                    Some(
                        "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\0` and `\\u{...}`",
                    ),
                ),
            }
        }
        StrLit { value, span }
    }

    fn int(&mut self, p: &Pair<'_, Rule>) -> i64 {
        match p.as_str().parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                let msg = format!("integer `{}` does not fit in 64 bits", p.as_str());
                self.invalid(
                    self.span(p),
                    msg,
                    "too large",
                    Some("integers range from -9223372036854775808 to 9223372036854775807"),
                );
                0
            }
        }
    }

    fn count(&mut self, p: &Pair<'_, Rule>) -> Count {
        let span = self.span(p);
        let value = match p.as_str().parse::<u32>() {
            Ok(v) => v,
            Err(_) => {
                let msg = format!("count `{}` is too large", p.as_str());
                self.invalid(
                    span,
                    msg,
                    "too large",
                    Some("a count is at most 4294967295"),
                );
                0
            }
        };
        Count { value, span }
    }

    /// A duration (`90d`, `1d12h`, `2w`, `-5h` in values), read with jiff's friendly format.
    fn duration(&mut self, p: &Pair<'_, Rule>) -> Duration {
        let span = self.span(p);
        let text = p.as_str().to_string();
        let micros = match crate::duration::parse(&text) {
            Ok(m) => m,
            Err(why) => {
                let msg = format!("`{text}` is not a valid duration: {why}");
                self.invalid(
                    span,
                    msg,
                    "invalid duration",
                    Some("write durations with the units `w`, `d`, `h`, `m`, `s`, `ms`: `90d`, `1d12h`, `30m`"),
                );
                0
            }
        };
        Duration { micros, text, span }
    }
}

/// `\u{...}` at the start of `s`: the character and the length of the escape in bytes.
fn unicode_escape(s: &str) -> Option<(char, usize)> {
    let body = s.strip_prefix("\\u{")?;
    let close = body.find('}')?;
    let hex = &body[..close];
    if hex.is_empty() || hex.len() > 6 {
        return None;
    }
    let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some((ch, 3 + close + 1))
}

pub(super) fn is_keyword(rule: Rule) -> bool {
    keyword_text(rule).is_some()
}

/// The text of a keyword rule.
pub(super) fn keyword_text(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_actor => "actor",
        Rule::kw_resource => "resource",
        Rule::kw_extend => "extend",
        Rule::kw_context => "context",
        Rule::kw_action => "action",
        Rule::kw_relation => "relation",
        Rule::kw_attribute => "attribute",
        Rule::kw_permissions => "permissions",
        Rule::kw_role => "role",
        Rule::kw_includes => "includes",
        Rule::kw_grants => "grants",
        Rule::kw_from => "from",
        Rule::kw_default => "default",
        Rule::kw_on => "on",
        Rule::kw_sealed => "sealed",
        Rule::kw_except => "except",
        Rule::kw_requires => "requires",
        Rule::kw_elevated => "elevated",
        Rule::kw_review => "review",
        Rule::kw_min => "min",
        Rule::kw_max => "max",
        Rule::kw_permit => "permit",
        Rule::kw_forbid => "forbid",
        Rule::kw_when => "when",
        Rule::kw_unless => "unless",
        Rule::kw_separate => "separate",
        Rule::kw_facts => "facts",
        Rule::kw_test => "test",
        Rule::kw_use => "use",
        Rule::kw_assert => "assert",
        Rule::kw_is => "is",
        Rule::kw_not => "not",
        Rule::kw_until => "until",
        Rule::kw_can => "can",
        Rule::kw_cannot => "cannot",
        Rule::kw_who => "who",
        Rule::kw_what => "what",
        Rule::kw_which => "which",
        Rule::kw_do => "do",
        Rule::kw_has => "has",
        Rule::kw_in => "in",
        Rule::kw_true => "true",
        Rule::kw_false => "false",
        Rule::kw_principal => "principal",
        Rule::kw_retract => "retract",
        Rule::kw_assigns => "assigns",
        Rule::kw_with => "with",
        Rule::kw_assign => "assign",
        Rule::kw_to => "to",
        _ => return None,
    })
}
