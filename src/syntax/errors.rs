//! Syntax errors: pest's error -> a diagnostic in the user's words (E0101), and the nesting
//! limit checked before pest runs (E0003).

use super::parser::{PestError, Rule, keyword_text};
use super::tokens::{Token, first_token, tokenize};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::{FileId, Span};
use std::ops::Range;

/// How deep `(`, `[` and `{` may nest. Checked before parsing, so that no input can exhaust the
/// parser's stack.
pub const MAX_NESTING: usize = 64;

/// The deepest nesting of the tokens, or E0003 when it is deeper than [`MAX_NESTING`].
pub(super) fn check_nesting(
    file: FileId,
    tokens: &[(Token, Range<usize>)],
) -> Result<usize, Diagnostic> {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for (tok, range) in tokens {
        match tok {
            Token::LParen | Token::LBracket | Token::LBrace => {
                depth += 1;
                deepest = deepest.max(depth);
                if depth > MAX_NESTING {
                    let span = Span::new(file, range.start, range.end);
                    return Err(
                        Diagnostic::new(
                            Code::E0003,
                            format!("input is nested deeper than {MAX_NESTING} levels of parentheses, brackets or braces"),
                        )
                        .primary(span, format!("nesting level {} starts here", MAX_NESTING + 1))
                        .help("split the expression or the data into smaller pieces"),
                    );
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(deepest)
}

/// What a rule means to someone who writes Pol, when it was expected and not found.
fn rule_words(rule: Rule) -> Option<&'static str> {
    if let Some(kw) = keyword_text(rule) {
        return Some(match kw {
            "actor" => "`actor`",
            "resource" => "`resource`",
            "extend" => "`extend`",
            "context" => "`context`",
            "action" => "`action`",
            "relation" => "`relation`",
            "attribute" => "`attribute`",
            "permissions" => "`permissions`",
            "role" => "`role`",
            "includes" => "`includes`",
            "grants" => "`grants`",
            "from" => "`from`",
            "default" => "`default`",
            "on" => "`on`",
            "sealed" => "`sealed`",
            "except" => "`except`",
            "requires" => "`requires`",
            "elevated" => "`elevated`",
            "review" => "`review`",
            "min" => "`min`",
            "max" => "`max`",
            "permit" => "`permit`",
            "forbid" => "`forbid`",
            "when" => "`when`",
            "unless" => "`unless`",
            "separate" => "`separate`",
            "facts" => "`facts`",
            "test" => "`test`",
            "use" => "`use`",
            "assert" => "`assert`",
            "is" => "`is`",
            "not" => "`not`",
            "until" => "`until`",
            "can" => "`can`",
            "cannot" => "`cannot`",
            "who" => "`who`",
            "what" => "`what`",
            "which" => "`which`",
            "do" => "`do`",
            "has" => "`has`",
            "in" => "`in`",
            "assigns" => "`assigns`",
            "with" => "`with`",
            "true" | "false" => "a value",
            _ => "an expression",
        });
    }
    Some(match rule {
        Rule::semi => "`;`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::lbrace | Rule::member_block | Rule::role_block => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbrack | Rule::many_target | Rule::list_type | Rule::expected_list => "`[`",
        Rule::rbrack => "`]`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::dot | Rule::access => "`.`",
        Rule::assign => "`=`",
        Rule::eqeq => "`==`",
        Rule::bar => "`|`",
        Rule::question => "`?`",
        Rule::ident | Rule::rel_path => "an identifier",
        Rule::perm_name => "a permission name",
        Rule::pattern | Rule::actions => "a permission or pattern",
        Rule::string | Rule::string_inner | Rule::enum_type => "a string",
        Rule::duration => "a duration",
        Rule::int | Rule::signed_int | Rule::count => "a number",
        Rule::entity_id => "an entity id",
        Rule::entity_ref => "an entity such as `user:alice`",
        Rule::userset | Rule::wildcard | Rule::subject => "a subject such as `user:alice`",
        Rule::file | Rule::chunk | Rule::item => "a declaration or a fact",
        Rule::actor_decl => "`actor`",
        Rule::resource_decl => "`resource`",
        Rule::context_decl | Rule::context_target => "`context`",
        Rule::action_decl | Rule::action_target => "`action`",
        Rule::with_data => "`with { ... }`",
        Rule::with_item | Rule::with_target => {
            "request data such as `action.soft = true` or `principal.role = \"admin\"`"
        }
        Rule::facts_block => "`facts`",
        Rule::test_block => "`test`",
        Rule::fact | Rule::fact_body | Rule::assign_fact | Rule::set_fact | Rule::field_target => {
            "a fact"
        }
        Rule::member => "a declaration such as `role` or `permissions`",
        Rule::relation_decl => "`relation`",
        Rule::attribute_decl => "`attribute`",
        Rule::field_body => "a field name",
        Rule::type_expr => "a type",
        Rule::permissions_decl => "`permissions`",
        Rule::assigns_clause => "`assigns`",
        Rule::separate_decl => "`separate`",
        Rule::role_decl => "`role`",
        Rule::role_item => "a role item such as `grants` or `includes`",
        Rule::includes_item => "`includes`",
        Rule::grants_item => "`grants`",
        Rule::from_item => "`from`",
        Rule::requires_item => "`requires`",
        Rule::sealed_item => "`sealed`",
        Rule::elevated_item => "`elevated`",
        Rule::min_item => "`min`",
        Rule::max_item => "`max`",
        Rule::rule_decl | Rule::effect => "`permit` or `forbid`",
        Rule::condition => "`when` or `unless`",
        Rule::expr
        | Rule::and_expr
        | Rule::cmp_expr
        | Rule::unary_expr
        | Rule::test_expr
        | Rule::postfix_expr
        | Rule::primary
        | Rule::paren_expr
        | Rule::list_expr => "an expression",
        Rule::has_suffix => "`has`",
        Rule::is_suffix => "`is`",
        Rule::op_or => "`||`",
        Rule::op_and => "`&&`",
        Rule::cmp_op => "a comparison",
        Rule::prefix_op | Rule::op_not => "`!`",
        Rule::op_neg => "`-`",
        Rule::value | Rule::list_value => "a value",
        Rule::test_step => "a test step (`use`, `assert` or a fact)",
        Rule::use_step => "`use`",
        Rule::assert_step => "`assert`",
        Rule::query
        | Rule::q_assign
        | Rule::q_can
        | Rule::q_is
        | Rule::q_who_can
        | Rule::q_who_is
        | Rule::q_what
        | Rule::q_which => "a query (`can`, `is`, `who`, `what` or `which`)",
        Rule::assertion
        | Rule::a_equals
        | Rule::a_cannot
        | Rule::a_cannot_assign
        | Rule::a_subject_is => "an assertion",
        Rule::expected => "an entity or a permission",
        _ => return None,
    })
}

/// Keywords a rule stands for, to suggest when a word is misspelt.
fn rule_keywords(rule: Rule) -> Vec<&'static str> {
    let list: &[&str] = match rule {
        Rule::file | Rule::chunk | Rule::item => &[
            "actor", "resource", "extend", "context", "action", "facts", "test",
        ],
        Rule::member => &[
            "relation",
            "attribute",
            "permissions",
            "role",
            "permit",
            "forbid",
            "separate",
        ],
        Rule::role_item => &[
            "includes", "grants", "from", "default", "requires", "sealed", "elevated", "min", "max",
        ],
        Rule::rule_decl | Rule::effect => &["permit", "forbid"],
        Rule::condition => &["when", "unless"],
        Rule::test_step => &["use", "assert"],
        Rule::query | Rule::assertion => &["can", "cannot", "is", "who", "what", "which"],
        _ => return keyword_text(rule).into_iter().collect(),
    };
    list.to_vec()
}

/// "a, b or c"
fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// Where a piece of text was parsed: the whole text, and the range pest saw.
pub(super) struct Piece<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub range: Range<usize>,
    /// A top-level item of a file (enables the "misspelt declaration keyword" help).
    pub top_level: bool,
}

/// The E0101 (or E0003) diagnostic for a pest error on `piece`.
pub(super) fn syntax_error(err: &PestError, piece: &Piece<'_>) -> Diagnostic {
    let rel = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let pos = (piece.range.start + rel).min(piece.text.len());
    let positives: Vec<Rule> = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { message } => {
            let span = Span::new(piece.file, pos, pos);
            return Diagnostic::new(
                Code::E0003,
                format!("input is too complex to parse ({message})"),
            )
            .primary(span, "the parser gave up here")
            .help(format!(
                "keep nesting under {MAX_NESTING} levels and split very long expressions"
            ));
        }
    };

    let mut words: Vec<&str> = Vec::new();
    for w in positives.iter().filter_map(|r| rule_words(*r)) {
        if !words.contains(&w) {
            words.push(w);
        }
    }
    let ends_piece = positives.contains(&Rule::EOI);

    // The offending token, looked up in the whole text (a piece can end before the file does).
    let found = first_token(&piece.text[pos..]);
    let (found_text, found_span) = match found {
        Some((tok, r)) => {
            let s = &piece.text[pos + r.start..pos + r.end];
            let shown: String = s.chars().take(30).collect();
            let desc = match tok {
                Token::UnterminatedString => "an unterminated string".to_string(),
                _ if shown.len() < s.len() => format!("`{shown}...`"),
                _ => format!("`{shown}`"),
            };
            (
                Some((tok, s)),
                (desc, Span::new(piece.file, pos + r.start, pos + r.end)),
            )
        }
        None => (
            None,
            (
                "end of file".to_string(),
                Span::new(piece.file, piece.text.len(), piece.text.len()),
            ),
        ),
    };
    let (found_desc, mut span) = found_span;

    let message = if words.is_empty() {
        if ends_piece {
            format!("unexpected {found_desc} after the end of the statement")
        } else {
            format!("unexpected {found_desc}")
        }
    } else {
        format!("expected {}, found {found_desc}", join_words(&words))
    };
    let mut label = if words.is_empty() {
        "unexpected here".to_string()
    } else {
        format!("expected {}", join_words(&words))
    };
    let mut help: Option<String> = None;
    let mut secondary: Option<(Span, &str)> = None;

    let expects = |w: &str| words.contains(&w);
    let found_word = found_text.filter(|(t, _)| t.is_word()).map(|(_, s)| s);
    let found_tok = found_text.map(|(t, _)| t);

    // A missing `;` at the end of a line: point after the last token, not at the next line.
    if expects("`;`") {
        let before = &piece.text[..pos];
        let prev_end = before.trim_end().len();
        if before[prev_end..].contains('\n') || found_tok.is_none() {
            span = Span::new(piece.file, prev_end, prev_end);
            label = "expected `;` here".to_string();
            help = Some("add `;` at the end of the statement".to_string());
        }
    }
    if found_tok == Some(Token::Eq)
        && (expects("a comparison") || expects("`&&`") || expects("`;`"))
    {
        help = Some("use `==` to compare values".to_string());
    }
    if matches!(
        found_tok,
        Some(Token::EqEq | Token::NotEq | Token::Lt | Token::Le | Token::Gt | Token::Ge)
    ) && expects("`&&`")
    {
        help = Some(
            "comparisons do not chain: combine them with `&&`, or use parentheses".to_string(),
        );
    }
    if found_tok == Some(Token::UnterminatedString) {
        help = Some("close the string with `\"` on the same line".to_string());
    }
    if let Some(word) = found_word {
        let candidates: Vec<&str> = positives.iter().flat_map(|r| rule_keywords(*r)).collect();
        if !candidates.contains(&word)
            && let Some(h) = did_you_mean(word, candidates.iter().copied())
        {
            help = Some(h);
        }
    }
    if piece.top_level && help.is_none() {
        // `rol admin;` at the top level reads as a fact `rol:...` and fails later: look at the
        // first word of the item.
        let first = first_token(&piece.text[piece.range.clone()]);
        if let Some((Token::Ident, r)) = first {
            let word = &piece.text[piece.range.start + r.start..piece.range.start + r.end];
            let top = [
                "actor", "resource", "extend", "context", "action", "facts", "test",
            ];
            if let Some(h) = did_you_mean(word, top) {
                help = Some(h);
                secondary = Some((
                    Span::new(
                        piece.file,
                        piece.range.start + r.start,
                        piece.range.start + r.end,
                    ),
                    "not a keyword",
                ));
            }
        }
    }
    let at_piece_end = first_token(piece.text.get(pos..piece.range.end).unwrap_or("")).is_none();
    if expects("`}`")
        && at_piece_end
        && let Some(open) = unclosed_brace(piece)
    {
        secondary = Some((
            Span::new(piece.file, open, open + 1),
            "this `{` is never closed",
        ));
        help = Some("add `}` to close the block".to_string());
    }

    let mut d = Diagnostic::new(Code::E0101, message).primary(span, label);
    if let Some((s, l)) = secondary {
        d = d.secondary(s, l);
    }
    if let Some(h) = help {
        d = d.help(h);
    }
    d
}

/// The last `{` of the piece that has no matching `}`.
fn unclosed_brace(piece: &Piece<'_>) -> Option<usize> {
    let mut stack = Vec::new();
    for (tok, r) in tokenize(&piece.text[piece.range.clone()]) {
        match tok {
            Token::LBrace => stack.push(piece.range.start + r.start),
            Token::RBrace => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}
