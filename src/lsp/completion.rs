//! Completion by position. Inside `facts` and `test` blocks the statement is facts or a query,
//! completed by the REPL's completer ([`crate::repl::complete::pol`]); in declarations, what
//! the last words say: roles after `includes`, permissions after `grants`, relations after
//! `on` and `.`, fields after `resource.`.

use super::index::Index;
use super::position::LineIndex;
use super::workspace::Analysis;
use crate::repl::complete::{self, Completion, TypeWords, Vocabulary};
use crate::syntax::tokens::{KEYWORDS, Token, tokenize};
use lsp_types as lsp;

/// The REPL's vocabulary, from the index (it works while the policy has errors).
fn vocabulary(ix: &Index) -> Vocabulary {
    Vocabulary {
        types: ix
            .types
            .iter()
            .map(|(name, t)| TypeWords {
                name: name.clone(),
                actor: t.actor,
                roles: t.roles.keys().cloned().collect(),
                permissions: t.permissions.keys().cloned().collect(),
                relations: t
                    .relations
                    .iter()
                    .map(|(n, (tt, _))| (n.clone(), tt.clone()))
                    .collect(),
                attributes: t
                    .attributes
                    .iter()
                    .map(|(n, (ty, _, _))| (n.clone(), ty == "bool"))
                    .collect(),
                ids: ix.ids.get(name).cloned().unwrap_or_default(),
            })
            .collect(),
        context: ix.context.keys().cloned().collect(),
        action: ix.action.keys().cloned().collect(),
        facts_blocks: ix.facts_blocks.clone(),
    }
}

/// The block the cursor is in: the kind and name of each open `{`.
fn blocks<'a>(text: &'a str, toks: &[(Token, std::ops::Range<usize>)]) -> Vec<(&'a str, &'a str)> {
    let mut stack: Vec<(&str, &str)> = Vec::new();
    for (i, (t, _)) in toks.iter().enumerate() {
        match t {
            Token::LBrace => {
                let word = |k: usize| toks.get(k).map(|(_, r)| &text[r.clone()]).unwrap_or("");
                let head = if i >= 2 { word(i - 2) } else { "" };
                let name = if i >= 1 { word(i - 1) } else { "" };
                stack.push(if name == "context" || name == "action" {
                    (name, "")
                } else {
                    (head, name)
                });
            }
            Token::RBrace => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack
}

/// The completions at `pos` in `text`: the document as the editor has it now, which may be
/// newer than the analysis `a` (whose names are used: completion does not wait for a compile).
pub fn complete(
    a: &Analysis,
    text: &str,
    lines: &LineIndex,
    pos: lsp::Position,
) -> Vec<lsp::CompletionItem> {
    let offset = lines.offset(text, pos).min(text.len());
    let Some(before) = text.get(..offset) else {
        return Vec::new();
    };
    let toks: Vec<_> = tokenize(before)
        .into_iter()
        .filter(|(t, _)| !t.is_comment())
        .collect();
    let stack = blocks(before, &toks);
    let stmt = toks
        .iter()
        .rposition(|(t, _)| matches!(t, Token::Semi | Token::LBrace | Token::RBrace))
        .map_or(0, |i| toks[i].1.end);
    let (words, kind) = words_at(a, &stack, before, stmt);
    let prefix_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map_or(offset, |(i, _)| i);
    let prefix = &before[prefix_start..];
    let range = lines.range(text, prefix_start, offset);
    let mut words: Vec<String> = words
        .into_iter()
        .filter(|w| w.starts_with(prefix))
        .collect();
    words.sort();
    words.dedup();
    words
        .into_iter()
        .map(|w| lsp::CompletionItem {
            label: w.clone(),
            kind: Some(kind),
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                range,
                new_text: w,
            })),
            ..lsp::CompletionItem::default()
        })
        .collect()
}

fn words_at(
    a: &Analysis,
    stack: &[(&str, &str)],
    before: &str,
    stmt: usize,
) -> (Vec<String>, lsp::CompletionItemKind) {
    let ix = &*a.names;
    let v = vocabulary(ix);
    let here = &before[stmt..];
    let toks: Vec<_> = tokenize(here)
        .into_iter()
        .filter(|(t, _)| !t.is_comment())
        .collect();
    let words: Vec<&str> = toks.iter().map(|(_, r)| &here[r.clone()]).collect();
    // The word being typed is not part of the context.
    let typing = here.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    let ctx: &[&str] = if typing {
        &words[..words.len().saturating_sub(1)]
    } else {
        &words
    };
    let last = ctx.last().copied().unwrap_or("");
    let outer = stack.first().copied().unwrap_or(("", ""));
    let kw = lsp::CompletionItemKind::KEYWORD;
    // Facts and tests: the REPL's completer on the statement.
    if matches!(outer.0, "facts" | "test") {
        if ctx.first() == Some(&"use") {
            return (v.facts_blocks.clone(), lsp::CompletionItemKind::MODULE);
        }
        let start = if ctx.first() == Some(&"assert") {
            stmt + toks.first().map_or(0, |(_, r)| r.end)
        } else {
            stmt
        };
        let line = &before[start..];
        let Completion::Words { words, .. } = complete::pol(&v, line, 0) else {
            return (Vec::new(), kw);
        };
        let mut w = words;
        if ctx.is_empty() {
            w.extend(["assert".to_string(), "use".to_string()]);
        }
        return (w, lsp::CompletionItemKind::VALUE);
    }
    let ty = match outer.0 {
        "resource" | "actor" => Some(outer.1),
        _ => None,
    };
    let Some(t) = ty.and_then(|t| ix.types.get(t)) else {
        let top = [
            "actor", "resource", "extend", "context", "action", "facts", "test",
        ];
        return (top.iter().map(|s| s.to_string()).collect(), kw);
    };
    let roles = || t.roles.keys().cloned().collect::<Vec<_>>();
    let perms = || t.permissions.keys().cloned().collect::<Vec<_>>();
    let fields_of = |name: &str| -> Vec<String> {
        ix.types.get(name).map_or(Vec::new(), |t| {
            t.relations
                .keys()
                .chain(t.attributes.keys())
                .cloned()
                .collect()
        })
    };
    // `x.y.` in a path or an expression: the fields of the type `x.y` ends on.
    if last == "." {
        let mut cur: Option<String> = None;
        let chain: Vec<&str> = ctx[..ctx.len() - 1]
            .iter()
            .rev()
            .step_by(2)
            .copied()
            .collect::<Vec<_>>();
        // chain[0] is the word before the last `.`, chain[1] the one before that, ...
        let mut path: Vec<&str> = Vec::new();
        for (k, w) in chain.iter().enumerate() {
            path.push(w);
            let sep = ctx.len().checked_sub(3 + 2 * k).and_then(|j| ctx.get(j));
            if sep != Some(&".") {
                break;
            }
        }
        path.reverse();
        let head = path.first().copied().unwrap_or("");
        if head == "context" && path.len() == 1 {
            return (v.context.clone(), lsp::CompletionItemKind::FIELD);
        }
        if head == "action" && path.len() == 1 {
            return (v.action.clone(), lsp::CompletionItemKind::FIELD);
        }
        let on_path = ctx.contains(&"on") && !ctx.contains(&"when") && !ctx.contains(&"unless");
        let (start_ty, hops): (Option<String>, &[&str]) = match head {
            "resource" => (ty.map(str::to_string), &path[1..]),
            "principal" => (
                ix.types
                    .iter()
                    .find(|(_, t)| t.actor)
                    .map(|(n, _)| n.clone()),
                &path[1..],
            ),
            _ if on_path => (ty.map(str::to_string), &path[..]),
            _ => (None, &path[..]),
        };
        cur = cur.or(start_ty);
        for h in hops {
            cur = cur.and_then(|c| ix.types.get(&c)?.relations.get(*h).map(|(t, _)| t.clone()));
        }
        let fields = match (&cur, on_path) {
            (Some(c), true) => ix
                .types
                .get(c)
                .map_or(Vec::new(), |t| t.relations.keys().cloned().collect()),
            (Some(c), false) => fields_of(c),
            (None, _) => Vec::new(),
        };
        return (fields, lsp::CompletionItemKind::FIELD);
    }
    let first = ctx.first().copied().unwrap_or("");
    let first = if first == "default" {
        ctx.get(1).copied().unwrap_or("")
    } else {
        first
    };
    let in_role = stack.get(1).is_some_and(|b| b.0 == "role");
    let role_kind = lsp::CompletionItemKind::INTERFACE;
    let perm_kind = lsp::CompletionItemKind::METHOD;
    match (first, last) {
        ("includes", _) | ("separate", _) => (roles(), role_kind),
        ("grants", _) | ("permit" | "forbid", "permit" | "forbid" | ",") => (perms(), perm_kind),
        // `from R on PATH`: R is a role of a type that some path of relations reaches.
        ("from", "from") => {
            let mut seen: std::collections::BTreeSet<&str> = Default::default();
            let mut todo: Vec<&str> = t.relations.values().map(|(r, _)| r.as_str()).collect();
            while let Some(name) = todo.pop() {
                if !seen.insert(name) {
                    continue;
                }
                if let Some(u) = ix.types.get(name) {
                    todo.extend(u.relations.values().map(|(r, _)| r.as_str()));
                }
            }
            let mut roles: Vec<String> = seen
                .iter()
                .filter_map(|n| ix.types.get(*n))
                .flat_map(|u| u.roles.keys().cloned())
                .collect();
            roles.sort();
            roles.dedup();
            (roles, role_kind)
        }
        ("from", "on") => (
            t.relations.keys().cloned().collect(),
            lsp::CompletionItemKind::FIELD,
        ),
        (_, "is") => {
            let all: Vec<String> = ix
                .types
                .values()
                .flat_map(|t| t.roles.keys().cloned())
                .collect();
            (all, role_kind)
        }
        (_, "has") => (fields_of(ty.unwrap_or("")), lsp::CompletionItemKind::FIELD),
        ("permit" | "forbid", _) => (
            [
                "when",
                "unless",
                "resource",
                "principal",
                "context",
                "action",
                "has",
                "is",
                "on",
                "in",
                "true",
                "false",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            kw,
        ),
        ("", _) if in_role => (
            [
                "includes", "grants", "from", "default", "sealed", "elevated", "min", "max",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            kw,
        ),
        ("", _) => (
            [
                "relation",
                "attribute",
                "permissions",
                "role",
                "permit",
                "forbid",
                "separate",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            kw,
        ),
        _ => (KEYWORDS.iter().map(|s| s.to_string()).collect(), kw),
    }
}
