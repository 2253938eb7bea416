//! pest pairs -> AST. The only place that sees pest's `Pair`s.

use super::ast::*;
use super::docs::DocIndex;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::Parser as _;
use pest::iterators::Pair;
use pest_derive::Parser;

mod decl;
mod expr;
mod facts;
mod literals;
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
