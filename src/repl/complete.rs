#![deny(missing_docs)]
//! Tab completion, read from the logos token stream ([`crate::syntax::tokens::tokenize`]) of
//! the text before the cursor: what the grammar expects next decides what is offered.

use super::commands::{self, COMMANDS, Command};
use crate::compiled::{Kind, Policy, Type, TypeId};
use crate::facts::Facts;
use crate::syntax::ast;
use crate::syntax::tokens::{Token, tokenize};

/// The names of one type.
#[derive(Clone, Debug, Default)]
pub struct TypeWords {
    /// The type's name.
    pub name: String,
    /// Whether it is an actor type.
    pub actor: bool,
    /// Its roles' names.
    pub roles: Vec<String>,
    /// Its permissions' names.
    pub permissions: Vec<String>,
    /// Relation name and target type.
    pub relations: Vec<(String, String)>,
    /// Attribute name, and whether it is a `bool`.
    pub attributes: Vec<(String, bool)>,
    /// Entity ids in the facts, as written after `type:` (quoted when needed).
    pub ids: Vec<String>,
}

/// Every name completion and highlighting know: from the policy and the facts.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    /// Every type's names, in the policy's order.
    pub types: Vec<TypeWords>,
    /// The declared context fields' names.
    pub context: Vec<String>,
    /// The declared action properties (`action.soft = true`).
    pub action: Vec<String>,
    /// The names of the `facts NAME { .. }` blocks of the policy's files (`:use NAME`).
    pub facts_blocks: Vec<String>,
}

impl Vocabulary {
    /// The vocabulary of a policy, its facts and its files' `facts` blocks.
    pub fn new(policy: &Policy, facts: &Facts, files: &[ast::File]) -> Vocabulary {
        let types = policy
            .types
            .iter()
            .enumerate()
            .map(|(i, t)| TypeWords {
                name: t.name.clone(),
                actor: t.kind == Kind::Actor,
                roles: t.roles.iter().map(|r| r.name.clone()).collect(),
                permissions: t.permissions.iter().map(|p| p.name.clone()).collect(),
                relations: t
                    .relations
                    .iter()
                    .map(|r| (r.name.clone(), policy.type_name(r.target).to_string()))
                    .collect(),
                attributes: t
                    .attributes
                    .iter()
                    .map(|a| (a.name.clone(), a.ty == Type::Bool))
                    .collect(),
                ids: facts
                    .entities_of(TypeId(i as u32))
                    .into_iter()
                    .filter_map(|e| {
                        let shown = facts.display(policy, e);
                        shown.split_once(':').map(|(_, id)| id.to_string())
                    })
                    .collect(),
            })
            .collect();
        let facts_blocks = files
            .iter()
            .flat_map(|f| &f.items)
            .filter_map(|i| match i {
                ast::Item::Facts(b) => Some(b.name.name.clone()),
                _ => None,
            })
            .collect();
        Vocabulary {
            types,
            context: policy.context.iter().map(|c| c.name.clone()).collect(),
            action: policy.action.iter().map(|c| c.name.clone()).collect(),
            facts_blocks,
        }
    }

    fn ty(&self, name: &str) -> Option<&TypeWords> {
        self.types.iter().find(|t| t.name == name)
    }

    /// Whether `name` is a type of the policy.
    pub fn is_type(&self, name: &str) -> bool {
        self.ty(name).is_some()
    }

    /// Whether `name` is a role of some type.
    pub fn is_role(&self, name: &str) -> bool {
        self.types.iter().any(|t| t.roles.iter().any(|r| r == name))
    }

    /// Whether `name` is a permission of some type.
    pub fn is_permission(&self, name: &str) -> bool {
        self.types
            .iter()
            .any(|t| t.permissions.iter().any(|p| p == name))
    }

    /// `T:` for the types that pass `keep`.
    fn types_where(&self, keep: impl Fn(&TypeWords) -> bool) -> Vec<String> {
        self.types
            .iter()
            .filter(|t| keep(t))
            .map(|t| format!("{}:", t.name))
            .collect()
    }

    fn all(&self, pick: impl Fn(&TypeWords) -> &Vec<String>) -> Vec<String> {
        self.types.iter().flat_map(|t| pick(t).clone()).collect()
    }
}

/// What to offer at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Replace `line[start..pos]` with one of the words.
    Words {
        /// The byte offset in the line where the word being completed starts.
        start: usize,
        /// The candidates, sorted.
        words: Vec<String>,
    },
    /// File names (`:load`): the line editor's file completer does it.
    Paths,
}

impl Completion {
    fn none(pos: usize) -> Completion {
        Completion::Words {
            start: pos,
            words: Vec::new(),
        }
    }
}

const QUERY_STARTS: &[&str] = &["can", "is", "who", "what", "which", "context."];

/// The completions of `line` at byte offset `pos`.
pub fn complete(v: &Vocabulary, line: &str, pos: usize) -> Completion {
    let Some(text) = line.get(..pos) else {
        return Completion::none(pos);
    };
    let Some(rest) = text.strip_prefix(':') else {
        return pol(v, text, 0);
    };
    let Some((name, _)) = rest.split_once(char::is_whitespace) else {
        let words = COMMANDS.iter().map(|c| format!(":{} ", c.1)).collect();
        return filtered(0, text, words);
    };
    let args = 1 + name.len();
    let last_word = text
        .rfind(char::is_whitespace)
        .map_or(text.len(), |i| i + 1);
    match commands::find(name) {
        Some(Command::Load | Command::Save) => Completion::Paths,
        Some(Command::Assume | Command::Retract) => pol(v, text, args),
        Some(Command::Use) => filtered(last_word, &text[last_word..], v.facts_blocks.clone()),
        Some(Command::Help) => filtered(
            last_word,
            &text[last_word..],
            COMMANDS.iter().map(|c| c.1.to_string()).collect(),
        ),
        Some(Command::Context) if !text[args..].contains('=') => {
            filtered(last_word, &text[last_word..], v.context.clone())
        }
        _ => Completion::none(pos),
    }
}

/// The words that start with `prefix`, sorted, without repeats.
fn filtered(start: usize, prefix: &str, mut words: Vec<String>) -> Completion {
    words.retain(|w| w.starts_with(prefix) && w != prefix);
    words.sort();
    words.dedup();
    Completion::Words { start, words }
}

/// A piece of the statement before the word being completed.
#[derive(Clone, Debug, PartialEq)]
enum Piece<'a> {
    Word(&'a str),
    /// `type:id`, `type:*` or `type:id#role`: its type.
    Entity(&'a str),
    Other(Token),
}

/// Completion inside Pol text (`text[from..]`: facts or a query). The REPL calls it on its
/// line, the language server on the statement of a `facts` or `test` block.
pub fn pol(v: &Vocabulary, text: &str, from: usize) -> Completion {
    let tokens: Vec<(Token, std::ops::Range<usize>)> = tokenize(&text[from..])
        .into_iter()
        .filter(|(t, _)| !t.is_comment())
        .map(|(t, r)| (t, r.start + from..r.end + from))
        .collect();
    // The statement being typed starts after the last `;`.
    let stmt_start = tokens
        .iter()
        .rposition(|(t, _)| *t == Token::Semi)
        .map_or(0, |i| i + 1);
    let mut toks = &tokens[stmt_start..];
    let (start, prefix) = match toks.last() {
        Some((t, r)) if t.is_word() && r.end == text.len() => {
            let p = (r.start, &text[r.clone()]);
            toks = &toks[..toks.len() - 1];
            p
        }
        _ => (text.len(), ""),
    };
    let word = |i: usize| -> Option<&str> {
        toks.get(i)
            .filter(|(t, _)| t.is_word())
            .map(|(_, r)| &text[r.clone()])
    };
    let tok = |i: usize| toks.get(i).map(|(t, _)| *t);
    let n = toks.len();
    if let Some(words) = in_with(v, text, &tokens, toks) {
        return filtered(start, prefix, words);
    }
    // Right after `type:`: the ids of that type.
    if n >= 2 && tok(n - 1) == Some(Token::Colon) {
        let ids = word(n - 2)
            .and_then(|t| v.ty(t))
            .map(|t| t.ids.clone())
            .unwrap_or_default();
        return filtered(start, prefix, ids);
    }
    // Right after `type:id.`: the fields of the type; after `context.`: its fields.
    if n >= 2 && tok(n - 1) == Some(Token::Dot) {
        if word(n - 2) == Some("context") {
            return filtered(start, prefix, v.context.clone());
        }
        if word(n - 2) == Some("action") {
            return filtered(start, prefix, v.action.clone());
        }
        if n >= 4 && tok(n - 3) == Some(Token::Colon) {
            let fields = word(n - 4)
                .and_then(|t| v.ty(t))
                .map(|t| {
                    t.relations
                        .iter()
                        .map(|r| r.0.clone())
                        .chain(t.attributes.iter().map(|a| a.0.clone()))
                        .collect()
                })
                .unwrap_or_default();
            return filtered(start, prefix, fields);
        }
    }
    // After `type:id.field =`: a relation's target type, or true / false.
    if n >= 6
        && tok(n - 1) == Some(Token::Eq)
        && tok(n - 3) == Some(Token::Dot)
        && tok(n - 5) == Some(Token::Colon)
        && let (Some(ty), Some(field)) = (word(n - 6).and_then(|t| v.ty(t)), word(n - 2))
    {
        let mut words: Vec<String> = ty
            .relations
            .iter()
            .filter(|r| r.0 == field)
            .map(|r| format!("{}:", r.1))
            .collect();
        if ty.attributes.iter().any(|a| a.0 == field && a.1) {
            words.extend(["true".to_string(), "false".to_string()]);
        }
        return filtered(start, prefix, words);
    }
    let pieces = pieces(text, toks);
    filtered(start, prefix, next_words(v, &pieces, prefix))
}

/// Inside an open `with { ... }` of a question: at the start of an item, the four roots of request
/// data; after `principal.` or `resource.`, the attributes of the question's principal or
/// resource type. `None` elsewhere (`context.` and `action.` are completed as anywhere).
fn in_with(
    v: &Vocabulary,
    text: &str,
    tokens: &[(Token, std::ops::Range<usize>)],
    toks: &[(Token, std::ops::Range<usize>)],
) -> Option<Vec<String>> {
    let open = tokens.iter().enumerate().rev().find_map(|(i, (t, r))| {
        (*t == Token::Keyword
            && &text[r.clone()] == "with"
            && tokens.get(i + 1).map(|x| x.0) == Some(Token::LBrace))
        .then_some(i)
    })?;
    if tokens[open..].iter().any(|(t, _)| *t == Token::RBrace) {
        return None;
    }
    // The item being typed: after the `{`, or after the last `;` inside the block.
    let brace_end = tokens[open + 1].1.end;
    let item: Vec<&str> = toks
        .iter()
        .filter(|(_, r)| r.start >= brace_end)
        .map(|(_, r)| &text[r.clone()])
        .collect();
    match item.as_slice() {
        [] => Some(
            ["principal.", "resource.", "context.", "action."]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        [root @ ("principal" | "resource"), "."] => {
            let head = tokens[..open]
                .iter()
                .rposition(|(t, _)| *t == Token::Semi)
                .map_or(0, |i| i + 1);
            let entities: Vec<&str> = pieces(text, &tokens[head..open])
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Entity(t) => Some(t),
                    _ => None,
                })
                .collect();
            let ty = entities.get(usize::from(*root == "resource"))?;
            Some(v.ty(ty)?.attributes.iter().map(|a| a.0.clone()).collect())
        }
        _ => None,
    }
}

/// Folds `type : id` (and `# role`) into one [`Piece::Entity`].
fn pieces<'a>(text: &'a str, toks: &[(Token, std::ops::Range<usize>)]) -> Vec<Piece<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some((t, r)) = toks.get(i) {
        let next = toks.get(i + 1).map(|x| x.0);
        let id = toks.get(i + 2).map(|x| x.0);
        if t.is_word()
            && next == Some(Token::Colon)
            && matches!(
                id,
                Some(Token::Ident | Token::Keyword | Token::String | Token::Star)
            )
        {
            out.push(Piece::Entity(&text[r.clone()]));
            i += 3;
            if toks.get(i).map(|x| x.0) == Some(Token::Hash) {
                i += 2;
            }
            continue;
        }
        out.push(if t.is_word() {
            Piece::Word(&text[r.clone()])
        } else {
            Piece::Other(*t)
        });
        i += 1;
    }
    out
}

/// What the grammar expects after `pieces`.
fn next_words(v: &Vocabulary, pieces: &[Piece<'_>], prefix: &str) -> Vec<String> {
    use Piece::{Entity as E, Word as W};
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let actors = || v.types_where(|t| t.actor);
    let resources = || v.types_where(|t| !t.permissions.is_empty());
    let with_perm = |p: &str| v.types_where(|t| t.permissions.iter().any(|x| x == p));
    let with_role = |r: &str| v.types_where(|t| t.roles.iter().any(|x| x == r));
    // Before the resource is typed: the permissions of the types the facts name (all of them
    // when the facts name none), not those of every type of a large policy.
    let perms = || {
        let named: Vec<String> = v
            .types
            .iter()
            .filter(|t| !t.ids.is_empty())
            .flat_map(|t| t.permissions.clone())
            .collect();
        if named.is_empty() {
            v.all(|t| &t.permissions)
        } else {
            named
        }
    };
    let roles = || v.all(|t| &t.roles);
    match pieces {
        [] => {
            let mut w = words(QUERY_STARTS);
            if !v.action.is_empty() {
                w.push("action.".into());
            }
            w.extend(v.types_where(|_| true));
            w
        }
        [W("can")] | [W("is")] | [W("what"), W("can")] | [W("which"), W(_), W("can")] => actors(),
        [W("can"), E(_)] => {
            let mut w = perms();
            w.push("assign".into());
            w
        }
        [W("who"), W("can")] => perms(),
        // `can A assign R on E to B`
        [W("can"), E(_), W("assign")] => roles(),
        [W("can"), E(_), W("assign"), W(_)] => words(&["on"]),
        [W("can"), E(_), W("assign"), W(r), W("on")] => with_role(r),
        [W("can"), E(_), W("assign"), W(_), W("on"), E(_)] => words(&["to"]),
        [W("can"), E(_), W("assign"), W(_), W("on"), E(_), W("to")] => actors(),
        [W("can"), E(_), W(p)] | [W("who"), W("can"), W(p)] => with_perm(p),
        [W("is"), E(_)] | [W("who"), W("is")] | [E(_), W("is")] => roles(),
        [W("is"), E(_), W(_)] | [W("who"), W("is"), W(_)] | [E(_), W("is"), W(_)] => words(&["on"]),
        [W("is"), E(_), W(r), W("on")]
        | [W("who"), W("is"), W(r), W("on")]
        | [E(_), W("is"), W(r), W("on")] => with_role(r),
        [E(_), W("is"), W(_), W("on"), E(_)] => words(&["until"]),
        [W("can"), E(_), W(_), E(_)] => words(&["with"]),
        [W("who")] => words(&["can", "is"]),
        [W("what")] => words(&["can"]),
        [W("what"), W("can"), E(_)] => words(&["do"]),
        [W("what"), W("can"), E(_), W("do")] => words(&["on"]),
        [W("what"), W("can"), E(_), W("do"), W("on")] => resources(),
        [W("which")] => v
            .types
            .iter()
            .filter(|t| !t.permissions.is_empty())
            .map(|t| t.name.clone())
            .collect(),
        [W("which"), W(_)] => words(&["can"]),
        [W("which"), W(t), W("can"), E(_)] => {
            v.ty(t).map(|t| t.permissions.clone()).unwrap_or_default()
        }
        [E(_)] => words(&["is"]),
        // Somewhere the grammar does not say: every name that fits the prefix.
        _ if !prefix.is_empty() => {
            let mut w: Vec<String> = crate::syntax::tokens::KEYWORDS
                .iter()
                .map(|k| k.to_string())
                .collect();
            w.extend(v.types.iter().map(|t| t.name.clone()));
            w.extend(
                crate::compiled::Method::ALL
                    .iter()
                    .map(|m| m.name().to_string()),
            );
            w.extend(roles());
            w.extend(perms());
            w
        }
        _ => Vec::new(),
    }
}
