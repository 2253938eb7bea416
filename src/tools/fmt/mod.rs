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

mod text;

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

    /// A blank line when the source had one between the previous thing and `start`.
    fn gap(&mut self, start: usize) {
        if let Some(end) = self.last_end
            && end <= start
            && self.text[end..start].matches('\n').count() >= 2
        {
            self.out.push('\n');
        }
    }

    /// Prints the unprinted comments that start before `before`, each on its own line(s).
    fn own_line_comments(&mut self, before: usize) {
        for i in 0..self.comments.len() {
            let (c, done) = self.comments[i];
            if done || c.span.start as usize >= before {
                continue;
            }
            self.comments[i].1 = true;
            self.gap(c.span.start as usize);
            self.comment_lines(&c.text);
            self.last_end = Some(c.span.end as usize);
        }
    }

    /// A comment on its own line(s). Doc-comment groups that no declaration took and line
    /// comments are re-indented line by line; a block comment keeps its inner lines as written.
    fn comment_lines(&mut self, text: &str) {
        let text = text.trim_end();
        if text.starts_with("/*") {
            let mut lines = text.lines();
            if let Some(first) = lines.next() {
                self.line(first.trim());
            }
            for l in lines {
                self.out.push_str(l.trim_end());
                self.out.push('\n');
            }
        } else {
            for l in text.lines() {
                self.line(l.trim());
            }
        }
    }

    /// Unprinted comments that follow `end` on the same source line: they stay trailing.
    fn trailing_comments(&mut self, end: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = end;
        for i in 0..self.comments.len() {
            let (c, done) = self.comments[i];
            let start = c.span.start as usize;
            if done || start < at {
                continue;
            }
            let between = &self.text[at..start];
            if !between.trim().is_empty() || between.contains('\n') || c.text.contains('\n') {
                break;
            }
            self.comments[i].1 = true;
            out.push(c.text.trim_end().to_string());
            at = c.span.end as usize;
        }
        if !out.is_empty() {
            self.last_end = Some(at);
        }
        out
    }

    /// Unprinted comments inside `span`, taken (for lists) by the caller.
    fn inner_comments(&self, span: Span) -> Vec<usize> {
        (0..self.comments.len())
            .filter(|&i| {
                let (c, done) = self.comments[i];
                !done && c.span.start > span.start && c.span.end <= span.end
            })
            .collect()
    }

    /// Where a declaration's doc comment starts (the `///` lines just above it), else `start`.
    /// The parser attached the group whose lines are consecutive and end right before `start`.
    fn doc_start(&self, start: usize) -> usize {
        let mut first = start;
        loop {
            let before = self.text[..first].trim_end();
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let line = &before[line_start..];
            if !line.trim_start().starts_with("///") {
                return first;
            }
            if first != start && self.text[before.len()..first].matches('\n').count() > 1 {
                return first;
            }
            first = line_start + (line.len() - line.trim_start().len());
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

    /// Where a statement ends: after its `;` (some spans, like an assertion's, stop before it).
    fn statement_end(&self, span: Span) -> usize {
        let end = span.end as usize;
        let rest = &self.text[end..];
        let ws = rest.len() - rest.trim_start().len();
        if rest.trim_start().starts_with(';') && !self.in_comment(end + ws) {
            end + ws + 1
        } else {
            end
        }
    }

    /// For block statements: the offset of their `{` and of their `}`.
    fn block_close(&self, n: Node<'a>) -> Option<(usize, usize)> {
        let span = n.span();
        let is_block = match n {
            Node::Item(Item::Actor(a)) => !a.members.is_empty() || self.slice(span).ends_with('}'),
            Node::Item(Item::Resource(r)) => {
                r.extend || !r.members.is_empty() || self.slice(span).ends_with('}')
            }
            Node::Item(Item::Fact(_)) => false,
            Node::Item(_) => true,
            Node::Member(Member::Role(r)) => self.slice(r.span).trim_end().ends_with('}'),
            _ => false,
        };
        if !is_block {
            return None;
        }
        let open = self.find_open_brace(span)?;
        Some((open, (span.end as usize).saturating_sub(1)))
    }

    fn slice(&self, span: Span) -> &'a str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// The first `{` of `span` that is not inside a comment or a string.
    fn find_open_brace(&self, span: Span) -> Option<usize> {
        let s = span.start as usize;
        let mut in_str = false;
        let mut prev = ' ';
        for (i, ch) in self.slice(span).char_indices() {
            let at = s + i;
            if self.in_comment(at) {
                continue;
            }
            match ch {
                '"' if prev != '\\' => in_str = !in_str,
                '{' if !in_str => return Some(at),
                _ => {}
            }
            prev = ch;
        }
        None
    }

    fn in_comment(&self, at: usize) -> bool {
        self.comments
            .iter()
            .any(|(c, _)| (c.span.start as usize) <= at && at < c.span.end as usize)
    }

    /// Blocks place the comments inside them; lists place comments between their names.
    fn keeps_inner_comments(&self, n: Node<'a>) -> bool {
        self.block_close(n).is_some()
            || matches!(
                n,
                Node::Member(Member::Permissions(_) | Member::Separate(_))
                    | Node::RoleItem(RoleItem::Includes { .. } | RoleItem::Grants { .. })
            )
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

    fn fits(&self, line: &str) -> bool {
        self.indent * 2 + line.chars().count() <= WIDTH
    }

    fn leaf(&self, n: Node<'a>) -> Leaf {
        let names = |xs: &[Ident]| xs.iter().map(|i| (i.name.clone(), i.span)).collect();
        match n {
            Node::Member(Member::Relation(r)) => Leaf::Line(if r.many {
                format!("relation {}: [{}];", r.name.name, r.target.name)
            } else {
                format!("relation {}: {};", r.name.name, r.target.name)
            }),
            Node::Member(Member::Attribute(a)) => {
                Leaf::Line(format!("attribute {}", self.field(a)))
            }
            Node::Field(a) => Leaf::Line(self.field(a)),
            Node::Member(Member::Permissions(p)) => {
                let mut list: Vec<(String, Span)> = names(&p.names);
                // `permissions a, b assigns x, y;`: the last permission and the first role are
                // one piece of the list, so that the list is laid out as one.
                if let (Some(last), Some((first, rest))) =
                    (list.last_mut(), p.assigns.split_first())
                {
                    last.0 = format!("{} assigns {}", last.0, first.name);
                    list.extend(names(rest));
                }
                Leaf::List {
                    head: "permissions".into(),
                    names: list,
                }
            }
            Node::Member(Member::Separate(s)) => Leaf::List {
                head: "separate".into(),
                names: names(&s.roles),
            },
            Node::Member(Member::Rule(r)) => self.rule(r),
            Node::RoleItem(item) => match item {
                RoleItem::Includes { roles, .. } => Leaf::List {
                    head: "includes".into(),
                    names: names(roles),
                },
                RoleItem::Grants { patterns, .. } => Leaf::List {
                    head: "grants".into(),
                    names: patterns.iter().map(|p| (p.text.clone(), p.span)).collect(),
                },
                RoleItem::From(f) => {
                    let path: Vec<&str> = f.path.iter().map(|p| p.name.as_str()).collect();
                    let kw = if f.default { "default from" } else { "from" };
                    Leaf::Line(format!("{kw} {} on {};", f.role.name, path.join(".")))
                }
                RoleItem::Requires(f) => {
                    let path: Vec<&str> = f.path.iter().map(|p| p.name.as_str()).collect();
                    Leaf::Line(format!("requires {} on {};", f.role.name, path.join(".")))
                }
                RoleItem::Sealed { except, .. } if except.is_empty() => {
                    Leaf::Line("sealed;".into())
                }
                RoleItem::Sealed { except, .. } => Leaf::List {
                    head: "sealed except".into(),
                    names: except.iter().map(|p| (p.text.clone(), p.span)).collect(),
                },
                RoleItem::Elevated { review, .. } => Leaf::Line(match review {
                    Some(d) => format!("elevated review {};", d.text),
                    None => "elevated;".into(),
                }),
                RoleItem::Min(c) => Leaf::Line(format!("min {};", c.value)),
                RoleItem::Max(c) => Leaf::Line(format!("max {};", c.value)),
            },
            Node::Item(Item::Fact(f)) | Node::Fact(f) | Node::Step(TestStep::Fact(f)) => {
                Leaf::Line(format!("{};", self.fact(f)))
            }
            Node::Step(TestStep::Use(i)) => Leaf::Line(format!("use {};", i.name)),
            Node::Step(TestStep::Retract(f)) => Leaf::Line(format!("retract {};", self.fact(f))),
            Node::Step(TestStep::Assert(Assertion::Equals {
                query, expected, ..
            })) => {
                let one = format!("assert {};", self.assertion_text(query, expected));
                if self.fits(&one) {
                    Leaf::Line(one)
                } else {
                    Leaf::Wrapped {
                        head: format!("assert {} == [", self.query(query)),
                        items: self.expected(expected),
                        tail: "];".into(),
                    }
                }
            }
            Node::Step(TestStep::Assert(a)) => Leaf::Line(format!("assert {};", self.assertion(a))),
            // Blocks and roles are printed by `statement`.
            Node::Item(_) | Node::Member(Member::Role(_)) => Leaf::Line(String::new()),
        }
    }

    fn print_leaf(&mut self, leaf: Leaf, span: Span) {
        match leaf {
            Leaf::Line(l) => self.line(&l),
            Leaf::List { head, names } => self.list(&head, &names, span),
            Leaf::Wrapped { head, items, tail } => {
                self.line(&head);
                self.indent += 1;
                let last = items.len().saturating_sub(1);
                let mut cur = String::new();
                for (i, item) in items.iter().enumerate() {
                    let piece = if i == last {
                        item.clone()
                    } else {
                        format!("{item},")
                    };
                    if !cur.is_empty() && !self.fits(&format!("{cur} {piece}")) {
                        self.line(&cur);
                        cur.clear();
                    }
                    if !cur.is_empty() {
                        cur.push(' ');
                    }
                    cur.push_str(&piece);
                }
                if !cur.is_empty() {
                    self.line(&cur);
                }
                self.indent -= 1;
                self.line(&tail);
            }
            Leaf::Rule { head, condition } => {
                let one = match &condition {
                    None => format!("{head};"),
                    Some((kw, ops, op)) => format!("{head} {kw} {};", ops.join(&format!(" {op} "))),
                };
                let Some((kw, ops, op)) = condition.filter(|_| !self.fits(&one)) else {
                    self.line(&one);
                    return;
                };
                self.line(&head);
                let cond = format!("  {kw} {};", ops.join(&format!(" {op} ")));
                if self.fits(&cond) || ops.len() < 2 {
                    self.line(&cond);
                    return;
                }
                let last = ops.len() - 1;
                for (i, o) in ops.iter().enumerate() {
                    let end = if i == last { ";" } else { "" };
                    if i == 0 {
                        self.line(&format!("  {kw} {o}{end}"));
                    } else {
                        self.line(&format!("    {op} {o}{end}"));
                    }
                }
            }
        }
    }

    /// A list: one line if it fits; names one per line when comments sit between them; else
    /// lines filled up to the width, aligned under the first name.
    fn list(&mut self, head: &str, names: &[(String, Span)], span: Span) {
        let inner = self.inner_comments(span);
        if inner.is_empty() {
            let one = format!(
                "{head} {};",
                names
                    .iter()
                    .map(|n| n.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if self.fits(&one) {
                self.line(&one);
                return;
            }
            let cont = " ".repeat(head.len() + 1);
            let mut lines: Vec<String> = Vec::new();
            let mut cur = format!("{head} ");
            let mut empty_line = true;
            let last = names.len().saturating_sub(1);
            for (i, (n, _)) in names.iter().enumerate() {
                let piece = format!("{n}{}", if i == last { ";" } else { "," });
                if !empty_line && !self.fits(&format!("{cur} {piece}")) {
                    lines.push(cur);
                    cur = cont.clone();
                    empty_line = true;
                }
                if !empty_line {
                    cur.push(' ');
                }
                cur.push_str(&piece);
                empty_line = false;
            }
            lines.push(cur);
            for l in lines {
                self.line(&l);
            }
            return;
        }
        // One name per line, each with the comments that trail it; own-line comments before
        // the name that follows them.
        let mut rows: Vec<(Vec<String>, String, Vec<String>)> = Vec::new();
        let last = names.len().saturating_sub(1);
        let mut pending: Vec<String> = Vec::new();
        let mut taken = Vec::new();
        for (i, (n, nspan)) in names.iter().enumerate() {
            let next_start = names
                .get(i + 1)
                .map_or(span.end as usize, |x| x.1.start as usize);
            let end = nspan.end as usize;
            let mut trailing = Vec::new();
            for &ci in &inner {
                let c = self.comments[ci].0;
                let cs = c.span.start as usize;
                if cs < nspan.start as usize && !taken.contains(&ci) {
                    pending.push(c.text.trim_end().to_string());
                    taken.push(ci);
                } else if cs >= end && cs < next_start && !taken.contains(&ci) {
                    if self.text[end..cs].contains('\n') {
                        continue;
                    }
                    trailing.push(c.text.trim_end().to_string());
                    taken.push(ci);
                }
            }
            let sep = if i == last { ";" } else { "," };
            rows.push((std::mem::take(&mut pending), format!("{n}{sep}"), trailing));
        }
        for ci in inner {
            if !taken.contains(&ci) {
                let c = self.comments[ci].0;
                pending.push(c.text.trim_end().to_string());
            }
            self.comments[ci].1 = true;
        }
        // Comments after the `;` on the same line belong to the last name.
        let after = self.trailing_comments(span.end as usize);
        if let Some(row) = rows.last_mut() {
            row.2.extend(after);
        }
        self.line(head);
        self.indent += 1;
        for (before, name, trailing) in rows {
            for c in before {
                self.comment_lines(&c);
            }
            if trailing.is_empty() {
                self.line(&name);
            } else {
                self.line(&format!("{name}{TRAILING}{}", trailing.join(" ")));
            }
        }
        for c in pending {
            self.comment_lines(&c);
        }
        self.indent -= 1;
    }
}

/// A role item on one line (for `role R { item; }`).
fn one_line(leaf: Leaf) -> Option<String> {
    match leaf {
        Leaf::Line(l) => Some(l),
        Leaf::List { head, names } => Some(format!(
            "{head} {};",
            names
                .iter()
                .map(|n| n.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Leaf::Wrapped { .. } | Leaf::Rule { .. } => None,
    }
}

/// Marks where a trailing comment starts in the printer's output, until [`align_trailing`].
const TRAILING: char = '\u{0}';

/// Aligns the trailing comments of consecutive lines in one column, two spaces after the
/// longest code of the run.
fn align_trailing(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].contains(TRAILING) {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        }
        let run_end = (i..lines.len())
            .find(|&j| !lines[j].contains(TRAILING))
            .unwrap_or(lines.len());
        let width = lines[i..run_end]
            .iter()
            .filter_map(|l| l.split_once(TRAILING))
            .map(|(code, _)| code.chars().count())
            .max()
            .unwrap_or(0);
        for l in &lines[i..run_end] {
            if let Some((code, comment)) = l.split_once(TRAILING) {
                let pad = width - code.chars().count() + 2;
                out.push(format!("{code}{}{comment}", " ".repeat(pad)));
            }
        }
        i = run_end;
    }
    out.join("\n")
}
