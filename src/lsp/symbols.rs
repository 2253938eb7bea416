//! Hover, definition, references, rename, the outline and semantic tokens: all read the
//! [`Index`](super::index::Index) of the workspace.

use super::Failure;
use super::index::{Occurrence, Sym};
use super::workspace::Analysis;
use crate::source::{FileId, Span};
use crate::syntax::tokens::{Token, tokenize};
use lsp_types as lsp;
use std::collections::HashMap;

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What the symbol is, in Markdown.
fn describe(a: &Analysis, sym: &Sym) -> String {
    let ix = &a.index;
    let doc = |d: &Option<String>| d.as_ref().map(|d| format!("\n\n{d}")).unwrap_or_default();
    match sym {
        Sym::Type(t) => match ix.types.get(t) {
            Some(info) => format!(
                "**{}** `{t}`{}\n\nroles: {}\n\npermissions: {}",
                if info.actor { "actor" } else { "resource" },
                doc(&info.doc),
                list(&info.roles.keys().cloned().collect::<Vec<_>>()),
                list(&info.permissions.keys().cloned().collect::<Vec<_>>()),
            ),
            None => format!("unknown type `{t}`"),
        },
        Sym::Role(t, r) => {
            let Some(info) = ix.types.get(t).and_then(|x| x.roles.get(r)) else {
                return format!("unknown role `{r}` on `{t}`");
            };
            let mut s = format!(
                "**role** `{r}` on `{t}`{}\n\neffective permissions: {}\n\nimplied by: {}",
                doc(&info.doc),
                list(&ix.effective(t, r)),
                list(&ix.implied_by(t, r)),
            );
            for (role, ty, path) in &info.from {
                let on = ty.as_deref().unwrap_or("?");
                s.push_str(&format!(
                    "\n\nalso held by holders of `{role}` on `{on}` (`from {role} on {path}`)"
                ));
            }
            s
        }
        Sym::Perm(t, p) => {
            let Some(info) = ix.types.get(t) else {
                return format!("unknown type `{t}`");
            };
            let Some(d) = info.permissions.get(p) else {
                return format!("unknown permission `{p}` on `{t}`");
            };
            let granting: Vec<String> = info
                .roles
                .keys()
                .filter(|r| ix.effective(t, r).contains(p))
                .cloned()
                .collect();
            format!(
                "**permission** `{p}` on `{t}`{}\n\ngranted by roles: {}",
                doc(d),
                list(&granting)
            )
        }
        Sym::Relation(t, n) => match ix.types.get(t).and_then(|x| x.relations.get(n)) {
            Some((target, many)) => {
                let target = if *many {
                    format!("[{target}]")
                } else {
                    target.clone()
                };
                format!("**relation** `{t}.{n}`: `{target}`")
            }
            None => format!("unknown relation `{n}` on `{t}`"),
        },
        Sym::Attr(t, n) => match ix.types.get(t).and_then(|x| x.attributes.get(n)) {
            Some((ty, optional, d)) => format!(
                "**attribute** `{t}.{n}`: `{ty}`{}{}",
                if *optional {
                    " (optional: read it after a `has` check)"
                } else {
                    ""
                },
                doc(d)
            ),
            None => format!("unknown attribute `{n}` on `{t}`"),
        },
        Sym::Context(n) => match ix.context.get(n) {
            Some(ty) => format!("**context field** `{n}`: `{ty}`"),
            None => format!("unknown context field `{n}`"),
        },
        Sym::Action(n) => match ix.action.get(n) {
            Some(ty) => format!("**action property** `{n}`: `{ty}`"),
            None => format!("unknown action property `{n}`"),
        },
        Sym::Facts(n) => format!("**facts block** `{n}`"),
        Sym::Test(n) => format!("**test** \"{n}\""),
    }
}

pub fn hover(a: &Analysis, f: FileId, offset: usize) -> Option<lsp::Hover> {
    let occ = a.index.at(f, offset);
    let mut parts: Vec<String> = occ.iter().map(|o| describe(a, &o.sym)).collect();
    // A diagnostic here: its code's explanation.
    for d in &a.compilation().diagnostics {
        if let Some(s) = d.span()
            && s.file == f
            && s.start as usize <= offset
            && offset <= s.end as usize
        {
            parts.push(format!(
                "**{}**: {}\n\n{}",
                d.code.as_str(),
                d.code.summary(),
                d.code.explanation()
            ));
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: parts.join("\n\n---\n\n"),
        }),
        range: occ.map(|o| a.range(o.span)),
    })
}

pub fn definition(a: &Analysis, f: FileId, offset: usize) -> Vec<lsp::Location> {
    let Some(o) = a.index.at(f, offset) else {
        return Vec::new();
    };
    a.index
        .of(&o.sym)
        .filter(|x| x.decl)
        .filter_map(|x| a.location(x.span))
        .collect()
}

pub fn references(a: &Analysis, f: FileId, offset: usize, decl: bool) -> Vec<lsp::Location> {
    let Some(o) = a.index.at(f, offset) else {
        return Vec::new();
    };
    a.index
        .of(&o.sym)
        .filter(|x| decl || !x.decl)
        .filter_map(|x| a.location(x.span))
        .collect()
}

fn renamable(a: &Analysis, f: FileId, offset: usize) -> Result<&Occurrence, Failure> {
    let o = a
        .index
        .at(f, offset)
        .ok_or_else(|| Failure::refused("no role, permission, relation or attribute here"))?;
    match o.sym {
        Sym::Role(..) | Sym::Perm(..) | Sym::Relation(..) | Sym::Attr(..) => Ok(o),
        _ => Err(Failure::refused(format!(
            "a {} cannot be renamed: only roles, permissions, relations and attributes",
            o.sym.kind()
        ))),
    }
}

pub fn prepare_rename(
    a: &Analysis,
    f: FileId,
    offset: usize,
) -> Result<lsp::PrepareRenameResponse, Failure> {
    let o = renamable(a, f, offset)?;
    Ok(lsp::PrepareRenameResponse::RangeWithPlaceholder {
        range: a.range(o.span),
        placeholder: o.sym.name().to_string(),
    })
}

fn valid_name(sym: &Sym, name: &str) -> bool {
    let word = |w: &str| {
        let mut c = w.chars();
        c.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match sym {
        Sym::Perm(..) => name.split('.').all(word),
        _ => word(name),
    }
}

pub fn rename(
    a: &Analysis,
    f: FileId,
    offset: usize,
    new: &str,
) -> Result<lsp::WorkspaceEdit, Failure> {
    let o = renamable(a, f, offset)?;
    let (ty, old) = match &o.sym {
        Sym::Role(t, n) | Sym::Perm(t, n) | Sym::Relation(t, n) | Sym::Attr(t, n) => {
            (t.clone(), n.clone())
        }
        _ => return Err(Failure::refused("not renamable")),
    };
    if !valid_name(&o.sym, new) {
        return Err(Failure::refused(format!(
            "`{new}` is not a valid {} name",
            o.sym.kind()
        )));
    }
    if a.compilation()
        .diagnostics
        .iter()
        .any(|d| d.code == crate::diag::Code::E0101)
    {
        return Err(Failure::refused(
            "the workspace has syntax errors: a broken item may use the name, fix them before renaming",
        ));
    }
    let Some(info) = a.index.types.get(&ty) else {
        return Err(Failure::refused(format!("unknown type `{ty}`")));
    };
    let clash = match &o.sym {
        Sym::Role(..) => info.roles.contains_key(new),
        Sym::Perm(..) => info.permissions.contains_key(new),
        _ => info.has_field(new),
    };
    if clash && new != old {
        return Err(Failure::refused(format!(
            "`{ty}` already has a {} `{new}`",
            o.sym.kind()
        )));
    }
    if let Sym::Perm(..) = &o.sym {
        for (pat, span) in &info.patterns {
            if crate::resolve::pattern_matches(pat, &old)
                != crate::resolve::pattern_matches(pat, new)
            {
                return Err(Failure::refused(format!(
                    "the pattern `{pat}` at {} matches one of `{old}` and `{new}` but not the other: renaming would change what it grants",
                    a.compilation().sources.location(*span)
                )));
            }
        }
    }
    let mut changes: HashMap<lsp::Url, Vec<lsp::TextEdit>> = HashMap::new();
    for x in a.index.of(&o.sym) {
        if let Some(uri) = a.uri(x.span.file) {
            changes.entry(uri.clone()).or_default().push(lsp::TextEdit {
                range: a.range(x.span),
                new_text: new.to_string(),
            });
        }
    }
    Ok(lsp::WorkspaceEdit {
        changes: Some(changes),
        ..lsp::WorkspaceEdit::default()
    })
}

fn symbol_kind(sym: &Sym) -> lsp::SymbolKind {
    match sym {
        Sym::Type(_) => lsp::SymbolKind::CLASS,
        Sym::Role(..) => lsp::SymbolKind::INTERFACE,
        Sym::Perm(..) => lsp::SymbolKind::METHOD,
        Sym::Relation(..) => lsp::SymbolKind::FIELD,
        Sym::Attr(..) => lsp::SymbolKind::PROPERTY,
        Sym::Context(_) | Sym::Action(_) => lsp::SymbolKind::VARIABLE,
        Sym::Facts(_) => lsp::SymbolKind::NAMESPACE,
        Sym::Test(_) => lsp::SymbolKind::EVENT,
    }
}

/// The outline: types with their members, context fields, facts blocks and tests.
#[allow(deprecated)]
pub fn document_symbols(a: &Analysis, f: FileId) -> Vec<lsp::DocumentSymbol> {
    let mut out: Vec<lsp::DocumentSymbol> = Vec::new();
    let mk = |o: &Occurrence| lsp::DocumentSymbol {
        name: o.sym.name().to_string(),
        detail: Some(o.sym.kind().to_string()),
        kind: symbol_kind(&o.sym),
        tags: None,
        deprecated: None,
        range: a.range(o.span),
        selection_range: a.range(o.span),
        children: None,
    };
    let mut current_type: Option<String> = None;
    for o in a.index.occurrences.iter().filter(|o| o.span.file == f) {
        let is_head = matches!(o.sym, Sym::Type(_)) && a.index.types.contains_key(o.sym.name());
        let head_of_block = is_head
            && a.compilation().files.get(f.0 as usize).is_some_and(|file| {
                file.items.iter().any(|i| match i {
                    crate::syntax::ast::Item::Actor(x) => x.name.span == o.span,
                    crate::syntax::ast::Item::Resource(x) => x.name.span == o.span,
                    _ => false,
                })
            });
        if head_of_block {
            current_type = Some(o.sym.name().to_string());
            out.push(mk(o));
            continue;
        }
        if !o.decl {
            continue;
        }
        let member_of = match &o.sym {
            Sym::Role(t, _) | Sym::Perm(t, _) | Sym::Relation(t, _) | Sym::Attr(t, _) => Some(t),
            _ => None,
        };
        match (member_of, out.last_mut()) {
            (Some(t), Some(parent)) if current_type.as_ref() == Some(t) => {
                parent.children.get_or_insert_with(Vec::new).push(mk(o));
            }
            _ => out.push(mk(o)),
        }
    }
    out
}

/// The token types of the legend, in order.
pub const TOKEN_TYPES: &[&str] = &[
    "keyword",
    "type",
    "interface",
    "method",
    "property",
    "variable",
    "namespace",
    "string",
    "number",
    "comment",
    "operator",
];

fn token_type(a: &Analysis, f: FileId, tok: Token, start: usize) -> Option<u32> {
    Some(match tok {
        Token::Keyword => {
            // A keyword written where a name goes is the name.
            match a
                .index
                .at(f, start)
                .filter(|o| o.span.start as usize == start)
            {
                Some(o) => sym_token(&o.sym),
                None => 0,
            }
        }
        Token::Ident => match a
            .index
            .at(f, start)
            .filter(|o| o.span.start as usize == start)
        {
            Some(o) => sym_token(&o.sym),
            None => 5,
        },
        Token::String | Token::UnterminatedString => 7,
        Token::Number | Token::Duration => 8,
        Token::DocComment | Token::LineComment | Token::BlockComment => 9,
        t if t.kind_name() == "operator" => 10,
        _ => return None,
    })
}

fn sym_token(sym: &Sym) -> u32 {
    match sym {
        Sym::Type(_) => 1,
        Sym::Role(..) => 2,
        Sym::Perm(..) => 3,
        Sym::Relation(..) | Sym::Attr(..) => 4,
        Sym::Context(_) | Sym::Action(_) => 5,
        Sym::Facts(_) | Sym::Test(_) => 6,
    }
}

/// Semantic tokens from the token stream, names classified by the index. A token over several
/// lines (a block comment) is sent one line at a time.
pub fn semantic_tokens(a: &Analysis, f: FileId) -> lsp::SemanticTokens {
    let text = a.text(f);
    let mut data = Vec::new();
    let (mut last_line, mut last_col) = (0u32, 0u32);
    for (tok, r) in tokenize(text) {
        let Some(ty) = token_type(a, f, tok, r.start) else {
            continue;
        };
        let mut start = r.start;
        for piece in text[r.clone()].split_inclusive('\n') {
            let end = start + piece.trim_end_matches(['\n', '\r']).len();
            let range = a.range(Span::new(f, start, end));
            start += piece.len();
            let length = range.end.character.saturating_sub(range.start.character);
            if length == 0 || range.start.line != range.end.line {
                continue;
            }
            let line = range.start.line;
            let delta_line = line - last_line;
            let delta_start = if delta_line == 0 {
                range.start.character - last_col
            } else {
                range.start.character
            };
            data.push(lsp::SemanticToken {
                delta_line,
                delta_start,
                length,
                token_type: ty,
                token_modifiers_bitset: 0,
            });
            last_line = line;
            last_col = range.start.character;
        }
    }
    lsp::SemanticTokens {
        result_id: None,
        data,
    }
}
