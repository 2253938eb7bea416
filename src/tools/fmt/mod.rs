//! `polc fmt`: one canonical layout for Pol source, printed from the AST.
//!
//! Layout rules (also in `docs/tools.md`):
//!
//! - two spaces of indentation per block level; one declaration, role item, fact or test step
//!   per line; lines aim at [`WIDTH`] columns;
//! - `role R;` when the role has no items; `role R { item; }` on one line when the role has
//!   exactly one item, no comment inside and the line fits; otherwise one item per line;
//! - lists (`permissions`, `grants`, `includes`, `separate`) stay on one line when they fit,
//!   else fill lines aligned under the first name; a list with comments between its names is
//!   written one name per line, the comments aligned after them;
//! - a rule too long for one line breaks before `when` / `unless`, then before each `&&` / `||`
//!   of the condition's outermost operator;
//! - blank lines between declarations are kept (several become one), none at the start of a
//!   block; names, literals, patterns and entity references are written as in the source.
//!
//! Comments: a comment on its own line belongs to the next declaration of its block (or, when
//! none follows, stays at the end of the block); a comment after code on the same line stays
//! trailing after that declaration. A comment inside a declaration that is not a list moves to
//! its own line before the declaration.

use crate::diag::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::ast::*;

mod leaf;
mod scan;
mod text;

use leaf::{TRAILING, align_trailing, one_line};

/// The line width the layout aims at.
pub const WIDTH: usize = 100;

/// Formats one file's text. A file with syntax errors is not formatted: its diagnostics come
/// back instead (they point into `file`).
pub fn format_source(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (ast, diags) = crate::syntax::parse_file(file, text);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let mut p = Printer {
        text,
        comments: ast.comments.iter().map(|c| (c, false)).collect(),
        out: String::new(),
        indent: 0,
        last_end: None,
    };
    let nodes: Vec<Node<'_>> = ast.items.iter().map(Node::Item).collect();
    p.body(&nodes, text.len());
    let mut out = align_trailing(p.out.trim_end());
    if !out.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

/// A statement of a block: something printed on its own line(s).
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Member(&'a Member),
    RoleItem(&'a RoleItem),
    Field(&'a AttributeDecl),
    Fact(&'a Fact),
    Step(&'a TestStep),
}

impl<'a> Node<'a> {
    fn span(self) -> Span {
        match self {
            Node::Item(i) => match i {
                Item::Actor(a) => a.span,
                Item::Resource(r) => r.span,
                Item::Context(c) | Item::Action(c) => c.span,
                Item::Facts(f) => f.span,
                Item::Test(t) => t.span,
                Item::Fact(f) => f.span(),
            },
            Node::Member(m) => match m {
                Member::Relation(x) => x.span,
                Member::Attribute(x) => x.span,
                Member::Permissions(x) => x.span,
                Member::Role(x) => x.span,
                Member::Rule(x) => x.span,
                Member::Separate(x) => x.span,
            },
            Node::RoleItem(r) => match r {
                RoleItem::Includes { span, .. }
                | RoleItem::Grants { span, .. }
                | RoleItem::Sealed { span, .. }
                | RoleItem::Elevated { span, .. } => *span,
                RoleItem::From(f) | RoleItem::Requires(f) => f.span,
                RoleItem::Min(c) | RoleItem::Max(c) => c.span,
            },
            Node::Field(f) => f.span,
            Node::Fact(f) => f.span(),
            Node::Step(s) => match s {
                TestStep::Use(i) => i.span,
                TestStep::Fact(f) | TestStep::Retract(f) => f.span(),
                TestStep::Assert(a) => a.span(),
            },
        }
    }

    fn doc(self) -> Option<&'a str> {
        let doc = match self {
            Node::Item(Item::Actor(a)) => &a.doc,
            Node::Item(Item::Resource(r)) => &r.doc,
            Node::Item(Item::Context(c) | Item::Action(c)) => &c.doc,
            Node::Item(Item::Facts(f)) => &f.doc,
            Node::Item(Item::Test(t)) => &t.doc,
            Node::Member(Member::Relation(x)) => &x.doc,
            Node::Member(Member::Attribute(x)) => &x.doc,
            Node::Member(Member::Permissions(x)) => &x.doc,
            Node::Member(Member::Role(x)) => &x.doc,
            Node::Member(Member::Rule(x)) => &x.doc,
            Node::Member(Member::Separate(x)) => &x.doc,
            Node::Field(f) => &f.doc,
            _ => return None,
        };
        doc.as_deref()
    }
}

/// How a leaf statement prints: its words, or a list whose names may carry comments.
enum Leaf {
    Line(String),
    /// `head` then `names` separated by `,`, ended by `;`.
    List {
        head: String,
        names: Vec<(String, Span)>,
    },
    /// `head`, then `items` filled on indented lines, then `tail` (a long expected list).
    Wrapped {
        head: String,
        items: Vec<String>,
        tail: String,
    },
    /// A rule: `head` (`forbid a, b`), then an optional condition keyword and operands.
    Rule {
        head: String,
        condition: Option<(String, Vec<String>, &'static str)>,
    },
}

struct Printer<'a> {
    text: &'a str,
    /// Every comment of the file and whether it has been printed.
    comments: Vec<(&'a Comment, bool)>,
    out: String,
    indent: usize,
    /// Source offset where the previously printed thing of the current block ended (`None` at
    /// the start of a block): blank lines are kept from the source gap after it.
    last_end: Option<usize>,
}

impl<'a> Printer<'a> {
    fn pad(&self) -> String {
        "  ".repeat(self.indent)
    }

    fn line(&mut self, s: &str) {
        if s.is_empty() {
            self.out.push('\n');
        } else {
            self.out.push_str(&self.pad());
            self.out.push_str(s);
            self.out.push('\n');
        }
    }

    /// The statements of a block, then the comments left before `close` (the block's `}` or
    /// the end of the file).
    fn body(&mut self, nodes: &[Node<'a>], close: usize) {
        self.last_end = None;
        for &n in nodes {
            let span = n.span();
            let start = span.start as usize;
            let (doc_from, doc) = match n.doc() {
                Some(d) => (self.doc_start(start), Some(d)),
                None => (start, None),
            };
            self.own_line_comments(doc_from);
            // Comments inside a statement that cannot keep them in place come first.
            if !self.keeps_inner_comments(n) {
                for i in self.inner_comments(span) {
                    let c = self.comments[i].0;
                    self.comments[i].1 = true;
                    self.comment_lines(&c.text);
                }
            }
            self.gap(doc_from);
            if let Some(d) = doc {
                for l in d.split('\n') {
                    if l.is_empty() {
                        self.line("///");
                    } else {
                        self.line(&format!("/// {l}"));
                    }
                }
            }
            self.statement(n);
            let end = self.statement_end(span);
            self.last_end = Some(end);
            let trailing = self.trailing_comments(end);
            if !trailing.is_empty() {
                // Append to the statement's last line; `finish` aligns them.
                if self.out.ends_with('\n') {
                    self.out.pop();
                }
                self.out.push(TRAILING);
                self.out.push_str(&trailing.join(" "));
                self.out.push('\n');
            }
        }
        self.own_line_comments(close);
    }

    fn statement(&mut self, n: Node<'a>) {
        match n {
            Node::Item(Item::Actor(a)) if a.members.is_empty() => {
                self.line(&format!("actor {};", a.name.name));
            }
            Node::Item(Item::Actor(a)) => {
                let nodes: Vec<_> = a.members.iter().map(Node::Member).collect();
                self.block(&format!("actor {}", a.name.name), n, &nodes);
            }
            Node::Item(Item::Resource(r)) if !r.extend && r.members.is_empty() => {
                self.line(&format!("resource {};", r.name.name));
            }
            Node::Item(Item::Resource(r)) => {
                let kw = if r.extend {
                    "extend resource"
                } else {
                    "resource"
                };
                let nodes: Vec<_> = r.members.iter().map(Node::Member).collect();
                self.block(&format!("{kw} {}", r.name.name), n, &nodes);
            }
            Node::Item(Item::Context(c)) => {
                let nodes: Vec<_> = c.fields.iter().map(Node::Field).collect();
                self.block("context", n, &nodes);
            }
            Node::Item(Item::Action(c)) => {
                let nodes: Vec<_> = c.fields.iter().map(Node::Field).collect();
                self.block("action", n, &nodes);
            }
            Node::Item(Item::Facts(f)) => {
                let nodes: Vec<_> = f.facts.iter().map(Node::Fact).collect();
                self.block(&format!("facts {}", f.name.name), n, &nodes);
            }
            Node::Item(Item::Test(t)) => {
                let nodes: Vec<_> = t.steps.iter().map(Node::Step).collect();
                let name = self.slice(t.name.span);
                self.block(&format!("test {name}"), n, &nodes);
            }
            Node::Member(Member::Role(r)) => self.role(r, n),
            _ => {
                let leaf = self.leaf(n);
                self.print_leaf(leaf, n.span());
            }
        }
    }

    /// `head {`, the statements indented, `}`; `head {}` when empty and comment-free.
    fn block(&mut self, head: &str, n: Node<'a>, nodes: &[Node<'a>]) {
        let close = self
            .block_close(n)
            .map_or(n.span().end as usize, |(_, c)| c);
        let span = n.span();
        if nodes.is_empty() && self.inner_comments(span).is_empty() {
            self.line(&format!("{head} {{}}"));
            return;
        }
        self.line(&format!("{head} {{"));
        self.indent += 1;
        self.body(nodes, close);
        self.indent -= 1;
        self.line("}");
    }

    fn role(&mut self, r: &'a RoleDecl, n: Node<'a>) {
        if r.items.is_empty() && self.inner_comments(r.span).is_empty() {
            self.line(&format!("role {};", r.name.name));
            return;
        }
        if let [item] = r.items.as_slice()
            && self.inner_comments(r.span).is_empty()
            && let Some(text) = one_line(self.leaf(Node::RoleItem(item)))
        {
            let one = format!("role {} {{ {text} }}", r.name.name);
            if self.fits(&one) {
                self.line(&one);
                return;
            }
        }
        let nodes: Vec<_> = r.items.iter().map(Node::RoleItem).collect();
        self.block(&format!("role {}", r.name.name), n, &nodes);
    }
}
