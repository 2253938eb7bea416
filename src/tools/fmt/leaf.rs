//! Printing one statement: its text (a line, a list, a rule broken at its operators), lists
//! filled to the width, and trailing comments aligned.

use super::{Leaf, Node, Printer, WIDTH};
use crate::source::Span;
use crate::syntax::ast::*;

impl<'a> Printer<'a> {
    pub(super) fn fits(&self, line: &str) -> bool {
        self.indent * 2 + line.chars().count() <= WIDTH
    }

    pub(super) fn leaf(&self, n: Node<'a>) -> Leaf {
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

    pub(super) fn print_leaf(&mut self, leaf: Leaf, span: Span) {
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
    pub(super) fn list(&mut self, head: &str, names: &[(String, Span)], span: Span) {
        let inner = self.inner_comments(span);
        if inner.is_empty() {
            let one = joined(head, names);
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

/// A list on one line: `head a, b, c;`.
fn joined(head: &str, names: &[(String, Span)]) -> String {
    let names: Vec<&str> = names.iter().map(|n| n.0.as_str()).collect();
    format!("{head} {};", names.join(", "))
}

/// A role item on one line (for `role R { item; }`).
pub(super) fn one_line(leaf: Leaf) -> Option<String> {
    match leaf {
        Leaf::Line(l) => Some(l),
        Leaf::List { head, names } => Some(joined(&head, &names)),
        Leaf::Wrapped { .. } | Leaf::Rule { .. } => None,
    }
}

/// Marks where a trailing comment starts in the printer's output, until [`align_trailing`].
pub(super) const TRAILING: char = '\u{0}';

/// Aligns the trailing comments of consecutive lines in one column, two spaces after the
/// longest code of the run.
pub(super) fn align_trailing(text: &str) -> String {
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
