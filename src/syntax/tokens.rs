#![deny(missing_docs)]
//! The token stream of a Pol text (logos): for `polc debug tokens`, the REPL's highlighter and
//! completer, and the parser's own pre-passes (nesting limit, comments, error recovery).
//!
//! Tokenizing never fails: anything unexpected becomes [`Token::Error`].

use logos::Logos;
use std::ops::Range;

/// Every word that is a keyword somewhere in the grammar. Keywords are contextual: the parser
/// accepts most of them as names where a name is expected.
pub const KEYWORDS: &[&str] = &[
    "action",
    "actor",
    "assert",
    "assign",
    "assigns",
    "attribute",
    "can",
    "cannot",
    "context",
    "default",
    "do",
    "elevated",
    "except",
    "extend",
    "facts",
    "false",
    "forbid",
    "from",
    "grants",
    "has",
    "in",
    "includes",
    "is",
    "max",
    "min",
    "not",
    "on",
    "permissions",
    "permit",
    "principal",
    "relation",
    "requires",
    "resource",
    "retract",
    "review",
    "role",
    "sealed",
    "separate",
    "test",
    "to",
    "true",
    "unless",
    "until",
    "use",
    "what",
    "when",
    "which",
    "who",
    "with",
];

/// A token of Pol, as `polc debug tokens`, the REPL and the parser's pre-passes see the text
/// (the parser itself reads it with the pest grammar). Whitespace is skipped; comments are
/// tokens.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\n\f\u{FEFF}]+")]
pub enum Token {
    /// A keyword of [`KEYWORDS`] (`resource`, `role`, `when`, ...), contextual: the parser takes
    /// most of them as names where a name is expected.
    #[token("action")]
    #[token("actor")]
    #[token("assert")]
    #[token("assign")]
    #[token("assigns")]
    #[token("attribute")]
    #[token("can")]
    #[token("cannot")]
    #[token("context")]
    #[token("default")]
    #[token("do")]
    #[token("elevated")]
    #[token("except")]
    #[token("extend")]
    #[token("facts")]
    #[token("false")]
    #[token("forbid")]
    #[token("from")]
    #[token("grants")]
    #[token("has")]
    #[token("in")]
    #[token("includes")]
    #[token("is")]
    #[token("max")]
    #[token("min")]
    #[token("not")]
    #[token("on")]
    #[token("permissions")]
    #[token("permit")]
    #[token("principal")]
    #[token("relation")]
    #[token("resource")]
    #[token("requires")]
    #[token("retract")]
    #[token("review")]
    #[token("role")]
    #[token("sealed")]
    #[token("separate")]
    #[token("test")]
    #[token("to")]
    #[token("true")]
    #[token("unless")]
    #[token("until")]
    #[token("use")]
    #[token("what")]
    #[token("when")]
    #[token("which")]
    #[token("who")]
    #[token("with")]
    Keyword,

    /// A name: a letter or `_`, then letters, digits and `_`.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident,

    /// `"..."`, escapes included.
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    String,
    /// A string with no closing quote on its line.
    #[regex(r#""([^"\\\n]|\\[^\n])*"#)]
    UnterminatedString,

    /// Digits: an integer.
    #[regex(r"[0-9]+")]
    Number,
    /// `90d`; also digits followed by any letters (the parser checks the unit).
    #[regex(r"[0-9]+[A-Za-z][A-Za-z0-9_]*")]
    Duration,

    /// `/// text`
    #[regex(r"///([^/\n][^\n]*)?", priority = 10, allow_greedy = true)]
    DocComment,
    /// `// text` (also `////...`)
    #[regex(r"//[^\n]*", allow_greedy = true)]
    LineComment,
    /// `/* ... */` (an unclosed one runs to the end of the text)
    #[token("/*", block_comment)]
    BlockComment,

    /// `==`
    #[token("==")]
    EqEq,
    /// `!=`
    #[token("!=")]
    NotEq,
    /// `<=`
    #[token("<=")]
    Le,
    /// `>=`
    #[token(">=")]
    Ge,
    /// `<`
    #[token("<")]
    Lt,
    /// `>`
    #[token(">")]
    Gt,
    /// `&&`
    #[token("&&")]
    AndAnd,
    /// `||`
    #[token("||")]
    OrOr,
    /// `!`
    #[token("!")]
    Bang,
    /// `-`
    #[token("-")]
    Minus,
    /// `+`
    #[token("+")]
    Plus,
    /// `=`
    #[token("=")]
    Eq,
    /// `|`
    #[token("|")]
    Bar,
    /// `*`
    #[token("*")]
    Star,
    /// `?`
    #[token("?")]
    Question,
    /// `#`
    #[token("#")]
    Hash,

    /// `;`
    #[token(";")]
    Semi,
    /// `,`
    #[token(",")]
    Comma,
    /// `:`
    #[token(":")]
    Colon,
    /// `.`
    #[token(".")]
    Dot,
    /// `{`
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,

    /// Anything else.
    Error,
}

fn block_comment(lex: &mut logos::Lexer<Token>) {
    let rest = lex.remainder();
    let len = rest.find("*/").map_or(rest.len(), |i| i + 2);
    lex.bump(len);
}

impl Token {
    /// The highlighting category: `keyword`, `identifier`, `string`, `number`, `operator`,
    /// `punctuation`, `comment` or `error`.
    pub fn kind_name(self) -> &'static str {
        match self {
            Token::Keyword => "keyword",
            Token::Ident => "identifier",
            Token::String => "string",
            Token::Number | Token::Duration => "number",
            Token::DocComment | Token::LineComment | Token::BlockComment => "comment",
            Token::EqEq
            | Token::NotEq
            | Token::Le
            | Token::Ge
            | Token::Lt
            | Token::Gt
            | Token::AndAnd
            | Token::OrOr
            | Token::Bang
            | Token::Minus
            | Token::Plus
            | Token::Eq
            | Token::Bar
            | Token::Star
            | Token::Question
            | Token::Hash => "operator",
            Token::Semi
            | Token::Comma
            | Token::Colon
            | Token::Dot
            | Token::LBrace
            | Token::RBrace
            | Token::LBracket
            | Token::RBracket
            | Token::LParen
            | Token::RParen => "punctuation",
            Token::UnterminatedString | Token::Error => "error",
        }
    }

    /// Whether the token is a comment (`///`, `//` or `/* */`).
    pub fn is_comment(self) -> bool {
        matches!(
            self,
            Token::DocComment | Token::LineComment | Token::BlockComment
        )
    }

    /// Words: keywords and identifiers (a keyword is a name where the grammar expects a name).
    pub fn is_word(self) -> bool {
        matches!(self, Token::Keyword | Token::Ident)
    }
}

/// Splits `text` into tokens with their byte ranges. Whitespace is skipped; never fails.
pub fn tokenize(text: &str) -> Vec<(Token, Range<usize>)> {
    Token::lexer(text)
        .spanned()
        .map(|(t, r)| (t.unwrap_or(Token::Error), r))
        .collect()
}

/// The first token of `text` that is not a comment.
pub fn first_token(text: &str) -> Option<(Token, Range<usize>)> {
    Token::lexer(text)
        .spanned()
        .map(|(t, r)| (t.unwrap_or(Token::Error), r))
        .find(|(t, _)| !t.is_comment())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Token> {
        tokenize(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn keywords_do_not_swallow_identifier_prefixes() {
        assert_eq!(
            kinds("role roles fromage used use"),
            [
                Token::Keyword,
                Token::Ident,
                Token::Ident,
                Token::Ident,
                Token::Keyword
            ]
        );
    }

    #[test]
    fn comments_doc_comments_and_strings() {
        let toks = tokenize("/// doc\n// plain\n//// rule\n/* block */ \"a // b\" \"open");
        let k: Vec<Token> = toks.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            k,
            [
                Token::DocComment,
                Token::LineComment,
                Token::LineComment,
                Token::BlockComment,
                Token::String,
                Token::UnterminatedString
            ]
        );
        assert_eq!(toks[3].1, 27..38);
    }

    #[test]
    fn entity_refs_durations_operators() {
        assert_eq!(
            kinds("user:alice 90d 12 == != && || ! @"),
            [
                Token::Ident,
                Token::Colon,
                Token::Ident,
                Token::Duration,
                Token::Number,
                Token::EqEq,
                Token::NotEq,
                Token::AndAnd,
                Token::OrOr,
                Token::Bang,
                Token::Error
            ]
        );
        assert_eq!(Token::Keyword.kind_name(), "keyword");
        assert_eq!(Token::Error.kind_name(), "error");
    }

    #[test]
    fn unclosed_block_comment_runs_to_the_end() {
        assert_eq!(
            tokenize("a /* never closed"),
            [(Token::Ident, 0..1), (Token::BlockComment, 2..17)]
        );
    }
}
