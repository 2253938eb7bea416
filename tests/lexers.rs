#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Three descriptions of Pol's words must agree: the pest grammar (`grammar/pol.pest`, what the
//! parser accepts), the logos tokens (`src/syntax/tokens.rs`: `polc debug tokens`, the REPL's
//! highlighter and completer, the parser's pre-passes) and the VS Code grammar
//! (`editors/vscode/syntaxes/pol.tmLanguage.json`).
//!
//! - the keyword sets: every `kw_*` rule of the grammar is a logos keyword and the other way
//!   round, and the VS Code grammar highlights exactly those words as keywords;
//! - the token boundaries over every `.pol` file of the repository that the grammar accepts:
//!   each terminal pest produces (a pair without inner pairs; a string as a whole) starts and
//!   ends where a logos token starts and ends, each keyword pest reads is one logos keyword
//!   token, each word logos reads lies inside one pest terminal, and no comment logos reads is
//!   inside one.

use pest::Parser;
use pest::iterators::Pair;
use polc::syntax::tokens::{KEYWORDS, Token, tokenize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/pol.pest"]
struct Pol;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The words of the grammar's `kw_NAME = @{ "word" ~ !ident_char }` rules.
fn pest_keywords() -> BTreeSet<String> {
    let grammar = std::fs::read_to_string(root().join("grammar/pol.pest")).unwrap();
    let mut words = BTreeSet::new();
    for line in grammar.lines() {
        let Some(rest) = line.trim_start().strip_prefix("kw_") else {
            continue;
        };
        let (_, body) = rest.split_once('=').expect("a kw_ rule has a body");
        let word = body
            .split('"')
            .nth(1)
            .unwrap_or_else(|| panic!("kw_ rule without a literal: {line}"));
        words.insert(word.to_string());
    }
    assert!(words.len() > 30, "read too few kw_ rules: {words:?}");
    words
}

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn differ(a_name: &str, a: &BTreeSet<String>, b_name: &str, b: &BTreeSet<String>) -> String {
    format!(
        "only in {a_name}: {:?}; only in {b_name}: {:?}",
        a.difference(b).collect::<Vec<_>>(),
        b.difference(a).collect::<Vec<_>>()
    )
}

#[test]
fn the_grammar_and_the_tokens_know_the_same_keywords() {
    let pest = pest_keywords();
    let logos = set(KEYWORDS);
    assert_eq!(
        pest,
        logos,
        "keywords: {}",
        differ("grammar/pol.pest kw_*", &pest, "tokens::KEYWORDS", &logos)
    );
    // KEYWORDS is the list; the lexer itself must read each as a keyword, and a longer word
    // (the keyword and a letter) as a name.
    for kw in KEYWORDS {
        let toks: Vec<Token> = tokenize(kw).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            toks,
            [Token::Keyword],
            "logos does not read `{kw}` as a keyword"
        );
        let longer = format!("{kw}x");
        let toks: Vec<Token> = tokenize(&longer).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            toks,
            [Token::Ident],
            "logos does not read `{longer}` as a name"
        );
    }
}

/// The words of every `\b(a|b|c)\b` group in a `match` whose scope (`name`, or the name of
/// its first capture) is a keyword, a language variable or a language constant.
fn vscode_keywords() -> BTreeSet<String> {
    let dir = root().join("editors/vscode/syntaxes");
    let mut words = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".json") {
            continue;
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        collect_vscode(&json, &mut words);
    }
    assert!(words.len() > 30, "read too few VS Code keywords: {words:?}");
    words
}

fn collect_vscode(v: &serde_json::Value, words: &mut BTreeSet<String>) {
    let keyword_scope = |s: &str| {
        s.starts_with("keyword.")
            || s.starts_with("variable.language.")
            || s.starts_with("constant.language.")
    };
    match v {
        serde_json::Value::Object(o) => {
            if let Some(m) = o.get("match").and_then(|m| m.as_str()) {
                let scope = o
                    .get("name")
                    .or_else(|| o.get("captures").and_then(|c| c.get("1")?.get("name")))
                    .and_then(|n| n.as_str())
                    .unwrap_or("");
                if keyword_scope(scope) {
                    for group in m.split("\\b(").skip(1) {
                        let Some((alts, _)) = group.split_once(")") else {
                            continue;
                        };
                        for w in alts.split('|') {
                            if !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()) {
                                words.insert(w.to_string());
                            }
                        }
                    }
                }
            }
            o.values().for_each(|x| collect_vscode(x, words));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_vscode(x, words)),
        _ => {}
    }
}

#[test]
fn the_vscode_grammar_highlights_the_same_keywords() {
    let vscode = vscode_keywords();
    let logos = set(KEYWORDS);
    assert_eq!(
        vscode,
        logos,
        "keywords: {}",
        differ(
            "editors/vscode/syntaxes",
            &vscode,
            "tokens::KEYWORDS",
            &logos
        )
    );
}

fn pol_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && name != "node_modules" && !name.starts_with('.') {
                pol_files(&path, out);
            }
        } else if name.ends_with(".pol") {
            out.push(path);
        }
    }
}

/// The terminals of a parse: pairs without inner pairs, a string as one terminal.
fn terminals(pair: Pair<'_, Rule>, out: &mut Vec<(Rule, usize, usize)>) {
    let span = pair.as_span();
    let rule = pair.as_rule();
    let mut inner = pair.into_inner().peekable();
    if rule == Rule::string || inner.peek().is_none() {
        // A non-atomic rule (`assign = { "=" ~ !"=" }`) takes the implicit whitespace after it.
        let text = span.as_str();
        let end = span.start() + text.trim_end().len();
        if span.start() < end {
            out.push((rule, span.start(), end));
        }
        return;
    }
    inner.for_each(|p| terminals(p, out));
}

fn is_keyword_rule(rule: Rule) -> bool {
    format!("{rule:?}").starts_with("kw_")
}

/// What is wrong with the two lexers' reading of `text` (empty when they agree), or `None`
/// when the grammar rejects the text.
fn disagreements(text: &str) -> Option<Vec<String>> {
    let pairs = Pol::parse(Rule::file, text).ok()?;
    let mut terms = Vec::new();
    pairs.for_each(|p| terminals(p, &mut terms));
    let tokens = tokenize(text);
    let starts: BTreeSet<usize> = tokens.iter().map(|(_, r)| r.start).collect();
    let ends: BTreeSet<usize> = tokens.iter().map(|(_, r)| r.end).collect();
    let at = |i: usize| {
        let line = text[..i].matches('\n').count() + 1;
        format!("line {line}")
    };
    terms.sort_by_key(|&(_, s, _)| s);
    // The terminals do not overlap: the one that may hold a range is the last starting at or
    // before it.
    let inside = |start: usize, end: usize| {
        let i = terms.partition_point(|&(_, s, _)| s <= start);
        i > 0 && terms[i - 1].2 >= end
    };
    let keywords: BTreeSet<(usize, usize)> = tokens
        .iter()
        .filter(|(t, _)| *t == Token::Keyword)
        .map(|(_, r)| (r.start, r.end))
        .collect();
    let mut wrong = Vec::new();
    for &(rule, s, e) in &terms {
        if !starts.contains(&s) || !ends.contains(&e) {
            wrong.push(format!(
                "{}: pest {rule:?} `{}` does not start and end at logos token boundaries",
                at(s),
                &text[s..e]
            ));
        }
        if is_keyword_rule(rule) && !keywords.contains(&(s, e)) {
            wrong.push(format!(
                "{}: pest keyword `{}` is not one logos keyword",
                at(s),
                &text[s..e]
            ));
        }
    }
    for (t, r) in &tokens {
        let inside = inside(r.start, r.end);
        match t {
            Token::Keyword | Token::Ident | Token::String | Token::Number | Token::Duration
                if !inside =>
            {
                wrong.push(format!(
                    "{}: logos {t:?} `{}` is no pest terminal (a word the grammar reads as a bare literal?)",
                    at(r.start),
                    &text[r.clone()]
                ));
            }
            Token::DocComment | Token::LineComment | Token::BlockComment if inside => {
                wrong.push(format!(
                    "{}: logos reads a comment inside a pest terminal",
                    at(r.start)
                ));
            }
            Token::Error | Token::UnterminatedString => {
                wrong.push(format!(
                    "{}: logos reads {t:?} `{}` in a text pest accepts",
                    at(r.start),
                    &text[r.clone()]
                ));
            }
            _ => {}
        }
    }
    Some(wrong)
}

#[test]
fn both_lexers_read_every_pol_file_of_the_repository_alike() {
    let mut files = Vec::new();
    for dir in ["policies", "examples", "tests", "fuzz"] {
        let d = root().join(dir);
        if d.is_dir() {
            pol_files(&d, &mut files);
        }
    }
    files.sort();
    let mut parsed = 0;
    let mut wrong = Vec::new();
    for path in &files {
        // Not UTF-8 (a fuzz input): both readers refuse it before lexing.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if let Some(w) = disagreements(&text) {
            parsed += 1;
            let rel = path.strip_prefix(root()).unwrap().display().to_string();
            wrong.extend(w.into_iter().map(|w| format!("{rel}: {w}")));
        }
    }
    assert!(
        parsed >= 50,
        "only {parsed} of {} .pol files parsed: the walk or the grammar is off",
        files.len()
    );
    assert!(
        wrong.is_empty(),
        "the lexers disagree:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn the_checker_passes_agreeing_text_and_skips_rejected_text() {
    // Agreeing texts: a keyword used as a name, a pattern, an entity id with a dash.
    let ok = "actor user;\nresource doc {\n  permissions view, docs.edit;\n  role role { grants docs.*; }\n}\n";
    assert_eq!(disagreements(ok), Some(vec![]));
    // Rejected text: no verdict.
    assert_eq!(disagreements("actor {"), None);
}
